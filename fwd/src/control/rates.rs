//! Rate limits and rate logs of the control core.

use super::interfaces::PortCounts;
use super::CtlPort;
use crate::dpdk::{PortId, PortStats};
use std::time::{Duration, Instant};

/// A token bucket for ICMP errors, as Linux's icmp_ratelimit: a steady rate with a burst.
pub(super) struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    pub(super) fn new(rate: f64, burst: f64) -> Self {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            last: Instant::now(),
        }
    }

    pub(super) fn take(&mut self, now: Instant) -> bool {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Per-port packet rates for the log, from the devices' own counters, and the connections
/// when tracking runs.
pub(super) struct RateLog {
    last: Instant,
    prev: Vec<PortStats>,
    prev_created: u64,
}

impl RateLog {
    pub(super) fn new(n: usize) -> Self {
        RateLog {
            last: Instant::now(),
            prev: vec![PortStats::default(); n],
            prev_created: 0,
        }
    }

    /// `conns`: the connections in the workers' tables and those they created so far (as
    /// the workers last published them, every few milliseconds).
    pub(super) fn maybe_log(
        &mut self,
        now: Instant,
        every: Duration,
        ports: &[CtlPort],
        conns: Option<(u64, u64)>,
    ) {
        let dt = now.duration_since(self.last);
        if dt < every {
            return;
        }
        let secs = dt.as_secs_f64();
        let mut line = String::new();
        for (p, prev) in ports.iter().zip(self.prev.iter_mut()) {
            let s = PortId(p.dpdk_port).stats();
            let rx = (s.ipackets - prev.ipackets) as f64 / secs;
            let tx = (s.opackets - prev.opackets) as f64 / secs;
            line.push_str(&format!(" {}: rx {:.0} pps tx {:.0} pps;", p.name, rx, tx));
            *prev = s;
        }
        if let Some((n, created)) = conns {
            let new = created.saturating_sub(self.prev_created) as f64 / secs;
            line.push_str(&format!(" connections: {n}, new {new:.0}/s;"));
            self.prev_created = created;
        }
        self.last = now;
        log::info!("rates:{line}");
    }
}

/// Every port's traffic rates over the last full second, from the devices' counters and the
/// TX queue drops, for `/interface monitor-traffic` (sampled by the control core's tick,
/// whether anyone asks or not: an answer never waits for a second to pass).
pub(super) struct TrafficSampler {
    at: Instant,
    prev: Vec<PortCounts>,
    /// Per port, the last second's rates.
    pub(super) last: Vec<PortCounts>,
}

impl TrafficSampler {
    pub(super) fn new(n: usize) -> Self {
        TrafficSampler {
            at: Instant::now(),
            prev: vec![PortCounts::default(); n],
            last: vec![PortCounts::default(); n],
        }
    }

    /// Whether a second has passed since the last sample.
    pub(super) fn due(&self, now: Instant) -> bool {
        now.duration_since(self.at) >= Duration::from_secs(1)
    }

    /// Takes a sample of the ports' counters `counts` (see [`due`](Self::due)).
    pub(super) fn sample(&mut self, now: Instant, counts: Vec<PortCounts>) {
        let dt = now.duration_since(self.at);
        let secs = dt.as_secs_f64();
        let per_sec = |now: u64, prev: u64| (now.saturating_sub(prev) as f64 / secs).round() as u64;
        for ((s, prev), last) in counts.into_iter().zip(&mut self.prev).zip(&mut self.last) {
            *last = PortCounts {
                dev: s.dev.zip_with(&prev.dev, per_sec),
                queue_drops: per_sec(s.queue_drops, prev.queue_drops),
            };
            *prev = s;
        }
        self.at = now;
    }
}
