//! The workers' load, as `/system/resource print` (`cpu-load`) and `/system/resource/cpu
//! print` show it: a worker polls without pause, so the operating system sees each worker
//! core always busy; what counts is the share of its time spent in rounds that had packets to
//! handle (`Counters::busy_cycles`, in TSC cycles), over the last second. The control core
//! sleeps between its ticks: its load is its thread's CPU time over the last second, as the
//! kernel counts it. The memory figures are the machine's, from `/proc/meminfo`.

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
    /// The control thread's CPU time at the last sample, in clock ticks.
    control_prev: Option<u64>,
    /// The control core's load over the last second, 0 to 1 (None until measured).
    pub(super) control: Option<f64>,
}

impl Default for LoadSampler {
    fn default() -> LoadSampler {
        LoadSampler {
            at: Instant::now(),
            prev: Vec::new(),
            last: Vec::new(),
            control_prev: None,
            control: None,
        }
    }
}

/// Clock ticks a second in `/proc`'s CPU times (Linux's USER_HZ, fixed at 100 by its ABI).
const USER_HZ: f64 = 100.0;

impl LoadSampler {
    /// Takes a sample of the workers' busy cycles (in worker order) and of the control
    /// thread's CPU time (`control_ticks`, None when unknown) when a second has passed since
    /// the last; `tsc_hz`: the cycles' rate.
    pub(super) fn maybe_sample(
        &mut self,
        now: Instant,
        busy: &[u64],
        tsc_hz: u64,
        control_ticks: Option<u64>,
    ) {
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
        self.control = match (self.control_prev, control_ticks) {
            (Some(p), Some(t)) => {
                Some((t.saturating_sub(p) as f64 / USER_HZ / dt.as_secs_f64()).min(1.0))
            }
            _ => None,
        };
        self.control_prev = control_ticks;
        self.at = now;
    }
}

/// The user and system CPU time of the calling thread, in clock ticks.
fn thread_cpu_ticks() -> Option<u64> {
    stat_cpu_ticks(&std::fs::read_to_string("/proc/thread-self/stat").ok()?)
}

/// utime + stime (fields 14 and 15) of a `/proc/.../stat` line; the command name (field 2,
/// in parentheses) may hold spaces and parentheses, so fields count from its last `)`.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace().skip(11);
    let utime: u64 = f.next()?.parse().ok()?;
    let stime: u64 = f.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
fn memory() -> Option<(u64, u64)> {
    meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn meminfo(text: &str) -> Option<(u64, u64)> {
    let kib = |key: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    };
    Some((kib("MemTotal:")? * 1024, kib("MemAvailable:")? * 1024))
}

/// Bytes as RouterOS prints memory: mebibytes with one decimal ("1843.2MiB").
fn mib(bytes: u64) -> String {
    format!("{:.1}MiB", bytes as f64 / (1024.0 * 1024.0))
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
        let tsc_hz = crate::dpdk::tsc_hz();
        // Read only when a sample is due: a file read per tick would be the tick's main cost.
        if now.duration_since(self.load.at) >= Duration::from_secs(1) {
            self.load
                .maybe_sample(now, &busy, tsc_hz, thread_cpu_ticks());
        }
    }

    /// `/system/resource print`: the router as RouterOS describes itself, with `cpu-load` the
    /// workers' average load over the last second, and the machine's memory.
    pub(super) fn resource(&self) -> Vec<(&'static str, String)> {
        let l = &self.load.last;
        let avg = if l.is_empty() {
            0.0
        } else {
            l.iter().sum::<f64>() / l.len() as f64
        };
        let mut v = vec![
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
        ];
        if let Some((total, free)) = memory() {
            v.insert(2, ("free-memory", mib(free)));
            v.insert(3, ("total-memory", mib(total)));
        }
        v
    }

    /// `/system/resource/cpu print`: one row per core, the control core's first, each with
    /// its load over the last second.
    pub(super) fn cpu_listing(&self) -> Listing {
        let row = |lcore: u32, load: f64, role: String, handle: usize| {
            let (cpu, load) = (format!("cpu{lcore}"), percent(load));
            ListRow {
                flags: String::new(),
                cells: vec![cpu.clone(), load.clone(), role.clone()],
                props: vec![("cpu", cpu), ("load", load), ("role", role)],
                handle: handle as u64,
            }
        };
        let control = self.load.control.unwrap_or(0.0);
        let mut rows = vec![row(self.control_lcore, control, "control".into(), 0)];
        rows.extend(self.worker_lcores.iter().enumerate().map(|(w, &lcore)| {
            let load = self.load.last.get(w).copied().unwrap_or(0.0);
            row(lcore, load, format!("worker {w}"), w + 1)
        }));
        Listing {
            legend: None,
            columns: vec![("CPU", false), ("LOAD", true), ("ROLE", false)],
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
            ..LoadSampler::default()
        };
        // Not a second yet: nothing sampled.
        s.maybe_sample(t0 + Duration::from_millis(500), &[hz, 0], hz, Some(7));
        assert!(s.last.is_empty());
        s.maybe_sample(t0 + Duration::from_secs(1), &[hz / 4, 0], hz, Some(10));
        assert_eq!(s.last, [0.25, 0.0]);
        assert_eq!(
            s.control, None,
            "one reading of the control thread is no rate"
        );
        // Two seconds, 1.5 s busy of worker 0, all of worker 1 (and a late round's spill);
        // the control thread ran 0.3 s (30 ticks) of them.
        let t = t0 + Duration::from_secs(3);
        s.maybe_sample(t, &[hz / 4 + 3 * hz / 2, 5 * hz], hz, Some(40));
        assert_eq!(s.last, [0.75, 1.0]);
        assert_eq!(s.control, Some(0.15));
        // Its CPU time unreadable: no figure rather than a wrong one.
        s.maybe_sample(t + Duration::from_secs(1), &[0, 0], hz, None);
        assert_eq!(s.control, None);
        assert_eq!(percent(0.754), "75%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn proc_files_parse() {
        // A command name with a space and a parenthesis.
        let stat = "4242 (wan fwd) x) S 1 4242 4242 0 -1 4194560 520 0 0 0 1234 56 0 0 20 0 3";
        assert_eq!(stat_cpu_ticks(stat), Some(1290));
        assert_eq!(stat_cpu_ticks("4242 (w) S 1"), None);
        assert_eq!(stat_cpu_ticks("garbage"), None);
        let mem =
            "MemTotal:       24590000 kB\nMemFree:        1000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(meminfo(mem), Some((24_590_000 * 1024, 20_000_000 * 1024)));
        assert_eq!(meminfo("MemTotal: 5 kB\n"), None);
        assert_eq!(mib(1_932_735_283), "1843.2MiB");
        // And this machine's own, through the same code.
        assert!(thread_cpu_ticks().is_some());
        let (total, free) = memory().expect("/proc/meminfo");
        assert!(free <= total && total > 0);
    }
}
