//! What connection tracking needs to know of a packet before it looks anything up: its flow
//! key, or the flow key quoted by an ICMP error, or that ports cannot be trusted.

use crate::flow::FlowKey;
use crate::packet::icmp::{HEADER_LEN as ICMP_HEADER_LEN, TYPE_TIME_EXCEEDED};
use crate::packet::icmp::{TYPE_DEST_UNREACHABLE, TYPE_ECHO_REPLY, TYPE_ECHO_REQUEST};
use crate::packet::ipv4::{HEADER_LEN as IPV4_HEADER_LEN, PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use crate::packet::tcp::HEADER_LEN as TCP_HEADER_LEN;
use crate::packet::udp::HEADER_LEN as UDP_HEADER_LEN;

pub(super) const TYPE_SOURCE_QUENCH: u8 = 4;
pub(super) const TYPE_REDIRECT: u8 = 5;
pub(super) const TYPE_PARAMETER_PROBLEM: u8 = 12;

/// The bytes of the quoted datagram's transport header that an ICMP error must carry
/// (RFC 792: the IP header plus the first 64 bits of the data): ports, or an echo id.
pub(super) const QUOTED_L4_LEN: usize = 8;

/// How a packet relates to connection tracking. See [`classify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A packet that belongs to a flow: TCP or UDP with its ports, an ICMP echo request
    /// (`sport = id, dport = 0`) or reply (`sport = 0, dport = id`), as [`FlowKey`] has it;
    /// any other ICMP message (not an error) and any other protocol with both ports 0.
    /// `tcp_flags` is the TCP flags byte (FIN 0x01 ... CWR 0x80), 0 for other protocols.
    Flow { key: FlowKey, tcp_flags: u8 },
    /// An ICMP error (destination unreachable 3, source quench 4, redirect 5, time exceeded
    /// 11, parameter problem 12) about the datagram it quotes.
    ///
    /// `outer` is the error's own addresses: `src`, `dst` of its IPv4 header, proto 1, ports 0.
    ///
    /// `inner` is the quoted datagram's key exactly as that datagram carried it, by the same
    /// rules as [`Class::Flow`]: `inner.src` is the quoted source address, an echo request
    /// gives `(sport = id, dport = 0)`, and a quoted non-first fragment gives ports 0.
    ///
    /// **Which key to look up:** `inner.reversed()`. The quoted datagram went the opposite
    /// way to the error, so `inner.reversed()` is the key that a packet of that connection
    /// travelling in the error's direction carries: look it up exactly as a [`Class::Flow`]
    /// key, and the direction it matches is the direction of the error.
    ///
    /// - It matches a connection's *reply* direction (the quoted datagram is one we sent out
    ///   after source NAT, the error comes back from the outside): restore the original
    ///   source with [`untranslate_icmp_error`](super::untranslate_icmp_error)`(l3,
    ///   orig.src, orig.sport)`, where `orig` is the connection's original-direction key.
    /// - It matches the *original* direction (the quoted datagram is a reply that we
    ///   de-NATed and delivered to the LAN host, whose error now goes out): apply the NAT with
    ///   [`translate_icmp_error`](super::translate_icmp_error)`(l3, nat.dst, nat.dport)`,
    ///   where `nat` is the connection's reply-direction key (`nat.dst` is the address the
    ///   connection was translated to, `nat.dport` its translated port or echo id).
    ///
    /// Either way the connection state of the error is RELATED.
    IcmpError { outer: FlowKey, inner: FlowKey },
    /// A fragment (MF set or offset non-zero). `ident` is the IPv4 identification that its
    /// datagram's fragments share.
    ///
    /// With `first`, this is the first fragment (offset 0) and it holds the whole transport
    /// header of a TCP or UDP datagram or an ICMP echo: `key` has its ports as
    /// [`Class::Flow`] would, and `tcp_flags` its flags. Otherwise (a later fragment, or a
    /// first one without such a header) `key` has both ports 0: the ports are those the
    /// first fragment of the same (`src`, `dst`, `proto`, `ident`) carried.
    Fragment {
        key: FlowKey,
        ident: u16,
        first: bool,
        tcp_flags: u8,
    },
    /// The transport header is truncated or invalid: a TCP data offset below 5 or beyond the
    /// datagram, a UDP length below 8 or beyond the datagram, an ICMP message shorter than 8
    /// bytes, an ICMP error that does not quote an IPv4 header and 8 bytes of its payload.
    /// Also returned for an IPv4 header that does not hold (the caller should have checked).
    Malformed,
}

#[inline]
pub(super) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline(always)]
pub(super) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The few fields of an IPv4 header that NAT needs, once its lengths hold.
#[derive(Clone, Copy)]
pub(super) struct Ip {
    /// Header length in bytes (IHL × 4).
    pub ihl: usize,
    /// Total length: the datagram is `l3[..total]`.
    pub total: usize,
    pub proto: u8,
    /// MF set or offset non-zero.
    pub fragment: bool,
    /// Offset zero: the transport header, if any, starts this fragment.
    pub first: bool,
}

const MF_OFFSET: u16 = 0x3fff;
const OFFSET: u16 = 0x1fff;

/// Parses the IPv4 header at the start of `b`. With `whole`, the total length must fit in `b`
/// (an outer datagram); without, `total` is cut to `b.len()` (a quoted one, which an ICMP
/// error truncates).
#[inline(always)]
pub(super) fn ip(b: &[u8], whole: bool) -> Option<Ip> {
    if b.len() < IPV4_HEADER_LEN || b[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    let total = usize::from(be16(b, 2));
    if ihl < IPV4_HEADER_LEN || ihl > b.len() {
        return None;
    }
    let total = if whole {
        if total < ihl || total > b.len() {
            return None;
        }
        total
    } else {
        b.len()
    };
    let flags = be16(b, 6);
    Some(Ip {
        ihl,
        total,
        proto: b[9],
        fragment: flags & MF_OFFSET != 0,
        first: flags & OFFSET == 0,
    })
}

/// The source and destination ports and the TCP flags byte (0 for UDP) of an unfragmented
/// TCP or UDP datagram's payload `l4` (its whole payload, up to its total length), as
/// [`classify`] reads them; None when the header is not one the rewrites accept (or `proto`
/// is neither).
#[inline(always)]
pub fn transport(l4: &[u8], proto: u8) -> Option<(u16, u16, u8)> {
    let flags = match proto {
        PROTO_TCP if tcp_ok(l4) => l4[13],
        PROTO_UDP if udp_ok(l4, true) => 0,
        _ => return None,
    };
    Some((be16(l4, 0), be16(l4, 2), flags))
}

/// Whether `l4` (a whole datagram's payload) starts with a valid TCP header.
#[inline]
pub(super) fn tcp_ok(l4: &[u8]) -> bool {
    l4.len() >= TCP_HEADER_LEN && {
        let off = usize::from(l4[12] >> 4) * 4;
        off >= TCP_HEADER_LEN && off <= l4.len()
    }
}

/// Whether `l4` starts with a UDP header; for a whole datagram (`whole`) its length field must
/// lie between 8 and the payload length (what follows is link padding, as Linux accepts).
#[inline]
pub(super) fn udp_ok(l4: &[u8], whole: bool) -> bool {
    l4.len() >= UDP_HEADER_LEN && {
        let len = usize::from(be16(l4, 4));
        !whole || (len >= UDP_HEADER_LEN && len <= l4.len())
    }
}

/// Whether an ICMP type is one of the errors that quote a datagram.
#[inline]
pub(super) fn is_error(t: u8) -> bool {
    matches!(
        t,
        TYPE_DEST_UNREACHABLE
            | TYPE_SOURCE_QUENCH
            | TYPE_REDIRECT
            | TYPE_TIME_EXCEEDED
            | TYPE_PARAMETER_PROBLEM
    )
}

/// The ports of an ICMP message by the echo convention of [`FlowKey`].
#[inline]
fn icmp_ports(icmp: &[u8]) -> (u16, u16) {
    let id = be16(icmp, 4);
    match icmp[0] {
        TYPE_ECHO_REQUEST => (id, 0),
        TYPE_ECHO_REPLY => (0, id),
        _ => (0, 0),
    }
}

/// A fragment: with its ports if it is the first one and holds the transport header.
#[inline]
fn first_fragment(mut key: FlowKey, ident: u16, first: bool, l4: &[u8]) -> Class {
    let mut tcp_flags = 0;
    let first = first
        && match key.proto {
            PROTO_TCP if tcp_ok(l4) => {
                tcp_flags = l4[13];
                true
            }
            PROTO_UDP => udp_ok(l4, false),
            PROTO_ICMP => {
                l4.len() >= ICMP_HEADER_LEN && matches!(l4[0], TYPE_ECHO_REQUEST | TYPE_ECHO_REPLY)
            }
            _ => false,
        };
    if first {
        (key.sport, key.dport) = (be16(l4, 0), be16(l4, 2));
        if key.proto == PROTO_ICMP {
            (key.sport, key.dport) = icmp_ports(l4);
        }
    }
    Class::Fragment {
        key,
        ident,
        first,
        tcp_flags,
    }
}

/// The quoted datagram of an ICMP error: `q` is the ICMP message from its quoted IPv4
/// header on, and `qip` that header, with at least `QUOTED_L4_LEN` bytes after it.
#[inline]
pub(super) fn quoted(icmp: &[u8]) -> Option<Ip> {
    let q = icmp.get(ICMP_HEADER_LEN..)?;
    let qip = ip(q, false)?;
    if q.len() < qip.ihl + QUOTED_L4_LEN {
        return None;
    }
    Some(qip)
}

/// Classifies the IPv4 datagram at the start of `l3` (which may run past its total length) for
/// connection tracking. Never panics; see [`Class`] for what each answer means.
#[inline(always)]
pub fn classify(l3: &[u8]) -> Class {
    let Some(h) = ip(l3, true) else {
        return Class::Malformed;
    };
    let mut key = FlowKey {
        src: be32(l3, 12),
        dst: be32(l3, 16),
        sport: 0,
        dport: 0,
        proto: h.proto,
    };
    let l4 = &l3[h.ihl..h.total];
    if h.fragment {
        return first_fragment(key, be16(l3, 4), h.first, l4);
    }
    match h.proto {
        PROTO_TCP | PROTO_UDP => match transport(l4, h.proto) {
            Some((sport, dport, tcp_flags)) => {
                (key.sport, key.dport) = (sport, dport);
                Class::Flow { key, tcp_flags }
            }
            None => Class::Malformed,
        },
        PROTO_ICMP => {
            if l4.len() < ICMP_HEADER_LEN {
                return Class::Malformed;
            }
            if !is_error(l4[0]) {
                (key.sport, key.dport) = icmp_ports(l4);
                return Class::Flow { key, tcp_flags: 0 };
            }
            let Some(qh) = quoted(l4) else {
                return Class::Malformed;
            };
            let q = &l4[ICMP_HEADER_LEN..];
            let ql4 = &q[qh.ihl..];
            let (sport, dport) = if !qh.first {
                (0, 0)
            } else {
                match qh.proto {
                    PROTO_TCP | PROTO_UDP => (be16(ql4, 0), be16(ql4, 2)),
                    PROTO_ICMP => icmp_ports(ql4),
                    _ => (0, 0),
                }
            };
            let inner = FlowKey {
                src: be32(q, 12),
                dst: be32(q, 16),
                sport,
                dport,
                proto: qh.proto,
            };
            Class::IcmpError { outer: key, inner }
        }
        _ => Class::Flow { key, tcp_flags: 0 },
    }
}
