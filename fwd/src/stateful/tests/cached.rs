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
    st.hits = vec![0; snap.rules.mangle_len()];
    let mut ports = Vec::new();
    for _ in 0..4 {
        let mut f = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53);
        match run(&mut f, LAN, &snap, &mut st) {
            Verdict::Forward { port, .. } => ports.push(port),
            v => panic!("{v:?}"),
        }
    }
    assert_eq!(ports, [WAN1, WAN1, WAN2, WAN2]);
    // The rules ran for the first three packets; the fourth took the cached decision.
    assert_eq!(st.hits.iter().sum::<u64>(), 3, "{:?}", st.hits);
}

/// The cached decision is the one the rules would take again: PCC traffic and its replies,
/// packet after packet, leave the same way with and without it, and the rules run once per
/// direction and state.
#[test]
fn a_connection_s_packets_reuse_its_decisions() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(4);
    st.hits = vec![0; snap.rules.mangle_len()];
    let (port, addr) = wan_of(5000, &snap, &mut st);
    let wan = Ipv4Addr::from(addr).to_string();
    let after_first = st.hits.iter().sum::<u64>();
    for _ in 0..3 {
        let mut r = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, 5000);
        assert!(matches!(
            run(&mut r, port, &snap, &mut st),
            Verdict::Forward { port: LAN, .. }
        ));
        let mut f = udp(mac(1), "192.168.1.10", 5000, "192.0.2.100", 53);
        assert_eq!(
            run(&mut f, LAN, &snap, &mut st),
            Verdict::Forward {
                port,
                counter: NO_COUNTER
            }
        );
        assert_eq!(src_of(&f), (addr, 5000));
    }
    assert_eq!(after_first, 2, "PCC's mark-connection, then mark-routing");
    // Three packets each way after the first. Only the first established original packet
    // is decided by the rules (its mark-routing rule matches; the replies come in by a WAN,
    // which no rule matches); every later packet takes its direction's cached decision.
    assert_eq!(
        st.hits.iter().sum::<u64>() - after_first,
        1,
        "{:?}",
        st.hits
    );
}
