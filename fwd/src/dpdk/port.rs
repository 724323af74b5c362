//! Ethernet ports: finding a device by name, configuring its queues, starting and stopping.

use super::{Error, Mempool, Result};
use crate::net::MacAddr;
use std::ffi::CString;

/// A DPDK ethdev port id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortId(pub u16);

/// How to set a port up.
#[derive(Clone, Debug)]
pub struct PortSetup {
    /// One RX queue per worker.
    pub rx_queues: u16,
    /// One TX queue per worker; the control core asks for one more if the device has it.
    pub tx_queues: u16,
    pub want_control_tx: bool,
    pub rx_desc: u16,
    pub tx_desc: u16,
    pub mtu: u16,
    pub mac: Option<MacAddr>,
}

/// What a started port turned out to be.
#[derive(Clone, Debug)]
pub struct PortInfo {
    pub id: PortId,
    pub driver: String,
    pub mac: MacAddr,
    /// The control core's own TX queue, when the device had one to spare.
    pub control_txq: Option<u16>,
    pub rss: bool,
    /// The device verifies IPv4 header checksums on receive.
    pub rx_ip_checksum: bool,
    /// The driver copies each received frame into its mbuf with the CPU during the receive
    /// call (the software devices net_pcap, net_af_packet and net_tap), so the data is in the
    /// cache when the burst is returned: prefetching it again is pure cost (1.5 % of the
    /// plain router's rate). A NIC's DMA, virtio's host or another lcore's ring leaves it to
    /// be fetched.
    pub rx_copies: bool,
}

/// Device counters, as `rte_eth_stats_get` gives them.
#[derive(Clone, Copy, Debug, Default)]
pub struct PortStats {
    pub ipackets: u64,
    pub opackets: u64,
    pub ibytes: u64,
    pub obytes: u64,
    pub imissed: u64,
    pub ierrors: u64,
    pub oerrors: u64,
    pub rx_nombuf: u64,
}

impl PortStats {
    /// Each counter of `self` combined with the same counter of `other` by `f` (the counts
    /// since a base, rates over an interval).
    pub fn zip_with(&self, other: &PortStats, f: impl Fn(u64, u64) -> u64) -> PortStats {
        PortStats {
            ipackets: f(self.ipackets, other.ipackets),
            opackets: f(self.opackets, other.opackets),
            ibytes: f(self.ibytes, other.ibytes),
            obytes: f(self.obytes, other.obytes),
            imissed: f(self.imissed, other.imissed),
            ierrors: f(self.ierrors, other.ierrors),
            oerrors: f(self.oerrors, other.oerrors),
            rx_nombuf: f(self.rx_nombuf, other.rx_nombuf),
        }
    }
}

impl PortId {
    /// The port EAL created for a device name (a vdev's name, or a PCI address).
    pub fn by_name(name: &str) -> Result<PortId> {
        let c = CString::new(name).map_err(|_| Error::new("device name has a NUL", 22))?;
        let mut id = 0u16;
        // SAFETY: c is a valid C string and id a valid out-pointer for the call.
        let rc = unsafe { dpdk_sys::rte_eth_dev_get_port_by_name(c.as_ptr(), &mut id) };
        if rc != 0 {
            return Err(Error::new(format!("no DPDK port for device '{name}'"), rc));
        }
        Ok(PortId(id))
    }

    /// Configures queues and offloads, sets up the queues from `pool` and starts the port.
    pub fn start(self, setup: &PortSetup, pool: &Mempool, socket: i32) -> Result<PortInfo> {
        let port = self.0;
        // SAFETY: rte_eth_dev_info is plain data; zeroed is a valid initial value that
        // rte_eth_dev_info_get overwrites.
        let mut info: dpdk_sys::rte_eth_dev_info = unsafe { std::mem::zeroed() };
        // SAFETY: valid port id (from by_name) and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(port, &mut info) };
        if rc != 0 {
            return Err(Error::new(format!("port {port}: device info"), rc));
        }
        let driver = if info.driver_name.is_null() {
            String::from("?")
        } else {
            // SAFETY: the driver name is a static NUL-terminated string of the PMD.
            unsafe { std::ffi::CStr::from_ptr(info.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        if info.max_rx_queues < setup.rx_queues || info.max_tx_queues < setup.tx_queues {
            return Err(Error::new(
                format!(
                    "port {port} ({driver}) has {} RX / {} TX queues, {} / {} needed (one per worker; for net_af_packet set qpairs=)",
                    info.max_rx_queues, info.max_tx_queues, setup.rx_queues, setup.tx_queues
                ),
                22,
            ));
        }
        let control_txq = (setup.want_control_tx && info.max_tx_queues > setup.tx_queues)
            .then_some(setup.tx_queues);
        let n_tx = setup.tx_queues + u16::from(control_txq.is_some());

        // SAFETY: rte_eth_conf is plain data; all-zero is DPDK's documented default.
        let mut conf: dpdk_sys::rte_eth_conf = unsafe { std::mem::zeroed() };
        let rss_hf = {
            // SAFETY: returns a constant.
            let want = unsafe { dpdk_sys::wf_rss_hf_ip() };
            want & info.flow_type_rss_offloads
        };
        let rss = setup.rx_queues > 1 && rss_hf != 0;
        // A symmetric Toeplitz key (0x6d5a repeated): both directions of an untranslated
        // flow hash alike and reach the same worker, which owns the connection (design
        // invariant 2). Sized as the device wants it; a device that does not say keeps its
        // own key.
        let key_len = usize::from(info.hash_key_size);
        let key: Vec<u8> = (0..key_len)
            .map(|i| if i % 2 == 0 { 0x6d } else { 0x5a })
            .collect();
        if rss {
            conf.rxmode.mq_mode = dpdk_sys::RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
            if key_len > 0 {
                conf.rx_adv_conf.rss_conf.rss_key = key.as_ptr() as *mut u8;
                conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size as u8;
            }
        }
        // SAFETY: both return constants.
        let (rx_cksum, fast_free) = unsafe {
            (
                dpdk_sys::wf_rx_offload_ipv4_cksum(),
                dpdk_sys::wf_tx_offload_mbuf_fast_free(),
            )
        };
        let rx_ip_checksum = info.rx_offload_capa & rx_cksum != 0;
        if rx_ip_checksum {
            conf.rxmode.offloads |= rx_cksum;
        }
        if info.tx_offload_capa & fast_free != 0 {
            // One pool, refcount 1: the device may free transmitted buffers in bulk.
            conf.txmode.offloads |= fast_free;
        }
        // SAFETY: valid port and a fully initialised conf that outlives the call.
        let rc = unsafe { dpdk_sys::rte_eth_dev_configure(port, setup.rx_queues, n_tx, &conf) };
        if rc != 0 {
            return Err(Error::new(format!("port {port} ({driver}): configure"), rc));
        }
        let (mut nrx, mut ntx) = (setup.rx_desc, setup.tx_desc);
        // SAFETY: valid port and out-pointers.
        let rc = unsafe { dpdk_sys::rte_eth_dev_adjust_nb_rx_tx_desc(port, &mut nrx, &mut ntx) };
        if rc != 0 {
            return Err(Error::new(format!("port {port}: descriptor counts"), rc));
        }
        let sock = if socket < 0 { 0 } else { socket as u32 };
        let mut rxconf = info.default_rxconf;
        rxconf.offloads = conf.rxmode.offloads;
        for q in 0..setup.rx_queues {
            // SAFETY: valid port and queue index below the configured count; the pool
            // outlives the port (the router drops ports first).
            let rc = unsafe {
                dpdk_sys::rte_eth_rx_queue_setup(port, q, nrx, sock, &rxconf, pool.as_ptr())
            };
            if rc != 0 {
                return Err(Error::new(format!("port {port}: RX queue {q}"), rc));
            }
        }
        let mut txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        for q in 0..n_tx {
            // SAFETY: valid port and queue index below the configured count.
            let rc = unsafe { dpdk_sys::rte_eth_tx_queue_setup(port, q, ntx, sock, &txconf) };
            if rc != 0 {
                return Err(Error::new(format!("port {port}: TX queue {q}"), rc));
            }
        }
        // Not every virtual device can change its MTU; where it cannot, the router still
        // enforces the configured MTU in software.
        // SAFETY: valid port.
        let rc = unsafe { dpdk_sys::rte_eth_dev_set_mtu(port, setup.mtu) };
        if rc != 0 {
            log::debug!(
                "port {port} ({driver}): MTU {} not set on the device ({rc})",
                setup.mtu
            );
        }
        let mut mac = self.mac()?;
        if let Some(want) = setup.mac {
            let mut addr = dpdk_sys::rte_ether_addr { addr_bytes: want.0 };
            // SAFETY: valid port and address.
            let rc = unsafe { dpdk_sys::rte_eth_dev_default_mac_addr_set(port, &mut addr) };
            if rc != 0 {
                // The router filters on its MAC in software: receive everything and keep the
                // configured address as ours.
                // SAFETY: valid port.
                let prc = unsafe { dpdk_sys::rte_eth_promiscuous_enable(port) };
                if prc != 0 {
                    return Err(Error::new(
                        format!("port {port} ({driver}): cannot set MAC {want}, nor receive in promiscuous mode"),
                        prc,
                    ));
                }
                log::warn!(
                    "port {port} ({driver}): cannot set MAC {want} ({rc}); using promiscuous mode"
                );
            }
            mac = want;
        }
        // SAFETY: valid, configured port.
        let rc = unsafe { dpdk_sys::rte_eth_dev_start(port) };
        if rc != 0 {
            return Err(Error::new(format!("port {port} ({driver}): start"), rc));
        }
        let rx_copies = matches!(driver.as_str(), "net_pcap" | "net_af_packet" | "net_tap");
        Ok(PortInfo {
            id: self,
            driver,
            mac,
            control_txq,
            rss,
            rx_ip_checksum,
            rx_copies,
        })
    }

    /// The device's own MAC address.
    pub fn mac(self) -> Result<MacAddr> {
        let mut a = dpdk_sys::rte_ether_addr::default();
        // SAFETY: valid port and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_macaddr_get(self.0, &mut a) };
        if rc != 0 {
            return Err(Error::new(format!("port {}: MAC address", self.0), rc));
        }
        Ok(MacAddr(a.addr_bytes))
    }

    pub fn stats(self) -> PortStats {
        let mut s = dpdk_sys::rte_eth_stats::default();
        // SAFETY: valid port and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_stats_get(self.0, &mut s) };
        if rc != 0 {
            return PortStats::default();
        }
        PortStats {
            ipackets: s.ipackets,
            opackets: s.opackets,
            ibytes: s.ibytes,
            obytes: s.obytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            oerrors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        }
    }

    /// Stops and closes the port; its queues release their buffers.
    pub fn stop_and_close(self) {
        // SAFETY: no worker polls the port any more (workers are joined before this).
        unsafe {
            dpdk_sys::rte_eth_dev_stop(self.0);
            dpdk_sys::rte_eth_dev_close(self.0);
        }
    }
}

/// Whether the port's link is up, without waiting.
pub fn link_up(port: PortId) -> bool {
    let mut l = dpdk_sys::rte_eth_link::default();
    // SAFETY: valid port and out-pointer.
    let rc = unsafe { dpdk_sys::rte_eth_link_get_nowait(port.0, &mut l) };
    rc == 0 && l.link_status() != 0
}
