//! cargo-fuzz entry for `framing_json`: the body is `ocsfmap_fuzz_targets::framing_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::framing_json(data));
