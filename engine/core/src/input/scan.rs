//! A resumable JSON syntax scanner: it follows the grammar byte by byte, tells where
//! each record starts and ends, and where the syntax breaks, without building
//! anything. It knows the containers that hold records: a top-level array, and a
//! top-level object with a records key (`{"Records": [...]}`) wherever that key is.
//!
//! The scanner checks structure (brackets, commas, colons, keys, the shape of
//! numbers and literals, string ends); what it leaves to the parser is what cannot
//! move a record's end: escapes' meaning and control characters inside strings.

/// What [`Scanner::scan`] stopped for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ev {
    /// Every byte given was consumed; more input is needed (or the input ended).
    More,
    /// A record starts at the index (its first byte is not consumed yet).
    Start,
    /// The record ends before the index.
    End,
    /// The top-level object that was taken for a record holds a records key with an
    /// array: it is a wrapper, its bytes so far are not a record.
    Wrapper,
    /// The syntax breaks at the index.
    Error(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Obj,
    Arr,
}

/// What the top level holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    /// Records are top-level values.
    Values,
    /// Records are the elements of the top-level array.
    Array,
    /// A wrapper object: records are the elements of its records arrays.
    Wrapper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Expecting a value (top level, after `:`, after `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    ValueOrEnd,
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value in a container: `,` or its closing bracket.
    Next,
    /// Inside a string.
    Str { key: bool, esc: Esc },
    /// Inside a number.
    Num(Num),
    /// Inside `true`, `false` or `null`: the word and how much of it was read.
    Lit { word: &'static [u8], at: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    /// After a backslash.
    Backslash,
    /// Hex digits of `\u` still to come.
    Hex(u8),
}

/// Number grammar states (RFC 8259): `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

impl Num {
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::Exp)
    }

    /// The next state on `b`; `None` when `b` ends the number (or breaks it).
    fn step(self, b: u8) -> Option<Num> {
        Some(match (self, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') | (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
            (Num::E, b'+' | b'-') => Num::ESign,
            (Num::E | Num::ESign | Num::Exp, b'0'..=b'9') => Num::Exp,
            _ => return None,
        })
    }
}

/// The scanner's state between calls: resumable at any byte.
#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent facts of the grammar state
pub(super) struct Scanner {
    st: St,
    stack: Vec<Kind>,
    top: Top,
    /// A wrapper's records array is open (it is `stack[1]`).
    records_open: bool,
    /// A record has started and not ended.
    in_record: bool,
    /// The key just read is a records key (so a `[` value opens records).
    records_key: bool,
    /// Where the key being read starts (index into the caller's buffer), when it is a
    /// key of a top-level object.
    key_start: Option<usize>,
    /// A number or literal just ended at the top level: the next byte must delimit it.
    after_bare: bool,
    /// The deepest nesting of the current record.
    pub(super) record_depth: usize,
    /// Lines ended so far (newlines outside strings).
    pub(super) lines: u64,
    /// Only whitespace so far on the current line, and how much.
    pub(super) line_blank: bool,
    pub(super) indent: usize,
    records_keys: Vec<Vec<u8>>,
}

impl Scanner {
    pub(super) fn new(records_keys: &[String]) -> Self {
        Scanner {
            st: St::Value,
            stack: Vec::new(),
            top: Top::Values,
            records_open: false,
            in_record: false,
            records_key: false,
            key_start: None,
            after_bare: false,
            record_depth: 0,
            lines: 0,
            line_blank: true,
            indent: 0,
            records_keys: records_keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
        }
    }

    /// Back to the top level, between records (after a syntax error).
    pub(super) fn reset(&mut self) {
        self.st = St::Value;
        self.stack.clear();
        self.top = Top::Values;
        self.records_open = false;
        self.in_record = false;
        self.records_key = false;
        self.key_start = None;
        self.after_bare = false;
        self.record_depth = 0;
    }

    /// At the top level between values: no container, record or token is open.
    pub(super) fn between_values(&self) -> bool {
        self.st == St::Value && self.stack.is_empty()
    }

    /// The caller skipped whitespace: a number or literal before it is delimited.
    pub(super) fn skipped_whitespace(&mut self) {
        self.after_bare = false;
    }

    /// The open container that holds records, by name.
    pub(super) fn container(&self) -> Option<&'static str> {
        match self.top {
            Top::Values => None,
            Top::Array => Some("array of records"),
            Top::Wrapper => Some("object that wraps records"),
        }
    }

    /// The caller dropped bytes in the middle of the buffer: a key being read may be gone.
    pub(super) fn forget_key(&mut self) {
        self.key_start = None;
    }

    /// The caller dropped `n` bytes before every index the scanner holds.
    pub(super) fn shift(&mut self, n: usize) {
        self.key_start = self.key_start.and_then(|k| k.checked_sub(n));
    }

    /// The stack depth at which values are records.
    fn record_level(&self) -> Option<usize> {
        match self.top {
            Top::Values => Some(0),
            Top::Array => Some(1),
            Top::Wrapper => self.records_open.then_some(2),
        }
    }

    fn at_record_level(&self) -> bool {
        self.record_level() == Some(self.stack.len())
    }

    /// Scans `buf` from `*i`. On return `*i` is where it stopped (see [`Ev`]).
    /// `eof` says that nothing follows `buf`.
    pub(super) fn scan(&mut self, buf: &[u8], i: &mut usize, eof: bool) -> Ev {
        while *i < buf.len() {
            let b = buf[*i];
            match self.st {
                St::Str { key, esc } => {
                    if esc == Esc::None {
                        // Jump to the next byte that can end the string or start an escape.
                        let rest = &buf[*i..];
                        match memchr::memchr3(b'"', b'\\', b'\n', rest) {
                            None => {
                                *i = buf.len();
                                continue;
                            }
                            Some(k) => *i += k,
                        }
                        match buf[*i] {
                            b'"' => {
                                *i += 1;
                                if key {
                                    self.end_key(buf, *i);
                                    self.st = St::Colon;
                                } else if let Some(ev) = self.end_value(false) {
                                    return ev;
                                }
                            }
                            b'\\' => {
                                *i += 1;
                                self.st = St::Str {
                                    key,
                                    esc: Esc::Backslash,
                                };
                            }
                            _ => return Ev::Error("a string runs past the end of its line"),
                        }
                        continue;
                    }
                    let next = match (esc, b) {
                        (
                            Esc::Backslash,
                            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't',
                        ) => Esc::None,
                        (Esc::Backslash, b'u') => Esc::Hex(4),
                        (Esc::Hex(n), b) if b.is_ascii_hexdigit() => {
                            if n == 1 {
                                Esc::None
                            } else {
                                Esc::Hex(n - 1)
                            }
                        }
                        _ => return Ev::Error("an invalid escape in a string"),
                    };
                    self.st = St::Str { key, esc: next };
                    *i += 1;
                }
                St::Num(n) => match n.step(b) {
                    Some(next) => {
                        self.st = St::Num(next);
                        *i += 1;
                    }
                    None if n.complete() => {
                        if let Some(ev) = self.end_value(true) {
                            return ev;
                        }
                    }
                    None => return Ev::Error("a malformed number"),
                },
                St::Lit { word, at } => {
                    if word.get(at as usize) != Some(&b) {
                        return Ev::Error("an unknown word where a value belongs");
                    }
                    *i += 1;
                    if at as usize + 1 == word.len() {
                        if let Some(ev) = self.end_value(true) {
                            return ev;
                        }
                    } else {
                        self.st = St::Lit { word, at: at + 1 };
                    }
                }
                _ if matches!(b, b' ' | b'\t' | b'\r' | b'\n') => {
                    self.after_bare = false;
                    match b {
                        b'\n' => {
                            self.lines += 1;
                            self.line_blank = true;
                            self.indent = 0;
                        }
                        b' ' | b'\t' if self.line_blank => self.indent += 1,
                        _ => {}
                    }
                    *i += 1;
                }
                St::Value | St::ValueOrEnd => {
                    if std::mem::take(&mut self.after_bare)
                        && !matches!(b, b'"' | b'[' | b']' | b'{' | b'}' | b',' | b':')
                    {
                        return Ev::Error("a value runs into the next one");
                    }
                    if b == b']' && self.st == St::ValueOrEnd {
                        self.line_blank = false;
                        *i += 1;
                        if let Some(ev) = self.close(Kind::Arr) {
                            return ev;
                        }
                        continue;
                    }
                    if b == b',' && self.stack.is_empty() {
                        // Commas between top-level values are separators (an array
                        // whose brackets were lost reads the same).
                        self.line_blank = false;
                        *i += 1;
                        continue;
                    }
                    if !matches!(
                        b,
                        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
                    ) {
                        return Ev::Error(match b {
                            b'}' | b']' => "a closing bracket where a value belongs",
                            b',' => "a comma where a value belongs",
                            _ => "an unexpected character where a value belongs",
                        });
                    }
                    if self.stack.is_empty() && b == b'[' && self.top == Top::Values {
                        // A top-level array holds records.
                        self.line_blank = false;
                        *i += 1;
                        self.stack.push(Kind::Arr);
                        self.top = Top::Array;
                        self.st = St::ValueOrEnd;
                        continue;
                    }
                    if self.records_key {
                        self.records_key = false;
                        if b == b'[' {
                            self.line_blank = false;
                            *i += 1;
                            self.stack.push(Kind::Arr);
                            self.top = Top::Wrapper;
                            self.records_open = true;
                            self.st = St::ValueOrEnd;
                            if self.in_record {
                                self.in_record = false;
                                return Ev::Wrapper;
                            }
                            continue;
                        }
                    }
                    if !self.in_record && self.at_record_level() {
                        // Reported before the byte is consumed, so the caller sees
                        // where the record starts and whether it starts its line.
                        self.in_record = true;
                        self.record_depth = 0;
                        return Ev::Start;
                    }
                    self.line_blank = false;
                    *i += 1;
                    self.st = match b {
                        b'{' => {
                            self.push(Kind::Obj);
                            St::KeyOrEnd
                        }
                        b'[' => {
                            self.push(Kind::Arr);
                            St::ValueOrEnd
                        }
                        b'"' => St::Str {
                            key: false,
                            esc: Esc::None,
                        },
                        b'-' => St::Num(Num::Minus),
                        b'0' => St::Num(Num::Zero),
                        b'1'..=b'9' => St::Num(Num::Int),
                        b't' => St::Lit {
                            word: b"true",
                            at: 1,
                        },
                        b'f' => St::Lit {
                            word: b"false",
                            at: 1,
                        },
                        _ => St::Lit {
                            word: b"null",
                            at: 1,
                        },
                    };
                }
                St::KeyOrEnd | St::Key => {
                    self.line_blank = false;
                    match b {
                        b'"' => {
                            // Keys of a top-level object may be records keys.
                            self.key_start = (self.stack.len() == 1
                                && self.top != Top::Array
                                && !self.records_keys.is_empty())
                            .then_some(*i + 1);
                            *i += 1;
                            self.st = St::Str {
                                key: true,
                                esc: Esc::None,
                            };
                        }
                        b'}' if self.st == St::KeyOrEnd => {
                            *i += 1;
                            if let Some(ev) = self.close(Kind::Obj) {
                                return ev;
                            }
                        }
                        _ => return Ev::Error("expected a key in quotes"),
                    }
                }
                St::Colon => {
                    self.line_blank = false;
                    if b != b':' {
                        return Ev::Error("expected `:` after a key");
                    }
                    *i += 1;
                    self.st = St::Value;
                }
                St::Next => {
                    self.line_blank = false;
                    let kind = *self.stack.last().unwrap_or(&Kind::Arr);
                    match (b, kind) {
                        (b',', Kind::Obj) => self.st = St::Key,
                        (b',', Kind::Arr) => self.st = St::Value,
                        (b'}', Kind::Obj) | (b']', Kind::Arr) => {
                            *i += 1;
                            if let Some(ev) = self.close(kind) {
                                return ev;
                            }
                            continue;
                        }
                        (_, Kind::Obj) => return Ev::Error("expected `,` or `}` after a value"),
                        (_, Kind::Arr) => return Ev::Error("expected `,` or `]` after a value"),
                    }
                    *i += 1;
                }
            }
        }
        if !eof {
            return Ev::More;
        }
        // The input ends here.
        if let St::Num(n) = self.st
            && n.complete()
            && let Some(ev) = self.end_value(true)
        {
            return ev;
        }
        match self.st {
            St::Value if self.stack.is_empty() => Ev::More,
            _ if self.in_record => Ev::Error("the input ends inside a record"),
            _ => Ev::Error("the input ends inside a JSON value"),
        }
    }

    fn push(&mut self, kind: Kind) {
        self.stack.push(kind);
        if self.in_record {
            let level = self.record_level().unwrap_or(0);
            self.record_depth = self.record_depth.max(self.stack.len() - level);
        }
    }

    /// A key ended before `end`: is it a records key?
    fn end_key(&mut self, buf: &[u8], end: usize) {
        if let Some(start) = self.key_start.take() {
            let key = &buf[start..end - 1];
            self.records_key = self.records_keys.iter().any(|k| k == key);
        }
    }

    /// Closes the innermost container, which must be `kind`.
    fn close(&mut self, kind: Kind) -> Option<Ev> {
        debug_assert_eq!(self.stack.last(), Some(&kind));
        self.stack.pop();
        match (self.top, self.stack.len()) {
            (Top::Array | Top::Wrapper, 0) => {
                // The records' container closed: it was not a record.
                self.top = Top::Values;
                self.records_open = false;
                self.st = St::Value;
                return None;
            }
            (Top::Wrapper, 1) if self.records_open && kind == Kind::Arr => {
                self.records_open = false;
                self.st = St::Next;
                return None;
            }
            _ => {}
        }
        self.end_value(false)
    }

    /// A value just ended: the state after it, and `End` when it was a record.
    fn end_value(&mut self, bare: bool) -> Option<Ev> {
        self.after_bare = bare && self.stack.is_empty();
        self.st = if self.stack.is_empty() {
            St::Value
        } else {
            St::Next
        };
        if self.in_record && self.at_record_level() {
            self.in_record = false;
            return Some(Ev::End);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans `text` whole: the records' texts, or the first error and where.
    fn scan(text: &str) -> Result<Vec<&str>, (&'static str, usize)> {
        let mut s = Scanner::new(&["Records".to_owned()]);
        let buf = text.as_bytes();
        let (mut i, mut start, mut out) = (0, 0, Vec::new());
        loop {
            match s.scan(buf, &mut i, true) {
                Ev::More => return Ok(out),
                Ev::Start => start = i,
                Ev::End => out.push(&text[start..i]),
                Ev::Wrapper => {}
                Ev::Error(e) => return Err((e, i)),
            }
        }
    }

    #[test]
    fn values_arrays_and_wrappers() {
        assert_eq!(
            scan("{\"a\":1} 2 \"x\"\n[3]").unwrap(),
            ["{\"a\":1}", "2", "\"x\"", "3"]
        );
        assert_eq!(
            scan("[ {\"a\":[1,{}]} , -1.5e+3, true ]").unwrap(),
            ["{\"a\":[1,{}]}", "-1.5e+3", "true"]
        );
        assert_eq!(
            scan(r#"{"v":1,"Records":[{"a":1},{"b":2}],"x":{"Records":[3]}} {"c":3}"#).unwrap(),
            [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#]
        );
        // A records key whose value is not an array, or below the top level, is data.
        assert_eq!(scan(r#"{"Records":1}"#).unwrap(), [r#"{"Records":1}"#]);
        assert_eq!(
            scan(r#"{"a":{"Records":[1]}}"#).unwrap(),
            [r#"{"a":{"Records":[1]}}"#]
        );
        assert_eq!(scan("1,2").unwrap(), ["1", "2"]);
        assert_eq!(scan("12").unwrap(), ["12"]);
        assert_eq!(scan("1\"a\"").unwrap(), ["1", "\"a\""]);
        assert_eq!(
            scan("truefalse").unwrap_err(),
            ("a value runs into the next one", 4)
        );
    }

    #[test]
    fn syntax_breaks_are_found_where_they_are() {
        assert_eq!(
            scan("}"),
            Err(("a closing bracket where a value belongs", 0))
        );
        assert_eq!(scan("[}]").unwrap_err().1, 1);
        assert_eq!(
            scan("{\"a\":1,\"b\":\n{\"c\":3}\n{").unwrap_err(),
            ("expected `,` or `}` after a value", 20)
        );
        assert_eq!(scan("{\"a\":\"x\n\"}").unwrap_err().1, 7);
        assert_eq!(scan("[01]").unwrap_err().1, 2);
        assert_eq!(scan("{\"a\" 1}").unwrap_err().0, "expected `:` after a key");
        assert_eq!(scan("tru").unwrap_err().0, "the input ends inside a record");
        assert_eq!(
            scan("[1,").unwrap_err().0,
            "the input ends inside a JSON value"
        );
        assert_eq!(
            scan("\"\\x\"").unwrap_err().0,
            "an invalid escape in a string"
        );
    }

    #[test]
    fn resumes_at_any_byte() {
        let text = r#" {"Records": [{"a": "x\"y\u00e9", "b": [1.5e3, null]}, {}]} -12 true"#;
        let whole = scan(text).unwrap();
        let mut s = Scanner::new(&["Records".to_owned()]);
        let buf = text.as_bytes();
        let mut got = Vec::new();
        let (mut start, mut i) = (0, 0);
        // Feed one more byte at a time.
        for end in 1..=buf.len() {
            loop {
                match s.scan(&buf[..end], &mut i, end == buf.len()) {
                    Ev::More => break,
                    Ev::Start => start = i,
                    Ev::End => got.push(&text[start..i]),
                    Ev::Wrapper => {}
                    Ev::Error(e) => panic!("{e} at {i}"),
                }
            }
        }
        assert_eq!(got, whole);
        assert_eq!(s.lines, 0);
    }
}
