#!/usr/bin/python3
"""The whole stack as local processes: redis-server, bar, lighttpd + foo,
lighttpd + factorial, each under the supervisor so every line it writes is a
schema JSON line.

`make dev` runs this in the foreground (`python3 scripts/stack.py`); the
end-to-end tests import Stack and start it on free loopback ports.
"""

import argparse
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent

# How long a component may take to become ready, and to stop.
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 15


def free_port():
    """A TCP port nothing listens on right now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Component:
    """One supervised process of the stack."""

    def __init__(self, name, argv, env, log_path, ready):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.ready = ready
        self.proc = None
        self.log = None

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        # A session of its own: Ctrl-C reaches only us, and we stop the
        # components in order.
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=ROOT)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=START_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} while "
                                   f"starting; see {self.log_path}")
            if self.ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log_path}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, as Docker and Kubernetes send it; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
            raise RuntimeError(f"{self.name} did not stop within {timeout} s")
        finally:
            self.log.close()
        return code


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status == 200
    except OSError:
        return False


def command_ok(argv):
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=5, check=False).returncode == 0


class Stack:
    """redis, bar, foo and factorial on 127.0.0.1, logs in run_dir."""

    def __init__(self, bin_dir=None, run_dir=None, ports=None, procs=2, extra_env=None):
        self.bin_dir = pathlib.Path(bin_dir or ROOT / "build" / "bin").resolve()
        self.run_dir = pathlib.Path(run_dir or tempfile.mkdtemp(prefix="foobar-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ports = ports or {}
        self.ports = {name: ports.get(name) or free_port()
                      for name in ("redis", "bar", "foo", "factorial")}
        self.foo_url = f"http://127.0.0.1:{self.ports['foo']}"
        self.factorial_url = f"http://127.0.0.1:{self.ports['factorial']}"
        self.bar_addr = f"127.0.0.1:{self.ports['bar']}"
        self.redis_addr = f"127.0.0.1:{self.ports['redis']}"
        self.components = {}
        self._define(procs, extra_env or {})

    def _supervised(self, service, argv, stop_signal="TERM"):
        return [str(self.bin_dir / "supervisor"), "--service", service,
                "--stop-signal", stop_signal, "--"] + argv

    def _define(self, procs, extra_env):
        base = dict(os.environ)
        base.update({"FOOBAR_BIN_DIR": str(self.bin_dir), "FOOBAR_RUN_DIR": str(self.run_dir)})
        base.update(extra_env)
        redis_port = str(self.ports["redis"])
        self.components["redis"] = Component(
            "redis",
            self._supervised("redis", [
                "redis-server", "--port", redis_port, "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--maxmemory", "256mb",
                "--maxmemory-policy", "allkeys-lru", "--dir", str(self.run_dir)]),
            base, self.run_dir / "redis.log",
            lambda: command_ok(["redis-cli", "-p", redis_port, "ping"]))
        self.components["bar"] = Component(
            "bar", self._supervised("bar", [str(self.bin_dir / "bar")]),
            dict(base, BAR_LISTEN=self.bar_addr), self.run_dir / "bar.log",
            lambda: command_ok([str(self.bin_dir / "bar-healthcheck"), self.bar_addr]))
        self.components["foo"] = Component(
            "foo",
            self._supervised("foo", ["lighttpd", "-D", "-f", str(ROOT / "lighttpd/foo.conf")],
                             "INT"),
            dict(base, BAR_ADDR=self.bar_addr, FOO_LISTEN=f"127.0.0.1:{self.ports['foo']}",
                 FOO_PROCS=str(procs)),
            self.run_dir / "foo.log", lambda: http_ok(self.foo_url + "/healthz"))
        self.components["factorial"] = Component(
            "factorial",
            self._supervised("factorial",
                             ["lighttpd", "-D", "-f", str(ROOT / "lighttpd/factorial.conf")],
                             "INT"),
            dict(base, REDIS_ADDR=self.redis_addr,
                 FACTORIAL_LISTEN=f"127.0.0.1:{self.ports['factorial']}",
                 FACTORIAL_PROCS=str(procs)),
            self.run_dir / "factorial.log", lambda: http_ok(self.factorial_url + "/healthz"))

    def start(self):
        try:
            for name in ("redis", "bar", "foo", "factorial"):
                self.components[name].start()
        except Exception:
            self.stop()
            raise

    def stop(self):
        """Stops front to back; returns {name: exit code}."""
        codes = {}
        for name in ("foo", "factorial", "bar", "redis"):
            codes[name] = self.components[name].stop()
        return codes

    def log_files(self):
        return [c.log_path for c in self.components.values()]


# make dev starts a process that exits again, as compose's restart policy
# does: after RESTART_DELAY_S, doubling while it keeps failing, up to
# RESTART_DELAY_MAX_S; a process that ran RESTART_RESET_S counts as healthy.
RESTART_DELAY_S = 3
RESTART_DELAY_MAX_S = 30
RESTART_RESET_S = 60


def say(message):
    """make dev's own messages go to stderr; stdout carries only log lines."""
    print(f"make dev: {message}", file=sys.stderr, flush=True)


def env_number(name, default, low, high):
    text = os.environ.get(name, str(default))
    if not text.isdigit() or not low <= int(text) <= high:
        sys.exit(f"make dev: {name}={text!r} is not a number from {low} to {high}")
    return int(text)


def port_taken(port):
    """True when something listens on 127.0.0.1:port (or on every address).
    SO_REUSEADDR, as the servers set it: a port in TIME_WAIT is not taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def main():
    parser = argparse.ArgumentParser(description="Run the stack as local processes.")
    parser.add_argument("--bin-dir", default=str(ROOT / "build" / "bin"))
    args = parser.parse_args()

    for tool in ("lighttpd", "redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit(f"make dev: {tool} not found: run scripts/install-deps.sh (or make deps)")
    ports = {name: env_number(var, default, 1, 65535) for name, var, default in (
        ("foo", "FOO_PORT", 8080), ("factorial", "FACTORIAL_PORT", 8081),
        ("bar", "BAR_PORT", 50051), ("redis", "REDIS_PORT", 6379))}
    procs = env_number("DEV_PROCS", 2, 1, 64)
    # Each readiness check would be answered by whatever holds its port.
    variables = {"foo": "FOO_PORT", "factorial": "FACTORIAL_PORT", "bar": "BAR_PORT",
                 "redis": "REDIS_PORT"}
    if len(set(ports.values())) < len(ports):
        sys.exit(f"make dev: two services on one port: {ports}")
    for name, port in ports.items():
        if port_taken(port):
            sys.exit(f"make dev: port {port} ({variables[name]}, {name}) is in use on 127.0.0.1:"
                     f" stop what holds it, or set {variables[name]}")
    stack = Stack(bin_dir=args.bin_dir, ports=ports, procs=procs)
    # Logs go to stdout, one JSON line each, as in a container.
    for component in stack.components.values():
        component.log_path = pathlib.Path("/dev/stdout")

    interrupted = False

    def on_signal(signum, frame):
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
    except RuntimeError as err:
        # stack.start() has stopped what it started; the failing process's
        # own log lines (its reason) are on stdout above.
        shutil.rmtree(stack.run_dir, ignore_errors=True)
        sys.exit(f"make dev: {str(err).split('; see ')[0]}: its log lines say why")
    say(f"the stack is up\n\n"
        f"  foo        {stack.foo_url}/foo\n"
        f"  factorial  {stack.factorial_url}/factorial   (POST {{\"number\": 123}})\n"
        f"  bar        {stack.bar_addr} (gRPC)\n"
        f"  redis      {stack.redis_addr}\n\n"
        f"  A process that exits is started again after {RESTART_DELAY_S} s or more.\n"
        f"  Ctrl-C stops everything.\n")

    started = {name: time.monotonic() for name in stack.components}
    delays = {name: RESTART_DELAY_S for name in stack.components}
    restart_at = {}
    while not interrupted:
        now = time.monotonic()
        for name, component in stack.components.items():
            if name in restart_at:
                if now >= restart_at[name]:
                    del restart_at[name]
                    say(f"starting {name} again")
                    component.log.close()
                    component.start(wait=False)
                    started[name] = now
            elif not component.running():
                if now - started[name] >= RESTART_RESET_S:
                    delays[name] = RESTART_DELAY_S
                say(f"{name} exited with {component.proc.returncode}; "
                    f"starting it again in {delays[name]} s")
                restart_at[name] = now + delays[name]
                delays[name] = min(delays[name] * 2, RESTART_DELAY_MAX_S)
        time.sleep(0.2)
    codes = stack.stop()
    shutil.rmtree(stack.run_dir, ignore_errors=True)
    failed = {name: code for name, code in codes.items() if code != 0}
    if failed:
        say(f"exit codes other than 0: {failed}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
