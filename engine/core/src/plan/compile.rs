//! Compilation: a mapping file and the OCSF schema in, an immutable [`Plan`] out.
//! Every problem is collected (compilation carries on after the first).

use std::collections::HashMap;
use std::sync::Arc;

use super::coerce::{Kind, Target, coerce};
use super::time::TimeFormat;
use super::trie::{NodeId, ROOT, Trie};
use super::value::Src;
use super::{
    Consumed, ConsumedMarks, Derived, DropCond, EnumTable, Expr, FastMap, Field, Leaf, OutNode,
    PathRef, Plan, Route, Router, TemplatePart,
};
use crate::diagnostic::{Code, Diagnostic, Severity, did_you_mean, pointer_token};
use crate::event::Typed;
use crate::input::{Delimited, Format, Header};
use crate::mapping::limits::MAX_ROUTES;
use crate::mapping::model::{HeaderSpec, InputSpec, MappingFile, RouteSpec, SourceEvents};
use crate::mapping::node::Node;
use crate::mapping::path::{self, Segment, SourcePath};
use crate::schema::{self, Attribute, Schema};

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

/// Keys that make a mapping object an expression rather than a nested object.
const EXPRESSION_KEYS: &[&str] = &[
    "enum",
    "coalesce",
    "literal",
    "template",
    "timestamp",
    "split",
];

/// Compiles a mapping file against the OCSF version it names (1.1.0 by default).
pub fn compile(file: &MappingFile) -> Result<Plan, CompileError> {
    let (plan, diagnostics) = compile_all(file);
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

/// Compiles as far as the mapping allows and returns every diagnostic, errors
/// included, with the plan built from everything that did compile (`None` only for
/// an unsupported OCSF version or more routes than [`MAX_ROUTES`]). For validation:
/// checks go on after errors.
pub fn compile_all(file: &MappingFile) -> (Option<Plan>, Vec<Diagnostic>) {
    let src = &file.custom_source_events;
    let version = src
        .ocsf_version
        .clone()
        .unwrap_or_else(|| schema::DEFAULT_VERSION.to_owned());
    let Some(schema) = schema::schema(&version) else {
        let unknown = Diagnostic {
            code: Code::UnknownVersion,
            severity: Severity::Error,
            message: format!("OCSF version `{version}` is not supported"),
            pointer: "/custom_source_events/ocsf_version".into(),
            help: Some(format!(
                "use one of {}",
                schema::SUPPORTED_VERSIONS.join(", ")
            )),
        };
        return (None, vec![unknown]);
    };
    let routes = src.ocsf_mapping.0.len();
    if routes > MAX_ROUTES {
        let limit = Diagnostic {
            code: Code::Limit,
            severity: Severity::Error,
            message: format!(
                "{routes} routes; a mapping may have at most {MAX_ROUTES} (the limit for mapping files)"
            ),
            pointer: "/custom_source_events/ocsf_mapping".into(),
            help: Some("split the source into several mappings".into()),
        };
        return (None, vec![limit]);
    }
    let mut c = Compiler {
        schema: &schema,
        trie: Trie::default(),
        diags: Vec::new(),
        reads: Vec::new(),
        memory: 0,
        time_field: None,
    };
    let plan = c.source(src, &version, &schema);
    (Some(plan), c.diags)
}

struct Compiler<'s> {
    schema: &'s Schema,
    trie: Trie,
    diags: Vec<Diagnostic>,
    /// Nodes the route being compiled reads as a whole.
    reads: Vec<NodeId>,
    /// Remembered values the route being compiled needs.
    memory: usize,
    /// The top-level `timestamp` block: its path applies its format to the attributes it feeds.
    time_field: Option<(Vec<Segment>, TimeFormat)>,
}

impl<'s> Compiler<'s> {
    fn error(&mut self, code: Code, pointer: &str, message: String, help: Option<String>) {
        self.diags.push(Diagnostic {
            code,
            severity: Severity::Error,
            message,
            pointer: pointer.to_owned(),
            help,
        });
    }

    fn path_error(&mut self, ptr: &str, e: path::PathError) {
        if e.too_costly {
            self.error(
                Code::PathCost,
                ptr,
                e.message,
                Some("see \"Limits\" in the README for the path-cost rules".into()),
            );
        } else {
            self.error(
                Code::PathSyntax,
                ptr,
                e.message,
                Some("paths look like `$.a.b`, `$.list[0]` or `$['key.with.dots']`".into()),
            );
        }
    }

    fn source(&mut self, src: &SourceEvents, version: &str, schema: &Arc<Schema>) -> Plan {
        let root = "/custom_source_events";
        if let Some(ts) = &src.timestamp {
            let format = match ts.format.as_deref().map(TimeFormat::parse).transpose() {
                Ok(f) => f.unwrap_or(TimeFormat::Auto),
                Err(e) => {
                    self.error(
                        Code::TimeFormat,
                        &format!("{root}/timestamp/format"),
                        e,
                        None,
                    );
                    TimeFormat::Auto
                }
            };
            match path::parse(&ts.field) {
                Ok(SourcePath::Simple(segments)) => self.time_field = Some((segments, format)),
                Ok(SourcePath::Query { .. }) => self.error(
                    Code::PathSyntax,
                    &format!("{root}/timestamp/field"),
                    format!("the timestamp field `{}` must be a simple path", ts.field),
                    None,
                ),
                Err(e) => self.path_error(&format!("{root}/timestamp/field"), e),
            }
        }
        for (i, field) in src.input.key_value_fields.iter().enumerate() {
            let ptr = format!("{root}/input/key_value_fields/{i}");
            match path::parse(field) {
                Ok(SourcePath::Simple(segments)) => {
                    let node = self.trie.insert(&segments);
                    self.trie.nodes[node as usize].key_values = true;
                }
                Ok(SourcePath::Query { .. }) => {
                    self.error(
                        Code::PathSyntax,
                        &ptr,
                        format!("`{field}` must be a simple path"),
                        None,
                    );
                }
                Err(e) => self.path_error(&ptr, e),
            }
        }
        let drops = src
            .drop
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                let path = self.path(&rule.field, &format!("{root}/drop/{i}/field"))?;
                let any_of = rule
                    .any_of
                    .iter()
                    .flatten()
                    .filter_map(key_string)
                    .collect();
                Some(DropCond {
                    path,
                    any_of,
                    missing: rule.missing,
                })
            })
            .collect();
        // Routing and drop fields are read for every event but not consumed by a route.
        self.reads.clear();

        let mut routes = Vec::new();
        let mut route_reads = Vec::new();
        for (key, spec) in &src.ocsf_mapping.0 {
            let ptr = format!("{root}/ocsf_mapping/{}", pointer_token(key));
            self.reads.clear();
            self.memory = 0;
            let rest = spec.unmapped_rest.unwrap_or(src.unmapped_rest);
            let moved = src.on_type_error == crate::mapping::OnTypeError::Unmapped;
            routes.push(self.route(key, spec, &ptr, version, rest, moved));
            route_reads.push(std::mem::take(&mut self.reads));
        }
        let router = self.router(src, root, &routes);
        // Consumption marks need the final trie, so they are computed last.
        let parents = self.trie.parents();
        for (route, reads) in routes.iter_mut().zip(route_reads) {
            route.consumed = consumed_marks(&parents, reads);
        }
        let input = self.input_format(&src.input, root);
        Plan {
            source_name: src.source_name.clone(),
            ocsf_version: version.to_owned(),
            input,
            warnings: Vec::new(),
            security_lake: src.security_lake.clone().unwrap_or_default(),
            schema: Arc::clone(schema),
            trie: std::mem::take(&mut self.trie),
            drops,
            router,
            routes,
            on_type_error: src.on_type_error,
            null_values: src
                .input
                .null_values
                .iter()
                .map(|s| s.as_str().into())
                .collect(),
        }
    }

    /// How the records of an input are read.
    fn input_format(&mut self, input: &InputSpec, root: &str) -> Format {
        let Some(spec) = &input.delimited else {
            return Format::Json {
                records_keys: input
                    .records_keys
                    .clone()
                    .unwrap_or_else(|| vec!["Records".to_owned()]),
            };
        };
        let ptr = format!("{root}/input/delimited");
        if input.records_keys.is_some() {
            self.error(
                Code::InputFormat,
                &format!("{root}/input/records_keys"),
                "`records_keys` names JSON wrapper objects, but the input is delimited text"
                    .to_owned(),
                Some("remove `records_keys` or `delimited`".to_owned()),
            );
        }
        let mut one_char = |key: &str, value: Option<&String>, default: Option<u8>| {
            let Some(value) = value else { return default };
            match value.as_bytes() {
                [b] if *b != b'\n' && *b != b'\r' && *b != b'\\' => Some(*b),
                _ => {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/{key}"),
                        format!(
                            "the {key} {value:?} must be one ASCII character other than a line break or a backslash"
                        ),
                        Some(if key == "quote" {
                            "for example '\"'".to_owned()
                        } else {
                            "for example ',' (a tab is \"\\t\" in double quotes)".to_owned()
                        }),
                    );
                    default
                }
            }
        };
        let separator = one_char("separator", spec.separator.as_ref(), Some(b' ')).unwrap_or(b' ');
        let quote = one_char("quote", spec.quote.as_ref(), None);
        if quote == Some(separator) {
            self.error(
                Code::InputFormat,
                &format!("{ptr}/quote"),
                "the quote is the same character as the separator".to_owned(),
                None,
            );
        }
        if let Some(fields) = &spec.fields {
            let mut seen = std::collections::HashSet::new();
            for (i, name) in fields.iter().enumerate() {
                if name.is_empty() {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/fields/{i}"),
                        "a field name is empty".to_owned(),
                        None,
                    );
                } else if !seen.insert(name.as_str()) {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/fields/{i}"),
                        format!("the field `{name}` is named twice"),
                        None,
                    );
                }
            }
        }
        let header = match spec.header {
            HeaderSpec::Auto => Header::Auto,
            HeaderSpec::Always => Header::Always,
            HeaderSpec::Never => {
                if spec.fields.is_none() {
                    self.error(
                        Code::InputFormat,
                        &format!("{ptr}/header"),
                        "`header: never` needs `fields` to name the fields".to_owned(),
                        Some("list the field names in order under `fields`".to_owned()),
                    );
                }
                Header::Never
            }
        };
        Format::Delimited(Delimited {
            separator,
            quote,
            fields: spec.fields.clone(),
            header,
        })
    }

    fn router(&mut self, src: &SourceEvents, root: &str, routes: &[Route]) -> Router {
        let index_of = |key: &str| routes.iter().position(|r| r.key == key);
        let default = src.default_route.as_deref().and_then(|key| {
            let found = index_of(key);
            if found.is_none() {
                let mut known: Vec<&str> = routes.iter().take(20).map(|r| r.key.as_str()).collect();
                if routes.len() > known.len() {
                    known.push("...");
                }
                self.error(
                    Code::UnknownRoute,
                    &format!("{root}/default_route"),
                    format!("default_route `{key}` names no entry of ocsf_mapping"),
                    Some(format!("routes are: {}", known.join(", "))),
                );
            }
            found
        });
        match &src.matched_field {
            Some(field) => {
                let path = self
                    .path(field, &format!("{root}/matched_field"))
                    .unwrap_or(PathRef::Simple(ROOT));
                self.reads.clear();
                let table = routes
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.key.as_str().into(), i))
                    .collect();
                Router::ByField {
                    path,
                    table,
                    default,
                }
            }
            None if routes.len() == 1 => Router::Single(0),
            None => {
                self.error(
                    Code::MissingMatchedField,
                    &format!("{root}/ocsf_mapping"),
                    format!(
                        "{} routes but no matched_field to choose between them",
                        routes.len()
                    ),
                    Some("add `matched_field: $.<field holding the event kind>`".into()),
                );
                Router::Single(0)
            }
        }
    }

    fn route(
        &mut self,
        key: &str,
        spec: &RouteSpec,
        ptr: &str,
        version: &str,
        rest: bool,
        moved: bool,
    ) -> Route {
        let mut route = Route {
            key: key.to_owned(),
            class_uid: None,
            fields: None,
            consumed: ConsumedMarks::Dense(Vec::new()),
            memory: 0,
        };
        if spec.drop {
            return route;
        }
        let empty = Node::Object(Vec::new());
        let mapping = spec.schema_mapping.as_ref().unwrap_or(&empty);
        let Some(class) = self.class(spec, mapping, ptr) else {
            return route;
        };
        route.class_uid = Some(class.uid);
        let Node::Object(entries) = mapping else {
            self.error(
                Code::ShapeMismatch,
                &format!("{ptr}/schema_mapping"),
                "schema_mapping must be an object".into(),
                None,
            );
            return route;
        };
        let mut relocated = Vec::new();
        let mut fields = self.object(
            (&class.name, &class.attributes),
            entries,
            &format!("{ptr}/schema_mapping"),
            "",
            &mut relocated,
        );

        // Class and category ids the mapping leaves out; their names follow as siblings.
        let has = |fields: &[Field], name: &str| fields.iter().any(|f| &*f.name == name);
        for (name, value) in [
            ("category_uid", class.category_uid),
            ("class_uid", class.uid),
        ] {
            if !has(&fields, name) {
                fields.insert(
                    0,
                    Field {
                        name: name.into(),
                        node: derived(Derived::Const(Typed::Int(value))),
                    },
                );
            }
        }
        if !has(&fields, "type_uid")
            && let Some(i) = fields.iter().position(|f| &*f.name == "activity_id")
        {
            let activity = self.remember(&mut fields[i].node);
            let node = derived(Derived::TypeUid {
                class_uid: class.uid,
                activity,
            });
            fields.insert(
                i + 1,
                Field {
                    name: "type_uid".into(),
                    node,
                },
            );
        }
        match fields.iter_mut().find(|f| &*f.name == "metadata") {
            Some(Field {
                node: OutNode::Object(meta),
                ..
            }) => {
                if !has(meta, "version") {
                    meta.push(Field {
                        name: "version".into(),
                        node: derived(Derived::Const(Typed::Str(version.to_owned().into()))),
                    });
                }
            }
            Some(_) => {}
            None => fields.push(Field {
                name: "metadata".into(),
                node: OutNode::Object(vec![Field {
                    name: "version".into(),
                    node: derived(Derived::Const(Typed::Str(version.to_owned().into()))),
                }]),
            }),
        }
        self.derive_captions(&class.attributes, &mut fields);

        if !relocated.is_empty() || rest || moved {
            // `unmapped` goes last: values moved there at run time are known by then.
            let unmapped = match fields.iter().position(|f| &*f.name == "unmapped") {
                Some(i) => fields.remove(i),
                None => Field {
                    name: "unmapped".into(),
                    node: OutNode::Object(Vec::new()),
                },
            };
            let mut children = match unmapped.node {
                OutNode::Object(children) => children,
                // `unmapped` given as one path: keep it, under its own name.
                other => vec![Field {
                    name: "unmapped".into(),
                    node: other,
                }],
            };
            children.extend(relocated);
            if rest {
                children.push(Field {
                    name: "".into(),
                    node: OutNode::Rest,
                });
            }
            if moved {
                children.push(Field {
                    name: "".into(),
                    node: OutNode::Moved,
                });
            }
            fields.push(Field {
                name: "unmapped".into(),
                node: OutNode::Object(children),
            });
        }
        route.fields = Some(fields);
        route.memory = self.memory;
        route
    }

    fn class(
        &mut self,
        spec: &RouteSpec,
        mapping: &Node,
        ptr: &str,
    ) -> Option<&'s crate::schema::Class> {
        let schema = self.schema;
        let by_uid = match mapping.get("class_uid") {
            Some(Node::Number(n)) => n.as_i64(),
            Some(Node::String(s)) => s.parse().ok(),
            _ => None,
        };
        if let Some(name) = &spec.schema {
            if let Some(class) = schema.class_by_name(name) {
                return Some(class);
            }
            if let Some(class) = by_uid.and_then(|uid| schema.class_by_uid(uid)) {
                return Some(class);
            }
            let suggestion = did_you_mean(name, schema.classes().map(|c| c.name.as_str()));
            self.error(
                Code::UnknownClass,
                &format!("{ptr}/schema"),
                format!("OCSF {} has no class `{name}`", schema.version),
                suggestion.map(|s| format!("did you mean `{s}`?")),
            );
            return None;
        }
        if let Some(uid) = by_uid {
            if let Some(class) = schema.class_by_uid(uid) {
                return Some(class);
            }
            self.error(
                Code::UnknownClass,
                &format!("{ptr}/schema_mapping/class_uid"),
                format!("OCSF {} has no class with uid {uid}", schema.version),
                None,
            );
            return None;
        }
        self.error(
            Code::UnknownClass,
            ptr,
            "the route names no class".into(),
            Some("add `schema: <class name>` (for example `network_activity`)".into()),
        );
        None
    }

    /// Compiles the entries of a mapping object against a class's or object's attributes.
    fn object(
        &mut self,
        (owner, attrs): (&str, &HashMap<String, Attribute>),
        entries: &[(String, Node)],
        ptr: &str,
        prefix: &str,
        relocated: &mut Vec<Field>,
    ) -> Vec<Field> {
        let mut fields = Vec::with_capacity(entries.len());
        for (key, node) in entries {
            let ptr = format!("{ptr}/{}", pointer_token(key));
            let attr_path = format!("{prefix}{key}");
            let Some(attr) = attrs.get(key) else {
                let suggestion = did_you_mean(key, attrs.keys().map(String::as_str));
                self.diags.push(Diagnostic {
                    code: Code::UnknownAttribute,
                    severity: Severity::Warning,
                    message: format!("`{attr_path}` is not an attribute of `{owner}`; its value goes to `unmapped.{attr_path}`"),
                    pointer: ptr.clone(),
                    help: suggestion.map(|s| format!("did you mean `{prefix}{s}`?")),
                });
                let node = self.untyped(node, &ptr, &attr_path);
                relocated.push(Field {
                    name: attr_path.into(),
                    node,
                });
                continue;
            };
            let node = self.attribute(attr, node, &ptr, &attr_path, relocated);
            if let Some(node) = node {
                fields.push(Field {
                    name: key.as_str().into(),
                    node,
                });
            }
        }
        self.derive_captions(attrs, &mut fields);
        fields
    }

    fn attribute(
        &mut self,
        attr: &Attribute,
        node: &Node,
        ptr: &str,
        attr_path: &str,
        relocated: &mut Vec<Field>,
    ) -> Option<OutNode> {
        let target = Target::from_attr(&attr.ty, attr.is_array);
        let plain_object = matches!(node, Node::Object(_)) && !is_expression(node);
        match (&target.kind, node) {
            (Kind::Json, _) if plain_object => Some(self.untyped(node, ptr, attr_path)),
            (Kind::Object(name), Node::Object(entries)) if plain_object && !attr.is_array => {
                let def = self.schema.object(name)?;
                let fields = self.object(
                    (&def.name, &def.attributes),
                    entries,
                    ptr,
                    &format!("{attr_path}."),
                    relocated,
                );
                Some(OutNode::Object(fields))
            }
            (_, Node::Array(items)) if attr.is_array => {
                let one = Target {
                    kind: target.kind.clone(),
                    array: false,
                };
                let items = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let ptr = format!("{ptr}/{i}");
                        match (&one.kind, item) {
                            (Kind::Object(name), Node::Object(entries)) if !is_expression(item) => {
                                let def = self.schema.object(name)?;
                                let fields = self.object(
                                    (&def.name, &def.attributes),
                                    entries,
                                    &ptr,
                                    &format!("{attr_path}."),
                                    relocated,
                                );
                                Some(OutNode::Object(fields))
                            }
                            // A path item may hold an array: its elements join the list.
                            _ => self.leaf(
                                item,
                                target.clone(),
                                &ptr,
                                attr_path,
                                attr.enumeration.as_ref(),
                            ),
                        }
                    })
                    .collect();
                Some(OutNode::List { items })
            }
            _ if plain_object => {
                self.error(
                    Code::ShapeMismatch,
                    ptr,
                    format!("`{attr_path}` is {}, but the mapping gives it an object", target.describe()),
                    Some("map it to a `$.` path, a literal, or an expression (enum, coalesce, template, ...)".into()),
                );
                None
            }
            _ => self.leaf(node, target, ptr, attr_path, attr.enumeration.as_ref()),
        }
    }

    fn leaf(
        &mut self,
        node: &Node,
        mut target: Target,
        ptr: &str,
        attr_path: &str,
        enumeration: Option<&crate::schema::Enum>,
    ) -> Option<OutNode> {
        let (expr, format) = self.expr(node, ptr)?;
        if let Kind::Timestamp(f) = &mut target.kind {
            if let Some(format) = format {
                *f = format;
            } else if let (Expr::Path(PathRef::Simple(n)), Some((segments, format))) =
                (&expr, &self.time_field)
            {
                // The attribute reads the published `timestamp` field: use its format.
                if self.trie.insert(segments) == *n {
                    *f = format.clone();
                }
            }
        }
        self.check_literals(
            &expr,
            &Expected {
                target: &target,
                attr: attr_path,
                enumeration,
            },
            ptr,
        );
        Some(OutNode::Leaf(Leaf {
            expr,
            target,
            attr: attr_path.into(),
            remember: None,
        }))
    }

    /// Literals are coerced once here, so a literal that cannot fit is a compile error.
    fn check_literals(&mut self, expr: &Expr, want: &Expected, ptr: &str) {
        match expr {
            Expr::Literal(v) => {
                if let Err(e) = coerce(Src::Value(v), want.target, self.schema) {
                    // A caption written where an enum id belongs (`severity_id: High`).
                    let help = want.enumeration.zip(v.as_str()).and_then(|(e, text)| {
                        let id = e.ids().into_iter().find(|id| e.caption(*id).is_some_and(|c| c.eq_ignore_ascii_case(text)))?;
                        Some(format!("`{text}` is the caption of {id}; the id attribute takes the number: {id}"))
                    });
                    self.error(
                        Code::LiteralType,
                        ptr,
                        format!("`{}`: {e}", want.attr),
                        help,
                    );
                }
            }
            Expr::Enum(table) => {
                for (k, v) in &table.values {
                    self.check_literals(
                        v,
                        want,
                        &format!("{ptr}/enum/values/{}", pointer_token(k)),
                    );
                }
                if let Some(other) = &table.other {
                    self.check_literals(other, want, &format!("{ptr}/enum/other"));
                }
            }
            Expr::Coalesce(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.check_literals(item, want, &format!("{ptr}/coalesce/{i}"));
                }
            }
            Expr::WithDefault(inner, default) => {
                self.check_literals(inner, want, ptr);
                self.check_literals(default, want, &format!("{ptr}/default"));
            }
            Expr::Path(_) | Expr::Template(_) | Expr::Split { .. } => {}
        }
    }

    /// An untyped subtree (`unmapped`, `json_t`): nested objects stay objects, values pass through.
    fn untyped(&mut self, node: &Node, ptr: &str, attr_path: &str) -> OutNode {
        match node {
            Node::Object(entries) if !is_expression(node) => OutNode::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let child = self.untyped(
                            v,
                            &format!("{ptr}/{}", pointer_token(k)),
                            &format!("{attr_path}.{k}"),
                        );
                        Field {
                            name: k.as_str().into(),
                            node: child,
                        }
                    })
                    .collect(),
            ),
            _ => {
                let json = Target {
                    kind: Kind::Json,
                    array: false,
                };
                self.leaf(node, json, ptr, attr_path, None)
                    .unwrap_or(OutNode::Object(Vec::new()))
            }
        }
    }

    /// Compiles a value expression. Returns it and the time format it names, if any.
    fn expr(&mut self, node: &Node, ptr: &str) -> Option<(Expr, Option<TimeFormat>)> {
        let plain = |e| Some((e, None));
        let Node::Object(entries) = node else {
            return match node {
                Node::String(s) if path::is_path(s) => plain(Expr::Path(self.path(s, ptr)?)),
                other => plain(Expr::Literal(other.to_value())),
            };
        };
        let kinds: Vec<&str> = entries
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| EXPRESSION_KEYS.contains(k))
            .collect();
        let [kind] = kinds.as_slice() else {
            self.error(
                Code::BadExpression,
                ptr,
                format!(
                    "an expression takes exactly one of {}; found {}",
                    EXPRESSION_KEYS.join(", "),
                    kinds.join(", ")
                ),
                None,
            );
            return None;
        };
        let allowed = |k: &str| {
            k == *kind || k == "default" || (*kind == "split" && (k == "separator" || k == "index"))
        };
        if let Some((bad, _)) = entries.iter().find(|(k, _)| !allowed(k)) {
            self.error(
                Code::BadExpression,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not allowed in a `{kind}` expression"),
                Some(format!(
                    "a `{kind}` expression takes `{kind}` and optionally `default`"
                )),
            );
            return None;
        }
        let body = node.get(kind)?;
        let bptr = format!("{ptr}/{kind}");
        let mut format = None;
        let expr = match *kind {
            "literal" => Expr::Literal(body.to_value()),
            "enum" => Expr::Enum(Box::new(self.enum_table(body, &bptr)?)),
            "coalesce" => {
                let Node::Array(items) = body else {
                    self.error(
                        Code::BadExpression,
                        &bptr,
                        "coalesce takes a list".into(),
                        None,
                    );
                    return None;
                };
                let mut exprs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    exprs.push(self.expr(item, &format!("{bptr}/{i}"))?.0);
                }
                Expr::Coalesce(exprs)
            }
            "template" => {
                let Node::String(text) = body else {
                    self.error(
                        Code::BadExpression,
                        &bptr,
                        "template takes a string".into(),
                        None,
                    );
                    return None;
                };
                Expr::Template(self.template(text, &bptr)?)
            }
            "timestamp" => {
                let (Some(Node::String(field)), fmt) = (body.get("field"), body.get("format"))
                else {
                    self.error(
                        Code::BadExpression,
                        &bptr,
                        "timestamp takes `field` (a path) and optionally `format`".into(),
                        None,
                    );
                    return None;
                };
                if let Some(fmt) = fmt {
                    let Node::String(fmt) = fmt else {
                        self.error(
                            Code::TimeFormat,
                            &format!("{bptr}/format"),
                            "format must be a string".into(),
                            None,
                        );
                        return None;
                    };
                    match TimeFormat::parse(fmt) {
                        Ok(f) => format = Some(f),
                        Err(e) => {
                            self.error(Code::TimeFormat, &format!("{bptr}/format"), e, None);
                            return None;
                        }
                    }
                }
                Expr::Path(self.path(field, &format!("{bptr}/field"))?)
            }
            "split" => {
                let inner = self.expr(body, &bptr)?.0;
                let separator = match node.get("separator") {
                    Some(Node::String(s)) if !s.is_empty() => s.clone(),
                    _ => {
                        self.error(
                            Code::BadExpression,
                            ptr,
                            "split needs `separator`: a non-empty string".into(),
                            None,
                        );
                        return None;
                    }
                };
                let index = match node.get("index") {
                    None => 0,
                    Some(Node::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
                    Some(_) => {
                        self.error(
                            Code::BadExpression,
                            &format!("{ptr}/index"),
                            "index must be an integer".into(),
                            None,
                        );
                        return None;
                    }
                };
                Expr::Split {
                    inner: Box::new(inner),
                    separator,
                    index,
                }
            }
            _ => unreachable!("kind is one of EXPRESSION_KEYS"),
        };
        let expr = match node.get("default") {
            Some(default) => Expr::WithDefault(
                Box::new(expr),
                Box::new(self.expr(default, &format!("{ptr}/default"))?.0),
            ),
            None => expr,
        };
        Some((expr, format))
    }

    fn enum_table(&mut self, body: &Node, ptr: &str) -> Option<EnumTable> {
        let Node::Object(entries) = body else {
            self.error(
                Code::BadExpression,
                ptr,
                "enum takes an object with `evaluate`, `values` and `other`".into(),
                None,
            );
            return None;
        };
        if let Some((bad, _)) = entries
            .iter()
            .find(|(k, _)| !matches!(k.as_str(), "evaluate" | "values" | "other"))
        {
            self.error(
                Code::BadExpression,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not part of an enum"),
                Some("an enum takes `evaluate`, `values` and `other`".into()),
            );
            return None;
        }
        let Some(Node::String(evaluate)) = body.get("evaluate") else {
            self.error(
                Code::BadExpression,
                ptr,
                "enum needs `evaluate`: the path whose value is looked up".into(),
                None,
            );
            return None;
        };
        let evaluate = self.path(evaluate, &format!("{ptr}/evaluate"))?;
        let mut values = super::FastMap::default();
        if let Some(Node::Object(pairs)) = body.get("values") {
            for (k, v) in pairs {
                let (expr, _) = self.expr(v, &format!("{ptr}/values/{}", pointer_token(k)))?;
                values.insert(k.as_str().into(), expr);
            }
        } else {
            self.error(
                Code::BadExpression,
                ptr,
                "enum needs `values`: an object of value -> result".into(),
                None,
            );
            return None;
        }
        let other = match body.get("other") {
            Some(o) => Some(self.expr(o, &format!("{ptr}/other"))?.0),
            None => None,
        };
        Some(EnumTable {
            evaluate,
            values,
            other,
        })
    }

    /// `"{$.user} logged in from {$.ip}"`; `{{` and `}}` are literal braces.
    fn template(&mut self, text: &str, ptr: &str) -> Option<Vec<TemplatePart>> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix("{{") {
                literal.push('{');
                rest = r;
            } else if let Some(r) = rest.strip_prefix("}}") {
                literal.push('}');
                rest = r;
            } else if let Some(r) = rest.strip_prefix('{') {
                let Some(end) = r.find('}') else {
                    self.error(
                        Code::BadExpression,
                        ptr,
                        format!("unclosed `{{` in template `{text}`"),
                        None,
                    );
                    return None;
                };
                let path_text = r[..end].trim();
                if !path::is_path(path_text) {
                    self.error(
                        Code::BadExpression,
                        ptr,
                        format!("`{{{path_text}}}` in a template must hold a `$.` path"),
                        Some("write `{{` for a literal brace".into()),
                    );
                    return None;
                }
                if !literal.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePart::Path(self.path(path_text, ptr)?));
                rest = &r[end + 1..];
            } else {
                let c = rest.chars().next()?;
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(TemplatePart::Text(literal));
        }
        Some(parts)
    }

    /// Parses a path, adds it to the trie and records that the current route reads it.
    fn path(&mut self, text: &str, ptr: &str) -> Option<PathRef> {
        match path::parse(text) {
            Ok(SourcePath::Simple(segments)) => {
                let node = self.trie.insert(&segments);
                self.trie.nodes[node as usize].read_whole = true;
                self.reads.push(node);
                Some(PathRef::Simple(node))
            }
            Ok(SourcePath::Query { prefix, query, .. }) => {
                let node = self.trie.insert(&prefix);
                self.reads.push(node);
                Some(PathRef::Query(query))
            }
            Err(e) => {
                self.path_error(ptr, e);
                None
            }
        }
    }

    /// Gives a field's value a memory slot, so a derived field can read it.
    fn remember(&mut self, node: &mut OutNode) -> u8 {
        let (OutNode::Leaf(Leaf { remember: slot, .. }) | OutNode::Derived { remember: slot, .. }) =
            node
        else {
            unreachable!("only leaves and derived fields are remembered")
        };
        *slot.get_or_insert_with(|| {
            self.memory += 1;
            u8::try_from(self.memory - 1).expect("fewer than 256 enum attributes per route")
        })
    }

    /// Adds the caption sibling (`activity_name`, `severity`, ...) of every enum id the
    /// mapping sets but whose caption it leaves out.
    fn derive_captions(&mut self, attrs: &HashMap<String, Attribute>, fields: &mut Vec<Field>) {
        let mut i = 0;
        while i < fields.len() {
            let attr = attrs.get(&*fields[i].name);
            let sibling = attr.and_then(|a| Some((a.sibling.clone()?, a.enumeration.clone()?)));
            let rememberable = matches!(fields[i].node, OutNode::Leaf(_) | OutNode::Derived { .. });
            if let Some((sibling, captions)) = sibling
                && rememberable
                && !attr.is_some_and(|a| a.is_array)
                && !fields.iter().any(|f| *f.name == *sibling)
            {
                let of = self.remember(&mut fields[i].node);
                fields.insert(
                    i + 1,
                    Field {
                        name: sibling.into(),
                        node: derived(Derived::Caption { of, captions }),
                    },
                );
                i += 1;
            }
            i += 1;
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

/// What a literal must fit: its coercion target, the attribute (for messages) and the
/// attribute's enum (to name the id of a caption written by mistake).
struct Expected<'t> {
    target: &'t Target,
    attr: &'t str,
    enumeration: Option<&'t crate::schema::Enum>,
}

fn derived(derived: Derived) -> OutNode {
    OutNode::Derived {
        derived,
        remember: None,
    }
}

fn is_expression(node: &Node) -> bool {
    matches!(node, Node::Object(entries) if entries.iter().any(|(k, _)| EXPRESSION_KEYS.contains(&k.as_str())))
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
