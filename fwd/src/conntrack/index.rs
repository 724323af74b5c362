//! The open-addressing index of a connection table: key hash → (connection id, direction).
//!
//! Linear probing, backward-shift deletion (no tombstones), a power-of-two number of slots of
//! at least 4 × capacity: each connection has two keys, so the load never exceeds 1/2 and
//! every probe sequence ends at an empty slot. A slot is one `u64`:
//!
//! ```text
//!   | top (64 - id_bits) bits of the key's hash | id << 1 | dir |   (EMPTY = all ones)
//! ```
//!
//! The top `log2(slots)` bits of the hash give the home slot, so deletion can find any
//! entry's home from the slot alone, and the bits below them are a tag compared before the
//! connection's full key. With 1 M connections: 22 home bits, 21 tag bits.

use super::Dir;

pub(super) const EMPTY: u64 = u64::MAX;

pub(super) struct Index {
    pub(super) slots: Vec<u64>,
    /// `slots.len() - 1`.
    mask: usize,
    /// `64 - log2(slots.len())`: a hash's home slot is `hash >> shift`.
    shift: u32,
    /// The bits of a slot that hold `id << 1 | dir`.
    low_mask: u64,
}

impl Index {
    /// An index for connection ids `0..capacity` (capacity ≤ 2^27).
    pub(super) fn new(capacity: usize) -> Index {
        // `id << 1 | dir` must never be all ones (with an all-ones tag that would be EMPTY):
        // ids < capacity < 2^(id_bits - 1).
        let id_bits = usize::BITS - capacity.leading_zeros() + 1;
        let nslots = (capacity * 4).next_power_of_two();
        let slot_bits = nslots.trailing_zeros();
        assert!(slot_bits + id_bits <= 60, "capacity {capacity} too large");
        Index {
            slots: crate::dpdk::huge_vec(nslots, EMPTY),
            mask: nslots - 1,
            shift: 64 - slot_bits,
            low_mask: (1u64 << id_bits) - 1,
        }
    }

    #[inline]
    pub(super) fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    #[inline]
    pub(super) fn prefetch(&self, hash: u64) {
        crate::dpdk::prefetch(&self.slots[self.home(hash)]);
    }

    /// The `id << 1 | dir` of the first entry whose tag matches `hash`, without reading the
    /// entries: what a lookup will most likely compare, for prefetching it.
    #[inline]
    pub(super) fn candidate(&self, hash: u64) -> Option<u32> {
        let tag = hash & !self.low_mask;
        let mut pos = self.home(hash);
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                return None;
            }
            if slot & !self.low_mask == tag {
                return Some((slot & self.low_mask) as u32);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// The first entry with `hash`'s tag for which `is_key(id, dir)` holds.
    #[inline]
    pub(super) fn find(&self, hash: u64, is_key: impl Fn(u32, Dir) -> bool) -> Option<(u32, Dir)> {
        let tag = hash & !self.low_mask;
        let mut pos = self.home(hash);
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                return None;
            }
            if slot & !self.low_mask == tag {
                let id = ((slot & self.low_mask) >> 1) as u32;
                let dir = Dir::from_bit(slot as u32 & 1);
                if is_key(id, dir) {
                    return Some((id, dir));
                }
            }
            pos = (pos + 1) & self.mask;
        }
    }

    pub(super) fn insert(&mut self, hash: u64, id: u32, dir: Dir) {
        let slot = (hash & !self.low_mask) | ((id as u64) << 1) | dir as u64;
        let mut pos = self.home(hash);
        while self.slots[pos] != EMPTY {
            pos = (pos + 1) & self.mask;
        }
        self.slots[pos] = slot;
    }

    /// Removes the slot of (`id`, `dir`), found from its key's hash, and shifts the rest of
    /// the run back into the hole.
    pub(super) fn remove(&mut self, hash: u64, id: u32, dir: Dir) {
        let want = ((id as u64) << 1) | dir as u64;
        let mut pos = self.home(hash);
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                debug_assert!(false, "conntrack index lost connection {id}");
                return;
            }
            if slot & self.low_mask == want {
                break;
            }
            pos = (pos + 1) & self.mask;
        }
        // Move each later entry of the run into the hole unless its home lies cyclically in
        // (hole, entry]: then it would become unreachable from its home.
        let mut hole = pos;
        let mut j = (pos + 1) & self.mask;
        loop {
            let slot = self.slots[j];
            if slot == EMPTY {
                break;
            }
            let home = self.home(slot);
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.slots[hole] = slot;
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.slots[hole] = EMPTY;
    }
}
