//! Value functions: their front end (raw nodes into the typed model, mistakes at their
//! JSON pointer, regular expressions checked) and their compilation.

use super::Compiler;
use super::front::{Front, field};
use crate::diagnostic::Code;
use crate::mapping::node::Node;
pub use crate::mapping::value::FUNCTION_KEYS;
use crate::mapping::value::{
    FunctionExpr, JoinExpr, KeyValuesExpr, LookupExpr, Lower, ParseJson, ReplaceExpr, Trim, Unary,
    Upper, UrlDecode,
};
use crate::plan::func::Func;
use crate::plan::{Expr, cond};

impl Front<'_> {
    /// `{<function>: <value>, ...}`: `body` is the value, `entries` the whole object.
    pub(super) fn function(
        &mut self,
        name: &str,
        body: &Node,
        bptr: &str,
        entries: &[(String, Node)],
        ptr: &str,
    ) -> Option<FunctionExpr> {
        let input = self.operand(body, bptr)?;
        Some(match name {
            "lower" => FunctionExpr::Lower(Unary::new(input, Lower)),
            "upper" => FunctionExpr::Upper(Unary::new(input, Upper)),
            "trim" => FunctionExpr::Trim(Unary::new(input, Trim)),
            "url_decode" => FunctionExpr::UrlDecode(Unary::new(input, UrlDecode)),
            "parse_json" => FunctionExpr::ParseJson(Unary::new(input, ParseJson)),
            "join" => FunctionExpr::Join(JoinExpr {
                join: input,
                separator: self.text_part(entries, "separator", ptr, name, true, false)?,
                default: None,
            }),
            "replace" => {
                let pattern = self.text_part(entries, "pattern", ptr, name, true, true)?;
                if let Err(e) = cond::regex(&pattern) {
                    self.error(Code::BadPattern, &format!("{ptr}/pattern"), e, None);
                    return None;
                }
                FunctionExpr::Replace(ReplaceExpr {
                    replace: input,
                    pattern,
                    with: self.text_part(entries, "with", ptr, name, true, false)?,
                    default: None,
                })
            }
            "lookup" => FunctionExpr::Lookup(LookupExpr {
                lookup: input,
                table: self.text_part(entries, "table", ptr, name, true, true)?,
                default: None,
                at: format!("{ptr}/table"),
            }),
            _ => {
                let part = |front: &mut Self, key| -> Option<Option<String>> {
                    if field(entries, key).is_none() {
                        return Some(None);
                    }
                    front
                        .text_part(entries, key, ptr, name, false, true)
                        .map(Some)
                };
                FunctionExpr::KeyValues(KeyValuesExpr {
                    key_values: input,
                    pairs: part(self, "pairs")?,
                    separator: part(self, "separator")?,
                    default: None,
                })
            }
        })
    }

    /// A string part of a function (`separator`, `pattern`, ...).
    fn text_part(
        &mut self,
        entries: &[(String, Node)],
        key: &str,
        ptr: &str,
        function: &str,
        required: bool,
        non_empty: bool,
    ) -> Option<String> {
        match field(entries, key) {
            Some(Node::String(s)) if !(non_empty && s.is_empty()) => Some(s.clone()),
            Some(other) => {
                let what = if non_empty {
                    "a non-empty string"
                } else {
                    "a string"
                };
                self.error(
                    Code::BadExpression,
                    &format!("{ptr}/{key}"),
                    format!(
                        "`{key}` of `{function}` must be {what}, not {}",
                        other.to_value()
                    ),
                    None,
                );
                None
            }
            None if required => {
                self.error(
                    Code::BadExpression,
                    ptr,
                    format!("`{function}` needs `{key}`"),
                    None,
                );
                None
            }
            None => Some(String::new()),
        }
    }
}

impl Compiler<'_> {
    pub(super) fn function(&mut self, f: &FunctionExpr) -> Expr {
        let func = match f {
            FunctionExpr::Lower(_) => Func::Lower,
            FunctionExpr::Upper(_) => Func::Upper,
            FunctionExpr::Trim(_) => Func::Trim,
            FunctionExpr::UrlDecode(_) => Func::UrlDecode,
            FunctionExpr::ParseJson(_) => Func::ParseJson,
            FunctionExpr::Join(j) => Func::Join(j.separator.clone()),
            FunctionExpr::Replace(r) => match cond::regex(&r.pattern) {
                Ok(re) => Func::Replace(re, r.with.clone()),
                // Checked by the front end; never taken.
                Err(_) => Func::Trim,
            },
            FunctionExpr::KeyValues(k) => Func::KeyValues {
                pairs: k.pairs.clone().unwrap_or_else(|| ";".into()),
                separator: k.separator.clone().unwrap_or_else(|| "=".into()),
            },
            FunctionExpr::Lookup(l) => {
                if let Some(table) = self.lookups.get(l.table.as_str()) {
                    Func::Lookup(std::sync::Arc::clone(table))
                } else {
                    let known: Vec<&str> = self.lookups.keys().map(|k| &**k).collect();
                    let help = if known.is_empty() {
                        "declare it under `lookups` (name: {file: ..., key: ..., value: ...})"
                            .into()
                    } else {
                        format!("the tables are: {}", known.join(", "))
                    };
                    self.error(
                        Code::BadLookup,
                        &l.at,
                        format!("no lookup table `{}`", l.table),
                        Some(help),
                    );
                    // The error fails the compilation; the plan is never run.
                    Func::Trim
                }
            }
        };
        Expr::Function(Box::new(func), Box::new(self.operand(f.input())))
    }
}

#[cfg(test)]
mod tests {
    use super::FUNCTION_KEYS;

    #[test]
    fn the_function_keys_are_the_functions() {
        assert_eq!(
            FUNCTION_KEYS,
            [
                "lower",
                "upper",
                "trim",
                "url_decode",
                "parse_json",
                "join",
                "replace",
                "key_values",
                "lookup"
            ]
        );
    }
}
