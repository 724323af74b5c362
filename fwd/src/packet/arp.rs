//! ARP for IPv4 over Ethernet (RFC 826), the only kind a router's neighbour table needs.

use std::net::Ipv4Addr;

use super::{read_ipv4, read_mac, read_u16, write_u16, Error, Result};
use crate::net::MacAddr;

pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;

/// ar$hrd for Ethernet (RFC 826; IANA "Hardware Types").
pub const HTYPE_ETHERNET: u16 = 1;

mod field {
    use crate::packet::Field;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    pub const SHA: Field = 8..14;
    pub const SPA: Field = 14..18;
    pub const THA: Field = 18..24;
    pub const TPA: Field = 24..28;
}

/// Length of an Ethernet/IPv4 ARP packet; Ethernet pads it to 46 bytes on the wire.
pub const LEN: usize = field::TPA.end;

#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        ArpPacket { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks room for the Ethernet/IPv4 layout only; see [`Self::is_ethernet_ipv4`] for the
    /// fields that say whether that layout is the one in use.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn hardware_type(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::HTYPE])
    }

    #[inline]
    pub fn protocol_type(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::PTYPE])
    }

    #[inline]
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    #[inline]
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// Whether the address fields are 6-byte MACs and 4-byte IPv4 addresses, so that the
    /// sender/target getters mean what they say.
    #[inline]
    pub fn is_ethernet_ipv4(&self) -> bool {
        self.hardware_type() == HTYPE_ETHERNET
            && self.protocol_type() == super::ether::ETHERTYPE_IPV4
            && self.hardware_len() == 6
            && self.protocol_len() == 4
    }

    #[inline]
    pub fn operation(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::OPER])
    }

    #[inline]
    pub fn sender_mac(&self) -> MacAddr {
        read_mac(&self.buffer.as_ref()[field::SHA])
    }

    #[inline]
    pub fn sender_ip(&self) -> Ipv4Addr {
        read_ipv4(&self.buffer.as_ref()[field::SPA])
    }

    #[inline]
    pub fn target_mac(&self) -> MacAddr {
        read_mac(&self.buffer.as_ref()[field::THA])
    }

    #[inline]
    pub fn target_ip(&self) -> Ipv4Addr {
        read_ipv4(&self.buffer.as_ref()[field::TPA])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    #[inline]
    pub fn set_hardware_type(&mut self, htype: u16) {
        write_u16(&mut self.buffer.as_mut()[field::HTYPE], htype);
    }

    #[inline]
    pub fn set_protocol_type(&mut self, ptype: u16) {
        write_u16(&mut self.buffer.as_mut()[field::PTYPE], ptype);
    }

    #[inline]
    pub fn set_hardware_len(&mut self, len: u8) {
        self.buffer.as_mut()[field::HLEN] = len;
    }

    #[inline]
    pub fn set_protocol_len(&mut self, len: u8) {
        self.buffer.as_mut()[field::PLEN] = len;
    }

    #[inline]
    pub fn set_operation(&mut self, op: u16) {
        write_u16(&mut self.buffer.as_mut()[field::OPER], op);
    }

    #[inline]
    pub fn set_sender_mac(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&mac.0);
    }

    #[inline]
    pub fn set_sender_ip(&mut self, ip: Ipv4Addr) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&ip.octets());
    }

    #[inline]
    pub fn set_target_mac(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&mac.0);
    }

    #[inline]
    pub fn set_target_ip(&mut self, ip: Ipv4Addr) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&ip.octets());
    }
}

/// An Ethernet/IPv4 ARP message. `operation` is kept as received: RFC 826 leaves unknown
/// opcodes to the receiver, which ignores what is neither [`OP_REQUEST`] nor [`OP_REPLY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpRepr {
    pub operation: u16,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    /// Fails with `Malformed` for any hardware or protocol other than Ethernet and IPv4.
    pub fn parse<T: AsRef<[u8]>>(packet: &ArpPacket<T>) -> Result<ArpRepr> {
        packet.check_len()?;
        if !packet.is_ethernet_ipv4() {
            return Err(Error::Malformed);
        }
        Ok(ArpRepr {
            operation: packet.operation(),
            sender_mac: packet.sender_mac(),
            sender_ip: packet.sender_ip(),
            target_mac: packet.target_mac(),
            target_ip: packet.target_ip(),
        })
    }

    /// Writes all 28 bytes; `packet` must hold at least [`LEN`] bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ArpPacket<T>) {
        packet.set_hardware_type(HTYPE_ETHERNET);
        packet.set_protocol_type(super::ether::ETHERTYPE_IPV4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(self.operation);
        packet.set_sender_mac(self.sender_mac);
        packet.set_sender_ip(self.sender_ip);
        packet.set_target_mac(self.target_mac);
        packet.set_target_ip(self.target_ip);
    }

    pub const fn buffer_len(&self) -> usize {
        LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured: who-has 192.0.2.2 tell 192.0.2.1 (Ethernet header removed).
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0xc0,
        0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,
    ];

    /// Captured: 192.0.2.2 is-at 96:ae:ff:e6:65:c3, the answer to `REQUEST`.
    const REPLY: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3, 0xc0,
        0x00, 0x02, 0x02, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0xc0, 0x00, 0x02, 0x01,
    ];

    const MAC_A: MacAddr = MacAddr([0xee, 0x61, 0x91, 0x03, 0x55, 0x69]);
    const MAC_B: MacAddr = MacAddr([0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3]);

    #[test]
    fn parse_request() {
        let p = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert!(p.is_ethernet_ipv4());
        assert_eq!(p.hardware_type(), 1);
        assert_eq!(p.protocol_type(), 0x0800);
        assert_eq!(p.operation(), OP_REQUEST);
        assert_eq!(p.sender_mac(), MAC_A);
        assert_eq!(p.sender_ip(), Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(p.target_mac(), MacAddr::ZERO);
        assert_eq!(p.target_ip(), Ipv4Addr::new(192, 0, 2, 2));
    }

    #[test]
    fn reply_round_trip() {
        // Build the reply the way a neighbour table answers a request, and compare it with
        // what Linux sent.
        let req = ArpRepr::parse(&ArpPacket::new_checked(&REQUEST[..]).unwrap()).unwrap();
        let reply = ArpRepr {
            operation: OP_REPLY,
            sender_mac: MAC_B,
            sender_ip: req.target_ip,
            target_mac: req.sender_mac,
            target_ip: req.sender_ip,
        };
        let mut buf = [0xaau8; LEN];
        reply.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        assert_eq!(buf, REPLY);
        let parsed = ArpRepr::parse(&ArpPacket::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(parsed, reply);
        assert_eq!(reply.buffer_len(), 28);
    }

    #[test]
    fn trailing_padding_allowed() {
        let mut padded = [0u8; 46];
        padded[..LEN].copy_from_slice(&REQUEST);
        let p = ArpPacket::new_checked(&padded[..]).unwrap();
        assert_eq!(p.target_ip(), Ipv4Addr::new(192, 0, 2, 2));
    }

    #[test]
    fn truncated() {
        for n in 0..LEN {
            assert_eq!(
                ArpPacket::new_checked(&REQUEST[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn not_ethernet_ipv4() {
        // Each of htype, ptype, hlen, plen in turn.
        for (at, value) in [(1, 6), (2, 0x86), (4, 8), (5, 16)] {
            let mut bad = REQUEST;
            bad[at] = value;
            let p = ArpPacket::new_checked(&bad[..]).unwrap();
            assert!(!p.is_ethernet_ipv4());
            assert_eq!(ArpRepr::parse(&p).unwrap_err(), Error::Malformed);
        }
    }
}
