//! What reaches the control core: ARP, packets for the router, packets waiting for a
//! neighbour; and how it sends: routing its own packets, ARP requests, ICMP errors.

use super::{Control, Held};
use crate::counters::DropReason;
use crate::dpdk::Mbuf;
use crate::forward::{self, Punt, Verdict};
use crate::local;
use crate::neigh::Hold;
use crate::packet::arp as arp_pkt;
use crate::packet::ether;
use crate::packet::icmp::{self as icmp_pkt, IcmpPacket};
use crate::packet::ipv4::{self, Ipv4Packet};
use crate::worker::Handoff;
use crate::worker::Punted;
use std::net::Ipv4Addr;
use std::time::Instant;

impl Control {
    pub(super) fn hold(&mut self, h: Held, port: u16, addr: u32) {
        match self.neigh.hold(addr, port, h, Instant::now()) {
            Hold::HeldSendRequest => self.send_arp_request(port, Ipv4Addr::from(addr)),
            Hold::Held => {}
            Hold::Refused(_) => self.counters.drop(DropReason::HoldQueueFull),
            Hold::Known(_, h) => {
                // The worker's snapshot predates the resolution; ours has it.
                self.release(vec![h]);
            }
        }
    }

    /// Sends packets whose next hop just resolved, routing them again on the new snapshot.
    pub(super) fn release(&mut self, held: Vec<Held>) {
        for Held { mut mbuf, in_port } in held {
            // With connection tracking, a forwarded packet must go through the worker's
            // stateful path (its connection, its translation): hand it back.
            if let (Some(p), true) = (in_port, self.snap.rules.active()) {
                if let Some(ring) = self.handoff.first() {
                    if ring.push(Handoff { mbuf, in_port: p }).is_err() {
                        self.counters.drop(DropReason::HandoffRingFull);
                    }
                    continue;
                }
            }
            let v = match in_port {
                Some(p) => forward::forward(mbuf.data_mut(), p, None, &self.snap.tables()),
                None => forward::output(mbuf.data_mut(), &self.snap.tables()),
            };
            match v {
                Verdict::Forward { port, .. } => self.send(port, mbuf),
                Verdict::Punt(Punt::NoNeighbour { .. }) => {
                    self.counters.drop(DropReason::NoNeighbour)
                }
                Verdict::Punt(reason) => self.handle(Punted {
                    mbuf,
                    in_port: in_port.unwrap_or(0),
                    reason,
                }),
                Verdict::Drop(r) => self.counters.drop(r),
                // Only the stateful path hands packets over.
                Verdict::Handoff { .. } => self.counters.drop(DropReason::HandoffRingFull),
            }
        }
    }

    pub(super) fn arp_input(&mut self, mut m: Mbuf, in_port: u16) {
        let Some(arp) = local::arp::parse(m.data()) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        let port = &self.ports[usize::from(in_port)];
        if !port.enabled {
            self.counters.drop(DropReason::InterfaceDown);
            return;
        }
        let for_us = port.owns(arp.target_ip);
        let sender = arp.sender_ip;
        self.probe_arp_from(in_port, sender.into());
        let port = &self.ports[usize::from(in_port)];
        // Learn from ARP addressed to us, and refresh what we already know (RFC 826 merge);
        // only senders on one of the port's subnets are neighbours.
        if (for_us || self.neigh.knows(sender.into()))
            && port.on_link(sender)
            && !sender.is_unspecified()
            && !arp.sender_mac.is_multicast()
        {
            let (changed, released) =
                self.neigh
                    .learn(sender.into(), in_port, arp.sender_mac, Instant::now());
            if changed {
                log::info!("ARP: {sender} is at {} on {}", arp.sender_mac, port.name);
                self.publish();
            }
            self.release(released);
        }
        if !for_us {
            self.counters.drop(DropReason::ArpIgnored);
            return;
        }
        if arp.operation == arp_pkt::OP_REQUEST {
            let mac = self.ports[usize::from(in_port)].mac;
            local::arp::reply_in_place(m.data_mut(), &arp, mac);
            self.send(in_port, m);
        }
    }

    pub(super) fn local_input(&mut self, mut m: Mbuf, in_port: u16) {
        let Ok(ip) = Ipv4Packet::new_checked(&m.data()[ether::HEADER_LEN..]) else {
            self.counters.drop(DropReason::Malformed);
            return;
        };
        let dst = ip.dst();
        // Directed broadcasts are local too, but the router answers only its own unicast
        // addresses (as Linux's icmp_echo_ignore_broadcasts).
        if !self.ports.iter().any(|p| p.owns(dst)) {
            self.counters.drop(DropReason::LocalUnhandled);
            return;
        }
        if let Some((ident, seq, size)) = echo_reply_of(&ip) {
            // An answer to a check-gateway or Netwatch probe, or to a ping; any other echo
            // reply is not ours.
            if !self.probe_echo_reply(ident, seq)
                && !self.netwatch_echo_reply(ident, seq)
                && !self.ping_echo_reply(ident, seq, ip.ttl(), size)
            {
                self.counters.drop(DropReason::LocalUnhandled);
            }
            return;
        }
        match ip.protocol() {
            ipv4::PROTO_ICMP => match local::icmp::echo_reply_in_place(m.data_mut()) {
                Some(len) => {
                    m.truncate(len);
                    self.output(m);
                }
                None => self.counters.drop(DropReason::LocalUnhandled),
            },
            ipv4::PROTO_UDP => {
                // No UDP service: port unreachable, which also ends a traceroute at us.
                self.counters.drop(DropReason::LocalUnhandled);
                self.icmp_error(
                    &m,
                    in_port,
                    icmp_pkt::TYPE_DEST_UNREACHABLE,
                    icmp_pkt::CODE_PORT_UNREACHABLE,
                    0,
                );
            }
            _ => self.counters.drop(DropReason::LocalUnhandled),
        }
    }

    /// Sends an ICMP error about the packet in `orig`, from our address on `in_port`.
    pub(super) fn icmp_error(
        &mut self,
        orig: &Mbuf,
        in_port: u16,
        msg_type: u8,
        code: u8,
        rest: u32,
    ) {
        let Some(l3) = orig.data().get(ether::HEADER_LEN..) else {
            return;
        };
        let Ok(ip) = Ipv4Packet::new_checked(l3) else {
            return;
        };
        let peer = ip.src();
        let src = self.ports[usize::from(in_port)]
            .source_for(peer)
            .or_else(|| {
                self.ports
                    .iter()
                    .find_map(|p| p.addrs.first().map(|a| a.addr))
            });
        let Some(src) = src else { return };
        if !self.icmp_limit.take(Instant::now()) {
            self.counters.drop(DropReason::IcmpRateLimited);
            return;
        }
        let Some(mut out) = self.pool.alloc() else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        // A small mbuf-size gives a shorter quote, not no error.
        let room = (ether::HEADER_LEN + local::icmp::MAX_ERROR_DATAGRAM).min(out.tailroom());
        let Ok(buf) = out.append(room) else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        self.ident = self.ident.wrapping_add(1);
        // None: RFC 1812 4.3.2.7 forbids answering this one.
        if let Some(len) = local::icmp::build_error(buf, l3, src, msg_type, code, rest, self.ident)
        {
            out.truncate(len);
            self.output(out);
        }
    }

    /// Routes and sends a packet the router originates.
    pub(super) fn output(&mut self, mut m: Mbuf) {
        match forward::output(m.data_mut(), &self.snap.tables()) {
            Verdict::Forward { port, .. } => self.send(port, m),
            Verdict::Punt(Punt::NoNeighbour { port, addr }) => self.hold(
                Held {
                    mbuf: m,
                    in_port: None,
                },
                port,
                addr,
            ),
            Verdict::Punt(_) => self.counters.drop(DropReason::NoRoute),
            Verdict::Drop(r) => self.counters.drop(r),
            Verdict::Handoff { .. } => self.counters.drop(DropReason::HandoffRingFull),
        }
    }

    pub(super) fn send_arp_request(&mut self, port: u16, target: Ipv4Addr) {
        let p = &self.ports[usize::from(port)];
        if !p.enabled {
            return;
        }
        let Some(src) = p.source_for(target) else {
            return;
        };
        let mac = p.mac;
        let Some(mut m) = self.pool.alloc() else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        let Ok(buf) = m.append(local::arp::MIN_FRAME) else {
            self.counters.drop(DropReason::NoBuffer);
            return;
        };
        local::arp::build_request(buf, mac, src, target);
        log::debug!(
            "ARP: who has {target}? tell {src} ({})",
            self.ports[usize::from(port)].name
        );
        self.send(port, m);
    }

    pub(super) fn send(&mut self, port: u16, m: Mbuf) {
        // tx_packets counts what the control core originated or released: packets it hands
        // to a worker are counted again in the worker's tx_packets when they leave.
        let bytes = u64::from(m.pkt_len());
        match self.ports[usize::from(port)].tx.send(m) {
            Ok(()) => {
                self.counters.tx_packets += 1;
                self.counters.tx_bytes += bytes;
            }
            Err(n) => self.counters.queue_full(usize::from(port), n as u64),
        }
    }

    pub(super) fn flush_tx(&mut self) {
        for (i, p) in self.ports.iter_mut().enumerate() {
            let lost = p.tx.flush();
            self.counters.queue_full(i, lost as u64);
        }
    }
}

/// The identifier, sequence number and data length of an ICMP echo reply.
fn echo_reply_of(ip: &Ipv4Packet<&[u8]>) -> Option<(u16, u16, u16)> {
    if ip.protocol() != ipv4::PROTO_ICMP || ip.is_fragment() {
        return None;
    }
    let msg = IcmpPacket::new_checked(ip.payload()).ok()?;
    (msg.msg_type() == icmp_pkt::TYPE_ECHO_REPLY && msg.verify_checksum()).then(|| {
        let data = ip.payload().len().saturating_sub(icmp_pkt::HEADER_LEN);
        (msg.echo_ident(), msg.echo_seq_no(), data as u16)
    })
}

impl Control {
    /// Cuts a packet the workers routed and rewrote, too big for `port`'s MTU with DF clear,
    /// into fragments (RFC 791), and sends them.
    pub(super) fn fragment_out(&mut self, m: Mbuf, port: u16) {
        let Some(out) = self.ports.get(usize::from(port)) else {
            return;
        };
        let Some(plan) = local::fragment::Pieces::new(m.data(), out.mtu) else {
            // IP options, or a header that does not hold: not ours to cut.
            self.counters.drop(DropReason::TooBig);
            return;
        };
        for i in 0..plan.count() {
            let Some(mut piece) = self.pool.alloc() else {
                self.counters.drop(DropReason::NoBuffer);
                return;
            };
            let Ok(buf) = piece.append(plan.frame_len(i)) else {
                self.counters.drop(DropReason::NoBuffer);
                return;
            };
            plan.write(m.data(), i, buf);
            self.send(port, piece);
        }
    }
}
