//! Values of the scripting language and the operators over them.
//!
//! RouterOS types its values; wanfwd keeps what the guide's scripts need: nothing (an
//! unset variable), booleans, integers, and text, where text also stands for addresses,
//! prefixes and times, which comparisons recognise by their form.

use crate::config::parse_duration;
use crate::net::Ipv4Prefix;
use crate::ros::{ArithOp, CmpOp};
use std::collections::HashMap;
use std::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Nothing,
    Bool(bool),
    Num(i64),
    Str(String),
    /// An array, such as `[find ...]` gives (the items' `*ID`s).
    Array(Vec<Value>),
}

/// `:global` variables: they outlive the script that set them.
pub type Globals = HashMap<String, Value>;

impl Value {
    /// The value as RouterOS prints it (`:put`, interpolation, a property's value).
    pub fn to_text(&self) -> String {
        match self {
            Value::Nothing => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Str(s) => s.clone(),
            // RouterOS prints an array's elements separated by semicolons.
            Value::Array(a) => a.iter().map(Value::to_text).collect::<Vec<_>>().join(";"),
        }
    }

    /// The elements `:foreach` goes over: an array's, nothing's none, any other value itself.
    pub fn elements(self) -> Vec<Value> {
        match self {
            Value::Array(a) => a,
            Value::Nothing => Vec::new(),
            v => vec![v],
        }
    }

    /// The value as a number, when it is one or is text that reads as one.
    pub(super) fn as_num(&self) -> Option<i64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s == "true" || s == "yes" => Some(true),
            Value::Str(s) if s == "false" || s == "no" => Some(false),
            _ => None,
        }
    }

    /// The truth of a condition (`:if (...)`): a boolean, or a number (non-zero is true).
    pub fn truth(&self) -> Result<bool, String> {
        if let Some(b) = self.as_bool() {
            return Ok(b);
        }
        match self {
            Value::Num(n) => Ok(*n != 0),
            Value::Nothing => Err("the condition has no value".into()),
            other => Err(format!(
                "the condition '{}' is not true or false",
                other.to_text()
            )),
        }
    }
}

/// `a op b`. Equality is numeric when both sides read as numbers, boolean when both read as
/// booleans, else textual; orderings compare numbers, addresses or times.
pub fn compare(a: &Value, op: CmpOp, b: &Value) -> Result<bool, String> {
    match op {
        CmpOp::Eq => Ok(equal(a, b)),
        CmpOp::Ne => Ok(!equal(a, b)),
        CmpOp::Lt | CmpOp::Gt | CmpOp::Le | CmpOp::Ge => {
            let ord = order(a, b).ok_or_else(|| {
                format!(
                    "cannot compare '{}' {} '{}': not two numbers, addresses or times",
                    a.to_text(),
                    op.as_str(),
                    b.to_text()
                )
            })?;
            Ok(match op {
                CmpOp::Lt => ord.is_lt(),
                CmpOp::Gt => ord.is_gt(),
                CmpOp::Le => ord.is_le(),
                _ => ord.is_ge(),
            })
        }
        CmpOp::In => {
            let (ta, tb) = (a.to_text(), b.to_text());
            let addr: Ipv4Addr = ta
                .parse()
                .map_err(|_| format!("'{ta}' is not an address (left of 'in')"))?;
            let prefix: Ipv4Prefix = tb
                .parse()
                .map_err(|_| format!("'{tb}' is not a prefix (right of 'in')"))?;
            Ok(prefix.contains(addr))
        }
        CmpOp::Match => regex_match(&a.to_text(), &b.to_text()),
    }
}

/// Whether `text` matches the regular expression `re` anywhere (POSIX-like, as RouterOS's `~`).
pub fn regex_match(text: &str, re: &str) -> Result<bool, String> {
    let re = regex::Regex::new(re).map_err(|e| format!("bad regular expression '{re}': {e}"))?;
    Ok(re.is_match(text))
}

fn equal(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    a.to_text() == b.to_text()
}

fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return Some(x.cmp(&y));
    }
    let (ta, tb) = (a.to_text(), b.to_text());
    if let (Ok(x), Ok(y)) = (ta.parse::<Ipv4Addr>(), tb.parse::<Ipv4Addr>()) {
        return Some(x.cmp(&y));
    }
    if let (Ok(x), Ok(y)) = (parse_duration(&ta), parse_duration(&tb)) {
        return Some(x.cmp(&y));
    }
    None
}

/// `a op b` for `+ - * /` on numbers and `.` (concatenation) on anything.
pub fn arith(a: &Value, op: ArithOp, b: &Value) -> Result<Value, String> {
    if op == ArithOp::Concat {
        return Ok(Value::Str(a.to_text() + &b.to_text()));
    }
    let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
        return Err(format!(
            "'{}' {} '{}': both sides must be numbers",
            a.to_text(),
            op.as_str(),
            b.to_text()
        ));
    };
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div if y == 0 => return Err("division by zero".into()),
        ArithOp::Div => x.checked_div(y),
        ArithOp::Concat => unreachable!("handled above"),
    };
    r.map(Value::Num)
        .ok_or_else(|| format!("{x} {} {y} overflows", op.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Value {
        Value::Str(t.into())
    }

    #[test]
    fn equality_reads_numbers_and_booleans() {
        assert!(compare(&Value::Num(0), CmpOp::Eq, &s("0")).unwrap());
        assert!(!compare(&Value::Num(3), CmpOp::Eq, &Value::Num(0)).unwrap());
        assert!(compare(&Value::Bool(true), CmpOp::Eq, &s("true")).unwrap());
        assert!(compare(&s("ether1"), CmpOp::Ne, &s("ether2")).unwrap());
        assert!(compare(&Value::Nothing, CmpOp::Eq, &s("")).unwrap());
    }

    #[test]
    fn orderings_of_numbers_addresses_and_times() {
        assert!(compare(&Value::Num(2), CmpOp::Lt, &Value::Num(10)).unwrap());
        assert!(compare(&s("10.0.0.2"), CmpOp::Gt, &s("10.0.0.10")).is_ok_and(|b| !b));
        assert!(compare(&s("90s"), CmpOp::Gt, &s("1m")).unwrap());
        assert!(compare(&s("ether1"), CmpOp::Lt, &s("ether2")).is_err());
    }

    #[test]
    fn in_prefix_and_regex() {
        assert!(compare(&s("192.0.2.7"), CmpOp::In, &s("192.0.2.0/24")).unwrap());
        assert!(!compare(&s("192.0.3.7"), CmpOp::In, &s("192.0.2.0/24")).unwrap());
        assert!(compare(&s("x"), CmpOp::In, &s("192.0.2.0/24")).is_err());
        assert!(compare(&s("wan1_conn"), CmpOp::Match, &s("^wan[0-9]")).unwrap());
        assert!(compare(&s("a"), CmpOp::Match, &s("(")).is_err());
    }

    #[test]
    fn arithmetic_and_concatenation() {
        assert_eq!(
            arith(&Value::Num(2), ArithOp::Add, &s("3")),
            Ok(Value::Num(5))
        );
        assert_eq!(arith(&s("a"), ArithOp::Concat, &Value::Num(1)), Ok(s("a1")));
        assert!(arith(&Value::Num(1), ArithOp::Div, &Value::Num(0)).is_err());
        assert!(arith(&Value::Num(i64::MAX), ArithOp::Add, &Value::Num(1)).is_err());
        assert!(arith(&s("x"), ArithOp::Mul, &Value::Num(1)).is_err());
    }

    #[test]
    fn truth() {
        assert_eq!(Value::Bool(false).truth(), Ok(false));
        assert_eq!(Value::Num(3).truth(), Ok(true));
        assert!(s("maybe").truth().is_err());
        assert!(Value::Nothing.truth().is_err());
    }
}
