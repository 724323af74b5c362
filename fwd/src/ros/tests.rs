use super::*;
use proptest::prelude::*;

/// Every command of the multi-WAN guide (shared/seeds/000_6c32c4b3e697f135.txt), verbatim and
/// in order, with its comments.
const GUIDE: &str = r#"# Show routes with resolution state
/ip/route print detail
# Show only active (resolved) routes
/ip/route print where active=yes
# Show the next-hop cache
/routing/nexthop/print
# Route A: resolved via a static route (raise target-scope to allow it)
/ip/route add dst-address=10.1.0.0/16 gateway=172.16.0.1 target-scope=30
# Route B: intermediate static route (scope=30 satisfies A's target-scope=30)
/ip/route add dst-address=172.16.0.0/24 gateway=192.168.1.1
# Step 1: Anchor routes — /32 host routes with check-gateway
# scope=10 allows dependent routes (target-scope=20) to resolve through them
/ip/route add dst-address=203.0.113.1/32 gateway=203.0.113.1%ether1 \
check-gateway=ping distance=1 scope=10 target-scope=20
/ip/route add dst-address=198.51.100.1/32 gateway=198.51.100.1%ether2 \
check-gateway=ping distance=1 scope=10 target-scope=20
# Step 2: Default routes resolve through the anchors (scope=20, target-scope default=10)
# Note: set scope=20 so anchor can resolve them (anchor.scope=10 ≤ route.target-scope=20)
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 scope=20
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 scope=20
# Step 3: VPN routes also resolve through the same anchors
/ip/route add dst-address=10.10.0.0/16 gateway=203.0.113.1 distance=1 scope=20
/ip/route add dst-address=10.10.0.0/16 gateway=198.51.100.1 distance=10 scope=20
# Primary route — actively probed every 10s
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
# Backup route — activates automatically if primary fails
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10
# Monitor an external IP for WAN1 reachability
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
up-script="/ip/route set [find gateway=203.0.113.1] distance=1" \
down-script="/ip/route set [find gateway=203.0.113.1] distance=20"
# Primary route (distance=1 when WAN1 healthy; Netwatch raises to 20 on failure)
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1
# Backup route (distance=10 — always wins when WAN1 distance=20)
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
up-script={
:log info "WAN1 upstream UP"
/ip/route enable [find comment="wan1-default"]
} \
down-script={
:log warning "WAN1 upstream DOWN - failing over"
/ip/route disable [find comment="wan1-default"]
}
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment="wan1-default"
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 comment="wan2-default"
/interface/list add name=WAN
/interface/list/member add interface=ether1 list=WAN
/interface/list/member add interface=ether2 list=WAN
/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade
# Both gateways at distance=1 — RouterOS creates an ECMP group
/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
/ip/route add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=1 check-gateway=ping
# Options: l3 (src+dst IP), l4 (src+dst IP + ports), l3-inner (inner headers for tunnels)
/ip/settings set ecmp-hash-policy=l4
# Verify ECMP group — both routes should show as active
/ip/route print where dst-address=0.0.0.0/0
# 1) Create routing tables for policy routing
/routing/table
add name=to_wan1 fib
add name=to_wan2 fib
# 2) Per-table default routes (for marked traffic)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 routing-table=to_wan1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 routing-table=to_wan2 distance=1 check-gateway=ping
# 3) Main table routes (for unmarked traffic and fallback)
/ip/route
add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 check-gateway=ping
add dst-address=0.0.0.0/0 gateway=198.51.100.1 distance=10 check-gateway=ping
# 4) Mangle: mark incoming connections from LAN using PCC (2-way split)
/ip/firewall/mangle
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/0 \
action=mark-connection new-connection-mark=wan1_conn passthrough=yes
add chain=prerouting in-interface=bridge connection-state=new \
dst-address-type=!local \
per-connection-classifier=both-addresses-and-ports:2/1 \
action=mark-connection new-connection-mark=wan2_conn passthrough=yes
# 5) Apply routing marks for established connections
add chain=prerouting in-interface=bridge \
connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=prerouting in-interface=bridge \
connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
# 6) Router-originated traffic (e.g., DNS, updates)
add chain=output connection-mark=wan1_conn \
action=mark-routing new-routing-mark=to_wan1 passthrough=no
add chain=output connection-mark=wan2_conn \
action=mark-routing new-routing-mark=to_wan2 passthrough=no
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
down-script={
:log warning "WAN1 down - clearing wan1 connections"
/ip/firewall/connection remove [find connection-mark=wan1_conn]
}
# Check if gateway address has a route
/ip/route print where dst-address=203.0.113.1/32
# Inspect next-hop cache
/routing/nexthop/print
# Flush cache to force re-resolution
/routing/nexthop/flush
    /ip/route print detail where dst-address=0.0.0.0/0
    /ping 203.0.113.1 count=5
    /ip/route print where dst-address=0.0.0.0/0
# Inspect scope/target-scope values
/ip/route print detail where gateway=203.0.113.1
/ip/route set [find dst-address=10.10.0.0/16] target-scope=30
/ip/firewall/mangle print where action=mark-connection
/ip/firewall/connection print where connection-mark=wan1_conn count-only
/ip/firewall/connection print where connection-mark=wan2_conn count-only
/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \
down-script={
:delay 10
:if ([/ping 8.8.8.8 count=3] = 0) do={
:log error "Confirmed WAN1 failure"
/ip/route set [find gateway=203.0.113.1] distance=20
}
}
"#;

fn p(src: &str) -> Script {
    match parse(src) {
        Ok(s) => s,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn commands(s: &Script) -> Vec<&Command> {
    s.stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Command(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn one(src: &str) -> Command {
    let s = p(src);
    assert_eq!(s.stmts.len(), 1, "{src:?}: {s:?}");
    match s.stmts.into_iter().next() {
        Some(Stmt::Command(c)) => c,
        other => panic!("{src:?}: not a command: {other:?}"),
    }
}

fn path(p: &str) -> Vec<String> {
    p.split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn word(w: &str) -> Expr {
    Expr::Word(w.into())
}

fn text<'a>(c: &'a Command, name: &str) -> &'a str {
    c.value(name)
        .and_then(Expr::as_text)
        .unwrap_or_else(|| panic!("{name} in {c}"))
}

fn the_script(e: &Expr) -> (&[Stmt], &str) {
    match e {
        Expr::Block { stmts, source } => (stmts, source),
        other => panic!("not a block: {other:?}"),
    }
}

fn sub(e: &Expr) -> &Command {
    match e {
        Expr::Sub(c) => c,
        other => panic!("not a substitution: {other:?}"),
    }
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(s) => panic!("{src:?} parsed: {s:?}"),
        Err(e) => e,
    }
}

/// Spans aside, the tree of `a` and of its printed form are the same.
fn reprints(src: &str) {
    let first = p(src);
    let printed = first.to_string();
    let second = parse(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
    assert_eq!(printed, second.to_string(), "from {src:?}");
}

// ---- the guide ----

#[test]
fn guide_parses_whole() {
    let s = p(GUIDE);
    let cmds = commands(&s);
    // 52 commands plus 4 menu changes, nothing else.
    assert_eq!(cmds.len(), 52);
    let menus: Vec<_> = s
        .stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::ChangeMenu { path, .. } => Some(path.join("/")),
            _ => None,
        })
        .collect();
    assert_eq!(
        menus,
        [
            "routing/table",
            "ip/route",
            "ip/route",
            "ip/firewall/mangle"
        ]
    );
    assert_eq!(s.stmts.len(), 56);
    // Every command of the guide runs in a menu it names.
    for c in &cmds {
        assert!(
            [
                "/ip/route",
                "/routing/nexthop",
                "/tool/netwatch",
                "/interface/list",
                "/interface/list/member",
                "/ip/firewall/nat",
                "/ip/settings",
                "/routing/table",
                "/ip/firewall/mangle",
                "/ip/firewall/connection",
                "/",
            ]
            .contains(&c.menu().as_str()),
            "{c}"
        );
    }
}

#[test]
fn guide_reprints_to_the_same_tree() {
    reprints(GUIDE);
}

#[test]
fn guide_each_line_alone() {
    // The one-line commands, as `wanctl '<command>'` would get them.
    for line in GUIDE.lines() {
        let l = line.trim();
        if l.starts_with('/') && !l.ends_with('\\') && l.contains(' ') {
            let c = one(l);
            assert!(!c.verb.is_empty(), "{l}");
        }
    }
}

#[test]
fn guide_print_commands() {
    let c = one("/ip/route print detail");
    assert_eq!(
        (c.path.clone(), c.verb.as_str()),
        (path("ip/route"), "print")
    );
    assert!(c.has_flag("detail"));

    let c = one("/ip/route print where active=yes");
    assert_eq!(
        c.where_cond(),
        Some(&Cond::Cmp {
            prop: "active".into(),
            op: CmpOp::Eq,
            value: word("yes"),
            span: Span {
                line: 1,
                column: 23
            }
        })
    );

    let c = one("/routing/nexthop/print");
    assert_eq!(
        (c.path.clone(), c.verb.as_str()),
        (path("routing/nexthop"), "print")
    );
    assert!(c.args.is_empty());

    let c = one("/routing/nexthop/flush");
    assert_eq!(c.verb, "flush");

    let c = one("/ip/route print detail where dst-address=0.0.0.0/0");
    assert!(c.has_flag("detail"));
    assert!(matches!(
        c.where_cond(),
        Some(Cond::Cmp { prop, op: CmpOp::Eq, value: Expr::Word(v), .. })
            if prop == "dst-address" && v == "0.0.0.0/0"
    ));

    // `count-only` after the condition is the print option, not a term of it.
    let c = one("/ip/firewall/connection print where connection-mark=wan1_conn count-only");
    assert_eq!(c.path, path("ip/firewall/connection"));
    assert_eq!(c.args.len(), 2);
    assert!(
        matches!(&c.args[0], Arg::Where { cond: Cond::Cmp { prop, value, .. }, .. }
        if prop == "connection-mark" && value == &word("wan1_conn"))
    );
    assert!(c.has_flag("count-only"));

    let c = one("/ip/firewall/mangle print where action=mark-connection");
    assert!(
        matches!(c.where_cond(), Some(Cond::Cmp { value, .. }) if value == &word("mark-connection"))
    );
}

#[test]
fn guide_anchor_routes_with_continuation() {
    let s = p("/ip/route add dst-address=203.0.113.1/32 gateway=203.0.113.1%ether1 \\\ncheck-gateway=ping distance=1 scope=10 target-scope=20\n");
    let c = &commands(&s)[0];
    assert_eq!(c.path, path("ip/route"));
    assert_eq!(c.verb, "add");
    assert_eq!(text(c, "dst-address"), "203.0.113.1/32");
    assert_eq!(text(c, "gateway"), "203.0.113.1%ether1");
    assert_eq!(text(c, "check-gateway"), "ping");
    assert_eq!(c.value("distance"), Some(&Expr::Num(1)));
    assert_eq!(c.value("scope"), Some(&Expr::Num(10)));
    assert_eq!(c.value("target-scope"), Some(&Expr::Num(20)));
    let names: Vec<_> = c
        .args
        .iter()
        .map(|a| match a {
            Arg::Named { name, span, .. } => (name.as_str(), span.line, span.column),
            _ => panic!("{a:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            ("dst-address", 1, 15),
            ("gateway", 1, 42),
            ("check-gateway", 2, 1),
            ("distance", 2, 20),
            ("scope", 2, 31),
            ("target-scope", 2, 40),
        ]
    );
}

#[test]
fn guide_routing_table_menu_then_relative_adds() {
    let s = p("/routing/table\nadd name=to_wan1 fib\nadd name=to_wan2 fib\n");
    assert_eq!(
        s.stmts[0],
        Stmt::ChangeMenu {
            path: path("routing/table"),
            span: Span { line: 1, column: 1 }
        }
    );
    let cmds = commands(&s);
    assert_eq!(cmds.len(), 2);
    for (c, table) in cmds.iter().zip(["to_wan1", "to_wan2"]) {
        assert_eq!(c.path, path("routing/table"));
        assert_eq!(c.verb, "add");
        assert_eq!(text(c, "name"), table);
        assert!(c.has_flag("fib"));
    }
    assert_eq!(cmds[1].span, Span { line: 3, column: 1 });
}

#[test]
fn guide_mangle_rules() {
    let s = p(GUIDE);
    let mangle: Vec<_> = commands(&s)
        .into_iter()
        .filter(|c| c.path == path("ip/firewall/mangle") && c.verb == "add")
        .collect();
    assert_eq!(mangle.len(), 6);
    let pcc = mangle[0];
    assert_eq!(text(pcc, "chain"), "prerouting");
    assert_eq!(text(pcc, "in-interface"), "bridge");
    assert_eq!(text(pcc, "connection-state"), "new");
    assert_eq!(text(pcc, "dst-address-type"), "!local");
    assert_eq!(
        text(pcc, "per-connection-classifier"),
        "both-addresses-and-ports:2/0"
    );
    assert_eq!(text(pcc, "action"), "mark-connection");
    assert_eq!(text(pcc, "new-connection-mark"), "wan1_conn");
    assert_eq!(text(pcc, "passthrough"), "yes");
    assert_eq!(
        text(mangle[1], "per-connection-classifier"),
        "both-addresses-and-ports:2/1"
    );
    assert_eq!(text(mangle[3], "connection-mark"), "wan2_conn");
    assert_eq!(text(mangle[3], "new-routing-mark"), "to_wan2");
    assert_eq!(text(mangle[4], "chain"), "output");
    assert_eq!(text(mangle[5], "passthrough"), "no");
    // The per-table routes went to /ip/route, not to the mangle menu.
    let tabled: Vec<_> = commands(&s)
        .into_iter()
        .filter(|c| c.value("routing-table").is_some())
        .collect();
    assert_eq!(tabled.len(), 2);
    assert!(tabled.iter().all(|c| c.path == path("ip/route")));
}

#[test]
fn guide_netwatch_string_scripts() {
    let s = p("/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \\\nup-script=\"/ip/route set [find gateway=203.0.113.1] distance=1\" \\\ndown-script=\"/ip/route set [find gateway=203.0.113.1] distance=20\"");
    let c = commands(&s)[0];
    assert_eq!(c.path, path("tool/netwatch"));
    assert_eq!(text(c, "host"), "8.8.8.8");
    assert_eq!(text(c, "interval"), "10s");
    assert_eq!(text(c, "timeout"), "3s");
    let up = text(c, "up-script");
    assert_eq!(up, "/ip/route set [find gateway=203.0.113.1] distance=1");
    // The stored script is itself a script.
    let inner = one(up);
    assert_eq!(inner.verb, "set");
    let find = sub(inner.positionals().next().unwrap());
    assert_eq!(
        (find.path.clone(), find.verb.as_str()),
        (path("ip/route"), "find")
    );
    assert_eq!(text(find, "gateway"), "203.0.113.1");
    assert_eq!(inner.value("distance"), Some(&Expr::Num(1)));
}

#[test]
fn guide_netwatch_block_scripts() {
    let src = "/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \\\nup-script={\n:log info \"WAN1 upstream UP\"\n/ip/route enable [find comment=\"wan1-default\"]\n} \\\ndown-script={\n:log warning \"WAN1 upstream DOWN - failing over\"\n/ip/route disable [find comment=\"wan1-default\"]\n}\n/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 distance=1 comment=\"wan1-default\"\n";
    let s = p(src);
    assert_eq!(s.stmts.len(), 2);
    let c = commands(&s)[0];
    let (up, up_src) = the_script(c.value("up-script").unwrap());
    assert_eq!(
        up_src,
        "\n:log info \"WAN1 upstream UP\"\n/ip/route enable [find comment=\"wan1-default\"]\n"
    );
    assert_eq!(
        up[0],
        Stmt::Log {
            level: LogLevel::Info,
            message: Expr::Str("WAN1 upstream UP".into()),
            span: Span { line: 3, column: 1 }
        }
    );
    let Stmt::Command(enable) = &up[1] else {
        panic!("{:?}", up[1])
    };
    assert_eq!(
        (enable.path.clone(), enable.verb.as_str()),
        (path("ip/route"), "enable")
    );
    let find = sub(enable.positionals().next().unwrap());
    assert_eq!(find.path, path("ip/route"));
    assert_eq!(
        find.value("comment"),
        Some(&Expr::Str("wan1-default".into()))
    );

    let (down, down_src) = the_script(c.value("down-script").unwrap());
    assert!(
        matches!(&down[0], Stmt::Log { level: LogLevel::Warning, message: Expr::Str(m), .. }
        if m == "WAN1 upstream DOWN - failing over")
    );
    assert!(matches!(&down[1], Stmt::Command(c) if c.verb == "disable"));
    // The stored text parses to the same script.
    assert_eq!(
        p(down_src).to_string(),
        Script {
            stmts: down.to_vec()
        }
        .to_string()
    );

    let route = commands(&s)[1];
    assert_eq!(route.span.line, 10);
    assert_eq!(
        route.value("comment"),
        Some(&Expr::Str("wan1-default".into()))
    );
}

#[test]
fn guide_netwatch_if_ping() {
    let src = "/tool/netwatch add host=8.8.8.8 interval=10s timeout=3s \\\ndown-script={\n:delay 10\n:if ([/ping 8.8.8.8 count=3] = 0) do={\n:log error \"Confirmed WAN1 failure\"\n/ip/route set [find gateway=203.0.113.1] distance=20\n}\n}\n";
    let c = commands(&p(src))[0].clone();
    let (script, _) = the_script(c.value("down-script").unwrap());
    assert_eq!(
        script[0],
        Stmt::Delay {
            duration: Expr::Num(10),
            span: Span { line: 3, column: 1 }
        }
    );
    let Stmt::If {
        cond,
        then,
        otherwise,
        span,
    } = &script[1]
    else {
        panic!("{:?}", script[1])
    };
    assert_eq!(*span, Span { line: 4, column: 1 });
    assert!(otherwise.is_none());
    let Expr::Cmp(l, CmpOp::Eq, r) = cond else {
        panic!("{cond:?}")
    };
    assert_eq!(**r, Expr::Num(0));
    let ping = sub(l);
    assert_eq!((ping.path.is_empty(), ping.verb.as_str()), (true, "ping"));
    assert_eq!(ping.positionals().next(), Some(&word("8.8.8.8")));
    assert_eq!(ping.value("count"), Some(&Expr::Num(3)));
    assert!(matches!(
        &then[0],
        Stmt::Log {
            level: LogLevel::Error,
            ..
        }
    ));
    let Stmt::Command(set) = &then[1] else {
        panic!()
    };
    assert_eq!(set.path, path("ip/route"));
    assert_eq!(set.value("distance"), Some(&Expr::Num(20)));
}

#[test]
fn guide_misc_commands() {
    let c = one("/ip/firewall/connection remove [find connection-mark=wan1_conn]");
    let find = sub(c.positionals().next().unwrap());
    assert_eq!(find.path, path("ip/firewall/connection"));
    assert_eq!(text(find, "connection-mark"), "wan1_conn");

    let c = one("/ip/settings set ecmp-hash-policy=l4");
    assert_eq!(
        (c.path.clone(), c.verb.as_str()),
        (path("ip/settings"), "set")
    );
    assert_eq!(text(&c, "ecmp-hash-policy"), "l4");

    let c = one("/interface/list/member add interface=ether1 list=WAN");
    assert_eq!(c.path, path("interface/list/member"));
    assert_eq!(text(&c, "list"), "WAN");

    let c = one("/ip/firewall/nat add chain=srcnat out-interface-list=WAN action=masquerade");
    assert_eq!(text(&c, "action"), "masquerade");

    let c = one("/ping 203.0.113.1 count=5");
    assert!(c.path.is_empty());
    assert_eq!(c.verb, "ping");
    assert_eq!(c.positionals().collect::<Vec<_>>(), [&word("203.0.113.1")]);

    let c = one("/ip/route set [find dst-address=10.10.0.0/16] target-scope=30");
    assert_eq!(
        text(sub(c.positionals().next().unwrap()), "dst-address"),
        "10.10.0.0/16"
    );
}

// ---- syntax beyond the guide ----

#[test]
fn spaced_menu_spelling() {
    let a = one("/ip route add dst-address=0.0.0.0/0 gateway=203.0.113.1");
    let b = one("/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1");
    assert_eq!(a.path, b.path);
    // A space instead of a slash: the same arguments at the same columns.
    assert_eq!(a.args, b.args);
    assert_eq!(
        one("/interface list member add list=WAN").path,
        path("interface/list/member")
    );
    assert_eq!(
        one("/ip firewall mangle print").path,
        path("ip/firewall/mangle")
    );
}

#[test]
fn menu_changes() {
    let s = p("/ip route\nadd gateway=1.1.1.1\n/\nip/route print\n/ip\nroute print\n..\nfirewall/nat print\n");
    let paths: Vec<_> = commands(&s).iter().map(|c| c.menu()).collect();
    assert_eq!(
        paths,
        ["/ip/route", "/ip/route", "/ip/route", "/firewall/nat"]
    );
    assert!(matches!(&s.stmts[2], Stmt::ChangeMenu { path, .. } if path.is_empty()));
    assert!(matches!(&s.stmts[6], Stmt::ChangeMenu { path, .. } if path.is_empty()));

    // A menu change inside a block stays in it.
    let s = p("/ip\n{ /tool; add x=1 }\nroute print");
    assert_eq!(commands(&s)[0].menu(), "/ip/route");
    let Stmt::Block { stmts, .. } = &s.stmts[1] else {
        panic!()
    };
    assert!(matches!(&stmts[1], Stmt::Command(c) if c.menu() == "/tool"));

    // Starting menu of a console.
    let s = parse_in("print where disabled", &path("ip/route")).unwrap();
    assert_eq!(commands(&s)[0].menu(), "/ip/route");
}

#[test]
fn unknown_commands_with_arguments() {
    let c = one("/tool/e-mail/send to=a@example.com subject=x");
    assert_eq!((c.menu(), c.verb.as_str()), ("/tool/e-mail".into(), "send"));
    let c = one("/system/script/run myscript");
    assert_eq!(c.verb, "run");
    assert!(c.has_flag("myscript"));
}

#[test]
fn semicolons_and_comments() {
    let s = p("# heading\n/ip/route print; /routing/table add name=t fib ;\n  # indented comment\n/ip/route set 0 comment=#1");
    let cmds = commands(&s);
    assert_eq!(cmds.len(), 3);
    assert_eq!(cmds[1].menu(), "/routing/table");
    assert_eq!(cmds[2].positionals().next(), Some(&Expr::Num(0)));
    assert_eq!(text(cmds[2], "comment"), "#1");
}

#[test]
fn positional_and_flag_arguments() {
    let c = one("/ip/route set 0 distance=5");
    assert_eq!(
        c.args[0],
        Arg::Positional {
            value: Expr::Num(0),
            span: Span {
                line: 1,
                column: 15
            }
        }
    );
    let c = one("/ip/route set *1A disabled=yes");
    assert_eq!(c.positionals().next(), Some(&word("*1A")));
    let c = one("/ip/route set [find comment=\"x\"] distance=5 comment=");
    assert_eq!(c.value("comment"), Some(&Expr::Str(String::new())));
    let c = one("/ip/route print detail count-only without-paging");
    assert!(c.has_flag("detail") && c.has_flag("count-only") && c.has_flag("without-paging"));
    let c = one("/ip/route print .id=*1");
    assert_eq!(c.value(".id"), Some(&word("*1")));
    let c = one("/ip/route add gateway=$gw distance=(1) comment=\"a\"");
    assert_eq!(c.value("gateway"), Some(&Expr::Var("gw".into())));
    assert_eq!(c.value("distance"), Some(&Expr::Num(1)));
    let c = one("/ip/route add comment=a=b!c");
    assert_eq!(text(&c, "comment"), "a=b!c");
}

#[test]
fn numbers_stay_as_written() {
    let c = one("/x set a=007 b=-3 c=0 d=-0 e=99999999999999999999 f=1.5");
    assert_eq!(c.value("a"), Some(&word("007")));
    assert_eq!(c.value("b"), Some(&Expr::Num(-3)));
    assert_eq!(c.value("c"), Some(&Expr::Num(0)));
    assert_eq!(c.value("d"), Some(&word("-0")));
    assert_eq!(c.value("e"), Some(&word("99999999999999999999")));
    assert_eq!(c.value("f"), Some(&word("1.5")));
}

#[test]
fn where_conditions() {
    fn cond(src: &str) -> Cond {
        one(src).where_cond().cloned().unwrap()
    }
    fn strip(c: &Cond) -> String {
        c.to_string()
    }
    assert_eq!(strip(&cond("print where active")), "active");
    assert_eq!(
        strip(&cond("print where active=yes dst-address=0.0.0.0/0")),
        "active=yes and dst-address=0.0.0.0/0"
    );
    assert_eq!(
        strip(&cond("print where a=1 and b!=2 or !c")),
        "a=1 and b!=2 or !c"
    );
    assert_eq!(
        strip(&cond("print where a=1 && (b=2 || c~\"^x\")")),
        "a=1 and (b=2 or c~\"^x\")"
    );
    assert_eq!(
        strip(&cond("print where not disabled dst-address in 10.0.0.0/8")),
        "!disabled and dst-address in 10.0.0.0/8"
    );
    assert_eq!(
        strip(&cond("print where distance<=10 distance>1")),
        "distance<=10 and distance>1"
    );
    assert_eq!(
        strip(&cond(
            "print where gateway=$gw comment=[:x]"
                .replace("[:x]", "\"x\"")
                .as_str()
        )),
        "gateway=$gw and comment=\"x\""
    );
    let c = cond("print where a=1 b=2 or c=3");
    assert!(matches!(c, Cond::Or(l, _) if matches!(*l, Cond::And(..))));
    let c = cond("print where !active");
    assert!(
        matches!(c, Cond::Not(f) if matches!(*f, Cond::Flag { ref prop, .. } if prop == "active"))
    );
    // Relative substitution inside a condition runs in the command's menu.
    let c = one("/ip/route print where gateway=[/ip/address get 0 address]");
    assert!(
        matches!(c.where_cond(), Some(Cond::Cmp { value: Expr::Sub(s), .. }) if s.menu() == "/ip/address")
    );
    let c = one("/ip/route remove [find where comment~\"wan\" !disabled]");
    let f = sub(c.positionals().next().unwrap());
    assert_eq!(
        f.where_cond().unwrap().to_string(),
        "comment~\"wan\" and !disabled"
    );
}

#[test]
fn scripting_statements() {
    let s = p(":local gw 203.0.113.1\n:local n [/ip/route print count-only where gateway=$gw]\n:global state\n:set state \"down\"\n:put ($n + 1)\n:log debug $state\n:delay delay-time=1s\n:if ($n > 0 && $state != \"up\") do={ :set state up } else={ :log info \"ok\" }\n{ :local x 1; :put $x }");
    assert_eq!(s.stmts.len(), 9);
    assert_eq!(
        s.stmts[0],
        Stmt::Local {
            name: "gw".into(),
            value: Some(word("203.0.113.1")),
            span: Span { line: 1, column: 1 }
        }
    );
    assert!(
        matches!(&s.stmts[1], Stmt::Local { value: Some(Expr::Sub(c)), .. } if c.menu() == "/ip/route" && c.has_flag("count-only"))
    );
    assert!(matches!(&s.stmts[2], Stmt::Global { value: None, .. }));
    assert!(matches!(&s.stmts[3], Stmt::Set { value: Some(Expr::Str(v)), .. } if v == "down"));
    assert_eq!(
        s.stmts[4],
        Stmt::Put {
            value: Expr::Arith(
                Box::new(Expr::Var("n".into())),
                ArithOp::Add,
                Box::new(Expr::Num(1))
            ),
            span: Span { line: 5, column: 1 }
        }
    );
    assert!(
        matches!(&s.stmts[5], Stmt::Log { level: LogLevel::Debug, message: Expr::Var(v), .. } if v == "state")
    );
    assert!(matches!(&s.stmts[6], Stmt::Delay { duration, .. } if duration == &word("1s")));
    let Stmt::If {
        cond,
        then,
        otherwise: Some(o),
        ..
    } = &s.stmts[7]
    else {
        panic!()
    };
    assert_eq!(cond.to_string(), "($n > 0) && ($state != \"up\")");
    assert_eq!(then.len(), 1);
    assert_eq!(o.len(), 1);
    assert!(matches!(&s.stmts[8], Stmt::Block { stmts, .. } if stmts.len() == 2));
}

#[test]
fn expressions() {
    fn e(src: &str) -> Expr {
        match p(&format!(":put ({src})")).stmts.remove(0) {
            Stmt::Put { value, .. } => value,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(e("1 + 2 * 3").to_string(), "1 + (2 * 3)");
    assert_eq!(e("!$a || $b && $c").to_string(), "(!$a) || ($b && $c)");
    assert_eq!(e("not $a or $b").to_string(), "(!$a) || $b");
    assert_eq!(e("\"a\".$b").to_string(), "\"a\" . $b");
    assert_eq!(e("$x <= 5").to_string(), "$x <= 5");
    assert_eq!(
        e("$x >= [/ping 1.1.1.1 count=1]").to_string(),
        "$x >= [/ping 1.1.1.1 count=1]"
    );
    assert_eq!(e("$a in 10.0.0.0/8").to_string(), "$a in 10.0.0.0/8");
    assert_eq!(e("((($a)))"), Expr::Var("a".into()));
    assert_eq!(e("true"), word("true"));
}

#[test]
fn string_escapes() {
    let put = |src: &str| match p(&format!(":put {src}")).stmts.remove(0) {
        Stmt::Put { value, .. } => value,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        put(r#""a\"b\\c\nd\te\rf\$g\_h\?""#),
        Expr::Str("a\"b\\c\nd\te\rf$g h?".into())
    );
    assert_eq!(put(r#""\41\62\7e""#), Expr::Str("Ab~".into()));
    assert_eq!(put(r#""\C3\A9t\C3\A9""#), Expr::Str("été".into()));
    assert_eq!(put("\"one \\\ntwo\""), Expr::Str("one two".into()));
    assert_eq!(put("\"multi\nline\""), Expr::Str("multi\nline".into()));
    assert_eq!(put("\"\""), Expr::Str(String::new()));
    assert_eq!(put("\"cost: 5$\""), Expr::Str("cost: 5$".into()));
}

#[test]
fn string_interpolation() {
    let s = p("/ip/route\n:log info \"gw $gw is $[find gateway=$gw] at $($n + 1)x\"");
    let Stmt::Log {
        message: Expr::Interp(parts),
        ..
    } = &s.stmts[1]
    else {
        panic!("{:?}", s.stmts[1])
    };
    assert_eq!(parts.len(), 7);
    assert_eq!(parts[0], Expr::Str("gw ".into()));
    assert_eq!(parts[1], Expr::Var("gw".into()));
    let find = sub(&parts[3]);
    assert_eq!(
        (find.menu(), find.verb.as_str()),
        ("/ip/route".into(), "find")
    );
    assert_eq!(find.value("gateway"), Some(&Expr::Var("gw".into())));
    assert_eq!(parts[4], Expr::Str(" at ".into()));
    assert!(matches!(&parts[5], Expr::Arith(_, ArithOp::Add, _)));
    assert_eq!(parts[6], Expr::Str("x".into()));
    reprints("/ip/route\n:log info \"gw $gw is $[find gateway=$gw comment=\"a]\"] at $($n + 1)x\"");
    // `$v` followed by name characters must come back as the same parts.
    reprints(":put \"$($v)1\"");
}

#[test]
fn reprint_fixpoints() {
    for src in [
        "/ip/route print where !(a=1 or b=2) and c",
        "/ip/route print where a=1 or (b=2 or c=3)",
        "/ip/route print where a=1 and (b=2 and c=3)",
        ":if ((1 + 2) * 3 = 9) do={} else={ /ip/route print }",
        ":put (\"a\" . (\"b\" . \"c\"))",
        "/x add a=!local b=\"\" c=\"q\\\"q\" d=$v e=[find] f={ :put 1 }",
        ":local x (!$y)",
        "{ /ip/route; add gateway=1.1.1.1 }",
        ":foreach r in=[/ip/route find gateway=203.0.113.1] do={ /ip/route set $r distance=20 }",
        "/ip/route\n:foreach r in=$ids do={ :if ($r = \"*1\") do={ disable $r } }",
        ":if ([:len [/ip/route find]] > 0) do={ :put \"n=$[:len $x]\" }",
        ":put [:len (1 + 2)]",
        ":put [:pick $g 0 3]",
        ":put (\"$[:pick [find] 1] $[:typeof [:tonum \"0x1f\"]]\" . [:tostr [:pick \"ab\" 1]])",
        "/ip/route set [find comment~\"^wan1\" disabled=no] distance=1",
        ":do { :set i ($i + 1) } while=($i < [:len $l])",
    ] {
        reprints(src);
    }
}

// ---- errors ----

#[test]
fn rejected_inputs() {
    let cases: &[(&str, u32, u32, &str)] = &[
        // Unterminated strings: at the opening quote.
        ("/ip/route add comment=\"abc", 1, 23, "unterminated string"),
        (
            "/ip/route print\n:log info \"abc\n\n",
            2,
            11,
            "unterminated string",
        ),
        (":put \"a$[find\"", 1, 6, "unterminated string"),
        // Unbalanced brackets: at the opening one, or at the stray closing one.
        (
            "/ip/route set [find gateway=1.1.1.1 distance=2",
            1,
            15,
            "`[` is not closed",
        ),
        (
            "/tool/netwatch add down-script={\n:log info x\n",
            1,
            32,
            "`{` is not closed",
        ),
        (":if ($a = 1\n do={}", 1, 5, "`(` is not closed"),
        (":if ($a = 1 do={}", 1, 13, "expected `)`, found `do`"),
        ("/ip/route print where (a=1", 1, 23, "`(` is not closed"),
        ("/ip/route set [find) x=1", 1, 20, "expected `]`"),
        ("/ip/route print ]", 1, 17, "unexpected `]`"),
        ("/ip/route print\n]\n", 2, 1, "unexpected `]`"),
        ("/ip/route print }", 1, 17, "unexpected `}`"),
        (":put (1))", 1, 9, "unexpected `)`"),
        ("{ /ip/route print } }", 1, 21, "unexpected `}`"),
        // `=` without a name.
        ("/ip/route add =1.2.3.4", 1, 15, "`=` with no property name"),
        (
            "/ip/route add gateway=1.1.1.1 \\\n  =x",
            2,
            3,
            "`=` with no property name",
        ),
        ("=x", 1, 1, "`=` with no property name"),
        // Bad path segments.
        ("/ip/Route add", 1, 5, "invalid menu path segment `Route`"),
        ("/ip/route_x print", 1, 5, "invalid menu path segment"),
        ("/ip//route print", 1, 5, "empty menu path segment"),
        ("/ip/route/ print", 1, 11, "empty menu path segment"),
        (
            "\n  /interface/list/mem.ber add",
            2,
            19,
            "invalid menu path segment `mem.ber`",
        ),
        ("/..", 1, 2, "`..` goes above the root menu"),
        ("8.8.8.8", 1, 1, "invalid menu path segment"),
        // `:if` without `do=`.
        (":if ($a = 1) {}", 1, 14, "`:if` needs `do={ ... }`"),
        (":if ($a = 1)", 1, 13, "`:if` needs `do={ ... }`"),
        (":if ($a = 1) else={}", 1, 14, "`:if` needs `do={ ... }`"),
        (":if do={}", 1, 5, "`:if` needs a condition"),
        (":if ($a) do=/ip/route", 1, 13, "expected `{` after `do=`"),
        // Unknown `:` commands.
        (":pick $a 1", 1, 1, "unknown command `:pick`"),
        (":while ($i < 3)", 1, 16, "`:while` needs `do={ ... }`"),
        (":while do={}", 1, 8, "`:while` needs a condition"),
        (":foreach i do={}", 1, 12, "`:foreach i` needs `in=`"),
        (
            ":foreach in=$x do={}",
            1,
            10,
            "expected a variable name after `:foreach`",
        ),
        (":foreach i in=$x", 1, 17, "`:foreach` needs `do={ ... }`"),
        (
            "/ip/route print\n  :logg info x",
            2,
            3,
            "unknown command `:logg`",
        ),
        (":", 1, 1, "unknown command `:`"),
        // Scripting statement arguments.
        (":log notice \"x\"", 1, 6, "expected a log level"),
        (":log info", 1, 10, "expected a message"),
        (":delay", 1, 7, "expected a duration"),
        (":local 1-x 5", 1, 8, "expected a variable name"),
        (":put", 1, 5, "expected a value"),
        (":put 1 2", 1, 8, "expected the end of the statement"),
        // Escapes, characters, separators.
        (":put \"a\\qb\"", 1, 8, "invalid escape `\\q`"),
        (":put \"\\4\"", 1, 7, "invalid escape `\\4`"),
        (":put \"\\FF\"", 1, 6, "not valid UTF-8"),
        (
            "/ip/route add gateway=1.1.1.1 \\ distance=1",
            1,
            31,
            "unexpected `\\`",
        ),
        ("/ip/route print where a=1 & b=2", 1, 27, "unexpected `&`"),
        (
            "/ip/route add comment=\"a\"\"b\"",
            1,
            26,
            "expected a space before a string",
        ),
        (
            "/ip/route add Gateway=1.1.1.1",
            1,
            15,
            "invalid property name `Gateway`",
        ),
        (
            "/ip/route print comment!=x",
            1,
            24,
            "comparison `!=` outside a `where`",
        ),
        (
            "/ip/route print where",
            1,
            22,
            "expected a condition after `where`",
        ),
        (
            "/ip/route print where a=",
            1,
            25,
            "expected a value after `=`",
        ),
        (
            "/ip/route print where 0.0.0.0/0",
            1,
            23,
            "expected a property name",
        ),
        ("/ip/route set [] x=1", 1, 16, "empty `[ ]`"),
        (
            "/ip/route set [/ip/route] x=1",
            1,
            16,
            "found only a menu path",
        ),
        ("/ip/route set [:put 1]", 1, 16, "expected a menu command"),
        (
            "/ip/route add x=$",
            1,
            17,
            "expected a variable name after `$`",
        ),
        (":put ($a + )", 1, 12, "expected a value, found `)`"),
        (":put ($a $b)", 1, 10, "expected `)`"),
        ("$x", 1, 1, "expected a command"),
        (":if ($a) do={}\nelse={}", 2, 1, "`else=` must follow"),
        ("distance=5", 1, 1, "found the property `distance=`"),
        ("\"x\"", 1, 1, "expected a command"),
        ("/ x=1", 1, 1, "expected a menu path or command after `/`"),
        (":put \"$[/ip/route]\"", 1, 9, "found only a menu path"),
        (":put \"$(1 2)\"", 1, 11, "unexpected `2`"),
    ];
    for &(src, line, column, message) in cases {
        let e = err(src);
        assert!(
            (e.line, e.column) == (line, column) && e.message.contains(message),
            "{src:?}: got {e}, want line {line}, column {column}: {message}"
        );
    }
}

#[test]
fn error_display_and_whole_script_rejection() {
    let e = err("/ip/route add gateway=1.1.1.1\n/ip/route add comment=\"x");
    assert_eq!(e.to_string(), "line 2, column 23: unterminated string");
    // The error deep inside a Netwatch block names its own line.
    let e = err(GUIDE.replace(":delay 10", ":delay 10 x y").as_str());
    assert!(e.message.contains("end of the statement"), "{e}");
    let line = GUIDE.lines().position(|l| l == ":delay 10").unwrap() as u32 + 1;
    assert_eq!((e.line, e.column), (line, 11));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("[find x=", "]"), ("{", "}"), ("(!", ")")] {
        let deep = format!(":put {}1{}", open.repeat(100_000), close.repeat(100_000));
        let e = err(&deep);
        assert!(e.message.contains("nested more than"), "{open}: {e}");
    }
    let e = err(&format!(":put ({}1)", "!".repeat(100_000)));
    assert!(e.message.contains("nested more than"), "{e}");
    let e = err(&format!("/ip/route print where {}a", "!".repeat(100_000)));
    assert!(e.message.contains("nested more than"), "{e}");
    let mut nested = String::from("1");
    for _ in 0..100 {
        nested = format!("\"$({nested})\"");
    }
    let e = err(&format!(":put {nested}"));
    assert!(e.message.contains("nested more than"), "{e}");
    // Sensible depths are fine.
    p(&format!(":put {}1{}", "(".repeat(30), ")".repeat(30)));
}

#[test]
fn crlf_and_tabs() {
    let s = p("/ip/route\r\n\tadd gateway=1.1.1.1 \\\r\n\tdistance=2\r\n");
    let c = commands(&s)[0];
    assert_eq!(c.menu(), "/ip/route");
    assert_eq!(c.value("distance"), Some(&Expr::Num(2)));
}

#[test]
fn columns_count_characters() {
    let e = err("# ≤ comment\n:put \"≤≤\" é=");
    assert_eq!((e.line, e.column), (2, 11));
}

// ---- round trips of quoting ----

#[test]
fn quote_examples() {
    assert_eq!(quote("plain"), "\"plain\"");
    assert_eq!(quote("a\"b\\c$d\ne\tf\rg"), r#""a\"b\\c\$d\ne\tf\rg""#);
    assert_eq!(quote("\u{1}\u{7f}é"), "\"\\01\\7Fé\"");
    for s in [
        "",
        "$x",
        "$[find]",
        "\\",
        "\"",
        "a\u{0}b",
        "line\r\n",
        "tab\there",
        "≤ 10",
        "\u{85}",
    ] {
        let value = match p(&format!(":put {}", quote(s))).stmts.remove(0) {
            Stmt::Put { value, .. } => value,
            other => panic!("{other:?}"),
        };
        assert_eq!(value, Expr::Str(s.to_string()), "{s:?}");
    }
}

proptest! {
    #[test]
    fn quote_round_trips(s in any::<String>()) {
        let src = format!("/ip/route add comment={}", quote(&s));
        let c = one(&src);
        prop_assert_eq!(c.value("comment"), Some(&Expr::Str(s)));
    }

    #[test]
    fn unquoted_values_round_trip(v in "[a-z0-9!%:/.,*_+-]{1,20}") {
        let c = one(&format!("/x set v={v}"));
        let printed = c.to_string();
        let again = one(&printed);
        prop_assert_eq!(again.to_string(), printed);
        let shown = c.value("v").unwrap().to_string();
        prop_assert_eq!(shown.trim_matches('"'), v.as_str());
    }

    #[test]
    fn never_panics(s in "[ -~\n\t]{0,80}") {
        let _ = parse(&s);
    }

    #[test]
    fn token_soup_reprints(pieces in proptest::collection::vec(prop_oneof![
        Just("/ip/route"), Just("/ip"), Just("route"), Just("add"), Just("print"), Just("find"),
        Just("foo"), Just("/tool/bar"), Just("where"), Just("and"), Just("or"), Just("not"),
        Just("in"), Just("detail"), Just("count-only"), Just("a=1"), Just("b!=x"), Just("!c"),
        Just("=!local"), Just("0.0.0.0/0"), Just("1"), Just("-2"), Just(".."), Just("/"),
        Just("\"s $v \\\" $[find] $(1 + 2)\""), Just("\"\""), Just("$v"), Just("["), Just("]"),
        Just("{"), Just("}"), Just("("), Just(")"), Just(";"), Just("\n"), Just(" \\\n"),
        Just(":if"), Just("do="), Just("else="), Just(":log"), Just("info"), Just(":put"),
        Just(":local"), Just(":set"), Just(":delay"), Just("x"), Just("+"), Just("."),
        Just(":foreach"), Just("in="), Just(":for"), Just(":while"), Just(":do"), Just("on-error="), Just("while="), Just("from="), Just("to="), Just("step="),
        Just("="), Just("<="), Just("~"), Just("&&"), Just("||"), Just("#"), Just("*1"),
    ], 0..24), glue in proptest::collection::vec(any::<bool>(), 24)) {
        let mut src = String::new();
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 && glue[i] {
                src.push(' ');
            }
            src.push_str(piece);
        }
        if let Ok(s) = parse(&src) {
            let printed = s.to_string();
            let again = parse(&printed);
            prop_assert!(again.is_ok(), "{:?} -> {:?}: {:?}", src, printed, again);
            prop_assert_eq!(again.unwrap().to_string(), printed, "from {:?}", src);
        }
    }

    #[test]
    fn never_panics_on_guide_mutations(cut in 0usize..4000, insert in "[\\[\\]{}()\"\\\\$=!#; \n]{0,3}") {
        let mut g: String = GUIDE.chars().take(cut).collect();
        g.push_str(&insert);
        g.extend(GUIDE.chars().skip(cut));
        if let Ok(s) = parse(&g) {
            // Whatever parses prints back to something that parses the same.
            let printed = s.to_string();
            let again = parse(&printed);
            prop_assert!(again.is_ok(), "{:?} -> {:?}: {:?}", g, printed, again);
            prop_assert_eq!(again.unwrap().to_string(), printed);
        }
    }
}
