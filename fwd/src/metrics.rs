//! Prometheus metrics: the router's counters and state, served over HTTP.
//!
//! The control core builds a [`Sample`] about once a second (summing nothing: each worker's
//! counters are published as they are, labelled by worker) and hands it to [`Metrics::update`];
//! workers never touch this module. The values go through the `metrics` crate into a recorder
//! of our own (not the process-wide one, so that nothing else can collide with it), which
//! `metrics-exporter-prometheus` serves in the Prometheus text format on the address of the
//! `metrics: listen:` setting (default `127.0.0.1:9417`), from a small Tokio runtime with one
//! thread of its own.
//!
//! # Metrics
//!
//! | name | type | labels | what |
//! | --- | --- | --- | --- |
//! | `wanfwd_worker_rx_packets_total` | counter | `worker` | packets received by the worker |
//! | `wanfwd_worker_tx_packets_total` | counter | `worker` | packets handed to a device by the worker |
//! | `wanfwd_worker_rx_bytes_total` | counter | `worker` | bytes of the packets received by the worker |
//! | `wanfwd_worker_tx_bytes_total` | counter | `worker` | bytes of the packets handed to a device by the worker |
//! | `wanfwd_worker_punted_total` | counter | `worker` | packets the worker passed to the control core |
//! | `wanfwd_worker_connections` | gauge | `worker` | connections in the worker's table |
//! | `wanfwd_worker_busy_cycles_total` | counter | `worker` | TSC cycles of the worker's rounds that had packets to handle |
//! | `wanfwd_worker_load` | gauge | `worker` | the share of the last second the worker was busy (0 to 1; `/system/resource/cpu print`) |
//! | `wanfwd_worker_connections_created_total` | counter | `worker` | connections the worker created |
//! | `wanfwd_worker_nat_ports` | gauge | `worker` | NAT ports (or ICMP echo ids) in use: the worker's translated connections |
//! | `wanfwd_nat_ports` | gauge | `address` | NAT ports in use per translated address, all workers |
//! | `wanfwd_drops_total` | counter | `worker`, `reason` | packets dropped, by reason |
//! | `wanfwd_interface_rx_packets_total` | counter | `interface` | packets received by the device |
//! | `wanfwd_interface_tx_packets_total` | counter | `interface` | packets sent by the device |
//! | `wanfwd_interface_rx_bytes_total` | counter | `interface` | bytes received by the device |
//! | `wanfwd_interface_tx_bytes_total` | counter | `interface` | bytes sent by the device |
//! | `wanfwd_interface_rx_missed_total` | counter | `interface` | packets the device dropped: RX queues full |
//! | `wanfwd_interface_rx_errors_total` | counter | `interface` | erroneous packets received |
//! | `wanfwd_interface_tx_errors_total` | counter | `interface` | packets the device failed to send |
//! | `wanfwd_interface_rx_nombuf_total` | counter | `interface` | RX buffer allocation failures |
//! | `wanfwd_interface_tx_queue_drops_total` | counter | `interface` | packets its TX queues refused (the link saturated; `tx-queue-drop`) |
//! | `wanfwd_nexthop_up` | gauge | `address`, `interface` | 1 if the gateway is reachable (or recursive), 0 if not |
//! | `wanfwd_routes_active` | gauge | `routing_table` | active routes in the routing table |
//! | `wanfwd_routing_table_packets_total` | counter | `routing_table` | packets forwarded by a lookup in the routing table, all workers |
//! | `wanfwd_routing_table_bytes_total` | counter | `routing_table` | bytes of those packets |
//! | `wanfwd_nexthop_packets_total` | counter | `address`, `interface` | packets forwarded to the nexthop, all workers |
//! | `wanfwd_nexthop_bytes_total` | counter | `address`, `interface` | bytes of those packets |
//! | `wanfwd_neighbours` | gauge | | entries in the neighbour (ARP) table |
//! | `wanfwd_netwatch_up` | gauge | `host` | 1 if the `/tool/netwatch` host is up, 0 if down (no series while unknown) |
//! | `wanfwd_firewall_rule_packets_total` | counter | `table`, `rule`, `chain`, `action`, `comment` | packets the mangle or NAT rule matched, all workers |
//! | `wanfwd_firewall_rule_bytes_total` | counter | `table`, `rule`, `chain`, `action`, `comment` | bytes of those packets |
//!
//! `worker` is the worker's index (`"0"`, `"1"`, ...) or `"control"` for the control core.
//! `wanfwd_drops_total` has a series for every reason of [`DropReason::ALL`] (named by
//! [`DropReason::name`], e.g. `reason="no-route"`), zeros included, so that dashboards and
//! alerts see each series from the start. `interface` is the interface's name (`ether1`).
//! `address` and `interface` of a nexthop are as `/routing/nexthop print` shows them.
//!
//! Forwarded traffic is counted by the worker under the (routing table, nexthop) pair that
//! sent it — the routing table whose lookup found the route (main when a marked table had no
//! usable one), the immediate nexthop (a recursive route's traffic counts under the gateway
//! it resolved to; a connected subnet's under `address` = `interface` = its interface) —
//! and summed per table and per nexthop by the control core. A nexthop or table keeps its
//! series while the RIB knows it, also while its gateway is down, so that failover shows as
//! one counter stopping and another taking over. Bytes are Ethernet frames without the FCS.
//! `wanfwd_nat_ports` counts up to 8 addresses per worker; `wanfwd_worker_nat_ports` all.
//!
//! A firewall rule's series is named by `table` (`mangle` or `nat`), its number in `print`
//! (`rule`), `chain`, `action` and `comment` (empty without one). It counts what
//! `print stats` counts (a mangle rule every packet it matched, a NAT rule each connection's
//! first packet), but never goes back: `reset-counters` leaves it alone, and when the rules
//! change, a series whose labels the new rules still have goes on from its total (see
//! `control::rule_stats::RuleMetrics`).
//!
//! A series that [`Metrics::update`] has not published for [`IDLE_TIMEOUT`] is removed, so
//! that a nexthop, interface or routing table removed by a live change does not linger with
//! its last value (a removed nexthop would otherwise stay "up" for ever).

use std::net::SocketAddr;
use std::time::Duration;

use ::metrics::{counter, describe_counter, describe_gauge, gauge, with_local_recorder, Unit};
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusRecorder};
use metrics_util::MetricKindMask;

use crate::counters::{Counters, DropReason};
use crate::dpdk::PortStats;

/// How long a series may go without an update before the exporter forgets it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default of the `metrics: listen:` setting.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    9417,
));

/// One sample of the router's state, as the control core sees it.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    /// Per worker, in worker order: its published counters.
    pub workers: &'a [Counters],
    /// The control core's own counters.
    pub control: &'a Counters,
    /// Per interface name: the device's counters, and what its TX queues refused.
    pub ports: &'a [(String, PortStats, u64)],
    /// (address, interface, gw-state `reachable`|`unreachable`|`recursive`), as
    /// `/routing/nexthop` shows them.
    pub nexthops: &'a [(String, String, String)],
    /// Per routing table: its active routes.
    pub routes_active: &'a [(String, u64)],
    /// Per routing table: packets and bytes forwarded by a lookup in it.
    pub table_traffic: &'a [(String, [u64; 2])],
    /// Per nexthop (address, interface): packets and bytes forwarded to it.
    pub nexthop_traffic: &'a [(String, String, [u64; 2])],
    /// Per translated address: NAT ports in use.
    pub nat_ports: &'a [(String, u64)],
    /// Entries in the neighbour table.
    pub neighbours: u64,
    /// Per watched `/tool/netwatch` host with a verdict: whether it is up.
    pub netwatch: &'a [(String, bool)],
    /// Per worker, its load over the last second (0 to 1).
    pub load: &'a [f64],
    /// Per firewall rule: its labels, packets and bytes (totals since start).
    pub rules: &'a [(RuleLabels, [u64; 2])],
}

/// What names a firewall rule's series.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleLabels {
    /// `mangle` or `nat`.
    pub table: &'static str,
    /// Its number in `print`.
    pub rule: usize,
    pub chain: String,
    pub action: String,
    /// Empty without one.
    pub comment: String,
}

/// The Prometheus exporter: its recorder and the runtime serving it over HTTP.
pub struct Metrics {
    recorder: PrometheusRecorder,
    listen: SocketAddr,
    /// `Some` until dropped; dropping it stops the listener and frees the address.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Starts the exporter's HTTP listener on `listen` (the `metrics: listen:` setting;
    /// default [`DEFAULT_LISTEN`]). Err with a clear message if the address is taken (or
    /// otherwise cannot be listened on).
    pub fn start(listen: SocketAddr) -> Result<Metrics, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .thread_name("wanfwd-metrics")
            .enable_all()
            .build()
            .map_err(|e| format!("metrics: cannot start the exporter's runtime: {e}"))?;
        let built = {
            // `build` spawns the exporter's upkeep task and binds the listener: it needs the
            // runtime entered.
            let _entered = runtime.enter();
            PrometheusBuilder::new()
                .with_http_listener(listen)
                .idle_timeout(MetricKindMask::ALL, Some(IDLE_TIMEOUT))
                .build()
        };
        let (recorder, exporter) = built.map_err(|e| match e {
            BuildError::FailedToCreateHTTPListener(why) => format!(
                "metrics: cannot listen on {listen}: {why} (change `metrics: listen:` \
                 if another program uses this address)"
            ),
            e => format!("metrics: cannot start the exporter on {listen}: {e}"),
        })?;
        runtime.spawn(async move {
            if let Err(e) = exporter.await {
                log::error!("metrics: the exporter on {listen} stopped: {e:?}");
            }
        });
        let m = Metrics {
            recorder,
            listen,
            runtime: Some(runtime),
        };
        with_local_recorder(&m.recorder, describe_all);
        log::info!("metrics: Prometheus exporter listening on http://{listen}/metrics");
        Ok(m)
    }

    /// The address the exporter was asked to listen on.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// Publishes one sample of the router's state. Counters are totals (monotonic).
    pub fn update(&self, s: &Sample) {
        with_local_recorder(&self.recorder, || publish(s));
    }
}

impl Drop for Metrics {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

fn describe_all() {
    describe_counter!(
        "wanfwd_worker_rx_packets_total",
        Unit::Count,
        "Packets received by the worker"
    );
    describe_counter!(
        "wanfwd_worker_tx_packets_total",
        Unit::Count,
        "Packets handed to a device by the worker"
    );
    describe_counter!(
        "wanfwd_worker_rx_bytes_total",
        Unit::Bytes,
        "Bytes of the packets received by the worker"
    );
    describe_counter!(
        "wanfwd_worker_tx_bytes_total",
        Unit::Bytes,
        "Bytes of the packets handed to a device by the worker"
    );
    describe_gauge!(
        "wanfwd_worker_nat_ports",
        Unit::Count,
        "NAT ports in use: the worker's translated connections"
    );
    describe_gauge!(
        "wanfwd_nat_ports",
        Unit::Count,
        "NAT ports in use per translated address"
    );
    describe_counter!(
        "wanfwd_routing_table_packets_total",
        Unit::Count,
        "Packets forwarded by a lookup in the routing table"
    );
    describe_counter!(
        "wanfwd_routing_table_bytes_total",
        Unit::Bytes,
        "Bytes of the packets forwarded by a lookup in the routing table"
    );
    describe_counter!(
        "wanfwd_nexthop_packets_total",
        Unit::Count,
        "Packets forwarded to the nexthop"
    );
    describe_counter!(
        "wanfwd_nexthop_bytes_total",
        Unit::Bytes,
        "Bytes of the packets forwarded to the nexthop"
    );
    describe_counter!(
        "wanfwd_worker_punted_total",
        Unit::Count,
        "Packets the worker passed to the control core"
    );
    describe_gauge!(
        "wanfwd_worker_connections",
        Unit::Count,
        "Connections in the worker's table"
    );
    describe_counter!(
        "wanfwd_worker_connections_created_total",
        Unit::Count,
        "Connections the worker created"
    );
    describe_counter!(
        "wanfwd_drops_total",
        Unit::Count,
        "Packets dropped, by worker and reason"
    );
    for (name, unit, help) in INTERFACE_COUNTERS {
        describe_counter!(*name, *unit, *help);
    }
    describe_counter!(
        "wanfwd_worker_busy_cycles_total",
        Unit::Count,
        "TSC cycles of the worker's rounds that had packets to handle"
    );
    describe_gauge!(
        "wanfwd_worker_load",
        "The share of the last second the worker spent on packets (0 to 1)"
    );
    describe_counter!(
        "wanfwd_firewall_rule_packets_total",
        Unit::Count,
        "Packets the mangle or NAT rule matched"
    );
    describe_counter!(
        "wanfwd_firewall_rule_bytes_total",
        Unit::Bytes,
        "Bytes of the packets the mangle or NAT rule matched"
    );
    describe_gauge!(
        "wanfwd_nexthop_up",
        "1 if the nexthop's gateway is reachable (or recursive), 0 if unreachable"
    );
    describe_gauge!(
        "wanfwd_routes_active",
        Unit::Count,
        "Active routes in the routing table"
    );
    describe_gauge!(
        "wanfwd_netwatch_up",
        "1 if the /tool/netwatch host is up, 0 if it is down"
    );
    describe_gauge!(
        "wanfwd_neighbours",
        Unit::Count,
        "Entries in the neighbour (ARP) table"
    );
}

/// The interface counters: name, unit, help; in the order of [`port_values`].
const INTERFACE_COUNTERS: &[(&str, Unit, &str)] = &[
    (
        "wanfwd_interface_rx_packets_total",
        Unit::Count,
        "Packets received by the device",
    ),
    (
        "wanfwd_interface_tx_packets_total",
        Unit::Count,
        "Packets sent by the device",
    ),
    (
        "wanfwd_interface_rx_bytes_total",
        Unit::Bytes,
        "Bytes received by the device",
    ),
    (
        "wanfwd_interface_tx_bytes_total",
        Unit::Bytes,
        "Bytes sent by the device",
    ),
    (
        "wanfwd_interface_rx_missed_total",
        Unit::Count,
        "Packets the device dropped because its RX queues were full",
    ),
    (
        "wanfwd_interface_rx_errors_total",
        Unit::Count,
        "Erroneous packets received by the device",
    ),
    (
        "wanfwd_interface_tx_errors_total",
        Unit::Count,
        "Packets the device failed to send",
    ),
    (
        "wanfwd_interface_rx_nombuf_total",
        Unit::Count,
        "RX buffer allocation failures",
    ),
    (
        "wanfwd_interface_tx_queue_drops_total",
        Unit::Count,
        "Packets the interface's TX queues refused",
    ),
];

fn port_values(p: &PortStats, queue_drops: u64) -> [u64; 9] {
    [
        p.ipackets,
        p.opackets,
        p.ibytes,
        p.obytes,
        p.imissed,
        p.ierrors,
        p.oerrors,
        p.rx_nombuf,
        queue_drops,
    ]
}

/// Whether a nexthop in this gw-state counts as up.
fn nexthop_up(state: &str) -> bool {
    matches!(state, "reachable" | "recursive")
}

fn publish_thread(worker: &str, c: &Counters) {
    let w = worker.to_string();
    counter!("wanfwd_worker_rx_packets_total", "worker" => w.clone()).absolute(c.rx_packets);
    counter!("wanfwd_worker_tx_packets_total", "worker" => w.clone()).absolute(c.tx_packets);
    counter!("wanfwd_worker_rx_bytes_total", "worker" => w.clone()).absolute(c.rx_bytes);
    counter!("wanfwd_worker_tx_bytes_total", "worker" => w.clone()).absolute(c.tx_bytes);
    gauge!("wanfwd_worker_nat_ports", "worker" => w.clone()).set(c.nat.total as f64);
    counter!("wanfwd_worker_punted_total", "worker" => w.clone()).absolute(c.punted);
    gauge!("wanfwd_worker_connections", "worker" => w.clone()).set(c.conns as f64);
    counter!("wanfwd_worker_connections_created_total", "worker" => w.clone())
        .absolute(c.conns_created);
    for &r in DropReason::ALL {
        counter!("wanfwd_drops_total", "worker" => w.clone(), "reason" => r.name())
            .absolute(c.dropped(r));
    }
}

fn publish(s: &Sample) {
    for (i, c) in s.workers.iter().enumerate() {
        publish_thread(&i.to_string(), c);
        let w = i.to_string();
        counter!("wanfwd_worker_busy_cycles_total", "worker" => w.clone()).absolute(c.busy_cycles);
        if let Some(l) = s.load.get(i) {
            gauge!("wanfwd_worker_load", "worker" => w).set(*l);
        }
    }
    publish_thread("control", s.control);
    for (name, stats, queue_drops) in s.ports {
        for ((metric, _, _), v) in INTERFACE_COUNTERS
            .iter()
            .zip(port_values(stats, *queue_drops))
        {
            counter!(*metric, "interface" => name.clone()).absolute(v);
        }
    }
    for (address, interface, state) in s.nexthops {
        let up = if nexthop_up(state) { 1.0 } else { 0.0 };
        gauge!("wanfwd_nexthop_up", "address" => address.clone(), "interface" => interface.clone())
            .set(up);
    }
    for (table, n) in s.routes_active {
        gauge!("wanfwd_routes_active", "routing_table" => table.clone()).set(*n as f64);
    }
    for (table, [packets, bytes]) in s.table_traffic {
        let t = table.clone();
        counter!("wanfwd_routing_table_packets_total", "routing_table" => t.clone())
            .absolute(*packets);
        counter!("wanfwd_routing_table_bytes_total", "routing_table" => t).absolute(*bytes);
    }
    for (address, interface, [packets, bytes]) in s.nexthop_traffic {
        let (a, i) = (address.clone(), interface.clone());
        counter!("wanfwd_nexthop_packets_total", "address" => a.clone(), "interface" => i.clone())
            .absolute(*packets);
        counter!("wanfwd_nexthop_bytes_total", "address" => a, "interface" => i).absolute(*bytes);
    }
    for (address, n) in s.nat_ports {
        gauge!("wanfwd_nat_ports", "address" => address.clone()).set(*n as f64);
    }
    gauge!("wanfwd_neighbours").set(s.neighbours as f64);
    for (host, up) in s.netwatch {
        gauge!("wanfwd_netwatch_up", "host" => host.clone()).set(if *up { 1.0 } else { 0.0 });
    }
    for (l, [packets, bytes]) in s.rules {
        let labels = [
            ("table", l.table.to_string()),
            ("rule", l.rule.to_string()),
            ("chain", l.chain.clone()),
            ("action", l.action.clone()),
            ("comment", l.comment.clone()),
        ];
        counter!("wanfwd_firewall_rule_packets_total", &labels).absolute(*packets);
        counter!("wanfwd_firewall_rule_bytes_total", &labels).absolute(*bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, TcpListener, TcpStream};

    /// A loopback address with a port that was free a moment ago.
    fn free_loopback() -> SocketAddr {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        l.local_addr().unwrap()
    }

    /// Starts an exporter on a free loopback port (retrying should another test grab it).
    fn start() -> (Metrics, SocketAddr) {
        for _ in 0..10 {
            let addr = free_loopback();
            if let Ok(m) = Metrics::start(addr) {
                return (m, addr);
            }
        }
        panic!("no free loopback port for the exporter");
    }

    /// GET /metrics over HTTP/1.0; the body.
    fn scrape(addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        body.to_string()
    }

    /// The value of the series `series` (name and labels, as rendered), if present.
    fn value(body: &str, series: &str) -> Option<f64> {
        body.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
    }

    type Ports = Vec<(String, PortStats, u64)>;

    fn sample_data(scale: u64) -> (Vec<Counters>, Counters, Ports) {
        let mut w0 = Counters {
            rx_packets: 100 * scale,
            busy_cycles: 7_000 * scale,
            tx_packets: 90 * scale,
            rx_bytes: 6000 * scale,
            tx_bytes: 5400 * scale,
            ..Counters::default()
        };
        w0.nat.bind(0xcb00_7102);
        w0.nat.bind(0xcb00_7102);
        w0.punted = 3 * scale;
        w0.drops[DropReason::NoRoute as usize] = 7 * scale;
        let w1 = Counters {
            rx_packets: 50 * scale,
            tx_packets: 40 * scale,
            ..Counters::default()
        };
        let mut control = Counters {
            tx_packets: 5 * scale,
            ..Counters::default()
        };
        control.drops[DropReason::LocalUnhandled as usize] = 2 * scale;
        let ports = vec![
            (
                "ether1".to_string(),
                PortStats {
                    ipackets: 1000 * scale,
                    opackets: 900 * scale,
                    ibytes: 64_000 * scale,
                    obytes: 57_600 * scale,
                    imissed: scale,
                    ierrors: 0,
                    oerrors: 2 * scale,
                    rx_nombuf: 0,
                },
                7 * scale,
            ),
            (
                "ether2".to_string(),
                PortStats {
                    ipackets: 10 * scale,
                    ..PortStats::default()
                },
                0,
            ),
        ];
        (vec![w0, w1], control, ports)
    }

    #[test]
    fn serves_and_moves() {
        let (m, addr) = start();
        assert_eq!(m.listen(), addr);
        let nexthops = vec![
            (
                "203.0.113.1".to_string(),
                "ether1".to_string(),
                "reachable".to_string(),
            ),
            (
                "198.51.100.1".to_string(),
                "ether2".to_string(),
                "unreachable".to_string(),
            ),
            (
                "8.8.8.8".to_string(),
                "ether1".to_string(),
                "recursive".to_string(),
            ),
        ];
        let routes = vec![("main".to_string(), 4), ("to-ISP1".to_string(), 2)];
        let (workers, control, ports) = sample_data(1);
        let tables = vec![
            ("main".to_string(), [10, 1000]),
            ("to-ISP1".to_string(), [20, 2000]),
        ];
        let nh = |a: &str, i: &str, v: [u64; 2]| (a.to_string(), i.to_string(), v);
        let nexthop_traffic = vec![
            nh("203.0.113.1", "ether1", [25, 2500]),
            nh("198.51.100.1", "ether2", [5, 500]),
        ];
        m.update(&Sample {
            workers: &workers,
            control: &control,
            ports: &ports,
            nexthops: &nexthops,
            routes_active: &routes,
            table_traffic: &tables,
            nexthop_traffic: &nexthop_traffic,
            nat_ports: &[("203.0.113.2".to_string(), 2)],
            neighbours: 3,
            netwatch: &[("192.0.2.10".to_string(), true)],
            load: &[0.25],
            rules: &[(
                RuleLabels {
                    table: "mangle",
                    rule: 1,
                    chain: "prerouting".into(),
                    action: "mark-connection".into(),
                    comment: "PCC 2/1".into(),
                },
                [42, 2520],
            )],
        });
        let body = scrape(addr);
        let v =
            |series: &str| value(&body, series).unwrap_or_else(|| panic!("{series} in\n{body}"));
        assert_eq!(v(r#"wanfwd_worker_rx_packets_total{worker="0"}"#), 100.0);
        assert_eq!(v(r#"wanfwd_worker_rx_packets_total{worker="1"}"#), 50.0);
        assert_eq!(v(r#"wanfwd_worker_tx_packets_total{worker="0"}"#), 90.0);
        assert_eq!(
            v(r#"wanfwd_worker_tx_packets_total{worker="control"}"#),
            5.0
        );
        assert_eq!(v(r#"wanfwd_worker_punted_total{worker="0"}"#), 3.0);
        assert_eq!(v(r#"wanfwd_worker_rx_bytes_total{worker="0"}"#), 6000.0);
        assert_eq!(v(r#"wanfwd_worker_tx_bytes_total{worker="0"}"#), 5400.0);
        assert_eq!(v(r#"wanfwd_worker_nat_ports{worker="0"}"#), 2.0);
        assert_eq!(v(r#"wanfwd_worker_nat_ports{worker="1"}"#), 0.0);
        assert_eq!(v(r#"wanfwd_nat_ports{address="203.0.113.2"}"#), 2.0);
        assert_eq!(
            v(r#"wanfwd_routing_table_packets_total{routing_table="to-ISP1"}"#),
            20.0
        );
        assert_eq!(
            v(r#"wanfwd_routing_table_bytes_total{routing_table="main"}"#),
            1000.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_packets_total{address="203.0.113.1",interface="ether1"}"#),
            25.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_bytes_total{address="198.51.100.1",interface="ether2"}"#),
            500.0
        );
        assert_eq!(
            v(r#"wanfwd_drops_total{worker="0",reason="no-route"}"#),
            7.0
        );
        assert_eq!(
            v(r#"wanfwd_drops_total{worker="control",reason="local-unhandled"}"#),
            2.0
        );
        // Every reason, zeros included, for every worker and the control core.
        for w in ["0", "1", "control"] {
            for r in DropReason::ALL {
                let series = format!(
                    r#"wanfwd_drops_total{{worker="{w}",reason="{}"}}"#,
                    r.name()
                );
                assert!(value(&body, &series).is_some(), "{series} in\n{body}");
            }
        }
        assert_eq!(
            v(r#"wanfwd_drops_total{worker="1",reason="no-route"}"#),
            0.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_packets_total{interface="ether1"}"#),
            1000.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_tx_packets_total{interface="ether1"}"#),
            900.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_bytes_total{interface="ether1"}"#),
            64000.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_tx_bytes_total{interface="ether1"}"#),
            57600.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_missed_total{interface="ether1"}"#),
            1.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_errors_total{interface="ether1"}"#),
            0.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_tx_errors_total{interface="ether1"}"#),
            2.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_nombuf_total{interface="ether1"}"#),
            0.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_tx_queue_drops_total{interface="ether1"}"#),
            7.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_packets_total{interface="ether2"}"#),
            10.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_up{address="203.0.113.1",interface="ether1"}"#),
            1.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_up{address="198.51.100.1",interface="ether2"}"#),
            0.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_up{address="8.8.8.8",interface="ether1"}"#),
            1.0
        );
        assert_eq!(v(r#"wanfwd_routes_active{routing_table="main"}"#), 4.0);
        assert_eq!(v(r#"wanfwd_routes_active{routing_table="to-ISP1"}"#), 2.0);
        assert_eq!(v("wanfwd_neighbours"), 3.0);
        assert_eq!(v(r#"wanfwd_netwatch_up{host="192.0.2.10"}"#), 1.0);
        assert_eq!(v(r#"wanfwd_worker_load{worker="0"}"#), 0.25);
        assert_eq!(v(r#"wanfwd_worker_busy_cycles_total{worker="0"}"#), 7000.0);
        assert!(value(&body, r#"wanfwd_worker_load{worker="1"}"#).is_none());
        let rule = r#"{table="mangle",rule="1",chain="prerouting",action="mark-connection",comment="PCC 2/1"}"#;
        assert_eq!(
            v(&format!("wanfwd_firewall_rule_packets_total{rule}")),
            42.0
        );
        assert_eq!(
            v(&format!("wanfwd_firewall_rule_bytes_total{rule}")),
            2520.0
        );
        assert!(body.contains("# TYPE wanfwd_drops_total counter"), "{body}");
        assert!(body.contains("# TYPE wanfwd_nexthop_up gauge"), "{body}");
        assert!(
            body.contains("# HELP wanfwd_worker_rx_packets_total Packets received"),
            "{body}"
        );

        // The counters move, and a gateway that fails is seen down.
        let nexthops = vec![
            (
                "203.0.113.1".to_string(),
                "ether1".to_string(),
                "unreachable".to_string(),
            ),
            (
                "198.51.100.1".to_string(),
                "ether2".to_string(),
                "reachable".to_string(),
            ),
        ];
        let routes = vec![("main".to_string(), 3)];
        let (workers, control, ports) = sample_data(10);
        let tables = vec![("main".to_string(), [30, 3000])];
        let nexthop_traffic = vec![nh("198.51.100.1", "ether2", [50, 5000])];
        m.update(&Sample {
            workers: &workers,
            control: &control,
            ports: &ports,
            nexthops: &nexthops,
            routes_active: &routes,
            table_traffic: &tables,
            nexthop_traffic: &nexthop_traffic,
            nat_ports: &[],
            neighbours: 5,
            netwatch: &[("192.0.2.10".to_string(), false)],
            load: &[],
            rules: &[],
        });
        let body = scrape(addr);
        let v =
            |series: &str| value(&body, series).unwrap_or_else(|| panic!("{series} in\n{body}"));
        assert_eq!(v(r#"wanfwd_worker_rx_packets_total{worker="0"}"#), 1000.0);
        assert_eq!(
            v(r#"wanfwd_worker_tx_packets_total{worker="control"}"#),
            50.0
        );
        assert_eq!(
            v(r#"wanfwd_drops_total{worker="0",reason="no-route"}"#),
            70.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_bytes_total{interface="ether1"}"#),
            640000.0
        );
        assert_eq!(
            v(r#"wanfwd_interface_rx_packets_total{interface="ether2"}"#),
            100.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_up{address="203.0.113.1",interface="ether1"}"#),
            0.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_up{address="198.51.100.1",interface="ether2"}"#),
            1.0
        );
        assert_eq!(v(r#"wanfwd_routes_active{routing_table="main"}"#), 3.0);
        assert_eq!(v(r#"wanfwd_worker_rx_bytes_total{worker="0"}"#), 60000.0);
        assert_eq!(
            v(r#"wanfwd_routing_table_packets_total{routing_table="main"}"#),
            30.0
        );
        assert_eq!(
            v(r#"wanfwd_nexthop_bytes_total{address="198.51.100.1",interface="ether2"}"#),
            5000.0
        );
        assert_eq!(v("wanfwd_neighbours"), 5.0);
        assert_eq!(v(r#"wanfwd_netwatch_up{host="192.0.2.10"}"#), 0.0);
    }

    #[test]
    fn address_taken_is_a_clear_error() {
        let (m, addr) = start();
        let e = Metrics::start(addr).unwrap_err();
        assert!(e.contains(&addr.to_string()), "{e}");
        assert!(e.contains("in use"), "{e}");
        assert!(e.contains("metrics: listen:"), "{e}");
        // The first one still serves; once it is dropped the address is free again.
        scrape(addr);
        drop(m);
        let again = Metrics::start(addr).expect("the address is free once the exporter is dropped");
        drop(again);
    }

    #[test]
    fn nexthop_states() {
        assert!(nexthop_up("reachable"));
        assert!(nexthop_up("recursive"));
        assert!(!nexthop_up("unreachable"));
        assert!(!nexthop_up(""));
    }
}
