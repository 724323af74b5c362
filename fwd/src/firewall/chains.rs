//! Grouping rules into chains, resolving jump targets, and refusing loops.

use super::compile::{err, RuleError, MAX_JUMP_DEPTH};
use super::rules::{Chain, Match, Rule, Step, Table};

pub(super) struct Entry<'a, A> {
    pub index: usize,
    pub chain: &'a str,
    /// `Some` for a jump rule, with its target if given.
    pub jump: Option<Option<&'a str>>,
    pub disabled: bool,
    pub matchers: Box<[Match]>,
    pub step: Step<A>,
}

pub(super) fn build<A: Copy>(
    menu: &'static str,
    builtins: &[&str],
    entries: Vec<Entry<A>>,
    items: usize,
) -> Result<Table<A>, RuleError> {
    // Chains in order of first appearance; every named chain exists, even if all its rules
    // are disabled.
    let mut names: Vec<&str> = Vec::new();
    for en in &entries {
        if en.chain.is_empty() {
            return Err(err(menu, en.index, "chain", "chain is required".into()));
        }
        if !names.contains(&en.chain) {
            names.push(en.chain);
        }
    }
    // A jump to a chain that has no rules is allowed, as in RouterOS (its rules may come
    // later, from another command): the chain exists, empty, and the jump returns at once.
    for en in &entries {
        if let Some(Some(t)) = en.jump {
            if !builtins.contains(&t) && !names.contains(&t) {
                names.push(t);
            }
        }
    }
    let chain_of = |n: &str| names.iter().position(|c| *c == n);
    // Jump targets, and the jump graph between chains.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    let mut targets = Vec::with_capacity(entries.len());
    for en in &entries {
        let Some(jump) = en.jump else {
            targets.push(None);
            continue;
        };
        let e = |msg| err(menu, en.index, "jump-target", msg);
        let t = jump.ok_or_else(|| e("action=jump needs jump-target".to_string()))?;
        if builtins.contains(&t) {
            return Err(e(format!("cannot jump to the built-in chain '{t}'")));
        }
        let ti = chain_of(t).expect("every jump target is a chain");
        if !en.disabled {
            edges[chain_of(en.chain).expect("listed")].push(ti);
        }
        targets.push(Some(ti));
    }
    // Loops and depth: the longest path from each chain, by depth-first search.
    let mut depth: Vec<Option<usize>> = vec![None; names.len()];
    let mut on_path = vec![false; names.len()];
    fn visit(
        c: usize,
        edges: &[Vec<usize>],
        depth: &mut [Option<usize>],
        on_path: &mut [bool],
    ) -> Result<usize, usize> {
        if let Some(d) = depth[c] {
            return Ok(d);
        }
        on_path[c] = true;
        let mut d = 0;
        for &t in &edges[c] {
            if on_path[t] {
                return Err(t);
            }
            d = d.max(1 + visit(t, edges, depth, on_path)?);
        }
        on_path[c] = false;
        depth[c] = Some(d);
        Ok(d)
    }
    for c in 0..names.len() {
        match visit(c, &edges, &mut depth, &mut on_path) {
            Ok(d) if d > MAX_JUMP_DEPTH => {
                let en = entries
                    .iter()
                    .find(|en| en.chain == names[c] && en.jump.is_some())
                    .expect("a jump");
                return Err(err(
                    menu,
                    en.index,
                    "jump-target",
                    format!(
                        "jumps from chain '{}' nest {d} deep (at most {MAX_JUMP_DEPTH})",
                        names[c]
                    ),
                ));
            }
            Ok(_) => {}
            Err(t) => {
                let en = entries
                    .iter()
                    .find(|en| !en.disabled && en.jump == Some(Some(names[t])))
                    .expect("the edge into the loop");
                return Err(err(
                    menu,
                    en.index,
                    "jump-target",
                    format!(
                        "jumping to '{}' makes a loop (chain '{}' is reached again)",
                        names[t], names[t]
                    ),
                ));
            }
        }
    }
    // Rules grouped by chain, in item order within each.
    let mut table = Table::empty(items);
    for (ci, name) in names.iter().enumerate() {
        let start = table.rules.len() as u32;
        for (en, t) in entries.iter().zip(&targets) {
            if en.chain != *name || en.disabled {
                continue;
            }
            let step = match (en.step, t) {
                (Step::Jump(_), Some(t)) => Step::Jump(*t as u32),
                (s, _) => s,
            };
            table.rules.push(Rule {
                matchers: en.matchers.clone(),
                step,
                item: en.index as u32,
            });
        }
        let end = table.rules.len() as u32;
        if let Some(b) = builtins.iter().position(|b| b == name) {
            if end > start {
                table.builtin[b] = Some(ci as u32);
            }
        }
        table.chains.push(Chain {
            name: name.to_string(),
            start,
            end,
        });
    }
    Ok(table)
}
