//! Turning the RIB and the gateways' states into the workers' forwarding objects: one load
//! balance per class, buckets spread by resilient hashing, one adjacency per target.
//! Work is proportional to the number of classes, never to the number of routes.

use super::route_counters::RouteCounterIds;
use crate::fib::ecmp;
use crate::fib::snapshot::{
    inline_adjacencies, Adjacency, Forwarding, LoadBalance, Neighbours, Nexthop, PortView,
    ADJ_UNREACHABLE,
};
use crate::fib::Lpm;
use crate::rib::{PathList, Rib, Selected, Target, LOCAL_CLASS};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Adjacency 0 is local delivery, 1 is "no usable route".
const ADJ_LOCAL: u32 = 0;

/// The previous bucket tables, so that a rebuild moves as few flows as possible. Keyed by
/// path list content, which outlives a RIB recomputation when the routes of a prefix did not
/// change: a configuration change elsewhere leaves these flows where they are.
#[derive(Default)]
pub struct Buckets {
    prev: HashMap<PathList, Vec<Target>>,
}

/// Where each class's traffic goes: its path list's selection, else its fallback's.
pub fn class_targets(rib: &Rib, sel: &[Selected]) -> Vec<Vec<Target>> {
    let mut out: Vec<Vec<Target>> = Vec::with_capacity(rib.classes.len());
    for (id, c) in rib.classes.iter().enumerate() {
        let t = if id as u32 == LOCAL_CLASS {
            vec![Target::Local]
        } else {
            let own = &sel[c.pathlist as usize].targets;
            if !own.is_empty() {
                own.clone()
            } else {
                // Fallbacks have lower ids: already computed.
                c.fallback
                    .map(|f| out[f as usize].clone())
                    .unwrap_or_default()
            }
        };
        out.push(t);
    }
    out
}

/// Builds the forwarding objects, with the route counter ids of `ids` (as of `now`).
#[allow(clippy::too_many_arguments)]
pub fn build(
    rib: &Rib,
    fibs: &[Arc<Lpm>],
    sel: &[Selected],
    neighbours: &Neighbours,
    ports: &[PortView],
    history: &mut Buckets,
    ids: &mut RouteCounterIds,
    now: Instant,
) -> Forwarding {
    let mut nexthops = vec![Nexthop::Local, Nexthop::Unreachable];
    let mut adj_of: HashMap<Target, u32> = HashMap::from([(Target::Local, ADJ_LOCAL)]);
    let mut lbs = Vec::with_capacity(rib.classes.len());
    let mut buckets: Vec<u32> = Vec::new();
    let mut next_history: HashMap<PathList, Vec<Target>> = HashMap::new();
    for (c, targets) in class_targets(rib, sel).into_iter().enumerate() {
        let key = &rib.pathlists[rib.classes[c].pathlist as usize];
        let table: Vec<Target> = match targets.len() {
            0 | 1 => targets,
            _ => {
                let prev = next_history.get(key).or_else(|| history.prev.get(key));
                ecmp::rebuild(prev.map(Vec::as_slice).unwrap_or(&[]), &targets)
            }
        };
        if table.len() > 1 {
            next_history.insert(key.clone(), table.clone());
        }
        let mut adj = |t: &Target| {
            *adj_of.entry(*t).or_insert_with(|| {
                nexthops.push(match *t {
                    Target::Local => Nexthop::Local,
                    Target::Connected(port) => Nexthop::Connected { port },
                    Target::Gateway(port, addr) => Nexthop::Gateway {
                        port,
                        addr,
                        mac: neighbours
                            .get(&addr)
                            .filter(|n| n.port == port)
                            .map(|n| n.mac),
                    },
                });
                (nexthops.len() - 1) as u32
            })
        };
        // A single adjacency sits in the load balance itself: one load less per packet.
        let lb = match table.as_slice() {
            [] => LoadBalance::single(ADJ_UNREACHABLE),
            [one] => LoadBalance::single(adj(one)),
            many => {
                let offset = buckets.len() as u32;
                buckets.extend(many.iter().map(&mut adj));
                debug_assert!(many.len().is_power_of_two());
                LoadBalance {
                    adj: Adjacency::default(),
                    offset,
                    mask: many.len() as u32 - 1,
                }
            }
        };
        lbs.push(lb);
    }
    history.prev = next_history;
    let mut targets: Vec<Option<Target>> = vec![None; nexthops.len()];
    for (t, a) in &adj_of {
        targets[*a as usize] = Some(*t);
    }
    let counters = ids.assign(&rib.tables, &targets, rib, now);
    let adjacencies: Vec<Adjacency> = nexthops.iter().map(|nh| Adjacency::of(nh, ports)).collect();
    inline_adjacencies(&mut lbs, &adjacencies);
    Forwarding {
        fibs: fibs.to_vec(),
        lbs,
        buckets,
        adjacencies,
        nexthops,
        counters: Vec::new(),
        route_ids: 0,
    }
    .with_counters(counters, ids.limit())
}
