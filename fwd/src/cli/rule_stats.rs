//! `print stats`, `reset-counters` and `reset-counters-all` in `/ip/firewall/mangle` and
//! `/ip/firewall/nat`: the packets and bytes each rule matched, as RouterOS prints them.

use super::items::{flags, item_or_id_matches, item_or_id_text, json_props};
use super::{err, eval_cond, grouped, Error, IdList, Session};
use crate::firewall::{Item, MANGLE, NAT};
use crate::rib::view::{json_array, render_table, Row};
use crate::ros::Command;
use std::fmt::Write;

/// The legend RouterOS prints above firewall rules.
const LEGEND: &str = "Flags: X - disabled, I - invalid; D - dynamic";

/// Whether `c` is about the rule counters of `menu`.
pub(super) fn is_stats_command(c: &Command, menu: &str) -> bool {
    (menu == MANGLE || menu == NAT)
        && match c.verb.as_str() {
            "print" => c.has_flag("stats"),
            "reset-counters" | "reset-counters-all" => true,
            _ => false,
        }
}

impl Session<'_> {
    /// A rule counters command (see [`is_stats_command`]) on `list`, the script's working
    /// copy of the menu's items; `in_force` are the items the counters are for (an item the
    /// script changed has counted nothing yet).
    pub(super) fn rule_stats_command<T: Item + Clone + PartialEq>(
        &mut self,
        c: &Command,
        menu: &str,
        list: &[T],
        in_force: &[T],
        ids: &IdList,
    ) -> Result<(), Error> {
        let selected = match c.verb.as_str() {
            "print" => return self.print_rule_stats(c, menu, list, in_force, ids),
            "reset-counters-all" if !c.args.is_empty() => {
                return err(c.span, "reset-counters-all takes no argument")
            }
            "reset-counters-all" => (0..list.len()).collect(),
            _ => self.select_items(c, list, ids)?,
        };
        let items = selected
            .into_iter()
            .filter(|&i| in_force.get(i) == list.get(i))
            .map(|i| i as u64)
            .collect();
        self.out.rule_resets.push((menu.to_string(), items));
        Ok(())
    }

    fn print_rule_stats<T: Item + Clone + PartialEq>(
        &mut self,
        c: &Command,
        menu: &str,
        list: &[T],
        in_force: &[T],
        ids: &IdList,
    ) -> Result<(), Error> {
        super::check_print_args(c, &["stats", "count-only"])?;
        let counts = self.env.rule_counts(menu).unwrap_or_default();
        let mut shown = Vec::new();
        for (i, it) in list.iter().enumerate() {
            let [packets, bytes] = match counts.get(i) {
                Some(&n) if in_force.get(i) == Some(it) => n,
                _ => [0, 0],
            };
            let keep = match c.where_cond() {
                Some(cond) => eval_cond(
                    cond,
                    &|p, v| match p {
                        "bytes" => Ok(v == bytes.to_string()),
                        "packets" => Ok(v == packets.to_string()),
                        _ => item_or_id_matches(it, ids.id(i), p, v),
                    },
                    &|p| match p {
                        "bytes" => Some(bytes.to_string()),
                        "packets" => Some(packets.to_string()),
                        _ => item_or_id_text(it, ids.id(i), p),
                    },
                )?,
                None => true,
            };
            if keep {
                shown.push((i, it, packets, bytes));
            }
        }
        let mut out = String::new();
        if c.has_flag("count-only") {
            let _ = writeln!(out, "{}", shown.len());
        } else if self.json {
            out = json_array(&shown, |&(i, it, packets, bytes)| {
                let mut v = json_props(ids.id(i), it);
                v.push(("bytes", bytes.to_string()));
                v.push(("packets", packets.to_string()));
                v
            });
            out.push('\n');
        } else {
            out.push_str(LEGEND);
            out.push('\n');
            let rows: Vec<Row> = shown
                .iter()
                .map(|&(i, it, packets, bytes)| {
                    let props = it.properties();
                    let get = |k: &str| props.iter().find(|p| p.0 == k).map(|p| p.1.clone());
                    Row {
                        number: Some(i),
                        flags: flags(it),
                        comment: get("comment"),
                        cells: vec![
                            get("chain").unwrap_or_default(),
                            get("action").unwrap_or_default(),
                            grouped(bytes),
                            grouped(packets),
                        ],
                    }
                })
                .collect();
            let titles = [
                ("CHAIN", false),
                ("ACTION", false),
                ("BYTES", true),
                ("PACKETS", true),
            ];
            render_table(&mut out, &titles, &rows, true);
        }
        self.out.output.push_str(&out);
        Ok(())
    }
}
