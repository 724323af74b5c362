//! The workers' load, as `/system/resource print` (`cpu-load`) and `/system/resource/cpu
//! print` show it: a worker polls without pause, so the operating system sees each worker
//! core always busy; what counts is the share of its time spent in rounds that had packets to
//! handle (`Counters::busy_cycles`, in TSC cycles), over the last second.

use super::Control;
use crate::cli::{ListRow, Listing};
use std::time::{Duration, Instant};

/// The load of each worker over the last full second (sampled by the control core's tick
/// whether anyone asks or not).
pub(super) struct LoadSampler {
    at: Instant,
    prev: Vec<u64>,
    /// Per worker, its load over the last second, 0 to 1.
    pub(super) last: Vec<f64>,
}

impl Default for LoadSampler {
    fn default() -> LoadSampler {
        LoadSampler {
            at: Instant::now(),
            prev: Vec::new(),
            last: Vec::new(),
        }
    }
}

impl LoadSampler {
    /// Takes a sample of the workers' busy cycles (in worker order) when a second has passed
    /// since the last; `tsc_hz`: the cycles' rate.
    pub(super) fn maybe_sample(&mut self, now: Instant, busy: &[u64], tsc_hz: u64) {
        let dt = now.duration_since(self.at);
        if dt < Duration::from_secs(1) {
            return;
        }
        self.prev.resize(busy.len(), 0);
        self.last = busy
            .iter()
            .zip(&self.prev)
            .map(|(&b, &p)| share(b.saturating_sub(p), dt, tsc_hz))
            .collect();
        self.prev = busy.to_vec();
        self.at = now;
    }
}

/// `busy` cycles at `tsc_hz` as a share of `dt`, at most 1 (a round counted late may spill
/// into the next second).
fn share(busy: u64, dt: Duration, tsc_hz: u64) -> f64 {
    let total = dt.as_secs_f64() * tsc_hz as f64;
    if total <= 0.0 {
        return 0.0;
    }
    (busy as f64 / total).min(1.0)
}

/// A load as RouterOS prints it: a whole percentage.
fn percent(load: f64) -> String {
    format!("{}%", (load * 100.0).round() as u32)
}

impl Control {
    /// Samples the workers' load (the tick calls it).
    pub(super) fn sample_load(&mut self, now: Instant) {
        let busy: Vec<u64> = self.workers.iter().map(|w| w.read().busy_cycles).collect();
        self.load.maybe_sample(now, &busy, crate::dpdk::tsc_hz());
    }

    /// `/system/resource print`: the router as RouterOS describes itself, with `cpu-load` the
    /// workers' average load over the last second.
    pub(super) fn resource(&self) -> Vec<(&'static str, String)> {
        let l = &self.load.last;
        let avg = if l.is_empty() {
            0.0
        } else {
            l.iter().sum::<f64>() / l.len() as f64
        };
        vec![
            (
                "uptime",
                crate::config::format_duration(self.started.elapsed()),
            ),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("cpu-count", (self.worker_lcores.len() + 1).to_string()),
            ("worker-count", self.worker_lcores.len().to_string()),
            (
                "cpu-frequency",
                format!("{}MHz", crate::dpdk::tsc_hz() / 1_000_000),
            ),
            ("cpu-load", percent(avg)),
            ("architecture-name", std::env::consts::ARCH.to_string()),
            ("board-name", "wanfwd".to_string()),
            ("platform", "DPDK".to_string()),
        ]
    }

    /// `/system/resource/cpu print`: one row per worker core, its load over the last second.
    pub(super) fn cpu_listing(&self) -> Listing {
        let rows = self
            .worker_lcores
            .iter()
            .enumerate()
            .map(|(w, lcore)| {
                let load = percent(self.load.last.get(w).copied().unwrap_or(0.0));
                let cpu = format!("cpu{lcore}");
                ListRow {
                    flags: String::new(),
                    cells: vec![cpu.clone(), load.clone(), w.to_string()],
                    props: vec![("cpu", cpu), ("load", load), ("worker", w.to_string())],
                    handle: w as u64,
                }
            })
            .collect();
        Listing {
            legend: None,
            columns: vec![("CPU", false), ("LOAD", true), ("WORKER", true)],
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_is_the_busy_share_of_the_last_second() {
        let hz = 2_000_000_000;
        let t0 = Instant::now();
        let mut s = LoadSampler {
            at: t0,
            prev: Vec::new(),
            last: Vec::new(),
        };
        // Not a second yet: nothing sampled.
        s.maybe_sample(t0 + Duration::from_millis(500), &[hz, 0], hz);
        assert!(s.last.is_empty());
        s.maybe_sample(t0 + Duration::from_secs(1), &[hz / 4, 0], hz);
        assert_eq!(s.last, [0.25, 0.0]);
        // Two seconds, 1.5 s busy of worker 0, all of worker 1 (and a late round's spill).
        let t = t0 + Duration::from_secs(3);
        s.maybe_sample(t, &[hz / 4 + 3 * hz / 2, 5 * hz], hz);
        assert_eq!(s.last, [0.75, 1.0]);
        assert_eq!(percent(0.754), "75%");
        assert_eq!(percent(0.0), "0%");
    }
}
