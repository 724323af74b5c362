//! ECMP groups on the forwarding path: the resilient bucket table that maps a flow hash to a
//! member, and the flow hash itself, chosen by RouterOS's `/ip/settings ecmp-hash-policy`.
//!
//! A group is not forwarded by `hash % k`: going from `hash % k` to `hash % (k - 1)` moves most
//! flows, so a check-gateway failure on one WAN would also break connections on the healthy
//! WANs, whose masqueraded source address changes with the path. Instead the
//! group owns a power-of-two table of buckets and a flow takes bucket `hash & (len - 1)`, the
//! "resilient hashing" of switch ASICs and of Linux's resilient nexthop groups
//! (`ip nexthop add ... type resilient`): when membership changes, only the buckets that must
//! change owner do (those of the member that left, or the share handed to the member that
//! joined), so only the flows that had to move, move.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;

/// Buckets per member, so that shares stay within 1/BUCKETS_PER_MEMBER of fair.
pub const BUCKETS_PER_MEMBER: usize = 16;

/// Largest table (members beyond 4096/16 share coarser).
pub const MAX_BUCKETS: usize = 4096;

/// The number of buckets of a group of `members` distinct members: the next power of two at or
/// above `members * BUCKETS_PER_MEMBER`, at most [`MAX_BUCKETS`]; one bucket for a single
/// member (there is nothing to balance), none for an empty group.
pub fn table_size(members: usize) -> usize {
    match members {
        0 => 0,
        1 => 1,
        k => k
            .saturating_mul(BUCKETS_PER_MEMBER)
            .min(MAX_BUCKETS)
            .next_power_of_two(),
    }
}

/// The member that a flow of hash `hash` takes in a table built by [`rebuild`]; `None` for an
/// empty group. The low bits of the hash index the table, which is why [`rebuild`] maps an old
/// table onto a larger one by `i mod old_len`.
#[inline(always)]
pub fn select<M: Copy>(table: &[M], hash: u32) -> Option<M> {
    // An empty table wraps the mask to all ones and `get` answers None.
    table
        .get(hash as usize & table.len().wrapping_sub(1))
        .copied()
}

/// The bucket table for `members` (distinct, any Ord+Copy+Eq+Hash id, e.g. u32), given the
/// previous table (empty if none).
///
/// - Size: [`table_size`] of the number of distinct members.
/// - Carrying the previous table over: when the size is unchanged, bucket i keeps its owner.
///   When it grows, new bucket i inherits old bucket `i mod old_len`: a flow picks bucket
///   `hash & (len - 1)`, so a flow that sat in old bucket `hash & (old_len - 1)` finds the same
///   owner in the new table and no flow moves at all before rebalancing. When it shrinks, new
///   bucket j receives the flows of every old bucket i with `i mod new_len == j`, so it goes to
///   the member that owned most of them (ties: the one met first from the lowest old index),
///   which keeps the most flows in place. Mapping by `i / factor` instead would be right only
///   for a table indexed by the high bits of the hash, and would move nearly every flow here.
///   Buckets whose owner is no longer a member are free.
/// - Shares: `size / k` buckets each, and one more for `size % k` of the members: those with
///   the most buckets carried over (ties: member order), so that a member that stays keeps
///   every bucket it had unless it is above its fair share. A member above its share frees
///   its highest-index buckets first: after a growth those are the copies made by the mapping,
///   so shrinking back later folds onto the original owners.
/// - Free buckets go, lowest bucket index first, to the member below its share with the fewest
///   buckets (ties: member order).
/// - "Member order" is `Ord` order, and duplicate members count once: the result depends only
///   on the previous table and the set of members, not on how the caller lists them.
///
/// Hence (the tests check each): every member gets `floor(size/k)` or `ceil(size/k)` buckets;
/// when a member leaves and the size stays, no other bucket changes owner; when a member joins,
/// buckets only move to it.
pub fn rebuild<M: Copy + Eq + Hash + Ord>(prev: &[M], members: &[M]) -> Vec<M> {
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let k = sorted.len();
    let size = table_size(k);
    if k == 0 {
        return Vec::new();
    }
    let index_of = |m: &M| sorted.binary_search(m).ok();

    let mut owner = carry_over(prev, size, k, index_of);
    let mut count = vec![0usize; k];
    for &m in owner.iter().flatten() {
        count[m] += 1;
    }
    let share = shares(&count, size);

    for slot in owner.iter_mut().rev() {
        if let Some(m) = *slot {
            if count[m] > share[m] {
                count[m] -= 1;
                *slot = None;
            }
        }
    }

    // Every member is now at or below its share and the shares add up to `size`, so there are
    // exactly as many free buckets as missing ones: the heap runs dry with the last free bucket.
    let mut wanting: BinaryHeap<Reverse<(usize, usize)>> = (0..k)
        .filter(|&m| count[m] < share[m])
        .map(|m| Reverse((count[m], m)))
        .collect();
    for slot in owner.iter_mut().filter(|slot| slot.is_none()) {
        if let Some(Reverse((c, m))) = wanting.pop() {
            *slot = Some(m);
            if c + 1 < share[m] {
                wanting.push(Reverse((c + 1, m)));
            }
        }
    }

    owner
        .into_iter()
        .map(|slot| sorted[slot.expect("the shares add up to the table size")])
        .collect()
}

/// The previous table mapped onto `size` buckets, as indices into the sorted members.
fn carry_over<M>(
    prev: &[M],
    size: usize,
    members: usize,
    index_of: impl Fn(&M) -> Option<usize>,
) -> Vec<Option<usize>> {
    if prev.is_empty() {
        return vec![None; size];
    }
    if size >= prev.len() {
        return (0..size).map(|i| index_of(&prev[i % prev.len()])).collect();
    }
    let mut votes = vec![0usize; members];
    (0..size)
        .map(|j| {
            let folded = || prev.iter().skip(j).step_by(size).filter_map(&index_of);
            for m in folded() {
                votes[m] += 1;
            }
            let mut best: Option<(usize, usize)> = None;
            for m in folded() {
                if best.is_none_or(|(_, most)| votes[m] > most) {
                    best = Some((m, votes[m]));
                }
            }
            for m in folded() {
                votes[m] = 0;
            }
            best.map(|(m, _)| m)
        })
        .collect()
}

/// Each member's number of buckets: `size / k`, plus one for the `size % k` members that carry
/// the most buckets over, so that the extra bucket stays where it already is.
fn shares(count: &[usize], size: usize) -> Vec<usize> {
    let k = count.len();
    let mut share = vec![size / k; k];
    let mut by_count: Vec<usize> = (0..k).collect();
    by_count.sort_by_key(|&m| (Reverse(count[m]), m));
    for &m in &by_count[..size % k] {
        share[m] += 1;
    }
    share
}

/// RouterOS's `/ip/settings ecmp-hash-policy`: which fields of a packet choose its ECMP member.
///
/// RouterOS v7 routes with the Linux kernel and its three values mirror Linux's
/// `net.ipv4.fib_multipath_hash_policy` 0, 1 and 2; [`flow_hash`] reads the same fields as
/// Linux does for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HashPolicy {
    /// `l3`: source and destination addresses (RouterOS's default).
    #[default]
    L3,
    /// `l4`: addresses, protocol and ports, so that many connections between two hosts spread.
    L4,
    /// `l3-inner`: the addresses of the inner IPv4 header of IP-in-IP or GRE, so that tunnels
    /// between the same two endpoints spread by what they carry; `l3` for any other packet.
    L3Inner,
}

impl fmt::Display for HashPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashPolicy::L3 => "l3",
            HashPolicy::L4 => "l4",
            HashPolicy::L3Inner => "l3-inner",
        })
    }
}

impl FromStr for HashPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "l3" => Ok(HashPolicy::L3),
            "l4" => Ok(HashPolicy::L4),
            "l3-inner" => Ok(HashPolicy::L3Inner),
            _ => Err(format!(
                "invalid ecmp-hash-policy '{s}' (expected l3, l4 or l3-inner)"
            )),
        }
    }
}

use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};
/// IP-in-IP (RFC 2003).
const PROTO_IPIP: u8 = 4;
const PROTO_DCCP: u8 = 33;
const PROTO_GRE: u8 = 47;
const PROTO_SCTP: u8 = 132;
const PROTO_UDPLITE: u8 = 136;

const IPV4_MIN_HEADER: usize = 20;
/// MF and the fragment offset.
const FRAGMENT_BITS: u16 = 0x3fff;

// GRE flags (RFC 2784, RFC 2890; R from RFC 1701).
const GRE_CHECKSUM: u16 = 0x8000;
const GRE_ROUTING: u16 = 0x4000;
const GRE_KEY: u16 = 0x2000;
const GRE_SEQUENCE: u16 = 0x1000;
const GRE_VERSION: u16 = 0x0007;
const ETHERTYPE_IPV4: u16 = 0x0800;

/// Odd 64-bit constants (the golden ratio's and murmur3/xxHash's) that spread the address word
/// and the port word over all 64 bits before they are combined.
const K_ADDRESSES: u64 = 0x9e37_79b9_7f4a_7c15;
const K_PORTS: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// Hash of an IPv4 packet starting at its IPv4 header (`ip` = bytes from the IPv4 header to
/// the end of the frame). Never panics on any input: falls back to what can be read.
/// Symmetric: swapping source and destination (and the ports) gives the same hash, so both
/// directions of a flow pick the same member.
///
/// RouterOS does not publish its hash, so this one is ours, and it is exactly:
///
/// 1. Fields, by policy (bytes past the IPv4 total length or the frame are never read):
///    - `l3`: the source and destination addresses. For an ICMP error (destination
///      unreachable, redirect, time exceeded, parameter problem) that is not a fragment, the
///      addresses of the IPv4 header it quotes instead, as Linux does for multipath: the error
///      then follows the flow it is about, so path MTU discovery works across ECMP.
///    - `l4`: the addresses and the protocol, and the two 16-bit ports for TCP, UDP, DCCP,
///      SCTP and UDP-Lite when the first four bytes of the transport header are there and the
///      packet is not a fragment. No fragment contributes ports, not even the first, which
///      carries them: all fragments of a datagram take the same member, as in Linux's flow
///      dissector. ESP's SPI is not used: it differs between the directions.
///    - `l3-inner`: for IP-in-IP (protocol 4) and GRE version 0 carrying IPv4 (protocol 47,
///      with the optional checksum, key and sequence words skipped as the C, K and S flags
///      say; RFC 1701 source routing is not followed), the addresses of the inner IPv4 header;
///      otherwise (fragment, truncated or other payload) exactly `l3`.
///    - A buffer shorter than an IPv4 header hashes as addresses 0.0.0.0 and 0.0.0.0.
/// 2. Order: (a, b, pa, pb) = (src, dst, sport, dport) when src < dst, or src == dst and
///    sport <= dport (as 32- and 16-bit unsigned numbers); otherwise (dst, src, dport, sport).
///    This is Linux's `__flow_hash_consistentify`: it makes the hash symmetric without
///    merging a:p1->b:p2 with a:p2->b:p1.
/// 3. Words: A = a << 32 | b; P = protocol << 32 | pa << 16 | pb, with protocol and ports 0
///    where the policy does not use them.
/// 4. Hash: the high 32 bits of fmix64(A * 0x9e3779b97f4a7c15 ^ P * 0xc2b2ae3d27d4eb4f)
///    (wrapping products; fmix64 is murmur3's 64-bit finaliser).
///
/// There is no seed (Linux draws its multipath hash key at random at boot, unless
/// `net.ipv4.fib_multipath_hash_seed` is set): every worker, restart and machine computes the
/// same hash for the same packet, so a flow keeps its WAN across a restart. The price is that
/// two wanfwd boxes in series split traffic alike, as any unseeded ECMP hash does.
#[inline]
pub fn flow_hash(ip: &[u8], policy: HashPolicy) -> u32 {
    let Some(outer) = Ipv4::read(ip) else {
        return finish(0, 0);
    };
    match policy {
        HashPolicy::L3 => l3(ip, &outer),
        HashPolicy::L4 => {
            let (sport, dport) = outer
                .payload(ip)
                .filter(|_| has_ports(outer.protocol))
                .and_then(|l4| Some((read_u16(l4, 0)?, read_u16(l4, 2)?)))
                .unwrap_or((0, 0));
            let (a, b, pa, pb) = canonical(outer.src, outer.dst, sport, dport);
            let ports = u64::from(outer.protocol) << 32 | u64::from(pa) << 16 | u64::from(pb);
            finish(addresses(a, b), ports)
        }
        HashPolicy::L3Inner => match inner_header(ip, &outer).and_then(Ipv4::read) {
            Some(inner) => {
                let (a, b, _, _) = canonical(inner.src, inner.dst, 0, 0);
                finish(addresses(a, b), 0)
            }
            None => l3(ip, &outer),
        },
    }
}

/// The fields of an IPv4 header that the hash reads.
struct Ipv4 {
    src: u32,
    dst: u32,
    protocol: u8,
    header_len: usize,
    /// The smaller of the total length and the buffer.
    end: usize,
    fragment: bool,
}

impl Ipv4 {
    /// `None` when the buffer cannot hold a header or is not IPv4.
    #[inline(always)]
    fn read(ip: &[u8]) -> Option<Ipv4> {
        // A fixed-size array: once it is taken, no index below can fail.
        let h: &[u8; IPV4_MIN_HEADER] = ip.get(..IPV4_MIN_HEADER)?.try_into().ok()?;
        if h[0] >> 4 != 4 {
            return None;
        }
        let total_len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        Some(Ipv4 {
            src: u32::from_be_bytes([h[12], h[13], h[14], h[15]]),
            dst: u32::from_be_bytes([h[16], h[17], h[18], h[19]]),
            protocol: h[9],
            header_len: usize::from(h[0] & 0x0f) * 4,
            end: ip.len().min(total_len),
            fragment: u16::from_be_bytes([h[6], h[7]]) & FRAGMENT_BITS != 0,
        })
    }

    /// The transport header and what follows, for a whole datagram with a sane header length.
    #[inline(always)]
    fn payload<'a>(&self, ip: &'a [u8]) -> Option<&'a [u8]> {
        if self.fragment || self.header_len < IPV4_MIN_HEADER {
            return None;
        }
        ip.get(self.header_len..self.end)
    }
}

#[inline(always)]
fn l3(ip: &[u8], outer: &Ipv4) -> u32 {
    let (src, dst) = quoted_addresses(ip, outer).unwrap_or((outer.src, outer.dst));
    let (a, b, _, _) = canonical(src, dst, 0, 0);
    finish(addresses(a, b), 0)
}

/// The addresses of the datagram an ICMP error quotes (Linux: `ip_multipath_l3_keys`).
#[inline(always)]
fn quoted_addresses(ip: &[u8], outer: &Ipv4) -> Option<(u32, u32)> {
    if outer.protocol != PROTO_ICMP {
        return None;
    }
    let icmp = outer.payload(ip)?;
    // Destination unreachable, redirect, time exceeded, parameter problem (RFC 792).
    if !matches!(icmp.first()?, 3 | 5 | 11 | 12) {
        return None;
    }
    let quoted = Ipv4::read(icmp.get(8..)?)?;
    Some((quoted.src, quoted.dst))
}

/// The inner IPv4 header of IP-in-IP or GRE, for `l3-inner`.
#[inline(always)]
fn inner_header<'a>(ip: &'a [u8], outer: &Ipv4) -> Option<&'a [u8]> {
    let payload = outer.payload(ip)?;
    match outer.protocol {
        PROTO_IPIP => Some(payload),
        PROTO_GRE => {
            let flags = read_u16(payload, 0)?;
            if flags & (GRE_ROUTING | GRE_VERSION) != 0 || read_u16(payload, 2)? != ETHERTYPE_IPV4 {
                return None;
            }
            let words = [GRE_CHECKSUM, GRE_KEY, GRE_SEQUENCE]
                .iter()
                .filter(|&&bit| flags & bit != 0)
                .count();
            payload.get(4 + 4 * words..)
        }
        _ => None,
    }
}

#[inline(always)]
fn has_ports(protocol: u8) -> bool {
    matches!(
        protocol,
        PROTO_TCP | PROTO_UDP | PROTO_DCCP | PROTO_SCTP | PROTO_UDPLITE
    )
}

#[inline(always)]
fn canonical(src: u32, dst: u32, sport: u16, dport: u16) -> (u32, u32, u16, u16) {
    if (src, sport) <= (dst, dport) {
        (src, dst, sport, dport)
    } else {
        (dst, src, dport, sport)
    }
}

#[inline(always)]
fn addresses(a: u32, b: u32) -> u64 {
    u64::from(a) << 32 | u64::from(b)
}

#[inline(always)]
fn finish(addresses: u64, ports: u64) -> u32 {
    (fmix64(addresses.wrapping_mul(K_ADDRESSES) ^ ports.wrapping_mul(K_PORTS)) >> 32) as u32
}

/// murmur3's 64-bit finaliser (Appleby, MurmurHash3): every input bit flips each output bit
/// with probability close to 1/2.
#[inline(always)]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

#[inline(always)]
fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at + 2)?;
    Some(u16::from_be_bytes([pair[0], pair[1]]))
}

#[cfg(test)]
mod tests;
