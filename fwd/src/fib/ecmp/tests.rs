use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

// ---- resilient tables ----

fn shares_of(table: &[u32]) -> HashMap<u32, usize> {
    let mut shares = HashMap::new();
    for &m in table {
        *shares.entry(m).or_insert(0) += 1;
    }
    shares
}

/// Every member within [floor, ceil] of its fair share, and nothing else in the table.
fn assert_fair(table: &[u32], members: &[u32]) {
    assert_eq!(table.len(), table_size(members.len()));
    if members.is_empty() {
        return;
    }
    let (size, k) = (table.len(), members.len());
    let shares = shares_of(table);
    for m in shares.keys() {
        assert!(members.contains(m), "bucket held by non-member {m}");
    }
    for m in members {
        let n = shares.get(m).copied().unwrap_or(0);
        assert!(
            n >= size / k && n <= size.div_ceil(k),
            "member {m} has {n} of {size} buckets among {k} members"
        );
    }
}

/// The owner of every hash class before and after, over the larger of the two tables:
/// how many of the flows of `among` moved, as a fraction of all flows.
fn moved_flows(before: &[u32], after: &[u32], among: impl Fn(u32) -> bool) -> f64 {
    let n = before.len().max(after.len());
    let moved = (0..n as u32)
        .filter(|&h| {
            let old = select(before, h).unwrap();
            among(old) && select(after, h) != Some(old)
        })
        .count();
    moved as f64 / n as f64
}

#[test]
fn sizes() {
    let expected = [
        (0, 0),
        (1, 1),
        (2, 32),
        (3, 64),
        (4, 64),
        (5, 128),
        (8, 128),
        (9, 256),
        (16, 256),
        (17, 512),
        (256, 4096),
        (1000, 4096),
    ];
    for (k, size) in expected {
        assert_eq!(table_size(k), size, "{k} members");
    }
    assert_eq!(table_size(usize::MAX), MAX_BUCKETS);
}

#[test]
fn no_member_gives_an_empty_table() {
    assert!(rebuild::<u32>(&[], &[]).is_empty());
    assert!(rebuild(&[1u32, 2, 1, 2], &[]).is_empty());
    assert_eq!(select::<u32>(&[], 0xffff_ffff), None);
}

#[test]
fn one_member_takes_the_one_bucket() {
    assert_eq!(rebuild(&[], &[7u32]), vec![7]);
    assert_eq!(rebuild(&[1u32, 2, 3, 4], &[2]), vec![2]);
    assert_eq!(select(&[7u32], 0xdead_beef), Some(7));
}

#[test]
fn two_members_get_half_each() {
    let table = rebuild(&[], &[10u32, 20]);
    assert_eq!(table.len(), 32);
    assert_eq!(shares_of(&table), HashMap::from([(10, 16), (20, 16)]));
    // Growing from one member: the survivor keeps the lowest buckets, the new one takes
    // the rest.
    let grown = rebuild(&rebuild(&[], &[10u32]), &[10, 20]);
    assert_eq!(shares_of(&grown), HashMap::from([(10, 16), (20, 16)]));
}

#[test]
fn three_members_differ_by_at_most_one() {
    let table = rebuild(&[], &[1u32, 2, 3]);
    assert_eq!(table.len(), 64);
    let mut shares: Vec<usize> = shares_of(&table).into_values().collect();
    shares.sort();
    assert_eq!(shares, vec![21, 21, 22]);
}

#[test]
fn the_order_of_members_does_not_matter() {
    let prev = rebuild(&[], &[5u32, 1, 9, 3]);
    assert_eq!(prev, rebuild(&[], &[9u32, 3, 1, 5]));
    assert_eq!(
        rebuild(&prev, &[4u32, 1, 9]),
        rebuild(&prev, &[9u32, 1, 4, 4])
    );
}

#[test]
fn many_members_share_the_largest_table() {
    let members: Vec<u32> = (0..300).collect();
    let table = rebuild(&[], &members);
    assert_eq!(table.len(), MAX_BUCKETS);
    assert_fair(&table, &members);
    // More members than buckets: each bucket a different member, some members none.
    let members: Vec<u32> = (0..5000).collect();
    let table = rebuild(&table, &members);
    assert_fair(&table, &members);
    assert_eq!(shares_of(&table).len(), MAX_BUCKETS);
}

#[test]
fn a_malformed_previous_table_is_only_a_hint() {
    // Not a power of two, members not in the group, any length: still a fair table.
    let prev = [3u32, 3, 3, 9, 9, 1, 3];
    for members in [vec![3u32], vec![3, 9], vec![1, 2, 3, 4, 5], vec![8; 4]] {
        let mut distinct = members.clone();
        distinct.dedup();
        assert_fair(&rebuild(&prev, &members), &distinct);
    }
}

#[test]
fn a_failed_gateway_moves_only_its_own_flows() {
    let all = rebuild(&[], &[1u32, 2, 3, 4]);
    let without_2 = rebuild(&all, &[1, 3, 4]);
    assert_eq!(without_2.len(), all.len());
    for (before, after) in all.iter().zip(&without_2) {
        if *before != 2 {
            assert_eq!(before, after);
        }
    }
    // Its return takes back exactly a fair share, from the others only.
    let back = rebuild(&without_2, &[1, 2, 3, 4]);
    assert_fair(&back, &[1, 2, 3, 4]);
    for (before, after) in without_2.iter().zip(&back) {
        assert!(before == after || *after == 2);
    }
}

#[test]
fn crossing_a_power_of_two_and_back_restores_the_table() {
    // 8 members fill 128 buckets; a ninth doubles the table; its removal folds back.
    let eight: Vec<u32> = (1..=8).collect();
    let nine: Vec<u32> = (1..=9).collect();
    let before = rebuild(&[], &eight);
    let grown = rebuild(&before, &nine);
    assert_eq!(grown.len(), 256);
    assert_fair(&grown, &nine);
    assert_eq!(moved_flows(&before, &grown, |m| m != 9), 28.0 / 256.0);
    assert_eq!(rebuild(&grown, &eight), before);
}

/// One add-or-remove step after another, over ids 0..16.
fn toggles() -> impl Strategy<Value = Vec<u32>> {
    prop::collection::vec(0u32..16, 1..48)
}

proptest! {
    #[test]
    fn membership_changes_stay_fair_and_resilient(steps in toggles()) {
        let mut members: Vec<u32> = Vec::new();
        let mut table: Vec<u32> = Vec::new();
        for id in steps {
            let joined = !members.contains(&id);
            if joined {
                members.push(id);
            } else {
                members.retain(|&m| m != id);
            }
            let next = rebuild(&table, &members);
            assert_fair(&next, &members);
            prop_assert_eq!(&next, &rebuild(&table, &members), "deterministic");
            if table.is_empty() || next.is_empty() {
                table = next;
                continue;
            }
            let k = members.len();
            if joined {
                // Nobody else's flows move, with or without a change of size.
                prop_assert!(moved_flows(&table, &next, |_| true)
                    <= next.len().div_ceil(k) as f64 / next.len() as f64);
                for h in 0..table.len().max(next.len()) as u32 {
                    let now = select(&next, h).unwrap();
                    prop_assert!(now == select(&table, h).unwrap() || now == id);
                }
            } else if next.len() == table.len() {
                for (before, after) in table.iter().zip(&next) {
                    if *before != id {
                        prop_assert_eq!(before, after);
                    }
                }
            } else {
                // A shrink folds two buckets into one: the flows of the one that lost the
                // vote move (half of all flows at worst, when every pair differs), and a
                // share more may move to rebalance.
                let share = next.len().div_ceil(k) as f64 / next.len() as f64;
                prop_assert!(moved_flows(&table, &next, |m| m != id) <= 0.5 + share);
            }
            table = next;
        }
    }

    #[test]
    fn leaving_and_coming_back_moves_about_one_kth(
        steps in toggles(),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut members: Vec<u32> = Vec::new();
        let mut start: Vec<u32> = Vec::new();
        for id in steps {
            if members.contains(&id) {
                members.retain(|&m| m != id);
            } else {
                members.push(id);
            }
            start = rebuild(&start, &members);
        }
        let k = members.len();
        if k < 2 {
            return Ok(());
        }
        let id = members[pick.index(k)];
        let others: Vec<u32> = members.iter().copied().filter(|&m| m != id).collect();
        let gone = rebuild(&start, &others);
        let back = rebuild(&gone, &members);
        assert_fair(&back, &members);
        let share = back.len().div_ceil(k) as f64 / back.len() as f64;
        let overall = moved_flows(&start, &back, |_| true);
        prop_assert!(moved_flows(&gone, &back, |_| true) <= share);
        if gone.len() == start.len() {
            // Its buckets went to the others and it took a share back: 2/k at most.
            prop_assert!(overall <= 2.0 * share);
        }
    }
}

// ---- flow hashes ----

const A: [u8; 4] = [192, 0, 2, 10];
const B: [u8; 4] = [198, 51, 100, 7];

fn ipv4(src: [u8; 4], dst: [u8; 4], protocol: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, protocol, 0, 0];
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

fn with_ports(src: [u8; 4], dst: [u8; 4], protocol: u8, sport: u16, dport: u16) -> Vec<u8> {
    let mut l4 = [0u8; 20];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    ipv4(src, dst, protocol, &l4)
}

const POLICIES: [HashPolicy; 3] = [HashPolicy::L3, HashPolicy::L4, HashPolicy::L3Inner];

use crate::rng::Rng;

trait RngExt {
    fn flow(&mut self) -> Vec<u8>;
}

impl RngExt for Rng {
    fn flow(&mut self) -> Vec<u8> {
        let r = self.next();
        let (s, d) = (r as u32, (r >> 32) as u32);
        let ports = self.next();
        with_ports(
            s.to_be_bytes(),
            d.to_be_bytes(),
            PROTO_TCP,
            ports as u16,
            (ports >> 16) as u16,
        )
    }
}

#[test]
fn policy_names_are_routeros_spellings() {
    for (name, policy) in [
        ("l3", HashPolicy::L3),
        ("l4", HashPolicy::L4),
        ("l3-inner", HashPolicy::L3Inner),
    ] {
        assert_eq!(name.parse::<HashPolicy>(), Ok(policy));
        assert_eq!(policy.to_string(), name);
    }
    assert_eq!(HashPolicy::default(), HashPolicy::L3);
    let err = "L4".parse::<HashPolicy>().unwrap_err();
    assert!(
        err.contains("'L4'") && err.contains("l3, l4 or l3-inner"),
        "{err}"
    );
}

#[test]
fn hashes_are_stable() {
    // Hard-coded: a change here re-balances every flow of every deployed router.
    // Recomputed independently from the steps in `flow_hash`'s documentation.
    let tcp = with_ports(A, B, PROTO_TCP, 40000, 443);
    assert_eq!(flow_hash(&tcp, HashPolicy::L3), 0x7fac_e72c);
    assert_eq!(flow_hash(&tcp, HashPolicy::L4), 0x5929_cc71);
    assert_eq!(flow_hash(&tcp, HashPolicy::L3Inner), 0x7fac_e72c);
    let ipip = ipv4(
        A,
        B,
        PROTO_IPIP,
        &ipv4([10, 1, 0, 5], [10, 2, 0, 9], 0, &[]),
    );
    assert_eq!(flow_hash(&ipip, HashPolicy::L3Inner), 0x4e8b_4576);
    assert_eq!(flow_hash(&[], HashPolicy::L4), 0);
}

#[test]
fn both_directions_hash_alike() {
    for (protocol, sport, dport) in [(PROTO_TCP, 40000, 443), (PROTO_UDP, 53, 53), (1, 0, 0)] {
        let there = with_ports(A, B, protocol, sport, dport);
        let back = with_ports(B, A, protocol, dport, sport);
        for policy in POLICIES {
            assert_eq!(flow_hash(&there, policy), flow_hash(&back, policy));
        }
    }
    // Same address at both ends: the ports alone are ordered.
    let there = with_ports(A, A, PROTO_UDP, 1000, 2000);
    let back = with_ports(A, A, PROTO_UDP, 2000, 1000);
    assert_eq!(
        flow_hash(&there, HashPolicy::L4),
        flow_hash(&back, HashPolicy::L4)
    );
}

#[test]
fn l4_tells_connections_between_the_same_hosts_apart() {
    let one = with_ports(A, B, PROTO_TCP, 40000, 443);
    let two = with_ports(A, B, PROTO_TCP, 40001, 443);
    assert_eq!(
        flow_hash(&one, HashPolicy::L3),
        flow_hash(&two, HashPolicy::L3)
    );
    assert_ne!(
        flow_hash(&one, HashPolicy::L4),
        flow_hash(&two, HashPolicy::L4)
    );
    assert_ne!(
        flow_hash(&one, HashPolicy::L4),
        flow_hash(&one, HashPolicy::L3)
    );
    // Swapped ports with the same address order are a different connection.
    let swapped = with_ports(A, B, PROTO_TCP, 443, 40000);
    assert_ne!(
        flow_hash(&one, HashPolicy::L4),
        flow_hash(&swapped, HashPolicy::L4)
    );
    // The protocol counts, even without ports.
    let udp = with_ports(A, B, PROTO_UDP, 40000, 443);
    assert_ne!(
        flow_hash(&one, HashPolicy::L4),
        flow_hash(&udp, HashPolicy::L4)
    );
}

#[test]
fn l4_without_readable_ports_uses_addresses_and_protocol() {
    let whole = with_ports(A, B, PROTO_UDP, 5000, 6000);
    let no_ports = flow_hash(&with_ports(A, B, PROTO_UDP, 0, 0), HashPolicy::L4);
    // Every fragment of the datagram, the first one included.
    for frag in [[0x20u8, 0], [0x00, 0x10], [0x20, 0x10]] {
        let mut p = whole.clone();
        p[6..8].copy_from_slice(&frag);
        assert_eq!(flow_hash(&p, HashPolicy::L4), no_ports);
    }
    // Cut short by the frame, or by the total length (the rest is Ethernet padding).
    assert_eq!(flow_hash(&whole[..23], HashPolicy::L4), no_ports);
    let mut padded = whole.clone();
    padded[2..4].copy_from_slice(&22u16.to_be_bytes());
    assert_eq!(flow_hash(&padded, HashPolicy::L4), no_ports);
    // A header length below 20 bytes leaves no trustworthy transport header.
    let mut bad_ihl = whole.clone();
    bad_ihl[0] = 0x44;
    assert_eq!(flow_hash(&bad_ihl, HashPolicy::L4), no_ports);
    // ICMP has no ports; ESP's SPI differs per direction and is not used.
    let esp = with_ports(A, B, 50, 0x1234, 0x5678);
    assert_eq!(
        flow_hash(&esp, HashPolicy::L4),
        flow_hash(&with_ports(A, B, 50, 0, 0), HashPolicy::L4)
    );
}

#[test]
fn header_options_move_the_ports() {
    let mut p = with_ports(A, B, PROTO_TCP, 40000, 443);
    p[0] = 0x46;
    p.splice(20..20, [1u8, 1, 1, 0]); // four bytes of NOP/EOL options
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    assert_eq!(
        flow_hash(&p, HashPolicy::L4),
        flow_hash(&with_ports(A, B, PROTO_TCP, 40000, 443), HashPolicy::L4)
    );
}

#[test]
fn icmp_errors_follow_the_flow_they_quote() {
    let original = with_ports(B, A, PROTO_UDP, 5000, 33434);
    let mut error = vec![11u8, 0, 0, 0, 0, 0, 0, 0]; // time exceeded
    error.extend_from_slice(&original[..28]);
    let router = [203, 0, 113, 1];
    let icmp = ipv4(router, A, PROTO_ICMP, &error);
    let flow = flow_hash(&original, HashPolicy::L3);
    assert_eq!(flow_hash(&icmp, HashPolicy::L3), flow);
    assert_eq!(flow_hash(&icmp, HashPolicy::L3Inner), flow);
    // An echo request is its own flow.
    let mut echo = error.clone();
    echo[0] = 8;
    let ping = ipv4(router, A, PROTO_ICMP, &echo);
    assert_eq!(
        flow_hash(&ping, HashPolicy::L3),
        flow_hash(&ipv4(router, A, 0, &[]), HashPolicy::L3)
    );
}

#[test]
fn l3_inner_hashes_what_tunnels_carry() {
    let (c, d) = ([10, 1, 0, 5], [10, 2, 0, 9]);
    let inner = with_ports(c, d, PROTO_TCP, 1, 2);
    let want = flow_hash(&inner, HashPolicy::L3);
    let outer_only = flow_hash(&ipv4(A, B, 0, &[]), HashPolicy::L3);
    assert_ne!(want, outer_only);

    let ipip = ipv4(A, B, PROTO_IPIP, &inner);
    assert_eq!(flow_hash(&ipip, HashPolicy::L3Inner), want);
    assert_eq!(flow_hash(&ipip, HashPolicy::L3), outer_only);

    // GRE with every combination of checksum, key and sequence words.
    for flags in 0u16..8 {
        let flags = (flags & 1) << 15 | (flags & 2) << 12 | (flags & 4) << 10;
        let mut gre = flags.to_be_bytes().to_vec();
        gre.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        gre.resize(4 + 4 * flags.count_ones() as usize, 0xee);
        gre.extend_from_slice(&inner);
        let packet = ipv4(A, B, PROTO_GRE, &gre);
        assert_eq!(
            flow_hash(&packet, HashPolicy::L3Inner),
            want,
            "flags {flags:#06x}"
        );
    }

    // Falls back to the outer addresses: another payload type, GRE version 1 (PPTP),
    // source routing, a truncated or non-IPv4 inner header, a fragment, another protocol.
    let gre = |flags: u16, ethertype: u16, inner: &[u8]| {
        let mut g = flags.to_be_bytes().to_vec();
        g.extend_from_slice(&ethertype.to_be_bytes());
        g.extend_from_slice(inner);
        ipv4(A, B, PROTO_GRE, &g)
    };
    let mut fragment = ipip.clone();
    fragment[6] = 0x20;
    let mut not_v4 = inner.clone();
    not_v4[0] = 0x65;
    for packet in [
        gre(0, 0x6558, &inner),
        gre(1, ETHERTYPE_IPV4, &inner),
        gre(GRE_ROUTING, ETHERTYPE_IPV4, &inner),
        gre(0, ETHERTYPE_IPV4, &inner[..19]),
        gre(GRE_KEY, ETHERTYPE_IPV4, &[]),
        ipv4(A, B, PROTO_IPIP, &not_v4),
        fragment,
        ipv4(A, B, PROTO_UDP, &inner),
    ] {
        assert_eq!(flow_hash(&packet, HashPolicy::L3Inner), outer_only);
    }
}

#[test]
fn short_or_foreign_buffers_hash_as_zero_addresses() {
    let zero = flow_hash(&[], HashPolicy::L3);
    for policy in POLICIES {
        assert_eq!(flow_hash(&[0x45; 19], policy), zero);
        assert_eq!(flow_hash(&[0x60; 40], policy), zero); // IPv6
    }
}

#[test]
fn flows_spread_evenly_over_any_member_count() {
    let mut rng = Rng(1);
    let flows: Vec<Vec<u8>> = (0..100_000).map(|_| rng.flow()).collect();
    for policy in POLICIES {
        let hashes: Vec<u32> = flows.iter().map(|f| flow_hash(f, policy)).collect();
        for n in 2..=16u32 {
            let mut bins = vec![0u32; n as usize];
            for h in &hashes {
                bins[(h % n) as usize] += 1;
            }
            let fair = 100_000.0 / f64::from(n);
            for (i, &count) in bins.iter().enumerate() {
                let off = (f64::from(count) - fair).abs() / fair;
                assert!(off < 0.05, "{policy}: bin {i} of {n} has {count}");
            }
        }
    }
}

#[test]
fn ports_alone_spread_flows_between_two_hosts() {
    // One client, one server, many connections: the case l4 exists for.
    let table = rebuild(&[], &[1u32, 2, 3, 4]);
    let mut per_member = [0u32; 5];
    for sport in 0..40_000u16 {
        let p = with_ports(A, B, PROTO_TCP, 10_000 + sport, 443);
        per_member[select(&table, flow_hash(&p, HashPolicy::L4)).unwrap() as usize] += 1;
    }
    for &count in &per_member[1..] {
        assert!(
            (f64::from(count) - 10_000.0).abs() < 500.0,
            "{per_member:?}"
        );
    }
}

#[test]
fn a_bucket_table_of_four_spreads_evenly() {
    let table = rebuild(&[], &[1u32, 2, 3, 4]);
    let mut rng = Rng(2);
    for policy in [HashPolicy::L3, HashPolicy::L4] {
        let mut per_member = [0u32; 5];
        for _ in 0..100_000 {
            let m = select(&table, flow_hash(&rng.flow(), policy)).unwrap();
            per_member[m as usize] += 1;
        }
        for &count in &per_member[1..] {
            assert!(
                (f64::from(count) - 25_000.0).abs() < 1250.0,
                "{per_member:?}"
            );
        }
    }
}

/// An IPv4 header with chosen protocol, header length and flags, then any bytes.
fn header_then_junk() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..16,
        prop::sample::select(vec![1u8, 4, 6, 17, 47, 50, 132]),
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(|(ihl, protocol, total, frag, rest)| {
            let mut p = ipv4(A, B, protocol, &[]);
            p[0] = 0x40 | ihl;
            p[2..4].copy_from_slice(&total.to_be_bytes());
            p[6..8].copy_from_slice(&(frag & 0x3fff).to_be_bytes());
            p.extend_from_slice(&rest);
            p
        })
}

proptest! {
    #[test]
    fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        for policy in POLICIES {
            flow_hash(&bytes, policy);
        }
    }

    #[test]
    fn never_panics_past_a_plausible_header(packet in header_then_junk()) {
        for policy in POLICIES {
            flow_hash(&packet, policy);
            for cut in [0, 19, 20, 21, 23, 24, 27, 28] {
                flow_hash(&packet[..cut.min(packet.len())], policy);
            }
        }
    }

    #[test]
    fn symmetric_for_any_flow(
        src in any::<u32>(),
        dst in any::<u32>(),
        sport in any::<u16>(),
        dport in any::<u16>(),
        protocol in prop::sample::select(vec![PROTO_TCP, PROTO_UDP, PROTO_SCTP, 1, 47]),
    ) {
        let there = with_ports(src.to_be_bytes(), dst.to_be_bytes(), protocol, sport, dport);
        let back = with_ports(dst.to_be_bytes(), src.to_be_bytes(), protocol, dport, sport);
        for policy in POLICIES {
            prop_assert_eq!(flow_hash(&there, policy), flow_hash(&back, policy));
        }
    }
}
