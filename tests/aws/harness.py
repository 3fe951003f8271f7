"""Shared by the tests under tests/aws/: a moto server (S3, SQS, Kinesis, SNS) on a free
loopback port, the environment the AWS SDKs need to talk to it, and boto3 clients.

    with Moto() as moto:
        s3 = moto.client("s3")
        subprocess.run([...], env=moto.env(), check=True)
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """A moto server for the length of a `with` block."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def __enter__(self):
        server = Path(sys.executable).with_name("moto_server")
        self.proc = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on {self.url}")
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def reset(self):
        """Forgets every bucket, queue and stream."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10)

    def env(self, **extra):
        """The environment for a process that talks to this server with an AWS SDK."""
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_SESSION_TOKEN="testing",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true",
        )
        env.update(extra)
        return env

    def client(self, service):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            aws_session_token="testing",
        )


class LoopbackServer:
    """A TCP listener on a free loopback port; each connection is served on its own
    thread by `serve(client)`. Subclasses set their own state before calling
    `__init__`, since a connection may arrive at once."""

    def __init__(self):
        import threading

        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        raise NotImplementedError

    def close(self):
        self.server.close()


class FaultProxy(LoopbackServer):
    """A loopback HTTP proxy to moto that resets the connection of requests whose head
    (lower-cased request line and headers) `fault(head)` picks, instead of forwarding
    them, at most `max_faults` times (None: always). Every request head is recorded.
    One request per connection at a time, as the AWS SDKs send them."""

    def __init__(self, target_port, fault, max_faults=None):
        import threading

        self.target_port = target_port
        self.fault = fault
        self.max_faults = max_faults
        self.faults = 0
        self.requests = []
        self.lock = threading.Lock()
        super().__init__()

    def serve(self, client):
        import struct

        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = client.recv(65536)
                    if not data:
                        return
                    buf += data
                head, rest = buf.split(b"\r\n\r\n", 1)
                text = head.decode("latin-1").lower()
                length = 0
                for line in text.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip() == "content-length":
                        length = int(value.strip())
                while len(rest) < length:
                    data = client.recv(65536)
                    if not data:
                        return
                    rest += data
                body, buf = rest[:length], rest[length:]
                with self.lock:
                    self.requests.append(text)
                    hit = self.fault(text) and (self.max_faults is None or self.faults < self.max_faults)
                    if hit:
                        self.faults += 1
                if hit:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                    return
                upstream.sendall(head + b"\r\n\r\n" + body)
                self._relay_answer(upstream, client, text.startswith("head "))
        except OSError:
            return
        finally:
            upstream.close()

    @staticmethod
    def _relay_answer(upstream, client, no_body):
        """Copies one HTTP answer (Content-Length or chunked body) back to the client."""
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = upstream.recv(65536)
            if not data:
                raise OSError("upstream closed")
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        client.sendall(head + b"\r\n\r\n")
        text = head.decode("latin-1").lower()
        status = text.split(" ", 2)[1] if " " in text else ""
        length = None
        chunked = False
        for line in text.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip() == "content-length":
                length = int(value.strip())
            if name.strip() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if no_body or status in ("204", "304") or (length is None and not chunked):
            length, chunked = 0, False
        if chunked:
            while not rest.endswith(b"0\r\n\r\n"):
                data = upstream.recv(65536)
                if not data:
                    break
                rest += data
            client.sendall(rest)
            return
        while len(rest) < length:
            data = upstream.recv(65536)
            if not data:
                break
            rest += data
        client.sendall(rest)
