//! The per-packet forwarding decision, free of DPDK: a frame in, a verdict out, with the
//! frame rewritten in place when it is to be forwarded. Workers call it for every packet;
//! the control core calls `output` for packets it originates or releases from the ARP hold
//! queue, so both follow the same FIB.

use crate::counters::DropReason;
use crate::fib::{Nexthop, Snapshot};
use crate::net::MacAddr;
use crate::packet::ether::{self, EthernetFrame};
use crate::packet::ipv4::{self, Ipv4Packet};

/// Why a packet goes to the control core instead of out of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punt {
    /// An ARP packet.
    Arp,
    /// Addressed to one of the router's own addresses.
    Local,
    /// TTL would reach zero: the control core answers with ICMP time-exceeded.
    TtlExceeded,
    /// No route: the control core answers with ICMP destination-unreachable (net).
    NoRoute,
    /// Larger than the outgoing MTU with DF set: ICMP fragmentation-needed.
    FragNeeded { mtu: u16 },
    /// The next hop's MAC is not known yet: the control core holds the packet and ARPs.
    NoNeighbour { port: u16, addr: u32 },
}

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Rewritten; send it out of this port.
    Forward {
        port: u16,
    },
    Punt(Punt),
    Drop(DropReason),
}

/// Sources a router must not forward from (RFC 1812 5.3.7): this network (0/8), loopback
/// (127/8), multicast and reserved (224/3, which includes limited broadcast).
#[inline]
fn is_martian_source(src: u32) -> bool {
    let first = src >> 24;
    first == 0 || first == 127 || first >= 224
}

/// Decides the fate of a frame received on `in_port` and, when it is forwarded, decrements
/// its TTL (RFC 1624 checksum update) and rewrites its Ethernet addresses. `hw_checksum` is
/// the device's verdict on the IPv4 header checksum when it checked it.
#[inline]
pub fn forward(
    frame: &mut [u8],
    in_port: u16,
    hw_checksum: Option<bool>,
    snap: &Snapshot,
) -> Verdict {
    let Ok(eth) = EthernetFrame::new_checked(&*frame) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    match eth.ethertype() {
        ether::ETHERTYPE_IPV4 => {}
        ether::ETHERTYPE_ARP => return Verdict::Punt(Punt::Arp),
        _ => return Verdict::Drop(DropReason::NotIpv4),
    }
    let Some(port) = snap.ports.get(usize::from(in_port)) else {
        return Verdict::Drop(DropReason::InterfaceDown);
    };
    if !port.enabled {
        return Verdict::Drop(DropReason::InterfaceDown);
    }
    // Devices in promiscuous mode (af_packet, a MAC we could not program) hand us frames for
    // other hosts; a router routes only what is addressed to it.
    if eth.dst() != port.mac {
        return Verdict::Drop(DropReason::NotForUs);
    }
    let l3 = &mut frame[ether::HEADER_LEN..];
    let Ok(ip) = Ipv4Packet::new_checked(&*l3) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let ok = match hw_checksum {
        Some(v) => v,
        None => ip.verify_checksum(),
    };
    if !ok {
        return Verdict::Drop(DropReason::BadChecksum);
    }
    if is_martian_source(ip.src_u32()) {
        return Verdict::Drop(DropReason::Martian);
    }
    let dst = ip.dst_u32();
    let ttl = ip.ttl();
    let total_len = ip.total_len();
    let dont_frag = ip.dont_frag();
    let (out_port, mac) = match next_hop(dst, snap) {
        Ok(NextHop::Local) => return Verdict::Punt(Punt::Local),
        Ok(NextHop::Out(p, m)) => (p, m),
        Err(v) => {
            // TTL is checked before the neighbour so that an expiring packet gets its ICMP
            // error even while the next hop is still being resolved.
            if ttl <= 1 && matches!(v, Verdict::Punt(Punt::NoNeighbour { .. })) {
                return Verdict::Punt(Punt::TtlExceeded);
            }
            return v;
        }
    };
    if ttl <= 1 {
        return Verdict::Punt(Punt::TtlExceeded);
    }
    let out = &snap.ports[usize::from(out_port)];
    if total_len > out.mtu {
        return if dont_frag {
            Verdict::Punt(Punt::FragNeeded { mtu: out.mtu })
        } else {
            Verdict::Drop(DropReason::TooBig)
        };
    }
    Ipv4Packet::new_unchecked(&mut *l3).decrement_ttl();
    let mut eth = EthernetFrame::new_unchecked(frame);
    eth.set_dst(mac);
    eth.set_src(out.mac);
    Verdict::Forward { port: out_port }
}

/// Routes a frame the router itself sends (ICMP it generates, packets released from the ARP
/// hold queue): no TTL decrement, no input checks. The IPv4 header must be complete.
pub fn output(frame: &mut [u8], snap: &Snapshot) -> Verdict {
    let Ok(ip) = Ipv4Packet::new_checked(frame.get(ether::HEADER_LEN..).unwrap_or(&[])) else {
        return Verdict::Drop(DropReason::Malformed);
    };
    let dst = ip.dst_u32();
    match next_hop(dst, snap) {
        Ok(NextHop::Local) => Verdict::Drop(DropReason::LocalUnhandled),
        Ok(NextHop::Out(port, mac)) => {
            let out = &snap.ports[usize::from(port)];
            let mut eth = EthernetFrame::new_unchecked(frame);
            eth.set_dst(mac);
            eth.set_src(out.mac);
            eth.set_ethertype(ether::ETHERTYPE_IPV4);
            Verdict::Forward { port }
        }
        Err(v) => v,
    }
}

enum NextHop {
    Local,
    Out(u16, MacAddr),
}

#[inline]
fn next_hop(dst: u32, snap: &Snapshot) -> Result<NextHop, Verdict> {
    let Some(idx) = snap.fib.lookup(dst) else {
        return Err(Verdict::Punt(Punt::NoRoute));
    };
    let Some(nh) = snap.nexthops.get(idx as usize) else {
        return Err(Verdict::Punt(Punt::NoRoute));
    };
    let (port, addr, mac) = match nh {
        Nexthop::Local => return Ok(NextHop::Local),
        Nexthop::Gateway { port, addr, mac } => (*port, *addr, *mac),
        Nexthop::Connected { port } => (*port, dst, snap.neighbours.get(&dst).map(|n| n.mac)),
    };
    match snap.ports.get(usize::from(port)) {
        Some(p) if p.enabled => {}
        _ => return Err(Verdict::Drop(DropReason::InterfaceDown)),
    }
    match mac {
        Some(m) => Ok(NextHop::Out(port, m)),
        None => Err(Verdict::Punt(Punt::NoNeighbour { port, addr })),
    }
}

/// The IPv4 protocol number, for tests and the control core.
pub const PROTO_ICMP: u8 = ipv4::PROTO_ICMP;

#[cfg(test)]
mod tests;
