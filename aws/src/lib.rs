//! ocsfmap's AWS side: an S3 client from the standard configuration chain, object
//! bodies streamed into blocking readers for the engine, listings, and the Parquet
//! [`Storage`](ocsfmap_output::parquet::Storage) for S3 (multipart above a size, never a
//! partial object), and the SQS queue of the queue worker. The engine crates stay free
//! of the SDK and tokio: callers keep a tokio runtime and pass its
//! [`Handle`](tokio::runtime::Handle) to the blocking parts.

mod error;
mod queue;
mod read;
mod store;
mod url;

use aws_config::BehaviorVersion;
use aws_sdk_s3::Client;
use aws_smithy_http_client::tls;

pub use error::s3_error;
pub use queue::{MAX_BATCH, Queue, QueueInfo, Received};
pub use read::{Changed, ObjectReader};
pub use store::{MIN_PART_SIZE, PART_SIZE, S3Store};
pub use url::{S3Url, S3UrlError};

/// An object found by [`S3::list`] or [`S3::head`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// The ETag without its quotes (empty when S3 did not give one).
    pub etag: String,
    pub version_id: Option<String>,
}

/// An S3 client. Cheap to clone (the SDK client is shared).
#[derive(Debug, Clone)]
pub struct S3 {
    client: Client,
}

impl S3 {
    /// A client from the standard chain: credentials from the environment, profiles
    /// (including SSO and `credential_process`), web identity, ECS or EC2 metadata; the
    /// region from `AWS_REGION` or the profile; and the endpoint from `AWS_ENDPOINT_URL`
    /// (or `AWS_ENDPOINT_URL_S3`). With an endpoint set, buckets are addressed by path
    /// (`http://127.0.0.1:PORT/bucket/key`), which local S3 servers need.
    pub async fn from_env() -> S3 {
        let config = sdk_config().await;
        let path_style = config.endpoint_url().is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(path_style)
            .build();
        S3 {
            client: Client::from_conf(s3),
        }
    }

    /// A client over an SDK client configured elsewhere.
    pub fn from_client(client: Client) -> S3 {
        S3 { client }
    }

    /// The SDK client, for operations this crate does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every object under `prefix` (all pages), in key order as S3 returns them.
    pub async fn list(&self, bucket: &str, prefix: &str) -> std::io::Result<Vec<ObjectInfo>> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut objects = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_error(bucket, prefix, "cannot list", &e))?;
            for o in page.contents.unwrap_or_default() {
                let Some(key) = o.key else { continue };
                objects.push(ObjectInfo {
                    key,
                    size: o.size.map_or(0, |s| s.max(0) as u64),
                    etag: unquote(o.e_tag.as_deref()),
                    version_id: None,
                });
            }
        }
        Ok(objects)
    }

    /// One object's size, ETag and version, without its body: found missing or
    /// forbidden before anything is read.
    pub async fn head(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> std::io::Result<ObjectInfo> {
        let head = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| s3_error(bucket, key, "cannot read", &e))?;
        Ok(ObjectInfo {
            key: key.to_owned(),
            size: head.content_length.map_or(0, |s| s.max(0) as u64),
            etag: unquote(head.e_tag.as_deref()),
            version_id: head.version_id,
        })
    }

    /// Opens an object for a blocking reader (see [`ObjectReader`]), pinned to `etag`
    /// when one is given (a replaced object is then a [`Changed`] error). Call it from a
    /// thread that is not running async code, with the handle of a multi-threaded
    /// runtime (whose workers drive the connection).
    pub fn reader(
        &self,
        handle: &tokio::runtime::Handle,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        etag: Option<&str>,
    ) -> std::io::Result<ObjectReader> {
        ObjectReader::lazy(self.clone(), handle.clone(), bucket, key, version_id)
            .expecting_etag(etag)
            .start_now()
    }

    /// Deletes an object (a missing one is not an error, as in S3).
    pub async fn delete(&self, bucket: &str, key: &str) -> std::io::Result<()> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_error(bucket, key, "cannot delete", &e))?;
        Ok(())
    }
}

/// The SDK configuration from the standard chain, over hyper + rustls with ring (the
/// SDK's default client would build aws-lc).
async fn sdk_config() -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await
}

fn unquote(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_owned()
}
