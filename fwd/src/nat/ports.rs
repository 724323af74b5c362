//! The choice of a translated port (or ICMP echo id): the ranges NAT may translate to, which
//! worker owns which port, and the picks.
//!
//! Where the device has no RSS that steers replies by their ports, the reply to a translated
//! connection is owned by its destination port alone ([`port_owner`]): the reply does not
//! say which rule translated it, so that ownership cannot depend on a rule's `to-ports`. A
//! worker therefore translates only to the ports it owns, within whatever range the rule
//! gives ([`pick_port_owned`]).

/// An inclusive range of ports (or ICMP echo ids) that NAT may translate to, such as a
/// rule's `to-ports`, e.g. `PortRange { first: 1024, last: 65535 }`. A range whose
/// `first` is above its `last` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Every port, 0 excepted.
    pub const ALL: PortRange = PortRange {
        first: 1,
        last: u16::MAX,
    };

    /// The ports above the well-known ones: what several workers translate to by default.
    pub const UNPRIVILEGED: PortRange = PortRange {
        first: 1024,
        last: u16::MAX,
    };

    #[inline]
    pub const fn new(first: u16, last: u16) -> PortRange {
        PortRange { first, last }
    }

    /// How many ports the range holds (up to 65536).
    #[inline]
    pub const fn len(&self) -> u32 {
        if self.first > self.last {
            0
        } else {
            self.last as u32 - self.first as u32 + 1
        }
    }

    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.first > self.last
    }

    #[inline]
    pub const fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

/// A cheap, well-spread hash of a 32-bit value (the finaliser of MurmurHash3).
#[inline]
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^ (x >> 16)
}

/// Chooses the port (or ICMP echo id) to translate a new connection to.
///
/// Returns `preferred` when it lies in `range` and `is_free` says it is free: as RouterOS,
/// masquerade keeps the original source port when it can. Otherwise probes the ports of
/// `range` one after another (wrapping around), starting at a position derived from `salt`
/// (hash the flow key, or a per-worker counter, into it), each port at most once and at most
/// `max_tries` of them, and returns the first one that `is_free` accepts; `None` when none did
/// (the range is exhausted, or the tries ran out). Every answer lies in `range`. `is_free` is
/// called at most `max_tries + 1` times; it may also reject ports for other reasons than being
/// taken (for example a port whose reply would hash to another worker's RSS queue).
#[inline]
pub fn pick_port(
    preferred: u16,
    range: PortRange,
    salt: u32,
    is_free: impl FnMut(u16) -> bool,
    max_tries: usize,
) -> Option<u16> {
    pick_port_owned(preferred, range, PortShare::WHOLE, salt, is_free, max_tries)
}

/// The worker of `workers` that owns `port` where replies are owned by port: `port` modulo
/// `workers`. Interleaved rather than cut in blocks, so that a `to-ports` range of at least
/// `workers` ports holds ports of every worker, however small and wherever it lies.
#[inline]
pub const fn port_owner(port: u16, workers: usize) -> usize {
    if workers <= 1 {
        0
    } else {
        port as usize % workers
    }
}

/// The ports that worker `worker` of `workers` owns by [`port_owner`]: every `workers`-th.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortShare {
    pub worker: usize,
    pub workers: usize,
}

impl PortShare {
    /// A single worker's: every port.
    pub const WHOLE: PortShare = PortShare {
        worker: 0,
        workers: 1,
    };

    #[inline]
    pub const fn owns(&self, port: u16) -> bool {
        port_owner(port, self.workers) == self.worker
    }

    /// The ports of `range` in this share: the first one and how many (each `workers` after
    /// the one before); `(0, 0)` when the share holds none of them (a range of fewer ports
    /// than workers, or a worker index out of bounds).
    #[inline]
    pub const fn within(&self, range: PortRange) -> (u16, u32) {
        let n = if self.workers <= 1 {
            1
        } else {
            self.workers as u64
        };
        if range.is_empty() || self.worker as u64 >= n {
            return (0, 0);
        }
        let (first, last) = (range.first as u64, range.last as u64);
        let p0 = first + (self.worker as u64 + n - first % n) % n;
        if p0 > last {
            (0, 0)
        } else {
            (p0 as u16, ((last - p0) / n + 1) as u32)
        }
    }
}

/// Chooses a port as [`pick_port`] does, among the ports of `range` that `share` owns: keeps
/// `preferred` when it lies in `range`, `share` owns it and it is free; otherwise probes the
/// share's ports of `range` one after another (wrapping around) from a position derived from
/// `salt`, each at most once and at most `max_tries` of them. `None` when none was free, or
/// when `share` holds no port of `range` (then `is_free` is not asked about any).
#[inline]
pub fn pick_port_owned(
    preferred: u16,
    range: PortRange,
    share: PortShare,
    salt: u32,
    mut is_free: impl FnMut(u16) -> bool,
    max_tries: usize,
) -> Option<u16> {
    if range.contains(preferred) && share.owns(preferred) && is_free(preferred) {
        return Some(preferred);
    }
    let (first, n) = share.within(range);
    let step = share.workers.max(1) as u32;
    // Multiply-shift maps the hash onto 0..n without a division (Lemire's reduction).
    let mut offset = ((u64::from(mix(salt)) * u64::from(n)) >> 32) as u32;
    let tries = max_tries.min(n as usize);
    for _ in 0..tries {
        let port = (u32::from(first) + offset * step) as u16;
        if is_free(port) {
            return Some(port);
        }
        offset += 1;
        if offset == n {
            offset = 0;
        }
    }
    None
}

/// Chooses a port as [`pick_port`] does, but only among the ports that `fits` accepts: a
/// cheap test, such as "the NIC steers this port's reply to this worker's queue", that
/// rejects most ports without the cost of `is_free` (a table lookup).
///
/// Keeps `preferred` when it lies in `range`, fits and is free. Otherwise walks the ports of
/// `range` from a position derived from `salt`, at most `max_walk` of them, and asks
/// `is_free` about those that fit, at most `max_tries` times; `None` when nothing came of it.
#[inline]
pub fn pick_port_fitting(
    preferred: u16,
    range: PortRange,
    salt: u32,
    fits: impl Fn(u16) -> bool,
    mut is_free: impl FnMut(u16) -> bool,
    max_tries: usize,
    max_walk: usize,
) -> Option<u16> {
    if range.contains(preferred) && fits(preferred) && is_free(preferred) {
        return Some(preferred);
    }
    let n = range.len();
    let mut offset = ((u64::from(mix(salt)) * u64::from(n)) >> 32) as u32;
    let mut tries = 0;
    for _ in 0..max_walk.min(n as usize) {
        let port = (u32::from(range.first) + offset) as u16;
        if fits(port) {
            if is_free(port) {
                return Some(port);
            }
            tries += 1;
            if tries >= max_tries {
                return None;
            }
        }
        offset += 1;
        if offset == n {
            offset = 0;
        }
    }
    None
}
