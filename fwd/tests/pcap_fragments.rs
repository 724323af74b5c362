//! DPDK integration test: fragments through connection tracking and masquerade, on
//! `net_pcap` ports (the namespace testbed cannot show this: its `net_af_packet` devices
//! have the kernel reassemble fragments before the router sees them).
//!
//! `ether1` has an MTU of 1280. The LAN host sends:
//! - a UDP datagram of 3000 bytes in three fragments (1500, 1500, 68 bytes), first fragment
//!   first: out of `ether1` come its pieces, the two big fragments cut again to fit 1280, each
//!   with the WAN address as source (masquerade), the first with its source port kept and
//!   its UDP checksum updated, so that the reassembled datagram checks;
//! - a later fragment of a datagram whose first fragment never came: dropped, counted as
//!   `fragment`;
//! - a whole 1400-byte UDP datagram with DF clear: fragmented (two pieces), masqueraded;
//! - the same with DF set: not sent, ICMP fragmentation-needed (MTU 1280) back to the host;
//! - the same with IP options (router alert, record route), DF clear: two pieces, the first
//!   with both options, the second with the router alert only (the copied one, RFC 791).

mod common;

use common::*;
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::packet::ether;
use wanfwd::packet::ipv4::{self, Ipv4Packet};
use wanfwd::packet::udp::UdpPacket;

const SPORT: u16 = 40_123;
const DPORT: u16 = 5353;
const IDENT: u16 = 0x5151;
const WHOLE_SPORT: u16 = 40_200;
const WHOLE_IDENT: u16 = 0x6161;
const DF_IDENT: u16 = 0x7171;
const OPT_IDENT: u16 = 0x8181;
/// Router alert (copied into every fragment), then record route (first fragment only).
const ROUTER_ALERT: [u8; 4] = [0x94, 4, 0, 0];
const OPTIONS: [u8; 12] = [0x94, 4, 0, 0, 0x07, 7, 4, 0, 0, 0, 0, 0];
const MTU: usize = 1280;

fn config(dir: &TestDir) -> Config {
    pcap_config(
        dir,
        "wf-it-frag",
        &[
            ("bridge", "lan", r#"mac-address: "02:00:00:00:00:01""#),
            (
                "ether1",
                "wan",
                r#"mac-address: "02:00:00:00:00:02", mtu: 1280"#,
            ),
        ],
        LAN_WAN_MASQUERADE,
    )
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

/// The datagrams in `frames` (IPv4 in Ethernet) with identification `ident`, reassembled by
/// offset: their payload, and how many pieces.
fn reassemble(frames: &[Vec<u8>], ident: u16) -> (Vec<u8>, usize) {
    let mut pieces: Vec<(usize, Vec<u8>)> = frames
        .iter()
        .filter_map(|f| Some((f, ipv4_of(f)?)))
        .filter(|(_, ip)| ip.ident() == ident)
        .map(|(f, ip)| {
            let flags = u16::from_be_bytes([f[14 + 6], f[14 + 7]]);
            (usize::from(flags & 0x1fff) * 8, ip.payload().to_vec())
        })
        .collect();
    pieces.sort_by_key(|p| p.0);
    let n = pieces.len();
    let mut whole = Vec::new();
    for (off, data) in pieces {
        assert_eq!(
            off,
            whole.len(),
            "pieces of {ident:#x} neither overlap nor leave holes"
        );
        whole.extend_from_slice(&data);
    }
    (whole, n)
}

/// A whole UDP datagram from the LAN host, DF as asked.
fn whole(ident: u16, dont_frag: bool, data: &[u8]) -> Vec<u8> {
    let l4 = udp(HOST_IP, REMOTE_IP, WHOLE_SPORT, DPORT, data);
    let mut l3 = ipv4(HOST_IP, REMOTE_IP, ipv4::PROTO_UDP, 64, ident, &l4);
    if dont_frag {
        l3[6] |= 0x40;
        Ipv4Packet::new_unchecked(&mut l3[..]).fill_checksum();
    }
    ethernet(LAN_MAC, HOST_MAC, ether::ETHERTYPE_IPV4, &l3)
}

/// [`whole`] with [`OPTIONS`] in its IPv4 header (DF clear).
fn with_options(ident: u16, data: &[u8]) -> Vec<u8> {
    let mut f = whole(ident, false, data);
    f.splice(14 + 20..14 + 20, OPTIONS);
    let l3 = &mut f[14..];
    l3[0] = 0x40 | ((20 + OPTIONS.len()) / 4) as u8;
    let total = u16::from_be_bytes([l3[2], l3[3]]) + OPTIONS.len() as u16;
    l3[2..4].copy_from_slice(&total.to_be_bytes());
    let mut ip = Ipv4Packet::new_unchecked(l3);
    ip.fill_checksum();
    f
}

#[test]
fn fragments_are_masqueraded_without_reassembly_and_big_packets_fragmented() {
    capture_log();
    let dir = TestDir::new("wf-it-frag");
    let cfg = config(&dir);
    let data = pattern(7, 3000 - 8);
    let l4 = udp(HOST_IP, REMOTE_IP, SPORT, DPORT, &data);
    let frags = fragment(&l4, IDENT, 1500);
    assert_eq!(frags.len(), 3);
    let stray = fragment(&l4, IDENT + 1, 1500).remove(1);
    let small = pattern(9, 1400 - 28);
    let mut input = frags.clone();
    input.push(stray);
    input.push(whole(WHOLE_IDENT, false, &small));
    input.push(whole(DF_IDENT, true, &small));
    input.push(with_options(OPT_IDENT, &small));
    let LanToWan {
        total,
        wan_out,
        lan_out,
    } = run_lan_to_wan(&dir, &cfg, &input);

    for (i, f) in wan_out.iter().enumerate() {
        let ip = ipv4_of(f).expect("IPv4");
        assert!(usize::from(ip.total_len()) <= MTU, "frame {i} fits the MTU");
        assert!(ip.verify_checksum(), "frame {i}: IPv4 header checksum");
        assert_eq!(ip.src(), WAN_IP, "frame {i}: masqueraded");
        assert_eq!(ip.dst(), REMOTE_IP);
        assert_eq!(ip.ttl(), 63);
        assert_eq!(&f[..6], &GW_MAC.0, "frame {i}: to the gateway");
    }
    let (payload, n) = reassemble(&wan_out, IDENT);
    assert_eq!(n, 5, "1500 -> 2, 1500 -> 2, 68 -> 1");
    assert_eq!(payload.len(), l4.len(), "nothing lost or added");
    let u = UdpPacket::new_checked(&payload[..]).expect("UDP");
    assert_eq!((u.src_port(), u.dst_port()), (SPORT, DPORT), "port kept");
    assert!(
        u.verify_checksum(WAN_IP, REMOTE_IP),
        "the reassembled datagram's UDP checksum holds for the new source"
    );
    assert_eq!(u.payload(), &data[..]);

    let (payload, n) = reassemble(&wan_out, WHOLE_IDENT);
    assert_eq!(n, 2, "a 1400-byte datagram in two pieces");
    let u = UdpPacket::new_checked(&payload[..]).expect("UDP");
    assert!(u.verify_checksum(WAN_IP, REMOTE_IP));
    assert_eq!(u.payload(), &small[..]);

    assert_eq!(reassemble(&wan_out, DF_IDENT).1, 0, "DF set: not sent");
    assert!(
        lan_out
            .iter()
            .any(|f| icmp_type_of(f) == Some((3, 4)) && f[14 + 20 + 6..14 + 20 + 8] == [5, 0]),
        "ICMP fragmentation-needed with next-hop MTU 1280 back to the host"
    );
    // RFC 791: every option in the first piece, only the copied router alert in the other.
    let (payload, n) = reassemble(&wan_out, OPT_IDENT);
    assert_eq!(n, 2, "a 1412-byte datagram with options in two pieces");
    let u = UdpPacket::new_checked(&payload[..]).expect("UDP");
    assert!(u.verify_checksum(WAN_IP, REMOTE_IP), "masqueraded");
    assert_eq!(u.payload(), &small[..]);
    let opts: Vec<&[u8]> = wan_out
        .iter()
        .filter(|f| ipv4_of(f).is_some_and(|ip| ip.ident() == OPT_IDENT))
        .map(|f| &f[14 + 20..14 + usize::from(f[14] & 0xf) * 4])
        .collect();
    assert_eq!(opts, [&OPTIONS[..], &ROUTER_ALERT[..]], "options per piece");
    assert_eq!(
        wan_out.len(),
        9,
        "5 + 2 + 2 pieces, and not the stray fragment"
    );
    assert_eq!(total.dropped(DropReason::Fragment), 1, "the stray fragment");
}
