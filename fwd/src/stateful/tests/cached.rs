//! When a direction's cached decision is reused, and when the rules decide again.

use super::*;

/// Rules that move a connection's mark one step per packet: no-mark → a → b, and route
/// only b by ISP2 (main goes by ISP1).
fn stepping_rules() -> RuleSet {
    let yaml = "\
/interface/ethernet:
  - { name: bridge, device: net_null0 }
  - { name: ether1, device: net_null1 }
  - { name: ether2, device: net_null2 }
/routing/table:
  - { name: to_wan1, fib }
  - { name: to_wan2, fib }
/ip/firewall/mangle:
  - { chain: prerouting, connection-mark: no-mark, action: mark-connection, new-connection-mark: a, passthrough: no }
  - { chain: prerouting, connection-mark: a, action: mark-connection, new-connection-mark: b, passthrough: no }
  - { chain: prerouting, connection-mark: b, action: mark-routing, new-routing-mark: to_wan2, passthrough: no }
";
    compile_rules(&Config::from_yaml_str(yaml, "t.yaml").unwrap())
}

/// A packet whose rules changed the mark it arrived with is not cached: the next packet,
/// arriving with the new mark, is decided by the rules again (here: by ISP2 from the third
/// packet on, as the rules say, not by ISP1 as the second packet was).
#[test]
fn a_decision_that_changed_the_mark_is_decided_again() {
    let rules = stepping_rules();
    let snap = snapshot(NH_GW1, NH_GW1, rules);
    let mut st = state(4);
    let mut routes = crate::counters::RouteCounters::default();
    follow(&mut st, &snap, &mut routes);
    let (mut ports, mut counters) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let mut f = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53);
        match run(&mut f, LAN, &snap, &mut st) {
            Verdict::Forward { port, counter } => {
                ports.push(port);
                counters.push(counter);
                routes.count(counter, 1, f.len() as u64);
            }
            v => panic!("{v:?}"),
        }
    }
    assert_eq!(ports, [WAN1, WAN1, WAN2, WAN2]);
    // The rules decided the first three packets (each under its route's counter); the
    // fourth took the cached decision, counted under the class of its route and rule.
    assert_eq!(counters[..3], [NO_COUNTER; 3]);
    assert!(usize::from(counters[3]) >= crate::counters::ROUTE_COUNTERS);
    // Each rule counted every packet it matched, the cached one included.
    assert_eq!(mangle_packets(&st, &routes), [1, 1, 2]);
    let len = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53).len() as u64;
    assert_eq!(st.rules.totals(&routes).0[2], [2, 2 * len]);
    // Drained (as before a publish): the route has its packet back, the rule keeps both.
    st.rules.drain(&mut routes);
    assert_eq!(routes.get(NO_COUNTER), [4, 4 * len]);
    assert_eq!(st.rules.mangle[2], [2, 2 * len]);
}

/// A new snapshot makes the cached decisions stale: the worker drains the rule classes
/// into the counters then, and the decisions, made again, are classed again.
#[test]
fn rule_classes_end_with_their_snapshot_and_lose_no_count() {
    let mut snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(16);
    let mut routes = crate::counters::RouteCounters::default();
    let mut ids = Vec::new();
    for generation in [1, 2] {
        snap.generation = generation;
        follow(&mut st, &snap, &mut routes);
        for _ in 0..3 {
            let mut f = udp(mac(1), "192.168.1.10", 6000, "192.0.2.100", 53);
            let v = run(&mut f, LAN, &snap, &mut st);
            if let Verdict::Forward { counter, .. } = v {
                ids.push(counter);
            }
            count(v, f.len(), &mut routes).unwrap();
        }
    }
    // Generation 1: the first packet's rules set the connection's mark (not cached), the
    // second's left it (cached), the third reused it; generation 2: decided again, then
    // cached under a class numbered from the first again.
    let class = crate::counters::ROUTE_COUNTERS as u16;
    assert_eq!(
        ids,
        [NO_COUNTER, NO_COUNTER, class, NO_COUNTER, class, class]
    );
    // Without a reply, each packet of the flow is `new` (as in Linux): one PCC rule and
    // its mark-routing rule matched all six, cached or not.
    let packets = mangle_packets(&st, &routes);
    assert_eq!(packets.iter().filter(|&&n| n > 0).count(), 2, "{packets:?}");
    assert_eq!(packets.iter().sum::<u64>(), 12, "{packets:?}");
    st.rules.drain(&mut routes);
    assert_eq!(routes.get(NO_COUNTER)[0], 6);
    assert_eq!(routes.get(class), [0, 0]);
}

/// The cached decision is the one the rules would take again: PCC traffic and its replies,
/// packet after packet, leave the same way with and without it, and the rules run once per
/// direction and state.
#[test]
fn a_connection_s_packets_reuse_its_decisions() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(4);
    let mut routes = crate::counters::RouteCounters::default();
    follow(&mut st, &snap, &mut routes);
    let (port, addr) = wan_of(5000, &snap, &mut st);
    let wan = Ipv4Addr::from(addr).to_string();
    let after_first = mangle_packets(&st, &routes).iter().sum::<u64>();
    let mut counters = Vec::new();
    for _ in 0..3 {
        let mut r = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, 5000);
        assert!(matches!(
            run(&mut r, port, &snap, &mut st),
            Verdict::Forward { port: LAN, .. }
        ));
        let mut f = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53);
        match run(&mut f, LAN, &snap, &mut st) {
            Verdict::Forward { port: p, counter } if p == port => {
                counters.push(counter);
                routes.count(counter, 1, f.len() as u64);
            }
            v => panic!("{v:?}"),
        }
        assert_eq!(src_of(&f), (addr, 5000));
    }
    assert_eq!(after_first, 2, "PCC's mark-connection, then mark-routing");
    // Only the first established original packet is decided by the rules (its route's
    // counter); the next take the cached decision (its rule class).
    let class = crate::counters::ROUTE_COUNTERS as u16;
    assert_eq!(counters, [NO_COUNTER, class, class]);
    // Three packets each way after the first: the original ones each matched mark-routing,
    // cached or not; the replies come in by a WAN, which no rule matches.
    let packets = mangle_packets(&st, &routes);
    assert_eq!(packets.iter().sum::<u64>() - after_first, 3, "{packets:?}");
}
