//! The JSON Schema of the mapping language (`schemas/mapping.schema.json`): generated
//! from the serde model, and used to check mapping files.

use std::sync::OnceLock;

use serde_json::Value;

use ocsfmap_core::mapping::MappingFile;

/// The JSON Schema of mapping files, generated from the model (the text of
/// `schemas/mapping.schema.json`; a test fails when the file is stale).
pub fn generate() -> String {
    let mut schema = schemars::schema_for!(MappingFile);
    schema.insert(
        "$id".into(),
        "https://ocsfmap.dev/schemas/mapping.schema.json".into(),
    );
    schema.insert("title".into(), "ocsfmap mapping file".into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

const SHIPPED: &str = include_str!("../../../schemas/mapping.schema.json");

/// A way a document breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer to the offending value, or to the unknown key.
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
    /// The problem is the key itself (an unknown key), not its value.
    pub at_key: bool,
}

/// Every way `document` breaks the shipped JSON Schema.
pub fn violations(document: &Value) -> Vec<Violation> {
    static COMPILED: OnceLock<Option<(jsonschema::Validator, Vec<String>)>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        let schema: Value = serde_json::from_str(SHIPPED).ok()?;
        let mut keys = Vec::new();
        collect_property_names(&schema, &mut keys);
        Some((jsonschema::validator_for(&schema).ok()?, keys))
    });
    let Some((validator, keys)) = compiled else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in validator.iter_errors(document) {
        let at = e.instance_path.to_string();
        if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } = &e.kind
        {
            // One diagnostic per unknown key, at the key, with the nearest known key.
            for key in unexpected {
                let help =
                    ocsfmap_core::diagnostic::did_you_mean(key, keys.iter().map(String::as_str))
                        .map(|k| format!("did you mean `{k}`?"));
                out.push(Violation {
                    pointer: format!("{at}/{}", ocsfmap_core::diagnostic::pointer_token(key)),
                    message: format!("`{key}` is not a key of the mapping language here"),
                    help,
                    at_key: true,
                });
            }
        } else {
            out.push(Violation {
                pointer: at,
                message: e.to_string(),
                help: None,
                at_key: false,
            });
        }
    }
    out
}

fn collect_property_names(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| collect_property_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_property_names(v, out)),
        _ => {}
    }
}
