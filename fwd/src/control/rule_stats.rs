//! The rules' counters as `print stats` shows them (`/ip/firewall/mangle`,
//! `/ip/firewall/nat`): the packets and bytes each item matched, summed over the workers,
//! which are asked over their command rings (see `stateful::rule_counters`).

use super::connections::ANSWER_TIMEOUT;
use super::Control;
use crate::firewall::{RuleSet, MANGLE, NAT};
use crate::stateful::{ItemCounts, RuleStats, WorkerCmd};
use std::sync::{mpsc, Arc};

/// Per menu (mangle, NAT), the counts at each item's last `reset-counters` (what `print
/// stats` subtracts), for the rules in force.
#[derive(Default)]
pub(super) struct RuleBase([ItemCounts; 2]);

/// The index of `menu`'s counters in [`RuleBase`].
fn slot(menu: &str) -> Option<usize> {
    match menu {
        MANGLE => Some(0),
        NAT => Some(1),
        _ => None,
    }
}

impl Control {
    /// Installs compiled rules. Rules that decide every packet as those in force do (a
    /// comment changed, or another menu) are not installed again, so that their counters go
    /// on; others get the next version, and their counters start from zero.
    pub(super) fn install_rules(&mut self, mut rules: RuleSet) {
        if rules.same_rules(&self.rules) && self.rules.version() > 0 {
            return;
        }
        rules.set_version(self.rules.version() + 1);
        self.rules = Arc::new(rules);
        self.rule_base = RuleBase::default();
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
            for (t, c) in total.iter_mut().zip(counts) {
                t[0] += c[0];
                t[1] += c[1];
            }
        }
        if let Some(base) = slot(menu).map(|i| &self.rule_base.0[i]) {
            for (t, b) in total.iter_mut().zip(base) {
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
        let Some(base) = slot(menu).map(|i| &mut self.rule_base.0[i]) else {
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
