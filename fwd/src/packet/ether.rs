//! Ethernet II frames (IEEE 802.3 with an EtherType, RFC 894).

use super::{read_mac, read_u16, write_u16, Error, Result};
use crate::net::MacAddr;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// IEEE 802.1Q tag; the real EtherType follows the 4-byte tag.
pub const ETHERTYPE_VLAN: u16 = 0x8100;

mod field {
    use crate::packet::Field;
    pub const DST: Field = 0..6;
    pub const SRC: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
}

pub const HEADER_LEN: usize = field::ETHERTYPE.end;

/// A view of an Ethernet frame without its FCS, as a NIC hands it over.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps `buffer` without checking it; getters may panic until `check_len` passed.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
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
    pub fn dst(&self) -> MacAddr {
        read_mac(&self.buffer.as_ref()[field::DST])
    }

    #[inline]
    pub fn src(&self) -> MacAddr {
        read_mac(&self.buffer.as_ref()[field::SRC])
    }

    #[inline]
    pub fn ethertype(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::ETHERTYPE])
    }

    /// Everything after the header, including any padding up to the 60-byte minimum frame.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    #[inline]
    pub fn set_dst(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&mac.0);
    }

    #[inline]
    pub fn set_src(&mut self, mac: MacAddr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&mac.0);
    }

    #[inline]
    pub fn set_ethertype(&mut self, ethertype: u16) {
        write_u16(&mut self.buffer.as_mut()[field::ETHERTYPE], ethertype);
    }

    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a captured ping request, 192.0.2.1 -> 192.0.2.2.
    const FRAME: [u8; 16] = [
        0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3, 0xee, 0x61, 0x91, 0x03, 0x55, 0x69, 0x08, 0x00, 0x45,
        0x00,
    ];

    #[test]
    fn parse() {
        let f = EthernetFrame::new_checked(&FRAME[..]).unwrap();
        assert_eq!(f.dst(), MacAddr([0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3]));
        assert_eq!(f.src(), MacAddr([0xee, 0x61, 0x91, 0x03, 0x55, 0x69]));
        assert_eq!(f.ethertype(), ETHERTYPE_IPV4);
        assert_eq!(f.payload(), &[0x45, 0x00]);
    }

    #[test]
    fn emit_round_trip() {
        let mut buf = [0u8; 16];
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        f.set_dst(MacAddr([0x96, 0xae, 0xff, 0xe6, 0x65, 0xc3]));
        f.set_src(MacAddr([0xee, 0x61, 0x91, 0x03, 0x55, 0x69]));
        f.set_ethertype(ETHERTYPE_IPV4);
        f.payload_mut().copy_from_slice(&[0x45, 0x00]);
        assert_eq!(buf, FRAME);
    }

    #[test]
    fn truncated() {
        for n in 0..HEADER_LEN {
            assert_eq!(
                EthernetFrame::new_checked(&FRAME[..n]).unwrap_err(),
                Error::Truncated
            );
        }
        assert!(EthernetFrame::new_checked(&FRAME[..HEADER_LEN])
            .unwrap()
            .payload()
            .is_empty());
    }
}
