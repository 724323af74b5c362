//! IPv4 fragmentation (RFC 791 section 3.2, RFC 1812 section 5.2.6) of a packet the workers
//! routed, rewrote and found larger than the outgoing MTU with DF clear. The control core
//! does it: it is rare, and needs new buffers.
//!
//! A packet that is itself a fragment is cut further: its pieces keep its identification,
//! their offsets count from its own, and the last piece keeps its MF flag. A header with
//! options goes whole into the first piece; the later pieces carry only the options whose
//! copied flag is set (RFC 791: security, source routes), padded with end-of-list to a
//! multiple of four bytes, so their header may be shorter than the first's.

use crate::packet::checksum;
use crate::packet::ether;
use crate::packet::ipv4::HEADER_LEN;

const MF: u16 = 0x2000;
const DF: u16 = 0x4000;
const OFFSET: u16 = 0x1fff;
/// The most option bytes a header holds (IHL 15).
const MAX_OPTIONS: usize = 40;
/// Option types: end of list, no operation, and the flag of those copied into every piece.
const OPT_EOL: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_COPIED: u8 = 0x80;

/// How a frame is cut into frames that fit an MTU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pieces {
    /// The datagram's header length (the first piece's) and payload length.
    header: usize,
    payload: usize,
    /// Payload bytes in the first piece and in each later one but the last (multiples of 8).
    first: usize,
    step: usize,
    /// The datagram's own offset (in 8-byte units) and MF flag.
    offset8: u16,
    more: bool,
    /// The options of the later pieces (the copied ones, padded), and their length.
    later: [u8; MAX_OPTIONS],
    later_len: usize,
}

impl Pieces {
    /// The plan for `frame` (Ethernet + IPv4) on a link of `mtu`, or `None` when it cannot be
    /// fragmented: an invalid header or options, DF set, or an MTU below 68 (RFC 791's
    /// minimum).
    pub fn new(frame: &[u8], mtu: u16) -> Option<Pieces> {
        let l3 = frame.get(ether::HEADER_LEN..)?;
        if l3.len() < HEADER_LEN || l3[0] >> 4 != 4 || mtu < 68 {
            return None;
        }
        let header = usize::from(l3[0] & 0xf) * 4;
        let total = usize::from(u16::from_be_bytes([l3[2], l3[3]]));
        let flags = u16::from_be_bytes([l3[6], l3[7]]);
        if header < HEADER_LEN || total < header || total > l3.len() || flags & DF != 0 {
            return None;
        }
        let (later, later_len) = copied_options(&l3[HEADER_LEN..header])?;
        let room = |hdr: usize| (usize::from(mtu) - hdr) & !7;
        Some(Pieces {
            header,
            payload: total - header,
            first: room(header),
            step: room(HEADER_LEN + later_len),
            offset8: flags & OFFSET,
            more: flags & MF != 0,
            later,
            later_len,
        })
    }

    pub fn count(&self) -> usize {
        if self.payload <= self.first {
            1
        } else {
            1 + (self.payload - self.first).div_ceil(self.step)
        }
    }

    /// Piece `i`'s part of the payload, and its header length.
    fn range(&self, i: usize) -> (usize, usize, usize) {
        if i == 0 {
            return (0, self.first.min(self.payload), self.header);
        }
        let start = self.first + (i - 1) * self.step;
        let end = (start + self.step).min(self.payload);
        (start, end, HEADER_LEN + self.later_len)
    }

    /// The length of piece `i`'s frame.
    pub fn frame_len(&self, i: usize) -> usize {
        let (a, b, hdr) = self.range(i);
        ether::HEADER_LEN + hdr + (b - a)
    }

    /// Writes piece `i` of `frame` into `out` (at least [`Pieces::frame_len`] bytes): the
    /// Ethernet header as it is, the IPv4 header (the later pieces' with only the copied
    /// options) with its length, flags, offset and checksum for the piece, and its part of
    /// the payload.
    pub fn write(&self, frame: &[u8], i: usize, out: &mut [u8]) {
        let (a, b, hdr) = self.range(i);
        let fixed = ether::HEADER_LEN + HEADER_LEN;
        out[..fixed].copy_from_slice(&frame[..fixed]);
        let opts = if i == 0 {
            &frame[fixed..ether::HEADER_LEN + self.header]
        } else {
            &self.later[..self.later_len]
        };
        out[fixed..fixed + opts.len()].copy_from_slice(opts);
        let data = ether::HEADER_LEN + self.header;
        let start = ether::HEADER_LEN + hdr;
        out[start..start + (b - a)].copy_from_slice(&frame[data + a..data + b]);
        let ip = &mut out[ether::HEADER_LEN..start];
        ip[0] = 0x40 | (hdr / 4) as u8;
        ip[2..4].copy_from_slice(&((hdr + b - a) as u16).to_be_bytes());
        let last = i + 1 == self.count();
        let more = if !last || self.more { MF } else { 0 };
        let flags = more | (self.offset8 + (a / 8) as u16);
        ip[6..8].copy_from_slice(&flags.to_be_bytes());
        ip[10..12].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

/// The options with the copied flag of `opts` (a header's option bytes), padded with
/// end-of-list to a multiple of four, and their padded length; `None` when an option's
/// length does not hold.
fn copied_options(opts: &[u8]) -> Option<([u8; MAX_OPTIONS], usize)> {
    let mut out = [OPT_EOL; MAX_OPTIONS];
    let (mut at, mut len) = (0, 0);
    while let Some(&kind) = opts.get(at) {
        match kind {
            OPT_EOL => break,
            OPT_NOP => at += 1,
            _ => {
                let n = usize::from(*opts.get(at + 1)?);
                let opt = opts.get(at..at + n).filter(|_| n >= 2)?;
                if kind & OPT_COPIED != 0 {
                    out[len..len + n].copy_from_slice(opt);
                    len += n;
                }
                at += n;
            }
        }
    }
    Some((out, len.next_multiple_of(4)))
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

    /// `frame` with `opts` (a multiple of 4 bytes) inserted as the header's options.
    fn with_options(f: &[u8], opts: &[u8]) -> Vec<u8> {
        let mut out = f[..34].to_vec();
        out.extend_from_slice(opts);
        out.extend_from_slice(&f[34..]);
        let ip = &mut out[14..];
        ip[0] = 0x40 | ((20 + opts.len()) / 4) as u8;
        let total = u16::from_be_bytes([ip[2], ip[3]]) + opts.len() as u16;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        out
    }

    /// RFC 791: the first piece has every option, the later ones only those with the copied
    /// flag (here a loose source route, 0x83, and not record route, 0x07, nor the NOPs),
    /// padded to a multiple of 4; every piece fits and has a right checksum; the payload is
    /// whole again.
    #[test]
    fn options_go_whole_into_the_first_piece_and_copied_into_the_others() {
        let lsrr = [0x83, 7, 4, 192, 0, 2, 1];
        let rr = [0x07, 7, 4, 0, 0, 0, 0];
        let mut opts = vec![OPT_NOP];
        opts.extend_from_slice(&rr);
        opts.extend_from_slice(&lsrr);
        opts.push(OPT_NOP); // 16 bytes: IHL 9
        let f = with_options(&frame(3000, 0), &opts);
        let out = pieces(&f, 1500);
        assert_eq!(out.len(), 3);
        let mut payload = Vec::new();
        for (i, p) in out.iter().enumerate() {
            let ip = &p[14..];
            let hdr = usize::from(ip[0] & 0xf) * 4;
            assert_eq!(ip[0] >> 4, 4);
            assert!(ip.len() <= 1500, "piece {i}: {} bytes", ip.len());
            assert_eq!(usize::from(u16::from_be_bytes([ip[2], ip[3]])), ip.len());
            assert_eq!(checksum::checksum(&ip[..hdr]), 0, "piece {i}: checksum");
            if i == 0 {
                assert_eq!(&ip[20..hdr], &opts[..], "first piece: all options");
            } else {
                assert_eq!(hdr, 28, "piece {i}: the source route, padded");
                assert_eq!(&ip[20..27], &lsrr);
                assert_eq!(ip[27], OPT_EOL);
            }
            let off = usize::from(flags(p) & OFFSET) * 8;
            assert_eq!(off, payload.len(), "piece {i}: offset");
            assert_eq!(flags(p) & MF != 0, i < 2);
            payload.extend_from_slice(&ip[hdr..]);
        }
        assert_eq!(payload, f[14 + 36..]);
        // No option copied: the later pieces have a plain 20-byte header.
        let f = with_options(&frame(3000, 0), &[0x07, 3, 4, OPT_EOL]);
        let out = pieces(&f, 1500);
        assert_eq!(out[0][14], 0x46);
        assert!(out[1..].iter().all(|p| p[14] == 0x45));
        let total: usize = out
            .iter()
            .map(|p| p.len() - 14 - usize::from(p[14] & 0xf) * 4)
            .sum();
        assert_eq!(total, 3000);
    }

    #[test]
    fn what_cannot_be_fragmented() {
        assert_eq!(Pieces::new(&frame(2000, DF), 1500), None, "DF");
        for bad in [[0x83, 9, 4, 0], [0x83, 1, 0, 0], [0x07, 0, 0, 0]] {
            let opt = with_options(&frame(2000, 0), &bad);
            assert_eq!(Pieces::new(&opt, 1500), None, "option length {bad:?}");
        }
        let mut ihl = frame(2000, 0);
        ihl[14] = 0x44;
        assert_eq!(Pieces::new(&ihl, 1500), None, "IHL below 5");
        assert_eq!(Pieces::new(&frame(2000, 0), 60), None, "MTU below 68");
        let mut short = frame(2000, 0);
        short.truncate(100);
        assert_eq!(Pieces::new(&short, 1500), None, "truncated");
        assert_eq!(Pieces::new(&[0u8; 10], 1500), None);
    }
}
