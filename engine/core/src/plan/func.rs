//! Value functions, compiled: what each does to the value it is given.

use serde_json::{Map, Value};

/// A compiled value function.
#[derive(Debug)]
pub(super) enum Func {
    Lower,
    Upper,
    Trim,
    UrlDecode,
    ParseJson,
    Join(String),
    /// A regular expression and its replacement (`$1` and `${name}` expand).
    Replace(regex::Regex, String),
    KeyValues {
        pairs: String,
        separator: String,
    },
    /// A lookup table of the mapping: key text to value text.
    Lookup(std::sync::Arc<super::compile::lookups::Table>),
}

impl Func {
    /// The function of a value: `text` is its string form (`None` for an array or an
    /// object), `whole` the value itself. `None` when the function gives nothing (a
    /// string that is not JSON, text with no `key=value` pair).
    pub(super) fn apply(
        &self,
        text: Option<&str>,
        whole: impl FnOnce() -> Option<Value>,
    ) -> Option<Value> {
        let string = |s: String| Some(Value::String(s));
        match self {
            Func::Lower => string(text?.to_lowercase()),
            Func::Upper => string(text?.to_uppercase()),
            Func::Trim => string(text?.trim().to_owned()),
            Func::UrlDecode => {
                let spaced = text?.replace('+', " ");
                string(
                    percent_encoding::percent_decode_str(&spaced)
                        .decode_utf8_lossy()
                        .into_owned(),
                )
            }
            Func::ParseJson => match text {
                Some(t) => serde_json::from_str(t).ok(),
                // Already structured: nothing to parse.
                None => whole(),
            },
            Func::Join(separator) => {
                let Some(t) = text else {
                    let Value::Array(items) = whole()? else {
                        return None;
                    };
                    let parts: Vec<String> = items
                        .iter()
                        .filter_map(|v| match v {
                            Value::Null => None,
                            Value::String(s) => Some(s.clone()),
                            other => Some(other.to_string()),
                        })
                        .collect();
                    return string(parts.join(separator));
                };
                string(t.to_owned())
            }
            Func::Replace(re, with) => string(re.replace_all(text?, with.as_str()).into_owned()),
            Func::KeyValues { pairs, separator } => {
                let mut map = Map::new();
                for pair in text?.split(pairs.as_str()) {
                    if let Some((k, v)) = pair.split_once(separator.as_str()) {
                        let k = k.trim();
                        if !k.is_empty() {
                            map.insert(k.to_owned(), Value::String(v.trim().to_owned()));
                        }
                    }
                }
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Func::Lookup(table) => table.get(text?).map(|v| Value::String(v.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(f: &Func, v: &Value) -> Option<Value> {
        let text = match &v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        f.apply(text.as_deref(), || Some(v.clone()))
    }

    #[test]
    fn each_function_does_what_its_name_says() {
        assert_eq!(apply(&Func::Lower, &json!("AbC")), Some(json!("abc")));
        assert_eq!(apply(&Func::Upper, &json!("AbC")), Some(json!("ABC")));
        assert_eq!(apply(&Func::Trim, &json!("  a b \n")), Some(json!("a b")));
        assert_eq!(apply(&Func::Lower, &json!(12)), Some(json!("12")));
        assert_eq!(
            apply(&Func::UrlDecode, &json!("a+b%2Bc%20d%C3%A9%zz")),
            Some(json!("a b+c dé%zz"))
        );
        assert_eq!(
            apply(&Func::ParseJson, &json!("{\"a\": [1, 2]}")),
            Some(json!({"a": [1, 2]}))
        );
        assert_eq!(apply(&Func::ParseJson, &json!("not json")), None);
        assert_eq!(
            apply(&Func::ParseJson, &json!({"a": 1})),
            Some(json!({"a": 1}))
        );
        let join = Func::Join(", ".into());
        assert_eq!(
            apply(&join, &json!(["a", 1, null, true])),
            Some(json!("a, 1, true"))
        );
        assert_eq!(apply(&join, &json!("one")), Some(json!("one")));
        let replace = Func::Replace(regex::Regex::new(r"(\d+)\.(\d+)").unwrap(), "$2.$1".into());
        assert_eq!(
            apply(&replace, &json!("v 1.2 and 3.4")),
            Some(json!("v 2.1 and 4.3"))
        );
        let kv = Func::KeyValues {
            pairs: ";".into(),
            separator: "=".into(),
        };
        assert_eq!(
            apply(&kv, &json!("a=1; b = x=y ;junk;=empty")),
            Some(json!({"a": "1", "b": "x=y"}))
        );
        assert_eq!(apply(&kv, &json!("nothing here")), None);
    }
}
