//! The YAML export: every configuration reads back as the same `Config`, and what is left
//! at its default is left out.

use super::*;

/// A configuration with a value off its default in every section, netwatch scripts with
/// quotes, escapes and several lines, and values YAML could misread (`!local`, digits,
/// `yes`). Shared with the command export's tests.
pub(crate) const EVERYTHING: &str = r#"
dpdk:
  eal-args: ["--file-prefix", "wf-t", "-l", "0-2"]
  workers: [1, 2]
  mbufs: 65535
  mbuf-size: 9216
api: { socket: /tmp/wf-t/api.sock, group: wanfwd }
metrics: { listen: "127.0.0.1:19999" }
/interface/ethernet:
  - { name: bridge, device: "0000:03:00.0", comment: "LAN side" }
  - { name: ether1, device: "net_af_packet1,iface=wfr-isp1", mtu: 9000, mac-address: "02:00:00:00:00:02" }
  - { name: ether2, device: "net_af_packet2,iface=wfr-isp2" }
  - { name: ether3, device: "net_null0", disabled: yes }
/interface/list:
  - { name: WAN, comment: "uplinks" }
  - { name: LAN }
/interface/list/member:
  - { list: WAN, interface: ether1 }
  - { list: WAN, interface: ether2, comment: "007" }
  - { list: LAN, interface: bridge, disabled: yes }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1, comment: "ISP1 #1" }
  - { address: 198.51.100.2/32, network: 198.51.100.1, interface: ether2 }
  - { address: 10.9.9.1/24, interface: ether3, disabled: yes }
/ip/route:
  - { gateway: 203.0.113.1, check-gateway: ping, comment: "wan1-default" }
  - { dst-address: 0.0.0.0/0, gateway: 198.51.100.1, distance: 10, routing-table: to_wan2 }
  - { dst-address: 203.0.113.1/32, gateway: "203.0.113.1%ether1", scope: 10, target-scope: 20 }
  - { dst-address: 10.10.0.0/16, gateway: "203.0.113.1,198.51.100.1", disabled: yes }
  - { dst-address: 10.20.0.0/16, gateway: "198.51.100.1%ether2", check-gateway: arp }
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1, comment: gw }
/ip/settings: { ecmp-hash-policy: l4 }
/routing/table:
  - { name: to_wan1, fib }
  - { name: to_wan2, fib, comment: "42" }
  - { name: spare, disabled: yes }
/routing/settings:
  check-gateway-ping-interval: 2s
  check-gateway-ping-count: 2
/ip/firewall/mangle:
  - chain: prerouting
    in-interface: bridge
    connection-state: new
    dst-address-type: "!local"
    per-connection-classifier: both-addresses-and-ports:2/0
    action: mark-connection
    new-connection-mark: wan1_conn
  - { chain: prerouting, connection-mark: wan1_conn, action: mark-routing, new-routing-mark: to_wan1, passthrough: no }
  # A user chain before the jump to it: the interpreter checks each command's rules.
  - { chain: web, action: return, disabled: yes }
  - { chain: prerouting, protocol: tcp, dst-port: "80,443", action: jump, jump-target: web, comment: "to web" }
/ip/firewall/nat:
  - { chain: srcnat, out-interface-list: WAN, action: masquerade }
  - { chain: srcnat, out-interface: ether2, action: src-nat, to-addresses: 198.51.100.2, to-ports: 1024-65535 }
  - { chain: srcnat, out-interface: ether1, protocol: udp, action: masquerade, to-ports: 10000-20000 }
/ip/firewall/connection/tracking:
  udp-timeout: 10s
  tcp-established-timeout: 1h
  max-entries: 50000
/tool/netwatch:
  - host: 192.0.2.10
    interval: 1s
    timeout: 500ms
    gateway: 203.0.113.1
    comment: "wan1 upstream"
    up-script: |
      :log info "WAN1 upstream UP"
      /ip/route enable [find comment="wan1-default"]
    down-script: "/ip route set [find comment=\"wan1-default\"] distance=20;\t:log warning \"down \\$1\""
  - { host: 192.0.2.20, disabled: yes, up-script: ":put yes" }
"#;

fn parse(text: &str) -> Config {
    Config::from_yaml_str(text, "t.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn round_trip(text: &str) {
    let cfg = parse(text);
    let yaml = cfg.to_yaml("/").unwrap();
    let again = Config::from_yaml_str(&yaml, "export.yaml")
        .unwrap_or_else(|e| panic!("the export does not load: {e}\n{yaml}"));
    assert_eq!(again, cfg, "{yaml}");
    // Writing the reloaded configuration changes nothing more.
    assert_eq!(again.to_yaml("/").unwrap(), yaml);
}

#[test]
fn every_section_round_trips() {
    round_trip(EVERYTHING);
}

#[test]
fn the_example_configurations_round_trip() {
    for text in [
        include_str!("../../../configs/pcc.yaml"),
        include_str!("../../../configs/anchors.yaml"),
        include_str!("../../../configs/ecmp.yaml"),
        include_str!("../../../configs/failover-distance.yaml"),
        include_str!("../../../configs/testbed.yaml"),
        include_str!("../../../configs/bench-pcap.yaml"),
    ] {
        round_trip(text);
    }
}

#[test]
fn an_empty_configuration_writes_wanfwds_sections_only() {
    let yaml = Config::default().to_yaml("/").unwrap();
    assert_eq!(
        yaml,
        "dpdk:\n  eal-args: []\n  workers: 1\napi:\n  socket: /run/wanfwd/api.sock\nmetrics:\n  listen: 127.0.0.1:9417\n"
    );
    assert_eq!(parse(&yaml), Config::default());
}

#[test]
fn defaults_are_left_out() {
    let cfg = parse(
        "/ip/route:\n  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1, distance: 1, scope: 30, target-scope: 10, routing-table: main, check-gateway: none, disabled: no }\n/routing/table:\n  - { name: t, fib: no }\n/ip/settings: { ecmp-hash-policy: l3 }\n/ip/firewall/connection/tracking: { udp-timeout: 30s, enabled: auto }\n/ip/firewall/mangle:\n  - { chain: forward, action: mark-packet, new-packet-mark: p, passthrough: yes }\n",
    );
    let yaml = cfg.to_yaml("/").unwrap();
    let menus = yaml.split_once("/ip/route:").unwrap().1;
    assert_eq!(
        menus,
        "\n- dst-address: 0.0.0.0/0\n  gateway: 203.0.113.1\n/routing/table:\n- name: t\n/ip/firewall/mangle:\n- chain: forward\n  action: mark-packet\n  new-packet-mark: p\n"
    );
}

#[test]
fn a_menu_keeps_its_sections_only() {
    let cfg = parse(EVERYTHING);
    let yaml = cfg.to_yaml("/ip/firewall").unwrap();
    let keys: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.starts_with([' ', '-']))
        .collect();
    assert_eq!(
        keys,
        [
            "/ip/firewall/mangle:",
            "/ip/firewall/nat:",
            "/ip/firewall/connection/tracking:"
        ]
    );
    // Not `/ip/firewall/connection...` for `/ip/fire`: a menu is a whole path segment.
    assert_eq!(cfg.to_yaml("/ip/fire").unwrap(), "{}\n");
}
