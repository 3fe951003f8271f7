"""The real `ocsfmap-lambda` binary end to end: S3 notifications delivered by moto to SQS
(and records put to a moto Kinesis stream) are fed as Lambda events through a Lambda
Runtime API on loopback; the Parquet objects, the set-aside records and the
partial-batch response are read back.
"""

import base64
import gzip
import io
import json
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from fake_runtime import FakeRuntime
from harness import REPO, REGION

RAW = "raw-logs"
LAKE = "lake"


def invoke(runtime, event, proc, timeout=120):
    """Sends one event through the runtime; returns (`response` or `error`, its body)."""
    runtime.add(event)
    return runtime.wait(timeout=timeout, proc=proc)[-1]


def start_function(moto, bin_dir, runtime, config, log):
    env = moto.env(**{**runtime.env(), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, OCSFMAP_SOURCES=str(config))
    return subprocess.Popen(
        [str(bin_dir / "ocsfmap-lambda")], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def write_config(dir, text):
    path = Path(dir) / "sources.yaml"
    path.write_text(text)
    return path


CONFIG = f"""
security_lake: {{bucket: {LAKE}}}
mapping_dir: {REPO / "mappings"}
sources:
  - name: aws-nfw
    mapping_file: aws-network-firewall.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: "nfw/*"}}]}}}}
  - name: vpc
    mapping_file: amazon-vpc-flow-logs.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: vpc/}}]}}}}
  - name: sysmon
    mapping_file: windows-sysmon.yaml
    input_paths: {{kinesis: {{metadata_field: source, streams: [sysmon]}}}}
"""


def sample(rel):
    return (REPO / "mappings" / "tests" / rel).read_bytes()


def expected(case):
    return len(json.loads(sample(f"{case}.expected.json")))


def lake_rows(s3):
    """Rows per Parquet file name stem (`<object stem>-<digest>`), read with pyarrow."""
    rows = {}
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE, Prefix="ext/"):
        for o in page.get("Contents", []):
            keys.append(o["Key"])
            body = s3.get_object(Bucket=LAKE, Key=o["Key"])["Body"].read()
            table = pq.read_table(io.BytesIO(body))
            stem = o["Key"].rsplit("/", 1)[1].rsplit("-", 1)[0]
            rows[stem] = rows.get(stem, 0) + table.num_rows
    return rows, sorted(keys)


def all_keys(s3, bucket):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def receive_all(sqs, url, want):
    messages = []
    deadline = time.monotonic() + 30
    while len(messages) < want and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        )
        messages += got.get("Messages", [])
    assert len(messages) == want, f"{len(messages)} of {want} notifications arrived"
    return messages


def sqs_event(messages, queue_arn):
    return {"Records": [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }
        for m in messages
    ]}


def test_sqs_notifications_become_parquet_with_a_partial_batch_response(moto, bin_dir):
    s3, sqs = moto.client("s3"), moto.client("sqs")
    s3.create_bucket(Bucket=RAW)
    s3.create_bucket(Bucket=LAKE)
    url = sqs.create_queue(QueueName="raw-logs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=RAW,
        NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}
        ]},
    )
    netflow = sample("aws-network-firewall/netflow.input.jsonl")
    with_bad_line = netflow + b'{"event": {"event_type": "netflow",\n' + sample("aws-network-firewall/tls.input.jsonl")
    objects = {
        # key: (body, rows expected)
        "nfw/alert.jsonl": (sample("aws-network-firewall/alert.input.jsonl"), expected("aws-network-firewall/alert")),
        "nfw/2024/net flow+1.jsonl.gz": (gzip.compress(with_bad_line),
                                         expected("aws-network-firewall/netflow") + expected("aws-network-firewall/tls")),
        "vpc/default.log": (sample("amazon-vpc-flow-logs/default-format.input.log"),
                            expected("amazon-vpc-flow-logs/default-format")),
        "nfw/deleted.jsonl": (netflow, 0),
    }
    for key, (body, _) in objects.items():
        s3.put_object(Bucket=RAW, Key=key, Body=body)
    # Its notification is on the queue, the object is gone: that message must fail.
    s3.delete_object(Bucket=RAW, Key="nfw/deleted.jsonl")
    messages = receive_all(sqs, url, 1 + len(objects))
    bodies = [json.loads(m["Body"]) for m in messages]
    assert bodies[0].get("Event") == "s3:TestEvent", bodies[0]
    deleted_id = next(
        m["MessageId"] for m, b in zip(messages, bodies)
        if "Records" in b and "deleted" in b["Records"][0]["s3"]["object"]["key"]
    )
    event = sqs_event(messages, arn)

    with tempfile.TemporaryDirectory() as tmp, FakeRuntime() as runtime, \
            open(Path(tmp) / "log", "w+b") as log:
        config = write_config(tmp, CONFIG)
        proc = start_function(moto, bin_dir, runtime, config, log)
        try:
            kind, answer = invoke(runtime, event, proc)
            assert kind == "response", answer
            assert answer == {"batchItemFailures": [{"itemIdentifier": deleted_id}]}, answer

            rows, keys = lake_rows(s3)
            for key, (_, want) in objects.items():
                if want == 0:
                    continue
                stem = key.rsplit("/", 1)[1].split(".", 1)[0].replace(" ", "_").replace("+", "_")
                got = sum(n for s, n in rows.items() if s.rsplit("-", 1)[0] == stem)
                assert got == want, (key, got, want, rows)
            # Partitions from the notification (region) and the queue's ARN (account).
            assert all(f"/region={REGION}/accountId=123456789012/eventDay=" in k for k in keys), keys

            # The malformed line is set aside with its reason, under the object's name.
            aside = [k for k in all_keys(s3, LAKE) if k.startswith("ocsfmap-set-aside/")]
            assert len(aside) == 1, aside
            assert aside[0].startswith("ocsfmap-set-aside/aws-nfw/raw-logs/nfw/2024/net flow+1.jsonl.gz."), aside
            lines = s3.get_object(Bucket=LAKE, Key=aside[0])["Body"].read().decode().splitlines()
            assert len(lines) == 1, lines
            record = json.loads(lines[0])
            assert record["kind"] == "rejected" and record["code"] == "OM100", record
            assert record["input"] == f"s3://{RAW}/nfw/2024/net flow+1.jsonl.gz", record
            assert record["line"] == netflow.count(b"\n") + 1, record

            # The same batch again: the same objects, overwritten, none added.
            before = all_keys(s3, LAKE)
            kind, answer = invoke(runtime, event, proc)
            assert answer == {"batchItemFailures": [{"itemIdentifier": deleted_id}]}, answer
            assert all_keys(s3, LAKE) == before
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        log.seek(0)
        logged = [json.loads(line) for line in log.read().decode().splitlines() if line.startswith("{")]
    done = [line for line in logged if line.get("message") == "input done"]
    assert len(done) == 2 * 3, done
    assert any(line.get("message") == "input failed" and "deleted" in line["key"] for line in logged)
    assert any(line.get("reason") == "s3:TestEvent" for line in logged)
    assert sum(1 for line in logged if "_aws" in line) == 2 * 4


def test_kinesis_records_with_one_undecodable_record(moto, bin_dir):
    s3, kinesis = moto.client("s3"), moto.client("kinesis")
    s3.create_bucket(Bucket=LAKE)
    kinesis.create_stream(StreamName="sysmon", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="sysmon")["StreamDescription"]
    shard = stream["Shards"][0]["ShardId"]
    cases = ["dns-query", "file-create", "process-create"]
    for case in cases:
        kinesis.put_record(StreamName="sysmon", PartitionKey="host", Data=sample(f"windows-sysmon/{case}.input.jsonl"))
    iterator = kinesis.get_shard_iterator(StreamName="sysmon", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert len(got) == 3
    records = [
        {
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": r["PartitionKey"],
                        "sequenceNumber": r["SequenceNumber"],
                        "data": base64.b64encode(r["Data"]).decode(),
                        "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp()},
            "eventSource": "aws:kinesis", "eventVersion": "1.0",
            "eventID": f"{shard}:{r['SequenceNumber']}", "eventName": "aws:kinesis:record",
            "invokeIdentityArn": "arn:aws:iam::123456789012:role/ocsfmap", "awsRegion": REGION,
            "eventSourceARN": stream["StreamARN"],
        }
        for r in got
    ]
    bad_seq = records[2]["kinesis"]["sequenceNumber"]
    records[2]["kinesis"]["data"] = "not base64!"
    with tempfile.TemporaryDirectory() as tmp, FakeRuntime() as runtime, \
            open(Path(tmp) / "log", "w+b") as log:
        config = write_config(tmp, CONFIG)
        proc = start_function(moto, bin_dir, runtime, config, log)
        try:
            kind, answer = invoke(runtime, {"Records": records}, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert kind == "response", answer
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_seq}]}, answer
    rows, keys = lake_rows(s3)
    assert sum(rows.values()) == expected("windows-sysmon/dns-query") + expected("windows-sysmon/file-create"), rows
    assert all(k.startswith("ext/windows-sysmon-") for k in keys), keys


def test_a_cold_start_failure_names_the_problem_and_exits(moto, bin_dir):
    with tempfile.TemporaryDirectory() as tmp, FakeRuntime() as runtime:
        config = write_config(tmp, CONFIG.replace("mapping_file: amazon-vpc-flow-logs.yaml",
                                                  "preprocessor_module: alb_preprocessor"))
        log = open(Path(tmp) / "log", "w+b")
        proc = start_function(moto, bin_dir, runtime, config, log)
        assert proc.wait(timeout=60) != 0
        log.seek(0)
        out = log.read().decode().strip().splitlines()
    assert len(out) == 1, out
    assert "sources[1].preprocessor_module" in out[0] and "alb_preprocessor" in out[0] and "`vpc`" in out[0], out
