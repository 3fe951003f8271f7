//! Conditions and pattern tables, compiled: regular expressions built once (linear
//! time, size-limited), networks parsed once, and the tests a value's key goes
//! through on the hot path.

use std::net::IpAddr;

use regex::Regex;

use super::{Expr, FastMap, PathRef};
use crate::mapping::condition::Comparison;

/// The largest compiled program a regular expression of a mapping may take: a larger
/// one is refused when the mapping is compiled, never built per event.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Builds a regular expression of a mapping (the `regex` crate: linear time in the
/// input, whatever the pattern).
pub fn regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "the regular expression `{pattern}` compiles to more than {limit} bytes; simplify it"
            ),
            other => format!("`{pattern}` is not a valid regular expression: {other}"),
        })
}

/// A network (`10.0.0.0/8`, `2001:db8::/32`) or one address (taken as `/32` or `/128`).
pub fn network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<ipnet::IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<IpAddr>().map(ipnet::IpNet::from).map_err(|_| {
        format!("`{text}` is not a network in CIDR notation (`10.0.0.0/8`) or an IP address")
    })
}

/// A numeric range key of an enum table: `A..B`, `A..` or `..B`, bounds included.
pub fn range(text: &str) -> Result<(Option<f64>, Option<f64>), String> {
    let bad =
        || format!("`{text}` is not a range: write `10..20`, `100..` or `..9` (bounds included)");
    let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
    let bound = |s: &str| -> Result<Option<f64>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(bad)
    };
    let (lo, hi) = (bound(lo)?, bound(hi)?);
    if lo.is_none() && hi.is_none() {
        return Err(bad());
    }
    if let (Some(l), Some(h)) = (lo, hi)
        && l > h
    {
        return Err(format!(
            "`{text}` is an empty range: its lower bound is above its upper bound"
        ));
    }
    Ok((lo, hi))
}

/// A compiled condition.
#[derive(Debug)]
pub(super) enum Cond {
    Test {
        path: PathRef,
        test: CondTest,
    },
    /// The values at two paths are equal (as strings), both present.
    Same {
        path: PathRef,
        other: PathRef,
    },
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

/// A compiled test of a value's key (the string the value compares as).
#[derive(Debug)]
pub(super) enum CondTest {
    Equals(Box<str>),
    In(Vec<Box<str>>),
    Exists(bool),
    Prefix(Box<str>),
    Suffix(Box<str>),
    Contains(Box<str>),
    Matches(Regex),
    Cidr(Vec<ipnet::IpNet>),
    Compare(Comparison, f64),
}

impl CondTest {
    /// Whether the test holds for a value whose key is `key` (`None`: absent or null).
    pub(super) fn holds(&self, key: Option<&str>) -> bool {
        let Some(k) = key else {
            return matches!(self, CondTest::Exists(false));
        };
        match self {
            CondTest::Exists(want) => *want,
            CondTest::Equals(v) => **v == *k,
            CondTest::In(vs) => vs.iter().any(|v| **v == *k),
            CondTest::Prefix(v) => k.starts_with(&**v),
            CondTest::Suffix(v) => k.ends_with(&**v),
            CondTest::Contains(v) => k.contains(&**v),
            CondTest::Matches(re) => re.is_match(k),
            CondTest::Cidr(nets) => k
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            CondTest::Compare(op, bound) => {
                k.trim().parse::<f64>().is_ok_and(|v| op.holds(v, *bound))
            }
        }
    }
}

/// The values of an enum table, by how its keys match.
#[derive(Debug)]
pub(super) enum Lookup {
    Exact(FastMap<Box<str>, Expr>),
    /// Keys lower-cased, each with its key as written.
    CaseInsensitive(FastMap<Box<str>, (Box<str>, Expr)>),
    /// Tried in file order; the first that matches wins. Each with its key as written.
    Ordered(Vec<(Box<str>, Pattern, Expr)>),
}

#[derive(Debug)]
pub(super) enum Pattern {
    Prefix(Box<str>),
    Suffix(Box<str>),
    Regex(Regex),
    Range(Option<f64>, Option<f64>),
}

impl Pattern {
    fn matches(&self, key: &str) -> bool {
        match self {
            Pattern::Prefix(p) => key.starts_with(&**p),
            Pattern::Suffix(s) => key.ends_with(&**s),
            Pattern::Regex(re) => re.is_match(key),
            Pattern::Range(lo, hi) => key
                .trim()
                .parse::<f64>()
                .is_ok_and(|v| lo.is_none_or(|lo| v >= lo) && hi.is_none_or(|hi| v <= hi)),
        }
    }
}

impl Lookup {
    pub(super) fn get(&self, key: &str) -> Option<&Expr> {
        match self {
            Lookup::Exact(map) => map.get(key),
            Lookup::CaseInsensitive(map) => {
                let found = if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
                    map.get(key.to_lowercase().as_str())
                } else {
                    map.get(key)
                };
                found.map(|(_, e)| e)
            }
            Lookup::Ordered(patterns) => patterns
                .iter()
                .find(|(_, p, _)| p.matches(key))
                .map(|(_, _, e)| e),
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        match self {
            Lookup::Exact(m) => m.len(),
            Lookup::CaseInsensitive(m) => m.len(),
            Lookup::Ordered(p) => p.len(),
        }
    }

    /// Every key as written in the file, with its result.
    pub(super) fn entries(&self) -> Vec<(&str, &Expr)> {
        match self {
            Lookup::Exact(m) => m.iter().map(|(k, e)| (&**k, e)).collect(),
            Lookup::CaseInsensitive(m) => m.values().map(|(k, e)| (&**k, e)).collect(),
            Lookup::Ordered(p) => p.iter().map(|(k, _, e)| (&**k, e)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_hold_on_keys_and_absence_only_satisfies_exists_false() {
        let cases: Vec<(CondTest, &str, bool)> = vec![
            (CondTest::Equals("a".into()), "a", true),
            (CondTest::Equals("a".into()), "ab", false),
            (CondTest::In(vec!["x".into(), "y".into()]), "y", true),
            (CondTest::Prefix("Get".into()), "GetObject", true),
            (CondTest::Prefix("Get".into()), "ListGet", false),
            (CondTest::Suffix("User".into()), "CreateUser", true),
            (CondTest::Contains("Mfa".into()), "CheckMfa", true),
            (
                CondTest::Matches(regex("^(Create|Delete)User$").unwrap()),
                "DeleteUser",
                true,
            ),
            (
                CondTest::Matches(regex("^(Create|Delete)User$").unwrap()),
                "DeleteUsers",
                false,
            ),
            (
                CondTest::Cidr(vec![network("10.0.0.0/8").unwrap()]),
                "10.1.2.3",
                true,
            ),
            (
                CondTest::Cidr(vec![network("10.0.0.0/8").unwrap()]),
                "11.1.2.3",
                false,
            ),
            (
                CondTest::Cidr(vec![network("10.0.0.0/8").unwrap()]),
                "not an ip",
                false,
            ),
            (
                CondTest::Cidr(vec![network("2001:db8::/32").unwrap()]),
                "2001:db8::1",
                true,
            ),
            (CondTest::Compare(Comparison::Gte, 100.0), "100", true),
            (CondTest::Compare(Comparison::Gt, 100.0), "100", false),
            (CondTest::Compare(Comparison::Lt, 1.5), "1.25", true),
            (CondTest::Compare(Comparison::Lte, 1.0), "many", false),
            (CondTest::Exists(true), "", true),
            (CondTest::Exists(false), "x", false),
        ];
        for (test, key, want) in &cases {
            assert_eq!(test.holds(Some(key)), *want, "{test:?} on {key:?}");
        }
        for (test, _, _) in &cases {
            let want = matches!(test, CondTest::Exists(false));
            assert_eq!(test.holds(None), want, "{test:?} on an absent value");
        }
    }

    #[test]
    fn regexes_are_size_limited_and_errors_say_why() {
        assert!(regex("^a+$").is_ok());
        let err = regex("(").unwrap_err();
        assert!(
            err.starts_with("`(` is not a valid regular expression"),
            "{err}"
        );
        let err = regex(r"\w{1000}\w{1000}").unwrap_err();
        assert!(err.contains("compiles to more than"), "{err}");
    }

    #[test]
    fn networks_and_ranges_parse_or_say_what_is_expected() {
        assert!(
            network("10.1.2.3/8")
                .unwrap()
                .contains(&"10.9.9.9".parse::<IpAddr>().unwrap())
        );
        assert!(
            network("192.0.2.7")
                .unwrap()
                .contains(&"192.0.2.7".parse::<IpAddr>().unwrap())
        );
        assert!(network("10.0.0.0/33").is_err());
        assert!(network("ten").unwrap_err().contains("CIDR"));
        assert_eq!(range("10..20").unwrap(), (Some(10.0), Some(20.0)));
        assert_eq!(range("100..").unwrap(), (Some(100.0), None));
        assert_eq!(range("..-1").unwrap(), (None, Some(-1.0)));
        assert!(range("..").is_err());
        assert!(range("10-20").unwrap_err().contains("`10..20`"));
        assert!(range("20..10").unwrap_err().contains("empty range"));
    }

    #[test]
    fn pattern_tables_try_their_keys_in_order() {
        let table = Lookup::Ordered(vec![
            (
                "GetSession".into(),
                Pattern::Prefix("GetSession".into()),
                Expr::Literal("session".into()),
            ),
            (
                "Get".into(),
                Pattern::Prefix("Get".into()),
                Expr::Literal("read".into()),
            ),
            (
                "400..499".into(),
                Pattern::Range(Some(400.0), Some(499.0)),
                Expr::Literal("client".into()),
            ),
            (
                ".gz".into(),
                Pattern::Suffix(".gz".into()),
                Expr::Literal("gzip".into()),
            ),
        ]);
        let got = |k: &str| match table.get(k) {
            Some(Expr::Literal(v)) => v.as_str().map(str::to_owned),
            _ => None,
        };
        assert_eq!(got("GetSessionToken").as_deref(), Some("session"));
        assert_eq!(got("GetObject").as_deref(), Some("read"));
        assert_eq!(got("404").as_deref(), Some("client"));
        assert_eq!(got("500"), None);
        assert_eq!(got("a.gz").as_deref(), Some("gzip"));
        let mut lower = FastMap::default();
        lower.insert("accept".into(), ("Accept".into(), Expr::Literal(1.into())));
        let table = Lookup::CaseInsensitive(lower);
        assert!(table.get("ACCEPT").is_some() && table.get("Accept").is_some());
        assert!(table.get("reject").is_none());
    }
}
