//! `/ip/firewall/connection`: the workers' connections as the operator sees them, and their
//! removal, asked of each worker over its command ring.

use super::Control;
use crate::cli::{ListRow, Listing};
use crate::conntrack::Conn;
use crate::flow::FlowKey;
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use crate::stateful::{ConnList, WorkerCmd};
use std::net::Ipv4Addr;
use std::sync::mpsc;
use std::time::Duration;

/// How long the control core waits for a worker's answer before going on without it.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection as listed: which worker holds it, its id there, and a copy.
#[derive(Clone)]
pub struct Listed {
    pub worker: usize,
    pub id: u32,
    pub conn: Conn,
    pub now_ms: u64,
}

impl Listed {
    fn handle(&self) -> u64 {
        (self.worker as u64) << 32 | u64::from(self.id)
    }
}

fn protocol_name(p: u8) -> String {
    match p {
        PROTO_TCP => "tcp".into(),
        PROTO_UDP => "udp".into(),
        PROTO_ICMP => "icmp".into(),
        n => n.to_string(),
    }
}

/// `address:port` as RouterOS prints a connection's ends (ports only where the protocol
/// has them).
fn end(addr: u32, port: u16, proto: u8) -> String {
    match proto {
        PROTO_TCP | PROTO_UDP => format!("{}:{port}", Ipv4Addr::from(addr)),
        _ => Ipv4Addr::from(addr).to_string(),
    }
}

/// RouterOS's duration format for a timeout (`23h59m58s`, `9s`).
fn timeout(ms: u64) -> String {
    crate::config::format_duration(Duration::from_secs(ms.div_ceil(1000)))
}

impl Control {
    /// Every worker's connections. A worker that does not answer in time is left out (and
    /// logged): the listing is then partial rather than the control core stuck.
    pub fn connections(&self) -> Vec<Listed> {
        let mut out = Vec::new();
        for (w, ring) in self.cmds.iter().enumerate() {
            let mut from = Some(0);
            while let Some(start) = from {
                let (tx, rx) = mpsc::sync_channel::<ConnList>(1);
                if ring
                    .push(WorkerCmd::List {
                        from: start,
                        reply: tx,
                    })
                    .is_err()
                {
                    log::warn!("worker {w}: command ring full, connections not all listed");
                    break;
                }
                match rx.recv_timeout(ANSWER_TIMEOUT) {
                    Ok(list) => {
                        from = list.next;
                        out.extend(list.conns.into_iter().map(|(id, conn)| Listed {
                            worker: w,
                            id,
                            conn,
                            now_ms: list.now_ms,
                        }))
                    }
                    Err(_) => {
                        log::warn!("worker {w} did not answer in time: connections not all listed");
                        break;
                    }
                }
            }
        }
        out
    }

    /// The listing behind `/ip/firewall/connection print`; remembers it for `remove`.
    pub(super) fn connection_listing(&self) -> Listing {
        let conns = self.connections();
        let mark_name = |m: u16| {
            if m == 0 {
                String::new()
            } else {
                self.model
                    .conn_marks
                    .name(m)
                    .map_or_else(|| format!("*{m}"), str::to_string)
            }
        };
        let yes = |b: bool| if b { "true" } else { "false" }.to_string();
        let rows = conns
            .iter()
            .map(|l| {
                let c = &l.conn;
                let (o, r) = (c.orig, c.reply);
                let nat = c.is_nat();
                let left = c.expires_in(l.now_ms);
                ListRow {
                    flags: format!(
                        "{}{}C{}",
                        if c.seen_reply() { "S" } else { "" },
                        if c.assured() { "A" } else { "" },
                        if nat { " s" } else { "" }
                    ),
                    cells: vec![
                        protocol_name(o.proto),
                        end(o.src, o.sport, o.proto),
                        end(o.dst, o.dport, o.proto),
                        if nat {
                            end(r.dst, r.dport, r.proto)
                        } else {
                            String::new()
                        },
                        c.tcp_state_name().to_string(),
                        timeout(left),
                        mark_name(c.mark()),
                    ],
                    props: vec![
                        ("protocol", protocol_name(o.proto)),
                        ("src-address", end(o.src, o.sport, o.proto)),
                        ("dst-address", end(o.dst, o.dport, o.proto)),
                        ("reply-src-address", end(r.src, r.sport, r.proto)),
                        ("reply-dst-address", end(r.dst, r.dport, r.proto)),
                        ("tcp-state", c.tcp_state_name().to_string()),
                        ("timeout", timeout(left)),
                        ("connection-mark", mark_name(c.mark())),
                        ("seen-reply", yes(c.seen_reply())),
                        ("assured", yes(c.assured())),
                        ("confirmed", yes(true)),
                        ("srcnat", yes(nat)),
                        ("dstnat", yes(false)),
                    ],
                    handle: l.handle(),
                }
            })
            .collect();
        *self.listed.borrow_mut() = conns;
        Listing {
            legend: Some("Flags: S - SEEN-REPLY; A - ASSURED; C - CONFIRMED; s - SRCNAT"),
            columns: vec![
                ("PROTOCOL", false),
                ("SRC-ADDRESS", false),
                ("DST-ADDRESS", false),
                ("TRANSLATED-TO", false),
                ("TCP-STATE", false),
                ("TIMEOUT", false),
                ("CONNECTION-MARK", false),
            ],
            rows,
        }
    }

    /// Removes the listed connections named by `handles` (from the last listing); returns
    /// how many the workers removed.
    pub(super) fn remove_connections(&self, handles: &[u64]) -> usize {
        let wanted: std::collections::HashSet<u64> = handles.iter().copied().collect();
        let listed = self.listed.borrow();
        let mut per_worker: Vec<Vec<(u32, FlowKey)>> = vec![Vec::new(); self.cmds.len()];
        for l in listed.iter().filter(|l| wanted.contains(&l.handle())) {
            per_worker[l.worker].push((l.id, l.conn.orig));
        }
        let mut removed = 0;
        for (w, conns) in per_worker.into_iter().enumerate() {
            if conns.is_empty() {
                continue;
            }
            let (tx, rx) = mpsc::sync_channel(1);
            if self.cmds[w]
                .push(WorkerCmd::Remove { conns, reply: tx })
                .is_err()
            {
                log::warn!("worker {w}: command ring full, connections not removed");
                continue;
            }
            match rx.recv_timeout(ANSWER_TIMEOUT) {
                Ok(n) => removed += n,
                Err(_) => log::warn!("worker {w} did not confirm the removal in time"),
            }
        }
        removed
    }

    /// Tells every worker to forget what it masqueraded through `port`.
    pub(super) fn flush_translated(&self, port: u16) {
        for (w, ring) in self.cmds.iter().enumerate() {
            if ring.push(WorkerCmd::FlushTranslated { port }).is_err() {
                log::warn!("worker {w}: command ring full, masqueraded connections kept");
            }
        }
    }
}
