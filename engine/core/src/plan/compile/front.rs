//! The expression front end: turns the raw [`Node`] values of `schema_mapping` into
//! typed [`MappingValue`]s, parsing paths, templates and time formats, and reports
//! every value that does not fit at its JSON pointer. The only place that reads the
//! language's keys (`enum`, `coalesce`, ...) as strings.

use crate::diagnostic::{Code, Diagnostic, pointer_token};
use crate::mapping::model::OrderedMap;
use crate::mapping::node::Node;
use crate::mapping::path::{self, PathError};
use crate::mapping::value::{
    CoalesceExpr, EXPRESSION_KEYS, EnumExpr, EnumSpec, Expression, LiteralExpr, MappingValue,
    MatchKind, NestedObject, Operand, PathText, Scalar, SplitExpr, Template, TemplateExpr,
    TemplatePiece, TimestampExpr, TimestampField,
};
use crate::plan::time::TimeFormat;

use super::functions::FUNCTION_KEYS;

/// Reads a mapping value (what an attribute is mapped to), pushing a diagnostic for
/// every part that does not fit; such parts become [`MappingValue::Invalid`].
pub fn read_value(node: &Node, ptr: &str, diags: &mut Vec<Diagnostic>) -> MappingValue {
    Front {
        diags,
        element_scope: false,
    }
    .value(node, ptr)
}

/// Reads the attributes of an object (a route's `schema_mapping`): every key is an
/// attribute, even one named like an expression key.
pub fn read_attributes(
    entries: &[(String, Node)],
    ptr: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, MappingValue)> {
    let mut front = Front {
        diags,
        element_scope: false,
    };
    entries
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                front.value(v, &format!("{ptr}/{}", pointer_token(k))),
            )
        })
        .collect()
}

/// The message for an object in a value's place that holds no expression key or
/// several of them.
pub(super) fn not_one_kind(found: &[&str]) -> String {
    format!(
        "an expression takes exactly one of {}; found {}",
        EXPRESSION_KEYS.join(", "),
        found.join(", ")
    )
}

/// The diagnostic of a path that does not parse or costs too much.
pub(super) fn path_diagnostic(ptr: &str, e: PathError) -> Diagnostic {
    let (code, help) = if e.too_costly {
        (
            Code::PathCost,
            "see \"Limits\" in the README for the path-cost rules",
        )
    } else {
        (
            Code::PathSyntax,
            "paths look like `$.a.b`, `$.list[0]` or `$['key.with.dots']`",
        )
    };
    Diagnostic {
        code,
        severity: code.severity(),
        message: e.message,
        pointer: ptr.to_owned(),
        help: Some(help.into()),
    }
}

fn is_expression(entries: &[(String, Node)]) -> bool {
    entries
        .iter()
        .any(|(k, _)| EXPRESSION_KEYS.contains(&k.as_str()))
}

pub(super) struct Front<'d> {
    pub(super) diags: &'d mut Vec<Diagnostic>,
    /// Inside an `each`'s `map` or `where`: `@` paths read the element.
    pub(super) element_scope: bool,
}

impl Front<'_> {
    /// Whether a string is a path here (an `@` path only inside an `each`).
    pub(super) fn is_path_here(&self, s: &str) -> bool {
        path::is_path(s) || (self.element_scope && path::is_element_path(s))
    }

    /// Records a problem at the severity its code has in the registry (every code the
    /// compiler reports this way is an error there).
    pub(super) fn error(
        &mut self,
        code: Code,
        pointer: &str,
        message: String,
        help: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            help,
            ..Diagnostic::new(code, pointer, message)
        });
    }

    pub(super) fn value(&mut self, node: &Node, ptr: &str) -> MappingValue {
        match node {
            Node::Object(entries) if is_expression(entries) => self
                .expression(entries, ptr)
                .map_or(MappingValue::Invalid, MappingValue::Expr),
            Node::Object(entries) => MappingValue::Object(NestedObject(OrderedMap(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            self.value(v, &format!("{ptr}/{}", pointer_token(k))),
                        )
                    })
                    .collect(),
            ))),
            Node::Array(items) => MappingValue::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.value(item, &format!("{ptr}/{i}")))
                    .collect(),
            ),
            Node::String(s) if self.is_path_here(s) => self
                .path(s, ptr)
                .map_or(MappingValue::Invalid, MappingValue::Path),
            other => MappingValue::Literal(scalar(other)),
        }
    }

    /// A value inside an expression; `None` (after a diagnostic) when it does not fit.
    pub(super) fn operand(&mut self, node: &Node, ptr: &str) -> Option<Operand> {
        Some(match node {
            Node::Object(entries) => {
                if !is_expression(entries) {
                    self.error(Code::BadExpression, ptr, not_one_kind(&[]), None);
                    return None;
                }
                Operand::Expr(Box::new(self.expression(entries, ptr)?))
            }
            Node::Array(_) => match node.to_value() {
                serde_json::Value::Array(items) => Operand::List(items),
                _ => return None,
            },
            Node::String(s) if self.is_path_here(s) => Operand::Path(self.path(s, ptr)?),
            other => Operand::Literal(scalar(other)),
        })
    }

    pub(super) fn path(&mut self, text: &str, ptr: &str) -> Option<PathText> {
        match path::parse(text) {
            Ok(parsed) => Some(PathText {
                text: text.to_owned(),
                parsed,
            }),
            Err(e) => {
                self.diags.push(path_diagnostic(ptr, e));
                None
            }
        }
    }

    /// An object with at least one expression key. Stops at its first problem.
    fn expression(&mut self, entries: &[(String, Node)], ptr: &str) -> Option<Expression> {
        let kinds: Vec<&str> = entries
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| EXPRESSION_KEYS.contains(k))
            .collect();
        let [kind] = kinds.as_slice() else {
            self.error(Code::BadExpression, ptr, not_one_kind(&kinds), None);
            return None;
        };
        let parts = expression_parts(kind);
        let allowed = |k: &str| k == *kind || k == "default" || parts.contains(&k);
        if let Some((bad, _)) = entries.iter().find(|(k, _)| !allowed(k)) {
            let takes: String = parts.iter().flat_map(|p| [", `", p, "`"]).collect();
            self.error(
                Code::BadExpression,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not allowed in a `{kind}` expression"),
                Some(format!(
                    "a `{kind}` expression takes `{kind}`{takes} and optionally `default`"
                )),
            );
            return None;
        }
        let get = |key: &str| field(entries, key);
        let body = get(kind)?;
        let bptr = format!("{ptr}/{kind}");
        // The default is read after the kind's body, so problems come in file order.
        let expression = match *kind {
            "literal" => Expression::Literal(LiteralExpr {
                literal: body.to_value(),
                default: None,
            }),
            "enum" => Expression::Enum(EnumExpr {
                table: self.enum_spec(body, &bptr)?,
                default: None,
            }),
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
                let mut operands = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    operands.push(self.operand(item, &format!("{bptr}/{i}"))?);
                }
                Expression::Coalesce(CoalesceExpr {
                    coalesce: operands,
                    default: None,
                })
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
                Expression::Template(TemplateExpr {
                    template: self.template(text, &bptr)?,
                    default: None,
                })
            }
            "timestamp" => Expression::Timestamp(TimestampExpr {
                timestamp: self.timestamp(body, &bptr)?,
                default: None,
            }),
            "split" => Expression::Split(self.split(body, &bptr, entries, ptr)?),
            "cases" => Expression::Cases(self.cases(body, &bptr)?),
            "each" => Expression::Each(Box::new(self.each(body, &bptr, entries, ptr)?)),
            name if FUNCTION_KEYS.contains(&name) => {
                Expression::Function(self.function(name, body, &bptr, entries, ptr)?)
            }
            _ => {
                // Every key of EXPRESSION_KEYS has an arm above; the test
                // `every_expression_key_is_read` keeps them in step.
                self.error(Code::BadExpression, ptr, not_one_kind(&kinds), None);
                return None;
            }
        };
        let default = match get("default") {
            Some(d) => Some(self.operand(d, &format!("{ptr}/default"))?),
            None => None,
        };
        Some(with_default(expression, default))
    }

    fn enum_spec(&mut self, body: &Node, ptr: &str) -> Option<EnumSpec> {
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
            .find(|(k, _)| !matches!(k.as_str(), "evaluate" | "values" | "other" | "match"))
        {
            self.error(
                Code::BadExpression,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not part of an enum"),
                Some("an enum takes `evaluate`, `values`, `other` and `match`".into()),
            );
            return None;
        }
        let match_kind = match body.get("match") {
            None => MatchKind::Exact,
            Some(Node::String(name)) if MatchKind::parse(name).is_some() => {
                MatchKind::parse(name).unwrap_or_default()
            }
            Some(other) => {
                self.error(
                    Code::BadPattern,
                    &format!("{ptr}/match"),
                    format!(
                        "`match` is {}, not one of {}",
                        other.to_value(),
                        MatchKind::NAMES.join(", ")
                    ),
                    None,
                );
                return None;
            }
        };
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
        let Some(Node::Object(pairs)) = body.get("values") else {
            self.error(
                Code::BadExpression,
                ptr,
                "enum needs `values`: an object of value -> result".into(),
                None,
            );
            return None;
        };
        let mut values = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            let at = format!("{ptr}/values/{}", pointer_token(k));
            self.pattern_key(match_kind, k, &at)?;
            let operand = self.operand(v, &at)?;
            values.push((k.clone(), operand));
        }
        let other = match body.get("other") {
            Some(o) => Some(self.operand(o, &format!("{ptr}/other"))?),
            None => None,
        };
        Some(EnumSpec {
            evaluate,
            match_kind,
            values: OrderedMap(values),
            other,
        })
    }

    fn timestamp(&mut self, body: &Node, ptr: &str) -> Option<TimestampField> {
        let (Some(Node::String(field)), format) = (body.get("field"), body.get("format")) else {
            self.error(
                Code::BadExpression,
                ptr,
                "timestamp takes `field` (a path) and optionally `format`".into(),
                None,
            );
            return None;
        };
        if let Node::Object(entries) = body
            && let Some((bad, _)) = entries
                .iter()
                .find(|(k, _)| !matches!(k.as_str(), "field" | "format"))
        {
            self.error(
                Code::BadExpression,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not part of a timestamp"),
                Some("a timestamp takes `field` and optionally `format`".into()),
            );
            return None;
        }
        let format = match format {
            None => None,
            Some(Node::String(text)) => match TimeFormat::parse(text) {
                Ok(_) => Some(text.clone()),
                Err(e) => {
                    self.error(Code::TimeFormat, &format!("{ptr}/format"), e, None);
                    return None;
                }
            },
            Some(_) => {
                self.error(
                    Code::TimeFormat,
                    &format!("{ptr}/format"),
                    "format must be a string".into(),
                    None,
                );
                return None;
            }
        };
        Some(TimestampField {
            field: self.path(field, &format!("{ptr}/field"))?,
            format,
        })
    }

    fn split(
        &mut self,
        body: &Node,
        bptr: &str,
        entries: &[(String, Node)],
        ptr: &str,
    ) -> Option<SplitExpr> {
        let get = |key: &str| field(entries, key);
        let inner = self.operand(body, bptr)?;
        let separator = match get("separator") {
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
        let index = match get("index") {
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
        Some(SplitExpr {
            split: inner,
            separator,
            index,
            default: None,
        })
    }

    /// `"{$.user} logged in from {$.ip}"`; `{{` and `}}` are literal braces.
    fn template(&mut self, text: &str, ptr: &str) -> Option<Template> {
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
                if !self.is_path_here(path_text) {
                    self.error(
                        Code::BadExpression,
                        ptr,
                        format!("`{{{path_text}}}` in a template must hold a `$.` path"),
                        Some("write `{{` for a literal brace".into()),
                    );
                    return None;
                }
                if !literal.is_empty() {
                    parts.push(TemplatePiece::Text(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePiece::Path(self.path(path_text, ptr)?));
                rest = &r[end + 1..];
            } else {
                let c = rest.chars().next()?;
                literal.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(TemplatePiece::Text(literal));
        }
        Some(Template {
            text: text.to_owned(),
            parts,
        })
    }
}

/// The keys an expression takes besides its own key and `default`.
fn expression_parts(kind: &str) -> &'static [&'static str] {
    match kind {
        "split" => &["separator", "index"],
        "join" => &["separator"],
        "replace" => &["pattern", "with"],
        "key_values" => &["pairs", "separator"],
        "lookup" => &["table"],
        "each" => &["map", "where"],
        _ => &[],
    }
}

pub(super) fn field<'n>(entries: &'n [(String, Node)], key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn with_default(expression: Expression, default: Option<Operand>) -> Expression {
    let mut expression = expression;
    let slot = match &mut expression {
        Expression::Enum(e) => &mut e.default,
        Expression::Coalesce(e) => &mut e.default,
        Expression::Literal(e) => &mut e.default,
        Expression::Template(e) => &mut e.default,
        Expression::Timestamp(e) => &mut e.default,
        Expression::Split(e) => &mut e.default,
        Expression::Cases(e) => &mut e.default,
        Expression::Function(f) => f.default_slot(),
        Expression::Each(e) => &mut e.default,
    };
    *slot = default;
    expression
}

/// A node that is not an object, an array or a path, as a literal.
fn scalar(node: &Node) -> Scalar {
    match node {
        Node::Bool(b) => Scalar::Bool(*b),
        Node::Number(n) => Scalar::Number(n.clone()),
        Node::String(s) => Scalar::String(s.clone()),
        Node::Null | Node::Array(_) | Node::Object(_) => Scalar::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> (MappingValue, Vec<String>) {
        let node: Node = serde_yaml::from_str(yaml).unwrap();
        let mut diags = Vec::new();
        let value = read_value(&node, "/v", &mut diags);
        (value, diags.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn every_expression_key_is_read() {
        for (key, body) in [
            ("enum", "{evaluate: $.a, values: {x: 1}}"),
            ("coalesce", "[$.a, 1]"),
            ("literal", "$.not_a_path"),
            ("template", "'{$.a}!'"),
            ("timestamp", "{field: $.t, format: epoch_ms}"),
            ("split", "$.a\nseparator: ','"),
            ("cases", "[{when: {path: $.a, equals: x}, value: 1}]"),
            ("lower", "$.a"),
            ("upper", "$.a"),
            ("trim", "$.a"),
            ("url_decode", "$.a"),
            ("parse_json", "$.a"),
            ("join", "$.a\nseparator: ','"),
            ("replace", "$.a\npattern: 'x+'\nwith: y"),
            ("key_values", "$.a"),
            ("lookup", "$.a\ntable: t"),
            ("each", "$.a\nmap: {name: '@.n'}"),
        ] {
            let (value, diags) = read(&format!("{key}: {body}"));
            assert_eq!(diags, Vec::<String>::new(), "{key}");
            assert!(matches!(value, MappingValue::Expr(_)), "{key}: {value:?}");
        }
        assert_eq!(EXPRESSION_KEYS.len(), 17);
    }

    #[test]
    fn values_are_typed_by_shape() {
        let (value, diags) = read("{a: $.x, b: lit, c: [1, $.y], d: {e: null}}");
        assert!(diags.is_empty(), "{diags:?}");
        let MappingValue::Object(NestedObject(OrderedMap(entries))) = value else {
            panic!("{value:?}")
        };
        assert!(matches!(entries[0].1, MappingValue::Path(_)));
        assert_eq!(
            entries[1].1,
            MappingValue::Literal(Scalar::String("lit".into()))
        );
        assert!(matches!(&entries[2].1, MappingValue::List(items) if items.len() == 2));
        assert!(matches!(entries[3].1, MappingValue::Object(_)));
    }

    #[test]
    fn each_mistake_is_reported_at_its_pointer() {
        for (yaml, want) in [
            (
                "{enum: {values: {}}}",
                "error[OM006] /v/enum: enum needs `evaluate`: the path whose value is looked up",
            ),
            (
                "{coalesce: $.x}",
                "error[OM006] /v/coalesce: coalesce takes a list",
            ),
            (
                "{template: '{oops}'}",
                "error[OM006] /v/template: `{oops}` in a template must hold a `$.` path (help: write `{{` for a literal brace)",
            ),
            (
                "{literal: 1, template: x}",
                "error[OM006] /v: an expression takes exactly one of enum, coalesce, literal, template, timestamp, split, cases, lower, upper, trim, url_decode, parse_json, join, replace, key_values, lookup, each; found literal, template",
            ),
            (
                "{coalesce: [{a: 1}]}",
                "error[OM006] /v/coalesce/0: an expression takes exactly one of enum, coalesce, literal, template, timestamp, split, cases, lower, upper, trim, url_decode, parse_json, join, replace, key_values, lookup, each; found ",
            ),
            (
                "{timestamp: {field: $.t, format: '%Q%'}}",
                "error[OM009] /v/timestamp/format:",
            ),
            (
                "{timestamp: {field: $.t, zone: UTC}}",
                "error[OM006] /v/timestamp/zone: `zone` is not part of a timestamp",
            ),
            (
                "{split: $.a, separator: ''}",
                "error[OM006] /v: split needs `separator`: a non-empty string",
            ),
            (
                "{split: $.a, separator: ',', index: x}",
                "error[OM006] /v/index: index must be an integer",
            ),
            (
                "{enum: {evaluate: $.a.., values: {}}}",
                "error[OM003] /v/enum/evaluate:",
            ),
            (
                "{literal: 1, extra: 2}",
                "error[OM006] /v/extra: `extra` is not allowed in a `literal` expression",
            ),
        ] {
            let (value, diags) = read(yaml);
            assert_eq!(value, MappingValue::Invalid, "{yaml}");
            assert_eq!(diags.len(), 1, "{yaml}: {diags:?}");
            assert!(diags[0].starts_with(want), "{yaml}: {} !~ {want}", diags[0]);
        }
    }

    #[test]
    fn a_list_operand_is_a_literal_and_defaults_attach_to_their_expression() {
        let (value, diags) = read("{coalesce: [[$.a, 1]], default: {literal: $.b}}");
        assert!(diags.is_empty(), "{diags:?}");
        let MappingValue::Expr(Expression::Coalesce(c)) = &value else {
            panic!("{value:?}")
        };
        assert_eq!(
            c.coalesce,
            vec![Operand::List(vec![
                serde_json::json!("$.a"),
                serde_json::json!(1)
            ])]
        );
        assert_eq!(
            c.default.as_ref().and_then(Operand::literal),
            Some(serde_json::json!("$.b"))
        );
        assert_eq!(
            value.to_json(),
            Some(serde_json::json!({"coalesce": [["$.a", 1]], "default": {"literal": "$.b"}}))
        );
    }
}
