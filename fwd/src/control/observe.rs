//! What the control core exports about itself: Prometheus metrics, once a second.

use super::Control;
use crate::counters::{Counters, SharedCounters};
use crate::dpdk::PortId;
use crate::metrics::{Metrics, Sample};
use crate::rib::view;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often metrics are sampled.
pub const METRICS_EVERY: Duration = Duration::from_secs(1);

/// The exporter and the workers' published counters it reads.
pub struct Observer {
    pub metrics: Metrics,
    pub workers: Vec<Arc<SharedCounters>>,
    pub next: Instant,
}

impl Control {
    /// Publishes a metrics sample when one is due.
    pub(super) fn observe(&mut self, now: Instant) {
        let Some(obs) = &self.observer else { return };
        if now < obs.next {
            return;
        }
        let workers: Vec<Counters> = obs.workers.iter().map(|c| c.read()).collect();
        let ports: Vec<(String, _)> = self
            .ports
            .iter()
            .map(|p| (p.name.clone(), PortId(p.dpdk_port).stats()))
            .collect();
        let (nexthops, routes_active) = self.with_view(|ctx| {
            let nexthops: Vec<(String, String, String)> = view::nexthops(ctx)
                .into_iter()
                .map(|n| (n.address, n.interface, n.gw_state))
                .collect();
            let mut per_table: Vec<(String, u64)> =
                self.rib.tables.iter().map(|t| (t.clone(), 0)).collect();
            for r in view::routes(ctx).into_iter().filter(|r| r.active) {
                if let Some(t) = per_table.iter_mut().find(|(t, _)| *t == r.routing_table) {
                    t.1 += 1;
                }
            }
            (nexthops, per_table)
        });
        let neighbours = self.neigh.published().len() as u64;
        let netwatch: Vec<(String, bool)> = self
            .netwatch_states()
            .into_iter()
            .filter(|(_, s)| *s != crate::netwatch::Status::Unknown)
            .map(|(h, s)| (h.to_string(), s == crate::netwatch::Status::Up))
            .collect();
        obs.metrics.update(&Sample {
            workers: &workers,
            control: &self.counters,
            ports: &ports,
            nexthops: &nexthops,
            routes_active: &routes_active,
            neighbours,
            netwatch: &netwatch,
        });
        if let Some(obs) = &mut self.observer {
            obs.next = now + METRICS_EVERY;
        }
    }
}
