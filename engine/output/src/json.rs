//! JSON lines: each event written straight into a byte buffer as it is evaluated.

use ocsfmap_core::event::{EventBuffer, FieldName, Sink, Typed};
use ocsfmap_core::json_text::{write_compact_json, write_json_str};
use serde_json::Value;

/// A [`Sink`] that appends one JSON object per event, each on its own line.
#[derive(Debug, Default)]
pub struct JsonLines {
    pub buf: Vec<u8>,
    event_start: usize,
    stack: Vec<Open>,
}

/// An object being written.
#[derive(Debug)]
struct Open {
    /// Where it started, before its key and comma.
    start: usize,
    has_field: bool,
    parent_had_field: bool,
    /// The byte that closes it: `}`, or `]` for an array.
    close: u8,
}

impl JsonLines {
    pub fn new() -> Self {
        Self::default()
    }

    fn comma(&mut self) {
        if let Some(open) = self.stack.last_mut() {
            if open.has_field {
                self.buf.push(b',');
            }
            open.has_field = true;
        }
    }

    fn key(&mut self, key: &str) {
        self.comma();
        write_json_str(key, &mut self.buf);
        self.buf.push(b':');
    }

    /// Opens a container under a key of the mapping, or as an element of an array.
    fn open_after(&mut self, key: Option<&FieldName>, open: u8, close: u8) {
        let start = self.buf.len();
        let had = self.stack.last().is_some_and(|f| f.has_field);
        self.comma();
        if let Some(key) = key {
            self.buf.extend_from_slice(key.json().as_bytes());
        }
        self.open(start, had, open, close);
    }

    /// Opens a container (after its key, if any) that started at `start`.
    fn open(&mut self, start: usize, parent_had_field: bool, open: u8, close: u8) {
        self.buf.push(open);
        self.stack.push(Open {
            start,
            has_field: false,
            parent_had_field,
            close,
        });
    }
}

impl Sink for JsonLines {
    fn begin_event(&mut self, _class_uid: i64) {
        self.event_start = self.buf.len();
        self.stack.clear();
        self.stack.push(Open {
            start: self.buf.len(),
            has_field: false,
            parent_had_field: false,
            close: b'}',
        });
        self.buf.push(b'{');
    }

    fn end_event(&mut self) {
        self.buf.extend_from_slice(b"}\n");
        self.stack.clear();
    }

    fn abort_event(&mut self) {
        self.buf.truncate(self.event_start);
        self.stack.clear();
    }

    fn begin_object(&mut self, key: &str) {
        let start = self.buf.len();
        let had = self.stack.last().is_some_and(|f| f.has_field);
        self.key(key);
        self.open(start, had, b'{', b'}');
    }

    fn begin_named(&mut self, key: &FieldName) {
        self.open_after(Some(key), b'{', b'}');
    }

    fn streams_lists(&self) -> bool {
        true
    }

    fn begin_list_named(&mut self, key: &FieldName) {
        self.open_after(Some(key), b'[', b']');
    }

    fn begin_element(&mut self) {
        self.open_after(None, b'{', b'}');
    }

    fn value_named(&mut self, key: &FieldName, value: &Typed<'_>) {
        self.comma();
        self.buf.extend_from_slice(key.json().as_bytes());
        value.write_json(&mut self.buf);
    }

    fn writes_json(&self) -> bool {
        true
    }

    fn json_named(&mut self, key: &FieldName, json: &str) {
        self.comma();
        self.buf.extend_from_slice(key.json().as_bytes());
        self.buf.extend_from_slice(json.as_bytes());
    }

    fn value_rendered(&mut self, key: &FieldName, _value: &Typed<'_>, json: &str) {
        self.json_named(key, json);
    }

    fn end_object(&mut self) {
        let Some(open) = self.stack.pop() else { return };
        if open.has_field {
            self.buf.push(open.close);
        } else {
            // Nothing was written inside: remove the key, the bracket and the comma
            // before it.
            self.buf.truncate(open.start);
            if let Some(parent) = self.stack.last_mut() {
                parent.has_field = open.parent_had_field;
            }
        }
    }

    fn value(&mut self, key: &str, value: &Typed<'_>) {
        self.key(key);
        value.write_json(&mut self.buf);
    }

    fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        write_compact_json(json, &mut self.buf);
    }
}

impl EventBuffer for JsonLines {
    fn clear(&mut self) {
        self.buf.clear();
    }
    fn mark(&self) -> usize {
        self.buf.len()
    }
    fn rollback(&mut self, mark: usize) {
        self.buf.truncate(mark);
    }
    fn event_json(&self, mark: usize) -> Option<Value> {
        serde_json::from_slice(&self.buf[mark..]).ok()
    }
}
