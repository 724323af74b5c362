//! Menus the daemon lists (printed as tables): `/ip/arp`, `/interface` and
//! `/interface/ethernet` (with `print stats`, their traffic counters), `/log`, and
//! `/ip/firewall/connection` (whose items `remove` acts on).

use super::{err, eval_cond, Error, Session};
use crate::rib::view::{json_array, render_table, Row};
use crate::ros::{Arg, Command, Expr};

/// Listed menus whose items `remove` acts on.
const REMOVABLE: &[&str] = &["/ip/firewall/connection", "/system/script/job"];
/// Listed menus with counters that `reset-counters` and `reset-counters-all` zero (the
/// interfaces: the handle of an item is its port).
const COUNTED: &[&str] = &["/interface", "/interface/ethernet"];

/// A menu's items as the daemon has them: a flags legend, columns, and per item its flags,
/// its cells and its properties (for `where` and JSON).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub legend: Option<&'static str>,
    /// Column title, and whether it is numeric (right-aligned).
    pub columns: Vec<(&'static str, bool)>,
    pub rows: Vec<ListRow>,
}

#[derive(Clone, Debug, Default)]
pub struct ListRow {
    pub flags: String,
    pub cells: Vec<String>,
    /// RouterOS property names and values; flags as "true"/"false".
    pub props: Vec<(&'static str, String)>,
    /// What the daemon needs to act on the item (`remove`): opaque to the evaluator.
    pub handle: u64,
}

impl ListRow {
    fn matches(&self, prop: &str, value: &str) -> Result<bool, String> {
        match self.props.iter().find(|(k, _)| *k == prop) {
            Some((_, v)) => Ok(v == value
                || (value == "yes" && v == "true")
                || (value == "no" && v == "false")),
            None => Err(format!("unknown property '{prop}'")),
        }
    }

    /// Whether the row meets a `where` condition (`~` on a property's text included).
    fn meets(&self, cond: &crate::ros::Cond) -> Result<bool, Error> {
        eval_cond(cond, &|p, v| self.matches(p, v), &|p| {
            self.props
                .iter()
                .find(|(k, _)| *k == p)
                .map(|(_, v)| v.clone())
        })
    }
}

impl Session<'_> {
    pub(super) fn print_listing(&mut self, c: &Command, listing: Listing) -> Result<(), Error> {
        super::check_print_args(c, &["count-only", "detail", "stats"])?;
        let mut rows = Vec::new();
        for r in listing.rows {
            let keep = match c.where_cond() {
                Some(cond) => r.meets(cond)?,
                None => true,
            };
            if keep {
                rows.push(r);
            }
        }
        if c.has_flag("count-only") {
            self.out.output.push_str(&format!("{}\n", rows.len()));
        } else if self.json {
            self.out.output.push_str(&json_array(&rows, |r| {
                let mut v: Vec<(&'static str, String)> = r.props.clone();
                v.sort_by(|a, b| a.0.cmp(b.0));
                v
            }));
        } else {
            let mut out = String::new();
            if let Some(l) = listing.legend {
                out.push_str(l);
                out.push('\n');
            }
            let table: Vec<Row> = rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| Row {
                    number: Some(i),
                    flags: r.flags,
                    comment: None,
                    cells: r.cells,
                })
                .collect();
            render_table(&mut out, &listing.columns, &table, listing.legend.is_some());
            self.out.output.push_str(&out);
        }
        Ok(())
    }

    /// `remove` on a menu whose items the daemon can remove (connections): the selected
    /// items' handles go into the outcome, applied once the whole script has succeeded.
    fn remove_listed(&mut self, c: &Command, menu: &str, listing: Listing) -> Result<(), Error> {
        let handles = self.selected(c, &listing)?;
        self.out.removals.push((menu.to_string(), handles));
        Ok(())
    }

    /// The handles of the items a command selects with `[find ...]` or numbers.
    fn selected(&self, c: &Command, listing: &Listing) -> Result<Vec<u64>, Error> {
        let verb = &c.verb;
        let mut handles = Vec::new();
        let mut any = false;
        for a in &c.args {
            match a {
                Arg::Positional {
                    value: Expr::Sub(find),
                    ..
                } if find.verb == "find" => {
                    any = true;
                    for r in &listing.rows {
                        if self.find_row(find, r)? {
                            handles.push(r.handle);
                        }
                    }
                }
                Arg::Positional {
                    value: Expr::Num(n),
                    span,
                } => {
                    any = true;
                    match usize::try_from(*n).ok().and_then(|i| listing.rows.get(i)) {
                        Some(r) => handles.push(r.handle),
                        None => return err(*span, format!("no such item {n}")),
                    }
                }
                Arg::Positional { span, .. } => {
                    return err(*span, "select items with [find ...] or a number")
                }
                Arg::Named { name, span, .. } => {
                    return err(*span, format!("{verb} takes no property '{name}'"))
                }
                _ => {}
            }
        }
        if !any {
            return err(
                c.span,
                format!("{verb} needs the items to act on ([find ...] or numbers)"),
            );
        }
        Ok(handles)
    }

    /// Whether a listed item matches a `find`: `name=value` arguments and `where`.
    fn find_row(&self, find: &Command, r: &ListRow) -> Result<bool, Error> {
        for a in &find.args {
            let ok = match a {
                Arg::Named { name, value, span } => {
                    let want = match value {
                        Some(v) => self.text(v, *span)?,
                        None => "yes".to_string(),
                    };
                    r.matches(name, &want).map_err(|m| Error {
                        span: *span,
                        message: m,
                    })?
                }
                Arg::Where { cond, .. } => r.meets(cond)?,
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

    pub(super) fn listing_command(&mut self, c: &Command, menu: &str) -> Result<(), Error> {
        if c.verb == "print" && c.has_flag("stats") {
            return match self.env.stats_listing(menu) {
                Some(l) => self.print_listing(c, l),
                None => err(c.span, format!("{menu} has no statistics to print")),
            };
        }
        match (c.verb.as_str(), self.env.listing(menu)) {
            ("print", Some(l)) => self.print_listing(c, l),
            ("reset-counters", Some(l)) if COUNTED.contains(&menu) => {
                let handles = self.selected(c, &l)?;
                self.out.counter_resets.extend(handles);
                Ok(())
            }
            ("reset-counters-all", Some(l)) if COUNTED.contains(&menu) => {
                if !c.args.is_empty() {
                    return err(c.span, "reset-counters-all takes no argument");
                }
                self.out
                    .counter_resets
                    .extend(l.rows.iter().map(|r| r.handle));
                Ok(())
            }
            ("remove", Some(l)) if REMOVABLE.contains(&menu) => self.remove_listed(c, menu, l),
            (verb, Some(_)) => err(
                c.span,
                format!("{menu} {verb} is not supported yet (this menu is read-only here: print)"),
            ),
            (_, None) => err(c.span, format!("{menu} is not available")),
        }
    }
}

/// `n` with a space between groups of three digits ("1 234 567"), as RouterOS prints
/// counters.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}
