#include "shim.h"

int wf_errno(void) { return rte_errno; }
unsigned wf_lcore_id(void) { return rte_lcore_id(); }

uint16_t wf_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, queue, pkts, n);
}

uint16_t wf_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, queue, pkts, n);
}

struct rte_mbuf *wf_pktmbuf_alloc(struct rte_mempool *mp) { return rte_pktmbuf_alloc(mp); }

int wf_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned n)
{
	return rte_pktmbuf_alloc_bulk(mp, mbufs, n);
}

void wf_pktmbuf_free(struct rte_mbuf *m) { rte_pktmbuf_free(m); }
char *wf_pktmbuf_append(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_append(m, len); }
char *wf_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_prepend(m, len); }
char *wf_pktmbuf_adj(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_adj(m, len); }
int wf_pktmbuf_trim(struct rte_mbuf *m, uint16_t len) { return rte_pktmbuf_trim(m, len); }
uint16_t wf_pktmbuf_tailroom(const struct rte_mbuf *m) { return rte_pktmbuf_tailroom(m); }
void wf_prefetch0(const void *p) { rte_prefetch0(p); }

uint64_t wf_rss_hf_ip(void) { return RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP; }
uint64_t wf_rss_ipv4(void) { return RTE_ETH_RSS_IPV4; }
uint64_t wf_rss_frag_ipv4(void) { return RTE_ETH_RSS_FRAG_IPV4; }
uint64_t wf_rss_ipv4_tcp(void) { return RTE_ETH_RSS_NONFRAG_IPV4_TCP; }
uint64_t wf_rss_ipv4_udp(void) { return RTE_ETH_RSS_NONFRAG_IPV4_UDP; }
uint64_t wf_rss_ipv4_other(void) { return RTE_ETH_RSS_NONFRAG_IPV4_OTHER; }
uint64_t wf_rss_only_modifiers(void)
{
	return RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY | RTE_ETH_RSS_L4_SRC_ONLY |
	       RTE_ETH_RSS_L4_DST_ONLY;
}
uint32_t wf_softrss(const uint32_t *tuple, uint32_t len, const uint8_t *key)
{
	return rte_softrss((uint32_t *)tuple, len, key);
}
uint64_t wf_rdtsc(void) { return rte_rdtsc(); }
uint64_t wf_tsc_hz(void) { return rte_get_tsc_hz(); }
uint64_t wf_rx_offload_ipv4_cksum(void) { return RTE_ETH_RX_OFFLOAD_IPV4_CKSUM; }
uint64_t wf_tx_offload_mbuf_fast_free(void) { return RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE; }
