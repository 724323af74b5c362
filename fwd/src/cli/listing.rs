//! Read-only menus printed as tables: `/ip/address`, `/ip/arp`, `/interface/ethernet`.

use super::{err, eval_cond, Error, Session};
use crate::rib::view::{json_array, render_table, Row};
use crate::ros::Command;

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
}

impl Session<'_> {
    pub(super) fn print_listing(&mut self, c: &Command, listing: Listing) -> Result<(), Error> {
        super::check_print_args(c, &["count-only", "detail"])?;
        let mut rows = Vec::new();
        for r in listing.rows {
            let keep = match c.where_cond() {
                Some(cond) => eval_cond(cond, &|p, v| r.matches(p, v))?,
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

    pub(super) fn listing_command(&mut self, c: &Command, menu: &str) -> Result<(), Error> {
        match (c.verb.as_str(), self.env.listing(menu)) {
            ("print", Some(l)) => self.print_listing(c, l),
            (verb, Some(_)) => err(
                c.span,
                format!("{menu} {verb} is not supported yet (this menu is read-only here: print)"),
            ),
            (_, None) => err(c.span, format!("{menu} is not available")),
        }
    }
}
