//! Scripts that take time: `:delay` and `/ping` suspend a script, which the control core
//! resumes later, so that a Netwatch confirmation (`:delay 10` then `[/ping ... count=3]`)
//! never stalls routing, probing or the API.
//!
//! A [`Job`] is a parsed script and where it stands: a stack of frames (the statements of a
//! block, the next one to run, and the block's `:local` variables). [`Job::run`] runs it
//! against a working copy of the configuration until it ends or must wait; the caller
//! installs the changes made so far (a script is applied whole up to its first wait; after
//! that, like RouterOS, each part stands once run), waits, and calls `run` again.
//!
//! A statement that needs pings (`/ping`, or `[/ping ...]` anywhere in its values) waits for
//! all of them, in order of evaluation, before it runs; it then runs with their results
//! (see [`Job::give_pings`]).

use super::value::{Globals, Value};
use super::{Error, Items, Outcome, Session};
use crate::config::RouteItem;
use crate::ros::{self, Span, Stmt};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

/// One block being run.
#[derive(Clone, Debug)]
pub(super) struct Frame {
    pub stmts: Arc<[Stmt]>,
    pub next: usize,
    pub locals: Vec<(String, Value)>,
    /// A loop's body (`:foreach`, `:for`): its variable and what it goes over next.
    pub each: Option<(String, Passes)>,
    /// A `:do` block's `on-error`: what runs instead of the rest of the block (and of the
    /// blocks in it) when one of their statements fails.
    pub on_error: Option<Arc<[Stmt]>>,
}

/// What a loop goes over.
#[derive(Clone, Debug)]
pub(super) enum Passes {
    /// `:foreach`: the elements still to go over.
    Elements(std::vec::IntoIter<Value>),
    /// `:for`: the next number (None once past the end), the last one and the step.
    Count {
        next: Option<i64>,
        to: i64,
        step: i64,
    },
    /// `:while`: passes until its test (the frame's one statement, an `:if` whose block is
    /// the body) finds the condition false.
    While,
}

impl Iterator for Passes {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match self {
            Passes::Elements(e) => e.next(),
            Passes::While => Some(Value::Nothing),
            Passes::Count { next, to, step } => {
                let n = (*next)?;
                let (to, step) = (*to, *step);
                *next = n
                    .checked_add(step)
                    .filter(|m| if step > 0 { *m <= to } else { *m >= to });
                Some(Value::Num(n))
            }
        }
    }
}

/// Loop passes one run of a script may start before it waits (`:delay`, `/ping`) or ends:
/// scripts run on the control core, which must not be held up by an endless loop.
pub(super) const MAX_PASSES: usize = 100_000;

impl Frame {
    pub fn new(stmts: &[Stmt]) -> Frame {
        Frame {
            stmts: Arc::from(stmts),
            next: 0,
            locals: Vec::new(),
            each: None,
            on_error: None,
        }
    }

    /// A `:foreach` body over `elements`, `$name` each in turn; None when there are none.
    pub fn each(stmts: &[Stmt], name: &str, elements: Vec<Value>) -> Option<Frame> {
        Frame::passes(stmts, name, Passes::Elements(elements.into_iter()))
    }

    /// A `:for` body: `$name` from `from` to `to`, both included, by steps of `step`'s size
    /// towards `to` (`step` is not 0); None when there is no pass.
    pub fn count(stmts: &[Stmt], name: &str, from: i64, to: i64, step: i64) -> Option<Frame> {
        // i64::MIN has no positive counterpart: any step that large passes `to` at once.
        let size = step.checked_abs().unwrap_or(i64::MAX);
        let step = if to >= from { size } else { -size };
        let next = Some(from);
        Frame::passes(stmts, name, Passes::Count { next, to, step })
    }

    /// A `:while` loop: one statement, `:if (cond) do={ body }`, run again after each pass;
    /// the loop ends when it runs no block ([`Frame::is_while`]).
    pub fn while_loop(cond: &ros::Expr, body: &[Stmt], span: Span) -> Frame {
        let test = Stmt::If {
            cond: cond.clone(),
            then: body.to_vec(),
            otherwise: None,
            span,
        };
        Frame {
            each: Some((String::new(), Passes::While)),
            ..Frame::new(&[test])
        }
    }

    /// Whether this is a `:while` loop's frame.
    pub fn is_while(&self) -> bool {
        matches!(self.each, Some((_, Passes::While)))
    }

    fn passes(stmts: &[Stmt], name: &str, passes: Passes) -> Option<Frame> {
        let mut f = Frame {
            each: Some((name.to_string(), passes)),
            ..Frame::new(stmts)
        };
        f.next_element().then_some(f)
    }

    /// For a `:foreach` body, starts it over with the next element, each time in a scope of
    /// its own (its `:local`s do not outlive the pass); false at the end, or for any other
    /// block.
    pub fn next_element(&mut self) -> bool {
        let Some((name, rest)) = &mut self.each else {
            return false;
        };
        let Some(v) = rest.next() else {
            return false;
        };
        self.locals = if name.is_empty() {
            Vec::new()
        } else {
            vec![(name.clone(), v)]
        };
        self.next = 0;
        true
    }
}

/// A script being run.
#[derive(Debug)]
pub struct Job {
    frames: Vec<Frame>,
    json: bool,
    /// The results of the pings the next statement waits for, once they are in.
    pings: Option<Vec<PingResult>>,
}

/// What a suspended script waits for.
#[derive(Clone, Debug, PartialEq)]
pub enum Wait {
    Delay(Duration),
    /// These pings, run one after the other or together; their results go back in order.
    Ping(Vec<PingRequest>),
}

/// What one run of a job did: its changes and output so far, and what it waits for if it
/// has not ended.
#[derive(Debug)]
pub struct Step {
    pub outcome: Outcome,
    pub wait: Option<Wait>,
}

/// `/ping ADDRESS [count=N] [interval=T] [src-address=A] [routing-table=T] [interface=I]`.
#[derive(Clone, Debug, PartialEq)]
pub struct PingRequest {
    pub address: Ipv4Addr,
    pub count: u32,
    pub interval: Duration,
    pub src_address: Option<Ipv4Addr>,
    pub routing_table: Option<String>,
    pub interface: Option<String>,
}

/// Without `count=`, a ping sends this many requests (RouterOS pings until interrupted,
/// which a one-shot command cannot be).
pub const DEFAULT_PING_COUNT: u32 = 4;
const MAX_PING_COUNT: u32 = 10_000;

/// The answer to one echo request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reply {
    pub rtt: Duration,
    pub ttl: u8,
    /// ICMP payload bytes.
    pub size: u16,
}

/// What a ping got: per request sent, its reply if one came in time.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PingResult {
    pub replies: Vec<Option<Reply>>,
    /// Why no request could be sent, if so (`no route to host`...).
    pub error: Option<String>,
}

impl PingResult {
    pub fn received(&self) -> usize {
        self.replies.iter().flatten().count()
    }
}

impl Job {
    /// Parses `text`; `json` prints items as RouterOS's REST API returns them.
    pub fn parse(text: &str, json: bool) -> Result<Job, Error> {
        let script = ros::parse(text).map_err(|e| Error {
            span: Span {
                line: e.line,
                column: e.column,
            },
            message: e.message,
        })?;
        Ok(Job {
            frames: vec![Frame::new(&script.stmts)],
            json,
            pings: None,
        })
    }

    /// Runs the script from where it stands, against `routes` and `items`, until it ends or
    /// waits. An error ends it; what earlier runs installed stays.
    pub fn run(
        &mut self,
        routes: &[RouteItem],
        items: &Items,
        globals: &mut Globals,
        env: &dyn super::Env,
    ) -> Result<Step, Error> {
        let mut s = Session::new(env, routes, items, self.json, globals);
        s.frames = std::mem::take(&mut self.frames);
        let waited = self.pings.take();
        let result = s.drive(waited);
        self.frames = std::mem::take(&mut s.frames);
        let wait = result?;
        let outcome = s.finish()?;
        Ok(Step { outcome, wait })
    }

    /// The results of the pings the job waits for, in the order it asked for them.
    pub fn give_pings(&mut self, results: Vec<PingResult>) {
        self.pings = Some(results);
    }
}

impl PingRequest {
    /// The request of a `/ping` command whose values are plain (see `Session::resolve`).
    pub(super) fn from_command(s: &Session, c: &ros::Command) -> Result<PingRequest, Error> {
        let mut address = None;
        let mut req = PingRequest {
            address: Ipv4Addr::UNSPECIFIED,
            count: DEFAULT_PING_COUNT,
            interval: Duration::from_secs(1),
            src_address: None,
            routing_table: None,
            interface: None,
        };
        let addr = |v: &str, span| {
            v.parse::<Ipv4Addr>().map_err(|_| Error {
                span,
                message: format!("invalid address '{v}'"),
            })
        };
        for a in &c.args {
            match a {
                ros::Arg::Positional { value, span } if address.is_none() => {
                    address = Some(addr(&s.text(value, *span)?, *span)?);
                }
                ros::Arg::Named {
                    name,
                    value: None,
                    span,
                } if address.is_none() => address = Some(addr(name, *span)?),
                ros::Arg::Named {
                    name,
                    value: Some(value),
                    span,
                } => {
                    let v = s.text(value, *span)?;
                    let bad = |m: String| Error {
                        span: *span,
                        message: m,
                    };
                    match name.as_str() {
                        "address" => address = Some(addr(&v, *span)?),
                        "count" => {
                            req.count = v
                                .parse()
                                .ok()
                                .filter(|n| (1..=MAX_PING_COUNT).contains(n))
                                .ok_or_else(|| {
                                    bad(format!("count must be 1..{MAX_PING_COUNT}, not '{v}'"))
                                })?
                        }
                        "interval" => {
                            let d = crate::config::parse_duration(&v).map_err(bad)?;
                            if !(Duration::from_millis(10)..=Duration::from_secs(5)).contains(&d) {
                                return Err(bad(format!("interval must be 10ms..5s, not '{v}'")));
                            }
                            req.interval = d;
                        }
                        "src-address" => req.src_address = Some(addr(&v, *span)?),
                        "routing-table" => req.routing_table = Some(v),
                        "interface" => req.interface = Some(v),
                        other => return Err(bad(format!("unknown ping option '{other}'"))),
                    }
                }
                other => {
                    return Err(Error {
                        span: arg_span(other),
                        message: "unexpected value: /ping ADDRESS [count=N] [interval=T] \
                                  [src-address=A] [routing-table=T] [interface=I]"
                            .into(),
                    })
                }
            }
        }
        req.address = address.ok_or_else(|| Error {
            span: c.span,
            message: "ping needs an address".into(),
        })?;
        Ok(req)
    }
}

fn arg_span(a: &ros::Arg) -> Span {
    match a {
        ros::Arg::Named { span, .. }
        | ros::Arg::Positional { span, .. }
        | ros::Arg::Where { span, .. } => *span,
    }
}

/// `/ping` as RouterOS prints it: a line per request, then the summary.
pub fn format_ping(req: &PingRequest, r: &PingResult) -> String {
    use std::fmt::Write;
    let mut out =
        String::from("  SEQ HOST                                     SIZE TTL TIME       STATUS\n");
    if let Some(e) = &r.error {
        let _ = writeln!(out, "    0 {:<40} {:>35}", req.address, e);
    }
    for (seq, rep) in r.replies.iter().enumerate() {
        match rep {
            Some(p) => {
                let _ = writeln!(
                    out,
                    "{seq:>5} {:<40} {:>4} {:>3} {}",
                    req.address,
                    p.size,
                    p.ttl,
                    rtt(p.rtt)
                );
            }
            None => {
                let _ = writeln!(out, "{seq:>5} {:<40} {:>27}", req.address, "timeout");
            }
        }
    }
    let sent = r.replies.len();
    let got = r.received();
    let loss = ((sent - got) * 100).checked_div(sent).unwrap_or(100);
    let _ = write!(out, "    sent={sent} received={got} packet-loss={loss}%");
    let rtts: Vec<Duration> = r.replies.iter().flatten().map(|p| p.rtt).collect();
    if let (Some(min), Some(max)) = (rtts.iter().min(), rtts.iter().max()) {
        let avg = rtts.iter().sum::<Duration>() / rtts.len() as u32;
        let _ = write!(
            out,
            " min-rtt={} avg-rtt={} max-rtt={}",
            rtt(*min),
            rtt(avg),
            rtt(*max)
        );
    }
    out.push('\n');
    out
}

/// A round-trip time as RouterOS prints it: `13ms406us`, `512us`.
fn rtt(d: Duration) -> String {
    let us = d.as_micros();
    match (us / 1000, us % 1000) {
        (0, u) => format!("{u}us"),
        (m, 0) => format!("{m}ms"),
        (m, u) => format!("{m}ms{u}us"),
    }
}
