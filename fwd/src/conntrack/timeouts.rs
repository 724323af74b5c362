//! Connection-tracking timeouts, as RouterOS's `/ip/firewall/connection/tracking`.

use std::time::Duration;

/// How long an idle connection lives, per protocol and TCP state. The defaults are RouterOS's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub tcp_syn_sent: Duration,
    pub tcp_syn_received: Duration,
    pub tcp_established: Duration,
    pub tcp_fin_wait: Duration,
    pub tcp_close_wait: Duration,
    pub tcp_last_ack: Duration,
    pub tcp_time_wait: Duration,
    pub tcp_close: Duration,
    /// UDP until the connection has seen traffic both ways and then more.
    pub udp: Duration,
    /// UDP once the connection is a stream (assured).
    pub udp_stream: Duration,
    pub icmp: Duration,
    /// Any other protocol.
    pub generic: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        let s = Duration::from_secs;
        Timeouts {
            tcp_syn_sent: s(5),
            tcp_syn_received: s(5),
            tcp_established: s(24 * 3600),
            tcp_fin_wait: s(10),
            tcp_close_wait: s(10),
            tcp_last_ack: s(10),
            tcp_time_wait: s(10),
            tcp_close: s(10),
            udp: s(30),
            udp_stream: s(180),
            icmp: s(10),
            generic: s(600),
        }
    }
}

/// The property names, in RouterOS's print order.
const NAMES: [&str; 12] = [
    "tcp-syn-sent-timeout",
    "tcp-syn-received-timeout",
    "tcp-established-timeout",
    "tcp-fin-wait-timeout",
    "tcp-close-wait-timeout",
    "tcp-last-ack-timeout",
    "tcp-time-wait-timeout",
    "tcp-close-timeout",
    "udp-timeout",
    "udp-stream-timeout",
    "icmp-timeout",
    "generic-timeout",
];

impl Timeouts {
    /// The property names, in RouterOS's print order.
    pub const NAMES: [&'static str; 12] = NAMES;

    /// Whether `property` is one of the timeouts.
    pub fn has(property: &str) -> bool {
        NAMES.contains(&property)
    }

    fn field_mut(&mut self, index: usize) -> &mut Duration {
        match index {
            0 => &mut self.tcp_syn_sent,
            1 => &mut self.tcp_syn_received,
            2 => &mut self.tcp_established,
            3 => &mut self.tcp_fin_wait,
            4 => &mut self.tcp_close_wait,
            5 => &mut self.tcp_last_ack,
            6 => &mut self.tcp_time_wait,
            7 => &mut self.tcp_close,
            8 => &mut self.udp,
            9 => &mut self.udp_stream,
            10 => &mut self.icmp,
            _ => &mut self.generic,
        }
    }

    fn fields(&self) -> [Duration; 12] {
        [
            self.tcp_syn_sent,
            self.tcp_syn_received,
            self.tcp_established,
            self.tcp_fin_wait,
            self.tcp_close_wait,
            self.tcp_last_ack,
            self.tcp_time_wait,
            self.tcp_close,
            self.udp,
            self.udp_stream,
            self.icmp,
            self.generic,
        ]
    }

    /// Sets one timeout by its RouterOS property name (`tcp-established-timeout`,
    /// `udp-timeout`...). An unknown name is an error that names it, and changes nothing.
    pub fn set(&mut self, property: &str, value: Duration) -> Result<(), String> {
        match NAMES.iter().position(|n| *n == property) {
            Some(i) => {
                *self.field_mut(i) = value;
                Ok(())
            }
            None => Err(format!(
                "unknown connection tracking property '{property}' (expected one of: {})",
                NAMES.join(", ")
            )),
        }
    }

    /// Every timeout with its property name, in RouterOS's order (for print and export).
    pub fn properties(&self) -> Vec<(&'static str, Duration)> {
        NAMES.iter().copied().zip(self.fields()).collect()
    }

    /// The timeouts in milliseconds, as the packet path uses them.
    pub(crate) fn ms(&self) -> TimeoutsMs {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2);
        TimeoutsMs {
            tcp_syn_sent: ms(self.tcp_syn_sent),
            tcp_syn_received: ms(self.tcp_syn_received),
            tcp_established: ms(self.tcp_established),
            tcp_fin_wait: ms(self.tcp_fin_wait),
            tcp_close_wait: ms(self.tcp_close_wait),
            tcp_last_ack: ms(self.tcp_last_ack),
            tcp_time_wait: ms(self.tcp_time_wait),
            tcp_close: ms(self.tcp_close),
            udp: ms(self.udp),
            udp_stream: ms(self.udp_stream),
            icmp: ms(self.icmp),
            generic: ms(self.generic),
        }
    }
}

/// [`Timeouts`] in milliseconds (capped so that `now + timeout` cannot overflow).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimeoutsMs {
    pub tcp_syn_sent: u64,
    pub tcp_syn_received: u64,
    pub tcp_established: u64,
    pub tcp_fin_wait: u64,
    pub tcp_close_wait: u64,
    pub tcp_last_ack: u64,
    pub tcp_time_wait: u64,
    pub tcp_close: u64,
    pub udp: u64,
    pub udp_stream: u64,
    pub icmp: u64,
    pub generic: u64,
}
