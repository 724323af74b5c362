//! Route counters and NAT ports in use on the stateful path.

use super::*;

const TABLES: usize = 3;
const ADJACENCIES: usize = 5;

/// The route counter of (table, adjacency) in [`counted`] snapshots.
fn id(table: usize, adj: u32) -> u16 {
    (1 + table * ADJACENCIES + adj as usize) as u16
}

/// `snapshot(..)` with a route counter for every (table, adjacency).
fn counted(main_default: u32, wan1_table: u32) -> Snapshot {
    let mut snap = snapshot(main_default, wan1_table, pcc_rules());
    let fwd = (*snap.fwd).clone();
    assert_eq!(fwd.adjacencies.len(), ADJACENCIES);
    let ids = (0..TABLES)
        .flat_map(|t| (0..ADJACENCIES as u32).map(move |a| id(t, a)))
        .collect();
    snap.fwd = Arc::new(fwd.with_counters(ids, 1 + TABLES * ADJACENCIES));
    snap
}

#[test]
fn pcc_traffic_counts_under_its_table_and_nexthop_cached_or_not() {
    let snap = counted(NH_GW1, NH_GW1);
    let mut st = state(1024);
    let mut c = crate::counters::RouteCounters::default();
    follow(&mut st, &snap, &mut c);
    let mut sent = [0u64; 3];
    for sport in 20000..20032u16 {
        for n in 0..3 {
            let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
            let hits: u64 = mangle_packets(&st, &c).iter().sum();
            let port = count(run(&mut f, LAN, &snap, &mut st), f.len(), &mut c).unwrap();
            if n > 0 {
                // Its mark-routing rule, whether the packet took the cached decision or not.
                let now: u64 = mangle_packets(&st, &c).iter().sum();
                assert_eq!(now, hits + 1);
            }
            sent[usize::from(port)] += 1;
            // The reply, de-translated, goes by main to the LAN.
            let wan = Ipv4Addr::from(snap.ports[usize::from(port)].addr).to_string();
            let mut r = udp(mac(port as u8 + 1), "192.0.2.100", 53, &wan, sport);
            assert_eq!(
                count(run(&mut r, port, &snap, &mut st), r.len(), &mut c),
                Some(LAN)
            );
        }
    }
    assert!(sent[1] > 0 && sent[2] > 0, "{sent:?}");
    // The cached decisions were counted by rule class: the worker moves them to their
    // routes before it publishes.
    st.rules.drain(&mut c);
    let len = udp(mac(1), "192.168.1.10", 1, "192.0.2.100", 53).len() as u64;
    // to_wan1 by ISP1's gateway, to_wan2 by ISP2's, the replies by main to the LAN.
    assert_eq!(c.get(id(1, NH_GW1)), [sent[1], sent[1] * len]);
    assert_eq!(c.get(id(2, NH_GW2)), [sent[2], sent[2] * len]);
    assert_eq!(c.get(id(0, NH_LAN)), [96, 96 * len]);
    let all: u64 = (0..=(TABLES * ADJACENCIES) as u16)
        .map(|i| c.get(i)[0])
        .sum();
    assert_eq!(all, 96 * 2, "nothing counted elsewhere");
}

#[test]
fn a_marked_flow_falling_back_to_main_counts_under_main() {
    // ISP1 failed: to_wan1 has no usable route; main's default goes by ISP2.
    let snap = counted(NH_GW2, NH_UNREACHABLE);
    let mut st = state(1024);
    let mut c = crate::counters::RouteCounters::default();
    follow(&mut st, &snap, &mut c);
    for sport in 30000..30032u16 {
        for _ in 0..2 {
            let mut f = udp(mac(1), "192.168.1.10", sport, "192.0.2.100", 53);
            assert_eq!(
                count(run(&mut f, LAN, &snap, &mut st), f.len(), &mut c),
                Some(WAN2)
            );
        }
    }
    st.rules.drain(&mut c);
    let (main, to_wan2) = (c.get(id(0, NH_GW2))[0], c.get(id(2, NH_GW2))[0]);
    assert!(main > 0 && to_wan2 > 0, "main {main}, to_wan2 {to_wan2}");
    assert_eq!(main + to_wan2, 64);
    assert_eq!(c.get(id(1, NH_GW1))[0] + c.get(id(1, NH_GW2))[0], 0);
}

#[test]
fn nat_ports_in_use_follow_connections_made_and_expired() {
    let snap = snapshot(NH_GW1, NH_GW1, pcc_rules());
    let mut st = state(1024);
    for sport in 40000..40020u16 {
        wan_of(sport, &snap, &mut st);
    }
    assert_eq!(st.translated(), 20);
    let nat = *st.conns.nat_use();
    assert_eq!(nat.total, 20);
    let per = |a: &str| {
        nat.by_address
            .iter()
            .find(|s| s.0 == ip(a) && s.1 > 0)
            .map_or(0, |s| s.1)
    };
    let (wan1, wan2) = (per("203.0.113.2"), per("198.51.100.2"));
    assert!(wan1 > 0 && wan2 > 0, "{wan1} + {wan2}");
    assert_eq!(wan1 + wan2, 20);
    // A removed connection gives its port back; expiry gives back the rest.
    let (id0, _) = st.conns.iter().find(|(_, c)| c.is_nat()).unwrap();
    st.conns.remove(id0);
    assert_eq!(st.translated(), 19);
    let later = 1_000 + 10 * 24 * 3600 * 1000;
    for _ in 0..4 {
        st.expire(later);
    }
    assert!(st.conns.is_empty());
    assert_eq!(*st.conns.nat_use(), {
        let mut n = nat;
        n.total = 0;
        for s in n.by_address.iter_mut() {
            s.1 = 0;
        }
        n
    });
}
