//! Commands from the API socket, run by the control core between packets: a script that
//! changes routes becomes a new RIB and a new snapshot (design invariant 7).

use super::rule_stats;
use super::scripts::Origin;
use super::Control;
use crate::api::Response;
use crate::cli::{self, ListRow, Listing};
use crate::config::RouteItem;
use crate::rib::view::{self, Context, NexthopItem, RouteItem as RouteView};
use crate::rib::{self, Member};
use crate::ros::LogLevel;
use std::time::Instant;

/// The control core as commands see it.
pub(super) struct Env<'a>(pub(super) &'a Control);

impl Env<'_> {
    fn view<T>(&self, rib: &rib::Rib, f: impl FnOnce(&Context) -> T) -> T {
        let c = self.0;
        let ports: Vec<String> = c.ports.iter().map(|p| p.name.clone()).collect();
        let usable = |m: &Member| c.probes.usable(m);
        let gw_state = |m: &Member| c.probes.state(m);
        let sel = rib::select(rib, &usable);
        f(&Context {
            rib,
            sel: &sel,
            ports: &ports,
            usable: &usable,
            gw_state: &gw_state,
        })
    }
}

impl cli::Env for Env<'_> {
    fn route_view(&self, routes: &[RouteItem], tables: &[String]) -> Vec<RouteView> {
        let mut m = self.0.model.clone();
        m.routes = routes.to_vec();
        m.tables = tables.to_vec();
        let rib = m.compute_quiet();
        self.view(&rib, view::routes)
    }

    fn route_view_with_addresses(
        &self,
        routes: &[RouteItem],
        tables: &[String],
        addresses: &[crate::config::AddressItem],
    ) -> Vec<RouteView> {
        let mut m = self.0.model.clone();
        m.routes = routes.to_vec();
        m.tables = tables.to_vec();
        m.set_addresses(addresses.to_vec());
        let rib = m.compute_quiet();
        self.view(&rib, view::routes)
    }

    fn nexthop_view(&self) -> Vec<NexthopItem> {
        self.view(&self.0.rib, view::nexthops)
    }

    fn check_route(&self, route: &RouteItem, tables: &[String]) -> Result<(), String> {
        self.0.model.check_route(route, tables)
    }

    fn check_items(&self, items: &cli::Items) -> Result<(), String> {
        self.0.model.check_items(items)
    }

    fn config(&self) -> Option<crate::config::Config> {
        // Routes and items come from the script's working copy (see `cli::export`).
        Some((*self.0.model.loaded).clone())
    }

    fn link_down(&self, name: &str) -> bool {
        let c = self.0;
        c.ports
            .iter()
            .position(|p| p.name == name)
            .is_some_and(|i| !c.link_up[i])
    }

    fn netwatch_status(
        &self,
        item: &crate::netwatch::NetwatchItem,
    ) -> Option<crate::netwatch::StatusView> {
        self.0.netwatch_status(item)
    }

    fn listing(&self, menu: &str) -> Option<Listing> {
        let c = self.0;
        let yes = |b: bool| if b { "true" } else { "false" }.to_string();
        let port_name = |p: u16| {
            c.ports
                .get(usize::from(p))
                .map_or("?".to_string(), |p| p.name.clone())
        };
        match menu {
            "/ip/firewall/connection" => Some(c.connection_listing()),
            "/system/script/job" => Some(c.job_listing()),
            "/log" => Some(Listing {
                legend: None,
                columns: vec![("TIME", false), ("TOPICS", false), ("MESSAGE", false)],
                rows: crate::logbuf::LOG
                    .entries()
                    .into_iter()
                    .map(|e| ListRow {
                        flags: String::new(),
                        cells: vec![
                            crate::logbuf::clock(e.time),
                            e.topics.to_string(),
                            e.message.clone(),
                        ],
                        props: vec![
                            ("time", crate::logbuf::clock(e.time)),
                            ("topics", e.topics.to_string()),
                            ("message", e.message),
                        ],
                        handle: 0,
                    })
                    .collect(),
            }),
            "/ip/arp" => {
                let mut entries: Vec<_> = c.neigh.entries().collect();
                entries.sort_by_key(|e| e.0);
                Some(Listing {
                    legend: Some("Flags: D - DYNAMIC; C - COMPLETE"),
                    columns: vec![
                        ("ADDRESS", false),
                        ("MAC-ADDRESS", false),
                        ("INTERFACE", false),
                    ],
                    rows: entries
                        .into_iter()
                        .map(|(addr, port, mac, is_static, complete)| {
                            let address = std::net::Ipv4Addr::from(addr).to_string();
                            let mac = if complete {
                                mac.to_string()
                            } else {
                                String::new()
                            };
                            ListRow {
                                flags: format!(
                                    "{}{}",
                                    if is_static { "" } else { "D" },
                                    if complete { "C" } else { "" }
                                ),
                                cells: vec![address.clone(), mac.clone(), port_name(port)],
                                props: vec![
                                    ("address", address),
                                    ("mac-address", mac),
                                    ("interface", port_name(port)),
                                    ("dynamic", yes(!is_static)),
                                    ("complete", yes(complete)),
                                ],
                                handle: 0,
                            }
                        })
                        .collect(),
                })
            }
            "/interface" => Some(c.interface_listing(true)),
            "/system/resource/cpu" => Some(c.cpu_listing()),
            "/interface/ethernet" => Some(c.interface_listing(false)),
            _ => None,
        }
    }

    fn settings_status(&self, menu: &str) -> Vec<(&'static str, String)> {
        if menu != crate::conntrack::TRACKING {
            return Vec::new();
        }
        // As the workers last published them (every few milliseconds).
        let total: u64 = self.0.workers.iter().map(|w| w.read().conns).sum();
        vec![("total-entries", total.to_string())]
    }

    fn traffic(&self) -> Vec<cli::Traffic> {
        self.0.traffic()
    }

    fn resource(&self) -> Vec<(&'static str, String)> {
        self.0.resource()
    }

    fn rule_counts(&self, menu: &str) -> Option<Vec<[u64; 2]>> {
        Some(self.0.rule_counts(menu))
    }

    fn stats_listing(&self, menu: &str) -> Option<Listing> {
        matches!(menu, "/interface" | "/interface/ethernet").then(|| self.0.interface_stats())
    }
}

impl Control {
    /// Gives every worker the timeouts of `/ip/firewall/connection/tracking`.
    fn push_timeouts(&self) {
        for (w, q) in self.cmds.iter().enumerate() {
            let cmd = crate::stateful::WorkerCmd::SetTimeouts(self.model.tracking.timeouts);
            if q.push(cmd).is_err() {
                log::warn!("worker {w}: command ring full, new timeouts not delivered");
            }
        }
    }

    /// Serves the API socket; returns how many requests were handled.
    pub(super) fn serve_api(&mut self) -> usize {
        let Some(mut api) = self.api.take() else {
            return 0;
        };
        let requests = api.poll(Instant::now());
        let n = requests.len();
        for r in requests {
            if let Some(response) = self.start_script(&r.text, r.json, Origin::Api(r.client)) {
                api.respond(r.client, response);
            }
        }
        for (client, answer) in self.scripts.answers.drain(..) {
            api.respond(client, answer);
        }
        self.api = Some(api);
        n
    }

    /// Runs a script at start-up: its answer, or, if it waits (`:delay`, `/ping`), what it
    /// printed so far while the rest runs in the background.
    pub fn execute(&mut self, text: &str, json: bool) -> Response {
        self.start_script(text, json, Origin::Startup)
            .unwrap_or_else(|| Response::Ok(String::new()))
    }

    /// Installs what a script changed; returns its output.
    pub(super) fn apply(&mut self, out: cli::Outcome) -> String {
        for (level, msg) in &out.logs {
            match level {
                LogLevel::Error => log::error!("script: {msg}"),
                LogLevel::Warning => log::warn!("script: {msg}"),
                LogLevel::Info => log::info!("script: {msg}"),
                LogLevel::Debug => log::debug!("script: {msg}"),
            }
        }
        for (menu, handles) in &out.removals {
            if menu == "/ip/firewall/connection" {
                let n = self.remove_connections(handles);
                log::info!("removed {n} connection(s)");
            } else if menu == "/system/script/job" {
                let n = self.remove_jobs(handles);
                log::info!("stopped {n} script(s)");
            }
        }
        self.reset_counters(&out.counter_resets);
        for (menu, items) in &out.rule_resets {
            self.reset_rule_counters(menu, items);
        }
        let mut recompute = false;
        if out.flush_nexthops {
            self.flush_nexthops(Instant::now());
        }
        if let Some(new) = out.items {
            let old = self.model.items();
            let tables_changed = new.fib_tables() != self.model.tables;
            let timeouts_changed = new.tracking.timeouts != self.model.tracking.timeouts;
            let netwatch_changed = new.netwatch != self.model.netwatch;
            self.model.set_items(new);
            let addresses_changed = self.install_addresses_and_settings(&old);
            if netwatch_changed {
                self.follow_netwatch(Instant::now());
            }
            match self.model.rules() {
                Ok(r) => {
                    let before = rule_stats::Before {
                        mangle: &old.mangle,
                        nat: &old.nat,
                    };
                    self.install_rules(r, before)
                }
                // Checked by the script already: not expected.
                Err(e) => log::error!("firewall rules not installed: {e}"),
            }
            if timeouts_changed {
                self.push_timeouts();
            }
            log::info!(
                "firewall: {} mangle and {} NAT rule(s) installed",
                self.model.mangle.len(),
                self.model.nat.len()
            );
            if tables_changed || addresses_changed {
                recompute = true;
            } else {
                // The workers take the new rules at their next burst.
                self.publish();
            }
        }
        if let Some(routes) = out.routes {
            self.model.routes = routes;
            recompute = true;
        }
        if let Some(ids) = out.route_ids {
            self.model.ids.put(cli::IP_ROUTE, ids);
        }
        if recompute {
            let rib = self.model.compute();
            self.set_rib(rib, Instant::now());
            self.solicit_gateways(Instant::now());
            self.log_routes();
        }
        out.output
    }
}
