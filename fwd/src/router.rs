//! Putting the router together: EAL, pool, ports, control core and workers, from a
//! configuration; running until told to stop; and the report of what happened.

use crate::api::ApiServer;
use crate::config::{Config, Workers};
use crate::control::{self, Control, ControlTx, CtlPort, Model};
use crate::counters::{Counters, SharedCounters};
use crate::dpdk::{self, Burst, Eal, Mempool, PortId, PortSetup, PortStats};
use crate::metrics::Metrics;
use crate::rss::{RssPorts, Steering};
use crate::stateful::{Stateful, WorkerCmd};
use crate::worker::Handoff;
use crate::worker::{Punted, Worker, WorkerPort};
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// RX and TX descriptors per queue.
const RX_DESC: u16 = 1024;
const TX_DESC: u16 = 1024;
/// Packets the workers may queue for the control core, per worker.
const PUNT_RING: usize = 4096;
/// Packets the control core may queue for a worker to send, per port.
const CONTROL_TX_RING: usize = 1024;

/// What a run leaves behind: per-port device counters and the summed packet counters.
#[derive(Debug, Default)]
pub struct Report {
    pub ports: Vec<(String, PortStats)>,
    pub workers: Counters,
    pub control: Counters,
}

impl Report {
    /// Workers' and control core's counters added up: for the drops. (tx_packets of the sum
    /// counts the control core's packets twice when a worker sent them for it.)
    pub fn total(&self) -> Counters {
        let mut c = self.workers.clone();
        c.add(&self.control);
        c
    }
}

#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<dpdk::Error> for Error {
    fn from(e: dpdk::Error) -> Self {
        Error(e.to_string())
    }
}

fn has_arg(args: &[String], names: &[&str]) -> bool {
    args.iter().any(|a| {
        names
            .iter()
            .any(|n| a == n || a.starts_with(&format!("{n}=")))
    })
}

/// A field of /proc/meminfo (its number: kB for sizes), if the file and the field are there.
fn meminfo(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.split(':').next() == Some(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Free 2 MB hugepages, from /proc/meminfo.
fn free_hugepages() -> u64 {
    meminfo("HugePages_Free").unwrap_or(0)
}

/// Refuses connection tables larger than the memory the kernel says is available: each
/// worker allocates and fills its table at start, and one too large for the machine would
/// get wanfwd killed half way through starting instead of told why.
fn check_table_memory(
    max_entries: usize,
    workers: usize,
    available_kb: Option<u64>,
) -> Result<(), Error> {
    let need = crate::conntrack::Table::memory(max_entries).saturating_mul(workers.max(1));
    let Some(available) = available_kb.map(|kb| kb.saturating_mul(1024)) else {
        return Ok(());
    };
    if need as u64 <= available {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
    Err(Error(format!(
        "the connection tables need {:.1} GiB (max-entries {max_entries} per worker × {workers} worker(s)) and only {:.1} GiB of memory is available: lower /ip/firewall/connection/tracking max-entries",
        gib(need as u64),
        gib(available)
    )))
}

/// The name DPDK gives the port of a device string: a vdev's name before its first comma,
/// or a PCI address.
pub fn device_name(device: &str) -> &str {
    device.split(',').next().unwrap_or(device).trim()
}

/// The kernel interface of a `net_af_packet` device string (`iface=` argument).
fn af_packet_iface(device: &str) -> Option<String> {
    if !device_name(device).starts_with("net_af_packet") {
        return None;
    }
    device
        .split(',')
        .find_map(|kv| kv.trim().strip_prefix("iface="))
        .map(str::to_owned)
}

fn is_pci(device: &str) -> bool {
    let n = device_name(device);
    n.len() >= 7 && n.contains(':') && n.contains('.') && !n.starts_with("net_")
}

/// The EAL arguments for a configuration: the operator's own, plus the devices, the cores
/// and a file prefix unless given.
pub fn eal_args(cfg: &Config) -> Vec<String> {
    let user = &cfg.dpdk.eal_args;
    let mut a: Vec<String> = user.clone();
    if !has_arg(user, &["-l", "--lcores", "-c"]) {
        match &cfg.dpdk.workers {
            Workers::Count(n) => a.extend(["-l".into(), format!("0-{n}")]),
            Workers::Cores(cores) => {
                let main = (0..).find(|c| !cores.contains(c)).unwrap_or(0);
                let mut list = vec![main.to_string()];
                list.extend(cores.iter().map(|c| c.to_string()));
                a.extend([
                    "-l".into(),
                    list.join(","),
                    "--main-lcore".into(),
                    main.to_string(),
                ]);
            }
        }
    }
    // A prefix of our own (not --in-memory) so that dpdk-proc-info, dpdk-telemetry.py and
    // dpdk-dumpcap can attach to the running router.
    if !has_arg(user, &["--file-prefix", "--in-memory"]) {
        a.extend(["--file-prefix".into(), "wanfwd".into()]);
    }
    if !has_arg(user, &["--no-huge", "--in-memory"]) && free_hugepages() == 0 {
        log::warn!("no free hugepages (scripts/setup.sh reserves them): running with --no-huge");
        a.push("--no-huge".into());
        if !has_arg(user, &["-m", "--socket-mem"]) {
            a.extend(["-m".into(), "512".into()]);
        }
    }
    let mut any_pci = false;
    for i in cfg.interfaces.iter().filter(|i| !i.disabled) {
        if is_pci(&i.device) {
            any_pci = true;
            a.extend(["-a".into(), i.device.clone()]);
        } else {
            a.push(format!("--vdev={}", i.device));
        }
    }
    if !any_pci && !has_arg(user, &["--no-pci", "-a", "--allow", "-b", "--block"]) {
        a.push("--no-pci".into());
    }
    a
}

/// The mbuf pool size: enough for every descriptor of every queue, the bursts in flight,
/// the rings to and from the control core, and the hold queue, rounded to 2^n - 1 (the
/// size the mempool ring uses best).
fn pool_size(cfg: &Config, ports: usize, workers: usize) -> u32 {
    if let Some(n) = cfg.dpdk.mbufs {
        return n;
    }
    let per_port = usize::from(RX_DESC) * workers + usize::from(TX_DESC) * (workers + 1);
    let want = ports * per_port
        + workers * ports * dpdk::BURST * 2
        + workers * PUNT_RING
        + ports * CONTROL_TX_RING
        + crate::neigh::MAX_INCOMPLETE * crate::neigh::HOLD_PER_NEIGHBOUR
        + 1024;
    let n = (want + 1).next_power_of_two() - 1;
    n.max(8191) as u32
}

/// Options of a run that are not configuration.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Log per-port packet rates this often.
    pub stats_interval: Option<std::time::Duration>,
    /// A RouterOS script run once the router is up, after the YAML (`wanfwd --script`): its
    /// name (for errors) and text. An error in it stops the start.
    pub script: Option<(String, String)>,
}

/// Runs the router until `stop` is set. Fails on a start-up error (EAL, ports) or when a
/// worker died; in both cases nothing is left running.
pub fn run(cfg: &Config, opts: &RunOptions, stop: Arc<AtomicBool>) -> Result<Report, Error> {
    let ifaces: Vec<_> = cfg.interfaces.iter().filter(|i| !i.disabled).collect();
    if ifaces.is_empty() {
        return Err(Error(
            "no enabled interface in /interface/ethernet: nothing to route".into(),
        ));
    }
    // The API socket first: a second wanfwd on the same socket fails before touching DPDK.
    let api = ApiServer::bind(&cfg.api.socket, cfg.api.group.as_deref())
        .map_err(|e| Error(format!("api socket {}: {e}", cfg.api.socket.display())))?;
    log::info!("API socket {}", cfg.api.socket.display());
    let n_workers = cfg.dpdk.workers.count();
    check_table_memory(cfg.tracking.max_entries, n_workers, meminfo("MemAvailable"))?;
    let args = eal_args(cfg);
    log::info!("EAL arguments: {}", args.join(" "));
    let eal = Eal::init(&args)?;
    let lcores = eal.worker_lcores();
    if lcores.len() < n_workers {
        return Err(Error(format!(
            "{} worker(s) configured but EAL has {} worker lcore(s): check dpdk.workers and -l",
            n_workers,
            lcores.len()
        )));
    }
    let socket = eal.socket_id();
    let (n_mbufs, data_room) = (
        pool_size(cfg, ifaces.len(), n_workers),
        cfg.dpdk.mbuf_size(ifaces.iter().map(|i| i.mtu)),
    );
    log::info!("mbuf pool: {n_mbufs} buffers of {data_room} bytes");
    let pool = Arc::new(Mempool::new("wanfwd_pkts", n_mbufs, data_room, socket)?);

    // Ports, in configuration order: the index is the port number everything else uses.
    let mut started: Vec<PortId> = Vec::new();
    let result = start_ports(cfg, &ifaces, n_workers, &pool, socket, &mut started);
    let (ctl_ports, worker_rings, steerings, infos) = match result {
        Ok(v) => v,
        Err(e) => {
            for p in started {
                p.stop_and_close();
            }
            return Err(e);
        }
    };

    let names: Vec<String> = ifaces.iter().map(|i| i.name.clone()).collect();
    let model = Model::from_config(cfg, &names);
    let index_of = |name: &str| names.iter().position(|n| n == name).map(|i| i as u16);
    let mut ctl_ports = ctl_ports;
    for (p, a) in &model.addresses {
        if !a.disabled {
            ctl_ports[usize::from(*p)].addrs.push(a.address);
        }
    }
    let static_arp: Vec<_> = cfg
        .arp
        .iter()
        .filter(|a| !a.disabled)
        .filter_map(|a| index_of(&a.interface).map(|p| (u32::from(a.address), p, a.mac_address)))
        .collect();
    let punts: Vec<Arc<ArrayQueue<Punted>>> = (0..n_workers)
        .map(|_| Arc::new(ArrayQueue::new(PUNT_RING)))
        .collect();
    let rs = &cfg.routing_settings;
    let settings = control::Settings {
        probe: control::probe_settings(rs),
        hash_policy: control::hash_policy(cfg.ip_settings.ecmp_hash_policy),
        stats_interval: opts.stats_interval,
    };
    let mut control = Control::new(
        ctl_ports,
        Arc::clone(&pool),
        model,
        &static_arp,
        punts.clone(),
        settings,
    );
    control.api = Some(api);
    let cmd_rings: Vec<Arc<ArrayQueue<WorkerCmd>>> = (0..n_workers)
        .map(|_| Arc::new(ArrayQueue::new(CMD_RING)))
        .collect();
    let handoff_rings: Vec<Arc<ArrayQueue<Handoff>>> = (0..n_workers)
        .map(|_| Arc::new(ArrayQueue::new(HANDOFF_RING)))
        .collect();
    control.handoff = handoff_rings.clone();

    let failed = Arc::new(AtomicBool::new(false));
    let worker_stop = Arc::new(AtomicBool::new(false));
    let counters: Vec<Arc<SharedCounters>> = (0..n_workers)
        .map(|_| Arc::new(SharedCounters::default()))
        .collect();
    control.workers = counters.clone();
    control.worker_lcores = lcores.iter().take(n_workers).map(|l| l.0).collect();
    control.control_lcore = eal.main_lcore().0;
    // Metrics are for watching the router: if their address is taken, say so and route anyway.
    match Metrics::start(cfg.metrics.listen) {
        Ok(metrics) => {
            control.observer = Some(control::Observer {
                metrics,
                workers: counters.clone(),
                next: std::time::Instant::now(),
            });
        }
        Err(e) => log::error!("{e}; running without metrics"),
    }
    let rss = RssPorts::new(steerings);
    if rss.mixed() {
        log::warn!(
            "the RSS devices steer differently: some packets will be handed between workers"
        );
    }
    // The start-up script runs before any worker does, so that no packet is forwarded (or
    // connection opened) by the YAML alone when the script changes it. It reaches the
    // workers through the snapshot they start from and their initial timeouts; the command
    // rings are handed to the control core only once the workers are there to answer.
    let mut script_error = None;
    if let Some((name, text)) = &opts.script {
        match control.execute(text, false) {
            crate::api::Response::Ok(out) => {
                log::info!("{name}: applied");
                if !out.is_empty() {
                    log::info!("{name}: {}", out.trim_end());
                }
            }
            crate::api::Response::Error(e) => script_error = Some(format!("{name}: {e}")),
        }
    }
    let mut launched = Vec::new();
    let mut launch_error = None;
    let to_launch = if script_error.is_none() { n_workers } else { 0 };
    for (w, lcore) in lcores.iter().take(to_launch).enumerate() {
        let ports = started
            .iter()
            .enumerate()
            .map(|(pi, id)| WorkerPort {
                dpdk_port: id.0,
                rxq: w as u16,
                txq: w as u16,
                rx_ip_checksum: infos[pi].rx_ip_checksum,
                prefetch: !infos[pi].rx_copies,
                // Worker 0 sends for the control core where the device has no spare queue.
                control_tx: if w == 0 {
                    worker_rings[pi].clone()
                } else {
                    None
                },
            })
            .collect();
        let mut stateful = Stateful::new(
            cfg.tracking.max_entries,
            &control.tracking_timeouts(),
            w,
            n_workers,
        );
        stateful.rss = rss.clone();
        let worker = Worker {
            stateful,
            cmds: Arc::clone(&cmd_rings[w]),
            handoff: handoff_rings.clone(),
            id: w,
            ports,
            reader: control.reader(),
            punt: Arc::clone(&punts[w]),
            counters: Arc::clone(&counters[w]),
            stop: Arc::clone(&worker_stop),
        };
        let failed = Arc::clone(&failed);
        let r = dpdk::launch(*lcore, move || {
            let guard = PanicFlag(failed);
            let rc = worker.run();
            std::mem::forget(guard);
            rc
        });
        match r {
            Ok(()) => launched.push(*lcore),
            Err(e) => {
                launch_error = Some(e);
                break;
            }
        }
    }
    control.cmds = cmd_rings.clone();
    if launch_error.is_none() && script_error.is_none() {
        log::info!(
            "wanfwd ready: {} port(s), {} worker(s), {} of {} route(s) resolved",
            started.len(),
            n_workers,
            control.rib().routes.iter().filter(|r| r.resolved()).count(),
            control.rib().routes.len()
        );
        control.log_routes();
        control.run(&stop, &failed);
    }
    worker_stop.store(true, Ordering::SeqCst);
    let mut worker_failed = false;
    for l in &launched {
        if dpdk::wait(*l) != 0 {
            worker_failed = true;
        }
    }
    let mut report = Report::default();
    for c in &counters {
        report.workers.add(&c.read());
    }
    report.control = control.counters.clone();
    report.ports = ifaces
        .iter()
        .zip(started.iter())
        .map(|(i, p)| (i.name.clone(), p.stats()))
        .collect();
    drop(control);
    // The rings between the cores may still hold packets (a punt the control core had not
    // taken yet, a packet it queued for a worker to send, a hand-off): they go back to the
    // pool now, while it exists. Dropped with the function's other locals, after the pool
    // and the EAL, they freed buffers into freed memory (a crash at exit, seen once in
    // tests/e2e/netwatch.sh).
    drop(punts);
    drop(handoff_rings);
    drop(worker_rings);
    drop(cmd_rings);
    for p in &started {
        p.stop_and_close();
    }
    drop(pool);
    drop(eal);
    if let Some(e) = launch_error {
        return Err(e.into());
    }
    if let Some(e) = script_error {
        return Err(Error(e));
    }
    if worker_failed || failed.load(Ordering::SeqCst) {
        return Err(Error(
            "a worker failed (see the log above); the router stopped".into(),
        ));
    }
    Ok(report)
}

/// Sets the flag if dropped while unwinding: tells the control core a worker died.
struct PanicFlag(Arc<AtomicBool>);

impl Drop for PanicFlag {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// Packets one worker passes to another (or the control core to a worker) for the
/// connection it owns.
const HANDOFF_RING: usize = 4096;

/// Requests from the control core to a worker that may wait (list, remove connections).
const CMD_RING: usize = 64;

/// The started ports: the control core's view, each one's control TX ring, its steering,
/// and what the device turned out to be.
type Started = (
    Vec<CtlPort>,
    Vec<Option<Arc<ArrayQueue<dpdk::Mbuf>>>>,
    Vec<Option<Steering>>,
    Vec<dpdk::PortInfo>,
);

/// How port `id` (interface `name`) steers packets to the workers' queues, when its device
/// has RSS over them and reports what wanfwd needs to predict it; else the NAT replies of
/// its connections are owned by port and handed over (owner.rs).
fn steering(name: &str, id: PortId, n_workers: usize) -> Option<Steering> {
    let c = match id.rss_config() {
        Ok(c) => c,
        Err(e) => {
            log::warn!(
                "interface {name}: RSS not predictable ({e}): replies are handed between workers"
            );
            return None;
        }
    };
    let Some(hashing) = c.hashing else {
        log::warn!(
            "interface {name}: RSS hashes source- or destination-only fields (rss_hf {:#x}): replies are handed between workers",
            c.rss_hf
        );
        return None;
    };
    let s = Steering::new(&c.key, &c.reta, hashing)?;
    if !s.covers(n_workers) {
        log::warn!("interface {name}: the RETA does not spread over the {n_workers} workers' queues: replies are handed between workers");
        return None;
    }
    log::info!(
        "interface {name}: RSS key {} ({}symmetric), RETA of {}, hashing TCP {:?}, UDP {:?}, other {:?}: NAT ports steer replies to their worker",
        c.key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        if s.symmetric() { "" } else { "not " },
        c.reta.len(),
        hashing.tcp,
        hashing.udp,
        hashing.other
    );
    Some(s)
}

fn start_ports(
    cfg: &Config,
    ifaces: &[&crate::config::EthernetItem],
    n_workers: usize,
    pool: &Mempool,
    socket: i32,
    started: &mut Vec<PortId>,
) -> Result<Started, Error> {
    let _ = cfg;
    let mut ctl = Vec::new();
    let mut rings = Vec::new();
    let mut steerings = Vec::new();
    let mut infos = Vec::new();
    for i in ifaces {
        let id = PortId::by_name(device_name(&i.device))
            .map_err(|e| Error(format!("interface {}: {e}", i.name)))?;
        let setup = PortSetup {
            rx_queues: n_workers as u16,
            tx_queues: n_workers as u16,
            want_control_tx: true,
            rx_desc: RX_DESC,
            tx_desc: TX_DESC,
            mtu: i.mtu,
            mac: i.mac_address,
        };
        let info = id
            .start(&setup, pool, socket)
            .map_err(|e| Error(format!("interface {}: {e}", i.name)))?;
        started.push(id);
        steerings.push(if info.rss && n_workers > 1 {
            steering(&i.name, id, n_workers)
        } else {
            None
        });
        log::info!(
            "interface {} = port {} ({}), MAC {}, {} queue(s){}{}",
            i.name,
            id.0,
            info.driver,
            info.mac,
            n_workers,
            if info.rss { ", RSS" } else { "" },
            if info.control_txq.is_some() {
                ", control TX queue"
            } else {
                ", control TX via worker 0"
            }
        );
        let (tx, ring) = match info.control_txq {
            Some(q) => (
                ControlTx::Queue {
                    dpdk_port: id.0,
                    txq: q,
                    buf: Burst::new(),
                },
                None,
            ),
            None => {
                let r = Arc::new(ArrayQueue::new(CONTROL_TX_RING));
                (ControlTx::ViaWorker(Arc::clone(&r)), Some(r))
            }
        };
        ctl.push(CtlPort {
            name: i.name.clone(),
            device: i.device.clone(),
            dpdk_port: id.0,
            kernel_iface: af_packet_iface(&i.device),
            mac: info.mac,
            mtu: i.mtu,
            enabled: true,
            addrs: Vec::new(),
            tx,
        });
        rings.push(ring);
        infos.push(info);
    }
    Ok((ctl, rings, steerings, infos))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables that do not fit the available memory are refused before anything starts, with
    /// what they need and the setting to lower; unknown memory refuses nothing.
    #[test]
    fn connection_tables_must_fit_the_memory() {
        let per_worker = crate::conntrack::Table::memory(1_000_000) as u64;
        let kb = |b: u64| b.div_ceil(1024);
        assert!(check_table_memory(1_000_000, 2, Some(kb(2 * per_worker))).is_ok());
        let e = check_table_memory(1_000_000, 2, Some(kb(2 * per_worker) - 1024)).unwrap_err();
        assert!(
            e.0.contains("max-entries 1000000 per worker × 2 worker(s)"),
            "{e}"
        );
        assert!(
            e.0.contains("lower /ip/firewall/connection/tracking max-entries"),
            "{e}"
        );
        assert!(check_table_memory(crate::conntrack::MAX_CAPACITY, 64, None).is_ok());
        assert!(check_table_memory(1, 1, Some(0)).is_err());
    }

    #[test]
    fn device_names() {
        assert_eq!(device_name("net_af_packet0,iface=veth1"), "net_af_packet0");
        assert_eq!(device_name("0000:03:00.0"), "0000:03:00.0");
        assert!(is_pci("0000:03:00.0"));
        assert!(!is_pci("net_pcap0,rx_pcap=a.pcap"));
        assert_eq!(
            af_packet_iface("net_af_packet1,iface=wfr-isp1,qpairs=2").as_deref(),
            Some("wfr-isp1")
        );
        assert_eq!(af_packet_iface("net_pcap0,iface=eth0"), None);
    }

    #[test]
    fn eal_args_add_devices_cores_and_prefix() {
        let cfg = Config::from_yaml_str(
            "dpdk: { workers: 1, eal-args: [--no-huge] }\n/interface/ethernet:\n  - { name: ether1, device: 'net_null0' }\n  - { name: ether2, device: '0000:03:00.0' }\n",
            "t.yaml",
        )
        .unwrap();
        let a = eal_args(&cfg);
        let s = a.join(" ");
        assert!(s.contains("-l 0-1"), "{s}");
        assert!(s.contains("--file-prefix wanfwd"), "{s}");
        assert!(s.contains("--vdev=net_null0"), "{s}");
        assert!(s.contains("-a 0000:03:00.0"), "{s}");
        assert!(!s.contains("--no-pci"), "{s}");
        assert_eq!(a.iter().filter(|x| *x == "--no-huge").count(), 1);
    }

    #[test]
    fn pool_covers_descriptors() {
        let cfg = Config::default();
        let n = pool_size(&cfg, 3, 1);
        assert!(n as usize >= 3 * (1024 + 2048));
        assert_eq!((n + 1).count_ones(), 1);
    }
}
