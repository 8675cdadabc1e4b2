#!/usr/bin/python3
"""The foobar benchmark: starts everything it measures on 127.0.0.1, drives
it with wrk, and writes <date>.json, <date>.md and <date>.png.

    make bench                                  everything (about half an hour)
    make bench ONLY=foo ROUNDS=2 DURATION=5     one part, quickly
    make bench-soak SOAK_SECONDS=120            the memory soak alone

Parts (ONLY=a,b,...; default all):
    foo      foo vs lighttpd's static "foobar"            (saturation)
    python   foo vs the Python designs, good and common   (saturation)
    cached   factorial's cached answers vs static files   (saturation)
    cold     factorial's cold path vs GMP in-process      (sequential), and
             concurrent identical misses (computed once?)
    latency  foo's latency percentiles vs offered load, p99 at half saturation
    profile  CPU per process during foo's and factorial's runs; syscalls per request
    soak     foo and factorial at half saturation, RSS and Redis memory over time

Saturation targets are measured in rounds, each round every target once, the
order reversed every other round (A B C, C B A, ...), so a drift of the
machine hits both sides of a ratio alike; ratios are medians of per-round
ratios. Settings come from the environment (make passes them through); see
Settings below and docs/performance.md.
"""

import argparse
import json
import os
import pathlib
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import loadgen
import report
import sysinfo
import targets
from loadgen import median

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent

PARTS = ("foo", "python", "cached", "cold", "latency", "profile", "soak")

# (N, sequential requests per round) of the cold path.
COLD_CASES = ((1000, 20), (10000, 10), (100000, 5), (1000000, 3))
COLD_MAX_N = 1000000

# Offered load of the latency sweeps, as fractions of the measured saturation.
FOO_SWEEP = (0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1)
PY_SWEEP = (0.25, 0.5, 0.75, 0.9, 1.0, 1.1)

# A run whose failed requests exceed this share is flagged in the results.
MAX_ERROR_SHARE = 0.01


def env_int(name, default, low=0, high=10**9):
    text = os.environ.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        sys.exit(f"bench: {name}={text!r} is not a whole number")
    if not low <= value <= high:
        sys.exit(f"bench: {name}={value} is not between {low} and {high}")
    return value


class Settings:
    """Every knob, from the environment, with the defaults documented here."""

    def __init__(self):
        cores = os.cpu_count() or 1
        only = os.environ.get("ONLY", "all").replace(" ", ",")
        self.parts = PARTS if only in ("", "all") else tuple(p for p in only.split(",") if p)
        unknown = [p for p in self.parts if p not in PARTS]
        if unknown:
            sys.exit(f"bench: unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
        self.full = set(self.parts) == set(PARTS)
        self.rounds = env_int("ROUNDS", 5, 1, 100)           # alternating rounds
        self.duration = env_int("DURATION", 10, 1, 3600)     # seconds per wrk run
        self.warmup = env_int("WARMUP", 2, 0, 600)           # seconds per target, once
        self.threads = env_int("THREADS", 1, 1, 64)          # wrk threads, closed loop
        self.connections = env_int("CONNECTIONS", 16, 1, 1024)
        self.foo_procs = env_int("FOO_PROCS", 4, 1, 64)      # as shipped (config.sh)
        self.factorial_procs = env_int("FACTORIAL_PROCS", 4, 1, 64)
        self.py_workers = env_int("PY_GOOD_WORKERS", cores, 1, 64)
        self.py_worker_class = os.environ.get("PY_GOOD_WORKER_CLASS", "sync")
        self.soak_seconds = env_int("SOAK_SECONDS", 300, 10, 86400)
        self.soak_interval = env_int("SOAK_INTERVAL", 5, 1, 600)
        self.strace_requests = env_int("STRACE_REQUESTS", 2000, 10, 10**6)
        # Before each measurement, wait (within a budget) until processes we did
        # not start use at most QUIET_CORES: the machine may be shared.
        self.quiet_cores = float(os.environ.get("QUIET_CORES") or 0.25)
        self.quiet_wait = env_int("QUIET_WAIT", 60, 0, 3600)      # per measurement
        self.quiet_budget = env_int("QUIET_BUDGET", 900, 0, 86400)  # per run
        self.keep = os.environ.get("KEEP", "0") == "1"       # keep logs and run dir
        default_out = ROOT / ("bench/results" if self.full else "build/bench")
        self.out_dir = pathlib.Path(os.environ.get("OUT_DIR") or default_out)
        self.bin_dir = pathlib.Path(os.environ.get("BIN_DIR") or ROOT / "build" / "bin")

    def as_dict(self):
        return {"parts": list(self.parts), "rounds": self.rounds, "duration_s": self.duration,
                "warmup_s": self.warmup, "wrk_threads": self.threads,
                "wrk_connections": self.connections, "foo_procs": self.foo_procs,
                "factorial_procs": self.factorial_procs,
                "python_good_workers": self.py_workers,
                "python_good_worker_class": self.py_worker_class,
                "soak_seconds": self.soak_seconds, "soak_interval_s": self.soak_interval,
                "strace_requests": self.strace_requests, "quiet_cores": self.quiet_cores,
                "quiet_wait_s": self.quiet_wait, "quiet_budget_s": self.quiet_budget,
                "bin_dir": str(self.bin_dir)}


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Target:
    """One thing a saturation run drives: a URL, a method and a body."""

    def __init__(self, name, url, method="GET", body=None, check=None):
        self.name = name
        self.url = url
        self.method = method
        self.body = body
        self.check = check  # function(status, body) -> error text or None

    def verify(self):
        status, body = targets.http(self.method, self.url, self.body)
        problem = self.check(status, body) if self.check else (
            None if status == 200 else f"status {status}")
        if problem:
            raise RuntimeError(f"{self.name}: wrong answer from {self.url}: {problem}")


def expect_body(expected):
    def check(status, body):
        if status != 200 or body != expected:
            return f"status {status}, body {body[:80]!r}"
        return None
    return check


def expect_factorial(number, digits, cached):
    def check(status, body):
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        answer = json.loads(body)
        if (answer.get("number") != number or len(answer.get("factorial", "")) != digits
                or answer.get("cached") is not cached):
            return (f"number {answer.get('number')}, {len(answer.get('factorial', ''))} "
                    f"digits, cached {answer.get('cached')}")
        return None
    return check


def run_flagged(res):
    """A note when a run had failed requests beyond MAX_ERROR_SHARE."""
    total = max(res["requests"], 1)
    if res["error_count"] > MAX_ERROR_SHARE * total:
        return f"{res['error_count']} errors in {res['requests']} requests: {res['errors']}"
    return None


class CpuMeter:
    """CPU used during a block: the machine's, ours (every server we started),
    wrk's (reaped children) and everybody else's, in cores."""

    def __init__(self, servers):
        self.servers = servers
        self.result = None

    def _ours(self):
        pids = [p for server in self.servers for p in server.pids()]
        return {p: sysinfo.cpu_seconds(p) for p in pids}

    def __enter__(self):
        # Every measurement goes through here: refuse to measure a dead target.
        for server in self.servers:
            problem = server.dead()
            if problem:
                raise RuntimeError(f"cannot measure: {problem}")
        self.before = self._ours()
        self.busy0, _ = sysinfo.machine_busy_seconds()
        self.ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        wall = max(time.monotonic() - self.t0, 1e-6)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy1, _ = sysinfo.machine_busy_seconds()
        ours = 0.0
        for pid, before in self.before.items():
            after = sysinfo.cpu_seconds(pid)
            if before is not None and after is not None:
                ours += after - before
        wrk_cpu = (ru1.ru_utime - self.ru0.ru_utime) + (ru1.ru_stime - self.ru0.ru_stime)
        busy = busy1 - self.busy0
        self.result = {"busy_cores": round(busy / wall, 3), "ours_cores": round(ours / wall, 3),
                       "wrk_cores": round(wrk_cpu / wall, 3),
                       "other_cores": round(max(0.0, busy - ours - wrk_cpu) / wall, 3)}
        return False


class QuietGate:
    """Waits, before a measurement, until other processes are quiet enough.

    Bounded twice: QUIET_WAIT seconds per measurement, QUIET_BUDGET seconds
    for the whole run; what was waited is recorded with each measurement.
    """

    def __init__(self, servers, settings):
        self.servers = servers
        self.limit = settings.quiet_cores
        self.per_wait = settings.quiet_wait
        self.budget = settings.quiet_budget
        self.total = 0.0
        self.timeouts = 0

    def wait(self):
        if self.limit <= 0 or self.per_wait <= 0:
            return 0.0
        start = time.monotonic()
        while True:
            with CpuMeter(self.servers) as meter:
                time.sleep(1.0)
            waited = time.monotonic() - start
            if meter.result["other_cores"] <= self.limit:
                break
            if waited >= self.per_wait or self.total + waited >= self.budget:
                self.timeouts += 1
                say(f"  machine still busy (other processes "
                    f"{meter.result['other_cores']:.2f} cores); measuring anyway")
                break
        self.total += waited
        return round(waited, 1)


# --- saturation ---------------------------------------------------------------


def saturation(wrk, tlist, settings, servers, gate):
    """Every target once per round, order reversed every other round."""
    if settings.warmup:
        for t in tlist:
            say(f"warm-up {t.name} ({settings.warmup} s)")
            wrk.closed(t.url, settings.warmup, t.method, t.body)
    runs = {t.name: [] for t in tlist}
    for r in range(settings.rounds):
        order = tlist if r % 2 == 0 else list(reversed(tlist))
        for t in order:
            waited = gate.wait()
            with CpuMeter(servers) as meter:
                res = wrk.closed(t.url, settings.duration, t.method, t.body)
            flag = run_flagged(res)
            runs[t.name].append({"round": r + 1, "rps": round(res["rps"], 1),
                                 "requests": res["requests"], "errors": res["errors"],
                                 "latency_us": res["latency_us"], "cpu": meter.result,
                                 "waited_for_quiet_s": waited, "flag": flag})
            say(f"round {r + 1}/{settings.rounds} {t.name}: {res['rps']:.0f} req/s "
                f"(other processes {meter.result['other_cores']:.2f} cores)"
                + (f"  ! {flag}" if flag else ""))
    out = {}
    for name, lst in runs.items():
        rps = [x["rps"] for x in lst]
        out[name] = {"rps_median": median(rps), "rps_min": min(rps), "rps_max": max(rps),
                     "other_cores_median": median([x["cpu"]["other_cores"] for x in lst]),
                     "runs": lst}
    return out


def round_ratios(thru, ours, theirs):
    """Per-round ratios ours/theirs and their median."""
    if ours not in thru or theirs not in thru:
        return None
    per = [a["rps"] / b["rps"] for a, b in zip(thru[ours]["runs"], thru[theirs]["runs"])
           if b["rps"]]
    return {"median": median(per), "per_round": [round(x, 4) for x in per],
            "ours": ours, "theirs": theirs}


# --- cold path ----------------------------------------------------------------


def build_gmp_fixture(run_dir):
    """Compiles bench/gmp_factorial.c with the project's release flags."""
    out = pathlib.Path(run_dir) / "gmp_factorial"
    flags = subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(ROOT), "SANITIZE=0",
         "bench-print-flags"],
        capture_output=True, text=True, timeout=60, check=True).stdout.split("\n")
    cflags, ldflags = flags[0].split(), flags[1].split()
    cmd = (["cc"] + cflags + [str(BENCH / "gmp_factorial.c"), "-o", str(out)] + ldflags
           + ["-lgmp"])
    subprocess.run(cmd, check=True, timeout=120, cwd=ROOT)
    return out, " ".join(cmd)


def cold_path(wrk, stack, fixture, settings, gate):
    url = stack.factorial_url + "/factorial"
    out = {}
    for n, k in COLD_CASES:
        body = json.dumps({"number": n, "force": True})
        http_s, gmp_s, per_round = [], [], []
        for r in range(settings.rounds):
            got = {}
            steps = ("http", "gmp") if r % 2 == 0 else ("gmp", "http")
            for step in steps:
                gate.wait()
                if step == "http":
                    res = wrk.count(url, k, "POST", body, timeout_s=120)
                    got["http"] = [ms / 1000 for ms in res["raw_ms_list"]]
                else:
                    text = subprocess.run([str(fixture), str(n), str(k)], capture_output=True,
                                          text=True, timeout=600, check=True).stdout
                    got["gmp"] = json.loads(text)["seconds"]
            http_s += got["http"]
            gmp_s += got["gmp"]
            per_round.append(median(got["http"]) / median(got["gmp"]))
            say(f"cold N={n} round {r + 1}: HTTP {median(got['http']) * 1000:.2f} ms, "
                f"GMP {median(got['gmp']) * 1000:.2f} ms")
        out[str(n)] = {
            "requests_per_round": k,
            "http_median_ms": median(http_s) * 1000, "http_best_ms": min(http_s) * 1000,
            "gmp_median_ms": median(gmp_s) * 1000, "gmp_best_ms": min(gmp_s) * 1000,
            "ratio": median(http_s) / median(gmp_s),
            "ratio_per_round": [round(x, 4) for x in per_round],
            "http_ms": [round(x * 1000, 3) for x in http_s],
            "gmp_ms": [round(x * 1000, 3) for x in gmp_s],
        }
    return out


def coalesced_misses(stack, settings, gate, n=100000, k=4):
    """k concurrent requests for one uncached N: how many computed it, and the
    wall time of the batch against one request alone (not a goal; the effect
    of computing concurrent identical misses once)."""
    import concurrent.futures
    url = stack.factorial_url + "/factorial"
    body = json.dumps({"number": n})
    alone, batch, computed = [], [], []
    with concurrent.futures.ThreadPoolExecutor(k) as pool:
        for r in range(settings.rounds):
            for step in (("alone", "batch") if r % 2 == 0 else ("batch", "alone")):
                gate.wait()
                subprocess.run(["redis-cli", "-p", str(stack.redis_port), "DEL",
                                f"factorial:{n}"], capture_output=True, timeout=10, check=True)
                width = 1 if step == "alone" else k
                t0 = time.monotonic()
                answers = list(pool.map(lambda _: targets.http("POST", url, body, 120),
                                        range(width)))
                wall = time.monotonic() - t0
                if any(status != 200 for status, _ in answers):
                    raise RuntimeError(f"coalesce: statuses {[a[0] for a in answers]}")
                fresh = sum(json.loads(b)["cached"] is False for _, b in answers)
                if step == "alone":
                    alone.append(wall)
                else:
                    batch.append(wall)
                    computed.append(fresh)
            say(f"{k} concurrent misses of N={n} round {r + 1}: batch {batch[-1] * 1000:.1f} ms, "
                f"computed {computed[-1]}x; one alone {alone[-1] * 1000:.1f} ms")
    return {"number": n, "concurrent": k,
            "alone_median_ms": median(alone) * 1000, "batch_median_ms": median(batch) * 1000,
            "batch_vs_alone": median(batch) / median(alone),
            "computations_per_batch": computed}


# --- latency --------------------------------------------------------------------


def paced_point(wrk, url, rate, duration, servers, gate):
    waited = gate.wait()
    with CpuMeter(servers) as meter:
        res = wrk.paced(url, rate, duration)
    return {"offered_rps": rate, "achieved_rps": round(res["rps"], 1),
            "corrected_ms": res["corrected_ms"], "raw_ms": res["raw_ms"],
            "failed": res["failed"] + res["error_count"], "cpu": meter.result,
            "waited_for_quiet_s": waited}


def sweep(wrk, url, sat, fractions, duration, servers, gate):
    points = []
    for f in fractions:
        point = paced_point(wrk, url, max(1, round(sat * f)), duration, servers, gate)
        point["fraction"] = f
        points.append(point)
        c = point["corrected_ms"]
        say(f"  {point['offered_rps']} req/s offered, {point['achieved_rps']:.0f} achieved: "
            f"p50 {_fmt(c['p50'])} p90 {_fmt(c['p90'])} p99 {_fmt(c['p99'])} ms "
            f"(other processes {point['cpu']['other_cores']:.2f} cores)")
    return points


def _fmt(x):
    return "-" if x is None else f"{x:.2f}"


def latency(wrk, foo_url, py_url, sat_foo, sat_py, settings, servers, gate):
    out = {"foo": {"saturation_rps": sat_foo, "points": []}}
    say(f"latency sweep of foo (saturation {sat_foo:.0f} req/s)")
    out["foo"]["points"] = sweep(wrk, foo_url, sat_foo, FOO_SWEEP, settings.duration, servers,
                                 gate)
    if py_url and sat_py:
        say(f"latency sweep of python good (saturation {sat_py:.0f} req/s)")
        out["python_good"] = {"saturation_rps": sat_py,
                              "points": sweep(wrk, py_url, sat_py, PY_SWEEP, settings.duration,
                                              servers, gate)}
    rate = max(1, round(sat_foo / 2))
    runs = []
    for r in range(settings.rounds):
        point = paced_point(wrk, foo_url, rate, settings.duration, servers, gate)
        runs.append(point)
        say(f"half saturation round {r + 1}: {rate} req/s, p99 "
            f"{_fmt(point['corrected_ms']['p99'])} ms (uncorrected "
            f"{_fmt(point['raw_ms']['p99'])}; other processes "
            f"{point['cpu']['other_cores']:.2f} cores)")
    out["half_saturation"] = {
        "offered_rps": rate, "runs": runs,
        "other_cores_median": median([x["cpu"]["other_cores"] for x in runs]),
        "p99_ms": median([x["corrected_ms"]["p99"] for x in runs]),
        "p99_raw_ms": median([x["raw_ms"]["p99"] for x in runs]),
        "p50_ms": median([x["corrected_ms"]["p50"] for x in runs]),
        "p90_ms": median([x["corrected_ms"]["p90"] for x in runs]),
    }
    return out


# --- profile ----------------------------------------------------------------------


def process_groups(stack, extra_servers):
    """{label: [pid, ...]} of every process we started, grouped for reading."""
    kids = sysinfo.children_map()
    groups = {}
    for name in ("foo", "factorial"):
        sup = stack.supervisor_pid(name)
        pids = stack.service_pids(name, kids)
        groups[f"supervisor ({name})"] = [sup] if sup else []
        groups[f"lighttpd ({name})"] = [p for p in pids if sysinfo.comm(p) == "lighttpd"]
        groups[f"{name} workers"] = [p for p in pids if sysinfo.comm(p) != "lighttpd"]
    for name in ("bar", "redis"):
        sup = stack.supervisor_pid(name)
        groups[name] = stack.service_pids(name, kids)
        groups[f"supervisor ({name})"] = [sup] if sup else []
    for server in extra_servers:
        groups[server.name] = server.pids()
    return groups


def cpu_breakdown(wrk, target, stack, extra_servers, duration):
    """CPU seconds (user and system) per process group during one closed-loop run."""
    groups = process_groups(stack, extra_servers)
    before = {p: sysinfo.cpu_times(p) for pids in groups.values() for p in pids}
    switches0 = {p: sysinfo.context_switches(p) for p in before}
    busy0, total0 = sysinfo.machine_busy_seconds()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    res = wrk.closed(target.url, duration, target.method, target.body)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = sysinfo.machine_busy_seconds()
    after = {p: sysinfo.cpu_times(p) for p in before}
    switches1 = {p: sysinfo.context_switches(p) for p in before}
    rows = {}
    switches = {}
    ours = 0.0
    for label, pids in groups.items():
        user = system = 0.0
        count = 0
        for p in pids:
            if before[p] is not None and after[p] is not None:
                user += after[p][0] - before[p][0]
                system += after[p][1] - before[p][1]
            if switches0[p] is not None and switches1[p] is not None:
                count += switches1[p] - switches0[p]
        ours += user + system
        if (user + system) / wall >= 0.002:
            rows[label] = (user, system)
            switches[label] = count
    rows["wrk (load generator)"] = (ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime)
    wrk_cpu = sum(rows["wrk (load generator)"])
    machine_busy = busy1 - busy0
    rows["everything else on the machine"] = (max(0.0, machine_busy - ours - wrk_cpu), None)
    requests = max(res["requests"], 1)

    def row(label, user, system):
        used = user + (system or 0.0)
        out = {"cores": round(used / wall, 3),
               "us_per_request": round(used / requests * 1e6, 1)}
        if system is not None:
            out["user_us_per_request"] = round(user / requests * 1e6, 1)
            out["system_us_per_request"] = round(system / requests * 1e6, 1)
        if label in switches:
            out["context_switches_per_request"] = round(switches[label] / requests, 2)
        return out

    return {
        "target": target.name, "rps": round(res["rps"], 1), "wall_s": round(wall, 2),
        "machine_busy_cores": round(machine_busy / wall, 3),
        "machine_cores": round((total1 - total0) / wall, 2),
        "processes": {label: row(label, *times) for label, times in
                      sorted(rows.items(), key=lambda kv: -(kv[1][0] + (kv[1][1] or 0)))},
    }


def parse_strace(path):
    """{syscall: (calls, errors)} from an `strace -c` summary."""
    calls = {}
    if not path.exists():
        return calls
    in_table = False
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("------"):
            in_table = not in_table if not calls else False
            continue
        parts = line.split()
        if not in_table or len(parts) < 5 or parts[-1] == "total":
            continue
        try:
            count = int(parts[3])
            errors = int(parts[4]) if len(parts) == 6 else 0
        except ValueError:
            continue
        calls[parts[-1]] = (count, errors)
    return calls


def syscalls_per_request(wrk, url, method, body, traced, run_dir, requests, label):
    """strace -c -f on each traced process while `requests` sequential requests run."""
    wrk.count(url, 50, method, body)  # warm
    procs = {}
    try:
        for name, pid in traced.items():
            out = pathlib.Path(run_dir) / f"strace-{label}-{name.replace(' ', '_')}.txt"
            procs[name] = (subprocess.Popen(["strace", "-c", "-f", "-o", str(out), "-p",
                                             str(pid)], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL), out)
        time.sleep(1.5)  # attached to every thread
        t0 = time.monotonic()
        res = wrk.count(url, requests, method, body)
        wall = time.monotonic() - t0
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc, _ in procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    out = {"requests": res["answered"], "wall_s_under_strace": round(wall, 2), "processes": {}}
    for name, (_, path) in procs.items():
        calls = parse_strace(path)
        total = sum(c for c, _ in calls.values())
        top = sorted(calls.items(), key=lambda kv: -kv[1][0])[:12]
        out["processes"][name] = {
            "per_request": round(total / requests, 2),
            "top": {sc: {"per_request": round(c / requests, 2), "errors": e}
                    for sc, (c, e) in top}}
    return out


def parse_perf_report(text, limit):
    """[(percent, comm, what)] from `perf report --stdio` with two sort keys."""
    rows = []
    for line in text.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0].endswith("%") and not line.startswith("#"):
            try:
                rows.append((float(parts[0][:-1]), parts[1], parts[2].strip()))
            except ValueError:
                continue
    return rows[:limit]


def perf_profile(wrk, stack, settings, run_dir):
    """perf's flat profile of foo's processes during a closed-loop foo run."""
    if shutil.which("perf") is None:
        return {"error": "perf not installed"}
    data = pathlib.Path(run_dir) / "perf.data"
    kids = sysinfo.children_map()
    pids = (stack.service_pids("foo", kids) + stack.service_pids("bar", kids)
            + [stack.supervisor_pid("foo"), stack.supervisor_pid("bar")])
    seconds = max(1, min(5, settings.duration - 2))
    run = wrk.start("load.lua", stack.foo_url + "/foo", settings.threads, settings.connections,
                    seconds + 3, want_samples=False)
    try:
        time.sleep(1)
        rec = subprocess.run(["perf", "record", "-F", "999", "-o", str(data), "-p",
                              ",".join(str(p) for p in pids), "--", "sleep", str(seconds)],
                             capture_output=True, text=True, timeout=seconds + 60, check=False)
    finally:
        res = wrk.finish(run)
    if rec.returncode != 0 or not data.exists():
        return {"error": f"perf record failed: {rec.stderr.strip()[-300:]}"}
    out = {"rps_during": round(res["rps"], 1), "seconds": seconds}
    for key, sort in (("by_library", "comm,dso"), ("by_symbol", "comm,sym")):
        rep = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", sort,
                              "--stdio"], capture_output=True, text=True, timeout=120,
                             check=False)
        out[key] = parse_perf_report(rep.stdout, 25)
    return out


def profile(wrk, stack, static, settings, run_dir, gate):
    out = {"cpu": [], "syscalls": {}}
    foo = Target("foo", stack.foo_url + "/foo")
    fact = Target("factorial cached 123", stack.factorial_url + "/factorial", "POST",
                  json.dumps({"number": 123}))
    for t in (foo, fact):
        say(f"CPU per process during {t.name} ({settings.duration} s)")
        gate.wait()
        out["cpu"].append(cpu_breakdown(wrk, t, stack, [static] if static else [],
                                         settings.duration))
    say("perf profile of foo, lighttpd, bar and their supervisors during foo's run")
    gate.wait()
    out["perf"] = perf_profile(wrk, stack, settings, run_dir)
    say("syscalls per request (strace -c -f, one worker each, sequential requests)")
    small = targets.FoobarStack(pathlib.Path(run_dir) / "strace-stack", settings.bin_dir, 1, 1)
    try:
        small.start()
        foo_pids = {"foo worker": small.workers("foo")[0],
                    "lighttpd (foo)": small.lighttpd_pid("foo"),
                    "bar": small.service_pids("bar")[0]}
        out["syscalls"]["foo"] = syscalls_per_request(
            wrk, small.foo_url + "/foo", "GET", None, foo_pids, run_dir,
            settings.strace_requests, "foo")
        body = json.dumps({"number": 123})
        targets.http("POST", small.factorial_url + "/factorial", body)
        fact_pids = {"factorial worker": small.workers("factorial")[0],
                     "lighttpd (factorial)": small.lighttpd_pid("factorial"),
                     "redis": small.service_pids("redis")[0]}
        out["syscalls"]["factorial cached 123"] = syscalls_per_request(
            wrk, small.factorial_url + "/factorial", "POST", body, fact_pids, run_dir,
            settings.strace_requests, "factorial")
    finally:
        small.stop()
    return out


# --- soak ---------------------------------------------------------------------------


def rss_sum(pids):
    values = [sysinfo.rss_kb(p) for p in pids]
    return sum(v for v in values if v is not None)


def memory_sample(stack, t):
    redis = sysinfo.redis_memory(stack.redis_port)
    return {"t_s": round(t, 1),
            "foo_kb": rss_sum(stack.service_pids("foo")),
            "factorial_kb": rss_sum(stack.service_pids("factorial")),
            "bar_kb": rss_sum(stack.service_pids("bar")),
            "redis_rss_kb": rss_sum(stack.service_pids("redis")),
            "redis_used_memory": redis.get("used_memory"),
            "redis_maxmemory": redis.get("maxmemory")}


def growth(samples, key, warmup_s):
    """Relative change from just after the warm-up to the end (3-sample means)."""
    post = [s[key] for s in samples if s["t_s"] >= warmup_s and s[key] is not None]
    if len(post) < 2:
        return None
    width = min(3, len(post) // 2)
    first = sum(post[:width]) / width
    last = sum(post[-width:]) / width
    return {"first": first, "last": last, "peak": max(post),
            "growth": (last - first) / first if first else None}


def soak(wrk, stack, sat_foo, settings, servers):
    mix = BENCH / "wrk" / "factorial_mix.txt"
    fact_url = stack.factorial_url + "/factorial"
    for line in mix.read_text().splitlines():
        if line.startswith("{") and '"force"' not in line:
            targets.http("POST", fact_url, line)
    say(f"factorial mix saturation ({settings.duration} s)")
    res = wrk.sampled_closed(fact_url, settings.duration, "POST", None, mix)
    if res["failed"] + res["error_count"] > MAX_ERROR_SHARE * max(res["requests"], 1):
        raise RuntimeError(f"factorial mix: {res['failed']} failed answers, errors "
                           f"{res['errors']}, in {res['requests']} requests")
    sat_fact = res["rps"]
    foo_rate = max(1, round(sat_foo / 2))
    fact_rate = max(1, round(sat_fact / 2))
    secs = settings.soak_seconds
    say(f"soak {secs} s: foo at {foo_rate} req/s, factorial mix at {fact_rate} req/s "
        f"(half of {sat_foo:.0f} and {sat_fact:.0f}); sampling every {settings.soak_interval} s")
    runs = [wrk.start("sampled.lua", stack.foo_url + "/foo", settings.connections,
                      settings.connections, secs, extra_env={
                          "BENCH_RATE": str(foo_rate),
                          "BENCH_CONNECTIONS": str(settings.connections)},
                      ),
            wrk.start("sampled.lua", fact_url, settings.connections, settings.connections,
                      secs, method="POST", extra_env={
                          "BENCH_RATE": str(fact_rate),
                          "BENCH_CONNECTIONS": str(settings.connections),
                          "BENCH_MIX_FILE": str(mix)},
                      )]
    samples = []
    t0 = time.monotonic()
    meter = CpuMeter(servers).__enter__()
    try:
        deadline = t0 + secs + 60
        next_at = t0
        while time.monotonic() < deadline:
            if all(r["proc"].poll() is not None for r in runs):
                break
            if time.monotonic() >= next_at:
                samples.append(memory_sample(stack, time.monotonic() - t0))
                next_at += settings.soak_interval
            time.sleep(0.2)
        samples.append(memory_sample(stack, time.monotonic() - t0))
        results = [wrk.finish(r) for r in runs]
        meter.__exit__(None, None, None)
    except BaseException:
        for r in runs:
            if r["proc"].poll() is None:
                r["proc"].kill()
                r["proc"].wait()
        raise
    warmup_s = min(max(30, 0.2 * secs), 0.5 * secs)
    keys = ("foo_kb", "factorial_kb", "bar_kb", "redis_rss_kb", "redis_used_memory")
    series = {k: growth(samples, k, warmup_s) for k in keys}
    judged = ("foo_kb", "factorial_kb", "bar_kb", "redis_used_memory")
    growths = [series[k]["growth"] for k in judged if series[k] and series[k]["growth"] is not None]
    maxmem = next((s["redis_maxmemory"] for s in samples if s["redis_maxmemory"]), None)
    used_peak = max((s["redis_used_memory"] or 0) for s in samples)
    return {
        "seconds": secs, "interval_s": settings.soak_interval, "warmup_s": warmup_s,
        "foo_offered_rps": foo_rate, "factorial_offered_rps": fact_rate,
        "factorial_mix_saturation_rps": round(sat_fact, 1),
        "foo_achieved_rps": round(results[0]["rps"], 1),
        "factorial_achieved_rps": round(results[1]["rps"], 1),
        "foo_failed": results[0]["error_count"] + results[0].get("failed", 0),
        "factorial_failed": results[1]["error_count"] + results[1].get("failed", 0),
        "foo_requests": results[0]["requests"], "factorial_requests": results[1]["requests"],
        "foo_p99_ms": results[0].get("corrected_ms", {}).get("p99"),
        "factorial_p99_ms": results[1].get("corrected_ms", {}).get("p99"),
        "cpu": meter.result,
        "growth": series,
        "max_growth": max(growths) if growths else None,
        "redis_maxmemory": maxmem, "redis_used_peak": used_peak,
        "redis_used_peak_share": used_peak / maxmem if maxmem else None,
        "samples": samples,
    }


# --- the run ------------------------------------------------------------------------


def main():
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    settings = Settings()
    parts = set(settings.parts)
    if not (settings.bin_dir / "foo").exists():
        sys.exit(f"bench: no {settings.bin_dir}/foo; run make all")
    for tool in ("wrk", "lighttpd", "redis-server", "redis-cli", "strace", "cc"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found; run make bench-deps")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    # Also when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)

    started = time.time()
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="foobar-bench-"))
    results = {
        "date": time.strftime("%Y-%m-%d", time.gmtime(started)),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "settings": settings.as_dict(),
        "machine": sysinfo.machine(),
        "versions": sysinfo.versions(),
        "load_average_at_start": os.getloadavg(),
    }
    m = results["machine"]
    say(f"machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"kernel {m['kernel']}")
    say("versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()))
    say(f"parts: {', '.join(settings.parts)}; run dir {run_dir}")

    wrk = loadgen.Wrk(run_dir, settings.threads, settings.connections)
    servers = []
    ok = False
    try:
        stack = targets.FoobarStack(run_dir / "stack", settings.bin_dir, settings.foo_procs,
                                    settings.factorial_procs, COLD_MAX_N)
        servers.append(stack)
        stack.start()
        say(f"stack up: foo {stack.foo_url}, factorial {stack.factorial_url}, "
            f"bar {stack.bar_addr}")

        static = None
        if parts & {"foo", "cached"}:
            static = targets.StaticServer(run_dir, free_port())
            servers.append(static)
            static.start()
        py_good = py_common = None
        if "python" in parts or "latency" in parts:
            py_good = targets.GunicornServer(run_dir, free_port(), stack.bar_addr,
                                             settings.py_workers, settings.py_worker_class)
            servers.append(py_good)
            py_good.start()
        py_threaded = None
        if "python" in parts:
            py_common = targets.FlaskServer(run_dir, free_port(), stack.bar_addr)
            servers.append(py_common)
            py_common.start()
            if settings.py_worker_class == "sync":
                # Not a goal: how much a keep-alive capable worker class changes.
                py_threaded = targets.GunicornServer(run_dir, free_port(), stack.bar_addr,
                                                     settings.py_workers, "gthread",
                                                     "python-good-gthread")
                servers.append(py_threaded)
                py_threaded.start()
        say("targets up: " + ", ".join(f"{s.name} {s.url}" for s in servers[1:]))
        gate = QuietGate(servers, settings)

        foobar = expect_body(b"foobar")
        tlist = []
        if parts & {"foo", "python"}:
            tlist.append(Target("foo", stack.foo_url + "/foo", check=foobar))
        if "foo" in parts or "cached" in parts:
            tlist.append(Target("static", static.url + "/foo", check=foobar))
        if "python" in parts:
            tlist.append(Target("python_good", py_good.url + "/foo", check=foobar))
            tlist.append(Target("python_common", py_common.url + "/foo", check=foobar))
            if py_threaded:
                tlist.append(Target("python_good_gthread", py_threaded.url + "/foo",
                                    check=foobar))
        if "cached" in parts:
            url = stack.factorial_url + "/factorial"
            b123 = json.dumps({"number": 123})
            b1e5 = json.dumps({"number": 100000})
            for body in (b123, b1e5):
                targets.http("POST", url, body)  # now cached
            status, answer = targets.http("POST", url, b1e5)
            if status != 200:
                raise RuntimeError(f"factorial 100000: status {status}")
            file_url = static.add_file("factorial-100000.json", answer)
            results["static_file_bytes"] = len(answer)
            tlist.append(Target("factorial_cached_123", url, "POST", b123,
                                expect_factorial(123, 206, True)))
            tlist.append(Target("factorial_cached_1e5", url, "POST", b1e5,
                                expect_factorial(100000, 456574, True)))
            tlist.append(Target("static_file", file_url, check=expect_body(answer)))
        for t in tlist:
            t.verify()

        thru = {}
        if tlist:
            say(f"saturation: {len(tlist)} targets x {settings.rounds} rounds x "
                f"{settings.duration} s, wrk -t{settings.threads} -c{settings.connections}")
            thru = saturation(wrk, tlist, settings, servers, gate)
            results["throughput"] = thru
        pairs = {"foo_vs_static": ("foo", "static"),
                 "foo_vs_python_good": ("foo", "python_good"),
                 "foo_vs_python_common": ("foo", "python_common"),
                 "foo_vs_python_good_gthread": ("foo", "python_good_gthread"),
                 "factorial_cached_123_vs_static": ("factorial_cached_123", "static"),
                 "factorial_cached_1e5_vs_static_file": ("factorial_cached_1e5", "static_file")}
        per_round = {k: round_ratios(thru, *v) for k, v in pairs.items()}
        results["ratio_details"] = {k: v for k, v in per_round.items() if v}

        if "cold" in parts:
            fixture, cmd = build_gmp_fixture(run_dir)
            results["gmp_fixture_command"] = cmd
            Target("factorial_cold_1e5", stack.factorial_url + "/factorial", "POST",
                   json.dumps({"number": 100000, "force": True}),
                   expect_factorial(100000, 456574, False)).verify()
            say("cold path: sequential forced requests vs GMP in-process")
            results["cold"] = cold_path(wrk, stack, fixture, settings, gate)
            results["coalesce"] = coalesced_misses(stack, settings, gate)

        sat_foo = thru.get("foo", {}).get("rps_median")
        if parts & {"latency", "soak"} and not sat_foo:
            say(f"foo saturation ({settings.duration} s)")
            sat_foo = wrk.closed(stack.foo_url + "/foo", settings.duration)["rps"]
        if "latency" in parts:
            sat_py = thru.get("python_good", {}).get("rps_median")
            if not sat_py:
                say(f"python good saturation ({settings.duration} s)")
                sat_py = wrk.closed(py_good.url + "/foo", settings.duration)["rps"]
            results["latency"] = latency(wrk, stack.foo_url + "/foo", py_good.url + "/foo",
                                         sat_foo, sat_py, settings, servers, gate)
        if "profile" in parts:
            results["profile"] = profile(wrk, stack, static, settings, run_dir, gate)
        if "soak" in parts:
            results["memory"] = soak(wrk, stack, sat_foo, settings, servers)

        results["quiet_gate"] = {"waited_s": round(gate.total, 1),
                                 "measured_busy": gate.timeouts}
        results["ratios"] = compute_ratios(per_round, results.get("cold"))
        ok = True
    except KeyboardInterrupt:
        say("interrupted; stopping everything")
    finally:
        for server in reversed(servers):
            try:
                code = server.stop()
                if isinstance(server, targets.FoobarStack):
                    results["stack_exit_codes"] = code
            except Exception as err:  # noqa: BLE001 - stop the others regardless
                say(f"stopping {getattr(server, 'name', 'stack')}: {err}")
        if ok and not settings.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            say(f"logs kept in {run_dir}")
    if not ok:
        sys.exit(1)

    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["load_average_at_end"] = os.getloadavg()
    results["checks"] = report.checks(results)
    paths = report.write_all(results, settings.out_dir, settings.full)
    print(report.console_summary(results))
    for path in paths:
        print(f"wrote {path}")


def compute_ratios(per_round, cold):
    """The seven headline ratios; null for parts that did not run."""
    def med(key):
        return round(per_round[key]["median"], 4) if per_round.get(key) else None

    def cold_ratio(n):
        return round(cold[str(n)]["ratio"], 4) if cold and str(n) in cold else None

    return {
        "foo_vs_static": med("foo_vs_static"),
        "foo_vs_python_good": med("foo_vs_python_good"),
        "foo_vs_python_common": med("foo_vs_python_common"),
        "factorial_cold_1e5_vs_gmp": cold_ratio(100000),
        "factorial_cold_1e6_vs_gmp": cold_ratio(1000000),
        "factorial_cached_123_vs_static": med("factorial_cached_123_vs_static"),
        "factorial_cached_1e5_vs_static_file": med("factorial_cached_1e5_vs_static_file"),
    }


if __name__ == "__main__":
    main()
