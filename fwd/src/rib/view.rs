//! RouterOS-style views of the RIB: `/ip/route` and `/routing/nexthop` as items (the REST
//! API's objects), as `print`, `print detail` and JSON text, and the `where` filters.
//!
//! Everything here is a pure function of the RIB, the current selection and the probes'
//! verdicts, passed in a [`Context`]; nothing is cached, so a view is always as fresh as
//! the selection it is given.
//!
//! Flags follow RouterOS v7: `D` dynamic (connected routes), `c` connect, `s` static, `X`
//! disabled, `A` active (in force), `I` inactive (unresolved, or every gateway down), neither
//! `A` nor `I` for a usable route that loses on distance, and `+` (ECMP) on an active route
//! whose prefix's selected group has more than one target.

use super::resolve::CONNECTED_SCOPE;
use super::{Check, Member, Origin, Rib, Selected, Target};
use crate::net::Ipv4Prefix;
use crate::probe::GwState;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Everything a view needs besides the RIB: the ports' names, and per checked member its
/// probe state.
pub struct Context<'a> {
    pub rib: &'a Rib,
    /// `select(rib, usable)`.
    pub sel: &'a [Selected],
    /// Port names, by port index.
    pub ports: &'a [String],
    /// Whether a member may carry traffic (as given to `select`).
    pub usable: &'a dyn Fn(&Member) -> bool,
    /// The probe state of a checked member (None when unchecked or not probed yet).
    pub gw_state: &'a dyn Fn(&Member) -> Option<GwState>,
}

/// One route as RouterOS's REST API returns it; also the source of the text views.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteItem {
    /// `.id` is `*N` with N in hex, as RouterOS. It is the route's index in `Rib::routes`
    /// plus one: connected routes (one per `/ip/address` item) first, then the static
    /// routes in configuration order.
    pub id: usize,
    pub dst_address: String,
    pub gateway: String,
    /// `203.0.113.1%ether1` or `ether1`; empty when unresolved.
    pub immediate_gw: String,
    pub distance: u8,
    pub scope: u8,
    pub target_scope: u8,
    pub routing_table: String,
    /// `ping` or `arp`; None when the gateway is not checked.
    pub check_gateway: Option<String>,
    pub comment: Option<String>,
    pub dynamic: bool,
    pub disabled: bool,
    pub active: bool,
    pub inactive: bool,
    pub ecmp: bool,
    pub connect: bool,
    pub static_: bool,
    /// `reachable`, `unreachable` or `recursive`; None for connected and disabled routes.
    pub gw_state: Option<String>,
}

/// One `/routing/nexthop` object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NexthopItem {
    pub id: usize,
    /// The gateway address (or the interface, for an interface gateway).
    pub address: String,
    /// `reachable`, `unreachable` or `recursive`.
    pub gw_state: String,
    /// Where traffic actually leaves: `203.0.113.1%ether1`; empty when nothing is selected.
    pub immediate_gw: String,
    pub interface: String,
    /// The scope of the route the gateway resolved through (10 for a connected network).
    pub scope: u8,
    /// The smallest target-scope of the routes that use this nexthop.
    pub target_scope: u8,
    /// `ping`, `arp` or `none`.
    pub check_gateway: String,
}

const REACHABLE: &str = "reachable";
const UNREACHABLE: &str = "unreachable";
const RECURSIVE: &str = "recursive";

/// Width at which `print detail` wraps its properties, as a default RouterOS terminal.
const DETAIL_WIDTH: usize = 80;

fn port_name(ports: &[String], p: u16) -> String {
    ports
        .get(usize::from(p))
        .cloned()
        .unwrap_or_else(|| format!("port{p}"))
}

/// The immediate gateway (`a%port` or `port`) and interface of a target.
fn target_text(ports: &[String], t: Target) -> (String, String) {
    match t {
        Target::Local => (String::new(), String::new()),
        Target::Connected(p) => (port_name(ports, p), port_name(ports, p)),
        Target::Gateway(p, a) => (
            format!("{}%{}", Ipv4Addr::from(a), port_name(ports, p)),
            port_name(ports, p),
        ),
    }
}

fn selected<'a>(ctx: &'a Context, pl: u32) -> Option<&'a Selected> {
    ctx.sel.get(pl as usize)
}

/// Where a member's traffic leaves: its own target, or for a recursive member the first
/// selected target of the path list it resolves through.
fn member_target(ctx: &Context, m: &Member) -> Option<Target> {
    match *m {
        Member::Direct { target, .. } => Some(target),
        Member::Recursive { via, .. } => {
            selected(ctx, via).and_then(|s| s.targets.first().copied())
        }
    }
}

/// A member's gw-state: a direct one is reachable unless its check (or its port) says
/// otherwise; a recursive one is recursive unless its check fails or its path list selects
/// nothing.
fn member_state(ctx: &Context, m: &Member) -> &'static str {
    let down = !(ctx.usable)(m) || (ctx.gw_state)(m) == Some(GwState::Unreachable);
    match *m {
        Member::Direct { .. } if down => UNREACHABLE,
        Member::Direct { .. } => REACHABLE,
        Member::Recursive { via, .. } => {
            if down || selected(ctx, via).is_none_or(|s| s.targets.is_empty()) {
                UNREACHABLE
            } else {
                RECURSIVE
            }
        }
    }
}

fn check_text(c: Check) -> Option<&'static str> {
    match c {
        Check::None => None,
        Check::Ping => Some("ping"),
        Check::Arp => Some("arp"),
    }
}

/// Every route of the RIB, ordered by destination as RouterOS prints them (routes to the
/// same destination keep their RIB order).
pub fn routes(ctx: &Context) -> Vec<RouteItem> {
    let rib = ctx.rib;
    let consistent = ctx.sel.len() == rib.pathlists.len();
    let mut order: Vec<usize> = (0..rib.routes.len()).collect();
    order.sort_by_key(|&i| {
        let d = rib.routes[i].dst;
        (d.network_u32(), d.len())
    });
    order
        .into_iter()
        .map(|i| {
            let r = &rib.routes[i];
            let connected = r.origin == Origin::Connected;
            let states: Vec<&str> = r.members.iter().map(|m| member_state(ctx, m)).collect();
            // The member shown: the first that can carry traffic, else the first.
            let shown = states
                .iter()
                .position(|s| *s != UNREACHABLE)
                .or((!r.members.is_empty()).then_some(0));
            let usable = shown.is_some_and(|k| states[k] != UNREACHABLE);
            let active = !r.disabled && consistent && rib.route_active(i, ctx.sel, ctx.usable);
            let ecmp = active
                && r.pathlist
                    .and_then(|pl| selected(ctx, pl))
                    .is_some_and(|s| s.targets.len() > 1);
            let immediate_gw = shown
                .and_then(|k| member_target(ctx, &r.members[k]))
                .map(|t| target_text(ctx.ports, t).0)
                .unwrap_or_default();
            let gw_state = if connected || r.disabled {
                None
            } else {
                Some(shown.map_or(UNREACHABLE, |k| states[k]).to_string())
            };
            RouteItem {
                id: i + 1,
                dst_address: r.dst.to_string(),
                gateway: r.gateway.clone(),
                immediate_gw,
                distance: r.distance,
                scope: r.scope,
                target_scope: r.target_scope,
                routing_table: r.table.clone(),
                check_gateway: check_text(r.check).map(str::to_string),
                comment: r.comment.clone(),
                dynamic: connected,
                disabled: r.disabled,
                active,
                inactive: !r.disabled && !active && !usable,
                ecmp,
                connect: connected,
                static_: r.origin == Origin::Static,
                gw_state,
            }
        })
        .collect()
}

/// The scope of the route a recursive gateway `gw` resolves through for target-scope `ts`:
/// the most specific resolved main-table prefix containing it with a route of scope ≤ ts.
fn resolving_scope(rib: &Rib, gw: u32, ts: u8) -> u8 {
    let addr = Ipv4Addr::from(gw);
    let eligible = || {
        rib.routes.iter().filter(move |r| {
            r.table == "main"
                && !r.disabled
                && r.resolved()
                && r.scope <= ts
                && r.dst.contains(addr)
        })
    };
    let Some(len) = eligible().map(|r| r.dst.len()).max() else {
        return ts;
    };
    eligible()
        .filter(|r| r.dst.len() == len)
        .map(|r| r.scope)
        .min()
        .unwrap_or(ts)
}

/// `/routing/nexthop`: one object per gateway as the static routes resolved it (address,
/// how it is reached, and its check), with the smallest target-scope of the routes using it.
pub fn nexthops(ctx: &Context) -> Vec<NexthopItem> {
    // member → (scope, target-scope)
    let mut found: BTreeMap<Member, (u8, u8)> = BTreeMap::new();
    for r in &ctx.rib.routes {
        if r.disabled || r.origin != Origin::Static {
            continue;
        }
        for m in &r.members {
            let scope = match *m {
                Member::Direct {
                    target: Target::Local,
                    ..
                } => continue,
                Member::Direct { .. } => CONNECTED_SCOPE,
                Member::Recursive { gw, .. } => resolving_scope(ctx.rib, gw, r.target_scope),
            };
            let e = found.entry(*m).or_insert((scope, r.target_scope));
            e.0 = e.0.min(scope);
            e.1 = e.1.min(r.target_scope);
        }
    }
    let mut items: Vec<(u64, NexthopItem)> = found
        .into_iter()
        .map(|(m, (scope, target_scope))| {
            let (address, sort) = match m {
                Member::Direct {
                    target: Target::Gateway(_, a),
                    ..
                }
                | Member::Recursive { gw: a, .. } => (Ipv4Addr::from(a).to_string(), u64::from(a)),
                Member::Direct {
                    target: Target::Connected(p),
                    ..
                } => (port_name(ctx.ports, p), 1 << 32),
                Member::Direct {
                    target: Target::Local,
                    ..
                } => (String::new(), 1 << 33),
            };
            let (immediate_gw, interface) = member_target(ctx, &m)
                .map(|t| target_text(ctx.ports, t))
                .unwrap_or_default();
            let item = NexthopItem {
                id: 0,
                address,
                gw_state: member_state(ctx, &m).to_string(),
                immediate_gw,
                interface,
                scope,
                target_scope,
                check_gateway: check_text(m.check()).unwrap_or("none").to_string(),
            };
            (sort, item)
        })
        .collect();
    // By address; the members' own order (direct first) breaks ties.
    items.sort_by_key(|(sort, _)| *sort);
    items
        .into_iter()
        .enumerate()
        .map(|(k, (_, mut item))| {
            item.id = k + 1;
            item
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------

/// The legend of `/ip/route print`.
pub const ROUTE_FLAGS: &str =
    "Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP";

/// A route's flags as RouterOS prints them: `DAc`, `As+`, `Is`, `X s`, ` s`. `D` and `X`
/// are shown only when set, the state column (`A`, `I` or blank) always, then the origin.
pub fn route_flags(item: &RouteItem) -> String {
    let mut f = String::new();
    if item.dynamic {
        f.push('D');
    }
    if item.disabled {
        f.push('X');
    }
    f.push(if item.active {
        'A'
    } else if item.inactive {
        'I'
    } else {
        ' '
    });
    if item.connect {
        f.push('c');
    } else if item.static_ {
        f.push('s');
    }
    if item.ecmp {
        f.push('+');
    }
    f
}

/// Replaces control characters so that a value stays on its line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(crate) struct Row {
    pub(crate) number: Option<usize>,
    pub(crate) flags: String,
    pub(crate) comment: Option<String>,
    pub(crate) cells: Vec<String>,
}

/// Renders a RouterOS v7 table: `Columns:` line, a title line starting with `#`, then one
/// line per row (number right-aligned, flags right-aligned, cells separated by two spaces,
/// numeric cells right-aligned), a row's comment as `;;; comment` on the line above.
pub(crate) fn render_table(out: &mut String, columns: &[(&str, bool)], rows: &[Row], flags: bool) {
    let titles: Vec<&str> = columns.iter().map(|(t, _)| *t).collect();
    let _ = writeln!(out, "Columns: {}", titles.join(", "));
    let nw = rows
        .iter()
        .filter_map(|r| r.number)
        .max()
        .map_or(1, |n| n.to_string().len());
    let fw = rows
        .iter()
        .map(|r| r.flags.chars().count())
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(k, (t, _))| {
            rows.iter()
                .map(|r| r.cells[k].chars().count())
                .max()
                .unwrap_or(0)
                .max(t.len())
        })
        .collect();
    let line = |lead: String, cells: &[String]| -> String {
        let mut s = lead;
        for (k, c) in cells.iter().enumerate() {
            if k > 0 {
                s.push_str("  ");
            }
            let w = widths[k];
            if columns[k].1 {
                let _ = write!(s, "{c:>w$}");
            } else {
                let _ = write!(s, "{c:<w$}");
            }
        }
        s.trim_end().to_string()
    };
    let lead = |number: String, f: &str| {
        if flags {
            format!("{number:>nw$} {f:>fw$} ")
        } else {
            format!("{number:>nw$} ")
        }
    };
    let title_cells: Vec<String> = titles.iter().map(|t| t.to_string()).collect();
    let title_lead = if flags {
        format!("{:<nw$} {:fw$} ", "#", "")
    } else {
        format!("{:<nw$} ", "#")
    };
    let _ = writeln!(out, "{}", line(title_lead, &title_cells));
    for r in rows {
        if let Some(c) = &r.comment {
            let _ = writeln!(out, ";;; {}", one_line(c));
        }
        let number = r.number.map(|n| n.to_string()).unwrap_or_default();
        let _ = writeln!(out, "{}", line(lead(number, &r.flags), &r.cells));
    }
}

/// RouterOS's text output for `/ip/route print`: the legend, the columns, and one line per
/// route. Static routes are numbered from 0 in the order given; dynamic ones are not, as in
/// RouterOS v7.
pub fn print_routes(items: &[RouteItem]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{ROUTE_FLAGS}");
    let mut n = 0;
    let rows: Vec<Row> = items
        .iter()
        .map(|it| {
            let number = (!it.dynamic).then(|| {
                n += 1;
                n - 1
            });
            Row {
                number,
                flags: route_flags(it),
                comment: it.comment.clone(),
                cells: vec![
                    it.dst_address.clone(),
                    one_line(&it.gateway),
                    one_line(&it.routing_table),
                    it.distance.to_string(),
                ],
            }
        })
        .collect();
    render_table(
        &mut out,
        &[
            ("DST-ADDRESS", false),
            ("GATEWAY", false),
            ("ROUTING-TABLE", false),
            ("DISTANCE", true),
        ],
        &rows,
        true,
    );
    out
}

/// A property value as RouterOS prints it: quoted (with escapes) when empty or when it
/// holds spaces, quotes, backslashes, semicolons or control characters.
fn quote(v: &str) -> String {
    let plain = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\\' | ';'));
    if plain {
        return v.to_string();
    }
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(s, "\\{:02X}", u32::from(c) & 0xff);
            }
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Writes one `print detail` item: the number and flags, the comment on the first line if
/// any, then the properties wrapped at `DETAIL_WIDTH`, continuation lines indented.
fn detail_item(out: &mut String, lead: &str, comment: Option<&str>, props: &[String]) {
    let indent = lead.chars().count();
    let mut line = lead.to_string();
    let mut empty = true;
    if let Some(c) = comment {
        let _ = writeln!(out, "{line};;; {}", one_line(c));
        line = " ".repeat(indent);
    }
    for p in props {
        let len = line.chars().count();
        if !empty && len + 1 + p.chars().count() > DETAIL_WIDTH {
            let _ = writeln!(out, "{}", line.trim_end());
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(p);
        empty = false;
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// `/ip/route print detail`: per route its number and flags, then `dst-address=...
/// gateway=... immediate-gw=... distance=... scope=... target-scope=... routing-table=...
/// [check-gateway=...]`, wrapped as RouterOS wraps them, items separated by blank lines.
pub fn print_routes_detail(items: &[RouteItem]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{ROUTE_FLAGS}");
    let statics = items.iter().filter(|i| !i.dynamic).count();
    let nw = statics.saturating_sub(1).to_string().len() + 1;
    let fw = items
        .iter()
        .map(|i| route_flags(i).chars().count())
        .max()
        .unwrap_or(0);
    let mut n = 0;
    for (k, it) in items.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        let number = if it.dynamic {
            String::new()
        } else {
            n += 1;
            (n - 1).to_string()
        };
        let lead = format!("{number:>nw$} {:>fw$}  ", route_flags(it));
        let mut props = vec![
            format!("dst-address={}", quote(&it.dst_address)),
            format!("gateway={}", quote(&it.gateway)),
            format!("immediate-gw={}", quote(&it.immediate_gw)),
            format!("distance={}", it.distance),
            format!("scope={}", it.scope),
            format!("target-scope={}", it.target_scope),
            format!("routing-table={}", quote(&it.routing_table)),
        ];
        if let Some(c) = &it.check_gateway {
            props.push(format!("check-gateway={}", quote(c)));
        }
        detail_item(&mut out, &lead, it.comment.as_deref(), &props);
    }
    out
}

/// `/routing/nexthop print`: columns ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE,
/// TARGET-SCOPE, CHECK-GATEWAY; items numbered from 0.
pub fn print_nexthops(items: &[NexthopItem]) -> String {
    let mut out = String::new();
    let rows: Vec<Row> = items
        .iter()
        .enumerate()
        .map(|(k, it)| Row {
            number: Some(k),
            flags: String::new(),
            comment: None,
            cells: vec![
                it.address.clone(),
                it.gw_state.clone(),
                it.immediate_gw.clone(),
                it.interface.clone(),
                it.scope.to_string(),
                it.target_scope.to_string(),
                it.check_gateway.clone(),
            ],
        })
        .collect();
    render_table(
        &mut out,
        &[
            ("ADDRESS", false),
            ("GW-STATE", false),
            ("IMMEDIATE-GW", false),
            ("INTERFACE", false),
            ("SCOPE", true),
            ("TARGET-SCOPE", true),
            ("CHECK-GATEWAY", false),
        ],
        &rows,
        false,
    );
    out
}

// ---------------------------------------------------------------------------------------
// JSON (RouterOS REST)
// ---------------------------------------------------------------------------------------

/// Appends `s` as a JSON string.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends an object with string values, keys in the order given.
pub(crate) fn json_object(out: &mut String, pairs: &[(&str, String)]) {
    out.push('{');
    for (k, (key, value)) in pairs.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        json_string(out, key);
        out.push(':');
        json_string(out, value);
    }
    out.push('}');
}

pub(crate) fn json_array<T>(
    items: &[T],
    object: impl Fn(&T) -> Vec<(&'static str, String)>,
) -> String {
    let mut out = String::from("[");
    for (k, it) in items.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        json_object(&mut out, &object(it));
    }
    out.push(']');
    out
}

/// RouterOS's `.id`: `*` and the number in upper-case hex.
pub fn format_id(id: usize) -> String {
    format!("*{id:X}")
}

fn yes(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// The routes as RouterOS's REST API returns `/ip/route`: an array of objects, `.id`
/// first, then the properties in alphabetical order, every value a string; properties
/// without a value (check-gateway, comment, immediate-gw, gw-state) are left out.
pub fn routes_json(items: &[RouteItem]) -> String {
    json_array(items, route_props)
}

/// A route's properties as [`routes_json`] gives them.
fn route_props(it: &RouteItem) -> Vec<(&'static str, String)> {
    let mut v = vec![(".id", format_id(it.id)), ("active", yes(it.active))];
    if let Some(c) = &it.check_gateway {
        v.push(("check-gateway", c.clone()));
    }
    if let Some(c) = &it.comment {
        v.push(("comment", c.clone()));
    }
    v.extend([
        ("connect", yes(it.connect)),
        ("disabled", yes(it.disabled)),
        ("distance", it.distance.to_string()),
        ("dst-address", it.dst_address.clone()),
        ("dynamic", yes(it.dynamic)),
        ("ecmp", yes(it.ecmp)),
        ("gateway", it.gateway.clone()),
    ]);
    if let Some(s) = &it.gw_state {
        v.push(("gw-state", s.clone()));
    }
    if !it.immediate_gw.is_empty() {
        v.push(("immediate-gw", it.immediate_gw.clone()));
    }
    v.extend([
        ("inactive", yes(it.inactive)),
        ("routing-table", it.routing_table.clone()),
        ("scope", it.scope.to_string()),
        ("static", yes(it.static_)),
        ("target-scope", it.target_scope.to_string()),
    ]);
    v
}

/// A route's property as text, for `where property~regex`: empty for one without a value
/// (comment, check-gateway, immediate-gw, gw-state), None for a property routes do not have.
pub fn route_text(item: &RouteItem, property: &str) -> Option<String> {
    let props = route_props(item);
    match props.into_iter().find(|(k, _)| *k == property) {
        Some((_, v)) => Some(v),
        None => matches!(
            property,
            "comment" | "check-gateway" | "immediate-gw" | "gw-state"
        )
        .then(String::new),
    }
}

/// The nexthops as RouterOS's REST API returns `/routing/nexthop`.
pub fn nexthops_json(items: &[NexthopItem]) -> String {
    json_array(items, nexthop_props)
}

/// A nexthop's properties as [`nexthops_json`] gives them.
fn nexthop_props(it: &NexthopItem) -> Vec<(&'static str, String)> {
    let mut v = vec![
        (".id", format_id(it.id)),
        ("address", it.address.clone()),
        ("check-gateway", it.check_gateway.clone()),
        ("gw-state", it.gw_state.clone()),
    ];
    if !it.immediate_gw.is_empty() {
        v.push(("immediate-gw", it.immediate_gw.clone()));
    }
    if !it.interface.is_empty() {
        v.push(("interface", it.interface.clone()));
    }
    v.push(("scope", it.scope.to_string()));
    v.push(("target-scope", it.target_scope.to_string()));
    v
}

/// A nexthop's property as text, for `where property~regex` (empty for an immediate-gw or
/// interface it has none of; None for a property nexthops do not have).
pub fn nexthop_text(item: &NexthopItem, property: &str) -> Option<String> {
    match nexthop_props(item)
        .into_iter()
        .find(|(k, _)| *k == property)
    {
        Some((_, v)) => Some(v),
        None => matches!(property, "immediate-gw" | "interface").then(String::new),
    }
}

// ---------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------

fn parse_bool(property: &str, value: &str) -> Result<bool, String> {
    match value.trim() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        v => Err(format!(
            "invalid value '{v}' for {property}: expected yes or no"
        )),
    }
}

fn parse_num(property: &str, value: &str) -> Result<u8, String> {
    value.trim().parse().map_err(|_| {
        format!(
            "invalid value '{}' for {property}: expected 0..255",
            value.trim()
        )
    })
}

/// Whether an address-like property equals `value`: as prefixes when both parse (so that
/// `203.0.113.1` matches `203.0.113.1/32`), else as text.
fn same_prefix(have: &str, value: &str) -> bool {
    match (
        have.parse::<Ipv4Prefix>(),
        value.trim().parse::<Ipv4Prefix>(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => have == value.trim(),
    }
}

/// The route properties `route_matches` knows, as RouterOS spells them.
pub const ROUTE_PROPERTIES: &[&str] = &[
    ".id",
    "active",
    "check-gateway",
    "comment",
    "connect",
    "disabled",
    "distance",
    "dst-address",
    "dynamic",
    "ecmp",
    "gateway",
    "gw-state",
    "immediate-gw",
    "inactive",
    "routing-table",
    "scope",
    "static",
    "target-scope",
];

/// `print where property=value` on `/ip/route`: booleans take yes/no (or true/false),
/// numbers 0..255, dst-address compares as a prefix, gateway matches the whole list or any
/// one of its gateways, check-gateway `none` matches unchecked routes. An unknown property
/// or a malformed value is an error naming it.
pub fn route_matches(item: &RouteItem, property: &str, value: &str) -> Result<bool, String> {
    let v = value.trim();
    Ok(match property {
        ".id" => v.eq_ignore_ascii_case(&format_id(item.id)),
        "active" => item.active == parse_bool(property, v)?,
        "inactive" => item.inactive == parse_bool(property, v)?,
        "disabled" => item.disabled == parse_bool(property, v)?,
        "dynamic" => item.dynamic == parse_bool(property, v)?,
        "ecmp" => item.ecmp == parse_bool(property, v)?,
        "static" => item.static_ == parse_bool(property, v)?,
        "connect" => item.connect == parse_bool(property, v)?,
        "distance" => item.distance == parse_num(property, v)?,
        "scope" => item.scope == parse_num(property, v)?,
        "target-scope" => item.target_scope == parse_num(property, v)?,
        "dst-address" => same_prefix(&item.dst_address, v),
        "gateway" => item.gateway == v || item.gateway.split(',').any(|g| g.trim() == v),
        "immediate-gw" => item.immediate_gw == v,
        "routing-table" => item.routing_table == v,
        "comment" => item.comment.as_deref().unwrap_or("") == value,
        "check-gateway" => item.check_gateway.as_deref().unwrap_or("none") == v,
        "gw-state" => item.gw_state.as_deref().unwrap_or("") == v,
        _ => return Err(format!("unknown property '{property}' in /ip/route")),
    })
}

/// The items matching every `(property, value)` condition (RouterOS's `where a=b c=d`).
pub fn filter_routes(
    items: &[RouteItem],
    conds: &[(&str, &str)],
) -> Result<Vec<RouteItem>, String> {
    // A bad condition is an error even when no item would reach it.
    let probe = RouteItem::default();
    for (p, v) in conds {
        route_matches(&probe, p, v)?;
    }
    let mut out = Vec::new();
    for it in items {
        let mut ok = true;
        for (p, v) in conds {
            ok = ok && route_matches(it, p, v)?;
        }
        if ok {
            out.push(it.clone());
        }
    }
    Ok(out)
}

/// `print count-only [where ...]`: how many routes match.
pub fn count_routes(items: &[RouteItem], conds: &[(&str, &str)]) -> Result<usize, String> {
    filter_routes(items, conds).map(|v| v.len())
}

/// `print where property=value` on `/routing/nexthop`.
pub fn nexthop_matches(item: &NexthopItem, property: &str, value: &str) -> Result<bool, String> {
    let v = value.trim();
    Ok(match property {
        ".id" => v.eq_ignore_ascii_case(&format_id(item.id)),
        "address" => same_prefix(&item.address, v),
        "gw-state" => item.gw_state == v,
        "immediate-gw" => item.immediate_gw == v,
        "interface" => item.interface == v,
        "scope" => item.scope == parse_num(property, v)?,
        "target-scope" => item.target_scope == parse_num(property, v)?,
        "check-gateway" => item.check_gateway == v,
        _ => return Err(format!("unknown property '{property}' in /routing/nexthop")),
    })
}

#[cfg(test)]
mod tests;
