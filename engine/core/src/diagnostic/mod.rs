//! Diagnostics as plain data: a stable code, a severity, a message, where (a JSON
//! pointer into the mapping file) and a help line. Rendering happens at the edge.
//!
//! Every code is declared once, in [`registry`]: mapping problems (`OM0xx`, found by
//! compiling and validating a mapping) and the reasons a record is set aside at run
//! time (`OM1xx`, carried by [`Rejection`]).

use std::fmt;

pub mod docs;
mod registry;
mod rejection;

pub use registry::{Code, Info, Place, Stage};
pub use rejection::Rejection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// JSON pointer to the offending key or value in the mapping file.
    pub pointer: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at the code's default severity.
    pub fn new(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            pointer: pointer.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let level = self.severity.as_str();
        write!(
            f,
            "{level}[{}] {}: {}",
            self.code.as_str(),
            self.pointer,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Edit distance with adjacent transpositions (optimal string alignment), for
/// "did you mean" suggestions: `prot` is one edit from `port`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (word.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_allow_typos_and_transpositions_but_not_unrelated_words() {
        let names = ["port", "ip", "hostname", "network_activity"];
        assert_eq!(did_you_mean("prot", names.into_iter()), Some("port"));
        assert_eq!(did_you_mean("hostnme", names.into_iter()), Some("hostname"));
        assert_eq!(
            did_you_mean("network_activty", names.into_iter()),
            Some("network_activity")
        );
        assert_eq!(did_you_mean("severity", names.into_iter()), None);
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    }
}
