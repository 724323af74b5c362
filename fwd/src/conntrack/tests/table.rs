use super::*;

#[test]
fn conn_fits_a_cache_line() {
    assert!(
        std::mem::size_of::<Conn>() <= 64,
        "{}",
        std::mem::size_of::<Conn>()
    );
}

#[test]
fn insert_and_lookup_both_directions() {
    let mut t = table(8);
    let k = key(0x0a00_0001, 0x0808_0808, 40000, 53, UDP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.lookup(&k), Some((id, Dir::Original)));
    assert_eq!(t.lookup(&k.reversed()), Some((id, Dir::Reply)));
    assert!(t.contains(&k) && t.contains(&k.reversed()));
    assert_eq!(
        t.lookup(&key(0x0a00_0001, 0x0808_0808, 40001, 53, UDP)),
        None
    );
    assert_eq!(
        t.lookup(&key(0x0a00_0001, 0x0808_0808, 40000, 53, TCP)),
        None
    );
    assert_eq!(t.len(), 1);
    let c = t.get(id).unwrap();
    assert!(!c.is_nat());
    assert_eq!((c.mark(), c.in_port(), c.out_port()), (0, NO_PORT, NO_PORT));
    assert_eq!(c.expires_in(0), 30 * S);
    assert_eq!(c.tcp_state_name(), "");
}

#[test]
fn nat_reply_key_is_indexed() {
    let mut t = table(8);
    let orig = key(0xc0a8_0102, 0x0808_0808, 5000, 53, UDP);
    // Masqueraded behind 203.0.113.2:61000.
    let reply = key(0x0808_0808, 0xcb00_7102, 53, 61000, UDP);
    let id = t.insert(orig, reply, 0).unwrap();
    assert!(t.get(id).unwrap().is_nat());
    assert_eq!(t.lookup(&reply), Some((id, Dir::Reply)));
    assert_eq!(t.lookup(&orig.reversed()), None);
    // Another inside host may not take the same translated reply key.
    let other = key(0xc0a8_0103, 0x0808_0808, 5000, 53, UDP);
    assert_eq!(t.insert(other, reply, 0), Err(InsertError::Exists));
    assert_eq!(t.len(), 1);
    assert_eq!(t.lookup(&other), None, "no half-inserted entry");
}

#[test]
fn exists_on_either_key() {
    let mut t = table(8);
    let k = key(1, 2, 3, 4, TCP);
    t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.insert(k, k.reversed(), 0), Err(InsertError::Exists));
    assert_eq!(t.insert(k.reversed(), k, 0), Err(InsertError::Exists));
    let fresh = key(9, 9, 9, 9, TCP);
    assert_eq!(t.insert(fresh, k, 0), Err(InsertError::Exists));
    assert_eq!(t.insert(k, fresh, 0), Err(InsertError::Exists));
    assert_eq!(t.len(), 1);
    assert!(!t.contains(&fresh));
}

#[test]
fn equal_keys_are_indexed_once() {
    let mut t = table(4);
    let k = key(7, 7, 80, 80, TCP);
    assert_eq!(k, k.reversed());
    let id = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.lookup(&k), Some((id, Dir::Original)));
    t.remove(id);
    assert!(!t.contains(&k));
    assert!(t.is_empty());
}

#[test]
fn full_at_capacity_and_existing_still_found() {
    let mut t = table(100);
    let mut rng = Rng(42);
    let keys: Vec<FlowKey> = (0..100).map(|_| rng.key(UDP)).collect();
    let ids: Vec<u32> = keys
        .iter()
        .map(|k| t.insert(*k, k.reversed(), 0).unwrap())
        .collect();
    assert_eq!(t.len(), 100);
    assert_eq!(
        t.insert(rng.key(UDP), rng.key(UDP), 0),
        Err(InsertError::Full)
    );
    for (k, id) in keys.iter().zip(&ids) {
        assert_eq!(t.lookup(k), Some((*id, Dir::Original)));
        assert_eq!(t.lookup(&k.reversed()), Some((*id, Dir::Reply)));
        assert_eq!(t.track(*id, Dir::Reply, 0, 5), ConnState::Established);
    }
    assert_eq!(t.capacity(), 100);
}

/// What `Table::memory` says a table takes is what it allocates (the start-up check of the
/// machine's memory relies on it).
#[test]
fn memory_is_what_a_table_allocates() {
    for cap in [1, 1000, 4096, 100_000] {
        let t = table(cap);
        let allocated = t.conns.capacity() * std::mem::size_of::<Conn>()
            + t.free.capacity() * 4
            + t.index.slots.capacity() * std::mem::size_of_val(&t.index.slots[0]);
        assert_eq!(Table::memory(cap), allocated, "capacity {cap}");
    }
    // A million connections: 64 + 4 bytes each and a 32 MB index.
    assert_eq!(Table::memory(1_000_000), 68_000_000 + (32 << 20));
}

#[test]
fn remove_frees_both_keys_and_reuses_the_entry() {
    let mut t = table(1);
    let a = key(1, 2, 3, 4, UDP);
    let id = t.insert(a, a.reversed(), 0).unwrap();
    t.remove(id);
    assert!(!t.contains(&a) && !t.contains(&a.reversed()));
    assert!(t.get(id).is_none());
    assert_eq!(t.track(id, Dir::Original, 0, 0), ConnState::Invalid);
    t.remove(id); // idempotent
    assert_eq!(t.len(), 0);
    let b = key(5, 6, 7, 8, UDP);
    assert_eq!(t.insert(b, b.reversed(), 0), Ok(id));
    assert_eq!(t.lookup(&b.reversed()), Some((id, Dir::Reply)));
}

#[test]
fn no_growth_and_backward_shift_keeps_colliding_keys() {
    let cap = 4096;
    let mut t = table(cap);
    let slots = t.index.slots.len();
    let conns_cap = t.conns.capacity();
    let free_cap = t.free.capacity();
    let mut rng = Rng(7);
    for round in 0..4 {
        let mut live: Vec<(FlowKey, FlowKey, u32)> = Vec::new();
        while t.len() < cap {
            let o = rng.key(TCP);
            // Half the connections NATed.
            let r = if rng.next() & 1 == 0 {
                o.reversed()
            } else {
                rng.key(TCP)
            };
            let id = t.insert(o, r, 0).unwrap();
            live.push((o, r, id));
        }
        if round > 0 {
            // Entries from previous rounds were kept; collect them too.
            live = t.iter().map(|(id, c)| (c.orig, c.reply, id)).collect();
        }
        // Remove about half, at random.
        let mut kept = Vec::new();
        for (o, r, id) in live {
            if rng.next() & 1 == 0 {
                t.remove(id);
                assert!(!t.contains(&o) && !t.contains(&r));
            } else {
                kept.push((o, r, id));
            }
        }
        assert_eq!(t.len(), kept.len());
        for (o, r, id) in &kept {
            assert_eq!(t.lookup(o), Some((*id, Dir::Original)));
            assert_eq!(t.lookup(r), Some((*id, Dir::Reply)));
        }
        // Every occupied slot is reachable from its home without crossing an empty slot.
        let occupied = t.index.slots.iter().filter(|s| **s != index::EMPTY).count();
        assert_eq!(occupied, 2 * kept.len());
    }
    assert_eq!(t.index.slots.len(), slots);
    assert_eq!(t.conns.capacity(), conns_cap);
    assert_eq!(t.free.capacity(), free_cap);
    assert_eq!(t.capacity(), cap);
}

#[test]
fn backward_shift_across_the_wrap() {
    // A tiny table: 8 slots, so runs wrap round the end.
    let mut t = table(1);
    assert_eq!(t.index.slots.len(), 8);
    let mut rng = Rng(3);
    for _ in 0..2000 {
        let o = rng.key(UDP);
        let id = t.insert(o, o.reversed(), 0).unwrap();
        assert_eq!(t.lookup(&o.reversed()), Some((id, Dir::Reply)));
        t.remove(id);
        assert!(t.index.slots.iter().all(|s| *s == index::EMPTY));
    }
    let mut t = table(2);
    let mut live: Vec<(FlowKey, u32)> = Vec::new();
    for _ in 0..5000 {
        if live.len() == 2 || (!live.is_empty() && rng.next() % 3 == 2) {
            let (k, id) = live.swap_remove((rng.next() % live.len() as u64) as usize);
            t.remove(id);
            assert!(!t.contains(&k));
        } else {
            let k = rng.key(UDP);
            live.push((k, t.insert(k, k.reversed(), 0).unwrap()));
        }
        for (k, id) in &live {
            assert_eq!(t.lookup(k), Some((*id, Dir::Original)));
            assert_eq!(t.lookup(&k.reversed()), Some((*id, Dir::Reply)));
        }
    }
}

#[test]
fn udp_new_until_reply_then_stream() {
    let mut t = table(2);
    let k = key(1, 2, 3, 4, UDP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.track(id, Dir::Original, 0, 0), ConnState::New);
    assert_eq!(t.track(id, Dir::Original, 0, 10 * S), ConnState::New);
    assert_eq!(t.get(id).unwrap().expires_in(10 * S), 30 * S);
    assert_eq!(t.track(id, Dir::Reply, 0, 11 * S), ConnState::Established);
    let c = t.get(id).unwrap();
    assert!(c.seen_reply() && !c.assured());
    assert_eq!(
        c.expires_in(11 * S),
        30 * S,
        "udp timeout until more traffic"
    );
    assert_eq!(
        t.track(id, Dir::Original, 0, 12 * S),
        ConnState::Established
    );
    let c = t.get(id).unwrap();
    assert!(c.assured());
    assert_eq!(c.expires_in(12 * S), 180 * S, "udp-stream");
    // New timeouts apply from the next update.
    let mut to = Timeouts::default();
    to.set("udp-stream-timeout", Duration::from_secs(60))
        .unwrap();
    t.set_timeouts(&to);
    assert_eq!(t.get(id).unwrap().expires_in(12 * S), 180 * S);
    t.track(id, Dir::Reply, 0, 13 * S);
    assert_eq!(t.get(id).unwrap().expires_in(13 * S), 60 * S);
}

#[test]
fn icmp_and_generic_timeouts() {
    let mut t = table(2);
    let k = key(1, 2, 77, 0, PROTO_ICMP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.get(id).unwrap().expires_in(0), 10 * S);
    assert_eq!(t.track(id, Dir::Reply, 0, 1), ConnState::Established);
    let g = key(1, 2, 0, 0, 47);
    let id = t.insert(g, g.reversed(), 0).unwrap();
    assert_eq!(t.track(id, Dir::Original, 0, 0), ConnState::New);
    assert_eq!(t.get(id).unwrap().expires_in(0), 600 * S);
}

#[test]
fn expire_is_incremental_and_wraps() {
    let cap = 64;
    let mut t = table(cap);
    let mut rng = Rng(11);
    let mut short = Vec::new();
    let mut long = Vec::new();
    for i in 0..cap {
        let k = rng.key(UDP);
        let id = t.insert(k, k.reversed(), 0).unwrap();
        if i % 3 == 0 {
            t.track(id, Dir::Reply, 0, 0);
            t.track(id, Dir::Original, 0, 0); // udp-stream: 180 s
            long.push(k);
        } else {
            short.push(k); // udp: 30 s
        }
    }
    // Nothing is due yet.
    assert_eq!(t.expire(29 * S, cap * 3, |_| panic!("nothing due")), 0);
    let mut removed = Vec::new();
    let mut rounds = 0;
    let budget = 10;
    while removed.len() < short.len() {
        let n = t.expire(31 * S, budget, |c| removed.push(c.orig));
        assert!(n <= budget);
        rounds += 1;
        assert!(
            rounds <= cap.div_ceil(budget),
            "one lap of the cursor suffices"
        );
    }
    assert!(rounds > 1, "never everything at once");
    removed.sort_by_key(|k| (k.src, k.dst, k.sport, k.dport));
    short.sort_by_key(|k| (k.src, k.dst, k.sport, k.dport));
    assert_eq!(removed, short);
    for k in &long {
        assert!(t.contains(k) && t.contains(&k.reversed()));
    }
    for k in &short {
        assert!(!t.contains(k) && !t.contains(&k.reversed()));
    }
    // The cursor goes round again: the rest expires later.
    let mut n = 0;
    for _ in 0..cap.div_ceil(budget) + 1 {
        n += t.expire(181 * S, budget, |_| {});
    }
    assert_eq!(n, long.len());
    assert!(t.is_empty());
}

#[test]
fn retain_and_iter() {
    let mut t = table(16);
    for i in 0..10u16 {
        let k = key(1, 2, i, 80, TCP);
        let id = t.insert(k, k.reversed(), 0).unwrap();
        t.get_mut(id).unwrap().set_ports(0, i % 2);
    }
    assert_eq!(t.iter().count(), 10);
    assert_eq!(t.retain(|c| c.out_port() != 1), 5);
    assert_eq!(t.len(), 5);
    assert!(t.iter().all(|(_, c)| c.out_port == 0));
    assert!(!t.contains(&key(1, 2, 1, 80, TCP)));
    assert!(t.contains(&key(2, 1, 80, 2, TCP)));
}

/// Entries whose hashes have the same home and the same tag (what the index compares before
/// the key) are told apart by `is_key`, and removing any of them, with the homes of the rest
/// of the run found from their hashes, leaves every other one reachable — also across the
/// end of the slots.
#[test]
fn index_entries_with_one_home_and_tag() {
    let mut ix = index::Index::new(64);
    let n = ix.slots.len();
    // Two groups: one homed in the last slot (its run wraps), one in slot 2, inside the
    // first one's run: removing from either must leave the other's entries after their home.
    let last = u64::MAX;
    let third = 2u64 << (64 - n.trailing_zeros());
    let hash_of = |id: u32, _: Dir| if id.is_multiple_of(2) { last } else { third };
    assert_eq!((ix.home(last), ix.home(third)), (n - 1, 2));
    let mut live: Vec<u32> = (0..40).collect();
    for &id in &live {
        ix.insert(hash_of(id, Dir::Original), id, Dir::Original);
    }
    let mut rng = Rng(11);
    while !live.is_empty() {
        for &id in &live {
            let found = ix.find(hash_of(id, Dir::Original), |i, d| {
                i == id && d == Dir::Original
            });
            assert_eq!(found, Some((id, Dir::Original)));
        }
        let gone = live.swap_remove((rng.next() % live.len() as u64) as usize);
        ix.remove(hash_of(gone, Dir::Original), gone, Dir::Original, hash_of);
        assert_eq!(
            ix.find(hash_of(gone, Dir::Original), |i, _| i == gone),
            None
        );
        let occupied = ix.slots.iter().filter(|s| **s != index::EMPTY).count();
        assert_eq!(occupied, live.len());
    }
}

#[test]
fn hash_spreads_similar_keys() {
    // Keys differing in one port bit must land in different home slots most of the time.
    let t = table(1 << 16);
    let mut homes = std::collections::HashSet::new();
    for p in 0..4096u16 {
        homes.insert(
            t.index
                .home(Table::hash(&key(0x0a00_0001, 0x0808_0808, p, 53, UDP))),
        );
    }
    assert!(homes.len() > 3500, "{}", homes.len());
}

/// A hint finds its connection in either direction; a stale one (its entry freed, or
/// reused by another connection) and no hint at all give the index's answer.
#[test]
fn hinted_lookup_survives_stale_hints() {
    let mut t = table(8);
    let orig = key(0xc0a8_0102, 0x0808_0808, 5000, 53, UDP);
    let reply = key(0x0808_0808, 0xcb00_7102, 53, 61000, UDP);
    let id = t.insert(orig, reply, 0).unwrap();
    let h = |k: &FlowKey| Table::hash(k);
    let (ho, hr) = (t.prefetch_entry(h(&orig)), t.prefetch_entry(h(&reply)));
    assert_eq!((ho, hr), (id << 1, id << 1 | 1));
    assert_eq!(
        t.lookup_hinted(&orig, h(&orig), ho),
        Some((id, Dir::Original))
    );
    assert_eq!(
        t.lookup_hinted(&reply, h(&reply), hr),
        Some((id, Dir::Reply))
    );
    // The other direction's hint, a wrong id, no hint: the index answers.
    for hint in [hr, 7 << 1, NO_HINT] {
        let found = t.lookup_hinted(&orig, h(&orig), hint);
        assert_eq!(found, Some((id, Dir::Original)), "hint {hint:#x}");
    }
    let missing = key(1, 2, 3, 4, UDP);
    assert_eq!(t.prefetch_entry(h(&missing)), NO_HINT);
    // Freed: the hint names a dead entry, whose keys are still in it.
    t.remove(id);
    assert_eq!(t.lookup_hinted(&orig, h(&orig), ho), None);
    // Reused by another connection: the key no longer matches; the first comes back elsewhere.
    let other = key(0xc0a8_0103, 0x0808_0404, 6000, 53, UDP);
    assert_eq!(t.insert(other, other.reversed(), 0), Ok(id));
    let again = t.insert(orig, reply, 0).unwrap();
    assert_ne!(again, id);
    assert_eq!(
        t.lookup_hinted(&orig, h(&orig), ho),
        Some((again, Dir::Original))
    );
    assert_eq!(
        t.lookup_hinted(&other, h(&other), ho),
        Some((id, Dir::Original))
    );
}
