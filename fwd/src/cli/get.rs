//! `[MENU get ITEM PROPERTY]` as a value (`:local gw [/ip/route get [find comment=wan1]
//! gateway]`, `[/tool/netwatch get 0 status]`... as RouterOS scripts read one property of
//! one item): the item by number, `*ID`, `$var` or `[find ...]` (which must match one), the
//! property as `print detail` and the REST API name it. `true`/`false` are booleans and
//! whole numbers numbers, so that `:if ([get 0 disabled])` and `($d + 1)` work.

use super::items::{item_or_id_text, json_props};
use super::value::Value;
use super::{err, Error, Session, IP_ROUTE};
use crate::config::{IP_ADDRESS, ROUTING_TABLE};
use crate::firewall::{Item, INTERFACE_LIST, INTERFACE_LIST_MEMBER, MANGLE, NAT};
use crate::netwatch::NETWATCH;
use crate::rib::view;
use crate::ros::{Arg, Command, Expr, Span};

impl Session<'_> {
    /// The value of `c` (a `get`, its values already evaluated).
    pub(super) fn get_value(&self, c: &Command) -> Result<Value, Error> {
        let (item, span, prop) = get_args(c)?;
        let menu = c.menu();
        let i = &self.items;
        let text = match menu.as_str() {
            IP_ROUTE => {
                let one = Command {
                    args: vec![Arg::Positional {
                        value: item.clone(),
                        span,
                    }],
                    ..c.clone()
                };
                let index = one_of(self.selection(&one)?, span)?;
                let id = self.items.ids.get(IP_ROUTE, self.routes.len()).id(index) as usize;
                let v = self.route_views().into_iter().find(|v| v.id == id);
                v.and_then(|v| view::route_text(&v, &prop))
            }
            IP_ADDRESS => self.get_in(&item, span, &menu, &i.addresses, &prop)?,
            ROUTING_TABLE => self.get_in(&item, span, &menu, &i.routing_tables, &prop)?,
            INTERFACE_LIST => self.get_in(&item, span, &menu, &i.interface_lists, &prop)?,
            INTERFACE_LIST_MEMBER => {
                self.get_in(&item, span, &menu, &i.interface_list_members, &prop)?
            }
            MANGLE => self.get_in(&item, span, &menu, &i.mangle, &prop)?,
            NAT => self.get_in(&item, span, &menu, &i.nat, &prop)?,
            NETWATCH => self.get_in(&item, span, &menu, &i.netwatch, &prop)?,
            _ => {
                return err(
                    c.span,
                    format!(
                        "get is not supported in {menu} (it is in {IP_ROUTE}, \
                         {IP_ADDRESS}, {ROUTING_TABLE}, {INTERFACE_LIST}, \
                         {INTERFACE_LIST_MEMBER}, {MANGLE}, {NAT}, {NETWATCH})"
                    ),
                )
            }
        };
        match text {
            Some(t) => Ok(typed(t)),
            None => err(span, format!("{menu} items have no property '{prop}'")),
        }
    }

    fn get_in<T: Item + Clone>(
        &self,
        item: &Expr,
        span: Span,
        menu: &str,
        list: &[T],
        prop: &str,
    ) -> Result<Option<String>, Error> {
        let ids = self.items.ids.get(menu, list.len());
        let index = one_of(self.select_value(item, span, list, &ids)?, span)?;
        let (it, id) = (&list[index], ids.id(index));
        // `disabled` as true or false even where it is at its default.
        Ok(json_props(id, it)
            .into_iter()
            .find(|(k, _)| *k == prop)
            .map(|(_, v)| v)
            .or_else(|| item_or_id_text(it, id, prop)))
    }
}

/// The item and the property of a `get`: `get ITEM PROPERTY`, or `number=` and
/// `value-name=` as RouterOS also takes them.
fn get_args(c: &Command) -> Result<(Expr, Span, String), Error> {
    let usage = |span| err(span, "get takes an item and a property: get ITEM PROPERTY");
    let (mut item, mut prop) = (None, None);
    for a in &c.args {
        match a {
            Arg::Named {
                name,
                value: Some(v),
                span,
            } if name == "number" && item.is_none() => item = Some((v.clone(), *span)),
            Arg::Named {
                name,
                value: Some(v),
                span,
            } if name == "value-name" && prop.is_none() => prop = Some((plain(v), *span)),
            Arg::Positional { value, span } if item.is_none() => {
                item = Some((value.clone(), *span))
            }
            Arg::Positional { value, span } if prop.is_none() => prop = Some((plain(value), *span)),
            // A bare word after the item (`get 0 gateway`) reads as a flag.
            Arg::Named {
                name,
                value: None,
                span,
            } if item.is_some() && prop.is_none() => prop = Some((Some(name.clone()), *span)),
            Arg::Positional { span, .. } | Arg::Named { span, .. } | Arg::Where { span, .. } => {
                return usage(*span)
            }
        }
    }
    match (item, prop) {
        (Some((item, span)), Some((Some(prop), _))) => Ok((item, span, prop)),
        (_, Some((None, span))) => err(span, "get: the property is a name (get ITEM PROPERTY)"),
        _ => usage(c.span),
    }
}

/// A property name written as a word or a string.
fn plain(e: &Expr) -> Option<String> {
    match e {
        Expr::Word(w) | Expr::Str(w) => Some(w.clone()),
        _ => None,
    }
}

/// The one item a `get` selects.
fn one_of(selected: Vec<usize>, span: Span) -> Result<usize, Error> {
    match selected.as_slice() {
        [i] => Ok(*i),
        [] => err(span, "get: no such item"),
        more => err(
            span,
            format!("get takes one item, not {} (use :foreach)", more.len()),
        ),
    }
}

/// `true`/`false` as booleans and whole numbers as numbers; the rest as text.
fn typed(t: String) -> Value {
    match t.as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => match t.parse::<i64>() {
            Ok(n) if n.to_string() == t => Value::Num(n),
            _ => Value::Str(t),
        },
    }
}
