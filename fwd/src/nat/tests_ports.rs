//! The choice of a translated port: ranges, the workers' shares of them, the picks.

use super::*;

#[test]
fn pick_port_keeps_preferred_when_free() {
    let range = PortRange::new(1024, 65535);
    assert_eq!(pick_port(40000, range, 7, |_| true, 16), Some(40000));
    // Outside the range, even if free: never.
    let p = pick_port(80, range, 7, |_| true, 16).unwrap();
    assert!(range.contains(p));
}

#[test]
fn pick_port_probes_the_range_when_preferred_is_taken() {
    let range = PortRange::new(2000, 2099);
    for salt in 0..1000 {
        let p = pick_port(2050, range, salt, |p| p != 2050, 8).unwrap();
        assert!(range.contains(p) && p != 2050, "{p}");
    }
    // Different salts start at different places.
    let starts: std::collections::HashSet<u16> = (0..100)
        .map(|salt| pick_port(0, range, salt, |_| true, 1).unwrap())
        .collect();
    assert!(starts.len() > 30, "{}", starts.len());
    // Only one port free: found when the tries cover the range, each port probed once.
    for salt in 0..200 {
        let mut calls = 0;
        let p = pick_port(
            2000,
            range,
            salt,
            |p| {
                calls += 1;
                p == 2099
            },
            1000,
        );
        assert_eq!(p, Some(2099));
        assert!(calls <= 101);
    }
}

#[test]
fn pick_port_exhausted() {
    let range = PortRange::new(5000, 5009);
    let mut calls = 0;
    let r = pick_port(
        5003,
        range,
        42,
        |_| {
            calls += 1;
            false
        },
        100,
    );
    assert_eq!(r, None);
    assert_eq!(calls, 11, "preferred, then each port once");
    // Tries run out before the free port is reached.
    let mut calls = 0;
    let r = pick_port(
        0,
        PortRange::ALL,
        1,
        |_| {
            calls += 1;
            false
        },
        5,
    );
    assert_eq!((r, calls), (None, 5));
    // An empty range never answers.
    assert_eq!(pick_port(5, PortRange::new(10, 9), 3, |_| true, 10), None);
    assert!(PortRange::new(10, 9).is_empty());
}

#[test]
fn pick_port_edges_of_the_range() {
    // The whole u16 space and a single port.
    let all = PortRange::new(0, u16::MAX);
    assert_eq!(all.len(), 65536);
    for salt in [0, 1, u32::MAX, 0x8000_0000] {
        let p = pick_port(7, all, salt, |p| p != 7, 3).unwrap();
        assert_ne!(p, 7);
    }
    let one = PortRange::new(9, 9);
    for salt in [0, 1, u32::MAX] {
        assert_eq!(pick_port(1, one, salt, |_| true, 3), Some(9));
        assert_eq!(pick_port(9, one, salt, |p| p != 9, 3), None);
    }
}

// ---- The workers' shares, where replies are owned by port.

#[test]
fn every_port_has_one_owner_and_the_shares_split_any_range() {
    for workers in [1usize, 2, 3, 4, 7, 8] {
        for (first, last) in [
            (1, 65535),
            (1024, 65535),
            (5000, 5000),
            (5000, 5002),
            (0, 10),
            (65530, 65535),
            (9, 8),
        ] {
            let range = PortRange::new(first, last);
            let mut seen = 0u32;
            for worker in 0..workers {
                let share = PortShare { worker, workers };
                let (p0, count) = share.within(range);
                // The share's ports, as `within` describes them, against every port's owner.
                let brute: Vec<u16> = (u32::from(first)..=u32::from(last))
                    .map(|p| p as u16)
                    .filter(|&p| port_owner(p, workers) == worker)
                    .collect();
                assert_eq!(
                    count as usize,
                    brute.len(),
                    "{workers} workers, {first}-{last}"
                );
                if let Some(&b) = brute.first() {
                    assert_eq!(p0, b);
                }
                assert!(brute.iter().all(|&p| share.owns(p)));
                seen += count;
            }
            assert_eq!(
                seen,
                range.len(),
                "{workers} workers, {first}-{last}: split whole"
            );
        }
    }
    // Out of bounds, or no workers at all: no crash, and a sane answer.
    assert_eq!(
        PortShare {
            worker: 3,
            workers: 2
        }
        .within(PortRange::ALL),
        (0, 0)
    );
    assert_eq!(
        PortShare {
            worker: 0,
            workers: 0
        }
        .within(PortRange::new(7, 9)),
        (7, 3)
    );
    assert_eq!(port_owner(12345, 0), 0);
}

#[test]
fn pick_port_owned_answers_only_ports_of_the_share() {
    let range = PortRange::new(20000, 29999);
    for workers in [2usize, 3, 4] {
        for worker in 0..workers {
            let share = PortShare { worker, workers };
            for salt in 0..300 {
                let p = pick_port_owned(0, range, share, salt, |_| true, 4).unwrap();
                assert!(range.contains(p) && share.owns(p), "{p}");
            }
            // The source port is kept exactly when the share owns it (and it is free).
            for preferred in [20000u16, 20001, 20002, 20003, 25555, 40000] {
                let p = pick_port_owned(preferred, range, share, 1, |_| true, 4).unwrap();
                let keep = range.contains(preferred) && share.owns(preferred);
                assert_eq!(
                    p == preferred,
                    keep,
                    "{preferred}, worker {worker} of {workers}"
                );
            }
        }
    }
}

#[test]
fn pick_port_owned_probes_each_port_of_the_share_once() {
    // 5000-5009 for worker 1 of 3: 5002, 5005, 5008. Only the last is free.
    let share = PortShare {
        worker: 1,
        workers: 3,
    };
    let range = PortRange::new(5000, 5009);
    for salt in 0..50 {
        let mut asked = Vec::new();
        let p = pick_port_owned(
            5000,
            range,
            share,
            salt,
            |p| {
                asked.push(p);
                p == 5008
            },
            100,
        );
        assert_eq!(p, Some(5008));
        assert!(
            asked.iter().all(|&a| [5002, 5005, 5008].contains(&a)),
            "{asked:?}"
        );
        let mut unique = asked.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), asked.len(), "each once: {asked:?}");
    }
    // All taken: each asked once, then no.
    let mut calls = 0;
    let none = pick_port_owned(
        5002,
        range,
        share,
        9,
        |_| {
            calls += 1;
            false
        },
        100,
    );
    assert_eq!(
        (none, calls),
        (None, 4),
        "the preferred port, then the three"
    );
}

#[test]
fn a_share_without_ports_of_the_range_never_answers() {
    // to-ports=5000 with 4 workers: only worker 5000 % 4 = 0 has it.
    let one = PortRange::new(5000, 5000);
    for worker in 1..4 {
        let share = PortShare { worker, workers: 4 };
        let mut calls = 0;
        let r = pick_port_owned(
            5000,
            one,
            share,
            3,
            |_| {
                calls += 1;
                true
            },
            64,
        );
        assert_eq!((r, calls), (None, 0), "worker {worker}: nothing asked");
    }
    let owner = PortShare {
        worker: 0,
        workers: 4,
    };
    assert_eq!(pick_port_owned(1, one, owner, 3, |_| true, 64), Some(5000));
}
