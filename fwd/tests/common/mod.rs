//! Shared by the DPDK integration tests (layer 2 of DESIGN.md "Tests, in layers"): the
//! addresses of the test network, frames built as bytes, a fresh temporary directory, a log
//! that the tests can read back, and one run of the router over `net_pcap` devices.
//!
//! Each test file is its own binary and EAL starts only once per process, so each file has a
//! single `#[test]` that runs the router once. They need root and DPDK with `net_pcap`; where
//! either is missing they fail (loudly), they never skip.

// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use wanfwd::config::Config;
use wanfwd::counters::{Counters, DropReason};
use wanfwd::dpdk::PortStats;
use wanfwd::net::MacAddr;
use wanfwd::packet::arp::{ArpPacket, ArpRepr};
use wanfwd::packet::ether::{self, EthernetFrame};
use wanfwd::packet::icmp::{self, IcmpPacket};
use wanfwd::packet::ipv4::{self, Ipv4Packet, Ipv4Repr};
use wanfwd::packet::udp::{self, UdpPacket};
use wanfwd::router::{self, Report, RunOptions};

/// The router's MAC on `bridge` (configured, so the test knows it).
pub const LAN_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x01]);
/// The router's MAC on `ether1`.
pub const WAN_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);
/// The LAN host.
pub const HOST_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0x10]);
/// The ISP's gateway on `ether1`.
pub const GW_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x02, 0x01]);
/// Another LAN host, whose frames the router must not route (it is not their destination).
pub const OTHER_MAC: MacAddr = MacAddr([0x02, 0, 0, 0, 0x01, 0x20]);

pub const LAN_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 1);
pub const HOST_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);
pub const WAN_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 2);
pub const GW_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
/// A host on the Internet, behind the default route.
pub const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

/// EtherType of IPv6, which the router does not route.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Ethernet's minimum frame without FCS (RFC 894); shorter frames are padded with zeros.
pub const MIN_FRAME: usize = 60;

// ---------------------------------------------------------------------------------------
// Building frames.

/// An Ethernet II frame, padded with zeros to the 60-byte minimum as a NIC would.
pub fn ethernet(dst: MacAddr, src: MacAddr, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; (ether::HEADER_LEN + payload.len()).max(MIN_FRAME)];
    let mut eth = EthernetFrame::new_unchecked(&mut f[..]);
    eth.set_dst(dst);
    eth.set_src(src);
    eth.set_ethertype(ethertype);
    eth.payload_mut()[..payload.len()].copy_from_slice(payload);
    f
}

/// An options-less IPv4 datagram with a correct header checksum.
pub fn ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    ttl: u8,
    ident: u16,
    payload: &[u8],
) -> Vec<u8> {
    let repr = Ipv4Repr {
        src,
        dst,
        protocol,
        ttl,
        payload_len: payload.len() as u16,
        ident,
        dont_frag: false,
    };
    let mut b = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Ipv4Packet::new_unchecked(&mut b[..]));
    b[ipv4::HEADER_LEN..].copy_from_slice(payload);
    b
}

/// A UDP datagram (header and data) with a correct checksum for `src` -> `dst`.
pub fn udp(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; udp::HEADER_LEN + data.len()];
    let mut u = UdpPacket::new_unchecked(&mut b[..]);
    u.set_src_port(sport);
    u.set_dst_port(dport);
    u.set_len((udp::HEADER_LEN + data.len()) as u16);
    u.payload_mut().copy_from_slice(data);
    u.fill_checksum(src, dst);
    b
}

/// An ICMP echo request with a correct checksum.
pub fn icmp_echo_request(ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; icmp::HEADER_LEN + data.len()];
    let mut p = IcmpPacket::new_unchecked(&mut b[..]);
    p.set_msg_type(icmp::TYPE_ECHO_REQUEST);
    p.set_code(0);
    p.set_echo_ident(ident);
    p.set_echo_seq_no(seq);
    p.data_mut().copy_from_slice(data);
    p.fill_checksum();
    b
}

/// A whole frame: a UDP datagram in IPv4 in Ethernet.
#[allow(clippy::too_many_arguments)]
pub fn udp_frame(
    dst_mac: MacAddr,
    src_mac: MacAddr,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    sport: u16,
    dport: u16,
    data: &[u8],
) -> Vec<u8> {
    let l4 = udp(src, dst, sport, dport, data);
    let l3 = ipv4(src, dst, ipv4::PROTO_UDP, ttl, sport, &l4);
    ethernet(dst_mac, src_mac, ether::ETHERTYPE_IPV4, &l3)
}

/// A UDP datagram from the LAN host to the remote host (TTL 64), sent to the router's LAN
/// MAC.
pub fn lan_udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    udp_frame(
        LAN_MAC, HOST_MAC, HOST_IP, REMOTE_IP, 64, sport, dport, data,
    )
}

/// A broadcast ARP request, built the way the router builds its own.
pub fn arp_request(sender_mac: MacAddr, sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> Vec<u8> {
    let mut f = vec![0u8; MIN_FRAME];
    let n = wanfwd::local::arp::build_request(&mut f, sender_mac, sender_ip, target_ip);
    f.truncate(n);
    f
}

/// `n` bytes of a pattern that differs per `seed`, so that payloads can be told apart.
pub fn pattern(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading frames back.

/// The Ethernet view of a captured frame; panics (naming `what`) if it is shorter than a header.
pub fn eth_of<'a>(frame: &'a [u8], what: &str) -> EthernetFrame<&'a [u8]> {
    EthernetFrame::new_checked(frame)
        .unwrap_or_else(|e| panic!("{what}: expected an Ethernet frame, got {e}: {frame:02x?}"))
}

/// The IPv4 view of a captured frame (header and `total_len` present), or None if it is not
/// IPv4 or not a complete datagram.
pub fn ipv4_of(frame: &[u8]) -> Option<Ipv4Packet<&[u8]>> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != ether::ETHERTYPE_IPV4 {
        return None;
    }
    Ipv4Packet::new_checked(&frame[ether::HEADER_LEN..]).ok()
}

/// The ARP message in a captured frame, or None if it is not Ethernet/IPv4 ARP.
pub fn arp_of(frame: &[u8]) -> Option<ArpRepr> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != ether::ETHERTYPE_ARP {
        return None;
    }
    ArpRepr::parse(&ArpPacket::new_checked(eth.payload()).ok()?).ok()
}

/// The ICMP message of a captured IPv4 frame: (type, code), if it is ICMP.
pub fn icmp_type_of(frame: &[u8]) -> Option<(u8, u8)> {
    let ip = ipv4_of(frame)?;
    if ip.protocol() != ipv4::PROTO_ICMP {
        return None;
    }
    let m = IcmpPacket::new_checked(ip.payload()).ok()?;
    Some((m.msg_type(), m.code()))
}

/// One line per frame, for assertion messages.
pub fn describe(frames: &[Vec<u8>]) -> String {
    if frames.is_empty() {
        return "  (no frame)".into();
    }
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| format!("  #{i}: {}", describe_frame(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn describe_frame(f: &[u8]) -> String {
    let Ok(eth) = EthernetFrame::new_checked(f) else {
        return format!("{} bytes, shorter than an Ethernet header", f.len());
    };
    let head = format!(
        "{} bytes {} -> {} type {:#06x}",
        f.len(),
        eth.src(),
        eth.dst(),
        eth.ethertype()
    );
    if let Some(a) = arp_of(f) {
        return format!(
            "{head} ARP op {} {} ({}) -> {} ({})",
            a.operation, a.sender_ip, a.sender_mac, a.target_ip, a.target_mac
        );
    }
    if let Some(ip) = ipv4_of(f) {
        let mut s = format!(
            "{head} IPv4 {} -> {} proto {} ttl {} checksum {}",
            ip.src(),
            ip.dst(),
            ip.protocol(),
            ip.ttl(),
            if ip.verify_checksum() { "ok" } else { "BAD" }
        );
        if let Some((t, c)) = icmp_type_of(f) {
            s.push_str(&format!(" ICMP type {t} code {c}"));
        }
        return s;
    }
    head
}

// ---------------------------------------------------------------------------------------
// Files, log, and running the router.

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TestDir {
    pub path: PathBuf,
}

impl TestDir {
    pub fn new(name: &str) -> TestDir {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("expected to create {}: {e}", path.display()));
        TestDir { path }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Writes a pcap file of `frames` (an empty list gives a file with only the header).
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    wanfwd::pcap::write_file(path, frames)
        .unwrap_or_else(|e| panic!("expected to write {}: {e}", path.display()));
}

/// Reads what a `net_pcap` port transmitted.
pub fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    wanfwd::pcap::read_file(path).unwrap_or_else(|e| {
        panic!(
            "expected the router's capture {} (written by net_pcap when the port closes): {e}",
            path.display()
        )
    })
}

/// Records every log message (and prints it to stderr) so tests can check what the router
/// said.
struct CaptureLog;

fn log_lines() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

impl log::Log for CaptureLog {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Debug && m.target().starts_with("wanfwd")
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = format!("{} {}: {}", r.level(), r.target(), r.args());
        eprintln!("{line}");
        log_lines()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }

    fn flush(&self) {}
}

/// Installs the capturing logger (once per test binary).
pub fn capture_log() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_boxed_logger(Box::new(CaptureLog)).expect("expected no other logger installed");
        log::set_max_level(log::LevelFilter::Debug);
    });
}

/// Everything logged so far.
pub fn logged() -> Vec<String> {
    log_lines()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// The EAL arguments every test uses; `prefix` keeps the runtime files of concurrent test
/// binaries apart.
pub fn eal_args_yaml(prefix: &str) -> String {
    format!("[--no-huge, -m, '256', --no-pci, --file-prefix, {prefix}]")
}

/// The routing of the two-port pcap tests: the LAN on bridge, ISP1 on ether1 with a default
/// route through 203.0.113.1, static ARP for that gateway (nothing answers ARP in a capture).
macro_rules! lan_wan {
    () => {
        r#"/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
/ip/arp:
  - { address: 203.0.113.1, mac-address: "02:00:00:00:02:01", interface: ether1 }
"#
    };
}
pub const LAN_WAN: &str = lan_wan!();

/// [`LAN_WAN`] plus static ARP for the LAN host 192.168.1.10 and masquerade out of ether1.
pub const LAN_WAN_MASQUERADE: &str = concat!(
    lan_wan!(),
    r#"  - { address: 192.168.1.10, mac-address: "02:00:00:00:01:10", interface: bridge }
/ip/firewall/nat:
  - { chain: srcnat, out-interface: ether1, action: masquerade }
"#
);

/// A test configuration: wanfwd's sections (EAL with `prefix`, the API socket in `dir`, metrics
/// on any port), then `/interface/ethernet` with a `net_pcap` port per `(name, stem, props)`
/// reading `{stem}-in.pcap` and writing `{stem}-out.pcap` in `dir` (`props` are more YAML
/// properties of the item, such as its `mac-address`), then `rest` (YAML menus, verbatim).
pub fn pcap_config(
    dir: &TestDir,
    prefix: &str,
    ports: &[(&str, &str, &str)],
    rest: &str,
) -> Config {
    let mut yaml = format!(
        "dpdk:\n  eal-args: {}\n  workers: 1\napi:\n  socket: {}\nmetrics:\n  listen: 127.0.0.1:0\n/interface/ethernet:\n",
        eal_args_yaml(prefix),
        dir.file("api.sock").display()
    );
    for (i, (name, stem, props)) in ports.iter().enumerate() {
        let rx = dir.file(&format!("{stem}-in.pcap"));
        let tx = dir.file(&format!("{stem}-out.pcap"));
        yaml.push_str(&format!(
            "  - {{ name: {name}, device: \"net_pcap{i},rx_pcap={},tx_pcap={}\", {props} }}\n",
            rx.display(),
            tx.display()
        ));
    }
    yaml.push_str(rest);
    Config::from_yaml_str(&yaml, &format!("{prefix}.yaml"))
        .unwrap_or_else(|e| panic!("expected the test configuration to be valid: {e}\n{yaml}"))
}

/// The two-port set-up's ports: `bridge` (LAN, `lan-*.pcap`, MAC 02:00:00:00:00:01) and
/// `ether1` (WAN, `wan-*.pcap`, MAC 02:00:00:00:00:02), then `rest`.
pub fn lan_wan_config(dir: &TestDir, prefix: &str, rest: &str) -> Config {
    pcap_config(
        dir,
        prefix,
        &[
            ("bridge", "lan", r#"mac-address: "02:00:00:00:00:01""#),
            ("ether1", "wan", r#"mac-address: "02:00:00:00:00:02""#),
        ],
        rest,
    )
}

/// Runs the router on `cfg` in a thread for `run_for`, then stops it and returns its report.
/// The wait is only there to let `net_pcap` replay its input and the router answer; nothing
/// is asserted on time. Fails the test if the router does not start (no root, no DPDK).
/// One two-second run of a two-port set-up (`bridge` reading `lan-in.pcap`, `ether1`
/// reading `wan-in.pcap`): `lan_in` goes in on bridge and nothing on ether1. Returns the
/// counters added up and what ether1 and bridge sent, all printed first for a failing test's
/// log.
pub fn run_lan_to_wan(dir: &TestDir, cfg: &Config, lan_in: &[Vec<u8>]) -> LanToWan {
    run_lan_to_wan_with(dir, cfg, &RunOptions::default(), lan_in)
}

/// [`run_lan_to_wan`] with options (a script run at start).
pub fn run_lan_to_wan_with(
    dir: &TestDir,
    cfg: &Config,
    opts: &RunOptions,
    lan_in: &[Vec<u8>],
) -> LanToWan {
    write_pcap(&dir.file("lan-in.pcap"), lan_in);
    write_pcap(&dir.file("wan-in.pcap"), &[]);
    let report = run_router_with(cfg, opts, Duration::from_secs(2));
    let wan_out = read_pcap(&dir.file("wan-out.pcap"));
    let lan_out = read_pcap(&dir.file("lan-out.pcap"));
    let total = report.total();
    eprintln!(
        "report: {report:?}\ndrops: {:?}\nether1 sent:\n{}\nbridge sent:\n{}",
        nonzero_drops(&total),
        describe(&wan_out),
        describe(&lan_out)
    );
    LanToWan {
        total,
        wan_out,
        lan_out,
    }
}

/// What [`run_lan_to_wan`] saw.
pub struct LanToWan {
    pub total: Counters,
    pub wan_out: Vec<Vec<u8>>,
    pub lan_out: Vec<Vec<u8>>,
}

pub fn run_router(cfg: &Config, run_for: Duration) -> Report {
    run_router_with(cfg, &RunOptions::default(), run_for)
}

/// `run_router` with options (a script run at start: `wanfwd --script`).
pub fn run_router_with(cfg: &Config, opts: &RunOptions, run_for: Duration) -> Report {
    run_router_while(cfg, opts, || std::thread::sleep(run_for)).0
}

/// Runs the router while `during` runs (it may talk to the router, e.g. through the API
/// socket), then stops it: the report and what `during` returned.
pub fn run_router_while<R>(
    cfg: &Config,
    opts: &RunOptions,
    during: impl FnOnce() -> R,
) -> (Report, R) {
    /// Stops the router when dropped: also when `during` panics, which would otherwise
    /// leave the scope waiting for the router forever.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let router_stop = Arc::clone(&stop);
        let h = s.spawn(move || router::run(cfg, opts, router_stop));
        let guard = StopOnDrop(Arc::clone(&stop));
        let r = during();
        drop(guard);
        let result = h.join();
        // EAL leaves its runtime directory behind; the test removes what it made.
        let args = &cfg.dpdk.eal_args;
        if let Some(p) = args
            .iter()
            .position(|a| a == "--file-prefix")
            .and_then(|i| args.get(i + 1))
        {
            let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{p}"));
        }
        match result {
            Ok(Ok(report)) => (report, r),
            Ok(Err(e)) => panic!(
                "expected the router to run (this test needs root and DPDK with net_pcap): {e}"
            ),
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// The device counters of the port named `name`.
pub fn port_stats(report: &Report, name: &str) -> PortStats {
    report
        .ports
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("expected port {name} in the report: {:?}", report.ports))
}

/// The drop counters that are not zero, by name, for assertion messages.
pub fn nonzero_drops(c: &Counters) -> Vec<(&'static str, u64)> {
    DropReason::ALL
        .iter()
        .filter(|r| c.dropped(**r) > 0)
        .map(|r| (r.name(), c.dropped(*r)))
        .collect()
}
