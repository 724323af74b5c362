//! The safe wrapper around DPDK: the only module that calls `dpdk_sys`, and the only one
//! allowed `unsafe` code. Everything above it sees newtypes and `Result`s.
#![allow(unsafe_code)]

mod affinity;
mod eal;
mod launch;
mod mbuf;
mod memory;
mod mempool;
mod port;
mod rss;

pub use affinity::CpuMask;
pub use eal::{Eal, LcoreId};
pub use launch::{launch, wait};
pub use mbuf::{rx_burst, tx_burst, Burst, Mbuf, BURST};
pub use memory::{huge_vec, prefetch};
pub use mempool::Mempool;
pub use port::{link_up, PortId, PortInfo, PortSetup, PortStats};
pub use rss::{hashing_of, softrss, RssCapability, RssConfig};

use std::ffi::CStr;
use std::fmt;

// The configuration (free of DPDK) checks mbuf sizes against these.
const _: () = assert!(dpdk_sys::RTE_PKTMBUF_HEADROOM == crate::config::MBUF_HEADROOM as u32);
const _: () =
    assert!(dpdk_sys::RTE_MBUF_DEFAULT_BUF_SIZE == crate::config::MBUF_DEFAULT_SIZE as u32);

/// A failed DPDK call: what was attempted and DPDK's own reason.
#[derive(Debug, Clone)]
pub struct Error {
    pub what: String,
    pub code: i32,
}

impl Error {
    pub(crate) fn new(what: impl Into<String>, code: i32) -> Self {
        Error {
            what: what.into(),
            code: code.abs(),
        }
    }

    /// An error whose code is in `rte_errno`, as for calls returning NULL.
    pub(crate) fn from_errno(what: impl Into<String>) -> Self {
        // SAFETY: reads the calling thread's rte_errno through the shim; no memory is touched.
        let code = unsafe { dpdk_sys::wf_errno() };
        Error::new(what, code)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: rte_strerror returns a pointer to a static or thread-local NUL-terminated
        // string that stays valid until the next call on this thread; it is copied at once.
        let reason = unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(self.code)) };
        write!(f, "{}: {}", self.what, reason.to_string_lossy())
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Time-stamp counter, for cheap timers on the packet path.
#[inline]
pub fn tsc() -> u64 {
    // SAFETY: reads the CPU's time-stamp counter; no memory is touched.
    unsafe { dpdk_sys::wf_rdtsc() }
}

/// Time-stamp counter ticks per second, as EAL calibrated it.
pub fn tsc_hz() -> u64 {
    // SAFETY: returns a value EAL computed at init; no memory is touched.
    unsafe { dpdk_sys::wf_tsc_hz() }
}
