//! What a route writes, recorded for the linter while the route compiles: each
//! attribute the mapping sets, its JSON pointer, and the literals it can receive.
//! Recorded only by [`super::compile_all`]; `compile` (the transform path) skips it.

use serde_json::Value;

use super::Compiler;
use crate::diagnostic::pointer_token;
use crate::mapping::value::{Expression, MappingValue};

/// An attribute a mapping sets, resolved against its class or object.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// JSON pointer of the attribute's key in the mapping file.
    pub pointer: String,
    /// Dotted attribute path (`src_endpoint.port`).
    pub path: String,
    /// The OCSF object that has the attribute; `None` for the route's class.
    pub object: Option<String>,
    /// The attribute's name in its class or object.
    pub name: String,
    /// How the value is written.
    pub written_as: WrittenAs,
    /// The literal the attribute is mapped to, if it is one (a scalar, or a `literal`
    /// expression).
    pub literal: Option<Value>,
    /// The literals the attribute can receive, with their pointers: the value itself,
    /// an enum's results, or a coalesce's items and its default.
    pub candidates: Vec<(String, Value)>,
}

/// How an attribute's value is written.
#[derive(Debug, Clone, PartialEq)]
pub enum WrittenAs {
    /// A plain literal (not a path, not an expression).
    Scalar(Value),
    /// A list: per item, its text when it is a string, number or boolean.
    List(Vec<Option<String>>),
    /// A path, an expression or a nested object.
    Other,
}

impl Compiler<'_> {
    /// Records that the route sets `name` of `object` (when recording).
    pub(super) fn record(
        &mut self,
        object: Option<&str>,
        name: &str,
        path: &str,
        ptr: &str,
        value: &MappingValue,
    ) {
        let Some(route) = self.written.as_mut().and_then(|w| w.last_mut()) else {
            return;
        };
        let written_as = match value {
            MappingValue::Literal(s) => WrittenAs::Scalar(s.to_value()),
            MappingValue::List(items) => WrittenAs::List(items.iter().map(item_text).collect()),
            _ => WrittenAs::Other,
        };
        route.push(Written {
            pointer: ptr.to_owned(),
            path: path.to_owned(),
            object: object.map(str::to_owned),
            name: name.to_owned(),
            written_as,
            literal: value.literal(),
            candidates: candidates(value, ptr),
        });
    }

    /// The recorded routes (empty when not recording).
    pub(super) fn written_routes(&mut self) -> Vec<Vec<Written>> {
        self.written.take().unwrap_or_default()
    }
}

fn item_text(item: &MappingValue) -> Option<String> {
    match item {
        MappingValue::Path(p) => Some(p.text.clone()),
        MappingValue::Literal(s) => match s.to_value() {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        },
        _ => None,
    }
}

fn candidates(value: &MappingValue, ptr: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    match value {
        MappingValue::Expr(Expression::Enum(e)) => {
            for (k, v) in &e.table.values.0 {
                out.push((
                    format!("{ptr}/enum/values/{}", pointer_token(k)),
                    v.literal(),
                ));
            }
            if let Some(other) = &e.table.other {
                out.push((format!("{ptr}/enum/other"), other.literal()));
            }
        }
        MappingValue::Expr(e) if is_alternatives(e) => {
            if let Expression::Coalesce(c) = e {
                for (i, item) in c.coalesce.iter().enumerate() {
                    out.push((format!("{ptr}/coalesce/{i}"), item.literal()));
                }
            }
            if let Some(d) = e.default() {
                out.push((format!("{ptr}/default"), d.literal()));
            }
        }
        _ => out.push((ptr.to_owned(), value.literal())),
    }
    out.into_iter().filter_map(|(p, v)| Some((p, v?))).collect()
}

/// A coalesce, or an expression with a default: its candidates are its alternatives.
fn is_alternatives(e: &Expression) -> bool {
    matches!(e, Expression::Coalesce(_)) || e.default().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::compile::compile_all;
    use crate::plan::compile::test_support::mapping;

    #[test]
    fn written_attributes_carry_pointers_and_literals() {
        let c = compile_all(&mapping(
            "schema: network_activity",
            "{class_uid: '4001', time: $.t, activity_id: {enum: {evaluate: $.a, values: {x: 1}, other: 99}}, src_endpoint: {port: 70000}, metadata: {profiles: [cloud, $.p]}, bogus: 1}",
        ));
        let routes = &c.written;
        assert_eq!(routes.len(), 1);
        let by_path = |p: &str| routes[0].iter().find(|w| w.path == p).unwrap();
        let uid = by_path("class_uid");
        assert_eq!(
            uid.pointer,
            "/custom_source_events/ocsf_mapping/r/schema_mapping/class_uid"
        );
        assert_eq!(uid.literal, Some(Value::from("4001")));
        assert_eq!(uid.object, None);
        let activity = by_path("activity_id");
        assert_eq!(
            activity.candidates,
            [
                (
                    "/custom_source_events/ocsf_mapping/r/schema_mapping/activity_id/enum/values/x"
                        .to_owned(),
                    Value::from(1)
                ),
                (
                    "/custom_source_events/ocsf_mapping/r/schema_mapping/activity_id/enum/other"
                        .to_owned(),
                    Value::from(99)
                ),
            ]
        );
        let port = by_path("src_endpoint.port");
        assert_eq!(port.object.as_deref(), Some("network_endpoint"));
        assert_eq!(port.written_as, WrittenAs::Scalar(Value::from(70000)));
        assert_eq!(
            by_path("metadata.profiles").written_as,
            WrittenAs::List(vec![Some("cloud".into()), Some("$.p".into())])
        );
        assert!(
            routes[0].iter().all(|w| w.name != "bogus"),
            "unknown attributes are not written"
        );
    }
}
