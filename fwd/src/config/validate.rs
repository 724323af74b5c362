//! Checks that span items: names that must be unique, references that must resolve.
//! Each value was already checked on its own while deserializing.

use super::{Config, ETHERNET, IP_ADDRESS, IP_ARP, IP_ROUTE};

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

    for (i, item) in cfg.routes.iter().enumerate() {
        if let Some(name) = item
            .gateway
            .iter()
            .filter_map(|g| g.interface())
            .find(|name| cfg.interface(name).is_none())
        {
            return Err(Problem::new(IP_ROUTE, i, "gateway", missing(name)));
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
    Ok(())
}
