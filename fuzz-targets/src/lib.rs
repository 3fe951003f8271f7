//! Fuzz target bodies: plain functions from bytes to nothing that panic when an
//! invariant of the engine breaks.
//!
//! Two drivers call them: `cargo test` runs every body over the committed seed corpus
//! (`fuzz/corpus/<target>/`) on the stable toolchain, and the cargo-fuzz project in
//! `fuzz/` hands them libFuzzer's inputs. Keeping the bodies here means every CI run
//! exercises every target, instrumented or not.

pub mod eval;
pub mod framing;
pub mod mapping;
pub mod paths;

pub use eval::eval_shipped;
pub use framing::{framing_delimited, framing_gzip, framing_json};
pub use mapping::mapping_load;
pub use paths::paths;

/// A target: its name (the corpus folder and the cargo-fuzz binary) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("framing_json", framing_json),
    ("framing_gzip", framing_gzip),
    ("framing_delimited", framing_delimited),
    ("mapping_load", mapping_load),
    ("paths", paths),
    ("eval_shipped", eval_shipped),
];
