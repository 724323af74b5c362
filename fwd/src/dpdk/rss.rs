//! What a port's receive-side scaling does, read back from the device once it is started:
//! the key, the redirection table and the hashed flow types, so that the workers can predict
//! the RX queue of a packet (crate::rss). And DPDK's own software Toeplitz hash, to check
//! wanfwd's against.

use super::{Error, PortId, Result};
use crate::rss::{Fields, Hashing};

/// RETA entries per `rte_eth_rss_reta_entry64` (RTE_ETH_RETA_GROUP_SIZE).
const RETA_GROUP: usize = 64;

/// A port's RSS as the device reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RssConfig {
    pub key: Vec<u8>,
    /// The RX queue of each RETA entry.
    pub reta: Vec<u16>,
    /// The raw `rss_hf` the device reports.
    pub rss_hf: u64,
    /// What that means for IPv4 packets; `None` when it restricts the hash to source-only or
    /// destination-only fields, which wanfwd does not model.
    pub hashing: Option<Hashing>,
}

/// The hashed fields of `rss_hf` for IPv4: a TCP/UDP flow type means addresses and ports;
/// without it, `IPV4` hashes the packet by its addresses (ixgbe's reading; a device that then
/// hashes nothing at all is mispredicted, and only costs hand-offs); `NONFRAG_IPV4_OTHER` or
/// `IPV4` hashes other protocols (ICMP) by their addresses.
pub fn hashing_of(rss_hf: u64) -> Option<Hashing> {
    // SAFETY: each returns a constant.
    let (ip, tcp, udp, other, only) = unsafe {
        (
            dpdk_sys::wf_rss_ipv4(),
            dpdk_sys::wf_rss_ipv4_tcp(),
            dpdk_sys::wf_rss_ipv4_udp(),
            dpdk_sys::wf_rss_ipv4_other(),
            dpdk_sys::wf_rss_only_modifiers(),
        )
    };
    if rss_hf & only != 0 {
        return None;
    }
    let l3 = if rss_hf & ip != 0 {
        Fields::L3
    } else {
        Fields::None
    };
    let l4 = |bit: u64| if rss_hf & bit != 0 { Fields::L4 } else { l3 };
    Some(Hashing {
        tcp: l4(tcp),
        udp: l4(udp),
        other: if rss_hf & other != 0 { Fields::L3 } else { l3 },
    })
}

impl PortId {
    /// The port's RSS key, RETA and hashed flow types (call after `start`). An error when the
    /// device does not report them (then nobody can predict its queues).
    pub fn rss_config(self) -> Result<RssConfig> {
        let port = self.0;
        // SAFETY: rte_eth_dev_info is plain data; zeroed is a valid initial value.
        let mut info: dpdk_sys::rte_eth_dev_info = unsafe { std::mem::zeroed() };
        // SAFETY: valid port id and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(port, &mut info) };
        if rc != 0 {
            return Err(Error::new(format!("port {port}: device info"), rc));
        }
        let size = usize::from(info.reta_size);
        if size == 0 || size % RETA_GROUP != 0 {
            return Err(Error::new(
                format!("port {port}: RETA size {size} not a multiple of {RETA_GROUP}"),
                95,
            ));
        }
        let mut groups: Vec<dpdk_sys::rte_eth_rss_reta_entry64> = (0..size / RETA_GROUP)
            .map(|_| dpdk_sys::rte_eth_rss_reta_entry64 {
                mask: u64::MAX,
                ..Default::default()
            })
            .collect();
        // SAFETY: valid port; `groups` holds reta_size entries, as the call reads and writes.
        let rc = unsafe {
            dpdk_sys::rte_eth_dev_rss_reta_query(port, groups.as_mut_ptr(), info.reta_size)
        };
        if rc != 0 {
            return Err(Error::new(format!("port {port}: RETA query"), rc));
        }
        let reta = groups.iter().flat_map(|g| g.reta).collect();
        let key_len = match usize::from(info.hash_key_size) {
            0 => 40,
            n => n,
        };
        // Room for any key a driver may write (52 bytes for i40e/ice).
        let mut key = vec![0u8; key_len.max(64)];
        let mut conf = dpdk_sys::rte_eth_rss_conf {
            rss_key: key.as_mut_ptr(),
            rss_key_len: key_len as u8,
            rss_hf: 0,
        };
        // SAFETY: valid port; rss_key points to `key`, at least rss_key_len bytes long, which
        // outlives the call.
        let rc = unsafe { dpdk_sys::rte_eth_dev_rss_hash_conf_get(port, &mut conf) };
        if rc != 0 {
            return Err(Error::new(
                format!("port {port}: RSS hash configuration"),
                rc,
            ));
        }
        let n = match usize::from(conf.rss_key_len) {
            0 => key_len,
            n => n.min(key.len()),
        };
        key.truncate(n);
        Ok(RssConfig {
            key,
            reta,
            rss_hf: conf.rss_hf,
            hashing: hashing_of(conf.rss_hf),
        })
    }
}

/// DPDK's `rte_softrss` over `tuple` (host-order 32-bit words: source address, destination
/// address, then `sport << 16 | dport`), under `key`, which must be at least 4 bytes longer
/// than the tuple.
pub fn softrss(tuple: &[u32], key: &[u8]) -> u32 {
    assert!(key.len() >= 4 * (tuple.len() + 1), "key too short");
    // SAFETY: rte_softrss reads tuple.len() words of `tuple` and 4 * (len + 1) bytes of
    // `key`, both in bounds (checked above); it writes nothing.
    unsafe { dpdk_sys::wf_softrss(tuple.as_ptr(), tuple.len() as u32, key.as_ptr()) }
}

/// What a device says of its RSS before it is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RssCapability {
    /// `flow_type_rss_offloads`: the flow types it can hash (0: no RSS).
    pub flow_types: u64,
    pub reta_size: u16,
    pub key_size: u8,
}

impl RssCapability {
    /// Whether it can spread IPv4 over queues the way wanfwd asks (dpdk/port.rs).
    pub fn hashes_ipv4(&self) -> bool {
        // SAFETY: returns a constant.
        self.flow_types & unsafe { dpdk_sys::wf_rss_hf_ip() } != 0
    }
}

impl PortId {
    pub fn rss_capability(self) -> Result<RssCapability> {
        // SAFETY: rte_eth_dev_info is plain data; zeroed is a valid initial value.
        let mut info: dpdk_sys::rte_eth_dev_info = unsafe { std::mem::zeroed() };
        // SAFETY: valid port id and out-pointer.
        let rc = unsafe { dpdk_sys::rte_eth_dev_info_get(self.0, &mut info) };
        if rc != 0 {
            return Err(Error::new(format!("port {}: device info", self.0), rc));
        }
        Ok(RssCapability {
            flow_types: info.flow_type_rss_offloads,
            reta_size: info.reta_size,
            key_size: info.hash_key_size,
        })
    }
}
