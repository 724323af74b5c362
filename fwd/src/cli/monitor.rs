//! `/interface monitor-traffic ether1,ether2 once`: each interface's traffic rates over the
//! last second, as RouterOS prints them (one column per interface, its values under the
//! property names).

use super::{err, Error, Session};
use crate::ros::{Arg, Command};
use std::fmt::Write as _;

/// An interface's rates over the control core's last one-second sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic {
    pub name: String,
    pub rx_packets: u64,
    pub rx_bits: u64,
    pub rx_drops: u64,
    pub rx_errors: u64,
    pub tx_packets: u64,
    pub tx_bits: u64,
    pub tx_errors: u64,
    /// What the TX queues refused.
    pub tx_queue_drops: u64,
}

impl Traffic {
    /// The properties RouterOS prints, in its order, with their values as it writes them.
    fn lines(&self) -> [(&'static str, String); 9] {
        [
            ("name", self.name.clone()),
            ("rx-packets-per-second", self.rx_packets.to_string()),
            ("rx-bits-per-second", bits(self.rx_bits)),
            ("rx-drops-per-second", self.rx_drops.to_string()),
            ("rx-errors-per-second", self.rx_errors.to_string()),
            ("tx-packets-per-second", self.tx_packets.to_string()),
            ("tx-bits-per-second", bits(self.tx_bits)),
            ("tx-queue-drops-per-second", self.tx_queue_drops.to_string()),
            ("tx-errors-per-second", self.tx_errors.to_string()),
        ]
    }
}

/// A rate in bits per second as RouterOS writes it: "848bps", "2.9kbps", "45.6Mbps".
pub fn bits(bps: u64) -> String {
    let v = bps as f64;
    match bps {
        0..=999 => format!("{bps}bps"),
        1_000..=999_999 => format!("{:.1}kbps", v / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}Mbps", v / 1e6),
        _ => format!("{:.1}Gbps", v / 1e9),
    }
}

impl Session<'_> {
    /// `monitor-traffic INTERFACES once` (or `interface=INTERFACES`): a comma-separated list
    /// of interfaces, each looked up among the daemon's. RouterOS goes on until interrupted
    /// without `once`; a request answers once, so `once` is asked for.
    pub(super) fn monitor_traffic(&mut self, c: &Command) -> Result<(), Error> {
        let mut names = None;
        let mut once = false;
        for a in &c.args {
            match a {
                Arg::Named {
                    name, value: None, ..
                } if name == "once" => once = true,
                Arg::Named {
                    name,
                    value: Some(v),
                    span,
                } if name == "interface" => names = Some(self.text(v, *span)?),
                Arg::Positional { value, span } if names.is_none() => {
                    names = Some(self.text(value, *span)?)
                }
                // A bare word (`ether1`, `ether1,ether2`) parses as a flag.
                Arg::Named {
                    name, value: None, ..
                } if names.is_none() => names = Some(name.clone()),
                Arg::Named { name, span, .. } => {
                    return err(*span, format!("monitor-traffic takes no '{name}'"))
                }
                Arg::Positional { span, .. } | Arg::Where { span, .. } => {
                    return err(*span, "monitor-traffic takes one list of interfaces")
                }
            }
        }
        let names: Vec<&str> = names
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return err(
                c.span,
                "monitor-traffic needs the interfaces (ether1,ether2)",
            );
        }
        if !once {
            return err(
                c.span,
                "monitor-traffic answers a request once: add 'once' (RouterOS would go on until interrupted)",
            );
        }
        let all = self.env.traffic();
        let mut shown = Vec::new();
        for name in names {
            match all.iter().find(|t| t.name == name) {
                Some(t) => shown.push(t.lines()),
                None => return err(c.span, format!("no such interface '{name}'")),
            }
        }
        let Some(first) = shown.first() else {
            return Ok(());
        };
        let keys: Vec<&str> = first.iter().map(|(k, _)| *k).collect();
        let key_width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
        let widths: Vec<usize> = shown
            .iter()
            .map(|l| l.iter().map(|(_, v)| v.len()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (row, key) in keys.iter().enumerate() {
            let _ = write!(out, "{key:>w$}:", w = key_width + 2);
            for (lines, w) in shown.iter().zip(&widths) {
                let _ = write!(out, " {:<w$}", lines[row].1, w = *w);
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
        }
        self.out.output.push_str(&out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::bits;

    #[test]
    fn bit_rates_are_written_as_routeros_does() {
        for (bps, s) in [
            (0, "0bps"),
            (848, "848bps"),
            (2_900, "2.9kbps"),
            (999_949, "999.9kbps"),
            (45_600_000, "45.6Mbps"),
            (10_000_000_000, "10.0Gbps"),
        ] {
            assert_eq!(bits(bps), s);
        }
    }
}
