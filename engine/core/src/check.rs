//! Validation of produced events against their OCSF class: types, enums, ranges,
//! lengths, required attributes, constraints, profiles, and the uid/caption links.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::schema::{AttrType, Attribute, Constraints, Requirement, Schema};

/// Every way `event` breaks its class; empty when it is valid.
pub fn check_event(schema: &Schema, event: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(obj) = event.as_object() else {
        return vec!["an event must be an object".into()];
    };
    let Some(class) = obj
        .get("class_uid")
        .and_then(Value::as_i64)
        .and_then(|uid| schema.class_by_uid(uid))
    else {
        return vec![format!(
            "class_uid {} is not a class of OCSF {}",
            obj.get("class_uid").unwrap_or(&Value::Null),
            schema.version
        )];
    };
    let profiles: BTreeSet<&str> = obj
        .get("metadata")
        .and_then(|m| m.get("profiles"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let checker = Checker { schema, profiles };
    checker.object(
        obj,
        &class.attributes,
        &class.constraints,
        "",
        &class.name,
        &mut problems,
    );
    if let (Some(activity), Some(type_uid)) = (
        obj.get("activity_id").and_then(Value::as_i64),
        obj.get("type_uid").and_then(Value::as_i64),
    ) && type_uid != class.uid * 100 + activity
    {
        problems.push(format!(
            "type_uid {type_uid} is not class_uid * 100 + activity_id ({})",
            class.uid * 100 + activity
        ));
    }
    problems
}

/// The attributes of `attrs` with `requirement` that apply (`applies`: their profile
/// is declared) and that `has` lacks, in name order. The one rule for required and
/// recommended attributes: events are checked with it, and so are mappings (by the
/// linter, over what a route produces).
pub fn unmet<S: std::hash::BuildHasher>(
    attrs: &HashMap<String, Attribute, S>,
    requirement: Requirement,
    applies: impl Fn(&Attribute) -> bool,
    has: impl Fn(&str) -> bool,
) -> Vec<(&str, &Attribute)> {
    let mut out: Vec<(&str, &Attribute)> = attrs
        .iter()
        .filter(|(name, attr)| attr.requirement == requirement && applies(attr) && !has(name))
        .map(|(name, attr)| (name.as_str(), attr))
        .collect();
    out.sort_unstable_by_key(|(name, _)| *name);
    out
}

struct Checker<'s> {
    schema: &'s Schema,
    profiles: BTreeSet<&'s str>,
}

impl Checker<'_> {
    fn declared(&self, attr: &Attribute) -> bool {
        attr.profiles.is_empty()
            || attr
                .profiles
                .iter()
                .any(|p| self.profiles.contains(p.as_str()))
    }

    fn object(
        &self,
        obj: &Map<String, Value>,
        attrs: &HashMap<String, Attribute>,
        constraints: &Constraints,
        prefix: &str,
        owner: &str,
        out: &mut Vec<String>,
    ) {
        for (key, value) in obj {
            let path = format!("{prefix}{key}");
            let Some(attr) = attrs.get(key) else {
                out.push(format!("`{path}` is not an attribute of `{owner}`"));
                continue;
            };
            if !self.declared(attr) {
                out.push(format!(
                    "`{path}` needs the {} profile in metadata.profiles",
                    attr.profiles.join("/")
                ));
            }
            if attr.is_array {
                match value.as_array() {
                    Some(items) => items
                        .iter()
                        .enumerate()
                        .for_each(|(i, v)| self.value(attr, v, &format!("{path}[{i}]"), out)),
                    None => out.push(format!("`{path}` must be an array")),
                }
            } else {
                self.value(attr, value, &path, out);
            }
            if let (Some(sibling), Some(e), Some(id)) =
                (&attr.sibling, &attr.enumeration, value.as_i64())
                && let Some(got) = obj.get(sibling).and_then(Value::as_str)
                && let Some(want) = e.caption_conflict(id, got)
            {
                out.push(format!(
                    "`{prefix}{sibling}` is `{got}`, but `{path}` {id} means `{want}`"
                ));
            }
        }
        for (name, _) in unmet(
            attrs,
            Requirement::Required,
            |a| self.declared(a),
            |n| obj.contains_key(n),
        ) {
            out.push(format!("required attribute `{prefix}{name}` is missing"));
        }
        let at = if prefix.is_empty() {
            owner
        } else {
            prefix.trim_end_matches('.')
        };
        for unmet in constraints.unmet(|a| obj.contains_key(a)) {
            out.push(format!("`{at}` needs {unmet}"));
        }
    }

    fn value(&self, attr: &Attribute, value: &Value, path: &str, out: &mut Vec<String>) {
        let ok = match &attr.ty {
            AttrType::Int => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            AttrType::Long | AttrType::Timestamp => value.as_i64().is_some(),
            AttrType::Float => value.is_number(),
            AttrType::Bool => value.is_boolean(),
            AttrType::String | AttrType::Datetime => value.is_string(),
            AttrType::Ip => value.as_str().is_some_and(crate::plan::is_ip),
            AttrType::Json => true,
            AttrType::Object(name) => {
                match (value.as_object(), self.schema.object(name)) {
                    (Some(obj), Some(def)) => self.object(
                        obj,
                        &def.attributes,
                        &def.constraints,
                        &format!("{path}."),
                        name,
                        out,
                    ),
                    (None, _) => out.push(format!("`{path}` must be an object `{name}`")),
                    (Some(_), None) => {}
                }
                return;
            }
        };
        if !ok {
            out.push(format!("`{path}` is {value}, not {}", attr.type_name));
            return;
        }
        if let (Some(e), Some(id)) = (&attr.enumeration, value.as_i64())
            && e.caption(id).is_none()
        {
            out.push(format!("`{path}` is {id}, which its enum does not list"));
        }
        if let (Some((lo, hi)), Some(n)) = (attr.range, value.as_i64())
            && !(lo..=hi).contains(&n)
        {
            out.push(format!("`{path}` is {n}, outside {lo}..={hi}"));
        }
        if let (Some(max), Some(s)) = (attr.max_len, value.as_str())
            && s.chars().count() > max
        {
            out.push(format!("`{path}` is longer than {max} characters"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(event: &Value) -> Vec<String> {
        check_event(&crate::schema::schema("1.1.0").unwrap(), event)
    }

    fn valid() -> Value {
        json!({
            "class_uid": 4001, "category_uid": 4, "activity_id": 6, "type_uid": 400_106, "severity_id": 1,
            "time": 1, "metadata": {"version": "1.1.0", "product": {"name": "p", "vendor_name": "v"}},
            "src_endpoint": {"ip": "10.0.0.1"}, "dst_endpoint": {"ip": "10.0.0.2", "port": 443},
            "activity_name": "Traffic", "unmapped": {"anything": [1, {"x": null}]}
        })
    }

    #[test]
    fn a_valid_event_has_no_problems() {
        assert_eq!(problems(&valid()), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_problem_is_named() {
        let mut e = valid();
        e["dst_endpoint"]["port"] = json!(70000);
        e["src_endpoint"] = json!({"port": "80"});
        e["activity_id"] = json!(7);
        e["severity"] = json!("High");
        e["cloud"] = json!({"provider": "AWS"});
        e["bogus"] = json!(1);
        e["dst_endpoint"]["ip"] = json!("not-an-ip");
        e["dst_endpoint"]["intermediate_ips"] = json!(["10.0.0.3", "1.2.3.4%<script>"]);
        e.as_object_mut().unwrap().remove("time");
        let got = problems(&e);
        for want in [
            "`dst_endpoint.port` is 70000, outside 0..=65535",
            "`src_endpoint.port` is \"80\", not port_t",
            "`src_endpoint` needs at least one of ip, uid, name, hostname, svc_name, instance_uid, interface_uid, interface_name",
            "`activity_id` is 7, which its enum does not list",
            "`severity` is `High`, but `severity_id` 1 means `Informational`",
            "`cloud` needs the cloud profile in metadata.profiles",
            "`bogus` is not an attribute of `network_activity`",
            "`dst_endpoint.ip` is \"not-an-ip\", not ip_t",
            "`dst_endpoint.intermediate_ips[1]` is \"1.2.3.4%<script>\", not ip_t",
            "required attribute `time` is missing",
            "type_uid 400106 is not class_uid * 100 + activity_id (400107)",
        ] {
            assert!(
                got.iter().any(|g| g == want),
                "missing {want:?} in {got:#?}"
            );
        }
    }
}
