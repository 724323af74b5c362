//! check-gateway: one prober per checked member (a gateway and how it is checked), driven by
//! the control core's timer. Probes are pinned: a direct gateway is pinged (or ARPed) on its
//! own port whatever the FIB says, and a recursive gateway is pinged through the path list
//! it resolved through (its anchor), so a probe tests that path and no other.

use super::Control;
use crate::local;
use crate::probe::{self, GwState, Method, Prober};
use crate::rib::{Check, Member, Rib, Target};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Instant;

pub(super) struct Slot {
    prober: Prober,
    ident: u16,
}

#[derive(Default)]
pub(super) struct Probes {
    slots: HashMap<Member, Slot>,
    by_ident: HashMap<u16, Member>,
    next_ident: u16,
}

/// Echo identifiers of check-gateway probes start here ("WF"); replies are matched on them.
const IDENT_BASE: u16 = 0x5746;

impl Probes {
    /// Keeps the probers of members still checked (with their state), adds new ones, drops
    /// the rest.
    pub(super) fn follow(&mut self, rib: &Rib, settings: &probe::Settings, now: Instant) {
        let wanted = rib.checked_members();
        self.slots.retain(|m, _| wanted.contains(m));
        self.by_ident.retain(|_, m| wanted.contains(m));
        for m in wanted {
            if self.slots.contains_key(&m) {
                continue;
            }
            let method = match m {
                Member::Direct {
                    check: Check::Arp, ..
                } => Method::Arp,
                _ => Method::Ping,
            };
            let ident = IDENT_BASE.wrapping_add(self.next_ident);
            self.next_ident = self.next_ident.wrapping_add(1);
            self.by_ident.insert(ident, m);
            self.slots.insert(
                m,
                Slot {
                    prober: Prober::new(method, *settings, now),
                    ident,
                },
            );
        }
    }

    /// New `/routing/settings` for every prober, keeping their verdicts.
    pub(super) fn set_settings(&mut self, settings: probe::Settings) {
        for s in self.slots.values_mut() {
            s.prober.set_settings(settings);
        }
    }

    /// Whether a member may carry traffic: unchecked, or its gateway not found unreachable
    /// (RouterOS starts a checked route active until its probes fail).
    pub(super) fn usable(&self, m: &Member) -> bool {
        m.check() == Check::None
            || self
                .slots
                .get(m)
                .is_none_or(|s| s.prober.state() != GwState::Unreachable)
    }

    /// The state of a checked member, for `/routing/nexthop print`.
    pub(super) fn state(&self, m: &Member) -> Option<GwState> {
        self.slots.get(m).map(|s| s.prober.state())
    }

    pub(super) fn echo_reply(&mut self, ident: u16, seq: u16, now: Instant) -> bool {
        match self
            .by_ident
            .get(&ident)
            .and_then(|m| self.slots.get_mut(m))
        {
            Some(s) => {
                s.prober.reply(seq, now);
                true
            }
            None => false,
        }
    }

    /// Any ARP from a gateway answers its outstanding ARP probe.
    pub(super) fn arp_from(&mut self, port: u16, addr: u32, now: Instant) {
        for (m, s) in self.slots.iter_mut() {
            if let Member::Direct {
                target: Target::Gateway(p, a),
                check: Check::Arp,
            } = m
            {
                if *p == port && *a == addr {
                    if let Some(seq) = s.prober.outstanding() {
                        s.prober.reply(seq, now);
                    }
                }
            }
        }
    }
}

impl Control {
    /// Sends the probes that are due and notes verdicts; true when a gateway changed state.
    pub(super) fn run_probes(&mut self, now: Instant) -> bool {
        let mut due = Vec::new();
        let mut changed = false;
        for (m, s) in self.probes.slots.iter_mut() {
            if let Some(seq) = s.prober.poll(now) {
                due.push((*m, s.ident, seq));
            }
            if let Some(state) = s.prober.take_change() {
                log::warn!("check-gateway: {} is now {:?}", describe(m), state);
                changed = true;
            }
        }
        for (m, ident, seq) in due {
            self.send_probe(m, ident, seq);
        }
        changed
    }

    fn send_probe(&mut self, m: Member, ident: u16, seq: u16) {
        match m {
            Member::Direct {
                target: Target::Gateway(port, addr),
                check,
            } => {
                if check == Check::Arp {
                    self.send_arp_request(port, Ipv4Addr::from(addr));
                } else {
                    self.send_echo(port, addr, addr, ident, seq);
                }
            }
            Member::Recursive { gw, via, .. } => {
                // Through the anchor: the first target its path list selects.
                let first = self
                    .sel
                    .get(via as usize)
                    .and_then(|s| s.targets.first().copied());
                match first {
                    Some(Target::Gateway(port, nh)) => self.send_echo(port, nh, gw, ident, seq),
                    Some(Target::Connected(port)) => self.send_echo(port, gw, gw, ident, seq),
                    // Nowhere to send: the probe times out, which is the truth.
                    _ => {}
                }
            }
            Member::Direct { .. } => {}
        }
    }

    /// An ICMP echo request to `dst` through the neighbour `next_hop` on `port`.
    fn send_echo(&mut self, port: u16, next_hop: u32, dst: u32, ident: u16, seq: u16) {
        self.send_echo_from(port, next_hop, dst, None, ident, seq);
    }

    /// An ICMP echo request to `dst` through `next_hop` on `port`, from `src` (else from the
    /// port's address on the next hop's subnet).
    pub(super) fn send_echo_from(
        &mut self,
        port: u16,
        next_hop: u32,
        dst: u32,
        src: Option<Ipv4Addr>,
        ident: u16,
        seq: u16,
    ) {
        let Some(n) = self.neigh.resolve(next_hop).filter(|n| n.port == port) else {
            // Unresolved: ask, and let this probe fail if nobody answers.
            if self.neigh.solicit(next_hop, port, Instant::now()) {
                self.send_arp_request(port, Ipv4Addr::from(next_hop));
            }
            return;
        };
        let p = &self.ports[usize::from(port)];
        let Some(src) = src.or_else(|| p.source_for(Ipv4Addr::from(next_hop))) else {
            return;
        };
        let src_mac = p.mac;
        let Some(mut m) = self.pool.alloc() else {
            return;
        };
        let Ok(buf) = m.append(local::icmp::ECHO_FRAME_LEN) else {
            return;
        };
        self.ident = self.ident.wrapping_add(1);
        local::icmp::build_echo_request(
            buf,
            src_mac,
            n.mac,
            src,
            Ipv4Addr::from(dst),
            ident,
            seq,
            self.ident,
        );
        self.send(port, m);
    }

    /// A reply to one of our echo requests.
    pub(super) fn probe_echo_reply(&mut self, ident: u16, seq: u16) -> bool {
        self.probes.echo_reply(ident, seq, Instant::now())
    }

    pub(super) fn probe_arp_from(&mut self, port: u16, addr: u32) {
        self.probes.arp_from(port, addr, Instant::now());
    }

    /// The state of a checked member.
    pub fn gateway_state(&self, m: &Member) -> Option<GwState> {
        self.probes.state(m)
    }
}

fn describe(m: &Member) -> String {
    match *m {
        Member::Direct {
            target: Target::Gateway(p, a),
            check,
        } => format!("gateway {} (port {p}, check {check:?})", Ipv4Addr::from(a)),
        Member::Recursive { gw, check, .. } => {
            format!("recursive gateway {} (check {check:?})", Ipv4Addr::from(gw))
        }
        Member::Direct { target, .. } => format!("{target:?}"),
    }
}
