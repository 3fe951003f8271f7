//! The typed values a plan writes into a [`Sink`](super::Sink), and their JSON form.

use std::borrow::Cow;

use crate::json_text::{write_compact_json, write_json_str};

/// A value coerced to its OCSF type, ready for a writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed<'v> {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Cow<'v, str>),
    /// Untyped JSON (`json_t`, `unmapped`), as text.
    Json(Cow<'v, str>),
    Array(Vec<Typed<'v>>),
    /// Keys borrow from the plan where they can (observables' keys are constant).
    Object(Vec<(Cow<'v, str>, Typed<'v>)>),
}

impl Typed<'_> {
    /// Appends the value as JSON.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Typed::Int(n) => {
                let _ = serde_json::to_writer(&mut *out, n);
            }
            Typed::Float(f) => write_f64(*f, out),
            Typed::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Typed::Str(s) => write_json_str(s, out),
            Typed::Json(j) => write_compact_json(j, out),
            Typed::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write_json(out);
                }
                out.push(b']');
            }
            Typed::Object(fields) => {
                out.push(b'{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_str(k, out);
                    out.push(b':');
                    v.write_json(out);
                }
                out.push(b'}');
            }
        }
    }

    /// The integer value, for enum ids and derived fields.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Typed::Int(n) => Some(*n),
            _ => None,
        }
    }
}

fn write_f64(f: f64, out: &mut Vec<u8>) {
    if f.is_finite() {
        // serde_json writes the shortest representation that round-trips.
        let _ = serde_json::to_writer(&mut *out, &f);
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_write_as_json() {
        let v = Typed::Object(vec![
            (
                "a".into(),
                Typed::Array(vec![Typed::Int(-3), Typed::Float(1.5), Typed::Bool(true)]),
            ),
            ("b\"".into(), Typed::Str("x\ty".into())),
            ("c".into(), Typed::Json(r#"{"k":[1]}"#.into())),
        ]);
        let mut out = Vec::new();
        v.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":[-3,1.5,true],"b\"":"x\ty","c":{"k":[1]}}"#
        );
    }
}
