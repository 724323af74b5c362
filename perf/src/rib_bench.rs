//! rib-bench: what the routing control plane and the FIB cost, on the library alone (no
//! DPDK, no packets).
//!
//! 1. Failover through an anchor (design invariant 4): N customer prefixes resolved through
//!    the guide's check-gateway anchors; the time from "the ISP1 anchor's probe says
//!    unreachable" to "a worker thread sees the new snapshot", for N = 1, 1 000, 1 000 000.
//!    It must not grow with N. Also the time to build the RIB/FIB for N prefixes.
//! 2. A full table of one million prefixes, clustered like the Internet's: rib::compute and
//!    Lpm::build times, and the LPM's memory.
//! 3. Lpm::lookup rate on one core, on that table and on a 10-route table.
//!
//! Each figure is the median of several repetitions. See perf/README.md, "Routing
//! benchmarks".

use clap::Parser;
use std::collections::HashSet;
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use wanfwd::config::{AddressItem, CheckGateway, Gateway, RouteItem};
use wanfwd::control::forwarding::{self, Buckets};
use wanfwd::control::route_counters::RouteCounterIds;
use wanfwd::fib::ecmp::HashPolicy;
use wanfwd::fib::publish::Reader;
use wanfwd::fib::{Lpm, Neighbour, Neighbours, Nexthop, PortView, Publisher, Snapshot};
use wanfwd::net::{mask, Ipv4Interface, Ipv4Prefix, MacAddr};
use wanfwd::rib::{self, Check, Member, PortDesc, Rib, Target};

#[derive(Parser, Debug)]
#[command(
    name = "rib-bench",
    about = "RIB/FIB benchmarks: failover time vs route count, full-table build and memory, LPM lookup rate"
)]
struct Opts {
    /// Prefix counts for the failover figure (each prefix has two routes), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,1000,1000000")]
    sizes: Vec<usize>,
    /// Failovers (each followed by a failback) timed per size.
    #[arg(long, default_value_t = 101)]
    failovers: usize,
    /// RIB builds (rib::compute) timed per size, and for the full table.
    #[arg(long, default_value_t = 3)]
    builds: usize,
    /// Prefixes in the full table.
    #[arg(long, default_value_t = 1_000_000)]
    table: usize,
    /// /16 blocks the full table is clustered in.
    #[arg(long, default_value_t = 12_000)]
    blocks: usize,
    /// Repetitions of Lpm::build and of each lookup run.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Lookups per lookup run, in millions.
    #[arg(long, default_value_t = 16)]
    mlookups: usize,
    /// Seed of the pseudo-random generator (table and addresses).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl Opts {
    /// The command line with every option spelled out, to reproduce the run.
    fn command(&self) -> String {
        let sizes: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        format!(
            "target/release/rib-bench --sizes {} --failovers {} --builds {} --table {} \
             --blocks {} --reps {} --mlookups {} --seed {}",
            sizes.join(","),
            self.failovers,
            self.builds,
            self.table,
            self.blocks,
            self.reps,
            self.mlookups,
            self.seed
        )
    }
}

// ---------------------------------------------------------------------------------------
// The guide's set-up
// ---------------------------------------------------------------------------------------

const PORT_NAMES: [&str; 3] = ["bridge", "ether1", "ether2"];
const ETHER1: u16 = 1;
const ETHER2: u16 = 2;
const GW1: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const GW2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const MAC_GW1: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const MAC_GW2: MacAddr = MacAddr([2, 0, 0, 0, 2, 1]);

fn ports() -> Vec<PortDesc> {
    PORT_NAMES
        .iter()
        .map(|n| PortDesc {
            name: n.to_string(),
            enabled: true,
        })
        .collect()
}

fn port_views() -> Vec<PortView> {
    (0..PORT_NAMES.len() as u8)
        .map(|i| PortView {
            mac: MacAddr([2, 0, 0, 0, 0, i]),
            mtu: 1500,
            enabled: true,
            addr: 0,
        })
        .collect()
}

/// The gateways' MACs, as ARP would have resolved them.
fn neighbours() -> Neighbours {
    let mut n = Neighbours::default();
    n.insert(
        u32::from(GW1),
        Neighbour {
            port: ETHER1,
            mac: MAC_GW1,
        },
    );
    n.insert(
        u32::from(GW2),
        Neighbour {
            port: ETHER2,
            mac: MAC_GW2,
        },
    );
    n
}

fn addresses() -> Vec<(u16, AddressItem)> {
    ["192.168.1.1/24", "203.0.113.2/24", "198.51.100.2/24"]
        .iter()
        .enumerate()
        .map(|(port, a)| {
            (
                port as u16,
                AddressItem {
                    address: a.parse::<Ipv4Interface>().expect("valid address"),
                    network: None,
                    interface: PORT_NAMES[port].to_string(),
                    comment: None,
                    disabled: false,
                },
            )
        })
        .collect()
}

fn route(
    dst: Ipv4Prefix,
    gateway: &str,
    distance: u8,
    scope: u8,
    target_scope: u8,
    check: CheckGateway,
) -> RouteItem {
    RouteItem {
        dst_address: dst,
        gateway: Gateway::parse_list(gateway).expect("valid gateway"),
        distance,
        scope,
        target_scope,
        check_gateway: check,
        routing_table: "main".to_string(),
        comment: None,
        disabled: false,
    }
}

/// The anchors, then for every prefix a route via 203.0.113.1 (distance 1) and one via
/// 198.51.100.1 (distance 10), scope 20, target-scope 10: the guide's recursive set-up.
fn anchored_routes(prefixes: &[Ipv4Prefix]) -> Vec<RouteItem> {
    let mut v = Vec::with_capacity(2 + 2 * prefixes.len());
    v.push(route(
        Ipv4Prefix::host(GW1),
        "203.0.113.1%ether1",
        1,
        10,
        20,
        CheckGateway::Ping,
    ));
    v.push(route(
        Ipv4Prefix::host(GW2),
        "198.51.100.1%ether2",
        1,
        10,
        20,
        CheckGateway::Ping,
    ));
    for &p in prefixes {
        v.push(route(p, "203.0.113.1", 1, 20, 10, CheckGateway::None));
        v.push(route(p, "198.51.100.1", 10, 20, 10, CheckGateway::None));
    }
    v
}

fn compute(routes: &[RouteItem]) -> Rib {
    rib::compute(&ports(), &addresses(), routes, &[])
}

/// The ISP1 anchor as the prober knows it.
fn isp1_anchor() -> Member {
    Member::Direct {
        target: Target::Gateway(ETHER1, u32::from(GW1)),
        check: Check::Ping,
    }
}

// ---------------------------------------------------------------------------------------
// The control core's publication, as control::Control does it
// ---------------------------------------------------------------------------------------

struct Plane {
    rib: Rib,
    fibs: Vec<Arc<Lpm>>,
    neighbours: Neighbours,
    ports: Vec<PortView>,
    buckets: Buckets,
    route_ids: RouteCounterIds,
    publisher: Publisher,
}

/// One publication, timed: selection, forwarding objects, swap.
struct Published {
    generation: u64,
    start: Instant,
    selected: Instant,
    built: Instant,
    swapped: Instant,
}

impl Plane {
    /// As `Control::set_rib`: the FIBs go behind Arcs once per RIB; publications share them.
    fn new(rib: Rib) -> Plane {
        let ports = port_views();
        Plane {
            fibs: rib.fibs.iter().map(|f| Arc::new(f.clone())).collect(),
            rib,
            neighbours: neighbours(),
            publisher: Publisher::new(Snapshot::empty(ports.clone())),
            ports,
            buckets: Buckets::default(),
            route_ids: RouteCounterIds::default(),
        }
    }

    /// As `Control::publish`: select, build the forwarding objects, swap the snapshot.
    fn publish(&mut self, usable: &dyn Fn(&Member) -> bool) -> Published {
        let start = Instant::now();
        let sel = rib::select(&self.rib, usable);
        let selected = Instant::now();
        let neighbours = self.neighbours.clone();
        let fwd = forwarding::build(
            &self.rib,
            &self.fibs,
            &sel,
            &neighbours,
            &self.ports,
            &mut self.buckets,
            &mut self.route_ids,
            start,
        );
        let next = Snapshot {
            generation: 0,
            fwd: Arc::new(fwd),
            neighbours: Arc::new(neighbours),
            ports: Arc::from(self.ports.clone()),
            hash_policy: HashPolicy::default(),
            rules: Arc::new(wanfwd::firewall::RuleSet::empty()),
        };
        let built = Instant::now();
        let generation = self.publisher.publish(next);
        let swapped = Instant::now();
        Published {
            generation,
            start,
            selected,
            built,
            swapped,
        }
    }
}

/// Where a snapshot sends `addr`, as the packet path finds it: FIB → load balance →
/// (bucket) → nexthop.
fn nexthop_of(s: &Snapshot, addr: u32) -> Option<Nexthop> {
    let t = s.tables();
    let lb = *t.lbs.get(t.fib.lookup(addr)? as usize)?;
    let adj = if lb.mask == 0 {
        lb.offset
    } else {
        t.buckets[lb.offset as usize]
    };
    t.nexthops.get(adj as usize).cloned()
}

fn via(nh: &Option<Nexthop>) -> Option<(u16, Ipv4Addr)> {
    match nh {
        Some(Nexthop::Gateway { port, addr, .. }) => Some((*port, Ipv4Addr::from(*addr))),
        _ => None,
    }
}

/// What the worker thread reports: the generation it saw, when, and where it then sends the
/// sample address.
struct Seen {
    generation: u64,
    at: Instant,
    nexthop: Option<Nexthop>,
}

/// A worker's side: spins on its reader (one `load` per iteration, as a worker does once
/// per burst) and reports each new generation.
fn worker(mut r: Reader, sample: u32, stop: &AtomicBool, tx: mpsc::Sender<Seen>) {
    let mut last = u64::MAX;
    while !stop.load(Ordering::Relaxed) {
        let s = r.load();
        if s.generation != last {
            let at = Instant::now();
            last = s.generation;
            let nexthop = nexthop_of(s, sample);
            if tx
                .send(Seen {
                    generation: last,
                    at,
                    nexthop,
                })
                .is_err()
            {
                return;
            }
        }
        std::hint::spin_loop();
    }
}

#[derive(Default)]
struct Transitions {
    /// From the probe's verdict to the worker seeing the snapshot.
    total: Vec<f64>,
    select: Vec<f64>,
    build: Vec<f64>,
    swap: Vec<f64>,
    /// From the swap to the worker seeing it.
    seen: Vec<f64>,
}

impl Transitions {
    fn add(&mut self, p: &Published, s: &Seen) {
        let ns = |a: Instant, b: Instant| b.saturating_duration_since(a).as_nanos() as f64;
        self.total.push(ns(p.start, s.at));
        self.select.push(ns(p.start, p.selected));
        self.build.push(ns(p.selected, p.built));
        self.swap.push(ns(p.built, p.swapped));
        self.seen.push(ns(p.swapped, s.at));
    }
}

/// Times `reps` failovers (ISP1 anchor unreachable) and failbacks on `plane`, with a worker
/// thread watching. `samples`: addresses that must move to ISP2 and back; the worker checks
/// the last one itself, the control side checks them all after each transition.
fn failovers(plane: &mut Plane, samples: &[u32], reps: usize) -> (Transitions, Transitions) {
    let isp1 = isp1_anchor();
    assert!(
        plane.rib.checked_members().contains(&isp1),
        "the ISP1 anchor is not a probed member"
    );
    let healthy = |_: &Member| true;
    let isp1_down = move |m: &Member| *m != isp1;
    let on_isp1 = Some((ETHER1, GW1));
    let on_isp2 = Some((ETHER2, GW2));
    let check_all = |plane: &Plane, want: Option<(u16, Ipv4Addr)>, what: &str| {
        let cur = plane.publisher.current();
        for &a in samples {
            assert_eq!(
                via(&nexthop_of(&cur, a)),
                want,
                "{what}: {} is not sent where expected",
                Ipv4Addr::from(a)
            );
        }
    };
    let sample = *samples.last().expect("samples");
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Seen>();
    let wait = |g: u64| -> Seen {
        loop {
            let s = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the worker thread did not see the snapshot within 10 s");
            if s.generation == g {
                return s;
            }
        }
    };
    let mut over = Transitions::default();
    let mut back = Transitions::default();
    let pins = pinning();
    let saved = affinity::get();
    if let Some((control, _)) = pins {
        affinity::pin(control);
    }
    std::thread::scope(|scope| {
        let r = plane.publisher.reader();
        let stop_ref = &stop;
        scope.spawn(move || {
            if let Some((_, w)) = pins {
                affinity::pin(w);
            }
            worker(r, sample, stop_ref, tx)
        });
        let g = plane.publish(&healthy).generation;
        assert_eq!(
            via(&wait(g).nexthop),
            on_isp1,
            "healthy: sample not on ISP1"
        );
        check_all(plane, on_isp1, "healthy");
        // Untimed rounds first: the allocator settles after the RIB build (freeing millions
        // of small route objects leaves work that the next allocations pay once).
        for round in 0..WARMUP + reps {
            let p = plane.publish(&isp1_down);
            let s = wait(p.generation);
            assert_eq!(via(&s.nexthop), on_isp2, "failover: worker's sample");
            if round >= WARMUP {
                over.add(&p, &s);
            }
            check_all(plane, on_isp2, "failover");

            let p = plane.publish(&healthy);
            let s = wait(p.generation);
            assert_eq!(via(&s.nexthop), on_isp1, "failback: worker's sample");
            if round >= WARMUP {
                back.add(&p, &s);
            }
            check_all(plane, on_isp1, "failback");
        }
        stop.store(true, Ordering::Relaxed);
    });
    if let Some(mask) = saved {
        affinity::set(&mask);
    }
    (over, back)
}

/// Untimed failover/failback rounds before the timed ones.
const WARMUP: usize = 20;

/// CPU affinity, so that the control thread and the worker thread sit on different CPUs as
/// the control core and a worker lcore do.
mod affinity {
    use wanfwd::dpdk::CpuMask;

    /// The calling thread's CPU mask.
    pub fn get() -> Option<CpuMask> {
        CpuMask::current()
    }

    pub fn set(m: &CpuMask) -> bool {
        m.apply()
    }

    /// The CPUs the calling thread may run on.
    pub fn cpus() -> Vec<usize> {
        get().map(|m| m.cpus()).unwrap_or_default()
    }

    /// Pins the calling thread to `cpu`.
    pub fn pin(cpu: usize) -> bool {
        CpuMask::single(cpu).apply()
    }
}

/// The CPUs the control and worker threads are pinned to during failovers, when there are
/// two to choose from.
fn pinning() -> Option<(usize, usize)> {
    match affinity::cpus()[..] {
        [a, b, ..] => Some((a, b)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Tables and addresses
// ---------------------------------------------------------------------------------------

use wanfwd::rng::Rng;

type Prefix = Ipv4Prefix;

fn pfx(addr: u32, len: u8) -> Ipv4Prefix {
    Ipv4Prefix::new(Ipv4Addr::from(addr), len).expect("len <= 32")
}

/// N distinct /24s from 10.0.0.0 up (10.0.0.0/24, 10.0.1.0/24, ...).
fn customer_prefixes(n: usize) -> Vec<Prefix> {
    assert!(n <= 1 << 24, "at most 2^24 /24s");
    (0..n as u32)
        .map(|i| pfx(0x0a00_0000 + (i << 8), 24))
        .collect()
}

/// A /16 block (its top 16 bits) that public routes may come from: unicast, not private,
/// loopback, CGNAT, link-local, benchmarking, nor the guide's ranges.
fn public_block(b: u16) -> bool {
    let (a, c) = ((b >> 8) as u8, b as u8);
    !(a == 0
        || a == 10
        || a == 127
        || a >= 224
        || (a == 100 && (64..128).contains(&c))
        || (a == 169 && c == 254)
        || (a == 172 && (16..32).contains(&c))
        || (a == 192 && (c == 0 || c == 168))
        || (a == 198 && (c == 18 || c == 19 || c == 51))
        || (a == 203 && c == 0))
}

/// The mix of prefix lengths, in per cent: roughly today's IPv4 BGP table (60 % /24s, then
/// /22, /23, /21, /20...), plus some /25–/32 more-specifics as an edge router's own table
/// would carry.
const LENGTH_MIX: [(u8, f64); 25] = [
    (8, 0.002),
    (9, 0.002),
    (10, 0.005),
    (11, 0.01),
    (12, 0.03),
    (13, 0.06),
    (14, 0.1),
    (15, 0.15),
    (16, 1.3),
    (17, 0.8),
    (18, 1.3),
    (19, 2.4),
    (20, 4.0),
    (21, 4.8),
    (22, 10.5),
    (23, 9.5),
    (24, 59.0),
    (25, 0.6),
    (26, 0.6),
    (27, 0.5),
    (28, 0.5),
    (29, 0.6),
    (30, 0.6),
    (31, 0.1),
    (32, 1.6),
];

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    let mut v: Vec<f64> = weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect();
    for x in &mut v {
        *x /= acc;
    }
    v
}

fn pick(cum: &[f64], rng: &mut Rng) -> usize {
    let x = rng.f64();
    cum.partition_point(|&c| c <= x).min(cum.len() - 1)
}

/// `n` distinct prefixes clustered like the Internet table: `blocks` random public /16s,
/// weighted by a Zipf law (exponent 0.8) so that a few are densely deaggregated into /24s
/// and most hold a handful; each prefix's length drawn from LENGTH_MIX and its position at
/// random inside a block (or covering it, when shorter than /16).
fn internet_table(n: usize, blocks: usize, rng: &mut Rng) -> Vec<Prefix> {
    let mut taken = HashSet::new();
    let mut bl: Vec<u16> = Vec::with_capacity(blocks);
    while bl.len() < blocks {
        let b = (rng.next() >> 48) as u16;
        if public_block(b) && taken.insert(b) {
            bl.push(b);
        }
    }
    let block_cum = cumulative((0..blocks).map(|i| 1.0 / ((i + 1) as f64).powf(0.8)));
    let len_cum = cumulative(LENGTH_MIX.iter().map(|&(_, w)| w));
    let mut seen: HashSet<Prefix> = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = LENGTH_MIX[pick(&len_cum, rng)].0;
        let base = u32::from(bl[pick(&block_cum, rng)]) << 16;
        let addr = if len <= 16 {
            base
        } else {
            base | (rng.u32() & 0xffff)
        };
        let p = pfx(addr & mask(len), len);
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// A random address inside one of `prefixes`, chosen uniformly among the prefixes.
fn addr_in(prefixes: &[Prefix], rng: &mut Rng) -> u32 {
    let p = prefixes[rng.below(prefixes.len())];
    p.network_u32() | (rng.u32() & !mask(p.len()))
}

/// The 10-route table of fib::lpm's tests: an edge router's.
fn ten_routes() -> Vec<(Prefix, u32)> {
    [
        "0.0.0.0/0",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "192.168.88.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "203.0.113.1/32",
        "8.8.8.8/32",
        "100.64.0.0/10",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| (s.parse().expect("valid prefix"), i as u32))
    .collect()
}

// ---------------------------------------------------------------------------------------
// Measurement helpers
// ---------------------------------------------------------------------------------------

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Nanoseconds, in a readable unit.
fn dur(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_nanos() as f64)
}

/// The process's peak resident memory so far, from /proc.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn first_line(path: &str, key: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Lookups per second of `lpm` over `addrs`, `total` lookups in all: the median of `reps`
/// runs, in millions.
fn lookup_rate(lpm: &Lpm, addrs: &[u32], total: usize, reps: usize) -> f64 {
    let passes = total.div_ceil(addrs.len()).max(1);
    let n = (passes * addrs.len()) as f64;
    let runs: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..passes {
                for &a in addrs {
                    black_box(lpm.lookup(black_box(a)));
                }
            }
            n / t.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    median(&runs)
}

/// The same in bursts of 32 through `Lpm::lookup_burst`, as a worker looks up a burst.
fn burst_rate(lpm: &Lpm, addrs: &[u32], total: usize, reps: usize) -> f64 {
    let chunks = addrs.len() / 32;
    let passes = total.div_ceil(chunks * 32).max(1);
    let n = (passes * chunks * 32) as f64;
    let runs: Vec<f64> = (0..reps)
        .map(|_| {
            let mut out = [None; 32];
            let t = Instant::now();
            for _ in 0..passes {
                for c in addrs.chunks_exact(32) {
                    let c: &[u32; 32] = c.try_into().expect("32");
                    lpm.lookup_burst(black_box(c), &mut out);
                    black_box(&out);
                }
            }
            n / t.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    median(&runs)
}

/// The reference: one load from a random place in an array as large as the table (one
/// cache miss, the least an LPM lookup that leaves the cache can cost).
fn random_load_rate(bytes: usize, idx: &[u32], total: usize, reps: usize) -> f64 {
    let words = (bytes / 4).max(1);
    let arr: Vec<u32> = (0..words as u32).collect();
    let idx: Vec<u32> = idx
        .iter()
        .map(|&i| ((i as u64 * words as u64) >> 32) as u32)
        .collect();
    let passes = total.div_ceil(idx.len()).max(1);
    let n = (passes * idx.len()) as f64;
    let runs: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..passes {
                for &i in &idx {
                    black_box(arr[i as usize]);
                }
            }
            n / t.elapsed().as_secs_f64() / 1e6
        })
        .collect();
    median(&runs)
}

// ---------------------------------------------------------------------------------------

fn main() {
    let o = Opts::parse();
    assert!(o.failovers > 0 && o.builds > 0 && o.reps > 0 && o.mlookups > 0);
    let started = Instant::now();
    println!("rib-bench — wanfwd routing benchmarks (medians of repeated runs)");
    println!("command: {}", o.command());
    println!(
        "cpu: {}, {} online; load average at start: {}",
        first_line("/proc/cpuinfo", "model name"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut rng = Rng(o.seed);

    // -----------------------------------------------------------------------------------
    println!();
    println!(
        "1. Failover through one anchor, for N prefixes (command above; {} builds, {} failovers + failbacks each)",
        o.builds, o.failovers
    );
    println!(
        "   ports bridge/ether1/ether2 = 192.168.1.1/24, 203.0.113.2/24, 198.51.100.2/24; anchors"
    );
    println!(
        "   203.0.113.1/32 gw 203.0.113.1%ether1 and 198.51.100.1/32 gw 198.51.100.1%ether2, both"
    );
    println!("   check-gateway=ping scope=10 target-scope=20; N /24s from 10.0.0.0 up, each via 203.0.113.1");
    println!(
        "   distance 1 scope 20 and via 198.51.100.1 distance 10 scope 20 (2N+2 static routes)."
    );
    println!("   build   = rib::compute (resolution, path lists, classes, LPM), median");
    println!("   install = FIBs behind Arcs + first publication (Control::set_rib), median");
    println!("   failover = ISP1 anchor unusable -> rib::select + forwarding::build + Publisher::publish");
    println!(
        "              -> a worker thread spinning on its Reader sees the new generation (and then"
    );
    println!("              sends the last prefix to 198.51.100.1 on ether2; all samples checked); median,");
    println!("              with its parts: select / forwarding::build / publish (the swap) / seen (from");
    println!(
        "              publish() returning to the worker's observation; 0 if it saw it before)"
    );
    println!(
        "   {}; {WARMUP} untimed rounds first",
        match pinning() {
            Some((c, w)) => format!("control thread pinned to CPU {c}, worker thread to CPU {w}"),
            None => "one CPU only: threads not pinned".to_string(),
        }
    );
    println!("   failback = the same, ISP1 anchor usable again; LPM = Lpm::memory_bytes() of main");
    println!();
    println!(
        "   {:>9} {:>9} {:>5} {:>5} {:>9} {:>9} {:>9} | {:>9} {:>21} {:>8} {:>8} {:>8} {:>8} | {:>9}",
        "N",
        "routes",
        "plist",
        "class",
        "LPM",
        "build",
        "install",
        "failover",
        "(min–max)",
        "select",
        "fwd",
        "publish",
        "seen",
        "failback"
    );
    let mut failover_medians = Vec::new();
    for &n in &o.sizes {
        let prefixes = customer_prefixes(n);
        let routes = anchored_routes(&prefixes);
        let mut build = Vec::new();
        let mut rib = None;
        for _ in 0..o.builds {
            drop(rib.take());
            let (r, t) = time(|| compute(&routes));
            build.push(t);
            rib = Some(r);
        }
        let rib = rib.expect("built");
        let (pathlists, classes, lpm_bytes) = (
            rib.pathlists.len(),
            rib.classes.len(),
            rib.fibs[0].memory_bytes(),
        );
        let statics = rib.routes.len() - 3;
        // Install is timed on copies, so that the RIB is built once for the failovers.
        let mut install = Vec::new();
        for _ in 0..o.builds {
            let copy = without_routes(&rib);
            let (_, t) = time(|| {
                let mut p = Plane::new(copy);
                p.publish(&|_: &Member| true);
                p
            });
            install.push(t);
        }
        let mut plane = Plane::new(rib);
        let host7 = |p: &Prefix| p.network_u32() | 7;
        let samples: Vec<u32> = [0, n / 2, n - 1]
            .iter()
            .map(|&i| host7(&prefixes[i]))
            .collect();
        let (over, back) = failovers(&mut plane, &samples, o.failovers);
        let (lo, hi) = min_max(&over.total);
        println!(
            "   {:>9} {:>9} {:>5} {:>5} {:>9} {:>9} {:>9} | {:>9} {:>21} {:>8} {:>8} {:>8} {:>8} | {:>9}",
            n,
            statics,
            pathlists,
            classes,
            mib(lpm_bytes),
            dur(median(&build)),
            dur(median(&install)),
            dur(median(&over.total)),
            format!("({}–{})", dur(lo), dur(hi)),
            dur(median(&over.select)),
            dur(median(&over.build)),
            dur(median(&over.swap)),
            dur(median(&over.seen)),
            dur(median(&back.total)),
        );
        failover_medians.push((n, median(&over.total)));
        // The configuration stays alive until here, as the control core keeps its own.
        drop(plane);
        drop(routes);
    }
    if let (Some(&(n0, f0)), Some(&(n1, f1))) = (failover_medians.first(), failover_medians.last())
    {
        if n1 > n0 {
            println!(
                "   failover at N={n1} / at N={n0}: {:.2}x for {}x the routes{}",
                f1 / f0,
                n1 / n0.max(1),
                if f1 / f0 > 2.0 {
                    "  <-- GROWS WITH N"
                } else {
                    ""
                }
            );
        }
    }

    // -----------------------------------------------------------------------------------
    println!();
    println!(
        "2. Full table: {} prefixes clustered in {} random public /16s (Zipf 0.8), via two gateways",
        o.table, o.blocks
    );
    let (table, gen_ns) = time(|| internet_table(o.table, o.blocks, &mut rng));
    let mut by_len = [0usize; 33];
    for p in &table {
        by_len[usize::from(p.len())] += 1;
    }
    let share = |r: std::ops::RangeInclusive<usize>| {
        100.0 * r.map(|l| by_len[l]).sum::<usize>() as f64 / table.len() as f64
    };
    let slash16s: HashSet<u32> = table
        .iter()
        .filter(|p| p.len() >= 16)
        .map(|p| p.network_u32() >> 16)
        .collect();
    let slash24s: HashSet<u32> = table
        .iter()
        .filter(|p| p.len() > 24)
        .map(|p| p.network_u32() >> 8)
        .collect();
    println!(
        "   lengths: /8–/15 {:.2} %, /16 {:.1} %, /17–/23 {:.1} %, /24 {:.1} %, /25–/32 {:.1} %; {} /16s hold a /16 or longer, {} /24s a /25 or longer (generated in {})",
        share(8..=15),
        share(16..=16),
        share(17..=23),
        share(24..=24),
        share(25..=32),
        slash16s.len(),
        slash24s.len(),
        dur(gen_ns)
    );
    println!(
        "   each prefix via 203.0.113.1 distance 1 and via 198.51.100.1 distance 10, scope 20, through the anchors of 1."
    );
    // Lpm::build alone, on the prefix list with two values (a class per gateway).
    let entries: Vec<(Prefix, u32)> = table
        .iter()
        .enumerate()
        .map(|(i, &p)| (p, 2 + (i as u32 & 1)))
        .collect();
    let mut lpm_build = Vec::new();
    let mut lpm = None;
    for _ in 0..o.reps {
        drop(lpm.take());
        let (l, t) = time(|| Lpm::build(&entries));
        lpm_build.push(t);
        lpm = Some(l);
    }
    drop(entries);
    let lpm = lpm.expect("built");
    let lpm_bytes = lpm.memory_bytes();
    println!(
        "   Lpm::build alone ({} prefixes):        {:>9}  (median of {}; min–max {}–{})",
        lpm.len(),
        dur(median(&lpm_build)),
        o.reps,
        dur(min_max(&lpm_build).0),
        dur(min_max(&lpm_build).1)
    );
    println!(
        "   Lpm::memory_bytes():                      {:>9}  ({} bytes: 256 KiB level 1 + {} groups of 1 KiB; {:.1} bytes/prefix)",
        mib(lpm_bytes),
        lpm_bytes,
        (lpm_bytes - (1 << 18)) / 1024,
        lpm_bytes as f64 / lpm.len() as f64
    );
    let routes = anchored_routes(&table);
    let mut compute_ns = Vec::new();
    let mut rib = None;
    for _ in 0..o.builds {
        drop(rib.take());
        let (r, t) = time(|| compute(&routes));
        compute_ns.push(t);
        rib = Some(r);
    }
    let n_routes = routes.len();
    let rib = rib.expect("built");
    println!(
        "   rib::compute ({} static routes):      {:>9}  (median of {}; includes its own Lpm::build; {} path lists, {} classes, LPM {})",
        n_routes,
        dur(median(&compute_ns)),
        o.builds,
        rib.pathlists.len(),
        rib.classes.len(),
        mib(rib.fibs[0].memory_bytes())
    );
    let mut plane = Plane::new(rib);
    let samples: Vec<u32> = (0..8).map(|_| addr_in(&table, &mut rng)).collect();
    let (over, back) = failovers(&mut plane, &samples, o.failovers);
    println!(
        "   failover on this table:                   {:>9}  (failback {}; median of {}; select {}, fwd {}, publish {}, seen {})",
        dur(median(&over.total)),
        dur(median(&back.total)),
        o.failovers,
        dur(median(&over.select)),
        dur(median(&over.build)),
        dur(median(&over.swap)),
        dur(median(&over.seen))
    );
    drop(plane);
    drop(routes);
    println!("   peak RSS so far: {}", peak_rss());

    // -----------------------------------------------------------------------------------
    println!();
    let total = o.mlookups * 1_000_000;
    println!(
        "3. Lpm::lookup on one core, Mlookups/s (median of {} runs of {} M lookups; black_box on each result)",
        o.reps, o.mlookups
    );
    let ten = Lpm::build(&ten_routes());
    let ten_prefixes: Vec<Prefix> = ten_routes().iter().map(|&(p, _)| p).collect();
    let n_addrs = (total).min(1 << 24);
    let uniform: Vec<u32> = (0..n_addrs).map(|_| rng.u32()).collect();
    let in_table: Vec<u32> = (0..n_addrs).map(|_| addr_in(&table, &mut rng)).collect();
    let in_ten: Vec<u32> = (0..n_addrs)
        .map(|_| addr_in(&ten_prefixes, &mut rng))
        .collect();
    let hot: Vec<u32> = in_table[..1024].to_vec();
    let hot_ten: Vec<u32> = in_ten[..1024].to_vec();
    println!(
        "   address arrays of {} addresses ({}), read in order; the working set is 1024 of them",
        n_addrs,
        mib(n_addrs * 4)
    );
    println!(
        "   {:<58} {:>12} {:>12}",
        "",
        format!("{} pfx", o.table),
        "10 routes"
    );
    let row = |what: &str, a: f64, b: Option<f64>| {
        println!(
            "   {:<58} {:>12.1} {:>12}",
            what,
            a,
            b.map_or("".to_string(), |b| format!("{b:.1}"))
        )
    };
    row(
        "random addresses in the table's prefixes",
        lookup_rate(&lpm, &in_table, total, o.reps),
        Some(lookup_rate(&ten, &in_ten, total, o.reps)),
    );
    row(
        "random addresses, uniform over 0.0.0.0/0",
        lookup_rate(&lpm, &uniform, total, o.reps),
        Some(lookup_rate(&ten, &uniform, total, o.reps)),
    );
    row(
        "working set of 1024 addresses in the table, repeated",
        lookup_rate(&lpm, &hot, total, o.reps),
        Some(lookup_rate(&ten, &hot_ten, total, o.reps)),
    );
    row(
        "random in the table, bursts of 32 (Lpm::lookup_burst)",
        burst_rate(&lpm, &in_table, total, o.reps),
        Some(burst_rate(&ten, &in_ten, total, o.reps)),
    );
    let idx: Vec<u32> = uniform.clone();
    row(
        &format!("reference: 1 random load from a {} array", mib(lpm_bytes)),
        random_load_rate(lpm_bytes, &idx, total, o.reps),
        None,
    );
    println!();
    println!(
        "peak RSS: {}; load average at end: {}; total {}",
        peak_rss(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        dur(started.elapsed().as_nanos() as f64)
    );
    println!(
        "reproduce: cargo build --release -p perf && {}",
        o.command()
    );
}

/// A copy of a RIB for timing its installation: the FIBs, classes and path lists that
/// installation and publication read (not the per-route states, which they never touch).
fn without_routes(rib: &Rib) -> Rib {
    Rib {
        routes: Vec::new(),
        tables: rib.tables.clone(),
        pathlists: rib.pathlists.clone(),
        classes: rib.classes.clone(),
        fibs: rib.fibs.clone(),
    }
}
