//! The control core: answers ARP and ICMP for the router, resolves next hops, holds packets
//! awaiting resolution, sends ICMP errors, probes gateways (check-gateway), and publishes new
//! snapshots when its state changes. It runs on EAL's main lcore and is never on the
//! forwarding fast path.

mod apply;
mod commands;
mod connections;
pub mod forwarding;
mod input;
mod interfaces;
mod load;
mod model;
mod netwatch;
mod observe;
mod output;
mod ping;
mod probes;
mod rates;
pub mod route_counters;
mod rule_stats;
mod scripts;
mod tx;

pub use apply::{hash_policy, probe_settings};
pub use model::Model;
pub use observe::Observer;
pub use tx::ControlTx;

use crate::counters::{Counters, DropReason};
use crate::dpdk::{Mbuf, Mempool};
use crate::fib::ecmp::HashPolicy;
use crate::fib::{Lpm, Neighbours, PortView, Publisher, Snapshot};
use crate::firewall::RuleSet;
use crate::forward::Punt;
use crate::neigh;
use crate::net::{Ipv4Interface, MacAddr};
use crate::packet::icmp as icmp_pkt;
use crate::probe;
use crate::rib::{self, Rib, Selected};
use crate::stateful::WorkerCmd;
use crate::worker::{Handoff, Punted};
use crossbeam_queue::ArrayQueue;
use probes::Probes;
use rates::{RateLog, TokenBucket, TrafficSampler};
use std::cell::RefCell;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A port as the control core sees it.
pub struct CtlPort {
    pub name: String,
    /// The DPDK device string it was opened with.
    pub device: String,
    pub dpdk_port: u16,
    /// The kernel interface under an `net_af_packet` device, whose carrier is its link
    /// (that PMD always reports its link up).
    pub kernel_iface: Option<String>,
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

/// What the control core is configured with, besides ports and routes.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub probe: probe::Settings,
    pub hash_policy: HashPolicy,
    /// Log per-port packet rates this often (`wanfwd --stats-interval`).
    pub stats_interval: Option<Duration>,
}

pub struct Control {
    pub ports: Vec<CtlPort>,
    pool: Arc<Mempool>,
    neigh: neigh::Table<Held>,
    model: Model,
    /// Link state per port, as last seen.
    link_up: Vec<bool>,
    /// Per port, the device counters at its last `reset-counters` (what `print stats`
    /// subtracts).
    stats_base: Vec<interfaces::PortCounts>,
    /// The ports' rates over the last second (`monitor-traffic`).
    traffic: TrafficSampler,
    /// The workers' load over the last second (`/system/resource`).
    load: load::LoadSampler,
    /// When the control core started (`uptime`).
    started: Instant,
    /// The EAL lcore of each worker, in worker order.
    pub worker_lcores: Vec<u32>,
    /// The EAL lcore of the control core (the thread that runs `tick`).
    pub control_lcore: u32,
    next_link_check: Instant,
    rib: Rib,
    fibs: Vec<Arc<Lpm>>,
    /// The selection in force, per path list.
    sel: Vec<Selected>,
    buckets: forwarding::Buckets,
    /// The route counter ids the snapshots carry.
    route_ids: route_counters::RouteCounterIds,
    probes: Probes,
    /// `/tool/netwatch`.
    netwatch: netwatch::Netwatches,
    /// `/ping`s of scripts.
    pings: ping::Pings,
    /// Scripts waiting for a `:delay` or pings.
    scripts: scripts::Scripts,
    publisher: Publisher,
    punts: Vec<Arc<ArrayQueue<Punted>>>,
    icmp_limit: TokenBucket,
    ident: u16,
    snap: Arc<Snapshot>,
    settings: Settings,
    /// The operator's API socket, when listening.
    pub api: Option<crate::api::ApiServer>,
    /// The metrics exporter, when listening.
    pub observer: Option<Observer>,
    /// Each worker's published counters (for the rate log).
    pub workers: Vec<Arc<crate::counters::SharedCounters>>,
    pub counters: Counters,
    /// The compiled mangle and NAT rules in force.
    rules: Arc<RuleSet>,
    /// The rules' counters at their last `reset-counters`.
    rule_base: rule_stats::RuleBase,
    /// The rules' Prometheus series.
    rule_metrics: rule_stats::RuleMetrics,
    /// Each worker's command ring.
    pub cmds: Vec<Arc<ArrayQueue<WorkerCmd>>>,
    /// Each worker's hand-off ring: held packets go back through the stateful path.
    pub handoff: Vec<Arc<ArrayQueue<Handoff>>>,
    /// The connections of the last `/ip/firewall/connection` listing (for `remove`).
    listed: RefCell<Vec<connections::Listed>>,
}

/// How often timers (ARP retries, probes, expiry, snapshot reclamation) run.
const TICK: Duration = Duration::from_millis(10);
/// How often the ports' link state is read.
const LINK_CHECK: Duration = Duration::from_millis(500);
/// Punted packets handled per round before timers get a turn.
const PUNT_BUDGET: usize = 256;

impl Control {
    pub fn new(
        ports: Vec<CtlPort>,
        pool: Arc<Mempool>,
        model: Model,
        static_arp: &[(u32, u16, MacAddr)],
        punts: Vec<Arc<ArrayQueue<Punted>>>,
        settings: Settings,
    ) -> Control {
        let mut neigh = neigh::Table::default();
        for &(a, p, m) in static_arp {
            neigh.add_static(a, p, m);
        }
        let mut c = Control {
            ports,
            pool,
            neigh,
            link_up: vec![true; model.ports.len()],
            stats_base: vec![Default::default(); model.ports.len()],
            traffic: TrafficSampler::new(model.ports.len()),
            load: load::LoadSampler::default(),
            started: Instant::now(),
            worker_lcores: Vec::new(),
            control_lcore: 0,
            next_link_check: Instant::now(),
            model,
            rib: Rib::default(),
            fibs: Vec::new(),
            sel: Vec::new(),
            buckets: forwarding::Buckets::default(),
            route_ids: route_counters::RouteCounterIds::default(),
            probes: Probes::default(),
            netwatch: netwatch::Netwatches::default(),
            pings: ping::Pings::default(),
            scripts: scripts::Scripts::default(),
            publisher: Publisher::new(Snapshot::empty(vec![])),
            punts,
            icmp_limit: TokenBucket::new(1000.0, 50.0),
            ident: 1,
            snap: Arc::new(Snapshot::empty(vec![])),
            settings,
            api: None,
            observer: None,
            workers: Vec::new(),
            counters: Counters::default(),
            rules: Arc::new(RuleSet::empty()),
            rule_base: rule_stats::RuleBase::default(),
            rule_metrics: rule_stats::RuleMetrics::default(),
            cmds: Vec::new(),
            handoff: Vec::new(),
            listed: RefCell::new(Vec::new()),
        };
        match c.model.rules() {
            Ok(r) => c.install_rules(r, rule_stats::Before::default()),
            Err(e) => log::error!("firewall rules not installed: {e}"),
        }
        let rib = c.model.compute();
        c.set_rib(rib, Instant::now());
        c.follow_netwatch(Instant::now());
        c
    }

    /// Follows the ports' link state: a port whose link is down carries no route, as in
    /// RouterOS (routes through it go inactive, check-gateway or not).
    fn check_links(&mut self, now: Instant) {
        if now < self.next_link_check {
            return;
        }
        self.next_link_check = now + LINK_CHECK;
        let mut changed = false;
        for (i, p) in self.ports.iter().enumerate() {
            let up = match &p.kernel_iface {
                Some(iface) => std::fs::read_to_string(format!("/sys/class/net/{iface}/carrier"))
                    .map(|c| c.trim() == "1")
                    .unwrap_or(false),
                None => crate::dpdk::link_up(crate::dpdk::PortId(p.dpdk_port)),
            };
            if up != self.link_up[i] {
                log::warn!(
                    "interface {}: link {}",
                    p.name,
                    if up { "up" } else { "down" }
                );
                self.link_up[i] = up;
                if !up {
                    self.flush_translated(i as u16);
                }
                self.model.ports[i].enabled = up;
                changed = true;
            }
        }
        if changed {
            let rib = self.model.compute();
            self.set_rib(rib, now);
            self.log_routes();
        }
    }

    /// Installs a new RIB (configuration changed): probes follow its checked gateways.
    pub fn set_rib(&mut self, rib: Rib, now: Instant) {
        self.fibs = rib.fibs.iter().map(|f| Arc::new(f.clone())).collect();
        self.probes.follow(&rib, &self.settings.probe, now);
        self.rib = rib;
        self.publish();
    }

    /// Readers for the workers.
    /// The connection tracking timeouts in force (the YAML's, or a start-up script's).
    pub fn tracking_timeouts(&self) -> crate::conntrack::Timeouts {
        self.model.tracking.timeouts
    }

    pub fn reader(&self) -> crate::fib::publish::Reader {
        self.publisher.reader()
    }

    /// The routes and their states, for the log and `/ip/route print`.
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// The selection in force per path list.
    pub fn selection(&self) -> &[Selected] {
        &self.sel
    }

    /// Whether a member passes its check (and so may carry traffic).
    pub fn usable(&self, m: &rib::Member) -> bool {
        self.probes.usable(m)
    }

    /// Runs `f` over the routing views' context (for `/ip/route print` and friends).
    pub fn with_view<T>(&self, f: impl FnOnce(&rib::view::Context) -> T) -> T {
        let ports: Vec<String> = self.ports.iter().map(|p| p.name.clone()).collect();
        let probes = &self.probes;
        let usable = |m: &rib::Member| probes.usable(m);
        let gw_state = |m: &rib::Member| probes.state(m);
        f(&rib::view::Context {
            rib: &self.rib,
            sel: &self.sel,
            ports: &ports,
            usable: &usable,
            gw_state: &gw_state,
        })
    }

    /// Logs the routes as `/ip/route print` shows them, and the nexthops.
    pub fn log_routes(&self) {
        let (routes, nexthops) = self.with_view(|ctx| {
            (
                rib::view::print_routes(&rib::view::routes(ctx)),
                rib::view::print_nexthops(&rib::view::nexthops(ctx)),
            )
        });
        log::info!("/ip/route print\n{}", routes.trim_end());
        log::info!("/routing/nexthop print\n{}", nexthops.trim_end());
    }

    /// The snapshot in force.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snap)
    }

    /// Recomputes the selection from the gateways' states and publishes the forwarding
    /// objects: the FIBs themselves are shared with the previous snapshot.
    fn publish(&mut self) {
        let probes = &self.probes;
        self.sel = rib::select(&self.rib, &|m| probes.usable(m));
        let neighbours: Neighbours = self.neigh.published();
        let ports: Vec<PortView> = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| PortView {
                mac: p.mac,
                mtu: p.mtu,
                enabled: p.enabled,
                addr: self.model.port_address(i as u16).unwrap_or(0),
            })
            .collect();
        let fwd = forwarding::build(
            &self.rib,
            &self.fibs,
            &self.sel,
            &neighbours,
            &ports,
            &mut self.buckets,
            &mut self.route_ids,
            Instant::now(),
        );
        let next = Snapshot {
            generation: 0,
            fwd: Arc::new(fwd),
            neighbours: Arc::new(neighbours),
            ports: Arc::from(ports),
            hash_policy: self.settings.hash_policy,
            rules: Arc::clone(&self.rules),
        };
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
            let mut handled = self.poll_once();
            handled += self.serve_api();
            let now = Instant::now();
            if now >= next_tick {
                self.tick(now);
                next_tick = now + TICK;
                if let Some(every) = self.settings.stats_interval {
                    // The connections while tracking runs: the table and what was created.
                    let conns = self.rules.active().then(|| {
                        self.workers
                            .iter()
                            .map(|w| w.read())
                            .fold((0, 0), |(n, c), w| (n + w.conns, c + w.conns_created))
                    });
                    rates.maybe_log(now, every, &self.ports, conns);
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
        self.check_links(now);
        if self.traffic.due(now) {
            let counts = self.port_counts();
            self.traffic.sample(now, counts);
        }
        self.sample_load(now);
        self.observe(now);
        let changed = self.run_probes(now);
        if t.changed || changed {
            self.publish();
        }
        if changed {
            self.log_routes();
        }
        self.run_netwatch(now);
        self.run_scripts(now);
        self.publisher.reclaim();
    }

    fn solicit_gateways(&mut self, now: Instant) {
        // Every route's gateway, active or not, so that a backup route's gateway is already
        // resolved when it takes over.
        for (port, addr) in self.rib.gateways() {
            if self.neigh.resolve(addr).is_none() && self.neigh.solicit(addr, port, now) {
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
            Punt::Fragment { port } => self.fragment_out(mbuf, port),
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
}
