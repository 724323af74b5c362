//! The match properties that `/ip/firewall/mangle` and `/ip/firewall/nat` share.

use super::values::parse_name;
use super::values::{AddrMatch, AddrTypes, ConnStates, Neg, Pcc, PortList, Protocol};

/// Match properties of a firewall rule; `None` means "any" (RouterOS's unset).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matchers {
    pub src_address: Option<Neg<AddrMatch>>,
    pub dst_address: Option<Neg<AddrMatch>>,
    pub protocol: Option<Neg<Protocol>>,
    pub src_port: Option<Neg<PortList>>,
    pub dst_port: Option<Neg<PortList>>,
    pub in_interface: Option<Neg<String>>,
    pub out_interface: Option<Neg<String>>,
    pub in_interface_list: Option<Neg<String>>,
    pub out_interface_list: Option<Neg<String>>,
    /// A packet mark name, or `no-mark`.
    pub packet_mark: Option<Neg<String>>,
    /// A connection mark name, or `no-mark`.
    pub connection_mark: Option<Neg<String>>,
    /// A routing table name (`main` for unmarked packets).
    pub routing_mark: Option<Neg<String>>,
    pub connection_state: Option<Neg<ConnStates>>,
    pub src_address_type: Option<Neg<AddrTypes>>,
    pub dst_address_type: Option<Neg<AddrTypes>>,
    pub per_connection_classifier: Option<Neg<Pcc>>,
}

/// The matcher property names, in the order RouterOS prints them.
pub const MATCHER_PROPERTIES: [&str; 16] = [
    "src-address",
    "dst-address",
    "protocol",
    "src-port",
    "dst-port",
    "in-interface",
    "out-interface",
    "in-interface-list",
    "out-interface-list",
    "packet-mark",
    "connection-mark",
    "routing-mark",
    "connection-state",
    "src-address-type",
    "dst-address-type",
    "per-connection-classifier",
];

/// Sets `slot` from `value`: an empty value unsets it, as `property=""` does in RouterOS.
fn put<T>(
    slot: &mut Option<Neg<T>>,
    property: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<(), String> {
    if value.is_empty() {
        *slot = None;
        return Ok(());
    }
    *slot =
        Some(Neg::parse(value, parse).map_err(|e| format!("invalid {property} '{value}': {e}"))?);
    Ok(())
}

impl Matchers {
    /// Sets a matcher property; `None` if `property` is not one.
    pub fn set(&mut self, property: &str, value: &str) -> Option<Result<(), String>> {
        let name = |s: &str| parse_name(s);
        let p = property;
        let v = value;
        Some(match property {
            "src-address" => put(&mut self.src_address, p, v, AddrMatch::parse),
            "dst-address" => put(&mut self.dst_address, p, v, AddrMatch::parse),
            "protocol" => put(&mut self.protocol, p, v, Protocol::parse),
            "src-port" => put(&mut self.src_port, p, v, PortList::parse),
            "dst-port" => put(&mut self.dst_port, p, v, PortList::parse),
            "in-interface" => put(&mut self.in_interface, p, v, name),
            "out-interface" => put(&mut self.out_interface, p, v, name),
            "in-interface-list" => put(&mut self.in_interface_list, p, v, name),
            "out-interface-list" => put(&mut self.out_interface_list, p, v, name),
            "packet-mark" => put(&mut self.packet_mark, p, v, name),
            "connection-mark" => put(&mut self.connection_mark, p, v, name),
            "routing-mark" => put(&mut self.routing_mark, p, v, name),
            "connection-state" => put(&mut self.connection_state, p, v, ConnStates::parse),
            "src-address-type" => put(&mut self.src_address_type, p, v, AddrTypes::parse),
            "dst-address-type" => put(&mut self.dst_address_type, p, v, AddrTypes::parse),
            "per-connection-classifier" => {
                put(&mut self.per_connection_classifier, p, v, Pcc::parse)
            }
            _ => return None,
        })
    }

    /// The set matchers, in RouterOS's order.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        let s = |o: &Option<Neg<_>>| o.as_ref().map(ToString::to_string);
        let all: [(&'static str, Option<String>); 16] = [
            ("src-address", s(&self.src_address)),
            ("dst-address", s(&self.dst_address)),
            ("protocol", self.protocol.as_ref().map(ToString::to_string)),
            ("src-port", self.src_port.as_ref().map(ToString::to_string)),
            ("dst-port", self.dst_port.as_ref().map(ToString::to_string)),
            (
                "in-interface",
                self.in_interface.as_ref().map(ToString::to_string),
            ),
            (
                "out-interface",
                self.out_interface.as_ref().map(ToString::to_string),
            ),
            (
                "in-interface-list",
                self.in_interface_list.as_ref().map(ToString::to_string),
            ),
            (
                "out-interface-list",
                self.out_interface_list.as_ref().map(ToString::to_string),
            ),
            (
                "packet-mark",
                self.packet_mark.as_ref().map(ToString::to_string),
            ),
            (
                "connection-mark",
                self.connection_mark.as_ref().map(ToString::to_string),
            ),
            (
                "routing-mark",
                self.routing_mark.as_ref().map(ToString::to_string),
            ),
            (
                "connection-state",
                self.connection_state.as_ref().map(ToString::to_string),
            ),
            (
                "src-address-type",
                self.src_address_type.as_ref().map(ToString::to_string),
            ),
            (
                "dst-address-type",
                self.dst_address_type.as_ref().map(ToString::to_string),
            ),
            (
                "per-connection-classifier",
                self.per_connection_classifier
                    .as_ref()
                    .map(ToString::to_string),
            ),
        ];
        all.into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    /// A problem with the combination of matchers: ports need tcp or udp.
    /// Returns the offending property and the message.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (prop, set) in [
            ("src-port", self.src_port.is_some()),
            ("dst-port", self.dst_port.is_some()),
        ] {
            if !set {
                continue;
            }
            match &self.protocol {
                Some(p) if !p.neg && p.value.has_ports() => {}
                _ => return Err((prop, format!("{prop} needs protocol=tcp or protocol=udp"))),
            }
        }
        Ok(())
    }
}
