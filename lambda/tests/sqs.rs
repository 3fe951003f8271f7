//! The SQS handler over an in-memory store: partial-batch failures, accounting of every
//! record, deterministic names, and the notification shapes.

mod common;

use common::*;
use ocsfmap_lambda::MemoryObjects;
use ocsfmap_lambda::naming;
use serde_json::{Value, json};

/// Ten messages: eight with good objects (nine objects: the first message holds two
/// records), one naming an object whose gzip stream is cut short, one naming an object
/// that is missing.
fn batch(s: &Setup) -> (Value, Vec<(&'static str, String, usize)>) {
    let o = &s.objects;
    let alert = sample("mappings/tests/aws-network-firewall/alert.input.jsonl");
    let netflow = sample("mappings/tests/aws-network-firewall/netflow.input.jsonl");
    let tls = sample("mappings/tests/aws-network-firewall/tls.input.jsonl");
    let mut tls_bad = tls.clone();
    tls_bad.extend_from_slice(b"{\"event\": {\"event_type\": \"tls\", \n");
    tls_bad.extend_from_slice(&tls);
    let mut unrouted = netflow.clone();
    unrouted.extend_from_slice(
        br#"{"event":{"event_type":"dns","timestamp":"2023-11-14T22:13:20.1+0000"}}"#,
    );
    unrouted.push(b'\n');
    let corrupt = {
        let mut g = gzip(&netflow);
        g.truncate(g.len() / 2);
        g
    };
    let ct = sample("mappings/tests/aws-cloudtrail/api-calls.input.jsonl");
    let ct_again = ct.clone();
    let ct_one = sample("mappings/tests/aws-cloudtrail/service-call.input.jsonl");
    let vpc = sample("mappings/tests/amazon-vpc-flow-logs/default-format.input.log");
    let vpc_custom = sample("mappings/tests/amazon-vpc-flow-logs/custom-format.input.log");

    // (key as stored, key as S3 encodes it, body, expected rows)
    let objects: Vec<(&str, &str, Vec<u8>, usize)> = vec![
        (
            "nfw/alert.jsonl",
            "nfw%2Falert.jsonl",
            alert,
            expected("aws-network-firewall/alert"),
        ),
        (
            "nfw/2024/netflow.jsonl.gz",
            "nfw/2024/netflow.jsonl.gz",
            gzip(&netflow),
            expected("aws-network-firewall/netflow"),
        ),
        (
            "nfw/tls +bad.jsonl",
            "nfw/tls+%2Bbad.jsonl",
            tls_bad,
            2 * expected("aws-network-firewall/tls"),
        ),
        (
            "nfw/with-dns.jsonl",
            "nfw/with-dns.jsonl",
            unrouted,
            expected("aws-network-firewall/netflow"),
        ),
        (
            "AWSLogs/1/api.json",
            "AWSLogs/1/api.json",
            ct,
            expected("aws-cloudtrail/api-calls"),
        ),
        (
            "AWSLogs/1/svc.json",
            "AWSLogs/1/svc.json",
            ct_one,
            expected("aws-cloudtrail/service-call"),
        ),
        (
            "vpc/default.log",
            "vpc/default.log",
            vpc,
            expected("amazon-vpc-flow-logs/default-format"),
        ),
        (
            "vpc/custom.log",
            "vpc/custom.log",
            vpc_custom,
            expected("amazon-vpc-flow-logs/custom-format"),
        ),
        (
            "AWSLogs/2/api.json.gz",
            "AWSLogs/2/api.json.gz",
            gzip(&ct_again),
            expected("aws-cloudtrail/api-calls"),
        ),
        ("nfw/corrupt.jsonl.gz", "nfw/corrupt.jsonl.gz", corrupt, 0),
    ];
    let mut records = Vec::new();
    let mut want = Vec::new();
    for (key, encoded, body, rows) in objects {
        let etag = MemoryObjects::etag(&body);
        records.push(s3_record(
            encoded,
            &format!("\"{etag}\""),
            body.len() as u64,
        ));
        o.insert(RAW, key, body);
        want.push((key, naming::object_prefix(RAW, key, &etag), rows));
    }
    records.push(s3_record("nfw/missing.jsonl", "\"gone\"", 10));
    let mut messages = Vec::new();
    let mut records = records.into_iter();
    // m0 holds two records; m1..m7 one each; m8 the corrupt object; m9 the missing one.
    messages.push(message(
        "m0",
        vec![records.next().unwrap(), records.next().unwrap()],
    ));
    for i in 1..=7 {
        messages.push(message(&format!("m{i}"), vec![records.next().unwrap()]));
    }
    messages.push(message("m8", vec![records.next().unwrap()]));
    messages.push(message("m9", vec![records.next().unwrap()]));
    assert_eq!(messages.len(), 10);
    (sqs_event(messages), want)
}

#[test]
fn a_batch_reports_exactly_the_missing_and_the_corrupt_object() {
    let s = setup();
    let (event, want) = batch(&s);
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["m8", "m9"]);
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json,
        json!({"batchItemFailures": [{"itemIdentifier": "m8"}, {"itemIdentifier": "m9"}]})
    );

    // Every good object's events are in the lake, under its own deterministic name.
    for (key, prefix, rows) in &want[..9] {
        assert!(*rows > 0);
        assert_eq!(
            rows_with_prefix(&s.objects, prefix),
            *rows as i64,
            "{key} ({prefix})"
        );
    }
    // Parquet keys follow the lake layout, partitions from the config.
    for k in s.objects.keys(LAKE, "ext/") {
        assert!(
            k.contains("/region=us-east-1/accountId=123456789012/eventDay="),
            "{k}"
        );
        assert!(k.ends_with(".parquet"), "{k}");
    }

    // Every bad line is set aside with its reason, under the object's own name.
    let tls = set_aside(&s.objects, "aws-nfw/raw/nfw/tls +bad.jsonl.");
    assert_eq!(tls.len(), 1, "{tls:?}");
    assert_eq!(tls[0]["input"], "s3://raw/nfw/tls +bad.jsonl");
    assert_eq!(tls[0]["kind"], "rejected");
    assert_eq!(tls[0]["line"], 2);
    assert!(
        tls[0]["reason"]
            .as_str()
            .unwrap()
            .contains("malformed JSON"),
        "{tls:?}"
    );
    let dns = set_aside(&s.objects, "aws-nfw/raw/nfw/with-dns.jsonl.");
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0]["kind"], "unrouted");
    assert_eq!(dns[0]["code"], "OM111");
    assert!(dns[0]["raw"].as_str().unwrap().contains("\"dns\""));
    // The cut-short object: what it could not read is set aside too.
    let corrupt = set_aside(&s.objects, "aws-nfw/raw/nfw/corrupt.jsonl.gz.");
    assert!(!corrupt.is_empty());
    assert!(corrupt.iter().any(|r| r["code"] == "OM109"), "{corrupt:?}");
    // Nothing for the objects without bad lines.
    assert!(set_aside(&s.objects, "aws-nfw/raw/nfw/alert.jsonl.").is_empty());

    // One log line and one metrics line per object; the failures say why.
    let logs = s.log_lines();
    let done: Vec<&Value> = logs
        .iter()
        .filter(|l| l["message"] == "input done")
        .collect();
    let failed: Vec<&Value> = logs
        .iter()
        .filter(|l| l["message"] == "input failed")
        .collect();
    assert_eq!(done.len(), 9);
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().any(|l| {
        l["key"] == "nfw/missing.jsonl"
            && l["error"]
                .as_str()
                .unwrap()
                .starts_with("cannot read s3://raw/nfw/missing.jsonl")
    }));
    assert!(failed.iter().any(|l| {
        l["key"] == "nfw/corrupt.jsonl.gz"
            && l["error"]
                .as_str()
                .unwrap()
                .contains("could not be read to its end")
    }));
    let tls_log = done
        .iter()
        .find(|l| l["key"] == "nfw/tls +bad.jsonl")
        .unwrap();
    assert_eq!(
        (
            tls_log["input"].clone(),
            tls_log["output"].clone(),
            tls_log["rejected"].clone()
        ),
        (json!(3), json!(2), json!(1))
    );
    assert_eq!(
        tls_log["etag"].as_str(),
        etag_of(&s.objects, "nfw/tls +bad.jsonl")
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
    );
    let metrics: Vec<&Value> = logs.iter().filter(|l| l.get("_aws").is_some()).collect();
    assert_eq!(metrics.len(), 11);
    let m = metrics
        .iter()
        .find(|m| m["Source"] == "aws-nfw" && m["Rejected"] == 1)
        .unwrap();
    assert_eq!(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "ocsfmap");
    assert_eq!(
        m["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Source"]])
    );
    // Every record is accounted for in each line.
    for l in done {
        let n = |k: &str| l[k].as_u64().unwrap();
        assert_eq!(
            n("input"),
            n("output") + n("dropped") + n("rejected") + n("unrouted"),
            "{l}"
        );
    }
}

#[test]
fn running_the_batch_again_leaves_the_same_objects() {
    let s = setup();
    let (event, _) = batch(&s);
    s.handler.handle(&event).unwrap();
    let first = s.objects.keys(LAKE, "");
    let bodies: Vec<Vec<u8>> = first
        .iter()
        .map(|k| s.objects.body(LAKE, k).unwrap())
        .collect();
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["m8", "m9"]);
    assert_eq!(s.objects.keys(LAKE, ""), first, "the same keys, none added");
    let again: Vec<Vec<u8>> = first
        .iter()
        .map(|k| s.objects.body(LAKE, k).unwrap())
        .collect();
    assert!(bodies == again, "the same bytes");
}

#[test]
fn a_write_failure_fails_only_its_message() {
    let s = setup();
    s.objects.insert(
        RAW,
        "nfw/a.jsonl",
        sample("mappings/tests/aws-network-firewall/alert.input.jsonl"),
    );
    s.objects.insert(
        RAW,
        "vpc/b.log",
        sample("mappings/tests/amazon-vpc-flow-logs/default-format.input.log"),
    );
    s.objects.fail_puts_under(LAKE, "ext/aws-network-firewall/");
    let event = sqs_event(vec![
        message(
            "a",
            vec![s3_record(
                "nfw/a.jsonl",
                &etag_of(&s.objects, "nfw/a.jsonl"),
                1,
            )],
        ),
        message(
            "b",
            vec![s3_record("vpc/b.log", &etag_of(&s.objects, "vpc/b.log"), 1)],
        ),
    ]);
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["a"]);
    let failed = s
        .log_lines()
        .into_iter()
        .find(|l| l["message"] == "input failed")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("write refused"),
        "{failed}"
    );
}

#[test]
fn test_events_folders_empty_objects_and_unknown_keys_are_acknowledged() {
    let s = setup();
    s.objects.insert(RAW, "nfw/empty.jsonl", Vec::new());
    let test_event = json!({"messageId": "t", "eventSource": "aws:sqs",
        "body": json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": RAW}).to_string()});
    let event = sqs_event(vec![
        test_event,
        message("folder", vec![s3_record("nfw/2024/", "\"d\"", 0)]),
        message("empty", vec![s3_record("nfw/empty.jsonl", "\"e\"", 0)]),
        message("other", vec![s3_record("elsewhere/x.json", "\"x\"", 5)]),
    ]);
    let response = s.handler.handle(&event).unwrap();
    assert!(response.failed_ids().is_empty());
    let reasons: Vec<String> = s
        .log_lines()
        .iter()
        .filter(|l| l["message"] == "skipped")
        .map(|l| l["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "s3:TestEvent",
            "a folder key (ends with `/`)",
            "a zero-byte object",
            "no source takes this bucket and key"
        ]
    );
    assert!(s.objects.keys(LAKE, "").is_empty());
}

#[test]
fn sns_and_eventbridge_wrappers_and_a_body_that_is_neither() {
    let s = setup();
    let alert = sample("mappings/tests/aws-network-firewall/alert.input.jsonl");
    s.objects.insert(RAW, "nfw/via sns.jsonl", alert.clone());
    s.objects.insert(RAW, "nfw/via+eb.jsonl", alert);
    let etag = MemoryObjects::etag(&s.objects.body(RAW, "nfw/via+eb.jsonl").unwrap());
    let sns = json!({"Type": "Notification", "MessageId": "x",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:raw",
        "Message": json!({"Records": [s3_record("nfw/via+sns.jsonl", &etag, 10)]}).to_string()});
    let eb = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "region": "us-east-1",
        "detail": {"bucket": {"name": RAW}, "object": {"key": "nfw/via+eb.jsonl", "size": 10, "etag": etag}}});
    let event = sqs_event(vec![
        json!({"messageId": "sns", "eventSource": "aws:sqs", "body": sns.to_string()}),
        json!({"messageId": "eb", "eventSource": "aws:sqs", "body": eb.to_string()}),
        json!({"messageId": "junk", "eventSource": "aws:sqs", "body": "{\"hello\": 1}"}),
    ]);
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["junk"]);
    let n = expected("aws-network-firewall/alert") as i64;
    assert_eq!(
        rows_with_prefix(
            &s.objects,
            &naming::object_prefix(RAW, "nfw/via sns.jsonl", &etag)
        ),
        n
    );
    assert_eq!(
        rows_with_prefix(
            &s.objects,
            &naming::object_prefix(RAW, "nfw/via+eb.jsonl", &etag)
        ),
        n
    );
}

#[test]
fn the_version_id_names_the_files_when_there_is_one() {
    let s = setup();
    s.objects.insert(
        RAW,
        "nfw/v.jsonl",
        sample("mappings/tests/aws-network-firewall/alert.input.jsonl"),
    );
    let mut record = s3_record("nfw/v.jsonl", "\"etag\"", 10);
    record["s3"]["object"]["versionId"] = json!("ver-7");
    s.handler
        .handle(&sqs_event(vec![message("v", vec![record])]))
        .unwrap();
    let by_version = naming::object_prefix(RAW, "nfw/v.jsonl", "ver-7");
    assert!(rows_with_prefix(&s.objects, &by_version) > 0);
    let logs = s.log_lines();
    let done = logs.iter().find(|l| l["message"] == "input done").unwrap();
    assert_eq!(done["version_id"], "ver-7");
}

#[test]
fn the_partition_comes_from_the_notification_when_the_config_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(
        &path,
        format!(
            "security_lake: {{bucket: {LAKE}}}\nmapping_dir: {}\nsources:\n  - name: aws-nfw\n    mapping_file: aws-network-firewall.yaml\n    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}}}]}}}}\n",
            repo().join("mappings").display()
        ),
    )
    .unwrap();
    let sources = std::sync::Arc::new(ocsfmap_lambda::Sources::load(&path, None).unwrap());
    let objects = std::sync::Arc::new(ocsfmap_lambda::MemoryObjects::new());
    let handler = ocsfmap_lambda::Handler::new(sources, objects.clone(), Box::new(|_| {}));
    objects.insert(
        RAW,
        "a.jsonl",
        sample("mappings/tests/aws-network-firewall/alert.input.jsonl"),
    );
    let eb = json!({"detail-type": "Object Created", "account": "210987654321", "region": "eu-west-3",
        "detail": {"bucket": {"name": RAW}, "object": {"key": "a.jsonl"}}});
    let mut record = s3_record("a.jsonl", &etag_of(&objects, "a.jsonl"), 3);
    record["awsRegion"] = json!("ap-south-1");
    let event = sqs_event(vec![
        json!({"messageId": "eb", "eventSource": "aws:sqs", "body": eb.to_string(),
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"}),
        message("s3", vec![record]),
    ]);
    assert!(handler.handle(&event).unwrap().failed_ids().is_empty());
    let keys = objects.keys(LAKE, "ext/");
    // EventBridge names the bucket owner's account and region; a plain S3 record names
    // the region, and the account is the queue's.
    assert!(
        keys.iter()
            .any(|k| k.contains("/region=eu-west-3/accountId=210987654321/")),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .any(|k| k.contains("/region=ap-south-1/accountId=123456789012/")),
        "{keys:?}"
    );
}

#[test]
fn an_object_replaced_since_its_notification_is_acknowledged_without_output() {
    let s = setup();
    let alert = sample("mappings/tests/aws-network-firewall/alert.input.jsonl");
    s.objects.insert(RAW, "nfw/a.jsonl", alert.clone());
    let old_etag = etag_of(&s.objects, "nfw/a.jsonl");
    // Overwritten (an unversioned bucket) before the first notification is handled.
    let mut newer = alert.clone();
    newer.extend_from_slice(&alert);
    s.objects.insert(RAW, "nfw/a.jsonl", newer);
    let new_etag = etag_of(&s.objects, "nfw/a.jsonl");
    let event = sqs_event(vec![
        message("old", vec![s3_record("nfw/a.jsonl", &old_etag, 10)]),
        message("new", vec![s3_record("nfw/a.jsonl", &new_etag, 20)]),
    ]);
    let response = s.handler.handle(&event).unwrap();
    assert!(response.failed_ids().is_empty(), "{response:?}");
    // Only the new content is in the lake, once, under the new content's name.
    let n = expected("aws-network-firewall/alert") as i64;
    let trimmed = new_etag.trim_matches('"');
    assert_eq!(
        rows_with_prefix(
            &s.objects,
            &naming::object_prefix(RAW, "nfw/a.jsonl", trimmed)
        ),
        2 * n
    );
    assert_eq!(
        rows_with_prefix(&s.objects, "a-"),
        2 * n,
        "nothing under the old name"
    );
    let logs = s.log_lines();
    let skipped = logs.iter().find(|l| l["message"] == "skipped").unwrap();
    assert_eq!(skipped["message_id"], "old");
    assert!(
        skipped["reason"]
            .as_str()
            .unwrap()
            .starts_with("replaced since the notification"),
        "{skipped}"
    );
    assert!(logs.iter().any(|l| l["SupersededObjects"] == 1));
}

#[test]
fn without_version_or_etag_the_files_are_named_by_the_content_read() {
    let s = setup();
    let alert = sample("mappings/tests/aws-network-firewall/alert.input.jsonl");
    s.objects.insert(RAW, "nfw/a.jsonl", alert.clone());
    let mut record = s3_record("nfw/a.jsonl", "", 10);
    record["s3"]["object"]
        .as_object_mut()
        .unwrap()
        .remove("eTag");
    s.handler
        .handle(&sqs_event(vec![message("m", vec![record])]))
        .unwrap();
    let read = MemoryObjects::etag(&alert);
    assert_eq!(
        rows_with_prefix(
            &s.objects,
            &naming::object_prefix(RAW, "nfw/a.jsonl", &read)
        ),
        expected("aws-network-firewall/alert") as i64
    );
    let logs = s.log_lines();
    let done = logs.iter().find(|l| l["message"] == "input done").unwrap();
    assert_eq!(done["read_as"], read);
}

/// Stores one firewall object and returns a batch of two messages, with these ids,
/// that both name it.
fn one_object_twice(s: &Setup, ids: [&str; 2]) -> Value {
    s.objects.insert(
        RAW,
        "nfw/a.jsonl",
        sample("mappings/tests/aws-network-firewall/alert.input.jsonl"),
    );
    let etag = etag_of(&s.objects, "nfw/a.jsonl");
    sqs_event(
        ids.iter()
            .map(|id| message(id, vec![s3_record("nfw/a.jsonl", &etag, 10)]))
            .collect(),
    )
}

#[test]
fn an_object_notified_twice_in_a_batch_is_transformed_and_counted_once() {
    let s = setup();
    let event = one_object_twice(&s, ["first", "again"]);
    assert!(s.handler.handle(&event).unwrap().failed_ids().is_empty());
    let logs = s.log_lines();
    assert_eq!(
        logs.iter().filter(|l| l["message"] == "input done").count(),
        1
    );
    assert_eq!(
        logs.iter().filter(|l| l["Source"] == "aws-nfw").count(),
        1,
        "one metrics line"
    );
    let repeated = logs
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("already handled"))
        })
        .unwrap();
    assert_eq!(repeated["message_id"], "again");

    // A repeated failure fails both messages (each is retried).
    let fresh = setup();
    let event = one_object_twice(&fresh, ["first", "again"]);
    fresh.objects.fail_puts_under(LAKE, "ext/");
    let response = fresh.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["first", "again"]);
}

#[test]
fn a_retry_with_a_larger_buffer_removes_the_parts_it_no_longer_writes() {
    let mut s = setup();
    // 9,000 records: more than one batch of the engine (8,192 records).
    let mut body = Vec::new();
    for _ in 0..3000 {
        body.extend_from_slice(&sample(
            "mappings/tests/aws-network-firewall/netflow.input.jsonl",
        ));
    }
    s.objects.insert(RAW, "nfw/big.jsonl", body);
    let etag = etag_of(&s.objects, "nfw/big.jsonl");
    let event = sqs_event(vec![message(
        "m",
        vec![s3_record("nfw/big.jsonl", &etag, 10)],
    )]);
    let prefix = naming::object_prefix(RAW, "nfw/big.jsonl", etag.trim_matches('"'));
    let parts = |s: &Setup| {
        s.objects
            .keys(LAKE, "ext/")
            .into_iter()
            .filter(|k| k.rsplit('/').next().unwrap().starts_with(&prefix))
            .count()
    };
    // A small function: a tiny buffer, so every batch of rows is its own file.
    s.handler.max_buffer_bytes = 1;
    assert!(s.handler.handle(&event).unwrap().failed_ids().is_empty());
    let small = parts(&s);
    assert!(small > 1, "{small} parts");
    // The retry (a larger function) writes one file; the others would duplicate rows.
    s.handler.max_buffer_bytes = 64 << 20;
    assert!(s.handler.handle(&event).unwrap().failed_ids().is_empty());
    assert_eq!(parts(&s), 1);
    assert_eq!(
        rows_with_prefix(&s.objects, &prefix),
        3000 * expected("aws-network-firewall/netflow") as i64
    );
}

#[test]
fn messages_not_started_by_the_deadline_are_reported_for_retry() {
    let s = setup();
    let event = one_object_twice(&s, ["a", "b"]);
    // The deadline has passed: nothing is started, everything is retried.
    let past = std::time::Instant::now();
    let response = s.handler.handle_until(&event, Some(past)).unwrap();
    assert_eq!(response.failed_ids(), ["a", "b"]);
    assert!(s.objects.keys(LAKE, "").is_empty());
    let logs = s.log_lines();
    assert!(logs.iter().any(|l| l["PostponedMessages"] == 2), "{logs:?}");
    // With time left, the same batch is done.
    let later = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let response = s.handler.handle_until(&event, Some(later)).unwrap();
    assert!(response.failed_ids().is_empty());
}

#[test]
fn unreadable_messages_and_unrouted_objects_are_counted_in_metrics() {
    let s = setup();
    let event = sqs_event(vec![
        json!({"messageId": "junk", "eventSource": "aws:sqs", "body": "not json"}),
        message("other", vec![s3_record("elsewhere/x.json", "\"x\"", 5)]),
    ]);
    let response = s.handler.handle(&event).unwrap();
    assert_eq!(response.failed_ids(), ["junk"]);
    let logs = s.log_lines();
    let metric = |name: &str| {
        logs.iter()
            .find(|l| l.get(name).is_some())
            .unwrap_or_else(|| panic!("no {name} metric: {logs:?}"))
            .clone()
    };
    let unreadable = metric("UnreadableMessages");
    assert_eq!(unreadable["UnreadableMessages"], 1);
    assert_eq!(
        unreadable["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
        "UnreadableMessages"
    );
    assert_eq!(metric("UnroutedObjects")["UnroutedObjects"], 1);
}

#[test]
fn an_eventbridge_event_straight_to_the_function_is_one_object() {
    let s = setup();
    s.objects.insert(
        RAW,
        "nfw/eb direct.jsonl",
        sample("mappings/tests/aws-network-firewall/alert.input.jsonl"),
    );
    let etag = MemoryObjects::etag(&s.objects.body(RAW, "nfw/eb direct.jsonl").unwrap());
    let event = |key: &str| {
        json!({"version": "0", "id": "ev-1", "detail-type": "Object Created", "source": "aws.s3",
            "account": "123456789012", "region": "us-east-1", "resources": [],
            "detail": {"bucket": {"name": RAW},
                       "object": {"key": key, "size": 10, "etag": etag}}})
    };
    let response = s.handler.handle(&event("nfw/eb direct.jsonl")).unwrap();
    assert!(response.failed_ids().is_empty());
    assert_eq!(
        rows_with_prefix(
            &s.objects,
            &naming::object_prefix(RAW, "nfw/eb direct.jsonl", &etag)
        ),
        expected("aws-network-firewall/alert") as i64
    );
    // Its object failing fails the invocation, so that Lambda retries the event.
    let err = s.handler.handle(&event("nfw/missing.jsonl")).unwrap_err();
    assert!(err.to_string().contains("EventBridge event ev-1"), "{err}");
}
