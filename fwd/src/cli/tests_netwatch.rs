//! `/tool/netwatch` through commands: the guide's items, print, and refusals.

use super::tests::fake;
use super::*;
use crate::netwatch::{NetwatchItem, Status, StatusView};

fn run_on(text: &str, items: &Items) -> Result<Outcome, Error> {
    run(text, &[], items, &fake(), false)
}

fn watches(text: &str) -> Vec<NetwatchItem> {
    run_on(text, &Items::default())
        .unwrap()
        .items
        .unwrap()
        .netwatch
}

#[test]
fn guide_string_scripts() {
    let w = watches("/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \\\nup-script=\"/ip/route set [find gateway=203.0.113.1] distance=1\" \\\ndown-script=\"/ip/route set [find gateway=203.0.113.1] distance=20\"");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].host, Some("8.8.8.8".parse().unwrap()));
    assert_eq!(
        w[0].up_script,
        "/ip/route set [find gateway=203.0.113.1] distance=1"
    );
    assert_eq!(
        w[0].down_script,
        "/ip/route set [find gateway=203.0.113.1] distance=20"
    );
}

#[test]
fn guide_block_scripts_keep_their_text() {
    let w = watches("/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \\\nup-script={\n:log info \"WAN1 upstream UP\"\n/ip/route enable [find comment=\"wan1-default\"]\n} \\\ndown-script={\n:log warning \"WAN1 upstream DOWN - failing over\"\n/ip/route disable [find comment=\"wan1-default\"]\n}\n");
    assert_eq!(
        w[0].up_script,
        "\n:log info \"WAN1 upstream UP\"\n/ip/route enable [find comment=\"wan1-default\"]\n"
    );
    assert!(w[0].down_script.contains(":log warning"));
    // The stored script runs as a script.
    let out = run_on(&w[0].up_script, &Items::default()).unwrap();
    assert_eq!(out.logs.len(), 1);
}

#[test]
fn set_enable_disable_remove() {
    let items = Items {
        netwatch: watches("/tool/netwatch add host=192.0.2.10 gateway=203.0.113.1 comment=wan1"),
        ..Items::default()
    };
    let out = run_on(
        "/tool/netwatch set [find comment=wan1] interval=1s timeout=1s\n/tool/netwatch disable 0",
        &items,
    )
    .unwrap();
    let w = out.items.unwrap().netwatch;
    assert_eq!(w[0].interval, std::time::Duration::from_secs(1));
    assert!(w[0].disabled);
    let out = run_on("/tool netwatch remove [find host=192.0.2.10]", &items).unwrap();
    assert!(out.items.unwrap().netwatch.is_empty());
}

#[test]
fn refusals_name_the_line() {
    let e = run_on(
        "/tool/netwatch add host=192.0.2.10 type=http-get",
        &Items::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("not supported"), "{e}");
    let e = run_on("\n/tool/netwatch add interval=1s", &Items::default()).unwrap_err();
    assert_eq!(e.span.line, 2);
    assert!(e.message.contains("needs a host"), "{e}");
    let e = run_on(
        "/tool/netwatch add host=192.0.2.10 packet-count=3",
        &Items::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("unknown property 'packet-count'"), "{e}");
}

#[test]
fn print_shows_status_columns() {
    let items = Items {
        netwatch: watches("/tool/netwatch add host=192.0.2.10 interval=1s"),
        ..Items::default()
    };
    let out = run_on("/tool/netwatch print", &items).unwrap().output;
    assert!(
        out.contains("Columns: HOST, TYPE, INTERVAL, STATUS, SINCE"),
        "{out}"
    );
    assert!(out.contains("#  HOST"), "{out}");
    // The fake environment watches nothing: unknown.
    assert!(
        out.lines().any(|l| l.contains("192.0.2.10")
            && l.contains("icmp")
            && l.contains("1s")
            && l.contains("unknown")),
        "{out}"
    );
    let out = run_on(
        "/tool/netwatch print count-only where status=unknown",
        &items,
    )
    .unwrap()
    .output;
    assert_eq!(out, "1\n");
    let out = run_on("/tool/netwatch print detail", &items)
        .unwrap()
        .output;
    assert!(
        out.contains("host=192.0.2.10") && out.contains("done-tests=0"),
        "{out}"
    );
}

struct Watching;

impl Env for Watching {
    fn route_view(&self, r: &[RouteItem], t: &[String]) -> Vec<RouteView> {
        fake().route_view(r, t)
    }
    fn nexthop_view(&self) -> Vec<NexthopItem> {
        Vec::new()
    }
    fn check_route(&self, _: &RouteItem, _: &[String]) -> Result<(), String> {
        Ok(())
    }
    fn check_items(&self, _: &Items) -> Result<(), String> {
        Ok(())
    }
    fn netwatch_status(&self, _: &NetwatchItem) -> Option<StatusView> {
        Some(StatusView {
            status: Status::Down,
            since: "2026-11-25 23:10:01".into(),
            done_tests: 7,
            failed_tests: 2,
        })
    }
}

#[test]
fn print_shows_the_daemons_status() {
    let items = Items {
        netwatch: watches("/tool/netwatch add host=192.0.2.10"),
        ..Items::default()
    };
    let out = run("/tool/netwatch print", &[], &items, &Watching, false)
        .unwrap()
        .output;
    assert!(
        out.lines()
            .any(|l| l.contains("down") && l.contains("2026-11-25 23:10:01")),
        "{out}"
    );
    let out = run("/tool/netwatch print", &[], &items, &Watching, true)
        .unwrap()
        .output;
    assert!(out.contains("\"status\":\"down\""), "{out}");
    assert!(out.contains("\"failed-tests\":\"2\""), "{out}");
}
