//! JSON that keeps object keys in the order they were written, so that golden
//! comparisons see what users see: the workspace's `serde_json::Value` sorts keys, and
//! enabling `preserve_order` would change the engine's hot path for a test's sake.

use std::fmt::{self, Write as _};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Number, Value};

/// A JSON value whose objects are lists of members in document order (a repeated key
/// is kept twice, so a duplicate in the output is seen too).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text, keeping key order.
    pub fn parse(text: &str) -> serde_json::Result<Json> {
        serde_json::from_str(text)
    }

    /// Parses JSON bytes, keeping key order.
    pub fn parse_slice(bytes: &[u8]) -> serde_json::Result<Json> {
        serde_json::from_slice(bytes)
    }

    /// The value as a `serde_json::Value` (keys sorted; for order-blind comparisons).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Pretty text (two-space indent, as the expected files are written).
    pub fn pretty(items: &[Json]) -> String {
        serde_json::to_string_pretty(items).unwrap_or_default()
    }

    /// Removes the member `key` of an object; no-op for other values.
    pub fn remove(&mut self, key: &str) {
        if let Json::Object(members) = self {
            members.retain(|(k, _)| k != key);
        }
    }
}

/// Where two values first differ only in the order of an object's keys: the JSON
/// pointer of that object and both key lists. `None` when they differ otherwise (or
/// not at all).
pub fn order_difference(expected: &Json, actual: &Json) -> Option<String> {
    order_difference_at(expected, actual, &mut String::new())
}

fn order_difference_at(expected: &Json, actual: &Json, pointer: &mut String) -> Option<String> {
    match (expected, actual) {
        (Json::Array(e), Json::Array(a)) if e.len() == a.len() => {
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                let len = pointer.len();
                let _ = write!(pointer, "/{i}");
                let found = order_difference_at(e, a, pointer);
                pointer.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Json::Object(e), Json::Object(a)) if e.len() == a.len() => {
            let keys = |m: &[(String, Json)]| m.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
            let (ek, ak) = (keys(e), keys(a));
            if ek != ak {
                let (mut es, mut as_) = (ek.clone(), ak.clone());
                es.sort();
                as_.sort();
                if es != as_ {
                    return None;
                }
                let at = if pointer.is_empty() { "/" } else { pointer };
                return Some(format!(
                    "the keys at {at} are in another order: expected {}, actual {}",
                    ek.join(", "),
                    ak.join(", ")
                ));
            }
            for ((key, e), (_, a)) in e.iter().zip(a) {
                let len = pointer.len();
                pointer.push('/');
                // JSON pointer escapes (RFC 6901).
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                let found = order_difference_at(e, a, pointer);
                pointer.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_is_kept_and_compared() {
        let a = Json::parse(r#"{"b": 1, "a": {"y": [1, 2.5], "x": null}}"#).unwrap();
        let b = Json::parse(r#"{"a": {"y": [1, 2.5], "x": null}, "b": 1}"#).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_value(), b.to_value());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"b":1,"a":{"y":[1,2.5],"x":null}}"#
        );
        assert_eq!(
            order_difference(&a, &b).as_deref(),
            Some("the keys at / are in another order: expected b, a, actual a, b")
        );
    }

    #[test]
    fn the_first_object_whose_keys_moved_is_named_by_its_pointer() {
        let a = Json::parse(r#"[{"k/1": {"p": 1, "q": 2}}]"#).unwrap();
        let b = Json::parse(r#"[{"k/1": {"q": 2, "p": 1}}]"#).unwrap();
        assert_eq!(
            order_difference(&a, &b).as_deref(),
            Some("the keys at /0/k~11 are in another order: expected p, q, actual q, p")
        );
        let c = Json::parse(r#"[{"k/1": {"q": 3, "p": 1}}]"#).unwrap();
        assert_eq!(
            order_difference(&a, &c).as_deref(),
            Some("the keys at /0/k~11 are in another order: expected p, q, actual q, p"),
            "a moved key is named even when a value changed below it"
        );
        let d = Json::parse(r#"[{"k/1": {"p": 1, "r": 2}}]"#).unwrap();
        assert_eq!(
            order_difference(&a, &d),
            None,
            "other keys: not an order difference"
        );
    }

    #[test]
    fn numbers_keep_their_text_form() {
        assert_ne!(Json::parse("1").unwrap(), Json::parse("1.0").unwrap());
        assert_eq!(
            serde_json::to_string(&Json::parse("[-3, 1e3, 18446744073709551615]").unwrap())
                .unwrap(),
            "[-3,1000.0,18446744073709551615]"
        );
    }
}
