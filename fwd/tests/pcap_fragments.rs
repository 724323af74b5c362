//! DPDK integration test: fragments through connection tracking and masquerade, on
//! `net_pcap` ports (the namespace testbed cannot show this: its `net_af_packet` devices
//! have the kernel reassemble fragments before the router sees them).
//!
//! The LAN host sends a UDP datagram of 3000 bytes in three fragments, first fragment first,
//! then a later fragment of a datagram whose first fragment never came. Out of `ether1` must
//! come the three fragments, each with the WAN address as source (masquerade), the first
//! with its source port kept and its UDP checksum updated so that the reassembled datagram
//! checks; the stray fragment is dropped and counted as `fragment`.

mod common;

use common::*;
use std::time::Duration;
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::packet::ether;
use wanfwd::packet::ipv4::{self, Ipv4Packet};
use wanfwd::packet::udp::UdpPacket;

const SPORT: u16 = 40_123;
const DPORT: u16 = 5353;
const IDENT: u16 = 0x5151;

fn config(dir: &TestDir) -> Config {
    let yaml = format!(
        r#"dpdk:
  eal-args: {eal}
  workers: 1
api:
  socket: {api}
metrics:
  listen: 127.0.0.1:0
/interface/ethernet:
  - {{ name: bridge, device: "net_pcap0,rx_pcap={lan_in},tx_pcap={lan_out}", mac-address: "02:00:00:00:00:01" }}
  - {{ name: ether1, device: "net_pcap1,rx_pcap={wan_in},tx_pcap={wan_out}", mac-address: "02:00:00:00:00:02" }}
/ip/address:
  - {{ address: 192.168.1.1/24, interface: bridge }}
  - {{ address: 203.0.113.2/24, interface: ether1 }}
/ip/route:
  - {{ dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }}
/ip/arp:
  - {{ address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1 }}
/ip/firewall/nat:
  - {{ chain: srcnat, out-interface: ether1, action: masquerade }}
"#,
        eal = eal_args_yaml("wf-it-frag"),
        api = dir.file("api.sock").display(),
        lan_in = dir.file("lan-in.pcap").display(),
        lan_out = dir.file("lan-out.pcap").display(),
        wan_in = dir.file("wan-in.pcap").display(),
        wan_out = dir.file("wan-out.pcap").display(),
    );
    Config::from_yaml_str(&yaml, "pcap_fragments.yaml")
        .unwrap_or_else(|e| panic!("expected the test configuration to be valid: {e}\n{yaml}"))
}

/// The fragments of `l4` (a whole UDP datagram) in IPv4 datagrams of at most `mtu` bytes,
/// as frames from the LAN host to the router.
fn fragment(l4: &[u8], ident: u16, mtu: usize) -> Vec<Vec<u8>> {
    let step = (mtu - ipv4::HEADER_LEN) / 8 * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < l4.len() {
        let end = (off + step).min(l4.len());
        let mut l3 = ipv4(
            HOST_IP,
            REMOTE_IP,
            ipv4::PROTO_UDP,
            64,
            ident,
            &l4[off..end],
        );
        let more = if end < l4.len() { 0x2000 } else { 0 };
        let flags_offset = more | (off / 8) as u16;
        l3[6..8].copy_from_slice(&flags_offset.to_be_bytes());
        let mut ip = Ipv4Packet::new_unchecked(&mut l3[..]);
        ip.fill_checksum();
        out.push(ethernet(LAN_MAC, HOST_MAC, ether::ETHERTYPE_IPV4, &l3));
        off = end;
    }
    out
}

#[test]
fn fragments_are_masqueraded_without_reassembly() {
    capture_log();
    let dir = TestDir::new("wf-it-frag");
    let cfg = config(&dir);
    let data = pattern(7, 3000 - 8);
    let l4 = udp(HOST_IP, REMOTE_IP, SPORT, DPORT, &data);
    let frags = fragment(&l4, IDENT, 1500);
    assert_eq!(frags.len(), 3);
    let stray = fragment(&l4, IDENT + 1, 1500).remove(1);
    let mut input = frags.clone();
    input.push(stray);
    write_pcap(&dir.file("lan-in.pcap"), &input);
    write_pcap(&dir.file("wan-in.pcap"), &[]);

    let report = run_router(&cfg, Duration::from_secs(2));
    let wan_out = read_pcap(&dir.file("wan-out.pcap"));
    let total = report.total();
    eprintln!(
        "report: {report:?}\ndrops: {:?}\nether1 sent:\n{}",
        nonzero_drops(&total),
        describe(&wan_out)
    );

    assert_eq!(
        wan_out.len(),
        3,
        "the three fragments, and not the stray one"
    );
    let mut whole = Vec::new();
    for (i, f) in wan_out.iter().enumerate() {
        let ip = ipv4_of(f).expect("IPv4");
        assert!(ip.verify_checksum(), "fragment {i}: IPv4 header checksum");
        assert_eq!(ip.src(), WAN_IP, "fragment {i}: masqueraded");
        assert_eq!(ip.dst(), REMOTE_IP);
        assert_eq!(ip.ident(), IDENT, "fragment {i}: identification kept");
        assert_eq!(ip.ttl(), 63);
        whole.extend_from_slice(ip.payload());
    }
    assert_eq!(whole.len(), l4.len(), "nothing lost or added");
    let u = UdpPacket::new_checked(&whole[..]).expect("UDP");
    assert_eq!((u.src_port(), u.dst_port()), (SPORT, DPORT), "port kept");
    assert!(
        u.verify_checksum(WAN_IP, REMOTE_IP),
        "the reassembled datagram's UDP checksum holds for the new source"
    );
    assert_eq!(u.payload(), &data[..]);
    assert_eq!(total.dropped(DropReason::Fragment), 1, "the stray fragment");
}
