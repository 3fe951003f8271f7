//! ocsfmap's output validation and the third-party OCSF JSON Schemas agree: on every
//! event the shipped mappings produce (all valid), and on broken copies of them (all
//! invalid).

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use ocsfmap_core::check::check_event;
use ocsfmap_core::schema;
use ocsfmap_testkit as vectors;
use serde_json::{Value, json};

/// One compiled validator per class, built once (compiling their regexes is slow).
fn class_schema(class_uid: i64) -> &'static jsonschema::Validator {
    static CACHE: OnceLock<HashMap<i64, jsonschema::Validator>> = OnceLock::new();
    &CACHE.get_or_init(|| {
        [1001, 1007, 3001, 3002, 4001, 4003, 6003]
            .into_iter()
            .map(|uid| (uid, compile_schema(uid)))
            .collect()
    })[&class_uid]
}

fn compile_schema(class_uid: i64) -> jsonschema::Validator {
    let name = match class_uid {
        1001 => "file_activity",
        1007 => "process_activity",
        3001 => "account_change",
        3002 => "authentication",
        4001 => "network_activity",
        4003 => "dns_activity",
        6003 => "api_activity",
        other => panic!("no JSON Schema fixture for class {other}"),
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../tests/fixtures/ocsf-jsonschema/1.1.0/{name}.json"
    ));
    let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn shipped_events() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings");
    let mut events = Vec::new();
    for case in vectors::discover(&dir).unwrap() {
        events.extend(
            vectors::expected(&case)
                .unwrap()
                .expect("expected file exists"),
        );
    }
    events
}

#[test]
fn both_accept_every_shipped_output() {
    let ocsf = schema::schema("1.1.0").unwrap();
    let events = shipped_events();
    assert!(events.len() >= 12);
    for event in &events {
        let ours = check_event(&ocsf, event);
        let theirs: Vec<String> = class_schema(event["class_uid"].as_i64().unwrap())
            .iter_errors(event)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            ours.is_empty() && theirs.is_empty(),
            "ours: {ours:#?}\ntheirs: {theirs:#?}\n{event:#}"
        );
    }
}

/// A way to break a valid event.
type Breakage = fn(&mut Value);

#[test]
fn both_reject_broken_copies() {
    let ocsf = schema::schema("1.1.0").unwrap();
    let breakages: [(&str, Breakage); 7] = [
        ("an IP that is not one", |e| {
            e["src_endpoint"]["ip"] = json!("example.com");
        }),
        ("time removed", |e| {
            e.as_object_mut().unwrap().remove("time");
        }),
        ("time as text", |e| {
            e["time"] = json!("2023-10-03T23:50:22Z");
        }),
        ("activity outside its enum", |e| {
            e["activity_id"] = json!(42);
        }),
        ("severity outside its enum", |e| {
            e["severity_id"] = json!(8);
        }),
        ("unknown attribute", |e| {
            e["src_hostname"] = json!("x");
        }),
        ("metadata without product", |e| {
            e["metadata"].as_object_mut().unwrap().remove("product");
        }),
    ];
    for event in shipped_events() {
        for (what, breakage) in &breakages {
            let mut broken = event.clone();
            breakage(&mut broken);
            let ours = check_event(&ocsf, &broken);
            let theirs = class_schema(broken["class_uid"].as_i64().unwrap()).is_valid(&broken);
            assert!(
                !ours.is_empty() && !theirs,
                "{what}: ours {ours:?}, theirs valid: {theirs}"
            );
        }
    }
}
