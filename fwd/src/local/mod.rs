//! What the router answers itself: ARP for its addresses, ICMP echo, and the ICMP errors a
//! router owes (time-exceeded, unreachable, fragmentation-needed). Pure functions on byte
//! buffers; the control core feeds them mbufs.

pub mod arp;
pub mod fragment;
pub mod icmp;
