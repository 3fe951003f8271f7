"""`ocsfmap enqueue` and the queue worker `ocsfmap sqs` against moto: 200 objects sent to
the queue, worked by two workers (one of them killed mid-batch and restarted), and
every input record reconciled with the Parquet rows and the set-aside records: nothing
lost, nothing duplicated.
"""

import io
import json
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from harness import REPO

RAW = "raw-logs"
LAKE = "lake"
OBJECTS = 200

CONFIG = f"""
security_lake: {{bucket: {LAKE}, region: us-east-1, account_id: "123456789012"}}
mapping_dir: {REPO / "mappings"}
sources:
  - name: aws-nfw
    mapping_file: aws-network-firewall.yaml
    input_paths: {{s3: {{source_buckets: [{{bucket_name: {RAW}, prefix: nfw/}}]}}}}
"""

NETFLOW = [
    json.loads(line)
    for line in (REPO / "mappings/tests/aws-network-firewall/netflow.input.jsonl").read_text().splitlines()
]


def make_object(i):
    """Object i: 1 to 5 netflow records with unique flow ids; every tenth object also
    holds one malformed line. Returns (body, flow ids, malformed lines)."""
    lines, ids = [], []
    for j in range(1 + i % 5):
        record = json.loads(json.dumps(NETFLOW[j % len(NETFLOW)]))
        flow_id = 10_000_000 + i * 10 + j
        record["event"]["flow_id"] = flow_id
        lines.append(json.dumps(record))
        ids.append(str(flow_id))
    bad = 0
    if i % 10 == 0:
        lines.insert(1, '{"event": {"event_type": "netflow",')
        bad = 1
    return ("\n".join(lines) + "\n").encode(), ids, bad


def setup(moto, visibility=4):
    s3, sqs = moto.client("s3"), moto.client("sqs")
    s3.create_bucket(Bucket=RAW)
    s3.create_bucket(Bucket=LAKE)
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="work", Attributes={
        "VisibilityTimeout": str(visibility),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]
    return s3, sqs, url, dlq


def lake_flow_ids(s3):
    """Every connection_info.uid in the lake's Parquet, and the Parquet keys."""
    ids, keys = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE, Prefix="ext/"):
        for o in page.get("Contents", []):
            keys.append(o["Key"])
            body = s3.get_object(Bucket=LAKE, Key=o["Key"])["Body"].read()
            table = pq.read_table(io.BytesIO(body))
            ids += [c["uid"] for c in table.column("connection_info").to_pylist()]
    return ids, sorted(keys)


def set_aside_lines(s3):
    lines = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE, Prefix="ocsfmap-set-aside/"):
        for o in page.get("Contents", []):
            body = s3.get_object(Bucket=LAKE, Key=o["Key"])["Body"].read().decode()
            lines += [json.loads(line) for line in body.splitlines()]
    return lines


def queue_counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


class Worker:
    """An `ocsfmap sqs` process whose JSON log lines are collected as they come."""

    def __init__(self, moto, bin_dir, config, url, *extra):
        self.lines = []
        self.proc = subprocess.Popen(
            [str(bin_dir / "ocsfmap"), "sqs", "--queue-url", url, "--sources", str(config),
             "--wait-seconds", "1", "--threads", "1", *extra],
            env=moto.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith(b"{"):
                self.lines.append(json.loads(line))

    def count(self, message):
        return sum(1 for line in list(self.lines) if line.get("message") == message)

    def wait(self, timeout=300):
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return code, self.proc.stderr.read().decode()


def enqueue(moto, bin_dir, url, *urls):
    return subprocess.run(
        [str(bin_dir / "ocsfmap"), "enqueue", "--queue-url", url, *urls],
        env=moto.env(), capture_output=True, text=True, timeout=120,
    )


def upload(s3):
    want_ids, bad_lines = [], 0
    for i in range(OBJECTS):
        body, ids, bad = make_object(i)
        s3.put_object(Bucket=RAW, Key=f"nfw/2024/{i:03d} part+{i}.jsonl", Body=body)
        want_ids += ids
        bad_lines += bad
    return want_ids, bad_lines


def test_two_workers_one_killed_mid_batch_process_200_enqueued_objects_once(moto, bin_dir):
    s3, sqs, url, dlq = setup(moto)
    want_ids, bad_lines = upload(s3)
    sent = enqueue(moto, bin_dir, url, f"s3://{RAW}/nfw/")
    assert sent.returncode == 0, sent.stderr
    assert f"sent {OBJECTS} objects" in sent.stderr, sent.stderr
    assert queue_counts(sqs, url) == (OBJECTS, 0)

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sources.yaml"
        config.write_text(CONFIG)
        a = Worker(moto, bin_dir, config, url, "--until-empty")
        b = Worker(moto, bin_dir, config, url, "--until-empty")
        # Kill A once it has finished a few messages and holds others (it takes ten
        # at a time and deletes each when done): those reappear after the visibility
        # timeout and are worked again, writing the same objects.
        deadline = time.monotonic() + 120
        while a.count("message done") < 3:
            assert a.proc.poll() is None, a.wait()
            assert time.monotonic() < deadline, "worker A did no work"
            time.sleep(0.02)
        a.proc.kill()
        a.wait()
        killed_done = a.count("message done")
        assert killed_done < OBJECTS
        # A restarted worker joins B until the queue is drained.
        c = Worker(moto, bin_dir, config, url, "--until-empty")
        code_b, err_b = b.wait()
        code_c, err_c = c.wait()
    assert code_b == 0, err_b
    assert code_c == 0, err_c
    assert queue_counts(sqs, url) == (0, 0)
    assert queue_counts(sqs, dlq) == (0, 0)
    # Every message was finished by someone; some twice (A's unfinished ones).
    done = killed_done + b.count("message done") + c.count("message done")
    assert done >= OBJECTS, (killed_done, b.count("message done"), c.count("message done"))
    assert b.count("message failed: left for the queue to retry after its visibility timeout") == 0
    # The messages A held when it was killed came back and were done by the others.
    redelivered = [line for w in (b, c) for line in w.lines
                   if line.get("message") == "message done" and line["receive_count"] >= 2]
    assert redelivered, "no message of the killed worker was handed out again"

    ids, keys = lake_flow_ids(s3)
    # Nothing lost, nothing duplicated: exactly the input's flow ids, each once.
    assert len(ids) == len(want_ids), (len(ids), len(want_ids))
    assert sorted(ids) == sorted(want_ids)
    # One Parquet file per object (one class, one day each).
    assert len(keys) == OBJECTS, len(keys)
    aside = set_aside_lines(s3)
    assert len(aside) == bad_lines, aside
    assert all(r["code"] == "OM100" for r in aside)
    # The workers' stop lines add up.
    stops = [line for w in (b, c) for line in w.lines if line.get("message", "").startswith("worker stopped")]
    assert len(stops) == 2 and all(s["message"] == "worker stopped: the queue is empty" for s in stops), stops


def test_sigterm_finishes_the_message_in_hand_and_releases_the_rest(moto, bin_dir):
    s3, sqs, url, _ = setup(moto, visibility=60)
    upload(s3)
    assert enqueue(moto, bin_dir, url, f"s3://{RAW}/nfw/").returncode == 0
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sources.yaml"
        config.write_text(CONFIG)
        w = Worker(moto, bin_dir, config, url)
        deadline = time.monotonic() + 120
        while w.count("message done") < 1:
            assert w.proc.poll() is None, w.wait()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        w.proc.send_signal(signal.SIGTERM)
        code, err = w.wait(timeout=60)
    assert code == 0, err
    stop = [line for line in w.lines if line.get("message") == "worker stopped on a signal"]
    assert len(stop) == 1, w.lines
    done, released = stop[0]["messages_done"], stop[0]["messages_released"]
    assert done >= 1 and stop[0]["messages_failed"] == 0, stop
    # The released messages are visible at once (not after the 60 s timeout); only the
    # done ones are gone.
    visible, in_flight = queue_counts(sqs, url)
    assert (visible, in_flight) == (OBJECTS - done, 0), (visible, in_flight, done, released)


def test_enqueued_and_live_notifications_of_an_object_write_the_same_files(moto, bin_dir):
    s3, sqs, url, _ = setup(moto)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=RAW,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    body, ids, _ = make_object(3)
    s3.put_object(Bucket=RAW, Key="nfw/live one+1.jsonl", Body=body)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sources.yaml"
        config.write_text(CONFIG)
        live = Worker(moto, bin_dir, config, url, "--until-empty")
        assert live.wait()[0] == 0
        _, after_live = lake_flow_ids(s3)
        assert len(after_live) == 1, after_live
        # The backfill of the same object writes the same file, not a second one.
        assert enqueue(moto, bin_dir, url, f"s3://{RAW}/nfw/live one+1.jsonl").returncode == 0
        again = Worker(moto, bin_dir, config, url, "--until-empty")
        assert again.wait()[0] == 0
    assert again.count("message done") == 1
    got, keys = lake_flow_ids(s3)
    assert keys == after_live
    assert sorted(got) == sorted(ids)


def test_enqueue_names_a_missing_prefix_and_a_worker_a_missing_queue(moto, bin_dir):
    s3, _, url, _ = setup(moto)
    out = enqueue(moto, bin_dir, url, f"s3://{RAW}/nothing-here/")
    assert out.returncode == 2, out
    assert f"s3://{RAW}/nothing-here/: no objects to read under this prefix" in out.stderr, out.stderr
    out = enqueue(moto, bin_dir, url, "/tmp/local")
    assert out.returncode == 2 and "not an s3:// URL" in out.stderr, out.stderr
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "sources.yaml"
        config.write_text(CONFIG)
        w = Worker(moto, bin_dir, config, url.replace("/work", "/no-such-queue"), "--until-empty")
        code, err = w.wait(timeout=60)
    assert code == 2, err
    assert "no-such-queue" in err and "not a queue this worker can read" in err, err
