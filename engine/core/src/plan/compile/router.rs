//! The router: which route each event takes: the first of `route_rules` whose
//! condition holds, else the route keyed by the value of `matched_field`, else the
//! default route.

use super::Compiler;
use crate::diagnostic::Code;
use crate::mapping::model::SourceEvents;
use crate::plan::trie::ROOT;
use crate::plan::{PathRef, Route, Router};

use super::when::read_condition;

impl Compiler<'_> {
    pub(super) fn router(&mut self, src: &SourceEvents, root: &str, routes: &[Route]) -> Router {
        let default = src.default_route.as_deref().and_then(|key| {
            self.route_index(
                routes,
                key,
                &format!("{root}/default_route"),
                "default_route",
            )
        });
        let mut rules = Vec::with_capacity(src.route_rules.len());
        for (i, rule) in src.route_rules.iter().enumerate() {
            let ptr = format!("{root}/route_rules/{i}");
            let when = read_condition(&rule.when, &format!("{ptr}/when"), &mut self.diags);
            let index = self.route_index(routes, &rule.route, &format!("{ptr}/route"), "route");
            if let (Some(when), Some(index)) = (when, index) {
                rules.push((self.condition(&when), index));
            }
        }
        let by_field = src.matched_field.as_ref().map(|field| {
            let path = self
                .path_text(field, &format!("{root}/matched_field"))
                .unwrap_or(PathRef::Simple(ROOT));
            let table = routes
                .iter()
                .enumerate()
                .map(|(i, r)| (r.key.as_str().into(), i))
                .collect();
            (path, table)
        });
        // What the router reads is not what a route reads (`unmapped` keeps it).
        self.reads.clear();
        match by_field {
            None if src.route_rules.is_empty() && routes.len() == 1 => Router::Single(0),
            None if src.route_rules.is_empty() => {
                self.error(
                    Code::MissingMatchedField,
                    &format!("{root}/ocsf_mapping"),
                    format!(
                        "{} routes but no matched_field to choose between them",
                        routes.len()
                    ),
                    Some("add `matched_field: $.<field holding the event kind>`".into()),
                );
                Router::Single(0)
            }
            by_field => Router::Rules {
                rules,
                by_field,
                default,
            },
        }
    }

    /// The index of the route `key` names; an error at `ptr` when it names none.
    fn route_index(&mut self, routes: &[Route], key: &str, ptr: &str, what: &str) -> Option<usize> {
        let found = routes.iter().position(|r| r.key == key);
        if found.is_none() {
            let mut known: Vec<&str> = routes.iter().take(20).map(|r| r.key.as_str()).collect();
            if routes.len() > known.len() {
                known.push("...");
            }
            self.error(
                Code::UnknownRoute,
                ptr,
                format!("{what} `{key}` names no entry of ocsf_mapping"),
                Some(format!("routes are: {}", known.join(", "))),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, parse};
    use crate::plan::{Router, compile};

    fn two_routes(extra: &str) -> crate::mapping::MappingFile {
        parse(&format!(
            "custom_source_events:
  source_name: t
{extra}  ocsf_mapping:
    a: {{schema: base_event, schema_mapping: {{time: $.t}}}}
    b: {{schema: base_event, schema_mapping: {{time: $.t}}}}
"
        ))
    }

    #[test]
    fn routes_by_field_with_a_default() {
        let plan = compile(&two_routes("  matched_field: $.kind\n  default_route: b\n")).unwrap();
        let Router::Rules {
            by_field: Some((_, table)),
            default,
            ..
        } = &plan.router
        else {
            panic!("{:?}", plan.router)
        };
        assert_eq!(table.get("a"), Some(&0));
        assert_eq!(table.get("b"), Some(&1));
        assert_eq!(*default, Some(1));
    }

    #[test]
    fn one_route_needs_no_field() {
        let file = parse(
            "custom_source_events:\n  source_name: t\n  ocsf_mapping:\n    only: {schema: base_event, schema_mapping: {time: $.t}}\n",
        );
        assert!(matches!(compile(&file).unwrap().router, Router::Single(0)));
    }

    #[test]
    fn routing_mistakes_are_reported() {
        let got = diagnostics(&two_routes("  default_route: c\n"));
        assert_eq!(
            got,
            [
                "error[OM008] /custom_source_events/default_route: default_route `c` names no entry of ocsf_mapping (help: routes are: a, b)",
                "error[OM010] /custom_source_events/ocsf_mapping: 2 routes but no matched_field to choose between them (help: add `matched_field: $.<field holding the event kind>`)",
            ]
        );
    }
}
