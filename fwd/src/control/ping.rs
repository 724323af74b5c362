//! `/ping` from the router: ICMP echo requests sent by the control core for a script that
//! waits for them (see `cli::job`), matched on an identifier of their own.
//!
//! A ping follows the routing table it names (main by default; a table without a route for
//! the address falls back to main, as policy routing does), or goes straight out of
//! `interface=` to an on-link host. Each request waits for its reply at most the interval
//! (and at least [`REPLY_TIMEOUT`] for the last one); a request that cannot be sent (no
//! route, or the next hop's MAC unknown: ARP is asked and the next request may go) gets no
//! reply.

use super::Control;
use crate::cli::{PingRequest, PingResult, Reply};
use crate::rib::Target;
use std::time::{Duration, Instant};

/// How long the last request of a ping waits for its reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// Echo identifiers of pings start here ("PG"); replies are matched on them.
const IDENT_BASE: u16 = 0x5047;

struct Ping {
    req: PingRequest,
    ident: u16,
    /// When each request went out.
    sent: Vec<Instant>,
    result: PingResult,
    next_send: Instant,
}

impl Ping {
    fn done(&self, now: Instant) -> bool {
        let count = self.req.count as usize;
        if self.sent.len() < count {
            return false;
        }
        self.result.received() == count
            || self
                .sent
                .last()
                .is_some_and(|t| now >= *t + REPLY_TIMEOUT.max(self.req.interval))
    }
}

/// The pings of one statement, which run side by side.
struct Batch {
    id: u64,
    pings: Vec<Ping>,
}

#[derive(Default)]
pub(super) struct Pings {
    batches: Vec<Batch>,
    next_ident: u16,
}

impl Pings {
    /// Starts the pings of batch `id`.
    pub(super) fn start(&mut self, id: u64, reqs: Vec<PingRequest>, now: Instant) {
        let pings = reqs
            .into_iter()
            .map(|req| {
                let ident = IDENT_BASE.wrapping_add(self.next_ident);
                self.next_ident = self.next_ident.wrapping_add(1);
                Ping {
                    result: PingResult {
                        replies: Vec::with_capacity(req.count as usize),
                        error: None,
                    },
                    req,
                    ident,
                    sent: Vec::new(),
                    next_send: now,
                }
            })
            .collect();
        self.batches.push(Batch { id, pings });
    }

    /// Takes the batches that are complete: (id, results in request order).
    pub(super) fn take_done(&mut self, now: Instant) -> Vec<(u64, Vec<PingResult>)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.batches.len() {
            if self.batches[i].pings.iter().all(|p| p.done(now)) {
                let b = self.batches.swap_remove(i);
                out.push((b.id, b.pings.into_iter().map(|p| p.result).collect()));
            } else {
                i += 1;
            }
        }
        out
    }

    /// The echo requests due at `now` (request, identifier, sequence number), noted as sent.
    fn due(&mut self, now: Instant) -> Vec<(PingRequest, u16, u16)> {
        let mut due = Vec::new();
        for p in self.batches.iter_mut().flat_map(|b| b.pings.iter_mut()) {
            if p.sent.len() < p.req.count as usize && now >= p.next_send {
                let seq = p.sent.len() as u16;
                p.sent.push(now);
                p.result.replies.push(None);
                p.next_send = now + p.req.interval;
                due.push((p.req.clone(), p.ident, seq));
            }
        }
        due
    }

    /// Forgets the batch of a script that was stopped.
    pub(super) fn cancel(&mut self, id: u64) {
        self.batches.retain(|b| b.id != id);
    }

    fn reply(&mut self, ident: u16, seq: u16, ttl: u8, size: u16, now: Instant) -> bool {
        for b in &mut self.batches {
            if let Some(p) = b.pings.iter_mut().find(|p| p.ident == ident) {
                let seq = usize::from(seq);
                if let (Some(at), Some(slot)) = (p.sent.get(seq), p.result.replies.get_mut(seq)) {
                    // Late replies (after the next request went) still count, as RouterOS.
                    if slot.is_none() {
                        *slot = Some(Reply {
                            rtt: now - *at,
                            ttl,
                            size,
                        });
                    }
                }
                return true;
            }
        }
        false
    }
}

impl Control {
    /// Sends the echo requests of running pings that are due.
    pub(super) fn run_pings(&mut self, now: Instant) {
        for (req, ident, seq) in self.pings.due(now) {
            if let Err(e) = self.send_ping(&req, ident, seq) {
                self.ping_error(ident, e);
            }
        }
    }

    fn ping_error(&mut self, ident: u16, e: String) {
        for b in &mut self.pings.batches {
            for p in b.pings.iter_mut().filter(|p| p.ident == ident) {
                p.result.error.get_or_insert(e.clone());
            }
        }
    }

    fn send_ping(&mut self, req: &PingRequest, ident: u16, seq: u16) -> Result<(), String> {
        let dst = u32::from(req.address);
        let target = match &req.interface {
            Some(name) => {
                let port = self
                    .ports
                    .iter()
                    .position(|p| &p.name == name && p.enabled)
                    .ok_or_else(|| format!("no such interface '{name}'"))?;
                Target::Connected(port as u16)
            }
            None => {
                let table = match &req.routing_table {
                    Some(t) => self
                        .rib
                        .table_id(t)
                        .ok_or_else(|| format!("no such routing table '{t}'"))?,
                    None => 0,
                };
                let table = self.output_table(table, dst, req.src_address, ident);
                self.route_in(table, dst)
                    .or_else(|| self.route_in(0, dst))
                    .ok_or("no route to host")?
            }
        };
        let src = req.src_address;
        if let Some(a) = src {
            if !self.ports.iter().any(|p| p.owns(a)) {
                return Err(format!("{a} is not an address of this router"));
            }
        }
        match target {
            Target::Gateway(port, nh) => self.send_echo_from(port, nh, dst, src, ident, seq),
            Target::Connected(port) => self.send_echo_from(port, dst, dst, src, ident, seq),
            _ => return Err("the address is the router's own".into()),
        }
        Ok(())
    }

    /// A reply to one of our pings.
    pub(super) fn ping_echo_reply(&mut self, ident: u16, seq: u16, ttl: u8, size: u16) -> bool {
        self.pings.reply(ident, seq, ttl, size, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn req(count: u32) -> PingRequest {
        PingRequest {
            address: Ipv4Addr::new(192, 0, 2, 1),
            count,
            interval: Duration::from_millis(100),
            src_address: None,
            routing_table: None,
            interface: None,
        }
    }

    #[test]
    fn a_batch_ends_when_all_replied_or_timed_out() {
        let t0 = Instant::now();
        let mut p = Pings::default();
        p.start(7, vec![req(2), req(1)], t0);
        let sent = p.due(t0);
        assert_eq!(sent.len(), 2);
        let (a, b) = (sent[0].1, sent[1].1);
        assert_ne!(a, b, "each ping has its own identifier");
        assert!(p.reply(a, 0, 64, 8, t0 + Duration::from_millis(3)));
        assert!(!p.reply(a.wrapping_add(100), 0, 64, 8, t0), "not ours");
        assert!(p.take_done(t0 + Duration::from_millis(50)).is_empty());
        assert_eq!(p.due(t0 + Duration::from_millis(100)).len(), 1);
        assert!(p.reply(a, 1, 63, 8, t0 + Duration::from_millis(104)));
        // b's only request never gets an answer: the batch waits out its timeout.
        assert!(p.take_done(t0 + Duration::from_millis(900)).is_empty());
        let done = p.take_done(t0 + REPLY_TIMEOUT + Duration::from_millis(1));
        assert_eq!(done.len(), 1);
        let (id, results) = &done[0];
        assert_eq!(*id, 7);
        assert_eq!(results[0].received(), 2);
        assert_eq!(
            results[0].replies[1].map(|r| (r.ttl, r.rtt)),
            Some((63, Duration::from_millis(4)))
        );
        assert_eq!(results[1].received(), 0);
        assert_eq!(results[1].replies.len(), 1);
    }

    #[test]
    fn a_reply_for_a_request_not_sent_is_ignored() {
        let t0 = Instant::now();
        let mut p = Pings::default();
        p.start(1, vec![req(3)], t0);
        let ident = p.due(t0)[0].1;
        assert!(p.reply(ident, 5, 64, 8, t0), "ours, but no such request");
        assert_eq!(p.batches[0].pings[0].result.received(), 0);
        p.cancel(1);
        assert!(!p.reply(ident, 0, 64, 8, t0), "forgotten");
    }
}
