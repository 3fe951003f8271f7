//! cargo-fuzz entry for `framing_delimited`: the body is `ocsfmap_fuzz_targets::framing_delimited`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::framing_delimited(data));
