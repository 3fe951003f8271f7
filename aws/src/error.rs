//! SDK errors as I/O errors that name the object (`s3://bucket/key`), what was being
//! done, and S3's own code and message.

use std::io;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// `s3://bucket/key: <what>: <code>: <message>`, of kind `NotFound` for a missing
/// bucket or key, `PermissionDenied` for a refusal, `Other` otherwise. Errors that never
/// reached S3 (no region, DNS, connection, timeout) show their chain of causes.
pub fn s3_error<E>(
    bucket: &str,
    key: &str,
    what: &str,
    err: &SdkError<E, HttpResponse>,
) -> io::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code();
    let kind = match (code, status) {
        (Some("NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchVersion"), _) | (_, Some(404)) => {
            io::ErrorKind::NotFound
        }
        (
            Some("AccessDenied" | "Forbidden" | "InvalidAccessKeyId" | "SignatureDoesNotMatch"),
            _,
        )
        | (_, Some(403)) => io::ErrorKind::PermissionDenied,
        _ => io::ErrorKind::Other,
    };
    let detail = match (code, err.message(), status) {
        (Some(code), Some(message), _) => format!("{code}: {message}"),
        // A HEAD answer has no body: S3 says only its status.
        (_, _, Some(404)) => "not found (HTTP 404: no such bucket or key)".to_owned(),
        (_, _, Some(403)) => "access denied (HTTP 403)".to_owned(),
        (Some(code), None, Some(status)) => format!("{code} (HTTP {status})"),
        _ => causes(err),
    };
    io::Error::new(kind, format!("s3://{bucket}/{key}: {what}: {detail}"))
}

/// An error and its sources, `: `-separated, each said once (the SDK's own
/// `DisplayErrorContext` adds the whole `Debug` form, too long for a user).
pub(crate) fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let cause = e.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] io::Error);

    #[test]
    fn causes_are_chained_once_each() {
        let e = Outer(io::Error::other("refused"));
        assert_eq!(causes(&e), "outer: refused");
        assert_eq!(causes(&io::Error::other("x")), "x");
    }
}
