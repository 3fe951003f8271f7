//! ocsfmap's writers: events from a [`Plan`](ocsfmap_core::Plan) as JSON lines, or as
//! Parquet files in Amazon Security Lake's layout.

pub mod json;
pub mod parquet;

pub use json::JsonLines;
