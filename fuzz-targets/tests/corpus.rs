//! Every fuzz target over its committed seed corpus (`fuzz/corpus/<target>/`), with
//! crashes found by `fuzz/run` kept there as regression cases. Runs on stable, without
//! instrumentation, in every `cargo test`.
//!
//! A seed listed in `fuzz/known-failures.txt` is a bug not fixed yet: it must still
//! fail (so the list never hides a fix), and every other seed must pass.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use ocsfmap_fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// `target/file` -> what breaks, from fuzz/known-failures.txt.
fn known_failures() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(fuzz_dir().join("known-failures.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (seed, why) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (seed.to_owned(), why.trim().to_owned())
        })
        .collect()
}

thread_local! {
    /// Set while a seed runs: its panic is collected, not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `body(data)`, returning its panic message instead of printing it.
fn quietly(body: fn(&[u8]), data: &[u8]) -> Result<(), String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                default(info);
            }
        }));
    });
    QUIET.set(true);
    let result = catch_unwind(AssertUnwindSafe(|| body(data)));
    QUIET.set(false);
    result.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

fn run_corpus(target: &str) {
    let (_, body) = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known target");
    let files = seeds(target);
    assert!(
        files.len() >= 5,
        "{target}: only {} seeds in fuzz/corpus/{target}",
        files.len()
    );
    let known = known_failures();
    let mut wrong = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let seed = format!("{target}/{}", file.file_name().unwrap().to_string_lossy());
        let listed = known.iter().any(|(s, _)| *s == seed);
        match quietly(*body, &data) {
            Ok(()) if listed => wrong.push(format!(
                "{seed}: passes now; remove it from fuzz/known-failures.txt"
            )),
            Err(_) if listed => {}
            Ok(()) => {}
            Err(message) => wrong.push(format!("{seed}: {message}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{target}: {} of {} seeds:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
}

#[test]
fn framing_json() {
    run_corpus("framing_json");
}

#[test]
fn framing_gzip() {
    run_corpus("framing_gzip");
}

#[test]
fn framing_delimited() {
    run_corpus("framing_delimited");
}

#[test]
fn mapping_load() {
    run_corpus("mapping_load");
}

#[test]
fn paths() {
    run_corpus("paths");
}

#[test]
fn eval_shipped() {
    run_corpus("eval_shipped");
}

/// Each target has its test above, its corpus, and its cargo-fuzz binary calling it.
#[test]
fn every_target_is_wired_to_cargo_fuzz() {
    let this = include_str!("corpus.rs");
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(this.contains(&format!("fn {name}()")), "no test for {name}");
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        assert!(
            text.contains(&format!("ocsfmap_fuzz_targets::{name}")),
            "{} does not call the body",
            source.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

/// Every listed known failure names a seed that exists, and says what breaks.
#[test]
fn known_failures_name_existing_seeds() {
    for (seed, why) in known_failures() {
        assert!(
            fuzz_dir().join("corpus").join(&seed).is_file(),
            "fuzz/known-failures.txt: no seed {seed}"
        );
        assert!(
            !why.is_empty(),
            "fuzz/known-failures.txt: {seed} says nothing"
        );
    }
}

/// Every shipped mapping compiles, so `eval_shipped` fuzzes all of them.
#[test]
fn eval_shipped_compiles_every_shipped_mapping() {
    let names: Vec<&str> = ocsfmap_fuzz_targets::eval::shipped()
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(names.contains(&"aws-cloudtrail.yaml"), "{names:?}");
    assert!(names.contains(&"amazon-vpc-flow-logs.yaml"), "{names:?}");
}
