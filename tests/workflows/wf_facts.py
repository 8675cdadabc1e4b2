"""What the CI workflow must do that a workflow linter cannot see.

problems() reads the workflow, the Dockerfile and dependabot.yml as text and
returns a list of broken facts (empty when all hold):

- it runs on pushes to every branch (master too), on pull requests and by
  hand, and never on pull_request_target (which would hand secrets to a
  fork's code);
- every `uses:` is pinned to a 40-character commit SHA with its release in a
  trailing comment;
- permissions are declared for the workflow and for each job, read-only;
- publishing needs every other job (lint, tests, end-to-end, k6, Kubernetes);
- the image matrix is exactly foo, bar and factorial, each a `FROM ... AS
  <service>` stage of the Dockerfile; redis is not published;
- in every situation it can run in (push or manual run, master or not, pull
  request), login, push and attestations happen exactly on master, tags are
  `latest` (only at master's tip) and `sha-<short sha>`, the namespace is
  DOCKERHUB_NAMESPACE or else the Docker Hub user, and a push to master
  without the secrets fails with a message;
- the k6 steps: both smoke runs fail when k6 fails, and foo.js fails the job
  when it passes with bar stopped;
- CI tests in the Dockerfile's base image; Dependabot watches the actions,
  the Dockerfile and the npm folders.

Conditions are evaluated (wf_expr) and run: steps executed with stub
commands, so the facts are about behaviour, not spelling.
"""

import json
import pathlib
import re
import subprocess
import tempfile

import yaml

from wf_expr import ExprError, evaluate_if, evaluate_value, to_string, truthy

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/ci.yml"
DEPENDABOT = ".github/dependabot.yml"

SERVICES = ("foo", "bar", "factorial")
NOT_PUBLISHED = ("redis",)
BRANCH = "master"
PLATFORMS = ("linux/amd64", "linux/arm64")
# Write scopes a publishing job could need for GitHub artifact attestations;
# nothing else may be written.
WRITE_SCOPES_ALLOWED = ("id-token", "attestations")

SHA = "0123abcdef4567890123abcdef4567890123abcd"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"

USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(\.\d+)*\b")


def scenario(event, ref, *, secrets=True, namespace=None, tip=True):
    """The contexts of one run: which event, on which ref, with what set."""
    pr = event == "pull_request"
    return {
        "publish": ref == f"refs/heads/{BRANCH}" and event in ("push", "workflow_dispatch"),
        "secrets": secrets,
        "namespace": namespace,
        "tip": tip,
        "github": {
            "event_name": event,
            "ref": ref,
            "sha": SHA,
            "repository": "octo-org/foobar",
            "repository_owner": "Octo-Org",
            "server_url": "https://github.com",
            "run_id": "1001",
            "token": "stub-token",
            "event": {"pull_request": {"number": 7}} if pr else {},
        },
        "vars": {"DOCKERHUB_NAMESPACE": namespace} if namespace else {},
        "secrets_ctx": (
            {"DOCKERHUB_USERNAME": "alice", "DOCKERHUB_TOKEN": "dckr_pat_stub"} if secrets else {}
        ),
    }


SCENARIOS = {
    "push to master": scenario("push", "refs/heads/master"),
    "push to master, namespace variable": scenario("push", "refs/heads/master", namespace="acme"),
    "push to master, no longer the tip": scenario("push", "refs/heads/master", tip=False),
    "push to master, secrets missing": scenario("push", "refs/heads/master", secrets=False),
    "manual run on master": scenario("workflow_dispatch", "refs/heads/master"),
    "manual run on a branch": scenario("workflow_dispatch", "refs/heads/feature"),
    "push to a branch": scenario("push", "refs/heads/feature"),
    "pull request": scenario("pull_request", "refs/pull/7/merge"),
    "pull request from a fork": scenario("pull_request", "refs/pull/7/merge", secrets=False),
}


# --- reading ---------------------------------------------------------------


def load_yaml(text):
    data = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as true.
    if isinstance(data, dict) and True in data:
        data["on"] = data.pop(True)
    return data


def dockerfile_facts(text):
    """Stage names, declared ARGs with defaults, LABEL text, and the pinned base.

    The base is DEBIAN_IMAGE's default, or, when that names a stage, the
    image that stage is FROM (where Dependabot can read the pin).
    """
    joined = re.sub(r"\\\n", " ", text)
    stages, args, labels, froms = [], {}, [], {}
    for line in joined.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        keyword = words[0].upper()
        if keyword == "FROM":
            rest = [w for w in words[1:] if not w.startswith("--")]
            if len(rest) >= 3 and rest[1].upper() == "AS":
                stages.append(rest[2])
                froms[rest[2]] = rest[0]
        elif keyword == "ARG" and len(words) > 1:
            name, _, default = words[1].partition("=")
            args.setdefault(name, default or None)
        elif keyword == "LABEL":
            labels.append(line)
    base = args.get("DEBIAN_IMAGE")
    base = froms.get(base, base)
    return {"stages": stages, "args": args, "labels": " ".join(labels), "base": base}


def steps_of(job):
    return job.get("steps") or []


def uses_of(step):
    return (step.get("uses") or "").split("@")[0]


def find_job(jobs, predicate):
    return [name for name, job in jobs.items() if any(predicate(s) for s in steps_of(job))]


def runs(step, needle):
    return needle in (step.get("run") or "")


# --- running steps ---------------------------------------------------------


def run_step(step, env, stubs):
    """Runs a step's script as GitHub does (bash -eo pipefail), with stub commands.

    stubs maps a command name to a shell script body. Returns (exit status,
    outputs written to $GITHUB_OUTPUT, combined output). The same script in
    the same environment is run once.
    """
    key = (step["run"], tuple(sorted(env.items())), tuple(sorted(stubs.items())))
    if key not in _RUNS:
        _RUNS[key] = _run_script(step["run"], env, stubs)
    status, outputs, log = _RUNS[key]
    return status, dict(outputs), log


_RUNS = {}


def _run_script(run, env, stubs):
    with tempfile.TemporaryDirectory() as tmp:
        bindir = pathlib.Path(tmp, "bin")
        bindir.mkdir()
        for name, body in stubs.items():
            path = bindir / name
            path.write_text("#!/bin/bash\n" + body + "\n")
            path.chmod(0o755)
        output = pathlib.Path(tmp, "output")
        output.touch()
        script = pathlib.Path(tmp, "step.sh")
        script.write_text(run)
        full_env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": tmp, "GITHUB_OUTPUT": str(output)}
        full_env.update({k: to_string(v) for k, v in env.items()})
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              env=full_env, cwd=tmp, capture_output=True, text=True, timeout=30)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()
                       if "=" in line)
    return proc.returncode, outputs, proc.stdout + proc.stderr


def github_env(ctx):
    g = ctx["github"]
    return {"GITHUB_SHA": g["sha"], "GITHUB_REPOSITORY": g["repository"],
            "GITHUB_REF": g["ref"], "GITHUB_EVENT_NAME": g["event_name"]}


# --- the checks ------------------------------------------------------------


def check_triggers(wf, out):
    on = wf.get("on")
    if not isinstance(on, dict):
        out.append("trigger: `on:` must be a mapping with push, pull_request, workflow_dispatch")
        return
    # Every pushed branch is tested ("**" matches master too); what only
    # master may do is checked job by job below.
    push = on.get("push") or {}
    if push.get("branches") != ["**"] or set(push) - {"branches"}:
        out.append(f"trigger: push must run on every branch ({BRANCH} included) and nothing "
                   f"else, got {push!r}")
    if "pull_request" not in on:
        out.append("trigger: pull requests must run the tests")
    if "workflow_dispatch" not in on:
        out.append("trigger: workflow_dispatch (a manual publish) is missing")
    if "pull_request_target" in on:
        out.append("trigger: pull_request_target gives a fork's changes the secrets")


def check_pins(texts, out):
    for path, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            m = USES_LINE.match(line)
            if not m:
                continue
            ref, comment = m.group("ref").strip("'\""), (m.group("comment") or "").strip()
            if ref.startswith("./"):
                continue
            if ref.startswith("docker://"):
                if "@sha256:" not in ref:
                    out.append(f"{path}:{number}: {ref} is not pinned to a digest")
                continue
            if not PINNED.match(ref):
                out.append(f"{path}:{number}: {ref} is not pinned to a 40-character commit SHA")
            if not VERSION_COMMENT.match(comment):
                out.append(f"{path}:{number}: {ref} has no `# vX.Y.Z` release comment")


def check_permissions(wf, publisher, out):
    def scopes(where, perms, job_name):
        if not isinstance(perms, dict):
            out.append(f"permissions: {where} must declare a mapping of scopes, got {perms!r}")
            return
        for scope, level in perms.items():
            if level in ("read", "none"):
                continue
            if level == "write" and scope in WRITE_SCOPES_ALLOWED and job_name == publisher:
                continue
            out.append(f"permissions: {where} grants {scope}: {level}")

    if "permissions" not in wf:
        out.append("permissions: the workflow declares none (the default token may write)")
    else:
        scopes("the workflow", wf["permissions"], None)
        if (wf["permissions"] or {}).get("contents") != "read":
            out.append("permissions: the workflow must declare contents: read")
    for name, job in wf.get("jobs", {}).items():
        if "permissions" not in job:
            out.append(f"permissions: job {name} declares none")
        else:
            scopes(f"job {name}", job["permissions"], name)


def check_needs(jobs, publisher, out):
    def needs(name):
        value = jobs.get(name, {}).get("needs") or []
        return [value] if isinstance(value, str) else list(value)

    seen, todo = set(), needs(publisher)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(needs(name))
    for required in ("make lint", "make test", "make e2e", "k6 run", "make k8s-lint",
                     "kubectl apply"):
        for name in find_job(jobs, lambda s, r=required: runs(s, r)):
            if name != publisher and name not in seen:
                out.append(f"needs: publishing job {publisher} does not need {name} ({required})")


def check_matrix(job, docker, out):
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    services = list(matrix.get("service") or [])
    services += [e["service"] for e in matrix.get("include") or [] if "service" in e]
    for service in SERVICES:
        if service not in services:
            out.append(f"matrix: service {service} has no matrix entry")
        if docker and service not in docker["stages"]:
            out.append(f"Dockerfile: no `FROM ... AS {service}` stage")
    for service in NOT_PUBLISHED:
        if service in services:
            out.append(f"matrix: {service} is local-only and must not be published")
    for service in services:
        if service not in SERVICES:
            out.append(f"matrix: unexpected service {service}")
    return [s for s in services if s in SERVICES]


def check_containers(jobs, docker, out):
    if not docker:
        return
    base = docker["base"]
    if not base:
        out.append("Dockerfile: ARG DEBIAN_IMAGE has no default")
        return
    for target in ("make lint", "make test"):
        for name in find_job(jobs, lambda s, t=target: runs(s, t)):
            image = jobs[name].get("container")
            image = image.get("image") if isinstance(image, dict) else image
            if image != base:
                out.append(f"container: job {name} ({target}) runs in {image!r}, "
                           f"the Dockerfile's DEBIAN_IMAGE is {base!r}")
            check_node(name, jobs[name], target, out)


def check_node(name, job, target, out):
    """A job running make lint or make test sets up Node 20 before it.

    Both run npm packages (the workflow linter, the k6 and Kubernetes
    checks); Debian's Node in the container is 18, and the linter needs 20.
    """
    for step in steps_of(job):
        if runs(step, target):
            out.append(f"node: job {name} runs `{target}` without setting up Node 20 first")
            return
        if uses_of(step) == "actions/setup-node":
            version = str((step.get("with") or {}).get("node-version", ""))
            major = version.split(".")[0]
            if not major.isdigit() or int(major) < 20:
                out.append(f"node: job {name} sets up Node {version!r}, not 20 or later")
            return


def metadata_tags(spec, flavor, ctx):
    """The tags docker/metadata-action makes from its `tags` lines (raw and sha)."""
    tags = []
    for line in (spec or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = dict(f.split("=", 1) if "=" in f else ("value", f) for f in line.split(","))
        if to_string(fields.get("enable", "true")).lower() != "true":
            continue
        kind = fields.get("type", "raw")
        if kind == "raw":
            value = fields.get("value", "")
            tags.append(fields.get("prefix", "") + value + fields.get("suffix", ""))
        elif kind == "sha":
            sha = ctx["github"]["sha"]
            sha = sha if fields.get("format") == "long" else sha[:7]
            tags.append(fields.get("prefix", "sha-") + sha + fields.get("suffix", ""))
        else:
            tags.append(f"<{kind}>")
    if "latest=true" in (flavor or ""):
        tags.append("latest")
    return tags


def simulate_publisher(wf, name, service, ctx, docker, out):
    """Walks the publishing job's steps in one situation and checks each.

    run: steps are executed (PATH is /usr/bin:/bin and a stub `gh` that
    names the tip of master); the docker actions are judged by their
    evaluated inputs, and metadata-action's outputs are derived from its.
    """
    job = wf["jobs"][name]
    where = f"{name}[{service}], {ctx['label']}"
    base = {
        "github": ctx["github"], "vars": ctx["vars"], "secrets": ctx["secrets_ctx"],
        "matrix": {"service": service}, "needs": {}, "steps": {}, "env": {},
    }
    # Environment values are always strings in GitHub.
    for key, value in (wf.get("env") or {}).items():
        base["env"][key] = to_string(evaluate_value(value, base))
    for key, value in (job.get("env") or {}).items():
        base["env"][key] = to_string(evaluate_value(value, base))

    publish = ctx["publish"]
    namespace = ctx["namespace"] or "alice"
    image = f"{namespace}/{service}"
    saw = {"login": False, "build": False, "meta": False, "stopped": False}
    meta_tags = None

    for index, step in enumerate(steps_of(job)):
        label = step.get("name") or step.get("uses") or f"step {index + 1}"
        step_ctx = dict(base, env=dict(base["env"]))
        for key, value in (step.get("env") or {}).items():
            step_ctx["env"][key] = to_string(evaluate_value(value, step_ctx))
        if not evaluate_if(step.get("if"), step_ctx):
            continue
        action = uses_of(step)
        inputs = {k: evaluate_value(v, step_ctx) for k, v in (step.get("with") or {}).items()}

        if "run" in step:
            head = ctx["github"]["sha"] if ctx["tip"] else OTHER_SHA
            status, outputs, log = run_step(step, dict(github_env(ctx), **step_ctx["env"]),
                                            {"gh": f"echo {head}"})
            if status != 0:
                if publish and not ctx["secrets"] and not saw["login"]:
                    saw["stopped"] = "DOCKERHUB" in log
                    break
                out.append(f"publish: step {label!r} fails ({where}): {log.strip()[:200]}")
                break
            if step.get("id"):
                base["steps"][step["id"]] = {"outputs": outputs}
        elif action == "docker/login-action":
            saw["login"] = True
            if not publish:
                out.append(f"login: runs on {where}; only a push or manual run on master may")
            elif not ctx["secrets"]:
                out.append(f"login: reached without secrets ({where}); fail before with a message")
            elif inputs.get("username") != "alice" or inputs.get("password") != "dckr_pat_stub":
                out.append("login: must use secrets DOCKERHUB_USERNAME and DOCKERHUB_TOKEN")
        elif action == "docker/metadata-action":
            saw["meta"] = True
            tags = metadata_tags(inputs.get("tags"), inputs.get("flavor"), ctx)
            images = [i.strip() for i in to_string(inputs.get("images")).split("\n") if i.strip()]
            if publish and images != [image]:
                out.append(f"tags: image is {images}, expected [{image!r}] ({where})")
            short = "sha-" + ctx["github"]["sha"][:7]
            if publish and short not in tags:
                out.append(f"tags: no {short} tag ({where}), got {tags}")
            wants_latest = publish and ctx["tip"]
            if ("latest" in tags) != wants_latest:
                out.append(f"tags: latest is {'' if 'latest' in tags else 'not '}tagged "
                           f"({where}); it belongs to master's tip only")
            json_labels = {
                "org.opencontainers.image.revision": ctx["github"]["sha"],
                "org.opencontainers.image.source": "https://github.com/octo-org/foobar",
                "org.opencontainers.image.url": "https://github.com/octo-org/foobar",
                "org.opencontainers.image.created": "2030-01-01T00:00:00.000Z",
                "org.opencontainers.image.licenses": "",
            }
            outputs = {"tags": "\n".join(f"{image}:{t}" for t in tags),
                       "labels": "\n".join(f"{k}={v}" for k, v in json_labels.items()),
                       "json": json.dumps({"tags": tags, "labels": json_labels})}
            if step.get("id"):
                base["steps"][step["id"]] = {"outputs": outputs}
            meta_tags = outputs["tags"]
        elif action == "docker/build-push-action":
            saw["build"] = True
            check_build(inputs, service, ctx, meta_tags, docker, where, out)

    if publish and not ctx["secrets"]:
        if not saw["stopped"]:
            out.append(f"publish: without secrets ({where}) no step fails naming DOCKERHUB_*")
        return
    if not saw["meta"]:
        out.append(f"publish: docker/metadata-action does not run ({where})")
    if not saw["build"]:
        out.append(f"publish: docker/build-push-action does not run ({where})")
    if publish and not saw["login"]:
        out.append(f"login: does not run ({where}); pushing would fail")


def check_build(inputs, service, ctx, meta_tags, docker, where, out):
    publish = ctx["publish"]
    if inputs.get("target") != service:
        out.append(f"build: target is {inputs.get('target')!r}, expected {service!r} ({where})")
    platforms = [p.strip() for p in to_string(inputs.get("platforms")).split(",")]
    for platform in PLATFORMS:
        if platform not in platforms:
            out.append(f"build: platform {platform} missing ({where})")
    if truthy(inputs.get("push")) and to_string(inputs.get("push")) != "false":
        if not publish:
            out.append(f"push: pushes on {where}; only a push or manual run on master may")
    elif publish:
        out.append(f"push: does not push on {where}")
    for key in ("provenance", "sbom"):
        value = to_string(inputs.get(key, "")).lower()
        on = value not in ("", "false", "0")
        if on != publish:
            wanted = "on" if publish else "off"
            out.append(f"attestations: {key}={value!r} on {where}; wanted {wanted}")
    for key in ("cache-from", "cache-to"):
        fields = dict(f.split("=", 1) for f in to_string(inputs.get(key)).split(",") if "=" in f)
        if fields.get("type") != "gha" or fields.get("scope") != service:
            out.append(f"cache: {key} must be type=gha,scope={service} ({where})")
    if meta_tags is not None and to_string(inputs.get("tags")) != meta_tags:
        out.append(f"build: tags are not metadata-action's ({where})")
    args = dict(line.split("=", 1) for line in to_string(inputs.get("build-args")).splitlines()
                if "=" in line)
    if docker:
        for name in args:
            if name not in docker["args"]:
                out.append(f"build: build-arg {name} is not an ARG of the Dockerfile")
    revision = [n for n, v in args.items() if v == ctx["github"]["sha"]]
    labels = to_string(inputs.get("labels"))
    if f"org.opencontainers.image.revision={ctx['github']['sha']}" not in labels:
        if not revision:
            out.append(f"labels: nothing passes the commit as the OCI revision ({where})")
        elif docker and not any(f"org.opencontainers.image.revision=\"${{{n}}}\"" in
                                docker["labels"] for n in revision):
            out.append(f"labels: the Dockerfile does not label the revision from {revision}")


def check_concurrency(wf, publisher, out):
    def group_and_cancel(block, ctx, matrix=None):
        c = {"github": ctx["github"], "vars": {}, "matrix": matrix or {}}
        if isinstance(block, str):
            return evaluate_value(block, c), False
        return (evaluate_value(block.get("group"), c),
                truthy(evaluate_value(block.get("cancel-in-progress", False), c)))

    top = wf.get("concurrency")
    if not top:
        out.append("concurrency: the workflow declares none; a new PR push should cancel the old")
    else:
        _, cancel = group_and_cancel(top, SCENARIOS["pull request"])
        if not cancel:
            out.append("concurrency: a new push to a pull request does not cancel its older run")
        _, cancel = group_and_cancel(top, SCENARIOS["push to master"])
        if cancel:
            out.append("concurrency: runs on master may be cancelled mid-publish")
    block = wf["jobs"][publisher].get("concurrency")
    if not block:
        out.append(f"concurrency: job {publisher} does not serialise publishing")
        return
    first, cancel = group_and_cancel(block, SCENARIOS["push to master"], {"service": "foo"})
    later = dict(SCENARIOS["push to master"])
    later["github"] = dict(later["github"], run_id="1002", sha=OTHER_SHA)
    second, _ = group_and_cancel(block, later, {"service": "foo"})
    if cancel:
        out.append(f"concurrency: job {publisher} cancels an in-progress publish")
    if first != second:
        out.append(f"concurrency: two master runs of {publisher} are in different groups; "
                   "they would race on latest")


def check_k6(jobs, out):
    names = find_job(jobs, lambda s: uses_of(s) == "grafana/setup-k6-action")
    if not names:
        out.append("k6: no job installs k6 with grafana/setup-k6-action")
        return
    steps = steps_of(jobs[names[0]])
    setup = next(i for i, s in enumerate(steps) if uses_of(s) == "grafana/setup-k6-action")
    stop = next((i for i, s in enumerate(steps)
                 if re.search(r"docker compose stop bar\b", s.get("run") or "")), None)
    if stop is None:
        out.append("k6: no step stops bar (docker compose stop bar)")
        return
    k6_steps = [(i, s) for i, s in enumerate(steps) if re.search(r"\bk6 run\b", s.get("run") or "")]
    if any(i < setup for i, _ in k6_steps):
        out.append("k6: a k6 step runs before grafana/setup-k6-action")
    if not any(runs(s, "make run") for s in steps[:stop]):
        out.append("k6: the stack is not started (make run) before the k6 runs")

    def outcome(step, k6_status):
        return run_step(step, {}, {"k6": f"exit {k6_status}"})[0]

    for script in ("k6/foo.js", "k6/factorial.js"):
        smoke = [s for i, s in k6_steps if i < stop and script in s["run"]]
        if not smoke:
            out.append(f"k6: no smoke run of {script} before bar is stopped")
        for step in smoke:
            if outcome(step, 0) != 0 or outcome(step, 99) == 0:
                out.append(f"k6: the smoke step of {script} does not follow k6's exit status")
    after = [s for i, s in k6_steps if i > stop and "k6/foo.js" in s["run"]]
    if not after:
        out.append("k6: foo.js is not run again after bar is stopped")
    for step in after:
        if outcome(step, 0) == 0:
            out.append("k6: the step after stopping bar passes when k6 passes")
        if outcome(step, 99) != 0:
            out.append("k6: the step after stopping bar fails when k6 fails too; it must pass then")
        if outcome(step, 107) == 0:
            out.append("k6: the step after stopping bar passes when k6 itself breaks (exit 107)")


def check_dependabot(text, root, out):
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        out.append(f"dependabot: not YAML: {err}")
        return
    if data.get("version") != 2:
        out.append("dependabot: version must be 2")
    dirs = {}
    for update in data.get("updates") or []:
        listed = update.get("directories") or [update.get("directory")]
        dirs.setdefault(update.get("package-ecosystem"), []).extend(d for d in listed if d)
    for ecosystem in ("github-actions", "docker", "docker-compose"):
        if "/" not in dirs.get(ecosystem, []):
            out.append(f"dependabot: no {ecosystem} updates for /")
    for directory in dirs.get("docker", []):
        if not (root / directory.lstrip("/")).is_dir():
            out.append(f"dependabot: docker directory {directory} does not exist")
    for directory in dirs.get("npm", []):
        if not (root / directory.lstrip("/") / "package.json").is_file():
            out.append(f"dependabot: npm directory {directory} has no package.json")


def problems(workflow_text, dockerfile_text, dependabot_text, root=ROOT, other_workflows=None):
    """Every broken fact, as sentences; an empty list when all hold."""
    out = []
    try:
        wf = load_yaml(workflow_text)
    except yaml.YAMLError as err:
        return [f"workflow: not YAML: {err}"]
    docker = dockerfile_facts(dockerfile_text) if dockerfile_text is not None else None
    if docker is None:
        out.append("Dockerfile: not found")
    jobs = wf.get("jobs") or {}

    check_triggers(wf, out)
    check_pins(dict({WORKFLOW: workflow_text}, **(other_workflows or {})), out)

    publishers = find_job(jobs, lambda s: uses_of(s) == "docker/build-push-action")
    if len(publishers) != 1:
        out.append(f"publish: expected one job using docker/build-push-action, got {publishers}")
        return out
    publisher = publishers[0]
    check_permissions(wf, publisher, out)
    check_needs(jobs, publisher, out)
    check_containers(jobs, docker, out)
    check_concurrency(wf, publisher, out)
    check_k6(jobs, out)
    for name in ("make lint", "make test", "make e2e"):
        if not find_job(jobs, lambda s, n=name: runs(s, n)):
            out.append(f"tests: no job runs `{name}`")

    services = check_matrix(jobs[publisher], docker, out)
    for label, ctx in SCENARIOS.items():
        for service in services:
            try:
                simulate_publisher(wf, publisher, service, dict(ctx, label=label), docker, out)
            except (ExprError, KeyError, ValueError) as err:
                out.append(f"publish: cannot evaluate job {publisher} ({label}): {err}")

    check_dependabot(dependabot_text, root, out)
    # A sentence that several situations produced is said once.
    return list(dict.fromkeys(out))


def read_repo(root=ROOT):
    """The texts problems() reads, from a checkout."""
    def text(relative):
        path = root / relative
        return path.read_text() if path.is_file() else None

    others = {str(p.relative_to(root)): p.read_text()
              for p in sorted((root / ".github/workflows").glob("*.y*ml"))
              if str(p.relative_to(root)) != WORKFLOW}
    return {"workflow_text": text(WORKFLOW), "dockerfile_text": text("Dockerfile"),
            "dependabot_text": text(DEPENDABOT) or "", "root": root, "other_workflows": others}


if __name__ == "__main__":
    found = problems(**read_repo())
    for line in found:
        print(line)
    raise SystemExit(1 if found else 0)
