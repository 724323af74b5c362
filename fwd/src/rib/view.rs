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
fn json_object(out: &mut String, pairs: &[(&str, String)]) {
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
    json_array(items, |it| {
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
    })
}

/// The nexthops as RouterOS's REST API returns `/routing/nexthop`.
pub fn nexthops_json(items: &[NexthopItem]) -> String {
    json_array(items, |it| {
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
    })
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
mod tests {
    use super::*;
    use crate::config::{AddressItem, CheckGateway, Gateway, RouteItem as ConfRoute};
    use crate::net::Ipv4Interface;
    use crate::rib::{compute, select, PortDesc};

    const GW1: &str = "203.0.113.1";
    const GW2: &str = "198.51.100.1";
    const PORT_NAMES: [&str; 3] = ["bridge", "ether1", "ether2"];

    fn ports(disabled: &[&str]) -> Vec<PortDesc> {
        PORT_NAMES
            .iter()
            .map(|n| PortDesc {
                name: n.to_string(),
                enabled: !disabled.contains(n),
            })
            .collect()
    }

    fn names() -> Vec<String> {
        PORT_NAMES.iter().map(|n| n.to_string()).collect()
    }

    /// The guide's addresses: LAN on the bridge, one /24 per ISP.
    fn addresses() -> Vec<(u16, AddressItem)> {
        [
            (0, "192.168.1.1/24"),
            (1, "203.0.113.2/24"),
            (2, "198.51.100.2/24"),
        ]
        .into_iter()
        .map(|(port, addr)| {
            (
                port,
                AddressItem {
                    address: addr.parse::<Ipv4Interface>().unwrap(),
                    network: None,
                    interface: PORT_NAMES[usize::from(port)].to_string(),
                    comment: None,
                    disabled: false,
                },
            )
        })
        .collect()
    }

    /// A static route with RouterOS's defaults: distance 1, scope 30, target-scope 10, main.
    fn route(dst: &str, gateway: &str) -> ConfRoute {
        ConfRoute {
            dst_address: dst.parse().unwrap(),
            gateway: Gateway::parse_list(gateway).unwrap(),
            distance: 1,
            scope: 30,
            target_scope: 10,
            check_gateway: CheckGateway::None,
            routing_table: "main".to_string(),
            comment: None,
            disabled: false,
        }
    }

    fn checked(dst: &str, gateway: &str, distance: u8) -> ConfRoute {
        ConfRoute {
            distance,
            check_gateway: CheckGateway::Ping,
            ..route(dst, gateway)
        }
    }

    fn rib_of(routes: &[ConfRoute]) -> Rib {
        compute(&ports(&[]), &addresses(), routes, &[])
    }

    /// The gateway address a member sends to or resolves.
    fn gw_of(m: &Member) -> Option<Ipv4Addr> {
        match *m {
            Member::Direct {
                target: Target::Gateway(_, a),
                ..
            }
            | Member::Recursive { gw: a, .. } => Some(Ipv4Addr::from(a)),
            Member::Direct { .. } => None,
        }
    }

    /// The routes and nexthops with the checked gateways in `down` failing their probes.
    fn views(rib: &Rib, down: &[&str]) -> (Vec<RouteItem>, Vec<NexthopItem>) {
        let is_down = |m: &Member| {
            m.check() != Check::None
                && gw_of(m)
                    .is_some_and(|a| down.iter().any(|d| a == d.parse::<Ipv4Addr>().unwrap()))
        };
        let usable = |m: &Member| !is_down(m);
        let gw_state = |m: &Member| {
            (m.check() != Check::None).then(|| {
                if is_down(m) {
                    GwState::Unreachable
                } else {
                    GwState::Reachable
                }
            })
        };
        let sel = select(rib, &usable);
        let ports = names();
        let ctx = Context {
            rib,
            sel: &sel,
            ports: &ports,
            usable: &usable,
            gw_state: &gw_state,
        };
        (routes(&ctx), nexthops(&ctx))
    }

    fn route_views(rib: &Rib, down: &[&str]) -> Vec<RouteItem> {
        views(rib, down).0
    }

    /// The one static route to `dst` through `gateway`.
    fn find<'a>(items: &'a [RouteItem], dst: &str, gateway: &str) -> &'a RouteItem {
        let v: Vec<&RouteItem> = items
            .iter()
            .filter(|i| i.dst_address == dst && i.gateway == gateway)
            .collect();
        assert_eq!(v.len(), 1, "{dst} via {gateway}: {items:#?}");
        v[0]
    }

    fn state(i: &RouteItem) -> (bool, bool, String) {
        (i.active, i.inactive, route_flags(i))
    }

    // -----------------------------------------------------------------------------------
    // Flags and states
    // -----------------------------------------------------------------------------------

    #[test]
    fn distance_failover_primary_active_backup_standby_then_swapped() {
        let backup = ConfRoute {
            distance: 10,
            ..route("0.0.0.0/0", GW2)
        };
        let rib = rib_of(&[checked("0.0.0.0/0", GW1, 1), backup]);

        let items = route_views(&rib, &[]);
        let primary = find(&items, "0.0.0.0/0", GW1);
        let backup = find(&items, "0.0.0.0/0", GW2);
        assert_eq!(state(primary), (true, false, "As".into()));
        assert_eq!(
            state(backup),
            (false, false, " s".into()),
            "neither A nor I"
        );
        assert_eq!(primary.immediate_gw, "203.0.113.1%ether1");
        assert_eq!(primary.gw_state.as_deref(), Some("reachable"));
        assert_eq!(primary.check_gateway.as_deref(), Some("ping"));
        assert_eq!(backup.immediate_gw, "198.51.100.1%ether2");
        assert_eq!(backup.gw_state.as_deref(), Some("reachable"));
        assert_eq!(backup.check_gateway, None);
        assert_eq!(
            (backup.distance, backup.scope, backup.target_scope),
            (10, 30, 10)
        );

        // The primary's probe fails: primary I, backup A.
        let items = route_views(&rib, &[GW1]);
        let primary = find(&items, "0.0.0.0/0", GW1);
        let backup = find(&items, "0.0.0.0/0", GW2);
        assert_eq!(state(primary), (false, true, "Is".into()));
        assert_eq!(primary.gw_state.as_deref(), Some("unreachable"));
        assert_eq!(state(backup), (true, false, "As".into()));
        assert!(!primary.ecmp && !backup.ecmp);
    }

    #[test]
    fn ecmp_routes_are_both_active_with_plus_until_one_fails() {
        let rib = rib_of(&[checked("0.0.0.0/0", GW1, 1), checked("0.0.0.0/0", GW2, 1)]);
        let items = route_views(&rib, &[]);
        for gw in [GW1, GW2] {
            let r = find(&items, "0.0.0.0/0", gw);
            assert_eq!(state(r), (true, false, "As+".into()), "{gw}");
            assert!(r.ecmp);
        }
        let items = route_views(&rib, &[GW2]);
        assert_eq!(
            state(find(&items, "0.0.0.0/0", GW1)),
            (true, false, "As".into())
        );
        assert_eq!(
            state(find(&items, "0.0.0.0/0", GW2)),
            (false, true, "Is".into())
        );

        // One route with two gateways is ECMP too.
        let rib = rib_of(&[route("0.0.0.0/0", "203.0.113.1,198.51.100.1")]);
        let items = route_views(&rib, &[]);
        let r = find(&items, "0.0.0.0/0", "203.0.113.1,198.51.100.1");
        assert_eq!(state(r), (true, false, "As+".into()));
    }

    /// The guide's anchors, with one VPN prefix.
    fn anchor_routes() -> Vec<ConfRoute> {
        let anchor = |dst: &str, gw: &str| ConfRoute {
            scope: 10,
            target_scope: 20,
            ..checked(dst, gw, 1)
        };
        let via = |dst: &str, gw: &str, distance: u8| ConfRoute {
            distance,
            scope: 20,
            ..route(dst, gw)
        };
        vec![
            anchor("203.0.113.1/32", "203.0.113.1%ether1"),
            anchor("198.51.100.1/32", "198.51.100.1%ether2"),
            via("0.0.0.0/0", GW1, 1),
            via("0.0.0.0/0", GW2, 10),
            via("10.10.0.0/16", GW1, 1),
            via("10.10.0.0/16", GW2, 10),
        ]
    }

    fn nexthop<'a>(items: &'a [NexthopItem], address: &str, check: &str) -> &'a NexthopItem {
        let v: Vec<&NexthopItem> = items
            .iter()
            .filter(|n| n.address == address && n.check_gateway == check)
            .collect();
        assert_eq!(v.len(), 1, "{address} check {check}: {items:#?}");
        v[0]
    }

    #[test]
    fn anchors_nexthops_reachable_and_defaults_recursive() {
        let rib = rib_of(&anchor_routes());
        let (items, hops) = views(&rib, &[]);

        let anchor = find(&items, "203.0.113.1/32", "203.0.113.1%ether1");
        assert_eq!(state(anchor), (true, false, "As".into()));
        assert_eq!(anchor.gw_state.as_deref(), Some("reachable"));
        assert_eq!((anchor.scope, anchor.target_scope), (10, 20));
        for dst in ["0.0.0.0/0", "10.10.0.0/16"] {
            let r = find(&items, dst, GW1);
            assert_eq!(state(r), (true, false, "As".into()), "{dst}");
            assert_eq!(r.gw_state.as_deref(), Some("recursive"), "{dst}");
            assert_eq!(r.immediate_gw, "203.0.113.1%ether1", "{dst}");
            let r = find(&items, dst, GW2);
            assert_eq!(state(r), (false, false, " s".into()), "{dst}");
            assert_eq!(r.gw_state.as_deref(), Some("recursive"), "{dst}");
            assert_eq!(r.immediate_gw, "198.51.100.1%ether2", "{dst}");
        }

        assert_eq!(hops.len(), 4, "{hops:#?}");
        let probed = nexthop(&hops, GW1, "ping");
        assert_eq!(
            *probed,
            NexthopItem {
                id: probed.id,
                address: GW1.into(),
                gw_state: "reachable".into(),
                immediate_gw: "203.0.113.1%ether1".into(),
                interface: "ether1".into(),
                scope: 10,
                target_scope: 20,
                check_gateway: "ping".into(),
            }
        );
        let rec = nexthop(&hops, GW1, "none");
        assert_eq!(rec.gw_state, "recursive");
        assert_eq!(rec.immediate_gw, "203.0.113.1%ether1");
        assert_eq!(rec.interface, "ether1");
        assert_eq!((rec.scope, rec.target_scope), (10, 10));
        assert_eq!(
            nexthop(&hops, GW2, "none").immediate_gw,
            "198.51.100.1%ether2"
        );
        let ids: Vec<usize> = hops.iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);

        // The ISP1 anchor fails: the anchor I, everything through it I, ISP2 takes over.
        let (items, hops) = views(&rib, &[GW1]);
        let anchor = find(&items, "203.0.113.1/32", "203.0.113.1%ether1");
        assert_eq!(state(anchor), (false, true, "Is".into()));
        for dst in ["0.0.0.0/0", "10.10.0.0/16"] {
            let r = find(&items, dst, GW1);
            assert_eq!(state(r), (false, true, "Is".into()), "{dst}");
            assert_eq!(r.gw_state.as_deref(), Some("unreachable"), "{dst}");
            assert_eq!(r.immediate_gw, "", "{dst}");
            assert_eq!(
                state(find(&items, dst, GW2)),
                (true, false, "As".into()),
                "{dst}"
            );
        }
        assert_eq!(nexthop(&hops, GW1, "ping").gw_state, "unreachable");
        let rec = nexthop(&hops, GW1, "none");
        assert_eq!(
            (rec.gw_state.as_str(), rec.immediate_gw.as_str()),
            ("unreachable", "")
        );
        assert_eq!(nexthop(&hops, GW2, "none").gw_state, "recursive");
    }

    #[test]
    fn disabled_route_is_x_and_neither_active_nor_inactive() {
        let mut r = route("10.20.0.0/16", GW1);
        r.disabled = true;
        let rib = rib_of(&[r]);
        let (items, hops) = views(&rib, &[]);
        let r = find(&items, "10.20.0.0/16", GW1);
        assert!(r.disabled && !r.active && !r.inactive && r.static_);
        assert_eq!(route_flags(r), "X s");
        assert_eq!(r.gw_state, None);
        assert_eq!(r.immediate_gw, "");
        assert!(hops.is_empty(), "a disabled route has no nexthop");
        assert!(
            print_routes(&items)
                .lines()
                .any(|l| l == "0 X s 10.20.0.0/16     203.0.113.1  main                  1"),
            "{}",
            print_routes(&items)
        );
    }

    #[test]
    fn unresolved_route_is_inactive_until_target_scope_allows_it() {
        // The guide's scope mismatch: 172.16.0.0/24 is static (scope 30), target-scope 10.
        let rib = rib_of(&[
            route("10.1.0.0/16", "172.16.0.1"),
            route("172.16.0.0/24", "192.168.1.254"),
            route("10.2.0.0/16", "10.99.0.1"),
        ]);
        let items = route_views(&rib, &[]);
        for (dst, gw) in [("10.1.0.0/16", "172.16.0.1"), ("10.2.0.0/16", "10.99.0.1")] {
            let r = find(&items, dst, gw);
            assert_eq!(state(r), (false, true, "Is".into()), "{dst}");
            assert_eq!(r.immediate_gw, "", "{dst}");
            assert_eq!(r.gw_state.as_deref(), Some("unreachable"), "{dst}");
        }
        let mid = find(&items, "172.16.0.0/24", "192.168.1.254");
        assert_eq!(state(mid), (true, false, "As".into()));
        assert_eq!(mid.immediate_gw, "192.168.1.254%bridge");

        // The fix: target-scope=30.
        let rib = rib_of(&[
            ConfRoute {
                target_scope: 30,
                ..route("10.1.0.0/16", "172.16.0.1")
            },
            route("172.16.0.0/24", "192.168.1.254"),
        ]);
        let (items, hops) = views(&rib, &[]);
        let r = find(&items, "10.1.0.0/16", "172.16.0.1");
        assert_eq!(state(r), (true, false, "As".into()));
        assert_eq!(r.gw_state.as_deref(), Some("recursive"));
        assert_eq!(r.immediate_gw, "192.168.1.254%bridge");
        let h = nexthop(&hops, "172.16.0.1", "none");
        assert_eq!(
            (h.scope, h.target_scope, h.gw_state.as_str()),
            (30, 30, "recursive")
        );
        assert_eq!(h.interface, "bridge");
    }

    #[test]
    fn connected_routes_are_dynamic_and_unnumbered() {
        let rib = compute(&ports(&["ether2"]), &addresses(), &[], &[]);
        let items = route_views(&rib, &[]);
        let lan = find(&items, "192.168.1.0/24", "bridge");
        assert!(lan.dynamic && lan.connect && !lan.static_);
        assert_eq!(state(lan), (true, false, "DAc".into()));
        assert_eq!((lan.distance, lan.scope, lan.target_scope), (0, 10, 0));
        assert_eq!(lan.immediate_gw, "bridge");
        assert_eq!(lan.gw_state, None);
        // A disabled interface: its connected route is inactive.
        let wan2 = find(&items, "198.51.100.0/24", "ether2");
        assert_eq!(state(wan2), (false, true, "DIc".into()));
        assert_eq!(wan2.immediate_gw, "");
        let text = print_routes(&items);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2],
            "#     DST-ADDRESS      GATEWAY  ROUTING-TABLE  DISTANCE"
        );
        assert_eq!(
            lines[3],
            "  DAc 192.168.1.0/24   bridge   main                  0"
        );
        assert_eq!(
            lines[4],
            "  DIc 198.51.100.0/24  ether2   main                  0"
        );
        assert_eq!(
            lines[5],
            "  DAc 203.0.113.0/24   ether1   main                  0"
        );
    }

    #[test]
    fn interface_gateway_is_reachable_on_its_port() {
        let rib = rib_of(&[route("10.20.0.0/16", "ether2")]);
        let (items, hops) = views(&rib, &[]);
        let r = find(&items, "10.20.0.0/16", "ether2");
        assert_eq!(state(r), (true, false, "As".into()));
        assert_eq!(r.immediate_gw, "ether2");
        assert_eq!(r.gw_state.as_deref(), Some("reachable"));
        assert_eq!(hops.len(), 1);
        assert_eq!(
            (
                hops[0].address.as_str(),
                hops[0].immediate_gw.as_str(),
                hops[0].interface.as_str()
            ),
            ("ether2", "ether2", "ether2")
        );
    }

    #[test]
    fn items_are_ordered_by_destination_with_rib_ids() {
        let rib = rib_of(&[route("10.20.0.0/16", GW1), route("0.0.0.0/0", GW2)]);
        let items = route_views(&rib, &[]);
        let dsts: Vec<&str> = items.iter().map(|i| i.dst_address.as_str()).collect();
        assert_eq!(
            dsts,
            [
                "0.0.0.0/0",
                "10.20.0.0/16",
                "192.168.1.0/24",
                "198.51.100.0/24",
                "203.0.113.0/24"
            ]
        );
        // ids: connected 1..=3 in address order, then statics in configuration order.
        let ids: Vec<usize> = items.iter().map(|i| i.id).collect();
        assert_eq!(ids, [5, 4, 1, 3, 2]);
        assert_eq!(format_id(26), "*1A");
    }

    #[test]
    fn stale_selection_does_not_panic() {
        let rib = rib_of(&anchor_routes());
        let ports = names();
        let ctx = Context {
            rib: &rib,
            sel: &[],
            ports: &ports,
            usable: &|_| true,
            gw_state: &|_| None,
        };
        let items = routes(&ctx);
        assert!(items.iter().all(|i| !i.active));
        let _ = nexthops(&ctx);
    }

    // -----------------------------------------------------------------------------------
    // Text
    // -----------------------------------------------------------------------------------

    fn commented_failover() -> Rib {
        let mut primary = checked("0.0.0.0/0", GW1, 1);
        primary.comment = Some("wan1-default".into());
        let mut backup = route("0.0.0.0/0", GW2);
        backup.distance = 10;
        backup.comment = Some("wan2-default".into());
        rib_of(&[primary, backup])
    }

    #[test]
    fn print_lines_are_aligned_as_routeros_v7() {
        let items = route_views(&commented_failover(), &[]);
        let expected = [
            "Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP",
            "Columns: DST-ADDRESS, GATEWAY, ROUTING-TABLE, DISTANCE",
            "#     DST-ADDRESS      GATEWAY       ROUTING-TABLE  DISTANCE",
            ";;; wan1-default",
            "0  As 0.0.0.0/0        203.0.113.1   main                  1",
            ";;; wan2-default",
            "1   s 0.0.0.0/0        198.51.100.1  main                 10",
            "  DAc 192.168.1.0/24   bridge        main                  0",
            "  DAc 198.51.100.0/24  ether2        main                  0",
            "  DAc 203.0.113.0/24   ether1        main                  0",
        ];
        let text = print_routes(&items);
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
        assert!(text.ends_with('\n'));

        // Failed over: the primary I, the backup A; `where active=yes` keeps the backup.
        let items = route_views(&commented_failover(), &[GW1]);
        let active =
            filter_routes(&items, &[("active", "yes"), ("dst-address", "0.0.0.0/0")]).unwrap();
        let text = print_routes(&active);
        assert_eq!(
            text.lines().skip(2).collect::<Vec<_>>(),
            [
                "#    DST-ADDRESS  GATEWAY       ROUTING-TABLE  DISTANCE",
                ";;; wan2-default",
                "0 As 0.0.0.0/0    198.51.100.1  main                 10",
            ],
            "\n{text}"
        );
    }

    #[test]
    fn print_detail_wraps_properties() {
        let items = route_views(&commented_failover(), &[]);
        let statics = filter_routes(&items, &[("static", "yes")]).unwrap();
        let text = print_routes_detail(&statics);
        let expected = [
            "Flags: D - DYNAMIC; X - DISABLED, I - INACTIVE, A - ACTIVE; c - CONNECT, s - STATIC, + - ECMP",
            " 0 As  ;;; wan1-default",
            "       dst-address=0.0.0.0/0 gateway=203.0.113.1 immediate-gw=203.0.113.1%ether1",
            "       distance=1 scope=30 target-scope=10 routing-table=main check-gateway=ping",
            "",
            " 1  s  ;;; wan2-default",
            "       dst-address=0.0.0.0/0 gateway=198.51.100.1",
            "       immediate-gw=198.51.100.1%ether2 distance=10 scope=30 target-scope=10",
            "       routing-table=main",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
        assert!(text
            .lines()
            .skip(1)
            .all(|l| l.chars().count() <= DETAIL_WIDTH));

        // Quoting: empty values and values with spaces.
        let mut r = route("10.9.0.0/16", "10.99.0.1");
        r.comment = Some("no \"route\" here".into());
        let items = route_views(&rib_of(&[r]), &[]);
        let one = filter_routes(&items, &[("dst-address", "10.9.0.0/16")]).unwrap();
        let text = print_routes_detail(&one);
        assert_eq!(
            text.lines().skip(1).collect::<Vec<_>>(),
            [
                " 0 Is  ;;; no \"route\" here",
                "       dst-address=10.9.0.0/16 gateway=10.99.0.1 immediate-gw=\"\" distance=1",
                "       scope=30 target-scope=10 routing-table=main",
            ],
            "\n{text}"
        );
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("x\"y\\"), "\"x\\\"y\\\\\"");
        assert_eq!(quote("main"), "main");
    }

    #[test]
    fn print_nexthops_columns() {
        let rib = rib_of(&anchor_routes()[..4]);
        let (_, hops) = views(&rib, &[]);
        let text = print_nexthops(&hops);
        let expected = [
            "Columns: ADDRESS, GW-STATE, IMMEDIATE-GW, INTERFACE, SCOPE, TARGET-SCOPE, CHECK-GATEWAY",
            "# ADDRESS       GW-STATE   IMMEDIATE-GW         INTERFACE  SCOPE  TARGET-SCOPE  CHECK-GATEWAY",
            "0 198.51.100.1  reachable  198.51.100.1%ether2  ether2        10            20  ping",
            "1 198.51.100.1  recursive  198.51.100.1%ether2  ether2        10            10  none",
            "2 203.0.113.1   reachable  203.0.113.1%ether1   ether1        10            20  ping",
            "3 203.0.113.1   recursive  203.0.113.1%ether1   ether1        10            10  none",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
    }

    // -----------------------------------------------------------------------------------
    // JSON
    // -----------------------------------------------------------------------------------

    /// A JSON value, as the validator below parses it.
    #[derive(Debug, PartialEq)]
    enum J {
        Null,
        Bool(bool),
        Num(String),
        Str(String),
        Arr(Vec<J>),
        Obj(Vec<(String, J)>),
    }

    /// A strict JSON parser (RFC 8259), enough to validate the output.
    struct Parser<'a> {
        s: &'a [u8],
        i: usize,
    }

    impl Parser<'_> {
        fn ws(&mut self) {
            while matches!(self.s.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.i += 1;
            }
        }

        fn eat(&mut self, b: u8) -> Result<(), String> {
            self.ws();
            if self.s.get(self.i) == Some(&b) {
                self.i += 1;
                Ok(())
            } else {
                Err(format!("expected '{}' at {}", b as char, self.i))
            }
        }

        fn lit(&mut self, word: &str, v: J) -> Result<J, String> {
            if self.s[self.i..].starts_with(word.as_bytes()) {
                self.i += word.len();
                Ok(v)
            } else {
                Err(format!("bad literal at {}", self.i))
            }
        }

        fn value(&mut self) -> Result<J, String> {
            self.ws();
            match self.s.get(self.i) {
                Some(b'{') => {
                    self.i += 1;
                    let mut v = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(J::Obj(v));
                    }
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.eat(b':')?;
                        v.push((k, self.value()?));
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                return Ok(J::Obj(v));
                            }
                            _ => return Err(format!("expected , or }} at {}", self.i)),
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    let mut v = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(J::Arr(v));
                    }
                    loop {
                        v.push(self.value()?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                return Ok(J::Arr(v));
                            }
                            _ => return Err(format!("expected , or ] at {}", self.i)),
                        }
                    }
                }
                Some(b'"') => self.string().map(J::Str),
                Some(b't') => self.lit("true", J::Bool(true)),
                Some(b'f') => self.lit("false", J::Bool(false)),
                Some(b'n') => self.lit("null", J::Null),
                Some(b'-' | b'0'..=b'9') => {
                    let start = self.i;
                    while matches!(
                        self.s.get(self.i),
                        Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    ) {
                        self.i += 1;
                    }
                    let n = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                    n.parse::<f64>().map_err(|e| format!("{n}: {e}"))?;
                    Ok(J::Num(n.to_string()))
                }
                _ => Err(format!("unexpected input at {}", self.i)),
            }
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let h = self.s.get(self.i..self.i + 4).ok_or("short \\u")?;
            self.i += 4;
            u32::from_str_radix(std::str::from_utf8(h).map_err(|e| e.to_string())?, 16)
                .map_err(|e| e.to_string())
        }

        fn string(&mut self) -> Result<String, String> {
            if self.s.get(self.i) != Some(&b'"') {
                return Err(format!("expected string at {}", self.i));
            }
            self.i += 1;
            let mut out: Vec<u8> = Vec::new();
            loop {
                let b = *self.s.get(self.i).ok_or("unterminated string")?;
                self.i += 1;
                match b {
                    b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                    b'\\' => {
                        let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                        self.i += 1;
                        let c = match e {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let u = self.hex4()?;
                                char::from_u32(u).ok_or("surrogate escape")?
                            }
                            _ => return Err(format!("bad escape at {}", self.i)),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    0..=0x1f => return Err(format!("raw control character at {}", self.i)),
                    _ => out.push(b),
                }
            }
        }
    }

    fn parse_json(s: &str) -> Result<J, String> {
        let mut p = Parser {
            s: s.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != s.len() {
            return Err(format!("trailing input at {}", p.i));
        }
        Ok(v)
    }

    /// Every object of an array of objects with string values, as key → value lists.
    fn objects(j: &J) -> Vec<Vec<(String, String)>> {
        let J::Arr(items) = j else {
            panic!("not an array: {j:?}")
        };
        items
            .iter()
            .map(|o| {
                let J::Obj(pairs) = o else {
                    panic!("not an object: {o:?}")
                };
                pairs
                    .iter()
                    .map(|(k, v)| match v {
                        J::Str(s) => (k.clone(), s.clone()),
                        _ => panic!("{k} is not a string: {v:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn json_validator_rejects_bad_json() {
        for bad in [
            "[",
            "[1,]",
            "{\"a\"}",
            "\"\u{1}\"",
            "[\"\\x\"]",
            "{} {}",
            "tru",
        ] {
            assert!(parse_json(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_json(" [ {\"a\" : \"\\u00e9\\n\"}, true, null, -1.5e3 ] ").unwrap(),
            J::Arr(vec![
                J::Obj(vec![("a".into(), J::Str("é\n".into()))]),
                J::Bool(true),
                J::Null,
                J::Num("-1.5e3".into()),
            ])
        );
    }

    #[test]
    fn routes_json_is_routeros_rest_shaped() {
        let items = route_views(&commented_failover(), &[]);
        let two = filter_routes(&items, &[("dst-address", "0.0.0.0/0")]).unwrap();
        let json = routes_json(&two);
        let expected = concat!(
            r#"[{".id":"*4","active":"true","check-gateway":"ping","comment":"wan1-default","#,
            r#""connect":"false","disabled":"false","distance":"1","dst-address":"0.0.0.0/0","#,
            r#""dynamic":"false","ecmp":"false","gateway":"203.0.113.1","gw-state":"reachable","#,
            r#""immediate-gw":"203.0.113.1%ether1","inactive":"false","routing-table":"main","#,
            r#""scope":"30","static":"true","target-scope":"10"},"#,
            r#"{".id":"*5","active":"false","comment":"wan2-default","#,
            r#""connect":"false","disabled":"false","distance":"10","dst-address":"0.0.0.0/0","#,
            r#""dynamic":"false","ecmp":"false","gateway":"198.51.100.1","gw-state":"reachable","#,
            r#""immediate-gw":"198.51.100.1%ether2","inactive":"false","routing-table":"main","#,
            r#""scope":"30","static":"true","target-scope":"10"}]"#,
        );
        assert_eq!(json, expected);
        assert_eq!(objects(&parse_json(&json).unwrap()).len(), 2);

        // The whole anchor table parses, with every flag a boolean string.
        let rib = rib_of(&anchor_routes());
        let (items, hops) = views(&rib, &[GW1]);
        let objs = objects(&parse_json(&routes_json(&items)).unwrap());
        assert_eq!(objs.len(), items.len());
        for o in &objs {
            let get = |k: &str| o.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
            assert!(get(".id").unwrap().starts_with('*'));
            for flag in [
                "active", "dynamic", "disabled", "inactive", "ecmp", "connect", "static",
            ] {
                assert!(matches!(get(flag), Some("true" | "false")), "{flag}: {o:?}");
            }
            assert!(get("distance").unwrap().parse::<u8>().is_ok());
        }
        let objs = objects(&parse_json(&nexthops_json(&hops)).unwrap());
        assert_eq!(objs.len(), hops.len());
        assert_eq!(
            objs[2],
            [
                (".id", "*3"),
                ("address", "203.0.113.1"),
                ("check-gateway", "ping"),
                ("gw-state", "unreachable"),
                ("immediate-gw", "203.0.113.1%ether1"),
                ("interface", "ether1"),
                ("scope", "10"),
                ("target-scope", "20"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(routes_json(&[]), "[]");
        assert_eq!(nexthops_json(&[]), "[]");
    }

    #[test]
    fn json_escapes_strings() {
        let nasty = "say \"hi\" \\ back\nslash\ttab \u{1}\u{1f} é ✓";
        let mut r = route("10.9.0.0/16", GW1);
        r.comment = Some(nasty.into());
        let items = route_views(&rib_of(&[r]), &[]);
        let json = routes_json(&items);
        assert!(
            json.contains(r#""comment":"say \"hi\" \\ back\nslash\ttab \u0001\u001f é ✓""#),
            "{json}"
        );
        let objs = objects(&parse_json(&json).unwrap());
        let comments: Vec<&str> = objs
            .iter()
            .flat_map(|o| {
                o.iter()
                    .filter(|(k, _)| k == "comment")
                    .map(|(_, v)| v.as_str())
            })
            .collect();
        assert_eq!(comments, [nasty]);
        // The text views keep the comment on one line.
        let text = print_routes(&items);
        assert!(
            text.lines()
                .any(|l| l == ";;; say \"hi\" \\ back slash tab    é ✓"),
            "{text}"
        );
    }

    // -----------------------------------------------------------------------------------
    // Filters
    // -----------------------------------------------------------------------------------

    #[test]
    fn where_filters_and_count_only() {
        let rib = rib_of(&anchor_routes());
        let items = route_views(&rib, &[]);
        assert_eq!(items.len(), 9);
        // 3 connected, 2 anchors, the ISP1 default and VPN routes.
        assert_eq!(count_routes(&items, &[("active", "yes")]).unwrap(), 7);
        assert_eq!(count_routes(&items, &[("active", "true")]).unwrap(), 7);
        assert_eq!(count_routes(&items, &[("active", "no")]).unwrap(), 2);
        assert_eq!(count_routes(&items, &[]).unwrap(), 9);
        assert_eq!(
            count_routes(&items, &[("dst-address", "0.0.0.0/0")]).unwrap(),
            2
        );
        assert_eq!(
            count_routes(&items, &[("dst-address", "203.0.113.1/32")]).unwrap(),
            1
        );
        assert_eq!(
            count_routes(&items, &[("dst-address", "203.0.113.1")]).unwrap(),
            1
        );
        assert_eq!(count_routes(&items, &[("gateway", GW1)]).unwrap(), 2);
        assert_eq!(
            count_routes(&items, &[("gateway", "203.0.113.1%ether1")]).unwrap(),
            1
        );
        assert_eq!(count_routes(&items, &[("dynamic", "yes")]).unwrap(), 3);
        assert_eq!(count_routes(&items, &[("connect", "yes")]).unwrap(), 3);
        assert_eq!(count_routes(&items, &[("static", "yes")]).unwrap(), 6);
        assert_eq!(
            count_routes(&items, &[("check-gateway", "ping")]).unwrap(),
            2
        );
        assert_eq!(
            count_routes(&items, &[("check-gateway", "none")]).unwrap(),
            7
        );
        assert_eq!(count_routes(&items, &[("distance", "10")]).unwrap(), 2);
        assert_eq!(count_routes(&items, &[("scope", "20")]).unwrap(), 4);
        assert_eq!(count_routes(&items, &[("target-scope", "20")]).unwrap(), 2);
        assert_eq!(
            count_routes(&items, &[("routing-table", "main")]).unwrap(),
            9
        );
        assert_eq!(
            count_routes(&items, &[("gw-state", "recursive")]).unwrap(),
            4
        );
        assert_eq!(
            count_routes(&items, &[("immediate-gw", "203.0.113.1%ether1")]).unwrap(),
            3
        );
        assert_eq!(count_routes(&items, &[("inactive", "yes")]).unwrap(), 0);
        assert_eq!(count_routes(&items, &[("disabled", "no")]).unwrap(), 9);
        assert_eq!(count_routes(&items, &[("ecmp", "no")]).unwrap(), 9);
        assert_eq!(count_routes(&items, &[("comment", "")]).unwrap(), 9);
        assert_eq!(
            count_routes(&items, &[("active", "yes"), ("dst-address", "0.0.0.0/0")]).unwrap(),
            1
        );
        let id = format_id(items[0].id);
        assert_eq!(count_routes(&items, &[(".id", &id)]).unwrap(), 1);

        // After the ISP1 anchor fails.
        let items = route_views(&rib, &[GW1]);
        let active = filter_routes(&items, &[("active", "yes"), ("static", "yes")]).unwrap();
        let gws: Vec<&str> = active.iter().map(|i| i.gateway.as_str()).collect();
        assert_eq!(gws, [GW2, GW2, "198.51.100.1%ether2"]);
        assert_eq!(count_routes(&items, &[("inactive", "yes")]).unwrap(), 3);

        // Errors name the property or value.
        let e = route_matches(&items[0], "colour", "red").unwrap_err();
        assert!(e.contains("colour"), "{e}");
        let e = count_routes(&items, &[("active", "maybe")]).unwrap_err();
        assert!(e.contains("maybe") && e.contains("active"), "{e}");
        let e = count_routes(&items, &[("distance", "far")]).unwrap_err();
        assert!(e.contains("far") && e.contains("distance"), "{e}");
        assert!(
            count_routes(&[], &[("nope", "1")]).is_err(),
            "bad property on an empty table"
        );
        assert!(count_routes(&items, &[("active", "no"), ("nope", "1")]).is_err());
    }

    #[test]
    fn nexthop_filters() {
        let rib = rib_of(&anchor_routes());
        let (_, hops) = views(&rib, &[]);
        let n = |p: &str, v: &str| {
            hops.iter()
                .filter(|h| nexthop_matches(h, p, v).unwrap())
                .count()
        };
        assert_eq!(n("address", GW1), 2);
        assert_eq!(n("gw-state", "recursive"), 2);
        assert_eq!(n("check-gateway", "ping"), 2);
        assert_eq!(n("interface", "ether2"), 2);
        assert_eq!(n("target-scope", "20"), 2);
        assert_eq!(n("scope", "10"), 4);
        assert!(nexthop_matches(&hops[0], "colour", "red").is_err());
        assert!(nexthop_matches(&hops[0], "scope", "x").is_err());
    }
}
