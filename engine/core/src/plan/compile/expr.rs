//! Expressions: typed mapping values compiled into [`Expr`]s, their paths added to the
//! trie of what the route reads.

use super::Compiler;
use crate::mapping::condition::{Condition, Test, TestOp};
use crate::mapping::value::{EnumSpec, Expression, MatchKind, Operand, Template, TemplatePiece};
use crate::plan::cond::{self, Cond, CondTest, Lookup, Pattern};
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
            Expression::Function(f) => self.function(f),
            // Typing compiles an `each` where an array of objects is mapped, and
            // reports it anywhere else.
            Expression::Each(_) => Expr::Literal(serde_json::Value::Null),
            Expression::Cases(c) => Expr::Cases(
                c.cases
                    .iter()
                    .map(|case| (self.condition(&case.when), self.operand(&case.value)))
                    .collect(),
            ),
        };
        let expr = match e.default() {
            Some(default) => Expr::WithDefault(Box::new(expr), Box::new(self.operand(default))),
            None => expr,
        };
        (expr, format)
    }

    pub(super) fn operand(&mut self, operand: &Operand) -> Expr {
        match operand {
            Operand::Path(p) => Expr::Path(self.path(&p.parsed)),
            Operand::Literal(s) => Expr::Literal(s.to_value()),
            Operand::List(items) => Expr::Literal(serde_json::Value::Array(items.clone())),
            Operand::Expr(e) => self.expression(e).0,
        }
    }

    /// Compiles a condition the front end has checked (its patterns and networks
    /// parse); a part that would not is a test that never holds.
    pub(super) fn condition(&mut self, c: &Condition) -> Cond {
        match c {
            Condition::All(items) => Cond::All(items.iter().map(|c| self.condition(c)).collect()),
            Condition::Any(items) => Cond::Any(items.iter().map(|c| self.condition(c)).collect()),
            Condition::Not(inner) => Cond::Not(Box::new(self.condition(inner))),
            Condition::Test(Test {
                path,
                op: TestOp::SameAs(other),
            }) => Cond::Same {
                path: self.path(&path.parsed),
                other: self.path(&other.parsed),
            },
            Condition::Test(t) => {
                let path = self.path(&t.path.parsed);
                let test = match &t.op {
                    TestOp::Equals(v) => CondTest::Equals(v.as_str().into()),
                    TestOp::In(vs) => CondTest::In(vs.iter().map(|v| v.as_str().into()).collect()),
                    TestOp::Exists(b) => CondTest::Exists(*b),
                    TestOp::Prefix(v) => CondTest::Prefix(v.as_str().into()),
                    TestOp::Suffix(v) => CondTest::Suffix(v.as_str().into()),
                    TestOp::Contains(v) => CondTest::Contains(v.as_str().into()),
                    TestOp::Matches(p) => match cond::regex(p) {
                        Ok(re) => CondTest::Matches(re),
                        Err(_) => CondTest::In(Vec::new()),
                    },
                    TestOp::Cidr(nets) => {
                        CondTest::Cidr(nets.iter().filter_map(|n| cond::network(n).ok()).collect())
                    }
                    TestOp::Compare(op, bound) => CondTest::Compare(*op, *bound),
                    // Taken by the arm above.
                    TestOp::SameAs(_) => CondTest::In(Vec::new()),
                };
                Cond::Test { path, test }
            }
        }
    }

    fn enum_table(&mut self, spec: &EnumSpec) -> EnumTable {
        let evaluate = self.path(&spec.evaluate.parsed);
        let values = match spec.match_kind {
            MatchKind::Exact | MatchKind::CaseInsensitive => {
                if spec.match_kind == MatchKind::CaseInsensitive {
                    let mut map = FastMap::default();
                    for (k, v) in &spec.values.0 {
                        let expr = self.operand(v);
                        // The first of two keys equal once lower-cased wins, as in file order.
                        map.entry(k.to_lowercase().into())
                            .or_insert((k.as_str().into(), expr));
                    }
                    Lookup::CaseInsensitive(map)
                } else {
                    let mut map = FastMap::default();
                    for (k, v) in &spec.values.0 {
                        let expr = self.operand(v);
                        map.insert(k.as_str().into(), expr);
                    }
                    Lookup::Exact(map)
                }
            }
            kind => {
                let mut patterns = Vec::with_capacity(spec.values.0.len());
                for (k, v) in &spec.values.0 {
                    let expr = self.operand(v);
                    let pattern = match kind {
                        MatchKind::Prefix => Pattern::Prefix(k.as_str().into()),
                        MatchKind::Suffix => Pattern::Suffix(k.as_str().into()),
                        MatchKind::Regex => match cond::regex(k) {
                            Ok(re) => Pattern::Regex(re),
                            Err(_) => continue,
                        },
                        _ => match cond::range(k) {
                            Ok((lo, hi)) => Pattern::Range(lo, hi),
                            Err(_) => continue,
                        },
                    };
                    patterns.push((k.as_str().into(), pattern, expr));
                }
                Lookup::Ordered(patterns)
            }
        };
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
    use crate::plan::{Derived, Expr, OutNode, Plan, compile};

    /// The compiled expression of `message` in a Network Activity route.
    fn message(value: &str) -> String {
        let plan: Plan = compile(&mapping(
            "schema: network_activity",
            &format!("{{time: $.t, message: {value}}}"),
        ))
        .unwrap();
        let fields = plan.routes[0].fields.as_ref().unwrap();
        let field = fields.iter().find(|f| &*f.name == "message").unwrap();
        match &field.node {
            OutNode::Leaf(leaf) => kind(&leaf.expr),
            // Literals are rendered once, at compile time.
            OutNode::Derived {
                derived: Derived::Literal { value, .. },
                ..
            } => format!("literal {}", value.json),
            other => panic!("{other:?}"),
        }
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
            Expr::Function(f, inner) => format!("{f:?} of {}", kind(inner)),
            Expr::Cases(cases) => format!(
                "cases [{}]",
                cases
                    .iter()
                    .map(|(_, e)| kind(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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
