//! `/tool/netwatch print`: the items with the status the control core keeps for them.
//! The other verbs are the generic item menu's (see `items`).

use super::items::{detail_entry, flags, item_or_id_matches, item_or_id_text};
use super::{eval_cond, Error, Session};
use crate::firewall::Item;
use crate::netwatch::{NetwatchItem, StatusView, NETWATCH};
use crate::rib::view::{format_id, json_array, render_table, Row};
use crate::ros::Command;
use std::fmt::Write;

/// The status properties, after the item's own.
fn status_props(s: &StatusView) -> Vec<(&'static str, String)> {
    vec![
        ("status", s.status.name().to_string()),
        ("since", s.since.clone()),
        ("done-tests", s.done_tests.to_string()),
        ("failed-tests", s.failed_tests.to_string()),
    ]
}

fn matches(
    it: &NetwatchItem,
    id: u32,
    s: &StatusView,
    prop: &str,
    value: &str,
) -> Result<bool, String> {
    match status_props(s).into_iter().find(|p| p.0 == prop) {
        Some((_, v)) => Ok(v == value),
        None if prop == "type" => Ok(value == "icmp"),
        None => item_or_id_matches(it, id, prop, value),
    }
}

impl Session<'_> {
    pub(super) fn print_netwatch(&mut self, c: &Command) -> Result<(), Error> {
        super::check_print_args(c, &["detail", "count-only", "terse"])?;
        let mut shown = Vec::new();
        let ids = self.items.ids.get(NETWATCH, self.items.netwatch.len());
        for (i, it) in self.items.netwatch.iter().enumerate() {
            let s = self.env.netwatch_status(it).unwrap_or_default();
            let id = ids.id(i);
            let keep = match c.where_cond() {
                Some(cond) => {
                    eval_cond(
                        cond,
                        &|p, v| matches(it, id, &s, p, v),
                        &|p| match status_props(&s).into_iter().find(|q| q.0 == p) {
                            Some((_, v)) => Some(v),
                            None if p == "type" => Some("icmp".into()),
                            None => item_or_id_text(it, id, p),
                        },
                    )?
                }
                None => true,
            };
            if keep {
                shown.push((i, it, s));
            }
        }
        let mut out = String::new();
        if c.has_flag("count-only") {
            let _ = writeln!(out, "{}", shown.len());
        } else if self.json {
            out = json_array(&shown, |(i, it, s)| {
                let mut v = vec![(".id", format_id(ids.id(*i) as usize))];
                v.extend(it.properties().into_iter().filter(|p| p.0 != "disabled"));
                v.push(("type", "icmp".into()));
                v.push(("disabled", it.disabled.to_string()));
                v.extend(status_props(s));
                v
            });
            out.push('\n');
        } else if c.has_flag("detail") {
            out.push_str("Flags: X - disabled\n");
            let w = shown.len().saturating_sub(1).to_string().len().max(2);
            for (i, it, s) in &shown {
                let mut props: Vec<(&str, String)> = vec![("type", "icmp".into())];
                props.extend(it.properties());
                props.extend(status_props(s));
                detail_entry(&mut out, *i, w, &flags(*it), it.comment.as_ref(), &props);
            }
        } else {
            out.push_str("Flags: X - disabled\n");
            let rows: Vec<Row> = shown
                .iter()
                .map(|(i, it, s)| Row {
                    number: Some(*i),
                    flags: flags(*it),
                    comment: it.comment.clone(),
                    cells: vec![
                        it.host.map(|h| h.to_string()).unwrap_or_default(),
                        "icmp".into(),
                        crate::config::format_duration(it.interval),
                        s.status.name().into(),
                        s.since.clone(),
                    ],
                })
                .collect();
            render_table(
                &mut out,
                &[
                    ("HOST", false),
                    ("TYPE", false),
                    ("INTERVAL", false),
                    ("STATUS", false),
                    ("SINCE", false),
                ],
                &rows,
                true,
            );
        }
        self.out.output.push_str(&out);
        Ok(())
    }
}
