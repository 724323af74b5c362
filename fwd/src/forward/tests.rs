//! The forwarding decision on frames built as bytes, against a hand-made snapshot.

use super::*;
use crate::counters::{DropReason, NO_COUNTER};
use crate::fib::{Lpm, Neighbour, Neighbours, Nexthop, PortView, Snapshot};
use crate::net::{Ipv4Prefix, MacAddr};
use crate::packet::ether::{self, EthernetFrame};
use crate::packet::ipv4::{Ipv4Packet, Ipv4Repr, PROTO_UDP};
use proptest::prelude::*;
use std::net::Ipv4Addr;
use std::sync::Arc;

const LAN: u16 = 0;
const WAN1: u16 = 1;
const WAN2: u16 = 2;
/// Disabled in the configuration.
const DOWN: u16 = 3;

const WAN2_MTU: u16 = 1400;

const fn port_mac(port: u16) -> MacAddr {
    MacAddr([0x02, 0, 0, 0, 0, port as u8 + 1])
}
const HOST_MAC: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 0x10]);
const GW_A_MAC: MacAddr = MacAddr([0x02, 0xbb, 0, 0, 0, 0x01]);
const GW_B_MAC: MacAddr = MacAddr([0x02, 0xcc, 0, 0, 0, 0x01]);
const OTHER_MAC: MacAddr = MacAddr([0x02, 0xdd, 0, 0, 0, 0x99]);

const ROUTER_LAN: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
const ROUTER_WAN1: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);
const LAN_BROADCAST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 255);
const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
/// On the LAN subnet, but not in the neighbour table.
const SILENT_HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 20);
const GW_A: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const GW_B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const GW_UNRESOLVED: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);
/// A destination of 10.1.0.0/16 (via gateway A).
const VIA_A: Ipv4Addr = Ipv4Addr::new(10, 1, 7, 7);
/// The /32 inside 10.1.0.0/16 that goes via gateway B.
const VIA_B_HOST: Ipv4Addr = Ipv4Addr::new(10, 1, 2, 3);
/// A destination of 10.2.0.0/16 (via gateway B, out of the small-MTU port).
const VIA_B: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 5);
const VIA_UNRESOLVED: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);
const VIA_DOWN: Ipv4Addr = Ipv4Addr::new(10, 3, 0, 1);
const NOWHERE: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);

const NH_LOCAL: u32 = 0;
const NH_LAN: u32 = 1;
const NH_GW_A: u32 = 2;
const NH_GW_B: u32 = 3;
const NH_GW_UNRESOLVED: u32 = 4;
const NH_DOWN: u32 = 5;

fn prefix(s: &str) -> Ipv4Prefix {
    s.parse().unwrap()
}

/// LAN 192.168.1.0/24 (host .10 known), WAN1 and WAN2 with gateways A and B, a disabled
/// port, and `extra` routes on top; no default route unless `extra` has one.
fn snapshot_with(extra: &[(&str, u32)]) -> Snapshot {
    let ports = vec![
        PortView {
            mac: port_mac(LAN),
            mtu: 1500,
            enabled: true,
            addr: 0,
        },
        PortView {
            mac: port_mac(WAN1),
            mtu: 1500,
            enabled: true,
            addr: 0,
        },
        PortView {
            mac: port_mac(WAN2),
            mtu: WAN2_MTU,
            enabled: true,
            addr: 0,
        },
        PortView {
            mac: port_mac(DOWN),
            mtu: 1500,
            enabled: false,
            addr: 0,
        },
    ];
    let nexthops = vec![
        Nexthop::Local,
        Nexthop::Connected { port: LAN },
        Nexthop::Gateway {
            port: WAN1,
            addr: GW_A.into(),
            mac: Some(GW_A_MAC),
        },
        Nexthop::Gateway {
            port: WAN2,
            addr: GW_B.into(),
            mac: Some(GW_B_MAC),
        },
        Nexthop::Gateway {
            port: WAN1,
            addr: GW_UNRESOLVED.into(),
            mac: None,
        },
        Nexthop::Gateway {
            port: DOWN,
            addr: u32::from(Ipv4Addr::new(192, 0, 2, 1)),
            mac: Some(OTHER_MAC),
        },
    ];
    let mut routes: Vec<(Ipv4Prefix, u32)> = [
        ("192.168.1.1/32", NH_LOCAL),
        ("192.168.1.255/32", NH_LOCAL),
        ("203.0.113.2/32", NH_LOCAL),
        ("192.168.1.0/24", NH_LAN),
        ("10.1.0.0/16", NH_GW_A),
        ("10.1.2.3/32", NH_GW_B),
        ("10.2.0.0/16", NH_GW_B),
        ("10.9.0.0/16", NH_GW_UNRESOLVED),
        ("10.3.0.0/16", NH_DOWN),
    ]
    .iter()
    .map(|&(p, v)| (prefix(p), v))
    .collect();
    routes.extend(extra.iter().map(|&(p, v)| (prefix(p), v)));
    let mut neighbours = Neighbours::default();
    neighbours.insert(
        HOST.into(),
        Neighbour {
            port: LAN,
            mac: HOST_MAC,
        },
    );
    Snapshot::direct(Lpm::build(&routes), nexthops, neighbours, ports)
}

fn snapshot() -> Snapshot {
    snapshot_with(&[])
}

/// An Ethernet + IPv4 frame as a host on the LAN sends it to the router.
#[derive(Clone)]
struct Frame {
    dst_mac: MacAddr,
    ethertype: u16,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    dont_frag: bool,
    payload_len: u16,
}

impl Frame {
    fn new(src: Ipv4Addr, dst: Ipv4Addr) -> Frame {
        Frame {
            dst_mac: port_mac(LAN),
            ethertype: ether::ETHERTYPE_IPV4,
            src,
            dst,
            ttl: 64,
            dont_frag: false,
            payload_len: 32,
        }
    }

    fn from_host(dst: Ipv4Addr) -> Frame {
        Frame::new(HOST, dst)
    }

    fn ttl(mut self, ttl: u8) -> Frame {
        self.ttl = ttl;
        self
    }

    fn build(&self) -> Vec<u8> {
        let repr = Ipv4Repr {
            src: self.src,
            dst: self.dst,
            protocol: PROTO_UDP,
            ttl: self.ttl,
            payload_len: self.payload_len,
            ident: 0x1234,
            dont_frag: self.dont_frag,
        };
        let mut buf = vec![0u8; ether::HEADER_LEN + repr.buffer_len()];
        let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
        eth.set_dst(self.dst_mac);
        eth.set_src(HOST_MAC);
        eth.set_ethertype(self.ethertype);
        let mut ip = Ipv4Packet::new_unchecked(eth.payload_mut());
        repr.emit(&mut ip);
        for (i, b) in ip.payload_mut().iter_mut().enumerate() {
            *b = i as u8 ^ 0x5a;
        }
        buf
    }
}

fn ip_of(frame: &[u8]) -> Ipv4Packet<&[u8]> {
    Ipv4Packet::new_checked(&frame[ether::HEADER_LEN..]).unwrap()
}

fn fwd(frame: &mut [u8], snap: &Snapshot) -> Verdict {
    forward(frame, LAN, None, &snap.tables())
}

/// Forwards a fresh copy of `f` from the LAN; returns the verdict and whether the frame was
/// left as it arrived.
fn fwd_unmodified(f: &Frame, snap: &Snapshot) -> (Verdict, bool) {
    let orig = f.build();
    let mut frame = orig.clone();
    let v = fwd(&mut frame, snap);
    (v, frame == orig)
}

// ---- forwarded ----

#[test]
fn gateway_route_forwards_out_its_port_with_ttl_decremented() {
    let snap = snapshot();
    let orig = Frame::from_host(VIA_A).build();
    let mut frame = orig.clone();
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
    assert_eq!(frame.len(), orig.len());
    let ip = ip_of(&frame);
    assert_eq!(ip.ttl(), 63);
    assert!(ip.verify_checksum(), "header checksum after TTL decrement");
    assert_eq!((ip.src(), ip.dst()), (HOST, VIA_A));
    let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(eth.dst(), GW_A_MAC);
    assert_eq!(eth.src(), port_mac(WAN1));
    assert_eq!(eth.ethertype(), ether::ETHERTYPE_IPV4);
    // Only the TTL and checksum bytes of the IP header change; the payload not at all.
    let l3 = ether::HEADER_LEN;
    for i in (l3..frame.len()).filter(|&i| ![l3 + 8, l3 + 10, l3 + 11].contains(&i)) {
        assert_eq!(frame[i], orig[i], "byte {i} changed");
    }
}

#[test]
fn connected_destination_uses_the_neighbour_mac() {
    let snap = snapshot();
    // From WAN1 to the LAN host.
    let mut f = Frame::new(Ipv4Addr::new(198, 18, 0, 1), HOST);
    f.dst_mac = port_mac(WAN1);
    let mut frame = f.build();
    assert_eq!(
        forward(&mut frame, WAN1, None, &snap.tables()),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(eth.dst(), HOST_MAC);
    assert_eq!(eth.src(), port_mac(LAN));
    assert_eq!(ip_of(&frame).ttl(), 63);
    assert!(ip_of(&frame).verify_checksum());
}

#[test]
fn longest_prefix_wins() {
    let snap = snapshot();
    let mut frame = Frame::from_host(VIA_B_HOST).build();
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN2,
            counter: NO_COUNTER
        }
    );
    assert_eq!(
        EthernetFrame::new_checked(&frame[..]).unwrap().dst(),
        GW_B_MAC
    );
    // Its neighbours in the /24 still go via A.
    for last in [2, 4] {
        let mut frame = Frame::from_host(Ipv4Addr::new(10, 1, 2, last)).build();
        assert_eq!(
            fwd(&mut frame, &snap),
            Verdict::Forward {
                port: WAN1,
                counter: NO_COUNTER
            }
        );
        assert_eq!(
            EthernetFrame::new_checked(&frame[..]).unwrap().dst(),
            GW_A_MAC
        );
    }
}

#[test]
fn ttl_two_is_forwarded_with_ttl_one() {
    let snap = snapshot();
    let mut frame = Frame::from_host(VIA_A).ttl(2).build();
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
    assert_eq!(ip_of(&frame).ttl(), 1);
    assert!(ip_of(&frame).verify_checksum());
}

#[test]
fn ethernet_padding_is_kept_and_ignored() {
    let snap = snapshot();
    let mut f = Frame::from_host(VIA_A);
    f.payload_len = 6;
    let mut frame = f.build();
    frame.resize(60, 0);
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
    assert_eq!(frame.len(), 60);
    assert!(ip_of(&frame).verify_checksum());
}

#[test]
fn header_with_options_is_forwarded_with_valid_checksum() {
    let snap = snapshot();
    let mut frame = Frame::from_host(VIA_A).build();
    // Grow the header by 4 bytes of NOP options in front of the payload.
    let l3 = ether::HEADER_LEN;
    frame.splice(l3 + 20..l3 + 20, [1u8, 1, 1, 1]);
    let mut ip = Ipv4Packet::new_unchecked(&mut frame[l3..]);
    ip.set_header_len(24);
    ip.set_total_len(24 + 32);
    ip.fill_checksum();
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
    let ip = ip_of(&frame);
    assert_eq!((ip.ttl(), ip.header_len()), (63, 24));
    assert!(ip.verify_checksum());
}

#[test]
fn packet_exactly_at_the_mtu_is_forwarded() {
    let snap = snapshot();
    let mut f = Frame::from_host(VIA_B);
    f.payload_len = WAN2_MTU - 20;
    f.dont_frag = true;
    let mut frame = f.build();
    assert_eq!(
        fwd(&mut frame, &snap),
        Verdict::Forward {
            port: WAN2,
            counter: NO_COUNTER
        }
    );
}

// ---- punted ----

#[test]
fn missing_neighbour_on_connected_subnet_punts_unmodified() {
    let snap = snapshot();
    let mut f = Frame::new(Ipv4Addr::new(198, 18, 0, 1), SILENT_HOST);
    f.dst_mac = port_mac(WAN1);
    let orig = f.build();
    let mut frame = orig.clone();
    assert_eq!(
        forward(&mut frame, WAN1, None, &snap.tables()),
        Verdict::Punt(Punt::NoNeighbour {
            port: LAN,
            addr: SILENT_HOST.into()
        })
    );
    assert_eq!(
        frame, orig,
        "a punted frame is re-run later: it must not change"
    );
}

#[test]
fn unresolved_gateway_punts_for_the_gateway_address_unmodified() {
    let (v, unmodified) = fwd_unmodified(&Frame::from_host(VIA_UNRESOLVED), &snapshot());
    assert_eq!(
        v,
        Verdict::Punt(Punt::NoNeighbour {
            port: WAN1,
            addr: GW_UNRESOLVED.into()
        })
    );
    assert!(unmodified);
}

#[test]
fn ttl_one_and_zero_punt_time_exceeded_unmodified() {
    let snap = snapshot();
    for ttl in [1, 0] {
        for dst in [VIA_A, HOST] {
            let (v, unmodified) = fwd_unmodified(&Frame::from_host(dst).ttl(ttl), &snap);
            assert_eq!(v, Verdict::Punt(Punt::TtlExceeded), "TTL {ttl} to {dst}");
            assert!(unmodified, "TTL {ttl} to {dst}");
        }
    }
}

#[test]
fn ttl_one_with_unresolved_next_hop_still_punts_time_exceeded() {
    let (v, unmodified) = fwd_unmodified(&Frame::from_host(VIA_UNRESOLVED).ttl(1), &snapshot());
    assert_eq!(v, Verdict::Punt(Punt::TtlExceeded));
    assert!(unmodified);
}

#[test]
fn own_address_punts_local_even_with_ttl_one() {
    let snap = snapshot();
    for dst in [ROUTER_LAN, ROUTER_WAN1, LAN_BROADCAST] {
        for ttl in [64, 1] {
            let (v, unmodified) = fwd_unmodified(&Frame::from_host(dst).ttl(ttl), &snap);
            assert_eq!(v, Verdict::Punt(Punt::Local), "{dst} TTL {ttl}");
            assert!(unmodified);
        }
    }
}

#[test]
fn arp_is_punted() {
    let mut f = Frame::from_host(ROUTER_LAN);
    f.ethertype = ether::ETHERTYPE_ARP;
    f.dst_mac = MacAddr::BROADCAST;
    let (v, _) = fwd_unmodified(&f, &snapshot());
    assert_eq!(v, Verdict::Punt(Punt::Arp));
}

#[test]
fn no_route_punts_no_route() {
    let (v, unmodified) = fwd_unmodified(&Frame::from_host(NOWHERE), &snapshot());
    assert_eq!(v, Verdict::Punt(Punt::NoRoute));
    assert!(unmodified);
}

#[test]
fn too_big_with_df_punts_frag_needed_with_the_out_mtu() {
    let mut f = Frame::from_host(VIA_B);
    f.payload_len = WAN2_MTU - 20 + 1;
    f.dont_frag = true;
    let (v, unmodified) = fwd_unmodified(&f, &snapshot());
    assert_eq!(v, Verdict::Punt(Punt::FragNeeded { mtu: WAN2_MTU }));
    assert!(unmodified);
}

// ---- dropped ----

#[test]
fn too_big_without_df_is_rewritten_and_punted_to_be_fragmented() {
    let mut f = Frame::from_host(VIA_B);
    f.payload_len = WAN2_MTU - 20 + 1;
    let (v, unmodified) = fwd_unmodified(&f, &snapshot());
    assert!(matches!(v, Verdict::Punt(Punt::Fragment { .. })), "{v:?}");
    assert!(
        !unmodified,
        "TTL and MACs rewritten before the control core cuts it"
    );
}

#[test]
fn other_ethertypes_are_not_ipv4() {
    for ethertype in [0x86dd, ether::ETHERTYPE_VLAN, 0x88a8, 0x8847, 0x0000] {
        let mut f = Frame::from_host(VIA_A);
        f.ethertype = ethertype;
        let (v, unmodified) = fwd_unmodified(&f, &snapshot());
        assert_eq!(v, Verdict::Drop(DropReason::NotIpv4), "{ethertype:#06x}");
        assert!(unmodified);
    }
}

#[test]
fn frame_for_another_mac_or_broadcast_is_not_for_us() {
    let snap = snapshot();
    let multicast = MacAddr([0x01, 0x00, 0x5e, 0, 0, 1]);
    // WAN1's MAC arriving on the LAN port is not ours either.
    for mac in [OTHER_MAC, MacAddr::BROADCAST, multicast, port_mac(WAN1)] {
        let mut f = Frame::from_host(VIA_A);
        f.dst_mac = mac;
        let (v, unmodified) = fwd_unmodified(&f, &snap);
        assert_eq!(v, Verdict::Drop(DropReason::NotForUs), "{mac}");
        assert!(unmodified);
    }
}

#[test]
fn bad_header_checksum_is_dropped() {
    let mut frame = Frame::from_host(VIA_A).build();
    frame[ether::HEADER_LEN + 10] ^= 0x01;
    assert_eq!(
        fwd(&mut frame, &snapshot()),
        Verdict::Drop(DropReason::BadChecksum)
    );
}

#[test]
fn hardware_checksum_verdict_replaces_the_software_check() {
    let snap = snapshot();
    let mut bad = Frame::from_host(VIA_A).build();
    bad[ether::HEADER_LEN + 10] ^= 0x01;
    assert_eq!(
        forward(&mut bad.clone(), LAN, Some(true), &snap.tables()),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        },
        "the device said the checksum is good: no software check"
    );
    let mut good = Frame::from_host(VIA_A).build();
    assert_eq!(
        forward(&mut good, LAN, Some(false), &snap.tables()),
        Verdict::Drop(DropReason::BadChecksum)
    );
}

#[test]
fn every_truncation_is_malformed_never_a_panic() {
    let snap = snapshot();
    let full = Frame::from_host(VIA_A).build();
    for n in 0..full.len() {
        let mut frame = full[..n].to_vec();
        let v = fwd(&mut frame, &snap);
        assert!(
            matches!(
                v,
                Verdict::Drop(DropReason::Malformed) | Verdict::Drop(DropReason::NotIpv4)
            ),
            "{n} bytes: {v:?}"
        );
    }
}

#[test]
fn header_fields_that_do_not_fit_are_malformed() {
    let snap = snapshot();
    let cases: [(usize, u8); 5] = [
        (0, 0x65), // version 6 in an IPv4 frame
        (0, 0x44), // IHL below 5
        (0, 0x4f), // 60-byte header in a 52-byte datagram
        (3, 19),   // total length below the header
        (3, 53),   // total length past the frame
    ];
    for (at, value) in cases {
        let mut frame = Frame::from_host(VIA_A).build();
        frame[ether::HEADER_LEN + at] = value;
        assert_eq!(
            fwd(&mut frame, &snap),
            Verdict::Drop(DropReason::Malformed),
            "byte {at} = {value:#x}"
        );
    }
}

#[test]
fn martian_sources_are_dropped() {
    let snap = snapshot();
    let martians = [
        Ipv4Addr::new(0, 0, 0, 0),
        Ipv4Addr::new(0, 1, 2, 3),
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(224, 0, 0, 5),
        Ipv4Addr::new(239, 255, 255, 250),
        Ipv4Addr::new(240, 0, 0, 1),
        Ipv4Addr::BROADCAST,
    ];
    for src in martians {
        let (v, _) = fwd_unmodified(&Frame::new(src, VIA_A), &snap);
        assert_eq!(v, Verdict::Drop(DropReason::Martian), "source {src}");
    }
    // The edges of those blocks are ordinary sources.
    for src in [Ipv4Addr::new(1, 0, 0, 1), Ipv4Addr::new(126, 255, 255, 254)] {
        let (v, _) = fwd_unmodified(&Frame::new(src, VIA_A), &snap);
        assert_eq!(
            v,
            Verdict::Forward {
                port: WAN1,
                counter: NO_COUNTER
            },
            "source {src}"
        );
    }
}

#[test]
fn disabled_in_port_is_interface_down() {
    let snap = snapshot();
    let mut f = Frame::from_host(VIA_A);
    f.dst_mac = port_mac(DOWN);
    let mut frame = f.build();
    assert_eq!(
        forward(&mut frame, DOWN, None, &snap.tables()),
        Verdict::Drop(DropReason::InterfaceDown)
    );
    // A port the snapshot does not know at all.
    assert_eq!(
        forward(&mut frame, 42, None, &snap.tables()),
        Verdict::Drop(DropReason::InterfaceDown)
    );
}

#[test]
fn disabled_out_port_is_interface_down() {
    let (v, unmodified) = fwd_unmodified(&Frame::from_host(VIA_DOWN), &snapshot());
    assert_eq!(v, Verdict::Drop(DropReason::InterfaceDown));
    assert!(unmodified);
}

#[test]

fn limited_broadcast_destination_is_never_forwarded() {
    let snap = snapshot_with(&[("0.0.0.0/0", NH_GW_A)]);
    let (v, _) = fwd_unmodified(&Frame::from_host(Ipv4Addr::BROADCAST), &snap);
    assert!(!matches!(v, Verdict::Forward { .. }), "{v:?}");
}

#[test]

fn martian_destinations_are_not_forwarded() {
    let snap = snapshot_with(&[("0.0.0.0/0", NH_GW_A)]);
    for dst in [
        Ipv4Addr::new(0, 0, 0, 1),
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(224, 0, 0, 5),
    ] {
        let (v, _) = fwd_unmodified(&Frame::from_host(dst), &snap);
        assert!(!matches!(v, Verdict::Forward { .. }), "{dst}: {v:?}");
    }
}

#[test]

fn connected_destination_ignores_a_neighbour_on_another_port() {
    let mut snap = snapshot();
    let mut neighbours = (*snap.neighbours).clone();
    neighbours.insert(
        SILENT_HOST.into(),
        Neighbour {
            port: WAN1,
            mac: OTHER_MAC,
        },
    );
    snap.neighbours = Arc::new(neighbours);
    let (v, _) = fwd_unmodified(&Frame::from_host(SILENT_HOST), &snap);
    assert_eq!(
        v,
        Verdict::Punt(Punt::NoNeighbour {
            port: LAN,
            addr: SILENT_HOST.into()
        })
    );
}

proptest! {
    #[test]
    fn random_bytes_for_our_mac_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        ethertype in prop_oneof![Just(ether::ETHERTYPE_IPV4), Just(ether::ETHERTYPE_ARP), any::<u16>()],
        in_port in 0u16..5,
        hw in prop_oneof![Just(None), Just(Some(true)), Just(Some(false))],
    ) {
        let mut frame = vec![0u8; ether::HEADER_LEN];
        let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
        eth.set_dst(port_mac(in_port));
        eth.set_src(HOST_MAC);
        eth.set_ethertype(ethertype);
        frame.extend_from_slice(&body);
        let _ = forward(&mut frame, in_port, hw, &snapshot().tables());
    }

    #[test]
    fn plausible_ipv4_headers_never_panic_and_forward_correctly(
        mut body in proptest::collection::vec(any::<u8>(), 20..200),
        cut in 0usize..200,
    ) {
        // Version 4, IHL 5, a total length within the buffer and a right checksum: the
        // verdict then depends on addresses, TTL and flags only.
        let snap = snapshot_with(&[("0.0.0.0/0", NH_GW_A)]);
        body[0] = 0x45;
        let total = (20 + cut % (body.len() - 19)) as u16;
        body[2..4].copy_from_slice(&total.to_be_bytes());
        Ipv4Packet::new_unchecked(&mut body[..]).fill_checksum();
        let mut frame = Frame::from_host(VIA_A).build()[..ether::HEADER_LEN].to_vec();
        frame.extend_from_slice(&body);
        let before = frame.clone();
        let v = forward(&mut frame, LAN, None, &snap.tables());
        if let Verdict::Forward { .. } = v {
            let ip = ip_of(&frame);
            prop_assert!(ip.verify_checksum());
            prop_assert_eq!(ip.ttl(), ip_of(&before).ttl() - 1);
            prop_assert_eq!(&frame[ether::HEADER_LEN + 20..], &before[ether::HEADER_LEN + 20..]);
        } else {
            prop_assert_eq!(frame, before);
        }
    }
}

// ---- output ----

/// A frame the router builds itself: Ethernet addresses and type left zero.
fn local_frame(dst: Ipv4Addr, ttl: u8) -> Vec<u8> {
    let mut f = Frame::new(ROUTER_WAN1, dst).ttl(ttl);
    f.dst_mac = MacAddr::ZERO;
    f.ethertype = 0;
    let mut frame = f.build();
    frame[..ether::HEADER_LEN].fill(0);
    frame
}

#[test]
fn output_routes_and_fills_macs_without_touching_ttl() {
    let snap = snapshot();
    let orig = local_frame(VIA_A, 64);
    let mut frame = orig.clone();
    assert_eq!(
        output(&mut frame, &snap.tables()),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
    let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!(eth.dst(), GW_A_MAC);
    assert_eq!(eth.src(), port_mac(WAN1));
    assert_eq!(eth.ethertype(), ether::ETHERTYPE_IPV4);
    assert_eq!(&frame[ether::HEADER_LEN..], &orig[ether::HEADER_LEN..]);
}

#[test]
fn output_with_ttl_one_is_still_sent() {
    // A traceroute reply or held packet is not a transit packet: no TTL check.
    let mut frame = local_frame(HOST, 1);
    assert_eq!(
        output(&mut frame, &snapshot().tables()),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    assert_eq!(
        EthernetFrame::new_checked(&frame[..]).unwrap().dst(),
        HOST_MAC
    );
    assert_eq!(ip_of(&frame).ttl(), 1);
}

#[test]
fn output_without_neighbour_or_route_punts() {
    let snap = snapshot();
    let orig = local_frame(SILENT_HOST, 64);
    let mut frame = orig.clone();
    assert_eq!(
        output(&mut frame, &snap.tables()),
        Verdict::Punt(Punt::NoNeighbour {
            port: LAN,
            addr: SILENT_HOST.into()
        })
    );
    assert_eq!(frame, orig);
    assert_eq!(
        output(&mut local_frame(NOWHERE, 64), &snap.tables()),
        Verdict::Punt(Punt::NoRoute)
    );
}

#[test]
fn output_to_own_address_or_down_port_is_dropped() {
    let snap = snapshot();
    assert_eq!(
        output(&mut local_frame(ROUTER_LAN, 64), &snap.tables()),
        Verdict::Drop(DropReason::LocalUnhandled)
    );
    assert_eq!(
        output(&mut local_frame(VIA_DOWN, 64), &snap.tables()),
        Verdict::Drop(DropReason::InterfaceDown)
    );
}

#[test]
fn output_of_a_truncated_frame_is_malformed() {
    let snap = snapshot();
    let full = local_frame(VIA_A, 64);
    for n in 0..full.len() {
        assert_eq!(
            output(&mut full[..n].to_vec(), &snap.tables()),
            Verdict::Drop(DropReason::Malformed),
            "{n} bytes"
        );
    }
}

// ---- route counters ----

/// `snapshot()` with route counters: main's traffic through adjacency `a` under id 100 + a.
fn snapshot_counted() -> Snapshot {
    let mut snap = snapshot();
    let fwd = (*snap.fwd).clone();
    let ids: Vec<u16> = (0..fwd.adjacencies.len() as u16).map(|a| 100 + a).collect();
    snap.fwd = Arc::new(fwd.with_counters(ids, 200));
    snap
}

#[test]
fn forwarded_packets_carry_their_route_counter_on_both_paths() {
    let snap = snapshot_counted();
    let t = snap.tables();
    assert_eq!(t.route_ids, 200);
    for (dst, port, nh) in [
        (VIA_A, WAN1, NH_GW_A),
        (VIA_B, WAN2, NH_GW_B),
        (HOST, LAN, NH_LAN),
    ] {
        let want = Verdict::Forward {
            port,
            counter: 100 + nh as u16,
        };
        let mut fast = Frame::from_host(dst).build();
        assert_eq!(fwd(&mut fast, &snap), want, "{dst}");
        let mut slow = Frame::from_host(dst).build();
        assert_eq!(
            slow_path(&mut slow, LAN, None, &t),
            want,
            "{dst}, general path"
        );
        assert_eq!(fast, slow);
    }
    // Without counters (a snapshot built by hand), nothing is counted.
    let mut f = Frame::from_host(VIA_A).build();
    assert_eq!(
        fwd(&mut f, &snapshot()),
        Verdict::Forward {
            port: WAN1,
            counter: NO_COUNTER
        }
    );
}
