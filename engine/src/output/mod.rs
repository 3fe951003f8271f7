//! Writers for evaluated events: JSON lines, typed trees, and Parquet.

pub mod json;
pub mod parquet;
mod tree;

pub use json::JsonLines;
pub(crate) use tree::EventTrees;

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
