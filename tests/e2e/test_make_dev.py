"""make dev's runner (scripts/stack.py): the stack as local processes on the
ports the user picks, its stdout only schema JSON lines, Ctrl-C stopping
everything; and a clear refusal when a port is taken."""

import os
import signal
import socket
import subprocess
import sys
import time

from conftest import BIN_DIR, ROOT, request
import logcheck
import stack as stack_mod


def dev_env(ports):
    env = dict(os.environ, DEV_PROCS="1")
    for var, port in ports.items():
        env[var] = str(port)
    return env


def free_ports():
    names = ("FOO_PORT", "FACTORIAL_PORT", "BAR_PORT", "REDIS_PORT")
    ports = set()
    while len(ports) < len(names):
        ports.add(stack_mod.free_port())
    return dict(zip(names, sorted(ports)))


def run_dev(env):
    return subprocess.Popen([sys.executable, str(ROOT / "scripts/stack.py"), "--bin-dir",
                             str(BIN_DIR)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_dev_refuses_a_port_in_use():
    ports = free_ports()
    with socket.socket() as held:
        held.bind(("127.0.0.1", ports["FACTORIAL_PORT"]))
        held.listen(1)
        proc = run_dev(dev_env(ports))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert f"port {ports['FACTORIAL_PORT']} (FACTORIAL_PORT" in err, err
    assert "the stack is up" not in err and out == ""


def test_dev_refuses_two_services_on_one_port():
    ports = free_ports()
    ports["BAR_PORT"] = ports["FOO_PORT"]
    proc = run_dev(dev_env(ports))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "two services on one port" in err, err


def test_dev_runs_the_stack_and_ctrl_c_stops_it():
    ports = free_ports()
    proc = run_dev(dev_env(ports))
    try:
        deadline = time.monotonic() + 60
        foo = f"http://127.0.0.1:{ports['FOO_PORT']}/foo"
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if request("GET", foo, timeout=2).body == "foobar":
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert request("GET", foo, headers={"X-Request-ID": "dev-test-1"}).body == "foobar"
        resp = request("POST", f"http://127.0.0.1:{ports['FACTORIAL_PORT']}/factorial",
                       '{"number": 10}', {"Content-Type": "application/json"})
        assert resp.json()["factorial"] == "3628800"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "the stack is up" in err
    records = logcheck.parse_lines(out.splitlines(), "make dev stdout")
    assert {r["service"] for r in records} >= {"foo", "bar", "factorial", "redis"}
    assert any(r.get("request_id") == "dev-test-1" and r["service"] == "bar" for r in records)
