//! Recursive-descent parser from tokens to the syntax tree.
//!
//! The parser tracks the current menu so that every command comes out with an absolute path.
//! Telling the menu path from the verb needs to know which words are verbs: `/ip route add`
//! and `/routing/nexthop/print` end in one, `/ip/route` alone changes menu, and
//! `/tool/fetch url=...` ends in a command the parser may not know of. The rule: the first
//! known verb (see [`VERBS`]) ends the path; without one, a path followed by nothing changes
//! menu, and a path followed by arguments ends in its command.

use super::ast::{Arg, ArithOp, CmpOp, Command, Cond, Expr, Func, LogLevel, Script, Span, Stmt};
use super::lexer::{is_var_char, tokenize, StrPart, Tok, Token};
use super::ParseError;

/// Words that end a menu path as its command. Others are accepted too when arguments follow.
const VERBS: &[&str] = &[
    "add",
    "set",
    "unset",
    "remove",
    "enable",
    "disable",
    "print",
    "find",
    "get",
    "export",
    "import",
    "flush",
    "edit",
    "comment",
    "move",
    "reset",
    "reset-counters",
    "reset-counters-all",
    "monitor",
    "monitor-traffic",
    "ping",
    "traceroute",
    "fetch",
    "torch",
    "reboot",
    "shutdown",
    "run",
    "start",
    "stop",
    "clear",
    "release",
    "renew",
    "make-static",
    "cancel",
];

/// Options of `print` that end a `where` clause when they follow it
/// (`print where connection-mark=x count-only`); none of them names a property.
const PRINT_OPTIONS: &[&str] = &[
    "detail",
    "count-only",
    "terse",
    "brief",
    "without-paging",
    "as-value",
    "value-list",
    "follow",
    "follow-only",
    "stats",
    "show-ids",
    "proplist",
];

pub(crate) fn parse_script(src: &str, menu: &[String]) -> Result<Script, ParseError> {
    let toks = tokenize(src, 0, src.len(), 1, 1)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
    };
    let mut ctx = menu.to_vec();
    let stmts = p.stmts(&mut ctx, None)?;
    Ok(Script { stmts })
}

type PResult<T> = Result<T, ParseError>;

/// How deeply blocks, brackets and negations may nest: the parser recurses, and a command
/// line must not be able to overflow the control thread's stack.
const MAX_DEPTH: usize = 64;

fn err_at<T>(t: &Token, message: impl Into<String>) -> PResult<T> {
    Err(ParseError {
        line: t.line,
        column: t.column,
        message: message.into(),
    })
}

fn span_of(t: &Token) -> Span {
    Span {
        line: t.line,
        column: t.column,
    }
}

fn describe(t: &Token) -> String {
    let p = match &t.kind {
        Tok::Word(w) => return format!("`{w}`"),
        Tok::Str(_) => return "a string".into(),
        Tok::Var(v) => return format!("`${v}`"),
        Tok::Newline => return "the end of the line".into(),
        Tok::Eof => return "the end of the input".into(),
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::Semi => ";",
        Tok::Eq => "=",
        Tok::NotEq => "!=",
        Tok::Lt => "<",
        Tok::Gt => ">",
        Tok::Le => "<=",
        Tok::Ge => ">=",
        Tok::Tilde => "~",
        Tok::Bang => "!",
        Tok::AndAnd => "&&",
        Tok::OrOr => "||",
    };
    format!("`{p}`")
}

/// Tokens that end a statement (or the command inside `[ ]`, `( )`, `{ }`).
fn is_terminator(k: &Tok) -> bool {
    matches!(
        k,
        Tok::Newline | Tok::Semi | Tok::Eof | Tok::RBrace | Tok::RBracket | Tok::RParen
    )
}

/// Tokens that may begin a value.
fn starts_value(k: &Tok) -> bool {
    matches!(
        k,
        Tok::Word(_)
            | Tok::Bang
            | Tok::Str(_)
            | Tok::Var(_)
            | Tok::LBracket
            | Tok::LBrace
            | Tok::LParen
    )
}

/// Tokens glued into one unquoted value (`!local`, `a=b`).
fn is_wordish(k: &Tok) -> bool {
    matches!(
        k,
        Tok::Word(_)
            | Tok::Bang
            | Tok::Eq
            | Tok::NotEq
            | Tok::Lt
            | Tok::Gt
            | Tok::Le
            | Tok::Ge
            | Tok::Tilde
    )
}

fn cmp_op(k: &Tok) -> Option<CmpOp> {
    Some(match k {
        Tok::Eq => CmpOp::Eq,
        Tok::NotEq => CmpOp::Ne,
        Tok::Lt => CmpOp::Lt,
        Tok::Gt => CmpOp::Gt,
        Tok::Le => CmpOp::Le,
        Tok::Ge => CmpOp::Ge,
        Tok::Tilde => CmpOp::Match,
        Tok::Word(w) if w == "in" => CmpOp::In,
        _ => return None,
    })
}

fn is_word(k: &Tok, w: &str) -> bool {
    matches!(k, Tok::Word(x) if x == w)
}

pub(crate) fn is_verb(w: &str) -> bool {
    VERBS.contains(&w)
}

/// A menu name: lowercase letters, digits and `-`.
pub(crate) fn is_segment(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A bare word read as a flag: `fib`, `detail`, `count-only`.
pub(crate) fn is_flag_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_lowercase())
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A property name before `=`: a flag name, or one of RouterOS's dotted ones (`.id`).
fn is_prop_name(s: &str) -> bool {
    is_flag_name(s) || s.strip_prefix('.').is_some_and(is_flag_name)
}

fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_var_char)
}

/// An unquoted value: a number when written as a canonical decimal integer (so that it prints
/// back unchanged), else the word as written.
fn word_expr(text: &str) -> Expr {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    match text.parse::<i64>() {
        Ok(n) if canonical => Expr::Num(n),
        _ => Expr::Word(text.to_string()),
    }
}

/// What a statement that starts with a word turned out to be.
enum Parsed {
    Command(Command),
    Menu(Vec<String>),
}

/// A menu path segment and where it was written.
struct Seg {
    name: String,
    line: u32,
    column: u32,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// Current nesting; an error aborts the whole parse, so only successful returns undo it.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Token {
        let last = self.toks.len() - 1;
        &self.toks[(self.pos + n).min(last)]
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err_at(
                self.peek(),
                format!("nested more than {MAX_DEPTH} levels deep"),
            );
        }
        Ok(())
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.kind != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    /// The next token is `word=` (no space before the `=`).
    fn at_named(&self, word: Option<&str>) -> bool {
        let (t, eq) = (self.peek(), self.peek_at(1));
        matches!(&t.kind, Tok::Word(w) if word.is_none_or(|x| x == w))
            && eq.kind == Tok::Eq
            && !eq.space_before
    }

    /// Statements up to the end of input, or up to (not including) the `}` matching `open`.
    fn stmts(&mut self, ctx: &mut Vec<String>, open: Option<&Token>) -> PResult<Vec<Stmt>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek().clone();
            match t.kind {
                Tok::Newline | Tok::Semi => {
                    self.bump();
                }
                Tok::Eof => {
                    return match open {
                        Some(o) => err_at(o, "`{` is not closed"),
                        None => Ok(out),
                    }
                }
                Tok::RBrace if open.is_some() => return Ok(out),
                Tok::RBrace => return err_at(&t, "unexpected `}` without a matching `{`"),
                Tok::RBracket => return err_at(&t, "unexpected `]` without a matching `[`"),
                Tok::RParen => return err_at(&t, "unexpected `)` without a matching `(`"),
                _ => {
                    out.push(self.stmt(ctx)?);
                    let n = self.peek();
                    if !is_terminator(&n.kind) {
                        return err_at(
                            n,
                            format!("expected the end of the statement, found {}", describe(n)),
                        );
                    }
                }
            }
        }
    }

    fn stmt(&mut self, ctx: &mut Vec<String>) -> PResult<Stmt> {
        let t = self.peek().clone();
        let span = span_of(&t);
        match &t.kind {
            Tok::LBrace => {
                let (stmts, _) = self.block(ctx)?;
                Ok(Stmt::Block { stmts, span })
            }
            Tok::Word(w) if w.starts_with(':') => self.builtin(ctx),
            Tok::Word(w) if w == "else" && self.at_named(None) => err_at(
                &t,
                "`else=` must follow the `do={...}` of its `:if` in the same statement",
            ),
            Tok::Word(w) if self.at_named(None) => {
                err_at(&t, format!("expected a command, found the property `{w}=`"))
            }
            Tok::Word(_) => match self.command_or_menu(ctx)? {
                Parsed::Command(c) => Ok(Stmt::Command(c)),
                Parsed::Menu(path) => {
                    ctx.clone_from(&path);
                    Ok(Stmt::ChangeMenu { path, span })
                }
            },
            Tok::Eq => err_at(&t, "`=` with no property name before it"),
            _ => err_at(&t, format!("expected a command, found {}", describe(&t))),
        }
    }

    /// `{ ... }` run in menu `ctx`: its statements and its source text between the braces.
    fn block(&mut self, ctx: &[String]) -> PResult<(Vec<Stmt>, String)> {
        self.enter()?;
        let open = self.bump();
        let mut inner = ctx.to_vec();
        let stmts = self.stmts(&mut inner, Some(&open))?;
        let close = self.bump();
        self.depth -= 1;
        Ok((stmts, self.src[open.end..close.start].to_string()))
    }

    /// Splits the first word of a statement into menu path segments.
    fn split_path(t: &Token, word: &str) -> PResult<(bool, Vec<Seg>)> {
        let (absolute, rest) = match word.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, word),
        };
        let mut segs = Vec::new();
        if rest.is_empty() {
            return Ok((absolute, segs));
        }
        let mut column = t.column + u32::from(absolute);
        for name in rest.split('/') {
            let at = |message: String| {
                Err(ParseError {
                    line: t.line,
                    column,
                    message,
                })
            };
            if name.is_empty() {
                return at("empty menu path segment".into());
            }
            if !is_segment(name) && name != ".." {
                return at(format!(
                    "invalid menu path segment `{name}` (menu names are lowercase letters, digits and `-`)"
                ));
            }
            segs.push(Seg {
                name: name.to_string(),
                line: t.line,
                column,
            });
            column += name.chars().count() as u32 + 1;
        }
        Ok((absolute, segs))
    }

    fn resolve(mut base: Vec<String>, segs: &[Seg]) -> PResult<Vec<String>> {
        for s in segs {
            if s.name == ".." {
                if base.pop().is_none() {
                    return Err(ParseError {
                        line: s.line,
                        column: s.column,
                        message: "`..` goes above the root menu".into(),
                    });
                }
            } else {
                base.push(s.name.clone());
            }
        }
        Ok(base)
    }

    /// A statement that starts with a word: a command, or a menu path alone.
    fn command_or_menu(&mut self, ctx: &[String]) -> PResult<Parsed> {
        let first = self.bump();
        let Tok::Word(word) = &first.kind else {
            return err_at(
                &first,
                format!("expected a command, found {}", describe(&first)),
            );
        };
        let (absolute, mut segs) = Self::split_path(&first, word)?;
        let base = if absolute { Vec::new() } else { ctx.to_vec() };
        let verb = if segs.last().is_some_and(|s| is_verb(&s.name)) {
            segs.pop()
        } else {
            // The spaced spelling: `/ip route add`, `/interface list member add`.
            let mut n = 0;
            let verb_at = loop {
                let t = self.peek_at(n);
                let Tok::Word(w) = &t.kind else { break None };
                let next = self.peek_at(n + 1);
                let alone = next.space_before || is_terminator(&next.kind);
                if !t.space_before || !alone || !(is_segment(w) || w == "..") || w == "where" {
                    break None;
                }
                if is_verb(w) {
                    break Some(n);
                }
                n += 1;
            };
            for _ in 0..n {
                let t = self.bump();
                if let Tok::Word(w) = t.kind {
                    segs.push(Seg {
                        name: w,
                        line: t.line,
                        column: t.column,
                    });
                }
            }
            if verb_at.is_some() {
                let t = self.bump();
                match t.kind {
                    Tok::Word(w) => Some(Seg {
                        name: w,
                        line: t.line,
                        column: t.column,
                    }),
                    _ => None,
                }
            } else if is_terminator(&self.peek().kind) {
                return Ok(Parsed::Menu(Self::resolve(base, &segs)?));
            } else if segs.is_empty() {
                return err_at(&first, "expected a menu path or command after `/`");
            } else {
                // A command the parser does not know of, followed by its arguments.
                segs.pop()
            }
        };
        let Some(verb) = verb else {
            return err_at(&first, "expected a command");
        };
        if verb.name == ".." {
            return err_at(&first, "expected a command after `..`");
        }
        let path = Self::resolve(base, &segs)?;
        let args = self.args(&path, verb.name == "find")?;
        Ok(Parsed::Command(Command {
            path,
            verb: verb.name,
            args,
            span: span_of(&first),
        }))
    }

    /// The arguments of a command in menu `ctx`, up to the end of the statement; `find`'s
    /// may be comparisons without `where` (`find comment~"wan1"`).
    fn args(&mut self, ctx: &[String], find: bool) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        loop {
            let t = self.peek().clone();
            if is_terminator(&t.kind) {
                return Ok(args);
            }
            if !t.space_before {
                return err_at(&t, format!("expected a space before {}", describe(&t)));
            }
            let span = span_of(&t);
            let next = self.peek_at(1).clone();
            let glued = !next.space_before && !is_terminator(&next.kind);
            match &t.kind {
                Tok::Word(w) if w == "where" && !self.at_named(None) => {
                    self.bump();
                    let cond = self.where_clause(ctx)?;
                    args.push(Arg::Where {
                        cond,
                        span,
                        bare: false,
                    });
                }
                Tok::Word(w) if self.at_named(None) => {
                    if !is_prop_name(w) {
                        return err_at(&t, format!("invalid property name `{w}`"));
                    }
                    self.bump();
                    self.bump();
                    let v = self.peek();
                    let value = if !v.space_before && starts_value(&v.kind) {
                        self.value(ctx)?
                    } else {
                        Expr::Str(String::new())
                    };
                    args.push(Arg::Named {
                        name: w.clone(),
                        value: Some(value),
                        span,
                    });
                }
                Tok::Word(_) if find && glued && cmp_op(&next.kind).is_some() => {
                    let cond = self.cond_unary(ctx)?;
                    args.push(Arg::Where {
                        cond,
                        span,
                        bare: true,
                    });
                }
                Tok::Word(_) if glued && cmp_op(&next.kind).is_some() => {
                    return err_at(
                        &next,
                        format!("comparison {} outside a `where` condition", describe(&next)),
                    );
                }
                Tok::Word(w) if is_flag_name(w) && !glued => {
                    self.bump();
                    args.push(Arg::Named {
                        name: w.clone(),
                        value: None,
                        span,
                    });
                }
                Tok::Eq => return err_at(&t, "`=` with no property name before it"),
                k if starts_value(k) => {
                    let value = self.value(ctx)?;
                    args.push(Arg::Positional { value, span });
                }
                _ => return err_at(&t, format!("unexpected {}", describe(&t))),
            }
        }
    }

    /// One value: a string, `$var`, `[command]`, `{block}`, `(expression)`, or an unquoted
    /// word with whatever is glued to it.
    fn value(&mut self, ctx: &[String]) -> PResult<Expr> {
        let t = self.peek().clone();
        match &t.kind {
            Tok::Str(parts) => {
                self.bump();
                self.string(parts, ctx)
            }
            Tok::Var(v) => {
                self.bump();
                Ok(Expr::Var(v.clone()))
            }
            Tok::LBracket => self.sub(ctx),
            Tok::LBrace => {
                let (stmts, source) = self.block(&[])?;
                Ok(Expr::Block { stmts, source })
            }
            Tok::LParen => self.paren(ctx),
            Tok::Word(_) | Tok::Bang => {
                let start = t.start;
                let mut end = self.bump().end;
                while !self.peek().space_before && is_wordish(&self.peek().kind) {
                    end = self.bump().end;
                }
                Ok(word_expr(&self.src[start..end]))
            }
            _ => err_at(&t, format!("expected a value, found {}", describe(&t))),
        }
    }

    fn required_value(&mut self, ctx: &[String], what: &str) -> PResult<Expr> {
        let t = self.peek();
        if !starts_value(&t.kind) {
            return err_at(t, format!("expected {what}, found {}", describe(t)));
        }
        self.value(ctx)
    }

    /// A function call (`:len $x`, `:pick $s 0 3`) from its name on, up to a token of
    /// `end` (left for the caller): its arguments counted against what it takes.
    fn call(&mut self, ctx: &[String], end: &[Tok]) -> PResult<Expr> {
        let name = self.bump();
        let Tok::Word(w) = &name.kind else {
            return err_at(&name, "expected a function name");
        };
        let func = Func::named(w).expect("the caller checked the name");
        let (least, most) = func.arity();
        let mut args = Vec::new();
        while !end.contains(&self.peek().kind)
            && !matches!(self.peek().kind, Tok::Newline | Tok::Eof)
        {
            if args.len() == most {
                let t = self.peek();
                return err_at(
                    t,
                    format!(
                        "`{}` takes at most {most} value(s), found {} more",
                        func.name(),
                        describe(t)
                    ),
                );
            }
            args.push(self.required_value(ctx, &format!("a value for `{}`", func.name()))?);
        }
        if args.len() < least {
            let what = if least == 1 {
                "a value".to_string()
            } else {
                format!("{least} values")
            };
            return err_at(
                self.peek(),
                format!(
                    "`{}` needs {what}, found {}",
                    func.name(),
                    describe(self.peek())
                ),
            );
        }
        Ok(Expr::Call(func, args))
    }

    /// Consumes the closing bracket of `open`, or reports it missing.
    fn close(&mut self, open: &Token, close: Tok) -> PResult<()> {
        let t = self.peek();
        if t.kind == close {
            self.bump();
            return Ok(());
        }
        if matches!(t.kind, Tok::Newline | Tok::Eof) {
            return err_at(open, format!("{} is not closed", describe(open)));
        }
        err_at(
            t,
            format!(
                "expected `{}`, found {}",
                if close == Tok::RParen { ")" } else { "]" },
                describe(t)
            ),
        )
    }

    /// `[command]`.
    fn sub(&mut self, ctx: &[String]) -> PResult<Expr> {
        self.enter()?;
        let open = self.bump();
        let t = self.peek().clone();
        match &t.kind {
            Tok::Word(w) if Func::named(w).is_some() => {
                let e = self.call(ctx, &[Tok::RBracket])?;
                self.close(&open, Tok::RBracket)?;
                self.depth -= 1;
                return Ok(e);
            }
            Tok::Word(w) if !w.starts_with(':') => {}
            Tok::RBracket => return err_at(&t, "empty `[ ]`: expected a command"),
            Tok::Newline | Tok::Eof => return err_at(&open, "`[` is not closed"),
            _ => {
                return err_at(
                    &t,
                    format!(
                        "expected a menu command inside `[ ]`, found {}",
                        describe(&t)
                    ),
                )
            }
        }
        let cmd = match self.command_or_menu(ctx)? {
            Parsed::Command(c) => c,
            Parsed::Menu(_) => {
                return err_at(
                    &t,
                    "expected a command inside `[ ]`, found only a menu path",
                )
            }
        };
        self.close(&open, Tok::RBracket)?;
        self.depth -= 1;
        Ok(Expr::Sub(Box::new(cmd)))
    }

    /// `(expression)`.
    fn paren(&mut self, ctx: &[String]) -> PResult<Expr> {
        self.enter()?;
        let open = self.bump();
        if matches!(self.peek().kind, Tok::Newline | Tok::Eof) {
            return err_at(&open, "`(` is not closed");
        }
        let e = self.expr(ctx)?;
        self.close(&open, Tok::RParen)?;
        self.depth -= 1;
        Ok(e)
    }

    /// A string token: plain text, or the parts of an interpolation.
    fn string(&mut self, parts: &[StrPart], ctx: &[String]) -> PResult<Expr> {
        if parts.iter().all(|p| matches!(p, StrPart::Lit(_))) {
            let mut s = String::new();
            for p in parts {
                if let StrPart::Lit(l) = p {
                    s.push_str(l);
                }
            }
            return Ok(Expr::Str(s));
        }
        let mut out = Vec::with_capacity(parts.len());
        for p in parts {
            out.push(match p {
                StrPart::Lit(l) => Expr::Str(l.clone()),
                StrPart::Var(v) => Expr::Var(v.clone()),
                &StrPart::Code {
                    paren,
                    start,
                    end,
                    line,
                    column,
                } => {
                    self.enter()?;
                    let toks = tokenize(self.src, start, end, line, column)?;
                    let mut inner = Parser {
                        src: self.src,
                        toks,
                        pos: 0,
                        depth: self.depth,
                    };
                    let e = if paren {
                        inner.expr(ctx)?
                    } else if matches!(&inner.peek().kind, Tok::Word(w) if Func::named(w).is_some())
                    {
                        inner.call(ctx, &[Tok::Eof])?
                    } else {
                        let t = inner.peek().clone();
                        if !matches!(&t.kind, Tok::Word(w) if !w.starts_with(':')) {
                            return err_at(
                                &t,
                                format!(
                                    "expected a menu command inside `$[ ]`, found {}",
                                    describe(&t)
                                ),
                            );
                        }
                        match inner.command_or_menu(ctx)? {
                            Parsed::Command(c) => Expr::Sub(Box::new(c)),
                            Parsed::Menu(_) => {
                                return err_at(
                                    &t,
                                    "expected a command inside `$[ ]`, found only a menu path",
                                )
                            }
                        }
                    };
                    let rest = inner.peek();
                    if rest.kind != Tok::Eof {
                        return err_at(rest, format!("unexpected {}", describe(rest)));
                    }
                    self.depth -= 1;
                    e
                }
            });
        }
        Ok(Expr::Interp(out))
    }

    // Expressions, loosest first: `||`/`or`, `&&`/`and`, comparisons, `+ - .`, `* /`, `!`.

    fn expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let mut l = self.and_expr(ctx)?;
        while self.peek().kind == Tok::OrOr || is_word(&self.peek().kind, "or") {
            self.bump();
            let r = self.and_expr(ctx)?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and_expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let mut l = self.cmp_expr(ctx)?;
        while self.peek().kind == Tok::AndAnd || is_word(&self.peek().kind, "and") {
            self.bump();
            let r = self.cmp_expr(ctx)?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn cmp_expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let l = self.add_expr(ctx)?;
        let Some(op) = cmp_op(&self.peek().kind) else {
            return Ok(l);
        };
        self.bump();
        let r = self.add_expr(ctx)?;
        Ok(Expr::Cmp(Box::new(l), op, Box::new(r)))
    }

    fn arith_op(&self, ops: &[ArithOp]) -> Option<ArithOp> {
        match &self.peek().kind {
            Tok::Word(w) => ArithOp::from_word(w).filter(|op| ops.contains(op)),
            _ => None,
        }
    }

    fn add_expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let mut l = self.mul_expr(ctx)?;
        while let Some(op) = self.arith_op(&[ArithOp::Add, ArithOp::Sub, ArithOp::Concat]) {
            self.bump();
            let r = self.mul_expr(ctx)?;
            l = Expr::Arith(Box::new(l), op, Box::new(r));
        }
        Ok(l)
    }

    fn mul_expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let mut l = self.unary_expr(ctx)?;
        while let Some(op) = self.arith_op(&[ArithOp::Mul, ArithOp::Div]) {
            self.bump();
            let r = self.unary_expr(ctx)?;
            l = Expr::Arith(Box::new(l), op, Box::new(r));
        }
        Ok(l)
    }

    fn unary_expr(&mut self, ctx: &[String]) -> PResult<Expr> {
        let t = self.peek().clone();
        match &t.kind {
            Tok::Bang => {
                self.enter()?;
                self.bump();
                let e = self.unary_expr(ctx)?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(e)))
            }
            Tok::Word(w) if w == "not" => {
                self.enter()?;
                self.bump();
                let e = self.unary_expr(ctx)?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(e)))
            }
            Tok::Word(w) => {
                if ArithOp::from_word(w).is_some() || matches!(w.as_str(), "and" | "or" | "in") {
                    return err_at(&t, format!("expected a value, found {}", describe(&t)));
                }
                self.bump();
                Ok(word_expr(w))
            }
            Tok::Str(_) | Tok::Var(_) | Tok::LBracket | Tok::LParen => self.value(ctx),
            _ => err_at(&t, format!("expected a value, found {}", describe(&t))),
        }
    }

    // `where` conditions, loosest first: `or`/`||`, `and`/`&&` (or nothing), `!`/`not`.

    fn where_clause(&mut self, ctx: &[String]) -> PResult<Cond> {
        let t = self.peek();
        if is_terminator(&t.kind) {
            return err_at(
                t,
                format!("expected a condition after `where`, found {}", describe(t)),
            );
        }
        self.cond_or(ctx)
    }

    fn cond_or(&mut self, ctx: &[String]) -> PResult<Cond> {
        let mut l = self.cond_and(ctx)?;
        while self.peek().kind == Tok::OrOr || is_word(&self.peek().kind, "or") {
            self.bump();
            let r = self.cond_and(ctx)?;
            l = Cond::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    /// Whether the next token starts another term, joined to the previous one by an implicit
    /// `and`.
    fn starts_term(&self) -> bool {
        let t = self.peek();
        t.space_before
            && match &t.kind {
                Tok::Bang | Tok::LParen => true,
                Tok::Word(w) => {
                    !matches!(w.as_str(), "and" | "or") && !PRINT_OPTIONS.contains(&w.as_str())
                }
                _ => false,
            }
    }

    fn cond_and(&mut self, ctx: &[String]) -> PResult<Cond> {
        let mut l = self.cond_unary(ctx)?;
        loop {
            if self.peek().kind == Tok::AndAnd || is_word(&self.peek().kind, "and") {
                self.bump();
            } else if !self.starts_term() {
                return Ok(l);
            }
            let r = self.cond_unary(ctx)?;
            l = Cond::And(Box::new(l), Box::new(r));
        }
    }

    fn cond_unary(&mut self, ctx: &[String]) -> PResult<Cond> {
        let t = self.peek().clone();
        match &t.kind {
            Tok::Bang => {
                self.enter()?;
                self.bump();
                let c = self.cond_unary(ctx)?;
                self.depth -= 1;
                Ok(Cond::Not(Box::new(c)))
            }
            Tok::Word(w) if w == "not" && !self.at_named(None) => {
                self.enter()?;
                self.bump();
                let c = self.cond_unary(ctx)?;
                self.depth -= 1;
                Ok(Cond::Not(Box::new(c)))
            }
            Tok::LParen => {
                self.enter()?;
                let open = self.bump();
                if matches!(self.peek().kind, Tok::Newline | Tok::Eof) {
                    return err_at(&open, "`(` is not closed");
                }
                let c = self.cond_or(ctx)?;
                self.close(&open, Tok::RParen)?;
                self.depth -= 1;
                Ok(c)
            }
            Tok::Word(w) => {
                if !is_prop_name(w) {
                    return err_at(
                        &t,
                        format!("expected a property name, found {}", describe(&t)),
                    );
                }
                self.bump();
                let span = span_of(&t);
                let n = self.peek().clone();
                let op = match cmp_op(&n.kind) {
                    Some(CmpOp::In) if !n.space_before => None,
                    op => op,
                };
                let Some(op) = op else {
                    return Ok(Cond::Flag {
                        prop: w.clone(),
                        span,
                    });
                };
                self.bump();
                let value = self.required_value(ctx, &format!("a value after {}", describe(&n)))?;
                Ok(Cond::Cmp {
                    prop: w.clone(),
                    op,
                    value,
                    span,
                })
            }
            _ => err_at(&t, format!("expected a condition, found {}", describe(&t))),
        }
    }

    /// `:log`, `:delay`, `:local`, `:global`, `:set`, `:if`, `:put`, `:foreach`.
    fn builtin(&mut self, ctx: &[String]) -> PResult<Stmt> {
        let t = self.bump();
        let span = span_of(&t);
        let Tok::Word(word) = &t.kind else {
            return err_at(&t, "expected a command");
        };
        match &word[1..] {
            "log" => {
                let lt = self.peek().clone();
                let level = match &lt.kind {
                    Tok::Word(l) => LogLevel::from_name(l),
                    _ => None,
                };
                let Some(level) = level else {
                    return err_at(
                        &lt,
                        format!(
                            "expected a log level (info, warning, error or debug), found {}",
                            describe(&lt)
                        ),
                    );
                };
                self.bump();
                let message = self.required_value(ctx, "a message")?;
                Ok(Stmt::Log {
                    level,
                    message,
                    span,
                })
            }
            "delay" => {
                if self.at_named(Some("delay-time")) {
                    self.bump();
                    self.bump();
                }
                let duration = self.required_value(ctx, "a duration")?;
                Ok(Stmt::Delay { duration, span })
            }
            kw @ ("local" | "global" | "set") => {
                let nt = self.peek().clone();
                let name = match &nt.kind {
                    Tok::Word(n) if is_var_name(n) => n.clone(),
                    _ => {
                        return err_at(
                            &nt,
                            format!("expected a variable name after `{word}`, found {}", describe(&nt)),
                        )
                    }
                };
                self.bump();
                let value = if is_terminator(&self.peek().kind) {
                    None
                } else {
                    Some(self.required_value(ctx, "a value")?)
                };
                Ok(match kw {
                    "local" => Stmt::Local { name, value, span },
                    "global" => Stmt::Global { name, value, span },
                    _ => Stmt::Set { name, value, span },
                })
            }
            "put" => {
                let value = self.required_value(ctx, "a value")?;
                Ok(Stmt::Put { value, span })
            }
            "if" => {
                let (cond, then) = self.cond_and_body("if", ctx)?;
                let otherwise = self.keyword_block("else", ctx)?;
                Ok(Stmt::If {
                    cond,
                    then,
                    otherwise,
                    span,
                })
            }
            "foreach" => {
                let name = self.loop_var("foreach")?;
                let Some(list) = self.named_value("in", ctx, "a list after `in=`")? else {
                    let n = self.peek();
                    return err_at(
                        n,
                        format!("`:foreach {name}` needs `in=` and the list, found {}", describe(n)),
                    );
                };
                let body = self.body("foreach", "its list", ctx)?;
                Ok(Stmt::ForEach {
                    name,
                    list,
                    body,
                    span,
                })
            }
            "do" => {
                let b = self.peek();
                if b.kind != Tok::LBrace {
                    return err_at(b, format!("`:do` needs a block `{{ ... }}`, found {}", describe(b)));
                }
                let (body, _) = self.block(ctx)?;
                if let Some(cond) = self.named_value("while", ctx, "a condition after `while=`")? {
                    if self.at_named(Some("on-error")) {
                        return err_at(
                            self.peek(),
                            "`:do` takes `while=` or `on-error=`, not both: put the loop in a `:do { ... } on-error={ ... }`",
                        );
                    }
                    return Ok(Stmt::DoWhile { body, cond, span });
                }
                let on_error = self.keyword_block("on-error", ctx)?;
                Ok(Stmt::Do {
                    body,
                    on_error,
                    span,
                })
            }
            "while" => {
                let (cond, body) = self.cond_and_body("while", ctx)?;
                Ok(Stmt::While { cond, body, span })
            }
            "for" => {
                let name = self.loop_var("for")?;
                let Some(from) = self.named_value("from", ctx, "a number after `from=`")? else {
                    let n = self.peek();
                    return err_at(
                        n,
                        format!("`:for {name}` needs `from=`, found {}", describe(n)),
                    );
                };
                let Some(to) = self.named_value("to", ctx, "a number after `to=`")? else {
                    let n = self.peek();
                    return err_at(
                        n,
                        format!("`:for {name}` needs `to=` after `from=`, found {}", describe(n)),
                    );
                };
                let step = self.named_value("step", ctx, "a number after `step=`")?;
                let body = self.body("for", "its bounds", ctx)?;
                Ok(Stmt::For {
                    name,
                    from,
                    to,
                    step,
                    body,
                    span,
                })
            }
            _ => err_at(
                &t,
                format!(
                    "unknown command `{word}` (supported: :log, :delay, :local, :global, :set, :if, :put, :foreach, :for, :while, :do)"
                ),
            ),
        }
    }

    /// The condition and the `do={ ... }` block of `:if` and `:while`.
    fn cond_and_body(&mut self, cmd: &str, ctx: &[String]) -> PResult<(Expr, Vec<Stmt>)> {
        if self.at_named(Some("do")) {
            return err_at(
                self.peek(),
                format!("`:{cmd}` needs a condition before `do=`"),
            );
        }
        let cond = self.required_value(ctx, "a condition")?;
        let body = self.body(cmd, "its condition", ctx)?;
        Ok((cond, body))
    }

    /// The `do={ ... }` block that must come next in `:cmd`, after `after`.
    fn body(&mut self, cmd: &str, after: &str, ctx: &[String]) -> PResult<Vec<Stmt>> {
        match self.keyword_block("do", ctx)? {
            Some(body) => Ok(body),
            None => {
                let n = self.peek();
                err_at(
                    n,
                    format!(
                        "`:{cmd}` needs `do={{ ... }}` after {after}, found {}",
                        describe(n)
                    ),
                )
            }
        }
    }

    /// The variable a loop command names first (`:foreach i ...`, `:for i ...`).
    fn loop_var(&mut self, cmd: &str) -> PResult<String> {
        let t = self.peek().clone();
        match &t.kind {
            Tok::Word(n) if is_var_name(n) && !self.at_named(None) => {
                self.bump();
                Ok(n.clone())
            }
            _ => err_at(
                &t,
                format!(
                    "expected a variable name after `:{cmd}`, found {}",
                    describe(&t)
                ),
            ),
        }
    }

    /// `key=value`, if it comes next; `what` names the value an error expects.
    fn named_value(&mut self, key: &str, ctx: &[String], what: &str) -> PResult<Option<Expr>> {
        if !self.at_named(Some(key)) {
            return Ok(None);
        }
        self.bump();
        self.bump();
        self.required_value(ctx, what).map(Some)
    }

    /// `keyword={ ... }` (`do=`, `else=` of `:if`), if it comes next.
    fn keyword_block(&mut self, keyword: &str, ctx: &[String]) -> PResult<Option<Vec<Stmt>>> {
        if !self.at_named(Some(keyword)) {
            return Ok(None);
        }
        self.bump();
        self.bump();
        let b = self.peek();
        if b.kind != Tok::LBrace || b.space_before {
            return err_at(
                b,
                format!("expected `{{` after `{keyword}=`, found {}", describe(b)),
            );
        }
        let (stmts, _) = self.block(ctx)?;
        Ok(Some(stmts))
    }
}
