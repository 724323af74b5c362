//! Netwatch: `/tool/netwatch` items and the state of one watched host.
//!
//! An item names a host to ping every `interval`; a reply within `timeout` makes it `up`, a
//! probe left unanswered makes it `down` (RouterOS's netwatch decides on each probe, as a
//! check-gateway [`Prober`] with a count and a restore count of 1). The status starts
//! `unknown`; every change, the first verdict included, runs the matching script
//! (`up-script` or `down-script`), as RouterOS does.
//!
//! `gateway=` is wanfwd's own: the probe leaves through that gateway (on the port whose
//! subnet holds it) whatever the routing table says, so the watch tests that WAN even while
//! the routes fail over to another. Without it the probe follows the main table.
//!
//! The state logic ([`Watch`]) does no I/O and reads no clock: it is tested with simulated
//! time.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::config::{format_duration, parse_duration};
use crate::firewall::values::{parse_ipv4, parse_yes_no, yes_no};
use crate::firewall::Item;
use crate::probe::{GwState, Method, Prober, Settings};

pub const NETWATCH: &str = "/tool/netwatch";

const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

const PROPERTIES: [&str; 11] = [
    "host",
    "type",
    "interval",
    "timeout",
    "src-address",
    "gateway",
    "up-script",
    "down-script",
    "test-script",
    "comment",
    "disabled",
];

/// A `/tool/netwatch` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetwatchItem {
    /// The watched host; unset until given (required).
    pub host: Option<Ipv4Addr>,
    pub interval: Duration,
    pub timeout: Duration,
    pub src_address: Option<Ipv4Addr>,
    /// wanfwd's own: the gateway the probe leaves through, whatever the routes say.
    pub gateway: Option<Ipv4Addr>,
    pub up_script: String,
    pub down_script: String,
    /// Accepted and kept, not run (wanfwd runs no test-script yet).
    pub test_script: String,
    pub comment: Option<String>,
    pub disabled: bool,
}

impl Default for NetwatchItem {
    fn default() -> Self {
        NetwatchItem {
            host: None,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            src_address: None,
            gateway: None,
            up_script: String::new(),
            down_script: String::new(),
            test_script: String::new(),
            comment: None,
            disabled: false,
        }
    }
}

fn bad(property: &str, value: &str, e: String) -> String {
    format!("invalid {property} '{value}': {e}")
}

fn opt_addr(property: &str, value: &str) -> Result<Option<Ipv4Addr>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    parse_ipv4(value)
        .map(Some)
        .map_err(|e| bad(property, value, e))
}

fn script(property: &str, value: &str) -> Result<String, String> {
    // RouterOS stores the text; a script that does not even parse is refused here rather
    // than failing at every state change.
    crate::ros::parse(value).map_err(|e| {
        format!(
            "invalid {property}: line {}, column {}: {}",
            e.line, e.column, e.message
        )
    })?;
    Ok(value.to_string())
}

impl Item for NetwatchItem {
    const MENU: &'static str = NETWATCH;

    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "host" => {
                self.host = Some(parse_ipv4(value).map_err(|e| bad(property, value, e))?);
            }
            "type" => match value {
                "icmp" | "simple" => {}
                other => {
                    return Err(format!(
                        "type '{other}' is not supported by wanfwd (supported: icmp)"
                    ))
                }
            },
            "interval" | "timeout" => {
                let d = parse_duration(value).map_err(|e| bad(property, value, e))?;
                if d.is_zero() {
                    return Err(bad(property, value, "must be more than 0s".into()));
                }
                if property == "interval" {
                    self.interval = d;
                } else {
                    self.timeout = d;
                }
            }
            "src-address" => self.src_address = opt_addr(property, value)?,
            "gateway" => self.gateway = opt_addr(property, value)?,
            "up-script" => self.up_script = script(property, value)?,
            "down-script" => self.down_script = script(property, value)?,
            "test-script" => self.test_script = value.to_string(),
            "comment" => self.comment = (!value.is_empty()).then(|| value.to_string()),
            "disabled" => {
                self.disabled = parse_yes_no(value).map_err(|e| bad(property, value, e))?
            }
            _ => {
                return Err(format!(
                    "unknown property '{property}' for {NETWATCH} (known: {})",
                    PROPERTIES.join(", ")
                ))
            }
        }
        Ok(())
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(h) = self.host {
            out.push(("host", h.to_string()));
        }
        if self.interval != DEFAULT_INTERVAL {
            out.push(("interval", format_duration(self.interval)));
        }
        if self.timeout != DEFAULT_TIMEOUT {
            out.push(("timeout", format_duration(self.timeout)));
        }
        if let Some(a) = self.src_address {
            out.push(("src-address", a.to_string()));
        }
        if let Some(g) = self.gateway {
            out.push(("gateway", g.to_string()));
        }
        for (k, v) in [
            ("up-script", &self.up_script),
            ("down-script", &self.down_script),
            ("test-script", &self.test_script),
        ] {
            if !v.is_empty() {
                out.push((k, v.clone()));
            }
        }
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", yes_no(true)));
        }
        out
    }
}

impl NetwatchItem {
    /// What identifies the probe: a change of anything else (scripts, timing) keeps the
    /// state.
    pub fn key(&self) -> Option<Key> {
        Some(Key {
            host: self.host?,
            src: self.src_address,
            gateway: self.gateway,
        })
    }

    /// The prober's settings: a verdict on every probe.
    pub fn settings(&self) -> Settings {
        Settings {
            interval: self.interval,
            timeout: self.timeout,
            count: 1,
            restore: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub host: Ipv4Addr,
    pub src: Option<Ipv4Addr>,
    pub gateway: Option<Ipv4Addr>,
}

/// A watched host's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Unknown,
    Up,
    Down,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Up => "up",
            Status::Down => "down",
        }
    }
}

/// The state of one watched host.
#[derive(Debug, Clone)]
pub struct Watch {
    prober: Prober,
}

impl Watch {
    /// A watch whose first probe is due at `now`.
    pub fn new(item: &NetwatchItem, now: Instant) -> Watch {
        Watch {
            prober: Prober::new(Method::Ping, item.settings(), now),
        }
    }

    /// Takes new timing without losing the status.
    pub fn update(&mut self, item: &NetwatchItem) {
        if self.prober.settings() != item.settings() {
            self.prober.set_settings(item.settings());
        }
    }

    pub fn next_deadline(&self) -> Instant {
        self.prober.next_deadline()
    }

    /// Lets time pass; the sequence number of a probe to send now, if one is due.
    pub fn poll(&mut self, now: Instant) -> Option<u16> {
        self.prober.poll(now)
    }

    /// An echo reply with sequence number `seq` arrived.
    pub fn reply(&mut self, seq: u16, now: Instant) {
        self.prober.reply(seq, now);
    }

    pub fn status(&self) -> Status {
        match self.prober.state() {
            GwState::Unknown => Status::Unknown,
            GwState::Reachable => Status::Up,
            GwState::Unreachable => Status::Down,
        }
    }

    /// The new status when it changed since the last call (the first verdict included):
    /// the script to run is the up-script or down-script of that status.
    pub fn take_change(&mut self) -> Option<Status> {
        self.prober.take_change().map(|s| match s {
            GwState::Reachable => Status::Up,
            GwState::Unreachable => Status::Down,
            GwState::Unknown => Status::Unknown,
        })
    }

    /// When the status last changed (the watch's creation until the first verdict).
    pub fn since(&self) -> Instant {
        self.prober.stats().last_change
    }

    /// Probes that concluded (answered or timed out).
    pub fn done_tests(&self) -> u64 {
        let s = self.prober.stats();
        s.replies + s.timeouts
    }

    /// Probes that timed out.
    pub fn failed_tests(&self) -> u64 {
        self.prober.stats().timeouts
    }
}

/// A watched item's status as `print` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusView {
    pub status: Status,
    /// When it last changed, as RouterOS prints it; empty while unknown.
    pub since: String,
    pub done_tests: u64,
    pub failed_tests: u64,
}

/// A wall-clock time as RouterOS 7 prints it (`2026-11-25 23:10:01`), in UTC.
pub fn format_time(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since the epoch (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests;
