//! Which worker owns a connection (design invariant 2). The worker that receives a packet it
//! does not own hands it to the owner over a ring; the rule below makes that rare on devices
//! with RSS and keeps it correct on devices without.
//!
//! The rule, computable from any packet of the connection in either direction, on any port:
//! - a packet to one of the router's addresses with a port (a reply to a translated
//!   connection: TCP/UDP destination port, ICMP echo identifier):
//!   - arriving on a port whose device has RSS that hashes this protocol's ports: the worker
//!     of the queue the device steers it to (crate::rss). The translating worker chose the
//!     port so that this is itself, so the reply arrives at its owner and nobody hands it over;
//!   - otherwise (no RSS, or a device that hashes only addresses, as for ICMP): the worker
//!     that owns that port, `port % workers` (nat::port_owner) — the worker that chose it,
//!     whichever rule (and `to-ports`) it translated by;
//! - any other packet: with an RSS device whose key is symmetric, the worker of the queue that
//!   device steers the packet to, the same for both directions (so those packets arrive at
//!   their owner); without, `symmetric_hash(key) % workers`;
//! - an ICMP error belongs to the owner of the packet it quotes, looked at in the error's
//!   direction.
//!
//! A worker translates only to ports it owns where the replies are owned by port, and only to
//! ports whose replies the device steers to itself where they are owned by queue, so the two
//! rules agree. A `to-ports` range of fewer ports than workers has none for some workers: they
//! refuse new connections through that rule (DropReason::NatNoShare). The queue rule needs the reply to come back through the port the
//! connection left by (the usual case); one that returns through another port with RSS is
//! handed to the worker that port's device would have picked, which does not know it.

use super::{addr_type, Stateful};
use crate::fib::Tables;
use crate::firewall;
use crate::flow::FlowKey;
use crate::nat::{self, Class};
use crate::rss::worker_of;

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
    /// The worker that owns the connection of datagram `l3`, received on port `in_port` (this
    /// worker for what cannot be parsed: it will be dropped and counted here). A fragment
    /// belongs to the owner of its datagram's connection, which its first fragment tells (and
    /// this worker then remembers for the later ones; see `frags`).
    pub fn owner(&mut self, l3: &[u8], in_port: u16, t: &Tables, now_ms: u64) -> usize {
        if self.workers <= 1 {
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
                let w = self.owner_of(&key, in_port, t);
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
        self.owner_of(&key, in_port, t)
    }

    /// The owner of the connection of a packet with `key`, by the rule above.
    fn owner_of(&self, key: &FlowKey, in_port: u16, t: &Tables) -> usize {
        let n = self.workers;
        let has_port = key.dport != 0;
        if has_port && addr_type(t, key.dst) == firewall::ADDR_LOCAL {
            if let Some(s) = self.rss.port(in_port) {
                if s.steers_ports(key.proto) {
                    return worker_of(s.queue(key), n);
                }
            }
            return nat::port_owner(key.dport, n);
        }
        match self.rss.flows() {
            Some(s) => worker_of(s.queue(key), n),
            None => (symmetric_hash(key) % n as u64) as usize,
        }
    }
}
