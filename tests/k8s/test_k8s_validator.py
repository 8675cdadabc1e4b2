"""The schema validator (deploy/k8s/validate, `make k8s-lint`) passes every
rendered overlay and rejects rendered objects with a schema mistake: a
field the API does not have, a value of the wrong type or outside its enum,
a kind the API version does not serve."""

import copy
import pathlib
import shutil
import subprocess

import pytest
import yaml

import k8s_checks as kc
from k8s_render import overlay_names, rendered

VALIDATE_DIR = kc.K8S / "validate"
VALIDATE = VALIDATE_DIR / "validate.mjs"


def run_validator(streams, tmp_path: pathlib.Path):
    """Validates {name: objects}, each written to its own file, in one run."""
    if shutil.which("node") is None:
        pytest.fail("node not found (Node.js 20 or later)")
    if not (VALIDATE_DIR / "node_modules" / "kubernetes-models").is_dir():
        pytest.fail("the validator's packages are missing: run make k8s-check "
                    "(npm ci --prefix deploy/k8s/validate)")
    files = []
    for name, docs in streams.items():
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return subprocess.run(["node", str(VALIDATE)] + [str(f) for f in files],
                          capture_output=True, text=True, timeout=120)


def test_every_overlay_is_valid(tmp_path):
    out = run_validator({o: rendered(o) for o in overlay_names()}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "valid against Kubernetes v1.33.0" in out.stdout


def container(obj):
    return kc.pod_spec(obj)["containers"][0]


# (object name, Deployment it starts from, JSON pointer the finding must
# name, how the object goes wrong)
BROKEN = [
    ("unknown-top-field", "foo", "/spec/replica",
     lambda o: o["spec"].__setitem__("replica", 2)),
    ("unknown-container-field", "foo", "/spec/template/spec/containers/0/imagePullPolice",
     lambda o: container(o).__setitem__("imagePullPolice", "Always")),
    ("unknown-probe-field", "bar", "/spec/template/spec/containers/0/readinessProbe/grpc/servce",
     lambda o: container(o)["readinessProbe"]["grpc"].__setitem__("servce", "bar.v1.BarService")),
    ("misplaced-field", "foo", "/spec/template/spec/readOnlyRootFilesystem",
     lambda o: kc.pod_spec(o).__setitem__("readOnlyRootFilesystem", True)),
    ("port-as-string", "foo", "/spec/template/spec/containers/0/ports/0/containerPort",
     lambda o: container(o)["ports"][0].__setitem__("containerPort", "8080")),
    ("replicas-as-string", "bar", "/spec/replicas",
     lambda o: o["spec"].__setitem__("replicas", "2")),
    ("bad-enum", "foo", "/spec/template/spec/containers/0/imagePullPolicy",
     lambda o: container(o).__setitem__("imagePullPolicy", "Sometimes")),
    ("bad-quantity", "foo", "/spec/template/spec/containers/0/resources/limits/memory",
     lambda o: container(o)["resources"]["limits"].__setitem__("memory", "lots")),
]


def test_broken_objects_are_rejected(tmp_path):
    docs = rendered("dev")
    broken = []
    for name, source, _, mutate in BROKEN:
        obj = copy.deepcopy(kc.named(docs, "Deployment", source))
        obj["metadata"]["name"] = name
        mutate(obj)
        broken.append(obj)
    out = run_validator({"broken": broken}, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    for name, _, pointer, _ in BROKEN:
        lines = [line for line in out.stderr.splitlines() if f"Deployment/{name}:" in line]
        assert any(pointer in line for line in lines), \
            f"{name}: no finding at {pointer} in:\n{out.stderr}"


def test_removed_api_is_rejected(tmp_path):
    pdb = copy.deepcopy(kc.named(rendered("prod"), "PodDisruptionBudget", "foo"))
    pdb["apiVersion"] = "policy/v1beta1"
    out = run_validator({"removed": [pdb]}, tmp_path)
    assert out.returncode == 1
    assert "policy/v1beta1 PodDisruptionBudget is not served" in out.stderr
