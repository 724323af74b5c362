//! Why a packet was not forwarded, and the per-worker counters that say how often.
//!
//! One list gives both the enum and the names operators see (VPP's `foreach_..._error`
//! pattern). Each worker counts into its own plain array and publishes it with relaxed stores
//! a few times a second: no atomic read-modify-write, no shared cache line on the packet path.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::conntrack::{NatUse, NAT_ADDRESSES};

mod routes;
pub use routes::{
    BurstSums, RouteCounters, SharedRouteCounters, NO_COUNTER, PATH_COUNTERS, ROUTE_COUNTERS,
};

macro_rules! drop_reasons {
    ($($variant:ident => $name:literal, $help:literal;)*) => {
        /// A reason a packet was dropped.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum DropReason { $($variant,)* }

        impl DropReason {
            pub const ALL: &'static [DropReason] = &[$(DropReason::$variant,)*];
            /// The counter's name, as metrics and reports show it.
            pub fn name(self) -> &'static str {
                match self { $(DropReason::$variant => $name,)* }
            }
            pub fn help(self) -> &'static str {
                match self { $(DropReason::$variant => $help,)* }
            }
        }
    };
}

drop_reasons! {
    NotIpv4 => "not-ipv4", "Ethernet type neither IPv4 nor ARP";
    NotForUs => "not-for-us", "destination MAC is another host's, broadcast or multicast";
    Malformed => "malformed", "truncated or invalid Ethernet, ARP or IPv4 header";
    BadChecksum => "bad-checksum", "IPv4 header checksum wrong";
    Martian => "martian", "source or destination a router must not forward (RFC 1812 5.3.7)";
    Multisegment => "multi-segment", "packet spread over several buffers";
    NoRoute => "no-route", "no route to the destination";
    TtlExceeded => "ttl-exceeded", "TTL ran out (ICMP time-exceeded sent, rate permitting)";
    NoNeighbour => "no-neighbour", "next hop's MAC address could not be resolved by ARP";
    HoldQueueFull => "hold-queue-full", "too many packets waiting for ARP resolution";
    TooBig => "too-big", "larger than the outgoing interface's MTU";
    PuntRingFull => "punt-ring-full", "control core's queue from the workers was full";
    TxFull => "tx-full", "device refused the packet (TX queue full)";
    LocalUnhandled => "local-unhandled", "addressed to the router, for a service it does not offer";
    IcmpRateLimited => "icmp-rate-limited", "ICMP error not sent: rate limit";
    NoBuffer => "no-buffer", "no packet buffer free to build a reply";
    ArpIgnored => "arp-ignored", "ARP not for one of the router's addresses";
    InterfaceDown => "interface-down", "outgoing interface disabled or link down";
    ConntrackFull => "conntrack-full", "new connection refused: the worker's connection table is full";
    ConntrackInvalid => "conntrack-invalid", "packet fits no connection and cannot open one (stray TCP flags, unknown ICMP error)";
    NatNoPort => "nat-no-port", "no free port to translate a new connection to";
    NatNoShare => "nat-no-share", "to-ports holds no port of this worker's (fewer ports than workers, device without RSS): only the workers owning its ports translate through that rule";
    NatNoAddress => "nat-no-address", "masquerade out of an interface that has no address";
    HandoffRingFull => "handoff-ring-full", "the worker owning the packet's connection had no room for it";
    Fragment => "fragment", "IPv4 fragment whose first fragment was not seen (out of order, or lost), or of a datagram whose first fragment was dropped";
}

pub const N_DROPS: usize = DropReason::ALL.len();

/// How many ports' TX queue drops are counted each (`tx-queue-drop`); the drops of ports
/// past them count only under [`DropReason::TxFull`].
pub const QUEUE_DROP_PORTS: usize = 32;

/// A worker's (or the control core's) own counters, written without atomics.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// TSC cycles of the rounds that had packets to handle (the worker's load: busy polling
    /// spins through idle rounds, which are not counted).
    pub busy_cycles: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
    /// Bytes of the packets received and sent (Ethernet frames without the FCS).
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub punted: u64,
    /// Connections in the worker's table now (a gauge).
    pub conns: u64,
    /// Connections created since start.
    pub conns_created: u64,
    /// NAT ports in use now (gauges).
    pub nat: NatUse,
    pub drops: [u64; N_DROPS],
    /// Per port (by index), the packets its TX queue refused (part of `TxFull`).
    pub queue_drops: [u64; QUEUE_DROP_PORTS],
    /// Traffic per route counter (routing table and nexthop).
    pub routes: RouteCounters,
}

impl Counters {
    #[inline]
    pub fn drop(&mut self, r: DropReason) {
        self.drops[r as usize] += 1;
    }

    /// `n` packets port `port`'s TX queue refused.
    #[inline]
    pub fn queue_full(&mut self, port: usize, n: u64) {
        self.drops[DropReason::TxFull as usize] += n;
        if let Some(q) = self.queue_drops.get_mut(port) {
            *q += n;
        }
    }

    pub fn dropped(&self, r: DropReason) -> u64 {
        self.drops[r as usize]
    }

    pub fn total_dropped(&self) -> u64 {
        self.drops.iter().sum()
    }

    pub fn add(&mut self, o: &Counters) {
        self.rx_packets += o.rx_packets;
        self.busy_cycles += o.busy_cycles;
        self.tx_packets += o.tx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_bytes += o.tx_bytes;
        self.punted += o.punted;
        self.conns += o.conns;
        self.conns_created += o.conns_created;
        self.nat.total += o.nat.total;
        for (a, b) in self.drops.iter_mut().zip(o.drops.iter()) {
            *a += b;
        }
        for (a, b) in self.queue_drops.iter_mut().zip(o.queue_drops.iter()) {
            *a += b;
        }
        self.routes.add(&o.routes);
    }
}

/// The published copy of one thread's counters: written by that thread only, read by the
/// control core. Cache-line aligned so that two workers never share a line.
#[repr(align(64))]
#[derive(Default)]
pub struct SharedCounters {
    rx_packets: AtomicU64,
    busy_cycles: AtomicU64,
    tx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    tx_bytes: AtomicU64,
    punted: AtomicU64,
    conns: AtomicU64,
    conns_created: AtomicU64,
    nat_ports: AtomicU64,
    /// Per slot, address << 32 | count: one store, so that a reader never pairs an address
    /// with another's count.
    nat_by_address: [AtomicU64; NAT_ADDRESSES],
    drops: [AtomicU64; N_DROPS],
    queue_drops: [AtomicU64; QUEUE_DROP_PORTS],
    routes: SharedRouteCounters,
}

impl SharedCounters {
    /// Publishes `c` (the single writer's own totals), its route counters below
    /// `route_ids` (the ids handed out so far).
    pub fn publish(&self, c: &Counters, route_ids: usize) {
        self.rx_packets.store(c.rx_packets, Ordering::Relaxed);
        self.busy_cycles.store(c.busy_cycles, Ordering::Relaxed);
        self.tx_packets.store(c.tx_packets, Ordering::Relaxed);
        self.rx_bytes.store(c.rx_bytes, Ordering::Relaxed);
        self.tx_bytes.store(c.tx_bytes, Ordering::Relaxed);
        self.punted.store(c.punted, Ordering::Relaxed);
        self.conns.store(c.conns, Ordering::Relaxed);
        self.conns_created.store(c.conns_created, Ordering::Relaxed);
        self.nat_ports.store(c.nat.total, Ordering::Relaxed);
        for (a, (addr, n)) in self.nat_by_address.iter().zip(c.nat.by_address) {
            a.store(u64::from(addr) << 32 | u64::from(n), Ordering::Relaxed);
        }
        for (a, v) in self.drops.iter().zip(c.drops.iter()) {
            a.store(*v, Ordering::Relaxed);
        }
        for (a, v) in self.queue_drops.iter().zip(c.queue_drops.iter()) {
            a.store(*v, Ordering::Relaxed);
        }
        self.routes.publish(&c.routes, route_ids);
    }

    pub fn read(&self) -> Counters {
        let mut c = Counters {
            rx_packets: self.rx_packets.load(Ordering::Relaxed),
            busy_cycles: self.busy_cycles.load(Ordering::Relaxed),
            tx_packets: self.tx_packets.load(Ordering::Relaxed),
            rx_bytes: self.rx_bytes.load(Ordering::Relaxed),
            tx_bytes: self.tx_bytes.load(Ordering::Relaxed),
            punted: self.punted.load(Ordering::Relaxed),
            conns: self.conns.load(Ordering::Relaxed),
            conns_created: self.conns_created.load(Ordering::Relaxed),
            nat: NatUse {
                total: self.nat_ports.load(Ordering::Relaxed),
                ..NatUse::default()
            },
            drops: [0; N_DROPS],
            queue_drops: [0; QUEUE_DROP_PORTS],
            routes: self.routes.read(),
        };
        for (v, a) in c.nat.by_address.iter_mut().zip(self.nat_by_address.iter()) {
            let p = a.load(Ordering::Relaxed);
            *v = ((p >> 32) as u32, p as u32);
        }
        for (v, a) in c.drops.iter_mut().zip(self.drops.iter()) {
            *v = a.load(Ordering::Relaxed);
        }
        for (v, a) in c.queue_drops.iter_mut().zip(self.queue_drops.iter()) {
            *v = a.load(Ordering::Relaxed);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in DropReason::ALL {
            assert!(seen.insert(r.name()), "duplicate {}", r.name());
            assert!(r
                .name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            assert!(!r.help().is_empty());
        }
    }

    #[test]
    fn publish_and_read_round_trip() {
        let mut c = Counters {
            rx_packets: 7,
            busy_cycles: 123_456,
            rx_bytes: 420,
            tx_bytes: 360,
            ..Default::default()
        };
        c.drop(DropReason::NoRoute);
        c.drop(DropReason::NoRoute);
        c.drop(DropReason::TxFull);
        c.queue_full(2, 5);
        c.queue_full(QUEUE_DROP_PORTS, 1);
        c.nat.bind(0xcb00_7102);
        c.nat.bind(0xcb00_7102);
        c.routes.count(2, 5, 300);
        let s = SharedCounters::default();
        s.publish(&c, 3);
        let r = s.read();
        assert_eq!(r.rx_packets, 7);
        assert_eq!(r.busy_cycles, 123_456);
        assert_eq!((r.rx_bytes, r.tx_bytes), (420, 360));
        assert_eq!(r.nat, c.nat);
        assert_eq!(r.routes.get(2), [5, 300]);
        assert_eq!(r.dropped(DropReason::NoRoute), 2);
        assert_eq!(r.total_dropped(), 9, "the queue drops are TX-full drops");
        assert_eq!(r.dropped(DropReason::TxFull), 7);
        assert_eq!(r.queue_drops[2], 5);
        assert_eq!(
            r.queue_drops.iter().sum::<u64>(),
            5,
            "a port past the array only in TxFull"
        );
        let mut sum = Counters::default();
        sum.add(&r);
        sum.add(&r);
        assert_eq!(sum.dropped(DropReason::NoRoute), 4);
    }
}
