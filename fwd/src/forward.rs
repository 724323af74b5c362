//! The per-packet forwarding decision, free of DPDK: a frame in, a verdict out, with the
//! frame rewritten in place when it is to be forwarded. Workers call it for every packet;
//! the control core calls `output` for packets it originates or releases from the ARP hold
//! queue, so both follow the same FIB.

use crate::counters::DropReason;
use crate::fib::{ecmp, LoadBalance, Nexthop, Tables};
use crate::net::MacAddr;
use crate::packet::checksum;
use crate::packet::ether::{self, EthernetFrame};
use crate::packet::ipv4::{self, Ipv4Packet};

/// Why a packet goes to the control core instead of out of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punt {
    /// An ARP packet.
    Arp,
    /// Addressed to one of the router's own addresses.
    Local,
    /// TTL would reach zero: the control core answers with ICMP time-exceeded.
    TtlExceeded,
    /// No route: the control core answers with ICMP destination-unreachable (net).
    NoRoute,
    /// Larger than the outgoing MTU with DF set: ICMP fragmentation-needed.
    FragNeeded { mtu: u16 },
    /// The next hop's MAC is not known yet: the control core holds the packet and ARPs.
    NoNeighbour { port: u16, addr: u32 },
    /// Rewritten to leave by `port` (MACs, TTL, translation) but larger than its MTU with DF
    /// clear: the control core cuts it into fragments (`local::fragment`) and sends them.
    Fragment { port: u16 },
}

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Rewritten; send it out of this port, and count it under this route counter
    /// (`counters::RouteCounters`: its routing table and nexthop).
    Forward {
        port: u16,
        counter: u16,
    },
    Punt(Punt),
    Drop(DropReason),
    /// Another worker owns the packet's connection: hand it over (stateful path only).
    Handoff {
        worker: u16,
    },
}

/// Addresses a router must neither forward from nor to (RFC 1812 5.3.7, 5.3.5.1): this
/// network (0/8), loopback (127/8), multicast and reserved (224/3, which includes the
/// limited broadcast). Multicast routing is not something wanfwd does.
#[inline]
fn is_martian(addr: u32) -> bool {
    MARTIAN[(addr >> 24) as usize]
}

/// [`is_martian`] by first octet: one load instead of three comparisons per address. A
/// `const`, not a `static`: the compiler then addresses it relative to the code instead of
/// loading its address from the GOT in the fast path's loop.
const MARTIAN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i == 0 || i == 127 || i >= 224;
        i += 1;
    }
    t
};

/// A [`fast`] decision that the general path must take instead.
pub const SLOW: u32 = u32::MAX;

/// The fast path's decision packed in a `u32` for the worker's burst loop: the output port
/// above the route counter, or None with the frame untouched (the worker's array holds
/// [`SLOW`] there: stored only when there is a decision, the loop needs no register for
/// SLOW). Port 0xFFFF does not exist (ports are counted in a u8 elsewhere), so no decision
/// packs to SLOW.
#[inline(always)]
pub fn fast(
    frame: &mut [u8],
    port: FastPort,
    route: FastRoute,
    hw_checksum: Option<bool>,
    snap: &Tables,
) -> Option<u32> {
    fast_path(frame, port, route, hw_checksum, snap)
}

/// What the fast path reads of the main table, taken out of the snapshot once per burst:
/// the FIB's level 1 and the load-balance array, so that the loop holds (or reloads from its
/// own stack) their addresses instead of going through `Tables` and `Lpm` for every packet
/// (the compiler must assume a store to a packet may change what they point to).
#[derive(Clone, Copy)]
pub struct FastRoute<'a> {
    fib: crate::fib::lpm::Level1<'a>,
    lbs: &'a [LoadBalance],
}

impl<'a> FastRoute<'a> {
    #[inline]
    pub fn new(t: &Tables<'a>) -> FastRoute<'a> {
        FastRoute {
            fib: t.fib.level1(),
            lbs: t.lbs,
        }
    }
}

/// What the fast path needs of the input port, taken once per burst: its MAC as a
/// little-endian `u64` shifted left by 16 (as a frame's first eight bytes are, shifted, when
/// they start with it), or a value no frame's destination matches when the port is disabled
/// or unknown (all its frames then take the general path, which counts them): 1, since a
/// shifted word has its low 16 bits clear.
#[derive(Clone, Copy, Debug)]
pub struct FastPort {
    mac: u64,
}

impl FastPort {
    #[inline]
    pub fn new(t: &Tables, in_port: u16) -> FastPort {
        let mac = match t.ports.get(usize::from(in_port)) {
            Some(p) if p.enabled => p.mac.to_le_u64() << 16,
            _ => 1,
        };
        FastPort { mac }
    }
}

/// Unpacks a [`fast`] decision other than [`SLOW`].
#[inline(always)]
pub fn unpack(fast: u32) -> Verdict {
    Verdict::Forward {
        port: (fast >> 16) as u16,
        counter: fast as u16,
    }
}

/// Decides the fate of a frame received on `in_port` and, when it is forwarded, decrements
/// its TTL (RFC 1624 checksum update) and rewrites its Ethernet addresses. `hw_checksum` is
/// the device's verdict on the IPv4 header checksum when it checked it.
/// Always inlined: a call per packet costs the worker loop about a tenth of its rate (the
/// compiler stopped inlining it on its own once the verdict carried a route counter).
#[inline(always)]
pub fn forward(
    frame: &mut [u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    snap: &Tables,
) -> Verdict {
    let (port, route) = (FastPort::new(snap, in_port), FastRoute::new(snap));
    match fast_path(frame, port, route, hw_checksum, snap) {
        Some(packed) => unpack(packed),
        None => slow_path(frame, in_port, hw_checksum, snap),
    }
}

/// The common case in as few instructions as possible: an options-less, unexpired IPv4
/// packet for our MAC, routed to a resolved next hop within the MTU. Fixed-size array views
/// let the compiler drop every bounds check. Anything else returns None, untouched, and the
/// general path decides (and counts) it; both must agree on what the fast path accepts.
/// Returns the decision packed as [`fast`] does.
#[inline(always)]
fn fast_path(
    frame: &mut [u8],
    port: FastPort,
    route: FastRoute,
    hw_checksum: Option<bool>,
    t: &Tables,
) -> Option<u32> {
    let FastHeader {
        total_len, b, c, ..
    } = fast_header(frame, port, hw_checksum)?;
    if b as u8 <= 1 {
        return None;
    }
    let dst = c.swap_bytes();
    let lb = route.lbs.get(route.fib.lookup(dst)? as usize)?;
    // One adjacency, a gateway whose MAC is known, within its MTU: one comparison
    // (`Adjacency::fast`). The rest (ECMP, connected destinations, too big) the long way.
    if total_len > lb.adj.fast {
        return fast_other(frame, lb, t);
    }
    rewrite(frame.first_chunk_mut()?, b, &lb.adj.rewrite);
    Some(lb.adj.verdict)
}

/// Rewrites a forwarded frame's header: TTL and checksum (RFC 1624 eqn. 3) in the word they
/// share (`b`, IPv4 header bytes 8..16), in one store, and the MACs.
#[inline(always)]
fn rewrite(h: &mut [u8; FAST_HDR], b: u64, macs: &[u8; 12]) {
    let b = checksum::ttl_decremented_word(b);
    h[ether::HEADER_LEN + 8..ether::HEADER_LEN + 16].copy_from_slice(&b.to_le_bytes());
    h[..12].copy_from_slice(macs);
}

/// The fast path when the single-adjacency test failed, for a frame [`fast_path`] checked
/// and routed to `lb`: an ECMP bucket, or a connected destination with the MAC of its
/// neighbour entry. None, the frame untouched, for what the general path decides
/// (unusable, unresolved, larger than the MTU). What it needs of the header it reads again,
/// so that the fast path keeps nothing live for it across the test.
#[inline(never)]
fn fast_other(frame: &mut [u8], lb: &LoadBalance, t: &Tables) -> Option<u32> {
    let h: &[u8; FAST_HDR] = frame.first_chunk()?;
    let total_len = u16::from_be_bytes([h[16], h[17]]);
    let b = le64(h, ether::HEADER_LEN + 8);
    let dst = le32(h, ether::HEADER_LEN + 16).swap_bytes();
    let adj = if lb.mask == 0 {
        &lb.adj
    } else {
        let datagram = &frame[ether::HEADER_LEN..ether::HEADER_LEN + usize::from(total_len)];
        t.adjacencies
            .get(ecmp_bucket(lb.offset, lb.mask, datagram, t)?)?
    };
    // An unusable adjacency has MTU 0, so this one test also sends those to the slow path.
    if total_len > adj.mtu {
        return None;
    }
    let mut macs = adj.rewrite;
    if adj.connected {
        let n = t.neighbours.get(&dst)?;
        if n.port != adj.port {
            return None;
        }
        macs[..6].copy_from_slice(&n.mac.0);
    }
    rewrite(frame.first_chunk_mut()?, b, &macs);
    Some(adj.verdict)
}

/// What [`fast_header`] read of a frame it accepts.
pub(crate) struct FastHeader {
    /// The datagram's length (IPv4 total length).
    pub(crate) total_len: u16,
    /// IPv4 header bytes 0..8 (version and IHL, DSCP, total length, identification, flags
    /// and fragment offset), little-endian.
    pub(crate) a: u64,
    /// IPv4 header bytes 8..16 (TTL, protocol, checksum, source), little-endian.
    pub(crate) b: u64,
    /// IPv4 header bytes 16..20 (destination), little-endian.
    pub(crate) c: u32,
}

/// The checks every routed packet passes first ([`ingress`]'s), for the common frame only: an
/// options-less IPv4 header for our MAC on an enabled port, within the frame, with a right
/// checksum and no martian address. None for anything else, which [`ingress`] decides and
/// counts. The TTL is not looked at.
#[inline(always)]
pub(crate) fn fast_header(
    frame: &[u8],
    port: FastPort,
    hw_checksum: Option<bool>,
) -> Option<FastHeader> {
    let len = frame.len();
    let h: &[u8; FAST_HDR] = frame.first_chunk()?;
    // The header as five little-endian words, each loaded once; every field below is taken
    // from them (a byte-wise read of the same fields made the compiler rebuild the
    // checksum's words from single bytes, a third of the fast path's time).
    let a = le64(h, ether::HEADER_LEN);
    let b = le64(h, ether::HEADER_LEN + 8);
    let c = le32(h, ether::HEADER_LEN + 16);
    // The destination MAC (the word's low six bytes, the rest shifted out of the top), then
    // EtherType IPv4 and version 4 with a 20-byte header (the top three bytes of the word at
    // 7): shifts instead of masks, whose 48- and 24-bit constants cost a register or a load.
    if le64(h, 0) << 16 != port.mac || le64(h, 7) >> 40 != 0x0045_0008 {
        return None;
    }
    let total_len = ((a >> 16) as u16).swap_bytes();
    // At least a header, within the frame (`len` is at least FAST_HDR), in one comparison:
    // a length below the header's wraps around to a huge value.
    if usize::from(total_len).wrapping_sub(ipv4::HEADER_LEN) > len - FAST_HDR {
        return None;
    }
    // Verified in software even when the device says it is good: the check is a handful of
    // instructions, fewer than telling the device's three answers apart. A header the device
    // calls bad is left to the general path, which counts it.
    let device_bad = matches!(hw_checksum, Some(false));
    // The first octets of the source (byte 12 of the header) and destination (byte 16).
    let martian = MARTIAN[usize::from((b >> 32) as u8)] | MARTIAN[usize::from(c as u8)];
    // `|`, not `||`: all computed, one branch.
    if device_bad | !checksum::header_words_ok(a, b, c) | martian {
        return None;
    }
    Some(FastHeader { total_len, a, b, c })
}

/// [`ingress`] with the common frame checked first by [`fast_header`]: the same result.
#[inline(always)]
pub(crate) fn ingress_fast(
    frame: &[u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    snap: &Tables,
) -> Result<usize, Verdict> {
    match fast_header(frame, FastPort::new(snap, in_port), hw_checksum) {
        Some(h) => Ok(usize::from(h.total_len)),
        None => ingress(frame, in_port, hw_checksum, snap),
    }
}

#[inline(never)]
fn ecmp_bucket(offset: u32, mask: u32, l3: &[u8], t: &Tables) -> Option<usize> {
    let slot = offset + (ecmp::flow_hash(l3, t.hash_policy) & mask);
    t.buckets.get(slot as usize).map(|a| *a as usize)
}

/// The little-endian `u64` at `at` of the fast path's header.
#[inline(always)]
fn le64(h: &[u8; FAST_HDR], at: usize) -> u64 {
    u64::from_le_bytes(*h[at..].first_chunk().expect("within the header"))
}

/// The little-endian `u32` at `at` of the fast path's header.
#[inline(always)]
fn le32(h: &[u8; FAST_HDR], at: usize) -> u32 {
    u32::from_le_bytes(*h[at..].first_chunk().expect("within the header"))
}

/// Ethernet and an options-less IPv4 header.
const FAST_HDR: usize = ether::HEADER_LEN + ipv4::HEADER_LEN;

/// Every case, with the reason for each verdict.
#[inline(never)]
pub(crate) fn slow_path(
    frame: &mut [u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    snap: &Tables,
) -> Verdict {
    let total_len = match ingress(frame, in_port, hw_checksum, snap) {
        Ok(n) => n,
        Err(v) => return v,
    };
    let l3 = &frame[ether::HEADER_LEN..ether::HEADER_LEN + total_len];
    let dst = u32::from_be_bytes([l3[16], l3[17], l3[18], l3[19]]);
    match resolve(dst, l3, 0, snap) {
        Ok(Resolved::Local) => Verdict::Punt(Punt::Local),
        Ok(Resolved::Out {
            port, mac, counter, ..
        }) => {
            let big = match check_out(l3, port, snap) {
                Ok(b) => b,
                Err(v) => return v,
            };
            fragmenting(transmit(frame, port, mac, counter, snap), big)
        }
        Err(v) => expiring(l3, v),
    }
}

/// The checks every routed packet passes first: Ethernet for us on an enabled port, ARP
/// punted, a valid IPv4 header with a right checksum, no martian address. Returns the
/// datagram's length (the frame may be longer: Ethernet padding).
#[inline]
pub(crate) fn ingress(
    frame: &[u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    snap: &Tables,
) -> Result<usize, Verdict> {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return Err(Verdict::Drop(DropReason::Malformed));
    };
    match eth.ethertype() {
        ether::ETHERTYPE_IPV4 => {}
        ether::ETHERTYPE_ARP => return Err(Verdict::Punt(Punt::Arp)),
        _ => return Err(Verdict::Drop(DropReason::NotIpv4)),
    }
    let Some(port) = snap.ports.get(usize::from(in_port)) else {
        return Err(Verdict::Drop(DropReason::InterfaceDown));
    };
    if !port.enabled {
        return Err(Verdict::Drop(DropReason::InterfaceDown));
    }
    // Devices in promiscuous mode (af_packet, a MAC we could not program) hand us frames for
    // other hosts; a router routes only what is addressed to it.
    if eth.dst() != port.mac {
        return Err(Verdict::Drop(DropReason::NotForUs));
    }
    let Ok(ip) = Ipv4Packet::new_checked(&frame[ether::HEADER_LEN..]) else {
        return Err(Verdict::Drop(DropReason::Malformed));
    };
    let ok = match hw_checksum {
        Some(v) => v,
        // The common options-less header in one fixed-size pass.
        None => match frame[ether::HEADER_LEN..].first_chunk::<{ ipv4::HEADER_LEN }>() {
            Some(h) if h[0] == 0x45 => checksum::header20_ok(h),
            _ => ip.verify_checksum(),
        },
    };
    if !ok {
        return Err(Verdict::Drop(DropReason::BadChecksum));
    }
    if is_martian(ip.src_u32()) || is_martian(ip.dst_u32()) {
        return Err(Verdict::Drop(DropReason::Martian));
    }
    Ok(usize::from(ip.total_len()))
}

/// A routing failure's verdict for a packet whose TTL may be running out: TTL is checked
/// before the neighbour so that an expiring packet gets its ICMP error even while the next
/// hop is still being resolved.
pub(crate) fn expiring(l3: &[u8], v: Verdict) -> Verdict {
    if l3[8] <= 1 && matches!(v, Verdict::Punt(Punt::NoNeighbour { .. })) {
        Verdict::Punt(Punt::TtlExceeded)
    } else {
        v
    }
}

/// TTL and MTU checks of a packet about to leave by `port`. `Ok(true)`: larger than the
/// MTU with DF clear, to be fragmented once rewritten (see [`fragmenting`]).
#[inline]
pub(crate) fn check_out(l3: &[u8], port: u16, snap: &Tables) -> Result<bool, Verdict> {
    let ip = Ipv4Packet::new_unchecked(l3);
    if ip.ttl() <= 1 {
        return Err(Verdict::Punt(Punt::TtlExceeded));
    }
    let out = &snap.ports[usize::from(port)];
    if ip.total_len() > out.mtu {
        if ip.dont_frag() {
            return Err(Verdict::Punt(Punt::FragNeeded { mtu: out.mtu }));
        }
        return Ok(true);
    }
    Ok(false)
}

/// The verdict of a rewritten packet that [`check_out`] found too big (`big`): the control
/// core fragments it.
#[inline]
pub(crate) fn fragmenting(v: Verdict, big: bool) -> Verdict {
    match v {
        Verdict::Forward { port, .. } if big => Verdict::Punt(Punt::Fragment { port }),
        v => v,
    }
}

/// Decrements the TTL and rewrites the Ethernet addresses of a checked packet, to be
/// counted under route counter `counter`.
#[inline]
pub(crate) fn transmit(
    frame: &mut [u8],
    port: u16,
    mac: MacAddr,
    counter: u16,
    snap: &Tables,
) -> Verdict {
    Ipv4Packet::new_unchecked(&mut frame[ether::HEADER_LEN..]).decrement_ttl();
    set_macs(frame, port, mac, counter, snap)
}

/// The Ethernet addresses of a packet leaving by `port` to `mac`, to be counted under route
/// counter `counter` (its TTL already decremented).
#[inline(always)]
pub(crate) fn set_macs(
    frame: &mut [u8],
    port: u16,
    mac: MacAddr,
    counter: u16,
    snap: &Tables,
) -> Verdict {
    let out = &snap.ports[usize::from(port)];
    let mut eth = EthernetFrame::new_unchecked(frame);
    eth.set_dst(mac);
    eth.set_src(out.mac);
    Verdict::Forward { port, counter }
}

/// Routes a frame the router itself sends (ICMP it generates, packets released from the ARP
/// hold queue): no TTL decrement, no input checks. The IPv4 header must be complete.
pub fn output(frame: &mut [u8], snap: &Tables) -> Verdict {
    let Ok(ip) = Ipv4Packet::new_checked(frame.get(ether::HEADER_LEN..).unwrap_or(&[])) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let dst = ip.dst_u32();
    let l3 = &frame[ether::HEADER_LEN..ether::HEADER_LEN + usize::from(ip.total_len())];
    match resolve(dst, l3, 0, snap) {
        Ok(Resolved::Local) => Verdict::Drop(DropReason::LocalUnhandled),
        Ok(Resolved::Out { port, mac, .. }) => {
            EthernetFrame::new_unchecked(&mut *frame).set_ethertype(ether::ETHERTYPE_IPV4);
            // What the router sends is not forwarded traffic: no route counter.
            set_macs(frame, port, mac, crate::counters::NO_COUNTER, snap)
        }
        Err(v) => v,
    }
}

/// Where routing sends a packet.
pub(crate) enum Resolved {
    /// To the router itself.
    Local,
    /// Out of `port` to `mac`, counted under route counter `counter` (its routing table
    /// and nexthop).
    Out {
        port: u16,
        mac: MacAddr,
        counter: u16,
    },
}

/// Routes `dst` in routing table `table` (falling back to main), `l3` giving the ECMP hash.
#[inline]
pub(crate) fn resolve(dst: u32, l3: &[u8], table: u8, snap: &Tables) -> Result<Resolved, Verdict> {
    let mut found_in = 0;
    let adj = snap.route_in(table, dst).and_then(|(t, lb)| {
        found_in = t;
        if lb.mask == 0 {
            Some(lb.offset as usize)
        } else {
            ecmp_bucket(lb.offset, lb.mask, l3, snap)
        }
    });
    let Some((adj, nh)) = adj.and_then(|a| snap.nexthops.get(a).map(|nh| (a, nh))) else {
        return Err(Verdict::Punt(Punt::NoRoute));
    };
    let (port, addr, mac) = match nh {
        Nexthop::Local => return Ok(Resolved::Local),
        Nexthop::Unreachable => return Err(Verdict::Punt(Punt::NoRoute)),
        Nexthop::Gateway { port, addr, mac } => (*port, *addr, *mac),
        Nexthop::Connected { port } => (
            *port,
            dst,
            snap.neighbours
                .get(&dst)
                .filter(|n| n.port == *port)
                .map(|n| n.mac),
        ),
    };
    match snap.ports.get(usize::from(port)) {
        Some(p) if p.enabled => {}
        _ => return Err(Verdict::Drop(DropReason::InterfaceDown)),
    }
    match mac {
        Some(mac) => Ok(Resolved::Out {
            port,
            mac,
            counter: snap.counter(found_in, adj as u32),
        }),
        None => Err(Verdict::Punt(Punt::NoNeighbour { port, addr })),
    }
}

#[cfg(test)]
mod tests;
