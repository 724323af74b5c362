//! The configuration the RIB is computed from. The control core keeps it so that a change
//! of link state (and, later, a command) recomputes routing from the same source.

use crate::cli::Items;
use crate::config::{
    AddressItem, Config, IpSettings, RouteItem, RoutingSettings, RoutingTableItem,
};
use crate::conntrack::TrackingSettings;
use crate::firewall::{
    InterfaceListItem, InterfaceListMemberItem, MangleItem, Marks, NatItem, Resolver, RuleSet,
};
use crate::rib::{self, PortDesc, Rib};

#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Per port: its name, and whether it is usable (link up).
    pub ports: Vec<PortDesc>,
    pub addresses: Vec<(u16, AddressItem)>,
    pub routes: Vec<RouteItem>,
    /// Routing tables with a FIB besides main.
    pub tables: Vec<String>,
    /// `/routing/table` as configured (`tables` are its enabled ones with a FIB).
    pub routing_tables: Vec<RoutingTableItem>,
    pub interface_lists: Vec<InterfaceListItem>,
    pub interface_list_members: Vec<InterfaceListMemberItem>,
    pub mangle: Vec<MangleItem>,
    pub nat: Vec<NatItem>,
    /// Connection and packet mark names by id: kept across recompilations so that the
    /// ids the workers' connections hold keep their meaning.
    pub conn_marks: Marks,
    pub packet_marks: Marks,
    /// `/ip/firewall/connection/tracking`.
    pub tracking: TrackingSettings,
    /// `/tool/netwatch`.
    pub netwatch: Vec<crate::netwatch::NetwatchItem>,
    /// The items' `*ID`s (see `cli::Ids`).
    pub ids: crate::cli::Ids,
    /// The configuration wanfwd started with. `export` takes from it what commands do not
    /// change (wanfwd's own sections, interfaces, addresses, ARP, settings).
    pub loaded: std::sync::Arc<Config>,
    /// `/ip/settings`.
    pub ip_settings: IpSettings,
    /// `/routing/settings`.
    pub routing_settings: RoutingSettings,
}

impl Model {
    /// The model of `cfg` for the ports named `ports` (the enabled interfaces, in order).
    pub fn from_config(cfg: &Config, ports: &[String]) -> Model {
        let index_of = |name: &str| ports.iter().position(|p| p == name).map(|i| i as u16);
        Model {
            ports: ports
                .iter()
                .map(|n| PortDesc {
                    name: n.clone(),
                    enabled: true,
                })
                .collect(),
            addresses: cfg
                .addresses
                .iter()
                .filter_map(|a| index_of(&a.interface).map(|p| (p, a.clone())))
                .collect(),
            routes: cfg.routes.clone(),
            tables: cfg
                .routing_tables
                .iter()
                .filter(|t| t.fib && !t.disabled)
                .map(|t| t.name.clone())
                .collect(),
            routing_tables: cfg.routing_tables.clone(),
            interface_lists: cfg.interface_lists.clone(),
            interface_list_members: cfg.interface_list_members.clone(),
            mangle: cfg.mangle.clone(),
            nat: cfg.nat.clone(),
            ids: Default::default(),
            conn_marks: Marks::new(),
            packet_marks: Marks::new(),
            tracking: cfg.tracking.clone(),
            netwatch: cfg.netwatch.clone(),
            loaded: std::sync::Arc::new(cfg.clone()),
            ip_settings: cfg.ip_settings,
            routing_settings: cfg.routing_settings,
        }
    }

    /// The items commands may change, as a working copy for a script.
    pub fn items(&self) -> Items {
        Items {
            routing_tables: self.routing_tables.clone(),
            interface_lists: self.interface_lists.clone(),
            interface_list_members: self.interface_list_members.clone(),
            mangle: self.mangle.clone(),
            nat: self.nat.clone(),
            tracking: self.tracking.clone(),
            netwatch: self.netwatch.clone(),
            addresses: self.addresses.iter().map(|(_, a)| a.clone()).collect(),
            ip_settings: self.ip_settings,
            routing_settings: self.routing_settings,
            ids: self.ids.clone(),
        }
    }

    /// Installs a script's items.
    pub fn set_items(&mut self, items: Items) {
        self.tables = items.fib_tables();
        self.routing_tables = items.routing_tables;
        self.interface_lists = items.interface_lists;
        self.interface_list_members = items.interface_list_members;
        self.mangle = items.mangle;
        self.nat = items.nat;
        self.tracking = items.tracking;
        self.netwatch = items.netwatch;
        self.set_addresses(items.addresses);
        self.ip_settings = items.ip_settings;
        self.routing_settings = items.routing_settings;
        self.ids = items.ids;
    }

    /// Installs `/ip/address` items, each on the port it names (checked by `check_items`).
    pub fn set_addresses(&mut self, addresses: Vec<AddressItem>) {
        let ports = &self.ports;
        self.addresses = addresses
            .into_iter()
            .filter_map(|a| {
                let p = ports.iter().position(|p| p.name == a.interface)?;
                Some((u16::try_from(p).ok()?, a))
            })
            .collect();
    }

    /// Whether `items` would compile into rules with this model's ports.
    pub fn check_items(&self, items: &Items) -> Result<(), String> {
        for (i, a) in items.addresses.iter().enumerate() {
            if !self.ports.iter().any(|p| p.name == a.interface) {
                return Err(format!(
                    "no interface '{}' (/interface/ethernet)",
                    a.interface
                ));
            }
            // As the configuration: one address once per interface.
            if items.addresses[..i]
                .iter()
                .any(|b| b.address == a.address && b.interface == a.interface)
            {
                return Err(format!(
                    "already have such address: {} on {}",
                    a.address, a.interface
                ));
            }
        }
        let mut m = self.clone();
        m.set_items(items.clone());
        m.rules().map(|_| ())
    }

    /// Compiles the mangle and NAT rules against the ports and tables in force.
    pub fn rules(&mut self) -> Result<RuleSet, String> {
        let ports = &self.ports;
        let tables = &self.tables;
        let port_of = |n: &str| ports.iter().position(|p| p.name == n).map(|i| i as u16);
        let table_of = |n: &str| {
            if n == "main" {
                Some(0)
            } else {
                tables
                    .iter()
                    .position(|t| t == n)
                    .and_then(|i| u8::try_from(i + 1).ok())
            }
        };
        RuleSet::compile(
            &self.mangle,
            &self.nat,
            &self.interface_lists,
            &self.interface_list_members,
            &Resolver {
                port_of: &port_of,
                table_of: &table_of,
            },
            &mut self.conn_marks,
            &mut self.packet_marks,
        )
    }

    /// The first enabled address of port `port` (host order): masquerade's source.
    pub fn port_address(&self, port: u16) -> Option<u32> {
        self.addresses
            .iter()
            .find(|(p, a)| *p == port && !a.disabled)
            .map(|(_, a)| u32::from(a.address.addr))
    }

    /// Resolves, without logging (for views of a candidate configuration).
    pub fn compute_quiet(&self) -> Rib {
        rib::compute(&self.ports, &self.addresses, &self.routes, &self.tables)
    }

    /// Whether a route may be installed with routing tables `tables`: its table and
    /// interfaces exist.
    pub fn check_route(&self, r: &RouteItem, tables: &[String]) -> Result<(), String> {
        if r.routing_table != "main" && !tables.contains(&r.routing_table) {
            return Err(format!(
                "no routing table '{}' with fib (/routing/table)",
                r.routing_table
            ));
        }
        for g in &r.gateway {
            if let Some(i) = g.interface() {
                if !self.ports.iter().any(|p| p.name == i) {
                    return Err(format!("no interface '{i}'"));
                }
            }
        }
        Ok(())
    }

    /// Resolves and selects; logs the routes that stay unresolved.
    pub fn compute(&self) -> Rib {
        let rib = self.compute_quiet();
        for r in &rib.routes {
            if let Some(problem) = &r.problem {
                log::warn!(
                    "route {} gateway {}: unresolved: {problem}",
                    r.dst,
                    r.gateway
                );
            }
        }
        rib
    }
}
