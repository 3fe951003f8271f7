//! cargo-fuzz entry for `framing_gzip`: the body is `ocsfmap_fuzz_targets::framing_gzip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocsfmap_fuzz_targets::framing_gzip(data));
