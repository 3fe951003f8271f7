//! SQS events: every S3 object named by every record of every message is transformed;
//! a message fails (and is retried alone) when one of its objects cannot be read or
//! its results cannot be written, or when the invocation's time runs out first.

use std::collections::HashMap;
use std::time::Instant;

use ocsfmap_aws::Changed;
use ocsfmap_core::run::Input;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::notify::{self, Notice, ObjectRef};
use crate::report::{InputReport, count_line, event_line};
use crate::transform::{LakeTarget, SetAsideWriter, run_into_lake};
use crate::{BatchResponse, Handler, arn_region_account, naming};

/// An SQS event as Lambda delivers it; only what the handler uses, every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SqsEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SqsMessage {
    #[serde(rename = "messageId")]
    pub message_id: String,
    pub body: String,
    /// The queue's ARN: its account is the partition's account when neither the config
    /// nor the notification names one.
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
}

/// What became of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    /// Acknowledged without output (a folder, an empty or replaced object, no source).
    Skipped,
    Failed,
}

/// The objects of a batch done so far, by identity: an object named twice in a batch
/// (S3 delivers at least once) is transformed once and counted once.
type Seen = HashMap<(String, String, String), Outcome>;

impl Handler {
    /// Handles an SQS batch; the response names each message to retry.
    pub fn handle_sqs(&self, event: &SqsEvent) -> BatchResponse {
        self.handle_sqs_until(event, None)
    }

    /// Handles an SQS batch, stopping at `stop_at`: the message being worked on then and
    /// those not started are reported for retry, so the finished ones are acknowledged.
    pub fn handle_sqs_until(&self, event: &SqsEvent, stop_at: Option<Instant>) -> BatchResponse {
        let mut response = BatchResponse::default();
        let mut seen = Seen::new();
        let mut postponed = 0;
        for message in &event.records {
            if stop_at.is_some_and(|at| Instant::now() >= at) {
                postponed += 1;
                response.fail(&message.message_id);
                continue;
            }
            if !self.handle_message(message, stop_at, &mut seen) {
                response.fail(&message.message_id);
            }
        }
        if postponed > 0 {
            let mut f = Map::new();
            f.insert("messages".into(), json!(postponed));
            self.log(&event_line(
                "WARN",
                "messages not started: the invocation's time is nearly up (they are retried)",
                f,
            ));
            self.log(&count_line("PostponedMessages", postponed));
        }
        response
    }

    /// Whether every object of the message was done (or rightly skipped).
    fn handle_message(
        &self,
        message: &SqsMessage,
        stop_at: Option<Instant>,
        seen: &mut Seen,
    ) -> bool {
        let notices = match notify::parse_body(&message.body) {
            Ok(n) => n,
            Err(e) => {
                let mut f = Map::new();
                f.insert("message_id".into(), json!(message.message_id));
                f.insert("error".into(), json!(e));
                self.log(&event_line("ERROR", "message not understood", f));
                self.log(&count_line("UnreadableMessages", 1));
                return false;
            }
        };
        let mut ok = true;
        // Every object is attempted, even after one fails: the retry overwrites the
        // ones that succeeded under the same names.
        for notice in notices {
            match notice {
                Notice::Skip(why) => {
                    let mut f = Map::new();
                    f.insert("message_id".into(), json!(message.message_id));
                    f.insert("reason".into(), json!(why));
                    self.log(&event_line("INFO", "skipped", f));
                }
                Notice::Object(object) => {
                    let identity = (
                        object.bucket.clone(),
                        object.key.clone(),
                        object
                            .version_id
                            .clone()
                            .or_else(|| object.etag.clone())
                            .unwrap_or_default(),
                    );
                    let outcome = if let Some(&outcome) = seen.get(&identity) {
                        let mut f = place(&object);
                        f.insert("message_id".into(), json!(message.message_id));
                        self.log(&event_line(
                            "INFO",
                            "already handled in this batch (a repeated notification)",
                            f,
                        ));
                        outcome
                    } else {
                        let outcome = self.handle_object(&object, message, stop_at);
                        seen.insert(identity, outcome);
                        outcome
                    };
                    ok &= outcome != Outcome::Failed;
                }
            }
        }
        ok
    }

    /// Transforms one object.
    fn handle_object(
        &self,
        object: &ObjectRef,
        message: &SqsMessage,
        stop_at: Option<Instant>,
    ) -> Outcome {
        let skip = |why: &str, metric: Option<&str>| {
            let mut f = place(object);
            f.insert("message_id".into(), json!(message.message_id));
            f.insert("reason".into(), json!(why));
            self.log(&event_line("INFO", "skipped", f));
            if let Some(metric) = metric {
                self.log(&count_line(metric, 1));
            }
            Outcome::Skipped
        };
        if object.key.ends_with('/') {
            return skip("a folder key (ends with `/`)", None);
        }
        if object.size == Some(0) {
            return skip("a zero-byte object", None);
        }
        let Some(source) = self.sources.for_object(&object.bucket, &object.key) else {
            return skip(
                "no source takes this bucket and key",
                Some("UnroutedObjects"),
            );
        };
        let started = Instant::now();
        let mut report = InputReport {
            source: source.name.clone(),
            place: place(object),
            ..InputReport::default()
        };
        match self.transform_object(source, object, message, stop_at, &mut report) {
            Ok(true) => {}
            Ok(false) => {
                return skip(
                    "replaced since the notification (a later notification names the new content)",
                    Some("SupersededObjects"),
                );
            }
            Err(e) => report.error = Some(e),
        }
        report.duration = started.elapsed();
        self.log(&report.log_line());
        self.log(&report.metrics_line());
        if report.error.is_some() {
            Outcome::Failed
        } else {
            Outcome::Done
        }
    }

    /// Ok(false) when the object was replaced since the notification.
    fn transform_object(
        &self,
        source: &crate::sources::Source,
        object: &ObjectRef,
        message: &SqsMessage,
        stop_at: Option<Instant>,
        report: &mut InputReport,
    ) -> Result<bool, String> {
        let lake = &self.sources.lake;
        let (arn_region, arn_account) = arn_region_account(message.event_source_arn.as_deref());
        let region = lake
            .region
            .clone()
            .or_else(|| object.region.clone())
            .or(arn_region)
            .or_else(|| message.aws_region.clone())
            .ok_or("no region: set security_lake.region (the notification names none)")?;
        let account = lake
            .account_id
            .clone()
            .or_else(|| object.account_id.clone())
            .or(arn_account)
            .ok_or("no account id: set security_lake.account_id (the notification names none)")?;
        let url = format!("s3://{}/{}", object.bucket, object.key);
        let opened = match self.objects.get(object) {
            Ok(opened) => opened,
            Err(e) if Changed::is(&e) => return Ok(false),
            Err(e) => return Err(format!("cannot read {url}: {e}")),
        };
        // Named by the content actually read: its version, else its ETag.
        let identity = opened
            .version_id
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(&opened.etag);
        report.place.insert("read_as".into(), json!(identity));
        let digest = naming::digest(&[&object.bucket, &object.key, identity]);
        let prefix = format!("{}-{digest}", naming::stem(&object.key));
        let set_aside = &self.sources.set_aside;
        let base = naming::set_aside_base(
            &set_aside.prefix,
            &source.name,
            &object.bucket,
            &object.key,
            &digest,
        );
        let mut aside = SetAsideWriter::new(&*self.objects, &set_aside.bucket, base);
        let target = LakeTarget {
            objects: &*self.objects,
            bucket: &lake.bucket,
            region: &region,
            account_id: &account,
            file_prefix: &prefix,
            max_buffer_bytes: self.max_buffer_bytes,
            stop_at,
        };
        let inputs = vec![Input {
            name: url.clone(),
            reader: opened.body,
        }];
        let result = run_into_lake(
            &source.plan,
            inputs,
            self.pool.as_ref(),
            &target,
            &mut aside,
        )
        .and_then(|ran| match aside.finish() {
            Ok(()) => Ok(ran),
            Err(e) => Err((ran, format!("set-aside records could not be written: {e}"))),
        });
        report.set_aside = std::mem::take(&mut aside.stored);
        let ran = match result {
            Ok(ran) => ran,
            Err((ran, e)) => {
                report.stats = ran.stats;
                report.bytes = ran.bytes;
                return Err(e);
            }
        };
        report.stats = ran.stats;
        report.bytes = ran.bytes;
        report.files = ran.files;
        if ran.stats.incomplete_inputs > 0 {
            // Cut short (a read error, a truncated or corrupt gzip stream): a retry may
            // read it whole, and overwrites what this run wrote.
            return Err(format!(
                "{url} could not be read to its end (see the set-aside records)"
            ));
        }
        Ok(true)
    }
}

fn place(object: &ObjectRef) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("bucket".into(), json!(object.bucket));
    f.insert("key".into(), json!(object.key));
    if let Some(v) = &object.version_id {
        f.insert("version_id".into(), json!(v));
    }
    if let Some(e) = &object.etag {
        f.insert("etag".into(), json!(e));
    }
    if let Some(s) = object.size {
        f.insert("size".into(), json!(s));
    }
    f
}
