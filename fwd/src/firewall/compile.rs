//! Items to the per-packet form: rules as short lists of enum matchers and an action,
//! chains as index ranges, jumps as chain indices, names as ids.

use std::collections::HashMap;

use super::chains::{build, Entry};
use super::items::{
    InterfaceListItem, InterfaceListMemberItem, MangleAction, MangleItem, NatAction, NatItem,
    INTERFACE_LIST, INTERFACE_LIST_MEMBER, MANGLE, NAT,
};
use super::matchers::Matchers;
use super::rules::{Mark, MarkAction, Match, Step};
use super::values::Neg;
use super::{Marks, Resolver, SrcNat};
use crate::config::MAIN_TABLE;

/// A rule that cannot be compiled: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub menu: &'static str,
    pub index: usize,
    pub property: &'static str,
    pub message: String,
}

pub(super) fn err(
    menu: &'static str,
    index: usize,
    property: &'static str,
    message: String,
) -> RuleError {
    RuleError {
        menu,
        index,
        property,
        message,
    }
}

/// The lists RouterOS has built in: `all` holds every interface, the others none here.
pub const BUILTIN_LISTS: [&str; 3] = ["all", "none", "dynamic"];

/// Jumps may nest this deep (the evaluator recurses once per level).
pub const MAX_JUMP_DEPTH: usize = 16;

/// Mangle's built-in chains, in `Hook` order, then input.
const MANGLE_BUILTINS: [&str; 5] = ["prerouting", "forward", "output", "postrouting", "input"];
const NAT_BUILTINS: [&str; 2] = ["srcnat", "dstnat"];

struct Ctx<'a> {
    r: &'a Resolver<'a>,
    lists: HashMap<&'a str, u64>,
    conn_marks: &'a mut Marks,
    packet_marks: &'a mut Marks,
}

pub(super) fn compile(
    mangle: &[MangleItem],
    nat: &[NatItem],
    lists: &[InterfaceListItem],
    members: &[InterfaceListMemberItem],
    r: &Resolver,
    conn_marks: &mut Marks,
    packet_marks: &mut Marks,
) -> Result<super::RuleSet, RuleError> {
    let mut sets: HashMap<&str, u64> = HashMap::new();
    sets.insert("all", u64::MAX);
    sets.insert("none", 0);
    sets.insert("dynamic", 0);
    for (i, l) in lists.iter().enumerate() {
        if l.name.is_empty() {
            return Err(err(INTERFACE_LIST, i, "name", "name is required".into()));
        }
        if sets.insert(&l.name, 0).is_some() {
            return Err(err(
                INTERFACE_LIST,
                i,
                "name",
                format!("interface list '{}' already exists", l.name),
            ));
        }
    }
    for (i, m) in members.iter().enumerate() {
        let e = |p, msg| err(INTERFACE_LIST_MEMBER, i, p, msg);
        if m.list.is_empty() {
            return Err(e("list", "list is required".into()));
        }
        if m.interface.is_empty() {
            return Err(e("interface", "interface is required".into()));
        }
        if BUILTIN_LISTS.contains(&m.list.as_str()) || !sets.contains_key(m.list.as_str()) {
            return Err(e(
                "list",
                format!("no interface list named '{}' in {INTERFACE_LIST}", m.list),
            ));
        }
        let port = (r.port_of)(&m.interface)
            .ok_or_else(|| e("interface", format!("no interface named '{}'", m.interface)))?;
        if port >= 64 {
            return Err(e(
                "interface",
                format!(
                    "interface '{}' has port {port}; lists hold ports 0..63",
                    m.interface
                ),
            ));
        }
        if !m.disabled {
            *sets.get_mut(m.list.as_str()).expect("checked above") |= 1 << port;
        }
    }
    let mut cx = Ctx {
        r,
        lists: sets,
        conn_marks,
        packet_marks,
    };

    let mut entries = Vec::new();
    for (i, it) in mangle.iter().enumerate() {
        let e = |p, msg| err(MANGLE, i, p, msg);
        let matchers = cx.matchers(&it.matchers, MANGLE, i)?;
        let (prop, name) = match it.action {
            MangleAction::MarkConnection => ("new-connection-mark", &it.new_connection_mark),
            MangleAction::MarkRouting => ("new-routing-mark", &it.new_routing_mark),
            MangleAction::MarkPacket => ("new-packet-mark", &it.new_packet_mark),
            _ => ("", &None),
        };
        let stop = !it.passthrough;
        let step = match it.action {
            MangleAction::Accept => Step::Accept,
            MangleAction::Passthrough => Step::Passthrough,
            MangleAction::Return => Step::Return,
            MangleAction::Jump => Step::Jump(0),
            a => {
                let name = name
                    .as_deref()
                    .ok_or_else(|| e(prop, format!("action={} needs {prop}", a.name())))?;
                let mark = match a {
                    MangleAction::MarkConnection => {
                        Mark::Connection(intern(cx.conn_marks, name).map_err(|m| e(prop, m))?)
                    }
                    MangleAction::MarkPacket => {
                        Mark::Packet(intern(cx.packet_marks, name).map_err(|m| e(prop, m))?)
                    }
                    _ => {
                        if !matches!(it.chain.as_str(), "prerouting" | "output")
                            && MANGLE_BUILTINS.contains(&it.chain.as_str())
                        {
                            return Err(e(
                                "action",
                                format!("mark-routing works only in the prerouting and output chains, not in {}", it.chain),
                            ));
                        }
                        Mark::Routing(cx.table(name).map_err(|m| e(prop, m))?)
                    }
                };
                Step::Do(MarkAction { mark, stop })
            }
        };
        entries.push(Entry {
            index: i,
            chain: &it.chain,
            jump: (it.action == MangleAction::Jump).then_some(it.jump_target.as_deref()),
            disabled: it.disabled,
            matchers,
            step,
        });
    }
    let mangle_table = build(MANGLE, &MANGLE_BUILTINS, entries, mangle.len())?;

    let mut entries = Vec::new();
    for (i, it) in nat.iter().enumerate() {
        let e = |p, msg| err(NAT, i, p, msg);
        let matchers = cx.matchers(&it.matchers, NAT, i)?;
        let translates = matches!(it.action, NatAction::Masquerade | NatAction::SrcNat);
        if translates && it.chain == "dstnat" {
            return Err(e(
                "action",
                format!("action={} works only in srcnat", it.action.name()),
            ));
        }
        if !translates {
            if it.to_addresses.is_some() {
                return Err(e(
                    "to-addresses",
                    format!("action={} takes no to-addresses", it.action.name()),
                ));
            }
            if it.to_ports.is_some() {
                return Err(e(
                    "to-ports",
                    format!("action={} takes no to-ports", it.action.name()),
                ));
            }
        }
        let step = match it.action {
            NatAction::Accept => Step::Accept,
            NatAction::Passthrough => Step::Passthrough,
            NatAction::Return => Step::Return,
            NatAction::Jump => Step::Jump(0),
            NatAction::Masquerade => {
                if it.to_addresses.is_some() {
                    return Err(e("to-addresses", "masquerade uses the outgoing interface's address; use src-nat for a given one".into()));
                }
                let ports = to_ports(it.to_ports).map_err(|m| e("to-ports", m))?;
                Step::Do(SrcNat::Masquerade { ports })
            }
            NatAction::SrcNat => {
                let addr = it
                    .to_addresses
                    .ok_or_else(|| e("to-addresses", "action=src-nat needs to-addresses".into()))?;
                Step::Do(SrcNat::To {
                    addr: addr.into(),
                    ports: to_ports(it.to_ports).map_err(|m| e("to-ports", m))?,
                })
            }
        };
        entries.push(Entry {
            index: i,
            chain: &it.chain,
            jump: (it.action == NatAction::Jump).then_some(it.jump_target.as_deref()),
            disabled: it.disabled,
            matchers,
            step,
        });
    }
    let nat_table = build(NAT, &NAT_BUILTINS, entries, nat.len())?;
    Ok(super::RuleSet {
        mangle: mangle_table,
        nat: nat_table,
        version: 0,
    })
}

/// The ports a translating rule's `to-ports` lets it use: port 0 is no port (a connection
/// translated to it could not be told from one without ports), so a range that starts there
/// starts at 1, and `to-ports=0` alone is refused.
fn to_ports(p: Option<(u16, u16)>) -> Result<Option<(u16, u16)>, String> {
    match p {
        Some((_, 0)) => Err("port 0 cannot be translated to".into()),
        Some((first, last)) => Ok(Some((first.max(1), last))),
        None => Ok(None),
    }
}

fn intern(marks: &mut Marks, name: &str) -> Result<u16, String> {
    if name == "no-mark" {
        return Ok(0);
    }
    marks
        .try_id(name)
        .ok_or_else(|| "too many distinct mark names".to_string())
}

impl Ctx<'_> {
    fn table(&self, name: &str) -> Result<u8, String> {
        if name == MAIN_TABLE {
            return Ok(0);
        }
        (self.r.table_of)(name)
            .ok_or_else(|| format!("no routing table named '{name}' with fib in /routing/table"))
    }

    fn matchers(
        &mut self,
        m: &Matchers,
        menu: &'static str,
        i: usize,
    ) -> Result<Box<[Match]>, RuleError> {
        let e = |p, msg| err(menu, i, p, msg);
        m.check().map_err(|(p, msg)| e(p, msg))?;
        let mut out = Vec::new();
        let port = |p: &'static str, n: &Neg<String>| -> Result<u16, RuleError> {
            (self.r.port_of)(&n.value)
                .ok_or_else(|| e(p, format!("no interface named '{}'", n.value)))
        };
        if let Some(n) = &m.in_interface {
            out.push(Match::InPort {
                port: port("in-interface", n)?,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.out_interface {
            out.push(Match::OutPort {
                port: port("out-interface", n)?,
                neg: n.neg,
            });
        }
        let list = |p: &'static str, n: &Neg<String>| -> Result<u64, RuleError> {
            self.lists.get(n.value.as_str()).copied().ok_or_else(|| {
                e(
                    p,
                    format!("no interface list named '{}' in {INTERFACE_LIST}", n.value),
                )
            })
        };
        if let Some(n) = &m.in_interface_list {
            out.push(Match::InList {
                ports: list("in-interface-list", n)?,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.out_interface_list {
            out.push(Match::OutList {
                ports: list("out-interface-list", n)?,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.connection_state {
            out.push(Match::State {
                bits: n.value.0,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.connection_mark {
            let id = intern(self.conn_marks, &n.value).map_err(|msg| e("connection-mark", msg))?;
            out.push(Match::ConnMark { id, neg: n.neg });
        }
        if let Some(n) = &m.packet_mark {
            let id = intern(self.packet_marks, &n.value).map_err(|msg| e("packet-mark", msg))?;
            out.push(Match::PacketMark { id, neg: n.neg });
        }
        if let Some(n) = &m.routing_mark {
            let table = self.table(&n.value).map_err(|msg| e("routing-mark", msg))?;
            out.push(Match::RoutingMark { table, neg: n.neg });
        }
        if let Some(n) = &m.src_address {
            let p = n.value.0;
            out.push(Match::SrcAddr {
                net: p.network_u32(),
                mask: crate::net::mask(p.len()),
                neg: n.neg,
            });
        }
        if let Some(n) = &m.dst_address {
            let p = n.value.0;
            out.push(Match::DstAddr {
                net: p.network_u32(),
                mask: crate::net::mask(p.len()),
                neg: n.neg,
            });
        }
        if let Some(n) = &m.src_address_type {
            out.push(Match::SrcType {
                bits: n.value.0,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.dst_address_type {
            out.push(Match::DstType {
                bits: n.value.0,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.protocol {
            out.push(Match::Proto {
                proto: n.value.0,
                neg: n.neg,
            });
        }
        if let Some(n) = &m.src_port {
            out.push(Match::SrcPort {
                ranges: n.value.0.clone().into(),
                neg: n.neg,
            });
        }
        if let Some(n) = &m.dst_port {
            out.push(Match::DstPort {
                ranges: n.value.0.clone().into(),
                neg: n.neg,
            });
        }
        // The classifier hashes: the most expensive test goes last.
        if let Some(n) = &m.per_connection_classifier {
            let p = n.value;
            out.push(Match::Pcc {
                fields: p.fields,
                denominator: p.denominator,
                remainder: p.remainder,
                neg: n.neg,
            });
        }
        Ok(out.into())
    }
}
