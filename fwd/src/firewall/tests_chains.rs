//! Jumps, returns, srcnat decisions and compile errors.

use super::tests::*;
use super::*;
use crate::packet::ipv4::PROTO_UDP;

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
    // A jump to a chain without rules (yet) returns at once, as in RouterOS.
    let s = compile(
        &[
            "chain=prerouting action=jump jump-target=later",
            "chain=prerouting action=mark-packet new-packet-mark=after",
        ],
        &[],
    );
    let mut m = lan_packet(1);
    assert_eq!(s.run(Hook::Prerouting, &mut m), vec![0, 1]);
    assert_eq!(s.packet.name(m.packet_mark), Some("after"));
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
    assert_eq!(s.rules.srcnat(&m), SrcNat::Masquerade { ports: None });
    m.key.dst = ip("10.1.1.1");
    assert_eq!(s.rules.srcnat(&m), SrcNat::None);
    assert_eq!(RuleSet::empty().srcnat(&m), SrcNat::None);
    assert!(!RuleSet::empty().has_nat());
}

#[test]
fn masquerade_takes_to_ports_as_routeros_does() {
    let s = compile(
        &[],
        &[
            "chain=srcnat action=masquerade out-interface=ether1 to-ports=10000-20000",
            "chain=srcnat action=masquerade out-interface=ether2 to-ports=5000",
        ],
    );
    let mut m = lan_packet(1);
    m.out_port = ETHER1;
    assert_eq!(
        s.rules.srcnat(&m),
        SrcNat::Masquerade {
            ports: Some((10000, 20000))
        }
    );
    m.out_port = ETHER2;
    assert_eq!(
        s.rules.srcnat(&m),
        SrcNat::Masquerade {
            ports: Some((5000, 5000))
        }
    );
}

#[test]
fn to_ports_never_translates_to_port_0() {
    // A range from 0 starts at 1; port 0 alone is refused (below).
    let s = compile(
        &[],
        &[
            "chain=srcnat action=masquerade out-interface=ether1 to-ports=0-100",
            "chain=srcnat action=src-nat to-addresses=203.0.113.2 to-ports=0-65535",
        ],
    );
    let mut m = lan_packet(1);
    m.out_port = ETHER1;
    assert_eq!(
        s.rules.srcnat(&m),
        SrcNat::Masquerade {
            ports: Some((1, 100))
        }
    );
    m.out_port = ETHER2;
    assert_eq!(
        s.rules.srcnat(&m),
        SrcNat::To {
            addr: ip("203.0.113.2"),
            ports: Some((1, 65535))
        }
    );
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
            &["chain=srcnat action=masquerade to-ports=0"],
            "/ip/firewall/nat[0].to-ports: port 0 cannot be translated to",
        ),
        (
            &[],
            &["chain=srcnat action=src-nat to-addresses=203.0.113.2 to-ports=0"],
            "/ip/firewall/nat[0].to-ports: port 0 cannot be translated to",
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
