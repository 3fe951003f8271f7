//! Validation of mapping files: every problem of every file in one run, each with the
//! position of the offending key or value.

pub mod checks;
pub mod language;
pub mod locate;
pub mod output;

use std::path::{Path, PathBuf};

pub use locate::{Position, SourceMap};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::mapping::{LoadError, Syntax, parse_str};

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

/// Validates one mapping file.
pub fn validate_file(path: &Path) -> FileReport {
    match std::fs::read_to_string(path) {
        Ok(text) => validate_text(text, Syntax::from_path(path), path),
        Err(e) => FileReport {
            path: path.to_owned(),
            text: String::new(),
            items: vec![Located {
                diagnostic: diag(
                    Code::Syntax,
                    String::new(),
                    format!("cannot read the file: {e}"),
                    None,
                ),
                position: None,
            }],
        },
    }
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
    let map = SourceMap::read(&text);
    let mut items = Vec::new();
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
                    position: (line > 0).then_some(Position { line, column }),
                });
            }
        }
        Err(e) => items.push(Located {
            diagnostic: diag(Code::Syntax, String::new(), e.to_string(), None),
            position: None,
        }),
        Ok(file) => {
            let (plan, found) = crate::plan::compile_all(&file);
            diagnostics.extend(found);
            if let Some(plan) = plan {
                checks::check(&file, &plan, &mut diagnostics);
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
    let node: Option<crate::mapping::Node> = match syntax {
        Syntax::Json => serde_json::from_str(text).ok(),
        Syntax::Yaml => serde_yaml::from_str(text).ok(),
    };
    node.map_or_else(Vec::new, |mut n| {
        n.apply_merge_keys();
        language::violations(&n.to_value())
    })
}
