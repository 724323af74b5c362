//! conntrack-bench: what the per-worker connection table costs, single-threaded, on the
//! library alone (no DPDK, no packets).
//!
//! 1. New connections per second: `insert` + `track` of fresh random UDP keys into a table of
//!    capacity 1 M, with `expire` running (`--budget 40` entries per burst of 32 new
//!    connections) on a simulated clock of 1 µs per new connection and a udp-timeout chosen
//!    so that the table stays near full (expiry does the removing). `Full` refusals are
//!    counted and reported.
//! 2. Lookup + track of established TCP connections in tables of 1 000 and 1 000 000
//!    connections, keys taken in random order (both directions): one by one, and in bursts
//!    of 32 hashed and prefetched first, as a worker does. Reference in the same run: a std
//!    `HashMap<FlowKey, u32>` lookup (SipHash) with the same keys and order.
//!
//! Each figure is the median of `--reps` runs.

use clap::Parser;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};
use wanfwd::conntrack::{Dir, Table, Timeouts};
use wanfwd::flow::FlowKey;

#[derive(Parser, Debug)]
#[command(
    name = "conntrack-bench",
    about = "Connection table benchmarks: new connections/s, lookup+track rate"
)]
struct Opts {
    /// Capacity of the table for the new-connection figure.
    #[arg(long, default_value_t = 1_000_000)]
    capacity: usize,
    /// Table sizes (established connections) for the lookup figure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1000,1000000")]
    sizes: Vec<usize>,
    /// New connections per timed run, in millions.
    #[arg(long, default_value_t = 2)]
    mnew: usize,
    /// Lookups per timed run, in millions.
    #[arg(long, default_value_t = 4)]
    mlookups: usize,
    /// Entries `expire` looks at per burst of 32 new connections (figure 1).
    #[arg(long, default_value_t = 40)]
    budget: usize,
    /// Timed runs per figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

use wanfwd::rng::Rng;

trait RngExt {
    fn key(&mut self, proto: u8) -> FlowKey;
}

impl RngExt for Rng {
    fn key(&mut self, proto: u8) -> FlowKey {
        let a = self.next();
        let b = self.next();
        FlowKey {
            src: a as u32,
            dst: (a >> 32) as u32,
            sport: b as u16,
            dport: (b >> 16) as u16,
            proto,
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn report(what: &str, ns: f64) {
    println!("  {what:<44} {ns:8.1} ns/op {:8.2} Mops/s", 1e3 / ns);
}

const UDP: u8 = 17;
const TCP: u8 = 6;
const ACK: u8 = 0x10;
const SYN: u8 = 0x02;

/// Figure 1. The clock advances 1 ms every 1000 new connections.
fn new_connections(o: &Opts, rng: &mut Rng) {
    let cap = o.capacity;
    // Freed ids are reused first, so a new entry usually sits just behind the expiry cursor
    // and is looked at again one lap later (cap / budget bursts of 32 new connections).
    // With a timeout a little under a lap, occupancy ≈ rate × lap: near capacity.
    let budget = o.budget;
    let lap_ms = (cap as u64 * 32 / budget as u64 / 1000).max(1);
    let timeout_ms = lap_ms * 7 / 8;
    let t = Timeouts {
        udp: Duration::from_millis(timeout_ms),
        ..Timeouts::default()
    };
    let mut table = Table::new(cap, &t);
    let mut op: u64 = 0;
    let mut full: u64 = 0;
    let mut expired: u64 = 0;
    let mut run = |table: &mut Table, n: usize, full: &mut u64, expired: &mut u64| {
        let (mut lo, mut hi) = (usize::MAX, 0);
        for _ in 0..n / 32 {
            let now = op / 1000;
            *expired += table.expire(now, budget, |c| {
                black_box(c);
            }) as u64;
            for _ in 0..32 {
                let k = rng.key(UDP);
                match table.insert(k, k.reversed(), now) {
                    Ok(id) => {
                        black_box(table.track(id, Dir::Original, 0, now));
                    }
                    Err(_) => *full += 1,
                }
                op += 1;
            }
            lo = lo.min(table.len());
            hi = hi.max(table.len());
        }
        (lo, hi)
    };
    // Warm up to the steady state: several timeouts' worth.
    run(&mut table, cap * 3, &mut full, &mut expired);
    let n = o.mnew * 1_000_000;
    let mut ns = Vec::new();
    let (mut lo, mut hi) = (usize::MAX, 0);
    let (full0, exp0) = (full, expired);
    for _ in 0..o.reps {
        let start = Instant::now();
        let (l, h) = run(&mut table, n, &mut full, &mut expired);
        ns.push(start.elapsed().as_nanos() as f64 / n as f64);
        lo = lo.min(l);
        hi = hi.max(h);
    }
    println!(
        "new connections, capacity {cap}, udp-timeout {timeout_ms} ms on a clock of 1 us per \
         connection, expire budget {budget} per 32:"
    );
    report("insert + track + expire (per new connection)", median(ns));
    let total = (n * o.reps) as u64;
    println!(
        "  occupancy {lo}..{hi} of {cap}; refused Full {} of {total}; expired {}",
        full - full0,
        expired - exp0
    );
}

/// Figure 2 for one table size.
fn lookups(o: &Opts, rng: &mut Rng, size: usize) {
    let mut table = Table::new(size, &Timeouts::default());
    let mut keys = Vec::with_capacity(2 * size);
    let mut reference: HashMap<FlowKey, u32> = HashMap::with_capacity(2 * size);
    while table.len() < size {
        let k = rng.key(TCP);
        let Ok(id) = table.insert(k, k.reversed(), 0) else {
            continue;
        };
        table.track(id, Dir::Original, SYN, 0);
        table.track(id, Dir::Reply, SYN | ACK, 0);
        table.track(id, Dir::Original, ACK, 0);
        keys.push(k);
        keys.push(k.reversed());
        reference.insert(k, id);
        reference.insert(k.reversed(), id);
    }
    let n = o.mlookups * 1_000_000;
    let order: Vec<u32> = (0..n)
        .map(|_| (rng.next() % keys.len() as u64) as u32)
        .collect();
    let mut plain = Vec::new();
    let mut burst = Vec::new();
    let mut refs = Vec::new();
    for rep in 0..o.reps {
        let now = rep as u64;
        let start = Instant::now();
        for &i in &order {
            let k = &keys[i as usize];
            let (id, dir) = table.lookup(k).expect("established key");
            black_box(table.track(id, dir, ACK, now));
        }
        plain.push(start.elapsed().as_nanos() as f64 / n as f64);

        let start = Instant::now();
        let mut hashes = [0u64; 32];
        for chunk in order.chunks(32) {
            for (h, &i) in hashes.iter_mut().zip(chunk) {
                *h = Table::hash(&keys[i as usize]);
                table.prefetch(*h);
            }
            for (h, &i) in hashes.iter().zip(chunk) {
                let k = &keys[i as usize];
                let (id, dir) = table.lookup_hashed(k, *h).expect("established key");
                black_box(table.track(id, dir, ACK, now));
            }
        }
        burst.push(start.elapsed().as_nanos() as f64 / n as f64);

        let start = Instant::now();
        for &i in &order {
            black_box(reference.get(&keys[i as usize]));
        }
        refs.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("established TCP connections: {size} (random order, both directions):");
    report("lookup + track", median(plain));
    report("lookup + track, bursts of 32 prefetched", median(burst));
    report("reference: std HashMap get (SipHash)", median(refs));
}

fn main() {
    let o = Opts::parse();
    let sizes: Vec<String> = o.sizes.iter().map(|s| s.to_string()).collect();
    println!(
        "target/release/conntrack-bench --capacity {} --budget {} --sizes {} --mnew {} \
         --mlookups {} --reps {} --seed {}",
        o.capacity,
        o.budget,
        sizes.join(","),
        o.mnew,
        o.mlookups,
        o.reps,
        o.seed
    );
    println!("(medians of {} runs)", o.reps);
    let mut rng = Rng(o.seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    new_connections(&o, &mut rng);
    for &size in &o.sizes {
        lookups(&o, &mut rng, size);
    }
}
