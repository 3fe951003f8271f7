//! Golden tests of the shipped mappings: every `mappings/tests/<source>/<case>.input.jsonl`
//! must produce exactly `<case>.expected.json`. A mapping change that alters output fails
//! here until the expected file is rewritten on purpose: `OCSFMAP_BLESS=1 cargo test`.

use std::path::Path;

use ocsfmap_engine::{compile, mapping, vectors};

#[test]
fn shipped_mappings_produce_their_expected_events() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mappings");
    let cases = vectors::discover(&dir).expect("mappings/ is readable");
    assert!(
        cases.len() >= 9,
        "expected the shipped cases, found {}",
        cases.len()
    );
    let bless = std::env::var_os("OCSFMAP_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let file = mapping::load_file(&case.mapping).unwrap_or_else(|e| panic!("{e}"));
        let plan = compile(&file).unwrap_or_else(|e| panic!("{}: {e}", case.mapping.display()));
        assert!(
            plan.warnings.is_empty(),
            "{}: {:?}",
            case.mapping.display(),
            plan.warnings
        );
        let actual = vectors::run_case(&plan, case).expect("case runs");
        assert!(
            actual.set_aside.is_empty(),
            "{}: records set aside: {:#?}",
            case.name,
            actual.set_aside
        );
        assert_eq!(
            actual.stats.input, actual.stats.output,
            "{}: every sample record is output",
            case.name
        );
        match vectors::expected(case).expect("expected file is valid JSON") {
            Some(expected) if expected == actual.events => {}
            _ if bless => vectors::bless(case, &actual.events).expect("expected file is writable"),
            Some(expected) => failures.push(format!(
                "{}: output differs from {} (- expected, + actual):\n{}",
                case.name,
                case.expected.display(),
                vectors::diff(&expected, &actual.events)
            )),
            None => failures.push(format!(
                "{}: no {} (run with OCSFMAP_BLESS=1 to create it)",
                case.name,
                case.expected.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_changed_output_is_reported_as_a_diff() {
    let expected = vec![serde_json::json!({"a": 1, "b": "x"})];
    let actual = vec![serde_json::json!({"a": 2, "b": "x"})];
    let d = vectors::diff(&expected, &actual);
    assert!(
        d.contains("-     \"a\": 1,") && d.contains("+     \"a\": 2,"),
        "{d}"
    );
    assert!(!d.contains("\"b\""), "unchanged lines are not shown: {d}");
}
