//! [`Objects`] over S3 with the AWS SDK, for the Lambda binary and the queue worker:
//! the handler's blocking threads block on the runtime's handle for each request.

use std::io;

use ocsfmap_aws::{S3, S3Store};
use ocsfmap_output::parquet::Storage;
use tokio::runtime::Handle;

use crate::notify::ObjectRef;
use crate::objects::{Objects, Opened};

/// S3 through the SDK. Call it from threads that do not run async code.
pub struct S3Objects {
    pub s3: S3,
    pub handle: Handle,
}

impl Objects for S3Objects {
    fn get(&self, object: &ObjectRef) -> io::Result<Opened> {
        let version = object.version_id.as_deref();
        // A version pins the content; without one, the notification's ETag does.
        let etag = object.etag.as_deref().filter(|_| version.is_none());
        let reader = self
            .s3
            .reader(&self.handle, &object.bucket, &object.key, version, etag)?;
        let info = reader.info().cloned().unwrap_or_default();
        Ok(Opened {
            body: Box::new(reader),
            etag: info.etag,
            version_id: info.version_id.or_else(|| object.version_id.clone()),
        })
    }

    fn put(&self, bucket: &str, key: &str, body: Vec<u8>) -> io::Result<()> {
        S3Store::new(self.s3.clone(), self.handle.clone(), bucket, "")
            .put(key, body)
            .map(drop)
    }

    fn list(&self, bucket: &str, prefix: &str) -> io::Result<Vec<String>> {
        let objects = self.handle.block_on(self.s3.list(bucket, prefix))?;
        Ok(objects.into_iter().map(|o| o.key).collect())
    }

    fn delete(&self, bucket: &str, key: &str) -> io::Result<()> {
        self.handle.block_on(self.s3.delete(bucket, key))
    }
}
