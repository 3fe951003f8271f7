//! The framing contract, tested as properties over generated inputs (10,000 cases per
//! shape; `PROPTEST_CASES` changes that): valid input of every shape comes out exactly
//! as serde_json reads it, and after any damage (truncated, inserted, deleted or
//! flipped bytes) every record that stands on its own lines after the damage still
//! comes out, with every byte accounted for.

use ocsfmap_core::input::Format;
use ocsfmap_core::input::oracle::{Frame, check_accounting, check_against_serde, frames};
use proptest::prelude::*;
use serde_json::Value;

fn keys() -> Vec<String> {
    vec!["Records".to_owned()]
}

fn json_format() -> Format {
    Format::Json {
        records_keys: keys(),
    }
}

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn arb_string() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 \"\\\\/\n\t{}\\[\\],:é😀\u{7f}]{0,10}"
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-z]{1,6}", arb_value(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn render(v: &Value, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(v).unwrap()
    } else {
        serde_json::to_string(v).unwrap()
    }
}

/// Reads `input` and checks the accounting; returns the frames.
fn read(input: &[u8]) -> Result<Vec<Frame>, TestCaseError> {
    let (frames, error) = frames(input, &json_format()).map_err(TestCaseError::fail)?;
    prop_assert!(error.is_none(), "read error: {error:?}");
    check_accounting(input, &frames, &keys()).map_err(|e| {
        TestCaseError::fail(format!(
            "{e}\ninput: {:?}\nframes: {frames:?}",
            String::from_utf8_lossy(input)
        ))
    })?;
    Ok(frames)
}

fn texts(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .collect()
}

const LINE_ENDS: &[&str] = &["\n", "\r\n", "\n\n", "  \n", "\n\t\n", " \r\n \n"];
const SAME_LINE: &[&str] = &["", " ", "\t", "  "];

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn json_lines_come_out_as_serde_reads_them(
        records in prop::collection::vec(arb_object(), 1..6),
        ends in prop::collection::vec(0..LINE_ENDS.len(), 6),
        last_newline in any::<bool>(),
    ) {
        let mut input = String::new();
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                input.push_str(LINE_ENDS[ends[i]]);
            }
            input.push_str(&render(r, false));
        }
        if last_newline {
            input.push('\n');
        }
        let frames = read(input.as_bytes())?;
        let expected: Vec<String> = records.iter().map(|r| render(r, false)).collect();
        prop_assert_eq!(texts(&frames), expected);
        prop_assert!(check_against_serde(input.as_bytes(), &frames, &keys()).map_err(TestCaseError::fail)?);
    }

    #[test]
    fn documents_come_out_as_serde_reads_them(
        records in prop::collection::vec((arb_object(), any::<bool>()), 1..6),
        shared_first_line in any::<bool>(),
        seps in prop::collection::vec((0..LINE_ENDS.len(), 0..SAME_LINE.len()), 6),
    ) {
        // The contract: values that share lines are read as documents when the first
        // one does; otherwise each value starts and ends its own lines.
        let mut input = String::new();
        let mut expected = Vec::new();
        for (i, (r, pretty)) in records.iter().enumerate() {
            if i > 0 {
                let (line_end, same_line) = seps[i];
                input.push_str(if shared_first_line { SAME_LINE[same_line] } else { LINE_ENDS[line_end] });
            }
            let text = render(r, *pretty);
            input.push_str(&text);
            expected.push(text);
        }
        let frames = read(input.as_bytes())?;
        prop_assert_eq!(texts(&frames), expected);
        prop_assert!(check_against_serde(input.as_bytes(), &frames, &keys()).map_err(TestCaseError::fail)?);
    }

    #[test]
    fn arrays_give_their_elements(
        elements in prop::collection::vec((arb_value(), any::<bool>()), 0..6),
        seps in prop::collection::vec(0..4usize, 8),
        then_lines in prop::collection::vec(arb_object(), 0..3),
    ) {
        let ws = ["", " ", "\n", "\r\n  "];
        let mut input = format!("{}[{}", ws[seps[0]], ws[seps[1]]);
        let texts_in: Vec<String> = elements.iter().map(|(v, p)| render(v, *p)).collect();
        for (i, t) in texts_in.iter().enumerate() {
            if i > 0 {
                input.push_str(ws[seps[(i + 2) % 8]]);
                input.push(',');
                input.push_str(ws[seps[(i + 3) % 8]]);
            }
            input.push_str(t);
        }
        input.push_str(ws[seps[7]]);
        input.push(']');
        let array_end = input.len();
        let mut expected = texts_in;
        for r in &then_lines {
            let t = render(r, false);
            input.push('\n');
            input.push_str(&t);
            expected.push(t);
        }
        let frames = read(input.as_bytes())?;
        // serde_json agrees on the elements.
        let raw: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(&input[..array_end]).unwrap();
        prop_assert_eq!(raw.len(), elements.len());
        for (r, t) in raw.iter().zip(&expected) {
            prop_assert_eq!(r.get(), t.as_str());
        }
        prop_assert_eq!(texts(&frames), expected);
    }

    #[test]
    fn wrappers_give_their_records_wherever_the_key_is(
        wrappers in prop::collection::vec(
            (
                prop::collection::vec((arb_value(), any::<bool>()), 0..5),
                prop::collection::btree_map("[a-z]{1,6}", arb_value(), 0..3),
                0..4usize,
                any::<bool>(),
            ),
            1..4,
        ),
    ) {
        let mut input = String::new();
        let mut expected = Vec::new();
        for (records, envelope, at, pretty) in &wrappers {
            let texts_in: Vec<String> = records.iter().map(|(v, p)| render(v, *p)).collect();
            let array = format!("[{}]", texts_in.join(if *pretty { ",\n    " } else { "," }));
            let mut members: Vec<String> = envelope
                .iter()
                .map(|(k, v)| format!("\"{k}\": {}", render(v, *pretty)))
                .collect();
            members.insert((*at).min(members.len()), format!("\"Records\": {array}"));
            let sep = if *pretty { ",\n  " } else { "," };
            let wrapper = format!("{{{}}}", members.join(sep));
            // serde_json agrees on where the records are.
            let parsed: serde_json::Map<String, Value> = serde_json::from_str(&wrapper).unwrap();
            prop_assert_eq!(parsed["Records"].as_array().map(Vec::len), Some(records.len()));
            input.push_str(&wrapper);
            input.push('\n');
            expected.extend(texts_in);
        }
        let frames = read(input.as_bytes())?;
        prop_assert_eq!(texts(&frames), expected);
    }

    #[test]
    fn after_damage_every_record_on_its_own_lines_still_comes_out(
        records in prop::collection::vec((arb_object(), any::<bool>()), 3..8),
        pretty in any::<bool>(),
        damage in (0usize..4, any::<prop::sample::Index>(), 1usize..8, prop::collection::vec(
            prop::sample::select(b"{}[]\",:\n \\0aez-\x00\xff".to_vec()), 1..8)),
    ) {
        let texts_in: Vec<String> = records
            .iter()
            .map(|(r, p)| render(r, pretty && *p))
            .collect();
        let mut original = String::new();
        let mut starts = Vec::new();
        for t in &texts_in {
            starts.push(original.len());
            original.push_str(t);
            original.push('\n');
        }
        let original = original.into_bytes();
        let (kind, at, len, bytes) = damage;
        let at = at.index(original.len());
        // The damaged text, where the damage ends in it, and how later offsets move.
        let (damaged, damage_end, shift): (Vec<u8>, usize, isize) = match kind {
            0 => (original[..at].to_vec(), at, 0),
            1 => {
                let mut d = original[..at].to_vec();
                d.extend_from_slice(&bytes);
                d.extend_from_slice(&original[at..]);
                (d, at + bytes.len(), bytes.len() as isize)
            }
            2 => {
                let end = (at + len).min(original.len());
                let mut d = original[..at].to_vec();
                d.extend_from_slice(&original[end..]);
                (d, at, -((end - at) as isize))
            }
            _ => {
                let end = (at + len).min(original.len());
                let mut d = original.clone();
                for (i, b) in d[at..end].iter_mut().enumerate() {
                    *b ^= bytes[i % bytes.len()] | 1;
                }
                (d, end, 0)
            }
        };
        let line_end = memchr::memchr(b'\n', &damaged[damage_end.min(damaged.len())..])
            .map_or(damaged.len(), |k| damage_end + k);
        let frames = read(&damaged)?;
        let first_untouched = match kind { 2 => at + len, _ => damage_end };
        for (t, &start) in texts_in.iter().zip(&starts) {
            if kind == 0 || start < first_untouched {
                continue;
            }
            let moved = (start as isize + shift) as usize;
            if moved <= line_end {
                continue;
            }
            // (An empty defect may sit at the same offset: a container the damage
            // opened and this line closed.)
            let found = frames
                .iter()
                .find(|f| f.offset == moved as u64 && !f.bytes.is_empty());
            prop_assert!(
                found.is_some_and(|f| f.bytes == t.as_bytes() && f.defect.is_none()),
                "the record at byte {} ({:?}) did not come out whole: {:?}\ninput: {:?}",
                moved, t, found, String::from_utf8_lossy(&damaged)
            );
        }
    }
}

#[test]
fn delimited_text_accounts_for_every_line() {
    use ocsfmap_core::input::{Delimited, Header};
    let format = Format::Delimited(Delimited {
        separator: b' ',
        quote: Some(b'"'),
        fields: Some(vec!["a".into(), "b".into()]),
        header: Header::Auto,
    });
    let mut runner = proptest::test_runner::TestRunner::new(cases());
    runner
        .run(
            &prop::collection::vec(prop::sample::select(b"ab \"\n\r\t1\xff".to_vec()), 0..60),
            |input| {
                let (frames, error) = frames(&input, &format).map_err(TestCaseError::fail)?;
                prop_assert!(error.is_none());
                // One item per line that is neither blank nor a header.
                let lines = input
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                    .count();
                // A first line may be the header, and lines equal to it repeats.
                let all: Vec<&[u8]> = input
                    .split(|b| *b == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                    .collect();
                let first = all.iter().find(|l| !l.iter().all(u8::is_ascii_whitespace));
                let repeats = all.iter().filter(|l| Some(*l) == first).count();
                prop_assert!(frames.len() <= lines);
                prop_assert!(
                    frames.len() + repeats >= lines,
                    "{} items for {} lines",
                    frames.len(),
                    lines
                );
                Ok(())
            },
        )
        .unwrap();
}
