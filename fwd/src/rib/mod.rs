//! The routing information base: connected routes from `/ip/address`, static routes from
//! `/ip/route`, and selection of the active route per destination, turned into the FIB.
//!
//! This is the foundation's RIB: a static route is active when its gateway is directly
//! reachable (an address on a connected subnet, `ADDRESS%INTERFACE`, or an interface).
//! Recursive resolution with scope/target-scope, check-gateway and ECMP build on it.

use crate::config::{AddressItem, Gateway, RouteItem};
use crate::fib::{Lpm, Neighbours, Nexthop};
use crate::net::Ipv4Prefix;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// A port as the RIB sees it: its name and whether it is usable.
#[derive(Clone, Debug)]
pub struct PortDesc {
    pub name: String,
    pub enabled: bool,
}

/// A shared nexthop, before its MAC is filled in from the neighbour table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NexthopKey {
    Local,
    Connected(u16),
    Gateway(u16, u32),
}

/// Where a route came from, as RouterOS flags it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Connected,
    Static,
}

/// One route with its computed state.
#[derive(Clone, Debug)]
pub struct RouteState {
    pub dst: Ipv4Prefix,
    pub origin: Origin,
    pub distance: u8,
    pub gateway: String,
    pub nexthop: Option<NexthopKey>,
    pub active: bool,
    pub disabled: bool,
    /// Why an enabled route is not usable, for the log.
    pub problem: Option<String>,
}

/// The result of a RIB computation.
#[derive(Clone, Debug, Default)]
pub struct Rib {
    pub routes: Vec<RouteState>,
    /// The FIB's values index this list.
    pub nexthops: Vec<NexthopKey>,
    pub fib: Lpm,
}

/// The connected subnet (port index) an address lies on, if any.
pub fn connected_port(
    addr: Ipv4Addr,
    ports: &[PortDesc],
    addresses: &[(u16, AddressItem)],
) -> Option<u16> {
    addresses
        .iter()
        .filter(|(p, a)| !a.disabled && ports[usize::from(*p)].enabled)
        .filter(|(_, a)| a.address.prefix().contains(addr))
        .max_by_key(|(_, a)| a.address.len)
        .map(|(p, _)| *p)
}

fn resolve_gateway(
    gw: &Gateway,
    ports: &[PortDesc],
    addresses: &[(u16, AddressItem)],
) -> Result<NexthopKey, String> {
    let port_named = |name: &str| ports.iter().position(|p| p.name == name).map(|i| i as u16);
    match gw {
        Gateway::Address(a) => connected_port(*a, ports, addresses)
            .map(|p| NexthopKey::Gateway(p, (*a).into()))
            .ok_or_else(|| format!("gateway {a} is not on a connected subnet")),
        Gateway::AddressOnInterface(a, ifname) => match port_named(ifname) {
            Some(p) if ports[usize::from(p)].enabled => Ok(NexthopKey::Gateway(p, (*a).into())),
            Some(_) => Err(format!("interface {ifname} is disabled")),
            None => Err(format!("no interface {ifname}")),
        },
        Gateway::Interface(ifname) => match port_named(ifname) {
            Some(p) if ports[usize::from(p)].enabled => Ok(NexthopKey::Connected(p)),
            Some(_) => Err(format!("interface {ifname} is disabled")),
            None => Err(format!("no interface {ifname}")),
        },
    }
}

/// Computes the routes' states and the FIB. `addresses` pairs each `/ip/address` item with
/// its interface's port index.
pub fn compute(ports: &[PortDesc], addresses: &[(u16, AddressItem)], routes: &[RouteItem]) -> Rib {
    let mut states = Vec::new();
    for (port, a) in addresses {
        let usable = !a.disabled && ports[usize::from(*port)].enabled;
        states.push(RouteState {
            dst: a.address.prefix(),
            origin: Origin::Connected,
            distance: 0,
            gateway: ports[usize::from(*port)].name.clone(),
            nexthop: usable.then_some(NexthopKey::Connected(*port)),
            active: false,
            disabled: a.disabled,
            problem: (!usable && !a.disabled).then(|| "interface disabled".to_string()),
        });
    }
    for r in routes {
        let gateway = r
            .gateway
            .iter()
            .map(|g| g.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let (nexthop, problem) = if r.disabled {
            (None, None)
        } else if r.routing_table != "main" {
            (
                None,
                Some(format!(
                    "routing table {} is not supported yet",
                    r.routing_table
                )),
            )
        } else {
            // The first gateway that resolves; ECMP over several arrives with the routing
            // milestone.
            let mut last_err = String::from("no gateway");
            let mut found = None;
            for g in &r.gateway {
                match resolve_gateway(g, ports, addresses) {
                    Ok(k) => {
                        found = Some(k);
                        break;
                    }
                    Err(e) => last_err = e,
                }
            }
            let problem = found.is_none().then_some(last_err);
            (found, problem)
        };
        states.push(RouteState {
            dst: r.dst_address,
            origin: Origin::Static,
            distance: r.distance,
            gateway,
            nexthop,
            active: false,
            disabled: r.disabled,
            problem,
        });
    }

    // Per destination, the usable route with the lowest distance is active; on a tie the
    // first configured wins.
    let mut best: HashMap<Ipv4Prefix, usize> = HashMap::new();
    for (i, s) in states.iter().enumerate() {
        if s.nexthop.is_none() {
            continue;
        }
        match best.get(&s.dst) {
            Some(&j) if states[j].distance <= s.distance => {}
            _ => {
                best.insert(s.dst, i);
            }
        }
    }
    let mut keys: Vec<NexthopKey> = vec![NexthopKey::Local];
    let mut key_index: HashMap<NexthopKey, u32> = HashMap::from([(NexthopKey::Local, 0)]);
    let mut fib_routes: Vec<(Ipv4Prefix, u32)> = Vec::new();
    let mut intern = |k: NexthopKey, keys: &mut Vec<NexthopKey>| -> u32 {
        *key_index.entry(k).or_insert_with(|| {
            keys.push(k);
            (keys.len() - 1) as u32
        })
    };
    let mut chosen: Vec<usize> = best.into_values().collect();
    chosen.sort_unstable();
    for i in chosen {
        states[i].active = true;
        let k = states[i].nexthop.expect("only usable routes are chosen");
        let v = intern(k, &mut keys);
        fib_routes.push((states[i].dst, v));
    }
    // The router's own addresses, and the directed broadcasts of its subnets, are local:
    // longer than any route to them, so they always win.
    for (port, a) in addresses {
        if a.disabled || !ports[usize::from(*port)].enabled {
            continue;
        }
        fib_routes.push((Ipv4Prefix::host(a.address.addr), 0));
        if a.address.len < 31 {
            fib_routes.push((Ipv4Prefix::host(a.address.prefix().broadcast()), 0));
        }
    }
    Rib {
        routes: states,
        fib: Lpm::build(&fib_routes),
        nexthops: keys,
    }
}

/// The workers' nexthop objects: the keys with gateways' MACs from the neighbour table.
pub fn nexthops(keys: &[NexthopKey], neighbours: &Neighbours) -> Vec<Nexthop> {
    keys.iter()
        .map(|k| match *k {
            NexthopKey::Local => Nexthop::Local,
            NexthopKey::Connected(port) => Nexthop::Connected { port },
            NexthopKey::Gateway(port, addr) => Nexthop::Gateway {
                port,
                addr,
                mac: neighbours
                    .get(&addr)
                    .filter(|n| n.port == port)
                    .map(|n| n.mac),
            },
        })
        .collect()
}

/// The gateways that have no MAC yet, to resolve by ARP ahead of traffic.
pub fn unresolved_gateways(keys: &[NexthopKey], neighbours: &Neighbours) -> Vec<(u16, u32)> {
    keys.iter()
        .filter_map(|k| match *k {
            NexthopKey::Gateway(port, addr)
                if !neighbours.get(&addr).is_some_and(|n| n.port == port) =>
            {
                Some((port, addr))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
