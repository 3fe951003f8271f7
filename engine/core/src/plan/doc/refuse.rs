//! Values the engine refuses: JSON text that serde_json accepts while skipping it but
//! would not read as a `Value` (lone surrogate escapes, numbers beyond `f64`, nesting
//! deeper than [`MAX_DEPTH`]). The lazy parser keeps unread subtrees as raw text that
//! serde_json never checked, so each one is scanned here: cheaply, since a subtree
//! without a backslash, an exponent or a very long number holds nothing to refuse.

use std::fmt;

/// How many levels of objects and arrays a record may nest. serde_json reads at most
/// 127; the output nests a record's values a few levels deeper (`unmapped`, OCSF
/// objects), and must stay readable too.
pub const MAX_DEPTH: usize = 100;

/// Number text shorter than this, without an exponent, always fits an `f64`
/// (`f64::MAX` has 309 integer digits).
pub(super) const SAFE_NUMBER_LEN: usize = 309;

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A `\u` escape of a UTF-16 surrogate without its pair, as written.
    LoneSurrogate(String),
    /// A number beyond `f64`'s range, as written (shortened when long).
    NumberOutOfRange(String),
    /// Objects and arrays nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// A refused value: what, and where in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub problem: Problem,
    /// Byte offset in the record of the value (or key) that holds the problem.
    pub offset: usize,
    /// JSON pointer of the value; of the object, when the problem is in one of its keys.
    pub pointer: String,
    pub in_key: bool,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "the record's top level"
        } else {
            &self.pointer
        };
        let place = match (&self.problem, self.in_key) {
            (_, true) => format!("in a key of the object at {at}"),
            (Problem::LoneSurrogate(_), false) => format!("in the string at {at}"),
            _ => format!("at {at}"),
        };
        match &self.problem {
            Problem::LoneSurrogate(esc) => write!(f, "lone surrogate {esc} {place}")?,
            Problem::NumberOutOfRange(n) => write!(f, "number out of range {n} {place}")?,
            Problem::TooDeep => write!(f, "nested deeper than {MAX_DEPTH} levels {place}")?,
        }
        write!(f, " (byte {} of the record)", self.offset)
    }
}

/// A problem found at a byte offset of the text scanned (boxed where returned, so the
/// common `Ok` stays two words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub offset: usize,
    pub problem: Problem,
}

/// Checks one value that serde_json skipped as raw text (so its syntax is valid),
/// found inside `depth` objects and arrays. `escapes` tells whether the record holds a
/// backslash at all: most hold none, and then no string needs a look. `Ok(true)` when
/// an object in the value may repeat a key (see [`scan`]).
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose: it vectorises
pub fn check_raw(text: &str, depth: usize, escapes: bool) -> Result<bool, Box<Found>> {
    let bytes = text.as_bytes();
    match bytes.first() {
        Some(b'"') if escapes => check_escapes(bytes, 0, bytes.len()).map(|()| false),
        // The text is the number: short, without an exponent, it fits (no early exit,
        // so the compiler checks many bytes at once).
        Some(b'-' | b'0'..=b'9')
            if bytes.len() < SAFE_NUMBER_LEN
                && !bytes.iter().fold(false, |e, &b| e | (b | 0x20 == b'e')) =>
        {
            Ok(false)
        }
        Some(b'-' | b'0'..=b'9') => check_number(bytes, 0).map(|_| false),
        Some(b'{' | b'[') => scan(bytes, depth, escapes),
        _ => Ok(false),
    }
}

/// A bit (of 128) standing for an object key, to notice cheaply that an object may
/// repeat one: equal keys always share a bit (keys written with escapes are compared
/// exactly, see [`scan`]).
#[inline]
pub fn key_bit(key: &[u8]) -> u128 {
    let mut h = key.len() as u32;
    for &b in key.iter().take(8) {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    if let Some(&last) = key.last() {
        h ^= u32::from(last) << 16;
    }
    1 << (h.wrapping_mul(0x9E37_79B9) >> 25)
}

/// Objects tracked by [`scan`] for repeated keys in fixed slots, by nesting level in the
/// value; deeper objects (CloudTrail's `requestParameters` go six levels down) are
/// tracked in a vector grown on first use.
const TRACKED_LEVELS: usize = 4;

/// Per nesting level of [`scan`]: where the object opened, and its keys' bits.
struct Levels {
    near: [(usize, u128); TRACKED_LEVELS],
    deep: Vec<(usize, u128)>,
}

impl Levels {
    #[inline]
    fn get_mut(&mut self, at: usize) -> Option<&mut (usize, u128)> {
        match self.near.get_mut(at) {
            Some(level) => Some(level),
            None => self.deep.get_mut(at - TRACKED_LEVELS),
        }
    }

    /// An object opens at `start` on level `at`.
    #[inline]
    fn open(&mut self, at: usize, start: usize) {
        if let Some(level) = self.near.get_mut(at) {
            *level = (start, 0);
        } else {
            let at = at - TRACKED_LEVELS;
            if self.deep.len() <= at {
                self.deep.resize(at + 1, (0, 0));
            }
            self.deep[at] = (start, 0);
        }
    }
}

/// Scans JSON text for refused values, starting `depth` containers deep. Tolerates
/// broken syntax (it is also run over records serde_json failed on) without panicking.
/// `Ok(true)` when an object may repeat a key: a key equal to an earlier one of its
/// object, or a key written with an escape.
/// Without `escapes` (no backslash in the text), strings end at the next quote.
pub fn scan(bytes: &[u8], depth: usize, escapes: bool) -> Result<bool, Box<Found>> {
    // Per level below `depth`: whether it is an object, and for objects where it
    // starts and its keys' bits.
    let mut objects: u128 = 0;
    let mut levels = Levels {
        near: [(0, 0); TRACKED_LEVELS],
        deep: Vec::new(),
    };
    let mut level = 0usize;
    let mut want_key = false;
    let mut suspect = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (end, escaped) = if escapes {
                    string_end(bytes, i, true)?
                } else {
                    (past_quote(bytes, i + 1), false)
                };
                if want_key && !suspect {
                    let key = bytes.get(i + 1..end.saturating_sub(1)).unwrap_or_default();
                    let at = level.wrapping_sub(1);
                    match levels.get_mut(at) {
                        Some((start, seen)) if !escaped => {
                            let bit = key_bit(key);
                            // Bits meet rarely: then the object's earlier keys are
                            // compared one by one.
                            suspect =
                                *seen & bit != 0 && earlier_key(bytes, *start, i, key, escapes);
                            *seen |= bit;
                        }
                        _ => suspect = true,
                    }
                }
                want_key = false;
                i = end;
            }
            b'-' | b'0'..=b'9' => i = check_number(bytes, i)?,
            b @ (b'{' | b'[') => {
                level += 1;
                if depth + level > MAX_DEPTH {
                    return Err(Box::new(Found {
                        offset: i,
                        problem: Problem::TooDeep,
                    }));
                }
                let bit = 1u128 << (level - 1);
                if b == b'{' {
                    objects |= bit;
                    levels.open(level - 1, i);
                } else {
                    objects &= !bit;
                }
                want_key = b == b'{';
                i += 1;
            }
            b'}' | b']' => {
                level = level.saturating_sub(1);
                want_key = false;
                i += 1;
            }
            b',' => {
                want_key = level > 0 && objects & (1u128 << (level - 1)) != 0;
                i += 1;
            }
            // `true`, `null`, `false`: nothing to check in them.
            b't' | b'n' => i += 4,
            b'f' => i += 5,
            _ => i += 1,
        }
    }
    Ok(suspect)
}

/// Whether the object that opens at `start` has `key` (written without escapes) among
/// its keys before the one at `before`.
pub(super) fn earlier_key(
    bytes: &[u8],
    start: usize,
    before: usize,
    key: &[u8],
    escapes: bool,
) -> bool {
    let mut level = 0usize;
    let mut want_key = true;
    let mut i = start + 1;
    while i < before {
        match bytes[i] {
            b'"' => {
                let end = if escapes {
                    string_end(bytes, i, false).map_or(before, |(end, _)| end)
                } else {
                    past_quote(bytes, i + 1)
                };
                if want_key && level == 0 && bytes.get(i + 1..end.saturating_sub(1)) == Some(key) {
                    return true;
                }
                want_key = false;
                i = end;
            }
            b'{' | b'[' => {
                level += 1;
                i += 1;
            }
            b'}' | b']' => {
                level = level.saturating_sub(1);
                i += 1;
            }
            b',' => {
                want_key = level == 0;
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// The offset just past the next quote from `from` (the end of a string without
/// escapes). Eight bytes at a time: most strings are short, and this costs less than
/// setting memchr up.
#[inline]
fn past_quote(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let rest = bytes.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(8);
    let mut at = from;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A zero byte of `x` is a quote; the lowest flagged byte is the first one.
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'"'));
        let found = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize + 1;
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"')
        .map_or(bytes.len(), |j| at + j + 1)
}

/// The offset just past the string literal that opens at `start`, and whether it
/// holds an escape; with `check`, a lone surrogate in it is an error.
fn string_end(bytes: &[u8], start: usize, check: bool) -> Result<(usize, bool), Box<Found>> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) else {
            return Ok((bytes.len(), escaped));
        };
        i += j;
        if bytes[i] == b'"' {
            return Ok((i + 1, escaped));
        }
        escaped = true;
        if check && bytes.get(i + 1) == Some(&b'u') {
            i = check_escape(bytes, start, i)?;
        } else {
            i += 2;
        }
    }
}

/// Checks every `\u` escape of the string literal at `start..end`.
fn check_escapes(bytes: &[u8], start: usize, end: usize) -> Result<(), Box<Found>> {
    let mut i = start + 1;
    while let Some(j) = memchr::memchr(b'\\', &bytes[i.min(end)..end]) {
        i += j;
        if bytes.get(i + 1) == Some(&b'u') {
            i = check_escape(bytes, start, i)?;
        } else {
            i += 2;
        }
    }
    Ok(())
}

/// Checks the `\u` escape at `i` of the string that opens at `start`; returns the
/// offset past it (past its pair, for a surrogate pair).
fn check_escape(bytes: &[u8], start: usize, i: usize) -> Result<usize, Box<Found>> {
    let lone = || {
        Box::new(Found {
            offset: start,
            problem: Problem::LoneSurrogate(
                String::from_utf8_lossy(&bytes[i..(i + 6).min(bytes.len())]).into_owned(),
            ),
        })
    };
    match hex4(bytes, i + 2) {
        Some(0xD800..=0xDBFF) => {
            let pair = bytes.get(i + 6) == Some(&b'\\') && bytes.get(i + 7) == Some(&b'u');
            match hex4(bytes, i + 8) {
                Some(0xDC00..=0xDFFF) if pair => Ok(i + 12),
                _ => Err(lone()),
            }
        }
        Some(0xDC00..=0xDFFF) => Err(lone()),
        _ => Ok(i + 6),
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
    u16::from_str_radix(digits, 16).ok()
}

/// Checks the number that starts at `start`; returns the offset past it.
#[inline]
fn check_number(bytes: &[u8], start: usize) -> Result<usize, Box<Found>> {
    let mut end = start;
    let mut exponent = false;
    while let Some(&b) = bytes.get(end) {
        match b {
            b'0'..=b'9' | b'-' | b'+' | b'.' => {}
            b'e' | b'E' => exponent = true,
            _ => break,
        }
        end += 1;
    }
    if !exponent && end - start < SAFE_NUMBER_LEN {
        return Ok(end);
    }
    check_number_exactly(bytes, start, end)
}

/// Rare: decides as serde_json does, with its own number parser.
#[cold]
fn check_number_exactly(bytes: &[u8], start: usize, end: usize) -> Result<usize, Box<Found>> {
    let text = std::str::from_utf8(&bytes[start..end]).unwrap_or_default();
    match serde_json::from_str::<f64>(text) {
        Err(e) if e.to_string().starts_with("number out of range") => Err(Box::new(Found {
            offset: start,
            problem: Problem::NumberOutOfRange(shorten(text)),
        })),
        _ => Ok(end),
    }
}

fn shorten(text: &str) -> String {
    if text.len() <= 40 {
        text.to_owned()
    } else {
        // Number text is ASCII, so any byte index is a char boundary.
        format!("{}...{}", &text[..20], &text[text.len() - 10..])
    }
}

/// Turns a problem found at `offset` of `record` into a refusal naming its place.
pub fn refusal(record: &str, found: Found) -> Refusal {
    let (pointer, in_key) = pointer_at(record.as_bytes(), found.offset);
    Refusal {
        problem: found.problem,
        offset: found.offset,
        pointer,
        in_key,
    }
}

/// The first refused value of a whole record, if it has one before `limit` (a syntax
/// error's offset: what comes after it was never read).
pub fn first_in_record(record: &str, limit: usize) -> Option<Refusal> {
    match scan(record.as_bytes(), 0, true) {
        Err(found) if found.offset <= limit => Some(refusal(record, *found)),
        _ => None,
    }
}

enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array { index: usize },
}

/// The JSON pointer of the value that starts at `offset`, walking the text from the
/// start (slow: only for a record being refused). When a key starts there, the
/// pointer is its object's, and the flag is set.
fn pointer_at(bytes: &[u8], offset: usize) -> (String, bool) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() && i <= offset {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':') {
            if b == b':'
                && let Some(Frame::Object { want_key, .. }) = stack.last_mut()
            {
                *want_key = false;
            }
            i += 1;
            continue;
        }
        if b == b',' {
            match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                None => {}
            }
            i += 1;
            continue;
        }
        if let Some(Frame::Object {
            key,
            want_key: true,
        }) = stack.last_mut()
            && b == b'"'
        {
            let end = string_end(bytes, i, false).map_or(bytes.len(), |(end, _)| end);
            if i == offset {
                return (pointer(&stack), true);
            }
            let text = String::from_utf8_lossy(&bytes[i..end]);
            *key = Some(
                serde_json::from_str::<String>(&text)
                    .unwrap_or_else(|_| text.trim_matches('"').to_owned()),
            );
            i = end;
            continue;
        }
        if i == offset {
            return (pointer(&stack), false);
        }
        match b {
            b'{' => stack.push(Frame::Object {
                key: None,
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b'"' => {
                i = string_end(bytes, i, false).map_or(bytes.len(), |(end, _)| end);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (pointer(&stack), false)
}

fn pointer(stack: &[Frame]) -> String {
    let mut out = String::new();
    for frame in stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                out.push('/');
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
        }
        if out.len() > 200 {
            out.push_str("/...");
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(record: &str) -> Option<String> {
        first_in_record(record, usize::MAX).map(|r| r.to_string())
    }

    #[test]
    fn lone_surrogates_are_found_and_pairs_are_not() {
        assert_eq!(
            first(r#"{"a":{"b":["x","TCP\ud800"]}}"#).as_deref(),
            Some(r"lone surrogate \ud800 in the string at /a/b/1 (byte 15 of the record)")
        );
        assert_eq!(
            first(r#"{"a":"\uDC00"}"#).as_deref(),
            Some(r"lone surrogate \uDC00 in the string at /a (byte 5 of the record)")
        );
        // A high surrogate followed by something other than a low one.
        assert!(first(r#"{"a":"\ud800\u0041"}"#).is_some());
        assert!(first(r#"{"a":"\ud800x"}"#).is_some());
        assert!(first(r#"{"a":"\ud800"}"#).is_some());
        // A pair is one character; an escaped backslash is not an escape of `u`.
        assert_eq!(first(r#"{"a":"\ud83d\ude00","b":"\\ud800"}"#), None);
        assert_eq!(
            first(r#"{"k\udfff":1}"#).as_deref(),
            Some(
                r"lone surrogate \udfff in a key of the object at the record's top level (byte 1 of the record)"
            )
        );
        assert_eq!(check_raw(r#""plain""#, 1, true), Ok(false));
        assert!(check_raw(r#""a\"\ud800""#, 1, true).is_err());
    }

    #[test]
    fn numbers_beyond_f64_are_found_and_others_are_not() {
        assert_eq!(
            first(r#"{"a/b":[1,{"c~":-1e999}]}"#).as_deref(),
            Some("number out of range -1e999 at /a~1b/1/c~0 (byte 16 of the record)")
        );
        let long = format!("{{\"n\":{}}}", "9".repeat(400));
        let got = first(&long).unwrap();
        assert!(
            got.starts_with("number out of range 99999999999999999999...9999999999 at /n"),
            "{got}"
        );
        for fine in [
            "1e308",
            "1.5E+3",
            "1e-999",
            "0e99999",
            "-0.5",
            "123456789012345678901234567890",
        ] {
            assert_eq!(first(&format!("{{\"n\":{fine}}}")), None, "{fine}");
            assert!(serde_json::from_str::<serde_json::Value>(fine).is_ok());
        }
        assert!(check_raw("2e308", 1, true).is_err());
        assert!(serde_json::from_str::<serde_json::Value>("2e308").is_err());
        // Inside strings, number-like text is text.
        assert_eq!(first(r#"{"a":"1e999"}"#), None);
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_found() {
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        assert_eq!(first(&deep(MAX_DEPTH - 1)), None);
        let got = first(&deep(MAX_DEPTH)).unwrap();
        assert!(
            got.starts_with("nested deeper than 100 levels at /a/0/0/"),
            "{got}"
        );
        // A raw subtree counts the containers around it.
        assert!(check_raw("[[]]", MAX_DEPTH - 2, true).is_ok());
        assert!(check_raw("[[]]", MAX_DEPTH - 1, true).is_err());
    }

    #[test]
    fn objects_that_may_repeat_a_key_are_noticed() {
        let suspect = |text: &str| check_raw(text, 1, true).unwrap();
        assert!(!suspect(
            r#"{"syn":true,"fin":true,"a":{"syn":1},"b":[{"fin":1}]}"#
        ));
        assert!(suspect(r#"{"a":1,"a":2}"#));
        assert!(suspect(r#"[{"x":{"k":1,"k":2}}]"#));
        assert!(suspect(r#"{"a":1,"\u0061":2}"#));
        // Keys that share a bit are compared exactly.
        let (a, b) = (0..1000)
            .flat_map(|x| (0..x).map(move |y| (format!("k{x}"), format!("k{y}"))))
            .find(|(a, b)| key_bit(a.as_bytes()) == key_bit(b.as_bytes()))
            .unwrap();
        assert!(!suspect(&format!(r#"{{"{a}":1,"x":{{"{a}":2}},"{b}":3}}"#)));
        assert!(suspect(&format!(r#"{{"{a}":1,"{b}":2,"{a}":3}}"#)));
        // Objects deeper than the fixed slots are tracked too (CloudTrail's
        // `requestParameters.filterSet.items[].valueSet.items[]`), each on its level.
        let nested = |inner: &str| {
            format!(r#"{{"p":{{"f":{{"items":[{{"name":"x","v":{{"items":[{inner}]}}}}]}}}}}}"#)
        };
        assert!(!suspect(&nested(r#"{"value":1,"name":2}"#)));
        assert!(!suspect(&nested(r#"{"value":1},{"value":2}"#)));
        assert!(suspect(&nested(r#"{"value":1,"value":2}"#)));
        assert!(suspect(&format!(
            r#"{}{{"k":1,"k":2}}{}"#,
            "[".repeat(40),
            "]".repeat(40)
        )));
        // Values are not keys.
        assert!(!suspect(r#"{"a":"a","b":["a","a"]}"#));
        // Without backslashes in the record, strings are skipped quote to quote.
        let long = format!(
            r#"{{"{}":1,"b":"{}","c":1}}"#,
            "k".repeat(40),
            "v".repeat(40)
        );
        assert_eq!(check_raw(&long, 1, false), Ok(false));
        assert_eq!(
            check_raw(r#"{"a":1,"a":[1e999]}"#, 1, false)
                .unwrap_err()
                .offset,
            12
        );
    }

    #[test]
    fn quotes_are_found_eight_bytes_at_a_time() {
        for n in 0..40 {
            let text = format!("{}\"{}\"", "a".repeat(n), "é".repeat(n % 5));
            assert_eq!(past_quote(text.as_bytes(), 0), n + 1, "{n}");
            assert_eq!(past_quote(&text.as_bytes()[..n], 0), n, "no quote: {n}");
        }
        assert_eq!(past_quote(b"\x80\xff\x00\x22\x21\x23xxxxxx", 0), 4);
    }

    #[test]
    fn broken_text_is_scanned_without_panicking() {
        for text in [r#"{"a":"\ud8"#, r#"{"a":"\"#, "{\"a\":1e", "[\"", "\"\\u"] {
            let _ = first(text);
            let _ = pointer_at(text.as_bytes(), text.len());
        }
    }
}
