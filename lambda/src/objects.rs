//! The object store the handler reads raw logs from and writes results to: a trait the
//! binary implements over S3, and an in-memory store for tests.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Mutex;

use ocsfmap_output::parquet::Storage;

/// Reads and writes whole objects. `put` replaces what the key held, and a reader never
/// sees part of an object (S3's PutObject and completed multipart uploads are atomic).
pub trait Objects: Send + Sync {
    /// Streams an object's body; `version` pins a version when the notification names one.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> io::Result<Box<dyn Read + Send>>;
    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> io::Result<()>;
}

/// One bucket of an [`Objects`] store as a Parquet [`Storage`]: files land at their
/// Security Lake keys, named by their `s3://` URL.
pub struct BucketStorage<'a> {
    pub objects: &'a dyn Objects,
    pub bucket: &'a str,
}

impl Storage for BucketStorage<'_> {
    type Location = String;

    fn put(&self, key: &str, object: &[u8]) -> io::Result<String> {
        self.objects.put(self.bucket, key, object)?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }
}

/// Objects in memory, keyed by (bucket, key). Failures can be planted per key.
#[derive(Default)]
pub struct MemoryObjects {
    objects: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    /// Keys whose `put` fails (to test write failures).
    failing_puts: Mutex<Vec<(String, String)>>,
}

impl MemoryObjects {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) {
        self.lock()
            .insert((bucket.to_owned(), key.to_owned()), body.into());
    }

    pub fn body(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.lock()
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }

    /// Every key of a bucket under a prefix, in order.
    pub fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        self.lock()
            .keys()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Makes every later `put` to keys under `prefix` of `bucket` fail.
    pub fn fail_puts_under(&self, bucket: &str, prefix: &str) {
        self.failing_puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((bucket.to_owned(), prefix.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Vec<u8>>> {
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Objects for MemoryObjects {
    fn get(
        &self,
        bucket: &str,
        key: &str,
        _version: Option<&str>,
    ) -> io::Result<Box<dyn Read + Send>> {
        match self.body(bucket, key) {
            Some(body) => Ok(Box::new(io::Cursor::new(body))),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("s3://{bucket}/{key}: no such object"),
            )),
        }
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8]) -> io::Result<()> {
        let failing = self
            .failing_puts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .any(|(b, p)| b == bucket && key.starts_with(p.as_str()));
        if failing {
            return Err(io::Error::other(format!(
                "s3://{bucket}/{key}: write refused"
            )));
        }
        self.insert(bucket, key, body);
        Ok(())
    }
}
