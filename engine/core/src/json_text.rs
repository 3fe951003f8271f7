//! Byte-level handling of JSON text, shared by the input scanner and the writers.

/// Follows string literals through JSON text, one byte at a time, so structural
/// characters inside strings are told apart from real ones.
#[derive(Debug, Default, Clone, Copy)]
pub struct StringTracker {
    in_string: bool,
    escape: bool,
}

impl StringTracker {
    /// Feeds one byte; true when it belongs to a string literal (its quotes included).
    #[inline]
    pub fn feed(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escape {
                self.escape = false;
            } else if b == b'\\' {
                self.escape = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            true
        } else {
            self.in_string = b == b'"';
            self.in_string
        }
    }
}

/// Appends JSON text without insignificant whitespace, so values copied from
/// pretty-printed input stay on one line.
pub fn write_compact_json(json: &str, out: &mut Vec<u8>) {
    let bytes = json.as_bytes();
    // Copied in runs between whitespace outside strings; each string is skipped whole
    // (most of the bytes of a JSON value are in its strings, spaces included).
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1),
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.extend_from_slice(&bytes[run..i]);
                i += 1;
                run = i;
            }
            _ => i += 1,
        }
    }
    out.extend_from_slice(&bytes[run..]);
}

/// The offset just past the quote that closes the string whose text starts at `from`
/// (the end of `bytes` when it is not closed).
#[inline]
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[from..]) {
        from += k;
        if bytes[from] == b'"' {
            return from + 1;
        }
        from += 2;
        if from >= bytes.len() {
            break;
        }
    }
    bytes.len()
}

/// The elements of a JSON array, each as its text without surrounding whitespace, or
/// `None` when `json` is not an array. `json` must be valid JSON (text a parse already
/// accepted): it is split, not checked.
pub fn array_elements(json: &str) -> Option<ArrayElements<'_>> {
    let start = json.len() - json.trim_start().len();
    (json.as_bytes().get(start) == Some(&b'[')).then_some(ArrayElements {
        text: json,
        at: start + 1,
    })
}

/// See [`array_elements`].
#[derive(Debug, Clone)]
pub struct ArrayElements<'a> {
    text: &'a str,
    /// Where the next element (or the closing bracket) is looked for.
    at: usize,
}

impl<'a> Iterator for ArrayElements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let start = i;
        let mut depth = 0usize;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => i = string_end(bytes, i + 1),
                b'}' | b']' | b',' if depth == 0 => break,
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                b'}' | b']' => {
                    depth -= 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        if i == start {
            // The closing bracket, or the end of broken text.
            self.at = bytes.len();
            return None;
        }
        self.at = if bytes.get(i) == Some(&b',') {
            i + 1
        } else {
            i
        };
        Some(self.text[start..i].trim_end())
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether a JSON string literal of these bytes needs escapes. No early exit, so the
/// compiler checks many bytes per instruction (most strings need none).
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose: it vectorises
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_split_into_their_elements() {
        fn split(json: &str) -> Option<Vec<&str>> {
            array_elements(json).map(Iterator::collect)
        }
        assert_eq!(
            split(r#" [ {"a": [1, "],"], "b": {}} , "x\",y" ,3,[[]],null ] "#),
            Some(vec![
                r#"{"a": [1, "],"], "b": {}}"#,
                r#""x\",y""#,
                "3",
                "[[]]",
                "null"
            ])
        );
        assert_eq!(split("[]"), Some(vec![]));
        assert_eq!(split(" [\n] "), Some(vec![]));
        assert_eq!(split("[\"\\\\\"]"), Some(vec!["\"\\\\\""]));
        assert_eq!(split(r#"{"a": 1}"#), None);
        assert_eq!(split("\"[1]\""), None);
    }

    #[test]
    fn raw_json_is_written_compact_with_strings_untouched() {
        let mut out = Vec::new();
        write_compact_json(
            "{\n  \"a b\": [1, \"x \\\" y\"],\r\n\t\"c\": {}\n}",
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a b":[1,"x \" y"],"c":{}}"#
        );
        for (text, want) in [
            (r#"["a\\", "b"]"#, r#"["a\\","b"]"#),
            (r#"{"k": "v w" }"#, r#"{"k":"v w"}"#),
            ("[1, 2]", "[1,2]"),
            (r#"" x "#, r#"" x "#),
            (r#""a\"#, r#""a\"#),
        ] {
            let mut out = Vec::new();
            write_compact_json(text, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn string_tracker_sees_escaped_quotes_and_backslashes() {
        let text = br#"{"a\"b":"c\\","d":1}"#;
        let mut t = StringTracker::default();
        let inside: String = text
            .iter()
            .map(|&b| if t.feed(b) { 's' } else { '.' })
            .collect();
        assert_eq!(inside, ".ssssss.sssss.sss...");
    }
}
