//! JSON lines takes shortcuts the typed path (Parquet, objects inside lists) does not:
//! constants and captions rendered at compile time, `observables` written as JSON
//! straight away. Every record of every language case and shipped mapping case is
//! evaluated both ways, and the two must write the same bytes.

use std::path::{Path, PathBuf};

use ocsfmap_core::event::EventTrees;
use ocsfmap_core::mapping::{MappingFile, Syntax, parse_str};
use ocsfmap_core::{Outcome, compile};
use ocsfmap_output::JsonLines;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(path: &Path) -> MappingFile {
    let text = std::fs::read_to_string(path).unwrap();
    let mut file = parse_str(&text, Syntax::from_path(path), path).unwrap();
    file.read_lookups(path, std::fs::read);
    file
}

/// (mapping, JSON lines inputs of its cases) for every mapping folder with cases.
fn cases() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut found = Vec::new();
    for dir in ["tests/language", "mappings"] {
        let dir = root().join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let mapping = entry.unwrap().path();
            if mapping.extension().is_none_or(|x| x != "yaml") {
                continue;
            }
            let stem = mapping.file_stem().unwrap().to_str().unwrap().to_owned();
            let Ok(inputs) = std::fs::read_dir(dir.join("tests").join(&stem)) else {
                continue;
            };
            let inputs: Vec<PathBuf> = inputs
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_str().unwrap().ends_with(".input.jsonl"))
                .collect();
            found.push((mapping, inputs));
        }
    }
    found
}

#[test]
fn json_lines_and_typed_values_write_the_same_events() {
    let mut events = 0;
    for (mapping, inputs) in cases() {
        let Ok(plan) = compile(&load(&mapping)) else {
            continue;
        };
        for input in inputs {
            let text = std::fs::read_to_string(&input).unwrap();
            for (i, record) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                let mut json = JsonLines::new();
                let mut typed = EventTrees::default();
                let a = plan.eval(record, &mut json);
                let b = plan.eval(record, &mut typed);
                assert_eq!(a, b, "{}:{}", input.display(), i + 1);
                if !matches!(a, Outcome::Output { .. }) {
                    continue;
                }
                let mut from_typed = Vec::new();
                typed.events.pop().unwrap().write_json(&mut from_typed);
                from_typed.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&json.buf),
                    String::from_utf8_lossy(&from_typed),
                    "{}:{}",
                    input.display(),
                    i + 1
                );
                events += 1;
            }
        }
    }
    // The language cases and the shipped mappings' cases together.
    assert!(events > 100, "{events} events compared");
}
