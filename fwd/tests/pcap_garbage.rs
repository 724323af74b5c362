//! DPDK integration test: the router with connection tracking, a mangle rule and masquerade
//! (the stateful path) takes thousands of malformed and hostile frames on both ports between
//! two batches of good traffic. It must not crash, must forward every good datagram before
//! and after (translated), and must account for every frame it received: forwarded, punted
//! to the control core, or dropped under a counted reason.
//!
//! The bad frames, from a seeded generator (`wanfwd::rng`, the same every run): random bytes behind an IPv4
//! EtherType; good datagrams with bytes flipped in their headers, the IPv4 checksum made
//! right again half the time so that the flips reach the deeper checks; frames cut short;
//! TCP segments with every combination of flags; ICMP errors quoting mangled headers; IPv4
//! options and fragments with random offsets; ARP with random bytes. On ether1 the same
//! kinds arrive from the gateway, addressed to the router's WAN address and the ports of the
//! good connections.

mod common;

use common::*;
use std::net::Ipv4Addr;
use std::time::Duration;
use wanfwd::packet::checksum;
use wanfwd::packet::ether;
use wanfwd::packet::ipv4::{self, Ipv4Packet};
use wanfwd::packet::udp::UdpPacket;
use wanfwd::rng::Rng;

const GOOD_BEFORE: u16 = 20;
const GOOD_AFTER: u16 = 20;
const FIRST_SPORT: u16 = 50_000;
const BAD_PER_PORT: usize = 3000;

/// `n` random bytes.
fn bytes(r: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| r.next() as u8).collect()
}

/// A TCP segment (20-byte header, `flags`, correct checksum) from `src` to `dst`.
fn tcp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut b = vec![0u8; 20];
    b[0..2].copy_from_slice(&sport.to_be_bytes());
    b[2..4].copy_from_slice(&dport.to_be_bytes());
    b[4..8].copy_from_slice(&0x1000_0000u32.to_be_bytes());
    b[12] = 5 << 4;
    b[13] = flags;
    b[14..16].copy_from_slice(&1024u16.to_be_bytes());
    let sum = checksum::pseudo_header_sum(src, dst, ipv4::PROTO_TCP, 20);
    let c = !checksum::fold(checksum::sum(&b, sum));
    b[16..18].copy_from_slice(&c.to_be_bytes());
    b
}

/// Sets the IPv4 header checksum of `frame` right for its (possibly mangled) header.
fn fix_ip_checksum(frame: &mut [u8]) {
    let Some(ihl) = frame
        .get(ether::HEADER_LEN)
        .map(|b| usize::from(b & 0x0f) * 4)
    else {
        return;
    };
    let h = ether::HEADER_LEN;
    if ihl < ipv4::HEADER_LEN || frame.len() < h + ihl {
        return;
    }
    frame[h + 10] = 0;
    frame[h + 11] = 0;
    let c = checksum::checksum(&frame[h..h + ihl]);
    frame[h + 10..h + 12].copy_from_slice(&c.to_be_bytes());
}

/// A well-formed frame of one of several kinds from `src` (MAC, address) to the router
/// (`dst_mac`), aimed at `dst`: the raw material of the mangled ones.
fn seed_frame(
    r: &mut Rng,
    dst_mac: wanfwd::net::MacAddr,
    src_mac: wanfwd::net::MacAddr,
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Vec<u8> {
    let sport = FIRST_SPORT + r.below(usize::from(GOOD_BEFORE + GOOD_AFTER)) as u16;
    let data_len = r.below(40);
    let l3 = match r.below(4) {
        0 => ipv4(
            src,
            dst,
            ipv4::PROTO_UDP,
            64,
            1,
            &udp(src, dst, sport, 5000, &bytes(r, data_len)),
        ),
        1 => ipv4(
            src,
            dst,
            ipv4::PROTO_TCP,
            64,
            2,
            &tcp(src, dst, sport, 80, r.next() as u8),
        ),
        2 => ipv4(
            src,
            dst,
            ipv4::PROTO_ICMP,
            64,
            3,
            &icmp_echo_request(r.next() as u16, 1, &bytes(r, 8)),
        ),
        _ => {
            // An ICMP error (unreachable or time exceeded) quoting a datagram of the
            // connections, its quote mangled below like everything else.
            let quoted = ipv4(
                dst,
                src,
                ipv4::PROTO_UDP,
                1,
                4,
                &udp(dst, src, 5000, sport, &[]),
            );
            let mut icmp = vec![if r.below(2) == 0 { 3 } else { 11 }, r.below(5) as u8, 0, 0];
            icmp.extend_from_slice(&[0; 4]);
            icmp.extend_from_slice(&quoted[..28.min(quoted.len())]);
            let c = checksum::checksum(&icmp);
            icmp[2..4].copy_from_slice(&c.to_be_bytes());
            ipv4(src, dst, ipv4::PROTO_ICMP, 64, 5, &icmp)
        }
    };
    ethernet(dst_mac, src_mac, ether::ETHERTYPE_IPV4, &l3)
}

/// `n` bad frames for a port whose router MAC is `dst_mac`, from `src_mac`/`src`, aimed at
/// `dst` (and sometimes at the router's own `local` address).
fn bad_frames(
    r: &mut Rng,
    n: usize,
    dst_mac: wanfwd::net::MacAddr,
    src_mac: wanfwd::net::MacAddr,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    local: Ipv4Addr,
) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let to = if r.below(8) == 0 { local } else { dst };
        let mut f = seed_frame(r, dst_mac, src_mac, src, to);
        let h = ether::HEADER_LEN;
        match r.below(7) {
            // Random bytes behind an IPv4 EtherType.
            0 => {
                let len = r.below(120);
                f.truncate(h);
                f.extend(bytes(r, len));
            }
            // Header bytes flipped; the IPv4 checksum right again half the time.
            1 | 2 => {
                for _ in 0..1 + r.below(4) {
                    let at = h + r.below(f.len() - h).min(47);
                    f[at] ^= 1 << r.below(8);
                }
                if r.below(2) == 0 {
                    fix_ip_checksum(&mut f);
                }
            }
            // Cut short anywhere past the Ethernet header (net_pcap sends what it is given).
            3 => {
                let keep = h + r.below(f.len() - h);
                f.truncate(keep);
            }
            // A fragment: random offset and more-fragments flag.
            4 => {
                let off = (r.below(0x2000) as u16) | if r.below(2) == 0 { 0x2000 } else { 0 };
                f[h + 6..h + 8].copy_from_slice(&off.to_be_bytes());
                fix_ip_checksum(&mut f);
            }
            // IPv4 options: a longer header length, the bytes behind it now options.
            5 => {
                f[h] = 0x40 | (6 + r.below(10)) as u8;
                fix_ip_checksum(&mut f);
            }
            // ARP with random bytes.
            _ => {
                let len = r.below(60);
                f.truncate(h);
                f[12..14].copy_from_slice(&ether::ETHERTYPE_ARP.to_be_bytes());
                f.extend(bytes(r, len));
            }
        }
        out.push(f);
    }
    out
}

#[test]
fn malformed_and_hostile_frames_are_counted_and_good_traffic_goes_on() {
    capture_log();
    let dir = TestDir::new("wf-it-garbage");
    let rest = format!(
        "{LAN_WAN}{}",
        r#"  - { address: 192.168.1.10, mac-address: "02:00:00:00:01:10", interface: bridge }
/ip/firewall/mangle:
  - { chain: prerouting, in-interface: bridge, connection-state: new, action: mark-connection, new-connection-mark: lan_conn }
/ip/firewall/nat:
  - { chain: srcnat, out-interface: ether1, action: masquerade }
"#
    );
    let cfg = lan_wan_config(&dir, "wf-it-garbage", &rest);
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let good = |sport: u16| lan_udp(sport, 5000, &pattern(sport as u8, 18));
    let mut lan: Vec<Vec<u8>> = (0..GOOD_BEFORE).map(|i| good(FIRST_SPORT + i)).collect();
    lan.extend(bad_frames(
        &mut r,
        BAD_PER_PORT,
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        LAN_IP,
    ));
    lan.extend((GOOD_BEFORE..GOOD_BEFORE + GOOD_AFTER).map(|i| good(FIRST_SPORT + i)));
    let wan = bad_frames(
        &mut r,
        BAD_PER_PORT,
        WAN_MAC,
        GW_MAC,
        REMOTE_IP,
        WAN_IP,
        WAN_IP,
    );
    write_pcap(&dir.file("lan-in.pcap"), &lan);
    write_pcap(&dir.file("wan-in.pcap"), &wan);

    let report = run_router(&cfg, Duration::from_secs(3));
    let wan_out = read_pcap(&dir.file("wan-out.pcap"));
    let total = report.total();
    eprintln!(
        "report: {report:?}\ndrops: {:?}\nether1 sent {} frames",
        nonzero_drops(&total),
        wan_out.len()
    );

    // Still alive to the end: no worker or control-core panic was caught and logged.
    let log = logged();
    let panics: Vec<&String> = log.iter().filter(|l| l.contains("panic")).collect();
    assert!(panics.is_empty(), "expected no panic; log: {panics:#?}");

    // Every frame received.
    let received = (lan.len() + wan.len()) as u64;
    assert_eq!(
        report.workers.rx_packets, received,
        "expected the worker to receive all {received} frames"
    );

    // Every good datagram, before and after the bad frames, left by ether1 translated to
    // the WAN address: those before with their port kept (each the first of its
    // connection); those after with the port of their connection, which a bad frame may
    // have opened first (then with other data), or another if a bad frame from another
    // LAN address took the port (masquerade keeps a port only while it is free).
    for sport in FIRST_SPORT..FIRST_SPORT + GOOD_BEFORE + GOOD_AFTER {
        let kept = sport < FIRST_SPORT + GOOD_BEFORE;
        let found = wan_out.iter().any(|f| {
            let Some(ip) = ipv4_of(f) else { return false };
            if ip.protocol() != ipv4::PROTO_UDP || ip.src() != WAN_IP || ip.dst() != REMOTE_IP {
                return false;
            }
            let Ok(u) = UdpPacket::new_checked(ip.payload()) else {
                return false;
            };
            (u.src_port() == sport || !kept)
                && u.dst_port() == 5000
                && u.payload().starts_with(&pattern(sport as u8, 18))
                && u.verify_checksum(ip.src(), ip.dst())
                && Ipv4Packet::new_checked(&f[ether::HEADER_LEN..])
                    .is_ok_and(|p| p.verify_checksum())
        });
        assert!(
            found,
            "expected the good datagram from port {sport} forwarded and translated; ether1 sent:\n{}",
            describe(&wan_out[..wan_out.len().min(40)])
        );
    }

    // Accounted for: every received frame was forwarded, punted or dropped under a reason.
    // The worker's transmissions include what it sent for the control core (answers to
    // punted packets), which the control core counts as its own.
    let w = &report.workers;
    let queue_drops: u64 = w.queue_drops.iter().sum();
    let forwarded = w.tx_packets + queue_drops - report.control.tx_packets;
    assert_eq!(
        forwarded + w.punted + w.total_dropped(),
        received,
        "expected forwarded ({forwarded}) + punted ({}) + dropped ({}) = received ({received}); drops: {:?}",
        w.punted,
        w.total_dropped(),
        nonzero_drops(w)
    );
    assert!(
        w.total_dropped() > (BAD_PER_PORT as u64),
        "expected most bad frames dropped and counted; drops: {:?}",
        nonzero_drops(w)
    );
}
