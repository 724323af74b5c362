//! The worker loop: poll every port's RX queue of this worker, decide each packet's fate,
//! buffer what is forwarded per output port, and hand the rest to the control core.
//!
//! Per packet: no lock, no allocation, no system call. Per burst: one snapshot refresh (a
//! pointer comparison). Counters are plain integers published every few milliseconds.

use crate::counters::{BurstSums, Counters, DropReason, SharedCounters};
use crate::dpdk::{self, Burst, Mbuf, BURST};
use crate::fib::publish::Reader;
use crate::forward::{self, Punt, Verdict};
use crate::stateful::{self, burst, Stateful, WorkerCmd};
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A packet for the control core, with why and where it came from.
#[derive(Debug)]
pub struct Punted {
    pub mbuf: Mbuf,
    pub in_port: u16,
    pub reason: Punt,
}

/// A packet received by one worker for the connection of another.
#[derive(Debug)]
pub struct Handoff {
    pub mbuf: Mbuf,
    pub in_port: u16,
}

/// A port as one worker uses it.
pub struct WorkerPort {
    pub dpdk_port: u16,
    pub rxq: u16,
    pub txq: u16,
    /// The device verifies IPv4 header checksums on receive: only then do the mbufs' flags
    /// say anything about them (without it they always say "unknown", and are not read).
    pub rx_ip_checksum: bool,
    /// Prefetch each received packet's data before deciding: not for devices that copied
    /// it into the mbuf a moment ago (`PortInfo::rx_copies`).
    pub prefetch: bool,
    /// Packets the control core asks this worker to send on this port (used when the device
    /// has no TX queue to spare for the control core).
    pub control_tx: Option<Arc<ArrayQueue<Mbuf>>>,
}

pub struct Worker {
    pub id: usize,
    pub ports: Vec<WorkerPort>,
    pub reader: Reader,
    pub punt: Arc<ArrayQueue<Punted>>,
    pub counters: Arc<SharedCounters>,
    pub stop: Arc<AtomicBool>,
    /// This worker's connections (used once the configuration has mangle or NAT rules).
    pub stateful: Stateful,
    /// Requests from the control core about the connections.
    pub cmds: Arc<ArrayQueue<WorkerCmd>>,
    /// Every worker's hand-off ring, by worker (this one's included).
    pub handoff: Vec<Arc<ArrayQueue<Handoff>>>,
}

/// Where decided packets go: the per-round state the dispatch needs.
struct Out<'a> {
    ports: &'a [WorkerPort],
    tx: &'a mut [Burst],
    c: &'a mut Counters,
    punt: &'a ArrayQueue<Punted>,
    handoff: &'a [Arc<ArrayQueue<Handoff>>],
}

impl Out<'_> {
    /// A burst whose packets go different ways (a PCC burst splits between the WANs): each
    /// forwarded packet moved to its port's TX buffer and summed by route counter
    /// ([`BurstSums`]), the rest dispatched one by one. `rx` is left empty; both arrays are
    /// borrowed, not moved (a move copies them).
    /// Not inlined: inside the worker loop its dozen live values (the drain, the two sums,
    /// the TX buffers) were spilled around the loop's own; on its own it runs in fewer
    /// instructions (`--pcc --flows 1000`: 28.3 against 27.7 Mpps, alternated).
    #[inline(never)]
    fn spread(&mut self, rx: &mut Burst, verdicts: &[Verdict; BURST], in_port: u16) {
        let mut sums = BurstSums::new(verdicts.iter().take(rx.len()).filter_map(|v| match v {
            Verdict::Forward { counter, .. } => Some(*counter),
            _ => None,
        }));
        let mut tx_bytes = 0;
        for (m, &v) in rx.drain(..).zip(verdicts) {
            let Verdict::Forward { port, counter } = v else {
                self.dispatch(m, v, in_port);
                continue;
            };
            let bytes = u64::from(m.pkt_len());
            tx_bytes += bytes;
            sums.add(counter, bytes, &mut self.c.routes);
            let out = usize::from(port);
            self.tx[out].push(m);
            if self.tx[out].len() == BURST {
                // `flush` takes back the bytes of what the device refuses: count them first.
                self.c.tx_bytes += std::mem::take(&mut tx_bytes);
                flush(&self.ports[out], out, &mut self.tx[out], self.c);
            }
        }
        self.c.tx_bytes += tx_bytes;
        sums.finish(&mut self.c.routes);
    }

    #[inline]
    fn dispatch(&mut self, m: Mbuf, verdict: Verdict, in_port: u16) {
        match verdict {
            Verdict::Forward { port: out, counter } => {
                let bytes = u64::from(m.pkt_len());
                self.c.routes.count(counter, 1, bytes);
                self.c.tx_bytes += bytes;
                let out = usize::from(out);
                self.tx[out].push(m);
                if self.tx[out].len() == BURST {
                    flush(&self.ports[out], out, &mut self.tx[out], self.c);
                }
            }
            Verdict::Punt(reason) => {
                let p = Punted {
                    mbuf: m,
                    in_port,
                    reason,
                };
                match self.punt.push(p) {
                    Ok(()) => self.c.punted += 1,
                    Err(_) => self.c.drop(DropReason::PuntRingFull),
                }
            }
            Verdict::Handoff { worker } => {
                let h = Handoff { mbuf: m, in_port };
                match self.handoff.get(usize::from(worker)).map(|r| r.push(h)) {
                    Some(Ok(())) => {}
                    _ => self.c.drop(DropReason::HandoffRingFull),
                }
            }
            Verdict::Drop(r) => self.c.drop(r),
        }
    }
}

/// TSC ticks to milliseconds by a multiplication (a 64-bit division every round costs the
/// worker loop more than the rest of its bookkeeping).
struct TscToMs {
    /// 2^64 × 1000 / the TSC's frequency.
    mul: u64,
}

impl TscToMs {
    fn new(tsc_hz: u64) -> TscToMs {
        let mul = ((1u128 << 64) * 1000 / u128::from(tsc_hz.max(1001))) as u64;
        TscToMs { mul }
    }

    #[inline]
    fn convert(&self, tsc: u64) -> u64 {
        ((u128::from(tsc) * u128::from(self.mul)) >> 64) as u64
    }
}

/// Publishes counters every this many TSC ticks (set at start to about 10 ms).
fn publish_interval() -> u64 {
    dpdk::tsc_hz() / 100
}

impl Worker {
    /// Runs until `stop` is set. Returns 0, the lcore's exit code.
    pub fn run(self) -> i32 {
        let Worker {
            id,
            ports,
            mut reader,
            punt,
            counters,
            stop,
            mut stateful,
            cmds,
            handoff,
        } = self;
        let shared = handoff.len() > 1;
        let own_ring = Arc::clone(&handoff[id]);
        let mut c = Counters::default();
        let mut rx = Burst::new();
        let mut tx: Vec<Burst> = (0..ports.len()).map(|_| Burst::new()).collect();
        let interval = publish_interval();
        let ms = TscToMs::new(dpdk::tsc_hz());
        let mut next_publish = dpdk::tsc() + interval;
        // Route counter ids in use so far: what to publish of `c.routes`.
        let mut route_ids = 0;
        // The load: where the last round began, and whether it had work (packets received,
        // or handed over by another worker); such a round is busy until the next begins.
        let (mut round_start, mut rx_seen, mut handed) = (dpdk::tsc(), 0u64, false);
        log::info!(
            "worker {id} polling {} port(s), TSC {} Hz",
            ports.len(),
            dpdk::tsc_hz()
        );
        while !stop.load(Ordering::Relaxed) {
            // The quiescent point: the snapshot is borrowed for this round only.
            let current = reader.load();
            let snap = current.tables();
            let rules = &*current.rules;
            let tracking = rules.active();
            // New rules start their counters over; a new snapshot ends the rule classes.
            stateful.rules.follow(rules, snap.generation, &mut c.routes);
            // One TSC read a round: the clock of the connections, the counters and the load.
            let now = dpdk::tsc();
            let now_ms = ms.convert(now);
            if c.rx_packets != rx_seen || handed {
                c.busy_cycles += now.wrapping_sub(round_start);
            }
            (round_start, rx_seen, handed) = (now, c.rx_packets, false);
            let round = Round {
                snap: &snap,
                rules,
                now_ms,
                id,
                shared,
            };
            for pi in 0..ports.len() {
                let (port, q) = (ports[pi].dpdk_port, ports[pi].rxq);
                let n = dpdk::rx_burst(port, q, &mut rx);
                if n == 0 {
                    continue;
                }
                c.rx_packets += n as u64;
                if ports[pi].prefetch {
                    for m in rx.iter() {
                        m.prefetch();
                    }
                }
                // Decide first, move second: the decisions then need no TX buffer, and a
                // burst bound for one port (the usual case) moves in one extend, which keeps
                // the buffer's length in a register instead of a store-load chain per packet.
                // One array for both paths, filled in place (a value moved out of an `if`
                // is copied), and only once a burst needs it.
                let mut verdicts;
                if tracking {
                    let bytes = rx.iter().map(|m| u64::from(m.pkt_len())).sum();
                    c.rx_bytes += bytes;
                    verdicts = [Verdict::Drop(DropReason::Multisegment); BURST];
                    let hw = ports[pi].rx_ip_checksum;
                    round.burst(&mut rx, pi as u16, hw, &mut stateful, &mut verdicts);
                    if let Verdict::Forward { port, counter } = verdicts[0] {
                        if verdicts[..n].iter().all(|v| *v == verdicts[0]) {
                            let out = usize::from(port);
                            whole(&mut rx, out, &ports, &mut tx, counter, bytes, &mut c);
                            continue;
                        }
                    }
                } else {
                    let mut fast = [forward::SLOW; BURST];
                    let (decided, bytes) = if ports[pi].rx_ip_checksum {
                        route_burst::<true>(&mut rx, pi as u16, &snap, &mut fast)
                    } else {
                        route_burst::<false>(&mut rx, pi as u16, &snap, &mut fast)
                    };
                    c.rx_bytes += bytes;
                    if decided {
                        let first = fast[0];
                        let (out, counter) = (usize::from((first >> 16) as u16), first as u16);
                        whole(&mut rx, out, &ports, &mut tx, counter, bytes, &mut c);
                        continue;
                    }
                    verdicts = [Verdict::Drop(DropReason::Multisegment); BURST];
                    for ((m, v), f) in rx.iter_mut().zip(verdicts.iter_mut()).zip(fast) {
                        if f != forward::SLOW {
                            *v = forward::unpack(f);
                        } else if m.is_contiguous() {
                            let hw = m.ip_checksum_ok();
                            *v = forward::slow_path(m.data_mut(), pi as u16, hw, &snap);
                        }
                    }
                }
                let mut out = Out {
                    ports: &ports,
                    tx: &mut tx,
                    c: &mut c,
                    punt: &punt,
                    handoff: &handoff,
                };
                out.spread(&mut rx, &verdicts, pi as u16);
            }
            if !own_ring.is_empty() {
                // What other workers received for this one's connections, and held packets
                // the control core releases.
                handed = true;
                let mut out = Out {
                    ports: &ports,
                    tx: &mut tx,
                    c: &mut c,
                    punt: &punt,
                    handoff: &handoff,
                };
                for _ in 0..BURST {
                    let Some(Handoff { mut mbuf, in_port }) = own_ring.pop() else {
                        break;
                    };
                    let v = if tracking {
                        round.owned(&mut mbuf, in_port, &mut stateful)
                    } else {
                        let hw = mbuf.ip_checksum_ok();
                        forward::forward(mbuf.data_mut(), in_port, hw, &snap)
                    };
                    out.dispatch(mbuf, v, in_port);
                }
            }
            for (pi, p) in ports.iter().enumerate() {
                // `is_empty` first: a `pop` that finds the ring empty costs a full fence.
                if let Some(ring) = p.control_tx.as_ref().filter(|r| !r.is_empty()) {
                    while tx[pi].len() < BURST {
                        match ring.pop() {
                            Some(m) => {
                                c.tx_bytes += u64::from(m.pkt_len());
                                tx[pi].push(m);
                            }
                            None => break,
                        }
                    }
                }
            }
            for (out, buf) in tx.iter_mut().enumerate() {
                if !buf.is_empty() {
                    flush(&ports[out], out, buf, &mut c);
                }
            }
            stateful.expire(now_ms);
            if let Some(cmd) = (!cmds.is_empty()).then(|| cmds.pop()).flatten() {
                stateful.serve(cmd, now_ms, &c.routes);
            }
            if now >= next_publish {
                c.conns = stateful.conns.len() as u64;
                c.conns_created = stateful.created;
                c.nat = *stateful.conns.nat_use();
                route_ids = route_ids.max(snap.route_ids);
                // The rule classes' traffic goes to its routes before they are published.
                stateful.rules.drain(&mut c.routes);
                counters.publish(&c, route_ids);
                next_publish = now + interval;
            }
        }
        stateful.rules.drain(&mut c.routes);
        counters.publish(&c, route_ids);
        log::info!("worker {id} stopped");
        0
    }
}

/// What the stateful path decides a round's packets with: the round's snapshot, rules and
/// clock, and who owns which packets (worker `id`; `shared` when it shares its ports' queues
/// with other workers without RSS, each packet then going to the worker of its connection,
/// see `stateful::owner`).
#[derive(Clone, Copy)]
struct Round<'a> {
    snap: &'a crate::fib::Tables<'a>,
    rules: &'a crate::firewall::RuleSet,
    now_ms: u64,
    id: usize,
    shared: bool,
}

impl Round<'_> {
    /// This worker's `Handoff` for a packet another worker owns.
    #[inline]
    fn handoff(&self, m: &Mbuf, in_port: u16, st: &mut Stateful) -> Option<Verdict> {
        if !self.shared {
            return None;
        }
        let l3 = m.data().get(14..).unwrap_or(&[]);
        let owner = st.owner(l3, in_port, self.snap, self.now_ms);
        (owner != self.id).then_some(Verdict::Handoff {
            worker: owner as u16,
        })
    }

    /// One packet through the stateful path (handed over when another worker owns it).
    fn owned(&self, m: &mut Mbuf, in_port: u16, st: &mut Stateful) -> Verdict {
        if let Some(v) = self.handoff(m, in_port, st) {
            return v;
        }
        let hw = m.ip_checksum_ok();
        let (snap, rules, now_ms) = (self.snap, self.rules, self.now_ms);
        stateful::process(m.data_mut(), in_port, hw, snap, rules, st, now_ms)
    }

    /// A burst through the stateful path: the packets other workers own handed over, the
    /// common ones in stages (`stateful::burst`), the rest one by one. Packets that are not
    /// contiguous keep the verdict they have in `verdicts`. `hw`: whether the device
    /// verifies IPv4 header checksums (see [`WorkerPort`]).
    #[inline]
    fn burst(
        &self,
        rx: &mut Burst,
        in_port: u16,
        hw: bool,
        st: &mut Stateful,
        verdicts: &mut [Verdict; BURST],
    ) {
        // Which packets this worker decides: all but those handed over (only a worker sharing
        // its queues hands any over) and those not contiguous (which keep their verdict).
        let mut mine = [true; BURST];
        if self.shared {
            for ((m, v), mine) in rx.iter().zip(verdicts.iter_mut()).zip(mine.iter_mut()) {
                if let Some(h) = m
                    .is_contiguous()
                    .then(|| self.handoff(m, in_port, st))
                    .flatten()
                {
                    (*v, *mine) = (h, false);
                }
            }
        }
        let (snap, rules, now_ms) = (self.snap, self.rules, self.now_ms);
        let mut lanes = [burst::Lane::NONE; BURST];
        let frames = rx.iter().zip(mine).map(|(m, mine)| {
            let checked = if hw { m.ip_checksum_ok() } else { None };
            (mine && m.is_contiguous()).then(|| (m.data(), checked))
        });
        st.prepare(frames, in_port, snap, &mut lanes);
        // The lanes by reference: by value, the zip would copy the whole array first.
        for (((m, v), lane), mine) in rx.iter_mut().zip(verdicts.iter_mut()).zip(&lanes).zip(mine) {
            if lane.is_some() {
                *v = burst::process_fast(m.data_mut(), *lane, in_port, snap, rules, st, now_ms);
            } else if mine && m.is_contiguous() {
                let hw = m.ip_checksum_ok();
                *v = stateful::process(m.data_mut(), in_port, hw, snap, rules, st, now_ms);
            }
        }
    }
}

/// A burst whose every packet leaves by one port under one route counter: counted once and
/// moved to that port's TX buffer in one extend, or sent at once when it is full and the
/// buffer empty (each packet keeps its length, so `bytes` received are the bytes sent).
#[inline]
fn whole(
    rx: &mut Burst,
    out: usize,
    ports: &[WorkerPort],
    tx: &mut [Burst],
    counter: u16,
    bytes: u64,
    c: &mut Counters,
) {
    let n = rx.len();
    c.routes.count(counter, n as u64, bytes);
    c.tx_bytes += bytes;
    if n == BURST && tx[out].is_empty() {
        // A full burst with nothing queued before it leaves as it is, without a copy.
        flush(&ports[out], out, rx, c);
        return;
    }
    if tx[out].len() + n > BURST {
        flush(&ports[out], out, &mut tx[out], c);
    }
    tx[out].extend(std::mem::take(rx));
}

/// The fast path's decisions for a burst of the plain (stateless) router, packed per packet
/// (`forward::fast`), into `fast`, which holds SLOW for every packet when called: it stays
/// for a multi-segment mbuf or anything the general path must decide.
/// A function of its own, not inlined into the worker loop, so that the loop's few live
/// values (the tables, the port) stay in registers instead of being spilled around the
/// worker's other state.
/// Returns whether every packet has the same decision, other than SLOW (the usual case: the
/// burst moves to one TX buffer at once), and the burst's bytes. All decisions are equal
/// exactly when their bitwise AND equals their OR. The bytes are summed here, not in a pass
/// of their own: a one-segment mbuf's data length is its packet length, and the loop loads
/// the one anyway.
/// `HW`: whether the device verifies IPv4 header checksums (see [`WorkerPort`]); without,
/// the mbufs' flags are not read.
#[inline(never)]
fn route_burst<const HW: bool>(
    rx: &mut Burst,
    in_port: u16,
    snap: &crate::fib::Tables,
    fast: &mut [u32; BURST],
) -> (bool, u64) {
    let port = forward::FastPort::new(snap, in_port);
    let route = forward::FastRoute::new(snap);
    let mut bytes = 0;
    for (m, f) in rx.iter_mut().zip(fast.iter_mut()) {
        if !m.is_contiguous() {
            bytes += u64::from(m.pkt_len());
            continue;
        }
        let hw = if HW { m.ip_checksum_ok() } else { None };
        let frame = m.data_mut();
        bytes += frame.len() as u64;
        if let Some(decided) = forward::fast(frame, port, route, hw, snap) {
            *f = decided;
        }
    }
    // In a pass of its own, which the compiler vectorizes: in the loop above the two sums
    // took two of the registers the decision needs.
    let decided = &fast[..rx.len()];
    let (all, any) = decided
        .iter()
        .fold((u32::MAX, 0), |(all, any), &f| (all & f, any | f));
    (all == any && any != forward::SLOW, bytes)
}

/// Sends a TX buffer; what the device refuses is dropped and counted (l3fwd's policy: a full
/// queue means the link is saturated, and retrying would stall RX).
/// `tx_bytes` counted the packets as they were put in the buffer: the refused are taken back.
#[inline]
fn flush(p: &WorkerPort, index: usize, buf: &mut Burst, c: &mut Counters) {
    let sent = dpdk::tx_burst(p.dpdk_port, p.txq, buf);
    c.tx_packets += sent as u64;
    if !buf.is_empty() {
        c.tx_bytes -= buf.iter().map(|m| u64::from(m.pkt_len())).sum::<u64>();
        c.queue_full(index, buf.len() as u64);
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::TscToMs;

    /// The multiplication gives the division's milliseconds, to within one, over the TSC
    /// values of years of uptime at common frequencies.
    #[test]
    fn tsc_to_ms_matches_division() {
        for hz in [
            1_000_000_000u64,
            2_596_134_000,
            3_000_000_000,
            4_700_000_000,
        ] {
            let ms = TscToMs::new(hz);
            for tsc in [
                0,
                1,
                hz / 1000,
                hz,
                hz * 3600,
                hz * 86_400 * 365 * 5,
                u64::MAX / 2,
            ] {
                let want = tsc / (hz / 1000);
                let got = ms.convert(tsc);
                assert!(
                    got <= want + 1 && got + 1 + want / 1_000_000 >= want,
                    "{hz} {tsc}: {got} vs {want}"
                );
            }
        }
    }
}
