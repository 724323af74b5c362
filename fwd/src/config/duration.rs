//! RouterOS's time values: `10s`, `100ms`, `1m30s`, `1h`, `1w2d`, the clock form `00:01:30`,
//! and a plain number, which means seconds.
//!
//! The configuration uses them for `/routing/settings`; the command language reuses the same
//! parser for `interval=`, `timeout=` and `:delay`.

use std::fmt::Write;
use std::time::Duration;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// The units, largest first, with their length in nanoseconds. A value lists them in this
/// order, each at most once, as RouterOS prints them.
const UNITS: [(&str, u128); 8] = [
    ("w", 7 * 24 * 3600 * NANOS_PER_SECOND),
    ("d", 24 * 3600 * NANOS_PER_SECOND),
    ("h", 3600 * NANOS_PER_SECOND),
    ("m", 60 * NANOS_PER_SECOND),
    ("s", NANOS_PER_SECOND),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// The index in `UNITS` of the last unit that may precede a clock (`1d00:00:10`).
const DAY: usize = 1;
const SECOND: usize = 4;

/// Decimals kept from a fraction: enough for nanoseconds whatever the unit.
const MAX_DECIMALS: usize = 9;

/// Parses a RouterOS time value.
///
/// Accepted: unit components largest first (`1w2d3h4m5s`, `1m30s`, `100ms`, `250us`), each
/// number optionally with a decimal fraction (`1.5s`, `0.5m`); a bare number, meaning seconds
/// (`10`, `0.1`); and the clock form `H:MM:SS[.fraction]`, optionally after weeks and days
/// (`00:01:30`, `1d00:00:10`). Components over their natural range (`90s`) are accepted.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let invalid = |why: String| format!("invalid time '{s}': {why}");
    if text.is_empty() {
        return Err("time is empty".to_string());
    }
    let mut total: u128 = 0;
    let mut pos = 0;
    // The index in UNITS of the previous component, which the next must be smaller than.
    let mut last: Option<usize> = None;
    while pos < text.len() {
        let start = pos;
        let rest = &text[start..];
        let int_len = digits(rest);
        if int_len == 0 {
            let why = if rest.starts_with('-') {
                "a time cannot be negative".to_string()
            } else {
                format!("expected a number at '{rest}'")
            };
            return Err(invalid(why));
        }
        let int = &rest[..int_len];
        let mut end = int_len;
        let mut frac = "";
        if let Some(after_dot) = rest[end..].strip_prefix('.') {
            let frac_len = digits(after_dot);
            if frac_len == 0 {
                return Err(invalid("expected digits after '.'".to_string()));
            }
            frac = &after_dot[..frac_len];
            end += 1 + frac_len;
        }

        if rest[end..].starts_with(':') {
            if last.is_some_and(|unit| unit > DAY) {
                return Err(invalid(
                    "a clock (H:MM:SS) may only follow weeks and days".to_string(),
                ));
            }
            let clock = parse_clock(rest).map_err(invalid)?;
            total = total.checked_add(clock).ok_or_else(too_large(s))?;
            break;
        }

        let unit_len = rest[end..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let unit = &rest[end..end + unit_len];
        let index = if unit.is_empty() {
            // A bare number is a number of seconds, and only when it is the whole value:
            // `1m30` is more likely a typo than 1m30s.
            if start != 0 || end != rest.len() {
                return Err(invalid(format!(
                    "'{}' has no unit (w, d, h, m, s, ms, us)",
                    &rest[..end]
                )));
            }
            SECOND
        } else {
            UNITS.iter().position(|(u, _)| *u == unit).ok_or_else(|| {
                invalid(format!(
                    "unknown unit '{unit}' (expected w, d, h, m, s, ms, us)"
                ))
            })?
        };
        if let Some(previous) = last {
            if index <= previous {
                return Err(invalid(format!(
                    "unit '{unit}' is out of place: write each unit once, largest first, as in 1h30m"
                )));
            }
        }
        last = Some(index);
        let value = component(int, frac, UNITS[index].1).ok_or_else(too_large(s))?;
        total = total.checked_add(value).ok_or_else(too_large(s))?;
        pos = start + end + unit_len;
    }
    let secs = u64::try_from(total / NANOS_PER_SECOND).map_err(|_| too_large(s)())?;
    // The remainder is below one second, so it fits.
    Ok(Duration::new(secs, (total % NANOS_PER_SECOND) as u32))
}

/// Formats a time value as RouterOS prints it: the non-zero units, largest first (`10s`,
/// `100ms`, `1m30s`, `1w2d`), or `0s`.
pub fn format_duration(d: Duration) -> String {
    let mut left = d.as_nanos();
    if left == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in UNITS {
        let count = left / size;
        if count > 0 {
            // Writing to a String cannot fail.
            let _ = write!(out, "{count}{unit}");
            left %= size;
        }
    }
    out
}

fn digits(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn too_large(s: &str) -> impl Fn() -> String + '_ {
    move || format!("invalid time '{s}': too large")
}

/// `int.frac` units of `size` nanoseconds, fractions of a nanosecond dropped.
fn component(int: &str, frac: &str, size: u128) -> Option<u128> {
    let whole = int.parse::<u128>().ok()?.checked_mul(size)?;
    let frac = &frac[..frac.len().min(MAX_DECIMALS)];
    if frac.is_empty() {
        return Some(whole);
    }
    // frac < 10^9 and size <= one week in nanoseconds: the product fits in a u128.
    let part = frac.parse::<u128>().ok()? * size / 10u128.pow(frac.len() as u32);
    whole.checked_add(part)
}

/// `H:MM:SS[.fraction]`, the whole rest of the value; returns nanoseconds.
fn parse_clock(s: &str) -> Result<u128, String> {
    const FORM: &str = "expected a clock as H:MM:SS";
    let mut parts = s.split(':');
    let (Some(h), Some(m), Some(sec), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("{FORM}, not '{s}'"));
    };
    let (sec, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let two_digits = |p: &str| p.len() == 2 && digits(p) == 2;
    if digits(h) != h.len()
        || !two_digits(m)
        || !two_digits(sec)
        || digits(frac) != frac.len()
        || (s.contains('.') && frac.is_empty())
    {
        return Err(format!("{FORM}, not '{s}'"));
    }
    let (minutes, seconds): (u128, u128) = (
        m.parse().expect("two digits"),
        sec.parse().expect("two digits"),
    );
    if minutes > 59 || seconds > 59 {
        return Err(format!(
            "minutes and seconds of a clock go up to 59, not '{s}'"
        ));
    }
    let hours = component(h, "", UNITS[2].1).ok_or("too large")?;
    let rest = component(m, "", UNITS[3].1).ok_or("too large")?
        + component(sec, frac, UNITS[SECOND].1).ok_or("too large")?;
    hours
        .checked_add(rest)
        .ok_or_else(|| "too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn routeros_spellings() {
        for (text, want) in [
            ("10s", secs(10)),
            ("100ms", ms(100)),
            ("1m", secs(60)),
            ("1m30s", secs(90)),
            ("90s", secs(90)),
            ("1h", secs(3600)),
            ("1h30m", secs(5400)),
            ("1d", secs(86_400)),
            (
                "1w2d3h4m5s",
                secs(7 * 86_400 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5),
            ),
            ("1s500ms", ms(1500)),
            ("250us", Duration::from_micros(250)),
            ("1ms457us", Duration::from_micros(1457)),
            ("7ns", Duration::from_nanos(7)),
            ("10", secs(10)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            (" 10s ", secs(10)),
            ("1.5s", ms(1500)),
            ("0.1", ms(100)),
            ("0.5m", secs(30)),
            ("00:00:10", secs(10)),
            ("00:01:30", secs(90)),
            ("1:00:00", secs(3600)),
            ("100:00:00", secs(360_000)),
            ("00:00:01.25", ms(1250)),
            ("1d00:00:10", secs(86_410)),
            ("1w2d03:04:05", secs(9 * 86_400 + 3 * 3600 + 4 * 60 + 5)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn bad_times_say_why() {
        for (text, says) in [
            ("", "time is empty"),
            ("  ", "time is empty"),
            ("s", "expected a number at 's'"),
            ("-1s", "cannot be negative"),
            ("10x", "unknown unit 'x'"),
            ("10S", "unknown unit 'S'"),
            ("10 s", "'10' has no unit"),
            ("1m30", "'30' has no unit"),
            ("30s1m", "unit 'm' is out of place"),
            ("1s1s", "unit 's' is out of place"),
            ("1.s", "expected digits after '.'"),
            ("1h00:00:10", "may only follow weeks and days"),
            ("01:30", "expected a clock as H:MM:SS"),
            ("0:1:30", "expected a clock"),
            ("00:00:10s", "expected a clock"),
            ("00:00:10.", "expected a clock"),
            ("00:61:00", "go up to 59"),
            ("1.2.3s", "'1.2' has no unit"),
            ("99999999999999999999999999999999999999999w", "too large"),
            ("40000000000000w", "too large"),
        ] {
            let e = parse_duration(text).expect_err(text);
            assert!(e.contains(says), "{text:?}: {e}");
            if !text.trim().is_empty() {
                assert!(e.starts_with(&format!("invalid time '{text}'")), "{e}");
            }
        }
    }

    #[test]
    fn printed_as_routeros_prints() {
        for (d, want) in [
            (Duration::ZERO, "0s"),
            (secs(10), "10s"),
            (ms(100), "100ms"),
            (secs(90), "1m30s"),
            (secs(60), "1m"),
            (secs(3600), "1h"),
            (secs(3661), "1h1m1s"),
            (secs(86_400 * 9), "1w2d"),
            (ms(1500), "1s500ms"),
            (Duration::from_micros(1457), "1ms457us"),
            (Duration::new(1, 5), "1s5ns"),
        ] {
            assert_eq!(format_duration(d), want, "{d:?}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(nanos in 0u64..u64::MAX, secs in 0u64..10_000_000_000) {
            let d = Duration::new(secs, (nanos % 1_000_000_000) as u32);
            prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }

        #[test]
        fn parse_never_panics(s in "[0-9a-z:. -]{0,16}") {
            let _ = parse_duration(&s);
        }
    }
}
