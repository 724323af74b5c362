//! Stable `*ID`s for the items of the item menus (`/ip/address`, firewall rules, netwatch,
//! interface lists, routing tables) and the static routes, as RouterOS gives them: an item
//! keeps its id while others are added, removed or placed before it, and a removed item's
//! id is not reused. The numbers `print` shows stay positions in the list; `.id` in
//! `--json` and `*N` in a command are these ids. Dynamic (connected) routes are numbered
//! from [`DYNAMIC_ROUTE_IDS`] up, in the RIB's order.

use std::collections::BTreeMap;

/// The key of the static routes' ids.
pub const IP_ROUTE: &str = "/ip/route";

/// The first id of the dynamic routes (`*80000001`...), apart from the static routes' ids.
pub const DYNAMIC_ROUTE_IDS: usize = 0x8000_0000;

/// One menu's ids: `ids[i]` is item `i`'s; `next` is the id the next added item gets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdList {
    ids: Vec<u32>,
    next: u32,
}

impl IdList {
    /// Makes the ids cover a list of `len` items. A list that changed behind the ids' back
    /// (loaded from YAML, filtered) gets positional ids again, as it had at start: 1 to
    /// `len`, and more after the highest id given so far.
    pub fn sync(&mut self, len: usize) {
        if self.ids.len() != len {
            let first = if self.ids.is_empty() {
                1
            } else {
                self.next.max(1)
            };
            self.ids = (first..).take(len).collect();
            self.next = first + len as u32;
        }
        self.next = self.next.max(1);
    }

    /// Item `i`'s id (0 for no such item).
    pub fn id(&self, i: usize) -> u32 {
        self.ids.get(i).copied().unwrap_or(0)
    }

    /// The position of the item with `id`.
    pub fn index_of(&self, id: u32) -> Option<usize> {
        self.ids.iter().position(|&x| x == id)
    }

    /// A new item at position `at` (the end when `at` is the length): its id.
    pub fn insert(&mut self, at: usize) -> u32 {
        let id = self.next;
        self.next += 1;
        self.ids.insert(at.min(self.ids.len()), id);
        id
    }

    /// Item `i` removed.
    pub fn remove(&mut self, i: usize) {
        if i < self.ids.len() {
            self.ids.remove(i);
        }
    }
}

/// The ids of every item menu, by menu path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids(BTreeMap<String, IdList>);

impl Ids {
    /// `menu`'s ids, made to cover `len` items (see [`IdList::sync`]).
    pub fn take(&mut self, menu: &str, len: usize) -> IdList {
        let mut l = self.0.remove(menu).unwrap_or_default();
        l.sync(len);
        l
    }

    pub fn put(&mut self, menu: &str, l: IdList) {
        self.0.insert(menu.to_string(), l);
    }

    /// `menu`'s ids for a list of `len` items, without keeping a resync.
    pub fn get(&self, menu: &str, len: usize) -> IdList {
        let mut l = self.0.get(menu).cloned().unwrap_or_default();
        l.sync(len);
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_with_their_items() {
        let mut l = IdList::default();
        l.sync(3);
        assert_eq!((l.id(0), l.id(1), l.id(2)), (1, 2, 3));
        l.remove(0);
        assert_eq!((l.id(0), l.id(1)), (2, 3), "the others keep theirs");
        assert_eq!(l.insert(0), 4, "a removed id is not given again");
        assert_eq!((l.id(0), l.id(1), l.id(2)), (4, 2, 3));
        assert_eq!(l.index_of(3), Some(2));
        assert_eq!(l.index_of(1), None);
        assert_eq!(l.insert(3), 5);
        l.sync(4);
        assert_eq!(l.id(3), 5, "a list of the same length keeps its ids");
        // A list changed behind the ids' back: positional ids after the highest given.
        l.sync(2);
        assert_eq!((l.id(0), l.id(1)), (6, 7));
        assert_eq!(l.id(9), 0);
    }
}
