//! Expressions: typed mapping values compiled into [`Expr`]s, their paths added to the
//! trie of what the route reads.

use super::Compiler;
use crate::mapping::value::{EnumSpec, Expression, Operand, Template, TemplatePiece};
use crate::plan::time::TimeFormat;
use crate::plan::{EnumTable, Expr, FastMap, TemplatePart};

impl Compiler<'_> {
    /// Compiles an expression; returns it and the time format it names, if any.
    pub(super) fn expression(&mut self, e: &Expression) -> (Expr, Option<TimeFormat>) {
        let mut format = None;
        let expr = match e {
            Expression::Literal(l) => Expr::Literal(l.literal.clone()),
            Expression::Enum(e) => Expr::Enum(Box::new(self.enum_table(&e.table))),
            Expression::Coalesce(c) => {
                Expr::Coalesce(c.coalesce.iter().map(|o| self.operand(o)).collect())
            }
            Expression::Template(t) => Expr::Template(self.template(&t.template)),
            Expression::Timestamp(t) => {
                // The front end has checked the format: `Auto` is never taken here.
                format = t
                    .timestamp
                    .format
                    .as_deref()
                    .map(|f| TimeFormat::parse(f).unwrap_or(TimeFormat::Auto));
                Expr::Path(self.path(&t.timestamp.field.parsed))
            }
            Expression::Split(s) => Expr::Split {
                inner: Box::new(self.operand(&s.split)),
                separator: s.separator.clone(),
                index: s.index,
            },
        };
        let expr = match e.default() {
            Some(default) => Expr::WithDefault(Box::new(expr), Box::new(self.operand(default))),
            None => expr,
        };
        (expr, format)
    }

    fn operand(&mut self, operand: &Operand) -> Expr {
        match operand {
            Operand::Path(p) => Expr::Path(self.path(&p.parsed)),
            Operand::Literal(s) => Expr::Literal(s.to_value()),
            Operand::List(items) => Expr::Literal(serde_json::Value::Array(items.clone())),
            Operand::Expr(e) => self.expression(e).0,
        }
    }

    fn enum_table(&mut self, spec: &EnumSpec) -> EnumTable {
        let evaluate = self.path(&spec.evaluate.parsed);
        let mut values = FastMap::default();
        for (k, v) in &spec.values.0 {
            let expr = self.operand(v);
            values.insert(k.as_str().into(), expr);
        }
        let other = spec.other.as_ref().map(|o| self.operand(o));
        EnumTable {
            evaluate,
            values,
            other,
        }
    }

    fn template(&mut self, template: &Template) -> Vec<TemplatePart> {
        template
            .parts
            .iter()
            .map(|part| match part {
                TemplatePiece::Text(t) => TemplatePart::Text(t.clone()),
                TemplatePiece::Path(p) => TemplatePart::Path(self.path(&p.parsed)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, mapping};
    use crate::plan::{Expr, OutNode, Plan, compile};

    /// The compiled expression of `message` in a Network Activity route.
    fn message(value: &str) -> String {
        let plan: Plan = compile(&mapping(
            "schema: network_activity",
            &format!("{{time: $.t, message: {value}}}"),
        ))
        .unwrap();
        let fields = plan.routes[0].fields.as_ref().unwrap();
        let field = fields.iter().find(|f| &*f.name == "message").unwrap();
        let OutNode::Leaf(leaf) = &field.node else {
            panic!("{:?}", field.node)
        };
        kind(&leaf.expr)
    }

    fn kind(expr: &Expr) -> String {
        match expr {
            Expr::Path(_) => "path".into(),
            Expr::Literal(v) => format!("literal {v}"),
            Expr::Enum(t) => format!("enum of {}", t.values.len()),
            Expr::Coalesce(items) => format!(
                "coalesce [{}]",
                items.iter().map(kind).collect::<Vec<_>>().join(", ")
            ),
            Expr::Template(parts) => format!("template of {}", parts.len()),
            Expr::Split {
                inner,
                separator,
                index,
            } => format!("split {} on {separator:?} at {index}", kind(inner)),
            Expr::WithDefault(inner, default) => {
                format!("{} or else {}", kind(inner), kind(default))
            }
        }
    }

    #[test]
    fn each_expression_kind_compiles() {
        for (value, want) in [
            ("$.m", "path"),
            ("hello", "literal \"hello\""),
            ("{literal: $.m}", "literal \"$.m\""),
            (
                "{enum: {evaluate: $.k, values: {a: x, b: y}, other: z}}",
                "enum of 2",
            ),
            (
                "{coalesce: [$.a, {literal: b}]}",
                "coalesce [path, literal \"b\"]",
            ),
            ("{template: 'at {$.a} and {$.b}'}", "template of 4"),
            ("{timestamp: {field: $.t, format: epoch_ms}}", "path"),
            (
                "{split: $.a, separator: '/', index: -1}",
                "split path on \"/\" at -1",
            ),
            (
                "{template: '{$.a}', default: none}",
                "template of 1 or else literal \"none\"",
            ),
        ] {
            assert_eq!(message(value), want, "{value}");
        }
    }

    #[test]
    fn expression_mistakes_are_reported_where_they_are() {
        let got = diagnostics(&mapping(
            "schema: network_activity",
            "{time: {enum: {values: {}}}, message: {template: '{oops}'}, dst_endpoint: {ip: {coalesce: $.x}}}",
        ));
        assert_eq!(
            got,
            [
                "error[OM006] /custom_source_events/ocsf_mapping/r/schema_mapping/time/enum: enum needs `evaluate`: the path whose value is looked up",
                "error[OM006] /custom_source_events/ocsf_mapping/r/schema_mapping/message/template: `{oops}` in a template must hold a `$.` path (help: write `{{` for a literal brace)",
                "error[OM006] /custom_source_events/ocsf_mapping/r/schema_mapping/dst_endpoint/ip/coalesce: coalesce takes a list",
            ]
        );
    }
}
