//! The calling thread's CPU affinity (`sched_getaffinity`/`sched_setaffinity`), for tools
//! that place threads as the router places its lcores (perf's rib-bench). Not DPDK, but
//! `unsafe`, so it lives here.

/// A CPU set: which of the first 1024 CPUs a thread may run on.
#[derive(Clone, Copy)]
pub struct CpuMask(libc::cpu_set_t);

impl CpuMask {
    /// The calling thread's mask, or None if the kernel refuses.
    pub fn current() -> Option<CpuMask> {
        // SAFETY: cpu_set_t is plain data, for which all zeros is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a cpu_set_t of the size given; pid 0 is the calling thread.
        let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
        (r == 0).then_some(CpuMask(set))
    }

    /// Just `cpu` (below 1024).
    pub fn single(cpu: usize) -> CpuMask {
        // SAFETY: as in `current`.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        if cpu < libc::CPU_SETSIZE as usize {
            // SAFETY: CPU_SET writes the bit of `cpu` inside `set`, which has room for it.
            unsafe { libc::CPU_SET(cpu, &mut set) };
        }
        CpuMask(set)
    }

    /// The CPUs in the mask, in order.
    pub fn cpus(&self) -> Vec<usize> {
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: CPU_ISSET only reads the bit of `c` inside the set, which has room for it.
            .filter(|&c| unsafe { libc::CPU_ISSET(c, &self.0) })
            .collect()
    }

    /// Makes this the calling thread's mask; false if the kernel refuses.
    pub fn apply(&self) -> bool {
        // SAFETY: `self.0` is a cpu_set_t of the size given; pid 0 is the calling thread.
        unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&self.0), &self.0) == 0 }
    }
}
