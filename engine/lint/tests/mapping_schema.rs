//! `schemas/mapping.schema.json` is generated from the mapping model. This test fails
//! when it is stale; `OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test mapping_schema`
//! rewrites it.

use std::path::Path;

use ocsfmap_lint::language;

#[test]
fn the_shipped_mapping_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/mapping.schema.json");
    let generated = language::generate();
    if std::env::var_os("OCSFMAP_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap();
    assert!(
        shipped == generated,
        "schemas/mapping.schema.json is stale: run OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test mapping_schema"
    );
}

#[test]
fn shipped_and_reference_mappings_fit_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for file in [
        "mappings/aws-network-firewall.yaml",
        "mappings/windows-sysmon.yaml",
        "tests/fixtures/reference/aws_nfw.json",
        "tests/fixtures/reference/aws_alb.json",
        "tests/fixtures/reference/windows_sysmon.json",
    ] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let mut node: ocsfmap_core::mapping::Node = serde_yaml::from_str(&text).unwrap();
        node.apply_merge_keys();
        assert_eq!(language::violations(&node.to_value()), vec![], "{file}");
    }
    let bad: serde_json::Value = serde_json::json!({"custom_source_events": {"source_name": "x", "matched_feld": "$.a", "ocsf_mapping": {}}});
    let found = language::violations(&bad);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, "/custom_source_events/matched_feld");
    assert_eq!(
        found[0].help.as_deref(),
        Some("did you mean `matched_field`?")
    );
    {}
}
