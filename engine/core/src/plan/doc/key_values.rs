//! `Key: Value` lines (a Windows event's `Description`) split into pairs: from decoded
//! text, or straight from a JSON string literal as written, borrowing every line that
//! holds no escape but its line break.

use std::borrow::Cow;

/// The lines of decoded text, each without its final `\r`.
pub(super) fn lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.split('\n')
        .map(|line| Cow::Borrowed(line.strip_suffix('\r').unwrap_or(line)))
}

/// The pairs of `Key: Value` lines: a line that is not one continues the value before
/// it, after a `\n`; lines before the first pair are left out.
pub(super) fn pairs<'t>(
    lines: impl Iterator<Item = Cow<'t, str>>,
) -> Vec<(Cow<'t, str>, Cow<'t, str>)> {
    let mut out: Vec<(Cow<'t, str>, Cow<'t, str>)> = Vec::with_capacity(32);
    for line in lines {
        let pair = match &line {
            Cow::Borrowed(l) => split(l).map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
            Cow::Owned(l) => {
                split(l).map(|(k, v)| (Cow::Owned(k.to_owned()), Cow::Owned(v.to_owned())))
            }
        };
        match pair {
            Some(pair) => out.push(pair),
            None => {
                if let Some((_, v)) = out.last_mut()
                    && !line.is_empty()
                {
                    let v = v.to_mut();
                    v.push('\n');
                    v.push_str(&line);
                }
            }
        }
    }
    out
}

/// A line as a pair: `Key: Value` at the first `": "`, or `Key:` at its end, where the
/// key is not empty, holds no tab and does not start with a space.
fn split(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let mut from = 0;
    let (k, v) = loop {
        match memchr::memchr(b':', &bytes[from..]) {
            Some(i) if bytes.get(from + i + 1) == Some(&b' ') => {
                break (&line[..from + i], &line[from + i + 2..]);
            }
            Some(i) => from += i + 1,
            None => break (line.strip_suffix(':')?, ""),
        }
    };
    (!k.is_empty() && !k.contains('\t') && !k.starts_with(' ')).then_some((k, v))
}

/// The lines of a JSON string literal's text as written (between its quotes, valid,
/// without `\u` escapes, so every line break is a `\n` escape), decoded, each without
/// its final `\r`: borrowed when a line holds no other escape.
pub(super) fn escaped_lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        // Escapes in the line, and where the last one started.
        let mut escapes = 0;
        let mut last = None;
        let mut i = start;
        let end = loop {
            match memchr::memchr(b'\\', &bytes[i..]) {
                Some(k) if bytes.get(i + k + 1) == Some(&b'n') => break i + k,
                Some(k) => {
                    escapes += 1;
                    last = Some(i + k);
                    i += k + 2;
                }
                None => {
                    done = true;
                    break bytes.len();
                }
            }
        };
        let line_start = start;
        start = end + 2;
        let mut line_end = end;
        if let Some(last) = last
            && last + 2 == end
            && bytes[last + 1] == b'r'
        {
            escapes -= 1;
            line_end = last;
        }
        let line = &text[line_start..line_end];
        Some(if escapes == 0 {
            Cow::Borrowed(line)
        } else {
            Cow::Owned(decode(line))
        })
    })
}

/// Decodes the escapes of JSON string text without `\u` escapes.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(k) = memchr::memchr(b'\\', &bytes[from..]) {
        let at = from + k;
        out.push_str(&text[from..at]);
        out.push(match bytes.get(at + 1) {
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(&b) => char::from(b),
            None => break,
        });
        from = at + 2;
    }
    out.push_str(&text[from.min(text.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_key_values(text: &str) -> Vec<(String, String)> {
        pairs(lines(text))
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn lines_of_a_literal_as_written_decode_as_the_decoded_text_splits() {
        for written in [
            r#"Process Create:\r\nUtcTime: 2023-10-03 23:50:22.438\r\nImage: C:\\a b.exe\r\nCommandLine: \"x\" /y\r\n  continued\r\n"#,
            r"A: 1\nB: x\\nC: \\r\r\n\r\n\\\r\nD:\r\n",
            r"one line",
            r"",
            r"tab\there: 1\r\n\ttabbed: 2\r\n end\r",
            r"\r\r\n\n",
        ] {
            let decoded: String = serde_json::from_str(&format!("\"{written}\"")).unwrap();
            let want: Vec<Cow<str>> = lines(&decoded).collect();
            let got: Vec<Cow<str>> = escaped_lines(written).collect();
            assert_eq!(got, want, "{written}");
            assert_eq!(pairs(got.into_iter()), pairs(want.into_iter()), "{written}");
        }
        // A line without escapes is borrowed from the literal.
        let got: Vec<Cow<str>> = escaped_lines(r"A: 1\r\nB: C:\\x").collect();
        assert!(matches!(got[0], Cow::Borrowed("A: 1")));
        assert!(matches!(&got[1], Cow::Owned(l) if l == r"B: C:\x"));
    }

    #[test]
    fn pairs_continue_and_skip_as_documented() {
        let kv = parse_key_values("Process Create:\r\nA: 1\r\nB: two: three\r\n  more\r\nEmpty: ");
        assert_eq!(
            kv,
            vec![
                ("Process Create".into(), String::new()),
                ("A".into(), "1".into()),
                ("B".into(), "two: three\n  more".into()),
                ("Empty".into(), String::new())
            ]
        );
        assert_eq!(parse_key_values("no pair\nk\tx: 1\n x: 2"), vec![]);
    }
}
