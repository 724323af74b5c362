//! Mangle, NAT and the per-connection classifier.
//!
//! The RouterOS menus (`/interface/list`, `/interface/list/member`, `/ip/firewall/mangle`,
//! `/ip/firewall/nat`) are typed items in [`items`], built property by property from RouterOS
//! text. The control core compiles them ([`RuleSet::compile`]) into a form the workers run
//! per packet without string comparisons: each rule is the short list of matchers it uses and
//! an action, chains are index ranges, jump targets chain indices, interface lists bit sets
//! of ports, and mark names small ids ([`Marks`]).

mod chains;
mod compile;
mod eval;
mod hits;
pub mod items;
mod matchers;
pub mod pcc;
mod rules;
pub mod values;

use std::collections::HashMap;
use std::fmt;

pub use compile::RuleError;
pub use hits::{add_to, Hits, Matched, MATCHED_MAX};
pub use items::{
    InterfaceListItem, InterfaceListMemberItem, Item, MangleAction, MangleItem, NatAction, NatItem,
    INTERFACE_LIST, INTERFACE_LIST_MEMBER, MANGLE, NAT,
};
pub use matchers::Matchers;
pub use pcc::{classify, PccFields};
pub use values::{ADDR_BROADCAST, ADDR_LOCAL, ADDR_MULTICAST, ADDR_UNICAST};

use crate::flow::{ConnState, FlowKey, NO_PORT};

/// Where in the packet path a mangle chain runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    Prerouting,
    Forward,
    Output,
    Postrouting,
}

impl Hook {
    pub const ALL: [Hook; 4] = [
        Hook::Prerouting,
        Hook::Forward,
        Hook::Output,
        Hook::Postrouting,
    ];

    /// The built-in chain RouterOS runs at this hook.
    pub fn chain(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
        }
    }
}

/// What mangle and NAT see of a packet. Fields are filled by the caller (the worker's
/// pipeline); mangle's actions write the marks back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub in_port: u16,
    /// [`NO_PORT`] when none (prerouting, or not routed yet).
    pub out_port: u16,
    /// The packet's own addresses, ports and protocol.
    pub key: FlowKey,
    /// Address-type bit sets: [`ADDR_LOCAL`] | [`ADDR_UNICAST`] | [`ADDR_BROADCAST`] |
    /// [`ADDR_MULTICAST`].
    pub src_type: u8,
    pub dst_type: u8,
    pub state: ConnState,
    /// 0 = no-mark.
    pub conn_mark: u16,
    /// The routing table id; 0 = main = no mark.
    pub routing_mark: u8,
    /// 0 = no-mark.
    pub packet_mark: u16,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            in_port: NO_PORT,
            out_port: NO_PORT,
            key: FlowKey::default(),
            src_type: 0,
            dst_type: 0,
            state: ConnState::New,
            conn_mark: 0,
            routing_mark: 0,
            packet_mark: 0,
        }
    }
}

/// Names interned to small ids (1..; 0 is "no-mark"). Kept by the control core across
/// recompiles, so that ids stored in connections keep their meaning.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    names: Vec<String>,
    ids: HashMap<String, u16>,
}

impl Marks {
    pub fn new() -> Self {
        Marks::default()
    }

    /// The id of `name`, allocated on first use; `None` when all 65535 ids are taken.
    pub fn try_id(&mut self, name: &str) -> Option<u16> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        let id = u16::try_from(self.names.len() + 1).ok()?;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        Some(id)
    }

    /// The id of `name`, allocated on first use.
    ///
    /// # Panics
    /// When 65535 names are already interned (compile uses [`Marks::try_id`] and reports it).
    pub fn id(&mut self, name: &str) -> u16 {
        self.try_id(name).expect("mark ids exhausted")
    }

    pub fn name(&self, id: u16) -> Option<&str> {
        let i = usize::from(id).checked_sub(1)?;
        self.names.get(i).map(String::as_str)
    }

    pub fn lookup(&self, name: &str) -> Option<u16> {
        self.ids.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// How compile turns names into what the packet path uses.
pub struct Resolver<'a> {
    /// An interface name to its port index.
    pub port_of: &'a dyn Fn(&str) -> Option<u16>,
    /// A routing table name to its id, for tables with `fib`; `main` is 0.
    pub table_of: &'a dyn Fn(&str) -> Option<u8>,
}

/// What srcnat decided for a new connection's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrcNat {
    /// Leave the source alone.
    None,
    /// The outgoing interface's address, and a port range if any (host order, port 0
    /// excluded).
    Masquerade { ports: Option<(u16, u16)> },
    /// A given address, and a port range if any (host order, port 0 excluded).
    To {
        addr: u32,
        ports: Option<(u16, u16)>,
    },
}

/// The compiled mangle and NAT rules, shared read-only by the workers.
#[derive(Debug, Clone)]
pub struct RuleSet {
    mangle: rules::Table<rules::MarkAction>,
    nat: rules::Table<SrcNat>,
    /// Which rules these are: the control core numbers each set it installs, and the
    /// workers' rule counters start over when it changes (see [`RuleSet::set_version`]; the
    /// control core carries the counts of unchanged items over).
    version: u64,
}

impl RuleSet {
    /// No rules: mangle changes nothing, srcnat translates nothing.
    pub fn empty() -> RuleSet {
        RuleSet {
            mangle: rules::Table::empty(0),
            nat: rules::Table::empty(0),
            version: 0,
        }
    }

    /// Compiles the items; the error names the rule's menu, index and property.
    pub fn compile(
        mangle: &[MangleItem],
        nat: &[NatItem],
        lists: &[InterfaceListItem],
        members: &[InterfaceListMemberItem],
        r: &Resolver,
        conn_marks: &mut Marks,
        packet_marks: &mut Marks,
    ) -> Result<RuleSet, String> {
        compile::compile(mangle, nat, lists, members, r, conn_marks, packet_marks)
            .map_err(|e| e.to_string())
    }

    /// Like [`RuleSet::compile`], with the error as data.
    pub fn compile_checked(
        mangle: &[MangleItem],
        nat: &[NatItem],
        lists: &[InterfaceListItem],
        members: &[InterfaceListMemberItem],
        r: &Resolver,
        conn_marks: &mut Marks,
        packet_marks: &mut Marks,
    ) -> Result<RuleSet, RuleError> {
        compile::compile(mangle, nat, lists, members, r, conn_marks, packet_marks)
    }

    /// The number the control core gave these rules (0 until it gives one).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Numbers the rules: workers and the control core count rule hits per version, and
    /// start over from zero on a new one.
    pub fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// Whether `o` decides every packet as these rules do (their versions aside): the
    /// same compiled rules, chains and item numbers.
    pub fn same_rules(&self, o: &RuleSet) -> bool {
        self.mangle == o.mangle && self.nat == o.nat
    }

    /// Whether the hook's chain has an enabled rule (the packet path skips it otherwise).
    pub fn has_mangle(&self, hook: Hook) -> bool {
        self.mangle.has(hook as usize)
    }

    /// Whether any rule needs connection tracking (RouterOS's `enabled=auto`).
    pub fn active(&self) -> bool {
        self.has_nat() || Hook::ALL.iter().any(|h| self.has_mangle(*h))
    }

    /// Whether the srcnat chain has an enabled rule.
    pub fn has_nat(&self) -> bool {
        self.nat.has(0)
    }

    /// The number of mangle items compiled (the size of the `hits` array).
    pub fn mangle_len(&self) -> usize {
        self.mangle.items
    }

    /// The names of the mangle chains, built-in and user, in order of first appearance.
    pub fn mangle_chains(&self) -> Vec<&str> {
        self.mangle.chains.iter().map(|c| c.name.as_str()).collect()
    }

    /// The number of NAT items compiled.
    pub fn nat_len(&self) -> usize {
        self.nat.items
    }

    /// Runs the hook's built-in mangle chain on `m`: rules in order; `mark-*` set the marks
    /// (`passthrough=no` then stops), `accept` stops, `jump`/`return` as RouterOS (a return
    /// in a built-in chain ends it). Each matching rule is counted in `hits`.
    #[inline]
    pub fn mangle(&self, hook: Hook, m: &mut Meta, hits: &mut Hits) {
        eval::mangle(&self.mangle, hook as usize, m, hits)
    }

    /// Runs the srcnat chain for a new connection: the first masquerade or src-nat that
    /// matches decides; `accept` or the end of the chain means no translation.
    #[inline]
    pub fn srcnat(&self, m: &Meta) -> SrcNat {
        self.srcnat_counted(m, &mut Hits::new(&mut [], 0, &mut Matched::default()))
    }

    /// [`srcnat`](Self::srcnat), each matching rule counted in `hits`.
    #[inline]
    pub fn srcnat_counted(&self, m: &Meta, hits: &mut Hits) -> SrcNat {
        eval::srcnat(&self.nat, m, hits)
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}].{}: {}",
            self.menu, self.index, self.property, self.message
        )
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_chains;
#[cfg(test)]
mod tests_items;
#[cfg(test)]
mod tests_pcc;
