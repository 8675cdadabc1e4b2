"""The rendered overlays meet the checks of k8s_checks.py; and each check,
run on a copy changed the way a mistake would change it, fails."""

import pytest

import k8s_checks as kc
from k8s_render import overlay_names, rendered


def test_every_overlay_has_its_checks():
    assert set(overlay_names()) == set(kc.OVERLAYS), \
        "an overlay without an entry in k8s_checks.OVERLAYS (or the reverse)"


CASES = [(overlay, check) for overlay, spec in sorted(kc.OVERLAYS.items())
         for check in spec["checks"]]


@pytest.mark.parametrize("overlay,check", CASES,
                         ids=[f"{o}-{c.__name__[len('check_'):]}" for o, c in CASES])
def test_overlay(overlay, check):
    assert check(rendered(overlay)) == []


@pytest.mark.parametrize("overlay", sorted(kc.OVERLAYS))
def test_namespace(overlay):
    want = kc.OVERLAYS[overlay]["namespace"]
    docs = rendered(overlay)
    assert [d["metadata"]["name"] for d in kc.of_kind(docs, "Namespace")] == [want]
    for d in docs:
        if d["kind"] != "Namespace":
            assert d["metadata"].get("namespace") == want, f"{d['kind']}/{d['metadata']['name']}"


# --- every check can fail ---------------------------------------------------------

def dep(docs, name):
    return kc.named(docs, "Deployment", name)


def ctr(docs, name):
    return kc.main_container(dep(docs, name))


def set_env(docs, name, variable, value):
    for entry in ctr(docs, name)["env"]:
        if entry["name"] == variable:
            entry.clear()
            entry.update({"name": variable, "value": value})
            return
    ctr(docs, name)["env"].append({"name": variable, "value": value})


def drop(docs, kind, name):
    docs.remove(kc.named(docs, kind, name))


def setitem(obj, key, value):
    obj[key] = value


# (what goes wrong, overlay, the check that must notice, how)
MUTATIONS = [
    ("no readiness probe", "dev", kc.check_probes,
     lambda d: ctr(d, "foo").pop("readinessProbe")),
    ("no liveness probe on redis", "prod", kc.check_probes,
     lambda d: ctr(d, "redis").pop("livenessProbe")),
    ("no memory limit", "dev", kc.check_resources,
     lambda d: ctr(d, "bar")["resources"]["limits"].pop("memory")),
    ("cpu limit below request", "prod", kc.check_resources,
     lambda d: setitem(ctr(d, "factorial")["resources"]["limits"], "cpu", "10m")),
    ("writable root filesystem", "dev", kc.check_security,
     lambda d: setitem(ctr(d, "foo")["securityContext"], "readOnlyRootFilesystem", False)),
    ("capabilities kept", "prod", kc.check_security,
     lambda d: setitem(ctr(d, "bar")["securityContext"], "capabilities", {})),
    ("a capability added", "dev", kc.check_security,
     lambda d: setitem(ctr(d, "bar")["securityContext"], "capabilities",
                       {"drop": ["ALL"], "add": ["NET_ADMIN"]})),
    ("redis as root", "dev", kc.check_security,
     lambda d: setitem(kc.pod_spec(dep(d, "redis"))["securityContext"], "runAsUser", 0)),
    ("not the image's uid", "prod", kc.check_security,
     lambda d: setitem(kc.pod_spec(dep(d, "factorial"))["securityContext"], "runAsUser", 1000)),
    ("no seccomp profile", "dev", kc.check_security,
     lambda d: kc.pod_spec(dep(d, "factorial"))["securityContext"].pop("seccompProfile")),
    ("privilege escalation", "ingress", kc.check_security,
     lambda d: ctr(d, "foo")["securityContext"].pop("allowPrivilegeEscalation")),
    ("token mounted", "dev", kc.check_security,
     lambda d: setitem(kc.pod_spec(dep(d, "foo")), "automountServiceAccountToken", True)),
    ("service links", "dev", kc.check_security,
     lambda d: kc.pod_spec(dep(d, "factorial")).pop("enableServiceLinks")),
    ("/tmp on disk", "dev", kc.check_tmp,
     lambda d: kc.pod_spec(dep(d, "factorial"))["volumes"][0]["emptyDir"].pop("medium")),
    ("no /tmp", "prod", kc.check_tmp, lambda d: ctr(d, "foo").pop("volumeMounts")),
    ("wrong image", "dev", kc.check_images,
     lambda d: setitem(ctr(d, "foo"), "image", "foobar/bar:latest")),
    ("images from two namespaces", "prod", kc.check_images,
     lambda d: setitem(ctr(d, "factorial"), "image", "someone/factorial:sha-1234567")),
    ("redis under the new licence", "dev", kc.check_images,
     lambda d: setitem(ctr(d, "redis"), "image", "redis:7.4.0-bookworm")),
    ("BAR_ADDR on the wrong port", "dev", kc.check_wiring,
     lambda d: set_env(d, "foo", "BAR_ADDR", "bar:50052")),
    ("BAR_ADDR names no Service", "prod", kc.check_wiring,
     lambda d: set_env(d, "foo", "BAR_ADDR", "baz:50051")),
    ("BAR_ADDR in another namespace", "prod", kc.check_wiring,
     lambda d: set_env(d, "foo", "BAR_ADDR", "dns:///bar.elsewhere.svc.cluster.local:50051")),
    ("bar listens elsewhere", "dev", kc.check_wiring,
     lambda d: set_env(d, "bar", "BAR_LISTEN", "0.0.0.0:50052")),
    ("REDIS_ADDR on the wrong port", "dev", kc.check_wiring,
     lambda d: set_env(d, "factorial", "REDIS_ADDR", "redis:6380")),
    ("redis-server on another port", "prod", kc.check_wiring,
     lambda d: ctr(d, "redis")["args"].__setitem__(1, "6380")),
    ("bar probed on the wrong port", "dev", kc.check_probe_targets,
     lambda d: setitem(ctr(d, "bar")["readinessProbe"]["grpc"], "port", 50052)),
    ("bar probed by TCP", "prod", kc.check_probe_targets,
     lambda d: setitem(ctr(d, "bar"), "livenessProbe", {"tcpSocket": {"port": 50051}})),
    ("readiness on /healthz", "dev", kc.check_probe_targets,
     lambda d: setitem(ctr(d, "foo")["readinessProbe"]["httpGet"], "path", "/healthz")),
    ("factorial probed on foo's port", "prod", kc.check_probe_targets,
     lambda d: setitem(ctr(d, "factorial")["livenessProbe"]["httpGet"], "port", 8080)),
    ("Service selects nothing", "dev", kc.check_services,
     lambda d: setitem(kc.named(d, "Service", "foo")["spec"], "selector",
                       {"app.kubernetes.io/name": "food"})),
    ("Service to a closed port", "prod", kc.check_services,
     lambda d: setitem(kc.named(d, "Service", "bar")["spec"]["ports"][0], "targetPort", 50052)),
    ("grace shorter than the drain", "dev", kc.check_shutdown,
     lambda d: setitem(kc.pod_spec(dep(d, "foo")), "terminationGracePeriodSeconds", 8)),
    ("no preStop sleep", "prod", kc.check_shutdown,
     lambda d: ctr(d, "factorial").pop("lifecycle")),
    ("bar stops before readiness drops", "dev", kc.check_shutdown,
     lambda d: set_env(d, "bar", "BAR_SHUTDOWN_DELAY_MS", "0")),
    ("bar's grace too short", "prod", kc.check_shutdown,
     lambda d: setitem(kc.pod_spec(dep(d, "bar")), "terminationGracePeriodSeconds", 10)),
    ("resources not from the measurements", "dev", kc.check_measured_resources,
     lambda d: setitem(ctr(d, "foo")["resources"]["requests"], "memory", "32Mi")),
    ("dev with three replicas", "dev", kc.check_dev,
     lambda d: setitem(dep(d, "foo")["spec"], "replicas", 3)),
    ("dev pinned", "dev", kc.check_dev,
     lambda d: setitem(ctr(d, "bar"), "image", "foobar/bar:sha-1234567")),
    ("prod on latest", "prod", kc.check_pinned,
     lambda d: setitem(ctr(d, "foo"), "image", "foobar/foo:latest")),
    ("prod untagged", "external-redis", kc.check_pinned,
     lambda d: setitem(ctr(d, "bar"), "image", "foobar/bar")),
    ("no autoscaler for bar", "prod", kc.check_scaling,
     lambda d: drop(d, "HorizontalPodAutoscaler", "bar")),
    ("autoscaler down to one", "prod", kc.check_scaling,
     lambda d: setitem(kc.named(d, "HorizontalPodAutoscaler", "foo")["spec"], "minReplicas", 1)),
    ("replicas beside an autoscaler", "ingress", kc.check_scaling,
     lambda d: setitem(dep(d, "foo")["spec"], "replicas", 2)),
    ("no PDB for factorial", "prod", kc.check_scaling,
     lambda d: drop(d, "PodDisruptionBudget", "factorial")),
    ("PDB that blocks every drain", "prod", kc.check_scaling,
     lambda d: setitem(kc.named(d, "PodDisruptionBudget", "bar")["spec"], "maxUnavailable", 0)),
    ("not spread", "prod", kc.check_scaling,
     lambda d: kc.pod_spec(dep(d, "foo")).pop("topologySpreadConstraints")),
    ("Redis still in the cluster", "external-redis", kc.check_external_redis,
     lambda d: d.extend([kc.named(rendered("prod"), "Deployment", "redis")])),
    ("no Redis password", "external-redis", kc.check_external_redis,
     lambda d: ctr(d, "factorial")["env"].remove(
         kc.env_entry(ctr(d, "factorial"), "REDIS_PASSWORD"))),
    ("REDIS_ADDR still in-cluster", "external-redis", kc.check_external_redis,
     lambda d: set_env(d, "factorial", "REDIS_ADDR", "redis:6379")),
    ("Ingress to the wrong Service", "ingress", kc.check_ingress,
     lambda d: setitem(kc.of_kind(d, "Ingress")[0]["spec"]["rules"][0]["http"]["paths"][0]
                       ["backend"]["service"], "name", "bar")),
]


@pytest.mark.parametrize("what,overlay,check,mutate", MUTATIONS,
                         ids=[m[0].replace(" ", "-") for m in MUTATIONS])
def test_mutation_is_caught(what, overlay, check, mutate):
    docs = rendered(overlay)
    assert check(docs) == [], "the check fails before the mutation"
    mutate(docs)
    assert check(docs) != [], f"{check.__name__} missed: {what}"


def test_every_check_has_a_mutation():
    used = {m[2] for m in MUTATIONS}
    every = {c for spec in kc.OVERLAYS.values() for c in spec["checks"]}
    assert every - used == set()
