//! The value syntaxes of the firewall menus, as RouterOS writes them: negatable matchers
//! (`!local`), address prefixes, port lists, protocol names, connection states and the
//! per-connection classifier. Each parses from and displays as RouterOS text.

use std::fmt;
use std::net::Ipv4Addr;

use super::pcc::PccFields;
use crate::flow::ConnState;
use crate::net::Ipv4Prefix;
use crate::packet::ipv4::{PROTO_ICMP, PROTO_TCP, PROTO_UDP};

/// A matcher value with RouterOS's optional `!` (negation) prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neg<T> {
    pub neg: bool,
    pub value: T,
}

impl<T> Neg<T> {
    /// Parses `[!]VALUE` with `parse` for the part after the `!`.
    pub fn parse(s: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Self, String> {
        let (neg, rest) = match s.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, s),
        };
        Ok(Neg {
            neg,
            value: parse(rest)?,
        })
    }
}

impl<T: fmt::Display> fmt::Display for Neg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.neg {
            f.write_str("!")?;
        }
        self.value.fmt(f)
    }
}

/// An address matcher's value: `ADDRESS` or `ADDRESS/LEN`; printed as RouterOS prints it
/// (a /32 without its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrMatch(pub Ipv4Prefix);

impl AddrMatch {
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some((a, _)) = s.split_once('-') {
            return Err(format!(
                "address ranges are not supported ('{s}'); write ADDRESS or ADDRESS/LEN, not {a}-..."
            ));
        }
        s.parse().map(AddrMatch)
    }
}

impl fmt::Display for AddrMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.len() == 32 {
            write!(f, "{}", self.0.network())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Address-type bits, as the caller sets them in `Meta::src_type` / `dst_type`.
pub const ADDR_LOCAL: u8 = 1;
pub const ADDR_UNICAST: u8 = 2;
pub const ADDR_BROADCAST: u8 = 4;
pub const ADDR_MULTICAST: u8 = 8;

const ADDR_TYPES: [(&str, u8); 4] = [
    ("unicast", ADDR_UNICAST),
    ("local", ADDR_LOCAL),
    ("broadcast", ADDR_BROADCAST),
    ("multicast", ADDR_MULTICAST),
];

/// `src-address-type` / `dst-address-type`: a comma list of address types (any may match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrTypes(pub u8);

impl AddrTypes {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut bits = 0;
        for part in s.split(',') {
            let (_, b) = ADDR_TYPES
                .iter()
                .find(|(n, _)| *n == part)
                .ok_or_else(|| {
                    format!("'{part}' is not an address type (expected local, unicast, broadcast or multicast)")
                })?;
            bits |= b;
        }
        Ok(AddrTypes(bits))
    }
}

impl fmt::Display for AddrTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ADDR_TYPES
            .iter()
            .filter(|(_, b)| self.0 & b != 0)
            .map(|(n, _)| *n)
            .collect();
        f.write_str(&names.join(","))
    }
}

const PROTOCOLS: [(&str, u8); 9] = [
    ("icmp", PROTO_ICMP),
    ("igmp", 2),
    ("ipip", 4),
    ("tcp", PROTO_TCP),
    ("udp", PROTO_UDP),
    ("gre", 47),
    ("ipsec-esp", 50),
    ("ipsec-ah", 51),
    ("sctp", 132),
];

/// `protocol`: a name RouterOS knows or a number 0..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol(pub u8);

impl Protocol {
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some((_, p)) = PROTOCOLS.iter().find(|(n, _)| *n == s) {
            return Ok(Protocol(*p));
        }
        s.parse::<u8>().map(Protocol).map_err(|_| {
            format!("'{s}' is not a protocol (expected tcp, udp, icmp, another name or 0..255)")
        })
    }

    /// Whether the protocol has ports a matcher can look at.
    pub fn has_ports(self) -> bool {
        self.0 == PROTO_TCP || self.0 == PROTO_UDP
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match PROTOCOLS.iter().find(|(_, p)| *p == self.0) {
            Some((n, _)) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `src-port` / `dst-port`: `80,443,1000-2000`, kept as inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortList(pub Vec<(u16, u16)>);

impl PortList {
    pub fn parse(s: &str) -> Result<Self, String> {
        let port = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| format!("'{p}' is not a port (0..65535)"))
        };
        let mut out = Vec::new();
        for part in s.split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (port(a)?, port(b)?),
                None => (port(part)?, port(part)?),
            };
            if lo > hi {
                return Err(format!("port range '{part}' ends before it starts"));
            }
            out.push((lo, hi));
        }
        Ok(PortList(out))
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }
}

impl fmt::Display for PortList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (lo, hi)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

/// A single port or a range (`to-ports`).
pub fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    match PortList::parse(s)?.0.as_slice() {
        [one] => Ok(*one),
        _ => Err(format!("'{s}' is not a port or a port range")),
    }
}

pub fn format_port_range((lo, hi): (u16, u16)) -> String {
    PortList(vec![(lo, hi)]).to_string()
}

/// `connection-state`: a comma list of states, as a bit set of [`ConnState::bit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnStates(pub u8);

impl ConnStates {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut bits = 0;
        for part in s.split(',') {
            let st = ConnState::parse(part).ok_or_else(|| {
                format!("'{part}' is not a connection state (expected new, established, related, invalid or untracked)")
            })?;
            bits |= st.bit();
        }
        Ok(ConnStates(bits))
    }
}

impl fmt::Display for ConnStates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ConnState::ALL
            .iter()
            .filter(|s| self.0 & s.bit() != 0)
            .map(|s| s.name())
            .collect();
        f.write_str(&names.join(","))
    }
}

/// `per-connection-classifier=FIELDS:DENOMINATOR/REMAINDER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pcc {
    pub fields: PccFields,
    pub denominator: u32,
    pub remainder: u32,
}

/// The largest PCC denominator accepted.
pub const PCC_MAX_DENOMINATOR: u32 = 1024;

impl Pcc {
    pub fn parse(s: &str) -> Result<Self, String> {
        const FORM: &str =
            "expected FIELDS:DENOMINATOR/REMAINDER, e.g. both-addresses-and-ports:2/0";
        let (fields, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}' is not a classifier ({FORM})"))?;
        let fields = PccFields::parse(fields)?;
        let (d, r) = rest
            .split_once('/')
            .ok_or_else(|| format!("'{s}' is not a classifier ({FORM})"))?;
        let denominator: u32 = d
            .parse()
            .ok()
            .filter(|d| (1..=PCC_MAX_DENOMINATOR).contains(d))
            .ok_or_else(|| format!("denominator '{d}' must be from 1 to {PCC_MAX_DENOMINATOR}"))?;
        let remainder: u32 = r.parse().ok().filter(|r| *r < denominator).ok_or_else(|| {
            format!(
                "remainder '{r}' must be from 0 to {} (less than the denominator)",
                denominator - 1
            )
        })?;
        Ok(Pcc {
            fields,
            denominator,
            remainder,
        })
    }
}

impl fmt::Display for Pcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}/{}",
            self.fields.name(),
            self.denominator,
            self.remainder
        )
    }
}

/// A name (chain, mark, interface, list): not empty, no whitespace, no `!` in front.
pub fn parse_name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("the name is empty".to_string());
    }
    if s.starts_with('!') {
        return Err(format!("'{s}': a name cannot start with '!'"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("'{}' contains whitespace", s.escape_debug()));
    }
    Ok(s.to_string())
}

pub fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("'{s}' is not yes or no")),
    }
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

pub fn parse_ipv4(s: &str) -> Result<Ipv4Addr, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not an IPv4 address"))
}
