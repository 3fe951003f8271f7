//! The router: which route each event takes, by the value of `matched_field`, with
//! the default route for values no route is keyed by.

use super::Compiler;
use crate::diagnostic::Code;
use crate::mapping::model::SourceEvents;
use crate::plan::trie::ROOT;
use crate::plan::{PathRef, Route, Router};

impl Compiler<'_> {
    pub(super) fn router(&mut self, src: &SourceEvents, root: &str, routes: &[Route]) -> Router {
        let index_of = |key: &str| routes.iter().position(|r| r.key == key);
        let default = src.default_route.as_deref().and_then(|key| {
            let found = index_of(key);
            if found.is_none() {
                let mut known: Vec<&str> = routes.iter().take(20).map(|r| r.key.as_str()).collect();
                if routes.len() > known.len() {
                    known.push("...");
                }
                self.error(
                    Code::UnknownRoute,
                    &format!("{root}/default_route"),
                    format!("default_route `{key}` names no entry of ocsf_mapping"),
                    Some(format!("routes are: {}", known.join(", "))),
                );
            }
            found
        });
        match &src.matched_field {
            Some(field) => {
                let path = self
                    .path_text(field, &format!("{root}/matched_field"))
                    .unwrap_or(PathRef::Simple(ROOT));
                self.reads.clear();
                let table = routes
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.key.as_str().into(), i))
                    .collect();
                Router::ByField {
                    path,
                    table,
                    default,
                }
            }
            None if routes.len() == 1 => Router::Single(0),
            None => {
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
        }
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
        let Router::ByField { table, default, .. } = &plan.router else {
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
