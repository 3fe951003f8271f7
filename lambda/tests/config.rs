//! The sources config: the reference library's file loads unchanged, its preprocessor
//! names map to built-in options or fail the cold start by name, and every problem is
//! named by its key.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use common::*;
use ocsfmap_lambda::{Handler, MemoryObjects, Sources, SourcesFile};
use serde_json::{Value, json};

const REFERENCE_BUCKET: &str = "ocsf-transform-infrastructure-s3-staging-log-bucket";

/// The reference `sources_config.json`, byte for byte, beside a `mappings/` folder
/// holding the reference mapping files (the reference library's layout).
fn reference_layout() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sources_config.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources_config.json"),
        &config,
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("mappings")).unwrap();
    for f in ["aws_alb.json", "aws_nfw.json", "windows_sysmon.json"] {
        std::fs::copy(
            repo().join("tests/fixtures/reference").join(f),
            dir.path().join("mappings").join(f),
        )
        .unwrap();
    }
    (dir, config)
}

#[test]
fn the_reference_config_loads_unchanged_and_names_the_preprocessor_it_lacks() {
    let (_dir, path) = reference_layout();
    let file = SourcesFile::load(&path).unwrap();
    let names: Vec<&str> = file.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["windows-sysmon", "aws-alb", "aws-nfw"]);

    // The ALB preprocessor (a regex reader) has no built-in yet: the cold start fails,
    // naming it, its source and its key. Nothing else is wrong with the file.
    let err = Sources::load(&path, Some("lake"))
        .err()
        .unwrap()
        .to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "{}: sources[1].preprocessor_module: source `aws-alb`: preprocessor `alb_preprocessor` has no built-in equivalent",
            path.display()
        )),
        "{err}"
    );
    // Without a lake bucket (neither in the file nor from the environment) that is
    // named too: every problem in one run.
    let err = Sources::load(&path, None).err().unwrap().to_string();
    assert!(
        err.contains("security_lake.bucket: no Security Lake bucket"),
        "{err}"
    );
    assert!(err.contains("alb_preprocessor"), "{err}");
}

#[test]
fn the_reference_sources_without_alb_compile_and_run() {
    let (_dir, path) = reference_layout();
    let mut file = SourcesFile::load(&path).unwrap();
    file.sources.retain(|s| s.name != "aws-alb");
    // The reference Sysmon mapping maps an image path to `actor.process`, an object:
    // kept in `unmapped` rather than rejecting the event (as `--on-type-error unmapped`).
    file.sources[0].on_type_error = Some(ocsfmap_core::mapping::OnTypeError::Unmapped);
    let sources = Arc::new(Sources::compile(&file, &path, Some(LAKE)).unwrap());
    // `windows-sysmon` has no mapping_file: found as mappings/windows_sysmon.json.
    assert!(
        sources.sources[0]
            .mapping_path
            .ends_with("mappings/windows_sysmon.json")
    );
    // `"aws-nfw/*"` takes everything under the folder.
    let nfw = sources.for_object(REFERENCE_BUCKET, "aws-nfw/2024/01/02/fw.log.gz");
    assert_eq!(nfw.map(|s| s.name.as_str()), Some("aws-nfw"));
    assert!(
        sources
            .for_object(REFERENCE_BUCKET, "alb-logs/x.log")
            .is_none()
    );
    assert!(sources.for_object("another-bucket", "aws-nfw/x").is_none());

    let objects = Arc::new(MemoryObjects::new());
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let handler = Handler::new(
        sources,
        objects.clone(),
        Box::new(move |l: &str| sink.lock().unwrap().push(l.to_owned())),
    );
    // The Sysmon sample as the reference documents it, with the `source` field the
    // reference's metadata_field names: its `Description` is parsed as `Key: Value`
    // lines (the sysmon_preprocessor), so `time` and the pid are read from it.
    let mut event: Value = serde_json::from_slice(&sample(
        "tests/fixtures/reference/sysmon_kinesis_sample_as_documented.json",
    ))
    .unwrap();
    event["source"] = json!("windows-sysmon");
    let data = base64::engine::general_purpose::STANDARD.encode(event.to_string());
    let kinesis = json!({"Records": [{
        "eventSource": "aws:kinesis", "eventID": "shardId-000000000001:1",
        "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/windows",
        "kinesis": {"sequenceNumber": "1", "data": data}}]});
    assert!(handler.handle(&kinesis).unwrap().failed_ids().is_empty());
    let lines: Vec<Value> = logs
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let done = lines.iter().find(|l| l["message"] == "input done").unwrap();
    assert_eq!(done["source"], "windows-sysmon");
    assert_eq!(done["input"], 1);
    let keys = objects.keys(LAKE, "ext/");
    assert_eq!(keys.len(), 1, "{keys:?} {lines:?}");
    assert!(
        keys[0].starts_with("ext/windows-sysmon-process_activity/region=eu-west-1/accountId=123456789012/eventDay=20231003/"),
        "{keys:?}"
    );
}

#[test]
fn problems_are_named_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.yaml");
    std::fs::write(
        &path,
        format!(
            "security_lake: {{bucket: lake, region: US-EAST-1, account_id: '12'}}
set_aside: raw/aside
mapping_dir: {}
sources:
  - name: a
    mapping_file: nowhere.yaml
  - name: has space
    mapping_file: aws-network-firewall.yaml
  - name: c
",
            repo().join("mappings").display()
        ),
    )
    .unwrap();
    let err = Sources::load(&path, None).err().unwrap().to_string();
    let keys: Vec<&str> = err.lines().map(|l| l.split(": ").nth(1).unwrap()).collect();
    assert_eq!(
        keys,
        [
            "security_lake.region",
            "security_lake.account_id",
            "set_aside",
            "sources[0].mapping_file",
            "sources[1].name",
            "sources[2].mapping_file"
        ],
        "{err}"
    );
    assert!(err.contains("nowhere.yaml not found"), "{err}");
    assert!(
        err.contains("source `c` has no mapping_file and none of"),
        "{err}"
    );
}

#[test]
fn a_mapping_with_errors_fails_the_cold_start_with_its_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "custom_source_events:\n  source_name: bad\n  ocsf_mapping:\n    a: {schema: netwrk_activity}\n",
    )
    .unwrap();
    let path = dir.path().join("sources.json");
    std::fs::write(
        &path,
        r#"{"security_lake": {"bucket": "lake"}, "mapping_dir": ".", "sources": [{"name": "bad"}]}"#,
    )
    .unwrap();
    let err = Sources::load(&path, None).err().unwrap().to_string();
    assert!(err.contains("sources[0].mapping_file: "), "{err}");
    assert!(err.contains("netwrk_activity"), "{err}");
}

#[test]
fn lookup_tables_are_read_beside_their_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("maps");
    std::fs::create_dir_all(maps.join("lookups")).unwrap();
    std::fs::write(maps.join("lookups/p.csv"), "number,name\n6,tcp\n").unwrap();
    let mapping = |file: &str| {
        format!(
            "custom_source_events:\n  source_name: m\n  lookups: {{p: {{file: {file}}}}}\n  ocsf_mapping:\n    a:\n      schema: network_activity\n      schema_mapping: {{connection_info: {{protocol_name: {{lookup: $.p, table: p}}}}}}\n"
        )
    };
    std::fs::write(maps.join("good.yaml"), mapping("lookups/p.csv")).unwrap();
    std::fs::write(maps.join("bad.yaml"), mapping("lookups/missing.csv")).unwrap();
    let config = |name: &str| {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &path,
            format!(
                r#"{{"security_lake": {{"bucket": "lake"}}, "mapping_dir": "maps", "sources": [{{"name": "{name}", "mapping_file": "{name}.yaml"}}]}}"#
            ),
        )
        .unwrap();
        path
    };
    // Relative to the mapping's folder, not to the config's or the working directory.
    assert!(Sources::load(&config("good"), None).is_ok());
    let err = Sources::load(&config("bad"), None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("OM032"), "{err}");
    assert!(err.contains("cannot read `lookups/missing.csv`"), "{err}");
}
