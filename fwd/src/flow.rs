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
#[derive(Clone, Copy, Debug, Eq, Default)]
#[repr(C, packed)]
pub struct FlowKey {
    pub src: u32,
    pub dst: u32,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
}

/// Equality as two 64-bit words compared at once (a lookup compares a key per probe: field
/// by field that was five compare-and-branch pairs).
impl PartialEq for FlowKey {
    #[inline]
    fn eq(&self, other: &FlowKey) -> bool {
        let (a, b) = (self.words(), other.words());
        ((a.0 ^ b.0) | (a.1 ^ b.1)) == 0
    }
}

/// Hashed as it is compared: by its two words.
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.words().hash(state);
    }
}

impl FlowKey {
    /// The key as two words: the addresses; the ports and protocol.
    #[inline(always)]
    fn words(&self) -> (u64, u64) {
        (
            u64::from(self.src) | u64::from(self.dst) << 32,
            u64::from(self.sport) | u64::from(self.dport) << 16 | u64::from(self.proto) << 32,
        )
    }

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

#[cfg(test)]
mod tests {
    use super::FlowKey;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = FlowKey> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u8>(),
        )
            .prop_map(|(src, dst, sport, dport, proto)| FlowKey {
                src,
                dst,
                sport,
                dport,
                proto,
            })
    }

    /// Field by field, as the derived comparison was.
    fn same(a: &FlowKey, b: &FlowKey) -> bool {
        let fields = |k: &FlowKey| (k.src, k.dst, k.sport, k.dport, k.proto);
        fields(a) == fields(b)
    }

    proptest! {
        /// A key equals its copy and differs from any key one bit away, in any field.
        #[test]
        fn one_bit_anywhere_makes_keys_differ(a in key(), field in 0usize..5, bit in 0u32..32) {
            let mut b = a;
            match field {
                0 => b.src ^= 1 << bit,
                1 => b.dst ^= 1 << bit,
                2 => b.sport ^= 1 << (bit % 16),
                3 => b.dport ^= 1 << (bit % 16),
                _ => b.proto ^= 1 << (bit % 8),
            }
            prop_assert!(a == a);
            prop_assert!(a != b);
        }

        #[test]
        fn equality_is_field_by_field(a in key(), b in key()) {
            prop_assert_eq!(a == b, same(&a, &b));
        }
    }
}
