//! Scripting: variables, `:if`, `:delay` and `/ping`, run as a [`Job`] that waits.

use super::tests::fake;
use super::*;
use std::net::Ipv4Addr;
use std::time::Duration;

fn guide_routes() -> Vec<RouteItem> {
    run(
        "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment=wan1-default\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2-default",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap()
    .routes
    .unwrap()
}

/// Runs `job` once on `routes`, installing its route changes in `routes`.
fn step(job: &mut Job, routes: &mut Vec<RouteItem>, globals: &mut Globals) -> Step {
    let s = job
        .run(routes, &Items::default(), globals, &fake())
        .unwrap();
    if let Some(r) = &s.outcome.routes {
        *routes = r.clone();
    }
    s
}

fn replies(n: usize, of: usize) -> PingResult {
    let rep = Reply {
        rtt: Duration::from_micros(1500),
        ttl: 64,
        size: 56,
    };
    PingResult {
        replies: (0..of).map(|i| (i < n).then_some(rep)).collect(),
        error: None,
    }
}

/// The guide's confirmation: `:delay 10`, then `[/ping 8.8.8.8 count=3] = 0` decides.
const CONFIRM: &str = ":delay 10\n:if ([/ping 8.8.8.8 count=3] = 0) do={\n:log error \"Confirmed WAN1 failure\"\n/ip/route set [find gateway=203.0.113.1] distance=20\n}";

#[test]
fn guide_confirmation_waits_then_pings_then_acts_on_failure() {
    let mut routes = guide_routes();
    let mut g = Globals::new();
    let mut job = Job::parse(CONFIRM, false).unwrap();
    let s = step(&mut job, &mut routes, &mut g);
    assert_eq!(s.wait, Some(Wait::Delay(Duration::from_secs(10))));
    assert!(s.outcome.routes.is_none());
    let s = step(&mut job, &mut routes, &mut g);
    let Some(Wait::Ping(reqs)) = s.wait else {
        panic!("expected a ping, got {:?}", s.wait)
    };
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].address, Ipv4Addr::new(8, 8, 8, 8));
    assert_eq!(reqs[0].count, 3);
    job.give_pings(vec![replies(0, 3)]);
    let s = step(&mut job, &mut routes, &mut g);
    assert_eq!(s.wait, None, "the script has ended");
    assert_eq!(
        s.outcome.logs,
        vec![(ros::LogLevel::Error, "Confirmed WAN1 failure".to_string())]
    );
    assert_eq!(routes[0].distance, 20, "the WAN1 route was pushed back");
    assert_eq!(routes[1].distance, 10);
}

#[test]
fn guide_confirmation_does_nothing_when_the_host_answers() {
    let mut routes = guide_routes();
    let mut g = Globals::new();
    let mut job = Job::parse(CONFIRM, false).unwrap();
    step(&mut job, &mut routes, &mut g);
    step(&mut job, &mut routes, &mut g);
    job.give_pings(vec![replies(2, 3)]);
    let s = step(&mut job, &mut routes, &mut g);
    assert_eq!(s.wait, None);
    assert!(s.outcome.logs.is_empty());
    assert!(s.outcome.routes.is_none());
    assert_eq!(routes[0].distance, 1);
}

#[test]
fn changes_before_a_wait_are_handed_over_at_the_wait() {
    let mut routes = guide_routes();
    let mut g = Globals::new();
    let mut job = Job::parse(
        "/ip/route set 0 distance=5\n:delay 1s\n/ip/route set 0 distance=6",
        false,
    )
    .unwrap();
    let s = step(&mut job, &mut routes, &mut g);
    assert_eq!(s.wait, Some(Wait::Delay(Duration::from_secs(1))));
    assert_eq!(routes[0].distance, 5, "applied before the delay");
    step(&mut job, &mut routes, &mut g);
    assert_eq!(routes[0].distance, 6);
}

#[test]
fn locals_globals_set_and_interpolation() {
    let mut routes = guide_routes();
    let mut g = Globals::new();
    let mut job = Job::parse(
        ":local gw 198.51.100.1\n:local d (4 + 3)\n:global count 1\n:set count ($count + 1)\n/ip/route set [find gateway=$gw] distance=$d\n:put \"gw=$gw d=$d count=$count\"",
        false,
    )
    .unwrap();
    let s = step(&mut job, &mut routes, &mut g);
    assert_eq!(s.outcome.output, "gw=198.51.100.1 d=7 count=2\n");
    assert_eq!(routes[1].distance, 7);
    assert_eq!(
        g.get("count"),
        Some(&Value::Num(2)),
        "globals outlive the script"
    );
    // A later script sees the global; locals are gone.
    let out = run(":put $count", &routes, &Items::default(), &fake(), false);
    assert!(out.is_err(), "cli::run has no globals of its own");
    let mut job = Job::parse(":global count\n:put $count", false).unwrap();
    assert_eq!(step(&mut job, &mut routes, &mut g).outcome.output, "2\n");
    let mut job = Job::parse(":put $gw", false).unwrap();
    let e = job
        .run(&routes, &Items::default(), &mut g, &fake())
        .unwrap_err();
    assert!(e.message.contains("no such variable"), "{e}");
}

#[test]
fn locals_are_scoped_to_their_block() {
    let out = run(
        ":local a 1\n:if (true) do={ :local a 2; :put $a }\n:put $a\n{ :local b 3 }\n:put \"x\"",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap();
    assert_eq!(out.output, "2\n1\nx\n");
    let e = run(
        "{ :local b 3 }\n:put $b",
        &[],
        &Items::default(),
        &fake(),
        false,
    )
    .unwrap_err();
    assert_eq!((e.span.line, e.message.contains("$b")), (2, true), "{e}");
}

#[test]
fn if_else_and_conditions() {
    let run1 = |t: &str| {
        run(t, &[], &Items::default(), &fake(), false)
            .map(|o| o.output)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        run1(":if (3 > 2 && \"a\" != \"b\") do={:put yes} else={:put no}"),
        Ok("yes\n".into())
    );
    assert_eq!(
        run1(":if (192.0.2.5 in 192.0.2.0/24 and !(1 = 2)) do={:put in}"),
        Ok("in\n".into())
    );
    assert_eq!(
        run1(":if (1 = 2) do={:put a} else={:put b}"),
        Ok("b\n".into())
    );
    let e = run1(":if (ether1) do={:put a}").unwrap_err();
    assert!(e.starts_with("line 1, column 1:"), "{e}");
}

#[test]
fn short_circuit_keeps_ping_results_in_line() {
    let mut routes = guide_routes();
    let mut g = Globals::new();
    let mut job = Job::parse(
        ":if (false && [/ping 192.0.2.1 count=1] = 1) do={:put a}\n:put [/ping 192.0.2.2 count=2]",
        false,
    )
    .unwrap();
    let s = step(&mut job, &mut routes, &mut g);
    let Some(Wait::Ping(reqs)) = s.wait else {
        panic!()
    };
    assert_eq!(reqs.len(), 1, "the first statement's ping, even if skipped");
    job.give_pings(vec![replies(1, 1)]);
    let s = step(&mut job, &mut routes, &mut g);
    let Some(Wait::Ping(reqs)) = s.wait else {
        panic!()
    };
    assert_eq!(reqs[0].address, Ipv4Addr::new(192, 0, 2, 2));
    job.give_pings(vec![replies(2, 2)]);
    assert_eq!(step(&mut job, &mut routes, &mut g).outcome.output, "2\n");
}

#[test]
fn ping_command_prints_like_routeros() {
    let mut routes = Vec::new();
    let mut g = Globals::new();
    let mut job = Job::parse(
        "/ping 192.0.2.1 count=3 interval=200ms src-address=203.0.113.2",
        false,
    )
    .unwrap();
    let Some(Wait::Ping(reqs)) = step(&mut job, &mut routes, &mut g).wait else {
        panic!()
    };
    assert_eq!(reqs[0].interval, Duration::from_millis(200));
    assert_eq!(reqs[0].src_address, Some(Ipv4Addr::new(203, 0, 113, 2)));
    job.give_pings(vec![replies(2, 3)]);
    let out = step(&mut job, &mut routes, &mut g).outcome.output;
    assert!(out.contains("    0 192.0.2.1"), "{out}");
    assert!(out.contains("1ms500us"), "{out}");
    assert!(out.contains("timeout"), "{out}");
    assert!(out.contains("sent=3 received=2 packet-loss=33%"), "{out}");
}

#[test]
fn bad_waits_and_pings_are_refused_where_they_are() {
    let bad = |t: &str| {
        let mut g = Globals::new();
        let mut job = Job::parse(t, false).unwrap();
        job.run(&[], &Items::default(), &mut g, &fake())
            .unwrap_err()
    };
    let e = bad(":put 1\n:delay soon");
    assert_eq!((e.span.line, e.span.column), (2, 1), "{e}");
    let e = bad("/ping 192.0.2.1 count=0");
    assert!(e.message.contains("count"), "{e}");
    let e = bad("/ping 192.0.2.1 interval=10s");
    assert!(e.message.contains("interval"), "{e}");
    let e = bad("/ping 192.0.2.1 size=100");
    assert!(e.message.contains("unknown ping option"), "{e}");
    let e = bad("/ping host.example");
    assert!(e.message.contains("invalid address"), "{e}");
    let e = run(":delay 1s", &[], &Items::default(), &fake(), false).unwrap_err();
    assert!(e.message.contains("waits"), "{e}");
}
