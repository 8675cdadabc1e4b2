"""A NetworkPolicy evaluator: given the policies of a rendered overlay and a
set of endpoints (pods with their namespace, labels and ports, or addresses
outside the cluster), decides whether a connection (source, destination,
port, protocol) is allowed, following the networking.k8s.io/v1 semantics:

- A pod is isolated for ingress (egress) when some policy in its namespace
  selects it (spec.podSelector) and has Ingress (Egress) among its
  policyTypes; policyTypes defaults to Ingress, plus Egress when the policy
  has an egress section.
- A connection is allowed when the source's egress allows it (or the source
  is not isolated for egress, or is outside the cluster) and the
  destination's ingress allows it (likewise).
- A rule admits a peer when its from/to is missing or empty, or one of its
  peers matches: podSelector alone selects pods of the policy's namespace;
  namespaceSelector alone, every pod of the selected namespaces; both, the
  selected pods of the selected namespaces; ipBlock, addresses outside the
  cluster in the CIDR and in none of its exceptions.
- A rule's ports are all ports when missing or empty; otherwise one entry
  must match the protocol (TCP when unsaid) and the port: a number (up to
  endPort when set), a name (the destination pod's container port of that
  name), or any port when the entry has no port.

Kubernetes namespaces carry kubernetes.io/metadata.name=<name>, so that
label is the only namespace label modelled.
"""

import dataclasses
import ipaddress


@dataclasses.dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: tuple = ()
    # ((name, port, protocol), ...) from the containers' ports
    ports: tuple = ()

    def label_dict(self):
        return dict(self.labels)

    def __str__(self):
        return f"{self.namespace}/{self.name}"


@dataclasses.dataclass(frozen=True)
class External:
    name: str
    ip: str

    def __str__(self):
        return f"external/{self.name}({self.ip})"


def make_pod(name, namespace, labels, ports=()):
    return Pod(name, namespace, tuple(sorted(labels.items())), tuple(ports))


def selector_matches(selector, labels):
    """A metav1.LabelSelector against a label dict ({} selects everything)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ValueError(f"unknown selector operator {op}")
    return True


def policy_types(policy):
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return set(spec["policyTypes"])
    return {"Ingress"} | ({"Egress"} if "egress" in spec else set())


def namespace_labels(namespace):
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches(peer, policy_namespace, other):
    if "ipBlock" in peer:
        if not isinstance(other, External):
            return False
        ip = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        if ip not in ipaddress.ip_network(block["cidr"], strict=False):
            return False
        return not any(ip in ipaddress.ip_network(c, strict=False)
                       for c in block.get("except") or [])
    if not isinstance(other, Pod):
        return False
    ns_selector = peer.get("namespaceSelector")
    pod_selector = peer.get("podSelector")
    if ns_selector is None and pod_selector is None:
        raise ValueError(f"a peer with neither selector nor ipBlock: {peer}")
    if ns_selector is None:
        if other.namespace != policy_namespace:
            return False
    elif not selector_matches(ns_selector, namespace_labels(other.namespace)):
        return False
    return pod_selector is None or selector_matches(pod_selector, other.label_dict())


def port_matches(entries, destination, port, protocol):
    if not entries:
        return True
    for entry in entries:
        if entry.get("protocol", "TCP") != protocol:
            continue
        want = entry.get("port")
        if want is None:
            return True
        if isinstance(want, int):
            if want <= port <= entry.get("endPort", want):
                return True
        elif isinstance(destination, Pod):
            if (want, port, protocol) in destination.ports:
                return True
    return False


def _policies_for(pod, direction, policies):
    return [p for p in policies
            if p["metadata"].get("namespace") == pod.namespace
            and direction in policy_types(p)
            and selector_matches(p["spec"]["podSelector"], pod.label_dict())]


def ingress_allowed(destination, source, port, protocol, policies):
    selecting = _policies_for(destination, "Ingress", policies)
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"]["namespace"]
        for rule in policy["spec"].get("ingress") or []:
            peers = rule.get("from") or []
            if peers and not any(peer_matches(p, namespace, source) for p in peers):
                continue
            if port_matches(rule.get("ports"), destination, port, protocol):
                return True
    return False


def egress_allowed(source, destination, port, protocol, policies):
    selecting = _policies_for(source, "Egress", policies)
    if not selecting:
        return True
    for policy in selecting:
        namespace = policy["metadata"]["namespace"]
        for rule in policy["spec"].get("egress") or []:
            peers = rule.get("to") or []
            if peers and not any(peer_matches(p, namespace, destination) for p in peers):
                continue
            if port_matches(rule.get("ports"), destination, port, protocol):
                return True
    return False


def allowed(source, destination, port, protocol, policies, sides=("egress", "ingress")):
    """Whether the connection passes; `sides` limits the evaluation to the
    source's egress or the destination's ingress alone."""
    if "egress" in sides and isinstance(source, Pod) and \
            not egress_allowed(source, destination, port, protocol, policies):
        return False
    if "ingress" in sides and isinstance(destination, Pod):
        return ingress_allowed(destination, source, port, protocol, policies)
    return True


def allowed_flows(endpoints, ports, policies, governed, sides=("egress", "ingress")):
    """Every (source, destination, port, protocol) allowed among endpoints,
    for the pairs where governed(source, destination) is true."""
    flows = set()
    for source in endpoints:
        for destination in endpoints:
            if source == destination or not governed(source, destination):
                continue
            for port, protocol in ports:
                if allowed(source, destination, port, protocol, policies, sides):
                    flows.add((str(source), str(destination), port, protocol))
    return flows
