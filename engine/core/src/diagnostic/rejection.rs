//! Why one record was set aside at run time: a code of the registry (`OM1xx`) and the
//! reason in words, naming the place in the record.

use std::fmt;

use super::Code;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    pub reason: String,
}

impl Rejection {
    pub fn new(code: Code, reason: impl Into<String>) -> Self {
        Rejection {
            code,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}
