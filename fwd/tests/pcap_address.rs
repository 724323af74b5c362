//! DPDK integration test: `/ip/address` changed by a command. The configuration gives
//! `bridge` 192.168.1.1/24; a script at start (as `wanctl` would) adds 192.168.7.1/24 and
//! removes 192.168.1.1/24. The control core must then answer ARP for the new address and
//! no longer for the old one. (The workers' side, ping to the new address, is checked end
//! to end by tests/e2e/wanctl.sh.)

mod common;

use common::*;
use std::net::Ipv4Addr;
use std::time::Duration;
use wanfwd::config::Config;
use wanfwd::router::RunOptions;

const NEW_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 1);
const NEW_HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 7, 10);

fn config(dir: &TestDir) -> Config {
    pcap_config(
        dir,
        "wf-it-address",
        &[("bridge", "lan", r#"mac-address: "02:00:00:00:00:01""#)],
        r#"/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
"#,
    )
}

#[test]
fn a_commanded_address_is_answered_for_and_a_removed_one_is_not() {
    capture_log();
    let dir = TestDir::new("wf-it-address");
    let cfg = config(&dir);
    write_pcap(
        &dir.file("lan-in.pcap"),
        &[
            arp_request(HOST_MAC, NEW_HOST, NEW_IP),
            arp_request(OTHER_MAC, HOST_IP, LAN_IP),
        ],
    );
    let opts = RunOptions {
        script: Some((
            "addresses.rsc".into(),
            "/ip/address add address=192.168.7.1/24 interface=bridge\n/ip/address remove [find address=192.168.1.1/24]\n".into(),
        )),
        ..RunOptions::default()
    };
    let report = run_router_with(&cfg, &opts, Duration::from_secs(2));
    let lan_out = read_pcap(&dir.file("lan-out.pcap"));
    eprintln!(
        "report: {report:?}\nbridge sent:\n{}\nlog:\n{}",
        describe(&lan_out),
        logged().join("\n")
    );

    let arp_replies: Vec<_> = lan_out.iter().filter_map(|f| arp_of(f)).collect();
    assert!(
        arp_replies.iter().any(|a| a.operation == 2
            && a.sender_ip == NEW_IP
            && a.sender_mac == LAN_MAC
            && a.target_ip == NEW_HOST),
        "expected an ARP reply '{NEW_IP} is at {LAN_MAC}' to {NEW_HOST}"
    );
    assert!(
        !arp_replies.iter().any(|a| a.sender_ip == LAN_IP),
        "expected no ARP for the removed {LAN_IP}"
    );
}
