//! Framing JSON input into records, by the contract in the README ("How records are
//! found"): the grammar scanner finds each record's end and every syntax break; a
//! break sets aside everything from the broken unit's first byte up to the next line
//! that starts a record (a line whose first non-blank byte is `{` or `[`, indented no
//! deeper than the broken unit's line), and reading starts again there. Each byte of
//! input ends up in exactly one record, one set-aside defect, or skipped whitespace
//! and container punctuation; memory holds at most one record (32 MiB) and a chunk.
//!
//! Inputs whose first record stands alone on its line are JSON lines: there, a line
//! that starts with `{` and ends with `}` (and names no records key) is taken whole
//! without scanning, and the parser judges it. Every other line is scanned.

use std::fmt::Write as _;

use memchr::memmem;

use super::scan::{Ev, Scanner};
use super::source::{CHUNK, Window};
use super::{Found, MAX_DEPTH, MAX_RECORD_BYTES, Position};
use crate::diagnostic::{Code, Rejection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No top-level record seen yet.
    Undecided,
    /// JSON lines: single-line records are taken without scanning.
    Lines,
    /// Documents: everything is scanned.
    Documents,
}

/// The JSON framer of one input.
pub(super) struct JsonFramer {
    scanner: Scanner,
    /// Where scanning continues (index into the window's buffer).
    pos: usize,
    /// Where the current unit (a record, or what lies between records) starts.
    unit_start: usize,
    mode: Mode,
    /// `"<records key>"` for each records key, to spot wrappers in JSON lines.
    finders: Vec<memmem::Finder<'static>>,
    index: u64,
}

/// A record being read by the scanner.
struct Open {
    start: usize,
    position: Position,
    /// The indentation of its line and whether it starts the line.
    indent: usize,
    line_start: bool,
    /// Bytes dropped from the middle because it is too large to hold.
    dropped: u64,
}

impl JsonFramer {
    pub(super) fn new(records_keys: &[String]) -> Self {
        JsonFramer {
            scanner: Scanner::new(records_keys),
            pos: 0,
            unit_start: 0,
            mode: Mode::Undecided,
            finders: records_keys
                .iter()
                .map(|k| memmem::Finder::new(format!("\"{k}\"").as_bytes()).into_owned())
                .collect(),
            index: 0,
        }
    }

    /// Where the next record would start.
    pub(super) fn position(&self, win: &Window) -> Position {
        Position {
            line: self.scanner.lines + 1,
            index: self.index,
            offset: win.consumed + self.pos as u64,
        }
    }

    /// Drops what lies before `keep` from the window (when it is a good part of it), so
    /// each byte moves a bounded number of times.
    fn compact(&mut self, win: &mut Window, keep: usize, force: bool) -> usize {
        if keep == 0 || (!force && keep < CHUNK / 2 && keep < win.buf.len()) {
            return 0;
        }
        win.drop_front(keep);
        self.pos -= keep;
        self.unit_start = self.unit_start.saturating_sub(keep);
        self.scanner.shift(keep);
        keep
    }

    /// Appends the next record (or defect) to `out`; `None` at the end of input.
    pub(super) fn next(&mut self, win: &mut Window, out: &mut Vec<u8>) -> Option<Found> {
        if self.scanner.between_values() {
            if !self.skip_whitespace(win) {
                return None;
            }
            self.unit_start = self.pos;
            self.compact(win, self.pos, false);
            if self.mode == Mode::Lines
                && self.scanner.line_blank
                && win.buf[self.pos] == b'{'
                && let Some(found) = self.take_line(win, out)
            {
                return Some(found);
            }
        }
        self.scan_unit(win, out)
    }

    /// Skips whitespace at the top level in bounded memory, counting lines. False at
    /// the end of input.
    fn skip_whitespace(&mut self, win: &mut Window) -> bool {
        loop {
            while let Some(&b) = win.buf.get(self.pos) {
                match b {
                    b'\n' => {
                        self.scanner.lines += 1;
                        self.scanner.line_blank = true;
                        self.scanner.indent = 0;
                    }
                    b' ' | b'\t' if self.scanner.line_blank => self.scanner.indent += 1,
                    b' ' | b'\t' | b'\r' => {}
                    _ => return true,
                }
                self.scanner.skipped_whitespace();
                self.pos += 1;
            }
            self.compact(win, self.pos, true);
            if !win.fill() {
                return false;
            }
        }
    }

    /// JSON lines: the line at `pos` (which starts with `{`) as one record, when it
    /// ends with `}`, is buffered whole within the size limit, and names no records key.
    fn take_line(&mut self, win: &mut Window, out: &mut Vec<u8>) -> Option<Found> {
        let start = self.pos;
        let mut from = start;
        let newline = loop {
            if let Some(k) = memchr::memchr(b'\n', &win.buf[from..]) {
                break Some(from + k);
            }
            from = win.buf.len();
            if from - start > MAX_RECORD_BYTES {
                return None;
            }
            if !win.fill() {
                break None;
            }
        };
        let end = newline.unwrap_or(win.buf.len());
        let line = trim_end(&win.buf[start..end]);
        if line.last() != Some(&b'}')
            || line.len() > MAX_RECORD_BYTES
            || self.finders.iter().any(|f| f.find(line).is_some())
        {
            return None;
        }
        // Nesting can only exceed the limit with more brackets than that; looking for
        // them is a fast vectorised pass, and only then is the line scanned for depth.
        let many = memchr::memchr2_iter(b'{', b'[', line)
            .nth(MAX_DEPTH)
            .is_some();
        let too_deep = many && max_depth(line) > MAX_DEPTH;
        out.extend_from_slice(line);
        let found = Found {
            position: self.position(win),
            defect: too_deep.then(|| {
                Rejection::new(
                    Code::NestedTooDeep,
                    format!("nested deeper than {MAX_DEPTH} levels"),
                )
            }),
        };
        self.index += 1;
        self.pos = end;
        self.unit_start = end;
        Some(found)
    }

    /// Runs the scanner to the end of the next record or defect. `None` when the input
    /// ends cleanly first.
    fn scan_unit(&mut self, win: &mut Window, out: &mut Vec<u8>) -> Option<Found> {
        let mut open: Option<Open> = None;
        loop {
            let ev = self.scanner.scan(&win.buf, &mut self.pos, win.at_eof());
            match ev {
                Ev::More => {
                    if win.at_eof() {
                        return None;
                    }
                    self.bound_memory(win, open.as_mut());
                    win.fill();
                }
                Ev::Start => {
                    self.unit_start = self.pos;
                    open = Some(Open {
                        start: self.pos,
                        position: self.position(win),
                        indent: self.scanner.indent,
                        line_start: self.scanner.line_blank,
                        dropped: 0,
                    });
                }
                Ev::Wrapper => {
                    // What was taken for a record is a wrapper's envelope.
                    open = None;
                    self.unit_start = self.pos;
                }
                Ev::End => {
                    // Start and End come in pairs within one call: a unit ends only
                    // with its record, a defect or the end of input.
                    let open = open
                        .take()
                        .expect("the scanner reports a record's start before its end");
                    return Some(self.end_record(win, out, &open));
                }
                Ev::Error(what) => {
                    return Some(self.resync(win, out, open.as_ref(), what));
                }
            }
        }
    }

    /// Keeps the window bounded while the scanner needs more input.
    fn bound_memory(&mut self, win: &mut Window, open: Option<&mut Open>) {
        if let Some(open) = open {
            // A record too large to hold is counted, not kept: drop its middle.
            let held = self.pos - open.start;
            if open.dropped > 0 || held > MAX_RECORD_BYTES {
                if held > CHUNK {
                    win.drop_range(open.start, self.pos);
                    self.scanner.forget_key();
                    open.dropped += held as u64;
                    self.pos = open.start;
                    self.unit_start = open.start;
                }
            } else {
                let dropped = self.compact(win, open.start, false);
                open.start -= dropped;
            }
        } else {
            // Between records inside a container: what was passed is envelope.
            if self.pos - self.unit_start > CHUNK {
                self.unit_start = self.pos;
            }
            self.compact(win, self.unit_start, false);
        }
    }

    fn end_record(&mut self, win: &mut Window, out: &mut Vec<u8>, open: &Open) -> Found {
        self.index += 1;
        self.unit_start = self.pos;
        let size = open.dropped + (self.pos - open.start) as u64;
        let defect = if size > MAX_RECORD_BYTES as u64 {
            Some(Rejection::new(
                Code::RecordTooLarge,
                format!("larger than {} MiB", MAX_RECORD_BYTES >> 20),
            ))
        } else {
            out.extend_from_slice(&win.buf[open.start..self.pos]);
            (self.scanner.record_depth > MAX_DEPTH).then(|| {
                Rejection::new(
                    Code::NestedTooDeep,
                    format!("nested deeper than {MAX_DEPTH} levels"),
                )
            })
        };
        if self.mode == Mode::Undecided && self.scanner.between_values() {
            self.mode = if open.line_start && self.rest_of_line_is_blank(win) {
                Mode::Lines
            } else {
                Mode::Documents
            };
        }
        Found {
            position: open.position,
            defect,
        }
    }

    /// Whether only blanks follow `pos` up to the end of its line.
    fn rest_of_line_is_blank(&mut self, win: &mut Window) -> bool {
        let mut i = self.pos;
        loop {
            match win.at(i) {
                None | Some(b'\n') => return true,
                Some(b' ' | b'\t' | b'\r') => i += 1,
                Some(_) => return false,
            }
        }
    }

    /// After a syntax break at `pos`: sets aside the broken unit up to the next line
    /// that starts a record, and resumes there.
    fn resync(
        &mut self,
        win: &mut Window,
        out: &mut Vec<u8>,
        open: Option<&Open>,
        what: &str,
    ) -> Found {
        let error_at = self.pos;
        let error_line = self.scanner.lines + 1;
        let error_column = column(win, error_at);
        let cut_short = error_at == win.buf.len() && win.at_eof();
        let container = if open.is_none() {
            self.scanner.container()
        } else {
            None
        };
        // Reading resumes at a line that starts after the unit does: after the broken
        // record's first byte, or after the last record of a broken container.
        let from = open.map_or(self.unit_start, |o| o.start).min(error_at);
        // The unit's first byte (past any separators before it).
        let mut start = from;
        while start < error_at && matches!(win.buf[start], b' ' | b'\t' | b'\r' | b'\n' | b',') {
            start += 1;
        }
        let (indent, mut dropped) = match open {
            Some(o) => (o.indent, o.dropped),
            None => (line_indent(win, start), 0),
        };
        let start_line = error_line - count_newlines(&win.buf[start..error_at]);
        let start_offset = win.consumed + start as u64;
        // Find the next line that starts a record at `indent` or less, counting lines.
        let mut lines = error_line - 1 - count_newlines(&win.buf[from..error_at]);
        let mut i = from;
        let resume = loop {
            if let Some(k) = memchr::memchr(b'\n', &win.buf[i..]) {
                let line = i + k + 1;
                lines += 1;
                let mut j = line;
                let starts_record = loop {
                    match win.at(j) {
                        Some(b' ' | b'\t' | b'\r') if j - line < indent => j += 1,
                        Some(b'{' | b'[') => break Some(true),
                        Some(_) => break Some(false),
                        None => break None,
                    }
                };
                match starts_record {
                    Some(true) => break line,
                    Some(false) => i = line,
                    None => break win.buf.len(),
                }
                continue;
            }
            i = win.buf.len();
            // Bound memory: a defect too large to hold is counted, not kept.
            if i - from > MAX_RECORD_BYTES {
                win.drop_range(from, i);
                self.scanner.forget_key();
                dropped += (i - from) as u64;
                start = from;
                i = from;
            }
            if !win.fill() {
                break win.buf.len();
            }
        };
        let start = start.min(resume);
        let error = if cut_short { win.take_error() } else { None };
        let raw = trim_end(&win.buf[start..resume]);
        let mut reason = match error_column {
            // The break shows only after a line where a record starts: what is open
            // there was cut short.
            _ if resume <= error_at && resume < win.buf.len() => match container {
                Some(name) => format!(
                    "malformed JSON: the {name} is not closed where line {} starts a record",
                    lines + 1
                ),
                None => format!(
                    "malformed JSON: the value is not complete where line {} starts a record",
                    lines + 1
                ),
            },
            Some(c) => format!("malformed JSON at line {error_line}, column {c}: {what}"),
            None => format!("malformed JSON at line {error_line}: {what}"),
        };
        let mut code = Code::MalformedJson;
        if let Some(e) = error {
            // The input broke off inside this record: say so with it.
            reason = format!("cut short: the input could not be read past this point: {e}");
            code = Code::InputCutShort;
        }
        if dropped + raw.len() as u64 > MAX_RECORD_BYTES as u64 {
            let _ = write!(
                reason,
                " (the text set aside is larger than {} MiB and is not kept)",
                MAX_RECORD_BYTES >> 20
            );
        } else {
            out.extend_from_slice(raw);
        }
        let found = Found {
            position: Position {
                line: start_line,
                index: self.index,
                offset: start_offset,
            },
            defect: Some(Rejection::new(code, reason)),
        };
        self.index += 1;
        self.pos = resume;
        self.unit_start = resume;
        self.scanner.reset();
        self.scanner.lines = lines;
        self.scanner.line_blank = true;
        self.scanner.indent = 0;
        found
    }
}

fn trim_end(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = bytes {
        bytes = rest;
    }
    bytes
}

fn count_newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The 1-based column of `at`, when its line's start is in the window.
fn column(win: &Window, at: usize) -> Option<usize> {
    match memchr::memrchr(b'\n', &win.buf[..at]) {
        Some(nl) => Some(at - nl),
        None => (win.consumed == 0).then_some(at + 1),
    }
}

/// The indentation of the line that holds `at` (0 when its start is not in the window).
fn line_indent(win: &Window, at: usize) -> usize {
    let line_start = memchr::memrchr(b'\n', &win.buf[..at]).map_or(0, |nl| nl + 1);
    win.buf[line_start..at]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// The deepest nesting of brackets in JSON text (brackets inside strings not counted).
fn max_depth(text: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut strings = crate::json_text::StringTracker::default();
    for &b in text {
        if strings.feed(b) {
            continue;
        }
        match b {
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}
