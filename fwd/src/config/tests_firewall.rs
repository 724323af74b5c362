//! The firewall sections: the guide's PCC configuration, and errors placed on their line.

use super::tests::{assert_error, error};
use super::*;
use crate::firewall::{MangleAction, NatAction};

const PCC: &str = include_str!("../../../configs/pcc.yaml");

#[test]
fn the_guides_pcc_configuration_parses() {
    let cfg = Config::from_yaml_str(PCC, "pcc.yaml").unwrap();
    assert_eq!(cfg.interface_lists.len(), 1);
    assert_eq!(cfg.interface_lists[0].name, "WAN");
    assert_eq!(cfg.interface_list_members.len(), 2);
    assert_eq!(cfg.interface_list_members[1].interface, "ether2");
    assert_eq!(cfg.mangle.len(), 6);
    let m0 = &cfg.mangle[0];
    assert_eq!(m0.action, MangleAction::MarkConnection);
    assert_eq!(m0.new_connection_mark.as_deref(), Some("wan1_conn"));
    assert!(m0.passthrough);
    assert_eq!(
        m0.properties(),
        vec![
            ("chain", "prerouting".to_string()),
            ("action", "mark-connection".into()),
            ("new-connection-mark", "wan1_conn".into()),
            ("in-interface", "bridge".into()),
            ("connection-state", "new".into()),
            ("dst-address-type", "!local".into()),
            (
                "per-connection-classifier",
                "both-addresses-and-ports:2/0".into()
            ),
        ]
    );
    assert!(!cfg.mangle[2].passthrough);
    assert_eq!(cfg.mangle[5].chain, "output");
    assert_eq!(cfg.nat.len(), 1);
    assert_eq!(cfg.nat[0].action, NatAction::Masquerade);
    assert_eq!(
        cfg.nat[0].properties(),
        vec![
            ("chain", "srcnat".to_string()),
            ("action", "masquerade".into()),
            ("out-interface-list", "WAN".into()),
        ]
    );
}

/// The guide's setup around the mangle rules: interfaces, tables and the list.
const BASE: &str = "\
/interface/ethernet:
  - { name: bridge, device: d0 }
  - { name: ether1, device: d1 }
  - { name: ether2, device: d2 }
/routing/table:
  - { name: to_wan1, fib }
  - { name: nofib }
/interface/list:
  - { name: WAN }
";

#[test]
fn yaml_scalars_become_routeros_text() {
    let text = format!(
        "/ip/firewall/mangle:\n  - {{ chain: forward, protocol: 6, dst-port: 443, passthrough: false, action: mark-packet, new-packet-mark: p }}\n/ip/firewall/nat:\n  - {{ chain: srcnat, action: src-nat, to-addresses: 203.0.113.2, to-ports: 1024-65535, protocol: udp }}\n{BASE}"
    );
    let cfg = Config::from_yaml_str(&text, "t.yaml").unwrap();
    let m = &cfg.mangle[0];
    assert_eq!(
        m.matchers.protocol.as_ref().unwrap().value.to_string(),
        "tcp"
    );
    assert_eq!(m.matchers.dst_port.as_ref().unwrap().to_string(), "443");
    assert!(!m.passthrough);
    assert_eq!(cfg.nat[0].to_ports, Some((1024, 65535)));
}

#[test]
fn bad_firewall_items_are_placed_on_their_line() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("/ip/firewall/mangle:\n  - { chain: prerouting, dst-address-type: \"!lokal\" }\n",
         "lokal", "/ip/firewall/mangle[0].dst-address-type", "'lokal' is not an address type"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    per-connection-classifier: both-addresses:2/2\n",
         "2/2", "/ip/firewall/mangle[0].per-connection-classifier", "remainder '2'"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    per-connection-classifier: all-fields:2/0\n",
         "all-fields", "/ip/firewall/mangle[0].per-connection-classifier", "not a classifier field set"),
        ("/ip/firewall/mangle:\n  - { chain: prerouting }\n  - chain: prerouting\n    action: drop\n",
         "drop", "/ip/firewall/mangle[1].action", "invalid action 'drop'"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    src-port: 80-70\n",
         "80-70", "/ip/firewall/mangle[0].src-port", "ends before it starts"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    new-mark: x\n",
         "new-mark", "/ip/firewall/mangle[0].new-mark", "unknown property 'new-mark'"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    passthrough: maybe\n",
         "maybe", "/ip/firewall/mangle[0].passthrough", "not yes or no"),
        ("/ip/firewall/mangle:\n  - { chain: prerouting, chain: output }\n",
         "chain", "/ip/firewall/mangle[0].chain", "given twice"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    connection-state: new,old\n",
         "new,old", "/ip/firewall/mangle[0].connection-state", "'old' is not a connection state"),
        ("/ip/firewall/nat:\n  - chain: srcnat\n    action: dst-nat\n",
         "dst-nat", "/ip/firewall/nat[0].action", "invalid action 'dst-nat'"),
        ("/ip/firewall/nat:\n  - chain: srcnat\n    to-addresses: 1.2.3.4-1.2.3.9\n",
         "1.2.3.4", "/ip/firewall/nat[0].to-addresses", "single address"),
        ("/interface/list/member:\n  - { list: WAN, interface: ether1, bogus: 1 }\n",
         "bogus", "/interface/list/member[0].bogus", "unknown property 'bogus'"),
        // Checked after parsing, across items.
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    in-interface: ether9\n",
         "ether9", "/ip/firewall/mangle[0].in-interface", "no interface named 'ether9'"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    action: mark-routing\n    new-routing-mark: to_wan9\n",
         "to_wan9", "/ip/firewall/mangle[0].new-routing-mark", "no routing table named 'to_wan9'"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    action: mark-routing\n    new-routing-mark: nofib\n",
         "new-routing-mark: nofib", "/ip/firewall/mangle[0].new-routing-mark", "with fib"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    routing-mark: \"!bogus\"\n",
         "bogus", "/ip/firewall/mangle[0].routing-mark", "no routing table named 'bogus'"),
        ("/ip/firewall/mangle:\n  - chain: forward\n    action: mark-routing\n    new-routing-mark: to_wan1\n",
         "action", "/ip/firewall/mangle[0].action", "only in the prerouting and output chains"),
        ("/ip/firewall/mangle:\n  - chain: prerouting\n    action: mark-connection\n",
         "- chain: prerouting", "/ip/firewall/mangle[0].new-connection-mark", "needs new-connection-mark"),
        ("/ip/firewall/mangle:\n  - { chain: a, action: jump, jump-target: b }\n  - { chain: b, action: jump, jump-target: a }\n",
         "target: a", "/ip/firewall/mangle", "makes a loop"),
        ("/ip/firewall/mangle:\n  - { chain: prerouting, dst-port: 80 }\n",
         "dst-port", "/ip/firewall/mangle[0].dst-port", "needs protocol=tcp or protocol=udp"),
        ("/ip/firewall/mangle:\n  - { action: accept }\n",
         "accept", "/ip/firewall/mangle[0].chain", "chain is required"),
        ("/ip/firewall/nat:\n  - { chain: srcnat, out-interface-list: LAN, action: masquerade }\n",
         "LAN", "/ip/firewall/nat[0].out-interface-list", "no interface list named 'LAN'"),
        ("/ip/firewall/nat:\n  - { chain: srcnat, action: src-nat }\n",
         "src-nat", "/ip/firewall/nat[0].to-addresses", "needs to-addresses"),
        ("/interface/list/member:\n  - { list: LAN, interface: ether1 }\n",
         "LAN", "/interface/list/member[0].list", "no interface list named 'LAN'"),
        ("/interface/list/member:\n  - list: WAN\n    interface: ether7\n",
         "ether7", "/interface/list/member[0].interface", "no interface named 'ether7'"),
        ("/interface/list:\n  - { name: all }\n",
         "all", "/interface/list[0].name", "already exists"),
    ];
    for (body, needle, path, says) in cases {
        let text = if body.starts_with(INTERFACE_LIST) && !body.starts_with(INTERFACE_LIST_MEMBER) {
            // The body's own list section replaces BASE's.
            format!(
                "{body}{}",
                BASE.replace("/interface/list:\n  - { name: WAN }\n", "")
            )
        } else {
            format!("{body}{BASE}")
        };
        if path.ends_with("mangle") {
            // The loop: placed on the jump that closes it.
            let e = error(&text);
            assert!(e.message().contains(says), "{e}");
            assert!(e.path().starts_with(path), "{e}");
            continue;
        }
        assert_error(&text, needle, path, says);
    }
}

#[test]
fn values_are_placed_on_their_column() {
    let text = format!("/ip/firewall/mangle:\n  - {{ chain: prerouting, protocol: tcp, src-port: \"1,x\" }}\n{BASE}");
    let e = error(&text);
    assert_eq!(e.line(), Some(2), "{e}");
    assert_eq!(e.path(), "/ip/firewall/mangle[0].src-port");
    // On the value (after `src-port: `), or at least on its key.
    let col = e.column().unwrap();
    let key = text.lines().nth(1).unwrap().find("src-port").unwrap() + 1;
    assert!(col >= key, "{e}");
}

#[test]
fn netwatch_section_parses() {
    let cfg = Config::from_yaml_str(
        "/tool/netwatch:\n  - host: 192.0.2.10\n    interval: 1s\n    timeout: 1s\n    gateway: 203.0.113.1\n    up-script: /ip/route set [find comment=\"wan1-default\"] distance=1\n    down-script: |\n      :log warning \"down\"\n      /ip/route set [find comment=\"wan1-default\"] distance=20\n",
        "nw.yaml",
    )
    .unwrap();
    assert_eq!(cfg.netwatch.len(), 1);
    let n = &cfg.netwatch[0];
    assert_eq!(n.gateway, Some("203.0.113.1".parse().unwrap()));
    assert_eq!(n.interval, std::time::Duration::from_secs(1));
    assert!(n.down_script.starts_with(":log warning"));
}

#[test]
fn bad_netwatch_items_are_placed_on_their_line() {
    assert_error(
        "/tool/netwatch:\n  - { host: 192.0.2.10, type: tcp-conn }\n",
        "tcp-conn",
        "/tool/netwatch[0].type",
        "not supported",
    );
    assert_error(
        "/tool/netwatch:\n  - { host: 192.0.2.10 }\n  - { interval: 1s }\n",
        "interval",
        "/tool/netwatch[1].host",
        "needs a host",
    );
}
