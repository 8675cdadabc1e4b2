"""The one load generator of every measurement: Debian's wrk, driven by the
Lua scripts in bench/wrk/.

- closed(): saturation throughput, closed loop, THREADS threads and
  CONNECTIONS connections for every target (bench/wrk/load.lua).
- paced(): a fixed offered rate with per-request latencies corrected for
  coordinated omission (bench/wrk/sampled.lua, one connection per thread).
- count(): a fixed number of sequential requests on one connection, each
  one timed (bench/wrk/sampled.lua with BENCH_COUNT).
"""

import json
import os
import pathlib
import signal
import subprocess

WRK_DIR = pathlib.Path(__file__).resolve().parent / "wrk"


class WrkError(RuntimeError):
    pass


def percentile(values, pct):
    """Nearest-rank percentile of a list of numbers (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(min(rank, len(ordered))) - 1]


def median(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class Wrk:
    def __init__(self, work_dir, threads, connections):
        self.work_dir = pathlib.Path(work_dir)
        self.threads = threads
        self.connections = connections
        self.runs = 0

    def _files(self):
        self.runs += 1
        base = self.work_dir / f"wrk-{self.runs:04d}"
        return base.with_suffix(".json"), base.with_suffix(".samples")

    def _env(self, method, body, result, samples, extra=None):
        env = dict(os.environ)
        env.update({
            "LUA_PATH": f"{WRK_DIR}/?.lua;;",
            "BENCH_METHOD": method,
            "BENCH_BODY": body or "",
            "BENCH_RESULT": str(result),
            "BENCH_SAMPLES": str(samples) if samples else "",
        })
        env.update(extra or {})
        return env

    def command(self, script, url, threads, connections, duration_s, timeout_s):
        return ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(duration_s)}s",
                "--timeout", f"{int(timeout_s)}s", "-s", str(WRK_DIR / script), url]

    def start(self, script, url, threads, connections, duration_s, timeout_s=10, method="GET",
              body=None, extra_env=None, want_samples=True):
        """Starts wrk in the background; finish() collects what it measured."""
        result, samples = self._files()
        env = self._env(method, body, result, samples if want_samples else None, extra_env)
        log = open(result.with_suffix(".log"), "wb")
        proc = subprocess.Popen(self.command(script, url, threads, connections, duration_s,
                                             timeout_s),
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        return {"proc": proc, "log": log, "result": result,
                "samples": samples if want_samples else None,
                "limit_s": duration_s + timeout_s + 30}

    def finish(self, run):
        proc = run["proc"]
        try:
            proc.wait(run["limit_s"])
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise WrkError(f"wrk did not finish within {run['limit_s']} s")
        finally:
            run["log"].close()
        if proc.returncode != 0 or not run["result"].exists():
            text = run["result"].with_suffix(".log").read_text(errors="replace")
            raise WrkError(f"wrk failed ({proc.returncode}): {text[-2000:]}")
        res = json.loads(run["result"].read_text())
        res["rps"] = res["requests"] / (res["duration_us"] / 1e6) if res["duration_us"] else 0.0
        res["error_count"] = sum(res["errors"].values())
        if run["samples"] is not None:
            res.update(_sample_stats(run["samples"]))
            run["samples"].unlink(missing_ok=True)
        return res

    def _run(self, *args, **kwargs):
        run = self.start(*args, **kwargs)
        try:
            return self.finish(run)
        except BaseException:
            if run["proc"].poll() is None:
                run["proc"].kill()
                run["proc"].wait()
            raise

    def closed(self, url, duration_s, method="GET", body=None):
        """Closed-loop saturation run with the fixed threads and connections."""
        return self._run("load.lua", url, self.threads, self.connections, duration_s,
                         method=method, body=body, want_samples=False)

    def paced(self, url, rate, duration_s, method="GET", body=None, mix_file=None,
              connections=None, want_samples=True):
        """A run at `rate` requests/s offered over `connections` (one per thread)."""
        conns = connections or self.connections
        extra = {"BENCH_RATE": str(rate), "BENCH_CONNECTIONS": str(conns),
                 "BENCH_MIX_FILE": str(mix_file) if mix_file else ""}
        return self._run("sampled.lua", url, conns, conns, duration_s, method=method,
                         body=body, extra_env=extra, want_samples=want_samples)

    def sampled_closed(self, url, duration_s, method="GET", body=None, mix_file=None):
        """Closed loop with per-request samples (one connection per thread)."""
        return self.paced(url, 0, duration_s, method, body, mix_file)

    def count(self, url, count, method="GET", body=None, timeout_s=120):
        """`count` sequential requests on one connection; latencies in seconds."""
        extra = {"BENCH_COUNT": str(count), "BENCH_RATE": "0", "BENCH_CONNECTIONS": "1"}
        res = self._run("sampled.lua", url, 1, 1, count * timeout_s + 5, timeout_s=timeout_s,
                        method=method, body=body, extra_env=extra)
        if res["answered"] < count or res["failed"]:
            raise WrkError(f"{url}: {res['answered']} answers, {res['failed']} failed, "
                           f"wanted {count}")
        return res


def _sample_stats(path):
    """Percentiles (ms) of the corrected and raw latencies in a samples file."""
    corrected = []
    raw = []
    failed = 0
    if path.exists():
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) != 3:
                    continue
                corrected.append(float(parts[0]) / 1000)
                raw.append(float(parts[1]) / 1000)
                failed += parts[2] != "1.0"
    # Every latency only for short runs (the sequential cold-path requests).
    stats = {"answered": len(raw), "failed": failed,
             "raw_ms_list": raw if len(raw) <= 1000 else None}
    for name, values in (("corrected_ms", corrected), ("raw_ms", raw)):
        stats[name] = {f"p{p}": percentile(values, p) for p in (50, 90, 99, 99.9)}
        stats[name]["max"] = max(values) if values else None
    return stats
