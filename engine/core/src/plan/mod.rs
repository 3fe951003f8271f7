//! The compiled, immutable [`Plan`] and its evaluator (the hot path).

mod coerce;
mod compile;
pub mod cond;
mod doc;
mod eval;
mod func;
pub mod time;
mod trie;
pub mod value;

use std::sync::Arc;

pub use coerce::{Kind, Target, is_ip};
pub use compile::front::{read_attributes, read_value};
pub use compile::when::read_condition;
pub use compile::{Compilation, CompileError, Written, WrittenAs, compile, compile_all};
pub use doc::FastRead;
pub use eval::Outcome;

use crate::event::{FieldName, Typed};

use crate::diagnostic::Diagnostic;
use crate::schema::{Enum, Schema};
use trie::{NodeId, Trie};

/// Lookup tables read for every event (routes, enum values): keys are fixed by the
/// mapping, so a fast hash beats SipHash's protection against chosen keys.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A mapping compiled against an OCSF version: everything that does not depend on
/// the event is resolved here, once. `Send + Sync`, shared by every worker thread.
#[derive(Debug)]
pub struct Plan {
    pub source_name: String,
    pub ocsf_version: String,
    /// What the records of an input are: JSON (and its wrapper keys) or delimited text.
    pub input: crate::input::Format,
    /// Warnings found while compiling (errors abort compilation).
    pub warnings: Vec<Diagnostic>,
    /// Security Lake partition values named by the mapping, if any.
    pub security_lake: crate::mapping::model::SecurityLakeSpec,
    schema: Arc<Schema>,
    trie: Trie,
    drops: Vec<DropCond>,
    router: Router,
    routes: Vec<Route>,
    on_type_error: crate::mapping::OnTypeError,
    /// Source strings read as null.
    null_values: Vec<Box<str>>,
}

impl Plan {
    /// Reads `record` along this plan's paths both ways: for the tests and fuzz
    /// targets that hold the fast reader to the serde_json way's result.
    #[doc(hidden)]
    pub fn fast_read(&self, record: &str) -> doc::FastRead {
        doc::Doc::fast_read(record, &self.trie)
    }

    /// The classes this plan can produce, by route key.
    pub fn routes(&self) -> impl Iterator<Item = (&str, Option<i64>)> {
        self.routes.iter().map(|r| (r.key.as_str(), r.class_uid))
    }

    /// The dotted attribute paths a route can produce (derived ones included, the
    /// contents of `unmapped` left out); `None` for an unknown or dropping route.
    pub fn outline(&self, route: &str) -> Option<Vec<String>> {
        let index = self.routes.iter().position(|r| r.key == route)?;
        self.outline_at(index)
    }

    /// [`Plan::outline`] of the route at `index`, in `ocsf_mapping`'s order (every entry
    /// of `ocsf_mapping` is a route, in file order).
    pub fn outline_at(&self, index: usize) -> Option<Vec<String>> {
        fn walk(fields: &[Field], prefix: &str, out: &mut Vec<String>) {
            for f in fields {
                if f.name.is_empty() {
                    continue;
                }
                let path = format!("{prefix}{}", f.name);
                if let OutNode::Object(children) = &f.node
                    && &*f.name != "unmapped"
                {
                    walk(children, &format!("{path}."), out);
                }
                out.push(path);
            }
        }
        let fields = self.routes.get(index)?.fields.as_ref()?;
        let mut out = Vec::new();
        walk(fields, "", &mut out);
        Some(out)
    }

    /// The shape of what each route produces, by class: for each class uid, the
    /// top-level fields the class's routes can write (merged over routes).
    pub fn shapes(&self) -> Vec<(i64, Vec<(String, Shape)>)> {
        let mut out: Vec<(i64, Vec<(String, Shape)>)> = Vec::new();
        for route in &self.routes {
            let (Some(uid), Some(fields)) = (route.class_uid, &route.fields) else {
                continue;
            };
            let shape = fields_shape(fields);
            match out.iter_mut().find(|(u, _)| *u == uid) {
                Some((_, existing)) => merge_fields(existing, shape),
                None => out.push((uid, shape)),
            }
        }
        out.sort_by_key(|(uid, _)| *uid);
        out
    }

    /// Whether the plan routes by condition (`route_rules`).
    pub fn has_route_rules(&self) -> bool {
        matches!(&self.router, Router::Rules { rules, .. } if !rules.is_empty())
    }

    /// The OCSF schema the plan was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

#[derive(Debug)]
enum Router {
    /// Every event takes this route.
    Single(usize),
    /// The first rule whose condition holds; else the route keyed by the value of
    /// `matched_field`; else the default route.
    Rules {
        rules: Vec<(cond::Cond, usize)>,
        by_field: Option<(PathRef, FastMap<Box<str>, usize>)>,
        default: Option<usize>,
    },
}

#[derive(Debug)]
struct DropCond {
    path: PathRef,
    any_of: Vec<Box<str>>,
    missing: bool,
}

#[derive(Debug)]
struct Route {
    key: String,
    class_uid: Option<i64>,
    /// `None` for a route that drops its events on purpose.
    fields: Option<Vec<Field>>,
    /// Per trie node: how much of it this route reads (for the `unmapped` catch-all).
    consumed: ConsumedMarks,
    /// Number of remembered integer values the derived fields need.
    memory: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consumed {
    No,
    /// Some descendant is read.
    Partly,
    /// Read as a whole.
    Whole,
}

/// How much of each trie node a route reads. Dense (one byte per node of the trie)
/// when the route reads a fair share of the trie, as routes of ordinary mappings do;
/// else only the nodes it reads, so that many routes over a large trie cost memory in
/// proportion to what they read, not to routes times nodes.
#[derive(Debug)]
enum ConsumedMarks {
    Dense(Vec<Consumed>),
    Sparse(FastMap<NodeId, Consumed>),
}

impl ConsumedMarks {
    /// A dense vector is used while it is at most this many times the marked nodes.
    const DENSE_RATIO: usize = 64;

    fn new(trie_len: usize, marks: Vec<(NodeId, Consumed)>) -> Self {
        if trie_len <= (marks.len() + 1) * Self::DENSE_RATIO {
            let mut dense = vec![Consumed::No; trie_len];
            for (node, mark) in marks {
                dense[node as usize] = mark;
            }
            ConsumedMarks::Dense(dense)
        } else {
            ConsumedMarks::Sparse(marks.into_iter().collect())
        }
    }
}

impl std::ops::Index<usize> for ConsumedMarks {
    type Output = Consumed;

    #[inline]
    fn index(&self, node: usize) -> &Consumed {
        match self {
            ConsumedMarks::Dense(marks) => &marks[node],
            ConsumedMarks::Sparse(marks) => u32::try_from(node)
                .ok()
                .and_then(|n| marks.get(&n))
                .unwrap_or(&Consumed::No),
        }
    }
}

/// An output key and what produces its value.
#[derive(Debug)]
struct Field {
    name: FieldName,
    node: OutNode,
}

#[derive(Debug)]
enum OutNode {
    Object(Vec<Field>),
    Leaf(Leaf),
    /// A list of items in the mapping (`["$.a", "$.b"]`), flattened into one array.
    List {
        items: Vec<OutNode>,
    },
    Derived {
        derived: Derived,
        remember: Option<u8>,
    },
    /// Every source field the route does not read, in source structure.
    Rest,
    /// Values that could not be coerced, under their attribute paths (`on_type_error: unmapped`).
    Moved,
    /// `observables` built from the observable values written before it
    /// (`observables: auto`).
    Observables,
    /// An array of objects, one per element of a source array (`each`).
    Each(Box<EachNode>),
}

/// An `each`: the source array, the trie of what its `map` and `where` read of each
/// element (`@` paths), the filter, and the object each element becomes.
#[derive(Debug)]
struct EachNode {
    source: PathRef,
    trie: Trie,
    filter: Option<cond::Cond>,
    fields: Vec<Field>,
    /// Values of keys of `map` that are not attributes of the element's object: they
    /// go to the event's `unmapped`, one array per key (`resources[].colour`).
    unmapped: Vec<Field>,
}

#[derive(Debug)]
struct Leaf {
    expr: Expr,
    target: Target,
    /// Dotted attribute path, for error messages.
    attr: Box<str>,
    remember: Option<u8>,
    /// With `observables: auto`, the observable this value is (its type has an
    /// observable type id).
    observable: Option<Arc<Observable>>,
}

/// What an observable value contributes to `observables`.
#[derive(Debug)]
struct Observable {
    /// The dotted attribute path (`src_endpoint.ip`; `[]` after an array).
    name: Box<str>,
    type_id: i64,
    /// The caption of `type_id` (`IP Address`).
    caption: Box<str>,
    /// The JSON of an entry of `observables` up to its value:
    /// `{"name":"src_endpoint.ip","type":"IP Address","type_id":2,"value":`.
    json_prefix: Box<str>,
}

impl Observable {
    fn new(name: Box<str>, type_id: i64, caption: Box<str>) -> Self {
        let mut json = Vec::new();
        Typed::Object(vec![
            ("name".into(), Typed::Str((*name).into())),
            ("type".into(), Typed::Str((*caption).into())),
            ("type_id".into(), Typed::Int(type_id)),
        ])
        .write_json(&mut json);
        json.pop(); // the closing brace
        json.extend_from_slice(b",\"value\":");
        Observable {
            name,
            type_id,
            caption,
            json_prefix: String::from_utf8_lossy(&json).into(),
        }
    }
}

#[derive(Debug)]
enum Derived {
    /// A value the class implies (`class_uid`, `metadata.version`).
    Const(Rendered),
    /// A literal of the mapping, coerced and rendered at compile time; `target` is
    /// the leaf's, for columnar schemas.
    Literal { value: Rendered, target: Target },
    /// The caption of a remembered enum id.
    Caption { of: u8, captions: Captions },
    /// `class_uid * 100 + activity_id`.
    TypeUid { class_uid: i64, activity: u8 },
    /// The RFC 3339 text of a remembered `timestamp_t` (epoch milliseconds): its
    /// `*_dt` sibling under the `datetime` profile.
    DateTime { of: u8 },
}

/// A value with its JSON form rendered once, at compile time.
#[derive(Debug)]
struct Rendered {
    value: Typed<'static>,
    json: Box<str>,
}

impl Rendered {
    fn new(value: Typed<'static>) -> Self {
        let mut json = Vec::new();
        value.write_json(&mut json);
        Rendered {
            value,
            json: String::from_utf8_lossy(&json).into(),
        }
    }
}

/// The captions of an enumeration by id, rendered once; sorted by id.
#[derive(Debug)]
struct Captions(Vec<(i64, Rendered)>);

impl Captions {
    fn new(captions: &Enum) -> Self {
        Captions(
            captions
                .ids()
                .into_iter()
                .filter_map(|id| {
                    let text = captions.caption(id)?.to_owned();
                    Some((id, Rendered::new(Typed::Str(text.into()))))
                })
                .collect(),
        )
    }

    fn get(&self, id: i64) -> Option<&Rendered> {
        let i = self.0.binary_search_by_key(&id, |(k, _)| *k).ok()?;
        Some(&self.0[i].1)
    }
}

#[derive(Debug)]
enum PathRef {
    Simple(NodeId),
    Query(Arc<jsonpath_rust::parser::model::JpQuery>),
    /// A node of the current `each` element's trie.
    Element(NodeId),
}

#[derive(Debug)]
enum Expr {
    Path(PathRef),
    Literal(serde_json::Value),
    Enum(Box<EnumTable>),
    Coalesce(Vec<Expr>),
    Template(Vec<TemplatePart>),
    /// The part of a string at `index` (negative counts from the end) when split on `separator`.
    Split {
        inner: Box<Expr>,
        separator: String,
        index: i64,
    },
    WithDefault(Box<Expr>, Box<Expr>),
    /// The value of the first case whose condition holds.
    Cases(Vec<(cond::Cond, Expr)>),
    /// A value function applied to a value.
    Function(Box<func::Func>, Box<Expr>),
}

#[derive(Debug)]
struct EnumTable {
    evaluate: PathRef,
    values: cond::Lookup,
    other: Option<Expr>,
}

#[derive(Debug)]
enum TemplatePart {
    Text(String),
    Path(PathRef),
}

/// What a route can write under one key: the basis of columnar schemas.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// An object built key by key.
    Object(Vec<(String, Shape)>),
    /// A value coerced to this target (an OCSF object target means the whole object).
    Value(Target),
    /// A list built item by item.
    List(Box<Shape>),
    /// A derived attribute; its type is the attribute's.
    Derived,
    /// The open `unmapped` object.
    Unmapped,
}

fn fields_shape(fields: &[Field]) -> Vec<(String, Shape)> {
    fields
        .iter()
        .filter(|f| !f.name.is_empty())
        .map(|f| (f.name.to_string(), node_shape(&f.name, &f.node)))
        .collect()
}

fn node_shape(name: &str, node: &OutNode) -> Shape {
    match node {
        OutNode::Object(_) if name == "unmapped" => Shape::Unmapped,
        OutNode::Object(children) => Shape::Object(fields_shape(children)),
        OutNode::Leaf(leaf) => Shape::Value(leaf.target.clone()),
        OutNode::List { items } => {
            let mut element: Option<Shape> = None;
            for item in items {
                let s = match node_shape("", item) {
                    Shape::Value(t) => Shape::Value(Target {
                        kind: t.kind,
                        array: false,
                    }),
                    other => other,
                };
                element = Some(match element {
                    Some(mut e) => {
                        merge_shape(&mut e, s);
                        e
                    }
                    None => s,
                });
            }
            Shape::List(Box::new(element.unwrap_or(Shape::Derived)))
        }
        OutNode::Derived {
            derived: Derived::Literal { target, .. },
            ..
        } => Shape::Value(target.clone()),
        OutNode::Derived { .. } | OutNode::Rest | OutNode::Moved => Shape::Derived,
        OutNode::Each(each) => Shape::List(Box::new(Shape::Object(fields_shape(&each.fields)))),
        OutNode::Observables => Shape::Value(Target {
            kind: Kind::Object("observable".into()),
            array: true,
        }),
    }
}

fn merge_fields(into: &mut Vec<(String, Shape)>, from: Vec<(String, Shape)>) {
    for (name, shape) in from {
        match into.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => merge_shape(existing, shape),
            None => into.push((name, shape)),
        }
    }
}

/// Two routes writing one key: objects merge; a whole-object value wins over a
/// key-by-key object (it can hold every attribute).
fn merge_shape(into: &mut Shape, from: Shape) {
    match (&mut *into, from) {
        (Shape::Object(a), Shape::Object(b)) => merge_fields(a, b),
        (Shape::List(a), Shape::List(b)) => merge_shape(a, *b),
        (Shape::Object(_) | Shape::Derived, v @ Shape::Value(_)) => *into = v,
        _ => {}
    }
}
