//! The classifier's hash: even, dependent only on the selected fields, stable.

use super::pcc::{classify, PccFields};
use crate::flow::FlowKey;

use crate::rng::Rng;

trait RngExt {
    fn flow(&mut self) -> FlowKey;
}

impl RngExt for Rng {
    fn flow(&mut self) -> FlowKey {
        let a = self.next();
        let b = self.next();
        FlowKey {
            src: a as u32,
            dst: (a >> 32) as u32,
            sport: b as u16,
            dport: (b >> 16) as u16,
            proto: 6,
        }
    }
}

/// Every remainder of every denominator 2..=16 gets its share within ±3% (relative).
///
/// One million flows rather than 100k: with 100k, a bucket of 1/16 has a standard deviation
/// of 1.3% of its share, so ±3% would be 2.4σ and some of the 1215 buckets would fail by
/// chance even for an ideal hash; with 1M, ±3% is 7.5σ.
#[test]
fn every_field_set_spreads_evenly() {
    const N: usize = 1_000_000;
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let flows: Vec<FlowKey> = (0..N).map(|_| rng.flow()).collect();
    for fields in PccFields::ALL {
        let hashes: Vec<u32> = flows.iter().map(|k| classify(fields, k)).collect();
        for d in 2..=16u32 {
            let mut count = vec![0usize; d as usize];
            for h in &hashes {
                count[(h % d) as usize] += 1;
            }
            let share = N as f64 / f64::from(d);
            for (r, c) in count.iter().enumerate() {
                let dev = (*c as f64 - share).abs() / share;
                assert!(
                    dev < 0.03,
                    "{}:{d}/{r} has {c} flows, {:.2}% off",
                    fields.name(),
                    dev * 100.0
                );
            }
        }
    }
}

#[test]
fn unselected_fields_do_not_matter() {
    let mut rng = Rng(42);
    for _ in 0..10_000 {
        let k = rng.flow();
        let o = rng.flow();
        let with = |src, dst, sport, dport| FlowKey {
            src: if src { o.src } else { k.src },
            dst: if dst { o.dst } else { k.dst },
            sport: if sport { o.sport } else { k.sport },
            dport: if dport { o.dport } else { k.dport },
            proto: 17,
        };
        use PccFields::*;
        assert_eq!(
            classify(SrcAddress, &k),
            classify(SrcAddress, &with(false, true, true, true))
        );
        assert_eq!(
            classify(DstAddress, &k),
            classify(DstAddress, &with(true, false, true, true))
        );
        assert_eq!(
            classify(BothAddresses, &k),
            classify(BothAddresses, &with(false, false, true, true))
        );
        assert_eq!(
            classify(SrcPort, &k),
            classify(SrcPort, &with(true, true, false, true))
        );
        assert_eq!(
            classify(DstPort, &k),
            classify(DstPort, &with(true, true, true, false))
        );
        assert_eq!(
            classify(BothPorts, &k),
            classify(BothPorts, &with(true, true, false, false))
        );
        assert_eq!(
            classify(SrcAddressAndPort, &k),
            classify(SrcAddressAndPort, &with(false, true, false, true))
        );
        assert_eq!(
            classify(DstAddressAndPort, &k),
            classify(DstAddressAndPort, &with(true, false, true, false))
        );
        assert_eq!(
            classify(BothAddressesAndPorts, &k),
            classify(BothAddressesAndPorts, &with(false, false, false, false))
        );
    }
}

#[test]
fn selected_fields_do_matter() {
    let k = FlowKey {
        src: 0xC0A8_0164,
        dst: 0x0808_0808,
        sport: 40000,
        dport: 443,
        proto: 6,
    };
    let mut other = k;
    other.sport = 40001;
    assert_ne!(
        classify(PccFields::BothAddressesAndPorts, &k),
        classify(PccFields::BothAddressesAndPorts, &other)
    );
    assert_eq!(
        classify(PccFields::BothAddresses, &k),
        classify(PccFields::BothAddresses, &other)
    );
    // A 2-way split of one client's connections to one server uses both classes.
    let classes: std::collections::HashSet<u32> = (0..64u16)
        .map(|p| {
            classify(
                PccFields::BothAddressesAndPorts,
                &FlowKey {
                    sport: 40000 + p,
                    ..k
                },
            ) % 2
        })
        .collect();
    assert_eq!(classes.len(), 2);
}

#[test]
fn the_hash_is_fixed() {
    // Stable across runs, workers and builds: these values are part of the behaviour (a
    // restart must not move connections between WANs).
    let k = FlowKey {
        src: 0xC0A8_0164,
        dst: 0x0808_0808,
        sport: 40000,
        dport: 443,
        proto: 6,
    };
    let a = classify(PccFields::BothAddressesAndPorts, &k);
    let b = classify(PccFields::SrcPort, &k);
    assert_eq!(a, classify(PccFields::BothAddressesAndPorts, &k));
    assert_eq!((a, b), (FIXED.0, FIXED.1), "got ({a:#x}, {b:#x})");
}

const FIXED: (u32, u32) = (0xd21e_0175, 0x6afe);
