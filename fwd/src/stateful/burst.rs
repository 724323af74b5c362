//! The stateful path a burst at a time, for the common packet: an unfragmented TCP or UDP
//! datagram in an options-less IPv4 header, for our MAC, with a right checksum.
//!
//! Stage one ([`Stateful::prepare`]) reads each such frame's header once, as the plain fast
//! path does (`forward::fast_header`'s five words), takes its flow key from those words and
//! its transport header, hashes it and fetches its conntrack index slot ahead; stage two
//! fetches the connection each slot names. Stage three ([`process_fast`]) looks the key up,
//! tracks the packet and reuses the connection's cached decision, with nothing parsed
//! twice and no call on the way; whatever it cannot finish goes on exactly as
//! [`process`](super::process) would. Every other frame takes `process` itself.
//!
//! With a million connections every lookup misses the caches: fetching a burst's index slots
//! and then its connections ahead overlaps those misses.

use super::{flow, Seen, Stateful};
use crate::conntrack::{Table, NO_HINT};
use crate::dpdk::BURST;
use crate::fib::Tables;
use crate::firewall::RuleSet;
use crate::flow::FlowKey;
use crate::forward::{self, FastPort, Verdict};
use crate::nat;
use crate::packet::{ether, ipv4};

/// What stage one read of a frame the common case takes (or [`Lane::NONE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    key: FlowKey,
    tcp_flags: u8,
    /// The datagram's length (the frame may be longer: Ethernet padding); 0 for no lane.
    total_len: u16,
    /// Stage two's guess at the key's connection ([`Table::prefetch_entry`]).
    hint: u32,
    /// [`Table::hash`] of `key`.
    hash: u64,
}

impl Lane {
    /// A frame the common case does not take: [`process`](super::process) decides it.
    pub const NONE: Lane = Lane {
        key: FlowKey {
            src: 0,
            dst: 0,
            sport: 0,
            dport: 0,
            proto: 0,
        },
        tcp_flags: 0,
        total_len: 0,
        hint: NO_HINT,
        hash: 0,
    };

    /// Whether the frame takes the common case (a datagram is at least its header long).
    #[inline(always)]
    pub fn is_some(&self) -> bool {
        self.total_len != 0
    }
}

impl Stateful {
    /// Stages one and two for a burst: `frames` gives, per packet, its frame and the
    /// device's verdict on its IPv4 header checksum, or None for a packet the caller decides
    /// otherwise (not contiguous, another worker's). `lanes[i]` is then the lane of packet
    /// `i`, or a lane that is not [`Lane::is_some`] when [`process`](super::process) must
    /// decide it.
    #[inline]
    pub fn prepare<'a>(
        &self,
        frames: impl Iterator<Item = Option<(&'a [u8], Option<bool>)>>,
        in_port: u16,
        t: &Tables,
        lanes: &mut [Lane; BURST],
    ) {
        let port = FastPort::new(t, in_port);
        for (f, lane) in frames.zip(lanes.iter_mut()) {
            match f.and_then(|(frame, hw)| lane_of(frame, port, hw)) {
                Some(l) => {
                    *lane = l;
                    self.conns.prefetch(l.hash);
                }
                // Only the length says "no lane": a whole `Lane::NONE` written here cost
                // every exit of `lane_of` a register cleared per field.
                None => lane.total_len = 0,
            }
        }
        for l in lanes.iter_mut() {
            if l.is_some() {
                l.hint = self.conns.prefetch_entry(l.hash);
            }
        }
    }
}

/// The lane of a frame the common case takes: the plain fast path's header checks
/// (`forward::fast_header`), not a fragment, TCP or UDP with a header the rewrites accept.
#[inline(always)]
fn lane_of(frame: &[u8], port: FastPort, hw_checksum: Option<bool>) -> Option<Lane> {
    let h = forward::fast_header(frame, port, hw_checksum)?;
    // Flags and fragment offset (header bytes 6 and 7): MF or an offset make a fragment.
    if (h.a >> 48) as u16 & 0xFF3F != 0 {
        return None;
    }
    let proto = (h.b >> 8) as u8;
    let end = ether::HEADER_LEN + usize::from(h.total_len);
    let l4 = frame.get(ether::HEADER_LEN + ipv4::HEADER_LEN..end)?;
    let (sport, dport, tcp_flags) = nat::transport(l4, proto)?;
    let key = FlowKey {
        src: ((h.b >> 32) as u32).swap_bytes(),
        dst: h.c.swap_bytes(),
        sport,
        dport,
        proto,
    };
    Some(Lane {
        key,
        tcp_flags,
        total_len: h.total_len,
        hint: NO_HINT,
        hash: Table::hash(&key),
    })
}

/// Stage three: decides the frame of `lane` (received on `in_port`) exactly as
/// [`process`](super::process) would.
#[inline(always)]
pub fn process_fast(
    frame: &mut [u8],
    lane: Lane,
    in_port: u16,
    t: &Tables,
    rules: &RuleSet,
    st: &mut Stateful,
    now_ms: u64,
) -> Verdict {
    let end = ether::HEADER_LEN + usize::from(lane.total_len);
    let seen = Seen {
        key: lane.key,
        hash: lane.hash,
        tcp_flags: lane.tcp_flags,
        later: false,
        hint: lane.hint,
        checked: true,
    };
    flow(frame, end, in_port, seen, t, rules, st, now_ms)
}
