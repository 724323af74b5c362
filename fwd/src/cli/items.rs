//! Menus of configuration items (`/routing/table`, `/interface/list`, `/interface/list/member`,
//! `/ip/firewall/mangle`, `/ip/firewall/nat`), served generically over the [`Item`] trait:
//! properties go through `Item::set`, the parser the YAML configuration uses, and come back
//! through `Item::properties`. And the singleton `/ip/firewall/connection/tracking`.

use super::{err, eval_cond, Error, IdList, Session};
use crate::config::{
    AddressItem, IpSettings, RoutingSettings, RoutingTableItem, IP_ADDRESS, MAIN_TABLE,
};
use crate::conntrack::TrackingSettings;
use crate::firewall::{
    InterfaceListItem, InterfaceListMemberItem, Item, MangleItem, NatItem, INTERFACE_LIST,
    INTERFACE_LIST_MEMBER,
};
use crate::rib::view::{format_id, json_array, render_table, Row};
use crate::ros::{Arg, Command, Expr, Span};
use std::fmt::Write;

/// The items of the configuration menus a script may change, as a working copy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Items {
    pub routing_tables: Vec<RoutingTableItem>,
    pub interface_lists: Vec<InterfaceListItem>,
    pub interface_list_members: Vec<InterfaceListMemberItem>,
    pub mangle: Vec<MangleItem>,
    pub nat: Vec<NatItem>,
    pub tracking: TrackingSettings,
    pub netwatch: Vec<crate::netwatch::NetwatchItem>,
    /// `/ip/address`.
    pub addresses: Vec<AddressItem>,
    /// `/ip/settings`.
    pub ip_settings: IpSettings,
    /// `/routing/settings`.
    pub routing_settings: RoutingSettings,
    /// The items' `*ID`s, per menu.
    pub ids: super::Ids,
}

impl Items {
    /// The routing tables with a FIB besides main (enabled ones), in order.
    pub fn fib_tables(&self) -> Vec<String> {
        self.routing_tables
            .iter()
            .filter(|t| t.fib && !t.disabled)
            .map(|t| t.name.clone())
            .collect()
    }
}

/// How `print` shows a menu's items: as a table of these (title, property) columns, or, for
/// firewall rules and routing tables, as RouterOS does, one `name=value` line per item.
fn columns(menu: &str) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
    match menu {
        INTERFACE_LIST => Some(("Flags: D - DYNAMIC", &[("NAME", "name")])),
        INTERFACE_LIST_MEMBER => Some((
            "Flags: X - DISABLED; D - DYNAMIC",
            &[("LIST", "list"), ("INTERFACE", "interface")],
        )),
        _ => None,
    }
}

/// Whether `it` has `value` as its `prop`: setting it changes nothing. Defaults and
/// spellings (`yes`/`true`) compare as `Item::set` reads them.
pub(super) fn item_matches<T: Item + Clone>(
    it: &T,
    prop: &str,
    value: &str,
) -> Result<bool, String> {
    let mut t = it.clone();
    let value = match value {
        "true" => "yes",
        "false" => "no",
        v => v,
    };
    match t.set(prop, value) {
        Ok(()) => Ok(t.properties() == it.properties()),
        // A value that this property cannot take is simply not its value (`where
        // disabled` on a menu without the flag is an error, through the unknown property).
        Err(e) if e.starts_with("unknown property") => Err(e),
        Err(_) => Ok(false),
    }
}

/// Whether item `it`, whose `*ID` is `id`, meets a `where` condition (`~` included: a
/// property's text, empty when it is unset; `.id` its `*ID`).
fn item_cond<T: Item + Clone>(it: &T, id: u32, cond: &crate::ros::Cond) -> Result<bool, Error> {
    eval_cond(cond, &|p, v| item_or_id_matches(it, id, p, v), &|p| {
        item_or_id_text(it, id, p)
    })
}

/// [`item_matches`], and `.id` against the item's `*ID` (any case, as RouterOS reads them).
pub(super) fn item_or_id_matches<T: Item + Clone>(
    it: &T,
    id: u32,
    prop: &str,
    value: &str,
) -> Result<bool, String> {
    match prop {
        ".id" => Ok(value.trim().eq_ignore_ascii_case(&format_id(id as usize))),
        _ => item_matches(it, prop, value),
    }
}

/// An item's property as text (for `~`): its `*ID` for `.id`, empty when unset, None for a
/// property the item does not have.
pub(super) fn item_or_id_text<T: Item + Clone>(it: &T, id: u32, prop: &str) -> Option<String> {
    if prop == ".id" {
        return Some(format_id(id as usize));
    }
    match it.properties().into_iter().find(|(k, _)| *k == prop) {
        Some((_, v)) => Some(v),
        None => item_matches(it, prop, "").is_ok().then(String::new),
    }
}

/// An item's properties as the REST API gives them: its `.id` (`id`) first, `disabled` as
/// true or false (also where the item has the property at its default).
pub(super) fn json_props<T: Item + Clone>(id: u32, it: &T) -> Vec<(&'static str, String)> {
    let mut v = vec![(".id", format_id(id as usize))];
    v.extend(it.properties());
    if !v.iter().any(|p| p.0 == "disabled") && item_matches(it, "disabled", "no").is_ok() {
        v.push(("disabled", "false".into()));
    }
    for p in v.iter_mut().filter(|p| p.0 == "disabled") {
        p.1 = if p.1 == "yes" { "true" } else { "false" }.into();
    }
    v
}

/// The flags column: X for a disabled item.
pub(super) fn flags<T: Item>(it: &T) -> String {
    if it
        .properties()
        .iter()
        .any(|(k, v)| *k == "disabled" && v == "yes")
    {
        "X".into()
    } else {
        String::new()
    }
}

impl Session<'_> {
    /// A command in one of the item menus; `get` picks the menu's items in the working copy.
    pub(super) fn item_command<T: Item + Clone + PartialEq>(
        &mut self,
        c: &Command,
        menu: &str,
        get: fn(&mut super::Items) -> &mut Vec<T>,
    ) -> Result<(), Error> {
        if super::rule_stats::is_stats_command(c, menu) {
            let list = get(&mut self.items).clone();
            let in_force = get(&mut self.items_in_force).clone();
            let ids = self.items.ids.get(menu, list.len());
            return self.rule_stats_command(c, menu, &list, &in_force, &ids);
        }
        let mut list = std::mem::take(get(&mut self.items));
        let mut ids = self.items.ids.take(menu, list.len());
        let r = self.item_verb(c, menu, &mut list, &mut ids);
        *get(&mut self.items) = list;
        self.items.ids.put(menu, ids);
        if r? {
            self.items_changed = Some(c.span);
            // Each change is checked as RouterOS does: a rule naming an unknown interface,
            // list or routing table is refused at the command that makes it so.
            self.env.check_items(&self.items).map_err(|m| Error {
                span: c.span,
                message: m,
            })?;
        }
        Ok(())
    }

    /// Runs the verb on `list` and its `ids`; whether the items changed.
    fn item_verb<T: Item + Clone>(
        &mut self,
        c: &Command,
        menu: &str,
        list: &mut Vec<T>,
        ids: &mut IdList,
    ) -> Result<bool, Error> {
        match c.verb.as_str() {
            "print" => {
                self.print_items(c, menu, list, ids)?;
                Ok(false)
            }
            "add" => {
                let mut it = T::default();
                let mut at = None;
                for a in &c.args {
                    match a {
                        Arg::Named { name, value, span } if name == "place-before" => {
                            let Some(v) = value else {
                                return err(*span, "place-before needs a value");
                            };
                            let sel = self.select_value(v, *span, list, ids)?;
                            match sel.as_slice() {
                                [i] => at = Some(*i),
                                _ => return err(*span, "place-before takes one item"),
                            }
                        }
                        Arg::Named { .. } => self.set_arg(&mut it, a)?,
                        Arg::Positional { span, .. } | Arg::Where { span, .. } => {
                            return err(*span, "add takes only name=value properties")
                        }
                    }
                }
                if let Some(m) = missing(menu, &it) {
                    return err(c.span, m);
                }
                let at = at.unwrap_or(list.len());
                list.insert(at, it);
                ids.insert(at);
                if menu == crate::config::ROUTING_TABLE || menu == INTERFACE_LIST {
                    self.unique_names(c.span, menu, list)?;
                }
                Ok(true)
            }
            "set" => {
                let sel = self.select_items(c, list, ids)?;
                let props: Vec<&Arg> = c.args.iter().filter(|a| !selector(list, a)).collect();
                for i in sel {
                    for a in &props {
                        if let Arg::Named { .. } = a {
                            self.set_arg(&mut list[i], a)?;
                        }
                    }
                }
                if menu == crate::config::ROUTING_TABLE || menu == INTERFACE_LIST {
                    self.unique_names(c.span, menu, list)?;
                }
                Ok(true)
            }
            "remove" => {
                no_properties_but_names(c, list)?;
                let mut sel = self.select_items(c, list, ids)?;
                sel.sort_unstable();
                for i in sel.into_iter().rev() {
                    list.remove(i);
                    ids.remove(i);
                }
                Ok(true)
            }
            verb @ ("enable" | "disable") => {
                no_properties_but_names(c, list)?;
                let v = if verb == "disable" { "yes" } else { "no" };
                for i in self.select_items(c, list, ids)? {
                    list[i].set("disabled", v).map_err(|_| Error {
                        span: c.span,
                        message: format!("{menu} items cannot be disabled"),
                    })?;
                }
                Ok(true)
            }
            verb => err(c.span, format!("no such command '{verb}' in {menu}")),
        }
    }

    /// Names must be unique in `/routing/table` and `/interface/list`.
    fn unique_names<T: Item>(&self, span: Span, menu: &str, list: &[T]) -> Result<(), Error> {
        let names: Vec<String> = list
            .iter()
            .filter_map(|t| t.properties().into_iter().find(|p| p.0 == "name"))
            .map(|p| p.1)
            .collect();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) || (menu == crate::config::ROUTING_TABLE && n == MAIN_TABLE) {
                return err(span, format!("{menu}: '{n}' already exists"));
            }
        }
        Ok(())
    }

    /// Applies one `name=value` argument (a bare flag is `name=yes`).
    pub(super) fn set_arg<T: Item>(&self, it: &mut T, a: &Arg) -> Result<(), Error> {
        let Arg::Named { name, value, span } = a else {
            return Ok(());
        };
        let v = match value {
            Some(v) => self.text(v, *span)?,
            None => "yes".to_string(),
        };
        it.set(name, &v).map_err(|m| Error {
            span: *span,
            message: m,
        })
    }

    /// The items a command's positional values select: `[find ...]`, numbers of print
    /// order, `*ID` (of `ids`), or the name of an item that has one (`/interface/list set
    /// WAN ...`).
    pub(super) fn select_items<T: Item + Clone>(
        &self,
        c: &Command,
        list: &[T],
        ids: &IdList,
    ) -> Result<Vec<usize>, Error> {
        let mut out = Vec::new();
        let mut any = false;
        for a in &c.args {
            match a {
                Arg::Positional { value, span } => {
                    any = true;
                    out.extend(self.select_value(value, *span, list, ids)?);
                }
                Arg::Named {
                    name, value: None, ..
                } => {
                    if let Some(i) = by_name(list, name) {
                        any = true;
                        out.push(i);
                    }
                }
                _ => {}
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

    pub(super) fn select_value<T: Item + Clone>(
        &self,
        value: &Expr,
        span: Span,
        list: &[T],
        ids: &IdList,
    ) -> Result<Vec<usize>, Error> {
        let mut out = Vec::new();
        let no_such = |what: &str| {
            err(
                span,
                format!("no such item '{what}' (print shows {} items)", list.len()),
            )
        };
        match value {
            Expr::Sub(find) if find.verb == "find" => {
                for (i, it) in list.iter().enumerate() {
                    if self.find_item(find, it, ids.id(i))? {
                        out.push(i);
                    }
                }
            }
            Expr::Num(n) => match usize::try_from(*n).ok().filter(|i| *i < list.len()) {
                Some(i) => out.push(i),
                None => return no_such(&n.to_string()),
            },
            Expr::Str(name) => match by_name(list, name) {
                Some(i) => out.push(i),
                None => return no_such(name),
            },
            Expr::Word(w) => {
                // An empty list (`remove $ids` after a `[find]` that found none) selects none.
                for part in w.split(',').filter(|p| !p.is_empty()) {
                    let i = match part.strip_prefix('*') {
                        Some(hex) => u32::from_str_radix(hex, 16)
                            .ok()
                            .and_then(|id| ids.index_of(id)),
                        None => part.parse::<usize>().ok().or_else(|| by_name(list, part)),
                    };
                    match i.filter(|i| *i < list.len()) {
                        Some(i) => out.push(i),
                        None => return no_such(part),
                    }
                }
            }
            _ => return err(span, "select items with [find ...], a number or *ID"),
        }
        Ok(out)
    }

    /// Whether item `it`, whose `*ID` is `id`, matches a `find`: its `name=value` arguments
    /// and conditions.
    pub(super) fn find_item<T: Item + Clone>(
        &self,
        find: &Command,
        it: &T,
        id: u32,
    ) -> Result<bool, Error> {
        for a in &find.args {
            let ok = match a {
                Arg::Named { name, value, span } => {
                    let want = match value {
                        Some(v) => self.text(v, *span)?,
                        None => "yes".to_string(),
                    };
                    item_or_id_matches(it, id, name, &want).map_err(|m| Error {
                        span: *span,
                        message: m,
                    })?
                }
                Arg::Where { cond, .. } => item_cond(it, id, cond)?,
                Arg::Positional { span, .. } => {
                    return err(*span, "find takes conditions (name=value)")
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn print_items<T: Item + Clone>(
        &mut self,
        c: &Command,
        menu: &str,
        list: &[T],
        ids: &IdList,
    ) -> Result<(), Error> {
        super::check_print_args(c, &["detail", "count-only", "terse"])?;
        let mut shown = Vec::new();
        for (i, it) in list.iter().enumerate() {
            let keep = match c.where_cond() {
                Some(cond) => item_cond(it, ids.id(i), cond)?,
                None => true,
            };
            if keep {
                shown.push((i, it));
            }
        }
        let mut out = String::new();
        if c.has_flag("count-only") {
            let _ = writeln!(out, "{}", shown.len());
        } else if self.json {
            out = json_array(&shown, |(i, it)| json_props(ids.id(*i), *it));
            out.push('\n');
        } else {
            match columns(menu) {
                Some((legend, cols)) if !c.has_flag("detail") => {
                    out.push_str(legend);
                    out.push('\n');
                    let rows: Vec<Row> = shown
                        .iter()
                        .map(|(i, it)| {
                            let props = it.properties();
                            let get = |k: &str| {
                                props
                                    .iter()
                                    .find(|p| p.0 == k)
                                    .map(|p| p.1.clone())
                                    .unwrap_or_default()
                            };
                            Row {
                                number: Some(*i),
                                flags: flags(*it),
                                comment: props
                                    .iter()
                                    .find(|p| p.0 == "comment")
                                    .map(|p| p.1.clone()),
                                cells: cols.iter().map(|(_, k)| get(k)).collect(),
                            }
                        })
                        .collect();
                    let titles: Vec<(&str, bool)> = cols.iter().map(|(t, _)| (*t, false)).collect();
                    render_table(&mut out, &titles, &rows, true);
                }
                _ => {
                    out.push_str("Flags: X - disabled, I - invalid; D - dynamic\n");
                    let w = list.len().saturating_sub(1).to_string().len().max(2);
                    for (i, it) in &shown {
                        let props = it.shown();
                        let comment = props.iter().find(|p| p.0 == "comment").map(|p| &p.1);
                        detail_entry(&mut out, *i, w, &flags(*it), comment, &props);
                    }
                }
            }
        }
        self.out.output.push_str(&out);
        Ok(())
    }

    /// `/ip/firewall/connection/tracking`: `print` and `set name=value`.
    pub(super) fn tracking_command(&mut self, c: &Command) -> Result<(), Error> {
        self.settings_command(
            c,
            crate::conntrack::TRACKING,
            |i| &mut i.tracking,
            |old, new| {
                if new.max_entries != old.max_entries {
                    return Err(
                    "max-entries sizes the tables when wanfwd starts: set it in the configuration"
                        .into(),
                );
                }
                Ok(())
            },
        )
    }
}

/// What an item added to `menu` lacks of the properties it cannot do without, as RouterOS
/// refuses it (`failure: ... not specified`).
fn missing<T: Item>(menu: &str, it: &T) -> Option<&'static str> {
    let needs: &[(&str, &'static str)] = match menu {
        crate::netwatch::NETWATCH => &[("host", "a netwatch item needs a host")],
        IP_ADDRESS => &[
            ("address", "an address needs address= (and interface=)"),
            ("interface", "an address needs interface="),
        ],
        crate::config::ROUTING_TABLE => &[("name", "a routing table needs a name")],
        INTERFACE_LIST => &[("name", "an interface list needs a name")],
        _ => &[],
    };
    let props = it.properties();
    needs
        .iter()
        .find(|(p, _)| !props.iter().any(|q| q.0 == *p))
        .map(|(_, m)| *m)
}

/// A value as `print` writes it: quoted when it holds spaces or is empty.
pub(super) fn quote_value(v: &str) -> String {
    if v.is_empty() || v.contains([' ', '"', ';', '\\']) {
        crate::ros::quote(v)
    } else {
        v.to_string()
    }
}

/// The item named `name`, in a menu whose items have names.
fn by_name<T: Item>(list: &[T], name: &str) -> Option<usize> {
    list.iter().position(|it| {
        it.properties()
            .iter()
            .any(|(k, v)| *k == "name" && v == name)
    })
}

/// Whether `a` is a bare word naming an item (`WAN` in `/interface/list set WAN ...`).
fn selector<T: Item>(list: &[T], a: &Arg) -> bool {
    matches!(a, Arg::Named { name, value: None, .. } if by_name(list, name).is_some())
}

/// `remove`, `enable`, `disable` take items, not properties.
fn no_properties_but_names<T: Item>(c: &Command, list: &[T]) -> Result<(), Error> {
    match c
        .args
        .iter()
        .find(|a| matches!(a, Arg::Named { .. }) && !selector(list, a))
    {
        Some(Arg::Named { name, span, .. }) => {
            err(*span, format!("{} takes no property '{name}'", c.verb))
        }
        _ => Ok(()),
    }
}

/// One item of `print detail`, as RouterOS writes it: its number and flags, its comment
/// on a `;;;` line of its own, then its `name=value` properties (but `comment` and
/// `disabled`, which the flags and that line show), `w` the width of the numbers.
pub(super) fn detail_entry(
    out: &mut String,
    i: usize,
    w: usize,
    flags: &str,
    comment: Option<&String>,
    props: &[(&str, String)],
) {
    let lead = format!("{i:>w$} {flags:<2} ");
    let mut first = true;
    if let Some(cm) = comment {
        let _ = writeln!(out, "{lead};;; {cm}");
        first = false;
    }
    let line: Vec<String> = props
        .iter()
        .filter(|p| p.0 != "comment" && p.0 != "disabled")
        .map(|(k, v)| format!("{k}={}", quote_value(v)))
        .collect();
    let pad = " ".repeat(lead.len());
    let _ = writeln!(
        out,
        "{}{}",
        if first { &lead } else { &pad },
        line.join(" ")
    );
}
