//! The error every configuration problem is reported as.

use std::fmt;

/// A configuration problem, located in the file as precisely as we could.
///
/// Displays as `FILE:LINE:COL: PATH: message`, for example
/// `lab.yaml:14:5: /ip/address[1].interface: no interface named 'ether9' in /interface/ethernet`.
/// Parts that are unknown (the position of an I/O error, the path of a YAML syntax error) are
/// left out rather than printed empty, so the text stays pasteable into an editor's "go to".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    source_name: String,
    line: Option<usize>,
    column: Option<usize>,
    path: String,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(
        source_name: &str,
        line: Option<usize>,
        column: Option<usize>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            source_name: source_name.to_string(),
            line,
            column: line.and(column),
            path: path.into(),
            message: message.into(),
        }
    }

    /// The file name (or other source name) given to the parser.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// 1-based line of the offending key or value, if known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// 1-based column (in characters) of the offending key or value, if known.
    pub fn column(&self) -> Option<usize> {
        self.column
    }

    /// The key in RouterOS terms: `/ip/route[2].gateway`, `dpdk.workers`; empty when the
    /// problem is with the file as a whole (syntax errors, I/O).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong, without file, position or path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source_name)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leaves_out_unknown_parts() {
        let e = ConfigError::new(
            "lab.yaml",
            Some(14),
            Some(5),
            "/ip/address[1].interface",
            "no interface named 'ether9' in /interface/ethernet",
        );
        assert_eq!(
            e.to_string(),
            "lab.yaml:14:5: /ip/address[1].interface: no interface named 'ether9' in /interface/ethernet"
        );
        let e = ConfigError::new("lab.yaml", Some(3), None, "", "bad");
        assert_eq!(e.to_string(), "lab.yaml:3: bad");
        let e = ConfigError::new("lab.yaml", None, Some(7), "", "cannot read");
        assert_eq!(e.to_string(), "lab.yaml: cannot read");
        assert_eq!(e.column(), None);
    }
}
