//! One run of the engine for the handler: inputs through a plan into Parquet files in
//! the lake bucket, and every record set aside into JSON lines objects.

use std::io;
use std::time::Instant;

use ocsfmap_core::Plan;
use ocsfmap_core::run::{self, Input, Outputs, RunOptions, SetAside, Stats};
use ocsfmap_output::parquet::{ParquetOptions, ParquetOutput, ParquetRows};

use crate::naming;
use crate::objects::{BucketStorage, Objects};

/// A set-aside object is stored, and a new part started, once it holds this much: the
/// records of a huge object are never all held at once.
pub const SET_ASIDE_PART_BYTES: usize = 32 << 20;

/// Collects set-aside records as JSON lines (the fields `ocsfmap transform --rejects`
/// writes) and stores them in parts under `<base>.rejects*.jsonl`.
pub struct SetAsideWriter<'a> {
    objects: &'a dyn Objects,
    bucket: &'a str,
    base: String,
    buf: Vec<u8>,
    part: u32,
    pub records: u64,
    pub stored: Vec<String>,
}

impl<'a> SetAsideWriter<'a> {
    pub fn new(objects: &'a dyn Objects, bucket: &'a str, base: String) -> Self {
        SetAsideWriter {
            objects,
            bucket,
            base,
            buf: Vec::new(),
            part: 0,
            records: 0,
            stored: Vec::new(),
        }
    }

    pub fn push(&mut self, item: &SetAside) -> io::Result<()> {
        serde_json::to_writer(&mut self.buf, item)?;
        self.buf.push(b'\n');
        self.records += 1;
        if self.buf.len() >= SET_ASIDE_PART_BYTES {
            self.store()?;
        }
        Ok(())
    }

    fn store(&mut self) -> io::Result<()> {
        self.part += 1;
        let key = naming::set_aside_key(&self.base, self.part);
        let body = std::mem::take(&mut self.buf);
        self.objects.put(self.bucket, &key, body)?;
        self.stored.push(format!("s3://{}/{key}", self.bucket));
        Ok(())
    }

    /// Stores what is left; nothing is stored when nothing was set aside.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.store()
    }
}

/// Where a run's Parquet goes.
pub struct LakeTarget<'a> {
    pub objects: &'a dyn Objects,
    pub bucket: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    pub file_prefix: &'a str,
    pub max_buffer_bytes: usize,
    /// When to give up, so that the invocation can still answer in time.
    pub stop_at: Option<Instant>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Ran {
    pub stats: Stats,
    /// Bytes read from the inputs (after gzip).
    pub bytes: u64,
    /// The `s3://` URLs of the Parquet files written.
    pub files: Vec<String>,
}

/// Runs `plan` over `inputs` into the lake; records set aside go to `set_aside` (the
/// caller finishes it, so several runs can share one). An
/// error means results could not be written (or the partition values are refused):
/// the counts so far come with it.
pub fn run_into_lake(
    plan: &Plan,
    inputs: Vec<Input>,
    pool: Option<&rayon::ThreadPool>,
    target: &LakeTarget,
    set_aside: &mut SetAsideWriter,
) -> Result<Ran, (Ran, String)> {
    let mut options = ParquetOptions::new("", target.region, target.account_id, target.file_prefix);
    options.max_buffer_bytes = target.max_buffer_bytes;
    let storage = BucketStorage {
        objects: target.objects,
        bucket: target.bucket,
    };
    let mut parquet = ParquetOutput::with_storage(plan, options, storage)
        .map_err(|e| (Ran::default(), format!("cannot write Parquet: {e}")))?;
    let new_rows = parquet.new_rows();
    let mut bytes = 0;
    let result = run::run(
        plan,
        inputs,
        RunOptions {
            pool,
            validate: false,
        },
        &mut Outputs {
            new_buffer: &new_rows,
            events: &mut |batch: &mut ParquetRows| {
                if target.stop_at.is_some_and(|at| Instant::now() >= at) {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "stopped: the invocation's time is nearly up (a retry starts over)",
                    ));
                }
                parquet.append(batch)
            },
            set_aside: &mut |item: &SetAside| set_aside.push(item),
            progress: &mut |_, b| bytes = b,
        },
    );
    let (stats, stopped) = match result {
        Ok(stats) => (stats, None),
        Err(run::Interrupted { stats, error }) => (stats, Some(error)),
    };
    let mut ran = Ran {
        stats,
        bytes,
        files: Vec::new(),
    };
    if let Some(e) = stopped {
        return Err((ran, format!("results could not be written: {e}")));
    }
    let keys = match parquet.finish() {
        Ok(keys) => keys,
        Err(e) => return Err((ran, format!("Parquet could not be written: {e}"))),
    };
    if let Err(e) = remove_stale_parts(target, &keys) {
        return Err((ran, format!("earlier files could not be removed: {e}")));
    }
    ran.files = keys
        .iter()
        .map(|k| format!("s3://{}/{k}", target.bucket))
        .collect();
    Ok(ran)
}

/// Deletes the files an earlier attempt of the same input left beyond this run's last
/// part. Part boundaries follow the buffer budget (the function's memory) and the
/// batches, so a retry may write fewer parts than the attempt before it; every file of
/// this input sits beside one of this run's, under its day's folder and file prefix.
fn remove_stale_parts(target: &LakeTarget, written: &[String]) -> io::Result<()> {
    let mut folders: Vec<&str> = written
        .iter()
        .filter_map(|k| k.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    folders.sort_unstable();
    folders.dedup();
    for folder in folders {
        let prefix = format!("{folder}/{}-", target.file_prefix);
        for key in target.objects.list(target.bucket, &prefix)? {
            let Some(part) = key.strip_prefix(&prefix) else {
                continue;
            };
            let is_part = part
                .strip_suffix(".parquet")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if is_part && !written.contains(&key) {
                target.objects.delete(target.bucket, &key)?;
            }
        }
    }
    Ok(())
}
