//! The mapping files published with Amazon's Security Lake transformation library load
//! unchanged, and their samples come out typed as OCSF declares.

use std::path::{Path, PathBuf};

use ocsfmap_core::mapping::{MappingFile, OnTypeError};
use ocsfmap_core::run::{SetAside, Stats};
use ocsfmap_core::{Plan, compile};
use ocsfmap_testkit as vectors;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/reference")
        .join(name)
}

fn load(name: &str) -> MappingFile {
    ocsfmap_testkit::load_mapping(&fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn transform(plan: &Plan, sample: &str) -> (Vec<Value>, Vec<SetAside>, Stats) {
    let actual = vectors::run_file(plan, &fixture(sample), false).unwrap();
    (actual.events, actual.set_aside, actual.stats)
}

#[test]
fn the_three_reference_mappings_load_and_compile_unchanged() {
    for name in ["aws_nfw.json", "aws_alb.json", "windows_sysmon.json"] {
        let plan = compile(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(plan.routes().count() >= 2, "{name}");
    }
}

#[test]
fn network_firewall_sample_is_typed() {
    let plan = compile(&load("aws_nfw.json")).unwrap();
    for sample in ["nfw_netflow_sample.jsonl", "nfw_netflow_sample.json"] {
        let (events, aside, stats) = transform(&plan, sample);
        assert_eq!(
            (stats.input, stats.output, aside.len()),
            (1, 1, 0),
            "{sample}"
        );
        let e = &events[0];
        assert_eq!(e["src_endpoint"]["port"], 47047);
        assert_eq!(e["dst_endpoint"]["port"], 16463);
        assert_eq!(
            e["time"], 1_601_587_565_007_i64,
            "2020-10-01T21:26:05.007515+0000 in epoch ms"
        );
        assert_eq!(e["start_time"], 1_601_587_504_070_i64);
        assert_eq!(e["traffic"], serde_json::json!({"bytes": 60, "packets": 1}));
        assert_eq!(e["connection_info"]["tcp_flags"], 2);
        assert_eq!(e["connection_info"]["uid"], "1770453319291727");
        assert_eq!(e["type_name"], "Network Activity: Traffic");
        assert_eq!(e["unmapped"]["tcp"], serde_json::json!({"syn": true}));
    }
}

#[test]
fn sysmon_sample_is_typed_once_its_description_is_parsed() {
    let mut file = load("windows_sysmon.json");
    // The published pipeline parses `Description` in a preprocessor; here it is an option.
    file.custom_source_events
        .input
        .key_value_fields
        .push("$.Description".into());

    // As published, `actor.process` gets a string where OCSF wants an object: strict
    // coercion rejects the event and says why.
    let (_, aside, stats) = transform(
        &compile(&file).unwrap(),
        "sysmon_kinesis_sample_as_documented.json",
    );
    assert_eq!((stats.input, stats.rejected), (1, 1));
    assert!(
        aside[0]
            .reason
            .starts_with("actor.process: cannot convert \"C:\\\\Windows"),
        "{}",
        aside[0].reason
    );

    // Moving such values to `unmapped` keeps the event, typed.
    file.custom_source_events.on_type_error = OnTypeError::Unmapped;
    let (events, aside, stats) = transform(
        &compile(&file).unwrap(),
        "sysmon_kinesis_sample_as_documented.json",
    );
    assert_eq!((stats.output, aside.len()), (1, 0), "{aside:?}");
    let e = &events[0];
    assert_eq!(e["process"]["pid"], 1128);
    assert_eq!(
        e["time"], 1_696_377_022_438_i64,
        "2023-10-03 23:50:22.438 in epoch ms"
    );
    assert_eq!(e["activity_name"], "Launch");
    assert_eq!(
        e["unmapped"]["actor.process"],
        "C:\\Windows\\System32\\svchost.exe"
    );
    assert_eq!(e["unmapped"]["process.user"], "NT AUTHORITY\\LOCAL SERVICE");
}

#[test]
fn alb_sample_is_typed() {
    let mut file = load("aws_alb.json");
    // `duration` (integer ms in OCSF) is given seconds as a decimal string by this mapping.
    file.custom_source_events.on_type_error = OnTypeError::Unmapped;
    let (events, aside, _) = transform(&compile(&file).unwrap(), "alb_https_sample.json");
    assert!(aside.is_empty(), "{aside:?}");
    let e = &events[0];
    assert_eq!(e["time"], 1_530_570_180_186_i64);
    assert_eq!(e["src_endpoint"]["port"], 2817);
    assert_eq!(e["http_response"]["code"], 200);
    assert_eq!(e["traffic"]["bytes_out"], 57);
    assert_eq!(e["type_uid"], 400_203, "derived from activity_id GET = 3");
    assert_eq!(e["unmapped"]["duration"], "0.086");
}
