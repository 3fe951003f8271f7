//! The serde model of a mapping file: mirrors the file exactly, no interpretation.
//!
//! The published Security Lake format is `custom_source_events` with `source_name`,
//! `matched_field`, `timestamp` and `ocsf_mapping`; every other key is an ocsfmap
//! extension, documented in the README.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::node::{KeySet, KeyString, Node};

/// A whole mapping file.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    pub custom_source_events: SourceEvents,
}

/// One source's events and how each kind maps to an OCSF class.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SourceEvents {
    pub source_name: String,
    /// Path whose value selects the route in `ocsf_mapping`; absent when there is one route.
    #[serde(default)]
    pub matched_field: Option<String>,
    /// Where the event time is and how it is written.
    #[serde(default)]
    pub timestamp: Option<TimestampSpec>,
    /// Route key -> class mapping, in file order.
    pub ocsf_mapping: OrderedMap<RouteSpec>,
    /// Extension: OCSF version of the output (default 1.1.0).
    #[serde(default)]
    pub ocsf_version: Option<String>,
    /// Extension: route key taken by events whose `matched_field` value has no route.
    #[serde(default)]
    pub default_route: Option<String>,
    /// Extension: routing by condition, tried in order before `matched_field`'s value:
    /// the first rule whose `when` holds names the route.
    #[serde(default)]
    pub route_rules: Vec<RouteRule>,
    /// Extension: keep every source field the route does not read under `unmapped`.
    #[serde(default)]
    pub unmapped_rest: bool,
    /// Extension: how raw records are read before mapping.
    #[serde(default)]
    pub input: InputSpec,
    /// Extension: events to drop on purpose, before routing.
    #[serde(default)]
    pub drop: Vec<DropRule>,
    /// Extension: what a value that cannot be coerced to its attribute's type does.
    #[serde(default)]
    pub on_type_error: OnTypeError,
    /// Extension: where Parquet output goes in Amazon Security Lake.
    #[serde(default)]
    pub security_lake: Option<SecurityLakeSpec>,
    /// Extension: lookup tables read from CSV files, by name, for the `lookup` value
    /// function.
    #[serde(default)]
    pub lookups: OrderedMap<LookupSpec>,
    /// The bytes of each lookup table's file (or why it could not be read), by table
    /// name: filled by the loader, which knows where the mapping is
    /// ([`MappingFile::read_lookups`]); not part of the file.
    #[serde(skip)]
    #[cfg_attr(feature = "json-schema", schemars(skip))]
    pub lookup_files: Vec<(String, Result<Vec<u8>, String>)>,
}

/// Extension: a lookup table: a CSV file with a header line, and the columns holding
/// the keys and the values (by default the first and the second).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupSpec {
    /// The CSV file, relative to the mapping file's folder.
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub file: String,
    /// The header of the key column.
    #[serde(default)]
    pub key: Option<String>,
    /// The header of the value column.
    #[serde(default)]
    pub value: Option<String>,
}

impl MappingFile {
    /// Reads the file of every lookup table with `read` (`std::fs::read`: the core does
    /// no file I/O itself), each path resolved against the folder of the mapping file
    /// at `mapping_path`. The tables are parsed when the mapping is compiled, where a
    /// file that could not be read is an error at its `file`.
    pub fn read_lookups(
        &mut self,
        mapping_path: &std::path::Path,
        mut read: impl FnMut(std::path::PathBuf) -> std::io::Result<Vec<u8>>,
    ) {
        let dir = mapping_path.parent().unwrap_or(std::path::Path::new(""));
        let src = &mut self.custom_source_events;
        src.lookup_files = src
            .lookups
            .0
            .iter()
            .map(|(name, spec)| {
                let bytes = read(dir.join(&spec.file)).map_err(|e| e.to_string());
                (name.clone(), bytes)
            })
            .collect();
    }
}

/// Extension: the Security Lake partition values of a custom source.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SecurityLakeSpec {
    /// AWS region of the data lake (`region=` partition).
    #[serde(default)]
    pub region: Option<String>,
    /// 12-digit AWS account id (`accountId=` partition).
    #[serde(default)]
    pub account_id: Option<String>,
}

/// What a value that cannot be coerced to its attribute's type does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnTypeError {
    /// The event is rejected, with the attribute and the value in the reason.
    #[default]
    Reject,
    /// The value moves to `unmapped` under its attribute path (`unmapped["actor.process"]`)
    /// and the event is kept.
    Unmapped,
}

/// The published `timestamp` block: the event time's field and its format.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimestampSpec {
    pub field: String,
    #[serde(default)]
    pub format: Option<String>,
}

/// One route: the class and the attribute mapping for events of one kind.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    #[serde(default)]
    pub schema: Option<String>,
    /// Attribute -> mapping value (a path, a literal, an expression, a nested object or
    /// a list).
    #[serde(default)]
    #[cfg_attr(
        feature = "json-schema",
        schemars(with = "Option<OrderedMap<super::value::MappingValue>>")
    )]
    pub schema_mapping: Option<Node>,
    /// Extension: events taking this route are dropped on purpose.
    #[serde(default)]
    pub drop: bool,
    /// Extension: overrides the source-wide `unmapped_rest` for this route.
    #[serde(default)]
    pub unmapped_rest: Option<bool>,
}

/// Extension: a route taken when a condition holds.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// The condition (see the README's "Conditions").
    #[cfg_attr(
        feature = "json-schema",
        schemars(with = "super::condition::Condition")
    )]
    pub when: Node,
    /// The key of the route in `ocsf_mapping`.
    pub route: String,
}

/// Extension: record-level preparation of raw events.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// String fields holding `Key: Value` lines, parsed into objects before mapping
    /// (Sysmon's `Description`).
    #[serde(default)]
    pub key_value_fields: Vec<String>,
    /// Source strings that mean "no value" (Sysmon's `-`): read as null.
    #[serde(default)]
    pub null_values: Vec<String>,
    /// Keys of a wrapper object whose array holds the records (default `["Records"]`).
    #[serde(default)]
    pub records_keys: Option<Vec<String>>,
    /// Records are lines of delimited text (VPC flow logs), not JSON: each line becomes
    /// an object of its named fields, every value a string.
    #[serde(default)]
    pub delimited: Option<DelimitedSpec>,
}

/// Extension: whether delimited input starts with a header line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HeaderSpec {
    /// The first line is the header when it looks like one.
    #[default]
    Auto,
    /// The first line is always the header.
    Always,
    /// No header line: `fields` name the fields.
    Never,
}

/// Extension: how a line of delimited text splits into named fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DelimitedSpec {
    /// The one character between fields (default a space).
    #[serde(default)]
    pub separator: Option<String>,
    /// The field names, in order, of input without a header line. A header line (as
    /// in VPC flow logs delivered to S3) names the fields instead, and a later line equal
    /// to it is skipped as a repeated header.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Whether each input's first line is a header naming the fields: `auto` (default:
    /// when it looks like one, that is every field starts with a letter or `_` and,
    /// with `fields`, one of them is a listed name; `fields` name headerless input),
    /// `always`, or `never` (needs `fields`).
    #[serde(default)]
    pub header: HeaderSpec,
    /// The one character that encloses a field holding separators (none by default).
    /// Inside it, the quote is written twice or escaped with a backslash.
    #[serde(default)]
    pub quote: Option<String>,
}

/// Extension: a condition under which an event is dropped on purpose.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DropRule {
    pub field: String,
    /// Drop when the field's value (compared as a string) is one of these.
    #[serde(default, rename = "in")]
    #[cfg_attr(
        feature = "json-schema",
        schemars(with = "Option<Vec<serde_json::Value>>")
    )]
    pub any_of: Option<Vec<Node>>,
    /// Drop when the field is absent or null.
    #[serde(default)]
    pub missing: bool,
}

/// A map that keeps file order and turns numeric YAML keys into strings.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<T>(pub Vec<(String, T)>);

impl<T> Default for OrderedMap<T> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<T: serde::Serialize> serde::Serialize for OrderedMap<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                let mut seen = KeySet::default();
                while let Some(KeyString(key)) = map.next_key()? {
                    if !seen.insert(&key) {
                        return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                    }
                    entries.push((key, map.next_value()?));
                }
                Ok(OrderedMap(entries))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[cfg(feature = "json-schema")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for OrderedMap<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let value = generator.subschema_for::<T>();
        schemars::json_schema!({ "type": "object", "additionalProperties": value })
    }
}
