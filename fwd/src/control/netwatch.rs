//! Netwatch in the control core: one [`Watch`] per enabled `/tool/netwatch` item, probed
//! with ICMP echo requests of its own identifier, and the item's up-script or down-script
//! run as scripts (`control::scripts`) when its status changes.
//!
//! A probe follows the main table to its host, unless the item names a `gateway`: then it
//! leaves through that gateway, on the port whose subnet holds it, whatever the routes say.

use super::scripts::Origin;
use super::Control;
use crate::netwatch::{format_time, Key, NetwatchItem, Status, StatusView, Watch};
use crate::rib::Target;
use std::net::Ipv4Addr;
use std::time::{Instant, SystemTime};

struct Slot {
    key: Key,
    item: NetwatchItem,
    watch: Watch,
    ident: u16,
}

#[derive(Default)]
pub(super) struct Netwatches {
    slots: Vec<Slot>,
    next_ident: u16,
}

/// Echo identifiers of Netwatch probes start here ("NW"); replies are matched on them.
const IDENT_BASE: u16 = 0x4E57;

impl Netwatches {
    /// Watches the enabled items: an item whose host, source and gateway are unchanged keeps
    /// its status and counters; the others start afresh.
    pub(super) fn follow(&mut self, items: &[NetwatchItem], now: Instant) {
        let mut old = std::mem::take(&mut self.slots);
        for it in items.iter().filter(|i| !i.disabled) {
            let Some(key) = it.key() else { continue };
            if self.slots.iter().any(|s| s.key == key) {
                continue;
            }
            let slot = match old.iter().position(|s| s.key == key) {
                Some(i) => {
                    let mut s = old.swap_remove(i);
                    s.watch.update(it);
                    s.item = it.clone();
                    s
                }
                None => {
                    let ident = IDENT_BASE.wrapping_add(self.next_ident);
                    self.next_ident = self.next_ident.wrapping_add(1);
                    Slot {
                        key,
                        item: it.clone(),
                        watch: Watch::new(it, now),
                        ident,
                    }
                }
            };
            self.slots.push(slot);
        }
    }

    pub(super) fn echo_reply(&mut self, ident: u16, seq: u16, now: Instant) -> bool {
        match self.slots.iter_mut().find(|s| s.ident == ident) {
            Some(s) => {
                s.watch.reply(seq, now);
                true
            }
            None => false,
        }
    }

    /// What `print` shows for `item`, if it is watched.
    pub(super) fn status(&self, item: &NetwatchItem) -> Option<StatusView> {
        let key = item.key()?;
        let s = self.slots.iter().find(|s| s.key == key)?;
        let status = s.watch.status();
        let since = if status == Status::Unknown {
            String::new()
        } else {
            let ago = Instant::now().saturating_duration_since(s.watch.since());
            format_time(SystemTime::now() - ago)
        };
        Some(StatusView {
            status,
            since,
            done_tests: s.watch.done_tests(),
            failed_tests: s.watch.failed_tests(),
        })
    }

    /// Each watched host and whether it is up (for metrics).
    pub(super) fn states(&self) -> impl Iterator<Item = (Ipv4Addr, Status)> + '_ {
        self.slots.iter().map(|s| (s.key.host, s.watch.status()))
    }
}

impl Control {
    /// Re-reads `/tool/netwatch` from the model.
    pub(super) fn follow_netwatch(&mut self, now: Instant) {
        self.netwatch.follow(&self.model.netwatch, now);
    }

    /// Sends the Netwatch probes that are due and runs the scripts of status changes.
    pub(super) fn run_netwatch(&mut self, now: Instant) {
        let mut due = Vec::new();
        let mut scripts = Vec::new();
        for s in self.netwatch.slots.iter_mut() {
            if let Some(seq) = s.watch.poll(now) {
                due.push((s.key, s.ident, seq));
            }
            if let Some(status) = s.watch.take_change() {
                log::warn!("netwatch: {} is now {}", s.key.host, status.name());
                let script = match status {
                    Status::Up => &s.item.up_script,
                    Status::Down => &s.item.down_script,
                    Status::Unknown => continue,
                };
                if !script.trim().is_empty() {
                    scripts.push((s.key.host, status, script.clone()));
                }
            }
        }
        for (key, ident, seq) in due {
            self.send_netwatch_probe(key, ident, seq);
        }
        for (host, status, script) in scripts {
            let origin = Origin::Netwatch { host, status };
            if let Some(answer) = self.start_script(&script, false, origin.clone()) {
                self.script_ended(origin, answer);
            }
        }
    }

    fn send_netwatch_probe(&mut self, key: Key, ident: u16, seq: u16) {
        let host = u32::from(key.host);
        let target = match key.gateway {
            // Pinned: out of the port whose subnet holds the gateway, to the gateway.
            Some(gw) => self
                .ports
                .iter()
                .position(|p| p.enabled && p.on_link(gw))
                .map(|p| Target::Gateway(p as u16, u32::from(gw))),
            // By main, or by the table the mangle output chain marks it for.
            None => {
                let table = self.output_table(0, host, key.src, ident);
                self.route_in(table, host).or_else(|| self.route_of(host))
            }
        };
        match target {
            Some(Target::Gateway(port, nh)) => {
                self.send_echo_from(port, nh, host, key.src, ident, seq)
            }
            Some(Target::Connected(port)) => {
                self.send_echo_from(port, host, host, key.src, ident, seq)
            }
            // No route, or our own address: the probe fails, which is the truth.
            _ => {}
        }
    }

    /// Where the main table sends `addr` now.
    fn route_of(&self, addr: u32) -> Option<Target> {
        self.route_in(0, addr)
    }

    /// Where routing table `table` (an index of `Rib::tables`) sends `addr` now: the first
    /// target of the selection in force, through fallbacks.
    pub(super) fn route_in(&self, table: usize, addr: u32) -> Option<Target> {
        let mut class = self.fibs.get(table)?.lookup(addr)?;
        for _ in 0..=self.rib.classes.len() {
            let c = self.rib.classes.get(class as usize)?;
            if let Some(t) = self
                .sel
                .get(c.pathlist as usize)
                .and_then(|s| s.targets.first())
            {
                return Some(*t);
            }
            class = c.fallback? as _;
        }
        None
    }

    /// The status of a `/tool/netwatch` item.
    pub fn netwatch_status(&self, item: &NetwatchItem) -> Option<StatusView> {
        self.netwatch.status(item)
    }

    /// Each watched host and its status.
    pub fn netwatch_states(&self) -> Vec<(Ipv4Addr, Status)> {
        self.netwatch.states().collect()
    }

    pub(super) fn netwatch_echo_reply(&mut self, ident: u16, seq: u16) -> bool {
        self.netwatch.echo_reply(ident, seq, Instant::now())
    }
}
