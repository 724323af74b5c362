//! The longest-prefix-match table that the workers read for every packet.
//!
//! A DIR-16-8-8 multibit trie: DPDK's `rte_lpm` (DIR-24-8, after Gupta, Lin and McKeown,
//! "Routing lookups in hardware at memory access speeds", 1998) with a 2^16 first level instead
//! of 2^24, so that an empty table costs 256 KiB rather than 64 MB and the control core can keep
//! several copies alive while read-copy-update retires the old ones.
//!
//! - Level 1 has 65536 entries, indexed by the top 16 bits of the destination.
//! - A level-2 group has 256 entries, indexed by the third byte; a level-3 group, by the fourth.
//!
//! Every entry is a `u32`: a value (a nexthop index, below 2^31), a reference to a group (bit 31
//! set), or `EMPTY` (no route). Prefixes that end inside a level are widened to its boundary
//! ("controlled prefix expansion", Srinivasan and Varghese, 1999), so a lookup is one to three
//! dependent loads and never walks a list of prefixes. A group exists only under a /16 (or /24)
//! that holds a longer prefix; its other slots carry the value of the prefix covering it, as
//! `rte_lpm` copies the tbl24 entry into a fresh tbl8 group.
//!
//! The table is immutable: the control core rebuilds it from the whole route list whenever that
//! list changes and publishes the new one behind an `Arc`. Building paints prefixes from the
//! shortest to the longest, so a longer prefix simply overwrites the expansion of every shorter
//! one it nests in; no per-entry depth has to be kept, unlike `rte_lpm`'s incremental
//! `add`/`delete`, which must not overwrite a deeper route with a shallower one.
//!
//! Memory is 256 KiB for level 1 plus 1 KiB per group. Measured with [`Lpm::memory_bytes`] in
//! this module's tests: 262 144 bytes for an empty table; 268 288 (six groups) for the ten
//! routes of `ten_routes`; 47 711 232 (45.5 MiB, 46 337 groups) for 100 000 routes with the
//! length mix of a BGP table (mostly /24s) scattered at random over the unicast space, which is
//! the worst case per route: nearly every route longer than /16 lands in a /16 of its own and
//! gets a group. A multi-WAN edge router's table — tens to hundreds of routes — stays under
//! 1 MiB. A full Internet table would want compressed groups (Poptrie, DXR) instead.

use std::fmt;

use crate::net::{mask, Ipv4Prefix};

/// Set in an entry that refers to a group; clear in a value.
const GROUP: u32 = 1 << 31;

/// No route. It has the group bit set so that every value below 2^31 stays usable, and no group
/// ever gets index 2^31 - 1: that would take 2 TiB of groups.
const EMPTY: u32 = u32::MAX;

const L1_ENTRIES: usize = 1 << 16;

type Group = [u32; 256];

#[inline(always)]
fn is_group(entry: u32) -> bool {
    // One compare for "bit 31 set and not EMPTY": references lie in GROUP..EMPTY.
    entry.wrapping_sub(GROUP) < EMPTY - GROUP
}

#[inline(always)]
fn group_index(entry: u32) -> usize {
    (entry & !GROUP) as usize
}

/// An [`Lpm`] with its level 1 taken out ([`Lpm::level1`]): the same lookups.
#[derive(Clone, Copy)]
pub struct Level1<'a> {
    l1: &'a [u32; L1_ENTRIES],
    lpm: &'a Lpm,
}

impl Level1<'_> {
    /// [`Lpm::lookup`].
    #[inline(always)]
    pub fn lookup(self, addr: u32) -> Option<u32> {
        let entry = self.l1[(addr >> 16) as usize];
        // A value at level 1 (the default route, anything /16 or shorter): one test.
        if entry & GROUP == 0 {
            return Some(entry);
        }
        self.lpm.lookup_below(entry, addr)
    }
}

/// An immutable longest-prefix-match table from IPv4 prefixes to values below 2^31.
#[derive(Clone)]
pub struct Lpm {
    /// A fixed-size array, so that indexing by `addr >> 16` needs no bounds check.
    l1: Box<[u32; L1_ENTRIES]>,
    /// Level-2 and level-3 groups together: one allocation, one index space.
    groups: Vec<Group>,
    prefixes: usize,
}

impl Lpm {
    /// Builds the table from a route list. When a prefix appears more than once, the last
    /// value wins.
    ///
    /// # Panics
    ///
    /// If a value is 2^31 or more: the top bit of an entry marks a group.
    pub fn build(routes: &[(Ipv4Prefix, u32)]) -> Lpm {
        let mut sorted: Vec<(u8, u32, u32)> = routes
            .iter()
            .map(|&(prefix, value)| {
                assert!(
                    value < GROUP,
                    "LPM value {value} for {prefix} is not below 2^31"
                );
                (prefix.len(), prefix.network_u32(), value)
            })
            .collect();
        // Stable, so among equal prefixes the input order survives and `dedup_by` can let the
        // later one win.
        sorted.sort_by_key(|&(len, addr, _)| (len, addr));
        sorted.dedup_by(|later, kept| {
            let same = (later.0, later.1) == (kept.0, kept.1);
            if same {
                kept.2 = later.2;
            }
            same
        });

        let mut l1: Box<[u32; L1_ENTRIES]> = vec![EMPTY; L1_ENTRIES]
            .into_boxed_slice()
            .try_into()
            .expect("level 1 has L1_ENTRIES entries");
        let mut groups: Vec<Group> = Vec::new();

        // Ascending length means that when a prefix is painted, every entry under it holds a
        // value or EMPTY, never a group: groups below its level only come from longer prefixes,
        // which are painted later. So painting is a plain fill, and a new group inherits the
        // single value of the entry it replaces.
        for &(len, addr, value) in &sorted {
            debug_assert_eq!(addr & !mask(len), 0);
            let i1 = (addr >> 16) as usize;
            let i2 = (addr >> 8) as u8 as usize;
            let i3 = addr as u8 as usize;
            match len {
                0..=16 => {
                    let span = 1usize << (16 - len);
                    l1[i1..i1 + span].fill(value);
                }
                17..=24 => {
                    let g2 = descend(&mut groups, &mut l1[i1]);
                    let span = 1usize << (24 - len);
                    groups[g2][i2..i2 + span].fill(value);
                }
                _ => {
                    let g2 = descend(&mut groups, &mut l1[i1]);
                    let mut entry = groups[g2][i2];
                    let g3 = descend(&mut groups, &mut entry);
                    groups[g2][i2] = entry;
                    let span = 1usize << (32 - len);
                    groups[g3][i3..i3 + span].fill(value);
                }
            }
        }
        groups.shrink_to_fit();

        Lpm {
            l1,
            groups,
            prefixes: sorted.len(),
        }
    }

    /// The value of the longest prefix that contains `addr` (host byte order).
    #[inline(always)]
    pub fn lookup(&self, addr: u32) -> Option<u32> {
        self.level1().lookup(addr)
    }

    /// The table as a loop over many packets wants it: level 1's address at hand, so that a
    /// lookup does not first load it from the `Lpm` (which the compiler must redo after
    /// every store to a packet, not knowing the two apart).
    #[inline(always)]
    pub fn level1(&self) -> Level1<'_> {
        Level1 {
            l1: &self.l1,
            lpm: self,
        }
    }

    /// [`lookup`](Self::lookup) on from a level-1 entry that is a group or EMPTY.
    #[inline(always)]
    fn lookup_below(&self, mut entry: u32, addr: u32) -> Option<u32> {
        if is_group(entry) {
            entry = self.groups[group_index(entry)][(addr >> 8) as u8 as usize];
            // Level-3 entries never refer to groups: there is no fourth level.
            if is_group(entry) {
                entry = self.groups[group_index(entry)][addr as u8 as usize];
            }
        }
        if entry == EMPTY {
            None
        } else {
            Some(entry)
        }
    }

    /// Looks up a burst of addresses. The lookups are independent, so once inlined into the
    /// worker's loop the compiler and the CPU can overlap their cache misses, which is where
    /// `rte_lpm_lookup_bulk` gets its speed.
    #[inline]
    pub fn lookup_burst<const N: usize>(&self, addrs: &[u32; N], out: &mut [Option<u32>; N]) {
        for (addr, slot) in addrs.iter().zip(out.iter_mut()) {
            *slot = self.lookup(*addr);
        }
    }

    /// The number of distinct prefixes the table was built from.
    pub fn len(&self) -> usize {
        self.prefixes
    }

    pub fn is_empty(&self) -> bool {
        self.prefixes == 0
    }

    /// Heap bytes held by the table, for the control core's accounting of live snapshots.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.l1) + self.groups.capacity() * std::mem::size_of::<Group>()
    }
}

/// The group under `entry`, made first if `entry` holds a value or EMPTY. The new group starts
/// with that value in every slot, so the covering shorter prefix still answers for the
/// addresses that the longer one does not take.
fn descend(groups: &mut Vec<Group>, entry: &mut u32) -> usize {
    if is_group(*entry) {
        return group_index(*entry);
    }
    let index = groups.len();
    let tagged = u32::try_from(index)
        .ok()
        .filter(|&i| i < EMPTY & !GROUP)
        .expect("fewer than 2^31 - 1 LPM groups");
    groups.push([*entry; 256]);
    *entry = GROUP | tagged;
    index
}

impl Default for Lpm {
    /// A table with no route: every lookup misses.
    fn default() -> Self {
        Lpm::build(&[])
    }
}

impl fmt::Debug for Lpm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lpm")
            .field("prefixes", &self.prefixes)
            .field("groups", &self.groups.len())
            .field("memory_bytes", &self.memory_bytes())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::Ipv4Addr;

    use proptest::prelude::*;

    use super::*;

    fn p(s: &str) -> Ipv4Prefix {
        s.parse().unwrap()
    }

    fn a(s: &str) -> u32 {
        u32::from(s.parse::<Ipv4Addr>().unwrap())
    }

    fn first(prefix: Ipv4Prefix) -> u32 {
        prefix.network_u32()
    }

    fn last(prefix: Ipv4Prefix) -> u32 {
        u32::from(prefix.broadcast())
    }

    /// The specification, as a linear scan: the longest prefix that contains the address.
    /// Only repeats of one prefix can tie on length, and `max_by_key` keeps the last of equal
    /// elements, so the last value wins as `build` promises.
    fn reference(routes: &[(Ipv4Prefix, u32)], addr: u32) -> Option<u32> {
        routes
            .iter()
            .filter(|(prefix, _)| prefix.contains(Ipv4Addr::from(addr)))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|&(_, value)| value)
    }

    /// First, last, one below and one past each prefix: where expansion and group borders
    /// go wrong.
    fn edges(prefix: Ipv4Prefix) -> [u32; 4] {
        [
            first(prefix),
            last(prefix),
            first(prefix).wrapping_sub(1),
            last(prefix).wrapping_add(1),
        ]
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync + Clone + Default + fmt::Debug>() {}
        check::<Lpm>();
    }

    #[test]
    fn empty_table() {
        let lpm = Lpm::default();
        assert!(lpm.is_empty());
        assert_eq!(lpm.len(), 0);
        for addr in [0, 1, a("10.0.0.1"), a("255.255.255.255")] {
            assert_eq!(lpm.lookup(addr), None);
        }
        eprintln!("empty table: {} bytes", lpm.memory_bytes());
        assert_eq!(lpm.memory_bytes(), 256 * 1024);
        assert!(format!("{lpm:?}").contains("prefixes: 0, groups: 0"));
    }

    #[test]
    fn default_route_matches_everything() {
        let lpm = Lpm::build(&[(p("0.0.0.0/0"), 7)]);
        assert_eq!(lpm.len(), 1);
        for addr in [0, a("10.1.2.3"), a("203.0.113.9"), u32::MAX] {
            assert_eq!(lpm.lookup(addr), Some(7));
        }
    }

    #[test]
    fn each_length_at_level_boundaries() {
        for (prefix, inside) in [
            ("10.0.0.0/8", "10.200.3.4"),
            ("172.16.0.0/15", "172.17.255.0"),
            ("192.168.0.0/16", "192.168.77.1"),
            ("192.168.128.0/17", "192.168.200.1"),
            ("198.51.100.0/23", "198.51.101.7"),
            ("203.0.113.0/24", "203.0.113.77"),
            ("203.0.113.128/25", "203.0.113.200"),
            ("192.0.2.8/30", "192.0.2.10"),
            ("192.0.2.77/32", "192.0.2.77"),
        ] {
            let prefix = p(prefix);
            let lpm = Lpm::build(&[(prefix, 3)]);
            let [lo, hi, below, past] = edges(prefix);
            assert_eq!(lpm.lookup(lo), Some(3), "{prefix} first");
            assert_eq!(lpm.lookup(hi), Some(3), "{prefix} last");
            assert_eq!(lpm.lookup(a(inside)), Some(3), "{prefix} inside");
            assert_eq!(lpm.lookup(below), None, "{prefix} one below");
            assert_eq!(lpm.lookup(past), None, "{prefix} one past");
        }
    }

    #[test]
    fn edges_of_the_address_space() {
        let lpm = Lpm::build(&[
            (p("0.0.0.0/32"), 1),
            (p("255.255.255.255/32"), 2),
            (p("0.0.0.0/1"), 3),
        ]);
        assert_eq!(lpm.lookup(0), Some(1));
        assert_eq!(lpm.lookup(1), Some(3));
        assert_eq!(lpm.lookup(a("127.255.255.255")), Some(3));
        assert_eq!(lpm.lookup(a("128.0.0.0")), None);
        assert_eq!(lpm.lookup(u32::MAX - 1), None);
        assert_eq!(lpm.lookup(u32::MAX), Some(2));
    }

    #[test]
    fn nested_prefixes() {
        let routes = [
            // Deliberately not sorted: build must not depend on the input order.
            (p("10.1.2.3/32"), 5),
            (p("10.1.0.0/16"), 2),
            (p("0.0.0.0/0"), 1),
            (p("10.1.2.0/25"), 4),
            (p("10.1.2.0/24"), 3),
        ];
        let lpm = Lpm::build(&routes);
        assert_eq!(lpm.len(), 5);
        for (addr, want) in [
            ("10.1.2.3", 5),
            ("10.1.2.2", 4),
            ("10.1.2.4", 4),
            ("10.1.2.0", 4),
            ("10.1.2.127", 4),
            ("10.1.2.128", 3),
            ("10.1.2.255", 3),
            ("10.1.1.255", 2),
            ("10.1.3.0", 2),
            ("10.1.0.0", 2),
            ("10.1.255.255", 2),
            ("10.0.255.255", 1),
            ("10.2.0.0", 1),
            ("8.8.8.8", 1),
        ] {
            assert_eq!(lpm.lookup(a(addr)), Some(want), "{addr}");
        }
        // One level-2 group under 10.1/16 and one level-3 group under 10.1.2/24.
        assert_eq!(lpm.memory_bytes(), 256 * 1024 + 2 * 1024);
    }

    #[test]
    fn longer_prefixes_at_group_borders() {
        let routes = [
            (p("10.0.0.0/15"), 1),
            // Last /24 of the second /16 that the /15 expands to.
            (p("10.1.255.0/24"), 2),
            (p("10.1.255.255/32"), 3),
            // First /24 just past the /15.
            (p("10.2.0.0/24"), 4),
            // Two adjacent /25s filling one /24, and a /17 filling half a /16.
            (p("10.3.0.0/25"), 5),
            (p("10.3.0.128/25"), 6),
            (p("10.4.128.0/17"), 7),
            (p("10.4.255.255/32"), 8),
        ];
        let lpm = Lpm::build(&routes);
        for (addr, want) in [
            ("10.0.0.0", Some(1)),
            ("10.1.254.255", Some(1)),
            ("10.1.255.0", Some(2)),
            ("10.1.255.254", Some(2)),
            ("10.1.255.255", Some(3)),
            ("10.2.0.0", Some(4)),
            ("10.2.0.255", Some(4)),
            ("10.2.1.0", None),
            ("9.255.255.255", None),
            ("10.3.0.127", Some(5)),
            ("10.3.0.128", Some(6)),
            ("10.3.0.255", Some(6)),
            ("10.3.1.0", None),
            ("10.4.127.255", None),
            ("10.4.128.0", Some(7)),
            ("10.4.255.254", Some(7)),
            ("10.4.255.255", Some(8)),
            ("10.5.0.0", None),
        ] {
            assert_eq!(lpm.lookup(a(addr)), want, "{addr}");
        }
    }

    #[test]
    fn repeated_prefix_last_value_wins() {
        let routes = [
            (p("10.0.0.0/8"), 1),
            (p("192.0.2.0/24"), 2),
            (p("10.9.9.9/8"), 3),
            (p("192.0.2.0/24"), 4),
            (p("192.0.2.0/24"), 5),
        ];
        let lpm = Lpm::build(&routes);
        assert_eq!(lpm.len(), 2);
        assert_eq!(lpm.lookup(a("10.0.0.1")), Some(3));
        assert_eq!(lpm.lookup(a("192.0.2.1")), Some(5));
    }

    #[test]
    fn whole_value_range() {
        let lpm = Lpm::build(&[(p("10.0.0.0/8"), 0), (p("10.0.0.0/24"), GROUP - 1)]);
        assert_eq!(lpm.lookup(a("10.1.0.0")), Some(0));
        assert_eq!(lpm.lookup(a("10.0.0.9")), Some(GROUP - 1));
    }

    #[test]
    #[should_panic(expected = "not below 2^31")]
    fn value_with_top_bit_is_refused() {
        Lpm::build(&[(p("10.0.0.0/8"), GROUP)]);
    }

    #[test]
    fn ten_routes() {
        let routes: Vec<(Ipv4Prefix, u32)> = [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "192.168.88.0/24",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "203.0.113.1/32",
            "8.8.8.8/32",
            "100.64.0.0/10",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| (p(s), i as u32))
        .collect();
        let lpm = Lpm::build(&routes);
        assert_eq!(lpm.len(), 10);
        for &(prefix, _) in &routes {
            for addr in edges(prefix) {
                assert_eq!(lpm.lookup(addr), reference(&routes, addr), "{prefix}");
            }
        }
        eprintln!("10-route table: {} bytes, {lpm:?}", lpm.memory_bytes());
    }

    #[test]
    fn burst_agrees_with_single_lookups() {
        let routes = [
            (p("0.0.0.0/0"), 1),
            (p("10.1.0.0/16"), 2),
            (p("10.1.2.0/24"), 3),
            (p("10.1.2.3/32"), 4),
        ];
        let lpm = Lpm::build(&routes);
        let addrs = [
            a("10.1.2.3"),
            a("10.1.2.4"),
            a("10.1.3.0"),
            a("10.2.0.0"),
            0,
            u32::MAX,
        ];
        let mut out = [None; 6];
        lpm.lookup_burst(&addrs, &mut out);
        assert_eq!(out, [Some(4), Some(3), Some(2), Some(1), Some(1), Some(1)]);
        let empty = Lpm::default();
        empty.lookup_burst(&addrs, &mut out);
        assert_eq!(out, [None; 6]);
    }

    /// Prefixes drawn near a few base addresses, so that many of them nest, share a /16 or a
    /// /24, or repeat.
    fn clustered_routes() -> impl Strategy<Value = Vec<(Ipv4Prefix, u32)>> {
        prop::collection::vec(any::<u32>(), 1..8).prop_flat_map(|bases| {
            let n = bases.len();
            let route = (0..n, 0u8..=32, 0u32..40, any::<u32>(), 0u32..GROUP).prop_map(
                move |(base, len, shape, noise, value)| {
                    // Mostly the base itself, sometimes a neighbour in its /24 or /16 or a flip
                    // of one random bit, which lands in a sibling at some level.
                    let perturb = match shape {
                        0..=19 => 0,
                        20..=27 => noise & 0xff,
                        28..=33 => noise & 0xffff,
                        _ => 1 << (noise % 32),
                    };
                    let addr = Ipv4Addr::from(bases[base] ^ perturb);
                    (Ipv4Prefix::new(addr, len).unwrap(), value)
                },
            );
            prop::collection::vec(route, 0..300)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn matches_linear_scan(
            routes in clustered_routes(),
            random in prop::collection::vec(any::<u32>(), 0..64),
        ) {
            let lpm = Lpm::build(&routes);
            let distinct: std::collections::HashSet<_> = routes.iter().map(|r| r.0).collect();
            prop_assert_eq!(lpm.len(), distinct.len());
            let mut probes = random;
            for &(prefix, _) in &routes {
                probes.extend(edges(prefix));
            }
            for addr in probes {
                prop_assert_eq!(
                    lpm.lookup(addr),
                    reference(&routes, addr),
                    "addr {}", Ipv4Addr::from(addr)
                );
                prop_assert_eq!(
                    lpm.level1().lookup(addr),
                    reference(&routes, addr),
                    "level1: addr {}", Ipv4Addr::from(addr)
                );
            }
        }
    }

    use crate::rng::Rng;

    trait RngExt {
        fn bgp_len(&mut self) -> u8;
    }

    impl RngExt for Rng {
        /// Roughly the length mix of a BGP table: over half /24, most of the rest /16 to /23.
        fn bgp_len(&mut self) -> u8 {
            match self.next() % 1000 {
                0..=549 => 24,
                550..=649 => 23,
                650..=769 => 22,
                770..=819 => 21,
                820..=869 => 20,
                870..=909 => 19,
                910..=929 => 18,
                930..=944 => 17,
                945..=974 => 16,
                975..=989 => 8 + (self.next() % 8) as u8,
                _ => 25 + (self.next() % 8) as u8,
            }
        }
    }

    #[test]
    fn hundred_thousand_routes() {
        let mut rng = Rng(0x5eed_1a57);
        let routes: Vec<(Ipv4Prefix, u32)> = (0..100_000)
            .map(|_| {
                // 1.0.0.0 to 223.255.255.255: unicast space, as in a real table.
                let addr = 0x0100_0000 + rng.u32() % 0xdf00_0000;
                let len = rng.bgp_len();
                let value = rng.u32() >> 1;
                (Ipv4Prefix::new(Ipv4Addr::from(addr), len).unwrap(), value)
            })
            .collect();

        let mut by_len: Vec<HashMap<u32, u32>> = vec![HashMap::new(); 33];
        for &(prefix, value) in &routes {
            by_len[usize::from(prefix.len())].insert(prefix.network_u32(), value);
        }
        let reference = |addr: u32| {
            (0..=32u8)
                .rev()
                .find_map(|len| by_len[usize::from(len)].get(&(addr & mask(len))).copied())
        };

        let lpm = Lpm::build(&routes);
        assert_eq!(lpm.len(), by_len.iter().map(HashMap::len).sum::<usize>());
        eprintln!(
            "100k-route table: {} bytes ({:.1} MiB), {lpm:?}",
            lpm.memory_bytes(),
            lpm.memory_bytes() as f64 / (1024.0 * 1024.0)
        );

        for i in 0..100_000 {
            let addr = if i % 2 == 0 {
                rng.u32()
            } else {
                // Half of the probes fall inside some route, most of them not at its edge.
                let (prefix, _) = routes[(rng.next() % routes.len() as u64) as usize];
                first(prefix) | (rng.u32() & !mask(prefix.len()))
            };
            assert_eq!(
                lpm.lookup(addr),
                reference(addr),
                "{}",
                Ipv4Addr::from(addr)
            );
        }
        for &(prefix, _) in routes.iter().step_by(10) {
            for addr in edges(prefix) {
                assert_eq!(
                    lpm.lookup(addr),
                    reference(addr),
                    "{}",
                    Ipv4Addr::from(addr)
                );
            }
        }
    }
}
