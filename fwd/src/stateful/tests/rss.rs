//! NAT port choice and ownership on devices with RSS, simulated: the devices are
//! `rss::Steering` models (the symmetric key wanfwd programs, the drivers' default or a
//! shuffled RETA), and "the NIC delivers the packet to queue q" is `Steering::queue`. No RSS
//! NIC was involved; the model itself is checked against Microsoft's vectors and rte_softrss
//! in rss/tests.rs.

use super::*;
use crate::packet::ipv4::PROTO_ICMP;
use crate::rng::Rng;
use crate::rss::{Fields, Hashing, RssPorts, Steering};

const SYM_KEY: [u8; 40] = [
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
];

/// TCP and UDP by addresses and ports, ICMP by addresses: what wanfwd asks of devices.
const HASHING: Hashing = Hashing {
    tcp: Fields::L4,
    udp: Fields::L4,
    other: Fields::L3,
};

/// A RETA of `size` entries over `queues` queues: the drivers' default, or shuffled.
fn reta(size: usize, queues: u16, shuffle: Option<&mut Rng>) -> Vec<u16> {
    let mut r = Steering::default_reta(size, queues);
    if let Some(rng) = shuffle {
        for i in (1..r.len()).rev() {
            r.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
    }
    r
}

/// `n` workers whose ports steer as `steer` says (by port: LAN, WAN1, WAN2).
fn workers(n: usize, steer: [Option<&Steering>; 3]) -> Vec<Stateful> {
    let rss = RssPorts::new(steer.iter().map(|s| s.cloned()).collect());
    (0..n)
        .map(|w| {
            let mut st = Stateful::new(4096, &Timeouts::default(), w, n);
            st.rss = rss.clone();
            st
        })
        .collect()
}

fn key_of(f: &[u8]) -> crate::flow::FlowKey {
    match nat::classify(&f[14..]) {
        Class::Flow { key, .. } => key,
        c => panic!("not a flow: {c:?}"),
    }
}

#[test]
fn translated_replies_arrive_at_the_worker_that_owns_them() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let t = snap.tables();
    let mut rng = Rng(42);
    for n in [2usize, 4, 8] {
        let s = Steering::new(&SYM_KEY, &reta(128, n as u16, None), HASHING).unwrap();
        let mut ws = workers(n, [Some(&s); 3]);
        let (mut kept, mut owned) = (0, vec![0u32; n]);
        for _ in 0..3000 {
            let src = ["192.168.1.10", "192.168.1.11"][(rng.next() & 1) as usize];
            let sport = 1024 + (rng.next() % 60000) as u16;
            let dst = Ipv4Addr::from(0x0a00_0000 | (rng.u32() & 0xff_ffff)).to_string();
            let dport = 1 + rng.next() as u16 % 65000;
            let mut f = udp(mac(1), src, sport, &dst, dport);
            // The NIC on the LAN port delivers it to queue q; that worker owns it.
            let q = usize::from(s.queue(&key_of(&f)));
            for st in &mut ws {
                assert_eq!(st.owner(&f[14..], LAN, &t, 0), q, "every worker agrees");
            }
            owned[q] += 1;
            let Verdict::Forward { port, .. } = run(&mut f, LAN, &snap, &mut ws[q]) else {
                panic!("not forwarded");
            };
            let (addr, nat_port) = src_of(&f);
            // The source port is kept exactly when its reply already comes back here.
            let fits = s.replies(ip(&dst), dport, addr).queue(sport);
            assert_eq!(nat_port == sport, usize::from(fits) == q);
            kept += usize::from(nat_port == sport);
            let wan = Ipv4Addr::from(addr).to_string();
            let mut reply = udp(mac(port as u8 + 1), &dst, dport, &wan, nat_port);
            // The NIC on the WAN port steers the reply to the translating worker's queue...
            assert_eq!(usize::from(s.queue(&key_of(&reply))), q, "{n} queues");
            // ...which every worker takes for the owner: nobody hands it over.
            for st in &mut ws {
                assert_eq!(st.owner(&reply[14..], port, &t, 0), q);
            }
            assert!(matches!(
                run(&mut reply, port, &snap, &mut ws[q]),
                Verdict::Forward { port: LAN, .. }
            ));
            assert_eq!(dst_of(&reply), (ip(src), sport));
            assert_checksums(&reply);
        }
        // How often depends on the addresses (Toeplitz is linear: the reply's hash differs
        // from the original's by the LAN and WAN addresses' part), but it happens.
        assert!(kept > 0, "{n} queues: no source port kept");
        assert!(owned.iter().all(|&c| c > 3000 / n as u32 / 2), "{owned:?}");
    }
}

#[test]
fn every_port_picked_maps_to_the_picking_worker_through_the_reta() {
    let mut rng = Rng(7);
    for queues in [2u16, 4, 8] {
        for size in [64usize, 128, 512] {
            let r = reta(size, queues, Some(&mut rng));
            let s = Steering::new(&SYM_KEY, &r, HASHING).unwrap();
            for _ in 0..300 {
                let (remote, rport, local) = (rng.u32(), rng.next() as u16, rng.u32());
                let me = (rng.next() % u64::from(queues)) as usize;
                let replies = s.replies(remote, rport, local);
                let fits = |p: u16| usize::from(replies.queue(p)) == me;
                // Some ports are taken: the picker must skip them too.
                let taken = |p: u16| p.is_multiple_of(3);
                let preferred = rng.next() as u16;
                let p = nat::pick_port_fitting(
                    preferred,
                    PortRange::ALL,
                    rng.u32(),
                    fits,
                    |p| !taken(p),
                    64,
                    4096,
                )
                .expect("a port");
                let k = crate::flow::FlowKey {
                    src: remote,
                    dst: local,
                    sport: rport,
                    dport: p,
                    proto: PROTO_TCP,
                };
                assert_eq!(usize::from(s.queue(&k)), me, "{queues} queues, RETA {size}");
                assert!(!taken(p));
                if fits(preferred) && !taken(preferred) && preferred != 0 {
                    assert_eq!(p, preferred, "the source port is kept when it fits");
                }
            }
        }
    }
}

#[test]
fn an_exhausted_port_range_refuses_the_connection_and_counts_it() {
    // src-nat to 16 ports: for one remote address and port, about 16 / 4 of them send their
    // reply to a given worker's queue; once those are used, the next connection is refused.
    let rules = nat_rules(&[
        "{ chain: srcnat, action: src-nat, to-addresses: 203.0.113.2, to-ports: 2000-2015, out-interface: ether1 }",
    ]);
    let snap = snapshot(NH_GW1, NH_GW1, rules);
    let s = Steering::new(&SYM_KEY, &reta(128, 4, None), HASHING).unwrap();
    let me = 1;
    let mut ws = workers(4, [None, Some(&s), None]);
    let replies = s.replies(ip("192.0.2.100"), 53, ip("203.0.113.2"));
    let fitting: Vec<u16> = (2000..=2015)
        .filter(|&p| usize::from(replies.queue(p)) == me)
        .collect();
    assert!(!fitting.is_empty() && fitting.len() < 16, "{fitting:?}");
    let mut got = Vec::new();
    for sport in 40000..40000 + fitting.len() as u16 {
        let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        assert!(matches!(
            run(&mut f, LAN, &snap, &mut ws[me]),
            Verdict::Forward { port: WAN1, .. }
        ));
        got.push(src_of(&f).1);
    }
    got.sort_unstable();
    assert_eq!(
        got, fitting,
        "exactly the ports whose replies come to this worker"
    );
    let mut f = udp(mac(1), "192.168.1.10", 41000, "192.0.2.100", 53);
    assert_eq!(
        run(&mut f, LAN, &snap, &mut ws[me]),
        Verdict::Drop(DropReason::NatNoPort)
    );
    // Another remote port is another set of replies: it still finds room.
    let mut f = udp(mac(1), "192.168.1.10", 41001, "192.0.2.100", 54);
    let v = run(&mut f, LAN, &snap, &mut ws[me]);
    let other = s.replies(ip("192.0.2.100"), 54, ip("203.0.113.2"));
    if (2000..=2015).any(|p| usize::from(other.queue(p)) == me) {
        assert!(matches!(v, Verdict::Forward { port: WAN1, .. }));
        assert_eq!(usize::from(other.queue(src_of(&f).1)), me);
    } else {
        assert_eq!(v, Verdict::Drop(DropReason::NatNoPort));
    }
}

#[test]
fn the_fitting_search_is_bounded_and_gives_up_cleanly() {
    let mut free_calls = 0;
    let mut fit_calls = std::cell::Cell::new(0);
    let none = nat::pick_port_fitting(
        5000,
        PortRange::ALL,
        1,
        |_| {
            fit_calls.set(fit_calls.get() + 1);
            false
        },
        |_| {
            free_calls += 1;
            true
        },
        64,
        4096,
    );
    assert_eq!(none, None);
    assert_eq!(free_calls, 0, "nothing fits: no table lookup");
    assert_eq!(
        *fit_calls.get_mut(),
        4097,
        "the preferred port, then the walk"
    );
    // Everything fits, nothing is free: 64 lookups, then no.
    let mut free_calls = 0;
    let none = nat::pick_port_fitting(
        0,
        PortRange::ALL,
        1,
        |_| true,
        |_| {
            free_calls += 1;
            false
        },
        64,
        4096,
    );
    assert_eq!((none, free_calls), (None, 64));
}

#[test]
fn ownership_follows_the_predicted_queue_on_rss_ports_and_the_port_elsewhere() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let t = snap.tables();
    let n = 4;
    let s = Steering::new(&SYM_KEY, &reta(128, n as u16, None), HASHING).unwrap();
    // ether1 has RSS; ether2 (say net_af_packet) has none.
    let mut ws = workers(n, [Some(&s), Some(&s), None]);
    let mut plain = workers(n, [None, None, None]);
    let owner_of = |p: u16| nat::port_owner(p, n);
    let mut differ = 0;
    for p in (1024..65535u16).step_by(97) {
        let on_wan1 = udp(mac(2), "192.0.2.7", 443, "203.0.113.2", p);
        let q = usize::from(s.queue(&key_of(&on_wan1)));
        assert_eq!(ws[0].owner(&on_wan1[14..], WAN1, &t, 0), q, "by queue");
        assert_eq!(
            plain[0].owner(&on_wan1[14..], WAN1, &t, 0),
            owner_of(p),
            "no RSS: by port"
        );
        differ += usize::from(q != owner_of(p));
        let on_wan2 = udp(mac(3), "192.0.2.7", 443, "198.51.100.2", p);
        assert_eq!(
            ws[0].owner(&on_wan2[14..], WAN2, &t, 0),
            owner_of(p),
            "by port"
        );
    }
    assert!(
        differ > 100,
        "the two rules differ, so the test tells them apart: {differ}"
    );
    // ICMP is hashed by its addresses: its ids cannot steer, so echo replies go by port.
    let mut echo = udp(mac(2), "192.0.2.7", 0, "203.0.113.2", 0);
    echo[23] = PROTO_ICMP;
    let icmp = &mut echo[34..42];
    icmp.copy_from_slice(&[0, 0, 0, 0, 0x9c, 0x40, 0, 1]); // echo reply, id 40000
    let k = key_of(&echo);
    assert_eq!((k.proto, k.dport), (PROTO_ICMP, 40000));
    assert_eq!(ws[0].owner(&echo[14..], WAN1, &t, 0), owner_of(40000));
}

#[test]
fn translations_out_of_a_port_without_rss_keep_to_the_workers_share() {
    let snap = snapshot(NH_GW2, NH_GW2, pcc_rules());
    let n = 4;
    let s = Steering::new(&SYM_KEY, &reta(128, n as u16, None), HASHING).unwrap();
    let mut ws = workers(n, [Some(&s), Some(&s), None]);
    let t = snap.tables();
    let mut via_wan2 = 0;
    for sport in 20000..20400u16 {
        let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
        let w = ws[0].owner(&f[14..], LAN, &t, 0);
        let Verdict::Forward { port, .. } = run(&mut f, LAN, &snap, &mut ws[w]) else {
            panic!("not forwarded");
        };
        let (addr, nat_port) = src_of(&f);
        let reply = udp(
            mac(port as u8 + 1),
            "192.0.2.100",
            53,
            &Ipv4Addr::from(addr).to_string(),
            nat_port,
        );
        if port == WAN2 {
            via_wan2 += 1;
            assert!(
                nat::port_owner(nat_port, n) == w && nat_port >= 1024,
                "the share of worker {w}: {nat_port}"
            );
        } else {
            assert_eq!(usize::from(s.queue(&key_of(&reply))), w);
        }
        assert_eq!(ws[(w + 1) % n].owner(&reply[14..], port, &t, 0), w);
    }
    assert!(via_wan2 > 100, "PCC sends some out of ether2: {via_wan2}");
}
