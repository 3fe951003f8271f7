//! Evaluation: a pure function of (plan, raw event) that streams typed output into a
//! [`Sink`], with no intermediate document.

use std::borrow::Cow;

use serde_json::Value;

use super::coerce::coerce;
use super::cond::Cond;
use super::doc::{Doc, ParseError, Val};
use super::trie::ROOT;
use super::value::{Scalar, Src};
use super::{
    Consumed, Derived, EachNode, Expr, Field, Leaf, Observable, OutNode, PathRef, Plan, Route,
    Router, TemplatePart,
};
use crate::diagnostic::{Code, Rejection};
use crate::event::{EventTrees, FieldName, Sink, Typed};
use crate::json_text::{array_elements, write_json_str};

/// What became of one input record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written to the sink, as an event of this class.
    Output { class_uid: i64 },
    /// Dropped on purpose by a rule of the mapping.
    Dropped,
    /// No route takes the event; holds the routing value (`None` when absent).
    Unrouted(Option<String>),
    /// Malformed, or a value that cannot be coerced; holds the code and the reason.
    Rejected(Rejection),
}

/// A value read by an expression.
enum Got<'x> {
    Src(Src<'x>),
    Owned(Value),
}

impl Plan {
    /// Maps one raw event (the JSON text of one record) into `sink`.
    pub fn eval<S: Sink>(&self, record: &str, sink: &mut S) -> Outcome {
        let doc = match Doc::parse(record, &self.trie) {
            Ok(doc) => doc,
            Err(ParseError::Json(e)) if e.is_eof() => {
                return Outcome::Rejected(Rejection::new(
                    Code::MalformedJson,
                    format!(
                        "the record ends before its JSON value is complete ({e}); a JSON lines record must fit on one line"
                    ),
                ));
            }
            Err(e) => return Outcome::Rejected(Rejection::new(e.code(), e.to_string())),
        };
        let ev = Evaluator {
            plan: self,
            doc: &doc,
            element: None,
            element_raw: None,
            failure: std::cell::OnceCell::new(),
        };
        for cond in &self.drops {
            let value = ev.read(&cond.path);
            let key = value.as_ref().and_then(Got::key);
            let hit = match key {
                None => cond.missing,
                Some(k) => cond.any_of.iter().any(|v| **v == *k),
            };
            if let Some(rejection) = ev.failure() {
                return Outcome::Rejected(rejection);
            }
            if hit {
                return Outcome::Dropped;
            }
        }
        let route = match &self.router {
            Router::Single(i) => &self.routes[*i],
            Router::Rules {
                rules,
                by_field,
                default,
            } => {
                let ruled = rules.iter().find(|(c, _)| ev.holds(c)).map(|(_, i)| *i);
                let (keyed, key) = match (ruled, by_field) {
                    (None, Some((path, table))) => {
                        let value = ev.read(path);
                        let key = value.as_ref().and_then(Got::key).map(Cow::into_owned);
                        (key.as_deref().and_then(|k| table.get(k)).copied(), key)
                    }
                    _ => (None, None),
                };
                if let Some(rejection) = ev.failure() {
                    return Outcome::Rejected(rejection);
                }
                match ruled.or(keyed).or(*default) {
                    Some(i) => &self.routes[i],
                    None => return Outcome::Unrouted(key),
                }
            }
        };
        let (Some(fields), Some(class_uid)) = (&route.fields, route.class_uid) else {
            return Outcome::Dropped;
        };
        let mut memory = vec![None; route.memory];
        sink.begin_event(class_uid);
        let mut state = State {
            memory: &mut memory,
            moved: Vec::new(),
            observed: Vec::new(),
        };
        // A value that cannot be coerced is the event's rejection; else a value that
        // could not be read at all.
        match ev
            .fields(fields, route, &mut state, sink)
            .map_err(|reason| Rejection::new(Code::UncoercibleValue, reason))
            .and_then(|()| ev.failure().map_or(Ok(()), Err))
        {
            Ok(()) => {
                sink.end_event();
                Outcome::Output { class_uid }
            }
            Err(rejection) => {
                sink.abort_event();
                Outcome::Rejected(rejection)
            }
        }
    }
}

/// Per-event state of the walk over the output template.
struct State<'m, 'p, 'e> {
    /// Remembered enum ids and type uids, for derived captions.
    memory: &'m mut [Option<i64>],
    /// Values that could not be coerced, moved to `unmapped`: (attribute path, JSON).
    moved: Vec<(&'p str, std::borrow::Cow<'e, str>)>,
    /// Observable values written so far (`observables: auto`), those of `each`
    /// elements included.
    observed: Vec<(&'p Observable, Typed<'e>)>,
}

/// Reads one event (`'e`) along the plan (`'p`, which outlives it).
struct Evaluator<'p, 'e> {
    plan: &'p Plan,
    doc: &'e Doc<'e>,
    /// The current element of an `each`, which `@` paths read: parsed when it is an
    /// object, and as written (`@` itself).
    element: Option<&'e Doc<'e>>,
    element_raw: Option<&'e str>,
    /// Set when a value could not be read at all: the event is then rejected, never
    /// mapped as if the value were absent.
    failure: std::cell::OnceCell<String>,
}

impl<'p: 'e, 'e> Evaluator<'p, 'e> {
    /// A record that parsed but could not be read back whole is malformed JSON to the
    /// reader that failed.
    fn failure(&self) -> Option<Rejection> {
        self.failure
            .get()
            .map(|reason| Rejection::new(Code::MalformedJson, reason.clone()))
    }

    fn fields<S: Sink>(
        &self,
        fields: &'p [Field],
        route: &Route,
        state: &mut State<'_, 'p, 'e>,
        sink: &mut S,
    ) -> Result<(), String> {
        for field in fields {
            match &field.node {
                OutNode::Object(children) => {
                    sink.begin_named(&field.name);
                    self.fields(children, route, state, sink)?;
                    sink.end_object();
                }
                OutNode::Leaf(leaf) => {
                    if let Some(v) = self.leaf_or_move(leaf, state)? {
                        if let Some(slot) = leaf.remember {
                            state.memory[slot as usize] = v.as_int();
                        }
                        if let Some(o) = leaf.observable.as_deref() {
                            state.observed.push((o, v.clone()));
                        }
                        sink.value_named(&field.name, &v);
                    }
                }
                OutNode::List { items, .. } => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match self.item(item, route, state)? {
                            Some(Typed::Array(inner)) if !matches!(item, OutNode::Object(_)) => {
                                out.extend(inner);
                            }
                            Some(v) => out.push(v),
                            None => {}
                        }
                    }
                    if !out.is_empty() {
                        sink.value_named(&field.name, &Typed::Array(out));
                    }
                }
                OutNode::Derived { derived, remember } => {
                    // A value known at compile time comes with its JSON form.
                    let computed;
                    let (value, json) = match derived {
                        Derived::Const(r) | Derived::Literal { value: r, .. } => {
                            (&r.value, Some(&*r.json))
                        }
                        Derived::Caption { of, captions } => {
                            match state.memory[*of as usize].and_then(|id| captions.get(id)) {
                                Some(r) => (&r.value, Some(&*r.json)),
                                None => continue,
                            }
                        }
                        Derived::TypeUid {
                            class_uid,
                            activity,
                        } => match state.memory[*activity as usize] {
                            Some(a) => {
                                computed = Typed::Int(class_uid * 100 + a);
                                (&computed, None)
                            }
                            None => continue,
                        },
                        Derived::DateTime { of } => {
                            match state.memory[*of as usize].and_then(super::time::rfc3339_millis) {
                                Some(t) => {
                                    computed = Typed::Str(Cow::Owned(t));
                                    (&computed, None)
                                }
                                None => continue,
                            }
                        }
                    };
                    if let Some(slot) = remember {
                        state.memory[*slot as usize] = value.as_int();
                    }
                    match json {
                        Some(json) => sink.value_rendered(&field.name, value, json),
                        None => sink.value_named(&field.name, value),
                    }
                }
                OutNode::Rest => self.rest(route, sink),
                OutNode::Moved => {
                    for (attr, json) in state.moved.drain(..) {
                        sink.raw(attr, &json);
                    }
                }
                OutNode::Each(each) => self.each(each, &field.name, route, state, sink)?,
                OutNode::Observables if sink.writes_json() => {
                    // Written as JSON straight away: each entry is its rendered prefix
                    // and its value.
                    let mut json = Vec::with_capacity(64 * state.observed.len());
                    for (o, value) in state.observed.drain(..) {
                        let values = match &value {
                            Typed::Array(items) => items.as_slice(),
                            one => std::slice::from_ref(one),
                        };
                        for v in values {
                            json.push(if json.is_empty() { b'[' } else { b',' });
                            json.extend_from_slice(o.json_prefix.as_bytes());
                            write_json_str(&observed_text(v), &mut json);
                            json.push(b'}');
                        }
                    }
                    if !json.is_empty() {
                        json.push(b']');
                        sink.json_named(&field.name, &String::from_utf8_lossy(&json));
                    }
                }
                OutNode::Observables => {
                    let mut list = Vec::with_capacity(state.observed.len());
                    for (o, value) in state.observed.drain(..) {
                        let values = match value {
                            Typed::Array(items) => items,
                            one => vec![one],
                        };
                        for v in values {
                            let text = match v {
                                Typed::Str(s) => s,
                                other => Cow::Owned(observed_text(&other).into_owned()),
                            };
                            list.push(Typed::Object(vec![
                                (Cow::Borrowed("name"), Typed::Str(Cow::Borrowed(&o.name))),
                                (Cow::Borrowed("type"), Typed::Str(Cow::Borrowed(&o.caption))),
                                (Cow::Borrowed("type_id"), Typed::Int(o.type_id)),
                                (Cow::Borrowed("value"), Typed::Str(text)),
                            ]));
                        }
                    }
                    if !list.is_empty() {
                        sink.value_named(&field.name, &Typed::Array(list));
                    }
                }
            }
        }
        Ok(())
    }

    /// The objects of an `each`, written under `name`: one per element of the source
    /// array that passes the filter (an element whose object comes out empty adds
    /// nothing). A source that is absent or not an array gives none; in an element that
    /// is not an object, `@` reads the element and `@.` paths read nothing. A sink that
    /// streams lists receives each object as it is evaluated; any other receives the
    /// objects as one typed array.
    fn each<S: Sink>(
        &self,
        each: &'p EachNode,
        name: &'p FieldName,
        route: &Route,
        outer: &mut State<'_, 'p, 'e>,
        sink: &mut S,
    ) -> Result<(), String> {
        let Some(got) = self.read(&each.source) else {
            return Ok(());
        };
        let text = match &got {
            Got::Src(s) => s.json_text(),
            Got::Owned(v) => Cow::Owned(v.to_string()),
        };
        let Some(elements) = array_elements(&text) else {
            return Ok(());
        };
        let stream = sink.streams_lists();
        if stream {
            sink.begin_list_named(name);
        }
        let mut items = Vec::new();
        let mut memory = vec![None; route.memory];
        let mut tree = EventTrees::default();
        // What the elements send to `unmapped` (values of attributes their object does
        // not have, values that could not be coerced): per attribute path, one entry
        // per element taken, null where an element has none.
        let mut moved: Vec<(&'p str, Vec<Option<String>>)> = Vec::new();
        let mut taken = 0;
        for element in elements {
            // An element that is not an object has no `@.` keys, but `@` is the element.
            let doc = element
                .starts_with('{')
                .then(|| Doc::parse(element, &each.trie).ok())
                .flatten();
            let ev = Evaluator {
                plan: self.plan,
                doc: self.doc,
                element: doc.as_ref(),
                element_raw: Some(element),
                failure: std::cell::OnceCell::new(),
            };
            if each.filter.as_ref().is_some_and(|f| !ev.holds(f)) {
                continue;
            }
            memory.fill(None);
            let mut state = State {
                memory: &mut memory,
                moved: Vec::new(),
                observed: Vec::new(),
            };
            if stream {
                sink.begin_element();
                ev.fields(&each.fields, route, &mut state, sink)?;
                sink.end_object();
            } else {
                tree.begin_event(0);
                ev.fields(&each.fields, route, &mut state, &mut tree)?;
                tree.end_event();
                match tree.events.pop() {
                    Some(Typed::Object(f)) if f.is_empty() => {}
                    // Already owned: the tree keeps nothing of the element's text.
                    Some(t) => items.push(t),
                    None => {}
                }
            }
            outer
                .observed
                .extend(state.observed.drain(..).map(|(o, v)| (o, v.into_owned())));
            if !each.unmapped.is_empty() {
                tree.begin_event(0);
                ev.fields(&each.unmapped, route, &mut state, &mut tree)?;
                tree.end_event();
                if let Some(Typed::Object(found)) = tree.events.pop() {
                    for field in &each.unmapped {
                        if let Some((_, v)) = found.iter().find(|(k, _)| *k == *field.name) {
                            let mut json = Vec::new();
                            v.write_json(&mut json);
                            let json = String::from_utf8_lossy(&json).into_owned();
                            state.moved.push((&field.name, Cow::Owned(json)));
                        }
                    }
                }
            }
            for (attr, json) in state.moved.drain(..) {
                let i = moved
                    .iter()
                    .position(|(a, _)| *a == attr)
                    .unwrap_or_else(|| {
                        moved.push((attr, Vec::new()));
                        moved.len() - 1
                    });
                let values = &mut moved[i].1;
                values.resize(taken, None);
                values.push(Some(json.into_owned()));
            }
            taken += 1;
        }
        if stream {
            sink.end_object();
        } else if !items.is_empty() {
            sink.value_named(name, &Typed::Array(items));
        }
        for (attr, values) in moved {
            let mut json = String::from("[");
            for i in 0..taken {
                if i > 0 {
                    json.push(',');
                }
                json.push_str(values.get(i).and_then(Option::as_deref).unwrap_or("null"));
            }
            json.push(']');
            outer.moved.push((attr, Cow::Owned(json)));
        }
        Ok(())
    }

    /// One item of a list: a leaf, or an object template evaluated to a value.
    fn item(
        &self,
        node: &'p OutNode,
        route: &Route,
        state: &mut State<'_, 'p, 'e>,
    ) -> Result<Option<Typed<'e>>, String> {
        match node {
            OutNode::Leaf(leaf) => self.leaf_or_move(leaf, state),
            OutNode::Object(fields) => {
                let mut tree = EventTrees::default();
                tree.begin_event(0);
                self.fields(fields, route, state, &mut tree)?;
                tree.end_event();
                Ok(tree
                    .events
                    .pop()
                    .filter(|t| !matches!(t, Typed::Object(f) if f.is_empty())))
            }
            _ => Ok(None),
        }
    }

    /// Evaluates a leaf; under `on_type_error: unmapped` a value that cannot be coerced
    /// is moved aside instead of failing the event.
    fn leaf_or_move(
        &self,
        leaf: &'p Leaf,
        state: &mut State<'_, 'p, 'e>,
    ) -> Result<Option<Typed<'e>>, String> {
        match self.leaf(leaf) {
            Err(_) if self.plan.on_type_error == crate::mapping::OnTypeError::Unmapped => {
                if let Some(got) = self.expr(&leaf.expr) {
                    let json = match got {
                        Got::Src(src) => src.json_text(),
                        Got::Owned(v) => std::borrow::Cow::Owned(v.to_string()),
                    };
                    state.moved.push((&leaf.attr, json));
                }
                Ok(None)
            }
            other => other,
        }
    }

    fn leaf(&self, leaf: &'p Leaf) -> Result<Option<Typed<'e>>, String> {
        let Some(got) = self.expr(&leaf.expr) else {
            return Ok(None);
        };
        let coerced = match got {
            Got::Src(src) => coerce(src, &leaf.target, &self.plan.schema),
            Got::Owned(v) => coerce(Src::Value(&v), &leaf.target, &self.plan.schema)
                .map(|t| t.map(Typed::into_owned)),
        };
        coerced.map_err(|e| format!("{}: {e}", leaf.attr))
    }

    fn read(&self, path: &PathRef) -> Option<Got<'e>> {
        match path {
            PathRef::Simple(node) => {
                if *node == ROOT
                    && let Err(e) = self.doc.full_value()
                {
                    let _ = self
                        .failure
                        .set(format!("the record cannot be read as a whole: {e}"));
                    return None;
                }
                let src = self.doc.src(*node).filter(|s| !s.is_null())?;
                (!self.is_null_value(src)).then_some(Got::Src(src))
            }
            PathRef::Element(node) => {
                let src = if *node == ROOT {
                    Src::Raw(self.element_raw?)
                } else {
                    self.element?.src(*node)?
                };
                (!src.is_null() && !self.is_null_value(src)).then_some(Got::Src(src))
            }
            PathRef::Query(query) => {
                let root = match self.doc.full_value() {
                    Ok(root) => root,
                    Err(e) => {
                        let _ = self
                            .failure
                            .set(format!("the record cannot be read for JSONPath: {e}"));
                        return None;
                    }
                };
                let found = jsonpath_rust::query::js_path_process(query, root).ok()?;
                let mut values: Vec<&Value> = found
                    .into_iter()
                    .map(jsonpath_rust::query::QueryRef::val)
                    .filter(|v| !v.is_null())
                    .collect();
                match values.len() {
                    0 => None,
                    1 => values.pop().map(|v| Got::Src(Src::Value(v))),
                    _ => Some(Got::Owned(Value::Array(
                        values.into_iter().cloned().collect(),
                    ))),
                }
            }
        }
    }

    /// Whether `src` is one of the strings the mapping reads as null (`input.null_values`).
    fn is_null_value(&self, src: Src<'_>) -> bool {
        let nulls = &self.plan.null_values;
        if nulls.is_empty() {
            return false;
        }
        // Most values are strings without escapes: compared as written, not decoded.
        if let Src::Raw(raw) = src
            && let Some(inner) = raw.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
            && !inner.as_bytes().contains(&b'\\')
        {
            return nulls.iter().any(|n| **n == *inner);
        }
        matches!(src.scalar(), Scalar::Str(s) if nulls.iter().any(|n| **n == *s))
    }

    fn expr(&self, expr: &'p Expr) -> Option<Got<'e>> {
        match expr {
            Expr::Path(p) => self.read(p),
            Expr::Literal(v) => (!v.is_null()).then_some(Got::Src(Src::Value(v))),
            Expr::Enum(table) => {
                let value = self.read(&table.evaluate);
                let hit = value
                    .as_ref()
                    .and_then(Got::key)
                    .and_then(|k| table.values.get(&k));
                match hit.or(table.other.as_ref()) {
                    Some(e) => self.expr(e),
                    None => None,
                }
            }
            Expr::Coalesce(items) => items.iter().find_map(|e| self.expr(e)),
            Expr::Split {
                inner,
                separator,
                index,
            } => {
                let whole = self.expr(inner)?;
                let text = whole.key()?;
                let parts: Vec<&str> = text.split(separator.as_str()).collect();
                let i = if *index < 0 {
                    parts.len() as i64 + index
                } else {
                    *index
                };
                let part = usize::try_from(i).ok().and_then(|i| parts.get(i))?;
                Some(Got::Owned(Value::String((*part).to_owned())))
            }
            Expr::WithDefault(inner, default) => self.expr(inner).or_else(|| self.expr(default)),
            Expr::Function(func, inner) => {
                let got = self.expr(inner)?;
                let scalar = match &got {
                    Got::Src(s) => s.scalar(),
                    Got::Owned(v) => Src::Value(v).scalar(),
                };
                // An array or an object has no text form: the function takes it whole.
                let text = match scalar {
                    Scalar::Container(_) => None,
                    other => other.into_key(),
                };
                func.apply(text.as_deref(), || Some(got.value()))
                    .map(Got::Owned)
            }
            Expr::Cases(cases) => cases
                .iter()
                .find(|(c, _)| self.holds(c))
                .and_then(|(_, e)| self.expr(e)),
            Expr::Template(parts) => {
                let mut out = String::with_capacity(64);
                for part in parts {
                    match part {
                        TemplatePart::Text(t) => out.push_str(t),
                        TemplatePart::Path(p) => {
                            if let Some(k) = self.read(p).as_ref().and_then(Got::key) {
                                out.push_str(&k);
                            }
                        }
                    }
                }
                Some(Got::Owned(Value::String(out)))
            }
        }
    }

    /// Whether a condition holds for this event.
    fn holds(&self, cond: &Cond) -> bool {
        match cond {
            Cond::Test { path, test } => {
                let value = self.read(path);
                test.holds(value.as_ref().and_then(Got::key).as_deref())
            }
            Cond::Same { path, other } => {
                let (a, b) = (self.read(path), self.read(other));
                let (a, b) = (a.as_ref().and_then(Got::key), b.as_ref().and_then(Got::key));
                a.is_some() && a == b
            }
            Cond::All(items) => items.iter().all(|c| self.holds(c)),
            Cond::Any(items) => items.iter().any(|c| self.holds(c)),
            Cond::Not(inner) => !self.holds(inner),
        }
    }

    /// Writes every source field the route does not read, keeping the source structure.
    fn rest<S: Sink>(&self, route: &Route, sink: &mut S) {
        let Some(Val::Object(root)) = self.doc.slot(ROOT) else {
            return;
        };
        self.rest_object(*root, route, sink);
    }

    fn rest_object<S: Sink>(&self, object: u32, route: &Route, sink: &mut S) {
        for entry in &self.doc.objects[object as usize] {
            let consumed = entry
                .node
                .map_or(Consumed::No, |n| route.consumed[n as usize]);
            match (consumed, self.doc.resolve(&entry.val)) {
                (Consumed::Whole, _) => {}
                (Consumed::Partly, Val::Object(child)) => {
                    sink.begin_object(&entry.key);
                    self.rest_object(*child, route, sink);
                    sink.end_object();
                }
                (_, Val::Raw(raw)) if self.is_null_value(Src::Raw(raw)) => {}
                (_, Val::Owned(raw)) if self.is_null_value(Src::Raw(raw)) => {}
                (_, Val::Text(text)) if self.is_null_value(Src::Text(text)) => {}
                (_, Val::Raw(raw)) => sink.raw(&entry.key, raw),
                (_, Val::Owned(raw)) => sink.raw(&entry.key, raw),
                (_, val) => sink.raw(&entry.key, &self.doc.to_value(val).to_string()),
            }
        }
    }
}

/// The text an entry of `observables` gives its value: a string as it is, anything
/// else as its JSON.
fn observed_text<'v>(value: &'v Typed<'_>) -> Cow<'v, str> {
    match value {
        Typed::Str(s) => Cow::Borrowed(s),
        other => {
            let mut json = Vec::new();
            other.write_json(&mut json);
            Cow::Owned(String::from_utf8_lossy(&json).into_owned())
        }
    }
}

impl Got<'_> {
    /// The value as JSON (an array or an object included).
    fn value(&self) -> Value {
        match self {
            Got::Src(s) => s.to_value(),
            Got::Owned(v) => v.clone(),
        }
    }

    /// The string a value compares as (routing, enum keys, drop rules, templates).
    fn key(&self) -> Option<Cow<'_, str>> {
        match self {
            Got::Src(s) => s.scalar().into_key(),
            Got::Owned(v) => Src::Value(v).scalar().into_key(),
        }
    }
}
