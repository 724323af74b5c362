//! The fused translation gives the general path's bytes exactly: `set_source` or
//! `set_destination`, then the TTL decrement, on any datagram it accepts, and it leaves
//! alone every datagram it does not.

use super::*;
use crate::packet::ipv4::{Ipv4Packet, PROTO_ICMP, PROTO_TCP, PROTO_UDP};
use proptest::prelude::*;

/// The general path: translation, then TTL decrement. None when the rewrite refuses.
fn general(l3: &[u8], side: Rewrite, addr: u32, port: u16) -> Option<Vec<u8>> {
    let mut v = l3.to_vec();
    match side {
        Rewrite::Source => set_source(&mut v, addr, port).ok()?,
        Rewrite::Destination => set_destination(&mut v, addr, port).ok()?,
    }
    Ipv4Packet::new_unchecked(&mut v[..]).decrement_ttl();
    Some(v)
}

prop_compose! {
    /// An options-less IPv4 datagram (checksums arbitrary: both updates are incremental)
    /// of TCP or UDP, sometimes of another protocol, a fragment, too short, with options or
    /// an expiring TTL, and sometimes with link padding after it.
    fn datagram()(
        proto in prop_oneof![4 => Just(PROTO_UDP), 4 => Just(PROTO_TCP), 1 => Just(PROTO_ICMP)],
        payload in 0usize..40,
        padding in prop_oneof![4 => Just(0usize), 1 => 1usize..8],
        ttl in prop_oneof![8 => 2u8.., 1 => 0u8..2],
        frag in prop_oneof![8 => Just(0u16), 1 => Just(0x2000u16), 1 => 1u16..0x1FFF],
        ihl in prop_oneof![8 => Just(5u8), 1 => Just(6u8)],
        head in proptest::array::uniform20(any::<u8>()),
        udp_sum_zero in any::<bool>(),
        data_offset in prop_oneof![8 => Just(5u8), 1 => 0u8..16],
        udp_len_delta in prop_oneof![8 => Just(0i32), 1 => -10i32..10],
    ) -> Vec<u8> {
        let l4_len = if proto == PROTO_TCP { 20 } else { 8 } + payload;
        let total = 20 + l4_len;
        let mut v = vec![0u8; total + padding];
        for (i, b) in v.iter_mut().enumerate() {
            *b = head[i % 20] ^ (i as u8);
        }
        v[0] = 0x40 | ihl;
        v[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        v[6..8].copy_from_slice(&frag.to_be_bytes());
        v[8] = ttl;
        v[9] = proto;
        if proto == PROTO_TCP {
            v[32] = data_offset << 4;
        } else if proto == PROTO_UDP {
            let len = (l4_len as i32 + udp_len_delta).clamp(0, 0xFFFF) as u16;
            v[24..26].copy_from_slice(&len.to_be_bytes());
            if udp_sum_zero {
                v[26] = 0;
                v[27] = 0;
            }
        }
        v
    }
}

proptest! {
    #[test]
    fn fused_is_the_general_path_or_declines(
        l3 in datagram(),
        source in any::<bool>(),
        addr: u32,
        port: u16,
    ) {
        let side = if source { Rewrite::Source } else { Rewrite::Destination };
        let mut fused = l3.clone();
        if translate_and_decrement(&mut fused, side, addr, port) {
            prop_assert_eq!(Some(fused), general(&l3, side, addr, port));
        } else {
            prop_assert_eq!(fused, l3, "declined, untouched");
        }
    }
}

/// What stage one of the burst lanes checks before `translate_checked` may be used: an
/// options-less, unfragmented header within `l3` and a TCP or UDP header `transport` accepts.
fn lane_checked(l3: &[u8]) -> Option<u8> {
    let total = usize::from(u16::from_be_bytes([l3[2], l3[3]]));
    let fragment = u16::from_be_bytes([l3[6], l3[7]]) & 0x3FFF != 0;
    if l3[0] != 0x45 || fragment || !(20..=l3.len()).contains(&total) {
        return None;
    }
    transport(&l3[20..total], l3[9]).map(|_| l3[9])
}

proptest! {
    /// On what stage one lets through, the checked rewrite is the full one: same result,
    /// same bytes (TTL 0 and 1 included, which both decline).
    #[test]
    fn checked_is_the_full_rewrite_on_checked_datagrams(
        l3 in datagram(),
        source in any::<bool>(),
        addr: u32,
        port: u16,
    ) {
        let Some(proto) = lane_checked(&l3) else {
            return Ok(());
        };
        let side = if source { Rewrite::Source } else { Rewrite::Destination };
        let (mut full, mut checked) = (l3.clone(), l3.clone());
        let done = translate_and_decrement(&mut full, side, addr, port);
        prop_assert_eq!(translate_checked(&mut checked, proto, side, addr, port), done);
        prop_assert_eq!(checked, full);
    }
}

/// What it accepts: the common TCP and UDP datagram, a UDP one without checksum (which
/// stays without); what it declines: fragments, options, ICMP, TTL 1.
#[test]
fn accepts_the_common_datagram_only() {
    let mut udp = vec![0u8; 28];
    udp[0] = 0x45;
    udp[2..4].copy_from_slice(&28u16.to_be_bytes());
    udp[8] = 64;
    udp[9] = PROTO_UDP;
    udp[24..26].copy_from_slice(&8u16.to_be_bytes());
    let mut f = udp.clone();
    assert!(translate_and_decrement(
        &mut f,
        Rewrite::Source,
        0xCB00_7102,
        61000
    ));
    assert_eq!(
        (f[8], &f[26..28]),
        (63, &[0u8, 0][..]),
        "TTL down, no checksum kept"
    );
    assert_eq!(&f[12..16], &[203, 0, 113, 2]);
    assert_eq!(&f[20..22], &61000u16.to_be_bytes());
    for (at, value) in [(6, 0x20), (0, 0x46), (9, PROTO_ICMP), (8, 1)] {
        let mut g = udp.clone();
        g[at] = value;
        let before = g.clone();
        assert!(!translate_and_decrement(&mut g, Rewrite::Source, 1, 1));
        assert_eq!(g, before);
    }
}
