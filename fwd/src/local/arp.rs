//! ARP (RFC 826) as the router speaks it.

use crate::net::MacAddr;
use crate::packet::arp::{self, ArpPacket, ArpRepr};
use crate::packet::ether::{self, EthernetFrame};
use std::net::Ipv4Addr;

/// Ethernet's minimum frame without FCS; shorter frames are padded (RFC 894).
pub const MIN_FRAME: usize = 60;

/// Parses an ARP frame (Ethernet header included).
pub fn parse(frame: &[u8]) -> Option<ArpRepr> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    let p = ArpPacket::new_checked(eth.payload()).ok()?;
    ArpRepr::parse(&p).ok()
}

/// Turns a request into our reply in place: `our_mac` answers for the requested address.
/// The frame must be a valid ARP request (see [`parse`]).
pub fn reply_in_place(frame: &mut [u8], req: &ArpRepr, our_mac: MacAddr) {
    let reply = ArpRepr {
        operation: arp::OP_REPLY,
        sender_mac: our_mac,
        sender_ip: req.target_ip,
        target_mac: req.sender_mac,
        target_ip: req.sender_ip,
    };
    let mut eth = EthernetFrame::new_unchecked(&mut *frame);
    eth.set_dst(req.sender_mac);
    eth.set_src(our_mac);
    reply.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
}

/// Writes a broadcast request for `target` into `buf` (at least [`MIN_FRAME`] bytes) and
/// returns the frame length.
pub fn build_request(
    buf: &mut [u8],
    our_mac: MacAddr,
    our_ip: Ipv4Addr,
    target: Ipv4Addr,
) -> usize {
    buf[..MIN_FRAME].fill(0);
    let mut eth = EthernetFrame::new_unchecked(&mut *buf);
    eth.set_dst(MacAddr::BROADCAST);
    eth.set_src(our_mac);
    eth.set_ethertype(ether::ETHERTYPE_ARP);
    ArpRepr {
        operation: arp::OP_REQUEST,
        sender_mac: our_mac,
        sender_ip: our_ip,
        target_mac: MacAddr::ZERO,
        target_ip: target,
    }
    .emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
    MIN_FRAME
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUR: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);

    #[test]
    fn request_then_reply_round_trip() {
        let mut buf = [0u8; 64];
        let n = build_request(
            &mut buf,
            OUR,
            Ipv4Addr::new(192, 168, 1, 1),
            Ipv4Addr::new(192, 168, 1, 10),
        );
        assert_eq!(n, MIN_FRAME);
        let req = parse(&buf[..n]).expect("valid request");
        assert_eq!(req.operation, arp::OP_REQUEST);
        assert_eq!(req.sender_mac, OUR);
        assert_eq!(req.target_ip, Ipv4Addr::new(192, 168, 1, 10));
        assert!(EthernetFrame::new_checked(&buf[..])
            .unwrap()
            .dst()
            .is_broadcast());

        // The host answers; here we answer a host's request for our address instead.
        let host = MacAddr([2, 0, 0, 0, 1, 10]);
        let mut frame = [0u8; 42];
        let asked = ArpRepr {
            operation: arp::OP_REQUEST,
            sender_mac: host,
            sender_ip: Ipv4Addr::new(192, 168, 1, 10),
            target_mac: MacAddr::ZERO,
            target_ip: Ipv4Addr::new(192, 168, 1, 1),
        };
        {
            let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
            eth.set_dst(MacAddr::BROADCAST);
            eth.set_src(host);
            eth.set_ethertype(ether::ETHERTYPE_ARP);
            asked.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()));
        }
        let req = parse(&frame).unwrap();
        reply_in_place(&mut frame, &req, OUR);
        let eth = EthernetFrame::new_checked(&frame[..]).unwrap();
        assert_eq!(eth.dst(), host);
        assert_eq!(eth.src(), OUR);
        let rep = parse(&frame).unwrap();
        assert_eq!(rep.operation, arp::OP_REPLY);
        assert_eq!(rep.sender_mac, OUR);
        assert_eq!(rep.sender_ip, Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(rep.target_mac, host);
        assert_eq!(rep.target_ip, Ipv4Addr::new(192, 168, 1, 10));
    }

    #[test]
    fn truncated_arp_is_rejected() {
        let mut buf = [0u8; 64];
        let n = build_request(
            &mut buf,
            OUR,
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
        );
        for len in 0..(ether::HEADER_LEN + arp::LEN) {
            assert!(parse(&buf[..len]).is_none(), "length {len}");
        }
        assert!(parse(&buf[..n]).is_some());
    }
}
