//! Repeated keys inside raw text: rewritten so that the last one wins, as it does for
//! the keys the parser reads and for serde_json's `Value` (JSONPath queries), and so
//! that no output ever holds an object with a key twice.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// `text` (one JSON value, already checked by `refuse::check_raw`) rewritten so that no
/// object in it repeats a key: each key keeps its last value, at the place of its last
/// occurrence. `None` when no object repeats a key.
pub fn dedupe(text: &str) -> Result<Option<String>, serde_json::Error> {
    let mut out = String::with_capacity(text.len());
    Ok(write(text, &mut out)?.then_some(out))
}

/// Writes `text` without repeated keys; true when something was left out.
fn write(text: &str, out: &mut String) -> Result<bool, serde_json::Error> {
    let text = text.trim();
    match text.as_bytes().first() {
        Some(b'{') => {
            let Entries(entries) = serde_json::from_str(text)?;
            let mut changed = false;
            out.push('{');
            let mut first = true;
            for (i, (key, value)) in entries.iter().enumerate() {
                if entries[i + 1..].iter().any(|(later, _)| later == key) {
                    changed = true;
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&serde_json::to_string(key)?);
                out.push(':');
                changed |= write(value.get(), out)?;
            }
            out.push('}');
            Ok(changed)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            let mut changed = false;
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                changed |= write(item.get(), out)?;
            }
            out.push(']');
            Ok(changed)
        }
        _ => {
            out.push_str(text);
            Ok(false)
        }
    }
}

/// An object's entries in source order, repeats included.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'a>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_value_of_a_repeated_key_is_kept_at_its_place() {
        assert_eq!(
            dedupe(r#"{"a":1,"b":[{"k":1,"k":{"x":2}}],"a":{"y":3}, "c" : true}"#).unwrap(),
            Some(r#"{"b":[{"k":{"x":2}}],"a":{"y":3},"c":true}"#.to_owned())
        );
        assert_eq!(
            dedupe(r#"{"a":1,"\u0061":2}"#).unwrap().as_deref(),
            Some(r#"{"a":2}"#)
        );
        assert_eq!(dedupe(r#"{"a":1,"b":{"a":1}}"#).unwrap(), None);
        assert_eq!(dedupe(r#"[1,"a",{"b":null}]"#).unwrap(), None);
    }
}
