//! cargo-fuzz entry for `eval_shipped`: the body is `ocsfmap_fuzz_targets::eval_shipped`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::eval_shipped(data));
