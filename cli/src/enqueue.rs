//! `ocsfmap enqueue`: sends S3 objects to the queue as S3 event notifications, so that
//! the deployed Lambda functions (or several `ocsfmap sqs` workers) process history in
//! parallel with the same accounting as live objects. A notification carries the key
//! (form-encoded, as S3 writes it), size and ETag of the object listed: the outputs get
//! the names a live notification of the same object would give them.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Parser;
use ocsfmap_aws::{MAX_BATCH, ObjectInfo, Queue, S3Url};
use serde_json::json;

use crate::s3::Session;

#[derive(Parser)]
pub struct Args {
    /// The queue's URL (as `aws sqs get-queue-url` prints it).
    #[arg(long, value_name = "URL")]
    queue_url: String,
    /// Objects to send: `s3://bucket/key`, or every object under `s3://bucket/prefix/`.
    #[arg(required = true, value_name = "S3_URL")]
    urls: Vec<String>,
    /// List what would be sent, and send nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Attempts per message before `enqueue` gives up on it.
const ATTEMPTS: usize = 3;

pub fn run(args: &Args) -> Result<ExitCode> {
    let mut urls = Vec::new();
    for u in &args.urls {
        match S3Url::parse(u)? {
            Some(url) => urls.push(url),
            None => bail!("{u}: not an s3:// URL (enqueue sends S3 objects)"),
        }
    }
    let session = Session::start()?;
    let region = session
        .s3()
        .client()
        .config()
        .region()
        .map(ToString::to_string);
    let mut bodies = Vec::new();
    let mut bytes = 0;
    for url in &urls {
        for info in session.objects(url)? {
            bytes += info.size;
            if args.dry_run {
                println!("s3://{}/{}", url.bucket, info.key);
            }
            bodies.push(notification(&url.bucket, &info, region.as_deref()));
        }
    }
    if args.dry_run {
        eprintln!(
            "ocsfmap: would send {} objects ({bytes} bytes) to {}",
            bodies.len(),
            args.queue_url
        );
        return Ok(ExitCode::SUCCESS);
    }
    let handle = session.handle();
    let queue = handle.block_on(Queue::from_env(&args.queue_url));
    let mut refused = Vec::new();
    for chunk in bodies.chunks(MAX_BATCH) {
        let mut pending: Vec<String> = chunk.to_vec();
        for attempt in 1..=ATTEMPTS {
            let failed = handle.block_on(queue.send(&pending))?;
            if failed.is_empty() {
                pending.clear();
                break;
            }
            if attempt == ATTEMPTS {
                refused.extend(failed.into_iter().map(|(i, why)| (pending[i].clone(), why)));
                pending.clear();
                break;
            }
            pending = failed
                .into_iter()
                .map(|(i, _)| pending[i].clone())
                .collect();
        }
    }
    let sent = bodies.len() - refused.len();
    eprintln!(
        "ocsfmap: sent {sent} objects ({bytes} bytes) to {}",
        args.queue_url
    );
    if refused.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (body, why) in &refused {
        eprintln!("ocsfmap: not sent after {ATTEMPTS} attempts ({why}): {body}");
    }
    eprintln!(
        "ocsfmap: {} objects were not sent; run enqueue again for them",
        refused.len()
    );
    Ok(ExitCode::from(1))
}

/// An S3 event notification of one object, as S3 sends it to SQS.
fn notification(bucket: &str, info: &ObjectInfo, region: Option<&str>) -> String {
    let key: String = form_urlencoded::byte_serialize(info.key.as_bytes()).collect();
    let mut object = json!({"key": key, "size": info.size});
    if !info.etag.is_empty() {
        object["eTag"] = json!(info.etag);
    }
    if let Some(v) = &info.version_id {
        object["versionId"] = json!(v);
    }
    let mut record = json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "ocsfmap-enqueue"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": object,
        },
    });
    if let Some(r) = region {
        record["awsRegion"] = json!(r);
    }
    json!({"Records": [record]}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_reads_back_as_the_object_listed() {
        let info = ObjectInfo {
            key: "logs/a b+c/é:1.json".into(),
            size: 42,
            etag: "abc-2".into(),
            version_id: None,
        };
        let body = notification("raw", &info, Some("eu-west-1"));
        let notices = ocsfmap_lambda::notify::parse_body(&body).unwrap();
        let [ocsfmap_lambda::notify::Notice::Object(o)] = notices.as_slice() else {
            panic!("{notices:?}")
        };
        assert_eq!(o.bucket, "raw");
        assert_eq!(o.key, "logs/a b+c/é:1.json");
        assert_eq!(o.size, Some(42));
        assert_eq!(o.etag.as_deref(), Some("abc-2"));
        assert_eq!(o.region.as_deref(), Some("eu-west-1"));
        // As S3 writes it: a space is `+`, a plus `%2B`.
        assert!(body.contains("a+b%2Bc"), "{body}");
    }
}
