//! The item menus through commands: the guide's PCC configuration typed as RouterOS commands
//! gives the same items as its YAML; wrong commands are refused with where and change nothing.

use super::tests::fake;
use super::*;
use crate::config::Config;
use crate::firewall::{MangleAction, NatAction, MANGLE, NAT};

/// The guide's PCC section, as it writes it (line continuations included).
const GUIDE_PCC: &str = r#"# 1) Create routing tables for policy routing
/routing/table
add name=to_wan1 fib
add name=to_wan2 fib
# 2) Per-table default routes (for marked traffic)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 routing-table=to_wan1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 routing-table=to_wan2 distance=1 check-gateway=ping
# 3) Main table routes (for unmarked traffic and fallback)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 check-gateway=ping
# 4) Mangle: mark incoming connections from LAN using PCC (2-way split)
/ip/firewall/mangle
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/0 \
action=mark-connection new-connection-mark=wan1_conn passthrough=yes
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/1 \
action=mark-connection new-connection-mark=wan2_conn passthrough=yes
# 5) Apply routing marks for established connections
add chain=prerouting in-interface=bridge \
connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=prerouting in-interface=bridge \
connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
# 6) Router-originated traffic (e.g., DNS, updates)
add chain=output connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=output connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
/interface/list add name=WAN
/interface/list/member add interface=ether1 list=WAN
/interface/list/member add interface=ether2 list=WAN
/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade
"#;

fn run_on(text: &str, routes: &[RouteItem], items: &Items) -> Result<Outcome, Error> {
    run(text, routes, items, &fake(), false)
}

/// The guide's configuration, applied to an empty router: (routes, items).
fn guide() -> (Vec<RouteItem>, Items) {
    let out = run_on(GUIDE_PCC, &[], &Items::default()).unwrap();
    (out.routes.unwrap(), out.items.unwrap())
}

fn print(text: &str, routes: &[RouteItem], items: &Items) -> String {
    let out = run_on(text, routes, items).unwrap();
    assert!(out.items.is_none(), "print changes nothing");
    out.output
}

#[test]
fn the_guides_pcc_commands_give_the_items_of_its_yaml() {
    let (routes, items) = guide();
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/pcc.yaml"))
        .unwrap();
    let cfg = Config::from_yaml_str(&yaml, "pcc.yaml").unwrap();
    assert_eq!(routes, cfg.routes);
    assert_eq!(items.routing_tables, cfg.routing_tables);
    assert_eq!(items.mangle, cfg.mangle);
    assert_eq!(items.nat, cfg.nat);
    assert_eq!(items.interface_lists, cfg.interface_lists);
    assert_eq!(items.interface_list_members, cfg.interface_list_members);
    assert_eq!(items.fib_tables(), vec!["to_wan1", "to_wan2"]);
    assert_eq!(items.mangle.len(), 6);
    assert_eq!(items.mangle[0].action, MangleAction::MarkConnection);
    assert_eq!(
        items.mangle[0].new_connection_mark.as_deref(),
        Some("wan1_conn")
    );
    assert_eq!(items.mangle[3].new_routing_mark.as_deref(), Some("to_wan2"));
    assert!(!items.mangle[3].passthrough);
    assert_eq!(items.nat[0].action, NatAction::Masquerade);
}

#[test]
fn print_where_action_shows_the_two_pcc_rules_as_routeros_does() {
    let (routes, items) = guide();
    let out = print(
        "/ip/firewall/mangle print where action=mark-connection",
        &routes,
        &items,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("Flags: X - disabled"), "{out}");
    assert_eq!(
        lines[1],
        " 0    chain=prerouting action=mark-connection new-connection-mark=wan1_conn passthrough=yes in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/0",
        "{out}"
    );
    assert!(
        lines[2].starts_with(
            " 1    chain=prerouting action=mark-connection new-connection-mark=wan2_conn"
        ),
        "{out}"
    );
    assert!(lines[2].contains("both-addresses-and-ports:2/1"), "{out}");
    assert_eq!(
        print(
            "/ip/firewall/mangle print count-only where chain=output",
            &routes,
            &items
        ),
        "2\n"
    );
    assert_eq!(
        print(
            "/ip/firewall/mangle print count-only where action=accept",
            &routes,
            &items
        ),
        "0\n"
    );
    assert_eq!(
        print(
            "/ip/firewall/mangle print count-only where !passthrough",
            &routes,
            &items
        ),
        "4\n"
    );
    let out = print("/interface/list/member print", &routes, &items);
    assert!(out.contains("LIST") && out.contains("INTERFACE"), "{out}");
    assert!(out.contains("1  WAN   ether2"), "{out}");
    let out = print("/routing/table print", &routes, &items);
    assert!(out.contains(" 1    name=to_wan2 fib=yes"), "{out}");
}

#[test]
fn json_is_rest_style() {
    let (routes, items) = guide();
    let out = run("/ip/firewall/nat print", &routes, &items, &fake(), true).unwrap();
    assert_eq!(
        out.output,
        "[{\".id\":\"*1\",\"chain\":\"srcnat\",\"action\":\"masquerade\",\"out-interface-list\":\"WAN\",\"disabled\":\"false\"}]\n"
    );
}

#[test]
fn set_disable_remove_by_find_comment_and_number() {
    let (routes, items) = guide();
    let items = run_on(
        "/ip/firewall/mangle set [find new-connection-mark=wan1_conn] comment=\"pcc wan1\"\n\
         /ip/firewall/mangle set [find comment=\"pcc wan1\"] per-connection-classifier=src-address:2/0",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    let m = &items.mangle[0];
    assert_eq!(m.comment.as_deref(), Some("pcc wan1"));
    assert!(m
        .properties()
        .contains(&("per-connection-classifier", "src-address:2/0".into())));
    let out = print(
        "/ip/firewall/mangle print where comment=\"pcc wan1\"",
        &routes,
        &items,
    );
    assert!(
        out.contains(" 0    ;;; pcc wan1\n      chain=prerouting"),
        "{out}"
    );

    let items = run_on(
        "/ip/firewall/mangle disable [find comment=\"pcc wan1\"]",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    assert!(items.mangle[0].disabled);
    let out = print("/ip/firewall/mangle print where disabled", &routes, &items);
    assert!(out.contains(" 0 X  ;;; pcc wan1"), "{out}");
    let items = run_on("/ip/firewall/mangle enable 0", &routes, &items)
        .unwrap()
        .items
        .unwrap();
    assert!(!items.mangle[0].disabled);

    let items = run_on(
        "/ip/firewall/mangle remove [find chain=output]\n/ip/firewall/mangle remove *1",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    assert_eq!(items.mangle.len(), 3);
    assert_eq!(
        items.mangle[0].new_connection_mark.as_deref(),
        Some("wan2_conn")
    );
}

/// `*ID`s stay with their items: removing or placing an item before others does not move
/// the others' ids (the numbers of print are positions), and an id is not given twice.
#[test]
fn ids_stay_with_their_items() {
    let (routes, items) = guide();
    let json = |items: &Items| {
        run("/ip/firewall/mangle print", &routes, items, &fake(), true)
            .unwrap()
            .output
    };
    assert!(
        json(&items).starts_with("[{\".id\":\"*1\""),
        "{}",
        json(&items)
    );
    // Item 0 (*1) removed: *3 is the item that was third, now second.
    let third = items.mangle[2].clone();
    let items = run_on(
        "/ip/firewall/mangle remove 0\n/ip/firewall/mangle remove *3",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    assert_eq!(items.mangle.len(), 4);
    assert!(!items.mangle.contains(&third), "*3 named the third item");
    let out = json(&items);
    assert!(out.starts_with("[{\".id\":\"*2\""), "{out}");
    // A new item placed first gets a new id; the others keep theirs, as the next script sees.
    let items = run_on(
        "/ip/firewall/mangle add chain=prerouting action=accept place-before=*2",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    let out = json(&items);
    let ids: Vec<&str> = out
        .split("\".id\":\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(ids, ["*7", "*2", "*4", "*5", "*6"], "{out}");
    let e = run_on("/ip/firewall/mangle remove *1", &routes, &items).unwrap_err();
    assert!(e.message.contains("no such item '*1'"), "{e}");
}

#[test]
fn add_place_before() {
    let (routes, items) = guide();
    let items = run_on(
        "/ip/firewall/mangle add chain=prerouting action=accept dst-address=192.168.0.0/16 place-before=0",
        &routes,
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    assert_eq!(items.mangle.len(), 7);
    assert_eq!(items.mangle[0].action, MangleAction::Accept);
    assert_eq!(
        items.mangle[1].new_connection_mark.as_deref(),
        Some("wan1_conn")
    );
}

#[test]
fn wrong_commands_are_refused_with_where_and_change_nothing() {
    let (routes, items) = guide();
    for (text, line, column, needle) in [
        (
            "/ip/firewall/mangle add chain=prerouting action=accept\n/ip/firewall/mangle add chain=prerouting bogus=1",
            2,
            42,
            "unknown property 'bogus'",
        ),
        (
            "/interface/list add name=LAN\n/ip/firewall/mangle add chain=prerouting \\\n  per-connection-classifier=both-addresses-and-ports:2/5 action=accept",
            3,
            3,
            "per-connection-classifier",
        ),
        (
            "/ip/firewall/mangle add chain=prerouting action=mark-routing new-routing-mark=to_wan3",
            1,
            1,
            "to_wan3",
        ),
        (
            "/ip/firewall/mangle add chain=prerouting in-interface=ether9 action=accept",
            1,
            1,
            "ether9",
        ),
        (
            "/ip/firewall/nat add chain=srcnat out-interface-list=LAN action=masquerade",
            1,
            1,
            "LAN",
        ),
        (
            "/ip/firewall/mangle set 9 comment=x",
            1,
            25,
            "no such item",
        ),
        // Removing a table that rules and routes use.
        ("/routing/table remove [find name=to_wan1]", 1, 1, "to_wan1"),
        // The list that the masquerade rule names.
        ("/interface/list remove 0", 1, 1, "WAN"),
        (
            "/ip/firewall/connection/tracking set tcp-established-timeout=forever",
            1,
            38,
            "tcp-established-timeout",
        ),
    ] {
        let e = run_on(text, &routes, &items).unwrap_err();
        assert_eq!(
            (e.span.line, e.span.column),
            (line, column),
            "{text}: {e}"
        );
        assert!(e.message.contains(needle), "{text}: {e}");
    }
}

#[test]
fn a_script_with_a_bad_line_changes_nothing() {
    // run returns an error and no outcome: the caller installs nothing. The good lines before
    // the bad one leave no trace.
    let e = run_on(
        "/interface/list add name=WAN\n/routing/table add name=t fib\n/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade bogus=yes",
        &[],
        &Items::default(),
    )
    .unwrap_err();
    assert_eq!(e.span.line, 3);
}

#[test]
fn routing_tables_added_by_the_script_serve_its_routes() {
    let e = run_on(
        "/ip/route add gateway=203.0.113.1 routing-table=to_wan1",
        &[],
        &Items::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("to_wan1"), "{e}");
    let e = run_on("/routing/table add name=main fib", &[], &Items::default()).unwrap_err();
    assert!(e.message.contains("main"), "{e}");
    let e = run_on(
        "/routing/table add name=t fib\n/routing/table add name=t",
        &[],
        &Items::default(),
    )
    .unwrap_err();
    assert_eq!(e.span.line, 2);
}

#[test]
fn connection_tracking_print_and_set() {
    let items = Items::default();
    let out = print("/ip/firewall/connection/tracking print", &[], &items);
    assert!(out.contains("enabled: auto"), "{out}");
    assert!(out.contains("tcp-established-timeout: 1d"), "{out}");
    // The connections in the tables, after the settings, aligned with them.
    let last = out.lines().last().unwrap_or_default();
    assert_eq!(last.trim_start(), "total-entries: 42", "{out}");
    assert_eq!(
        last.find(':'),
        out.lines().next().and_then(|l| l.find(':')),
        "{out}"
    );
    let new = run_on(
        "/ip/firewall/connection/tracking set udp-timeout=30s tcp-established-timeout=1h",
        &[],
        &items,
    )
    .unwrap()
    .items
    .unwrap();
    assert_ne!(new.tracking, items.tracking);
    let out = print("/ip/firewall/connection/tracking print", &[], &new);
    assert!(out.contains(" udp-timeout: 30s"), "{out}");
    assert!(out.contains("tcp-established-timeout: 1h"), "{out}");
    // Neither the table size nor the count of connections is set by a command.
    for prop in ["max-entries", "total-entries"] {
        let cmd = format!("/ip/firewall/connection/tracking set {prop}=10");
        let e = run_on(&cmd, &[], &items).unwrap_err();
        assert!(e.message.contains(prop), "{e}");
    }
}

#[test]
fn the_yaml_configurations_items_are_the_ones_commands_see() {
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/pcc.yaml"))
        .unwrap();
    let cfg = Config::from_yaml_str(&yaml, "pcc.yaml").unwrap();
    let ports: Vec<String> = ["bridge", "ether1", "ether2"].map(String::from).to_vec();
    let mut model = crate::control::Model::from_config(&cfg, &ports);
    let items = model.items();
    let (_, from_commands) = guide();
    // The guide's commands add no addresses: the YAML's come from its /ip/address.
    assert_eq!(items.addresses.len(), 3);
    let without_addresses = Items {
        addresses: Vec::new(),
        // The commands gave their items ids; the YAML's get theirs when first used.
        ids: from_commands.ids.clone(),
        ..items.clone()
    };
    assert_eq!(without_addresses, from_commands);
    // A script's items installed in the model compile, and change the tables in force.
    let out = run_on(
        "/routing/table add name=to_wan3 fib\n/ip/firewall/mangle set 5 new-routing-mark=to_wan3",
        &cfg.routes,
        &items,
    )
    .unwrap();
    model.set_items(out.items.unwrap());
    assert_eq!(model.tables, vec!["to_wan1", "to_wan2", "to_wan3"]);
    assert!(model.rules().is_ok());
}

#[test]
fn named_items_are_selected_by_name() {
    let (routes, items) = guide();
    let out = run_on(
        "/interface/list set WAN comment=uplinks\n/routing/table set to_wan2 comment=two\n/routing/table set \"to_wan1\" comment=one",
        &routes,
        &items,
    )
    .unwrap();
    let it = out.items.unwrap();
    let wan = it.interface_lists.iter().find(|l| l.name == "WAN").unwrap();
    assert_eq!(wan.comment.as_deref(), Some("uplinks"));
    let t2 = it
        .routing_tables
        .iter()
        .find(|t| t.name == "to_wan2")
        .unwrap();
    assert_eq!(t2.comment.as_deref(), Some("two"));
    let t1 = it
        .routing_tables
        .iter()
        .find(|t| t.name == "to_wan1")
        .unwrap();
    assert_eq!(t1.comment.as_deref(), Some("one"));
    assert!(t1.fib && !t1.disabled, "the name selects, it sets nothing");
    // A word that names no item is a property, refused as such; a quoted unknown name too.
    let e = run_on("/interface/list remove NOPE", &routes, &items).unwrap_err();
    assert!(e.message.contains("NOPE"), "{e}");
    // Disabling a table the rules still use is refused, by name as by find.
    let e = run_on("/routing/table disable to_wan2", &routes, &items).unwrap_err();
    assert!(e.message.contains("to_wan2"), "{e}");
    let e = run_on("/interface/list set \"NOPE\" comment=x", &routes, &items).unwrap_err();
    assert!(e.message.contains("no such item 'NOPE'"), "{e}");
}

/// `print stats` shows each rule's chain, action, bytes and packets, numbers grouped as
/// RouterOS prints them; `where`, `count-only` and JSON work on them.
#[test]
fn print_stats_shows_what_each_rule_matched() {
    let (routes, items) = guide();
    let out = print("/ip/firewall/mangle print stats", &routes, &items);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("Flags: X - disabled, I - invalid; D - dynamic")
    );
    let header = lines.next().unwrap();
    for title in ["CHAIN", "ACTION", "BYTES", "PACKETS"] {
        assert!(header.contains(title), "{out}");
    }
    let row = |n: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(n))
            .unwrap_or_else(|| panic!("row {n}: {out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("0 "), "0 prerouting mark-connection 180 3");
    assert_eq!(row("1 "), "1 prerouting mark-connection 74 040 1 234");
    assert_eq!(row("4 "), "4 output mark-routing 0 0");
    let n = print(
        "/ip/firewall/mangle print stats count-only where packets=0",
        &routes,
        &items,
    );
    assert_eq!(n.trim(), "3");
    let n = print(
        "/ip/firewall/mangle print stats count-only where chain=output",
        &routes,
        &items,
    );
    assert_eq!(n.trim(), "2");
    let nat = print("/ip/firewall/nat print stats", &routes, &items);
    let last: Vec<&str> = nat.lines().last().unwrap().split_whitespace().collect();
    assert_eq!(last, ["0", "srcnat", "masquerade", "420", "7"], "{nat}");
    let json = run(
        "/ip/firewall/mangle print stats",
        &routes,
        &items,
        &fake(),
        true,
    )
    .unwrap()
    .output;
    assert!(json.starts_with("[{\".id\":\"*1\""), "{json}");
    assert!(
        json.contains("\"bytes\":\"74040\",\"packets\":\"1234\""),
        "{json}"
    );
}

/// A rule the script changed has counted nothing yet: its counters print as zero and are
/// not reset (the daemon's are those of the rule in force).
#[test]
fn a_changed_rule_has_no_counts_yet() {
    let (routes, items) = guide();
    let out = run_on(
        "/ip/firewall/mangle set 1 passthrough=no\n/ip/firewall/mangle print stats",
        &routes,
        &items,
    )
    .unwrap();
    let line: Vec<&str> = out
        .output
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(line, ["1", "prerouting", "mark-connection", "0", "0"]);
    let out = run_on(
        "/ip/firewall/mangle set 1 passthrough=no\n/ip/firewall/mangle reset-counters 0,1",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.rule_resets, [(MANGLE.to_string(), vec![0])]);
}

#[test]
fn reset_counters_selects_rules_for_the_daemon() {
    let (routes, items) = guide();
    let reset = |cmd: &str| run_on(cmd, &routes, &items).map(|o| o.rule_resets);
    assert_eq!(
        reset("/ip/firewall/mangle reset-counters [find chain=output]").unwrap(),
        [(MANGLE.to_string(), vec![4, 5])]
    );
    assert_eq!(
        reset("/ip/firewall/nat reset-counters-all").unwrap(),
        [(NAT.to_string(), vec![0])]
    );
    let e = reset("/ip/firewall/mangle reset-counters").unwrap_err();
    assert!(e.message.contains("needs the items"), "{e}");
    let e = reset("/ip/firewall/mangle reset-counters 9").unwrap_err();
    assert!(e.message.contains("no such item '9'"), "{e}");
    let e = reset("/ip/firewall/nat reset-counters-all 0").unwrap_err();
    assert!(e.message.contains("takes no argument"), "{e}");
    // Not on a menu without counters.
    assert!(reset("/interface/list reset-counters-all").is_err());
}
