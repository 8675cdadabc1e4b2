"""The NetworkPolicy evaluator itself, on small cases whose answer the
Kubernetes documentation settles."""

from k8s_netpol import External, allowed, make_pod

A = make_pod("a", "ns", {"app": "a"}, [("http", 8080, "TCP")])
B = make_pod("b", "ns", {"app": "b"}, [("http", 8080, "TCP")])
B_ELSEWHERE = make_pod("b", "other", {"app": "b"}, [("http", 8080, "TCP")])
OUTSIDE = External("x", "198.51.100.7")


def policy(spec, namespace="ns"):
    return {"metadata": {"name": "p", "namespace": namespace}, "spec": spec}


def test_no_policy_allows_everything():
    assert allowed(B, A, 8080, "TCP", [])


def test_a_selected_pod_is_isolated_for_ingress_only_by_default():
    deny_in = policy({"podSelector": {}})
    assert not allowed(B, A, 8080, "TCP", [deny_in])
    assert allowed(A, OUTSIDE, 443, "TCP", [deny_in]), "egress stays open without Egress"


def test_an_egress_section_makes_egress_isolated():
    p = policy({"podSelector": {"matchLabels": {"app": "a"}}, "egress": []})
    assert not allowed(A, OUTSIDE, 443, "TCP", [p])


def test_pod_selector_alone_means_the_policy_namespace():
    p = policy({"podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "b"}}}]}]})
    assert allowed(B, A, 8080, "TCP", [p])
    assert not allowed(B_ELSEWHERE, A, 8080, "TCP", [p])


def test_both_selectors_in_one_peer_must_both_match():
    both = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}},
            "podSelector": {"matchLabels": {"app": "b"}}}
    p = policy({"podSelector": {}, "ingress": [{"from": [both]}]})
    assert allowed(B_ELSEWHERE, A, 8080, "TCP", [p])
    assert not allowed(B, A, 8080, "TCP", [p])


def test_two_peers_are_alternatives():
    peers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "other"}}},
             {"podSelector": {"matchLabels": {"app": "b"}}}]
    p = policy({"podSelector": {}, "ingress": [{"from": peers}]})
    assert allowed(B_ELSEWHERE, A, 8080, "TCP", [p])
    assert allowed(B, A, 8080, "TCP", [p])


def test_ports_by_number_name_protocol_and_range():
    def only(ports):
        return [policy({"podSelector": {}, "ingress": [{"ports": ports}]})]

    assert allowed(B, A, 8080, "TCP", only([{"port": "http"}]))
    assert not allowed(B, A, 8081, "TCP", only([{"port": "http"}]))
    assert not allowed(B, A, 8080, "UDP", only([{"port": 8080}]))
    assert allowed(B, A, 8085, "TCP", only([{"port": 8080, "endPort": 8090}]))
    assert allowed(B, A, 9999, "TCP", only([{"protocol": "TCP"}]))


def test_ip_block_with_exception():
    p = policy({"podSelector": {}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"ipBlock": {"cidr": "198.51.100.0/24",
                                                "except": ["198.51.100.7/32"]}}]}]})
    assert not allowed(A, OUTSIDE, 443, "TCP", [p])
    assert allowed(A, External("y", "198.51.100.8"), 443, "TCP", [p])


def test_match_expressions():
    p = policy({"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["b"]}]}})
    assert not allowed(B, A, 8080, "TCP", [p]), "a is selected, so isolated"
    assert allowed(A, B, 8080, "TCP", [p]), "b is not selected"


def test_policies_of_other_namespaces_do_not_apply():
    deny = policy({"podSelector": {}}, namespace="other")
    assert allowed(B, A, 8080, "TCP", [deny])
