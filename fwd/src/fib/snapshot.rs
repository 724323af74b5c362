//! An immutable view of everything a worker needs to forward, built by the control core.
//!
//! The chain a packet follows is hierarchical, as in VPP: FIB (per routing table) → load
//! balance (one per forwarding class: a path list and its fallback) → bucket → adjacency.
//! A gateway's change of state rewrites the small load-balance and bucket arrays only.

use super::ecmp::HashPolicy;
use super::Lpm;
use crate::counters::NO_COUNTER;
use crate::firewall::RuleSet;
use crate::net::MacAddr;
use std::sync::Arc;

/// What the slow path needs to know of an adjacency.
#[derive(Clone, Debug, PartialEq)]
pub enum Nexthop {
    /// One of the router's own addresses: hand the packet to the control core.
    Local,
    /// A connected subnet: the destination itself is the next hop, found in the neighbours.
    Connected { port: u16 },
    /// A gateway on a connected subnet, with its MAC once ARP resolved it.
    Gateway {
        port: u16,
        addr: u32,
        mac: Option<MacAddr>,
    },
    /// Routes exist but none is usable, and no less specific route is: no route.
    Unreachable,
}

/// A nexthop ready for the fast path (VPP's adjacency): the Ethernet rewrite and what it
/// needs. `mtu` 0 means "not for the fast path": local, unresolved, unreachable, or out of a
/// disabled port; the general path handles it.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[repr(C, align(32))]
pub struct Adjacency {
    /// Destination then source MAC.
    pub rewrite: [u8; 12],
    pub port: u16,
    pub mtu: u16,
    /// The destination is the next hop: its MAC comes from the neighbours.
    pub connected: bool,
    /// The route counter of main's traffic through this adjacency (see
    /// [`Forwarding::counters`]): the fast path routes in main only.
    pub counter: u16,
    /// The largest datagram the fast path sends through this adjacency on one comparison:
    /// its MTU for a gateway whose MAC is known, 0 (nothing) for a connected destination,
    /// whose MAC the neighbours give, and for an unusable adjacency. A load balance over
    /// several adjacencies holds the default adjacency, so 0 there too: one test of a
    /// packet's length against it leaves all of those to the longer way.
    pub fast: u16,
    /// The fast path's decision for this adjacency, packed as `forward::fast` returns it:
    /// `port << 16 | counter`.
    pub verdict: u32,
}

impl Adjacency {
    pub fn of(nh: &Nexthop, ports: &[PortView]) -> Adjacency {
        let (port, dst) = match *nh {
            Nexthop::Local | Nexthop::Unreachable => return Adjacency::default(),
            Nexthop::Connected { port } => (port, None),
            Nexthop::Gateway { port, mac, .. } => match mac {
                Some(m) => (port, Some(m)),
                None => return Adjacency::default(),
            },
        };
        match ports.get(usize::from(port)) {
            Some(p) if p.enabled => {
                let mut rewrite = [0u8; 12];
                rewrite[..6].copy_from_slice(&dst.unwrap_or(MacAddr::ZERO).0);
                rewrite[6..].copy_from_slice(&p.mac.0);
                Adjacency {
                    rewrite,
                    port,
                    mtu: p.mtu,
                    connected: dst.is_none(),
                    counter: NO_COUNTER,
                    fast: if dst.is_some() { p.mtu } else { 0 },
                    verdict: 0,
                }
                .counted(NO_COUNTER)
            }
            _ => Adjacency::default(),
        }
    }

    /// This adjacency counted under route counter `counter`.
    pub fn counted(self, counter: u16) -> Adjacency {
        Adjacency {
            counter,
            verdict: u32::from(self.port) << 16 | u32::from(counter),
            ..self
        }
    }
}

/// A forwarding class's spread over adjacencies: `buckets[offset + (hash & mask)]`. A mask
/// of 0 is a single adjacency: its index is `offset`, and a copy of it sits in `adj` so that
/// the fast path reads the FIB's answer and the rewrite in one cache line.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct LoadBalance {
    pub adj: Adjacency,
    pub offset: u32,
    pub mask: u32,
}

/// The adjacency of "routes exist but none is usable" (see `control::forwarding`).
pub const ADJ_UNREACHABLE: u32 = 1;

impl LoadBalance {
    /// Whether this is the single "no usable route" adjacency.
    #[inline]
    pub fn is_unreachable(&self) -> bool {
        self.mask == 0 && self.offset == ADJ_UNREACHABLE
    }

    pub fn single(adj_id: u32) -> LoadBalance {
        LoadBalance {
            adj: Adjacency::default(),
            offset: adj_id,
            mask: 0,
        }
    }
}

/// Copies each single-adjacency load balance's adjacency into it.
pub fn inline_adjacencies(lbs: &mut [LoadBalance], adjacencies: &[Adjacency]) {
    for lb in lbs.iter_mut().filter(|lb| lb.mask == 0) {
        lb.adj = adjacencies
            .get(lb.offset as usize)
            .copied()
            .unwrap_or_default();
    }
}

/// A resolved neighbour on a connected subnet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    pub port: u16,
    pub mac: MacAddr,
}

/// Neighbours by IPv4 address (host order). ahash keeps lookups a few nanoseconds.
pub type Neighbours = hashbrown::HashMap<u32, Neighbour, ahash::RandomState>;

/// What the packet path needs to know of a port.
#[derive(Clone, Debug, PartialEq)]
pub struct PortView {
    pub mac: MacAddr,
    pub mtu: u16,
    /// Disabled in the configuration: nothing is sent or received on it.
    pub enabled: bool,
    /// The port's first address (host order), 0 when it has none: what masquerade
    /// translates to.
    pub addr: u32,
}

/// The forwarding part of a snapshot: FIBs and the objects they point to. Changes when
/// routes, gateway states or neighbours change.
#[derive(Clone, Debug, Default)]
pub struct Forwarding {
    /// Per routing table (0 = main): prefix → load balance.
    pub fibs: Vec<Arc<Lpm>>,
    pub lbs: Vec<LoadBalance>,
    /// Adjacency indices.
    pub buckets: Vec<u32>,
    /// Slow-path view of each adjacency (same index as `adjacencies`).
    pub nexthops: Vec<Nexthop>,
    pub adjacencies: Vec<Adjacency>,
    /// The route counter of each (routing table, adjacency), at
    /// `table * adjacencies.len() + adjacency`: ids stable across snapshots, under which
    /// workers count what they forward (`counters::RouteCounters`). Empty, or short: nothing
    /// counted ([`NO_COUNTER`]).
    pub counters: Vec<u16>,
    /// Route counter ids handed out so far (all below this): what workers publish.
    pub route_ids: usize,
}

/// One published state of the router. Parts that change at different rates sit behind their
/// own Arc so that a new snapshot shares what did not change.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub generation: u64,
    pub fwd: Arc<Forwarding>,
    pub neighbours: Arc<Neighbours>,
    pub ports: Arc<[PortView]>,
    pub hash_policy: HashPolicy,
    /// Mangle and NAT rules; with any, workers track connections.
    pub rules: Arc<RuleSet>,
}

/// Plain borrows of a snapshot's tables, taken once per burst: the packet path then reads
/// through references the compiler may keep in registers instead of re-reading each Arc.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    /// The snapshot's generation: what the stateful path's cached decisions are valid for.
    pub generation: u64,
    /// The main table's FIB.
    pub fib: &'a Lpm,
    /// Every table's FIB by routing-table id (0 = main): routing marks index it.
    pub fibs: &'a [Arc<Lpm>],
    pub lbs: &'a [LoadBalance],
    pub buckets: &'a [u32],
    pub nexthops: &'a [Nexthop],
    pub adjacencies: &'a [Adjacency],
    /// See [`Forwarding::counters`].
    pub counters: &'a [u16],
    pub route_ids: usize,
    pub neighbours: &'a Neighbours,
    pub ports: &'a [PortView],
    pub hash_policy: HashPolicy,
}

impl Tables<'_> {
    /// The load balance for `dst` in routing table `table`, falling back to main when that
    /// table has no usable route for it (RouterOS's default policy: a lookup in a marked
    /// table that finds nothing active goes on in main).
    #[inline]
    pub fn route(&self, table: u8, dst: u32) -> Option<&LoadBalance> {
        self.route_in(table, dst).map(|(_, lb)| lb)
    }

    /// [`route`](Self::route), with the routing table whose lookup found it.
    #[inline]
    pub fn route_in(&self, table: u8, dst: u32) -> Option<(u8, &LoadBalance)> {
        if table != 0 {
            let found = self
                .fibs
                .get(usize::from(table))
                .and_then(|f| f.lookup(dst))
                .and_then(|i| self.lbs.get(i as usize))
                .filter(|lb| !lb.is_unreachable());
            if let Some(lb) = found {
                return Some((table, lb));
            }
        }
        Some((0, self.lbs.get(self.fib.lookup(dst)? as usize)?))
    }

    /// The route counter of traffic through adjacency `adj` found in routing table `table`.
    #[inline]
    pub fn counter(&self, table: u8, adj: u32) -> u16 {
        let i = usize::from(table) * self.adjacencies.len() + adj as usize;
        self.counters.get(i).copied().unwrap_or(NO_COUNTER)
    }
}

impl Snapshot {
    pub fn tables(&self) -> Tables<'_> {
        static EMPTY: std::sync::OnceLock<Lpm> = std::sync::OnceLock::new();
        Tables {
            generation: self.generation,
            fib: self
                .fwd
                .fibs
                .first()
                .map(|f| &**f)
                .unwrap_or_else(|| EMPTY.get_or_init(Lpm::default)),
            fibs: &self.fwd.fibs,
            lbs: &self.fwd.lbs,
            buckets: &self.fwd.buckets,
            nexthops: &self.fwd.nexthops,
            adjacencies: &self.fwd.adjacencies,
            counters: &self.fwd.counters,
            route_ids: self.fwd.route_ids,
            neighbours: &self.neighbours,
            ports: &self.ports,
            hash_policy: self.hash_policy,
        }
    }

    /// A snapshot whose FIB values index `nexthops` directly (see `Forwarding::direct`).
    pub fn direct(
        fib: Lpm,
        nexthops: Vec<Nexthop>,
        neighbours: Neighbours,
        ports: Vec<PortView>,
    ) -> Snapshot {
        Snapshot {
            generation: 0,
            fwd: Arc::new(Forwarding::direct(fib, nexthops, &ports)),
            neighbours: Arc::new(neighbours),
            ports: Arc::from(ports),
            hash_policy: HashPolicy::default(),
            rules: Arc::new(RuleSet::empty()),
        }
    }

    /// A snapshot with no routes, for ports that exist but are not configured yet.
    pub fn empty(ports: Vec<PortView>) -> Snapshot {
        Snapshot {
            generation: 0,
            fwd: Arc::new(Forwarding::default()),
            neighbours: Arc::new(Neighbours::default()),
            ports: Arc::from(ports),
            hash_policy: HashPolicy::default(),
            rules: Arc::new(RuleSet::empty()),
        }
    }
}

impl Forwarding {
    /// Installs route counters (see [`Forwarding::counters`]): main's also go into the
    /// adjacencies and the load balances' copies of them, for the fast path.
    pub fn with_counters(mut self, counters: Vec<u16>, route_ids: usize) -> Forwarding {
        for (adj, id) in self.adjacencies.iter_mut().zip(counters.iter()) {
            *adj = adj.counted(*id);
        }
        inline_adjacencies(&mut self.lbs, &self.adjacencies);
        self.counters = counters;
        self.route_ids = route_ids;
        self
    }

    /// A forwarding state where each FIB value indexes `nexthops` directly (one adjacency
    /// per load balance, no ECMP): for tests and benchmarks that build tables by hand.
    pub fn direct(fib: Lpm, nexthops: Vec<Nexthop>, ports: &[PortView]) -> Forwarding {
        let n = nexthops.len() as u32;
        let adjacencies: Vec<Adjacency> =
            nexthops.iter().map(|nh| Adjacency::of(nh, ports)).collect();
        let mut lbs: Vec<LoadBalance> = (0..n).map(LoadBalance::single).collect();
        inline_adjacencies(&mut lbs, &adjacencies);
        Forwarding {
            fibs: vec![Arc::new(fib)],
            lbs,
            buckets: Vec::new(),
            adjacencies,
            nexthops,
            counters: Vec::new(),
            route_ids: 0,
        }
    }
}
