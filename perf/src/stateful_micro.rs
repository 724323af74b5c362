//! stateful-micro: the cost of the stateful packet path (connection tracking, the guide's PCC
//! mangle rules, policy routing, masquerade) on frames in memory (no DPDK), per packet, for
//! N established UDP flows LAN -> internet; with the stateless `forward()` on the same frames
//! (main table only, what fwd-micro measures) as the reference. See perf/README.md.

use clap::Parser;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;
use wanfwd::config::Config;
use wanfwd::conntrack::Timeouts;
use wanfwd::control::Model;
use wanfwd::fib::{Forwarding, Lpm, Neighbour, Neighbours, Nexthop, PortView, Snapshot};
use wanfwd::forward::{self, Verdict};
use wanfwd::net::{Ipv4Prefix, MacAddr};
use wanfwd::packet::ether::{self, EthernetFrame};
use wanfwd::packet::ipv4::{self, Ipv4Packet, Ipv4Repr};
use wanfwd::packet::udp::UdpPacket;
use wanfwd::rss::{Fields, Hashing, RssPorts, Steering};
use wanfwd::stateful::{self, burst, Stateful};

const PCC_YAML: &str = include_str!("../../configs/pcc.yaml");
const BRIDGE_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const ETHER1_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);
const ETHER2_MAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 3]);
const GW1_MAC: MacAddr = MacAddr([2, 0, 0, 0, 2, 1]);
const GW2_MAC: MacAddr = MacAddr([2, 0, 0, 0, 3, 1]);
const LAN_HOSTS: u32 = 200;
const REMOTES: u32 = 4099;
const STRIDE: usize = 64; // frame slot in the flat buffers (frames are 60 bytes)
const FRAME: usize = 60;
/// The workers' burst: the stages work on a burst at a time, as the worker does.
const BURST: usize = wanfwd::dpdk::BURST;

#[derive(Parser)]
#[command(about = "ns/packet of the stateful path (PCC + masquerade) vs forward()")]
struct Args {
    /// Flow counts to measure, in order.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000u32, 1_000_000])]
    flows: Vec<u32>,
    /// Connection table capacity.
    #[arg(long, default_value_t = 1_000_000)]
    capacity: usize,
    /// Runs per flow count (medians are reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Packets per timed measurement (passes over the flows, at least 1 pass).
    #[arg(long, default_value_t = 8_000_000)]
    packets: u64,
    /// The measured state is worker 0 of this many: without --rss it translates into its
    /// share of the ports (every n-th), as on devices without RSS.
    #[arg(long, default_value_t = 1)]
    workers: u16,
    /// Every port has RSS over the workers' queues (the symmetric key wanfwd programs, the
    /// drivers' default RETA of 128): worker 0 translates to ports whose replies the device
    /// steers to queue 0, and owner() predicts queues by Toeplitz hash.
    #[arg(long)]
    rss: bool,
}

/// Each port's RSS, as `--rss` asks.
fn rss_ports(a: &Args) -> RssPorts {
    if !a.rss || a.workers <= 1 {
        return RssPorts::default();
    }
    let key: Vec<u8> = (0..40)
        .map(|i| if i % 2 == 0 { 0x6d } else { 0x5a })
        .collect();
    let hashing = Hashing {
        tcp: Fields::L4,
        udp: Fields::L4,
        other: Fields::L3,
    };
    let s = Steering::new(&key, &Steering::default_reta(128, a.workers), hashing).unwrap();
    RssPorts::new(vec![Some(s); 3])
}

/// Flow i: LAN host 192.168.1.(10 + k % 200), source port 10000 + k, to 100.64.0.0 + i % 4099
/// port 9, with k = i / 4099: distinct for every i, and few flows per remote (NAT ports).
fn flow_frame(i: u32, out: &mut [u8]) {
    let (d, k) = (i % REMOTES, i / REMOTES);
    let src = std::net::Ipv4Addr::from(u32::from_be_bytes([192, 168, 1, 10]) + k % LAN_HOSTS);
    let dst = std::net::Ipv4Addr::from(u32::from_be_bytes([100, 64, 0, 0]) + d);
    let sport = 10000 + k as u16;
    udp_frame(
        out,
        BRIDGE_MAC,
        MacAddr([2, 0, 0, 0, 1, 10]),
        src,
        dst,
        sport,
        9,
    );
}

fn udp_frame(
    f: &mut [u8],
    dmac: MacAddr,
    smac: MacAddr,
    src: std::net::Ipv4Addr,
    dst: std::net::Ipv4Addr,
    sport: u16,
    dport: u16,
) {
    f.fill(0);
    let mut eth = EthernetFrame::new_unchecked(&mut f[..]);
    eth.set_dst(dmac);
    eth.set_src(smac);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    let l3 = eth.payload_mut();
    let payload_len = (FRAME - ether::HEADER_LEN - ipv4::HEADER_LEN) as u16;
    Ipv4Repr {
        src,
        dst,
        protocol: ipv4::PROTO_UDP,
        ttl: 64,
        payload_len,
        ident: 0,
        dont_frag: false,
    }
    .emit(&mut Ipv4Packet::new_unchecked(
        &mut l3[..FRAME - ether::HEADER_LEN],
    ));
    let l4 = &mut l3[ipv4::HEADER_LEN..FRAME - ether::HEADER_LEN];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    l4[4..6].copy_from_slice(&payload_len.to_be_bytes());
    UdpPacket::new_unchecked(l4).fill_checksum(src, dst);
}

fn port_view(mac: MacAddr, addr: [u8; 4]) -> PortView {
    PortView {
        mac,
        mtu: 1500,
        enabled: true,
        addr: u32::from_be_bytes(addr),
    }
}

/// Tables main, to_wan1, to_wan2 as the PCC config resolves with both gateways up.
fn snapshot(rules: wanfwd::firewall::RuleSet) -> Snapshot {
    let ports = vec![
        port_view(BRIDGE_MAC, [192, 168, 1, 1]),
        port_view(ETHER1_MAC, [203, 0, 113, 2]),
        port_view(ETHER2_MAC, [198, 51, 100, 2]),
    ];
    // Adjacency 1 is "unreachable" by convention (snapshot::ADJ_UNREACHABLE).
    let nexthops = vec![
        Nexthop::Local,
        Nexthop::Unreachable,
        Nexthop::Connected { port: 0 },
        Nexthop::Gateway {
            port: 1,
            addr: 0xcb00_7101,
            mac: Some(GW1_MAC),
        },
        Nexthop::Gateway {
            port: 2,
            addr: 0xc633_6401,
            mac: Some(GW2_MAC),
        },
        Nexthop::Connected { port: 1 },
        Nexthop::Connected { port: 2 },
    ];
    let p = |s: &str| -> Ipv4Prefix { s.parse().unwrap() };
    let main = Lpm::build(&[
        (p("0.0.0.0/0"), 3),
        (p("192.168.1.0/24"), 2),
        (p("192.168.1.1/32"), 0),
        (p("203.0.113.0/24"), 5),
        (p("203.0.113.2/32"), 0),
        (p("198.51.100.0/24"), 6),
        (p("198.51.100.2/32"), 0),
    ]);
    let mut fwd = Forwarding::direct(main, nexthops, &ports);
    fwd.fibs.push(Arc::new(Lpm::build(&[(p("0.0.0.0/0"), 3)])));
    fwd.fibs.push(Arc::new(Lpm::build(&[(p("0.0.0.0/0"), 4)])));
    let mut neighbours = Neighbours::default();
    for h in 0..LAN_HOSTS {
        neighbours.insert(
            u32::from_be_bytes([192, 168, 1, 10]) + h,
            Neighbour {
                port: 0,
                mac: MacAddr([2, 0, 0, 0, 1, 10]),
            },
        );
    }
    let mut snap = Snapshot::direct(Lpm::default(), Vec::new(), neighbours, ports);
    snap.fwd = Arc::new(fwd);
    snap.rules = Arc::new(rules);
    snap
}

fn rules() -> wanfwd::firewall::RuleSet {
    let cfg = Config::from_yaml_str(PCC_YAML, "configs/pcc.yaml").expect("configs/pcc.yaml");
    let names: Vec<String> = ["bridge", "ether1", "ether2"].map(String::from).to_vec();
    let mut model = Model::from_config(&cfg, &names);
    assert_eq!(model.tables, ["to_wan1", "to_wan2"]);
    model.rules().expect("PCC rules compile")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Ticks of the TSC per second, measured against the monotonic clock over 200 ms.
fn calibrate_tsc() -> f64 {
    let (t0, c0) = (Instant::now(), wanfwd::dpdk::tsc());
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (t1, c1) = (Instant::now(), wanfwd::dpdk::tsc());
    (c1 - c0) as f64 / (t1 - t0).as_secs_f64()
}

#[derive(Default)]
struct Counts {
    forwarded: u64,
    other: std::collections::BTreeMap<String, u64>,
}
impl Counts {
    fn add(&mut self, v: &Verdict) {
        match v {
            Verdict::Forward { .. } => self.forwarded += 1,
            v => *self.other.entry(format!("{v:?}")).or_default() += 1,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Restore,
    Stateful,
    Stateless,
}

/// One timed measurement: `passes` passes over `order`, in bursts of 32 copied from the
/// pristine frames into a scratch burst, then handed to the path. Returns ticks per packet.
#[allow(clippy::too_many_arguments)]
fn timed(
    mode: Mode,
    pristine: &[u8],
    order: &[u32],
    passes: u64,
    t: &wanfwd::fib::Tables,
    rules: &wanfwd::firewall::RuleSet,
    st: &mut Stateful,
    now_ms: &mut u64,
    counts: &mut Counts,
) -> f64 {
    let mut scratch = vec![0u8; BURST * STRIDE];
    let mut sink = 0u64;
    let start = wanfwd::dpdk::tsc();
    for _ in 0..passes {
        *now_ms += 1;
        for chunk in order.chunks(BURST) {
            for (j, &i) in chunk.iter().enumerate() {
                let i = i as usize;
                scratch[j * STRIDE..j * STRIDE + FRAME]
                    .copy_from_slice(&pristine[i * STRIDE..i * STRIDE + FRAME]);
            }
            // As the worker does: the burst's lanes read, their conntrack slots and entries
            // fetched ahead, then each decided.
            let mut lanes = [burst::Lane::NONE; BURST];
            if matches!(mode, Mode::Stateful) {
                let frames = (0..chunk.len())
                    .map(|j| Some((&scratch[j * STRIDE..j * STRIDE + FRAME], None)));
                st.prepare(frames, 0, t, &mut lanes);
            }
            for (j, lane) in lanes.iter().enumerate().take(chunk.len()) {
                let f = black_box(&mut scratch[j * STRIDE..j * STRIDE + FRAME]);
                match mode {
                    Mode::Restore => sink += u64::from(f[23]),
                    Mode::Stateful => counts.add(&if lane.is_some() {
                        burst::process_fast(f, *lane, 0, t, rules, st, *now_ms)
                    } else {
                        stateful::process(f, 0, None, t, rules, st, *now_ms)
                    }),
                    Mode::Stateless => counts.add(&forward::forward(f, 0, None, t)),
                }
            }
        }
    }
    let ticks = wanfwd::dpdk::tsc() - start;
    black_box(sink);
    ticks as f64 / (passes * order.len() as u64) as f64
}

fn main() {
    let a = Args::parse();
    let hz = calibrate_tsc();
    let rules = rules();
    let snap = snapshot(rules.clone());
    let t = snap.tables();
    println!(
        "stateful-micro: configs/pcc.yaml mangle ({} rules) + nat ({} rules); TSC {:.3} GHz \
         (calibrated against the monotonic clock); conntrack capacity {}; {} runs, medians; \
         worker 0 of {}{}",
        rules.mangle_len(),
        rules.nat_len(),
        hz / 1e9,
        a.capacity,
        a.runs,
        a.workers,
        if a.rss && a.workers > 1 {
            ", RSS on every port (NAT ports steered by Toeplitz hash)"
        } else if a.workers > 1 {
            ", no RSS (NAT ports from the worker's range)"
        } else {
            ""
        }
    );
    let rss = rss_ports(&a);
    let mut invalid = false;
    for &n in &a.flows {
        let n_us = n as usize;
        let mut pristine = vec![0u8; n_us * STRIDE];
        for i in 0..n {
            flow_frame(i, &mut pristine[i as usize * STRIDE..][..FRAME]);
        }
        let mut res: [Vec<f64>; 5] = Default::default(); // setup, restore, stateful, stateless, owner
        let mut kept = 0u64;
        let mut counts = Counts::default();
        let mut setup_counts = Counts::default();
        let mut reply_counts = Counts::default();
        let mut per_wan = [0u64; 3];
        let passes = (a.packets / n as u64).max(1);
        for run in 0..a.runs {
            let mut st = Stateful::new(a.capacity, &Timeouts::default(), 0, usize::from(a.workers));
            st.rss = rss.clone();
            st.rules
                .follow(&rules, 1, &mut wanfwd::counters::RouteCounters::default());
            let mut now_ms = 1_000u64;
            // Creation: one packet per flow, in flow order, timed.
            let mut work = pristine.clone();
            let start = wanfwd::dpdk::tsc();
            for i in 0..n_us {
                let f = &mut work[i * STRIDE..i * STRIDE + FRAME];
                setup_counts.add(&stateful::process(f, 0, None, &t, &rules, &mut st, now_ms));
            }
            res[0].push((wanfwd::dpdk::tsc() - start) as f64 / n as f64);
            // A reply per flow (from the remote to the translated address), untimed: the
            // connections are then established (seen in both directions).
            let mut reply = [0u8; FRAME];
            for i in 0..n_us {
                let f = &work[i * STRIDE..i * STRIDE + FRAME];
                let out = if f[..6] == GW1_MAC.0 {
                    1
                } else if f[..6] == GW2_MAC.0 {
                    2
                } else {
                    0
                };
                per_wan[out] += 1;
                let l3 = &f[ether::HEADER_LEN..];
                let orig = &pristine[i * STRIDE + ether::HEADER_LEN..];
                kept += u64::from(l3[20..22] == orig[20..22]);
                let ip = |o: usize| std::net::Ipv4Addr::new(l3[o], l3[o + 1], l3[o + 2], l3[o + 3]);
                let port = |o: usize| u16::from_be_bytes([l3[20 + o], l3[21 + o]]);
                let mac = if out == 1 { ETHER1_MAC } else { ETHER2_MAC };
                udp_frame(&mut reply, mac, GW1_MAC, ip(16), ip(12), port(2), port(0));
                reply_counts.add(&stateful::process(
                    &mut reply, out as u16, None, &t, &rules, &mut st, now_ms,
                ));
            }
            drop(work);
            let mut order: Vec<u32> = (0..n).collect();
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ run as u64);
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
            }
            let mut c = Counts::default();
            let mut none = Counts::default();
            for (slot, mode) in [
                (1, Mode::Restore),
                (2, Mode::Stateful),
                (3, Mode::Stateless),
            ] {
                let c = if mode == Mode::Restore {
                    &mut none
                } else {
                    &mut c
                };
                let ticks = timed(
                    mode,
                    &pristine,
                    &order,
                    passes,
                    &t,
                    &rules,
                    &mut st,
                    &mut now_ms,
                    c,
                );
                res[slot].push(ticks);
            }
            // Which worker owns each packet (the hand-off decision a worker takes per packet
            // when there are several): Toeplitz prediction with --rss, else symmetric_hash.
            let start = wanfwd::dpdk::tsc();
            let mut sink = 0usize;
            for _ in 0..passes {
                for &i in &order {
                    let f = &pristine[i as usize * STRIDE + ether::HEADER_LEN..][..FRAME - 14];
                    sink = sink.wrapping_add(st.owner(black_box(f), 0, &t, 0));
                }
            }
            black_box(sink);
            res[4].push((wanfwd::dpdk::tsc() - start) as f64 / (passes * n as u64) as f64);
            counts.forwarded += c.forwarded;
            for (k, v) in c.other {
                *counts.other.entry(k).or_default() += v;
            }
            assert_eq!(st.conns.len(), n_us, "one connection per flow");
        }
        let ns = |ticks: f64| ticks * 1e9 / hz;
        let m: Vec<f64> = res.iter_mut().map(|v| median(v)).collect();
        let (restore, sf, sl) = (m[1], m[2] - m[1], m[3] - m[1]);
        println!("\nN = {n} flows ({} passes of {n} packets per timed run; WAN split per run: ether1 {}, ether2 {}, other {})",
            passes, per_wan[1] / a.runs as u64, per_wan[2] / a.runs as u64, per_wan[0] / a.runs as u64);
        println!(
            "  new connections:  {:7.1} ns/conn  {:6.2} M conn/s  {:6.0} cycles/conn",
            ns(m[0]),
            1e3 / ns(m[0]),
            m[0]
        );
        println!(
            "  source port kept: {:.1} % of new connections",
            kept as f64 * 100.0 / (n as u64 * a.runs as u64) as f64
        );
        println!(
            "  owner():          {:7.1} ns/packet  {:6.0} cycles/packet",
            ns(m[4]),
            m[4]
        );
        println!("  restore baseline: {:7.1} ns/packet  (subtracted below; raw stateful {:.1}, raw forward {:.1})",
            ns(restore), ns(m[2]), ns(m[3]));
        println!(
            "  stateful process: {:7.1} ns/packet  {:6.2} Mpps  {:6.0} cycles/packet",
            ns(sf),
            1e3 / ns(sf),
            sf
        );
        println!(
            "  forward() (main): {:7.1} ns/packet  {:6.2} Mpps  {:6.0} cycles/packet",
            ns(sl),
            1e3 / ns(sl),
            sl
        );
        println!("  verdicts: setup {} forwarded {:?}; replies {} forwarded {:?}; timed (stateful + forward()) {} forwarded, other {:?}",
            setup_counts.forwarded, setup_counts.other, reply_counts.forwarded, reply_counts.other,
            counts.forwarded, counts.other);
        if !setup_counts.other.is_empty()
            || !reply_counts.other.is_empty()
            || !counts.other.is_empty()
        {
            invalid = true;
            println!("  INVALID: some packets were not forwarded");
        }
    }
    if invalid {
        std::process::exit(1);
    }
}
