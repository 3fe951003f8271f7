//! An object's body as a blocking [`Read`]: one chunk of the response in memory at a
//! time, fetched by blocking on the runtime's handle. A connection that breaks during
//! the read is resumed with a ranged GET pinned to the same ETag, so a long object
//! survives a reset without reading from the start or mixing two versions.

use std::io::{self, Read};
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use tokio::runtime::Handle;

use crate::{ObjectInfo, S3, s3_error, unquote};

/// The object is no longer the one expected: it was replaced (overwritten) after it was
/// listed or notified. A later notification names the new content.
#[derive(Debug, thiserror::Error)]
#[error(
    "{url}: the object was replaced since it was listed or notified (its ETag is no longer {etag})"
)]
pub struct Changed {
    pub url: String,
    pub etag: String,
}

impl Changed {
    /// Whether an I/O error is a [`Changed`].
    pub fn is(e: &io::Error) -> bool {
        e.get_ref()
            .is_some_and(<dyn std::error::Error + Send + Sync>::is::<Changed>)
    }
}

/// Resumes after a broken connection, per object, before the read fails.
const MAX_RESUMES: u32 = 5;

/// Streams one object. Opened at once ([`ObjectReader::open`]: a missing object is
/// found before anything is read) or at the first read ([`ObjectReader::lazy`]: for
/// long lists, so that only the object being read holds a connection).
pub struct ObjectReader {
    s3: S3,
    handle: Handle,
    bucket: String,
    key: String,
    version_id: Option<String>,
    /// The ETag the first GET must find (`If-Match`), when the caller named one.
    expected_etag: Option<String>,
    /// Known once the object is opened; later ranged GETs must match it.
    info: Option<ObjectInfo>,
    body: Option<ByteStream>,
    chunk: Bytes,
    offset: u64,
    resumes: u32,
    done: bool,
}

impl ObjectReader {
    /// Sends the GET now: errors (no such bucket or key, access denied) come from here.
    pub fn open(
        s3: S3,
        handle: Handle,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> io::Result<ObjectReader> {
        ObjectReader::lazy(s3, handle, bucket, key, version_id).start_now()
    }

    /// Sends the GET at the first read; its errors are the read's errors.
    pub fn lazy(
        s3: S3,
        handle: Handle,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> ObjectReader {
        ObjectReader {
            s3,
            handle,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version_id.map(str::to_owned),
            expected_etag: None,
            info: None,
            body: None,
            chunk: Bytes::new(),
            offset: 0,
            resumes: 0,
            done: false,
        }
    }

    /// Reads the object only while its ETag (quoted or not) is `etag`: when it was
    /// replaced since it was listed or notified, the first read (or [`Self::start_now`])
    /// fails with a [`Changed`] error instead of reading other content under the old
    /// identity.
    #[must_use]
    pub fn expecting_etag(mut self, etag: Option<&str>) -> ObjectReader {
        self.expected_etag = etag
            .map(|e| e.trim_matches('"').to_owned())
            .filter(|e| !e.is_empty());
        self
    }

    /// Sends the GET now, so that its errors come from here.
    pub fn start_now(mut self) -> io::Result<ObjectReader> {
        self.start()?;
        Ok(self)
    }

    /// Size, ETag and version of the object, once it is open.
    pub fn info(&self) -> Option<&ObjectInfo> {
        self.info.as_ref()
    }

    /// GETs the object from `offset` on (the whole object at first).
    fn start(&mut self) -> io::Result<()> {
        let mut get = self
            .s3
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_version_id(self.version_id.clone());
        if self.offset > 0 {
            get = get.range(format!("bytes={}-", self.offset));
        }
        let pinned = match &self.info {
            Some(info) => Some(info.etag.as_str()).filter(|e| !e.is_empty()),
            None => self.expected_etag.as_deref(),
        };
        if let Some(etag) = pinned {
            // The object may have been replaced since: never splice two versions, nor
            // read new content under the identity of the old.
            get = get.if_match(format!("\"{etag}\""));
        }
        let out = self.handle.block_on(get.send()).map_err(|e| {
            let status = e.raw_response().map(|r| r.status().as_u16());
            match (status, pinned) {
                (Some(412), Some(etag)) => io::Error::other(Changed {
                    url: format!("s3://{}/{}", self.bucket, self.key),
                    etag: etag.to_owned(),
                }),
                _ => s3_error(&self.bucket, &self.key, "cannot read", &e),
            }
        })?;
        if self.info.is_none() {
            self.info = Some(ObjectInfo {
                key: self.key.clone(),
                size: out.content_length.map_or(0, |s| s.max(0) as u64),
                etag: unquote(out.e_tag.as_deref()),
                version_id: out.version_id.clone(),
            });
        }
        self.body = Some(out.body);
        Ok(())
    }

    /// The next chunk of the body, resuming after a broken connection.
    fn fill(&mut self) -> io::Result<()> {
        while self.chunk.is_empty() && !self.done {
            if self.body.is_none() {
                self.start()?;
            }
            let Some(body) = self.body.as_mut() else {
                continue;
            };
            let size = self.info.as_ref().map_or(0, |i| i.size);
            match self.handle.block_on(body.next()) {
                Some(Ok(bytes)) => {
                    self.offset += bytes.len() as u64;
                    // Progress: the resume limit counts breaks in a row, so a long
                    // object read over a flaky connection still completes.
                    if !bytes.is_empty() {
                        self.resumes = 0;
                    }
                    self.chunk = bytes;
                }
                None if self.offset >= size => self.done = true,
                next => {
                    // A body that ends early or breaks: resume where it stopped.
                    let why = match next {
                        Some(Err(e)) => e.to_string(),
                        _ => format!("the body ended at byte {} of {size}", self.offset),
                    };
                    self.body = None;
                    if self.resumes == MAX_RESUMES {
                        return Err(io::Error::other(format!(
                            "s3://{}/{}: read failed at byte {} after {MAX_RESUMES} resumes without progress: {why}",
                            self.bucket, self.key, self.offset
                        )));
                    }
                    self.resumes += 1;
                    std::thread::sleep(Duration::from_millis(100 << self.resumes));
                }
            }
        }
        Ok(())
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fill()?;
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        Ok(n)
    }
}
