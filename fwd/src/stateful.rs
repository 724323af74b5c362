//! The stateful packet path: connection tracking, mangle (marks and PCC), policy routing by
//! routing mark, and masquerade — what a worker runs instead of the plain forwarding path
//! once the configuration has mangle or NAT rules.
//!
//! The order follows RouterOS (Linux netfilter): conntrack, mangle prerouting (which sees a
//! reply still addressed to the translated address), de-translation of replies, routing in
//! the table the routing mark names (falling back to main), mangle forward and postrouting,
//! source NAT of a new connection, then the TTL and Ethernet rewrite.
//!
//! Per packet: one table lookup, the compiled rules of the chains that have any, no lock,
//! no allocation. Each worker owns its `Stateful`; both directions of a connection must reach
//! the same worker (one worker, or RSS with NAT ports chosen per worker).

use crate::conntrack::{self, Dir, InsertError, Table, Timeouts};
use crate::counters::DropReason;
use crate::fib::Tables;
use crate::firewall::{self, Hits, Hook, Matched, Meta, RuleSet, SrcNat};
use crate::flow::{ConnState, FlowKey, NO_PORT};
use crate::forward::{self, Punt, Resolved, Verdict};
use crate::nat::{self, Class, PortRange, PortShare};
use crate::packet::ether;
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use crate::rss::{worker_of, RssPorts};

/// Expiry goes round the whole table in about this many milliseconds (so a connection
/// outlives its timeout by at most about that much).
pub const EXPIRY_SWEEP_MS: u64 = 1000;
/// Slots looked at by one expiry call at most, so that a late worker never stalls long.
const EXPIRY_MAX: u64 = 4096;
/// Free-port probes before a new connection is refused for want of a NAT port.
const PORT_TRIES: usize = 64;
/// Ports looked at, at most, for one whose reply the device steers to this worker (1 in
/// `workers` does; each look is two table loads).
const STEER_WALK: usize = 4096;

/// A worker's connection state and the counters that go with it.
pub struct Stateful {
    pub conns: Table,
    /// Packets and bytes per mangle and NAT rule.
    pub rules: RuleCounters,
    /// Ports this worker may translate to when no `to-ports` says otherwise (only those of
    /// them it owns where replies are owned by port, see [`Stateful::share`]).
    pub range: PortRange,
    /// This worker's index, and how many workers there are: who owns what.
    pub worker: usize,
    pub workers: usize,
    /// The RSS of the ports, where the devices have it: replies are steered by NAT port.
    pub rss: RssPorts,
    /// Connections created.
    pub created: u64,
    /// When expiry last ran (ms).
    expired_at: u64,
    /// The ports of fragmented datagrams, from their first fragments.
    frags: frags::Frags,
}

impl Stateful {
    /// The state of worker `worker` of `workers`. A single worker translates to any port;
    /// several leave the well-known ports (below 1024) alone unless `to-ports` names them.
    pub fn new(capacity: usize, timeouts: &Timeouts, worker: usize, workers: usize) -> Stateful {
        let workers = workers.max(1);
        Stateful {
            conns: Table::new(capacity, timeouts),
            rules: RuleCounters::default(),
            range: if workers == 1 {
                PortRange::ALL
            } else {
                PortRange::UNPRIVILEGED
            },
            worker: worker.min(workers - 1),
            workers,
            rss: RssPorts::default(),
            created: 0,
            expired_at: 0,
            frags: frags::Frags::default(),
        }
    }

    /// Removes expired connections: called every round, it looks at the slots due since the
    /// last call (the table once per `EXPIRY_SWEEP_MS`), a few at a time — not 64 per round
    /// whatever the rate, which at millions of rounds a second would stream the whole table
    /// through the caches many times a second.
    #[inline]
    pub fn expire(&mut self, now_ms: u64) {
        if now_ms <= self.expired_at || self.conns.is_empty() {
            self.expired_at = self.expired_at.max(now_ms);
            return;
        }
        let cap = self.conns.capacity() as u64;
        let due = ((now_ms - self.expired_at) * cap).div_ceil(EXPIRY_SWEEP_MS);
        self.expired_at = now_ms;
        self.conns
            .expire(now_ms, due.min(EXPIRY_MAX) as usize, |_| {});
    }

    /// The ports whose replies are this worker's where replies are owned by port (owner.rs):
    /// what it translates to on devices without RSS.
    #[inline]
    pub fn share(&self) -> PortShare {
        PortShare {
            worker: self.worker,
            workers: self.workers,
        }
    }

    /// Connections whose source is translated (NAT ports in use).
    pub fn translated(&self) -> usize {
        self.conns.nat_use().total as usize
    }
}

/// The address-type bits of `addr`, for `src-address-type`/`dst-address-type`.
#[inline]
pub(crate) fn addr_type(t: &Tables, addr: u32) -> u8 {
    if addr == u32::MAX {
        return firewall::ADDR_BROADCAST;
    }
    if addr >> 28 == 0xe {
        return firewall::ADDR_MULTICAST;
    }
    match t.route(0, addr) {
        Some(lb) if lb.mask == 0 && lb.offset == 0 => firewall::ADDR_LOCAL,
        _ => firewall::ADDR_UNICAST,
    }
}

/// Decides a frame's fate with connection tracking and the rules of `rules`: every case
/// (the worker's burst loop takes the common one through [`burst`]'s lanes first).
pub fn process(
    frame: &mut [u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
    now_ms: u64,
) -> Verdict {
    let total_len = match forward::ingress_fast(frame, in_port, hw_checksum, t) {
        Ok(n) => n,
        Err(v) => return v,
    };
    let end = ether::HEADER_LEN + total_len;
    match nat::classify(&frame[ether::HEADER_LEN..end]) {
        Class::Flow { key, tcp_flags } => {
            let seen = Seen::new(key, tcp_flags, false);
            flow(frame, end, in_port, seen, t, rules, st, now_ms)
        }
        Class::IcmpError { outer, inner } => {
            related(frame, end, in_port, outer, inner, t, rules, st)
        }
        Class::Fragment {
            key,
            ident,
            first,
            tcp_flags,
        } => {
            // The ports of the datagram are those of its first fragment (see `frags`).
            let key = if first {
                st.frags.remember(&key, ident, st.worker, now_ms);
                key
            } else {
                match st.frags.recall(&key, ident, now_ms) {
                    Some((k, _)) => k,
                    None if addr_type(t, key.dst) == firewall::ADDR_LOCAL => {
                        return Verdict::Punt(Punt::Local)
                    }
                    None => return Verdict::Drop(DropReason::Fragment),
                }
            };
            let seen = Seen::new(key, tcp_flags, !first);
            flow(frame, end, in_port, seen, t, rules, st, now_ms)
        }
        Class::Malformed => Verdict::Drop(DropReason::Malformed),
    }
}

/// A flow's packet as read before the connection table (`burst` builds it for its lanes).
#[derive(Clone, Copy, Debug)]
struct Seen {
    key: FlowKey,
    /// [`Table::hash`] of `key`.
    hash: u64,
    tcp_flags: u8,
    /// A later fragment of a datagram (see `frags`).
    later: bool,
    /// Where the key's connection likely is ([`Table::prefetch_entry`]), or `NO_HINT`.
    hint: u32,
    /// Its header and transport header passed the burst lanes' stage one (an options-less,
    /// unfragmented TCP or UDP datagram whose transport header the rewrites accept): the
    /// cached path's translation need not check them again.
    checked: bool,
}

impl Seen {
    /// A packet read by [`process`]: no hint, nothing checked ahead.
    #[inline]
    fn new(key: FlowKey, tcp_flags: u8, later: bool) -> Seen {
        Seen {
            key,
            hash: Table::hash(&key),
            tcp_flags,
            later,
            hint: conntrack::NO_HINT,
            checked: false,
        }
    }
}

/// A packet of a flow: tracked, marked, routed, translated. A `later` fragment (see
/// `frags`) belongs to a connection its first fragment found or opened: it neither opens one
/// nor moves its state. Inlined (into the burst loop): the common packet of a connection
/// with a cached decision costs no call; [`decide`] takes the rest.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn flow(
    frame: &mut [u8],
    end: usize,
    in_port: u16,
    p: Seen,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
    now_ms: u64,
) -> Verdict {
    let Seen {
        key,
        hash,
        tcp_flags,
        later,
        hint,
        checked,
    } = p;
    let (found, state) = match st.conns.lookup_hinted(&key, hash, hint) {
        Some((id, dir)) if later => (Some((id, dir)), st.conns.state(id)),
        Some((id, dir)) => match st.conns.track(id, dir, tcp_flags, now_ms) {
            ConnState::Invalid => return Verdict::Drop(DropReason::ConntrackInvalid),
            s => (Some((id, dir)), s),
        },
        // To the router and not a reply of a translated connection: the control core's.
        None if addr_type(t, key.dst) == firewall::ADDR_LOCAL => return Verdict::Punt(Punt::Local),
        // The first fragment opened nothing (it was dropped): neither does the rest.
        None if later => return Verdict::Drop(DropReason::Fragment),
        // A stray reset or FIN opens nothing (loose tracking still picks up a bare ACK).
        None if key.proto == PROTO_TCP && !conntrack::can_create(tcp_flags) => {
            return Verdict::Drop(DropReason::ConntrackInvalid)
        }
        None => (None, ConnState::New),
    };
    if let Some((id, dir)) = found {
        if let Some(v) = cached(frame, end, in_port, id, dir, state, checked, t, st) {
            return v;
        }
    }
    decide(
        frame, end, in_port, key, tcp_flags, found, state, t, rules, st, now_ms,
    )
}

/// A packet of a flow without a cached decision (the first of its connection or of its
/// direction, or the first since something changed), tracked as `state`: the rules, the
/// route, the translation; the decision is cached for the next packets when it can be.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn decide(
    frame: &mut [u8],
    end: usize,
    in_port: u16,
    key: FlowKey,
    tcp_flags: u8,
    found: Option<(u32, Dir)>,
    state: ConnState,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
    now_ms: u64,
) -> Verdict {
    // The mark the packet arrives with: what a cached decision is valid for.
    let mark_in = found
        .and_then(|(id, _)| st.conns.get(id))
        .map_or(0, |c| c.mark());
    let mut m = Meta {
        in_port,
        out_port: NO_PORT,
        key,
        src_type: addr_type(t, key.src),
        dst_type: addr_type(t, key.dst),
        state,
        conn_mark: mark_in,
        routing_mark: 0,
        packet_mark: 0,
    };
    // The items the rules match, for the counters of the packets that reuse the decision.
    let mut matched = Matched::default();
    let bytes = frame.len() as u64;
    if rules.has_mangle(Hook::Prerouting) {
        let mut hits = Hits::new(&mut st.rules.mangle, bytes, &mut matched);
        rules.mangle(Hook::Prerouting, &mut m, &mut hits);
    }
    let l3 = &mut frame[ether::HEADER_LEN..end];
    let mut dst = key.dst;
    if let Some(c) = found.and_then(|(id, _)| st.conns.get_mut(id)) {
        let dir = found.map_or(Dir::Original, |f| f.1);
        c.set_mark(m.conn_mark);
        if dir == Dir::Reply && c.is_nat() {
            // Replies are de-translated before routing.
            let (addr, port) = (c.orig.src, c.orig.sport);
            if nat::set_destination(l3, addr, port).is_err() {
                return Verdict::Drop(DropReason::Malformed);
            }
            dst = addr;
        }
    }
    let (port, mac, counter) = match forward::resolve(dst, l3, m.routing_mark, t) {
        Ok(Resolved::Out {
            port, mac, counter, ..
        }) => (port, mac, counter),
        // A reply de-translated to one of our own addresses, or a new flow to us.
        Ok(Resolved::Local) => return Verdict::Punt(Punt::Local),
        Err(v) => return forward::expiring(l3, v),
    };
    let big = match forward::check_out(l3, port, t) {
        Ok(b) => b,
        Err(v) => return v,
    };
    after_routing(
        &mut m,
        port,
        rules,
        &mut Hits::new(&mut st.rules.mangle, bytes, &mut matched),
    );
    let (id, dir) = match found {
        Some(f) => f,
        None => match open(&key, tcp_flags, &m, bytes, t, rules, st, now_ms) {
            Ok(id) => (id, Dir::Original),
            Err(r) => return Verdict::Drop(r),
        },
    };
    // The next packets of the direction are counted under the route's counter, or the
    // class of the route and the items matched (`rule_counters`).
    let class = if m.conn_mark == mark_in {
        st.rules.class(counter, &matched)
    } else {
        None
    };
    let Some(c) = st.conns.get_mut(id) else {
        return Verdict::Drop(DropReason::ConntrackInvalid);
    };
    // What decided this packet decides the next ones of this direction (`Conn::path`),
    // unless the rules changed the connection's mark: the next packet then arrives with
    // another mark, which the rules may treat otherwise.
    c.set_mark(m.conn_mark);
    match class {
        Some(class) => c.set_path(dir, in_port, t.generation, state, port, mac.0, class),
        _ => c.clear_path(dir),
    }
    if dir == Dir::Original && c.is_nat() {
        let (addr, port) = (c.reply.dst, c.reply.dport);
        if nat::set_source(l3, addr, port).is_err() {
            return Verdict::Drop(DropReason::Malformed);
        }
    }
    forward::fragmenting(forward::transmit(frame, port, mac, counter, t), big)
}

/// The chains that see the outgoing interface: mangle forward, then postrouting.
#[inline]
fn after_routing(m: &mut Meta, port: u16, rules: &RuleSet, hits: &mut Hits) {
    m.out_port = port;
    for hook in [Hook::Forward, Hook::Postrouting] {
        if rules.has_mangle(hook) {
            rules.mangle(hook, m, hits);
        }
    }
}

/// A packet of a connection whose direction has a valid cached decision: translated and
/// sent without the rules or a route lookup.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn cached(
    frame: &mut [u8],
    end: usize,
    in_port: u16,
    id: u32,
    dir: Dir,
    state: ConnState,
    checked: bool,
    t: &Tables,
    st: &Stateful,
) -> Option<Verdict> {
    let c = st.conns.get(id)?;
    let p = c.path(dir, in_port, t.generation, state)?;
    let port = u16::from(p.port);
    let mac = crate::net::MacAddr(p.mac);
    let l3 = &mut frame[ether::HEADER_LEN..end];
    if c.is_nat() {
        // The common packet (within the MTU, TTL above 1, an options-less unfragmented TCP
        // or UDP datagram): translated and its TTL decremented in one pass.
        let (side, addr, to_port) = match dir {
            Dir::Reply => (nat::Rewrite::Destination, c.orig.src, c.orig.sport),
            Dir::Original => (nat::Rewrite::Source, c.reply.dst, c.reply.dport),
        };
        let mtu = t.ports.get(usize::from(port)).map_or(0, |o| o.mtu);
        let fits = l3
            .get(2..4)
            .is_some_and(|b| u16::from_be_bytes([b[0], b[1]]) <= mtu);
        // Translated only when it fits (the general path below fragments or refuses it).
        let done = fits
            && if checked {
                nat::translate_checked(l3, c.orig.proto, side, addr, to_port)
            } else {
                nat::translate_and_decrement(l3, side, addr, to_port)
            };
        if done {
            return Some(forward::set_macs(frame, port, mac, p.counter, t));
        }
    }
    let l3 = &mut frame[ether::HEADER_LEN..end];
    let big = match forward::check_out(l3, port, t) {
        Ok(b) => b,
        Err(v) => return Some(v),
    };
    if c.is_nat() {
        let done = match dir {
            Dir::Reply => nat::set_destination(l3, c.orig.src, c.orig.sport),
            Dir::Original => nat::set_source(l3, c.reply.dst, c.reply.dport),
        };
        if done.is_err() {
            return Some(Verdict::Drop(DropReason::Malformed));
        }
    }
    let v = forward::transmit(frame, port, mac, p.counter, t);
    Some(forward::fragmenting(v, big))
}

/// Creates the connection of a new flow, with its source translation when a srcnat rule
/// asks for one (the rules that match its first packet, of `bytes`, are counted).
#[allow(clippy::too_many_arguments)]
fn open(
    key: &FlowKey,
    tcp_flags: u8,
    m: &Meta,
    bytes: u64,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
    now_ms: u64,
) -> Result<u32, DropReason> {
    let mut reply = key.reversed();
    if rules.has_nat() {
        let mut matched = Matched::default();
        let mut hits = Hits::new(&mut st.rules.nat, bytes, &mut matched);
        let to = match rules.srcnat_counted(m, &mut hits) {
            SrcNat::None => None,
            SrcNat::Masquerade { ports } => {
                match t.ports.get(usize::from(m.out_port)).map(|p| p.addr) {
                    Some(a) if a != 0 => Some((a, ports)),
                    _ => return Err(DropReason::NatNoAddress),
                }
            }
            SrcNat::To { addr, ports } => Some((addr, ports)),
        };
        if let Some((addr, ports)) = to {
            reply.dst = addr;
            let has_ports = matches!(key.proto, PROTO_TCP | PROTO_UDP)
                || (key.proto == PROTO_ICMP && key.sport != 0);
            if has_ports {
                let to_ports = ports.map(|(first, last)| PortRange { first, last });
                reply.dport = translated_port(key, &reply, to_ports, m.out_port, st)?;
            }
        }
    }
    let id = st.conns.insert(*key, reply, now_ms).map_err(|e| match e {
        InsertError::Full => DropReason::ConntrackFull,
        InsertError::Exists => DropReason::NatNoPort,
    })?;
    if st.conns.track(id, Dir::Original, tcp_flags, now_ms) == ConnState::Invalid {
        st.conns.remove(id);
        return Err(DropReason::ConntrackInvalid);
    }
    st.created += 1;
    let Some(c) = st.conns.get_mut(id) else {
        return Err(DropReason::ConntrackInvalid);
    };
    c.set_mark(m.conn_mark);
    c.set_ports(m.in_port, m.out_port);
    Ok(id)
}

/// The port (or echo id) new connection `key` is translated to, `reply` being its reply
/// (addressed to the translated address): the source port where it may be kept, else a free
/// one of `to_ports` (of this worker's default range without), and always one whose reply
/// comes back to this worker (owner.rs).
fn translated_port(
    key: &FlowKey,
    reply: &FlowKey,
    to_ports: Option<PortRange>,
    out_port: u16,
    st: &Stateful,
) -> Result<u16, DropReason> {
    let conns = &st.conns;
    let mut probe = *reply;
    let is_free = |p| {
        probe.dport = p;
        !conns.contains(&probe)
    };
    let salt = (Table::hash(key) >> 32) as u32;
    let steering = st.rss.port(out_port).filter(|s| s.steers_ports(key.proto));
    let port = match steering {
        // The device will steer the reply by its ports: any port whose reply comes to this
        // worker's queue (owner.rs); the shares by port do not apply.
        Some(s) => {
            let replies = s.replies(reply.src, reply.sport, reply.dst);
            let (me, n) = (st.worker, st.workers);
            nat::pick_port_fitting(
                key.sport,
                to_ports.unwrap_or(PortRange::ALL),
                salt,
                |p| worker_of(replies.queue(p), n) == me,
                is_free,
                PORT_TRIES,
                STEER_WALK,
            )
        }
        // The reply is owned by its port: one of this worker's share of the range. A range
        // of fewer ports than workers leaves some workers none; their new connections
        // through that rule are refused and counted (handing them to the owner of a port
        // would not do: the rest of the connection's packets still arrive here).
        None => {
            let range = to_ports.unwrap_or(st.range);
            let share = st.share();
            if !range.is_empty() && share.within(range).1 == 0 {
                return Err(DropReason::NatNoShare);
            }
            nat::pick_port_owned(key.sport, range, share, salt, is_free, PORT_TRIES)
        }
    };
    port.ok_or(DropReason::NatNoPort)
}

/// An ICMP error: related to the connection its quoted packet belongs to, translated as
/// that connection is, and routed to whoever sent the quoted packet.
#[allow(clippy::too_many_arguments)]
fn related(
    frame: &mut [u8],
    end: usize,
    in_port: u16,
    outer: FlowKey,
    inner: FlowKey,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
) -> Verdict {
    let dst_type = addr_type(t, outer.dst);
    let Some((id, dir)) = st.conns.lookup(&inner.reversed()) else {
        // About something the router sent (a probe), or about nothing we know.
        return if dst_type == firewall::ADDR_LOCAL {
            Verdict::Punt(Punt::Local)
        } else {
            Verdict::Drop(DropReason::ConntrackInvalid)
        };
    };
    let Some(c) = st.conns.get(id) else {
        return Verdict::Drop(DropReason::ConntrackInvalid);
    };
    let mut m = Meta {
        in_port,
        out_port: NO_PORT,
        key: outer,
        src_type: addr_type(t, outer.src),
        dst_type,
        state: ConnState::Related,
        conn_mark: c.mark(),
        routing_mark: 0,
        packet_mark: 0,
    };
    let (orig, reply, nat) = (c.orig, c.reply, c.is_nat());
    // Counted as the rules run (an ICMP error is never cached).
    let mut matched = Matched::default();
    let mut hits = Hits::new(&mut st.rules.mangle, frame.len() as u64, &mut matched);
    if rules.has_mangle(Hook::Prerouting) {
        rules.mangle(Hook::Prerouting, &mut m, &mut hits);
    }
    let l3 = &mut frame[ether::HEADER_LEN..end];
    let mut dst = outer.dst;
    if nat && dir == Dir::Reply {
        // From outside about what we sent translated: back to the connection's source.
        if nat::untranslate_icmp_error(l3, orig.src, orig.sport).is_err() {
            return Verdict::Drop(DropReason::Malformed);
        }
        dst = orig.src;
    }
    let (port, mac, counter) = match forward::resolve(dst, l3, m.routing_mark, t) {
        Ok(Resolved::Out {
            port, mac, counter, ..
        }) => (port, mac, counter),
        Ok(Resolved::Local) => return Verdict::Punt(Punt::Local),
        Err(v) => return v,
    };
    let big = match forward::check_out(l3, port, t) {
        Ok(b) => b,
        Err(v) => return v,
    };
    after_routing(&mut m, port, rules, &mut hits);
    if nat && dir == Dir::Original && nat::translate_icmp_error(l3, reply.dst, reply.dport).is_err()
    {
        return Verdict::Drop(DropReason::Malformed);
    }
    forward::fragmenting(forward::transmit(frame, port, mac, counter, t), big)
}

pub mod burst;
mod command;
mod frags;
mod owner;
mod rule_counters;
pub use command::{ConnList, RuleStats, WorkerCmd};
pub use owner::symmetric_hash;
pub use rule_counters::{ItemCounts, RuleCounters};

#[cfg(test)]
mod tests;
