//! IPv4 fragmentation (RFC 791 section 3.2, RFC 1812 section 5.2.6) of a packet the workers
//! routed, rewrote and found larger than the outgoing MTU with DF clear. The control core
//! does it: it is rare, and needs new buffers.
//!
//! A packet that is itself a fragment is cut further: its pieces keep its identification,
//! their offsets count from its own, and the last piece keeps its MF flag. Packets with IP
//! options are not fragmented (which options to copy into later pieces is not worth the
//! code for packets that hardly exist): the caller drops them as `too-big`.

use crate::packet::checksum;
use crate::packet::ether;
use crate::packet::ipv4::HEADER_LEN;

const MF: u16 = 0x2000;
const DF: u16 = 0x4000;
const OFFSET: u16 = 0x1fff;

/// How a frame is cut into frames that fit an MTU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pieces {
    /// The datagram's payload length.
    payload: usize,
    /// Payload bytes per piece (a multiple of 8), the last one excepted.
    step: usize,
    /// The datagram's own offset (in 8-byte units) and MF flag.
    offset8: u16,
    more: bool,
}

impl Pieces {
    /// The plan for `frame` (Ethernet + IPv4) on a link of `mtu`, or `None` when it cannot be
    /// fragmented: an invalid or optioned header, DF set, or an MTU below 68 (RFC 791's
    /// minimum).
    pub fn new(frame: &[u8], mtu: u16) -> Option<Pieces> {
        let l3 = frame.get(ether::HEADER_LEN..)?;
        if l3.len() < HEADER_LEN || l3[0] != 0x45 || mtu < 68 {
            return None;
        }
        let total = usize::from(u16::from_be_bytes([l3[2], l3[3]]));
        let flags = u16::from_be_bytes([l3[6], l3[7]]);
        if total < HEADER_LEN || total > l3.len() || flags & DF != 0 {
            return None;
        }
        Some(Pieces {
            payload: total - HEADER_LEN,
            step: (usize::from(mtu) - HEADER_LEN) & !7,
            offset8: flags & OFFSET,
            more: flags & MF != 0,
        })
    }

    pub fn count(&self) -> usize {
        self.payload.div_ceil(self.step).max(1)
    }

    fn range(&self, i: usize) -> (usize, usize) {
        let start = i * self.step;
        (start, (start + self.step).min(self.payload))
    }

    /// The length of piece `i`'s frame.
    pub fn frame_len(&self, i: usize) -> usize {
        let (a, b) = self.range(i);
        ether::HEADER_LEN + HEADER_LEN + (b - a)
    }

    /// Writes piece `i` of `frame` into `out` (at least [`Pieces::frame_len`] bytes): the
    /// Ethernet header as it is, the IPv4 header with its length, flags, offset and
    /// checksum for the piece, and its part of the payload.
    pub fn write(&self, frame: &[u8], i: usize, out: &mut [u8]) {
        let (a, b) = self.range(i);
        let hdr = ether::HEADER_LEN + HEADER_LEN;
        out[..hdr].copy_from_slice(&frame[..hdr]);
        out[hdr..hdr + (b - a)].copy_from_slice(&frame[hdr + a..hdr + b]);
        let ip = &mut out[ether::HEADER_LEN..hdr];
        ip[2..4].copy_from_slice(&((HEADER_LEN + b - a) as u16).to_be_bytes());
        let last = i + 1 == self.count();
        let more = if !last || self.more { MF } else { 0 };
        let flags = more | (self.offset8 + (a / 8) as u16);
        ip[6..8].copy_from_slice(&flags.to_be_bytes());
        ip[10..12].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame with an IPv4 datagram of `payload` bytes, flags `flags`.
    fn frame(payload: usize, flags: u16) -> Vec<u8> {
        let mut f = vec![0u8; ether::HEADER_LEN + HEADER_LEN + payload];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let ip = &mut f[ether::HEADER_LEN..];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&((HEADER_LEN + payload) as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&0xabcdu16.to_be_bytes());
        ip[6..8].copy_from_slice(&flags.to_be_bytes());
        ip[8] = 63;
        ip[9] = 17;
        for (i, b) in ip[HEADER_LEN..].iter_mut().enumerate() {
            *b = (i * 7) as u8;
        }
        f
    }

    fn pieces(f: &[u8], mtu: u16) -> Vec<Vec<u8>> {
        let p = Pieces::new(f, mtu).expect("fragmentable");
        (0..p.count())
            .map(|i| {
                let mut out = vec![0u8; p.frame_len(i)];
                p.write(f, i, &mut out);
                out
            })
            .collect()
    }

    fn flags(f: &[u8]) -> u16 {
        u16::from_be_bytes([f[20], f[21]])
    }

    #[test]
    fn pieces_fit_the_mtu_and_reassemble_to_the_datagram() {
        let f = frame(2972, 0);
        let out = pieces(&f, 1280);
        assert_eq!(out.len(), 3);
        let mut payload = Vec::new();
        for (i, p) in out.iter().enumerate() {
            let ip = &p[14..];
            assert!(ip.len() <= 1280, "piece {i}: {} bytes", ip.len());
            assert_eq!(
                checksum::checksum(&ip[..20]),
                0,
                "piece {i}: header checksum"
            );
            assert_eq!(&ip[4..6], &[0xab, 0xcd], "identification kept");
            assert_eq!((ip[8], ip[9]), (63, 17));
            assert_eq!(&p[..14], &f[..14], "Ethernet header kept");
            let off = usize::from(flags(p) & OFFSET) * 8;
            assert_eq!(off, payload.len(), "piece {i}: offset");
            assert_eq!(flags(p) & MF != 0, i < 2, "MF on all but the last");
            payload.extend_from_slice(&ip[20..]);
        }
        assert_eq!(payload, f[34..]);
    }

    #[test]
    fn a_fragment_is_cut_further_keeping_its_offset_and_mf() {
        let f = frame(1480, MF | 185); // a middle fragment at byte 1480
        let out = pieces(&f, 1000);
        assert_eq!(out.len(), 2);
        assert_eq!(flags(&out[0]), MF | 185);
        assert_eq!(
            flags(&out[1]),
            MF | (185 + 976 / 8),
            "MF stays on the last piece"
        );
        let f = frame(1480, 185); // the last fragment
        let out = pieces(&f, 1000);
        assert_eq!(flags(&out[1]) & MF, 0);
    }

    #[test]
    fn what_cannot_be_fragmented() {
        assert_eq!(Pieces::new(&frame(2000, DF), 1500), None, "DF");
        let mut opt = frame(2000, 0);
        opt[14] = 0x46;
        assert_eq!(Pieces::new(&opt, 1500), None, "options");
        assert_eq!(Pieces::new(&frame(2000, 0), 60), None, "MTU below 68");
        let mut short = frame(2000, 0);
        short.truncate(100);
        assert_eq!(Pieces::new(&short, 1500), None, "truncated");
        assert_eq!(Pieces::new(&[0u8; 10], 1500), None);
    }
}
