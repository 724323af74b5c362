//! The compiled rule set on sample packets.

use super::*;
use crate::packet::ipv4::{PROTO_TCP, PROTO_UDP};

const BRIDGE: u16 = 0;
const ETHER1: u16 = 1;
const ETHER2: u16 = 2;

fn items<T: Item>(rules: &[&str]) -> Vec<T> {
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

fn port_of(name: &str) -> Option<u16> {
    ["bridge", "ether1", "ether2"]
        .iter()
        .position(|n| *n == name)
        .map(|p| p as u16)
}

fn table_of(name: &str) -> Option<u8> {
    ["to_wan1", "to_wan2"]
        .iter()
        .position(|n| *n == name)
        .map(|p| p as u8 + 1)
}

struct Set {
    rules: RuleSet,
    conn: Marks,
    packet: Marks,
}

fn try_compile(mangle: &[&str], nat: &[&str]) -> Result<Set, String> {
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

fn compile(mangle: &[&str], nat: &[&str]) -> Set {
    try_compile(mangle, nat).unwrap_or_else(|e| panic!("{e}"))
}

fn ip(s: &str) -> u32 {
    s.parse::<std::net::Ipv4Addr>().unwrap().into()
}

/// A new TCP packet from the LAN to the internet.
fn lan_packet(sport: u16) -> Meta {
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
    fn run(&self, hook: Hook, m: &mut Meta) -> Vec<usize> {
        let mut hits = vec![0; self.rules.mangle_len()];
        self.rules.mangle(hook, m, &mut hits);
        hits.iter()
            .enumerate()
            .filter(|(_, h)| **h > 0)
            .map(|(i, _)| i)
            .collect()
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

#[test]
fn jump_and_return() {
    let s = compile(
        &[
            "chain=prerouting action=jump jump-target=lan in-interface=bridge",
            "chain=prerouting action=mark-packet new-packet-mark=after",
            "chain=lan action=return protocol=udp",
            "chain=lan action=mark-connection new-connection-mark=from_lan",
            "chain=lan action=return",
            "chain=lan action=mark-connection new-connection-mark=never",
            "chain=output action=return",
            "chain=output action=mark-packet new-packet-mark=never",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    // The user chain returns to the rule after the jump.
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0, 1, 3, 4]);
    assert_eq!(s.conn.name(m.conn_mark), Some("from_lan"));
    assert_eq!(s.packet.name(m.packet_mark), Some("after"));
    // Return in a built-in chain ends it.
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Output, &mut m), vec![6]);
    assert_eq!(m.packet_mark, 0);
    // Accept in a user chain ends the built-in chain too.
    let s = compile(
        &[
            "chain=prerouting action=jump jump-target=x",
            "chain=prerouting action=mark-packet new-packet-mark=never",
            "chain=x action=accept",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0, 2]);
    assert_eq!(s.rules.mangle_chains(), vec!["prerouting", "x"]);
}

#[test]
fn jump_loops_and_bad_jumps_are_rejected() {
    let e = try_compile(
        &[
            "chain=prerouting action=jump jump-target=a",
            "chain=a action=jump jump-target=b",
            "chain=b action=jump jump-target=a",
        ],
        &[],
    )
    .err()
    .unwrap();
    assert!(
        e.starts_with("/ip/firewall/mangle[")
            && e.contains("jump-target: jumping to 'a' makes a loop"),
        "{e}"
    );
    let e = try_compile(&["chain=a action=jump jump-target=a"], &[])
        .err()
        .unwrap();
    assert!(e.contains("loop"), "{e}");
    // A disabled jump does not close the loop.
    assert!(try_compile(
        &[
            "chain=a action=jump jump-target=b",
            "chain=b action=jump jump-target=a disabled=yes"
        ],
        &[]
    )
    .is_ok());
    let e = try_compile(&["chain=prerouting action=jump"], &[])
        .err()
        .unwrap();
    assert_eq!(
        e,
        "/ip/firewall/mangle[0].jump-target: action=jump needs jump-target"
    );
    let e = try_compile(
        &[
            "chain=output action=passthrough",
            "chain=a action=jump jump-target=output",
        ],
        &[],
    )
    .err()
    .unwrap();
    assert!(
        e.starts_with("/ip/firewall/mangle[1].jump-target: cannot jump to the built-in chain"),
        "{e}"
    );
    let chain: Vec<String> = (0..20)
        .map(|i| format!("chain=c{i} action=jump jump-target=c{}", i + 1))
        .chain(["chain=c20 action=accept".to_string()])
        .collect();
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    assert!(try_compile(&chain, &[]).err().unwrap().contains("nest"));
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
        assert_eq!(s.rules.srcnat(&m), SrcNat::Masquerade);
    }
    m.out_port = BRIDGE;
    assert_eq!(s.rules.srcnat(&m), SrcNat::None);
}

#[test]
fn srcnat_first_decisive_rule_wins() {
    let s = compile(
        &[],
        &[
            "chain=srcnat action=passthrough",
            "chain=srcnat action=accept dst-address=10.0.0.0/8",
            "chain=srcnat action=jump jump-target=wan1 out-interface=ether1",
            "chain=srcnat action=masquerade out-interface-list=WAN",
            "chain=wan1 action=return protocol=udp",
            "chain=wan1 action=src-nat to-addresses=203.0.113.2 to-ports=20000-29999",
            "chain=dstnat action=accept",
        ],
    );
    let mut m = lan_packet(1);
    m.out_port = ETHER1;
    assert_eq!(
        s.rules.srcnat(&m),
        SrcNat::To {
            addr: ip("203.0.113.2"),
            ports: Some((20000, 29999))
        }
    );
    m.key.proto = PROTO_UDP;
    assert_eq!(s.rules.srcnat(&m), SrcNat::Masquerade);
    m.key.dst = ip("10.1.1.1");
    assert_eq!(s.rules.srcnat(&m), SrcNat::None);
    assert_eq!(RuleSet::empty().srcnat(&m), SrcNat::None);
    assert!(!RuleSet::empty().has_nat());
}

#[test]
fn compile_errors_name_the_rule_and_property() {
    for (mangle, nat, says) in [
        (
            &["chain=forward action=mark-routing new-routing-mark=to_wan1"][..],
            &[][..],
            "/ip/firewall/mangle[0].action: mark-routing works only",
        ),
        (
            &["chain=prerouting action=mark-routing new-routing-mark=to_wan3"],
            &[],
            "/ip/firewall/mangle[0].new-routing-mark: no routing table named 'to_wan3'",
        ),
        (
            &["chain=prerouting in-interface=ether3"],
            &[],
            "/ip/firewall/mangle[0].in-interface: no interface named 'ether3'",
        ),
        (
            &["chain=prerouting out-interface-list=DMZ"],
            &[],
            "/ip/firewall/mangle[0].out-interface-list: no interface list named 'DMZ'",
        ),
        (
            &["chain=prerouting protocol=icmp dst-port=1"],
            &[],
            "/ip/firewall/mangle[0].dst-port: dst-port needs protocol=tcp",
        ),
        (
            &[],
            &["chain=srcnat action=masquerade to-addresses=1.2.3.4"],
            "/ip/firewall/nat[0].to-addresses: masquerade uses",
        ),
        (
            &[],
            &["chain=dstnat action=masquerade"],
            "/ip/firewall/nat[0].action: action=masquerade works only in srcnat",
        ),
        (
            &[],
            &["chain=srcnat action=accept to-ports=80"],
            "/ip/firewall/nat[0].to-ports: action=accept takes no to-ports",
        ),
    ] {
        let e = try_compile(mangle, nat)
            .err()
            .unwrap_or_else(|| panic!("accepted: {mangle:?} {nat:?}"));
        assert!(e.starts_with(says), "{e}\nshould start with {says}");
    }
}

#[test]
fn marks_keep_their_ids_across_recompiles() {
    let mut conn = Marks::new();
    let mut packet = Marks::new();
    let r = Resolver {
        port_of: &port_of,
        table_of: &table_of,
    };
    let a: Vec<MangleItem> = items(&[
        "chain=prerouting action=mark-connection new-connection-mark=x",
        "chain=prerouting connection-mark=y",
    ]);
    RuleSet::compile(&a, &[], &[], &[], &r, &mut conn, &mut packet).unwrap();
    let b: Vec<MangleItem> = items(&["chain=prerouting connection-mark=y"]);
    RuleSet::compile(&b, &[], &[], &[], &r, &mut conn, &mut packet).unwrap();
    assert_eq!((conn.lookup("x"), conn.lookup("y")), (Some(1), Some(2)));
    assert_eq!(conn.name(0), None);
    assert_eq!(conn.len(), 2);
}
