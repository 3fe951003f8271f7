//! Compilation: a mapping file and the OCSF schema in, an immutable [`Plan`] out.
//! Every problem is collected (compilation carries on after the first).
//!
//! The steps, one file each: [`source`] wires the source-wide parts (timestamp,
//! drops, routes), [`input`] checks how records are read, [`router`] builds the
//! router, [`class`] resolves each route's class, [`front`] reads mapping values into
//! the typed model, [`typing`] resolves attributes and types, [`expr`] compiles
//! expressions, [`route`] adds the derived attributes, and [`facts`] records what a
//! route writes for the linter.

mod class;
mod expr;
mod facts;
pub mod front;
mod functions;
mod input;
pub(super) mod lookups;
mod route;
mod router;
mod source;
mod typing;
pub mod when;

use std::sync::Arc;

use super::time::TimeFormat;
use super::trie::{NodeId, ROOT, Trie};
use super::{Consumed, ConsumedMarks, Derived, FastMap, OutNode, PathRef, Plan};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::mapping::limits::MAX_ROUTES;
use crate::mapping::model::MappingFile;
use crate::mapping::node::Node;
use crate::mapping::path::{self, Segment, SourcePath};
use crate::schema::{self, Schema};

pub use facts::{Written, WrittenAs};

/// A mapping that cannot be compiled; `diagnostics` holds every problem found.
#[derive(Debug)]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error);
        for (i, d) in errors.enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

/// Everything compilation found, for validation: checks go on after errors.
#[derive(Debug)]
pub struct Compilation {
    /// The plan built from everything that did compile (`None` only for an
    /// unsupported OCSF version or more routes than [`MAX_ROUTES`]).
    pub plan: Option<Plan>,
    /// Every diagnostic, errors included.
    pub diagnostics: Vec<Diagnostic>,
    /// Per route, in `ocsf_mapping`'s order: the attributes the mapping writes
    /// (empty for a route that drops or whose class is unknown).
    pub written: Vec<Vec<Written>>,
}

/// Compiles a mapping file against the OCSF version it names (1.1.0 by default).
pub fn compile(file: &MappingFile) -> Result<Plan, CompileError> {
    let Compilation {
        plan, diagnostics, ..
    } = run(file, false);
    match plan {
        Some(mut plan) if diagnostics.iter().all(|d| d.severity != Severity::Error) => {
            plan.warnings = diagnostics;
            Ok(plan)
        }
        _ => {
            let (mut errors, warnings): (Vec<_>, Vec<_>) = diagnostics
                .into_iter()
                .partition(|d| d.severity == Severity::Error);
            errors.extend(warnings);
            Err(CompileError {
                diagnostics: errors,
            })
        }
    }
}

/// Compiles as far as the mapping allows, and records what each route writes.
pub fn compile_all(file: &MappingFile) -> Compilation {
    run(file, true)
}

fn run(file: &MappingFile, record: bool) -> Compilation {
    let src = &file.custom_source_events;
    let version = src
        .ocsf_version
        .clone()
        .unwrap_or_else(|| schema::DEFAULT_VERSION.to_owned());
    let failed = |d: Diagnostic| Compilation {
        plan: None,
        diagnostics: vec![d],
        written: Vec::new(),
    };
    let Some(schema) = schema::schema(&version) else {
        return failed(Diagnostic {
            code: Code::UnknownVersion,
            severity: Code::UnknownVersion.severity(),
            message: format!("OCSF version `{version}` is not supported"),
            pointer: "/custom_source_events/ocsf_version".into(),
            help: Some(format!(
                "use one of {}",
                schema::SUPPORTED_VERSIONS.join(", ")
            )),
        });
    };
    let routes = src.ocsf_mapping.0.len();
    if routes > MAX_ROUTES {
        return failed(Diagnostic {
            code: Code::Limit,
            severity: Code::Limit.severity(),
            message: format!(
                "{routes} routes; a mapping may have at most {MAX_ROUTES} (the limit for mapping files)"
            ),
            pointer: "/custom_source_events/ocsf_mapping".into(),
            help: Some("split the source into several mappings".into()),
        });
    }
    let mut c = Compiler {
        schema: &schema,
        trie: Trie::default(),
        diags: Vec::new(),
        reads: Vec::new(),
        memory: 0,
        memory_full: false,
        datetime_profile: false,
        observables_auto: false,
        element_trie: None,
        route_ptr: String::new(),
        time_field: None,
        written: record.then(Vec::new),
        lookups: FastMap::default(),
    };
    c.lookups = lookups::tables(src, &mut c.diags);
    let plan = c.source(src, &version, &schema);
    let written = c.written_routes();
    Compilation {
        plan: Some(plan),
        diagnostics: c.diags,
        written,
    }
}

struct Compiler<'s> {
    schema: &'s Schema,
    trie: Trie,
    diags: Vec<Diagnostic>,
    /// Nodes the route being compiled reads as a whole.
    reads: Vec<NodeId>,
    /// Remembered values the route being compiled needs.
    memory: usize,
    /// The route being compiled has used every memory slot (reported once).
    memory_full: bool,
    /// Whether the route being compiled declares the `datetime` profile: each
    /// `timestamp_t` attribute then gets its `*_dt` sibling.
    datetime_profile: bool,
    /// Whether the route being compiled has `observables: auto`.
    observables_auto: bool,
    /// Inside an `each`: the trie its `@` paths go to.
    element_trie: Option<Trie>,
    /// The lookup tables of the mapping, by name.
    lookups: FastMap<Box<str>, Arc<lookups::Table>>,
    /// JSON pointer of the route being compiled.
    route_ptr: String,
    /// The top-level `timestamp` block: its path applies its format to the attributes it feeds.
    time_field: Option<(Vec<Segment>, TimeFormat)>,
    /// What each route writes, when recording for the linter: one list per route, the
    /// last one being the route being compiled.
    written: Option<Vec<Vec<Written>>>,
}

impl Compiler<'_> {
    /// Records a problem at the severity its code has in the registry (every code the
    /// compiler reports this way is an error there).
    fn error(&mut self, code: Code, pointer: &str, message: String, help: Option<String>) {
        self.diags.push(Diagnostic {
            help,
            ..Diagnostic::new(code, pointer, message)
        });
    }

    /// Parses a path written outside `schema_mapping` (routing, drops, input fields),
    /// adds it to the trie and records that the current route reads it.
    fn path_text(&mut self, text: &str, ptr: &str) -> Option<PathRef> {
        match path::parse(text) {
            Ok(parsed) => Some(self.path(&parsed)),
            Err(e) => {
                self.diags.push(front::path_diagnostic(ptr, e));
                None
            }
        }
    }

    /// Adds a parsed path to the trie and records that the current route reads it.
    fn path(&mut self, parsed: &SourcePath) -> PathRef {
        match parsed {
            SourcePath::Simple(segments) => {
                let node = self.trie.insert(segments);
                self.trie.nodes[node as usize].read_whole = true;
                self.reads.push(node);
                PathRef::Simple(node)
            }
            SourcePath::Query { prefix, query, .. } => {
                let node = self.trie.insert(prefix);
                self.reads.push(node);
                PathRef::Query(Arc::clone(query))
            }
            // The front end reads `@` paths inside an `each` only, where there is an
            // element trie; the element is not part of what the route reads of the event.
            SourcePath::Element(segments) => {
                let trie = self.element_trie.get_or_insert_with(Trie::default);
                let node = trie.insert(segments);
                trie.nodes[node as usize].read_whole = true;
                PathRef::Element(node)
            }
        }
    }
}

/// What a route reads of each trie node, from the nodes it reads whole. Each ancestor
/// is marked once: the walk up stops at a node already marked, whose ancestors are.
fn consumed_marks(parents: &[NodeId], reads: Vec<NodeId>) -> ConsumedMarks {
    let mut marks: FastMap<NodeId, Consumed> = FastMap::default();
    for node in reads {
        marks.insert(node, Consumed::Whole);
    }
    let whole: Vec<NodeId> = marks.keys().copied().collect();
    for node in whole {
        let mut n = node;
        while n != ROOT {
            n = parents[n as usize];
            match marks.entry(n) {
                std::collections::hash_map::Entry::Occupied(_) => break,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Consumed::Partly);
                }
            }
        }
    }
    ConsumedMarks::new(parents.len(), marks.into_iter().collect())
}

fn derived(derived: Derived) -> OutNode {
    OutNode::Derived {
        derived,
        remember: None,
    }
}

/// The string form a literal compares as (routing keys, enum keys, drop values).
fn key_string(node: &Node) -> Option<Box<str>> {
    match node {
        Node::String(s) => Some(s.as_str().into()),
        Node::Number(n) => Some(n.to_string().into()),
        Node::Bool(b) => Some(b.to_string().into()),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Small mappings for the compiler's unit tests.

    use crate::diagnostic::Diagnostic;
    use crate::mapping::model::MappingFile;

    /// A one-route mapping of `class_line` (`schema: ...`) with `body` as its
    /// `schema_mapping` (YAML flow or block, indented by the caller).
    pub fn mapping(class_line: &str, body: &str) -> MappingFile {
        let text = format!(
            "custom_source_events:\n  source_name: t\n  ocsf_mapping:\n    r:\n      {class_line}\n      schema_mapping: {body}\n"
        );
        crate::mapping::parse_str(
            &text,
            crate::mapping::Syntax::Yaml,
            std::path::Path::new("t.yaml"),
        )
        .unwrap()
    }

    pub fn parse(text: &str) -> MappingFile {
        crate::mapping::parse_str(
            text,
            crate::mapping::Syntax::Yaml,
            std::path::Path::new("t.yaml"),
        )
        .unwrap()
    }

    /// Every diagnostic of compiling `file`, rendered.
    pub fn diagnostics(file: &MappingFile) -> Vec<String> {
        super::compile_all(file)
            .diagnostics
            .iter()
            .map(Diagnostic::to_string)
            .collect()
    }
}
