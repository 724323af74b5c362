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
    pub neighbours: Arc<Neighbours>,
    pub ports: Arc<[PortView]>,
}

impl Snapshot {
    /// A snapshot with no routes, for ports that exist but are not configured yet.
    pub fn empty(ports: Vec<PortView>) -> Snapshot {
        Snapshot {
            generation: 0,
            fib: Arc::new(Lpm::default()),
            nexthops: Arc::from(Vec::new()),
            neighbours: Arc::new(Neighbours::default()),
            ports: Arc::from(ports),
        }
    }
}
