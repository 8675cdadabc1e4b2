"""The NetworkPolicies of every overlay admit exactly the intended flows.

For each overlay, every (source, destination, port, protocol) among the
overlay's pods and a few outsiders is evaluated (k8s_netpol.py) and the set
of allowed flows compared with the intended one. Outsiders: the ingress
controller, cluster DNS and another kube-system pod, a stray pod in the
stack's namespace, a pod in another namespace wearing foo's labels, and
two addresses outside the cluster.
"""

import pytest

import k8s_checks as kc
from k8s_netpol import External, Pod, allowed_flows, make_pod
from k8s_render import rendered

# Every port any party listens on, and one that nobody should reach.
PORTS = [(8080, "TCP"), (8081, "TCP"), (50051, "TCP"), (6379, "TCP"), (53, "UDP"), (53, "TCP"),
         (443, "TCP")]
INGRESS = make_pod("ingress-nginx-controller", "ingress-nginx",
                   {"app.kubernetes.io/name": "ingress-nginx"}, [("https", 443, "TCP")])
DNS = make_pod("coredns", "kube-system", {"k8s-app": "kube-dns"},
               [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")])
METRICS = make_pod("metrics-server", "kube-system", {"k8s-app": "metrics-server"},
                   [("https", 443, "TCP")])
EXTERNAL_REDIS = External("redis", "192.0.2.10")
INTERNET = External("internet", "203.0.113.5")


def endpoints(docs, namespace):
    pods = []
    for w in kc.workloads(docs):
        ports = [(p.get("name"), p["containerPort"], p.get("protocol", "TCP"))
                 for c in kc.pod_spec(w)["containers"] for p in c.get("ports") or []]
        pods.append(make_pod(w["metadata"]["name"], namespace, kc.pod_labels(w), ports))
    stray = make_pod("debug", namespace, {"app.kubernetes.io/name": "debug"})
    lookalike = make_pod("foo", "other", {"app.kubernetes.io/name": "foo"},
                         [("http", 8080, "TCP")])
    return pods + [INGRESS, DNS, METRICS, stray, lookalike, EXTERNAL_REDIS, INTERNET]


def intended(namespace, redis):
    ns = namespace
    flows = {
        ("ingress-nginx/ingress-nginx-controller", f"{ns}/foo", 8080, "TCP"),
        ("ingress-nginx/ingress-nginx-controller", f"{ns}/factorial", 8081, "TCP"),
        (f"{ns}/foo", f"{ns}/bar", 50051, "TCP"),
    }
    for client in ("foo", "factorial"):
        flows |= {(f"{ns}/{client}", "kube-system/coredns", 53, proto) for proto in ("UDP", "TCP")}
    if redis == "in-cluster":
        flows.add((f"{ns}/factorial", f"{ns}/redis", 6379, "TCP"))
    else:
        flows.add((f"{ns}/factorial", str(EXTERNAL_REDIS), 6379, "TCP"))
    return flows


def evaluate(docs, namespace, side=None):
    """The allowed flows with one end in the stack's namespace; with side
    "ingress" (or "egress"), as that side alone decides them, for the flows
    into (out of) the namespace's pods."""
    def ours(endpoint):
        return isinstance(endpoint, Pod) and endpoint.namespace == namespace

    if side == "ingress":
        governed, sides = (lambda s, d: ours(d)), ("ingress",)
    elif side == "egress":
        governed, sides = (lambda s, d: ours(s)), ("egress",)
    else:
        governed, sides = (lambda s, d: ours(s) or ours(d)), ("egress", "ingress")
    return allowed_flows(endpoints(docs, namespace), PORTS, kc.of_kind(docs, "NetworkPolicy"),
                         governed, sides)


def intended_side(namespace, redis, side):
    """Each side on its own admits exactly its part of the intended flows:
    ingress, the flows into the namespace's pods; egress, those out of them."""
    index = 1 if side == "ingress" else 0
    return {f for f in intended(namespace, redis) if f[index].startswith(f"{namespace}/")}


def diff(got, want):
    extra = sorted(got - want)
    missing = sorted(want - got)
    return "\n".join([f"allowed, not intended: {f}" for f in extra] +
                     [f"intended, not allowed: {f}" for f in missing])


@pytest.mark.parametrize("overlay", sorted(kc.OVERLAYS))
def test_flows(overlay):
    spec = kc.OVERLAYS[overlay]
    got = evaluate(rendered(overlay), spec["namespace"])
    want = intended(spec["namespace"], spec["redis"])
    assert got == want, diff(got, want)


# Defence in depth: the ingress policies alone, and the egress policies
# alone, each admit no more than intended, so that neither relies on the
# other (a pod elsewhere without egress rules, a policy deleted by mistake).
@pytest.mark.parametrize("side", ["ingress", "egress"])
@pytest.mark.parametrize("overlay", sorted(kc.OVERLAYS))
def test_each_side_alone(overlay, side):
    spec = kc.OVERLAYS[overlay]
    got = evaluate(rendered(overlay), spec["namespace"], side)
    want = intended_side(spec["namespace"], spec["redis"], side)
    assert got == want, diff(got, want)


# --- the evaluation can fail --------------------------------------------------------

def policy(docs, name):
    return kc.named(docs, "NetworkPolicy", name)


def drop_policy(docs, name):
    docs.remove(policy(docs, name))


MUTATIONS = [
    ("no default deny", "dev", lambda d: drop_policy(d, "default-deny")),
    ("foo open to every namespace", "dev",
     lambda d: policy(d, "foo")["spec"]["ingress"][0]["from"][0].__setitem__(
         "namespaceSelector", {})),
    ("bar on the wrong port", "prod",
     lambda d: policy(d, "bar")["spec"]["ingress"][0]["ports"][0].__setitem__("port", 50052)),
    ("DNS to all of kube-system", "prod",
     lambda d: policy(d, "foo")["spec"]["egress"][1]["to"][0].pop("podSelector")),
    ("redis admits foo instead", "dev",
     lambda d: policy(d, "redis")["spec"]["ingress"][0]["from"][0].__setitem__(
         "podSelector", {"matchLabels": {"app.kubernetes.io/name": "foo"}})),
    ("factorial may go anywhere", "ingress",
     lambda d: policy(d, "factorial")["spec"]["egress"].append({})),
    ("external Redis anywhere", "external-redis",
     lambda d: policy(d, "factorial")["spec"]["egress"][0]["to"][0]["ipBlock"].__setitem__(
         "cidr", "0.0.0.0/0")),
    ("bar admits the whole namespace", "dev",
     lambda d: policy(d, "bar")["spec"]["ingress"][0]["from"][0].__setitem__("podSelector", {})),
    ("stray pods may reach Redis", "prod",
     lambda d: policy(d, "redis")["spec"]["ingress"][0].pop("from")),
    ("bar may call out", "prod",
     lambda d: policy(d, "bar")["spec"].__setitem__("policyTypes", ["Ingress"]) or
     policy(d, "default-deny")["spec"].__setitem__("policyTypes", ["Ingress"])),
]


def views(docs, spec):
    ns = spec["namespace"]
    return [(evaluate(docs, ns), intended(ns, spec["redis"]))] + [
        (evaluate(docs, ns, side), intended_side(ns, spec["redis"], side))
        for side in ("ingress", "egress")]


@pytest.mark.parametrize("what,overlay,mutate", MUTATIONS,
                         ids=[m[0].replace(" ", "-") for m in MUTATIONS])
def test_mutation_is_caught(what, overlay, mutate):
    spec = kc.OVERLAYS[overlay]
    docs = rendered(overlay)
    assert all(got == want for got, want in views(docs, spec))
    mutate(docs)
    assert any(got != want for got, want in views(docs, spec)), f"not noticed: {what}"
