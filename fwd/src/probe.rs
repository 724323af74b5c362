//! check-gateway: the probe state machine of one gateway.
//!
//! A route with `check-gateway=ping` (or `arp`) stays active only while its gateway answers.
//! The control core keeps one [`Prober`] per probed gateway (keyed by port and gateway
//! address), sends the probes it asks for, feeds it the replies and the passing of time, and
//! republishes the routes when [`Prober::take_change`] reports a new verdict. The prober does
//! no I/O and reads no clock: it is deterministic and tested with simulated time.
//!
//! # Timing
//!
//! Let `P = max(interval, timeout)`, the period of unanswered probes.
//!
//! - While probes are answered, one leaves every `interval`, measured from the previous one.
//!   A reply counts if it arrives strictly before `timeout` has passed since its probe left.
//! - An unanswered probe fails when `timeout` has passed. At most one probe is outstanding:
//!   if `timeout >= interval`, the next probe leaves at the timeout of the previous one,
//!   in the same [`Prober::poll`] call that records the failure.
//! - A gateway that stops answering from a probe sent at `t` is declared unreachable at
//!   `t + (count - 1) * P + timeout` ([`Settings::time_to_verdict`]): with RouterOS's
//!   defaults (10s, 1s, 3), 21s after its first unanswered probe left.
//! - That probe leaves at most `interval` after the gateway died, since the previous one was
//!   answered. So failover happens at most `interval + (count - 1) * P + timeout` after the
//!   gateway dies ([`Settings::worst_case_detection`]): 31s with the defaults, and within
//!   `interval * count + interval` whenever `timeout <= interval`.
//! - An unreachable gateway is reachable again at its `restore`-th consecutive answer
//!   (RouterOS restores on the first), so at most `restore * P` plus a round trip after it
//!   came back.
//!
//! These hold when the caller polls at [`Prober::next_deadline`]; a late poll delays the
//! probe or the verdict by its lateness, and the schedule continues from there.

use std::fmt;
use std::time::{Duration, Instant};

use crate::config::{CheckGateway, RoutingSettings};

/// How the gateway is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// An ICMP echo request; the reply carries the probe's sequence number.
    Ping,
    /// An ARP request; any ARP from the gateway answers the outstanding probe.
    Arp,
}

impl Method {
    /// The probe a route's `check-gateway` asks for, if any.
    pub fn for_check_gateway(check: CheckGateway) -> Option<Method> {
        match check {
            CheckGateway::None => None,
            CheckGateway::Ping => Some(Method::Ping),
            CheckGateway::Arp => Some(Method::Arp),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Ping => "ping",
            Method::Arp => "arp",
        })
    }
}

/// What the probes say about a gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GwState {
    /// No verdict yet. Routing treats it as reachable: RouterOS starts routes active.
    #[default]
    Unknown,
    Reachable,
    Unreachable,
}

impl GwState {
    /// Whether routes through this gateway may be active.
    pub fn is_usable(self) -> bool {
        self != GwState::Unreachable
    }
}

impl fmt::Display for GwState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GwState::Unknown => "unknown",
            GwState::Reachable => "reachable",
            GwState::Unreachable => "unreachable",
        })
    }
}

/// The probing parameters, from `/routing/settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Time between two probes.
    pub interval: Duration,
    /// Time a probe has to be answered.
    pub timeout: Duration,
    /// Consecutive failures that make the gateway unreachable (0 counts as 1).
    pub count: u32,
    /// Consecutive answers that make an unreachable gateway reachable (0 counts as 1).
    pub restore: u32,
}

/// Bounds the times so that adding them to an `Instant` cannot overflow.
const LONGEST: Duration = Duration::from_secs(24 * 3600);

impl Settings {
    fn normalized(self) -> Settings {
        Settings {
            interval: self.interval.min(LONGEST),
            timeout: self.timeout.min(LONGEST),
            count: self.count.max(1),
            restore: self.restore.max(1),
        }
    }

    /// The period of unanswered probes: one cannot leave before the previous one timed out.
    pub fn failure_period(&self) -> Duration {
        let s = self.normalized();
        s.interval.max(s.timeout)
    }

    /// From the first unanswered probe leaving to the gateway declared unreachable.
    pub fn time_to_verdict(&self) -> Duration {
        let s = self.normalized();
        self.failure_period()
            .checked_mul(s.count - 1)
            .and_then(|d| d.checked_add(s.timeout))
            .unwrap_or(Duration::MAX)
    }

    /// From the gateway dying (just after answering) to it being declared unreachable, at
    /// worst.
    pub fn worst_case_detection(&self) -> Duration {
        self.normalized()
            .interval
            .saturating_add(self.time_to_verdict())
    }
}

impl From<&RoutingSettings> for Settings {
    fn from(r: &RoutingSettings) -> Settings {
        Settings {
            interval: r.ping_interval,
            timeout: r.ping_timeout,
            count: r.ping_count,
            restore: r.restore_count,
        }
    }
}

impl Default for Settings {
    /// RouterOS's behaviour: a probe every 10s, 1s to answer, down after 3 failures, up
    /// again on the first answer.
    fn default() -> Settings {
        Settings::from(&RoutingSettings::default())
    }
}

/// Counters of one prober, for `print` and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeStats {
    /// Probes sent.
    pub sent: u64,
    /// Replies that answered a probe in time.
    pub replies: u64,
    /// Probes that got no reply in time.
    pub timeouts: u64,
    /// Replies that were late, duplicated or for no outstanding probe.
    pub ignored: u64,
    /// Consecutive failed probes, up to now.
    pub failures: u32,
    /// Consecutive answered probes, up to now.
    pub successes: u32,
    /// When the state last changed (the prober's creation until the first verdict).
    pub last_change: Instant,
    /// Round-trip time of the last answered probe.
    pub last_rtt: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outstanding {
    seq: u16,
    sent: Instant,
    deadline: Instant,
}

/// The check-gateway state machine of one gateway; see the module documentation for timing.
#[derive(Debug, Clone)]
pub struct Prober {
    method: Method,
    settings: Settings,
    state: GwState,
    /// The state last returned by `take_change`.
    reported: GwState,
    next_probe: Instant,
    outstanding: Option<Outstanding>,
    next_seq: u16,
    last_sent: Option<Instant>,
    stats: ProbeStats,
}

impl Prober {
    /// A prober whose first probe is due at `now`.
    pub fn new(method: Method, settings: Settings, now: Instant) -> Prober {
        Prober {
            method,
            settings: settings.normalized(),
            state: GwState::Unknown,
            reported: GwState::Unknown,
            next_probe: now,
            outstanding: None,
            next_seq: 0,
            last_sent: None,
            stats: ProbeStats {
                sent: 0,
                replies: 0,
                timeouts: 0,
                ignored: 0,
                failures: 0,
                successes: 0,
                last_change: now,
                last_rtt: None,
            },
        }
    }

    pub fn method(&self) -> Method {
        self.method
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Applies new settings (a configuration change) without losing the verdict or the
    /// counters: the next probe leaves `interval` after the last one, an outstanding probe
    /// keeps its timeout, and the new counts apply from the next result on.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings.normalized();
        if let Some(sent) = self.last_sent {
            self.next_probe = sent + self.settings.interval;
        }
    }

    /// When the caller must next call [`poll`](Self::poll): the timeout of the outstanding
    /// probe, or else the time the next probe is due (possibly already past).
    pub fn next_deadline(&self) -> Instant {
        match self.outstanding {
            Some(o) => o.deadline,
            None => self.next_probe,
        }
    }

    /// Lets time pass to `now`: fails the outstanding probe if its timeout has passed, and
    /// returns the sequence number of a probe to send now, if one is due. The caller sends an
    /// ICMP echo request with that sequence number, or an ARP request.
    pub fn poll(&mut self, now: Instant) -> Option<u16> {
        if let Some(o) = self.outstanding {
            if now < o.deadline {
                return None;
            }
            self.outstanding = None;
            self.stats.timeouts += 1;
            self.failure(now);
        }
        if now < self.next_probe {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        self.outstanding = Some(Outstanding {
            seq,
            sent: now,
            deadline: now + self.settings.timeout,
        });
        self.next_probe = now + self.settings.interval;
        self.last_sent = Some(now);
        self.stats.sent += 1;
        Some(seq)
    }

    /// A reply to probe `seq` arrived at `now`: an echo reply with that sequence number, or
    /// for ARP any ARP from the gateway, passed with [`outstanding`](Self::outstanding).
    /// A reply that is late (at or after the timeout), repeated, or for another probe is
    /// ignored: the probe then fails at its timeout.
    pub fn reply(&mut self, seq: u16, now: Instant) {
        match self.outstanding {
            Some(o) if o.seq == seq && now < o.deadline => {
                self.outstanding = None;
                self.stats.replies += 1;
                self.stats.last_rtt = Some(now.saturating_duration_since(o.sent));
                self.success(now);
            }
            _ => self.stats.ignored += 1,
        }
    }

    /// The sequence number of the probe awaiting its reply, if any.
    pub fn outstanding(&self) -> Option<u16> {
        self.outstanding.map(|o| o.seq)
    }

    pub fn state(&self) -> GwState {
        self.state
    }

    /// The new state if it differs from the one this last returned (initially `Unknown`).
    /// A change that was undone in between is not reported.
    pub fn take_change(&mut self) -> Option<GwState> {
        if self.state == self.reported {
            return None;
        }
        self.reported = self.state;
        Some(self.state)
    }

    pub fn stats(&self) -> ProbeStats {
        self.stats
    }

    fn failure(&mut self, now: Instant) {
        self.stats.successes = 0;
        self.stats.failures = self.stats.failures.saturating_add(1);
        if self.stats.failures >= self.settings.count {
            self.set_state(GwState::Unreachable, now);
        }
    }

    fn success(&mut self, now: Instant) {
        self.stats.failures = 0;
        self.stats.successes = self.stats.successes.saturating_add(1);
        // From Unknown or Reachable one answer is enough; an unreachable gateway must answer
        // `restore` times in a row, so that a flapping link does not flap the routes.
        if self.state != GwState::Unreachable || self.stats.successes >= self.settings.restore {
            self.set_state(GwState::Reachable, now);
        }
    }

    fn set_state(&mut self, state: GwState, now: Instant) {
        if self.state != state {
            self.state = state;
            self.stats.last_change = now;
        }
    }
}

#[cfg(test)]
mod tests;
