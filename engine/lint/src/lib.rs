//! Validation of mapping files: every problem of every file in one run, each with the
//! position of the offending key or value.

pub mod checks;
pub mod language;
pub mod locate;

use std::fs::File;
use std::path::{Path, PathBuf};

pub use locate::{Position, SourceMap};

use ocsfmap_core::diagnostic::{Code, Diagnostic, Severity};
use ocsfmap_core::mapping::limits::{MAX_MAPPING_BYTES, MAX_NESTING};
use ocsfmap_core::mapping::{LoadError, Syntax, parse_str};

/// A diagnostic and where it is in its file.
#[derive(Debug, Clone)]
pub struct Located {
    pub diagnostic: Diagnostic,
    pub position: Option<Position>,
}

/// Everything found in one mapping file.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub text: String,
    pub items: Vec<Located>,
}

impl FileReport {
    pub fn errors(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.diagnostic.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.items.len() - self.errors()
    }
}

/// Reads a mapping file's text, refusing one past the size limit without reading
/// more of it than the limit.
pub fn read_mapping_text(path: &Path) -> Result<String, LoadError> {
    let file = File::open(path).map_err(|e| LoadError::io(path, e))?;
    let size = file.metadata().ok().map(|m| m.len());
    ocsfmap_core::mapping::read_text(file, size, path)
}

/// Reads and parses a mapping file (JSON or YAML by its extension).
pub fn load_mapping_file(path: &Path) -> Result<ocsfmap_core::mapping::MappingFile, LoadError> {
    let mut mapping = parse_str(&read_mapping_text(path)?, Syntax::from_path(path), path)?;
    mapping.read_lookups(path, std::fs::read);
    Ok(mapping)
}

/// Validates one mapping file.
pub fn validate_file(path: &Path) -> FileReport {
    let (code, message) = match read_mapping_text(path) {
        Ok(text) => return validate_text(text, Syntax::from_path(path), path),
        Err(LoadError::Io { source, .. }) => {
            (Code::Syntax, format!("cannot read the file: {source}"))
        }
        Err(e @ LoadError::TooLarge { .. }) => (Code::Limit, limit_message(&e, path)),
        Err(e) => (Code::Syntax, e.to_string()),
    };
    // The place of these is the file itself.
    FileReport {
        path: path.to_owned(),
        text: String::new(),
        items: vec![Located {
            diagnostic: diag(code, String::new(), message, None),
            position: None,
        }],
    }
}

/// A load error's message without the path in front (the report names the file).
fn limit_message(e: &LoadError, path: &Path) -> String {
    let text = e.to_string();
    let prefix = format!("{}: ", path.display());
    text.strip_prefix(&prefix).unwrap_or(&text).to_owned()
}

fn diag(code: Code, pointer: String, message: String, help: Option<String>) -> Diagnostic {
    Diagnostic {
        code,
        severity: Severity::Error,
        message,
        pointer,
        help,
    }
}

/// Validates mapping text; `path` names it in the report.
pub fn validate_text(text: String, syntax: Syntax, path: &Path) -> FileReport {
    let mut items = Vec::new();
    if text.len() > MAX_MAPPING_BYTES {
        let e = LoadError::TooLarge {
            path: path.to_owned(),
            bytes: text.len() as u64,
        };
        items.push(Located {
            diagnostic: diag(Code::Limit, String::new(), limit_message(&e, path), None),
            position: None,
        });
        return FileReport {
            path: path.to_owned(),
            text,
            items,
        };
    }
    let map = SourceMap::read(&text);
    if let Some(at) = map.too_deep {
        // Parsing further would cost time in proportion to the depth for every token.
        items.push(Located {
            diagnostic: diag(
                Code::Limit,
                String::new(),
                format!("nested deeper than {MAX_NESTING} levels (the limit for mapping files)"),
                Some("mapping files nest a few levels: look for unclosed brackets".into()),
            ),
            position: Some(at),
        });
        return FileReport {
            path: path.to_owned(),
            text,
            items,
        };
    }
    for (pointer, at, first) in &map.duplicates {
        let key = pointer
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .replace("~1", "/")
            .replace("~0", "~");
        items.push(Located {
            diagnostic: diag(
                Code::DuplicateKey,
                pointer.clone(),
                format!(
                    "`{key}` is written twice in this object (first at line {})",
                    first.line
                ),
                Some("keys compare as strings: 1 and \"1\" are the same key".into()),
            ),
            position: Some(*at),
        });
    }
    // The JSON Schema of the language finds every structural problem at once (serde
    // stops at the first); when it finds some, they stand for the load error.
    let schema_violations = structural_problems(&text, syntax);
    for v in &schema_violations {
        let help = v.help.clone().or_else(|| {
            Some("the mapping language is described in schemas/mapping.schema.json".into())
        });
        items.push(Located {
            diagnostic: diag(
                Code::SchemaViolation,
                v.pointer.clone(),
                v.message.clone(),
                help,
            ),
            position: if v.at_key {
                map.locate(&v.pointer)
            } else {
                map.locate_value(&v.pointer)
            },
        });
    }
    let mut diagnostics = Vec::new();
    match parse_str(&text, syntax, path) {
        Err(_) if !schema_violations.is_empty() => {}
        Err(LoadError::Syntax {
            line,
            column,
            message,
            ..
        }) => {
            // A duplicate key is already reported above, with both positions.
            if map.duplicates.is_empty() || !message.contains("duplicate") {
                items.push(Located {
                    diagnostic: diag(Code::Syntax, String::new(), message, None),
                    position: Some(Position { line, column }),
                });
            }
        }
        Err(e @ LoadError::TooDeep { line, column, .. }) => items.push(Located {
            diagnostic: diag(Code::Limit, String::new(), limit_message(&e, path), None),
            position: Some(Position { line, column }),
        }),
        Err(e @ LoadError::TooLarge { .. }) => items.push(Located {
            diagnostic: diag(Code::Limit, String::new(), limit_message(&e, path), None),
            position: None,
        }),
        Err(e) => items.push(Located {
            diagnostic: diag(Code::Syntax, String::new(), e.to_string(), None),
            position: Some(Position { line: 1, column: 1 }),
        }),
        Ok(mut file) => {
            file.read_lookups(path, std::fs::read);
            let compiled = ocsfmap_core::plan::compile_all(&file);
            diagnostics.extend(compiled.diagnostics);
            if let Some(plan) = compiled.plan {
                checks::check(&file, &plan, &compiled.written, &mut diagnostics);
            }
        }
    }
    for mut d in diagnostics {
        // `transform` keeps the value of an unknown attribute in `unmapped` and goes on;
        // in a mapping that is being validated it is a mistake.
        if d.code == Code::UnknownAttribute {
            d.severity = Severity::Error;
        }
        let position = if d.code.points_at_value() {
            map.locate_value(&d.pointer)
        } else {
            map.locate(&d.pointer)
        };
        items.push(Located {
            diagnostic: d,
            position,
        });
    }
    items.sort_by_key(|i| {
        (
            i.position.map_or((usize::MAX, 0), |p| (p.line, p.column)),
            i.diagnostic.code.as_str(),
        )
    });
    FileReport {
        path: path.to_owned(),
        text,
        items,
    }
}

/// JSON Schema violations of the document, when it parses.
fn structural_problems(text: &str, syntax: Syntax) -> Vec<language::Violation> {
    let node: Option<ocsfmap_core::mapping::Node> = match syntax {
        Syntax::Json => serde_json::from_str(text).ok(),
        Syntax::Yaml => serde_yaml::from_str(text).ok(),
    };
    node.map_or_else(Vec::new, |mut n| {
        n.apply_merge_keys();
        let mut found = language::violations(&n.to_value());
        found.retain(|v| !read_by_front_end(&v.pointer));
        found
    })
}

/// Whether a pointer is at or inside a route's `schema_mapping` or a route rule's
/// `when`. The compiler's front end reads those values with the same rules as the
/// schema (a test keeps them in step) and reports each mistake with its own code and a
/// clearer message, so the schema's report of them would say the same thing twice.
fn read_by_front_end(pointer: &str) -> bool {
    let mut tokens = pointer.split('/');
    let head = (
        tokens.next(),
        tokens.next(),
        tokens.next(),
        tokens.next(),
        tokens.next(),
    );
    matches!(
        head,
        (
            Some(""),
            Some("custom_source_events"),
            Some("ocsf_mapping"),
            Some(_),
            Some("schema_mapping")
        ) | (
            Some(""),
            Some("custom_source_events"),
            Some("route_rules"),
            Some(_),
            Some("when")
        )
    )
}
