//! What a script changes besides routes and rules, installed live: `/ip/address` (the
//! addresses the control core answers ARP and ICMP for, the workers' masquerade source, the
//! connected routes), `/ip/settings` (the ECMP hash of the next snapshot), `/routing/settings`
//! (the check-gateway probers), and `/routing/nexthop flush`.

use super::Control;
use crate::cli::Items;
use crate::config::{AddressItem, EcmpHashPolicy, RoutingSettings};
use crate::counters::DropReason;
use crate::fib::ecmp::HashPolicy;
use crate::net::Ipv4Interface;
use crate::probe;
use std::time::Instant;

/// The workers' hash for RouterOS's `ecmp-hash-policy`.
pub fn hash_policy(p: EcmpHashPolicy) -> HashPolicy {
    match p {
        EcmpHashPolicy::L3 => HashPolicy::L3,
        EcmpHashPolicy::L4 => HashPolicy::L4,
        EcmpHashPolicy::L3Inner => HashPolicy::L3Inner,
    }
}

/// check-gateway's probing, from `/routing/settings`.
pub fn probe_settings(rs: &RoutingSettings) -> probe::Settings {
    probe::Settings {
        interval: rs.ping_interval,
        timeout: rs.ping_timeout,
        count: rs.ping_count,
        restore: rs.restore_count,
    }
}

/// The enabled addresses of interface `name`, in order (the first is masquerade's source).
fn enabled_on(addresses: &[AddressItem], name: &str) -> Vec<Ipv4Interface> {
    addresses
        .iter()
        .filter(|a| a.interface == name && !a.disabled)
        .map(|a| a.address)
        .collect()
}

impl Control {
    /// Installs the addresses and settings of the model, which `old` held before the script;
    /// returns whether the routes must be computed again (the connected ones changed).
    pub(super) fn install_addresses_and_settings(&mut self, old: &Items) -> bool {
        if self.model.ip_settings != old.ip_settings {
            self.settings.hash_policy = hash_policy(self.model.ip_settings.ecmp_hash_policy);
            log::info!(
                "/ip/settings: ecmp-hash-policy={} (from the next snapshot)",
                self.model.ip_settings.ecmp_hash_policy
            );
        }
        if self.model.routing_settings != old.routing_settings {
            self.settings.probe = probe_settings(&self.model.routing_settings);
            self.probes.set_settings(self.settings.probe);
            log::info!("/routing/settings: check-gateway probes follow the new settings");
        }
        let new = self.model.items().addresses;
        if new == old.addresses {
            return false;
        }
        for i in 0..self.ports.len() {
            let name = self.ports[i].name.clone();
            let before = enabled_on(&old.addresses, &name);
            let after = enabled_on(&new, &name);
            if before == after {
                continue;
            }
            let lost = before.iter().any(|a| !after.contains(a));
            if lost || before.first() != after.first() {
                // RouterOS forgets what it masqueraded through an interface whose address
                // changed: the replies would come back to an address it no longer has.
                let port = i as u16;
                self.flush_translated(port);
                // Neighbours no longer on any subnet of the port are forgotten.
                let dropped = self.neigh.flush_port_where(port, |a| {
                    !after.iter().any(|x| x.prefix().contains(a.into()))
                });
                self.counters.drops[DropReason::NoNeighbour as usize] += dropped.len() as u64;
            }
            log::info!(
                "interface {name}: addresses now [{}]",
                after
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            self.ports[i].addrs = after;
        }
        true
    }

    /// `/routing/nexthop flush`: every route is resolved again from the configuration, the
    /// learned neighbour (ARP) entries of the gateways are forgotten and asked for at once;
    /// packets to them wait in the hold queue meanwhile. Static `/ip/arp` entries and the
    /// check-gateway verdicts stay: a flush must not make a dead gateway look alive.
    pub(super) fn flush_nexthops(&mut self, now: Instant) {
        let gateways = self.rib.gateways();
        let mut forgotten = 0;
        for (_, addr) in &gateways {
            if self.neigh.forget(*addr) {
                forgotten += 1;
            }
        }
        let rib = self.model.compute();
        self.set_rib(rib, now);
        self.solicit_gateways(now);
        log::info!(
            "/routing/nexthop flush: {forgotten} gateway neighbour(s) forgotten, {} gateway(s) being resolved again",
            gateways.len()
        );
    }
}
