use super::*;
use proptest::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn settings(interval: Duration, timeout: Duration, count: u32, restore: u32) -> Settings {
    Settings {
        interval,
        timeout,
        count,
        restore,
    }
}

/// Drives a prober as the control core does, polling at its deadlines.
struct Sim {
    p: Prober,
    t0: Instant,
    now: Instant,
    /// A probe sent by the poll that handled the previous timeout.
    pending: Option<u16>,
}

impl Sim {
    fn new(s: Settings) -> Sim {
        let t0 = Instant::now();
        Sim {
            p: Prober::new(Method::Ping, s, t0),
            t0,
            now: t0,
            pending: None,
        }
    }

    /// Time since the start.
    fn at(&self) -> Duration {
        self.now - self.t0
    }

    /// Polls at the deadlines until a probe leaves; returns its sequence number.
    fn next_probe(&mut self) -> u16 {
        if let Some(seq) = self.pending.take() {
            return seq;
        }
        loop {
            self.now = self.now.max(self.p.next_deadline());
            if let Some(seq) = self.p.poll(self.now) {
                return seq;
            }
        }
    }

    /// The next probe is answered after `rtt`.
    fn answered(&mut self, rtt: Duration) {
        let seq = self.next_probe();
        self.now += rtt;
        self.p.reply(seq, self.now);
    }

    /// The next probe is not answered; returns once its timeout was handled.
    fn unanswered(&mut self) {
        self.next_probe();
        self.now = self.p.next_deadline();
        self.pending = self.p.poll(self.now);
    }
}

#[test]
fn first_probe_is_due_at_once() {
    let t0 = Instant::now();
    let mut p = Prober::new(Method::Arp, Settings::default(), t0);
    assert_eq!(p.state(), GwState::Unknown);
    assert!(p.state().is_usable());
    assert_eq!(p.next_deadline(), t0);
    assert_eq!(p.outstanding(), None);
    assert_eq!(p.poll(t0), Some(0));
    assert_eq!(p.outstanding(), Some(0));
    assert_eq!(p.next_deadline(), t0 + secs(1));
    assert_eq!(p.take_change(), None);
    assert_eq!(p.stats().sent, 1);
    assert_eq!(p.stats().last_change, t0);
    assert_eq!(p.method(), Method::Arp);
    assert_eq!(p.settings(), Settings::default());
}

#[test]
fn defaults_are_routeros_values() {
    assert_eq!(Settings::default(), settings(secs(10), secs(1), 3, 1));
    let tuned = RoutingSettings {
        ping_interval: ms(500),
        ping_timeout: ms(200),
        ping_count: 5,
        restore_count: 2,
    };
    assert_eq!(Settings::from(&tuned), settings(ms(500), ms(200), 5, 2));
    assert_eq!(
        Method::for_check_gateway(CheckGateway::Ping),
        Some(Method::Ping)
    );
    assert_eq!(
        Method::for_check_gateway(CheckGateway::Arp),
        Some(Method::Arp)
    );
    assert_eq!(Method::for_check_gateway(CheckGateway::None), None);
    assert_eq!(Method::Arp.to_string(), "arp");
    assert_eq!(GwState::Unreachable.to_string(), "unreachable");
    assert!(!GwState::Unreachable.is_usable());
    assert!(GwState::Reachable.is_usable());
}

#[test]
fn unknown_becomes_reachable_on_the_first_reply() {
    let mut sim = Sim::new(Settings::default());
    sim.answered(ms(3));
    let p = &mut sim.p;
    assert_eq!(p.state(), GwState::Reachable);
    assert_eq!(p.take_change(), Some(GwState::Reachable));
    assert_eq!(p.take_change(), None);
    assert_eq!(p.outstanding(), None);
    let st = p.stats();
    assert_eq!(
        (st.sent, st.replies, st.successes, st.failures),
        (1, 1, 1, 0)
    );
    assert_eq!(st.last_rtt, Some(ms(3)));
    assert_eq!(st.last_change, sim.t0 + ms(3));
    // The next probe is due one interval after the previous one left.
    assert_eq!(p.next_deadline(), sim.t0 + secs(10));
}

#[test]
fn dead_from_the_start_is_unreachable_at_two_intervals_and_a_timeout() {
    let mut sim = Sim::new(Settings::default());
    sim.unanswered();
    assert_eq!(sim.at(), secs(1));
    assert_eq!(
        sim.p.state(),
        GwState::Unknown,
        "one failure is not a verdict"
    );
    sim.unanswered();
    assert_eq!(sim.at(), secs(11));
    assert_eq!(sim.p.state(), GwState::Unknown);
    assert_eq!(sim.p.take_change(), None);

    // The third probe leaves at 20s and times out at 21s, not a nanosecond earlier.
    let seq = sim.next_probe();
    assert_eq!((seq, sim.at()), (2, secs(20)));
    let verdict = sim.t0 + secs(21);
    assert_eq!(sim.p.next_deadline(), verdict);
    assert_eq!(sim.p.poll(verdict - Duration::from_nanos(1)), None);
    assert_eq!(sim.p.state(), GwState::Unknown);
    assert_eq!(sim.p.poll(verdict), None);
    assert_eq!(sim.p.state(), GwState::Unreachable);
    assert_eq!(sim.p.take_change(), Some(GwState::Unreachable));
    assert_eq!(Settings::default().time_to_verdict(), secs(21));
    let st = sim.p.stats();
    assert_eq!((st.sent, st.timeouts, st.failures), (3, 3, 3));
    assert_eq!(st.last_change, verdict);
    assert_eq!(st.last_rtt, None);
}

#[test]
fn reachable_goes_down_after_count_consecutive_failures() {
    let mut sim = Sim::new(Settings::default());
    sim.answered(ms(1));
    assert_eq!(sim.p.take_change(), Some(GwState::Reachable));
    // Two failures, then an answer: the count starts again.
    sim.unanswered();
    sim.unanswered();
    assert_eq!(sim.p.stats().failures, 2);
    sim.answered(ms(1));
    assert_eq!(sim.p.stats().failures, 0);
    sim.unanswered();
    sim.unanswered();
    assert_eq!(sim.p.state(), GwState::Reachable);
    assert_eq!(sim.p.take_change(), None);
    sim.unanswered();
    assert_eq!(sim.p.state(), GwState::Unreachable);
    assert_eq!(sim.p.take_change(), Some(GwState::Unreachable));
    // Further failures change nothing.
    sim.unanswered();
    assert_eq!(sim.p.take_change(), None);
    assert_eq!(sim.p.stats().failures, 4);
}

#[test]
fn one_reply_restores_as_in_routeros() {
    let mut sim = Sim::new(Settings::default());
    for _ in 0..3 {
        sim.unanswered();
    }
    assert_eq!(sim.p.take_change(), Some(GwState::Unreachable));
    sim.answered(ms(2));
    assert_eq!(sim.p.state(), GwState::Reachable);
    assert_eq!(sim.p.take_change(), Some(GwState::Reachable));
}

#[test]
fn count_of_one_fails_on_the_first_timeout() {
    let mut sim = Sim::new(settings(secs(1), ms(100), 1, 1));
    sim.answered(ms(1));
    sim.unanswered();
    assert_eq!(sim.p.state(), GwState::Unreachable);
    assert_eq!(sim.at(), secs(1) + ms(100));
}

#[test]
fn restore_count_damps_a_flapping_gateway() {
    let mut sim = Sim::new(settings(secs(10), secs(1), 3, 2));
    for _ in 0..3 {
        sim.unanswered();
    }
    assert_eq!(sim.p.take_change(), Some(GwState::Unreachable));
    // Answering every other probe never gives two answers in a row.
    for _ in 0..20 {
        sim.answered(ms(1));
        assert_eq!(sim.p.state(), GwState::Unreachable);
        sim.unanswered();
        assert_eq!(sim.p.state(), GwState::Unreachable);
    }
    assert_eq!(sim.p.take_change(), None);
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Unreachable);
    assert_eq!(sim.p.stats().successes, 1);
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Reachable);
    assert_eq!(sim.p.take_change(), Some(GwState::Reachable));
    // Once reachable, fewer than `count` failures keep it so.
    sim.unanswered();
    sim.unanswered();
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Reachable);
}

#[test]
fn restore_does_not_delay_the_first_verdict() {
    // From Unknown one answer gives Reachable whatever `restore` is.
    let mut sim = Sim::new(settings(secs(10), secs(1), 3, 5));
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Reachable);
}

#[test]
fn late_unknown_and_repeated_replies_are_ignored() {
    let t0 = Instant::now();
    let mut p = Prober::new(Method::Ping, Settings::default(), t0);
    assert_eq!(p.poll(t0), Some(0));
    // Another sequence number, and a reply with no probe outstanding.
    p.reply(1, t0 + ms(5));
    p.reply(u16::MAX, t0 + ms(5));
    assert_eq!(p.outstanding(), Some(0));
    // Exactly at the timeout is too late, even before the caller polled.
    p.reply(0, t0 + secs(1));
    assert_eq!(p.outstanding(), Some(0));
    assert_eq!(p.state(), GwState::Unknown);
    assert_eq!(p.poll(t0 + secs(1)), None);
    assert_eq!(p.stats().failures, 1);
    // After the timeout was handled.
    p.reply(0, t0 + secs(2));
    assert_eq!(p.stats().failures, 1);
    assert_eq!(p.state(), GwState::Unknown);

    assert_eq!(p.poll(t0 + secs(10)), Some(1));
    p.reply(1, t0 + secs(10) + ms(999));
    assert_eq!(p.state(), GwState::Reachable);
    // A duplicate of the answer.
    p.reply(1, t0 + secs(10) + ms(999));
    let st = p.stats();
    assert_eq!((st.replies, st.ignored, st.timeouts), (1, 5, 1));
    assert_eq!(st.successes, 1);
}

#[test]
fn sequence_numbers_increase_and_wrap() {
    let mut sim = Sim::new(settings(ms(100), ms(10), 3, 1));
    for i in 0..70_000u32 {
        let seq = sim.next_probe();
        assert_eq!(seq, i as u16);
        sim.now += ms(1);
        sim.p.reply(seq, sim.now);
    }
    assert_eq!(sim.p.stats().replies, 70_000);

    let t0 = Instant::now();
    let mut p = Prober::new(Method::Ping, Settings::default(), t0);
    p.next_seq = u16::MAX - 1;
    let mut seqs = Vec::new();
    for i in 0..4 {
        let now = t0 + secs(10) * i;
        seqs.push(p.poll(now).unwrap());
        p.reply(*seqs.last().unwrap(), now);
    }
    assert_eq!(seqs, vec![u16::MAX - 1, u16::MAX, 0, 1]);
}

#[test]
fn deadlines_when_the_timeout_is_shorter_than_the_interval() {
    let t0 = Instant::now();
    let mut p = Prober::new(Method::Ping, settings(secs(10), secs(1), 3, 1), t0);
    assert_eq!(p.poll(t0), Some(0));
    assert_eq!(p.next_deadline(), t0 + secs(1));
    // Early polls do nothing.
    assert_eq!(p.poll(t0 + ms(500)), None);
    assert_eq!(p.outstanding(), Some(0));
    p.reply(0, t0 + ms(700));
    assert_eq!(p.next_deadline(), t0 + secs(10));
    assert_eq!(p.poll(t0 + secs(9)), None);
    assert_eq!(p.poll(t0 + secs(10)), Some(1));
    assert_eq!(p.next_deadline(), t0 + secs(11));
    assert_eq!(p.poll(t0 + secs(11)), None, "a timeout alone sends nothing");
    assert_eq!(p.next_deadline(), t0 + secs(20));
    // A late poll sends late, and the schedule continues from there.
    assert_eq!(p.poll(t0 + secs(23)), Some(2));
    assert_eq!(p.next_deadline(), t0 + secs(24));
    p.reply(2, t0 + secs(23));
    assert_eq!(p.next_deadline(), t0 + secs(33));
}

#[test]
fn a_long_timeout_delays_the_next_probe_but_never_overlaps() {
    let t0 = Instant::now();
    let mut p = Prober::new(Method::Ping, settings(secs(1), secs(3), 2, 1), t0);
    assert_eq!(p.poll(t0), Some(0));
    assert_eq!(p.next_deadline(), t0 + secs(3));
    for t in [1, 2] {
        assert_eq!(p.poll(t0 + secs(t)), None, "one probe outstanding at most");
    }
    // The timeout and the next probe in one call.
    assert_eq!(p.poll(t0 + secs(3)), Some(1));
    assert_eq!(p.stats().failures, 1);
    assert_eq!(p.outstanding(), Some(1));
    assert_eq!(p.next_deadline(), t0 + secs(6));
    assert_eq!(p.poll(t0 + secs(6)), Some(2));
    assert_eq!(p.state(), GwState::Unreachable);
    assert_eq!(settings(secs(1), secs(3), 2, 1).time_to_verdict(), secs(6));
    // An answer after the interval has passed: the next probe is already due.
    p.reply(2, t0 + secs(8));
    assert_eq!(p.next_deadline(), t0 + secs(7));
    assert_eq!(p.poll(t0 + secs(8)), Some(3));
    assert_eq!(p.next_deadline(), t0 + secs(11));
}

#[test]
fn new_settings_keep_the_verdict() {
    let mut sim = Sim::new(Settings::default());
    for _ in 0..3 {
        sim.unanswered();
    }
    assert_eq!(sim.p.state(), GwState::Unreachable);
    let last_sent = sim.t0 + secs(20);
    sim.p.set_settings(settings(secs(2), ms(500), 5, 2));
    assert_eq!(sim.p.state(), GwState::Unreachable);
    assert_eq!(sim.p.next_deadline(), last_sent + secs(2));
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Unreachable, "restore is now 2");
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Reachable);
    assert_eq!(sim.p.stats().sent, 5);
}

#[test]
fn zero_counts_are_taken_as_one() {
    let mut sim = Sim::new(settings(secs(1), ms(100), 0, 0));
    sim.unanswered();
    assert_eq!(sim.p.state(), GwState::Unreachable);
    sim.answered(ms(1));
    assert_eq!(sim.p.state(), GwState::Reachable);
    assert_eq!(sim.p.settings().count, 1);
}

/// The figure the end-to-end tests rely on: a gateway that dies at any moment is declared
/// unreachable within `worst_case_detection`, itself within interval x count + interval.
#[test]
fn failover_bound_holds_wherever_the_gateway_dies() {
    for s in [
        Settings::default(),
        settings(secs(1), ms(200), 3, 1),
        settings(ms(100), ms(100), 5, 1),
        settings(secs(2), secs(1), 1, 1),
    ] {
        assert!(s.worst_case_detection() <= s.interval * s.count + s.interval);
        let mut worst = Duration::ZERO;
        for step in 0..40u32 {
            let death = s.interval * 3 + s.interval * step / 40;
            let mut sim = Sim::new(s);
            // Answers take 1ms while the gateway lives.
            while sim.p.state() != GwState::Unreachable {
                let seq = sim.next_probe();
                if sim.at() + ms(1) <= death {
                    sim.now += ms(1);
                    sim.p.reply(seq, sim.now);
                } else {
                    sim.now = sim.p.next_deadline();
                    sim.pending = sim.p.poll(sim.now);
                }
            }
            let took = sim.p.stats().last_change - (sim.t0 + death);
            assert!(
                took <= s.worst_case_detection(),
                "{s:?} {death:?}: {took:?}"
            );
            worst = worst.max(took);
        }
        // The bound is tight, to the round trip of the last answer.
        assert!(
            s.worst_case_detection() - worst <= ms(1) + s.interval / 40,
            "{s:?}: {worst:?}"
        );
    }
}

/// What happens to one probe in the property test.
#[derive(Debug, Clone)]
enum Fate {
    /// Answered after this many thousandths of the timeout.
    Answered(u64),
    /// Never answered.
    Lost,
    /// Answered this many ms after the timeout (0: exactly at it).
    Late(u64),
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        (0u64..1000).prop_map(Fate::Answered),
        Just(Fate::Lost),
        (0u64..3000).prop_map(Fate::Late),
    ]
}

/// The reference: the state as a function of the whole history of results (true for an
/// answered probe), written without counters. Unreachable after the last run of `count`
/// failures unless `restore` answers in a row followed it; before any such run, Unknown
/// until the first answer.
fn reference(history: &[bool], count: usize, restore: usize) -> GwState {
    let last_down = (count..=history.len())
        .rev()
        .find(|&end| history[end - count..end].iter().all(|ok| !ok));
    match last_down {
        None if history.contains(&true) => GwState::Reachable,
        None => GwState::Unknown,
        Some(end) => {
            let after = &history[end..];
            let restored = after.len() >= restore
                && (restore..=after.len()).any(|e| after[e - restore..e].iter().all(|ok| *ok));
            if restored {
                GwState::Reachable
            } else {
                GwState::Unreachable
            }
        }
    }
}

fn trailing(history: &[bool], value: bool) -> u32 {
    history.iter().rev().take_while(|r| **r == value).count() as u32
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn state_matches_the_reference_model(
        interval_ms in 100u64..5000,
        timeout_ms in 1u64..6000,
        count in 1u32..6,
        restore in 1u32..5,
        fates in proptest::collection::vec((fate(), any::<bool>(), proptest::option::of(0u64..1000)), 0..60),
    ) {
        let s = settings(ms(interval_ms), ms(timeout_ms), count, restore);
        let t0 = Instant::now();
        let mut p = Prober::new(Method::Ping, s, t0);
        let mut clock = t0;
        let mut history: Vec<bool> = Vec::new();
        let mut reported = GwState::Unknown;
        // A lost or late probe, failed by the prober at its next poll.
        let mut failing = false;
        let mut expected_send = t0;
        let mut expected_seq = 0u16;
        let mut fates = fates.into_iter();

        let check = |p: &mut Prober, history: &[bool], reported: &mut GwState| -> Result<(), TestCaseError> {
            let want = reference(history, count as usize, restore as usize);
            prop_assert_eq!(p.state(), want, "history {:?}", history);
            prop_assert_eq!(p.stats().failures, trailing(history, false));
            prop_assert_eq!(p.stats().successes, trailing(history, true));
            let change = p.take_change();
            if want == *reported {
                prop_assert_eq!(change, None);
            } else {
                prop_assert_eq!(change, Some(want));
                *reported = want;
            }
            Ok(())
        };

        loop {
            let deadline = p.next_deadline().max(clock);
            // A poll before the deadline does nothing.
            let (_, _, early) = fates.as_slice().first().cloned().unwrap_or((Fate::Lost, false, None));
            if let Some(permille) = early {
                let at = clock + (deadline - clock) * permille as u32 / 1000;
                if at < deadline {
                    prop_assert_eq!(p.poll(at), None);
                    check(&mut p, &history, &mut reported)?;
                }
            }
            clock = deadline;
            let sent = p.poll(clock);
            if failing {
                history.push(false);
                failing = false;
            }
            check(&mut p, &history, &mut reported)?;
            let Some(seq) = sent else {
                continue;
            };
            prop_assert_eq!(seq, expected_seq);
            prop_assert_eq!(clock, expected_send);
            prop_assert_eq!(p.outstanding(), Some(seq));
            prop_assert_eq!(p.next_deadline(), clock + s.timeout);
            expected_seq = expected_seq.wrapping_add(1);
            let Some((fate, stray, _)) = fates.next() else {
                break;
            };
            if stray {
                p.reply(seq.wrapping_add(1), clock);
                p.reply(seq.wrapping_sub(1), clock);
                prop_assert_eq!(p.outstanding(), Some(seq));
            }
            // The probe is resolved at `resolved`; the next leaves an interval after this
            // one, or at its resolution if that is later.
            let resolved = match fate {
                Fate::Answered(permille) => {
                    clock += s.timeout * permille as u32 / 1000;
                    p.reply(seq, clock);
                    history.push(true);
                    check(&mut p, &history, &mut reported)?;
                    prop_assert_eq!(p.stats().last_rtt, Some(s.timeout * permille as u32 / 1000));
                    clock
                }
                Fate::Lost => {
                    failing = true;
                    clock + s.timeout
                }
                Fate::Late(extra) => {
                    let at = clock + s.timeout + ms(extra);
                    p.reply(seq, at);
                    prop_assert_eq!(p.outstanding(), Some(seq));
                    clock = at;
                    failing = true;
                    at
                }
            };
            expected_send = (expected_send + s.interval).max(resolved);
        }
        let st = p.stats();
        prop_assert_eq!(st.sent, st.replies + st.timeouts + u64::from(p.outstanding().is_some()));
    }
}
