"""The small programs around the services: the health checks Docker and
Kubernetes run (http-healthcheck, bar-healthcheck), against the real stack
and against servers that misbehave, and the supervisor's options."""

import os
import socket
import subprocess
import time

import pytest

from conftest import BIN_DIR, Listener
import stack as stack_mod


def run_check(program, *args, timeout_ms=None, limit=10):
    env = dict(os.environ)
    if timeout_ms is not None:
        env["HTTP_HEALTHCHECK_TIMEOUT_MS"] = str(timeout_ms)
        env["BAR_HEALTHCHECK_TIMEOUT_MS"] = str(timeout_ms)
    return subprocess.run([str(BIN_DIR / program), *args], env=env, capture_output=True,
                          text=True, timeout=limit, check=False)


def test_http_check_passes_on_a_healthy_service(stack):
    for url in (stack.foo_url, stack.factorial_url):
        proc = run_check("http-healthcheck", url.removeprefix("http://"))
        assert proc.returncode == 0, proc.stdout


def test_http_check_fails_on_a_missing_path_and_a_closed_port(stack):
    proc = run_check("http-healthcheck", stack.foo_url.removeprefix("http://"), "/nowhere")
    assert proc.returncode == 1 and '"status":404' in proc.stdout, proc.stdout
    proc = run_check("http-healthcheck", f"127.0.0.1:{stack_mod.free_port()}")
    assert proc.returncode == 1, proc.stdout


@pytest.mark.parametrize("args", [["bar"], [":8080"], ["127.0.0.1:8080", "healthz"],
                                  ["127.0.0.1:8080", "/a b"], ["a:1", "/", "extra"]])
def test_http_check_refuses_bad_arguments(args):
    assert run_check("http-healthcheck", *args).returncode == 2


def test_http_check_has_one_deadline_for_a_server_that_trickles():
    # One byte every 100 ms, never a full status line: each read is quick,
    # so only a deadline over the whole check ends it.
    def trickle(conn, stop):
        for _ in range(600):
            if stop.is_set():
                return
            conn.sendall(b"H")
            time.sleep(0.1)

    server = Listener(trickle)
    try:
        started = time.monotonic()
        proc = run_check("http-healthcheck", f"127.0.0.1:{server.port}", timeout_ms=500, limit=20)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert proc.returncode == 1, proc.stdout
    # Far below the 6 s per-read timeouts would allow (60 reads), and far above noise.
    assert elapsed < 4, elapsed


def test_http_check_brackets_an_ipv6_host():
    def answer(conn, stop):
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")

    try:
        server = Listener(answer, socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        proc = run_check("http-healthcheck", f"[::1]:{server.port}")
    finally:
        server.close()
    assert proc.returncode == 0, proc.stdout
    assert b"\r\nHost: [::1]\r\n" in server.requests[0], server.requests


def test_bar_check_passes_on_bar_and_fails_elsewhere(stack):
    proc = run_check("bar-healthcheck", stack.bar_addr)
    assert proc.returncode == 0, proc.stdout
    # foo speaks HTTP/1.1, not gRPC: the check must fail, and in time.
    proc = run_check("bar-healthcheck", stack.foo_url.removeprefix("http://"), timeout_ms=500)
    assert proc.returncode != 0, proc.stdout
    assert run_check("bar-healthcheck", ":50051").returncode == 2


@pytest.mark.parametrize("drain", ["", "5ms", "-1", "+5", " 5", "600001", "99999999999999999999"])
def test_supervisor_refuses_a_bad_drain_time(drain):
    proc = subprocess.run([str(BIN_DIR / "supervisor"), "--service", "x", "--drain-ms", drain,
                           "--", "true"], capture_output=True, text=True, timeout=10, check=False)
    assert proc.returncode == 2 and "usage" in proc.stderr, (proc.returncode, proc.stderr)


def test_supervisor_runs_with_a_good_drain_time():
    proc = subprocess.run([str(BIN_DIR / "supervisor"), "--service", "x", "--drain-ms", "0",
                           "--", "sh", "-c", "echo hello"],
                          capture_output=True, text=True, timeout=10, check=False)
    assert proc.returncode == 0 and '"text":"hello"' in proc.stdout, proc.stdout
