//! The configuration file (`wanfwd --config FILE.yaml`).
//!
//! Top-level keys are wanfwd's own sections (`dpdk`, `api`, `metrics`) and RouterOS menu
//! paths written as RouterOS writes them (`/interface/ethernet`, `/ip/address`, `/ip/route`,
//! `/ip/arp`, `/routing/table`, `/interface/list`, `/interface/list/member`,
//! `/ip/firewall/mangle`, `/ip/firewall/nat`), each a list of items with RouterOS's kebab-case properties,
//! or, for RouterOS's settings menus (`/ip/settings`, `/routing/settings`), one map of
//! properties. Parsing checks
//! everything the router would otherwise trip over later, and every error names the file,
//! line, column and key, so that a bad configuration is refused before anything changes.
//! [`Config::to_yaml`] writes a configuration back in this format (`/export format=yaml`).

mod duration;
mod emit;
mod error;
mod firewall;
mod locate;
mod menus;
mod model;
mod validate;

use std::fmt;
use std::path::Path;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::firewall::{InterfaceListItem, InterfaceListMemberItem, MangleItem, NatItem};

pub use duration::{format_duration, parse_duration};
pub use emit::{changed, under};
pub use error::ConfigError;
pub use model::{
    check_interface_name, mbuf_size_for_mtu, AddressItem, ApiSection, ArpItem, CheckGateway,
    DpdkSection, EcmpHashPolicy, EthernetItem, Gateway, IpSettings, MetricsSection, RouteItem,
    RoutingSettings, RoutingTableItem, Workers, MBUF_DEFAULT_SIZE, MBUF_HEADROOM, MBUF_MIN_SIZE,
};

pub const ETHERNET: &str = "/interface/ethernet";
pub const IP_ADDRESS: &str = "/ip/address";
pub const IP_ROUTE: &str = "/ip/route";
pub const IP_ARP: &str = "/ip/arp";
pub const IP_SETTINGS: &str = "/ip/settings";
pub const ROUTING_TABLE: &str = "/routing/table";
pub const ROUTING_SETTINGS: &str = "/routing/settings";
pub use crate::conntrack::TRACKING;
pub use crate::firewall::{INTERFACE_LIST, INTERFACE_LIST_MEMBER, MANGLE, NAT};
pub use crate::netwatch::NETWATCH;

/// The routing table every router has, which routes use when they name none.
pub const MAIN_TABLE: &str = "main";

/// The top-level keys the file may have, in the order they are documented.
pub const SECTIONS: [&str; 16] = [
    "dpdk",
    "api",
    "metrics",
    ETHERNET,
    INTERFACE_LIST,
    INTERFACE_LIST_MEMBER,
    IP_ADDRESS,
    IP_ROUTE,
    IP_ARP,
    IP_SETTINGS,
    ROUTING_TABLE,
    ROUTING_SETTINGS,
    MANGLE,
    NAT,
    TRACKING,
    NETWATCH,
];

/// A whole configuration, checked: values are in range and references resolve.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub dpdk: DpdkSection,
    pub api: ApiSection,
    pub metrics: MetricsSection,
    pub interfaces: Vec<EthernetItem>,
    pub addresses: Vec<AddressItem>,
    pub routes: Vec<RouteItem>,
    pub arp: Vec<ArpItem>,
    pub ip_settings: IpSettings,
    /// The tables besides `main`.
    pub routing_tables: Vec<RoutingTableItem>,
    pub routing_settings: RoutingSettings,
    pub interface_lists: Vec<InterfaceListItem>,
    pub interface_list_members: Vec<InterfaceListMemberItem>,
    pub mangle: Vec<MangleItem>,
    pub nat: Vec<NatItem>,
    /// `/ip/firewall/connection/tracking`.
    pub tracking: crate::conntrack::TrackingSettings,
    /// `/tool/netwatch`.
    pub netwatch: Vec<crate::netwatch::NetwatchItem>,
}

impl Config {
    /// Parses and checks `text`; `source_name` (usually the file name) prefixes errors.
    pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Config, ConfigError> {
        // A first pass over the bare YAML separates syntax errors, which we label as such,
        // from errors in the configuration's content.
        serde_yaml::from_str::<IgnoredAny>(text)
            .map_err(|e| yaml_error(&e, source_name, "invalid YAML: "))?;
        let Document(cfg) =
            serde_yaml::from_str(text).map_err(|e| yaml_error(&e, source_name, ""))?;
        validate::validate(&cfg).map_err(|p| {
            let pos = locate::locate(text, p.section, Some(p.index), Some(p.property));
            ConfigError::new(
                source_name,
                pos.map(|p| p.line),
                pos.map(|p| p.column),
                format!("{}[{}].{}", p.section, p.index, p.property),
                p.message,
            )
        })?;
        Ok(cfg)
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                &name,
                None,
                None,
                "",
                format!("cannot read the configuration: {e}"),
            )
        })?;
        Config::from_yaml_str(&text, &name)
    }

    /// The `/interface/ethernet` item called `name`.
    pub fn interface(&self, name: &str) -> Option<&EthernetItem> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The `/routing/table` item called `name` (`None` for `main`, which has no item).
    pub fn routing_table(&self, name: &str) -> Option<&RoutingTableItem> {
        self.routing_tables.iter().find(|t| t.name == name)
    }
}

/// Turns a yaml_serde error into ours, taking its position out of the message text and its
/// key path out of the message prefix, and rewording serde's struct vocabulary ("field") in
/// RouterOS's ("property").
fn yaml_error(err: &serde_yaml::Error, source_name: &str, prefix: &str) -> ConfigError {
    let location = err.location().map(|l| (l.line(), l.column()));
    let text = err.to_string();
    let (path, message) = split_path(&text);
    let mut message = message.to_string();
    if let Some((line, column)) = location {
        let at = format!(" at line {line} column {column}");
        message = match message.strip_suffix(&at) {
            Some(m) => m.to_string(),
            // Syntax errors carry a context after the position.
            None => message.replacen(&at, "", 1),
        };
    }
    let (path, message) = reword(path, &message);
    ConfigError::new(
        source_name,
        location.map(|l| l.0),
        location.map(|l| l.1),
        path,
        format!("{prefix}{message}"),
    )
}

/// Splits yaml_serde's `PATH: message` text. The path is recognised by its grammar (a known
/// section, then `[N]` and `.property` parts) rather than by the first colon, since messages
/// and values contain colons too.
fn split_path(text: &str) -> (&str, &str) {
    for section in SECTIONS {
        let Some(rest) = text.strip_prefix(section) else {
            continue;
        };
        let bytes = rest.as_bytes();
        let mut i = 0;
        loop {
            if rest[i..].starts_with(": ") {
                let end = section.len() + i;
                return (&text[..end], &text[end + 2..]);
            }
            match bytes.get(i) {
                Some(b'[') => {
                    let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
                    if digits == 0 || bytes.get(i + 1 + digits) != Some(&b']') {
                        break;
                    }
                    i += digits + 2;
                }
                Some(b'.') => {
                    let name = rest[i + 1..]
                        .bytes()
                        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
                        .count();
                    if name == 0 {
                        break;
                    }
                    i += name + 1;
                }
                _ => break,
            }
        }
    }
    ("", text)
}

fn reword(path: &str, message: &str) -> (String, String) {
    let quoted = |rest: &str| -> Option<(String, String)> {
        let (name, tail) = rest.split_once('`')?;
        Some((name.to_string(), tail.replace('`', "'")))
    };
    let extend = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some((name, tail)) = message.strip_prefix("unknown field `").and_then(quoted) {
        let tail = tail.trim_start_matches(", ");
        return (extend(&name), format!("unknown property '{name}' ({tail})"));
    }
    if let Some((name, _)) = message.strip_prefix("missing field `").and_then(quoted) {
        return (
            path.to_string(),
            format!("missing required property '{name}'"),
        );
    }
    if let Some((name, _)) = message.strip_prefix("duplicate field `").and_then(quoted) {
        return (extend(&name), format!("property '{name}' is given twice"));
    }
    // serde's derive names the Rust type an item failed to be; the operator wrote a map.
    let message = match message.split_once(", expected struct ") {
        Some((head, _)) => format!("{head}, expected a map of properties"),
        None => message.to_string(),
    };
    (path.to_string(), message.replace('`', "'"))
}

/// The file as a whole. Sections are dispatched by hand rather than by a derived struct so
/// that an unknown or repeated section gets a message of its own, placed on its key.
struct Document(Config);

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a map of sections ({})", SECTIONS.join(", "))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
        let mut cfg = Config::default();
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(section) = map.next_key_seed(SectionKey { seen: &seen })? {
            seen.push(section);
            // An empty section (`dpdk:` alone) means its defaults, or no items.
            match section {
                "dpdk" => cfg.dpdk = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "api" => cfg.api = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "metrics" => cfg.metrics = map.next_value::<Option<_>>()?.unwrap_or_default(),
                ETHERNET => cfg.interfaces = map.next_value::<Option<_>>()?.unwrap_or_default(),
                IP_ADDRESS => cfg.addresses = map.next_value::<Option<_>>()?.unwrap_or_default(),
                IP_ROUTE => cfg.routes = map.next_value::<Option<_>>()?.unwrap_or_default(),
                IP_ARP => cfg.arp = map.next_value::<Option<_>>()?.unwrap_or_default(),
                IP_SETTINGS => cfg.ip_settings = map.next_value::<Option<_>>()?.unwrap_or_default(),
                ROUTING_TABLE => {
                    cfg.routing_tables = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                ROUTING_SETTINGS => {
                    cfg.routing_settings = map.next_value::<Option<_>>()?.unwrap_or_default()
                }
                INTERFACE_LIST => cfg.interface_lists = firewall::items(&mut map)?,
                INTERFACE_LIST_MEMBER => cfg.interface_list_members = firewall::items(&mut map)?,
                MANGLE => cfg.mangle = firewall::items(&mut map)?,
                NAT => cfg.nat = firewall::items(&mut map)?,
                TRACKING => cfg.tracking = firewall::item(&mut map)?,
                NETWATCH => cfg.netwatch = firewall::items(&mut map)?,
                _ => unreachable!("SectionKey only yields names from SECTIONS"),
            }
        }
        Ok(Document(cfg))
    }
}

/// A top-level key, checked inside the deserializer so the error carries the key's position.
struct SectionKey<'a> {
    seen: &'a [&'static str],
}

impl<'de> DeserializeSeed<'de> for SectionKey<'_> {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for SectionKey<'_> {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a section name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let Some(section) = SECTIONS.iter().copied().find(|s| *s == key) else {
            return Err(E::custom(unknown_section(key)));
        };
        if self.seen.contains(&section) {
            // YAML maps would silently keep the last one, dropping the first list.
            return Err(E::custom(format!(
                "section '{section}' appears twice; put all its items in one list"
            )));
        }
        Ok(section)
    }
}

fn unknown_section(key: &str) -> String {
    let supported = SECTIONS.join(", ");
    // Near misses: the older `/ip route` spelling, a missing leading slash, or the nested
    // `ip: { route: ... }` form.
    let normalized = format!("/{}", key.trim().trim_start_matches('/').replace(' ', "/"));
    let hint = if SECTIONS.contains(&normalized.as_str()) {
        format!("; did you mean '{normalized}'?")
    } else if let Some(s) = SECTIONS
        .iter()
        .find(|s| s.starts_with(&format!("{normalized}/")))
    {
        format!("; write the menu path as one key, e.g. '{s}'")
    } else {
        String::new()
    };
    format!("unknown section '{key}' (supported: {supported}){hint}")
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_emit;
#[cfg(test)]
mod tests_firewall;
#[cfg(test)]
mod tests_fuzz;
