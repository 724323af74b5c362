//! wanctl: runs RouterOS commands against a running wanfwd over its API socket.
//!
//! The API socket and the command language arrive with a later milestone; until then wanctl
//! only checks whether a daemon is listening and says plainly what it cannot do yet.

use clap::Parser;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "wanctl",
    about = "Run RouterOS commands against a running wanfwd"
)]
struct Args {
    /// The daemon's API socket.
    #[arg(long, default_value = "/run/wanfwd/api.sock")]
    socket: PathBuf,
    /// The command, as RouterOS writes it (e.g. '/ip/route print').
    command: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match UnixStream::connect(&args.socket) {
        Ok(_) => eprintln!(
            "wanctl: a daemon listens on {}, but this wanctl does not speak its API yet",
            args.socket.display()
        ),
        Err(e) => eprintln!(
            "wanctl: no wanfwd daemon to talk to at {}: {e}",
            args.socket.display()
        ),
    }
    ExitCode::FAILURE
}
