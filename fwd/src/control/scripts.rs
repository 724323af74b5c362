//! Scripts in the control core: a script (a wanctl request, a Netwatch up- or down-script,
//! the start-up `.rsc`) runs as a [`Job`] until it ends or waits; a waiting script is kept
//! here and resumed by the timer when its `:delay` is over or its pings are done, so that
//! nothing else waits for it. Each run's changes are installed as soon as it stops.

use super::commands::Env;
use super::Control;
use crate::api::{ClientId, Response};
use crate::cli::{Globals, Job, ListRow, Listing, Wait};
use crate::config::format_duration;
use crate::netwatch::Status;
use crate::rib::view::format_id;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// The most scripts waiting at once; one more is refused.
pub const MAX_WAITING: usize = 64;

/// Who started a script, and so who hears how it ended.
#[derive(Clone, Debug)]
pub(super) enum Origin {
    /// A wanctl request: the client waits for the answer.
    Api(ClientId),
    /// A `/tool/netwatch` script, run on a change of the host's status.
    Netwatch { host: Ipv4Addr, status: Status },
    /// The `.rsc` given at start.
    Startup,
}

enum Wake {
    At(Instant),
    /// The ping batch of this id is done.
    Pings,
}

struct Waiting {
    id: u64,
    job: Job,
    origin: Origin,
    /// When it started, in seconds since the epoch, and its first line, for
    /// `/system/script/job print`.
    started: u64,
    first_line: String,
    /// What the script printed so far.
    output: String,
    wake: Wake,
}

#[derive(Default)]
pub(super) struct Scripts {
    waiting: Vec<Waiting>,
    next_id: u64,
    /// `:global` variables, shared by all scripts while wanfwd runs.
    pub globals: Globals,
    /// Answers to wanctl clients not yet handed to the API.
    pub answers: Vec<(ClientId, Response)>,
}

impl Control {
    /// Starts a script. Its answer when it ended without waiting; else `None`, and the answer
    /// goes to `origin` when it ends.
    pub(super) fn start_script(
        &mut self,
        text: &str,
        json: bool,
        origin: Origin,
    ) -> Option<Response> {
        if self.scripts.waiting.len() >= MAX_WAITING {
            return Some(Response::Error(format!(
                "{MAX_WAITING} scripts are already waiting (:delay, /ping); try again later"
            )));
        }
        let job = match Job::parse(text, json) {
            Ok(j) => j,
            Err(e) => return Some(Response::Error(e.to_string())),
        };
        self.scripts.next_id += 1;
        let id = self.scripts.next_id;
        let started = std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let first_line = text.trim_start().lines().next().unwrap_or("").to_string();
        self.step_script(Waiting {
            id,
            job,
            origin,
            started,
            first_line,
            output: String::new(),
            wake: Wake::Pings,
        })
    }

    /// Runs `w` until it ends (its answer) or waits (kept, `None`).
    fn step_script(&mut self, mut w: Waiting) -> Option<Response> {
        let items = self.model.items();
        let mut globals = std::mem::take(&mut self.scripts.globals);
        let result = w
            .job
            .run(&self.model.routes, &items, &mut globals, &Env(self));
        self.scripts.globals = globals;
        let step = match result {
            Ok(s) => s,
            Err(e) => return Some(Response::Error(e.to_string())),
        };
        let printed = self.apply(step.outcome);
        w.output.push_str(&printed);
        let now = Instant::now();
        match step.wait {
            None => return Some(Response::Ok(w.output)),
            Some(Wait::Delay(d)) => w.wake = Wake::At(now + d),
            Some(Wait::Ping(reqs)) => {
                self.pings.start(w.id, reqs, now);
                w.wake = Wake::Pings;
                self.run_pings(now);
            }
        }
        self.scripts.waiting.push(w);
        None
    }

    /// Resumes the scripts whose delay is over or whose pings are done.
    pub(super) fn run_scripts(&mut self, now: Instant) {
        self.run_pings(now);
        let mut ready = Vec::new();
        for (id, results) in self.pings.take_done(now) {
            if let Some(i) = self.scripts.waiting.iter().position(|w| w.id == id) {
                let mut w = self.scripts.waiting.swap_remove(i);
                w.job.give_pings(results);
                ready.push(w);
            }
        }
        let mut i = 0;
        while i < self.scripts.waiting.len() {
            if matches!(self.scripts.waiting[i].wake, Wake::At(t) if now >= t) {
                ready.push(self.scripts.waiting.swap_remove(i));
            } else {
                i += 1;
            }
        }
        for w in ready {
            let origin = w.origin.clone();
            if let Some(answer) = self.step_script(w) {
                self.script_ended(origin, answer);
            }
        }
    }

    /// `/system/script/job print`: the scripts waiting now.
    pub(super) fn job_listing(&self) -> Listing {
        let now = Instant::now();
        let rows = self
            .scripts
            .waiting
            .iter()
            .map(|w| {
                let kind = match &w.origin {
                    Origin::Api(_) => "wanctl".to_string(),
                    Origin::Netwatch { host, status } => {
                        format!("netwatch {host} {}", status.name())
                    }
                    Origin::Startup => "startup".to_string(),
                };
                let waiting = match w.wake {
                    Wake::At(t) => {
                        // In whole seconds, rounded up: "delay 60s", not "59s990ms...".
                        let left = t.saturating_duration_since(now);
                        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                        format!("delay {}", format_duration(Duration::from_secs(secs)))
                    }
                    Wake::Pings => "ping".to_string(),
                };
                let started = crate::logbuf::clock(w.started);
                let script: String = w.first_line.chars().take(40).collect();
                ListRow {
                    flags: String::new(),
                    cells: vec![
                        kind.clone(),
                        started.clone(),
                        waiting.clone(),
                        script.clone(),
                    ],
                    props: vec![
                        (".id", format_id(w.id as usize)),
                        ("type", kind),
                        ("started", started),
                        ("waiting", waiting),
                        ("script", script),
                    ],
                    handle: w.id,
                }
            })
            .collect();
        Listing {
            legend: None,
            columns: vec![
                ("TYPE", false),
                ("STARTED", false),
                ("WAITING", false),
                ("SCRIPT", false),
            ],
            rows,
        }
    }

    /// `/system/script/job remove`: stops these waiting scripts; returns how many.
    pub(super) fn remove_jobs(&mut self, ids: &[u64]) -> usize {
        let mut n = 0;
        for id in ids {
            if let Some(i) = self.scripts.waiting.iter().position(|w| w.id == *id) {
                let w = self.scripts.waiting.swap_remove(i);
                self.pings.cancel(w.id);
                self.script_ended(w.origin, Response::Error("the script was removed".into()));
                n += 1;
            }
        }
        n
    }

    /// Tells whoever started a script how it ended.
    pub(super) fn script_ended(&mut self, origin: Origin, answer: Response) {
        match origin {
            Origin::Api(client) => match self.api.as_mut() {
                Some(api) => api.respond(client, answer),
                // While the API is serving a request (a script stopping another): later.
                None => self.scripts.answers.push((client, answer)),
            },
            Origin::Netwatch { host, status } => match answer {
                Response::Ok(out) => {
                    log::info!("netwatch: {host} {}-script ran", status.name());
                    if !out.trim().is_empty() {
                        log::info!(
                            "netwatch: {host} {}-script: {}",
                            status.name(),
                            out.trim_end()
                        );
                    }
                }
                Response::Error(e) => {
                    log::error!("netwatch: {host} {}-script failed: {e}", status.name())
                }
            },
            Origin::Startup => match answer {
                Response::Ok(out) if !out.trim().is_empty() => {
                    log::info!("start-up script: {}", out.trim_end())
                }
                Response::Ok(_) => log::info!("start-up script: ended"),
                Response::Error(e) => log::error!("start-up script failed: {e}"),
            },
        }
    }
}
