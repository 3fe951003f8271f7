//! `$.` paths: parsed once at compile time into direct field lookups, or into a
//! JSONPath query (jsonpath-rust) when a simple path cannot express them.

use std::fmt;

use jsonpath_rust::parser::model::{
    Comparable, Filter, FilterAtom, FnArg, JpQuery, Segment as JpSegment, Selector, Test,
    TestFunction,
};

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
        query: std::sync::Arc<JpQuery>,
    },
    /// `@.a.b`: keys and indexes into the current element of an `each`.
    Element(Vec<Segment>),
}

/// Whether a mapping string is a path rather than a literal.
pub fn is_path(s: &str) -> bool {
    s == "$" || s.starts_with("$.") || s.starts_with("$[")
}

/// Whether a string is a path into the current element of an `each` (`@`, `@.a`,
/// `@[0]`); such strings are paths only inside an `each`'s `map` and `where`.
pub fn is_element_path(s: &str) -> bool {
    s == "@" || s.starts_with("@.") || s.starts_with("@[")
}

/// A path that is neither a simple path nor a valid JSONPath, or one whose cost would
/// grow faster than the event it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub message: String,
    /// The path is valid JSONPath but breaks the path-cost rules ([`check_cost`]).
    pub too_costly: bool,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `text` (which must satisfy [`is_path`]).
pub fn parse(text: &str) -> Result<SourcePath, PathError> {
    if let Some(rest) = text.strip_prefix('@') {
        let dollar = format!("${rest}");
        // Errors quote the path as written.
        let (segments, complete) = parse_simple(&dollar).map_err(|e| PathError {
            message: e.message.replace(&dollar, text),
            ..e
        })?;
        if !complete {
            return Err(PathError {
                message: format!(
                    "`{text}`: a path into the element (`@`) takes keys and indexes only"
                ),
                too_costly: false,
            });
        }
        return Ok(SourcePath::Element(segments));
    }
    let (prefix, complete) = parse_simple(text)?;
    if complete {
        return Ok(SourcePath::Simple(prefix));
    }
    // The JSONPath parser backtracks on nested groups: its time grows exponentially
    // with their depth. Paths nested deeper than any real query are refused first.
    if let Some(depth) = nesting_beyond(text, MAX_QUERY_NESTING) {
        return Err(PathError {
            message: format!(
                "`{text}` nests brackets and parentheses {depth} deep; a path may nest them {MAX_QUERY_NESTING} deep at most"
            ),
            too_costly: true,
        });
    }
    let query = jsonpath_rust::parser::parse_json_path(text).map_err(|e| PathError {
        message: format!("invalid JSONPath `{text}`: {e}"),
        too_costly: false,
    })?;
    check_cost(&query).map_err(|rule| PathError {
        message: format!("`{text}` {rule}"),
        too_costly: true,
    })?;
    Ok(SourcePath::Query {
        text: text.to_owned(),
        prefix,
        query: std::sync::Arc::new(query),
    })
}

/// How deep brackets and parentheses may nest in a JSONPath query.
pub const MAX_QUERY_NESTING: usize = 8;

/// The nesting depth of `(` and `[` outside quoted names, when it exceeds `limit`.
fn nesting_beyond(text: &str, limit: usize) -> Option<usize> {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    (max > limit).then_some(max)
}

/// The path-cost rules. A query is evaluated on every event, and these shapes make
/// its time or its result grow faster than the event (the README's "Limits"):
///
/// - at most one descendant segment (`..`) in the whole path, filters included:
///   `$..a..b` and `$..[?@..x]` visit every node once per node above it;
/// - no wildcard right after `..` (`$..*`, `$..[*]`): it copies every value of the
///   event once per level above it, and `$` (the whole event) or `unmapped_rest` say
///   what is meant;
/// - a query from the root (`$`) inside a filter must be a singular path (`$.a.b`,
///   `$.list[0]`): anything else runs over the event once per candidate.
///
/// Returns the rule broken, phrased to follow the path in a message.
pub fn check_cost(query: &JpQuery) -> Result<(), &'static str> {
    let mut cost = Cost::default();
    cost.segments(&query.segments);
    if cost.descendants > 1 {
        Err("has more than one descendant segment (`..`); at most one is allowed")
    } else if cost.wildcard_after_descendant {
        Err(
            "selects every value of the event (a wildcard after `..`): write `$` for the whole event, or name the key after `..`",
        )
    } else if cost.root_query_in_filter {
        Err(
            "has a query from the root (`$`) inside a filter that is not a plain path; there it must name one value (`$.a.b`, `$.list[0]`)",
        )
    } else {
        Ok(())
    }
}

/// What a query does that the path-cost rules look at, anywhere in it (filters included).
#[derive(Default)]
struct Cost {
    descendants: usize,
    wildcard_after_descendant: bool,
    root_query_in_filter: bool,
}

impl Cost {
    fn segments(&mut self, segments: &[JpSegment]) {
        for segment in segments {
            match segment {
                JpSegment::Descendant(inner) => {
                    self.descendants += 1;
                    self.wildcard_after_descendant |= match &**inner {
                        JpSegment::Selector(s) => matches!(s, Selector::Wildcard),
                        JpSegment::Selectors(s) => {
                            s.iter().any(|s| matches!(s, Selector::Wildcard))
                        }
                        JpSegment::Descendant(_) => false,
                    };
                    self.segments(std::slice::from_ref(&**inner));
                }
                JpSegment::Selector(s) => self.selector(s),
                JpSegment::Selectors(list) => list.iter().for_each(|s| self.selector(s)),
            }
        }
    }

    fn selector(&mut self, selector: &Selector) {
        if let Selector::Filter(filter) = selector {
            self.filter(filter);
        }
    }

    fn filter(&mut self, filter: &Filter) {
        match filter {
            Filter::Or(items) | Filter::And(items) => items.iter().for_each(|f| self.filter(f)),
            Filter::Atom(FilterAtom::Filter { expr, .. }) => self.filter(expr),
            Filter::Atom(FilterAtom::Test { expr, .. }) => self.test(expr),
            Filter::Atom(FilterAtom::Comparison(cmp)) => {
                let (left, right) = cmp.vals();
                for side in [left, right] {
                    if let Comparable::Function(f) = side {
                        self.function(f);
                    }
                }
            }
        }
    }

    fn test(&mut self, test: &Test) {
        match test {
            Test::RelQuery(segments) => self.segments(segments),
            Test::AbsQuery(query) => {
                // Run once per candidate of the filter: it must not depend on the
                // event's size.
                let singular = query.segments.iter().all(|s| {
                    matches!(
                        s,
                        JpSegment::Selector(Selector::Name(_) | Selector::Index(_))
                    )
                });
                self.root_query_in_filter |= !singular;
                self.segments(&query.segments);
            }
            Test::Function(f) => self.function(f),
        }
    }

    fn function(&mut self, function: &TestFunction) {
        let args: Vec<&FnArg> = match function {
            TestFunction::Custom(_, args) => args.iter().collect(),
            TestFunction::Length(a) => vec![&**a],
            TestFunction::Value(a) | TestFunction::Count(a) => vec![a],
            TestFunction::Search(a, b) | TestFunction::Match(a, b) => vec![a, b],
        };
        for arg in args {
            match arg {
                FnArg::Test(t) => self.test(t),
                FnArg::Filter(f) => self.filter(f),
                FnArg::Literal(_) => {}
            }
        }
    }
}

/// Reads simple segments for as long as it can. Returns them and whether the whole
/// path was simple. Errors only on malformed simple syntax (an unclosed quote).
fn parse_simple(text: &str) -> Result<(Vec<Segment>, bool), PathError> {
    let err = |m: &str| PathError {
        message: format!("invalid path `{text}`: {m}"),
        too_costly: false,
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
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    #[test]
    fn element_paths_are_plain_paths_into_the_element() {
        assert!(
            matches!(parse("@.a[2].b").unwrap(), SourcePath::Element(s) if s == vec![key("a"), Segment::Index(2), key("b")])
        );
        assert!(matches!(parse("@").unwrap(), SourcePath::Element(s) if s.is_empty()));
        let err = parse("@.a[*]").unwrap_err();
        assert!(err.message.contains("keys and indexes only"), "{err}");
        assert!(is_element_path("@.x") && is_element_path("@") && !is_element_path("@x"));
        assert!(!is_path("@.x"), "an element path is no event path");
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn queries_nested_deeper_than_the_limit_are_refused_before_parsing() {
        let deep = format!("$.a[?{}@.b == 1{}]", "(".repeat(8), ")".repeat(8));
        let Err(e) = parse(&deep) else {
            panic!("a path nested 9 deep parses")
        };
        assert!(e.too_costly && e.message.contains("9 deep"), "{e}");
        let ok = format!("$.a[?{}@.b == 1{}]", "(".repeat(7), ")".repeat(7));
        assert!(parse(&ok).is_ok());
        // Brackets inside quoted names do not count.
        assert!(parse("$.a[?@['((((((((((' ] == 1]").is_ok());
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
                other => panic!("{text} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn costly_queries_are_refused_and_say_why() {
        for (text, why) in [
            ("$..*..*", "more than one descendant"),
            ("$..a..b", "more than one descendant"),
            ("$..a[?@..b]", "more than one descendant"),
            ("$.a[?count(@..x) > 1]..y", "more than one descendant"),
            ("$..*", "wildcard after `..`"),
            ("$.a..[*]", "wildcard after `..`"),
            ("$..['a',*]", "wildcard after `..`"),
            ("$.a[?$.b[*]]", "query from the root"),
            ("$.a[?$..b]", "query from the root"),
            ("$.a[?$.b[?@.c]]", "query from the root"),
            ("$.a[?length($.b.*) > 0]", "query from the root"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.too_costly, "{text}");
            assert!(
                err.message.contains(text) && err.message.contains(why),
                "{text}: {err}"
            );
        }
        for text in [
            "$..name",
            "$.a..b",
            "$..[0]",
            "$..a[*].b",
            "$.events[*].name",
            "$.a[?@.x == $.b.c]",
            "$.a[?@..x]",
            "$.*.*.*",
        ] {
            assert!(parse(text).is_ok(), "{text}");
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
