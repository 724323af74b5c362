//! DPDK integration test: a router with small packet buffers (`dpdk: mbuf-size: 256`, as
//! perf/bench.sh --pcc uses for its million-frame captures) and interfaces of MTU 114 (what
//! fits: 256 - 128 of headroom - 14 of Ethernet header), on `net_pcap` ports, with
//! masquerade (the stateful path).
//!
//! The LAN host sends:
//! - a small UDP datagram: masqueraded out of `ether1`;
//! - a 1500-byte datagram, far larger than a buffer (a peer that ignores the MTU): `net_pcap`
//!   chains it over several buffers, and the worker drops it, counted as `multi-segment`;
//!   the router keeps running;
//! - a 100-byte datagram with TTL 1: ICMP time-exceeded back to the host, its quote cut to
//!   what a buffer holds (86 bytes: a 128-byte frame) instead of RFC 1812's 576.

mod common;

use common::*;
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::packet::ipv4;

const DPORT: u16 = 9;

fn config(dir: &TestDir) -> Config {
    let mut cfg = pcap_config(
        dir,
        "wf-it-smallmbuf",
        &[
            (
                "bridge",
                "lan",
                r#"mac-address: "02:00:00:00:00:01", mtu: 114"#,
            ),
            (
                "ether1",
                "wan",
                r#"mac-address: "02:00:00:00:00:02", mtu: 114"#,
            ),
        ],
        LAN_WAN_MASQUERADE,
    );
    // The YAML key and its check against the MTUs are tested in config's unit tests.
    cfg.dpdk.mbuf_size = Some(256);
    cfg
}

#[test]
fn small_buffers_forward_small_frames_and_drop_larger_ones_counted() {
    capture_log();
    let dir = TestDir::new("wf-it-smallmbuf");
    let cfg = config(&dir);
    let small = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        41_000,
        DPORT,
        &pattern(1, 32),
    );
    let big = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        41_001,
        DPORT,
        &pattern(2, 1500 - 28),
    );
    assert_eq!(big.len(), 1514);
    let expiring_l4 = udp(HOST_IP, REMOTE_IP, 41_002, DPORT, &pattern(3, 100 - 28));
    let expiring_l3 = ipv4(HOST_IP, REMOTE_IP, ipv4::PROTO_UDP, 1, 0x4242, &expiring_l4);
    let expiring = ethernet(
        LAN_MAC,
        HOST_MAC,
        wanfwd::packet::ether::ETHERTYPE_IPV4,
        &expiring_l3,
    );
    let LanToWan {
        total,
        wan_out,
        lan_out,
    } = run_lan_to_wan(&dir, &cfg, &[small, big, expiring]);
    assert!(
        logged()
            .iter()
            .any(|l| l.contains("mbuf pool:") && l.contains("buffers of 256 bytes")),
        "the pool has 256-byte buffers"
    );

    assert_eq!(wan_out.len(), 1, "only the small datagram goes out");
    let ip = ipv4_of(&wan_out[0]).expect("IPv4");
    assert_eq!(ip.src(), WAN_IP, "masqueraded");
    assert_eq!(ip.ttl(), 63);
    assert_eq!(
        total.dropped(DropReason::Multisegment),
        1,
        "the 1514-byte frame, in several buffers"
    );

    let errors: Vec<&Vec<u8>> = lan_out
        .iter()
        .filter(|f| icmp_type_of(f) == Some((11, 0)))
        .collect();
    assert_eq!(errors.len(), 1, "one time-exceeded back to the host");
    let e = errors[0];
    assert_eq!(e.len(), 128, "the frame fills the buffer, no more");
    let ip = ipv4_of(e).expect("IPv4");
    assert!(ip.verify_checksum());
    assert_eq!(ip.dst(), HOST_IP);
    assert_eq!(usize::from(ip.total_len()), 114, "within the MTU");
    // ICMP header (8 bytes), then the quote: the first 86 bytes of the expired datagram.
    assert_eq!(&ip.payload()[8..], &expiring_l3[..86]);
}
