//! Deterministic names for what an input produces: a retried message or batch writes
//! the same Parquet and set-aside keys again, overwriting instead of duplicating.

use std::hash::Hasher;

/// 16 hex digits of the XXH64 hash (seed 0, a fixed algorithm: names stay the same
/// across versions and machines) of the parts, each followed by a NUL byte (so
/// `("ab", "c")` and `("a", "bc")` differ). 64 bits: a lake with millions of objects
/// of the same name under one partition has no collision to fear.
pub fn digest(parts: &[&str]) -> String {
    let mut h = twox_hash::XxHash64::with_seed(0);
    for p in parts {
        h.write(p.as_bytes());
        h.write(&[0]);
    }
    format!("{:016x}", h.finish())
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

/// S3's longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The base of an object's set-aside keys: `<prefix><source>/<bucket>/<key>.<digest>`,
/// with the raw key cut short (at a character boundary) when the longest part name
/// would pass S3's 1024-byte key limit; the digest keeps such names distinct.
pub fn set_aside_base(prefix: &str, source: &str, bucket: &str, key: &str, digest: &str) -> String {
    let fixed = format!("{prefix}{source}/{bucket}/");
    let tail = format!(".{digest}");
    let room = MAX_KEY_BYTES.saturating_sub(fixed.len() + tail.len() + LONGEST_PART_SUFFIX);
    let mut end = key.len().min(room);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{fixed}{}{tail}", &key[..end])
}

/// `.rejects-NNNNN.jsonl`: the longest suffix [`set_aside_key`] adds.
const LONGEST_PART_SUFFIX: usize = ".rejects-00000.jsonl".len();

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
        assert!(p.starts_with("app-") && p.len() == "app-".len() + 16, "{p}");
        // The algorithm is fixed: a new version of the crate must not rename outputs.
        assert_eq!(digest(&[]), "ef46db3751d8e999");
        assert_eq!(
            digest(&["raw", "a.log", "v1"]),
            digest(&["raw", "a.log", "v1"])
        );
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
    fn set_aside_keys_fit_s3_whatever_the_raw_key() {
        let d = digest(&["x"]);
        let short = set_aside_base("aside/", "nfw", "raw", "a/b.log", &d);
        assert_eq!(short, format!("aside/nfw/raw/a/b.log.{d}"));
        // A raw key of 1024 bytes (S3 allows it) made of two-byte characters.
        let long_key = "é".repeat(512);
        let base = set_aside_base("aside/", "nfw", "raw", &long_key, &d);
        let longest = set_aside_key(&base, 99_999);
        assert!(longest.len() <= MAX_KEY_BYTES, "{}", longest.len());
        assert!(
            longest.len() > MAX_KEY_BYTES - 2,
            "cut no shorter than needed"
        );
        assert!(base.ends_with(&format!(".{d}")));
        assert_ne!(
            base,
            set_aside_base("aside/", "nfw", "raw", &long_key, &digest(&["y"])),
            "the digest tells cut keys apart"
        );
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
