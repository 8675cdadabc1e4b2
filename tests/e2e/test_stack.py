"""End-to-end tests of the native stack: real redis-server, real lighttpd
spawning the real FastCGI programs, real gRPC between foo and bar.

The tests run in file order against one stack; the last one stops it and
checks exit codes and every log line.
"""

import json
import math
import random
import re
import subprocess
import sys
import threading
import time

import pytest

from conftest import BIN_DIR, ROOT, post_factorial, request
import logcheck
import stack as stack_mod

sys.set_int_max_str_digits(0)

# N chosen per run so that a value cached by an earlier run cannot pass for ours.
RUN_N = random.randint(40000, 60000)


def redis_cli(stack, *args):
    out = subprocess.run(["redis-cli", "-p", str(stack.ports["redis"]), "--no-raw", *args],
                         capture_output=True, text=True, timeout=10, check=True)
    return out.stdout.strip()


def redis_get(stack, key):
    out = subprocess.run(["redis-cli", "-p", str(stack.ports["redis"]), "--raw", "GET", key],
                         capture_output=True, text=True, timeout=10, check=True)
    return out.stdout.rstrip("\n")


def redis_set(stack, key, value):
    """SET with the value on stdin: a large one does not fit in an argument."""
    subprocess.run(["redis-cli", "-p", str(stack.ports["redis"]), "-x", "SET", key],
                   input=value, capture_output=True, text=True, timeout=10, check=True)


def assert_json_error(resp, status, phrase=""):
    assert resp.status == status, (resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert set(body) == {"error"}, body
    assert phrase in body["error"], body


# --- foo --------------------------------------------------------------------

def test_foo_answers_foobar(stack):
    resp = request("GET", stack.foo_url + "/foo")
    assert resp.status == 200
    assert resp.body == "foobar"
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"])


def test_range_header_gets_the_whole_answer(stack):
    resp = request("GET", stack.foo_url + "/foo", headers={"Range": "bytes=0-2"})
    assert (resp.status, resp.body) == (200, "foobar")
    assert "Accept-Ranges" not in resp.headers or resp.headers["Accept-Ranges"] == "none"


def test_foo_head(stack):
    resp = request("HEAD", stack.foo_url + "/foo")
    assert resp.status == 200
    assert resp.body == ""


def test_request_id_taken_when_sane_replaced_when_not(stack):
    resp = request("GET", stack.foo_url + "/foo", headers={"X-Request-ID": "e2e-trace:1.a_b"})
    assert resp.headers["X-Request-ID"] == "e2e-trace:1.a_b"
    for bad in ("has space", "x" * 65, "quote\"d", "semi;colon"):
        resp = request("GET", stack.foo_url + "/foo", headers={"X-Request-ID": bad})
        assert resp.status == 200
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"]), bad


def test_foo_unknown_path_and_wrong_method(stack):
    assert_json_error(request("GET", stack.foo_url + "/nope"), 404, "not found")
    assert_json_error(request("GET", stack.foo_url + "/foo/"), 404)
    resp = request("POST", stack.foo_url + "/foo", body="x")
    assert_json_error(resp, 405, "method not allowed")
    assert resp.headers["Allow"] == "GET, HEAD"
    assert_json_error(request("DELETE", stack.foo_url + "/healthz"), 405)


def test_long_path_is_logged_cut_and_marked(stack):
    path = "/" + "p" * 3000
    assert_json_error(request("GET", stack.foo_url + path), 404, "not found")
    stack.long_path_prefix = path[:100]


def test_foo_health_endpoints(stack):
    assert request("GET", stack.foo_url + "/healthz").json() == {"status": "ok"}
    resp = request("GET", stack.foo_url + "/readyz")
    assert resp.status == 200
    assert resp.json() == {"ready": True, "bar": "SERVING"}


# --- factorial ----------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 5, 20, 21, 66, 123])
def test_factorial_exact(stack, n):
    resp = post_factorial(stack, {"number": n})
    assert resp.status == 200, resp.body
    assert resp.headers["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"number", "factorial", "cached"}
    assert body["number"] == n
    assert isinstance(body["factorial"], str)
    assert body["factorial"] == str(math.factorial(n))


def test_factorial_3000_digits(stack):
    body = post_factorial(stack, {"number": 3000}).json()
    expected = str(math.factorial(3000))
    assert len(body["factorial"]) == len(expected) == 9131
    assert body["factorial"] == expected


def test_readme_factorial_examples_are_true(stack):
    """Every factorial answer the README shows is what the service answers."""
    readme = (ROOT / "README.md").read_text()
    shown = [json.loads(m) for m in re.findall(r'^# (\{"number":.*\})$', readme, re.MULTILINE)]
    assert len(shown) >= 4, shown
    for example in shown:
        n = example["number"]
        assert example["factorial"] == str(math.factorial(n)), f"README's {n}! is wrong"
        answer = post_factorial(stack, {"number": n})
        assert answer.status == 200 and answer.json()["factorial"] == example["factorial"]


def test_cache_miss_then_hit(stack):
    n = RUN_N
    first = post_factorial(stack, {"number": n}).json()
    second = post_factorial(stack, {"number": n}).json()
    expected = str(math.factorial(n))
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["factorial"] == second["factorial"] == expected
    assert redis_get(stack, f"factorial:{n}") == expected


def test_force_recomputes_and_overwrites(stack):
    n = RUN_N + 1
    expected = str(math.factorial(n))
    # A wrong value of the right shape (digit count, trailing zeros) passes
    # the cache's check, and is served until forced out.
    wrong = ("9" if expected[0] != "9" else "8") + expected[1:]
    redis_set(stack, f"factorial:{n}", wrong)
    planted = post_factorial(stack, {"number": n}).json()
    assert planted == {"number": n, "factorial": wrong, "cached": True}
    forced = post_factorial(stack, {"number": n, "force": True}).json()
    assert forced == {"number": n, "factorial": expected, "cached": False}
    assert redis_get(stack, f"factorial:{n}") == expected
    again = post_factorial(stack, {"number": n}).json()
    assert again == {"number": n, "factorial": expected, "cached": True}


@pytest.mark.parametrize("planted", ["not digits", "12345", "0{right}", "{right}0",
                                     "{right_short}"])
def test_corrupt_cache_value_is_replaced(stack, planted):
    n = RUN_N + 2
    right = str(math.factorial(n))
    value = planted.format(right=right, right_short=right[:10] + right[11:])
    redis_set(stack, f"factorial:{n}", value)
    body = post_factorial(stack, {"number": n}).json()
    assert body == {"number": n, "factorial": right, "cached": False}
    assert redis_get(stack, f"factorial:{n}") == right


def test_concurrent_misses_compute_once(stack):
    n = 90000 + RUN_N % 1000
    results = []

    def ask():
        results.append(post_factorial(stack, {"number": n}))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    expected = str(math.factorial(n))
    assert len(results) == 4
    assert all(r.status == 200 and r.json()["factorial"] == expected for r in results)
    assert sorted(r.json()["cached"] for r in results) == [False, True, True, True]
    # The log lines say the same at the end (test_zz): one computation.
    COMPUTED_ONCE.append(n)


def ask_while_claimed(stack, n):
    """Claims n as another request would, posts n on a thread and checks the
    request waits; returns the thread and the list its answer lands in."""
    redis_cli(stack, "DEL", f"factorial:{n}")
    redis_cli(stack, "SET", f"factorial:lock:{n}", "e2e-holder", "PX", "60000")
    answer = []
    thread = threading.Thread(target=lambda: answer.append(post_factorial(stack, {"number": n})))
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the request did not wait for the claimed value"
    return thread, answer


def test_request_waits_for_a_value_another_is_computing(stack):
    # The test plays the request that claimed n first and computes it.
    n = RUN_N + 11
    thread, answer = ask_while_claimed(stack, n)
    expected = str(math.factorial(n))
    redis_set(stack, f"factorial:{n}", expected)
    redis_cli(stack, "DEL", f"factorial:lock:{n}")
    thread.join(10)
    assert answer and answer[0].status == 200, answer
    assert answer[0].json() == {"number": n, "factorial": expected, "cached": True}
    WAITED.append(n)


def test_waiting_request_computes_when_the_claim_goes_away(stack):
    # The claimer died (or ran out of memory) without storing a value.
    n = RUN_N + 12
    thread, answer = ask_while_claimed(stack, n)
    redis_cli(stack, "DEL", f"factorial:lock:{n}")
    thread.join(10)
    expected = str(math.factorial(n))
    assert answer and answer[0].status == 200, answer
    assert answer[0].json() == {"number": n, "factorial": expected, "cached": False}
    assert redis_get(stack, f"factorial:{n}") == expected
    # Its own claim was released once the value was stored.
    assert redis_cli(stack, "EXISTS", f"factorial:lock:{n}") == "(integer) 0"
    WAITED_THEN_COMPUTED.append(n)


def test_forced_request_neither_waits_for_nor_touches_a_claim(stack):
    n = RUN_N + 13
    redis_cli(stack, "SET", f"factorial:lock:{n}", "e2e-holder", "PX", "60000")
    resp = post_factorial(stack, {"number": n, "force": True}, timeout=5)
    assert resp.status == 200 and resp.json()["cached"] is False
    assert redis_get(stack, f"factorial:lock:{n}") == "e2e-holder"
    redis_cli(stack, "DEL", f"factorial:lock:{n}")


COMPUTED_ONCE = []
WAITED = []
WAITED_THEN_COMPUTED = []


BAD_REQUESTS = [
    # (content type, body, status, phrase)
    ("text/plain", '{"number": 5}', 415, "Content-Type"),
    (None, '{"number": 5}', 415, "Content-Type"),
    ("application/json", "", 400, "empty body"),
    ("application/json", "number=5", 400, "not valid JSON"),
    ("application/json", '{"number": 5', 400, "unexpected end"),
    ("application/json", '{"number": 5} trailing', 400, "not valid JSON"),
    ("application/json", '{"number": 5, "number": 6}', 400, "duplicate"),
    ("application/json", "null", 400, "not null"),
    ("application/json", "{}", 400, 'missing field "number"'),
    ("application/json", '{"number": 5.5}', 400, "must be an integer"),
    ("application/json", '{"number": "5"}', 400, "not a string"),
    ("application/json", '{"number": true}', 400, "not a boolean"),
    ("application/json", '{"number": null}', 400, "not null"),
    ("application/json", '{"number": [5]}', 400, "not an array"),
    ("application/json", '{"number": {}}', 400, "not an object"),
    ("application/json", '{"number": 123456789012345678901234567890}', 422, "too large"),
    ("application/json", '{"number": -1}', 422, "negative"),
    ("application/json", '{"number": 100001}', 422, "at most 100000"),
    ("application/json", '{"number": 5, "force": "true"}', 400, '"force" must be a boolean'),
    ("application/json", '{"number": 5, "force": null}', 400, '"force" must be a boolean'),
    ("application/json", '{"number": 5, "extra": 1}', 400, "unknown field"),
    ("application/json", '{"number": 5' + " " * 2000 + "}", 413, "larger than"),
]


@pytest.mark.parametrize("content_type,body,status,phrase", BAD_REQUESTS)
def test_bad_input_gets_json_4xx(stack, content_type, body, status, phrase):
    assert_json_error(post_factorial(stack, body, content_type), status, phrase)


def test_body_beyond_lighttpd_limit_gets_json_413(stack):
    resp = post_factorial(stack, '{"number": 5' + " " * (70 * 1024) + "}")
    assert_json_error(resp, 413)


def test_factorial_wrong_method_and_path(stack):
    resp = request("GET", stack.factorial_url + "/factorial")
    assert_json_error(resp, 405)
    assert resp.headers["Allow"] == "POST"
    assert_json_error(request("POST", stack.factorial_url + "/nope", body="{}",
                              headers={"Content-Type": "application/json"}), 404)


def test_factorial_health_endpoints(stack):
    assert request("GET", stack.factorial_url + "/healthz").json() == {"status": "ok"}
    assert request("GET", stack.factorial_url + "/readyz").json() == {"ready": True,
                                                                      "redis": "up"}


# --- failures and recovery --------------------------------------------------

def test_redis_down_still_answers(stack):
    redis = stack.components["redis"]
    assert redis.stop() == 0
    try:
        n = RUN_N + 3
        resp = post_factorial(stack, {"number": n})
        assert resp.status == 200
        assert resp.json() == {"number": n, "factorial": str(math.factorial(n)),
                               "cached": False}
        ready = request("GET", stack.factorial_url + "/readyz")
        assert (ready.status, ready.json()) == (200, {"ready": True, "redis": "unavailable"})
    finally:
        redis.start()
    # Back within the reconnect backoff (at most 2 s), and caching again.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        post_factorial(stack, {"number": RUN_N + 4})
        if post_factorial(stack, {"number": RUN_N + 4}).json()["cached"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail("factorial did not use Redis again after it came back")


def test_bar_down_503_then_recovers(stack):
    bar = stack.components["bar"]
    assert bar.stop() == 0
    try:
        started = time.monotonic()
        resp = request("GET", stack.foo_url + "/foo")
        elapsed = time.monotonic() - started
        assert_json_error(resp, 503, "unavailable")
        # Within its 1 s deadline, plus slack for a loaded machine.
        assert elapsed < 2.5, elapsed
        ready = request("GET", stack.foo_url + "/readyz")
        assert ready.status == 503
        assert ready.json()["ready"] is False
    finally:
        bar.start(wait=False)
    bar.wait_ready()
    healthy_at = time.monotonic()
    # foo notices by itself: every worker must answer again without a restart.
    while True:
        answers = [request("GET", stack.foo_url + "/foo").body for _ in range(6)]
        if all(a == "foobar" for a in answers):
            break
        assert time.monotonic() - healthy_at < 2.0, answers
        time.sleep(0.05)


def test_second_bar_on_a_taken_port_refuses_to_start(stack):
    env = dict(__import__("os").environ, BAR_LISTEN=stack.bar_addr)
    proc = subprocess.run([str(BIN_DIR / "bar")], env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    assert proc.returncode == 1, proc.stdout
    records = logcheck.parse_lines(proc.stdout.splitlines(), "second-bar")
    assert any(r["message"] == "cannot listen" for r in records), proc.stdout
    # The stack's own bar still answers every call.
    assert all(request("GET", stack.foo_url + "/foo").body == "foobar" for _ in range(8))


def _start_foo(tmp_path, bar_addr, timeout_ms):
    """A second foo (lighttpd + workers) pointed at some other bar."""
    port = stack_mod.free_port()
    env = {"BAR_ADDR": bar_addr, "BAR_TIMEOUT_MS": str(timeout_ms),
           "FOO_LISTEN": f"127.0.0.1:{port}", "FOO_PROCS": "1",
           "FOOBAR_BIN_DIR": str(BIN_DIR), "FOOBAR_RUN_DIR": str(tmp_path)}
    component = stack_mod.Component(
        "foo-extra",
        [str(BIN_DIR / "supervisor"), "--service", "foo", "--stop-signal", "INT", "--",
         "lighttpd", "-D", "-f", str(ROOT / "lighttpd/foo.conf")],
        dict(__import__("os").environ, **env), tmp_path / "foo-extra.log",
        lambda: stack_mod.http_ok(f"http://127.0.0.1:{port}/healthz"))
    component.start()
    return component, f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_bar():
    procs = []

    def start(mode):
        port = stack_mod.free_port()
        proc = subprocess.Popen(["/usr/bin/python3", str(ROOT / "tests/e2e/fake_bar.py"),
                                 str(port), mode], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().startswith("fake bar")
        return f"127.0.0.1:{port}"

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("mode,status,phrase", [
    ("slow:3000", 504, "in time"),
    ("error", 502, "bar failed"),
    ("garbage", 502, "bar failed"),
])
def test_bar_failures_map_to_gateway_errors(tmp_path, fake_bar, mode, status, phrase):
    foo, url = _start_foo(tmp_path, fake_bar(mode), timeout_ms=300)
    try:
        started = time.monotonic()
        resp = request("GET", url + "/foo")
        elapsed = time.monotonic() - started
        assert_json_error(resp, status, phrase)
        if status == 504:
            assert 0.25 < elapsed < 2.5, elapsed
    finally:
        assert foo.stop() == 0
    lines = logcheck.parse_lines(foo.log_path.read_text().splitlines(), "foo-extra")
    served = [r for r in lines if r["message"] == "request served" and r["path"] == "/foo"]
    assert served and served[0]["status"] == status
    assert served[0]["grpc_status"] != "OK"


def test_stop_lets_in_flight_request_finish(tmp_path, fake_bar):
    foo, url = _start_foo(tmp_path, fake_bar("slow:1500"), timeout_ms=5000)
    result = {}
    worker = threading.Thread(target=lambda: result.update(r=request("GET", url + "/foo")))
    worker.start()
    time.sleep(0.5)  # the request is now waiting on the slow bar
    assert foo.stop() == 0
    worker.join(10)
    assert result["r"].status == 200
    assert result["r"].body == "foobar"


@pytest.mark.parametrize("service,variable,value", [
    ("foo", "BAR_ADDR", None),
    ("foo", "BAR_ADDR", ":50051"),
    ("foo", "BAR_ADDR", "bogus:///bar:50051"),
    ("foo", "BAR_ADDR", "dns:///bar"),
    ("foo", "BAR_ADDR", "unix:"),
    ("factorial", "REDIS_ADDR", ":6379"),
    ("factorial", "REDIS_ADDR", "redis"),
])
def test_program_refuses_to_start_with_a_bad_address(tmp_path, service, variable, value):
    env = dict(__import__("os").environ, FOOBAR_BIN_DIR=str(BIN_DIR), FOOBAR_RUN_DIR=str(tmp_path))
    env[f"{service.upper()}_LISTEN"] = f"127.0.0.1:{stack_mod.free_port()}"
    env.pop(variable, None)
    if value is not None:
        env[variable] = value
    proc = subprocess.run(
        [str(BIN_DIR / "supervisor"), "--service", service, "--stop-signal", "INT", "--",
         "lighttpd", "-D", "-f", str(ROOT / f"lighttpd/{service}.conf")],
        env=env, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode != 0
    records = logcheck.parse_lines(proc.stdout.splitlines(), f"{service}-bad-{variable}")
    assert any(r["message"] == "invalid configuration" and r.get("variable") == variable
               for r in records), proc.stdout


# --- the end: stop everything, then read every line -------------------------

def test_zz_stop_is_clean_and_every_log_line_is_schema_json(stack):
    codes = stack.stop()
    assert codes == {"foo": 0, "factorial": 0, "bar": 0, "redis": 0}
    records = []
    for path in stack.log_files():
        text = path.read_text(encoding="utf-8")
        assert "Sanitizer" not in text, f"sanitizer report in {path}"
        assert "runtime error" not in text, f"UBSan report in {path}"
        records += logcheck.parse_lines(text.splitlines(), str(path))
    assert logcheck.check_request_keys(records) == {"foo", "bar", "factorial"}
    # The request id sent to foo reached bar's log of the same call.
    bar_ids = {r["request_id"] for r in records
               if r["service"] == "bar" and r["message"] == "request served"}
    assert "e2e-trace:1.a_b" in bar_ids
    # One application line per request, plus lighttpd's access line.
    foo_lines = [r for r in records if r.get("request_id") == "e2e-trace:1.a_b"
                 and r["service"] == "foo"]
    assert sorted(r["message"] for r in foo_lines) == ["http access", "request served"]
    # Factorial lines say what the cache did.
    outcomes = {r["cache"] for r in records if r.get("service") == "factorial" and "cache" in r}
    assert outcomes == {"hit", "miss", "forced", "unavailable"}
    warned = [r for r in records if r.get("cache") == "unavailable"]
    assert all(r["level"] == "warn" for r in warned)
    for n in COMPUTED_ONCE:
        lines = [r for r in records if r.get("number") == n and r["message"] == "request served"]
        assert len(lines) == 4
        assert sum("compute_ms" in r for r in lines) == 1, lines
    for n in WAITED:
        [line] = [r for r in records if r.get("number") == n and r["message"] == "request served"]
        assert line["coalesced"] is True and line["cache"] == "hit", line
        assert line["waited_ms"] >= 400, line
        assert "compute_ms" not in line, line
    for n in WAITED_THEN_COMPUTED:
        # The wait shows in the line of the request that computed after it.
        [line] = [r for r in records if r.get("number") == n and r["message"] == "request served"]
        assert line["cache"] == "miss" and "compute_ms" in line, line
        assert line["waited_ms"] >= 400, line
    # The 3000-character path: foo's line keeps 511 of it and says so.
    [cut] = [r for r in records if r["service"] == "foo" and r["message"] == "request served"
             and r["path"].startswith(stack.long_path_prefix)]
    assert len(cut["path"]) == 511 and cut["truncated"] is True, cut
    json.dumps(records)  # every record is plain JSON data
