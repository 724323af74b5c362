//! `[find ...]` as a value (`:foreach i in=[find ...]`, `:local ids [find ...]`): the
//! `*ID`s of the menu's items that match, in print order, as RouterOS gives them.

use super::{err, Error, Session, IP_ROUTE};
use crate::config::{IP_ADDRESS, ROUTING_TABLE};
use crate::firewall::{Item, INTERFACE_LIST, INTERFACE_LIST_MEMBER, MANGLE, NAT};
use crate::netwatch::NETWATCH;
use crate::rib::view::format_id;
use crate::ros::Command;

impl Session<'_> {
    /// The `*ID`s of the items of `c`'s menu that `c` (a `find`) matches.
    pub(super) fn find_ids(&self, c: &Command) -> Result<Vec<String>, Error> {
        let menu = c.menu();
        let i = &self.items;
        match menu.as_str() {
            IP_ROUTE => {
                let mut out = Vec::new();
                for v in self.route_views() {
                    if super::route::find_matches(self, c, &v)? {
                        out.push(format_id(v.id));
                    }
                }
                Ok(out)
            }
            IP_ADDRESS => self.find_in(c, &menu, &i.addresses),
            ROUTING_TABLE => self.find_in(c, &menu, &i.routing_tables),
            INTERFACE_LIST => self.find_in(c, &menu, &i.interface_lists),
            INTERFACE_LIST_MEMBER => self.find_in(c, &menu, &i.interface_list_members),
            MANGLE => self.find_in(c, &menu, &i.mangle),
            NAT => self.find_in(c, &menu, &i.nat),
            NETWATCH => self.find_in(c, &menu, &i.netwatch),
            _ => err(
                c.span,
                format!(
                    "[find] as a value is not supported in {menu} (it is in {IP_ROUTE}, \
                     {IP_ADDRESS}, {ROUTING_TABLE}, {INTERFACE_LIST}, {INTERFACE_LIST_MEMBER}, \
                     {MANGLE}, {NAT}, {NETWATCH})"
                ),
            ),
        }
    }

    fn find_in<T: Item + Clone>(
        &self,
        c: &Command,
        menu: &str,
        list: &[T],
    ) -> Result<Vec<String>, Error> {
        let ids = self.items.ids.get(menu, list.len());
        let mut out = Vec::new();
        for (k, it) in list.iter().enumerate() {
            if self.find_item(c, it, ids.id(k))? {
                out.push(format_id(ids.id(k) as usize));
            }
        }
        Ok(out)
    }
}
