//! `/ip/address`, `/ip/settings` and `/routing/settings` as command-language items: each
//! property is read by the same deserializer as the YAML configuration, so a value the file
//! refuses is refused by `wanctl` too, with the same message.

use std::net::Ipv4Addr;

use serde::de::value::{Error as ValueError, StrDeserializer};

use super::model::de;
use super::{AddressItem, IpSettings, RoutingSettings, IP_ADDRESS, IP_SETTINGS, ROUTING_SETTINGS};
use crate::config::format_duration;
use crate::firewall::Item;
use crate::net::Ipv4Interface;

/// Reads `value` with one of the configuration's deserializers.
fn read<'a, T>(
    property: &str,
    value: &'a str,
    f: impl FnOnce(StrDeserializer<'a, ValueError>) -> Result<T, ValueError>,
) -> Result<T, String> {
    f(StrDeserializer::new(value)).map_err(|e| {
        let m = e.to_string();
        if m.contains(property) {
            m
        } else {
            format!("invalid {property} '{value}': {m}")
        }
    })
}

fn unknown(property: &str, menu: &str, known: &[&str]) -> String {
    format!(
        "unknown property '{property}' for {menu} (known: {})",
        known.join(", ")
    )
}

/// An address not yet given (`add` without `address=`): refused by `add`.
const NO_ADDRESS: Ipv4Interface = Ipv4Interface {
    addr: Ipv4Addr::UNSPECIFIED,
    len: 0,
};

impl Default for AddressItem {
    fn default() -> Self {
        AddressItem {
            address: NO_ADDRESS,
            network: None,
            interface: String::new(),
            comment: None,
            disabled: false,
        }
    }
}

impl AddressItem {
    /// Whether `address=` was given.
    pub fn has_address(&self) -> bool {
        self.address != NO_ADDRESS
    }

    /// The network RouterOS shows: the one given, else the address's own.
    pub fn network_shown(&self) -> Ipv4Addr {
        self.network.unwrap_or(self.address.prefix().network())
    }
}

impl Item for AddressItem {
    const MENU: &'static str = IP_ADDRESS;

    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "address" => {
                let a: Ipv4Interface = read(property, value, de::parsed)?;
                let ip = a.addr;
                if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || ip.is_loopback()
                {
                    return Err(format!(
                        "invalid address '{value}': {ip} cannot be an interface's address"
                    ));
                }
                self.address = a;
                // RouterOS derives the network again from a new address.
                self.network = None;
            }
            "network" => {
                let n = read(property, value, de::ipv4)?;
                // Given equal to the address's own network, it is the default.
                self.network =
                    (!self.has_address() || n != self.address.prefix().network()).then_some(n);
            }
            "interface" => {
                if value.is_empty() {
                    return Err("invalid interface '': an interface name is required".into());
                }
                self.interface = value.to_string();
            }
            "comment" => self.comment = (!value.is_empty()).then(|| value.to_string()),
            "disabled" => self.disabled = read(property, value, de::yes_no)?,
            _ => {
                return Err(unknown(
                    property,
                    Self::MENU,
                    &["address", "network", "interface", "comment", "disabled"],
                ))
            }
        }
        Ok(())
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.has_address() {
            out.push(("address", self.address.to_string()));
            out.push(("network", self.network_shown().to_string()));
        } else if let Some(n) = self.network {
            out.push(("network", n.to_string()));
        }
        if !self.interface.is_empty() {
            out.push(("interface", self.interface.clone()));
        }
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", "yes".into()));
        }
        out
    }
}

impl Item for IpSettings {
    const MENU: &'static str = IP_SETTINGS;

    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "ecmp-hash-policy" => self.ecmp_hash_policy = value.parse()?,
            _ => return Err(unknown(property, Self::MENU, &["ecmp-hash-policy"])),
        }
        Ok(())
    }

    /// A settings menu prints every property.
    fn properties(&self) -> Vec<(&'static str, String)> {
        vec![("ecmp-hash-policy", self.ecmp_hash_policy.to_string())]
    }
}

impl Item for RoutingSettings {
    const MENU: &'static str = ROUTING_SETTINGS;

    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "check-gateway-ping-interval" => {
                self.ping_interval = read(property, value, de::ping_interval)?
            }
            "check-gateway-ping-timeout" => {
                self.ping_timeout = read(property, value, de::ping_timeout)?
            }
            "check-gateway-ping-count" => self.ping_count = read(property, value, de::ping_count)?,
            "check-gateway-restore-count" => {
                self.restore_count = read(property, value, de::restore_count)?
            }
            _ => {
                return Err(unknown(
                    property,
                    Self::MENU,
                    &[
                        "check-gateway-ping-interval",
                        "check-gateway-ping-timeout",
                        "check-gateway-ping-count",
                        "check-gateway-restore-count",
                    ],
                ))
            }
        }
        Ok(())
    }

    /// A settings menu prints every property.
    fn properties(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "check-gateway-ping-interval",
                format_duration(self.ping_interval),
            ),
            (
                "check-gateway-ping-timeout",
                format_duration(self.ping_timeout),
            ),
            ("check-gateway-ping-count", self.ping_count.to_string()),
            (
                "check-gateway-restore-count",
                self.restore_count.to_string(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_address_reads_and_prints_as_routeros_writes_it() {
        let mut a = AddressItem::default();
        assert!(!a.has_address());
        a.set("address", "192.168.1.1/24").unwrap();
        a.set("interface", "bridge").unwrap();
        assert_eq!(
            a.properties(),
            vec![
                ("address", "192.168.1.1/24".to_string()),
                ("network", "192.168.1.0".to_string()),
                ("interface", "bridge".to_string()),
            ]
        );
        // The network of the address itself is no change.
        a.set("network", "192.168.1.0").unwrap();
        assert_eq!(a.network, None);
        a.set("network", "192.168.0.0").unwrap();
        assert_eq!(a.network, Some(Ipv4Addr::new(192, 168, 0, 0)));
        // A new address derives its network again.
        a.set("address", "10.0.0.1/8").unwrap();
        assert_eq!(a.network_shown(), Ipv4Addr::new(10, 0, 0, 0));
    }

    #[test]
    fn bad_addresses_are_refused_with_the_property() {
        let mut a = AddressItem::default();
        for bad in [
            "10.0.0.1/33",
            "10.0.0/8",
            "x",
            "0.0.0.0/0",
            "224.0.0.1/4",
            "127.0.0.1/8",
        ] {
            let e = a.set("address", bad).unwrap_err();
            assert!(e.contains("address"), "{bad}: {e}");
        }
        assert!(a.set("disabled", "maybe").is_err());
        assert!(a
            .set("broadcast", "1.2.3.4")
            .unwrap_err()
            .contains("unknown property"));
        assert_eq!(a, AddressItem::default());
    }

    #[test]
    fn settings_take_the_configurations_values_and_ranges() {
        let mut ip = IpSettings::default();
        ip.set("ecmp-hash-policy", "l4").unwrap();
        assert_eq!(
            ip.properties(),
            vec![("ecmp-hash-policy", "l4".to_string())]
        );
        assert!(ip.set("ecmp-hash-policy", "l7").is_err());
        assert!(ip
            .set("rp-filter", "strict")
            .unwrap_err()
            .contains("unknown property"));

        let mut rs = RoutingSettings::default();
        rs.set("check-gateway-ping-interval", "5s").unwrap();
        rs.set("check-gateway-ping-count", "5").unwrap();
        assert_eq!(rs.ping_interval, Duration::from_secs(5));
        assert_eq!(rs.ping_count, 5);
        let e = rs.set("check-gateway-ping-timeout", "2s").unwrap_err();
        assert!(e.contains("check-gateway-ping-timeout"), "{e}");
        assert!(rs.set("check-gateway-ping-count", "0").is_err());
        assert!(rs.set("check-gateway-restore-count", "many").is_err());
        assert_eq!(rs.ping_timeout, Duration::from_secs(1));
    }
}
