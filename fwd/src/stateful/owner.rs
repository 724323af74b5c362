//! Which worker owns a connection (design invariant 2), for devices that do not spread
//! packets that way themselves: the worker that receives a packet it does not own hands it
//! to the owner over a ring.
//!
//! The rule, computable from any packet of the connection in either direction:
//! - a packet to one of the router's addresses with a port (a reply to a translated
//!   connection: TCP/UDP destination port, ICMP echo identifier) belongs to the worker whose
//!   NAT port range holds that port — the worker that chose it;
//! - any other packet belongs to `symmetric_hash(key) % workers`, the same for both
//!   directions of an untranslated flow and for the original direction of a translated one;
//! - an ICMP error belongs to the owner of the packet it quotes, looked at in the error's
//!   direction.
//!
//! Each worker translates only to ports of its own range, so the two rules agree.

use super::{addr_type, Stateful};
use crate::fib::Tables;
use crate::firewall;
use crate::flow::FlowKey;
use crate::nat::{self, Class};

/// A hash of a flow that is the same for its two directions.
#[inline]
pub fn symmetric_hash(k: &FlowKey) -> u64 {
    let a = u64::from(k.src) << 16 | u64::from(k.sport);
    let b = u64::from(k.dst) << 16 | u64::from(k.dport);
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    let mut h = lo.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hi.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    h ^= u64::from(k.proto);
    // MurmurHash3's finalizer: every input bit reaches the low bits taken by the modulo.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

impl Stateful {
    /// The worker that owns the connection of datagram `l3` (this worker for what cannot
    /// be parsed: it will be dropped and counted here). A fragment belongs to the owner of
    /// its datagram's connection, which its first fragment tells (and this worker then
    /// remembers for the later ones; see `frags`).
    pub fn owner(&mut self, l3: &[u8], t: &Tables, now_ms: u64) -> usize {
        if self.ranges.len() <= 1 {
            return self.worker;
        }
        let key = match nat::classify(l3) {
            Class::Flow { key, .. } => key,
            Class::IcmpError { inner, .. } => inner.reversed(),
            Class::Fragment {
                key,
                ident,
                first: true,
                ..
            } => {
                let w = self.owner_of(&key, t);
                self.frags.remember(&key, ident, w, now_ms);
                return w;
            }
            Class::Fragment { key, ident, .. } => {
                return self
                    .frags
                    .recall(&key, ident, now_ms)
                    .map_or(self.worker, |(_, w)| w)
            }
            Class::Malformed => return self.worker,
        };
        self.owner_of(&key, t)
    }

    /// The owner of the connection of a packet with `key`, by the rule above.
    fn owner_of(&self, key: &FlowKey, t: &Tables) -> usize {
        let n = self.ranges.len();
        let has_port = key.dport != 0;
        if has_port && addr_type(t, key.dst) == firewall::ADDR_LOCAL {
            if let Some(w) = self.ranges.iter().position(|r| r.contains(key.dport)) {
                return w;
            }
        }
        (symmetric_hash(key) % n as u64) as usize
    }
}
