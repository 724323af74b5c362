//! NAT on the packet path: what connection tracking needs to know of a packet
//! ([`classify`]), the rewrites that source NAT (masquerade, src-nat) and its reverse apply to
//! a datagram ([`set_source`], [`set_destination`], and for ICMP errors about a translated
//! connection [`untranslate_icmp_error`], [`translate_icmp_error`]), and the choice of a
//! translated port ([`pick_port`]).
//!
//! Everything here is pure: functions of byte slices, without DPDK, allocation or panics, and
//! cheap enough for every packet. Each takes the IPv4 datagram as `l3`, starting at its IPv4
//! header, whose version, IHL, header checksum and total length the caller has checked; `l3`
//! may run past the total length (link padding), which is what counts. Checksums are updated
//! incrementally (RFC 1624), never recomputed.
//!
//! Ports follow [`FlowKey`](crate::flow::FlowKey)'s convention: an ICMP echo request's id is
//! its source port, an echo reply's its destination port, so a connection's NAT'd "port" is the
//! id for ping and the same functions serve it.
//!
//! A connection through source NAT, in the terms of conntrack:
//!
//! - original direction, LAN -> outside: `set_source(l3, nat_addr, nat_port)`;
//! - reply direction, outside -> LAN: `set_destination(l3, orig_addr, orig_port)`;
//! - an ICMP error from the outside about it: `untranslate_icmp_error(l3, orig_addr,
//!   orig_port)`; an ICMP error from the LAN host about a reply: `translate_icmp_error(l3,
//!   nat_addr, nat_port)`. [`Class::IcmpError`] says which key finds the connection.

mod classify;
mod rewrite;

pub use classify::{classify, Class};
pub use rewrite::{
    set_destination, set_source, translate_icmp_error, untranslate_icmp_error, RewriteError,
};

/// An inclusive range of ports (or ICMP echo ids) that NAT may translate to, such as a
/// worker's share of `to-ports`, e.g. `PortRange { first: 1024, last: 65535 }`. A range whose
/// `first` is above its `last` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Every port, 0 excepted.
    pub const ALL: PortRange = PortRange {
        first: 1,
        last: u16::MAX,
    };

    #[inline]
    pub const fn new(first: u16, last: u16) -> PortRange {
        PortRange { first, last }
    }

    /// How many ports the range holds (up to 65536).
    #[inline]
    pub const fn len(&self) -> u32 {
        if self.first > self.last {
            0
        } else {
            self.last as u32 - self.first as u32 + 1
        }
    }

    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.first > self.last
    }

    #[inline]
    pub const fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

/// A cheap, well-spread hash of a 32-bit value (the finaliser of MurmurHash3).
#[inline]
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^ (x >> 16)
}

/// Chooses the port (or ICMP echo id) to translate a new connection to.
///
/// Returns `preferred` when it lies in `range` and `is_free` says it is free: as RouterOS,
/// masquerade keeps the original source port when it can. Otherwise probes the ports of
/// `range` one after another (wrapping around), starting at a position derived from `salt`
/// (hash the flow key, or a per-worker counter, into it), each port at most once and at most
/// `max_tries` of them, and returns the first one that `is_free` accepts; `None` when none did
/// (the range is exhausted, or the tries ran out). Every answer lies in `range`. `is_free` is
/// called at most `max_tries + 1` times; it may also reject ports for other reasons than being
/// taken (for example a port whose reply would hash to another worker's RSS queue).
#[inline]
pub fn pick_port(
    preferred: u16,
    range: PortRange,
    salt: u32,
    mut is_free: impl FnMut(u16) -> bool,
    max_tries: usize,
) -> Option<u16> {
    if range.contains(preferred) && is_free(preferred) {
        return Some(preferred);
    }
    let n = range.len();
    // Multiply-shift maps the hash onto 0..n without a division (Lemire's reduction).
    let mut offset = ((u64::from(mix(salt)) * u64::from(n)) >> 32) as u32;
    let tries = max_tries.min(n as usize);
    for _ in 0..tries {
        let port = (u32::from(range.first) + offset) as u16;
        if is_free(port) {
            return Some(port);
        }
        offset += 1;
        if offset == n {
            offset = 0;
        }
    }
    None
}

/// Chooses a port as [`pick_port`] does, but only among the ports that `fits` accepts: a
/// cheap test, such as "the NIC steers this port's reply to this worker's queue", that
/// rejects most ports without the cost of `is_free` (a table lookup).
///
/// Keeps `preferred` when it lies in `range`, fits and is free. Otherwise walks the ports of
/// `range` from a position derived from `salt`, at most `max_walk` of them, and asks
/// `is_free` about those that fit, at most `max_tries` times; `None` when nothing came of it.
#[inline]
pub fn pick_port_fitting(
    preferred: u16,
    range: PortRange,
    salt: u32,
    fits: impl Fn(u16) -> bool,
    mut is_free: impl FnMut(u16) -> bool,
    max_tries: usize,
    max_walk: usize,
) -> Option<u16> {
    if range.contains(preferred) && fits(preferred) && is_free(preferred) {
        return Some(preferred);
    }
    let n = range.len();
    let mut offset = ((u64::from(mix(salt)) * u64::from(n)) >> 32) as u32;
    let mut tries = 0;
    for _ in 0..max_walk.min(n as usize) {
        let port = (u32::from(range.first) + offset) as u16;
        if fits(port) {
            if is_free(port) {
                return Some(port);
            }
            tries += 1;
            if tries >= max_tries {
                return None;
            }
        }
        offset += 1;
        if offset == n {
            offset = 0;
        }
    }
    None
}

#[cfg(test)]
mod tests;
