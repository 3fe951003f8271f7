//! ocsfmap in AWS Lambda, as a library: the sources config compiled once
//! ([`Sources`]), and a [`Handler`] that takes SQS events (S3 notifications, direct,
//! through SNS or EventBridge) and Kinesis Data Streams events, runs the engine over
//! each object or record, writes Parquet into the Security Lake bucket and sets aside
//! every record it could not map, and answers with the partial-batch response.
//!
//! The library talks to storage only through [`Objects`], so it runs without Lambda
//! or AWS in tests; the `ocsfmap-lambda` binary provides S3 and the runtime.

pub mod config;
mod kinesis;
pub mod naming;
pub mod notify;
pub mod objects;
pub mod pattern;
pub mod report;
pub mod s3;
pub mod sources;
mod sqs;
mod transform;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use config::{ConfigError, SourcesFile};
pub use objects::{MemoryObjects, Objects, Opened};
pub use report::Log;
pub use sources::{ConfigErrors, Sources};
pub use transform::SET_ASIDE_PART_BYTES;

/// Handles events with sources compiled once. Cheap to share across invocations.
pub struct Handler {
    pub sources: Arc<Sources>,
    pub objects: Arc<dyn Objects>,
    /// Worker threads for the engine; `None` evaluates on the calling thread.
    pub pool: Option<rayon::ThreadPool>,
    /// Bytes of column data a class buffers before its Parquet file is written.
    pub max_buffer_bytes: usize,
    pub log: Log,
}

/// The partial-batch response: the items to retry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    /// The SQS message id, or the Kinesis sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

impl BatchResponse {
    pub fn failed_ids(&self) -> Vec<&str> {
        self.batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    fn fail(&mut self, id: &str) {
        self.batch_item_failures.push(ItemFailure {
            item_identifier: id.to_owned(),
        });
    }
}

/// Why an invocation fails as a whole: an event of a shape this handler does not take,
/// or an EventBridge event (delivered straight to the function) whose object failed,
/// which Lambda then retries and finally sends to the function's on-failure
/// destination.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvocationError(pub String);

impl Handler {
    /// A handler with the default Parquet buffer and no worker pool.
    pub fn new(sources: Arc<Sources>, objects: Arc<dyn Objects>, log: Log) -> Self {
        Handler {
            sources,
            objects,
            pool: None,
            max_buffer_bytes: ocsfmap_output::parquet::ParquetOptions::DEFAULT_MAX_BUFFER_BYTES,
            log,
        }
    }

    /// Handles any event: SQS and Kinesis are told apart by their records'
    /// `eventSource`; an EventBridge "Object Created" event may also come straight
    /// from an EventBridge rule (its response is then empty, and a failure fails the
    /// invocation). An event of another shape is an error (the invocation fails).
    pub fn handle(&self, event: &Value) -> Result<BatchResponse, InvocationError> {
        self.handle_until(event, None)
    }

    /// [`Handler::handle`], answering by `deadline` (the invocation's): work stops a
    /// little before it (a quarter of the time left, at most five seconds), and what
    /// was not finished by then is reported for retry, so that what was finished is
    /// acknowledged instead of the whole batch failing with a timeout.
    pub fn handle_until(
        &self,
        event: &Value,
        deadline: Option<Instant>,
    ) -> Result<BatchResponse, InvocationError> {
        let stop_at = deadline.map(|d| {
            let left = d.saturating_duration_since(Instant::now());
            d.checked_sub((left / 4).min(Duration::from_secs(5)))
                .unwrap_or(d)
        });
        if event.get("detail-type").is_some() && event.get("Records").is_none() {
            return self.handle_eventbridge(event, stop_at);
        }
        let Some(records) = event.get("Records").and_then(Value::as_array) else {
            return Err(InvocationError(
                "the event has no `Records`: not an SQS, Kinesis or EventBridge event".into(),
            ));
        };
        let Some(first) = records.first() else {
            return Ok(BatchResponse::default());
        };
        let source = first.get("eventSource").and_then(Value::as_str);
        if source == Some("aws:kinesis") || first.get("kinesis").is_some() {
            let event = KinesisEvent::deserialize(event).map_err(|e| {
                InvocationError(format!("a Kinesis event that cannot be read: {e}"))
            })?;
            Ok(self.handle_kinesis_until(&event, stop_at))
        } else if source == Some("aws:sqs") || first.get("messageId").is_some() {
            let event = SqsEvent::deserialize(event)
                .map_err(|e| InvocationError(format!("an SQS event that cannot be read: {e}")))?;
            Ok(self.handle_sqs_until(&event, stop_at))
        } else {
            Err(InvocationError(format!(
                "records from `{}` are neither SQS nor Kinesis records",
                source.unwrap_or("(no eventSource)")
            )))
        }
    }

    /// An EventBridge event delivered straight to the function: handled as the body of
    /// an SQS message would be, its object failing the invocation.
    fn handle_eventbridge(
        &self,
        event: &Value,
        stop_at: Option<Instant>,
    ) -> Result<BatchResponse, InvocationError> {
        let text = |k: &str| event.get(k).and_then(Value::as_str).map(str::to_owned);
        let message = SqsMessage {
            message_id: text("id").unwrap_or_default(),
            body: event.to_string(),
            event_source_arn: None,
            aws_region: text("region"),
        };
        let response = self.handle_sqs_until(
            &SqsEvent {
                records: vec![message],
            },
            stop_at,
        );
        if response.batch_item_failures.is_empty() {
            Ok(BatchResponse::default())
        } else {
            Err(InvocationError(format!(
                "the object of EventBridge event {} could not be transformed (see the log); the invocation fails so that Lambda retries it",
                text("id").unwrap_or_default()
            )))
        }
    }

    fn log(&self, line: &str) {
        (self.log)(line);
    }
}

pub use kinesis::{KinesisEvent, KinesisEventRecord, KinesisPayload};
pub use sqs::{SqsEvent, SqsMessage};

/// `(region, account)` of an ARN (`arn:partition:service:region:account:...`).
fn arn_region_account(arn: Option<&str>) -> (Option<String>, Option<String>) {
    let mut parts = arn.unwrap_or("").split(':');
    let (Some("arn"), Some(_), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return (None, None);
    };
    let region = parts.next().filter(|r| !r.is_empty()).map(str::to_owned);
    let account = parts.next().filter(|a| !a.is_empty()).map(str::to_owned);
    (region, account)
}
