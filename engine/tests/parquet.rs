//! Parquet output of the shipped mappings, read back with the parquet crate: the same
//! events as the JSON output, OCSF types in the columns, one class per file, Security
//! Lake's layout, rows sorted by time, and byte-identical files from a second run.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatchReader;
use arrow::datatypes::DataType;
use arrow::json::LineDelimitedWriter;
use ocsfmap_engine::output::parquet::{ParquetOptions, ParquetOutput, ParquetRows};
use ocsfmap_engine::run::{self, Input, Outputs, RunOptions};
use ocsfmap_engine::vectors;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Transforms every sample input of a shipped mapping into Parquet under `out`.
fn write_parquet(source: &str, out: &Path) -> Vec<PathBuf> {
    write_parquet_files(source, out, 1000, ParquetOptions::DEFAULT_MAX_BUFFER_BYTES)
}

fn write_parquet_files(
    source: &str,
    out: &Path,
    max_rows_per_file: usize,
    max_buffer_bytes: usize,
) -> Vec<PathBuf> {
    let plan = vectors::compile_mapping(&repo().join(format!("mappings/{source}.yaml"))).unwrap();
    let options = ParquetOptions {
        max_rows_per_file,
        max_buffer_bytes,
        row_group_rows: 2,
        ..ParquetOptions::new(out, "us-east-1", "123456789012", "samples")
    };
    let mut parquet = ParquetOutput::new(&plan, options).unwrap();
    let inputs: Vec<Input> = vectors::discover(&repo().join("mappings"))
        .unwrap()
        .into_iter()
        .filter(|c| c.name.starts_with(&format!("{source}/")))
        .map(|c| Input {
            name: c.name.clone(),
            reader: Box::new(File::open(&c.input).unwrap()),
        })
        .collect();
    let new_rows = parquet.new_rows();
    let mut push = |batch: &mut ParquetRows| parquet.append(batch);
    let stats = run::run(
        &plan,
        inputs,
        RunOptions::default(),
        &mut Outputs {
            new_buffer: &new_rows,
            events: &mut push,
            set_aside: &mut |s| panic!("{s:?}"),
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    assert_eq!(stats.input, stats.output + stats.dropped, "{stats:?}");
    parquet.finish().unwrap()
}

/// Reads a file back as JSON events (nulls left out, `unmapped` values parsed back).
fn read_back(path: &Path) -> (arrow::datatypes::SchemaRef, Vec<Value>) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    let mut json = Vec::new();
    {
        let mut writer = LineDelimitedWriter::new(&mut json);
        for batch in reader {
            writer.write(&batch.unwrap()).unwrap();
        }
        writer.finish().unwrap();
    }
    let events = json
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut e: Value = serde_json::from_slice(l).unwrap();
            if let Some(Value::Object(map)) = e.get_mut("unmapped") {
                for v in map.values_mut() {
                    if let Value::String(s) = v
                        && let Ok(parsed) = serde_json::from_str::<Value>(s)
                        && !parsed.is_string()
                    {
                        *v = parsed;
                    }
                }
            }
            e
        })
        .collect();
    (schema, events)
}

/// The JSON events of the shipped samples (their reviewed expected files), by class.
fn expected_by_class(source: &str) -> BTreeMap<i64, Vec<Value>> {
    let mut by_class: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for case in vectors::discover(&repo().join("mappings")).unwrap() {
        if case.name.starts_with(&format!("{source}/")) {
            for e in vectors::expected(&case).unwrap().unwrap() {
                by_class
                    .entry(e["class_uid"].as_i64().unwrap())
                    .or_default()
                    .push(e);
            }
        }
    }
    by_class
}

/// Values the JSON output holds as numbers-in-strings or similar stay as they are in
/// both; a map's values come back as strings: compare `unmapped` values as text.
fn normalise(mut e: Value) -> Value {
    if let Some(Value::Object(map)) = e.get_mut("unmapped") {
        for v in map.values_mut() {
            if !v.is_object() && !v.is_array() && !v.is_string() {
                *v = Value::String(v.to_string());
            }
        }
    }
    e
}

fn sort_by_time(events: &mut [Value]) {
    events.sort_by_key(|e| e["time"].as_i64());
}

#[test]
fn parquet_holds_the_same_events_as_json_with_ocsf_types() {
    for source in ["aws-network-firewall", "windows-sysmon"] {
        let dir = tempfile::tempdir().unwrap();
        let files = write_parquet(source, dir.path());
        let expected = expected_by_class(source);
        assert_eq!(
            files.len(),
            expected.len(),
            "{source}: one file per class here"
        );
        for file in &files {
            let rel = file
                .strip_prefix(dir.path())
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let (schema, events) = read_back(file);
            let uid = events[0]["class_uid"].as_i64().unwrap();
            assert!(
                events.iter().all(|e| e["class_uid"] == uid),
                "{rel}: one class per file"
            );
            let times: Vec<i64> = events.iter().map(|e| e["time"].as_i64().unwrap()).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{rel}: rows sorted by time"
            );

            // Layout: ext/<source>[-<class>]/region=/accountId=/eventDay=/<prefix>-<part>.parquet
            let parts: Vec<&str> = rel.split('/').collect();
            assert_eq!(parts[0], "ext");
            assert!(parts[1].starts_with(source), "{rel}");
            assert_eq!(&parts[2..4], ["region=us-east-1", "accountId=123456789012"]);
            assert!(
                parts[4].starts_with("eventDay=20") && parts[4].len() == 17,
                "{rel}"
            );
            assert!(
                parts[5].starts_with("samples-") && parts[5].ends_with(".parquet"),
                "{rel}"
            );

            // Types come from OCSF, not from the data: no null-typed column anywhere.
            let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
            assert_eq!(ty("time"), DataType::Int64);
            assert_eq!(ty("class_uid"), DataType::Int32);
            assert_eq!(ty("type_uid"), DataType::Int64);
            assert!(matches!(ty("unmapped"), DataType::Map(..)), "{rel}");
            assert!(!format!("{schema:?}").contains("Null"), "{rel}: {schema:?}");
            if let Ok(f) = schema.field_with_name("dst_endpoint")
                && let DataType::Struct(fields) = f.data_type()
                && let Some(port) = fields.iter().find(|f| f.name() == "port")
            {
                assert_eq!(port.data_type(), &DataType::Int32, "{rel}: ports are int32");
            }

            let mut want: Vec<Value> = expected[&uid].iter().cloned().map(normalise).collect();
            let mut got: Vec<Value> = events.into_iter().map(normalise).collect();
            sort_by_time(&mut want);
            sort_by_time(&mut got);
            assert_eq!(got, want, "{rel}");
        }
    }
}

#[test]
fn files_hold_at_most_max_rows_and_together_every_event() {
    for source in [
        "aws-network-firewall",
        "amazon-vpc-flow-logs",
        "windows-sysmon",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let files = write_parquet_files(source, dir.path(), 2, 1 << 20);
        let mut got: Vec<Value> = Vec::new();
        for file in &files {
            let (_, events) = read_back(file);
            assert!(
                (1..=2).contains(&events.len()),
                "{}: {} rows",
                file.display(),
                events.len()
            );
            got.extend(events.into_iter().map(normalise));
        }
        let mut want: Vec<Value> = expected_by_class(source)
            .into_values()
            .flatten()
            .map(normalise)
            .collect();
        let key = |e: &Value| (e["time"].as_i64(), e.to_string());
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want, "{source}");
    }
}

#[test]
fn a_full_buffer_writes_its_file_whatever_the_row_count() {
    let dir = tempfile::tempdir().unwrap();
    // One byte of budget: every batch (here, every sample file) is written at once.
    let files = write_parquet_files("windows-sysmon", dir.path(), 1000, 1);
    let mut got = 0;
    for file in &files {
        got += read_back(file).1.len();
    }
    assert_eq!(files.len(), 6, "one file per sample input: {files:?}");
    assert_eq!(got, 7, "every event is written once");
}

#[test]
fn two_runs_write_byte_identical_files() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = write_parquet("windows-sysmon", a.path());
    let second = write_parquet("windows-sysmon", b.path());
    assert_eq!(first.len(), second.len());
    for (x, y) in first.iter().zip(&second) {
        assert_eq!(
            x.strip_prefix(a.path()).unwrap(),
            y.strip_prefix(b.path()).unwrap()
        );
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
}

#[test]
fn naming_and_partition_values_are_checked() {
    let plan = vectors::compile_mapping(&repo().join("mappings/windows-sysmon.yaml")).unwrap();
    let base = ParquetOptions::new("out", "us-east-1", "123456789012", "x");
    let bad_account = ParquetOptions {
        account_id: "12345".into(),
        ..base.clone()
    };
    let err = ParquetOutput::new(&plan, bad_account)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(err, "account id `12345` is not valid: 12 digits");
    let bad_region = ParquetOptions {
        region: "Mars".into(),
        ..base.clone()
    };
    assert!(ParquetOutput::new(&plan, bad_region).is_err());
    assert!(
        ocsfmap_engine::output::parquet::check_source_name("windows-sysmon-process_activity")
            .is_ok()
    );
    assert!(ocsfmap_engine::output::parquet::check_source_name("has space").is_err());
    assert!(ocsfmap_engine::output::parquet::check_source_name(&"x".repeat(65)).is_err());
}
