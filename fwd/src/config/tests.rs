use super::*;
use crate::net::{Ipv4Interface, Ipv4Prefix, MacAddr};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

const EXAMPLE: &str = r#"dpdk:
  eal-args: ["--no-huge", "-m", "512"]   # extra EAL arguments
  workers: 1
  mbufs: 16383
api:
  socket: /run/wanfwd/api.sock
  group: netadmin
metrics:
  listen: 127.0.0.1:9417
/interface/ethernet:
  - name: bridge
    device: net_af_packet0,iface=wf-lan      # a PCI address or a DPDK vdev string
  - { name: ether1, device: "net_af_packet1,iface=wf-isp1", mtu: 1500, mac-address: "02:00:00:00:01:01", comment: "ISP1" }
  - { name: ether2, device: "net_af_packet2,iface=wf-isp2", disabled: no }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1, comment: WAN1 }
  - { address: 198.51.100.2/24, interface: ether2 }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, check-gateway: ping }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10 }
  - { dst-address: 203.0.113.1/32, gateway: "203.0.113.1%ether1", scope: 10, target-scope: 20 }
  - { dst-address: 10.0.0.0/8, gateway: "203.0.113.1,198.51.100.1" }      # ECMP
  - { dst-address: 172.16.0.0/12, gateway: ether2 }                          # interface gateway
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:00:01", interface: ether1 }
"#;

/// Two interfaces for the error tests to refer to.
const IFACES: &str = "\
/interface/ethernet:
  - { name: ether1, device: d1 }
  - { name: ether2, device: d2 }
";

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn route(dst: &str, gateway: Vec<Gateway>) -> RouteItem {
    RouteItem {
        dst_address: dst.parse().unwrap(),
        gateway,
        distance: 1,
        scope: 30,
        target_scope: 10,
        check_gateway: CheckGateway::None,
        routing_table: "main".into(),
        comment: None,
        disabled: false,
    }
}

#[test]
fn example_parses_to_the_expected_values() {
    let cfg = Config::from_yaml_str(EXAMPLE, "example.yaml").unwrap();
    assert_eq!(
        cfg.dpdk,
        DpdkSection {
            eal_args: vec!["--no-huge".into(), "-m".into(), "512".into()],
            workers: Workers::Count(1),
            mbufs: Some(16383),
            mbuf_size: None,
        }
    );
    assert_eq!(
        cfg.api,
        ApiSection {
            socket: PathBuf::from("/run/wanfwd/api.sock"),
            group: Some("netadmin".into()),
        }
    );
    assert_eq!(
        cfg.metrics.listen,
        "127.0.0.1:9417".parse::<SocketAddr>().unwrap()
    );

    assert_eq!(
        cfg.interfaces,
        vec![
            EthernetItem {
                name: "bridge".into(),
                device: "net_af_packet0,iface=wf-lan".into(),
                mtu: 1500,
                mac_address: None,
                comment: None,
                disabled: false,
            },
            EthernetItem {
                name: "ether1".into(),
                device: "net_af_packet1,iface=wf-isp1".into(),
                mtu: 1500,
                mac_address: Some(MacAddr([2, 0, 0, 0, 1, 1])),
                comment: Some("ISP1".into()),
                disabled: false,
            },
            EthernetItem {
                name: "ether2".into(),
                device: "net_af_packet2,iface=wf-isp2".into(),
                mtu: 1500,
                mac_address: None,
                comment: None,
                disabled: false,
            },
        ]
    );
    assert_eq!(
        cfg.interface("ether2").unwrap().device,
        "net_af_packet2,iface=wf-isp2"
    );
    assert!(cfg.interface("ether9").is_none());

    assert_eq!(cfg.addresses.len(), 3);
    assert_eq!(
        cfg.addresses[1],
        AddressItem {
            address: Ipv4Interface {
                addr: ip("203.0.113.2"),
                len: 24
            },
            network: None,
            interface: "ether1".into(),
            comment: Some("WAN1".into()),
            disabled: false,
        }
    );

    let mut r0 = route("0.0.0.0/0", vec![Gateway::Address(ip("203.0.113.1"))]);
    r0.check_gateway = CheckGateway::Ping;
    let mut r1 = route("0.0.0.0/0", vec![Gateway::Address(ip("198.51.100.1"))]);
    r1.distance = 10;
    let mut r2 = route(
        "203.0.113.1/32",
        vec![Gateway::AddressOnInterface(
            ip("203.0.113.1"),
            "ether1".into(),
        )],
    );
    r2.scope = 10;
    r2.target_scope = 20;
    let r3 = route(
        "10.0.0.0/8",
        vec![
            Gateway::Address(ip("203.0.113.1")),
            Gateway::Address(ip("198.51.100.1")),
        ],
    );
    let r4 = route("172.16.0.0/12", vec![Gateway::Interface("ether2".into())]);
    assert_eq!(cfg.routes, vec![r0, r1, r2, r3, r4]);
    assert_eq!(
        Gateway::format_list(&cfg.routes[3].gateway),
        "203.0.113.1,198.51.100.1"
    );
    assert_eq!(cfg.routes[2].gateway[0].to_string(), "203.0.113.1%ether1");

    assert_eq!(
        cfg.arp,
        vec![ArpItem {
            address: ip("203.0.113.1"),
            mac_address: MacAddr([2, 0, 0, 0, 0, 1]),
            interface: "ether1".into(),
            comment: None,
            disabled: false,
        }]
    );
}

#[test]
fn defaults_fill_what_is_left_out() {
    let text = format!(
            "{IFACES}/ip/route:\n  - gateway: 203.0.113.1\n/ip/address:\n  - address: 10.0.0.1\n    interface: ether1\n    network: 10.0.0.2\n"
        );
    let cfg = Config::from_yaml_str(&text, "t.yaml").unwrap();
    assert_eq!(cfg.dpdk, DpdkSection::default());
    assert_eq!(cfg.dpdk.workers, Workers::Count(1));
    assert_eq!(cfg.dpdk.mbufs, None);
    assert!(cfg.dpdk.eal_args.is_empty());
    assert_eq!(cfg.api.socket, PathBuf::from("/run/wanfwd/api.sock"));
    assert_eq!(cfg.api.group, None);
    assert_eq!(cfg.metrics.listen.to_string(), "127.0.0.1:9417");
    assert_eq!(cfg.interfaces[0].mtu, 1500);
    assert_eq!(
        cfg.routes,
        vec![route(
            "0.0.0.0/0",
            vec![Gateway::Address(ip("203.0.113.1"))]
        )]
    );
    assert_eq!(
        cfg.routes[0].dst_address,
        Ipv4Prefix::new(Ipv4Addr::UNSPECIFIED, 0).unwrap()
    );
    assert_eq!(cfg.addresses[0].address.len, 32);
    assert_eq!(cfg.addresses[0].network, Some(ip("10.0.0.2")));
}

#[test]
fn alternative_spellings_are_accepted() {
    let text = format!(
            "dpdk:\n  workers: [1, 2]\n  eal-args: [-m, 512]\n{IFACES}\
/ip/route:\n  - {{ gateway: [203.0.113.1, ether2], distance: \"5\", disabled: true, routing-table: isp1, check-gateway: arp }}\n\
/routing/table:\n  - {{ name: isp1, fib }}\n\
/ip/arp:\n  - {{ address: 203.0.113.1, mac-address: 02-00-00-00-00-01, interface: ether1, disabled: yes, comment: 42 }}\n"
        );
    let cfg = Config::from_yaml_str(&text, "t.yaml").unwrap();
    assert_eq!(cfg.dpdk.workers, Workers::Cores(vec![1, 2]));
    assert_eq!(cfg.dpdk.eal_args, vec!["-m", "512"]);
    let r = &cfg.routes[0];
    assert_eq!(
        r.gateway,
        vec![
            Gateway::Address(ip("203.0.113.1")),
            Gateway::Interface("ether2".into())
        ]
    );
    assert_eq!(
        (r.distance, r.disabled, r.check_gateway),
        (5, true, CheckGateway::Arp)
    );
    assert_eq!(r.routing_table, "isp1");
    assert!(cfg.routing_table("isp1").unwrap().fib);
    assert!(cfg.arp[0].disabled);
    assert_eq!(cfg.arp[0].comment.as_deref(), Some("42"));
}

#[test]
fn empty_files_give_an_empty_valid_config() {
    for text in [
        "",
        "\n",
        "# nothing yet\n",
        "dpdk:\n",
        "dpdk:\n/ip/route:\n",
        "dpdk: ~\n",
    ] {
        let cfg = Config::from_yaml_str(text, "t.yaml").unwrap();
        assert_eq!(cfg, Config::default(), "{text:?}");
        assert!(cfg.interfaces.is_empty());
    }
}

/// The 1-based line of the only line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(n, _)| n + 1)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "needle {needle:?} must be on exactly one line"
    );
    found[0]
}

pub(super) fn error(text: &str) -> ConfigError {
    match Config::from_yaml_str(text, "lab.yaml") {
        Ok(cfg) => panic!("accepted:\n{text}\nas {cfg:?}"),
        Err(e) => e,
    }
}

/// Asserts the error is on the line holding `needle`, names `path`, and says `says`.
#[track_caller]
pub(super) fn assert_error(text: &str, needle: &str, path: &str, says: &str) -> ConfigError {
    let e = error(text);
    assert_eq!(e.line(), Some(line_of(text, needle)), "line of: {e}");
    assert_eq!(e.path(), path, "path of: {e}");
    assert!(
        e.message().contains(says),
        "message of: {e}\nshould say: {says}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("lab.yaml:{}:", line_of(text, needle))),
        "{e}"
    );
    e
}

#[test]
fn unknown_section_lists_the_supported_ones() {
    let text = format!("{IFACES}/ip/firewall/filter:\n  - {{ chain: forward }}\n");
    let e = assert_error(&text, "filter", "", "unknown section '/ip/firewall/filter'");
    assert_eq!(e.column(), Some(1));
    for s in SECTIONS {
        assert!(e.message().contains(s), "{e}");
    }
    let e = error("ip:\n  route: []\n");
    assert!(e.message().contains("e.g. '/ip/address'"), "{e}");
    let e = error("/ip route:\n  - { gateway: 1.2.3.4 }\n");
    assert!(e.message().contains("did you mean '/ip/route'?"), "{e}");
}

#[test]
fn repeated_section_is_refused() {
    let text =
        format!("{IFACES}/ip/route: []\ndpdk: {{}}\n/ip/route:\n  - {{ gateway: ether1 }}\n");
    let e = error(&text);
    assert_eq!(e.line(), Some(6), "{e}");
    assert!(e.message().contains("'/ip/route' appears twice"), "{e}");
}

#[test]
fn unknown_properties() {
    let text = format!("{IFACES}/ip/route:\n  - {{ gateway: ether1, pref-src: 1.2.3.4 }}\n");
    let e = assert_error(
        &text,
        "pref-src",
        "/ip/route[0].pref-src",
        "unknown property 'pref-src'",
    );
    assert_eq!(e.column(), Some(24));
    assert!(
        e.message().contains("dst-address"),
        "lists the known ones: {e}"
    );

    let text = format!("{IFACES}/ip/address:\n  - address: 10.0.0.1/24\n    interface: ether1\n    broadcast: 10.0.0.255\n");
    assert_error(
        &text,
        "broadcast",
        "/ip/address[0].broadcast",
        "unknown property 'broadcast'",
    );

    let text = "dpdk:\n  cores: 3\n";
    assert_error(text, "cores", "dpdk.cores", "unknown property 'cores'");
}

#[test]
fn bad_values_are_placed_on_their_line() {
    let cases: &[(&str, &str, &str, &str)] = &[
            // (item in its section, line needle, path, message)
            ("/ip/address:\n  - { address: 192.168.1.300/24, interface: ether1 }\n",
             "300", "/ip/address[0].address", "invalid IPv4 address"),
            ("/ip/address:\n  - { address: 192.168.1.1/33, interface: ether1 }\n",
             "/33", "/ip/address[0].address", "prefix length"),
            ("/ip/route:\n  - { gateway: ether1 }\n  - dst-address: 10.0.0.0/33\n    gateway: ether1\n",
             "/33", "/ip/route[1].dst-address", "33"),
            ("/ip/route:\n  - { gateway: ether1, distance: 0 }\n",
             "distance", "/ip/route[0].distance", "distance must be from 1 to 255, not 0"),
            ("/ip/route:\n  - gateway: ether1\n    distance: 256\n",
             "256", "/ip/route[0].distance", "not 256"),
            ("/ip/route:\n  - gateway: ether1\n    scope: -1\n",
             "scope", "/ip/route[0].scope", "scope must be"),
            ("/ip/route:\n  - gateway: ether1\n    target-scope: many\n",
             "many", "/ip/route[0].target-scope", "a number from 0 to 255"),
            ("/ip/route:\n  - { gateway: ether1, check-gateway: bogus }\n",
             "bogus", "/ip/route[0].check-gateway", "invalid check-gateway 'bogus'"),
            ("/ip/route:\n  - { gateway: \"203.0.113.1,,ether2\" }\n",
             "gateway", "/ip/route[0].gateway", "empty gateway"),
            ("/ip/route:\n  - { gateway: 203.0.113.256 }\n",
             "gateway", "/ip/route[0].gateway", "invalid gateway '203.0.113.256'"),
            ("/ip/route:\n  - { gateway: \"x%ether1\" }\n",
             "gateway", "/ip/route[0].gateway", "'x' is not an IPv4 address"),
            ("/ip/route:\n  - gateway: [203.0.113.1, 1.2.3]\n",
             "gateway", "/ip/route[0].gateway[1]", "invalid gateway '1.2.3'"),
            ("/ip/route:\n  - ether1\n",
             "- ether1", "/ip/route[0]", "expected a map of properties"),
            ("/ip/route:\n  - { dst-address: 10.0.0.0/8 }\n",
             "10.0.0.0/8", "/ip/route[0]", "missing required property 'gateway'"),
            ("/ip/route:\n  - { gateway: ether1, distance: 2, distance: 3 }\n",
             "distance", "/ip/route[0].distance", "given twice"),
            ("/ip/arp:\n  - { address: 203.0.113.1, mac-address: \"02:00:00:00:00\", interface: ether1 }\n",
             "02:00", "/ip/arp[0].mac-address", "invalid MAC address"),
            ("/ip/arp:\n  - address: 203.0.113\n    mac-address: 02:00:00:00:00:01\n    interface: ether1\n",
             "203.0.113", "/ip/arp[0].address", "invalid IPv4 address '203.0.113'"),
            ("/ip/arp:\n  - { address: 203.0.113.1, mac-address: 02:00:00:00:00:01, interface: ether1, disabled: maybe }\n",
             "maybe", "/ip/arp[0].disabled", "expected yes or no"),
            ("/interface/ethernet:\n  - { name: ether3, device: d3, mac-address: \"zz:00:00:00:00:01\" }\n",
             "zz", "/interface/ethernet[0].mac-address", "invalid MAC address"),
            ("/interface/ethernet:\n  - { name: ether3, device: d3, mac-address: \"01:00:5e:00:00:01\" }\n",
             "01:00:5e", "/interface/ethernet[0].mac-address", "unicast"),
            ("/interface/ethernet:\n  - name: ether3\n    device: d3\n    mtu: 9001\n",
             "9001", "/interface/ethernet[0].mtu", "mtu must be from 68 to 9000"),
            ("/interface/ethernet:\n  - name: \"\"\n    device: d3\n",
             "name", "/interface/ethernet[0].name", "interface name is empty"),
            ("/interface/ethernet:\n  - name: ether3\n    device: \"\"\n",
             "device", "/interface/ethernet[0].device", "device"),
        ];
    for (body, needle, path, says) in cases {
        // The interfaces go after the body, so that the body's lines keep their numbers.
        let text = if body.starts_with(ETHERNET) {
            body.to_string()
        } else {
            format!("{body}{IFACES}")
        };
        assert_error(&text, needle, path, says);
    }
}

#[test]
fn bad_wanfwd_sections() {
    assert_error(
        "dpdk:\n  workers: 0\n",
        "workers",
        "dpdk.workers",
        "at least 1",
    );
    assert_error(
        "dpdk:\n  workers: [1, 1]\n",
        "workers",
        "dpdk.workers",
        "core 1 is listed twice",
    );
    assert_error(
        "dpdk:\n  mbufs: 100\n",
        "mbufs",
        "dpdk.mbufs",
        "from 1024 to 16777215",
    );
    assert_error(
        "dpdk:\n  eal-args: --no-huge\n",
        "eal-args",
        "dpdk.eal-args",
        "expected a sequence",
    );
    assert_error(
        "api:\n  socket: \"\"\n",
        "socket",
        "api.socket",
        "socket path is empty",
    );
    assert_error(
        "metrics:\n  listen: localhost\n",
        "listen",
        "metrics.listen",
        "invalid socket address 'localhost'",
    );
}

#[test]
fn mbuf_size_is_taken_and_sizes_the_pool_buffers() {
    let text = format!("dpdk:\n  mbuf-size: 256\n{IFACES}");
    // 1500-byte MTUs (the default) do not fit in 256 bytes: the interfaces say 114.
    let text = text.replace("device: d1 }", "device: d1, mtu: 114 }");
    let text = text.replace("device: d2 }", "device: d2, mtu: 100 }");
    let cfg = Config::from_yaml_str(&text, "t.yaml").unwrap();
    assert_eq!(cfg.dpdk.mbuf_size, Some(256));
    assert_eq!(cfg.dpdk.mbuf_size([114, 100].into_iter()), 256);
    // The YAML export keeps it.
    let yaml = cfg.to_yaml("/").unwrap();
    assert!(yaml.contains("mbuf-size: 256"), "{yaml}");
    assert_eq!(Config::from_yaml_str(&yaml, "again.yaml").unwrap(), cfg);
}

#[test]
fn mbuf_size_left_out_fits_the_largest_mtu() {
    let d = DpdkSection::default();
    assert_eq!(d.mbuf_size, None);
    assert_eq!(
        d.mbuf_size([1500, 1280].into_iter()),
        2176,
        "DPDK's default"
    );
    assert_eq!(d.mbuf_size(std::iter::empty()), 2176);
    // 128 of headroom + 14 of Ethernet header + 9000.
    assert_eq!(d.mbuf_size([1500, 9000].into_iter()), 9142);
    assert_eq!(mbuf_size_for_mtu(1500), 1642);
}

#[test]
fn mbuf_size_out_of_range_or_too_small_for_an_mtu_is_refused() {
    let e = error("dpdk:\n  mbuf-size: 255\n");
    assert!(
        e.to_string()
            .ends_with("dpdk.mbuf-size: mbuf-size must be from 256 to 65535, not 255"),
        "{e}"
    );
    for bad in ["255", "65536", "0", "big"] {
        let text = format!("dpdk:\n  mbuf-size: {bad}\n");
        assert_error(&text, "mbuf-size", "dpdk.mbuf-size", "from 256 to 65535");
    }
    // In range, but the default MTU of ether2 (1500) needs 1642 bytes.
    let text = "dpdk:\n  mbuf-size: 1641\n/interface/ethernet:\n  - { name: ether1, device: d1, mtu: 1400 }\n  - { name: ether2, device: d2 }\n".to_string();
    let e = assert_error(
        &text,
        "ether2",
        "/interface/ethernet[1].mtu",
        "mtu 1500 does not fit in dpdk.mbuf-size 1641: a frame of 1514 bytes needs an mbuf-size of at least 1642",
    );
    assert!(
        e.message().contains("raise mbuf-size or lower the mtu"),
        "{e}"
    );
    // Exactly enough passes; a disabled interface is not checked.
    let ok = text.replace("1641", "1642");
    assert!(Config::from_yaml_str(&ok, "t.yaml").is_ok());
    let ok = text.replace("device: d2 }", "device: d2, disabled: yes }");
    assert!(Config::from_yaml_str(&ok, "t.yaml").is_ok());
}

#[test]
fn dangling_interface_references() {
    let text = format!(
            "{IFACES}/ip/address:\n  - {{ address: 203.0.113.2/24, interface: ether1 }}\n  - address: 198.51.100.2/24\n    comment: \"interface: ether1\"\n    interface: ether9\n"
        );
    let e = assert_error(
        &text,
        "interface: ether9",
        "/ip/address[1].interface",
        "no interface named 'ether9' in /interface/ethernet",
    );
    assert_eq!(e.column(), Some(5));
    assert_eq!(
            e.to_string(),
            "lab.yaml:8:5: /ip/address[1].interface: no interface named 'ether9' in /interface/ethernet"
        );

    let text = format!("{IFACES}/ip/arp:\n  - {{ address: 203.0.113.1, mac-address: 02:00:00:00:00:01, interface: ether7 }}\n");
    assert_error(
        &text,
        "ether7",
        "/ip/arp[0].interface",
        "no interface named 'ether7'",
    );

    let text = format!("/ip/route:\n  - {{ gateway: ether1 }}\n  - {{ dst-address: 203.0.113.1/32, gateway: \"203.0.113.1%ether5\" }}\n{IFACES}");
    assert_error(
        &text,
        "ether5",
        "/ip/route[1].gateway",
        "no interface named 'ether5'",
    );

    let text = format!("{IFACES}/ip/route:\n  - dst-address: 172.16.0.0/12\n    gateway: \"198.51.100.1,ether3\"\n");
    assert_error(
        &text,
        "ether3",
        "/ip/route[0].gateway",
        "no interface named 'ether3'",
    );
}

#[test]
fn duplicates() {
    let text = "/interface/ethernet:\n  - name: ether1\n    device: d1\n  - name: ether1\n    device: d2\n";
    let e = error(text);
    assert_eq!((e.line(), e.column()), (Some(4), Some(5)), "{e}");
    assert_eq!(e.path(), "/interface/ethernet[1].name");
    assert!(
        e.message()
            .contains("interface 'ether1' is already defined at /interface/ethernet[0]"),
        "{e}"
    );

    let text = "/interface/ethernet:\n  - { name: ether1, device: d1 }\n  - { name: ether2, device: d1 }\n";
    let e = error(text);
    assert_eq!((e.line(), e.column()), (Some(3), Some(21)), "{e}");
    assert!(
        e.message()
            .contains("device 'd1' is already used by interface 'ether1'"),
        "{e}"
    );

    let text = format!("{IFACES}/ip/arp:\n  - {{ address: 203.0.113.1, mac-address: 02:00:00:00:00:01, interface: ether1 }}\n  - {{ address: 203.0.113.1, mac-address: 02:00:00:00:00:02, interface: ether1 }}\n");
    let e = assert_error(
        &text,
        "00:02",
        "/ip/arp[1].address",
        "already defined at /ip/arp[0]",
    );
    assert_eq!(e.column(), Some(7));
}

#[test]
fn yaml_syntax_errors_have_a_position() {
    let text = "/ip/route:\n  - { gateway: ether1\n/ip/arp: []\n";
    let e = error(text);
    assert!(e.line().is_some(), "{e}");
    assert!(e.message().starts_with("invalid YAML: "), "{e}");
    assert!(
        !e.message().contains(&format!("line {}", e.line().unwrap())),
        "position stays out of the message: {e}"
    );

    let text = "/ip/route:\n  - gateway: ether1\n bad: indent\n";
    let e = error(text);
    assert_eq!(e.line(), Some(3), "{e}");
    assert_eq!(e.path(), "");

    let e = error("- just\n- a list\n");
    assert!(e.message().contains("a map of sections"), "{e}");
}

/// The guide's policy-routing set-up, with the settings menus.
const POLICY: &str = r#"/interface/ethernet:
  - { name: ether1, device: d1 }
  - { name: ether2, device: d2 }
/routing/table:
  - { name: to_wan1, fib }
  - { name: to_wan2, fib: yes, comment: "ISP2 marked traffic" }
  - name: lab
    fib: no
    disabled: yes
/routing/settings:
  check-gateway-ping-interval: 1m30s
  check-gateway-ping-timeout: 500ms
  check-gateway-ping-count: 5
  check-gateway-restore-count: 2
/ip/settings:
  ecmp-hash-policy: l4
/ip/route:
  - { gateway: 203.0.113.1, routing-table: to_wan1, check-gateway: ping }
  - { gateway: 198.51.100.1, routing-table: to_wan2, check-gateway: ping }
  - { gateway: 203.0.113.1, distance: 1, check-gateway: ping, routing-table: main }
  - { dst-address: 10.0.0.0/8, gateway: "203.0.113.1%ether1", routing-table: lab, check-gateway: arp }
  - { dst-address: 172.16.0.0/12, gateway: "ether2,198.51.100.1", check-gateway: ping }
"#;

#[test]
fn routing_tables_and_settings_parse() {
    let cfg = Config::from_yaml_str(POLICY, "policy.yaml").unwrap();
    assert_eq!(
        cfg.routing_tables,
        vec![
            RoutingTableItem {
                name: "to_wan1".into(),
                fib: true,
                comment: None,
                disabled: false,
            },
            RoutingTableItem {
                name: "to_wan2".into(),
                fib: true,
                comment: Some("ISP2 marked traffic".into()),
                disabled: false,
            },
            RoutingTableItem {
                name: "lab".into(),
                fib: false,
                comment: None,
                disabled: true,
            },
        ]
    );
    assert_eq!(
        cfg.routing_settings,
        RoutingSettings {
            ping_interval: Duration::from_secs(90),
            ping_timeout: Duration::from_millis(500),
            ping_count: 5,
            restore_count: 2,
        }
    );
    assert_eq!(cfg.ip_settings.ecmp_hash_policy, EcmpHashPolicy::L4);
    let tables: Vec<&str> = cfg
        .routes
        .iter()
        .map(|r| r.routing_table.as_str())
        .collect();
    assert_eq!(tables, ["to_wan1", "to_wan2", "main", "lab", "main"]);
    assert_eq!(cfg.routing_table("lab").map(|t| t.fib), Some(false));
    assert!(cfg.routing_table(MAIN_TABLE).is_none());
    assert_eq!(cfg.routes[3].check_gateway, CheckGateway::Arp);
}

#[test]
fn settings_default_to_routeros_values() {
    let defaults = RoutingSettings {
        ping_interval: Duration::from_secs(10),
        ping_timeout: Duration::from_secs(1),
        ping_count: 3,
        restore_count: 1,
    };
    assert_eq!(RoutingSettings::default(), defaults);
    for text in [
        "",
        "/routing/settings:\n",
        "/routing/settings: {}\n/ip/settings: {}\n/routing/table: []\n",
        "/ip/settings:\n/routing/table:\n",
    ] {
        let cfg = Config::from_yaml_str(text, "t.yaml").unwrap();
        assert_eq!(cfg.routing_settings, defaults, "{text:?}");
        assert_eq!(cfg.ip_settings.ecmp_hash_policy, EcmpHashPolicy::L3);
        assert!(cfg.routing_tables.is_empty());
    }
    // One property given, the others left to their defaults.
    let cfg = Config::from_yaml_str(
        "/routing/settings:\n  check-gateway-restore-count: \"4\"\n",
        "t.yaml",
    )
    .unwrap();
    assert_eq!(
        cfg.routing_settings,
        RoutingSettings {
            restore_count: 4,
            ..defaults
        }
    );
    // A table added without `fib` only holds routes.
    let cfg = Config::from_yaml_str("/routing/table:\n  - name: t\n", "t.yaml").unwrap();
    assert!(!cfg.routing_tables[0].fib);
    assert!(!cfg.routing_tables[0].disabled);
}

#[test]
fn settings_accept_every_time_spelling_within_range() {
    for (interval, timeout, want_interval, want_timeout) in [
        ("10", "1", 10_000, 1000),
        ("100ms", "1ms", 100, 1),
        ("10m", "1s", 600_000, 1000),
        ("0.5", "0.25", 500, 250),
        ("\"1m30s\"", "\"00:00:01\"", 90_000, 1000),
        ("1m0s0ms", "999ms", 60_000, 999),
    ] {
        let text = format!(
                "/routing/settings:\n  check-gateway-ping-interval: {interval}\n  check-gateway-ping-timeout: {timeout}\n"
            );
        let interval = Duration::from_millis(want_interval);
        let cfg = Config::from_yaml_str(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.routing_settings.ping_interval, interval, "{text}");
        assert_eq!(
            cfg.routing_settings.ping_timeout,
            Duration::from_millis(want_timeout),
            "{text}"
        );
    }
    let cfg =
        Config::from_yaml_str("/ip/settings:\n  ecmp-hash-policy: l3-inner\n", "t.yaml").unwrap();
    assert_eq!(cfg.ip_settings.ecmp_hash_policy, EcmpHashPolicy::L3Inner);
}

#[test]
fn bad_routing_tables() {
    let e = assert_error(
        "/routing/table:\n  - { name: to_wan1, fib }\n  - { name: main, fib }\n",
        "main",
        "/routing/table[1].name",
        "routing table 'main' always exists and cannot be added",
    );
    assert_eq!(e.column(), Some(13));
    assert_error(
        "/routing/table:\n  - name: \"\"\n    fib: yes\n",
        "name",
        "/routing/table[0].name",
        "routing table name is empty",
    );
    assert_error(
        "/routing/table:\n  - { fib: yes }\n",
        "fib",
        "/routing/table[0]",
        "missing required property 'name'",
    );
    assert_error(
        "/routing/table:\n  - { name: t, fib: maybe }\n",
        "maybe",
        "/routing/table[0].fib",
        "invalid value 'maybe' (expected yes or no)",
    );
    assert_error(
        "/routing/table:\n  - name: t\n    vrf: red\n",
        "vrf",
        "/routing/table[0].vrf",
        "unknown property 'vrf'",
    );
    let e = assert_error(
            "/routing/table:\n  - { name: to_wan1, fib }\n  - { name: to_wan2, fib }\n  - name: to_wan1\n    comment: again\n",
            "  - name: to_wan1",
            "/routing/table[2].name",
            "routing table 'to_wan1' is already defined at /routing/table[0]",
        );
    assert_eq!(e.column(), Some(5));
    assert_eq!(
            e.to_string(),
            "lab.yaml:4:5: /routing/table[2].name: routing table 'to_wan1' is already defined at /routing/table[0]"
        );
}

#[test]
fn bad_settings() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // (text, line needle, path, message)
        (
            "/routing/settings:\n  check-gateway-ping-interval: 50ms\n",
            "50ms",
            "/routing/settings.check-gateway-ping-interval",
            "check-gateway-ping-interval must be from 100ms to 10m, not 50ms",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-interval: 11m\n",
            "11m",
            "/routing/settings.check-gateway-ping-interval",
            "not 11m",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-interval: 601\n",
            "601",
            "/routing/settings.check-gateway-ping-interval",
            "from 100ms to 10m, not 601",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-interval: 10x\n",
            "10x",
            "/routing/settings.check-gateway-ping-interval",
            "invalid time '10x': unknown unit 'x'",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-interval: -1\n",
            "-1",
            "/routing/settings.check-gateway-ping-interval",
            "cannot be negative",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-interval: [10s]\n",
            "[10s]",
            "/routing/settings.check-gateway-ping-interval",
            "expected a time from 100ms to 10m",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-timeout: 2s\n",
            "2s",
            "/routing/settings.check-gateway-ping-timeout",
            "check-gateway-ping-timeout must be from 1ms to 1s, not 2s",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-timeout: 0\n",
            "timeout",
            "/routing/settings.check-gateway-ping-timeout",
            "not 0",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-timeout: 500us\n",
            "500us",
            "/routing/settings.check-gateway-ping-timeout",
            "not 500us",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-count: 0\n",
            "count",
            "/routing/settings.check-gateway-ping-count",
            "check-gateway-ping-count must be from 1 to 100, not 0",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-count: 101\n",
            "101",
            "/routing/settings.check-gateway-ping-count",
            "not 101",
        ),
        (
            "/routing/settings:\n  check-gateway-restore-count: 0\n",
            "restore",
            "/routing/settings.check-gateway-restore-count",
            "check-gateway-restore-count must be from 1 to 100, not 0",
        ),
        (
            "/routing/settings:\n  check-gateway-restore-count: twice\n",
            "twice",
            "/routing/settings.check-gateway-restore-count",
            "a number from 1 to 100",
        ),
        (
            "/routing/settings:\n  check-gateway-ping-count: 3\n  check-gateway-ping-retries: 3\n",
            "retries",
            "/routing/settings.check-gateway-ping-retries",
            "unknown property 'check-gateway-ping-retries'",
        ),
        (
            "/routing/settings:\n  - check-gateway-ping-count: 3\n",
            "- check",
            "/routing/settings",
            "expected a map of properties",
        ),
        (
            "/ip/settings:\n  ecmp-hash-policy: l5\n",
            "l5",
            "/ip/settings.ecmp-hash-policy",
            "invalid ecmp-hash-policy 'l5' (expected l3, l4 or l3-inner)",
        ),
        (
            "/ip/settings:\n  ecmp-hash-policy: l4\n  rp-filter: strict\n",
            "rp-filter",
            "/ip/settings.rp-filter",
            "unknown property 'rp-filter'",
        ),
    ];
    for (text, needle, path, says) in cases {
        assert_error(text, needle, path, says);
    }
    let e = error("/routing/settings:\n  check-gateway-ping-interval: 50ms\n");
    assert_eq!(
            e.to_string(),
            "lab.yaml:2:32: /routing/settings.check-gateway-ping-interval: check-gateway-ping-interval must be from 100ms to 10m, not 50ms"
        );
    let e = error("/routing/settings:\n  check-gateway-ping-retries: 3\n");
    assert!(
        e.message().contains("check-gateway-restore-count"),
        "lists the known ones: {e}"
    );
}

#[test]
fn routes_name_an_existing_table() {
    let text = format!(
            "/routing/table:\n  - {{ name: to_wan1, fib }}\n/ip/route:\n  - {{ gateway: 203.0.113.1, routing-table: to_wan1 }}\n  - gateway: 198.51.100.1\n    distance: 10\n    routing-table: to_wan2\n{IFACES}"
        );
    let e = assert_error(
        &text,
        "to_wan2",
        "/ip/route[1].routing-table",
        "no routing table named 'to_wan2'; add it to /routing/table",
    );
    assert_eq!(e.column(), Some(5));

    // Without any /routing/table, and on a disabled route too.
    let text = format!(
        "{IFACES}/ip/route:\n  - {{ gateway: ether1, disabled: yes, routing-table: Main }}\n"
    );
    assert_error(
        &text,
        "Main",
        "/ip/route[0].routing-table",
        "no routing table named 'Main'",
    );

    // A disabled table, or one without fib, is still a table routes can name.
    let text = format!("{IFACES}/routing/table:\n  - {{ name: spare, disabled: yes }}\n/ip/route:\n  - {{ gateway: ether1, routing-table: spare }}\n");
    assert!(Config::from_yaml_str(&text, "t.yaml").is_ok());
}

#[test]
fn check_gateway_needs_an_address() {
    let text = format!(
            "/ip/route:\n  - {{ gateway: 203.0.113.1, check-gateway: ping }}\n  - {{ dst-address: 10.0.0.0/8, gateway: ether1, check-gateway: arp }}\n{IFACES}"
        );
    let e = assert_error(
        &text,
        "arp",
        "/ip/route[1].check-gateway",
        "check-gateway needs a gateway address",
    );
    assert!(e.message().contains("'ether1' has only interfaces"), "{e}");

    let text = format!("{IFACES}/ip/route:\n  - gateway: [ether1, ether2]\n    disabled: yes\n    check-gateway: ping\n");
    assert_error(
        &text,
        "check-gateway",
        "/ip/route[0].check-gateway",
        "check-gateway needs a gateway address, and 'ether1,ether2' has only interfaces",
    );

    // One address among the gateways is enough, and `none` asks for nothing.
    let text = format!("{IFACES}/ip/route:\n  - {{ gateway: \"ether1,203.0.113.1\", check-gateway: ping }}\n  - {{ gateway: ether2, check-gateway: none }}\n");
    assert!(Config::from_yaml_str(&text, "t.yaml").is_ok());
}

#[test]
fn near_misses_of_the_new_sections() {
    let e = error("routing:\n  table: []\n");
    assert!(e.message().contains("e.g. '/routing/table'"), "{e}");
    let e = error("/routing settings:\n  check-gateway-ping-count: 3\n");
    assert!(
        e.message().contains("did you mean '/routing/settings'?"),
        "{e}"
    );
    let e = error("/routing/tables:\n  - { name: t }\n");
    assert!(
        e.message().contains("unknown section '/routing/tables'"),
        "{e}"
    );
    let e = error("/routing/table: []\n/routing/table: []\n");
    assert!(e.message().contains("appears twice"), "{e}");
}

#[test]
fn load_reads_the_file_and_names_it() {
    let dir = std::env::temp_dir().join(format!("wanfwd-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, EXAMPLE).unwrap();
    assert_eq!(Config::load(&good).unwrap().routes.len(), 5);

    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "/ip/routes: []\n").unwrap();
    let e = Config::load(&bad).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:1:1: unknown section", bad.display())),
        "{e}"
    );

    let missing = dir.join("missing.yaml");
    let e = Config::load(&missing).unwrap_err();
    assert_eq!(e.line(), None);
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot read", missing.display())),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn split_path_recognises_paths_only() {
    assert_eq!(
        split_path("/ip/route[2].gateway: bad: thing"),
        ("/ip/route[2].gateway", "bad: thing")
    );
    assert_eq!(split_path("dpdk.workers[0]: x"), ("dpdk.workers[0]", "x"));
    assert_eq!(split_path("dpdk: x"), ("dpdk", "x"));
    assert_eq!(split_path("dpdkx: y"), ("", "dpdkx: y"));
    assert_eq!(
        split_path("unknown section 'a: b'"),
        ("", "unknown section 'a: b'")
    );
}
