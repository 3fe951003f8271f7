//! Checks of the framing contract against the input and against serde_json, shared by
//! the property tests and the fuzz targets. Not part of the engine's interface.

use std::io;

use serde_json::Value;

use super::{Format, MAX_DEPTH, RecordReader};

/// One item the reader produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub offset: u64,
    pub line: u64,
    pub bytes: Vec<u8>,
    pub defect: Option<String>,
}

/// Reads `input` whole. Fails when the reader does not finish within one item per
/// input byte (plus one), which would mean a call made no progress.
pub fn frames(input: &[u8], format: &Format) -> Result<(Vec<Frame>, Option<io::Error>), String> {
    let mut reader = RecordReader::new(io::Cursor::new(input.to_vec()), format)
        .map_err(|e| format!("cannot start reading: {e}"))?;
    let mut out = Vec::new();
    let mut frames = Vec::new();
    loop {
        out.clear();
        match reader.next_record(&mut out) {
            Ok(Some(found)) => frames.push(Frame {
                offset: found.position.offset,
                line: found.position.line,
                bytes: out.clone(),
                defect: found.defect.map(|d| d.reason),
            }),
            Ok(None) => return Ok((frames, None)),
            Err(e) => return Ok((frames, Some(e))),
        }
        if frames.len() > input.len() + 1 {
            return Err(format!(
                "{} items from {} bytes: the reader makes no progress",
                frames.len(),
                input.len()
            ));
        }
    }
}

/// The accounting part of the contract, for JSON input that is not compressed: every
/// item is the input's own bytes at its offset and line, items are in order and do not
/// overlap, and what lies between them is whitespace or container punctuation (or, when
/// the input names a records key, may be a wrapper's envelope).
pub fn check_accounting(
    input: &[u8],
    frames: &[Frame],
    records_keys: &[String],
) -> Result<(), String> {
    let body = input
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(input);
    let base = (input.len() - body.len()) as u64;
    let may_wrap = records_keys
        .iter()
        .any(|k| memchr::memmem::find(body, format!("\"{k}\"").as_bytes()).is_some());
    let mut covered_to = base;
    for (n, f) in frames.iter().enumerate() {
        let start = f.offset;
        if start < covered_to {
            return Err(format!("item {n} at byte {start} overlaps the one before"));
        }
        let from = usize::try_from(start).map_err(|e| e.to_string())?;
        let oversized = f.defect.as_deref().is_some_and(|d| d.contains("MiB"));
        if oversized {
            covered_to = start;
        } else {
            let end = from + f.bytes.len();
            if input.get(from..end) != Some(&f.bytes[..]) {
                return Err(format!("item {n} is not the input's bytes at byte {start}"));
            }
            let line = 1 + memchr::memchr_iter(b'\n', &input[..from]).count() as u64;
            if line != f.line {
                return Err(format!(
                    "item {n} says line {} but starts on line {line}",
                    f.line
                ));
            }
            if !may_wrap {
                skipped_only(&input[covered_to as usize..from], covered_to)?;
            }
            covered_to = end as u64;
        }
    }
    if !may_wrap {
        skipped_only(&input[covered_to as usize..], covered_to)?;
    }
    Ok(())
}

fn skipped_only(gap: &[u8], at: u64) -> Result<(), String> {
    match gap
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']'))
    {
        Some(i) => Err(format!(
            "byte {} ({:?}) is in no record and no defect",
            at + i as u64,
            gap[i] as char
        )),
        None => Ok(()),
    }
}

/// What serde_json's stream deserializer reads from `input`: each top-level value's
/// byte range. `None` when it cannot read the whole input.
pub fn serde_values(input: &[u8]) -> Option<Vec<(usize, usize, Value)>> {
    let mut stream = serde_json::Deserializer::from_slice(input).into_iter::<Value>();
    let mut values = Vec::new();
    let mut end = 0;
    while let Some(next) = stream.next() {
        let value = next.ok()?;
        let start = end + input[end..].iter().position(|b| !b.is_ascii_whitespace())?;
        end = stream.byte_offset();
        values.push((start, end, value));
    }
    Some(values)
}

/// The differential oracle: when serde_json reads `input` as a stream of values that
/// the contract frames as they are (no top-level arrays, no wrapper objects, and either
/// the first value shares its line, or every object stands alone on its lines), the
/// reader's records must be exactly serde_json's values, byte for byte, with no defect
/// but depth. Returns whether the input was such a stream.
pub fn check_against_serde(
    input: &[u8],
    frames: &[Frame],
    records_keys: &[String],
) -> Result<bool, String> {
    let Some(values) = serde_values(input) else {
        return Ok(false);
    };
    let alone = |&(start, end, _): &(usize, usize, Value)| {
        let before = input[..start].iter().rev().take_while(|b| **b != b'\n');
        let after = input[end..].iter().take_while(|b| **b != b'\n');
        before
            .into_iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
            && after.into_iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
    };
    let framed_as_is = values.iter().all(|(_, _, v)| match v {
        Value::Array(_) => false,
        Value::Object(m) => !records_keys
            .iter()
            .any(|k| m.get(k).is_some_and(Value::is_array)),
        _ => true,
    });
    let documents = values.first().is_some_and(|v| !alone(v));
    let lines_ok = values
        .iter()
        .all(|v| !matches!(v.2, Value::Object(_)) || alone(v));
    if !framed_as_is || !(documents || lines_ok) {
        return Ok(false);
    }
    let expected: Vec<&[u8]> = values.iter().map(|&(s, e, _)| &input[s..e]).collect();
    let got: Vec<&[u8]> = frames.iter().map(|f| &f.bytes[..]).collect();
    if got != expected {
        return Err(format!(
            "records differ from serde_json's values:\n  got      {:?}\n  expected {:?}",
            got.iter()
                .map(|b| String::from_utf8_lossy(b))
                .collect::<Vec<_>>(),
            expected
                .iter()
                .map(|b| String::from_utf8_lossy(b))
                .collect::<Vec<_>>()
        ));
    }
    let depth_note = format!("nested deeper than {MAX_DEPTH} levels");
    if let Some(f) = frames
        .iter()
        .find(|f| f.defect.as_ref().is_some_and(|d| *d != depth_note))
    {
        return Err(format!("a valid record has a defect: {:?}", f.defect));
    }
    Ok(true)
}
