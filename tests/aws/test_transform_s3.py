"""`ocsfmap transform` with s3:// inputs and a Parquet output folder in S3, against moto.

Each test compares what the S3 run wrote with the same transform of local files, or
checks what a user would see: the objects, their rows read back with pyarrow, the exit
code and the message naming the URL.
"""

import gzip
import io
import json
import os
import random
import subprocess
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from harness import REPO, LoopbackServer

MAPPING = REPO / "mappings/aws-network-firewall.yaml"
SAMPLES = REPO / "mappings/tests/aws-network-firewall"
LAKE = ["--format", "parquet", "--region", "us-east-1", "--account-id", "123456789012"]


def transform(moto, bin_dir, *args, env=None):
    return subprocess.run(
        [str(bin_dir / "ocsfmap"), "transform", "-m", str(MAPPING), *args],
        env=moto.env(**(env or {})),
        capture_output=True,
        timeout=300,
    )


def objects(s3, bucket, prefix=""):
    """Every key under the prefix with its body."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


def local_files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def table(body):
    return pq.read_table(io.BytesIO(body))


def upload_samples(s3):
    """The firewall samples under raw/nfw/, one gzip-compressed, with an empty object,
    a folder marker and an object outside the prefix. Returns the local copies of the
    objects that must be read, in key order."""
    s3.create_bucket(Bucket="raw")
    names = sorted(p.name for p in SAMPLES.glob("*.input.jsonl"))
    tmp = Path(tempfile.mkdtemp())
    files = []
    for name in names:
        body = (SAMPLES / name).read_bytes()
        key = f"nfw/2023/11/{name}"
        if name.startswith("netflow"):
            body, key = gzip.compress(body), key + ".gz"
        s3.put_object(Bucket="raw", Key=key, Body=body)
        local = tmp / key.rsplit("/", 1)[1]
        local.write_bytes(body)
        files.append((key, local))
    s3.put_object(Bucket="raw", Key="nfw/2023/11/empty.jsonl", Body=b"")
    s3.put_object(Bucket="raw", Key="nfw/2023/11/sub/", Body=b"")
    s3.put_object(Bucket="raw", Key="nfw/other.jsonl", Body=b"not json\n")
    files.sort()
    return [local for _, local in files]


def test_prefix_to_parquet_in_s3_matches_local_run(moto, bin_dir):
    s3 = moto.client("s3")
    local_inputs = upload_samples(s3)
    s3.create_bucket(Bucket="lake")

    r = transform(moto, bin_dir, *LAKE, "--file-prefix", "same",
                  "--output-dir", "s3://lake/custom", "s3://raw/nfw/2023/11/")
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "skipped s3://raw/nfw/2023/11/empty.jsonl: empty object" in err, err
    assert "skipped s3://raw/nfw/2023/11/sub/: a folder marker" in err, err
    assert "Parquet file(s) under s3://lake/custom" in err, err

    with tempfile.TemporaryDirectory() as out:
        local = transform(moto, bin_dir, *LAKE, "--file-prefix", "same", "--output-dir", out,
                          *map(str, local_inputs))
        assert local.returncode == 0, local.stderr.decode()
        expected = local_files(out)
    written = objects(s3, "lake")
    assert sorted(written) == sorted("custom/" + k for k in expected), (sorted(written), sorted(expected))
    rows = 0
    for key, body in expected.items():
        got = table(written["custom/" + key])
        assert got.equals(table(body)), key
        rows += got.num_rows
    # Every sample event of the three objects (alert 2, netflow 3, tls 1); nothing of
    # the object outside the prefix.
    assert rows == 6, rows
    for key in written:
        parts = key.split("/")
        assert parts[:2] == ["custom", "ext"], key
        assert parts[3:6] == ["region=us-east-1", "accountId=123456789012", parts[5]], key
        assert parts[5].startswith("eventDay=2023111"), key
        assert parts[6].startswith("same-") and parts[6].endswith(".parquet"), key


def test_default_prefix_is_stable_for_the_same_objects_and_changes_with_them(moto, bin_dir):
    s3 = moto.client("s3")
    upload_samples(s3)
    s3.create_bucket(Bucket="lake")

    def run():
        r = transform(moto, bin_dir, *LAKE, "--output-dir", "s3://lake/", "s3://raw/nfw/2023/11/")
        assert r.returncode == 0, r.stderr.decode()
        return {k.rsplit("/", 1)[1].rsplit("-", 1)[0] for k in objects(s3, "lake")}

    first = run()
    # Named after the first object (in key order) and a digest of the objects.
    assert len(first) == 1 and next(iter(first)).startswith("alert-"), first
    assert run() == first, "a rerun over the same objects overwrites the same files"
    s3.put_object(Bucket="raw", Key="nfw/2023/11/tls.input.jsonl",
                  Body=(SAMPLES / "tls.input.jsonl").read_bytes() + b"\n")
    assert len(run() - first) == 1, "a rewritten object gives the run new file names"


def test_object_to_json_lines_equals_the_local_transform(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="raw")
    body = gzip.compress((SAMPLES / "netflow.input.jsonl").read_bytes())
    s3.put_object(Bucket="raw", Key="a/b+c d/netflow.jsonl.gz", Body=body)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "netflow.jsonl.gz"
        path.write_bytes(body)
        local = transform(moto, bin_dir, str(path))
    remote = transform(moto, bin_dir, "s3://raw/a/b+c d/netflow.jsonl.gz")
    assert remote.returncode == 0, remote.stderr.decode()
    assert local.returncode == 0, local.stderr.decode()
    assert remote.stdout == local.stdout and remote.stdout.count(b"\n") == 3, remote.stdout


def test_missing_object_or_bucket_is_named_with_exit_2_before_any_output(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="raw")
    s3.put_object(Bucket="raw", Key="ok.jsonl", Body=(SAMPLES / "alert.input.jsonl").read_bytes())
    cases = [
        (["s3://raw/ok.jsonl", "s3://raw/missing.jsonl"], "s3://raw/missing.jsonl", "NoSuchKey"),
        (["s3://raw/ok.jsonl", "s3://nobucket/x.jsonl"], "s3://nobucket/x.jsonl", "NoSuchBucket"),
        (["s3://nobucket/logs/"], "s3://nobucket/logs/", "NoSuchBucket"),
        (["s3://raw/nothing/"], "s3://raw/nothing/", "no objects"),
        ([*LAKE, "--output-dir", "s3://nolake/p", "s3://raw/ok.jsonl"], "s3://nolake/p", "not found"),
    ]
    for args, url, why in cases:
        r = transform(moto, bin_dir, *args)
        err = r.stderr.decode()
        assert r.returncode == 2, (args, err)
        assert url in err and why in err, (args, err)
        assert r.stdout == b"", (args, r.stdout)
    assert objects(s3, "raw").keys() == {"ok.jsonl"}


def test_an_object_that_breaks_is_an_incomplete_input_and_the_run_goes_on(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="raw")
    good = (SAMPLES / "alert.input.jsonl").read_bytes()
    s3.put_object(Bucket="raw", Key="p/1.jsonl", Body=good)
    s3.put_object(Bucket="raw", Key="p/2.jsonl.gz", Body=gzip.compress(good)[:-12])
    with tempfile.TemporaryDirectory() as tmp:
        rejects, stats = Path(tmp) / "rejects.jsonl", Path(tmp) / "stats.json"
        r = transform(moto, bin_dir, "--rejects", str(rejects), "--stats", str(stats), "s3://raw/p/")
        assert r.returncode == 1, r.stderr.decode()
        counts = json.loads(stats.read_text())
        set_aside = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert counts["incomplete_inputs"] == 1, counts
    assert counts["output"] >= 2, counts
    assert [s["input"] for s in set_aside] == ["s3://raw/p/2.jsonl.gz"], set_aside


def big_object(moto, records=3000, payload_bits=2000, seed=7):
    """Firewall records with random payloads, stored as s3://raw/big.jsonl (the bucket
    is made); returns the body."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="raw")
    rng = random.Random(seed)
    template = json.loads((SAMPLES / "netflow.input.jsonl").read_text().splitlines()[0])
    lines = []
    for i in range(records):
        template["event"]["flow_id"] = i
        template["payload"] = "%x" % rng.getrandbits(payload_bits)
        lines.append(json.dumps(template))
    body = ("\n".join(lines) + "\n").encode()
    s3.put_object(Bucket="raw", Key="big.jsonl", Body=body)
    return body


def test_a_file_larger_than_a_part_is_uploaded_in_parts_and_appears_whole(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="lake")
    # Random payloads in `unmapped` keep the file large without compression.
    lines = big_object(moto, records=5000, payload_bits=12000, seed=11).splitlines()

    r = transform(moto, bin_dir, *LAKE, "--compression", "none", "--output-dir", "s3://lake/big",
                  "s3://raw/big.jsonl", env={"OCSFMAP_S3_PART_MB": "5"})
    assert r.returncode == 0, r.stderr.decode()
    written = objects(s3, "lake")
    assert len(written) == 1, sorted(written)
    key, body = next(iter(written.items()))
    assert len(body) > 5 << 20, len(body)
    # A multipart object's ETag ends with the number of its parts.
    etag = s3.head_object(Bucket="lake", Key=key)["ETag"].strip('"')
    parts = -(-len(body) // (5 << 20))
    assert parts >= 2 and etag.endswith(f"-{parts}"), (etag, len(body))
    t = table(body)
    assert t.num_rows == 5000
    assert sorted(dict(u)["payload"] for u in t.column("unmapped").to_pylist()) == sorted(
        json.loads(line)["payload"] for line in lines
    )
    uploads = s3.list_multipart_uploads(Bucket="lake").get("Uploads", [])
    assert uploads == [], uploads


def test_bad_part_size_and_s3_paths_for_local_outputs_are_refused(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="raw")
    s3.put_object(Bucket="raw", Key="a.jsonl", Body=(SAMPLES / "alert.input.jsonl").read_bytes())
    r = transform(moto, bin_dir, "-o", "s3://raw/out.jsonl", "s3://raw/a.jsonl")
    assert r.returncode == 2 and "--output s3://raw/out.jsonl: this file must be local" in r.stderr.decode()
    r = transform(moto, bin_dir, *LAKE, "--output-dir", "s3://raw/o", "s3://raw/a.jsonl",
                  env={"OCSFMAP_S3_PART_MB": "1"})
    assert r.returncode == 2 and "OCSFMAP_S3_PART_MB" in r.stderr.decode(), r.stderr.decode()
    assert set(objects(s3, "raw")) == {"a.jsonl"}


class CuttingProxy(LoopbackServer):
    """A loopback TCP proxy to moto that breaks the first `max_cuts` connections whose
    answer passes `cut_after` bytes (a reset in the middle of a body), and records each
    request's head, so a test can see the resumed reads."""

    def __init__(self, target_port, cut_after, max_cuts=1):
        import threading

        self.target_port = target_port
        self.cut_after = cut_after
        self.max_cuts = max_cuts
        self.cuts = 0
        self.requests = []
        self.lock = threading.Lock()
        super().__init__()

    def serve(self, client):
        import socket
        import threading

        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=self.pump_requests, args=(client, upstream), daemon=True).start()
        self.pump_answers(upstream, client)

    def pump_requests(self, src, dst):
        try:
            while data := src.recv(65536):
                with self.lock:
                    self.requests.append(data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower())
                dst.sendall(data)
        except OSError:
            pass

    def pump_answers(self, src, dst):
        import socket
        import struct

        sent = 0
        try:
            while data := src.recv(65536):
                with self.lock:
                    cut = self.cuts < self.max_cuts and sent + len(data) > self.cut_after
                    if cut:
                        self.cuts += 1
                if cut:
                    dst.sendall(data[: self.cut_after - sent])
                    # A reset, as a dropped connection looks to the client; shut down
                    # first, as the other thread's recv keeps the socket alive.
                    dst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    dst.shutdown(socket.SHUT_RDWR)
                    dst.close()
                    src.close()
                    return
                sent += len(data)
                dst.sendall(data)
        except OSError:
            pass

def read_through(proxy, moto, bin_dir, body):
    """Transforms s3://raw/big.jsonl through `proxy`, and the same body from a local
    file; returns (local run, S3 run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        path.write_bytes(body)
        local = transform(moto, bin_dir, str(path))
    try:
        r = transform(moto, bin_dir, "s3://raw/big.jsonl",
                      env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}"})
    finally:
        proxy.close()
    return local, r


def test_a_read_broken_by_a_reset_resumes_where_it_stopped(moto, bin_dir):
    body = big_object(moto)
    proxy = CuttingProxy(moto.port, cut_after=len(body) // 3)
    local, r = read_through(proxy, moto, bin_dir, body)
    assert proxy.cuts == 1
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == local.stdout and r.stdout.count(b"\n") == 3000
    ranged = [q for q in proxy.requests if q.startswith("get ") and "\nrange: bytes=" in q]
    assert len(ranged) == 1 and "\nif-match: " in ranged[0], proxy.requests


def test_a_read_that_keeps_breaking_after_progress_still_completes(moto, bin_dir):
    # Seven breaks in one object, each after more of the body arrived: the resume limit
    # (5) counts breaks in a row without progress, not breaks in all.
    body = big_object(moto)
    proxy = CuttingProxy(moto.port, cut_after=len(body) // 10, max_cuts=7)
    local, r = read_through(proxy, moto, bin_dir, body)
    assert proxy.cuts == 7
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == local.stdout
    ranged = [q for q in proxy.requests if q.startswith("get ") and "\nrange: bytes=" in q]
    assert len(ranged) == 7, proxy.requests
