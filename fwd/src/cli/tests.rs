//! The evaluator against a RIB computed from a small configuration (the guide's topology).

use super::*;
use crate::config::{AddressItem, Config};
use crate::rib::{self, PortDesc};

pub(super) struct Fake {
    ports: Vec<PortDesc>,
    addresses: Vec<(u16, AddressItem)>,
}

/// The distances of the first two static routes once `script` has run on a router with
/// none.
pub(super) fn two_distances(script: &str) -> (u8, u8) {
    let out = run(script, &[], &Items::default(), &fake(), false).unwrap_or_else(|e| panic!("{e}"));
    let routes = out.routes.expect("the script changes the routes");
    (routes[0].distance, routes[1].distance)
}

pub(super) fn fake() -> Fake {
    let cfg = Config::from_yaml_str(
        "/interface/ethernet:\n  - { name: bridge, device: net_null0 }\n  - { name: ether1, device: net_null1 }\n  - { name: ether2, device: net_null2 }\n/ip/address:\n  - { address: 192.168.1.1/24, interface: bridge }\n  - { address: 203.0.113.2/24, interface: ether1 }\n  - { address: 198.51.100.2/24, interface: ether2 }\n",
        "t.yaml",
    )
    .unwrap();
    let names = ["bridge", "ether1", "ether2"];
    Fake {
        ports: names
            .iter()
            .map(|n| PortDesc {
                name: n.to_string(),
                enabled: true,
            })
            .collect(),
        addresses: cfg
            .addresses
            .iter()
            .map(|a| {
                (
                    names.iter().position(|n| *n == a.interface).unwrap() as u16,
                    a.clone(),
                )
            })
            .collect(),
    }
}

impl Fake {
    /// The guide's addresses, as `/ip/address` items.
    pub(super) fn address_items(&self) -> Vec<AddressItem> {
        self.addresses.iter().map(|(_, a)| a.clone()).collect()
    }
}

impl Env for Fake {
    fn route_view(&self, routes: &[RouteItem], tables: &[String]) -> Vec<RouteView> {
        self.route_view_with_addresses(routes, tables, &self.address_items())
    }

    fn route_view_with_addresses(
        &self,
        routes: &[RouteItem],
        tables: &[String],
        addresses: &[AddressItem],
    ) -> Vec<RouteView> {
        let m = crate::control::Model {
            ports: self.ports.clone(),
            ..Default::default()
        };
        let mut m = m;
        m.set_addresses(addresses.to_vec());
        let rib = rib::compute(&self.ports, &m.addresses, routes, tables);
        let usable = |_: &rib::Member| true;
        let gw_state = |_: &rib::Member| None;
        let sel = rib::select(&rib, &usable);
        let ports: Vec<String> = self.ports.iter().map(|p| p.name.clone()).collect();
        view::routes(&view::Context {
            rib: &rib,
            sel: &sel,
            ports: &ports,
            usable: &usable,
            gw_state: &gw_state,
        })
    }

    fn nexthop_view(&self) -> Vec<NexthopItem> {
        Vec::new()
    }

    fn listing(&self, menu: &str) -> Option<Listing> {
        if menu == "/interface" {
            return self.stats_listing(menu);
        }
        (menu == "/ip/arp").then(|| Listing {
            legend: Some("Flags: D - DYNAMIC; C - COMPLETE"),
            columns: vec![
                ("ADDRESS", false),
                ("MAC-ADDRESS", false),
                ("INTERFACE", false),
            ],
            rows: vec![
                ListRow {
                    flags: "DC".into(),
                    cells: vec![
                        "203.0.113.1".into(),
                        "02:00:00:00:02:01".into(),
                        "ether1".into(),
                    ],
                    props: vec![
                        ("address", "203.0.113.1".into()),
                        ("interface", "ether1".into()),
                        ("dynamic", "true".into()),
                    ],
                    handle: 0,
                },
                ListRow {
                    flags: "C".into(),
                    cells: vec![
                        "198.51.100.1".into(),
                        "02:00:00:00:03:01".into(),
                        "ether2".into(),
                    ],
                    props: vec![
                        ("address", "198.51.100.1".into()),
                        ("interface", "ether2".into()),
                        ("dynamic", "false".into()),
                    ],
                    handle: 0,
                },
            ],
        })
    }

    fn settings_status(&self, menu: &str) -> Vec<(&'static str, String)> {
        if menu == crate::conntrack::TRACKING {
            vec![("total-entries", "42".into())]
        } else {
            Vec::new()
        }
    }

    fn traffic(&self) -> Vec<super::Traffic> {
        let t = |name: &str, rx_packets, rx_bits| super::Traffic {
            name: name.into(),
            rx_packets,
            rx_bits,
            ..Default::default()
        };
        let mut saturated = t("ether2", 12_345, 98_760_000);
        saturated.tx_queue_drops = 250;
        vec![t("ether1", 3, 2_900), saturated]
    }

    fn resource(&self) -> Vec<(&'static str, String)> {
        vec![
            ("uptime", "1h2m3s".into()),
            ("cpu-count", "3".into()),
            ("cpu-load", "37%".into()),
        ]
    }

    /// Counters for the guide's six mangle rules and its NAT rule.
    fn rule_counts(&self, menu: &str) -> Option<Vec<[u64; 2]>> {
        match menu {
            crate::firewall::MANGLE => Some(vec![
                [3, 180],
                [1_234, 74_040],
                [40, 2_400],
                [0, 0],
                [0, 0],
                [0, 0],
            ]),
            crate::firewall::NAT => Some(vec![[7, 420]]),
            _ => None,
        }
    }

    fn stats_listing(&self, menu: &str) -> Option<Listing> {
        let row = |name: &str, rx: &str, raw: &str, port: u64| ListRow {
            flags: "R".into(),
            cells: vec![name.into(), rx.into()],
            props: vec![("name", name.into()), ("rx-packet", raw.into())],
            handle: port,
        };
        (menu == "/interface").then(|| Listing {
            legend: Some("Flags: R - RUNNING"),
            columns: vec![("NAME", false), ("RX-PACKET", true)],
            rows: vec![
                row("ether1", "1 234 567", "1234567", 1),
                row("ether2", "0", "0", 2),
            ],
        })
    }

    fn check_route(&self, r: &RouteItem, tables: &[String]) -> Result<(), String> {
        match r.routing_table.as_str() {
            "main" => Ok(()),
            t if tables.iter().any(|x| x == t) => Ok(()),
            t => Err(format!("no routing table '{t}'")),
        }
    }

    fn check_items(&self, items: &Items) -> Result<(), String> {
        let m = crate::control::Model {
            ports: self.ports.clone(),
            addresses: self.addresses.clone(),
            ..Default::default()
        };
        m.check_items(items)
    }
}

fn guide_routes() -> Vec<RouteItem> {
    let out = run(
        "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment=wan1-default\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2-default",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    out.routes.expect("routes added")
}

#[test]
fn add_gives_routeros_defaults_and_the_given_properties() {
    let r = guide_routes();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].distance, 1);
    assert_eq!(r[0].scope, 30);
    assert_eq!(r[0].target_scope, 10);
    assert_eq!(r[1].distance, 10);
    assert_eq!(r[1].comment.as_deref(), Some("wan2-default"));
}

#[test]
fn print_where_active_and_count_only() {
    let r = guide_routes();
    let out = run(
        "/ip/route print count-only where active=yes",
        &r,
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert_eq!(
        out.output.trim(),
        "4",
        "3 connected + the distance-1 default"
    );
    assert!(out.routes.is_none(), "print changes nothing");
    let out = run(
        "/ip/route print where active=no",
        &r,
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert!(out.output.contains("198.51.100.1"), "{}", out.output);
    assert!(!out.output.contains("203.0.113.1 "), "{}", out.output);
}

#[test]
fn set_by_find_changes_only_the_matching_route() {
    let r = guide_routes();
    let out = run(
        "/ip/route set [find comment=\"wan1-default\"] distance=20",
        &r,
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    let r2 = out.routes.unwrap();
    assert_eq!(r2[0].distance, 20);
    assert_eq!(r2[1], r[1]);
}

#[test]
fn disable_enable_and_remove_by_number_and_id() {
    let r = guide_routes();
    // Print numbers follow print order: both defaults have the same prefix, in config order.
    let r = run("/ip/route disable 1", &r, &Items::default(), &fake(), false)
        .unwrap()
        .routes
        .unwrap();
    assert!(r[1].disabled && !r[0].disabled);
    let r = run(
        "/ip/route enable [find disabled]",
        &r,
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap()
    .routes
    .unwrap();
    assert!(!r[1].disabled);
    // Static routes have ids from *1 (the connected ones from *80000001).
    let r = run("/ip/route remove *1", &r, &Items::default(), &fake(), false)
        .unwrap()
        .routes
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].comment.as_deref(), Some("wan2-default"));
}

#[test]
fn a_script_is_applied_whole_or_not_at_all() {
    let r = guide_routes();
    let e = run(
        "/ip/route set [find comment=wan1-default] distance=5\n/ip/route set [find comment=wan2-default] distance=0",
        &r,
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap_err();
    assert_eq!(e.span.line, 2, "{e}");
    assert!(e.message.contains("distance"), "{e}");
}

#[test]
fn errors_name_line_column_and_what_is_wrong() {
    let r = guide_routes();
    let cases = [
        (
            "/ip/route add dst-address=10.0.0.0/33 gateway=203.0.113.1",
            1,
            "dst-address",
        ),
        ("/ip/route add dst-address=10.0.0.0/8", 1, "needs a gateway"),
        (
            "/ip/route add gateway=203.0.113.1 bogus=1",
            1,
            "unknown property 'bogus'",
        ),
        (
            "/ip/route add gateway=ether1 check-gateway=ping",
            1,
            "check-gateway needs a gateway address",
        ),
        (
            "/ip/route add gateway=203.0.113.1 routing-table=to_wan9",
            1,
            "no routing table",
        ),
        ("\n/ip/route frobnicate", 2, "no such menu"),
        ("/ip/route set 7 distance=2", 1, "no such item"),
        ("/ip/route remove", 1, "needs the items"),
        ("/ip/route print bogus", 1, "unknown print option"),
        (
            "/tool/netwatch add host=8.8.8.8 type=dns",
            1,
            "not supported",
        ),
        ("/ip/route add gateway=\"203.0.113.1", 1, ""),
    ];
    for (text, line, needle) in cases {
        let e = run(text, &r, &Items::default(), &fake(), false).unwrap_err();
        assert_eq!(e.span.line, line, "{text}: {e}");
        assert!(e.message.contains(needle), "{text}: {e}");
    }
}

/// A static route keeps its `*ID` when others are removed or added (the ids go with the
/// routes to the next request); connected routes have ids of their own, not selectable.
#[test]
fn route_ids_stay_with_their_routes() {
    let r = guide_routes();
    let id_of = |r: &[RouteItem], items: &Items, comment: &str| {
        let text = format!("/ip/route print where comment={comment}");
        let out = run(&text, r, items, &fake(), true).unwrap().output;
        let at = out.find("\".id\":\"").map(|i| i + 7).expect("an .id");
        out[at..at + out[at..].find('"').unwrap()].to_string()
    };
    assert_eq!(id_of(&r, &Items::default(), "wan2-default"), "*2");
    let out = run("/ip/route remove *1", &r, &Items::default(), &fake(), false).unwrap();
    let mut items = Items::default();
    items
        .ids
        .put(IP_ROUTE, out.route_ids.expect("ids with the routes"));
    let r = out.routes.unwrap();
    assert_eq!(
        id_of(&r, &items, "wan2-default"),
        "*2",
        "kept, not renumbered"
    );
    let out = run(
        "/ip/route add dst-address=10.0.0.0/8 gateway=203.0.113.1 comment=new",
        &r,
        &items,
        &fake(),
        false,
    )
    .unwrap();
    items.ids.put(IP_ROUTE, out.route_ids.unwrap());
    let r = out.routes.unwrap();
    assert_eq!(id_of(&r, &items, "new"), "*3", "*1 is not given again");
    assert_eq!(id_of(&r, &items, "wan2-default"), "*2");
    // Removed by its id, the other stays.
    let r2 = run("/ip/route remove *3", &r, &items, &fake(), false)
        .unwrap()
        .routes
        .unwrap();
    assert_eq!(r2.len(), 1);
    assert_eq!(r2[0].comment.as_deref(), Some("wan2-default"));
    let dynamic = run("/ip/route print where dynamic", &r, &items, &fake(), true)
        .unwrap()
        .output;
    assert!(dynamic.contains("\".id\":\"*8000000"), "{dynamic}");
    let e = run("/ip/route remove *80000001", &r, &items, &fake(), false).unwrap_err();
    assert!(e.message.contains("no such item"), "{e}");
}

#[test]
fn json_output_is_rest_style() {
    let r = guide_routes();
    let out = run(
        "/ip/route print where comment=wan2-default",
        &r,
        &Items::default(),
        &fake(),
        true,
    )
    .unwrap();
    assert!(out.output.trim_start().starts_with('['), "{}", out.output);
    assert!(
        out.output.contains("\"gateway\":\"198.51.100.1\""),
        "{}",
        out.output
    );
}

#[test]
fn log_and_put_are_collected() {
    let out = run(
        ":log warning \"WAN1 upstream DOWN\"\n:put hello",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert_eq!(
        out.logs,
        vec![(ros::LogLevel::Warning, "WAN1 upstream DOWN".to_string())]
    );
    assert_eq!(out.output, "hello\n");
}

#[test]
fn read_only_menus_print_filter_and_refuse_changes() {
    let out = run("/ip/arp print", &[], &Items::default(), &fake(), false).unwrap();
    assert!(
        out.output.starts_with("Flags: D - DYNAMIC; C - COMPLETE\n"),
        "{}",
        out.output
    );
    assert!(out.output.contains("203.0.113.1"), "{}", out.output);
    let out = run(
        "/ip/arp print where interface=ether2",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert!(
        out.output.contains("198.51.100.1") && !out.output.contains("203.0.113.1"),
        "{}",
        out.output
    );
    let out = run(
        "/ip/arp print count-only where dynamic",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert_eq!(out.output.trim(), "1");
    let out = run("/ip/arp print", &[], &Items::default(), &fake(), true).unwrap();
    assert!(
        out.output.contains("\"address\":\"203.0.113.1\""),
        "{}",
        out.output
    );
    let e = run(
        "/ip/arp print where bogus=1",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap_err();
    assert!(e.message.contains("unknown property 'bogus'"), "{e}");
    let e = run(
        "/ip/arp add address=10.0.0.1",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap_err();
    assert!(e.message.contains("read-only"), "{e}");
}

#[test]
fn print_stats_shows_the_counters_of_menus_that_have_them() {
    let print = |cmd: &str, json: bool| run(cmd, &[], &Items::default(), &fake(), json);
    let out = print("/interface print stats", false).unwrap().output;
    assert!(out.starts_with("Flags: R - RUNNING\n"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("ether1"))
        .expect("ether1's line");
    assert!(
        line.ends_with("1 234 567"),
        "grouped and right-aligned: {out}"
    );
    let out = print("/interface print stats where name=ether2", false).unwrap();
    assert!(
        out.output.contains("ether2") && !out.output.contains("ether1"),
        "{}",
        out.output
    );
    let out = print("/interface print stats count-only where rx-packet=0", false).unwrap();
    assert_eq!(out.output.trim(), "1");
    // JSON gives the plain number, as RouterOS's REST API does.
    let out = print("/interface print stats", true).unwrap().output;
    assert!(out.contains("\"rx-packet\":\"1234567\""), "{out}");
    // A menu without counters says so instead of printing its items.
    let e = print("/ip/arp print stats", false).unwrap_err();
    assert!(e.message.contains("/ip/arp has no statistics"), "{e}");
    let e = print("/ip/arp print statz", false).unwrap_err();
    assert!(e.message.contains("unknown print option 'statz'"), "{e}");
}

#[test]
fn reset_counters_selects_interfaces_for_the_daemon() {
    let run = |cmd: &str| run(cmd, &[], &Items::default(), &fake(), false);
    let out = run("/interface reset-counters [find name=ether2]").unwrap();
    assert_eq!(out.counter_resets, [2]);
    let out = run("/interface reset-counters 0").unwrap();
    assert_eq!(out.counter_resets, [1]);
    let out = run("/interface reset-counters-all").unwrap();
    assert_eq!(out.counter_resets, [1, 2]);
    let e = run("/interface reset-counters").unwrap_err();
    assert!(e.message.contains("reset-counters needs the items"), "{e}");
    let e = run("/interface reset-counters-all 0").unwrap_err();
    assert!(e.message.contains("takes no argument"), "{e}");
    let e = run("/interface reset-counters 7").unwrap_err();
    assert!(e.message.contains("no such item 7"), "{e}");
    // Nothing is reset when a later command of the script fails.
    assert!(run("/interface reset-counters-all\n/interface bogus").is_err());
    let e = run("/ip/arp reset-counters 0").unwrap_err();
    assert!(e.message.contains("read-only"), "{e}");
}

#[test]
fn monitor_traffic_prints_the_last_second_of_each_interface() {
    let run = |cmd: &str| run(cmd, &[], &Items::default(), &fake(), false);
    let out = run("/interface monitor-traffic ether1 once")
        .unwrap()
        .output;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "                       name: ether1", "{out}");
    assert_eq!(lines[1], "      rx-packets-per-second: 3", "{out}");
    assert_eq!(lines[2], "         rx-bits-per-second: 2.9kbps", "{out}");
    assert_eq!(lines[7], "  tx-queue-drops-per-second: 0", "{out}");
    assert_eq!(lines.len(), 9, "{out}");
    // Several interfaces: a column each.
    let out = run("/interface monitor-traffic interface=ether2,ether1 once")
        .unwrap()
        .output;
    assert!(
        out.contains("         rx-bits-per-second: 98.8Mbps 2.9kbps\n"),
        "{out}"
    );
    assert!(
        out.contains("      rx-packets-per-second: 12345    3\n"),
        "{out}"
    );
    assert!(
        out.contains("  tx-queue-drops-per-second: 250      0\n"),
        "a saturated link's queue drops: {out}"
    );
    let bare = run("/interface monitor-traffic ether2,ether1 once")
        .unwrap()
        .output;
    assert_eq!(bare, out, "a bare list is the interface= list");
    for (cmd, why) in [
        ("/interface monitor-traffic ether1", "add 'once'"),
        (
            "/interface monitor-traffic ether9 once",
            "no such interface 'ether9'",
        ),
        ("/interface monitor-traffic once", "needs the interfaces"),
        (
            "/interface monitor-traffic interface=\",\" once",
            "needs the interfaces",
        ),
        (
            "/interface monitor-traffic interface=\"\" once",
            "needs the interfaces",
        ),
        (
            "/interface monitor-traffic ether1 once count=3",
            "takes no 'count'",
        ),
    ] {
        let e = run(cmd).unwrap_err();
        assert!(e.message.contains(why), "{cmd}: {e}");
    }
}

#[test]
fn system_resource_prints_the_router_and_its_workers_load() {
    let run = |cmd: &str, json: bool| run(cmd, &[], &Items::default(), &fake(), json);
    let out = run("/system/resource print", false).unwrap().output;
    assert_eq!(
        out, "   uptime: 1h2m3s\ncpu-count: 3\n cpu-load: 37%\n",
        "names right-aligned as RouterOS prints them"
    );
    let out = run("/system/resource print", true).unwrap().output;
    assert!(out.contains("\"cpu-load\":\"37%\""), "{out}");
    let e = run("/system/resource print detail", false).unwrap_err();
    assert!(e.message.contains("unknown print option"), "{e}");
    let e = run("/system/resource set cpu-load=1", false).unwrap_err();
    assert!(e.message.contains("not supported"), "{e}");
}
