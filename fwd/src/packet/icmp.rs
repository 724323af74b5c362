//! ICMP messages (RFC 792): echo for ping, and the errors a router sends (RFC 1812 4.3).

use super::checksum;
use super::{read_u16, read_u32, write_u16, write_u32, Error, Result};

pub const TYPE_ECHO_REPLY: u8 = 0;
pub const TYPE_DEST_UNREACHABLE: u8 = 3;
pub const TYPE_ECHO_REQUEST: u8 = 8;
pub const TYPE_TIME_EXCEEDED: u8 = 11;

/// Time Exceeded code for a TTL that reached zero in transit.
pub const CODE_TTL_EXCEEDED: u8 = 0;

// Destination Unreachable codes (RFC 792; RFC 1812 5.2.7.1 says which a router sends).
pub const CODE_NET_UNREACHABLE: u8 = 0;
pub const CODE_HOST_UNREACHABLE: u8 = 1;
pub const CODE_PROTOCOL_UNREACHABLE: u8 = 2;
pub const CODE_PORT_UNREACHABLE: u8 = 3;
/// DF set and the datagram exceeds the next hop's MTU; the MTU goes in the low 16 bits of the
/// rest of header (RFC 1191 section 4).
pub const CODE_FRAG_NEEDED: u8 = 4;

mod field {
    use crate::packet::Field;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const REST: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
}

pub const HEADER_LEN: usize = field::REST.end;

/// A view of one ICMP message; the buffer is the whole message (the IPv4 payload), since the
/// checksum covers all of it.
#[derive(Debug, Clone)]
pub struct IcmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IcmpPacket<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        IcmpPacket { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    #[inline]
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    #[inline]
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// Identifier of an echo request or reply.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// Sequence number of an echo request or reply.
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// Bytes 4..8, whose meaning depends on the type (unused, pointer, next-hop MTU, echo
    /// identifier and sequence number).
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        read_u32(&self.buffer.as_ref()[field::REST])
    }

    /// Echo data, or the quoted datagram of an error.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }

    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::checksum(self.buffer.as_ref()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IcmpPacket<T> {
    #[inline]
    pub fn set_msg_type(&mut self, msg_type: u8) {
        self.buffer.as_mut()[field::TYPE] = msg_type;
    }

    #[inline]
    pub fn set_code(&mut self, code: u8) {
        self.buffer.as_mut()[field::CODE] = code;
    }

    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], checksum);
    }

    #[inline]
    pub fn set_echo_ident(&mut self, ident: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_IDENT], ident);
    }

    #[inline]
    pub fn set_echo_seq_no(&mut self, seq_no: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ECHO_SEQNO], seq_no);
    }

    #[inline]
    pub fn set_rest_of_header(&mut self, rest: u32) {
        write_u32(&mut self.buffer.as_mut()[field::REST], rest);
    }

    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }

    /// Computes the checksum over the whole buffer, which must be exactly the message.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.buffer.as_ref());
        self.set_checksum(c);
    }
}

/// Writes an ICMP error message, its 8-byte header followed by `quoted` (the start of the
/// offending datagram, IP header first), into `buf`, and returns its length. `quoted` is cut
/// to what fits: passing a `buf` of 576 - 20 bytes keeps the whole error datagram within
/// RFC 1812 4.3.2.3's 576 bytes. Returns 0 if `buf` cannot hold even the header.
pub fn emit_error(buf: &mut [u8], msg_type: u8, code: u8, rest: u32, quoted: &[u8]) -> usize {
    let Some(room) = buf.len().checked_sub(HEADER_LEN) else {
        return 0;
    };
    let len = HEADER_LEN + quoted.len().min(room);
    let mut packet = IcmpPacket::new_unchecked(&mut buf[..len]);
    packet.set_msg_type(msg_type);
    packet.set_code(code);
    packet.set_rest_of_header(rest);
    packet
        .data_mut()
        .copy_from_slice(&quoted[..len - HEADER_LEN]);
    packet.fill_checksum();
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured echo request, id 0x1c3b seq 1, 24 bytes of data (`ping -s 24 -p 5746`).
    const ECHO_REQUEST: [u8; 32] = [
        0x08, 0x00, 0x46, 0xb1, 0x1c, 0x3b, 0x00, 0x01, 0x5b, 0x19, 0x07, 0x6b, 0x00, 0x00, 0x00,
        0x00, 0xd5, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x57, 0x46, 0x57, 0x46, 0x57, 0x46,
        0x57, 0x46,
    ];

    /// Linux's port unreachable for a UDP datagram to 192.0.2.2:53, quoting all 34 bytes.
    const PORT_UNREACHABLE: [u8; 42] = [
        0x03, 0x03, 0x34, 0x17, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x22, 0x71, 0xbb, 0x40,
        0x00, 0x40, 0x11, 0x45, 0x0c, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0xe7, 0x52,
        0x00, 0x35, 0x00, 0x0e, 0x84, 0x23, 0x77, 0x61, 0x6e, 0x66, 0x77, 0x64,
    ];

    #[test]
    fn parse_echo_request() {
        let p = IcmpPacket::new_checked(&ECHO_REQUEST[..]).unwrap();
        assert_eq!(p.msg_type(), TYPE_ECHO_REQUEST);
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0x46b1);
        assert_eq!(p.echo_ident(), 0x1c3b);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.rest_of_header(), 0x1c3b_0001);
        assert_eq!(p.data(), &ECHO_REQUEST[8..]);
        assert!(p.verify_checksum());
    }

    #[test]
    fn echo_reply_in_place() {
        // Answering a ping turns the request into the reply in place; Linux's reply was
        // identical but for type and checksum (0x4eb1).
        let mut buf = ECHO_REQUEST;
        let mut p = IcmpPacket::new_checked(&mut buf[..]).unwrap();
        p.set_msg_type(TYPE_ECHO_REPLY);
        let c = checksum::update16(p.checksum(), u16::from(TYPE_ECHO_REQUEST) << 8, 0);
        p.set_checksum(c);
        assert_eq!(p.checksum(), 0x4eb1);
        p.fill_checksum();
        assert_eq!(p.checksum(), 0x4eb1);
        assert!(p.verify_checksum());
    }

    #[test]
    fn setters_round_trip() {
        let mut buf = [0u8; 12];
        let mut p = IcmpPacket::new_unchecked(&mut buf[..]);
        p.set_msg_type(TYPE_ECHO_REQUEST);
        p.set_code(0);
        p.set_echo_ident(0xbeef);
        p.set_echo_seq_no(7);
        p.data_mut().copy_from_slice(b"wfwd");
        p.fill_checksum();
        let p = IcmpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (0xbeef, 7));
        assert_eq!(p.data(), b"wfwd");
        assert!(p.verify_checksum());
    }

    #[test]
    fn emit_error_matches_linux() {
        let mut buf = [0u8; 576 - 20];
        let len = emit_error(
            &mut buf,
            TYPE_DEST_UNREACHABLE,
            CODE_PORT_UNREACHABLE,
            0,
            &PORT_UNREACHABLE[8..],
        );
        assert_eq!(&buf[..len], &PORT_UNREACHABLE[..]);
        let p = IcmpPacket::new_checked(&buf[..len]).unwrap();
        assert!(p.verify_checksum());
    }

    #[test]
    fn emit_error_cuts_quote_to_fit() {
        let quoted = [0xabu8; 1500];
        let mut buf = [0u8; 576 - 20];
        let len = emit_error(
            &mut buf,
            TYPE_DEST_UNREACHABLE,
            CODE_FRAG_NEEDED,
            1400,
            &quoted,
        );
        assert_eq!(len, 556);
        let p = IcmpPacket::new_checked(&buf[..len]).unwrap();
        assert_eq!(p.rest_of_header(), 1400);
        assert!(p.verify_checksum());
        // An odd cut: the checksum pads the last byte.
        let len = emit_error(
            &mut buf[..17],
            TYPE_TIME_EXCEEDED,
            CODE_TTL_EXCEEDED,
            0,
            &quoted,
        );
        assert_eq!(len, 17);
        assert!(IcmpPacket::new_checked(&buf[..17])
            .unwrap()
            .verify_checksum());
        assert_eq!(emit_error(&mut buf[..7], 3, 0, 0, &quoted), 0);
    }

    #[test]
    fn truncated() {
        for n in 0..HEADER_LEN {
            assert_eq!(
                IcmpPacket::new_checked(&ECHO_REQUEST[..n]).unwrap_err(),
                Error::Truncated
            );
        }
    }
}
