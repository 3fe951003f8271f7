"""Reads ocsfmap's Parquet output with pyarrow and DuckDB, independently of the Rust
code that wrote it, and checks what Athena, Glue and DuckDB users rely on.

Usage: parquet_check.py OUT_DIR   (OUT_DIR holds the shipped samples of the firewall,
Sysmon and VPC flow log mappings)
"""

import pathlib
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
files = sorted(out.rglob("*.parquet"))
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


check(
    len(files) == 8,
    f"expected 8 files (firewall: 1 class, Sysmon: 4 classes, VPC flow logs: 3 days), found {len(files)}",
)
rows = 0
for f in files:
    rel = f.relative_to(out).as_posix()
    parts = rel.split("/")
    check(parts[0] == "ext" and parts[2] == "region=us-east-1" and parts[3] == "accountId=123456789012", rel)
    check(parts[4].startswith("eventDay=") and len(parts[4]) == len("eventDay=20231003"), rel)
    table = pq.read_table(f, partitioning=None)
    rows += table.num_rows
    schema = table.schema
    check(schema.field("time").type == pa.int64(), f"{rel}: time is {schema.field('time').type}")
    check(schema.field("class_uid").type == pa.int32(), f"{rel}: class_uid is {schema.field('class_uid').type}")
    check(pa.types.is_map(schema.field("unmapped").type), f"{rel}: unmapped is {schema.field('unmapped').type}")
    check(len(set(table.column("class_uid").to_pylist())) == 1, f"{rel}: one class per file")
    times = table.column("time").to_pylist()
    check(times == sorted(times), f"{rel}: sorted by time")

    def no_null_types(t, path):
        if pa.types.is_null(t):
            failures.append(f"{rel}: {path} is a null-typed column")
        elif pa.types.is_struct(t):
            for i in range(t.num_fields):
                no_null_types(t.field(i).type, f"{path}.{t.field(i).name}")
        elif pa.types.is_list(t):
            no_null_types(t.value_type, f"{path}[]")

    for field in schema:
        no_null_types(field.type, field.name)

check(rows == 23, f"expected 23 rows (6 firewall, 7 Sysmon and 10 VPC flow records), found {rows}")

con = duckdb.connect()
nfw = str(out / "ext/aws-network-firewall/**/*.parquet")
result = con.execute(
    f"SELECT src_endpoint.ip, dst_endpoint.port, typeof(dst_endpoint.port) FROM read_parquet('{nfw}', hive_partitioning = false) "
    "WHERE activity_id = 6 ORDER BY time"
).fetchall()
check(len(result) == 5, f"firewall Traffic rows: {result}")
check(result[0] == ("10.0.1.15", 443, "INTEGER"), f"first firewall row: {result[0]}")
partitions = con.execute(
    f"SELECT DISTINCT eventDay, accountId FROM read_parquet('{nfw}', hive_partitioning = true)"
).fetchall()
check(partitions == [("20231114", "123456789012")] or partitions == [(20231114, 123456789012)], f"partitions: {partitions}")
sysmon = str(out / "ext/windows-sysmon-process_activity/**/*.parquet")
pids = con.execute(f"SELECT process.pid, actor.process.file.name FROM read_parquet('{sysmon}') ORDER BY time").fetchall()
check(pids == [(1128, "explorer.exe"), (1128, "powershell.exe")], f"sysmon process rows: {pids}")
unmapped = con.execute(
    f"SELECT unmapped['firewall_name'] FROM read_parquet('{nfw}') WHERE activity_id = 5"
).fetchall()
check(unmapped == [("fw-prod-egress",)], f"unmapped map lookup: {unmapped}")
vpc = str(out / "ext/amazon-vpc-flow-logs/**/*.parquet")
flows = con.execute(
    f"SELECT eventDay, src_endpoint.port, traffic.bytes, action, unmapped['pkt-dst-aws-service'] "
    f"FROM read_parquet('{vpc}', hive_partitioning = true) WHERE connection_info.direction_id = 1 ORDER BY time, traffic.bytes"
).fetchall()
check(
    [(str(d), p, b, a, s) for d, p, b, a, s in flows]
    == [("20190826", 34892, 54, "Denied", None), ("20190826", 43416, 568, "Allowed", None), ("20190826", 39812, 5616, "Allowed", "S3")],
    f"VPC inbound flows: {flows}",
)

if failures:
    print("parquet_check: FAILED", *failures, sep="\n  ")
    sys.exit(1)
print(f"parquet_check: {len(files)} files, {rows} rows read by pyarrow and DuckDB")
