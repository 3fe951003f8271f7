//! cargo-fuzz entry for `mapping_load`: the body is `ocsfmap_fuzz_targets::mapping_load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::mapping_load(data));
