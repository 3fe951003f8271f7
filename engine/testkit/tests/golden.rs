//! Golden tests, run as data by the harness `ocsfmap test` shares: every
//! `<dir>/tests/<source>/<case>.input.*` must produce exactly `<case>.expected.json`
//! (values and key order) and set aside exactly `<case>.rejects.json` (none without
//! it), for the shipped mappings (`mappings/`, every event valid OCSF) and for the
//! language's feature tests (`tests/language/`). A change that alters output fails here
//! until the expected files are rewritten on purpose:
//! `OCSFMAP_BLESS=1 cargo test -p ocsfmap-testkit --test golden` (or `ocsfmap test --bless`).

use std::path::{Path, PathBuf};

use ocsfmap_testkit::{self as vectors, Json, Verdict};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs every case of `dir`; one failure report per case. `clean`: the mappings must
/// compile without warnings.
fn run_cases(dir: &Path, clean: bool) -> usize {
    let cases = vectors::discover(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let bless = std::env::var_os("OCSFMAP_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let plan = match vectors::compile_mapping(&case.mapping) {
            Ok(plan) => plan,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        if clean && !plan.warnings.is_empty() {
            failures.push(format!("{}: {:?}", case.mapping.display(), plan.warnings));
        }
        if let Verdict::Fail(why) = vectors::check_case(&plan, case, bless) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    cases.len()
}

#[test]
fn shipped_mappings_produce_their_expected_events() {
    let mappings = repo().join("mappings");
    let cases = run_cases(&mappings, true);
    // Every shipped mapping has cases (a mapping without any would test nothing).
    let sources = std::fs::read_dir(&mappings)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    let with_cases = std::fs::read_dir(mappings.join("tests")).unwrap().count();
    assert_eq!(
        sources, with_cases,
        "every shipped mapping has a tests folder"
    );
    assert!(cases >= sources, "{cases} cases");
}

#[test]
fn language_features_produce_their_expected_events() {
    let dir = repo().join("tests/language");
    let cases = run_cases(&dir, false);
    let features = vectors::discover(&dir)
        .unwrap()
        .iter()
        .map(|c| c.mapping.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mappings = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_file())
        .count();
    assert_eq!(features, mappings, "every language mapping has cases");
    assert!(cases >= features);
}

#[test]
fn a_changed_output_is_reported_as_a_diff() {
    let expected = vec![
        Json::parse(r#"{"a": 0, "b": 0, "c": 0, "d": 0, "e": 1, "f": 0, "g": 0, "h": 0}"#).unwrap(),
    ];
    let actual = vec![
        Json::parse(r#"{"a": 0, "b": 0, "c": 0, "d": 0, "e": 2, "f": 0, "g": 0, "h": 0}"#).unwrap(),
    ];
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

/// A folder holding a copy of one language mapping and the given case files; returns
/// the folder and its one case.
fn scratch_case(
    feature: &str,
    input: &str,
    files: &[(&str, &str)],
) -> (tempfile::TempDir, vectors::Case) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join(format!("tests/language/{feature}.yaml")),
        dir.path().join(format!("{feature}.yaml")),
    )
    .unwrap();
    let cases = dir.path().join("tests").join(feature);
    std::fs::create_dir_all(&cases).unwrap();
    std::fs::write(cases.join("c.input.jsonl"), input).unwrap();
    for (name, text) in files {
        std::fs::write(cases.join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("tests/options.json"),
        r#"{"validate": false}"#,
    )
    .unwrap();
    let mut found = vectors::discover(dir.path()).unwrap();
    assert_eq!(found.len(), 1);
    (dir, found.remove(0))
}

fn check(case: &vectors::Case, bless: bool) -> Verdict {
    let plan = vectors::compile_mapping(&case.mapping).unwrap();
    vectors::check_case(&plan, case, bless)
}

#[test]
fn the_same_keys_in_another_order_fail_naming_the_object() {
    let input = r#"{"a": "10.0.0.1", "p": 1}"#;
    let (_dir, case) = scratch_case("coalesce", &format!("{input}\n"), &[]);
    assert!(matches!(
        check(&case, true),
        Verdict::Blessed { events: 1, .. }
    ));
    assert_eq!(
        check(&case, false),
        Verdict::Pass {
            events: 1,
            set_aside: 0
        }
    );
    // The output writes `src_endpoint` as {"ip", "port"}: swap the two in the file.
    let blessed = std::fs::read_to_string(&case.expected).unwrap();
    let ip = "\"ip\": \"10.0.0.1\"";
    let port = "\"port\": 1";
    assert!(
        blessed.contains(&format!("{ip},\n      {port}\n")),
        "{blessed}"
    );
    let swapped = blessed.replace(
        &format!("{ip},\n      {port}\n"),
        &format!("{port},\n      {ip}\n"),
    );
    std::fs::write(&case.expected, &swapped).unwrap();
    // The values are equal as unordered maps: what the harness compared before.
    assert_eq!(
        vectors::expected(&case).unwrap().unwrap(),
        vectors::run_case(&vectors::compile_mapping(&case.mapping).unwrap(), &case)
            .unwrap()
            .events
    );
    let Verdict::Fail(why) = check(&case, false) else {
        panic!("a case whose keys are in another order must fail");
    };
    assert!(
        why.contains(
            "the keys at /0/src_endpoint are in another order: expected port, ip, actual ip, port"
        ),
        "{why}"
    );
    assert!(
        why.contains("-       \"port\": 1,") && why.contains("+       \"port\": 1"),
        "{why}"
    );
}

#[test]
fn a_case_passes_only_with_exactly_the_records_it_declares_set_aside() {
    let bad = r#"{"port":"http"}"#;
    let good = r#"{"port":80}"#;
    let (_dir, case) = scratch_case("type-errors", &format!("{good}\n{bad}\n"), &[]);
    std::fs::write(&case.expected, "[]\n").unwrap();
    // Without a rejects file, a record set aside fails the case, naming it.
    let Verdict::Fail(why) = check(&case, false) else {
        panic!("set aside without a rejects file must fail")
    };
    assert!(
        why.contains("records were set aside")
            && why.contains("line 2: src_endpoint.port: cannot convert \"http\" to integer_t"),
        "{why}"
    );
    // Bless writes the rejects file: what `--rejects` writes, less the input's path.
    assert_eq!(
        check(&case, true),
        Verdict::Blessed {
            events: 1,
            set_aside: 1
        }
    );
    let rejects = std::fs::read_to_string(&case.rejects).unwrap();
    let written = Json::parse(&rejects).unwrap();
    let Json::Array(items) = &written else {
        panic!("{rejects}")
    };
    let Json::Object(members) = &items[0] else {
        panic!("{rejects}")
    };
    let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    let mut serialised: Vec<String> = match Json::parse(
        &serde_json::to_string(
            &vectors::run_case(&vectors::compile_mapping(&case.mapping).unwrap(), &case)
                .unwrap()
                .set_aside[0],
        )
        .unwrap(),
    )
    .unwrap()
    {
        Json::Object(m) => m.into_iter().map(|(k, _)| k).collect(),
        other => panic!("{other:?}"),
    };
    serialised.retain(|k| k != "input");
    assert_eq!(
        keys, serialised,
        "every field SetAside serialises but input"
    );
    assert!(
        keys.starts_with(&["line", "record", "kind", "code", "reason"]),
        "{keys:?}"
    );
    assert!(
        rejects.contains(r#""raw": "{\"port\":\"http\"}""#),
        "{rejects}"
    );
    assert_eq!(
        check(&case, false),
        Verdict::Pass {
            events: 1,
            set_aside: 1
        }
    );

    // Another reason (or line, kind, ...) than declared fails with a diff.
    std::fs::write(&case.rejects, rejects.replace("to integer_t", "to port_t")).unwrap();
    let Verdict::Fail(why) = check(&case, false) else {
        panic!("a different reason must fail")
    };
    assert!(
        why.contains("the records set aside differ from")
            && why.contains(
                "-     \"reason\": \"src_endpoint.port: cannot convert \\\"http\\\" to port_t\","
            )
            && why.contains(
                "+     \"reason\": \"src_endpoint.port: cannot convert \\\"http\\\" to integer_t\","
            ),
        "{why}"
    );

    // A declared record that is no longer set aside fails too.
    std::fs::write(&case.rejects, &rejects).unwrap();
    std::fs::write(&case.input, format!("{good}\n{good}\n")).unwrap();
    std::fs::write(&case.expected, "[]\n").unwrap();
    assert!(matches!(
        check(&case, true),
        Verdict::Blessed {
            events: 2,
            set_aside: 0
        }
    ));
    assert!(
        !case.rejects.exists(),
        "bless removes a rejects file that no record needs"
    );
    std::fs::write(&case.rejects, &rejects).unwrap();
    let Verdict::Fail(why) = check(&case, false) else {
        panic!("a declared reject that did not happen must fail")
    };
    assert!(why.contains("the records set aside differ from"), "{why}");
}

#[test]
fn an_options_file_with_an_unknown_key_is_refused_naming_it() {
    let (dir, _) = scratch_case("coalesce", "{}\n", &[]);
    let options = dir.path().join("tests/options.json");
    std::fs::write(&options, r#"{"validat": false}"#).unwrap();
    let err = vectors::discover(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&options.display().to_string()) && err.contains("unknown field `validat`"),
        "{err}"
    );
}
