//! Typing: each mapped attribute resolved against its class or object, given the
//! coercion target of its OCSF type; nested objects and lists built key by key; and
//! literals coerced once here, so that a literal that cannot fit is a compile error.

use std::collections::HashMap;

use super::{Compiler, front};
use crate::diagnostic::{Code, Diagnostic, did_you_mean, pointer_token};
use crate::mapping::value::{Expression, MappingValue, NestedObject};
use crate::plan::coerce::{Kind, Target, coerce};
use crate::plan::trie::Trie;
use crate::plan::value::Src;
use crate::plan::{EachNode, Expr, Field, Leaf, Observable, OutNode, PathRef};
use crate::schema::{Attribute, Enum};

/// What a literal must fit: its coercion target, the attribute (for messages) and the
/// attribute's enum (to name the id of a caption written by mistake).
struct Expected<'t> {
    target: &'t Target,
    attr: &'t str,
    enumeration: Option<&'t Enum>,
}

/// The class or object whose attributes a mapping object sets: `object` is `None`
/// for the route's class.
pub(super) type Owner<'a> = (Option<&'a str>, &'a str, &'a HashMap<String, Attribute>);

impl Compiler<'_> {
    /// Compiles the entries of a mapping object against a class's or object's attributes.
    pub(super) fn object(
        &mut self,
        (object, owner, attrs): Owner,
        entries: &[(String, MappingValue)],
        ptr: &str,
        prefix: &str,
        relocated: &mut Vec<Field>,
    ) -> Vec<Field> {
        let mut fields = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let ptr = format!("{ptr}/{}", pointer_token(key));
            let attr_path = format!("{prefix}{key}");
            let Some(attr) = attrs.get(key) else {
                let suggestion = did_you_mean(key, attrs.keys().map(String::as_str));
                self.diags.push(Diagnostic {
                    code: Code::UnknownAttribute,
                    severity: Code::UnknownAttribute.severity(),
                    message: format!("`{attr_path}` is not an attribute of `{owner}`; its value goes to `unmapped.{attr_path}`"),
                    pointer: ptr.clone(),
                    help: suggestion.map(|s| format!("did you mean `{prefix}{s}`?")),
                });
                let node = self.untyped(value, &ptr, &attr_path);
                relocated.push(Field {
                    name: attr_path.into(),
                    node,
                });
                continue;
            };
            self.record(object, key, &attr_path, &ptr, value);
            let mut node = self.attribute(attr, value, &ptr, &attr_path, relocated);
            if self.observables_auto
                && let (Some(node), Some(type_id)) = (node.as_mut(), attr.observable)
            {
                self.observe(node, &attr_path, attr.is_array, type_id);
            }
            if let Some(node) = node {
                fields.push(Field {
                    name: key.as_str().into(),
                    node,
                });
            }
        }
        self.derive_captions(attrs, &mut fields);
        if self.datetime_profile {
            self.derive_datetimes(attrs, &mut fields);
        }
        fields
    }

    fn attribute(
        &mut self,
        attr: &Attribute,
        value: &MappingValue,
        ptr: &str,
        attr_path: &str,
        relocated: &mut Vec<Field>,
    ) -> Option<OutNode> {
        let target = Target::from_attr(&attr.ty, attr.is_array);
        match (&target.kind, value) {
            (Kind::Object(name), MappingValue::Expr(Expression::Each(each))) if attr.is_array => {
                let def = self.schema.object(name)?;
                let source = self.path(&each.each.parsed);
                // A trie per `each` (an `each` inside it gets its own).
                let outer = self.element_trie.replace(Trie::default());
                let filter = each.filter.as_ref().map(|c| self.condition(c));
                // Values of unknown attributes go to the event's `unmapped`, one array
                // per key, from each element.
                let mut inside = Vec::new();
                let fields = self.object(
                    (Some(&def.name), &def.name, &def.attributes),
                    &each.map.0.0,
                    &format!("{ptr}/map"),
                    &format!("{attr_path}[]."),
                    &mut inside,
                );
                let trie = std::mem::replace(&mut self.element_trie, outer).unwrap_or_default();
                Some(OutNode::Each(Box::new(EachNode {
                    source,
                    trie,
                    filter,
                    fields,
                    unmapped: inside,
                })))
            }
            (_, MappingValue::Expr(Expression::Each(_))) => {
                self.error(
                    Code::ShapeMismatch,
                    ptr,
                    format!(
                        "`each` maps elements into an array of objects; `{attr_path}` is {}",
                        target.describe()
                    ),
                    None,
                );
                None
            }
            (Kind::Json, MappingValue::Object(_)) => Some(self.untyped(value, ptr, attr_path)),
            (Kind::Object(name), MappingValue::Object(NestedObject(entries))) if !attr.is_array => {
                let def = self.schema.object(name)?;
                let fields = self.object(
                    (Some(&def.name), &def.name, &def.attributes),
                    &entries.0,
                    ptr,
                    &format!("{attr_path}."),
                    relocated,
                );
                Some(OutNode::Object(fields))
            }
            (_, MappingValue::List(items)) if attr.is_array => {
                let items = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        let ptr = format!("{ptr}/{i}");
                        match (&target.kind, item) {
                            (Kind::Object(name), MappingValue::Object(NestedObject(entries))) => {
                                let def = self.schema.object(name)?;
                                let fields = self.object(
                                    (Some(&def.name), &def.name, &def.attributes),
                                    &entries.0,
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
            (_, MappingValue::Object(_)) => {
                self.error(
                    Code::ShapeMismatch,
                    ptr,
                    format!("`{attr_path}` is {}, but the mapping gives it an object", target.describe()),
                    Some("map it to a `$.` path, a literal, or an expression (enum, coalesce, template, ...)".into()),
                );
                None
            }
            _ => self.leaf(value, target, ptr, attr_path, attr.enumeration.as_ref()),
        }
    }

    /// A value in a value's place: a path, a literal or an expression.
    fn leaf(
        &mut self,
        value: &MappingValue,
        mut target: Target,
        ptr: &str,
        attr_path: &str,
        enumeration: Option<&Enum>,
    ) -> Option<OutNode> {
        let (expr, format) = match value {
            MappingValue::Path(p) => (Expr::Path(self.path(&p.parsed)), None),
            MappingValue::Literal(s) => (Expr::Literal(s.to_value()), None),
            MappingValue::Expr(e) => self.expression(e),
            // A list where one value belongs is a literal list, as it is written.
            MappingValue::List(_) => (Expr::Literal(value.to_json()?), None),
            MappingValue::Object(_) => {
                self.error(Code::BadExpression, ptr, front::not_one_kind(&[]), None);
                return None;
            }
            MappingValue::Invalid => return None,
        };
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
            observable: None,
        }))
    }

    /// Marks the values of an attribute whose type is observable, for `observables: auto`.
    fn observe(&self, node: &mut OutNode, attr_path: &str, array: bool, type_id: i64) {
        let caption: Box<str> = self
            .schema
            .object("observable")
            .and_then(|o| o.attributes.get("type_id"))
            .and_then(|a| a.enumeration.as_ref())
            .and_then(|e| e.caption(type_id))
            .unwrap_or("Other")
            .into();
        let name: Box<str> = if array {
            format!("{attr_path}[]").into()
        } else {
            attr_path.into()
        };
        let mark = |leaf: &mut Leaf| {
            leaf.observable = Some(std::sync::Arc::new(Observable::new(
                name.clone(),
                type_id,
                caption.clone(),
            )));
        };
        match node {
            OutNode::Leaf(leaf) => mark(leaf),
            OutNode::List { items } => {
                for item in items {
                    if let OutNode::Leaf(leaf) = item {
                        mark(leaf);
                    }
                }
            }
            _ => {}
        }
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
                for (k, v) in table.values.entries() {
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
            Expr::Cases(cases) => {
                for (i, (_, value)) in cases.iter().enumerate() {
                    self.check_literals(value, want, &format!("{ptr}/cases/{i}/value"));
                }
            }
            // What these give is known only per event.
            Expr::Path(_) | Expr::Template(_) | Expr::Split { .. } | Expr::Function(..) => {}
        }
    }

    /// An untyped subtree (`unmapped`, `json_t`): nested objects stay objects, values pass through.
    pub(super) fn untyped(&mut self, value: &MappingValue, ptr: &str, attr_path: &str) -> OutNode {
        #[allow(clippy::single_match_else)] // the two shapes read best side by side
        match value {
            MappingValue::Object(NestedObject(entries)) => OutNode::Object(
                entries
                    .0
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
                self.leaf(value, json, ptr, attr_path, None)
                    .unwrap_or(OutNode::Object(Vec::new()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, mapping};
    use crate::plan::{Shape, compile};

    fn network(body: &str) -> Vec<String> {
        diagnostics(&mapping("schema: network_activity", body))
    }

    #[test]
    fn literals_are_typed_by_their_attribute() {
        let plan = compile(&mapping(
            "schema: network_activity",
            "{time: $.t, src_endpoint: {port: '443'}, message: 12, unmapped: {x: {literal: 1}}}",
        ))
        .unwrap();
        let (_, fields) = &plan.shapes()[0];
        let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, s)| s);
        let Some(Shape::Object(endpoint)) = get("src_endpoint") else {
            panic!("{fields:?}")
        };
        assert_eq!(endpoint[0].0, "port");
        assert!(
            matches!(&endpoint[0].1, Shape::Value(t) if t.describe() == "integer_t"),
            "{endpoint:?}"
        );
        assert!(matches!(get("message"), Some(Shape::Value(t)) if t.describe() == "string_t"));
        assert_eq!(get("unmapped"), Some(&Shape::Unmapped));
    }

    #[test]
    fn typing_mistakes_are_reported() {
        assert_eq!(
            network("{src_endpoint: {port: http}, severity_id: High}"),
            [
                "error[OM005] /custom_source_events/ocsf_mapping/all/schema_mapping/src_endpoint/port: `src_endpoint.port`: cannot convert \"http\" to integer_t"
                    .replace("/all/", "/r/"),
                "error[OM005] /custom_source_events/ocsf_mapping/r/schema_mapping/severity_id: `severity_id`: cannot convert \"High\" to integer_t (help: `High` is the caption of 4; the id attribute takes the number: 4)".into(),
            ]
        );
        assert_eq!(
            network("{message: {a: $.x}}"),
            [
                "error[OM007] /custom_source_events/ocsf_mapping/r/schema_mapping/message: `message` is string_t, but the mapping gives it an object (help: map it to a `$.` path, a literal, or an expression (enum, coalesce, template, ...))"
            ]
        );
        assert_eq!(
            network("{srcendpoint: $.x}"),
            [
                "warning[OM004] /custom_source_events/ocsf_mapping/r/schema_mapping/srcendpoint: `srcendpoint` is not an attribute of `network_activity`; its value goes to `unmapped.srcendpoint` (help: did you mean `src_endpoint`?)"
            ]
        );
        assert_eq!(
            network("{observables: [{a: 1}], metadata: {labels: [{b: 2}]}}"),
            [
                "warning[OM004] /custom_source_events/ocsf_mapping/r/schema_mapping/observables/0/a: `observables.a` is not an attribute of `observable`; its value goes to `unmapped.observables.a`",
                "error[OM006] /custom_source_events/ocsf_mapping/r/schema_mapping/metadata/labels/0: an expression takes exactly one of enum, coalesce, literal, template, timestamp, split, cases, lower, upper, trim, url_decode, parse_json, join, replace, key_values, lookup, each; found ",
            ]
        );
    }
}
