"""Reads ocsfmap's Parquet output with pyarrow and DuckDB, independently of the Rust
code that wrote it, and checks what Athena, Glue and DuckDB users rely on.

Usage: parquet_check.py OUT_DIR   (OUT_DIR holds the output of shipped mappings run over
all their sample inputs: the firewall, Sysmon and VPC flow log mappings at least)

What the files must hold is derived from the samples' reviewed expected files
(mappings/tests/<source>/<case>.expected.json): one file per source, class and day, one
row per expected event. A new sample changes the expectation with it; a lost row fails.
"""

import datetime
import json
import pathlib
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

out = pathlib.Path(sys.argv[1])
repo = pathlib.Path(__file__).resolve().parent.parent
files = sorted(out.rglob("*.parquet"))
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def event_day(ms):
    return (datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)).strftime("%Y%m%d")


# The sources present under OUT_DIR: ext/<source> or ext/<source>-<class name>.
written = {p.name for p in (out / "ext").iterdir() if p.is_dir()}
expected = {}
for mapping in sorted((repo / "mappings").glob("*.yaml")):
    source = mapping.stem
    if any(w == source or w.startswith(source + "-") for w in written):
        expected[source] = [
            e
            for case in sorted((repo / "mappings/tests" / source).glob("*.expected.json"))
            for e in json.loads(case.read_text())
        ]
for source in ("aws-network-firewall", "windows-sysmon", "amazon-vpc-flow-logs"):
    check(source in expected, f"no output of {source} under {out}")
want_files = len({(s, e["class_uid"], event_day(e["time"])) for s, events in expected.items() for e in events})
want_rows = sum(len(events) for events in expected.values())
check(
    len(files) == want_files,
    f"expected {want_files} files (one per source, class and day of the samples), found {len(files)}",
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

check(rows == want_rows, f"expected {want_rows} rows (one per expected event of the samples), found {rows}")


def unmapped_text(value):
    """A value as the `unmapped` map holds it: text as is, anything else as JSON."""
    return None if value is None else value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def by_time(events):
    return sorted(events, key=lambda e: e["time"])


con = duckdb.connect()
nfw = str(out / "ext/aws-network-firewall/**/*.parquet")
result = con.execute(
    f"SELECT src_endpoint.ip, dst_endpoint.port, typeof(dst_endpoint.port) FROM read_parquet('{nfw}', hive_partitioning = false) "
    "WHERE activity_id = 6 ORDER BY time"
).fetchall()
nfw_events = expected["aws-network-firewall"]
traffic = by_time(e for e in nfw_events if e.get("activity_id") == 6)
check(
    # Rows of the same time may come in either order.
    sorted(result) == sorted((e["src_endpoint"]["ip"], e["dst_endpoint"]["port"], "INTEGER") for e in traffic),
    f"firewall Traffic rows: {result}",
)
check(len(result) > 0, "the firewall samples hold Traffic rows")
partitions = con.execute(
    f"SELECT DISTINCT eventDay, accountId FROM read_parquet('{nfw}', hive_partitioning = true)"
).fetchall()
want_partitions = {(event_day(e["time"]), "123456789012") for e in nfw_events}
check({(str(d), str(a)) for d, a in partitions} == want_partitions, f"partitions: {partitions}")
sysmon = str(out / "ext/windows-sysmon-process_activity/**/*.parquet")
pids = con.execute(f"SELECT process.pid, actor.process.file.name FROM read_parquet('{sysmon}') ORDER BY time").fetchall()
processes = by_time(e for e in expected["windows-sysmon"] if e["class_uid"] == 1007)
check(
    sorted(pids) == sorted((e["process"]["pid"], e["actor"]["process"]["file"]["name"]) for e in processes)
    and len(pids) > 0,
    f"sysmon process rows: {pids}",
)
unmapped = con.execute(
    f"SELECT unmapped['firewall_name'] FROM read_parquet('{nfw}') WHERE activity_id = 5"
).fetchall()
refused = [e for e in nfw_events if e.get("activity_id") == 5]
check(
    sorted(unmapped) == sorted((unmapped_text(e["unmapped"].get("firewall_name")),) for e in refused) and len(refused) > 0,
    f"unmapped map lookup: {unmapped}",
)
vpc = str(out / "ext/amazon-vpc-flow-logs/**/*.parquet")
flows = con.execute(
    f"SELECT eventDay, src_endpoint.port, traffic.bytes, action, unmapped['pkt-dst-aws-service'] "
    f"FROM read_parquet('{vpc}', hive_partitioning = true) WHERE connection_info.direction_id = 1 ORDER BY time, traffic.bytes"
).fetchall()
inbound = sorted(
    (e for e in expected["amazon-vpc-flow-logs"] if e.get("connection_info", {}).get("direction_id") == 1),
    key=lambda e: (e["time"], e["traffic"]["bytes"]),
)
check(
    [(str(d), p, b, a, s) for d, p, b, a, s in flows]
    == [
        (
            event_day(e["time"]),
            e["src_endpoint"]["port"],
            e["traffic"]["bytes"],
            e["action"],
            unmapped_text(e.get("unmapped", {}).get("pkt-dst-aws-service")),
        )
        for e in inbound
    ]
    and len(flows) > 0,
    f"VPC inbound flows: {flows}",
)

if failures:
    print("parquet_check: FAILED", *failures, sep="\n  ")
    sys.exit(1)
print(f"parquet_check: {len(files)} files, {rows} rows read by pyarrow and DuckDB")
