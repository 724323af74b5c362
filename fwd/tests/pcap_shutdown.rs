//! DPDK integration test: stopping the router while the ring from the worker to the control
//! core is full. The LAN port replays echo requests to the router's own address without end
//! (`infinite_rx`), far more than the control core answers, so the punt ring is full when
//! the router is told to stop. What is still in a ring must go back to the pool while the
//! pool and the EAL exist: freed after them, such a packet was freed into freed memory, and
//! the process died with a segfault at exit (seen once in tests/e2e/netwatch.sh).

mod common;

use common::*;
use std::time::Duration;
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::packet::ether;
use wanfwd::packet::ipv4::PROTO_ICMP;

fn config(dir: &TestDir, prefix: &str) -> Config {
    let yaml = format!(
        r#"dpdk:
  eal-args: {}
  workers: 1
api:
  socket: {}
metrics:
  listen: 127.0.0.1:0
/interface/ethernet:
  - {{ name: bridge, device: "net_pcap0,rx_pcap={},infinite_rx=1,tx_pcap=/dev/null", mac-address: "02:00:00:00:00:01" }}
/ip/address:
  - {{ address: 192.168.1.1/24, interface: bridge }}
/ip/arp:
  - {{ address: 192.168.1.10, mac-address: "02:00:00:00:01:10", interface: bridge }}
"#,
        eal_args_yaml(prefix),
        dir.file("api.sock").display(),
        dir.file("lan-in.pcap").display(),
    );
    Config::from_yaml_str(&yaml, &format!("{prefix}.yaml"))
        .unwrap_or_else(|e| panic!("expected the test configuration to be valid: {e}\n{yaml}"))
}

#[test]
fn stopping_with_packets_in_the_punt_ring_frees_them_before_the_pool() {
    let dir = TestDir::new("wf-it-shutdown");
    let requests: Vec<Vec<u8>> = (0..32u16)
        .map(|seq| {
            let icmp = icmp_echo_request(0x77, seq, &pattern(seq as u8, 32));
            let ip = ipv4(HOST_IP, LAN_IP, PROTO_ICMP, 64, seq, &icmp);
            ethernet(LAN_MAC, HOST_MAC, ether::ETHERTYPE_IPV4, &ip)
        })
        .collect();
    write_pcap(&dir.file("lan-in.pcap"), &requests);
    let cfg = config(&dir, "wf-it-shutdown");
    let report = run_router(&cfg, Duration::from_millis(700));
    let total = report.total();
    eprintln!("punted {}, drops {:?}", total.punted, nonzero_drops(&total));
    assert!(
        total.punted > 0,
        "expected echo requests to the router to be punted to the control core"
    );
    assert!(
        total.dropped(DropReason::PuntRingFull) > 0,
        "expected the replay to outrun the control core and fill the punt ring"
    );
    // And the process is still here: `run_router` returned instead of the exit crashing.
}
