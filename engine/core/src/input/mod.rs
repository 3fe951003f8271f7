//! Input decoding: splits a byte stream into records without parsing them.
//!
//! Accepts JSON lines, one or many (pretty-printed) JSON documents, a JSON array of
//! records, and wrapper objects whose records key holds them (CloudTrail's
//! `{"Records": [...]}`), gzip-compressed or not, with or without a UTF-8 BOM; or,
//! with a [`Delimited`] format, lines of text handed on as JSON objects of their named
//! fields. How records are found, and how reading recovers after damage, is the
//! contract written in the README ("How records are found") and in [`json`].
//!
//! Whatever the input holds, memory stays bounded (one record of at most
//! [`MAX_RECORD_BYTES`] and a read chunk), every call makes progress, and every byte
//! ends up in exactly one record, one defect, or skipped whitespace and container
//! punctuation.

mod delimited;
mod format;
mod json;
#[doc(hidden)]
pub mod oracle;
mod reader;
mod record;
mod scan;
mod source;

pub use delimited::{Delimited, Header};
pub use format::Format;
pub use reader::RecordReader;
pub use record::{Found, Position};

/// Records nested deeper than this are rejected (and never handed to a parser).
pub const MAX_DEPTH: usize = 64;

/// Records larger than this are rejected without being held in memory.
pub const MAX_RECORD_BYTES: usize = 32 << 20;
