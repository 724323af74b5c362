//! UDP headers (RFC 768).

use std::net::Ipv4Addr;

use super::checksum;
use super::ipv4::PROTO_UDP;
use super::{read_u16, write_u16, Error, Result};

mod field {
    use crate::packet::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

pub const HEADER_LEN: usize = field::CHECKSUM.end;

/// A view of a UDP datagram; the buffer is the IPv4 payload.
#[derive(Debug, Clone)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        UdpPacket { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the header and the `len` bytes the length field claims are in the buffer.
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let buf_len = self.buffer.as_ref().len();
        if buf_len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = usize::from(self.len());
        if len < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if len > buf_len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// Header plus data, in bytes.
    #[inline]
    #[allow(
        clippy::len_without_is_empty,
        reason = "RFC 768's Length field, not a container"
    )]
    pub fn len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The data up to the length field; anything after it is not part of the datagram.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }

    /// Whether the checksum, pseudo header included, is right. A zero checksum means the
    /// sender computed none (RFC 768) and passes.
    #[inline]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        if self.checksum() == 0 {
            return true;
        }
        let len = self.len();
        let data = &self.buffer.as_ref()[..usize::from(len)];
        let sum = checksum::sum(data, checksum::pseudo_header_sum(src, dst, PROTO_UDP, len));
        checksum::fold(sum) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    #[inline]
    pub fn set_src_port(&mut self, port: u16) {
        write_u16(&mut self.buffer.as_mut()[field::SRC_PORT], port);
    }

    #[inline]
    pub fn set_dst_port(&mut self, port: u16) {
        write_u16(&mut self.buffer.as_mut()[field::DST_PORT], port);
    }

    /// Re-run `check_len` before trusting `payload()`.
    #[inline]
    pub fn set_len(&mut self, len: u16) {
        write_u16(&mut self.buffer.as_mut()[field::LENGTH], len);
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], checksum);
    }

    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }

    /// Computes the checksum over pseudo header, header and data. A computed 0 is sent as
    /// 0xFFFF, since 0 on the wire means "no checksum" (RFC 768).
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let len = self.len();
        let data = &self.buffer.as_ref()[..usize::from(len)];
        let sum = checksum::sum(data, checksum::pseudo_header_sum(src, dst, PROTO_UDP, len));
        let c = !checksum::fold(sum);
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

    /// Captured 192.0.2.1:59218 -> 192.0.2.2:53 carrying "wanfwd". The sender used checksum
    /// offload, so the field holds only the pseudo header sum (0x8423); the right value is
    /// 0x371a.
    const DATAGRAM: [u8; 14] = [
        0xe7, 0x52, 0x00, 0x35, 0x00, 0x0e, 0x84, 0x23, 0x77, 0x61, 0x6e, 0x66, 0x77, 0x64,
    ];

    #[test]
    fn parse() {
        let p = UdpPacket::new_checked(&DATAGRAM[..]).unwrap();
        assert_eq!(p.src_port(), 59218);
        assert_eq!(p.dst_port(), 53);
        assert_eq!(p.len(), 14);
        assert_eq!(p.checksum(), 0x8423);
        assert_eq!(p.payload(), b"wanfwd");
        assert!(!p.verify_checksum(SRC, DST));
    }

    #[test]
    fn fill_checksum_completes_offload() {
        let mut buf = DATAGRAM;
        let mut p = UdpPacket::new_checked(&mut buf[..]).unwrap();
        p.fill_checksum(SRC, DST);
        assert_eq!(p.checksum(), 0x371a);
        assert!(p.verify_checksum(SRC, DST));
        assert!(!p.verify_checksum(SRC, Ipv4Addr::new(192, 0, 2, 3)));
        p.set_checksum(0);
        assert!(p.verify_checksum(SRC, Ipv4Addr::new(192, 0, 2, 3)));
    }

    #[test]
    fn computed_zero_is_sent_as_ffff() {
        // Choose the source port so that the sum of everything is 0xFFFF (checksum 0).
        let mut buf = DATAGRAM;
        let mut p = UdpPacket::new_checked(&mut buf[..]).unwrap();
        p.set_src_port(0);
        p.fill_checksum(SRC, DST);
        let port = p.checksum();
        p.set_src_port(port);
        p.fill_checksum(SRC, DST);
        assert_eq!(p.checksum(), 0xffff);
        assert!(p.verify_checksum(SRC, DST));
    }

    #[test]
    fn setters_round_trip() {
        let mut buf = [0u8; 14];
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        p.set_src_port(59218);
        p.set_dst_port(53);
        p.set_len(14);
        p.payload_mut().copy_from_slice(b"wanfwd");
        p.fill_checksum(SRC, DST);
        let mut expected = DATAGRAM;
        expected[6..8].copy_from_slice(&0x371au16.to_be_bytes());
        assert_eq!(buf, expected);
    }

    #[test]
    fn padding_after_len_is_ignored() {
        let mut buf = [0u8; 20];
        buf[..14].copy_from_slice(&DATAGRAM);
        buf[14..].fill(0xee);
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(p.payload(), b"wanfwd");
    }

    #[test]
    fn truncated_and_malformed() {
        for n in 0..DATAGRAM.len() {
            assert_eq!(
                UdpPacket::new_checked(&DATAGRAM[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        let mut bad = DATAGRAM;
        bad[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&bad[..]).unwrap_err(),
            Error::Malformed
        );
    }
}
