//! An immutable view of everything a worker needs to forward, built by the control core.

use super::Lpm;
use crate::net::MacAddr;
use std::sync::Arc;

/// What to do with packets whose longest match points here. Routes share these objects, so
/// a change of a gateway's state or MAC is one change here, whatever the number of routes
/// (design invariant 4).
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
}

/// A resolved neighbour on a connected subnet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    pub port: u16,
    pub mac: MacAddr,
}

/// Neighbours by IPv4 address (host order). ahash keeps lookups a few nanoseconds.
pub type Neighbours = hashbrown::HashMap<u32, Neighbour, ahash::RandomState>;

/// A nexthop ready for the fast path (VPP's adjacency): the Ethernet rewrite and what it
/// needs, so that a forwarded packet costs one lookup after the FIB. `mtu` 0 means "not
/// usable here": local, unresolved, or out of a disabled port; the general path handles it.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[repr(C, align(32))]
pub struct Adjacency {
    /// Destination then source MAC.
    pub rewrite: [u8; 12],
    pub port: u16,
    pub mtu: u16,
    /// The destination is the next hop: its MAC comes from the neighbours.
    pub connected: bool,
}

impl Adjacency {
    fn of(nh: &Nexthop, ports: &[PortView]) -> Adjacency {
        let (port, dst) = match *nh {
            Nexthop::Local => return Adjacency::default(),
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
                }
            }
            _ => Adjacency::default(),
        }
    }
}

/// What the packet path needs to know of a port.
#[derive(Clone, Debug, PartialEq)]
pub struct PortView {
    pub mac: MacAddr,
    pub mtu: u16,
    /// Disabled in the configuration: nothing is sent or received on it.
    pub enabled: bool,
}

/// One published state of the router. Parts that change at different rates sit behind their
/// own Arc so that a new snapshot shares what did not change.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub generation: u64,
    pub fib: Arc<Lpm>,
    pub nexthops: Arc<[Nexthop]>,
    /// One per nexthop, same index.
    pub adjacencies: Arc<[Adjacency]>,
    pub neighbours: Arc<Neighbours>,
    pub ports: Arc<[PortView]>,
}

/// Plain borrows of a snapshot's tables, taken once per burst: the packet path then reads
/// through references the compiler may keep in registers instead of re-reading each Arc.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub fib: &'a Lpm,
    pub nexthops: &'a [Nexthop],
    pub adjacencies: &'a [Adjacency],
    pub neighbours: &'a Neighbours,
    pub ports: &'a [PortView],
}

impl Snapshot {
    pub fn tables(&self) -> Tables<'_> {
        Tables {
            fib: &self.fib,
            nexthops: &self.nexthops,
            adjacencies: &self.adjacencies,
            neighbours: &self.neighbours,
            ports: &self.ports,
        }
    }

    /// A snapshot of these tables, with the adjacencies derived from them (generation 0:
    /// the publisher numbers it).
    pub fn new(
        fib: Arc<Lpm>,
        nexthops: Vec<Nexthop>,
        neighbours: Neighbours,
        ports: Vec<PortView>,
    ) -> Snapshot {
        let adjacencies: Vec<Adjacency> =
            nexthops.iter().map(|n| Adjacency::of(n, &ports)).collect();
        Snapshot {
            generation: 0,
            fib,
            nexthops: Arc::from(nexthops),
            adjacencies: Arc::from(adjacencies),
            neighbours: Arc::new(neighbours),
            ports: Arc::from(ports),
        }
    }

    /// A snapshot with no routes, for ports that exist but are not configured yet.
    pub fn empty(ports: Vec<PortView>) -> Snapshot {
        Snapshot::new(
            Arc::new(Lpm::default()),
            Vec::new(),
            Neighbours::default(),
            ports,
        )
    }
}
