//! The OCSF schema, compiled for offline use: classes, objects, attribute types and enums.
//!
//! The schema files under `schemas/` are embedded in the binary and parsed once per
//! version on first use, so a mapping compiles without touching the file system.

mod model;

pub use model::{AttrType, Attribute, Class, Constraints, Enum, ObjectDef, Requirement, Schema};

use std::sync::{Arc, OnceLock};

/// OCSF versions this build carries; the first is the default (Security Lake's).
pub const SUPPORTED_VERSIONS: &[&str] = &["1.1.0", "1.8.0"];

/// The version used when a mapping does not name one.
pub const DEFAULT_VERSION: &str = "1.1.0";

const SCHEMA_1_1_0: &str = include_str!("../../../../schemas/ocsf-1.1.0.core.min.json");
const SCHEMA_1_8_0: &str = include_str!("../../../../schemas/ocsf-1.8.0.core.min.json");

/// Returns the schema for `version`, parsing it on first use; `None` for an unknown version.
pub fn schema(version: &str) -> Option<Arc<Schema>> {
    static V1_1_0: OnceLock<Arc<Schema>> = OnceLock::new();
    static V1_8_0: OnceLock<Arc<Schema>> = OnceLock::new();
    let (cell, text) = match version {
        "1.1.0" => (&V1_1_0, SCHEMA_1_1_0),
        "1.8.0" => (&V1_8_0, SCHEMA_1_8_0),
        _ => return None,
    };
    Some(Arc::clone(cell.get_or_init(|| {
        // The embedded files are checked by the test suite; a parse failure is a build defect.
        Arc::new(Schema::parse(text).expect("embedded OCSF schema is valid"))
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_version_loads_and_resolves_classes_by_name_and_uid() {
        for v in SUPPORTED_VERSIONS {
            let s = schema(v).unwrap();
            assert_eq!(s.version, *v);
            let by_name = s.class_by_name("network_activity").unwrap();
            let by_uid = s.class_by_uid(4001).unwrap();
            assert_eq!(by_name.uid, 4001);
            assert_eq!(by_uid.name, "network_activity");
            assert_eq!(by_uid.category_uid, 4);
            assert_eq!(by_uid.category_name, "Network Activity");
        }
        assert!(schema("0.9").is_none());
    }

    #[test]
    fn attribute_types_resolve_to_base_types() {
        let s = schema("1.1.0").unwrap();
        let endpoint = s.object("network_endpoint").unwrap();
        assert_eq!(endpoint.attributes["port"].ty, AttrType::Int);
        assert_eq!(endpoint.attributes["port"].range, Some((0, 65535)));
        assert_eq!(endpoint.attributes["ip"].max_len, Some(40));
        assert_eq!(
            endpoint
                .constraints
                .at_least_one
                .first()
                .map(String::as_str),
            Some("ip")
        );
        assert!(s.has_profile("cloud") && !s.has_profile("firewall"));
        assert!(s.class_by_name("security_finding").unwrap().deprecated);
        assert_eq!(endpoint.attributes["ip"].ty, AttrType::Ip);
        assert_eq!(endpoint.attributes["hostname"].ty, AttrType::String);
        let class = s.class_by_uid(1007).unwrap();
        assert_eq!(class.attributes["time"].ty, AttrType::Timestamp);
        assert_eq!(class.attributes["type_uid"].ty, AttrType::Long);
        assert_eq!(
            class.attributes["process"].ty,
            AttrType::Object("process".into())
        );
        assert_eq!(class.attributes["unmapped"].ty, AttrType::Json);
        // 1.1.0 declares duration as integer_t, 1.8.0 as long_t.
        assert_eq!(class.attributes["duration"].ty, AttrType::Int);
        let newer = schema("1.8.0").unwrap();
        assert_eq!(
            newer.class_by_uid(1007).unwrap().attributes["duration"].ty,
            AttrType::Long
        );
    }

    #[test]
    fn enums_carry_captions_and_siblings() {
        let s = schema("1.1.0").unwrap();
        let class = s.class_by_uid(4001).unwrap();
        let activity = &class.attributes["activity_id"];
        assert_eq!(activity.sibling.as_deref(), Some("activity_name"));
        assert_eq!(
            activity.enumeration.as_ref().unwrap().caption(6),
            Some("Traffic")
        );
        assert_eq!(activity.enumeration.as_ref().unwrap().caption(7), None);
    }
}
