//! The compiled rule set on sample packets.

use super::*;
use crate::packet::ipv4::{PROTO_TCP, PROTO_UDP};

pub(super) const BRIDGE: u16 = 0;
pub(super) const ETHER1: u16 = 1;
pub(super) const ETHER2: u16 = 2;

pub(super) fn items<T: Item>(rules: &[&str]) -> Vec<T> {
    rules
        .iter()
        .map(|text| {
            let mut it = T::default();
            for kv in text.split_whitespace() {
                let (k, v) = kv.split_once('=').unwrap();
                it.set(k, v).unwrap_or_else(|e| panic!("{kv}: {e}"));
            }
            it
        })
        .collect()
}

pub(super) fn port_of(name: &str) -> Option<u16> {
    ["bridge", "ether1", "ether2"]
        .iter()
        .position(|n| *n == name)
        .map(|p| p as u16)
}

pub(super) fn table_of(name: &str) -> Option<u8> {
    ["to_wan1", "to_wan2"]
        .iter()
        .position(|n| *n == name)
        .map(|p| p as u8 + 1)
}

pub(super) struct Set {
    pub(super) rules: RuleSet,
    pub(super) conn: Marks,
    pub(super) packet: Marks,
}

pub(super) fn try_compile(mangle: &[&str], nat: &[&str]) -> Result<Set, String> {
    let lists: Vec<InterfaceListItem> = items(&["name=WAN", "name=LAN"]);
    let members: Vec<InterfaceListMemberItem> = items(&[
        "list=WAN interface=ether1",
        "list=WAN interface=ether2",
        "list=LAN interface=bridge",
    ]);
    let r = Resolver {
        port_of: &port_of,
        table_of: &table_of,
    };
    let mut conn = Marks::new();
    let mut packet = Marks::new();
    let rules = RuleSet::compile(
        &items(mangle),
        &items(nat),
        &lists,
        &members,
        &r,
        &mut conn,
        &mut packet,
    )?;
    Ok(Set {
        rules,
        conn,
        packet,
    })
}

pub(super) fn compile(mangle: &[&str], nat: &[&str]) -> Set {
    try_compile(mangle, nat).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn ip(s: &str) -> u32 {
    s.parse::<std::net::Ipv4Addr>().unwrap().into()
}

/// A new TCP packet from the LAN to the internet.
pub(super) fn lan_packet(sport: u16) -> Meta {
    Meta {
        in_port: BRIDGE,
        key: FlowKey {
            src: ip("192.168.1.10"),
            dst: ip("8.8.8.8"),
            sport,
            dport: 443,
            proto: PROTO_TCP,
        },
        src_type: ADDR_UNICAST,
        dst_type: ADDR_UNICAST,
        ..Meta::default()
    }
}

impl Set {
    /// Runs the prerouting chain; returns which rules matched.
    pub(super) fn run(&self, hook: Hook, m: &mut Meta) -> Vec<usize> {
        let mut counts = vec![[0; 2]; self.rules.mangle_len()];
        let mut matched = super::Matched::default();
        self.rules.mangle(
            hook,
            m,
            &mut super::Hits::new(&mut counts, 60, &mut matched),
        );
        let counted: Vec<usize> = counts
            .iter()
            .enumerate()
            .filter(|(_, h)| h[0] > 0)
            .map(|(i, _)| i)
            .collect();
        let mut listed: Vec<usize> = matched.items().iter().map(|&i| usize::from(i)).collect();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(counted, listed, "what is counted is listed");
        counted
    }

    fn matches(&self, rule: &str, m: &Meta) -> bool {
        let _ = rule;
        let mut m = *m;
        !self.run(Hook::Prerouting, &mut m).is_empty()
    }
}

/// Whether a prerouting rule with just `matcher` matches `m`.
fn one(matcher: &str, m: &Meta) -> bool {
    compile(
        &[&format!("chain=prerouting action=passthrough {matcher}")],
        &[],
    )
    .matches(matcher, m)
}

#[test]
fn each_matcher_matches_and_negates() {
    let mut m = lan_packet(40000);
    m.out_port = ETHER2;
    m.conn_mark = 0;
    m.routing_mark = 1;
    m.state = ConnState::Established;
    m.dst_type = ADDR_UNICAST;
    m.src_type = ADDR_UNICAST;
    for (yes, no) in [
        ("in-interface=bridge", "in-interface=ether1"),
        ("out-interface=ether2", "out-interface=!ether2"),
        ("in-interface-list=LAN", "in-interface-list=WAN"),
        ("out-interface-list=WAN", "out-interface-list=!WAN"),
        ("in-interface-list=all", "in-interface-list=none"),
        ("src-address=192.168.1.0/24", "src-address=!192.168.1.0/24"),
        ("dst-address=8.8.8.8", "dst-address=8.8.4.4"),
        ("dst-address=!10.0.0.0/8", "dst-address=128.0.0.0/1"),
        ("protocol=tcp", "protocol=udp"),
        ("protocol=!17", "protocol=!tcp"),
        ("protocol=tcp dst-port=80,443", "protocol=tcp dst-port=!443"),
        (
            "protocol=tcp src-port=30000-50000",
            "protocol=tcp src-port=1-1023",
        ),
        ("connection-state=new,established", "connection-state=new"),
        ("connection-state=!invalid", "connection-state=!established"),
        ("connection-mark=no-mark", "connection-mark=!no-mark"),
        ("connection-mark=!wan1_conn", "connection-mark=wan1_conn"),
        ("packet-mark=no-mark", "packet-mark=p1"),
        ("routing-mark=to_wan1", "routing-mark=main"),
        ("routing-mark=!to_wan2", "routing-mark=!to_wan1"),
        ("dst-address-type=!local", "dst-address-type=local"),
        (
            "src-address-type=unicast,local",
            "src-address-type=broadcast,multicast",
        ),
    ] {
        assert!(one(yes, &m), "{yes} should match");
        assert!(!one(no, &m), "{no} should not match");
    }
    // PCC: exactly one of the remainders, and the negation is the others.
    for d in [1u32, 2, 3, 7, 16] {
        let hit: Vec<u32> = (0..d)
            .filter(|r| {
                one(
                    &format!("per-connection-classifier=both-addresses-and-ports:{d}/{r}"),
                    &m,
                )
            })
            .collect();
        assert_eq!(hit.len(), 1, "{d}");
        let neg = (0..d)
            .filter(|r| {
                one(
                    &format!("per-connection-classifier=!both-addresses-and-ports:{d}/{r}"),
                    &m,
                )
            })
            .count();
        assert_eq!(neg as u32, d - 1);
    }
    // No out-interface yet: out-interface matchers fail, their negations pass.
    m.out_port = NO_PORT;
    assert!(!one("out-interface-list=WAN", &m));
    assert!(one("out-interface-list=!WAN", &m));
    assert!(!one("out-interface=ether1", &m));
}

#[test]
fn marks_are_set_and_interned() {
    let s = compile(
        &[
            "chain=prerouting action=mark-connection new-connection-mark=c1",
            "chain=prerouting action=mark-packet new-packet-mark=p1",
            "chain=prerouting action=mark-routing new-routing-mark=to_wan2",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0, 1, 2]);
    assert_eq!(s.conn.name(m.conn_mark), Some("c1"));
    assert_eq!(s.packet.name(m.packet_mark), Some("p1"));
    assert_eq!(m.routing_mark, 2);
    assert_eq!(s.conn.lookup("c1"), Some(1));
    assert!(s.rules.has_mangle(Hook::Prerouting));
    assert!(!s.rules.has_mangle(Hook::Forward));
    assert!(!s.rules.has_nat());
}

#[test]
fn passthrough_no_and_accept_stop_the_chain() {
    let s = compile(
        &[
            "chain=prerouting action=mark-connection new-connection-mark=a passthrough=no",
            "chain=prerouting action=mark-connection new-connection-mark=b",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0]);
    assert_eq!(s.conn.name(m.conn_mark), Some("a"));

    let s = compile(
        &[
            "chain=prerouting action=passthrough",
            "chain=prerouting action=accept protocol=udp",
            "chain=prerouting action=accept protocol=tcp",
            "chain=prerouting action=mark-packet new-packet-mark=x",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0, 2]);
    assert_eq!(m.packet_mark, 0);
}

#[test]
fn disabled_rules_are_skipped() {
    let s = compile(
        &["chain=prerouting action=mark-packet new-packet-mark=x disabled=yes"],
        &[],
    );
    let mut m = lan_packet(1);
    assert!(s.run(Hook::Prerouting, &mut m).is_empty());
    assert_eq!(m.packet_mark, 0);
    assert!(!s.rules.has_mangle(Hook::Prerouting));
}

/// The guide's six PCC rules.
const PCC: [&str; 6] = [
    "chain=prerouting in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/0 action=mark-connection new-connection-mark=wan1_conn passthrough=yes",
    "chain=prerouting in-interface=bridge connection-state=new dst-address-type=!local per-connection-classifier=both-addresses-and-ports:2/1 action=mark-connection new-connection-mark=wan2_conn passthrough=yes",
    "chain=prerouting in-interface=bridge connection-mark=wan1_conn action=mark-routing new-routing-mark=to_wan1 passthrough=no",
    "chain=prerouting in-interface=bridge connection-mark=wan2_conn action=mark-routing new-routing-mark=to_wan2 passthrough=no",
    "chain=output connection-mark=wan1_conn action=mark-routing new-routing-mark=to_wan1 passthrough=no",
    "chain=output connection-mark=wan2_conn action=mark-routing new-routing-mark=to_wan2 passthrough=no",
];

#[test]
fn the_guides_pcc_rules() {
    let s = compile(&PCC, &[]);
    let (wan1, wan2) = (
        s.conn.lookup("wan1_conn").unwrap(),
        s.conn.lookup("wan2_conn").unwrap(),
    );
    let mut seen = [0; 2];
    for sport in 40000..40200 {
        let mut m = lan_packet(sport);
        let hit = s.run(Hook::Prerouting, &mut m);
        // On the same pass: the connection mark by PCC, then the routing mark from it.
        let class = classify(PccFields::BothAddressesAndPorts, &m.key) % 2;
        if class == 0 {
            assert_eq!((m.conn_mark, m.routing_mark, hit), (wan1, 1, vec![0, 2]));
        } else {
            assert_eq!((m.conn_mark, m.routing_mark, hit), (wan2, 2, vec![1, 3]));
        }
        seen[class as usize] += 1;
        // Later packets of the connection: established, the mark restored from conntrack.
        let mut later = lan_packet(sport);
        later.state = ConnState::Established;
        later.conn_mark = m.conn_mark;
        s.run(Hook::Prerouting, &mut later);
        assert_eq!(later.routing_mark, m.routing_mark);
    }
    assert!(seen[0] > 60 && seen[1] > 60, "{seen:?}");

    // To the router itself: no mark.
    let mut m = lan_packet(40000);
    m.key.dst = ip("192.168.1.1");
    m.dst_type = ADDR_LOCAL | ADDR_UNICAST;
    assert!(s.run(Hook::Prerouting, &mut m).is_empty());
    assert_eq!((m.conn_mark, m.routing_mark), (0, 0));
    // From a WAN: no mark.
    let mut m = lan_packet(40000);
    m.in_port = ETHER1;
    assert!(s.run(Hook::Prerouting, &mut m).is_empty());

    // Router-originated traffic of a marked connection.
    let mut m = Meta {
        in_port: NO_PORT,
        conn_mark: wan2,
        key: FlowKey {
            src: ip("203.0.113.2"),
            dst: ip("1.1.1.1"),
            sport: 5353,
            dport: 53,
            proto: PROTO_UDP,
        },
        ..Meta::default()
    };
    assert_eq!(s.run(Hook::Output, &mut m), vec![5]);
    assert_eq!(m.routing_mark, 2);
    let mut m = Meta {
        in_port: NO_PORT,
        ..Meta::default()
    };
    assert!(s.run(Hook::Output, &mut m).is_empty());
    assert_eq!(m.routing_mark, 0);
}

#[test]
fn masquerade_on_the_wan_list() {
    let s = compile(
        &PCC,
        &["chain=srcnat out-interface-list=WAN action=masquerade"],
    );
    assert!(s.rules.has_nat());
    let mut m = lan_packet(1);
    for wan in [ETHER1, ETHER2] {
        m.out_port = wan;
        assert_eq!(s.rules.srcnat(&m), SrcNat::Masquerade { ports: None });
    }
    m.out_port = BRIDGE;
    assert_eq!(s.rules.srcnat(&m), SrcNat::None);
}

/// Rules compiled again from the same items (a comment aside) decide as before: the
/// control core then keeps them, and their counters; any other change is new rules.
#[test]
fn the_same_rules_are_recognised_whatever_their_version() {
    let mangle = [
        "chain=prerouting in-interface=bridge action=mark-connection new-connection-mark=a",
        "chain=prerouting connection-mark=a action=mark-routing new-routing-mark=to_wan1",
    ];
    let nat = ["chain=srcnat out-interface-list=WAN action=masquerade"];
    let mut a = compile(&mangle, &nat).rules;
    a.set_version(3);
    assert_eq!(a.version(), 3);
    let commented = [
        mangle[0],
        "chain=prerouting connection-mark=a action=mark-routing new-routing-mark=to_wan1 comment=x",
    ];
    assert!(a.same_rules(&compile(&commented, &nat).rules));
    let changed = [
        mangle[0],
        "chain=prerouting connection-mark=a action=mark-routing new-routing-mark=to_wan2",
    ];
    assert!(!a.same_rules(&compile(&changed, &nat).rules));
    let disabled = [mangle[0], &format!("{} disabled=yes", mangle[1])];
    assert!(!a.same_rules(&compile(&disabled, &nat).rules));
    assert!(!a.same_rules(&compile(&mangle, &[]).rules));
}
