//! Semantic checks of a mapping against the OCSF schema of its version: what a literal
//! may hold, what contradicts what, what each route must produce, and profiles.
//!
//! The checks read the compiled plan (each route's class, what it produces) and what
//! the compiler recorded of each route's attributes ([`Written`]): they never resolve
//! classes or attributes themselves, so they see every route the compiler sees.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use ocsfmap_core::check::unmet;
use ocsfmap_core::diagnostic::{Code, Diagnostic, did_you_mean, pointer_token};
use ocsfmap_core::mapping::lake;
use ocsfmap_core::mapping::model::MappingFile;
use ocsfmap_core::mapping::node::Node;
use ocsfmap_core::plan::{Plan, Written, WrittenAs};
use ocsfmap_core::schema::{AttrType, Attribute, Class, Requirement, Schema};

/// Runs every check; `plan` is the compiled mapping and `written` what the compiler
/// recorded of each route's attributes (in `ocsf_mapping`'s order).
pub fn check(file: &MappingFile, plan: &Plan, written: &[Vec<Written>], out: &mut Vec<Diagnostic>) {
    let schema = plan.schema();
    let src = &file.custom_source_events;
    lake_names(file, plan, out);
    let routes = plan.routes().zip(&src.ocsf_mapping.0).zip(written);
    for (index, (((key, uid), (_, spec)), attributes)) in routes.enumerate() {
        let Some(class) = uid.and_then(|uid| schema.class_by_uid(uid)) else {
            continue;
        };
        // A route without a `schema_mapping` object is reported by the compiler.
        if !matches!(spec.schema_mapping, Some(Node::Object(_))) {
            continue;
        }
        let ptr = format!("/custom_source_events/ocsf_mapping/{}", pointer_token(key));
        let mut c = Checker {
            schema,
            class,
            written: attributes,
            by_pointer: attributes.iter().map(|w| (w.pointer.as_str(), w)).collect(),
            out: &mut *out,
        };
        let mptr = format!("{ptr}/schema_mapping");
        if class.deprecated {
            c.push(
                Code::Deprecated,
                &format!("{ptr}/schema"),
                format!(
                    "class `{}` is deprecated in OCSF {}",
                    class.name, schema.version
                ),
                None,
            );
        }
        let profiles = c.profiles(&mptr);
        c.class_facts(&mptr, &plan.ocsf_version);
        c.attributes(profiles.as_ref());
        if let Some(outline) = plan.outline_at(index) {
            c.produced(&outline, &mptr, profiles.as_ref());
        }
    }
    unreachable_routes(file, out);
}

struct Checker<'a> {
    schema: &'a Schema,
    class: &'a Class,
    /// The route's attributes, in the order the mapping writes them.
    written: &'a [Written],
    by_pointer: HashMap<&'a str, &'a Written>,
    out: &'a mut Vec<Diagnostic>,
}

fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn node_text(node: &Node) -> Option<String> {
    match node {
        Node::String(s) => Some(s.clone()),
        Node::Number(n) => Some(n.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'a> Checker<'a> {
    /// Records a diagnostic at the severity its code has in the registry.
    fn push(&mut self, code: Code, pointer: &str, message: String, help: Option<String>) {
        self.out.push(Diagnostic {
            help,
            ..Diagnostic::new(code, pointer, message)
        });
    }

    /// The OCSF attribute a written attribute sets.
    fn attribute(&self, w: &Written) -> Option<&'a Attribute> {
        let attrs = match &w.object {
            None => &self.class.attributes,
            Some(object) => &self.schema.object(object)?.attributes,
        };
        attrs.get(&w.name)
    }

    /// A top-level attribute of the route.
    fn top(&self, name: &str) -> Option<&'a Written> {
        self.written
            .iter()
            .find(|w| w.object.is_none() && w.name == name)
    }

    /// The literal of the top-level attribute `name`, if the mapping gives it one.
    fn top_literal(&self, name: &str) -> Option<&'a Value> {
        self.top(name).and_then(|w| w.literal.as_ref())
    }

    /// Checks `metadata.profiles` and returns the declared profiles (`None` when they are
    /// not known statically).
    fn profiles(&mut self, ptr: &str) -> Option<BTreeSet<String>> {
        self.top("metadata")?;
        let pptr = format!("{ptr}/metadata/profiles");
        let names: Vec<(String, String)> = match self.by_pointer.get(pptr.as_str()) {
            None => Vec::new(),
            Some(Written {
                written_as: WrittenAs::Scalar(Value::String(s)),
                ..
            }) => {
                let parts: Vec<String> = s
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                self.push(
                    Code::ProfilesNotList,
                    &pptr,
                    format!(
                        "metadata.profiles is the string `{s}`; OCSF wants a list of profile names"
                    ),
                    Some(format!("write `profiles: [{}]`", parts.join(", "))),
                );
                parts.into_iter().map(|p| (p, pptr.clone())).collect()
            }
            Some(Written {
                written_as: WrittenAs::List(items),
                ..
            }) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| Some((item.clone()?, format!("{pptr}/{i}"))))
                .collect(),
            Some(_) => return None,
        };
        let class = self.class;
        for (name, iptr) in &names {
            if !self.schema.has_profile(name) {
                let names = self.schema.profile_names().iter().map(String::as_str);
                let help = did_you_mean(name, names).map_or_else(
                    || {
                        format!(
                            "profiles of OCSF {}: {}",
                            self.schema.version,
                            self.schema.profile_names().join(", ")
                        )
                    },
                    |s| format!("did you mean `{s}`?"),
                );
                self.push(
                    Code::UnknownProfile,
                    iptr,
                    format!("OCSF {} has no profile `{name}`", self.schema.version),
                    Some(help),
                );
            } else if !class.profiles.contains(name) {
                self.push(
                    Code::UnknownProfile,
                    iptr,
                    format!("profile `{name}` does not apply to class `{}`", class.name),
                    Some(format!(
                        "profiles of `{}`: {}",
                        class.name,
                        class.profiles.join(", ")
                    )),
                );
            }
        }
        Some(names.into_iter().map(|(name, _)| name).collect())
    }

    /// uid, name and version facts that must agree with the class and the OCSF version.
    fn class_facts(&mut self, ptr: &str, version: &str) {
        let class = self.class;
        let expect_int = |c: &mut Self, key: &str, want: i64, what: &str| {
            if let Some(got) = c.top_literal(key).and_then(as_int)
                && got != want
            {
                let message = format!("`{key}` is {got}, but {what} is {want}");
                c.push(
                    Code::Contradiction,
                    &format!("{ptr}/{key}"),
                    message,
                    Some(format!("write {want}, or leave it out: ocsfmap derives it")),
                );
            }
        };
        expect_int(
            self,
            "class_uid",
            class.uid,
            &format!("the uid of `{}`", class.name),
        );
        expect_int(
            self,
            "category_uid",
            class.category_uid,
            &format!("the category of `{}`", class.name),
        );
        for (key, want) in [
            ("class_name", &class.caption),
            ("category_name", &class.category_name),
        ] {
            if let Some(got) = self.top_literal(key).and_then(as_text)
                && got != *want
            {
                self.push(
                    Code::Contradiction,
                    &format!("{ptr}/{key}"),
                    format!(
                        "`{key}` is `{got}`, but class {} is `{want}` here",
                        class.uid
                    ),
                    Some(format!(
                        "write `{want}`, or leave it out: ocsfmap derives it"
                    )),
                );
            }
        }
        let activity = self.top_literal("activity_id").and_then(as_int);
        if let Some(type_uid) = self.top_literal("type_uid").and_then(as_int) {
            match activity {
                Some(a) => expect_int(
                    self,
                    "type_uid",
                    class.uid * 100 + a,
                    "class_uid * 100 + activity_id",
                ),
                None if type_uid / 100 != class.uid => {
                    let message = format!(
                        "`type_uid` {type_uid} does not belong to class {}",
                        class.uid
                    );
                    self.push(
                        Code::Contradiction,
                        &format!("{ptr}/type_uid"),
                        message,
                        None,
                    );
                }
                None => {}
            }
        }
        let vptr = format!("{ptr}/metadata/version");
        if let Some(v) = self
            .by_pointer
            .get(vptr.as_str())
            .and_then(|w| w.literal.as_ref())
            .and_then(as_text)
            && v != version
        {
            self.push(
                Code::VersionMismatch,
                &vptr,
                format!("metadata.version is `{v}`, but this mapping produces OCSF {version}"),
                Some(format!(
                    "leave it out (ocsfmap fills in `{version}`), or set `ocsf_version`"
                )),
            );
        }
    }

    /// Literal checks, profiles of attributes, deprecation and caption agreement, for
    /// every attribute the mapping writes, at every level.
    fn attributes(&mut self, profiles: Option<&BTreeSet<String>>) {
        let written = self.written;
        for w in written {
            let Some(attr) = self.attribute(w) else {
                continue;
            };
            if attr.deprecated {
                self.push(
                    Code::Deprecated,
                    &w.pointer,
                    format!("`{}` is deprecated in OCSF {}", w.path, self.schema.version),
                    None,
                );
            }
            if let Some(declared) = profiles
                && !attr.profiles.is_empty()
                && !attr.profiles.iter().any(|p| declared.contains(p))
            {
                self.push(
                    Code::ProfileNotDeclared,
                    &w.pointer,
                    format!(
                        "`{}` belongs to the {} profile, which metadata.profiles does not declare",
                        w.path,
                        attr.profiles.join("/")
                    ),
                    Some(format!("add `{}` to metadata.profiles", attr.profiles[0])),
                );
            }
            self.literals(w, attr);
            self.caption(w, attr);
        }
    }

    /// Enum membership and ranges of the literals an attribute can receive.
    fn literals(&mut self, w: &Written, attr: &Attribute) {
        if !matches!(attr.ty, AttrType::Int | AttrType::Long) || attr.is_array {
            return;
        }
        let path = &w.path;
        for (cptr, candidate) in &w.candidates {
            let Some(value) = as_int(candidate) else {
                continue;
            };
            if let Some(e) = &attr.enumeration
                && e.caption(value).is_none()
            {
                let valid: Vec<String> = e
                    .ids()
                    .iter()
                    .map(|id| format!("{id} {}", e.caption(*id).unwrap_or_default()))
                    .collect();
                self.push(
                    Code::EnumValue,
                    cptr,
                    format!("{value} is not a value of `{path}`"),
                    Some(format!("valid values: {}", valid.join(", "))),
                );
            }
            if let Some((lo, hi)) = attr.range
                && !(lo..=hi).contains(&value)
            {
                let message = format!(
                    "{value} is out of range for `{path}` ({}: {lo} to {hi})",
                    attr.type_name
                );
                self.push(Code::OutOfRange, cptr, message, None);
            }
        }
    }

    /// A literal caption must be the caption of its literal id (except for 99, Other,
    /// whose caption carries the source's own value).
    fn caption(&mut self, w: &Written, attr: &Attribute) {
        // Class and category names are checked against the class itself.
        if w.object.is_none() && (w.name == "class_uid" || w.name == "category_uid") {
            return;
        }
        let (Some(sibling), Some(e)) = (&attr.sibling, &attr.enumeration) else {
            return;
        };
        let Some(id) = w.literal.as_ref().and_then(as_int) else {
            return;
        };
        let parent = w.pointer.rsplit_once('/').map_or("", |(p, _)| p);
        let sptr = format!("{parent}/{}", pointer_token(sibling));
        let Some(caption) = self
            .by_pointer
            .get(sptr.as_str())
            .and_then(|s| s.literal.as_ref())
            .and_then(as_text)
        else {
            return;
        };
        if let Some(want) = e.caption_conflict(id, &caption) {
            let prefix = w.path.strip_suffix(w.name.as_str()).unwrap_or_default();
            let key = &w.name;
            self.push(
                Code::Contradiction,
                &sptr,
                format!(
                    "`{prefix}{sibling}` is `{caption}`, but `{prefix}{key}` {id} means `{want}`"
                ),
                Some(format!(
                    "write `{want}`, or leave `{prefix}{sibling}` out: ocsfmap derives it"
                )),
            );
        }
    }

    /// Required and recommended attributes, profile requirements and constraints, from
    /// what the route produces.
    fn produced(&mut self, outline: &[String], ptr: &str, profiles: Option<&BTreeSet<String>>) {
        let class = self.class;
        let have: BTreeSet<&str> = outline.iter().map(String::as_str).collect();
        let declared = |a: &Attribute| {
            a.profiles.is_empty()
                || profiles.is_some_and(|d| a.profiles.iter().any(|x| d.contains(x)))
        };
        let top = |n: &str| have.contains(n);
        for (name, attr) in unmet(&class.attributes, Requirement::Required, declared, top) {
            let via = if attr.profiles.is_empty() {
                String::new()
            } else {
                format!(" (by the {} profile)", attr.profiles.join("/"))
            };
            let message = format!("required attribute `{name}`{via} is not mapped");
            self.push(Code::MissingRequired, ptr, message, None);
        }
        let recommended: Vec<String> = unmet(
            &class.attributes,
            Requirement::Recommended,
            |a| a.profiles.is_empty(),
            top,
        )
        .into_iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect();
        if !recommended.is_empty() {
            let message = format!(
                "recommended attributes not mapped: {}",
                recommended.join(", ")
            );
            self.push(Code::MissingRecommended, ptr, message, None);
        }
        // Objects the mapping builds key by key must have their own required attributes.
        for path in outline {
            let prefix = format!("{path}.");
            // The first path at or after the prefix in order is the one that could start with it.
            let built = have
                .range(prefix.as_str()..)
                .next()
                .is_some_and(|p| p.starts_with(&prefix));
            if !built {
                continue;
            }
            let Some(def) = object_at(self.schema, class, path) else {
                continue;
            };
            let optr = format!(
                "{ptr}/{}",
                path.split('.')
                    .map(pointer_token)
                    .collect::<Vec<_>>()
                    .join("/")
            );
            let inner = |n: &str| have.contains(format!("{prefix}{n}").as_str());
            for (name, _) in unmet(&def.attributes, Requirement::Required, declared, inner) {
                let message = format!("`{path}` is missing its required attribute `{name}`");
                self.push(Code::MissingRequired, &optr, message, None);
            }
            for unmet in def
                .constraints
                .unmet(|a| have.contains(format!("{prefix}{a}").as_str()))
            {
                self.push(
                    Code::Constraint,
                    &optr,
                    format!("`{path}` needs {unmet}"),
                    None,
                );
            }
        }
    }
}

/// The OCSF object at a dotted attribute path of a class.
fn object_at<'s>(
    schema: &'s Schema,
    class: &'s Class,
    path: &str,
) -> Option<&'s ocsfmap_core::schema::ObjectDef> {
    let mut attrs = &class.attributes;
    let mut def = None;
    for part in path.split('.') {
        let AttrType::Object(name) = &attrs.get(part)?.ty else {
            return None;
        };
        let d = schema.object(name)?;
        attrs = &d.attributes;
        def = Some(d);
    }
    def
}

/// Routes whose key a drop rule on the routing field always drops.
fn unreachable_routes(file: &MappingFile, out: &mut Vec<Diagnostic>) {
    let src = &file.custom_source_events;
    let Some(field) = &src.matched_field else {
        return;
    };
    let routes: std::collections::HashSet<&str> =
        src.ocsf_mapping.0.iter().map(|(k, _)| k.as_str()).collect();
    for (i, rule) in src.drop.iter().enumerate() {
        if &rule.field != field {
            continue;
        }
        for value in rule.any_of.iter().flatten().filter_map(node_text) {
            if routes.contains(value.as_str()) {
                out.push(Diagnostic {
                    code: Code::UnreachableRoute,
                    severity: Code::UnreachableRoute.severity(),
                    message: format!("route `{value}` can never match: drop rule {i} drops every event with that value"),
                    pointer: format!("/custom_source_events/ocsf_mapping/{}", pointer_token(&value)),
                    help: Some("remove the route, or the value from the drop rule".into()),
                });
            }
        }
    }
}

/// The names Security Lake would be given: the source name of each class the mapping
/// writes (checked by the same rule the Parquet writer applies), and the partition
/// values of `security_lake`. Errors, at the value.
fn lake_names(file: &MappingFile, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let src = &file.custom_source_events;
    let mut push = |pointer: &str, message: String, help: Option<String>| {
        out.push(Diagnostic {
            code: Code::SecurityLakeName,
            severity: Code::SecurityLakeName.severity(),
            message,
            pointer: pointer.to_owned(),
            help,
        });
    };
    let source_ptr = "/custom_source_events/source_name";
    if let Err(e) = lake::check_source_name(&src.source_name) {
        push(
            source_ptr,
            format!("{e} (Amazon Security Lake's rule for custom sources)"),
            None,
        );
    } else {
        let mut classes: Vec<i64> = plan.routes().filter_map(|(_, uid)| uid).collect();
        classes.sort_unstable();
        classes.dedup();
        let several = classes.len() > 1;
        for uid in classes {
            let Some(class) = plan.schema().class_by_uid(uid) else {
                continue;
            };
            let name = lake::class_source_name(&src.source_name, &class.name, several);
            if let Err(e) = lake::check_source_name(&name) {
                push(
                    source_ptr,
                    format!(
                        "{e}: the mapping writes several classes, and Parquet output names each one's source `<source_name>-<class name>`"
                    ),
                    Some(format!(
                        "shorten `source_name` to at most {} characters",
                        64usize.saturating_sub(class.name.len() + 1)
                    )),
                );
            }
        }
    }
    if let Some(lake_spec) = &src.security_lake {
        let base = "/custom_source_events/security_lake";
        if let Some(region) = &lake_spec.region
            && let Err(e) = lake::check_region(region)
        {
            push(&format!("{base}/region"), e.to_string(), None);
        }
        if let Some(account) = &lake_spec.account_id
            && let Err(e) = lake::check_account_id(account)
        {
            push(&format!("{base}/account_id"), e.to_string(), None);
        }
    }
}
