//! Class resolution: the OCSF class a route produces, from its `schema` (a class
//! name) or its `class_uid` (a number, or a string holding one).

use super::Compiler;
use crate::diagnostic::{Code, did_you_mean};
use crate::mapping::model::RouteSpec;
use crate::mapping::value::{MappingValue, Scalar};
use crate::schema::Class;

/// The uid a route's `class_uid` names, if it is a literal number or numeric string.
pub(super) fn literal_uid(mapping: &[(String, MappingValue)]) -> Option<i64> {
    match mapping
        .iter()
        .find(|(k, _)| k == "class_uid")
        .map(|(_, v)| v)
    {
        Some(MappingValue::Literal(Scalar::Number(n))) => n.as_i64(),
        Some(MappingValue::Literal(Scalar::String(s))) => s.parse().ok(),
        _ => None,
    }
}

impl<'s> Compiler<'s> {
    /// The route's class; a diagnostic when it names none. `mapping` is the route's
    /// `schema_mapping` when it is an object.
    pub(super) fn class(
        &mut self,
        spec: &RouteSpec,
        mapping: &[(String, MappingValue)],
        ptr: &str,
    ) -> Option<&'s Class> {
        let schema = self.schema;
        let by_uid = literal_uid(mapping);
        if let Some(name) = &spec.schema {
            if let Some(class) = schema.class_by_name(name) {
                return Some(class);
            }
            if let Some(class) = by_uid.and_then(|uid| schema.class_by_uid(uid)) {
                return Some(class);
            }
            let suggestion = did_you_mean(name, schema.classes().map(|c| c.name.as_str()));
            self.error(
                Code::UnknownClass,
                &format!("{ptr}/schema"),
                format!("OCSF {} has no class `{name}`", schema.version),
                suggestion.map(|s| format!("did you mean `{s}`?")),
            );
            return None;
        }
        if let Some(uid) = by_uid {
            if let Some(class) = schema.class_by_uid(uid) {
                return Some(class);
            }
            self.error(
                Code::UnknownClass,
                &format!("{ptr}/schema_mapping/class_uid"),
                format!("OCSF {} has no class with uid {uid}", schema.version),
                None,
            );
            return None;
        }
        self.error(
            Code::UnknownClass,
            ptr,
            "the route names no class".into(),
            Some("add `schema: <class name>` (for example `network_activity`)".into()),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{diagnostics, mapping};
    use crate::plan::compile;

    fn class_of(class_line: &str, body: &str) -> Option<i64> {
        let plan = compile(&mapping(class_line, body)).unwrap();
        plan.routes().next().and_then(|(_, uid)| uid)
    }

    #[test]
    fn a_class_is_found_by_name_by_uid_number_or_by_uid_string() {
        assert_eq!(
            class_of("schema: network_activity", "{time: $.t}"),
            Some(4001)
        );
        assert_eq!(
            class_of("drop: false", "{class_uid: 4001, time: $.t}"),
            Some(4001)
        );
        assert_eq!(
            class_of("drop: false", "{class_uid: '4001', time: $.t}"),
            Some(4001)
        );
        // A misspelt name is forgiven when the uid names the class.
        assert_eq!(
            class_of("schema: network_activty", "{class_uid: 4001, time: $.t}"),
            Some(4001)
        );
    }

    #[test]
    fn unknown_classes_are_reported_where_they_are_named() {
        assert_eq!(
            diagnostics(&mapping("schema: network_activty", "{time: $.t}")),
            [
                "error[OM001] /custom_source_events/ocsf_mapping/r/schema: OCSF 1.1.0 has no class `network_activty` (help: did you mean `network_activity`?)"
            ]
        );
        assert_eq!(
            diagnostics(&mapping("drop: false", "{class_uid: 12345}")),
            [
                "error[OM001] /custom_source_events/ocsf_mapping/r/schema_mapping/class_uid: OCSF 1.1.0 has no class with uid 12345"
            ]
        );
        assert_eq!(
            diagnostics(&mapping("drop: false", "{time: $.t}")),
            [
                "error[OM001] /custom_source_events/ocsf_mapping/r: the route names no class (help: add `schema: <class name>` (for example `network_activity`))"
            ]
        );
    }
}
