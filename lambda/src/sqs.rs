//! SQS events: every S3 object named by every record of every message is transformed;
//! a message fails (and is retried alone) when one of its objects cannot be read or
//! its results cannot be written.

use std::time::Instant;

use ocsfmap_core::run::Input;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::notify::{self, Notice, ObjectRef};
use crate::report::{InputReport, event_line};
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

impl Handler {
    /// Handles an SQS batch; the response names each message to retry.
    pub fn handle_sqs(&self, event: &SqsEvent) -> BatchResponse {
        let mut response = BatchResponse::default();
        for message in &event.records {
            if !self.handle_message(message) {
                response.fail(&message.message_id);
            }
        }
        response
    }

    /// Whether every object of the message was done (or rightly skipped).
    fn handle_message(&self, message: &SqsMessage) -> bool {
        let notices = match notify::parse_body(&message.body) {
            Ok(n) => n,
            Err(e) => {
                let mut f = Map::new();
                f.insert("message_id".into(), json!(message.message_id));
                f.insert("error".into(), json!(e));
                self.log(&event_line("ERROR", "message not understood", f));
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
                Notice::Object(object) => ok &= self.handle_object(&object, message),
            }
        }
        ok
    }

    /// Transforms one object; false when it must be retried.
    fn handle_object(&self, object: &ObjectRef, message: &SqsMessage) -> bool {
        let skip = |why: &str| {
            let mut f = place(object);
            f.insert("message_id".into(), json!(message.message_id));
            f.insert("reason".into(), json!(why));
            self.log(&event_line("INFO", "skipped", f));
            true
        };
        if object.key.ends_with('/') {
            return skip("a folder key (ends with `/`)");
        }
        if object.size == Some(0) {
            return skip("a zero-byte object");
        }
        let Some(source) = self.sources.for_object(&object.bucket, &object.key) else {
            return skip("no source takes this bucket and key");
        };
        let started = Instant::now();
        let mut report = InputReport {
            source: source.name.clone(),
            place: place(object),
            ..InputReport::default()
        };
        if let Err(e) = self.transform_object(source, object, message, &mut report) {
            report.error = Some(e);
        }
        report.duration = started.elapsed();
        self.log(&report.log_line());
        self.log(&report.metrics_line());
        report.error.is_none()
    }

    fn transform_object(
        &self,
        source: &crate::sources::Source,
        object: &ObjectRef,
        message: &SqsMessage,
        report: &mut InputReport,
    ) -> Result<(), String> {
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
        let reader = self
            .objects
            .get(&object.bucket, &object.key, object.version_id.as_deref())
            .map_err(|e| format!("cannot read {url}: {e}"))?;
        let identity = object
            .version_id
            .as_deref()
            .or(object.etag.as_deref())
            .unwrap_or("");
        let digest = naming::digest(&[&object.bucket, &object.key, identity]);
        let prefix = format!("{}-{digest}", naming::stem(&object.key));
        let set_aside = &self.sources.set_aside;
        let base = format!(
            "{}{}/{}/{}.{digest}",
            set_aside.prefix, source.name, object.bucket, object.key
        );
        let mut aside = SetAsideWriter::new(&*self.objects, &set_aside.bucket, base);
        let target = LakeTarget {
            objects: &*self.objects,
            bucket: &lake.bucket,
            region: &region,
            account_id: &account,
            file_prefix: &prefix,
            max_buffer_bytes: self.max_buffer_bytes,
        };
        let inputs = vec![Input {
            name: url.clone(),
            reader,
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
        Ok(())
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
