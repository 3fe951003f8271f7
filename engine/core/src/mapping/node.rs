//! An ordered JSON-like tree: the part of a mapping file whose shape is free-form
//! (`schema_mapping`), deserialised from JSON or YAML with key order kept.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A value in a mapping file, with object keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Node {
    /// The value under `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts to a `serde_json::Value` (key order follows the value's map type).
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Node::Null => serde_json::Value::Null,
            Node::Bool(b) => serde_json::Value::Bool(*b),
            Node::Number(n) => serde_json::Value::Number(n.clone()),
            Node::String(s) => serde_json::Value::String(s.clone()),
            Node::Array(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_value).collect())
            }
            Node::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Applies YAML merge keys (`<<: *anchor` or `<<: [*a, *b]`) in place: keys already
    /// present win over merged ones, as the YAML merge-key specification says.
    pub fn apply_merge_keys(&mut self) {
        match self {
            Node::Array(items) => items.iter_mut().for_each(Node::apply_merge_keys),
            Node::Object(entries) => {
                for (_, v) in entries.iter_mut() {
                    v.apply_merge_keys();
                }
                let Some(pos) = entries.iter().position(|(k, _)| k == "<<") else {
                    return;
                };
                let (_, merged) = entries.remove(pos);
                let sources = match merged {
                    Node::Array(items) => items,
                    other => vec![other],
                };
                let mut present = KeySet::default();
                for (k, _) in entries.iter() {
                    present.insert(k);
                }
                for source in sources {
                    if let Node::Object(src) = source {
                        for (k, v) in src {
                            if present.insert(&k) {
                                entries.push((k, v));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON or YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut seen = KeySet::default();
        while let Some(key) = map.next_key::<KeyString>()? {
            if !seen.insert(&key.0) {
                return Err(de::Error::custom(format_args!("duplicate key `{}`", key.0)));
            }
            let value = map.next_value()?;
            entries.push((key.0, value));
        }
        Ok(Node::Object(entries))
    }
}

/// The keys of one object seen so far, to find a key written twice in time linear in
/// the number of keys (objects such as `ocsf_mapping` can have tens of thousands).
#[derive(Default)]
pub(crate) struct KeySet(std::collections::HashSet<String>);

impl KeySet {
    /// Adds `key`; false when it was already there.
    pub(crate) fn insert(&mut self, key: &str) -> bool {
        if self.0.contains(key) {
            return false;
        }
        self.0.insert(key.to_owned())
    }
}

/// A map key; YAML allows numbers and booleans as keys (`1:` for a Sysmon event id),
/// which the mapping language treats as their string form.
pub(crate) struct KeyString(pub(crate) String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_owned()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_rejects_duplicate_keys() {
        let n: Node = serde_json::from_str(r#"{"b":1,"a":{"z":true,"y":null}}"#).unwrap();
        let Node::Object(entries) = &n else { panic!() };
        assert_eq!(
            entries.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        let err = serde_json::from_str::<Node>(r#"{"a":1,"a":2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key `a`"), "{err}");
    }

    #[test]
    fn yaml_numeric_keys_become_strings_and_merge_keys_apply() {
        let mut n: Node =
            serde_yaml::from_str("base: &b {x: 1, y: 2}\n1:\n  <<: *b\n  y: 3\n").unwrap();
        n.apply_merge_keys();
        let one = n.get("1").unwrap();
        assert_eq!(one.get("x"), Some(&Node::Number(1.into())));
        assert_eq!(one.get("y"), Some(&Node::Number(3.into())));
    }
}
