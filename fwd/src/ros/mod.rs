//! The RouterOS command language: text to syntax tree.
//!
//! One interpreter serves `wanctl` command lines, `.rsc` imports and Netwatch scripts
//! (DESIGN.md, "One data model, two syntaxes"). This module only parses; an evaluator walks the
//! [`Script`] it returns. A script is parsed whole, so a single error rejects all of it and
//! nothing runs (design invariant 6); the error names the line and column of the offending
//! token.
//!
//! What is read, as RouterOS v7 reads it:
//! - statements separated by newlines or `;`; `#` comments where a statement starts; a
//!   backslash at the end of a line continues it;
//! - menu paths in both spellings (`/ip/route add`, `/ip route add`), a path alone changing
//!   the current menu for the following relative commands (`/routing/table` then
//!   `add name=to_wan1 fib`), `/` alone back to the root, `..` to the parent;
//! - arguments `name=value`, bare flags (`fib`, `detail`), positional values (`set 0 ...`,
//!   `set [find ...] ...`, `/ping 8.8.8.8`), `where` conditions;
//! - values: unquoted words, double-quoted strings with escapes and `$` interpolation,
//!   `$variables`, `[command]` substitutions, `{ script }` blocks, `( expression )`;
//! - scripting: `:log`, `:delay`, `:local`, `:global`, `:set`, `:if ... do={} else={}`, `:put`.

mod ast;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use std::fmt;

pub use ast::{
    quote, Arg, ArithOp, CmpOp, Command, Cond, Expr, Func, LogLevel, Script, Span, Stmt,
};

/// Why a script was rejected, and where: 1-based line and column (in characters) of the
/// offending token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses a script whose relative commands start in the root menu.
pub fn parse(src: &str) -> Result<Script, ParseError> {
    parser::parse_script(src, &[])
}

/// Parses a script whose relative commands start in `menu` (an absolute path such as
/// `["ip", "route"]`), as a console that remembers its current menu would.
pub fn parse_in(src: &str, menu: &[String]) -> Result<Script, ParseError> {
    parser::parse_script(src, menu)
}
