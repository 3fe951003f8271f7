//! Views of source values as the evaluator reads them: borrowed raw JSON, parsed
//! pieces, literals.

use std::borrow::Cow;

use serde_json::Value;

/// A source value as the evaluator sees it: borrowed wherever possible.
#[derive(Debug, Clone, Copy)]
pub enum Src<'v> {
    /// Unparsed JSON text of one value from the event.
    Raw(&'v str),
    /// A parsed value: a mapping literal, a JSONPath result, a scalar met on the way.
    Value(&'v Value),
    /// Decoded text (a `Key: Value` field's value).
    Text(&'v str),
}

/// A scalar reading of a source value; containers stay as JSON.
#[derive(Debug, Clone)]
pub enum Scalar<'v> {
    Null,
    Bool(bool),
    /// A JSON number, as written.
    Number(Cow<'v, str>),
    Str(Cow<'v, str>),
    /// An object or array, as JSON text.
    Container(Cow<'v, str>),
}

impl<'v> Src<'v> {
    /// Reads the value as a scalar without allocating for plain strings and numbers.
    pub fn scalar(self) -> Scalar<'v> {
        match self {
            Src::Text(t) => Scalar::Str(Cow::Borrowed(t)),
            Src::Value(v) => match v {
                Value::Null => Scalar::Null,
                Value::Bool(b) => Scalar::Bool(*b),
                Value::Number(n) => Scalar::Number(Cow::Owned(n.to_string())),
                Value::String(s) => Scalar::Str(Cow::Borrowed(s)),
                Value::Array(_) | Value::Object(_) => Scalar::Container(Cow::Owned(v.to_string())),
            },
            Src::Raw(text) => match text.as_bytes().first() {
                Some(b'"') => Scalar::Str(decode_json_string(text)),
                Some(b'n') => Scalar::Null,
                Some(b't') => Scalar::Bool(true),
                Some(b'f') => Scalar::Bool(false),
                Some(b'{' | b'[') => Scalar::Container(Cow::Borrowed(text)),
                _ => Scalar::Number(Cow::Borrowed(text)),
            },
        }
    }

    /// Whether the value is JSON null.
    pub fn is_null(self) -> bool {
        match self {
            Src::Raw(r) => r == "null",
            Src::Value(v) => v.is_null(),
            Src::Text(_) => false,
        }
    }

    /// The value as JSON text.
    pub fn json_text(self) -> Cow<'v, str> {
        match self {
            Src::Raw(r) => Cow::Borrowed(r),
            Src::Value(v) => Cow::Owned(v.to_string()),
            Src::Text(t) => Cow::Owned(Value::from(t).to_string()),
        }
    }

    /// The value parsed into a `serde_json::Value` (slow path: objects fed to typed objects).
    pub fn to_value(self) -> Value {
        match self {
            Src::Raw(r) => serde_json::from_str(r).unwrap_or(Value::Null),
            Src::Value(v) => v.clone(),
            Src::Text(t) => Value::from(t),
        }
    }
}

/// Decodes a JSON string literal, borrowing when it holds no escapes.
pub fn decode_json_string(text: &str) -> Cow<'_, str> {
    let inner = &text[1..text.len() - 1];
    if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
        Cow::Borrowed(inner)
    } else {
        // The text came from serde_json's own validation, so it decodes.
        Cow::Owned(serde_json::from_str::<String>(text).unwrap_or_default())
    }
}

impl<'v> Scalar<'v> {
    /// The string form used for enum keys, routing and templates: strings as they are,
    /// numbers as written, booleans as `true`/`false`; `None` for null. Borrowed from
    /// the event wherever the value was.
    pub fn into_key(self) -> Option<Cow<'v, str>> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Scalar::Number(s) | Scalar::Str(s) | Scalar::Container(s) => Some(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_scalars_borrow_plain_strings_and_keep_number_text() {
        assert!(matches!(
            Src::Raw(r#""abc""#).scalar(),
            Scalar::Str(Cow::Borrowed("abc"))
        ));
        match Src::Raw(r#""a\nb""#).scalar() {
            Scalar::Str(s) => assert_eq!(s, "a\nb"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Src::Raw("1.50").scalar(),
            Scalar::Number(Cow::Borrowed("1.50"))
        ));
        assert!(matches!(Src::Raw("null").scalar(), Scalar::Null));
        assert!(matches!(Src::Raw("false").scalar(), Scalar::Bool(false)));
        assert!(matches!(
            Src::Raw(r#"{"a":1}"#).scalar(),
            Scalar::Container(_)
        ));
    }
}
