"""Logging under pressure: a reader of the stack's output that keeps up
slower than the requests come. lighttpd writes its access log without
blocking and drops what a full pipe does not take (its design); our own
lines block instead, and none may be lost or mangled on the way, even where
a cut-short access line runs into them."""

import collections
import http.client
import os
import pathlib
import subprocess
import sys
import threading

from conftest import BIN_DIR
import logcheck
import stack as stack_mod

THREADS, PER_THREAD = 64, 200

# Reads the FIFO 16 KiB at a time with a pause after each read, into a file.
SLOW_READER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
with open(sys.argv[2], "wb") as out:
    while True:
        data = os.read(fd, 16384)
        if not data:
            break
        out.write(data)
        time.sleep(0.005)
"""


def test_no_line_of_ours_is_lost_when_the_log_reader_is_slow(tmp_path):
    fifo = tmp_path / "factorial.fifo"
    os.mkfifo(fifo)
    log = tmp_path / "factorial-slow.log"
    reader = subprocess.Popen([sys.executable, "-c", SLOW_READER, str(fifo), str(log)])
    stack = stack_mod.Stack(bin_dir=BIN_DIR, run_dir=tmp_path / "run", procs=4)
    stack.components["factorial"].log_path = pathlib.Path(fifo)
    statuses = collections.Counter()
    try:
        stack.start()

        def client(t):
            conn = http.client.HTTPConnection("127.0.0.1", stack.ports["factorial"], timeout=60)
            for i in range(PER_THREAD):
                conn.request("POST", "/factorial", body='{"number": %d}' % (i % 50),
                             headers={"Content-Type": "application/json",
                                      "X-Request-ID": f"press-{t}-{i}", "User-Agent": "u" * 300})
                resp = conn.getresponse()
                resp.read()
                statuses[resp.status] += 1
            conn.close()

        threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        codes = stack.stop()
        reader.wait(60)
    assert statuses == {200: THREADS * PER_THREAD}
    assert codes["factorial"] == 0
    records = logcheck.parse_lines(log.read_text(encoding="utf-8").splitlines(), "factorial")
    served = collections.Counter(r["request_id"] for r in records
                                 if r["message"] == "request served"
                                 and r.get("request_id", "").startswith("press-"))
    # Every request's own line, exactly once.
    assert len(served) == THREADS * PER_THREAD and set(served.values()) == {1}, (
        f"{THREADS * PER_THREAD - len(served)} lines lost")
    access = sum(r["message"] == "http access" and r.get("request_id", "").startswith("press-")
                 for r in records)
    assert 0 < access <= THREADS * PER_THREAD
