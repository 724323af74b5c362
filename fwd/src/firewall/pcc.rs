//! The per-connection classifier (`per-connection-classifier=FIELDS:DENOMINATOR/REMAINDER`).
//!
//! RouterOS does not publish its hash, so wanfwd defines its own; what matters is that it
//! spreads flows evenly, depends only on the selected fields, and gives the same answer on
//! every worker and after every restart (a connection's class must not change under it).
//!
//! The hash, fixed (never seeded per process):
//! - `src-port` / `dst-port` (16 bits of input): a bijective 16-bit mixer
//!   (`x ^= SEED16; x *= 0x9E3B; x ^= x >> 7; x *= 0x6F4B; x ^= x >> 8; x *= 0xA7D3;
//!   x ^= x >> 9`, all mod 2^16). Being a permutation of the port space, every remainder of
//!   every denominator gets the same share (±1 port) of the 65536 ports.
//! - every other field set: the selected fields packed into one u128 (`src << 96 |
//!   dst << 64 | sport << 48 | dport << 32`, unselected fields zero, plus the field set's
//!   number so that different sets do not coincide), folded into a u64 as
//!   `fmix64(fmix64(low ^ SEED) ^ high)` with MurmurHash3's 64-bit finalizer, and the upper
//!   32 bits taken.
//!
//! The class of a packet is `classify(fields, key) % denominator`.

use crate::flow::FlowKey;

/// Which packet fields the classifier hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PccFields {
    SrcAddress,
    DstAddress,
    BothAddresses,
    SrcPort,
    DstPort,
    BothPorts,
    SrcAddressAndPort,
    DstAddressAndPort,
    BothAddressesAndPorts,
}

impl PccFields {
    pub const ALL: [PccFields; 9] = [
        PccFields::SrcAddress,
        PccFields::DstAddress,
        PccFields::BothAddresses,
        PccFields::SrcPort,
        PccFields::DstPort,
        PccFields::BothPorts,
        PccFields::SrcAddressAndPort,
        PccFields::DstAddressAndPort,
        PccFields::BothAddressesAndPorts,
    ];

    /// RouterOS's name.
    pub fn name(self) -> &'static str {
        match self {
            PccFields::SrcAddress => "src-address",
            PccFields::DstAddress => "dst-address",
            PccFields::BothAddresses => "both-addresses",
            PccFields::SrcPort => "src-port",
            PccFields::DstPort => "dst-port",
            PccFields::BothPorts => "both-ports",
            PccFields::SrcAddressAndPort => "src-address-and-port",
            PccFields::DstAddressAndPort => "dst-address-and-port",
            PccFields::BothAddressesAndPorts => "both-addresses-and-ports",
        }
    }

    pub fn parse(s: &str) -> Result<PccFields, String> {
        PccFields::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = PccFields::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "'{s}' is not a classifier field set (expected {})",
                    names.join(", ")
                )
            })
    }

    /// (src address, dst address, src port, dst port) selected.
    fn selects(self) -> (bool, bool, bool, bool) {
        match self {
            PccFields::SrcAddress => (true, false, false, false),
            PccFields::DstAddress => (false, true, false, false),
            PccFields::BothAddresses => (true, true, false, false),
            PccFields::SrcPort => (false, false, true, false),
            PccFields::DstPort => (false, false, false, true),
            PccFields::BothPorts => (false, false, true, true),
            PccFields::SrcAddressAndPort => (true, false, true, false),
            PccFields::DstAddressAndPort => (false, true, false, true),
            PccFields::BothAddressesAndPorts => (true, true, true, true),
        }
    }
}

const SEED: u64 = 0x5741_4E46_5744_5043; // "WANFWDPC"
const SEED16: u16 = 0x7C3B;

#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

#[inline]
fn mix16(mut x: u16) -> u16 {
    x ^= SEED16;
    x = x.wrapping_mul(0x9E3B);
    x ^= x >> 7;
    x = x.wrapping_mul(0x6F4B);
    x ^= x >> 8;
    x = x.wrapping_mul(0xA7D3);
    x ^= x >> 9;
    x
}

/// The classifier's hash of `key`'s selected fields (see the module documentation).
#[inline]
pub fn classify(fields: PccFields, key: &FlowKey) -> u32 {
    match fields {
        PccFields::SrcPort => return u32::from(mix16(key.sport)),
        PccFields::DstPort => return u32::from(mix16(key.dport)),
        _ => {}
    }
    let (s, d, sp, dp) = fields.selects();
    let pick = |on: bool, v: u32| if on { v } else { 0 };
    let high = (u64::from(pick(s, key.src)) << 32) | u64::from(pick(d, key.dst));
    let low = (u64::from(pick(sp, key.sport.into())) << 48)
        | (u64::from(pick(dp, key.dport.into())) << 32)
        | fields as u64;
    (fmix64(fmix64(low ^ SEED) ^ high) >> 32) as u32
}

/// Whether `key` is in class `remainder` of `denominator` (without the `!`).
#[inline]
pub fn matches(fields: PccFields, denominator: u32, remainder: u32, key: &FlowKey) -> bool {
    classify(fields, key) % denominator == remainder
}
