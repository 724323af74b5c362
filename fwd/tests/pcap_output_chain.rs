//! DPDK integration test: the mangle output chain routes what the router itself sends. Two
//! netwatch hosts are watched with the guide's two WANs; main's default route is ISP1, and an
//! output rule marks the probes to one of them for table to_wan2 (ISP2), as RouterOS operators
//! do to watch a far host through one WAN. That host's echo requests must leave by ether2 from
//! ISP2's address; the other host's by ether1, from ISP1's. The rule that marks them counts
//! them in `/ip/firewall/mangle print stats`, asked through the API socket during the run.

mod common;

use common::*;
use std::net::Ipv4Addr;
use std::time::Duration;
use wanfwd::api::ApiClient;
use wanfwd::config::Config;
use wanfwd::packet::icmp::IcmpPacket;
use wanfwd::packet::ipv4::PROTO_ICMP;
use wanfwd::router::{Report, RunOptions};

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
fn output_chain_routes_the_probes_by_its_table_and_counts_them() {
    capture_log();
    let dir = TestDir::new("wf-it-output");
    let cfg = config(&dir);
    for stem in ["lan", "wan1", "wan2"] {
        write_pcap(&dir.file(&format!("{stem}-in.pcap")), &[]);
    }
    let (report, (before, after)) = run_asking_stats(&cfg, &dir);
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

    // The rules count the router's own packets they match, as RouterOS does: the rule that
    // marks the probes to 192.0.2.1 each of them (an echo request frame is 50 bytes), the
    // rule on a connection mark none; and `reset-counters-all` starts them over.
    eprintln!("mangle print stats: {before:?}, after reset-counters-all: {after:?}");
    assert_eq!(before.len(), 2, "two mangle rules");
    assert_eq!(
        before[0],
        (0, 0),
        "the connection-mark rule matches no probe"
    );
    let (packets, bytes) = before[1];
    assert!(
        packets >= 2,
        "the probes to 192.0.2.1 are counted: {packets}"
    );
    assert_eq!(
        bytes,
        packets * 50,
        "each an echo request frame of 50 bytes"
    );
    assert!(
        after[1].0 < packets,
        "reset-counters-all starts them over: {after:?}"
    );
}

/// Runs the router for 2 s; after 1.8 s (netwatch probes each host every 500 ms: a few by
/// then) asks for the mangle rules' stats, resets them and asks again.
fn run_asking_stats(cfg: &Config, dir: &TestDir) -> (Report, (Stats, Stats)) {
    let (report, (before, reset, after)) = run_router_while(cfg, &RunOptions::default(), || {
        std::thread::sleep(Duration::from_millis(1800));
        let socket = dir.file("api.sock");
        let before = mangle_stats(&socket);
        let mut api = ApiClient::connect(&socket, Duration::from_secs(5)).expect("the API");
        let reset = api.run("/ip/firewall/mangle reset-counters-all", false);
        let after = mangle_stats(&socket);
        std::thread::sleep(Duration::from_millis(200));
        (before, reset, after)
    });
    assert!(matches!(reset, Ok(Ok(_))), "reset-counters-all: {reset:?}");
    (report, (before, after))
}

/// Each mangle rule's (packets, bytes) from `print stats`.
type Stats = Vec<(u64, u64)>;

/// The mangle rules' [`Stats`], asked through the API socket.
fn mangle_stats(socket: &std::path::Path) -> Stats {
    let mut api = ApiClient::connect(socket, Duration::from_secs(5)).expect("the API socket");
    let out = api
        .run("/ip/firewall/mangle print stats", true)
        .expect("an answer")
        .expect("print stats works");
    let rows: Vec<std::collections::HashMap<String, serde_yaml::Value>> =
        serde_yaml::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let num = |v: Option<&serde_yaml::Value>| match v {
        Some(serde_yaml::Value::Number(n)) => n.as_u64().expect("a count"),
        Some(serde_yaml::Value::String(s)) => s.parse().expect("a count"),
        other => panic!("no count: {other:?} in {out}"),
    };
    rows.iter()
        .map(|r| (num(r.get("packets")), num(r.get("bytes"))))
        .collect()
}
