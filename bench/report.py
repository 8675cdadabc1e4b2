"""Turns the benchmark's results into <date>.json, <date>.md and <date>.png
(latency percentiles against offered load), plus <date>-memory.png when the
soak ran, and a summary for the terminal.

    python3 bench/report.py bench/results/<date>.json

rewrites the Markdown and the plots of a result file (after a change here).
"""

import json
import pathlib
import sys

# name: (ratio key or None, comparison, goal, text)
GOALS = {
    "foo_vs_static": (">=", 0.35),
    "foo_vs_python_good": (">=", 3.0),
    "foo_vs_python_common": (">=", 10.0),
    "factorial_cold_1e5_vs_gmp": ("<=", 1.3),
    "factorial_cold_1e6_vs_gmp": ("<=", 1.3),
    "factorial_cached_123_vs_static": (">=", 0.5),
    "factorial_cached_1e5_vs_static_file": (">=", 0.5),
}
P99_GOAL_MS = 5.0
MEMORY_GOAL = 0.10

LABELS = {
    "foo_vs_static": ("foo", "static", "lighttpd static `foobar`"),
    "foo_vs_python_good": ("foo", "python_good", "Python good (gunicorn)"),
    "foo_vs_python_common": ("foo", "python_common", "Python common (Flask dev server)"),
    "factorial_cached_123_vs_static": ("factorial_cached_123", "static",
                                       "lighttpd static `foobar`"),
    "factorial_cached_1e5_vs_static_file": ("factorial_cached_1e5", "static_file",
                                            "lighttpd static file, same bytes"),
}
OURS_TEXT = {
    "foo": "foo",
    "factorial_cached_123": "factorial cached N=123",
    "factorial_cached_1e5": "factorial cached N=100000",
}


def _median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def quiet_rounds(thru, ours, theirs, limit):
    """Indices of the rounds in which neither side ran on a busy machine."""
    quiet = set()
    for i, (a, b) in enumerate(zip(thru[ours]["runs"], thru[theirs]["runs"])):
        if max(a["cpu"]["other_cores"], b["cpu"]["other_cores"]) <= limit:
            quiet.add(i)
    return quiet


def _holds(op, value, goal):
    if value is None:
        return None
    return value >= goal if op == ">=" else value <= goal if op == "<=" else value < goal


def checks(results):
    """Every goal with its measured value and whether it holds."""
    rows = []
    ratios = results.get("ratios", {})
    thru = results.get("throughput", {})
    for key, (op, goal) in GOALS.items():
        value = ratios.get(key)
        row = {"key": key, "value": value, "op": op, "goal": goal,
               "holds": _holds(op, value, goal)}
        if key in LABELS:
            ours, theirs, text = LABELS[key]
            row.update(measure=f"{OURS_TEXT[ours]} vs {text}", unit="req/s",
                       ours=thru.get(ours, {}).get("rps_median"),
                       theirs=thru.get(theirs, {}).get("rps_median"))
        else:
            n = "100000" if "1e5" in key else "1000000"
            cold = results.get("cold", {}).get(n, {})
            row.update(measure=f"factorial cold N={int(n):,} vs GMP in-process (time)",
                       unit="ms", ours=cold.get("http_median_ms"),
                       theirs=cold.get("gmp_median_ms"))
        rows.append(row)
    half = results.get("latency", {}).get("half_saturation")
    p99 = half.get("p99_ms") if half else None
    rows.append({"key": "foo_p99_half_saturation_ms", "value": p99, "op": "<",
                 "goal": P99_GOAL_MS, "holds": _holds("<", p99, P99_GOAL_MS), "unit": "ms",
                 "measure": (f"foo p99 at half saturation ({half['offered_rps']} req/s), "
                             "corrected for coordinated omission") if half else
                 "foo p99 at half saturation"})
    mem = results.get("memory")
    growth = mem.get("max_growth") if mem else None
    rows.append({"key": "memory_max_growth", "value": growth, "op": "<=", "goal": MEMORY_GOAL,
                 "holds": _holds("<=", growth, MEMORY_GOAL), "unit": "share",
                 "measure": "largest memory growth after warm-up (foo, factorial, bar RSS; "
                            "Redis used_memory)"})
    return rows


def _num(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:.{digits}f}"


def _verdict(holds):
    return "–" if holds is None else ("yes" if holds else "**no**")


def _goal_text(row):
    if row["key"] == "memory_max_growth":
        return f"≤ {row['goal']:.0%}"
    if row["key"] == "foo_p99_half_saturation_ms":
        return f"< {row['goal']:g} ms"
    return f"{'≥' if row['op'] == '>=' else '≤'} {row['goal']:g}×"


def _value_text(row):
    if row["value"] is None:
        return "–"
    if row["key"] == "memory_max_growth":
        return f"{row['value']:+.1%}"
    if row["key"] == "foo_p99_half_saturation_ms":
        return f"{row['value']:.2f} ms"
    return f"{row['value']:.3f}×"


def markdown(results, png_name, mem_png_name):
    s = results["settings"]
    m = results["machine"]
    out = [f"# foobar benchmark, {results['date']}", ""]
    out.append(f"Machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, "
               f"Linux {m['kernel']}" + (f" ({m['virtualization']})" if m.get("virtualization")
                                          else "") + ".")
    out.append("Versions (Debian): " + ", ".join(
        f"{k} {v}" for k, v in results["versions"].items()) + ".")
    out.append(f"Run: {results['started']} to {results['finished']}; parts "
               f"{', '.join(s['parts'])}; {s['rounds']} rounds of {s['duration_s']} s per "
               f"target; wrk -t{s['wrk_threads']} -c{s['wrk_connections']}; "
               f"FOO_PROCS={s['foo_procs']}, FACTORIAL_PROCS={s['factorial_procs']}, "
               f"gunicorn {s['python_good_workers']} {s['python_good_worker_class']} workers.")
    gate = results.get("quiet_gate")
    if gate:
        out.append(f"Shared machine: before each measurement the run waited until processes it "
                   f"did not start used at most {s.get('quiet_cores')} cores for a second (at "
                   f"most {s.get('quiet_wait_s')} s each); it waited {gate['waited_s']} s in "
                   f"all, and {gate['measured_busy']} measurements started on a busy machine "
                   "when the wait ran out. Neighbours can still start during a run: the "
                   "\"other processes\" columns say how much CPU they took meanwhile.")
    out += ["", "## Goals", "",
            "| measure | ours | theirs | ratio or value | goal | holds |",
            "|---|---:|---:|---:|---|---|"]
    for row in results["checks"]:
        unit = row.get("unit", "")
        ours = f"{_num(row.get('ours'))} {unit}" if row.get("ours") is not None else "–"
        theirs = f"{_num(row.get('theirs'))} {unit}" if row.get("theirs") is not None else "–"
        out.append(f"| {row['measure']} | {ours} | {theirs} | {_value_text(row)} | "
                   f"{_goal_text(row)} | {_verdict(row['holds'])} |")
    out += ["", "Throughput ratios are ours/theirs, the median of per-round ratios; the cold "
            "path is median HTTP time / median GMP time. `–`: that part did not run."]

    thru = results.get("throughput")
    if thru:
        out += ["", f"## Saturation throughput (closed loop, median of {s['rounds']} rounds)", "",
                "| target | req/s median | min | max | failed requests | other processes, "
                "cores (median) |", "|---|---:|---:|---:|---:|---:|"]
        for name, t in thru.items():
            failed = sum(sum(r["errors"].values()) for r in t["runs"])
            out.append(f"| {name} | {_num(t['rps_median'])} | {_num(t['rps_min'])} | "
                       f"{_num(t['rps_max'])} | {failed} | {_num(t['other_cores_median'])} |")
        out += ["", "Other processes: CPU used during the run by processes the benchmark did "
                "not start (the machine is shared), out of "
                f"{results['machine']['cores']} cores."]
        details = results.get("ratio_details", {})
        limit = s.get("quiet_cores", 0.25)
        if details:
            out += ["", f"| ratio | per round (* : other processes above {limit} cores on "
                    f"either side) | median of all rounds | median of the quiet rounds |",
                    "|---|---|---:|---:|"]
            for key, d in details.items():
                quiet = quiet_rounds(thru, d["ours"], d["theirs"], limit)
                marks = ", ".join(f"{x:.3f}" + ("" if i in quiet else "*")
                                  for i, x in enumerate(d["per_round"]))
                qvals = [x for i, x in enumerate(d["per_round"]) if i in quiet]
                qtext = f"{_median(qvals):.3f} ({len(qvals)})" if qvals else "– (0)"
                out.append(f"| {key} | {marks} | {d['median']:.3f} | {qtext} |")

    cold = results.get("cold")
    if cold:
        out += ["", "## Factorial cold path (sequential forced requests vs GMP in-process)", "",
                "| N | requests | HTTP median ms | HTTP best ms | GMP median ms | GMP best ms "
                "| ratio (median/median) | best/best |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for n, c in cold.items():
            count = len(c["http_ms"])
            out.append(f"| {int(n):,} | {count} | {_num(c['http_median_ms'], 3)} | "
                       f"{_num(c['http_best_ms'], 3)} | {_num(c['gmp_median_ms'], 3)} | "
                       f"{_num(c['gmp_best_ms'], 3)} | {c['ratio']:.3f} | "
                       f"{c['http_best_ms'] / c['gmp_best_ms']:.3f} |")

    co = results.get("coalesce")
    if co:
        out += ["", f"Concurrent identical misses: {co['concurrent']} requests at once for "
                f"N={co['number']:,} (uncached) took {_num(co['batch_median_ms'], 1)} ms, "
                f"{co['batch_vs_alone']:.2f}x one request alone "
                f"({_num(co['alone_median_ms'], 1)} ms); computations per batch: "
                f"{', '.join(str(c) for c in co['computations_per_batch'])}."]

    lat = results.get("latency")
    if lat:
        half = lat["half_saturation"]
        out += ["", "## Latency against offered load", "",
                f"![latency percentiles against offered load]({png_name})", "",
                f"foo at half saturation ({half['offered_rps']} req/s, median of "
                f"{len(half['runs'])} runs): p50 {_num(half['p50_ms'])} ms, p90 "
                f"{_num(half['p90_ms'])} ms, p99 {_num(half['p99_ms'])} ms (uncorrected p99 "
                f"{_num(half['p99_raw_ms'])} ms); other processes used "
                f"{_num(half.get('other_cores_median'))} cores meanwhile (median).", ""]
        for name in ("foo", "python_good"):
            if name not in lat:
                continue
            out += [f"{name} (saturation {_num(lat[name]['saturation_rps'])} req/s):", "",
                    "| offered req/s | achieved | p50 ms | p90 ms | p99 ms | p99 uncorrected "
                    "| failed | other processes, cores |",
                    "|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for p in lat[name]["points"]:
                c, r = p["corrected_ms"], p["raw_ms"]
                other = p.get("cpu", {}).get("other_cores")
                out.append(f"| {p['offered_rps']:,} | {_num(p['achieved_rps'])} | "
                           f"{_num(c['p50'])} | {_num(c['p90'])} | {_num(c['p99'])} | "
                           f"{_num(r['p99'])} | {p['failed']} | {_num(other)} |")
            out.append("")

    prof = results.get("profile")
    if prof:
        out += ["", "## Where the time goes", ""]
        for cpu in prof["cpu"]:
            out += [f"CPU per process during a closed-loop run of {cpu['target']} "
                    f"({_num(cpu['rps'])} req/s; machine busy {cpu['machine_busy_cores']:.2f} "
                    f"of {cpu['machine_cores']:.2f} cores):", "",
                    "| process | cores | CPU µs per request | of which user | of which kernel "
                    "| context switches per request |", "|---|---:|---:|---:|---:|---:|"]
            for label, p in cpu["processes"].items():
                out.append(f"| {label} | {p['cores']:.3f} | {_num(p['us_per_request'], 1)} | "
                           f"{_num(p.get('user_us_per_request'), 1)} | "
                           f"{_num(p.get('system_us_per_request'), 1)} | "
                           f"{_num(p.get('context_switches_per_request'))} |")
            out.append("")
        perf = prof.get("perf", {})
        if perf.get("by_library"):
            out += [f"Where foo's CPU goes by process and library (`perf record -F 999` for "
                    f"{perf['seconds']} s of a closed-loop foo run, {_num(perf['rps_during'])} "
                    "req/s; share of all samples in foo's workers, lighttpd, bar and the two "
                    "supervisors):", "", "| share | process | library |", "|---:|---|---|"]
            for pct, proc, what in perf["by_library"][:18]:
                out.append(f"| {pct:.1f}% | {proc} | `{what}` |")
            out += ["", "Top symbols:", "", "| share | process | symbol |", "|---:|---|---|"]
            for pct, proc, what in perf["by_symbol"][:15]:
                out.append(f"| {pct:.1f}% | {proc} | `{what}` |")
            out.append("")
        elif perf.get("error"):
            out += [f"perf: {perf['error']}", ""]
        for name, sc in prof["syscalls"].items():
            out += [f"System calls per request, {name} ({sc['requests']} sequential requests, "
                    "`strace -c -f`, one worker):", "",
                    "| process | per request | top calls per request |", "|---|---:|---|"]
            for proc, d in sc["processes"].items():
                top = ", ".join(f"{k} {v['per_request']:g}" for k, v in d["top"].items())
                out.append(f"| {proc} | {d['per_request']:g} | {top} |")
            out.append("")

    mem = results.get("memory")
    if mem:
        out += ["## Memory soak", "",
                f"{mem['seconds']} s with foo at {mem['foo_offered_rps']} req/s offered "
                f"({mem['foo_achieved_rps']} achieved) and factorial's mix at "
                f"{mem['factorial_offered_rps']} req/s ({mem['factorial_achieved_rps']} "
                f"achieved; {mem.get('factorial_failed', '–')} failed), both at once (p99 {_num(mem.get('foo_p99_ms'))} and "
                f"{_num(mem.get('factorial_p99_ms'))} ms; other processes used "
                f"{_num((mem.get('cpu') or {}).get('other_cores'))} cores); samples every "
                f"{mem['interval_s']} s; growth from "
                f"the end of a {mem['warmup_s']:.0f} s warm-up to the end of the run "
                "(3-sample means).", "",
                "| memory | after warm-up | end | peak | growth | holds (≤ 10%) |",
                "|---|---:|---:|---:|---:|---|"]
        names = {"foo_kb": "foo RSS (lighttpd + workers), KiB",
                 "factorial_kb": "factorial RSS (lighttpd + workers), KiB",
                 "bar_kb": "bar RSS, KiB", "redis_rss_kb": "Redis RSS, KiB",
                 "redis_used_memory": "Redis used_memory, bytes"}
        for key, text in names.items():
            g = mem["growth"].get(key)
            if not g:
                continue
            judged = key != "redis_rss_kb"
            holds = _verdict(g["growth"] <= MEMORY_GOAL) if judged and g["growth"] is not None \
                else "(not judged)"
            out.append(f"| {text} | {_num(g['first'])} | {_num(g['last'])} | "
                       f"{_num(g['peak'])} | {g['growth']:+.1%} | {holds} |")
        if mem.get("redis_maxmemory"):
            out += ["", f"Redis peak used_memory {mem['redis_used_peak']:,} bytes of maxmemory "
                    f"{mem['redis_maxmemory']:,} ({mem['redis_used_peak_share']:.1%})."]
        if mem_png_name:
            out += ["", f"![memory during the soak]({mem_png_name})"]
    out.append("")
    return "\n".join(out)


def plot_latency(results, path):
    lat = results.get("latency")
    if not lat:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    styles = {"foo": "-", "python_good": "--"}
    colors = {"p50": "tab:green", "p90": "tab:orange", "p99": "tab:red"}
    for name in ("foo", "python_good"):
        if name not in lat:
            continue
        pts = lat[name]["points"]
        x = [p["offered_rps"] for p in pts]
        for pct in ("p50", "p90", "p99"):
            y = [p["corrected_ms"][pct] for p in pts]
            ax.plot(x, y, styles[name], marker="o", markersize=3, color=colors[pct],
                    label=f"{name} {pct}")
    half = lat.get("half_saturation")
    ax.axhline(P99_GOAL_MS, color="grey", linewidth=0.8, linestyle=":")
    ax.text(ax.get_xlim()[0], P99_GOAL_MS * 1.08, " goal: p99 < 5 ms at half saturation",
            fontsize=8, color="grey")
    if half:
        ax.axvline(half["offered_rps"], color="grey", linewidth=0.8, linestyle="-.")
        ax.text(half["offered_rps"], ax.get_ylim()[1], " half of foo's saturation", fontsize=8,
                color="grey", va="top")
    ax.set_yscale("log")
    ax.set_xlabel("offered load, requests/s (wrk, paced per connection)")
    ax.set_ylabel("latency, ms (from each request's scheduled send time)")
    ax.set_title(f"Latency against offered load, {results['date']}, "
                 f"{results['machine']['cores']} cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def plot_memory(results, path):
    mem = results.get("memory")
    if not mem or not mem.get("samples"):
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    t = [s["t_s"] for s in mem["samples"]]
    for key, label in (("foo_kb", "foo (lighttpd + workers)"),
                       ("factorial_kb", "factorial (lighttpd + workers)"),
                       ("bar_kb", "bar"), ("redis_rss_kb", "Redis RSS")):
        ax.plot(t, [s[key] / 1024 for s in mem["samples"]], label=label)
    ax.axvline(mem["warmup_s"], color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("seconds")
    ax.set_ylabel("RSS, MiB")
    ax.set_title("Resident memory during the soak")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def write_all(results, out_dir, full):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = "+".join(results["settings"]["parts"])
    stem = results["date"] if full else f"{results['date']}-{parts}"
    png = out_dir / f"{stem}.png"
    mem_png = out_dir / f"{stem}-memory.png"
    written = []
    has_png = plot_latency(results, png)
    has_mem = plot_memory(results, mem_png)
    md = out_dir / f"{stem}.md"
    md.write_text(markdown(results, png.name if has_png else None,
                           mem_png.name if has_mem else None))
    js = out_dir / f"{stem}.json"
    js.write_text(json.dumps(results, indent=1) + "\n")
    written += [js, md] + ([png] if has_png else []) + ([mem_png] if has_mem else [])
    return written


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS.json")
    path = pathlib.Path(sys.argv[1])
    results = json.loads(path.read_text())
    results["checks"] = checks(results)
    full = path.stem == results["date"]
    for written in write_all(results, path.parent, full):
        print(f"wrote {written}")


def console_summary(results):
    lines = ["", "machine: {cpu_model}, {cores} cores".format(**results["machine"]),
             "versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()), "",
             f"{'measure':<92} {'value':>12} {'goal':>10}  holds"]
    for row in results["checks"]:
        lines.append(f"{row['measure'][:92]:<92} {_value_text(row):>12} {_goal_text(row):>10}  "
                     f"{_verdict(row['holds']).strip('*')}")
    lines.append("")
    lines.append("ratios: " + json.dumps(results["ratios"]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
