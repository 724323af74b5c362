//! The mangle `output` chain for the echo requests the router originates (`/ping`, netwatch
//! probes): RouterOS routes a router-originated packet by the routing mark that chain gives
//! it, e.g. `chain=output dst-address=192.0.2.1 action=mark-routing new-routing-mark=to_wan2`
//! to watch a far host through one WAN.
//!
//! The router's own traffic is not connection-tracked here (the workers track forwarded
//! connections; what reaches the router goes to the control core untracked), so the chain
//! sees every such packet as a new connection without a connection mark: rules on
//! `connection-mark=no-mark`, addresses, protocol and ports match as RouterOS would match the
//! first packet; the guide's `connection-mark=wan1_conn` rules never match, as in RouterOS
//! for a connection the router opens itself. Only the routing mark has an effect; connection
//! and packet marks have nothing to stay on. The rules these packets match count them, as
//! RouterOS does (`print stats`, metrics): the control core keeps those counts itself
//! (`RuleBase::own`), beside the workers' counts of forwarded traffic.

use super::Control;
use crate::firewall::{Hook, Meta};
use crate::flow::{ConnState, FlowKey, NO_PORT};
use crate::packet::ipv4::PROTO_ICMP;
use crate::rib::Target;
use crate::stateful::addr_type;
use std::net::Ipv4Addr;

impl Control {
    /// The routing table (an index of `Rib::tables`) an echo request with identifier `ident`
    /// to `dst` leaves by: the output chain's routing mark when a rule gives one, else `table`
    /// (the table asked for; main by default). The source the chain sees is `src`, or the
    /// address the router would send from by `table`'s route.
    pub(super) fn output_table(
        &mut self,
        table: usize,
        dst: u32,
        src: Option<Ipv4Addr>,
        ident: u16,
    ) -> usize {
        if !self.snap.rules.has_mangle(Hook::Output) {
            return table;
        }
        let src = src
            .or_else(|| self.source_by(table, dst))
            .map_or(0, u32::from);
        let t = self.snap.tables();
        let key = FlowKey {
            src,
            dst,
            sport: ident,
            dport: 0,
            proto: PROTO_ICMP,
        };
        let mut m = Meta {
            in_port: NO_PORT,
            out_port: NO_PORT,
            key,
            src_type: addr_type(&t, src),
            dst_type: addr_type(&t, dst),
            state: ConnState::New,
            conn_mark: 0,
            routing_mark: 0,
            packet_mark: 0,
        };
        let rules = &self.snap.rules;
        let own = &mut self.rule_base.own;
        own.resize(rules.mangle_len(), [0; 2]);
        let mut matched = crate::firewall::Matched::default();
        let bytes = crate::local::icmp::ECHO_FRAME_LEN as u64;
        let mut hits = crate::firewall::Hits::new(own, bytes, &mut matched);
        rules.mangle(Hook::Output, &mut m, &mut hits);
        match m.routing_mark {
            0 => table,
            mark => usize::from(mark),
        }
    }

    /// The address the router sends from toward `dst` by routing table `table` (falling back
    /// to main, as routing does).
    fn source_by(&self, table: usize, dst: u32) -> Option<Ipv4Addr> {
        let (port, peer) = match self
            .route_in(table, dst)
            .or_else(|| self.route_in(0, dst))?
        {
            Target::Gateway(port, nh) => (port, nh),
            Target::Connected(port) => (port, dst),
            Target::Local => return None,
        };
        self.ports
            .get(usize::from(port))?
            .source_for(Ipv4Addr::from(peer))
    }
}
