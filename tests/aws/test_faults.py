"""Faults on the way to S3, through a proxy on loopback that resets chosen requests:
the real `ocsfmap-lambda` retries a write that fails once, reports exactly the message
whose write keeps failing, and never leaves part of an object; a multipart upload
whose part keeps failing is aborted, leaving neither object nor upload behind.
"""

import json
import subprocess
import tempfile
from pathlib import Path

from fake_runtime import FakeRuntime
from harness import FaultProxy, REGION
from test_lambda import CONFIG, LAKE, RAW, expected, invoke, sample, write_config
from test_transform_s3 import LAKE as LAKE_ARGS
from test_transform_s3 import big_object, transform


def notification_message(s3, message_id, key):
    etag = s3.head_object(Bucket=RAW, Key=key)["ETag"].strip('"')
    body = {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": RAW}, "object": {"key": key, "size": 10, "eTag": etag}},
    }]}
    return {
        "messageId": message_id, "receiptHandle": "rh", "body": json.dumps(body),
        "eventSource": "aws:sqs", "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:raw-logs",
    }


def lake_keys(s3):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def run_batch(moto, bin_dir, proxy, event):
    with tempfile.TemporaryDirectory() as tmp, FakeRuntime() as runtime, \
            open(Path(tmp) / "log", "w+b") as log:
        config = write_config(tmp, CONFIG)
        env = moto.env(**{**runtime.env(), "OCSFMAP_SOURCES": str(config),
                          "AWS_ENDPOINT_URL": proxy.url})
        proc = subprocess.Popen([str(bin_dir / "ocsfmap-lambda")], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            answer = invoke(runtime, event, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proxy.close()
        log.seek(0)
        logged = [json.loads(line) for line in log.read().decode().splitlines() if line.startswith("{")]
    return answer, logged


def put_of(name):
    """Picks the PUT requests of Parquet files of the lake named `<name>-...`."""
    def pick(head):
        line = head.split("\r\n", 1)[0]
        return line.startswith(f"put /{LAKE}/ext/") and f"/{name}-" in line
    return pick


def setup(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=RAW)
    s3.create_bucket(Bucket=LAKE)
    for name in ("a", "b", "c"):
        s3.put_object(Bucket=RAW, Key=f"nfw/{name}.jsonl", Body=sample("aws-network-firewall/alert.input.jsonl"))
    event = {"Records": [notification_message(s3, name, f"nfw/{name}.jsonl") for name in ("a", "b", "c")]}
    return s3, event


def test_a_write_that_keeps_failing_fails_exactly_its_message_and_leaves_nothing(moto, bin_dir):
    s3, event = setup(moto)
    proxy = FaultProxy(moto.port, put_of("b"))
    (kind, answer), logged = run_batch(moto, bin_dir, proxy, event)
    assert kind == "response", answer
    assert answer == {"batchItemFailures": [{"itemIdentifier": "b"}]}, answer
    # The SDK retried the write before giving up.
    assert proxy.faults >= 2, proxy.faults
    keys = lake_keys(s3)
    parquet = [k for k in keys if k.endswith(".parquet")]
    assert sorted(k.rsplit("/", 1)[1].split("-", 1)[0] for k in parquet) == ["a", "c"], keys
    assert not any("/b-" in k for k in keys), keys
    failed = [line for line in logged if line.get("message") == "input failed"]
    assert len(failed) == 1 and failed[0]["key"] == "nfw/b.jsonl", failed
    assert "Parquet could not be written" in failed[0]["error"], failed


def test_a_write_that_fails_once_is_retried_and_the_batch_succeeds(moto, bin_dir):
    s3, event = setup(moto)
    proxy = FaultProxy(moto.port, put_of("c"), max_faults=1)
    (kind, answer), _ = run_batch(moto, bin_dir, proxy, event)
    assert answer == {"batchItemFailures": []}, answer
    assert proxy.faults == 1
    puts = [r for r in proxy.requests if put_of("c")(r)]
    assert len(puts) == 2, puts
    n = expected("aws-network-firewall/alert")
    assert n > 0
    parquet = [k for k in lake_keys(s3) if k.endswith(".parquet")]
    assert sorted(k.rsplit("/", 1)[1].split("-", 1)[0] for k in parquet) == ["a", "b", "c"], parquet


def test_a_multipart_upload_whose_part_keeps_failing_is_aborted(moto, bin_dir):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="lake")
    big_object(moto, records=5000, payload_bits=12000, seed=11)
    proxy = FaultProxy(moto.port, lambda h: h.startswith("put /lake/") and "partnumber=2" in h.split("\r\n", 1)[0])
    try:
        r = transform(moto, bin_dir, *LAKE_ARGS, "--compression", "none", "--output-dir", "s3://lake/big",
                      "s3://raw/big.jsonl",
                      env={"OCSFMAP_S3_PART_MB": "5", "AWS_ENDPOINT_URL": proxy.url})
    finally:
        proxy.close()
    assert r.returncode != 0, r.stderr.decode()
    assert "cannot upload part 2 of" in r.stderr.decode(), r.stderr.decode()
    assert proxy.faults >= 2, proxy.faults
    # No object, and no upload left to bill: it was aborted.
    assert s3.list_objects_v2(Bucket="lake").get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket="lake").get("Uploads", []) == []
