//! The semantic checks run on every route the compiler resolves, whichever way the
//! route names its class.

use std::path::Path;

use ocsfmap_core::mapping::Syntax;
use ocsfmap_lint::validate_text;

fn codes(class_line: &str, class_uid: &str) -> Vec<String> {
    let text = format!(
        "custom_source_events:
  source_name: t
  ocsf_mapping:
    r:
      {class_line}
      schema_mapping:
        class_uid: {class_uid}
        activity_id: 42
        severity_id: 1
        severity: Critical
        time: $.t
        metadata: {{product: {{name: p, vendor_name: v}}}}
"
    );
    let report = validate_text(text, Syntax::Yaml, Path::new("t.yaml"));
    report
        .items
        .iter()
        .map(|i| format!("{} {}", i.diagnostic.code.as_str(), i.diagnostic.pointer))
        .collect()
}

#[test]
fn a_class_uid_written_as_a_string_gets_every_check() {
    let by_number = codes("drop: false", "4001");
    let by_string = codes("drop: false", "'4001'");
    let by_name = codes("schema: network_activity", "4001");
    for want in [
        "OM013 /custom_source_events/ocsf_mapping/r/schema_mapping/activity_id",
        "OM015 /custom_source_events/ocsf_mapping/r/schema_mapping/severity",
    ] {
        assert!(
            by_string.iter().any(|c| c == want),
            "{want} not in {by_string:#?}"
        );
    }
    assert_eq!(by_string, by_number);
    assert_eq!(by_string, by_name);
}
