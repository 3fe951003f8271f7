//! Running a plan over inputs: records are read in batches, evaluated on a thread
//! pool, and written in input order. Every record ends up counted exactly once.

use std::io::{self, Read};

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::{Code, Rejection};
use crate::event::EventBuffer;
use crate::input::{Found, Position, RecordReader};
use crate::plan::{Outcome, Plan};

/// Records per batch handed to the pool, and bytes after which a batch is cut early.
const BATCH_RECORDS: usize = 8192;
const BATCH_BYTES: usize = 8 << 20;

/// Per-run counts. Always `input == output + dropped + rejected + unrouted`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub input: u64,
    pub output: u64,
    pub dropped: u64,
    pub rejected: u64,
    pub unrouted: u64,
    /// Inputs that could not be read to their end (a read error, a broken gzip stream);
    /// what was read before the break is counted above.
    #[serde(skip_serializing_if = "is_zero")]
    pub incomplete_inputs: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A run stopped early because its results could not be written (a closed pipe, a
/// full disk): the counts of what was read until then, and the failure.
#[derive(Debug)]
pub struct Interrupted {
    pub stats: Stats,
    pub error: io::Error,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "results could not be written ({}); the run stopped after reading {} records",
            self.error, self.stats.input
        )
    }
}

impl std::error::Error for Interrupted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.input += other.input;
        self.output += other.output;
        self.dropped += other.dropped;
        self.rejected += other.rejected;
        self.unrouted += other.unrouted;
        self.incomplete_inputs += other.incomplete_inputs;
    }
}

/// A record that was not output: rejected (with the reason) or unrouted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAside {
    /// The input's name (a path, or `-` for stdin).
    pub input: String,
    pub line: u64,
    pub record: u64,
    pub kind: SetAsideKind,
    /// The registry code of the reason (`OM1xx`): what kind of problem it is.
    pub code: Code,
    pub reason: String,
    /// The record as read (invalid UTF-8 replaced).
    pub raw: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideKind {
    Rejected,
    Unrouted,
}

/// One input stream and the name used in messages.
pub struct Input {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
}

/// Where results go. `progress` is called after each batch with the records and
/// bytes read so far.
pub struct Outputs<'o, B> {
    /// Makes an empty event buffer (batches are evaluated into several, reused).
    pub new_buffer: &'o (dyn Fn() -> B + Sync),
    /// Receives each batch of events, in input order.
    pub events: &'o mut dyn FnMut(&mut B) -> io::Result<()>,
    pub set_aside: &'o mut dyn FnMut(&SetAside) -> io::Result<()>,
    pub progress: &'o mut dyn FnMut(u64, u64),
}

/// How a run goes.
#[derive(Default, Clone, Copy)]
pub struct RunOptions<'p> {
    /// Worker threads; `None` evaluates in the calling thread.
    pub pool: Option<&'p rayon::ThreadPool>,
    /// Check every event against its OCSF class; an invalid event is rejected.
    pub validate: bool,
}

/// Runs `plan` over `inputs`. Every input is read to its end unless the results
/// cannot be written, which stops the run with the counts so far.
pub fn run<B: EventBuffer>(
    plan: &Plan,
    inputs: Vec<Input>,
    options: RunOptions,
    out: &mut Outputs<B>,
) -> Result<Stats, Interrupted> {
    let mut stats = Stats::default();
    match run_inputs(plan, inputs, options, out, &mut stats) {
        Ok(()) => Ok(stats),
        Err(error) => Err(Interrupted { stats, error }),
    }
}

fn run_inputs<B: EventBuffer>(
    plan: &Plan,
    inputs: Vec<Input>,
    options: RunOptions,
    out: &mut Outputs<B>,
    stats: &mut Stats,
) -> io::Result<()> {
    let pool = options.pool;
    // Batches and output buffers are reused: fresh multi-megabyte buffers per batch
    // would cost page faults and zeroing on every one.
    let (mut batch, mut next) = (Batch::default(), Batch::default());
    let mut buffers: Vec<B> = Vec::new();
    let mut bytes_before = 0;
    for input in inputs {
        let name = input.name;
        let mut reader = match RecordReader::new(input.reader, &plan.input) {
            Ok(r) => r,
            Err(e) => {
                stats.input += 1;
                stats.rejected += 1;
                stats.incomplete_inputs += 1;
                (out.set_aside)(&input_failure(&name, Position::default(), &e))?;
                continue;
            }
        };
        let mut failure = batch.fill(&mut reader).err();
        while !batch.is_empty() {
            next.clear();
            // After a read failure the stream is not read again.
            let stopped = failure.is_some();
            let mut fill = || {
                if stopped {
                    Ok(())
                } else {
                    next.fill(&mut reader)
                }
            };
            let (results, read) = match pool {
                Some(pool) => pool.install(|| {
                    rayon::join(
                        || {
                            batch.eval(
                                plan,
                                &name,
                                true,
                                options.validate,
                                &mut buffers,
                                out.new_buffer,
                            )
                        },
                        fill,
                    )
                }),
                None => (
                    batch.eval(
                        plan,
                        &name,
                        false,
                        options.validate,
                        &mut buffers,
                        out.new_buffer,
                    ),
                    fill(),
                ),
            };
            for (chunk, buffer) in results.iter().zip(buffers.iter_mut()) {
                stats.add(&chunk.stats);
                (out.events)(buffer)?;
                for item in &chunk.set_aside {
                    (out.set_aside)(item)?;
                }
            }
            (out.progress)(stats.input, bytes_before + reader.bytes_read());
            if let Err(e) = read {
                failure = Some(e);
            }
            std::mem::swap(&mut batch, &mut next);
        }
        if let Some(e) = failure {
            // A broken stream (a truncated gzip member, a read error) ends this input:
            // the failure is one rejected entry, and the run goes on with the next input.
            stats.input += 1;
            stats.rejected += 1;
            (out.set_aside)(&input_failure(&name, reader.position(), &e))?;
        }
        if reader.broke_off() {
            stats.incomplete_inputs += 1;
        }
        bytes_before += reader.bytes_read();
    }
    Ok(())
}

fn input_failure(name: &str, at: Position, e: &io::Error) -> SetAside {
    SetAside {
        input: name.to_owned(),
        line: at.line,
        record: at.index,
        kind: SetAsideKind::Rejected,
        code: Code::InputCutShort,
        reason: format!("input could not be read past this point: {e}"),
        raw: String::new(),
    }
}

/// Records read from one input, stored end to end.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    records: Vec<(std::ops::Range<usize>, Found)>,
}

struct ChunkResult {
    set_aside: Vec<SetAside>,
    stats: Stats,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn clear(&mut self) {
        self.data.clear();
        self.records.clear();
    }

    fn fill(&mut self, reader: &mut RecordReader) -> io::Result<()> {
        while self.records.len() < BATCH_RECORDS && self.data.len() < BATCH_BYTES {
            let start = self.data.len();
            let Some(found) = reader.next_record(&mut self.data)? else {
                break;
            };
            self.records.push((start..self.data.len(), found));
        }
        Ok(())
    }

    /// Evaluates the batch in chunks, chunk `k` into `buffers[k]` (cleared first).
    fn eval<B: EventBuffer>(
        &self,
        plan: &Plan,
        name: &str,
        parallel: bool,
        validate: bool,
        buffers: &mut Vec<B>,
        new_buffer: &(dyn Fn() -> B + Sync),
    ) -> Vec<ChunkResult> {
        let run_chunk = |records: &[(std::ops::Range<usize>, Found)], events: &mut B| {
            events.clear();
            let mut result = ChunkResult {
                set_aside: Vec::new(),
                stats: Stats::default(),
            };
            for (range, found) in records {
                let bytes = &self.data[range.clone()];
                result.stats.input += 1;
                let outcome = match (&found.defect, std::str::from_utf8(bytes)) {
                    (Some(defect), _) => Outcome::Rejected(defect.clone()),
                    (None, Err(e)) => Outcome::Rejected(Rejection::new(
                        Code::InvalidUtf8,
                        format!(
                            "invalid UTF-8 at byte offset {} of the record",
                            e.valid_up_to()
                        ),
                    )),
                    (None, Ok(text)) => {
                        let mark = events.mark();
                        let outcome = plan.eval(text, events);
                        match outcome {
                            Outcome::Output { .. } => {
                                check_output(plan, events, mark, validate).unwrap_or(outcome)
                            }
                            other => other,
                        }
                    }
                };
                let (kind, code, reason) = match outcome {
                    Outcome::Output { .. } => {
                        result.stats.output += 1;
                        continue;
                    }
                    Outcome::Dropped => {
                        result.stats.dropped += 1;
                        continue;
                    }
                    Outcome::Rejected(Rejection { code, reason }) => {
                        result.stats.rejected += 1;
                        (SetAsideKind::Rejected, code, reason)
                    }
                    Outcome::Unrouted(value) => {
                        result.stats.unrouted += 1;
                        let reason = match value {
                            Some(v) => format!("no route for matched_field value {v:?}"),
                            None if plan.has_route_rules() => {
                                "no route rule holds, no matched_field value names a route, and there is no default_route"
                                    .to_owned()
                            }
                            None => {
                                "the matched_field is absent or null and there is no default_route"
                                    .to_owned()
                            }
                        };
                        (SetAsideKind::Unrouted, Code::Unrouted, reason)
                    }
                };
                result.set_aside.push(SetAside {
                    input: name.to_owned(),
                    line: found.position.line,
                    record: found.position.index,
                    kind,
                    code,
                    reason,
                    raw: String::from_utf8_lossy(bytes).into_owned(),
                });
            }
            result
        };
        let size = if parallel {
            let threads = rayon::current_num_threads().max(1);
            self.records.len().div_ceil(threads * 4).max(64)
        } else {
            self.records.len().max(1)
        };
        let chunks = self.records.len().div_ceil(size);
        if buffers.len() < chunks {
            buffers.resize_with(chunks, new_buffer);
        }
        if parallel {
            self.records
                .par_chunks(size)
                .zip(buffers.par_iter_mut())
                .map(|(r, b)| run_chunk(r, b))
                .collect()
        } else {
            self.records
                .chunks(size)
                .zip(buffers.iter_mut())
                .map(|(r, b)| run_chunk(r, b))
                .collect()
        }
    }
}

/// Checks the event written at `mark`: that the writer can store it, and with
/// `validate` that it is valid for its OCSF class. When not, removes it and returns
/// the rejection.
fn check_output<B: EventBuffer>(
    plan: &Plan,
    events: &mut B,
    mark: usize,
    validate: bool,
) -> Option<Outcome> {
    let rejection = match events.refuse(mark) {
        Some(reason) => Rejection::new(Code::WriterRefused, reason),
        None if !validate => return None,
        None => {
            // An event that cannot be read back is not known to be valid: it is rejected,
            // never passed unchecked.
            let reason = match events.event_json(mark) {
                None => "not valid OCSF: the event written cannot be read back as JSON to check it"
                    .to_owned(),
                Some(event) => {
                    let problems = crate::check::check_event(plan.schema(), &event);
                    if problems.is_empty() {
                        return None;
                    }
                    format!("not valid OCSF: {}", problems.join("; "))
                }
            };
            Rejection::new(Code::InvalidOcsf, reason)
        }
    };
    events.rollback(mark);
    Some(Outcome::Rejected(rejection))
}
