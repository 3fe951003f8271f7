//! The registry of diagnostic codes, in the style of ruff's rule table: each code is
//! declared once below (code, name, default severity, where it points, documentation
//! with a bad and a good example), and the `Code` enum, its lookups and the generated
//! documentation (`docs/diagnostics.md`, `ocsfmap explain`) all come from this table.
//!
//! Codes are never reused: a retired code keeps its entry. `OM0xx` are problems of a
//! mapping file; `OM1xx` are the reasons a record is set aside at run time. A const
//! check below refuses to compile a table whose codes are not strictly increasing (so
//! no two entries can share a code) or whose names repeat.

use super::Severity;

/// What a diagnostic's pointer designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The key of the offending entry of the mapping file (or the file itself when the
    /// pointer is empty).
    Key,
    /// The offending value of the mapping file.
    Value,
    /// An input record (by input name, line and record index), not the mapping file.
    Record,
}

/// When a code is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Compiling or validating a mapping file (`ocsfmap validate`, and `transform` before
    /// it reads any record).
    Mapping,
    /// A record set aside at run time as `rejected` (`--rejects`).
    Rejected,
    /// A record set aside at run time as `unrouted` (`--rejects`).
    Unrouted,
}

/// One entry of the registry.
#[derive(Debug)]
pub struct Info {
    pub code: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    pub place: Place,
    pub stage: Stage,
    /// One line: what the code means.
    pub summary: &'static str,
    /// A paragraph: when it is reported and how to fix it.
    pub doc: &'static str,
    /// An example that gets the code (YAML for mapping codes; input and mapping for
    /// run-time codes).
    pub bad: &'static str,
    /// The example fixed.
    pub good: &'static str,
}

macro_rules! registry {
    ($(
        $variant:ident = $code:literal, $name:literal, $severity:ident, $place:ident, $stage:ident {
            summary: $summary:literal,
            doc: $doc:literal,
            bad: $bad:literal,
            good: $good:literal $(,)?
        }
    )*) => {
        /// Stable diagnostic codes, declared in the registry table. Never reuse a
        /// retired code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        /// The registry, in code order; `Code::X as usize` indexes it.
        static REGISTRY: &[Info] = &[$(
            Info {
                code: $code,
                name: $name,
                severity: Severity::$severity,
                place: Place::$place,
                stage: Stage::$stage,
                summary: $summary,
                doc: $doc,
                bad: $bad,
                good: $good,
            },
        )*];

        impl Code {
            /// Every code, in code order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
        }

        const _: () = assert!(
            strictly_increasing(&[$($code),*]) && all_distinct(&[$($name),*]),
            "registry codes must be strictly increasing and names distinct"
        );
    };
}

impl Code {
    /// The code's registry entry.
    pub fn info(self) -> &'static Info {
        &REGISTRY[self as usize]
    }

    /// The code as written in reports (`OM015`).
    pub fn as_str(self) -> &'static str {
        self.info().code
    }

    /// The short kebab-case name (`contradiction`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The severity a diagnostic of this code has unless its call site says otherwise.
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// Whether the diagnostic is about a value (and is shown at the value, not its key).
    pub fn points_at_value(self) -> bool {
        self.info().place == Place::Value
    }

    /// The code written as `OM015` (any case), `15`/`015`, or by its name.
    pub fn lookup(text: &str) -> Option<Code> {
        let text = text.trim();
        let digits = text
            .get(..2)
            .filter(|p| p.eq_ignore_ascii_case("om"))
            .map_or(text, |_| &text[2..]);
        if let Ok(n) = digits.parse::<u32>()
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Code::ALL.iter().copied().find(|c| c.number() == n);
        }
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.name().eq_ignore_ascii_case(text))
    }

    /// The number of the code (15 for `OM015`).
    pub fn number(self) -> u32 {
        self.as_str()[2..].parse().unwrap_or_default()
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Whether `a` sorts strictly before `b`, byte by byte (a const `<`).
const fn less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

const fn strictly_increasing(codes: &[&str]) -> bool {
    let mut i = 1;
    while i < codes.len() {
        if !less(codes[i - 1], codes[i]) || codes[i].len() != 5 {
            return false;
        }
        i += 1;
    }
    true
}

const fn all_distinct(names: &[&str]) -> bool {
    let mut i = 0;
    while i < names.len() {
        let mut j = i + 1;
        while j < names.len() {
            if !less(names[i], names[j]) && !less(names[j], names[i]) {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

registry! {
    UnknownClass = "OM001", "unknown-class", Error, Value, Mapping {
        summary: "`schema` or `class_uid` names no class of the OCSF version.",
        doc: "Each route of `ocsf_mapping` produces events of one OCSF class, named by \
`schema` (the class name, such as `network_activity`) or by a literal \
`schema_mapping.class_uid`. The name or uid must be a class of the mapping's \
`ocsf_version`; a route that names neither is reported too. The help line suggests the \
nearest class name.",
        bad: "ocsf_mapping:
  flow:
    schema: network_activty
    schema_mapping: {time: $.ts}",
        good: "ocsf_mapping:
  flow:
    schema: network_activity
    schema_mapping: {time: $.ts}",
    }
    UnknownVersion = "OM002", "unknown-version", Error, Key, Mapping {
        summary: "`ocsf_version` is not a version this build carries.",
        doc: "`ocsf_version` selects the OCSF schema the mapping is compiled against; only \
the versions embedded in this build can be used (the help line lists them). Nothing \
else of the mapping is checked until the version is known.",
        bad: "custom_source_events:
  source_name: demo
  ocsf_version: 1.0.0",
        good: "custom_source_events:
  source_name: demo
  ocsf_version: 1.1.0",
    }
    PathSyntax = "OM003", "path-syntax", Error, Value, Mapping {
        summary: "A `$.` path that does not parse.",
        doc: "A string that starts with `$.` is a path into the raw event: dotted names, \
`[n]` indexes, `['quoted key']`, or full JSONPath. A path that does not parse is \
reported at the value; so is a JSONPath query where only a simple path can work \
(`timestamp.field`, `input.key_value_fields`).",
        bad: "schema_mapping:
  message: $.msg[?(",
        good: "schema_mapping:
  message: $.msg",
    }
    UnknownAttribute = "OM004", "unknown-attribute", Warning, Key, Mapping {
        summary: "A target attribute that the class or object does not have.",
        doc: "Keys of `schema_mapping` are attributes of the route's class, and nested keys \
attributes of the OCSF object they belong to. `transform` keeps the value of an unknown \
attribute under `unmapped.<path>` and warns; `ocsfmap validate` reports it as an error, \
since in a mapping under review it is a mistake (often a typo: the help line suggests \
the nearest attribute).",
        bad: "schema_mapping:
  src_endpoint:
    prot: $.sport",
        good: "schema_mapping:
  src_endpoint:
    port: $.sport",
    }
    LiteralType = "OM005", "literal-type", Error, Value, Mapping {
        summary: "A literal that cannot be coerced to the attribute's type.",
        doc: "Literals are coerced to the attribute's OCSF type once, when the mapping is \
compiled, so a literal that can never fit is an error rather than a rejection of every \
event. A caption written where an enum id belongs is the usual case: the help line \
gives the id.",
        bad: "schema_mapping:
  severity_id: High",
        good: "schema_mapping:
  severity_id: 4",
    }
    BadExpression = "OM006", "bad-expression", Error, Key, Mapping {
        summary: "An expression object (`enum`, `coalesce`, ...) that is malformed.",
        doc: "An object that holds one of the expression keys (`enum`, `coalesce`, \
`template`, `timestamp`, `split`, `cases`, `literal`, or a value function: `lower`, \
`upper`, `trim`, `url_decode`, `parse_json`, `join`, `replace`, `key_values`) is an \
expression and must take exactly one of them, with the parts that expression takes: \
`enum` needs `evaluate` and `values`, `coalesce` a list, `template` a string whose \
`{...}` hold `$.` paths, `split` a non-empty `separator` and an integer `index`, \
`cases` a non-empty list of `{when: <condition>, value: <value>}`, `join` a \
`separator`, `replace` a `pattern` and `with`.",
        bad: "schema_mapping:
  message: {template: '{user} logged in'}",
        good: "schema_mapping:
  message: {template: '{$.user} logged in'}",
    }
    ShapeMismatch = "OM007", "shape-mismatch", Error, Key, Mapping {
        summary: "A mapping value of a shape the attribute cannot take (an object for a string).",
        doc: "An attribute of a scalar type (string, integer, timestamp, ...) takes a `$.` \
path, a literal or an expression, not an object of keys; and `schema_mapping` itself \
must be an object. To build a string from several fields use a `template`.",
        bad: "schema_mapping:
  message: {text: $.msg}",
        good: "schema_mapping:
  message: $.msg",
    }
    UnknownRoute = "OM008", "unknown-route", Error, Key, Mapping {
        summary: "A route reference (`default_route`, a route rule's `route`) that names no route.",
        doc: "`default_route` names the entry of `ocsf_mapping` that takes events whose \
`matched_field` value no route has. It must be one of the keys of `ocsf_mapping` (the \
help line lists them).",
        bad: "matched_field: $.kind
default_route: other
ocsf_mapping:
  flow: {schema: network_activity, schema_mapping: {time: $.ts}}",
        good: "matched_field: $.kind
default_route: flow
ocsf_mapping:
  flow: {schema: network_activity, schema_mapping: {time: $.ts}}",
    }
    TimeFormat = "OM009", "time-format", Error, Value, Mapping {
        summary: "A time format that does not parse.",
        doc: "`timestamp.format` and the `format` of a `timestamp` expression are chrono \
strftime patterns (`%Y-%m-%d %H:%M:%S`) or one of the named formats (`auto`, \
`iso8601`, `epoch`, `epoch_s`, `epoch_ms`, `epoch_us`, `epoch_ns`). An unknown name, a \
pattern with a `%` directive chrono cannot read, or a format that is not a string is \
reported at the value.",
        bad: "schema_mapping:
  time: {timestamp: {field: $.ts, format: '%Y-%m-%d %Q'}}",
        good: "schema_mapping:
  time: {timestamp: {field: $.ts, format: '%Y-%m-%d %H:%M:%S'}}",
    }
    MissingMatchedField = "OM010", "missing-matched-field", Error, Key, Mapping {
        summary: "`ocsf_mapping` has several routes but no `matched_field`.",
        doc: "With more than one route, `matched_field` names the field of the event whose \
value picks the route (the keys of `ocsf_mapping`). Without it no event could reach any \
route but the first.",
        bad: "ocsf_mapping:
  flow: {schema: network_activity, schema_mapping: {time: $.ts}}
  alert: {schema: detection_finding, schema_mapping: {time: $.ts}}",
        good: "matched_field: $.event_type
ocsf_mapping:
  flow: {schema: network_activity, schema_mapping: {time: $.ts}}
  alert: {schema: detection_finding, schema_mapping: {time: $.ts}}",
    }
    Syntax = "OM011", "syntax", Error, Key, Mapping {
        summary: "The file cannot be read as JSON or YAML, or does not fit the mapping model.",
        doc: "The mapping file must be a JSON (`.json`) or YAML document that can be read at \
all: this code reports a file that cannot be read, text that is not JSON or YAML (with \
its line and column), and a document that the JSON Schema accepts but the mapping \
model does not. Structural problems of a well-formed document are OM025.",
        bad: "{\"custom_source_events\": {\"source_name\": \"demo\",}}",
        good: "{\"custom_source_events\": {\"source_name\": \"demo\"}}",
    }
    DuplicateKey = "OM012", "duplicate-key", Error, Key, Mapping {
        summary: "A key written twice in one object.",
        doc: "A key may appear once per object; the message gives the line of the first \
one. Keys compare as strings, so `1` and `\"1\"` are the same route key.",
        bad: "ocsf_mapping:
  '1': {schema: process_activity, schema_mapping: {time: $.t}}
  1: {schema: process_activity, schema_mapping: {time: $.t}}",
        good: "ocsf_mapping:
  '1': {schema: process_activity, schema_mapping: {time: $.t}}",
    }
    EnumValue = "OM013", "enum-value", Error, Value, Mapping {
        summary: "An enum id that the attribute's enum does not list.",
        doc: "A literal written for an enum attribute (`activity_id`, `severity_id`, ...), \
directly or as a result of an `enum`, `coalesce` or `default`, must be one of the ids \
the OCSF class lists for it; the help line lists the valid ids and captions.",
        bad: "schema_mapping:
  activity_id: 42",
        good: "schema_mapping:
  activity_id: 6",
    }
    OutOfRange = "OM014", "out-of-range", Error, Value, Mapping {
        summary: "A number outside the range of the attribute's type.",
        doc: "A literal integer for an attribute whose OCSF type has a range (`port_t`: 0 to \
65535, ...) must lie in it.",
        bad: "schema_mapping:
  dst_endpoint:
    port: 70000",
        good: "schema_mapping:
  dst_endpoint:
    port: 7000",
    }
    Contradiction = "OM015", "contradiction", Error, Value, Mapping {
        summary: "Values that contradict each other or the class (class_uid, type_uid, captions).",
        doc: "ocsfmap derives `class_uid`, `category_uid`, `class_name`, `category_name`, \
`type_uid` and the captions of enum ids; a literal written for one of them must agree \
with the class and with the id beside it (`severity: Critical` with `severity_id: 1` \
does not). Leave them out, or write the value the class implies.",
        bad: "schema: network_activity
schema_mapping:
  class_uid: 4002
  severity_id: 1
  severity: Critical",
        good: "schema: network_activity
schema_mapping:
  severity_id: 1",
    }
    MissingRequired = "OM016", "missing-required", Error, Key, Mapping {
        summary: "A required attribute that the route does not produce.",
        doc: "Every attribute the OCSF class requires (and every required attribute of an \
object the route builds key by key, and of each profile the route declares) must be \
produced by the route: mapped, or derived by ocsfmap (class, category and type uids, \
captions, `metadata.version`).",
        bad: "schema: network_activity
schema_mapping:
  time: $.ts",
        good: "schema: network_activity
schema_mapping:
  time: $.ts
  activity_id: 6
  severity_id: 1
  metadata: {product: {name: Example, vendor_name: Example Inc}}",
    }
    MissingRecommended = "OM017", "missing-recommended", Warning, Key, Mapping {
        summary: "A recommended attribute that the route does not produce.",
        doc: "The OCSF class recommends these attributes; consumers of the data expect them. \
A warning, one per route, listing every recommended attribute that is not mapped; \
`validate --deny-warnings` makes it fail.",
        bad: "schema: network_activity
schema_mapping:
  time: $.ts
  activity_id: 6
  severity_id: 1
  metadata: {product: {name: Example, vendor_name: Example Inc}}",
        good: "schema: network_activity
schema_mapping:
  time: $.ts
  activity_id: 6
  severity_id: 1
  metadata: {product: {name: Example, vendor_name: Example Inc}}
  message: $.msg
  status_id: 1
  timezone_offset: 0
  connection_info: {protocol_name: $.proto, direction_id: 0}
  src_endpoint: {ip: $.src}
  dst_endpoint: {ip: $.dst}",
    }
ProfilesNotList = "OM018", "profiles-not-list", Error, Value, Mapping {
        summary: "`metadata.profiles` is not a list of profile names.",
        doc: "OCSF's `metadata.profiles` is an array of profile names. A comma-separated \
string is reported (the help line gives the list to write); its names are still checked.",
        bad: "schema_mapping:
  metadata:
    profiles: cloud, host",
        good: "schema_mapping:
  metadata:
    profiles: [cloud, host]",
    }
    UnknownProfile = "OM019", "unknown-profile", Error, Value, Mapping {
        summary: "A profile the OCSF version or the class does not have.",
        doc: "Each name in `metadata.profiles` must be a profile of the OCSF version, and \
one that applies to the route's class; the help line suggests the nearest name or lists \
the class's profiles.",
        bad: "schema_mapping:
  metadata:
    profiles: [cloudy]",
        good: "schema_mapping:
  metadata:
    profiles: [cloud]",
    }
    ProfileNotDeclared = "OM020", "profile-not-declared", Error, Key, Mapping {
        summary: "An attribute of a profile that `metadata.profiles` does not declare.",
        doc: "When a route lists `metadata.profiles`, an attribute that belongs to a profile \
(`cloud`, `container`, ...) may be mapped only if that profile is declared; add it to \
the list, or drop the attribute.",
        bad: "schema_mapping:
  metadata:
    profiles: [host]
  cloud: {provider: AWS}",
        good: "schema_mapping:
  metadata:
    profiles: [host, cloud]
  cloud: {provider: AWS}",
    }
    Deprecated = "OM021", "deprecated", Warning, Key, Mapping {
        summary: "A deprecated class or attribute.",
        doc: "The OCSF version marks the class the route names, or an attribute it maps, \
as deprecated: it still works, but a newer class or attribute replaces it. A warning.",
        bad: "schema: network_activity
schema_mapping:
  proxy: {ip: $.proxy_ip}",
        good: "schema: network_activity
schema_mapping:
  proxy_endpoint: {ip: $.proxy_ip}",
    }
    VersionMismatch = "OM022", "version-mismatch", Error, Value, Mapping {
        summary: "`metadata.version` that is not the OCSF version the mapping produces.",
        doc: "ocsfmap fills in `metadata.version` with the mapping's `ocsf_version`. A \
literal that says another version would make every event lie about its schema; leave \
it out, or change `ocsf_version`.",
        bad: "ocsf_version: 1.1.0
...
  metadata:
    version: 1.0.0",
        good: "ocsf_version: 1.1.0
...
  metadata:
    product: {name: Example, vendor_name: Example Inc}",
    }
    UnreachableRoute = "OM023", "unreachable-route", Warning, Key, Mapping {
        summary: "A route that no event can take.",
        doc: "A drop rule on the `matched_field` drops every event whose value is this \
route's key, so the route never produces anything. Remove the route, or the value from \
the drop rule.",
        bad: "matched_field: $.kind
drop:
  - {field: $.kind, in: [noise]}
ocsf_mapping:
  noise: {schema: network_activity, schema_mapping: {time: $.ts}}",
        good: "matched_field: $.kind
drop:
  - {field: $.kind, in: [noise]}
ocsf_mapping:
  flow: {schema: network_activity, schema_mapping: {time: $.ts}}",
    }
    Constraint = "OM024", "constraint", Error, Key, Mapping {
        summary: "An object constraint (`at_least_one`, `just_one`) that the mapping cannot meet.",
        doc: "Some OCSF objects require at least one (or exactly one) of a set of \
attributes: a `network_endpoint` needs one of `ip`, `hostname`, `name`, `uid`, ... \
An object the route builds key by key must produce what its constraint asks for.",
        bad: "schema_mapping:
  src_endpoint:
    port: $.sport",
        good: "schema_mapping:
  src_endpoint:
    ip: $.src
    port: $.sport",
    }
    SchemaViolation = "OM025", "schema-violation", Error, Key, Mapping {
        summary: "The file does not fit the JSON Schema of the mapping language.",
        doc: "`schemas/mapping.schema.json` describes the structure of a mapping file: its \
keys, and the type of each value. Every place that breaks it is reported at once (a \
misspelt key, a list where an object belongs, a missing `source_name`), before the \
mapping is compiled.",
        bad: "custom_source_events:
  source_name: demo
  ocsf_maping: {}",
        good: "custom_source_events:
  source_name: demo
  ocsf_mapping: {}",
    }
    InputFormat = "OM026", "input-format", Error, Key, Mapping {
        summary: "An `input` block that cannot describe the records.",
        doc: "The `input` block says how records are read: JSON (with `records_keys` naming \
wrapper arrays) or `delimited` text. A separator or quote that is not one ASCII \
character, a quote equal to the separator, a field named twice or empty, \
`header: never` without `fields`, or `records_keys` together with `delimited` cannot \
describe any input.",
        bad: "input:
  delimited:
    separator: '::'
    fields: [a, b, a]",
        good: "input:
  delimited:
    separator: ':'
    fields: [a, b, c]",
    }
    Limit = "OM027", "limit", Error, Key, Mapping {
        summary: "The mapping is past one of the documented limits (file size, routes, nesting).",
        doc: "A mapping file may hold at most 16 MiB, 65,536 routes, and 64 levels of \
nested collections (see \"Limits\" in the README). Past a limit the file is refused \
before it costs time or memory out of proportion.",
        bad: "custom_source_events: {a: [[[[[[[[[[[[[[[[[[[[ ... 64 levels ... ]]]]]]]]]]]]]]]]]]]]}",
        good: "custom_source_events: {source_name: demo}",
    }
    PathCost = "OM028", "path-cost", Error, Value, Mapping {
        summary: "A `$.` path whose cost grows faster than the event it reads.",
        doc: "Some JSONPath queries cost time out of proportion to the event (two `..` \
descents, a wildcard right after `..`, a non-singular root query inside a filter, very \
deep paths): ocsfmap refuses them so that one event cannot stall a run. Name the fields \
instead (see \"Limits\" in the README).",
        bad: "schema_mapping:
  message: $..a..b",
        good: "schema_mapping:
  message: $.a.b",
    }
    SecurityLakeName = "OM029", "security-lake-name", Error, Value, Mapping {
        summary: "A source name or partition value that Amazon Security Lake does not accept.",
        doc: "Parquet output is laid out for an Amazon Security Lake custom source: the \
source name (or `<source_name>-<class name>` when the mapping writes several classes) \
must be 1 to 64 letters, digits, `-` or `_`, and `security_lake.region` and \
`security_lake.account_id` must be a region and a 12-digit account id.",
        bad: "custom_source_events:
  source_name: my source!",
        good: "custom_source_events:
  source_name: my-source",
    }
    BadCondition = "OM030", "bad-condition", Error, Key, Mapping {
        summary: "A condition (`when`) that is malformed.",
        doc: "A condition tests the value at `path` with exactly one test (`equals`, `in`, \
`exists`, `prefix`, `suffix`, `contains`, `matches`, `cidr`, `gt`, `gte`, `lt`, `lte`, \
`same_as`), or combines conditions with `all`, `any` (non-empty lists) or `not`. Each \
test takes its kind of operand: `in` a list, `exists` true or false, the comparisons a \
number, `same_as` a path, the others a string. Conditions decide routes (`route_rules`) and values (`cases`).",
        bad: "route_rules:
  - when: {path: $.eventName, equal: ConsoleLogin}
    route: signin",
        good: "route_rules:
  - when: {path: $.eventName, equals: ConsoleLogin}
    route: signin",
    }
    BadPattern = "OM031", "bad-pattern", Error, Value, Mapping {
        summary: "A regular expression, network or range that does not parse.",
        doc: "Regular expressions (`matches`, and the keys of an `enum` with `match: \
regex`) use the syntax of Rust's `regex` crate, run in time linear in the value, and \
may compile to at most 1 MiB; networks (`cidr`) are CIDR blocks (`10.0.0.0/8`, \
`2001:db8::/32`) or single addresses; the keys of an `enum` with `match: range` are \
`A..B`, `A..` or `..B` (bounds included). `match` itself is one of exact, prefix, \
suffix, regex, range, case_insensitive. Each is checked once, when the mapping is \
compiled.",
        bad: "cases:
  - when: {path: $.src, cidr: 10.0.0.0/33}
    value: internal",
        good: "cases:
  - when: {path: $.src, cidr: 10.0.0.0/8}
    value: internal",
    }
    BadLookup = "OM032", "bad-lookup", Error, Value, Mapping {
        summary: "A lookup table that cannot be read, or a `lookup` of a table not declared.",
        doc: "`lookups` declares tables by name: a CSV file (relative to the mapping's \
folder) with a header line, and the headers of the key and value columns (`key` and \
`value`, by default the first and the second column). The file is read when the mapping \
is loaded and parsed when it is compiled: a file that cannot be read, is not CSV, lacks \
a named column or repeats a key is an error at the table, and `{lookup: ..., table: \
name}` must name a declared table.",
        bad: "lookups:
  protocols: {file: protocols.csv, key: number, value: name}
# ...
protocol_name: {lookup: $.proto, table: protocol}",
        good: "lookups:
  protocols: {file: protocols.csv, key: number, value: name}
# ...
protocol_name: {lookup: $.proto, table: protocols}",
    }
    MalformedJson = "OM100", "malformed-json", Error, Record, Rejected {
        summary: "The record is not valid JSON.",
        doc: "A record of JSON input that does not parse: a syntax error (the reason gives \
its line and column), a value cut short by the end of its line in JSON lines, or a \
container left open where the next line starts a record. Reading goes on with the next \
record.",
        bad: "{\"a\": 1}
{\"a\": 2,}",
        good: "{\"a\": 1}
{\"a\": 2}",
    }
    NotAnObject = "OM101", "not-an-object", Error, Record, Rejected {
        summary: "The record is JSON but not an object.",
        doc: "Each event is one JSON object. A record that is a number, a string or `null` \
has no fields to map. (A top-level array, or an object under one of `records_keys`, \
holds records and is unwrapped.)",
        bad: "{\"a\": 1}
\"a\"",
        good: "{\"a\": 1}
{\"a\": \"a\"}",
    }
    InvalidUtf8 = "OM102", "invalid-utf8", Error, Record, Rejected {
        summary: "The record (or a delimited field) is not valid UTF-8.",
        doc: "Records are text in UTF-8. The reason gives the byte offset of the first \
invalid byte in the record, or the field of delimited text that holds it. Convert the \
input to UTF-8 (for example with `iconv -f latin1 -t utf-8`).",
        bad: "{\"user\": \"M\\xfcller\"}   (byte 0xFC, Latin-1)",
        good: "{\"user\": \"Müller\"}",
    }
    RecordTooLarge = "OM103", "record-too-large", Error, Record, Rejected {
        summary: "The record is larger than 32 MiB.",
        doc: "A record larger than 32 MiB is set aside without being held in memory (its \
`raw` text in the rejects is empty or cut). Split the source's events, or pre-filter \
them.",
        bad: "{\"blob\": \"... 40 MiB of text ...\"}",
        good: "{\"blob_sha256\": \"9f86d0...\"}",
    }
    NestedTooDeep = "OM104", "nested-too-deep", Error, Record, Rejected {
        summary: "The record nests objects and arrays deeper than the limit.",
        doc: "A JSON record may nest at most 64 levels of objects and arrays: the reader \
sets a deeper one aside without parsing it (a record a million levels deep costs no \
more than a flat one). A value nested deeper than 100 levels met while parsing a record \
is refused the same way, naming its place. Outputs nest values a few levels deeper, and \
must stay readable by strict JSON readers.",
        bad: "{\"a\": [[[[[[ ... 65 levels ... ]]]]]]}",
        good: "{\"a\": [[1]]}",
    }
    LoneSurrogate = "OM105", "lone-surrogate", Error, Record, Rejected {
        summary: "A string holds a `\\u` escape of half a UTF-16 surrogate pair.",
        doc: "`\\ud800` without its pair cannot become text. The record is rejected (the \
reason gives the JSON pointer of the string and its byte offset), never output with \
the value blanked, whether or not the mapping reads that field.",
        bad: "{\"a\": \"TCP\\ud800\"}",
        good: "{\"a\": \"TCP\\ud83d\\ude00\"}",
    }
    NumberOutOfRange = "OM106", "number-out-of-range", Error, Record, Rejected {
        summary: "A number beyond the range of a 64-bit float.",
        doc: "JSON numbers are read as 64-bit integers or floats; `1e400` fits neither, and \
no strict JSON reader could read an output holding it. The reason gives the JSON \
pointer and the byte offset. Quote such values at the source if they must be kept.",
        bad: "{\"n\": 1e400}",
        good: "{\"n\": \"1e400\"}",
    }
    MalformedLine = "OM107", "malformed-line", Error, Record, Rejected {
        summary: "A line of delimited text that does not split into the named fields.",
        doc: "Delimited input (`input.delimited`) must split each line into exactly the \
fields its header (or `fields`) names, with quotes closed and nothing after a closing \
quote. The reason says which rule the line breaks.",
        bad: "version srcaddr dstport
2 10.0.0.1",
        good: "version srcaddr dstport
2 10.0.0.1 443",
    }
    NoUsableHeader = "OM108", "no-usable-header", Error, Record, Rejected {
        summary: "Delimited input whose fields have no usable names.",
        doc: "Delimited text is named by its header line or by `input.delimited.fields`. \
When the first line is not a header (and no fields are declared), or the header names \
a field twice, leaves one empty or is not UTF-8, every line of the input is set aside \
with this reason. Declare `fields` for input without a header.",
        bad: "# input.delimited: {separator: ' '}
2 10.0.0.1 443",
        good: "# input.delimited: {separator: ' ', fields: [version, srcaddr, dstport]}
2 10.0.0.1 443",
    }
    InputCutShort = "OM109", "input-cut-short", Error, Record, Rejected {
        summary: "The input could not be read past this point.",
        doc: "A read error or a broken gzip stream (truncated, corrupt) ended the input: \
the record it cut short, or the place where it broke, is set aside with the error, and \
the run goes on with the next input. The run's stats count it in \
`incomplete_inputs`.",
        bad: "events.json.gz   (a gzip file whose last bytes are missing)",
        good: "events.json.gz   (the whole file: `gzip -t events.json.gz` passes)",
    }
    UncoercibleValue = "OM110", "uncoercible-value", Error, Record, Rejected {
        summary: "A value that cannot be coerced to its attribute's type.",
        doc: "Source values are coerced to the type the OCSF class declares (`\"1128\"` \
becomes 1128 for an integer). A value that cannot be (`\"http\"` for a port, a time \
that matches no format) rejects the event; the reason names the attribute and the \
value. With `on_type_error: unmapped` the value goes to `unmapped` instead and the \
event is kept.",
        bad: "# src_endpoint: {port: $.sport}
{\"sport\": \"http\"}",
        good: "# src_endpoint: {port: $.sport}
{\"sport\": \"80\"}",
    }
    Unrouted = "OM111", "unrouted", Error, Record, Unrouted {
        summary: "No route takes the event.",
        doc: "The event's `matched_field` value is not a key of `ocsf_mapping` (or the field \
is absent or null), and the mapping has no `default_route`. The record is set aside as \
`unrouted`, counted apart from rejections. Add a route for the value, or a \
`default_route`.",
        bad: "# matched_field: $.kind, routes: flow
{\"kind\": \"alert\"}",
        good: "# matched_field: $.kind, routes: flow, alert
{\"kind\": \"alert\"}",
    }
    InvalidOcsf = "OM112", "invalid-ocsf", Error, Record, Rejected {
        summary: "With `--validate`, an event that is not valid for its OCSF class.",
        doc: "`transform --validate` checks every event against its OCSF class (required \
attributes present, enum ids listed, types right) and rejects an invalid one with the \
problems found. Fix the mapping (see `ocsfmap validate`), or the source values it reads.",
        bad: "# activity_id: $.act   (an enum attribute)
{\"act\": 42}",
        good: "# activity_id: $.act
{\"act\": 6}",
    }
    WriterRefused = "OM113", "writer-refused", Error, Record, Rejected {
        summary: "The output format cannot store the event.",
        doc: "Parquet output is partitioned by `eventDay`, taken from the event's `time`: an \
event without `time`, or whose `time` falls outside the years Security Lake partitions \
can hold, is rejected. JSON lines output stores every event.",
        bad: "# time: {timestamp: {field: $.ts, format: epoch_ms}}, --format parquet
{\"ts\": 253402300800000}",
        good: "# time: {timestamp: {field: $.ts, format: epoch_ms}}, --format parquet
{\"ts\": 1700000000000}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ordered_unique_and_in_their_range() {
        let mut seen = std::collections::HashSet::new();
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(*code as usize, i);
            let info = code.info();
            assert!(seen.insert(info.code), "{} twice", info.code);
            assert!(seen.insert(info.name), "{} twice", info.name);
            assert!(info.code.starts_with("OM") && info.code.len() == 5);
            let runtime = info.stage != Stage::Mapping;
            assert_eq!(runtime, code.number() >= 100, "{}", info.code);
            assert_eq!(runtime, info.place == Place::Record, "{}", info.code);
            assert!(
                info.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                info.name
            );
            for text in [info.summary, info.doc, info.bad, info.good] {
                assert!(!text.trim().is_empty(), "{}", info.code);
            }
        }
        // The codes in use before the registry keep their meaning.
        assert_eq!(Code::UnknownClass.as_str(), "OM001");
        assert_eq!(Code::Contradiction.as_str(), "OM015");
        assert_eq!(Code::SecurityLakeName.as_str(), "OM029");
        assert!(less("OM009", "OM010") && !less("OM010", "OM010"));
        assert!(!strictly_increasing(&["OM001", "OM001"]));
        assert!(!all_distinct(&["a", "b", "a"]));
    }

    #[test]
    fn lookup_takes_the_code_in_any_case_its_number_or_its_name() {
        for text in ["OM015", "om015", "15", "015", "contradiction", " Om15 "] {
            assert_eq!(Code::lookup(text), Some(Code::Contradiction), "{text}");
        }
        assert_eq!(Code::lookup("OM111"), Some(Code::Unrouted));
        for text in ["OM099", "OM", "", "x15", "-15", "+15", "contradict"] {
            assert_eq!(Code::lookup(text), None, "{text}");
        }
    }

    #[test]
    fn the_value_codes_are_those_shown_at_the_value() {
        let at_value: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| c.points_at_value())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            at_value,
            [
                "OM001", "OM003", "OM005", "OM009", "OM013", "OM014", "OM015", "OM018", "OM019",
                "OM022", "OM028", "OM029", "OM031", "OM032"
            ]
        );
    }
}
