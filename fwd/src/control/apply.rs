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

/// How `/ip/address` changed on one port.
#[derive(Debug, PartialEq)]
struct PortChange {
    port: u16,
    /// Its enabled addresses now.
    addrs: Vec<Ipv4Interface>,
    /// Whether it lost an address or its masquerade source changed: what was masqueraded
    /// through it must be forgotten, as RouterOS does.
    flush: bool,
}

/// The ports, named `ports` in order, whose enabled addresses differ between `old` and `new`.
fn address_changes(old: &[AddressItem], new: &[AddressItem], ports: &[String]) -> Vec<PortChange> {
    let mut out = Vec::new();
    for (i, name) in ports.iter().enumerate() {
        let before = enabled_on(old, name);
        let after = enabled_on(new, name);
        if before == after {
            continue;
        }
        let lost = before.iter().any(|a| !after.contains(a));
        out.push(PortChange {
            port: i as u16,
            flush: lost || before.first() != after.first(),
            addrs: after,
        });
    }
    out
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
        let names: Vec<String> = self.ports.iter().map(|p| p.name.clone()).collect();
        for ch in address_changes(&old.addresses, &new, &names) {
            if ch.flush {
                // The replies to what was masqueraded would come back to an address the
                // port no longer has (or no longer uses as its source).
                self.flush_translated(ch.port);
                let after = &ch.addrs;
                // Neighbours no longer on any subnet of the port are forgotten.
                let dropped = self.neigh.flush_port_where(ch.port, |a| {
                    !after.iter().any(|x| x.prefix().contains(a.into()))
                });
                self.counters.drops[DropReason::NoNeighbour as usize] += dropped.len() as u64;
            }
            let p = &mut self.ports[usize::from(ch.port)];
            log::info!(
                "interface {}: addresses now [{}]",
                p.name,
                ch.addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            p.addrs = ch.addrs;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Item;

    fn addr(text: &str, interface: &str) -> AddressItem {
        let mut a = AddressItem::default();
        a.set("address", text).unwrap();
        a.set("interface", interface).unwrap();
        a
    }

    fn ports() -> Vec<String> {
        ["bridge", "ether1", "ether2"].map(String::from).to_vec()
    }

    fn guide() -> Vec<AddressItem> {
        vec![
            addr("192.168.1.1/24", "bridge"),
            addr("203.0.113.2/24", "ether1"),
            addr("198.51.100.2/24", "ether2"),
        ]
    }

    #[test]
    fn a_changed_or_removed_address_flushes_its_port_only() {
        let old = guide();
        let mut new = old.clone();
        new[1].set("address", "203.0.113.3/24").unwrap();
        let ch = address_changes(&old, &new, &ports());
        assert_eq!(
            ch,
            vec![PortChange {
                port: 1,
                addrs: vec!["203.0.113.3/24".parse().unwrap()],
                flush: true
            }]
        );
        new.remove(2);
        let ch = address_changes(&old, &new, &ports());
        assert_eq!(ch.len(), 2);
        assert!(ch[1].port == 2 && ch[1].flush && ch[1].addrs.is_empty());
    }

    #[test]
    fn a_disabled_address_is_gone_and_an_added_one_flushes_nothing() {
        let old = guide();
        let mut new = old.clone();
        new.push(addr("192.168.2.1/24", "bridge"));
        let ch = address_changes(&old, &new, &ports());
        assert_eq!(ch.len(), 1);
        assert!(!ch[0].flush, "the masquerade source of bridge is unchanged");
        assert_eq!(ch[0].addrs.len(), 2);

        let mut new = old.clone();
        new[2].set("disabled", "yes").unwrap();
        let ch = address_changes(&old, &new, &ports());
        assert!(ch.len() == 1 && ch[0].port == 2 && ch[0].flush);
        // A comment is no change of address.
        let mut new = old.clone();
        new[0].set("comment", "LAN").unwrap();
        assert!(address_changes(&old, &new, &ports()).is_empty());
    }

    #[test]
    fn a_new_first_address_changes_the_masquerade_source() {
        let old = guide();
        let mut new = old.clone();
        new.insert(1, addr("203.0.113.9/24", "ether1"));
        let ch = address_changes(&old, &new, &ports());
        assert!(ch.len() == 1 && ch[0].port == 1 && ch[0].flush);
    }
}
