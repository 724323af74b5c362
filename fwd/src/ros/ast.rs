//! The syntax tree of a RouterOS script, as the parser builds it and the evaluator walks it.
//!
//! Menu paths are resolved while parsing: every [`Command`] carries its absolute menu path,
//! whichever spelling (`/ip/route add`, `/ip route add`, or `add` under `/ip/route`) it was
//! written in. Whether a verb or a property exists in that menu is for the evaluator to decide.
//!
//! Every node prints back as RouterOS text (`Display`); printing what the parser built and
//! parsing it again gives the same tree, apart from spans.

use std::fmt;

use super::lexer::{is_var_char, is_word_char};
use super::parser::{is_flag_name, is_segment, is_verb};

/// Where a statement, argument or condition starts: 1-based line and column (columns count
/// characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
}

/// A whole script: a `.rsc` file, one `wanctl` command line, or a Netwatch script body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    pub stmts: Vec<Stmt>,
}

/// The `:log` topics' severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogLevel {
    Info,
    Warning,
    Error,
    Debug,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Debug => "debug",
        }
    }

    pub fn from_name(name: &str) -> Option<LogLevel> {
        Some(match name {
            "info" => LogLevel::Info,
            "warning" => LogLevel::Warning,
            "error" => LogLevel::Error,
            "debug" => LogLevel::Debug,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// A menu command: `/ip/route add ...`, `print where ...`, `/ping 8.8.8.8 count=3`.
    Command(Command),
    /// A menu path alone (`/routing/table`, `/ip route`, `/`): later relative commands of the
    /// same script or block run in it. `path` is absolute.
    ChangeMenu { path: Vec<String>, span: Span },
    /// `{ ... }` as a statement. Menu changes inside it do not leak out.
    Block { stmts: Vec<Stmt>, span: Span },
    /// `:local name [value]`.
    Local {
        name: String,
        value: Option<Expr>,
        span: Span,
    },
    /// `:global name [value]`.
    Global {
        name: String,
        value: Option<Expr>,
        span: Span,
    },
    /// `:set name [value]` (without a value the variable becomes nothing).
    Set {
        name: String,
        value: Option<Expr>,
        span: Span,
    },
    /// `:log info|warning|error|debug message`.
    Log {
        level: LogLevel,
        message: Expr,
        span: Span,
    },
    /// `:delay 10s` (or `:delay delay-time=10s`); a bare number is seconds.
    Delay { duration: Expr, span: Span },
    /// `:if (cond) do={...} [else={...}]`; the blocks run in the menu of the `:if`.
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Option<Vec<Stmt>>,
        span: Span,
    },
    /// `:put value`.
    Put { value: Expr, span: Span },
    /// `:foreach name in=list do={...}`: the block once per element of the list (an array
    /// such as `[find ...]` gives, or a single value), with `$name` the element.
    ForEach {
        name: String,
        list: Expr,
        body: Vec<Stmt>,
        span: Span,
    },
    /// `:do { ... } [on-error={ ... }]`: the block; when a statement in it fails, the rest
    /// of it is skipped and `on-error` runs instead of the script ending (what the block's
    /// commands changed before the failing one stays, as in RouterOS).
    Do {
        body: Vec<Stmt>,
        on_error: Option<Vec<Stmt>>,
        span: Span,
    },
    /// `:do { ... } while=(cond)`: the block once, then again for as long as the condition
    /// holds, tested after each pass (RouterOS's do-while).
    DoWhile {
        body: Vec<Stmt>,
        cond: Expr,
        span: Span,
    },
    /// `:while (cond) do={...}`: the block for as long as the condition holds, tested
    /// before each pass (a `[/ping]` in it waits like any statement's).
    While {
        cond: Expr,
        body: Vec<Stmt>,
        span: Span,
    },
    /// `:for name from=A to=B [step=S] do={...}`: the block once per number from A to B,
    /// both included, counting down when B is below A (RouterOS's rule: the step's size
    /// counts, the direction is from A towards B).
    For {
        name: String,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
        body: Vec<Stmt>,
        span: Span,
    },
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Command(c) => c.span,
            Stmt::ChangeMenu { span, .. }
            | Stmt::Block { span, .. }
            | Stmt::Local { span, .. }
            | Stmt::Global { span, .. }
            | Stmt::Set { span, .. }
            | Stmt::Log { span, .. }
            | Stmt::Delay { span, .. }
            | Stmt::If { span, .. }
            | Stmt::Put { span, .. }
            | Stmt::ForEach { span, .. }
            | Stmt::For { span, .. }
            | Stmt::While { span, .. }
            | Stmt::DoWhile { span, .. }
            | Stmt::Do { span, .. } => *span,
        }
    }
}

/// A menu command: a verb run in a menu, with its arguments in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// Absolute menu path, e.g. `["ip", "route"]`; empty for root commands such as `/ping`.
    pub path: Vec<String>,
    /// `add`, `set`, `print`, `find`, `ping`...: whatever the evaluator will accept.
    pub verb: String,
    pub args: Vec<Arg>,
    pub span: Span,
}

impl Command {
    /// The menu as RouterOS writes it: `/ip/route`, `/` for the root.
    pub fn menu(&self) -> String {
        format!("/{}", self.path.join("/"))
    }

    /// The named argument `name`: `Some(None)` for a bare flag (`fib`, `detail`),
    /// `Some(Some(value))` for `name=value`, `None` when absent.
    pub fn arg(&self, name: &str) -> Option<Option<&Expr>> {
        self.args.iter().find_map(|a| match a {
            Arg::Named { name: n, value, .. } if n == name => Some(value.as_ref()),
            _ => None,
        })
    }

    /// The value of `name=value`, if given.
    pub fn value(&self, name: &str) -> Option<&Expr> {
        self.arg(name).flatten()
    }

    /// Whether `name` was given as a bare flag.
    pub fn has_flag(&self, name: &str) -> bool {
        matches!(self.arg(name), Some(None))
    }

    /// Positional values (`set 0 ...`, `set [find ...] ...`, `/ping 8.8.8.8`), in order.
    pub fn positionals(&self) -> impl Iterator<Item = &Expr> {
        self.args.iter().filter_map(|a| match a {
            Arg::Positional { value, .. } => Some(value),
            _ => None,
        })
    }

    /// The condition of the `where` clause, if any.
    pub fn where_cond(&self) -> Option<&Cond> {
        self.args.iter().find_map(|a| match a {
            Arg::Where { cond, .. } => Some(cond),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `name=value`, or a bare flag (`fib`, `detail`, `count-only`) with `value: None`. Any
    /// bare identifier-like word (`[a-z][a-z0-9_-]*`) is read as a flag; a command that takes
    /// a positional value (`/ping router1`) may take such a flag as its value.
    /// `name=` with nothing glued to it has the empty string as value.
    Named {
        name: String,
        value: Option<Expr>,
        span: Span,
    },
    /// A value without a name: a number, an address, a string, `$var`, `[...]`, `(...)`.
    Positional { value: Expr, span: Span },
    /// `where <condition>`. It extends to the end of the command, or to a print option
    /// (`detail`, `count-only`...) that follows it, which is then an argument of its own.
    /// `bare`: a comparison written without `where` among `find`'s arguments
    /// (`find comment~"wan1"`), which RouterOS takes as a condition too.
    Where { cond: Cond, span: Span, bare: bool },
}

/// A value or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A double-quoted string without interpolation, escapes decoded.
    Str(String),
    /// An unquoted value, as written: `0.0.0.0/0`, `203.0.113.1%ether1`, `!local`, `10s`, `*1A`.
    Word(String),
    /// A decimal integer written canonically (`0`, `20`, `-1`; not `007`), so that printing it
    /// gives back the same text.
    Num(i64),
    /// `$name`.
    Var(String),
    /// A string with interpolations: the concatenation of its parts, which are `Str` for the
    /// literal text, `Var` for `$name`, `Sub` for `$[...]` and any expression for `$(...)`.
    Interp(Vec<Expr>),
    /// `[command]`: the command's result. A relative path inside is relative to the menu of
    /// the enclosing command (`[find ...]` in `/ip/route set` is `/ip/route find`).
    Sub(Box<Command>),
    /// `{ ... }` as a value (`up-script={ ... }`): the parsed script and its text between the
    /// braces, verbatim, since RouterOS stores scripts as text. It is parsed from the root
    /// menu, where the stored script will run.
    Block {
        stmts: Vec<Stmt>,
        source: String,
    },
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    Arith(Box<Expr>, ArithOp, Box<Expr>),
    /// `&&` or `and`.
    And(Box<Expr>, Box<Expr>),
    /// `||` or `or`.
    Or(Box<Expr>, Box<Expr>),
    /// `!` or `not`.
    Not(Box<Expr>),
    /// `[:len value]`, `[:pick value start end]`, ...: one of the scripting language's
    /// functions of values ([`Func`]) and its arguments, as many as it takes.
    Call(Func, Vec<Expr>),
}

/// The functions of values a script calls inside `[ ]`, RouterOS's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `:len value`: the number of elements of an array (`[:len [find ...]]`), or of
    /// characters of any other value.
    Len,
    /// `:pick value start [end]`: the element or character at `start`, or those from
    /// `start` up to (not including) `end`.
    Pick,
    /// `:tostr value`: the value's text.
    ToStr,
    /// `:tonum value`: the number a text spells (decimal, or hexadecimal after `0x`), or
    /// nothing.
    ToNum,
    /// `:typeof value`: `str`, `num`, `bool`, `array` or `nothing`.
    TypeOf,
}

impl Func {
    /// The function a `:word` names, if any.
    pub fn named(word: &str) -> Option<Func> {
        Some(match word {
            ":len" => Func::Len,
            ":pick" => Func::Pick,
            ":tostr" => Func::ToStr,
            ":tonum" => Func::ToNum,
            ":typeof" => Func::TypeOf,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Func::Len => ":len",
            Func::Pick => ":pick",
            Func::ToStr => ":tostr",
            Func::ToNum => ":tonum",
            Func::TypeOf => ":typeof",
        }
    }

    /// How many arguments it takes: at least, at most.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Func::Pick => (2, 3),
            _ => (1, 1),
        }
    }
}

/// `:name arg arg ...` as written inside `[ ]`.
struct CallText<'a>(Func, &'a [Expr]);

impl fmt::Display for CallText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())?;
        for a in self.1 {
            write!(f, " {}", Value(a))?;
        }
        Ok(())
    }
}

impl Expr {
    /// The text of a string or unquoted word.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Expr::Str(s) | Expr::Word(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    /// `~`: regular-expression match.
    Match,
    /// `in`: address within a prefix.
    In,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
            CmpOp::Match => "~",
            CmpOp::In => "in",
        }
    }
}

/// Arithmetic and concatenation. RouterOS needs them written apart from their operands
/// (`$n + 1`), since `+ - * / .` are also characters of unquoted words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `.`: string concatenation.
    Concat,
}

impl ArithOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Concat => ".",
        }
    }

    pub(crate) fn from_word(w: &str) -> Option<ArithOp> {
        Some(match w {
            "+" => ArithOp::Add,
            "-" => ArithOp::Sub,
            "*" => ArithOp::Mul,
            "/" => ArithOp::Div,
            "." => ArithOp::Concat,
            _ => return None,
        })
    }
}

/// The condition of `where`, over the properties of a menu's items. Terms written one after
/// the other are joined by an implicit `and`.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    /// `prop=value`, `prop!=value`, `prop<value`..., `prop~regex`, `prop in prefix`.
    Cmp {
        prop: String,
        op: CmpOp,
        value: Expr,
        span: Span,
    },
    /// A bare property name (`active`, `disabled`): true when the property is set.
    Flag {
        prop: String,
        span: Span,
    },
    /// `!term`, `not term`.
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

/// A RouterOS double-quoted string literal for `s`: parsing it gives `s` back.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(&mut out, s);
    out.push('"');
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                out.push_str(&format!("\\{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// Words that RouterOS reads as operators or keywords inside an expression.
fn is_operator_word(w: &str) -> bool {
    ArithOp::from_word(w).is_some() || matches!(w, "and" | "or" | "not" | "in")
}

/// A word that reads back as itself where an expression operand is expected.
fn is_plain_word(w: &str) -> bool {
    !w.is_empty() && w.chars().all(is_word_char) && !is_operator_word(w)
}

/// A word that reads back as itself where a value is expected: there, `!` `=` `<` `>` `~`
/// glued to it are part of the value (`dst-address-type=!local`).
fn is_plain_value(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| is_word_char(c) || "!=<>~".contains(c))
}

fn write_path(f: &mut fmt::Formatter<'_>, path: &[String]) -> fmt::Result {
    write!(f, "/{}", path.join("/"))
}

fn write_block(f: &mut fmt::Formatter<'_>, stmts: &[Stmt]) -> fmt::Result {
    if stmts.is_empty() {
        return f.write_str("{}");
    }
    f.write_str("{ ")?;
    for (i, s) in stmts.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{s}")?;
    }
    f.write_str(" }")
}

/// An expression where a value is expected (an argument, `:put`, `:if`): operators need
/// parentheses there.
struct Value<'a>(&'a Expr);

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Expr::Word(w) if is_plain_value(w) => f.write_str(w),
            Expr::Word(w) => f.write_str(&quote(w)),
            e @ (Expr::Cmp(..) | Expr::Arith(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(_)) => {
                write!(f, "({e})")
            }
            e => write!(f, "{e}"),
        }
    }
}

/// An operand inside an expression: compound operands get parentheses.
struct Operand<'a>(&'a Expr);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            e @ (Expr::Cmp(..) | Expr::Arith(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(_)) => {
                write!(f, "({e})")
            }
            e => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.stmts.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let var = |f: &mut fmt::Formatter<'_>, kw: &str, name: &str, value: &Option<Expr>| {
            write!(f, ":{kw} {name}")?;
            match value {
                Some(v) => write!(f, " {}", Value(v)),
                None => Ok(()),
            }
        };
        match self {
            Stmt::Command(c) => write!(f, "{c}"),
            Stmt::ChangeMenu { path, .. } => write_path(f, path),
            Stmt::Block { stmts, .. } => write_block(f, stmts),
            Stmt::Local { name, value, .. } => var(f, "local", name, value),
            Stmt::Global { name, value, .. } => var(f, "global", name, value),
            Stmt::Set { name, value, .. } => var(f, "set", name, value),
            Stmt::Log { level, message, .. } => {
                write!(f, ":log {} {}", level.as_str(), Value(message))
            }
            Stmt::Delay { duration, .. } => write!(f, ":delay {}", Value(duration)),
            Stmt::If {
                cond,
                then,
                otherwise,
                ..
            } => {
                write!(f, ":if {} do=", Value(cond))?;
                write_block(f, then)?;
                if let Some(o) = otherwise {
                    f.write_str(" else=")?;
                    write_block(f, o)?;
                }
                Ok(())
            }
            Stmt::Put { value, .. } => write!(f, ":put {}", Value(value)),
            Stmt::ForEach {
                name, list, body, ..
            } => {
                write!(f, ":foreach {name} in={} do=", Value(list))?;
                write_block(f, body)
            }
            Stmt::Do { body, on_error, .. } => {
                f.write_str(":do ")?;
                write_block(f, body)?;
                if let Some(h) = on_error {
                    f.write_str(" on-error=")?;
                    write_block(f, h)?;
                }
                Ok(())
            }
            Stmt::While { cond, body, .. } => {
                write!(f, ":while {} do=", Value(cond))?;
                write_block(f, body)
            }
            Stmt::DoWhile { body, cond, .. } => {
                f.write_str(":do ")?;
                write_block(f, body)?;
                write!(f, " while={}", Value(cond))
            }
            Stmt::For {
                name,
                from,
                to,
                step,
                body,
                ..
            } => {
                write!(f, ":for {name} from={} to={}", Value(from), Value(to))?;
                if let Some(s) = step {
                    write!(f, " step={}", Value(s))?;
                }
                f.write_str(" do=")?;
                write_block(f, body)
            }
        }
    }
}

impl fmt::Display for Command {
    /// `/ip/route add ...`; a verb the parser does not know is written joined to its menu
    /// (`/tool/e-mail/send ...`), since `/tool/e-mail send` alone would read as a menu path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known = is_verb(&self.verb);
        if self.path.is_empty() || !known {
            write!(
                f,
                "/{}",
                self.path
                    .iter()
                    .chain([&self.verb])
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("/")
            )?;
        } else {
            write_path(f, &self.path)?;
            write!(f, " {}", self.verb)?;
        }
        for (i, a) in self.args.iter().enumerate() {
            match a {
                // After an unknown verb a bare number would read as one more menu name.
                Arg::Positional {
                    value: Expr::Num(n),
                    ..
                } if i == 0 && !known => write!(f, " ({n})")?,
                a => write!(f, " {a}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Named {
                name, value: None, ..
            } => f.write_str(name),
            Arg::Named {
                name,
                value: Some(v),
                ..
            } => write!(f, "{name}={}", Value(v)),
            // A bare name would read back as a flag or a menu name.
            Arg::Positional {
                value: Expr::Word(w),
                ..
            } if is_flag_name(w) || is_segment(w) || w == ".." => f.write_str(&quote(w)),
            Arg::Positional { value, .. } => write!(f, "{}", Value(value)),
            Arg::Where {
                cond, bare: true, ..
            } => write!(f, "{cond}"),
            Arg::Where { cond, .. } => write!(f, "where {cond}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Str(s) => f.write_str(&quote(s)),
            Expr::Word(w) if is_plain_word(w) => f.write_str(w),
            Expr::Word(w) => f.write_str(&quote(w)),
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Var(v) => write!(f, "${v}"),
            Expr::Interp(parts) => {
                let mut out = String::from("\"");
                for (i, p) in parts.iter().enumerate() {
                    match p {
                        Expr::Str(s) => escape_into(&mut out, s),
                        // `$name` would swallow name characters of the text after it.
                        Expr::Var(v)
                            if !matches!(parts.get(i + 1), Some(Expr::Str(s))
                                if s.starts_with(is_var_char)) =>
                        {
                            out.push('$');
                            out.push_str(v);
                        }
                        Expr::Sub(c) => out.push_str(&format!("$[{c}]")),
                        Expr::Call(func, args) => {
                            out.push_str(&format!("$[{}]", CallText(*func, args)))
                        }
                        e => out.push_str(&format!("$({e})")),
                    }
                }
                out.push('"');
                f.write_str(&out)
            }
            Expr::Sub(c) => write!(f, "[{c}]"),
            Expr::Block { source, .. } => write!(f, "{{{source}}}"),
            Expr::Cmp(l, op, r) => write!(f, "{} {} {}", Operand(l), op.as_str(), Operand(r)),
            Expr::Arith(l, op, r) => write!(f, "{} {} {}", Operand(l), op.as_str(), Operand(r)),
            Expr::And(l, r) => write!(f, "{} && {}", Operand(l), Operand(r)),
            Expr::Or(l, r) => write!(f, "{} || {}", Operand(l), Operand(r)),
            Expr::Not(e) => write!(f, "!{}", Operand(e)),
            Expr::Call(func, args) => write!(f, "[{}]", CallText(*func, args)),
        }
    }
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `and` binds tighter than `or`; both group to the left.
        let group = |f: &mut fmt::Formatter<'_>, c: &Cond, wrap: bool| {
            if wrap {
                write!(f, "({c})")
            } else {
                write!(f, "{c}")
            }
        };
        match self {
            Cond::Cmp {
                prop,
                op: CmpOp::In,
                value,
                ..
            } => write!(f, "{prop} in {}", Value(value)),
            Cond::Cmp {
                prop, op, value, ..
            } => write!(f, "{prop}{}{}", op.as_str(), Value(value)),
            Cond::Flag { prop, .. } => f.write_str(prop),
            Cond::Not(c) => {
                f.write_str("!")?;
                group(f, c, matches!(**c, Cond::And(..) | Cond::Or(..)))
            }
            Cond::And(l, r) => {
                group(f, l, matches!(**l, Cond::Or(..)))?;
                f.write_str(" and ")?;
                group(f, r, matches!(**r, Cond::Or(..) | Cond::And(..)))
            }
            Cond::Or(l, r) => {
                group(f, l, false)?;
                f.write_str(" or ")?;
                group(f, r, matches!(**r, Cond::Or(..)))
            }
        }
    }
}
