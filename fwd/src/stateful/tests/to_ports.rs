//! `to-ports` of src-nat and masquerade with several workers on devices without RSS: every
//! port a worker translates to is one whose reply [`Stateful::owner`] gives back to it, so
//! the reply finds the connection (design invariant 2).

use super::*;

/// `n` workers on devices without RSS, as the router makes them.
fn workers(n: usize) -> Vec<Stateful> {
    (0..n)
        .map(|w| Stateful::new(4096, &Timeouts::default(), w, n))
        .collect()
}

/// Opens `count` connections from the LAN, each on the worker that owns it, and checks that
/// the reply to each is owned by that worker and de-translated by it. Returns per connection
/// (worker, source port, translated address and port).
fn open_and_answer(
    snap: &Snapshot,
    ws: &mut [Stateful],
    count: u16,
) -> Vec<(usize, u16, u32, u16)> {
    let t = snap.tables();
    let mut out = Vec::new();
    for i in 0..count {
        let src = ["192.168.1.10", "192.168.1.11"][usize::from(i % 2)];
        let sport = 20000 + i * 13;
        let mut f = udp(mac(1), src, sport, "192.0.2.100", 53);
        let w = ws[0].owner(&f[14..], LAN, &t, 0);
        let v = run(&mut f, LAN, snap, &mut ws[w]);
        let Verdict::Forward { port, .. } = v else {
            panic!("worker {w} of {}: {v:?}", ws.len());
        };
        assert_checksums(&f);
        let (addr, nat_port) = src_of(&f);
        let wan = Ipv4Addr::from(addr).to_string();
        let mut reply = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, nat_port);
        for (other, st) in ws.iter_mut().enumerate() {
            assert_eq!(
                st.owner(&reply[14..], port, &t, 0),
                w,
                "{} workers: the reply to port {nat_port} (asked worker {other})",
                ws.len()
            );
        }
        assert_eq!(
            run(&mut reply, port, snap, &mut ws[w]),
            Verdict::Forward {
                port: LAN,
                counter: NO_COUNTER
            }
        );
        assert_eq!(dst_of(&reply), (ip(src), sport));
        assert_checksums(&reply);
        out.push((w, sport, addr, nat_port));
    }
    out
}

#[test]
fn src_nat_to_ports_replies_come_back_to_the_translating_worker() {
    let rule = "{ chain: srcnat, action: src-nat, to-addresses: 203.0.113.2, to-ports: 20000-29999, out-interface: ether1 }";
    let snap = snapshot(NH_GW1, NH_GW1, nat_rules(&[rule]));
    for n in [2, 4] {
        let mut ws = workers(n);
        let conns = open_and_answer(&snap, &mut ws, 600);
        let mut per_worker = vec![0; n];
        let mut taken = std::collections::HashSet::new();
        for &(w, sport, addr, nat_port) in &conns {
            assert_eq!(addr, ip("203.0.113.2"));
            assert!((20000..=29999).contains(&nat_port), "{nat_port}");
            // Every source port is in to-ports: kept where the worker owns it and no earlier
            // connection to the same remote was translated to it.
            let keep = nat::port_owner(sport, n) == w && !taken.contains(&sport);
            assert_eq!(
                nat_port == sport,
                keep,
                "{n} workers, worker {w}, port {sport}"
            );
            taken.insert(nat_port);
            per_worker[w] += 1;
        }
        assert!(
            per_worker.iter().all(|&c| c > 600 / n / 2),
            "{n} workers all translate: {per_worker:?}"
        );
    }
}

#[test]
fn masquerade_to_ports_replies_come_back_to_the_translating_worker() {
    let rule =
        "{ chain: srcnat, action: masquerade, to-ports: 10000-10999, out-interface: ether1 }";
    let snap = snapshot(NH_GW1, NH_GW1, nat_rules(&[rule]));
    for n in [1, 2, 4] {
        let mut ws = workers(n);
        for (w, _, addr, nat_port) in open_and_answer(&snap, &mut ws, 400) {
            assert_eq!(addr, ip("203.0.113.2"), "the out-interface's address");
            assert!((10000..=10999).contains(&nat_port), "{nat_port}");
            assert_eq!(nat::port_owner(nat_port, n), w);
        }
    }
}

#[test]
fn masquerade_without_to_ports_keeps_the_source_port_its_worker_owns() {
    let rule = "{ chain: srcnat, action: masquerade, out-interface: ether1 }";
    let snap = snapshot(NH_GW1, NH_GW1, nat_rules(&[rule]));
    for n in [1, 2, 4] {
        let mut ws = workers(n);
        let mut taken = std::collections::HashSet::new();
        for (w, sport, _, nat_port) in open_and_answer(&snap, &mut ws, 400) {
            let keep = nat::port_owner(sport, n) == w && !taken.contains(&sport);
            assert_eq!(
                nat_port == sport,
                keep,
                "{n} workers, worker {w}, port {sport}"
            );
            assert!(n == 1 || nat_port >= 1024, "several workers: above 1023");
            taken.insert(nat_port);
        }
    }
}

/// A UDP flow to a different remote port each `i`, opened on its owner: its verdict, the
/// owner and the translated port.
fn open_to(snap: &Snapshot, ws: &mut [Stateful], i: u16) -> (Verdict, usize, u16, Vec<u8>) {
    let mut f = udp(mac(1), "192.168.1.10", 40000 + i, "192.0.2.100", 1000 + i);
    let w = ws[0].owner(&f[14..], LAN, &snap.tables(), 0);
    let v = run(&mut f, LAN, snap, &mut ws[w]);
    let nat_port = src_of(&f).1;
    (v, w, nat_port, f)
}

#[test]
fn a_to_ports_range_smaller_than_the_workers_is_translated_by_its_owners_only() {
    for (to_ports, first, last) in [("5000", 5000, 5000), ("5000-5002", 5000, 5002)] {
        let rule = format!("{{ chain: srcnat, action: src-nat, to-addresses: 203.0.113.2, to-ports: {to_ports}, out-interface: ether1 }}");
        let snap = snapshot(NH_GW1, NH_GW1, nat_rules(&[&rule]));
        let t = snap.tables();
        for n in [1, 2, 4] {
            let mut ws = workers(n);
            let owners: Vec<usize> = (first..=last).map(|p| nat::port_owner(p, n)).collect();
            let (mut translated, mut refused) = (0, 0);
            for i in 0..200 {
                let (v, w, nat_port, f) = open_to(&snap, &mut ws, i);
                if !owners.contains(&w) {
                    assert_eq!(v, Verdict::Drop(DropReason::NatNoShare), "{n} workers");
                    refused += 1;
                    continue;
                }
                assert!(matches!(v, Verdict::Forward { port: WAN1, .. }), "{v:?}");
                assert!((first..=last).contains(&nat_port));
                assert_eq!(nat::port_owner(nat_port, n), w);
                let reply = udp(mac(2), "192.0.2.100", 1000 + i, "203.0.113.2", nat_port);
                for st in ws.iter_mut() {
                    assert_eq!(st.owner(&reply[14..], WAN1, &t, 0), w);
                }
                assert_checksums(&f);
                translated += 1;
            }
            assert!(translated > 0, "{to_ports}, {n} workers");
            let all_own = (0..n).all(|w| owners.contains(&w));
            assert_eq!(refused == 0, all_own, "{to_ports}, {n} workers: {refused}");
            assert!(ws.iter().all(|st| st.conns.len() == st.created as usize));
        }
    }
}

/// An ICMP echo request (type 8) or reply (type 0) with identifier `id`, checksums right.
fn echo(dst_mac: MacAddr, src: &str, dst: &str, icmp_type: u8, id: u16) -> Vec<u8> {
    let mut f = udp(dst_mac, src, 0, dst, 0);
    f[23] = PROTO_ICMP;
    f[24..26].copy_from_slice(&[0, 0]);
    let c = checksum::checksum(&f[14..34]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
    let icmp = &mut f[34..];
    icmp[..8].copy_from_slice(&[icmp_type, 0, 0, 0, 0, 0, 0, 7]);
    icmp[4..6].copy_from_slice(&id.to_be_bytes());
    let c = checksum::checksum(icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    f
}

#[test]
fn masquerade_to_ports_translates_echo_ids_and_keeps_the_checksums() {
    let rule =
        "{ chain: srcnat, action: masquerade, to-ports: 10000-20000, out-interface: ether1 }";
    let snap = snapshot(NH_GW1, NH_GW1, nat_rules(&[rule]));
    let mut st = workers(1).remove(0);
    for id in [1u16, 9999, 15000, 20001, 65535] {
        let mut f = echo(mac(1), "192.168.1.10", "192.0.2.100", 8, id);
        assert!(matches!(
            run(&mut f, LAN, &snap, &mut st),
            Verdict::Forward { port: WAN1, .. }
        ));
        let nat_id = u16::from_be_bytes([f[38], f[39]]);
        assert_eq!(src_of(&f).0, ip("203.0.113.2"));
        assert!((10000..=20000).contains(&nat_id), "{nat_id}");
        assert_eq!(nat_id == id, id == 15000, "an id in the range is kept");
        assert_eq!(checksum::checksum(&f[14..34]), 0, "IPv4 header checksum");
        assert_eq!(checksum::checksum(&f[34..]), 0, "ICMP checksum");
        let mut r = echo(mac(2), "192.0.2.100", "203.0.113.2", 0, nat_id);
        assert!(matches!(
            run(&mut r, WAN1, &snap, &mut st),
            Verdict::Forward { port: LAN, .. }
        ));
        assert_eq!(u16::from_be_bytes([r[38], r[39]]), id, "the id back");
        assert_eq!(dst_of(&r).0, ip("192.168.1.10"));
        assert_eq!(checksum::checksum(&r[34..]), 0, "ICMP checksum");
    }
}
