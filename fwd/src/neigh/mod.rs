//! The neighbour (ARP) table, owned by the control core: static entries from `/ip/arp`,
//! entries learned from ARP, and the bounded hold queue of packets waiting for a resolution.
//!
//! Generic over the held packet type so that it is tested without DPDK. Time is passed in,
//! so the behaviour is a deterministic function of the events.

use crate::fib::{Neighbour, Neighbours};
use crate::net::MacAddr;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Packets held per unresolved neighbour (Linux's default unres_qlen is similar in spirit).
pub const HOLD_PER_NEIGHBOUR: usize = 4;
/// Unresolved neighbours tracked at once; beyond that new ones are refused.
pub const MAX_INCOMPLETE: usize = 256;
/// ARP requests are sent at most this often per neighbour.
pub const REQUEST_INTERVAL: Duration = Duration::from_secs(1);
/// Requests before giving up on a neighbour (and dropping what it held).
pub const MAX_REQUESTS: u32 = 3;
/// A learned entry is re-requested after this long without news...
pub const REFRESH_AFTER: Duration = Duration::from_secs(240);
/// ...and forgotten after this long.
pub const EXPIRE_AFTER: Duration = Duration::from_secs(300);

#[derive(Debug)]
enum State<T> {
    Static,
    Reachable {
        updated: Instant,
        refreshing: Option<Instant>,
    },
    Incomplete {
        requests: u32,
        last_request: Instant,
        held: VecDeque<T>,
    },
}

#[derive(Debug)]
struct Entry<T> {
    port: u16,
    mac: MacAddr,
    state: State<T>,
}

/// What to do after offering a packet to the hold queue.
#[derive(Debug, PartialEq)]
pub enum Hold<T> {
    /// Held; also send an ARP request now for this (port, address).
    HeldSendRequest,
    /// Held; a request went out recently.
    Held,
    /// Not held (queue or table full): drop it.
    Refused(T),
    /// The neighbour is known after all (the worker's snapshot was older): send it.
    Known(Neighbour, T),
}

/// Timer work: requests to send, packets given up on, whether the published table changed.
#[derive(Debug)]
pub struct Tick<T> {
    pub requests: Vec<(u16, u32)>,
    pub dropped: Vec<T>,
    pub changed: bool,
}

#[derive(Debug)]
pub struct Table<T> {
    entries: HashMap<u32, Entry<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            entries: HashMap::new(),
        }
    }
}

impl<T> Table<T> {
    /// A permanent entry (`/ip/arp`); learning never overrides it.
    pub fn add_static(&mut self, addr: u32, port: u16, mac: MacAddr) {
        self.entries.insert(
            addr,
            Entry {
                port,
                mac,
                state: State::Static,
            },
        );
    }

    /// Records that `addr` is at `mac` on `port`. Returns whether the published table changes
    /// and the packets that were waiting for it.
    pub fn learn(&mut self, addr: u32, port: u16, mac: MacAddr, now: Instant) -> (bool, Vec<T>) {
        let fresh = State::Reachable {
            updated: now,
            refreshing: None,
        };
        match self.entries.get_mut(&addr) {
            Some(Entry {
                state: State::Static,
                ..
            }) => (false, Vec::new()),
            Some(e) => {
                let changed =
                    matches!(e.state, State::Incomplete { .. }) || e.mac != mac || e.port != port;
                let old = std::mem::replace(&mut e.state, fresh);
                e.mac = mac;
                e.port = port;
                let held = match old {
                    State::Incomplete { held, .. } => held.into_iter().collect(),
                    _ => Vec::new(),
                };
                (changed, held)
            }
            None => {
                self.entries.insert(
                    addr,
                    Entry {
                        port,
                        mac,
                        state: fresh,
                    },
                );
                (true, Vec::new())
            }
        }
    }

    /// Whether an ARP from `addr` should update the table although nobody asked: only when
    /// it is already known or being resolved (RFC 826's merge rule, which keeps strangers
    /// from filling the table).
    pub fn knows(&self, addr: u32) -> bool {
        self.entries.contains_key(&addr)
    }

    pub fn resolve(&self, addr: u32) -> Option<Neighbour> {
        match self.entries.get(&addr) {
            Some(Entry {
                state: State::Incomplete { .. },
                ..
            })
            | None => None,
            Some(e) => Some(Neighbour {
                port: e.port,
                mac: e.mac,
            }),
        }
    }

    /// Offers a packet waiting for `addr` on `port`.
    pub fn hold(&mut self, addr: u32, port: u16, pkt: T, now: Instant) -> Hold<T> {
        let incomplete = self
            .entries
            .values()
            .filter(|e| matches!(e.state, State::Incomplete { .. }))
            .count();
        match self.entries.get_mut(&addr) {
            Some(e) => match &mut e.state {
                State::Incomplete {
                    requests,
                    last_request,
                    held,
                } => {
                    if held.len() >= HOLD_PER_NEIGHBOUR {
                        return Hold::Refused(pkt);
                    }
                    held.push_back(pkt);
                    if now.duration_since(*last_request) >= REQUEST_INTERVAL
                        && *requests < MAX_REQUESTS
                    {
                        *requests += 1;
                        *last_request = now;
                        Hold::HeldSendRequest
                    } else {
                        Hold::Held
                    }
                }
                _ => Hold::Known(
                    Neighbour {
                        port: e.port,
                        mac: e.mac,
                    },
                    pkt,
                ),
            },
            None => {
                if incomplete >= MAX_INCOMPLETE {
                    return Hold::Refused(pkt);
                }
                self.entries.insert(
                    addr,
                    Entry {
                        port,
                        mac: MacAddr::ZERO,
                        state: State::Incomplete {
                            requests: 1,
                            last_request: now,
                            held: VecDeque::from([pkt]),
                        },
                    },
                );
                Hold::HeldSendRequest
            }
        }
    }

    /// Starts resolving `addr` ahead of traffic (a gateway of a route). Returns whether a
    /// request should be sent now.
    pub fn solicit(&mut self, addr: u32, port: u16, now: Instant) -> bool {
        if self.entries.contains_key(&addr) {
            return false;
        }
        self.entries.insert(
            addr,
            Entry {
                port,
                mac: MacAddr::ZERO,
                state: State::Incomplete {
                    requests: 1,
                    last_request: now,
                    held: VecDeque::new(),
                },
            },
        );
        true
    }

    /// Timers: retries, give-ups, refreshes and expiry.
    pub fn tick(&mut self, now: Instant) -> Tick<T> {
        let mut t = Tick {
            requests: Vec::new(),
            dropped: Vec::new(),
            changed: false,
        };
        let mut remove = Vec::new();
        for (&addr, e) in self.entries.iter_mut() {
            match &mut e.state {
                State::Static => {}
                State::Incomplete {
                    requests,
                    last_request,
                    held,
                } => {
                    if now.duration_since(*last_request) < REQUEST_INTERVAL {
                        continue;
                    }
                    if *requests >= MAX_REQUESTS {
                        t.dropped.extend(held.drain(..));
                        remove.push(addr);
                    } else {
                        *requests += 1;
                        *last_request = now;
                        t.requests.push((e.port, addr));
                    }
                }
                State::Reachable {
                    updated,
                    refreshing,
                } => {
                    let age = now.duration_since(*updated);
                    if age >= EXPIRE_AFTER {
                        remove.push(addr);
                        t.changed = true;
                    } else if age >= REFRESH_AFTER
                        && refreshing.is_none_or(|r| now.duration_since(r) >= REQUEST_INTERVAL * 10)
                    {
                        *refreshing = Some(now);
                        t.requests.push((e.port, addr));
                    }
                }
            }
        }
        for a in remove {
            self.entries.remove(&a);
        }
        t
    }

    /// Forgets every learned entry on `port` (its link went down or its address changed).
    pub fn flush_port(&mut self, port: u16) -> Vec<T> {
        self.flush_port_where(port, |_| true)
    }

    /// Forgets the learned entries on `port` whose address `forget` picks; returns the
    /// packets that were waiting for them.
    pub fn flush_port_where(&mut self, port: u16, forget: impl Fn(u32) -> bool) -> Vec<T> {
        let mut dropped = Vec::new();
        self.entries.retain(|a, e| {
            if e.port != port || matches!(e.state, State::Static) || !forget(*a) {
                return true;
            }
            if let State::Incomplete { held, .. } = &mut e.state {
                dropped.extend(held.drain(..));
            }
            false
        });
        dropped
    }

    /// Forgets what was learned about `addr` (`/routing/nexthop flush`), so that it is
    /// resolved again; static entries and resolutions in progress stay. Whether it was known.
    pub fn forget(&mut self, addr: u32) -> bool {
        let learned = self
            .entries
            .get(&addr)
            .is_some_and(|e| matches!(e.state, State::Reachable { .. }));
        if learned {
            self.entries.remove(&addr);
        }
        learned
    }

    /// The resolved entries, as the workers' snapshot holds them.
    pub fn published(&self) -> Neighbours {
        self.entries
            .iter()
            .filter(|(_, e)| !matches!(e.state, State::Incomplete { .. }))
            .map(|(a, e)| {
                (
                    *a,
                    Neighbour {
                        port: e.port,
                        mac: e.mac,
                    },
                )
            })
            .collect()
    }

    /// Every entry, for `/ip/arp print`: (address, port, mac, static?, complete?).
    pub fn entries(&self) -> impl Iterator<Item = (u32, u16, MacAddr, bool, bool)> + '_ {
        self.entries.iter().map(|(a, e)| {
            (
                *a,
                e.port,
                e.mac,
                matches!(e.state, State::Static),
                !matches!(e.state, State::Incomplete { .. }),
            )
        })
    }
}

#[cfg(test)]
mod tests;
