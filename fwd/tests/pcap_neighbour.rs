//! DPDK integration test: next-hop resolution. The default route's gateway (203.0.113.1) has
//! no static ARP entry and never answers. The router must ask for it on ether1 (broadcast ARP
//! request from 203.0.113.2) and hold, not forward, a LAN datagram bound for the Internet.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::neigh::MAX_REQUESTS;

fn config(dir: &TestDir) -> Config {
    lan_wan_config(
        dir,
        "wf-it-neighbour",
        r#"/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
"#,
    )
}

#[test]
fn unresolved_gateway_is_asked_for_and_traffic_held() {
    capture_log();
    let started = Instant::now();
    let dir = TestDir::new("wf-it-neighbour");
    let cfg = config(&dir);
    let datagram = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        40_000,
        5000,
        &pattern(7, 64),
    );
    write_pcap(&dir.file("lan-in.pcap"), std::slice::from_ref(&datagram));
    write_pcap(&dir.file("wan-in.pcap"), &[]);

    let report = run_router(&cfg, Duration::from_secs(2));
    let lan_out = read_pcap(&dir.file("lan-out.pcap"));
    let wan_out = read_pcap(&dir.file("wan-out.pcap"));
    let total = report.total();
    eprintln!(
        "report: {:?}\ndrops: {:?}\nbridge sent:\n{}\nether1 sent:\n{}",
        report,
        nonzero_drops(&total),
        describe(&lan_out),
        describe(&wan_out)
    );

    // The request, exactly as an ARP request for the gateway from ether1 should be.
    let expected = arp_request(WAN_MAC, WAN_IP, GW_IP);
    assert!(
        !wan_out.is_empty(),
        "expected an ARP request for {GW_IP} on ether1, got nothing"
    );
    for (i, f) in wan_out.iter().enumerate() {
        assert_eq!(
            f,
            &expected,
            "expected every frame on ether1 to be the broadcast ARP request 'who has {GW_IP}? tell {WAN_IP}' from {WAN_MAC}; frame #{i} is {}",
            describe_frame(f)
        );
    }
    assert!(
        wan_out.len() <= MAX_REQUESTS as usize,
        "expected at most {MAX_REQUESTS} ARP requests (one a second at most, then give up), got {}",
        wan_out.len()
    );

    // Held, not forwarded: ether1 sent the requests and nothing else.
    let ether1 = port_stats(&report, "ether1");
    assert_eq!(
        ether1.opackets,
        wan_out.len() as u64,
        "expected ether1 to send only the ARP request(s), no forwarded packet"
    );
    assert!(
        !lan_out.contains(&datagram),
        "expected the datagram not to be sent back out of bridge"
    );
    assert_eq!(
        report.workers.rx_packets, 1,
        "expected the worker to receive the one datagram"
    );
    assert_eq!(
        report.workers.punted, 1,
        "expected the datagram punted to the control core to wait for the gateway's MAC"
    );
    // After the last request the router gives up and counts the held packet as no-neighbour;
    // whether that happened before the stop depends on timing, so it is not checked. Nothing
    // else may have been dropped.
    let others = total.total_dropped() - total.dropped(DropReason::NoNeighbour);
    assert_eq!(
        others,
        0,
        "expected the datagram held (or at most given up as no-neighbour), not dropped otherwise; drops: {:?}",
        nonzero_drops(&total)
    );
    eprintln!("pcap_neighbour took {:?}", started.elapsed());
}
