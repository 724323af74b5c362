//! DPDK integration test: the mangle output chain routes what the router itself sends. Two
//! netwatch hosts are watched with the guide's two WANs; main's default route is ISP1, and an
//! output rule marks the probes to one of them for table to_wan2 (ISP2), as RouterOS operators
//! do to watch a far host through one WAN. That host's echo requests must leave by ether2 from
//! ISP2's address; the other host's by ether1, from ISP1's.

mod common;

use common::*;
use std::net::Ipv4Addr;
use std::time::Duration;
use wanfwd::config::Config;
use wanfwd::packet::icmp::IcmpPacket;
use wanfwd::packet::ipv4::PROTO_ICMP;

const VIA_WAN2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const VIA_MAIN: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

fn config(dir: &TestDir) -> Config {
    pcap_config(
        dir,
        "wf-it-output",
        &[
            ("bridge", "lan", r#"mac-address: "02:00:00:00:00:01""#),
            ("ether1", "wan1", r#"mac-address: "02:00:00:00:00:02""#),
            ("ether2", "wan2", r#"mac-address: "02:00:00:00:00:03""#),
        ],
        r#"/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
  - { address: 198.51.100.2/24, interface: ether2 }
/routing/table:
  - { name: to_wan2, fib }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, routing-table: to_wan2 }
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1 }
  - { address: 198.51.100.1, mac-address: "02:00:00:00:03:01", interface: ether2 }
/ip/firewall/mangle:
  - { chain: output, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan2 }
  - { chain: output, dst-address: 192.0.2.1, protocol: icmp, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
/tool/netwatch:
  - { host: 192.0.2.1, interval: 500ms, timeout: 400ms }
  - { host: 192.0.2.2, interval: 500ms, timeout: 400ms }
"#,
    )
}

/// The (source, destination) of each ICMP echo request among `frames`.
fn echo_requests(frames: &[Vec<u8>]) -> Vec<(Ipv4Addr, Ipv4Addr)> {
    frames
        .iter()
        .filter_map(|f| {
            let ip = ipv4_of(f)?;
            if ip.protocol() != PROTO_ICMP {
                return None;
            }
            let icmp = IcmpPacket::new_checked(ip.payload()).ok()?;
            (icmp.msg_type() == 8).then(|| (ip.src(), ip.dst()))
        })
        .collect()
}

#[test]
fn output_chain_routing_mark_sends_probes_by_its_table() {
    capture_log();
    let dir = TestDir::new("wf-it-output");
    let cfg = config(&dir);
    for stem in ["lan", "wan1", "wan2"] {
        write_pcap(&dir.file(&format!("{stem}-in.pcap")), &[]);
    }
    let report = run_router(&cfg, Duration::from_secs(2));
    let wan1 = echo_requests(&read_pcap(&dir.file("wan1-out.pcap")));
    let wan2 = echo_requests(&read_pcap(&dir.file("wan2-out.pcap")));
    eprintln!("report: {report:?}\nether1 echo requests: {wan1:?}\nether2 echo requests: {wan2:?}");

    let isp1 = Ipv4Addr::new(203, 0, 113, 2);
    let isp2 = Ipv4Addr::new(198, 51, 100, 2);
    assert!(
        wan2.contains(&(isp2, VIA_WAN2)),
        "the marked host's probes leave by ether2 from ISP2's address"
    );
    assert!(
        wan1.contains(&(isp1, VIA_MAIN)),
        "the other host's probes follow main: ether1, ISP1's address"
    );
    assert!(
        !wan1.iter().any(|(_, d)| *d == VIA_WAN2),
        "no probe of the marked host by ether1"
    );
    assert!(
        !wan2.iter().any(|(_, d)| *d == VIA_MAIN),
        "no probe of the other host by ether2"
    );
}
