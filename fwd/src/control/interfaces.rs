//! `/interface print` and `/interface/ethernet print`, their `print stats` and
//! `monitor-traffic`: the ports as RouterOS lists them, and the devices' own traffic
//! counters (`rte_eth_stats_get`, read by the control core when asked, and once a second
//! for the rates).

use super::Control;
use crate::cli::{grouped, ListRow, Listing, Traffic};
use crate::dpdk::{PortId, PortStats};

/// The legend of every interface listing.
const LEGEND: &str = "Flags: X - DISABLED; R - RUNNING";

impl Control {
    /// The ports, as `/interface print` (`generic`: name, type, MTU, MAC) or
    /// `/interface/ethernet print` (name, MTU, MAC, the DPDK device) lists them.
    pub(super) fn interface_listing(&self, generic: bool) -> Listing {
        let columns = if generic {
            vec![
                ("NAME", false),
                ("TYPE", false),
                ("ACTUAL-MTU", true),
                ("MAC-ADDRESS", false),
            ]
        } else {
            vec![
                ("NAME", false),
                ("MTU", true),
                ("MAC-ADDRESS", false),
                ("DEVICE", false),
            ]
        };
        let rows = self
            .ports
            .iter()
            .zip(&self.link_up)
            .enumerate()
            .map(|(i, (p, &running))| {
                let (name, mtu, mac) = (p.name.clone(), p.mtu.to_string(), p.mac.to_string());
                let cells = if generic {
                    vec![name.clone(), "ether".into(), mtu.clone(), mac.clone()]
                } else {
                    vec![name.clone(), mtu.clone(), mac.clone(), p.device.clone()]
                };
                let mut props = vec![
                    ("name", name),
                    (if generic { "actual-mtu" } else { "mtu" }, mtu),
                    ("mac-address", mac),
                    ("running", yes(running)),
                    ("disabled", yes(!p.enabled)),
                ];
                props.push(if generic {
                    ("type", "ether".into())
                } else {
                    ("device", p.device.clone())
                });
                ListRow {
                    flags: flag(p.enabled, running),
                    cells,
                    props,
                    handle: i as u64,
                }
            })
            .collect();
        Listing {
            legend: Some(LEGEND),
            columns,
            rows,
        }
    }

    /// `reset-counters`: `print stats` of these ports (by index) counts from now on. The
    /// devices' own counters go on (the metrics must never go back).
    pub(super) fn reset_counters(&mut self, ports: &[u64]) {
        let now = self.port_counts();
        for &i in ports {
            if let (Some(n), Some(base)) =
                (now.get(i as usize), self.stats_base.get_mut(i as usize))
            {
                *base = *n;
            }
        }
    }

    /// Each port's counters now: the device's, and the packets its TX queues refused (the
    /// workers' and the control core's, as last published).
    pub(super) fn port_counts(&self) -> Vec<PortCounts> {
        let workers: Vec<_> = self.workers.iter().map(|w| w.read()).collect();
        self.ports
            .iter()
            .enumerate()
            .map(|(i, p)| PortCounts {
                dev: PortId(p.dpdk_port).stats(),
                queue_drops: workers
                    .iter()
                    .chain(std::iter::once(&self.counters))
                    .map(|c| c.queue_drops.get(i).copied().unwrap_or(0))
                    .sum(),
            })
            .collect()
    }

    /// Each port's rates over the last second, for `monitor-traffic`. Bits count the
    /// frames as the device does (without the FCS).
    pub(super) fn traffic(&self) -> Vec<Traffic> {
        self.ports
            .iter()
            .zip(&self.traffic.last)
            .map(|(p, c)| (p, &c.dev, c))
            .map(|(p, r, c)| Traffic {
                name: p.name.clone(),
                rx_packets: r.ipackets,
                rx_bits: r.ibytes * 8,
                rx_drops: r.imissed + r.rx_nombuf,
                rx_errors: r.ierrors,
                tx_packets: r.opackets,
                tx_bits: r.obytes * 8,
                tx_errors: r.oerrors,
                tx_queue_drops: c.queue_drops,
            })
            .collect()
    }

    /// `print stats`: each port's device counters since wanfwd started, or since its last
    /// `reset-counters`.
    pub(super) fn interface_stats(&self) -> Listing {
        let rows = self
            .ports
            .iter()
            .zip(&self.link_up)
            .zip(self.port_counts().iter().zip(&self.stats_base))
            .map(|((p, &running), (now, base))| {
                // Counts since the base (a device that restarted its counters counts
                // from 0).
                stats_row(&p.name, p.enabled, running, &now.since(base))
            })
            .collect();
        Listing {
            legend: Some(LEGEND),
            columns: std::iter::once(("NAME", false))
                .chain(STATS.iter().map(|(title, ..)| (*title, true)))
                .collect(),
            rows,
        }
    }
}

/// A port's counters: the device's own, and the packets its TX queues refused (counted by
/// the workers and the control core: the device never saw them).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PortCounts {
    pub dev: PortStats,
    pub queue_drops: u64,
}

impl PortCounts {
    /// The counts since `base`, none negative (a device that restarted its counters counts
    /// from 0).
    pub(crate) fn since(&self, base: &PortCounts) -> PortCounts {
        PortCounts {
            dev: self.dev.zip_with(&base.dev, u64::saturating_sub),
            queue_drops: self.queue_drops.saturating_sub(base.queue_drops),
        }
    }
}

/// A counter of `print stats`: column title, property name, and how to read it.
type Stat = (&'static str, &'static str, fn(&PortCounts) -> u64);

/// The counters `print stats` shows, in RouterOS's order. RouterOS's rx-drop is what the
/// device could not take (its queues full, or no buffer); tx-queue-drop what the TX queues
/// refused (a link saturated: also counted as the `tx-full` drop reason).
const STATS: [Stat; 8] = [
    ("RX-BYTE", "rx-byte", |s| s.dev.ibytes),
    ("TX-BYTE", "tx-byte", |s| s.dev.obytes),
    ("RX-PACKET", "rx-packet", |s| s.dev.ipackets),
    ("TX-PACKET", "tx-packet", |s| s.dev.opackets),
    ("RX-DROP", "rx-drop", |s| s.dev.imissed + s.dev.rx_nombuf),
    ("TX-QUEUE-DROP", "tx-queue-drop", |s| s.queue_drops),
    ("RX-ERROR", "rx-error", |s| s.dev.ierrors),
    ("TX-ERROR", "tx-error", |s| s.dev.oerrors),
];

/// One port's line of `print stats`: numbers grouped by thousands as RouterOS prints them,
/// plain in the properties (`where`, JSON).
pub(crate) fn stats_row(name: &str, enabled: bool, running: bool, s: &PortCounts) -> ListRow {
    let mut cells = vec![name.to_string()];
    let mut props = vec![("name", name.to_string()), ("running", yes(running))];
    for (_, prop, get) in STATS {
        let v = get(s);
        cells.push(grouped(v));
        props.push((prop, v.to_string()));
    }
    ListRow {
        flags: flag(enabled, running),
        cells,
        props,
        handle: 0,
    }
}

/// X for a disabled interface, else R while its link is up.
fn flag(enabled: bool, running: bool) -> String {
    match (enabled, running) {
        (false, _) => "X",
        (true, true) => "R",
        (true, false) => "",
    }
    .to_string()
}

fn yes(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_grouped_by_thousands() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1000, "1 000"),
            (123_456, "123 456"),
            (1_234_567, "1 234 567"),
            (u64::MAX, "18 446 744 073 709 551 615"),
        ] {
            assert_eq!(grouped(n), s);
        }
    }

    #[test]
    fn counts_since_a_base_are_field_by_field_and_never_negative() {
        let now = PortStats {
            ipackets: 10,
            obytes: 500,
            rx_nombuf: 1,
            ..Default::default()
        };
        let base = PortStats {
            ipackets: 4,
            obytes: 600, // the device restarted its counters since
            ..Default::default()
        };
        let d = now.zip_with(&base, u64::saturating_sub);
        assert_eq!(
            (d.ipackets, d.obytes, d.rx_nombuf, d.opackets),
            (6, 0, 1, 0)
        );
    }

    #[test]
    fn a_stats_row_reads_the_device_counters() {
        let s = PortStats {
            ipackets: 1200,
            opackets: 1100,
            ibytes: 72_000,
            obytes: 66_000,
            imissed: 3,
            ierrors: 4,
            oerrors: 5,
            rx_nombuf: 2,
        };
        let s = PortCounts {
            dev: s,
            queue_drops: 1_500,
        };
        let r = stats_row("ether1", true, true, &s);
        assert_eq!(r.flags, "R");
        assert_eq!(
            r.cells,
            ["ether1", "72 000", "66 000", "1 200", "1 100", "5", "1 500", "4", "5"]
        );
        let base = PortCounts {
            dev: PortStats::default(),
            queue_drops: 2_000,
        };
        assert_eq!(s.since(&base).queue_drops, 0, "never negative");
        let prop = |k: &str| r.props.iter().find(|p| p.0 == k).map(|p| p.1.as_str());
        assert_eq!(prop("rx-drop"), Some("5"), "missed + no buffer");
        assert_eq!(prop("rx-byte"), Some("72000"));
        assert_eq!(prop("tx-packet"), Some("1100"));
        assert_eq!(prop("tx-queue-drop"), Some("1500"));
        assert_eq!(prop("running"), Some("true"));
        assert_eq!(stats_row("ether2", false, false, &s).flags, "X");
    }
}
