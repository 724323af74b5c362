//! Traffic per route counter: packets and bytes forwarded by a lookup in one routing table
//! to one nexthop. The control core gives each (routing table, nexthop) pair an id that
//! outlives route recomputations (`control::route_counters`); the snapshot carries the ids,
//! and a worker adds each forwarded packet (or a whole burst of one route) to its own plain
//! array, published like the other counters. The control core sums the pairs per routing
//! table and per nexthop.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many route counter ids the control core hands out, 0 included.
pub const ROUTE_COUNTERS: usize = 1024;

/// How many counter ids a worker counts by: the route counters, then as many ids of its
/// own (the stateful path's cached decisions that matched rules, `stateful::rule_counters`),
/// which it adds to their route counters before it publishes them. A power of two, so that
/// indexing needs no bounds check.
pub const PATH_COUNTERS: usize = 2 * ROUTE_COUNTERS;

/// The id of traffic no series counts (local delivery, snapshots built by hand): the
/// control core never hands it out.
pub const NO_COUNTER: u16 = 0;

/// Sums of a burst's packets by route counter, added to a [`RouteCounters`] once per
/// counter: the two counters a burst mostly splits between (the WANs of PCC), chosen before
/// the burst, are summed in registers without a branch (a split burst's counters alternate
/// at random, and a branch on them mispredicts every other packet); any other is counted in
/// memory at once. Per packet, a counter's load-add-store chain in memory cost a split burst
/// more than moving its packets.
#[derive(Clone, Copy, Debug)]
pub struct BurstSums {
    /// (counter, packets, bytes) of the two counters summed here; `a.0 != b.0`.
    a: (u16, u64, u64),
    b: (u16, u64, u64),
}

impl BurstSums {
    /// Sums for a burst whose packets' counters are `ids` (in order): the first and the
    /// first other one are summed in registers.
    #[inline(always)]
    pub fn new(ids: impl Iterator<Item = u16>) -> BurstSums {
        let (mut a, mut b) = (None, None);
        for id in ids {
            let first = a.unwrap_or(id);
            a = Some(first);
            b = if b.is_none() && id != first {
                Some(id)
            } else {
                b
            };
        }
        let a = a.unwrap_or(NO_COUNTER);
        BurstSums {
            a: (a, 0, 0),
            b: (b.unwrap_or(a ^ 1), 0, 0),
        }
    }

    /// One packet of `bytes` under counter `id`.
    #[inline(always)]
    pub fn add(&mut self, id: u16, bytes: u64, into: &mut RouteCounters) {
        let (in_a, in_b) = (id == self.a.0, id == self.b.0);
        self.a.1 += u64::from(in_a);
        self.a.2 += if in_a { bytes } else { 0 };
        self.b.1 += u64::from(in_b);
        self.b.2 += if in_b { bytes } else { 0 };
        if !(in_a | in_b) {
            into.count(id, 1, bytes);
        }
    }

    /// Adds what is still summed to `into`.
    #[inline(always)]
    pub fn finish(self, into: &mut RouteCounters) {
        for (id, packets, bytes) in [self.a, self.b] {
            if packets > 0 {
                into.count(id, packets, bytes);
            }
        }
    }
}

/// One thread's traffic per route counter id: packets, bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteCounters(Box<[[u64; 2]; PATH_COUNTERS]>);

impl Default for RouteCounters {
    fn default() -> RouteCounters {
        RouteCounters(Box::new([[0; 2]; PATH_COUNTERS]))
    }
}

impl RouteCounters {
    /// Adds `packets` of `bytes` in all to counter `id`.
    #[inline(always)]
    pub fn count(&mut self, id: u16, packets: u64, bytes: u64) {
        let e = &mut self.0[usize::from(id) % PATH_COUNTERS];
        e[0] += packets;
        e[1] += bytes;
    }

    /// Packets and bytes of counter `id`.
    pub fn get(&self, id: u16) -> [u64; 2] {
        self.0[usize::from(id) % PATH_COUNTERS]
    }

    /// Takes counter `id`'s packets and bytes, leaving it at zero.
    pub fn take(&mut self, id: u16) -> [u64; 2] {
        std::mem::take(&mut self.0[usize::from(id) % PATH_COUNTERS])
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

    /// Any sequence of counters summed by `BurstSums` adds up to what counting each packet
    /// gives.
    #[test]
    fn burst_sums_add_up_to_counting_each_packet() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        for len in 0..200 {
            let (mut each, mut summed) = (RouteCounters::default(), RouteCounters::default());
            let packets: Vec<(u16, u64)> = (0..len)
                .map(|i| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    // Mostly two counters, now and then others (0 and 1 included: the
                    // counter summed when the burst has one, 0, xor 1), any sizes; every
                    // 7th burst has a single counter.
                    let id = match rng % 10 {
                        _ if len % 7 == 3 => 8,
                        0 => (rng >> 8) as u16 % 5,
                        r => 7 + (r % 2) as u16,
                    };
                    (id, 60 + (rng >> 20) % 1500 + i)
                })
                .collect();
            let mut sums = BurstSums::new(packets.iter().map(|p| p.0));
            for &(id, bytes) in &packets {
                each.count(id, 1, bytes);
                sums.add(id, bytes, &mut summed);
            }
            sums.finish(&mut summed);
            assert_eq!(summed, each, "{len} packets");
        }
    }

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
