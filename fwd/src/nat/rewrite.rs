//! NAT rewrites of an IPv4 datagram in place, with every checksum that covers a changed field
//! updated incrementally (RFC 1624 via [`checksum::update16`] and [`checksum::update32`]).
//!
//! Each function checks everything it needs before it writes: on `Err` the packet is unchanged.

use std::fmt;

use super::classify::{be16, be32, ip, is_error, quoted, tcp_ok, udp_ok, Ip};
use crate::packet::checksum::{update16, update32};
use crate::packet::icmp::{HEADER_LEN as ICMP_HEADER_LEN, TYPE_ECHO_REPLY, TYPE_ECHO_REQUEST};
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};

/// Why a datagram could not be rewritten. The datagram is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewriteError {
    /// The IPv4 header does not hold, the transport header that must change is truncated or
    /// invalid (see [`Class::Malformed`](super::Class::Malformed)), or an ICMP error does not
    /// quote an IPv4 header and 8 bytes of its payload.
    Malformed,
    /// An ICMP error rewrite was asked of a datagram that is not an ICMP error.
    NotIcmpError,
    /// An ICMP error rewrite was asked of a fragment (ICMP errors fit in 576 bytes and are
    /// never fragmented in practice; the quoted datagram may not be in this piece).
    Fragment,
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RewriteError::Malformed => "malformed packet",
            RewriteError::NotIcmpError => "not an ICMP error",
            RewriteError::Fragment => "fragmented ICMP error",
        })
    }
}

impl std::error::Error for RewriteError {}

// Offsets of the fields that NAT changes.
const IP_CHECKSUM: usize = 10;
const IP_SRC: usize = 12;
const IP_DST: usize = 16;
const SPORT: usize = 0;
const DPORT: usize = 2;
const TCP_CHECKSUM: usize = 16;
const UDP_CHECKSUM: usize = 6;
const ICMP_CHECKSUM: usize = 2;
const ICMP_ID: usize = 4;

#[inline]
fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// A UDP checksum of 0 means "none" (RFC 768): a computed 0 is sent as 0xFFFF.
#[inline]
fn udp_nonzero(c: u16) -> u16 {
    if c == 0 {
        0xffff
    } else {
        c
    }
}

/// The transport field a rewrite changes along with the address.
#[derive(Clone, Copy)]
enum L4 {
    /// Nothing beyond the address: a non-first fragment, another protocol, an ICMP message
    /// that is not the echo kind whose id is on the rewritten side.
    None,
    Tcp,
    Udp,
    Echo,
}

/// Which side of a datagram a rewrite changes.
#[derive(Clone, Copy)]
struct Side {
    /// The address field in an IPv4 header.
    addr_at: usize,
    /// The port field in a TCP or UDP header.
    port_at: usize,
    /// The ICMP echo type whose id stands for this side's port (FlowKey's convention).
    echo_type: u8,
}

const SOURCE: Side = Side {
    addr_at: IP_SRC,
    port_at: SPORT,
    echo_type: TYPE_ECHO_REQUEST,
};

const DESTINATION: Side = Side {
    addr_at: IP_DST,
    port_at: DPORT,
    echo_type: TYPE_ECHO_REPLY,
};

/// Source NAT of an original-direction packet: source address := `addr`, and TCP/UDP source
/// port or ICMP echo request id := `port` (FlowKey's `sport` in every case).
///
/// Updates the IPv4 header checksum; the TCP checksum; the UDP checksum unless it is 0 (none),
/// writing a result of 0 as 0xFFFF; the ICMP checksum when an echo request's id changes (ICMP
/// has no pseudo header, so an address change alone leaves it be). `port` is ignored where the
/// packet has no source port: other protocols, ICMP other than echo request.
///
/// Fragments: the first one (MF set, offset 0) is rewritten like a whole datagram, port
/// included, as long as it holds the transport header (a TCP/UDP checksum covers the whole
/// datagram, and the incremental delta is the same); a non-first fragment only gets its
/// address and IPv4 header checksum changed.
///
/// Errors (packet unchanged): [`RewriteError::Malformed`] when the IPv4 header does not hold
/// or a transport header that must change is truncated or invalid.
#[inline]
pub fn set_source(l3: &mut [u8], addr: u32, port: u16) -> Result<(), RewriteError> {
    rewrite(l3, SOURCE, addr, port)
}

/// The reverse, for a reply: destination address := `addr`, TCP/UDP destination port or ICMP
/// echo reply id := `port` (FlowKey's `dport` in every case). Checksums and fragments as
/// [`set_source`].
#[inline]
pub fn set_destination(l3: &mut [u8], addr: u32, port: u16) -> Result<(), RewriteError> {
    rewrite(l3, DESTINATION, addr, port)
}

#[inline(always)]
fn rewrite(l3: &mut [u8], side: Side, addr: u32, port: u16) -> Result<(), RewriteError> {
    let h = ip(l3, true).ok_or(RewriteError::Malformed)?;
    let kind = l4_kind(&l3[h.ihl..h.total], h, side)?;

    let old = be32(l3, side.addr_at);
    put32(l3, side.addr_at, addr);
    let c = update32(be16(l3, IP_CHECKSUM), old, addr);
    put16(l3, IP_CHECKSUM, c);

    let l4 = &mut l3[h.ihl..h.total];
    match kind {
        L4::None => {}
        L4::Tcp => {
            let old_port = be16(l4, side.port_at);
            put16(l4, side.port_at, port);
            let c = update16(update32(be16(l4, TCP_CHECKSUM), old, addr), old_port, port);
            put16(l4, TCP_CHECKSUM, c);
        }
        L4::Udp => {
            let old_port = be16(l4, side.port_at);
            put16(l4, side.port_at, port);
            let c = be16(l4, UDP_CHECKSUM);
            if c != 0 {
                let c = update16(update32(c, old, addr), old_port, port);
                put16(l4, UDP_CHECKSUM, udp_nonzero(c));
            }
        }
        L4::Echo => {
            let old_id = be16(l4, ICMP_ID);
            put16(l4, ICMP_ID, port);
            let c = update16(be16(l4, ICMP_CHECKSUM), old_id, port);
            put16(l4, ICMP_CHECKSUM, c);
        }
    }
    Ok(())
}

/// What of the transport header `l4` a rewrite of `side` changes, once it is checked.
#[inline(always)]
fn l4_kind(l4: &[u8], h: Ip, side: Side) -> Result<L4, RewriteError> {
    if !h.first {
        return Ok(L4::None);
    }
    let ok = |good: bool, kind: L4| {
        if good {
            Ok(kind)
        } else {
            Err(RewriteError::Malformed)
        }
    };
    match h.proto {
        PROTO_TCP => ok(tcp_ok(l4), L4::Tcp),
        // A first fragment's UDP length is the whole datagram's.
        PROTO_UDP => ok(udp_ok(l4, !h.fragment), L4::Udp),
        PROTO_ICMP if l4.len() < ICMP_HEADER_LEN => Err(RewriteError::Malformed),
        PROTO_ICMP if l4[0] == side.echo_type => Ok(L4::Echo),
        _ => Ok(L4::None),
    }
}

/// An ICMP error about a translated connection, on its way from the outside to the LAN host
/// (see [`Class::IcmpError`](super::Class::IcmpError) for when): the quoted datagram is one we
/// sent out after source NAT, and this restores what the LAN host sent. `addr` and `port` are
/// the connection's original source address and port (or echo id).
///
/// Changes: the error's destination address := `addr` (+ IPv4 header checksum); the quoted
/// source address := `addr` (+ quoted IPv4 header checksum); the quoted TCP/UDP source port or
/// echo request id := `port`, with the quoted L4 checksum updated when it lies within the
/// quoted bytes (a quoted UDP checksum of 0 stays 0; a TCP checksum cut in half by the end of
/// the quote stays as it is, since the update needs the missing byte); and the ICMP checksum, for every 16-bit
/// word of the message that changed (quoted header, its checksum, port, L4 checksum). A quoted
/// non-first fragment only gets its address changed.
///
/// Errors (packet unchanged): [`RewriteError::NotIcmpError`] for anything but an ICMP error
/// (types 3, 4, 5, 11, 12), [`RewriteError::Fragment`] for a fragmented error,
/// [`RewriteError::Malformed`] for a truncated one.
#[inline]
pub fn untranslate_icmp_error(l3: &mut [u8], addr: u32, port: u16) -> Result<(), RewriteError> {
    rewrite_error(l3, IP_DST, SOURCE, addr, port)
}

/// The mirror of [`untranslate_icmp_error`]: an ICMP error that a LAN host generated about a
/// reply it got (the quoted datagram is remote -> LAN host, after de-NAT), leaving through the
/// NAT. `addr` and `port` are the connection's translated address and port (or echo id).
///
/// Changes: the error's source address := `addr`; the quoted destination address := `addr`;
/// the quoted TCP/UDP destination port or echo reply id := `port`; checksums and errors as
/// [`untranslate_icmp_error`].
#[inline]
pub fn translate_icmp_error(l3: &mut [u8], addr: u32, port: u16) -> Result<(), RewriteError> {
    rewrite_error(l3, IP_SRC, DESTINATION, addr, port)
}

fn rewrite_error(
    l3: &mut [u8],
    outer_at: usize,
    side: Side,
    addr: u32,
    port: u16,
) -> Result<(), RewriteError> {
    let h = ip(l3, true).ok_or(RewriteError::Malformed)?;
    if h.proto != PROTO_ICMP {
        return Err(RewriteError::NotIcmpError);
    }
    if h.fragment {
        return Err(RewriteError::Fragment);
    }
    let icmp = &l3[h.ihl..h.total];
    if icmp.len() < ICMP_HEADER_LEN {
        return Err(RewriteError::Malformed);
    }
    if !is_error(icmp[0]) {
        return Err(RewriteError::NotIcmpError);
    }
    let qh = quoted(icmp).ok_or(RewriteError::Malformed)?;

    // The error's own header.
    let old = be32(l3, outer_at);
    put32(l3, outer_at, addr);
    let c = update32(be16(l3, IP_CHECKSUM), old, addr);
    put16(l3, IP_CHECKSUM, c);

    // The quoted header, at offset 8 of the message: every field below is 16-bit aligned
    // within the message, so each is a whole word of the ICMP checksum.
    let icmp = &mut l3[h.ihl..h.total];
    let q = ICMP_HEADER_LEN;
    let mut ic = be16(icmp, ICMP_CHECKSUM);
    let old = be32(icmp, q + side.addr_at);
    put32(icmp, q + side.addr_at, addr);
    ic = update32(ic, old, addr);
    let old_c = be16(icmp, q + IP_CHECKSUM);
    let c = update32(old_c, old, addr);
    put16(icmp, q + IP_CHECKSUM, c);
    ic = update16(ic, old_c, c);

    // The quoted transport header: `quoted` made sure its first 8 bytes are there.
    let l4 = q + qh.ihl;
    if qh.first {
        match qh.proto {
            PROTO_TCP => {
                let old_port = be16(icmp, l4 + side.port_at);
                put16(icmp, l4 + side.port_at, port);
                ic = update16(ic, old_port, port);
                if icmp.len() >= l4 + TCP_CHECKSUM + 2 {
                    let old_c = be16(icmp, l4 + TCP_CHECKSUM);
                    let c = update16(update32(old_c, old, addr), old_port, port);
                    put16(icmp, l4 + TCP_CHECKSUM, c);
                    ic = update16(ic, old_c, c);
                }
            }
            PROTO_UDP => {
                let old_port = be16(icmp, l4 + side.port_at);
                put16(icmp, l4 + side.port_at, port);
                ic = update16(ic, old_port, port);
                let old_c = be16(icmp, l4 + UDP_CHECKSUM);
                if old_c != 0 {
                    let c = udp_nonzero(update16(update32(old_c, old, addr), old_port, port));
                    put16(icmp, l4 + UDP_CHECKSUM, c);
                    ic = update16(ic, old_c, c);
                }
            }
            PROTO_ICMP if icmp[l4] == side.echo_type => {
                let old_id = be16(icmp, l4 + ICMP_ID);
                put16(icmp, l4 + ICMP_ID, port);
                ic = update16(ic, old_id, port);
                let old_c = be16(icmp, l4 + ICMP_CHECKSUM);
                let c = update16(old_c, old_id, port);
                put16(icmp, l4 + ICMP_CHECKSUM, c);
                ic = update16(ic, old_c, c);
            }
            _ => {}
        }
    }
    put16(icmp, ICMP_CHECKSUM, ic);
    Ok(())
}
