//! The control core's requests to a worker about its connections (the design's command
//! ring): a worker owns its table, so listing or removing connections is asked of it and
//! answered over a channel. Requests are rare (an operator's command, a link going down);
//! the worker serves one per round, between bursts.

use super::{ItemCounts, Stateful};
use crate::conntrack::{Conn, Timeouts};
use crate::counters::RouteCounters;
use crate::flow::FlowKey;
use std::sync::mpsc::SyncSender;

/// What the control core asks of a worker.
pub enum WorkerCmd {
    /// A copy of the connections from id `from` on, at most [`LIST_CHUNK`] of them, with
    /// the time it was taken: a big table is listed in chunks, so that the worker is never
    /// away from its queues for long.
    List {
        from: u32,
        reply: SyncSender<ConnList>,
    },
    /// Removes these connections (id and original key, so that a slot reused since the
    /// list was taken is left alone); answers how many went.
    Remove {
        conns: Vec<(u32, FlowKey)>,
        reply: SyncSender<usize>,
    },
    /// Removes the translated connections leaving by `port`: its link went down or its
    /// address changed, and RouterOS then forgets what was masqueraded through it.
    FlushTranslated { port: u16 },
    /// New timeouts from `/ip/firewall/connection/tracking`.
    SetTimeouts(Timeouts),
    /// The worker's rule counters (`print stats`).
    RuleStats { reply: SyncSender<RuleStats> },
}

/// A worker's packets and bytes per mangle and NAT item, for the rules of one version.
#[derive(Debug)]
pub struct RuleStats {
    pub version: u64,
    pub mangle: ItemCounts,
    pub nat: ItemCounts,
}

/// The most connections a worker copies for one `List` request.
pub const LIST_CHUNK: usize = 8192;

/// A chunk of a worker's connections at one moment.
pub struct ConnList {
    pub now_ms: u64,
    pub conns: Vec<(u32, Conn)>,
    /// Where the next chunk starts, if there is more.
    pub next: Option<u32>,
}

impl Stateful {
    /// Serves one request (`routes`: the worker's counters by id, which hold the traffic of
    /// its rule classes not drained yet). A closed reply channel (the control core gave up
    /// waiting) is not an error: the answer is dropped.
    pub fn serve(&mut self, cmd: WorkerCmd, now_ms: u64, routes: &RouteCounters) {
        match cmd {
            WorkerCmd::List { from, reply } => {
                let mut conns = Vec::with_capacity(LIST_CHUNK.min(self.conns.len()));
                let mut next = None;
                for (id, c) in self.conns.iter_from(from) {
                    if conns.len() == LIST_CHUNK {
                        next = Some(id);
                        break;
                    }
                    conns.push((id, *c));
                }
                let _ = reply.try_send(ConnList {
                    now_ms,
                    conns,
                    next,
                });
            }
            WorkerCmd::Remove { conns, reply } => {
                let mut n = 0;
                for (id, key) in conns {
                    if self.conns.get(id).is_some_and(|c| c.orig == key) {
                        self.conns.remove(id);
                        n += 1;
                    }
                }
                let _ = reply.try_send(n);
            }
            WorkerCmd::FlushTranslated { port } => {
                let n = self.conns.retain(|c| !(c.is_nat() && c.out_port() == port));
                if n > 0 {
                    log::info!("removed {n} masqueraded connection(s) through port {port}");
                }
            }
            WorkerCmd::SetTimeouts(t) => self.conns.set_timeouts(&t),
            WorkerCmd::RuleStats { reply } => {
                let (mangle, nat) = self.rules.totals(routes);
                let _ = reply.try_send(RuleStats {
                    version: self.rules.version(),
                    mangle,
                    nat,
                });
            }
        }
    }
}
