//! `ocsfmap transform` end to end: what a user runs and what they check afterwards.

mod common;

use std::io::Write;
use std::path::Path;

use common::{lines, ocsfmap_with_stdin as ocsfmap, repo};
use serde_json::{Value, json};

const NFW: &str = "mappings/aws-network-firewall.yaml";

#[test]
fn shipped_sample_transforms_cleanly_with_stats_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let out = dir.path().join("events.jsonl");
    let o = ocsfmap(
        &[
            "transform",
            "--mapping",
            NFW,
            "mappings/tests/aws-network-firewall/netflow.input.jsonl",
            "--output",
            out.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "events go to --output");
    let events = lines(&std::fs::read(&out).unwrap());
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["class_uid"] == 4001
        && e["time"].is_i64()
        && e["dst_endpoint"]["port"].is_i64()));
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        stats,
        json!({"input": 3, "output": 3, "dropped": 0, "rejected": 0, "unrouted": 0})
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("3 records: 3 output, 0 dropped, 0 rejected, 0 unrouted"),
        "{stderr}"
    );
}

#[test]
fn bad_records_are_set_aside_with_position_and_reason_and_the_run_goes_on() {
    let good = r#"{"event":{"event_type":"netflow","timestamp":"2023-11-14T22:13:20Z","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","src_port":1,"dest_port":2}}"#;
    let mut input = Vec::new();
    input.extend_from_slice(good.as_bytes());
    input.extend_from_slice(b"\n{\"event\": {\"event_type\": \"netflow\"\n"); // cut short
    input.extend_from_slice(b"{\"event\":{\"event_type\":\"netflow\",\"src_ip\":\"\xff\"}}\n"); // invalid UTF-8
    input.extend_from_slice(format!("{}{}\n", "[".repeat(80), "]".repeat(80)).as_bytes()); // too deep
    input.extend_from_slice(b"{\"event\":{\"event_type\":\"stats\"}}\n"); // no route
    input.extend_from_slice(b"{\"event\":{\"event_type\":\"netflow\",\"timestamp\":\"soon\"}}\n"); // bad time
    input.extend_from_slice(good.as_bytes());
    input.push(b'\n');

    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let stats = dir.path().join("stats.json");
    let o = ocsfmap(
        &[
            "transform",
            "-m",
            NFW,
            "--rejects",
            rejects.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ],
        Some(&input),
    );
    assert_eq!(o.status.code(), Some(1), "some records were set aside");
    assert_eq!(lines(&o.stdout).len(), 2);
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        stats,
        json!({"input": 7, "output": 2, "dropped": 0, "rejected": 4, "unrouted": 1})
    );

    let set_aside = lines(&std::fs::read(&rejects).unwrap());
    let summary: Vec<(i64, &str, &str)> = set_aside
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["kind"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary[0].0, 2);
    assert!(
        summary[0]
            .2
            .starts_with("malformed JSON: the value is not complete where line 3 starts a record"),
        "{summary:?}"
    );
    assert_eq!(
        (summary[1].0, summary[1].2),
        (3, "invalid UTF-8 at byte offset 43 of the record")
    );
    assert_eq!(
        (summary[2].0, summary[2].2),
        (4, "nested deeper than 64 levels")
    );
    assert_eq!(
        (summary[3].0, summary[3].1, summary[3].2),
        (5, "unrouted", "no route for matched_field value \"stats\"")
    );
    assert_eq!(
        (summary[4].0, summary[4].2),
        (6, "time: cannot convert \"soon\" to timestamp_t")
    );
    assert!(
        set_aside
            .iter()
            .all(|r| r["input"] == "-" && r["raw"].is_string())
    );
    assert_eq!(set_aside[3]["raw"], r#"{"event":{"event_type":"stats"}}"#);
}

#[test]
fn gzip_inputs_arrays_and_several_files_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        std::fs::read(repo().join("mappings/tests/aws-network-firewall/alert.input.jsonl"))
            .unwrap();
    let gz = dir.path().join("alert.jsonl.gz");
    write_gzip(&gz, &sample);
    let array = dir.path().join("array.json");
    let records: Vec<Value> = lines(&sample);
    std::fs::write(&array, serde_json::to_vec_pretty(&records).unwrap()).unwrap();

    let o = ocsfmap(
        &[
            "transform",
            "-m",
            NFW,
            gz.to_str().unwrap(),
            array.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let events = lines(&o.stdout);
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0], events[2],
        "the gzip file and the JSON array hold the same records"
    );
    assert_eq!(
        o.stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        4,
        "one line per event, even from pretty input"
    );
}

/// Writes `bytes` gzip-compressed: the CLI must detect it by its magic bytes, not its name.
fn write_gzip(path: &Path, bytes: &[u8]) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

#[test]
fn output_is_identical_and_in_input_order_on_any_number_of_threads() {
    let template = std::fs::read_to_string(
        repo().join("mappings/tests/aws-network-firewall/netflow.input.jsonl"),
    )
    .unwrap();
    let first: Value = serde_json::from_str(template.lines().next().unwrap()).unwrap();
    let mut input = String::new();
    for i in 0..30_000u32 {
        let mut r = first.clone();
        r["event"]["src_port"] = json!(i % 65_536);
        r["event"]["flow_id"] = json!(i);
        if i % 997 == 0 {
            r["event"]["event_type"] = json!("stats"); // unrouted, interleaved
        }
        input.push_str(&r.to_string());
        input.push('\n');
    }
    let one = ocsfmap(
        &["transform", "-m", NFW, "--threads", "1"],
        Some(input.as_bytes()),
    );
    let two = ocsfmap(
        &["transform", "-m", NFW, "--threads", "2"],
        Some(input.as_bytes()),
    );
    assert_eq!(one.status.code(), Some(1));
    assert!(
        one.stdout == two.stdout,
        "thread count must not change the output"
    );
    let uids: Vec<String> = lines(&two.stdout)
        .iter()
        .map(|e| e["connection_info"]["uid"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..30_000u32)
        .filter(|i| i % 997 != 0)
        .map(|i| i.to_string())
        .collect();
    assert_eq!(uids, expected);
}

#[test]
fn a_broken_mapping_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "custom_source_events:\n  source_name: x\n  ocsf_mapping: {}\n  matched_feld: $.a\n",
    )
    .unwrap();
    let o = ocsfmap(&["transform", "-m", bad.to_str().unwrap()], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad.yaml:4:3: custom_source_events: unknown field `matched_feld`"),
        "{stderr}"
    );

    std::fs::write(&bad, "custom_source_events:\n  source_name: x\n  ocsf_mapping:\n    a: {schema: netwrk_activity}\n").unwrap();
    let o = ocsfmap(&["transform", "-m", bad.to_str().unwrap()], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("error[OM001] /custom_source_events/ocsf_mapping/a/schema: OCSF 1.1.0 has no class `netwrk_activity` (help: did you mean `network_activity`?)"), "{stderr}");

    let o = ocsfmap(&["transform", "-m", NFW, "--threads", "0"], Some(b""));
    assert_eq!(o.status.code(), Some(2));
    let o = ocsfmap(&["transform"], None);
    assert_eq!(o.status.code(), Some(2), "usage error");
}

#[test]
fn published_mappings_run_with_their_preprocessing_as_options() {
    let o = ocsfmap(
        &[
            "transform",
            "-m",
            "tests/fixtures/reference/windows_sysmon.json",
            "--key-value-field",
            "$.Description",
            "--on-type-error",
            "unmapped",
            "tests/fixtures/reference/sysmon_kinesis_sample_as_documented.json",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let e = &lines(&o.stdout)[0];
    assert_eq!(
        (e["process"]["pid"].clone(), e["time"].clone()),
        (json!(1128), json!(1_696_377_022_438_i64))
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning[OM004]") && stderr.contains("file.type_uid"),
        "{stderr}"
    );
}

#[test]
fn validate_rejects_events_that_break_their_class_with_the_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let args = [
        "transform",
        "-m",
        "tests/fixtures/reference/aws_nfw.json",
        "tests/fixtures/reference/nfw_netflow_sample.jsonl",
        "--rejects",
        rejects.to_str().unwrap(),
    ];
    let plain = ocsfmap(&args, None);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "without --validate the typed event is output"
    );
    let mut with = args.to_vec();
    with.push("--validate");
    let checked = ocsfmap(&with, None);
    assert_eq!(checked.status.code(), Some(1));
    assert!(checked.stdout.is_empty());
    let reason = lines(&std::fs::read(&rejects).unwrap())[0]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    // The published mapping leaves out connection_info.direction_id, which OCSF requires.
    assert_eq!(
        reason,
        "not valid OCSF: required attribute `connection_info.direction_id` is missing"
    );
}

#[test]
fn a_truncated_gzip_input_keeps_what_was_read_and_counts_the_break() {
    let dir = tempfile::tempdir().unwrap();
    let template = std::fs::read_to_string(
        repo().join("mappings/tests/aws-network-firewall/netflow.input.jsonl"),
    )
    .unwrap();
    let line = template.lines().next().unwrap();
    let gz = dir.path().join("cut.jsonl.gz");
    write_gzip(&gz, format!("{line}\n").repeat(20_000).as_bytes());
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let rejects = dir.path().join("rejects.jsonl");
    let stats = dir.path().join("stats.json");
    let o = ocsfmap(
        &[
            "transform",
            "-m",
            NFW,
            gz.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    let output = stats["output"].as_u64().unwrap();
    assert!(
        output > 1000 && output < 20_000,
        "records before the break are output: {stats}"
    );
    assert_eq!(stats["rejected"], 1);
    assert_eq!(stats["input"].as_u64().unwrap(), output + 1);
    assert_eq!(lines(&o.stdout).len() as u64, output);
    let set_aside = lines(&std::fs::read(&rejects).unwrap());
    let reason = set_aside[0]["reason"].as_str().unwrap();
    // The last record, cut short by the break, is set aside saying so.
    assert!(
        reason.starts_with("cut short: the input could not be read past this point: "),
        "{reason}"
    );
}

const VPC: &str = "mappings/amazon-vpc-flow-logs.yaml";

#[test]
fn vpc_flow_log_text_maps_line_by_line_and_bad_lines_are_set_aside() {
    let text = "\
version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 51000 6 10 840 1700000000 1700000060 ACCEPT OK

2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789010 eni-1 - - - - - - - 1700000000 1700000060 - NODATA
2 123456789010 eni-1 10.0.0.3 10.0.0.2 53 53000 17 one 84 1700000000 1700000060 REJECT OK
version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-2 10.0.0.9 10.0.0.2 22 50000 6 3 180 1700000100 1700000160 REJECT OK
";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("flows.log.gz");
    write_gzip(&input, text.as_bytes());
    let rejects = dir.path().join("rejects.jsonl");
    let stats = dir.path().join("stats.json");
    let o = ocsfmap(
        &[
            "transform",
            "-m",
            VPC,
            input.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "some lines were set aside");
    let events = lines(&o.stdout);
    let flows: Vec<(&str, i64, &str)> = events
        .iter()
        .map(|e| {
            (
                e["src_endpoint"]["ip"].as_str().unwrap(),
                e["traffic"]["bytes"].as_i64().unwrap(),
                e["disposition"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flows,
        [("10.0.0.1", 840, "Allowed"), ("10.0.0.9", 180, "Blocked")]
    );
    assert_eq!(events[0]["time"], 1_700_000_000_000_i64);
    assert_eq!(events[0]["src_endpoint"]["port"], 443);
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        stats,
        json!({"input": 5, "output": 2, "dropped": 1, "rejected": 2, "unrouted": 0})
    );
    let set_aside = lines(&std::fs::read(&rejects).unwrap());
    let summary: Vec<(i64, &str)> = set_aside
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (4, "the line has 13 fields where the header names 14"),
            (6, "traffic.packets: cannot convert \"one\" to long_t"),
        ]
    );
    assert_eq!(
        set_aside[0]["raw"],
        "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 6 10 840 1700000000 1700000060 ACCEPT OK"
    );
}

#[test]
fn a_delimited_header_that_names_a_field_twice_sets_that_input_aside() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.log");
    std::fs::write(&bad, "version srcaddr srcaddr\n2 10.0.0.1 10.0.0.2\n").unwrap();
    let good = repo().join("mappings/tests/amazon-vpc-flow-logs/default-format.input.log");
    let rejects = dir.path().join("rejects.jsonl");
    let o = ocsfmap(
        &[
            "transform",
            "-m",
            VPC,
            bad.to_str().unwrap(),
            good.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o.stdout).len(), 3, "the next input still maps");
    let set_aside = lines(&std::fs::read(&rejects).unwrap());
    // Every line of the input is accounted for, with the reason.
    assert_eq!(set_aside.len(), 2);
    for (i, r) in set_aside.iter().enumerate() {
        assert_eq!(r["reason"], "the header names `srcaddr` twice");
        assert_eq!(r["line"], i + 1);
    }
}
