//! The Toeplitz hash against Microsoft's published verification suite and a bit-by-bit
//! reference, and the queue predictions built on it.

use super::*;
use crate::packet::ipv4::PROTO_ICMP;
use crate::rng::Rng;
use std::net::Ipv4Addr;

/// The key of "Verifying the RSS hash calculation" (Microsoft), also the 82599's example.
const MS_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

/// Its IPv4 table: destination address:port, source address:port, hash of the addresses
/// ("IPv4 only"), hash with the ports ("IPv4 with TCP").
const MS_IPV4: [(&str, u16, &str, u16, u32, u32); 5] = [
    (
        "161.142.100.80",
        1766,
        "66.9.149.187",
        2794,
        0x323e_8fc2,
        0x51cc_c178,
    ),
    (
        "65.69.140.83",
        4739,
        "199.92.111.2",
        14230,
        0xd718_262a,
        0xc626_b0ea,
    ),
    (
        "12.22.207.184",
        38024,
        "24.19.198.95",
        12898,
        0xd2d0_a5de,
        0x5c2b_394a,
    ),
    (
        "209.142.163.6",
        2217,
        "38.27.205.30",
        48228,
        0x8298_9176,
        0xafc7_327f,
    ),
    (
        "202.188.127.2",
        1303,
        "153.39.163.191",
        44251,
        0x5d18_09c5,
        0x10e8_28a2,
    ),
];

/// The symmetric key wanfwd programs into devices (dpdk/port.rs).
const SYM_KEY: [u8; 40] = {
    let mut k = [0u8; 40];
    let mut i = 0;
    while i < 40 {
        k[i] = if i % 2 == 0 { 0x6d } else { 0x5a };
        i += 1;
    }
    k
};

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

/// The definition, one input bit at a time.
fn reference(key: &[u8], input: &[u8]) -> u32 {
    let bit = |n: usize| {
        key.get(n / 8)
            .map_or(0, |b| u32::from(b >> (7 - n % 8) & 1))
    };
    let mut h = 0u32;
    for i in 0..input.len() * 8 {
        if input[i / 8] >> (7 - i % 8) & 1 == 1 {
            h ^= (0..32).fold(0u32, |w, k| w << 1 | bit(i + k));
        }
    }
    h
}

#[test]
fn microsoft_verification_suite_ipv4() {
    let t = Toeplitz::new(&MS_KEY);
    for (dst, dport, src, sport, l3, l4) in MS_IPV4 {
        let (s, d) = (ip(src), ip(dst));
        assert_eq!(t.ipv4(s, d), l3, "{src} -> {dst}");
        assert_eq!(
            t.ipv4_l4(s, d, sport, dport),
            l4,
            "{src}:{sport} -> {dst}:{dport}"
        );
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&s.to_be_bytes());
        bytes.extend_from_slice(&d.to_be_bytes());
        assert_eq!(t.hash(&bytes), l3);
        bytes.extend_from_slice(&sport.to_be_bytes());
        bytes.extend_from_slice(&dport.to_be_bytes());
        assert_eq!(t.hash(&bytes), l4);
        assert_eq!(reference(&MS_KEY, &bytes), l4, "the reference agrees");
    }
}

#[test]
fn tables_match_the_bitwise_definition_for_random_keys() {
    let mut r = Rng(7);
    for round in 0..200 {
        // Short keys too: the missing bits count as zero.
        let len = if round % 10 == 0 { 9 } else { 40 };
        let key: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        let input: Vec<u8> = (0..12).map(|_| r.next() as u8).collect();
        let t = Toeplitz::new(&key);
        assert_eq!(t.hash(&input), reference(&key, &input), "key {key:02x?}");
    }
}

#[test]
fn rte_softrss_agrees() {
    // DPDK's own software Toeplitz (rte_thash.h), on host-order 32-bit words.
    let mut r = Rng(11);
    for key in [MS_KEY, SYM_KEY] {
        let t = Toeplitz::new(&key);
        for _ in 0..1000 {
            let (s, d) = (r.u32(), r.u32());
            let (sp, dp) = (r.next() as u16, r.next() as u16);
            let words = [s, d, u32::from(sp) << 16 | u32::from(dp)];
            assert_eq!(crate::dpdk::softrss(&words[..2], &key), t.ipv4(s, d));
            assert_eq!(crate::dpdk::softrss(&words, &key), t.ipv4_l4(s, d, sp, dp));
        }
    }
}

fn key(src: u32, dst: u32, sport: u16, dport: u16, proto: u8) -> FlowKey {
    FlowKey {
        src,
        dst,
        sport,
        dport,
        proto,
    }
}

const ALL_L4: Hashing = Hashing {
    tcp: Fields::L4,
    udp: Fields::L4,
    other: Fields::L3,
};

#[test]
fn the_symmetric_key_steers_both_directions_alike() {
    let s = Steering::new(&SYM_KEY, &Steering::default_reta(128, 4), ALL_L4).unwrap();
    assert!(s.symmetric());
    // (rte_softrss_agrees checks the two-table form this key gets against DPDK.)
    assert!(Toeplitz::new(&SYM_KEY).periodic && !Toeplitz::new(&MS_KEY).periodic);
    let ms = Steering::new(&MS_KEY, &Steering::default_reta(128, 4), ALL_L4).unwrap();
    assert!(!ms.symmetric());
    let mut r = Rng(3);
    let mut asymmetric = 0;
    for i in 0..10_000 {
        let proto = [PROTO_TCP, PROTO_UDP, PROTO_ICMP][i % 3];
        let k = key(r.u32(), r.u32(), r.next() as u16, r.next() as u16, proto);
        assert_eq!(s.queue(&k), s.queue(&k.reversed()), "{k}");
        asymmetric += usize::from(ms.queue(&k) != ms.queue(&k.reversed()));
    }
    assert!(
        asymmetric > 1000,
        "the Microsoft key is not symmetric: {asymmetric}"
    );
}

#[test]
fn queues_follow_the_reta_and_the_hashed_fields() {
    let mut reta = Steering::default_reta(128, 8);
    reta[5] = 3;
    let t = Toeplitz::new(&MS_KEY);
    let only_l3 = Hashing {
        tcp: Fields::L4,
        udp: Fields::L3,
        other: Fields::None,
    };
    let s = Steering::new(&MS_KEY, &reta, only_l3).unwrap();
    let mut r = Rng(5);
    for _ in 0..5000 {
        let (a, b, p, q) = (r.u32(), r.u32(), r.next() as u16, r.next() as u16);
        let tcp = key(a, b, p, q, PROTO_TCP);
        assert_eq!(s.queue(&tcp), reta[(t.ipv4_l4(a, b, p, q) & 127) as usize]);
        let udp = key(a, b, p, q, PROTO_UDP);
        assert_eq!(s.queue(&udp), reta[(t.ipv4(a, b) & 127) as usize]);
        assert_eq!(s.queue(&key(a, b, p, q, PROTO_ICMP)), reta[0]);
        assert!(s.steers_ports(PROTO_TCP) && !s.steers_ports(PROTO_UDP));
    }
    assert!(
        Steering::new(&MS_KEY, &[0, 1, 2], ALL_L4).is_none(),
        "RETA size 3"
    );
    assert!(Steering::new(&MS_KEY, &[], ALL_L4).is_none());
}

#[test]
fn reply_queues_by_local_port_match_the_full_hash() {
    let mut r = Rng(9);
    for queues in [2u16, 4, 8] {
        let s = Steering::new(&SYM_KEY, &Steering::default_reta(512, queues), ALL_L4).unwrap();
        for _ in 0..200 {
            let (remote, rport, local) = (r.u32(), r.next() as u16, r.u32());
            let replies = s.replies(remote, rport, local);
            let mut seen = vec![0u32; usize::from(queues)];
            for p in 0..2048u16 {
                let q = replies.queue(p);
                assert_eq!(q, s.queue(&key(remote, local, rport, p, PROTO_UDP)));
                seen[usize::from(q)] += 1;
            }
            // Every queue gets local ports: a worker can always find some.
            assert!(
                seen.iter().all(|&n| n > 2048 / u32::from(queues) / 2),
                "{seen:?}"
            );
        }
    }
}
