//! ocsfmap's core: compiles mapping files against the OCSF schema into an immutable
//! [`Plan`], and evaluates it over raw events into typed OCSF records.
//!
//! Bytes in, events out: this crate opens no file, starts no runtime and reads no
//! clock or environment. Writers live in `ocsfmap-output`, the validator in
//! `ocsfmap-lint`, the golden-case harness in `ocsfmap-testkit`.
//!
//! Modules, lowest first (each uses only those above it):
//! `json_text`, `diagnostic`, `schema`, `mapping`, `event`, `input`, `plan`, `check`, `run`.

pub mod check;
pub mod diagnostic;
pub mod event;
pub mod input;
pub mod json_text;
pub mod mapping;
pub mod plan;
pub mod run;
pub mod schema;

pub use diagnostic::{Diagnostic, Severity};
pub use event::{EventBuffer, Sink, Typed};
pub use plan::{CompileError, Outcome, Plan, compile};
