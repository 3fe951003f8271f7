//! Writers for evaluated events.

pub mod json;

pub use json::JsonLines;
