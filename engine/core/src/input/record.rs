//! A record the reader found: where it sits in its input, and why it cannot be used
//! when it is set aside before parsing.

use crate::diagnostic::Rejection;

/// Where a record sits in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line of the record's first byte.
    pub line: u64,
    /// 0-based index of the record in its input.
    pub index: u64,
    /// Byte offset of the record's first byte in the (decompressed) input.
    pub offset: u64,
}

/// One record found by the reader: its bytes are in the caller's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub position: Position,
    /// Why the record cannot be used, when it is rejected before parsing.
    pub defect: Option<Rejection>,
}
