//! Settings menus, one item each without numbers: `/ip/settings`, `/routing/settings` and
//! `/ip/firewall/connection/tracking`, with `print` and `set name=value`. Properties go through
//! the item's `set`, the parser the YAML configuration uses; an unknown one is refused.

use super::{err, Error, Items, Session};
use crate::firewall::Item;
use crate::rib::view::json_object;
use crate::ros::{Arg, Command};
use std::fmt::Write;

impl Session<'_> {
    /// `print` and `set` of the settings `get` picks; `check(old, new)` may refuse a change
    /// that cannot be made live.
    pub(super) fn settings_command<T: Item + Clone>(
        &mut self,
        c: &Command,
        menu: &str,
        get: fn(&mut Items) -> &mut T,
        check: fn(&T, &T) -> Result<(), String>,
    ) -> Result<(), Error> {
        match c.verb.as_str() {
            "print" => {
                super::check_print_args(c, &[])?;
                let mut props = get(&mut self.items).properties();
                props.extend(self.env.settings_status(menu));
                self.print_properties(&props);
                Ok(())
            }
            "set" => {
                let old = get(&mut self.items).clone();
                let mut t = old.clone();
                for a in &c.args {
                    match a {
                        Arg::Named { .. } => self.set_arg(&mut t, a)?,
                        Arg::Positional { span, .. } | Arg::Where { span, .. } => {
                            return err(*span, "set takes only name=value properties here")
                        }
                    }
                }
                check(&old, &t).map_err(|m| Error {
                    span: c.span,
                    message: m,
                })?;
                *get(&mut self.items) = t;
                self.items_changed = Some(c.span);
                Ok(())
            }
            verb => err(c.span, format!("no such command '{verb}' in {menu}")),
        }
    }

    /// `/system/resource print`: read-only properties of the router.
    pub(super) fn print_resource(&mut self, c: &Command) -> Result<(), Error> {
        super::check_print_args(c, &[])?;
        let props = self.env.resource();
        if props.is_empty() {
            return err(
                c.span,
                "/system/resource is not available (no router to describe)",
            );
        }
        self.print_properties(&props);
        Ok(())
    }

    /// One `name: value` line per property, names right-aligned (a JSON object with `--json`).
    fn print_properties(&mut self, props: &[(&'static str, String)]) {
        if self.json {
            json_object(&mut self.out.output, props);
            self.out.output.push('\n');
        } else {
            let w = props.iter().map(|p| p.0.len()).max().unwrap_or(0);
            for (k, v) in props {
                let _ = writeln!(self.out.output, "{k:>w$}: {v}");
            }
        }
    }
}
