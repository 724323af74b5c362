//! Finds where a key sits in the YAML text, for problems found after deserialization
//! (dangling interface references, duplicates) that serde cannot place.
//!
//! This is a line scanner, not a YAML parser: it understands the layouts people write for
//! this file (a top-level key, a block sequence of items, each item a block mapping or a flow
//! mapping) and degrades to the nearest enclosing position it did find. An approximate line
//! is still far better for the operator than none.

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where `property` of item `index` of top-level `section` is written.
///
/// Falls back to the item, then to the section key, when the more precise part is not found
/// (a property left to its default, an alias, a flow sequence). `None` only if the section
/// key itself is not in the text.
pub fn locate(
    text: &str,
    section: &str,
    index: Option<usize>,
    property: Option<&str>,
) -> Option<Position> {
    let lines: Vec<&str> = text.lines().collect();

    let section_line = lines
        .iter()
        .position(|l| indent(l) == 0 && key_at(l, 0, section).is_some())?;
    let mut best = Position {
        line: section_line + 1,
        column: 1,
    };

    // The section body runs to the next top-level entry; a block sequence may sit at
    // column 0 under its key, so a leading dash does not end it.
    let body_end = (section_line + 1..lines.len())
        .find(|&n| {
            let l = lines[n];
            !is_blank(l) && indent(l) == 0 && !is_dash(l.trim_start())
                || l.starts_with("---")
                || l.starts_with("...")
        })
        .unwrap_or(lines.len());
    let body = section_line + 1..body_end;

    let (start, end) = match index {
        None => (body.start, body.end),
        Some(index) => {
            let seq_indent = match body
                .clone()
                .find(|&n| !is_blank(lines[n]) && is_dash(lines[n].trim_start()))
            {
                Some(n) => indent(lines[n]),
                None => return Some(best),
            };
            let items: Vec<usize> = body
                .clone()
                .filter(|&n| indent(lines[n]) == seq_indent && is_dash(lines[n].trim_start()))
                .collect();
            let Some(&start) = items.get(index) else {
                return Some(best);
            };
            let end = items.get(index + 1).copied().unwrap_or(body.end);
            // The item's own position is where its mapping starts: after "- ", or on the
            // next line for a dash alone on its line.
            let after_dash = lines[start].chars().count() - dash_rest(lines[start]).chars().count();
            best = if dash_rest(lines[start]).trim().is_empty()
                || is_comment(dash_rest(lines[start]))
            {
                match (start + 1..end).find(|&n| !is_blank(lines[n])) {
                    Some(n) => Position {
                        line: n + 1,
                        column: indent(lines[n]) + 1,
                    },
                    None => Position {
                        line: start + 1,
                        column: indent(lines[start]) + 1,
                    },
                }
            } else {
                Position {
                    line: start + 1,
                    column: after_dash + 1,
                }
            };
            (start, end)
        }
    };

    if let Some(property) = property {
        let found = (start..end).find_map(|n| find_key(lines[n], property).map(|col| (n, col)));
        if let Some((n, col)) = found {
            return Some(Position {
                line: n + 1,
                column: col + 1,
            });
        }
    }
    Some(best)
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|&c| c == ' ').count()
}

fn is_comment(s: &str) -> bool {
    s.trim_start().starts_with('#')
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty() || is_comment(line)
}

/// A sequence entry: a dash followed by a space or the end of the line.
fn is_dash(trimmed: &str) -> bool {
    trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\t")
}

/// What follows the dash of a sequence entry, leading spaces removed.
fn dash_rest(line: &str) -> &str {
    line.trim_start()[1..].trim_start()
}

/// Whether `key` followed by a colon starts at character `at` of `line` (bare or quoted).
/// Returns the character index just after the key.
fn key_at(line: &str, at: usize, key: &str) -> Option<usize> {
    let rest: String = line.chars().skip(at).collect();
    let after = [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .into_iter()
        .find_map(|form| {
            rest.strip_prefix(form.as_str())
                .map(|r| (form.chars().count(), r.to_string()))
        })?;
    let (len, r) = after;
    let r = r.trim_start_matches([' ', '\t']);
    let colon_ok = r
        .strip_prefix(':')
        .map(|t| t.is_empty() || t.starts_with([' ', '\t', ',', '}']))
        .unwrap_or(false);
    colon_ok.then_some(at + len)
}

/// The character column where `key:` appears as a mapping key in `line`, skipping quoted
/// strings and comments so that a value such as `comment: "interface: x"` is not taken for
/// the key, and requiring a boundary before it so that `address` does not match inside
/// `mac-address`.
fn find_key(line: &str, key: &str) -> Option<usize> {
    let chars: Vec<char> = line.chars().collect();
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, &c) in chars.iter().enumerate() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '#' && prev.is_whitespace() {
                    return None;
                }
                let boundary = i == 0 || matches!(prev, ' ' | '\t' | '{' | ',');
                if boundary && key_at(line, i, key).is_some() {
                    return Some(i);
                }
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
        prev = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    const BLOCK: &str = "\
dpdk:
  workers: 2
/interface/ethernet:
  - name: ether1
    device: 0000:03:00.0
    mac-address: 02:00:00:00:00:01

  # the WAN side
  - name: ether2
    device: 0000:03:00.1
/ip/address:
  - address: 203.0.113.2/24
    interface: ether9
";

    #[test]
    fn block_items() {
        assert_eq!(
            locate(BLOCK, "/interface/ethernet", Some(0), Some("name")),
            at(4, 5)
        );
        assert_eq!(
            locate(BLOCK, "/interface/ethernet", Some(1), Some("device")),
            at(10, 5)
        );
        assert_eq!(
            locate(BLOCK, "/ip/address", Some(0), Some("interface")),
            at(13, 5)
        );
        // `address` must not match inside `mac-address`.
        assert_eq!(
            locate(BLOCK, "/interface/ethernet", Some(0), Some("address")),
            at(4, 5)
        );
        assert_eq!(locate(BLOCK, "dpdk", None, Some("workers")), at(2, 3));
    }

    #[test]
    fn falls_back_to_item_then_section() {
        assert_eq!(
            locate(BLOCK, "/interface/ethernet", Some(1), Some("mtu")),
            at(9, 5)
        );
        assert_eq!(
            locate(BLOCK, "/interface/ethernet", Some(5), Some("name")),
            at(3, 1)
        );
        assert_eq!(locate(BLOCK, "/ip/route", Some(0), None), None);
    }

    #[test]
    fn flow_items() {
        let text = "\
/ip/route:
  - { dst-address: 0.0.0.0/0, gateway: 203.0.113.1 }
  - { comment: \"gateway: here\", gateway: ether9 }
  - { dst-address: 10.0.0.0/8,
      gateway: \"a,b\" }
";
        assert_eq!(
            locate(text, "/ip/route", Some(0), Some("gateway")),
            at(2, 31)
        );
        assert_eq!(
            locate(text, "/ip/route", Some(1), Some("gateway")),
            at(3, 33)
        );
        assert_eq!(
            locate(text, "/ip/route", Some(2), Some("gateway")),
            at(5, 7)
        );
        // A property left out: the item itself.
        assert_eq!(
            locate(text, "/ip/route", Some(1), Some("distance")),
            at(3, 5)
        );
    }

    #[test]
    fn other_layouts() {
        // Sequence at column 0, quoted keys, a dash alone on its line, comments.
        let text = "\
\"/ip/arp\":   # static entries
- address: 203.0.113.1   # interface: not this one
  'interface': ether1
-
  address: 198.51.100.1
/ip/route: [{ gateway: x }]
";
        assert_eq!(
            locate(text, "/ip/arp", Some(0), Some("interface")),
            at(3, 3)
        );
        assert_eq!(
            locate(text, "/ip/arp", Some(1), Some("interface")),
            at(5, 3)
        );
        assert_eq!(locate(text, "/ip/arp", Some(1), None), at(5, 3));
        assert_eq!(
            locate(text, "/ip/route", Some(0), Some("gateway")),
            at(6, 1)
        );
    }
}
