//! Semantic checks of a mapping against the OCSF schema of its version: what a literal
//! may hold, what contradicts what, what each route must produce, and profiles.

use std::collections::{BTreeSet, HashMap};

use ocsfmap_core::diagnostic::{Code, Diagnostic, Severity, did_you_mean, pointer_token};
use ocsfmap_core::mapping::lake;
use ocsfmap_core::mapping::model::{MappingFile, RouteSpec};
use ocsfmap_core::mapping::node::Node;
use ocsfmap_core::mapping::path::is_path;
use ocsfmap_core::plan::Plan;
use ocsfmap_core::schema::{AttrType, Attribute, Class, Requirement, Schema};

/// Runs every check; `plan` is the compiled mapping (checks of what routes produce need it).
pub fn check(file: &MappingFile, plan: &Plan, out: &mut Vec<Diagnostic>) {
    let schema = plan.schema();
    let src = &file.custom_source_events;
    lake_names(file, plan, out);
    for (index, (key, spec)) in src.ocsf_mapping.0.iter().enumerate() {
        let ptr = format!("/custom_source_events/ocsf_mapping/{}", pointer_token(key));
        let Some(class) = route_class(spec, schema) else {
            continue;
        };
        let Some(Node::Object(entries)) = &spec.schema_mapping else {
            continue;
        };
        let mut c = Checker {
            schema,
            out: &mut *out,
        };
        let mptr = format!("{ptr}/schema_mapping");
        if class.deprecated {
            c.push(
                Code::Deprecated,
                Severity::Warning,
                &format!("{ptr}/schema"),
                format!(
                    "class `{}` is deprecated in OCSF {}",
                    class.name, schema.version
                ),
                None,
            );
        }
        let profiles = c.profiles(entries, class, &mptr);
        c.class_facts(entries, class, &mptr, &plan.ocsf_version);
        c.object(entries, &class.attributes, &mptr, "", profiles.as_ref());
        if let Some(outline) = plan.outline_at(index) {
            c.produced(class, &outline, &mptr, profiles.as_ref());
        }
    }
    unreachable_routes(file, out);
}

fn route_class<'s>(spec: &RouteSpec, schema: &'s Schema) -> Option<&'s Class> {
    if spec.drop {
        return None;
    }
    let by_name = spec.schema.as_deref().and_then(|n| schema.class_by_name(n));
    let uid = match spec
        .schema_mapping
        .as_ref()
        .and_then(|m| m.get("class_uid"))
    {
        Some(Node::Number(n)) => n.as_i64(),
        _ => None,
    };
    by_name.or_else(|| uid.and_then(|u| schema.class_by_uid(u)))
}

struct Checker<'a> {
    schema: &'a Schema,
    out: &'a mut Vec<Diagnostic>,
}

/// The literal integer or string a mapping value holds, if it is a literal.
fn literal(node: &Node) -> Option<&Node> {
    match node {
        Node::String(s) if is_path(s) => None,
        Node::Number(_) | Node::String(_) | Node::Bool(_) => Some(node),
        Node::Object(_) => node.get("literal"),
        _ => None,
    }
}

fn as_int(node: &Node) -> Option<i64> {
    match node {
        Node::Number(n) => n.as_i64(),
        Node::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(node: &Node) -> Option<String> {
    match node {
        Node::String(s) => Some(s.clone()),
        Node::Number(n) => Some(n.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Checker<'_> {
    fn push(
        &mut self,
        code: Code,
        severity: Severity,
        pointer: &str,
        message: String,
        help: Option<String>,
    ) {
        self.out.push(Diagnostic {
            code,
            severity,
            message,
            pointer: pointer.to_owned(),
            help,
        });
    }

    /// Checks `metadata.profiles` and returns the declared profiles (`None` when they are
    /// not known statically).
    fn profiles(
        &mut self,
        entries: &[(String, Node)],
        class: &Class,
        ptr: &str,
    ) -> Option<BTreeSet<String>> {
        let node = entries
            .iter()
            .find(|(k, _)| k == "metadata")?
            .1
            .get("profiles");
        let pptr = format!("{ptr}/metadata/profiles");
        let names: Vec<String> = match node {
            None => Vec::new(),
            Some(Node::String(s)) if !is_path(s) => {
                let parts: Vec<String> = s
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                self.push(
                    Code::ProfilesNotList,
                    Severity::Error,
                    &pptr,
                    format!(
                        "metadata.profiles is the string `{s}`; OCSF wants a list of profile names"
                    ),
                    Some(format!("write `profiles: [{}]`", parts.join(", "))),
                );
                parts
            }
            Some(Node::Array(items)) => items.iter().filter_map(as_text).collect(),
            Some(_) => return None,
        };
        for (i, name) in names.iter().enumerate() {
            let iptr = if matches!(node, Some(Node::Array(_))) {
                format!("{pptr}/{i}")
            } else {
                pptr.clone()
            };
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
                    Severity::Error,
                    &iptr,
                    format!("OCSF {} has no profile `{name}`", self.schema.version),
                    Some(help),
                );
            } else if !class.profiles.contains(name) {
                self.push(
                    Code::UnknownProfile,
                    Severity::Error,
                    &iptr,
                    format!("profile `{name}` does not apply to class `{}`", class.name),
                    Some(format!(
                        "profiles of `{}`: {}",
                        class.name,
                        class.profiles.join(", ")
                    )),
                );
            }
        }
        Some(names.into_iter().collect())
    }

    /// uid, name and version facts that must agree with the class and the OCSF version.
    fn class_facts(&mut self, entries: &[(String, Node)], class: &Class, ptr: &str, version: &str) {
        let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let expect_int = |c: &mut Self, key: &str, want: i64, what: &str| {
            if let Some(got) = get(key).and_then(literal).and_then(as_int)
                && got != want
            {
                let message = format!("`{key}` is {got}, but {what} is {want}");
                c.push(
                    Code::Contradiction,
                    Severity::Error,
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
            if let Some(got) = get(key).and_then(literal).and_then(as_text)
                && got != *want
            {
                self.push(
                    Code::Contradiction,
                    Severity::Error,
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
        let activity = get("activity_id").and_then(literal).and_then(as_int);
        if let Some(type_uid) = get("type_uid").and_then(literal).and_then(as_int) {
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
                        Severity::Error,
                        &format!("{ptr}/type_uid"),
                        message,
                        None,
                    );
                }
                None => {}
            }
        }
        if let Some(meta) = get("metadata")
            && let Some(v) = meta.get("version").and_then(literal).and_then(as_text)
            && v != version
        {
            self.push(
                Code::VersionMismatch,
                Severity::Error,
                &format!("{ptr}/metadata/version"),
                format!("metadata.version is `{v}`, but this mapping produces OCSF {version}"),
                Some(format!(
                    "leave it out (ocsfmap fills in `{version}`), or set `ocsf_version`"
                )),
            );
        }
    }

    /// Literal checks, profiles of attributes, deprecation and caption agreement, at every level.
    fn object(
        &mut self,
        entries: &[(String, Node)],
        attrs: &HashMap<String, Attribute>,
        ptr: &str,
        prefix: &str,
        profiles: Option<&BTreeSet<String>>,
    ) {
        for (key, node) in entries {
            let Some(attr) = attrs.get(key) else { continue };
            let kptr = format!("{ptr}/{}", pointer_token(key));
            let path = format!("{prefix}{key}");
            if attr.deprecated {
                self.push(
                    Code::Deprecated,
                    Severity::Warning,
                    &kptr,
                    format!("`{path}` is deprecated in OCSF {}", self.schema.version),
                    None,
                );
            }
            if let Some(declared) = profiles
                && !attr.profiles.is_empty()
                && !attr.profiles.iter().any(|p| declared.contains(p))
            {
                self.push(
                    Code::ProfileNotDeclared,
                    Severity::Error,
                    &kptr,
                    format!("`{path}` belongs to the {} profile, which metadata.profiles does not declare", attr.profiles.join("/")),
                    Some(format!("add `{}` to metadata.profiles", attr.profiles[0])),
                );
            }
            self.literals(node, attr, &kptr, &path);
            match (&attr.ty, node) {
                (AttrType::Object(name), Node::Object(children))
                    if node.get("enum").is_none() && literal(node).is_none() =>
                {
                    if let Some(def) = self.schema.object(name) {
                        self.object(
                            children,
                            &def.attributes,
                            &kptr,
                            &format!("{path}."),
                            profiles,
                        );
                    }
                }
                (AttrType::Object(name), Node::Array(items)) => {
                    if let Some(def) = self.schema.object(name) {
                        for (i, item) in items.iter().enumerate() {
                            if let Node::Object(children) = item {
                                self.object(
                                    children,
                                    &def.attributes,
                                    &format!("{kptr}/{i}"),
                                    &format!("{path}."),
                                    profiles,
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        self.captions(entries, attrs, ptr, prefix);
    }

    /// Enum membership and ranges of the literals an attribute can receive.
    fn literals(&mut self, node: &Node, attr: &Attribute, ptr: &str, path: &str) {
        let mut candidates: Vec<(String, &Node)> = Vec::new();
        match node {
            Node::Object(_) if node.get("enum").is_some() => {
                if let Some(Node::Object(values)) = node.get("enum").and_then(|e| e.get("values")) {
                    for (k, v) in values {
                        candidates.push((format!("{ptr}/enum/values/{}", pointer_token(k)), v));
                    }
                }
                if let Some(other) = node.get("enum").and_then(|e| e.get("other")) {
                    candidates.push((format!("{ptr}/enum/other"), other));
                }
            }
            Node::Object(_) if node.get("coalesce").is_some() || node.get("default").is_some() => {
                if let Some(Node::Array(items)) = node.get("coalesce") {
                    candidates.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (format!("{ptr}/coalesce/{i}"), n)),
                    );
                }
                if let Some(d) = node.get("default") {
                    candidates.push((format!("{ptr}/default"), d));
                }
            }
            _ => candidates.push((ptr.to_owned(), node)),
        }
        for (cptr, candidate) in candidates {
            let Some(value) = literal(candidate).and_then(as_int) else {
                continue;
            };
            if matches!(attr.ty, AttrType::Int | AttrType::Long) && !attr.is_array {
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
                        Severity::Error,
                        &cptr,
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
                    self.push(Code::OutOfRange, Severity::Error, &cptr, message, None);
                }
            }
        }
    }

    /// A literal caption must be the caption of its literal id (except for 99, Other,
    /// whose caption carries the source's own value).
    fn captions(
        &mut self,
        entries: &[(String, Node)],
        attrs: &HashMap<String, Attribute>,
        ptr: &str,
        prefix: &str,
    ) {
        let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        for (key, node) in entries {
            // Class and category names are checked against the class itself.
            if prefix.is_empty() && (key == "class_uid" || key == "category_uid") {
                continue;
            }
            let Some(attr) = attrs.get(key) else { continue };
            let (Some(sibling), Some(e)) = (&attr.sibling, &attr.enumeration) else {
                continue;
            };
            let Some(id) = literal(node).and_then(as_int) else {
                continue;
            };
            let Some(caption) = get(sibling).and_then(literal).and_then(as_text) else {
                continue;
            };
            if let Some(want) = e.caption_conflict(id, &caption) {
                self.push(
                    Code::Contradiction,
                    Severity::Error,
                    &format!("{ptr}/{}", pointer_token(sibling)),
                    format!("`{prefix}{sibling}` is `{caption}`, but `{prefix}{key}` {id} means `{want}`"),
                    Some(format!("write `{want}`, or leave `{prefix}{sibling}` out: ocsfmap derives it")),
                );
            }
        }
    }

    /// Required and recommended attributes, profile requirements and constraints, from
    /// what the route produces.
    fn produced(
        &mut self,
        class: &Class,
        outline: &[String],
        ptr: &str,
        profiles: Option<&BTreeSet<String>>,
    ) {
        let have: BTreeSet<&str> = outline.iter().map(String::as_str).collect();
        let declared = |p: &[String]| {
            p.is_empty() || profiles.is_some_and(|d| p.iter().any(|x| d.contains(x)))
        };
        let mut required: Vec<(&String, &Attribute)> = class.attributes.iter().collect();
        required.sort_by_key(|(k, _)| k.as_str());
        let mut recommended = Vec::new();
        for (name, attr) in &required {
            if have.contains(name.as_str()) || !declared(&attr.profiles) {
                continue;
            }
            match attr.requirement {
                Requirement::Required => {
                    let via = if attr.profiles.is_empty() {
                        String::new()
                    } else {
                        format!(" (by the {} profile)", attr.profiles.join("/"))
                    };
                    let message = format!("required attribute `{name}`{via} is not mapped");
                    self.push(Code::MissingRequired, Severity::Error, ptr, message, None);
                }
                Requirement::Recommended if attr.profiles.is_empty() => {
                    recommended.push(format!("`{name}`"));
                }
                _ => {}
            }
        }
        if !recommended.is_empty() {
            let message = format!(
                "recommended attributes not mapped: {}",
                recommended.join(", ")
            );
            self.push(
                Code::MissingRecommended,
                Severity::Warning,
                ptr,
                message,
                None,
            );
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
            let mut names: Vec<&String> = def.attributes.keys().collect();
            names.sort();
            for name in names {
                let attr = &def.attributes[name];
                if attr.requirement == Requirement::Required
                    && declared(&attr.profiles)
                    && !have.contains(format!("{prefix}{name}").as_str())
                {
                    let message = format!("`{path}` is missing its required attribute `{name}`");
                    self.push(Code::MissingRequired, Severity::Error, &optr, message, None);
                }
            }
            for unmet in def
                .constraints
                .unmet(|a| have.contains(format!("{prefix}{a}").as_str()))
            {
                self.push(
                    Code::Constraint,
                    Severity::Error,
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
        for value in rule.any_of.iter().flatten().filter_map(as_text) {
            if routes.contains(value.as_str()) {
                out.push(Diagnostic {
                    code: Code::UnreachableRoute,
                    severity: Severity::Warning,
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
            severity: Severity::Error,
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
