//! Packet buffers with ownership, and bursts of them.

use super::Error;
use arrayvec::ArrayVec;
use std::ptr::NonNull;

/// Packets per burst. Twice what DPDK's examples use: what a worker pays per burst besides
/// the devices' own calls (the decision loop's set-up, the all-alike test, the move to a TX
/// buffer, the counters) is then spread over twice the packets. Measured on the plain path
/// (perf/README.md, 2026-11-27, fourth session): +4 % against 32, while testpmd's io
/// forwarding on the same devices is no faster with bursts of 64 than of 32.
pub const BURST: usize = 64;

/// One packet buffer, owned: dropping it returns it to its pool.
#[repr(transparent)]
pub struct Mbuf(NonNull<dpdk_sys::rte_mbuf>);

// SAFETY: an mbuf is owned by exactly one holder at a time; moving it between threads moves
// that ownership (DPDK itself hands mbufs between lcores through rings).
unsafe impl Send for Mbuf {}

/// A burst of packets: an inline array, so bursts cost no allocation.
pub type Burst = ArrayVec<Mbuf, BURST>;

impl Mbuf {
    pub(crate) fn from_nonnull(p: NonNull<dpdk_sys::rte_mbuf>) -> Self {
        Mbuf(p)
    }

    #[inline]
    fn raw(&self) -> &dpdk_sys::rte_mbuf {
        // SAFETY: we own a valid mbuf for as long as self lives.
        unsafe { self.0.as_ref() }
    }

    #[inline]
    fn raw_mut(&mut self) -> &mut dpdk_sys::rte_mbuf {
        // SAFETY: we own a valid mbuf exclusively for as long as self lives.
        unsafe { self.0.as_mut() }
    }

    /// The first segment's data.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let m = self.raw();
        // SAFETY: buf_addr + data_off is the start of data_len initialised bytes inside the
        // buffer DPDK allocated for this mbuf, which we own.
        unsafe {
            std::slice::from_raw_parts(
                (m.buf_addr as *const u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    /// The first segment's data, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let m = self.raw_mut();
        // SAFETY: as in `data`, and we hold the only reference to the mbuf.
        unsafe {
            std::slice::from_raw_parts_mut(
                (m.buf_addr as *mut u8).add(m.data_off as usize),
                m.data_len as usize,
            )
        }
    }

    /// The packet's length in bytes, all segments.
    #[inline]
    pub fn pkt_len(&self) -> u32 {
        self.raw().pkt_len
    }

    /// Whether the packet is in one segment (all the router handles).
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.raw().nb_segs == 1
    }

    /// The port the packet was received on.
    #[inline]
    pub fn port(&self) -> u16 {
        self.raw().port
    }

    /// The device's verdict on the IPv4 header checksum: Some(true) good, Some(false) bad,
    /// None when the device did not check it.
    #[inline]
    pub fn ip_checksum_ok(&self) -> Option<bool> {
        let f = self.raw().ol_flags & u64::from(dpdk_sys::RTE_MBUF_F_RX_IP_CKSUM_MASK);
        if f == u64::from(dpdk_sys::RTE_MBUF_F_RX_IP_CKSUM_GOOD) {
            Some(true)
        } else if f == u64::from(dpdk_sys::RTE_MBUF_F_RX_IP_CKSUM_BAD) {
            Some(false)
        } else {
            None
        }
    }

    /// Bytes free after the data, in the (last and only) segment.
    #[inline]
    pub fn tailroom(&self) -> usize {
        let m = self.raw();
        usize::from(m.buf_len).saturating_sub(usize::from(m.data_off) + usize::from(m.data_len))
    }

    /// Grows the data at the end by `len` bytes; returns the new bytes, or an error when the
    /// buffer has no room.
    pub fn append(&mut self, len: usize) -> Result<&mut [u8], Error> {
        let l = u16::try_from(len).map_err(|_| Error::new("append: too long", 90))?;
        // SAFETY: valid owned single-segment mbuf; DPDK checks the tailroom and returns NULL
        // when there is not enough.
        let p = unsafe { dpdk_sys::wf_pktmbuf_append(self.0.as_ptr(), l) };
        if p.is_null() {
            return Err(Error::new("append: no tailroom", 105));
        }
        // SAFETY: p points to `len` bytes DPDK just added to the data of our mbuf.
        Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) })
    }

    /// Shortens the data to `len` bytes (no-op if already shorter).
    pub fn truncate(&mut self, len: usize) {
        let cur = self.raw().data_len as usize;
        if len < cur {
            // SAFETY: trimming fewer bytes than the last segment holds always succeeds.
            unsafe { dpdk_sys::wf_pktmbuf_trim(self.0.as_ptr(), (cur - len) as u16) };
        }
    }

    /// Removes `len` bytes from the front of the data.
    pub fn adj(&mut self, len: usize) -> Result<(), Error> {
        let l = u16::try_from(len).map_err(|_| Error::new("adj: too long", 90))?;
        // SAFETY: valid owned mbuf; DPDK returns NULL when len exceeds the data.
        let p = unsafe { dpdk_sys::wf_pktmbuf_adj(self.0.as_ptr(), l) };
        if p.is_null() {
            return Err(Error::new("adj: shorter than that", 90));
        }
        Ok(())
    }

    /// Hints the CPU to fetch the packet's first cache line (inline: a call through the
    /// shim per packet would cost more than the prefetch saves).
    #[inline]
    pub fn prefetch(&self) {
        let m = self.raw();
        let p = (m.buf_addr as *const u8).wrapping_add(m.data_off as usize);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint: it never faults, whatever the address.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let _ = p;
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own the mbuf, and after this nobody refers to it.
        unsafe { dpdk_sys::wf_pktmbuf_free(self.0.as_ptr()) }
    }
}

impl std::fmt::Debug for Mbuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mbuf(port {}, {} bytes)", self.port(), self.data().len())
    }
}

/// Receives up to the free room of `burst` from a queue, appending to it.
#[inline]
pub fn rx_burst(port: u16, queue: u16, burst: &mut Burst) -> usize {
    let have = burst.len();
    let room = (BURST - have) as u16;
    // SAFETY: Mbuf is repr(transparent) over a non-null rte_mbuf pointer, so the spare
    // capacity of the ArrayVec is room for `room` pointers; the PMD writes n <= room valid,
    // owned mbuf pointers there, which become the new elements.
    unsafe {
        let dst = burst.as_mut_ptr().add(have) as *mut *mut dpdk_sys::rte_mbuf;
        let n = dpdk_sys::wf_rx_burst(port, queue, dst, room) as usize;
        burst.set_len(have + n);
        n
    }
}

/// Offers the whole burst to a TX queue; the packets the device took leave the burst, the
/// ones it refused stay at its front for the caller to retry or drop.
#[inline]
pub fn tx_burst(port: u16, queue: u16, burst: &mut Burst) -> usize {
    let len = burst.len();
    if len == 0 {
        return 0;
    }
    // SAFETY: the burst holds `len` owned mbuf pointers (repr(transparent)); the PMD takes
    // ownership of the first n. We then move the remaining len - n pointers to the front and
    // shorten the burst so the taken ones are neither freed nor used again by us.
    unsafe {
        let p = burst.as_mut_ptr() as *mut *mut dpdk_sys::rte_mbuf;
        let n = dpdk_sys::wf_tx_burst(port, queue, p, len as u16) as usize;
        if n > 0 {
            std::ptr::copy(p.add(n), p, len - n);
            burst.set_len(len - n);
        }
        n
    }
}
