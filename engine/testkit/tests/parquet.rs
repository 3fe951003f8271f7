//! Parquet output of the shipped mappings, read back with the parquet crate: the same
//! events as the JSON output, OCSF types in the columns, one class per file, Security
//! Lake's layout, rows sorted by time, and byte-identical files from a second run.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatchReader;
use arrow::datatypes::DataType;
use arrow::json::LineDelimitedWriter;
use ocsfmap_core::mapping::lake::check_source_name;
use ocsfmap_core::run::{self, Input, Outputs, RunOptions};
use ocsfmap_output::parquet::{ParquetOptions, ParquetOutput, ParquetRows};
use ocsfmap_testkit::{self as vectors, Json};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Transforms every sample input of a shipped mapping into Parquet under `out`.
fn write_parquet(source: &str, out: &Path) -> Vec<PathBuf> {
    write_parquet_files(source, out, 1000, ParquetOptions::DEFAULT_MAX_BUFFER_BYTES)
}

/// The golden cases of a shipped mapping.
fn cases(source: &str) -> Vec<vectors::Case> {
    vectors::discover(&repo().join("mappings"))
        .unwrap()
        .into_iter()
        .filter(|c| c.name.starts_with(&format!("{source}/")))
        .collect()
}

fn write_parquet_files(
    source: &str,
    out: &Path,
    max_rows_per_file: usize,
    max_buffer_bytes: usize,
) -> Vec<PathBuf> {
    write_parquet_watched(
        source,
        out,
        max_rows_per_file,
        max_buffer_bytes,
        &mut |_| {},
    )
}

/// [`write_parquet_files`], calling `watch` after each batch is appended.
fn write_parquet_watched(
    source: &str,
    out: &Path,
    max_rows_per_file: usize,
    max_buffer_bytes: usize,
    watch: &mut dyn FnMut(&ParquetOutput),
) -> Vec<PathBuf> {
    let plan = vectors::compile_mapping(&repo().join(format!("mappings/{source}.yaml"))).unwrap();
    let options = ParquetOptions {
        max_rows_per_file,
        max_buffer_bytes,
        row_group_rows: 2,
        ..ParquetOptions::new(out, "us-east-1", "123456789012", "samples")
    };
    let mut parquet = ParquetOutput::new(&plan, options).unwrap();
    let cases = cases(source);
    let inputs: Vec<Input> = cases
        .iter()
        .map(|c| Input {
            name: c.name.clone(),
            reader: Box::new(File::open(&c.input).unwrap()),
        })
        .collect();
    let new_rows = parquet.new_rows();
    let mut push = |batch: &mut ParquetRows| {
        parquet.append(batch)?;
        watch(&parquet);
        Ok(())
    };
    let mut set_aside = Vec::new();
    let stats = run::run(
        &plan,
        inputs,
        RunOptions {
            validate: true,
            ..RunOptions::default()
        },
        &mut Outputs {
            new_buffer: &new_rows,
            events: &mut push,
            set_aside: &mut |s| {
                set_aside.push(vectors::reject_json(s));
                Ok(())
            },
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    // Exactly the records the cases declare are set aside, as with JSON output.
    let declared: Vec<Json> = cases
        .iter()
        .flat_map(|c| vectors::expected_rejects(c).unwrap().unwrap_or_default())
        .collect();
    assert_eq!(set_aside, declared, "{source}");
    assert_eq!(
        stats.input,
        stats.output + stats.dropped + set_aside.len() as u64,
        "{stats:?}"
    );
    parquet.finish().unwrap()
}

/// The day (since 1970-01-01) an event is filed under: its `eventDay` partition.
fn day(e: &Value) -> i64 {
    e["time"].as_i64().unwrap().div_euclid(86_400_000)
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

/// The JSON events of the shipped samples (their reviewed expected files), by class
/// and day: what one Parquet file holds when files are not split by size.
fn expected_by_partition(source: &str) -> BTreeMap<(i64, i64), Vec<Value>> {
    let mut by_partition: BTreeMap<(i64, i64), Vec<Value>> = BTreeMap::new();
    for case in cases(source) {
        for e in vectors::expected(&case).unwrap().unwrap() {
            by_partition
                .entry((e["class_uid"].as_i64().unwrap(), day(&e)))
                .or_default()
                .push(e);
        }
    }
    by_partition
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
        let expected = expected_by_partition(source);
        assert_eq!(
            files.len(),
            expected.len(),
            "{source}: one file per class and day"
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
            assert!(
                events.iter().all(|e| day(e) == day(&events[0])),
                "{rel}: one day per file"
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

            let mut want: Vec<Value> = expected[&(uid, day(&events[0]))]
                .iter()
                .cloned()
                .map(normalise)
                .collect();
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
        let mut want: Vec<Value> = expected_by_partition(source)
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
    // Each sample input is one batch: it writes one file per class and day it holds.
    let (mut want_files, mut want_rows) = (0, 0);
    for case in cases("windows-sysmon") {
        let events = vectors::expected(&case).unwrap().unwrap();
        want_rows += events.len();
        want_files += events
            .iter()
            .map(|e| (e["class_uid"].as_i64(), day(e)))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    }
    assert_eq!(
        files.len(),
        want_files,
        "one file per batch, class and day: {files:?}"
    );
    assert_eq!(got, want_rows, "every event is written once");
}

#[test]
fn the_classes_share_one_buffer_budget() {
    // Sysmon writes several classes. Unbounded, they end up holding `all` bytes
    // together; with half of that as the budget, they must never hold more than it
    // after a batch, though no class alone may ever reach it.
    let dir = tempfile::tempdir().unwrap();
    let mut all = 0;
    write_parquet_watched(
        "windows-sysmon",
        dir.path(),
        100_000,
        usize::MAX,
        &mut |p| {
            all = all.max(p.buffered_bytes());
        },
    );
    let budget = all / 2;
    let dir = tempfile::tempdir().unwrap();
    let (mut most, mut classes_at_once) = (0, 0);
    let files = write_parquet_watched("windows-sysmon", dir.path(), 100_000, budget, &mut |p| {
        most = most.max(p.buffered_bytes());
        classes_at_once = classes_at_once.max(p.buffered_classes());
    });
    assert!(
        most < budget,
        "after each batch the classes hold {most} bytes together, over the budget {budget}"
    );
    assert!(
        classes_at_once > 1,
        "the samples keep several classes buffered at once"
    );
    let rows: usize = files.iter().map(|f| read_back(f).1.len()).sum();
    let want: usize = cases("windows-sysmon")
        .iter()
        .map(|c| vectors::expected(c).unwrap().unwrap().len())
        .sum();
    assert_eq!(rows, want, "every event is written once");
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
    // The one rule for source names, shared with `ocsfmap validate`.
    assert!(check_source_name("windows-sysmon-process_activity").is_ok());
    assert!(check_source_name("has space").is_err());
    assert!(check_source_name(&"x".repeat(65)).is_err());
}

/// Runs `records` (JSON lines) through a one-class mapping whose `time` is read as epoch
/// milliseconds, into Parquet under `out`; returns the files and what was set aside.
fn run_times(records: &str, out: &Path) -> (Vec<PathBuf>, Vec<run::SetAside>) {
    let yaml = "custom_source_events:
  source_name: times
  ocsf_mapping:
    all:
      schema: base_event
      schema_mapping:
        activity_id: 99
        severity_id: 1
        time: {timestamp: {field: $.t, format: epoch_ms}}
        message: $.m
";
    let file = ocsfmap_core::mapping::parse_str(
        yaml,
        ocsfmap_core::mapping::Syntax::Yaml,
        Path::new("times.yaml"),
    )
    .unwrap();
    let plan = ocsfmap_core::compile(&file).unwrap();
    let options = ParquetOptions::new(out, "us-east-1", "123456789012", "t");
    let mut parquet = ParquetOutput::new(&plan, options).unwrap();
    let new_rows = parquet.new_rows();
    let mut set_aside = Vec::new();
    let mut push = |batch: &mut ParquetRows| parquet.append(batch);
    run::run(
        &plan,
        vec![Input {
            name: "times.jsonl".into(),
            reader: Box::new(std::io::Cursor::new(records.to_owned())),
        }],
        RunOptions::default(),
        &mut Outputs {
            new_buffer: &new_rows,
            events: &mut push,
            set_aside: &mut |s| {
                set_aside.push(s.clone());
                Ok(())
            },
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    (parquet.finish().unwrap(), set_aside)
}

#[test]
fn times_outside_years_0000_to_9999_are_rejected_never_filed_under_another_day() {
    let dir = tempfile::tempdir().unwrap();
    // 10000-01-01, the first millisecond past 9999; -0001-12-31; far past chrono's
    // range; 0000-01-01 and 9999-12-31T23:59:59.999 (the edges that fit); a plain day.
    let records = [
        r#"{"t": 253402300800000, "m": "year 10000"}"#,
        r#"{"t": -62167219200001, "m": "year -1"}"#,
        r#"{"t": 9000000000000000000, "m": "beyond"}"#,
        r#"{"t": -62167219200000, "m": "first day"}"#,
        r#"{"t": 253402300799999, "m": "last day"}"#,
        r#"{"t": 1700000000000, "m": "ordinary"}"#,
    ]
    .join("\n");
    let (files, set_aside) = run_times(&records, dir.path());
    let reasons: Vec<(u64, &str)> = set_aside
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                1,
                "`time` is 253402300800000 (+10000-01-01T00:00:00.000Z): outside the years 0000 to 9999 that an eventDay=YYYYMMDD partition can hold"
            ),
            (
                2,
                "`time` is -62167219200001 (-0001-12-31T23:59:59.999Z): outside the years 0000 to 9999 that an eventDay=YYYYMMDD partition can hold"
            ),
            (
                3,
                "`time` is 9000000000000000000: outside the years 0000 to 9999 that an eventDay=YYYYMMDD partition can hold"
            ),
        ]
    );
    let days: Vec<String> = files
        .iter()
        .map(|f| {
            f.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        days,
        [
            "eventDay=00000101",
            "eventDay=20231114",
            "eventDay=99991231"
        ]
    );
    let kept: usize = files.iter().map(|f| read_back(f).1.len()).sum();
    assert_eq!(kept, 3);
}

#[test]
fn an_output_folder_that_is_a_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let plan = vectors::compile_mapping(&repo().join("mappings/windows-sysmon.yaml")).unwrap();
    for out in [file.clone(), file.join("below")] {
        let options = ParquetOptions::new(&out, "us-east-1", "123456789012", "x");
        let err = ParquetOutput::new(&plan, options)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with(&format!("{}: ", file.display())) && err.contains("not a folder"),
            "{err}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_folder_that_cannot_be_made_is_named_in_the_error() {
    // /proc refuses new folders, even to root.
    let out = Path::new("/proc/ocsfmap-no-such-folder");
    let plan = vectors::compile_mapping(&repo().join("mappings/windows-sysmon.yaml")).unwrap();
    let options = ParquetOptions::new(out, "us-east-1", "123456789012", "x");
    let mut parquet = ParquetOutput::new(&plan, options).unwrap();
    let new_rows = parquet.new_rows();
    let mut push = |batch: &mut ParquetRows| parquet.append(batch);
    let record = std::fs::read_to_string(
        repo().join("mappings/tests/windows-sysmon/process-create.input.jsonl"),
    )
    .unwrap();
    run::run(
        &plan,
        vec![Input {
            name: "in".into(),
            reader: Box::new(std::io::Cursor::new(record)),
        }],
        RunOptions::default(),
        &mut Outputs {
            new_buffer: &new_rows,
            events: &mut push,
            set_aside: &mut |_| Ok(()),
            progress: &mut |_, _| {},
        },
    )
    .unwrap();
    let err = parquet.finish().unwrap_err().to_string();
    assert!(
        err.starts_with("cannot create the folder /proc/ocsfmap-no-such-folder: "),
        "{err}"
    );
}
