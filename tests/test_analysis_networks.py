"""The person–group maths checked against published results on real affiliation networks.

Data in tests/data/networks/ (see its README): Davis's Southern Women with Borgatti & Halgin's
(2011) two-mode centralities, and Fischer's Paul Revere membership lists.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from test_analysis_graphs import build

from assetmap import vocab
from assetmap.graph import analysis
from assetmap.graph.analysis.suggestions import adamic_adar
from assetmap.model import Node, Tie

DATA = Path(__file__).parent / "data" / "networks"


@pytest.fixture(scope="module")
def davis(tmp_path_factory) -> nx.MultiDiGraph:
    with open(DATA / "davis_southern_women" / "davis_edges.csv", newline="") as f:
        edges = list(csv.DictReader(f))
    women = sorted({e["woman"] for e in edges})
    events = sorted({e["event"] for e in edges})
    nodes = [Node(f"person:{w}", vocab.PERSON, w) for w in women]
    nodes += [Node(f"group:{e}", vocab.GROUP, e) for e in events]
    ties = [Tie(f"person:{e['woman']}", f"group:{e['event']}", "ATTENDS") for e in edges]
    return build(tmp_path_factory.mktemp("davis") / "davis.db", nodes, ties)


@pytest.fixture(scope="module")
def revere(tmp_path_factory) -> nx.MultiDiGraph:
    with open(DATA / "paul_revere" / "PaulRevereAppD_kjhealy.csv", newline="") as f:
        rows = list(csv.reader(f))
    groups = rows[0][1:]
    nodes = [Node(f"group:{g}", vocab.GROUP, g) for g in groups]
    ties = []
    for row in rows[1:]:
        nodes.append(Node(f"person:{row[0]}", vocab.PERSON, row[0]))
        ties += [Tie(f"person:{row[0]}", f"group:{g}", "ATTENDS")
                 for g, x in zip(groups, row[1:], strict=True) if x.strip() == "1"]
    return build(tmp_path_factory.mktemp("revere") / "revere.db", nodes, ties)


def test_davis_two_mode_centrality_matches_borgatti_halgin(davis):
    df = analysis.membership_centrality(davis)
    ours = {(nid.split(":", 1)[1], m): v for nid, d, c, b in
            zip(df["node_id"], df["degree"], df["closeness"], df["betweenness"], strict=True)
            for m, v in (("degree", d), ("closeness", c), ("betweenness", b))}
    with open(DATA / "davis_southern_women" /
              "davis_expected_centrality_borgatti_halgin.csv", newline="") as f:
        published = list(csv.DictReader(f))
    assert len(published) == 3 * 32
    for row in published:
        got = ours[(row["node"], row["measure"])]
        # published to 2 decimals
        assert got == pytest.approx(float(row["published_value_2dp"]), abs=0.005 + 1e-9), row


def test_revere_has_the_highest_betweenness_in_the_person_projection(revere):
    P = analysis.person_projection(revere)
    assert P.number_of_nodes() == 254
    bet = nx.betweenness_centrality(P, normalized=False)
    ranked = sorted(bet, key=bet.get, reverse=True)
    assert ranked[0] == "person:Revere.Paul"
    expected = json.loads((DATA / "paul_revere" / "computed_networkx_3.6.1.json").read_text())
    top_name, top_value = expected["top_betweenness_unnormalised"][0]
    assert top_name == "Revere.Paul"
    assert bet["person:Revere.Paul"] == pytest.approx(top_value)


def test_revere_group_overlap(revere):
    df = analysis.group_overlap(revere)
    shared = {frozenset((a.split(":")[1], b.split(":")[1])): w
              for a, b, w in zip(df["group_a"], df["group_b"], df["shared_members"], strict=True)}
    assert shared[frozenset(("NorthCaucus", "LondonEnemies"))] == 16
    expected = json.loads((DATA / "paul_revere" / "computed_networkx_3.6.1.json").read_text())
    assert shared == {frozenset(k.split("|")): v
                      for k, v in expected["group_overlap_weights"].items()}
    assert df.iloc[0]["shared_members"] == 16  # the largest overlap of all


def test_suggestion_adamic_adar_on_revere_matches_networkx(revere):
    ours, common = adamic_adar(revere, "person:Revere.Paul")
    B = analysis.person_group_graph(revere)
    pairs = [("person:Revere.Paul", x) for x in sorted(ours)]
    theirs = {v: s for _u, v, s in nx.adamic_adar_index(B, pairs)}
    assert len(ours) > 100
    for x in ours:
        assert ours[x] == pytest.approx(theirs[x])
        assert common[x] == len(list(nx.common_neighbors(B, "person:Revere.Paul", x)))
    # Revere's suggestions are people who share his groups, ranked by that index
    df = analysis.suggest_connections(revere, "person:Revere.Paul", k=5,
                                      kinds=[vocab.PERSON])
    assert df.empty  # nobody in 1775 consented to be suggested
