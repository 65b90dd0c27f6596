"""Suggestions proven on real ties: the link-prediction score against the baselines on Davis."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import networkx as nx
import pytest

from assetmap.graph.analysis import linkpred

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("eval_suggestions",
                                                  ROOT / "benchmarks" / "eval_suggestions.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_suggestions"] = mod
    spec.loader.exec_module(mod)
    return mod


def _mean(harness, net, method, seed=0):
    acc, n = [0.0, 0.0, 0.0], 0
    for fold in range(harness.FOLDS):
        _val, test = harness.split(net, seed, fold)
        a, b, c, k = harness.evaluate(net, test, method)
        acc = [acc[0] + a * k, acc[1] + b * k, acc[2] + c * k]
        n += k
    return [x / n for x in acc]


def test_score_beats_every_baseline_on_davis_hidden_memberships(harness):
    """Every Davis membership hidden once (seed 0, 10 folds): the score finds them better than
    random, most popular, Adamic–Adar and resource allocation. hit@10 saturates (an event
    has at most 14 candidates) so it must tie or win there, and win on hit@5 and MRR."""
    net = harness.davis()
    mine = _mean(harness, net, harness.m_score())
    for name in ("random", "most popular", "Adamic–Adar", "resource allocation"):
        theirs = _mean(harness, net, harness.METHODS[name])
        assert mine[1] >= theirs[1], (name, "hit@10", mine, theirs)
        assert mine[0] > theirs[0], (name, "hit@5", mine, theirs)
        assert mine[2] > theirs[2], (name, "MRR", mine, theirs)
    assert mine[0] > 0.9  # 0.951 when measured


def test_davis_suggestions_are_not_zero_any_more(harness):
    """The old social factor counted only people one knows, so on Davis (no friendships)
    every group suggestion scored 0; co-membership finds the events like-minded women go to."""
    net = harness.davis()
    adj = linkpred.adjacency(net.edges)
    evelyn = ("p", "Evelyn Jefferson")
    events = [g for g in net.candidates if g not in adj[evelyn]]
    s = linkpred.scores(adj.__getitem__, evelyn, events, linkpred.WEIGHTS["group"])
    assert events and max(s.values()) > 0


def test_expected_rank_counts_ties_fairly(harness):
    # three candidates tied, target among them: expected reciprocal rank of 1, 1/2, 1/3
    h5, h10, rr = harness.expected_rank_metrics({"a": 1.0, "b": 1.0, "c": 1.0}, "b")
    assert rr == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert h5 == h10 == 1.0
    scores = {i: 1.0 for i in range(10)} | {"x": 1.0, "top": 2.0}
    h5, _h10, _rr = harness.expected_rank_metrics(scores, "x")  # 1 above, 11 tied
    assert h5 == pytest.approx(4 / 11)


def test_resource_allocation_matches_networkx_on_karate():
    G = nx.karate_club_graph()
    adj = linkpred.adjacency(G.edges())
    pairs = [(0, x) for x in G if x != 0 and not G.has_edge(0, x)]
    ours = linkpred.resource_allocation(adj.__getitem__, 0, [x for _u, x in pairs])
    theirs = {v: s for _u, v, s in nx.resource_allocation_index(G, pairs)}
    aa = linkpred.adamic_adar(adj.__getitem__, 0, [x for _u, x in pairs])
    aa_nx = {v: s for _u, v, s in nx.adamic_adar_index(G, pairs)}
    for x in theirs:
        if theirs[x] > 0:  # with no common neighbour ours looks one step further
            assert ours[x] == pytest.approx(theirs[x])
            assert aa[x] == pytest.approx(aa_nx[x])


def test_comember_is_mass_diffusion_on_a_tiny_bipartite_graph():
    # p goes to g1; q goes to g1 and g2; r goes to g1 and g3 and g2.
    adj = linkpred.adjacency([("p", "g1"), ("q", "g1"), ("q", "g2"), ("r", "g1"), ("r", "g3"),
                              ("r", "g2")])
    f = linkpred.factors(adj.__getitem__, "p", lam=1.0)
    # paths p-g1-q-g2 (1/(3*2)) and p-g1-r-g2 (1/(3*3)); p-g1-r-g3 (1/(3*3))
    assert f.comember["g2"] == pytest.approx(1 / 6 + 1 / 9)
    assert f.comember["g3"] == pytest.approx(1 / 9)
    assert f.via["g2"] == "g1"
    heat = linkpred.factors(adj.__getitem__, "p", lam=0.0)  # divided by k(x) instead of k(g1)
    assert heat.comember["g3"] == pytest.approx(1 / (3 * 1))  # 1 / (k(r) * k(g3))


def test_suggestions_read_the_one_set_of_weights():
    from assetmap.graph.analysis import suggestions
    assert suggestions.WEIGHTS is linkpred.BLEND["group"]
    assert suggestions.PERSON_WEIGHTS is linkpred.BLEND["person"]


def test_a_groups_neighbours_are_its_current_members(tmp_path):
    """An ended membership is history on both sides of the person–group graph (as a person's
    circle counts it), so it links nobody to the group's members."""
    from test_analysis_graphs import build, group, person, tie

    G = build(tmp_path / "g.db", [person("a"), person("b"), person("c"), group("g")],
              [tie("person:a", "group:g", "ATTENDS"),
               tie("person:b", "group:g", "ATTENDS", until="2001-01-01"),
               tie("person:c", "group:g", "VOLUNTEERS_AT")])
    nb = linkpred.graph_neighbours(G)
    assert nb("group:g") == {"person:a", "person:c"}
    assert "group:g" not in nb("person:b")
