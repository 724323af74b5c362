//! TCP headers (RFC 9293), as far as a router reads them: ports for ECMP hashing and
//! connection tracking, flags, and the checksum it must fix after rewriting addresses.

use std::net::Ipv4Addr;

use super::checksum;
use super::ipv4::PROTO_TCP;
use super::{read_u16, read_u32, write_u16, write_u32, Error, Result};

// Control bits (RFC 9293 3.1; ECE and CWR from RFC 3168).
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;
pub const ECE: u8 = 0x40;
pub const CWR: u8 = 0x80;

mod field {
    use crate::packet::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ: Field = 4..8;
    pub const ACK: Field = 8..12;
    pub const DATA_OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WINDOW: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
}

/// A header without options.
pub const HEADER_LEN: usize = field::URGENT.end;

/// A view of a TCP segment; the buffer is the IPv4 payload, whose length is the segment's.
#[derive(Debug, Clone)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        TcpPacket { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if self.header_len() > len {
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

    #[inline]
    pub fn seq(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::SEQ])
    }

    #[inline]
    pub fn ack(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::ACK])
    }

    /// Data offset in bytes, options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::DATA_OFFSET] >> 4) * 4
    }

    /// The control bits; test with [`SYN`], [`ACK`]...
    #[inline]
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }

    #[inline]
    pub fn window(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::WINDOW])
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    #[inline]
    pub fn urgent_ptr(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::URGENT])
    }

    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Whether the checksum over pseudo header and the whole segment is right.
    #[inline]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        checksum::fold(segment_sum(self.buffer.as_ref(), src, dst)) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    #[inline]
    pub fn set_src_port(&mut self, port: u16) {
        write_u16(&mut self.buffer.as_mut()[field::SRC_PORT], port);
    }

    #[inline]
    pub fn set_dst_port(&mut self, port: u16) {
        write_u16(&mut self.buffer.as_mut()[field::DST_PORT], port);
    }

    #[inline]
    pub fn set_seq(&mut self, seq: u32) {
        write_u32(&mut self.buffer.as_mut()[field::SEQ], seq);
    }

    #[inline]
    pub fn set_ack(&mut self, ack: u32) {
        write_u32(&mut self.buffer.as_mut()[field::ACK], ack);
    }

    /// Sets the data offset from `header_len` in bytes (a multiple of 4, 20 to 60); the
    /// reserved bits are cleared. Re-run `check_len` before trusting the getters.
    #[inline]
    pub fn set_header_len(&mut self, header_len: usize) {
        self.buffer.as_mut()[field::DATA_OFFSET] = ((header_len / 4) as u8) << 4;
    }

    #[inline]
    pub fn set_flags(&mut self, flags: u8) {
        self.buffer.as_mut()[field::FLAGS] = flags;
    }

    #[inline]
    pub fn set_window(&mut self, window: u16) {
        write_u16(&mut self.buffer.as_mut()[field::WINDOW], window);
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], checksum);
    }

    #[inline]
    pub fn set_urgent_ptr(&mut self, urgent: u16) {
        write_u16(&mut self.buffer.as_mut()[field::URGENT], urgent);
    }

    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }

    /// Computes the checksum over pseudo header and the whole segment.
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let c = !checksum::fold(segment_sum(self.buffer.as_ref(), src, dst));
        self.set_checksum(c);
    }
}

#[inline]
fn segment_sum(segment: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> u32 {
    // The segment is an IPv4 payload, so its length fits the 16 bits of the pseudo header.
    let pseudo = checksum::pseudo_header_sum(src, dst, PROTO_TCP, segment.len() as u16);
    checksum::sum(segment, pseudo)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

    /// Captured SYN 192.0.2.1:48980 -> 192.0.2.2:8291 with MSS, SACK-permitted, timestamps
    /// and window scale. Sent with checksum offload: the field holds the pseudo header sum
    /// 0x8432; the right checksum is 0xdc5c.
    const SYN_SEGMENT: [u8; 40] = [
        0xbf, 0x54, 0x20, 0x63, 0x3c, 0xf1, 0xfe, 0xa8, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa,
        0xf0, 0x84, 0x32, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xe8, 0x0b,
        0xe9, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
    ];

    /// Captured RST+ACK refusing the SYN, with a correct checksum 0x107a.
    const RST_SEGMENT: [u8; 20] = [
        0x20, 0x63, 0xbf, 0x54, 0x00, 0x00, 0x00, 0x00, 0x3c, 0xf1, 0xfe, 0xa9, 0x50, 0x14, 0x00,
        0x00, 0x10, 0x7a, 0x00, 0x00,
    ];

    #[test]
    fn parse_syn() {
        let p = TcpPacket::new_checked(&SYN_SEGMENT[..]).unwrap();
        assert_eq!(p.src_port(), 48980);
        assert_eq!(p.dst_port(), 8291);
        assert_eq!(p.seq(), 1022492328);
        assert_eq!(p.ack(), 0);
        assert_eq!(p.header_len(), 40);
        assert_eq!(p.flags(), SYN);
        assert_eq!(p.window(), 64240);
        assert_eq!(p.checksum(), 0x8432);
        assert_eq!(p.urgent_ptr(), 0);
        assert_eq!(&p.options()[..4], &[0x02, 0x04, 0x05, 0xb4]); // MSS 1460
        assert!(p.payload().is_empty());
        assert!(!p.verify_checksum(CLIENT, SERVER));
    }

    #[test]
    fn fill_checksum_completes_offload() {
        let mut buf = SYN_SEGMENT;
        let mut p = TcpPacket::new_checked(&mut buf[..]).unwrap();
        p.fill_checksum(CLIENT, SERVER);
        assert_eq!(p.checksum(), 0xdc5c);
        assert!(p.verify_checksum(CLIENT, SERVER));
        assert!(!p.verify_checksum(SERVER, Ipv4Addr::new(192, 0, 2, 3)));
    }

    #[test]
    fn rst_round_trip() {
        let p = TcpPacket::new_checked(&RST_SEGMENT[..]).unwrap();
        assert_eq!(p.flags(), RST | ACK);
        assert_eq!(p.ack(), 1022492329);
        assert!(p.verify_checksum(SERVER, CLIENT));

        let mut buf = [0xffu8; 20];
        let mut q = TcpPacket::new_unchecked(&mut buf[..]);
        q.set_src_port(p.src_port());
        q.set_dst_port(p.dst_port());
        q.set_seq(p.seq());
        q.set_ack(p.ack());
        q.set_header_len(HEADER_LEN);
        q.set_flags(p.flags());
        q.set_window(p.window());
        q.set_urgent_ptr(0);
        q.fill_checksum(SERVER, CLIENT);
        assert_eq!(buf, RST_SEGMENT);
    }

    #[test]
    fn payload_after_options() {
        let mut buf = [0u8; 44];
        buf[..40].copy_from_slice(&SYN_SEGMENT);
        let mut p = TcpPacket::new_checked(&mut buf[..]).unwrap();
        p.payload_mut().copy_from_slice(b"wfwd");
        p.fill_checksum(CLIENT, SERVER);
        assert_eq!(p.payload(), b"wfwd");
        assert!(p.verify_checksum(CLIENT, SERVER));
    }

    #[test]
    fn truncated_and_malformed() {
        for n in 0..SYN_SEGMENT.len() {
            assert_eq!(
                TcpPacket::new_checked(&SYN_SEGMENT[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        for offset in 0..5u8 {
            let mut bad = RST_SEGMENT;
            bad[12] = offset << 4;
            assert_eq!(
                TcpPacket::new_checked(&bad[..]).unwrap_err(),
                Error::Malformed
            );
        }
    }
}
