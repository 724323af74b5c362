//! The interpreter against a corpus (`fwd/tests/corpus/`): every command of the guide is
//! accepted and produces the state the guide describes, and wrong commands are refused at
//! their line and column, changing nothing. See `fwd/tests/corpus/README.md` for the format.

use super::*;
use crate::config::{AddressItem, Config};
use crate::control::Model;
use crate::rib::{self, PortDesc};

/// The guide's router: a LAN on `bridge`, ISP1 on `ether1`, ISP2 on `ether2`.
const ROUTER: &str = "/interface/ethernet:
  - { name: bridge, device: net_null0 }
  - { name: ether1, device: net_null1 }
  - { name: ether2, device: net_null2 }
/ip/address:
  - { address: 192.168.1.1/24, interface: bridge }
  - { address: 203.0.113.2/24, interface: ether1 }
  - { address: 198.51.100.2/24, interface: ether2 }
";

/// A router as scripts see it: the model the control core would hold, every gateway
/// reachable, some links down, and a few tracked connections.
pub(super) struct Router {
    /// The configuration file the router started from (what `/export` overlays).
    cfg: Config,
    pub(super) model: Model,
    down: Vec<String>,
    /// Connection marks of the tracked connections.
    conns: Vec<&'static str>,
    /// Whether the last script asked for `/routing/nexthop flush`.
    flushed: bool,
    /// How many listed items (connections) the last script removed.
    removed: usize,
}

impl Router {
    pub(super) fn new() -> Router {
        let cfg = Config::from_yaml_str(ROUTER, "router.yaml").expect("the guide's router");
        let names: Vec<String> = cfg.interfaces.iter().map(|i| i.name.clone()).collect();
        Router {
            model: Model::from_config(&cfg, &names),
            cfg,
            down: Vec::new(),
            conns: vec!["wan1_conn", "wan1_conn", "wan2_conn"],
            flushed: false,
            removed: 0,
        }
    }

    fn context<T>(rib: &rib::Rib, ports: &[PortDesc], f: impl FnOnce(&view::Context) -> T) -> T {
        let usable = |_: &rib::Member| true;
        let gw_state = |_: &rib::Member| None;
        let sel = rib::select(rib, &usable);
        let names: Vec<String> = ports.iter().map(|p| p.name.clone()).collect();
        f(&view::Context {
            rib,
            sel: &sel,
            ports: &names,
            usable: &usable,
            gw_state: &gw_state,
        })
    }

    /// Runs `text` on the router; on success its outcome is installed.
    pub(super) fn run(&mut self, text: &str) -> Result<String, Error> {
        let items = self.model.items();
        let out = run(text, &self.model.routes, &items, self, false)?;
        if let Some(routes) = out.routes {
            self.model.routes = routes;
        }
        if let Some(items) = out.items {
            self.model.set_items(items);
        }
        self.flushed = out.flush_nexthops;
        self.removed = out.removals.iter().map(|(_, h)| h.len()).sum();
        Ok(out.output)
    }

    /// What a script could change, to check that a refused one changed nothing.
    pub(super) fn state(&self) -> (Vec<RouteItem>, Items) {
        (self.model.routes.clone(), self.model.items())
    }
}

impl Env for Router {
    fn route_view(&self, routes: &[RouteItem], tables: &[String]) -> Vec<RouteView> {
        self.route_view_with_addresses(routes, tables, &self.model.items().addresses)
    }

    fn route_view_with_addresses(
        &self,
        routes: &[RouteItem],
        tables: &[String],
        addresses: &[AddressItem],
    ) -> Vec<RouteView> {
        let mut m = self.model.clone();
        m.routes = routes.to_vec();
        m.tables = tables.to_vec();
        m.set_addresses(addresses.to_vec());
        Router::context(&m.compute_quiet(), &m.ports, view::routes)
    }

    fn nexthop_view(&self) -> Vec<NexthopItem> {
        Router::context(
            &self.model.compute_quiet(),
            &self.model.ports,
            view::nexthops,
        )
    }

    fn check_route(&self, route: &RouteItem, tables: &[String]) -> Result<(), String> {
        self.model.check_route(route, tables)
    }

    fn check_items(&self, items: &Items) -> Result<(), String> {
        self.model.check_items(items)
    }

    fn config(&self) -> Option<Config> {
        Some(self.cfg.clone())
    }

    fn link_down(&self, name: &str) -> bool {
        self.down.iter().any(|d| d == name)
    }

    fn listing(&self, menu: &str) -> Option<Listing> {
        (menu == "/ip/firewall/connection").then(|| Listing {
            legend: None,
            columns: vec![("PROTOCOL", false), ("CONNECTION-MARK", false)],
            rows: self
                .conns
                .iter()
                .enumerate()
                .map(|(i, m)| ListRow {
                    flags: String::new(),
                    cells: vec!["tcp".into(), m.to_string()],
                    props: vec![
                        ("protocol", "tcp".into()),
                        ("connection-mark", m.to_string()),
                    ],
                    handle: i as u64,
                })
                .collect(),
        })
    }
}

/// What a corpus file asks, in order.
#[derive(Debug)]
enum Step {
    /// Commands that must be accepted (their state is installed); `line` is where they
    /// start in the file.
    Run { text: String, line: usize },
    /// Commands that must parse, run by a part of wanfwd not under test here.
    Parse { text: String, line: usize },
    /// A query that must be accepted, change nothing, and print what is expected.
    Query {
        text: String,
        line: usize,
        exact: Option<Vec<String>>,
        contains: Vec<String>,
        lacks: Vec<String>,
    },
    /// The commands before must be refused at `at` (line and column in them), with a
    /// message holding `message`, and change nothing.
    Refused {
        text: String,
        line: usize,
        at: (u32, u32),
        message: String,
    },
    /// Runs a stored netwatch script (`up-script` or `down-script` of item N) as the
    /// daemon would on a state change.
    NetwatchScript {
        index: usize,
        which: String,
        line: usize,
    },
    /// Marks an interface's link down.
    LinkDown { name: String },
    /// The last commands asked for `/routing/nexthop flush`.
    Flushed { line: usize },
    /// The last commands removed this many listed items (connections).
    Removed { count: usize, line: usize },
}

fn parse_corpus(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut chunk = String::new();
    let mut start = 1;
    let mut pending = false;
    let flush = |chunk: &mut String, start: usize, pending: &mut bool, steps: &mut Vec<Step>| {
        if !chunk.trim().is_empty() {
            let text = std::mem::take(chunk);
            steps.push(if std::mem::take(pending) {
                Step::Parse { text, line: start }
            } else {
                Step::Run { text, line: start }
            });
        }
        chunk.clear();
    };
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() {
            flush(&mut chunk, start, &mut pending, &mut steps);
            continue;
        }
        let Some(rest) = line.strip_prefix("#") else {
            if chunk.is_empty() {
                start = n;
            }
            chunk.push_str(line);
            chunk.push('\n');
            continue;
        };
        let (tag, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        match tag {
            "?" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                steps.push(Step::Query {
                    text: arg.to_string(),
                    line: n,
                    exact: None,
                    contains: Vec::new(),
                    lacks: Vec::new(),
                });
            }
            "=" | "~" | "^" => {
                let Some(Step::Query {
                    exact,
                    contains,
                    lacks,
                    ..
                }) = steps.last_mut()
                else {
                    panic!("line {n}: #{tag} outside a query");
                };
                match tag {
                    "=" => exact.get_or_insert_with(Vec::new).push(arg.to_string()),
                    "~" => contains.push(arg.to_string()),
                    _ => lacks.push(arg.to_string()),
                }
            }
            "!" => {
                let (at, message) = arg.split_once(' ').unwrap_or((arg, ""));
                let (l, c) = at.split_once(':').expect("#! LINE:COLUMN message");
                assert!(!chunk.trim().is_empty(), "line {n}: #! after no commands");
                steps.push(Step::Refused {
                    text: std::mem::take(&mut chunk),
                    line: start,
                    at: (l.parse().unwrap(), c.parse().unwrap()),
                    message: message.to_string(),
                });
            }
            "pending" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                pending = true;
            }
            "netwatch" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                let (i, which) = arg.split_once(' ').expect("#netwatch N up-script");
                steps.push(Step::NetwatchScript {
                    index: i.parse().unwrap(),
                    which: which.to_string(),
                    line: n,
                });
            }
            "link-down" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                steps.push(Step::LinkDown {
                    name: arg.to_string(),
                });
            }
            "removed" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                steps.push(Step::Removed {
                    count: arg.parse().expect("#removed N"),
                    line: n,
                });
            }
            "flushed" => {
                flush(&mut chunk, start, &mut pending, &mut steps);
                steps.push(Step::Flushed { line: n });
            }
            // A comment of the guide's, kept among the commands it annotates; one before
            // them belongs to the file (so that a case's first line is its first command).
            _ => {
                if !chunk.is_empty() {
                    chunk.push_str(line);
                    chunk.push('\n');
                }
            }
        }
    }
    flush(&mut chunk, start, &mut pending, &mut steps);
    steps
}

/// Plays a corpus file on the guide's router; returns how many checks it made.
fn play(name: &str, text: &str) -> usize {
    let mut r = Router::new();
    let mut checks = 0;
    let show = std::env::var_os("CORPUS_SHOW").is_some();
    for step in parse_corpus(text) {
        checks += 1;
        match step {
            Step::Run { text, line } => {
                if let Err(e) = r.run(&text) {
                    panic!("{name}:{line}: refused: {e}\n{text}");
                }
            }
            Step::Parse { text, line } => {
                if let Err(e) = crate::ros::parse(&text) {
                    panic!("{name}:{line}: does not parse: {e:?}\n{text}");
                }
            }
            Step::Query {
                text,
                line,
                exact,
                contains,
                lacks,
            } => {
                let before = r.state();
                let out = r
                    .run(&text)
                    .unwrap_or_else(|e| panic!("{name}:{line}: {text}: refused: {e}"));
                if show {
                    eprintln!("{name}:{line}: {text}\n{out}");
                }
                assert!(
                    r.state() == before,
                    "{name}:{line}: {text} changed the state"
                );
                if let Some(want) = exact {
                    let got: Vec<&str> = out.lines().map(str::trim_end).collect();
                    assert_eq!(got, want, "{name}:{line}: {text}\n{out}");
                }
                for c in contains {
                    assert!(
                        out.contains(&c),
                        "{name}:{line}: {text}: no '{c}' in\n{out}"
                    );
                }
                for c in lacks {
                    assert!(!out.contains(&c), "{name}:{line}: {text}: '{c}' in\n{out}");
                }
            }
            Step::Refused {
                text,
                line,
                at,
                message,
            } => {
                let before = r.state();
                match r.run(&text) {
                    Ok(_) => panic!("{name}:{line}: accepted, but should fail at {at:?}:\n{text}"),
                    Err(e) => {
                        if show {
                            eprintln!("{name}:{line}: {e}");
                        }
                        assert_eq!(
                            (e.span.line, e.span.column),
                            at,
                            "{name}:{line}: wrong place: {e}\n{text}"
                        );
                        assert!(
                            e.message.contains(&message),
                            "{name}:{line}: '{}' does not say '{message}'",
                            e.message
                        );
                    }
                }
                assert!(
                    r.state() == before,
                    "{name}:{line}: a refused script changed the state"
                );
            }
            Step::NetwatchScript { index, which, line } => {
                let nw = r
                    .model
                    .netwatch
                    .get(index)
                    .unwrap_or_else(|| panic!("{name}:{line}: no netwatch item {index}"));
                let script = match which.as_str() {
                    "up-script" => nw.up_script.clone(),
                    "down-script" => nw.down_script.clone(),
                    other => panic!("{name}:{line}: no script '{other}'"),
                };
                if let Err(e) = r.run(&script) {
                    panic!("{name}:{line}: netwatch {which} refused: {e}\n{script}");
                }
            }
            Step::LinkDown { name: n } => {
                // As the control core does: a port whose link is down carries no route.
                for p in r.model.ports.iter_mut().filter(|p| p.name == n) {
                    p.enabled = false;
                }
                r.down.push(n);
            }
            Step::Removed { count, line } => assert_eq!(
                r.removed, count,
                "{name}:{line}: items removed from listed menus"
            ),
            Step::Flushed { line } => assert!(r.flushed, "{name}:{line}: no flush asked"),
        }
    }
    checks
}

macro_rules! corpus {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                // Read when the test runs, so that the corpus grows without a rebuild.
                let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/", $file);
                let text = std::fs::read_to_string(path)
                    .unwrap_or_else(|e| panic!("{path}: {e}"));
                let checks = play($file, &text);
                assert!(checks > 0, "{}: an empty corpus file", $file);
            }
        )*
    };
}

corpus! {
    guide_recursive_resolution => "guide/01_recursive.rsc",
    guide_anchor_routes => "guide/02_anchor.rsc",
    guide_distance_failover => "guide/03_distance.rsc",
    guide_netwatch_distance => "guide/04_netwatch_distance.rsc",
    guide_netwatch_enable_disable => "guide/05_netwatch_enable.rsc",
    guide_ecmp => "guide/06_ecmp.rsc",
    guide_pcc => "guide/07_pcc.rsc",
    guide_troubleshooting => "guide/08_troubleshooting.rsc",
    menus_ip_address => "menus/ip_address.rsc",
    menus_settings => "menus/settings.rsc",
    wrong_commands => "wrong.rsc",
}

/// The guide's command lines: a command, the first line of one continued with `\`, a line
/// inside one of its scripts, or a menu a block of `add` lines works in.
fn command_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            (l.starts_with('/') || l.starts_with("add ") || l.starts_with(':'))
                && !l.starts_with(":::")
        })
        .collect()
}

/// `guide/COMMANDS` lists the guide's command lines; each must be in a corpus file, as a
/// command or a query. Where the guide itself is at hand (the shared folder next to the
/// repository), the list must be its own.
#[test]
fn every_command_of_the_guide_is_in_the_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/guide");
    let listed = std::fs::read_to_string(format!("{dir}/COMMANDS")).unwrap();
    let mut corpus = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rsc") {
            corpus.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    let lines: Vec<&str> = corpus
        .lines()
        .map(|l| l.strip_prefix("#? ").unwrap_or(l).trim())
        .collect();
    let commands: Vec<&str> = listed.lines().collect();
    assert!(commands.len() > 60, "the guide has more commands than that");
    for c in &commands {
        assert!(lines.contains(c), "the guide's '{c}' is in no corpus file");
    }
    let guide = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/seeds/000_6c32c4b3e697f135.txt"
    );
    if let Ok(text) = std::fs::read_to_string(guide) {
        assert_eq!(
            command_lines(&text),
            commands,
            "guide/COMMANDS is not the guide's"
        );
    }
}

/// `--json '/ip/address print'`: RouterOS REST API objects (`.id`, kebab-case properties,
/// flags as booleans).
#[test]
fn addresses_print_as_the_rest_api_returns_them() {
    let mut r = Router::new();
    r.run("/ip/address disable [find interface=ether2]")
        .unwrap();
    let items = r.model.items();
    let out = run("/ip/address print", &r.model.routes, &items, &r, true).unwrap();
    assert_eq!(
        out.output.lines().next(),
        Some(concat!(
            r#"[{".id":"*1","address":"192.168.1.1/24","disabled":"false","dynamic":"false","#,
            r#""interface":"bridge","invalid":"false","network":"192.168.1.0"},"#,
            r#"{".id":"*2","address":"203.0.113.2/24","disabled":"false","dynamic":"false","#,
            r#""interface":"ether1","invalid":"false","network":"203.0.113.0"},"#,
            r#"{".id":"*3","address":"198.51.100.2/24","disabled":"true","dynamic":"false","#,
            r#""interface":"ether2","invalid":"false","network":"198.51.100.0"}]"#
        ))
    );
}
