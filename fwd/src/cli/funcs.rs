//! The scripting language's functions of values: `[:len ...]`, `[:pick ...]`,
//! `[:tostr ...]`, `[:tonum ...]`, `[:typeof ...]`, as RouterOS has them.

use super::value::Value;
use crate::ros::Func;

/// `func` applied to its evaluated arguments (the parser checked how many).
pub(super) fn call(func: Func, args: Vec<Value>) -> Result<Value, String> {
    let mut args = args.into_iter();
    let first = args.next().unwrap_or_default();
    Ok(match func {
        Func::Len => Value::Num(match first {
            Value::Array(v) => v.len(),
            v => v.to_text().chars().count(),
        } as i64),
        Func::Pick => {
            let start = index(func, args.next())?.unwrap_or(0);
            let end = index(func, args.next())?;
            pick(first, start, end)
        }
        Func::ToStr => Value::Str(first.to_text()),
        Func::ToNum => to_num(&first).map_or(Value::Nothing, Value::Num),
        Func::TypeOf => Value::Str(
            match first {
                Value::Nothing => "nothing",
                Value::Bool(_) => "bool",
                Value::Num(_) => "num",
                Value::Str(_) => "str",
                Value::Array(_) => "array",
            }
            .into(),
        ),
    })
}

/// A position argument: a whole number (negative ones count as 0, as RouterOS takes them),
/// or None when it was not given.
fn index(func: Func, v: Option<Value>) -> Result<Option<usize>, String> {
    let Some(v) = v else { return Ok(None) };
    match to_num(&v) {
        Some(n) => Ok(Some(n.max(0) as usize)),
        None => Err(format!(
            "`{}` expects a number as a position, not '{}'",
            func.name(),
            v.to_text()
        )),
    }
}

/// `:pick`: with no end, the element (or character) at `start`; with one, those from
/// `start` up to `end`, an array of an array, text of text. Out of range gives nothing (or
/// what is in range of it).
fn pick(v: Value, start: usize, end: Option<usize>) -> Value {
    match (v, end) {
        (Value::Array(a), None) => a.into_iter().nth(start).unwrap_or(Value::Nothing),
        (Value::Array(a), Some(end)) => Value::Array(a.into_iter().take(end).skip(start).collect()),
        (Value::Nothing, _) => Value::Nothing,
        (v, None) => v
            .to_text()
            .chars()
            .nth(start)
            .map_or(Value::Nothing, |c| Value::Str(c.to_string())),
        (v, Some(end)) => Value::Str(v.to_text().chars().take(end).skip(start).collect()),
    }
}

/// The number a value is or spells: decimal with an optional sign ([`Value::as_num`]), or
/// `0x` hexadecimal.
fn to_num(v: &Value) -> Option<i64> {
    v.as_num().or_else(|| match v {
        Value::Str(s) => {
            let s = s.trim();
            let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
            i64::from_str_radix(hex, 16).ok()
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    fn arr(xs: &[i64]) -> Value {
        Value::Array(xs.iter().map(|n| Value::Num(*n)).collect())
    }

    #[test]
    fn pick_characters_and_elements() {
        let abc = || s("abcdef");
        assert_eq!(call(Func::Pick, vec![abc(), Value::Num(0)]), Ok(s("a")));
        assert_eq!(
            call(Func::Pick, vec![abc(), Value::Num(1), Value::Num(4)]),
            Ok(s("bcd"))
        );
        assert_eq!(
            call(Func::Pick, vec![abc(), s("2"), Value::Num(99)]),
            Ok(s("cdef"))
        );
        assert_eq!(
            call(Func::Pick, vec![abc(), Value::Num(9)]),
            Ok(Value::Nothing)
        );
        assert_eq!(
            call(Func::Pick, vec![abc(), Value::Num(4), Value::Num(2)]),
            Ok(s(""))
        );
        assert_eq!(
            call(Func::Pick, vec![abc(), Value::Num(-3), Value::Num(2)]),
            Ok(s("ab"))
        );
        // An address picked apart, as scripts do with `:find` and `:pick`.
        assert_eq!(
            call(
                Func::Pick,
                vec![s("192.0.2.1/32"), Value::Num(0), Value::Num(9)]
            ),
            Ok(s("192.0.2.1"))
        );
        let a = || arr(&[10, 20, 30]);
        assert_eq!(
            call(Func::Pick, vec![a(), Value::Num(1)]),
            Ok(Value::Num(20))
        );
        assert_eq!(
            call(Func::Pick, vec![a(), Value::Num(3)]),
            Ok(Value::Nothing)
        );
        assert_eq!(
            call(Func::Pick, vec![a(), Value::Num(1), Value::Num(3)]),
            Ok(arr(&[20, 30]))
        );
        assert_eq!(
            call(Func::Pick, vec![Value::Nothing, Value::Num(0)]),
            Ok(Value::Nothing)
        );
        assert_eq!(
            call(Func::Pick, vec![abc(), s("one")]),
            Err("`:pick` expects a number as a position, not 'one'".into())
        );
    }

    #[test]
    fn conversions_and_types() {
        assert_eq!(call(Func::ToNum, vec![s(" 42 ")]), Ok(Value::Num(42)));
        assert_eq!(call(Func::ToNum, vec![s("-7")]), Ok(Value::Num(-7)));
        assert_eq!(call(Func::ToNum, vec![s("0x1F")]), Ok(Value::Num(31)));
        assert_eq!(call(Func::ToNum, vec![s("ten")]), Ok(Value::Nothing));
        assert_eq!(
            call(Func::ToNum, vec![Value::Bool(true)]),
            Ok(Value::Nothing)
        );
        assert_eq!(call(Func::ToStr, vec![Value::Num(5)]), Ok(s("5")));
        assert_eq!(call(Func::ToStr, vec![arr(&[1, 2])]), Ok(s("1;2")));
        assert_eq!(call(Func::Len, vec![s("héllo")]), Ok(Value::Num(5)));
        assert_eq!(call(Func::Len, vec![arr(&[1, 2, 3])]), Ok(Value::Num(3)));
        for (v, t) in [
            (Value::Nothing, "nothing"),
            (Value::Bool(false), "bool"),
            (Value::Num(1), "num"),
            (s("x"), "str"),
            (arr(&[]), "array"),
        ] {
            assert_eq!(call(Func::TypeOf, vec![v]), Ok(s(t)));
        }
    }
}
