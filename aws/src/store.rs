//! Parquet files (and other finished objects) stored in S3 under a prefix: one PutObject
//! for a small object, a multipart upload for a large one, aborted on any failure so
//! that no partial object is ever visible.

use std::io;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use ocsfmap_output::parquet::Storage;
use tokio::runtime::Handle;
use tokio::task::JoinSet;

use crate::{S3, s3_error};

/// The part size of multipart uploads, and the size above which they are used.
pub const PART_SIZE: usize = 16 << 20;
/// The smallest part S3 accepts (all but the last part of an upload).
pub const MIN_PART_SIZE: usize = 5 << 20;
/// Parts in flight at once.
const CONCURRENT_PARTS: usize = 4;

/// Stores objects at `s3://bucket/prefix/<key>`; locations are those URLs.
#[derive(Debug, Clone)]
pub struct S3Store {
    pub s3: S3,
    pub handle: Handle,
    pub bucket: String,
    /// Joined to each key with a `/` when it does not end with one; may be empty.
    pub prefix: String,
    /// Objects larger than this go in parts of this size (at least [`MIN_PART_SIZE`]).
    pub part_size: usize,
}

impl S3Store {
    /// A store under `s3://bucket/prefix`, with parts of [`PART_SIZE`].
    pub fn new(s3: S3, handle: Handle, bucket: &str, prefix: &str) -> S3Store {
        S3Store {
            s3,
            handle,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            part_size: PART_SIZE,
        }
    }

    /// Uses parts of `bytes` (raised to [`MIN_PART_SIZE`]) above that size.
    #[must_use]
    pub fn with_part_size(mut self, bytes: usize) -> S3Store {
        self.part_size = bytes.max(MIN_PART_SIZE);
        self
    }

    /// The full key of `key` under the prefix.
    pub fn object_key(&self, key: &str) -> String {
        let key = key.trim_start_matches('/');
        if self.prefix.is_empty() || self.prefix.ends_with('/') {
            format!("{}{key}", self.prefix)
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    async fn put_async(&self, key: &str, object: Bytes) -> io::Result<()> {
        if object.len() <= self.part_size {
            self.s3
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(ByteStream::from(object))
                .send()
                .await
                .map_err(|e| s3_error(&self.bucket, key, "cannot write", &e))?;
            return Ok(());
        }
        let created = self
            .s3
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            // The SDK checksums each part with CRC32; S3 refuses part checksums of a
            // type the upload did not declare.
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| s3_error(&self.bucket, key, "cannot start a multipart upload of", &e))?;
        let Some(upload_id) = created.upload_id else {
            return Err(io::Error::other(format!(
                "s3://{}/{key}: S3 started a multipart upload without an upload id",
                self.bucket
            )));
        };
        let result = self.upload_parts(key, &upload_id, object).await;
        if result.is_err() {
            // Nothing of the upload may stay behind (nor be billed): the key keeps
            // whatever it held before. A failed abort is left to the bucket's lifecycle
            // rule for incomplete uploads.
            let _ = self
                .s3
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    /// Sends the parts (a few at a time) and completes the upload.
    async fn upload_parts(&self, key: &str, upload_id: &str, object: Bytes) -> io::Result<()> {
        let mut parts = Vec::new();
        let mut running = JoinSet::new();
        let mut start = 0;
        let mut number = 0;
        while start < object.len() || !running.is_empty() {
            while start < object.len() && running.len() < CONCURRENT_PARTS {
                let end = (start + self.part_size).min(object.len());
                number += 1;
                let send = self
                    .s3
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .checksum_algorithm(ChecksumAlgorithm::Crc32)
                    .body(ByteStream::from(object.slice(start..end)))
                    .send();
                running.spawn(async move { (number, send.await) });
                start = end;
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let (number, sent) = done.map_err(io::Error::other)?;
            let sent = sent.map_err(|e| {
                s3_error(
                    &self.bucket,
                    key,
                    &format!("cannot upload part {number} of"),
                    &e,
                )
            })?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(sent.e_tag)
                    .set_checksum_crc32(sent.checksum_crc32)
                    .build(),
            );
        }
        parts.sort_by_key(|p| p.part_number);
        self.s3
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                s3_error(
                    &self.bucket,
                    key,
                    "cannot complete the multipart upload of",
                    &e,
                )
            })?;
        Ok(())
    }
}

impl Storage for S3Store {
    type Location = String;

    fn put(&self, key: &str, object: Vec<u8>) -> io::Result<String> {
        let key = self.object_key(key);
        // Shared by the parts (and by the SDK's retries) without a copy.
        let object = Bytes::from(object);
        self.handle.block_on(self.put_async(&key, object))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_join_the_prefix_with_one_slash() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .build(),
        );
        let s3 = S3::from_client(client);
        let store = |prefix| S3Store::new(s3.clone(), rt.handle().clone(), "b", prefix);
        assert_eq!(store("").object_key("ext/a.parquet"), "ext/a.parquet");
        assert_eq!(
            store("lake").object_key("ext/a.parquet"),
            "lake/ext/a.parquet"
        );
        assert_eq!(
            store("lake/").object_key("/ext/a.parquet"),
            "lake/ext/a.parquet"
        );
        assert_eq!(store("lake").with_part_size(1).part_size, MIN_PART_SIZE);
    }
}
