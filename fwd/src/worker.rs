//! The worker loop: poll every port's RX queue of this worker, decide each packet's fate,
//! buffer what is forwarded per output port, and hand the rest to the control core.
//!
//! Per packet: no lock, no allocation, no system call. Per burst: one snapshot refresh (a
//! pointer comparison). Counters are plain integers published every few milliseconds.

use crate::counters::{Counters, DropReason, SharedCounters};
use crate::dpdk::{self, Burst, Mbuf, BURST};
use crate::fib::publish::Reader;
use crate::forward::{self, Punt, Verdict};
use crate::stateful::{self, Stateful, WorkerCmd};
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
                    flush(&self.ports[out], &mut self.tx[out], self.c);
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
        let tsc_per_ms = (dpdk::tsc_hz() / 1000).max(1);
        let mut next_publish = dpdk::tsc() + interval;
        // Route counter ids in use so far: what to publish of `c.routes`.
        let mut route_ids = 0;
        log::info!("worker {id} polling {} port(s)", ports.len());
        while !stop.load(Ordering::Relaxed) {
            // The quiescent point: the snapshot is borrowed for this round only.
            let current = reader.load();
            let snap = current.tables();
            let rules = &*current.rules;
            let tracking = rules.active();
            if stateful.hits.len() != rules.mangle_len() {
                // The rules changed: their counters start over.
                stateful.hits = vec![0; rules.mangle_len()];
            }
            let now_ms = dpdk::tsc() / tsc_per_ms;
            for pi in 0..ports.len() {
                let (port, q) = (ports[pi].dpdk_port, ports[pi].rxq);
                let n = dpdk::rx_burst(port, q, &mut rx);
                if n == 0 {
                    continue;
                }
                c.rx_packets += n as u64;
                let mut bytes = 0;
                for m in rx.iter() {
                    m.prefetch();
                    bytes += u64::from(m.pkt_len());
                }
                c.rx_bytes += bytes;
                // Decide first, move second: the decisions then need no TX buffer, and a
                // burst bound for one port (the usual case) moves in one extend, which keeps
                // the buffer's length in a register instead of a store-load chain per packet.
                let mut verdicts = [Verdict::Drop(DropReason::Malformed); BURST];
                if tracking {
                    let pre = stateful.prefetch_burst(rx.iter().map(|m| m.data()));
                    for ((m, v), pre) in rx.iter_mut().zip(verdicts.iter_mut()).zip(pre) {
                        if !m.is_contiguous() {
                            *v = Verdict::Drop(DropReason::Multisegment);
                            continue;
                        }
                        let st = &mut stateful;
                        *v = owned(m, pi as u16, id, shared, &snap, rules, st, now_ms, pre);
                    }
                } else {
                    for (m, v) in rx.iter_mut().zip(verdicts.iter_mut()) {
                        *v = if m.is_contiguous() {
                            let hw = m.ip_checksum_ok();
                            forward::forward(m.data_mut(), pi as u16, hw, &snap)
                        } else {
                            Verdict::Drop(DropReason::Multisegment)
                        };
                    }
                }
                let first = verdicts[0];
                if let Verdict::Forward { port: out, counter } = first {
                    if verdicts[..n].iter().all(|v| *v == first) {
                        // One route for the whole burst: counted once, forwarding keeps
                        // every packet's length.
                        c.routes.count(counter, n as u64, bytes);
                        c.tx_bytes += bytes;
                        let out = usize::from(out);
                        if tx[out].len() + n > BURST {
                            flush(&ports[out], &mut tx[out], &mut c);
                        }
                        tx[out].extend(std::mem::take(&mut rx));
                        continue;
                    }
                }
                let mut out = Out {
                    ports: &ports,
                    tx: &mut tx,
                    c: &mut c,
                    punt: &punt,
                    handoff: &handoff,
                };
                for (m, verdict) in std::mem::take(&mut rx).into_iter().zip(verdicts) {
                    out.dispatch(m, verdict, pi as u16);
                }
            }
            if !own_ring.is_empty() {
                // What other workers received for this one's connections, and held packets
                // the control core releases.
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
                        let st = &mut stateful;
                        owned(
                            &mut mbuf, in_port, id, shared, &snap, rules, st, now_ms, None,
                        )
                    } else {
                        let hw = mbuf.ip_checksum_ok();
                        forward::forward(mbuf.data_mut(), in_port, hw, &snap)
                    };
                    out.dispatch(mbuf, v, in_port);
                }
            }
            for (pi, p) in ports.iter().enumerate() {
                if let Some(ring) = &p.control_tx {
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
                    flush(&ports[out], buf, &mut c);
                }
            }
            stateful.expire(now_ms);
            if let Some(cmd) = cmds.pop() {
                stateful.serve(cmd, now_ms);
            }
            let now = dpdk::tsc();
            if now >= next_publish {
                c.conns = stateful.conns.len() as u64;
                c.conns_created = stateful.created;
                c.nat = *stateful.conns.nat_use();
                route_ids = route_ids.max(snap.route_ids);
                counters.publish(&c, route_ids);
                next_publish = now + interval;
            }
        }
        counters.publish(&c, route_ids);
        log::info!("worker {id} stopped");
        0
    }
}

/// The stateful verdict of a packet, or its hand-off to the worker that owns its connection.
#[allow(clippy::too_many_arguments)]
#[inline]
fn owned(
    m: &mut Mbuf,
    in_port: u16,
    id: usize,
    shared: bool,
    snap: &crate::fib::Tables,
    rules: &crate::firewall::RuleSet,
    st: &mut Stateful,
    now_ms: u64,
    pre: Option<(crate::nat::Class, u64)>,
) -> Verdict {
    let owner = if shared {
        st.owner(m.data().get(14..).unwrap_or(&[]), in_port, snap, now_ms)
    } else {
        id
    };
    if owner != id {
        return Verdict::Handoff {
            worker: owner as u16,
        };
    }
    let hw = m.ip_checksum_ok();
    stateful::process_pre(m.data_mut(), in_port, hw, snap, rules, st, now_ms, pre)
}

/// Sends a TX buffer; what the device refuses is dropped and counted (l3fwd's policy: a full
/// queue means the link is saturated, and retrying would stall RX).
/// `tx_bytes` counted the packets as they were put in the buffer: the refused are taken back.
#[inline]
fn flush(p: &WorkerPort, buf: &mut Burst, c: &mut Counters) {
    let sent = dpdk::tx_burst(p.dpdk_port, p.txq, buf);
    c.tx_packets += sent as u64;
    if !buf.is_empty() {
        c.tx_bytes -= buf.iter().map(|m| u64::from(m.pkt_len())).sum::<u64>();
        c.drops[DropReason::TxFull as usize] += buf.len() as u64;
        buf.clear();
    }
}
