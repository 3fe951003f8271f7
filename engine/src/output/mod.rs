//! Writers for evaluated events: JSON lines, typed trees, and Parquet.

pub mod json;
pub mod parquet;
mod tree;

pub use json::JsonLines;
pub use tree::EventTrees;

use serde_json::Value;

use crate::plan::Sink;

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

impl EventBuffer for EventTrees {
    fn clear(&mut self) {
        self.events.clear();
    }
    fn mark(&self) -> usize {
        self.events.len()
    }
    fn rollback(&mut self, mark: usize) {
        self.events.truncate(mark);
    }
    fn event_json(&self, mark: usize) -> Option<Value> {
        self.events.get(mark).map(crate::plan::Typed::to_value)
    }
    fn refuse(&self, mark: usize) -> Option<String> {
        let Some(crate::plan::Typed::Object(fields)) = self.events.get(mark) else {
            return None;
        };
        match fields.iter().find(|(k, _)| k == "time") {
            Some((_, crate::plan::Typed::Int(_))) => None,
            _ => Some(
                "the event has no `time`, which Parquet output needs for its eventDay partition"
                    .into(),
            ),
        }
    }
}
