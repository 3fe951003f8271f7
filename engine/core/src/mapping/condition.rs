//! Conditions: the one declarative model of everything in a mapping that decides
//! (routing rules, conditional values, and later drop rules and the event shell's
//! steps). A condition tests the value at a `$.` path, or combines conditions:
//!
//! ```yaml
//! {path: $.eventName, equals: ConsoleLogin}
//! {path: $.eventName, in: [CreateUser, DeleteUser]}
//! {path: $.errorCode, exists: true}          # false: absent or null
//! {path: $.eventName, prefix: Get}           # also suffix, contains
//! {path: $.userAgent, matches: '^aws-cli/'}  # a regular expression (linear time)
//! {path: $.srcaddr, cidr: [10.0.0.0/8, 192.168.0.0/16]}
//! {path: $.bytes, gte: 1048576}              # also gt, lt, lte (numbers)
//! {path: $.pkt-srcaddr, same_as: $.srcaddr}  # equal to the value at another path
//! {all: [...]}  {any: [...]}  {not: {...}}
//! ```
//!
//! Values compare as the strings routing and enum tables use (`1` and `"1"` are
//! equal); a test on an absent or null value is false, except `exists: false`.

use serde::{Serialize, Serializer};

use super::value::{PathText, Scalar};

/// The operators of a test, one per test.
pub const TEST_KEYS: &[&str] = &[
    "equals", "in", "exists", "prefix", "suffix", "contains", "matches", "cidr", "gt", "gte", "lt",
    "lte", "same_as",
];

/// The keys that combine conditions.
pub const COMBINATOR_KEYS: &[&str] = &["all", "any", "not"];

/// A condition on the raw event.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Test(Test),
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
}

/// A test of the value at a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub path: PathText,
    pub op: TestOp,
}

/// What a test checks.
#[derive(Debug, Clone, PartialEq)]
pub enum TestOp {
    /// The value, as a string, is this one.
    Equals(String),
    /// The value, as a string, is one of these.
    In(Vec<String>),
    /// The value is present and not null (`true`), or absent or null (`false`).
    Exists(bool),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// A regular expression, searched in the value (anchor it with `^...$`).
    Matches(String),
    /// The value is an IP address inside one of these networks.
    Cidr(Vec<String>),
    /// The value is a number (or a string holding one) compared with this.
    Compare(Comparison, f64),
    /// The value equals (as a string) the value at another path; false when either is
    /// absent.
    SameAs(PathText),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Comparison {
    pub fn key(self) -> &'static str {
        match self {
            Comparison::Gt => "gt",
            Comparison::Gte => "gte",
            Comparison::Lt => "lt",
            Comparison::Lte => "lte",
        }
    }

    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::Gt => value > bound,
            Comparison::Gte => value >= bound,
            Comparison::Lt => value < bound,
            Comparison::Lte => value <= bound,
        }
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match self {
            Condition::All(items) => map.serialize_entry("all", items)?,
            Condition::Any(items) => map.serialize_entry("any", items)?,
            Condition::Not(inner) => map.serialize_entry("not", inner)?,
            Condition::Test(t) => {
                map.serialize_entry("path", &t.path)?;
                match &t.op {
                    TestOp::Equals(v) => map.serialize_entry("equals", v)?,
                    TestOp::In(v) => map.serialize_entry("in", v)?,
                    TestOp::Exists(v) => map.serialize_entry("exists", v)?,
                    TestOp::Prefix(v) => map.serialize_entry("prefix", v)?,
                    TestOp::Suffix(v) => map.serialize_entry("suffix", v)?,
                    TestOp::Contains(v) => map.serialize_entry("contains", v)?,
                    TestOp::Matches(v) => map.serialize_entry("matches", v)?,
                    TestOp::Cidr(v) => map.serialize_entry("cidr", v)?,
                    TestOp::Compare(c, v) => map.serialize_entry(c.key(), v)?,
                    TestOp::SameAs(p) => map.serialize_entry("same_as", p)?,
                }
            }
        }
        map.end()
    }
}

/// The string a scalar compares as in a condition (`1` -> `"1"`, `true` -> `"true"`).
pub fn scalar_key(s: &Scalar) -> Option<String> {
    match s {
        Scalar::Null => None,
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::Number(n) => Some(n.to_string()),
        Scalar::String(s) => Some(s.clone()),
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Condition {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let path = generator.subschema_for::<PathText>();
        let me = generator.subschema_for::<Condition>();
        let scalar = schemars::json_schema!({"type": ["string", "number", "boolean"]});
        let text = schemars::json_schema!({"type": "string"});
        let texts = schemars::json_schema!({
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        });
        let test = |key: &str, operand: &schemars::Schema| {
            schemars::json_schema!({
                "type": "object",
                "properties": {"path": path, key: operand},
                "required": ["path", key],
                "additionalProperties": false
            })
        };
        let list_of = |item: &schemars::Schema| schemars::json_schema!({"type": "array", "items": item, "minItems": 1});
        schemars::json_schema!({
            "description": "A condition: a test of the value at `path` (one operator), or `all`, `any`, `not` of conditions.",
            "oneOf": [
                test("equals", &scalar),
                test("in", &list_of(&scalar)),
                test("exists", &schemars::json_schema!({"type": "boolean"})),
                test("prefix", &text),
                test("suffix", &text),
                test("contains", &text),
                test("matches", &text),
                test("cidr", &texts),
                test("gt", &schemars::json_schema!({"type": "number"})),
                test("gte", &schemars::json_schema!({"type": "number"})),
                test("lt", &schemars::json_schema!({"type": "number"})),
                test("lte", &schemars::json_schema!({"type": "number"})),
                test("same_as", &path),
                {"type": "object", "properties": {"all": list_of(&me)}, "required": ["all"], "additionalProperties": false},
                {"type": "object", "properties": {"any": list_of(&me)}, "required": ["any"], "additionalProperties": false},
                {"type": "object", "properties": {"not": me}, "required": ["not"], "additionalProperties": false}
            ]
        })
    }
}
