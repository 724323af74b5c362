//! DPDK integration test: a start-up script (`wanfwd --script`) is in force before the first
//! packet is forwarded. The YAML routes the LAN out of ether1 without NAT; the script adds
//! masquerade. `net_pcap` replays the LAN host's datagrams as soon as a worker polls, so a
//! worker started before the script would send the first ones untranslated (and their
//! connections would stay so): every datagram must leave with the WAN address.

mod common;

use common::*;
use wanfwd::config::Config;
use wanfwd::router::RunOptions;

const PACKETS: u16 = 64;

fn config(dir: &TestDir) -> Config {
    lan_wan_config(dir, "wf-it-script", LAN_WAN)
}

#[test]
fn the_start_up_script_is_in_force_for_the_first_packet() {
    capture_log();
    let dir = TestDir::new("wf-it-script");
    let cfg = config(&dir);
    let input: Vec<Vec<u8>> = (0..PACKETS)
        .map(|i| lan_udp(40000 + i, 53, &pattern(i as u8, 32)))
        .collect();
    let opts = RunOptions {
        script: Some((
            "nat.rsc".into(),
            "/ip firewall nat add chain=srcnat out-interface=ether1 action=masquerade\n".into(),
        )),
        ..RunOptions::default()
    };
    let out = run_lan_to_wan_with(&dir, &cfg, &opts, &input);
    assert_eq!(
        out.wan_out.len(),
        usize::from(PACKETS),
        "every datagram routed"
    );
    let untranslated: Vec<usize> = out
        .wan_out
        .iter()
        .enumerate()
        .filter(|(_, f)| ipv4_of(f).is_none_or(|ip| ip.src() != WAN_IP))
        .map(|(i, _)| i)
        .collect();
    assert!(
        untranslated.is_empty(),
        "datagrams that left before the script's masquerade: {untranslated:?}"
    );
}
