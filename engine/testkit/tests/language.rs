//! What the language's data tests (`tests/language/`, run by `golden.rs`) cannot
//! express: the diagnostics a mapping compiles with, and `Plan::eval` on one record
//! (the data cases go through input framing first). Compile a YAML mapping through the
//! public API and check the errors, warnings and outcomes a user would see.

use std::path::Path;

use ocsfmap_core::diagnostic::{Code, Rejection};
use ocsfmap_core::mapping::{Syntax, parse_str};
use ocsfmap_core::{Outcome, Plan, compile};
use ocsfmap_output::JsonLines;
use serde_json::{Value, json};

fn plan(yaml: &str) -> Plan {
    let file = parse_str(yaml, Syntax::Yaml, Path::new("test.yaml")).expect("mapping parses");
    compile(&file).unwrap_or_else(|e| panic!("mapping compiles: {e}"))
}

fn compile_errors(yaml: &str) -> Vec<String> {
    let file = parse_str(yaml, Syntax::Yaml, Path::new("test.yaml")).expect("mapping parses");
    match compile(&file) {
        Ok(_) => panic!("expected compile errors"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

fn eval(plan: &Plan, record: &str) -> (Outcome, Option<Value>) {
    let mut sink = JsonLines::new();
    let outcome = plan.eval(record, &mut sink);
    let value =
        (!sink.buf.is_empty()).then(|| serde_json::from_slice(&sink.buf).expect("output is JSON"));
    (outcome, value)
}

fn out(plan: &Plan, record: &Value) -> Value {
    match eval(plan, &record.to_string()) {
        (Outcome::Output { .. }, Some(v)) => v,
        other => panic!("expected output, got {other:?}"),
    }
}

/// A one-route Network Activity mapping with the given `schema_mapping` body.
fn network(body: &str) -> Plan {
    plan(&format!(
        "custom_source_events:\n  source_name: t\n  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping:\n{}",
        indent(body, 8)
    ))
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().flat_map(|l| [pad.as_str(), l, "\n"]).collect()
}

#[test]
fn compile_errors_are_all_collected_with_pointers() {
    let errors = compile_errors(
        "custom_source_events:
  source_name: t
  matched_field: $.k
  default_route: nope
  ocsf_mapping:
    a:
      schema: network_activty
    b:
      schema: network_activity
      schema_mapping:
        src_endpoint: {port: 'http'}
        message: $.a..
        time: {enum: {values: {}}}
        dst_endpoint: {ip: {coalesce: $.x}}
        metadata: {version: {template: '{oops}'}}
",
    );
    let joined = errors.join("\n");
    for expected in [
        "error[OM001] /custom_source_events/ocsf_mapping/a/schema: OCSF 1.1.0 has no class `network_activty` (help: did you mean `network_activity`?)",
        "error[OM005] /custom_source_events/ocsf_mapping/b/schema_mapping/src_endpoint/port: `src_endpoint.port`: cannot convert \"http\" to integer_t",
        "error[OM003] /custom_source_events/ocsf_mapping/b/schema_mapping/message: invalid JSONPath `$.a..`",
        "error[OM006] /custom_source_events/ocsf_mapping/b/schema_mapping/time/enum: enum needs `evaluate`",
        "error[OM006] /custom_source_events/ocsf_mapping/b/schema_mapping/dst_endpoint/ip/coalesce: coalesce takes a list",
        "error[OM006] /custom_source_events/ocsf_mapping/b/schema_mapping/metadata/version/template: `{oops}` in a template must hold a `$.` path",
        "error[OM008] /custom_source_events/default_route: default_route `nope` names no entry of ocsf_mapping",
    ] {
        assert!(
            joined.contains(expected),
            "missing:\n{expected}\nin:\n{joined}"
        );
    }
}

#[test]
fn unknown_attributes_warn_with_a_suggestion_and_move_to_unmapped() {
    let p = network("src_endpoint: {prot: $.p}\n");
    let warning = p.warnings[0].to_string();
    assert_eq!(
        warning,
        "warning[OM004] /custom_source_events/ocsf_mapping/all/schema_mapping/src_endpoint/prot: `src_endpoint.prot` is not an attribute of `network_endpoint`; its value goes to `unmapped.src_endpoint.prot` (help: did you mean `src_endpoint.port`?)"
    );
    assert_eq!(
        out(&p, &json!({"p": 80}))["unmapped"],
        json!({"src_endpoint.prot": 80})
    );
}

#[test]
fn delimited_input_blocks_that_cannot_work_are_compile_errors() {
    let errors = compile_errors(
        "custom_source_events:
  source_name: t
  input:
    records_keys: [Records]
    delimited: {separator: '||', quote: '\\', fields: [a, b, a, '']}
  ocsf_mapping:
    all: {schema: network_activity, schema_mapping: {message: $.a}}
",
    )
    .join("\n");
    for expected in [
        "error[OM026] /custom_source_events/input/records_keys: `records_keys` names JSON wrapper objects, but the input is delimited text",
        "error[OM026] /custom_source_events/input/delimited/separator: the separator \"||\" must be one ASCII character other than a line break or a backslash",
        "error[OM026] /custom_source_events/input/delimited/quote: the quote \"\\\\\" must be one ASCII character other than a line break or a backslash",
        "error[OM026] /custom_source_events/input/delimited/fields/2: the field `a` is named twice",
        "error[OM026] /custom_source_events/input/delimited/fields/3: a field name is empty",
    ] {
        assert!(
            errors.contains(expected),
            "missing:\n{expected}\nin:\n{errors}"
        );
    }
    let same = compile_errors(
        "custom_source_events:
  source_name: t
  input: {delimited: {separator: ',', quote: ','}}
  ocsf_mapping:
    all: {schema: network_activity, schema_mapping: {message: $.a}}
",
    );
    assert!(same[0].contains("the quote is the same character as the separator"));
}

#[test]
fn malformed_records_are_rejected_with_the_parser_position() {
    let p = network("message: $.m\n");
    let (outcome, _) = eval(&p, r#"{"m": "a",}"#);
    let Outcome::Rejected(Rejection { code, reason }) = outcome else {
        panic!()
    };
    assert_eq!(code, Code::MalformedJson);
    assert!(
        reason.starts_with("invalid JSON: ") && reason.contains("line 1 column"),
        "{reason}"
    );
    assert_eq!(
        eval(&p, "[1,2]").0,
        Outcome::Rejected(Rejection::new(
            Code::NotAnObject,
            "invalid JSON: an event must be a JSON object"
        ))
    );
}

#[test]
fn each_maps_into_arrays_of_objects_only_and_element_paths_live_inside_it() {
    let errors = compile_errors(
        "custom_source_events:
  source_name: t
  ocsf_mapping:
    a:
      schema: api_activity
      schema_mapping:
        message: {each: $.items, map: {name: '@.n'}}
        resources: {each: $.items, map: {uid: '@.list[*]'}}
        observables: {each: $.items}
        enrichments: {each: '@.x', map: {name: n}}
",
    );
    let joined = errors.join("\n");
    for expected in [
        "error[OM007] /custom_source_events/ocsf_mapping/a/schema_mapping/message: `each` maps elements into an array of objects; `message` is string_t",
        "error[OM003] /custom_source_events/ocsf_mapping/a/schema_mapping/resources/map/uid: `@.list[*]`: a path into the element (`@`) takes keys and indexes only",
        "error[OM006] /custom_source_events/ocsf_mapping/a/schema_mapping/observables: `each` needs `map`",
        "error[OM006] /custom_source_events/ocsf_mapping/a/schema_mapping/enrichments/each: `each` takes the path of an array (`$.list`), not `@.x`",
    ] {
        assert!(
            joined.contains(expected),
            "missing:\n{expected}\nin:\n{joined}"
        );
    }
    // Outside an `each`, a string starting with `@` is text, as before.
    let plan = network("message: '@.not.a.path'");
    let (_, event) = eval(&plan, "{}");
    assert_eq!(event.unwrap()["message"], "@.not.a.path");
}
