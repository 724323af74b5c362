//! Memory hints for large tables the packet path walks at random (the connection table):
//! back them with huge pages so that a lookup costs a cache miss and not also a page walk,
//! and prefetch what the next packets will need. Not DPDK, but `unsafe`, so it lives here.

/// A vector of `n` copies of `value` whose memory the kernel is asked to back with
/// transparent huge pages (when THP is in `madvise` or `always` mode; otherwise it is an
/// ordinary vector). The hint is given before the memory is first touched.
pub fn huge_vec<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    let spare = v.spare_capacity_mut();
    let start = spare.as_ptr() as usize;
    let len = std::mem::size_of_val(spare);
    const HUGE: usize = 2 << 20;
    // Only whole huge pages inside the allocation.
    let first = start.next_multiple_of(HUGE);
    let end = (start + len) & !(HUGE - 1);
    if end > first {
        // SAFETY: the range lies inside this vector's own allocation, which nothing else
        // references yet; MADV_HUGEPAGE only changes how the kernel backs the pages, not
        // their contents or validity. A failure (THP disabled) is harmless and ignored.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
    v.resize(n, value);
    v
}

/// Hints the CPU to fetch the cache line holding `r` (never faults, never blocks).
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and `r` is
    // a valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            r as *const T as *const i8,
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}
