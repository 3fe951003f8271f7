//! The typed values of `schema_mapping`: one type per kind of mapping value and
//! expression. The compiler consumes these, and `schemas/mapping.schema.json` is
//! derived from them, so the schema says exactly what the compiler accepts.
//!
//! A file is read as a raw [`Node`](super::Node) tree first; the compiler's front end
//! (`plan::read_value`) turns it into these types while it collects a diagnostic, with
//! its JSON pointer, for every value that does not fit.

use serde::{Serialize, Serializer};

use super::condition::Condition;
use super::model::OrderedMap;
use super::path::SourcePath;

/// The keys that make a mapping object an expression rather than a nested object, one
/// per expression kind. An object holding none of them is a nested OCSF object.
pub const EXPRESSION_KEYS: &[&str] = &[
    "enum",
    "coalesce",
    "literal",
    "template",
    "timestamp",
    "split",
    "cases",
    "lower",
    "upper",
    "trim",
    "url_decode",
    "parse_json",
    "join",
    "replace",
    "key_values",
    "lookup",
    "each",
];

/// The keys of the value functions (`lower` to `lookup`): a run of
/// [`EXPRESSION_KEYS`].
pub const FUNCTION_KEYS: &[&str] = EXPRESSION_KEYS.split_at(7).1.split_at(9).0;

/// What an attribute of `schema_mapping` is mapped to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum MappingValue {
    /// A `$.` path into the raw event.
    Path(PathText),
    /// A literal: a string that is not a path, a number, a boolean or null.
    Literal(Scalar),
    /// An expression (enum, coalesce, literal, template, timestamp, split, cases, or a
    /// value function).
    Expr(Expression),
    /// A nested OCSF object: attribute name -> mapping value.
    Object(NestedObject),
    /// A list; items may be paths, and a path holding an array adds all its elements.
    List(Vec<MappingValue>),
    /// A value the front end refused (its diagnostics are reported): compiled as absent.
    #[serde(skip)]
    #[cfg_attr(feature = "json-schema", schemars(skip))]
    Invalid,
}

/// A value inside an expression (an enum result, a coalesce item, a default): a path,
/// a literal or an expression, never a nested object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Operand {
    /// A `$.` path into the raw event.
    Path(PathText),
    /// A literal: a string that is not a path, a number, a boolean or null.
    Literal(Scalar),
    /// A literal list, taken as it is written (paths in it are not read).
    List(Vec<serde_json::Value>),
    /// An expression.
    Expr(Box<Expression>),
}

/// A literal that is not a list or an object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Scalar {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

impl Scalar {
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Scalar::Null => serde_json::Value::Null,
            Scalar::Bool(b) => serde_json::Value::Bool(*b),
            Scalar::Number(n) => serde_json::Value::Number(n.clone()),
            Scalar::String(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// An expression: one kind, and what it gives when its value is null (`default`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Expression {
    Enum(EnumExpr),
    Coalesce(CoalesceExpr),
    Literal(LiteralExpr),
    Template(TemplateExpr),
    Timestamp(TimestampExpr),
    Split(SplitExpr),
    Cases(CasesExpr),
    Function(FunctionExpr),
    Each(Box<EachExpr>),
}

impl Expression {
    /// The value used when the expression's value is null.
    pub fn default(&self) -> Option<&Operand> {
        match self {
            Expression::Enum(e) => e.default.as_ref(),
            Expression::Coalesce(e) => e.default.as_ref(),
            Expression::Literal(e) => e.default.as_ref(),
            Expression::Template(e) => e.default.as_ref(),
            Expression::Timestamp(e) => e.default.as_ref(),
            Expression::Split(e) => e.default.as_ref(),
            Expression::Cases(e) => e.default.as_ref(),
            Expression::Function(e) => e.default(),
            Expression::Each(e) => e.default.as_ref(),
        }
    }
}

/// Looks the value of `evaluate` up in `values` (keys compare as strings); `other` when
/// absent or not listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EnumExpr {
    #[serde(rename = "enum")]
    pub table: EnumSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// The body of an `enum` expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    /// The path whose value is looked up.
    pub evaluate: PathText,
    /// How keys match the value: `exact` (the default), `prefix`, `suffix`, `regex`,
    /// `range` (`10-20`, `..9`, `100..`: numbers, bounds included) or
    /// `case_insensitive`. Every kind but `exact` and `case_insensitive` tries the keys
    /// in file order; the first that matches wins.
    #[serde(default, rename = "match", skip_serializing_if = "MatchKind::is_exact")]
    pub match_kind: MatchKind,
    /// Source value (compared as a string) -> result.
    pub values: OrderedMap<Operand>,
    /// The result for a value not listed, or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<Operand>,
}

/// Each element of a source array mapped into one object of an array attribute: paths
/// in `map` and `where` starting with `@` read the element, `$` paths the whole event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EachExpr {
    /// The array whose elements are mapped (a `$` path, or an `@` path inside another
    /// `each`).
    pub each: PathText,
    /// Only the elements for which this condition holds.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Condition>,
    /// The object each element becomes: attribute -> mapping value.
    pub map: NestedObject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// A value function applied to a value (a path, a literal or an expression).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FunctionExpr {
    /// Lower-cases text.
    Lower(Unary<Lower>),
    /// Upper-cases text.
    Upper(Unary<Upper>),
    /// Removes leading and trailing white space.
    Trim(Unary<Trim>),
    /// Decodes `%XX` escapes (and `+` as a space).
    UrlDecode(Unary<UrlDecode>),
    /// Parses a string holding JSON into its value (an object, an array, ...).
    ParseJson(Unary<ParseJson>),
    Join(JoinExpr),
    Replace(ReplaceExpr),
    KeyValues(KeyValuesExpr),
    Lookup(LookupExpr),
}

impl FunctionExpr {
    pub fn input(&self) -> &Operand {
        match self {
            FunctionExpr::Lower(u) => &u.input,
            FunctionExpr::Upper(u) => &u.input,
            FunctionExpr::Trim(u) => &u.input,
            FunctionExpr::UrlDecode(u) => &u.input,
            FunctionExpr::ParseJson(u) => &u.input,
            FunctionExpr::Join(e) => &e.join,
            FunctionExpr::Replace(e) => &e.replace,
            FunctionExpr::KeyValues(e) => &e.key_values,
            FunctionExpr::Lookup(e) => &e.lookup,
        }
    }

    pub fn default(&self) -> Option<&Operand> {
        match self {
            FunctionExpr::Lower(u) => u.default.as_ref(),
            FunctionExpr::Upper(u) => u.default.as_ref(),
            FunctionExpr::Trim(u) => u.default.as_ref(),
            FunctionExpr::UrlDecode(u) => u.default.as_ref(),
            FunctionExpr::ParseJson(u) => u.default.as_ref(),
            FunctionExpr::Join(e) => e.default.as_ref(),
            FunctionExpr::Replace(e) => e.default.as_ref(),
            FunctionExpr::KeyValues(e) => e.default.as_ref(),
            FunctionExpr::Lookup(e) => e.default.as_ref(),
        }
    }

    pub(crate) fn default_slot(&mut self) -> &mut Option<Operand> {
        match self {
            FunctionExpr::Lower(u) => &mut u.default,
            FunctionExpr::Upper(u) => &mut u.default,
            FunctionExpr::Trim(u) => &mut u.default,
            FunctionExpr::UrlDecode(u) => &mut u.default,
            FunctionExpr::ParseJson(u) => &mut u.default,
            FunctionExpr::Join(e) => &mut e.default,
            FunctionExpr::Replace(e) => &mut e.default,
            FunctionExpr::KeyValues(e) => &mut e.default,
            FunctionExpr::Lookup(e) => &mut e.default,
        }
    }
}

/// The name of a one-argument value function: the key it is written with.
pub trait FunctionName {
    const KEY: &'static str;
}

macro_rules! function_names {
    ($($ty:ident = $key:literal),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty;
        impl FunctionName for $ty {
            const KEY: &'static str = $key;
        }
    )*};
}

function_names!(
    Lower = "lower",
    Upper = "upper",
    Trim = "trim",
    UrlDecode = "url_decode",
    ParseJson = "parse_json",
);

/// A one-argument value function: `{<name>: <value>, default: ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unary<F> {
    pub input: Operand,
    pub default: Option<Operand>,
    pub name: F,
}

impl<F> Unary<F> {
    pub fn new(input: Operand, name: F) -> Self {
        Unary {
            input,
            default: None,
            name,
        }
    }
}

impl<F: FunctionName> Serialize for Unary<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(F::KEY, &self.input)?;
        if let Some(d) = &self.default {
            map.serialize_entry("default", d)?;
        }
        map.end()
    }
}

#[cfg(feature = "json-schema")]
impl<F: FunctionName> schemars::JsonSchema for Unary<F> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        let mut name = String::from("Function_");
        name.push_str(F::KEY);
        name.into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let operand = generator.subschema_for::<Operand>();
        schemars::json_schema!({
            "type": "object",
            "properties": {F::KEY: operand, "default": operand},
            "required": [F::KEY],
            "additionalProperties": false
        })
    }
}

/// The elements of an array as text, between `separator` (a scalar is itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct JoinExpr {
    pub join: Operand,
    pub separator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// Every match of the regular expression `pattern` replaced by `with` (`$1`, `${name}`
/// name groups).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplaceExpr {
    pub replace: Operand,
    pub pattern: String,
    pub with: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// `key=value` pairs into an object: pairs split on `pairs` (default `;`), each on the
/// first `separator` (default `=`); keys and values trimmed; a pair without the
/// separator is left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyValuesExpr {
    pub key_values: Operand,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub pairs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub separator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// The value of a lookup table (`lookups` of the mapping) for the value's text; none
/// when the table has no such key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupExpr {
    pub lookup: Operand,
    /// The name of the table in `lookups`.
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub table: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
    /// The JSON pointer of `table`, for an unknown table's error.
    #[serde(skip)]
    #[cfg_attr(feature = "json-schema", schemars(skip))]
    pub at: String,
}

/// How the keys of an `enum` table match the value looked up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    #[default]
    Exact,
    Prefix,
    Suffix,
    Regex,
    Range,
    CaseInsensitive,
}

impl MatchKind {
    pub const NAMES: &[&str] = &[
        "exact",
        "prefix",
        "suffix",
        "regex",
        "range",
        "case_insensitive",
    ];

    pub fn parse(name: &str) -> Option<MatchKind> {
        Some(match name {
            "exact" => MatchKind::Exact,
            "prefix" => MatchKind::Prefix,
            "suffix" => MatchKind::Suffix,
            "regex" => MatchKind::Regex,
            "range" => MatchKind::Range,
            "case_insensitive" => MatchKind::CaseInsensitive,
            _ => return None,
        })
    }

    pub fn is_exact(&self) -> bool {
        *self == MatchKind::Exact
    }
}

/// The value of the first case whose condition holds; `default` when none does (or
/// when that case's value is null).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CasesExpr {
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub cases: Vec<Case>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// One case of a `cases` expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub when: Condition,
    pub value: Operand,
}

/// The first non-null of several values; `default` when all are null.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CoalesceExpr {
    pub coalesce: Vec<Operand>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// A literal value, even a string that starts with `$.`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LiteralExpr {
    pub literal: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// Text with `{$.path}` placeholders; `{{` and `}}` are literal braces.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateExpr {
    pub template: Template,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// A timestamp field and its format (auto, iso8601, epoch, epoch_s/ms/us/ns, or a
/// strftime pattern).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimestampExpr {
    pub timestamp: TimestampField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// The body of a `timestamp` expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimestampField {
    pub field: PathText,
    /// The format's name or strftime pattern; checked by the front end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(with = "String"))]
    pub format: Option<String>,
}

/// The part of a string at `index` (negative counts from the end) when split on
/// `separator`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SplitExpr {
    pub split: Operand,
    #[cfg_attr(feature = "json-schema", schemars(length(min = 1)))]
    pub separator: String,
    #[serde(default)]
    pub index: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Operand>,
}

/// A `$.` path, parsed.
#[derive(Debug, Clone)]
pub struct PathText {
    pub text: String,
    pub parsed: SourcePath,
}

impl PartialEq for PathText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Serialize for PathText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for PathText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Path".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": PATH_PATTERN,
            "description": "A `$.` path into the raw event (`$.a.b`, `$.list[0]`, `$['key.with.dots']`, or JSONPath with wildcards and filters); inside an `each`, an `@.` path into the element"
        })
    }
}

/// What [`super::path::is_path`] and [`super::path::is_element_path`] accept, as a JSON
/// Schema pattern.
#[cfg(feature = "json-schema")]
const PATH_PATTERN: &str = r"^[$@]($|\.|\[)";

/// A template, parsed into text and paths.
#[derive(Debug, Clone)]
pub struct Template {
    pub text: String,
    pub parts: Vec<TemplatePiece>,
}

/// One piece of a template.
#[derive(Debug, Clone)]
pub enum TemplatePiece {
    Text(String),
    Path(PathText),
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for Template {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Template".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Text with `{$.path}` placeholders; `{{` and `}}` are literal braces."
        })
    }
}

/// The attributes of a nested OCSF object, in file order. Its keys are attribute
/// names, never an expression key (an object with one is an expression).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NestedObject(pub OrderedMap<MappingValue>);

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for NestedObject {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NestedObject".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let value = generator.subschema_for::<MappingValue>();
        schemars::json_schema!({
            "description": "A nested OCSF object: attribute name -> mapping value.",
            "type": "object",
            "additionalProperties": value,
            "propertyNames": {"not": {"enum": EXPRESSION_KEYS}}
        })
    }
}

impl MappingValue {
    /// The value as it is written in the file (a list of paths is a list of strings).
    /// `None` when it holds a refused value.
    pub fn to_json(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    /// The literal this value is, if it is one: a scalar, or a `literal` expression.
    pub fn literal(&self) -> Option<serde_json::Value> {
        match self {
            MappingValue::Literal(s) => Some(s.to_value()),
            MappingValue::Expr(Expression::Literal(e)) => Some(e.literal.clone()),
            _ => None,
        }
    }
}

impl Operand {
    /// The literal this operand is, if it is one: a scalar, or a `literal` expression.
    pub fn literal(&self) -> Option<serde_json::Value> {
        match self {
            Operand::Literal(s) => Some(s.to_value()),
            Operand::Expr(e) => match &**e {
                Expression::Literal(e) => Some(e.literal.clone()),
                _ => None,
            },
            _ => None,
        }
    }
}
