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

/// The JSON Schema, compiled, and every property name it declares (for "did you mean").
fn compile(text: &str) -> Result<(jsonschema::Validator, Vec<String>), String> {
    let schema: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut keys = Vec::new();
    collect_property_names(&schema, &mut keys);
    let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
    Ok((validator, keys))
}

/// The embedded schema, compiled; a panic naming the file when it does not compile.
fn embedded(text: &str) -> (jsonschema::Validator, Vec<String>) {
    compile(text).unwrap_or_else(|e| {
        panic!(
            "schemas/mapping.schema.json, embedded in this build, is not a valid JSON Schema ({e}): run OCSFMAP_BLESS=1 cargo test -p ocsfmap-lint --test mapping_schema"
        )
    })
}

/// Every way `document` breaks the shipped JSON Schema.
///
/// # Panics
///
/// When the schema embedded in this build does not compile: a broken build, never a
/// property of the document (the `mapping_schema` test compiles it).
pub fn violations(document: &Value) -> Vec<Violation> {
    static COMPILED: OnceLock<(jsonschema::Validator, Vec<String>)> = OnceLock::new();
    let (validator, keys) = COMPILED.get_or_init(|| embedded(SHIPPED));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_compiles_and_a_broken_one_is_an_error() {
        assert!(compile(SHIPPED).is_ok());
        let err = compile(r#"{"type": "no such type"}"#)
            .err()
            .unwrap_or_default();
        assert!(!err.is_empty());
        assert!(compile("{not json").is_err());
    }

    #[test]
    #[should_panic(expected = "is not a valid JSON Schema")]
    fn a_broken_embedded_schema_fails_loudly() {
        embedded(r#"{"type": 12}"#);
    }
}
