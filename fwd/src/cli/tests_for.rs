//! `:for name from=A to=B [step=S] do={...}` and `:while (cond) do={...}`: counting both
//! ways, steps, scopes, waits (a `[/ping]` in a `:while` test too), and the cap on loop
//! passes that keeps a runaway loop from holding the control core.

use super::job::{Job, MAX_PASSES};
use super::tests::{fake, two_distances};
use super::value::Globals;
use super::*;

fn put(text: &str) -> Result<String, Error> {
    run(text, &[], &Items::default(), &fake(), false).map(|o| o.output)
}

#[test]
fn for_counts_up_or_down_from_and_to_included() {
    assert_eq!(
        put(":for i from=1 to=3 do={ :put $i }").unwrap(),
        "1\n2\n3\n"
    );
    // Counting down needs no step (RouterOS: the step's size counts, not its sign).
    assert_eq!(
        put(":for i from=3 to=1 do={ :put $i }").unwrap(),
        "3\n2\n1\n"
    );
    assert_eq!(
        put(":for i from=1 to=10 step=4 do={ :put $i }").unwrap(),
        "1\n5\n9\n"
    );
    assert_eq!(
        put(":for i from=10 to=1 step=-4 do={ :put $i }").unwrap(),
        "10\n6\n2\n"
    );
    assert_eq!(
        put(":for i from=10 to=1 step=4 do={ :put $i }").unwrap(),
        "10\n6\n2\n"
    );
    assert_eq!(put(":for i from=7 to=7 do={ :put $i }").unwrap(), "7\n");
    // Bounds are expressions; near the ends of the numbers nothing overflows.
    assert_eq!(
        put(":local n 2\n:for i from=($n - 1) to=[:len \"abc\"] do={ :put $i }")
            .unwrap_or_else(|e| panic!("{e}")),
        "1\n2\n3\n"
    );
    assert_eq!(
        put(":for i from=9223372036854775806 to=9223372036854775807 step=5 do={ :put $i }")
            .unwrap(),
        "9223372036854775806\n"
    );
    // A step of the smallest number still runs the first pass.
    assert_eq!(
        put(":for i from=1 to=5 step=-9223372036854775808 do={ :put $i }").unwrap(),
        "1\n"
    );
}

#[test]
fn for_passes_have_their_own_scope_and_nest() {
    let out = put(
        ":local n 0\n:for i from=1 to=3 do={ :for j from=1 to=$i do={ :set n ($n + 1) }; :local seen $i }\n:put \"n=$n\"",
    )
    .unwrap();
    assert_eq!(out, "n=6\n");
    let e = put(":for i from=1 to=2 do={ :local x 1 }\n:put $x").unwrap_err();
    assert!(e.message.contains("no such variable"), "{e}");
}

#[test]
fn for_changes_routes_by_number() {
    let d = two_distances(
        "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1\n:for i from=0 to=1 do={ /ip/route set $i distance=($i + 5) }",
    );
    assert_eq!(d, (5, 6));
}

#[test]
fn malformed_for_is_refused_where_it_is() {
    for (text, want) in [
        (
            ":for from=1 to=2 do={ :put 1 }",
            "variable name after `:for`",
        ),
        (":for i to=2 do={ :put 1 }", "needs `from=`"),
        (":for i from=1 do={ :put 1 }", "needs `to=`"),
        (":for i from=1 to=2", "needs `do={"),
        (
            ":for i from=1 to=2 step=0 do={ :put 1 }",
            "step must not be 0",
        ),
        (
            ":for i from=a to=2 do={ :put 1 }",
            "from must be a number, not 'a'",
        ),
    ] {
        let e = put(text).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
    // Printed back as written.
    let s = crate::ros::parse(":for i from=1 to=$n step=2 do={ :put $i }").unwrap();
    assert_eq!(s.to_string(), ":for i from=1 to=$n step=2 do={ :put $i }");
}

/// A loop too long to run without a pause is stopped, wherever its passes come from, with
/// nothing it did installed; one that pauses goes on for as long as it likes.
#[test]
fn a_runaway_loop_is_stopped_and_a_pausing_one_is_not() {
    let e = put(":for i from=1 to=1000000000 do={ }").unwrap_err();
    assert!(e.message.contains("loop passes without a pause"), "{e}");
    assert_eq!((e.span.line, e.span.column), (1, 1));
    let e =
        put(":put start\n:for i from=1 to=2000 do={ :for j from=1 to=2000 do={} }").unwrap_err();
    assert!(e.message.contains(&MAX_PASSES.to_string()), "{e}");
    assert_eq!(e.span.line, 2);
    let script = format!(
        ":for i from=1 to={} do={{ :if ($i = {}) do={{ :delay 1s }} }}\n:put done",
        MAX_PASSES + 10,
        MAX_PASSES / 2
    );
    let mut job = Job::parse(&script, false).unwrap();
    let mut g = Globals::new();
    let first = job.run(&[], &Items::default(), &mut g, &fake()).unwrap();
    assert!(first.wait.is_some(), "it waits half way");
    let second = job.run(&[], &Items::default(), &mut g, &fake()).unwrap();
    assert_eq!(
        (second.outcome.output.as_str(), second.wait),
        ("done\n", None)
    );
}

#[test]
fn while_tests_before_each_pass() {
    assert_eq!(
        put(":local i 0\n:while ($i < 3) do={ :put $i; :set i ($i + 1) }\n:put end").unwrap(),
        "0\n1\n2\nend\n"
    );
    // A false condition runs no pass; a body's locals last one pass.
    assert_eq!(
        put(":while (1 > 2) do={ :put never }\n:put end").unwrap(),
        "end\n"
    );
    let e =
        put(":local i 0\n:while ($i < 2) do={ :local x 1; :set i ($i + 1) }\n:put $x").unwrap_err();
    assert!(e.message.contains("no such variable"), "{e}");
    // Nested in :for, and the other way round.
    assert_eq!(
        put(":for k from=1 to=2 do={ :local j 0; :while ($j < $k) do={ :set j ($j + 1); :put \"$k.$j\" } }")
            .unwrap(),
        "1.1\n2.1\n2.2\n"
    );
    let e = put(":while (true) do={ }").unwrap_err();
    assert!(e.message.contains("loop passes without a pause"), "{e}");
    for (text, want) in [
        (":while do={ :put 1 }", "needs a condition"),
        (":while (true)", "needs `do={"),
        (":while (\"x\") do={ :put 1 }", "'x' is not true or false"),
    ] {
        let e = put(text).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
    let s = crate::ros::parse(":while ($i < 3) do={ :set i ($i + 1) }").unwrap();
    assert_eq!(s.to_string(), ":while ($i < 3) do={ :set i ($i + 1) }");
}

/// `:do { ... } while=(cond)`: one pass before the first test, then as `:while`.
#[test]
fn do_while_tests_after_each_pass() {
    assert_eq!(
        put(":local i 0\n:do { :put $i; :set i ($i + 1) } while=($i < 3)\n:put end").unwrap(),
        "0\n1\n2\nend\n"
    );
    // A false condition still runs the one pass (where `:while` runs none).
    assert_eq!(
        put(":do { :put once } while=(1 > 2)\n:put end").unwrap(),
        "once\nend\n"
    );
    // Each pass its own scope; the test sees the script's variables, not the body's.
    let e = put(":local i 0\n:do { :local x 1; :set i ($i + 1) } while=($x < 2)").unwrap_err();
    assert!(e.message.contains("no such variable"), "{e}");
    // Nested, and inside a :do with on-error.
    assert_eq!(
        put(":for k from=1 to=2 do={ :local j 0; :do { :set j ($j + 1); :put \"$k.$j\" } while=($j < $k) }")
            .unwrap(),
        "1.1\n2.1\n2.2\n"
    );
    assert_eq!(
        put(":do { :local n 0; :do { :set n ($n + 1); :put (6 / (2 - $n)) } while=(true) } on-error={ :put caught }")
            .unwrap(),
        "6\ncaught\n"
    );
    let e = put(":do { } while=(true)").unwrap_err();
    assert!(e.message.contains("loop passes without a pause"), "{e}");
    for (text, want) in [
        (":do { :put 1 } while=", "a condition after `while=`"),
        (":do { :put 1 } while=(\"x\")", "'x' is not true or false"),
        (
            ":do { :put 1 } while=(false) on-error={ :put 2 }",
            "`:do` takes `while=` or `on-error=`, not both",
        ),
    ] {
        let e = put(text).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e}");
    }
    let s = crate::ros::parse(":do { :set i ($i + 1) } while=($i < 3)").unwrap();
    assert_eq!(s.to_string(), ":do { :set i ($i + 1) } while=($i < 3)");
}

/// `:while ([/ping ...] = 0) do={ :delay ... }`: the test waits for its ping at every pass,
/// and the loop ends once the ping is answered.
#[test]
fn while_waits_for_the_pings_of_its_test() {
    use super::job::{PingResult, Reply, Wait};
    let mut job = Job::parse(
        ":local n 0\n:while ([/ping 192.0.2.1 count=1] = 0) do={ :set n ($n + 1); :delay 1s }\n:put \"down $n times\"",
        false,
    )
    .unwrap();
    let mut g = Globals::new();
    let run = |job: &mut Job, g: &mut Globals| job.run(&[], &Items::default(), g, &fake()).unwrap();
    let answer = |received: u32| PingResult {
        replies: vec![(received > 0).then_some(Reply {
            rtt: std::time::Duration::from_millis(3),
            ttl: 64,
            size: 56,
        })],
        error: None,
    };
    for replies in [0, 0, 1] {
        let s = run(&mut job, &mut g);
        assert!(matches!(s.wait, Some(Wait::Ping(_))), "{:?}", s.wait);
        job.give_pings(vec![answer(replies)]);
        let s = run(&mut job, &mut g);
        if replies == 0 {
            assert_eq!(s.wait, Some(Wait::Delay(std::time::Duration::from_secs(1))));
        } else {
            assert_eq!(
                (s.outcome.output.as_str(), s.wait),
                ("down 2 times\n", None)
            );
        }
    }
}
