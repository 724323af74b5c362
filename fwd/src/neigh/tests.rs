//! The ARP table as a function of events and time. Held "packets" are plain numbers.

use super::*;

const LAN: u16 = 0;
const WAN: u16 = 1;

const GW: u32 = 0xcb00_7101; // 203.0.113.1
const HOST: u32 = 0xc0a8_010a; // 192.168.1.10
const OTHER: u32 = 0xc0a8_0114; // 192.168.1.20

const MAC_A: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x0a]);
const MAC_B: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x0b]);

type T = Table<u32>;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

fn nb(port: u16, mac: MacAddr) -> Neighbour {
    Neighbour { port, mac }
}

/// A table that has learned `addr` at `t0`.
fn learned(addr: u32, port: u16, mac: MacAddr, t0: Instant) -> T {
    let mut t = T::default();
    assert_eq!(t.learn(addr, port, mac, t0), (true, vec![]));
    t
}

// ---- learning and static entries ----

#[test]
fn learning_a_new_address_changes_the_table_and_resolves() {
    let t0 = Instant::now();
    let t = learned(HOST, LAN, MAC_A, t0);
    assert_eq!(t.resolve(HOST), Some(nb(LAN, MAC_A)));
    assert!(t.knows(HOST));
    assert_eq!(t.published().get(&HOST), Some(&nb(LAN, MAC_A)));
}

#[test]
fn relearning_the_same_mac_is_no_change_but_a_new_mac_or_port_is() {
    let t0 = Instant::now();
    let mut t = learned(HOST, LAN, MAC_A, t0);
    assert_eq!(t.learn(HOST, LAN, MAC_A, t0 + secs(1)), (false, vec![]));
    assert_eq!(t.learn(HOST, LAN, MAC_B, t0 + secs(2)), (true, vec![]));
    assert_eq!(t.resolve(HOST), Some(nb(LAN, MAC_B)));
    assert_eq!(t.learn(HOST, WAN, MAC_B, t0 + secs(3)), (true, vec![]));
    assert_eq!(t.resolve(HOST), Some(nb(WAN, MAC_B)));
}

#[test]
fn static_entry_is_never_overridden_by_learning() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.add_static(GW, WAN, MAC_A);
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
    assert_eq!(t.learn(GW, WAN, MAC_B, t0), (false, vec![]));
    assert_eq!(t.learn(GW, LAN, MAC_B, t0), (false, vec![]));
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
    assert_eq!(t.published().get(&GW), Some(&nb(WAN, MAC_A)));
}

#[test]
fn static_entry_never_expires_and_is_never_refreshed() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.add_static(GW, WAN, MAC_A);
    for s in [1, REFRESH_AFTER.as_secs(), EXPIRE_AFTER.as_secs(), 100_000] {
        let tick = t.tick(t0 + secs(s));
        assert!(tick.requests.is_empty() && !tick.changed, "at {s}s");
    }
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
}

#[test]
fn unknown_address_does_not_resolve() {
    let t = T::default();
    assert_eq!(t.resolve(HOST), None);
    assert!(!t.knows(HOST));
    assert!(t.published().is_empty());
}

// ---- the hold queue ----

#[test]
fn first_hold_on_unknown_address_asks_for_a_request() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert_eq!(t.hold(GW, WAN, 1, t0), Hold::HeldSendRequest);
    assert!(t.knows(GW), "an incomplete entry lets the reply be learned");
    assert_eq!(t.resolve(GW), None);
}

#[test]
fn further_holds_within_the_request_interval_are_held_quietly() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert_eq!(t.hold(GW, WAN, 1, t0), Hold::HeldSendRequest);
    for p in 2..=HOLD_PER_NEIGHBOUR as u32 {
        assert_eq!(t.hold(GW, WAN, p, t0 + ms(10 * u64::from(p))), Hold::Held);
    }
}

#[test]
fn holds_beyond_the_per_neighbour_limit_are_refused_with_the_packet() {
    let t0 = Instant::now();
    let mut t = T::default();
    for p in 0..HOLD_PER_NEIGHBOUR as u32 {
        assert!(matches!(
            t.hold(GW, WAN, p, t0),
            Hold::HeldSendRequest | Hold::Held
        ));
    }
    assert_eq!(t.hold(GW, WAN, 99, t0), Hold::Refused(99));
    // The packets that were held are the first ones, in order.
    let (changed, released) = t.learn(GW, WAN, MAC_A, t0 + ms(5));
    assert!(changed);
    assert_eq!(released, (0..HOLD_PER_NEIGHBOUR as u32).collect::<Vec<_>>());
}

#[test]
fn hold_after_the_request_interval_asks_for_another_request() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert_eq!(t.hold(GW, WAN, 1, t0), Hold::HeldSendRequest);
    assert_eq!(
        t.hold(GW, WAN, 2, t0 + REQUEST_INTERVAL),
        Hold::HeldSendRequest
    );
    assert_eq!(
        t.hold(GW, WAN, 3, t0 + REQUEST_INTERVAL + ms(1)),
        Hold::Held
    );
}

#[test]
fn learn_releases_held_packets_in_order() {
    let t0 = Instant::now();
    let mut t = T::default();
    for p in [7, 3, 5] {
        t.hold(GW, WAN, p, t0);
    }
    let (changed, released) = t.learn(GW, WAN, MAC_A, t0 + ms(200));
    assert!(
        changed,
        "an incomplete entry becoming complete is published"
    );
    assert_eq!(released, vec![7, 3, 5]);
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
    // Released once only.
    assert_eq!(t.learn(GW, WAN, MAC_A, t0 + ms(300)), (false, vec![]));
}

#[test]
fn hold_on_a_known_neighbour_returns_it_with_the_packet() {
    let t0 = Instant::now();
    let mut t = learned(GW, WAN, MAC_A, t0);
    assert_eq!(
        t.hold(GW, WAN, 9, t0 + secs(1)),
        Hold::Known(nb(WAN, MAC_A), 9)
    );
    t.add_static(HOST, LAN, MAC_B);
    assert_eq!(t.hold(HOST, LAN, 10, t0), Hold::Known(nb(LAN, MAC_B), 10));
}

#[test]
fn incomplete_entries_are_bounded() {
    let t0 = Instant::now();
    let mut t = T::default();
    for i in 0..MAX_INCOMPLETE as u32 {
        assert_eq!(t.hold(0x0a00_0000 + i, LAN, i, t0), Hold::HeldSendRequest);
    }
    assert_eq!(t.hold(0x0b00_0000, LAN, 1000, t0), Hold::Refused(1000));
    // Addresses already being resolved still take packets...
    assert_eq!(t.hold(0x0a00_0000, LAN, 1001, t0), Hold::Held);
    // ...and one resolving frees a slot for a newcomer.
    t.learn(0x0a00_0001, LAN, MAC_A, t0);
    assert_eq!(t.hold(0x0b00_0000, LAN, 1002, t0), Hold::HeldSendRequest);
}

// ---- timers ----

#[test]
fn tick_retries_every_interval_then_gives_up_and_forgets() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert_eq!(t.hold(GW, WAN, 1, t0), Hold::HeldSendRequest);
    t.hold(GW, WAN, 2, t0);
    let mut requests = 1; // the one hold() asked for
    let mut now = t0;
    let mut dropped = Vec::new();
    for step in 1..=MAX_REQUESTS + 1 {
        // Nothing happens within an interval.
        let quiet = t.tick(now + REQUEST_INTERVAL - ms(1));
        assert!(
            quiet.requests.is_empty() && quiet.dropped.is_empty(),
            "step {step}"
        );
        now += REQUEST_INTERVAL;
        let tick = t.tick(now);
        assert!(!tick.changed, "incomplete entries are not published");
        requests += tick.requests.len() as u32;
        if tick.requests.is_empty() {
            dropped = tick.dropped;
            break;
        }
        assert_eq!(tick.requests, vec![(WAN, GW)]);
        assert!(tick.dropped.is_empty());
    }
    assert_eq!(requests, MAX_REQUESTS);
    assert_eq!(dropped, vec![1, 2]);
    assert!(!t.knows(GW), "given up: forgotten");
    assert_eq!(t.resolve(GW), None);
    // The next packet starts over.
    assert_eq!(t.hold(GW, WAN, 3, now), Hold::HeldSendRequest);
}

#[test]
fn learned_entry_is_refreshed_then_expires() {
    let t0 = Instant::now();
    let mut t = learned(GW, WAN, MAC_A, t0);
    let before = t.tick(t0 + REFRESH_AFTER - ms(1));
    assert!(before.requests.is_empty() && !before.changed);
    let refresh = t.tick(t0 + REFRESH_AFTER);
    assert_eq!(refresh.requests, vec![(WAN, GW)]);
    assert!(!refresh.changed);
    assert_eq!(
        t.resolve(GW),
        Some(nb(WAN, MAC_A)),
        "still usable while refreshing"
    );
    // Not re-requested on every tick.
    assert!(t.tick(t0 + REFRESH_AFTER + ms(100)).requests.is_empty());
    let expired = t.tick(t0 + EXPIRE_AFTER);
    assert!(expired.changed);
    assert_eq!(t.resolve(GW), None);
    assert!(!t.knows(GW));
    assert!(t.published().is_empty());
}

#[test]
fn answer_to_a_refresh_keeps_the_entry() {
    let t0 = Instant::now();
    let mut t = learned(GW, WAN, MAC_A, t0);
    t.tick(t0 + REFRESH_AFTER);
    assert_eq!(
        t.learn(GW, WAN, MAC_A, t0 + REFRESH_AFTER + secs(1)),
        (false, vec![])
    );
    let tick = t.tick(t0 + EXPIRE_AFTER);
    assert!(!tick.changed && tick.requests.is_empty());
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
}

#[test]
fn unanswered_refresh_is_repeated_before_expiry() {
    let t0 = Instant::now();
    let mut t = learned(GW, WAN, MAC_A, t0);
    let mut total = 0;
    let mut now = t0 + REFRESH_AFTER;
    while now < t0 + EXPIRE_AFTER {
        total += t.tick(now).requests.len();
        now += ms(100);
    }
    assert!(total >= 2, "{total} refresh requests in the last minute");
    assert!(total <= 6, "{total} refresh requests in the last minute");
}

// ---- ports ----

#[test]
fn flush_port_forgets_only_that_ports_learned_entries() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.learn(HOST, LAN, MAC_A, t0);
    t.learn(GW, WAN, MAC_B, t0);
    t.add_static(OTHER, LAN, MAC_B);
    t.hold(0xc0a8_0163, LAN, 41, t0);
    t.hold(0xc0a8_0163, LAN, 42, t0);
    t.hold(0xcb00_7163, WAN, 43, t0);
    let dropped = t.flush_port(LAN);
    assert_eq!(dropped, vec![41, 42]);
    assert_eq!(t.resolve(HOST), None);
    assert!(!t.knows(0xc0a8_0163));
    assert_eq!(
        t.resolve(OTHER),
        Some(nb(LAN, MAC_B)),
        "static entries stay"
    );
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_B)));
    assert!(t.knows(0xcb00_7163));
}

#[test]
fn flush_port_where_forgets_only_the_addresses_picked() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.learn(HOST, LAN, MAC_A, t0);
    t.learn(0xc0a8_0263, LAN, MAC_B, t0);
    t.hold(0xc0a8_0264, LAN, 7, t0);
    // The port lost 192.168.2.0/24: its neighbours there go, the others stay.
    let dropped = t.flush_port_where(LAN, |a| a >> 8 == 0x00c0_a802);
    assert_eq!(dropped, vec![7]);
    assert_eq!(t.resolve(0xc0a8_0263), None);
    assert_eq!(t.resolve(HOST), Some(nb(LAN, MAC_A)));
}

#[test]
fn forget_drops_a_learned_entry_only() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.learn(GW, WAN, MAC_B, t0);
    t.add_static(OTHER, LAN, MAC_B);
    t.hold(HOST, LAN, 1, t0);
    assert!(t.forget(GW));
    assert_eq!(t.resolve(GW), None);
    // Asked for again at once: a flushed nexthop is resolved anew.
    assert!(t.solicit(GW, WAN, t0));
    assert!(!t.forget(OTHER), "static entries stay");
    assert_eq!(t.resolve(OTHER), Some(nb(LAN, MAC_B)));
    assert!(!t.forget(HOST), "a resolution in progress stays");
    assert!(t.knows(HOST));
    assert!(!t.forget(0x0a00_0001));
}

#[test]
fn published_excludes_incomplete_entries() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.learn(HOST, LAN, MAC_A, t0);
    t.add_static(GW, WAN, MAC_B);
    t.hold(OTHER, LAN, 1, t0);
    t.solicit(0xcb00_7163, WAN, t0);
    let p = t.published();
    assert_eq!(p.len(), 2);
    assert_eq!(p.get(&HOST), Some(&nb(LAN, MAC_A)));
    assert_eq!(p.get(&GW), Some(&nb(WAN, MAC_B)));
    assert!(!p.contains_key(&OTHER));
}

#[test]
fn entries_report_static_and_complete_flags() {
    let t0 = Instant::now();
    let mut t = T::default();
    t.learn(HOST, LAN, MAC_A, t0);
    t.add_static(GW, WAN, MAC_B);
    t.hold(OTHER, LAN, 1, t0);
    let mut e: Vec<_> = t.entries().collect();
    e.sort();
    assert_eq!(
        e,
        vec![
            (HOST, LAN, MAC_A, false, true),
            (OTHER, LAN, MacAddr::ZERO, false, false),
            (GW, WAN, MAC_B, true, true),
        ]
    );
}

// ---- soliciting ahead of traffic ----

#[test]
fn solicit_starts_resolving_an_unknown_address_once() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert!(t.solicit(GW, WAN, t0));
    assert!(!t.solicit(GW, WAN, t0 + ms(10)), "already being resolved");
    assert!(t.knows(GW));
    assert_eq!(t.resolve(GW), None);
    // Packets arriving meanwhile wait without a request of their own.
    assert_eq!(t.hold(GW, WAN, 1, t0 + ms(20)), Hold::Held);
    // The timer retries it like any incomplete entry.
    assert_eq!(t.tick(t0 + REQUEST_INTERVAL).requests, vec![(WAN, GW)]);
    let (changed, released) = t.learn(GW, WAN, MAC_A, t0 + REQUEST_INTERVAL + ms(1));
    assert!(changed);
    assert_eq!(released, vec![1]);
}

#[test]
fn solicit_of_a_known_address_does_nothing() {
    let t0 = Instant::now();
    let mut t = learned(GW, WAN, MAC_A, t0);
    assert!(!t.solicit(GW, WAN, t0));
    t.add_static(HOST, LAN, MAC_B);
    assert!(!t.solicit(HOST, LAN, t0));
    assert_eq!(t.resolve(GW), Some(nb(WAN, MAC_A)));
}

#[test]
fn unanswered_solicit_is_given_up_after_max_requests() {
    let t0 = Instant::now();
    let mut t = T::default();
    assert!(t.solicit(GW, WAN, t0));
    let sent: usize = (1..=MAX_REQUESTS)
        .map(|i| t.tick(t0 + REQUEST_INTERVAL * i).requests.len())
        .sum();
    assert_eq!(sent as u32 + 1, MAX_REQUESTS);
    assert!(!t.knows(GW));
}
