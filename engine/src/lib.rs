//! ocsfmap's engine: compiles mapping files against the OCSF schema into an immutable
//! [`Plan`], and evaluates it over raw events into typed OCSF records.
//!
//! No I/O runtime and no AWS: the CLI and the Lambda are thin layers over this crate.

pub mod diagnostic;
pub mod input;
mod json_text;
pub mod mapping;
pub mod output;
pub mod plan;
pub mod run;
pub mod schema;
pub mod validate;
pub mod vectors;

pub use diagnostic::{Diagnostic, Severity};
pub use plan::{CompileError, Outcome, Plan, Sink, Typed, compile};
