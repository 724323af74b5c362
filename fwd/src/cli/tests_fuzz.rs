//! Random scripts against the guide's router (`tests_corpus::Router`): whatever an operator
//! types, the interpreter answers or refuses; it never panics, a refused script changes
//! nothing, and an accepted one leaves a state the daemon can install (its rules compile)
//! and that `/export` reproduces on a fresh router.

use super::tests_corpus::Router;
use proptest::prelude::*;

/// The menus, each with arguments that mostly fit it (and some that do not).
const MENUS: &[(&str, &[&str])] = &[
    (
        "/ip/route",
        &[
            "dst-address=0.0.0.0/0",
            "dst-address=192.0.2.0/24",
            "dst-address=8.8.8.8",
            "dst-address=203.0.113.0/33",
            "gateway=203.0.113.1",
            "gateway=198.51.100.1",
            "gateway=192.0.2.1",
            "gateway=8.8.8.8",
            "gateway=bridge",
            "gateway=203.0.113.1,198.51.100.1",
            "distance=1",
            "distance=10",
            "distance=256",
            "distance=-1",
            "distance=99999999999999999999",
            "scope=10",
            "scope=30",
            "target-scope=11",
            "target-scope=30",
            "check-gateway=ping",
            "check-gateway=arp",
            "check-gateway=none",
            "routing-table=to_wan1",
            "routing-table=main",
            "routing-table=nowhere",
            "type=blackhole",
        ],
    ),
    (
        "/ip/firewall/mangle",
        &[
            "chain=prerouting",
            "chain=forward",
            "chain=output",
            "chain=postrouting",
            "chain=mine",
            "action=mark-connection",
            "action=mark-routing",
            "action=mark-packet",
            "action=accept",
            "action=jump",
            "action=return",
            "action=passthrough",
            "jump-target=mine",
            "new-connection-mark=wan1_conn",
            "new-connection-mark=wan2_conn",
            "new-routing-mark=to_wan1",
            "new-routing-mark=nowhere",
            "new-packet-mark=p1",
            "passthrough=no",
            "passthrough=yes",
            "connection-mark=wan1_conn",
            "connection-mark=no-mark",
            "connection-mark=!wan2_conn",
            "connection-state=new",
            "connection-state=established,related",
            "connection-state=bogus",
            "routing-mark=to_wan1",
            "packet-mark=p1",
            "in-interface=bridge",
            "in-interface=!ether1",
            "in-interface=ether9",
            "out-interface=ether1",
            "in-interface-list=LAN",
            "out-interface-list=WAN",
            "out-interface-list=NOPE",
            "dst-address-type=!local",
            "dst-address-type=local",
            "src-address-type=unicast",
            "protocol=tcp",
            "protocol=udp",
            "protocol=300",
            "src-port=80",
            "dst-port=1-1024",
            "dst-port=70000",
            "src-address=192.168.1.0/24",
            "dst-address=!10.0.0.0/8",
            "per-connection-classifier=both-addresses-and-ports:2/0",
            "per-connection-classifier=src-address:16/15",
            "per-connection-classifier=dst-port:0/0",
            "per-connection-classifier=both-ports:2/2",
            "per-connection-classifier=!dst-address:3/1",
        ],
    ),
    (
        "/ip/firewall/nat",
        &[
            "chain=srcnat",
            "chain=dstnat",
            "chain=mine",
            "action=masquerade",
            "action=src-nat",
            "action=accept",
            "action=jump",
            "action=return",
            "jump-target=mine",
            "to-addresses=203.0.113.2",
            "to-ports=1024-65535",
            "to-ports=0",
            "out-interface=ether1",
            "out-interface-list=WAN",
            "src-address=192.168.1.0/24",
            "protocol=udp",
            "connection-mark=wan1_conn",
        ],
    ),
    (
        "/interface/list",
        &[
            "name=WAN",
            "name=LAN",
            "name=ALL",
            "name=\"\"",
            "include=WAN",
        ],
    ),
    (
        "/interface/list/member",
        &[
            "list=WAN",
            "list=LAN",
            "list=NOPE",
            "interface=ether1",
            "interface=ether2",
            "interface=bridge",
            "interface=ether9",
        ],
    ),
    (
        "/ip/address",
        &[
            "address=192.0.2.1/24",
            "address=203.0.113.5",
            "address=10.0.0.1/8",
            "address=192.168.1.1/24",
            "address=1.2.3.4/40",
            "network=10.0.0.0",
            "interface=ether1",
            "interface=ether2",
            "interface=bridge",
            "interface=ether9",
        ],
    ),
    (
        "/tool/netwatch",
        &[
            "host=192.0.2.1",
            "host=198.51.100.1",
            "host=bogus",
            "interval=10s",
            "interval=0s",
            "interval=1h2m3s",
            "timeout=1s",
            "timeout=-1s",
            "type=icmp",
            "type=simple",
            "type=tcp-conn",
            "src-address=203.0.113.2",
            "up-script={ /ip/route enable [find comment=wan1] }",
            "down-script={ /ip/route disable [find comment=wan1] }",
            "up-script=\"/ip/route disable 0\"",
        ],
    ),
    (
        "/routing/table",
        &[
            "name=to_wan1",
            "name=to_wan2",
            "name=main",
            "name=\"\"",
            "fib",
            "fib=no",
        ],
    ),
    (
        "/ip/firewall/connection",
        &[
            "connection-mark=wan1_conn",
            "protocol=tcp",
            "[find connection-mark=wan2_conn]",
        ],
    ),
    (
        "/ip/firewall/connection/tracking",
        &[
            "max-entries=1000",
            "max-entries=0",
            "udp-timeout=10s",
            "tcp-established-timeout=1d",
            "tcp-established-timeout=forever",
            "enabled=yes",
        ],
    ),
    (
        "/ip/arp",
        &[
            "address=192.168.1.50",
            "mac-address=02:00:00:00:00:09",
            "mac-address=zz",
            "interface=bridge",
        ],
    ),
    (
        "/ip/settings",
        &[
            "ecmp-hash-policy=l4",
            "ecmp-hash-policy=l3",
            "ecmp-hash-policy=bogus",
        ],
    ),
    (
        "/routing/settings",
        &["ping-interval=5s", "ping-count=0", "restore-count=2"],
    ),
    ("/routing/nexthop", &[]),
    ("/interface", &["ether1", "name=ether1"]),
    ("", &[]),
];

/// Arguments of every menu: selectors, conditions, printing options.
const COMMON: &[&str] = &[
    "comment=wan1",
    "comment=\"w x\"",
    "disabled=yes",
    "disabled=no",
    "disabled=maybe",
    "numbers=0",
    "numbers=*1",
    "*1",
    "*2",
    "*FFFFFFFF",
    "*80000001",
    "0",
    "1",
    "7",
    "place-before=*1",
    "place-before=0",
    "destination=*1",
    "[find]",
    "[find comment=wan1]",
    "$r",
    "$x",
    "where",
    "comment~\"w\"",
    "!disabled",
    "count-only",
    "detail",
    "value-name=comment",
];

const COMMANDS: &[&str] = &[
    "add",
    "add",
    "add",
    "add",
    "set",
    "set",
    "set",
    "remove",
    "print",
    "print detail",
    "print count-only",
    "print stats",
    "print where comment~\"w\"",
    "find",
    "disable",
    "enable",
    "move",
    "unset",
    "export",
    "reset-counters-all",
    "comment",
];

const STATEMENTS: &[&str] = &[
    ":local x [find]",
    ":global x 1",
    ":set x \"*1\"",
    ":put $x",
    ":put [:len [find]]",
    ":foreach r in=[find] do={ set $r comment=z }",
    ":for i from=0 to=2 do={ set $i comment=\"n$i\" }",
    ":for i from=1 to=999999999 do={ :set x $i }",
    ":while ([:len [find]] > 2) do={ remove 0 }",
    ":put [get 0 comment]",
    ":put [/ip/route get [find] distance]",
    ":local d [/ip/route get 0 distance]; /ip/route set 0 distance=($d + 1)",
    ":do { set 0 distance=999; :put ok } on-error={ :put failed }",
    ":do { remove [find comment=wan1]; add } on-error={ :log error x }",
    ":foreach r in=[find] do={ remove $r }",
    ":foreach r in=[find] do={ disable $r; :put $r }",
    ":if ([:len [find]] > 0) do={ remove [find] } else={ :log info none }",
    ":if ($x = 1) do={ :put one }",
    ":put ($x + 1)",
    ":put (1 / 0)",
    ":put (9223372036854775807 + 1)",
    ":log warning \"$[:len [find]] items\"",
    ":delay 1s",
    "/ping 192.0.2.1 count=1",
    "/routing/nexthop flush",
    "/ip/firewall/connection remove [find connection-mark=wan1_conn]",
];

/// One line of a script: a statement, or a menu, a command and arguments.
fn line() -> impl Strategy<Value = String> {
    let arg = |args: &'static [&'static str]| {
        prop_oneof![
            3 => proptest::sample::select(if args.is_empty() { COMMON } else { args }),
            1 => proptest::sample::select(COMMON),
        ]
    };
    let command = proptest::sample::select(MENUS).prop_flat_map(move |(menu, args)| {
        (
            Just(menu),
            proptest::sample::select(COMMANDS),
            proptest::collection::vec(arg(args), 0..4),
        )
            .prop_map(|(menu, cmd, args)| {
                let mut l = String::new();
                if !menu.is_empty() {
                    l.push_str(menu);
                    l.push(' ');
                }
                l.push_str(cmd);
                for a in args {
                    l.push(' ');
                    l.push_str(a);
                }
                l
            })
    });
    prop_oneof![
        4 => command,
        1 => proptest::sample::select(STATEMENTS).prop_map(str::to_string),
    ]
}

fn script() -> impl Strategy<Value = String> {
    proptest::collection::vec(line(), 1..3).prop_map(|l| l.join("\n"))
}

/// The guide's set-up, so that `set`, `remove` and the rest find items to work on.
const START: &str = "/ip/route
add dst-address=192.0.2.1 gateway=203.0.113.1 scope=10 comment=wan1
add dst-address=0.0.0.0/0 gateway=192.0.2.1 target-scope=11 check-gateway=ping comment=wan1
add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10
/routing/table add name=to_wan1 fib
/interface/list add name=WAN
/interface/list add name=LAN
/interface/list/member add list=WAN interface=ether1
/interface/list/member add list=LAN interface=bridge
/ip/firewall/mangle
add chain=prerouting in-interface=bridge connection-state=new per-connection-classifier=both-addresses-and-ports:2/0 action=mark-connection new-connection-mark=wan1_conn
add chain=prerouting connection-mark=wan1_conn in-interface=bridge action=mark-routing new-routing-mark=to_wan1 passthrough=no
/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade
/tool/netwatch add host=192.0.2.1 interval=10s";

fn started() -> Router {
    let mut r = Router::new();
    r.run(START).expect("the guide's set-up");
    r
}

/// An export without its first line (the time it was made).
fn body(export: &str) -> &str {
    export.split_once('\n').map_or("", |(_, rest)| rest)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn scripts_answer_or_refuse_and_leave_an_installable_state(
        scripts in proptest::collection::vec(script(), 1..8)
    ) {
        let mut r = started();
        for s in &scripts {
            let before = r.state();
            match r.run(s) {
                Err(e) => {
                    prop_assert_eq!(r.state(), before, "{:?} refused ({}) but changed the state", s, e);
                    prop_assert!(!e.message.is_empty());
                }
                Ok(_) => {
                    let rules = r.model.rules();
                    prop_assert!(rules.is_ok(), "{:?} left rules that do not compile: {:?}", s, rules.err());
                    let _ = r.model.compute_quiet();
                }
            }
        }
        // What the router holds now, exported and replayed on a fresh router, exports the
        // same.
        let export = r.run("/export").expect("export");
        // The fresh router has its interfaces only, as after a reset.
        let mut fresh = Router::new();
        fresh.run("/ip/address remove [find]").expect("a router without addresses");
        let replay = fresh.run(&export);
        prop_assert!(replay.is_ok(), "{:?}: export {:?} refused: {:?}", scripts, export, replay.err());
        // The same, as far as the export says: it leaves out what RouterOS ignores
        // (`passthrough` of an `accept`), which a replay then does not carry.
        let again = fresh.run("/export").expect("export");
        prop_assert_eq!(body(&again), body(&export), "{:?}", scripts);
    }
}

/// What the fuzzing above found, kept as plain cases.
#[test]
fn items_without_their_required_properties_are_refused() {
    let mut r = started();
    let before = r.state();
    for (script, message) in [
        // A routing table with a comment but no name passed: the check looked at the
        // first property, whatever it was; its export could not be replayed.
        (
            "/routing/table add comment=wan1",
            "a routing table needs a name",
        ),
        (
            "/interface/list add comment=x",
            "an interface list needs a name",
        ),
        (
            "/tool/netwatch add comment=x",
            "a netwatch item needs a host",
        ),
    ] {
        let e = r.run(script).unwrap_err();
        assert_eq!(e.message, message, "{script}");
        assert_eq!(r.state(), before, "{script}");
    }
}

#[test]
fn tracking_names_an_unknown_property_as_such() {
    let mut r = started();
    // It was read as a timeout first: "comment: invalid time 'x'".
    let e = r
        .run("/ip/firewall/connection/tracking set comment=x")
        .unwrap_err();
    assert!(
        e.message
            .starts_with("unknown property 'comment' for /ip/firewall/connection/tracking"),
        "{}",
        e.message
    );
    r.run("/ip/firewall/connection/tracking set udp-timeout=10s")
        .unwrap();
    let e = r
        .run("/ip/firewall/connection/tracking set udp-timeout=x")
        .unwrap_err();
    assert!(e.message.starts_with("udp-timeout: "), "{}", e.message);
}
