"""Fixtures of the end-to-end tests: the real stack on free loopback ports."""

import json
import os
import pathlib
import socket
import sys
import threading
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))

import stack as stack_mod  # noqa: E402

# The tests run the sanitizer build when there is one (make e2e-native builds it).
BIN_DIR = pathlib.Path(os.environ.get("E2E_BIN_DIR", ROOT / "build" / "asan" / "bin")).resolve()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def request(method, url, body=None, headers=None, timeout=10):
    """One HTTP request; 4xx/5xx come back as responses, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers, resp.read().decode())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, err.read().decode())


def post_factorial(stack, payload, content_type="application/json", timeout=10):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    headers = {"Content-Type": content_type} if content_type else {}
    return request("POST", stack.factorial_url + "/factorial", body, headers, timeout)


class Listener:
    """A TCP server on loopback that answers each connection with handler."""

    def __init__(self, handler, family=socket.AF_INET, host="127.0.0.1"):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.requests = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(4096))
                    self.handler(conn, self.stop)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The stack, started once per test module; its stop is checked by the tests."""
    s = stack_mod.Stack(bin_dir=BIN_DIR, run_dir=tmp_path_factory.mktemp("stack"))
    s.start()
    yield s
    for component in s.components.values():
        if component.running():
            component.stop()
