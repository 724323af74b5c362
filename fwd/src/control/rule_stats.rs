//! The rules' counters as `print stats` shows them (`/ip/firewall/mangle`,
//! `/ip/firewall/nat`): the packets and bytes each item matched, summed over the workers,
//! which are asked over their command rings (see `stateful::rule_counters`), and the
//! router's own packets the mangle output chain saw (counted here, `control::output`).

use super::connections::ANSWER_TIMEOUT;
use super::Control;
use crate::firewall::{Item, MangleItem, NatItem, RuleSet, MANGLE, NAT};
use crate::metrics::RuleLabels;
use crate::stateful::{ItemCounts, RuleStats, WorkerCmd};
use std::collections::HashMap;
use std::sync::{mpsc, Arc};

/// Per menu (mangle, NAT) and item in force, what `print stats` adds to the workers' counts
/// and what it takes from them.
#[derive(Default)]
pub(super) struct RuleBase {
    /// What the item counted under earlier rules, unchanged in them: the workers' counts
    /// start over with each new version of the rules, an item's own go on as in RouterOS.
    carried: [ItemCounts; 2],
    /// The counts at the item's last `reset-counters`.
    reset: [ItemCounts; 2],
    /// What the mangle items matched of the router's own packets (the output chain's echo
    /// requests, `control::output`), which the control core counts itself.
    pub(super) own: ItemCounts,
}

/// The index of `menu`'s counters in [`RuleBase`].
fn slot(menu: &str) -> Option<usize> {
    match menu {
        MANGLE => Some(0),
        NAT => Some(1),
        _ => None,
    }
}

impl Control {
    /// Installs compiled rules, those of the model's items; `before` are the items of the
    /// rules in force. Rules that decide every packet as those in force do (a comment
    /// changed, or another menu) are not installed again, so that their counters go on;
    /// others get the next version. An item found unchanged in `before` (the first equal one
    /// not taken yet, wherever it was: a moved rule keeps its counts) keeps what it
    /// counted; an added or changed one starts from zero. What the workers count between
    /// the last read of the old counts and their next round is not carried.
    pub(super) fn install_rules(&mut self, mut rules: RuleSet, before: Before) {
        if rules.same_rules(&self.rules) && self.rules.version() > 0 {
            return;
        }
        let carried = if self.rules.version() > 0 {
            [
                carry(before.mangle, &self.rule_counts(MANGLE), &self.model.mangle),
                carry(before.nat, &self.rule_counts(NAT), &self.model.nat),
            ]
        } else {
            Default::default()
        };
        rules.set_version(self.rules.version() + 1);
        self.rules = Arc::new(rules);
        self.rule_base = RuleBase {
            carried,
            ..Default::default()
        };
    }

    /// Per item of `menu` (mangle or NAT) in force, the packets and bytes it matched since
    /// the rules were installed, or since its `reset-counters`. A worker that does not
    /// answer in time, or still runs older rules, is left out (and logged).
    pub(super) fn rule_counts(&self, menu: &str) -> ItemCounts {
        let version = self.rules.version();
        let len = match menu {
            MANGLE => self.rules.mangle_len(),
            NAT => self.rules.nat_len(),
            _ => return Vec::new(),
        };
        let mut total = vec![[0u64; 2]; len];
        for (w, ring) in self.cmds.iter().enumerate() {
            let (tx, rx) = mpsc::sync_channel::<RuleStats>(1);
            if ring.push(WorkerCmd::RuleStats { reply: tx }).is_err() {
                log::warn!("worker {w}: command ring full, its rule counters left out");
                continue;
            }
            let stats = match rx.recv_timeout(ANSWER_TIMEOUT) {
                Ok(s) if s.version == version => s,
                // It takes the new rules at its next round: nothing counted yet.
                Ok(_) => continue,
                Err(_) => {
                    log::warn!("worker {w} did not answer in time: its rule counters left out");
                    continue;
                }
            };
            let counts = if menu == MANGLE {
                stats.mangle
            } else {
                stats.nat
            };
            add(&mut total, &counts);
        }
        if menu == MANGLE {
            add(&mut total, &self.rule_base.own);
        }
        if let Some(i) = slot(menu) {
            add(&mut total, &self.rule_base.carried[i]);
            for (t, b) in total.iter_mut().zip(&self.rule_base.reset[i]) {
                t[0] = t[0].saturating_sub(b[0]);
                t[1] = t[1].saturating_sub(b[1]);
            }
        }
        total
    }

    /// `reset-counters` of these items (by number) of `menu`: `print stats` counts them
    /// from now on.
    pub(super) fn reset_rule_counters(&mut self, menu: &str, items: &[u64]) {
        let now = self.rule_counts(menu);
        let Some(base) = slot(menu).map(|i| &mut self.rule_base.reset[i]) else {
            return;
        };
        base.resize(now.len(), [0; 2]);
        for &i in items {
            let i = i as usize;
            if let (Some(b), Some(n)) = (base.get_mut(i), now.get(i)) {
                // `now` is net of the old base.
                b[0] += n[0];
                b[1] += n[1];
            }
        }
    }
}

/// Adds `counts` to `total`, item by item.
fn add(total: &mut [[u64; 2]], counts: &[[u64; 2]]) {
    for (t, c) in total.iter_mut().zip(counts) {
        t[0] += c[0];
        t[1] += c[1];
    }
}

/// The items of the rules in force before a change (see [`Control::install_rules`]).
#[derive(Clone, Copy, Default)]
pub(super) struct Before<'a> {
    pub mangle: &'a [MangleItem],
    pub nat: &'a [NatItem],
}

/// Per item of `new`, the counts of the same item in `old` (`counts` per item of `old`):
/// each new item takes the first equal old one not taken yet; one without is at zero.
fn carry<T: PartialEq>(old: &[T], counts: &ItemCounts, new: &[T]) -> ItemCounts {
    let mut taken = vec![false; old.len()];
    new.iter()
        .map(|it| {
            let i = (0..old.len()).find(|&i| !taken[i] && old[i] == *it)?;
            taken[i] = true;
            counts.get(i).copied()
        })
        .map(Option::unwrap_or_default)
        .collect()
}

/// The rules' Prometheus series: asked of the workers once a second without waiting (the
/// answers are collected at the next sample, so a stuck worker never holds the control core
/// up), and kept monotonic across rule changes.
#[derive(Default)]
pub(super) struct RuleMetrics {
    /// Per worker, the request sent at the last sample.
    pending: Vec<Option<mpsc::Receiver<RuleStats>>>,
    /// Per worker, its last answer (kept while it does not answer).
    latest: Vec<Option<RuleStats>>,
    totals: MonotonicTotals,
}

/// Per series, totals that never go back although the rules' own counts start over with
/// each new version of the rules.
#[derive(Default)]
struct MonotonicTotals {
    /// The version the `current` counts are for.
    version: u64,
    /// What earlier versions counted, per series.
    carried: HashMap<RuleLabels, [u64; 2]>,
    /// The highest counts seen for the current version, per series.
    current: HashMap<RuleLabels, [u64; 2]>,
}

impl MonotonicTotals {
    /// The totals of `series` (counts of rules of `version`) since start.
    fn fold(
        &mut self,
        version: u64,
        series: Vec<(RuleLabels, [u64; 2])>,
    ) -> Vec<(RuleLabels, [u64; 2])> {
        if version != self.version {
            for (k, v) in self.current.drain() {
                let c = self.carried.entry(k).or_default();
                c[0] += v[0];
                c[1] += v[1];
            }
            self.version = version;
        }
        series
            .into_iter()
            .map(|(k, v)| {
                let cur = self.current.entry(k.clone()).or_default();
                // A worker's answer missing for a while must not make a series go back.
                *cur = [cur[0].max(v[0]), cur[1].max(v[1])];
                let base = self.carried.get(&k).copied().unwrap_or_default();
                let total = [base[0] + cur[0], base[1] + cur[1]];
                (k, total)
            })
            .collect()
    }
}

impl Control {
    /// The rules' series for this metrics sample (see [`RuleMetrics`]).
    pub(super) fn rule_series(&mut self) -> Vec<(RuleLabels, [u64; 2])> {
        let m = &mut self.rule_metrics;
        let n = self.cmds.len();
        m.pending.resize_with(n, || None);
        m.latest.resize_with(n, || None);
        for (w, ring) in self.cmds.iter().enumerate() {
            if let Some(rx) = &m.pending[w] {
                match rx.try_recv() {
                    Ok(s) => m.latest[w] = Some(s),
                    // Not answered yet: asked again below only once it has.
                    Err(mpsc::TryRecvError::Empty) => continue,
                    Err(mpsc::TryRecvError::Disconnected) => {}
                }
            }
            let (tx, rx) = mpsc::sync_channel(1);
            m.pending[w] = ring
                .push(WorkerCmd::RuleStats { reply: tx })
                .is_ok()
                .then_some(rx);
        }
        let version = self.rules.version();
        let own = &self.rule_base.own;
        let mut series = Vec::new();
        for (table, items) in [
            ("mangle", labels(&self.model.mangle)),
            ("nat", labels(&self.model.nat)),
        ] {
            for (rule, (chain, action, comment)) in items.into_iter().enumerate() {
                let mut v = match own.get(rule) {
                    Some(c) if table == "mangle" => *c,
                    _ => [0u64; 2],
                };
                for s in m.latest.iter().flatten().filter(|s| s.version == version) {
                    let counts = if table == "mangle" { &s.mangle } else { &s.nat };
                    if let Some(c) = counts.get(rule) {
                        v[0] += c[0];
                        v[1] += c[1];
                    }
                }
                let l = RuleLabels {
                    table,
                    rule,
                    chain,
                    action,
                    comment,
                };
                series.push((l, v));
            }
        }
        m.totals.fold(version, series)
    }
}

/// Each item's chain, action and comment.
fn labels<T: Item>(items: &[T]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|it| {
            let props = it.properties();
            let get = |k: &str| {
                props
                    .iter()
                    .find(|p| p.0 == k)
                    .map_or_else(String::new, |p| p.1.clone())
            };
            (get("chain"), get("action"), get("comment"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(rule: usize, comment: &str) -> RuleLabels {
        RuleLabels {
            table: "mangle",
            rule,
            chain: "prerouting".into(),
            action: "mark-routing".into(),
            comment: comment.into(),
        }
    }

    /// Unchanged items keep their counts wherever they moved, duplicates pair in order, a
    /// changed or added item starts from zero.
    #[test]
    fn unchanged_items_carry_their_counts_to_new_rules() {
        let old = ["a", "b", "c", "b"];
        let counts = vec![[1, 10], [2, 20], [3, 30], [4, 40]];
        // c moved to the top, the first b changed to x, d added, a kept.
        let new = ["c", "a", "x", "b", "d"];
        let got = carry(&old, &counts, &new);
        assert_eq!(got, [[3, 30], [1, 10], [0, 0], [2, 20], [0, 0]]);
        // Two equal items keep the two counts in their order.
        assert_eq!(carry(&old, &counts, &["b", "b"]), [[2, 20], [4, 40]]);
        // Counts missing (a worker left out): zero, not a panic.
        assert_eq!(carry(&old, &vec![[1, 10]], &["c", "a"]), [[0, 0], [1, 10]]);
        assert!(carry(&old, &counts, &[] as &[&str]).is_empty());
    }

    #[test]
    fn series_never_go_back_across_rule_changes() {
        let mut t = MonotonicTotals::default();
        let out = t.fold(1, vec![(l(0, "a"), [10, 600]), (l(1, "b"), [5, 300])]);
        assert_eq!(out, [(l(0, "a"), [10, 600]), (l(1, "b"), [5, 300])]);
        // A worker's answer missing: the lower sum is not shown.
        let out = t.fold(1, vec![(l(0, "a"), [4, 240]), (l(1, "b"), [6, 360])]);
        assert_eq!(out, [(l(0, "a"), [10, 600]), (l(1, "b"), [6, 360])]);
        // New rules: counts start over; a series the new rules keep goes on from its total,
        // a new one starts from zero.
        let out = t.fold(2, vec![(l(0, "a"), [1, 60]), (l(1, "c"), [2, 120])]);
        assert_eq!(out, [(l(0, "a"), [11, 660]), (l(1, "c"), [2, 120])]);
        // And back to a label set seen two versions ago.
        let out = t.fold(3, vec![(l(1, "b"), [1, 60])]);
        assert_eq!(out, [(l(1, "b"), [7, 420])]);
    }
}
