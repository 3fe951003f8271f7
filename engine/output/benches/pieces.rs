//! The engine's pieces, one benchmark each, so a regression shows where it happens:
//! path lookup (direct vs JSONPath), enum tables, coercion, the unmapped catch-all,
//! timestamp parsing, and Parquet batch building.
//!
//! `cargo bench -p ocsfmap-output --bench pieces`

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use ocsfmap_core::mapping::{Syntax, parse_str};
use ocsfmap_core::plan::time::TimeFormat;
use ocsfmap_core::{Plan, compile};
use ocsfmap_output::JsonLines;
use ocsfmap_output::parquet::{ParquetOptions, ParquetOutput};

fn plan(body: &str, extra: &str) -> Plan {
    let yaml = format!(
        "custom_source_events:\n  source_name: bench\n{extra}  ocsf_mapping:\n    all:\n      schema: network_activity\n      schema_mapping:\n{}",
        body.lines()
            .flat_map(|l| ["        ", l, "\n"])
            .collect::<String>()
    );
    compile(&parse_str(&yaml, Syntax::Yaml, Path::new("bench.yaml")).unwrap()).unwrap()
}

const RECORD: &str = r#"{"firewall_name":"fw","availability_zone":"us-east-1a","event_timestamp":"1700000000","event":{"timestamp":"2023-11-14T22:13:20.104558+0000","flow_id":1125698446316540,"event_type":"netflow","src_ip":"10.0.1.15","src_port":52344,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","netflow":{"pkts":14,"bytes":5218,"start":"2023-11-14T22:12:18.882311+0000","end":"2023-11-14T22:12:19.920114+0000","age":1,"min_ttl":63,"max_ttl":63},"tcp":{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true}}}"#;

fn eval_bench(c: &mut Criterion, name: &str, plan: &Plan) {
    let mut sink = JsonLines::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            sink.buf.clear();
            black_box(plan.eval(black_box(RECORD), &mut sink));
        });
    });
}

fn paths(c: &mut Criterion) {
    let body = "src_endpoint: {ip: $.event.src_ip, port: $.event.src_port}\ndst_endpoint: {ip: $.event.dest_ip, port: $.event.dest_port}\nconnection_info: {uid: $.event.flow_id}\n";
    eval_bench(c, "paths/direct lookups", &plan(body, ""));
    let queries = body.replace("$.event.", "$..");
    eval_bench(c, "paths/JSONPath queries", &plan(&queries, ""));
}

fn enums(c: &mut Criterion) {
    let values: String = (0..100).fold(String::new(), |mut s, i| {
        let _ = write!(s, "p{i}: {}, ", i % 7);
        s
    });
    let body = format!(
        "activity_id: {{enum: {{evaluate: $.event.app_proto, values: {{{values}tls: 6}}, other: 99}}}}\n"
    );
    eval_bench(c, "enum table of 100 values", &plan(&body, ""));
}

fn coercion(c: &mut Criterion) {
    let body = "src_endpoint: {port: $.event.src_port, ip: $.event.src_ip}\nconnection_info: {uid: $.event.flow_id}\ntraffic: {bytes: $.event.netflow.bytes, packets: $.event.netflow.pkts}\nstart_time: $.event.netflow.start\nend_time: $.event.netflow.end\n";
    eval_bench(c, "coercion of 7 values", &plan(body, ""));
}

fn catch_all(c: &mut Criterion) {
    let body = "src_endpoint: {ip: $.event.src_ip}\n";
    eval_bench(c, "unmapped/catch-all off", &plan(body, ""));
    eval_bench(
        c,
        "unmapped/catch-all on",
        &plan(body, "  unmapped_rest: true\n"),
    );
}

fn timestamps(c: &mut Criterion) {
    let pattern = TimeFormat::parse("%Y-%m-%d %H:%M:%S.%f").unwrap();
    c.bench_function("time/ISO 8601 with offset", |b| {
        b.iter(|| TimeFormat::Auto.str_to_millis(black_box("2023-11-14T22:13:20.104558+0000")));
    });
    c.bench_function("time/strftime pattern", |b| {
        b.iter(|| pattern.str_to_millis(black_box("2023-10-03 23:50:22.438")));
    });
    c.bench_function("time/epoch string", |b| {
        b.iter(|| TimeFormat::Auto.str_to_millis(black_box("1700000000")));
    });
}

fn parquet_batches(c: &mut Criterion) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings/aws-network-firewall.yaml");
    let plan = compile(
        &ocsfmap_core::mapping::parse_str(
            &std::fs::read_to_string(&path).unwrap(),
            ocsfmap_core::mapping::Syntax::from_path(&path),
            &path,
        )
        .unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    c.bench_function("parquet/evaluate, build and write 10k rows", |b| {
        b.iter(|| {
            let options = ParquetOptions::new(dir.path(), "us-east-1", "123456789012", "bench");
            let mut out = ParquetOutput::new(&plan, options).unwrap();
            let mut rows = out.new_rows()();
            for _ in 0..10_000 {
                plan.eval(RECORD, &mut rows);
            }
            out.append(&rows).unwrap();
            black_box(out.finish().unwrap().len())
        });
    });
}

criterion_group!(
    benches,
    paths,
    enums,
    coercion,
    catch_all,
    timestamps,
    parquet_batches
);
criterion_main!(benches);
