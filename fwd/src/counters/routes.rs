//! Traffic per route counter: packets and bytes forwarded by a lookup in one routing table
//! to one nexthop. The control core gives each (routing table, nexthop) pair an id that
//! outlives route recomputations (`control::route_counters`); the snapshot carries the ids,
//! and a worker adds each forwarded packet (or a whole burst of one route) to its own plain
//! array, published like the other counters. The control core sums the pairs per routing
//! table and per nexthop.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many ids there are, 0 included. A power of two, so that indexing needs no bounds
/// check.
pub const ROUTE_COUNTERS: usize = 1024;

/// The id of traffic no series counts (local delivery, snapshots built by hand): the
/// control core never hands it out.
pub const NO_COUNTER: u16 = 0;

/// One thread's traffic per route counter id: packets, bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteCounters(Box<[[u64; 2]; ROUTE_COUNTERS]>);

impl Default for RouteCounters {
    fn default() -> RouteCounters {
        RouteCounters(Box::new([[0; 2]; ROUTE_COUNTERS]))
    }
}

impl RouteCounters {
    /// Adds `packets` of `bytes` in all to counter `id`.
    #[inline(always)]
    pub fn count(&mut self, id: u16, packets: u64, bytes: u64) {
        let e = &mut self.0[usize::from(id) % ROUTE_COUNTERS];
        e[0] += packets;
        e[1] += bytes;
    }

    /// Packets and bytes of counter `id`.
    pub fn get(&self, id: u16) -> [u64; 2] {
        self.0[usize::from(id) % ROUTE_COUNTERS]
    }

    pub fn add(&mut self, o: &RouteCounters) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            a[0] += b[0];
            a[1] += b[1];
        }
    }
}

/// The published copy of a thread's [`RouteCounters`].
pub struct SharedRouteCounters(Box<[[AtomicU64; 2]]>);

impl Default for SharedRouteCounters {
    fn default() -> SharedRouteCounters {
        SharedRouteCounters(
            (0..ROUTE_COUNTERS)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect(),
        )
    }
}

impl SharedRouteCounters {
    /// Publishes the counters below `upto` (the ids handed out so far: the rest are zero,
    /// and leaving them alone keeps 16 kB out of the worker's caches).
    pub fn publish(&self, c: &RouteCounters, upto: usize) {
        for (a, v) in self.0.iter().zip(c.0.iter()).take(upto) {
            a[0].store(v[0], Ordering::Relaxed);
            a[1].store(v[1], Ordering::Relaxed);
        }
    }

    pub fn read(&self) -> RouteCounters {
        let mut c = RouteCounters::default();
        for (v, a) in c.0.iter_mut().zip(self.0.iter()) {
            *v = [a[0].load(Ordering::Relaxed), a[1].load(Ordering::Relaxed)];
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_publish_read() {
        let mut c = RouteCounters::default();
        c.count(3, 1, 60);
        c.count(3, 31, 31 * 60);
        c.count(7, 2, 3000);
        assert_eq!(c.get(3), [32, 1920]);
        assert_eq!(c.get(7), [2, 3000]);
        assert_eq!(c.get(4), [0, 0]);
        let s = SharedRouteCounters::default();
        s.publish(&c, 5);
        let r = s.read();
        assert_eq!(r.get(3), [32, 1920]);
        // Above `upto`: not published yet.
        assert_eq!(r.get(7), [0, 0]);
        s.publish(&c, ROUTE_COUNTERS);
        assert_eq!(s.read(), c);
        let mut sum = RouteCounters::default();
        sum.add(&c);
        sum.add(&c);
        assert_eq!(sum.get(7), [4, 6000]);
    }
}
