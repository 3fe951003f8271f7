//! The layering that keeps the core small and reusable, checked on the source itself:
//! each top-level module of the core uses only the modules below it in the order
//! `lib.rs` states (so a module cycle cannot come back), the core touches no file
//! system, environment, network or clock, and what a transform links (core + output)
//! carries none of the validator's or the test kit's dependencies.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The core's modules, lowest first, as `lib.rs` documents them.
const LAYERS: &[&str] = &[
    "json_text",
    "diagnostic",
    "schema",
    "mapping",
    "event",
    "input",
    "plan",
    "check",
    "run",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs`).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The lines of a file that are code: comments and doc comments left out.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start()))
        .filter(|(_, line)| !line.starts_with("//"))
}

/// The top-level modules a line refers to through `crate::`, including each item of a
/// grouped `use crate::{a, b::c}`.
fn crate_references(line: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or_default();
                found.push(name.trim());
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            found.push(&rest[..end]);
        }
    }
    found
}

#[test]
fn every_module_uses_only_the_modules_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let rank = |name: &str| LAYERS.iter().position(|l| *l == name);
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else {
            continue;
        };
        let Some(own) = rank(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is not in the layer list of tests/layers.rs and lib.rs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (line_no, line) in code_lines(&text) {
            for target in crate_references(line) {
                match rank(target) {
                    Some(theirs) if theirs > own => wrong.push(format!(
                        "{}:{line_no}: `{module}` uses `{target}`, which is above it",
                        file.display()
                    )),
                    _ => {}
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_core_touches_no_file_system_environment_network_or_clock() {
    const FORBIDDEN: &[&str] = &[
        "std::fs",
        "File::open",
        "File::create",
        "std::env",
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "std::process",
        "SystemTime::now",
        "Instant::now",
        "Utc::now",
        "Local::now",
    ];
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line_no, line) in code_lines(&text) {
            for word in FORBIDDEN.iter().filter(|w| line.contains(**w)) {
                found.push(format!("{}:{line_no}: {word}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the core must stay free of I/O:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_transform_path_links_none_of_the_validator_or_test_kit_dependencies() {
    // What a transform-only binary links: the core and the writers (and the Lambda,
    // which adds the AWS side), with the features they enable themselves.
    for package in ["ocsfmap-output", "ocsfmap-lambda"] {
        let names = linked(package);
        assert!(names.iter().any(|n| n == "ocsfmap-core"), "{names:?}");
        for banned in [
            "similar",
            "jsonschema",
            "schemars",
            "yaml-rust2",
            "ocsfmap-lint",
            "ocsfmap-testkit",
        ] {
            assert!(
                !names.iter().any(|n| n == banned),
                "`{banned}` is linked by {package}: {names:?}"
            );
        }
    }
}

/// The names of the crates `package` links (normal dependencies, its own features).
fn linked(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "--locked", "-p", package])
        .args(["-e", "normal", "--prefix", "none", "--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}
