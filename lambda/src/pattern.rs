//! Which keys of a bucket a source takes: a `prefix` from the sources config.
//!
//! A pattern without `*` or `?` is a plain prefix: the key starts with it. A pattern
//! with them is a glob over the whole key, where `*` matches any run of characters,
//! `/` included, and `?` one character (as Python's `fnmatch`, which the reference
//! library's `"alb-logs/*"` relies on to mean everything under `alb-logs/`). No other
//! character is special. An empty or missing pattern takes every key.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPattern {
    Prefix(String),
    Glob(Vec<char>),
}

impl KeyPattern {
    pub fn new(pattern: &str) -> Self {
        if pattern.contains(['*', '?']) {
            KeyPattern::Glob(pattern.chars().collect())
        } else {
            KeyPattern::Prefix(pattern.to_owned())
        }
    }

    pub fn matches(&self, key: &str) -> bool {
        match self {
            KeyPattern::Prefix(p) => key.starts_with(p.as_str()),
            KeyPattern::Glob(p) => glob(p, &key.chars().collect::<Vec<_>>()),
        }
    }
}

/// Iterative glob match with one backtrack point (the last `*`): linear in practice,
/// never exponential.
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some('?') => {
                p += 1;
                t += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, key: &str) -> bool {
        KeyPattern::new(pattern).matches(key)
    }

    #[test]
    fn plain_patterns_are_prefixes() {
        assert!(m("aws-nfw/", "aws-nfw/2024/01/a.json.gz"));
        assert!(
            m("aws-nfw", "aws-nfw-other/a.json"),
            "a prefix, not a folder"
        );
        assert!(!m("aws-nfw/", "alb-logs/a.log"));
        assert!(m("", "anything"));
    }

    #[test]
    fn a_star_matches_across_slashes() {
        // The reference library's pattern: everything under the folder, however deep.
        assert!(m(
            "alb-logs/*",
            "alb-logs/AWSLogs/123456789012/elasticloadbalancing/x.log.gz"
        ));
        assert!(m("alb-logs/*", "alb-logs/"));
        assert!(!m("alb-logs/*", "alb-logs"));
        assert!(!m("alb-logs/*", "other/alb-logs/x"));
        assert!(m("*/vpc/*.gz", "AWSLogs/vpc/2024/a.log.gz"));
        assert!(!m("*/vpc/*.gz", "AWSLogs/vpc/2024/a.log"));
        assert!(m("logs/????/*", "logs/2024/x"));
        assert!(!m("logs/????/*", "logs/24/x"));
        // Anchored at both ends: a glob is the whole key.
        assert!(!m("*.json", "a.json.gz"));
    }

    #[test]
    fn many_stars_stay_linear() {
        let key = "a".repeat(10_000);
        assert!(!m(&"*a".repeat(50).replace("*a*a", "*a*b"), &key));
        assert!(m(&"*a".repeat(50), &key));
    }
}
