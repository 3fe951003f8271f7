//! The JSON Schema of mapping values and the compiler's front end agree: a value fits
//! the generated schema exactly when the front end accepts it. Path syntax beyond the
//! leading `$`, template placeholders and time formats are checked by the front end
//! only (JSON Schema cannot express them); the last test pins those.

use ocsfmap_core::mapping::Node;
use ocsfmap_core::plan::read_value;

/// Whether the generated schema accepts `value` as the mapping of an attribute.
fn schema_accepts(value: &serde_json::Value) -> bool {
    let schema: serde_json::Value =
        serde_json::from_str(&ocsfmap_lint::language::generate()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let document = serde_json::json!({"custom_source_events": {
        "source_name": "t",
        "ocsf_mapping": {"r": {"schema": "base_event", "schema_mapping": {"message": value}}}
    }});
    validator.is_valid(&document)
}

/// Whether the front end reads `node` without a diagnostic.
fn front_end_accepts(node: &Node) -> bool {
    let mut diags = Vec::new();
    read_value(node, "/v", &mut diags);
    diags.is_empty()
}

fn node(yaml: &str) -> Node {
    serde_yaml::from_str(yaml).unwrap()
}

const GOOD: &[&str] = &[
    "$.a.b",
    "$['key.with.dots']",
    "$",
    "plain text",
    "12",
    "true",
    "null",
    "[$.a, 1, {name: $.n}]",
    "{name: $.n, uid: {literal: 1}, default: 3}",
    "{enum: {evaluate: $.k, values: {'1': 1, x: $.y}}}",
    "{enum: {evaluate: $.k, values: {}, other: {literal: $.z}}, default: 0}",
    "{coalesce: [$.a, [1, 2], {template: 'at {$.t}'}]}",
    "{coalesce: [], default: null}",
    "{literal: {any: [thing]}}",
    "{template: 'a {{brace}} and {$.b}'}",
    "{timestamp: {field: $.t}}",
    "{timestamp: {field: $.t, format: epoch_ms}, default: 0}",
    "{split: $.a, separator: '/'}",
    "{split: {coalesce: [$.a, $.b]}, separator: ',', index: -1, default: x}",
    "{outer: {inner: {enum: {evaluate: $.k, values: {a: 1}}}}}",
    "{enum: {evaluate: $.k, match: prefix, values: {Get: 2}}}",
    "{enum: {evaluate: $.k, match: range, values: {'1..9': 1, '10..': 2}, other: 0}}",
    "{enum: {evaluate: $.k, match: case_insensitive, values: {accept: 1}}}",
    "{cases: [{when: {path: $.d, equals: ingress}, value: $.eni}]}",
    "{cases: [{when: {path: $.d, in: [a, 1, true]}, value: 1}], default: 0}",
    "{cases: [{when: {all: [{path: $.a, exists: true}, {not: {path: $.b, prefix: x}}]}, value: {literal: $.z}}]}",
    "{cases: [{when: {any: [{path: $.ip, cidr: [10.0.0.0/8]}, {path: $.n, gte: 3}]}, value: [1, 2]}]}",
    "{cases: [{when: {path: $.ip, cidr: 10.0.0.0/8}, value: {template: 'in {$.ip}'}}]}",
    "{lower: $.a}",
    "{upper: {trim: $.a}, default: x}",
    "{url_decode: $.p}",
    "{parse_json: $.b, default: {literal: none}}",
    "{join: $.t, separator: ''}",
    "{replace: $.v, pattern: 'a+', with: b}",
    "{key_values: $.c}",
    "{key_values: $.c, pairs: '&', separator: ':'}",
    "{each: $.items, map: {uid: '@.id', name: $.top, labels: ['@', x]}}",
    "{each: $.items, where: {path: '@.type', prefix: AWS}, map: {uid: '@'}, default: []}",
];

const BAD: &[&str] = &[
    "{literal: 1, template: x}",
    "{literal: 1, extra: 2}",
    "{enum: {values: {}}}",
    "{enum: {evaluate: $.k}}",
    "{enum: {evaluate: $.k, values: [1]}}",
    "{enum: {evaluate: $.k, values: {}, otherwise: 1}}",
    "{enum: {evaluate: 12, values: {}}}",
    "{enum: {evaluate: not_a_path, values: {}}}",
    "{enum: {evaluate: $.k, values: {x: {nested: 1}}}}",
    "{enum: [1]}",
    "{coalesce: $.x}",
    "{coalesce: [{a: 1}]}",
    "{template: 12}",
    "{template: x, default: {a: 1}}",
    "{timestamp: $.t}",
    "{timestamp: {format: epoch}}",
    "{timestamp: {field: $.t, zone: UTC}}",
    "{timestamp: {field: $.t, format: 3}}",
    "{timestamp: {field: plain, format: epoch}}",
    "{split: $.a}",
    "{split: $.a, separator: ''}",
    "{split: $.a, separator: 1}",
    "{split: $.a, separator: ',', index: first}",
    "{split: $.a, separator: ',', index: 1.5}",
    "{separator: ',', split: {a: 1}}",
    "{outer: {inner: {coalesce: 1}}}",
    "[$.a, {template: 1}]",
    "{enum: {evaluate: $.k, match: glob, values: {a: 1}}}",
    "{enum: {evaluate: $.k, match: 1, values: {a: 1}}}",
    "{cases: []}",
    "{cases: {when: {path: $.a, equals: 1}, value: 1}}",
    "{cases: [{when: {path: $.a, equals: 1}}]}",
    "{cases: [{value: 1}]}",
    "{cases: [{when: {path: $.a, equals: 1}, value: 1, else: 2}]}",
    "{cases: [{when: {path: $.a}, value: 1}]}",
    "{cases: [{when: {path: $.a, equals: 1, prefix: x}, value: 1}]}",
    "{cases: [{when: {path: $.a, equal: 1}, value: 1}]}",
    "{cases: [{when: {equals: 1}, value: 1}]}",
    "{cases: [{when: {path: a, equals: 1}, value: 1}]}",
    "{cases: [{when: {path: $.a, in: x}, value: 1}]}",
    "{cases: [{when: {path: $.a, gt: ten}, value: 1}]}",
    "{cases: [{when: {path: $.a, exists: 1}, value: 1}]}",
    "{cases: [{when: {path: $.a, equals: [1]}, value: 1}]}",
    "{cases: [{when: {all: []}, value: 1}]}",
    "{cases: [{when: {path: $.a, in: []}, value: 1}]}",
    "{cases: [{when: {not: [{path: $.a, exists: true}]}, value: 1}]}",
    "{cases: [{when: {all: [], any: []}, value: 1}]}",
    "{cases: [{when: x, value: 1}]}",
    "{cases: [{when: {path: $.a, equals: 1}, value: {nested: 1}}]}",
    "{lower: {a: 1}}",
    "{join: $.t}",
    "{join: $.t, separator: 1}",
    "{replace: $.v, pattern: x}",
    "{replace: $.v, with: y}",
    "{key_values: $.c, pairs: ''}",
    "{lower: $.a, separator: x}",
    "{trim: $.a, upper: $.b}",
    "{each: $.items}",
    "{each: $.items, map: [1]}",
    "{each: 3, map: {uid: '@.id'}}",
    "{each: notapath, map: {uid: '@.id'}}",
    "{each: $.items, map: {uid: '@.id'}, where: {path: '@.a'}}",
    "{each: $.items, map: {uid: '@.id'}, filter: {path: '@.a', exists: true}}",
];

#[test]
fn the_schema_accepts_exactly_what_the_front_end_accepts() {
    let mut disagreements = Vec::new();
    for (snippet, want) in GOOD
        .iter()
        .map(|s| (s, true))
        .chain(BAD.iter().map(|s| (s, false)))
    {
        let node = node(snippet);
        let schema = schema_accepts(&node.to_value());
        let front = front_end_accepts(&node);
        if schema != want || front != want {
            disagreements.push(format!(
                "{snippet}: expected {want}, schema {schema}, front end {front}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn what_only_the_front_end_checks() {
    for snippet in [
        "$.a..",
        "{template: '{oops}'}",
        "{template: 'open {$.a'}",
        "{timestamp: {field: $.t, format: '%Q%'}}",
        "{cases: [{when: {path: $.a, matches: '('}, value: 1}]}",
        "{cases: [{when: {path: $.a, cidr: 10.0.0.0/33}, value: 1}]}",
        "{enum: {evaluate: $.k, match: regex, values: {'(': 1}}}",
        "{enum: {evaluate: $.k, match: range, values: {'9..1': 1}}}",
        "{enum: {evaluate: $.k, match: prefix, values: {'': 1}}}",
        "{replace: $.v, pattern: '(', with: x}",
    ] {
        let node = node(snippet);
        assert!(schema_accepts(&node.to_value()), "{snippet}");
        assert!(!front_end_accepts(&node), "{snippet}");
    }
}
