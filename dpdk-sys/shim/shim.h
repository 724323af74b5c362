/* DPDK's fast path lives in static inline functions and function-like macros, which have no
 * symbol to link against. These thin wrappers give them one; each is a plain call-through. */
#ifndef WANFWD_DPDK_SHIM_H
#define WANFWD_DPDK_SHIM_H

#include <stdint.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ethdev.h>
#include <rte_dev.h>
#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_thash.h>

int wf_errno(void);
unsigned wf_lcore_id(void);

uint16_t wf_rx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t wf_tx_burst(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);

struct rte_mbuf *wf_pktmbuf_alloc(struct rte_mempool *mp);
int wf_pktmbuf_alloc_bulk(struct rte_mempool *mp, struct rte_mbuf **mbufs, unsigned n);
void wf_pktmbuf_free(struct rte_mbuf *m);
/* Adjusts data_off/data_len/pkt_len; returns NULL when there is no room, as the macros do. */
char *wf_pktmbuf_append(struct rte_mbuf *m, uint16_t len);
char *wf_pktmbuf_prepend(struct rte_mbuf *m, uint16_t len);
char *wf_pktmbuf_adj(struct rte_mbuf *m, uint16_t len);
int wf_pktmbuf_trim(struct rte_mbuf *m, uint16_t len);
uint16_t wf_pktmbuf_tailroom(const struct rte_mbuf *m);
void wf_prefetch0(const void *p);

uint64_t wf_rss_hf_ip(void);
/* The IPv4 flow types of rss_hf, and the *_SRC_ONLY / *_DST_ONLY modifiers, as one mask each. */
uint64_t wf_rss_ipv4(void);
uint64_t wf_rss_frag_ipv4(void);
uint64_t wf_rss_ipv4_tcp(void);
uint64_t wf_rss_ipv4_udp(void);
uint64_t wf_rss_ipv4_other(void);
uint64_t wf_rss_only_modifiers(void);
/* rte_softrss: DPDK's software Toeplitz hash over len host-order 32-bit words. */
uint32_t wf_softrss(const uint32_t *tuple, uint32_t len, const uint8_t *key);
/* RTE_BIT64() flags that bindgen cannot evaluate. */
uint64_t wf_rx_offload_ipv4_cksum(void);
uint64_t wf_tx_offload_mbuf_fast_free(void);
uint64_t wf_rdtsc(void);
uint64_t wf_tsc_hz(void);

#endif
