//! DPDK integration test: which virtual devices have RSS, and what wanfwd reads back from
//! those that do. net_ring, net_pcap and net_af_packet must report none (the router then owns
//! NAT replies by port and hands packets between workers); a device that reports RSS
//! is started with two queues and read back (key, RETA, rss_hf) as the router does; net_null
//! reports RSS but a RETA of queue 0 only, and net_tap reports RSS but no RETA: the router
//! must steer NAT ports by neither. No RSS
//! NIC is involved (there is none on the machines this runs on).
//!
//! Needs root (net_tap creates a kernel interface; it is removed when the process ends).

use wanfwd::dpdk::{Eal, Mempool, PortId, PortSetup};
use wanfwd::rss::Steering;

/// Removes the EAL runtime directory of `prefix` when dropped (at the end of the test, and
/// when it fails): EAL leaves it behind.
struct RuntimeDir(String);

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(format!("/var/run/dpdk/{}", self.0));
    }
}

#[test]
fn virtual_devices_and_their_rss() {
    let pid = std::process::id();
    let _runtime = RuntimeDir(format!("wf-rss-vdevs-{pid}"));
    let tap = format!("wfrss{}", pid % 100_000);
    let devices = [
        "net_null0".to_string(),
        "net_ring0".to_string(),
        "net_pcap0,iface=lo".to_string(),
        "net_af_packet0,iface=lo,qpairs=2".to_string(),
        format!("net_tap0,iface={tap}"),
    ];
    let mut args: Vec<String> = [
        "-l",
        "0",
        "--no-huge",
        "-m",
        "256",
        "--no-pci",
        "--log-level",
        "5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push("--file-prefix".into());
    args.push(format!("wf-rss-vdevs-{pid}"));
    args.extend(devices.iter().map(|d| format!("--vdev={d}")));
    let eal = Eal::init(&args).expect("EAL (root and DPDK's virtual devices needed)");
    let pool = Mempool::new("rss_vdevs", 8191, 2176, eal.socket_id()).expect("pool");
    let mut with_rss = Vec::new();
    let mut started = Vec::new();
    let mut usable = Vec::new();
    for d in &devices {
        let name = d.split(',').next().unwrap();
        let id = PortId::by_name(name).expect("port");
        let cap = id.rss_capability().expect("device info");
        eprintln!(
            "{name}: flow_type_rss_offloads {:#x}, reta_size {}, hash_key_size {}",
            cap.flow_types, cap.reta_size, cap.key_size
        );
        if !cap.hashes_ipv4() {
            assert!(
                !name.starts_with("net_tap"),
                "net_tap reported no RSS: this test's expectations are out of date"
            );
            continue;
        }
        with_rss.push(name.to_string());
        let setup = PortSetup {
            rx_queues: 2,
            tx_queues: 2,
            want_control_tx: false,
            rx_desc: 256,
            tx_desc: 256,
            mtu: 1500,
            mac: None,
        };
        let info = id
            .start(&setup, &pool, eal.socket_id())
            .expect("start with 2 queues");
        started.push(id);
        assert!(info.rss, "{name}: RSS over 2 queues configured");
        // What the router does with it (router::steering): predict its queues when the RETA
        // covers the workers' queues, else own replies by range and hand them over.
        let c = match id.rss_config() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{name}: RSS not readable: {e}");
                usable.push((name.to_string(), false));
                continue;
            }
        };
        eprintln!(
            "{name}: read back key {:02x?}, rss_hf {:#x}, {:?}, RETA of {}: {:?}...",
            c.key,
            c.rss_hf,
            c.hashing,
            c.reta.len(),
            &c.reta[..c.reta.len().min(8)]
        );
        let s = Steering::new(&c.key, &c.reta, c.hashing.expect("hashing")).expect("RETA");
        if cap.key_size > 0 {
            assert!(s.symmetric(), "{name}: the key wanfwd programmed");
        }
        eprintln!(
            "{name}: usable for NAT steering with 2 workers: {}",
            s.covers(2)
        );
        usable.push((name.to_string(), s.covers(2)));
    }
    eprintln!("devices reporting IPv4 RSS: {with_rss:?}");
    for name in ["net_ring0", "net_pcap0", "net_af_packet0"] {
        assert!(!with_rss.iter().any(|n| n == name), "{name} reports RSS");
    }
    // net_null takes RSS settings but does not spread anything: its RETA says queue 0 only,
    // and the router must not steer NAT ports by it.
    // net_tap hashes only for rte_flow RSS rules, and has no RETA to read: the kernel's tun
    // spreads its queues, which nobody here predicts.
    for name in ["net_null0", "net_tap0"] {
        assert_eq!(
            usable.iter().find(|(n, _)| n == name),
            Some(&(name.to_string(), false)),
            "{name}"
        );
    }
    for id in started {
        id.stop_and_close();
    }
    drop(pool);
    drop(eal);
}
