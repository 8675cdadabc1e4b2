"""The real bar over the wire, with Python's gRPC (python3-grpcio) as the
client: its method, unknown methods, malformed requests, the health
service, and a graceful SIGTERM (NOT_SERVING first, calls still answered,
exit 0)."""

import os
import signal
import subprocess
import time

import grpc
import pytest

from conftest import BIN_DIR
import logcheck
import stack as stack_mod

SERVING, NOT_SERVING = b"\x08\x01", b"\x08\x02"
GET_BAR = "/bar.v1.BarService/GetBar"
HEALTH = "/grpc.health.v1.Health/Check"


def health_request(service):
    data = service.encode()
    return b"\x0a" + bytes([len(data)]) + data if data else b""


class Bar:
    def __init__(self, tmp_path, shutdown_delay_ms=0):
        self.port = stack_mod.free_port()
        self.log_path = tmp_path / "bar.log"
        self.log = open(self.log_path, "wb")
        env = dict(os.environ, BAR_LISTEN=f"127.0.0.1:{self.port}",
                   BAR_SHUTDOWN_DELAY_MS=str(shutdown_delay_ms))
        self.proc = subprocess.Popen([str(BIN_DIR / "bar")], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self.channel).result(timeout=20)

    def call(self, method, payload, timeout=5, metadata=None):
        """(status code, response bytes or None, details)."""
        stub = self.channel.unary_unary(method)
        try:
            return grpc.StatusCode.OK, stub(payload, timeout=timeout, metadata=metadata), ""
        except grpc.RpcError as err:
            return err.code(), None, err.details()

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        code = self.proc.wait(30)
        self.channel.close()
        self.log.close()
        return code

    def records(self):
        return logcheck.parse_lines(self.log_path.read_text().splitlines(), "bar")


@pytest.fixture
def bar(tmp_path):
    b = Bar(tmp_path)
    yield b
    if b.proc.poll() is None:
        b.stop()


def test_get_bar_answers_bar_and_logs_the_request_id(bar):
    code, body, _ = bar.call(GET_BAR, b"", metadata=[("x-request-id", "grpc-e2e-1")])
    assert code == grpc.StatusCode.OK and body == b"\x0a\x03bar"
    assert bar.stop() == 0
    [line] = [r for r in bar.records() if r.get("request_id") == "grpc-e2e-1"]
    assert line["message"] == "request served" and line["grpc_status"] == "OK", line
    assert line["path"] == GET_BAR and line["duration_ms"] >= 0, line


@pytest.mark.parametrize("method", ["/bar.v1.BarService/GetFoo", "/bar.v2.BarService/GetBar",
                                    "/grpc.health.v1.Health/Watch", "/x"])
def test_unknown_methods_are_unimplemented(bar, method):
    code, _, _ = bar.call(method, b"")
    assert code == grpc.StatusCode.UNIMPLEMENTED


def test_malformed_requests_are_invalid_arguments(bar):
    for method in (GET_BAR, HEALTH):
        code, _, details = bar.call(method, b"\xff\xff\xff")
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (method, code, details)
    # Still serving afterwards.
    assert bar.call(GET_BAR, b"")[1] == b"\x0a\x03bar"


def test_health_check(bar):
    assert bar.call(HEALTH, health_request("")) == (grpc.StatusCode.OK, SERVING, "")
    assert bar.call(HEALTH, health_request("bar.v1.BarService"))[1] == SERVING
    assert bar.call(HEALTH, health_request("nope"))[0] == grpc.StatusCode.NOT_FOUND
    # A name with a NUL in it is not ours, whatever comes before the NUL.
    assert bar.call(HEALTH, health_request("bar.v1.BarService\0x"))[0] == grpc.StatusCode.NOT_FOUND
    assert bar.call(HEALTH, health_request("\0"))[0] == grpc.StatusCode.NOT_FOUND


def test_sigterm_goes_not_serving_first_then_exits_zero(tmp_path):
    bar = Bar(tmp_path, shutdown_delay_ms=1500)
    assert bar.call(HEALTH, health_request(""))[1] == SERVING
    bar.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # Inside the delay: the health service says NOT_SERVING, calls still work.
    assert bar.call(HEALTH, health_request(""))[1] == NOT_SERVING
    assert bar.call(GET_BAR, b"")[1] == b"\x0a\x03bar"
    assert bar.proc.wait(30) == 0
    bar.channel.close()
    bar.log.close()
    messages = [r["message"] for r in bar.records()]
    assert messages.count("request served") == 3, messages
