//! NAT tests on packets built as bytes. Every rewrite is checked against a reference: the
//! packet that the translated host would have built, with every checksum computed from
//! scratch, must equal the rewritten one byte for byte, and each checksum of the result is
//! recomputed from scratch as well.

use std::net::Ipv4Addr;

use super::*;
use crate::flow::FlowKey;
use crate::packet::checksum::{checksum, fold, pseudo_header_sum, sum};
use crate::packet::icmp::{CODE_PORT_UNREACHABLE, TYPE_TIME_EXCEEDED};
use crate::packet::icmp::{TYPE_DEST_UNREACHABLE, TYPE_ECHO_REPLY, TYPE_ECHO_REQUEST};
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use crate::packet::tcp::{ACK, SYN};

// ---- Addresses of the scenario: LAN host behind the NAT, its public address, a remote host.

const LAN: u32 = 0x0a00_0002; // 10.0.0.2
const WAN: u32 = 0xcb00_7102; // 203.0.113.2
const REMOTE: u32 = 0xc633_6407; // 198.51.100.7
const ROUTER: u32 = 0xc000_02fe; // 192.0.2.254, a router on the path
const LAN_PORT: u16 = 40000;
const NAT_PORT: u16 = 1024;
const REMOTE_PORT: u16 = 443;

const PROTO_GRE: u8 = 47;
const MF: u16 = 0x2000;

// ---- Reference builders: every checksum computed from scratch.

fn ip4(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// An IPv4 datagram; `frag` is the flags/offset word as on the wire.
fn ipv4_frag(src: u32, dst: u32, proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + payload.len();
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    p[6..8].copy_from_slice(&frag.to_be_bytes());
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&src.to_be_bytes());
    p[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = checksum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p[20..].copy_from_slice(payload);
    p
}

fn ipv4(src: u32, dst: u32, proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(src, dst, proto, 0x4000, payload)
}

fn l4_checksum(src: u32, dst: u32, proto: u8, l4: &[u8]) -> u16 {
    let ph = pseudo_header_sum(ip4(src), ip4(dst), proto, l4.len() as u16);
    !fold(sum(l4, ph))
}

/// A TCP segment with a 12-byte option block (data offset 8) and `data` after it.
fn tcp(src: u32, dst: u32, sport: u16, dport: u16, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut s = vec![0u8; 32];
    s[0..2].copy_from_slice(&sport.to_be_bytes());
    s[2..4].copy_from_slice(&dport.to_be_bytes());
    s[4..8].copy_from_slice(&0x3cf1_fea8u32.to_be_bytes());
    s[12] = 8 << 4;
    s[13] = flags;
    s[14..16].copy_from_slice(&64240u16.to_be_bytes());
    s[20..32].copy_from_slice(&[2, 4, 5, 0xb4, 4, 2, 1, 1, 1, 3, 3, 7]);
    s.extend_from_slice(data);
    let c = l4_checksum(src, dst, PROTO_TCP, &s);
    s[16..18].copy_from_slice(&c.to_be_bytes());
    ipv4(src, dst, PROTO_TCP, &s)
}

fn udp(src: u32, dst: u32, sport: u16, dport: u16, data: &[u8], with_checksum: bool) -> Vec<u8> {
    let mut d = vec![0u8; 8];
    d[0..2].copy_from_slice(&sport.to_be_bytes());
    d[2..4].copy_from_slice(&dport.to_be_bytes());
    d[4..6].copy_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    d.extend_from_slice(data);
    if with_checksum {
        let c = match l4_checksum(src, dst, PROTO_UDP, &d) {
            0 => 0xffff,
            c => c,
        };
        d[6..8].copy_from_slice(&c.to_be_bytes());
    }
    ipv4(src, dst, PROTO_UDP, &d)
}

fn icmp_msg(msg_type: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(data);
    let c = checksum(&m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

fn echo(src: u32, dst: u32, msg_type: u8, id: u16, data: &[u8]) -> Vec<u8> {
    let [a, b] = id.to_be_bytes();
    ipv4(
        src,
        dst,
        PROTO_ICMP,
        &icmp_msg(msg_type, 0, [a, b, 0, 7], data),
    )
}

/// An ICMP error from `src` to `dst` quoting `quoted` (already cut to the quoted length).
fn icmp_error(src: u32, dst: u32, msg_type: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    ipv4(
        src,
        dst,
        PROTO_ICMP,
        &icmp_msg(msg_type, code, [0; 4], quoted),
    )
}

const DATA: &[u8] = b"wanfwd NAT test payload, odd length";

// ---- From-scratch verification of every checksum a datagram carries.

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The value a checksum field at `at` of `data` should hold, recomputed with the field zeroed.
fn recompute(data: &[u8], at: usize, initial: u32) -> u16 {
    let mut copy = data.to_vec();
    copy[at..at + 2].fill(0);
    !fold(sum(&copy, initial))
}

/// Checks the IPv4 header checksum and, for a whole datagram, its TCP/UDP/ICMP checksum; an
/// ICMP error's quoted IPv4 header checksum, and its quoted L4 checksum when the whole quoted
/// datagram is there.
fn verify(l3: &[u8]) {
    verify_ip(l3, true);
}

fn verify_ip(l3: &[u8], outer: bool) {
    let ihl = usize::from(l3[0] & 15) * 4;
    assert_eq!(
        be16(l3, 10),
        recompute(&l3[..ihl], 10, 0),
        "IPv4 header checksum"
    );
    let total = usize::from(be16(l3, 2));
    if total > l3.len() || be16(l3, 6) & 0x3fff != 0 {
        return; // a truncated quoted datagram or a fragment: no end-to-end check here
    }
    let (src, dst, proto) = (be32(l3, 12), be32(l3, 16), l3[9]);
    let l4 = &l3[ihl..total];
    let ph = pseudo_header_sum(ip4(src), ip4(dst), proto, l4.len() as u16);
    match proto {
        PROTO_TCP => assert_eq!(be16(l4, 16), recompute(l4, 16, ph), "TCP checksum"),
        PROTO_UDP if be16(l4, 6) != 0 => {
            let c = match recompute(l4, 6, ph) {
                0 => 0xffff,
                c => c,
            };
            assert_eq!(be16(l4, 6), c, "UDP checksum");
        }
        PROTO_ICMP => {
            assert_eq!(be16(l4, 2), recompute(l4, 2, 0), "ICMP checksum");
            if outer && matches!(l4[0], 3 | 4 | 5 | 11 | 12) {
                verify_ip(&l4[8..], false);
            }
        }
        _ => {}
    }
}

// ---- Source NAT and its reverse on whole datagrams.

/// Applies `f` to `before` and checks that the result is `after`, byte for byte, with every
/// checksum right.
fn check_rewrite(
    mut before: Vec<u8>,
    after: &[u8],
    f: impl Fn(&mut [u8]) -> Result<(), RewriteError>,
) {
    verify(&before);
    verify(after);
    assert_ne!(before, after, "the rewrite must change something");
    f(&mut before).unwrap();
    assert_eq!(before, after);
    verify(&before);
}

#[test]
fn snat_tcp_syn_with_payload() {
    let out = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    let nat = tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
    // The reply, de-NATed.
    let reply = tcp(REMOTE, WAN, REMOTE_PORT, NAT_PORT, SYN | ACK, DATA);
    let lan = tcp(REMOTE, LAN, REMOTE_PORT, LAN_PORT, SYN | ACK, DATA);
    check_rewrite(reply, &lan, |p| set_destination(p, LAN, LAN_PORT));
}

#[test]
fn snat_keeps_port_when_asked() {
    let out = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, &[]);
    let nat = tcp(WAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, &[]);
    check_rewrite(out, &nat, |p| set_source(p, WAN, LAN_PORT));
}

#[test]
fn snat_udp_with_checksum() {
    let out = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    let nat = udp(WAN, REMOTE, NAT_PORT, 53, DATA, true);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
    let reply = udp(REMOTE, WAN, 53, NAT_PORT, DATA, true);
    let lan = udp(REMOTE, LAN, 53, LAN_PORT, DATA, true);
    check_rewrite(reply, &lan, |p| set_destination(p, LAN, LAN_PORT));
}

#[test]
fn snat_udp_without_checksum_keeps_zero() {
    let out = udp(LAN, REMOTE, LAN_PORT, 53, DATA, false);
    let nat = udp(WAN, REMOTE, NAT_PORT, 53, DATA, false);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
    let mut p = udp(REMOTE, WAN, 53, NAT_PORT, DATA, false);
    set_destination(&mut p, LAN, LAN_PORT).unwrap();
    assert_eq!(be16(&p, 26), 0);
    assert_eq!(p, udp(REMOTE, LAN, 53, LAN_PORT, DATA, false));
}

/// A UDP payload for which the translated datagram's checksum computes to 0, which must be
/// sent as 0xFFFF.
fn zero_checksum_payload() -> Vec<u8> {
    let mut data = vec![0u8; 10];
    data[..8].copy_from_slice(b"zerosum!");
    let nat = udp(WAN, REMOTE, NAT_PORT, 53, &data, false);
    let c = l4_checksum(WAN, REMOTE, PROTO_UDP, &nat[20..]);
    // Adding the checksum to the data makes the sum 0xFFFF: the checksum becomes 0.
    data[8..10].copy_from_slice(&c.to_be_bytes());
    assert_eq!(
        l4_checksum(
            WAN,
            REMOTE,
            PROTO_UDP,
            &udp(WAN, REMOTE, NAT_PORT, 53, &data, false)[20..]
        ),
        0
    );
    data
}

#[test]
fn udp_checksum_that_computes_to_zero_is_sent_as_ffff() {
    let data = zero_checksum_payload();
    let out = udp(LAN, REMOTE, LAN_PORT, 53, &data, true);
    let nat = udp(WAN, REMOTE, NAT_PORT, 53, &data, true);
    assert_ne!(be16(&out, 26), 0xffff);
    assert_eq!(be16(&nat, 26), 0xffff);
    check_rewrite(out.clone(), &nat, |p| set_source(p, WAN, NAT_PORT));
    // And back: 0xFFFF is a valid "computed 0" to start from.
    check_rewrite(nat, &out, |p| set_source(p, LAN, LAN_PORT));
}

#[test]
fn snat_icmp_echo() {
    let out = echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 0x1c3b, DATA);
    let nat = echo(WAN, REMOTE, TYPE_ECHO_REQUEST, NAT_PORT, DATA);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
    let reply = echo(REMOTE, WAN, TYPE_ECHO_REPLY, NAT_PORT, DATA);
    let lan = echo(REMOTE, LAN, TYPE_ECHO_REPLY, 0x1c3b, DATA);
    check_rewrite(reply, &lan, |p| set_destination(p, LAN, 0x1c3b));
}

#[test]
fn echo_id_is_only_the_port_on_its_side() {
    // An echo reply has no source "port" (FlowKey: sport 0): set_source only moves the address.
    let out = echo(LAN, REMOTE, TYPE_ECHO_REPLY, 0x1c3b, DATA);
    let nat = echo(WAN, REMOTE, TYPE_ECHO_REPLY, 0x1c3b, DATA);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
    let inbound = echo(REMOTE, WAN, TYPE_ECHO_REQUEST, 0x1c3b, DATA);
    let lan = echo(REMOTE, LAN, TYPE_ECHO_REQUEST, 0x1c3b, DATA);
    check_rewrite(inbound, &lan, |p| set_destination(p, LAN, 999));
}

#[test]
fn other_protocol_changes_address_only() {
    let out = ipv4(LAN, REMOTE, PROTO_GRE, DATA);
    let nat = ipv4(WAN, REMOTE, PROTO_GRE, DATA);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
}

#[test]
fn padding_after_total_length_is_left_alone() {
    let mut out = udp(LAN, REMOTE, LAN_PORT, 53, b"x", true);
    let mut nat = udp(WAN, REMOTE, NAT_PORT, 53, b"x", true);
    out.resize(60, 0xaa);
    nat.resize(60, 0xaa);
    check_rewrite(out, &nat, |p| set_source(p, WAN, NAT_PORT));
}

/// Splits a whole datagram into a first fragment carrying `first` bytes of its payload and a
/// second one with the rest; header checksums from scratch.
fn fragments(whole: &[u8], first: usize) -> (Vec<u8>, Vec<u8>) {
    let (src, dst, proto) = (be32(whole, 12), be32(whole, 16), whole[9]);
    let payload = &whole[20..];
    assert_eq!(first % 8, 0);
    let a = ipv4_frag(src, dst, proto, MF, &payload[..first]);
    let b = ipv4_frag(src, dst, proto, (first / 8) as u16, &payload[first..]);
    (a, b)
}

#[test]
fn fragments_of_tcp_udp_and_echo() {
    let cases = [
        (
            tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA),
            tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA),
            32,
        ),
        (
            udp(LAN, REMOTE, LAN_PORT, 53, DATA, true),
            udp(WAN, REMOTE, NAT_PORT, 53, DATA, true),
            8,
        ),
        (
            udp(LAN, REMOTE, LAN_PORT, 53, DATA, false),
            udp(WAN, REMOTE, NAT_PORT, 53, DATA, false),
            16,
        ),
        (
            echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 7, DATA),
            echo(WAN, REMOTE, TYPE_ECHO_REQUEST, NAT_PORT, DATA),
            16,
        ),
    ];
    for (before, after, cut) in cases {
        let (a0, b0) = fragments(&before, cut);
        let (a1, b1) = fragments(&after, cut);
        // The first fragment gets the port and the L4 checksum (which covers the whole
        // datagram: the reference is the translated whole datagram's, cut).
        check_rewrite(a0, &a1, |p| set_source(p, WAN, NAT_PORT));
        // The others only the address.
        check_rewrite(b0, &b1, |p| set_source(p, WAN, NAT_PORT));
    }
}

#[test]
fn first_fragment_without_its_transport_header_is_refused() {
    let whole = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    let (first, _) = fragments(&whole, 8);
    let mut p = first.clone();
    assert_eq!(
        set_source(&mut p, WAN, NAT_PORT),
        Err(RewriteError::Malformed)
    );
    assert_eq!(p, first, "unchanged on error");
}

#[test]
fn malformed_transport_headers_are_refused_unchanged() {
    let mut bad = Vec::new();
    let mut p = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, &[]);
    p[32] = 4 << 4; // data offset 4
    bad.push(p);
    let mut p = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, &[]);
    p[32] = 15 << 4; // data offset beyond the segment
    bad.push(p);
    let mut p = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    p[24..26].copy_from_slice(&7u16.to_be_bytes());
    bad.push(p);
    let mut p = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    p[24..26].copy_from_slice(&200u16.to_be_bytes());
    bad.push(p);
    bad.push(ipv4(LAN, REMOTE, PROTO_ICMP, &[8, 0, 0, 0]));
    bad.push(ipv4(LAN, REMOTE, PROTO_TCP, &[0; 19]));
    bad.push(ipv4(LAN, REMOTE, PROTO_UDP, &[0; 7]));
    for p in bad {
        assert_eq!(classify(&p), Class::Malformed, "{p:02x?}");
        for f in [set_source, set_destination] {
            let mut q = p.clone();
            assert_eq!(f(&mut q, WAN, NAT_PORT), Err(RewriteError::Malformed));
            assert_eq!(q, p);
        }
    }
}

// ---- ICMP errors.

/// Cuts a quoted datagram to `n` bytes, as an ICMP error quotes it.
fn cut(p: &[u8], n: usize) -> &[u8] {
    &p[..n.min(p.len())]
}

/// For every quoted length from the minimum (IPv4 header + 8) to the whole datagram, an
/// error about `sent_nat` (what went out) must become the error about `sent_lan` (what the
/// LAN host sent).
fn check_untranslate(sent_lan: &[u8], sent_nat: &[u8], orig_addr: u32, orig_port: u16) {
    // The error goes to the quoted datagram's source.
    let (to_nat, to_lan) = (be32(sent_nat, 12), be32(sent_lan, 12));
    for n in 28..=sent_nat.len() {
        let before = icmp_error(ROUTER, to_nat, TYPE_TIME_EXCEEDED, 0, cut(sent_nat, n));
        let after = icmp_error(ROUTER, to_lan, TYPE_TIME_EXCEEDED, 0, cut(sent_lan, n));
        check_error(before, &after, n, |p| {
            untranslate_icmp_error(p, orig_addr, orig_port)
        });
    }
}

/// The mirror: an error the LAN host sends about `got_lan` (the de-NATed reply it received)
/// must leave as the error about `got_nat` (the reply as it arrived).
fn check_translate(got_lan: &[u8], got_nat: &[u8], nat_addr: u32, nat_port: u16) {
    // The error comes from the quoted datagram's destination.
    let (from_lan, from_nat) = (be32(got_lan, 16), be32(got_nat, 16));
    let (t, c) = (TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE);
    for n in 28..=got_lan.len() {
        let before = icmp_error(from_lan, REMOTE, t, c, cut(got_lan, n));
        let after = icmp_error(from_nat, REMOTE, t, c, cut(got_nat, n));
        check_error(before, &after, n, |p| {
            translate_icmp_error(p, nat_addr, nat_port)
        });
    }
}

/// As [`check_rewrite`] for an ICMP error quoting `n` bytes, except when the quoted bytes end
/// in the middle of a TCP checksum: its low byte, which the update would need, is missing, so
/// the lone high byte is left as it was. Then every other byte must match, and the checksums
/// that are there (ICMP, both IPv4 headers) must be right.
fn check_error(
    mut before: Vec<u8>,
    after: &[u8],
    n: usize,
    f: impl Fn(&mut [u8]) -> Result<(), RewriteError>,
) {
    if before[28 + 9] != PROTO_TCP || n != 20 + 17 {
        return check_rewrite(before, after, f);
    }
    let lone = before[before.len() - 1];
    f(&mut before).unwrap();
    verify(&before);
    assert_eq!(before[before.len() - 1], lone);
    let ignore = |i: usize| i == 22 || i == 23 || i == before.len() - 1;
    for (i, (a, b)) in before.iter().zip(after).enumerate() {
        assert!(ignore(i) || a == b, "byte {i}");
    }
}

#[test]
fn icmp_error_quoting_tcp() {
    // Quoted lengths 28..38 lack the TCP checksum, 38 on have it.
    let lan = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    let nat = tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA);
    check_untranslate(&lan, &nat, LAN, LAN_PORT);
    let got_nat = tcp(REMOTE, WAN, REMOTE_PORT, NAT_PORT, SYN | ACK, DATA);
    let got_lan = tcp(REMOTE, LAN, REMOTE_PORT, LAN_PORT, SYN | ACK, DATA);
    check_translate(&got_lan, &got_nat, WAN, NAT_PORT);
}

#[test]
fn icmp_error_quoting_udp() {
    for with_checksum in [true, false] {
        let lan = udp(LAN, REMOTE, LAN_PORT, 53, DATA, with_checksum);
        let nat = udp(WAN, REMOTE, NAT_PORT, 53, DATA, with_checksum);
        check_untranslate(&lan, &nat, LAN, LAN_PORT);
        let got_nat = udp(REMOTE, WAN, 53, NAT_PORT, DATA, with_checksum);
        let got_lan = udp(REMOTE, LAN, 53, LAN_PORT, DATA, with_checksum);
        check_translate(&got_lan, &got_nat, WAN, NAT_PORT);
    }
    // The quoted checksum that computes to 0 stays 0xFFFF, not 0.
    let data = zero_checksum_payload();
    let lan = udp(LAN, REMOTE, LAN_PORT, 53, &data, true);
    let nat = udp(WAN, REMOTE, NAT_PORT, 53, &data, true);
    check_untranslate(&nat, &lan, WAN, NAT_PORT);
}

#[test]
fn icmp_error_quoting_echo() {
    let lan = echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 0x1c3b, DATA);
    let nat = echo(WAN, REMOTE, TYPE_ECHO_REQUEST, NAT_PORT, DATA);
    check_untranslate(&lan, &nat, LAN, 0x1c3b);
    let got_nat = echo(REMOTE, WAN, TYPE_ECHO_REPLY, NAT_PORT, DATA);
    let got_lan = echo(REMOTE, LAN, TYPE_ECHO_REPLY, 0x1c3b, DATA);
    check_translate(&got_lan, &got_nat, WAN, NAT_PORT);
}

#[test]
fn icmp_error_quoting_other_protocol_or_non_first_fragment() {
    let lan = ipv4(LAN, REMOTE, PROTO_GRE, DATA);
    let nat = ipv4(WAN, REMOTE, PROTO_GRE, DATA);
    check_untranslate(&lan, &nat, LAN, LAN_PORT);
    let whole_lan = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    let whole_nat = udp(WAN, REMOTE, NAT_PORT, 53, DATA, true);
    // The second fragment's bytes are payload, not ports: only the address may change.
    let (_, lan) = fragments(&whole_lan, 16);
    let (_, nat) = fragments(&whole_nat, 16);
    check_untranslate(&lan, &nat, LAN, LAN_PORT);
}

#[test]
fn icmp_error_rewrites_refuse_what_they_cannot_do() {
    let tcp_packet = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    let echo_packet = echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 1, DATA);
    let short = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&tcp_packet, 27));
    let mut bad_version = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&tcp_packet, 28));
    bad_version[28] = 0x65;
    let whole = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, &tcp_packet);
    let (frag, _) = fragments(&whole, 16);
    let cases = [
        (tcp_packet.clone(), RewriteError::NotIcmpError),
        (echo_packet, RewriteError::NotIcmpError),
        (short, RewriteError::Malformed),
        (bad_version, RewriteError::Malformed),
        (frag, RewriteError::Fragment),
        (
            ipv4(ROUTER, WAN, PROTO_ICMP, &[3, 0, 0]),
            RewriteError::Malformed,
        ),
    ];
    for (p, e) in cases {
        for f in [untranslate_icmp_error, translate_icmp_error] {
            let mut q = p.clone();
            assert_eq!(f(&mut q, LAN, LAN_PORT), Err(e));
            assert_eq!(q, p, "unchanged on error");
        }
    }
}

// ---- Classification.

fn flow(src: u32, dst: u32, sport: u16, dport: u16, proto: u8) -> FlowKey {
    FlowKey {
        src,
        dst,
        sport,
        dport,
        proto,
    }
}

#[test]
fn classify_flows() {
    let p = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: flow(LAN, REMOTE, LAN_PORT, REMOTE_PORT, PROTO_TCP),
            tcp_flags: SYN
        }
    );
    let p = udp(LAN, REMOTE, LAN_PORT, 53, DATA, false);
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: flow(LAN, REMOTE, LAN_PORT, 53, PROTO_UDP),
            tcp_flags: 0
        }
    );
    let p = echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 0x1c3b, DATA);
    let request = flow(LAN, REMOTE, 0x1c3b, 0, PROTO_ICMP);
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: request,
            tcp_flags: 0
        }
    );
    let p = echo(REMOTE, LAN, TYPE_ECHO_REPLY, 0x1c3b, DATA);
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: request.reversed(),
            tcp_flags: 0
        }
    );
    // Timestamp request: ICMP, but not echo: ports 0.
    let p = ipv4(
        LAN,
        REMOTE,
        PROTO_ICMP,
        &icmp_msg(13, 0, [0, 1, 0, 1], &[0; 12]),
    );
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: flow(LAN, REMOTE, 0, 0, PROTO_ICMP),
            tcp_flags: 0
        }
    );
    let p = ipv4(LAN, REMOTE, PROTO_GRE, DATA);
    assert_eq!(
        classify(&p),
        Class::Flow {
            key: flow(LAN, REMOTE, 0, 0, PROTO_GRE),
            tcp_flags: 0
        }
    );
    // Link padding after the datagram does not count.
    let mut p = udp(LAN, REMOTE, LAN_PORT, 53, b"x", true);
    p.resize(60, 0);
    assert!(matches!(classify(&p), Class::Flow { .. }));
}

#[test]
fn classify_fragments() {
    let whole = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    let (a, b) = fragments(&whole, 16);
    let ident = u16::from_be_bytes([a[4], a[5]]);
    assert_eq!(
        classify(&a),
        Class::Fragment {
            key: flow(LAN, REMOTE, LAN_PORT, 53, PROTO_UDP),
            ident,
            first: true,
            tcp_flags: 0
        },
        "the first fragment has the ports"
    );
    assert_eq!(
        classify(&b),
        Class::Fragment {
            key: flow(LAN, REMOTE, 0, 0, PROTO_UDP),
            ident,
            first: false,
            tcp_flags: 0
        }
    );
    // A TCP first fragment too short for its header has no ports.
    let t = tcp(LAN, REMOTE, LAN_PORT, REMOTE_PORT, SYN, DATA);
    let (a, _) = fragments(&t, 8);
    assert!(matches!(
        classify(&a),
        Class::Fragment { first: false, key, .. } if key.sport == 0
    ));
    let (a, _) = fragments(&t, 32);
    assert!(matches!(
        classify(&a),
        Class::Fragment { first: true, tcp_flags: SYN, key, .. } if key.dport == REMOTE_PORT
    ));
    // An echo request's identifier, as for a whole one.
    let e = echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 77, &[0; 64]);
    let (a, _) = fragments(&e, 16);
    assert!(matches!(
        classify(&a),
        Class::Fragment { first: true, key, .. } if (key.sport, key.dport) == (77, 0)
    ));
}

/// Classifies the error and checks the lookup contract: `inner.reversed()` is the key of a
/// packet of the connection going the error's way.
fn check_error_key(error: &[u8], outer: FlowKey, inner: FlowKey, same_way: &[u8]) {
    assert_eq!(classify(error), Class::IcmpError { outer, inner });
    let Class::Flow { key, .. } = classify(same_way) else {
        panic!("not a flow")
    };
    assert_eq!(key, inner.reversed());
}

#[test]
fn classify_icmp_errors() {
    // Errors from the outside about what we sent, translated: they travel like replies.
    let sent = tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA);
    let reply = tcp(REMOTE, WAN, REMOTE_PORT, NAT_PORT, SYN | ACK, &[]);
    let outer = flow(ROUTER, WAN, 0, 0, PROTO_ICMP);
    for msg_type in [3, 4, 5, 11, 12] {
        let e = icmp_error(ROUTER, WAN, msg_type, 0, cut(&sent, 28));
        let inner = flow(WAN, REMOTE, NAT_PORT, REMOTE_PORT, PROTO_TCP);
        check_error_key(&e, outer, inner, &reply);
    }
    let sent = udp(WAN, REMOTE, NAT_PORT, 53, DATA, true);
    let reply = udp(REMOTE, WAN, 53, NAT_PORT, DATA, true);
    let e = icmp_error(ROUTER, WAN, TYPE_DEST_UNREACHABLE, 3, &sent);
    let inner = flow(WAN, REMOTE, NAT_PORT, 53, PROTO_UDP);
    check_error_key(&e, outer, inner, &reply);
    let sent = echo(WAN, REMOTE, TYPE_ECHO_REQUEST, NAT_PORT, DATA);
    let reply = echo(REMOTE, WAN, TYPE_ECHO_REPLY, NAT_PORT, DATA);
    let e = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&sent, 28));
    let inner = flow(WAN, REMOTE, NAT_PORT, 0, PROTO_ICMP);
    check_error_key(&e, outer, inner, &reply);
    // The LAN host's error about a reply it got: it travels like the original direction.
    let got = udp(REMOTE, LAN, 53, LAN_PORT, DATA, true);
    let orig = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    let e = icmp_error(LAN, REMOTE, TYPE_DEST_UNREACHABLE, 3, &got);
    let inner = flow(REMOTE, LAN, 53, LAN_PORT, PROTO_UDP);
    check_error_key(&e, flow(LAN, REMOTE, 0, 0, PROTO_ICMP), inner, &orig);
    // A quoted non-first fragment has no ports.
    let (_, second) = fragments(&sent, 16);
    let e = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 1, &second);
    let inner = flow(WAN, REMOTE, 0, 0, PROTO_ICMP);
    assert_eq!(classify(&e), Class::IcmpError { outer, inner });
}

#[test]
fn classify_malformed_icmp_errors() {
    let sent = tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA);
    let e = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&sent, 27));
    assert_eq!(classify(&e), Class::Malformed);
    let mut e = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&sent, 28));
    e[28] = 0x44; // quoted IHL 4
    assert_eq!(classify(&e), Class::Malformed);
    let mut e = icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, cut(&sent, 28));
    e[28] = 0x46; // quoted IHL 6: needs 24 + 8 bytes
    assert_eq!(classify(&e), Class::Malformed);
    // An ICMP error in a fragment is a fragment first.
    let (a, _) = fragments(&icmp_error(ROUTER, WAN, 3, 0, &sent), 32);
    assert!(matches!(classify(&a), Class::Fragment { first: false, .. }));
}

#[test]
fn classify_ipv4_header_that_does_not_hold() {
    let p = udp(LAN, REMOTE, LAN_PORT, 53, DATA, true);
    let mut q = p.clone();
    q[0] = 0x44;
    assert_eq!(classify(&q), Class::Malformed);
    let mut q = p.clone();
    q[0] = 0x65;
    assert_eq!(classify(&q), Class::Malformed);
    let mut q = p.clone();
    q[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(classify(&q), Class::Malformed);
    assert_eq!(classify(&p[..p.len() - 1]), Class::Malformed);
}

// ---- No panic on any input.

/// xorshift32: a small deterministic generator.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Runs everything on `p`; a rewrite that fails must leave it unchanged.
fn exercise(p: &[u8]) {
    let _ = classify(p);
    for f in [
        set_source,
        set_destination,
        untranslate_icmp_error,
        translate_icmp_error,
    ] {
        let mut q = p.to_vec();
        if f(&mut q, WAN, NAT_PORT).is_err() {
            assert_eq!(q, p);
        }
    }
}

fn samples() -> Vec<Vec<u8>> {
    let sent = tcp(WAN, REMOTE, NAT_PORT, REMOTE_PORT, SYN, DATA);
    let sent_echo = echo(WAN, REMOTE, TYPE_ECHO_REQUEST, 1, DATA);
    vec![
        sent.clone(),
        udp(LAN, REMOTE, LAN_PORT, 53, DATA, true),
        echo(LAN, REMOTE, TYPE_ECHO_REQUEST, 1, DATA),
        icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, &sent),
        icmp_error(ROUTER, WAN, TYPE_TIME_EXCEEDED, 0, &sent_echo),
        icmp_error(
            ROUTER,
            WAN,
            TYPE_DEST_UNREACHABLE,
            3,
            &udp(WAN, REMOTE, 1, 2, DATA, true),
        ),
    ]
}

#[test]
fn truncated_packets_never_panic() {
    for p in samples() {
        for n in 0..60.min(p.len()) {
            // As cut (total length now beyond the buffer) ...
            exercise(&p[..n]);
            // ... and with the total length claiming only what is there, so that the
            // transport header is what is short.
            let mut q = p[..n].to_vec();
            if n >= 4 {
                q[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                exercise(&q);
                if n >= 20 && classify(&q) != Class::Malformed {
                    // Whatever is not malformed is a complete header of its kind.
                    assert!(n >= 28 || (q[9] != PROTO_TCP && q[9] != PROTO_UDP));
                }
            }
        }
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x2545_f491);
    for i in 0..20_000 {
        let len = (rng.next() % 100) as usize;
        let mut p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Most of them with a plausible IPv4 header, to get past the first checks.
        if len >= 20 && i % 4 != 0 {
            p[0] = 0x45 + (rng.next() % 3) as u8;
            p[2..4].copy_from_slice(&((len as u32 - rng.next() % 4) as u16).to_be_bytes());
            p[6] &= if i % 3 == 0 { 0xff } else { 0x40 };
            p[9] = [PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_GRE][i % 4];
            if p[9] == PROTO_ICMP && len > 28 {
                p[20] = [3, 11, 8, 0][(i / 4) % 4];
                p[28] = 0x45;
            }
        }
        exercise(&p);
    }
    // And valid packets with a few bytes flipped.
    let samples = samples();
    for i in 0..20_000 {
        let mut p = samples[i % samples.len()].clone();
        for _ in 0..3 {
            let at = rng.next() as usize % p.len();
            p[at] ^= rng.next() as u8;
        }
        exercise(&p);
    }
}
