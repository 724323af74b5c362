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
mod tests;
