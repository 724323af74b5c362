//! Echo replies and ICMP errors built into byte buffers, checked with the packet views.

use super::*;
use crate::net::MacAddr;
use crate::packet::udp::UdpPacket;
use proptest::prelude::*;

const ROUTER_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
const HOST_MAC: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 0x10]);
const ROUTER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
const HOST: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
const FAR: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 77);

const L3: usize = ether::HEADER_LEN;

/// An IPv4 datagram (no Ethernet) carrying `l4` as `protocol`.
fn datagram(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, l4: &[u8]) -> Vec<u8> {
    let repr = Ipv4Repr {
        src,
        dst,
        protocol,
        ttl: 1,
        payload_len: l4.len() as u16,
        ident: 0x4242,
        dont_frag: true,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let mut ip = Ipv4Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut ip);
    ip.payload_mut().copy_from_slice(l4);
    buf
}

/// An ICMP message of `msg_type` with `data` after the 8-byte header, checksum filled.
fn icmp_message(msg_type: u8, code: u8, rest: u32, data: &[u8]) -> Vec<u8> {
    let mut msg = vec![0u8; icmp::HEADER_LEN + data.len()];
    let mut p = IcmpPacket::new_unchecked(&mut msg[..]);
    p.set_msg_type(msg_type);
    p.set_code(code);
    p.set_rest_of_header(rest);
    p.data_mut().copy_from_slice(data);
    p.fill_checksum();
    msg
}

/// A UDP datagram of `total_len` bytes in all, IP header included, with a valid checksum.
fn udp_datagram(src: Ipv4Addr, dst: Ipv4Addr, total_len: usize) -> Vec<u8> {
    let udp_len = total_len - ipv4::HEADER_LEN;
    let mut udp = vec![0u8; udp_len];
    for (i, b) in udp.iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    let mut u = UdpPacket::new_unchecked(&mut udp[..]);
    u.set_src_port(40000);
    u.set_dst_port(33434);
    u.set_len(udp_len as u16);
    u.fill_checksum(src, dst);
    datagram(src, dst, ipv4::PROTO_UDP, &udp)
}

/// `l3` in an Ethernet frame from the host to the router.
fn in_frame(l3: &[u8]) -> Vec<u8> {
    let mut frame = vec![0u8; L3];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    eth.set_dst(ROUTER_MAC);
    eth.set_src(HOST_MAC);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    frame.extend_from_slice(l3);
    frame
}

/// A ping from the host to the router, as a whole frame.
fn echo_request(ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let rest = u32::from(ident) << 16 | u32::from(seq);
    let msg = icmp_message(icmp::TYPE_ECHO_REQUEST, 0, rest, data);
    in_frame(&datagram(HOST, ROUTER, ipv4::PROTO_ICMP, &msg))
}

fn ip_of(frame: &[u8]) -> Ipv4Packet<&[u8]> {
    Ipv4Packet::new_checked(&frame[L3..]).unwrap()
}

/// The ICMP message of an Ethernet + IPv4 frame, up to the IP total length.
fn icmp_of(frame: &[u8]) -> IcmpPacket<&[u8]> {
    let ip = ip_of(frame);
    let range = L3 + ip.header_len()..L3 + usize::from(ip.total_len());
    IcmpPacket::new_checked(&frame[range]).unwrap()
}

// ---- echo ----

#[test]
fn echo_reply_swaps_addresses_and_answers_with_type_zero() {
    let data = b"0123456789abcdefghijklmnopqrstuv";
    let mut frame = echo_request(0x1c3b, 7, data);
    let len = echo_reply_in_place(&mut frame).expect("a well-formed echo request");
    assert_eq!(len, frame.len());
    let ip = ip_of(&frame[..len]);
    assert_eq!((ip.src(), ip.dst()), (ROUTER, HOST));
    assert_eq!(ip.protocol(), ipv4::PROTO_ICMP);
    assert_eq!(ip.ttl(), TTL);
    assert!(ip.verify_checksum(), "IPv4 header checksum");
    let msg = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert_eq!((msg.msg_type(), msg.code()), (icmp::TYPE_ECHO_REPLY, 0));
    assert_eq!((msg.echo_ident(), msg.echo_seq_no()), (0x1c3b, 7));
    assert_eq!(msg.data(), data);
    assert!(msg.verify_checksum(), "ICMP checksum");
}

#[test]
fn echo_reply_length_cuts_ethernet_padding() {
    // 14 + 20 + 8 + 4 = 46 bytes, padded by the sender's NIC to the 60-byte minimum.
    let mut frame = echo_request(1, 1, b"ping");
    let unpadded = frame.len();
    frame.resize(60, 0);
    let len = echo_reply_in_place(&mut frame).unwrap();
    assert_eq!(len, unpadded);
    let msg = icmp_of(&frame[..len]);
    assert!(
        msg.verify_checksum(),
        "checksum over the message, not the padding"
    );
    assert!(ip_of(&frame[..len]).verify_checksum());
}

#[test]
fn echo_reply_with_odd_data_length_has_valid_checksum() {
    let mut frame = echo_request(0xffff, 0xffff, b"odd");
    let len = echo_reply_in_place(&mut frame).unwrap();
    let msg = icmp_of(&frame[..len]);
    assert!(msg.verify_checksum());
}

#[test]
fn echo_reply_leaves_ethernet_addresses_for_routing() {
    let mut frame = echo_request(1, 1, b"");
    let len = echo_reply_in_place(&mut frame).unwrap();
    assert_eq!(len, L3 + 28);
    // output() fills them from the FIB; the reply is not bounced back blindly.
    let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
    assert_eq!((eth.dst(), eth.src()), (ROUTER_MAC, HOST_MAC));
}

#[test]
fn echo_reply_rejects_other_icmp_types_and_codes() {
    for (t, code) in [
        (icmp::TYPE_ECHO_REPLY, 0),
        (icmp::TYPE_DEST_UNREACHABLE, 3),
        (icmp::TYPE_TIME_EXCEEDED, 0),
        (13, 0), // timestamp
        (icmp::TYPE_ECHO_REQUEST, 1),
    ] {
        let msg = icmp_message(t, code, 0x0001_0001, b"data");
        let mut frame = in_frame(&datagram(HOST, ROUTER, ipv4::PROTO_ICMP, &msg));
        assert_eq!(
            echo_reply_in_place(&mut frame),
            None,
            "type {t} code {code}"
        );
    }
}

#[test]
fn echo_reply_rejects_other_protocols() {
    let mut frame = in_frame(&udp_datagram(HOST, ROUTER, 40));
    assert_eq!(echo_reply_in_place(&mut frame), None);
    // Even when the UDP payload happens to start like an echo request.
    let msg = icmp_message(icmp::TYPE_ECHO_REQUEST, 0, 1, b"data");
    let mut frame = in_frame(&datagram(HOST, ROUTER, ipv4::PROTO_TCP, &msg));
    assert_eq!(echo_reply_in_place(&mut frame), None);
}

#[test]
fn echo_reply_rejects_a_bad_icmp_checksum() {
    let mut frame = echo_request(1, 1, b"abcd");
    *frame.last_mut().unwrap() ^= 0x40;
    assert_eq!(echo_reply_in_place(&mut frame), None);
}

#[test]
fn echo_reply_rejects_fragments() {
    for (more_frags, offset) in [(true, 0), (false, 8), (true, 1480)] {
        let mut frame = echo_request(1, 1, b"abcdefgh");
        let mut ip = Ipv4Packet::new_unchecked(&mut frame[L3..]);
        ip.set_flags_frag_offset(false, more_frags, offset);
        ip.fill_checksum();
        assert_eq!(
            echo_reply_in_place(&mut frame),
            None,
            "MF {more_frags} offset {offset}"
        );
    }
}

#[test]
fn echo_reply_rejects_every_truncation() {
    let full = echo_request(1, 1, b"abcdefgh");
    for n in 0..full.len() {
        let mut frame = full[..n].to_vec();
        assert_eq!(echo_reply_in_place(&mut frame), None, "{n} bytes");
    }
}

#[test]
fn echo_reply_rejects_an_icmp_message_shorter_than_its_header() {
    // total_len covers only 4 bytes of ICMP, though the frame holds more.
    let mut frame = echo_request(1, 1, b"");
    frame.resize(60, 0);
    let mut ip = Ipv4Packet::new_unchecked(&mut frame[L3..]);
    ip.set_total_len(24);
    ip.fill_checksum();
    assert_eq!(echo_reply_in_place(&mut frame), None);
}

proptest! {
    #[test]
    fn echo_reply_checksums_are_always_valid(
        ident: u16,
        seq: u16,
        data in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut frame = echo_request(ident, seq, &data);
        let len = echo_reply_in_place(&mut frame).unwrap();
        let ip = ip_of(&frame[..len]);
        prop_assert!(ip.verify_checksum());
        let msg = IcmpPacket::new_checked(ip.payload()).unwrap();
        prop_assert!(msg.verify_checksum());
        prop_assert_eq!(msg.data(), &data[..]);
        prop_assert_eq!((msg.echo_ident(), msg.echo_seq_no()), (ident, seq));
    }
}

// ---- errors ----

/// Builds a time-exceeded about `orig` from the router into a 1514-byte buffer.
fn time_exceeded(orig: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 1514];
    let len = build_error(
        &mut buf,
        orig,
        ROUTER,
        icmp::TYPE_TIME_EXCEEDED,
        icmp::CODE_TTL_EXCEEDED,
        0,
        0x0101,
    )?;
    buf.truncate(len);
    Some(buf)
}

#[test]
fn time_exceeded_about_udp_quotes_header_and_payload() {
    let orig = udp_datagram(FAR, Ipv4Addr::new(192, 0, 2, 9), 100);
    let frame = time_exceeded(&orig).expect("an error is owed");
    assert_eq!(
        EthernetFrame::new_checked(&frame[..]).unwrap().ethertype(),
        ether::ETHERTYPE_IPV4
    );
    let ip = ip_of(&frame);
    assert_eq!(frame.len(), L3 + usize::from(ip.total_len()));
    assert_eq!((ip.src(), ip.dst()), (ROUTER, FAR));
    assert_eq!(ip.protocol(), ipv4::PROTO_ICMP);
    assert_eq!(ip.ttl(), TTL);
    assert_eq!(ip.ident(), 0x0101);
    assert_eq!(ip.dscp_ecn(), 0xc0, "precedence 6 (RFC 1812 4.3.2.5)");
    assert!(!ip.is_fragment());
    assert!(ip.verify_checksum());
    let msg = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert_eq!(
        (msg.msg_type(), msg.code()),
        (icmp::TYPE_TIME_EXCEEDED, icmp::CODE_TTL_EXCEEDED)
    );
    assert_eq!(msg.rest_of_header(), 0);
    assert!(msg.verify_checksum());
    assert_eq!(
        msg.data(),
        &orig[..],
        "the whole 100-byte datagram is quoted"
    );
}

#[test]
fn error_about_a_large_datagram_fits_in_576_bytes() {
    let orig = udp_datagram(FAR, Ipv4Addr::new(192, 0, 2, 9), 1500);
    let frame = time_exceeded(&orig).unwrap();
    let ip = ip_of(&frame);
    assert!(usize::from(ip.total_len()) <= MAX_ERROR_DATAGRAM);
    assert_eq!(
        usize::from(ip.total_len()),
        MAX_ERROR_DATAGRAM,
        "as much as fits"
    );
    assert!(ip.verify_checksum());
    let msg = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert!(msg.verify_checksum());
    let quoted = msg.data();
    assert_eq!(quoted, &orig[..quoted.len()]);
    // The quoted header still names the original's full length.
    assert_eq!(
        Ipv4Packet::new_unchecked(quoted).total_len(),
        1500,
        "quoted header untouched"
    );
}

#[test]
fn error_quote_stops_at_total_length_not_at_padding() {
    let orig = udp_datagram(FAR, Ipv4Addr::new(192, 0, 2, 9), 34);
    let mut padded = orig.clone();
    padded.resize(46, 0xee);
    let frame = time_exceeded(&padded).unwrap();
    let msg = icmp_of(&frame);
    assert_eq!(msg.data(), &orig[..]);
}

#[test]
fn frag_needed_carries_the_mtu() {
    let orig = udp_datagram(FAR, Ipv4Addr::new(192, 0, 2, 9), 1500);
    let mut buf = vec![0u8; 1514];
    let len = build_error(
        &mut buf,
        &orig,
        ROUTER,
        icmp::TYPE_DEST_UNREACHABLE,
        icmp::CODE_FRAG_NEEDED,
        1400,
        7,
    )
    .unwrap();
    let msg = icmp_of(&buf[..len]);
    assert_eq!(
        (msg.msg_type(), msg.code()),
        (icmp::TYPE_DEST_UNREACHABLE, icmp::CODE_FRAG_NEEDED)
    );
    assert_eq!(msg.rest_of_header() & 0xffff, 1400);
    assert!(msg.verify_checksum());
}

#[test]
fn no_error_about_an_icmp_error() {
    let quoted = udp_datagram(HOST, FAR, 40);
    for t in [
        icmp::TYPE_DEST_UNREACHABLE,
        icmp::TYPE_TIME_EXCEEDED,
        4,  // source quench
        5,  // redirect
        12, // parameter problem
    ] {
        let msg = icmp_message(t, 0, 0, &quoted[..28]);
        let orig = datagram(FAR, HOST, ipv4::PROTO_ICMP, &msg);
        assert!(time_exceeded(&orig).is_none(), "ICMP type {t}");
    }
}

#[test]
fn errors_about_echo_requests_and_replies_are_allowed() {
    // traceroute -I and a ping whose TTL runs out rely on these.
    for t in [icmp::TYPE_ECHO_REQUEST, icmp::TYPE_ECHO_REPLY] {
        let msg = icmp_message(t, 0, 0x0001_0001, b"traceroute");
        let orig = datagram(FAR, HOST, ipv4::PROTO_ICMP, &msg);
        let frame = time_exceeded(&orig).unwrap_or_else(|| panic!("ICMP type {t}"));
        let err = icmp_of(&frame);
        assert_eq!(err.data(), &orig[..]);
    }
}

#[test]
fn no_error_about_a_non_first_fragment() {
    let mut orig = udp_datagram(FAR, HOST, 100);
    let mut ip = Ipv4Packet::new_unchecked(&mut orig[..]);
    ip.set_flags_frag_offset(false, false, 1480);
    ip.fill_checksum();
    assert!(time_exceeded(&orig).is_none());
}

#[test]
fn error_about_a_first_fragment_is_allowed() {
    let mut orig = udp_datagram(FAR, HOST, 100);
    let mut ip = Ipv4Packet::new_unchecked(&mut orig[..]);
    ip.set_flags_frag_offset(false, true, 0);
    ip.fill_checksum();
    assert!(time_exceeded(&orig).is_some());
}

#[test]
fn no_error_to_a_source_that_is_not_one_host() {
    for src in [
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::BROADCAST,
        Ipv4Addr::new(224, 0, 0, 5),
        Ipv4Addr::new(239, 1, 2, 3),
        Ipv4Addr::new(127, 0, 0, 1),
    ] {
        let orig = udp_datagram(src, HOST, 40);
        assert!(time_exceeded(&orig).is_none(), "source {src}");
    }
}

#[test]

fn no_error_to_a_class_e_source() {
    let orig = udp_datagram(Ipv4Addr::new(240, 0, 0, 1), HOST, 40);
    assert!(time_exceeded(&orig).is_none());
}

#[test]

fn no_error_about_a_datagram_to_broadcast_or_multicast() {
    for dst in [Ipv4Addr::BROADCAST, Ipv4Addr::new(224, 0, 0, 251)] {
        let orig = udp_datagram(FAR, dst, 40);
        assert!(time_exceeded(&orig).is_none(), "destination {dst}");
    }
}

#[test]
fn no_error_about_a_malformed_or_truncated_datagram() {
    let orig = udp_datagram(FAR, HOST, 100);
    for n in 0..orig.len() {
        assert!(time_exceeded(&orig[..n]).is_none(), "{n} bytes");
    }
}

#[test]
fn error_quote_shrinks_to_the_buffer_but_keeps_header_and_8_bytes() {
    let orig = udp_datagram(FAR, HOST, 100);
    let whole = L3 + 20 + 8 + 100;
    let mut buf = vec![0u8; whole];
    assert_eq!(
        build_error(&mut buf, &orig, ROUTER, 11, 0, 0, 1),
        Some(whole)
    );
    // A small mbuf (128 bytes after the headroom): the quote is cut to what fits.
    let mut buf = vec![0u8; 128];
    let len = build_error(&mut buf, &orig, ROUTER, 11, 0, 0, 1).expect("an error is owed");
    assert_eq!(len, 128);
    let msg = icmp_of(&buf[..len]);
    assert_eq!(msg.data(), &orig[..128 - L3 - 20 - 8]);
    assert!(msg.verify_checksum());
    assert!(ip_of(&buf[..len]).verify_checksum());
    // The original header and 8 bytes of it (RFC 792) fit exactly, then no longer.
    let least = L3 + 20 + 8 + orig.len().min(20 + 8);
    let mut buf = vec![0u8; least];
    assert_eq!(
        build_error(&mut buf, &orig, ROUTER, 11, 0, 0, 1),
        Some(least)
    );
    let mut buf = vec![0u8; least - 1];
    assert_eq!(build_error(&mut buf, &orig, ROUTER, 11, 0, 0, 1), None);
}

#[test]
fn must_not_answer_an_icmp_datagram_without_a_message() {
    let orig = datagram(FAR, HOST, ipv4::PROTO_ICMP, &[]);
    let ip = Ipv4Packet::new_checked(&orig[..]).unwrap();
    assert!(must_not_answer(&ip));
}
