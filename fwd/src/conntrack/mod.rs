//! Connection tracking: the per-worker connection table (pure logic, no DPDK).
//!
//! Each worker owns one [`Table`]; nothing in it is shared, locked or atomic, and nothing
//! allocates after [`Table::new`]: the packet path calls `lookup`, `insert`, `track`,
//! `remove` and `expire`. When the table is full, `insert` fails and the caller counts a drop;
//! the connections already there keep working.
//!
//! Layout: the connections live in a pre-allocated slab (`Vec<Conn>` with a free list of
//! ids). Each connection is indexed under two keys, its original and its reply key, in an
//! open-addressing index (linear probing, backward-shift deletion, no tombstones) of at least
//! 8 × capacity slots, so that the load never exceeds 1/4. A slot is one `u32`: a tag from the
//! key's hash above `id << 1 | direction` (index.rs).

mod index;
mod nat_use;
mod settings;
pub mod tcp;
mod timeouts;

#[cfg(test)]
mod tests;

pub use nat_use::{NatUse, NAT_ADDRESSES};
pub use settings::{TrackingSettings, DEFAULT_MAX_ENTRIES, TRACKING};
pub use tcp::{can_create, next as tcp_next, Invalid, TcpState};
pub use timeouts::Timeouts;

use crate::flow::{ConnState, FlowKey, NO_PORT};
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use index::Index;
use timeouts::TimeoutsMs;

/// A packet's direction relative to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Dir {
    /// The direction of the connection's first packet.
    Original = 0,
    Reply = 1,
}

impl Dir {
    /// The direction of an index slot's low bit.
    #[inline]
    fn from_bit(bit: u32) -> Dir {
        if bit == 0 {
            Dir::Original
        } else {
            Dir::Reply
        }
    }
}

/// One tracked connection, in one cache line (64 bytes, aligned), so that one miss brings
/// the keys, the state and the cached forwarding decision of both directions together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(64))]
pub struct Conn {
    deadline: u64,
    /// The first packet's key.
    pub orig: FlowKey,
    /// The key a reply carries on the wire (after source NAT, `reply.dst` is the translated
    /// source). Equal to `orig.reversed()` without NAT.
    pub reply: FlowKey,
    /// Connection-mark id, 0 for no-mark. Set with [`set_mark`](Self::set_mark), which
    /// forgets the cached decisions.
    mark: u16,
    /// The snapshot generation (its low 32 bits) both cached paths were decided in.
    path_gen: u32,
    /// Interfaces of the original direction (`NO_PORT_U8` when unknown).
    in_port: u8,
    out_port: u8,
    pub tcp: TcpState,
    /// SEEN_REPLY | ASSURED | LIVE | NAT.
    flags: u8,
    /// Per direction, the forwarding decision its packets take while nothing changes (see
    /// [`Path`]).
    paths: [Path; 2],
}

/// A direction's cached forwarding decision (the caller's; conntrack only stores it): valid
/// for packets of that direction arriving on the interface its connection expects (the
/// original's in-interface, or its out-interface for replies), in the snapshot generation
/// `Conn::path_gen` and the connection state `state - 1`, as long as the mark is unchanged.
///
/// The stateful path reuses it for the direction's next packets: the snapshot (routes,
/// neighbours, rules), the input interface, the connection state and the mark a packet
/// arrives with are all a mangle matcher depends on, so the rules would decide the same
/// again (like RouterOS's fasttrack, but invisible: a decision whose rules changed the mark
/// is never cached). The same rules would match too: the packets that reuse it are counted
/// for them through [`Path::counter`] (`stateful::rule_counters`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Path {
    /// The counter its packets are counted under: the route's (routing table and nexthop),
    /// or, when rules matched, the worker's class of the route and those rules
    /// (`stateful::rule_counters`).
    pub counter: u16,
    /// The next hop's MAC.
    pub mac: [u8; 6],
    /// The output port.
    pub port: u8,
    /// The connection state it was decided in, plus one; 0 when nothing is cached.
    state: u8,
}

const SEEN_REPLY: u8 = 1;
const ASSURED: u8 = 2;
const LIVE: u8 = 4;
/// Translated: `reply != orig.reversed()`.
const NAT: u8 = 8;
/// An interface the connection does not know (NO_PORT) in its one-byte field.
const NO_PORT_U8: u8 = u8::MAX;

#[inline]
fn port_u8(port: u16) -> u8 {
    u8::try_from(port).unwrap_or(NO_PORT_U8)
}

#[inline]
fn port_u16(port: u8) -> u16 {
    if port == NO_PORT_U8 {
        NO_PORT
    } else {
        u16::from(port)
    }
}

// The layout promise: one cache line, whatever the fields' order does to padding.
const _: () = assert!(std::mem::size_of::<Conn>() == 64);

impl Conn {
    const EMPTY: Conn = Conn {
        deadline: 0,
        orig: FlowKey {
            src: 0,
            dst: 0,
            sport: 0,
            dport: 0,
            proto: 0,
        },
        reply: FlowKey {
            src: 0,
            dst: 0,
            sport: 0,
            dport: 0,
            proto: 0,
        },
        mark: 0,
        path_gen: 0,
        in_port: NO_PORT_U8,
        out_port: NO_PORT_U8,
        tcp: TcpState::None,
        flags: 0,
        paths: [Path {
            counter: 0,
            mac: [0; 6],
            port: 0,
            state: 0,
        }; 2],
    };

    /// Whether the connection is translated (its reply is not its original reversed; a flag
    /// set when it was inserted, so that the packet path tests one bit).
    #[inline]
    pub fn is_nat(&self) -> bool {
        self.flags & NAT != 0
    }

    /// Milliseconds until the connection expires if idle (0 once past its deadline).
    pub fn expires_in(&self, now_ms: u64) -> u64 {
        self.deadline.saturating_sub(now_ms)
    }

    /// The deadline, in the caller's millisecond clock.
    pub fn deadline_ms(&self) -> u64 {
        self.deadline
    }

    /// A packet has been seen in the reply direction.
    #[inline]
    pub fn seen_reply(&self) -> bool {
        self.flags & SEEN_REPLY != 0
    }

    /// Traffic both ways and then more (Linux's IPS_ASSURED): UDP gets the udp-stream
    /// timeout.
    #[inline]
    pub fn assured(&self) -> bool {
        self.flags & ASSURED != 0
    }

    #[inline]
    fn live(&self) -> bool {
        self.flags & LIVE != 0
    }

    #[inline]
    fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }

    /// Connection-mark id, 0 for no-mark.
    #[inline]
    pub fn mark(&self) -> u16 {
        self.mark
    }

    /// Sets the connection mark; a change forgets both cached paths (they were decided
    /// under the old mark).
    #[inline]
    pub fn set_mark(&mut self, mark: u16) {
        if mark != self.mark {
            self.mark = mark;
            self.paths[0].state = 0;
            self.paths[1].state = 0;
        }
    }

    /// The interface of the original direction's packets ([`NO_PORT`] when unknown).
    #[inline]
    pub fn in_port(&self) -> u16 {
        port_u16(self.in_port)
    }

    /// The interface the original direction leaves by ([`NO_PORT`] when unknown).
    #[inline]
    pub fn out_port(&self) -> u16 {
        port_u16(self.out_port)
    }

    /// Records the interfaces of the original direction (ports above 254 are not recorded:
    /// such a connection never has a cached path).
    pub fn set_ports(&mut self, in_port: u16, out_port: u16) {
        self.in_port = port_u8(in_port);
        self.out_port = port_u8(out_port);
    }

    /// The interface a packet going in `dir` is expected to arrive on.
    #[inline]
    fn arrives_on(&self, dir: Dir) -> u16 {
        match dir {
            Dir::Original => self.in_port(),
            Dir::Reply => self.out_port(),
        }
    }

    /// The cached decision of `dir` for a packet arriving on `in_port`, in snapshot
    /// generation `generation` and connection state `state`, if there is one.
    #[inline]
    pub fn path(&self, dir: Dir, in_port: u16, generation: u64, state: ConnState) -> Option<Path> {
        let p = self.paths[dir as usize];
        (p.state == state as u8 + 1
            && self.path_gen == generation as u32
            && in_port == self.arrives_on(dir)
            && in_port != NO_PORT)
            .then_some(p)
    }

    /// Caches the decision of `dir` taken for a packet arriving on `in_port` in
    /// `generation` and `state` (nothing is cached when the packet did not arrive on the
    /// interface the direction expects, or when `port` does not fit a byte). A new
    /// generation forgets the other direction's path.
    #[allow(clippy::too_many_arguments)]
    pub fn set_path(
        &mut self,
        dir: Dir,
        in_port: u16,
        generation: u64,
        state: ConnState,
        port: u16,
        mac: [u8; 6],
        counter: u16,
    ) {
        let generation = generation as u32;
        if self.path_gen != generation {
            self.path_gen = generation;
            self.paths = [Path::default(); 2];
        }
        let usable = in_port == self.arrives_on(dir) && in_port != NO_PORT && port < 255;
        self.paths[dir as usize] = if usable {
            Path {
                counter,
                mac,
                port: port as u8,
                state: state as u8 + 1,
            }
        } else {
            Path::default()
        };
    }

    /// RouterOS's tcp-state name; "" for non-TCP connections.
    pub fn tcp_state_name(&self) -> &'static str {
        if self.orig.proto == PROTO_TCP {
            self.tcp.name()
        } else {
            ""
        }
    }

    /// Forgets the cached path of `dir`.
    pub fn clear_path(&mut self, dir: Dir) {
        self.paths[dir as usize] = Path::default();
    }

    /// The key of a packet of this connection going in `dir`.
    pub fn key(&self, dir: Dir) -> &FlowKey {
        match dir {
            Dir::Original => &self.orig,
            Dir::Reply => &self.reply,
        }
    }
}

/// Why `insert` refused a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// Every entry is in use (count it as a "conntrack full" drop).
    Full,
    /// The original or the reply key already belongs to a connection.
    Exists,
}

impl std::fmt::Display for InsertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InsertError::Full => "connection table full",
            InsertError::Exists => "connection exists",
        })
    }
}

impl std::error::Error for InsertError {}

/// No hint for [`Table::lookup_hinted`]: look the key up in the index.
pub const NO_HINT: u32 = u32::MAX;

/// The largest capacity a table accepts (`id << 1 | dir` and a tag must fit a u32 slot).
pub const MAX_CAPACITY: usize = 1 << 27;

/// A worker's connection table. See the module documentation.
pub struct Table {
    conns: Vec<Conn>,
    /// Ids of the free entries (a stack).
    free: Vec<u32>,
    index: Index,
    timeouts: TimeoutsMs,
    /// Where `expire` resumes.
    cursor: usize,
    /// Translated connections (NAT ports in use).
    nat: NatUse,
}

impl Table {
    /// A table for `capacity` connections (1 ..= [`MAX_CAPACITY`]); allocates everything now.
    pub fn new(capacity: usize, timeouts: &Timeouts) -> Table {
        assert!(
            (1..=MAX_CAPACITY).contains(&capacity),
            "conntrack capacity {capacity} out of range 1..={MAX_CAPACITY}"
        );
        Table {
            conns: crate::dpdk::huge_vec(capacity, Conn::EMPTY),
            free: (0..capacity as u32).rev().collect(),
            index: Index::new(capacity),
            timeouts: timeouts.ms(),
            cursor: 0,
            nat: NatUse::default(),
        }
    }

    /// The bytes a table of `capacity` allocates (the connections, the free list, the index).
    pub fn memory(capacity: usize) -> usize {
        capacity * (std::mem::size_of::<Conn>() + std::mem::size_of::<u32>())
            + Index::memory(capacity)
    }

    /// New timeouts; they apply from each connection's next update.
    pub fn set_timeouts(&mut self, t: &Timeouts) {
        self.timeouts = t.ms();
    }

    pub fn capacity(&self) -> usize {
        self.conns.len()
    }

    /// Live connections.
    pub fn len(&self) -> usize {
        self.conns.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The translated connections: NAT ports (or echo ids) in use, in all and per address.
    pub fn nat_use(&self) -> &NatUse {
        &self.nat
    }

    /// The hash of a key: the key packed in two 64-bit words (addresses; ports and
    /// protocol), each xored with a constant, multiplied as 64×64→128 bits and folded
    /// (high ^ low half), then once more with a constant to spread every input bit over the
    /// top bits, which pick the index slot. Not keyed: it does not resist chosen collisions.
    #[inline]
    pub fn hash(key: &FlowKey) -> u64 {
        #[inline(always)]
        fn fold_mul(a: u64, b: u64) -> u64 {
            let p = (a as u128) * (b as u128);
            (p as u64) ^ ((p >> 64) as u64)
        }
        let a = ((key.src as u64) << 32) | key.dst as u64;
        let b = ((key.sport as u64) << 48) | ((key.dport as u64) << 32) | key.proto as u64;
        let h = fold_mul(a ^ 0x243f_6a88_85a3_08d3, b ^ 0x1319_8a2e_0370_7344);
        fold_mul(h ^ 0xa409_3822_299f_31d0, 0x082e_fa98_ec4e_6c89)
    }

    /// Brings the index slot of `hash` towards the cache, to look it up a little later
    /// (a burst's keys hashed first, then looked up): a prefetch instruction, which never
    /// waits, so the misses of a burst overlap.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// Second stage of a burst's prefetch: once the index slot of `hash` is in cache,
    /// fetches the connection a lookup will most likely compare (its line also holds the
    /// cached decisions), and returns it as a hint for [`lookup_hinted`](Self::lookup_hinted):
    /// `id << 1 | direction`, or [`NO_HINT`].
    #[inline]
    pub fn prefetch_entry(&self, hash: u64) -> u32 {
        let Some(hint) = self.index.candidate(hash) else {
            return NO_HINT;
        };
        if let Some(c) = self.conns.get((hint >> 1) as usize) {
            crate::dpdk::prefetch(c);
        }
        hint
    }

    /// The id and direction of the connection one of whose keys is `key`.
    #[inline]
    pub fn lookup(&self, key: &FlowKey) -> Option<(u32, Dir)> {
        self.lookup_hashed(key, Self::hash(key))
    }

    /// [`lookup`](Self::lookup) with the key's [`hash`](Self::hash) already computed.
    #[inline]
    pub fn lookup_hashed(&self, key: &FlowKey, hash: u64) -> Option<(u32, Dir)> {
        self.index
            .find(hash, |id, dir| self.conns[id as usize].key(dir) == key)
    }

    /// [`lookup_hashed`](Self::lookup_hashed) trying first the connection `hint` names (from
    /// [`prefetch_entry`](Self::prefetch_entry), which may be stale: the table may have
    /// changed since). A live connection with `key` in the hinted direction is the one, as
    /// no two connections share a key; anything else takes the index.
    #[inline]
    pub fn lookup_hinted(&self, key: &FlowKey, hash: u64, hint: u32) -> Option<(u32, Dir)> {
        let (id, dir) = index::split(hint);
        match self.conns.get(id as usize) {
            Some(c) if c.live() && c.key(dir) == key => Some((id, dir)),
            _ => self.lookup_hashed(key, hash),
        }
    }

    /// Whether `key` is in use by a connection, in either direction (NAT tests with it
    /// whether a translated reply key is free).
    #[inline]
    pub fn contains(&self, key: &FlowKey) -> bool {
        self.lookup(key).is_some()
    }

    /// Adds a connection under both keys, with mark 0, ports [`NO_PORT`], no cached path, TCP state
    /// `None` and the deadline of its protocol's first timeout (TCP's comes from
    /// [`track`](Self::track), which the caller calls next with the packet's flags).
    ///
    /// Fails with `Exists`, changing nothing, when either key belongs to a connection, and
    /// with `Full` when every entry is used. A connection whose two keys are equal (a packet
    /// from an address and port to the same address and port) is indexed once: all its
    /// packets are then `Original` and it never sees a reply.
    pub fn insert(
        &mut self,
        orig: FlowKey,
        reply: FlowKey,
        now_ms: u64,
    ) -> Result<u32, InsertError> {
        let h_orig = Self::hash(&orig);
        let h_reply = Self::hash(&reply);
        if self.lookup_hashed(&orig, h_orig).is_some()
            || self.lookup_hashed(&reply, h_reply).is_some()
        {
            return Err(InsertError::Exists);
        }
        let id = self.free.pop().ok_or(InsertError::Full)?;
        let timeout = match orig.proto {
            PROTO_TCP => self.timeouts.tcp_syn_sent,
            PROTO_UDP => self.timeouts.udp,
            PROTO_ICMP => self.timeouts.icmp,
            _ => self.timeouts.generic,
        };
        let nat = reply != orig.reversed();
        self.conns[id as usize] = Conn {
            orig,
            reply,
            deadline: now_ms.saturating_add(timeout),
            flags: if nat { LIVE | NAT } else { LIVE },
            ..Conn::EMPTY
        };
        if nat {
            self.nat.bind(reply.dst);
        }
        self.index.insert(h_orig, id, Dir::Original);
        if reply != orig {
            self.index.insert(h_reply, id, Dir::Reply);
        }
        Ok(id)
    }

    /// The connection `id`, if it is live.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&Conn> {
        self.conns.get(id as usize).filter(|c| c.live())
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut Conn> {
        self.conns.get_mut(id as usize).filter(|c| c.live())
    }

    /// Updates connection `id` with a packet going in `dir`: the TCP state machine (with the
    /// packet's TCP flag byte; ignored for other protocols), `seen_reply`, `assured` and the
    /// deadline from the state's timeout. Returns the packet's state: `New` while the
    /// connection has seen no reply, `Established` after (a reply packet is itself
    /// `Established`), `Invalid` when the TCP state machine refuses the packet or `id` is not
    /// live — the connection is then unchanged.
    #[inline]
    pub fn track(&mut self, id: u32, dir: Dir, tcp_flags: u8, now_ms: u64) -> ConnState {
        let t = self.timeouts;
        let Some(c) = self.conns.get_mut(id as usize).filter(|c| c.live()) else {
            return ConnState::Invalid;
        };
        let timeout = match c.orig.proto {
            PROTO_TCP => {
                let Ok(state) = tcp::next(c.tcp, dir, tcp_flags) else {
                    return ConnState::Invalid;
                };
                if dir == Dir::Original
                    && state == TcpState::SynSent
                    && matches!(c.tcp, TcpState::TimeWait | TcpState::Close)
                {
                    // A new SYN on a closed connection's ports: a new connection.
                    c.set_flag(SEEN_REPLY | ASSURED, false);
                }
                c.tcp = state;
                if dir == Dir::Reply {
                    c.set_flag(SEEN_REPLY, true);
                }
                if c.seen_reply() && state == TcpState::Established {
                    c.set_flag(ASSURED, true);
                }
                state.timeout_ms(&t)
            }
            PROTO_UDP => {
                if dir == Dir::Reply && !c.seen_reply() {
                    c.set_flag(SEEN_REPLY, true);
                    t.udp
                } else if c.seen_reply() {
                    c.set_flag(ASSURED, true);
                    t.udp_stream
                } else {
                    t.udp
                }
            }
            p => {
                if dir == Dir::Reply {
                    c.set_flag(SEEN_REPLY, true);
                }
                if p == PROTO_ICMP {
                    t.icmp
                } else {
                    t.generic
                }
            }
        };
        c.deadline = now_ms.saturating_add(timeout);
        if c.seen_reply() {
            ConnState::Established
        } else {
            ConnState::New
        }
    }

    /// The state of connection `id` as its last tracked packet left it, without tracking
    /// anything (a later fragment of a datagram whose first fragment was tracked).
    pub fn state(&self, id: u32) -> ConnState {
        match self.get(id) {
            Some(c) if c.seen_reply() => ConnState::Established,
            Some(_) => ConnState::New,
            None => ConnState::Invalid,
        }
    }

    /// Removes connection `id` and both its keys (nothing if it is not live).
    pub fn remove(&mut self, id: u32) {
        let Some(c) = self.get(id) else { return };
        let (orig, reply, nat) = (c.orig, c.reply, c.is_nat());
        if nat {
            self.nat.release(reply.dst);
        }
        let conns = &self.conns;
        let hash_of = |id: u32, dir: Dir| Self::hash(conns[id as usize].key(dir));
        self.index
            .remove(Self::hash(&orig), id, Dir::Original, hash_of);
        if reply != orig {
            self.index
                .remove(Self::hash(&reply), id, Dir::Reply, hash_of);
        }
        self.conns[id as usize].flags = 0;
        self.free.push(id);
    }

    /// Incremental expiry: looks at no more than `budget` entries from a cursor that goes
    /// round the whole table, removes those past their deadline (`deadline <= now_ms`),
    /// calling `on_removed` for each, and returns how many it removed.
    pub fn expire(
        &mut self,
        now_ms: u64,
        budget: usize,
        mut on_removed: impl FnMut(&Conn),
    ) -> usize {
        let n = self.conns.len();
        let mut removed = 0;
        for _ in 0..budget.min(n) {
            let id = self.cursor;
            self.cursor = if id + 1 == n { 0 } else { id + 1 };
            let c = &self.conns[id];
            if c.live() && c.deadline <= now_ms {
                on_removed(c);
                self.remove(id as u32);
                removed += 1;
            }
        }
        removed
    }

    /// The live connections with their ids (control path).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Conn)> {
        self.iter_from(0)
    }

    /// The live connections with ids from `start` on, in id order.
    pub fn iter_from(&self, start: u32) -> impl Iterator<Item = (u32, &Conn)> {
        self.conns
            .iter()
            .enumerate()
            .skip(start as usize)
            .filter(|(_, c)| c.live())
            .map(|(i, c)| (i as u32, c))
    }

    /// Removes every connection for which `f` is false; returns how many it removed
    /// (`/ip/firewall/connection remove [find ...]`, flushing an interface that went down).
    pub fn retain(&mut self, mut f: impl FnMut(&Conn) -> bool) -> usize {
        let mut removed = 0;
        for id in 0..self.conns.len() {
            let c = &self.conns[id];
            if c.live() && !f(c) {
                self.remove(id as u32);
                removed += 1;
            }
        }
        removed
    }
}
