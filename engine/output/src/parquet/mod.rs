//! Parquet output for Amazon Security Lake custom sources: one class per file, files
//! under `ext/<source>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/`, rows sorted by
//! `time`, the schema derived from the plan (see [`schema`]).
//!
//! A mapping with one class writes under `ext/<source_name>/`; a mapping with several
//! writes one sub-source per class, `ext/<source_name>-<class name>/` (for example
//! `windows-sysmon-process_activity`).

pub mod columns;
mod lake_key;
mod rows;
pub mod schema;
mod storage;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use self::columns::Column;
pub use self::lake_key::{
    END_EVENT_TIME_MS, LakeKey, MIN_EVENT_TIME_MS, check_event_time, event_day,
};
use self::lake_key::{day_name, day_number};
use self::rows::ClassLayout;
pub use self::rows::ParquetRows;
pub use self::storage::{LocalDir, NotAFolder, Storage};
use ocsfmap_core::Plan;
use ocsfmap_core::mapping::lake::{self, LakeNameError};

/// Compression of Parquet pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Codec {
    #[default]
    Zstd,
    Gzip,
    Snappy,
    None,
}

/// Where and how Parquet files are written.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// The local folder [`ParquetOutput::new`] writes under; a writer made with
    /// [`ParquetOutput::with_storage`] stores its files in its storage instead.
    pub out_dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub codec: Codec,
    /// File names start with this (deterministic for an input: a retry overwrites).
    pub file_prefix: String,
    /// Rows per file at most; a class's rows are written when this many are buffered.
    pub max_rows_per_file: usize,
    /// Bytes of column data the classes buffer together, whatever the number of rows,
    /// before the largest class's rows are written: bounds memory for large records and
    /// for mappings of many classes. At most [`Self::MAX_BUFFER_BYTES`]
    /// (a larger value is taken as that).
    pub max_buffer_bytes: usize,
    pub row_group_rows: usize,
}

impl ParquetOptions {
    pub const DEFAULT_MAX_ROWS_PER_FILE: usize = 250_000;
    pub const DEFAULT_ROW_GROUP_ROWS: usize = 64 * 1024;
    pub const DEFAULT_MAX_BUFFER_BYTES: usize = 128 << 20;
    /// The largest buffer: string columns have 32-bit offsets (Glue's `string` needs
    /// them), so a column holds less than 2 GiB, and the buffer can pass its limit by
    /// one batch of rows before it is written. 1 GiB leaves that batch room.
    pub const MAX_BUFFER_BYTES: usize = 1 << 30;

    /// Options with the default codec (zstd), file size and row groups.
    pub fn new(
        out_dir: impl Into<PathBuf>,
        region: &str,
        account_id: &str,
        file_prefix: &str,
    ) -> Self {
        ParquetOptions {
            out_dir: out_dir.into(),
            region: region.to_owned(),
            account_id: account_id.to_owned(),
            codec: Codec::default(),
            file_prefix: file_prefix.to_owned(),
            max_rows_per_file: Self::DEFAULT_MAX_ROWS_PER_FILE,
            max_buffer_bytes: Self::DEFAULT_MAX_BUFFER_BYTES,
            row_group_rows: Self::DEFAULT_ROW_GROUP_ROWS,
        }
    }
}

/// A configuration that cannot produce a Security Lake layout.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error(transparent)]
    Invalid(#[from] LakeNameError),
    #[error("{path}: {reason}")]
    OutputDir { path: PathBuf, reason: String },
}

impl From<NotAFolder> for LayoutError {
    fn from(e: NotAFolder) -> Self {
        LayoutError::OutputDir {
            path: e.path,
            reason: "the output folder is (or is inside) a file, not a folder".into(),
        }
    }
}

/// The partition values and file prefix, checked before any event is read.
fn check_names(options: &ParquetOptions) -> Result<(), LayoutError> {
    lake::check_account_id(&options.account_id)?;
    lake::check_region(&options.region)?;
    let prefix_ok = !options.file_prefix.is_empty()
        && options
            .file_prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !prefix_ok {
        return Err(LakeNameError {
            what: "file prefix",
            value: options.file_prefix.clone(),
            rule: "letters, digits, `-`, `_` or `.`",
        }
        .into());
    }
    Ok(())
}

/// A class a plan writes, the Security Lake (sub-)source its files go to, and their schema.
#[derive(Debug, Clone)]
pub struct ClassSource {
    pub class_uid: i64,
    pub class_name: String,
    pub source: String,
    pub schema: SchemaRef,
}

/// The classes a plan writes, with their source names and Arrow schemas.
pub fn class_sources(plan: &Plan) -> Result<Vec<ClassSource>, LayoutError> {
    let shapes = plan.shapes();
    let multi = shapes.len() > 1;
    let mut out = Vec::new();
    for (uid, fields) in shapes {
        let Some(class) = plan.schema().class_by_uid(uid) else {
            continue;
        };
        let source = lake::class_source_name(&plan.source_name, &class.name, multi);
        lake::check_source_name(&source)?;
        let schema = Arc::new(schema::class_schema(plan.schema(), class, &fields));
        out.push(ClassSource {
            class_uid: uid,
            class_name: class.name.clone(),
            source,
            schema,
        });
    }
    Ok(out)
}

/// One class's buffered rows and its files.
struct ClassOut {
    source: String,
    /// The rows of the next file: a struct column whose children are the file's columns.
    root: Column,
    /// Files written so far, per eventDay.
    parts: std::collections::BTreeMap<String, u32>,
}

/// Writes events of a plan's classes into Security Lake's layout, each file through a
/// [`Storage`] (by default a local folder). Events are evaluated into [`ParquetRows`]
/// batches (from [`ParquetOutput::new_rows`]) and appended in order.
///
/// A file is encoded in memory, then stored whole. Its bytes are about the size of the
/// column data it is encoded from (less once compressed), which `max_buffer_bytes`
/// bounds (passed by at most one batch of rows) along with `max_rows_per_file`.
pub struct ParquetOutput<S: Storage = LocalDir> {
    options: ParquetOptions,
    layout: Arc<[ClassLayout]>,
    classes: Vec<ClassOut>,
    storage: S,
    written: Vec<S::Location>,
}

impl ParquetOutput<LocalDir> {
    /// Prepares one writer per class the plan can produce, writing under
    /// `options.out_dir`.
    pub fn new(plan: &Plan, options: ParquetOptions) -> Result<Self, LayoutError> {
        check_names(&options)?;
        let storage = LocalDir::new(&options.out_dir)?;
        Self::with_storage(plan, options, storage)
    }
}

impl<S: Storage> ParquetOutput<S> {
    /// Prepares one writer per class the plan can produce, storing files in `storage`.
    pub fn with_storage(
        plan: &Plan,
        mut options: ParquetOptions,
        storage: S,
    ) -> Result<Self, LayoutError> {
        check_names(&options)?;
        options.max_buffer_bytes = options
            .max_buffer_bytes
            .min(ParquetOptions::MAX_BUFFER_BYTES);
        let sources = class_sources(plan)?;
        let layout: Arc<[ClassLayout]> = sources
            .iter()
            .map(|c| ClassLayout::new(c.class_uid, c.schema.clone()))
            .collect();
        let classes = sources
            .into_iter()
            .zip(layout.iter())
            .map(|(c, l)| ClassOut {
                source: c.source,
                root: l.root(),
                parts: std::collections::BTreeMap::default(),
            })
            .collect();
        Ok(ParquetOutput {
            options,
            layout,
            classes,
            storage,
            written: Vec::new(),
        })
    }

    /// Makes empty batches of rows for this output's classes, for the evaluator to fill.
    pub fn new_rows(&self) -> impl Fn() -> ParquetRows + Send + Sync + 'static {
        let layout = Arc::clone(&self.layout);
        move || ParquetRows::new(Arc::clone(&layout))
    }

    /// Appends a batch's rows, in order; a file is written whenever a class holds
    /// `max_rows_per_file` rows, and the largest class's rows whenever the classes hold
    /// `max_buffer_bytes` of column data together (checked after each batch).
    pub fn append(&mut self, batch: &ParquetRows) -> io::Result<()> {
        let max = self.options.max_rows_per_file.max(1);
        for i in 0..self.classes.len() {
            let rows = batch.rows(i);
            if rows == 0 {
                continue;
            }
            // Offsets are 32-bit: write what is buffered before a batch could take a
            // column past them (only a batch far larger than the input's can).
            let adding = batch.classes[i].byte_size();
            if self.classes[i].root.byte_size() + adding > i32::MAX as usize {
                self.flush(i)?;
            }
            let mut start = 0;
            while start < rows {
                let class = &mut self.classes[i];
                let take = (max - class.root.len().min(max)).min(rows - start);
                class.root.append(&batch.classes[i], start..start + take);
                start += take;
                if class.root.len() >= max {
                    self.flush(i)?;
                }
            }
        }
        // One budget for every class: while the buffers together hold
        // `max_buffer_bytes`, the largest is written.
        loop {
            let sizes = self.classes.iter().map(|c| {
                if c.root.is_empty() {
                    0
                } else {
                    c.root.byte_size()
                }
            });
            let (total, largest) =
                sizes
                    .enumerate()
                    .fold((0, (0, 0)), |(total, best), (i, size)| {
                        (total + size, if size > best.1 { (i, size) } else { best })
                    });
            if total < self.options.max_buffer_bytes || largest.1 == 0 {
                return Ok(());
            }
            self.flush(largest.0)?;
        }
    }

    /// Bytes of column data buffered now, all classes together.
    pub fn buffered_bytes(&self) -> usize {
        self.classes
            .iter()
            .filter(|c| !c.root.is_empty())
            .map(|c| c.root.byte_size())
            .sum()
    }

    /// Classes with rows buffered now.
    pub fn buffered_classes(&self) -> usize {
        self.classes.iter().filter(|c| !c.root.is_empty()).count()
    }

    /// Writes what is buffered and returns where every file went, in order.
    pub fn finish(mut self) -> io::Result<Vec<S::Location>> {
        for i in 0..self.classes.len() {
            self.flush(i)?;
        }
        Ok(self.written)
    }

    /// Sorts a class's buffered rows by `time` and writes one file per eventDay.
    fn flush(&mut self, i: usize) -> io::Result<()> {
        let class = &mut self.classes[i];
        if class.root.is_empty() {
            return Ok(());
        }
        let Column::Struct {
            children, valid, ..
        } = &mut class.root
        else {
            unreachable!("a class's rows are a struct column")
        };
        let arrays = children.iter_mut().map(Column::finish).collect();
        valid.clear();
        let schema = self.layout[i].schema.clone();
        let batch = RecordBatch::try_new(schema, arrays).map_err(io::Error::other)?;
        let Some(times) = batch
            .column_by_name("time")
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .cloned()
        else {
            return Err(io::Error::other(
                "no `time` column: Parquet output needs `time`",
            ));
        };
        // Stable sort by time: equal times keep input order, so output is deterministic.
        // Logs mostly arrive in time order; then there is nothing to move.
        let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
        let sorted = if times.values().is_sorted() {
            batch
        } else {
            order.sort_by_key(|&r| times.value(r as usize));
            take_record_batch(&batch, &UInt32Array::from(order.clone()))
                .map_err(io::Error::other)?
        };
        // Rows are sorted, so each day is one run; its name is formatted once.
        let day_at = |row: usize| day_number(times.value(order[row] as usize));
        let mut start = 0;
        while start < sorted.num_rows() {
            let day = day_at(start);
            let mut end = start + 1;
            while end < sorted.num_rows() && day_at(end) == day {
                end += 1;
            }
            // Events outside the partition's years are refused before they are buffered.
            let name = day_name(day).ok_or_else(|| {
                io::Error::other(format!(
                    "`time` {} is outside the years an eventDay partition can hold",
                    times.value(order[start] as usize)
                ))
            })?;
            let part = class.parts.entry(name.clone()).or_insert(0);
            *part += 1;
            let key = LakeKey {
                source: &class.source,
                region: &self.options.region,
                account_id: &self.options.account_id,
                event_day: &name,
                file_prefix: &self.options.file_prefix,
                part: *part,
            }
            .object_key();
            let bytes = encode(&sorted.slice(start, end - start), &self.options)
                .map_err(|e| io::Error::other(format!("cannot encode {key}: {e}")))?;
            self.written.push(self.storage.put(&key, bytes)?);
            start = end;
        }
        Ok(())
    }
}

/// One Parquet file of `batch`'s rows, in memory.
fn encode(
    batch: &RecordBatch,
    options: &ParquetOptions,
) -> Result<Vec<u8>, parquet::errors::ParquetError> {
    let compression = match options.codec {
        Codec::Zstd => Compression::ZSTD(ZstdLevel::default()),
        Codec::Gzip => Compression::GZIP(GzipLevel::default()),
        Codec::Snappy => Compression::SNAPPY,
        Codec::None => Compression::UNCOMPRESSED,
    };
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .set_created_by("ocsfmap".to_owned())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props))?;
    writer.write(batch)?;
    writer.close()?;
    Ok(bytes)
}
