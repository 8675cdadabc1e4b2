"""The CI workflow's facts hold, and the checks of them can fail.

test_repository_holds checks the real files. Each mutation then edits a copy
of one file the way a careless change would, and the checks must name what
broke: a check that cannot fail proves nothing.
"""

import pathlib
import re

import pytest

import wf_expr
import wf_facts

REPO = wf_facts.read_repo()

# Read from the files, so that a Dependabot bump does not break the mutations.
CHECKOUT, CHECKOUT_VERSION = re.search(r"(actions/checkout@[0-9a-f]{40}) # (\S+)",
                                       REPO["workflow_text"]).groups()
SETUP_NODE = re.search(r"actions/setup-node@[0-9a-f]{40} # \S+", REPO["workflow_text"]).group(0)
BASE = wf_facts.dockerfile_facts(REPO["dockerfile_text"])["base"]

# (what to edit, text to replace, replacement, words the problem must contain)
MUTATIONS = {
    "action unpinned": (
        "workflow_text", f"{CHECKOUT} # {CHECKOUT_VERSION}",
        f"actions/checkout@v7 # {CHECKOUT_VERSION}", "not pinned to a 40-character commit SHA"),
    "release comment dropped": (
        "workflow_text", f"{CHECKOUT} # {CHECKOUT_VERSION}", CHECKOUT, "release comment"),
    "pinned to a short SHA": (
        "workflow_text", CHECKOUT, CHECKOUT[:-1], "not pinned"),
    "push only on main": (
        "workflow_text", "branches: ['**']", "branches: [main]", "trigger: push"),
    "push only on master": (
        "workflow_text", "branches: ['**']", "branches: [master]", "trigger: push"),
    "push on tags too": (
        "workflow_text", "    branches: ['**']\n", "    branches: ['**']\n    tags: ['*']\n",
        "trigger: push"),
    "pull_request_target": (
        "workflow_text", "  pull_request:\n", "  pull_request_target:\n", "pull_request_target"),
    "publish condition on main": (
        "workflow_text", "github.ref == 'refs/heads/master'", "github.ref == 'refs/heads/main'",
        "push: does not push"),
    "publish on any push": (
        "workflow_text",
        "github.ref == 'refs/heads/master'\n        && (github.event_name",
        "(github.event_name", "push: pushes on"),
    "login unconditioned": (
        "workflow_text", "        if: env.PUBLISH == 'true'\n        with:\n          username",
        "        with:\n          username", "login: runs on"),
    "push always": (
        "workflow_text", "push: ${{ env.PUBLISH == 'true' }}", "push: true", "push: pushes on"),
    "no attestations": (
        "workflow_text", "sbom: ${{ env.PUBLISH == 'true' }}", "sbom: false", "attestations: sbom"),
    "service dropped from matrix": (
        "workflow_text", "service: [foo, bar, factorial]", "service: [foo, factorial]",
        "service bar has no matrix entry"),
    "redis published": (
        "workflow_text", "service: [foo, bar, factorial]", "service: [foo, bar, factorial, redis]",
        "redis is local-only"),
    "latest tag dropped": (
        "workflow_text",
        "            type=raw,value=latest,enable=${{ steps.tip.outputs.latest == 'true' }}\n", "",
        "latest is not tagged"),
    "latest on every commit": (
        "workflow_text", "enable=${{ steps.tip.outputs.latest == 'true' }}", "enable=true",
        "latest is tagged"),
    "sha tag renamed": (
        "workflow_text", "type=sha,prefix=sha-,format=short", "type=sha,prefix=commit-",
        "no sha-0123abc tag"),
    "namespace ignores the variable": (
        "workflow_text", "vars.DOCKERHUB_NAMESPACE || ", "", "expected ['acme/"),
    "publishing does not need the tests": (
        "workflow_text", "needs: [lint, test, e2e, k8s-static, k8s-kind]",
        "needs: [lint, e2e, k8s-static, k8s-kind]", "does not need test"),
    "publishing does not need the kind deployment": (
        "workflow_text", "needs: [lint, test, e2e, k8s-static, k8s-kind]",
        "needs: [lint, test, e2e, k8s-static]", "does not need k8s-kind"),
    "publishing needs nothing": (
        "workflow_text", "    needs: [lint, test, e2e, k8s-static, k8s-kind]\n", "",
        "does not need"),
    "workflow may write": (
        "workflow_text", "permissions:\n  contents: read\n\n# A new push",
        "permissions:\n  contents: write\n\n# A new push", "grants contents: write"),
    "job without permissions": (
        "workflow_text", "    timeout-minutes: 60\n    permissions:\n      contents: read\n",
        "    timeout-minutes: 60\n", "job images declares none"),
    "packages write": (
        "workflow_text", "    timeout-minutes: 60\n    permissions:\n      contents: read\n",
        "    timeout-minutes: 60\n    permissions:\n      contents: read\n      packages: write\n",
        "grants packages: write"),
    "PR runs not cancelled": (
        "workflow_text", "cancel-in-progress: ${{ github.event_name == 'pull_request' }}",
        "cancel-in-progress: false", "does not cancel its older run"),
    "publishing cancelled": (
        "workflow_text", "      cancel-in-progress: false\n", "      cancel-in-progress: true\n",
        "cancels an in-progress publish"),
    "publish group per run": (
        "workflow_text", "group: images-${{ matrix.service }}-${{ github.ref }}",
        "group: images-${{ matrix.service }}-${{ github.run_id }}", "race on latest"),
    "cache shared between services": (
        "workflow_text", "cache-to: type=gha,scope=${{ matrix.service }},mode=max",
        "cache-to: type=gha,scope=images,mode=max", "cache: cache-to"),
    "arm64 dropped": (
        "workflow_text", "platforms: linux/amd64,linux/arm64", "platforms: linux/amd64",
        "platform linux/arm64 missing"),
    "build arg unknown to the Dockerfile": (
        "workflow_text", "OCI_REVISION=", "GIT_REVISION=", "build-arg GIT_REVISION"),
    "secrets not checked": (
        "workflow_text", "            exit 1\n          fi\n      # A re-run",
        "          fi\n      # A re-run", "reached without secrets"),
    "negative k6 step cannot fail": (
        "workflow_text",
        "expected 99 (thresholds crossed)\"\n            exit 1\n",
        "expected 99 (thresholds crossed)\"\n",
        "passes when k6 passes"),
    "negative k6 step takes any failure": (
        "workflow_text", 'if [ "$status" -ne 99 ]; then', 'if [ "$status" -eq 0 ]; then',
        "passes when k6 itself breaks"),
    "negative k6 step always fails": (
        "workflow_text", "k6 run k6/foo.js || status=$?", "k6 run k6/foo.js || true",
        "fails when k6 fails"),
    "smoke run ignores k6": (
        "workflow_text", "run: k6 run k6/factorial.js", "run: k6 run k6/factorial.js || true",
        "smoke step of k6/factorial.js"),
    "bar never stopped": (
        "workflow_text", "run: docker compose stop bar", "run: docker compose ps",
        "no step stops bar"),
    "tests outside the base image": (
        "workflow_text", "    timeout-minutes: 45\n    permissions:\n      contents: read\n"
        f"    container: {BASE}\n",
        "    timeout-minutes: 45\n    permissions:\n      contents: read\n"
        "    container: debian:bookworm\n", "job test (make test) runs in 'debian:bookworm'"),
    "test job without Node": (
        "workflow_text", f"      - uses: {SETUP_NODE}\n        with:\n          node-version: 20\n"
        "      # GCC 12", "      # GCC 12", "job test runs `make test` without setting up Node 20"),
    "lint job on Debian's Node": (
        "workflow_text", f"it needs 20.\n      - uses: {SETUP_NODE}\n        with:\n"
        "          node-version: 20\n",
        f"it needs 20.\n      - uses: {SETUP_NODE}\n        with:\n          node-version: 18\n",
        "job lint sets up Node '18'"),
    "Dockerfile stage renamed": (
        "dockerfile_text", " AS factorial\n", " AS fact\n", "no `FROM ... AS factorial` stage"),
    "Dockerfile base moved alone": (
        "dockerfile_text", f"FROM {BASE} AS debian-base\n", "FROM debian:moved AS debian-base\n",
        "the Dockerfile's DEBIAN_IMAGE is 'debian:moved'"),
    "Dockerfile base as a plain ARG, moved alone": (
        "dockerfile_text", f"ARG DEBIAN_IMAGE=debian-base\nFROM {BASE} AS debian-base\n",
        "ARG DEBIAN_IMAGE=debian:moved\n", "the Dockerfile's DEBIAN_IMAGE is 'debian:moved'"),
    "dependabot misses compose": (
        "dependabot_text", "package-ecosystem: docker-compose", "package-ecosystem: pip",
        "no docker-compose updates"),
    "dependabot watches a folder that is gone": (
        "dependabot_text", "      - /deploy/k8s/base\n", "      - /deploy/kubernetes\n",
        "docker directory /deploy/kubernetes does not exist"),
    "dependabot misses actions": (
        "dependabot_text", "package-ecosystem: github-actions", "package-ecosystem: pip",
        "no github-actions updates"),
}


def test_repository_holds():
    assert REPO["workflow_text"] is not None, f"{wf_facts.WORKFLOW} is missing"
    assert wf_facts.problems(**REPO) == []


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(name):
    target, old, new, expected = MUTATIONS[name]
    texts = dict(REPO)
    assert texts[target] is not None and old in texts[target], f"{name}: nothing to mutate"
    texts[target] = texts[target].replace(old, new)

    found = wf_facts.problems(**texts)

    assert any(expected in p for p in found), f"{name}: not caught; found {found}"


def test_mutation_in_temporary_checkout(tmp_path):
    """The same checks read a copied tree: unpinning one action there fails."""
    for relative in (wf_facts.WORKFLOW, wf_facts.DEPENDABOT, "Dockerfile",
                     "tools/package.json", "k6/package.json"):
        source = wf_facts.ROOT / relative
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    # Folders Dependabot watches, for images in files of their own.
    (tmp_path / "deploy/k8s/base").mkdir(parents=True)
    workflow = tmp_path / wf_facts.WORKFLOW
    text = workflow.read_text()
    workflow.write_text(re.sub(r"docker/login-action@[0-9a-f]{40}", "docker/login-action@v4",
                               text, count=1))

    assert wf_facts.problems(**wf_facts.read_repo(tmp_path)) != []
    workflow.write_text(text)
    assert wf_facts.problems(**wf_facts.read_repo(tmp_path)) == []


@pytest.mark.parametrize("expression, expected", [
    ("github.ref == 'refs/heads/master' && github.event_name == 'push'", True),
    ("github.event_name == 'PUSH'", True),  # strings compare without case
    ("github.ref == 'refs/heads/master' && github.event_name == 'pull_request'", False),
    ("vars.MISSING || 'fallback'", "fallback"),
    ("!(github.event_name == 'push')", False),
    ("format('{0}/{1}', 'a', 'b')", "a/b"),
    ("fromJSON('{\"a\": {\"b\": 3}}').a['b']", 3),
    ("startsWith(github.ref, 'refs/heads/')", True),
])
def test_expression_evaluator(expression, expected):
    ctx = {"github": {"ref": "refs/heads/master", "event_name": "push"}, "vars": {}}
    assert wf_expr.evaluate(expression, ctx) == expected


def test_expression_evaluator_refuses_what_it_cannot_read():
    with pytest.raises(wf_expr.ExprError):
        wf_expr.evaluate("hashFiles('**/x')", {})
    with pytest.raises(wf_expr.ExprError):
        wf_expr.evaluate("github.ref ==", {})


def test_dockerfile_reader():
    facts = wf_facts.dockerfile_facts(
        "ARG BASE=debian:12-slim\nFROM ${BASE} AS build\nRUN make\n"
        "FROM --platform=$TARGETPLATFORM ${BASE} as foo\nARG REV\n"
        "LABEL a=1 \\\n  b=2\n")
    assert facts["stages"] == ["build", "foo"]
    assert facts["args"] == {"BASE": "debian:12-slim", "REV": None}
    assert "b=2" in facts["labels"]
    facts = wf_facts.dockerfile_facts(
        "ARG DEBIAN_IMAGE=pin\nFROM debian:12.9-slim AS pin\nFROM ${DEBIAN_IMAGE} AS build\n")
    assert facts["base"] == "debian:12.9-slim"


if __name__ == "__main__":
    raise SystemExit(pytest.main([str(pathlib.Path(__file__)), "-q"]))
