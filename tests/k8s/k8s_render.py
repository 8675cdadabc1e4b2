"""Renders the overlays of deploy/k8s (kubectl kustomize), once each per test run."""

import copy
import functools
import os
import shutil
import subprocess

import pytest
import yaml

from k8s_checks import K8S

KUBECTL = os.environ.get("KUBECTL", "kubectl")
OVERLAY_DIR = K8S / "overlays"


def overlay_names():
    return sorted(p.name for p in OVERLAY_DIR.iterdir() if (p / "kustomization.yaml").exists())


@functools.lru_cache(maxsize=None)
def _render(overlay):
    if shutil.which(KUBECTL) is None:
        pytest.fail(f"{KUBECTL} not found: the tests render the overlays with kubectl kustomize")
    out = subprocess.run([KUBECTL, "kustomize", str(OVERLAY_DIR / overlay)],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.fail(f"kubectl kustomize {overlay} failed:\n{out.stderr}")
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def rendered(overlay):
    """A fresh copy of the overlay's objects, free to change."""
    return copy.deepcopy(list(_render(overlay)))
