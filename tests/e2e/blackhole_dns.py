"""Run inside a fresh network and mount namespace (test_dns_deadline.py):
a DNS server on 127.0.0.1 that never answers, and factorial configured with
a Redis name only that server could resolve. Prints one JSON object: what
each request got and how long it took."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

bin_dir, run_dir, root = sys.argv[1:4]

# Swallow every question.
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dns.bind(("127.0.0.1", 53))
questions = []
threading.Thread(target=lambda: [questions.append(dns.recv(512)) for _ in iter(int, 1)],
                 daemon=True).start()

env = dict(os.environ, FOOBAR_BIN_DIR=bin_dir, FOOBAR_RUN_DIR=run_dir,
           FACTORIAL_LISTEN="127.0.0.1:8081", FACTORIAL_PROCS="1",
           REDIS_ADDR="redis.blackhole.test:6379", REDIS_CONNECT_TIMEOUT_MS="300")
log = open(os.path.join(run_dir, "factorial.log"), "wb")
proc = subprocess.Popen([os.path.join(bin_dir, "supervisor"), "--service", "factorial",
                         "--stop-signal", "INT", "--", "lighttpd", "-D", "-f",
                         os.path.join(root, "lighttpd/factorial.conf")], env=env, stdout=log)
results = []
try:
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:8081/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    for n in (5, 6, 7):
        started = time.monotonic()
        req = urllib.request.Request("http://127.0.0.1:8081/factorial",
                                     data=json.dumps({"number": n}).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                results.append({"status": resp.status, "body": json.loads(resp.read()),
                                "seconds": time.monotonic() - started})
        except OSError as err:
            results.append({"error": str(err), "seconds": time.monotonic() - started})
        time.sleep(2.5)  # past the longest backoff: every request tries to connect
finally:
    proc.send_signal(2)
    code = proc.wait(30)
    log.close()
print(json.dumps({"results": results, "questions": len(questions), "exit": code,
                  "log": open(os.path.join(run_dir, "factorial.log")).read()}))
