//! Input decoding: splits a byte stream into records without parsing them.
//!
//! Accepts JSON lines, one or many (pretty-printed) JSON documents, a JSON array of
//! records, and wrapper objects whose key holds the records (CloudTrail's
//! `{"Records": [...]}`), gzip-compressed or not, with or without a UTF-8 BOM. Memory
//! stays bounded by the largest record, whatever the size of the input: a 500 MB
//! CloudTrail object streams record by record. With a [`Delimited`] format, each line
//! of text is a record, handed on as a JSON object of its named fields.

mod delimited;

use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

pub use delimited::Delimited;

use crate::json_text::StringTracker;

/// What the records of an input are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// JSON values; `records_keys` name the wrapper objects whose arrays hold records.
    Json { records_keys: Vec<String> },
    /// Lines of delimited text.
    Delimited(Delimited),
}

/// Records nested deeper than this are rejected (and never handed to a parser).
pub const MAX_DEPTH: usize = 64;

/// Records larger than this are rejected without being held in memory.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

const CHUNK: usize = 256 << 10;

/// Where a record sits in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// 0-based index of the record in its input.
    pub index: u64,
}

/// One record found by the reader: its bytes are in the caller's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub position: Position,
    /// Why the record cannot be used, when it is rejected before parsing.
    pub defect: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// Records are top-level values.
    None,
    /// Records are the elements of a top-level array.
    Array,
    /// Records are the elements of a wrapper object's array; the object is still open.
    Wrapper,
}

/// Splits a byte stream into records.
pub struct RecordReader {
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    line: u64,
    index: u64,
    records_keys: Vec<Vec<u8>>,
    /// Set for delimited text input.
    delimited: Option<delimited::Fields>,
    container: Container,
    /// Decided by the first top-level record: JSON lines when it fits on one line.
    line_mode: Option<bool>,
    total_read: u64,
}

impl RecordReader {
    /// Wraps `reader`, decompressing gzip when the stream starts with its magic bytes.
    pub fn new(reader: impl Read + Send + 'static, format: &Format) -> io::Result<Self> {
        let mut buffered = BufReader::with_capacity(CHUNK, reader);
        let head = buffered.fill_buf()?;
        let src: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        let mut r = RecordReader {
            src,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            eof: false,
            line: 1,
            index: 0,
            records_keys: match format {
                Format::Json { records_keys } => records_keys
                    .iter()
                    .map(|k| format!("\"{k}\"").into_bytes())
                    .collect(),
                Format::Delimited(_) => Vec::new(),
            },
            delimited: match format {
                Format::Json { .. } => None,
                Format::Delimited(d) => Some(delimited::Fields::new(d)),
            },
            container: Container::None,
            line_mode: None,
            total_read: 0,
        };
        r.fill()?;
        if r.buf.starts_with(b"\xEF\xBB\xBF") {
            r.pos = 3;
        }
        Ok(r)
    }

    /// Where the next record would start.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            index: self.index,
        }
    }

    /// Bytes read from the (decompressed) input so far.
    pub fn bytes_read(&self) -> u64 {
        self.total_read
    }

    /// Reads more input; returns false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // `read_to_end` fills spare capacity without zeroing it first.
        let n = (&mut self.src)
            .take(CHUNK as u64)
            .read_to_end(&mut self.buf)?;
        self.total_read += n as u64;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// The byte at `i`, reading more input as needed.
    fn at(&mut self, i: usize) -> io::Result<Option<u8>> {
        while i >= self.buf.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[i]))
    }

    /// Drops consumed bytes once they are a good part of the buffer, so each byte is
    /// moved a bounded number of times and the buffer stays near one chunk plus a record.
    fn compact(&mut self) {
        if self.pos >= CHUNK / 2 || self.pos == self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Skips whitespace (and, between array elements, commas); counts lines.
    fn skip_separators(&mut self, commas: bool) -> io::Result<Option<u8>> {
        loop {
            let Some(b) = self.at(self.pos)? else {
                return Ok(None);
            };
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b',' if commas => {}
                _ => return Ok(Some(b)),
            }
            self.pos += 1;
        }
    }

    /// Appends the next record's bytes to `out`. `None` at end of input.
    pub fn next_record(&mut self, out: &mut Vec<u8>) -> io::Result<Option<Found>> {
        if self.delimited.is_some() {
            return self.next_line(out);
        }
        loop {
            self.compact();
            let in_container = self.container != Container::None;
            let Some(first) = self.skip_separators(in_container)? else {
                return Ok(None);
            };
            if in_container && first == b']' {
                self.pos += 1;
                if self.container == Container::Wrapper {
                    // The rest of the wrapper object holds no records: skip it.
                    self.skip_value_tail(1)?;
                }
                self.container = Container::None;
                continue;
            }
            // A top-level array holds the records, unless the input is JSON lines (where
            // an array line is one record, and not an object).
            if !in_container && first == b'[' && self.line_mode != Some(true) {
                self.pos += 1;
                self.container = Container::Array;
                continue;
            }
            if !in_container && first == b'{' && self.starts_wrapper()? {
                self.container = Container::Wrapper;
                continue;
            }
            let position = Position {
                line: self.line,
                index: self.index,
            };
            self.index += 1;
            let line_mode = !in_container && self.line_mode.unwrap_or(false);
            if line_mode && let Some(found) = self.take_line(out, position) {
                return Ok(Some(found));
            }
            let start_line = self.line;
            let defect = self.scan_value(out, line_mode)?;
            if !in_container && self.line_mode.is_none() {
                self.line_mode = Some(self.line == start_line);
            }
            return Ok(Some(Found { position, defect }));
        }
    }

    /// The next record of delimited text: blank lines and header lines are skipped.
    fn next_line(&mut self, out: &mut Vec<u8>) -> io::Result<Option<Found>> {
        loop {
            self.compact();
            let start = self.pos;
            let mut i = start;
            let mut oversized = false;
            let end = loop {
                if let Some(k) = memchr::memchr(b'\n', &self.buf[i..]) {
                    break i + k;
                }
                i = self.buf.len();
                // Bound memory: an oversized line is counted and skipped, not held.
                if i - start > MAX_RECORD_BYTES {
                    oversized = true;
                    self.buf.truncate(start);
                    i = start;
                }
                if !self.fill()? {
                    break self.buf.len();
                }
            };
            if end == start && self.eof && end == self.buf.len() && !oversized {
                return Ok(None);
            }
            // The last piece read may be the one that takes the line over the limit.
            oversized |= end - start > MAX_RECORD_BYTES;
            let line_no = self.line;
            self.line += 1;
            self.pos = (end + 1).min(self.buf.len());
            let position = Position {
                line: line_no,
                index: self.index,
            };
            if oversized {
                self.index += 1;
                return Ok(Some(Found {
                    position,
                    defect: Some(format!("larger than {} MiB", MAX_RECORD_BYTES >> 20)),
                }));
            }
            let line = &self.buf[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let fields = self.delimited.as_mut().expect("delimited input");
            match fields.line(line, out) {
                delimited::Line::Header => {}
                delimited::Line::BadHeader(reason) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("line {line_no}: {reason}"),
                    ));
                }
                delimited::Line::Record(defect) => {
                    self.index += 1;
                    return Ok(Some(Found { position, defect }));
                }
            }
        }
    }

    /// JSON lines: takes the rest of the line as the record when the line is buffered
    /// whole (the parser reports a value cut short). `None` when it is not buffered.
    fn take_line(&mut self, out: &mut Vec<u8>, position: Position) -> Option<Found> {
        let rest = &self.buf[self.pos..];
        let end = memchr::memchr(b'\n', rest)?;
        let line = &rest[..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // Nesting can only exceed the limit with more brackets than that; looking for
        // them is a fast vectorised pass, and only then is the line scanned for depth.
        let many = memchr::memchr2_iter(b'{', b'[', line)
            .nth(MAX_DEPTH)
            .is_some();
        let too_deep = many && max_depth(line) > MAX_DEPTH;
        out.extend_from_slice(line);
        self.pos += end + 1;
        self.line += 1;
        Some(Found {
            position,
            defect: too_deep.then(|| format!("nested deeper than {MAX_DEPTH} levels")),
        })
    }

    /// Whether the object at `pos` is `{"<records key>": [`; if so, moves past the `[`.
    fn starts_wrapper(&mut self) -> io::Result<bool> {
        let mut i = self.pos + 1;
        let mut lines = 0;
        let mut skip_ws = |r: &mut Self, i: &mut usize| -> io::Result<Option<u8>> {
            loop {
                match r.at(*i)? {
                    Some(b'\n') => lines += 1,
                    Some(b' ' | b'\t' | b'\r') => {}
                    other => return Ok(other),
                }
                *i += 1;
            }
        };
        if skip_ws(self, &mut i)? != Some(b'"') {
            return Ok(false);
        }
        let mut matched = None;
        for k in 0..self.records_keys.len() {
            let len = self.records_keys[k].len();
            if self.at(i + len - 1)?.is_some() && self.buf[i..i + len] == self.records_keys[k][..] {
                matched = Some(len);
                break;
            }
        }
        let Some(len) = matched else { return Ok(false) };
        i += len;
        if skip_ws(self, &mut i)? != Some(b':') {
            return Ok(false);
        }
        i += 1;
        if skip_ws(self, &mut i)? != Some(b'[') {
            return Ok(false);
        }
        self.line += lines;
        self.pos = i + 1;
        Ok(true)
    }

    /// Scans one value from `pos` into `out`. Returns a defect when it is too deep, too
    /// large, or (in JSON lines) cut short by the end of its line.
    fn scan_value(&mut self, out: &mut Vec<u8>, line_mode: bool) -> io::Result<Option<String>> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut max_depth = 0usize;
        let mut strings = StringTracker::default();
        let mut oversized = false;
        let mut taken = 0usize;
        let structured = matches!(self.buf[start], b'{' | b'[');
        let mut i = start;
        let mut defect = None;
        'scan: loop {
            if i >= self.buf.len() && !self.fill()? {
                if structured && depth > 0 {
                    defect.get_or_insert_with(|| {
                        "unexpected end of input inside a record".to_owned()
                    });
                }
                break;
            }
            // A tight loop over what is buffered; more is read only when it runs out.
            let avail = &self.buf[i..];
            let mut j = 0;
            let mut lines = 0;
            let mut done = false;
            while j < avail.len() {
                // Inside a string, jump to the next byte that can matter.
                j += strings.plain_run(&avail[j..]);
                let Some(&b) = avail.get(j) else { break };
                if strings.feed(b) {
                    if b == b'\n' {
                        if line_mode {
                            done = true;
                            break;
                        }
                        lines += 1;
                    }
                    j += 1;
                    continue;
                }
                match b {
                    b'{' | b'[' => {
                        depth += 1;
                        max_depth = max_depth.max(depth);
                    }
                    b'}' | b']' => {
                        if !structured {
                            done = true;
                            break;
                        }
                        depth = depth.saturating_sub(1);
                    }
                    b'\n' => {
                        if line_mode || !structured {
                            done = true;
                            break;
                        }
                        lines += 1;
                    }
                    b' ' | b'\t' | b'\r' | b',' if !structured && !line_mode => {
                        done = true;
                        break;
                    }
                    _ => {}
                }
                j += 1;
                if structured && depth == 0 {
                    done = true;
                    break;
                }
            }
            self.line += lines;
            i += j;
            if done {
                break 'scan;
            }
            // Bound memory: an oversized record is counted and skipped, not held.
            if i - start + taken > MAX_RECORD_BYTES {
                oversized = true;
            }
            if oversized && i - start > CHUNK {
                taken += i - start;
                self.buf.drain(start..i);
                i = start;
            }
        }
        let end = i;
        // The last piece read may be the one that takes the record over the limit.
        if end - start + taken > MAX_RECORD_BYTES {
            oversized = true;
        }
        if line_mode && structured && depth > 0 {
            defect.get_or_insert_with(|| {
                "the record ends with its line before the JSON value is complete".to_owned()
            });
        }
        if max_depth > MAX_DEPTH {
            defect = Some(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        if oversized {
            defect = Some(format!("larger than {} MiB", MAX_RECORD_BYTES >> 20));
        } else {
            out.extend_from_slice(&self.buf[start..end]);
        }
        self.pos = end;
        Ok(defect)
    }

    /// Skips the rest of a value whose opening bracket was already read.
    fn skip_value_tail(&mut self, mut depth: usize) -> io::Result<()> {
        let mut strings = StringTracker::default();
        while depth > 0 {
            let Some(b) = self.at(self.pos)? else {
                return Ok(());
            };
            self.pos += 1;
            if strings.feed(b) {
                continue;
            }
            match b {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                b'\n' => self.line += 1,
                _ => {}
            }
            if self.pos > CHUNK {
                self.compact();
            }
        }
        Ok(())
    }
}

/// The deepest nesting of brackets in JSON text (brackets inside strings not counted).
fn max_depth(text: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut strings = StringTracker::default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn records(input: &[u8]) -> Vec<(String, u64, Option<String>)> {
        let format = Format::Json {
            records_keys: vec!["Records".to_owned()],
        };
        let mut r = RecordReader::new(io::Cursor::new(input.to_vec()), &format).unwrap();
        let mut out = Vec::new();
        let mut all = Vec::new();
        while let Some(found) = {
            out.clear();
            r.next_record(&mut out).unwrap()
        } {
            all.push((
                String::from_utf8_lossy(&out).into_owned(),
                found.position.line,
                found.defect,
            ));
        }
        all
    }

    fn texts(input: &[u8]) -> Vec<String> {
        records(input).into_iter().map(|(t, _, _)| t).collect()
    }

    #[test]
    fn json_lines_with_blank_lines_and_crlf() {
        let got = records(b"{\"a\":1}\r\n\r\n{\"b\":\"x}\"}\n{\"c\":[1,{\"d\":2}]}");
        let lines: Vec<u64> = got.iter().map(|r| r.1).collect();
        assert_eq!(
            texts(b"{\"a\":1}\r\n\r\n{\"b\":\"x}\"}\n{\"c\":[1,{\"d\":2}]}"),
            [r#"{"a":1}"#, r#"{"b":"x}"}"#, r#"{"c":[1,{"d":2}]}"#]
        );
        assert_eq!(lines, [1, 3, 4]);
    }

    #[test]
    fn a_malformed_line_is_one_record_and_the_next_line_still_reads() {
        let got = records(b"{\"a\":1}\n{\"b\":\n{\"c\":3}\nnot json\n");
        assert_eq!(got.len(), 4);
        // The line is the record; the parser reports that it is cut short.
        assert_eq!(got[1], ("{\"b\":".to_owned(), 2, None));
        assert_eq!(got[2].0, "{\"c\":3}");
        assert_eq!(got[3].0, "not json");
        assert_eq!(got[3].1, 4);
    }

    #[test]
    fn pretty_documents_arrays_and_wrappers() {
        assert_eq!(
            texts(b"{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n"),
            ["{\n  \"a\": 1\n}", "{\n  \"b\": 2\n}"]
        );
        assert_eq!(
            texts(b"[{\"a\":1}, {\"b\":2}\n]"),
            [r#"{"a":1}"#, r#"{"b":2}"#]
        );
        assert_eq!(texts(b"[]"), Vec::<String>::new());
        let trail = b"{\"Records\": [{\"a\":1},\n {\"b\":[2]}], \"other\": {\"x\": 1}}\n{\"c\":3}";
        let got = records(trail);
        assert_eq!(
            got.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            [r#"{"a":1}"#, r#"{"b":[2]}"#, r#"{"c":3}"#]
        );
        assert_eq!(got.iter().map(|r| r.1).collect::<Vec<_>>(), [1, 2, 3]);
        // An object whose first key is not a records key is a record.
        assert_eq!(texts(b"{\"Recordz\": [1]}"), [r#"{"Recordz": [1]}"#]);
    }

    #[test]
    fn gzip_and_bom_are_handled() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n").unwrap();
        assert_eq!(texts(&gz.finish().unwrap()), [r#"{"a":1}"#, r#"{"b":2}"#]);
    }

    #[test]
    fn too_deep_records_are_defects_and_reading_goes_on() {
        let deep = format!(
            "{}{}\n{{\"ok\":1}}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let got = records(format!("{{\"a\":1}}\n{deep}").as_bytes());
        assert_eq!(got.len(), 3);
        assert!(got[1].2.as_deref().unwrap().contains("nested deeper"));
        assert_eq!(got[2].0, "{\"ok\":1}");
        assert_eq!(got[2].1, 3);
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_depth() {
        let line = format!("{{\"a\":\"{}\"}}\n{{\"b\":1}}\n", "[{".repeat(MAX_DEPTH));
        let got = records(line.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].2, None);
        assert_eq!(got[1].1, 2);
    }

    #[test]
    fn records_larger_than_the_buffer_chunk_stream_through() {
        let big = format!("{{\"k\":\"{}\"}}", "x".repeat(CHUNK * 3));
        let input = format!("{big}\n{{\"b\":1}}\n");
        let got = texts(input.as_bytes());
        assert_eq!(got, [big.clone(), r#"{"b":1}"#.to_owned()]);
        // In JSON lines mode too, after short lines.
        let input = format!("{{\"a\":1}}\n{big}\n{{\"b\":1}}\n");
        let got = records(input.as_bytes());
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (big, 2, None));
        assert_eq!(got[2].1, 3);
    }

    #[test]
    fn oversized_records_are_defects_and_never_held() {
        let big = "x".repeat(MAX_RECORD_BYTES + 10);
        let got = records(format!("{{\"a\":1}}\n{{\"k\":\"{big}\"}}\n{{\"b\":2}}\n").as_bytes());
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[1].0.len(), got[1].1, got[1].2.as_deref()),
            (0, 2, Some("larger than 32 MiB")),
            "the record is counted, not kept"
        );
        assert_eq!(got[2], (r#"{"b":2}"#.to_owned(), 3, None));

        let format = Format::Delimited(Delimited {
            separator: b' ',
            quote: None,
            fields: Some(vec!["a".into(), "b".into()]),
        });
        let input = format!("1 2\n{big} 3\n4 5\n").into_bytes();
        let mut r = RecordReader::new(io::Cursor::new(input), &format).unwrap();
        let mut all = Vec::new();
        let mut out = Vec::new();
        while let Some(found) = r.next_record(&mut out).unwrap() {
            all.push((found.position.line, found.defect, out.len()));
            out.clear();
        }
        assert_eq!(
            all,
            [
                (1, None, r#"{"a":"1","b":"2"}"#.len()),
                (2, Some("larger than 32 MiB".to_owned()), 0),
                (3, None, r#"{"a":"4","b":"5"}"#.len()),
            ]
        );
    }

    #[test]
    fn truncated_document_is_a_defect() {
        let got = records(b"{\n \"a\": [1,\n");
        assert_eq!(got.len(), 1);
        assert!(got[0].2.as_deref().unwrap().contains("end of input"));
    }
}
