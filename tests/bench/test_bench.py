"""Checks of the benchmark that need no load: the committed results carry
every ratio the README quotes, their tables are made from their JSON, and
the arithmetic behind the ratios and verdicts is right.

The benchmark itself (make bench) is not part of make test: its timings mean
something only on a quiet machine.
"""

import json
import math
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402

RATIO_KEYS = {
    "foo_vs_static", "foo_vs_python_good", "foo_vs_python_common",
    "factorial_cold_1e5_vs_gmp", "factorial_cold_1e6_vs_gmp",
    "factorial_cached_123_vs_static", "factorial_cached_1e5_vs_static_file",
}


def full_runs():
    """Results of full runs (<date>.json), newest last."""
    return sorted(p for p in RESULTS.glob("*.json")
                  if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.stem))


@pytest.fixture(scope="module")
def latest():
    runs = full_runs()
    assert runs, f"no full benchmark run in {RESULTS}"
    return runs[-1], json.loads(runs[-1].read_text())


def test_latest_results_have_every_ratio_as_a_number(latest):
    _, results = latest
    ratios = results["ratios"]
    assert set(ratios) == RATIO_KEYS
    for key, value in ratios.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool), key
        assert math.isfinite(value) and value > 0, (key, value)


def test_latest_tables_and_verdicts_come_from_its_json(latest):
    path, results = latest
    assert json.loads(json.dumps(report.checks(results))) == results["checks"]
    png = path.with_suffix(".png")
    mem_png = path.with_name(path.stem + "-memory.png")
    assert png.stat().st_size > 0 and mem_png.stat().st_size > 0
    md = report.markdown(results, png.name, mem_png.name)
    assert path.with_suffix(".md").read_text() == md
    for key in RATIO_KEYS:
        assert any(row["key"] == key and row["value"] == results["ratios"][key]
                   for row in results["checks"]), key


def test_readme_and_performance_doc_show_the_latest_run(latest):
    path, _ = latest
    readme = (ROOT / "README.md").read_text()
    doc = (ROOT / "docs" / "performance.md").read_text()
    assert f"bench/results/{path.stem}.png" in readme
    assert f"bench/results/{path.stem}.md" in doc


def test_ratio_is_the_median_of_per_round_ratios():
    thru = {"a": {"runs": [{"rps": r} for r in (100, 200, 300)]},
            "b": {"runs": [{"rps": r} for r in (1000, 1000, 1000)]}}
    got = run.round_ratios(thru, "a", "b")
    assert got["median"] == pytest.approx(0.2)
    assert run.round_ratios(thru, "a", "missing") is None


def test_headline_ratios_are_null_for_parts_not_run():
    per_round = {"foo_vs_static": {"median": 0.123456}}
    cold = {"100000": {"ratio": 1.2}}
    ratios = run.compute_ratios(per_round, cold)
    assert set(ratios) == RATIO_KEYS
    assert ratios["foo_vs_static"] == 0.1235
    assert ratios["factorial_cold_1e5_vs_gmp"] == 1.2
    assert ratios["factorial_cold_1e6_vs_gmp"] is None
    assert ratios["foo_vs_python_good"] is None


@pytest.mark.parametrize("key,value,holds", [
    ("foo_vs_static", 0.35, True),
    ("foo_vs_static", 0.349, False),
    ("factorial_cold_1e5_vs_gmp", 1.3, True),
    ("factorial_cold_1e5_vs_gmp", 1.31, False),
    ("foo_vs_python_common", None, None),
])
def test_verdicts_follow_the_goals(key, value, holds):
    rows = report.checks({"ratios": {key: value}})
    [row] = [r for r in rows if r["key"] == key]
    assert row["holds"] is holds


def test_p99_and_memory_verdicts():
    rows = {r["key"]: r for r in report.checks({
        "latency": {"half_saturation": {"p99_ms": 5.0, "offered_rps": 100}},
        "memory": {"max_growth": 0.099}})}
    assert rows["foo_p99_half_saturation_ms"]["holds"] is False  # strictly under 5 ms
    assert rows["memory_max_growth"]["holds"] is True


def test_percentiles_and_medians():
    values = list(range(1, 101))
    assert loadgen.percentile(values, 50) == 50
    assert loadgen.percentile(values, 99) == 99
    assert loadgen.percentile(values, 100) == 100
    assert loadgen.percentile([7], 99) == 7
    assert loadgen.percentile([], 99) is None
    assert loadgen.median([3, 1, None, 2]) == 2
    assert loadgen.median([4, 1, 3, 2]) == 2.5
    assert loadgen.median([None]) is None
