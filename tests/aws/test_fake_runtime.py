"""The fake Lambda Runtime API (fake_runtime.py) checked with a small client that follows
the runtime protocol as a custom runtime does: the Lambda tests rely on what it serves."""

import http.client
import json
import subprocess
import sys
import threading
import time

from fake_runtime import FakeRuntime

NEXT = "/2018-06-01/runtime/invocation/next"


def call(rt, path, body=None, conn=None):
    """(status, headers, decoded JSON body) of one request; `conn` keeps the connection open
    across calls, as the runtime client of lambda_runtime (hyper) does."""
    conn = conn or http.client.HTTPConnection(rt.env()["AWS_LAMBDA_RUNTIME_API"], timeout=10)
    if body is None:
        conn.request("GET", path)
    else:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, resp.headers, json.loads(resp.read())


def test_next_then_response_and_error(moto, bin_dir):
    events = [{"Records": [{"messageId": "m1"}]}, {"Records": [{"messageId": "m2"}]}]
    with FakeRuntime(events=events, deadline_seconds=60) as rt:
        env = rt.env()
        for name in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                     "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME",
                     "AWS_LAMBDA_LOG_STREAM_NAME", "LAMBDA_TASK_ROOT"):
            assert env[name], name
        assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
        int(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])

        conn = http.client.HTTPConnection(env["AWS_LAMBDA_RUNTIME_API"], timeout=10)
        status, headers, event = call(rt, NEXT, conn=conn)
        assert status == 200 and event == events[0]
        first = headers["Lambda-Runtime-Aws-Request-Id"]
        deadline = int(headers["Lambda-Runtime-Deadline-Ms"])
        assert 50_000 < deadline - time.time() * 1000 <= 60_000
        assert headers["Lambda-Runtime-Invoked-Function-Arn"].startswith("arn:aws:lambda:")
        assert headers["Lambda-Runtime-Trace-Id"].startswith("Root=")
        answer = {"batchItemFailures": [{"itemIdentifier": "m1"}]}
        assert call(rt, f"/2018-06-01/runtime/invocation/{first}/response", answer, conn)[0] == 202
        # A second answer for the same request is refused, as Lambda does.
        assert call(rt, f"/2018-06-01/runtime/invocation/{first}/response", answer)[0] == 400
        assert call(rt, "/2018-06-01/runtime/invocation/no-such-id/response", {})[0] == 400

        status, headers, event = call(rt, NEXT, conn=conn)
        assert status == 200 and event == events[1]
        second = headers["Lambda-Runtime-Aws-Request-Id"]
        assert second != first
        failure = {"errorType": "S3Error", "errorMessage": "the bucket is gone"}
        assert call(rt, f"/2018-06-01/runtime/invocation/{second}/error", failure, conn)[0] == 202

        assert rt.wait(timeout=5) == [("response", answer), ("error", failure)]


def test_next_blocks_until_an_event_is_added(moto, bin_dir):
    with FakeRuntime() as rt:
        got = []
        client = threading.Thread(target=lambda: got.append(call(rt, NEXT)))
        client.start()
        client.join(0.5)
        assert client.is_alive() and not got, "/next answered with an empty queue"
        request_id = rt.add({"n": 1})
        client.join(5)
        status, headers, event = got[0]
        assert (status, event) == (200, {"n": 1})
        assert headers["Lambda-Runtime-Aws-Request-Id"] == request_id
        try:
            rt.wait(timeout=0.5)
        except TimeoutError as err:
            assert "0 of 1 events answered" in str(err)
        else:
            raise AssertionError("wait returned before the event was answered")
        # A body of unknown length arrives chunked, as hyper sends a streamed body.
        conn = http.client.HTTPConnection(rt.env()["AWS_LAMBDA_RUNTIME_API"], timeout=10)
        conn.request("POST", f"/2018-06-01/runtime/invocation/{request_id}/response",
                     iter([b'{"batchItemFailures"', b': []}']), encode_chunked=True)
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (202, {"status": "OK"})
        assert rt.wait(timeout=5) == [("response", {"batchItemFailures": []})]


def test_init_error_makes_wait_raise_with_its_body(moto, bin_dir):
    with FakeRuntime(events=[{}]) as rt:
        body = {"errorType": "ConfigError", "errorMessage": "sources.yaml: unknown key `sorces`"}
        assert call(rt, "/2018-06-01/runtime/init/error", body)[0] == 202
        try:
            rt.wait(timeout=5)
        except RuntimeError as err:
            assert "unknown key `sorces`" in str(err)
        else:
            raise AssertionError("wait did not report the init error")


def test_wait_reports_a_function_that_exits(moto, bin_dir):
    with FakeRuntime(events=[{}]) as rt:
        proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        try:
            rt.wait(timeout=10, proc=proc)
        except RuntimeError as err:
            assert "exited with 3" in str(err) and "0 of 1" in str(err)
        else:
            raise AssertionError("wait did not notice the exit")
