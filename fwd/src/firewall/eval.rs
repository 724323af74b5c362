//! Running the compiled rules on a packet: no allocation, no string comparison.

use super::pcc;
use super::rules::{Mark, MarkAction, Match, Step, Table};
use super::{Hits, Meta, SrcNat};

#[inline]
fn port_in(ports: u64, port: u16) -> bool {
    port < 64 && ports & (1 << port) != 0
}

#[inline]
fn in_ranges(ranges: &[(u16, u16)], port: u16) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= port && port <= hi)
}

#[inline]
fn test(x: &Match, m: &Meta) -> bool {
    match *x {
        Match::InPort { port, neg } => (m.in_port == port) != neg,
        Match::OutPort { port, neg } => (m.out_port == port) != neg,
        Match::InList { ports, neg } => port_in(ports, m.in_port) != neg,
        Match::OutList { ports, neg } => port_in(ports, m.out_port) != neg,
        Match::State { bits, neg } => (m.state.bit() & bits != 0) != neg,
        Match::ConnMark { id, neg } => (m.conn_mark == id) != neg,
        Match::PacketMark { id, neg } => (m.packet_mark == id) != neg,
        Match::RoutingMark { table, neg } => (m.routing_mark == table) != neg,
        Match::SrcAddr { net, mask, neg } => (m.key.src & mask == net) != neg,
        Match::DstAddr { net, mask, neg } => (m.key.dst & mask == net) != neg,
        Match::SrcType { bits, neg } => (m.src_type & bits != 0) != neg,
        Match::DstType { bits, neg } => (m.dst_type & bits != 0) != neg,
        Match::Proto { proto, neg } => (m.key.proto == proto) != neg,
        Match::SrcPort { ref ranges, neg } => in_ranges(ranges, m.key.sport) != neg,
        Match::DstPort { ref ranges, neg } => in_ranges(ranges, m.key.dport) != neg,
        Match::Pcc {
            fields,
            denominator,
            remainder,
            neg,
        } => pcc::matches(fields, denominator, remainder, &m.key) != neg,
    }
}

/// How a chain ended.
#[derive(PartialEq, Eq)]
enum Flow {
    /// The end of the chain or a `return`: the caller goes on.
    Continue,
    /// `accept` or a decisive action: the whole table is done.
    Stop,
}

/// Runs chain `c`; `act` applies a rule's own action and says whether it stops the table.
fn run<A: Copy>(
    t: &Table<A>,
    c: u32,
    m: &mut Meta,
    hits: &mut Hits,
    act: &mut impl FnMut(A, &mut Meta) -> bool,
) -> Flow {
    let chain = &t.chains[c as usize];
    for rule in &t.rules[chain.start as usize..chain.end as usize] {
        if !rule.matchers.iter().all(|x| test(x, m)) {
            continue;
        }
        hits.hit(rule.item);
        match rule.step {
            Step::Do(a) => {
                if act(a, m) {
                    return Flow::Stop;
                }
            }
            Step::Accept => return Flow::Stop,
            Step::Passthrough => {}
            Step::Return => return Flow::Continue,
            // Loops are refused at compile time, and depth bounded.
            Step::Jump(target) => {
                if run(t, target, m, hits, act) == Flow::Stop {
                    return Flow::Stop;
                }
            }
        }
    }
    Flow::Continue
}

pub(super) fn mangle(t: &Table<MarkAction>, builtin: usize, m: &mut Meta, hits: &mut Hits) {
    let Some(c) = t.builtin[builtin] else {
        return;
    };
    run(t, c, m, hits, &mut |a: MarkAction, m: &mut Meta| {
        match a.mark {
            Mark::Connection(id) => m.conn_mark = id,
            Mark::Routing(table) => m.routing_mark = table,
            Mark::Packet(id) => m.packet_mark = id,
        }
        a.stop
    });
}

pub(super) fn srcnat(t: &Table<SrcNat>, m: &Meta, hits: &mut Hits) -> SrcNat {
    let Some(c) = t.builtin[0] else {
        return SrcNat::None;
    };
    let mut meta = *m;
    let mut out = SrcNat::None;
    run(t, c, &mut meta, hits, &mut |a: SrcNat, _: &mut Meta| {
        out = a;
        true
    });
    out
}
