//! `schemas/mapping.schema.json` is generated from the mapping model. This test fails
//! when it is stale; `OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test mapping_schema`
//! rewrites it.

use std::path::{Path, PathBuf};

use ocsfmap_lint::language;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_shipped_mapping_schema_is_current() {
    let path = root().join("schemas/mapping.schema.json");
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

/// The files of `dir` whose name ends with `suffix`, sorted.
fn files(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

/// Every shipped mapping and every reference mapping (the published examples that
/// must load unchanged) fits the schema and compiles.
#[test]
fn shipped_and_reference_mappings_fit_the_schema() {
    let shipped = files("mappings", ".yaml");
    assert!(!shipped.is_empty(), "no mappings/*.yaml found");
    // The reference folder holds sample events too: the mappings are the files with
    // `custom_source_events`.
    let reference: Vec<PathBuf> = files("tests/fixtures/reference", ".json")
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("\"custom_source_events\"")
        })
        .collect();
    assert!(!reference.is_empty(), "no reference mappings found");
    for file in shipped.iter().chain(&reference) {
        let text = std::fs::read_to_string(file).unwrap();
        let mut node: ocsfmap_core::mapping::Node = serde_yaml::from_str(&text).unwrap();
        node.apply_merge_keys();
        assert_eq!(
            language::violations(&node.to_value()),
            vec![],
            "{}",
            file.display()
        );
        let mapping = ocsfmap_lint::load_mapping_file(file).unwrap();
        let compiled = ocsfmap_core::plan::compile_all(&mapping);
        let errors: Vec<String> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.severity == ocsfmap_core::diagnostic::Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", file.display());
    }
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let bad: serde_json::Value = serde_json::json!({"custom_source_events": {"source_name": "x", "matched_feld": "$.a", "ocsf_mapping": {}}});
    let found = language::violations(&bad);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].pointer, "/custom_source_events/matched_feld");
    assert_eq!(
        found[0].help.as_deref(),
        Some("did you mean `matched_field`?")
    );
}
