//! What the records of an input are: JSON values or lines of delimited text.

use super::Delimited;

/// What the records of an input are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// JSON values; `records_keys` name the wrapper objects' keys whose arrays hold records.
    Json { records_keys: Vec<String> },
    /// Lines of delimited text.
    Delimited(Delimited),
}
