#!/usr/bin/python3
"""Measures the memory and CPU of each service under a fixed load, natively,
and derives the Kubernetes requests and limits from the figures.

    make all
    python3 deploy/k8s/measure.py            # measure, print the tables
    python3 deploy/k8s/measure.py --write    # also rewrite measurements.json

It starts the stack of `make dev` (scripts/stack.py: redis, bar, foo and
factorial, each under the supervisor) on free 127.0.0.1 ports, with the
images' defaults (4 FastCGI workers per lighttpd, Redis maxmemory as in the
manifests), then runs the phases below one after the other, each several times
(--repeats, 3) for a fixed time, sending traffic to 127.0.0.1 only; the
figures are the medians of the runs, so that a busy moment on a shared
machine moves them less. While a phase runs it samples,
every 250 ms, the resident memory of every process of each service's tree
(supervisor + lighttpd + its FastCGI workers; supervisor + bar; supervisor
+ redis-server), and takes each tree's CPU time at the start and end.

The rule that turns the figures into requests and limits is derive() below,
and RESOURCES.md says it in words. tests/k8s checks that the manifests carry
what derive() makes of measurements.json, so a re-measurement that changes
a figure shows up as a failing test until the manifests follow it.
"""

import argparse
import datetime
import json
import math
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import stack as stack_mod  # noqa: E402

MEASUREMENTS = HERE / "measurements.json"
LOAD_DIR = HERE / "load"

SERVICES = ("foo", "bar", "factorial", "redis")
# The manifests' Redis bound; the measurement runs Redis with the same.
REDIS_MAXMEMORY_MB = 64
# The /tmp emptyDir of the lighttpd pods (memory-backed: its pages are
# charged to the container, so it is part of the memory limit).
TMP_SIZE_LIMIT_MIB = {"foo": 16, "factorial": 32}
WORKERS = 4
SAMPLE_S = 0.25


class Phase:
    """One fixed load: a wrk run (or nothing, for idle) for duration_s."""

    def __init__(self, name, duration_s, target=None, threads=1, conns=1, args=()):
        self.name = name
        self.duration_s = duration_s
        self.target = target
        self.threads = threads
        self.conns = conns
        self.args = [str(a) for a in args]

    def describe(self):
        if self.target is None:
            return f"no traffic, {self.duration_s} s"
        paced = f", {self.args[-1]} ms pause per request" if self.args[-1] != "0" else ""
        mode = f" {self.args[0]}" if self.target == "factorial" else ""
        return (f"wrk {self.target}{mode}: {self.threads} thread(s), {self.conns} connections"
                f"{paced}, {self.duration_s} s")


PHASES = [
    Phase("idle", 10),
    # About 700 requests/s offered: a busy but unsaturated foo pod.
    Phase("foo-steady", 20, "foo", threads=1, conns=8, args=[10]),
    Phase("foo-saturated", 15, "foo", threads=2, conns=32, args=[0]),
    # About 150 requests/s of the mix.
    Phase("factorial-steady", 20, "factorial", threads=1, conns=4, args=["mix", 20]),
    Phase("factorial-saturated", 15, "factorial", threads=2, conns=16, args=["mix", 0]),
    # Fills Redis past maxmemory: the state a long-running cache is in.
    Phase("redis-fill", 20, "factorial", threads=1, conns=4, args=["fill", 0]),
    Phase("factorial-heavy", 15, "factorial", threads=1, conns=4, args=["heavy", 0]),
]

# Which phase is each service's steady state ("steady RSS under load").
STEADY_PHASE = {"foo": "foo-steady", "bar": "foo-steady",
                "factorial": "factorial-steady", "redis": "redis-fill"}
# What one pod is sized for, requests/s: foo and bar 500 (one call to bar
# per request to foo), factorial 100 of the mix. The one Redis serves every
# factorial pod: 600, the prod autoscaler's six pods at 100 each. The CPU
# request is the measured CPU time per request times this rate; the
# autoscalers add pods at 70% of it.
DESIGN_RPS = {"foo": 500, "bar": 500, "factorial": 100, "redis": 600}
REPEATS = 3

RULE = [
    "every figure is the median of the runs of its phase (peaks: the highest run)",
    "memory request = 1.5 x mean RSS in the service's steady phase, rounded up to 16 MiB",
    "memory limit = 2 x peak RSS over all phases (+ the /tmp emptyDir sizeLimit for the "
    "lighttpd pods: memory-backed, charged to the container), rounded up to 16 MiB, "
    "never below the request",
    "cpu request = CPU time per request in the service's steady phase x the design rate "
    "(foo, bar 500/s; factorial 100/s; redis 600/s: six factorial pods), rounded up to 10m, "
    "at least 50m",
    "cpu limit = the larger of 2 x the request and the peak cores over all phases, "
    "rounded up to 100m",
]


def round_up(value, step):
    return int(math.ceil(value / step - 1e-9) * step)


def derive(services):
    """requests and limits from the measured figures (the rule in RULE)."""
    out = {}
    for name in SERVICES:
        fig = services[name]
        steady = fig["phases"][STEADY_PHASE[name]]
        peak_rss = max(p["rss_peak_mib"] for p in fig["phases"].values())
        peak_cores = max(p["cores"] for p in fig["phases"].values())
        mem_req = round_up(1.5 * steady["rss_mean_mib"], 16)
        mem_lim = round_up(2 * peak_rss + TMP_SIZE_LIMIT_MIB.get(name, 0), 16)
        cpu_req = max(50, round_up(steady["cpu_ms_per_request"] * DESIGN_RPS[name], 10))
        cpu_lim = round_up(max(2 * cpu_req, peak_cores * 1000), 100)
        out[name] = {
            "requests": {"cpu": f"{cpu_req}m", "memory": f"{mem_req}Mi"},
            "limits": {"cpu": f"{cpu_lim}m", "memory": f"{max(mem_lim, mem_req)}Mi"},
        }
    return out


# --- /proc ---------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    """(ppid, cpu ticks of the process and of its reaped children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields after the command: state ppid ... utime(11) stime(12) cutime(13) cstime(14).
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def process_tree(root_pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid, _ = proc_stat(int(entry))
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def read_kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_kib(pids):
    """(RSS sum, PSS sum) of the processes, KiB."""
    rss = sum(read_kib(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(read_kib(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return rss, pss


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            total += proc_stat(pid)[1]
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def dir_bytes(path, skip_suffix=".log"):
    total = 0
    for entry in path.iterdir():
        try:
            if entry.is_file() and not entry.name.endswith(skip_suffix):
                total += entry.stat().st_size
        except OSError:
            pass
    return total


# --- the run -------------------------------------------------------------------

class Sampler(threading.Thread):
    """Samples each service's memory until stopped."""

    def __init__(self, stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.samples = {name: [] for name in SERVICES}
        self.tmp_peak = 0
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for name in SERVICES:
                pids = process_tree(self.stack.components[name].proc.pid)
                self.samples[name].append(memory_kib(pids))
            self.tmp_peak = max(self.tmp_peak, dir_bytes(self.stack.run_dir))
            self.halt.wait(SAMPLE_S)


def run_wrk(phase, stack):
    url = stack.foo_url if phase.target == "foo" else stack.factorial_url
    argv = ["wrk", "-t", str(phase.threads), "-c", str(phase.conns), "-d", f"{phase.duration_s}s",
            "--timeout", "10s", "-s", str(LOAD_DIR / f"{phase.target}.lua"), url, "--"] + phase.args
    out = subprocess.run(argv, capture_output=True, text=True, timeout=phase.duration_s + 30,
                         check=True).stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    requests = int(found.group(1))
    seconds = float(found.group(2)) * (60 if found.group(3) == "m" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests": requests, "rps": round(requests / seconds, 1),
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0}


def run_phase(phase, stack):
    sampler = Sampler(stack)
    trees = {name: process_tree(stack.components[name].proc.pid) for name in SERVICES}
    cpu_before = {name: cpu_seconds(pids) for name, pids in trees.items()}
    started = time.monotonic()
    sampler.start()
    if phase.target is None:
        time.sleep(phase.duration_s)
        load = None
    else:
        load = run_wrk(phase, stack)
    sampler.halt.set()
    sampler.join()
    wall = time.monotonic() - started
    figures = {}
    for name in SERVICES:
        # Processes started during the phase (a respawned worker) count too.
        pids = set(trees[name]) | set(process_tree(stack.components[name].proc.pid))
        samples = sampler.samples[name]
        figures[name] = {
            "rss_mean_mib": round(sum(s[0] for s in samples) / len(samples) / 1024, 1),
            "rss_peak_mib": round(max(s[0] for s in samples) / 1024, 1),
            "pss_mean_mib": round(sum(s[1] for s in samples) / len(samples) / 1024, 1),
            "pss_peak_mib": round(max(s[1] for s in samples) / 1024, 1),
            "cores": round((cpu_seconds(pids) - cpu_before[name]) / wall, 3),
        }
        if load and load["requests"]:
            figures[name]["cpu_ms_per_request"] = round(
                figures[name]["cores"] * wall * 1000 / load["requests"], 3)
    return figures, load, sampler.tmp_peak


def check_answers(stack):
    with urllib.request.urlopen(stack.foo_url + "/foo", timeout=5) as resp:
        if resp.read() != b"foobar":
            raise RuntimeError("foo does not answer foobar")
    req = urllib.request.Request(stack.factorial_url + "/factorial", data=b'{"number": 20}',
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        if json.load(resp)["factorial"] != "2432902008176640000":
            raise RuntimeError("factorial does not answer 20! right")


def version_of(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
        return out.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def environment():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "commit": commit, "lighttpd": version_of(["lighttpd", "-v"]),
        "redis": version_of(["redis-server", "--version"]), "wrk": version_of(["wrk", "-v"]),
        "build": "make all (-O2), build/bin", "workers_per_lighttpd": WORKERS,
        "redis_maxmemory_mb": REDIS_MAXMEMORY_MB,
    }


def start_stack(bin_dir):
    stack = stack_mod.Stack(bin_dir=bin_dir, procs=WORKERS)
    start_ms = {}
    try:
        for name in ("redis", "bar", "foo", "factorial"):
            began = time.monotonic()
            stack.components[name].start()
            start_ms[name] = round((time.monotonic() - began) * 1000)
    except Exception:
        stack.stop()
        raise
    subprocess.run(["redis-cli", "-p", str(stack.ports["redis"]), "config", "set", "maxmemory",
                    f"{REDIS_MAXMEMORY_MB}mb"], check=True, capture_output=True, timeout=5)
    return stack, start_ms


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def combine(runs):
    """One phase's figures over its runs: medians, and the highest peaks."""
    out = {
        "rss_mean_mib": round(median([r["rss_mean_mib"] for r in runs]), 1),
        "rss_peak_mib": max(r["rss_peak_mib"] for r in runs),
        "pss_mean_mib": round(median([r["pss_mean_mib"] for r in runs]), 1),
        "pss_peak_mib": max(r["pss_peak_mib"] for r in runs),
        "cores": round(median([r["cores"] for r in runs]), 3),
        "cores_runs": [r["cores"] for r in runs],
    }
    if all("cpu_ms_per_request" in r for r in runs):
        out["cpu_ms_per_request"] = round(median([r["cpu_ms_per_request"] for r in runs]), 3)
    return out


def measure(bin_dir, repeats):
    env = environment()
    env["repeats"] = repeats
    stack, start_ms = start_stack(bin_dir)
    services = {name: {"start_ms": start_ms[name], "phases": {}} for name in SERVICES}
    loads, tmp_peak = {}, 0
    try:
        check_answers(stack)
        for phase in PHASES:
            print(f"  {phase.name}: {phase.describe()}, {repeats} runs", file=sys.stderr,
                  flush=True)
            runs = {name: [] for name in SERVICES}
            rates = []
            for _ in range(repeats):
                figures, load, tmp = run_phase(phase, stack)
                tmp_peak = max(tmp_peak, tmp)
                for name in SERVICES:
                    runs[name].append(figures[name])
                if load:
                    if load["non_2xx"] or load["socket_errors"]:
                        raise RuntimeError(f"{phase.name}: failed requests {load}")
                    rates.append(load["rps"])
            for name in SERVICES:
                services[name]["phases"][phase.name] = combine(runs[name])
            loads[phase.name] = {"load": phase.describe()}
            if rates:
                loads[phase.name].update({"rps": median(rates), "rps_runs": rates})
        check_answers(stack)
    finally:
        codes = stack.stop()
        shutil.rmtree(stack.run_dir, ignore_errors=True)
    if any(code != 0 for code in codes.values()):
        raise RuntimeError(f"a service did not stop cleanly: {codes}")
    return {"environment": env, "phases": loads, "services": services,
            "tmp_peak_kib": round(tmp_peak / 1024, 1), "rule": RULE,
            "derived": derive(services)}


def print_tables(result):
    print("| phase | load | requests/s |")
    print("|---|---|---|")
    for name, load in result["phases"].items():
        runs = " ".join(str(r) for r in load.get("rps_runs", []))
        print(f"| {name} | {load['load']} | {load.get('rps', '-')}{f' ({runs})' if runs else ''} |")
    print()
    print("| service | phase | RSS mean MiB | RSS peak MiB | PSS mean MiB | cores (runs) "
          "| CPU ms/request |")
    print("|---|---|---|---|---|---|---|")
    for name in SERVICES:
        for phase, fig in result["services"][name]["phases"].items():
            runs = " ".join(str(c) for c in fig.get("cores_runs", []))
            print(f"| {name} | {phase} | {fig['rss_mean_mib']} | {fig['rss_peak_mib']} | "
                  f"{fig['pss_mean_mib']} | {fig['cores']} ({runs}) | "
                  f"{fig.get('cpu_ms_per_request', '-')} |")
    print()
    print("| service | start ms | cpu request | cpu limit | memory request | memory limit |")
    print("|---|---|---|---|---|---|")
    for name in SERVICES:
        d = result["derived"][name]
        print(f"| {name} | {result['services'][name]['start_ms']} | {d['requests']['cpu']} | "
              f"{d['limits']['cpu']} | {d['requests']['memory']} | {d['limits']['memory']} |")
    print(f"\n/tmp (FastCGI sockets and spooled bodies) peak: {result['tmp_peak_kib']} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default=str(ROOT / "build" / "bin"))
    parser.add_argument("--write", action="store_true",
                        help=f"rewrite {MEASUREMENTS.relative_to(ROOT)} with the results")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help=f"runs of each phase (default {REPEATS}); figures are medians")
    parser.add_argument("--derive", action="store_true",
                        help="measure nothing: apply the rule to measurements.json again "
                        "(with --write, store the result)")
    args = parser.parse_args()

    if args.derive:
        result = json.loads(MEASUREMENTS.read_text())
        result["rule"] = RULE
        result["derived"] = derive(result["services"])
        print_tables(result)
        if args.write:
            MEASUREMENTS.write_text(json.dumps(result, indent=2) + "\n")
        return
    for tool in ("wrk", "lighttpd", "redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (Debian: apt-get install wrk; the rest: make deps)")
    if not (pathlib.Path(args.bin_dir) / "bar").exists():
        sys.exit(f"no programs in {args.bin_dir}: run make all first")
    if not 1 <= args.repeats <= 9:
        sys.exit("--repeats must be from 1 to 9")
    result = measure(args.bin_dir, args.repeats)
    print_tables(result)
    if args.write:
        MEASUREMENTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {MEASUREMENTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
