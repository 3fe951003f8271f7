//! One fixture per diagnostic code, as data: `tests/diagnostics/<code>-<name>/` holds a
//! mapping file and `expected.json`, what the validator reports for it (every
//! diagnostic: position, code, severity, pointer, message, help). A fixture with an
//! `input.*` file is a run-time fixture: the input is run through the mapping, and
//! `expected.json` holds the run's counts and the records set aside (line, kind, code,
//! reason); `run.json`, when present, sets the run's options (`validate`, `output`).
//!
//! Every code of the registry must have its fixture, and each fixture must report its
//! own code. `OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test diagnostics` rewrites
//! the expected files and `docs/diagnostics.md`.

use std::path::{Path, PathBuf};

use ocsfmap_core::diagnostic::{Code, Severity, Stage, docs};
use ocsfmap_core::run::{self, Input, Outputs, RunOptions, SetAside};
use ocsfmap_core::{EventBuffer, Plan};
use ocsfmap_output::JsonLines;
use ocsfmap_output::parquet::{ParquetOptions, ParquetOutput};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics")
}

fn bless() -> bool {
    std::env::var_os("OCSFMAP_BLESS").is_some()
}

/// Fixture folders, sorted.
fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The one file of `dir` whose name starts with `stem.`.
fn file_named(dir: &Path, stem: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{stem}.")))
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{}: several {stem}.* files",
        dir.display()
    );
    found.pop()
}

/// What the validator reports for a mapping file, as data.
fn validate(mapping: &Path) -> Value {
    let report = ocsfmap_lint::validate_file(mapping);
    let items: Vec<Value> = report
        .items
        .iter()
        .map(|item| {
            let d = &item.diagnostic;
            let mut v = json!({
                "at": item.position.map(|p| format!("{}:{}", p.line, p.column)),
                "code": d.code.as_str(),
                "severity": d.severity.as_str(),
                "pointer": d.pointer,
                "message": d.message,
            });
            if let Some(help) = &d.help {
                v["help"] = json!(help);
            }
            v
        })
        .collect();
    Value::Array(items)
}

/// Runs `input` through the mapping as `ocsfmap transform` does.
fn transform(mapping: &Path, input: &Path, options: &Value) -> Value {
    let file = ocsfmap_lint::load_mapping_file(mapping).unwrap();
    let plan = ocsfmap_core::compile(&file).unwrap_or_else(|e| panic!("{e}"));
    let validate = options["validate"].as_bool() == Some(true);
    let (stats, aside) = match options["output"].as_str() {
        Some("parquet") => {
            // Rows are only buffered: the writer decides here which events it can store.
            let out = ParquetOutput::new(
                &plan,
                ParquetOptions::new(
                    std::env::temp_dir().join("ocsfmap-never-written"),
                    "us-east-1",
                    "123456789012",
                    "fixture",
                ),
            )
            .unwrap();
            run_with(&plan, input, validate, &out.new_rows())
        }
        _ => run_with(&plan, input, validate, &JsonLines::new),
    };
    let aside: Vec<Value> = aside
        .iter()
        .map(|s| {
            json!({
                "line": s.line,
                "record": s.record,
                "kind": s.kind,
                "code": s.code,
                "reason": s.reason,
            })
        })
        .collect();
    json!({"stats": stats, "set_aside": aside})
}

fn run_with<B: EventBuffer>(
    plan: &Plan,
    input: &Path,
    validate: bool,
    new_buffer: &(dyn Fn() -> B + Sync),
) -> (run::Stats, Vec<SetAside>) {
    let mut aside = Vec::new();
    let stats = run::run(
        plan,
        vec![Input {
            name: "input".to_owned(),
            reader: Box::new(std::fs::File::open(input).unwrap()),
        }],
        RunOptions {
            pool: None,
            validate,
        },
        &mut Outputs {
            new_buffer,
            events: &mut |_| Ok(()),
            set_aside: &mut |s| {
                aside.push(s.clone());
                Ok(())
            },
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    (stats, aside)
}

/// What a fixture produces: a validation report, or a run's results.
fn actual(dir: &Path) -> (Value, Stage) {
    let mapping = file_named(dir, "mapping")
        .unwrap_or_else(|| panic!("{}: no mapping.* file", dir.display()));
    match file_named(dir, "input") {
        Some(input) => {
            let options = file_named(dir, "run").map_or(Value::Null, |p| {
                serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
            });
            (transform(&mapping, &input, &options), Stage::Rejected)
        }
        None => (validate(&mapping), Stage::Mapping),
    }
}

/// The codes a fixture's results report.
fn codes_in(result: &Value) -> Vec<&str> {
    let items = result
        .as_array()
        .or_else(|| result["set_aside"].as_array())
        .unwrap();
    items.iter().filter_map(|i| i["code"].as_str()).collect()
}

#[test]
fn every_fixture_reports_what_its_expected_file_says() {
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (got, _) = actual(&dir);
        let expected_path = dir.join("expected.json");
        let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        if bless() {
            std::fs::write(&expected_path, &text).unwrap();
        }
        let want: Value = std::fs::read(&expected_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if got != want {
            failures.push(format!(
                "{name}: got\n{text}expected\n{}",
                serde_json::to_string_pretty(&want).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(rewrite with OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test diagnostics)",
        failures.join("\n")
    );
}

#[test]
fn every_code_has_one_fixture_that_reports_it() {
    let dirs = fixture_dirs();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for code in Code::ALL {
        let want = format!("{}-{}", code.as_str(), code.name());
        assert!(
            names.contains(&want),
            "{} has no fixture: add tests/diagnostics/{want}/",
            code.as_str()
        );
    }
    for (dir, name) in dirs.iter().zip(&names) {
        let code = name
            .split_once('-')
            .and_then(|(c, _)| Code::lookup(c))
            .filter(|c| *name == format!("{}-{}", c.as_str(), c.name()))
            .unwrap_or_else(|| panic!("{name} is not `<code>-<name>` of a registry code"));
        let (got, stage) = actual(dir);
        assert_eq!(
            stage == Stage::Mapping,
            code.info().stage == Stage::Mapping,
            "{name}: a mapping code's fixture has no input; a run-time code's has one"
        );
        assert!(
            codes_in(&got).contains(&code.as_str()),
            "{name} does not report {}: {got:#}",
            code.as_str()
        );
    }
}

#[test]
fn reported_severities_are_the_registry_defaults() {
    for dir in fixture_dirs() {
        let (got, stage) = actual(&dir);
        if stage != Stage::Mapping {
            continue;
        }
        for item in got.as_array().unwrap() {
            let code = Code::lookup(item["code"].as_str().unwrap()).unwrap();
            let severity = item["severity"].as_str().unwrap();
            // `validate` raises an unknown attribute to an error (`transform` moves its
            // value to `unmapped` and warns).
            let raised = code == Code::UnknownAttribute && severity == Severity::Error.as_str();
            assert!(
                raised || severity == code.severity().as_str(),
                "{}: {item}",
                dir.display()
            );
        }
    }
}

#[test]
fn the_diagnostics_page_is_current() {
    let path = root().join("docs/diagnostics.md");
    let generated = docs::markdown();
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == generated,
        "docs/diagnostics.md is stale: run OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test diagnostics"
    );
}
