//! One event, parsed lazily along the path trie: objects on a mapped path are
//! descended, every other value is kept as borrowed raw JSON and never parsed.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::trie::{NodeId, ROOT, Trie};
use super::value::Src;
use crate::diagnostic::Code;

mod fast;
mod key_values;
mod refuse;
mod repeated;

pub use refuse::Refusal;

/// A value inside a parsed event.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// JSON text of one value, as written in the event (checked by the parse: see
    /// [`fast`] and [`refuse`]).
    Raw(&'a str),
    /// Raw text rewritten because an object in it repeats a key (the last one wins).
    Owned(Box<str>),
    /// Decoded text (values of a `Key: Value` field).
    Text(Cow<'a, str>),
    /// A scalar met while descending (the mapping expected an object here).
    Scalar(Value),
    /// Index into [`Doc::objects`].
    Object(u32),
    /// Index into [`Doc::arrays`].
    Array(u32),
    /// Kept in the slot of this trie node (a container's entry refers to it, so a
    /// value read by a path is stored once).
    Slot(NodeId),
}

/// One key of a parsed object, in source order.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub key: Cow<'a, str>,
    /// The trie node this key leads to, if any path reads it.
    pub node: Option<NodeId>,
    pub val: Val<'a>,
}

/// A parsed event: the values at trie nodes, and the parsed containers in source order.
#[derive(Debug)]
pub struct Doc<'a> {
    pub input: &'a str,
    slots: Vec<Option<Val<'a>>>,
    pub objects: Vec<Vec<Entry<'a>>>,
    pub arrays: Vec<Vec<(Option<NodeId>, Val<'a>)>>,
    full: std::cell::OnceCell<Result<Value, String>>,
    /// A refused value met in raw text, at a byte offset of the input.
    refused: Option<refuse::Found>,
    /// Whether the input holds a backslash: without one, no string holds an escape.
    escapes: bool,
}

/// What the fast reader made of an input, next to the serde_json way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FastRead {
    /// It gave up: the serde_json way reads this input.
    GaveUp,
    /// It built the serde_json way's document.
    Same,
    /// It accepted the input and built something else: a bug.
    Differs(String),
}

/// Why an event could not be parsed.
#[derive(Debug)]
pub enum ParseError {
    /// Not JSON.
    Json(serde_json::Error),
    /// JSON, but not an object.
    NotObject,
    /// JSON that holds a value serde_json would not read (see [`refuse`]).
    Refused(Refusal),
}

impl ParseError {
    /// The registry code of the rejection this error causes.
    pub fn code(&self) -> Code {
        match self {
            ParseError::Json(_) => Code::MalformedJson,
            ParseError::NotObject => Code::NotAnObject,
            ParseError::Refused(r) => match r.problem {
                refuse::Problem::LoneSurrogate(_) => Code::LoneSurrogate,
                refuse::Problem::NumberOutOfRange(_) => Code::NumberOutOfRange,
                refuse::Problem::TooDeep => Code::NestedTooDeep,
            },
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Json(e) => write!(f, "invalid JSON: {e}"),
            ParseError::NotObject => f.write_str("invalid JSON: an event must be a JSON object"),
            ParseError::Refused(r) => write!(f, "refused value: {r}"),
        }
    }
}

impl<'a> Doc<'a> {
    /// Parses `input` along `trie`. The top level must be a JSON object, and nothing in
    /// it, read or not, may be a value serde_json would refuse to read as a `Value`:
    /// so raw text kept from the event is always valid for strict readers, and a
    /// JSONPath query sees the same event as the simple paths.
    pub fn parse(input: &'a str, trie: &Trie) -> Result<Self, ParseError> {
        let mut doc = Doc::empty(input, trie);
        if let Ok(root) = fast::parse(input, trie, &mut doc) {
            doc.slots[ROOT as usize] = Some(root);
            return Ok(doc);
        }
        // Rare input: the serde_json way reads it, and names the error of malformed input.
        doc.slots.fill(None);
        doc.objects.clear();
        doc.arrays.clear();
        doc.parse_slow(trie)?;
        Ok(doc)
    }

    fn empty(input: &'a str, trie: &Trie) -> Self {
        Doc {
            input,
            slots: vec![None; trie.len()],
            objects: Vec::new(),
            arrays: Vec::new(),
            full: std::cell::OnceCell::new(),
            refused: None,
            escapes: memchr::memchr(b'\\', input.as_bytes()).is_some(),
        }
    }

    /// The serde_json way of [`Doc::parse`], for what the fast reader gives up on.
    fn parse_slow(&mut self, trie: &Trie) -> Result<(), ParseError> {
        let mut de = serde_json::Deserializer::from_str(self.input);
        let parsed = NodeSeed {
            trie,
            node: ROOT,
            depth: 0,
            doc: self,
        }
        .deserialize(&mut de)
        .and_then(|root| de.end().map(|()| root));
        let root = match parsed {
            Ok(root) => root,
            Err(e) => return Err(self.parse_error(e)),
        };
        if !matches!(root, Val::Object(_)) {
            return Err(ParseError::NotObject);
        }
        self.slots[ROOT as usize] = Some(root);
        Ok(())
    }

    /// Reads `input` both ways, for the tests and fuzz targets that hold the fast
    /// reader to the serde_json way's result.
    pub fn fast_read(input: &str, trie: &Trie) -> FastRead {
        let mut fast = Doc::empty(input, trie);
        let Ok(root) = fast::parse(input, trie, &mut fast) else {
            return FastRead::GaveUp;
        };
        fast.slots[ROOT as usize] = Some(root);
        let mut slow = Doc::empty(input, trie);
        if let Err(e) = slow.parse_slow(trie) {
            return FastRead::Differs(format!("the serde_json way rejects it: {e}"));
        }
        let show = |d: &Doc| format!("{:?}\n{:?}\n{:?}", d.slots, d.objects, d.arrays);
        let (fast, slow) = (show(&fast), show(&slow));
        if fast == slow {
            FastRead::Same
        } else {
            FastRead::Differs(format!("fast reader:\n{fast}\nserde_json way:\n{slow}"))
        }
    }

    /// The error to report for a failed parse: a refused value when one caused it
    /// (met in raw text, or by serde_json in a value it read), else the JSON error.
    fn parse_error(&mut self, e: serde_json::Error) -> ParseError {
        if let Some(found) = self.refused.take() {
            return ParseError::Refused(refuse::refusal(self.input, found));
        }
        if e.is_syntax() {
            // serde_json stops at the first lone surrogate or out-of-range number of
            // the values it reads; find it again to name its place.
            let stop = offset_of(self.input, e.line(), e.column());
            if let Some(refusal) = refuse::first_in_record(self.input, stop) {
                return ParseError::Refused(refusal);
            }
        }
        ParseError::Json(e)
    }

    /// Forgets the values read below `node` (a repeated key: the last one wins).
    fn clear(&mut self, trie: &Trie, node: NodeId) {
        self.slots[node as usize] = None;
        for child in trie.node(node).children() {
            self.clear(trie, child);
        }
    }

    /// The value at a trie node, if the event has one there.
    #[inline]
    pub fn slot(&self, node: NodeId) -> Option<&Val<'a>> {
        self.slots[node as usize].as_ref()
    }

    /// A container entry's value, looked up in its slot when it is kept there.
    pub fn resolve<'v>(&'v self, val: &'v Val<'a>) -> &'v Val<'a> {
        match val {
            Val::Slot(n) => self.slot(*n).unwrap_or(val),
            other => other,
        }
    }

    /// The value at a trie node, as a source value. The root reads as the whole input.
    pub fn src(&self, node: NodeId) -> Option<Src<'_>> {
        if node == ROOT {
            // A failure is reported by the evaluator (see `Evaluator::read`).
            return self.full_value().ok().map(Src::Value);
        }
        match self.slot(node)? {
            Val::Raw(r) => Some(Src::Raw(r)),
            Val::Owned(r) => Some(Src::Raw(r)),
            Val::Text(t) => Some(Src::Text(t)),
            Val::Scalar(v) => Some(Src::Value(v)),
            // Nodes read as a whole keep their raw text (see `child_value`), so a parsed
            // container is never the slot of a path's end.
            Val::Object(_) | Val::Array(_) | Val::Slot(_) => None,
        }
    }

    /// The whole event as a `serde_json::Value`, parsed on first use (JSONPath queries).
    /// `parse` refused what serde_json cannot read, so this fails only if the two
    /// disagree; the error then reaches the caller instead of an empty result.
    pub fn full_value(&self) -> Result<&Value, &str> {
        self.full
            .get_or_init(|| serde_json::from_str(self.input).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Converts a parsed value back to a `serde_json::Value`.
    pub fn to_value(&self, val: &Val<'a>) -> Value {
        match val {
            // Raw text passed `refuse::check_raw`, so serde_json reads it.
            Val::Raw(r) => serde_json::from_str(r).unwrap_or(Value::Null),
            Val::Owned(r) => serde_json::from_str(r).unwrap_or(Value::Null),
            Val::Text(t) => Value::from(t.as_ref()),
            Val::Scalar(v) => v.clone(),
            Val::Object(i) => Value::Object(
                self.objects[*i as usize]
                    .iter()
                    .map(|e| (e.key.to_string(), self.to_value(&e.val)))
                    .collect(),
            ),
            Val::Slot(n) => self.slot(*n).map_or(Value::Null, |v| self.to_value(v)),
            Val::Array(i) => Value::Array(
                self.arrays[*i as usize]
                    .iter()
                    .map(|(_, v)| self.to_value(v))
                    .collect(),
            ),
        }
    }
}

impl<'a> Doc<'a> {
    /// A string met while descending to `node` (`text`, decoded): parsed into an
    /// object when the node holds `Key: Value` lines.
    fn key_values(&mut self, trie: &Trie, node: NodeId, text: &str) -> Val<'a> {
        if !trie.node(node).key_values {
            return Val::Text(Cow::Owned(text.to_owned()));
        }
        let pairs = key_values::pairs(key_values::lines(text))
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())));
        self.key_value_object(trie, node, pairs)
    }

    /// The object of `Key: Value` pairs at `node`.
    fn key_value_object(
        &mut self,
        trie: &Trie,
        node: NodeId,
        pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    ) -> Val<'a> {
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(pairs.size_hint().0);
        let mut seen = 0u128;
        for (k, v) in pairs {
            // A repeated key: the last one wins, as for JSON keys.
            let bit = refuse::key_bit(k.as_bytes());
            if seen & bit != 0
                && let Some(i) = entries.iter().position(|e| e.key == k)
            {
                entries.remove(i);
            }
            seen |= bit;
            let child = trie.child_key(node, &k);
            let mut val = Val::Text(v);
            if let Some(n) = child {
                self.slots[n as usize] = Some(val);
                val = Val::Slot(n);
            }
            entries.push(Entry {
                key: k,
                node: child,
                val,
            });
        }
        self.objects.push(entries);
        Val::Object((self.objects.len() - 1) as u32)
    }
}

/// The byte offset of a 1-based line and column that serde_json reports.
fn offset_of(input: &str, line: usize, column: usize) -> usize {
    let start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', input.as_bytes())
            .nth(line - 2)
            .map_or(input.len(), |i| i + 1)
    };
    start + column
}

struct NodeSeed<'t, 'd, 'a> {
    trie: &'t Trie,
    node: NodeId,
    /// How many objects and arrays enclose the value.
    depth: usize,
    doc: &'d mut Doc<'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for NodeSeed<'_, '_, 'a> {
    type Value = Val<'a>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val<'a>, D::Error> {
        d.deserialize_any(self)
    }
}

/// How the value at a trie node is read.
#[derive(Clone, Copy)]
enum Mode {
    /// Kept as raw text: nothing below it is read.
    Raw,
    /// Descended: paths continue below it.
    Descend,
    /// Read as a whole and descended: keep the raw text, then parse it again.
    Both,
}

fn mode(trie: &Trie, node: NodeId) -> Mode {
    let n = trie.node(node);
    match (n.has_children() || n.key_values, n.read_whole) {
        (false, _) => Mode::Raw,
        (true, false) => Mode::Descend,
        (true, true) => Mode::Both,
    }
}

impl<'a> NodeSeed<'_, '_, 'a> {
    /// Checks a child value kept as raw text (see [`refuse`]): serde_json skipped it
    /// without checking its numbers, escapes or depth.
    #[inline]
    fn check<E: de::Error>(&mut self, raw: &'a RawValue) -> Result<Val<'a>, E> {
        let raw = raw.get();
        match refuse::check_raw(raw, self.depth + 1, self.doc.escapes) {
            Ok(false) => Ok(Val::Raw(raw)),
            other => self.check_rare(raw, other),
        }
    }

    /// A raw value that is refused, or in which an object may repeat a key: such text
    /// is rewritten so that the last one wins.
    #[cold]
    #[inline(never)]
    fn check_rare<E: de::Error>(
        &mut self,
        raw: &'a str,
        checked: Result<bool, Box<refuse::Found>>,
    ) -> Result<Val<'a>, E> {
        match checked {
            Ok(_) => match repeated::dedupe(raw).map_err(E::custom)? {
                None => Ok(Val::Raw(raw)),
                Some(text) => Ok(Val::Owned(text.into_boxed_str())),
            },
            Err(mut found) => {
                found.offset += raw.as_ptr().addr() - self.doc.input.as_ptr().addr();
                self.doc.refused = Some(*found);
                Err(E::custom("refused value"))
            }
        }
    }

    /// Records the value at `child` (read raw) and returns what its container keeps.
    fn raw_child<E: de::Error>(
        &mut self,
        child: NodeId,
        mode: Mode,
        raw: &'a RawValue,
    ) -> Result<Val<'a>, E> {
        let val = self.check(raw)?;
        self.doc.slots[child as usize] = Some(val);
        match mode {
            Mode::Both => {
                let mut de = serde_json::Deserializer::from_str(raw.get());
                NodeSeed {
                    trie: self.trie,
                    node: child,
                    depth: self.depth + 1,
                    doc: &mut *self.doc,
                }
                .deserialize(&mut de)
                .map_err(E::custom)
            }
            Mode::Raw | Mode::Descend => Ok(Val::Slot(child)),
        }
    }

    /// A string met while descending.
    fn key_values(self, text: &str) -> Val<'a> {
        self.doc.key_values(self.trie, self.node, text)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for NodeSeed<'_, '_, 'a> {
    type Value = Val<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Val<'a>, A::Error> {
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(8);
        let mut seen = 0u128;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.0;
            // A repeated key replaces the earlier one whole, as serde_json's `Value`
            // (and so a JSONPath query) reads it: the last one wins. A key a path reads
            // repeats when its node already has a value; other keys are told apart by
            // their bits (see `refuse::key_bit`), compared exactly only when bits meet.
            let child = self.trie.child_key(self.node, &key);
            let repeated = if let Some(c) = child {
                self.doc.slots[c as usize].is_some()
            } else {
                let bit = refuse::key_bit(key.as_bytes());
                let met = seen & bit != 0;
                seen |= bit;
                met
            };
            if repeated && let Some(i) = entries.iter().position(|e| e.key == key) {
                let old = entries.remove(i);
                if let Some(n) = old.node {
                    self.doc.clear(self.trie, n);
                }
            }
            let val = match child.map(|c| (c, mode(self.trie, c))) {
                None => self.check(map.next_value::<&'de RawValue>()?)?,
                Some((c, Mode::Descend)) => {
                    let v = map.next_value_seed(NodeSeed {
                        trie: self.trie,
                        node: c,
                        depth: self.depth + 1,
                        doc: &mut *self.doc,
                    })?;
                    self.doc.slots[c as usize] = Some(v);
                    Val::Slot(c)
                }
                Some((c, m)) => {
                    let raw = map.next_value::<&'de RawValue>()?;
                    self.raw_child(c, m, raw)?
                }
            };
            entries.push(Entry {
                key,
                node: child,
                val,
            });
        }
        self.doc.objects.push(entries);
        Ok(Val::Object((self.doc.objects.len() - 1) as u32))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Val<'a>, A::Error> {
        let mut items = Vec::new();
        loop {
            let child = self.trie.child_index(self.node, items.len());
            let item = match child.map(|c| (c, mode(self.trie, c))) {
                None => match seq.next_element::<&'de RawValue>()? {
                    Some(r) => self.check(r)?,
                    None => break,
                },
                Some((c, Mode::Descend)) => {
                    match seq.next_element_seed(NodeSeed {
                        trie: self.trie,
                        node: c,
                        depth: self.depth + 1,
                        doc: &mut *self.doc,
                    })? {
                        Some(v) => {
                            self.doc.slots[c as usize] = Some(v);
                            Val::Slot(c)
                        }
                        None => break,
                    }
                }
                Some((c, m)) => match seq.next_element::<&'de RawValue>()? {
                    Some(raw) => self.raw_child(c, m, raw)?,
                    None => break,
                },
            };
            items.push((child, item));
        }
        self.doc.arrays.push(items);
        Ok(Val::Array((self.doc.arrays.len() - 1) as u32))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Val<'a>, E> {
        if self.trie.node(self.node).key_values {
            return Ok(self.key_values(v));
        }
        Ok(Val::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val<'a>, E> {
        Ok(self.key_values(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val<'a>, E> {
        Ok(Val::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val<'a>, E> {
        Ok(Val::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Val<'a>, E> {
        Ok(Val::Scalar(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Val<'a>, E> {
        Ok(Val::Scalar(Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Val<'a>, E> {
        Ok(Val::Scalar(Value::Null))
    }
}

/// An object key, borrowed from the input unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::path::{SourcePath, parse};
    use refuse::MAX_DEPTH;

    fn trie(paths: &[&str]) -> (Trie, Vec<NodeId>) {
        let mut t = Trie::default();
        let ids = paths
            .iter()
            .map(|p| match parse(p).unwrap() {
                SourcePath::Simple(s) => {
                    let id = t.insert(&s);
                    t.nodes[id as usize].read_whole = true;
                    id
                }
                SourcePath::Query { .. } | SourcePath::Element(_) => panic!(),
            })
            .collect();
        (t, ids)
    }

    fn text(doc: &Doc, id: NodeId) -> Option<String> {
        doc.src(id).map(|s| s.json_text().into_owned())
    }

    #[test]
    fn reads_paths_and_leaves_the_rest_raw() {
        let (t, ids) = trie(&[
            "$.a.b",
            "$.list[1].x",
            "$.whole",
            "$.whole.k",
            "$.missing.z",
        ]);
        let input = r#"{"a":{"b":"v","c":[1,2]},"list":[{"x":1},{"x":"two"}],"whole":{"k":3},"other":{"deep":[{}]}}"#;
        let doc = Doc::parse(input, &t).unwrap();
        assert_eq!(text(&doc, ids[0]).as_deref(), Some("\"v\""));
        assert_eq!(text(&doc, ids[1]).as_deref(), Some("\"two\""));
        assert_eq!(text(&doc, ids[2]).as_deref(), Some(r#"{"k":3}"#));
        assert_eq!(text(&doc, ids[3]).as_deref(), Some("3"));
        assert_eq!(text(&doc, ids[4]), None);
        // Untouched subtrees stay raw, in source order.
        let Some(Val::Object(root)) = doc.slot(ROOT) else {
            panic!("root is an object")
        };
        let root = &doc.objects[*root as usize];
        let keys: Vec<&str> = root.iter().map(|e| e.key.as_ref()).collect();
        assert_eq!(keys, ["a", "list", "whole", "other"]);
        assert!(matches!(root[3].val, Val::Raw(r#"{"deep":[{}]}"#)));
    }

    #[test]
    fn index_past_the_end_is_absent() {
        let (t, ids) = trie(&["$.l[3]"]);
        let doc = Doc::parse(r#"{"l":[1,2]}"#, &t).unwrap();
        assert_eq!(text(&doc, ids[0]), None);
    }

    #[test]
    fn key_value_fields_are_parsed_into_objects() {
        let (mut t, ids) = trie(&["$.Description.UtcTime", "$.Description.Image"]);
        let desc = t.child_key(ROOT, "Description").unwrap();
        t.nodes[desc as usize].key_values = true;
        let input = r#"{"Description":"Process Create:\r\nUtcTime: 2023-10-03 23:50:22.438\r\nImage: C:\\a b.exe\r\nCommandLine: x\r\n  continued"}"#;
        let doc = Doc::parse(input, &t).unwrap();
        assert_eq!(
            text(&doc, ids[0]).as_deref(),
            Some("\"2023-10-03 23:50:22.438\"")
        );
        assert_eq!(text(&doc, ids[1]).as_deref(), Some(r#""C:\\a b.exe""#));
    }

    #[test]
    fn a_repeated_key_value_line_keeps_its_last_value_once() {
        let (mut t, ids) = trie(&["$.D.A"]);
        let d = t.child_key(ROOT, "D").unwrap();
        t.nodes[d as usize].key_values = true;
        let doc = Doc::parse(r#"{"D":"A: 1\nB: x\nA: 2\nB: y"}"#, &t).unwrap();
        assert_eq!(text(&doc, ids[0]).as_deref(), Some("\"2\""));
        let keys: Vec<&str> = doc.objects[0].iter().map(|e| e.key.as_ref()).collect();
        assert_eq!(keys, ["A", "B"]);
    }

    #[test]
    fn non_objects_and_malformed_json_are_errors() {
        let t = Trie::default();
        assert!(
            Doc::parse("[1]", &t)
                .unwrap_err()
                .to_string()
                .contains("must be a JSON object")
        );
        assert!(Doc::parse(r#"{"a":}"#, &t).is_err());
        assert!(Doc::parse(r#"{"a":1} x"#, &t).is_err());
    }

    /// The fast reader and the serde_json way, on one input: the fast reader either
    /// gives up or builds exactly the serde_json way's document.
    fn agree(input: &str, t: &Trie) -> bool {
        match Doc::fast_read(input, t) {
            FastRead::Differs(difference) => panic!("{input:?}:\n{difference}"),
            FastRead::Same => true,
            FastRead::GaveUp => false,
        }
    }

    #[test]
    fn the_fast_reader_builds_what_serde_json_builds_or_gives_up() {
        let (mut t, _) = trie(&[
            "$.a.b",
            "$.list[1].x",
            "$.whole",
            "$.whole.k",
            "$.s",
            "$.n",
            "$.kv.A",
            "$.deep.x.y",
        ]);
        let kv = t.child_key(ROOT, "kv").unwrap();
        t.nodes[kv as usize].key_values = true;
        let typical = [
            r#"{"a":{"b":"v","c":[1,2.5,-0,true,false,null]},"list":[{"x":1},{"x":"two"},3],"whole":{"k":3,"j":[{}]},"s":"t","n":12,"kv":"A: 1\nB: 2","o":{"p":{"q":[1,{"r":"s\"\\\/\b\f\n\r\t\u00e9"}]}}}"#,
            " {\"a\" : {\"b\" : \"v\"} ,\n\t\"whole\" : [ ] , \"n\" : -1.25 , \"s\":\"é€😀\"}\r\n",
            r#"{"deep":{"x":{"y":[[[{"z":1}]]]}},"list":"not a list","a":7}"#,
            r#"{"ab":1,"ba":2,"a":{"b":{}},"whole":"a","kv":7}"#,
            r#"{"s":"a\"b","kv":"A: \u0031\r\nB: \"2\""}"#,
            r#"{"kv":"Process Create:\r\nImage: C:\\a b.exe\r\nA: x\r\n  more\r\nA: again\r\n"}"#,
            "{}",
        ];
        for input in typical {
            assert!(agree(input, &t), "the fast reader gives up on {input:?}");
        }
        // Left to the serde_json way (or rejected by both).
        let rare = [
            r#"{"a":1,"a":2}"#,
            r#"{"o":{"k":1,"k":2}}"#,
            r#"{"o":{"k":1,"\u006b":2}}"#,
            r#"{"s":"\ud800"}"#,
            r#"{"o":"\udc00x"}"#,
            r#"{"o":"\ud83d\ude00"}"#,
            r#"{"x":1e999}"#,
            r#"{"x":1E2}"#,
            r#"{"x":01}"#,
            r#"{"x":1.}"#,
            r#"{"x":.5}"#,
            r#"{"x":-}"#,
            r#"{"x":+1}"#,
            "{\"x\":\"a\u{1}b\"}",
            "{\"x\":\"tab\there\"}",
            r#"{"x":[1,]}"#,
            r#"{"x":1,}"#,
            r#"{"x":tru}"#,
            r#"{"x":nulll}"#,
            r#"{"x":"\x"}"#,
            r#"{"x":"\u12G4"}"#,
            r#"{"x":"open}"#,
            r#"{"x" 1}"#,
            "{x:1}",
            r#"{"x":1} x"#,
            r#"{"x":1}{}"#,
            "[1]",
            r#""s""#,
            "\u{feff}{}",
            "",
        ];
        for input in rare {
            assert!(!agree(input, &t), "the fast reader reads {input:?}");
        }
        let deep = format!("{{\"o\":{}1{}}}", "[".repeat(120), "]".repeat(120));
        assert!(!agree(&deep, &t));
        let shallow = format!("{{\"o\":{}1{}}}", "[".repeat(90), "]".repeat(90));
        assert!(agree(&shallow, &t));
        // Around the nesting limit, raw and on a mapped path: never read past it.
        for n in MAX_DEPTH - 3..MAX_DEPTH + 3 {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let nested = format!("{}1{}", open.repeat(n), close.repeat(n));
                agree(&format!("{{\"o\":{nested}}}"), &t);
                agree(&format!("{{\"deep\":{{\"x\":{nested}}}}}"), &t);
            }
        }

        // Edits of the typical records: whatever the fast reader accepts, the serde_json
        // way builds the same.
        let alphabet = b"{}[]\",:\\ u0123456789.eE-+tfnrsaxAkv\n\t\x01\x7f";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut read, mut tried) = (0, 0);
        for input in typical {
            for _ in 0..4000 {
                let mut bytes = input.as_bytes().to_vec();
                for _ in 0..=next(3) {
                    let at = next(bytes.len() + 1);
                    let b = alphabet[next(alphabet.len())];
                    match next(3) {
                        0 => bytes.insert(at, b),
                        1 if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        _ if at < bytes.len() => bytes[at] = b,
                        _ => bytes.push(b),
                    }
                }
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    tried += 1;
                    read += usize::from(agree(text, &t));
                }
            }
        }
        // Both kinds of input came up: records it reads and records it gives up on.
        assert!(read > tried / 20 && read < tried, "{read} of {tried} read");
    }

    #[test]
    fn escaped_keys_still_match() {
        let (t, ids) = trie(&["$['a\"b']"]);
        let doc = Doc::parse(r#"{"a\"b":5}"#, &t).unwrap();
        assert_eq!(text(&doc, ids[0]).as_deref(), Some("5"));
    }
}
