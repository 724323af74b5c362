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
