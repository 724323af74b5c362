//! A worker's rule counters: the packets and bytes each mangle and NAT item matched, for
//! `print stats`, counting the packets that reuse a cached decision too — at no cost per
//! packet.
//!
//! A packet the rules decide is counted as they run (`firewall::Hits`). A cached decision
//! (`conntrack::Path`) is reused only while nothing a matcher depends on changes, so every
//! packet that reuses it matches the same items as the packet that made it. Such a decision
//! is counted, like any forwarded packet, under one counter id; when rules matched, the id is
//! not the route's own but a *class* of this worker: the pair (route counter, items matched),
//! numbered from [`ROUTE_COUNTERS`] on. [`RuleCounters::drain`] moves each class's traffic
//! to its route counter and to its items before the worker publishes its counters, so that
//! the routes' traffic is whole and the classes start again from zero.
//!
//! Classes live as long as the snapshot generation: a new one makes every cached decision
//! stale (they are decided again, and classed again), so the classes are drained and
//! forgotten then, and never fill up with pairs no decision uses.

use crate::counters::{RouteCounters, PATH_COUNTERS, ROUTE_COUNTERS};
use crate::firewall::{add_to, Matched, RuleSet};

/// How many classes a worker can have at once.
const CLASSES: usize = PATH_COUNTERS - ROUTE_COUNTERS;

/// Per item, packets and bytes.
pub type ItemCounts = Vec<[u64; 2]>;

/// A worker's rule counters (see the module documentation).
pub struct RuleCounters {
    /// The version of the rules counted ([`RuleSet::version`]).
    version: u64,
    /// The generation the classes are for.
    generation: u64,
    /// Per mangle item, packets and bytes, classes drained so far.
    pub mangle: ItemCounts,
    /// Per NAT item (each connection's first packet: srcnat runs once per connection).
    pub nat: ItemCounts,
    /// Class `ROUTE_COUNTERS + i` is `classes[i]`.
    classes: Vec<(u16, Matched)>,
    ids: hashbrown::HashMap<(u16, Matched), u16, ahash::RandomState>,
}

impl Default for RuleCounters {
    fn default() -> RuleCounters {
        RuleCounters {
            version: 0,
            generation: 0,
            mangle: Vec::new(),
            nat: Vec::new(),
            // All the room there will ever be: classing allocates nothing.
            classes: Vec::with_capacity(CLASSES),
            ids: hashbrown::HashMap::with_capacity_and_hasher(CLASSES, Default::default()),
        }
    }
}

impl RuleCounters {
    /// Follows the round's rules and snapshot generation: new rules start their counters
    /// from zero (the classes' traffic still goes to the routes); a new generation ends the
    /// classes. Two comparisons when nothing changed.
    #[inline]
    pub fn follow(&mut self, rules: &RuleSet, generation: u64, routes: &mut RouteCounters) {
        if rules.version() != self.version || self.mangle.len() != rules.mangle_len() {
            self.drain(routes);
            self.forget_classes();
            self.version = rules.version();
            self.mangle = vec![[0; 2]; rules.mangle_len()];
            self.nat = vec![[0; 2]; rules.nat_len()];
        }
        if generation != self.generation {
            self.drain(routes);
            self.forget_classes();
            self.generation = generation;
        }
    }

    fn forget_classes(&mut self) {
        self.classes.clear();
        self.ids.clear();
    }

    /// The counter id to count the packets of a cached decision under: `route` itself when
    /// no rule matched, else the class of (`route`, `matched`); None when there is no room
    /// for another class or the items matched are too many to list (the decision is then
    /// not cached, so that its packets are counted as the rules decide them).
    pub fn class(&mut self, route: u16, matched: &Matched) -> Option<u16> {
        if matched.is_empty() {
            return Some(route);
        }
        if !matched.complete() {
            return None;
        }
        if let Some(&id) = self.ids.get(&(route, matched.clone())) {
            return Some(id);
        }
        if self.classes.len() == CLASSES {
            return None;
        }
        let id = (ROUTE_COUNTERS + self.classes.len()) as u16;
        self.classes.push((route, matched.clone()));
        self.ids.insert((route, matched.clone()), id);
        Some(id)
    }

    /// Moves each class's traffic counted in `routes` to its route counter and its items
    /// (before the worker publishes `routes`).
    pub fn drain(&mut self, routes: &mut RouteCounters) {
        for (i, (route, matched)) in self.classes.iter().enumerate() {
            let [packets, bytes] = routes.take((ROUTE_COUNTERS + i) as u16);
            if packets > 0 {
                routes.count(*route, packets, bytes);
                add_to(&mut self.mangle, matched, packets, bytes);
            }
        }
    }

    /// The totals now: `mangle` and `nat` with the classes' traffic not drained yet.
    pub fn totals(&self, routes: &RouteCounters) -> (ItemCounts, ItemCounts) {
        let mut mangle = self.mangle.clone();
        for (i, (_, matched)) in self.classes.iter().enumerate() {
            let [packets, bytes] = routes.get((ROUTE_COUNTERS + i) as u16);
            add_to(&mut mangle, matched, packets, bytes);
        }
        (mangle, self.nat.clone())
    }

    pub fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Hits;

    fn matched(items: &[u32]) -> Matched {
        let mut m = Matched::default();
        let mut counts = [];
        let mut h = Hits::new(&mut counts, 0, &mut m);
        for &i in items {
            h.hit(i);
        }
        m
    }

    fn counters(items: usize) -> RuleCounters {
        RuleCounters {
            mangle: vec![[0; 2]; items],
            ..RuleCounters::default()
        }
    }

    #[test]
    fn a_decision_without_rules_counts_under_its_route() {
        let mut rc = counters(3);
        assert_eq!(rc.class(7, &Matched::default()), Some(7));
        assert!(rc.classes.is_empty());
    }

    #[test]
    fn classes_are_shared_by_equal_decisions_and_drained_into_routes_and_items() {
        let mut rc = counters(4);
        let a = rc.class(5, &matched(&[0, 2])).unwrap();
        let b = rc.class(6, &matched(&[0, 2])).unwrap();
        let c = rc.class(5, &matched(&[1])).unwrap();
        assert_eq!(rc.class(5, &matched(&[0, 2])), Some(a));
        assert_eq!(a as usize, ROUTE_COUNTERS);
        assert!(a != b && a != c && b != c);
        let mut routes = RouteCounters::default();
        routes.count(5, 1, 100); // a packet the rules decided, counted by its route
        routes.count(a, 10, 600);
        routes.count(b, 2, 120);
        routes.count(c, 1, 60);
        let (mangle, _) = rc.totals(&routes);
        assert_eq!(mangle, [[12, 720], [1, 60], [12, 720], [0, 0]]);
        rc.drain(&mut routes);
        assert_eq!(routes.get(5), [12, 760]);
        assert_eq!(routes.get(6), [2, 120]);
        assert_eq!(routes.get(a), [0, 0]);
        assert_eq!(rc.mangle, mangle);
        // Drained once: again adds nothing.
        rc.drain(&mut routes);
        assert_eq!(routes.get(5), [12, 760]);
        assert_eq!(rc.totals(&routes).0, mangle);
    }

    #[test]
    fn unlisted_or_too_many_classes_are_not_cached() {
        let mut rc = counters(20);
        let all: Vec<u32> = (0..=crate::firewall::MATCHED_MAX as u32).collect();
        assert_eq!(rc.class(1, &matched(&all)), None);
        for i in 0..CLASSES {
            assert!(rc.class(i as u16, &matched(&[3])).is_some());
        }
        assert_eq!(rc.class(9999, &matched(&[3])), None);
        // Another generation: room again, and the old classes' traffic kept.
        let mut routes = RouteCounters::default();
        routes.count(ROUTE_COUNTERS as u16 + 1, 4, 240);
        rc.follow(&RuleSet::empty(), 1, &mut routes);
        // New rules (the empty set has no items): the counters start over.
        assert!(rc.mangle.is_empty());
        assert_eq!(routes.get(1), [4, 240]);
        assert_eq!(rc.class(9999, &matched(&[3])), Some(ROUTE_COUNTERS as u16));
    }
}
