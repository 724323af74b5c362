//! What the control core exports about itself: Prometheus metrics, once a second.

use super::Control;
use crate::counters::{Counters, RouteCounters, SharedCounters};
use crate::metrics::{Metrics, Sample};
use crate::rib::{view, Target};
use std::net::Ipv4Addr;
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
        let (table_traffic, nexthop_traffic) = self.route_traffic(&workers, now);
        let nat_ports = nat_ports(&workers);
        let rules = self.rule_series();
        let Some(obs) = &self.observer else { return };
        let ports: Vec<_> = self
            .ports
            .iter()
            .zip(self.port_counts())
            .map(|(p, c)| (p.name.clone(), c.dev, c.queue_drops))
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
            table_traffic: &table_traffic,
            nexthop_traffic: &nexthop_traffic,
            nat_ports: &nat_ports,
            neighbours,
            netwatch: &netwatch,
            load: &self.load.last,
            rules: &rules,
        });
        if let Some(obs) = &mut self.observer {
            obs.next = now + METRICS_EVERY;
        }
    }

    /// Forwarded traffic per routing table and per nexthop (address, interface), from the
    /// workers' route counters; frees the ids of pairs gone long enough.
    fn route_traffic(&mut self, workers: &[Counters], now: Instant) -> (Tables, Nexthops) {
        let mut total = RouteCounters::default();
        for w in workers {
            total.add(&w.routes);
        }
        self.route_ids.retire(&total, now);
        let t = self.route_ids.traffic(&total);
        let port = |p: u16| {
            self.ports
                .get(usize::from(p))
                .map_or_else(|| p.to_string(), |p| p.name.clone())
        };
        let nexthops = t
            .nexthops
            .into_iter()
            .filter_map(|(target, v)| match target {
                Target::Gateway(p, a) => Some((Ipv4Addr::from(a).to_string(), port(p), v)),
                Target::Connected(p) => Some((port(p), port(p), v)),
                Target::Local => None,
            })
            .collect();
        (t.tables, nexthops)
    }
}

type Tables = Vec<(String, [u64; 2])>;
type Nexthops = Vec<(String, String, [u64; 2])>;

/// NAT ports in use per translated address, all workers.
fn nat_ports(workers: &[Counters]) -> Vec<(String, u64)> {
    let mut out: Vec<(u32, u64)> = Vec::new();
    for (addr, n) in workers.iter().flat_map(|w| w.nat.by_address) {
        if addr == 0 && n == 0 {
            // A slot never used (a freed one keeps its address: its series goes to 0).
            continue;
        }
        match out.iter_mut().find(|(a, _)| *a == addr) {
            Some(e) => e.1 += u64::from(n),
            None => out.push((addr, u64::from(n))),
        }
    }
    out.into_iter()
        .map(|(a, n)| (Ipv4Addr::from(a).to_string(), n))
        .collect()
}
