"""Runs the benchmark table of bench/run: events/s, MB/s of input, the ratio to the
floor (serde_json parse-to-Value and serialise, single thread) and peak RSS, the
median of several runs of each case, all measured in the same run on the same files.
Standard library only."""

import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
DATA = os.path.join(ROOT, "bench", "data")
# (generator kind, mapping, file extension)
SOURCES = [
    ("nfw", "aws-network-firewall", "jsonl"),
    ("cloudtrail", "aws-cloudtrail", "jsonl"),
    ("sysmon", "windows-sysmon", "jsonl"),
    ("vpcflow", "amazon-vpc-flow-logs", "log"),
]
PARQUET = ["--format", "parquet", "--region", "us-east-1", "--account-id", "123456789012", "--file-prefix", "bench"]


def run(cmd):
    """Wall seconds and peak RSS (MiB) of one process; fails loudly on a non-zero exit."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read().decode()
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def median_run(cmd, runs):
    results = [run(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def generate(kind, path, flags):
    if not os.path.exists(path):
        subprocess.run([os.path.join(BIN, "gen"), kind, path, *flags], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory", action="store_true", help="also the 2 GB JSON lines and 500 MB gzip CloudTrail runs")
    args = parser.parse_args()
    os.makedirs(DATA, exist_ok=True)
    cores = os.cpu_count() or 1
    ocsfmap = os.path.join(BIN, "ocsfmap")

    rows = []
    for kind, mapping, ext in SOURCES:
        path = os.path.join(DATA, f"{kind}-{args.records}.{ext}")
        generate(kind, path, ["--records", str(args.records)])
        size_mb = os.path.getsize(path) / 1e6
        m = os.path.join(ROOT, "mappings", f"{mapping}.yaml")
        with tempfile.TemporaryDirectory() as out:
            cases = [
                ("floor (serde_json Value round trip)", [os.path.join(BIN, "floor"), path, *(["--text"] if ext == "log" else [])]),
                ("transform, 1 thread", [ocsfmap, "transform", "-m", m, path, "--threads", "1"]),
                (f"transform, {cores} threads", [ocsfmap, "transform", "-m", m, path, "--threads", str(cores)]),
                ("transform --format parquet, 1 thread", [ocsfmap, "transform", "-m", m, path, "--threads", "1", *PARQUET, "--output-dir", out]),
            ]
            floor = None
            for name, cmd in cases:
                secs, rss = median_run(cmd, args.runs)
                eps = args.records / secs
                floor = floor or eps
                rows.append((mapping, name, eps, size_mb / secs, eps / floor, rss))

    print(f"\n{args.records} records per source, median of {args.runs} runs, {cores} cores\n")
    print(f"| {'mapping':22} | {'case':38} | {'events/s':>9} | {'MB/s':>6} | {'vs floor':>8} | {'peak RSS':>8} |")
    print(f"|{'-' * 24}|{'-' * 40}|{'-' * 11}|{'-' * 8}|{'-' * 10}|{'-' * 10}|")
    for mapping, name, eps, mbs, ratio, rss in rows:
        print(f"| {mapping:22} | {name:38} | {eps:>9,.0f} | {mbs:>6.1f} | {ratio:>7.2f}x | {rss:>5.0f} MB |")

    cold = [float(subprocess.run([os.path.join(BIN, "coldstart"), os.path.join(ROOT, "mappings")], capture_output=True, text=True, check=True).stdout) for _ in range(args.runs)]
    print(f"\ncold start, load and compile every shipped mapping (OCSF schema parse included): {statistics.median(cold):.1f} ms")

    if args.memory:
        big = os.path.join(DATA, "nfw-2GB.jsonl")
        generate("nfw", big, ["--bytes", str(2_000_000_000)])
        secs, rss = run([ocsfmap, "transform", "-m", os.path.join(ROOT, "mappings", "aws-network-firewall.yaml"), big])
        print(f"2 GB JSON lines (firewall), all cores: {secs:.1f} s, peak RSS {rss:.0f} MB")
        gz = os.path.join(DATA, "cloudtrail-500MB.json.gz")
        generate("cloudtrail", gz, ["--bytes", str(5_000_000_000), "--wrap", "--gzip"])
        secs, rss = run([ocsfmap, "transform", "-m", os.path.join(ROOT, "mappings", "aws-cloudtrail.yaml"), gz])
        print(f"{os.path.getsize(gz) / 1e6:.0f} MB gzip CloudTrail object ({{\"Records\": [...]}}), all cores: {secs:.1f} s, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
