//! Transform throughput per shipped mapping, single thread, JSON lines out, with the
//! `unmapped` catch-all on (as shipped), next to the floor: serde_json parse to `Value`
//! and serialise back, on the same records.
//!
//! `cargo bench -p ocsfmap-output --bench transform`

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocsfmap_core::{Outcome, compile, mapping};
use ocsfmap_output::JsonLines;
use ocsfmap_output::parquet::{ParquetOptions, ParquetOutput};

/// The shipped sample records of a mapping, repeated to about 2000 records.
fn records(source: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../mappings/tests")
        .join(source);
    let mut samples = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".input.jsonl")))
    {
        let text = std::fs::read_to_string(f).unwrap();
        samples.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    samples.iter().cycle().take(2000).cloned().collect()
}

/// A shipped mapping compiled, its sample records, and their size in bytes.
fn load(source: &str) -> (ocsfmap_core::Plan, Vec<String>, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../mappings/{source}.yaml"));
    let plan = compile(&read_mapping(&path)).unwrap();
    let records = records(source);
    let bytes = records.iter().map(String::len).sum();
    (plan, records, bytes)
}

fn transform(c: &mut Criterion) {
    for source in ["aws-network-firewall", "windows-sysmon"] {
        let (plan, records, bytes) = load(source);
        let mut group = c.benchmark_group(source);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("floor: serde_json Value round trip", |b| {
            let mut out = Vec::with_capacity(bytes * 2);
            b.iter(|| {
                out.clear();
                for r in &records {
                    let v: serde_json::Value = serde_json::from_str(r).unwrap();
                    serde_json::to_writer(&mut out, &v).unwrap();
                    out.push(b'\n');
                }
                black_box(out.len())
            });
        });
        group.bench_function("ocsfmap transform", |b| {
            let mut sink = JsonLines::new();
            b.iter(|| {
                sink.buf.clear();
                for r in &records {
                    let outcome = plan.eval(r, &mut sink);
                    debug_assert!(matches!(outcome, Outcome::Output { .. }));
                }
                black_box(sink.buf.len())
            });
        });
        group.finish();
    }
}

/// Parquet output: evaluation into typed trees, column building, sorting and writing
/// zstd files, per shipped mapping (files go to a temporary folder).
fn parquet(c: &mut Criterion) {
    for source in ["aws-network-firewall", "windows-sysmon"] {
        let (plan, records, bytes) = load(source);
        let dir = tempfile::tempdir().unwrap();
        let mut group = c.benchmark_group(source);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("ocsfmap transform --format parquet", |b| {
            b.iter(|| {
                let options = ParquetOptions::new(dir.path(), "us-east-1", "123456789012", "bench");
                let mut out = ParquetOutput::new(&plan, options).unwrap();
                let mut rows = out.new_rows()();
                for r in &records {
                    plan.eval(r, &mut rows);
                }
                out.append(&rows).unwrap();
                black_box(out.finish().unwrap().len())
            });
        });
        group.finish();
    }
}

fn compile_time(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings");
    let files: Vec<_> = ["aws-network-firewall.yaml", "windows-sysmon.yaml"]
        .iter()
        .map(|f| read_mapping(&dir.join(f)))
        .collect();
    c.bench_function("compile shipped mappings", |b| {
        b.iter(|| {
            for f in &files {
                black_box(compile(f).unwrap());
            }
        });
    });
}

criterion_group!(benches, transform, parquet, compile_time);
criterion_main!(benches);

fn read_mapping(path: &Path) -> mapping::MappingFile {
    let text = std::fs::read_to_string(path).unwrap();
    mapping::parse_str(&text, mapping::Syntax::from_path(path), path).unwrap()
}
