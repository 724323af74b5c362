use super::*;
use crate::config::{AddressItem, CheckGateway, Gateway, RouteItem as ConfRoute};
use crate::net::Ipv4Interface;
use crate::rib::{compute, select, PortDesc};

const GW1: &str = "203.0.113.1";
const GW2: &str = "198.51.100.1";
const PORT_NAMES: [&str; 3] = ["bridge", "ether1", "ether2"];

fn ports(disabled: &[&str]) -> Vec<PortDesc> {
    PORT_NAMES
        .iter()
        .map(|n| PortDesc {
            name: n.to_string(),
            enabled: !disabled.contains(n),
        })
        .collect()
}

fn names() -> Vec<String> {
    PORT_NAMES.iter().map(|n| n.to_string()).collect()
}

/// The guide's addresses: LAN on the bridge, one /24 per ISP.
fn addresses() -> Vec<(u16, AddressItem)> {
    [
        (0, "192.168.1.1/24"),
        (1, "203.0.113.2/24"),
        (2, "198.51.100.2/24"),
    ]
    .into_iter()
    .map(|(port, addr)| {
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
    })
    .collect()
}

/// A static route with RouterOS's defaults: distance 1, scope 30, target-scope 10, main.
fn route(dst: &str, gateway: &str) -> ConfRoute {
    ConfRoute {
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

fn checked(dst: &str, gateway: &str, distance: u8) -> ConfRoute {
    ConfRoute {
        distance,
        check_gateway: CheckGateway::Ping,
        ..route(dst, gateway)
    }
}

fn rib_of(routes: &[ConfRoute]) -> Rib {
    compute(&ports(&[]), &addresses(), routes, &[])
}

/// The gateway address a member sends to or resolves.
fn gw_of(m: &Member) -> Option<Ipv4Addr> {
    match *m {
        Member::Direct {
            target: Target::Gateway(_, a),
            ..
        }
        | Member::Recursive { gw: a, .. } => Some(Ipv4Addr::from(a)),
        Member::Direct { .. } => None,
    }
}

/// The routes and nexthops with the checked gateways in `down` failing their probes.
fn views(rib: &Rib, down: &[&str]) -> (Vec<RouteItem>, Vec<NexthopItem>) {
    let is_down = |m: &Member| {
        m.check() != Check::None
            && gw_of(m).is_some_and(|a| down.iter().any(|d| a == d.parse::<Ipv4Addr>().unwrap()))
    };
    let usable = |m: &Member| !is_down(m);
    let gw_state = |m: &Member| {
        (m.check() != Check::None).then(|| {
            if is_down(m) {
                GwState::Unreachable
            } else {
                GwState::Reachable
            }
        })
    };
    let sel = select(rib, &usable);
    let ports = names();
    let ctx = Context {
        rib,
        sel: &sel,
        ports: &ports,
        usable: &usable,
        gw_state: &gw_state,
    };
    (routes(&ctx), nexthops(&ctx))
}

fn route_views(rib: &Rib, down: &[&str]) -> Vec<RouteItem> {
    views(rib, down).0
}

/// The one static route to `dst` through `gateway`.
fn find<'a>(items: &'a [RouteItem], dst: &str, gateway: &str) -> &'a RouteItem {
    let v: Vec<&RouteItem> = items
        .iter()
        .filter(|i| i.dst_address == dst && i.gateway == gateway)
        .collect();
    assert_eq!(v.len(), 1, "{dst} via {gateway}: {items:#?}");
    v[0]
}

fn state(i: &RouteItem) -> (bool, bool, String) {
    (i.active, i.inactive, route_flags(i))
}

// -----------------------------------------------------------------------------------
// Flags and states
// -----------------------------------------------------------------------------------

#[test]
fn distance_failover_primary_active_backup_standby_then_swapped() {
    let backup = ConfRoute {
        distance: 10,
        ..route("0.0.0.0/0", GW2)
    };
    let rib = rib_of(&[checked("0.0.0.0/0", GW1, 1), backup]);

    let items = route_views(&rib, &[]);
    let primary = find(&items, "0.0.0.0/0", GW1);
    let backup = find(&items, "0.0.0.0/0", GW2);
    assert_eq!(state(primary), (true, false, "As".into()));
    assert_eq!(
        state(backup),
        (false, false, " s".into()),
        "neither A nor I"
    );
    assert_eq!(primary.immediate_gw, "203.0.113.1%ether1");
    assert_eq!(primary.gw_state.as_deref(), Some("reachable"));
    assert_eq!(primary.check_gateway.as_deref(), Some("ping"));
    assert_eq!(backup.immediate_gw, "198.51.100.1%ether2");
    assert_eq!(backup.gw_state.as_deref(), Some("reachable"));
    assert_eq!(backup.check_gateway, None);
    assert_eq!(
        (backup.distance, backup.scope, backup.target_scope),
        (10, 30, 10)
    );

    // The primary's probe fails: primary I, backup A.
    let items = route_views(&rib, &[GW1]);
    let primary = find(&items, "0.0.0.0/0", GW1);
    let backup = find(&items, "0.0.0.0/0", GW2);
    assert_eq!(state(primary), (false, true, "Is".into()));
    assert_eq!(primary.gw_state.as_deref(), Some("unreachable"));
    assert_eq!(state(backup), (true, false, "As".into()));
    assert!(!primary.ecmp && !backup.ecmp);
}

#[test]
fn ecmp_routes_are_both_active_with_plus_until_one_fails() {
    let rib = rib_of(&[checked("0.0.0.0/0", GW1, 1), checked("0.0.0.0/0", GW2, 1)]);
    let items = route_views(&rib, &[]);
    for gw in [GW1, GW2] {
        let r = find(&items, "0.0.0.0/0", gw);
        assert_eq!(state(r), (true, false, "As+".into()), "{gw}");
        assert!(r.ecmp);
    }
    let items = route_views(&rib, &[GW2]);
    assert_eq!(
        state(find(&items, "0.0.0.0/0", GW1)),
        (true, false, "As".into())
    );
    assert_eq!(
        state(find(&items, "0.0.0.0/0", GW2)),
        (false, true, "Is".into())
    );

    // One route with two gateways is ECMP too.
    let rib = rib_of(&[route("0.0.0.0/0", "203.0.113.1,198.51.100.1")]);
    let items = route_views(&rib, &[]);
    let r = find(&items, "0.0.0.0/0", "203.0.113.1,198.51.100.1");
    assert_eq!(state(r), (true, false, "As+".into()));
}

/// The guide's anchors, with one VPN prefix.
fn anchor_routes() -> Vec<ConfRoute> {
    let anchor = |dst: &str, gw: &str| ConfRoute {
        scope: 10,
        target_scope: 20,
        ..checked(dst, gw, 1)
    };
    let via = |dst: &str, gw: &str, distance: u8| ConfRoute {
        distance,
        scope: 20,
        ..route(dst, gw)
    };
    vec![
        anchor("203.0.113.1/32", "203.0.113.1%ether1"),
        anchor("198.51.100.1/32", "198.51.100.1%ether2"),
        via("0.0.0.0/0", GW1, 1),
        via("0.0.0.0/0", GW2, 10),
        via("10.10.0.0/16", GW1, 1),
        via("10.10.0.0/16", GW2, 10),
    ]
}

fn nexthop<'a>(items: &'a [NexthopItem], address: &str, check: &str) -> &'a NexthopItem {
    let v: Vec<&NexthopItem> = items
        .iter()
        .filter(|n| n.address == address && n.check_gateway == check)
        .collect();
    assert_eq!(v.len(), 1, "{address} check {check}: {items:#?}");
    v[0]
}

#[test]
fn anchors_nexthops_reachable_and_defaults_recursive() {
    let rib = rib_of(&anchor_routes());
    let (items, hops) = views(&rib, &[]);

    let anchor = find(&items, "203.0.113.1/32", "203.0.113.1%ether1");
    assert_eq!(state(anchor), (true, false, "As".into()));
    assert_eq!(anchor.gw_state.as_deref(), Some("reachable"));
    assert_eq!((anchor.scope, anchor.target_scope), (10, 20));
    for dst in ["0.0.0.0/0", "10.10.0.0/16"] {
        let r = find(&items, dst, GW1);
        assert_eq!(state(r), (true, false, "As".into()), "{dst}");
        assert_eq!(r.gw_state.as_deref(), Some("recursive"), "{dst}");
        assert_eq!(r.immediate_gw, "203.0.113.1%ether1", "{dst}");
        let r = find(&items, dst, GW2);
        assert_eq!(state(r), (false, false, " s".into()), "{dst}");
        assert_eq!(r.gw_state.as_deref(), Some("recursive"), "{dst}");
        assert_eq!(r.immediate_gw, "198.51.100.1%ether2", "{dst}");
    }

    assert_eq!(hops.len(), 4, "{hops:#?}");
    let probed = nexthop(&hops, GW1, "ping");
    assert_eq!(
        *probed,
        NexthopItem {
            id: probed.id,
            address: GW1.into(),
            gw_state: "reachable".into(),
            immediate_gw: "203.0.113.1%ether1".into(),
            interface: "ether1".into(),
            scope: 10,
            target_scope: 20,
            check_gateway: "ping".into(),
        }
    );
    let rec = nexthop(&hops, GW1, "none");
    assert_eq!(rec.gw_state, "recursive");
    assert_eq!(rec.immediate_gw, "203.0.113.1%ether1");
    assert_eq!(rec.interface, "ether1");
    assert_eq!((rec.scope, rec.target_scope), (10, 10));
    assert_eq!(
        nexthop(&hops, GW2, "none").immediate_gw,
        "198.51.100.1%ether2"
    );
    let ids: Vec<usize> = hops.iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);

    // The ISP1 anchor fails: the anchor I, everything through it I, ISP2 takes over.
    let (items, hops) = views(&rib, &[GW1]);
    let anchor = find(&items, "203.0.113.1/32", "203.0.113.1%ether1");
    assert_eq!(state(anchor), (false, true, "Is".into()));
    for dst in ["0.0.0.0/0", "10.10.0.0/16"] {
        let r = find(&items, dst, GW1);
        assert_eq!(state(r), (false, true, "Is".into()), "{dst}");
        assert_eq!(r.gw_state.as_deref(), Some("unreachable"), "{dst}");
        assert_eq!(r.immediate_gw, "", "{dst}");
        assert_eq!(
            state(find(&items, dst, GW2)),
            (true, false, "As".into()),
            "{dst}"
        );
    }
    assert_eq!(nexthop(&hops, GW1, "ping").gw_state, "unreachable");
    let rec = nexthop(&hops, GW1, "none");
    assert_eq!(
        (rec.gw_state.as_str(), rec.immediate_gw.as_str()),
        ("unreachable", "")
    );
    assert_eq!(nexthop(&hops, GW2, "none").gw_state, "recursive");
}

#[test]
fn disabled_route_is_x_and_neither_active_nor_inactive() {
    let mut r = route("10.20.0.0/16", GW1);
    r.disabled = true;
    let rib = rib_of(&[r]);
    let (items, hops) = views(&rib, &[]);
    let r = find(&items, "10.20.0.0/16", GW1);
    assert!(r.disabled && !r.active && !r.inactive && r.static_);
    assert_eq!(route_flags(r), "X s");
    assert_eq!(r.gw_state, None);
    assert_eq!(r.immediate_gw, "");
    assert!(hops.is_empty(), "a disabled route has no nexthop");
    assert!(
        print_routes(&items)
            .lines()
            .any(|l| l == "0 X s 10.20.0.0/16     203.0.113.1  main                  1"),
        "{}",
        print_routes(&items)
    );
}

#[test]
fn unresolved_route_is_inactive_until_target_scope_allows_it() {
    // The guide's scope mismatch: 172.16.0.0/24 is static (scope 30), target-scope 10.
    let rib = rib_of(&[
        route("10.1.0.0/16", "172.16.0.1"),
        route("172.16.0.0/24", "192.168.1.254"),
        route("10.2.0.0/16", "10.99.0.1"),
    ]);
    let items = route_views(&rib, &[]);
    for (dst, gw) in [("10.1.0.0/16", "172.16.0.1"), ("10.2.0.0/16", "10.99.0.1")] {
        let r = find(&items, dst, gw);
        assert_eq!(state(r), (false, true, "Is".into()), "{dst}");
        assert_eq!(r.immediate_gw, "", "{dst}");
        assert_eq!(r.gw_state.as_deref(), Some("unreachable"), "{dst}");
    }
    let mid = find(&items, "172.16.0.0/24", "192.168.1.254");
    assert_eq!(state(mid), (true, false, "As".into()));
    assert_eq!(mid.immediate_gw, "192.168.1.254%bridge");

    // The fix: target-scope=30.
    let rib = rib_of(&[
        ConfRoute {
            target_scope: 30,
            ..route("10.1.0.0/16", "172.16.0.1")
        },
        route("172.16.0.0/24", "192.168.1.254"),
    ]);
    let (items, hops) = views(&rib, &[]);
    let r = find(&items, "10.1.0.0/16", "172.16.0.1");
    assert_eq!(state(r), (true, false, "As".into()));
    assert_eq!(r.gw_state.as_deref(), Some("recursive"));
    assert_eq!(r.immediate_gw, "192.168.1.254%bridge");
    let h = nexthop(&hops, "172.16.0.1", "none");
    assert_eq!(
        (h.scope, h.target_scope, h.gw_state.as_str()),
        (30, 30, "recursive")
    );
    assert_eq!(h.interface, "bridge");
}

#[test]
fn connected_routes_are_dynamic_and_unnumbered() {
    let rib = compute(&ports(&["ether2"]), &addresses(), &[], &[]);
    let items = route_views(&rib, &[]);
    let lan = find(&items, "192.168.1.0/24", "bridge");
    assert!(lan.dynamic && lan.connect && !lan.static_);
    assert_eq!(state(lan), (true, false, "DAc".into()));
    assert_eq!((lan.distance, lan.scope, lan.target_scope), (0, 10, 0));
    assert_eq!(lan.immediate_gw, "bridge");
    assert_eq!(lan.gw_state, None);
    // A disabled interface: its connected route is inactive.
    let wan2 = find(&items, "198.51.100.0/24", "ether2");
    assert_eq!(state(wan2), (false, true, "DIc".into()));
    assert_eq!(wan2.immediate_gw, "");
    let text = print_routes(&items);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[2],
        "#     DST-ADDRESS      GATEWAY  ROUTING-TABLE  DISTANCE"
    );
    assert_eq!(
        lines[3],
        "  DAc 192.168.1.0/24   bridge   main                  0"
    );
    assert_eq!(
        lines[4],
        "  DIc 198.51.100.0/24  ether2   main                  0"
    );
    assert_eq!(
        lines[5],
        "  DAc 203.0.113.0/24   ether1   main                  0"
    );
}

#[test]
fn interface_gateway_is_reachable_on_its_port() {
    let rib = rib_of(&[route("10.20.0.0/16", "ether2")]);
    let (items, hops) = views(&rib, &[]);
    let r = find(&items, "10.20.0.0/16", "ether2");
    assert_eq!(state(r), (true, false, "As".into()));
    assert_eq!(r.immediate_gw, "ether2");
    assert_eq!(r.gw_state.as_deref(), Some("reachable"));
    assert_eq!(hops.len(), 1);
    assert_eq!(
        (
            hops[0].address.as_str(),
            hops[0].immediate_gw.as_str(),
            hops[0].interface.as_str()
        ),
        ("ether2", "ether2", "ether2")
    );
}

#[test]
fn items_are_ordered_by_destination_with_rib_ids() {
    let rib = rib_of(&[route("10.20.0.0/16", GW1), route("0.0.0.0/0", GW2)]);
    let items = route_views(&rib, &[]);
    let dsts: Vec<&str> = items.iter().map(|i| i.dst_address.as_str()).collect();
    assert_eq!(
        dsts,
        [
            "0.0.0.0/0",
            "10.20.0.0/16",
            "192.168.1.0/24",
            "198.51.100.0/24",
            "203.0.113.0/24"
        ]
    );
    // ids: connected 1..=3 in address order, then statics in configuration order.
    let ids: Vec<usize> = items.iter().map(|i| i.id).collect();
    assert_eq!(ids, [5, 4, 1, 3, 2]);
    assert_eq!(format_id(26), "*1A");
}

#[test]
fn stale_selection_does_not_panic() {
    let rib = rib_of(&anchor_routes());
    let ports = names();
    let ctx = Context {
        rib: &rib,
        sel: &[],
        ports: &ports,
        usable: &|_| true,
        gw_state: &|_| None,
    };
    let items = routes(&ctx);
    assert!(items.iter().all(|i| !i.active));
    let _ = nexthops(&ctx);
}

// -----------------------------------------------------------------------------------
// Text
// -----------------------------------------------------------------------------------

fn commented_failover() -> Rib {
    let mut primary = checked("0.0.0.0/0", GW1, 1);
    primary.comment = Some("wan1-default".into());
    let mut backup = route("0.0.0.0/0", GW2);
    backup.distance = 10;
    backup.comment = Some("wan2-default".into());
    rib_of(&[primary, backup])
}

#[test]
fn print_lines_are_aligned_as_routeros_v7() {
    let items = route_views(&commented_failover(), &[]);
    let expected = [
            "Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP",
            "Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE",
            "#     DST-ADDRESS      GATEWAY       ROUTING-TABLE  DISTANCE",
            ";;; wan1-default",
            "0  As 0.0.0.0/0        203.0.113.1   main                  1",
            ";;; wan2-default",
            "1   s 0.0.0.0/0        198.51.100.1  main                 10",
            "  DAc 192.168.1.0/24   bridge        main                  0",
            "  DAc 198.51.100.0/24  ether2        main                  0",
            "  DAc 203.0.113.0/24   ether1        main                  0",
        ];
    let text = print_routes(&items);
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
    assert!(text.ends_with('\n'));

    // Failed over: the primary I, the backup A; `where active=yes` keeps the backup.
    let items = route_views(&commented_failover(), &[GW1]);
    let active = filter_routes(&items, &[("active", "yes"), ("dst-address", "0.0.0.0/0")]).unwrap();
    let text = print_routes(&active);
    assert_eq!(
        text.lines().skip(2).collect::<Vec<_>>(),
        [
            "#    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE",
            ";;; wan2-default",
            "0 As 0.0.0.0/0    198.51.100.1  main                 10",
        ],
        "\n{text}"
    );
}

#[test]
fn print_detail_wraps_properties() {
    let items = route_views(&commented_failover(), &[]);
    let statics = filter_routes(&items, &[("static", "yes")]).unwrap();
    let text = print_routes_detail(&statics);
    let expected = [
            "Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP",
            " 0 As  ;;; wan1-default",
            "       dst-address=0.0.0.0/0 gateway=203.0.113.1 immediate-gw=203.0.113.1%ether1",
            "       distance=1 scope=30 target-scope=10 routing-table=main check-gateway=ping",
            "",
            " 1  s  ;;; wan2-default",
            "       dst-address=0.0.0.0/0 gateway=198.51.100.1",
            "       immediate-gw=198.51.100.1%ether2 distance=10 scope=30 target-scope=10",
            "       routing-table=main",
        ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
    assert!(text
        .lines()
        .skip(1)
        .all(|l| l.chars().count() <= DETAIL_WIDTH));

    // Quoting: empty values and values with spaces.
    let mut r = route("10.9.0.0/16", "10.99.0.1");
    r.comment = Some("no \"route\" here".into());
    let items = route_views(&rib_of(&[r]), &[]);
    let one = filter_routes(&items, &[("dst-address", "10.9.0.0/16")]).unwrap();
    let text = print_routes_detail(&one);
    assert_eq!(
        text.lines().skip(1).collect::<Vec<_>>(),
        [
            " 0 Is  ;;; no \"route\" here",
            "       dst-address=10.9.0.0/16 gateway=10.99.0.1 immediate-gw=\"\" distance=1",
            "       scope=30 target-scope=10 routing-table=main",
        ],
        "\n{text}"
    );
    assert_eq!(quote("a b"), "\"a b\"");
    assert_eq!(quote("x\"y\\"), "\"x\\\"y\\\\\"");
    assert_eq!(quote("main"), "main");
}

#[test]
fn print_nexthops_columns() {
    let rib = rib_of(&anchor_routes()[..4]);
    let (_, hops) = views(&rib, &[]);
    let text = print_nexthops(&hops);
    let expected = [
            "Columns: ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE, TARGET-SCOPE, CHECK-GATEWAY",
            "# ADDRESS       GW-STATE   IMMEDIATE-GW         INTERFACE  SCOPE  TARGET-SCOPE  CHECK-GATEWAY",
            "0 198.51.100.1  reachable  198.51.100.1%ether2  ether2        10            20  ping",
            "1 198.51.100.1  recursive  198.51.100.1%ether2  ether2        10            10  none",
            "2 203.0.113.1   reachable  203.0.113.1%ether1   ether1        10            20  ping",
            "3 203.0.113.1   recursive  203.0.113.1%ether1   ether1        10            10  none",
        ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
}

// -----------------------------------------------------------------------------------
// JSON
// -----------------------------------------------------------------------------------

/// A JSON value, as the validator below parses it.
#[derive(Debug, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// A strict JSON parser (RFC 8259), enough to validate the output.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", b as char, self.i))
        }
    }

    fn lit(&mut self, word: &str, v: J) -> Result<J, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }

    fn value(&mut self) -> Result<J, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(J::Obj(v));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    v.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(J::Obj(v));
                        }
                        _ => return Err(format!("expected , or }} at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(J::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(J::Arr(v));
                        }
                        _ => return Err(format!("expected , or ] at {}", self.i)),
                    }
                }
            }
            Some(b'"') => self.string().map(J::Str),
            Some(b't') => self.lit("true", J::Bool(true)),
            Some(b'f') => self.lit("false", J::Bool(false)),
            Some(b'n') => self.lit("null", J::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while matches!(
                    self.s.get(self.i),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                let n = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                n.parse::<f64>().map_err(|e| format!("{n}: {e}"))?;
                Ok(J::Num(n.to_string()))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("short \\u")?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).map_err(|e| e.to_string())?, 16)
            .map_err(|e| e.to_string())
    }

    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(format!("expected string at {}", self.i));
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let u = self.hex4()?;
                            char::from_u32(u).ok_or("surrogate escape")?
                        }
                        _ => return Err(format!("bad escape at {}", self.i)),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(format!("raw control character at {}", self.i)),
                _ => out.push(b),
            }
        }
    }
}

fn parse_json(s: &str) -> Result<J, String> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i != s.len() {
        return Err(format!("trailing input at {}", p.i));
    }
    Ok(v)
}

/// Every object of an array of objects with string values, as key → value lists.
fn objects(j: &J) -> Vec<Vec<(String, String)>> {
    let J::Arr(items) = j else {
        panic!("not an array: {j:?}")
    };
    items
        .iter()
        .map(|o| {
            let J::Obj(pairs) = o else {
                panic!("not an object: {o:?}")
            };
            pairs
                .iter()
                .map(|(k, v)| match v {
                    J::Str(s) => (k.clone(), s.clone()),
                    _ => panic!("{k} is not a string: {v:?}"),
                })
                .collect()
        })
        .collect()
}

#[test]
fn json_validator_rejects_bad_json() {
    for bad in [
        "[",
        "[1,]",
        "{\"a\"}",
        "\"\u{1}\"",
        "[\"\\x\"]",
        "{} {}",
        "tru",
    ] {
        assert!(parse_json(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        parse_json(" [ {\"a\" : \"\\u00e9\\n\"}, true, null, -1.5e3 ] ").unwrap(),
        J::Arr(vec![
            J::Obj(vec![("a".into(), J::Str("é\n".into()))]),
            J::Bool(true),
            J::Null,
            J::Num("-1.5e3".into()),
        ])
    );
}

#[test]
fn routes_json_is_routeros_rest_shaped() {
    let items = route_views(&commented_failover(), &[]);
    let two = filter_routes(&items, &[("dst-address", "0.0.0.0/0")]).unwrap();
    let json = routes_json(&two);
    let expected = concat!(
        r#"[{".id":"*4","active":"true","check-gateway":"ping","comment":"wan1-default","#,
        r#""connect":"false","disabled":"false","distance":"1","dst-address":"0.0.0.0/0","#,
        r#""dynamic":"false","ecmp":"false","gateway":"203.0.113.1","gw-state":"reachable","#,
        r#""immediate-gw":"203.0.113.1%ether1","inactive":"false","routing-table":"main","#,
        r#""scope":"30","static":"true","target-scope":"10"},"#,
        r#"{".id":"*5","active":"false","comment":"wan2-default","#,
        r#""connect":"false","disabled":"false","distance":"10","dst-address":"0.0.0.0/0","#,
        r#""dynamic":"false","ecmp":"false","gateway":"198.51.100.1","gw-state":"reachable","#,
        r#""immediate-gw":"198.51.100.1%ether2","inactive":"false","routing-table":"main","#,
        r#""scope":"30","static":"true","target-scope":"10"}]"#,
    );
    assert_eq!(json, expected);
    assert_eq!(objects(&parse_json(&json).unwrap()).len(), 2);

    // The whole anchor table parses, with every flag a boolean string.
    let rib = rib_of(&anchor_routes());
    let (items, hops) = views(&rib, &[GW1]);
    let objs = objects(&parse_json(&routes_json(&items)).unwrap());
    assert_eq!(objs.len(), items.len());
    for o in &objs {
        let get = |k: &str| o.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert!(get(".id").unwrap().starts_with('*'));
        for flag in [
            "active", "dynamic", "disabled", "inactive", "ecmp", "connect", "static",
        ] {
            assert!(matches!(get(flag), Some("true" | "false")), "{flag}: {o:?}");
        }
        assert!(get("distance").unwrap().parse::<u8>().is_ok());
    }
    let objs = objects(&parse_json(&nexthops_json(&hops)).unwrap());
    assert_eq!(objs.len(), hops.len());
    assert_eq!(
        objs[2],
        [
            (".id", "*3"),
            ("address", "203.0.113.1"),
            ("check-gateway", "ping"),
            ("gw-state", "unreachable"),
            ("immediate-gw", "203.0.113.1%ether1"),
            ("interface", "ether1"),
            ("scope", "10"),
            ("target-scope", "20"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(routes_json(&[]), "[]");
    assert_eq!(nexthops_json(&[]), "[]");
}

#[test]
fn json_escapes_strings() {
    let nasty = "say \"hi\" \\ back\nslash\ttab \u{1}\u{1f} é ✓";
    let mut r = route("10.9.0.0/16", GW1);
    r.comment = Some(nasty.into());
    let items = route_views(&rib_of(&[r]), &[]);
    let json = routes_json(&items);
    assert!(
        json.contains(r#""comment":"say \"hi\" \\ back\nslash\ttab \u0001\u001f é ✓""#),
        "{json}"
    );
    let objs = objects(&parse_json(&json).unwrap());
    let comments: Vec<&str> = objs
        .iter()
        .flat_map(|o| {
            o.iter()
                .filter(|(k, _)| k == "comment")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert_eq!(comments, [nasty]);
    // The text views keep the comment on one line.
    let text = print_routes(&items);
    assert!(
        text.lines()
            .any(|l| l == ";;; say \"hi\" \\ back slash tab    é ✓"),
        "{text}"
    );
}

// -----------------------------------------------------------------------------------
// Filters
// -----------------------------------------------------------------------------------

#[test]
fn where_filters_and_count_only() {
    let rib = rib_of(&anchor_routes());
    let items = route_views(&rib, &[]);
    assert_eq!(items.len(), 9);
    // 3 connected, 2 anchors, the ISP1 default and VPN routes.
    assert_eq!(count_routes(&items, &[("active", "yes")]).unwrap(), 7);
    assert_eq!(count_routes(&items, &[("active", "true")]).unwrap(), 7);
    assert_eq!(count_routes(&items, &[("active", "no")]).unwrap(), 2);
    assert_eq!(count_routes(&items, &[]).unwrap(), 9);
    assert_eq!(
        count_routes(&items, &[("dst-address", "0.0.0.0/0")]).unwrap(),
        2
    );
    assert_eq!(
        count_routes(&items, &[("dst-address", "203.0.113.1/32")]).unwrap(),
        1
    );
    assert_eq!(
        count_routes(&items, &[("dst-address", "203.0.113.1")]).unwrap(),
        1
    );
    assert_eq!(count_routes(&items, &[("gateway", GW1)]).unwrap(), 2);
    assert_eq!(
        count_routes(&items, &[("gateway", "203.0.113.1%ether1")]).unwrap(),
        1
    );
    assert_eq!(count_routes(&items, &[("dynamic", "yes")]).unwrap(), 3);
    assert_eq!(count_routes(&items, &[("connect", "yes")]).unwrap(), 3);
    assert_eq!(count_routes(&items, &[("static", "yes")]).unwrap(), 6);
    assert_eq!(
        count_routes(&items, &[("check-gateway", "ping")]).unwrap(),
        2
    );
    assert_eq!(
        count_routes(&items, &[("check-gateway", "none")]).unwrap(),
        7
    );
    assert_eq!(count_routes(&items, &[("distance", "10")]).unwrap(), 2);
    assert_eq!(count_routes(&items, &[("scope", "20")]).unwrap(), 4);
    assert_eq!(count_routes(&items, &[("target-scope", "20")]).unwrap(), 2);
    assert_eq!(
        count_routes(&items, &[("routing-table", "main")]).unwrap(),
        9
    );
    assert_eq!(
        count_routes(&items, &[("gw-state", "recursive")]).unwrap(),
        4
    );
    assert_eq!(
        count_routes(&items, &[("immediate-gw", "203.0.113.1%ether1")]).unwrap(),
        3
    );
    assert_eq!(count_routes(&items, &[("inactive", "yes")]).unwrap(), 0);
    assert_eq!(count_routes(&items, &[("disabled", "no")]).unwrap(), 9);
    assert_eq!(count_routes(&items, &[("ecmp", "no")]).unwrap(), 9);
    assert_eq!(count_routes(&items, &[("comment", "")]).unwrap(), 9);
    assert_eq!(
        count_routes(&items, &[("active", "yes"), ("dst-address", "0.0.0.0/0")]).unwrap(),
        1
    );
    let id = format_id(items[0].id);
    assert_eq!(count_routes(&items, &[(".id", &id)]).unwrap(), 1);

    // After the ISP1 anchor fails.
    let items = route_views(&rib, &[GW1]);
    let active = filter_routes(&items, &[("active", "yes"), ("static", "yes")]).unwrap();
    let gws: Vec<&str> = active.iter().map(|i| i.gateway.as_str()).collect();
    assert_eq!(gws, [GW2, GW2, "198.51.100.1%ether2"]);
    assert_eq!(count_routes(&items, &[("inactive", "yes")]).unwrap(), 3);

    // Errors name the property or value.
    let e = route_matches(&items[0], "colour", "red").unwrap_err();
    assert!(e.contains("colour"), "{e}");
    let e = count_routes(&items, &[("active", "maybe")]).unwrap_err();
    assert!(e.contains("maybe") && e.contains("active"), "{e}");
    let e = count_routes(&items, &[("distance", "far")]).unwrap_err();
    assert!(e.contains("far") && e.contains("distance"), "{e}");
    assert!(
        count_routes(&[], &[("nope", "1")]).is_err(),
        "bad property on an empty table"
    );
    assert!(count_routes(&items, &[("active", "no"), ("nope", "1")]).is_err());
}

#[test]
fn nexthop_filters() {
    let rib = rib_of(&anchor_routes());
    let (_, hops) = views(&rib, &[]);
    let n = |p: &str, v: &str| {
        hops.iter()
            .filter(|h| nexthop_matches(h, p, v).unwrap())
            .count()
    };
    assert_eq!(n("address", GW1), 2);
    assert_eq!(n("gw-state", "recursive"), 2);
    assert_eq!(n("check-gateway", "ping"), 2);
    assert_eq!(n("interface", "ether2"), 2);
    assert_eq!(n("target-scope", "20"), 2);
    assert_eq!(n("scope", "10"), 4);
    assert!(nexthop_matches(&hops[0], "colour", "red").is_err());
    assert!(nexthop_matches(&hops[0], "scope", "x").is_err());
}
