//! What connection tracking, mangle and NAT agree on: a flow's key and a packet's
//! connection state. Addresses are host-order u32s, as in the FIB.

use std::fmt;
use std::net::Ipv4Addr;

/// A connection's identity in one direction, as a packet carries it on the wire.
///
/// For TCP and UDP the ports are the packet's ports. For ICMP echo the identifier stands in
/// for a port on the side that chose it: an echo request is `(sport = id, dport = 0)`, an
/// echo reply `(sport = 0, dport = id)`, so that a reply's key is the request's reversed.
/// Other protocols have both ports 0.
///
/// Packed (13 bytes, no padding) so that a connection's two keys leave room in its cache
/// line for the cached decisions (conntrack's `Conn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(C, packed)]
pub struct FlowKey {
    pub src: u32,
    pub dst: u32,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
}

impl FlowKey {
    /// The key of a packet going the other way.
    #[inline]
    pub fn reversed(&self) -> FlowKey {
        FlowKey {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
            proto: self.proto,
        }
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} -> {}:{} proto {}",
            Ipv4Addr::from(self.src),
            { self.sport },
            Ipv4Addr::from(self.dst),
            { self.dport },
            { self.proto }
        )
    }
}

/// A packet's relation to the connection it belongs to (mangle's `connection-state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum ConnState {
    /// The first packet of a connection, or one of its first direction before any reply.
    #[default]
    New = 0,
    /// A connection that has seen packets both ways.
    Established = 1,
    /// An ICMP error about a tracked connection.
    Related = 2,
    /// A packet that fits no connection and cannot start one (a stray TCP reset...).
    Invalid = 3,
    /// Not tracked at all.
    Untracked = 4,
}

impl ConnState {
    pub const ALL: [ConnState; 5] = [
        ConnState::New,
        ConnState::Established,
        ConnState::Related,
        ConnState::Invalid,
        ConnState::Untracked,
    ];

    /// RouterOS's name.
    pub fn name(self) -> &'static str {
        match self {
            ConnState::New => "new",
            ConnState::Established => "established",
            ConnState::Related => "related",
            ConnState::Invalid => "invalid",
            ConnState::Untracked => "untracked",
        }
    }

    pub fn parse(s: &str) -> Option<ConnState> {
        ConnState::ALL.into_iter().find(|c| c.name() == s)
    }

    /// A one-bit mask, for matchers that accept a set of states.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A port index that means "none" (the output chain has no in-interface; prerouting has no
/// out-interface yet).
pub const NO_PORT: u16 = u16::MAX;
