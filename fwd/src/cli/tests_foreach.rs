//! `[find ...]` as a value and `:foreach`: the `*ID`s a find gives, loops over them, and the
//! commands that take them back (`set $r ...`, `remove $ids`).

use super::tests::fake;
use super::*;

fn run_on(text: &str, routes: &[RouteItem], items: &Items) -> Result<Outcome, Error> {
    run(text, routes, items, &fake(), false)
}

/// Three mangle rules (`*1` forward, `*2` prerouting, `*3` forward) and the guide's two
/// default routes (`*1` by ISP1, `*2` by ISP2).
fn setup() -> (Vec<RouteItem>, Items) {
    let out = run_on(
        "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment=wan1-default\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2-default\n/ip/firewall/mangle\nadd chain=forward action=accept comment=a\nadd chain=prerouting action=accept comment=b\nadd chain=forward action=accept comment=c",
        &[],
        &Items::default(),
    )
    .unwrap();
    (out.routes.unwrap(), out.items.unwrap())
}

fn comments(items: &Items) -> Vec<String> {
    items
        .mangle
        .iter()
        .map(|m| m.comment.clone().unwrap_or_default())
        .collect()
}

#[test]
fn find_as_a_value_gives_the_ids_of_the_matching_items() {
    let (routes, items) = setup();
    let out = run_on(
        ":put [/ip/firewall/mangle find chain=forward]\n:put [/ip/firewall/mangle find chain=input]\n:put [/ip/route find gateway=198.51.100.1]\n/ip/firewall/mangle\n:local n [find where comment=b]\n:put \"b is $n\"",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "*1;*3\n\n*2\nb is *2\n");
}

#[test]
fn foreach_runs_its_block_once_per_id_and_commands_take_the_ids() {
    let (routes, items) = setup();
    let out = run_on(
        ":foreach r in=[/ip/route find dst-address=0.0.0.0/0] do={\n:if ($r = \"*1\") do={ /ip/route set $r distance=6 } else={ /ip/route set $r distance=5 }\n}",
        &routes,
        &items,
    )
    .unwrap();
    let routes = out.routes.unwrap();
    assert_eq!((routes[0].distance, routes[1].distance), (6, 5));
    // The loop's variable and its block's locals live for one pass each.
    let out = run_on(
        ":foreach i in=[/ip/firewall/mangle find] do={ :local seen \"x$i\"; :put $seen }",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "x*1\nx*2\nx*3\n");
    let e = run_on(
        ":foreach i in=[/ip/firewall/mangle find] do={ :put $i }\n:put $i",
        &routes,
        &items,
    )
    .unwrap_err();
    assert_eq!((e.span.line, e.message.contains("$i")), (2, true), "{e}");
    // Removing in a loop by id: each id still names its item after the others go.
    let out = run_on(
        ":foreach i in=[/ip/firewall/mangle find chain=forward] do={ /ip/firewall/mangle remove $i }",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(comments(&out.items.unwrap()), ["b"]);
}

#[test]
fn an_array_of_ids_selects_them_all_and_an_empty_one_none() {
    let (routes, items) = setup();
    let out = run_on(
        ":local ids [/ip/firewall/mangle find chain=forward]\n/ip/firewall/mangle disable $ids",
        &routes,
        &items,
    )
    .unwrap();
    let disabled: Vec<bool> = out
        .items
        .unwrap()
        .mangle
        .iter()
        .map(|m| m.disabled)
        .collect();
    assert_eq!(disabled, [true, false, true]);
    let out = run_on(
        ":local none [/ip/firewall/mangle find chain=input]\n/ip/firewall/mangle remove $none\n:foreach i in=$none do={ :put never }\n:put done",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "done\n");
    let after = out.items.unwrap_or(items);
    assert_eq!(comments(&after), ["a", "b", "c"], "nothing removed");
}

#[test]
fn malformed_foreach_and_unsupported_finds_are_refused_where_they_are() {
    let (routes, items) = setup();
    for (text, want) in [
        (":foreach i do={ :put $i }", "needs `in=`"),
        (
            ":foreach in=[/ip/route find] do={ :put 1 }",
            "variable name",
        ),
        (":foreach i in=[/ip/route find]", "needs `do={"),
        (":put [/ip/arp find]", "not supported in /ip/arp"),
    ] {
        let e = run_on(text, &routes, &items).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
}

/// Two commands on one line and a loop over a `where` with `or`, as the e2e test types them
/// through wanctl.
#[test]
fn foreach_removes_the_lists_a_find_where_names() {
    let out = run_on(
        "/interface/list add name=loop-a; /interface/list add name=keep; /interface/list add name=loop-b",
        &[],
        &Items::default(),
    )
    .unwrap();
    let items = out.items.unwrap();
    let out = run_on(
        ":foreach i in=[/interface/list find where name=loop-a or name=loop-b] do={ :put \"removing $i\"; /interface/list remove $i }",
        &[],
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "removing *1\nremoving *3\n");
    let names: Vec<String> = out
        .items
        .unwrap()
        .interface_lists
        .iter()
        .map(|l| l.name.clone())
        .collect();
    assert_eq!(names, ["keep"]);
}

/// `where property~regex` in finds and prints, as RouterOS's `print where comment~"wan1"`:
/// a match anywhere in the property's text, an unset property as empty text.
#[test]
fn where_tilde_matches_a_regular_expression() {
    let (routes, items) = setup();
    let out = run_on(
        ":put [/ip/route find where comment~\"^wan1\"]\n:put [/ip/firewall/mangle find where comment~\"[ac]\" and chain~\"for\"]\n/ip/firewall/mangle add chain=input action=accept\n:put [/ip/firewall/mangle find where !(comment~\".\")]\n/ip/route print count-only where comment~\"default$\"",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "*1\n*1;*3\n*4\n2\n");
    let out = run_on(
        "/ip/address add address=192.168.1.1/24 interface=bridge\n/ip/address add address=203.0.113.2/24 interface=ether1\n/ip/address print count-only where interface~\"^br\" or address~\"^203\\\\.\"",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "2\n");
    // A listed menu (the daemon's rows) too.
    let out = run_on(
        "/ip/arp print count-only where interface~\"ether[12]\" and !(address~\"^198\")",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "1\n");
    for (text, want) in [
        (
            "/ip/route print where nosuch~\"x\"",
            "unknown property 'nosuch'",
        ),
        (
            "/ip/firewall/mangle print where comment~\"(\"",
            "bad regular expression",
        ),
    ] {
        let e = run_on(text, &routes, &items).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
}

/// `[:len ...]`: how many items a find gives (RouterOS's usual "is there such a route?"),
/// and the length of any other value.
#[test]
fn len_counts_a_finds_ids() {
    let (routes, items) = setup();
    let out = run_on(
        ":put [:len [/ip/firewall/mangle find chain=forward]]\n:if ([:len [/ip/route find comment=nosuch]] = 0) do={ :put none }\n:put [:len \"abc\"]\n:put \"n=$[:len [/ip/firewall/mangle find]]\"",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "2\nnone\n3\nn=3\n");
    let e = run_on(":put [:len]", &routes, &items).unwrap_err();
    assert!(e.message.contains("`:len` needs a value"), "{e}");
}

/// `[:pick ...]`, `[:tonum ...]`, `[:tostr ...]`, `[:typeof ...]`: a route's gateway
/// picked apart, text turned into a number for arithmetic, in `[ ]` and in `$[ ]`; a wrong
/// number of values is refused where it is written.
#[test]
fn value_functions_in_scripts() {
    let (routes, items) = setup();
    let out = run_on(
        ":local g \"203.0.113.1\"\n:put [:pick $g 0 3]\n:put [:pick $g 4]\n:put ([:tonum [:pick $g 6 9]] + 1)\n:put [:typeof [:tonum \"x\"]]\n:put [:typeof [:tostr 5]]\n:put \"last=$[:pick [/ip/firewall/mangle find] 2]\"\n:put [:len [:pick [/ip/firewall/mangle find] 0 2]]",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "203\n0\n114\nnothing\nstr\nlast=*3\n2\n");
    for (text, want) in [
        (":put [:pick \"abc\"]", "`:pick` needs 2 values"),
        (
            ":put [:pick \"abc\" 0 1 2]",
            "`:pick` takes at most 3 value(s)",
        ),
        (":put [:tonum 1 2]", "`:tonum` takes at most 1 value(s)"),
        (
            ":put [:pick \"abc\" x]",
            "`:pick` expects a number as a position, not 'x'",
        ),
    ] {
        let e = run_on(text, &routes, &items).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
}

/// `find comment~"..."`: a comparison among find's arguments without `where`, as RouterOS
/// scripts often write it; outside `find` it still needs `where`.
#[test]
fn find_takes_comparisons_without_where() {
    let (routes, items) = setup();
    let out = run_on(
        ":put [/ip/firewall/mangle find comment~\"[ac]\" chain=forward]\n/ip/route set [find comment~\"^wan1\"] distance=7",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "*1;*3\n");
    assert_eq!(out.routes.unwrap()[0].distance, 7);
    let e = run_on("/ip/route print comment~\"wan\"", &routes, &items).unwrap_err();
    assert!(e.message.contains("outside a `where`"), "{e}");
}

/// A loop that waits (`:delay`) goes on where it was: the next element, with its own `$r`,
/// and the routes it changed before the wait are handed over at the wait.
#[test]
fn foreach_resumes_after_a_wait_at_the_next_element() {
    let (mut routes, items) = setup();
    let mut g = Globals::new();
    let mut job = Job::parse(
        ":foreach r in=[/ip/route find dst-address=0.0.0.0/0] do={\n/ip/route set $r distance=30\n:put \"set $r\"\n:delay 2s\n}\n:put done",
        false,
    )
    .unwrap();
    let mut outputs = Vec::new();
    for _ in 0..3 {
        let s = job.run(&routes, &items, &mut g, &fake()).unwrap();
        if let Some(r) = &s.outcome.routes {
            routes = r.clone();
        }
        outputs.push((s.outcome.output, s.wait));
    }
    let delay = Some(Wait::Delay(std::time::Duration::from_secs(2)));
    assert_eq!(outputs[0], ("set *1\n".to_string(), delay.clone()));
    assert_eq!(
        routes[0].distance, 30,
        "the first route changed before the first wait"
    );
    assert_eq!(outputs[1], ("set *2\n".to_string(), delay));
    assert_eq!(outputs[2], ("done\n".to_string(), None));
    assert_eq!(routes[1].distance, 30);
}

/// `.id` in the item menus' conditions: `print where .id=*2`, `find .id=*3`, in any case.
#[test]
fn items_match_their_id() {
    let (routes, items) = setup();
    let out = run_on(
        "/ip/firewall/mangle\nprint count-only where .id=*2\n:put [find .id=*3]\n:put [find where .id~\"^\\\\*[12]$\"]\nprint count-only where .id=*a\nprint stats count-only where .id=*2 or .id~\"3\"",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "1\n*3\n*1;*2\n0\n2\n");
}

/// `.id` in `/ip/address print` and `/tool/netwatch print` conditions too.
#[test]
fn addresses_and_netwatch_match_their_id() {
    let (routes, items) = setup();
    let out = run_on(
        "/ip/address add address=192.168.1.1/24 interface=bridge\n/ip/address add address=203.0.113.2/24 interface=ether1\n/ip/address print count-only where .id=*2\n/tool/netwatch add host=192.0.2.1\n/tool/netwatch add host=192.0.2.2\n/tool/netwatch print count-only where .id~\"^\\\\*[12]$\" and host=192.0.2.2",
        &routes,
        &items,
    )
    .unwrap();
    assert_eq!(out.output, "1\n1\n");
}
