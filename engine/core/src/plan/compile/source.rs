//! The source-wide parts of a mapping: the published `timestamp` block, key-value
//! fields, drop rules, then every route, the router and the input format, assembled
//! into the [`Plan`].

use std::sync::Arc;

use super::{Compiler, consumed_marks, key_string};
use crate::diagnostic::{Code, pointer_token};
use crate::mapping::model::SourceEvents;
use crate::mapping::path::{self, SourcePath};
use crate::plan::time::TimeFormat;
use crate::plan::{DropCond, Plan};
use crate::schema::Schema;

impl Compiler<'_> {
    pub(super) fn source(
        &mut self,
        src: &SourceEvents,
        version: &str,
        schema: &Arc<Schema>,
    ) -> Plan {
        let root = "/custom_source_events";
        if let Some(ts) = &src.timestamp {
            let format = match ts.format.as_deref().map(TimeFormat::parse).transpose() {
                Ok(f) => f.unwrap_or(TimeFormat::Auto),
                Err(e) => {
                    self.error(
                        Code::TimeFormat,
                        &format!("{root}/timestamp/format"),
                        e,
                        None,
                    );
                    TimeFormat::Auto
                }
            };
            match path::parse(&ts.field) {
                Ok(SourcePath::Simple(segments)) => self.time_field = Some((segments, format)),
                Ok(SourcePath::Query { .. } | SourcePath::Element(_)) => self.error(
                    Code::PathSyntax,
                    &format!("{root}/timestamp/field"),
                    format!("the timestamp field `{}` must be a simple path", ts.field),
                    None,
                ),
                Err(e) => self.diags.push(super::front::path_diagnostic(
                    &format!("{root}/timestamp/field"),
                    e,
                )),
            }
        }
        for (i, field) in src.input.key_value_fields.iter().enumerate() {
            let ptr = format!("{root}/input/key_value_fields/{i}");
            match path::parse(field) {
                Ok(SourcePath::Simple(segments)) => {
                    let node = self.trie.insert(&segments);
                    self.trie.nodes[node as usize].key_values = true;
                }
                Ok(SourcePath::Query { .. } | SourcePath::Element(_)) => {
                    self.error(
                        Code::PathSyntax,
                        &ptr,
                        format!("`{field}` must be a simple path"),
                        None,
                    );
                }
                Err(e) => self.diags.push(super::front::path_diagnostic(&ptr, e)),
            }
        }
        let drops = src
            .drop
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                let path = self.path_text(&rule.field, &format!("{root}/drop/{i}/field"))?;
                let any_of = rule
                    .any_of
                    .iter()
                    .flatten()
                    .filter_map(key_string)
                    .collect();
                Some(DropCond {
                    path,
                    any_of,
                    missing: rule.missing,
                })
            })
            .collect();
        // Routing and drop fields are read for every event but not consumed by a route.
        self.reads.clear();

        let mut routes = Vec::new();
        let mut route_reads = Vec::new();
        for (key, spec) in &src.ocsf_mapping.0 {
            let ptr = format!("{root}/ocsf_mapping/{}", pointer_token(key));
            self.reads.clear();
            self.memory = 0;
            self.memory_full = false;
            self.route_ptr.clone_from(&ptr);
            if let Some(written) = &mut self.written {
                written.push(Vec::new());
            }
            let rest = spec.unmapped_rest.unwrap_or(src.unmapped_rest);
            let moved = src.on_type_error == crate::mapping::OnTypeError::Unmapped;
            routes.push(self.route(key, spec, &ptr, version, rest, moved));
            route_reads.push(std::mem::take(&mut self.reads));
        }
        let router = self.router(src, root, &routes);
        // Consumption marks need the final trie, so they are computed last.
        let parents = self.trie.parents();
        for (route, reads) in routes.iter_mut().zip(route_reads) {
            route.consumed = consumed_marks(&parents, reads);
        }
        let input = self.input_format(&src.input, root);
        Plan {
            source_name: src.source_name.clone(),
            ocsf_version: version.to_owned(),
            input,
            warnings: Vec::new(),
            security_lake: src.security_lake.clone().unwrap_or_default(),
            schema: Arc::clone(schema),
            trie: std::mem::take(&mut self.trie),
            drops,
            router,
            routes,
            on_type_error: src.on_type_error,
            null_values: src
                .input
                .null_values
                .iter()
                .map(|s| s.as_str().into())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, parse};

    #[test]
    fn source_wide_fields_are_checked_at_their_pointers() {
        let file = parse(
            "custom_source_events:
  source_name: t
  timestamp: {field: '$.a[*]', format: '%Q%'}
  input: {key_value_fields: ['$.kv[*]']}
  drop: [{field: '$.x..', in: [1]}]
  ocsf_mapping:
    r: {schema: base_event, schema_mapping: {time: $.t}}
",
        );
        let got = diagnostics(&file);
        for want in [
            "error[OM009] /custom_source_events/timestamp/format:",
            "error[OM003] /custom_source_events/timestamp/field: the timestamp field `$.a[*]` must be a simple path",
            "error[OM003] /custom_source_events/input/key_value_fields/0: `$.kv[*]` must be a simple path",
            "error[OM003] /custom_source_events/drop/0/field:",
        ] {
            assert!(
                got.iter().any(|g| g.starts_with(want)),
                "{want} not in {got:#?}"
            );
        }
    }
}
