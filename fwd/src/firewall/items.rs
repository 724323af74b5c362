//! The RouterOS firewall menus as typed items: `/interface/list`, `/interface/list/member`,
//! `/ip/firewall/mangle` and `/ip/firewall/nat`. Each is built from RouterOS text, one
//! property at a time (`set`), so that YAML and RouterOS commands share one parser, and
//! prints back its non-default properties (`properties`).

use std::net::Ipv4Addr;

use super::matchers::{Matchers, MATCHER_PROPERTIES};
use super::values::{
    format_port_range, parse_ipv4, parse_name, parse_port_range, parse_yes_no, yes_no,
};

pub const INTERFACE_LIST: &str = "/interface/list";
pub const INTERFACE_LIST_MEMBER: &str = "/interface/list/member";
pub const MANGLE: &str = "/ip/firewall/mangle";
pub const NAT: &str = "/ip/firewall/nat";

/// What every firewall menu item offers.
pub trait Item: Default {
    /// The menu path.
    const MENU: &'static str;
    /// Sets one property from its RouterOS text.
    fn set(&mut self, property: &str, value: &str) -> Result<(), String>;
    /// The properties that differ from the default, in RouterOS's order.
    fn properties(&self) -> Vec<(&'static str, String)>;
    /// What `print` shows: the properties, and what RouterOS shows although it is the
    /// default (mangle's `passthrough=yes`).
    fn shown(&self) -> Vec<(&'static str, String)> {
        self.properties()
    }
}

fn unknown(property: &str, menu: &str, known: &[&str]) -> String {
    format!(
        "unknown property '{property}' for {menu} (known: {})",
        known.join(", ")
    )
}

fn bad(property: &str, value: &str, e: String) -> String {
    format!("invalid {property} '{value}': {e}")
}

fn opt_name(property: &str, value: &str) -> Result<Option<String>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    parse_name(value)
        .map(Some)
        .map_err(|e| bad(property, value, e))
}

fn req_name(property: &str, value: &str) -> Result<String, String> {
    parse_name(value).map_err(|e| bad(property, value, e))
}

fn opt_text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

fn flag(property: &str, value: &str) -> Result<bool, String> {
    parse_yes_no(value).map_err(|e| bad(property, value, e))
}

macro_rules! inherent {
    ($t:ty) => {
        impl $t {
            /// An item with RouterOS's defaults.
            pub fn new() -> Self {
                Self::default()
            }
            pub fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
                Item::set(self, property, value)
            }
            pub fn properties(&self) -> Vec<(&'static str, String)> {
                Item::properties(self)
            }
        }
    };
}

/// An `/interface/list` item: a named set of interfaces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterfaceListItem {
    pub name: String,
    pub comment: Option<String>,
}

impl Item for InterfaceListItem {
    const MENU: &'static str = INTERFACE_LIST;
    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "name" => self.name = req_name(property, value)?,
            "comment" => self.comment = opt_text(value),
            "include" | "exclude" => {
                return Err(format!(
                    "{property} is not supported; add the interfaces with {INTERFACE_LIST_MEMBER}"
                ))
            }
            _ => return Err(unknown(property, Self::MENU, &["name", "comment"])),
        }
        Ok(())
    }
    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.name.is_empty() {
            out.push(("name", self.name.clone()));
        }
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        out
    }
}
inherent!(InterfaceListItem);

/// An `/interface/list/member` item: puts an interface in a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterfaceListMemberItem {
    pub list: String,
    pub interface: String,
    pub comment: Option<String>,
    pub disabled: bool,
}

impl Item for InterfaceListMemberItem {
    const MENU: &'static str = INTERFACE_LIST_MEMBER;
    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "list" => self.list = req_name(property, value)?,
            "interface" => self.interface = req_name(property, value)?,
            "comment" => self.comment = opt_text(value),
            "disabled" => self.disabled = flag(property, value)?,
            _ => {
                return Err(unknown(
                    property,
                    Self::MENU,
                    &["list", "interface", "comment", "disabled"],
                ))
            }
        }
        Ok(())
    }
    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.list.is_empty() {
            out.push(("list", self.list.clone()));
        }
        if !self.interface.is_empty() {
            out.push(("interface", self.interface.clone()));
        }
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", yes_no(true)));
        }
        out
    }
}
inherent!(InterfaceListMemberItem);

/// The built-in chains of mangle (`input` has no hook in wanfwd yet).
pub const MANGLE_CHAINS: [&str; 5] = ["prerouting", "input", "forward", "output", "postrouting"];
/// The built-in chains of NAT.
pub const NAT_CHAINS: [&str; 2] = ["srcnat", "dstnat"];

/// What a mangle rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MangleAction {
    #[default]
    Accept,
    Passthrough,
    MarkConnection,
    MarkRouting,
    MarkPacket,
    Jump,
    Return,
}

impl MangleAction {
    pub const ALL: [MangleAction; 7] = [
        MangleAction::Accept,
        MangleAction::Passthrough,
        MangleAction::MarkConnection,
        MangleAction::MarkRouting,
        MangleAction::MarkPacket,
        MangleAction::Jump,
        MangleAction::Return,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MangleAction::Accept => "accept",
            MangleAction::Passthrough => "passthrough",
            MangleAction::MarkConnection => "mark-connection",
            MangleAction::MarkRouting => "mark-routing",
            MangleAction::MarkPacket => "mark-packet",
            MangleAction::Jump => "jump",
            MangleAction::Return => "return",
        }
    }

    /// Whether `passthrough` applies (RouterOS ignores it for accept, jump and return).
    pub fn uses_passthrough(self) -> bool {
        matches!(
            self,
            MangleAction::MarkConnection | MangleAction::MarkRouting | MangleAction::MarkPacket
        )
    }
}

fn parse_action<T: Copy>(
    value: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|a| name(*a) == value)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|a| name(*a)).collect();
            format!(
                "invalid action '{value}': not supported by wanfwd (supported: {})",
                names.join(", ")
            )
        })
}

/// An `/ip/firewall/mangle` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MangleItem {
    /// A built-in chain or a user chain's name; empty until set (RouterOS requires it).
    pub chain: String,
    pub action: MangleAction,
    pub new_connection_mark: Option<String>,
    pub new_routing_mark: Option<String>,
    pub new_packet_mark: Option<String>,
    pub passthrough: bool,
    pub jump_target: Option<String>,
    pub matchers: Matchers,
    pub comment: Option<String>,
    pub disabled: bool,
}

impl Default for MangleItem {
    fn default() -> Self {
        MangleItem {
            chain: String::new(),
            action: MangleAction::Accept,
            new_connection_mark: None,
            new_routing_mark: None,
            new_packet_mark: None,
            passthrough: true,
            jump_target: None,
            matchers: Matchers::default(),
            comment: None,
            disabled: false,
        }
    }
}

const RULE_PROPERTIES: [&str; 5] = ["chain", "action", "jump-target", "comment", "disabled"];

fn known(own: &[&'static str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = RULE_PROPERTIES.to_vec();
    v.extend_from_slice(own);
    v.extend_from_slice(&MATCHER_PROPERTIES);
    v
}

impl Item for MangleItem {
    const MENU: &'static str = MANGLE;
    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "chain" => self.chain = req_name(property, value)?,
            "action" => self.action = parse_action(value, &MangleAction::ALL, MangleAction::name)?,
            "new-connection-mark" => self.new_connection_mark = opt_name(property, value)?,
            "new-routing-mark" => self.new_routing_mark = opt_name(property, value)?,
            "new-packet-mark" => self.new_packet_mark = opt_name(property, value)?,
            "passthrough" => self.passthrough = flag(property, value)?,
            "jump-target" => self.jump_target = opt_name(property, value)?,
            "comment" => self.comment = opt_text(value),
            "disabled" => self.disabled = flag(property, value)?,
            _ => {
                return self.matchers.set(property, value).unwrap_or_else(|| {
                    Err(unknown(
                        property,
                        Self::MENU,
                        &known(&[
                            "new-connection-mark",
                            "new-routing-mark",
                            "new-packet-mark",
                            "passthrough",
                        ]),
                    ))
                })
            }
        }
        Ok(())
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.chain.is_empty() {
            out.push(("chain", self.chain.clone()));
        }
        if self.action != MangleAction::Accept {
            out.push(("action", self.action.name().to_string()));
        }
        for (k, v) in [
            ("new-connection-mark", &self.new_connection_mark),
            ("new-packet-mark", &self.new_packet_mark),
            ("new-routing-mark", &self.new_routing_mark),
        ] {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        }
        if !self.passthrough && self.action.uses_passthrough() {
            out.push(("passthrough", yes_no(false)));
        }
        if let Some(t) = &self.jump_target {
            out.push(("jump-target", t.clone()));
        }
        out.extend(self.matchers.properties());
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", yes_no(true)));
        }
        out
    }

    fn shown(&self) -> Vec<(&'static str, String)> {
        let mut out = self.properties();
        if self.passthrough && self.action.uses_passthrough() {
            let at = out
                .iter()
                .position(|(k, _)| k.starts_with("new-"))
                .map_or(out.len().min(2), |i| i + 1);
            out.insert(at, ("passthrough", yes_no(true)));
        }
        out
    }
}
inherent!(MangleItem);

/// What a NAT rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NatAction {
    #[default]
    Accept,
    Masquerade,
    SrcNat,
    Passthrough,
    Jump,
    Return,
}

impl NatAction {
    pub const ALL: [NatAction; 6] = [
        NatAction::Accept,
        NatAction::Masquerade,
        NatAction::SrcNat,
        NatAction::Passthrough,
        NatAction::Jump,
        NatAction::Return,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NatAction::Accept => "accept",
            NatAction::Masquerade => "masquerade",
            NatAction::SrcNat => "src-nat",
            NatAction::Passthrough => "passthrough",
            NatAction::Jump => "jump",
            NatAction::Return => "return",
        }
    }
}

/// An `/ip/firewall/nat` rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NatItem {
    pub chain: String,
    pub action: NatAction,
    /// src-nat's new source address (a single address).
    pub to_addresses: Option<Ipv4Addr>,
    /// src-nat's new source port or port range.
    pub to_ports: Option<(u16, u16)>,
    pub jump_target: Option<String>,
    pub matchers: Matchers,
    pub comment: Option<String>,
    pub disabled: bool,
}

impl Item for NatItem {
    const MENU: &'static str = NAT;
    fn set(&mut self, property: &str, value: &str) -> Result<(), String> {
        match property {
            "chain" => self.chain = req_name(property, value)?,
            "action" => self.action = parse_action(value, &NatAction::ALL, NatAction::name)?,
            "to-addresses" => {
                self.to_addresses = match value {
                    "" => None,
                    v if v.contains('-') || v.contains('/') => {
                        return Err(bad(
                            property,
                            value,
                            "only a single address is supported".into(),
                        ))
                    }
                    v => Some(parse_ipv4(v).map_err(|e| bad(property, value, e))?),
                }
            }
            "to-ports" => {
                self.to_ports = match value {
                    "" => None,
                    v => Some(parse_port_range(v).map_err(|e| bad(property, value, e))?),
                }
            }
            "jump-target" => self.jump_target = opt_name(property, value)?,
            "comment" => self.comment = opt_text(value),
            "disabled" => self.disabled = flag(property, value)?,
            _ => {
                return self.matchers.set(property, value).unwrap_or_else(|| {
                    Err(unknown(
                        property,
                        Self::MENU,
                        &known(&["to-addresses", "to-ports"]),
                    ))
                })
            }
        }
        Ok(())
    }

    fn properties(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.chain.is_empty() {
            out.push(("chain", self.chain.clone()));
        }
        if self.action != NatAction::Accept {
            out.push(("action", self.action.name().to_string()));
        }
        if let Some(a) = self.to_addresses {
            out.push(("to-addresses", a.to_string()));
        }
        if let Some(p) = self.to_ports {
            out.push(("to-ports", format_port_range(p)));
        }
        if let Some(t) = &self.jump_target {
            out.push(("jump-target", t.clone()));
        }
        out.extend(self.matchers.properties());
        if let Some(c) = &self.comment {
            out.push(("comment", c.clone()));
        }
        if self.disabled {
            out.push(("disabled", yes_no(true)));
        }
        out
    }
}
inherent!(NatItem);
