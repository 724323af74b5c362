//! IPv4 headers (RFC 791), with the TTL decrement a router does on every packet (RFC 1812
//! 5.3.1) updating the checksum incrementally (RFC 1624).

use std::net::Ipv4Addr;

use super::checksum;
use super::{read_ipv4, read_u16, read_u32, write_u16, Error, Result};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// The DSCP/ECN byte of precedence 6, Internetwork Control (DSCP CS6, ECN 0): what RFC 1812
/// 4.3.2.5 says ICMP errors other than Source Quench should carry, and what Linux sends.
pub const DSCP_ECN_INTERNETWORK_CONTROL: u8 = 0xc0;

mod field {
    use crate::packet::Field;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    /// TTL and protocol as the one 16-bit word the checksum sees.
    pub const TTL_PROTOCOL: Field = 8..10;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC: Field = 12..16;
    pub const DST: Field = 16..20;
}

/// A header without options.
pub const HEADER_LEN: usize = field::DST.end;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv4Packet { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the header, options and the `total_len` bytes of the datagram are in the
    /// buffer. The buffer may be longer: Ethernet pads short frames to 60 bytes (RFC 894).
    /// The checksum is not verified here; see [`Self::verify_checksum`].
    #[inline]
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if self.version() != 4 || self.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if self.header_len() > len {
            return Err(Error::Truncated);
        }
        let total_len = usize::from(self.total_len());
        if total_len < self.header_len() {
            return Err(Error::Malformed);
        }
        if total_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// IHL in bytes, options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The former TOS byte: DSCP in the upper six bits, ECN in the lower two (RFC 2474, 3168).
    #[inline]
    pub fn dscp_ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN]
    }

    /// Header plus payload, in bytes.
    #[inline]
    pub fn total_len(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    #[inline]
    pub fn ident(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::IDENT])
    }

    #[inline]
    pub fn dont_frag(&self) -> bool {
        read_u16(&self.buffer.as_ref()[field::FLG_OFF]) & FLAG_DF != 0
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        read_u16(&self.buffer.as_ref()[field::FLG_OFF]) & FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field counts 8-byte units).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (read_u16(&self.buffer.as_ref()[field::FLG_OFF]) & OFFSET_MASK) << 3
    }

    /// Whether this is a fragment rather than a whole datagram: the first fragment has MF set,
    /// the others a non-zero offset.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        read_u16(&self.buffer.as_ref()[field::FLG_OFF]) & (FLAG_MF | OFFSET_MASK) != 0
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    #[inline]
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    #[inline]
    pub fn src(&self) -> Ipv4Addr {
        read_ipv4(&self.buffer.as_ref()[field::SRC])
    }

    #[inline]
    pub fn dst(&self) -> Ipv4Addr {
        read_ipv4(&self.buffer.as_ref()[field::DST])
    }

    /// The source address as a host-order integer, the form route lookups take.
    #[inline]
    pub fn src_u32(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::SRC])
    }

    #[inline]
    pub fn dst_u32(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::DST])
    }

    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }

    /// The bytes from the end of the header to `total_len`; link-layer padding is left out.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }

    /// Whether the header checksum is right (RFC 1812 5.2.2 requires routers to check it).
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        let buf = self.buffer.as_ref();
        match buf.first_chunk::<HEADER_LEN>() {
            Some(h) if self.header_len() == HEADER_LEN => checksum::header20_ok(h),
            _ => checksum::checksum(&buf[..self.header_len()]) == 0,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets version 4 and IHL from `header_len` in bytes (a multiple of 4, 20 to 60).
    /// Re-run `check_len` before trusting the getters.
    #[inline]
    pub fn set_header_len(&mut self, header_len: usize) {
        self.buffer.as_mut()[field::VER_IHL] = 0x40 | ((header_len / 4) as u8 & 0x0f);
    }

    #[inline]
    pub fn set_dscp_ecn(&mut self, value: u8) {
        self.buffer.as_mut()[field::DSCP_ECN] = value;
    }

    /// Re-run `check_len` before trusting `payload()`.
    #[inline]
    pub fn set_total_len(&mut self, len: u16) {
        write_u16(&mut self.buffer.as_mut()[field::LENGTH], len);
    }

    #[inline]
    pub fn set_ident(&mut self, ident: u16) {
        write_u16(&mut self.buffer.as_mut()[field::IDENT], ident);
    }

    /// Writes the flags and fragment offset word: DF, MF and an offset in bytes (a multiple of
    /// 8; the low three bits are dropped).
    #[inline]
    pub fn set_flags_frag_offset(&mut self, dont_frag: bool, more_frags: bool, offset: u16) {
        let mut word = (offset >> 3) & OFFSET_MASK;
        if dont_frag {
            word |= FLAG_DF;
        }
        if more_frags {
            word |= FLAG_MF;
        }
        write_u16(&mut self.buffer.as_mut()[field::FLG_OFF], word);
    }

    #[inline]
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
    }

    #[inline]
    pub fn set_protocol(&mut self, protocol: u8) {
        self.buffer.as_mut()[field::PROTOCOL] = protocol;
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], checksum);
    }

    #[inline]
    pub fn set_src(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&addr.octets());
    }

    #[inline]
    pub fn set_dst(&mut self, addr: Ipv4Addr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&addr.octets());
    }

    /// Recomputes the header checksum, options included.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(&self.buffer.as_ref()[..self.header_len()]);
        self.set_checksum(c);
    }

    /// Decrements the TTL and patches the checksum for the changed TTL/protocol word
    /// (RFC 1624 eqn. 3; RFC 1812 5.3.1). A TTL of 0 is left alone: the caller drops packets
    /// whose TTL would reach 0 and answers them with Time Exceeded instead.
    #[inline]
    pub fn decrement_ttl(&mut self) {
        let buf = self.buffer.as_mut();
        let old = read_u16(&buf[field::TTL_PROTOCOL]);
        if old < 0x0100 {
            return;
        }
        let new = old - 0x0100;
        write_u16(&mut buf[field::TTL_PROTOCOL], new);
        let c = checksum::update16(read_u16(&buf[field::CHECKSUM]), old, new);
        write_u16(&mut buf[field::CHECKSUM], c);
    }

    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.header_len()..usize::from(self.total_len());
        &mut self.buffer.as_mut()[range]
    }
}

/// An options-less, unfragmented IPv4 header, for packets the router originates (ICMP errors,
/// echo replies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    /// At most 65535 - 20.
    pub payload_len: u16,
    pub ident: u16,
    pub dont_frag: bool,
}

impl Ipv4Repr {
    /// Writes the 20-byte header with its checksum; `packet` must hold at least
    /// [`HEADER_LEN`] bytes. DSCP/ECN are 0: for an ICMP error, RFC 1812 4.3.2.5 asks for
    /// precedence 6, so follow with `set_dscp_ecn(DSCP_ECN_INTERNETWORK_CONTROL)` and
    /// `fill_checksum()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv4Packet<T>) {
        packet.set_header_len(HEADER_LEN);
        packet.set_dscp_ecn(0);
        packet.set_total_len(self.payload_len.wrapping_add(HEADER_LEN as u16));
        packet.set_ident(self.ident);
        packet.set_flags_frag_offset(self.dont_frag, false, 0);
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src(self.src);
        packet.set_dst(self.dst);
        packet.fill_checksum();
    }

    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured ping request 192.0.2.1 -> 192.0.2.2 (`ping -s 24 -p 5746`), IP layer on.
    const PING: [u8; 52] = [
        0x45, 0x00, 0x00, 0x34, 0x68, 0xe2, 0x40, 0x00, 0x40, 0x01, 0x4d, 0xe3, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0x46, 0xb1, 0x1c, 0x3b, 0x00, 0x01, 0x5b, 0x19,
        0x07, 0x6b, 0x00, 0x00, 0x00, 0x00, 0xd5, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x57,
        0x46, 0x57, 0x46, 0x57, 0x46, 0x57, 0x46,
    ];

    /// Captured UDP datagram 192.0.2.1:59218 -> 192.0.2.2:53 carrying "wanfwd": 34 bytes,
    /// under Ethernet's 46-byte minimum payload, so a NIC hands over 12 bytes of padding.
    const UDP_PADDED: [u8; 46] = [
        0x45, 0x00, 0x00, 0x22, 0x71, 0xbb, 0x40, 0x00, 0x40, 0x11, 0x45, 0x0c, 0xc0, 0x00, 0x02,
        0x01, 0xc0, 0x00, 0x02, 0x02, 0xe7, 0x52, 0x00, 0x35, 0x00, 0x0e, 0x84, 0x23, 0x77, 0x61,
        0x6e, 0x66, 0x77, 0x64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn parse_ping() {
        let p = Ipv4Packet::new_checked(&PING[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.dscp_ecn(), 0);
        assert_eq!(p.total_len(), 52);
        assert_eq!(p.ident(), 0x68e2);
        assert!(p.dont_frag());
        assert!(!p.more_frags());
        assert_eq!(p.frag_offset(), 0);
        assert!(!p.is_fragment());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), PROTO_ICMP);
        assert_eq!(p.checksum(), 0x4de3);
        assert!(p.verify_checksum());
        assert_eq!(p.src(), Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(p.dst(), Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(p.src_u32(), 0xc000_0201);
        assert_eq!(p.dst_u32(), 0xc000_0202);
        assert!(p.options().is_empty());
        assert_eq!(p.payload(), &PING[20..]);
    }

    #[test]
    fn padding_is_not_payload() {
        let p = Ipv4Packet::new_checked(&UDP_PADDED[..]).unwrap();
        assert_eq!(p.protocol(), PROTO_UDP);
        assert_eq!(p.payload().len(), 14);
        assert!(p.verify_checksum());
    }

    #[test]
    fn decrement_ttl_matches_recompute() {
        let mut buf = PING;
        let mut p = Ipv4Packet::new_checked(&mut buf[..]).unwrap();
        for ttl in (0..64).rev() {
            p.decrement_ttl();
            assert_eq!(p.ttl(), ttl);
            assert!(p.verify_checksum());
            let incremental = p.checksum();
            p.fill_checksum();
            assert_eq!(p.checksum(), incremental);
        }
        p.decrement_ttl();
        assert_eq!(p.ttl(), 0);
        assert!(p.verify_checksum());
    }

    #[test]
    fn repr_emit_round_trip() {
        // The captured echo reply that answered PING: its header is exactly what a Repr emits.
        let reply_header = [
            0x45, 0x00, 0x00, 0x34, 0x12, 0x57, 0x00, 0x00, 0x40, 0x01, 0xe4, 0x6e, 0xc0, 0x00,
            0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,
        ];
        let repr = Ipv4Repr {
            src: Ipv4Addr::new(192, 0, 2, 2),
            dst: Ipv4Addr::new(192, 0, 2, 1),
            protocol: PROTO_ICMP,
            ttl: 64,
            payload_len: 32,
            ident: 0x1257,
            dont_frag: false,
        };
        assert_eq!(repr.buffer_len(), 52);
        let mut buf = [0xffu8; 52];
        repr.emit(&mut Ipv4Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf[..20], reply_header);

        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        let parsed = Ipv4Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            payload_len: p.total_len() - p.header_len() as u16,
            ident: p.ident(),
            dont_frag: p.dont_frag(),
        };
        assert_eq!(parsed, repr);
    }

    #[test]
    fn setters_round_trip() {
        let mut buf = [0u8; 24];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_header_len(24);
        p.set_total_len(24);
        p.set_flags_frag_offset(false, true, 1480);
        p.set_dscp_ecn(0xb8);
        p.set_ttl(1);
        p.set_protocol(PROTO_TCP);
        p.set_src(Ipv4Addr::new(198, 51, 100, 1));
        p.set_dst(Ipv4Addr::new(203, 0, 113, 9));
        p.fill_checksum();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.options().len(), 4);
        assert!(p.payload().is_empty());
        assert!(p.more_frags() && !p.dont_frag() && p.is_fragment());
        assert_eq!(p.frag_offset(), 1480);
        assert_eq!(p.dscp_ecn(), 0xb8);
        assert_eq!(p.protocol(), PROTO_TCP);
        assert!(p.verify_checksum());
    }

    #[test]
    fn fragment_without_mf() {
        // The last fragment: MF clear, offset set.
        let mut buf = PING;
        Ipv4Packet::new_unchecked(&mut buf[..]).set_flags_frag_offset(false, false, 8);
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(p.is_fragment());
        assert!(!p.verify_checksum());
    }

    #[test]
    fn every_prefix_is_truncated() {
        for n in 0..PING.len() {
            assert_eq!(
                Ipv4Packet::new_checked(&PING[..n]).unwrap_err(),
                Error::Truncated,
                "prefix of {n} bytes"
            );
        }
    }

    #[test]
    fn malformed() {
        let cases: [(usize, u8, Error); 6] = [
            (0, 0x65, Error::Malformed), // version 6
            (0, 0x44, Error::Malformed), // IHL 4
            (0, 0x40, Error::Malformed), // IHL 0
            (0, 0x4f, Error::Truncated), // 60-byte header in 52 bytes
            (3, 0x13, Error::Malformed), // total_len 19 < 20
            (3, 0x35, Error::Truncated), // total_len 53 > 52
        ];
        for (at, value, err) in cases {
            let mut bad = PING;
            bad[at] = value;
            assert_eq!(Ipv4Packet::new_checked(&bad[..]).unwrap_err(), err);
        }
        let mut bad = PING;
        bad[0] = 0x46; // 24-byte header
        bad[3] = 22; // total_len < header_len
        assert_eq!(
            Ipv4Packet::new_checked(&bad[..]).unwrap_err(),
            Error::Malformed
        );
    }

    proptest::proptest! {
        #[test]
        fn decrement_ttl_is_recompute(mut header: [u8; 20], ttl in 1u8..=255) {
            header[0] = 0x45;
            header[2..4].copy_from_slice(&20u16.to_be_bytes());
            header[8] = ttl;
            let mut p = Ipv4Packet::new_checked(&mut header[..]).unwrap();
            p.fill_checksum();
            p.decrement_ttl();
            let incremental = p.checksum();
            p.fill_checksum();
            proptest::prop_assert_eq!(incremental, p.checksum());
            proptest::prop_assert_eq!(p.ttl(), ttl - 1);
        }
    }

    #[test]
    fn bad_checksum_detected() {
        let mut bad = PING;
        bad[15] ^= 1;
        assert!(!Ipv4Packet::new_checked(&bad[..]).unwrap().verify_checksum());
    }
}
