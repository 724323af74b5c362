//! Generates the bindings against the system DPDK found by pkg-config, and compiles the shim
//! that exposes DPDK's static inline fast-path functions.

use std::env;
use std::path::PathBuf;

fn main() {
    let dpdk = pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
        .expect("DPDK not found by pkg-config: install libdpdk-dev (scripts/setup.sh does)");

    // pkg-config's cflags carry DPDK's own -include rte_config.h and its baseline -march
    // (corei7 on Debian), which the headers need; we take them as they are rather than
    // -march=native so that the binary runs on any machine the distribution supports.
    let raw = std::process::Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .expect("pkg-config");
    let cflags_all: Vec<String> = String::from_utf8_lossy(&raw.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();

    let mut cc = cc::Build::new();
    cc.file("shim/shim.c").opt_level(3).warnings(true);
    for f in &cflags_all {
        cc.flag(f);
    }
    cc.compile("wanfwd_dpdk_shim");

    let mut bg = bindgen::Builder::default()
        .header("shim/shim.h")
        .clang_args(cflags_all.iter().filter(|f| !f.starts_with("-march")))
        .clang_arg("-Ishim")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .layout_tests(true)
        .derive_default(true)
        .generate_comments(false)
        .prepend_enum_name(false)
        // Packed structs with alignment attributes that bindgen cannot lay out.
        .opaque_type("rte_arp_.*")
        .opaque_type("rte_l2tpv2_.*")
        .opaque_type("rte_gtp_psc_.*")
        .opaque_type("rte_eth_dev_data")
        .opaque_type("rte_eth_dev")
        .opaque_type("rte_mempool_ops.*")
        .allowlist_function("wf_.*");
    for f in [
        "rte_eal_init",
        "rte_eal_cleanup",
        "rte_eal_remote_launch",
        "rte_eal_wait_lcore",
        "rte_eal_mp_wait_lcore",
        "rte_eal_process_type",
        "rte_lcore_count",
        "rte_get_main_lcore",
        "rte_get_next_lcore",
        "rte_lcore_to_socket_id",
        "rte_socket_id",
        "rte_strerror",
        "rte_pktmbuf_pool_create",
        "rte_pktmbuf_free_bulk",
        "rte_mempool_free",
        "rte_mempool_avail_count",
        "rte_mempool_in_use_count",
        "rte_dev_probe",
        "rte_eth_dev_count_avail",
        "rte_eth_dev_get_port_by_name",
        "rte_eth_dev_get_name_by_port",
        "rte_eth_dev_info_get",
        "rte_eth_dev_configure",
        "rte_eth_dev_adjust_nb_rx_tx_desc",
        "rte_eth_rx_queue_setup",
        "rte_eth_tx_queue_setup",
        "rte_eth_dev_start",
        "rte_eth_dev_stop",
        "rte_eth_dev_close",
        "rte_eth_dev_socket_id",
        "rte_eth_macaddr_get",
        "rte_eth_dev_default_mac_addr_set",
        "rte_eth_dev_set_mtu",
        "rte_eth_promiscuous_enable",
        "rte_eth_allmulticast_enable",
        "rte_eth_stats_get",
        "rte_eth_stats_reset",
        "rte_eth_link_get_nowait",
        "rte_eth_dev_is_valid_port",
        "rte_eth_dev_rss_reta_query",
        "rte_eth_dev_rss_hash_conf_get",
    ] {
        bg = bg.allowlist_function(f);
    }
    for t in [
        "rte_mbuf",
        "rte_mempool",
        "rte_eth_conf",
        "rte_eth_dev_info",
        "rte_eth_stats",
        "rte_eth_link",
        "rte_eth_rxconf",
        "rte_eth_txconf",
        "rte_ether_addr",
        "rte_proc_type_t",
        "rte_eth_rss_reta_entry64",
        "rte_eth_rss_conf",
    ] {
        bg = bg.allowlist_type(t);
    }
    for v in [
        "RTE_MBUF_F_RX_IP_CKSUM_.*",
        "RTE_MBUF_F_RX_RSS_HASH",
        "RTE_MBUF_DEFAULT_BUF_SIZE",
        "RTE_PKTMBUF_HEADROOM",
        "RTE_MAX_LCORE",
        "RTE_MAX_ETHPORTS",
        "RTE_ETH_MQ_RX_.*",
        "RTE_ETH_MQ_TX_.*",
        "RTE_ETH_LINK_.*",
        "RTE_ETHER_MAX_LEN",
        "SOCKET_ID_ANY",
        "RTE_ETH_RSS_RETA_SIZE_.*",
    ] {
        bg = bg.allowlist_var(v);
    }
    for i in &dpdk.include_paths {
        bg = bg.clang_arg(format!("-I{}", i.display()));
    }
    let bindings = bg.generate().expect("bindgen failed on DPDK's headers");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings.write_to_file(out).expect("write bindings");
    println!("cargo:rerun-if-changed=shim/shim.c");
    println!("cargo:rerun-if-changed=shim/shim.h");
}
