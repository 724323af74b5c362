//! `/ip/route add|set|remove|enable|disable`, and how items are selected.

use super::{err, route_cond, Error, Session, IP_ROUTE};
use crate::config::{CheckGateway, Gateway, RouteItem};
use crate::net::Ipv4Prefix;
use crate::ros::{Arg, Command, Expr, Span};

/// RouterOS's defaults for a new static route.
fn new_route() -> RouteItem {
    RouteItem {
        dst_address: Ipv4Prefix::new([0, 0, 0, 0].into(), 0).expect("valid"),
        gateway: Vec::new(),
        distance: 1,
        scope: 30,
        target_scope: 10,
        check_gateway: CheckGateway::None,
        routing_table: "main".into(),
        comment: None,
        disabled: false,
    }
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("expected yes or no, not '{v}'")),
    }
}

fn byte(name: &str, v: &str, min: u8) -> Result<u8, String> {
    v.parse::<u8>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| format!("{name} must be a number from {min} to 255, not '{v}'"))
}

/// Sets one property of a route from its RouterOS text.
fn set_property(r: &mut RouteItem, name: &str, v: &str) -> Result<(), String> {
    match name {
        "dst-address" => {
            r.dst_address = v.parse().map_err(|e: String| format!("dst-address: {e}"))?
        }
        "gateway" => r.gateway = Gateway::parse_list(v).map_err(|e| format!("gateway: {e}"))?,
        "distance" => r.distance = byte(name, v, 1)?,
        "scope" => r.scope = byte(name, v, 0)?,
        "target-scope" => r.target_scope = byte(name, v, 0)?,
        "check-gateway" => {
            r.check_gateway = if v.is_empty() {
                CheckGateway::None
            } else {
                v.parse()
                    .map_err(|e: String| format!("check-gateway: {e}"))?
            }
        }
        "routing-table" => r.routing_table = v.to_string(),
        "comment" => r.comment = (!v.is_empty()).then(|| v.to_string()),
        "disabled" => r.disabled = yes_no(v)?,
        _ => return Err(format!("unknown property '{name}' of /ip/route")),
    }
    Ok(())
}

impl Session<'_> {
    /// Applies the command's `name=value` arguments to `r`.
    fn apply_properties(&self, c: &Command, r: &mut RouteItem) -> Result<(), Error> {
        for a in &c.args {
            if let Arg::Named { name, value, span } = a {
                let Some(value) = value else {
                    return err(*span, format!("'{name}' needs a value ({name}=...)"));
                };
                let v = self.text(value, *span)?;
                set_property(r, name, &v).map_err(|m| Error {
                    span: *span,
                    message: m,
                })?;
            }
        }
        Ok(())
    }

    fn validate(&self, r: &RouteItem, span: Span) -> Result<(), Error> {
        if r.gateway.is_empty() {
            return err(span, "a route needs a gateway");
        }
        if r.check_gateway != CheckGateway::None && r.gateway.iter().all(|g| g.address().is_none())
        {
            return err(span, "check-gateway needs a gateway address");
        }
        self.env
            .check_route(r, &self.items.fib_tables())
            .map_err(|m| Error { span, message: m })
    }

    pub(super) fn add_route(&mut self, c: &Command) -> Result<(), Error> {
        if let Some(Arg::Positional { span, .. }) =
            c.args.iter().find(|a| matches!(a, Arg::Positional { .. }))
        {
            return err(*span, "add takes only name=value properties");
        }
        let mut r = new_route();
        self.apply_properties(c, &mut r)?;
        self.validate(&r, c.span)?;
        let mut ids = self.items.ids.take(IP_ROUTE, self.routes.len());
        self.routes.push(r);
        ids.insert(self.routes.len() - 1);
        self.items.ids.put(IP_ROUTE, ids);
        self.changed = true;
        Ok(())
    }

    pub(super) fn set_routes(&mut self, c: &Command) -> Result<(), Error> {
        let sel = self.selection(c)?;
        for i in sel {
            let mut r = self.routes[i].clone();
            self.apply_properties(c, &mut r)?;
            self.validate(&r, c.span)?;
            self.routes[i] = r;
        }
        self.changed = true;
        Ok(())
    }

    pub(super) fn remove_routes(&mut self, c: &Command) -> Result<(), Error> {
        self.no_properties(c)?;
        let mut sel = self.selection(c)?;
        sel.sort_unstable();
        let mut ids = self.items.ids.take(IP_ROUTE, self.routes.len());
        for i in sel.into_iter().rev() {
            self.routes.remove(i);
            ids.remove(i);
        }
        self.items.ids.put(IP_ROUTE, ids);
        self.changed = true;
        Ok(())
    }

    pub(super) fn enable_routes(&mut self, c: &Command, disabled: bool) -> Result<(), Error> {
        self.no_properties(c)?;
        for i in self.selection(c)? {
            self.routes[i].disabled = disabled;
        }
        self.changed = true;
        Ok(())
    }

    /// `/routing/nexthop flush`: asks the daemon to resolve every nexthop again (see
    /// `Outcome::flush_nexthops`), once the whole script has succeeded.
    pub(super) fn flush_nexthops(&mut self, c: &Command) -> Result<(), Error> {
        self.no_properties(c)?;
        if let Some(Arg::Positional { span, .. } | Arg::Where { span, .. }) = c.args.first() {
            return err(*span, "flush takes no arguments");
        }
        self.out.flush_nexthops = true;
        Ok(())
    }

    pub(super) fn no_properties(&self, c: &Command) -> Result<(), Error> {
        match c.args.iter().find(|a| matches!(a, Arg::Named { .. })) {
            Some(Arg::Named { name, span, .. }) => {
                err(*span, format!("{} takes no property '{name}'", c.verb))
            }
            _ => Ok(()),
        }
    }

    /// The routes a command's positional values select, as indices of the configuration:
    /// `[find ...]`, numbers of the last print (static routes, in print order), or `*ID`.
    pub(super) fn selection(&self, c: &Command) -> Result<Vec<usize>, Error> {
        let views = self.route_views();
        // A static route's view carries its `*ID`; dynamic ones cannot be selected.
        let ids = self.items.ids.get(IP_ROUTE, self.routes.len());
        let to_index = |id: usize| u32::try_from(id).ok().and_then(|id| ids.index_of(id));
        let printed: Vec<usize> = views.iter().filter(|v| !v.dynamic).map(|v| v.id).collect();
        let mut out = Vec::new();
        let mut any = false;
        for a in &c.args {
            let Arg::Positional { value, span } = a else {
                continue;
            };
            any = true;
            match value {
                Expr::Sub(find) if find.verb == "find" => {
                    for v in &views {
                        if find_matches(self, find, v)? {
                            match to_index(v.id) {
                                Some(i) => out.push(i),
                                None => {
                                    return err(
                                        find.span,
                                        "a dynamic (connected) route cannot be changed",
                                    )
                                }
                            }
                        }
                    }
                }
                Expr::Num(n) => {
                    let id = usize::try_from(*n)
                        .ok()
                        .and_then(|n| printed.get(n).copied());
                    match id.and_then(to_index) {
                        Some(i) => out.push(i),
                        None => {
                            return err(
                                *span,
                                format!(
                                    "no such item (print shows {} static routes)",
                                    printed.len()
                                ),
                            )
                        }
                    }
                }
                Expr::Word(w) => {
                    for part in w.split(',').filter(|p| !p.is_empty()) {
                        let id = if let Some(hex) = part.strip_prefix('*') {
                            usize::from_str_radix(hex, 16).ok()
                        } else {
                            part.parse::<usize>()
                                .ok()
                                .and_then(|n| printed.get(n).copied())
                        };
                        match id.and_then(to_index) {
                            Some(i) => out.push(i),
                            None => return err(*span, format!("no such item '{part}'")),
                        }
                    }
                }
                _ => return err(*span, "select items with [find ...], a number or *ID"),
            }
        }
        if !any {
            return err(
                c.span,
                format!(
                    "{} needs the items to act on ([find ...] or numbers)",
                    c.verb
                ),
            );
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// Whether a route matches a `find`: its `name=value` arguments (all must match) and its
/// `where` clause.
pub(super) fn find_matches(
    s: &Session,
    find: &Command,
    v: &crate::rib::view::RouteItem,
) -> Result<bool, Error> {
    for a in &find.args {
        match a {
            Arg::Named {
                name,
                value: Some(value),
                span,
            } => {
                let want = s.text(value, *span)?;
                let ok = crate::rib::view::route_matches(v, name, &want).map_err(|m| Error {
                    span: *span,
                    message: m,
                })?;
                if !ok {
                    return Ok(false);
                }
            }
            Arg::Named {
                name,
                value: None,
                span,
            } => {
                let ok = crate::rib::view::route_matches(v, name, "yes").map_err(|m| Error {
                    span: *span,
                    message: m,
                })?;
                if !ok {
                    return Ok(false);
                }
            }
            Arg::Where { cond, .. } => {
                if !route_cond(v, cond)? {
                    return Ok(false);
                }
            }
            Arg::Positional { span, .. } => {
                return err(*span, "find takes conditions (name=value)")
            }
        }
    }
    Ok(true)
}
