use super::*;

fn item(text: &[(&str, &str)]) -> Result<NetwatchItem, String> {
    let mut it = NetwatchItem::default();
    for (k, v) in text {
        it.set(k, v)?;
    }
    Ok(it)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn defaults_are_routeros_ones() {
    let it = item(&[("host", "8.8.8.8")]).unwrap();
    assert_eq!(it.interval, secs(10));
    assert_eq!(it.timeout, secs(3));
    assert_eq!(it.properties(), vec![("host", "8.8.8.8".to_string())]);
    assert_eq!(it.settings().count, 1);
}

#[test]
fn parses_the_guides_item_and_our_gateway() {
    let it = item(&[
        ("host", "192.0.2.10"),
        ("type", "icmp"),
        ("interval", "1s"),
        ("timeout", "500ms"),
        ("src-address", "203.0.113.2"),
        ("gateway", "203.0.113.1"),
        (
            "up-script",
            "/ip/route set [find comment=\"wan1-default\"] distance=1",
        ),
        (
            "down-script",
            "\n:log warning \"down\"\n/ip/route disable [find comment=\"wan1-default\"]\n",
        ),
        ("test-script", ":put x"),
        ("comment", "wan1 upstream"),
        ("disabled", "yes"),
    ])
    .unwrap();
    assert_eq!(it.host, Some(Ipv4Addr::new(192, 0, 2, 10)));
    assert_eq!(it.gateway, Some(Ipv4Addr::new(203, 0, 113, 1)));
    assert_eq!(it.timeout, Duration::from_millis(500));
    let props = it.properties();
    let keys: Vec<&str> = props.iter().map(|p| p.0).collect();
    assert_eq!(
        keys,
        [
            "host",
            "interval",
            "timeout",
            "src-address",
            "gateway",
            "up-script",
            "down-script",
            "test-script",
            "comment",
            "disabled"
        ]
    );
    // Round trip through the properties.
    let mut again = NetwatchItem::default();
    for (k, v) in &props {
        again.set(k, v).unwrap();
    }
    assert_eq!(again, it);
}

#[test]
fn refuses_what_wanfwd_does_not_do() {
    let e = item(&[("type", "tcp-conn")]).unwrap_err();
    assert!(e.contains("type 'tcp-conn' is not supported"), "{e}");
    assert!(item(&[("type", "http-get")]).is_err());
    assert!(item(&[("host", "example.com")])
        .unwrap_err()
        .contains("invalid host"));
    assert!(item(&[("interval", "0s")]).is_err());
    assert!(item(&[("timeout", "soon")]).is_err());
    assert!(item(&[("gateway", "300.1.1.1")]).is_err());
    let e = item(&[("up-script", "/ip/route set [find")]).unwrap_err();
    assert!(e.starts_with("invalid up-script: line 1"), "{e}");
    let e = item(&[("packet-count", "3")]).unwrap_err();
    assert!(e.starts_with("unknown property 'packet-count'"), "{e}");
}

#[test]
fn key_ignores_scripts_and_timing() {
    let a = item(&[("host", "192.0.2.10"), ("up-script", ":log info up")]).unwrap();
    let b = item(&[("host", "192.0.2.10"), ("interval", "1s")]).unwrap();
    assert_eq!(a.key(), b.key());
    let c = item(&[("host", "192.0.2.10"), ("gateway", "203.0.113.1")]).unwrap();
    assert_ne!(a.key(), c.key());
    assert_eq!(NetwatchItem::default().key(), None);
}

/// Drives a watch as the control core does: polls at its deadlines; `answers(t)` says
/// whether the host answers a probe sent at `t` (after 10 ms).
fn run(
    w: &mut Watch,
    t0: Instant,
    until: Duration,
    answers: impl Fn(Duration) -> bool,
) -> Vec<(Duration, Status)> {
    let mut changes = Vec::new();
    let mut now = t0;
    while now <= t0 + until {
        if let Some(seq) = w.poll(now) {
            if answers(now - t0) {
                let at = now + Duration::from_millis(10);
                w.reply(seq, at);
                now = at;
            }
        }
        if let Some(s) = w.take_change() {
            changes.push((now - t0, s));
        }
        now = w.next_deadline().max(now);
        if now == t0 + until {
            break;
        }
    }
    changes
}

#[test]
fn unknown_then_up_on_the_first_reply() {
    let it = item(&[
        ("host", "192.0.2.10"),
        ("interval", "1s"),
        ("timeout", "1s"),
    ])
    .unwrap();
    let t0 = Instant::now();
    let mut w = Watch::new(&it, t0);
    assert_eq!(w.status(), Status::Unknown);
    let ch = run(&mut w, t0, secs(5), |_| true);
    // The first verdict is a change: the up-script runs once, and only once.
    assert_eq!(ch, vec![(Duration::from_millis(10), Status::Up)]);
    assert_eq!(w.status(), Status::Up);
    assert_eq!(w.failed_tests(), 0);
    assert!(w.done_tests() >= 5);
}

#[test]
fn down_on_the_first_unanswered_probe_and_up_again() {
    let it = item(&[
        ("host", "192.0.2.10"),
        ("interval", "1s"),
        ("timeout", "1s"),
    ])
    .unwrap();
    let t0 = Instant::now();
    let mut w = Watch::new(&it, t0);
    // Answers until 3 s, then not until 6 s.
    let ch = run(&mut w, t0, secs(10), |t| t < secs(3) || t >= secs(6));
    assert_eq!(
        ch,
        vec![
            (Duration::from_millis(10), Status::Up),
            // The probe of 3 s times out at 4 s.
            (secs(4), Status::Down),
            (Duration::from_millis(6010), Status::Up),
        ]
    );
    assert_eq!(w.failed_tests(), 3);
    assert_eq!(w.since(), t0 + Duration::from_millis(6010));
}

#[test]
fn never_answering_is_down_at_the_first_timeout() {
    let it = item(&[("host", "192.0.2.10")]).unwrap();
    let t0 = Instant::now();
    let mut w = Watch::new(&it, t0);
    let ch = run(&mut w, t0, secs(30), |_| false);
    assert_eq!(ch, vec![(secs(3), Status::Down)]);
    // Probes at 0, 10, 20 s fail at 3, 13, 23 s.
    assert_eq!(w.failed_tests(), 3);
    assert_eq!(w.done_tests(), 3);
}

#[test]
fn new_timing_keeps_the_status() {
    let it = item(&[
        ("host", "192.0.2.10"),
        ("interval", "1s"),
        ("timeout", "1s"),
    ])
    .unwrap();
    let t0 = Instant::now();
    let mut w = Watch::new(&it, t0);
    run(&mut w, t0, secs(2), |_| true);
    assert_eq!(w.status(), Status::Up);
    let slower = item(&[("host", "192.0.2.10"), ("interval", "5s")]).unwrap();
    w.update(&slower);
    assert_eq!(w.status(), Status::Up);
    assert_eq!(w.take_change(), None);
}

#[test]
fn formats_times_as_routeros() {
    let t = std::time::UNIX_EPOCH + secs(1_764_111_601);
    assert_eq!(format_time(t), "2025-11-25 23:00:01");
    assert_eq!(format_time(std::time::UNIX_EPOCH), "1970-01-01 00:00:00");
}
