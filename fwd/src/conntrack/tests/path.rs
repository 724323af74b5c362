//! The cached forwarding decision each direction of a connection keeps in its cache line.

use super::*;

const MAC: [u8; 6] = [2, 0, 0, 0, 2, 1];

/// A connection that arrived on port 0 and left by port 1.
fn conn() -> (Table, u32) {
    let mut t = table(8);
    let k = key(0xc0a8_010a, 0xc612_0001, 10000, 9, UDP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    t.get_mut(id).unwrap().set_ports(0, 1);
    (t, id)
}

#[test]
fn a_path_serves_its_direction_port_generation_and_state_only() {
    let (mut t, id) = conn();
    let c = t.get_mut(id).unwrap();
    assert_eq!(
        c.path(Dir::Original, 0, 7, ConnState::New),
        None,
        "nothing cached"
    );
    c.set_path(Dir::Original, 0, 7, ConnState::New, 1, MAC, 3);
    let p = c.path(Dir::Original, 0, 7, ConnState::New).unwrap();
    assert_eq!((p.port, p.mac, p.counter), (1, MAC, 3));
    // Not for the other direction, another input port, generation or state.
    assert_eq!(c.path(Dir::Reply, 1, 7, ConnState::New), None);
    assert_eq!(c.path(Dir::Original, 2, 7, ConnState::New), None);
    assert_eq!(c.path(Dir::Original, 0, 8, ConnState::New), None);
    assert_eq!(c.path(Dir::Original, 0, 7, ConnState::Established), None);
}

#[test]
fn replies_are_cached_for_the_port_the_original_left_by() {
    let (mut t, id) = conn();
    let c = t.get_mut(id).unwrap();
    // A reply arriving elsewhere (asymmetric routing) is decided every time.
    c.set_path(Dir::Reply, 2, 7, ConnState::Established, 0, MAC, 4);
    assert_eq!(c.path(Dir::Reply, 2, 7, ConnState::Established), None);
    c.set_path(Dir::Reply, 1, 7, ConnState::Established, 0, MAC, 4);
    assert!(c.path(Dir::Reply, 1, 7, ConnState::Established).is_some());
    // Both directions coexist in one generation.
    c.set_path(Dir::Original, 0, 7, ConnState::Established, 1, MAC, 3);
    assert!(c.path(Dir::Reply, 1, 7, ConnState::Established).is_some());
    assert!(c
        .path(Dir::Original, 0, 7, ConnState::Established)
        .is_some());
}

#[test]
fn a_new_generation_or_mark_forgets_both_directions() {
    let (mut t, id) = conn();
    let c = t.get_mut(id).unwrap();
    c.set_path(Dir::Original, 0, 7, ConnState::Established, 1, MAC, 3);
    c.set_path(Dir::Reply, 1, 7, ConnState::Established, 0, MAC, 4);
    // One direction decided in generation 8: the other's generation-7 path is gone (the
    // generation is shared), even once the generation number comes round again.
    c.set_path(Dir::Original, 0, 8, ConnState::Established, 1, MAC, 3);
    assert_eq!(c.path(Dir::Reply, 1, 8, ConnState::Established), None);
    assert_eq!(c.path(Dir::Reply, 1, 7, ConnState::Established), None);
    c.set_path(Dir::Reply, 1, 8, ConnState::Established, 0, MAC, 4);
    // The same mark changes nothing; another forgets both.
    c.set_mark(0);
    assert!(c
        .path(Dir::Original, 0, 8, ConnState::Established)
        .is_some());
    c.set_mark(5);
    assert_eq!(c.mark(), 5);
    assert_eq!(c.path(Dir::Original, 0, 8, ConnState::Established), None);
    assert_eq!(c.path(Dir::Reply, 1, 8, ConnState::Established), None);
}

#[test]
fn a_freed_entry_reused_starts_with_nothing_cached() {
    let (mut t, id) = conn();
    t.get_mut(id)
        .unwrap()
        .set_path(Dir::Original, 0, 7, ConnState::New, 1, MAC, 3);
    t.remove(id);
    let k = key(0xc0a8_010b, 0xc612_0001, 10000, 9, UDP);
    let again = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(again, id, "the free list gives the entry back");
    let c = t.get_mut(again).unwrap();
    c.set_ports(0, 1);
    assert_eq!(c.path(Dir::Original, 0, 7, ConnState::New), None);
}

#[test]
fn ports_that_do_not_fit_a_byte_are_never_cached() {
    let (mut t, id) = conn();
    let c = t.get_mut(id).unwrap();
    c.set_path(Dir::Original, 0, 7, ConnState::New, 300, MAC, 3);
    assert_eq!(c.path(Dir::Original, 0, 7, ConnState::New), None);
    c.set_ports(300, 1);
    assert_eq!(c.in_port(), NO_PORT);
    c.set_path(Dir::Original, 300, 7, ConnState::New, 1, MAC, 3);
    assert_eq!(c.path(Dir::Original, 300, 7, ConnState::New), None);
}
