//! The RIB on the multi-WAN guide's topology: scope/target-scope, recursive resolution,
//! anchors, distance failover, ECMP, loops, tables; and a property test against a reference
//! resolver.

use super::*;
use crate::config::{CheckGateway, Gateway};
use crate::net::{mask, Ipv4Interface};
use proptest::prelude::*;
use std::net::Ipv4Addr;
use std::sync::mpsc;
use std::time::Duration;

const BRIDGE: u16 = 0;
const ETHER1: u16 = 1;
const ETHER2: u16 = 2;

const GW1: &str = "203.0.113.1";
const GW2: &str = "198.51.100.1";

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn u(s: &str) -> u32 {
    u32::from(ip(s))
}

fn pfx(s: &str) -> Ipv4Prefix {
    s.parse().unwrap()
}

const PORT_NAMES: [&str; 3] = ["bridge", "ether1", "ether2"];

/// bridge, ether1, ether2, all enabled unless named in `disabled`.
fn ports(disabled: &[&str]) -> Vec<PortDesc> {
    PORT_NAMES
        .iter()
        .map(|n| PortDesc {
            name: n.to_string(),
            enabled: !disabled.contains(n),
        })
        .collect()
}

fn address(port: u16, addr: &str) -> (u16, AddressItem) {
    (
        port,
        AddressItem {
            address: addr.parse::<Ipv4Interface>().unwrap(),
            network: None,
            interface: PORT_NAMES[usize::from(port)].to_string(),
            comment: None,
            disabled: false,
        },
    )
}

/// The guide's addresses: LAN on the bridge, one /24 per ISP.
fn addresses() -> Vec<(u16, AddressItem)> {
    vec![
        address(BRIDGE, "192.168.1.1/24"),
        address(ETHER1, "203.0.113.2/24"),
        address(ETHER2, "198.51.100.2/24"),
    ]
}

/// A static route with RouterOS's defaults: distance 1, scope 30, target-scope 10, main.
fn route(dst: &str, gateway: &str) -> RouteItem {
    RouteItem {
        dst_address: dst.parse().unwrap(),
        gateway: Gateway::parse_list(gateway).unwrap(),
        distance: 1,
        scope: 30,
        target_scope: 10,
        check_gateway: CheckGateway::None,
        routing_table: "main".to_string(),
        comment: None,
        disabled: false,
    }
}

fn no_tables() -> Vec<String> {
    Vec::new()
}

/// The guide's set-up: the three ports and addresses, main only.
fn rib_of(routes: &[RouteItem]) -> Rib {
    compute(&ports(&[]), &addresses(), routes, &no_tables())
}

/// Runs `compute` on another thread and fails if it does not return within 10 s.
fn compute_bounded(
    ports: Vec<PortDesc>,
    addresses: Vec<(u16, AddressItem)>,
    routes: Vec<RouteItem>,
    tables: Vec<String>,
) -> Rib {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(compute(&ports, &addresses, &routes, &tables));
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("compute did not return within 10 s (hang on a loop?)")
}

/// The `i`-th static route, in configuration order.
fn st(rib: &Rib, i: usize) -> &RouteState {
    rib.routes
        .iter()
        .filter(|r| r.origin == Origin::Static)
        .nth(i)
        .unwrap_or_else(|| panic!("no static route #{i}"))
}

/// The index in `rib.routes` of the `i`-th static route.
fn st_index(rib: &Rib, i: usize) -> usize {
    rib.routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.origin == Origin::Static)
        .nth(i)
        .map(|(k, _)| k)
        .unwrap_or_else(|| panic!("no static route #{i}"))
}

fn connected<'a>(rib: &'a Rib, dst: &str) -> &'a RouteState {
    rib.routes
        .iter()
        .find(|r| r.origin == Origin::Connected && r.dst == pfx(dst))
        .unwrap_or_else(|| panic!("no connected route {dst}"))
}

fn all_usable(_: &Member) -> bool {
    true
}

/// Where `table`'s FIB sends `addr`, given the gateways' states, as a worker would: the
/// most specific prefix's class, and while its path list has nothing usable, the class's
/// fallbacks (the covering prefixes). The selected distance and targets of the path list in
/// force, `Selected::default()` when none has a target, None when the FIB has no entry.
fn forward_in(
    rib: &Rib,
    table: usize,
    addr: &str,
    usable: &dyn Fn(&Member) -> bool,
) -> Option<Selected> {
    let sel = select(rib, usable);
    let mut c = rib.fibs[table].lookup(u(addr))?;
    loop {
        let class = rib.classes[c as usize];
        let s = &sel[class.pathlist as usize];
        if !s.targets.is_empty() {
            return Some(s.clone());
        }
        match class.fallback {
            Some(f) => c = f,
            None => return Some(Selected::default()),
        }
    }
}

/// The path list of the most specific prefix for `addr` in main.
fn pathlist_of(rib: &Rib, addr: &str) -> Option<PathListId> {
    rib.pathlist_for(0, u(addr))
}

fn forward(rib: &Rib, addr: &str, usable: &dyn Fn(&Member) -> bool) -> Option<Selected> {
    forward_in(rib, 0, addr, usable)
}

fn targets(rib: &Rib, addr: &str, usable: &dyn Fn(&Member) -> bool) -> Vec<Target> {
    forward(rib, addr, usable)
        .map(|s| s.targets)
        .unwrap_or_default()
}

fn gw(port: u16, addr: &str) -> Target {
    Target::Gateway(port, u(addr))
}

fn active(rib: &Rib, i: usize, usable: &dyn Fn(&Member) -> bool) -> bool {
    let sel = select(rib, usable);
    rib.route_active(st_index(rib, i), &sel, usable)
}

/// A direct member on `port` to `addr` with `check`.
fn direct(port: u16, addr: &str, check: Check) -> Member {
    Member::Direct {
        target: gw(port, addr),
        check,
    }
}

// ---------------------------------------------------------------------------------------
// 1. scope / target-scope table
// ---------------------------------------------------------------------------------------

#[test]
fn connected_routes_have_scope_10_distance_0_and_are_direct() {
    let rib = rib_of(&[]);
    let c: Vec<&RouteState> = rib
        .routes
        .iter()
        .filter(|r| r.origin == Origin::Connected)
        .collect();
    assert_eq!(c.len(), 3);
    for (r, port) in c.iter().zip([BRIDGE, ETHER1, ETHER2]) {
        assert_eq!(r.scope, 10, "{}", r.dst);
        assert_eq!(r.distance, 0, "{}", r.dst);
        assert_eq!(r.table, "main");
        assert!(r.resolved());
        assert_eq!(r.problem, None);
        assert_eq!(
            r.members,
            vec![Member::Direct {
                target: Target::Connected(port),
                check: Check::None
            }]
        );
        let sel = select(&rib, &all_usable);
        let i = rib.routes.iter().position(|x| std::ptr::eq(x, *r)).unwrap();
        assert!(rib.route_active(i, &sel, &all_usable), "{}", r.dst);
    }
    assert_eq!(connected(&rib, "192.168.1.0/24").gateway, "bridge");
    assert_eq!(
        targets(&rib, "192.168.1.10", &all_usable),
        vec![Target::Connected(BRIDGE)]
    );
    assert_eq!(
        targets(&rib, "203.0.113.77", &all_usable),
        vec![Target::Connected(ETHER1)]
    );
    assert_eq!(
        targets(&rib, "198.51.100.77", &all_usable),
        vec![Target::Connected(ETHER2)]
    );
}

#[test]
fn static_defaults_are_scope_30_target_scope_10_distance_1_in_main() {
    let rib = rib_of(&[route("0.0.0.0/0", GW1)]);
    let r = st(&rib, 0);
    assert_eq!((r.scope, r.target_scope, r.distance), (30, 10, 1));
    assert_eq!(r.table, "main");
    assert_eq!(r.gateway, GW1);
    assert_eq!(r.check, Check::None);
}

#[test]
fn static_route_via_gateway_on_connected_subnet_resolves_direct_since_10_le_10() {
    let rib = rib_of(&[route("0.0.0.0/0", GW1)]);
    let r = st(&rib, 0);
    assert!(r.resolved());
    assert_eq!(r.problem, None);
    assert_eq!(r.resolved_via, None, "on-link, not recursive");
    assert_eq!(r.members, vec![direct(ETHER1, GW1, Check::None)]);
    assert!(active(&rib, 0, &all_usable));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER1, GW1)]);
    assert_eq!(rib.gateways(), vec![(ETHER1, u(GW1))]);
}

#[test]
fn gateway_on_no_connected_subnet_is_unresolved_with_a_problem() {
    let rib = rib_of(&[route("10.0.0.0/8", "192.0.2.1")]);
    let r = st(&rib, 0);
    assert!(!r.resolved());
    assert!(r.problem.is_some());
    assert_eq!(r.pathlist, None);
    assert!(!active(&rib, 0, &all_usable));
    assert_eq!(forward(&rib, "10.1.1.1", &all_usable), None);
}

#[test]
fn connected_route_with_target_scope_below_10_cannot_resolve() {
    // target-scope 5 < connected scope 10: even an on-link gateway is out of scope.
    let rib = rib_of(&[RouteItem {
        target_scope: 5,
        ..route("0.0.0.0/0", GW1)
    }]);
    assert!(!st(&rib, 0).resolved());
    assert!(st(&rib, 0).problem.is_some());
}

// ---------------------------------------------------------------------------------------
// 2. static chains
// ---------------------------------------------------------------------------------------

fn guide_chain(target_scope: u8) -> Vec<RouteItem> {
    vec![
        RouteItem {
            target_scope,
            ..route("10.1.0.0/16", "172.16.0.1")
        },
        route("172.16.0.0/24", "192.168.1.1"),
    ]
}

#[test]
fn static_route_via_static_route_is_unresolved_with_default_target_scope() {
    let rib = rib_of(&guide_chain(10));
    let a = st(&rib, 0);
    assert!(!a.resolved(), "30 <= 10 fails");
    let problem = a.problem.as_deref().expect("a problem message");
    assert!(!problem.is_empty());
    assert_eq!(a.resolved_via, None);
    assert!(!active(&rib, 0, &all_usable));
    // The intermediate route is fine.
    assert!(st(&rib, 1).resolved());
    assert!(active(&rib, 1, &all_usable));
    assert_eq!(forward(&rib, "10.1.2.3", &all_usable), None);
}

#[test]
fn static_chain_resolves_recursively_after_raising_target_scope_to_30() {
    let rib = rib_of(&guide_chain(30));
    let a = st(&rib, 0);
    assert!(a.resolved());
    assert_eq!(a.problem, None);
    assert_eq!(a.resolved_via, Some(pfx("172.16.0.0/24")));
    assert!(matches!(
        a.members.as_slice(),
        [Member::Recursive { gw, .. }] if *gw == u("172.16.0.1")
    ));
    assert!(active(&rib, 0, &all_usable));
    // The intermediate: on-link via the bridge. The guide's gateway 192.168.1.1 is the
    // router's own LAN address, but resolution does not care.
    assert_eq!(
        st(&rib, 1).members,
        vec![direct(BRIDGE, "192.168.1.1", Check::None)]
    );
    let s = forward(&rib, "10.1.2.3", &all_usable).unwrap();
    assert_eq!(s.distance, Some(1));
    assert_eq!(s.targets, vec![gw(BRIDGE, "192.168.1.1")]);
    assert_eq!(
        targets(&rib, "172.16.0.9", &all_usable),
        vec![gw(BRIDGE, "192.168.1.1")]
    );
}

#[test]
fn three_level_static_chain_resolves_to_the_bottom_gateway() {
    let routes = vec![
        RouteItem {
            target_scope: 30,
            ..route("10.0.0.0/8", "172.16.5.1")
        },
        RouteItem {
            target_scope: 30,
            ..route("172.16.5.0/24", "100.64.0.1")
        },
        RouteItem {
            target_scope: 30,
            ..route("100.64.0.0/10", GW2)
        },
    ];
    let rib = rib_of(&routes);
    assert_eq!(st(&rib, 0).resolved_via, Some(pfx("172.16.5.0/24")));
    assert_eq!(st(&rib, 1).resolved_via, Some(pfx("100.64.0.0/10")));
    assert_eq!(st(&rib, 2).resolved_via, None);
    assert_eq!(st(&rib, 2).members, vec![direct(ETHER2, GW2, Check::None)]);
    for i in 0..3 {
        assert!(active(&rib, i, &all_usable), "route {i}");
    }
    for a in ["10.9.9.9", "172.16.5.200", "100.64.1.1"] {
        assert_eq!(targets(&rib, a, &all_usable), vec![gw(ETHER2, GW2)], "{a}");
    }
    // The bottom gateway failing takes the whole chain down.
    let down = |m: &Member| *m != direct(ETHER2, GW2, Check::None);
    for a in ["10.9.9.9", "172.16.5.200", "100.64.1.1"] {
        assert_eq!(targets(&rib, a, &down), vec![], "{a}");
    }
    for i in 0..3 {
        assert!(!active(&rib, i, &down), "route {i}");
    }
}

#[test]
fn chain_breaks_where_one_link_keeps_default_target_scope() {
    // The middle route keeps target-scope 10, so it cannot resolve through the bottom
    // static route, and the top route has nothing to resolve through either.
    let routes = vec![
        RouteItem {
            target_scope: 30,
            ..route("10.0.0.0/8", "172.16.5.1")
        },
        route("172.16.5.0/24", "100.64.0.1"),
        route("100.64.0.0/10", GW2),
    ];
    let rib = rib_of(&routes);
    assert!(!st(&rib, 0).resolved());
    assert!(!st(&rib, 1).resolved());
    assert!(st(&rib, 2).resolved());
    assert_eq!(forward(&rib, "10.9.9.9", &all_usable), None);
}

#[test]
fn recursive_gateway_uses_the_most_specific_eligible_prefix() {
    // 10.1.1.1 is inside both the /16 and the /8; the /16 is more specific, but its scope
    // (30) exceeds the route's target-scope (20), so the /8 (scope 20) is used.
    let routes = vec![
        RouteItem {
            target_scope: 20,
            ..route("0.0.0.0/0", "10.1.1.1")
        },
        route("10.1.0.0/16", GW1),
        RouteItem {
            scope: 20,
            ..route("10.0.0.0/8", GW2)
        },
    ];
    let rib = rib_of(&routes);
    assert_eq!(st(&rib, 0).resolved_via, Some(pfx("10.0.0.0/8")));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER2, GW2)]);
    // With target-scope 30 the /16 is eligible and wins.
    let mut routes = routes;
    routes[0].target_scope = 30;
    let rib = rib_of(&routes);
    assert_eq!(st(&rib, 0).resolved_via, Some(pfx("10.1.0.0/16")));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER1, GW1)]);
}

// ---------------------------------------------------------------------------------------
// 3. the guide's anchors
// ---------------------------------------------------------------------------------------

/// The anchor set-up exactly as the guide writes it, with 50 customer VPN routes.
fn anchor_routes() -> Vec<RouteItem> {
    let anchor = |dst: &str, gw: &str| RouteItem {
        check_gateway: CheckGateway::Ping,
        distance: 1,
        scope: 10,
        target_scope: 20,
        ..route(dst, gw)
    };
    let via = |dst: &str, gw: &str, distance: u8| RouteItem {
        distance,
        scope: 20,
        ..route(dst, gw)
    };
    let mut v = vec![
        anchor("203.0.113.1/32", "203.0.113.1%ether1"),
        anchor("198.51.100.1/32", "198.51.100.1%ether2"),
        via("0.0.0.0/0", GW1, 1),
        via("0.0.0.0/0", GW2, 10),
    ];
    for n in 0..50 {
        let dst = format!("10.10.{n}.0/24");
        v.push(via(&dst, GW1, 1));
        v.push(via(&dst, GW2, 10));
    }
    v
}

/// The 51 destinations that fail over together: the default and the 50 VPN prefixes.
fn anchored_destinations() -> Vec<String> {
    let mut v = vec!["8.8.8.8".to_string()];
    v.extend((0..50).map(|n| format!("10.10.{n}.7")));
    v
}

fn isp1_anchor_member() -> Member {
    direct(ETHER1, GW1, Check::Ping)
}

#[test]
fn anchors_resolve_directly_and_dependents_resolve_through_them() {
    let rib = rib_of(&anchor_routes());
    assert_eq!(st(&rib, 0).members, vec![isp1_anchor_member()]);
    assert_eq!(st(&rib, 1).members, vec![direct(ETHER2, GW2, Check::Ping)]);
    // Every dependent resolves through its anchor (the /32 beats the connected /24).
    for i in 2..rib
        .routes
        .iter()
        .filter(|r| r.origin == Origin::Static)
        .count()
    {
        let r = st(&rib, i);
        assert!(r.resolved(), "{} via {}", r.dst, r.gateway);
        let anchor = if r.gateway == GW1 {
            "203.0.113.1/32"
        } else {
            "198.51.100.1/32"
        };
        assert_eq!(
            r.resolved_via,
            Some(pfx(anchor)),
            "{} via {}",
            r.dst,
            r.gateway
        );
        assert_eq!(r.check, Check::None);
    }
    // Exactly the two anchors are probed.
    assert_eq!(rib.checked_members(), {
        let mut v = vec![isp1_anchor_member(), direct(ETHER2, GW2, Check::Ping)];
        v.sort();
        v
    });
}

#[test]
fn anchor_failure_moves_all_51_prefixes_to_isp2_at_once() {
    let rib = rib_of(&anchor_routes());
    let n_static = anchor_routes().len();
    let isp1_down = |m: &Member| *m != isp1_anchor_member();

    // Healthy: everything on ISP1 at distance 1, the ISP1 routes active.
    for a in anchored_destinations() {
        let s = forward(&rib, &a, &all_usable).unwrap();
        assert_eq!(s.distance, Some(1), "{a}");
        assert_eq!(s.targets, vec![gw(ETHER1, GW1)], "{a}");
    }
    for i in 2..n_static {
        let via_isp1 = st(&rib, i).gateway == GW1;
        assert_eq!(active(&rib, i, &all_usable), via_isp1, "route {i} healthy");
    }

    // The ISP1 anchor's probe fails: all 51 prefixes on ISP2, every A flag flips.
    for a in anchored_destinations() {
        let s = forward(&rib, &a, &isp1_down).unwrap();
        assert_eq!(s.distance, Some(10), "{a}");
        assert_eq!(s.targets, vec![gw(ETHER2, GW2)], "{a}");
    }
    let sel = select(&rib, &isp1_down);
    let mut flipped = 0;
    for i in 2..n_static {
        let via_isp1 = st(&rib, i).gateway == GW1;
        assert_eq!(
            rib.route_active(st_index(&rib, i), &sel, &isp1_down),
            !via_isp1,
            "route {i} down"
        );
        flipped += 1;
    }
    assert_eq!(flipped, 102);
    assert!(
        !rib.route_active(st_index(&rib, 0), &sel, &isp1_down),
        "ISP1 anchor"
    );
    assert!(
        rib.route_active(st_index(&rib, 1), &sel, &isp1_down),
        "ISP2 anchor"
    );
    // The anchored routes stay resolved: only selection changed.
    for i in 0..n_static {
        assert!(st(&rib, i).resolved());
    }

    // Traffic that does not depend on the anchor is untouched.
    assert_eq!(
        targets(&rib, "192.168.1.50", &isp1_down),
        vec![Target::Connected(BRIDGE)]
    );
    assert_eq!(
        targets(&rib, "198.51.100.9", &isp1_down),
        vec![Target::Connected(ETHER2)]
    );
}

#[test]
fn anchored_prefixes_share_path_lists_so_failover_cost_does_not_grow_with_routes() {
    let rib = rib_of(&anchor_routes());
    assert!(
        rib.pathlists.len() < 10,
        "{} path lists for 104 static routes: {:?}",
        rib.pathlists.len(),
        rib.pathlists
    );
    // The default and all VPN prefixes point to one and the same path list.
    let ids: std::collections::HashSet<u32> = anchored_destinations()
        .iter()
        .map(|a| pathlist_of(&rib, a).unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // The FIB's classes (path list + fallback) are as few.
    assert!(
        rib.classes.len() < 12,
        "{} classes: {:?}",
        rib.classes.len(),
        rib.classes
    );
    // And the count does not depend on how many VPN routes there are.
    let few: Vec<RouteItem> = anchor_routes().into_iter().take(4 + 2 * 3).collect();
    let few = rib_of(&few);
    assert_eq!(few.pathlists.len(), rib.pathlists.len());
    assert_eq!(few.classes.len(), rib.classes.len());
}

#[test]
fn both_anchors_down_leaves_anchored_prefixes_without_a_target() {
    let rib = rib_of(&anchor_routes());
    let both_down = |m: &Member| m.check() != Check::Ping;
    for a in anchored_destinations() {
        let s = forward(&rib, &a, &both_down).unwrap();
        assert_eq!(s, Selected::default(), "{a}");
    }
    for i in 0..anchor_routes().len() {
        assert!(!active(&rib, i, &both_down), "route {i}");
    }
}

// ---------------------------------------------------------------------------------------
// 4. distance failover
// ---------------------------------------------------------------------------------------

fn failover_routes() -> Vec<RouteItem> {
    vec![
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW1)
        },
        RouteItem {
            distance: 10,
            ..route("0.0.0.0/0", GW2)
        },
    ]
}

#[test]
fn distance_failover_primary_active_backup_resolved_but_not_active() {
    let rib = rib_of(&failover_routes());
    let primary = st(&rib, 0);
    let backup = st(&rib, 1);
    assert_eq!(primary.members, vec![direct(ETHER1, GW1, Check::Ping)]);
    assert_eq!(backup.members, vec![direct(ETHER2, GW2, Check::None)]);
    // A on the primary; the backup is neither A nor I: resolved, no problem, not active.
    assert!(active(&rib, 0, &all_usable));
    assert!(backup.resolved());
    assert_eq!(backup.problem, None);
    assert!(!active(&rib, 1, &all_usable));
    assert_eq!(
        primary.pathlist, backup.pathlist,
        "one path list per prefix"
    );
    let pl = &rib.pathlists[primary.pathlist.unwrap() as usize];
    assert_eq!(
        pl.groups,
        vec![
            (1, vec![direct(ETHER1, GW1, Check::Ping)]),
            (10, vec![direct(ETHER2, GW2, Check::None)])
        ]
    );
    let s = forward(&rib, "8.8.8.8", &all_usable).unwrap();
    assert_eq!((s.distance, s.targets), (Some(1), vec![gw(ETHER1, GW1)]));
    assert_eq!(
        rib.checked_members(),
        vec![direct(ETHER1, GW1, Check::Ping)]
    );
}

#[test]
fn distance_failover_to_backup_when_primary_probe_fails_and_back() {
    let rib = rib_of(&failover_routes());
    let primary_down = |m: &Member| *m != direct(ETHER1, GW1, Check::Ping);

    let s = forward(&rib, "8.8.8.8", &primary_down).unwrap();
    assert_eq!((s.distance, s.targets), (Some(10), vec![gw(ETHER2, GW2)]));
    assert!(!active(&rib, 0, &primary_down));
    assert!(active(&rib, 1, &primary_down));
    // Both still resolved: a failed probe is not a resolution problem.
    assert!(st(&rib, 0).resolved() && st(&rib, 1).resolved());

    // The probe succeeds again: back to the primary.
    let s = forward(&rib, "8.8.8.8", &all_usable).unwrap();
    assert_eq!((s.distance, s.targets), (Some(1), vec![gw(ETHER1, GW1)]));
    assert!(active(&rib, 0, &all_usable));
    assert!(!active(&rib, 1, &all_usable));
}

#[test]
fn distance_failover_when_primary_port_is_disabled() {
    let rib = compute(
        &ports(&["ether1"]),
        &addresses(),
        &failover_routes(),
        &no_tables(),
    );
    assert!(!st(&rib, 0).resolved());
    assert!(st(&rib, 0).problem.is_some());
    assert!(active(&rib, 1, &all_usable));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER2, GW2)]);
}

#[test]
fn netwatch_raising_primary_distance_to_20_makes_backup_win() {
    let mut routes = failover_routes();
    routes[0].distance = 20;
    let rib = rib_of(&routes);
    assert!(!active(&rib, 0, &all_usable));
    assert!(active(&rib, 1, &all_usable));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER2, GW2)]);
}

// ---------------------------------------------------------------------------------------
// 5. ECMP
// ---------------------------------------------------------------------------------------

fn ecmp_routes() -> Vec<RouteItem> {
    vec![
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW1)
        },
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW2)
        },
    ]
}

#[test]
fn ecmp_two_defaults_at_distance_1_are_both_active_and_share_traffic() {
    let rib = rib_of(&ecmp_routes());
    assert!(active(&rib, 0, &all_usable));
    assert!(active(&rib, 1, &all_usable));
    let s = forward(&rib, "8.8.8.8", &all_usable).unwrap();
    assert_eq!(s.distance, Some(1));
    let mut want = vec![gw(ETHER1, GW1), gw(ETHER2, GW2)];
    want.sort();
    assert_eq!(s.targets, want);
}

#[test]
fn ecmp_group_shrinks_when_one_gateway_fails() {
    let rib = rib_of(&ecmp_routes());
    let gw1_down = |m: &Member| *m != direct(ETHER1, GW1, Check::Ping);
    assert_eq!(targets(&rib, "8.8.8.8", &gw1_down), vec![gw(ETHER2, GW2)]);
    assert!(!active(&rib, 0, &gw1_down));
    assert!(active(&rib, 1, &gw1_down));
    let gw2_down = |m: &Member| *m != direct(ETHER2, GW2, Check::Ping);
    assert_eq!(targets(&rib, "8.8.8.8", &gw2_down), vec![gw(ETHER1, GW1)]);
    assert!(active(&rib, 0, &gw2_down));
    assert!(!active(&rib, 1, &gw2_down));
}

#[test]
fn ecmp_both_down_falls_to_a_distance_10_route() {
    let mut routes = ecmp_routes();
    routes.push(RouteItem {
        distance: 10,
        ..route("0.0.0.0/0", "192.168.1.254")
    });
    let rib = rib_of(&routes);
    assert!(!active(&rib, 2, &all_usable));
    let both_down = |m: &Member| m.check() != Check::Ping;
    let s = forward(&rib, "8.8.8.8", &both_down).unwrap();
    assert_eq!(
        (s.distance, s.targets),
        (Some(10), vec![gw(BRIDGE, "192.168.1.254")])
    );
    assert!(!active(&rib, 0, &both_down));
    assert!(!active(&rib, 1, &both_down));
    assert!(active(&rib, 2, &both_down));
}

#[test]
fn one_route_with_two_gateways_is_ecmp() {
    let rib = rib_of(&[route("0.0.0.0/0", "203.0.113.1,198.51.100.1")]);
    let r = st(&rib, 0);
    assert_eq!(r.gateway, "203.0.113.1,198.51.100.1");
    assert_eq!(
        r.members,
        vec![
            direct(ETHER1, GW1, Check::None),
            direct(ETHER2, GW2, Check::None)
        ]
    );
    let mut want = vec![gw(ETHER1, GW1), gw(ETHER2, GW2)];
    want.sort();
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), want);
    assert!(active(&rib, 0, &all_usable));
    // One gateway unusable: the other carries everything, the route stays active.
    let gw1_down = |m: &Member| *m != direct(ETHER1, GW1, Check::None);
    assert_eq!(targets(&rib, "8.8.8.8", &gw1_down), vec![gw(ETHER2, GW2)]);
    assert!(active(&rib, 0, &gw1_down));
}

#[test]
fn multi_gateway_route_keeps_the_gateways_that_resolve() {
    let rib = rib_of(&[route("10.0.0.0/8", "192.0.2.1,198.51.100.1")]);
    let r = st(&rib, 0);
    assert!(r.resolved());
    assert_eq!(r.members, vec![direct(ETHER2, GW2, Check::None)]);
    assert_eq!(
        targets(&rib, "10.2.3.4", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
}

#[test]
fn ecmp_over_two_anchors_with_recursive_members() {
    let mut routes: Vec<RouteItem> = anchor_routes().into_iter().take(2).collect();
    routes.push(RouteItem {
        scope: 20,
        ..route("0.0.0.0/0", GW1)
    });
    routes.push(RouteItem {
        scope: 20,
        ..route("0.0.0.0/0", GW2)
    });
    let rib = rib_of(&routes);
    let mut want = vec![gw(ETHER1, GW1), gw(ETHER2, GW2)];
    want.sort();
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), want);
    let isp1_down = |m: &Member| *m != isp1_anchor_member();
    assert_eq!(targets(&rib, "8.8.8.8", &isp1_down), vec![gw(ETHER2, GW2)]);
    assert!(
        !active(&rib, 2, &isp1_down),
        "the route through the dead anchor"
    );
    assert!(active(&rib, 3, &isp1_down));
}

// ---------------------------------------------------------------------------------------
// 6. loops
// ---------------------------------------------------------------------------------------

fn mutual_loop() -> Vec<RouteItem> {
    vec![
        RouteItem {
            target_scope: 30,
            ..route("10.0.0.0/8", "10.1.1.1")
        },
        RouteItem {
            target_scope: 30,
            ..route("10.1.1.0/24", "10.0.0.5")
        },
    ]
}

#[test]
fn mutually_recursive_routes_stay_unresolved_without_hanging() {
    let rib = compute_bounded(ports(&[]), addresses(), mutual_loop(), no_tables());
    for i in 0..2 {
        let r = st(&rib, i);
        assert!(!r.resolved(), "{}", r.dst);
        assert!(r.problem.is_some(), "{}", r.dst);
        assert!(!active(&rib, i, &all_usable));
    }
    assert_eq!(forward(&rib, "10.1.1.9", &all_usable), None);
    assert_eq!(forward(&rib, "10.2.0.1", &all_usable), None);
}

#[test]
fn self_recursive_route_stays_unresolved() {
    let routes = vec![RouteItem {
        target_scope: 30,
        ..route("10.0.0.0/8", "10.1.1.1")
    }];
    let rib = compute_bounded(ports(&[]), addresses(), routes, no_tables());
    assert!(!st(&rib, 0).resolved());
    assert!(st(&rib, 0).problem.is_some());
    assert_eq!(forward(&rib, "10.1.1.1", &all_usable), None);
}

#[test]
fn loop_does_not_prevent_unrelated_routes_from_resolving() {
    let mut routes = mutual_loop();
    routes.push(RouteItem {
        target_scope: 30,
        ..route("10.99.0.0/16", "10.99.0.1")
    }); // another self-loop
    routes.push(route("172.16.0.0/12", GW2));
    routes.push(RouteItem {
        target_scope: 30,
        ..route("100.64.0.0/10", "172.16.0.1")
    });
    // A default with scope 40, so that the target-scope 30 loop routes cannot resolve
    // through it (see `loop_covered_by_a_default_route_*` for when they can).
    routes.push(RouteItem {
        scope: 40,
        ..failover_routes().remove(0)
    });
    let rib = compute_bounded(ports(&[]), addresses(), routes, no_tables());
    assert!(!st(&rib, 0).resolved());
    assert!(!st(&rib, 1).resolved());
    assert!(!st(&rib, 2).resolved());
    assert!(st(&rib, 3).resolved());
    assert_eq!(st(&rib, 4).resolved_via, Some(pfx("172.16.0.0/12")));
    assert!(st(&rib, 5).resolved());
    assert_eq!(
        targets(&rib, "100.64.3.3", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
    // The looping prefixes are not in the FIB: their traffic follows the default.
    assert_eq!(
        targets(&rib, "10.1.1.9", &all_usable),
        vec![gw(ETHER1, GW1)]
    );
}

#[test]
fn loop_through_the_default_route_is_not_a_hang() {
    // A default via an address that only the default itself covers, with target-scope 30.
    let routes = vec![
        RouteItem {
            target_scope: 30,
            ..route("0.0.0.0/0", "8.8.8.8")
        },
        RouteItem {
            target_scope: 30,
            ..route("8.0.0.0/8", "9.9.9.9")
        },
    ];
    let rib = compute_bounded(ports(&[]), addresses(), routes, no_tables());
    assert!(!st(&rib, 0).resolved());
    assert!(!st(&rib, 1).resolved());
}

/// A chain that resolves in the least fixed point (A via C, then B via A), where the most
/// specific match for A's gateway in the final set is B, which itself depends on A.
fn late_loop_routes() -> Vec<RouteItem> {
    vec![
        // A: resolves through C in round 2.
        RouteItem {
            target_scope: 30,
            ..route("10.0.0.0/8", "10.1.1.1")
        },
        // B: resolves through A in round 3; covers A's gateway more specifically than C.
        RouteItem {
            target_scope: 30,
            ..route("10.1.1.0/24", "10.2.0.1")
        },
        // C: on-link via the bridge.
        route("10.1.0.0/16", "192.168.1.5"),
    ]
}

#[test]
fn route_resolved_in_the_fixed_point_is_not_rerouted_into_a_loop() {
    let rib = compute_bounded(ports(&[]), addresses(), late_loop_routes(), no_tables());
    for i in 0..3 {
        assert!(st(&rib, i).resolved(), "route {i}");
    }
    // Every resolved route must carry traffic with every gateway up: to the bridge.
    for a in ["10.200.0.1", "10.1.1.9", "10.1.2.3"] {
        let s = forward(&rib, a, &all_usable);
        assert_eq!(
            s.map(|s| s.targets),
            Some(vec![gw(BRIDGE, "192.168.1.5")]),
            "{a}; A resolved via {:?}, B via {:?}",
            st(&rib, 0).resolved_via,
            st(&rib, 1).resolved_via
        );
    }
    for i in 0..3 {
        assert!(active(&rib, i, &all_usable), "route {i}");
    }
}

#[test]
fn loop_covered_by_a_default_route_forwards_through_the_default() {
    let mut routes = mutual_loop();
    routes.push(route("0.0.0.0/0", GW1));
    let rib = compute_bounded(ports(&[]), addresses(), routes, no_tables());
    // In the least fixed point both resolve through the default (scope 30 <= 30). (The
    // final pass then re-points each through the other; their path lists carry nothing,
    // but the FIB's fallback to the covering default still forwards their traffic.)
    assert!(st(&rib, 0).resolved());
    assert!(st(&rib, 1).resolved());
    for a in ["10.1.1.9", "10.2.0.1"] {
        let s = forward(&rib, a, &all_usable);
        assert_eq!(
            s.map(|s| s.targets),
            Some(vec![gw(ETHER1, GW1)]),
            "{a}; 10.0.0.0/8 resolved via {:?}, 10.1.1.0/24 via {:?}",
            st(&rib, 0).resolved_via,
            st(&rib, 1).resolved_via
        );
    }
}

#[test]
fn more_specific_route_covering_a_gateway_does_not_blackhole_the_default() {
    let routes = vec![
        RouteItem {
            scope: 10,
            target_scope: 30,
            ..route("198.51.100.0/25", "10.1.1.1")
        },
        RouteItem {
            scope: 10,
            ..route("0.0.0.0/0", GW2)
        },
    ];
    let rib = compute_bounded(ports(&[]), addresses(), routes, no_tables());
    // Least fixed point: the default on-link via 198.51.100.0/24, then the /25 via the default.
    assert!(st(&rib, 0).resolved());
    assert!(st(&rib, 1).resolved());
    assert_eq!(
        forward(&rib, "8.8.8.8", &all_usable).map(|s| s.targets),
        Some(vec![gw(ETHER2, GW2)]),
        "default resolved via {:?} with members {:?}; /25 resolved via {:?}",
        st(&rib, 1).resolved_via,
        st(&rib, 1).members,
        st(&rib, 0).resolved_via
    );
    assert!(active(&rib, 1, &all_usable));
}

/// Two routes to the same prefix, each with a gateway inside that prefix: in the fixed
/// point both resolve through the covering /8; the final pass makes each resolve through
/// the other one's prefix, i.e. their own prefix, and their path list carries nothing; the
/// FIB's fallback to the covering /8 keeps the traffic flowing.
fn same_prefix_loop_routes() -> Vec<RouteItem> {
    vec![
        RouteItem {
            target_scope: 30,
            ..route("10.1.1.0/24", "10.1.1.1")
        },
        RouteItem {
            target_scope: 30,
            ..route("10.1.1.0/24", "10.1.1.2")
        },
        route("10.0.0.0/8", "192.168.1.5"),
    ]
}

#[test]
fn routes_whose_gateways_lie_in_their_own_prefix_do_not_blackhole_it() {
    let rib = compute_bounded(
        ports(&[]),
        addresses(),
        same_prefix_loop_routes(),
        no_tables(),
    );
    assert!(st(&rib, 0).resolved());
    assert!(st(&rib, 1).resolved());
    let s = forward(&rib, "10.1.1.77", &all_usable);
    assert_eq!(
        s.map(|s| s.targets),
        Some(vec![gw(BRIDGE, "192.168.1.5")]),
        "resolved via {:?} / {:?}",
        st(&rib, 0).resolved_via,
        st(&rib, 1).resolved_via
    );
}

// ---------------------------------------------------------------------------------------
// 7. gateway forms, disabled things, tables, local, FIB precedence
// ---------------------------------------------------------------------------------------

#[test]
fn interface_gateway_is_on_link_on_that_port() {
    let rib = rib_of(&[route("10.0.0.0/8", "ether2")]);
    let r = st(&rib, 0);
    assert_eq!(
        r.members,
        vec![Member::Direct {
            target: Target::Connected(ETHER2),
            check: Check::None
        }]
    );
    assert!(active(&rib, 0, &all_usable));
    assert_eq!(
        targets(&rib, "10.2.3.4", &all_usable),
        vec![Target::Connected(ETHER2)]
    );
}

#[test]
fn interface_gateway_on_a_disabled_or_unknown_port_is_unresolved() {
    let routes = vec![
        route("10.0.0.0/8", "ether2"),
        route("172.16.0.0/12", "ether9"),
    ];
    let rib = compute(&ports(&["ether2"]), &addresses(), &routes, &no_tables());
    for i in 0..2 {
        assert!(!st(&rib, i).resolved(), "route {i}");
        assert!(st(&rib, i).problem.is_some(), "route {i}");
    }
    assert_eq!(forward(&rib, "10.2.3.4", &all_usable), None);
}

#[test]
fn address_on_interface_gateway_is_direct_on_that_port_whatever_the_target_scope() {
    let rib = rib_of(&[RouteItem {
        target_scope: 0,
        ..route("0.0.0.0/0", "203.0.113.1%ether1")
    }]);
    let r = st(&rib, 0);
    assert_eq!(r.members, vec![direct(ETHER1, GW1, Check::None)]);
    assert_eq!(r.resolved_via, None);
    assert_eq!(r.gateway, "203.0.113.1%ether1");
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER1, GW1)]);
}

#[test]
fn address_on_interface_gateway_on_a_disabled_or_unknown_port_is_unresolved() {
    let routes = vec![
        route("0.0.0.0/0", "203.0.113.1%ether1"),
        route("10.0.0.0/8", "203.0.113.1%ether9"),
    ];
    let rib = compute(&ports(&["ether1"]), &addresses(), &routes, &no_tables());
    for i in 0..2 {
        assert!(!st(&rib, i).resolved(), "route {i}");
        assert!(st(&rib, i).problem.is_some(), "route {i}");
    }
}

#[test]
fn disabled_route_is_unresolved_without_problem_and_backup_takes_over() {
    let mut routes = failover_routes();
    routes[0].disabled = true;
    let rib = rib_of(&routes);
    let r = st(&rib, 0);
    assert!(r.disabled);
    assert!(!r.resolved());
    assert_eq!(r.problem, None);
    assert_eq!(r.pathlist, None);
    assert!(!active(&rib, 0, &all_usable));
    assert!(active(&rib, 1, &all_usable));
    assert_eq!(targets(&rib, "8.8.8.8", &all_usable), vec![gw(ETHER2, GW2)]);
    assert!(
        rib.checked_members().is_empty(),
        "a disabled route is not probed"
    );
}

#[test]
fn disabled_route_does_not_resolve_others() {
    let mut routes = guide_chain(30);
    routes[1].disabled = true;
    let rib = rib_of(&routes);
    assert!(!st(&rib, 0).resolved());
    assert!(st(&rib, 0).problem.is_some());
}

#[test]
fn disabled_port_loses_connected_route_local_address_and_gateways() {
    let rib = compute(
        &ports(&["ether1"]),
        &addresses(),
        &failover_routes(),
        &no_tables(),
    );
    let c = connected(&rib, "203.0.113.0/24");
    assert!(!c.resolved());
    assert!(c.problem.is_some());
    // The subnet now follows the default (through ISP2), and so does the address.
    assert_eq!(
        targets(&rib, "203.0.113.7", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
    assert_ne!(rib.fibs[0].lookup(u("203.0.113.2")), Some(LOCAL_CLASS));
    assert!(!rib.gateways().contains(&(ETHER1, u(GW1))));
}

#[test]
fn disabled_address_gives_no_connected_route_and_no_problem() {
    let mut addrs = addresses();
    addrs[1].1.disabled = true;
    let rib = compute(&ports(&[]), &addrs, &failover_routes(), &no_tables());
    let c = connected(&rib, "203.0.113.0/24");
    assert!(c.disabled);
    assert!(!c.resolved());
    assert_eq!(c.problem, None);
    assert!(!st(&rib, 0).resolved());
    assert_eq!(
        targets(&rib, "203.0.113.2", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
}

fn pcc_routes() -> Vec<RouteItem> {
    vec![
        RouteItem {
            routing_table: "to_wan1".into(),
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW1)
        },
        RouteItem {
            routing_table: "to_wan2".into(),
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW2)
        },
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW1)
        },
        RouteItem {
            distance: 10,
            check_gateway: CheckGateway::Ping,
            ..route("0.0.0.0/0", GW2)
        },
    ]
}

#[test]
fn routing_tables_with_fib_get_their_own_fib() {
    let tables = vec!["to_wan1".to_string(), "to_wan2".to_string()];
    let rib = compute(&ports(&[]), &addresses(), &pcc_routes(), &tables);
    assert_eq!(rib.tables, vec!["main", "to_wan1", "to_wan2"]);
    assert_eq!(rib.table_id("main"), Some(0));
    assert_eq!(rib.table_id("to_wan1"), Some(1));
    assert_eq!(rib.table_id("to_wan2"), Some(2));
    assert_eq!(rib.fibs.len(), 3);
    for i in 0..4 {
        assert!(st(&rib, i).resolved(), "route {i}");
        assert!(active(&rib, i, &all_usable) == (i != 3), "route {i}");
    }
    // Each table forwards by its own routes.
    let t = |table: usize, u: &dyn Fn(&Member) -> bool| {
        forward_in(&rib, table, "8.8.8.8", u)
            .map(|s| s.targets)
            .unwrap_or_default()
    };
    assert_eq!(t(1, &all_usable), vec![gw(ETHER1, GW1)]);
    assert_eq!(t(2, &all_usable), vec![gw(ETHER2, GW2)]);
    assert_eq!(t(0, &all_usable), vec![gw(ETHER1, GW1)]);
    // WAN1's gateway fails: to_wan1 has nothing left, main falls back to WAN2.
    let gw1_down = |m: &Member| *m != direct(ETHER1, GW1, Check::Ping);
    assert_eq!(t(1, &gw1_down), vec![]);
    assert_eq!(t(2, &gw1_down), vec![gw(ETHER2, GW2)]);
    assert_eq!(t(0, &gw1_down), vec![gw(ETHER2, GW2)]);
    assert!(!active(&rib, 0, &gw1_down));
    assert!(active(&rib, 3, &gw1_down));
    // A table route never shows up in main's FIB and vice versa.
    assert_ne!(st(&rib, 0).pathlist, None);
}

#[test]
fn route_in_a_table_without_fib_is_unresolved_with_a_problem() {
    let rib = compute(
        &ports(&[]),
        &addresses(),
        &pcc_routes(),
        &["to_wan1".to_string()],
    );
    assert_eq!(rib.tables, vec!["main", "to_wan1"]);
    assert!(st(&rib, 0).resolved());
    let r = st(&rib, 1);
    assert!(!r.resolved());
    let problem = r.problem.as_deref().expect("a problem message");
    assert!(problem.contains("to_wan2"), "{problem}");
    assert!(!active(&rib, 1, &all_usable));
    assert_eq!(rib.table_id("to_wan2"), None);
}

#[test]
fn main_listed_among_tables_is_not_duplicated() {
    let rib = compute(
        &ports(&[]),
        &addresses(),
        &[],
        &["main".to_string(), "t".to_string()],
    );
    assert_eq!(rib.tables, vec!["main", "t"]);
    assert_eq!(rib.fibs.len(), 2);
}

#[test]
fn table_routes_resolve_their_gateways_through_main() {
    // A recursive route in to_wan1 whose gateway resolves through main's static route.
    let routes = vec![
        RouteItem {
            routing_table: "to_wan1".into(),
            target_scope: 30,
            ..route("0.0.0.0/0", "172.16.0.1")
        },
        route("172.16.0.0/24", GW1),
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes, &["to_wan1".to_string()]);
    assert_eq!(st(&rib, 0).resolved_via, Some(pfx("172.16.0.0/24")));
    assert_eq!(
        forward_in(&rib, 1, "8.8.8.8", &all_usable).unwrap().targets,
        vec![gw(ETHER1, GW1)]
    );
    assert_eq!(
        forward(&rib, "8.8.8.8", &all_usable),
        None,
        "main has no default"
    );
    // A route in another table does not resolve main's routes.
    let routes = vec![
        RouteItem {
            target_scope: 30,
            ..route("0.0.0.0/0", "172.16.0.1")
        },
        RouteItem {
            routing_table: "to_wan1".into(),
            ..route("172.16.0.0/24", GW1)
        },
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes, &["to_wan1".to_string()]);
    assert!(!st(&rib, 0).resolved());
}

#[test]
fn local_addresses_and_broadcasts_map_to_local_in_every_table() {
    let tables = vec!["to_wan1".to_string(), "to_wan2".to_string()];
    let mut routes = pcc_routes();
    // Even a host route to the router's own address does not override it.
    routes.push(route("192.168.1.1/32", GW1));
    let rib = compute(&ports(&[]), &addresses(), &routes, &tables);
    assert_eq!(
        rib.pathlists[LOCAL as usize].groups,
        vec![(
            0,
            vec![Member::Direct {
                target: Target::Local,
                check: Check::None
            }]
        )]
    );
    for t in 0..rib.fibs.len() {
        for a in [
            "192.168.1.1",
            "203.0.113.2",
            "198.51.100.2",
            "192.168.1.255",
            "203.0.113.255",
            "198.51.100.255",
        ] {
            assert_eq!(
                rib.fibs[t].lookup(u(a)),
                Some(LOCAL_CLASS),
                "{a} in {}",
                rib.tables[t]
            );
            assert_eq!(
                forward_in(&rib, t, a, &all_usable).unwrap().targets,
                vec![Target::Local],
                "{a}"
            );
        }
    }
    // Neighbours on the subnets are not local.
    assert_eq!(
        targets(&rib, "192.168.1.10", &all_usable),
        vec![Target::Connected(BRIDGE)]
    );
}

#[test]
fn point_to_point_subnet_has_no_directed_broadcast() {
    let mut addrs = addresses();
    addrs.push(address(ETHER2, "100.64.0.0/31"));
    let rib = compute(&ports(&[]), &addrs, &[], &no_tables());
    assert_eq!(rib.fibs[0].lookup(u("100.64.0.0")), Some(LOCAL_CLASS));
    assert_eq!(
        targets(&rib, "100.64.0.1", &all_usable),
        vec![Target::Connected(ETHER2)]
    );
}

#[test]
fn more_specific_static_route_beats_the_default_in_the_fib() {
    let routes = vec![
        route("0.0.0.0/0", GW1),
        RouteItem {
            distance: 20,
            ..route("10.0.0.0/8", GW2)
        },
    ];
    let rib = rib_of(&routes);
    // Both active: distance only compares routes to the same prefix.
    assert!(active(&rib, 0, &all_usable));
    assert!(active(&rib, 1, &all_usable));
    assert_eq!(
        targets(&rib, "10.9.9.9", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
    assert_eq!(
        targets(&rib, "11.0.0.1", &all_usable),
        vec![gw(ETHER1, GW1)]
    );
}

#[test]
fn traffic_falls_back_to_the_covering_route_while_the_specific_one_has_no_usable_gateway() {
    // RouterOS drops an inactive route from the FIB, so the covering default matches.
    let routes = vec![
        route("0.0.0.0/0", GW1),
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("10.0.0.0/8", GW2)
        },
        RouteItem {
            check_gateway: CheckGateway::Ping,
            ..route("10.1.0.0/16", "192.168.1.7")
        },
    ];
    let rib = rib_of(&routes);
    assert_eq!(
        targets(&rib, "10.1.2.3", &all_usable),
        vec![gw(BRIDGE, "192.168.1.7")]
    );
    assert_eq!(
        targets(&rib, "10.9.9.9", &all_usable),
        vec![gw(ETHER2, GW2)]
    );
    let lan_down = |m: &Member| *m != direct(BRIDGE, "192.168.1.7", Check::Ping);
    assert_eq!(targets(&rib, "10.1.2.3", &lan_down), vec![gw(ETHER2, GW2)]);
    let both_down = |m: &Member| m.check() != Check::Ping;
    assert_eq!(targets(&rib, "10.1.2.3", &both_down), vec![gw(ETHER1, GW1)]);
    assert_eq!(targets(&rib, "10.9.9.9", &both_down), vec![gw(ETHER1, GW1)]);
    assert!(!active(&rib, 1, &both_down));
    assert!(!active(&rib, 2, &both_down));
    assert!(active(&rib, 0, &both_down));
    // The most specific prefix's own path list is still what the FIB points at.
    assert_eq!(pathlist_of(&rib, "10.1.2.3"), st(&rib, 2).pathlist);
    // Fallbacks come before the classes that use them.
    for (i, c) in rib.classes.iter().enumerate() {
        if let Some(f) = c.fallback {
            assert!((f as usize) < i, "class {i} falls back to {f}");
        }
    }
}

#[test]
fn connected_route_beats_a_static_route_to_the_same_prefix() {
    let routes = vec![route("192.168.1.0/24", GW1)];
    let rib = rib_of(&routes);
    let r = st(&rib, 0);
    assert!(r.resolved(), "resolved, but not in force");
    assert!(!active(&rib, 0, &all_usable));
    let c = connected(&rib, "192.168.1.0/24");
    assert_eq!(c.pathlist, r.pathlist);
    let i = rib.routes.iter().position(|x| std::ptr::eq(x, c)).unwrap();
    assert!(rib.route_active(i, &select(&rib, &all_usable), &all_usable));
    let s = forward(&rib, "192.168.1.10", &all_usable).unwrap();
    assert_eq!(
        (s.distance, s.targets),
        (Some(0), vec![Target::Connected(BRIDGE)])
    );
}

#[test]
fn gateway_resolving_through_a_prefix_with_both_connected_and_static_is_on_link() {
    // A static route to the LAN prefix with scope 10 is eligible too, but the connected
    // route makes the gateway on-link.
    let routes = vec![
        RouteItem {
            scope: 10,
            ..route("192.168.1.0/24", GW1)
        },
        route("10.0.0.0/8", "192.168.1.20"),
    ];
    let rib = rib_of(&routes);
    assert_eq!(
        st(&rib, 1).members,
        vec![direct(BRIDGE, "192.168.1.20", Check::None)]
    );
    assert_eq!(st(&rib, 1).resolved_via, None);
}

#[test]
fn routes_through_one_gateway_share_one_path_list() {
    let routes = vec![
        route("10.0.0.0/8", GW1),
        route("172.16.0.0/12", GW1),
        route("0.0.0.0/0", "203.0.113.1%ether1"),
    ];
    let rib = rib_of(&routes);
    let a = pathlist_of(&rib, "10.1.1.1").unwrap();
    let b = pathlist_of(&rib, "172.16.5.5").unwrap();
    let c = pathlist_of(&rib, "8.8.8.8").unwrap();
    assert_eq!((a, b), (c, c));
    // No two path lists are equal.
    for (i, p) in rib.pathlists.iter().enumerate().skip(2) {
        for q in &rib.pathlists[i + 1..] {
            assert_ne!(p, q);
        }
    }
    assert_eq!(rib.gateways(), vec![(ETHER1, u(GW1))]);
}

#[test]
fn empty_configuration_has_only_local_and_empty_path_lists() {
    let rib = compute(&ports(&[]), &[], &[], &no_tables());
    assert!(rib.routes.is_empty());
    assert_eq!(rib.pathlists.len(), 2);
    assert!(rib.pathlists[EMPTY as usize].groups.is_empty());
    assert_eq!(rib.fibs[0].lookup(u("8.8.8.8")), None);
    let sel = select(&rib, &all_usable);
    assert_eq!(sel[EMPTY as usize], Selected::default());
    assert_eq!(sel[LOCAL as usize].targets, vec![Target::Local]);
}

// ---------------------------------------------------------------------------------------
// 8. property test against a reference resolver
// ---------------------------------------------------------------------------------------

const PREFIX_POOL: &[&str] = &[
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.1.0/24",
    "10.1.1.1/32",
    "10.2.0.0/16",
    "172.16.0.0/24",
    "172.16.0.1/32",
    "203.0.113.1/32",
    "198.51.100.0/25",
    "192.168.1.128/25",
    "8.0.0.0/8",
    "203.0.113.0/24",
];

const GATEWAY_POOL: &[&str] = &[
    // on connected subnets
    "192.168.1.5",
    "192.168.1.200",
    "203.0.113.1",
    "198.51.100.1",
    // off them: only routes can resolve these
    "10.1.1.1",
    "10.1.2.3",
    "10.2.0.1",
    "172.16.0.1",
    "8.8.8.8",
    "100.64.0.1",
    // interfaces and address%interface
    "ether1",
    "ether2",
    "bridge",
    "ether9",
    "203.0.113.1%ether1",
    "10.1.1.1%ether2",
    "192.0.2.1%ether9",
];

const TABLE_POOL: &[&str] = &["main", "main", "main", "main", "to_wan1", "nofib"];

fn arb_route() -> impl Strategy<Value = RouteItem> {
    (
        0..PREFIX_POOL.len(),
        prop::collection::vec(0..GATEWAY_POOL.len(), 1..=2),
        1u8..=3,
        prop::sample::select(vec![10u8, 20, 30]),
        prop::sample::select(vec![10u8, 20, 30]),
        0..TABLE_POOL.len(),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(p, gws, distance, scope, target_scope, t, disabled, ping)| {
                let gw: Vec<&str> = gws.iter().map(|&g| GATEWAY_POOL[g]).collect();
                RouteItem {
                    distance,
                    scope,
                    target_scope,
                    routing_table: TABLE_POOL[t].to_string(),
                    disabled,
                    check_gateway: if ping {
                        CheckGateway::Ping
                    } else {
                        CheckGateway::None
                    },
                    ..route(PREFIX_POOL[p], &gw.join(","))
                }
            },
        )
}

/// The obviously-correct resolver: a least fixed point over all routes, by brute force.
/// Returns, for `addresses` then `routes`, whether each is resolved.
fn reference_resolved(
    ports: &[PortDesc],
    addresses: &[(u16, AddressItem)],
    routes: &[RouteItem],
    tables: &[String],
) -> Vec<bool> {
    struct R {
        dst: Ipv4Prefix,
        scope: u8,
        main: bool,
    }
    let mut all: Vec<R> = Vec::new();
    let mut resolved = Vec::new();
    for (port, a) in addresses {
        all.push(R {
            dst: a.address.prefix(),
            scope: 10,
            main: true,
        });
        resolved.push(!a.disabled && ports[usize::from(*port)].enabled);
    }
    for r in routes {
        all.push(R {
            dst: r.dst_address,
            scope: r.scope,
            main: r.routing_table == "main",
        });
        resolved.push(false);
    }
    let port_up = |name: &str| ports.iter().any(|p| p.name == name && p.enabled);
    let has_fib = |t: &str| t == "main" || tables.iter().any(|x| x == t);
    loop {
        let mut changed = false;
        for (i, r) in routes.iter().enumerate() {
            let me = addresses.len() + i;
            if resolved[me] || r.disabled || !has_fib(&r.routing_table) {
                continue;
            }
            let ok = r.gateway.iter().any(|g| match g {
                Gateway::Interface(n) | Gateway::AddressOnInterface(_, n) => port_up(n),
                Gateway::Address(a) => (0..all.len()).any(|j| {
                    j != me
                        && resolved[j]
                        && all[j].main
                        && all[j].dst.contains(*a)
                        && all[j].scope <= r.target_scope
                }),
            });
            if ok {
                resolved[me] = true;
                changed = true;
            }
        }
        if !changed {
            return resolved;
        }
    }
}

fn arb_case() -> impl Strategy<Value = (Vec<bool>, Vec<bool>, Vec<RouteItem>)> {
    (
        prop::collection::vec(prop::bool::weighted(0.1), 3),
        prop::collection::vec(prop::bool::weighted(0.1), 3),
        prop::collection::vec(arb_route(), 0..=30),
    )
}

/// Addresses to probe inside `p`: its first address, its last, and a few in between.
fn probes(p: Ipv4Prefix) -> Vec<u32> {
    let n = p.network_u32();
    let span = !mask(p.len());
    let mut v = vec![
        n,
        n | span,
        n | (span & 0x0101_0101),
        n | (span & 0x00fe_0002),
        n | (span >> 1),
    ];
    v.dedup();
    v
}

/// One generated configuration, computed.
struct Case {
    ports: Vec<PortDesc>,
    addrs: Vec<(u16, AddressItem)>,
    routes: Vec<RouteItem>,
    tables: Vec<String>,
    rib: Rib,
    /// The router's own addresses and directed broadcasts (enabled ones).
    local: Vec<u32>,
}

fn build_case(port_off: &[bool], addr_off: &[bool], routes: Vec<RouteItem>) -> Case {
    let ports: Vec<PortDesc> = PORT_NAMES
        .iter()
        .zip(port_off)
        .map(|(n, off)| PortDesc {
            name: n.to_string(),
            enabled: !off,
        })
        .collect();
    let mut addrs = addresses();
    for (a, off) in addrs.iter_mut().zip(addr_off) {
        a.1.disabled = *off;
    }
    let tables = vec!["to_wan1".to_string()];
    let rib = compute(&ports, &addrs, &routes, &tables);
    let mut local: Vec<u32> = Vec::new();
    for (port, a) in &addrs {
        if !a.disabled && ports[usize::from(*port)].enabled {
            local.push(u32::from(a.address.addr));
            local.push(u32::from(a.address.prefix().broadcast()));
        }
    }
    Case {
        ports,
        addrs,
        routes,
        tables,
        rib,
        local,
    }
}

/// For each resolved route, the probe addresses of its prefix that it owns in its table's
/// FIB: not local and not covered by a longer resolved prefix of the same table.
fn owned_probes<'a>(c: &'a Case, r: &'a RouteState) -> impl Iterator<Item = u32> + 'a {
    probes(r.dst).into_iter().filter(move |&a| {
        !c.local.contains(&a)
            && !c.rib.routes.iter().any(|x| {
                x.resolved()
                    && x.table == r.table
                    && x.dst.len() > r.dst.len()
                    && x.dst.contains(Ipv4Addr::from(a))
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn resolution_matches_reference_and_fib_is_consistent(
        (port_off, addr_off, routes) in arb_case()
    ) {
        let c = build_case(&port_off, &addr_off, routes);
        let rib = &c.rib;
        let want = reference_resolved(&c.ports, &c.addrs, &c.routes, &c.tables);

        prop_assert_eq!(rib.routes.len(), c.addrs.len() + c.routes.len());
        for (i, r) in rib.routes.iter().enumerate() {
            prop_assert_eq!(
                r.resolved(), want[i],
                "route {} {} via {} (scope {} ts {} table {} disabled {})",
                i, r.dst, r.gateway, r.scope, r.target_scope, r.table, r.disabled
            );
            // Unresolved enabled routes say why; resolved and disabled ones do not.
            prop_assert_eq!(r.problem.is_some(), !r.resolved() && !r.disabled, "route {} {}", i, r.dst);
            prop_assert_eq!(r.pathlist.is_some(), r.resolved(), "route {} {}", i, r.dst);
        }

        // Every resolved route's prefix is in its table's FIB, with the prefix's path list.
        for (i, r) in rib.routes.iter().enumerate() {
            if !r.resolved() {
                continue;
            }
            let t = rib.table_id(&r.table).expect("a resolved route's table has a FIB");
            for a in owned_probes(&c, r) {
                let id = rib.pathlist_for(t, a);
                prop_assert_eq!(id, r.pathlist, "route {} {} probe {}", i, r.dst, Ipv4Addr::from(a));
            }
        }
        // A probe that no resolved route or local address covers finds nothing.
        for p in PREFIX_POOL {
            for a in probes(pfx(p)) {
                for (t, name) in rib.tables.iter().enumerate() {
                    let covered = c.local.contains(&a)
                        || rib.routes.iter().any(|x| x.resolved() && &x.table == name && x.dst.contains(Ipv4Addr::from(a)));
                    if !covered {
                        prop_assert_eq!(rib.fibs[t].lookup(a), None, "{} in {}", Ipv4Addr::from(a), name);
                    }
                }
            }
        }
        // Fallbacks come before the classes that use them.
        for (i, cl) in rib.classes.iter().enumerate() {
            if let Some(f) = cl.fallback {
                prop_assert!((f as usize) < i, "class {} falls back to {}", i, f);
            }
        }
        // With the checked gateways down, forwarding through the classes' fallbacks equals
        // the most specific resolved prefix whose path list still has a target.
        let flaky = |m: &Member| m.check() == Check::None;
        let sel = select(rib, &flaky);
        for p in PREFIX_POOL {
            for a in probes(pfx(p)) {
                let addr = Ipv4Addr::from(a);
                let got = forward(rib, &addr.to_string(), &flaky).map(|s| s.targets).unwrap_or_default();
                let want = if c.local.contains(&a) {
                    vec![Target::Local]
                } else {
                    let mut cover: Vec<&RouteState> = rib
                        .routes
                        .iter()
                        .filter(|x| x.resolved() && x.table == "main" && x.dst.contains(addr))
                        .collect();
                    cover.sort_by_key(|x| std::cmp::Reverse(x.dst.len()));
                    cover
                        .iter()
                        .map(|x| sel[x.pathlist.unwrap() as usize].targets.clone())
                        .find(|t| !t.is_empty())
                        .unwrap_or_default()
                };
                prop_assert_eq!(got, want, "{}", addr);
            }
        }
        // route_active implies the route is resolved and its prefix's selection is at its
        // distance, with a target.
        for i in 0..rib.routes.len() {
            if rib.route_active(i, &sel, &flaky) {
                let r = &rib.routes[i];
                prop_assert!(r.resolved());
                prop_assert_eq!(sel[r.pathlist.unwrap() as usize].distance, Some(r.distance));
                prop_assert!(!sel[r.pathlist.unwrap() as usize].targets.is_empty());
            }
        }
    }

    #[test]
        fn every_resolved_prefix_forwards_at_its_minimum_distance_when_all_gateways_are_up(
        (port_off, addr_off, routes) in arb_case()
    ) {
        let c = build_case(&port_off, &addr_off, routes);
        let rib = &c.rib;
        let sel = select(rib, &all_usable);
        for (i, r) in rib.routes.iter().enumerate() {
            if !r.resolved() || r.table != "main" {
                continue;
            }
            let min_distance = rib
                .routes
                .iter()
                .filter(|x| x.resolved() && x.table == r.table && x.dst == r.dst)
                .map(|x| x.distance)
                .min()
                .unwrap();
            for a in owned_probes(&c, r) {
                let id = rib.pathlist_for(0, a).unwrap();
                prop_assert_eq!(
                    sel[id as usize].distance,
                    Some(min_distance),
                    "route {} {} via {} probe {}: path list {:?}; resolved_via {:?}",
                    i, r.dst, r.gateway, Ipv4Addr::from(a),
                    rib.pathlists[id as usize], r.resolved_via
                );
            }
            // And a resolved route at the minimum distance is active (A).
            if r.distance == min_distance {
                prop_assert!(rib.route_active(i, &sel, &all_usable), "route {} {} via {}", i, r.dst, r.gateway);
            }
        }
    }
}
