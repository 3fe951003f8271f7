//! Delimited text records (VPC flow logs, load balancer logs): one record per line,
//! split into named fields and handed on as a JSON object of strings, so the rest of
//! the engine sees every input the same way.

use super::source::{CHUNK, Window};
use super::{Found, MAX_RECORD_BYTES, Position};
use crate::diagnostic::{Code, Rejection};
use crate::event::FieldName;
use crate::json_text::write_json_str;

/// How lines split into fields: compiled from the mapping's `input.delimited` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delimited {
    pub separator: u8,
    pub quote: Option<u8>,
    /// The field names of input without a header line.
    pub fields: Option<Vec<String>>,
    pub header: Header,
}

/// Whether each input's first line names the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Header {
    /// The first line is the header when it looks like one: every field starts with a
    /// letter or `_` and (when `fields` are given) one of them is a given name.
    /// Otherwise it is data, named by `fields`; without `fields` the input cannot be
    /// read and each of its lines is set aside saying so.
    #[default]
    Auto,
    /// The first line is always the header.
    Always,
    /// There is no header line: `fields` name the fields.
    Never,
}

/// Reads delimited text line by line in bounded memory.
pub(super) struct LineFramer {
    fields: Fields,
    pos: usize,
    line: u64,
    index: u64,
}

impl LineFramer {
    pub(super) fn new(format: &Delimited) -> Self {
        LineFramer {
            fields: Fields::new(format),
            pos: 0,
            line: 1,
            index: 0,
        }
    }

    pub(super) fn position(&self, win: &Window) -> Position {
        Position {
            line: self.line,
            index: self.index,
            offset: win.consumed + self.pos as u64,
        }
    }

    /// The next record of delimited text: blank lines and header lines are skipped.
    pub(super) fn next(&mut self, win: &mut Window, out: &mut Vec<u8>) -> Option<Found> {
        loop {
            if self.pos >= CHUNK / 2 || self.pos >= win.buf.len() {
                win.drop_front(self.pos.min(win.buf.len()));
                self.pos = 0;
            }
            let start = self.pos;
            let mut i = start;
            let mut dropped = 0u64;
            let mut blank = true;
            let newline = loop {
                if let Some(k) = memchr::memchr(b'\n', &win.buf[i..]) {
                    break Some(i + k);
                }
                blank &= win.buf[i..].iter().all(u8::is_ascii_whitespace);
                i = win.buf.len();
                // Bound memory: an oversized line is counted and skipped, not held.
                if i - start > MAX_RECORD_BYTES {
                    win.drop_range(start, i);
                    dropped += (i - start) as u64;
                    i = start;
                }
                if !win.fill() {
                    break None;
                }
            };
            let end = newline.unwrap_or(win.buf.len());
            if newline.is_none() && end == start && dropped == 0 {
                return None;
            }
            let position = self.position(win);
            self.line += 1;
            self.pos = newline.map_or(end, |n| n + 1);
            let line = &win.buf[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line_blank = line.iter().all(u8::is_ascii_whitespace);
            if line_blank && (dropped == 0 || blank) {
                continue;
            }
            let cut_short = newline.is_none() && win.has_error();
            let written = out.len();
            let mut defect = if dropped + line.len() as u64 > MAX_RECORD_BYTES as u64 {
                Some(Rejection::new(
                    Code::RecordTooLarge,
                    format!("larger than {} MiB", MAX_RECORD_BYTES >> 20),
                ))
            } else {
                match self.fields.line(line, out) {
                    Line::Header => continue,
                    Line::Record(defect) => defect,
                }
            };
            if cut_short {
                // The input broke off inside this line: say so with it.
                out.truncate(written);
                out.extend_from_slice(line);
                let e = win.take_error().map(|e| e.to_string()).unwrap_or_default();
                defect = Some(Rejection::new(
                    Code::InputCutShort,
                    format!("cut short: the input could not be read past this point: {e}"),
                ));
            }
            self.index += 1;
            return Some(Found { position, defect });
        }
    }
}

/// Per-input state: the field names (from the mapping or the header line) rendered
/// once as JSON keys.
#[derive(Debug)]
pub(super) struct Fields {
    format: Delimited,
    /// The field names, in order, with their JSON keys.
    keys: Vec<FieldName>,
    /// The header line, when the names came from one: a repeat of it is skipped.
    header: Option<Vec<u8>>,
    /// No line has been read yet.
    first: bool,
    /// Why no line of this input can be read (it has no usable header).
    unusable: Option<String>,
    /// Unescaped text of a quoted field.
    scratch: Vec<u8>,
}

impl Fields {
    pub(super) fn new(format: &Delimited) -> Self {
        let mut fields = Fields {
            format: format.clone(),
            keys: Vec::new(),
            header: None,
            first: true,
            unusable: None,
            scratch: Vec::new(),
        };
        if let Some(names) = &format.fields {
            fields.set_names(names.iter().map(String::as_str));
        }
        fields
    }

    fn set_names<'n>(&mut self, names: impl Iterator<Item = &'n str>) {
        self.keys = names.map(FieldName::from).collect();
    }

    /// What one non-blank line is.
    pub(super) fn line(&mut self, line: &[u8], out: &mut Vec<u8>) -> Line {
        if std::mem::take(&mut self.first) && self.first_line(line) {
            return Line::Header;
        }
        if let Some(reason) = &self.unusable {
            out.extend_from_slice(line);
            return Line::Record(Some(Rejection::new(Code::NoUsableHeader, reason.clone())));
        }
        if self.header.as_deref() == Some(line) {
            return Line::Header;
        }
        let start = out.len();
        match self.write_object(line, out) {
            Ok(()) => Line::Record(None),
            Err(reason) => {
                // The defect's record is the line as it was read.
                out.truncate(start);
                out.extend_from_slice(line);
                Line::Record(Some(reason))
            }
        }
    }

    /// Decides whether the input's first line is its header; true when it is.
    fn first_line(&mut self, line: &[u8]) -> bool {
        let declared = self.format.fields.clone();
        let declared = declared.as_deref();
        let (names, problem) = self.header_names(line);
        let verdict = match self.format.header {
            Header::Never => return false,
            Header::Always => problem.map_or(Ok(()), Err),
            Header::Auto => {
                let looks_like_header = names.iter().all(|n| looks_like_name(n))
                    && declared.is_none_or(|d| names.iter().any(|n| d.contains(n)));
                match (looks_like_header, declared) {
                    (true, _) => problem.map_or(Ok(()), Err),
                    // Data, named by the declared fields.
                    (false, Some(_)) => return false,
                    (false, None) => Err(match names.iter().position(|n| !looks_like_name(n)) {
                        Some(i) if !names[i].is_empty() => format!(
                            "the input has no header line naming its fields (field {} of its first line is `{}`, not a name); declare input.delimited.fields for input without a header",
                            i + 1,
                            names[i]
                        ),
                        _ => problem.unwrap_or_else(|| {
                            "the input has no header line naming its fields".to_owned()
                        }),
                    }),
                }
            }
        };
        match verdict {
            Ok(()) => {
                self.set_names(names.iter().map(String::as_str));
                self.header = Some(line.to_vec());
                true
            }
            Err(reason) => {
                self.unusable = Some(reason);
                false
            }
        }
    }

    /// The fields of a line read as names, and why they cannot name the fields (a
    /// name empty, not UTF-8, or given twice).
    fn header_names(&mut self, line: &[u8]) -> (Vec<String>, Option<String>) {
        let mut names: Vec<String> = Vec::new();
        let mut problem = None;
        let split = split(line, &self.format, &mut self.scratch, |i, bytes| {
            let name = String::from_utf8_lossy(bytes).into_owned();
            if bytes.is_empty() {
                problem.get_or_insert_with(|| format!("header field {} is empty", i + 1));
            } else if std::str::from_utf8(bytes).is_err() {
                problem.get_or_insert_with(|| format!("header field {} is not valid UTF-8", i + 1));
            } else if names.contains(&name) {
                problem.get_or_insert_with(|| format!("the header names `{name}` twice"));
            }
            names.push(name);
        });
        if let Err(e) = split {
            problem.get_or_insert(e);
        }
        (names, problem)
    }

    fn write_object(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), Rejection> {
        let mut problem = None;
        let mut count = 0;
        out.push(b'{');
        let keys = &self.keys;
        split(line, &self.format, &mut self.scratch, |i, bytes| {
            count = i + 1;
            let Some(key) = keys.get(i) else { return };
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(key.json().as_bytes());
                    write_json_str(text, out);
                }
                Err(_) => {
                    problem.get_or_insert_with(|| format!("field {} is not valid UTF-8", i + 1));
                }
            }
        })
        .map_err(|reason| Rejection::new(Code::MalformedLine, reason))?;
        out.push(b'}');
        if let Some(problem) = problem {
            return Err(Rejection::new(Code::InvalidUtf8, problem));
        }
        if count != self.keys.len() {
            let named = if self.header.is_some() {
                "the header names"
            } else {
                "the mapping names"
            };
            return Err(Rejection::new(
                Code::MalformedLine,
                format!(
                    "the line has {count} fields where {named} {}",
                    self.keys.len()
                ),
            ));
        }
        Ok(())
    }
}

/// What a line of delimited text turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    /// The header (or a repeat of it): not a record.
    Header,
    /// A record written to the output buffer, or its defect.
    Record(Option<Rejection>),
}

/// A header field that names a field rather than holding a value.
fn looks_like_name(field: &str) -> bool {
    field
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
}

/// Calls `each(index, bytes)` for every field of `line`, quotes removed.
fn split(
    line: &[u8],
    format: &Delimited,
    scratch: &mut Vec<u8>,
    mut each: impl FnMut(usize, &[u8]),
) -> Result<(), String> {
    let sep = format.separator;
    let mut i = 0;
    let mut index = 0;
    loop {
        if format.quote.is_some_and(|q| line.get(i) == Some(&q)) {
            let q = line[i];
            scratch.clear();
            i += 1;
            loop {
                match line.get(i) {
                    None => {
                        return Err(format!(
                            "field {} opens a quote that the line never closes",
                            index + 1
                        ));
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        scratch.push(line[i + 1]);
                        i += 2;
                    }
                    Some(&b) if b == q && line.get(i + 1) == Some(&q) => {
                        scratch.push(q);
                        i += 2;
                    }
                    Some(&b) if b == q => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        scratch.push(b);
                        i += 1;
                    }
                }
            }
            each(index, scratch);
            match line.get(i) {
                None => return Ok(()),
                Some(&b) if b == sep => i += 1,
                Some(_) => {
                    return Err(format!(
                        "field {} has text after its closing quote",
                        index + 1
                    ));
                }
            }
        } else {
            let end = memchr::memchr(sep, &line[i..]).map_or(line.len(), |k| i + k);
            each(index, &line[i..end]);
            if end == line.len() {
                return Ok(());
            }
            i = end + 1;
        }
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(fields: Option<&[&str]>, quote: Option<u8>) -> Fields {
        Fields::new(&Delimited {
            separator: b' ',
            quote,
            fields: fields.map(|f| f.iter().map(|s| (*s).to_owned()).collect()),
            header: Header::Auto,
        })
    }

    fn read(f: &mut Fields, line: &str) -> (Line, String) {
        let mut out = Vec::new();
        let line = f.line(line.as_bytes(), &mut out);
        (line, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_header_names_the_fields_and_its_repeat_is_skipped() {
        let mut f = fields(None, None);
        assert_eq!(read(&mut f, "version srcaddr dstport").0, Line::Header);
        assert_eq!(
            read(&mut f, "2 10.0.0.1 443"),
            (
                Line::Record(None),
                r#"{"version":"2","srcaddr":"10.0.0.1","dstport":"443"}"#.to_owned()
            )
        );
        assert_eq!(read(&mut f, "version srcaddr dstport").0, Line::Header);
        let (line, raw) = read(&mut f, "2 10.0.0.1");
        assert_eq!(
            line,
            Line::Record(Some(Rejection::new(
                Code::MalformedLine,
                "the line has 2 fields where the header names 3"
            )))
        );
        assert_eq!(raw, "2 10.0.0.1");
    }

    #[test]
    fn a_bad_header_sets_every_line_aside_saying_why() {
        let mut f = fields(None, None);
        let twice = Line::Record(Some(Rejection::new(
            Code::NoUsableHeader,
            "the header names `a` twice",
        )));
        assert_eq!(read(&mut f, "a b a"), (twice.clone(), "a b a".to_owned()));
        assert_eq!(read(&mut f, "1 2 3"), (twice, "1 2 3".to_owned()));
        let mut f = fields(None, None);
        assert_eq!(
            read(&mut f, "a  b").0,
            Line::Record(Some(Rejection::new(
                Code::NoUsableHeader,
                "header field 2 is empty"
            )))
        );
    }

    #[test]
    fn without_a_header_line_the_declared_fields_name_the_data() {
        // CloudWatch exports of VPC flow logs have no header line.
        let declared = ["version", "srcaddr", "dstport"];
        let mut f = fields(Some(&declared), None);
        assert_eq!(
            read(&mut f, "2 10.0.0.1 443"),
            (
                Line::Record(None),
                r#"{"version":"2","srcaddr":"10.0.0.1","dstport":"443"}"#.to_owned()
            )
        );
        // The same line later is data too, never a header.
        assert_eq!(read(&mut f, "2 10.0.0.1 443").0, Line::Record(None));
        // With a header that shares a declared name, the header names the fields.
        let mut f = fields(Some(&declared), None);
        assert_eq!(read(&mut f, "srcaddr version").0, Line::Header);
        assert_eq!(
            read(&mut f, "10.0.0.2 2").1,
            r#"{"srcaddr":"10.0.0.2","version":"2"}"#
        );
        // A first line of words that names none of the declared fields is data.
        let mut f = fields(Some(&["action", "status"]), None);
        assert_eq!(read(&mut f, "ACCEPT OK").0, Line::Record(None));
    }

    #[test]
    fn without_a_header_or_declared_fields_every_line_says_why() {
        let mut f = fields(None, None);
        let reason = "the input has no header line naming its fields (field 1 of its first line is `2`, not a name); declare input.delimited.fields for input without a header";
        assert_eq!(
            read(&mut f, "2 10.0.0.1 443"),
            (
                Line::Record(Some(Rejection::new(Code::NoUsableHeader, reason))),
                "2 10.0.0.1 443".to_owned()
            )
        );
        assert_eq!(
            read(&mut f, "2 10.0.0.1 443").0,
            Line::Record(Some(Rejection::new(Code::NoUsableHeader, reason)))
        );
    }

    #[test]
    fn header_always_and_never() {
        let mut f = Fields::new(&Delimited {
            separator: b' ',
            quote: None,
            fields: None,
            header: Header::Always,
        });
        assert_eq!(read(&mut f, "1 2").0, Line::Header);
        assert_eq!(read(&mut f, "3 4").1, r#"{"1":"3","2":"4"}"#);
        let mut f = Fields::new(&Delimited {
            separator: b' ',
            quote: None,
            fields: Some(vec!["a".into(), "b".into()]),
            header: Header::Never,
        });
        assert_eq!(read(&mut f, "a b").1, r#"{"a":"a","b":"b"}"#);
    }

    #[test]
    fn quoted_fields_hold_separators_and_escaped_quotes() {
        let mut f = fields(Some(&["type", "request", "agent", "empty"]), Some(b'"'));
        assert_eq!(
            read(&mut f, r#"https "GET / HTTP/1.1" "say ""hi"" \"x\"" """#),
            (
                Line::Record(None),
                r#"{"type":"https","request":"GET / HTTP/1.1","agent":"say \"hi\" \"x\"","empty":""}"#
                    .to_owned()
            )
        );
        assert_eq!(
            read(&mut f, r#"a "open b c"#).0,
            Line::Record(Some(Rejection::new(
                Code::MalformedLine,
                "field 2 opens a quote that the line never closes"
            )))
        );
        assert_eq!(
            read(&mut f, r#"a "b"c d e"#).0,
            Line::Record(Some(Rejection::new(
                Code::MalformedLine,
                "field 2 has text after its closing quote"
            )))
        );
    }

    #[test]
    fn values_are_json_escaped_and_invalid_utf8_is_a_defect() {
        let mut f = fields(Some(&["a", "b"]), None);
        assert_eq!(read(&mut f, "x\\y \"q\"").1, r#"{"a":"x\\y","b":"\"q\""}"#);
        let mut out = Vec::new();
        assert_eq!(
            f.line(b"ok \xff", &mut out),
            Line::Record(Some(Rejection::new(
                Code::InvalidUtf8,
                "field 2 is not valid UTF-8"
            )))
        );
        assert_eq!(out, b"ok \xff");
    }
}
