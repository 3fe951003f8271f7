//! The object store the handler reads raw logs from and writes results to: a trait the
//! binaries implement over S3 ([`crate::s3::S3Objects`]), and an in-memory store for
//! tests.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::io::{self, Read};
use std::sync::Mutex;

use ocsfmap_aws::Changed;
use ocsfmap_output::parquet::Storage;

use crate::notify::ObjectRef;

/// An object opened for reading, and the identity of the content being read.
pub struct Opened {
    pub body: Box<dyn Read + Send>,
    /// The ETag of the content read, without quotes (may be empty).
    pub etag: String,
    /// The version read, in a versioned bucket.
    pub version_id: Option<String>,
}

/// Reads and writes whole objects. `put` replaces what the key held, and a reader never
/// sees part of an object (S3's PutObject and completed multipart uploads are atomic).
pub trait Objects: Send + Sync {
    /// Opens the object a notification names: the version it names, or else the
    /// content whose ETag it names. An object replaced since the notification is a
    /// [`Changed`] error (see [`Changed::is`]): a later notification names the new
    /// content.
    fn get(&self, object: &ObjectRef) -> io::Result<Opened>;
    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> io::Result<()>;
    /// The keys under `prefix`, in key order.
    fn list(&self, bucket: &str, prefix: &str) -> io::Result<Vec<String>>;
    /// Deletes an object; a missing one is not an error.
    fn delete(&self, bucket: &str, key: &str) -> io::Result<()>;
}

/// One bucket of an [`Objects`] store as a Parquet [`Storage`]: files land at their
/// Security Lake keys, named by those keys.
pub struct BucketStorage<'a> {
    pub objects: &'a dyn Objects,
    pub bucket: &'a str,
}

impl Storage for BucketStorage<'_> {
    type Location = String;

    fn put(&self, key: &str, object: Vec<u8>) -> io::Result<String> {
        self.objects.put(self.bucket, key, object)?;
        Ok(key.to_owned())
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

    /// The ETag this store gives a body: 16 hex digits of its XXH64 hash.
    pub fn etag(body: &[u8]) -> String {
        let mut h = twox_hash::XxHash64::with_seed(0);
        h.write(body);
        format!("{:016x}", h.finish())
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
    /// Versions are not kept: a named version is taken to be the current content.
    fn get(&self, object: &ObjectRef) -> io::Result<Opened> {
        let url = format!("s3://{}/{}", object.bucket, object.key);
        let Some(body) = self.body(&object.bucket, &object.key) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{url}: no such object"),
            ));
        };
        let etag = Self::etag(&body);
        if let Some(wanted) = object
            .etag
            .as_deref()
            .filter(|_| object.version_id.is_none())
            && wanted != etag
        {
            return Err(io::Error::other(Changed {
                url,
                etag: wanted.to_owned(),
            }));
        }
        Ok(Opened {
            body: Box::new(io::Cursor::new(body)),
            etag,
            version_id: object.version_id.clone(),
        })
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> io::Result<()> {
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

    fn list(&self, bucket: &str, prefix: &str) -> io::Result<Vec<String>> {
        Ok(self.keys(bucket, prefix))
    }

    fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        self.lock().remove(&(bucket.to_owned(), key.to_owned()));
        Ok(())
    }
}
