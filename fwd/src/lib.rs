//! wanfwd: a multi-WAN IPv4 router on DPDK.
//!
//! Pure logic (packet views, FIB, RIB, neighbours, configuration) is free of DPDK and tested
//! with byte slices; only `dpdk` touches the C library, and only it may use `unsafe`.
#![deny(unsafe_code)]

pub mod api;
pub mod cli;
pub mod config;
pub mod conntrack;
pub mod control;
pub mod counters;
pub mod dpdk;
pub mod fib;
pub mod firewall;
pub mod flow;
pub mod forward;
pub mod local;
pub mod logbuf;
pub mod metrics;
pub mod nat;
pub mod neigh;
pub mod net;
pub mod netwatch;
pub mod packet;
pub mod pcap;
pub mod probe;
pub mod rib;
pub mod rng;
pub mod ros;
pub mod router;
pub mod rss;
pub mod stateful;
pub mod worker;
