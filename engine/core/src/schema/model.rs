//! Typed model of a compiled OCSF schema file (`ocsf-<version>.core.min.json`).

use std::collections::HashMap;

use serde::Deserialize;

/// The base type an attribute's value is coerced to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrType {
    /// `integer_t` and types derived from it (`port_t`): a signed 32-bit integer.
    Int,
    /// `long_t`: a signed 64-bit integer.
    Long,
    /// `float_t`.
    Float,
    /// `boolean_t`.
    Bool,
    /// `string_t` and every type derived from it (`hostname_t`, ...) but `ip_t`.
    String,
    /// `ip_t`: an IPv4 or IPv6 address.
    Ip,
    /// `timestamp_t`: epoch milliseconds.
    Timestamp,
    /// `datetime_t`: an RFC 3339 string.
    Datetime,
    /// `json_t` and the open `object` object: any JSON value, passed through.
    Json,
    /// `object_t` of the named object.
    Object(String),
}

/// How strongly the schema asks for an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Required,
    Recommended,
    Optional,
}

/// An enumeration of integer ids and their captions. Shared, not copied, by every
/// derived caption a plan holds (one per enum attribute per route).
#[derive(Debug, Clone, Default)]
pub struct Enum {
    captions: std::sync::Arc<HashMap<i64, String>>,
}

impl Enum {
    /// The caption of `id`, if `id` is a member.
    pub fn caption(&self, id: i64) -> Option<&str> {
        self.captions.get(&id).map(String::as_str)
    }

    /// The caption `id` should have when a mapping or event gives it as `got`: `None`
    /// when they agree, or for 99 (Other), whose caption carries the source's own value.
    pub fn caption_conflict(&self, id: i64, got: &str) -> Option<&str> {
        self.caption(id).filter(|want| id != 99 && *want != got)
    }

    /// Every member id, sorted.
    pub fn ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.captions.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

/// One attribute of a class or object.
#[derive(Debug, Clone)]
pub struct Attribute {
    pub ty: AttrType,
    /// The OCSF type name as written in the schema (`port_t`, `ip_t`, ...).
    pub type_name: String,
    pub is_array: bool,
    pub requirement: Requirement,
    pub enumeration: Option<Enum>,
    /// For an `_id` enum attribute, the attribute holding its caption.
    pub sibling: Option<String>,
    pub profiles: Vec<String>,
    pub deprecated: bool,
    /// Inclusive bounds of an integer type (`port_t`: 0..=65535).
    pub range: Option<(i64, i64)>,
    /// Longest string the type allows.
    pub max_len: Option<usize>,
    /// The observable type id of the attribute's type (`ip_t`: 2, IP Address), if any.
    pub observable: Option<i64>,
}

/// Constraints between attributes of a class or object.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Constraints {
    #[serde(default)]
    pub at_least_one: Vec<String>,
    #[serde(default)]
    pub just_one: Vec<String>,
}

impl Constraints {
    /// How the attributes present (as told by `has`) break these constraints, as
    /// sentences that follow "`<object>` needs ...".
    pub fn unmet(&self, has: impl Fn(&str) -> bool) -> Vec<String> {
        let count = |list: &[String]| list.iter().filter(|a| has(a)).count();
        let mut out = Vec::new();
        if !self.at_least_one.is_empty() && count(&self.at_least_one) == 0 {
            out.push(format!("at least one of {}", self.at_least_one.join(", ")));
        }
        if !self.just_one.is_empty() && count(&self.just_one) != 1 {
            out.push(format!("exactly one of {}", self.just_one.join(", ")));
        }
        out
    }
}

/// An OCSF event class.
#[derive(Debug, Clone)]
pub struct Class {
    pub name: String,
    pub caption: String,
    pub uid: i64,
    pub category_uid: i64,
    pub category_name: String,
    pub attributes: HashMap<String, Attribute>,
    pub constraints: Constraints,
    /// Profiles that apply to the class.
    pub profiles: Vec<String>,
    pub deprecated: bool,
}

/// An OCSF object.
#[derive(Debug, Clone)]
pub struct ObjectDef {
    pub name: String,
    pub caption: String,
    pub attributes: HashMap<String, Attribute>,
    pub constraints: Constraints,
}

/// One OCSF version's classes and objects.
#[derive(Debug)]
pub struct Schema {
    pub version: String,
    classes: Vec<Class>,
    class_by_name: HashMap<String, usize>,
    class_by_uid: HashMap<i64, usize>,
    objects: HashMap<String, ObjectDef>,
    profiles: Vec<String>,
}

impl Schema {
    /// Whether `name` is a profile of this version.
    pub fn has_profile(&self, name: &str) -> bool {
        self.profiles.iter().any(|p| p == name)
    }

    /// Every profile name, sorted.
    pub fn profile_names(&self) -> &[String] {
        &self.profiles
    }

    pub fn class_by_name(&self, name: &str) -> Option<&Class> {
        self.class_by_name.get(name).map(|&i| &self.classes[i])
    }

    pub fn class_by_uid(&self, uid: i64) -> Option<&Class> {
        self.class_by_uid.get(&uid).map(|&i| &self.classes[i])
    }

    pub fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.get(name)
    }

    pub fn classes(&self) -> impl Iterator<Item = &Class> {
        self.classes.iter()
    }

    /// Parses a compiled schema file.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let raw: RawSchema = serde_json::from_str(text)?;
        let type_facts = |name: &str| -> (Option<(i64, i64)>, Option<usize>, Option<i64>) {
            // The nearest type in the derivation chain that states a fact wins.
            let mut current = Some(name.to_owned());
            let (mut range, mut max_len, mut observable) = (None, None, None);
            for _ in 0..8 {
                let Some(t) = current.as_ref().and_then(|c| raw.types.get(c)) else {
                    break;
                };
                range = range.or(t.range);
                max_len = max_len.or(t.max_len);
                observable = observable.or(t.observable);
                current.clone_from(&t.base);
            }
            (range, max_len, observable)
        };
        let resolve = |name: &str| -> String {
            // Follow derived types (`port_t` -> `integer_t`) down to a base type.
            let mut current = name.to_owned();
            for _ in 0..8 {
                match raw.types.get(&current).and_then(|t| t.base.clone()) {
                    Some(base) => current = base,
                    None => break,
                }
            }
            current
        };
        let convert = |attrs: HashMap<String, RawAttribute>| -> HashMap<String, Attribute> {
            attrs
                .into_iter()
                .map(|(name, a)| {
                    let base = resolve(&a.ty);
                    let ty = match (base.as_str(), a.object_type.as_deref()) {
                        ("object_t", Some("object")) | ("json_t", _) => AttrType::Json,
                        ("object_t", Some(obj)) => AttrType::Object(obj.to_owned()),
                        ("integer_t", _) => AttrType::Int,
                        ("long_t", _) if a.ty == "timestamp_t" => AttrType::Timestamp,
                        ("long_t", _) => AttrType::Long,
                        ("float_t", _) => AttrType::Float,
                        ("boolean_t", _) => AttrType::Bool,
                        _ if a.ty == "datetime_t" => AttrType::Datetime,
                        _ if a.ty == "ip_t" => AttrType::Ip,
                        _ => AttrType::String,
                    };
                    let enumeration = a.enumeration.map(|e| Enum {
                        captions: e
                            .into_iter()
                            .filter_map(|(k, v)| {
                                let caption = match v {
                                    RawEnumValue::Caption(c)
                                    | RawEnumValue::Detailed { caption: c } => c,
                                };
                                k.parse().ok().map(|k| (k, caption))
                            })
                            .collect::<HashMap<_, _>>()
                            .into(),
                    });
                    let (range, max_len, observable) = type_facts(&a.ty);
                    let attr = Attribute {
                        ty,
                        range,
                        max_len,
                        observable,
                        type_name: a.ty,
                        is_array: a.is_array,
                        requirement: a.requirement,
                        enumeration,
                        sibling: a.sibling,
                        profiles: a.profiles,
                        deprecated: a.deprecated.is_some(),
                    };
                    (name, attr)
                })
                .collect()
        };
        let mut classes = Vec::with_capacity(raw.classes.len());
        for (name, c) in raw.classes {
            let category_name = raw
                .categories
                .values()
                .find(|cat| cat.uid == c.category_uid)
                .map(|cat| cat.caption.clone())
                .unwrap_or_default();
            classes.push(Class {
                name,
                caption: c.caption,
                uid: c.uid,
                category_uid: c.category_uid,
                category_name,
                attributes: convert(c.attributes),
                constraints: c.constraints,
                profiles: c.profiles,
                deprecated: c.deprecated.is_some(),
            });
        }
        classes.sort_by_key(|c| c.uid);
        let class_by_name = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let class_by_uid = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.uid, i))
            .collect();
        let objects = raw
            .objects
            .into_iter()
            .map(|(name, o)| {
                let def = ObjectDef {
                    name: name.clone(),
                    caption: o.caption,
                    attributes: convert(o.attributes),
                    constraints: o.constraints,
                };
                (name, def)
            })
            .collect();
        let mut profiles: Vec<String> = raw.profiles.into_keys().collect();
        profiles.sort();
        Ok(Schema {
            version: raw.version,
            classes,
            class_by_name,
            class_by_uid,
            objects,
            profiles,
        })
    }
}

#[derive(Deserialize)]
struct RawSchema {
    version: String,
    categories: HashMap<String, RawCategory>,
    types: HashMap<String, RawType>,
    classes: HashMap<String, RawClass>,
    objects: HashMap<String, RawObject>,
    #[serde(default)]
    profiles: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawCategory {
    uid: i64,
    caption: String,
}

#[derive(Deserialize)]
struct RawType {
    #[serde(rename = "type")]
    base: Option<String>,
    range: Option<(i64, i64)>,
    max_len: Option<usize>,
    #[serde(default)]
    observable: Option<i64>,
}

#[derive(Deserialize)]
struct RawClass {
    caption: String,
    uid: i64,
    category_uid: i64,
    attributes: HashMap<String, RawAttribute>,
    #[serde(default)]
    constraints: Constraints,
    #[serde(default)]
    profiles: Vec<String>,
    deprecated: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawObject {
    caption: String,
    attributes: HashMap<String, RawAttribute>,
    #[serde(default)]
    constraints: Constraints,
}

#[derive(Deserialize)]
struct RawAttribute {
    #[serde(rename = "type")]
    ty: String,
    object_type: Option<String>,
    #[serde(default)]
    is_array: bool,
    requirement: Requirement,
    #[serde(rename = "enum")]
    enumeration: Option<HashMap<String, RawEnumValue>>,
    sibling: Option<String>,
    #[serde(default)]
    profiles: Vec<String>,
    deprecated: Option<serde_json::Value>,
}

/// 1.8.0 writes deprecated enum members as `{"caption": .., "deprecated": ..}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawEnumValue {
    Caption(String),
    Detailed { caption: String },
}
