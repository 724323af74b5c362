//! Running closures on EAL worker lcores, with panics caught at the FFI boundary.

use super::{Error, LcoreId, Result};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};

type Job = Box<dyn FnOnce() -> i32 + Send + 'static>;

/// Value an lcore returns when its closure panicked.
pub const PANICKED: i32 = -99;

unsafe extern "C" fn trampoline(arg: *mut c_void) -> i32 {
    // SAFETY: `arg` is the Box<Job> leaked by `launch` for this one call; it is reclaimed
    // exactly once here.
    let job: Box<Job> = unsafe { Box::from_raw(arg as *mut Job) };
    // A panic must not unwind into C: catch it and report it as a return code.
    match catch_unwind(AssertUnwindSafe(job)) {
        Ok(rc) => rc,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            log::error!("worker lcore panicked: {msg}");
            PANICKED
        }
    }
}

/// Starts `f` on worker lcore `lcore`; collect its result with [`wait`].
pub fn launch(lcore: LcoreId, f: impl FnOnce() -> i32 + Send + 'static) -> Result<()> {
    let job: Box<Job> = Box::new(Box::new(f));
    let arg = Box::into_raw(job) as *mut c_void;
    // SAFETY: trampoline has the lcore_function_t signature and takes ownership of `arg`.
    let rc = unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline), arg, lcore.0) };
    if rc != 0 {
        // SAFETY: the launch failed, so the trampoline will never run: reclaim the job.
        drop(unsafe { Box::from_raw(arg as *mut Job) });
        return Err(Error::new(format!("launch on lcore {}", lcore.0), rc));
    }
    Ok(())
}

/// Waits for the closure on `lcore` to return and gives its return code.
pub fn wait(lcore: LcoreId) -> i32 {
    // SAFETY: blocks until the lcore is idle; valid for any lcore id.
    unsafe { dpdk_sys::rte_eal_wait_lcore(lcore.0) }
}
