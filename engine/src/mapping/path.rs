//! `$.` paths: parsed once at compile time into direct field lookups, or into a
//! JSONPath query (jsonpath-rust) when a simple path cannot express them.

use std::fmt;

/// One step of a simple path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed `$.` path.
#[derive(Debug, Clone)]
pub enum SourcePath {
    /// Keys and indexes only: evaluated by direct lookup.
    Simple(Vec<Segment>),
    /// Anything else (wildcards, filters, slices, recursive descent). `prefix` is the
    /// longest simple path the query starts with: the part of the event it reads.
    Query {
        text: String,
        prefix: Vec<Segment>,
        query: std::sync::Arc<jsonpath_rust::parser::model::JpQuery>,
    },
}

/// Whether a mapping string is a path rather than a literal.
pub fn is_path(s: &str) -> bool {
    s == "$" || s.starts_with("$.") || s.starts_with("$[")
}

/// A path that is neither a simple path nor a valid JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub message: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `text` (which must satisfy [`is_path`]).
pub fn parse(text: &str) -> Result<SourcePath, PathError> {
    let (prefix, complete) = parse_simple(text)?;
    if complete {
        return Ok(SourcePath::Simple(prefix));
    }
    let query = jsonpath_rust::parser::parse_json_path(text).map_err(|e| PathError {
        message: format!("invalid JSONPath `{text}`: {e}"),
    })?;
    Ok(SourcePath::Query {
        text: text.to_owned(),
        prefix,
        query: std::sync::Arc::new(query),
    })
}

/// Reads simple segments for as long as it can. Returns them and whether the whole
/// path was simple. Errors only on malformed simple syntax (an unclosed quote).
fn parse_simple(text: &str) -> Result<(Vec<Segment>, bool), PathError> {
    let err = |m: &str| PathError {
        message: format!("invalid path `{text}`: {m}"),
    };
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut i = 1; // after '$'
    while i < bytes.len() {
        match bytes[i] {
            b'.' => {
                if bytes.get(i + 1) == Some(&b'.') {
                    return Ok((segments, false));
                }
                let start = i + 1;
                let end = text[start..]
                    .find(['.', '['])
                    .map_or(text.len(), |n| start + n);
                let key = &text[start..end];
                if key.is_empty() {
                    return Err(err("empty key after `.`"));
                }
                if key == "*" {
                    return Ok((segments, false));
                }
                segments.push(Segment::Key(key.to_owned()));
                i = end;
            }
            b'[' => {
                let rest = &text[i + 1..];
                if let Some(quote @ (b'\'' | b'"')) = rest.bytes().next() {
                    let mut key = String::new();
                    let mut chars = rest[1..].char_indices();
                    let mut closed = None;
                    while let Some((j, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some((_, e)) => key.push(e),
                                None => break,
                            },
                            c if c as u32 == u32::from(quote) => {
                                closed = Some(j);
                                break;
                            }
                            c => key.push(c),
                        }
                    }
                    let Some(j) = closed else {
                        return Err(err("unclosed quote"));
                    };
                    let after = i + 1 + 1 + j + 1;
                    if bytes.get(after) != Some(&b']') {
                        // `['a','b']` (a union) or worse: leave it to the JSONPath parser.
                        return Ok((segments, false));
                    }
                    segments.push(Segment::Key(key));
                    i = after + 1;
                } else {
                    let Some(close) = rest.find(']') else {
                        return Err(err("unclosed `[`"));
                    };
                    match rest[..close].trim().parse::<usize>() {
                        Ok(n) => segments.push(Segment::Index(n)),
                        Err(_) => return Ok((segments, false)),
                    }
                    i += 1 + close + 1;
                }
            }
            _ => return Err(err("expected `.` or `[` after a segment")),
        }
    }
    Ok((segments, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(text: &str) -> Vec<Segment> {
        match parse(text).unwrap() {
            SourcePath::Simple(s) => s,
            SourcePath::Query { .. } => panic!("{text} parsed as a query"),
        }
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn dotted_keys_indexes_and_quoted_keys_are_simple() {
        assert_eq!(simple("$"), vec![]);
        assert_eq!(simple("$.a.b"), vec![key("a"), key("b")]);
        assert_eq!(
            simple("$.events[0].name"),
            vec![key("events"), Segment::Index(0), key("name")]
        );
        assert_eq!(simple("$['id.time']"), vec![key("id.time")]);
        assert_eq!(simple("$[\"src ip\"].v"), vec![key("src ip"), key("v")]);
        assert_eq!(simple("$.a['it\\'s']"), vec![key("a"), key("it's")]);
        assert_eq!(simple("$.user name"), vec![key("user name")]);
    }

    #[test]
    fn wildcards_filters_and_descent_become_queries_with_their_simple_prefix() {
        for (text, prefix) in [
            ("$.events[*].name", vec![key("events")]),
            ("$.a.b[?(@.x == 1)]", vec![key("a"), key("b")]),
            ("$..name", vec![]),
            ("$.a.*", vec![key("a")]),
            ("$.a[0:2]", vec![key("a")]),
        ] {
            match parse(text).unwrap() {
                SourcePath::Query { prefix: p, .. } => assert_eq!(p, prefix, "{text}"),
                SourcePath::Simple(_) => panic!("{text} parsed as simple"),
            }
        }
    }

    #[test]
    fn malformed_paths_are_errors_that_quote_the_path() {
        for text in ["$.a..", "$.a[?(", "$['a", "$.a.", "$.a[0"] {
            let err = parse(text).unwrap_err();
            assert!(err.message.contains(text), "{text}: {err}");
        }
    }
}
