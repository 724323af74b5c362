//! The routing information base, as RouterOS v7 resolves and selects routes.
//!
//! Routes come from `/ip/address` (connected: scope 10, distance 0) and `/ip/route` (static:
//! scope 30, target-scope 10, distance 1 by default). A gateway address resolves through the
//! most specific prefix of the main table that has a resolved route whose scope is at most
//! the resolving route's target-scope; through a connected route it is on-link (reachable),
//! through a static route it is recursive. Resolution is a least fixed point, so loops stay
//! unresolved instead of hanging.
//!
//! The result is hierarchical (design invariant 4): each prefix points to a path list (its
//! routes grouped by distance), and a recursive route points to the path list of the prefix
//! its gateway resolved through, as VPP's recursive paths do. Which group is in force is
//! decided at publication from the gateways' states (`select`), so a gateway going down
//! re-points every route through it in time proportional to the number of path lists, not of
//! routes.

mod resolve;
mod select;
pub mod view;

pub use select::{select, Selected};

use crate::config::{AddressItem, CheckGateway, RouteItem};
use crate::fib::Lpm;
use crate::net::Ipv4Prefix;
use std::collections::HashMap;

/// A port as the RIB sees it: its name and whether it is usable.
#[derive(Clone, Debug)]
pub struct PortDesc {
    pub name: String,
    pub enabled: bool,
}

/// Where traffic leaves the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// One of the router's own addresses.
    Local,
    /// On-link on a port: the destination is its own next hop.
    Connected(u16),
    /// A gateway on a port's subnet.
    Gateway(u16, u32),
}

/// How a gateway is checked (RouterOS's check-gateway).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    None,
    Ping,
    Arp,
}

impl From<CheckGateway> for Check {
    fn from(c: CheckGateway) -> Check {
        match c {
            CheckGateway::None => Check::None,
            CheckGateway::Ping => Check::Ping,
            CheckGateway::Arp => Check::Arp,
        }
    }
}

/// Index into `Rib::pathlists`.
pub type PathListId = u32;
/// The router's own addresses.
pub const LOCAL: PathListId = 0;
/// Nothing usable (an unresolvable or looping recursion).
pub const EMPTY: PathListId = 1;

/// One way a route reaches its destination: one of its gateways, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Member {
    Direct {
        target: Target,
        check: Check,
    },
    /// A gateway reached through the path list of the prefix it resolved through.
    Recursive {
        gw: u32,
        via: PathListId,
        check: Check,
    },
}

impl Member {
    pub fn check(&self) -> Check {
        match *self {
            Member::Direct { check, .. } | Member::Recursive { check, .. } => check,
        }
    }
}

/// A prefix's routes in one table, grouped by ascending distance: the first group with a
/// usable member is in force, and all of its usable members share the traffic (ECMP).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct PathList {
    pub groups: Vec<(u8, Vec<Member>)>,
}

/// Where a route came from, as RouterOS flags it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Connected,
    Static,
}

/// A route with its resolution.
#[derive(Clone, Debug)]
pub struct RouteState {
    pub dst: Ipv4Prefix,
    pub table: String,
    pub origin: Origin,
    pub distance: u8,
    pub scope: u8,
    pub target_scope: u8,
    pub check: Check,
    /// As configured (RouterOS's spelling), or the interface of a connected route.
    pub gateway: String,
    pub comment: Option<String>,
    pub disabled: bool,
    /// Resolved gateways; empty when the route is unresolved.
    pub members: Vec<Member>,
    /// For a recursive route: the prefix its gateway resolved through.
    pub resolved_via: Option<Ipv4Prefix>,
    /// Why an enabled route is unresolved.
    pub problem: Option<String>,
    /// The path list of this route's prefix in its table (None when unresolved/disabled).
    pub pathlist: Option<PathListId>,
}

impl RouteState {
    pub fn resolved(&self) -> bool {
        !self.members.is_empty()
    }
}

/// Index into `Rib::classes`.
pub type ClassId = u32;

/// What a FIB entry forwards with: its prefix's path list, and the class of the next less
/// specific prefix in the same table, which takes over while the path list has nothing
/// usable (RouterOS drops inactive routes from the FIB, so a covering route then matches).
/// Prefixes with the same path list and fallback share a class, so a gateway's change of
/// state is evaluated once per class, not once per prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Class {
    pub pathlist: PathListId,
    pub fallback: Option<ClassId>,
}

/// The router's own addresses.
pub const LOCAL_CLASS: ClassId = 0;

/// The result of a RIB computation.
#[derive(Clone, Debug, Default)]
pub struct Rib {
    pub routes: Vec<RouteState>,
    /// Routing tables with a FIB: index 0 is `main`.
    pub tables: Vec<String>,
    pub pathlists: Vec<PathList>,
    /// Fallbacks come before the classes that use them.
    pub classes: Vec<Class>,
    /// Per table: prefix → class.
    pub fibs: Vec<Lpm>,
}

impl Rib {
    pub fn table_id(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t == name)
    }

    /// The path list of the most specific prefix containing `addr` in table `table` (its
    /// own; while it has nothing usable, traffic follows the class's fallback).
    pub fn pathlist_for(&self, table: usize, addr: u32) -> Option<PathListId> {
        let c = self.fibs.get(table)?.lookup(addr)?;
        Some(self.classes[c as usize].pathlist)
    }

    /// Every member that is probed, once each.
    pub fn checked_members(&self) -> Vec<Member> {
        let mut v: Vec<Member> = self
            .pathlists
            .iter()
            .flat_map(|p| p.groups.iter().flat_map(|(_, m)| m.iter().copied()))
            .filter(|m| m.check() != Check::None)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Every gateway a route may send to, for ARP ahead of traffic.
    pub fn gateways(&self) -> Vec<(u16, u32)> {
        let mut v: Vec<(u16, u32)> = self
            .pathlists
            .iter()
            .flat_map(|p| p.groups.iter().flat_map(|(_, m)| m.iter()))
            .filter_map(|m| match m {
                Member::Direct {
                    target: Target::Gateway(p, a),
                    ..
                } => Some((*p, *a)),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Computes resolution, path lists and the FIBs. `addresses` pairs each `/ip/address` item
/// with its interface's port index; `tables` are the routing tables with `fib` besides main.
pub fn compute(
    ports: &[PortDesc],
    addresses: &[(u16, AddressItem)],
    routes: &[RouteItem],
    tables: &[String],
) -> Rib {
    let mut all_tables = vec!["main".to_string()];
    all_tables.extend(tables.iter().filter(|t| *t != "main").cloned());
    let (mut states, raw) = resolve::routes(ports, addresses, routes, &all_tables);
    let (pathlists, fib_entries) = resolve::pathlists(&mut states, &raw, &all_tables);
    let mut classes = vec![Class {
        pathlist: LOCAL,
        fallback: None,
    }];
    let mut class_ids: HashMap<Class, ClassId> = HashMap::from([(classes[0], LOCAL_CLASS)]);
    let mut fibs = Vec::with_capacity(all_tables.len());
    for entries in fib_entries {
        let mut v = classify(&entries, &mut classes, &mut class_ids);
        // The router's own addresses, and the directed broadcasts of its subnets, are local
        // in every table: longer than any route to them, so they always win.
        for (port, a) in addresses {
            if a.disabled || !ports[usize::from(*port)].enabled {
                continue;
            }
            v.push((Ipv4Prefix::host(a.address.addr), LOCAL_CLASS));
            if a.address.len < 31 {
                v.push((
                    Ipv4Prefix::host(a.address.prefix().broadcast()),
                    LOCAL_CLASS,
                ));
            }
        }
        fibs.push(Lpm::build(&v));
    }
    Rib {
        routes: states,
        tables: all_tables,
        pathlists,
        classes,
        fibs,
    }
}

/// Gives each prefix of one table its class: its path list and its covering prefix's class.
fn classify(
    entries: &HashMap<Ipv4Prefix, PathListId>,
    classes: &mut Vec<Class>,
    ids: &mut HashMap<Class, ClassId>,
) -> Vec<(Ipv4Prefix, ClassId)> {
    let mut prefixes: Vec<Ipv4Prefix> = entries.keys().copied().collect();
    // Shortest first, so that a covering prefix has its class before those it covers.
    prefixes.sort_unstable_by_key(|p| (p.len(), p.network_u32()));
    let mut lengths: Vec<u8> = prefixes.iter().map(|p| p.len()).collect();
    lengths.dedup();
    let mut class_of: HashMap<Ipv4Prefix, ClassId> = HashMap::with_capacity(prefixes.len());
    let mut out = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        let fallback = lengths
            .iter()
            .rev()
            .filter(|&&l| l < p.len())
            .find_map(|&l| {
                let cover = Ipv4Prefix::new(p.network(), l).expect("l < 32");
                class_of.get(&cover).copied()
            });
        let c = Class {
            pathlist: entries[&p],
            fallback,
        };
        let id = *ids.entry(c).or_insert_with(|| {
            classes.push(c);
            (classes.len() - 1) as ClassId
        });
        class_of.insert(p, id);
        out.push((p, id));
    }
    out
}

/// The per-table map from prefix to path list, as `resolve::pathlists` builds it.
type FibEntries = Vec<HashMap<Ipv4Prefix, PathListId>>;

#[cfg(test)]
mod tests;
