"""Peak memory of the real `ocsfmap-lambda` on one large gzip object: the object is put
in a moto S3 on loopback, its notification is handed to the function through the fake
Lambda Runtime API of tests/aws, and the function's peak RSS is read when it exits.

    .venv/bin/python bench/lambda_memory.py OBJECT.json.gz [--memory-mb 1024 2048] [--bin target/release]

OBJECT is CloudTrail (`{"Records": [...]}`, as `target/release/gen cloudtrail PATH
--bytes N --wrap --gzip` writes it). For each memory size the function is started with
that AWS_LAMBDA_FUNCTION_MEMORY_SIZE (which sets its Parquet buffer), and the line
printed gives the events, the seconds, the events per second and the peak RSS.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "aws"))
from fake_runtime import FakeRuntime  # noqa: E402
from harness import Moto, REGION  # noqa: E402

CONFIG = f"""
security_lake: {{bucket: lake, region: {REGION}, account_id: "123456789012"}}
mapping_dir: {ROOT / "mappings"}
sources:
  - name: cloudtrail
    mapping_file: aws-cloudtrail.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: raw}}]}}}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("object")
    parser.add_argument("--memory-mb", type=int, nargs="+", default=[1024])
    parser.add_argument("--bin", default=str(ROOT / "target" / "release"))
    args = parser.parse_args()
    size = os.path.getsize(args.object)
    with Moto() as moto, tempfile.TemporaryDirectory() as tmp:
        s3 = moto.client("s3")
        s3.create_bucket(Bucket="raw")
        s3.create_bucket(Bucket="lake")
        s3.upload_file(args.object, "raw", "AWSLogs/big.json.gz")
        etag = s3.head_object(Bucket="raw", Key="AWSLogs/big.json.gz")["ETag"].strip('"')
        config = Path(tmp) / "sources.yaml"
        config.write_text(CONFIG)
        body = {"Records": [{"eventSource": "aws:s3", "awsRegion": REGION, "eventName": "ObjectCreated:Put",
                             "s3": {"bucket": {"name": "raw"},
                                    "object": {"key": "AWSLogs/big.json.gz", "size": size, "eTag": etag}}}]}
        event = {"Records": [{"messageId": "m", "receiptHandle": "r", "body": json.dumps(body),
                              "eventSource": "aws:sqs",
                              "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q", "awsRegion": REGION}]}
        for memory in args.memory_mb:
            # Lambda's longest timeout: the deadline never cuts the measurement short.
            with FakeRuntime(deadline_seconds=900) as runtime, open(Path(tmp) / "log", "w+b") as log:
                env = moto.env(**{**runtime.env(), "OCSFMAP_SOURCES": str(config),
                                  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory)})
                started = time.monotonic()
                proc = subprocess.Popen([str(Path(args.bin) / "ocsfmap-lambda")], env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
                runtime.add(event)
                kind, answer = runtime.wait(timeout=3600, proc=proc)[-1]
                secs = time.monotonic() - started
                proc.terminate()
                _, _, usage = os.wait4(proc.pid, 0)
                log.seek(0)
                done = [json.loads(line) for line in log.read().decode().splitlines()
                        if line.startswith("{") and '"input done"' in line]
            if kind != "response" or answer != {"batchItemFailures": []} or not done:
                raise SystemExit(f"the invocation failed: {kind} {answer}")
            d = done[0]
            events = d["output"]
            print(f"{size / 1e6:.0f} MB gzip CloudTrail object ({d['bytes'] / 1e9:.1f} GB), "
                  f"AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory}: {d['input']:,} records in, {events:,} events out "
                  f"({d['rejected']:,} rejected, {d['dropped']:,} dropped, {d['unrouted']:,} unrouted) "
                  f"in {secs:.0f} s ({events / secs:,.0f} events/s), {len(d['files'])} Parquet files, "
                  f"peak RSS {usage.ru_maxrss / 1024:.0f} MB", flush=True)
            s3_keys = s3.list_objects_v2(Bucket="lake").get("KeyCount", 0)
            assert s3_keys > 0


if __name__ == "__main__":
    main()
