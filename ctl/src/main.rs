//! wanctl: runs RouterOS commands against a running wanfwd over its API socket
//! (the protocol is described in `wanfwd::api`).
//!
//! - `wanctl [--socket PATH] [--json] '<command>'` runs one command (or a script) and prints
//!   its output on standard output, or its error on standard error with exit status 1;
//! - `wanctl import FILE.rsc` applies a script (`-` reads it from standard input);
//! - `wanctl export [--rsc]` prints the running configuration as YAML (the format of
//!   `wanfwd --config`: `/export format=yaml`), or as RouterOS commands (`/export`);
//! - `wanctl` alone gives an interactive prompt with history (~/.wanctl_history); with
//!   standard input not a terminal, it runs what it reads there as one script.
//!
//! Exit status: 0 on success, 1 when the command failed, 2 when wanfwd could not be reached
//! (or the command line was wrong).

mod interactive;

use clap::{Parser, Subcommand};
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use wanfwd::api::{ApiClient, DEFAULT_SOCKET};

#[derive(Parser)]
#[command(
    name = "wanctl",
    version,
    about = "Run RouterOS commands against a running wanfwd",
    override_usage = "wanctl [OPTIONS] '<command>'\n       \
        wanctl [OPTIONS] import FILE.rsc\n       \
        wanctl [OPTIONS] export [--rsc]\n       \
        wanctl [OPTIONS]                   (interactive prompt)",
    subcommand_value_name = "ACTION",
    subcommand_help_heading = "Actions",
    after_help = "Examples:\n  \
        wanctl '/ip/route print'\n  \
        wanctl --json /ip/route print where dst-address=0.0.0.0/0\n  \
        wanctl import pcc.rsc\n  \
        wanctl export > router.yaml (the running configuration, for wanfwd --config)\n  \
        wanctl export --rsc\n  \
        wanctl                      (interactive prompt; quit or Ctrl-D to leave)\n\n\
        Exit status: 0 on success, 1 if the command failed, 2 if wanfwd cannot be reached."
)]
struct Cli {
    /// The daemon's API socket.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Print items as RouterOS's REST API returns them (JSON).
    #[arg(long, global = true)]
    json: bool,
    /// How long to wait for wanfwd's answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    timeout: u64,
    #[command(subcommand)]
    action: Option<Action>,
    /// The command, as RouterOS writes it (e.g. '/ip/route print'); several words are joined
    /// with spaces.
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Subcommand)]
enum Action {
    /// Apply a RouterOS script, whole (`-` reads it from standard input).
    Import {
        /// The script (.rsc).
        file: PathBuf,
    },
    /// Print the running configuration as YAML that `wanfwd --config` reads, or as RouterOS
    /// commands with --rsc (what `/export` prints).
    Export {
        /// As RouterOS commands (an .rsc script) rather than YAML.
        #[arg(long)]
        rsc: bool,
    },
}

/// Exit status of a command that failed.
const FAILED: u8 = 1;
/// Exit status when wanfwd cannot be reached.
const UNREACHABLE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let timeout = Duration::from_secs(cli.timeout.max(1));
    let text = match &cli.action {
        Some(Action::Import { file }) => match read_script(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("wanctl: cannot read {}: {e}", file.display());
                return ExitCode::from(FAILED);
            }
        },
        Some(Action::Export { rsc }) => export_request(*rsc).to_owned(),
        None if !cli.command.is_empty() => cli.command.join(" "),
        None if io::stdin().is_terminal() => {
            return match connect(&cli.socket, timeout) {
                Ok(client) => interactive::run(client, &cli.socket, cli.json),
                Err(code) => code,
            };
        }
        None => match read_script(Path::new("-")) {
            Ok(text) if text.trim().is_empty() => return ExitCode::SUCCESS,
            Ok(text) => text,
            Err(e) => {
                eprintln!("wanctl: cannot read standard input: {e}");
                return ExitCode::from(FAILED);
            }
        },
    };
    let mut client = match connect(&cli.socket, timeout) {
        Ok(client) => client,
        Err(code) => return code,
    };
    match client.run(&text, cli.json) {
        Ok(Ok(output)) => {
            print_output(&output);
            ExitCode::SUCCESS
        }
        Ok(Err(message)) => {
            print_error(&message);
            ExitCode::from(FAILED)
        }
        Err(e) => {
            eprintln!("wanctl: lost wanfwd at {}: {e}", cli.socket.display());
            ExitCode::from(UNREACHABLE)
        }
    }
}

/// What `wanctl export` asks wanfwd: RouterOS's `/export`, or its YAML form (wanfwd's own
/// `format=yaml`, the format of `wanfwd --config`).
fn export_request(rsc: bool) -> &'static str {
    if rsc {
        "/export"
    } else {
        "/export format=yaml"
    }
}

/// Connects to wanfwd, or says why not and gives the exit status to leave with.
fn connect(socket: &Path, timeout: Duration) -> Result<ApiClient, ExitCode> {
    ApiClient::connect(socket, timeout).map_err(|e| {
        eprintln!(
            "wanctl: cannot reach wanfwd at {}: {e}{}",
            socket.display(),
            hint(&e)
        );
        ExitCode::from(UNREACHABLE)
    })
}

/// What the operator may do about a connection error.
fn hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            " (is wanfwd running? --socket names another socket)"
        }
        io::ErrorKind::PermissionDenied => {
            " (the socket is open to root and the group set in wanfwd's api section)"
        }
        _ => "",
    }
}

/// A script's text, from a file or, for `-`, standard input.
fn read_script(file: &Path) -> io::Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(file)
    }
}

/// Prints a command's output, ending it with a newline; a closed pipe (`| head`) is no error.
pub(crate) fn print_output(output: &str) {
    let _ = write_text(&mut io::stdout().lock(), output);
}

/// Prints a command's error as RouterOS would say it.
pub(crate) fn print_error(message: &str) {
    let _ = write_text(&mut io::stderr().lock(), message);
}

fn write_text(w: &mut impl Write, text: &str) -> io::Result<()> {
    w.write_all(text.as_bytes())?;
    if !text.is_empty() && !text.ends_with('\n') {
        w.write_all(b"\n")?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_parses() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["wanctl", "/ip/route print"]).unwrap();
        assert!(cli.action.is_none());
        assert_eq!(cli.command, ["/ip/route print"]);
        assert_eq!(cli.socket, Path::new(DEFAULT_SOCKET));
        let cli = Cli::try_parse_from(["wanctl", "/ip", "route", "print", "--json"]).unwrap();
        assert_eq!(cli.command.join(" "), "/ip route print");
        assert!(cli.json);
        let cli = Cli::try_parse_from(["wanctl", "--socket", "/tmp/s", "import", "a.rsc"]).unwrap();
        assert!(
            matches!(cli.action, Some(Action::Import { ref file }) if file == Path::new("a.rsc"))
        );
        assert_eq!(cli.socket, Path::new("/tmp/s"));
        let cli = Cli::try_parse_from(["wanctl", "export", "--rsc", "--socket", "/tmp/t"]).unwrap();
        assert!(matches!(cli.action, Some(Action::Export { rsc: true })));
        assert_eq!(export_request(true), "/export");
        assert_eq!(export_request(false), "/export format=yaml");
        assert_eq!(cli.socket, Path::new("/tmp/t"));
        let cli = Cli::try_parse_from(["wanctl"]).unwrap();
        assert!(cli.action.is_none() && cli.command.is_empty());
        assert!(Cli::try_parse_from(["wanctl", "export", "extra"]).is_err());
    }

    #[test]
    fn output_ends_with_a_newline() {
        let mut out = Vec::new();
        write_text(&mut out, "a").unwrap();
        write_text(&mut out, "").unwrap();
        write_text(&mut out, "b\n").unwrap();
        assert_eq!(out, b"a\nb\n");
    }
}
