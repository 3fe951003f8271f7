//! `s3://bucket/key` URLs: parsed once at the edge, printed back in messages.

use std::fmt;

/// A bucket and a key (or prefix; possibly empty) named by an `s3://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

/// An `s3://` URL without a bucket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}: an S3 URL is s3://bucket/key or s3://bucket/prefix/")]
pub struct S3UrlError(pub String);

impl S3Url {
    /// `Ok(None)` when `s` is not an `s3://` URL at all (a local path).
    pub fn parse(s: &str) -> Result<Option<S3Url>, S3UrlError> {
        let Some(rest) = s.strip_prefix("s3://") else {
            return Ok(None);
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(S3UrlError(s.to_owned()));
        }
        Ok(Some(S3Url {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }))
    }

    /// Whether the URL names a prefix (every object under it) rather than one object.
    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_bucket_and_key() {
        let u = S3Url::parse("s3://logs/2024/01/a.json.gz")
            .unwrap()
            .unwrap();
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("logs", "2024/01/a.json.gz")
        );
        assert!(!u.is_prefix());
        assert_eq!(u.to_string(), "s3://logs/2024/01/a.json.gz");
        assert!(
            S3Url::parse("s3://logs/2024/")
                .unwrap()
                .unwrap()
                .is_prefix()
        );
        assert!(S3Url::parse("s3://logs").unwrap().unwrap().is_prefix());
        assert_eq!(S3Url::parse("logs/a.json").unwrap(), None);
        assert_eq!(
            S3Url::parse("s3:///key").unwrap_err().to_string(),
            "s3:///key: an S3 URL is s3://bucket/key or s3://bucket/prefix/"
        );
    }
}
