//! Reading mapping files (JSON or YAML) into the serde model, with errors that name
//! the file, line and column.

use std::io::Read;
use std::path::{Path, PathBuf};

mod outline;

use super::limits::{MAX_MAPPING_BYTES, MAX_NESTING};
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
    #[error(
        "{path}: the mapping is {bytes} bytes; mapping files are limited to {MAX_MAPPING_BYTES} bytes (16 MiB)"
    )]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error(
        "{path}:{line}:{column}: nested deeper than {MAX_NESTING} levels (the limit for mapping files)"
    )]
    TooDeep {
        path: PathBuf,
        line: usize,
        column: usize,
    },
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

impl LoadError {
    /// A mapping file that could not be opened or read.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        LoadError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Reads and parses a mapping from `reader`; `path` names it in errors and chooses the
/// syntax by its extension, and `size` is its length when known (for the message
/// about a file past the size limit).
pub fn load(reader: impl Read, size: Option<u64>, path: &Path) -> Result<MappingFile, LoadError> {
    let text = read_text(reader, size, path)?;
    parse_str(&text, Syntax::from_path(path), path)
}

/// Reads a mapping's text, refusing one larger than [`MAX_MAPPING_BYTES`] without
/// reading more of it than that.
pub fn read_text(reader: impl Read, size: Option<u64>, path: &Path) -> Result<String, LoadError> {
    let mut text = String::new();
    reader
        .take(MAX_MAPPING_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| LoadError::io(path, e))?;
    if text.len() > MAX_MAPPING_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            bytes: size.unwrap_or(text.len() as u64),
        });
    }
    Ok(text)
}

/// Parses mapping text; `path` is used in error messages only.
pub fn parse_str(text: &str, syntax: Syntax, path: &Path) -> Result<MappingFile, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_MAPPING_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            bytes: text.len() as u64,
        });
    }
    let deep = match syntax {
        Syntax::Json => too_deep_json(text),
        Syntax::Yaml => too_deep(text),
    };
    if let Some((line, column)) = deep {
        return Err(LoadError::TooDeep {
            path: path.to_owned(),
            line,
            column,
        });
    }
    let syntax_error = |line, column, message: String| {
        let (line, column) = existing_position(text, line, column);
        LoadError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message: strip_position(&message),
        }
    };
    let mut file: MappingFile = match syntax {
        Syntax::Json => serde_json::from_str(text)
            .map_err(|e| syntax_error(e.line(), e.column(), e.to_string()))?,
        Syntax::Yaml => serde_yaml::from_str(text).map_err(|e| {
            let message = e.to_string();
            let (line, column) = e
                .location()
                .map_or_else(|| unlocated_yaml_error(text), |l| (l.line(), l.column()));
            syntax_error(line, column, message)
        })?,
    };
    for (_, route) in &mut file.custom_source_events.ocsf_mapping.0 {
        if let Some(node) = &mut route.schema_mapping {
            node.apply_merge_keys();
        }
    }
    Ok(file)
}

/// The 1-based position of the first collection nested deeper than [`MAX_NESTING`],
/// if any, found in one linear pass over the text (no YAML parser: they spend time in
/// proportion to the open flow collections for every token, so the depth is checked
/// before the document is parsed into values). The place is where a YAML parser
/// reports it. A document whose structure this pass cannot follow is left to the
/// parser that reports syntax errors; it never refuses one that nests no deeper than
/// the limit.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    outline::scan(text, true)
        .too_deep
        .map(|at| (at.line, at.col + 1))
}

/// [`too_deep`] for JSON text, by counting brackets outside strings: JSON parsers are
/// linear in the depth, but a JSON mapping has the same limit as a YAML one.
fn too_deep_json(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let (mut line, mut line_start) = (1, 0);
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((line, text[line_start..i].chars().count() + 1));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' => (line, line_start) = (line + 1, i + 1),
            _ => {}
        }
    }
    None
}

/// A position inside the text: serde_json reports column 0 for "before the first
/// character" and a line past the end for an error at the end of a text that ends with
/// a line break; both are moved to the nearest character that exists.
fn existing_position(text: &str, line: usize, column: usize) -> (usize, usize) {
    let lines = text.lines().count().max(1);
    if line > lines || line == 0 {
        let last = text.lines().last().unwrap_or_default();
        return (lines, last.chars().count() + 1);
    }
    (line, column.max(1))
}

/// Where a YAML error that carries no position is: the start of the second document
/// for "more than one document", the first alias for an expansion that went past the
/// repetition limit, else the end of the text (what was being read when it ended).
fn unlocated_yaml_error(text: &str) -> (usize, usize) {
    let outline = outline::scan(text, false);
    outline
        .second_document
        .or(outline.first_alias)
        .map_or((usize::MAX, 0), |at| (at.line, at.col + 1))
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

    fn position(err: &LoadError) -> (usize, usize) {
        match err {
            LoadError::Syntax { line, column, .. } => (*line, *column),
            other => panic!("not a syntax error: {other}"),
        }
    }

    #[test]
    fn every_syntax_error_has_a_position_in_the_file() {
        // serde_json says 1:0 for an empty text, and line 3 (which does not exist) for
        // the end of a text ending in a line break.
        assert_eq!(position(&parse("", Syntax::Json).unwrap_err()), (1, 1));
        let cut = "{\n  \"custom_source_events\": {\n";
        assert_eq!(position(&parse(cut, Syntax::Json).unwrap_err()), (2, 28));
        // serde_yaml gives no position for a second document: it is where that starts.
        let two = "custom_source_events: {source_name: x, ocsf_mapping: {}}\n---\nfoo: 1\n";
        let err = parse(two, Syntax::Yaml).unwrap_err();
        assert_eq!(position(&err), (2, 1));
        assert!(err.to_string().starts_with("m.yaml:2:1: "), "{err}");
    }

    #[test]
    fn duplicate_route_key_is_an_error() {
        let text =
            "custom_source_events:\n  source_name: s\n  ocsf_mapping:\n    a: {}\n    a: {}\n";
        let msg = parse(text, Syntax::Yaml).unwrap_err().to_string();
        assert!(msg.contains("duplicate"), "{msg}");
    }
}
