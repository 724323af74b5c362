//! The compiled form of a table: rules as short lists of enum matchers and an action,
//! chains as index ranges of the rule array.

use super::pcc::PccFields;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Match {
    InPort {
        port: u16,
        neg: bool,
    },
    OutPort {
        port: u16,
        neg: bool,
    },
    InList {
        ports: u64,
        neg: bool,
    },
    OutList {
        ports: u64,
        neg: bool,
    },
    State {
        bits: u8,
        neg: bool,
    },
    ConnMark {
        id: u16,
        neg: bool,
    },
    PacketMark {
        id: u16,
        neg: bool,
    },
    RoutingMark {
        table: u8,
        neg: bool,
    },
    SrcAddr {
        net: u32,
        mask: u32,
        neg: bool,
    },
    DstAddr {
        net: u32,
        mask: u32,
        neg: bool,
    },
    SrcType {
        bits: u8,
        neg: bool,
    },
    DstType {
        bits: u8,
        neg: bool,
    },
    Proto {
        proto: u8,
        neg: bool,
    },
    SrcPort {
        ranges: Box<[(u16, u16)]>,
        neg: bool,
    },
    DstPort {
        ranges: Box<[(u16, u16)]>,
        neg: bool,
    },
    Pcc {
        fields: PccFields,
        denominator: u32,
        remainder: u32,
        neg: bool,
    },
}

/// What a mangle rule writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Connection(u16),
    Routing(u8),
    Packet(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct MarkAction {
    pub mark: Mark,
    /// `passthrough=no`: the chain stops after marking.
    pub stop: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step<A> {
    Do(A),
    Accept,
    Passthrough,
    Jump(u32),
    Return,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rule<A> {
    pub matchers: Box<[Match]>,
    pub step: Step<A>,
    /// The item's index, for the hit counters.
    pub item: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Chain {
    pub name: String,
    pub start: u32,
    pub end: u32,
}

/// One table (mangle or NAT): rules grouped by chain.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Table<A> {
    pub rules: Vec<Rule<A>>,
    pub chains: Vec<Chain>,
    /// The chain index of each built-in chain (by the table's built-in order), if it has
    /// enabled rules.
    pub builtin: [Option<u32>; 5],
    /// Items compiled, enabled or not.
    pub items: usize,
}

impl<A> Table<A> {
    pub fn empty(items: usize) -> Self {
        Table {
            rules: Vec::new(),
            chains: Vec::new(),
            builtin: [None; 5],
            items,
        }
    }

    pub fn has(&self, builtin: usize) -> bool {
        self.builtin[builtin].is_some()
    }
}
