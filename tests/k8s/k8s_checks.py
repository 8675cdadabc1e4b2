"""Checks on the rendered output of a kustomize overlay (a list of objects).

Each check takes the objects and returns a list of problems, one string
each; no problems is a pass. The tests run every check that applies to an
overlay, and run each again on a copy changed so that it must fail
(test_k8s_manifests.py, MUTATIONS).
"""

import json
import pathlib
import re
import sys

from k8s_netpol import selector_matches

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"

APPS = ("foo", "bar", "factorial")
LIGHTTPD = ("foo", "factorial")
APP_UID = 10001
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")

# <Docker Hub namespace>/<service>, as CI publishes them, with a tag or a digest.
CI_IMAGE = re.compile(r"^(?:docker\.io/)?(?P<ns>[a-z0-9]+(?:[._-][a-z0-9]+)*)/"
                      r"(?P<service>[a-z0-9-]+)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
                      r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
PINNED_TAG = re.compile(r"^sha-[0-9a-f]{7,40}$")
# The official image, a 7.2 patch release on bookworm (7.4 and later changed
# licence).
REDIS_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?redis:7\.2\.\d+-bookworm"
                         r"(?:@sha256:[0-9a-f]{64})?$")


# --- finding things -----------------------------------------------------------

def of_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def named(docs, kind, name):
    for d in of_kind(docs, kind):
        if d["metadata"]["name"] == name:
            return d
    return None


def workloads(docs):
    return [d for d in docs if d.get("kind") in WORKLOAD_KINDS]


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


def pod_labels(workload):
    return workload["spec"]["template"]["metadata"].get("labels") or {}


def containers(workload, init=True):
    spec = pod_spec(workload)
    return (spec.get("initContainers") or [] if init else []) + spec["containers"]


def main_container(workload):
    """The container named like its workload (foo in foo, ...)."""
    for c in pod_spec(workload)["containers"]:
        if c["name"] == workload["metadata"]["name"]:
            return c
    return None


def env_value(container, name):
    for entry in container.get("env") or []:
        if entry["name"] == name:
            return entry.get("value")
    return None


def env_entry(container, name):
    for entry in container.get("env") or []:
        if entry["name"] == name:
            return entry
    return None


def where(workload, container=None):
    text = f"{workload['kind']}/{workload['metadata']['name']}"
    return f"{text} container {container['name']}" if container else text


def container_port(workload, port):
    """The (name, number) of the container port a Service or probe port
    (a number or a name) refers to, or None."""
    for c in pod_spec(workload)["containers"]:
        for p in c.get("ports") or []:
            if (isinstance(port, int) and p["containerPort"] == port) or p.get("name") == port:
                return p.get("name"), p["containerPort"]
    return None


def listen_port(address):
    """The port of a host:port."""
    return int(address.rsplit(":", 1)[1])


# --- quantities -----------------------------------------------------------------

_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(value):
    found = re.fullmatch(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?", str(value))
    if not found:
        raise ValueError(f"not a quantity: {value!r}")
    return float(found.group(1)) * _SUFFIX[found.group(2) or ""]


# --- checks for every overlay ---------------------------------------------------

def check_probes(docs):
    problems = []
    for w in workloads(docs):
        for c in containers(w, init=False):
            for kind in ("livenessProbe", "readinessProbe"):
                probe = c.get(kind)
                if not probe:
                    problems.append(f"{where(w, c)}: no {kind}")
                    continue
                handlers = [h for h in ("httpGet", "tcpSocket", "grpc", "exec") if h in probe]
                if len(handlers) != 1:
                    problems.append(f"{where(w, c)}: {kind} needs one handler, has {handlers}")
    return problems


def check_resources(docs):
    problems = []
    for w in workloads(docs):
        for c in containers(w):
            res = c.get("resources") or {}
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (res.get(bound) or {}):
                        problems.append(f"{where(w, c)}: no {bound}.{resource}")
            for resource in ("cpu", "memory"):
                req = (res.get("requests") or {}).get(resource)
                lim = (res.get("limits") or {}).get(resource)
                if req is not None and lim is not None and quantity(lim) < quantity(req):
                    problems.append(f"{where(w, c)}: {resource} limit {lim} below request {req}")
    return problems


def check_security(docs):
    problems = []
    for sa in of_kind(docs, "ServiceAccount"):
        if sa.get("automountServiceAccountToken") is not False:
            problems.append(f"ServiceAccount/{sa['metadata']['name']}: token automounted")
    for w in workloads(docs):
        spec = pod_spec(w)
        pod_sc = spec.get("securityContext") or {}
        name = w["metadata"]["name"]
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{where(w)}: automountServiceAccountToken is not false")
        if spec.get("enableServiceLinks") is not False:
            problems.append(f"{where(w)}: enableServiceLinks is not false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{where(w)}: {host}")
        for c in containers(w):
            sc = c.get("securityContext") or {}

            def effective(key, sc=sc):
                return sc.get(key, pod_sc.get(key))

            if effective("runAsNonRoot") is not True:
                problems.append(f"{where(w, c)}: runAsNonRoot is not true")
            uid, gid = effective("runAsUser"), effective("runAsGroup")
            if not isinstance(uid, int) or uid == 0 or not isinstance(gid, int) or gid == 0:
                problems.append(f"{where(w, c)}: runAsUser/runAsGroup {uid}/{gid}: "
                                f"not a fixed non-root id")
            if name in APPS and (uid, gid) != (APP_UID, APP_UID):
                problems.append(f"{where(w, c)}: runs as {uid}:{gid}, the image's user is "
                                f"{APP_UID}:{APP_UID}")
            if (effective("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where(w, c)}: seccompProfile is not RuntimeDefault")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where(w, c)}: allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where(w, c)}: readOnlyRootFilesystem is not true")
            if sc.get("privileged"):
                problems.append(f"{where(w, c)}: privileged")
            caps = sc.get("capabilities") or {}
            if "ALL" not in (caps.get("drop") or []):
                problems.append(f"{where(w, c)}: capabilities not all dropped")
            if caps.get("add"):
                problems.append(f"{where(w, c)}: adds capabilities {caps['add']}")
    return problems


def check_tmp(docs):
    """lighttpd's run directory is a size-limited memory emptyDir at /tmp."""
    problems = []
    for name in LIGHTTPD:
        w = named(docs, "Deployment", name)
        c = main_container(w) if w else None
        if c is None:
            problems.append(f"Deployment/{name}: missing")
            continue
        if env_value(c, "FOOBAR_RUN_DIR") != "/tmp":
            problems.append(f"{where(w, c)}: FOOBAR_RUN_DIR is not /tmp")
        mounts = [m for m in c.get("volumeMounts") or [] if m["mountPath"] == "/tmp"]
        if len(mounts) != 1 or mounts[0].get("readOnly"):
            problems.append(f"{where(w, c)}: no writable mount at /tmp")
            continue
        volume = next((v for v in pod_spec(w).get("volumes") or []
                       if v["name"] == mounts[0]["name"]), None)
        empty_dir = (volume or {}).get("emptyDir")
        if empty_dir is None:
            problems.append(f"{where(w, c)}: /tmp is not an emptyDir")
        elif empty_dir.get("medium") != "Memory" or "sizeLimit" not in empty_dir:
            problems.append(f"{where(w, c)}: /tmp is not a size-limited memory emptyDir")
    return problems


def check_images(docs):
    """foo, bar and factorial from one <namespace>/<service>; Redis official, 7.2.x."""
    problems = []
    namespaces = set()
    for w in workloads(docs):
        name = w["metadata"]["name"]
        for c in containers(w):
            image = c["image"]
            if name in APPS:
                found = CI_IMAGE.match(image)
                if not found or found.group("service") != name:
                    problems.append(f"{where(w, c)}: image {image} is not <namespace>/{name}")
                    continue
                namespaces.add(found.group("ns"))
            elif name == "redis" and not REDIS_IMAGE.match(image):
                problems.append(f"{where(w, c)}: image {image} is not redis:7.2.<patch>-bookworm")
    if len(namespaces) > 1:
        problems.append(f"images from several namespaces: {sorted(namespaces)}")
    return problems


def _service_for(docs, host, namespace):
    """The Service a host name means inside `namespace`, or None."""
    labels = host.split(".")
    if len(labels) == 1 or labels[1:] in ([namespace], [namespace, "svc"],
                                          [namespace, "svc", "cluster", "local"]):
        return named(docs, "Service", labels[0])
    return None


def _check_address(docs, client, variable, server_name, server_port_env=None):
    """client's `variable` names the Service of server_name, on the Service
    port that leads to the port the server listens on."""
    problems = []
    w = named(docs, "Deployment", client)
    c = main_container(w)
    value = env_value(c, variable) or ""
    target = value[len("dns:///"):] if value.startswith("dns:///") else value
    if ":" not in target:
        return [f"{where(w, c)}: {variable}={value!r} is not host:port"]
    host, port = target.rsplit(":", 1)
    service = _service_for(docs, host, w["metadata"]["namespace"])
    if service is None or service["metadata"]["name"] != server_name:
        return [f"{where(w, c)}: {variable}={value!r} is not the {server_name} Service"]
    server = next((s for s in workloads(docs)
                   if selector_matches({"matchLabels": service["spec"]["selector"]},
                                       pod_labels(s))), None)
    if server is None or server["metadata"]["name"] != server_name:
        return [f"Service/{server_name} does not select the {server_name} pods"]
    ports = [p for p in service["spec"]["ports"] if str(p["port"]) == port]
    if not ports:
        return [f"{where(w, c)}: {variable}={value!r}: Service/{server_name} has no port {port}"]
    target_port = container_port(server, ports[0].get("targetPort", ports[0]["port"]))
    if target_port is None:
        return [f"Service/{server_name} port {port} leads to no container port"]
    if server_port_env is not None:
        listening = env_value(main_container(server), server_port_env)
        if listening is None or listen_port(listening) != target_port[1]:
            problems.append(f"{where(server)}: listens on {listening}, the Service sends to "
                            f"{target_port[1]}")
    return problems


def redis_port(workload):
    args = main_container(workload).get("args") or []
    return int(args[args.index("--port") + 1]) if "--port" in args else 6379


def check_wiring(docs):
    """BAR_ADDR and REDIS_ADDR name the Services of bar and Redis."""
    problems = _check_address(docs, "foo", "BAR_ADDR", "bar", "BAR_LISTEN")
    if named(docs, "Deployment", "redis") is not None:
        problems += _check_address(docs, "factorial", "REDIS_ADDR", "redis")
        redis = named(docs, "Deployment", "redis")
        if not problems and container_port(redis, "redis") != ("redis", redis_port(redis)):
            problems.append("Deployment/redis: the container port is not the port "
                            "redis-server listens on")
    return problems


def check_external_redis(docs):
    """No Redis in the cluster; REDIS_ADDR points out of it, with a password."""
    problems = []
    for w in workloads(docs):
        if w["metadata"]["name"] == "redis" or any(
                REDIS_IMAGE.match(c["image"]) or c["image"].startswith("redis")
                for c in containers(w)):
            problems.append(f"{where(w)}: a Redis workload")
    if named(docs, "Service", "redis") is not None:
        problems.append("Service/redis exists")
    w = named(docs, "Deployment", "factorial")
    factorial = main_container(w)
    address = env_value(factorial, "REDIS_ADDR") or ""
    host = address.rsplit(":", 1)[0]
    if not address or "." not in host or \
            _service_for(docs, host, w["metadata"]["namespace"]) is not None:
        problems.append(f"factorial: REDIS_ADDR={address!r} is not an external host:port")
    password = env_entry(factorial, "REDIS_PASSWORD") or {}
    ref = (password.get("valueFrom") or {}).get("secretKeyRef") or {}
    if not ref.get("name") or not ref.get("key") or ref.get("optional"):
        problems.append("factorial: REDIS_PASSWORD is not from a required Secret key")
    return problems


def check_probe_targets(docs):
    """Probes ask the port each server listens on, on the right endpoints."""
    problems = []
    bar = named(docs, "Deployment", "bar")
    c = main_container(bar)
    listening = listen_port(env_value(c, "BAR_LISTEN") or ":0")
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = c.get(kind) or {}
        grpc = probe.get("grpc")
        if grpc is None:
            problems.append(f"{where(bar, c)}: {kind} is not a gRPC probe")
        elif grpc.get("port") != listening:
            problems.append(f"{where(bar, c)}: {kind} asks port {grpc.get('port')}, "
                            f"bar listens on {listening}")
        elif grpc.get("service", "") not in ("", "bar.v1.BarService"):
            problems.append(f"{where(bar, c)}: {kind} asks for service {grpc['service']!r}")
    for name, variable in (("foo", "FOO_LISTEN"), ("factorial", "FACTORIAL_LISTEN")):
        w = named(docs, "Deployment", name)
        c = main_container(w)
        listening = listen_port(env_value(c, variable) or ":0")
        for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = (c.get(kind) or {}).get("httpGet")
            if http is None:
                problems.append(f"{where(w, c)}: {kind} is not an HTTP probe")
                continue
            port = container_port(w, http["port"])
            if port is None or port[1] != listening:
                problems.append(f"{where(w, c)}: {kind} asks port {http['port']}, "
                                f"lighttpd listens on {listening}")
            if http.get("path") != path:
                problems.append(f"{where(w, c)}: {kind} asks {http.get('path')}, not {path}")
    return problems


def check_services(docs):
    """Each Service selects the pods of exactly one workload, on their ports."""
    problems = []
    for service in of_kind(docs, "Service"):
        name = service["metadata"]["name"]
        # A Service's selector is a plain map; none at all selects no pods.
        selector = service["spec"].get("selector") or {"-": "-"}
        selected = [w for w in workloads(docs)
                    if selector_matches({"matchLabels": selector}, pod_labels(w))]
        if len(selected) != 1:
            problems.append(f"Service/{name} selects {[w['metadata']['name'] for w in selected]}")
            continue
        for port in service["spec"]["ports"]:
            if container_port(selected[0], port.get("targetPort", port["port"])) is None:
                problems.append(f"Service/{name} port {port['port']} leads to no container port")
    return problems


def check_shutdown(docs):
    """The stop is the graceful one, and fits in the grace period:
    - foo, factorial: preStop sleep (endpoint removal spreads while lighttpd
      still serves), then SIGTERM -> supervisor -> SIGINT: lighttpd drains
      for up to HTTP_DRAIN_S; the supervisor then flushes its output (2 s);
    - bar: NOT_SERVING at once, which readiness must see before bar stops
      taking calls (BAR_SHUTDOWN_DELAY_MS), then up to BAR_DRAIN_TIMEOUT_MS."""
    problems = []
    supervisor_s = 2
    for name in LIGHTTPD:
        w = named(docs, "Deployment", name)
        c = main_container(w)
        grace = pod_spec(w).get("terminationGracePeriodSeconds", 30)
        sleep = (((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get(
            "seconds", 0)
        drain = int(env_value(c, "HTTP_DRAIN_S") or 5)
        if sleep < 3:
            problems.append(f"{where(w, c)}: preStop sleeps {sleep} s, too short for the "
                            f"endpoint removal to spread")
        if grace <= sleep + drain + supervisor_s:
            problems.append(f"{where(w)}: grace {grace} s <= preStop {sleep} s + drain "
                            f"{drain} s + {supervisor_s} s")
    w = named(docs, "Deployment", "bar")
    c = main_container(w)
    grace = pod_spec(w).get("terminationGracePeriodSeconds", 30)
    delay = int(env_value(c, "BAR_SHUTDOWN_DELAY_MS") or 0) / 1000
    drain = int(env_value(c, "BAR_DRAIN_TIMEOUT_MS") or 5000) / 1000
    readiness = c.get("readinessProbe") or {}
    noticed = readiness.get("periodSeconds", 10) * readiness.get("failureThreshold", 3)
    if delay < noticed:
        problems.append(f"{where(w, c)}: BAR_SHUTDOWN_DELAY_MS is {delay} s, readiness notices "
                        f"NOT_SERVING only after up to {noticed} s")
    if grace <= delay + drain + supervisor_s:
        problems.append(f"{where(w)}: grace {grace} s <= delay {delay} s + drain {drain} s + "
                        f"{supervisor_s} s")
    return problems


def measured_resources():
    """What the rule in deploy/k8s/measure.py makes of measurements.json."""
    sys.path.insert(0, str(K8S))
    import measure
    figures = json.loads((K8S / "measurements.json").read_text())
    return measure.derive(figures["services"])


def check_measured_resources(docs):
    """Requests and limits are what the rule derives from the measurements."""
    problems = []
    derived = measured_resources()
    for w in workloads(docs):
        name = w["metadata"]["name"]
        if name not in derived:
            problems.append(f"{where(w)}: no measurement")
            continue
        c = main_container(w)
        want = derived[name]
        have = c.get("resources") or {}
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                got = (have.get(bound) or {}).get(resource)
                if got is None or quantity(got) != quantity(want[bound][resource]):
                    problems.append(f"{where(w, c)}: {bound}.{resource} is {got}, the "
                                    f"measurements give {want[bound][resource]}")
    return problems


# --- checks by kind of overlay ----------------------------------------------------

def check_dev(docs):
    problems = []
    for w in workloads(docs):
        if w["spec"].get("replicas") != 1:
            problems.append(f"{where(w)}: replicas {w['spec'].get('replicas')}, dev runs one")
        for c in containers(w):
            found = CI_IMAGE.match(c["image"])
            if w["metadata"]["name"] in APPS and (not found or found.group("tag") != "latest"):
                problems.append(f"{where(w, c)}: image {c['image']} is not :latest")
    if of_kind(docs, "HorizontalPodAutoscaler"):
        problems.append("dev has autoscalers")
    return problems


def check_pinned(docs):
    """Every image a fixed build: a sha- tag or a digest, never latest."""
    problems = []
    for w in workloads(docs):
        for c in containers(w):
            if w["metadata"]["name"] not in APPS:
                continue
            found = CI_IMAGE.match(c["image"])
            if found is None:
                problems.append(f"{where(w, c)}: image {c['image']} unparsable")
            elif not found.group("digest") and not PINNED_TAG.match(found.group("tag") or ""):
                problems.append(f"{where(w, c)}: image {c['image']} is not pinned "
                                f"(sha-<commit> tag or digest)")
    return problems


def check_scaling(docs):
    """foo, bar, factorial: an HPA, a PDB, spread over nodes."""
    problems = []
    for name in APPS:
        w = named(docs, "Deployment", name)
        labels = pod_labels(w)
        hpas = [h for h in of_kind(docs, "HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1",
                                                   "kind": "Deployment", "name": name}]
        if len(hpas) != 1:
            problems.append(f"Deployment/{name}: {len(hpas)} autoscalers")
        else:
            spec = hpas[0]["spec"]
            if spec.get("minReplicas", 1) < 2 or spec["maxReplicas"] < spec.get("minReplicas", 1):
                problems.append(f"HorizontalPodAutoscaler/{name}: replicas "
                                f"{spec.get('minReplicas', 1)}..{spec['maxReplicas']}")
            if not any(m.get("resource", {}).get("name") == "cpu" for m in spec.get("metrics", [])):
                problems.append(f"HorizontalPodAutoscaler/{name}: no CPU metric")
            if "replicas" in w["spec"]:
                problems.append(f"Deployment/{name}: spec.replicas set under an autoscaler")
        pdbs = [p for p in of_kind(docs, "PodDisruptionBudget")
                if selector_matches(p["spec"]["selector"], labels)]
        if len(pdbs) != 1:
            problems.append(f"Deployment/{name}: {len(pdbs)} PodDisruptionBudgets")
        else:
            others = [o["metadata"]["name"] for o in workloads(docs)
                      if o is not w and selector_matches(pdbs[0]["spec"]["selector"],
                                                         pod_labels(o))]
            if others:
                problems.append(f"PodDisruptionBudget/{pdbs[0]['metadata']['name']} also "
                                f"covers {others}")
            if pdbs[0]["spec"].get("maxUnavailable") in (0, "0%", None) and \
                    "minAvailable" not in pdbs[0]["spec"]:
                problems.append(f"PodDisruptionBudget for {name} allows no eviction")
        spread = pod_spec(w).get("topologySpreadConstraints") or []
        keys = {t["topologyKey"] for t in spread
                if selector_matches(t.get("labelSelector") or {"matchLabels": {"-": "-"}}, labels)}
        if "kubernetes.io/hostname" not in keys:
            problems.append(f"Deployment/{name}: not spread over nodes")
    return problems


def check_ingress(docs):
    """The Ingress sends /foo and /factorial to their Services' ports."""
    problems = []
    ingresses = of_kind(docs, "Ingress")
    if not ingresses:
        return ["no Ingress"]
    routes = {}
    for ingress in ingresses:
        for rule in ingress["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                routes[path["path"]] = path["backend"]["service"]
    for path, name in (("/foo", "foo"), ("/factorial", "factorial")):
        backend = routes.get(path)
        if backend is None or backend["name"] != name:
            problems.append(f"Ingress: {path} does not go to Service/{name}")
            continue
        service = named(docs, "Service", name)
        want = backend["port"].get("name", backend["port"].get("number"))
        if not any(want in (p.get("name"), p["port"]) for p in service["spec"]["ports"]):
            problems.append(f"Ingress: {path} goes to a port Service/{name} does not have")
    return problems


# Which checks each overlay gets. A new overlay must be added here.
COMMON = (check_probes, check_resources, check_security, check_tmp, check_images, check_wiring,
          check_probe_targets, check_services, check_shutdown, check_measured_resources)
OVERLAYS = {
    "dev": {"namespace": "foobar-dev", "redis": "in-cluster",
            "checks": COMMON + (check_dev,)},
    "prod": {"namespace": "foobar", "redis": "in-cluster",
             "checks": COMMON + (check_pinned, check_scaling)},
    "external-redis": {"namespace": "foobar", "redis": "external",
                       "checks": COMMON + (check_pinned, check_scaling, check_external_redis)},
    "ingress": {"namespace": "foobar", "redis": "in-cluster",
                "checks": COMMON + (check_pinned, check_scaling, check_ingress)},
}
