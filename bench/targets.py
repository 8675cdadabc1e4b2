"""Everything the benchmark measures, started on 127.0.0.1 free ports and
stopped again, whatever happens:

- FoobarStack: the project's stack as shipped (scripts/stack.py: redis, bar,
  lighttpd + foo, lighttpd + factorial, each under the supervisor);
- StaticServer: lighttpd answering from files (bench/lighttpd/static.conf);
- FlaskServer: bench/python/app.py on Flask's development server, a new gRPC
  channel per request (the common design);
- GunicornServer: the same app under gunicorn, one channel per worker (the
  good design).

Every process is started in a session of its own, so a Ctrl-C reaches only
the benchmark, which then stops each one by its process group id.
"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import sysinfo

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_mod  # noqa: E402

PYTHON = "/usr/bin/python3"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


def http(method, url, body=None, timeout=30):
    """(status, body bytes) of one request; errors come back as statuses."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError as err:
        return None, str(err).encode()


def wait_for(url, expect, proc, log_path, timeout=START_TIMEOUT_S):
    """Waits until GET url answers 200 with body `expect`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}; see {log_path}")
        status, body = http("GET", url, timeout=2)
        if status == 200 and body == expect:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer {expect!r} within {timeout} s; see {log_path}")


def stop_group(proc, sig=signal.SIGTERM, timeout=STOP_TIMEOUT_S):
    """Stops a process started in its own session, then anything left in its group."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(5)
    return proc.returncode


class Server:
    """One process (and its children) started in a session of its own."""

    name = "server"

    def __init__(self, run_dir, port):
        self.run_dir = pathlib.Path(run_dir)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None
        self.log_path = self.run_dir / f"{self.name}.log"
        self._log = None

    def _spawn(self, argv, env=None, cwd=None):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def pids(self):
        """The server's processes (its own and every child)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return sysinfo.descendants(self.proc.pid)

    def dead(self):
        """None while running, else what happened."""
        if self.proc is not None and self.proc.poll() is not None:
            return f"{self.name} exited with {self.proc.returncode}; see {self.log_path}"
        return None

    def stop(self):
        code = stop_group(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


class StaticServer(Server):
    """lighttpd serving bench files: /foo ("foobar") and copies of answers."""

    name = "static"

    def __init__(self, run_dir, port):
        super().__init__(run_dir, port)
        self.root = self.run_dir / "static-root"

    def add_file(self, name, data):
        (self.root / name).write_bytes(data)
        return f"{self.url}/{name}"

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "foo").write_bytes(b"foobar")
        conf = self.run_dir / "static.conf"
        conf.write_text(f'var.port = {self.port}\nvar.root = "{self.root}"\n'
                        f'include "{BENCH / "lighttpd" / "static.conf"}"\n')
        self._spawn(["lighttpd", "-D", "-f", str(conf)])
        wait_for(self.url + "/foo", b"foobar", self.proc, self.log_path)

    def stop(self):
        # SIGINT is lighttpd's graceful stop.
        code = stop_group(self.proc, signal.SIGINT)
        if self._log is not None:
            self._log.close()
        return code


class FlaskServer(Server):
    """The common design: Flask's development server, a channel per request."""

    name = "python-common"

    def __init__(self, run_dir, port, bar_addr):
        super().__init__(run_dir, port)
        self.bar_addr = bar_addr

    def start(self):
        env = dict(os.environ, BAR_ADDR=self.bar_addr, BENCH_CHANNEL="per-request")
        self._spawn([PYTHON, str(BENCH / "python" / "app.py"), f"127.0.0.1:{self.port}"], env)
        wait_for(self.url + "/foo", b"foobar", self.proc, self.log_path)


class GunicornServer(Server):
    """The good design: gunicorn, one worker per core, a channel per worker."""

    def __init__(self, run_dir, port, bar_addr, workers, worker_class="sync", name=None):
        self.name = name or "python-good"
        super().__init__(run_dir, port)
        self.bar_addr = bar_addr
        self.workers = workers
        self.worker_class = worker_class

    def start(self):
        env = dict(os.environ, BAR_ADDR=self.bar_addr, BENCH_CHANNEL="per-process",
                   PYTHONPATH=str(BENCH / "python"))
        argv = [PYTHON, "-m", "gunicorn", "--workers", str(self.workers),
                "--worker-class", self.worker_class, "--bind", f"127.0.0.1:{self.port}",
                "--config", str(BENCH / "python" / "gunicorn_conf.py"),
                "--chdir", str(BENCH / "python")]
        if self.worker_class == "gthread":
            # Threads per worker for the threaded variant (keep-alive capable).
            argv += ["--threads", "4"]
        self._spawn(argv + ["app:app"], env)
        wait_for(self.url + "/foo", b"foobar", self.proc, self.log_path)


class FoobarStack:
    """The project's own stack, release build, as `make dev` starts it.

    The programs are copied into the run directory first, so a rebuild of
    build/bin during a long run cannot change what is being measured.
    """

    name = "stack"

    def __init__(self, run_dir, bin_dir, foo_procs, factorial_procs, max_n=None):
        run_dir = pathlib.Path(run_dir)
        own_bin = run_dir / "bin"
        shutil.copytree(bin_dir, own_bin, dirs_exist_ok=True)
        bin_dir = own_bin
        extra = {"FACTORIAL_MAX_N": str(max_n)} if max_n else {}
        self.stack = stack_mod.Stack(bin_dir=bin_dir, run_dir=run_dir, extra_env=extra)
        # Stack gives both services one worker count; ours are separate knobs.
        self.stack.components["foo"].env["FOO_PROCS"] = str(foo_procs)
        self.stack.components["factorial"].env["FACTORIAL_PROCS"] = str(factorial_procs)
        self.foo_url = self.stack.foo_url
        self.factorial_url = self.stack.factorial_url
        self.bar_addr = self.stack.bar_addr
        self.redis_port = self.stack.ports["redis"]
        self.foo_procs = foo_procs
        self.factorial_procs = factorial_procs

    def start(self):
        self.stack.start()

    def dead(self):
        """None while every component runs, else which one stopped."""
        for name, component in self.stack.components.items():
            if component.proc is not None and component.proc.poll() is not None:
                return (f"{name} exited with {component.proc.returncode} (stopped by someone "
                        f"else?); see {component.log_path}")
        return None

    def pids(self):
        """Every process of the stack, supervisors included."""
        kids = sysinfo.children_map()
        out = []
        for name in self.stack.components:
            sup = self.supervisor_pid(name)
            if sup is not None:
                out += sysinfo.descendants(sup, kids)
        return out

    def supervisor_pid(self, name):
        proc = self.stack.components[name].proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def service_pids(self, name, kids=None):
        """The component's processes below its supervisor (lighttpd + workers, bar...)."""
        sup = self.supervisor_pid(name)
        if sup is None:
            return []
        return [p for p in sysinfo.descendants(sup, kids) if p != sup]

    def workers(self, name):
        """FastCGI worker pids of foo or factorial (children of lighttpd)."""
        kids = sysinfo.children_map()
        sup = self.supervisor_pid(name)
        lighttpd = [p for p in kids.get(sup, []) if sysinfo.comm(p) == "lighttpd"]
        return [p for p in kids.get(lighttpd[0], [])] if lighttpd else []

    def lighttpd_pid(self, name):
        kids = sysinfo.children_map()
        found = [p for p in kids.get(self.supervisor_pid(name), [])
                 if sysinfo.comm(p) == "lighttpd"]
        return found[0] if found else None

    def stop(self):
        codes = {}
        for name in ("foo", "factorial", "bar", "redis"):
            component = self.stack.components[name]
            try:
                codes[name] = component.stop()
            except Exception as err:  # noqa: BLE001 - keep stopping the rest
                codes[name] = f"error: {err}"
            # Whatever the supervisor left behind goes with its group.
            if component.proc is not None:
                stop_group(component.proc, signal.SIGKILL, timeout=1)
        return codes
