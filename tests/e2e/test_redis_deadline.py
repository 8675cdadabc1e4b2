"""REDIS_TIMEOUT_MS bounds a whole command, send to last byte of the reply,
against a Redis that answers one byte at a time (hiredis' socket timeout
alone is per read, and would wait for it as long as it trickles)."""

import json
import os
import socket
import subprocess
import time

from conftest import BIN_DIR, ROOT, Listener, request
import logcheck
import stack as stack_mod


def trickle_ok(conn, stop):
    """A Redis that answers every command with +OK, one byte every 150 ms
    (run by Listener, which has read the first command already)."""
    pending = True
    while not stop.is_set():
        if pending:
            for byte in b"+OK\r\n":
                if stop.wait(0.15):
                    return
                conn.sendall(bytes([byte]))
        try:
            pending = bool(conn.recv(65536))
        except socket.timeout:
            continue
        if not pending:
            return


def test_a_trickling_redis_costs_a_request_the_command_timeout(tmp_path):
    redis = Listener(trickle_ok)
    port = stack_mod.free_port()
    env = dict(os.environ, FOOBAR_BIN_DIR=str(BIN_DIR), FOOBAR_RUN_DIR=str(tmp_path),
               FACTORIAL_LISTEN=f"127.0.0.1:{port}", FACTORIAL_PROCS="1",
               REDIS_ADDR=f"127.0.0.1:{redis.port}", REDIS_TIMEOUT_MS="300")
    log_path = tmp_path / "factorial.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(BIN_DIR / "supervisor"), "--service", "factorial", "--stop-signal", "INT", "--",
             "lighttpd", "-D", "-f", str(ROOT / "lighttpd/factorial.conf")],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if request("GET", url + "/healthz", timeout=2).status == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            timings = []
            for n in (10, 11, 12):
                started = time.monotonic()
                resp = request("POST", url + "/factorial", json.dumps({"number": n}),
                               {"Content-Type": "application/json"}, timeout=30)
                timings.append(time.monotonic() - started)
                assert resp.status == 200 and resp.json()["cached"] is False, resp.body
                time.sleep(2.2)  # past the reconnect backoff: each request meets Redis
        finally:
            proc.send_signal(2)
            code = proc.wait(30)
            redis.close()
    assert code == 0
    # One timed-out command (300 ms) per request; the old per-read timeout
    # let each of four commands take 750 ms.
    assert max(timings) < 1.5, timings
    records = logcheck.parse_lines(log_path.read_text().splitlines(), "factorial")
    down = [r for r in records if r["message"] == "redis unavailable"]
    assert down and "no whole reply within 300 ms" in down[0]["error"], down
