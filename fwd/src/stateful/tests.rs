//! The stateful path on frames built as bytes, with the guide's PCC rules (configs/pcc.yaml)
//! compiled as the router compiles them. End to end on real hosts: tests/e2e/pcc.sh.

use super::*;
use crate::config::Config;
use crate::counters::NO_COUNTER;
use crate::fib::{Forwarding, Lpm, Neighbour, Neighbours, Nexthop, PortView, Snapshot};
use crate::firewall::{Marks, Resolver};
use crate::nat::PortRange;
use crate::net::{Ipv4Prefix, MacAddr};
use crate::packet::checksum;
use std::net::Ipv4Addr;
use std::sync::Arc;

const LAN: u16 = 0;
const WAN1: u16 = 1;
const WAN2: u16 = 2;
const NH_LOCAL: u32 = 0;
const NH_UNREACHABLE: u32 = 1;
const NH_LAN: u32 = 2;
const NH_GW1: u32 = 3;
const NH_GW2: u32 = 4;

const fn mac(last: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, last])
}
const HOST_MAC: MacAddr = mac(0x10);
const HOST_B_MAC: MacAddr = mac(0x11);

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

/// main: LAN connected, default via `main_default`; to_wan1 and to_wan2: a default route via
/// their gateway, or unusable (`NH_UNREACHABLE`, as when check-gateway failed).
fn snapshot(main_default: u32, wan1_table: u32, rules: RuleSet) -> Snapshot {
    let ports: Vec<PortView> = [("192.168.1.1", 1), ("203.0.113.2", 2), ("198.51.100.2", 3)]
        .iter()
        .map(|&(a, m)| PortView {
            mac: mac(m),
            mtu: 1500,
            enabled: true,
            addr: ip(a),
        })
        .collect();
    let nexthops = vec![
        Nexthop::Local,
        Nexthop::Unreachable,
        Nexthop::Connected { port: LAN },
        Nexthop::Gateway {
            port: WAN1,
            addr: ip("203.0.113.1"),
            mac: Some(mac(0x21)),
        },
        Nexthop::Gateway {
            port: WAN2,
            addr: ip("198.51.100.1"),
            mac: Some(mac(0x31)),
        },
    ];
    let p = |s: &str| s.parse::<Ipv4Prefix>().unwrap();
    let locals = vec![
        (p("192.168.1.1/32"), NH_LOCAL),
        (p("203.0.113.2/32"), NH_LOCAL),
        (p("198.51.100.2/32"), NH_LOCAL),
    ];
    let table = |default: u32, extra: &[(Ipv4Prefix, u32)]| {
        let mut v = locals.clone();
        v.push((p("0.0.0.0/0"), default));
        v.extend_from_slice(extra);
        Lpm::build(&v)
    };
    let main = table(main_default, &[(p("192.168.1.0/24"), NH_LAN)]);
    let mut fwd = Forwarding::direct(main, nexthops, &ports);
    fwd.fibs.push(Arc::new(table(wan1_table, &[])));
    fwd.fibs.push(Arc::new(table(NH_GW2, &[])));
    let mut neighbours = Neighbours::default();
    for (a, m) in [("192.168.1.10", HOST_MAC), ("192.168.1.11", HOST_B_MAC)] {
        neighbours.insert(ip(a), Neighbour { port: LAN, mac: m });
    }
    let mut s = Snapshot::empty(ports);
    s.fwd = Arc::new(fwd);
    s.neighbours = Arc::new(neighbours);
    s.rules = Arc::new(rules);
    s
}

/// The guide's PCC rules and masquerade, from configs/pcc.yaml.
fn pcc_rules() -> RuleSet {
    let text = include_str!("../../../configs/pcc.yaml");
    compile_rules(&Config::from_yaml_str(text, "pcc.yaml").unwrap())
}

/// The rules of `nat` (YAML flow mappings of /ip/firewall/nat) on the guide's interfaces.
fn nat_rules(nat: &[&str]) -> RuleSet {
    let mut yaml = String::from(
        "/interface/ethernet:\n  - { name: bridge, device: net_null0 }\n  - { name: ether1, device: net_null1 }\n  - { name: ether2, device: net_null2 }\n/ip/firewall/nat:\n",
    );
    for n in nat {
        yaml += &format!("  - {n}\n");
    }
    compile_rules(&Config::from_yaml_str(&yaml, "t.yaml").unwrap())
}

/// `cfg`'s mangle and NAT rules compiled as the router does, with ports bridge, ether1,
/// ether2 and routing tables main, to_wan1, to_wan2.
fn compile_rules(cfg: &Config) -> RuleSet {
    let port_of = |n: &str| {
        ["bridge", "ether1", "ether2"]
            .iter()
            .position(|p| *p == n)
            .map(|i| i as u16)
    };
    let table_of = |n: &str| {
        ["main", "to_wan1", "to_wan2"]
            .iter()
            .position(|t| *t == n)
            .map(|i| i as u8)
    };
    RuleSet::compile(
        &cfg.mangle,
        &cfg.nat,
        &cfg.interface_lists,
        &cfg.interface_list_members,
        &Resolver {
            port_of: &port_of,
            table_of: &table_of,
        },
        &mut Marks::new(),
        &mut Marks::new(),
    )
    .unwrap()
}

fn state(capacity: usize) -> Stateful {
    Stateful::new(capacity, &Timeouts::default(), 0, 1)
}

/// An Ethernet frame to `dst_mac` carrying UDP, checksums right.
fn udp(dst_mac: MacAddr, src: &str, sport: u16, dst: &str, dport: u16) -> Vec<u8> {
    let payload = b"wanfwd";
    let ulen = 8 + payload.len();
    let tlen = 20 + ulen;
    let mut f = vec![0u8; 14 + tlen];
    f[0..6].copy_from_slice(&dst_mac.0);
    f[6..12].copy_from_slice(&mac(0x99).0);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let h = &mut f[14..34];
    h[0] = 0x45;
    h[2..4].copy_from_slice(&(tlen as u16).to_be_bytes());
    h[8] = 64;
    h[9] = PROTO_UDP;
    h[12..16].copy_from_slice(&ip(src).to_be_bytes());
    h[16..20].copy_from_slice(&ip(dst).to_be_bytes());
    let c = checksum::checksum(h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    let u = &mut f[34..];
    u[0..2].copy_from_slice(&sport.to_be_bytes());
    u[2..4].copy_from_slice(&dport.to_be_bytes());
    u[4..6].copy_from_slice(&(ulen as u16).to_be_bytes());
    u[8..].copy_from_slice(payload);
    let c = udp_checksum(&f);
    f[40..42].copy_from_slice(&c.to_be_bytes());
    f
}

/// The UDP checksum computed from scratch (with the field zeroed).
fn udp_checksum(f: &[u8]) -> u16 {
    let mut seg = f[34..].to_vec();
    seg[6] = 0;
    seg[7] = 0;
    let src = Ipv4Addr::from(u32::from_be_bytes(f[26..30].try_into().unwrap()));
    let dst = Ipv4Addr::from(u32::from_be_bytes(f[30..34].try_into().unwrap()));
    let c = !checksum::fold(checksum::sum(
        &seg,
        checksum::pseudo_header_sum(src, dst, PROTO_UDP, seg.len() as u16),
    ));
    if c == 0 {
        0xffff
    } else {
        c
    }
}

fn src_of(f: &[u8]) -> (u32, u16) {
    (
        u32::from_be_bytes(f[26..30].try_into().unwrap()),
        u16::from_be_bytes([f[34], f[35]]),
    )
}
fn dst_of(f: &[u8]) -> (u32, u16) {
    (
        u32::from_be_bytes(f[30..34].try_into().unwrap()),
        u16::from_be_bytes([f[36], f[37]]),
    )
}

/// Both checksums of a forwarded frame are what a from-scratch computation gives.
fn assert_checksums(f: &[u8]) {
    assert_eq!(checksum::checksum(&f[14..34]), 0, "IPv4 header checksum");
    assert_eq!(
        u16::from_be_bytes([f[40], f[41]]),
        udp_checksum(f),
        "UDP checksum"
    );
}

fn run(f: &mut [u8], in_port: u16, snap: &Snapshot, st: &mut Stateful) -> Verdict {
    process(f, in_port, None, &snap.tables(), &snap.rules, st, 1_000)
}

/// Sizes the rule counters for `snap`'s rules, as the worker does every round.
fn follow(st: &mut Stateful, snap: &Snapshot, routes: &mut crate::counters::RouteCounters) {
    st.rules.follow(&snap.rules, snap.generation, routes);
}

/// Counts a verdict as the worker does; returns its port if forwarded.
fn count(v: Verdict, len: usize, c: &mut crate::counters::RouteCounters) -> Option<u16> {
    match v {
        Verdict::Forward { port, counter } => {
            c.count(counter, 1, len as u64);
            Some(port)
        }
        _ => None,
    }
}

/// Packets per mangle item so far: those the rules decided and those of the rule classes
/// counted in `routes`.
fn mangle_packets(st: &Stateful, routes: &crate::counters::RouteCounters) -> Vec<u64> {
    st.rules.totals(routes).0.iter().map(|c| c[0]).collect()
}

/// The WAN (port, address) PCC sends a LAN flow to, found by sending it.
fn wan_of(sport: u16, snap: &Snapshot, st: &mut Stateful) -> (u16, u32) {
    let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
    let Verdict::Forward { port, .. } = run(&mut f, LAN, snap, st) else {
        panic!("not forwarded");
    };
    (port, src_of(&f).0)
}

#[test]
fn new_flow_is_masqueraded_by_its_pcc_wan_and_replies_come_back() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(1024);
    let mut seen = [0usize; 3];
    for sport in 20000..20064u16 {
        let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        let v = run(&mut f, LAN, &snap, &mut st);
        let Verdict::Forward { port, .. } = v else {
            panic!("{v:?}");
        };
        seen[usize::from(port)] += 1;
        let wan_addr = snap.ports[usize::from(port)].addr;
        assert_eq!(src_of(&f), (wan_addr, sport), "masqueraded, port kept");
        assert_eq!(f[22], 63, "TTL decremented");
        assert_checksums(&f);
        // Every later packet of the flow takes the same way, with the same translation.
        let mut again = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        assert_eq!(
            run(&mut again, LAN, &snap, &mut st),
            Verdict::Forward {
                port,
                counter: NO_COUNTER
            }
        );
        assert_eq!(src_of(&again), (wan_addr, sport));
        // The reply to the WAN address goes back to the LAN host, de-translated.
        let wan_ip = Ipv4Addr::from(wan_addr).to_string();
        let mut reply = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan_ip, sport);
        assert_eq!(
            run(&mut reply, port, &snap, &mut st),
            Verdict::Forward {
                port: LAN,
                counter: NO_COUNTER
            }
        );
        assert_eq!(dst_of(&reply), (ip("192.168.1.10"), sport));
        assert_eq!(reply[0..6], HOST_MAC.0);
        assert_checksums(&reply);
    }
    assert!(
        seen[1] >= 16 && seen[2] >= 16,
        "PCC splits both ways: {seen:?}"
    );
    assert_eq!(st.conns.len(), 64);
    let marked = st.conns.iter().filter(|(_, c)| c.mark() != 0).count();
    assert_eq!(marked, 64, "every LAN connection has a connection mark");
    assert!(st.conns.iter().all(|(_, c)| c.seen_reply()));
}

#[test]
fn a_marked_flow_whose_table_is_unusable_falls_back_to_main() {
    // ISP1 failed: to_wan1 has no usable route, and main's default goes by ISP2.
    let snap = snapshot(NH_GW2, NH_UNREACHABLE, pcc_rules());
    let mut st = state(1024);
    let mut ports = Vec::new();
    for sport in 30000..30032u16 {
        let (port, addr) = wan_of(sport, &snap, &mut st);
        assert_eq!((port, addr), (WAN2, ip("198.51.100.2")));
        ports.push(port);
    }
    // Half of them carry wan1's mark, yet all left by ISP2.
    let marks: std::collections::HashSet<u16> = st.conns.iter().map(|(_, c)| c.mark()).collect();
    assert_eq!(marks.len(), 2, "both PCC marks were given");
}

#[test]
fn unsolicited_traffic_to_the_wan_address_is_the_routers() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(16);
    let mut f = udp(mac(2), "192.0.2.100", 53, "203.0.113.2", 40000);
    assert_eq!(
        run(&mut f, WAN1, &snap, &mut st),
        Verdict::Punt(Punt::Local)
    );
    assert!(st.conns.is_empty());
}

#[test]
fn the_same_source_port_from_two_hosts_gets_two_translations() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(64);
    // Find a source port whose flows from both hosts PCC sends the same way.
    for sport in 1000..1100u16 {
        let mut a = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        let mut b = udp(mac(1), "192.168.1.11", sport, "192.0.2.100", 53);
        let (va, vb) = (
            run(&mut a, LAN, &snap, &mut st),
            run(&mut b, LAN, &snap, &mut st),
        );
        if va == vb {
            assert_eq!(src_of(&a).0, src_of(&b).0);
            assert_eq!(src_of(&a).1, sport, "the first keeps its port");
            assert_ne!(src_of(&b).1, sport, "the second gets another");
            assert_checksums(&b);
            return;
        }
    }
    panic!("no port sent both hosts the same way");
}

#[test]
fn a_full_table_refuses_new_connections_and_keeps_the_old() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(4);
    for sport in 1..=4u16 {
        wan_of(sport, &snap, &mut st);
    }
    let mut f = udp(mac(1), "192.168.1.10", 5, "192.0.2.100", 53);
    assert_eq!(
        run(&mut f, LAN, &snap, &mut st),
        Verdict::Drop(DropReason::ConntrackFull)
    );
    let mut old = udp(mac(1), "192.168.1.10", 2, "192.0.2.100", 53);
    assert!(matches!(
        run(&mut old, LAN, &snap, &mut st),
        Verdict::Forward { .. }
    ));
}

#[test]
fn a_stray_tcp_reset_opens_nothing() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(16);
    let mut f = udp(mac(1), "192.168.1.10", 999, "192.0.2.100", 80);
    // Make it a TCP header with RST only: protocol, then a 20-byte TCP header in the payload
    // (checksums are not checked on this path before tracking).
    f.resize(14 + 20 + 20, 0);
    f[16..18].copy_from_slice(&40u16.to_be_bytes());
    f[23] = PROTO_TCP;
    f[24] = 0;
    f[25] = 0;
    let c = checksum::checksum(&f[14..34]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
    f[46] = 0x50;
    f[47] = 0x04;
    assert_eq!(
        run(&mut f, LAN, &snap, &mut st),
        Verdict::Drop(DropReason::ConntrackInvalid)
    );
    assert!(st.conns.is_empty());
}

#[test]
fn an_icmp_error_about_a_translated_flow_reaches_the_lan_host() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(16);
    let (port, wan_addr) = wan_of(33000, &snap, &mut st);
    // What left: 203.0.113.2:33000 -> 192.0.2.100:53 (or ISP2's address).
    let mut sent = udp(mac(1), "192.168.1.10", 33000, "192.0.2.100", 53);
    run(&mut sent, LAN, &snap, &mut st);
    let quoted = sent[14..14 + 28].to_vec();
    let gw = if port == WAN1 {
        "203.0.113.1"
    } else {
        "198.51.100.1"
    };
    // ICMP time exceeded from the ISP's gateway to the WAN address, quoting it.
    let tlen = 20 + 8 + quoted.len();
    let mut e = vec![0u8; 14 + tlen];
    e[0..6].copy_from_slice(&mac(port as u8 + 1).0);
    e[12..14].copy_from_slice(&[0x08, 0x00]);
    e[14] = 0x45;
    e[16..18].copy_from_slice(&(tlen as u16).to_be_bytes());
    e[22] = 64;
    e[23] = PROTO_ICMP;
    e[26..30].copy_from_slice(&ip(gw).to_be_bytes());
    e[30..34].copy_from_slice(&wan_addr.to_be_bytes());
    let c = checksum::checksum(&e[14..34]);
    e[24..26].copy_from_slice(&c.to_be_bytes());
    e[34] = 11;
    e[42..].copy_from_slice(&quoted);
    let c = checksum::checksum(&e[34..]);
    e[36..38].copy_from_slice(&c.to_be_bytes());
    assert_eq!(
        run(&mut e, port, &snap, &mut st),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    assert_eq!(
        u32::from_be_bytes(e[30..34].try_into().unwrap()),
        ip("192.168.1.10")
    );
    // The quoted packet is what the LAN host sent: its own source back.
    assert_eq!(
        u32::from_be_bytes(e[54..58].try_into().unwrap()),
        ip("192.168.1.10")
    );
    assert_eq!(checksum::checksum(&e[14..34]), 0);
    assert_eq!(checksum::checksum(&e[34..]), 0, "ICMP checksum");
    assert_eq!(checksum::checksum(&e[42..62]), 0, "quoted header checksum");
}

#[test]
fn without_rules_nothing_is_tracked_and_the_plain_path_is_used() {
    assert!(!RuleSet::empty().active());
    assert!(pcc_rules().active());
}

#[test]
fn both_directions_of_a_translated_connection_belong_to_one_worker() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut workers: Vec<Stateful> = (0..2)
        .map(|w| Stateful::new(4096, &Timeouts::default(), w, 2))
        .collect();
    let mut owned = [0usize; 2];
    for i in 0..400u32 {
        let src = Ipv4Addr::from(ip("192.168.1.10") + (i % 2)).to_string();
        let sport = 1000 + (i as u16) * 7;
        let mut f = udp(mac(1), &src, sport, "192.0.2.100", 53);
        let w = workers[0].owner(&f[14..], LAN, &snap.tables(), 0);
        assert_eq!(
            w,
            workers[1].owner(&f[14..], LAN, &snap.tables(), 0),
            "every worker agrees"
        );
        owned[w] += 1;
        let Verdict::Forward { port, .. } = run(&mut f, LAN, &snap, &mut workers[w]) else {
            panic!("not forwarded");
        };
        let (addr, nat_port) = src_of(&f);
        assert_eq!(
            (nat::port_owner(nat_port, 2), nat_port >= 1024),
            (w, true),
            "translated into the owner's share of 1024-65535"
        );
        let wan = Ipv4Addr::from(addr).to_string();
        let mut reply = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, nat_port);
        assert_eq!(
            workers[1 - w].owner(&reply[14..], port, &snap.tables(), 0),
            w,
            "reply goes to the owner"
        );
        assert_eq!(
            run(&mut reply, port, &snap, &mut workers[w]),
            Verdict::Forward {
                port: LAN,
                counter: NO_COUNTER
            }
        );
        assert_eq!(dst_of(&reply), (ip(&src), sport));
    }
    assert!(
        owned[0] > 100 && owned[1] > 100,
        "connections spread: {owned:?}"
    );
}

#[test]
fn the_symmetric_hash_is_the_same_both_ways() {
    for i in 0..1000u32 {
        let k = crate::flow::FlowKey {
            src: i.wrapping_mul(2_654_435_761),
            dst: i ^ 0x0a00_0001,
            sport: i as u16,
            dport: (i >> 3) as u16,
            proto: PROTO_TCP,
        };
        assert_eq!(symmetric_hash(&k), symmetric_hash(&k.reversed()));
    }
}

#[test]
fn cached_decisions_follow_the_snapshot_and_never_outlive_their_connection() {
    let rules = pcc_rules();
    let snap = snapshot(NH_GW1, NH_GW1, rules.clone());
    // A source port that PCC sends the same way from both LAN hosts.
    let same_way = |sport: u16| {
        let mut st = state(4);
        let mut a = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        let mut b = udp(mac(1), "192.168.1.11", sport, "192.0.2.100", 53);
        run(&mut a, LAN, &snap, &mut st) == run(&mut b, LAN, &snap, &mut st)
    };
    let sport = (5000..5100)
        .find(|p| same_way(*p))
        .expect("a port both hosts share");
    let mut st = state(1);
    // One connection fills the table; its reply direction gets a cached decision.
    let (port, addr) = wan_of(sport, &snap, &mut st);
    let wan = Ipv4Addr::from(addr).to_string();
    for _ in 0..2 {
        let mut r = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, sport);
        assert_eq!(
            run(&mut r, port, &snap, &mut st),
            Verdict::Forward {
                port: LAN,
                counter: NO_COUNTER
            }
        );
        assert_eq!(r[0..6], HOST_MAC.0);
    }
    // The same connection id now serves the other LAN host with the same ports.
    st.conns.retain(|_| false);
    let mut f = udp(mac(1), "192.168.1.11", sport, "192.0.2.100", 53);
    assert_eq!(
        run(&mut f, LAN, &snap, &mut st),
        Verdict::Forward {
            port,
            counter: NO_COUNTER
        }
    );
    assert_eq!(src_of(&f), (addr, sport));
    let mut r = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, sport);
    assert_eq!(
        run(&mut r, port, &snap, &mut st),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    assert_eq!(r[0..6], HOST_B_MAC.0, "not the previous connection's host");
    assert_eq!(dst_of(&r), (ip("192.168.1.11"), sport));
    // A new snapshot (ISP1 failed: main and to_wan1 both by ISP2) is followed at once.
    let mut failed = snapshot(NH_GW2, NH_UNREACHABLE, rules);
    failed.generation = 7;
    for _ in 0..2 {
        let mut again = udp(mac(1), "192.168.1.11", sport, "192.0.2.100", 53);
        // (The second under the class of its route and rules: see `cached.rs`.)
        assert!(matches!(
            run(&mut again, LAN, &failed, &mut st),
            Verdict::Forward { port: WAN2, .. }
        ));
    }
}

#[test]
fn a_big_table_is_listed_in_chunks_each_connection_once() {
    use super::command::{WorkerCmd, LIST_CHUNK};
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let n = LIST_CHUNK + 100;
    let mut st = state(n);
    for i in 0..n {
        let mut f = udp(mac(1), "192.168.1.10", 1000 + i as u16, "192.0.2.100", 53);
        assert!(matches!(
            run(&mut f, LAN, &snap, &mut st),
            Verdict::Forward { .. }
        ));
    }
    let mut seen = Vec::new();
    let mut from = Some(0);
    let mut chunks = 0;
    while let Some(start) = from {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        st.serve(
            WorkerCmd::List {
                from: start,
                reply: tx,
            },
            0,
            &Default::default(),
        );
        let list = rx.recv().unwrap();
        assert!(list.conns.len() <= LIST_CHUNK);
        seen.extend(list.conns.iter().map(|(id, _)| *id));
        from = list.next;
        chunks += 1;
    }
    assert_eq!(chunks, 2);
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (n, n));
}

/// A UDP frame in two fragments, identification `ident`: the UDP header, then the rest.
fn split(f: &[u8], ident: u16) -> (Vec<u8>, Vec<u8>) {
    let frag = |flags_offset: u16, data: &[u8]| {
        let mut g = f[..34].to_vec();
        g.extend_from_slice(data);
        g[16..18].copy_from_slice(&((20 + data.len()) as u16).to_be_bytes());
        g[18..20].copy_from_slice(&ident.to_be_bytes());
        g[20..22].copy_from_slice(&flags_offset.to_be_bytes());
        g[24..26].copy_from_slice(&[0, 0]);
        let c = checksum::checksum(&g[14..34]);
        g[24..26].copy_from_slice(&c.to_be_bytes());
        g
    };
    (frag(0x2000, &f[34..42]), frag(1, &f[42..]))
}

/// The datagram of two fragments from `split`, as the receiver reassembles it.
fn join(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut g = a.to_vec();
    g.extend_from_slice(&b[34..]);
    let tlen = (g.len() - 14) as u16;
    g[16..18].copy_from_slice(&tlen.to_be_bytes());
    g[20..22].copy_from_slice(&[0, 0]);
    g[24..26].copy_from_slice(&[0, 0]);
    let c = checksum::checksum(&g[14..34]);
    g[24..26].copy_from_slice(&c.to_be_bytes());
    g
}

#[test]
fn fragments_follow_their_first_fragment_both_ways_without_reassembly() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(64);
    let whole = udp(mac(1), "192.168.1.10", 4000, "192.0.2.100", 53);
    let (mut a, mut b) = split(&whole, 0x1234);
    let Verdict::Forward { port, counter } = run(&mut a, LAN, &snap, &mut st) else {
        panic!("first fragment not forwarded");
    };
    assert_eq!(
        run(&mut b, LAN, &snap, &mut st),
        Verdict::Forward { port, counter },
        "the later fragment takes the same way, counted alike"
    );
    let wan = snap.ports[usize::from(port)].addr;
    assert_eq!(src_of(&a), (wan, 4000), "masqueraded, port kept");
    assert_eq!(&b[26..30], &wan.to_be_bytes(), "the later one too");
    for f in [&a, &b] {
        assert_eq!(checksum::checksum(&f[14..34]), 0, "IPv4 header checksum");
        assert_eq!(f[22], 63, "TTL decremented");
    }
    assert_checksums(&join(&a, &b));
    assert_eq!(st.conns.len(), 1, "one connection for the datagram");

    // A later fragment whose first one was never seen is dropped.
    let (_, mut stray) = split(&whole, 0x4321);
    assert_eq!(
        run(&mut stray, LAN, &snap, &mut st),
        Verdict::Drop(DropReason::Fragment)
    );

    // The reply, fragmented too, comes back de-translated.
    let wan_ip = Ipv4Addr::from(wan).to_string();
    let reply = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan_ip, 4000);
    let (mut a, mut b) = split(&reply, 0x0777);
    assert_eq!(
        run(&mut a, port, &snap, &mut st),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    assert_eq!(
        run(&mut b, port, &snap, &mut st),
        Verdict::Forward {
            port: LAN,
            counter: NO_COUNTER
        }
    );
    assert_eq!(dst_of(&a), (ip("192.168.1.10"), 4000));
    assert_eq!(&b[30..34], &ip("192.168.1.10").to_be_bytes());
    assert_checksums(&join(&a, &b));
}

#[test]
fn a_datagrams_fragments_belong_to_its_connections_owner() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut workers: Vec<Stateful> = (0..2)
        .map(|w| Stateful::new(4096, &Timeouts::default(), w, 2))
        .collect();
    for i in 0..64u16 {
        let whole = udp(mac(1), "192.168.1.10", 5000 + i * 11, "192.0.2.100", 53);
        let owner = workers[0].owner(&whole[14..], LAN, &snap.tables(), 0);
        let (a, b) = split(&whole, i);
        // The worker that receives the fragments (here worker 0) sends both to the owner.
        assert_eq!(workers[0].owner(&a[14..], LAN, &snap.tables(), 0), owner);
        assert_eq!(workers[0].owner(&b[14..], LAN, &snap.tables(), 0), owner);
    }
}
mod burst;
mod cached;
mod counters;
mod rss;
mod to_ports;
