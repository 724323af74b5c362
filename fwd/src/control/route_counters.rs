//! Route counter ids: one per (routing table, nexthop) pair, handed out by the control core
//! and carried by the snapshots, so that workers count forwarded traffic per pair
//! (`counters::RouteCounters`) and the control core sums it per routing table and per
//! nexthop.
//!
//! An id outlives route recomputations: a pair keeps its id while the RIB knows its nexthop
//! (a gateway that failed check-gateway still has its series, flat) and for [`RETIRE_AFTER`]
//! after, long enough for every worker to have left the snapshots that name it. Then the id
//! is free for another pair; what it counted is kept under its table and nexthop while they
//! have other pairs (so their sums never go down), and the workers' totals of the id at that
//! moment become the new pair's zero.

use crate::counters::{RouteCounters, NO_COUNTER, ROUTE_COUNTERS};
use crate::rib::{Member, Rib, Target};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an id stays with a pair that no snapshot uses any more.
pub const RETIRE_AFTER: Duration = Duration::from_secs(10);

struct Slot {
    table: String,
    target: Target,
    /// When the last snapshot that had the pair was replaced by one without it.
    unused_since: Option<Instant>,
    /// The workers' summed totals of the id when the pair got it.
    base: [u64; 2],
}

/// Forwarded traffic, packets and bytes, per routing table and per nexthop.
#[derive(Debug, Default, PartialEq)]
pub struct Traffic {
    pub tables: Vec<(String, [u64; 2])>,
    pub nexthops: Vec<(Target, [u64; 2])>,
}

/// The ids and what they count. See the module documentation.
#[derive(Default)]
pub struct RouteCounterIds {
    by_pair: HashMap<(String, Target), u16>,
    /// By id; id 0 ([`NO_COUNTER`]) is never handed out.
    slots: Vec<Option<Slot>>,
    /// Per id freed, the workers' summed totals then.
    freed: Vec<(u16, [u64; 2])>,
    /// What freed ids counted, per table and per nexthop still in use.
    retired_tables: HashMap<String, [u64; 2]>,
    retired_nexthops: HashMap<Target, [u64; 2]>,
    warned_full: bool,
}

impl RouteCounterIds {
    /// The snapshot's counters (`Forwarding::counters`): the id of each (table of `tables`,
    /// adjacency whose target `targets` gives), table-major. The pairs of every table with
    /// every nexthop the RIB names keep their ids; the others start their retirement.
    pub fn assign(
        &mut self,
        tables: &[String],
        targets: &[Option<Target>],
        rib: &Rib,
        now: Instant,
    ) -> Vec<u16> {
        let mut known: Vec<Target> = targets.iter().flatten().copied().collect();
        for pl in &rib.pathlists {
            for (_, members) in &pl.groups {
                for m in members {
                    if let Member::Direct { target, .. } = m {
                        known.push(*target);
                    }
                }
            }
        }
        known.retain(|t| *t != Target::Local);
        known.sort();
        known.dedup();
        for s in self.slots.iter_mut().flatten() {
            s.unused_since.get_or_insert(now);
        }
        for table in tables {
            for t in &known {
                self.intern(table, *t);
            }
        }
        let mut out = Vec::with_capacity(tables.len() * targets.len());
        for table in tables {
            for t in targets {
                out.push(match t {
                    Some(t) if *t != Target::Local => self.intern(table, *t),
                    _ => NO_COUNTER,
                });
            }
        }
        out
    }

    /// Ids handed out so far are all below this.
    pub fn limit(&self) -> usize {
        self.slots.len().max(1)
    }

    fn intern(&mut self, table: &str, target: Target) -> u16 {
        let key = (table.to_string(), target);
        if let Some(&id) = self.by_pair.get(&key) {
            if let Some(s) = &mut self.slots[usize::from(id)] {
                s.unused_since = None;
            }
            return id;
        }
        let (id, base) = if let Some(f) = self.freed.pop() {
            f
        } else if self.slots.len() < ROUTE_COUNTERS {
            if self.slots.is_empty() {
                self.slots.push(None); // NO_COUNTER
            }
            self.slots.push(None);
            ((self.slots.len() - 1) as u16, [0; 2])
        } else {
            if !self.warned_full {
                log::warn!(
                    "metrics: more than {} (routing table, nexthop) pairs: the traffic of \
                     the others is not counted",
                    ROUTE_COUNTERS - 1
                );
                self.warned_full = true;
            }
            return NO_COUNTER;
        };
        self.slots[usize::from(id)] = Some(Slot {
            table: key.0.clone(),
            target,
            unused_since: None,
            base,
        });
        self.by_pair.insert(key, id);
        id
    }

    /// Frees the ids of pairs unused for [`RETIRE_AFTER`], keeping what they counted;
    /// `total` is the workers' counters summed.
    pub fn retire(&mut self, total: &RouteCounters, now: Instant) {
        for id in 0..self.slots.len() {
            let due = matches!(&self.slots[id], Some(s)
                if s.unused_since.is_some_and(|t| now.duration_since(t) >= RETIRE_AFTER));
            if !due {
                continue;
            }
            let Some(s) = self.slots[id].take() else {
                continue;
            };
            let v = total.get(id as u16);
            let counted = since(v, s.base);
            add(
                self.retired_tables.entry(s.table.clone()).or_default(),
                counted,
            );
            add(self.retired_nexthops.entry(s.target).or_default(), counted);
            self.by_pair.remove(&(s.table, s.target));
            self.freed.push((id as u16, v));
        }
        let live = |f: &dyn Fn(&Slot) -> bool| self.slots.iter().flatten().any(f);
        let tables: Vec<String> = self.retired_tables.keys().cloned().collect();
        for t in tables {
            if !live(&|s| s.table == t) {
                self.retired_tables.remove(&t);
            }
        }
        let targets: Vec<Target> = self.retired_nexthops.keys().copied().collect();
        for t in targets {
            if !live(&|s| s.target == t) {
                self.retired_nexthops.remove(&t);
            }
        }
    }

    /// The traffic of every table and nexthop that a pair in use names, from the workers'
    /// counters summed (`total`), in table then nexthop order of first id.
    pub fn traffic(&self, total: &RouteCounters) -> Traffic {
        let mut tables: Vec<(String, [u64; 2])> = Vec::new();
        let mut nexthops: Vec<(Target, [u64; 2])> = Vec::new();
        for s in self.slots.iter().flatten() {
            if s.unused_since.is_none() {
                if !tables.iter().any(|(t, _)| *t == s.table) {
                    let retired = self.retired_tables.get(&s.table).copied();
                    tables.push((s.table.clone(), retired.unwrap_or_default()));
                }
                if !nexthops.iter().any(|(t, _)| *t == s.target) {
                    let retired = self.retired_nexthops.get(&s.target).copied();
                    nexthops.push((s.target, retired.unwrap_or_default()));
                }
            }
        }
        // Unused pairs still count for their table and nexthop while those are in use.
        for (id, s) in self.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            let counted = since(total.get(id as u16), s.base);
            if let Some((_, c)) = tables.iter_mut().find(|(t, _)| *t == s.table) {
                add(c, counted);
            }
            if let Some((_, c)) = nexthops.iter_mut().find(|(t, _)| *t == s.target) {
                add(c, counted);
            }
        }
        Traffic { tables, nexthops }
    }
}

/// What a counter counted since `base`.
fn since(v: [u64; 2], base: [u64; 2]) -> [u64; 2] {
    [v[0].saturating_sub(base[0]), v[1].saturating_sub(base[1])]
}

fn add(a: &mut [u64; 2], b: [u64; 2]) {
    a[0] += b[0];
    a[1] += b[1];
}

#[cfg(test)]
mod tests;
