//! `/ip/address print`: the items with the flags RouterOS shows (X disabled, I invalid: on
//! an interface whose link is down). The other verbs are the generic item menu's (see
//! `items`); the control core recomputes the connected routes and the addresses the workers
//! answer for and masquerade with when a script changes them.

use super::items::{detail_entry, item_or_id_matches, item_or_id_text};
use super::{eval_cond, Error, Session};
use crate::config::{AddressItem, IP_ADDRESS};
use crate::firewall::Item;
use crate::rib::view::{format_id, json_array, render_table, Row};
use crate::ros::Command;
use std::fmt::Write;

impl Session<'_> {
    fn address_invalid(&self, it: &AddressItem) -> bool {
        !it.disabled && self.env.link_down(&it.interface)
    }

    fn address_matches(
        &self,
        it: &AddressItem,
        id: u32,
        prop: &str,
        value: &str,
    ) -> Result<bool, String> {
        let yes = |b: bool| matches!((value, b), ("yes" | "true", true) | ("no" | "false", false));
        match prop {
            "invalid" => Ok(yes(self.address_invalid(it))),
            "dynamic" => Ok(yes(false)),
            _ => item_or_id_matches(it, id, prop, value),
        }
    }

    pub(super) fn print_addresses(&mut self, c: &Command) -> Result<(), Error> {
        super::check_print_args(c, &["detail", "count-only", "terse"])?;
        let mut shown = Vec::new();
        let ids = self.items.ids.get(IP_ADDRESS, self.items.addresses.len());
        for (i, it) in self.items.addresses.iter().enumerate() {
            let id = ids.id(i);
            let keep =
                match c.where_cond() {
                    Some(cond) => eval_cond(
                        cond,
                        &|p, v| self.address_matches(it, id, p, v),
                        &|p| match p {
                            "invalid" => Some(self.address_invalid(it).to_string()),
                            "dynamic" => Some("false".into()),
                            _ => item_or_id_text(it, id, p),
                        },
                    )?,
                    None => true,
                };
            if keep {
                shown.push((i, it, self.address_invalid(it)));
            }
        }
        let flags = |it: &AddressItem, invalid: bool| {
            format!(
                "{}{}",
                if it.disabled { "X" } else { "" },
                if invalid { "I" } else { "" }
            )
        };
        let mut out = String::new();
        if c.has_flag("count-only") {
            let _ = writeln!(out, "{}", shown.len());
        } else if self.json {
            out = json_array(&shown, |(i, it, invalid)| {
                let mut v = vec![(".id", format_id(ids.id(*i) as usize))];
                v.extend(it.properties().into_iter().filter(|p| p.0 != "disabled"));
                v.push(("disabled", it.disabled.to_string()));
                v.push(("dynamic", "false".into()));
                v.push(("invalid", invalid.to_string()));
                v.sort_by(|a, b| a.0.cmp(b.0));
                v
            });
            out.push('\n');
        } else if c.has_flag("detail") {
            out.push_str("Flags: X - disabled, I - invalid; D - dynamic\n");
            let w = shown.len().saturating_sub(1).to_string().len().max(2);
            for (i, it, invalid) in &shown {
                let props = it.properties();
                let f = flags(it, *invalid);
                detail_entry(&mut out, *i, w, &f, it.comment.as_ref(), &props);
            }
        } else {
            out.push_str("Flags: X - DISABLED, I - INVALID\n");
            let rows: Vec<Row> = shown
                .iter()
                .map(|(i, it, invalid)| Row {
                    number: Some(*i),
                    flags: flags(it, *invalid),
                    comment: it.comment.clone(),
                    cells: vec![
                        it.address.to_string(),
                        it.network_shown().to_string(),
                        it.interface.clone(),
                    ],
                })
                .collect();
            render_table(
                &mut out,
                &[("ADDRESS", false), ("NETWORK", false), ("INTERFACE", false)],
                &rows,
                true,
            );
        }
        self.out.output.push_str(&out);
        Ok(())
    }
}
