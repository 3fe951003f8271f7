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
    /// The file cannot be read as JSON or YAML, or does not fit the mapping model.
    Syntax,
    /// A key written twice in one object.
    DuplicateKey,
    /// An enum id that the attribute's enum does not list.
    EnumValue,
    /// A number outside the range of the attribute's type.
    OutOfRange,
    /// Values that contradict each other or the class (class_uid, type_uid, captions).
    Contradiction,
    /// A required attribute that the route does not produce.
    MissingRequired,
    /// A recommended attribute that the route does not produce.
    MissingRecommended,
    /// `metadata.profiles` is not a list of profile names.
    ProfilesNotList,
    /// A profile the OCSF version or the class does not have.
    UnknownProfile,
    /// An attribute of a profile that `metadata.profiles` does not declare.
    ProfileNotDeclared,
    /// A deprecated class or attribute.
    Deprecated,
    /// `metadata.version` that is not the OCSF version the mapping produces.
    VersionMismatch,
    /// A route that no event can take.
    UnreachableRoute,
    /// An object constraint (`at_least_one`, `just_one`) that the mapping cannot meet.
    Constraint,
    /// The file does not fit the JSON Schema of the mapping language.
    SchemaViolation,
    /// An `input` block that cannot describe the records (a two-character separator,
    /// a field named twice, wrapper keys for delimited text).
    InputFormat,
    /// The mapping is past one of the documented limits (file size, number of routes,
    /// nesting depth): see the README's "Limits".
    Limit,
    /// A `$.` path whose cost grows faster than the event it reads (two `..` segments,
    /// a wildcard right after `..`, a non-singular root query inside a filter).
    PathCost,
    /// A source name or partition value (region, account id) that Amazon Security Lake
    /// does not accept.
    SecurityLakeName,
}

impl Code {
    /// Whether the diagnostic is about a value (and is shown at the value, not its key).
    pub fn points_at_value(self) -> bool {
        matches!(
            self,
            Code::LiteralType
                | Code::EnumValue
                | Code::OutOfRange
                | Code::VersionMismatch
                | Code::ProfilesNotList
                | Code::UnknownProfile
                | Code::PathSyntax
                | Code::Contradiction
                | Code::TimeFormat
                | Code::UnknownClass
                | Code::PathCost
                | Code::SecurityLakeName
        )
    }

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
            Code::Syntax => "OM011",
            Code::DuplicateKey => "OM012",
            Code::EnumValue => "OM013",
            Code::OutOfRange => "OM014",
            Code::Contradiction => "OM015",
            Code::MissingRequired => "OM016",
            Code::MissingRecommended => "OM017",
            Code::ProfilesNotList => "OM018",
            Code::UnknownProfile => "OM019",
            Code::ProfileNotDeclared => "OM020",
            Code::Deprecated => "OM021",
            Code::VersionMismatch => "OM022",
            Code::UnreachableRoute => "OM023",
            Code::Constraint => "OM024",
            Code::SchemaViolation => "OM025",
            Code::InputFormat => "OM026",
            Code::Limit => "OM027",
            Code::PathCost => "OM028",
            Code::SecurityLakeName => "OM029",
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
