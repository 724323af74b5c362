//! Raw bindings to the system DPDK, generated at build time by bindgen (see build.rs). Nothing
//! here is safe to call directly: the router's `dpdk` module wraps what it uses.
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code
)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
