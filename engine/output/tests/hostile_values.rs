//! Records built to break the engine: values serde_json would not read (lone
//! surrogates, numbers beyond f64, deep nesting), repeated keys, addresses and hex
//! numbers with something extra. Each is mapped through the public API, and the test
//! checks what a user would see: the outcome, the reason, and that the output reads.

use std::io::Cursor;
use std::path::Path;

use ocsfmap_core::EventBuffer;
use ocsfmap_core::mapping::{Syntax, parse_str};
use ocsfmap_core::run::{self, Input, Outputs, RunOptions, SetAside};
use ocsfmap_core::{Outcome, Plan, Sink, Typed, compile};
use ocsfmap_output::JsonLines;
use serde_json::{Value, json};

fn plan(yaml: &str) -> Plan {
    let file = parse_str(yaml, Syntax::Yaml, Path::new("test.yaml")).expect("mapping parses");
    compile(&file).unwrap_or_else(|e| panic!("mapping compiles: {e}"))
}

/// A one-route Network Activity mapping with these top-level options and this body.
fn network_with(options: &str, body: &str) -> Plan {
    let mut yaml = format!("custom_source_events:\n  source_name: t\n{options}");
    yaml.push_str(
        "  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping:\n",
    );
    for line in body.lines() {
        yaml.push_str("        ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    plan(&yaml)
}

fn network(body: &str) -> Plan {
    network_with("", body)
}

/// Evaluates one record; the output, when there is one, must be JSON serde_json reads.
fn eval(plan: &Plan, record: &str) -> (Outcome, Option<Value>) {
    let mut sink = JsonLines::new();
    let outcome = plan.eval(record, &mut sink);
    let value = (!sink.buf.is_empty()).then(|| {
        serde_json::from_slice(&sink.buf).unwrap_or_else(|e| {
            panic!(
                "output is not JSON serde_json reads ({e}): {}",
                String::from_utf8_lossy(&sink.buf)
            )
        })
    });
    (outcome, value)
}

fn out(plan: &Plan, record: &str) -> Value {
    match eval(plan, record) {
        (Outcome::Output { .. }, Some(v)) => v,
        other => panic!("expected output for {record}, got {other:?}"),
    }
}

fn rejected(plan: &Plan, record: &str) -> String {
    match eval(plan, record) {
        (Outcome::Rejected(rejection), None) => rejection.reason,
        other => panic!("expected a rejection for {record}, got {other:?}"),
    }
}

#[test]
fn a_lone_surrogate_in_a_mapped_string_rejects_the_record_naming_its_place() {
    let p = network("connection_info: {protocol_name: $.event.proto}\n");
    assert_eq!(
        rejected(&p, r#"{"event":{"proto":"TCP\ud800"}}"#),
        r"refused value: lone surrogate \ud800 in the string at /event/proto (byte 18 of the record)"
    );
    assert_eq!(
        rejected(&p, r#"{"event":{"proto":"\udc00TCP"}}"#),
        r"refused value: lone surrogate \udc00 in the string at /event/proto (byte 18 of the record)"
    );
    // A high surrogate followed by anything but a low one.
    for proto in [r#""\uD800\u0041""#, r#""\ud800x""#, r#""\ud800\n""#] {
        let reason = rejected(&p, &format!(r#"{{"event":{{"proto":{proto}}}}}"#));
        assert!(
            reason.starts_with(r"refused value: lone surrogate \u")
                && reason.contains("/event/proto"),
            "{reason}"
        );
    }
    // A pair is one character, and an escaped backslash starts no escape.
    let o = out(&p, r#"{"event":{"proto":"T\ud83d\ude00\\ud800"}}"#);
    assert_eq!(o["connection_info"]["protocol_name"], "T\u{1f600}\\ud800");
}

#[test]
fn a_lone_surrogate_in_a_value_the_mapping_does_not_read_rejects_the_record() {
    let p = network("connection_info: {protocol_name: $.event.proto}\n");
    for (record, place) in [
        (
            r#"{"event":{"proto":"TCP","note":"x\ud800"}}"#,
            "in the string at /event/note",
        ),
        (
            r#"{"other":[1,{"deep":["\ud800"]}]}"#,
            "in the string at /other/1/deep/0",
        ),
        // Keys: of an object the mapping descends (serde_json's own check), and of one kept raw.
        (
            r#"{"event":{"k\udc00":1,"proto":"TCP"}}"#,
            "in a key of the object at /event",
        ),
        (
            r#"{"other":{"k\udc00":1}}"#,
            "in a key of the object at /other",
        ),
        // A string where the mapping expects an object.
        (r#"{"event":"TCP\ud800"}"#, "in the string at /event"),
    ] {
        let reason = rejected(&p, record);
        assert!(
            reason.starts_with(r"refused value: lone surrogate \u") && reason.contains(place),
            "{record}: {reason}"
        );
    }
}

#[test]
fn a_number_beyond_f64_rejects_the_record_naming_its_place() {
    let p = network_with(
        "  unmapped_rest: true\n",
        "dst_endpoint: {port: $.port}\ntraffic: {bytes: $.bytes}\n",
    );
    assert_eq!(
        rejected(&p, r#"{"port":443,"bytes":1e999}"#),
        "refused value: number out of range 1e999 at /bytes (byte 20 of the record)"
    );
    assert_eq!(
        rejected(&p, r#"{"port":443,"extra":{"n":[-1E400]}}"#),
        "refused value: number out of range -1E400 at /extra/n/0 (byte 26 of the record)"
    );
    let long = "9".repeat(400);
    let reason = rejected(&p, &format!(r#"{{"port":443,"big":{long}}}"#));
    assert!(
        reason.contains("number out of range 9999") && reason.contains(" at /big "),
        "{reason}"
    );
    // Where the mapping expects an object, serde_json reads the number and refuses it.
    let q = network("dst_endpoint: {port: $.e.port}\n");
    assert_eq!(
        rejected(&q, r#"{"e":1e999}"#),
        "refused value: number out of range 1e999 at /e (byte 5 of the record)"
    );
    // Exponents, long integers and underflow that serde_json reads are kept as written.
    let o = out(
        &p,
        r#"{"port":443,"bytes":1.5e3,"x":{"tiny":1e-999,"long":123456789012345678901234567890}}"#,
    );
    assert_eq!(o["traffic"]["bytes"], 1500);
    assert_eq!(o["unmapped"]["x"]["tiny"], 0.0);
}

#[test]
fn nesting_deeper_than_the_limit_rejects_the_record() {
    let p = network_with("  unmapped_rest: true\n", "message: $.m\n");
    let deep = |n: usize| format!(r#"{{"m":"x","d":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
    // 99 arrays inside the record's object: 100 levels, kept whole in `unmapped`.
    let o = out(&p, &deep(99));
    assert!(o["unmapped"]["d"].is_array());
    let reason = rejected(&p, &deep(100));
    assert!(
        reason.starts_with("refused value: nested deeper than 100 levels at /d/0/0/"),
        "{reason}"
    );
}

#[test]
fn jsonpath_queries_never_silently_match_nothing() {
    let p = network(
        "message: $.events[?(@.kind == 'x')].msg\ndst_endpoint:\n  intermediate_ips: $.hops[*].ip\n",
    );
    let good = r#"{"events":[{"kind":"x","msg":"yes"}],"hops":[{"ip":"10.0.0.1"}]"#;
    let o = out(&p, &format!("{good}}}"));
    assert_eq!(o["message"], "yes");
    assert_eq!(o["dst_endpoint"]["intermediate_ips"], json!(["10.0.0.1"]));
    // The same record with one value serde_json cannot read, anywhere in it.
    assert_eq!(
        rejected(&p, &format!(r#"{good},"z":"\ud800"}}"#)),
        format!(
            r"refused value: lone surrogate \ud800 in the string at /z (byte {} of the record)",
            good.len() + 5
        )
    );
    assert_eq!(
        rejected(&p, &format!(r#"{good},"z":[1e999]}}"#)),
        format!(
            "refused value: number out of range 1e999 at /z/0 (byte {} of the record)",
            good.len() + 6
        )
    );
}

#[test]
fn raw_values_copied_to_the_output_are_always_readable() {
    let p = network_with("  unmapped_rest: true\n", "message: $.m\n");
    for hostile in [r#""\ud800""#, r#"{"a":"\udfff"}"#, "1e999", "[1,-1e999]"] {
        let reason = rejected(&p, &format!(r#"{{"m":"x","keep":{hostile}}}"#));
        assert!(
            reason.starts_with("refused value: ") && reason.contains("/keep"),
            "{reason}"
        );
    }
    // What strict readers accept is copied as it is.
    let o = out(&p, r#"{"m":"x","keep":{"e":"\ud83d\ude00","n":2.5E+2}}"#);
    assert_eq!(o["unmapped"]["keep"], json!({"e": "\u{1f600}", "n": 250.0}));
}

#[test]
fn a_repeated_key_keeps_its_last_value_everywhere() {
    let p = network_with(
        "  unmapped_rest: true\n",
        "message: $.a\ndst_endpoint: {port: $.o.x, hostname: $.o.y}\nmetadata: {uid: \"$.list[?(@.k == 'v')].id\"}\n",
    );
    let o = out(
        &p,
        r#"{"a":"first","o":{"x":1},"a":"last","o":{"y":"h"},"list":[{"k":"v","id":"1"}],"list":[{"k":"v","id":"2"}],"r":1,"r":2}"#,
    );
    assert_eq!(o["message"], "last");
    // The later object replaces the earlier one whole: nothing of `{"x":1}` is left.
    assert_eq!(o["dst_endpoint"], json!({"hostname": "h"}));
    assert_eq!(o["metadata"]["uid"], "2");
    assert_eq!(o["unmapped"], json!({"r": 2}));
    // In subtrees copied whole too; and each key is written once, so readers that
    // refuse repeated keys (or keep the first) see the same event.
    let mut sink = JsonLines::new();
    let record = r#"{"a":"x","r":1,"n":{"c":1,"d":[{"e":1,"e":{"f":2}}],"c":{"g":3}},"r":2}"#;
    assert!(matches!(p.eval(record, &mut sink), Outcome::Output { .. }));
    let text = String::from_utf8(sink.buf).unwrap();
    assert!(
        text.contains(r#""unmapped":{"n":{"d":[{"e":{"f":2}}],"c":{"g":3}},"r":2}"#),
        "{text}"
    );
}

#[test]
fn an_ip_t_value_must_be_an_address() {
    let p = network("src_endpoint: {ip: $.ip}\n");
    for bad in [
        "1.2.3.4%<script>",
        "1.2.3.4%eth0",
        "fe80::1%",
        "fe80::1%a b",
        "fe80::1%<x>",
        "::1%",
        "host",
    ] {
        let reason = rejected(&p, &json!({"ip": bad}).to_string());
        assert_eq!(
            reason,
            format!("src_endpoint.ip: cannot convert {} to ip_t", json!(bad)),
        );
    }
    for good in [
        "1.2.3.4",
        "2001:db8::1",
        "fe80::1%eth0",
        "fe80::1%en0.v-1_x",
        "::ffff:1.2.3.4",
    ] {
        let o = out(&p, &json!({"ip": good}).to_string());
        assert_eq!(o["src_endpoint"]["ip"], good);
    }
    // Under `on_type_error: unmapped` the value moves aside like any other type error.
    let q = network_with("  on_type_error: unmapped\n", "src_endpoint: {ip: $.ip}\n");
    let o = out(&q, r#"{"ip":"1.2.3.4%<script>"}"#);
    assert_eq!(
        o["unmapped"],
        json!({"src_endpoint.ip": "1.2.3.4%<script>"})
    );
    assert!(o.get("src_endpoint").is_none());
}

#[test]
fn hex_integers_are_0x_and_hex_digits_only() {
    let p = network("dst_endpoint: {port: $.port}\n");
    assert_eq!(out(&p, r#"{"port":"0x1bB"}"#)["dst_endpoint"]["port"], 443);
    for bad in ["0x-1", "0x+1", "0x", "0x 1", "-0x1"] {
        assert_eq!(
            rejected(&p, &json!({"port": bad}).to_string()),
            format!(
                "dst_endpoint.port: cannot convert {} to integer_t",
                json!(bad)
            )
        );
    }
}

/// Runs `records` (JSON lines) through the batch runner with `--validate`, into JSON
/// lines; returns the events written and the reasons of the records set aside.
fn run_validated<B: EventBuffer>(
    plan: &Plan,
    records: &str,
    new_buffer: &(dyn Fn() -> B + Sync),
) -> (usize, Vec<String>) {
    let mut events = 0;
    let mut reasons = Vec::new();
    let stats = run::run(
        plan,
        vec![Input {
            name: "records.jsonl".into(),
            reader: Box::new(Cursor::new(records.as_bytes().to_vec())),
        }],
        RunOptions {
            pool: None,
            validate: true,
        },
        &mut Outputs {
            new_buffer,
            events: &mut |b: &mut B| {
                events += b.mark();
                Ok(())
            },
            set_aside: &mut |s: &SetAside| {
                reasons.push(format!("line {}: {}", s.line, s.reason));
                Ok(())
            },
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    assert_eq!(stats.input, stats.output + stats.rejected, "{stats:?}");
    (events, reasons)
}

const VALIDATED: &str = "  unmapped_rest: true\n";
const BODY: &str = "activity_id: 6\nseverity_id: 1\ntime: $.t\nmetadata: {product: {name: p, vendor_name: v}}\nsrc_endpoint: {ip: $.ip}\ndst_endpoint: {ip: $.ip, port: $.port}\n";

#[test]
fn validate_rejects_an_invalid_event_whatever_rides_along_in_unmapped() {
    let p = network_with(VALIDATED, BODY);
    let records = [
        r#"{"t":1,"ip":"10.0.0.1","port":70000}"#,
        r#"{"t":1,"ip":"10.0.0.1","port":70000,"x":1e999}"#,
        r#"{"t":1,"ip":"10.0.0.1","port":70000,"x":"\ud800"}"#,
        r#"{"t":1,"ip":"10.0.0.1","port":443,"x":[1e999]}"#,
    ];
    let (bytes, reasons) = run_validated(&p, &records.join("\n"), &JsonLines::new);
    assert_eq!(bytes, 0, "no event is written");
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    assert_eq!(
        reasons[0],
        "line 1: not valid OCSF: `dst_endpoint.port` is 70000, outside 0..=65535"
    );
    let at = |record: &str, what: &str| record.find(what).unwrap();
    assert_eq!(
        reasons[1],
        format!(
            "line 2: refused value: number out of range 1e999 at /x (byte {} of the record)",
            at(records[1], "1e999")
        )
    );
    assert_eq!(
        reasons[2],
        format!(
            r"line 3: refused value: lone surrogate \ud800 in the string at /x (byte {} of the record)",
            at(records[2], r#""\ud800""#)
        )
    );
    assert_eq!(
        reasons[3],
        format!(
            "line 4: refused value: number out of range 1e999 at /x/0 (byte {} of the record)",
            at(records[3], "1e999")
        )
    );
    // A valid event passes.
    let (bytes, reasons) = run_validated(
        &p,
        r#"{"t":1,"ip":"10.0.0.1","port":443,"x":"\ud83d\ude00"}"#,
        &JsonLines::new,
    );
    assert!(bytes > 0 && reasons.is_empty(), "{reasons:?}");
}

/// JSON lines whose events cannot be read back (a writer that loses its events).
#[derive(Default)]
struct Unreadable(JsonLines);

impl Sink for Unreadable {
    fn begin_event(&mut self, class_uid: i64) {
        self.0.begin_event(class_uid);
    }
    fn end_event(&mut self) {
        self.0.end_event();
    }
    fn abort_event(&mut self) {
        self.0.abort_event();
    }
    fn begin_object(&mut self, key: &str) {
        self.0.begin_object(key);
    }
    fn end_object(&mut self) {
        self.0.end_object();
    }
    fn value(&mut self, key: &str, value: &Typed<'_>) {
        self.0.value(key, value);
    }
    fn raw(&mut self, key: &str, json: &str) {
        self.0.raw(key, json);
    }
}

impl EventBuffer for Unreadable {
    fn clear(&mut self) {
        self.0.clear();
    }
    fn mark(&self) -> usize {
        self.0.mark()
    }
    fn rollback(&mut self, mark: usize) {
        self.0.rollback(mark);
    }
    fn event_json(&self, _mark: usize) -> Option<Value> {
        None
    }
}

#[test]
fn validate_rejects_an_event_it_cannot_read_back_instead_of_passing_it() {
    let p = network_with(VALIDATED, BODY);
    let (bytes, reasons) = run_validated(
        &p,
        r#"{"t":1,"ip":"10.0.0.1","port":70000}"#,
        &Unreadable::default,
    );
    assert_eq!(bytes, 0);
    assert_eq!(
        reasons,
        ["line 1: not valid OCSF: the event written cannot be read back as JSON to check it"]
    );
}
