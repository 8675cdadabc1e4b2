"""Redis' name is looked up under the connect timeout: a DNS server that
never answers costs a request REDIS_CONNECT_TIMEOUT_MS, not the resolver's
own 5 s per try. Runs in a network namespace of its own, as root."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import BIN_DIR, ROOT
import logcheck


def test_redis_lookup_that_never_answers_is_cut_at_the_connect_timeout(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs root, unshare and ip to make a network namespace")
    # Root in a container is not enough: unshare needs CAP_SYS_ADMIN, which
    # Docker does not give by default (CI's test job runs in one).
    probe = subprocess.run(["unshare", "--net", "--mount", "--", "true"], capture_output=True,
                           text=True, timeout=30, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.strip()}")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n")
    script = (f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && "
              f"exec /usr/bin/python3 {ROOT / 'tests/e2e/blackhole_dns.py'} "
              f"{BIN_DIR} {tmp_path} {ROOT}")
    proc = subprocess.run(["unshare", "--net", "--mount", "--", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["questions"] > 0, "the lookup never reached the silent DNS server"
    assert out["exit"] == 0
    for r in out["results"]:
        # Still the right answer, computed without the cache.
        assert r.get("status") == 200 and r["body"]["cached"] is False, r
        # 0.3 s of lookup plus the computation; glibc alone would take 10 s.
        assert r["seconds"] < 3, r
    records = logcheck.parse_lines(out["log"].splitlines(), "blackhole factorial")
    down = [r for r in records if r["message"] == "redis unavailable"]
    assert down and "no answer in time" in down[0]["error"], down
