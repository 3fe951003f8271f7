//! Mapping files: bytes read as a JSON and as a YAML mapping, compiled and validated.
//!
//! Whatever the text, loading, compiling and validating end with a result, never a
//! panic, and every problem is a diagnostic a user can act on: an error that names the
//! file, a JSON pointer into it, a position inside it.

use std::path::Path;

use ocsfmap_core::mapping::{Syntax, parse_str};
use ocsfmap_core::{Diagnostic, Severity, compile};
use ocsfmap_lint::validate_text;

pub fn mapping_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for (syntax, name) in [(Syntax::Json, "fuzz.json"), (Syntax::Yaml, "fuzz.yaml")] {
        check(&text, syntax, Path::new(name));
    }
}

/// The last line of `text`, counting line breaks as YAML (and most editors) do: `\n`,
/// `\r\n`, and a lone `\r`.
fn last_line(text: &str) -> usize {
    let bytes = text.as_bytes();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    memchr::memchr_iter(b'\n', bytes).count() + lone_cr + 1
}

fn check(text: &str, syntax: Syntax, path: &Path) {
    let last_line = last_line(text);
    let loaded = parse_str(text, syntax, path);
    let compiled = match &loaded {
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.starts_with(&path.display().to_string()),
                "a load error names the file: {message}"
            );
            false
        }
        Ok(file) => match compile(file) {
            Err(e) => {
                assert!(
                    e.diagnostics.iter().any(|d| d.severity == Severity::Error),
                    "a failed compilation has an error: {e:?}"
                );
                e.diagnostics.iter().for_each(check_diagnostic);
                false
            }
            Ok(plan) => {
                for d in &plan.warnings {
                    assert_eq!(d.severity, Severity::Warning, "{d}");
                    check_diagnostic(d);
                }
                true
            }
        },
    };
    let report = validate_text(text.to_owned(), syntax, path);
    for item in &report.items {
        check_diagnostic(&item.diagnostic);
        if let Some(p) = item.position {
            assert!(
                p.line >= 1 && p.line <= last_line,
                "{} at line {} of {last_line}",
                item.diagnostic,
                p.line
            );
        }
    }
    if !compiled {
        assert!(
            report.errors() > 0,
            "validate finds no error in a mapping that does not load or compile"
        );
    }
}

fn check_diagnostic(d: &Diagnostic) {
    assert!(
        !d.message.is_empty(),
        "a diagnostic says what is wrong: {d:?}"
    );
    assert!(
        d.pointer.is_empty() || d.pointer.starts_with('/'),
        "a JSON pointer: {d:?}"
    );
}
