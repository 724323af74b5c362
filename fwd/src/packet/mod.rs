//! Zero-copy views of the headers the packet path reads and rewrites.
//!
//! Each protocol has a view `XxxPacket<T: AsRef<[u8]>>` over any buffer (an mbuf's data, a
//! slice of a test array) and, where the control core builds packets, a small `Repr` that is
//! emitted into a view. `new_checked` validates lengths once; after it succeeds no getter can
//! panic. Setters that change a length field can break that guarantee: re-run `check_len`
//! before trusting the getters again.

pub mod arp;
pub mod checksum;
pub mod ether;
pub mod icmp;
pub mod ipv4;
pub mod tcp;
pub mod udp;

use std::fmt;
use std::net::Ipv4Addr;

use crate::net::MacAddr;

/// Why a buffer is not a valid header of the expected kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer is shorter than the header, or than a length field says.
    Truncated,
    /// A field holds a value the protocol does not allow (bad version, length below the minimum,
    /// a hardware type other than Ethernet...).
    Malformed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated packet",
            Error::Malformed => "malformed packet",
        })
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A field's byte range within its header.
type Field = std::ops::Range<usize>;

// Network byte order accessors. Callers index with ranges from their `mod field`, already
// covered by `check_len`, so the indexing below is on slices of known length.

#[inline]
fn read_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

#[inline]
fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[inline]
fn write_u16(b: &mut [u8], v: u16) {
    b[..2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
fn write_u32(b: &mut [u8], v: u32) {
    b[..4].copy_from_slice(&v.to_be_bytes());
}

#[inline]
fn read_mac(b: &[u8]) -> MacAddr {
    MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
}

#[inline]
fn read_ipv4(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

#[cfg(test)]
mod tests;
