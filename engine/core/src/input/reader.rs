//! The record reader: one input's bytes (gzip or not) to records, by the framer of
//! its format.

use std::io::{self, Read};

use super::source::Window;
use super::{Format, Found, Position, delimited, json};

enum Framer {
    Json(json::JsonFramer),
    Delimited(delimited::LineFramer),
}

/// Splits a byte stream into records.
pub struct RecordReader {
    win: Window,
    framer: Framer,
}

impl RecordReader {
    /// Wraps `reader`, decompressing gzip when the stream starts with its magic bytes.
    pub fn new(reader: impl Read + Send + 'static, format: &Format) -> io::Result<Self> {
        Ok(RecordReader {
            win: Window::new(reader)?,
            framer: match format {
                Format::Json { records_keys } => Framer::Json(json::JsonFramer::new(records_keys)),
                Format::Delimited(d) => Framer::Delimited(delimited::LineFramer::new(d)),
            },
        })
    }

    /// Where the next record would start.
    pub fn position(&self) -> Position {
        match &self.framer {
            Framer::Json(f) => f.position(&self.win),
            Framer::Delimited(f) => f.position(&self.win),
        }
    }

    /// Bytes read from the (decompressed) input so far.
    pub fn bytes_read(&self) -> u64 {
        self.win.bytes_read()
    }

    /// Whether a read error ended the input before its end.
    pub fn broke_off(&self) -> bool {
        self.win.broke_off()
    }

    /// Appends the next record's bytes to `out`. `None` at the end of input. A read
    /// error is returned once every record read before it has been handed out (unless
    /// it was reported with the record it cut short).
    pub fn next_record(&mut self, out: &mut Vec<u8>) -> io::Result<Option<Found>> {
        let found = match &mut self.framer {
            Framer::Json(f) => f.next(&mut self.win, out),
            Framer::Delimited(f) => f.next(&mut self.win, out),
        };
        match found {
            Some(found) => Ok(Some(found)),
            None => match self.win.take_error() {
                Some(e) => Err(e),
                None => Ok(None),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Rejection};
    use crate::input::source::CHUNK;
    use crate::input::{Delimited, Header, MAX_DEPTH, MAX_RECORD_BYTES};
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
                found.defect.map(|d| d.reason),
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
        // The line is the record, set aside as cut short.
        assert_eq!(
            got[1],
            (
                "{\"b\":".to_owned(),
                2,
                Some(
                    "malformed JSON: the value is not complete where line 3 starts a record".into()
                )
            )
        );
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
    fn json_lines_and_documents_follow_the_first_record() {
        // The first record shares its line: documents, every value scanned.
        assert_eq!(
            texts(b"{\"a\":1}{\"b\":2}\n{\"c\":3} {\"d\":4}"),
            [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#, r#"{"d":4}"#]
        );
        // Scalars separated by blanks on a line of JSON lines are records each.
        assert_eq!(
            texts(b"{\"a\":1}\n12 true null\n"),
            [r#"{"a":1}"#, "12", "true", "null"]
        );
        // The first record stands alone: JSON lines, a line is a record.
        assert_eq!(
            texts(b"{\"a\":1}\n{\"b\":2}{\"c\":3}\n"),
            [r#"{"a":1}"#, r#"{"b":2}{"c":3}"#]
        );
        // Wrapper lines inside JSON lines give their records; pretty documents too.
        assert_eq!(
            texts(b"{\"a\":1}\n{\"x\":0,\"Records\":[{\"b\":2},{\"c\":3}]}\n{\n \"d\": 4\n}\n"),
            [r#"{"a":1}"#, r#"{"b":2}"#, r#"{"c":3}"#, "{\n \"d\": 4\n}"]
        );
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
            "{{\"a\":{}{}}}\n{{\"ok\":1}}\n",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
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
            header: Header::Never,
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
                (
                    2,
                    Some(Rejection::new(Code::RecordTooLarge, "larger than 32 MiB")),
                    0
                ),
                (3, None, r#"{"a":"4","b":"5"}"#.len()),
            ]
        );
    }

    #[test]
    fn truncated_document_is_a_defect() {
        let got = records(b"{\n \"a\": [1,\n");
        assert_eq!(got.len(), 1);
        assert!(
            got[0]
                .2
                .as_deref()
                .unwrap()
                .contains("ends inside a record")
        );
    }
}
