//! Delimited text records (VPC flow logs, load balancer logs): one record per line,
//! split into named fields and handed on as a JSON object of strings, so the rest of
//! the engine sees every input the same way.

use crate::plan::FieldName;
use crate::plan::value::write_json_str;

/// How lines split into fields: compiled from the mapping's `input.delimited` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delimited {
    pub separator: u8,
    pub quote: Option<u8>,
    /// The field names; `None` when each input's first line names them.
    pub fields: Option<Vec<String>>,
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
    /// Unescaped text of a quoted field.
    scratch: Vec<u8>,
}

impl Fields {
    pub(super) fn new(format: &Delimited) -> Self {
        let mut fields = Fields {
            format: format.clone(),
            keys: Vec::new(),
            header: None,
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
        if self.keys.is_empty() {
            return match self.take_header(line) {
                Ok(()) => Line::Header,
                Err(reason) => Line::BadHeader(reason),
            };
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

    fn take_header(&mut self, line: &[u8]) -> Result<(), String> {
        let mut names: Vec<String> = Vec::new();
        let mut problem = None;
        split(line, &self.format, &mut self.scratch, |i, bytes| {
            let name = match std::str::from_utf8(bytes) {
                Ok(n) if !n.is_empty() => n.to_owned(),
                Ok(_) => {
                    problem.get_or_insert_with(|| format!("header field {} is empty", i + 1));
                    return;
                }
                Err(_) => {
                    problem.get_or_insert_with(|| {
                        format!("header field {} is not valid UTF-8", i + 1)
                    });
                    return;
                }
            };
            if names.contains(&name) {
                problem.get_or_insert_with(|| format!("the header names `{name}` twice"));
            }
            names.push(name);
        })?;
        if let Some(problem) = problem {
            return Err(problem);
        }
        self.set_names(names.iter().map(String::as_str));
        self.header = Some(line.to_vec());
        Ok(())
    }

    fn write_object(&mut self, line: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
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
        })?;
        out.push(b'}');
        if let Some(problem) = problem {
            return Err(problem);
        }
        if count != self.keys.len() {
            let named = if self.header.is_some() {
                "the header names"
            } else {
                "the mapping names"
            };
            return Err(format!(
                "the line has {count} fields where {named} {}",
                self.keys.len()
            ));
        }
        Ok(())
    }
}

/// What a line of delimited text turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Line {
    /// The header (or a repeat of it): not a record.
    Header,
    /// A header line that cannot name the fields.
    BadHeader(String),
    /// A record written to the output buffer, or its defect.
    Record(Option<String>),
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
            Line::Record(Some(
                "the line has 2 fields where the header names 3".into()
            ))
        );
        assert_eq!(raw, "2 10.0.0.1");
    }

    #[test]
    fn a_bad_header_says_why() {
        let mut f = fields(None, None);
        assert_eq!(
            read(&mut f, "a b a").0,
            Line::BadHeader("the header names `a` twice".into())
        );
        assert_eq!(
            read(&mut f, "a  b").0,
            Line::BadHeader("header field 2 is empty".into())
        );
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
            Line::Record(Some(
                "field 2 opens a quote that the line never closes".into()
            ))
        );
        assert_eq!(
            read(&mut f, r#"a "b"c d e"#).0,
            Line::Record(Some("field 2 has text after its closing quote".into()))
        );
    }

    #[test]
    fn values_are_json_escaped_and_invalid_utf8_is_a_defect() {
        let mut f = fields(Some(&["a", "b"]), None);
        assert_eq!(read(&mut f, "x\\y \"q\"").1, r#"{"a":"x\\y","b":"\"q\""}"#);
        let mut out = Vec::new();
        assert_eq!(
            f.line(b"ok \xff", &mut out),
            Line::Record(Some("field 2 is not valid UTF-8".into()))
        );
        assert_eq!(out, b"ok \xff");
    }
}
