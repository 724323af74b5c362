//! `/export`: the running configuration as the RouterOS commands that make it, as RouterOS 7
//! prints it — a header comment, then per menu its path in the spelling of an export
//! (`/ip firewall mangle`) and `add ...` lines (`set ...` for a settings menu), with only the
//! properties that differ from their defaults, in alphabetical order, quoted where the
//! language needs it. `/ip/route export` (any menu) keeps the menus under it.
//!
//! Options: `compact` (the default), `verbose` (the defaults too), `terse` (the menu on every
//! line), `hide-sensitive` and `show-sensitive` (accepted; nothing here is secret). wanfwd's
//! own: `format=yaml` prints the configuration in the format of `wanfwd --config` instead
//! (see `config::emit`), what `wanctl export` asks for.
//!
//! Menus come in an order that imports cleanly: interface lists and routing tables before
//! the members, rules and routes that name them, Netwatch (whose scripts name routes) last.
//! `/interface/ethernet` cannot be written as commands: its items bind DPDK devices and come
//! only from the YAML configuration, and wanfwd has no `add` or `set` for them. Where RouterOS
//! would print `set [ find default-name=ether1 ] ...`, the export prints each interface as a
//! comment, so that the text imports and still says what the interfaces are.
//! `max-entries` of connection tracking sizes the tables at start and cannot be set by a
//! command: only the YAML export has it. The header's time is UTC.

use super::{err, Error, Items, Session, MENUS};
use crate::config::{
    changed, under, Config, RouteItem, ETHERNET, INTERFACE_LIST, INTERFACE_LIST_MEMBER, IP_ADDRESS,
    IP_ARP, IP_ROUTE, IP_SETTINGS, MANGLE, NAT, NETWATCH, ROUTING_SETTINGS, ROUTING_TABLE,
    TRACKING,
};
use crate::firewall::Item;
use crate::ros::{self, Arg, Command};
use serde::Serialize;
use std::fmt::Write;

/// Properties of an item: name and value.
type Props = Vec<(String, String)>;

/// A menu's part of the export.
struct Section {
    menu: &'static str,
    /// Its items, each written as an `add` (`set` for a settings menu).
    items: Vec<Props>,
    settings: bool,
}

/// Values that `verbose` prints although they are the defaults (the defaults of a settings
/// menu come from the menu itself).
const VERBOSE_DEFAULTS: &[(&str, &[(&str, &str)])] = &[
    (
        IP_ROUTE,
        &[
            ("check-gateway", "none"),
            ("disabled", "no"),
            ("distance", "1"),
            ("routing-table", "main"),
            ("scope", "30"),
            ("target-scope", "10"),
        ],
    ),
    (IP_ADDRESS, &[("disabled", "no")]),
    (IP_ARP, &[("disabled", "no")]),
    (ROUTING_TABLE, &[("disabled", "no"), ("fib", "no")]),
    (INTERFACE_LIST_MEMBER, &[("disabled", "no")]),
    (
        MANGLE,
        &[
            ("action", "accept"),
            ("disabled", "no"),
            ("passthrough", "yes"),
        ],
    ),
    (NAT, &[("action", "accept"), ("disabled", "no")]),
    (
        NETWATCH,
        &[
            ("disabled", "no"),
            ("interval", "10s"),
            ("timeout", "3s"),
            ("type", "icmp"),
        ],
    ),
];

/// RouterOS flags written bare when set (`add fib name=to_wan1`).
const BARE_FLAGS: &[(&str, &str)] = &[(ROUTING_TABLE, "fib")];

/// How the export is written.
#[derive(Clone, Copy, Default)]
struct Style {
    verbose: bool,
    terse: bool,
}

impl Session<'_> {
    /// `export` in `menu` (`/export` for the whole configuration).
    pub(super) fn export(&mut self, c: &Command, menu: &str) -> Result<(), Error> {
        if !MENUS.contains(&menu) {
            return err(c.span, format!("no such menu '{menu}'"));
        }
        let mut style = Style::default();
        let mut yaml = false;
        for a in &c.args {
            match a {
                Arg::Named {
                    name, value: None, ..
                } if name == "verbose" => style.verbose = true,
                Arg::Named {
                    name, value: None, ..
                } if name == "terse" => style.terse = true,
                Arg::Named {
                    name, value: None, ..
                } if matches!(
                    name.as_str(),
                    "compact" | "hide-sensitive" | "show-sensitive"
                ) => {}
                Arg::Named {
                    name,
                    value: Some(v),
                    span,
                } if name == "format" => match self.text(v, *span)?.as_str() {
                    "yaml" => yaml = true,
                    "rsc" => yaml = false,
                    other => {
                        return err(
                            *span,
                            format!("unknown format '{other}' (wanfwd exports rsc or yaml)"),
                        )
                    }
                },
                Arg::Named { name, span, .. } if name == "file" => {
                    return err(
                        *span,
                        "export to a file is not supported: redirect the output (wanctl export --rsc > FILE)",
                    )
                }
                Arg::Named { name, span, .. } => {
                    return err(*span, format!("unknown export option '{name}'"))
                }
                Arg::Positional { span, .. } | Arg::Where { span, .. } => {
                    return err(
                        *span,
                        "export takes options only (verbose, terse, format=yaml)",
                    )
                }
            }
        }
        if yaml && (style.verbose || style.terse) {
            return err(
                c.span,
                "verbose and terse are for the command export, not format=yaml",
            );
        }
        let Some(mut cfg) = self.env.config() else {
            return err(c.span, "no configuration to export");
        };
        overlay(&mut cfg, &self.routes, &self.items);
        let text = if yaml {
            cfg.to_yaml(menu)
        } else {
            render(&cfg, menu, style, &header())
        };
        let text = text.map_err(|m| Error {
            span: c.span,
            message: m,
        })?;
        self.out.output.push_str(&text);
        Ok(())
    }
}

/// Puts a script's working copy of the routes and items into the configuration in force.
fn overlay(cfg: &mut Config, routes: &[RouteItem], items: &Items) {
    // Every field by name: a menu added to `Items` must be exported too.
    let Items {
        routing_tables,
        interface_lists,
        interface_list_members,
        mangle,
        nat,
        tracking,
        netwatch,
        addresses,
        ip_settings,
        routing_settings,
        // Ids are the running router's, not configuration.
        ids: _,
    } = items.clone();
    cfg.routes = routes.to_vec();
    cfg.routing_tables = routing_tables;
    cfg.interface_lists = interface_lists;
    cfg.interface_list_members = interface_list_members;
    cfg.mangle = mangle;
    cfg.nat = nat;
    cfg.tracking = tracking;
    cfg.netwatch = netwatch;
    // The script's copy has the addresses of the running interfaces; those of disabled
    // interfaces stay as loaded.
    let off: Vec<&str> = cfg
        .interfaces
        .iter()
        .filter(|i| i.disabled)
        .map(|i| i.name.as_str())
        .collect();
    let kept: Vec<_> = cfg
        .addresses
        .iter()
        .filter(|a| off.contains(&a.interface.as_str()))
        .cloned()
        .collect();
    cfg.addresses = addresses;
    cfg.addresses.extend(kept);
    cfg.ip_settings = ip_settings;
    cfg.routing_settings = routing_settings;
}

/// `# 2026-11-26 01:10:23 by wanfwd 0.1.0`, as RouterOS starts an export.
fn header() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "# {} by wanfwd {}",
        timestamp(secs),
        env!("CARGO_PKG_VERSION")
    )
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of seconds since the epoch.
fn timestamp(secs: u64) -> String {
    // The proleptic Gregorian calendar from a day count (H. Hinnant's civil_from_days).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {}",
        crate::logbuf::clock(secs)
    )
}

/// The export of the menus under `menu`.
fn render(cfg: &Config, menu: &str, style: Style, header: &str) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(out, "{header}");
    if under(ETHERNET, menu) && !cfg.interfaces.is_empty() {
        ethernet(&mut out, cfg, style)?;
    }
    for s in sections(cfg, style)? {
        if !under(s.menu, menu) || s.items.is_empty() {
            continue;
        }
        let path = spelled(s.menu);
        if !style.terse {
            let _ = writeln!(out, "{path}");
        }
        let verb = if s.settings { "set" } else { "add" };
        for props in &s.items {
            let mut props = props.clone();
            if style.verbose && !s.settings {
                add_defaults(s.menu, &mut props);
            }
            props.sort();
            let line = props
                .iter()
                .map(|(k, v)| property(s.menu, k, v))
                .collect::<Vec<_>>()
                .join(" ");
            if style.terse {
                let _ = write!(out, "{path} ");
            }
            let _ = writeln!(out, "{verb} {line}");
        }
    }
    Ok(out)
}

/// `/interface/ethernet`, as comments: see the module's documentation.
fn ethernet(out: &mut String, cfg: &Config, style: Style) -> Result<(), String> {
    let path = spelled(ETHERNET);
    if !style.terse {
        let _ = writeln!(out, "{path}");
    }
    let _ = writeln!(
        out,
        "# interfaces bind DPDK devices and come from the YAML configuration only (wanctl export):"
    );
    for it in &cfg.interfaces {
        let mut props = typed(it)?;
        if style.verbose {
            if it.mac_address.is_none() {
                props.push(("mac-address".into(), String::new()));
            }
            if !it.disabled {
                props.push(("disabled".into(), "no".into()));
            }
            if !props.iter().any(|p| p.0 == "mtu") {
                props.push(("mtu".into(), it.mtu.to_string()));
            }
        }
        // The name and the device first: they say which interface this is.
        props.sort_by(|a, b| {
            let rank = |k: &str| (k != "name", k != "device");
            (rank(&a.0), &a.0).cmp(&(rank(&b.0), &b.0))
        });
        let line = props
            .iter()
            .map(|(k, v)| format!("{k}={}", value(v)))
            .collect::<Vec<_>>()
            .join(" ");
        let lead = if style.terse {
            format!("{path} ")
        } else {
            String::new()
        };
        let _ = writeln!(out, "# {lead}{line}");
    }
    Ok(())
}

/// The RouterOS menus of the configuration, in import order.
fn sections(cfg: &Config, style: Style) -> Result<Vec<Section>, String> {
    let list = |menu, items: Vec<Props>| Section {
        menu,
        items,
        settings: false,
    };
    let settings = |menu, props: Props, defaults: Props| Section {
        menu,
        items: if style.verbose {
            vec![props]
        } else {
            let changed: Props = props
                .into_iter()
                .filter(|p| !defaults.contains(p))
                .collect();
            if changed.is_empty() {
                vec![]
            } else {
                vec![changed]
            }
        },
        settings: true,
    };
    let tracking = |t: &crate::conntrack::TrackingSettings| -> Props {
        let props = if style.verbose {
            t.properties()
        } else {
            changed(t)
        };
        // Sized at start, from the YAML only: `set` refuses it.
        owned(props)
            .into_iter()
            .filter(|p| p.0 != "max-entries")
            .collect()
    };
    Ok(vec![
        list(INTERFACE_LIST, items(&cfg.interface_lists)),
        list(
            ROUTING_TABLE,
            cfg.routing_tables
                .iter()
                .map(typed)
                .collect::<Result<_, _>>()?,
        ),
        list(INTERFACE_LIST_MEMBER, items(&cfg.interface_list_members)),
        list(
            IP_ADDRESS,
            cfg.addresses.iter().map(typed).collect::<Result<_, _>>()?,
        ),
        list(IP_ARP, cfg.arp.iter().map(typed).collect::<Result<_, _>>()?),
        settings(TRACKING, tracking(&cfg.tracking), Vec::new()),
        list(MANGLE, items(&cfg.mangle)),
        list(NAT, items(&cfg.nat)),
        list(
            IP_ROUTE,
            cfg.routes.iter().map(typed).collect::<Result<_, _>>()?,
        ),
        settings(
            IP_SETTINGS,
            typed(&cfg.ip_settings)?,
            typed(&crate::config::IpSettings::default())?,
        ),
        settings(
            ROUTING_SETTINGS,
            typed(&cfg.routing_settings)?,
            typed(&crate::config::RoutingSettings::default())?,
        ),
        list(NETWATCH, items(&cfg.netwatch)),
    ])
}

fn items<T: Item>(list: &[T]) -> Vec<Props> {
    list.iter().map(|it| owned(it.properties())).collect()
}

fn owned(props: Vec<(&'static str, String)>) -> Props {
    props.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The properties of an item of a typed section, as its YAML form has them (only those off
/// their defaults, see `config/model.rs`), in RouterOS's text.
fn typed<T: Serialize>(it: &T) -> Result<Props, String> {
    use serde_yaml::Value;
    let fail = |e: &dyn std::fmt::Display| format!("cannot export an item: {e}");
    let Value::Mapping(map) = serde_yaml::to_value(it).map_err(|e| fail(&e))? else {
        return Err(fail(&"not a map of properties"));
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let Value::String(k) = k else {
            return Err(fail(&"a property without a name"));
        };
        let v = match v {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if b { "yes" } else { "no" }.to_string(),
            Value::Null => continue,
            other => return Err(fail(&format!("{k}: {other:?} is not a RouterOS value"))),
        };
        out.push((k, v));
    }
    Ok(out)
}

fn add_defaults(menu: &str, props: &mut Props) {
    let Some((_, defaults)) = VERBOSE_DEFAULTS.iter().find(|d| d.0 == menu) else {
        return;
    };
    for (k, v) in defaults.iter() {
        if !props.iter().any(|p| p.0 == *k) {
            props.push((k.to_string(), v.to_string()));
        }
    }
}

/// `name=value`, or the bare name of a set flag.
fn property(menu: &str, k: &str, v: &str) -> String {
    if v == "yes" && BARE_FLAGS.contains(&(menu, k)) {
        return k.to_string();
    }
    format!("{k}={}", value(v))
}

/// A value as an export writes it: bare when the language reads it back as written, else
/// quoted (scripts, comments with spaces, device strings with `=`).
fn value(v: &str) -> String {
    let plain_char = |c: char| c.is_ascii_alphanumeric() || "-_.:/,%*@+".contains(c);
    // `!local` reads as one word; `!` elsewhere could start an operator (`!=`).
    let body = v.strip_prefix('!').unwrap_or(v);
    if !body.is_empty() && body.chars().all(plain_char) {
        v.to_string()
    } else {
        ros::quote(v)
    }
}

/// A menu path as an export spells it: `/ip/firewall/mangle` → `/ip firewall mangle`.
fn spelled(menu: &str) -> String {
    format!("/{}", menu.trim_start_matches('/').replace('/', " "))
}

#[cfg(test)]
mod tests;
