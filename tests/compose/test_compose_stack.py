"""End-to-end test of the compose stack (docker-compose.yaml), through its
published ports, as a user would run it.

    make e2e        (or: /usr/bin/python3 -m pytest -v tests/compose)

Builds the images, starts the stack under a project name of its own on free
127.0.0.1 ports, and checks what each service answers, what the containers
are allowed to do, that bar and Redis can go away and come back, that every
container stops gracefully and logs only schema JSON, and that `down -v`
leaves nothing behind. Skipped when no Docker engine answers.

The tests share one stack and run in file order: each step builds on the
state the previous one left (bar restarted, Redis stopped, all stopped).

Environment: COMPOSE ("docker compose" or docker-compose; found when
unset), DEBIAN_IMAGE (the Dockerfile's pin), E2E_HEALTH_TIMEOUT (120 s).
"""

import json
import math
import os
import pathlib
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from logcheck import check_request_keys, parse_lines  # noqa: E402

SERVICES = ("bar", "foo", "factorial", "redis")
HEALTH_TIMEOUT = float(os.environ.get("E2E_HEALTH_TIMEOUT", "120"))
# foo must answer again this soon after bar is back and healthy (its
# channel's reconnect backoff is capped at 1 s).
RECOVERY_S = 5.0
# The compose file's longest stop_grace_period: a stop that takes longer
# ended in a SIGKILL.
GRACE_S = 15.0
APP_UID = "10001"


def run(args, env=None, timeout=120, check=True):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def docker_answers():
    try:
        return run(["docker", "info"], timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def compose_command():
    if os.environ.get("COMPOSE"):
        return os.environ["COMPOSE"].split()
    if run(["docker", "compose", "version"], check=False).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


def pinned_base_image():
    text = (ROOT / "Dockerfile").read_text()
    match = re.search(r"^FROM\s+(\S+)\s+AS\s+debian-base\s*$", text, re.MULTILINE)
    assert match, "the Dockerfile has no FROM ... AS debian-base stage"
    return match.group(1)


def ensure_base_image(image):
    """Pulls the pinned base, or makes the local stand-in where no registry answers."""
    if run(["docker", "image", "inspect", image], check=False).returncode == 0:
        return
    if run(["docker", "pull", image], timeout=600, check=False).returncode == 0:
        return
    run([str(ROOT / "scripts" / "docker-base-images.sh"), image], timeout=1800)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def request(method, url, body=None, headers=None, timeout=10):
    """One HTTP request; 4xx and 5xx come back as responses, not exceptions."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers, resp.read().decode())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers, err.read().decode())


class Stack:
    """One compose project of the stack, and the docker commands on it."""

    def __init__(self):
        self.compose = compose_command()
        # Unique, so that the test never touches a stack someone started with
        # `make run`, nor one a crashed earlier run left behind.
        self.project = "foobare2e" + uuid.uuid4().hex[:8]
        self.foo_port = free_port()
        self.factorial_port = free_port()
        self.env = dict(os.environ)
        for name in ("COMPOSE_PROJECT_NAME", "COMPOSE_FILE"):
            self.env.pop(name, None)
        self.env.update(FOO_PORT=str(self.foo_port), FACTORIAL_PORT=str(self.factorial_port))
        self.env.setdefault("DEBIAN_IMAGE", pinned_base_image())
        self.env.setdefault("OCI_REVISION", "e2e")
        # As mk/docker.mk: v2 builds through buildx bake, which refuses the
        # host network without an interactive confirmation.
        self.env.setdefault("FOOBAR_BUILD_NETWORK",
                            "default" if self.compose == ["docker", "compose"] else "host")
        self.foo_url = f"http://127.0.0.1:{self.foo_port}"
        self.factorial_url = f"http://127.0.0.1:{self.factorial_port}"

    def dc(self, *args, timeout=120, check=True):
        return run([*self.compose, "-p", self.project, "-f", str(ROOT / "docker-compose.yaml"),
                    *args], env=self.env, timeout=timeout, check=check)

    def container(self, service):
        # -a: Compose v2 lists stopped containers only with it.
        ids = self.dc("ps", "-a", "-q", service).stdout.split()
        assert len(ids) == 1, f"{service}: expected one container, found {ids}"
        return ids[0]

    def inspect(self, service):
        return json.loads(run(["docker", "inspect", self.container(service)]).stdout)[0]

    def health(self, service):
        state = self.inspect(service)["State"]
        return state["Health"]["Status"] if state.get("Health") else state["Status"]

    def diagnostics(self):
        ps = self.dc("ps", check=False).stdout
        logs = self.dc("logs", "--no-color", "--tail=30", check=False).stdout
        return f"\n--- ps ---\n{ps}\n--- logs ---\n{logs[-6000:]}"

    def wait_healthy(self, services=SERVICES, timeout=HEALTH_TIMEOUT):
        deadline = time.monotonic() + timeout
        states = {}
        while time.monotonic() < deadline:
            states = {s: self.health(s) for s in services}
            if all(state == "healthy" for state in states.values()):
                return time.monotonic()
            bad = {s: v for s, v in states.items() if v in ("unhealthy", "exited", "dead")}
            assert not bad, f"services failed: {bad}{self.diagnostics()}"
            time.sleep(0.5)
        raise AssertionError(f"not healthy within {timeout} s: {states}{self.diagnostics()}")

    def logs(self, service):
        """Everything the container wrote, all its runs, without any prefix."""
        result = run(["docker", "logs", self.container(service)])
        return (result.stdout + result.stderr).splitlines()

    def leftovers(self):
        label = f"label=com.docker.compose.project={self.project}"
        found = {
            "containers": run(["docker", "ps", "-aq", "--filter", label]).stdout.split(),
            "networks": run(["docker", "network", "ls", "-q", "--filter", label]).stdout.split()
            + run(["docker", "network", "ls", "-q", "--filter",
                   f"name={self.project}_"]).stdout.split(),
            "volumes": run(["docker", "volume", "ls", "-q", "--filter", label]).stdout.split(),
        }
        return {kind: ids for kind, ids in found.items() if ids}


@pytest.fixture(scope="module")
def stack():
    # Skipped test by test rather than the whole module: pytest exits 5 on
    # a module skipped at import, which a CI script would take for failure.
    if not docker_answers():
        pytest.skip("skipped: no Docker engine")
    s = Stack()
    ensure_base_image(s.env["DEBIAN_IMAGE"])
    try:
        # As a user starts it: `make run` builds, starts and returns once
        # every service is healthy (under Compose v1 as under v2).
        run(["make", "-C", str(ROOT), "--no-print-directory", "run",
             f"COMPOSE_PROJECT={s.project}"], env=s.env, timeout=1800)
        s.wait_healthy(timeout=5)
        yield s
    finally:
        # test_down_leaves_nothing checks this; here it only must not leak.
        if s.dc("ps", "-aq", check=False).stdout.strip() or s.leftovers():
            s.dc("down", "-v", "--remove-orphans", "--timeout", "20", check=False, timeout=120)


def post_factorial(stack, number):
    return request("POST", stack.factorial_url + "/factorial", json.dumps({"number": number}),
                   {"Content-Type": "application/json"})


def test_compose_file_names_the_dockerfile_pin():
    """Compose's default is the Dockerfile's own pin, not a copy of it."""
    compose = (ROOT / "docker-compose.yaml").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    pinned_base_image()
    assert "DEBIAN_IMAGE:-debian-base}" in compose, \
        "docker-compose.yaml's DEBIAN_IMAGE default is not the Dockerfile's debian-base stage"
    assert re.search(r"^ARG DEBIAN_IMAGE=debian-base$", dockerfile, re.MULTILINE), \
        "the Dockerfile's DEBIAN_IMAGE does not default to its debian-base stage"


def test_built_images_are_never_pulled():
    """A service built here must not run a registry's image of the same name."""
    services = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())["services"]
    built = {name: svc for name, svc in services.items() if "build" in svc}
    assert set(built) == {"foo", "bar", "factorial", "redis"}
    for name, svc in built.items():
        assert svc.get("pull_policy") == "build", f"{name} may be pulled instead of built"


def test_foo_answers_foobar(stack):
    resp = request("GET", stack.foo_url + "/foo")
    assert resp.status == 200, resp.body
    assert resp.body == "foobar"


def test_factorial_is_exact_and_cached_on_repeat(stack):
    first = post_factorial(stack, 123)
    assert first.status == 200, first.body
    assert first.headers["Content-Type"].startswith("application/json")
    answer = first.json()
    assert answer["factorial"] == str(math.factorial(123))
    assert answer["number"] == 123
    assert answer["cached"] is False

    again = post_factorial(stack, 123)
    assert again.status == 200, again.body
    assert again.json()["factorial"] == str(math.factorial(123))
    assert again.json()["cached"] is True


def test_services_meet_on_one_private_network_by_name(stack):
    network = f"{stack.project}_foobar"
    info = {s: stack.inspect(s) for s in SERVICES}
    for service, c in info.items():
        assert c["HostConfig"]["NetworkMode"] != "host", service
        assert set(c["NetworkSettings"]["Networks"]) == {network}, service

    foo_env = dict(e.split("=", 1) for e in info["foo"]["Config"]["Env"])
    factorial_env = dict(e.split("=", 1) for e in info["factorial"]["Config"]["Env"])
    assert foo_env["BAR_ADDR"] == "bar:50051"
    assert factorial_env["REDIS_ADDR"] == "redis:6379"

    # The name foo dials is bar's address on the stack's network.
    bar_ip = info["bar"]["NetworkSettings"]["Networks"][network]["IPAddress"]
    resolved = run(["docker", "exec", stack.container("foo"), "getent", "hosts", "bar"]).stdout
    assert resolved.split()[0] == bar_ip, resolved

    # Only foo and factorial are published, and only on loopback.
    for service, port, published in (("foo", "8080/tcp", stack.foo_port),
                                     ("factorial", "8081/tcp", stack.factorial_port)):
        bindings = info[service]["HostConfig"]["PortBindings"]
        assert bindings == {port: [{"HostIp": "127.0.0.1", "HostPort": str(published)}]}, \
            (service, bindings)
    for service in ("bar", "redis"):
        assert not info[service]["HostConfig"]["PortBindings"], service


def test_containers_run_unprivileged(stack):
    for service in SERVICES:
        c = stack.inspect(service)
        cid = c["Id"]
        assert c["Config"]["User"] == f"{APP_UID}:{APP_UID}", service
        assert run(["docker", "exec", cid, "id", "-u"]).stdout.strip() == APP_UID, service
        # Every process of the container, PID 1 (the supervisor) included.
        top = run(["docker", "top", cid, "-o", "pid,uid,comm"]).stdout.splitlines()[1:]
        assert top and all(line.split()[1] == APP_UID for line in top), (service, top)

        host = c["HostConfig"]
        assert host["ReadonlyRootfs"] is True, service
        assert "ALL" in (host["CapDrop"] or []), service
        assert any(opt.startswith("no-new-privileges") for opt in host["SecurityOpt"] or []), \
            service
        assert host["RestartPolicy"]["Name"] == "unless-stopped", service
        assert not host.get("Init"), service
        assert c["Config"]["Labels"]["org.opencontainers.image.revision"], service

        # The root filesystem refuses writes; where a service needs to
        # write (lighttpd's sockets and spool, Redis' working directory),
        # /tmp is a tmpfs. bar writes nothing and has none.
        refused = run(["docker", "exec", cid, "touch", "/e2e-probe"], check=False)
        assert refused.returncode != 0, service
        probe = run(["docker", "exec", cid, "touch", "/tmp/e2e-probe"], check=False)
        assert (probe.returncode == 0) == (service != "bar"), (service, probe.stderr)


def foo_identity(stack):
    c = stack.inspect("foo")
    return c["Id"], c["State"]["StartedAt"], c["RestartCount"]


def wait_for_foobar(stack, within):
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        last = request("GET", stack.foo_url + "/foo", timeout=3)
        if last.status == 200 and last.body == "foobar":
            return
        time.sleep(0.1)
    raise AssertionError(f"/foo did not answer foobar within {within} s of bar being "
                         f"healthy; last {last.status}: {last.body}")


def assert_clean_failure(resp, status=None):
    """A failure foo reports itself: a JSON body with an error, never an HTML page."""
    if status is not None:
        assert resp.status == status, (resp.status, resp.body)
    assert resp.headers["Content-Type"].startswith("application/json"), \
        (resp.status, resp.headers["Content-Type"], resp.body)
    assert isinstance(resp.json().get("error"), str), resp.body


def test_foo_answers_503_while_bar_is_down_and_recovers(stack):
    before = foo_identity(stack)

    stack.dc("stop", "bar", timeout=60)
    assert stack.inspect("bar")["State"]["ExitCode"] == 0
    # Unreachable is 503 however it shows: refused, a name that does not
    # resolve, or (on an engine without iptables) a DNS query that hangs.
    for _ in range(3):
        started = time.monotonic()
        resp = request("GET", stack.foo_url + "/foo")
        assert_clean_failure(resp, 503)
        # Never longer than foo's deadline on bar (BAR_TIMEOUT_MS, 1 s).
        assert time.monotonic() - started < 2.5

    stack.dc("start", "bar")
    stack.wait_healthy(("bar",))
    wait_for_foobar(stack, RECOVERY_S)
    assert foo_identity(stack) == before, "foo was restarted"


def test_foo_rides_out_a_bar_restart(stack):
    before = foo_identity(stack)
    answers, stop = [], threading.Event()

    def poll():
        while not stop.is_set():
            try:
                resp = request("GET", stack.foo_url + "/foo", timeout=3)
                answers.append((resp.status, resp.headers.get("Content-Type", ""), resp.body))
            except OSError as exc:  # foo itself must never stop answering
                answers.append((0, "", repr(exc)))
            time.sleep(0.05)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        stack.dc("restart", "bar", timeout=60)
        stack.wait_healthy(("bar",))
        wait_for_foobar(stack, RECOVERY_S)
    finally:
        stop.set()
        poller.join(10)

    failures = [a for a in answers if a[0] != 200]
    for status, content_type, body in failures:
        # bar going away is "unavailable"; a call bar's shutdown cancels too.
        assert status == 503, (status, body)
        assert content_type.startswith("application/json"), (status, content_type, body)
        assert "error" in json.loads(body), body
    assert all(body == "foobar" for status, _, body in answers if status == 200)
    assert foo_identity(stack) == before, "foo was restarted"


def bar_containers(stack):
    return stack.dc("ps", "-a", "-q", "bar").stdout.split()


def test_foo_follows_bar_to_a_new_address(stack):
    """bar comes back under the same name at another IP address."""
    before = foo_identity(stack)
    network = f"{stack.project}_foobar"
    [old] = bar_containers(stack)
    old_ip = stack.inspect("bar")["NetworkSettings"]["Networks"][network]["IPAddress"]

    # A second bar starts while the first still holds its address, so the
    # new one cannot get the same; then the first goes away for good.
    stack.dc("up", "-d", "--no-recreate", "--scale", "bar=2", "bar", timeout=120)
    [new] = [c for c in bar_containers(stack) if c != old]
    info = json.loads(run(["docker", "inspect", new]).stdout)[0]
    new_ip = info["NetworkSettings"]["Networks"][network]["IPAddress"]
    assert new_ip and new_ip != old_ip
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while json.loads(run(["docker", "inspect", new]).stdout)[0]["State"]["Health"]["Status"] \
            != "healthy":
        assert time.monotonic() < deadline, "the second bar did not become healthy"
        time.sleep(0.5)
    run(["docker", "stop", old], timeout=60)
    assert json.loads(run(["docker", "inspect", old]).stdout)[0]["State"]["ExitCode"] == 0
    run(["docker", "rm", old])
    assert bar_containers(stack) == [new]

    wait_for_foobar(stack, RECOVERY_S)
    resolved = run(["docker", "exec", stack.container("foo"), "getent", "hosts", "bar"]).stdout
    assert resolved.split()[0] == new_ip, resolved
    assert foo_identity(stack) == before, "foo was restarted"


def test_factorial_answers_without_redis(stack):
    stack.dc("stop", "redis", timeout=60)
    assert stack.inspect("redis")["State"]["ExitCode"] == 0

    # Every worker tries to reconnect; a lookup of the gone name "redis"
    # Docker's DNS cannot answer must not hold a request longer than the
    # connect timeout (it took 20 s when the lookup had no deadline).
    for i in range(8):
        started = time.monotonic()
        resp = request("POST", stack.factorial_url + "/factorial",
                       json.dumps({"number": 123 + i}), {"Content-Type": "application/json"},
                       timeout=5)
        assert resp.status == 200, resp.body
        assert resp.json()["factorial"] == str(math.factorial(123 + i))
        assert resp.json()["cached"] is False
        assert time.monotonic() - started < 3, f"request {i} took {time.monotonic() - started} s"
        time.sleep(0.3)
    assert stack.health("factorial") == "healthy"


def test_stop_is_graceful(stack):
    started = time.monotonic()
    stack.dc("stop", timeout=120)
    elapsed = time.monotonic() - started
    assert elapsed < GRACE_S, f"compose stop took {elapsed:.1f} s"
    for service in SERVICES:
        state = stack.inspect(service)
        assert not state["State"]["Running"], service
        # 137 would be Docker's SIGKILL after the grace period.
        assert state["State"]["ExitCode"] == 0, (service, state["State"])
        assert not state["State"]["OOMKilled"], service
        assert state["RestartCount"] == 0, (service, state["RestartCount"])


def test_every_log_line_matches_the_schema(stack):
    records = []
    for service in SERVICES:
        lines = stack.logs(service)
        assert lines, f"{service} logged nothing"
        parsed = parse_lines(lines, source=service)
        assert any(r["service"] == service for r in parsed), service
        records += parsed
    assert check_request_keys(records) == {"foo", "bar", "factorial"}
    # Every program under a supervisor ended well, each time it stopped.
    exits = [r for r in records if r["message"] == "process exited"]
    assert exits and all(r.get("exit_code") == 0 for r in exits), \
        [r for r in exits if r.get("exit_code") != 0]
    assert any(r.get("component") == "redis" for r in records)


def test_down_leaves_nothing(stack):
    stack.dc("down", "-v", "--remove-orphans", timeout=120)
    assert stack.leftovers() == {}
