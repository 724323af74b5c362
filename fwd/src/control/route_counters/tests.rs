use super::*;
use crate::rib::{Check, PathList};

const GW1: Target = Target::Gateway(1, 0xcb00_7101);
const GW2: Target = Target::Gateway(2, 0xc633_6401);
const LAN: Target = Target::Connected(0);

fn tables() -> Vec<String> {
    ["main", "to_wan1", "to_wan2"]
        .iter()
        .map(|t| t.to_string())
        .collect()
}

/// A RIB whose only path list names `targets` directly (as static routes to gateways do).
fn rib_naming(targets: &[Target]) -> Rib {
    let members = targets
        .iter()
        .map(|&target| Member::Direct {
            target,
            check: Check::None,
        })
        .collect();
    Rib {
        pathlists: vec![PathList {
            groups: vec![(1, members)],
        }],
        ..Rib::default()
    }
}

/// The id of `target` in table `table` (by index) in `counters` built for `targets`.
fn id_of(counters: &[u16], targets: &[Option<Target>], table: usize, target: Target) -> u16 {
    let adj = targets.iter().position(|t| *t == Some(target)).unwrap();
    counters[table * targets.len() + adj]
}

#[test]
fn ids_are_distinct_per_pair_and_stable_across_rebuilds() {
    let mut ids = RouteCounterIds::default();
    let t0 = Instant::now();
    let targets = vec![Some(Target::Local), None, Some(LAN), Some(GW1), Some(GW2)];
    let c = ids.assign(&tables(), &targets, &Rib::default(), t0);
    assert_eq!(c.len(), 3 * targets.len());
    // Local delivery and "unreachable" are not forwarded traffic.
    for table in 0..3 {
        assert_eq!(c[table * targets.len()], NO_COUNTER);
        assert_eq!(c[table * targets.len() + 1], NO_COUNTER);
    }
    let mut real: Vec<u16> = c.iter().copied().filter(|i| *i != NO_COUNTER).collect();
    assert_eq!(real.len(), 9);
    real.sort();
    real.dedup();
    assert_eq!(real.len(), 9, "one id per (table, nexthop): {c:?}");
    assert!(ids.limit() > usize::from(*real.last().unwrap()));
    // A rebuild with the adjacencies in another order (the gateway's MAC resolved, ECMP
    // rebuilt...) keeps every pair's id.
    let again = vec![Some(Target::Local), None, Some(GW2), Some(GW1), Some(LAN)];
    let c2 = ids.assign(&tables(), &again, &Rib::default(), t0);
    for table in 0..3 {
        for t in [LAN, GW1, GW2] {
            assert_eq!(id_of(&c, &targets, table, t), id_of(&c2, &again, table, t));
        }
    }
}

#[test]
fn traffic_is_summed_per_table_and_per_nexthop() {
    let mut ids = RouteCounterIds::default();
    let targets = vec![Some(Target::Local), None, Some(GW1), Some(GW2)];
    let c = ids.assign(&tables(), &targets, &Rib::default(), Instant::now());
    let mut total = RouteCounters::default();
    total.count(id_of(&c, &targets, 0, GW1), 1, 100); // main via GW1
    total.count(id_of(&c, &targets, 1, GW1), 10, 1000); // to_wan1 via GW1
    total.count(id_of(&c, &targets, 2, GW2), 20, 2000); // to_wan2 via GW2
    let t = ids.traffic(&total);
    let table = |n: &str| t.tables.iter().find(|(x, _)| x == n).unwrap().1;
    let nexthop = |n: Target| t.nexthops.iter().find(|(x, _)| *x == n).unwrap().1;
    assert_eq!(table("main"), [1, 100]);
    assert_eq!(table("to_wan1"), [10, 1000]);
    assert_eq!(table("to_wan2"), [20, 2000]);
    assert_eq!(nexthop(GW1), [11, 1100]);
    assert_eq!(nexthop(GW2), [20, 2000]);
    assert_eq!(t.tables.len(), 3);
    assert_eq!(t.nexthops.len(), 2);
}

#[test]
fn a_failed_gateway_the_rib_still_names_keeps_its_ids() {
    let mut ids = RouteCounterIds::default();
    let t0 = Instant::now();
    let rib = rib_naming(&[GW1, GW2]);
    let both = vec![Some(Target::Local), None, Some(GW1), Some(GW2)];
    let c = ids.assign(&tables(), &both, &rib, t0);
    let mut total = RouteCounters::default();
    total.count(id_of(&c, &both, 1, GW1), 5, 500);
    // GW1 fails: no adjacency for it any more, but its routes are still configured.
    let only2 = vec![Some(Target::Local), None, Some(GW2)];
    let c2 = ids.assign(&tables(), &only2, &rib, t0);
    ids.retire(&total, t0 + RETIRE_AFTER * 2);
    let t = ids.traffic(&total);
    let gw1 = t.nexthops.iter().find(|(x, _)| *x == GW1).map(|x| x.1);
    assert_eq!(gw1, Some([5, 500]), "its series stays, flat");
    // When it comes back, its pairs have the ids they had.
    let c3 = ids.assign(&tables(), &both, &rib, t0 + RETIRE_AFTER * 3);
    assert_eq!(c3, c);
    assert_eq!(id_of(&c2, &only2, 2, GW2), id_of(&c, &both, 2, GW2));
}

#[test]
fn removed_pairs_retire_and_their_ids_start_again_from_zero() {
    let mut ids = RouteCounterIds::default();
    let t0 = Instant::now();
    let names = tables();
    let with1 = vec![Some(Target::Local), None, Some(GW1), Some(GW2)];
    let c = ids.assign(&names, &with1, &Rib::default(), t0);
    let gw1_main = id_of(&c, &with1, 0, GW1);
    let gw2_main = id_of(&c, &with1, 0, GW2);
    let mut total = RouteCounters::default();
    total.count(gw1_main, 7, 700);
    total.count(gw2_main, 3, 300);
    // GW1's routes are removed.
    let only2 = vec![Some(Target::Local), None, Some(GW2)];
    ids.assign(&names, &only2, &Rib::default(), t0);
    // Before RETIRE_AFTER: still counted under main, not published as a nexthop.
    ids.retire(&total, t0 + RETIRE_AFTER / 2);
    let t = ids.traffic(&total);
    assert!(!t.nexthops.iter().any(|(x, _)| *x == GW1));
    assert_eq!(
        t.tables.iter().find(|(x, _)| x == "main").unwrap().1,
        [10, 1000]
    );
    // After: the id is free, and main's count did not go down.
    ids.retire(&total, t0 + RETIRE_AFTER);
    let t = ids.traffic(&total);
    assert_eq!(
        t.tables.iter().find(|(x, _)| x == "main").unwrap().1,
        [10, 1000]
    );
    // A new gateway gets a freed id, starting from zero although the workers' totals of
    // that id are not.
    let gw3 = Target::Gateway(1, 0xcb00_7109);
    let with3 = vec![Some(Target::Local), None, Some(GW2), Some(gw3)];
    let c3 = ids.assign(&names, &with3, &Rib::default(), t0 + RETIRE_AFTER);
    let reused: Vec<u16> = (0..3).map(|t| id_of(&c3, &with3, t, gw3)).collect();
    assert!(reused.contains(&gw1_main), "{reused:?} reuse {gw1_main}");
    let t = ids.traffic(&total);
    assert_eq!(
        t.nexthops.iter().find(|(x, _)| *x == gw3).unwrap().1,
        [0, 0]
    );
    total.count(id_of(&c3, &with3, 0, gw3), 1, 60);
    let t = ids.traffic(&total);
    assert_eq!(
        t.tables.iter().find(|(x, _)| x == "main").unwrap().1,
        [11, 1060]
    );
    assert_eq!(
        t.nexthops.iter().find(|(x, _)| *x == gw3).unwrap().1,
        [1, 60]
    );
}
