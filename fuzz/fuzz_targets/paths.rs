//! cargo-fuzz entry for `paths`: the body is `ocsfmap_fuzz_targets::paths`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::paths(data));
