//! An SQS queue for the queue worker and `enqueue`: long-poll receives, batched deletes,
//! visibility extensions and batched sends, each failure naming the queue.

use std::io;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName, QueueAttributeName, SendMessageBatchRequestEntry,
};

/// At most this many messages per receive, delete or send call (SQS's limit).
pub const MAX_BATCH: usize = 10;

/// A message received, with what deleting it or extending its visibility needs.
#[derive(Debug, Clone)]
pub struct Received {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// How many times SQS has handed the message out, this time included.
    pub receive_count: u32,
}

/// What the worker needs to know of its queue.
#[derive(Debug, Clone)]
pub struct QueueInfo {
    pub arn: String,
    pub visibility_timeout: Duration,
}

/// One queue. Cheap to clone (the SDK client is shared).
#[derive(Debug, Clone)]
pub struct Queue {
    client: Client,
    pub url: String,
}

impl Queue {
    /// The queue at `url`, with a client from the same configuration chain as S3
    /// (`AWS_ENDPOINT_URL` included).
    pub async fn from_env(url: &str) -> Queue {
        let config = crate::sdk_config().await;
        Queue {
            client: Client::new(&config),
            url: url.to_owned(),
        }
    }

    /// The queue's ARN and visibility timeout; fails when the queue does not exist.
    pub async fn info(&self) -> io::Result<QueueInfo> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::VisibilityTimeout)
            .send()
            .await
            .map_err(|e| self.error("cannot read the attributes of", &e))?;
        let attrs = out.attributes.unwrap_or_default();
        let arn = attrs
            .get(&QueueAttributeName::QueueArn)
            .cloned()
            .unwrap_or_default();
        let visibility = attrs
            .get(&QueueAttributeName::VisibilityTimeout)
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        Ok(QueueInfo {
            arn,
            visibility_timeout: Duration::from_secs(visibility),
        })
    }

    /// Messages waiting (visible) and in flight (received, neither deleted nor back),
    /// as SQS estimates them.
    pub async fn counts(&self) -> io::Result<(u64, u64)> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| self.error("cannot read the attributes of", &e))?;
        let attrs = out.attributes.unwrap_or_default();
        let count = |name| attrs.get(&name).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok((
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        ))
    }

    /// Up to `max` messages (at most [`MAX_BATCH`]), waiting up to `wait` for the first.
    pub async fn receive(&self, max: usize, wait: Duration) -> io::Result<Vec<Received>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| self.error("cannot receive from", &e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let receive_count = m
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1);
                Some(Received {
                    message_id: m.message_id?,
                    receipt_handle: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    receive_count,
                })
            })
            .collect())
    }

    /// Deletes messages (any number, [`MAX_BATCH`] per call); returns the ids that
    /// could not be deleted (they will be received again: the outputs they make are
    /// the same, so that repeats work without duplicating).
    pub async fn delete(&self, messages: &[&Received]) -> io::Result<Vec<String>> {
        let mut failed = Vec::new();
        for chunk in messages.chunks(MAX_BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(&m.receipt_handle)
                    .build()
                    .expect("id and receipt handle are set")
            });
            let out = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .map_err(|e| self.error("cannot delete messages from", &e))?;
            for f in out.failed {
                if let Some(m) = f.id.parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    failed.push(m.message_id.clone());
                }
            }
        }
        Ok(failed)
    }

    /// Keeps messages invisible for `timeout` more, from now.
    pub async fn extend(&self, messages: &[Received], timeout: Duration) -> io::Result<()> {
        for chunk in messages.chunks(MAX_BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(&m.receipt_handle)
                    .visibility_timeout(timeout.as_secs().min(43_200) as i32)
                    .build()
                    .expect("id and receipt handle are set")
            });
            self.client
                .change_message_visibility_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .map_err(|e| self.error("cannot extend the visibility of messages of", &e))?;
        }
        Ok(())
    }

    /// Sends up to [`MAX_BATCH`] bodies; returns the indexes of the ones SQS refused,
    /// with its reason.
    pub async fn send(&self, bodies: &[String]) -> io::Result<Vec<(usize, String)>> {
        let entries = bodies.iter().enumerate().map(|(i, b)| {
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(b)
                .build()
                .expect("id and body are set")
        });
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .map_err(|e| self.error("cannot send messages to", &e))?;
        Ok(out
            .failed
            .into_iter()
            .filter_map(|f| {
                let i = f.id.parse().ok()?;
                Some((i, f.message.unwrap_or(f.code)))
            })
            .collect())
    }

    fn error<E>(&self, what: &str, err: &SdkError<E, HttpResponse>) -> io::Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let detail = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => crate::error::causes(err),
        };
        let kind = match err.code() {
            Some(c) if c.contains("NonExistentQueue") || c.contains("QueueDoesNotExist") => {
                io::ErrorKind::NotFound
            }
            Some("AccessDenied" | "AccessDeniedException") => io::ErrorKind::PermissionDenied,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, format!("{}: {what} the queue: {detail}", self.url))
    }
}
