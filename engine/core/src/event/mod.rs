//! The contract between a plan and what it writes into: the [`Sink`] that receives an
//! event key by key, the typed values it receives, and the batches a run fills.

mod tree;
mod typed;

pub use tree::EventTrees;
pub use typed::Typed;

use serde_json::Value;

use crate::json_text::write_json_str;

/// Receives one event's output, key by key. Objects that receive no key are left out.
pub trait Sink {
    /// Starts an event of the class `class_uid`.
    fn begin_event(&mut self, class_uid: i64);
    fn end_event(&mut self);
    /// Discards everything written since `begin_event`.
    fn abort_event(&mut self);
    fn begin_object(&mut self, key: &str);
    fn end_object(&mut self);
    fn value(&mut self, key: &str, value: &Typed<'_>);
    /// [`Sink::begin_object`] for a key of the mapping, whose JSON form is known.
    fn begin_named(&mut self, key: &FieldName) {
        self.begin_object(key);
    }
    /// [`Sink::value`] for a key of the mapping, whose JSON form is known.
    fn value_named(&mut self, key: &FieldName, value: &Typed<'_>) {
        self.value(key, value);
    }
    /// [`Sink::value_named`] for a value whose JSON form, `json`, was rendered at
    /// compile time (literals, captions).
    fn value_rendered(&mut self, key: &FieldName, value: &Typed<'_>, json: &str) {
        let _ = json;
        self.value_named(key, value);
    }
    /// Untyped JSON text, written as it is (the `unmapped` catch-all).
    fn raw(&mut self, key: &str, json: &str);
    /// Whether this sink writes JSON text: then values the engine can render as JSON
    /// directly (`observables`) come through [`Sink::json_named`] instead of as typed
    /// values.
    fn writes_json(&self) -> bool {
        false
    }
    /// A value as compact JSON text, for a key of the mapping; only called when
    /// [`Sink::writes_json`] holds.
    fn json_named(&mut self, key: &FieldName, json: &str) {
        self.raw(key, json);
    }
    /// Whether this sink takes an array of objects element by element
    /// ([`Sink::begin_list_named`], [`Sink::begin_element`]) instead of as one typed
    /// array.
    fn streams_lists(&self) -> bool {
        false
    }
    /// Starts an array of objects under a key of the mapping, closed by
    /// [`Sink::end_object`]; an array that receives no element is left out. Only called
    /// when [`Sink::streams_lists`] holds.
    fn begin_list_named(&mut self, key: &FieldName) {
        let _ = key;
    }
    /// Starts an object element of the open array, closed by [`Sink::end_object`]; an
    /// element that receives no key is left out. Only called when
    /// [`Sink::streams_lists`] holds.
    fn begin_element(&mut self) {}
}

/// A sink that holds a batch of evaluated events, so a worker thread can fill it and
/// the writer can store it in input order.
pub trait EventBuffer: Sink + Send {
    /// Empties the buffer for reuse, keeping its allocation.
    fn clear(&mut self);
    /// Where the next event starts, to check or roll it back.
    fn mark(&self) -> usize;
    /// Removes every event written since `mark`.
    fn rollback(&mut self, mark: usize);
    /// The event written at `mark`, as JSON (for validation).
    fn event_json(&self, mark: usize) -> Option<Value>;
    /// Why the event at `mark` cannot be stored by this writer, if it cannot.
    fn refuse(&self, _mark: usize) -> Option<String> {
        None
    }
}

/// An output key, with its JSON form (`"name":`) rendered once at compile time.
#[derive(Debug, Clone)]
pub struct FieldName {
    text: Box<str>,
    json: Box<str>,
}

impl FieldName {
    /// The key as a JSON object key followed by its colon.
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl std::ops::Deref for FieldName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl From<&str> for FieldName {
    fn from(text: &str) -> Self {
        let mut json = Vec::with_capacity(text.len() + 3);
        write_json_str(text, &mut json);
        json.push(b':');
        FieldName {
            text: text.into(),
            json: String::from_utf8(json).unwrap_or_default().into(),
        }
    }
}

impl From<String> for FieldName {
    fn from(text: String) -> Self {
        FieldName::from(text.as_str())
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
