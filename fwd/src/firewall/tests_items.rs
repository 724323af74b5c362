//! Items set from RouterOS text and printed back.

use super::*;

fn item<T: Item>(text: &str) -> T {
    let mut it = T::default();
    for kv in text.split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap();
        it.set(k, v).unwrap_or_else(|e| panic!("{kv}: {e}"));
    }
    it
}

fn set_err<T: Item>(property: &str, value: &str) -> String {
    T::default().set(property, value).unwrap_err()
}

#[test]
fn defaults_are_routeros_defaults() {
    let m = MangleItem::new();
    assert_eq!(m.action, MangleAction::Accept);
    assert!(m.passthrough);
    assert!(!m.disabled);
    assert!(m.properties().is_empty());
    assert_eq!(NatItem::new().action, NatAction::Accept);
    assert!(NatItem::new().properties().is_empty());
}

#[test]
fn mangle_round_trips_through_properties() {
    let text = "chain=prerouting action=mark-routing new-routing-mark=to_wan1 passthrough=no \
        src-address=192.168.1.0/24 dst-address=!10.0.0.1 protocol=tcp src-port=1024-65535 \
        dst-port=80,443,8000-8080 in-interface=bridge out-interface=!ether1 \
        in-interface-list=LAN out-interface-list=!WAN packet-mark=no-mark \
        connection-mark=!wan1_conn routing-mark=main connection-state=established,related \
        src-address-type=unicast dst-address-type=!local \
        per-connection-classifier=!src-address:3/2 comment=hello disabled=yes";
    let m: MangleItem = item(text);
    let printed: Vec<String> = m
        .properties()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        printed.join(" "),
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    // Setting the printed properties gives the same item.
    let again: MangleItem = item(&printed.join(" "));
    assert_eq!(again, m);
}

#[test]
fn passthrough_is_printed_only_where_it_applies() {
    let m: MangleItem = item("chain=prerouting action=accept passthrough=no");
    assert_eq!(m.properties(), vec![("chain", "prerouting".to_string())]);
}

#[test]
fn empty_value_unsets() {
    let mut m: MangleItem = item("chain=forward src-address=10.0.0.0/8 comment=x");
    m.set("src-address", "").unwrap();
    m.set("comment", "").unwrap();
    assert_eq!(m.properties(), vec![("chain", "forward".to_string())]);
}

#[test]
fn nat_round_trips() {
    let text = "chain=srcnat action=src-nat to-addresses=203.0.113.2 to-ports=1024-2047 \
        protocol=udp out-interface=ether1";
    let n: NatItem = item(text);
    assert_eq!(n.to_ports, Some((1024, 2047)));
    let printed: Vec<String> = n
        .properties()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        printed.join(" "),
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
}

#[test]
fn lists_and_members() {
    let l: InterfaceListItem = item("name=WAN comment=uplinks");
    assert_eq!(
        l.properties(),
        vec![("name", "WAN".into()), ("comment", "uplinks".into())]
    );
    let m: InterfaceListMemberItem = item("list=WAN interface=ether1 disabled=yes");
    assert_eq!(m.properties().len(), 3);
    assert!(set_err::<InterfaceListItem>("include", "LAN").contains("not supported"));
    assert!(set_err::<InterfaceListItem>("mtu", "1500")
        .contains("unknown property 'mtu' for /interface/list"));
}

#[test]
fn errors_name_the_property_and_the_value() {
    for (p, v, says) in [
        (
            "src-address",
            "10.0.0.256",
            "invalid src-address '10.0.0.256'",
        ),
        (
            "dst-address",
            "10.0.0.0/33",
            "invalid dst-address '10.0.0.0/33'",
        ),
        ("protocol", "tcpp", "invalid protocol 'tcpp'"),
        ("protocol", "256", "0..255"),
        ("dst-port", "80,", "invalid dst-port '80,'"),
        ("src-port", "70000", "not a port"),
        (
            "connection-state",
            "new,bogus",
            "'bogus' is not a connection state",
        ),
        (
            "dst-address-type",
            "!anycast",
            "'anycast' is not an address type",
        ),
        (
            "per-connection-classifier",
            "both-addresses:0/0",
            "denominator '0'",
        ),
        (
            "per-connection-classifier",
            "both-addresses:1025/0",
            "from 1 to 1024",
        ),
        (
            "per-connection-classifier",
            "both-addresses:4/4",
            "remainder '4'",
        ),
        (
            "per-connection-classifier",
            "both-addresses",
            "FIELDS:DENOMINATOR/REMAINDER",
        ),
        ("passthrough", "maybe", "invalid passthrough 'maybe'"),
        ("disabled", "1", "invalid disabled '1'"),
        ("action", "drop", "invalid action 'drop'"),
        ("chain", "", "invalid chain ''"),
        ("in-interface", "!", "invalid in-interface '!'"),
        ("new-connection-mark", "a b", "whitespace"),
        (
            "bogus",
            "1",
            "unknown property 'bogus' for /ip/firewall/mangle",
        ),
    ] {
        let e = set_err::<MangleItem>(p, v);
        assert!(e.contains(says), "{p}={v}: {e}");
    }
    for (p, v, says) in [
        ("action", "redirect", "invalid action 'redirect'"),
        ("to-addresses", "1.2.3.0/24", "single address"),
        ("to-ports", "10-5", "ends before it starts"),
        ("to-ports", "1,2", "not a port or a port range"),
        (
            "new-routing-mark",
            "x",
            "unknown property 'new-routing-mark' for /ip/firewall/nat",
        ),
    ] {
        let e = set_err::<NatItem>(p, v);
        assert!(e.contains(says), "{p}={v}: {e}");
    }
}

#[test]
fn every_pcc_field_set_parses() {
    for f in PccFields::ALL {
        let m: MangleItem = item(&format!("per-connection-classifier={}:16/15", f.name()));
        let p = m.matchers.per_connection_classifier.unwrap();
        assert_eq!(p.value.fields, f);
        assert_eq!(p.to_string(), format!("{}:16/15", f.name()));
    }
}
