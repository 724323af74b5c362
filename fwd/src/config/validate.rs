//! Checks that span items: names that must be unique, references that must resolve.
//! Each value was already checked on its own while deserializing.

use crate::firewall::{Marks, Resolver, RuleSet};

use super::{
    mbuf_size_for_mtu, CheckGateway, Config, Gateway, ETHERNET, IP_ADDRESS, IP_ARP, IP_ROUTE,
    MAIN_TABLE, MBUF_HEADROOM, ROUTING_TABLE,
};

/// A cross-item problem, named by where it is: the caller turns it into a located error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub section: &'static str,
    pub index: usize,
    pub property: &'static str,
    pub message: String,
}

impl Problem {
    fn new(section: &'static str, index: usize, property: &'static str, message: String) -> Self {
        Problem {
            section,
            index,
            property,
            message,
        }
    }
}

/// The first problem in section order, then item order. References are checked on disabled
/// items too: RouterOS refuses a dangling reference when the item is added, enabled or not.
pub(super) fn validate(cfg: &Config) -> Result<(), Problem> {
    for (i, item) in cfg.interfaces.iter().enumerate() {
        let earlier = &cfg.interfaces[..i];
        if let Some(j) = earlier.iter().position(|e| e.name == item.name) {
            return Err(Problem::new(
                ETHERNET,
                i,
                "name",
                format!(
                    "interface '{}' is already defined at {ETHERNET}[{j}]",
                    item.name
                ),
            ));
        }
        // Two ports on one device would fight over its queues.
        if let Some(j) = earlier.iter().position(|e| e.device == item.device) {
            return Err(Problem::new(
                ETHERNET,
                i,
                "device",
                format!(
                    "device '{}' is already used by interface '{}' ({ETHERNET}[{j}])",
                    item.device, cfg.interfaces[j].name
                ),
            ));
        }
        // A frame that does not fit in one mbuf arrives in segments (or not at all): the
        // workers would drop every full-size packet. Refused rather than discovered in traffic.
        if let Some(size) = cfg.dpdk.mbuf_size.filter(|_| !item.disabled) {
            let need = mbuf_size_for_mtu(item.mtu);
            if u32::from(size) < need {
                return Err(Problem::new(
                    ETHERNET,
                    i,
                    "mtu",
                    format!(
                        "mtu {} does not fit in dpdk.mbuf-size {size}: a frame of {} bytes needs \
                         an mbuf-size of at least {need} ({MBUF_HEADROOM} of headroom, {} of \
                         Ethernet header and the mtu); raise mbuf-size or lower the mtu",
                        item.mtu,
                        need - u32::from(MBUF_HEADROOM),
                        crate::packet::ether::HEADER_LEN,
                    ),
                ));
            }
        }
    }

    let missing = |name: &str| format!("no interface named '{name}' in {ETHERNET}");

    for (i, item) in cfg.addresses.iter().enumerate() {
        if cfg.interface(&item.interface).is_none() {
            return Err(Problem::new(
                IP_ADDRESS,
                i,
                "interface",
                missing(&item.interface),
            ));
        }
        if let Some(j) = cfg.addresses[..i]
            .iter()
            .position(|e| e.address == item.address && e.interface == item.interface)
        {
            return Err(Problem::new(
                IP_ADDRESS,
                i,
                "address",
                format!(
                    "address {} on '{}' is already defined at {IP_ADDRESS}[{j}]",
                    item.address, item.interface
                ),
            ));
        }
    }

    for (i, item) in cfg.routing_tables.iter().enumerate() {
        if let Some(j) = cfg.routing_tables[..i]
            .iter()
            .position(|e| e.name == item.name)
        {
            return Err(Problem::new(
                ROUTING_TABLE,
                i,
                "name",
                format!(
                    "routing table '{}' is already defined at {ROUTING_TABLE}[{j}]",
                    item.name
                ),
            ));
        }
    }

    for (i, item) in cfg.routes.iter().enumerate() {
        if let Some(name) = item
            .gateway
            .iter()
            .filter_map(|g| g.interface())
            .find(|name| cfg.interface(name).is_none())
        {
            return Err(Problem::new(IP_ROUTE, i, "gateway", missing(name)));
        }
        if item.routing_table != MAIN_TABLE && cfg.routing_table(&item.routing_table).is_none() {
            return Err(Problem::new(
                IP_ROUTE,
                i,
                "routing-table",
                format!(
                    "no routing table named '{}'; add it to {ROUTING_TABLE} (with fib, to \
                     forward by it) or use '{MAIN_TABLE}'",
                    item.routing_table
                ),
            ));
        }
        // The probe is sent to a gateway address; an interface gateway has none to probe.
        if item.check_gateway != CheckGateway::None
            && item.gateway.iter().all(|g| g.address().is_none())
        {
            return Err(Problem::new(
                IP_ROUTE,
                i,
                "check-gateway",
                format!(
                    "check-gateway needs a gateway address, and '{}' has only interfaces",
                    Gateway::format_list(&item.gateway)
                ),
            ));
        }
    }

    for (i, item) in cfg.arp.iter().enumerate() {
        if cfg.interface(&item.interface).is_none() {
            return Err(Problem::new(
                IP_ARP,
                i,
                "interface",
                missing(&item.interface),
            ));
        }
        if let Some(j) = cfg.arp[..i]
            .iter()
            .position(|e| e.address == item.address && e.interface == item.interface)
        {
            return Err(Problem::new(
                IP_ARP,
                i,
                "address",
                format!(
                    "a static entry for {} on '{}' is already defined at {IP_ARP}[{j}]",
                    item.address, item.interface
                ),
            ));
        }
    }
    firewall(cfg)
}

/// The firewall menus: compiled as the router would, with ports and tables numbered from
/// the configuration, so that every reference and combination is checked once, in one place.
fn firewall(cfg: &Config) -> Result<(), Problem> {
    let port_of = |name: &str| {
        cfg.interfaces
            .iter()
            .position(|i| i.name == name)
            .and_then(|p| u16::try_from(p).ok())
    };
    let table_of = |name: &str| {
        cfg.routing_tables
            .iter()
            .filter(|t| t.fib)
            .position(|t| t.name == name)
            .and_then(|p| u8::try_from(p + 1).ok())
    };
    let resolver = Resolver {
        port_of: &port_of,
        table_of: &table_of,
    };
    for (i, n) in cfg.netwatch.iter().enumerate() {
        if n.host.is_none() {
            return Err(Problem::new(
                crate::netwatch::NETWATCH,
                i,
                "host",
                "a netwatch item needs a host".to_string(),
            ));
        }
    }
    RuleSet::compile_checked(
        &cfg.mangle,
        &cfg.nat,
        &cfg.interface_lists,
        &cfg.interface_list_members,
        &resolver,
        &mut Marks::new(),
        &mut Marks::new(),
    )
    .map(|_| ())
    .map_err(|e| Problem::new(e.menu, e.index, e.property, e.message))
}
