//! The burst stages (`stateful::burst`) decide every packet exactly as `process` does.

use super::*;
use crate::stateful::burst::{self, Lane};
use proptest::prelude::*;

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;

/// An Ethernet frame to `dst_mac` carrying TCP with `flags`, checksums right.
fn tcp(dst_mac: MacAddr, src: &str, sport: u16, dst: &str, dport: u16, flags: u8) -> Vec<u8> {
    let mut f = udp(dst_mac, src, sport, dst, dport);
    // The UDP frame's IPv4 header, grown by a TCP header in place of UDP's.
    let payload = f[42..].to_vec();
    f.truncate(34);
    let mut seg = vec![0u8; 20];
    seg[0..2].copy_from_slice(&sport.to_be_bytes());
    seg[2..4].copy_from_slice(&dport.to_be_bytes());
    seg[4..8].copy_from_slice(&7u32.to_be_bytes());
    seg[12] = 5 << 4;
    seg[13] = flags;
    seg[14..16].copy_from_slice(&1024u16.to_be_bytes());
    seg.extend_from_slice(&payload);
    let (s, d) = (Ipv4Addr::from(ip(src)), Ipv4Addr::from(ip(dst)));
    let c = !checksum::fold(checksum::sum(
        &seg,
        checksum::pseudo_header_sum(s, d, PROTO_TCP, seg.len() as u16),
    ));
    seg[16..18].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&seg);
    let h = &mut f[14..34];
    h[9] = PROTO_TCP;
    h[2..4].copy_from_slice(&((20 + seg.len()) as u16).to_be_bytes());
    h[10..12].copy_from_slice(&[0, 0]);
    let c = checksum::checksum(h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    f
}

/// A fragment of `f`'s datagram: the first (its first 24 bytes of payload, a whole TCP or
/// UDP header, MF set) or the rest (offset 24 bytes).
fn fragment(f: &[u8], ident: u16, first: bool) -> Vec<u8> {
    let (data, flags_offset) = if first {
        (&f[34..34 + 24], 0x2000u16)
    } else {
        (&f[34 + 24..], 3)
    };
    let mut g = f[..34].to_vec();
    g.extend_from_slice(data);
    g[16..18].copy_from_slice(&(20 + data.len() as u16).to_be_bytes());
    g[18..20].copy_from_slice(&ident.to_be_bytes());
    g[20..22].copy_from_slice(&flags_offset.to_be_bytes());
    g[24..26].copy_from_slice(&[0, 0]);
    let c = checksum::checksum(&g[14..34]);
    g[24..26].copy_from_slice(&c.to_be_bytes());
    g
}

/// One generated packet: which frame, on which port.
#[derive(Clone, Debug)]
struct Packet {
    in_port: u16,
    frame: Vec<u8>,
}

const HOSTS: [&str; 3] = ["192.168.1.10", "192.168.1.11", "192.168.1.12"];
const WAN_ADDRS: [&str; 2] = ["203.0.113.2", "198.51.100.2"];
const TCP_FLAGS: [u8; 6] = [SYN, SYN | ACK, ACK, FIN | ACK, RST, PSH | ACK];

/// LAN traffic to a far host and its replies by either WAN (TCP and UDP, a few hosts and
/// ports so that connections repeat), fragments, TTL 1, and now and then a byte of the
/// frame changed anywhere (checksums, lengths, MACs, versions, flags...).
fn packet() -> impl Strategy<Value = Packet> {
    let kind = 0u8..6;
    let host = 0usize..HOSTS.len();
    let port = 0u16..4;
    let flags = 0usize..TCP_FLAGS.len();
    let wan = 0usize..2;
    let mutate = prop::option::weighted(0.15, (any::<prop::sample::Index>(), any::<u8>()));
    (kind, host, port, flags, wan, mutate).prop_map(|(kind, h, p, fl, w, mutate)| {
        let sport = 40000 + p;
        let lan = |tcp_flags: Option<u8>| match tcp_flags {
            Some(t) => tcp(mac(1), HOSTS[h], sport, "192.0.2.100", 80, t),
            None => udp(mac(1), HOSTS[h], sport, "192.0.2.100", 53),
        };
        let wan_port = WAN1 + w as u16;
        let reply = |tcp_flags: Option<u8>| match tcp_flags {
            Some(t) => tcp(
                mac(wan_port as u8 + 1),
                "192.0.2.100",
                80,
                WAN_ADDRS[w],
                sport,
                t,
            ),
            None => udp(
                mac(wan_port as u8 + 1),
                "192.0.2.100",
                53,
                WAN_ADDRS[w],
                sport,
            ),
        };
        let (in_port, mut frame) = match kind {
            0 => (LAN, lan(None)),
            1 => (LAN, lan(Some(TCP_FLAGS[fl]))),
            2 => (wan_port, reply(None)),
            3 => (wan_port, reply(Some(TCP_FLAGS[fl]))),
            // A fragment of a datagram long enough for a first fragment with a whole
            // header: the first, or the rest, which takes the first's ports.
            4 => {
                let mut d = lan((fl % 2 == 0).then_some(TCP_FLAGS[fl]));
                d.extend_from_slice(&[0; 24]);
                let len = (d.len() - 14) as u16;
                d[16..18].copy_from_slice(&len.to_be_bytes());
                d[38..40].copy_from_slice(&(len - 20).to_be_bytes());
                (LAN, fragment(&d, 7 + p, fl < 3))
            }
            _ => {
                let mut f = lan(Some(TCP_FLAGS[fl]));
                f[22] = 1;
                f[24..26].copy_from_slice(&[0, 0]);
                let c = checksum::checksum(&f[14..34]);
                f[24..26].copy_from_slice(&c.to_be_bytes());
                (LAN, f)
            }
        };
        if let Some((at, byte)) = mutate {
            let i = at.index(frame.len());
            frame[i] = byte;
        }
        Packet { in_port, frame }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same packets through `process` one by one and through the burst stages, in
    /// bursts of up to 32 from one port, on two equal states: the same verdicts, the same
    /// bytes out, the same connections and rule hits.
    #[test]
    fn bursts_decide_as_process_does(
        packets in prop::collection::vec(packet(), 1..160),
        sizes in prop::collection::vec(1usize..=32, 1..16),
    ) {
        let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
        let t = snap.tables();
        let (mut one, mut many) = (state(64), state(64));
        let mut routes = crate::counters::RouteCounters::default();
        follow(&mut one, &snap, &mut routes);
        follow(&mut many, &snap, &mut routes);
        let mut expected = Vec::new();
        for p in &packets {
            let mut f = p.frame.clone();
            let v = process(&mut f, p.in_port, None, &t, &snap.rules, &mut one, 1_000);
            expected.push((v, f));
        }
        let mut got = Vec::new();
        let (mut i, mut s) = (0, 0);
        while i < packets.len() {
            // A burst: up to the next size, from one port.
            let port = packets[i].in_port;
            let mut n = 0;
            while n < sizes[s % sizes.len()] && i + n < packets.len() && packets[i + n].in_port == port {
                n += 1;
            }
            s += 1;
            let mut frames: Vec<Vec<u8>> = packets[i..i + n].iter().map(|p| p.frame.clone()).collect();
            let mut lanes = [Lane::NONE; crate::dpdk::BURST];
            many.prepare(frames.iter().map(|f| Some((&f[..], None))), port, &t, &mut lanes);
            for (f, lane) in frames.iter_mut().zip(lanes) {
                let v = if lane.is_some() {
                    burst::process_fast(f, lane, port, &t, &snap.rules, &mut many, 1_000)
                } else {
                    process(f, port, None, &t, &snap.rules, &mut many, 1_000)
                };
                got.push((v, f.clone()));
            }
            i += n;
        }
        prop_assert_eq!(&got, &expected);
        prop_assert_eq!(one.conns.len(), many.conns.len());
        prop_assert_eq!(&one.rules.mangle, &many.rules.mangle);
        prop_assert_eq!(&one.rules.nat, &many.rules.nat);
        prop_assert_eq!(one.created, many.created);
    }
}

/// What stage one takes: the common TCP and UDP frame; not a fragment, ICMP, a header with
/// options, a bad checksum or a frame for another MAC (those take `process`).
#[test]
fn lanes_are_for_unfragmented_tcp_and_udp_only() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let t = snap.tables();
    let st = state(64);
    let good_udp = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53);
    let good_tcp = tcp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 80, SYN);
    let fragment = split(&good_udp, 9).0;
    let mut icmp = good_udp.clone();
    icmp[23] = PROTO_ICMP;
    icmp[24..26].copy_from_slice(&[0, 0]);
    let c = checksum::checksum(&icmp[14..34]);
    icmp[24..26].copy_from_slice(&c.to_be_bytes());
    let mut bad_sum = good_udp.clone();
    bad_sum[24] ^= 1;
    let mut other_mac = good_udp.clone();
    other_mac[5] = 0x77;
    let frames = [&good_udp, &good_tcp, &fragment, &icmp, &bad_sum, &other_mac];
    let mut lanes = [Lane::NONE; crate::dpdk::BURST];
    st.prepare(
        frames.iter().map(|f| Some((&f[..], None))),
        LAN,
        &t,
        &mut lanes,
    );
    let taken: Vec<bool> = lanes[..frames.len()].iter().map(Lane::is_some).collect();
    assert_eq!(taken, [true, true, false, false, false, false]);
    // A packet the caller keeps (None) has no lane.
    st.prepare([None].into_iter(), LAN, &t, &mut lanes);
    assert!(!lanes[0].is_some());
}
