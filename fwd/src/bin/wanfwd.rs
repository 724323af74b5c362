//! wanfwd: the router daemon. Runs in the foreground, logs to stderr, stops on SIGINT or
//! SIGTERM and prints its counters.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use wanfwd::config::Config;
use wanfwd::counters::DropReason;
use wanfwd::router::{self, Report};

#[derive(Parser)]
#[command(name = "wanfwd", version, about = "Multi-WAN IPv4 router on DPDK")]
struct Args {
    /// The configuration (YAML).
    #[arg(long, short)]
    config: PathBuf,
    /// Check the configuration and exit.
    #[arg(long)]
    check: bool,
    /// A RouterOS script (.rsc) to run at start, after the configuration.
    #[arg(long, value_name = "FILE.rsc")]
    script: Option<PathBuf>,
    /// Log each interface's packet rates every this many seconds.
    #[arg(long, value_name = "SECONDS")]
    stats_interval: Option<f64>,
}

fn print_report(r: &Report) {
    eprintln!(
        "{:<12} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "interface", "rx-packets", "tx-packets", "rx-bytes", "rx-missed", "tx-errors"
    );
    for (name, s) in &r.ports {
        eprintln!(
            "{:<12} {:>12} {:>12} {:>12} {:>10} {:>10}",
            name, s.ipackets, s.opackets, s.ibytes, s.imissed, s.oerrors
        );
    }
    let t = r.total();
    eprintln!(
        "workers: rx {} forwarded+sent {} punted {}; control sent {}",
        r.workers.rx_packets, r.workers.tx_packets, r.workers.punted, r.control.tx_packets
    );
    if r.workers.conns_created > 0 {
        eprintln!(
            "connections: {} in the tables, {} created",
            r.workers.conns, r.workers.conns_created
        );
    }
    for d in DropReason::ALL {
        let n = t.dropped(*d);
        if n > 0 {
            eprintln!("drop {:<18} {:>10}  ({})", d.name(), n, d.help());
        }
    }
}

fn main() -> ExitCode {
    wanfwd::logbuf::init();
    let args = Args::parse();
    let cfg = match Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wanfwd: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check {
        eprintln!("wanfwd: {}: configuration OK", args.config.display());
        return ExitCode::SUCCESS;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(sig, Arc::clone(&stop)) {
            eprintln!("wanfwd: cannot handle signal {sig}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let script = match &args.script {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(text) => Some((p.display().to_string(), text)),
            Err(e) => {
                eprintln!("wanfwd: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let opts = router::RunOptions {
        script,
        stats_interval: args
            .stats_interval
            .filter(|s| *s > 0.0)
            .map(std::time::Duration::from_secs_f64),
    };
    match router::run(&cfg, &opts, stop) {
        Ok(report) => {
            log::info!("wanfwd stopped");
            print_report(&report);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wanfwd: {e}");
            ExitCode::FAILURE
        }
    }
}
