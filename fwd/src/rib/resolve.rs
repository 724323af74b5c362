//! Gateway resolution (least fixed point) and the path lists built from it.

use super::{
    Check, FibEntries, Member, Origin, PathList, PathListId, PortDesc, RouteState, Target, EMPTY,
};
use crate::config::{AddressItem, Gateway, RouteItem};
use crate::net::{mask, Ipv4Prefix};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;

/// RouterOS's scope of connected routes.
pub const CONNECTED_SCOPE: u8 = 10;

/// A gateway as resolved, before path lists exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Raw {
    Direct(Target),
    /// Resolved through the static routes of `prefix` eligible for `ts`.
    Recursive {
        gw: u32,
        prefix: Ipv4Prefix,
        ts: u8,
    },
}

/// A route's gateways as resolved, before path lists exist (one list per route).
pub(super) type Resolution = Vec<Vec<Raw>>;

/// The routes with their resolution (members are filled in by `pathlists`).
pub(super) fn routes(
    ports: &[PortDesc],
    addresses: &[(u16, AddressItem)],
    routes: &[RouteItem],
    tables: &[String],
) -> (Vec<RouteState>, Resolution) {
    let mut states = Vec::new();
    for (port, a) in addresses {
        let usable = !a.disabled && ports[usize::from(*port)].enabled;
        states.push(RouteState {
            dst: a.address.prefix(),
            table: "main".into(),
            origin: Origin::Connected,
            distance: 0,
            scope: CONNECTED_SCOPE,
            target_scope: 0,
            check: Check::None,
            gateway: ports[usize::from(*port)].name.clone(),
            comment: None,
            disabled: a.disabled,
            members: Vec::new(),
            resolved_via: None,
            problem: (!usable && !a.disabled).then(|| "interface disabled".to_string()),
            pathlist: None,
        });
    }
    for r in routes {
        let problem = if r.disabled {
            None
        } else if !tables.contains(&r.routing_table) {
            Some(format!("routing table {} has no FIB", r.routing_table))
        } else {
            Some("gateway not resolved".into())
        };
        states.push(RouteState {
            dst: r.dst_address,
            table: r.routing_table.clone(),
            origin: Origin::Static,
            distance: r.distance,
            scope: r.scope,
            target_scope: r.target_scope,
            check: r.check_gateway.into(),
            gateway: Gateway::format_list(&r.gateway),
            comment: r.comment.clone(),
            disabled: r.disabled,
            members: Vec::new(),
            resolved_via: None,
            problem,
            pathlist: None,
        });
    }
    let n_connected = addresses.len();
    let mut raw: Vec<Vec<Raw>> = vec![Vec::new(); states.len()];
    for (i, (port, a)) in addresses.iter().enumerate() {
        if !a.disabled && ports[usize::from(*port)].enabled {
            raw[i] = vec![Raw::Direct(Target::Connected(*port))];
        }
    }
    let port_named = |name: &str| {
        ports
            .iter()
            .position(|p| p.name == name && p.enabled)
            .map(|p| p as u16)
    };
    // Least fixed point: a route resolves only through routes already resolved, so a loop
    // never resolves and the iteration ends (each round resolves at least one more route).
    loop {
        let index = Index::new(&states, &raw);
        let mut changed = false;
        for (i, r) in routes.iter().enumerate() {
            let si = n_connected + i;
            if !raw[si].is_empty() || r.disabled || !tables.contains(&r.routing_table) {
                continue;
            }
            let found = resolve_gateways(r, si, &index, &states, &port_named);
            if !found.is_empty() {
                raw[si] = found;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // A last pass against the final set, so that each route resolves through the most
    // specific prefix available in the end, not the one that happened to resolve first.
    // A re-pointing that would make the route depend on itself is not taken: the route
    // keeps the resolution the fixed point gave it.
    let index = Index::new(&states, &raw);
    for (i, r) in routes.iter().enumerate() {
        let si = n_connected + i;
        if raw[si].is_empty() {
            continue;
        }
        let better = resolve_gateways(r, si, &index, &states, &port_named);
        let loops = better.iter().any(|m| match *m {
            Raw::Recursive { prefix, ts, .. } => depends_on(prefix, ts, si, &index, &states, &raw),
            Raw::Direct(_) => false,
        });
        if !loops {
            raw[si] = better;
        }
    }
    for (s, r) in states.iter_mut().zip(raw.iter()) {
        if !r.is_empty() {
            s.problem = None;
        }
        s.resolved_via = r.iter().find_map(|m| match m {
            Raw::Recursive { prefix, .. } => Some(*prefix),
            _ => None,
        });
    }
    (states, raw)
}

/// Whether the routes of `prefix` eligible for target-scope `ts` resolve, directly or
/// through others, through route `me`.
fn depends_on(
    prefix: Ipv4Prefix,
    ts: u8,
    me: usize,
    index: &Index,
    states: &[RouteState],
    raw: &[Vec<Raw>],
) -> bool {
    let mut stack = vec![(prefix, ts)];
    let mut seen: HashSet<(Ipv4Prefix, u8)> = HashSet::new();
    while let Some((p, t)) = stack.pop() {
        if !seen.insert((p, t)) {
            continue;
        }
        for &i in index.by_prefix.get(&p).into_iter().flatten() {
            if states[i].scope > t {
                continue;
            }
            if i == me {
                return true;
            }
            for m in &raw[i] {
                if let Raw::Recursive { prefix, ts, .. } = *m {
                    stack.push((prefix, ts));
                }
            }
        }
    }
    false
}

fn resolve_gateways(
    r: &RouteItem,
    me: usize,
    index: &Index,
    states: &[RouteState],
    port_named: &dyn Fn(&str) -> Option<u16>,
) -> Vec<Raw> {
    let mut out = Vec::new();
    for g in &r.gateway {
        let m = match g {
            Gateway::Interface(n) => port_named(n).map(|p| Raw::Direct(Target::Connected(p))),
            Gateway::AddressOnInterface(a, n) => {
                port_named(n).map(|p| Raw::Direct(Target::Gateway(p, (*a).into())))
            }
            Gateway::Address(a) => index.via(*a, r.target_scope, me, states),
        };
        if let Some(m) = m {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// The resolved main-table routes by prefix, for gateway lookups.
struct Index {
    by_prefix: HashMap<Ipv4Prefix, Vec<usize>>,
    /// Prefix lengths present, longest first.
    lengths: Vec<u8>,
    connected_port: HashMap<usize, u16>,
}

impl Index {
    fn new(states: &[RouteState], raw: &[Vec<Raw>]) -> Index {
        let mut by_prefix: HashMap<Ipv4Prefix, Vec<usize>> = HashMap::new();
        let mut connected_port = HashMap::new();
        for (i, s) in states.iter().enumerate() {
            if raw[i].is_empty() || s.table != "main" {
                continue;
            }
            by_prefix.entry(s.dst).or_default().push(i);
            if let (Origin::Connected, Some(Raw::Direct(Target::Connected(p)))) =
                (s.origin, raw[i].first())
            {
                connected_port.insert(i, *p);
            }
        }
        let mut lengths: Vec<u8> = by_prefix
            .keys()
            .map(|p| p.len())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        Index {
            by_prefix,
            lengths,
            connected_port,
        }
    }

    /// Resolves `gw` for a route with target-scope `ts` (excluding the route itself).
    fn via(&self, gw: Ipv4Addr, ts: u8, me: usize, states: &[RouteState]) -> Option<Raw> {
        let a = u32::from(gw);
        for &len in &self.lengths {
            let key = Ipv4Prefix::new(Ipv4Addr::from(a & mask(len)), len).expect("len <= 32");
            let Some(rs) = self.by_prefix.get(&key) else {
                continue;
            };
            let eligible: Vec<usize> = rs
                .iter()
                .copied()
                .filter(|&i| i != me && states[i].scope <= ts)
                .collect();
            if eligible.is_empty() {
                continue;
            }
            // Through a connected route the gateway is on-link; connected routes win over
            // static ones to the same prefix (distance 0).
            if let Some(p) = eligible.iter().find_map(|i| self.connected_port.get(i)) {
                return Some(Raw::Direct(Target::Gateway(*p, a)));
            }
            return Some(Raw::Recursive {
                gw: a,
                prefix: key,
                ts,
            });
        }
        None
    }
}

/// Builds the path lists: one per (table, prefix) for the FIBs, and one per (prefix,
/// target-scope) for recursive gateways, shared when equal. Fills each route's members and
/// path list, and returns the FIB entries per table.
pub(super) fn pathlists(
    states: &mut [RouteState],
    raw: &Resolution,
    tables: &[String],
) -> (Vec<PathList>, FibEntries) {
    let mut b = Builder {
        states,
        raw,
        lists: vec![
            PathList {
                groups: vec![(
                    0,
                    vec![Member::Direct {
                        target: Target::Local,
                        check: Check::None,
                    }],
                )],
            },
            PathList::default(),
        ],
        ids: HashMap::new(),
        memo: HashMap::new(),
        in_progress: HashMap::new(),
        by_table_prefix: BTreeMap::new(),
    };
    for (i, s) in b.states.iter().enumerate() {
        if !raw[i].is_empty() {
            b.by_table_prefix
                .entry((s.table.clone(), s.dst))
                .or_default()
                .push(i);
        }
    }
    let mut fibs: FibEntries = vec![HashMap::new(); tables.len()];
    let keys: Vec<(String, Ipv4Prefix)> = b.by_table_prefix.keys().cloned().collect();
    for (table, prefix) in keys {
        let id = b.build(Key::Fib(table.clone(), prefix));
        if let Some(t) = tables.iter().position(|t| *t == table) {
            fibs[t].insert(prefix, id);
        }
        for &i in &b.by_table_prefix[&(table.clone(), prefix)] {
            b.states[i].pathlist = Some(id);
        }
    }
    // Each route's own members, with recursive ones pointing at their path lists.
    for i in 0..b.states.len() {
        let members = b.members(i);
        b.states[i].members = members;
    }
    (b.lists, fibs)
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Fib(String, Ipv4Prefix),
    Via(Ipv4Prefix, u8),
}

struct Builder<'a> {
    states: &'a mut [RouteState],
    raw: &'a [Vec<Raw>],
    lists: Vec<PathList>,
    ids: HashMap<PathList, PathListId>,
    memo: HashMap<Key, PathListId>,
    /// Keys being built, with their depth on the recursion stack.
    in_progress: HashMap<Key, usize>,
    by_table_prefix: BTreeMap<(String, Ipv4Prefix), Vec<usize>>,
}

/// No key on the stack was reached.
const NO_CYCLE: usize = usize::MAX;

impl Builder<'_> {
    fn build(&mut self, key: Key) -> PathListId {
        self.build_at(key).0.unwrap_or(EMPTY)
    }

    /// Builds the path list of `key`. A recursive member whose path list is being built
    /// further up the stack would route through itself: it is left out. The lowest stack
    /// depth such a cut reached is returned, and a result cut by an ancestor's cycle is not
    /// memoized, since from another starting point the member may be fine (Tarjan's lowlink).
    fn build_at(&mut self, key: Key) -> (Option<PathListId>, usize) {
        if let Some(id) = self.memo.get(&key) {
            return (Some(*id), NO_CYCLE);
        }
        if let Some(&depth) = self.in_progress.get(&key) {
            return (None, depth);
        }
        let depth = self.in_progress.len();
        self.in_progress.insert(key.clone(), depth);
        let routes: Vec<usize> = match &key {
            Key::Fib(t, p) => self
                .by_table_prefix
                .get(&(t.clone(), *p))
                .cloned()
                .unwrap_or_default(),
            Key::Via(p, ts) => self
                .by_table_prefix
                .get(&("main".to_string(), *p))
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|&i| self.states[i].scope <= *ts)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut low = NO_CYCLE;
        let mut groups: BTreeMap<u8, Vec<Member>> = BTreeMap::new();
        for i in routes {
            let d = self.states[i].distance;
            let (ms, l) = self.members_at(i);
            low = low.min(l);
            let g = groups.entry(d).or_default();
            for m in ms {
                if !g.contains(&m) {
                    g.push(m);
                }
            }
        }
        let list = PathList {
            groups: groups.into_iter().filter(|(_, m)| !m.is_empty()).collect(),
        };
        self.in_progress.remove(&key);
        let id = match self.ids.get(&list) {
            Some(id) => *id,
            None => {
                let id = self.lists.len() as PathListId;
                self.ids.insert(list.clone(), id);
                self.lists.push(list);
                id
            }
        };
        if low >= depth {
            self.memo.insert(key, id);
            low = NO_CYCLE;
        }
        (Some(id), low)
    }

    fn members(&mut self, i: usize) -> Vec<Member> {
        self.members_at(i).0
    }

    fn members_at(&mut self, i: usize) -> (Vec<Member>, usize) {
        let check = self.states[i].check;
        let raw = self.raw[i].clone();
        let mut low = NO_CYCLE;
        let mut out = Vec::with_capacity(raw.len());
        for r in raw {
            match r {
                Raw::Direct(target) => out.push(Member::Direct { target, check }),
                Raw::Recursive { gw, prefix, ts } => {
                    let (via, l) = self.build_at(Key::Via(prefix, ts));
                    low = low.min(l);
                    if let Some(via) = via {
                        out.push(Member::Recursive { gw, via, check });
                    }
                }
            }
        }
        (out, low)
    }
}
