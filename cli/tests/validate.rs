//! `ocsfmap validate` and `ocsfmap test` end to end. Reports are snapshot-tested
//! (`cli/tests/snapshots/`); a changed message fails until the snapshot is reviewed.

mod common;

use common::repo;

/// Runs ocsfmap in the repository root; returns the exit code and stdout.
fn ocsfmap(args: &[&str]) -> (i32, String) {
    let (code, out, _) = common::ocsfmap(args);
    (code, out)
}

const MISTAKES: [&str; 3] = [
    "cli/tests/fixtures/mistakes.yaml",
    "cli/tests/fixtures/duplicate.yaml",
    "cli/tests/fixtures/structure.yaml",
];

#[test]
fn each_kind_of_mistake_is_reported_once_at_its_line_in_human_form() {
    let (code, out) = ocsfmap(&["validate", MISTAKES[0], MISTAKES[1], MISTAKES[2]]);
    assert_eq!(code, 1);
    for (code, line) in [
        ("OM022", 13), // metadata.version
        ("OM013", 14), // activity_id outside its enum
        ("OM005", 16), // "High" where an enum id is expected
        ("OM004", 20), // mistyped attribute
        ("OM014", 23), // port 70000
        ("OM020", 24), // profile attribute without its profile
        ("OM003", 25), // path syntax
        ("OM023", 26), // unreachable route
        ("OM016", 28), // required attribute not mapped
        ("OM019", 31), // unknown profile
        ("OM015", 34), // caption contradicting its id
    ] {
        let needle = format!("[{code}]");
        assert_eq!(out.matches(&needle).count(), 1, "{code} once:\n{out}");
        let at = format!("mistakes.yaml:{line}:");
        let pos = out.find(&needle).unwrap();
        assert!(
            out[pos..].lines().nth(1).is_some_and(|l| l.contains(&at)),
            "{code} at line {line}:\n{out}"
        );
    }
    assert!(
        out.contains("[OM012]: `activity_id` is written twice in this object (first at line 7)")
    );
    assert!(out.contains("did you mean `src_endpoint.port`?"), "{out}");
    assert!(out.contains("`matched_feld` is not a key of the mapping language here\n  --> cli/tests/fixtures/structure.yaml:3:3"), "{out}");
    assert!(
        out.contains("[OM025]: \"yes please\" is not of type \"boolean\""),
        "{out}"
    );
    insta::assert_snapshot!("mistakes_human", out);
}

#[test]
fn mistakes_as_json() {
    let (code, out) = ocsfmap(&[
        "validate",
        "--format",
        "json",
        MISTAKES[0],
        MISTAKES[1],
        MISTAKES[2],
    ]);
    assert_eq!(code, 1);
    let items: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(
        items
            .iter()
            .all(|i| i["line"].is_u64() && i["column"].is_u64() && i["code"].is_string())
    );
    insta::assert_snapshot!("mistakes_json", out);
}

#[test]
fn mistakes_as_github_annotations() {
    let (code, out) = ocsfmap(&[
        "validate",
        "--format",
        "github",
        MISTAKES[0],
        MISTAKES[1],
        MISTAKES[2],
    ]);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file=")),
        "{out}"
    );
    insta::assert_snapshot!("mistakes_github", out);
}

#[test]
fn the_published_reference_mappings_mistakes_are_found() {
    let files = ["aws_alb.json", "aws_nfw.json", "windows_sysmon.json"]
        .map(|f| format!("tests/fixtures/reference/{f}"));
    let (code, out) = ocsfmap(&["validate", &files[0], &files[1], &files[2]]);
    assert_eq!(code, 1);
    for finding in [
        "metadata.profiles is the string `cloud,firewall`; OCSF wants a list of profile names",
        "metadata.version is `v1.0.0`, but this mapping produces OCSF 1.1.0",
        "`severity` is `High`, but `severity_id` 3 means `Medium`",
        "`class_name` is `File Activity`, but class 1001 is `File System Activity` here",
        "`file.type_uid` is not an attribute of `file`",
        "OCSF 1.1.0 has no profile `loadbalancing`",
    ] {
        assert!(out.contains(finding), "missing {finding:?}");
    }
    insta::assert_snapshot!("reference_mappings", out);
}

#[test]
fn shipped_mappings_have_no_errors() {
    let (code, out) = ocsfmap(&["validate", "mappings/"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("error["), "{out}");
}

#[test]
fn exit_codes_follow_severity_and_deny_warnings() {
    // A mapping without any diagnostic passes, with --deny-warnings too.
    let clean = "cli/tests/fixtures/clean.yaml";
    for args in [
        &["validate", clean][..],
        &["validate", "--deny-warnings", clean],
    ] {
        let (code, out) = ocsfmap(args);
        assert_eq!((code, out.as_str()), (0, ""), "{args:?}");
    }
    // The same mapping less one recommended attribute: a warning, and nothing else.
    let warning = "cli/tests/fixtures/warning.yaml";
    let (code, out) = ocsfmap(&["validate", warning]);
    assert_eq!(code, 0, "a warning alone passes: {out}");
    assert!(
        out.starts_with("warning[OM017]: recommended attributes not mapped: `message`\n")
            && out.matches("warning[").count() == 1
            && !out.contains("error["),
        "{out}"
    );
    let (code, out) = ocsfmap(&["validate", "--deny-warnings", warning]);
    assert_eq!(code, 1, "--deny-warnings fails on the warning: {out}");
    let (code, _) = ocsfmap(&["validate", "--deny-warnings", clean, warning]);
    assert_eq!(code, 1, "one file with a warning is enough");
    let (code, _) = ocsfmap(&["validate", "no/such/file.yaml"]);
    assert_eq!(code, 2);
}

#[test]
fn test_command_reports_a_diff_and_bless_rewrites_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(
        repo().join("mappings/aws-network-firewall.yaml"),
        root.join("nfw.yaml"),
    )
    .unwrap();
    let cases = root.join("tests/nfw");
    std::fs::create_dir_all(&cases).unwrap();
    let src = repo().join("mappings/tests/aws-network-firewall");
    std::fs::copy(
        src.join("netflow.input.jsonl"),
        cases.join("netflow.input.jsonl"),
    )
    .unwrap();
    let expected = std::fs::read_to_string(src.join("netflow.expected.json")).unwrap();
    std::fs::write(
        cases.join("netflow.expected.json"),
        expected.replace("\"bytes\": 5218", "\"bytes\": 5219"),
    )
    .unwrap();
    let root_arg = root.to_str().unwrap();

    let (code, out) = ocsfmap(&["test", root_arg]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED  nfw/netflow: output differs"), "{out}");
    assert!(
        out.contains("-       \"bytes\": 5219,") && out.contains("+       \"bytes\": 5218,"),
        "{out}"
    );

    let (code, out) = ocsfmap(&["test", "--bless", root_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("blessed nfw/netflow (3 events)"), "{out}");
    assert_eq!(
        std::fs::read_to_string(cases.join("netflow.expected.json")).unwrap(),
        expected
    );

    let (code, out) = ocsfmap(&["test", root_arg]);
    assert_eq!(
        (code, out.contains("ocsfmap test: 1 passed, 0 failed")),
        (0, true),
        "{out}"
    );
}

/// Writes `text` to `name` in a new folder and validates it: exit code and stdout.
fn validate_text(name: &str, text: &str, format: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    ocsfmap(&["validate", "--format", format, path.to_str().unwrap()])
}

#[test]
fn errors_without_a_key_to_point_at_still_name_a_line_and_column() {
    for (name, text, at) in [
        // serde_json reports column 0 here.
        ("empty.json", "", ":1:1"),
        ("cut.json", "{\n  \"custom_source_events\": {\n", ":2:28"),
        // No key to point at: the start of the document.
        ("empty.yaml", "", ":1:1"),
        // serde_yaml gives no position for a second document: where it starts.
        (
            "two.yaml",
            "custom_source_events: {source_name: x, ocsf_mapping: {}}\n---\nfoo: 1\n",
            ":2:1",
        ),
    ] {
        let (code, out) = validate_text(name, text, "human");
        assert_eq!(code, 1, "{name}: {out}");
        let arrow = out.lines().nth(1).unwrap_or_default();
        assert!(
            arrow.starts_with("  --> ") && arrow.ends_with(&format!("{name}{at}")),
            "{name}: {out}"
        );
        assert!(!out.contains(":0"), "{name}: {out}");
        let (_, json) = validate_text(name, text, "json");
        let items: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(
            items
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["line"].as_u64().is_some_and(|l| l > 0)
                    && i["column"].as_u64().is_some_and(|c| c > 0)),
            "{name}: {json}"
        );
    }
}

#[test]
fn a_source_name_security_lake_refuses_is_an_error_at_its_value() {
    let text = std::fs::read_to_string(repo().join("mappings/aws-network-firewall.yaml"))
        .unwrap()
        .replace(
            "source_name: aws-network-firewall",
            "source_name: aws network firewall",
        );
    let (code, out) = validate_text("nfw.yaml", &text, "human");
    assert_eq!(code, 1, "{out}");
    let line = text
        .lines()
        .position(|l| l.contains("source_name:"))
        .unwrap()
        + 1;
    let column = text.lines().nth(line - 1).unwrap().find("aws").unwrap() + 1;
    assert!(
        out.contains(
            "error[OM029]: custom source name `aws network firewall` is not valid: 1 to 64 letters, digits, `-` or `_`"
        ) && out.contains(&format!("nfw.yaml:{line}:{column}")),
        "{out}"
    );
}

#[test]
fn limits_are_reported_at_their_place() {
    let deep = format!(
        "custom_source_events:\n  source_name: x\n  a: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (code, out) = validate_text("deep.yaml", &deep, "human");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("error[OM027]: nested deeper than 64 levels")
            && out.contains("deep.yaml:3:"),
        "{out}"
    );
    let costly = std::fs::read_to_string(repo().join("mappings/aws-network-firewall.yaml"))
        .unwrap()
        .replace("$.event.src_ip", "$..*..*");
    let (code, out) = validate_text("costly.yaml", &costly, "human");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[OM028]: `$..*..*` has more than one descendant segment"),
        "{out}"
    );
}

#[test]
fn test_command_runs_the_language_tests_and_checks_declared_rejects() {
    let (code, out) = ocsfmap(&["test", "tests/language/"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok      routes-without-default/unrouted (0 events, 3 set aside)"),
        "{out}"
    );
    assert!(!out.contains("FAILED"), "{out}");
    let (code, out) = ocsfmap(&["test", "mappings/aws-cloudtrail.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok      aws-cloudtrail/insights-events (0 events, 2 set aside)"),
        "{out}"
    );
}
