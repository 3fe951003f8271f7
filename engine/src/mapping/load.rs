//! Reading mapping files (JSON or YAML) into the serde model, with errors that name
//! the file, line and column.

use std::path::{Path, PathBuf};

use super::model::MappingFile;

/// A mapping file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The syntax a mapping file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

impl Syntax {
    /// Chooses by extension; anything not `.json` is read as YAML (a superset of JSON).
    pub fn from_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Syntax::Json,
            _ => Syntax::Yaml,
        }
    }
}

/// Reads and parses a mapping file.
pub fn load_file(path: &Path) -> Result<MappingFile, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_str(&text, Syntax::from_path(path), path)
}

/// Parses mapping text; `path` is used in error messages only.
pub fn parse_str(text: &str, syntax: Syntax, path: &Path) -> Result<MappingFile, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut file: MappingFile = match syntax {
        Syntax::Json => serde_json::from_str(text).map_err(|e| LoadError::Syntax {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        })?,
        Syntax::Yaml => serde_yaml::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            LoadError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: strip_position(&e.to_string()),
            }
        })?,
    };
    for (_, route) in &mut file.custom_source_events.ocsf_mapping.0 {
        if let Some(node) = &mut route.schema_mapping {
            node.apply_merge_keys();
        }
    }
    Ok(file)
}

/// serde's messages end in " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, syntax: Syntax) -> Result<MappingFile, LoadError> {
        parse_str(text, syntax, Path::new("m.yaml"))
    }

    #[test]
    fn json_syntax_error_names_line_and_column() {
        let err = parse("{\n  \"custom_source_events\": {,\n}", Syntax::Json).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("m.yaml:2:"), "{msg}");
    }

    #[test]
    fn unknown_key_is_an_error_with_its_position() {
        let text =
            "custom_source_events:\n  source_name: x\n  ocsf_mapping: {}\n  matched_feld: $.a\n";
        let msg = parse(text, Syntax::Yaml).unwrap_err().to_string();
        assert!(msg.contains("unknown field `matched_feld`"), "{msg}");
        assert!(msg.starts_with("m.yaml:4:"), "{msg}");
    }

    #[test]
    fn yaml_numeric_route_keys_are_strings_in_order() {
        let text = "custom_source_events:\n  source_name: s\n  ocsf_mapping:\n    11: {schema: file_activity}\n    1: {schema: process_activity}\n";
        let file = parse(text, Syntax::Yaml).unwrap();
        let keys: Vec<_> = file
            .custom_source_events
            .ocsf_mapping
            .0
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["11", "1"]);
    }

    #[test]
    fn duplicate_route_key_is_an_error() {
        let text =
            "custom_source_events:\n  source_name: s\n  ocsf_mapping:\n    a: {}\n    a: {}\n";
        let msg = parse(text, Syntax::Yaml).unwrap_err().to_string();
        assert!(msg.contains("duplicate"), "{msg}");
    }
}
