//! The operator API: the Unix socket over which `wanctl` runs RouterOS commands against a
//! running wanfwd.
//!
//! # Protocol (version 1)
//!
//! - **Transport**: a Unix stream socket, by default [`DEFAULT_SOCKET`]
//!   (`/run/wanfwd/api.sock`), mode 0660, owned by root and optionally by a configured group,
//!   so that only root and that group can open it.
//! - **Framing**: every message, in both directions, is a 4-byte big-endian length followed by
//!   that many bytes of UTF-8. A message is at most [`MAX_MESSAGE`] bytes (1 MiB); a bigger
//!   one is answered with an error and the connection is closed.
//! - **Hello**: the client speaks first, with its protocol name and version, `wanctl/1`
//!   ([`CLIENT_HELLO`]). The server answers `wanfwd/1 <version of wanfwd>` (for example
//!   `wanfwd/1 0.1.0`), or `error unsupported protocol version` and closes. A server that
//!   already serves [`MAX_CLIENTS`] clients answers the hello of one more with
//!   `error too many clients` and closes.
//! - **Requests**: then the client sends requests, `{kind}\n{body}`, where kind is
//!   - `run`: the body is RouterOS command text, possibly several lines: a script applied
//!     whole; the output is what RouterOS would print;
//!   - `run-json`: the same, with the output as JSON, as RouterOS's REST API gives it.
//!
//!   The server answers each with `ok\n{output}` or `error\n{message}`. A connection carries
//!   any number of requests, answered in order; the server reads a client's next request only
//!   once it has answered the previous one. An unknown kind or a message that is not UTF-8 is
//!   answered with `error\n{message}` and the connection is closed.
//! - **Time**: a client idle, or stuck in the middle of a message (or not reading its answer),
//!   for more than [`DEFAULT_TIMEOUT`] (10 s, see [`ApiServer::set_timeout`]) is disconnected
//!   without a word; a client whose request is being run is never timed out. [`ApiClient`]
//!   reconnects by itself when the server has closed an idle connection.
//!
//! # In the daemon
//!
//! [`ApiServer`] is made for the control core's loop, which must never block: [`ApiServer::poll`]
//! accepts clients and reads what they sent without blocking and returns the complete
//! requests; the core runs each and hands the answer to [`ApiServer::respond`], which queues it
//! and writes what the socket takes; later polls write the rest. Each client's buffers are
//! bounded (one message in, one out) and a misbehaving client is dropped without touching the
//! others. Writing to a client that went away relies on SIGPIPE being ignored, as Rust
//! programs do from the start.

use std::fmt;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The socket wanctl talks to when not told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/wanfwd/api.sock";
/// The client's hello: protocol name and version.
pub const CLIENT_HELLO: &str = "wanctl/1";
/// The start of the server's hello, followed by a space and wanfwd's version.
pub const SERVER_HELLO: &str = "wanfwd/1";
/// The largest message, in bytes, either side may send.
pub const MAX_MESSAGE: usize = 1 << 20;
/// The most clients served at once; more are answered with an error and closed.
pub const MAX_CLIENTS: usize = 64;
/// How long a client may stay idle or stuck mid-message before it is disconnected.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The answer to a hello of an unknown protocol or version.
const UNSUPPORTED: &str = "error unsupported protocol version";
/// The answer to a client beyond [`MAX_CLIENTS`].
const TOO_MANY: &str = "error too many clients";
/// The bytes read from one client in one poll, at most, so that no client holds the core up.
const READ_BUDGET: usize = 256 * 1024;
/// The new connections accepted in one poll, at most.
const ACCEPT_BUDGET: usize = 64;
/// Buffers that grew beyond this are given back once empty.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Frames `payload`: its length as 4 bytes big-endian, then the bytes.
///
/// Fails if the payload is larger than [`MAX_MESSAGE`].
pub fn encode_frame(payload: &str) -> io::Result<Vec<u8>> {
    if payload.len() > MAX_MESSAGE {
        return Err(too_large(payload.len()));
    }
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload.as_bytes());
    Ok(frame)
}

/// Writes one message to a blocking stream.
pub fn write_frame(w: &mut impl Write, payload: &str) -> io::Result<()> {
    w.write_all(&encode_frame(payload)?)?;
    w.flush()
}

/// Reads one message from a blocking stream: `Ok(None)` if the stream ends before its first
/// byte; an error if it ends inside the message, if the message is larger than
/// [`MAX_MESSAGE`] or is not UTF-8.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<String>> {
    let mut header = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_MESSAGE {
        return Err(too_large(len));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    String::from_utf8(body)
        .map(Some)
        .map_err(|_| io::Error::new(ErrorKind::InvalidData, "message is not UTF-8"))
}

fn too_large(len: usize) -> io::Error {
    io::Error::new(
        ErrorKind::InvalidData,
        format!("message of {len} bytes exceeds the limit of {MAX_MESSAGE} bytes"),
    )
}

/// Identifies a client of an [`ApiServer`] for as long as the server lives (never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "api client {}", self.0)
    }
}

/// A complete request from a client, for the control core to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Whom to [`ApiServer::respond`] to.
    pub client: ClientId,
    /// Whether the output is wanted as JSON (`run-json`).
    pub json: bool,
    /// RouterOS command text: one command or a script of several lines.
    pub text: String,
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The command ran; what it printed (possibly nothing).
    Ok(String),
    /// The command failed; why, as RouterOS would say it.
    Error(String),
}

impl Response {
    /// The message that carries this response: `ok\n{output}` or `error\n{message}`.
    pub fn encode(&self) -> String {
        match self {
            Response::Ok(out) => format!("ok\n{out}"),
            Response::Error(msg) => format!("error\n{msg}"),
        }
    }

    /// Reads a response message; `None` if it is neither form.
    pub fn decode(message: &str) -> Option<Response> {
        let (kind, body) = message.split_once('\n').unwrap_or((message, ""));
        match kind {
            "ok" => Some(Response::Ok(body.to_owned())),
            "error" => Some(Response::Error(body.to_owned())),
            _ => None,
        }
    }
}

/// The message that carries a request: `run\n{text}` or `run-json\n{text}`.
pub fn encode_request(text: &str, json: bool) -> String {
    let kind = if json { "run-json" } else { "run" };
    format!("{kind}\n{text}")
}

/// Reads a request message into (json, text), or says what is wrong with it.
pub fn decode_request(message: &str) -> Result<(bool, &str), String> {
    let (kind, body) = message.split_once('\n').unwrap_or((message, ""));
    match kind {
        "run" => Ok((false, body)),
        "run-json" => Ok((true, body)),
        _ => Err(format!(
            "unknown request kind {:?} (expected run or run-json)",
            truncate(kind, 40)
        )),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Connected, the hello not read yet.
    Hello,
    /// Waiting for a request (or in the middle of reading one).
    Idle,
    /// A request is with the control core; nothing more is read until it is answered.
    Pending,
    /// Writing out a last message, then closing.
    Closing,
}

/// What reading from a client gave.
enum Read1 {
    /// A complete message (without its length).
    Message(Vec<u8>),
    /// Nothing complete yet.
    NotYet,
    /// The client announced a message over the limit.
    TooLarge(usize),
    /// The client closed its side, or the socket failed.
    Closed,
}

struct Client {
    id: ClientId,
    stream: UnixStream,
    state: State,
    /// The message being read, length included; at most 4 + MAX_MESSAGE bytes.
    input: Vec<u8>,
    /// Messages to write; at most one response and its predecessors' leftovers.
    output: Vec<u8>,
    /// How much of `output` is written.
    written: usize,
    /// When the client last made progress (or a request of its was with the core).
    last_progress: Instant,
    /// To be removed at the end of this poll.
    dead: bool,
}

impl Client {
    /// Reads towards the next message, without blocking, up to `budget` bytes.
    fn read_message(&mut self, budget: &mut usize, now: Instant) -> Read1 {
        loop {
            let need = if self.input.len() < 4 {
                4 - self.input.len()
            } else {
                let len = u32::from_be_bytes([
                    self.input[0],
                    self.input[1],
                    self.input[2],
                    self.input[3],
                ]) as usize;
                if len > MAX_MESSAGE {
                    return Read1::TooLarge(len);
                }
                4 + len - self.input.len()
            };
            if need == 0 {
                let message = self.input[4..].to_vec();
                self.input.clear();
                if self.input.capacity() > KEEP_CAPACITY {
                    self.input.shrink_to(KEEP_CAPACITY);
                }
                return Read1::Message(message);
            }
            if *budget == 0 {
                return Read1::NotYet;
            }
            let want = need.min(*budget).min(READ_BUDGET);
            let start = self.input.len();
            self.input.resize(start + want, 0);
            let r = self.stream.read(&mut self.input[start..]);
            self.input.truncate(start + *r.as_ref().unwrap_or(&0));
            match r {
                Ok(0) => return Read1::Closed,
                Ok(n) => {
                    *budget -= n;
                    self.last_progress = now;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Read1::NotYet,
                Err(e) => {
                    log::debug!("{}: read failed: {e}", self.id);
                    return Read1::Closed;
                }
            }
        }
    }

    /// Writes what the socket takes of the queued output, without blocking.
    fn flush(&mut self, now: Instant) {
        while self.written < self.output.len() && !self.dead {
            match self.stream.write(&self.output[self.written..]) {
                Ok(0) => self.dead = true,
                Ok(n) => {
                    self.written += n;
                    self.last_progress = now;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    log::debug!("{}: write failed: {e}", self.id);
                    self.dead = true;
                }
            }
        }
        if self.written == self.output.len() {
            self.output.clear();
            self.written = 0;
            if self.output.capacity() > KEEP_CAPACITY {
                self.output.shrink_to(KEEP_CAPACITY);
            }
        }
    }

    /// Queues a message (which must fit the limit: all callers' messages do).
    fn queue(&mut self, message: &str) {
        match encode_frame(message) {
            Ok(frame) => self.output.extend_from_slice(&frame),
            Err(e) => {
                log::warn!("{}: cannot send a message: {e}", self.id);
                self.dead = true;
            }
        }
    }

    /// Queues a last message and closes once it is written.
    fn fail(&mut self, message: &str, why: &str) {
        log::debug!("{}: dropped: {why}", self.id);
        self.queue(message);
        self.state = State::Closing;
    }
}

/// The API socket's server side, polled by the control core (see the module documentation).
pub struct ApiServer {
    listener: UnixListener,
    path: PathBuf,
    /// Device and inode of the socket file we made, so that we remove only our own.
    file_id: (u64, u64),
    clients: Vec<Client>,
    next_id: u64,
    timeout: Duration,
    hello: String,
}

impl ApiServer {
    /// Creates the socket at `path` and listens on it, without blocking.
    ///
    /// Creates the parent directory (mode 0755) if it is missing. A socket file left by a
    /// dead process is replaced, but if a live process listens on it (a connection succeeds)
    /// this fails with [`ErrorKind::AddrInUse`]; a file there that is not a socket is left
    /// alone and this fails. The socket gets mode 0660 and, when `group` is given (a name from
    /// /etc/group, or a number), that group, before it appears under its name.
    pub fn bind(path: &Path, group: Option<&str>) -> io::Result<ApiServer> {
        let gid = group.map(resolve_group).transpose()?;
        let context = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "no file name"))
            .map_err(context)?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(parent)
                .map_err(context)?;
            // The umask may have taken bits away.
            fs::set_permissions(parent, fs::Permissions::from_mode(0o755)).map_err(context)?;
        }
        match fs::symlink_metadata(path) {
            Ok(meta) if !meta.file_type().is_socket() => {
                return Err(context(io::Error::new(
                    ErrorKind::AlreadyExists,
                    "the file exists and is not a socket",
                )));
            }
            Ok(_) => match UnixStream::connect(path) {
                Ok(_) => {
                    return Err(context(io::Error::new(
                        ErrorKind::AddrInUse,
                        "another wanfwd is already listening on this socket",
                    )));
                }
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    log::info!("removing the stale API socket {}", path.display());
                    match fs::remove_file(path) {
                        Err(e) if e.kind() != ErrorKind::NotFound => return Err(context(e)),
                        _ => {}
                    }
                }
                Err(e) => return Err(context(e)),
            },
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(context(e)),
        }
        // Bind under a temporary name, give the socket its mode and group, then move it in
        // place: the socket never appears under its name with other permissions.
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = parent.join(tmp_name);
        let _ = fs::remove_file(&tmp);
        let listener = UnixListener::bind(&tmp).map_err(context)?;
        let placed = (|| {
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o660))?;
            if let Some(gid) = gid {
                std::os::unix::fs::chown(&tmp, None, Some(gid))?;
            }
            fs::rename(&tmp, path)
        })();
        if let Err(e) = placed {
            let _ = fs::remove_file(&tmp);
            return Err(context(e));
        }
        listener.set_nonblocking(true).map_err(context)?;
        let meta = fs::metadata(path).map_err(context)?;
        log::info!("API listening on {}", path.display());
        Ok(ApiServer {
            listener,
            path: path.to_owned(),
            file_id: (meta.dev(), meta.ino()),
            clients: Vec::new(),
            next_id: 1,
            timeout: DEFAULT_TIMEOUT,
            hello: format!("{SERVER_HELLO} {}", env!("CARGO_PKG_VERSION")),
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long a client may stay idle or stuck mid-message.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets how long a client may stay idle or stuck mid-message ([`DEFAULT_TIMEOUT`] at first).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The clients connected.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Accepts new clients, writes pending output, reads what clients sent, drops the ones
    /// that misbehaved or timed out, all without blocking; returns the requests that are now
    /// complete, at most one per client.
    pub fn poll(&mut self, now: Instant) -> Vec<Request> {
        self.accept(now);
        let mut requests = Vec::new();
        for client in &mut self.clients {
            client.flush(now);
            let mut budget = READ_BUDGET;
            while !client.dead && matches!(client.state, State::Hello | State::Idle) {
                match client.read_message(&mut budget, now) {
                    Read1::NotYet => break,
                    Read1::Closed => {
                        // Whatever is still queued is written before closing.
                        client.state = State::Closing;
                    }
                    Read1::TooLarge(len) => {
                        let e = too_large(len).to_string();
                        if client.state == State::Hello {
                            client.fail(&format!("error {e}"), &e);
                        } else {
                            client.fail(&format!("error\n{e}"), &e);
                        }
                    }
                    Read1::Message(message) => {
                        if let Some(request) = self::handle(client, message, &self.hello) {
                            requests.push(request);
                        }
                        client.flush(now);
                    }
                }
            }
            match client.state {
                State::Pending => client.last_progress = now,
                State::Closing if client.output.is_empty() => client.dead = true,
                _ => {}
            }
            if !client.dead && now.saturating_duration_since(client.last_progress) > self.timeout {
                log::debug!("{}: dropped: timed out", client.id);
                client.dead = true;
            }
        }
        self.clients.retain(|c| {
            if c.dead {
                log::debug!("{}: disconnected", c.id);
            }
            !c.dead
        });
        requests
    }

    /// Queues the response to a request of `client` and writes what the socket takes now; the
    /// rest goes out in later polls. Does nothing if the client has gone, or has no request
    /// waiting for an answer.
    pub fn respond(&mut self, client: ClientId, response: Response) {
        let Some(c) = self.clients.iter_mut().find(|c| c.id == client) else {
            log::debug!("{client}: gone before its answer");
            return;
        };
        if c.state != State::Pending {
            log::warn!("{client}: an answer to no request, ignored");
            return;
        }
        let mut message = response.encode();
        if message.len() > MAX_MESSAGE {
            message = Response::Error(format!(
                "the output ({} bytes) exceeds the API's limit of {MAX_MESSAGE} bytes; \
                 narrow it down (print where ..., count-only)",
                message.len()
            ))
            .encode();
        }
        c.queue(&message);
        c.state = State::Idle;
        let now = Instant::now();
        c.last_progress = now;
        c.flush(now);
    }

    fn accept(&mut self, now: Instant) {
        for _ in 0..ACCEPT_BUDGET {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => {
                    // For example out of file descriptors: try again at the next poll.
                    log::warn!("API socket: accept failed: {e}");
                    return;
                }
            };
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            if self.clients.len() >= MAX_CLIENTS {
                log::warn!("API socket: more than {MAX_CLIENTS} clients, one refused");
                if let Ok(frame) = encode_frame(TOO_MANY) {
                    let _ = (&stream).write(&frame);
                }
                continue;
            }
            let id = ClientId(self.next_id);
            self.next_id += 1;
            log::debug!("{id}: connected");
            self.clients.push(Client {
                id,
                stream,
                state: State::Hello,
                input: Vec::new(),
                output: Vec::new(),
                written: 0,
                last_progress: now,
                dead: false,
            });
        }
    }
}

/// Acts on a complete message from a client: the hello, or a request (returned).
fn handle(client: &mut Client, message: Vec<u8>, hello: &str) -> Option<Request> {
    let Ok(text) = String::from_utf8(message) else {
        if client.state == State::Hello {
            client.fail(UNSUPPORTED, "hello is not UTF-8");
        } else {
            client.fail("error\nmessage is not UTF-8", "message is not UTF-8");
        }
        return None;
    };
    if client.state == State::Hello {
        if text == CLIENT_HELLO {
            client.queue(hello);
            client.state = State::Idle;
        } else {
            let why = format!("unsupported hello {:?}", truncate(&text, 40));
            client.fail(UNSUPPORTED, &why);
        }
        return None;
    }
    match decode_request(&text) {
        Ok((json, body)) => {
            client.state = State::Pending;
            Some(Request {
                client: client.id,
                json,
                text: body.to_owned(),
            })
        }
        Err(e) => {
            client.fail(&Response::Error(e.clone()).encode(), &e);
            None
        }
    }
}

impl Drop for ApiServer {
    /// Removes the socket file, if it is still the one this server made.
    fn drop(&mut self) {
        if let Ok(meta) = fs::symlink_metadata(&self.path) {
            if (meta.dev(), meta.ino()) == self.file_id {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// A group's id: `group` is a number, or a name looked up in /etc/group.
pub fn resolve_group(group: &str) -> io::Result<u32> {
    if let Ok(gid) = group.parse() {
        return Ok(gid);
    }
    let content = fs::read_to_string("/etc/group")
        .map_err(|e| io::Error::new(e.kind(), format!("/etc/group: {e}")))?;
    find_group(&content, group).ok_or_else(|| {
        io::Error::new(
            ErrorKind::NotFound,
            format!("no group named {group:?} in /etc/group"),
        )
    })
}

/// Finds a group's id in the content of an /etc/group file (`name:password:gid:members`).
pub fn find_group(content: &str, name: &str) -> Option<u32> {
    content
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = line.split(':');
            if fields.next()? != name {
                return None;
            }
            fields.nth(1)?.trim().parse().ok()
        })
}

/// The client side of the API, as wanctl uses it: blocking, one request at a time.
pub struct ApiClient {
    stream: UnixStream,
    path: PathBuf,
    timeout: Duration,
    server: String,
}

impl ApiClient {
    /// Connects to the server at `path` and exchanges hellos; `timeout` bounds every wait for
    /// the server, including for the output of a command.
    pub fn connect(path: &Path, timeout: Duration) -> io::Result<ApiClient> {
        let mut stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        // A server that refuses us may have written why and closed before our hello: read
        // its message even if the hello could not be written.
        let sent = write_frame(&mut stream, CLIENT_HELLO);
        let server = match (read_frame(&mut stream), sent) {
            (Ok(Some(hello)), _) => hello,
            (_, Err(e)) => return Err(explain(e, timeout)),
            (Ok(None), Ok(())) => {
                return Err(io::Error::new(
                    ErrorKind::ConnectionAborted,
                    "the server closed the connection before saying hello",
                ));
            }
            (Err(e), Ok(())) => return Err(explain(e, timeout)),
        };
        if let Some(why) = server.strip_prefix("error ") {
            return Err(io::Error::new(
                ErrorKind::ConnectionRefused,
                format!("wanfwd refused the connection: {why}"),
            ));
        }
        if server != SERVER_HELLO && !server.starts_with(&format!("{SERVER_HELLO} ")) {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "not a wanfwd API socket (it said {:?})",
                    truncate(&server, 60)
                ),
            ));
        }
        Ok(ApiClient {
            stream,
            path: path.to_owned(),
            timeout,
            server,
        })
    }

    /// The server's hello, e.g. `wanfwd/1 0.1.0`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Runs RouterOS command text (one command or a script) and gives its output
    /// (`Ok(Ok(output))`) or the error RouterOS would print (`Ok(Err(message))`); an `Err` is
    /// a failure to talk to the server.
    ///
    /// If the server closed the connection while it was idle, this reconnects first; a
    /// request that the server provably did not read (the connection reset under it) is sent
    /// again once on a new connection.
    pub fn run(&mut self, text: &str, json: bool) -> io::Result<Result<String, String>> {
        let message = encode_request(text, json);
        if message.len() > MAX_MESSAGE {
            return Err(too_large(message.len()));
        }
        if self.closed() {
            self.reconnect()?;
        }
        let answer = match self.exchange(&message) {
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                // The server closed this connection with our request unread.
                self.reconnect()?;
                self.exchange(&message)
            }
            other => other,
        }
        .map_err(|e| explain(e, self.timeout))?;
        Response::decode(&answer)
            .map(|r| match r {
                Response::Ok(out) => Ok(out),
                Response::Error(msg) => Err(msg),
            })
            .ok_or_else(|| {
                io::Error::new(
                    ErrorKind::InvalidData,
                    format!("unexpected answer {:?}", truncate(&answer, 60)),
                )
            })
    }

    fn exchange(&mut self, message: &str) -> io::Result<String> {
        write_frame(&mut self.stream, message)?;
        read_frame(&mut self.stream)?.ok_or_else(|| {
            io::Error::new(
                ErrorKind::UnexpectedEof,
                "wanfwd closed the connection without answering",
            )
        })
    }

    /// Whether the server has closed the connection (it never speaks unasked).
    fn closed(&self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return true;
        }
        let r = (&self.stream).read(&mut [0u8; 1]);
        let restored = self.stream.set_nonblocking(false).is_ok();
        !restored || !matches!(r, Err(ref e) if e.kind() == ErrorKind::WouldBlock)
    }

    fn reconnect(&mut self) -> io::Result<()> {
        *self = ApiClient::connect(&self.path, self.timeout)?;
        Ok(())
    }
}

/// Turns a timeout's error into words.
fn explain(e: io::Error, timeout: Duration) -> io::Error {
    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
        io::Error::new(
            ErrorKind::TimedOut,
            format!("no answer from wanfwd within {timeout:?}"),
        )
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    /// A fresh directory under the system's temporary one, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "wanfwd-api-{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn sock(&self) -> PathBuf {
            self.0.join("api.sock")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const WAIT: Duration = Duration::from_secs(10);

    /// A raw client, blocking with a read timeout so that a failing test does not hang.
    fn raw(path: &Path) -> UnixStream {
        let s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s
    }

    /// A raw client that has said hello; the server is polled until it answered.
    fn greeted(server: &mut ApiServer, path: &Path) -> UnixStream {
        let mut s = raw(path);
        write_frame(&mut s, CLIENT_HELLO).unwrap();
        let hello = poll_read(server, &mut s);
        assert!(hello.starts_with("wanfwd/1 "), "{hello}");
        s
    }

    /// Polls the server until `f` holds (requests are collected), or panics after a while.
    fn poll_until(
        server: &mut ApiServer,
        mut f: impl FnMut(&ApiServer, &[Request]) -> bool,
    ) -> Vec<Request> {
        let start = Instant::now();
        let mut requests = Vec::new();
        loop {
            requests.extend(server.poll(Instant::now()));
            if f(server, &requests) {
                return requests;
            }
            assert!(start.elapsed() < WAIT, "condition never met");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Polls the server while reading one message from `s` (nothing is sent to it unasked,
    /// so polling a few times before reading is enough).
    fn poll_read(server: &mut ApiServer, s: &mut UnixStream) -> String {
        s.set_nonblocking(true).unwrap();
        let start = Instant::now();
        let mut buf = Vec::new();
        loop {
            assert!(server.poll(Instant::now()).is_empty());
            let mut chunk = [0u8; 4096];
            match s.read(&mut chunk) {
                Ok(0) => panic!("closed before a whole message"),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
            if buf.len() >= 4 {
                let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                if buf.len() >= 4 + len {
                    assert_eq!(buf.len(), 4 + len, "more than one message");
                    s.set_nonblocking(false).unwrap();
                    return String::from_utf8(buf[4..].to_vec()).unwrap();
                }
            }
            assert!(start.elapsed() < WAIT, "no answer");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Reads until the server closes the connection (end of stream or reset).
    fn assert_closed(s: &mut UnixStream) {
        let mut rest = Vec::new();
        match s.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty(), "unexpected bytes {rest:?}"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
        }
    }

    /// What the test's control core answers: the request echoed, or an error for "fail".
    fn echo(r: &Request) -> Response {
        if r.text.starts_with("fail") {
            Response::Error(format!("failed: {}", r.text))
        } else {
            Response::Ok(format!("{}{}", if r.json { "json:" } else { "" }, r.text))
        }
    }

    /// Runs `client` in a thread while this one plays the control core with [`echo`].
    fn with_echo<T: Send>(server: &mut ApiServer, client: impl FnOnce() -> T + Send) -> T {
        thread::scope(|s| {
            let h = s.spawn(client);
            while !h.is_finished() {
                for r in server.poll(Instant::now()) {
                    let answer = echo(&r);
                    server.respond(r.client, answer);
                }
                thread::sleep(Duration::from_millis(1));
            }
            h.join().unwrap()
        })
    }

    #[test]
    fn frames_round_trip_and_are_bounded() {
        let frame = encode_frame("héllo").unwrap();
        assert_eq!(&frame[..4], &[0, 0, 0, 6]);
        let mut r = &frame[..];
        assert_eq!(read_frame(&mut r).unwrap().as_deref(), Some("héllo"));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        assert!(encode_frame(&"x".repeat(MAX_MESSAGE)).is_ok());
        assert!(encode_frame(&"x".repeat(MAX_MESSAGE + 1)).is_err());
        let big = ((MAX_MESSAGE + 1) as u32).to_be_bytes();
        assert_eq!(
            read_frame(&mut &big[..]).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        let cut = [0, 0, 0, 5, b'a'];
        assert_eq!(
            read_frame(&mut &cut[..]).unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        let bad = [0, 0, 0, 1, 0xff];
        assert_eq!(
            read_frame(&mut &bad[..]).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
    }

    #[test]
    fn requests_and_responses_encode() {
        assert_eq!(
            encode_request("/ip/route print", false),
            "run\n/ip/route print"
        );
        assert_eq!(decode_request("run-json\na\nb"), Ok((true, "a\nb")));
        assert_eq!(decode_request("run"), Ok((false, "")));
        assert!(decode_request("delete\nx").is_err());
        for r in [
            Response::Ok(String::new()),
            Response::Ok("a\nb\n".into()),
            Response::Error("no such item".into()),
        ] {
            assert_eq!(Response::decode(&r.encode()), Some(r));
        }
        assert_eq!(Response::decode("okay"), None);
    }

    #[test]
    fn groups_are_found_by_name_or_number() {
        let etc = "# comment\nroot:x:0:\nwheel:x:10:alice,bob\nwanfwd:x:998:\nbroken\n";
        assert_eq!(find_group(etc, "root"), Some(0));
        assert_eq!(find_group(etc, "wanfwd"), Some(998));
        assert_eq!(find_group(etc, "wan"), None);
        assert_eq!(find_group(etc, "broken"), None);
        assert_eq!(resolve_group("1234").unwrap(), 1234);
        assert_eq!(
            resolve_group("no-such-group-wanfwd").unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn hello_is_answered_with_the_version() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut s = raw(&dir.sock());
        write_frame(&mut s, "wanctl/1").unwrap();
        let hello = poll_read(&mut server, &mut s);
        assert_eq!(hello, format!("wanfwd/1 {}", env!("CARGO_PKG_VERSION")));
        assert_eq!(server.clients(), 1);
        let client = with_echo(&mut server, || {
            ApiClient::connect(&dir.sock(), WAIT)
                .unwrap()
                .server()
                .to_owned()
        });
        assert_eq!(client, hello);
    }

    #[test]
    fn bad_hello_is_rejected_and_the_client_dropped() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut good = greeted(&mut server, &dir.sock());
        for hello in ["wanctl/2", "wanctl", "run\n/ip/route print", ""] {
            let mut s = raw(&dir.sock());
            write_frame(&mut s, hello).unwrap();
            assert_eq!(poll_read(&mut server, &mut s), UNSUPPORTED);
            poll_until(&mut server, |s, _| s.clients() == 1);
            assert_closed(&mut s);
        }
        // Not UTF-8.
        let mut s = raw(&dir.sock());
        s.write_all(&[0, 0, 0, 2, 0xc3, 0x28]).unwrap();
        assert_eq!(poll_read(&mut server, &mut s), UNSUPPORTED);
        assert_closed(&mut s);
        // The client library says why.
        let e = with_echo(&mut server, || {
            let mut s = raw(&dir.sock());
            write_frame(&mut s, "wanctl/9").unwrap();
            read_frame(&mut s).unwrap().unwrap()
        });
        assert_eq!(e, UNSUPPORTED);
        // The good client is unaffected.
        write_frame(&mut good, "run\n/system/identity print").unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        assert_eq!(r[0].text, "/system/identity print");
        server.respond(r[0].client, Response::Ok("name: wanfwd".into()));
        assert_eq!(poll_read(&mut server, &mut good), "ok\nname: wanfwd");
    }

    #[test]
    fn a_request_makes_a_round_trip() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut s = greeted(&mut server, &dir.sock());
        let script = "/ip/route\nadd gateway=203.0.113.1\nadd gateway=198.51.100.1 distance=2";
        write_frame(&mut s, &format!("run-json\n{script}")).unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        assert_eq!(r.len(), 1);
        assert!(r[0].json);
        assert_eq!(r[0].text, script);
        // While the core works on it, polling yields nothing more and keeps the client.
        for _ in 0..10 {
            assert!(server.poll(Instant::now()).is_empty());
        }
        assert_eq!(server.clients(), 1);
        server.respond(r[0].client, Response::Error("bad gateway".into()));
        assert_eq!(poll_read(&mut server, &mut s), "error\nbad gateway");
        // The same connection carries the next request.
        write_frame(&mut s, "run\n/ip/route print").unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        assert!(!r[0].json);
        server.respond(r[0].client, Response::Ok(String::new()));
        assert_eq!(poll_read(&mut server, &mut s), "ok\n");
        // An answer to nobody, or to no request, changes nothing.
        server.respond(r[0].client, Response::Ok("again".into()));
        server.respond(ClientId(999), Response::Ok("nobody".into()));
        assert_eq!(server.clients(), 1);

        // Through the client library, in another thread.
        let out = with_echo(&mut server, || {
            let mut c = ApiClient::connect(&dir.sock(), WAIT).unwrap();
            let a = c.run("/ip/address print", false).unwrap();
            let b = c.run("/ip/address print", true).unwrap();
            let e = c.run("fail here", false).unwrap();
            (a, b, e)
        });
        assert_eq!(out.0, Ok("/ip/address print".to_owned()));
        assert_eq!(out.1, Ok("json:/ip/address print".to_owned()));
        assert_eq!(out.2, Err("failed: fail here".to_owned()));
    }

    #[test]
    fn clients_are_served_interleaved() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut c: Vec<UnixStream> = (0..3).map(|_| greeted(&mut server, &dir.sock())).collect();
        // Client 0 sends half of its request, 1 and 2 whole ones, then 0 the rest.
        let f0 = encode_frame("run\nzero").unwrap();
        c[0].write_all(&f0[..6]).unwrap();
        assert!(server.poll(Instant::now()).is_empty());
        write_frame(&mut c[2], "run\ntwo").unwrap();
        write_frame(&mut c[1], "run-json\none").unwrap();
        let first = poll_until(&mut server, |_, r| r.len() == 2);
        c[0].write_all(&f0[6..]).unwrap();
        let mut all = first;
        all.extend(poll_until(&mut server, |_, r| r.len() == 1));
        let texts: Vec<&str> = all.iter().map(|r| r.text.as_str()).collect();
        assert!(texts.contains(&"one") && texts.contains(&"two"));
        assert_eq!(texts[2], "zero");
        // Answered in another order than asked; each gets its own.
        for r in all.iter().rev() {
            server.respond(r.client, echo(r));
        }
        assert_eq!(poll_read(&mut server, &mut c[1]), "ok\njson:one");
        assert_eq!(poll_read(&mut server, &mut c[0]), "ok\nzero");
        assert_eq!(poll_read(&mut server, &mut c[2]), "ok\ntwo");

        // Two requests sent back to back on one connection are taken one at a time.
        let mut both = encode_frame("run\nfirst").unwrap();
        both.extend(encode_frame("run\nsecond").unwrap());
        c[1].write_all(&both).unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].text, "first");
        server.respond(r[0].client, echo(&r[0]));
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        assert_eq!(r[0].text, "second");
        server.respond(r[0].client, echo(&r[0]));
        let mut got = Vec::new();
        for _ in 0..2 {
            got.push(read_frame(&mut c[1]).unwrap().unwrap());
        }
        assert_eq!(got, ["ok\nfirst", "ok\nsecond"]);

        // Many library clients at once, each in its thread.
        let outs = with_echo(&mut server, || {
            thread::scope(|s| {
                let hs: Vec<_> = (0..8)
                    .map(|i| {
                        let path = dir.sock();
                        s.spawn(move || {
                            let mut c = ApiClient::connect(&path, WAIT).unwrap();
                            (0..5)
                                .map(|j| c.run(&format!("{i}.{j}"), false).unwrap().unwrap())
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                hs.into_iter()
                    .map(|h| h.join().unwrap())
                    .collect::<Vec<_>>()
            })
        });
        for (i, out) in outs.iter().enumerate() {
            let want: Vec<String> = (0..5).map(|j| format!("{i}.{j}")).collect();
            assert_eq!(out, &want);
        }
    }

    #[test]
    fn an_oversize_frame_drops_only_its_client() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let good = greeted(&mut server, &dir.sock());
        let mut bad = greeted(&mut server, &dir.sock());
        bad.write_all(&((MAX_MESSAGE + 1) as u32).to_be_bytes())
            .unwrap();
        bad.write_all(&[b'x'; 1000]).unwrap();
        let answer = poll_read(&mut server, &mut bad);
        assert!(answer.starts_with("error\n"), "{answer}");
        assert!(answer.contains("exceeds"), "{answer}");
        poll_until(&mut server, |s, _| s.clients() == 1);
        assert_closed(&mut bad);
        // Oversize already in the hello.
        let mut early = raw(&dir.sock());
        early.write_all(&u32::MAX.to_be_bytes()).unwrap();
        assert!(poll_read(&mut server, &mut early).starts_with("error "));
        assert_closed(&mut early);
        // A message of exactly the limit is fine; an output over the limit becomes an error
        // rather than breaking the protocol; a big one goes out in many partial writes.
        let mut g = good.try_clone().unwrap();
        let (limit, big) = thread::scope(|s| {
            let h = s.spawn(move || {
                write_frame(&mut g, &format!("run\n{}", "x".repeat(MAX_MESSAGE - 4))).unwrap();
                let limit = read_frame(&mut g).unwrap().unwrap();
                write_frame(&mut g, "run\nbig").unwrap();
                (limit, read_frame(&mut g).unwrap().unwrap())
            });
            while !h.is_finished() {
                for r in server.poll(Instant::now()) {
                    let out = if r.text == "big" {
                        "y".repeat(MAX_MESSAGE - 3)
                    } else {
                        assert_eq!(r.text.len(), MAX_MESSAGE - 4);
                        "y".repeat(MAX_MESSAGE)
                    };
                    server.respond(r.client, Response::Ok(out));
                }
                thread::sleep(Duration::from_millis(1));
            }
            h.join().unwrap()
        });
        assert!(limit.starts_with("error\nthe output"), "{limit}");
        assert_eq!(big.len(), MAX_MESSAGE);
        assert_eq!(server.clients(), 1);
    }

    #[test]
    fn garbage_requests_drop_the_client() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut s = greeted(&mut server, &dir.sock());
        write_frame(&mut s, "rm -rf /\n").unwrap();
        let answer = poll_read(&mut server, &mut s);
        assert!(
            answer.starts_with("error\nunknown request kind"),
            "{answer}"
        );
        assert_closed(&mut s);
        let mut s = greeted(&mut server, &dir.sock());
        s.write_all(&[0, 0, 0, 4, b'r', b'u', b'n', 0xff]).unwrap();
        assert_eq!(
            poll_read(&mut server, &mut s),
            "error\nmessage is not UTF-8"
        );
        assert_closed(&mut s);
        poll_until(&mut server, |s, _| s.clients() == 0);
    }

    #[test]
    fn a_stalled_client_is_dropped_after_the_timeout() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        server.set_timeout(Duration::from_millis(100));
        let mut busy = greeted(&mut server, &dir.sock());
        write_frame(&mut busy, "run\n:delay 1s").unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        let mut stalled = greeted(&mut server, &dir.sock());
        let f = encode_frame("run\n/ip/route print").unwrap();
        stalled.write_all(&f[..7]).unwrap();
        let mut silent = raw(&dir.sock()); // never says hello
        let _idle = greeted(&mut server, &dir.sock());
        // All but the one whose request the core is running go, eventually.
        poll_until(&mut server, |s, _| s.clients() == 1);
        assert_closed(&mut stalled);
        assert_closed(&mut silent);
        server.respond(r[0].client, Response::Ok("done".into()));
        assert_eq!(poll_read(&mut server, &mut busy), "ok\ndone");

        // The client library reconnects after its idle connection was dropped.
        let mut c = with_echo(&mut server, || {
            ApiClient::connect(&dir.sock(), WAIT).unwrap()
        });
        poll_until(&mut server, |s, _| s.clients() == 0);
        let out = with_echo(&mut server, || c.run("again", false).unwrap());
        assert_eq!(out, Ok("again".to_owned()));
    }

    #[test]
    fn a_client_that_closes_its_side_still_gets_its_answer() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let mut s = greeted(&mut server, &dir.sock());
        write_frame(&mut s, "run\n/export").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let r = poll_until(&mut server, |_, r| !r.is_empty());
        server.respond(r[0].client, Response::Ok("config".into()));
        poll_until(&mut server, |s, _| s.clients() == 0);
        assert_eq!(read_frame(&mut s).unwrap().unwrap(), "ok\nconfig");
        assert_eq!(read_frame(&mut s).unwrap(), None);
    }

    #[test]
    fn clients_beyond_the_limit_are_refused() {
        let dir = TempDir::new();
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        let held: Vec<UnixStream> = (0..MAX_CLIENTS).map(|_| raw(&dir.sock())).collect();
        poll_until(&mut server, |s, _| s.clients() == MAX_CLIENTS);
        let mut extra = raw(&dir.sock());
        write_frame(&mut extra, CLIENT_HELLO).unwrap();
        assert_eq!(poll_read(&mut server, &mut extra), TOO_MANY);
        assert_closed(&mut extra);
        assert_eq!(server.clients(), MAX_CLIENTS);
        drop(held);
        poll_until(&mut server, |s, _| s.clients() == 0);
        let e = with_echo(&mut server, || {
            let _full: Vec<_> = (0..MAX_CLIENTS)
                .map(|_| ApiClient::connect(&dir.sock(), WAIT).unwrap())
                .collect();
            ApiClient::connect(&dir.sock(), WAIT).err().unwrap()
        });
        assert!(e.to_string().contains("too many clients"), "{e}");
    }

    #[test]
    fn the_socket_has_mode_0660_and_its_directory_0755() {
        let dir = TempDir::new();
        let path = dir.0.join("run").join("wanfwd").join("api.sock");
        let server = ApiServer::bind(&path, None).unwrap();
        let meta = fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o7777, 0o660);
        let parent = fs::metadata(path.parent().unwrap()).unwrap();
        assert_eq!(parent.permissions().mode() & 0o7777, 0o755);
        // Nothing else is left in the directory.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        drop(server);
        assert!(!path.exists(), "the socket file outlived its server");
    }

    #[test]
    fn the_socket_gets_the_configured_group() {
        let dir = TempDir::new();
        // A group this process may give its files: the one its new files get.
        let gid = fs::metadata(&dir.0).unwrap().gid();
        let server = ApiServer::bind(&dir.sock(), Some(&gid.to_string())).unwrap();
        assert_eq!(fs::metadata(dir.sock()).unwrap().gid(), gid);
        drop(server);
        let e = ApiServer::bind(&dir.sock(), Some("no-such-group-wanfwd"))
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(!dir.sock().exists());
    }

    #[test]
    fn a_stale_socket_is_replaced() {
        let dir = TempDir::new();
        drop(UnixListener::bind(dir.sock()).unwrap()); // its process died: the file stays
        assert!(dir.sock().exists());
        let mut server = ApiServer::bind(&dir.sock(), None).unwrap();
        greeted(&mut server, &dir.sock());
        assert_eq!(server.clients(), 1);
    }

    #[test]
    fn a_live_socket_refuses_a_second_server() {
        let dir = TempDir::new();
        let mut first = ApiServer::bind(&dir.sock(), None).unwrap();
        let e = ApiServer::bind(&dir.sock(), None).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::AddrInUse);
        assert!(e.to_string().contains("already listening"), "{e}");
        // The first one still serves, on the same file.
        greeted(&mut first, &dir.sock());
        // A file that is not a socket is not ours to remove.
        let other = dir.0.join("notes");
        fs::write(&other, "keep").unwrap();
        let e = ApiServer::bind(&other, None).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&other).unwrap(), "keep");
    }

    #[test]
    fn a_client_without_a_server_says_so() {
        let dir = TempDir::new();
        let e = ApiClient::connect(&dir.sock(), WAIT).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        drop(UnixListener::bind(dir.sock()).unwrap());
        let e = ApiClient::connect(&dir.sock(), WAIT).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        // A listener that never answers: the client gives up after its timeout.
        let _mute = UnixListener::bind(dir.0.join("mute.sock")).unwrap();
        let e = ApiClient::connect(&dir.0.join("mute.sock"), Duration::from_millis(50))
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
    }
}
