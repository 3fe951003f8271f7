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
        .map(|f| format!("engine/tests/fixtures/reference/{f}"));
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
fn shipped_mappings_are_clean_and_exit_codes_follow_severity() {
    let (code, out) = ocsfmap(&["validate", "mappings/"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("error["), "{out}");
    let (code, _) = ocsfmap(&["validate", "--deny-warnings", "mappings/"]);
    assert_eq!(
        code, 1,
        "the shipped mappings leave some recommended attributes out"
    );
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
