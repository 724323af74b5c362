//! Packet buffer pools.

use super::{Error, Mbuf, Result};
use std::ffi::CString;
use std::ptr::NonNull;

/// A pool of packet buffers (`rte_pktmbuf_pool_create`), freed on drop.
pub struct Mempool {
    raw: NonNull<dpdk_sys::rte_mempool>,
}

// SAFETY: a DPDK mempool is designed for concurrent use from every lcore (per-lcore caches
// plus a lock-free ring); the handle itself is an immutable pointer.
unsafe impl Send for Mempool {}
// SAFETY: as above; all operations through &Mempool are thread-safe in DPDK.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// A pool of `n` buffers of `data_room` bytes each (DPDK's headroom included, as
    /// `rte_pktmbuf_pool_create` and `dpdk-testpmd --mbuf-size` count it), with a per-lcore
    /// cache.
    pub fn new(name: &str, n: u32, data_room: u16, socket: i32) -> Result<Mempool> {
        if u32::from(data_room) <= dpdk_sys::RTE_PKTMBUF_HEADROOM {
            return Err(Error::new(
                format!(
                    "mbuf data room of {data_room} bytes: not more than the {}-byte headroom",
                    dpdk_sys::RTE_PKTMBUF_HEADROOM
                ),
                22,
            ));
        }
        let cname = CString::new(name).map_err(|_| Error::new("pool name has a NUL", 22))?;
        // A cache of 256 per lcore keeps alloc/free off the shared ring for whole bursts.
        let cache = 256.min(n / 8);
        // SAFETY: cname is a valid NUL-terminated string for the call; DPDK copies it.
        let raw = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(cname.as_ptr(), n, cache, 0, data_room, socket)
        };
        NonNull::new(raw).map(|raw| Mempool { raw }).ok_or_else(|| {
            Error::from_errno(format!(
                "creating mbuf pool of {n} buffers of {data_room} bytes"
            ))
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.raw.as_ptr()
    }

    /// One buffer, empty, or None when the pool is exhausted.
    pub fn alloc(&self) -> Option<Mbuf> {
        // SAFETY: the pool pointer is valid for our lifetime; the result is NULL or an mbuf
        // we now own.
        let m = unsafe { dpdk_sys::wf_pktmbuf_alloc(self.raw.as_ptr()) };
        NonNull::new(m).map(Mbuf::from_nonnull)
    }

    /// Buffers currently free in the pool (approximate while others allocate).
    pub fn available(&self) -> u32 {
        // SAFETY: read-only query on a valid pool.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.raw.as_ptr()) }
    }

    /// Buffers currently allocated from the pool.
    pub fn in_use(&self) -> u32 {
        // SAFETY: read-only query on a valid pool.
        unsafe { dpdk_sys::rte_mempool_in_use_count(self.raw.as_ptr()) }
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        // SAFETY: ports using this pool are stopped and closed before the pool is dropped
        // (the router's drop order), so no mbuf of it is referenced by a device any more.
        unsafe { dpdk_sys::rte_mempool_free(self.raw.as_ptr()) }
    }
}
