//! Running RouterOS commands against the router: the evaluator behind `wanctl` (and, later,
//! `.rsc` imports and Netwatch scripts).
//!
//! A script is applied whole or not at all: commands change a working copy of the routes,
//! and the caller installs it only when the whole script succeeded. Errors name the line and
//! column of the offending command.
//!
//! Served: `/ip/route` (print, add, set, remove, enable, disable, with `[find ...]`, print
//! numbers and `*ID`); the same verbs, generically over `firewall::Item`, for
//! `/routing/table`, `/interface/list`, `/interface/list/member`, `/ip/firewall/mangle` and
//! `/ip/firewall/nat` (see `items`); `/ip/firewall/connection/tracking print|set`;
//! `/tool/netwatch` (generic verbs, and a `print` with the status the daemon keeps);
//! `/routing/nexthop print|flush`, `/ip/address` (generic verbs, and a `print` with the
//! flags), `/ip/settings` and `/routing/settings` (`print|set`, see `settings`), the
//! read-only listings, `:log` and `:put`; `export` in any menu (see `export`: RouterOS
//! commands, or with `format=yaml` the YAML configuration); and the scripting of `eval`
//! (variables, expressions, `:if`), `job` (`:delay` and `/ping`, which suspend the script)
//! and `value` (the operators). Other menus answer that they are not supported yet.
//!
//! A script works on a copy of the routes and of these items ([`Items`]); every change of
//! the items is checked by compiling the rules with them (`Env::check_items`), so a rule
//! naming an unknown interface, list or routing table is refused at its line.

mod address;
mod eval;
mod export;
mod find;
mod funcs;
mod get;
mod ids;
mod items;
mod job;
mod listing;
mod monitor;
mod netwatch;
mod route;
mod rule_stats;
mod settings;
mod value;

pub use ids::{IdList, Ids, IP_ROUTE};
pub use items::Items;
pub use job::{format_ping, Job, PingRequest, PingResult, Reply, Step, Wait};
pub use listing::{grouped, ListRow, Listing};
pub use monitor::Traffic;
pub use value::{Globals, Value};

use crate::config::RouteItem;
use crate::rib::view::{self, NexthopItem, RouteItem as RouteView};
use crate::ros::{self, Arg, Command, Cond, Expr, Span, Stmt};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::Arc;

/// RouterOS's menus that wanfwd knows (it may not serve all of their commands yet).
const MENUS: &[&str] = &[
    "/",
    "/interface",
    "/interface/ethernet",
    "/interface/list",
    "/interface/list/member",
    "/ip",
    "/ip/address",
    "/ip/arp",
    "/ip/firewall",
    "/ip/firewall/connection",
    "/ip/firewall/connection/tracking",
    "/ip/firewall/mangle",
    "/ip/firewall/nat",
    "/ip/route",
    "/ip/settings",
    "/log",
    "/routing",
    "/routing/nexthop",
    "/routing/settings",
    "/routing/table",
    "/system",
    "/system/resource",
    "/system/resource/cpu",
    "/system/script",
    "/system/script/job",
    "/tool",
    "/tool/netwatch",
];

/// What a script runs against.
pub trait Env {
    /// The routes as `/ip/route print` shows them, were `routes` the configuration and
    /// `tables` the routing tables with a FIB.
    fn route_view(&self, routes: &[RouteItem], tables: &[String]) -> Vec<RouteView>;
    /// The same, were `addresses` the `/ip/address` items (a script's working copy): the
    /// connected routes follow them. Without it, the addresses in force are used.
    fn route_view_with_addresses(
        &self,
        routes: &[RouteItem],
        tables: &[String],
        _addresses: &[crate::config::AddressItem],
    ) -> Vec<RouteView> {
        self.route_view(routes, tables)
    }
    /// `/routing/nexthop print`, for the routes in force.
    fn nexthop_view(&self) -> Vec<NexthopItem>;
    /// Validates a route (interfaces exist, routing table exists among `tables`...).
    fn check_route(&self, route: &RouteItem, tables: &[String]) -> Result<(), String>;
    /// Validates the items, were they the configuration: the mangle and NAT rules compile
    /// (interfaces, lists, routing tables they name exist).
    fn check_items(&self, items: &Items) -> Result<(), String>;
    /// The items of a listed menu (`/ip/arp`, `/interface/ethernet`, `/ip/firewall/connection`, `/log`).
    fn listing(&self, _menu: &str) -> Option<Listing> {
        None
    }
    /// A listed menu's traffic counters (`print stats`: `/interface`, `/interface/ethernet`),
    /// None for a menu without any.
    fn stats_listing(&self, _menu: &str) -> Option<Listing> {
        None
    }
    /// Per item of a rules menu (`/ip/firewall/mangle`, `/ip/firewall/nat`) in force, the
    /// packets and bytes it matched (`print stats`); None where nothing is counted.
    fn rule_counts(&self, _menu: &str) -> Option<Vec<[u64; 2]>> {
        None
    }
    /// `/system/resource print`: what the router says of itself (uptime, version, the
    /// workers' `cpu-load`...); empty where there is no router.
    fn resource(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Every interface's traffic rates over the last second (`monitor-traffic`).
    fn traffic(&self) -> Vec<Traffic> {
        Vec::new()
    }
    /// Read-only values a settings menu prints after its properties (connection tracking's
    /// `total-entries`).
    fn settings_status(&self, _menu: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// The configuration in force, for `export`: what wanfwd started with and what commands
    /// changed since (the script's own routes and items replace those it holds).
    fn config(&self) -> Option<crate::config::Config> {
        None
    }
    /// Whether interface `name`'s link is down (its addresses print as invalid).
    fn link_down(&self, _name: &str) -> bool {
        false
    }
    /// The status of a `/tool/netwatch` item, when it is being watched.
    fn netwatch_status(
        &self,
        _item: &crate::netwatch::NetwatchItem,
    ) -> Option<crate::netwatch::StatusView> {
        None
    }
}

/// A script's result: its output, and the routes to install when they changed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub output: String,
    pub routes: Option<Vec<RouteItem>>,
    /// The static routes' `*ID`s, with `routes`.
    pub route_ids: Option<IdList>,
    /// The configuration menus' items to install when they changed.
    pub items: Option<Items>,
    /// `:log` messages, to be logged by the caller (level, text).
    pub logs: Vec<(ros::LogLevel, String)>,
    /// Items to remove from listed menus (menu, the items' handles), in script order.
    pub removals: Vec<(String, Vec<u64>)>,
    /// Interfaces (their handles: ports) whose `print stats` counters start again from zero.
    pub counter_resets: Vec<u64>,
    /// Rules whose counters start again from zero: (menu, item numbers in force).
    pub rule_resets: Vec<(String, Vec<u64>)>,
    /// `/routing/nexthop flush`: the daemon forgets its nexthops' resolution and resolves
    /// them again.
    pub flush_nexthops: bool,
}

/// An error with where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.span.line, self.span.column, self.message
        )
    }
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, Error> {
    Err(Error {
        span,
        message: message.into(),
    })
}

/// Parses and runs `text` against `routes` and `items`, whole; `json` prints items as
/// RouterOS's REST API returns them. A script that would wait (`:delay`, `/ping`) is refused:
/// the daemon runs those as [`Job`]s.
pub fn run(
    text: &str,
    routes: &[RouteItem],
    items: &Items,
    env: &dyn Env,
    json: bool,
) -> Result<Outcome, Error> {
    let mut job = Job::parse(text, json)?;
    let mut globals = Globals::new();
    let step = job.run(routes, items, &mut globals, env)?;
    match step.wait {
        None => Ok(step.outcome),
        Some(_) => err(
            Span { line: 1, column: 1 },
            "this script waits (:delay, /ping): only the daemon runs it",
        ),
    }
}

struct Session<'a> {
    env: &'a dyn Env,
    routes: Vec<RouteItem>,
    changed: bool,
    items: Items,
    /// `/ip/address` before the script: while the working copy is the same, the routes are
    /// viewed with the addresses in force.
    addresses_in_force: Vec<crate::config::AddressItem>,
    /// The items before the script (the rules whose counters `print stats` shows).
    items_in_force: Items,
    /// Where the items were last changed, if they were.
    items_changed: Option<Span>,
    json: bool,
    out: Outcome,
    /// The blocks being run, innermost last, with their `:local` variables.
    frames: Vec<job::Frame>,
    globals: &'a mut Globals,
    /// Results of the pings the running statement waited for, not yet used.
    pings: RefCell<VecDeque<PingResult>>,
    /// Loop passes started in this run (at most [`job::MAX_PASSES`]).
    passes: usize,
}

/// Where the innermost loop was written: the statement that started its frame (its
/// parent's previous statement), for an error about its passes.
fn top_span(frames: &[job::Frame]) -> Span {
    frames
        .len()
        .checked_sub(2)
        .and_then(|i| frames[i].stmts.get(frames[i].next.checked_sub(1)?))
        .map_or_else(Span::default, Stmt::span)
}

impl<'a> Session<'a> {
    fn new(
        env: &'a dyn Env,
        routes: &[RouteItem],
        items: &Items,
        json: bool,
        globals: &'a mut Globals,
    ) -> Session<'a> {
        Session {
            env,
            routes: routes.to_vec(),
            changed: false,
            items: items.clone(),
            addresses_in_force: items.addresses.clone(),
            items_in_force: items.clone(),
            items_changed: None,
            json,
            out: Outcome::default(),
            frames: Vec::new(),
            globals,
            pings: RefCell::new(VecDeque::new()),
            passes: 0,
        }
    }

    /// The changes and output of the statements run.
    fn finish(self) -> Result<Outcome, Error> {
        if let Some(span) = self.items_changed {
            // The routes must still find their routing tables.
            let tables = self.items.fib_tables();
            for r in &self.routes {
                self.env
                    .check_route(r, &tables)
                    .map_err(|m| Error { span, message: m })?;
            }
        }
        let mut out = self.out;
        if self.changed {
            out.route_ids = Some(self.items.ids.get(IP_ROUTE, self.routes.len()));
            out.routes = Some(self.routes);
        }
        if self.items_changed.is_some() {
            out.items = Some(self.items);
        }
        Ok(out)
    }

    /// Runs statements until the script ends (`None`) or must wait. `pings` are the results
    /// the next statement waited for.
    fn drive(&mut self, mut pings: Option<Vec<PingResult>>) -> Result<Option<Wait>, Error> {
        loop {
            match self.drive_until_error(&mut pings) {
                Err(e) => self.on_error(e)?,
                done => return done,
            }
        }
    }

    /// A failed statement inside a `:do` with `on-error`: the frames from the innermost such
    /// `:do` up are dropped and its `on-error` block runs next. Elsewhere the script ends
    /// with the error.
    fn on_error(&mut self, e: Error) -> Result<(), Error> {
        let found = self.frames.iter().enumerate().rev();
        let Some((i, handler)) = found
            .filter_map(|(i, f)| Some((i, f.on_error.clone()?)))
            .next()
        else {
            return Err(e);
        };
        self.frames.truncate(i);
        self.frames.push(job::Frame::new(&handler));
        Ok(())
    }

    fn drive_until_error(
        &mut self,
        pings: &mut Option<Vec<PingResult>>,
    ) -> Result<Option<Wait>, Error> {
        loop {
            let Some(top) = self.frames.last_mut() else {
                return Ok(None);
            };
            let Some(st) = top.stmts.get(top.next).cloned() else {
                if top.next_element() {
                    self.count_pass(top_span(&self.frames))?;
                } else {
                    self.frames.pop();
                }
                continue;
            };
            match pings.take() {
                Some(results) => *self.pings.borrow_mut() = results.into(),
                None => {
                    let wanted = self.ping_requests(&st)?;
                    if !wanted.is_empty() {
                        return Ok(Some(Wait::Ping(wanted)));
                    }
                }
            }
            // A `:while` test that runs no block ends its loop.
            let depth = self.frames.len();
            let test = self.frames.last().is_some_and(job::Frame::is_while);
            if let Some(top) = self.frames.last_mut() {
                top.next += 1;
            }
            let r = self.stmt(&st);
            if test && r.is_ok() && self.frames.len() == depth {
                self.frames.pop();
            }
            self.pings.borrow_mut().clear();
            if let Some(wait) = r? {
                return Ok(Some(wait));
            }
        }
    }

    /// Counts a loop pass started at `span`; too many in one run stop the script.
    fn count_pass(&mut self, span: Span) -> Result<(), Error> {
        self.passes += 1;
        if self.passes > job::MAX_PASSES {
            return err(
                span,
                format!(
                    "stopped after {} loop passes without a pause (:delay or /ping): scripts run on the control core",
                    job::MAX_PASSES
                ),
            );
        }
        Ok(())
    }

    fn stmt(&mut self, st: &Stmt) -> Result<Option<Wait>, Error> {
        match st {
            Stmt::Command(c) => {
                // Inside a `:do` with `on-error`, a failed command leaves the working copy as
                // it found it: the script goes on from there.
                let guarded = self.frames.iter().any(|f| f.on_error.is_some());
                let before = guarded.then(|| {
                    (
                        self.routes.clone(),
                        self.items.clone(),
                        self.changed,
                        self.items_changed,
                    )
                });
                let done = self.resolve_command(c).and_then(|c| self.command(&c));
                if let (Err(e), Some(b)) = (done.as_ref(), before) {
                    (self.routes, self.items, self.changed, self.items_changed) = b;
                    return Err(e.clone());
                }
                done?;
            }
            Stmt::ChangeMenu { path, span } => {
                let menu = format!("/{}", path.join("/"));
                if !MENUS.contains(&menu.as_str()) {
                    return err(*span, format!("no such menu or command '{menu}'"));
                }
            }
            Stmt::Block { stmts, .. } => self.frames.push(job::Frame::new(stmts)),
            Stmt::Log {
                level,
                message,
                span,
            } => {
                let text = self.value(message, *span)?.to_text();
                self.out.logs.push((*level, text));
            }
            Stmt::Put { value, span } => {
                let text = self.value(value, *span)?.to_text();
                let _ = writeln!(self.out.output, "{text}");
            }
            Stmt::ForEach {
                name,
                list,
                body,
                span,
            } => {
                let elements = self.value(list, *span)?.elements();
                if let Some(f) = job::Frame::each(body, name, elements) {
                    self.frames.push(f);
                    self.count_pass(*span)?;
                }
            }
            Stmt::Do { body, on_error, .. } => self.frames.push(job::Frame {
                on_error: on_error.as_deref().map(Arc::from),
                ..job::Frame::new(body)
            }),
            Stmt::While { cond, body, span } => {
                self.frames.push(job::Frame::while_loop(cond, body, *span));
                self.count_pass(*span)?;
            }
            // The first pass untested, on top of the `:while` loop that does the rest.
            Stmt::DoWhile { body, cond, span } => {
                self.frames.push(job::Frame::while_loop(cond, body, *span));
                self.frames.push(job::Frame::new(body));
                self.count_pass(*span)?;
            }
            Stmt::For {
                name,
                from,
                to,
                step,
                body,
                span,
            } => {
                let number = |s: &mut Self, e: &ros::Expr, what: &str| -> Result<i64, Error> {
                    let v = s.value(e, *span)?;
                    v.as_num().ok_or_else(|| Error {
                        span: *span,
                        message: format!("`:for` {what} must be a number, not '{}'", v.to_text()),
                    })
                };
                let (from, to) = (number(self, from, "from")?, number(self, to, "to")?);
                let step = match step {
                    Some(e) => number(self, e, "step")?,
                    None => 1,
                };
                if step == 0 {
                    return err(*span, "`:for` step must not be 0");
                }
                if let Some(f) = job::Frame::count(body, name, from, to, step) {
                    self.frames.push(f);
                    self.count_pass(*span)?;
                }
            }
            Stmt::Local { name, value, span } => {
                let v = self.opt_value(value.as_ref(), *span)?;
                if let Some(top) = self.frames.last_mut() {
                    top.locals.retain(|(n, _)| n != name);
                    top.locals.push((name.clone(), v));
                }
            }
            Stmt::Global { name, value, span } => {
                let v = self.opt_value(value.as_ref(), *span)?;
                match value {
                    Some(_) => {
                        self.globals.insert(name.clone(), v);
                    }
                    None => {
                        self.globals.entry(name.clone()).or_default();
                    }
                }
            }
            Stmt::Set { name, value, span } => {
                let v = self.opt_value(value.as_ref(), *span)?;
                self.set_var(name, v, *span)?;
            }
            Stmt::Delay { duration, span } => {
                let text = self.value(duration, *span)?.to_text();
                let d = crate::config::parse_duration(&text).map_err(|m| Error {
                    span: *span,
                    message: m,
                })?;
                return Ok(Some(Wait::Delay(d)));
            }
            Stmt::If {
                cond,
                then,
                otherwise,
                span,
            } => {
                let yes = self.value(cond, *span)?.truth().map_err(|m| Error {
                    span: *span,
                    message: m,
                })?;
                let block = if yes { Some(then) } else { otherwise.as_ref() };
                if let Some(stmts) = block {
                    self.frames.push(job::Frame::new(stmts));
                }
            }
        }
        Ok(None)
    }

    /// A value as text: strings and words as they are.
    fn text(&self, e: &Expr, span: Span) -> Result<String, Error> {
        Ok(self.value(e, span)?.to_text())
    }

    fn command(&mut self, c: &Command) -> Result<(), Error> {
        let menu = c.menu();
        match (menu.as_str(), c.verb.as_str()) {
            (_, "export") => self.export(c, &menu),
            // At the console, `get` prints what `[get ...]` gives.
            (_, "get") => {
                let v = self.get_value(c)?;
                let _ = writeln!(self.out.output, "{}", v.to_text());
                Ok(())
            }
            ("/ip/route", "print") => self.print_routes(c),
            ("/ip/route", "add") => self.add_route(c),
            ("/ip/route", "set") => self.set_routes(c),
            ("/ip/route", "remove") => self.remove_routes(c),
            ("/ip/route", "enable") => self.enable_routes(c, false),
            ("/ip/route", "disable") => self.enable_routes(c, true),
            ("/routing/nexthop", "print") => self.print_nexthops(c),
            ("/", "ping") => self.ping_command(c),
            ("/routing/nexthop", "flush") => self.flush_nexthops(c),
            (crate::config::IP_ADDRESS, "print") => self.print_addresses(c),
            (crate::config::IP_ADDRESS, _) => self.item_command(c, &menu, |i| &mut i.addresses),
            (crate::config::IP_SETTINGS, _) => {
                self.settings_command(c, &menu, |i| &mut i.ip_settings, |_, _| Ok(()))
            }
            (crate::config::ROUTING_SETTINGS, _) => {
                self.settings_command(c, &menu, |i| &mut i.routing_settings, |_, _| Ok(()))
            }
            (crate::config::ROUTING_TABLE, _) => {
                self.item_command(c, &menu, |i| &mut i.routing_tables)
            }
            (crate::firewall::INTERFACE_LIST, _) => {
                self.item_command(c, &menu, |i| &mut i.interface_lists)
            }
            (crate::firewall::INTERFACE_LIST_MEMBER, _) => {
                self.item_command(c, &menu, |i| &mut i.interface_list_members)
            }
            (crate::firewall::MANGLE, _) => self.item_command(c, &menu, |i| &mut i.mangle),
            (crate::firewall::NAT, _) => self.item_command(c, &menu, |i| &mut i.nat),
            (crate::conntrack::TRACKING, _) => self.tracking_command(c),
            (crate::netwatch::NETWATCH, "print") => self.print_netwatch(c),
            (crate::netwatch::NETWATCH, _) => self.item_command(c, &menu, |i| &mut i.netwatch),
            ("/interface" | "/interface/ethernet", "monitor-traffic") => self.monitor_traffic(c),
            ("/system/resource", "print") => self.print_resource(c),
            ("/ip/arp" | "/interface" | "/interface/ethernet" | "/ip/firewall/connection" | "/log" | "/system/script/job" | "/system/resource/cpu", _) => {
                self.listing_command(c, &menu)
            }
            ("/ip/route" | "/routing/nexthop", verb) => {
                err(c.span, format!("no such command '{verb}' in {menu}"))
            }
            _ if !MENUS.contains(&menu.as_str()) => {
                err(c.span, format!("no such menu or command '{menu}'"))
            }
            _ => err(
                c.span,
                format!("{menu} {} is not supported yet (this wanfwd serves /ip/address, /ip/route, /ip/settings, /routing/settings, /routing/table, /interface/list, /ip/firewall/mangle, /ip/firewall/nat, /ip/firewall/connection/tracking, /tool/netwatch)", c.verb),
            ),
        }
    }

    /// The routes as `/ip/route print` shows them, with the script's working copy.
    /// The routes as `print` shows them, with their `*ID`s (the view numbers the RIB's
    /// routes, statics in configuration order: a static view's rank is its route's index).
    fn route_views(&self) -> Vec<RouteView> {
        let tables = self.items.fib_tables();
        let mut views = if self.items.addresses == self.addresses_in_force {
            self.env.route_view(&self.routes, &tables)
        } else {
            self.env
                .route_view_with_addresses(&self.routes, &tables, &self.items.addresses)
        };
        let route_ids = self.items.ids.get(IP_ROUTE, self.routes.len());
        let mut statics: Vec<usize> = views.iter().filter(|v| !v.dynamic).map(|v| v.id).collect();
        statics.sort_unstable();
        for v in &mut views {
            v.id = match statics.binary_search(&v.id) {
                Ok(k) if !v.dynamic => route_ids.id(k) as usize,
                _ => ids::DYNAMIC_ROUTE_IDS + v.id,
            };
        }
        views
    }

    fn print_routes(&mut self, c: &Command) -> Result<(), Error> {
        check_print_args(c, &["detail", "count-only", "terse"])?;
        let all = self.route_views();
        let mut items = Vec::new();
        for it in all {
            let keep = match c.where_cond() {
                Some(cond) => route_cond(&it, cond)?,
                None => true,
            };
            if keep {
                items.push(it);
            }
        }
        let text = if c.has_flag("count-only") {
            format!("{}\n", items.len())
        } else if self.json {
            view::routes_json(&items)
        } else if c.has_flag("detail") {
            view::print_routes_detail(&items)
        } else {
            view::print_routes(&items)
        };
        self.out.output.push_str(&text);
        Ok(())
    }

    fn print_nexthops(&mut self, c: &Command) -> Result<(), Error> {
        check_print_args(c, &["count-only", "detail"])?;
        let mut items = Vec::new();
        for it in self.env.nexthop_view() {
            let keep = match c.where_cond() {
                Some(cond) => eval_cond(cond, &|p, v| view::nexthop_matches(&it, p, v), &|p| {
                    view::nexthop_text(&it, p)
                })?,
                None => true,
            };
            if keep {
                items.push(it);
            }
        }
        let text = if c.has_flag("count-only") {
            format!("{}\n", items.len())
        } else if self.json {
            view::nexthops_json(&items)
        } else {
            view::print_nexthops(&items)
        };
        self.out.output.push_str(&text);
        Ok(())
    }
}

fn check_print_args(c: &Command, flags: &[&str]) -> Result<(), Error> {
    for a in &c.args {
        match a {
            Arg::Named {
                name,
                value: None,
                span,
            } if !flags.contains(&name.as_str()) => {
                return err(*span, format!("unknown print option '{name}'"));
            }
            Arg::Named {
                name,
                value: Some(_),
                span,
            } => {
                return err(
                    *span,
                    format!("print takes no '{name}='; use 'where {name}=...'"),
                )
            }
            Arg::Positional { span, .. } => return err(*span, "print takes no positional value"),
            _ => {}
        }
    }
    Ok(())
}

/// Evaluates a `where` condition with `test(property, value)` for comparisons and flags, and
/// `text(property)` for `~`: a property's value as text (empty when unset; None for a
/// property the menu does not have), which a regular expression matches anywhere in, as
/// RouterOS's `print where comment~"wan1"`.
fn eval_cond(
    cond: &Cond,
    test: &dyn Fn(&str, &str) -> Result<bool, String>,
    text: &dyn Fn(&str) -> Option<String>,
) -> Result<bool, Error> {
    let wrap = |r: Result<bool, String>, span: Span| r.map_err(|m| Error { span, message: m });
    match cond {
        Cond::Cmp {
            prop,
            op,
            value,
            span,
        } => {
            let v = match value {
                Expr::Str(s) | Expr::Word(s) => s.clone(),
                Expr::Num(n) => n.to_string(),
                _ => return err(*span, "only plain values are supported in conditions yet"),
            };
            match op {
                ros::CmpOp::Eq => wrap(test(prop, &v), *span),
                ros::CmpOp::Ne => wrap(test(prop, &v).map(|b| !b), *span),
                ros::CmpOp::Match => match text(prop) {
                    Some(t) => wrap(value::regex_match(&t, &v), *span),
                    // An unknown property is refused as `test` refuses it.
                    None => wrap(
                        test(prop, &v).and(Err(format!("operator '~' cannot be used on '{prop}'"))),
                        *span,
                    ),
                },
                other => err(
                    *span,
                    format!(
                        "operator '{}' is not supported in conditions yet",
                        other.as_str()
                    ),
                ),
            }
        }
        Cond::Flag { prop, span } => wrap(test(prop, "yes"), *span),
        Cond::Not(c) => Ok(!eval_cond(c, test, text)?),
        Cond::And(a, b) => Ok(eval_cond(a, test, text)? && eval_cond(b, test, text)?),
        Cond::Or(a, b) => Ok(eval_cond(a, test, text)? || eval_cond(b, test, text)?),
    }
}

fn route_cond(it: &RouteView, cond: &Cond) -> Result<bool, Error> {
    eval_cond(cond, &|p, v| view::route_matches(it, p, v), &|p| {
        view::route_text(it, p)
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_corpus;
#[cfg(test)]
mod tests_do;
#[cfg(test)]
mod tests_firewall;
#[cfg(test)]
mod tests_for;
#[cfg(test)]
mod tests_foreach;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_get;
#[cfg(test)]
mod tests_netwatch;
#[cfg(test)]
mod tests_script;
