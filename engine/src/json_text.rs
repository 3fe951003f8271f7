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
    if !bytes
        .iter()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        out.extend_from_slice(bytes);
        return;
    }
    let mut strings = StringTracker::default();
    for &b in bytes {
        if strings.feed(b) || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
