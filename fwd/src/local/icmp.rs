//! ICMP the router originates (RFC 792, RFC 1812 4.3).

use crate::net::MacAddr;
use crate::packet::checksum;
use crate::packet::ether::{self, EthernetFrame};
use crate::packet::icmp::{self, IcmpPacket};
use crate::packet::ipv4::{self, Ipv4Packet, Ipv4Repr};
use std::net::Ipv4Addr;

/// TTL of packets the router originates.
pub const TTL: u8 = 64;
/// RFC 1812 4.3.2.3: an ICMP error datagram is at most 576 bytes.
pub const MAX_ERROR_DATAGRAM: usize = 576;

/// Turns an echo request addressed to the router into its reply, in place: addresses
/// swapped, type 0, checksums updated. Returns the frame's new length (Ethernet padding is
/// cut off), or None if it is not a well-formed echo request.
pub fn echo_reply_in_place(frame: &mut [u8]) -> Option<usize> {
    let l3 = frame.get_mut(ether::HEADER_LEN..)?;
    let ip = Ipv4Packet::new_checked(&*l3).ok()?;
    if ip.protocol() != ipv4::PROTO_ICMP || ip.is_fragment() {
        return None;
    }
    let (src, dst, hl, total) = (
        ip.src(),
        ip.dst(),
        ip.header_len(),
        usize::from(ip.total_len()),
    );
    let msg = IcmpPacket::new_checked(&l3[hl..total]).ok()?;
    if msg.msg_type() != icmp::TYPE_ECHO_REQUEST || msg.code() != 0 || !msg.verify_checksum() {
        return None;
    }
    let old_word = u16::from_be_bytes([icmp::TYPE_ECHO_REQUEST, 0]);
    let mut msg = IcmpPacket::new_unchecked(&mut l3[hl..total]);
    msg.set_msg_type(icmp::TYPE_ECHO_REPLY);
    let c = checksum::update16(
        msg.checksum(),
        old_word,
        u16::from_be_bytes([icmp::TYPE_ECHO_REPLY, 0]),
    );
    msg.set_checksum(c);
    let mut ip = Ipv4Packet::new_unchecked(&mut *l3);
    ip.set_src(dst);
    ip.set_dst(src);
    ip.set_ttl(TTL);
    ip.fill_checksum();
    Some(ether::HEADER_LEN + total)
}

/// Whether RFC 1812 4.3.2.7 forbids an ICMP error about this datagram: it is itself an ICMP
/// error, a non-first fragment, sent to a broadcast or multicast address, or from a source
/// that does not name a single host.
pub fn must_not_answer(orig: &Ipv4Packet<&[u8]>) -> bool {
    let (src, dst) = (orig.src(), orig.dst());
    // 240/4 (class E, which includes the limited broadcast) names no single host either.
    if src.is_unspecified() || src.is_loopback() || src.is_multicast() || src.octets()[0] >= 240 {
        return true;
    }
    if dst.is_broadcast() || dst.is_multicast() {
        return true;
    }
    if orig.frag_offset() != 0 {
        return true;
    }
    if orig.protocol() == ipv4::PROTO_ICMP {
        let payload = orig.payload();
        match payload.first() {
            // Only queries may be answered with errors: echo, timestamp, info, mask.
            Some(&t) => !matches!(t, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18),
            None => true,
        }
    } else {
        false
    }
}

/// Builds an ICMP error about `orig_l3` (the offending datagram from its IPv4 header on)
/// into `buf`, Ethernet header included (addresses left for routing to fill), from `src`.
/// The quote is as much of the datagram as fits in [`MAX_ERROR_DATAGRAM`] (RFC 1812 4.3.2.3)
/// and in `buf` (a small mbuf), but never less than its IP header and 8 bytes (RFC 792).
/// Returns the frame length, or None when the error must not be sent or `buf` is too short.
#[allow(clippy::too_many_arguments)]
pub fn build_error(
    buf: &mut [u8],
    orig_l3: &[u8],
    src: Ipv4Addr,
    msg_type: u8,
    code: u8,
    rest: u32,
    ident: u16,
) -> Option<usize> {
    let orig = Ipv4Packet::new_checked(orig_l3).ok()?;
    if must_not_answer(&orig) {
        return None;
    }
    let quoted = &orig_l3[..usize::from(orig.total_len())];
    let room = MAX_ERROR_DATAGRAM
        .min(buf.len().saturating_sub(ether::HEADER_LEN))
        .saturating_sub(ipv4::HEADER_LEN + icmp::HEADER_LEN);
    let least = (orig.header_len() + 8).min(quoted.len());
    if room < least {
        return None;
    }
    let quoted = &quoted[..quoted.len().min(room)];
    let icmp_len = icmp::HEADER_LEN + quoted.len();
    let frame_len = ether::HEADER_LEN + ipv4::HEADER_LEN + icmp_len;
    let mut eth = EthernetFrame::new_unchecked(&mut buf[..frame_len]);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    let l3 = eth.payload_mut();
    let repr = Ipv4Repr {
        src,
        dst: orig.src(),
        protocol: ipv4::PROTO_ICMP,
        ttl: TTL,
        payload_len: icmp_len as u16,
        ident,
        dont_frag: false,
    };
    let mut ip = Ipv4Packet::new_unchecked(&mut *l3);
    repr.emit(&mut ip);
    // RFC 1812 4.3.2.5: ICMP errors go with precedence 6 (internetwork control).
    ip.set_dscp_ecn(ipv4::DSCP_ECN_INTERNETWORK_CONTROL);
    ip.fill_checksum();
    icmp::emit_error(&mut l3[ipv4::HEADER_LEN..], msg_type, code, rest, quoted);
    Some(frame_len)
}

/// Length of the echo requests the router sends (Ethernet, IPv4, ICMP, 8 bytes of data).
pub const ECHO_FRAME_LEN: usize = ether::HEADER_LEN + ipv4::HEADER_LEN + icmp::HEADER_LEN + 8;

/// Writes an ICMP echo request frame into `buf` (at least [`ECHO_FRAME_LEN`] bytes).
#[allow(clippy::too_many_arguments)]
pub fn build_echo_request(
    buf: &mut [u8],
    src_mac: MacAddr,
    dst_mac: MacAddr,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
    seq: u16,
    ip_ident: u16,
) -> usize {
    let frame = &mut buf[..ECHO_FRAME_LEN];
    let mut eth = EthernetFrame::new_unchecked(&mut *frame);
    eth.set_dst(dst_mac);
    eth.set_src(src_mac);
    eth.set_ethertype(ether::ETHERTYPE_IPV4);
    let l3 = eth.payload_mut();
    let msg_len = icmp::HEADER_LEN + 8;
    Ipv4Repr {
        src,
        dst,
        protocol: ipv4::PROTO_ICMP,
        ttl: TTL,
        payload_len: msg_len as u16,
        ident: ip_ident,
        dont_frag: true,
    }
    .emit(&mut Ipv4Packet::new_unchecked(&mut *l3));
    let mut msg = IcmpPacket::new_unchecked(&mut l3[ipv4::HEADER_LEN..]);
    msg.set_msg_type(icmp::TYPE_ECHO_REQUEST);
    msg.set_code(0);
    msg.set_echo_ident(ident);
    msg.set_echo_seq_no(seq);
    msg.data_mut().copy_from_slice(b"wanfwd\0\0");
    msg.fill_checksum();
    ECHO_FRAME_LEN
}

#[cfg(test)]
mod tests;
