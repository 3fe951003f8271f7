//! Deterministic names for what an input produces: a retried message or batch writes
//! the same Parquet and set-aside keys again, overwriting instead of duplicating.

/// 8 hex digits of the CRC-32 of the parts, each followed by a NUL byte (so
/// `("ab", "c")` and `("a", "bc")` differ).
pub fn digest(parts: &[&str]) -> String {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    format!("{:08x}", h.finalize())
}

/// A file-name stem from the last segment of a key: extensions dropped (`app.log.gz`
/// -> `app`), characters other than letters, digits, `-` and `_` written `_`, at most
/// 64 characters; `object` when nothing is left.
pub fn stem(key: &str) -> String {
    let last = key.rsplit('/').next().unwrap_or(key);
    let base = match last.split_once('.') {
        Some((b, _)) if !b.is_empty() => b,
        _ => last,
    };
    let mut s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if s.is_empty() {
        s.push_str("object");
    }
    s
}

/// The Parquet file prefix of an S3 object: `<stem>-<digest(bucket, key, version or ETag)>`.
pub fn object_prefix(bucket: &str, key: &str, version_or_etag: &str) -> String {
    format!("{}-{}", stem(key), digest(&[bucket, key, version_or_etag]))
}

/// The key of the `part`-th set-aside object (1-based) under `base`
/// (`<prefix><source>/<bucket>/<key>.<digest>`): part 1 is `<base>.rejects.jsonl`,
/// later parts `<base>.rejects-00002.jsonl` and so on.
pub fn set_aside_key(base: &str, part: u32) -> String {
    if part <= 1 {
        format!("{base}.rejects.jsonl")
    } else {
        format!("{base}.rejects-{part:05}.jsonl")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_distinct() {
        assert_eq!(digest(&["a", "b"]), digest(&["a", "b"]));
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
        let p = object_prefix("raw", "logs/2024/app.log.gz", "v1");
        assert!(p.starts_with("app-") && p.len() == "app-".len() + 8, "{p}");
        assert_ne!(p, object_prefix("raw", "logs/2024/app.log.gz", "v2"));
        assert_ne!(p, object_prefix("raw", "logs/2025/app.log.gz", "v1"));
    }

    #[test]
    fn stems_fit_a_file_prefix() {
        assert_eq!(stem("a/b/c d+e.json"), "c_d_e");
        assert_eq!(stem("a/.hidden"), "_hidden");
        assert_eq!(stem("a/"), "object");
        assert_eq!(stem("é.log"), "_");
        assert_eq!(stem(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn set_aside_parts() {
        assert_eq!(
            set_aside_key("p/s/b/k.1234abcd", 1),
            "p/s/b/k.1234abcd.rejects.jsonl"
        );
        assert_eq!(
            set_aside_key("p/s/b/k.1234abcd", 2),
            "p/s/b/k.1234abcd.rejects-00002.jsonl"
        );
    }
}
