//! The translation of a cached connection's common packet, fused with the TTL decrement:
//! one pass over an options-less, unfragmented TCP or UDP datagram, each checksum updated
//! once (RFC 1624 eqn. 3 over every changed word) instead of once per change. Anything else
//! is left to [`set_source`](super::set_source) / [`set_destination`](super::set_destination)
//! and the general TTL decrement, which give the same bytes (`tests_fused.rs` checks that).

use super::classify::{tcp_ok, udp_ok};
use crate::packet::ipv4::{PROTO_TCP, PROTO_UDP};

/// Source or destination: which address and port a translation rewrites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rewrite {
    /// Source address and port (a translated connection's original direction).
    Source,
    /// Destination address and port (its replies).
    Destination,
}

/// The ones' complement sum of a 32-bit value's two words.
#[inline(always)]
fn words(v: u32) -> u32 {
    (v >> 16) + (v & 0xFFFF)
}

/// `checksum` after words summing to `old` became words summing to `new` (both sums of the
/// same number of words, taken as [`words`] gives them): RFC 1624 eqn. 3,
/// HC' = ~(~HC + ~m + m'), with ~m as the sum of the complemented old words.
#[inline(always)]
fn updated(checksum: u16, old_complement: u32, new: u32) -> u16 {
    let s = u32::from(!checksum) + old_complement + new;
    let s = (s & 0xFFFF) + (s >> 16);
    let s = (s & 0xFFFF) + (s >> 16);
    !(s as u16)
}

/// Rewrites `side`'s address and port of the datagram `l3` to `addr` and `port`, and
/// decrements its TTL, with the IPv4 and the TCP/UDP checksums updated: true when done.
/// False, with `l3` untouched, unless `l3` is an options-less IPv4 header, not a fragment,
/// with a TTL of at least 2, carrying a TCP or UDP header that the general rewrite accepts,
/// within its total length (and `l3` no shorter than that length).
#[inline]
pub fn translate_and_decrement(l3: &mut [u8], side: Rewrite, addr: u32, port: u16) -> bool {
    let Some(h) = l3.first_chunk::<20>() else {
        return false;
    };
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let fragment = u16::from_be_bytes([h[6], h[7]]) & 0x3FFF != 0;
    let (ttl, proto) = (h[8], h[9]);
    if h[0] != 0x45 || fragment || ttl < 2 || total < 20 || total > l3.len() {
        return false;
    }
    // The transport header as the general rewrite checks it.
    let l4 = &l3[20..total];
    let ok = match proto {
        PROTO_TCP => tcp_ok(l4),
        PROTO_UDP => udp_ok(l4, true),
        _ => false,
    };
    ok && rewrite(l3, proto, side, addr, port)
}

/// [`translate_and_decrement`] for a datagram already known to be what it accepts but for
/// the TTL (the stateful path's burst lanes checked the rest in stage one: an options-less,
/// unfragmented IPv4 header with `proto` TCP or UDP, whose transport header the general
/// rewrite accepts, within `l3`): only the TTL is looked at. The same bytes, the same result.
#[inline(always)]
pub fn translate_checked(l3: &mut [u8], proto: u8, side: Rewrite, addr: u32, port: u16) -> bool {
    l3.get(8).is_some_and(|&ttl| ttl >= 2) && rewrite(l3, proto, side, addr, port)
}

/// The rewrite of both: `l3` is a datagram of `proto` (TCP or UDP) with a TTL of at least 2,
/// an options-less header and a whole transport header. False (nothing written) only when
/// `l3` is too short for the transport header's checksum, which the callers' checks exclude.
#[inline(always)]
fn rewrite(l3: &mut [u8], proto: u8, side: Rewrite, addr: u32, port: u16) -> bool {
    // The transport checksum's offset in `l3`.
    let at = if proto == PROTO_TCP { 20 + 16 } else { 20 + 6 };
    let Some(l3) = l3.get_mut(..at + 2) else {
        return false;
    };
    let (addr_at, port_at) = match side {
        Rewrite::Source => (12, 20),
        Rewrite::Destination => (16, 22),
    };
    let old = u32::from_be_bytes([
        l3[addr_at],
        l3[addr_at + 1],
        l3[addr_at + 2],
        l3[addr_at + 3],
    ]);
    let old_port = u16::from_be_bytes([l3[port_at], l3[port_at + 1]]);
    // IPv4 header: the address, and the TTL/protocol word (TTL - 1).
    let ttl = l3[8];
    let ttl_proto = u16::from_be_bytes([ttl, proto]);
    let ip_sum = u16::from_be_bytes([l3[10], l3[11]]);
    let ip_sum = updated(
        ip_sum,
        words(!old) + u32::from(!ttl_proto),
        words(addr) + u32::from(ttl_proto - 0x0100),
    );
    l3[8] = ttl - 1;
    l3[10..12].copy_from_slice(&ip_sum.to_be_bytes());
    l3[addr_at..addr_at + 4].copy_from_slice(&addr.to_be_bytes());
    // TCP/UDP: the pseudo header's address and the port. A UDP checksum of 0 means none.
    let l4_sum = u16::from_be_bytes([l3[at], l3[at + 1]]);
    if proto == PROTO_TCP || l4_sum != 0 {
        let s = updated(
            l4_sum,
            words(!old) + u32::from(!old_port),
            words(addr) + u32::from(port),
        );
        let s = if proto == PROTO_UDP && s == 0 {
            0xFFFF
        } else {
            s
        };
        l3[at..at + 2].copy_from_slice(&s.to_be_bytes());
    }
    l3[port_at..port_at + 2].copy_from_slice(&port.to_be_bytes());
    true
}
