//! The open-addressing index of a connection table: key hash → (connection id, direction).
//!
//! Linear probing, backward-shift deletion (no tombstones), a power-of-two number of slots of
//! at least 8 × capacity: each connection has two keys, so the load never exceeds 1/4 and
//! every probe sequence ends at an empty slot. A slot is one `u32`:
//!
//! ```text
//!   | tag: bits id_bits..32 of the key's hash | id << 1 | dir |   (EMPTY = all ones)
//! ```
//!
//! The top `log2(slots)` bits of the hash give the home slot; the tag, from the low half of
//! the hash (independent of the home), is compared before the connection's full key. With 1 M
//! connections: 8 M slots (32 MB), 21 bits of `id << 1 | dir`, an 11-bit tag.
//!
//! Why a load of 1/4 in four-byte slots rather than 1/2 in eight-byte ones (the same memory):
//! at a million connections a lookup's index line is a miss whatever its size, and what
//! costs beyond it is the probe — its mispredicted exits and the runs that reach into the
//! next line. `perf/bench.sh --pcc --flows 500000 --established`: 154-158 cycles a packet
//! with an index at load 1/4 against 161-162 at 1/2 (perf/README.md, sixth session).
//! A slot no longer says where its home is: deletion asks the table (`hash_of`), which
//! hashes the connection's key again.

use super::Dir;

pub(super) const EMPTY: u32 = u32::MAX;

pub(super) struct Index {
    pub(super) slots: Vec<u32>,
    /// `slots.len() - 1`.
    mask: usize,
    /// `64 - log2(slots.len())`: a hash's home slot is `hash >> shift`.
    shift: u32,
    /// The bits of a slot that hold `id << 1 | dir`.
    low_mask: u32,
}

impl Index {
    /// An index for connection ids `0..capacity` (capacity ≤ 2^27).
    pub(super) fn new(capacity: usize) -> Index {
        // `id << 1 | dir` must never be all ones (with an all-ones tag that would be EMPTY):
        // ids < capacity < 2^(id_bits - 1).
        let id_bits = usize::BITS - capacity.leading_zeros() + 1;
        let nslots = Self::slots_for(capacity);
        let slot_bits = nslots.trailing_zeros();
        // At least one tag bit; the home (top bits) and the tag (low half) must not overlap.
        assert!(
            id_bits < 32 && slot_bits <= 32,
            "capacity {capacity} too large"
        );
        Index {
            slots: crate::dpdk::huge_vec(nslots, EMPTY),
            mask: nslots - 1,
            shift: 64 - slot_bits,
            low_mask: ((1u64 << id_bits) - 1) as u32,
        }
    }

    /// The slots of the index of a table of `capacity`: a load of at most 1/4.
    fn slots_for(capacity: usize) -> usize {
        (capacity * 8).next_power_of_two()
    }

    /// The bytes the index of a table of `capacity` allocates.
    pub(super) fn memory(capacity: usize) -> usize {
        Self::slots_for(capacity) * std::mem::size_of::<u32>()
    }

    #[inline]
    pub(super) fn home(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize
    }

    /// The tag bits of `hash`, in their place in a slot.
    #[inline]
    fn tag(&self, hash: u64) -> u32 {
        hash as u32 & !self.low_mask
    }

    #[inline]
    pub(super) fn prefetch(&self, hash: u64) {
        crate::dpdk::prefetch(&self.slots[self.home(hash)]);
    }

    /// The `id << 1 | dir` of the first entry whose tag matches `hash`, without reading the
    /// entries: what a lookup will most likely compare, for prefetching it.
    #[inline]
    pub(super) fn candidate(&self, hash: u64) -> Option<u32> {
        let tag = self.tag(hash);
        let mut pos = self.home(hash);
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                return None;
            }
            if slot & !self.low_mask == tag {
                return Some(slot & self.low_mask);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// The first entry with `hash`'s tag for which `is_key(id, dir)` holds.
    #[inline]
    pub(super) fn find(&self, hash: u64, is_key: impl Fn(u32, Dir) -> bool) -> Option<(u32, Dir)> {
        let tag = self.tag(hash);
        let mut pos = self.home(hash);
        loop {
            let slot = self.slots[pos];
            if slot == EMPTY {
                return None;
            }
            if slot & !self.low_mask == tag {
                let (id, dir) = split(slot & self.low_mask);
                if is_key(id, dir) {
                    return Some((id, dir));
                }
            }
            pos = (pos + 1) & self.mask;
        }
    }

    pub(super) fn insert(&mut self, hash: u64, id: u32, dir: Dir) {
        let slot = self.tag(hash) | (id << 1) | dir as u32;
        let mut pos = self.home(hash);
        while self.slots[pos] != EMPTY {
            pos = (pos + 1) & self.mask;
        }
        self.slots[pos] = slot;
    }

    /// Removes the slot of (`id`, `dir`), found from its key's hash, and shifts the rest of
    /// the run back into the hole. `hash_of(id, dir)` is the hash of the key an entry is
    /// indexed under (the slot keeps too few of its bits to find its home).
    pub(super) fn remove(
        &mut self,
        hash: u64,
        id: u32,
        dir: Dir,
        hash_of: impl Fn(u32, Dir) -> u64,
    ) {
        let want = (id << 1) | dir as u32;
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
            let (id, dir) = split(slot & self.low_mask);
            let home = self.home(hash_of(id, dir));
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.slots[hole] = slot;
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.slots[hole] = EMPTY;
    }
}

/// The connection id and direction of a slot's `id << 1 | dir`.
#[inline]
pub(super) fn split(entry: u32) -> (u32, Dir) {
    (entry >> 1, Dir::from_bit(entry & 1))
}
