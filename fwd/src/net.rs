//! Address types shared by the configuration, the RIB and the packet path.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An Ethernet MAC address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// The six bytes as a little-endian `u64` (the two high bytes zero): one comparison
    /// against a frame's first six bytes loaded the same way.
    #[inline(always)]
    pub fn to_le_u64(&self) -> u64 {
        let m = self.0;
        u64::from_le_bytes([m[0], m[1], m[2], m[3], m[4], m[5], 0, 0])
    }

    pub fn is_broadcast(&self) -> bool {
        self.0 == [0xff; 6]
    }

    /// Group bit set: broadcast or multicast.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        // RouterOS prints MAC addresses in upper case.
        write!(
            f,
            "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut n = 0;
        for part in s.split([':', '-']) {
            if n == 6 || part.len() != 2 {
                return Err(format!("invalid MAC address '{s}'"));
            }
            out[n] =
                u8::from_str_radix(part, 16).map_err(|_| format!("invalid MAC address '{s}'"))?;
            n += 1;
        }
        if n != 6 {
            return Err(format!("invalid MAC address '{s}'"));
        }
        Ok(MacAddr(out))
    }
}

/// An IPv4 prefix, always stored with the host bits cleared.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Ipv4Prefix {
    addr: u32,
    len: u8,
}

/// The netmask of a prefix length (0..=32).
#[inline]
pub fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

#[allow(clippy::len_without_is_empty)] // a prefix length, not a collection size
impl Ipv4Prefix {
    /// A prefix; host bits of `addr` are cleared. `len` must be at most 32.
    pub fn new(addr: Ipv4Addr, len: u8) -> Result<Self, String> {
        if len > 32 {
            return Err(format!("prefix length {len} is larger than 32"));
        }
        Ok(Ipv4Prefix {
            addr: u32::from(addr) & mask(len),
            len,
        })
    }

    pub fn host(addr: Ipv4Addr) -> Self {
        Ipv4Prefix {
            addr: addr.into(),
            len: 32,
        }
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }

    pub fn network_u32(&self) -> u32 {
        self.addr
    }

    pub fn len(&self) -> u8 {
        self.len
    }

    pub fn is_default(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & mask(self.len) == self.addr
    }

    /// The directed broadcast address of the prefix.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr | !mask(self.len))
    }
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.len)
    }
}

/// Parses `a.b.c.d/len` or a bare address (a /32), as RouterOS accepts for dst-address.
impl FromStr for Ipv4Prefix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (
                a,
                l.parse::<u8>()
                    .map_err(|_| format!("invalid prefix length in '{s}'"))?,
            ),
            None => (s, 32),
        };
        let addr: Ipv4Addr = a
            .parse()
            .map_err(|_| format!("invalid IPv4 address in '{s}'"))?;
        Ipv4Prefix::new(addr, l)
    }
}

/// An interface address as `/ip/address` holds it: the host address and its prefix length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Ipv4Interface {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Ipv4Interface {
    pub fn prefix(&self) -> Ipv4Prefix {
        Ipv4Prefix::new(self.addr, self.len).expect("length checked at parse")
    }
}

impl fmt::Display for Ipv4Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv4Interface {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, l) = s
            .split_once('/')
            .map(|(a, l)| (a, Some(l)))
            .unwrap_or((s, None));
        let addr: Ipv4Addr = a
            .parse()
            .map_err(|_| format!("invalid IPv4 address in '{s}'"))?;
        let len = match l {
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= 32)
                .ok_or_else(|| format!("invalid prefix length in '{s}'"))?,
            None => 32,
        };
        Ok(Ipv4Interface { addr, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_round_trip() {
        let m: MacAddr = "02:00:5e:10:00:01".parse().unwrap();
        assert_eq!(m.0, [2, 0, 0x5e, 0x10, 0, 1]);
        assert_eq!(m.to_string(), "02:00:5E:10:00:01");
        assert!("02:00:5e:10:00".parse::<MacAddr>().is_err());
        assert!("02:00:5e:10:00:01:02".parse::<MacAddr>().is_err());
        assert!("zz:00:5e:10:00:01".parse::<MacAddr>().is_err());
        assert!(MacAddr::BROADCAST.is_multicast());
    }

    #[test]
    fn prefix_parse_clears_host_bits() {
        let p: Ipv4Prefix = "192.168.1.77/24".parse().unwrap();
        assert_eq!(p.to_string(), "192.168.1.0/24");
        assert!(p.contains("192.168.1.200".parse().unwrap()));
        assert!(!p.contains("192.168.2.1".parse().unwrap()));
        assert_eq!(p.broadcast(), Ipv4Addr::new(192, 168, 1, 255));
        let d: Ipv4Prefix = "0.0.0.0/0".parse().unwrap();
        assert!(d.contains(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!("10.0.0.1".parse::<Ipv4Prefix>().unwrap().len(), 32);
        assert!("10.0.0.0/33".parse::<Ipv4Prefix>().is_err());
        assert!("10.0.0/8".parse::<Ipv4Prefix>().is_err());
    }

    #[test]
    fn interface_address() {
        let a: Ipv4Interface = "203.0.113.2/24".parse().unwrap();
        assert_eq!(a.addr, Ipv4Addr::new(203, 0, 113, 2));
        assert_eq!(a.prefix().to_string(), "203.0.113.0/24");
        assert!("203.0.113.2/40".parse::<Ipv4Interface>().is_err());
    }
}
