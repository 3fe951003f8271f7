//! Input framing: bytes split into records by `RecordReader`, read to the end.
//!
//! Checked for every input: reading ends (at most one record per input byte, plus
//! one), records are numbered 0, 1, 2, ... with line numbers that never go back and
//! never pass the input's last line, and each record is made of the input's bytes
//! (JSON: a piece of the input, in order; delimited text: the line's fields).

use std::io::{Cursor, Write};

use ocsfmap_core::input::{Delimited, Format, Header, RecordReader};

/// One record as the reader handed it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub bytes: Vec<u8>,
    pub line: u64,
    pub index: u64,
    pub defect: Option<String>,
}

/// What a reader made of a whole input.
#[derive(Debug, PartialEq, Eq)]
pub struct Reading {
    pub records: Vec<Record>,
    /// The error that ended reading early (a broken gzip stream, a bad header line).
    pub error: Option<String>,
    /// Bytes read from the (decompressed) input.
    pub bytes_read: u64,
}

/// Reads `input` to its end (or its first error), checking the invariants that hold
/// for every format: termination, record numbering and line order.
pub fn read_all(input: Vec<u8>, format: &Format) -> Reading {
    let mut reader = match RecordReader::new(Cursor::new(input), format) {
        Ok(r) => r,
        Err(e) => {
            return Reading {
                records: Vec::new(),
                error: Some(e.to_string()),
                bytes_read: 0,
            };
        }
    };
    let mut records: Vec<Record> = Vec::new();
    let mut out = Vec::new();
    let error = loop {
        out.clear();
        let found = match reader.next_record(&mut out) {
            Ok(Some(found)) => found,
            Ok(None) => break None,
            Err(e) => break Some(e.to_string()),
        };
        let count = records.len() as u64 + 1;
        assert!(
            count <= reader.bytes_read() + 1,
            "{count} records from {} bytes: the reader does not advance",
            reader.bytes_read()
        );
        let position = found.position;
        assert_eq!(position.index, count - 1, "records are numbered in order");
        assert!(position.line >= 1, "lines are 1-based");
        if let Some(last) = records.last() {
            assert!(
                position.line >= last.line,
                "line {} after line {}",
                position.line,
                last.line
            );
        }
        if let Some(defect) = &found.defect {
            assert!(!defect.reason.is_empty(), "a defect says what is wrong");
        }
        records.push(Record {
            bytes: out.clone(),
            line: position.line,
            index: position.index,
            defect: found.defect.map(|d| d.reason),
        });
    };
    Reading {
        records,
        error,
        bytes_read: reader.bytes_read(),
    }
}

fn json_format() -> Format {
    Format::Json {
        records_keys: vec!["Records".to_owned()],
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Checks a JSON reading of the plain (not compressed) text `text`.
fn check_json_text(text: &[u8], reading: &Reading) {
    if reading.error.is_none() {
        assert_eq!(
            reading.bytes_read,
            text.len() as u64,
            "reading stopped before the end of the input"
        );
    }
    let last_line = newlines(text) + 1;
    // Each record is a piece of the input, after the previous one.
    let mut from = 0;
    for r in &reading.records {
        assert!(r.line <= last_line, "line {} of {last_line}", r.line);
        assert!(
            r.bytes.len() <= text.len(),
            "a record longer than its input"
        );
        if r.bytes.is_empty() {
            continue;
        }
        match memchr::memmem::find(&text[from..], &r.bytes) {
            Some(at) => from += at + r.bytes.len(),
            None => panic!(
                "record {} ({:?}) is not the input's next piece",
                r.index,
                String::from_utf8_lossy(&r.bytes)
            ),
        }
    }
}

/// JSON records (lines, documents, arrays, `{"Records": [...]}` wrappers), gzip
/// compressed when the input starts with gzip's magic bytes.
pub fn framing_json(data: &[u8]) {
    let reading = read_all(data.to_vec(), &json_format());
    if !data.starts_with(&[0x1f, 0x8b]) {
        check_json_text(data, &reading);
        check_contract(data);
    }
}

/// The framing contract's oracle (shared with the property tests): every item is the
/// input's own bytes at its offset and line, the bytes between items are whitespace or
/// container punctuation, and when serde_json reads the input as a stream of values the
/// contract frames as they are, the records are exactly those values.
fn check_contract(data: &[u8]) {
    use ocsfmap_core::input::oracle;
    let keys = vec!["Records".to_owned()];
    let (frames, _) = oracle::frames(data, &json_format()).unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = oracle::check_accounting(data, &frames, &keys) {
        panic!("{e}");
    }
    if let Err(e) = oracle::check_against_serde(data, &frames, &keys) {
        panic!("{e}");
    }
}

/// The input, gzip-compressed in two members (split where its first byte says): the
/// records, their positions and defects must be those of the uncompressed input.
pub fn framing_gzip(data: &[u8]) {
    let Some((&cut, text)) = data.split_first() else {
        return;
    };
    // Text that starts with the magic bytes would be decompressed once more when read
    // plain: nothing to compare with.
    if text.starts_with(&[0x1f, 0x8b]) {
        framing_json(data);
        return;
    }
    let cut = usize::from(cut).min(text.len());
    let mut compressed = Vec::new();
    for member in [&text[..cut], &text[cut..]] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(member).expect("writing to a Vec");
        compressed.extend(gz.finish().expect("writing to a Vec"));
    }
    let plain = read_all(text.to_vec(), &json_format());
    let gzipped = read_all(compressed, &json_format());
    check_json_text(text, &gzipped);
    assert_eq!(gzipped, plain, "gzip changes what is read");
}

/// Delimited text: the first bytes choose the separator, the quote and the field names
/// (or a header line), the rest is the text.
pub fn framing_delimited(data: &[u8]) {
    let [sep, quote, names, text @ ..] = data else {
        return;
    };
    // Only formats that a mapping can declare (compile refuses the others).
    let usable = |b: u8| b.is_ascii() && !matches!(b, b'\n' | b'\r' | b'\\');
    let separator = if usable(*sep) { *sep } else { b' ' };
    let quote = Some(*quote).filter(|&q| usable(q) && q != separator);
    let fields: Option<Vec<String>> =
        (*names % 8 != 0).then(|| (0..names % 8).map(|i| format!("f{i}")).collect());
    // `never` needs declared fields (compile refuses it without).
    let header = match (names / 8 % 3, &fields) {
        (1, _) => Header::Always,
        (2, Some(_)) => Header::Never,
        _ => Header::Auto,
    };
    let format = Format::Delimited(Delimited {
        separator,
        quote,
        fields,
        header,
    });
    let reading = read_all(text.to_vec(), &format);
    if text.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let last_line = newlines(text) + 1;
    // The declared names, unless a header line may name the fields instead.
    let mut keys: Option<Vec<String>> = match &format {
        Format::Delimited(d) if d.header == Header::Never => d.fields.clone(),
        _ => None,
    };
    let mut last = 0;
    for r in &reading.records {
        assert!(r.line > last, "two records on line {}", r.line);
        assert!(r.line <= last_line, "line {} of {last_line}", r.line);
        last = r.line;
        if r.defect.is_some() {
            // A line that cannot be split is handed on as it was read.
            assert!(
                r.bytes.len() <= text.len(),
                "a record longer than its input"
            );
            continue;
        }
        let pairs = object_of_strings(&r.bytes);
        let text_len: usize = pairs.iter().map(|(_, v)| v.len()).sum();
        assert!(text_len <= text.len(), "field values longer than the input");
        let got: Vec<String> = pairs.into_iter().map(|(k, _)| k).collect();
        for (i, k) in got.iter().enumerate() {
            assert!(!got[..i].contains(k), "record {}: `{k}` twice", r.index);
        }
        // Every record has the names of the mapping, or of the header line.
        match &keys {
            Some(expected) => assert_eq!(&got, expected, "record {} field names", r.index),
            None => keys = Some(got),
        }
    }
}

/// The keys and values of a JSON object of strings, in order, duplicates kept.
fn object_of_strings(bytes: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(bytes).expect("a record without defect is UTF-8");
    let pairs: Pairs = serde_json::from_str(text).unwrap_or_else(|e| {
        panic!("a delimited record is not a JSON object of strings ({e}): {text}")
    });
    pairs.0
}

/// Read with a visitor of its own, not through `serde_json::Value`, which gives a key
/// named `$serde_json::private::RawValue` a meaning of its own.
struct Pairs(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        d.deserialize_map(Entries)
    }
}
