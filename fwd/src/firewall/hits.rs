//! Rule counters: the packets and bytes each mangle or NAT item matched, as RouterOS's
//! `print stats` shows them, and the list of items one packet matched (what the stateful
//! path remembers to count the packets that reuse a cached decision).

use arrayvec::ArrayVec;

/// The most matching items a packet's [`Matched`] holds; past that it only says so.
pub const MATCHED_MAX: usize = 8;

/// The items (rule numbers) one packet matched, in order, up to [`MATCHED_MAX`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Matched {
    items: ArrayVec<u16, MATCHED_MAX>,
    /// More items matched than fit (or one numbered past `u16::MAX`).
    overflow: bool,
}

impl Matched {
    /// No item matched.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && !self.overflow
    }

    /// Whether every matching item is listed.
    pub fn complete(&self) -> bool {
        !self.overflow
    }

    pub fn items(&self) -> &[u16] {
        &self.items
    }

    fn push(&mut self, item: u32) {
        match u16::try_from(item) {
            Ok(i) if self.items.try_push(i).is_ok() => {}
            _ => self.overflow = true,
        }
    }
}

/// Adds `packets` and `bytes` to each item of `matched` in `counts` (packets, bytes per item).
pub fn add_to(counts: &mut [[u64; 2]], matched: &Matched, packets: u64, bytes: u64) {
    for &i in matched.items() {
        if let Some(c) = counts.get_mut(usize::from(i)) {
            c[0] += packets;
            c[1] += bytes;
        }
    }
}

/// One packet's run through a table of rules: each matching item is counted at once in
/// `counts` (packets, bytes per item; an item past its end is not counted) and listed in
/// `matched`.
pub struct Hits<'a> {
    counts: &'a mut [[u64; 2]],
    bytes: u64,
    matched: &'a mut Matched,
}

impl<'a> Hits<'a> {
    /// Counts a packet of `bytes` in `counts`, listing its items in `matched`.
    pub fn new(counts: &'a mut [[u64; 2]], bytes: u64, matched: &'a mut Matched) -> Hits<'a> {
        Hits {
            counts,
            bytes,
            matched,
        }
    }

    /// Item `item` matched.
    #[inline]
    pub fn hit(&mut self, item: u32) {
        if let Some(c) = self.counts.get_mut(item as usize) {
            c[0] += 1;
            c[1] += self.bytes;
        }
        self.matched.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_count_packets_and_bytes_and_list_the_items() {
        let mut counts = vec![[0; 2]; 3];
        let mut matched = Matched::default();
        assert!(matched.is_empty());
        let mut h = Hits::new(&mut counts, 60, &mut matched);
        h.hit(0);
        h.hit(2);
        // An item the counts do not cover (rules newer than the counters) is listed only.
        h.hit(7);
        assert_eq!(counts, [[1, 60], [0, 0], [1, 60]]);
        assert_eq!(matched.items(), [0, 2, 7]);
        assert!(matched.complete() && !matched.is_empty());
        add_to(&mut counts, &matched, 10, 1000);
        assert_eq!(counts, [[11, 1060], [0, 0], [11, 1060]]);
    }

    #[test]
    fn too_many_items_are_flagged() {
        let mut counts = vec![[0; 2]; 20];
        let mut matched = Matched::default();
        let mut h = Hits::new(&mut counts, 1, &mut matched);
        for i in 0..=MATCHED_MAX as u32 {
            h.hit(i);
        }
        // All counted, not all listed.
        assert_eq!(
            counts.iter().map(|c| c[0]).sum::<u64>(),
            MATCHED_MAX as u64 + 1
        );
        assert!(!matched.complete());
        let mut big = Matched::default();
        big.push(70_000);
        assert!(!big.complete() && !big.is_empty());
    }
}
