//! `s3://` paths for `ocsfmap transform`: objects and prefixes as inputs, a prefix as
//! the Parquet output folder. A tokio runtime exists only when a path names S3; the
//! engine runs on ordinary threads and blocks on the runtime's handle for each chunk
//! read and each object written.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ocsfmap_aws::{ObjectInfo, ObjectReader, S3, S3Store, S3Url};
use tokio::runtime::Runtime;

/// Environment variable: the multipart part size in MiB (at least 5; default 16).
const PART_MB_VAR: &str = "OCSFMAP_S3_PART_MB";

/// The S3 client and the runtime that drives its connections.
pub struct Session {
    // Dropped after `s3` (field order), so no request outlives its runtime.
    s3: S3,
    runtime: Runtime,
}

impl Session {
    /// A client from the standard AWS chain (`AWS_ENDPOINT_URL` included).
    pub fn start() -> Result<Session> {
        // Two workers drive the connections while the engine's threads block on them.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ocsfmap-s3")
            .enable_all()
            .build()
            .context("cannot start the S3 client")?;
        let s3 = runtime.block_on(S3::from_env());
        Ok(Session { s3, runtime })
    }

    /// The S3 client.
    pub fn s3(&self) -> &S3 {
        &self.s3
    }

    /// The runtime's handle, to block on from ordinary threads.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// Every object a URL names, without reading any: the object itself (checked with a
    /// HEAD), or those under a prefix in key order, folder markers and empty objects
    /// left out with a note.
    pub fn objects(&self, url: &S3Url) -> Result<Vec<ObjectInfo>> {
        if !url.is_prefix() {
            let info = self
                .runtime
                .block_on(self.s3.head(&url.bucket, &url.key, None))?;
            return Ok(vec![info]);
        }
        let mut objects = self.runtime.block_on(self.s3.list(&url.bucket, &url.key))?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        objects.retain(|info| {
            let keep = !info.key.ends_with('/') && info.size > 0;
            if !keep {
                let what = if info.key.ends_with('/') {
                    "a folder marker, not a log object"
                } else {
                    "empty object"
                };
                eprintln!("ocsfmap: skipped s3://{}/{}: {what}", url.bucket, info.key);
            }
            keep
        });
        if objects.is_empty() {
            bail!("{url}: no objects to read under this prefix");
        }
        Ok(objects)
    }

    /// The objects an input URL names: the object itself, opened now (so a missing one
    /// stops the run before any output), or every object under a prefix in key order,
    /// opened as each is read. Empty objects and folder markers are skipped with a note.
    pub fn inputs(&self, url: &S3Url) -> Result<Vec<Source>> {
        if !url.is_prefix() {
            let reader = ObjectReader::open(
                self.s3.clone(),
                self.runtime.handle().clone(),
                &url.bucket,
                &url.key,
                None,
            )
            .map_err(|e| {
                // The bucket exists but the key does not: perhaps a folder was meant.
                if e.to_string().contains(": NoSuchKey:") {
                    anyhow::anyhow!("{e} (for every object under a prefix, end the URL with `/`)")
                } else {
                    e.into()
                }
            })?;
            let info = reader.info().cloned().unwrap_or_else(|| ObjectInfo {
                key: url.key.clone(),
                size: 0,
                etag: String::new(),
                version_id: None,
            });
            return Ok(vec![Source::Object {
                url: url.to_string(),
                info,
                reader: Box::new(reader),
            }]);
        }
        let objects = self.objects(url)?;
        let mut sources = Vec::with_capacity(objects.len());
        for info in objects {
            let object = S3Url {
                bucket: url.bucket.clone(),
                key: info.key.clone(),
            };
            // Pinned to the ETag listed, which the default file prefix is made from: an
            // object replaced meanwhile is an input error, never new content under the
            // listed name.
            let reader = ObjectReader::lazy(
                self.s3.clone(),
                self.runtime.handle().clone(),
                &url.bucket,
                &info.key,
                None,
            )
            .expecting_etag(Some(&info.etag));
            sources.push(Source::Object {
                url: object.to_string(),
                info,
                reader: Box::new(reader),
            });
        }
        Ok(sources)
    }

    /// A store for Parquet files under `url`, after checking that its bucket exists
    /// (a refusal to say is not an error: writing may still be allowed).
    pub fn store(&self, url: &S3Url) -> Result<S3Store> {
        let head = self
            .runtime
            .block_on(self.s3.client().head_bucket().bucket(&url.bucket).send());
        if let Err(e) = head {
            let e = ocsfmap_aws::s3_error(&url.bucket, &url.key, "cannot write under", &e);
            if e.kind() != std::io::ErrorKind::PermissionDenied {
                return Err(e.into());
            }
        }
        let mut store = S3Store::new(
            self.s3.clone(),
            self.runtime.handle().clone(),
            &url.bucket,
            &url.key,
        );
        if let Some(mb) = std::env::var_os(PART_MB_VAR) {
            let mb = mb
                .to_str()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .filter(|mb| *mb >= ocsfmap_aws::MIN_PART_SIZE >> 20 && *mb <= 5 * 1024);
            let Some(mb) = mb else {
                bail!("{PART_MB_VAR} must be a whole number of MiB from 5 to 5120");
            };
            store = store.with_part_size(mb << 20);
        }
        Ok(store)
    }
}

/// One input, resolved before the run.
pub enum Source {
    Stdin,
    File(PathBuf),
    Object {
        url: String,
        info: ObjectInfo,
        // Boxed: a reader is large, and a long prefix listing holds many of them.
        reader: Box<ObjectReader>,
    },
}

impl Source {
    /// The name the default Parquet file prefix starts with: the file's or the
    /// object's last path segment (`None` for stdin).
    pub fn file_name(&self) -> Option<&str> {
        match self {
            Source::Stdin => None,
            Source::File(p) => p.file_name().and_then(|n| n.to_str()),
            Source::Object { info, .. } => info.key.rsplit('/').next(),
        }
    }
}

/// The S3 URL a command-line path names, if it names one.
pub fn url(path: &Path) -> Result<Option<S3Url>> {
    let Some(s) = path.to_str() else {
        return Ok(None);
    };
    Ok(S3Url::parse(s)?)
}
