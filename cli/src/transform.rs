//! `ocsfmap transform`: inputs -> mapping -> JSON lines, with rejects and stats.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ocsfmap_core::EventBuffer;
use ocsfmap_core::run::{self, Input, Outputs, SetAside, Stats};
use ocsfmap_core::{Plan, mapping};
use ocsfmap_output::JsonLines;
use ocsfmap_output::parquet::{Codec, ParquetOptions, ParquetOutput, ParquetRows, Storage};

use crate::s3::{self, Source};

#[derive(clap::Args)]
pub struct Args {
    /// Mapping file (JSON or YAML).
    #[arg(long, short, value_name = "FILE")]
    mapping: PathBuf,
    /// Input files (JSON lines, JSON documents or arrays, gzip or not); `-` or none reads
    /// stdin; `s3://bucket/key` reads an object, `s3://bucket/prefix/` every object under it.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Write events here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write one JSON line per rejected or unrouted record here (input, line, reason, raw record).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Write the run's counts here as JSON.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Worker threads (default: all cores; 1 runs in the calling thread).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Parse this string field's `Key: Value` lines into an object before mapping
    /// (for published mappings whose preprocessor did so). Repeatable.
    #[arg(long = "key-value-field", value_name = "PATH")]
    key_value_fields: Vec<String>,
    /// What a value that cannot be coerced to its attribute's type does: `reject` the
    /// event (default), or move the value to `unmapped` and keep the event.
    #[arg(long, value_name = "POLICY", value_parser = ["reject", "unmapped"])]
    on_type_error: Option<String>,
    /// Check every event against its OCSF class (types, enums, required attributes,
    /// constraints, profiles); events that break it are rejected with the reasons.
    #[arg(long)]
    validate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: OutputFormat,
    /// Parquet: the folder (or `s3://bucket/prefix`) under which
    /// `ext/<source>/region=.../accountId=.../eventDay=.../` goes.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Parquet: the `region=` partition (default: the mapping's security_lake.region).
    #[arg(long)]
    region: Option<String>,
    /// Parquet: the `accountId=` partition (default: the mapping's security_lake.account_id).
    #[arg(long)]
    account_id: Option<String>,
    /// Parquet: page compression.
    #[arg(long, value_enum, default_value = "zstd")]
    compression: CompressionArg,
    /// Parquet: rows per file at most.
    #[arg(long, value_name = "N", default_value_t = ParquetOptions::DEFAULT_MAX_ROWS_PER_FILE)]
    max_rows_per_file: usize,
    /// Parquet: MiB of rows the classes buffer together before the largest class's file
    /// is written, however few rows that is (bounds memory for large records); 1 to 1024.
    #[arg(long, value_name = "MIB", default_value_t = ParquetOptions::DEFAULT_MAX_BUFFER_BYTES >> 20)]
    max_buffer_mb: usize,
    /// Parquet: file names start with this (default: the first input's name and a digest of
    /// the inputs' paths, sizes and modification times).
    #[arg(long, value_name = "NAME")]
    file_prefix: Option<String>,
}

/// Compiles a mapping file as it is, printing its warnings; errors are returned.
pub fn compile_mapping(path: &std::path::Path) -> Result<Plan> {
    compile_file(path, &ocsfmap_lint::load_mapping_file(path)?)
}

/// Compiles a mapping file with the options that change it, printing its warnings.
pub fn load_plan(path: &std::path::Path, args: &Args) -> Result<Plan> {
    let mut file = ocsfmap_lint::load_mapping_file(path)?;
    let src = &mut file.custom_source_events;
    src.input
        .key_value_fields
        .extend(args.key_value_fields.iter().cloned());
    match args.on_type_error.as_deref() {
        Some("reject") => src.on_type_error = mapping::OnTypeError::Reject,
        Some("unmapped") => src.on_type_error = mapping::OnTypeError::Unmapped,
        _ => {}
    }
    compile_file(path, &file)
}

fn compile_file(path: &std::path::Path, file: &mapping::MappingFile) -> Result<Plan> {
    let name = path.display();
    match ocsfmap_core::compile(file) {
        Ok(plan) => {
            for w in &plan.warnings {
                eprintln!("{name}: {w}");
            }
            Ok(plan)
        }
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{name}: {d}");
            }
            let errors = e
                .diagnostics
                .iter()
                .filter(|d| d.severity == ocsfmap_core::Severity::Error)
                .count();
            bail!("{name}: the mapping has {errors} error(s)");
        }
    }
}

/// Worker threads at most: more cannot help and only cost memory.
const MAX_THREADS: usize = 1024;

pub fn run(args: &Args) -> Result<ExitCode> {
    check_paths(args)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if !(1..=MAX_THREADS).contains(&threads) {
        bail!("--threads must be between 1 and {MAX_THREADS}, not {threads}");
    }
    let plan = load_plan(&args.mapping, args)?;
    let s3_out = match &args.output_dir {
        Some(dir) => s3::url(dir)?,
        None => None,
    };
    let s3_in = args
        .inputs
        .iter()
        .map(|p| s3::url(p))
        .collect::<Result<Vec<_>>>()?;
    // The S3 client (and its runtime) exists only for runs that name S3.
    let session = if s3_out.is_some() || s3_in.iter().any(Option::is_some) {
        Some(s3::Session::start()?)
    } else {
        None
    };
    let sources = resolve_inputs(&args.inputs, &s3_in, session.as_ref())?;
    let started = Instant::now();
    let (stats, stopped, files) = match args.format {
        OutputFormat::Jsonl => {
            if args.output_dir.is_some() {
                bail!("--output-dir is for --format parquet; JSON lines go to --output or stdout");
            }
            let mut events: Box<dyn Write> = match &args.output {
                Some(p) => Box::new(BufWriter::with_capacity(1 << 20, create(p)?)),
                None => Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock())),
            };
            let (stats, mut stopped) = execute(
                &plan,
                args,
                threads,
                sources,
                &JsonLines::new,
                &mut |batch: &mut JsonLines| events.write_all(&batch.buf),
            )?;
            if let Err(e) = events.flush() {
                stopped.get_or_insert(e);
            }
            (stats, stopped, None)
        }
        OutputFormat::Parquet => {
            let options = parquet_options(&plan, args, &sources)?;
            if let (Some(url), Some(session)) = (&s3_out, &session) {
                let store = session.store(url)?;
                let parquet = ParquetOutput::with_storage(&plan, options, store)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                execute_parquet(&plan, args, threads, sources, parquet)?
            } else {
                let parquet =
                    ParquetOutput::new(&plan, options).map_err(|e| anyhow::anyhow!("{e}"))?;
                execute_parquet(&plan, args, threads, sources, parquet)?
            }
        }
    };
    if let Some(path) = &args.stats {
        let mut w = create(path)?;
        serde_json::to_writer(&mut w, &stats)?;
        w.write_all(b"\n")?;
    }
    let line = summary(&stats, started.elapsed());
    match (files, &args.output_dir) {
        (Some(files), Some(dir)) => {
            eprintln!("{line}; {files} Parquet file(s) under {}", dir.display());
        }
        _ => eprintln!("{line}"),
    }
    if let Some(e) = stopped {
        // A run that could not write all its results did not read all its input:
        // never let it pass for a complete one.
        let what = if e.kind() == io::ErrorKind::BrokenPipe {
            "the output was closed before the run ended".to_owned()
        } else {
            format!("results could not be written: {e}")
        };
        eprintln!(
            "ocsfmap: error: {what}; stopped after reading {} records (exit 3)",
            stats.input
        );
        return Ok(ExitCode::from(3));
    }
    if stats.incomplete_inputs > 0 {
        eprintln!(
            "ocsfmap: {} input(s) could not be read to the end (see the rejects)",
            stats.incomplete_inputs
        );
    }
    Ok(if stats.rejected + stats.unrouted > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes Parquet through `parquet`; returns the counts, why the run stopped early (if
/// it did) and how many files were written.
fn execute_parquet<S: Storage>(
    plan: &Plan,
    args: &Args,
    threads: usize,
    sources: Vec<Source>,
    mut parquet: ParquetOutput<S>,
) -> Result<(Stats, Option<io::Error>, Option<usize>)> {
    let new_rows = parquet.new_rows();
    let (stats, stopped) = execute(
        plan,
        args,
        threads,
        sources,
        &new_rows,
        &mut |batch: &mut ParquetRows| parquet.append(batch),
    )?;
    let files = match parquet.finish() {
        Ok(files) => Some(files.len()),
        Err(e) if stopped.is_none() => return Err(e.into()),
        Err(_) => None,
    };
    Ok((stats, stopped, files))
}

/// The inputs of the run in order: stdin, files, and the objects S3 URLs name (listed
/// and checked now, so a missing bucket or object stops the run before any output).
fn resolve_inputs(
    paths: &[PathBuf],
    urls: &[Option<ocsfmap_aws::S3Url>],
    session: Option<&s3::Session>,
) -> Result<Vec<Source>> {
    if paths.is_empty() {
        return Ok(vec![Source::Stdin]);
    }
    let mut sources = Vec::with_capacity(paths.len());
    for (path, url) in paths.iter().zip(urls) {
        match (url, session) {
            (Some(url), Some(session)) => sources.extend(session.inputs(url)?),
            _ if path.as_os_str() == "-" => sources.push(Source::Stdin),
            _ => sources.push(Source::File(path.clone())),
        }
    }
    Ok(sources)
}

/// Refuses an output path that names an input (creating it would empty the input
/// before it is read), and S3 URLs where only local files can go.
fn check_paths(args: &Args) -> Result<()> {
    let outputs = [
        ("--output", args.output.as_ref()),
        ("--rejects", args.rejects.as_ref()),
        ("--stats", args.stats.as_ref()),
    ];
    for (option, path) in outputs {
        let Some(path) = path else { continue };
        if s3::url(path)?.is_some() {
            bail!(
                "{option} {}: this file must be local (S3 takes Parquet through --output-dir; JSON lines can be piped from stdout to `aws s3 cp - URL`)",
                path.display()
            );
        }
        let Ok(out) = std::fs::canonicalize(path) else {
            continue;
        };
        for input in args.inputs.iter().chain([&args.mapping]) {
            if std::fs::canonicalize(input).is_ok_and(|i| i == out) {
                bail!(
                    "{option} {} is also an input: writing it would destroy it before it is read",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// Runs the plan over the inputs into `events`, writing rejects and showing progress.
/// Returns the counts and, when results could not be written, why the run stopped.
fn execute<B: EventBuffer>(
    plan: &Plan,
    args: &Args,
    threads: usize,
    sources: Vec<Source>,
    new_buffer: &(dyn Fn() -> B + Sync),
    events: &mut dyn FnMut(&mut B) -> io::Result<()>,
) -> Result<(Stats, Option<io::Error>)> {
    let inputs = open_inputs(sources)?;
    let mut rejects = args
        .rejects
        .as_ref()
        .map(|p| create(p).map(BufWriter::new))
        .transpose()?;
    let mut set_aside = |item: &SetAside| -> io::Result<()> {
        if let Some(w) = rejects.as_mut() {
            serde_json::to_writer(&mut *w, item)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    };
    let bar = progress_bar();
    let mut progress = |records: u64, bytes: u64| {
        if let Some(bar) = &bar {
            bar.set_message(format!(
                "{records} records, {:.1} MB read",
                bytes as f64 / 1e6
            ));
        }
    };
    let pool = if threads > 1 {
        Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .context("cannot start worker threads")?,
        )
    } else {
        None
    };
    let result = run::run(
        plan,
        inputs,
        run::RunOptions {
            pool: pool.as_ref(),
            validate: args.validate,
        },
        &mut Outputs {
            new_buffer,
            events,
            set_aside: &mut set_aside,
            progress: &mut progress,
        },
    );
    let (stats, mut stopped) = match result {
        Ok(stats) => (stats, None),
        Err(run::Interrupted { stats, error }) => (stats, Some(error)),
    };
    if let Some(mut w) = rejects.take()
        && let Err(e) = w.flush()
    {
        stopped.get_or_insert(e);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok((stats, stopped))
}

/// Parquet settings from the options, falling back to the mapping's `security_lake`.
fn parquet_options(plan: &Plan, args: &Args, sources: &[Source]) -> Result<ParquetOptions> {
    if args.output.is_some() {
        bail!("--output is for JSON lines; Parquet files go under --output-dir");
    }
    let Some(out_dir) = args.output_dir.clone() else {
        bail!("--format parquet needs --output-dir");
    };
    let region = args
        .region
        .clone()
        .or_else(|| plan.security_lake.region.clone());
    let account_id = args
        .account_id
        .clone()
        .or_else(|| plan.security_lake.account_id.clone());
    let (Some(region), Some(account_id)) = (region, account_id) else {
        bail!(
            "--format parquet needs --region and --account-id (or security_lake.region and security_lake.account_id in the mapping)"
        );
    };
    let most_mb = ParquetOptions::MAX_BUFFER_BYTES >> 20;
    if args.max_buffer_mb > most_mb {
        bail!(
            "--max-buffer-mb {} is more than {most_mb}, the most the classes can buffer (a Parquet string column holds less than 2 GiB)",
            args.max_buffer_mb
        );
    }
    let file_prefix = args
        .file_prefix
        .clone()
        .unwrap_or_else(|| default_prefix(sources));
    Ok(ParquetOptions {
        codec: args.compression.into(),
        max_rows_per_file: args.max_rows_per_file.max(1),
        max_buffer_bytes: args.max_buffer_mb.max(1) << 20,
        ..ParquetOptions::new(out_dir, &region, &account_id, &file_prefix)
    })
}

/// The first input's name without its extensions (`sysmon.jsonl.gz` -> `sysmon`) and
/// a digest of which inputs these are: their full paths, sizes and modification times
/// (for S3 objects: their URLs, sizes and ETags).
/// A second run over the same unchanged inputs overwrites the same files (a retry
/// never duplicates rows); a run over other inputs with the same name, or over a file
/// rewritten since, never overwrites another run's files.
fn default_prefix(inputs: &[Source]) -> String {
    let name = inputs
        .iter()
        .find(|s| !matches!(s, Source::Stdin))
        .and_then(Source::file_name)
        .map_or("stdin", |n| n.split('.').next().unwrap_or(n));
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = if clean.is_empty() {
        "events".to_owned()
    } else {
        clean
    };
    format!("{clean}-{:08x}", inputs_digest(inputs))
}

fn inputs_digest(inputs: &[Source]) -> u32 {
    let mut digest = crc32fast::Hasher::new();
    for input in inputs {
        let input = match input {
            Source::Stdin => {
                // Standard input cannot be read twice: each run gets its own files.
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                digest.update(&now.as_nanos().to_le_bytes());
                digest.update(&std::process::id().to_le_bytes());
                continue;
            }
            Source::Object { url, info, .. } => {
                // An object rewritten since has another ETag (and usually size).
                digest.update(url.as_bytes());
                digest.update(b"\0");
                digest.update(&info.size.to_le_bytes());
                digest.update(info.etag.as_bytes());
                continue;
            }
            Source::File(path) => path,
        };
        let path = std::fs::canonicalize(input).unwrap_or_else(|_| input.clone());
        digest.update(path.as_os_str().as_encoded_bytes());
        digest.update(b"\0");
        if let Ok(meta) = std::fs::metadata(&path) {
            digest.update(&meta.len().to_le_bytes());
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            digest.update(&modified.as_nanos().to_le_bytes());
        }
    }
    if inputs.is_empty() {
        return inputs_digest(&[Source::Stdin]);
    }
    digest.finalize()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON event per line.
    Jsonl,
    /// Parquet files in Amazon Security Lake's layout.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompressionArg {
    Zstd,
    Gzip,
    Snappy,
    None,
}

impl From<CompressionArg> for Codec {
    fn from(c: CompressionArg) -> Codec {
        match c {
            CompressionArg::Zstd => Codec::Zstd,
            CompressionArg::Gzip => Codec::Gzip,
            CompressionArg::Snappy => Codec::Snappy,
            CompressionArg::None => Codec::None,
        }
    }
}

fn summary(s: &Stats, elapsed: std::time::Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.input as f64 / secs
    } else {
        0.0
    };
    let peak = peak_memory_mb().map_or(String::new(), |mb| format!(", peak memory {mb} MB"));
    format!(
        "ocsfmap: {} records: {} output, {} dropped, {} rejected, {} unrouted ({secs:.2}s, {rate:.0} records/s{peak})",
        s.input, s.output, s.dropped, s.rejected, s.unrouted
    )
}

/// The process's peak resident memory, where the system reports it (Linux).
fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.div_ceil(1024))
}

fn create(path: &PathBuf) -> Result<File> {
    File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

fn open_inputs(sources: Vec<Source>) -> Result<Vec<Input>> {
    sources
        .into_iter()
        .map(|s| match s {
            Source::Stdin => Ok(Input {
                name: "-".into(),
                reader: Box::new(io::stdin()),
            }),
            Source::File(p) => {
                let file =
                    File::open(&p).with_context(|| format!("cannot open {}", p.display()))?;
                Ok(Input {
                    name: p.display().to_string(),
                    reader: Box::new(file),
                })
            }
            Source::Object { url, reader, .. } => Ok(Input { name: url, reader }),
        })
        .collect()
}

/// A progress line on a terminal (records and bytes so far); nothing when stderr is
/// redirected. Inputs may be compressed or streamed, so there is no honest total.
fn progress_bar() -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}
