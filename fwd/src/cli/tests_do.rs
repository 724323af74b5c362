//! `:do { ... } on-error={ ... }`: a failing statement skips the rest of the block and runs
//! `on-error` instead of ending the script; what the block changed before stays, the failed
//! command changes nothing, and without `on-error` the script fails as before.

use super::tests::fake;
use super::*;

fn run_it(text: &str) -> Result<Outcome, Error> {
    run(text, &[], &Items::default(), &fake(), false)
}

const TWO_ROUTES: &str = "/ip/route\nadd dst-address=0.0.0.0/0 gateway=203.0.113.1 comment=wan1\nadd dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment=wan2\n";

#[test]
fn on_error_runs_instead_of_the_rest_of_the_block() {
    let out = run_it(":do { :put a; :put (1 / 0); :put b } on-error={ :put caught }\n:put after")
        .unwrap();
    assert_eq!(out.output, "a\ncaught\nafter\n");
    // No error: on-error does not run; a bare :do is a block.
    let out = run_it(":do { :put a } on-error={ :put caught }\n:do { :put b }").unwrap();
    assert_eq!(out.output, "a\nb\n");
    // Without on-error the script fails as before, where the statement is.
    let e = run_it(":put a\n:do { :put (1 / 0) }").unwrap_err();
    assert_eq!((e.span.line, e.message.as_str()), (2, "division by zero"));
    // From deep inside loops and blocks, to the innermost :do that has on-error.
    let out = run_it(
        ":do { :for i from=1 to=5 do={ :if ($i = 3) do={ :put (1 / 0) }; :put $i } } on-error={ :put stopped }",
    )
    .unwrap();
    assert_eq!(out.output, "1\n2\nstopped\n");
    let out = run_it(
        ":do { :do { :put [/ip/arp find] } on-error={ :put inner } ; :put go } on-error={ :put outer }",
    )
    .unwrap();
    assert_eq!(out.output, "inner\ngo\n");
    // An error in on-error itself ends the script.
    let e = run_it(":do { :put (1 / 0) } on-error={ :put $nothing }").unwrap_err();
    assert!(e.message.contains("no such variable"), "{e}");
}

/// The guide's kind of use: change what can be changed, log what could not.
#[test]
fn changes_before_the_failure_stay_and_the_failed_command_changes_nothing() {
    let out = run_it(&format!(
        "{TWO_ROUTES}:do {{ /ip/route set [find comment=wan1] distance=5; /ip/route set [find comment=wan2] distance=300 }} on-error={{ :log warning \"could not\" }}"
    ))
    .unwrap();
    let routes = out.routes.unwrap();
    assert_eq!((routes[0].distance, routes[1].distance), (5, 10));
    assert_eq!(out.logs.len(), 1);
    // Items: a rule refused at the command that makes it invalid leaves the list as it was.
    let out = run_it(
        ":do { /ip/firewall/mangle add chain=prerouting action=accept comment=ok; /ip/firewall/mangle add chain=prerouting action=mark-routing new-routing-mark=nowhere } on-error={ :put refused }",
    )
    .unwrap();
    assert_eq!(out.output, "refused\n");
    let items = out.items.unwrap();
    assert_eq!(items.mangle.len(), 1);
    assert_eq!(items.mangle[0].comment.as_deref(), Some("ok"));
}

#[test]
fn malformed_do_is_refused_and_prints_back() {
    for (text, want) in [
        (":do :put 1", "`:do` needs a block"),
        (
            ":do { :put 1 } on-error=:put",
            "expected `{` after `on-error=`",
        ),
    ] {
        let e = crate::ros::parse(text).unwrap_err();
        assert!(e.message.contains(want), "{text}: {e:?}");
    }
    let s = crate::ros::parse(":do { :put 1 } on-error={ :log error failed }").unwrap();
    assert_eq!(
        s.to_string(),
        ":do { :put 1 } on-error={ :log error failed }"
    );
}
