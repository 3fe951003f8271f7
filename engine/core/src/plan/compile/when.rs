//! The front end of conditions (`when`), `cases` expressions and the keys of pattern
//! tables: raw nodes into the typed model, every mistake reported at its JSON pointer,
//! regular expressions, networks and ranges checked here so that compiling them later
//! cannot fail.

use super::front::Front;
use crate::diagnostic::{Code, Diagnostic, pointer_token};
use crate::mapping::condition::{COMBINATOR_KEYS, Comparison, Condition, TEST_KEYS, Test, TestOp};
use crate::mapping::model::OrderedMap;
use crate::mapping::node::Node;
use crate::mapping::value::{Case, CasesExpr, EachExpr, MatchKind, NestedObject};
use crate::plan::cond;

/// Reads a condition (a route rule's `when`), pushing a diagnostic for every mistake.
pub fn read_condition(node: &Node, ptr: &str, diags: &mut Vec<Diagnostic>) -> Option<Condition> {
    Front {
        diags,
        element_scope: false,
    }
    .condition(node, ptr)
}

const HELP: &str = "a condition is `{path: $.x, <test>: value}` with one test (equals, in, exists, prefix, suffix, contains, matches, cidr, gt, gte, lt, lte, same_as), or `{all: [...]}`, `{any: [...]}`, `{not: {...}}`";

impl Front<'_> {
    pub(super) fn condition(&mut self, node: &Node, ptr: &str) -> Option<Condition> {
        let Node::Object(entries) = node else {
            self.error(
                Code::BadCondition,
                ptr,
                format!("a condition is an object, not {}", node.to_value()),
                Some(HELP.into()),
            );
            return None;
        };
        let combinators: Vec<&str> = entries
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| COMBINATOR_KEYS.contains(k))
            .collect();
        if let [kind] = combinators.as_slice() {
            if entries.len() > 1 {
                let other = entries
                    .iter()
                    .find(|(k, _)| k != kind)
                    .map_or("", |(k, _)| k);
                self.error(
                    Code::BadCondition,
                    &format!("{ptr}/{}", pointer_token(other)),
                    format!("`{other}` cannot stand beside `{kind}`"),
                    Some(HELP.into()),
                );
                return None;
            }
            let body = &entries[0].1;
            let bptr = format!("{ptr}/{kind}");
            if *kind == "not" {
                return Some(Condition::Not(Box::new(self.condition(body, &bptr)?)));
            }
            let Node::Array(items) = body else {
                self.error(
                    Code::BadCondition,
                    &bptr,
                    format!("`{kind}` takes a list of conditions"),
                    None,
                );
                return None;
            };
            if items.is_empty() {
                self.error(
                    Code::BadCondition,
                    &bptr,
                    format!("`{kind}` of no condition: give at least one"),
                    None,
                );
                return None;
            }
            let mut conds = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                conds.push(self.condition(item, &format!("{bptr}/{i}"))?);
            }
            return Some(if *kind == "all" {
                Condition::All(conds)
            } else {
                Condition::Any(conds)
            });
        }
        if combinators.len() > 1 {
            self.error(
                Code::BadCondition,
                ptr,
                format!(
                    "a condition takes one of all, any, not; found {}",
                    combinators.join(", ")
                ),
                Some(HELP.into()),
            );
            return None;
        }
        if let Some((bad, _)) = entries
            .iter()
            .find(|(k, _)| k != "path" && !TEST_KEYS.contains(&k.as_str()))
        {
            self.error(
                Code::BadCondition,
                &format!("{ptr}/{}", pointer_token(bad)),
                format!("`{bad}` is not a test"),
                Some(HELP.into()),
            );
            return None;
        }
        let tests: Vec<&(String, Node)> = entries.iter().filter(|(k, _)| k != "path").collect();
        let [(op, operand)] = tests.as_slice() else {
            let found: Vec<&str> = tests.iter().map(|(k, _)| k.as_str()).collect();
            self.error(
                Code::BadCondition,
                ptr,
                if found.is_empty() {
                    "a condition needs a test".to_owned()
                } else {
                    format!("a condition takes one test; found {}", found.join(", "))
                },
                Some(HELP.into()),
            );
            return None;
        };
        let path = match node.get("path") {
            Some(Node::String(text)) if self.is_path_here(text) => {
                self.path(text, &format!("{ptr}/path"))?
            }
            Some(other) => {
                self.error(
                    Code::BadCondition,
                    &format!("{ptr}/path"),
                    format!("`path` must be a `$.` path, not {}", other.to_value()),
                    None,
                );
                return None;
            }
            None => {
                self.error(
                    Code::BadCondition,
                    ptr,
                    format!("the `{op}` test needs `path`: the value it tests"),
                    Some(HELP.into()),
                );
                return None;
            }
        };
        let optr = format!("{ptr}/{op}");
        let op = self.test_op(op, operand, &optr)?;
        Some(Condition::Test(Test { path, op }))
    }

    fn test_op(&mut self, op: &str, operand: &Node, ptr: &str) -> Option<TestOp> {
        let text = |node: &Node| match node {
            Node::String(s) => Some(s.clone()),
            Node::Number(n) => Some(n.to_string()),
            Node::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let expected = |what: &str| format!("`{op}` takes {what}, not {}", operand.to_value());
        Some(match op {
            "exists" => match operand {
                Node::Bool(b) => TestOp::Exists(*b),
                _ => return self.bad(ptr, expected("true or false")),
            },
            "in" => match operand {
                Node::Array(items) if items.is_empty() => {
                    return self.bad(
                        ptr,
                        "`in` of no value never holds: give at least one".into(),
                    );
                }
                Node::Array(items) => {
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        let Some(v) = text(item) else {
                            return self
                                .bad(ptr, expected("a list of strings, numbers or booleans"));
                        };
                        values.push(v);
                    }
                    TestOp::In(values)
                }
                _ => return self.bad(ptr, expected("a list")),
            },
            "gt" | "gte" | "lt" | "lte" => {
                let Some(n) = (match operand {
                    Node::Number(n) => n.as_f64(),
                    _ => None,
                }) else {
                    return self.bad(ptr, expected("a number"));
                };
                let c = match op {
                    "gt" => Comparison::Gt,
                    "gte" => Comparison::Gte,
                    "lt" => Comparison::Lt,
                    _ => Comparison::Lte,
                };
                TestOp::Compare(c, n)
            }
            "same_as" => match operand {
                Node::String(other) if self.is_path_here(other) => {
                    TestOp::SameAs(self.path(other, ptr)?)
                }
                _ => return self.bad(ptr, expected("a path")),
            },
            "cidr" => {
                let items: Vec<&Node> = match operand {
                    Node::Array(items) => items.iter().collect(),
                    one => vec![one],
                };
                let mut nets = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let at = if matches!(operand, Node::Array(_)) {
                        format!("{ptr}/{i}")
                    } else {
                        ptr.to_owned()
                    };
                    let Node::String(net) = item else {
                        return self
                            .bad(&at, expected("a network (`10.0.0.0/8`) or a list of them"));
                    };
                    if let Err(e) = cond::network(net) {
                        self.error(Code::BadPattern, &at, e, None);
                        return None;
                    }
                    nets.push(net.clone());
                }
                TestOp::Cidr(nets)
            }
            _ => {
                let Some(v) = text(operand) else {
                    let what = if op == "equals" {
                        "a string, number or boolean"
                    } else {
                        "a string"
                    };
                    return self.bad(ptr, expected(what));
                };
                match op {
                    "equals" => TestOp::Equals(v),
                    "prefix" => TestOp::Prefix(v),
                    "suffix" => TestOp::Suffix(v),
                    "contains" => TestOp::Contains(v),
                    _ => {
                        if let Err(e) = cond::regex(&v) {
                            self.error(Code::BadPattern, ptr, e, None);
                            return None;
                        }
                        TestOp::Matches(v)
                    }
                }
            }
        })
    }

    fn bad<T>(&mut self, ptr: &str, message: String) -> Option<T> {
        self.error(Code::BadCondition, ptr, message, None);
        None
    }

    /// `cases: [{when: <condition>, value: <value>}, ...]`.
    pub(super) fn cases(&mut self, body: &Node, ptr: &str) -> Option<CasesExpr> {
        let Node::Array(items) = body else {
            self.error(
                Code::BadExpression,
                ptr,
                "cases takes a list of `{when: <condition>, value: <value>}`".into(),
                None,
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                Code::BadExpression,
                ptr,
                "cases of no case: give at least one `{when: ..., value: ...}`".into(),
                None,
            );
            return None;
        }
        let mut cases = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let iptr = format!("{ptr}/{i}");
            let Node::Object(entries) = item else {
                self.error(
                    Code::BadExpression,
                    &iptr,
                    "a case is `{when: <condition>, value: <value>}`".into(),
                    None,
                );
                return None;
            };
            if let Some((bad, _)) = entries.iter().find(|(k, _)| k != "when" && k != "value") {
                self.error(
                    Code::BadExpression,
                    &format!("{iptr}/{}", pointer_token(bad)),
                    format!("`{bad}` is not part of a case"),
                    Some("a case takes `when` and `value`".into()),
                );
                return None;
            }
            let (Some(when), Some(value)) = (item.get("when"), item.get("value")) else {
                self.error(
                    Code::BadExpression,
                    &iptr,
                    "a case needs `when` (a condition) and `value`".into(),
                    None,
                );
                return None;
            };
            let when = self.condition(when, &format!("{iptr}/when"))?;
            let value = self.operand(value, &format!("{iptr}/value"))?;
            cases.push(Case { when, value });
        }
        Some(CasesExpr {
            cases,
            default: None,
        })
    }

    /// `{each: <array path>, where: <condition>, map: {<attribute>: <value>, ...}}`.
    pub(super) fn each(
        &mut self,
        body: &Node,
        bptr: &str,
        entries: &[(String, Node)],
        ptr: &str,
    ) -> Option<EachExpr> {
        let Node::String(source) = body else {
            self.error(
                Code::BadExpression,
                bptr,
                format!("`each` takes the path of an array, not {}", body.to_value()),
                None,
            );
            return None;
        };
        if !self.is_path_here(source) {
            self.error(
                Code::BadExpression,
                bptr,
                format!("`each` takes the path of an array (`$.list`), not `{source}`"),
                None,
            );
            return None;
        }
        let each = self.path(source, bptr)?;
        let Some(Node::Object(map)) = super::front::field(entries, "map") else {
            self.error(
                Code::BadExpression,
                ptr,
                "`each` needs `map`: the object each element becomes (`@.` paths read the element)"
                    .into(),
                None,
            );
            return None;
        };
        let outer = std::mem::replace(&mut self.element_scope, true);
        let mut filter = None;
        if let Some(node) = super::front::field(entries, "where") {
            filter = self.condition(node, &format!("{ptr}/where"));
            if filter.is_none() {
                self.element_scope = outer;
                return None;
            }
        }
        let map = map
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    self.value(v, &format!("{ptr}/map/{}", pointer_token(k))),
                )
            })
            .collect();
        self.element_scope = outer;
        Some(EachExpr {
            each,
            filter,
            map: NestedObject(OrderedMap(map)),
            default: None,
        })
    }

    /// Checks a key of a pattern table against its kind of match.
    pub(super) fn pattern_key(&mut self, kind: MatchKind, key: &str, ptr: &str) -> Option<()> {
        let problem = match kind {
            MatchKind::Regex => cond::regex(key).err(),
            MatchKind::Range => cond::range(key).err(),
            MatchKind::Prefix | MatchKind::Suffix if key.is_empty() => {
                Some("an empty key matches every value: use `other` instead".to_owned())
            }
            _ => None,
        };
        match problem {
            Some(message) => {
                self.error(Code::BadPattern, ptr, message, None);
                None
            }
            None => Some(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> (Option<Condition>, Vec<String>) {
        let node: Node = serde_yaml::from_str(yaml).unwrap();
        let mut diags = Vec::new();
        let cond = read_condition(&node, "/when", &mut diags);
        (cond, diags.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn every_test_and_combinator_is_read() {
        for yaml in [
            "{path: $.a, equals: x}",
            "{path: $.a, equals: 4}",
            "{path: $.a, in: [x, 2, true]}",
            "{path: $.a, exists: false}",
            "{path: $.a, prefix: Get}",
            "{path: $.a, suffix: User}",
            "{path: $.a, contains: Mfa}",
            "{path: $.a, matches: '^a+$'}",
            "{path: $.a, cidr: 10.0.0.0/8}",
            "{path: $.a, cidr: [10.0.0.0/8, '::1']}",
            "{path: $.a, gt: 1}",
            "{path: $.a, gte: 1.5}",
            "{path: $.a, lt: -1}",
            "{path: $.a, lte: 0}",
            "{path: $.a, same_as: $.b}",
            "{all: [{path: $.a, exists: true}, {not: {path: $.b, equals: x}}]}",
            "{any: [{path: $.a, exists: true}]}",
        ] {
            let (cond, diags) = read(yaml);
            assert_eq!(diags, Vec::<String>::new(), "{yaml}");
            assert!(cond.is_some(), "{yaml}");
        }
        let (cond, _) = read("{path: $.a, in: [x, 2]}");
        assert!(
            matches!(cond, Some(Condition::Test(Test { op: TestOp::In(ref v), .. })) if v == &["x", "2"])
        );
    }

    #[test]
    fn each_mistake_is_reported_at_its_pointer() {
        for (yaml, want) in [
            (
                "x",
                "error[OM030] /when: a condition is an object, not \"x\"",
            ),
            (
                "{path: $.a}",
                "error[OM030] /when: a condition needs a test",
            ),
            (
                "{path: $.a, equals: x, prefix: y}",
                "error[OM030] /when: a condition takes one test; found equals, prefix",
            ),
            (
                "{path: $.a, equal: x}",
                "error[OM030] /when/equal: `equal` is not a test",
            ),
            (
                "{equals: x}",
                "error[OM030] /when: the `equals` test needs `path`: the value it tests",
            ),
            (
                "{path: a, equals: x}",
                "error[OM030] /when/path: `path` must be a `$.` path, not \"a\"",
            ),
            (
                "{path: $.a, in: x}",
                "error[OM030] /when/in: `in` takes a list, not \"x\"",
            ),
            (
                "{path: $.a, in: []}",
                "error[OM030] /when/in: `in` of no value never holds: give at least one",
            ),
            (
                "{path: $.a, gt: ten}",
                "error[OM030] /when/gt: `gt` takes a number, not \"ten\"",
            ),
            (
                "{path: $.a, same_as: b}",
                "error[OM030] /when/same_as: `same_as` takes a path, not \"b\"",
            ),
            (
                "{path: $.a, exists: yes please}",
                "error[OM030] /when/exists: `exists` takes true or false, not \"yes please\"",
            ),
            (
                "{path: $.a, matches: '('}",
                "error[OM031] /when/matches: `(` is not a valid regular expression",
            ),
            (
                "{path: $.a, cidr: [10.0.0.0/8, 10.0.0.0/40]}",
                "error[OM031] /when/cidr/1: `10.0.0.0/40` is not a network",
            ),
            (
                "{all: []}",
                "error[OM030] /when/all: `all` of no condition: give at least one",
            ),
            (
                "{all: {path: $.a, exists: true}}",
                "error[OM030] /when/all: `all` takes a list of conditions",
            ),
            (
                "{any: [{path: $.a, exists: true}, {path: $.b}]}",
                "error[OM030] /when/any/1: a condition needs a test",
            ),
            (
                "{not: {path: $.a, exists: true}, path: $.b}",
                "error[OM030] /when/path: `path` cannot stand beside `not`",
            ),
            (
                "{all: [], any: []}",
                "error[OM030] /when: a condition takes one of all, any, not; found all, any",
            ),
        ] {
            let (cond, diags) = read(yaml);
            assert!(cond.is_none(), "{yaml}");
            assert_eq!(diags.len(), 1, "{yaml}: {diags:?}");
            assert!(
                diags[0].starts_with(want),
                "{yaml}:\n{}\nwanted\n{want}",
                diags[0]
            );
        }
    }
}
