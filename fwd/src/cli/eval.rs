//! Expressions and variables: what `$x`, `(...)`, `[/ping ...]` and string interpolation
//! evaluate to, and the plain form of a command that the menus then act on.

use super::job::{format_ping, PingRequest};
use super::value::{arith, compare, Value};
use super::{err, Error, Session};
use crate::ros::{Arg, Command, Cond, Expr, Span, Stmt};

impl Session<'_> {
    /// The value of an expression.
    pub(super) fn value(&self, e: &Expr, span: Span) -> Result<Value, Error> {
        let fail = |m: String| Error { span, message: m };
        Ok(match e {
            Expr::Str(s) | Expr::Word(s) => Value::Str(s.clone()),
            Expr::Num(n) => Value::Num(*n),
            // A script as a value (`up-script={...}`): RouterOS stores its text.
            Expr::Block { source, .. } => Value::Str(source.clone()),
            Expr::Var(name) => self.lookup(name, span)?,
            Expr::Interp(parts) => {
                let mut s = String::new();
                for p in parts {
                    s.push_str(&self.value(p, span)?.to_text());
                }
                Value::Str(s)
            }
            Expr::Sub(c) if is_ping(c) => Value::Num(self.next_ping(c.span)?.received() as i64),
            Expr::Sub(c) if c.verb == "find" => {
                Value::Array(self.find_ids(c)?.into_iter().map(Value::Str).collect())
            }
            Expr::Sub(c) if c.verb == "get" => self.get_value(&self.resolve_command(c)?)?,
            Expr::Sub(c) => {
                return err(
                    c.span,
                    format!(
                        "[{} {}] is not supported as a value (only [/ping ...], [find ...] and [get ...])",
                        c.menu(),
                        c.verb
                    ),
                )
            }
            Expr::Cmp(a, op, b) => {
                let (a, b) = (self.value(a, span)?, self.value(b, span)?);
                Value::Bool(compare(&a, *op, &b).map_err(fail)?)
            }
            Expr::Arith(a, op, b) => {
                let (a, b) = (self.value(a, span)?, self.value(b, span)?);
                arith(&a, *op, &b).map_err(fail)?
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                let and = matches!(e, Expr::And(..));
                let left = self.truth(a, span)?;
                if left == and {
                    Value::Bool(self.truth(b, span)?)
                } else {
                    // Decided by the left side (false && ..., true || ...).
                    self.skip_pings(b);
                    Value::Bool(left)
                }
            }
            Expr::Not(a) => Value::Bool(!self.truth(a, span)?),
            Expr::Call(func, args) => {
                let args = args
                    .iter()
                    .map(|a| self.value(a, span))
                    .collect::<Result<Vec<_>, _>>()?;
                super::funcs::call(*func, args).map_err(fail)?
            }
        })
    }

    fn truth(&self, e: &Expr, span: Span) -> Result<bool, Error> {
        self.value(e, span)?
            .truth()
            .map_err(|m| Error { span, message: m })
    }

    /// Passes over the results of the pings of `e`, which short-circuit leaves unevaluated,
    /// so that the later ones stay in line.
    fn skip_pings(&self, e: &Expr) {
        let mut cmds = Vec::new();
        expr_pings(e, &mut cmds);
        let mut q = self.pings.borrow_mut();
        for _ in 0..cmds.len().min(q.len()) {
            q.pop_front();
        }
    }

    pub(super) fn opt_value(&self, e: Option<&Expr>, span: Span) -> Result<Value, Error> {
        e.map_or(Ok(Value::Nothing), |e| self.value(e, span))
    }

    /// `$name`: the innermost `:local` of that name, else the `:global`.
    fn lookup(&self, name: &str, span: Span) -> Result<Value, Error> {
        for f in self.frames.iter().rev() {
            if let Some((_, v)) = f.locals.iter().find(|(n, _)| n == name) {
                return Ok(v.clone());
            }
        }
        match self.globals.get(name) {
            Some(v) => Ok(v.clone()),
            None => err(
                span,
                format!("no such variable '${name}' (declare it with :local or :global)"),
            ),
        }
    }

    /// `:set name value`.
    pub(super) fn set_var(&mut self, name: &str, v: Value, span: Span) -> Result<(), Error> {
        for f in self.frames.iter_mut().rev() {
            if let Some(slot) = f.locals.iter_mut().find(|(n, _)| n == name) {
                slot.1 = v;
                return Ok(());
            }
        }
        match self.globals.get_mut(name) {
            Some(slot) => {
                *slot = v;
                Ok(())
            }
            None => err(
                span,
                format!("no such variable '{name}' (declare it with :local or :global)"),
            ),
        }
    }

    /// The result of the next ping the statement waited for.
    fn next_ping(&self, span: Span) -> Result<super::PingResult, Error> {
        let r = self.pings.borrow_mut().pop_front();
        r.ok_or_else(|| Error {
            span,
            message: "a ping's address or options cannot themselves ping".into(),
        })
    }

    /// `c` with its values evaluated (variables, interpolations, expressions, `[/ping]`),
    /// so that the menus see plain text and numbers. `[find ...]` stays, its own values
    /// evaluated; scripts given as values (`{...}`) stay as written.
    pub(super) fn resolve_command(&self, c: &Command) -> Result<Command, Error> {
        let mut out = c.clone();
        for a in &mut out.args {
            match a {
                Arg::Named {
                    value: Some(v),
                    span,
                    ..
                } => *v = self.resolve_expr(v, *span)?,
                // `set $r ...`: an `*ID` in a variable selects like one written out.
                Arg::Positional { value: v, span } => {
                    *v = match self.resolve_expr(v, *span)? {
                        Expr::Str(s) if is_id(&s) => Expr::Word(s),
                        e => e,
                    }
                }
                Arg::Named { value: None, .. } => {}
                Arg::Where { cond, .. } => *cond = self.resolve_cond(cond)?,
            }
        }
        Ok(out)
    }

    fn resolve_expr(&self, e: &Expr, span: Span) -> Result<Expr, Error> {
        Ok(match e {
            Expr::Str(_) | Expr::Word(_) | Expr::Num(_) | Expr::Block { .. } => e.clone(),
            Expr::Sub(c) if !is_ping(c) => Expr::Sub(Box::new(self.resolve_command(c)?)),
            other => match self.value(other, span)? {
                Value::Num(n) => Expr::Num(n),
                // `remove $ids`: the `*ID`s as a command selects several items.
                Value::Array(a) => {
                    Expr::Word(a.iter().map(Value::to_text).collect::<Vec<_>>().join(","))
                }
                v => Expr::Str(v.to_text()),
            },
        })
    }

    fn resolve_cond(&self, c: &Cond) -> Result<Cond, Error> {
        Ok(match c {
            Cond::Cmp {
                prop,
                op,
                value,
                span,
            } => Cond::Cmp {
                prop: prop.clone(),
                op: *op,
                value: self.resolve_expr(value, *span)?,
                span: *span,
            },
            Cond::Flag { .. } => c.clone(),
            Cond::Not(a) => Cond::Not(Box::new(self.resolve_cond(a)?)),
            Cond::And(a, b) => Cond::And(
                Box::new(self.resolve_cond(a)?),
                Box::new(self.resolve_cond(b)?),
            ),
            Cond::Or(a, b) => Cond::Or(
                Box::new(self.resolve_cond(a)?),
                Box::new(self.resolve_cond(b)?),
            ),
        })
    }

    /// The pings `st` needs before it can run, in the order it will use their results.
    pub(super) fn ping_requests(&self, st: &Stmt) -> Result<Vec<PingRequest>, Error> {
        let mut cmds = Vec::new();
        match st {
            Stmt::Command(c) => command_pings(c, &mut cmds),
            Stmt::Local { value, .. } | Stmt::Global { value, .. } | Stmt::Set { value, .. } => {
                if let Some(v) = value {
                    expr_pings(v, &mut cmds);
                }
            }
            Stmt::Log { message: e, .. }
            | Stmt::Put { value: e, .. }
            | Stmt::Delay { duration: e, .. }
            | Stmt::If { cond: e, .. }
            | Stmt::ForEach { list: e, .. } => expr_pings(e, &mut cmds),
            // Its test is an `:if` of its own, which waits for them at each pass.
            Stmt::While { .. } | Stmt::DoWhile { .. } | Stmt::Do { .. } => {}
            Stmt::For { from, to, step, .. } => {
                for e in [Some(from), Some(to), step.as_ref()].into_iter().flatten() {
                    expr_pings(e, &mut cmds);
                }
            }
            Stmt::ChangeMenu { .. } | Stmt::Block { .. } => {}
        }
        cmds.iter()
            .map(|c| PingRequest::from_command(self, &self.resolve_command(c)?))
            .collect()
    }

    /// `/ping ...` as a command: RouterOS's printout of the ping it waited for.
    pub(super) fn ping_command(&mut self, c: &Command) -> Result<(), Error> {
        let result = self.next_ping(c.span)?;
        let req = PingRequest::from_command(self, c)?;
        self.out.output.push_str(&format_ping(&req, &result));
        Ok(())
    }
}

/// Whether `s` is an `*ID` (`*` and hexadecimal digits).
fn is_id(s: &str) -> bool {
    s.strip_prefix('*')
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_ping(c: &Command) -> bool {
    c.path.is_empty() && c.verb == "ping"
}

/// The pings of a command: those in its values, then itself if it is one.
fn command_pings<'c>(c: &'c Command, out: &mut Vec<&'c Command>) {
    for a in &c.args {
        match a {
            Arg::Named { value: Some(v), .. } | Arg::Positional { value: v, .. } => {
                expr_pings(v, out)
            }
            Arg::Named { value: None, .. } => {}
            Arg::Where { cond, .. } => cond_pings(cond, out),
        }
    }
    if is_ping(c) {
        out.push(c);
    }
}

fn expr_pings<'c>(e: &'c Expr, out: &mut Vec<&'c Command>) {
    match e {
        Expr::Sub(c) => command_pings(c, out),
        Expr::Interp(parts) => parts.iter().for_each(|p| expr_pings(p, out)),
        Expr::Cmp(a, _, b) | Expr::Arith(a, _, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            expr_pings(a, out);
            expr_pings(b, out);
        }
        Expr::Not(a) => expr_pings(a, out),
        Expr::Call(_, args) => args.iter().for_each(|a| expr_pings(a, out)),
        Expr::Str(_) | Expr::Word(_) | Expr::Num(_) | Expr::Var(_) | Expr::Block { .. } => {}
    }
}

fn cond_pings<'c>(c: &'c Cond, out: &mut Vec<&'c Command>) {
    match c {
        Cond::Cmp { value, .. } => expr_pings(value, out),
        Cond::Flag { .. } => {}
        Cond::Not(a) => cond_pings(a, out),
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_pings(a, out);
            cond_pings(b, out);
        }
    }
}
