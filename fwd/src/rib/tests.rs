//! Route selection and FIB construction on the multi-WAN guide's topology.

use super::*;
use crate::config::CheckGateway;
use crate::fib::Neighbour;
use crate::net::{Ipv4Interface, MacAddr};

const BRIDGE: u16 = 0;
const ETHER1: u16 = 1;
const ETHER2: u16 = 2;

const GW1: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const GW2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn u(s: &str) -> u32 {
    u32::from(ip(s))
}

/// bridge, ether1, ether2, all enabled unless named in `disabled`.
fn ports(disabled: &[&str]) -> Vec<PortDesc> {
    ["bridge", "ether1", "ether2"]
        .iter()
        .map(|n| PortDesc {
            name: n.to_string(),
            enabled: !disabled.contains(n),
        })
        .collect()
}

fn address(port: u16, addr: &str) -> (u16, AddressItem) {
    let name = ["bridge", "ether1", "ether2"][usize::from(port)];
    (
        port,
        AddressItem {
            address: addr.parse::<Ipv4Interface>().unwrap(),
            network: None,
            interface: name.to_string(),
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

fn route(dst: &str, gateway: &str, distance: u8) -> RouteItem {
    RouteItem {
        dst_address: dst.parse().unwrap(),
        gateway: Gateway::parse_list(gateway).unwrap(),
        distance,
        scope: 30,
        target_scope: 10,
        check_gateway: CheckGateway::None,
        routing_table: "main".to_string(),
        comment: None,
        disabled: false,
    }
}

/// The guide's failover pair: ISP1 preferred, ISP2 as backup.
fn failover_routes() -> Vec<RouteItem> {
    vec![
        route("0.0.0.0/0", "203.0.113.1", 1),
        route("0.0.0.0/0", "198.51.100.1", 10),
    ]
}

/// The static route with this gateway text.
fn static_route<'a>(rib: &'a Rib, gateway: &str) -> &'a RouteState {
    rib.routes
        .iter()
        .find(|r| r.origin == Origin::Static && r.gateway == gateway)
        .unwrap_or_else(|| panic!("no static route via {gateway}"))
}

/// The nexthop the FIB gives for `addr`.
fn lookup(rib: &Rib, addr: &str) -> Option<NexthopKey> {
    rib.fib.lookup(u(addr)).map(|i| rib.nexthops[i as usize])
}

#[test]
fn lowest_distance_default_route_is_active() {
    let rib = compute(&ports(&[]), &addresses(), &failover_routes());
    let primary = static_route(&rib, "203.0.113.1");
    assert!(primary.active);
    assert_eq!(
        primary.nexthop,
        Some(NexthopKey::Gateway(ETHER1, GW1.into()))
    );
    assert_eq!(primary.problem, None);
    let backup = static_route(&rib, "198.51.100.1");
    assert!(!backup.active, "distance 10 loses to distance 1");
    assert_eq!(
        backup.problem, None,
        "a standby route has nothing wrong with it"
    );
    assert_eq!(
        backup.nexthop,
        Some(NexthopKey::Gateway(ETHER2, GW2.into()))
    );
    assert_eq!(
        lookup(&rib, "8.8.8.8"),
        Some(NexthopKey::Gateway(ETHER1, GW1.into()))
    );
}

#[test]
fn backup_route_becomes_active_when_the_primary_port_is_disabled() {
    let rib = compute(&ports(&["ether1"]), &addresses(), &failover_routes());
    let primary = static_route(&rib, "203.0.113.1");
    assert!(!primary.active);
    assert!(primary.problem.is_some(), "the log should say why");
    assert!(static_route(&rib, "198.51.100.1").active);
    assert_eq!(
        lookup(&rib, "8.8.8.8"),
        Some(NexthopKey::Gateway(ETHER2, GW2.into()))
    );
}

#[test]
fn gateway_off_every_connected_subnet_is_inactive_with_a_problem() {
    let routes = vec![route("10.0.0.0/8", "192.0.2.1", 1)];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "192.0.2.1");
    assert!(!r.active);
    assert_eq!(r.nexthop, None);
    let problem = r.problem.as_deref().expect("a problem message");
    assert!(problem.contains("192.0.2.1"), "{problem}");
    assert_eq!(lookup(&rib, "10.1.1.1"), None);
}

#[test]
fn address_on_interface_gateway_resolves_to_that_port() {
    let routes = vec![route("0.0.0.0/0", "203.0.113.1%ether1", 1)];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "203.0.113.1%ether1");
    assert!(r.active);
    assert_eq!(r.nexthop, Some(NexthopKey::Gateway(ETHER1, GW1.into())));
}

#[test]
fn address_on_interface_gateway_on_a_disabled_or_unknown_interface_is_inactive() {
    let routes = vec![
        route("0.0.0.0/0", "203.0.113.1%ether1", 1),
        route("10.0.0.0/8", "203.0.113.1%ether9", 1),
    ];
    let rib = compute(&ports(&["ether1"]), &addresses(), &routes);
    for gw in ["203.0.113.1%ether1", "203.0.113.1%ether9"] {
        let r = static_route(&rib, gw);
        assert!(!r.active, "{gw}");
        assert!(r.problem.is_some(), "{gw}");
    }
}

#[test]
fn interface_gateway_resolves_to_a_connected_nexthop() {
    let routes = vec![route("10.0.0.0/8", "ether2", 1)];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "ether2");
    assert!(r.active);
    assert_eq!(r.nexthop, Some(NexthopKey::Connected(ETHER2)));
    assert_eq!(
        lookup(&rib, "10.2.3.4"),
        Some(NexthopKey::Connected(ETHER2))
    );
}

#[test]
fn first_gateway_that_resolves_is_used() {
    let routes = vec![route("10.0.0.0/8", "192.0.2.1,198.51.100.1", 1)];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "192.0.2.1,198.51.100.1");
    assert!(r.active);
    assert_eq!(r.nexthop, Some(NexthopKey::Gateway(ETHER2, GW2.into())));
}

#[test]
fn disabled_route_is_inactive_without_a_problem() {
    let mut routes = failover_routes();
    routes[0].disabled = true;
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "203.0.113.1");
    assert!(!r.active);
    assert!(r.disabled);
    assert_eq!(r.nexthop, None);
    assert_eq!(r.problem, None);
    assert!(static_route(&rib, "198.51.100.1").active);
}

#[test]
fn route_in_another_routing_table_is_not_active_in_main() {
    let mut routes = vec![route("0.0.0.0/0", "198.51.100.1", 1)];
    routes[0].routing_table = "to-isp2".to_string();
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let r = static_route(&rib, "198.51.100.1");
    assert!(!r.active);
    assert!(r.problem.is_some());
    assert_eq!(lookup(&rib, "8.8.8.8"), None);
}

#[test]
fn equal_distance_tie_goes_to_the_first_configured() {
    let routes = vec![
        route("0.0.0.0/0", "198.51.100.1", 1),
        route("0.0.0.0/0", "203.0.113.1", 1),
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    assert!(static_route(&rib, "198.51.100.1").active);
    assert!(!static_route(&rib, "203.0.113.1").active);
}

#[test]
fn own_addresses_and_directed_broadcasts_are_local() {
    let rib = compute(&ports(&[]), &addresses(), &failover_routes());
    assert_eq!(rib.nexthops[0], NexthopKey::Local);
    for a in [
        "192.168.1.1",
        "203.0.113.2",
        "198.51.100.2",
        "192.168.1.255",
        "203.0.113.255",
        "198.51.100.255",
    ] {
        assert_eq!(rib.fib.lookup(u(a)), Some(0), "{a}");
    }
    // Their neighbours on the subnets are not.
    assert_eq!(
        lookup(&rib, "192.168.1.10"),
        Some(NexthopKey::Connected(BRIDGE))
    );
    assert_eq!(
        lookup(&rib, "203.0.113.1"),
        Some(NexthopKey::Connected(ETHER1))
    );
}

#[test]
fn point_to_point_subnet_has_no_directed_broadcast() {
    // RFC 3021: on a /31 both addresses are hosts.
    let mut addrs = addresses();
    addrs.push(address(ETHER2, "100.64.0.0/31"));
    let rib = compute(&ports(&[]), &addrs, &[]);
    assert_eq!(rib.fib.lookup(u("100.64.0.0")), Some(0));
    assert_eq!(
        lookup(&rib, "100.64.0.1"),
        Some(NexthopKey::Connected(ETHER2))
    );
}

#[test]
fn addresses_of_a_disabled_port_are_neither_local_nor_connected() {
    let rib = compute(&ports(&["ether1"]), &addresses(), &[]);
    assert_ne!(rib.fib.lookup(u("203.0.113.2")), Some(0));
    assert_eq!(lookup(&rib, "203.0.113.7"), None);
    let connected = rib
        .routes
        .iter()
        .find(|r| r.origin == Origin::Connected && r.gateway == "ether1")
        .unwrap();
    assert!(!connected.active);
    assert!(connected.problem.is_some());
}

#[test]
fn disabled_address_gives_no_connected_route() {
    let mut addrs = addresses();
    addrs[1].1.disabled = true;
    let rib = compute(&ports(&[]), &addrs, &failover_routes());
    // The ISP1 gateway is no longer on a connected subnet: its subnet, and everything
    // else, goes to ISP2.
    assert!(!static_route(&rib, "203.0.113.1").active);
    assert!(static_route(&rib, "198.51.100.1").active);
    let isp2 = Some(NexthopKey::Gateway(ETHER2, GW2.into()));
    assert_eq!(lookup(&rib, "203.0.113.7"), isp2);
    assert_eq!(lookup(&rib, "203.0.113.2"), isp2);
}

#[test]
fn connected_routes_are_active_with_distance_zero() {
    let rib = compute(&ports(&[]), &addresses(), &[]);
    let connected: Vec<&RouteState> = rib
        .routes
        .iter()
        .filter(|r| r.origin == Origin::Connected)
        .collect();
    assert_eq!(connected.len(), 3);
    for r in connected {
        assert!(r.active, "{}", r.dst);
        assert_eq!(r.distance, 0);
        assert_eq!(r.problem, None);
    }
}

#[test]
fn connected_route_beats_a_static_route_to_the_same_prefix() {
    let routes = vec![route("192.168.1.0/24", "203.0.113.1", 1)];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    assert!(!static_route(&rib, "203.0.113.1").active);
    let connected = rib
        .routes
        .iter()
        .find(|r| r.origin == Origin::Connected && r.dst.to_string() == "192.168.1.0/24")
        .unwrap();
    assert!(connected.active);
    assert_eq!(
        lookup(&rib, "192.168.1.10"),
        Some(NexthopKey::Connected(BRIDGE))
    );
}

#[test]
fn routes_through_one_gateway_share_one_nexthop() {
    let routes = vec![
        route("10.0.0.0/8", "203.0.113.1", 1),
        route("172.16.0.0/12", "203.0.113.1", 1),
        route("0.0.0.0/0", "203.0.113.1%ether1", 1),
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let gw1 = NexthopKey::Gateway(ETHER1, GW1.into());
    assert_eq!(rib.nexthops.iter().filter(|k| **k == gw1).count(), 1);
    let a = rib.fib.lookup(u("10.1.1.1")).unwrap();
    let b = rib.fib.lookup(u("172.16.5.5")).unwrap();
    let c = rib.fib.lookup(u("8.8.8.8")).unwrap();
    assert_eq!((a, b), (c, c));
    // No two entries are the same object.
    let mut keys = rib.nexthops.clone();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rib.nexthops.len());
}

#[test]
fn longer_static_prefix_wins_in_the_fib() {
    let routes = vec![
        route("0.0.0.0/0", "203.0.113.1", 1),
        route("10.0.0.0/8", "198.51.100.1", 20),
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    // Both are active: distance only compares routes to the same destination.
    assert!(static_route(&rib, "198.51.100.1").active);
    assert_eq!(
        lookup(&rib, "10.9.9.9"),
        Some(NexthopKey::Gateway(ETHER2, GW2.into()))
    );
    assert_eq!(
        lookup(&rib, "11.0.0.1"),
        Some(NexthopKey::Gateway(ETHER1, GW1.into()))
    );
}

fn neighbours(entries: &[(&str, u16, u8)]) -> Neighbours {
    entries
        .iter()
        .map(|&(a, port, last)| {
            (
                u(a),
                Neighbour {
                    port,
                    mac: MacAddr([2, 0, 0, 0, 0, last]),
                },
            )
        })
        .collect()
}

#[test]
fn nexthops_fill_gateway_macs_from_neighbours_on_the_same_port() {
    let keys = [
        NexthopKey::Local,
        NexthopKey::Connected(BRIDGE),
        NexthopKey::Gateway(ETHER1, GW1.into()),
        NexthopKey::Gateway(ETHER2, GW2.into()),
    ];
    let n = neighbours(&[("203.0.113.1", ETHER1, 1), ("198.51.100.1", ETHER2, 2)]);
    assert_eq!(
        nexthops(&keys, &n),
        vec![
            Nexthop::Local,
            Nexthop::Connected { port: BRIDGE },
            Nexthop::Gateway {
                port: ETHER1,
                addr: GW1.into(),
                mac: Some(MacAddr([2, 0, 0, 0, 0, 1]))
            },
            Nexthop::Gateway {
                port: ETHER2,
                addr: GW2.into(),
                mac: Some(MacAddr([2, 0, 0, 0, 0, 2]))
            },
        ]
    );
}

#[test]
fn nexthops_leave_the_mac_empty_for_unknown_or_other_port_neighbours() {
    let keys = [
        NexthopKey::Gateway(ETHER1, GW1.into()),
        NexthopKey::Gateway(ETHER2, GW2.into()),
    ];
    // GW2's address was learned on ether1: not a MAC to send out of ether2.
    let n = neighbours(&[("198.51.100.1", ETHER1, 2)]);
    assert_eq!(
        nexthops(&keys, &n),
        vec![
            Nexthop::Gateway {
                port: ETHER1,
                addr: GW1.into(),
                mac: None
            },
            Nexthop::Gateway {
                port: ETHER2,
                addr: GW2.into(),
                mac: None
            },
        ]
    );
}

#[test]
fn unresolved_gateways_lists_gateways_without_a_neighbour() {
    let routes = vec![
        route("0.0.0.0/0", "203.0.113.1", 1),
        route("10.0.0.0/8", "198.51.100.1", 1),
    ];
    let rib = compute(&ports(&[]), &addresses(), &routes);
    let mut all = unresolved_gateways(&rib.nexthops, &Neighbours::default());
    all.sort();
    assert_eq!(all, vec![(ETHER1, GW1.into()), (ETHER2, GW2.into())]);
    let n = neighbours(&[("203.0.113.1", ETHER1, 1), ("192.168.1.10", BRIDGE, 3)]);
    assert_eq!(
        unresolved_gateways(&rib.nexthops, &n),
        vec![(ETHER2, GW2.into())]
    );
    let n = neighbours(&[("203.0.113.1", ETHER1, 1), ("198.51.100.1", ETHER2, 2)]);
    assert!(unresolved_gateways(&rib.nexthops, &n).is_empty());
}

#[test]
fn unresolved_gateways_never_lists_local_or_connected() {
    let keys = [NexthopKey::Local, NexthopKey::Connected(BRIDGE)];
    assert!(unresolved_gateways(&keys, &Neighbours::default()).is_empty());
}

#[test]

fn gateway_known_only_on_another_port_is_unresolved() {
    let keys = [NexthopKey::Gateway(ETHER2, GW2.into())];
    let n = neighbours(&[("198.51.100.1", ETHER1, 2)]);
    assert_eq!(unresolved_gateways(&keys, &n), vec![(ETHER2, GW2.into())]);
}
