//! The mapping language, feature by feature, through the public API: compile a YAML
//! mapping, evaluate raw events, and check the OCSF output a user would see.

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
fn paths_dotted_indexed_quoted_and_jsonpath() {
    let p = network(
        "src_endpoint:\n  ip: $.src.ip\n  port: $.ports[1]\n  hostname: $['host.name']\n  name: $[\"a b\"].c\nmessage: $.events[?(@.kind == 'x')].msg\nobservables_count: 1\n",
    );
    let o = out(
        &p,
        &json!({"src": {"ip": "10.0.0.1"}, "ports": [1, "443"], "host.name": "h1", "a b": {"c": "n"},
                "events": [{"kind": "y", "msg": "no"}, {"kind": "x", "msg": "yes"}]}),
    );
    assert_eq!(
        o["src_endpoint"],
        json!({"ip": "10.0.0.1", "port": 443, "hostname": "h1", "name": "n"})
    );
    assert_eq!(o["message"], "yes");
    // `observables_count` is not an attribute: it is kept under unmapped.
    assert_eq!(o["unmapped"]["observables_count"], 1);
}

#[test]
fn jsonpath_wildcards_collect_every_match_into_arrays() {
    let p = network("dst_endpoint:\n  intermediate_ips: $.hops[*].ip\n");
    let o = out(
        &p,
        &json!({"hops": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]}),
    );
    assert_eq!(
        o["dst_endpoint"]["intermediate_ips"],
        json!(["10.0.0.1", "10.0.0.2"])
    );
}

#[test]
fn literals_their_escape_nested_objects_and_arrays_of_paths() {
    let p = network(
        "message: {literal: $.not.a.path}\nmetadata:\n  product: {name: Firewall, vendor_name: Acme}\n  labels: [fixed, $.label]\ndst_endpoint:\n  intermediate_ips: [$.a, $.b]\n",
    );
    let o = out(
        &p,
        &json!({"label": "l2", "a": "10.0.0.1", "b": ["10.0.0.2", "10.0.0.3"]}),
    );
    assert_eq!(o["message"], "$.not.a.path");
    assert_eq!(
        o["metadata"]["product"],
        json!({"name": "Firewall", "vendor_name": "Acme"})
    );
    assert_eq!(o["metadata"]["labels"], json!(["fixed", "l2"]));
    assert_eq!(
        o["dst_endpoint"]["intermediate_ips"],
        json!(["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    );
}

#[test]
fn enum_tables_compare_keys_as_strings_and_fall_back_to_other() {
    let p = network(
        "activity_id:\n  enum:\n    evaluate: $.code\n    values: {1: 1, \"2\": 2, true: 3, TCP: 6}\n    other: 99\n",
    );
    assert_eq!(out(&p, &json!({"code": 1}))["activity_id"], 1);
    assert_eq!(out(&p, &json!({"code": "1"}))["activity_id"], 1);
    assert_eq!(out(&p, &json!({"code": 2}))["activity_id"], 2);
    assert_eq!(out(&p, &json!({"code": true}))["activity_id"], 3);
    assert_eq!(out(&p, &json!({"code": "TCP"}))["activity_id"], 6);
    assert_eq!(out(&p, &json!({"code": 7}))["activity_id"], 99);
    assert_eq!(out(&p, &json!({}))["activity_id"], 99);
    assert_eq!(out(&p, &json!({"code": 7}))["activity_name"], "Other");
}

const ROUTED: &str = "custom_source_events:
  source_name: t
  matched_field: $.kind
  default_route: flow
  ocsf_mapping:
    flow:
      schema: network_activity
      schema_mapping: {activity_id: 6, message: $.msg}
    auth:
      schema: authentication
      schema_mapping: {activity_id: 1, message: $.msg}
    noise:
      drop: true
";

#[test]
fn matched_field_routes_to_classes_with_a_default_route_and_drop_routes() {
    let p = plan(ROUTED);
    let o = out(&p, &json!({"kind": "auth", "msg": "m"}));
    assert_eq!(
        (o["class_uid"].clone(), o["class_name"].clone()),
        (json!(3002), json!("Authentication"))
    );
    assert_eq!(out(&p, &json!({"kind": "flow"}))["class_uid"], 4001);
    assert_eq!(
        out(&p, &json!({"kind": "other"}))["class_uid"],
        4001,
        "default route"
    );
    assert_eq!(eval(&p, r#"{"kind":"noise"}"#), (Outcome::Dropped, None));
}

#[test]
fn events_no_route_takes_are_unrouted_with_their_value() {
    let p = plan(&ROUTED.replace("  default_route: flow\n", ""));
    assert_eq!(
        eval(&p, r#"{"kind":"other"}"#),
        (Outcome::Unrouted(Some("other".into())), None)
    );
    assert_eq!(
        eval(&p, r#"{"kind":7}"#),
        (Outcome::Unrouted(Some("7".into())), None)
    );
    assert_eq!(eval(&p, r#"{"msg":"x"}"#), (Outcome::Unrouted(None), None));
}

#[test]
fn drop_rules_drop_matching_and_missing_values() {
    let p = plan(&format!(
        "{}  drop:\n    - {{field: $.level, in: [debug, 0]}}\n    - {{field: $.msg, missing: true}}\n",
        ROUTED.split("  ocsf_mapping:").next().unwrap().to_owned()
            + "  ocsf_mapping:"
            + ROUTED.split("  ocsf_mapping:").nth(1).unwrap()
    ));
    assert_eq!(
        eval(&p, r#"{"kind":"flow","msg":"a","level":"debug"}"#).0,
        Outcome::Dropped
    );
    assert_eq!(
        eval(&p, r#"{"kind":"flow","msg":"a","level":0}"#).0,
        Outcome::Dropped
    );
    assert_eq!(eval(&p, r#"{"kind":"flow"}"#).0, Outcome::Dropped);
    assert_eq!(
        eval(&p, r#"{"kind":"flow","msg":"a","level":"info"}"#).0,
        Outcome::Output { class_uid: 4001 }
    );
}

#[test]
fn unmapped_explicit_paths_and_the_catch_all_keep_source_structure() {
    let p = plan(
        "custom_source_events:
  source_name: t
  unmapped_rest: true
  ocsf_mapping:
    all:
      schema: network_activity
      schema_mapping:
        src_endpoint: {ip: $.event.src_ip, port: $.event.src_port}
        unmapped:
          zone: $.availability_zone
          tcp: {syn: $.event.tcp.syn}
",
    );
    let o = out(
        &p,
        &json!({"availability_zone": "us-east-1b", "firewall": "fw",
                "event": {"src_ip": "1.2.3.4", "src_port": 80, "proto": "TCP", "tcp": {"syn": true, "fin": false}},
                "tags": ["a", {"b": 1}]}),
    );
    assert_eq!(
        o["unmapped"],
        json!({"zone": "us-east-1b", "tcp": {"syn": true},
               "firewall": "fw", "event": {"proto": "TCP", "tcp": {"fin": false}}, "tags": ["a", {"b": 1}]})
    );
    // An event whose fields are all consumed has no unmapped at all.
    let o = out(
        &p,
        &json!({"availability_zone": "z", "event": {"src_ip": "1.2.3.4", "tcp": {"syn": true}}}),
    );
    assert_eq!(o["unmapped"], json!({"zone": "z", "tcp": {"syn": true}}));
}

#[test]
fn the_catch_all_is_per_route() {
    let p = plan(
        &ROUTED
            .replace(
                "  default_route: flow\n",
                "  default_route: flow\n  unmapped_rest: true\n",
            )
            .replace(
                "schema_mapping: {activity_id: 1, message: $.msg}",
                "schema_mapping: {activity_id: 1, message: $.msg, user: {name: $.user}}",
            ),
    );
    // The flow route does not read `user`, so it keeps it; the auth route consumes it.
    assert_eq!(
        out(&p, &json!({"kind": "flow", "msg": "m", "user": "u"}))["unmapped"],
        json!({"kind": "flow", "user": "u"})
    );
    assert_eq!(
        out(&p, &json!({"kind": "auth", "msg": "m", "user": "u"}))["unmapped"],
        json!({"kind": "auth"})
    );
}

#[test]
fn timestamp_block_formats_and_explicit_time_formats() {
    let p = plan(
        "custom_source_events:
  source_name: t
  timestamp: {field: $.ts, format: '%d/%m/%Y %H:%M:%S'}
  ocsf_mapping:
    all:
      schema: network_activity
      schema_mapping:
        time: $.ts
        start_time: {timestamp: {field: $.start, format: epoch_ms}}
        end_time: $.end
",
    );
    let o = out(
        &p,
        &json!({"ts": "01/10/2020 21:26:05", "start": "1601587565007", "end": "2020-10-01T21:26:05.5+02:00"}),
    );
    assert_eq!(o["time"], 1_601_587_565_000_i64);
    assert_eq!(o["start_time"], 1_601_587_565_007_i64);
    assert_eq!(o["end_time"], 1_601_580_365_500_i64);
    let (outcome, _) = eval(&p, r#"{"ts":"2020-10-01T21:26:05Z"}"#);
    assert_eq!(
        outcome,
        Outcome::Rejected(Rejection::new(
            Code::UncoercibleValue,
            "time: cannot convert \"2020-10-01T21:26:05Z\" to timestamp_t"
        ))
    );
}

#[test]
fn epoch_numbers_in_every_unit() {
    let p = network("time: $.t\n");
    for t in [
        json!(1_601_587_565),
        json!("1601587565"),
        json!(1_601_587_565_000_i64),
        json!(1_601_587_565_000_000_i64),
        json!(1_601_587_565_000_000_000_i64),
    ] {
        assert_eq!(
            out(&p, &json!({"t": t}))["time"],
            1_601_587_565_000_i64,
            "{t}"
        );
    }
}

#[test]
fn coalesce_takes_the_first_non_null_and_default_fills_the_rest() {
    let p = network(
        "src_endpoint:\n  ip: {coalesce: [$.a, $.b, $.c], default: 0.0.0.0}\n  port: {coalesce: [$.p], default: 0}\n",
    );
    assert_eq!(
        out(&p, &json!({"a": null, "b": "10.0.0.2", "c": "10.0.0.3"}))["src_endpoint"]["ip"],
        "10.0.0.2"
    );
    assert_eq!(
        out(&p, &json!({}))["src_endpoint"],
        json!({"ip": "0.0.0.0", "port": 0})
    );
}

#[test]
fn split_picks_a_part_by_index_from_either_end() {
    let p = network(
        "message: {split: $.path, separator: '\\', index: -1}\napp_name: {split: $.path, separator: '\\', index: 1}\nsrc_endpoint: {hostname: {split: $.pair, separator: ':', index: 5, default: none}}\n",
    );
    let o = out(
        &p,
        &json!({"path": "C:\\Windows\\System32\\svchost.exe", "pair": "10.0.0.1:80"}),
    );
    assert_eq!(o["message"], "svchost.exe");
    assert_eq!(o["app_name"], "Windows");
    assert_eq!(
        o["src_endpoint"]["hostname"], "none",
        "an index past the end is absent, so the default applies"
    );
}

#[test]
fn templates_format_text_from_paths() {
    let p = network("message: {template: '{$.user} connected to {$.dst} {{ok}}'}\n");
    assert_eq!(
        out(&p, &json!({"user": "alice", "dst": 443}))["message"],
        "alice connected to 443 {ok}"
    );
}

#[test]
fn null_values_read_as_absent() {
    let p = plan(
        "custom_source_events:\n  source_name: t\n  input: {null_values: ['-', 'N/A']}\n  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping: {dst_endpoint: {hostname: {coalesce: [$.h, $.alt]}, ip: $.ip}}\n",
    );
    assert_eq!(
        out(&p, &json!({"h": "-", "alt": "N/A", "ip": "10.0.0.1"}))["dst_endpoint"],
        json!({"ip": "10.0.0.1"})
    );
    assert_eq!(
        out(&p, &json!({"h": "-", "alt": "b.example"}))["dst_endpoint"],
        json!({"hostname": "b.example"})
    );
    // The catch-all leaves them out too: they hold nothing to keep.
    let rest = plan(
        "custom_source_events:\n  source_name: t\n  unmapped_rest: true\n  input: {null_values: ['-']}\n  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping: {message: $.m}\n",
    );
    assert_eq!(
        out(
            &rest,
            &json!({"m": "x", "a": "-", "b": "kept", "c": {"d": "-"}})
        )["unmapped"],
        json!({"b": "kept", "c": {"d": "-"}})
    );
}

#[test]
fn key_value_fields_are_parsed_before_mapping() {
    let p = plan(
        "custom_source_events:
  source_name: t
  input: {key_value_fields: [$.Description]}
  ocsf_mapping:
    all:
      schema: process_activity
      schema_mapping:
        activity_id: 1
        process: {pid: $.Description.ProcessId, name: $.Description.Image}
        time: $.Description.UtcTime
",
    );
    let o = out(
        &p,
        &json!({"Description": "Process Create:\r\nUtcTime: 2023-10-03 23:50:22.438\r\nProcessId: 1128\r\nImage: C:\\Windows\\a.exe"}),
    );
    assert_eq!(
        o["process"],
        json!({"pid": 1128, "name": "C:\\Windows\\a.exe"})
    );
    assert_eq!(o["time"], 1_696_377_022_438_i64);
}

#[test]
fn values_are_coerced_to_the_declared_ocsf_types() {
    let p = network(
        "src_endpoint: {port: $.port, ip: $.ip}\nconnection_info: {uid: $.flow, tcp_flags: $.flags}\ntraffic: {bytes: $.bytes}\nduration: $.d\nis_alert: $.alert\nseverity_id: $.sev\n",
    );
    let o = out(
        &p,
        &json!({"port": "47047", "ip": "10.0.0.1", "flow": 1_770_453_319_291_727_i64, "flags": "2", "bytes": "60", "d": 1.0, "alert": "true", "sev": "1"}),
    );
    assert_eq!(o["src_endpoint"]["port"], 47047);
    assert_eq!(
        o["connection_info"],
        json!({"uid": "1770453319291727", "tcp_flags": 2})
    );
    assert_eq!(o["traffic"]["bytes"], 60);
    assert_eq!(o["duration"], 1);
    assert_eq!(
        o["unmapped"]["is_alert"], "true",
        "not an attribute of the class: kept untyped"
    );
    assert_eq!(
        (o["severity_id"].clone(), o["severity"].clone()),
        (json!(1), json!("Informational"))
    );
}

#[test]
fn a_value_that_cannot_be_coerced_rejects_the_event_naming_attribute_and_value() {
    let p = network("src_endpoint: {port: $.port}\n");
    assert_eq!(
        eval(&p, r#"{"port":"http"}"#),
        (
            Outcome::Rejected(Rejection::new(
                Code::UncoercibleValue,
                "src_endpoint.port: cannot convert \"http\" to integer_t"
            )),
            None
        )
    );
    assert_eq!(
        eval(&p, r#"{"port":99999999999}"#).0,
        Outcome::Rejected(Rejection::new(
            Code::UncoercibleValue,
            "src_endpoint.port: cannot convert 99999999999 to integer_t"
        ))
    );
}

#[test]
fn on_type_error_unmapped_keeps_the_event_and_the_value() {
    let p = plan(
        "custom_source_events:\n  source_name: t\n  on_type_error: unmapped\n  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping: {src_endpoint: {port: $.port, ip: $.ip}}\n",
    );
    let o = out(&p, &json!({"port": "http", "ip": "10.0.0.1"}));
    assert_eq!(o["src_endpoint"], json!({"ip": "10.0.0.1"}));
    assert_eq!(o["unmapped"], json!({"src_endpoint.port": "http"}));
}

#[test]
fn class_category_type_and_captions_are_derived() {
    let p = network("activity_id: $.a\nseverity_id: 4\nconnection_info: {direction_id: 2}\n");
    let o = out(&p, &json!({"a": "6"}));
    for (k, v) in [
        ("class_uid", json!(4001)),
        ("class_name", json!("Network Activity")),
        ("category_uid", json!(4)),
        ("category_name", json!("Network Activity")),
        ("activity_id", json!(6)),
        ("activity_name", json!("Traffic")),
        ("type_uid", json!(400_106)),
        ("type_name", json!("Network Activity: Traffic")),
        ("severity", json!("High")),
    ] {
        assert_eq!(o[k], v, "{k}");
    }
    assert_eq!(
        o["connection_info"],
        json!({"direction_id": 2, "direction": "Outbound"})
    );
    assert_eq!(o["metadata"]["version"], "1.1.0");
    // Without an activity there is no type to derive.
    assert!(out(&p, &json!({})).get("type_uid").is_none());
}

#[test]
fn nulls_and_empty_objects_are_left_out() {
    let p =
        network("src_endpoint: {ip: $.ip, port: $.port}\ndst_endpoint: {ip: $.x}\nmessage: $.m\n");
    let o = out(&p, &json!({"ip": null, "m": null}));
    assert!(
        o.get("src_endpoint").is_none()
            && o.get("dst_endpoint").is_none()
            && o.get("message").is_none(),
        "{o}"
    );
    assert_eq!(
        out(&p, &json!({"x": "10.0.0.1"}))["dst_endpoint"],
        json!({"ip": "10.0.0.1"})
    );
}

#[test]
fn ocsf_1_8_0_types_apply_when_the_mapping_asks_for_it() {
    let body = "activity_id: 1\nduration: $.d\n";
    let old = network(body);
    let new = plan(&format!(
        "custom_source_events:\n  source_name: t\n  ocsf_version: 1.8.0\n  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping:\n{}",
        indent(body, 8)
    ));
    let big = json!({"d": 5_000_000_000_i64});
    assert!(
        matches!(eval(&old, &big.to_string()).0, Outcome::Rejected(_)),
        "integer_t in 1.1.0"
    );
    assert_eq!(out(&new, &big)["duration"], 5_000_000_000_i64);
    assert_eq!(out(&new, &big)["metadata"]["version"], "1.8.0");
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
fn keys_that_need_escaping_are_written_as_valid_json() {
    let p = network("unmapped: {'say \"hi\"\\path': $.a, \"tab\\there\": $.b}\n");
    let event = out(&p, &json!({"a": 1, "b": "x"}));
    assert_eq!(
        event["unmapped"],
        json!({"say \"hi\"\\path": 1, "tab\there": "x"})
    );
}
