//! The control core: answers ARP and ICMP for the router, resolves next hops, holds packets
//! awaiting resolution, sends ICMP errors, and publishes new snapshots when its state
//! changes. It runs on EAL's main lcore and is never on the forwarding fast path.

mod tx;

pub use tx::ControlTx;

use crate::counters::{Counters, DropReason};
use crate::dpdk::{Mbuf, Mempool, PortId, PortStats};
use crate::fib::{Neighbours, PortView, Publisher, Snapshot};
use crate::forward::{self, Punt, Verdict};
use crate::local;
use crate::neigh::{self, Hold};
use crate::net::{Ipv4Interface, MacAddr};
use crate::packet::arp as arp_pkt;
use crate::packet::ether;
use crate::packet::icmp as icmp_pkt;
use crate::packet::ipv4::{self, Ipv4Packet};
use crate::rib::{self, Rib};
use crate::worker::Punted;
use crossbeam_queue::ArrayQueue;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A port as the control core sees it.
pub struct CtlPort {
    pub name: String,
    pub dpdk_port: u16,
    pub mac: MacAddr,
    pub mtu: u16,
    pub enabled: bool,
    pub addrs: Vec<Ipv4Interface>,
    pub tx: ControlTx,
}

impl CtlPort {
    /// Our address on the subnet of `peer`, else the port's first address.
    fn source_for(&self, peer: Ipv4Addr) -> Option<Ipv4Addr> {
        self.addrs
            .iter()
            .find(|a| a.prefix().contains(peer))
            .or(self.addrs.first())
            .map(|a| a.addr)
    }

    fn owns(&self, a: Ipv4Addr) -> bool {
        self.addrs.iter().any(|x| x.addr == a)
    }

    fn on_link(&self, a: Ipv4Addr) -> bool {
        self.addrs.iter().any(|x| x.prefix().contains(a))
    }
}

/// A packet waiting in the ARP hold queue, and where it came from (None: the router's own).
pub struct Held {
    mbuf: Mbuf,
    in_port: Option<u16>,
}

/// A token bucket for ICMP errors, as Linux's icmp_ratelimit: a steady rate with a burst.
struct TokenBucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        TokenBucket {
            tokens: burst,
            rate,
            burst,
            last: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let dt = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub struct Control {
    pub ports: Vec<CtlPort>,
    pool: Arc<Mempool>,
    neigh: neigh::Table<Held>,
    rib: Rib,
    fib: Arc<crate::fib::Lpm>,
    publisher: Publisher,
    punts: Vec<Arc<ArrayQueue<Punted>>>,
    icmp_limit: TokenBucket,
    ident: u16,
    snap: Arc<Snapshot>,
    pub counters: Counters,
    /// Log per-port packet rates this often (`wanfwd --stats-interval`).
    pub stats_interval: Option<Duration>,
}

/// Per-port packet rates for the log, from the devices' own counters.
struct RateLog {
    last: Instant,
    prev: Vec<PortStats>,
}

impl RateLog {
    fn new(n: usize) -> Self {
        RateLog {
            last: Instant::now(),
            prev: vec![PortStats::default(); n],
        }
    }

    fn maybe_log(&mut self, now: Instant, every: Duration, ports: &[CtlPort]) {
        let dt = now.duration_since(self.last);
        if dt < every {
            return;
        }
        let secs = dt.as_secs_f64();
        let mut line = String::new();
        for (p, prev) in ports.iter().zip(self.prev.iter_mut()) {
            let s = PortId(p.dpdk_port).stats();
            let rx = (s.ipackets - prev.ipackets) as f64 / secs;
            let tx = (s.opackets - prev.opackets) as f64 / secs;
            line.push_str(&format!(" {}: rx {:.0} pps tx {:.0} pps;", p.name, rx, tx));
            *prev = s;
        }
        self.last = now;
        log::info!("rates:{line}");
    }
}

/// How often timers (ARP retries, expiry, snapshot reclamation) run.
const TICK: Duration = Duration::from_millis(100);
/// Punted packets handled per round before timers get a turn.
const PUNT_BUDGET: usize = 256;

impl Control {
    pub fn new(
        ports: Vec<CtlPort>,
        pool: Arc<Mempool>,
        rib: Rib,
        static_arp: &[(u32, u16, MacAddr)],
        punts: Vec<Arc<ArrayQueue<Punted>>>,
    ) -> Control {
        let mut neigh = neigh::Table::default();
        for &(a, p, m) in static_arp {
            neigh.add_static(a, p, m);
        }
        let fib = Arc::new(rib.fib.clone());
        let first = Snapshot::empty(vec![]);
        let mut c = Control {
            ports,
            pool,
            neigh,
            rib,
            fib,
            publisher: Publisher::new(first),
            punts,
            icmp_limit: TokenBucket::new(1000.0, 50.0),
            ident: 1,
            snap: Arc::new(Snapshot::empty(vec![])),
            counters: Counters::default(),
            stats_interval: None,
        };
        c.publish();
        c
    }

    /// Readers for the workers.
    pub fn reader(&self) -> crate::fib::publish::Reader {
        self.publisher.reader()
    }

    /// The routes and their states, for the log and (later) `/ip/route print`.
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// The snapshot in force.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snap)
    }

    fn publish(&mut self) {
        let neighbours: Neighbours = self.neigh.published();
        let nexthops = rib::nexthops(&self.rib.nexthops, &neighbours);
        let ports = self
            .ports
            .iter()
            .map(|p| PortView {
                mac: p.mac,
                mtu: p.mtu,
                enabled: p.enabled,
            })
            .collect();
        let next = Snapshot::new(Arc::clone(&self.fib), nexthops, neighbours, ports);
        let g = self.publisher.publish(next);
        self.snap = self.publisher.current();
        log::debug!("published snapshot {g}");
    }

    /// Runs until `stop` is set, or `failed` (a worker died).
    pub fn run(&mut self, stop: &AtomicBool, failed: &AtomicBool) {
        self.solicit_gateways(Instant::now());
        let mut next_tick = Instant::now() + TICK;
        let mut rates = RateLog::new(self.ports.len());
        while !stop.load(Ordering::Relaxed) && !failed.load(Ordering::Relaxed) {
            let handled = self.poll_once();
            let now = Instant::now();
            if now >= next_tick {
                self.tick(now);
                next_tick = now + TICK;
                if let Some(every) = self.stats_interval {
                    rates.maybe_log(now, every, &self.ports);
                }
            }
            if handled == 0 {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        self.flush_tx();
    }

    /// Handles what the workers punted; returns how many packets.
    pub fn poll_once(&mut self) -> usize {
        let mut n = 0;
        for r in 0..self.punts.len() {
            while n < PUNT_BUDGET {
                let Some(p) = self.punts[r].pop() else { break };
                self.handle(p);
                n += 1;
            }
        }
        self.flush_tx();
        n
    }

    fn tick(&mut self, now: Instant) {
        let t = self.neigh.tick(now);
        for (port, addr) in t.requests {
            self.send_arp_request(port, Ipv4Addr::from(addr));
        }
        self.counters.drops[DropReason::NoNeighbour as usize] += t.dropped.len() as u64;
        if t.changed {
            self.publish();
        }
        self.publisher.reclaim();
    }

    fn solicit_gateways(&mut self, now: Instant) {
        // Every usable route's gateway, active or not, so that a backup route's gateway is
        // already resolved when it takes over.
        let keys: Vec<_> = self.rib.routes.iter().filter_map(|r| r.nexthop).collect();
        for (port, addr) in rib::unresolved_gateways(&keys, &self.snap.neighbours) {
            if self.neigh.solicit(addr, port, now) {
                self.send_arp_request(port, Ipv4Addr::from(addr));
            }
        }
    }

    fn handle(&mut self, p: Punted) {
        let Punted {
            mbuf,
            in_port,
            reason,
        } = p;
        match reason {
            Punt::Arp => self.arp_input(mbuf, in_port),
            Punt::Local => self.local_input(mbuf, in_port),
            Punt::TtlExceeded => {
                self.counters.drop(DropReason::TtlExceeded);
                self.icmp_error(
                    &mbuf,
                    in_port,
                    icmp_pkt::TYPE_TIME_EXCEEDED,
                    icmp_pkt::CODE_TTL_EXCEEDED,
                    0,
                );
            }
            Punt::NoRoute => {
                self.counters.drop(DropReason::NoRoute);
                self.icmp_error(
                    &mbuf,
                    in_port,
                    icmp_pkt::TYPE_DEST_UNREACHABLE,
                    icmp_pkt::CODE_NET_UNREACHABLE,
                    0,
                );
            }
            Punt::FragNeeded { mtu } => {
                self.counters.drop(DropReason::TooBig);
                self.icmp_error(
                    &mbuf,
                    in_port,
                    icmp_pkt::TYPE_DEST_UNREACHABLE,
                    icmp_pkt::CODE_FRAG_NEEDED,
                    u32::from(mtu),
                );
            }
            Punt::NoNeighbour { port, addr } => self.hold(
                Held {
                    mbuf,
                    in_port: Some(in_port),
                },
                port,
                addr,
            ),
        }
    }

    fn hold(&mut self, h: Held, port: u16, addr: u32) {
        match self.neigh.hold(addr, port, h, Instant::now()) {
            Hold::HeldSendRequest => self.send_arp_request(port, Ipv4Addr::from(addr)),
            Hold::Held => {}
            Hold::Refused(_) => self.counters.drop(DropReason::HoldQueueFull),
            Hold::Known(_, h) => {
                // The worker's snapshot predates the resolution; ours has it.
                self.release(vec![h]);
            }
        }
    }

    /// Sends packets whose next hop just resolved, routing them again on the new snapshot.
    fn release(&mut self, held: Vec<Held>) {
        for Held { mut mbuf, in_port } in held {
            let v = match in_port {
                Some(p) => forward::forward(mbuf.data_mut(), p, None, &self.snap.tables()),
                None => forward::output(mbuf.data_mut(), &self.snap.tables()),
            };
            match v {
                Verdict::Forward { port } => self.send(port, mbuf),
                Verdict::Punt(Punt::NoNeighbour { .. }) => {
                    self.counters.drop(DropReason::NoNeighbour)
                }
                Verdict::Punt(reason) => self.handle(Punted {
                    mbuf,
                    in_port: in_port.unwrap_or(0),
                    reason,
                }),
                Verdict::Drop(r) => self.counters.drop(r),
            }
        }
    }

    fn arp_input(&mut self, mut m: Mbuf, in_port: u16) {
        let Some(arp) = local::arp::parse(m.data()) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        let port = &self.ports[usize::from(in_port)];
        if !port.enabled {
            self.counters.drop(DropReason::InterfaceDown);
            return;
        }
        let for_us = port.owns(arp.target_ip);
        let sender = arp.sender_ip;
        // Learn from ARP addressed to us, and refresh what we already know (RFC 826 merge);
        // only senders on one of the port's subnets are neighbours.
        if (for_us || self.neigh.knows(sender.into()))
            && port.on_link(sender)
            && !sender.is_unspecified()
            && !arp.sender_mac.is_multicast()
        {
            let (changed, released) =
                self.neigh
                    .learn(sender.into(), in_port, arp.sender_mac, Instant::now());
            if changed {
                log::info!("ARP: {sender} is at {} on {}", arp.sender_mac, port.name);
                self.publish();
            }
            self.release(released);
        }
        if !for_us {
            self.counters.drop(DropReason::ArpIgnored);
            return;
        }
        if arp.operation == arp_pkt::OP_REQUEST {
            let mac = self.ports[usize::from(in_port)].mac;
            local::arp::reply_in_place(m.data_mut(), &arp, mac);
            self.send(in_port, m);
        }
    }

    fn local_input(&mut self, mut m: Mbuf, in_port: u16) {
        let Ok(ip) = Ipv4Packet::new_checked(&m.data()[ether::HEADER_LEN..]) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        let dst = ip.dst();
        // Directed broadcasts are local too, but the router answers only its own unicast
        // addresses (as Linux's icmp_echo_ignore_broadcasts).
        if !self.ports.iter().any(|p| p.owns(dst)) {
            self.counters.drop(DropReason::LocalUnhandled);
            return;
        }
        match ip.protocol() {
            ipv4::PROTO_ICMP => match local::icmp::echo_reply_in_place(m.data_mut()) {
                Some(len) => {
                    m.truncate(len);
                    self.output(m);
                }
                None => self.counters.drop(DropReason::LocalUnhandled),
            },
            ipv4::PROTO_UDP => {
                // No UDP service: port unreachable, which also ends a traceroute at us.
                self.counters.drop(DropReason::LocalUnhandled);
                self.icmp_error(
                    &m,
                    in_port,
                    icmp_pkt::TYPE_DEST_UNREACHABLE,
                    icmp_pkt::CODE_PORT_UNREACHABLE,
                    0,
                );
            }
            _ => self.counters.drop(DropReason::LocalUnhandled),
        }
    }

    /// Sends an ICMP error about the packet in `orig`, from our address on `in_port`.
    fn icmp_error(&mut self, orig: &Mbuf, in_port: u16, msg_type: u8, code: u8, rest: u32) {
        let Some(l3) = orig.data().get(ether::HEADER_LEN..) else {
            return;
        };
        let Ok(ip) = Ipv4Packet::new_checked(l3) else {
            return;
        };
        let peer = ip.src();
        let src = self.ports[usize::from(in_port)]
            .source_for(peer)
            .or_else(|| {
                self.ports
                    .iter()
                    .find_map(|p| p.addrs.first().map(|a| a.addr))
            });
        let Some(src) = src else { return };
        if !self.icmp_limit.take(Instant::now()) {
            self.counters.drop(DropReason::IcmpRateLimited);
            return;
        }
        let Some(mut out) = self.pool.alloc() else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        let room = ether::HEADER_LEN + local::icmp::MAX_ERROR_DATAGRAM;
        let Ok(buf) = out.append(room) else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        self.ident = self.ident.wrapping_add(1);
        // None: RFC 1812 4.3.2.7 forbids answering this one.
        if let Some(len) = local::icmp::build_error(buf, l3, src, msg_type, code, rest, self.ident)
        {
            out.truncate(len);
            self.output(out);
        }
    }

    /// Routes and sends a packet the router originates.
    fn output(&mut self, mut m: Mbuf) {
        match forward::output(m.data_mut(), &self.snap.tables()) {
            Verdict::Forward { port } => self.send(port, m),
            Verdict::Punt(Punt::NoNeighbour { port, addr }) => self.hold(
                Held {
                    mbuf: m,
                    in_port: None,
                },
                port,
                addr,
            ),
            Verdict::Punt(_) => self.counters.drop(DropReason::NoRoute),
            Verdict::Drop(r) => self.counters.drop(r),
        }
    }

    fn send_arp_request(&mut self, port: u16, target: Ipv4Addr) {
        let p = &self.ports[usize::from(port)];
        if !p.enabled {
            return;
        }
        let Some(src) = p.source_for(target) else {
            return;
        };
        let mac = p.mac;
        let Some(mut m) = self.pool.alloc() else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        let Ok(buf) = m.append(local::arp::MIN_FRAME) else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        local::arp::build_request(buf, mac, src, target);
        log::debug!(
            "ARP: who has {target}? tell {src} ({})",
            self.ports[usize::from(port)].name
        );
        self.send(port, m);
    }

    fn send(&mut self, port: u16, m: Mbuf) {
        if let Err(n) = self.ports[usize::from(port)].tx.send(m) {
            self.counters.drops[DropReason::TxFull as usize] += n as u64;
        }
        self.counters.tx_packets += 1;
    }

    fn flush_tx(&mut self) {
        for p in self.ports.iter_mut() {
            let lost = p.tx.flush();
            self.counters.drops[DropReason::TxFull as usize] += lost as u64;
        }
    }
}
