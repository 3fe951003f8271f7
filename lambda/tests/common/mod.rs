//! Shared by the handler tests: sources over the shipped mappings, an in-memory store,
//! captured log lines, and Parquet read back.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ocsfmap_lambda::{Handler, MemoryObjects, Sources};
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Value, json};

pub const LAKE: &str = "lake";
pub const RAW: &str = "raw";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(repo().join(rel)).unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Events a golden case expects.
pub fn expected(case: &str) -> usize {
    let v: Value =
        serde_json::from_slice(&sample(&format!("mappings/tests/{case}.expected.json"))).unwrap();
    v.as_array().unwrap().len()
}

/// A sources config over the shipped mappings, written into `dir`.
pub fn sources(dir: &Path, extra: &str) -> Sources {
    let text = format!(
        "security_lake: {{bucket: {LAKE}, region: us-east-1, account_id: '123456789012'}}
mapping_dir: {mappings}
sources:
  - name: aws-nfw
    mapping_file: aws-network-firewall.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: 'nfw/*'}}]}}}}
  - name: cloudtrail
    mapping_file: aws-cloudtrail.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: AWSLogs/}}]}}}}
  - name: vpc
    mapping_file: amazon-vpc-flow-logs.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: vpc/}}]}}}}
  - name: sysmon
    mapping_file: windows-sysmon.yaml
    input_paths: {{kinesis: {{metadata_field: source, streams: [sysmon-stream]}}}}
{extra}",
        mappings = repo().join("mappings").display()
    );
    let path = dir.join("sources.yaml");
    std::fs::write(&path, text).unwrap();
    Sources::load(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

pub struct Setup {
    pub objects: Arc<MemoryObjects>,
    pub handler: Handler,
    pub logs: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sources = Arc::new(sources(dir.path(), ""));
    let objects = Arc::new(MemoryObjects::new());
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&logs);
    let handler = Handler::new(
        sources,
        objects.clone(),
        Box::new(move |line: &str| sink.lock().unwrap().push(line.to_owned())),
    );
    Setup {
        objects,
        handler,
        logs,
        _dir: dir,
    }
}

impl Setup {
    pub fn log_lines(&self) -> Vec<Value> {
        self.logs
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// An S3 notification record as S3 writes it: the key form-encoded.
pub fn s3_record(encoded_key: &str, etag: &str, size: u64) -> Value {
    json!({
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": RAW, "arn": "arn:aws:s3:::raw"},
               "object": {"key": encoded_key, "size": size, "eTag": etag}}
    })
}

/// The quoted ETag the in-memory store gives an object of the raw bucket, as a
/// notification of it carries.
pub fn etag_of(objects: &MemoryObjects, key: &str) -> String {
    format!(
        "\"{}\"",
        MemoryObjects::etag(&objects.body(RAW, key).unwrap())
    )
}

/// An SQS message whose body is an S3 notification with these records.
pub fn message(id: &str, records: Vec<Value>) -> Value {
    json!({
        "messageId": id,
        "receiptHandle": "rh",
        "body": json!({"Records": Value::Array(records)}).to_string(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:raw-logs",
        "awsRegion": "us-east-1"
    })
}

pub fn sqs_event(messages: Vec<Value>) -> Value {
    json!({ "Records": Value::Array(messages) })
}

/// Rows of a Parquet object.
pub fn parquet_rows(body: &[u8]) -> i64 {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(body).unwrap();
    let reader = SerializedFileReader::new(f).unwrap();
    reader.metadata().file_metadata().num_rows()
}

/// Rows of every Parquet object of the lake whose name starts with `prefix`.
pub fn rows_with_prefix(objects: &MemoryObjects, prefix: &str) -> i64 {
    objects
        .keys(LAKE, "ext/")
        .iter()
        .filter(|k| k.rsplit('/').next().unwrap().starts_with(prefix))
        .map(|k| parquet_rows(&objects.body(LAKE, k).unwrap()))
        .sum()
}

/// The set-aside JSON lines under a prefix of the lake's set-aside folder.
pub fn set_aside(objects: &MemoryObjects, prefix: &str) -> Vec<Value> {
    objects
        .keys(LAKE, &format!("ocsfmap-set-aside/{prefix}"))
        .iter()
        .flat_map(|k| {
            String::from_utf8(objects.body(LAKE, k).unwrap())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}
