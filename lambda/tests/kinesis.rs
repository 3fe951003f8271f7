//! The Kinesis handler over an in-memory store: the sequence number to resume at,
//! routing by field or stream, and every event accounted for.

mod common;

use base64::Engine as _;
use common::*;
use ocsfmap_lambda::naming;
use serde_json::{Value, json};

const ARN: &str = "arn:aws:kinesis:us-east-1:123456789012:stream/sysmon-stream";

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn record(seq: &str, data: &str) -> Value {
    json!({
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "host-1",
                    "sequenceNumber": seq, "data": data,
                    "approximateArrivalTimestamp": 1_700_000_000.5},
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": format!("shardId-000000000000:{seq}"),
        "eventName": "aws:kinesis:record", "awsRegion": "us-east-1",
        "eventSourceARN": ARN,
    })
}

fn sysmon_lines(case: &str) -> Vec<u8> {
    sample(&format!("mappings/tests/windows-sysmon/{case}.input.jsonl"))
}

fn prefix(first_seq: &str) -> String {
    format!(
        "sysmon-stream-{}",
        naming::digest(&[ARN, "shardId-000000000000", first_seq])
    )
}

#[test]
fn a_batch_with_one_undecodable_record_reports_exactly_its_sequence_number() {
    let s = setup();
    // JSON lines; concatenated documents (no newline between them); gzip.
    let dns = sysmon_lines("dns-query");
    let concatenated: Vec<u8> = [sysmon_lines("file-create"), sysmon_lines("process-create")]
        .iter()
        .flat_map(|l| l.strip_suffix(b"\n").unwrap_or(l).to_vec())
        .collect();
    let gz = gzip(&sysmon_lines("network-connection"));
    let event = json!({"Records": [
        record("101", &b64(&dns)),
        record("102", &b64(&concatenated)),
        record("103", &b64(&gz)),
        record("104", "this is not base64!"),
        record("105", &b64(&sysmon_lines("process-terminate"))),
    ]});
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["104"]);
    let written = expected("windows-sysmon/dns-query")
        + expected("windows-sysmon/file-create")
        + expected("windows-sysmon/process-create")
        + expected("windows-sysmon/network-connection");
    assert_eq!(rows_with_prefix(&s.objects, &prefix("101")), written as i64);
    // The record after the undecodable one is left for the retry, which resumes there.
    let logs = s.log_lines();
    let done = logs.iter().find(|l| l["message"] == "input done").unwrap();
    assert_eq!(done["input"], json!(written));
    assert_eq!(done["records"], 3);
    let bad = logs
        .iter()
        .find(|l| l["message"] == "record cannot be decoded")
        .unwrap();
    assert_eq!(bad["sequence_number"], "104");
    assert!(bad["error"].as_str().unwrap().contains("not base64"));
    // Its data is kept as it came, under its own sequence number: the retries (and the
    // event source mapping's giving up on it) lose nothing.
    let kept = set_aside(
        &s.objects,
        "kinesis/sysmon-stream/shardId-000000000000/104.undecodable.",
    );
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["raw"], "this is not base64!");
    assert_eq!(kept[0]["code"], "OM109");
    assert_eq!(
        kept[0]["input"],
        "kinesis://sysmon-stream/shardId-000000000000/104"
    );
    assert!(kept[0]["reason"].as_str().unwrap().contains("not base64"));

    // The retry starts at 104: with the record fixed, it and 105 are written under the
    // retry's own names, and nothing from 101-103 is written again.
    let retry = json!({"Records": [
        record("104", &b64(&sysmon_lines("file-delete"))),
        record("105", &b64(&sysmon_lines("process-terminate"))),
    ]});
    assert!(s.handler.handle(&retry).unwrap().failed_ids().is_empty());
    assert_eq!(
        rows_with_prefix(&s.objects, &prefix("104")),
        (expected("windows-sysmon/file-delete") + expected("windows-sysmon/process-terminate"))
            as i64
    );
    assert_eq!(rows_with_prefix(&s.objects, &prefix("101")), written as i64);
}

#[test]
fn events_go_by_metadata_field_then_by_stream_and_the_rest_is_set_aside() {
    let s = setup();
    let mut tagged: Value = serde_json::from_slice(&sysmon_lines("file-create")).unwrap();
    tagged["source"] = json!("sysmon");
    let untagged = sysmon_lines("process-create");
    let other_stream = "arn:aws:kinesis:us-east-1:123456789012:stream/elsewhere";
    let mut by_field = record("201", &b64(tagged.to_string().as_bytes()));
    by_field["eventSourceARN"] = json!(other_stream);
    let mut nowhere = record("202", &b64(&untagged));
    nowhere["eventSourceARN"] = json!(other_stream);
    let dns = sysmon_lines("dns-query");
    let first_dns = dns.split(|&b| b == b'\n').next().unwrap();
    let mut broken = b"{\"EventId\": 1,\n".to_vec();
    broken.extend_from_slice(first_dns);
    let malformed = record("301", &b64(&broken));
    let event = json!({"Records": [by_field, nowhere, malformed]});
    let response = s.handler.handle(&event).unwrap();
    assert!(response.failed_ids().is_empty(), "{response:?}");

    // The tagged event went to `sysmon` although its stream is not listed.
    let elsewhere = format!(
        "elsewhere-{}",
        naming::digest(&[other_stream, "shardId-000000000000", "201"])
    );
    assert_eq!(
        rows_with_prefix(&s.objects, &elsewhere),
        expected("windows-sysmon/file-create") as i64
    );
    // The untagged event of an unlisted stream is set aside as unrouted, with the reason.
    let aside = set_aside(&s.objects, "kinesis/elsewhere/");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0]["kind"], "unrouted");
    assert_eq!(
        aside[0]["input"],
        "kinesis://elsewhere/shardId-000000000000/202"
    );
    assert!(
        aside[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no source takes this event")
    );
    // The listed stream's batch: the broken event set aside, the good one mapped
    // (it was routed by stream, then the mapping checks it).
    let aside = set_aside(&s.objects, "kinesis/sysmon-stream/");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0]["kind"], "rejected");
    assert_eq!(aside[0]["line"], 1);
    assert!(
        aside[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("malformed JSON"),
        "{aside:?}"
    );
    assert_eq!(rows_with_prefix(&s.objects, &prefix("301")), 1);
}

#[test]
fn a_write_failure_reports_the_first_record_so_the_retry_rewrites_the_same_names() {
    let s = setup();
    s.objects.fail_puts_under(LAKE, "ext/");
    let event = json!({"Records": [
        record("401", &b64(&sysmon_lines("dns-query"))),
        record("402", &b64(&sysmon_lines("file-create"))),
    ]});
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["401"]);
    let logs = s.log_lines();
    assert!(logs.iter().any(|l| l["message"] == "input failed"));
}

#[test]
fn events_of_other_shapes_are_errors_and_an_empty_batch_is_fine() {
    let s = setup();
    assert!(
        s.handler
            .handle(&json!({"Records": []}))
            .unwrap()
            .failed_ids()
            .is_empty()
    );
    let err = s.handler.handle(&json!({"detail": {}})).unwrap_err();
    assert!(err.to_string().contains("no `Records`"), "{err}");
    let err = s
        .handler
        .handle(&json!({"Records": [{"eventSource": "aws:dynamodb"}]}))
        .unwrap_err();
    assert!(err.to_string().contains("aws:dynamodb"), "{err}");
}
