//! The configuration written back as YAML, in the format [`Config::from_yaml_str`] reads:
//! what `/export format=yaml` (and so `wanctl export`) prints, so that an operator can save
//! the running configuration and start wanfwd with it.
//!
//! wanfwd's own sections (`dpdk`, `api`, `metrics`) are always written, in full; a menu is
//! written when it has items (a settings menu when it differs from its defaults), and an item
//! only with the properties that differ from their defaults, as RouterOS exports. The typed
//! sections serialize through their derives (see `model.rs`); the menus built on
//! [`Item`] write the properties their `properties` gives, which their YAML reader feeds
//! back to `Item::set`.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{
    Config, ETHERNET, INTERFACE_LIST, INTERFACE_LIST_MEMBER, IP_ADDRESS, IP_ARP, IP_ROUTE,
    IP_SETTINGS, MANGLE, NAT, NETWATCH, ROUTING_SETTINGS, ROUTING_TABLE, TRACKING,
};
use crate::firewall::Item;

impl Config {
    /// The configuration as YAML that [`Config::from_yaml_str`] reads back to an equal
    /// `Config`. `menu` keeps only the menus under it (`/ip` keeps `/ip/route`,
    /// `/ip/firewall/mangle`...) and then leaves out wanfwd's own sections; `/` keeps all.
    pub fn to_yaml(&self, menu: &str) -> Result<String, String> {
        serde_yaml::to_string(&Sections { cfg: self, menu })
            .map_err(|e| format!("cannot write the configuration as YAML: {e}"))
    }
}

/// Whether `path` is `menu` or lies under it.
pub fn under(path: &str, menu: &str) -> bool {
    menu == "/"
        || path == menu
        || path
            .strip_prefix(menu)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The properties of a singleton menu that differ from its defaults.
pub fn changed<T: Item>(it: &T) -> Vec<(&'static str, String)> {
    let defaults = T::default().properties();
    it.properties()
        .into_iter()
        .filter(|p| !defaults.contains(p))
        .collect()
}

struct Sections<'a> {
    cfg: &'a Config,
    menu: &'a str,
}

impl Serialize for Sections<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.cfg;
        let mut map = s.serialize_map(None)?;
        if self.menu == "/" {
            map.serialize_entry("dpdk", &c.dpdk)?;
            map.serialize_entry("api", &c.api)?;
            map.serialize_entry("metrics", &c.metrics)?;
        }
        // The order of `SECTIONS`, the order the file format is documented in.
        let keep = |path: &str| under(path, self.menu);
        macro_rules! list {
            ($path:expr, $v:expr) => {
                if keep($path) && !$v.is_empty() {
                    map.serialize_entry($path, $v)?;
                }
            };
        }
        macro_rules! items {
            ($path:expr, $v:expr) => {
                if keep($path) && !$v.is_empty() {
                    map.serialize_entry($path, &ItemList($v))?;
                }
            };
        }
        list!(ETHERNET, &c.interfaces);
        items!(INTERFACE_LIST, &c.interface_lists);
        items!(INTERFACE_LIST_MEMBER, &c.interface_list_members);
        list!(IP_ADDRESS, &c.addresses);
        list!(IP_ROUTE, &c.routes);
        list!(IP_ARP, &c.arp);
        if keep(IP_SETTINGS) && c.ip_settings != Default::default() {
            map.serialize_entry(IP_SETTINGS, &c.ip_settings)?;
        }
        list!(ROUTING_TABLE, &c.routing_tables);
        if keep(ROUTING_SETTINGS) && c.routing_settings != Default::default() {
            map.serialize_entry(ROUTING_SETTINGS, &c.routing_settings)?;
        }
        items!(MANGLE, &c.mangle);
        items!(NAT, &c.nat);
        let tracking = changed(&c.tracking);
        if keep(TRACKING) && !tracking.is_empty() {
            map.serialize_entry(TRACKING, &Properties(&tracking))?;
        }
        items!(NETWATCH, &c.netwatch);
        map.end()
    }
}

/// Items of a menu built on [`Item`], each a map of its properties.
struct ItemList<'a, T>(&'a [T]);

impl<T: Item> Serialize for ItemList<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for it in self.0 {
            seq.serialize_element(&Properties(&it.properties()))?;
        }
        seq.end()
    }
}

/// RouterOS properties as a YAML map. The reader hands every scalar to `Item::set` as text,
/// so a number written as a YAML number reads back the same; other values are strings.
struct Properties<'a>(&'a [(&'static str, String)]);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            // Only a number that prints back as written (no sign, no leading zero).
            match v.parse::<u64>() {
                Ok(n) if n.to_string() == *v => map.serialize_entry(k, &n)?,
                _ => map.serialize_entry(k, v)?,
            }
        }
        map.end()
    }
}

/// Serializers for the value syntaxes, used through `#[serde(serialize_with)]`; each writes
/// what the matching deserializer in `model.rs` reads.
pub(super) mod ser {
    use std::fmt::Display;
    use std::time::Duration;

    use serde::Serializer;

    use super::super::{format_duration, Gateway};

    pub fn display<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn opt_display<T: Display, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// RouterOS's spelling of a flag.
    pub fn yes_no<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "yes" } else { "no" })
    }

    pub fn duration<S: Serializer>(v: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*v))
    }

    /// `gateway: "a,b"`, as RouterOS writes the list.
    pub fn gateways<S: Serializer>(v: &[Gateway], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Gateway::format_list(v))
    }

    pub fn is_false(v: &bool) -> bool {
        !*v
    }

    pub fn is_default<T: Default + PartialEq>(v: &T) -> bool {
        *v == T::default()
    }
}
