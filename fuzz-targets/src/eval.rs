//! Every shipped mapping (`mappings/*.yaml`, compiled once) evaluated over arbitrary
//! bytes: as one record, and as the records its input format reads from them.
//!
//! The fast reader builds what the serde_json way builds, or gives up. Every record
//! ends as exactly one outcome. An output event is one JSON object on its
//! own line, of the class the outcome names, that the OCSF validator can check; any
//! other outcome leaves nothing behind in the sink; a rejection says why.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ocsfmap_core::check::check_event;
use ocsfmap_core::input::RecordReader;
use ocsfmap_core::plan::FastRead;
use ocsfmap_core::{Outcome, Plan};
use ocsfmap_output::JsonLines;
use serde_json::value::RawValue;

/// The project's `mappings/` folder (read at run time, so a new mapping is fuzzed too).
pub fn mappings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings")
}

/// The shipped mappings, compiled, by file name.
pub fn shipped() -> &'static [(String, Plan)] {
    static PLANS: OnceLock<Vec<(String, Plan)>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let dir = mappings_dir();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.expect("listing mappings/").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| {
                let plan = ocsfmap_testkit::compile_mapping(&p)
                    .unwrap_or_else(|e| panic!("shipped mapping {}: {e}", p.display()));
                (p.file_name().unwrap().to_string_lossy().into_owned(), plan)
            })
            .collect()
    })
}

pub fn eval_shipped(data: &[u8]) {
    let whole = String::from_utf8_lossy(data);
    let mut record = Vec::new();
    for (name, plan) in shipped() {
        let mut sink = JsonLines::new();
        eval_one(name, plan, &whole, &mut sink);
        // The records the mapping's input format reads from the bytes, as `transform`
        // would evaluate them.
        let Ok(mut reader) = RecordReader::new(Cursor::new(data.to_vec()), &plan.input) else {
            continue;
        };
        let bound = decoded_len(data) + 1;
        let mut count = 0usize;
        while let Ok(Some(found)) = {
            record.clear();
            reader.next_record(&mut record)
        } {
            count += 1;
            assert!(count <= bound, "{name}: the reader does not advance");
            if found.defect.is_some() {
                continue;
            }
            if let Ok(text) = std::str::from_utf8(&record) {
                eval_one(name, plan, text, &mut sink);
            }
        }
    }
}

/// How many bytes the reader can see: a gzip input (by its magic bytes) decodes to
/// more lines than it has bytes, up to the point where its stream breaks.
fn decoded_len(data: &[u8]) -> usize {
    if !data.starts_with(&[0x1f, 0x8b]) {
        return data.len();
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(data);
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    while let Ok(n @ 1..) = std::io::Read::read(&mut decoder, &mut buf) {
        total += n;
    }
    total.max(data.len())
}

fn eval_one(name: &str, plan: &Plan, record: &str, sink: &mut JsonLines) {
    // The fast reader reads a record as the serde_json way does, or gives up on it.
    if let FastRead::Differs(difference) = plan.fast_read(record) {
        panic!("{name}: the two ways of reading a record disagree:\n{difference}");
    }
    let before = sink.buf.len();
    match plan.eval(record, sink) {
        Outcome::Output { class_uid } => {
            let line = &sink.buf[before..];
            let Some(json) = line.strip_suffix(b"\n") else {
                panic!("{name}: an event is not one line");
            };
            assert!(!json.contains(&b'\n'), "{name}: an event spans lines");
            // JSON as RFC 8259 writes it. Numbers are not read as f64 here: a number
            // copied raw from the input (`1e999` under `unmapped`) is valid JSON that
            // serde_json's `Value` cannot hold.
            let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(json)
                .unwrap_or_else(|e| {
                    panic!(
                        "{name}: the output is not a JSON object ({e}): {}",
                        String::from_utf8_lossy(json)
                    )
                });
            if let Some(uid) = fields.get("class_uid") {
                assert_eq!(uid.get(), class_uid.to_string(), "{name}: class_uid");
            }
            // The validator takes any event without panicking (its verdict may vary).
            match serde_json::from_slice::<serde_json::Value>(json) {
                Ok(event) => {
                    let _ = check_event(plan.schema(), &event);
                }
                // `Value` reads a key named after serde_json's raw value token as
                // one; output copied from such an input is still valid JSON.
                Err(e) => assert!(
                    e.to_string().contains("number out of range")
                        || memchr::memmem::find(json, b"$serde_json::private::RawValue").is_some(),
                    "{name}: {e}"
                ),
            }
        }
        Outcome::Rejected(rejection) => {
            assert!(!rejection.reason.is_empty(), "{name}: a rejection says why");
            assert_eq!(
                sink.buf.len(),
                before,
                "{name}: a rejected event left output"
            );
        }
        Outcome::Dropped | Outcome::Unrouted(_) => {
            assert_eq!(sink.buf.len(), before, "{name}: no event, but output");
        }
    }
}
