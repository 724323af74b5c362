//! Read-copy-update publication of snapshots (design invariant 3).
//!
//! Workers keep an `arc_swap::Cache` and refresh it once per burst: one pointer comparison
//! when nothing changed. The control core swaps in a new snapshot and keeps the old one in
//! `retired` until no worker holds it any more, i.e. every worker has passed a quiescent
//! point (its next burst). The final release therefore always happens on the control core,
//! so a worker never frees memory.

use super::Snapshot;
use arc_swap::{ArcSwap, Cache};
use std::sync::Arc;

/// The control core's side.
pub struct Publisher {
    current: Arc<ArcSwap<Snapshot>>,
    retired: Vec<Arc<Snapshot>>,
    generation: u64,
}

/// A worker's side: cheap to read once per burst.
pub type Reader = Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>;

impl Publisher {
    pub fn new(first: Snapshot) -> Publisher {
        let generation = first.generation;
        Publisher {
            current: Arc::new(ArcSwap::from_pointee(first)),
            retired: Vec::new(),
            generation,
        }
    }

    /// A reader for one worker.
    pub fn reader(&self) -> Reader {
        Cache::new(Arc::clone(&self.current))
    }

    /// The snapshot in force.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Makes `next` the snapshot in force; returns its generation.
    pub fn publish(&mut self, mut next: Snapshot) -> u64 {
        self.generation += 1;
        next.generation = self.generation;
        let old = self.current.swap(Arc::new(next));
        self.retired.push(old);
        self.reclaim();
        self.generation
    }

    /// Frees retired snapshots that no reader holds any more. Returns how many remain.
    pub fn reclaim(&mut self) -> usize {
        self.retired.retain(|s| Arc::strong_count(s) > 1);
        self.retired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_see_old_or_new_and_old_is_freed_after_they_move_on() {
        let mut p = Publisher::new(Snapshot::empty(vec![]));
        let mut r1 = p.reader();
        let mut r2 = p.reader();
        assert_eq!(r1.load().generation, 0);
        assert_eq!(r2.load().generation, 0);
        let g = p.publish(Snapshot::empty(vec![]));
        assert_eq!(g, 1);
        // Both readers still hold generation 0 (they have not loaded since): kept.
        assert_eq!(p.reclaim(), 1);
        assert_eq!(r1.load().generation, 1);
        // r2 has not passed its quiescent point yet.
        assert_eq!(p.reclaim(), 1);
        assert_eq!(r2.load().generation, 1);
        assert_eq!(p.reclaim(), 0);
        assert_eq!(p.current().generation, 1);
    }

    #[test]
    fn concurrent_readers_never_see_a_torn_snapshot() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let mut p = Publisher::new(Snapshot::empty(vec![]));
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let mut r = p.reader();
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut last = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let s = r.load();
                        // Generation and contents are published together.
                        assert_eq!(s.fwd.nexthops.len() as u64, s.generation);
                        assert!(s.generation >= last);
                        last = s.generation;
                    }
                    last
                })
            })
            .collect();
        for g in 1..=200u64 {
            let mut s = Snapshot::empty(vec![]);
            s.fwd = Arc::new(crate::fib::Forwarding {
                nexthops: vec![crate::fib::Nexthop::Local; g as usize],
                ..Default::default()
            });
            assert_eq!(p.publish(s), g);
        }
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            assert!(h.join().unwrap() <= 200);
        }
        drop(p);
    }
}
