//! `[MENU get ITEM PROPERTY]` as a value (and `get` as a console command, which prints it):
//! by number, `*ID`, variable or `[find]`, typed (booleans, numbers, text), and refused for
//! no item, several, or an unknown property.

use super::tests::{fake, two_distances};
use super::*;

fn put(text: &str) -> Result<String, Error> {
    run(text, &[], &Items::default(), &fake(), false).map(|o| o.output)
}

const SETUP: &str = "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1 comment=wan1\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2 disabled=yes\n/ip/firewall/mangle add chain=forward action=accept comment=a\n/tool/netwatch add host=192.0.2.1 comment=probe\n";

#[test]
fn get_reads_one_property_of_one_item() {
    let out = put(&format!(
        "{SETUP}:put [/ip/route get [find comment=wan1] gateway]\n:put [/ip/route get 1 distance]\n:local r [/ip/route find comment=wan2]\n:put [/ip/route get $r comment]\n:put [/ip/route get number=*1 value-name=routing-table]\n:put [/ip/firewall/mangle get 0 chain]\n:put [/tool/netwatch get [find comment=probe] host]"
    ))
    .unwrap();
    assert_eq!(out, "203.0.113.1\n10\nwan2\nmain\nforward\n192.0.2.1\n");
    // As a command, at the console, it prints the value.
    let out = put(&format!(
        "{SETUP}/ip/route get [find comment=wan2] gateway
/ip/route get 1 disabled"
    ))
    .unwrap();
    assert_eq!(out, "198.51.100.1\ntrue\n");
}

#[test]
fn get_gives_booleans_and_numbers_that_conditions_and_arithmetic_take() {
    let out = put(&format!(
        "{SETUP}:if ([/ip/route get 1 disabled]) do={{ :put off }}\n:if ([/ip/firewall/mangle get 0 disabled] = false) do={{ :put on }}\n:put ([/ip/route get 1 distance] + 5)"
    ))
    .unwrap();
    assert_eq!(out, "off\non\n15\n");
    // A guide-style failover step: raise the distance of whichever route is active.
    let d = two_distances(&format!(
        "{SETUP}:foreach r in=[/ip/route find dst-address=0.0.0.0/0] do={{ :if ([/ip/route get $r active]) do={{ /ip/route set $r distance=([/ip/route get $r distance] + 20) }} }}"
    ));
    assert_eq!(d, (21, 10));
}

#[test]
fn get_refuses_no_item_several_and_unknown_properties() {
    for (tail, want) in [
        (
            ":put [/ip/route get [find comment=none] gateway]",
            "no such item",
        ),
        (
            ":put [/ip/route get [find dst-address=0.0.0.0/0] gateway]",
            "one item, not 2",
        ),
        (":put [/ip/route get 0 colour]", "have no property 'colour'"),
        (":put [/ip/route get 0]", "get ITEM PROPERTY"),
        (":put [/ip/firewall/mangle get 7 chain]", "no such item '7'"),
        (":put [/ip/arp get 0 address]", "not supported in /ip/arp"),
    ] {
        let e = put(&format!("{SETUP}{tail}")).unwrap_err();
        assert!(e.message.contains(want), "{tail}: {e}");
    }
}
