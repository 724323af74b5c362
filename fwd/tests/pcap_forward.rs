//! DPDK integration test: the router between two `net_pcap` ports, `bridge` (LAN) and
//! `ether1` (WAN, default route via a gateway with a static ARP entry). One run replays a LAN
//! host's traffic on bridge and checks what comes out of each port, and the report's counters:
//!
//! 1. ARP request for the router -> ARP reply from the configured MAC;
//! 2. ping to the router -> echo reply;
//! 3. UDP to the Internet -> forwarded on ether1, TTL decremented, MACs rewritten, rest intact;
//! 4. UDP with TTL 1 -> ICMP time-exceeded;
//! 5. bad IPv4 checksum, truncated IPv4, IPv6 -> dropped and counted; a frame for another
//!    host's MAC -> dropped as not-for-us (net_pcap takes no MAC, the router filters itself);
//! 6. UDP to the router -> ICMP port unreachable.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::packet::arp;
use wanfwd::packet::ether;
use wanfwd::packet::icmp::{self, IcmpPacket};
use wanfwd::packet::ipv4::{self, Ipv4Packet};
use wanfwd::packet::udp::UdpPacket;

const ECHO_IDENT: u16 = 0x4d2e;
const ECHO_SEQ: u16 = 7;
/// Sizes of the UDP data of the forwarded datagrams: padded minimum frame, small, large, and
/// a full 1500-byte IPv4 packet.
const FORWARD_SIZES: [usize; 5] = [4, 18, 100, 1000, 1472];
const FIRST_SPORT: u16 = 40_000;
const TTL1_SPORT: u16 = 41_000;
const LOCAL_DPORT: u16 = 33_434;

fn config(dir: &TestDir) -> Config {
    lan_wan_config(dir, "wf-it-forward", LAN_WAN)
}

/// What the LAN host sends, in order.
struct Input {
    frames: Vec<Vec<u8>>,
    echo_request: Vec<u8>,
    forwarded: Vec<Vec<u8>>,
    ttl1: Vec<u8>,
    to_router_udp: Vec<u8>,
}

fn input() -> Input {
    let mut frames = Vec::new();

    // 1. Who has 192.168.1.1?
    frames.push(arp_request(HOST_MAC, HOST_IP, LAN_IP));

    // 2. Ping the router.
    let echo = icmp_echo_request(ECHO_IDENT, ECHO_SEQ, &pattern(1, 56));
    let echo_request = ethernet(
        LAN_MAC,
        HOST_MAC,
        ether::ETHERTYPE_IPV4,
        &ipv4(HOST_IP, LAN_IP, ipv4::PROTO_ICMP, 64, 0x1001, &echo),
    );
    frames.push(echo_request.clone());

    // 3. UDP to the Internet, to be forwarded.
    let forwarded: Vec<Vec<u8>> = FORWARD_SIZES
        .iter()
        .enumerate()
        .map(|(i, &n)| lan_udp(FIRST_SPORT + i as u16, 5000, &pattern(10 + i as u8, n)))
        .collect();
    frames.extend(forwarded.iter().cloned());

    // 4. UDP whose TTL runs out here.
    let ttl1 = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        1,
        TTL1_SPORT,
        33_435,
        &pattern(30, 12),
    );
    frames.push(ttl1.clone());

    // 5. Bad input: wrong header checksum...
    let mut bad_sum = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        42_000,
        5000,
        &pattern(40, 20),
    );
    bad_sum[ether::HEADER_LEN + 10] ^= 0x5a;
    frames.push(bad_sum);
    // ...a datagram whose total length is beyond the end of the frame...
    let mut truncated = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        42_001,
        5000,
        &pattern(41, 200),
    );
    truncated.truncate(ether::HEADER_LEN + 30);
    frames.push(truncated);
    // ...an IPv6 packet (version 6, UDP, hop limit 64, fe80::1 -> ff02::1)...
    let mut v6 = vec![0u8; 48];
    v6[0] = 0x60;
    v6[4..6].copy_from_slice(&8u16.to_be_bytes());
    v6[6] = 17;
    v6[7] = 64;
    v6[8] = 0xfe;
    v6[9] = 0x80;
    v6[23] = 1;
    v6[24] = 0xff;
    v6[25] = 0x02;
    v6[39] = 1;
    frames.push(ethernet(LAN_MAC, HOST_MAC, ETHERTYPE_IPV6, &v6));
    // ...and a valid datagram for another host's MAC, which the router must not route.
    frames.push(udp_frame(
        OTHER_MAC,
        HOST_MAC,
        HOST_IP,
        REMOTE_IP,
        64,
        42_002,
        5000,
        &pattern(42, 20),
    ));

    // 6. UDP to the router itself, where nothing listens.
    let to_router_udp = udp_frame(
        LAN_MAC,
        HOST_MAC,
        HOST_IP,
        LAN_IP,
        64,
        43_000,
        LOCAL_DPORT,
        &pattern(50, 16),
    );
    frames.push(to_router_udp.clone());

    Input {
        frames,
        echo_request,
        forwarded,
        ttl1,
        to_router_udp,
    }
}

/// The IPv4 datagram of a frame we built, without Ethernet padding.
fn datagram(frame: &[u8]) -> &[u8] {
    let ip = ipv4_of(frame).expect("a frame built by the test is IPv4");
    &frame[ether::HEADER_LEN..ether::HEADER_LEN + usize::from(ip.total_len())]
}

/// Checks an ICMP error sent on bridge to the LAN host about `orig` (a frame it sent).
fn check_icmp_error(what: &str, frame: &[u8], msg_type: u8, code: u8, orig: &[u8]) {
    let eth = eth_of(frame, what);
    assert_eq!(
        eth.dst(),
        HOST_MAC,
        "{what}: expected Ethernet destination {HOST_MAC} (the LAN host)"
    );
    assert_eq!(
        eth.src(),
        LAN_MAC,
        "{what}: expected Ethernet source {LAN_MAC} (the router's configured bridge MAC)"
    );
    let ip = ipv4_of(frame).unwrap_or_else(|| panic!("{what}: expected an IPv4 datagram"));
    assert!(
        ip.verify_checksum(),
        "{what}: expected a valid IPv4 header checksum"
    );
    assert_eq!(ip.src(), LAN_IP, "{what}: expected source {LAN_IP}");
    assert_eq!(ip.dst(), HOST_IP, "{what}: expected destination {HOST_IP}");
    assert_eq!(ip.protocol(), ipv4::PROTO_ICMP, "{what}: expected ICMP");
    assert!(
        ip.ttl() > 1,
        "{what}: expected a usable TTL, got {}",
        ip.ttl()
    );
    let m = IcmpPacket::new_checked(ip.payload())
        .unwrap_or_else(|e| panic!("{what}: expected an ICMP header: {e}"));
    assert!(
        m.verify_checksum(),
        "{what}: expected a valid ICMP checksum"
    );
    assert_eq!(
        (m.msg_type(), m.code()),
        (msg_type, code),
        "{what}: expected ICMP type {msg_type} code {code}"
    );
    let orig_dgram = datagram(orig);
    let quoted = m.data();
    assert!(
        quoted.len() >= ipv4::HEADER_LEN + 8,
        "{what}: expected the original IPv4 header and at least 8 bytes after it quoted (RFC 792), got {} bytes",
        quoted.len()
    );
    assert!(
        orig_dgram.starts_with(quoted),
        "{what}: expected the quote to be the start of the original datagram, as received\n quoted:   {quoted:02x?}\n original: {orig_dgram:02x?}"
    );
}

#[test]
fn lan_host_traffic_through_pcap_ports() {
    capture_log();
    let started = Instant::now();
    let dir = TestDir::new("wf-it-forward");
    let cfg = config(&dir);
    let input = input();
    write_pcap(&dir.file("lan-in.pcap"), &input.frames);
    write_pcap(&dir.file("wan-in.pcap"), &[]);

    let report = run_router(&cfg, Duration::from_secs(2));
    let lan_out = read_pcap(&dir.file("lan-out.pcap"));
    let wan_out = read_pcap(&dir.file("wan-out.pcap"));
    let log = logged();
    let total = report.total();
    eprintln!(
        "report: {:?}\ndrops: {:?}\nbridge sent:\n{}\nether1 sent:\n{}",
        report,
        nonzero_drops(&total),
        describe(&lan_out),
        describe(&wan_out)
    );

    // The configured MACs are the router's, whether or not net_pcap let them be set.
    for (name, mac) in [("bridge", LAN_MAC), ("ether1", WAN_MAC)] {
        let port_line = format!("interface {name} = port");
        let line = log
            .iter()
            .find(|l| l.contains(&port_line))
            .unwrap_or_else(|| {
                panic!("expected the log to describe interface {name}; log:\n{log:#?}")
            });
        assert!(
            line.contains(&format!("MAC {mac}")),
            "expected interface {name} to use its configured MAC {mac}: {line}"
        );
    }
    let refused: Vec<&String> = log
        .iter()
        .filter(|l| l.contains("cannot set MAC"))
        .collect();
    for l in &refused {
        assert!(
            l.contains("promiscuous"),
            "expected the router to fall back to promiscuous mode where the device refuses a MAC: {l}"
        );
    }
    eprintln!(
        "{} port(s) could not take the configured MAC",
        refused.len()
    );

    // --- bridge: exactly the four answers to the host.
    assert_eq!(
        lan_out.len(),
        4,
        "expected 4 frames on bridge (ARP reply, echo reply, time-exceeded, port unreachable), got:\n{}",
        describe(&lan_out)
    );

    // 1. ARP reply.
    let arp_replies: Vec<&Vec<u8>> = lan_out.iter().filter(|f| arp_of(f).is_some()).collect();
    assert_eq!(
        arp_replies.len(),
        1,
        "expected one ARP frame on bridge (the reply), got:\n{}",
        describe(&lan_out)
    );
    let f = arp_replies[0];
    let eth = eth_of(f, "ARP reply");
    assert_eq!(
        eth.dst(),
        HOST_MAC,
        "ARP reply: expected it addressed to the host's MAC {HOST_MAC}"
    );
    assert_eq!(
        eth.src(),
        LAN_MAC,
        "ARP reply: expected Ethernet source {LAN_MAC}"
    );
    let a = arp_of(f).unwrap();
    assert_eq!(
        a.operation,
        arp::OP_REPLY,
        "ARP reply: expected operation 2 (reply)"
    );
    assert_eq!(
        (a.sender_mac, a.sender_ip),
        (LAN_MAC, LAN_IP),
        "ARP reply: expected {LAN_IP} is-at {LAN_MAC}"
    );
    assert_eq!(
        (a.target_mac, a.target_ip),
        (HOST_MAC, HOST_IP),
        "ARP reply: expected target {HOST_IP} at {HOST_MAC}"
    );

    // 2. Echo reply.
    let replies: Vec<&Vec<u8>> = lan_out
        .iter()
        .filter(|f| icmp_type_of(f) == Some((icmp::TYPE_ECHO_REPLY, 0)))
        .collect();
    assert_eq!(
        replies.len(),
        1,
        "expected one ICMP echo reply on bridge, got:\n{}",
        describe(&lan_out)
    );
    let f = replies[0];
    let eth = eth_of(f, "echo reply");
    assert_eq!(
        (eth.dst(), eth.src()),
        (HOST_MAC, LAN_MAC),
        "echo reply: expected {LAN_MAC} -> {HOST_MAC}"
    );
    let ip = ipv4_of(f).unwrap();
    assert!(
        ip.verify_checksum(),
        "echo reply: expected a valid IPv4 header checksum"
    );
    assert_eq!(
        (ip.src(), ip.dst()),
        (LAN_IP, HOST_IP),
        "echo reply: expected {LAN_IP} -> {HOST_IP}"
    );
    let m = IcmpPacket::new_checked(ip.payload()).unwrap();
    assert!(
        m.verify_checksum(),
        "echo reply: expected a valid ICMP checksum"
    );
    assert_eq!(
        (m.echo_ident(), m.echo_seq_no()),
        (ECHO_IDENT, ECHO_SEQ),
        "echo reply: expected the request's identifier and sequence number"
    );
    let req_ip = ipv4_of(&input.echo_request).unwrap();
    let req = IcmpPacket::new_checked(req_ip.payload()).unwrap();
    assert_eq!(
        m.data(),
        req.data(),
        "echo reply: expected the request's data echoed byte for byte"
    );

    // 4. Time exceeded.
    let te: Vec<&Vec<u8>> = lan_out
        .iter()
        .filter(|f| icmp_type_of(f).map(|t| t.0) == Some(icmp::TYPE_TIME_EXCEEDED))
        .collect();
    assert_eq!(
        te.len(),
        1,
        "expected one ICMP time-exceeded on bridge for the TTL-1 datagram, got:\n{}",
        describe(&lan_out)
    );
    check_icmp_error(
        "time-exceeded",
        te[0],
        icmp::TYPE_TIME_EXCEEDED,
        icmp::CODE_TTL_EXCEEDED,
        &input.ttl1,
    );

    // 6. Port unreachable.
    let pu: Vec<&Vec<u8>> = lan_out
        .iter()
        .filter(|f| icmp_type_of(f).map(|t| t.0) == Some(icmp::TYPE_DEST_UNREACHABLE))
        .collect();
    assert_eq!(
        pu.len(),
        1,
        "expected one ICMP destination-unreachable on bridge for UDP to the router, got:\n{}",
        describe(&lan_out)
    );
    check_icmp_error(
        "port unreachable",
        pu[0],
        icmp::TYPE_DEST_UNREACHABLE,
        icmp::CODE_PORT_UNREACHABLE,
        &input.to_router_udp,
    );

    // --- ether1: exactly the forwarded datagrams, in order.
    assert_eq!(
        wan_out.len(),
        input.forwarded.len(),
        "expected exactly the {} UDP datagrams to 192.0.2.10 on ether1 (nothing from the bad frames, no ARP with a static entry), got:\n{}",
        input.forwarded.len(),
        describe(&wan_out)
    );
    for (i, (sent, out)) in input.forwarded.iter().zip(wan_out.iter()).enumerate() {
        let what = format!(
            "forwarded datagram #{i} ({} bytes of UDP data)",
            FORWARD_SIZES[i]
        );
        assert_eq!(
            out.len(),
            sent.len(),
            "{what}: expected the frame length unchanged"
        );
        let eth = eth_of(out, &what);
        assert_eq!(
            eth.dst(),
            GW_MAC,
            "{what}: expected the gateway's MAC {GW_MAC} (static ARP) as destination"
        );
        assert_eq!(
            eth.src(),
            WAN_MAC,
            "{what}: expected ether1's configured MAC {WAN_MAC} as source"
        );
        assert_eq!(
            eth.ethertype(),
            ether::ETHERTYPE_IPV4,
            "{what}: expected EtherType IPv4"
        );
        let ip = Ipv4Packet::new_checked(&out[ether::HEADER_LEN..])
            .unwrap_or_else(|e| panic!("{what}: expected a complete IPv4 datagram: {e}"));
        assert_eq!(ip.ttl(), 63, "{what}: expected TTL 64 - 1 = 63");
        assert!(
            ip.verify_checksum(),
            "{what}: expected a valid IPv4 header checksum after the TTL decrement"
        );
        let (s, o) = (&sent[ether::HEADER_LEN..], &out[ether::HEADER_LEN..]);
        for at in (0..ipv4::HEADER_LEN).filter(|b| ![8, 10, 11].contains(b)) {
            assert_eq!(
                o[at], s[at],
                "{what}: expected IPv4 header byte {at} unchanged (only TTL and checksum change)"
            );
        }
        assert_eq!(
            &o[ipv4::HEADER_LEN..],
            &s[ipv4::HEADER_LEN..],
            "{what}: expected the UDP header and payload byte-identical"
        );
        let u = UdpPacket::new_checked(ip.payload()).unwrap();
        assert_eq!(
            u.src_port(),
            FIRST_SPORT + i as u16,
            "{what}: expected the datagrams in the order sent"
        );
        assert!(
            u.verify_checksum(ip.src(), ip.dst()),
            "{what}: expected the UDP checksum still valid"
        );
    }

    // --- Counters.
    let bridge = port_stats(&report, "bridge");
    let ether1 = port_stats(&report, "ether1");
    let n_in = input.frames.len() as u64;
    assert_eq!(
        bridge.ipackets, n_in,
        "expected bridge to receive all {n_in} input frames"
    );
    assert_eq!(bridge.opackets, 4, "expected bridge to send the 4 answers");
    assert_eq!(
        ether1.opackets,
        input.forwarded.len() as u64,
        "expected ether1 to send only the forwarded datagrams"
    );
    assert_eq!(
        report.workers.rx_packets, n_in,
        "expected the worker to count all {n_in} received frames"
    );
    let bytes_in: u64 = input.frames.iter().map(|f| f.len() as u64).sum();
    assert_eq!(
        report.workers.rx_bytes, bytes_in,
        "expected the worker to count the {bytes_in} bytes of the received frames"
    );
    let bytes_out: u64 = input.forwarded.iter().map(|f| f.len() as u64).sum();
    assert_eq!(
        report.workers.tx_bytes - lan_out.iter().map(|f| f.len() as u64).sum::<u64>(),
        bytes_out,
        "expected the worker to count the {bytes_out} bytes it forwarded to ether1 (and the answers the control core sent through it)"
    );
    assert_eq!(
        report.workers.punted, 4,
        "expected 4 packets punted to the control core (ARP, ping, TTL 1, UDP to the router)"
    );
    let expected = [
        (DropReason::BadChecksum, 1),
        (DropReason::Malformed, 1),
        (DropReason::NotIpv4, 1),
        (DropReason::NotForUs, 1),
        (DropReason::TtlExceeded, 1),
        (DropReason::LocalUnhandled, 1),
    ];
    for (r, n) in expected {
        assert_eq!(
            total.dropped(r),
            n,
            "expected {n} drop(s) counted under {}; all drops: {:?}",
            r.name(),
            nonzero_drops(&total)
        );
    }
    let others: u64 = total.total_dropped() - expected.iter().map(|(_, n)| n).sum::<u64>();
    assert_eq!(
        others,
        0,
        "expected no drop under any other reason; all drops: {:?}",
        nonzero_drops(&total)
    );
    eprintln!("pcap_forward took {:?}", started.elapsed());
}
