//! EAL initialisation: once per process, torn down on drop.

use super::{Error, Result};
use std::ffi::{c_char, CString};
use std::sync::atomic::{AtomicBool, Ordering};

static STARTED: AtomicBool = AtomicBool::new(false);

/// An EAL logical core id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LcoreId(pub u32);

/// The running Environment Abstraction Layer. Dropping it calls `rte_eal_cleanup`; the
/// ports and pools made under it must be dropped first.
pub struct Eal {
    _private: (),
}

impl Eal {
    /// Starts EAL with `args` (without the program name). EAL can start only once per
    /// process, so a second call fails.
    pub fn init(args: &[String]) -> Result<Eal> {
        if STARTED.swap(true, Ordering::SeqCst) {
            return Err(Error::new("EAL already initialised in this process", 114));
        }
        let mut owned: Vec<CString> = Vec::with_capacity(args.len() + 1);
        owned.push(CString::new("wanfwd").expect("no NUL"));
        for a in args {
            owned.push(
                CString::new(a.as_str())
                    .map_err(|_| Error::new(format!("EAL argument '{a}' has a NUL byte"), 22))?,
            );
        }
        let mut argv: Vec<*mut c_char> = owned.iter().map(|s| s.as_ptr() as *mut c_char).collect();
        // SAFETY: argv points to argc valid NUL-terminated strings kept alive by `owned` for
        // the duration of the call; EAL may permute argv but copies what it keeps.
        let rc = unsafe { dpdk_sys::rte_eal_init(argv.len() as i32, argv.as_mut_ptr()) };
        if rc < 0 {
            STARTED.store(false, Ordering::SeqCst);
            return Err(Error::from_errno("rte_eal_init"));
        }
        Ok(Eal { _private: () })
    }

    /// The worker lcores, i.e. every enabled lcore but the main one, in order.
    pub fn worker_lcores(&self) -> Vec<LcoreId> {
        let mut out = Vec::new();
        let mut i = u32::MAX;
        loop {
            // SAFETY: pure query of EAL's lcore table, which is fixed after init.
            i = unsafe { dpdk_sys::rte_get_next_lcore(i, 1, 0) };
            if i >= dpdk_sys::RTE_MAX_LCORE {
                return out;
            }
            out.push(LcoreId(i));
        }
    }

    pub fn main_lcore(&self) -> LcoreId {
        // SAFETY: pure query of EAL's configuration after init.
        LcoreId(unsafe { dpdk_sys::rte_get_main_lcore() })
    }

    /// The NUMA socket of the calling thread's lcore.
    pub fn socket_id(&self) -> i32 {
        // SAFETY: pure query for the calling thread.
        unsafe { dpdk_sys::rte_socket_id() as i32 }
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: every lcore has been waited for by the owner of the workers, and ports and
        // pools are dropped before the Eal (the router holds them in that order).
        unsafe {
            dpdk_sys::rte_eal_mp_wait_lcore();
            dpdk_sys::rte_eal_cleanup();
        }
    }
}
