//! Which group of each path list is in force, given the gateways' states: the lowest
//! distance with a usable member (RouterOS's selection), whose usable members form the ECMP
//! group. Computed per path list, never per route.

use super::{Member, PathListId, Rib, Target};

/// A path list's current choice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    /// The distance of the group in force, if any.
    pub distance: Option<u8>,
    /// Where traffic goes: the group's usable members, resolved down to targets, sorted.
    pub targets: Vec<Target>,
}

/// Selects every path list. `usable` says whether a member's own check passes (true for
/// unchecked members) and, for a direct member, whether its port is usable.
pub fn select(rib: &Rib, usable: &dyn Fn(&Member) -> bool) -> Vec<Selected> {
    let mut out: Vec<Option<Selected>> = vec![None; rib.pathlists.len()];
    let mut visiting = vec![false; rib.pathlists.len()];
    for id in 0..rib.pathlists.len() {
        eval(rib, id as PathListId, usable, &mut out, &mut visiting);
    }
    out.into_iter().map(|s| s.unwrap_or_default()).collect()
}

fn eval(
    rib: &Rib,
    id: PathListId,
    usable: &dyn Fn(&Member) -> bool,
    out: &mut Vec<Option<Selected>>,
    visiting: &mut Vec<bool>,
) -> Selected {
    let i = id as usize;
    if let Some(s) = &out[i] {
        return s.clone();
    }
    if visiting[i] {
        // A cycle through recursive gateways carries no traffic.
        return Selected::default();
    }
    visiting[i] = true;
    let mut chosen = Selected::default();
    for (distance, members) in &rib.pathlists[i].groups {
        let mut targets = Vec::new();
        for m in members {
            if !usable(m) {
                continue;
            }
            match *m {
                Member::Direct { target, .. } => targets.push(target),
                Member::Recursive { via, .. } => {
                    targets.extend(eval(rib, via, usable, out, visiting).targets)
                }
            }
        }
        if !targets.is_empty() {
            targets.sort_unstable();
            targets.dedup();
            chosen = Selected {
                distance: Some(*distance),
                targets,
            };
            break;
        }
    }
    visiting[i] = false;
    out[i] = Some(chosen.clone());
    chosen
}

impl Rib {
    /// Whether route `i` is in force: its prefix's selected group is at its distance and one
    /// of its own members is usable. `sel` is `select`'s result.
    pub fn route_active(
        &self,
        i: usize,
        sel: &[Selected],
        usable: &dyn Fn(&Member) -> bool,
    ) -> bool {
        let r = &self.routes[i];
        let Some(pl) = r.pathlist else { return false };
        if sel[pl as usize].distance != Some(r.distance) {
            return false;
        }
        r.members.iter().any(|m| {
            usable(m)
                && match *m {
                    Member::Direct { .. } => true,
                    Member::Recursive { via, .. } => !sel[via as usize].targets.is_empty(),
                }
        })
    }
}
