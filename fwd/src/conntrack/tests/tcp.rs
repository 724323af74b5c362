use super::*;

#[test]
fn tcp_handshake_and_close() {
    let to = Timeouts::default();
    let mut t = table(4);
    let k = key(0xc0a8_0102, 0x5db8_d822, 51000, 443, TCP);
    assert!(can_create(SYN));
    let id = t.insert(k, k.reversed(), 0).unwrap();
    let steps: [(Dir, u8, ConnState, &str, Duration); 7] = [
        (
            Dir::Original,
            SYN,
            ConnState::New,
            "syn-sent",
            to.tcp_syn_sent,
        ),
        (
            Dir::Reply,
            SYN | ACK,
            ConnState::Established,
            "syn-received",
            to.tcp_syn_received,
        ),
        (
            Dir::Original,
            ACK,
            ConnState::Established,
            "established",
            to.tcp_established,
        ),
        (
            Dir::Original,
            FIN | ACK | PSH,
            ConnState::Established,
            "fin-wait",
            to.tcp_fin_wait,
        ),
        (
            Dir::Reply,
            ACK,
            ConnState::Established,
            "close-wait",
            to.tcp_close_wait,
        ),
        (
            Dir::Reply,
            FIN | ACK,
            ConnState::Established,
            "last-ack",
            to.tcp_last_ack,
        ),
        (
            Dir::Original,
            ACK,
            ConnState::Established,
            "time-wait",
            to.tcp_time_wait,
        ),
    ];
    for (i, (dir, flags, state, name, timeout)) in steps.into_iter().enumerate() {
        let now = i as u64 * 100;
        assert_eq!(t.track(id, dir, flags, now), state, "step {i}");
        let c = t.get(id).unwrap();
        assert_eq!(c.tcp_state_name(), name, "step {i}");
        assert_eq!(c.expires_in(now), timeout.as_millis() as u64, "step {i}");
    }
    assert!(t.get(id).unwrap().assured());
    // A new SYN on the same ports reopens the connection as new.
    assert_eq!(t.track(id, Dir::Original, SYN, 1000), ConnState::New);
    let c = t.get(id).unwrap();
    assert_eq!(c.tcp, TcpState::SynSent);
    assert!(!c.seen_reply() && !c.assured());
}

#[test]
fn tcp_transitions_of_the_table() {
    use TcpState as S;
    let o = Dir::Original;
    let r = Dir::Reply;
    assert_eq!(tcp_next(S::None, o, SYN), Ok(S::SynSent));
    assert_eq!(tcp_next(S::None, o, SYN | URG), Ok(S::SynSent));
    assert_eq!(tcp_next(S::SynSent, r, SYN | ACK), Ok(S::SynReceived));
    assert_eq!(
        tcp_next(S::SynSent, o, SYN),
        Ok(S::SynSent),
        "retransmitted SYN"
    );
    assert_eq!(tcp_next(S::SynSent, o, ACK), Err(Invalid));
    assert_eq!(tcp_next(S::SynReceived, o, ACK), Ok(S::Established));
    assert_eq!(
        tcp_next(S::Established, o, SYN),
        Ok(S::Established),
        "ignored"
    );
    assert_eq!(
        tcp_next(S::Established, r, SYN | ACK),
        Ok(S::Established),
        "ignored"
    );
    assert_eq!(tcp_next(S::Established, r, FIN | ACK), Ok(S::FinWait));
    assert_eq!(tcp_next(S::FinWait, o, FIN | ACK), Ok(S::LastAck));
    assert_eq!(tcp_next(S::LastAck, r, ACK), Ok(S::TimeWait));
    assert_eq!(tcp_next(S::TimeWait, o, ACK), Ok(S::TimeWait));
    assert_eq!(tcp_next(S::Close, o, ACK), Ok(S::Close));
    assert_eq!(tcp_next(S::TimeWait, o, SYN), Ok(S::SynSent));
}

#[test]
fn tcp_loose_pickup() {
    assert!(can_create(ACK));
    assert!(can_create(ACK | PSH));
    let mut t = table(4);
    let k = key(1, 2, 1000, 22, TCP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    assert_eq!(t.track(id, Dir::Original, ACK | PSH, 0), ConnState::New);
    assert_eq!(t.get(id).unwrap().tcp, TcpState::Established);
    assert_eq!(t.get(id).unwrap().expires_in(0), 86_400 * S);
    assert_eq!(t.track(id, Dir::Reply, ACK, 1), ConnState::Established);
    // A reply-side ACK cannot start a connection.
    assert_eq!(tcp_next(TcpState::None, Dir::Reply, ACK), Err(Invalid));
}

#[test]
fn tcp_invalid_combinations() {
    for flags in [
        SYN | FIN,
        SYN | RST,
        0,
        FIN,
        FIN | RST,
        SYN | FIN | ACK,
        SYN | RST | ACK,
        PSH,
        URG,
    ] {
        assert!(!can_create(flags), "{flags:#x}");
        for s in [TcpState::SynSent, TcpState::Established, TcpState::FinWait] {
            for d in [Dir::Original, Dir::Reply] {
                assert_eq!(
                    tcp_next(s, d, flags),
                    Err(Invalid),
                    "{flags:#x} {s:?} {d:?}"
                );
            }
        }
    }
    // Cannot create: SYN+ACK, a lone RST, FIN+ACK.
    for flags in [SYN | ACK, RST, RST | ACK, FIN | ACK] {
        assert!(!can_create(flags), "{flags:#x}");
    }
    // An invalid packet leaves the connection unchanged.
    let mut t = table(2);
    let k = key(1, 2, 3, 4, TCP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    t.track(id, Dir::Original, SYN, 0);
    let before = *t.get(id).unwrap();
    assert_eq!(t.track(id, Dir::Reply, SYN | FIN, 500), ConnState::Invalid);
    assert_eq!(t.track(id, Dir::Original, ACK, 500), ConnState::Invalid);
    assert_eq!(*t.get(id).unwrap(), before);
}

#[test]
fn tcp_rst_closes() {
    let mut t = table(2);
    let k = key(1, 2, 3, 4, TCP);
    let id = t.insert(k, k.reversed(), 0).unwrap();
    t.track(id, Dir::Original, SYN, 0);
    t.track(id, Dir::Reply, SYN | ACK, 0);
    t.track(id, Dir::Original, ACK, 0);
    assert_eq!(
        t.track(id, Dir::Reply, RST | ACK, 50),
        ConnState::Established
    );
    let c = t.get(id).unwrap();
    assert_eq!(c.tcp_state_name(), "close");
    assert_eq!(c.expires_in(50), 10 * S);
    // A RST answering a SYN also closes.
    let k2 = key(1, 2, 5, 6, TCP);
    let id2 = t.insert(k2, k2.reversed(), 0).unwrap();
    t.track(id2, Dir::Original, SYN, 0);
    t.track(id2, Dir::Reply, RST | ACK, 0);
    assert_eq!(t.get(id2).unwrap().tcp, TcpState::Close);
}

#[test]
fn timeouts_set_and_properties() {
    let mut to = Timeouts::default();
    assert_eq!(to.tcp_established, Duration::from_secs(86_400));
    to.set("tcp-established-timeout", Duration::from_secs(3600))
        .unwrap();
    to.set("generic-timeout", Duration::from_secs(1)).unwrap();
    assert_eq!(to.tcp_established, Duration::from_secs(3600));
    assert_eq!(to.generic, Duration::from_secs(1));
    let before = to;
    let err = to
        .set("tcp-establish-timeout", Duration::from_secs(5))
        .unwrap_err();
    assert!(err.contains("tcp-establish-timeout"), "{err}");
    assert_eq!(to, before);
    let props = to.properties();
    assert_eq!(props.len(), 12);
    assert_eq!(props[0], ("tcp-syn-sent-timeout", Duration::from_secs(5)));
    assert_eq!(
        props[2],
        ("tcp-established-timeout", Duration::from_secs(3600))
    );
    assert_eq!(props[11], ("generic-timeout", Duration::from_secs(1)));
    // Every listed property can be set by its name.
    for (name, _) in props {
        to.set(name, Duration::from_secs(7)).unwrap();
    }
    assert!(to
        .properties()
        .iter()
        .all(|(_, d)| *d == Duration::from_secs(7)));
}
