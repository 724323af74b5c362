//! NAT on the packet path: what connection tracking needs to know of a packet
//! ([`classify`]), the rewrites that source NAT (masquerade, src-nat) and its reverse apply to
//! a datagram ([`set_source`], [`set_destination`], and for ICMP errors about a translated
//! connection [`untranslate_icmp_error`], [`translate_icmp_error`]), and the choice of a
//! translated port ([`pick_port`]).
//!
//! Everything here is pure: functions of byte slices, without DPDK, allocation or panics, and
//! cheap enough for every packet. Each takes the IPv4 datagram as `l3`, starting at its IPv4
//! header, whose version, IHL, header checksum and total length the caller has checked; `l3`
//! may run past the total length (link padding), which is what counts. Checksums are updated
//! incrementally (RFC 1624), never recomputed.
//!
//! Ports follow [`FlowKey`](crate::flow::FlowKey)'s convention: an ICMP echo request's id is
//! its source port, an echo reply's its destination port, so a connection's NAT'd "port" is the
//! id for ping and the same functions serve it.
//!
//! A connection through source NAT, in the terms of conntrack:
//!
//! - original direction, LAN -> outside: `set_source(l3, nat_addr, nat_port)`;
//! - reply direction, outside -> LAN: `set_destination(l3, orig_addr, orig_port)`;
//! - an ICMP error from the outside about it: `untranslate_icmp_error(l3, orig_addr,
//!   orig_port)`; an ICMP error from the LAN host about a reply: `translate_icmp_error(l3,
//!   nat_addr, nat_port)`. [`Class::IcmpError`] says which key finds the connection.

mod classify;
mod fused;
mod ports;
mod rewrite;

pub use classify::{classify, transport, Class};
pub use fused::{translate_and_decrement, translate_checked, Rewrite};
pub use ports::{pick_port, pick_port_fitting, pick_port_owned, port_owner, PortRange, PortShare};
pub use rewrite::{
    set_destination, set_source, translate_icmp_error, untranslate_icmp_error, RewriteError,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fused;
#[cfg(test)]
mod tests_ports;
