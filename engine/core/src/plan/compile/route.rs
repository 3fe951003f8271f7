//! A route: its class, its attributes, and the attributes ocsfmap derives for it
//! (class and category ids, `type_uid`, `metadata.version`, enum captions, the
//! `unmapped` catch-all).

use std::collections::HashMap;

use super::{Compiler, derived, front};
use crate::diagnostic::Code;
use crate::event::Typed;
use crate::mapping::model::RouteSpec;
use crate::mapping::node::Node;
use crate::mapping::value::{MappingValue, NestedObject, Scalar};
use crate::plan::coerce::Kind;
use crate::plan::value::Src;
use crate::plan::{Captions, ConsumedMarks, Derived, Expr, Field, Leaf, OutNode, Rendered, Route};
use crate::schema::{AttrType, Attribute};

/// Values a route can remember for its derived fields (captions, `type_uid`): the
/// width of a memory slot's index.
const MEMORY_SLOTS: usize = 256;

impl Compiler<'_> {
    pub(super) fn route(
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
        let mptr = format!("{ptr}/schema_mapping");
        // Every value is read before the class is known, so that the mistakes of a
        // route whose class is unknown are reported too.
        let entries = match &spec.schema_mapping {
            None => Some(Vec::new()),
            Some(Node::Object(entries)) => {
                Some(front::read_attributes(entries, &mptr, &mut self.diags))
            }
            Some(_) => None,
        };
        let Some(class) = self.class(spec, entries.as_deref().unwrap_or_default(), ptr) else {
            return route;
        };
        route.class_uid = Some(class.uid);
        let Some(entries) = entries else {
            self.error(
                Code::ShapeMismatch,
                &mptr,
                "schema_mapping must be an object".into(),
                None,
            );
            return route;
        };
        self.datetime_profile = declares_profile(&entries, "datetime");
        // `observables: auto`: the list is built from the values written.
        let mut entries = entries;
        let auto = entries.iter().position(|(k, v)| {
            k == "observables"
                && matches!(v, MappingValue::Literal(Scalar::String(s)) if s == "auto")
        });
        self.observables_auto = auto.is_some();
        if let Some(i) = auto {
            entries.remove(i);
        }
        let mut relocated = Vec::new();
        let mut fields = self.object(
            (None, &class.name, &class.attributes),
            &entries,
            &mptr,
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
                        node: derived(Derived::Const(Rendered::new(Typed::Int(value)))),
                    },
                );
            }
        }
        if !has(&fields, "type_uid")
            && let Some(i) = fields.iter().position(|f| &*f.name == "activity_id")
            && let Some(activity) = self.remember(&mut fields[i].node)
        {
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
                        node: derived(Derived::Const(Rendered::new(Typed::Str(
                            version.to_owned().into(),
                        )))),
                    });
                }
            }
            Some(_) => {}
            None => fields.push(Field {
                name: "metadata".into(),
                node: OutNode::Object(vec![Field {
                    name: "version".into(),
                    node: derived(Derived::Const(Rendered::new(Typed::Str(
                        version.to_owned().into(),
                    )))),
                }]),
            }),
        }
        self.derive_captions(&class.attributes, &mut fields);
        if self.observables_auto {
            fields.push(Field {
                name: "observables".into(),
                node: OutNode::Observables,
            });
        }

        let moved = moved || moves_values(&fields);
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
        self.fold_literals(&mut fields);
        route.fields = Some(fields);
        route.memory = self.memory;
        route
    }

    /// Literal values become constants rendered once (an observable literal stays a
    /// leaf: `observables` lists what the leaf writes).
    fn fold_literals(&self, fields: &mut [Field]) {
        for field in fields {
            match &mut field.node {
                OutNode::Object(children) => self.fold_literals(children),
                OutNode::Each(each) => self.fold_literals(&mut each.fields),
                OutNode::Leaf(
                    leaf @ Leaf {
                        observable: None, ..
                    },
                ) => {
                    let Expr::Literal(v) = &leaf.expr else {
                        continue;
                    };
                    // A literal that does not fit was reported by `check_literals`.
                    if let Ok(Some(value)) =
                        crate::plan::coerce::coerce(Src::Value(v), &leaf.target, self.schema)
                    {
                        field.node = OutNode::Derived {
                            derived: Derived::Literal {
                                value: Rendered::new(value.into_owned()),
                                target: leaf.target.clone(),
                            },
                            remember: leaf.remember,
                        };
                    }
                }
                _ => {}
            }
        }
    }

    /// Gives a field's value a memory slot, so a derived field can read it.
    /// `None`, reported once per route, when every slot is taken.
    fn remember(&mut self, node: &mut OutNode) -> Option<u8> {
        let (OutNode::Leaf(Leaf { remember: slot, .. }) | OutNode::Derived { remember: slot, .. }) =
            node
        else {
            unreachable!("only leaves and derived fields are remembered")
        };
        if let Some(slot) = slot {
            return Some(*slot);
        }
        let Ok(next) = u8::try_from(self.memory) else {
            if !self.memory_full {
                self.memory_full = true;
                let ptr = self.route_ptr.clone();
                self.error(
                    Code::Limit,
                    &ptr,
                    format!(
                        "more than {MEMORY_SLOTS} enum attributes whose caption or type_uid is derived; a route may have at most {MEMORY_SLOTS} (the limit for mapping files)"
                    ),
                    Some("split the route, or write the captions out".into()),
                );
            }
            return None;
        };
        self.memory += 1;
        *slot = Some(next);
        Some(next)
    }

    /// Adds the `*_dt` sibling (RFC 3339) of every `timestamp_t` attribute the mapping
    /// sets, when the class or object has one and the mapping does not set it itself
    /// (the `datetime` profile).
    pub(super) fn derive_datetimes(
        &mut self,
        attrs: &HashMap<String, Attribute>,
        fields: &mut Vec<Field>,
    ) {
        let mut i = 0;
        while i < fields.len() {
            let is_time = matches!(
                &fields[i].node,
                OutNode::Leaf(Leaf { target, .. })
                    if matches!(target.kind, Kind::Timestamp(_)) && !target.array
            );
            let sibling = format!("{}_dt", fields[i].name);
            let has_sibling = attrs
                .get(&sibling)
                .is_some_and(|a| a.ty == AttrType::Datetime && !a.is_array);
            if is_time && has_sibling && !fields.iter().any(|f| *f.name == *sibling) {
                let Some(of) = self.remember(&mut fields[i].node) else {
                    break;
                };
                fields.insert(
                    i + 1,
                    Field {
                        name: sibling.as_str().into(),
                        node: derived(Derived::DateTime { of }),
                    },
                );
                i += 1;
            }
            i += 1;
        }
    }

    /// Adds the caption sibling (`activity_name`, `severity`, ...) of every enum id the
    /// mapping sets but whose caption it leaves out.
    pub(super) fn derive_captions(
        &mut self,
        attrs: &HashMap<String, Attribute>,
        fields: &mut Vec<Field>,
    ) {
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
                let Some(of) = self.remember(&mut fields[i].node) else {
                    break;
                };
                fields.insert(
                    i + 1,
                    Field {
                        name: sibling.into(),
                        node: derived(Derived::Caption {
                            of,
                            captions: Captions::new(&captions),
                        }),
                    },
                );
                i += 1;
            }
            i += 1;
        }
    }
}

/// Whether evaluating `fields` moves values to `unmapped` at run time: an `each` with
/// keys that are not attributes of its objects.
fn moves_values(fields: &[Field]) -> bool {
    fields.iter().any(|f| match &f.node {
        OutNode::Object(children) => moves_values(children),
        OutNode::Each(each) => !each.unmapped.is_empty() || moves_values(&each.fields),
        _ => false,
    })
}

/// Whether the route's `metadata.profiles` lists `profile` (as a literal).
fn declares_profile(entries: &[(String, MappingValue)], profile: &str) -> bool {
    let Some((_, MappingValue::Object(NestedObject(meta)))) =
        entries.iter().find(|(k, _)| k == "metadata")
    else {
        return false;
    };
    let Some((_, MappingValue::List(items))) = meta.0.iter().find(|(k, _)| k == "profiles") else {
        return false;
    };
    items
        .iter()
        .any(|item| item.literal().is_some_and(|v| v.as_str() == Some(profile)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, mapping};
    use crate::plan::compile;

    #[test]
    fn ids_names_and_version_are_derived() {
        let plan = compile(&mapping(
            "schema: network_activity",
            "{activity_id: $.a, severity_id: 1, time: $.t}",
        ))
        .unwrap();
        let outline = plan.outline("r").unwrap();
        for want in [
            "category_uid",
            "class_uid",
            "activity_id",
            "activity_name",
            "type_uid",
            "severity_id",
            "severity",
            "metadata.version",
        ] {
            assert!(
                outline.iter().any(|o| o == want),
                "{want} not in {outline:?}"
            );
        }
    }

    #[test]
    fn schema_mapping_must_be_an_object() {
        assert_eq!(
            diagnostics(&mapping("schema: network_activity", "[1]")),
            [
                "error[OM007] /custom_source_events/ocsf_mapping/r/schema_mapping: schema_mapping must be an object"
            ]
        );
    }

    /// More enum attributes with derived captions than a route can remember is a
    /// diagnostic, not a panic.
    #[test]
    fn too_many_derived_captions_is_a_limit() {
        let items: Vec<String> = (0..300)
            .map(|i| format!("{{name: n{i}, type_id: 1}}"))
            .collect();
        let file = mapping(
            "schema: network_activity",
            &format!("{{time: $.t, observables: [{}]}}", items.join(", ")),
        );
        let got = diagnostics(&file);
        assert_eq!(
            got,
            [
                "error[OM027] /custom_source_events/ocsf_mapping/r: more than 256 enum attributes whose caption or type_uid is derived; a route may have at most 256 (the limit for mapping files) (help: split the route, or write the captions out)"
            ]
        );
        assert!(compile(&file).is_err());
    }
}
