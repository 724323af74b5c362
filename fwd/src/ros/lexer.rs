//! Tokens of the RouterOS command language.
//!
//! The language is whitespace-sensitive in ways a plain token stream would lose: in
//! `dst-address-type=!local` the value is the run of characters glued to the `=`, while in
//! `gateway=1.2.3.4 distance=1` the space ends it. So every token records whether whitespace
//! preceded it (`space_before`) and its byte range, and the parser glues adjacent tokens back
//! together where RouterOS reads one unquoted value.
//!
//! RouterOS rules kept here: `#` starts a comment only where a statement starts; a backslash at
//! the end of a line joins the next line (it counts as whitespace); strings are double-quoted
//! with `\"` `\\` `\n` `\t` `\r` `\$` `\?` `\_` (a space) and `\XX` (a hex byte) escapes, and
//! interpolate `$name`, `$[command]` and `$(expression)`.

use super::ParseError;

/// A piece of a double-quoted string.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum StrPart {
    /// Literal text, escapes decoded.
    Lit(String),
    /// `$name` interpolation.
    Var(String),
    /// `$[command]` (`paren == false`) or `$(expression)` (`paren == true`): the byte range of
    /// the text between the brackets, and where it starts, so the parser can lex it in place.
    Code {
        paren: bool,
        start: usize,
        end: usize,
        line: u32,
        column: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A run of unquoted characters (see [`is_word_char`]).
    Word(String),
    Str(Vec<StrPart>),
    /// `$name`.
    Var(String),
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    LParen,
    RParen,
    Semi,
    Newline,
    Eq,
    NotEq,
    Lt,
    Gt,
    Le,
    Ge,
    Tilde,
    Bang,
    AndAnd,
    OrOr,
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    pub line: u32,
    pub column: u32,
    /// Byte range in the source.
    pub start: usize,
    pub end: usize,
    /// Whitespace (or a line continuation) separates this token from the previous one.
    pub space_before: bool,
}

/// Characters that may appear in an unquoted word: everything but whitespace and the
/// characters the language gives a meaning to. `#` is a word character too, except where a
/// statement starts.
pub(crate) fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !"\"$[]{}();=!<>~&|\\".contains(c)
}

/// Characters of a variable name after `$`.
pub(crate) fn is_var_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Tokenizes `src[start..end]`, whose first character sits at `line`:`column`. The result
/// always ends with one `Eof` token.
pub(crate) fn tokenize(
    src: &str,
    start: usize,
    end: usize,
    line: u32,
    column: u32,
) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer {
        src,
        pos: start,
        end,
        line,
        column,
        toks: Vec::new(),
        space: false,
    };
    lx.run()?;
    Ok(lx.toks)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
    line: u32,
    column: u32,
    toks: Vec<Token>,
    /// Whitespace seen since the last token.
    space: bool,
}

fn error<T>(line: u32, column: u32, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        column,
        message: message.into(),
    })
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..self.end]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    /// `#` begins a comment only where a statement may begin (RouterOS reads `#` elsewhere as
    /// part of a word).
    fn at_statement_start(&self) -> bool {
        matches!(
            self.toks.last().map(|t| &t.kind),
            None | Some(Tok::Newline | Tok::Semi | Tok::LBrace)
        )
    }

    fn push(&mut self, kind: Tok, line: u32, column: u32, start: usize) {
        self.toks.push(Token {
            kind,
            line,
            column,
            start,
            end: self.pos,
            space_before: self.space,
        });
        self.space = false;
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            let (line, column, start) = (self.line, self.column, self.pos);
            if c == '\n' {
                self.bump();
                self.push(Tok::Newline, line, column, start);
                continue;
            }
            if c.is_whitespace() {
                self.bump();
                self.space = true;
                continue;
            }
            if c == '\\' {
                self.continuation()?;
                continue;
            }
            if c == '#' && self.at_statement_start() {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
                continue;
            }
            self.bump();
            let kind = match c {
                '"' => self.string(line, column)?,
                '$' => self.variable(line, column)?,
                '[' => Tok::LBracket,
                ']' => Tok::RBracket,
                '{' => Tok::LBrace,
                '}' => Tok::RBrace,
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ';' => Tok::Semi,
                '=' => Tok::Eq,
                '~' => Tok::Tilde,
                '!' => self.pair('=', Tok::NotEq, Tok::Bang),
                '<' => self.pair('=', Tok::Le, Tok::Lt),
                '>' => self.pair('=', Tok::Ge, Tok::Gt),
                '&' if self.peek() == Some('&') => {
                    self.bump();
                    Tok::AndAnd
                }
                '|' if self.peek() == Some('|') => {
                    self.bump();
                    Tok::OrOr
                }
                '&' | '|' => {
                    return error(
                        line,
                        column,
                        format!("unexpected `{c}` (did you mean `{c}{c}`?)"),
                    )
                }
                _ => {
                    while self.peek().is_some_and(is_word_char) {
                        self.bump();
                    }
                    Tok::Word(self.src[start..self.pos].to_string())
                }
            };
            self.push(kind, line, column, start);
        }
        let (line, column, start) = (self.line, self.column, self.pos);
        self.push(Tok::Eof, line, column, start);
        Ok(())
    }

    fn pair(&mut self, second: char, both: Tok, single: Tok) -> Tok {
        if self.peek() == Some(second) {
            self.bump();
            both
        } else {
            single
        }
    }

    /// A backslash outside a string must end its line: it joins the next line to this one.
    fn continuation(&mut self) -> Result<(), ParseError> {
        let (line, column) = (self.line, self.column);
        let after = &self.rest()[1..];
        let blanks = after
            .find(|c: char| c == '\n' || !c.is_whitespace())
            .unwrap_or(after.len());
        match after[blanks..].chars().next() {
            Some('\n') | None => {
                self.bump();
                while self.peek().is_some_and(|c| c != '\n' && c.is_whitespace()) {
                    self.bump();
                }
                self.bump();
                self.space = true;
                Ok(())
            }
            Some(_) => error(
                line,
                column,
                "unexpected `\\` (outside a string, a backslash only continues a line)",
            ),
        }
    }

    fn variable(&mut self, line: u32, column: u32) -> Result<Tok, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(is_var_char) {
            self.bump();
        }
        if self.pos == start {
            return error(line, column, "expected a variable name after `$`");
        }
        Ok(Tok::Var(self.src[start..self.pos].to_string()))
    }

    /// The opening quote is consumed; `line`:`column` is where it was.
    fn string(&mut self, line: u32, column: u32) -> Result<Tok, ParseError> {
        let unterminated = || error(line, column, "unterminated string");
        let mut parts = Vec::new();
        let mut buf: Vec<u8> = Vec::new();
        let flush = |buf: &mut Vec<u8>, parts: &mut Vec<StrPart>| -> Result<(), ParseError> {
            if buf.is_empty() {
                return Ok(());
            }
            match String::from_utf8(std::mem::take(buf)) {
                Ok(s) => {
                    parts.push(StrPart::Lit(s));
                    Ok(())
                }
                Err(_) => error(
                    line,
                    column,
                    "string is not valid UTF-8 (check its \\XX escapes)",
                ),
            }
        };
        loop {
            let (eline, ecolumn) = (self.line, self.column);
            let Some(c) = self.bump() else {
                return unterminated();
            };
            match c {
                '"' => break,
                '\\' => {
                    let Some(e) = self.bump() else {
                        return unterminated();
                    };
                    match e {
                        '\n' => {}
                        '\r' if self.peek() == Some('\n') => {
                            self.bump();
                        }
                        '"' | '\\' | '$' | '?' => buf.push(e as u8),
                        'n' => buf.push(b'\n'),
                        't' => buf.push(b'\t'),
                        'r' => buf.push(b'\r'),
                        '_' => buf.push(b' '),
                        h if h.is_ascii_hexdigit()
                            && self.peek().is_some_and(|l| l.is_ascii_hexdigit()) =>
                        {
                            let l = self.bump().unwrap_or('0');
                            let hex = [h as u8, l as u8];
                            let hex = std::str::from_utf8(&hex).unwrap_or("00");
                            buf.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                        }
                        other => {
                            return error(
                                eline,
                                ecolumn,
                                format!("invalid escape `\\{other}` in a string"),
                            )
                        }
                    }
                }
                '$' => match self.peek() {
                    Some(v) if is_var_char(v) => {
                        flush(&mut buf, &mut parts)?;
                        let start = self.pos;
                        while self.peek().is_some_and(is_var_char) {
                            self.bump();
                        }
                        parts.push(StrPart::Var(self.src[start..self.pos].to_string()));
                    }
                    Some(open @ ('[' | '(')) => {
                        flush(&mut buf, &mut parts)?;
                        self.bump();
                        let (cline, ccolumn, start) = (self.line, self.column, self.pos);
                        let end = self.code(open, line, column)?;
                        parts.push(StrPart::Code {
                            paren: open == '(',
                            start,
                            end,
                            line: cline,
                            column: ccolumn,
                        });
                    }
                    _ => buf.push(b'$'),
                },
                c => {
                    let mut utf8 = [0; 4];
                    buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
        flush(&mut buf, &mut parts)?;
        Ok(Tok::Str(parts))
    }

    /// Skips the code of a `$[...]` or `$(...)` interpolation, whose opening bracket is
    /// consumed, up to and including its matching closing bracket; returns the byte offset of
    /// that closing bracket. Nested strings are skipped whole.
    fn code(&mut self, open: char, line: u32, column: u32) -> Result<usize, ParseError> {
        let mut stack = vec![open];
        loop {
            let (cline, ccolumn, at) = (self.line, self.column, self.pos);
            let Some(c) = self.bump() else {
                return error(line, column, "unterminated string");
            };
            match c {
                '"' => loop {
                    match self.bump() {
                        None => return error(line, column, "unterminated string"),
                        Some('\\') => {
                            self.bump();
                        }
                        Some('"') => break,
                        Some(_) => {}
                    }
                },
                '[' | '(' | '{' => stack.push(c),
                ']' | ')' | '}' => {
                    let expected = match stack.pop() {
                        Some('[') => ']',
                        Some('(') => ')',
                        _ => '}',
                    };
                    if c != expected {
                        return error(
                            cline,
                            ccolumn,
                            format!("unexpected `{c}` (expected `{expected}`)"),
                        );
                    }
                    if stack.is_empty() {
                        return Ok(at);
                    }
                }
                _ => {}
            }
        }
    }
}
