//! Golden tests of the shipped mappings: every `mappings/tests/<source>/<case>.input.jsonl`
//! must produce exactly `<case>.expected.json`, every event valid OCSF. A mapping change
//! that alters output fails here until the expected file is rewritten on purpose:
//! `OCSFMAP_BLESS=1 cargo test -p ocsfmap-testkit --test golden` (or `ocsfmap test --bless`).

use std::path::Path;

use ocsfmap_testkit::{self as vectors, Verdict};

#[test]
fn shipped_mappings_produce_their_expected_events() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings");
    let cases = vectors::discover(&dir).expect("mappings/ is readable");
    assert!(
        cases.len() >= 9,
        "expected the shipped cases, found {}",
        cases.len()
    );
    let bless = std::env::var_os("OCSFMAP_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let plan = vectors::compile_mapping(&case.mapping).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            plan.warnings.is_empty(),
            "{}: {:?}",
            case.mapping.display(),
            plan.warnings
        );
        if let Verdict::Fail(why) = vectors::check_case(&plan, case, bless) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_changed_output_is_reported_as_a_diff() {
    let expected =
        vec![serde_json::json!({"a": 0, "b": 0, "c": 0, "d": 0, "e": 1, "f": 0, "g": 0, "h": 0})];
    let mut actual = expected.clone();
    actual[0]["e"] = 2.into();
    let d = vectors::diff(&expected, &actual);
    assert!(
        d.contains("-     \"e\": 1,") && d.contains("+     \"e\": 2,"),
        "{d}"
    );
    assert!(d.contains("      \"d\": 0,"), "two lines of context: {d}");
    assert!(
        !d.contains("\"a\"") && !d.contains("\"h\""),
        "lines farther away are not shown: {d}"
    );
}
