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
        for &i in ports {
            let i = i as usize;
            if let (Some(p), Some(base)) = (self.ports.get(i), self.stats_base.get_mut(i)) {
                *base = PortId(p.dpdk_port).stats();
            }
        }
    }

    /// Each port's rates over the last second, for `monitor-traffic`. Bits count the
    /// frames as the device does (without the FCS).
    pub(super) fn traffic(&self) -> Vec<Traffic> {
        self.ports
            .iter()
            .zip(&self.traffic.last)
            .map(|(p, r)| Traffic {
                name: p.name.clone(),
                rx_packets: r.ipackets,
                rx_bits: r.ibytes * 8,
                rx_drops: r.imissed + r.rx_nombuf,
                rx_errors: r.ierrors,
                tx_packets: r.opackets,
                tx_bits: r.obytes * 8,
                tx_errors: r.oerrors,
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
            .zip(&self.stats_base)
            .map(|((p, &running), base)| {
                // Counts since the base (a device that restarted its counters counts
                // from 0).
                let s = PortId(p.dpdk_port)
                    .stats()
                    .zip_with(base, u64::saturating_sub);
                stats_row(&p.name, p.enabled, running, &s)
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

/// A counter of `print stats`: column title, property name, and how to read it off the
/// device's counters.
type Stat = (&'static str, &'static str, fn(&PortStats) -> u64);

/// The counters `print stats` shows. RouterOS's rx-drop is what the device could not take
/// (its queues full, or no buffer); what the TX queues refused is counted by the workers as
/// the `tx-full` drop reason.
const STATS: [Stat; 7] = [
    ("RX-BYTE", "rx-byte", |s| s.ibytes),
    ("TX-BYTE", "tx-byte", |s| s.obytes),
    ("RX-PACKET", "rx-packet", |s| s.ipackets),
    ("TX-PACKET", "tx-packet", |s| s.opackets),
    ("RX-DROP", "rx-drop", |s| s.imissed + s.rx_nombuf),
    ("RX-ERROR", "rx-error", |s| s.ierrors),
    ("TX-ERROR", "tx-error", |s| s.oerrors),
];

/// One port's line of `print stats`: numbers grouped by thousands as RouterOS prints them,
/// plain in the properties (`where`, JSON).
pub(crate) fn stats_row(name: &str, enabled: bool, running: bool, s: &PortStats) -> ListRow {
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
        let r = stats_row("ether1", true, true, &s);
        assert_eq!(r.flags, "R");
        assert_eq!(
            r.cells,
            ["ether1", "72 000", "66 000", "1 200", "1 100", "5", "4", "5"]
        );
        let prop = |k: &str| r.props.iter().find(|p| p.0 == k).map(|p| p.1.as_str());
        assert_eq!(prop("rx-drop"), Some("5"), "missed + no buffer");
        assert_eq!(prop("rx-byte"), Some("72000"));
        assert_eq!(prop("tx-packet"), Some("1100"));
        assert_eq!(prop("running"), Some("true"));
        assert_eq!(stats_row("ether2", false, false, &s).flags, "X");
    }
}
