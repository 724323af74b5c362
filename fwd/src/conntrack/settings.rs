//! `/ip/firewall/connection/tracking`: the timeouts, and how many connections each worker
//! holds (`max-entries`, which RouterOS only shows; wanfwd sizes its tables by it).

use super::Timeouts;
use crate::config::{format_duration, parse_duration};
use crate::firewall::Item;

/// The menu's path.
pub const TRACKING: &str = "/ip/firewall/connection/tracking";

/// Connections per worker unless configured: a million, as the design asks.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;

/// The settings of connection tracking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackingSettings {
    pub timeouts: Timeouts,
    /// Per worker; the table is allocated whole at start.
    pub max_entries: usize,
}

impl Default for TrackingSettings {
    fn default() -> Self {
        TrackingSettings {
            timeouts: Timeouts::default(),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

impl Item for TrackingSettings {
    const MENU: &'static str = TRACKING;

    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "max-entries" => {
                self.max_entries = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=super::MAX_CAPACITY).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "max-entries must be a number from 1 to {} (per worker), not '{value}'",
                            super::MAX_CAPACITY
                        )
                    })?;
                Ok(())
            }
            // RouterOS's switch; tracking here follows the rules (auto) and cannot be forced.
            "enabled" => match value {
                "auto" => Ok(()),
                _ => Err(format!(
                    "enabled: only 'auto' is supported (tracking runs while mangle or NAT rules exist), not '{value}'"
                )),
            },
            _ if Timeouts::has(property) => {
                let d = parse_duration(value).map_err(|e| format!("{property}: {e}"))?;
                self.timeouts.set(property, d)
            }
            _ => Err(format!(
                "unknown property '{property}' for {TRACKING} (known: enabled, max-entries, {})",
                Timeouts::NAMES.join(", ")
            )),
        }
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("enabled", "auto".to_string())];
        v.extend(
            self.timeouts
                .properties()
                .into_iter()
                .map(|(k, d)| (k, format_duration(d))),
        );
        v.push(("max-entries", self.max_entries.to_string()));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conntrack::MAX_CAPACITY;

    /// What the configuration accepts, a table can be made of: one more than the largest
    /// capacity is refused with the range, not left to fail when the workers start.
    #[test]
    fn max_entries_accepts_what_a_table_can_hold() {
        let mut s = TrackingSettings::default();
        s.set("max-entries", &MAX_CAPACITY.to_string()).unwrap();
        assert_eq!(s.max_entries, MAX_CAPACITY);
        for bad in [
            (MAX_CAPACITY + 1).to_string(),
            "0".into(),
            "-1".into(),
            "1e6".into(),
        ] {
            let e = s.set("max-entries", &bad).unwrap_err();
            assert!(
                e.contains(&format!("from 1 to {MAX_CAPACITY}")),
                "{bad}: {e}"
            );
        }
        assert_eq!(
            s.max_entries, MAX_CAPACITY,
            "a refused value changes nothing"
        );
    }
}
