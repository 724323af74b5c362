//! The configuration data model: wanfwd's own sections and the RouterOS menu items, with the
//! value syntax RouterOS uses for each property.
//!
//! Every value type is deserialized from inside a serde visitor (never parsed after the fact),
//! so that yaml_serde attaches the position and path of the offending scalar to the error.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::emit::ser;

use super::duration::{format_duration, parse_duration};
use crate::net::{Ipv4Interface, Ipv4Prefix, MacAddr};

/// `dpdk:` — how the EAL and the workers are set up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct DpdkSection {
    /// Extra EAL arguments, appended to the ones wanfwd computes.
    pub eal_args: Vec<String>,
    pub workers: Workers,
    /// Mbuf pool size; `None` lets the router size it from ports, queues and workers.
    #[serde(
        deserialize_with = "de::mbufs",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbufs: Option<u32>,
    /// Bytes of data room per mbuf, DPDK's headroom ([`MBUF_HEADROOM`]) included, as
    /// `dpdk-testpmd --mbuf-size` counts it; `None` sizes it for the largest MTU (at least
    /// DPDK's default of 2176). Every enabled interface's frames must fit in one mbuf.
    #[serde(
        deserialize_with = "de::mbuf_size",
        skip_serializing_if = "Option::is_none"
    )]
    pub mbuf_size: Option<u16>,
}

impl Default for DpdkSection {
    fn default() -> Self {
        DpdkSection {
            eal_args: Vec::new(),
            workers: Workers::Count(1),
            mbufs: None,
            mbuf_size: None,
        }
    }
}

/// DPDK's `RTE_PKTMBUF_HEADROOM`: the bytes an mbuf keeps in front of the frame (checked
/// against the bindings in `dpdk`).
pub const MBUF_HEADROOM: u16 = 128;
/// DPDK's `RTE_MBUF_DEFAULT_BUF_SIZE`: 2048 bytes of frame after the headroom.
pub const MBUF_DEFAULT_SIZE: u16 = 2048 + MBUF_HEADROOM;
/// The smallest `mbuf-size`: the headroom and a minimum-MTU frame, rounded up.
pub const MBUF_MIN_SIZE: u16 = 256;

/// The mbuf data room a frame of `mtu` bytes of IP needs: headroom and Ethernet header too.
pub fn mbuf_size_for_mtu(mtu: u16) -> u32 {
    u32::from(MBUF_HEADROOM) + crate::packet::ether::HEADER_LEN as u32 + u32::from(mtu)
}

impl DpdkSection {
    /// The mbuf data room to use: `mbuf-size`, or enough for the largest of `mtus` and at
    /// least DPDK's default.
    pub fn mbuf_size(&self, mtus: impl Iterator<Item = u16>) -> u16 {
        self.mbuf_size.unwrap_or_else(|| {
            let need = mtus.map(mbuf_size_for_mtu).max().unwrap_or(0);
            // The largest MTU (9000) needs 9142: always a u16.
            need.max(u32::from(MBUF_DEFAULT_SIZE)) as u16
        })
    }
}

/// Which worker lcores to run: a number (the router picks the cores) or explicit core ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Workers {
    Count(usize),
    Cores(Vec<usize>),
}

impl Workers {
    /// How many workers this asks for.
    pub fn count(&self) -> usize {
        match self {
            Workers::Count(n) => *n,
            Workers::Cores(c) => c.len(),
        }
    }
}

/// `api:` — the Unix socket `wanctl` talks to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ApiSection {
    #[serde(deserialize_with = "de::socket_path")]
    pub socket: PathBuf,
    /// A group whose members may open the socket besides root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            socket: PathBuf::from("/run/wanfwd/api.sock"),
            group: None,
        }
    }
}

/// `metrics:` — the Prometheus endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct MetricsSection {
    #[serde(deserialize_with = "de::socket_addr", serialize_with = "ser::display")]
    pub listen: SocketAddr,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            listen: SocketAddr::from(([127, 0, 0, 1], 9417)),
        }
    }
}

/// An `/interface/ethernet` item: a named interface bound to a DPDK device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EthernetItem {
    #[serde(deserialize_with = "de::interface_name")]
    pub name: String,
    /// A PCI address (`0000:03:00.0`) or a DPDK vdev string (`net_af_packet0,iface=veth0`).
    #[serde(deserialize_with = "de::device")]
    pub device: String,
    #[serde(
        default = "default_mtu",
        deserialize_with = "de::mtu",
        skip_serializing_if = "is_default_mtu"
    )]
    pub mtu: u16,
    /// Overrides the device's own address.
    #[serde(
        default,
        deserialize_with = "de::unicast_mac",
        serialize_with = "ser::opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub mac_address: Option<MacAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::yes_no",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub disabled: bool,
}

fn default_mtu() -> u16 {
    1500
}
fn is_default_mtu(v: &u16) -> bool {
    *v == default_mtu()
}

/// An `/ip/address` item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AddressItem {
    #[serde(deserialize_with = "de::parsed", serialize_with = "ser::display")]
    pub address: Ipv4Interface,
    /// RouterOS lets the network differ from the address's own prefix (point-to-point links).
    #[serde(
        default,
        deserialize_with = "de::opt_ipv4",
        serialize_with = "ser::opt_display",
        skip_serializing_if = "Option::is_none"
    )]
    pub network: Option<Ipv4Addr>,
    pub interface: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::yes_no",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub disabled: bool,
}

/// An `/ip/route` item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RouteItem {
    // Always written, though 0.0.0.0/0 is the default: it is what names a route.
    #[serde(
        default = "default_dst",
        deserialize_with = "de::parsed",
        serialize_with = "ser::display"
    )]
    pub dst_address: Ipv4Prefix,
    #[serde(deserialize_with = "de::gateways", serialize_with = "ser::gateways")]
    pub gateway: Vec<Gateway>,
    #[serde(
        default = "default_distance",
        deserialize_with = "de::distance",
        skip_serializing_if = "is_default_distance"
    )]
    pub distance: u8,
    #[serde(
        default = "default_scope",
        deserialize_with = "de::scope",
        skip_serializing_if = "is_default_scope"
    )]
    pub scope: u8,
    #[serde(
        default = "default_target_scope",
        deserialize_with = "de::target_scope",
        skip_serializing_if = "is_default_target_scope"
    )]
    pub target_scope: u8,
    #[serde(
        default,
        serialize_with = "ser::display",
        skip_serializing_if = "ser::is_default"
    )]
    pub check_gateway: CheckGateway,
    #[serde(
        default = "default_table",
        deserialize_with = "de::table_name",
        skip_serializing_if = "is_main"
    )]
    pub routing_table: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::yes_no",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub disabled: bool,
}

fn default_dst() -> Ipv4Prefix {
    Ipv4Prefix::new(Ipv4Addr::UNSPECIFIED, 0).expect("length 0 is valid")
}
fn default_distance() -> u8 {
    1
}
fn default_scope() -> u8 {
    30
}
fn default_target_scope() -> u8 {
    10
}
fn default_table() -> String {
    super::MAIN_TABLE.to_string()
}
fn is_default_distance(v: &u8) -> bool {
    *v == default_distance()
}
fn is_default_scope(v: &u8) -> bool {
    *v == default_scope()
}
fn is_default_target_scope(v: &u8) -> bool {
    *v == default_target_scope()
}
fn is_main(v: &str) -> bool {
    v == super::MAIN_TABLE
}

/// An `/ip/arp` item: a static neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ArpItem {
    #[serde(deserialize_with = "de::ipv4")]
    pub address: Ipv4Addr,
    #[serde(deserialize_with = "de::parsed", serialize_with = "ser::display")]
    pub mac_address: MacAddr,
    pub interface: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::yes_no",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub disabled: bool,
}

/// A `/routing/table` item: a routing table besides `main`, which always exists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RoutingTableItem {
    #[serde(deserialize_with = "de::added_table_name")]
    pub name: String,
    /// RouterOS's `fib` flag: only a table with it is installed for forwarding (the target
    /// of `mark-routing`); one without it just holds routes.
    #[serde(
        default,
        deserialize_with = "de::flag",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub fib: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(
        default,
        deserialize_with = "de::yes_no",
        serialize_with = "ser::yes_no",
        skip_serializing_if = "ser::is_false"
    )]
    pub disabled: bool,
}

impl crate::firewall::Item for RoutingTableItem {
    const MENU: &'static str = super::ROUTING_TABLE;
    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        let flag = |v: &str| match v {
            "yes" | "true" => Ok(true),
            "no" | "false" => Ok(false),
            _ => Err(format!("invalid {property} '{v}': expected yes or no")),
        };
        match property {
            "name" => {
                if value.is_empty() {
                    return Err("invalid name '': a routing table name is required".into());
                }
                if value == super::MAIN_TABLE {
                    return Err("routing table 'main' always exists and cannot be added".into());
                }
                self.name = value.to_string();
            }
            "fib" => self.fib = flag(value)?,
            "comment" => self.comment = (!value.is_empty()).then(|| value.to_string()),
            "disabled" => self.disabled = flag(value)?,
            _ => {
                return Err(format!(
                    "unknown property '{property}' for {} (known: name, fib, comment, disabled)",
                    Self::MENU
                ))
            }
        }
        Ok(())
    }
    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.name.is_empty() {
            out.push(("name", self.name.clone()));
        }
        if self.fib {
            out.push(("fib", "yes".to_string()));
        }
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", "yes".to_string()));
        }
        out
    }
}

/// `/routing/settings`: how `check-gateway` probes. RouterOS fixes these (a probe every 10s,
/// 1s to answer, down after 3 misses); wanfwd lets them be tuned, with RouterOS's values as
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingSettings {
    /// Time between two probes of a gateway.
    #[serde(
        rename = "check-gateway-ping-interval",
        deserialize_with = "de::ping_interval",
        serialize_with = "ser::duration"
    )]
    pub ping_interval: Duration,
    /// Time a probe has to be answered before it counts as failed.
    #[serde(
        rename = "check-gateway-ping-timeout",
        deserialize_with = "de::ping_timeout",
        serialize_with = "ser::duration"
    )]
    pub ping_timeout: Duration,
    /// Consecutive failed probes that make a gateway unreachable.
    #[serde(
        rename = "check-gateway-ping-count",
        deserialize_with = "de::ping_count"
    )]
    pub ping_count: u32,
    /// Consecutive answered probes that make an unreachable gateway reachable again. A
    /// wanfwd extension: RouterOS restores on the first answer (1); more damps a flapping
    /// link.
    #[serde(
        rename = "check-gateway-restore-count",
        deserialize_with = "de::restore_count"
    )]
    pub restore_count: u32,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            ping_interval: Duration::from_secs(10),
            ping_timeout: Duration::from_secs(1),
            ping_count: 3,
            restore_count: 1,
        }
    }
}

/// `/ip/settings`: router-wide IPv4 behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct IpSettings {
    #[serde(serialize_with = "ser::display")]
    pub ecmp_hash_policy: EcmpHashPolicy,
}

/// Which headers pick the gateway of an ECMP route (`ecmp-hash-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EcmpHashPolicy {
    /// Source and destination addresses.
    #[default]
    L3,
    /// Addresses, protocol and ports.
    L4,
    /// Addresses of the inner packet of a tunnel, the outer ones otherwise.
    L3Inner,
}

impl fmt::Display for EcmpHashPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EcmpHashPolicy::L3 => "l3",
            EcmpHashPolicy::L4 => "l4",
            EcmpHashPolicy::L3Inner => "l3-inner",
        })
    }
}

impl FromStr for EcmpHashPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "l3" => Ok(EcmpHashPolicy::L3),
            "l4" => Ok(EcmpHashPolicy::L4),
            "l3-inner" => Ok(EcmpHashPolicy::L3Inner),
            _ => Err(format!(
                "invalid ecmp-hash-policy '{s}' (expected l3, l4 or l3-inner)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for EcmpHashPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::parsed(d)
    }
}

/// How a route's gateway is probed (`check-gateway`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CheckGateway {
    #[default]
    None,
    Ping,
    Arp,
}

impl fmt::Display for CheckGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckGateway::None => "none",
            CheckGateway::Ping => "ping",
            CheckGateway::Arp => "arp",
        })
    }
}

impl FromStr for CheckGateway {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            // RouterOS unsets the property with `check-gateway=""`.
            "" | "none" => Ok(CheckGateway::None),
            "ping" => Ok(CheckGateway::Ping),
            "arp" => Ok(CheckGateway::Arp),
            _ => Err(format!(
                "invalid check-gateway '{s}' (expected none, ping or arp)"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for CheckGateway {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::parsed(d)
    }
}

/// One element of a route's `gateway` list, as RouterOS writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gateway {
    /// `203.0.113.1`: resolved recursively through the routing table.
    Address(Ipv4Addr),
    /// `203.0.113.1%ether1`: the address, reached directly on that interface.
    AddressOnInterface(Ipv4Addr, String),
    /// `ether2`: the destination is on-link on that interface.
    Interface(String),
}

impl Gateway {
    pub fn address(&self) -> Option<Ipv4Addr> {
        match self {
            Gateway::Address(a) | Gateway::AddressOnInterface(a, _) => Some(*a),
            Gateway::Interface(_) => None,
        }
    }

    pub fn interface(&self) -> Option<&str> {
        match self {
            Gateway::AddressOnInterface(_, i) | Gateway::Interface(i) => Some(i),
            Gateway::Address(_) => None,
        }
    }

    /// Parses RouterOS's comma-separated `gateway=` value (several gateways make ECMP).
    pub fn parse_list(s: &str) -> Result<Vec<Gateway>, String> {
        if s.trim().is_empty() {
            return Err("gateway is empty".to_string());
        }
        s.split(',').map(str::parse).collect()
    }

    /// Formats a gateway list as RouterOS prints it.
    pub fn format_list(gateways: &[Gateway]) -> String {
        let parts: Vec<String> = gateways.iter().map(Gateway::to_string).collect();
        parts.join(",")
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gateway::Address(a) => write!(f, "{a}"),
            Gateway::AddressOnInterface(a, i) => write!(f, "{a}%{i}"),
            Gateway::Interface(i) => f.write_str(i),
        }
    }
}

impl FromStr for Gateway {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty gateway in the list".to_string());
        }
        const FORMS: &str = "a gateway is ADDRESS, ADDRESS%INTERFACE or INTERFACE";
        if let Some((a, i)) = t.split_once('%') {
            let addr = a
                .parse()
                .map_err(|_| format!("invalid gateway '{t}': '{a}' is not an IPv4 address"))?;
            check_interface_name(i).map_err(|e| format!("invalid gateway '{t}': {e}"))?;
            return Ok(Gateway::AddressOnInterface(addr, i.to_string()));
        }
        if looks_like_address(t) {
            return t
                .parse()
                .map(Gateway::Address)
                .map_err(|_| format!("invalid gateway '{t}': not an IPv4 address ({FORMS})"));
        }
        check_interface_name(t).map_err(|e| format!("invalid gateway '{t}': {e} ({FORMS})"))?;
        Ok(Gateway::Interface(t.to_string()))
    }
}

impl<'de> Deserialize<'de> for Gateway {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        de::parsed(d)
    }
}

/// Text that a reader would take for an address (or a prefix), never for an interface name.
fn looks_like_address(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '/')
}

/// The rules for an interface name. RouterOS is laxer, but a name containing `,` or `%`, or
/// one that reads as an address, could not be told apart in a route's `gateway=`.
pub fn check_interface_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("interface name is empty".to_string());
    }
    if name.trim() != name {
        return Err(format!(
            "interface name '{name}' starts or ends with whitespace"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, ',' | '%') || c.is_control())
    {
        return Err(format!(
            "interface name '{}' contains {c:?}, which is not allowed",
            name.escape_debug()
        ));
    }
    if looks_like_address(name) {
        return Err(format!("interface name '{name}' would read as an address"));
    }
    Ok(())
}

/// Deserializers for the value syntaxes, used through `#[serde(deserialize_with)]`.
pub(super) mod de {
    use super::*;
    use serde::de::{Error, SeqAccess, Unexpected, Visitor};
    use serde::Deserializer;
    use std::marker::PhantomData;

    /// Any scalar, parsed with `FromStr`; the parse error is the message.
    pub fn parsed<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
        T::Err: fmt::Display,
    {
        struct V<T>(PhantomData<T>);
        impl<T: FromStr> Visitor<'_> for V<T>
        where
            T::Err: fmt::Display,
        {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<T, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V(PhantomData))
    }

    /// Like `parsed`, with a message that names the kind of value and quotes the input,
    /// for types whose own parse errors say neither.
    fn parsed_as<'de, D, T>(d: D, what: &'static str, hint: &'static str) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr,
    {
        struct V<T>(&'static str, &'static str, PhantomData<T>);
        impl<T: FromStr> Visitor<'_> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an {}", self.0)
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<T, E> {
                s.parse()
                    .map_err(|_| E::custom(format!("invalid {} '{s}'{}", self.0, self.1)))
            }
        }
        d.deserialize_str(V(what, hint, PhantomData))
    }

    pub fn ipv4<'de, D: Deserializer<'de>>(d: D) -> Result<Ipv4Addr, D::Error> {
        parsed_as(d, "IPv4 address", "")
    }

    pub fn opt_ipv4<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ipv4Addr>, D::Error> {
        ipv4(d).map(Some)
    }

    pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        parsed_as(d, "socket address", " (expected ADDRESS:PORT)")
    }

    pub fn unicast_mac<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MacAddr>, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MacAddr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a MAC address")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<MacAddr, E> {
                let mac: MacAddr = s.parse().map_err(E::custom)?;
                if mac.is_multicast() {
                    return Err(E::custom(format!(
                        "MAC address {mac} is a group address; an interface needs a unicast one"
                    )));
                }
                Ok(mac)
            }
        }
        d.deserialize_str(V).map(Some)
    }

    pub fn interface_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an interface name")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<String, E> {
                check_interface_name(s).map_err(E::custom)?;
                Ok(s.to_string())
            }
        }
        d.deserialize_str(V)
    }

    pub fn device<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        nonempty(d, "device (a PCI address or a DPDK vdev string)")
    }

    pub fn socket_path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        nonempty(d, "socket path").map(PathBuf::from)
    }

    pub fn table_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        nonempty(d, "routing table name")
    }

    /// A `/routing/table` name: `main` is built in and cannot be added.
    pub fn added_table_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        d.deserialize_str(Nonempty {
            what: "routing table name",
            reserved: Some((
                super::super::MAIN_TABLE,
                "routing table 'main' always exists and cannot be added",
            )),
        })
    }

    fn nonempty<'de, D: Deserializer<'de>>(d: D, what: &'static str) -> Result<String, D::Error> {
        d.deserialize_str(Nonempty {
            what,
            reserved: None,
        })
    }

    /// A name or path that must not be blank. The checks run inside the visitor, where an
    /// error still gets the value's position.
    struct Nonempty {
        what: &'static str,
        /// A value that is refused, and the message that says why.
        reserved: Option<(&'static str, &'static str)>,
    }

    impl Visitor<'_> for Nonempty {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a {}", self.what)
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<String, E> {
            if s.trim().is_empty() {
                return Err(E::custom(format!("{} is empty", self.what)));
            }
            if let Some((reserved, message)) = self.reserved {
                if s == reserved {
                    return Err(E::custom(message));
                }
            }
            Ok(s.to_string())
        }
    }

    /// RouterOS `yes`/`no`, and YAML's own booleans (yaml_serde follows YAML 1.2, where
    /// `yes` and `no` are plain strings, so both spellings arrive here differently).
    pub fn yes_no<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(YesNo { bare_key: false })
    }

    /// A RouterOS flag such as `fib`: `yes`/`no` like any boolean, and also the bare key
    /// (`{ name: to_wan1, fib }`, a YAML null), which reads as RouterOS's `add name=to_wan1 fib`.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_any(YesNo { bare_key: true })
    }

    struct YesNo {
        /// Whether a key without a value means yes.
        bare_key: bool,
    }

    impl Visitor<'_> for YesNo {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("yes or no")
        }
        fn visit_unit<E: Error>(self) -> Result<bool, E> {
            if self.bare_key {
                return Ok(true);
            }
            Err(E::invalid_type(Unexpected::Unit, &self))
        }
        fn visit_bool<E: Error>(self, b: bool) -> Result<bool, E> {
            Ok(b)
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<bool, E> {
            match s {
                "yes" | "true" => Ok(true),
                "no" | "false" => Ok(false),
                _ => Err(E::custom(format!(
                    "invalid value '{s}' (expected yes or no)"
                ))),
            }
        }
    }

    /// A RouterOS time value within bounds: a string such as `10s` or `1m30s`, or a YAML
    /// number of seconds.
    struct TimeRange {
        what: &'static str,
        min: Duration,
        max: Duration,
    }

    impl TimeRange {
        fn check<E: Error>(&self, text: &str) -> Result<Duration, E> {
            let d = parse_duration(text).map_err(E::custom)?;
            if d < self.min || d > self.max {
                return Err(E::custom(format!(
                    "{} must be from {} to {}, not {text}",
                    self.what,
                    format_duration(self.min),
                    format_duration(self.max)
                )));
            }
            Ok(d)
        }
    }

    impl Visitor<'_> for TimeRange {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(
                f,
                "a time from {} to {} (such as 10s, 100ms or 1m30s)",
                format_duration(self.min),
                format_duration(self.max)
            )
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Duration, E> {
            self.check(&v.to_string())
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Duration, E> {
            self.check(&v.to_string())
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Duration, E> {
            self.check(&v.to_string())
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<Duration, E> {
            self.check(s)
        }
    }

    pub fn ping_interval<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(TimeRange {
            what: "check-gateway-ping-interval",
            min: Duration::from_millis(100),
            max: Duration::from_secs(600),
        })
    }

    pub fn ping_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(TimeRange {
            what: "check-gateway-ping-timeout",
            min: Duration::from_millis(1),
            max: Duration::from_secs(1),
        })
    }

    /// An integer within bounds, written as a YAML number or as a string of digits (the way
    /// RouterOS commands carry every value).
    struct Ranged {
        what: &'static str,
        min: u64,
        max: u64,
    }

    impl Ranged {
        /// `from 1 to 255`, or `at least 1` where the upper bound is only the type's.
        fn bounds(&self) -> String {
            if self.max >= u64::from(u32::MAX) {
                format!("at least {}", self.min)
            } else {
                format!("from {} to {}", self.min, self.max)
            }
        }

        fn out_of_range<E: Error>(&self, v: impl fmt::Display) -> E {
            E::custom(format!("{} must be {}, not {v}", self.what, self.bounds()))
        }
    }

    impl Visitor<'_> for Ranged {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            match self.min {
                0 if self.max >= u64::from(u32::MAX) => f.write_str("a number"),
                _ => write!(f, "a number {}", self.bounds()),
            }
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<u64, E> {
            if v < self.min || v > self.max {
                return Err(self.out_of_range(v));
            }
            Ok(v)
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<u64, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(self.out_of_range(v)),
            }
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<u64, E> {
            match s.trim().parse::<u64>() {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(Unexpected::Str(s), &self)),
            }
        }
    }

    fn ranged<'de, D: Deserializer<'de>>(
        d: D,
        what: &'static str,
        min: u64,
        max: u64,
    ) -> Result<u64, D::Error> {
        d.deserialize_any(Ranged { what, min, max })
    }

    // The bounds below fit the target types, so the narrowing casts cannot truncate.

    pub fn distance<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        ranged(d, "distance", 1, 255).map(|v| v as u8)
    }

    pub fn scope<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        ranged(d, "scope", 0, 255).map(|v| v as u8)
    }

    pub fn target_scope<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        ranged(d, "target-scope", 0, 255).map(|v| v as u8)
    }

    pub fn ping_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        ranged(d, "check-gateway-ping-count", 1, 100).map(|v| v as u32)
    }

    pub fn restore_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        ranged(d, "check-gateway-restore-count", 1, 100).map(|v| v as u32)
    }

    pub fn mtu<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        ranged(d, "mtu", 68, 9000).map(|v| v as u16)
    }

    pub fn mbufs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        ranged(d, "mbufs", 1024, 16_777_215).map(|v| Some(v as u32))
    }

    pub fn mbuf_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
        ranged(d, "mbuf-size", u64::from(MBUF_MIN_SIZE), 65_535).map(|v| Some(v as u16))
    }

    /// `gateway: "a,b"` as RouterOS writes it, or a YAML list `[a, b]`.
    pub fn gateways<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Gateway>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Gateway>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a gateway list: ADDRESS, ADDRESS%INTERFACE or INTERFACE, comma-separated",
                )
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
                Gateway::parse_list(s).map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(g) = seq.next_element::<Gateway>()? {
                    out.push(g);
                }
                if out.is_empty() {
                    return Err(A::Error::custom("gateway is empty"));
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }

    impl<'de> Deserialize<'de> for Workers {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Workers;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a number of workers, or a list of core ids")
                }
                fn visit_u64<E: Error>(self, v: u64) -> Result<Workers, E> {
                    COUNT.visit_u64(v).map(|n| Workers::Count(n as usize))
                }
                fn visit_i64<E: Error>(self, v: i64) -> Result<Workers, E> {
                    COUNT.visit_i64(v).map(|n| Workers::Count(n as usize))
                }
                fn visit_str<E: Error>(self, s: &str) -> Result<Workers, E> {
                    COUNT.visit_str(s).map(|n| Workers::Count(n as usize))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Workers, A::Error> {
                    let mut cores: Vec<usize> = Vec::new();
                    while let Some(c) = seq.next_element_seed(CoreId)? {
                        if cores.contains(&c) {
                            return Err(A::Error::custom(format!("core {c} is listed twice")));
                        }
                        cores.push(c);
                    }
                    if cores.is_empty() {
                        return Err(A::Error::custom("the list of worker cores is empty"));
                    }
                    Ok(Workers::Cores(cores))
                }
            }
            d.deserialize_any(V)
        }
    }

    const COUNT: Ranged = Ranged {
        what: "workers",
        min: 1,
        max: usize::MAX as u64,
    };

    struct CoreId;

    impl<'de> serde::de::DeserializeSeed<'de> for CoreId {
        type Value = usize;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
            ranged(d, "core id", 0, usize::MAX as u64).map(|v| v as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_forms_round_trip() {
        let list = Gateway::parse_list("203.0.113.1,203.0.113.1%ether1,ether2").unwrap();
        assert_eq!(
            list,
            vec![
                Gateway::Address(Ipv4Addr::new(203, 0, 113, 1)),
                Gateway::AddressOnInterface(Ipv4Addr::new(203, 0, 113, 1), "ether1".into()),
                Gateway::Interface("ether2".into()),
            ]
        );
        assert_eq!(
            Gateway::format_list(&list),
            "203.0.113.1,203.0.113.1%ether1,ether2"
        );
        assert_eq!(list[1].interface(), Some("ether1"));
        assert_eq!(list[2].address(), None);
    }

    #[test]
    fn bad_gateways_are_rejected() {
        for bad in [
            "",
            "203.0.113.1,",
            "203.0.113.300",
            "203.0.113.1/24",
            "203.0.113.1%",
            "bogus%ether1",
            "1.2.3.4%5.6",
        ] {
            assert!(Gateway::parse_list(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn interface_names() {
        assert!(check_interface_name("ether1").is_ok());
        assert!(check_interface_name("ether1-WAN").is_ok());
        assert!(check_interface_name("").is_err());
        assert!(check_interface_name(" ether1").is_err());
        assert!(check_interface_name("a,b").is_err());
        assert!(check_interface_name("a%b").is_err());
        assert!(check_interface_name("10.0.0.1").is_err());
    }

    #[test]
    fn check_gateway_values() {
        assert_eq!("ping".parse::<CheckGateway>(), Ok(CheckGateway::Ping));
        assert_eq!("arp".parse::<CheckGateway>(), Ok(CheckGateway::Arp));
        assert_eq!("".parse::<CheckGateway>(), Ok(CheckGateway::None));
        assert!("bogus".parse::<CheckGateway>().is_err());
        assert_eq!(CheckGateway::Ping.to_string(), "ping");
    }

    #[test]
    fn booleans_in_both_spellings() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "de::yes_no")]
            b: bool,
        }
        for (text, want) in [
            ("b: yes", true),
            ("b: no", false),
            ("b: true", true),
            ("b: false", false),
            ("b: \"yes\"", true),
        ] {
            let t: T = serde_yaml::from_str(text).unwrap();
            assert_eq!(t.b, want, "{text}");
        }
        assert!(serde_yaml::from_str::<T>("b: maybe").is_err());
        assert!(serde_yaml::from_str::<T>("b: 1").is_err());
    }

    #[test]
    fn ecmp_hash_policies() {
        for (text, policy) in [
            ("l3", EcmpHashPolicy::L3),
            ("l4", EcmpHashPolicy::L4),
            ("l3-inner", EcmpHashPolicy::L3Inner),
        ] {
            assert_eq!(text.parse::<EcmpHashPolicy>(), Ok(policy));
            assert_eq!(policy.to_string(), text);
        }
        assert_eq!(EcmpHashPolicy::default(), EcmpHashPolicy::L3);
        for bad in ["", "L4", "l5", "both-addresses"] {
            let e = bad.parse::<EcmpHashPolicy>().unwrap_err();
            assert!(e.contains("expected l3, l4 or l3-inner"), "{e}");
        }
    }

    #[test]
    fn flags_read_as_routeros_writes_them() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "de::flag")]
            fib: bool,
            #[serde(default)]
            #[allow(dead_code)]
            name: Option<String>,
        }
        for (text, want) in [
            ("{ name: t, fib }", true),
            ("fib:", true),
            ("fib: yes", true),
            ("fib: true", true),
            ("fib: no", false),
            ("fib: false", false),
            ("name: t", false),
        ] {
            let t: T = serde_yaml::from_str(text).unwrap();
            assert_eq!(t.fib, want, "{text}");
        }
        assert!(serde_yaml::from_str::<T>("fib: 1").is_err());
        assert!(serde_yaml::from_str::<T>("fib: maybe").is_err());
    }

    #[test]
    fn workers_count_or_cores() {
        let w: Workers = serde_yaml::from_str("3").unwrap();
        assert_eq!(w, Workers::Count(3));
        let w: Workers = serde_yaml::from_str("[1, 2]").unwrap();
        assert_eq!(w, Workers::Cores(vec![1, 2]));
        assert_eq!(w.count(), 2);
        for bad in ["0", "-1", "[]", "[1, 1]", "[-1]", "many"] {
            assert!(serde_yaml::from_str::<Workers>(bad).is_err(), "{bad}");
        }
    }
}
