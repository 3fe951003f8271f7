"""A Lambda Runtime API on a free loopback port, so the real `ocsfmap-lambda` binary runs
in tests without Lambda: it hands out queued events and records what the function posts.

    with FakeRuntime(events=[event1, event2]) as rt:
        proc = subprocess.Popen([bin_dir / "ocsfmap-lambda"], env=moto.env(**rt.env()))
        results = rt.wait(timeout=60, proc=proc)  # [("response" | "error", body)] per event
        proc.terminate()

A body is the posted JSON, decoded (else its text). On an empty queue `/next` blocks until
`add` queues an event or the `with` block ends, as Lambda freezes an idle function."""

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
FUNCTION = "ocsfmap"
ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}"


class FakeRuntime:
    def __init__(self, events=(), deadline_seconds=300):
        self.events = []  # (request id, event) in the order they were added
        self.results = {}  # request id -> (status, body)
        self.init_error, self.handed_out, self.closed = None, 0, False
        self.deadline_seconds = deadline_seconds  # what Lambda-Runtime-Deadline-Ms announces
        self.cond = threading.Condition()
        for event in events:
            self.add(event)
        self.server = Server(("127.0.0.1", 0), Handler)  # daemon threads
        self.server.rt = self
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        with self.cond:
            self.closed = True  # a blocked /next wakes up and answers 410
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def add(self, event):
        """Queues one more invocation; returns its request id."""
        request_id = str(uuid.uuid4())
        with self.cond:
            self.events.append((request_id, event))
            self.cond.notify_all()
        return request_id

    def env(self):
        """The variables Lambda sets for a custom runtime (lambda_runtime reads these)."""
        return dict(AWS_LAMBDA_RUNTIME_API=self.address, AWS_LAMBDA_FUNCTION_NAME=FUNCTION,
                    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                    AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{FUNCTION}",
                    AWS_LAMBDA_LOG_STREAM_NAME="2024/01/01/[$LATEST]0123", LAMBDA_TASK_ROOT=".")

    def wait(self, timeout=60, proc=None):
        """Every event's (status, body) in queue order; raises on init error, timeout, proc exit."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if self.init_error is not None:
                    raise RuntimeError(f"the function failed to start: {self.init_error}")
                if all(rid in self.results for rid, _ in self.events):
                    return [self.results[rid] for rid, _ in self.events]
                done = f"{len(self.results)} of {len(self.events)} events answered"
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"the function exited with {proc.returncode}; {done}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{done} within {timeout} s")
                self.cond.wait(0.2)

    def _next(self):  # blocks while the queue is empty; None once closed
        with self.cond:
            while self.handed_out >= len(self.events) and not self.closed:
                self.cond.wait()
            if self.closed:
                return None
            self.handed_out += 1
            return self.events[self.handed_out - 1]

    def _record(self, request_id, status, body):  # False for an unknown or answered id
        with self.cond:
            if status == "init":
                self.init_error = body
            elif request_id in self.results or all(request_id != r for r, _ in self.events):
                return False
            else:
                self.results[request_id] = (status, body)
            self.cond.notify_all()
            return True


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A function stopped while its `/next` waits drops the connection: not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API and hyper expect

    def do_GET(self):
        if self.path != f"{PREFIX}/invocation/next":
            return self._reply(404, {"errorMessage": f"no route {self.path}"})
        if (item := self.server.rt._next()) is None:
            return self._reply(410, {"errorMessage": "the runtime is shutting down"})
        (request_id, event), now = item, time.time()
        deadline_ms = int((now + self.server.rt.deadline_seconds) * 1000)
        self._reply(200, event, {"Lambda-Runtime-Aws-Request-Id": request_id,
                                 "Lambda-Runtime-Deadline-Ms": deadline_ms,
                                 "Lambda-Runtime-Invoked-Function-Arn": ARN,
                                 "Lambda-Runtime-Trace-Id": f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}"})

    def do_POST(self):
        body, parts = self._body(), self.path[len(PREFIX):].strip("/").split("/")
        if parts == ["init", "error"]:
            recorded = self.server.rt._record(None, "init", body)
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            recorded = self.server.rt._record(parts[1], parts[2], body)
        else:
            return self._reply(404, {"errorMessage": f"no route {self.path}"})
        if recorded:
            return self._reply(202, {"status": "OK"})
        self._reply(400, {"errorMessage": f"unknown or answered request {parts[1]}"})

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        else:  # hyper streams a body it cannot size up front
            raw = b""
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                raw += self.rfile.read(size + 2)[:-2]  # each chunk ends with CRLF
            self.rfile.readline()  # the blank line after the last chunk (no trailers)
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _reply(self, code, payload, headers=()):
        data = json.dumps(payload).encode()
        self.send_response(code)
        headers = {"Content-Type": "application/json", "Content-Length": len(data), **dict(headers)}
        for header in headers.items():
            self.send_header(*header)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # the test output shows results, not an access log
        return
