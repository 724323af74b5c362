//! Tests across layers: a captured frame parsed the way the forwarding path does, and
//! arbitrary bytes fed to every view to show that no accessor panics once `check_len` passed.

use std::hint::black_box;
use std::net::Ipv4Addr;

use proptest::prelude::*;

use super::arp::ArpPacket;
use super::ether::{self, EthernetFrame};
use super::icmp::{self, IcmpPacket};
use super::ipv4::{self, Ipv4Packet, Ipv4Repr};
use super::tcp::TcpPacket;
use super::udp::UdpPacket;
use crate::net::MacAddr;

/// Captured ping request frame 192.0.2.1 -> 192.0.2.2 (ee:61:91:03:55:69 -> 96:ae:ff:e6:65:c3).
const PING_FRAME: [u8; 66] = [
    0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x34, 0x68, 0xe2, 0x40, 0x00, 0x40, 0x01, 0x4d, 0xe3, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00,
    0x02, 0x02, 0x08, 0x00, 0x46, 0xb1, 0x1c, 0x3b, 0x00, 0x01, 0x5b, 0x19, 0x07, 0x6b, 0x00, 0x00,
    0x00, 0x00, 0xd5, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x57, 0x46, 0x57, 0x46, 0x57, 0x46,
    0x57, 0x46,
];

/// Captured TCP SYN frame 192.0.2.1:48980 -> 192.0.2.2:8291.
const SYN_FRAME: [u8; 74] = [
    0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x3c, 0xc2, 0x39, 0x40, 0x00, 0x40, 0x06, 0xf4, 0x7e, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00,
    0x02, 0x02, 0xbf, 0x54, 0x20, 0x63, 0x3c, 0xf1, 0xfe, 0xa8, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x84, 0x32, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xe8, 0x0b,
    0xe9, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
];

/// Captured ARP request frame; a veth hands it over unpadded, 42 bytes.
const ARP_FRAME: [u8; 42] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0x08, 0x06, 0x00, 0x01,
    0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0xc0, 0x00, 0x02, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,
];

const ROUTER_MAC: MacAddr = MacAddr([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
const NEXTHOP_MAC: MacAddr = MacAddr([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02]);

#[test]
fn forward_ping() {
    // What the fast path does to a transit packet: check, decrement TTL, rewrite MACs.
    let mut buf = PING_FRAME;
    let mut frame = EthernetFrame::new_checked(&mut buf[..]).unwrap();
    assert_eq!(frame.ethertype(), ether::ETHERTYPE_IPV4);
    let mut ip = Ipv4Packet::new_checked(frame.payload_mut()).unwrap();
    assert!(ip.verify_checksum() && ip.ttl() > 1 && !ip.is_fragment());
    assert_eq!(ip.dst_u32(), 0xc000_0202);
    ip.decrement_ttl();
    frame.set_src(ROUTER_MAC);
    frame.set_dst(NEXTHOP_MAC);

    let frame = EthernetFrame::new_checked(&buf[..]).unwrap();
    let ip = Ipv4Packet::new_checked(frame.payload()).unwrap();
    assert_eq!(ip.ttl(), 63);
    assert!(ip.verify_checksum());
    let echo = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert_eq!(echo.msg_type(), icmp::TYPE_ECHO_REQUEST);
    assert!(echo.verify_checksum());
    assert_eq!(&buf[14 + 20..], &PING_FRAME[14 + 20..]);
}

#[test]
fn time_exceeded_for_syn() {
    // What the control core builds when the SYN arrives with TTL 1 (RFC 1812 4.3.2.3).
    let router = Ipv4Addr::new(198, 51, 100, 1);
    let frame = EthernetFrame::new_checked(&SYN_FRAME[..]).unwrap();
    let offending = Ipv4Packet::new_checked(frame.payload()).unwrap();

    let mut out = [0u8; ether::HEADER_LEN + 576];
    let mut reply = EthernetFrame::new_unchecked(&mut out[..]);
    reply.set_dst(frame.src());
    reply.set_src(ROUTER_MAC);
    reply.set_ethertype(ether::ETHERTYPE_IPV4);
    let ip_buf = &mut reply.payload_mut()[..];
    let icmp_len = icmp::emit_error(
        &mut ip_buf[ipv4::HEADER_LEN..],
        icmp::TYPE_TIME_EXCEEDED,
        icmp::CODE_TTL_EXCEEDED,
        0,
        &frame.payload()[..usize::from(offending.total_len())],
    );
    let repr = Ipv4Repr {
        src: router,
        dst: offending.src(),
        protocol: ipv4::PROTO_ICMP,
        ttl: 64,
        payload_len: icmp_len as u16,
        ident: 0,
        dont_frag: false,
    };
    let mut ip = Ipv4Packet::new_unchecked(&mut ip_buf[..]);
    repr.emit(&mut ip);
    ip.set_dscp_ecn(ipv4::DSCP_ECN_INTERNETWORK_CONTROL);
    ip.fill_checksum();
    let frame_len = ether::HEADER_LEN + repr.buffer_len();

    let frame = EthernetFrame::new_checked(&out[..frame_len]).unwrap();
    let ip = Ipv4Packet::new_checked(frame.payload()).unwrap();
    assert!(ip.verify_checksum());
    assert_eq!(ip.dscp_ecn(), 0xc0);
    assert_eq!(ip.dst(), Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(usize::from(ip.total_len()), 20 + 8 + 60);
    let err = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert!(err.verify_checksum());
    assert_eq!(err.msg_type(), icmp::TYPE_TIME_EXCEEDED);
    let quoted = Ipv4Packet::new_checked(err.data()).unwrap();
    let tcp = TcpPacket::new_checked(quoted.payload()).unwrap();
    assert_eq!(tcp.dst_port(), 8291);
}

#[test]
fn port_unreachable_matches_linux() {
    // Linux's answer to a UDP datagram for a closed port, IP header on; rebuilt byte for byte.
    let linux: [u8; 62] = [
        0x45, 0xc0, 0x00, 0x3e, 0x12, 0x5f, 0x00, 0x00, 0x40, 0x01, 0xe3, 0x9c, 0xc0, 0x00, 0x02,
        0x02, 0xc0, 0x00, 0x02, 0x01, 0x03, 0x03, 0x34, 0x17, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
        0x00, 0x22, 0x71, 0xbb, 0x40, 0x00, 0x40, 0x11, 0x45, 0x0c, 0xc0, 0x00, 0x02, 0x01, 0xc0,
        0x00, 0x02, 0x02, 0xe7, 0x52, 0x00, 0x35, 0x00, 0x0e, 0x84, 0x23, 0x77, 0x61, 0x6e, 0x66,
        0x77, 0x64,
    ];
    let mut out = [0u8; 576];
    let icmp_len = icmp::emit_error(
        &mut out[ipv4::HEADER_LEN..],
        icmp::TYPE_DEST_UNREACHABLE,
        icmp::CODE_PORT_UNREACHABLE,
        0,
        &linux[28..],
    );
    let repr = Ipv4Repr {
        src: Ipv4Addr::new(192, 0, 2, 2),
        dst: Ipv4Addr::new(192, 0, 2, 1),
        protocol: ipv4::PROTO_ICMP,
        ttl: 64,
        payload_len: icmp_len as u16,
        ident: 0x125f,
        dont_frag: false,
    };
    let mut ip = Ipv4Packet::new_unchecked(&mut out[..]);
    repr.emit(&mut ip);
    ip.set_dscp_ecn(ipv4::DSCP_ECN_INTERNETWORK_CONTROL);
    ip.fill_checksum();
    assert_eq!(out[..repr.buffer_len()], linux);
}

/// Calls every getter, then every setter that leaves lengths alone, on whatever `check_len`
/// accepted, descending into the payloads the way the packet path does.
fn exercise(bytes: &[u8]) {
    let mut buf = bytes.to_vec();
    if let Ok(mut f) = EthernetFrame::new_checked(&mut buf[..]) {
        black_box((f.dst(), f.src(), f.ethertype(), f.payload().len()));
        f.set_src(ROUTER_MAC);
        exercise_ip(f.payload_mut());
        exercise_arp(f.payload_mut());
    }
    exercise_ip(&mut bytes.to_vec());
    exercise_arp(&mut bytes.to_vec());
    exercise_l4(
        &mut bytes.to_vec(),
        Ipv4Addr::LOCALHOST,
        Ipv4Addr::BROADCAST,
    );
}

fn exercise_arp(buf: &mut [u8]) {
    if let Ok(mut p) = ArpPacket::new_checked(buf) {
        black_box((
            p.hardware_type(),
            p.protocol_type(),
            p.hardware_len(),
            p.protocol_len(),
        ));
        black_box((
            p.is_ethernet_ipv4(),
            p.operation(),
            p.sender_mac(),
            p.sender_ip(),
        ));
        black_box((p.target_mac(), p.target_ip()));
        if let Ok(repr) = super::arp::ArpRepr::parse(&p) {
            repr.emit(&mut p);
        }
    }
}

fn exercise_ip(buf: &mut [u8]) {
    let Ok(mut p) = Ipv4Packet::new_checked(buf) else {
        return;
    };
    black_box((
        p.version(),
        p.header_len(),
        p.dscp_ecn(),
        p.total_len(),
        p.ident(),
    ));
    black_box((
        p.dont_frag(),
        p.more_frags(),
        p.frag_offset(),
        p.is_fragment(),
    ));
    black_box((p.ttl(), p.protocol(), p.checksum(), p.src(), p.dst()));
    black_box((
        p.src_u32(),
        p.dst_u32(),
        p.options().len(),
        p.payload().len(),
    ));
    black_box(p.verify_checksum());
    p.decrement_ttl();
    p.fill_checksum();
    p.set_dst(Ipv4Addr::BROADCAST);
    let (src, dst) = (p.src(), p.dst());
    exercise_l4(p.payload_mut(), src, dst);
}

fn exercise_l4(buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) {
    if let Ok(mut p) = IcmpPacket::new_checked(&mut buf[..]) {
        black_box((
            p.msg_type(),
            p.code(),
            p.checksum(),
            p.echo_ident(),
            p.echo_seq_no(),
        ));
        black_box((p.rest_of_header(), p.data().len(), p.verify_checksum()));
        p.data_mut().fill(0);
        p.fill_checksum();
    }
    if let Ok(mut p) = UdpPacket::new_checked(&mut buf[..]) {
        black_box((
            p.src_port(),
            p.dst_port(),
            p.len(),
            p.checksum(),
            p.payload().len(),
        ));
        black_box(p.verify_checksum(src, dst));
        p.payload_mut().fill(0);
        p.fill_checksum(src, dst);
    }
    if let Ok(mut p) = TcpPacket::new_checked(&mut buf[..]) {
        black_box((
            p.src_port(),
            p.dst_port(),
            p.seq(),
            p.ack(),
            p.header_len(),
            p.flags(),
        ));
        black_box((p.window(), p.checksum(), p.urgent_ptr(), p.options().len()));
        black_box((p.payload().len(), p.verify_checksum(src, dst)));
        p.payload_mut().fill(0);
        p.fill_checksum(src, dst);
    }
}

/// A captured frame with a few bytes overwritten and cut at a random length, so that most
/// inputs get past the first checks and reach the deeper ones.
fn mutated_frame() -> impl Strategy<Value = Vec<u8>> {
    let frame = prop_oneof![
        Just(&PING_FRAME[..]),
        Just(&SYN_FRAME[..]),
        Just(&ARP_FRAME[..])
    ];
    let edits = prop::collection::vec((0usize..80, any::<u8>()), 0..4);
    (frame, edits, 0usize..80).prop_map(|(frame, edits, cut)| {
        let mut v = frame.to_vec();
        for (at, byte) in edits {
            if let Some(b) = v.get_mut(at) {
                *b = byte;
            }
        }
        v.truncate(cut);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_frames_never_panic(bytes in mutated_frame()) {
        exercise(&bytes);
        // Offsets 14.. also as a bare IP packet, as the forwarding path sees them.
        exercise(bytes.get(ether::HEADER_LEN..).unwrap_or(&[]));
    }
}

#[test]
fn every_prefix_never_panics() {
    for frame in [&PING_FRAME[..], &SYN_FRAME[..], &ARP_FRAME[..]] {
        for n in 0..=frame.len() {
            exercise(&frame[..n]);
            exercise(frame.get(ether::HEADER_LEN..n).unwrap_or(&[]));
        }
    }
}
