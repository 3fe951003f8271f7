//! Diagnostics as plain data: a stable code, a severity, a message, where (a JSON
//! pointer into the mapping file) and a help line. Rendering happens at the edge.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// Stable diagnostic codes. Never reuse a retired code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// `schema` / `class_uid` names no class of the OCSF version.
    UnknownClass,
    /// `ocsf_version` is not a version this build carries.
    UnknownVersion,
    /// A `$.` path that does not parse.
    PathSyntax,
    /// A target attribute that the class or object does not have.
    UnknownAttribute,
    /// A literal that cannot be coerced to the attribute's type.
    LiteralType,
    /// An expression object (`enum`, `coalesce`, ...) that is malformed.
    BadExpression,
    /// A mapping value of a shape the attribute cannot take (an object for a string).
    ShapeMismatch,
    /// A route reference (`default_route`) that names no route.
    UnknownRoute,
    /// A time format that does not parse.
    TimeFormat,
    /// `ocsf_mapping` has several routes but no `matched_field`.
    MissingMatchedField,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnknownClass => "OM001",
            Code::UnknownVersion => "OM002",
            Code::PathSyntax => "OM003",
            Code::UnknownAttribute => "OM004",
            Code::LiteralType => "OM005",
            Code::BadExpression => "OM006",
            Code::ShapeMismatch => "OM007",
            Code::UnknownRoute => "OM008",
            Code::TimeFormat => "OM009",
            Code::MissingMatchedField => "OM010",
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

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
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

/// Edit distance, for "did you mean" suggestions.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance.
pub fn did_you_mean<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (word.len().max(c.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}
