//! Parquet output for Amazon Security Lake custom sources: one class per file, files
//! under `ext/<source>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/`, rows sorted by
//! `time`, the schema derived from the plan (see [`schema`]).
//!
//! A mapping with one class writes under `ext/<source_name>/`; a mapping with several
//! writes one sub-source per class, `ext/<source_name>-<class name>/` (for example
//! `windows-sysmon-process_activity`).

pub mod columns;
mod rows;
pub mod schema;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;

use self::columns::Column;
use self::rows::ClassLayout;
pub use self::rows::ParquetRows;
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
    pub out_dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub codec: Codec,
    /// File names start with this (deterministic for an input: a retry overwrites).
    pub file_prefix: String,
    /// Rows per file at most; a class's rows are written when this many are buffered.
    pub max_rows_per_file: usize,
    /// Bytes of column data a class buffers before its rows are written, whatever their
    /// number: bounds memory for large records.
    pub max_buffer_bytes: usize,
    pub row_group_rows: usize,
}

impl ParquetOptions {
    pub const DEFAULT_MAX_ROWS_PER_FILE: usize = 250_000;
    pub const DEFAULT_ROW_GROUP_ROWS: usize = 64 * 1024;
    pub const DEFAULT_MAX_BUFFER_BYTES: usize = 128 << 20;

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

fn check_layout(options: &ParquetOptions) -> Result<(), LayoutError> {
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
    // Found before any event is read: an output folder that is a file.
    if let Some(file) = options.out_dir.ancestors().find(|p| p.is_file()) {
        return Err(LayoutError::OutputDir {
            path: file.to_owned(),
            reason: "the output folder is (or is inside) a file, not a folder".into(),
        });
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

/// Writes events of a plan's classes into Security Lake's layout. Events are evaluated
/// into [`ParquetRows`] batches (from [`ParquetOutput::new_rows`]) and appended in order.
pub struct ParquetOutput {
    options: ParquetOptions,
    layout: Arc<[ClassLayout]>,
    classes: Vec<ClassOut>,
    written: Vec<PathBuf>,
}

impl ParquetOutput {
    /// Prepares one writer per class the plan can produce.
    pub fn new(plan: &Plan, options: ParquetOptions) -> Result<Self, LayoutError> {
        check_layout(&options)?;
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
            written: Vec::new(),
        })
    }

    /// Makes empty batches of rows for this output's classes, for the evaluator to fill.
    pub fn new_rows(&self) -> impl Fn() -> ParquetRows + Send + Sync + 'static {
        let layout = Arc::clone(&self.layout);
        move || ParquetRows::new(Arc::clone(&layout))
    }

    /// Appends a batch's rows, in order; a file is written whenever a class holds
    /// `max_rows_per_file` rows, or `max_buffer_bytes` of column data (checked after each
    /// batch).
    pub fn append(&mut self, batch: &ParquetRows) -> io::Result<()> {
        let max = self.options.max_rows_per_file.max(1);
        for i in 0..self.classes.len() {
            let rows = batch.rows(i);
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
            if self.classes[i].root.byte_size() >= self.options.max_buffer_bytes {
                self.flush(i)?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered and returns every file written, in order.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
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
            let dir = self
                .options
                .out_dir
                .join("ext")
                .join(&class.source)
                .join(format!("region={}", self.options.region))
                .join(format!("accountId={}", self.options.account_id))
                .join(format!("eventDay={name}"));
            let path = dir.join(format!("{}-{:05}.parquet", self.options.file_prefix, part));
            write_file(&path, &sorted.slice(start, end - start), &self.options)?;
            self.written.push(path);
            start = end;
        }
        Ok(())
    }
}

const MS_PER_DAY: i64 = 86_400_000;
/// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in epoch milliseconds: the times whose
/// UTC day fits `eventDay=YYYYMMDD`.
pub const MIN_EVENT_TIME_MS: i64 = -719_528 * MS_PER_DAY;
pub const END_EVENT_TIME_MS: i64 = 2_932_897 * MS_PER_DAY;

/// Days since 1970-01-01 (UTC) of epoch milliseconds.
fn day_number(ms: i64) -> i64 {
    ms.div_euclid(MS_PER_DAY)
}

/// `YYYYMMDD` of a day number, when its year is 0000 to 9999.
fn day_name(day: i64) -> Option<String> {
    if !(MIN_EVENT_TIME_MS / MS_PER_DAY..END_EVENT_TIME_MS / MS_PER_DAY).contains(&day) {
        return None;
    }
    // 719_163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    let date = chrono::NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).ok()?)?;
    Some(date.format("%Y%m%d").to_string())
}

/// Whether a `time` (epoch milliseconds) has an `eventDay` partition: only years 0000
/// to 9999 fit `YYYYMMDD`, and a time outside them is almost always a unit or parsing
/// mistake, never to be filed under another day. The error names `time` and its value.
pub fn check_event_time(ms: i64) -> Result<(), String> {
    if (MIN_EVENT_TIME_MS..END_EVENT_TIME_MS).contains(&ms) {
        return Ok(());
    }
    let readable = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| format!(" ({})", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")))
        .unwrap_or_default();
    Err(format!(
        "`time` is {ms}{readable}: outside the years 0000 to 9999 that an eventDay=YYYYMMDD partition can hold"
    ))
}

/// The `eventDay` partition (`YYYYMMDD`, UTC) of a `time` in epoch milliseconds.
pub fn event_day(ms: i64) -> Result<String, String> {
    check_event_time(ms)?;
    day_name(day_number(ms)).ok_or_else(|| format!("`time` is {ms}: no calendar day"))
}

fn write_file(path: &Path, batch: &RecordBatch, options: &ParquetOptions) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
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
    // Written beside and renamed, so a reader never sees half a file.
    let tmp = path.with_extension("parquet.tmp");
    let file = File::create(&tmp).map_err(|e| at(&tmp, "cannot create", &e))?;
    let write = |e: parquet::errors::ParquetError| at(&tmp, "cannot write", &io::Error::other(e));
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(write)?;
    writer.write(batch).map_err(write)?;
    writer.close().map_err(write)?;
    std::fs::rename(&tmp, path).map_err(|e| at(path, "cannot rename the finished file to", &e))
}

/// Creates a partition folder; an error names the path that failed: the part of the
/// path that exists but is not a folder, or else the folder that could not be made.
fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let not_a_folder = dir
            .ancestors()
            .find(|p| p.exists() && !p.is_dir() && !p.as_os_str().is_empty());
        if let Some(file) = not_a_folder {
            return io::Error::new(
                e.kind(),
                format!(
                    "{}: is a file, not a folder (needed for {})",
                    file.display(),
                    dir.display()
                ),
            );
        }
        // The outermost folder that is missing is the one that could not be made.
        let missing = dir
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
            .last()
            .unwrap_or(dir);
        at(missing, "cannot create the folder", &e)
    })
}

/// An I/O error that names its path.
fn at(path: &Path, what: &str, e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}
