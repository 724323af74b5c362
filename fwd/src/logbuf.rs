//! `/log print`: the recent log messages, kept in memory as RouterOS keeps its log. Every
//! record still goes to stderr (env_logger); the last `CAPACITY` at info level or above are
//! also kept here. Logging happens on the control path (workers log only at start, stop and
//! on commands), so a mutex is fine.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

/// Messages kept, as RouterOS keeps 1000 in memory by default.
pub const CAPACITY: usize = 1000;

/// One kept message.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// RouterOS's topic for the level: `info`, `warning`, `error`.
    pub topics: &'static str,
    pub message: String,
}

/// A bounded buffer of the most recent messages.
#[derive(Default)]
pub struct Ring {
    entries: Mutex<VecDeque<Entry>>,
}

impl Ring {
    pub const fn new() -> Ring {
        Ring {
            entries: Mutex::new(VecDeque::new()),
        }
    }

    pub fn push(&self, level: log::Level, message: String) {
        let topics = match level {
            log::Level::Error => "error",
            log::Level::Warn => "warning",
            log::Level::Info => "info",
            _ => return,
        };
        let time = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if e.len() == CAPACITY {
            e.pop_front();
        }
        e.push_back(Entry {
            time,
            topics,
            message,
        });
    }

    /// The kept messages, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.iter().cloned().collect()
    }
}

/// The daemon's log.
pub static LOG: Ring = Ring::new();

/// A logger that writes through `inner` (stderr) and keeps what it writes in [`LOG`].
pub struct Logger {
    pub inner: env_logger::Logger,
}

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        self.inner.enabled(m)
    }

    fn log(&self, r: &log::Record) {
        if self.inner.matches(r) {
            self.inner.log(r);
            LOG.push(r.level(), r.args().to_string());
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs the logger: env_logger's filter (`RUST_LOG`, default `info`) and output, plus the
/// in-memory log.
pub fn init() {
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(Logger { inner })).is_ok() {
        log::set_max_level(max);
    }
}

/// `HH:MM:SS` (UTC) of a time, as `/log print` shows it.
pub fn clock(secs: u64) -> String {
    let s = secs % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_messages_at_info_and_above() {
        let r = Ring::new();
        r.push(log::Level::Debug, "not kept".into());
        for i in 0..CAPACITY + 5 {
            r.push(log::Level::Warn, format!("m{i}"));
        }
        let e = r.entries();
        assert_eq!(e.len(), CAPACITY);
        assert_eq!(e[0].message, "m5");
        assert_eq!(e[CAPACITY - 1].message, format!("m{}", CAPACITY + 4));
        assert_eq!(e[0].topics, "warning");
        assert_eq!(clock(3 * 3600 + 7 * 60 + 9), "03:07:09");
    }
}
