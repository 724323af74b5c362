//! Fragments without reassembly ("virtual reassembly", as VPP's NAT does it): the first
//! fragment of a datagram carries the transport header; the worker remembers its ports (and,
//! with several workers, which worker owns its connection) under the datagram's
//! (source, destination, protocol, identification), and the later fragments are tracked,
//! routed and translated as packets of that connection. Nothing is buffered or copied, and
//! forwarded fragments keep their size, so no refragmentation is needed.
//!
//! A later fragment that arrives before its first one (or after its entry was overwritten or
//! expired) is dropped and counted (`fragment`): the router holds no fragments back.
//!
//! The table is a small direct-mapped cache per worker, allocated once: a datagram's entry
//! lives until [`LIFETIME_MS`] or until another datagram hashing to the same slot replaces
//! it, which takes many datagrams in flight at once.

use crate::flow::FlowKey;

/// Slots per worker (a power of two).
pub const SLOTS: usize = 4096;
/// How long the ports of a datagram are remembered, as Linux's `ipfrag_time` default.
pub const LIFETIME_MS: u64 = 30_000;

#[derive(Clone, Copy, Default)]
struct Entry {
    src: u32,
    dst: u32,
    ident: u16,
    proto: u8,
    sport: u16,
    dport: u16,
    /// The worker that owns the datagram's connection.
    owner: u16,
    /// When it expires (ms); 0 is an empty slot.
    expires: u64,
}

/// The ports and owner of the datagrams whose first fragment this worker saw.
pub struct Frags {
    slots: Box<[Entry]>,
}

impl Default for Frags {
    fn default() -> Self {
        Frags {
            slots: vec![Entry::default(); SLOTS].into_boxed_slice(),
        }
    }
}

#[inline]
fn slot(key: &FlowKey, ident: u16) -> usize {
    let x = u64::from(key.src) << 32 | u64::from(key.dst);
    let h = (x ^ u64::from(ident) << 8 ^ u64::from(key.proto)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & (SLOTS - 1)
}

impl Frags {
    /// Remembers the first fragment of a datagram: `key` with its ports, and its owner.
    pub fn remember(&mut self, key: &FlowKey, ident: u16, owner: usize, now_ms: u64) {
        self.slots[slot(key, ident)] = Entry {
            src: key.src,
            dst: key.dst,
            ident,
            proto: key.proto,
            sport: key.sport,
            dport: key.dport,
            owner: owner as u16,
            expires: now_ms + LIFETIME_MS,
        };
    }

    /// The key, with its ports, of the datagram that a later fragment of `key` (ports 0)
    /// and `ident` belongs to, and its owner.
    pub fn recall(&self, key: &FlowKey, ident: u16, now_ms: u64) -> Option<(FlowKey, usize)> {
        let e = &self.slots[slot(key, ident)];
        (e.expires > now_ms
            && e.src == key.src
            && e.dst == key.dst
            && e.ident == ident
            && e.proto == key.proto)
            .then(|| {
                (
                    FlowKey {
                        sport: e.sport,
                        dport: e.dport,
                        ..*key
                    },
                    usize::from(e.owner),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src: u32, sport: u16) -> FlowKey {
        FlowKey {
            src,
            dst: 0xc000_0264,
            sport,
            dport: 53,
            proto: 17,
        }
    }

    #[test]
    fn later_fragments_get_the_first_ones_ports_until_expiry() {
        let mut f = Frags::default();
        let k = key(0xc0a8_010a, 4000);
        f.remember(&k, 7, 1, 1000);
        let bare = FlowKey {
            sport: 0,
            dport: 0,
            ..k
        };
        assert_eq!(f.recall(&bare, 7, 2000), Some((k, 1)));
        assert_eq!(f.recall(&bare, 8, 2000), None, "another datagram");
        let other = FlowKey { src: 1, ..bare };
        assert_eq!(f.recall(&other, 7, 2000), None, "another source");
        assert_eq!(f.recall(&bare, 7, 1000 + LIFETIME_MS), None, "expired");
    }

    #[test]
    fn datagrams_in_flight_at_once_mostly_keep_their_slots() {
        let mut f = Frags::default();
        let n = 256u16;
        for i in 0..n {
            f.remember(&key(0xc0a8_0100 + u32::from(i % 16), 5000 + i), i, 0, 0);
        }
        let kept = (0..n)
            .filter(|i| {
                let k = key(0xc0a8_0100 + u32::from(i % 16), 5000 + i);
                f.recall(
                    &FlowKey {
                        sport: 0,
                        dport: 0,
                        ..k
                    },
                    *i,
                    1,
                ) == Some((k, 0))
            })
            .count();
        assert!(kept >= 240, "{kept} of {n} kept in {SLOTS} slots");
    }
}
