"""Invariants of the analyses on random small graphs (hypothesis), each written through SQLite."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import networkx as nx
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_analysis_graphs import at_km, build, group, person, practitioner, tie

from assetmap import vocab
from assetmap.geo import haversine_m
from assetmap.governance.privacy import has_consent
from assetmap.graph import analysis
from assetmap.graph.analysis.circles import LEVEL_RANK
from assetmap.graph.analysis.isolation import isolated_people_plain
from assetmap.model import tie_ended

PERSON_TIES = ["FAMILY", "FRIEND", "NEIGHBOUR", "PEER", "CARES_FOR", "PAID_SUPPORT"]
ASSET_TIES = ["ATTENDS", "ATTENDS", "VOLUNTEERS_AT", "SUPPORTED_BY", "REFERRED_TO"]
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


#: A tie's ``until``: mostly none (current), sometimes ended (a past year, month or day) and
#: sometimes ending in the future (still current).
ENDED = st.sampled_from([{}, {}, {}, {"until": "2020"}, {"until": "2024-03"},
                         {"until": "2025-06-30"}, {"until": "2999-01-01"}])


def current_ends(G: nx.MultiDiGraph, n: str) -> set[str]:
    """The other ends of ``n``'s current (not ended) ties."""
    today = dt.date.today().isoformat()
    return {o for adj in (G._succ[n], G._pred[n]) for o, keyed in adj.items()
            if any(not tie_ended(a, today) for a in keyed.values())}


@st.composite
def small_areas(draw):
    """Nodes and ties of a small random area: people, groups, organisations, practitioners."""
    n_people = draw(st.integers(2, 9))
    people = []
    for i in range(n_people):
        people.append(person(
            f"p{i}", where=at_km(draw(st.floats(0, 4)), draw(st.floats(0, 359))),
            consent={"suggest": draw(st.booleans()), "map": True},
            interests=draw(st.lists(st.sampled_from(["walking", "singing", "crafts"]),
                                    unique=True, max_size=2)),
            needs=draw(st.lists(st.sampled_from(["loneliness", "dementia"]), unique=True,
                                max_size=1)),
            personal_budget=draw(st.booleans())))
    assets = []
    for j in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from([vocab.GROUP, vocab.GROUP, vocab.ORGANISATION]))
        extra = {"org_kind": draw(st.sampled_from(["ulo", "gp_practice", "charity"]))} \
            if kind == vocab.ORGANISATION else {}
        assets.append(group(
            f"g{j}", where=at_km(draw(st.floats(0, 4)), draw(st.floats(0, 359))), kind=kind,
            status=draw(st.sampled_from(["active", "active", "at_risk", "closed"])),
            activities=draw(st.lists(st.sampled_from(["walking", "singing", "crafts"]),
                                     unique=True, max_size=2)),
            needs=draw(st.lists(st.sampled_from(["loneliness", "dementia"]), unique=True,
                                max_size=1)), **extra))
    pracs = [practitioner(f"pr{k}") for k in range(draw(st.integers(0, 2)))]
    ties = {}
    pairs = list(itertools.permutations(range(n_people), 2))
    for a, b in draw(st.lists(st.sampled_from(pairs), max_size=12, unique=True)):
        kind = draw(st.sampled_from(PERSON_TIES))
        src, dst = people[a].id, people[b].id
        if kind in vocab.SYMMETRIC_TIES:
            src, dst = min(src, dst), max(src, dst)
        ties[(src, dst, kind)] = tie(src, dst, kind, **draw(ENDED))
    for _ in range(draw(st.integers(0, 12))):
        p = draw(st.sampled_from(people)).id
        a = draw(st.sampled_from(assets + pracs))
        kind = draw(st.sampled_from([k for k in ASSET_TIES
                                     if a.kind in vocab.TIE_ENDPOINTS[k][1]]))
        ties[(p, a.id, kind)] = tie(p, a.id, kind, **draw(ENDED))
    for pr in pracs:
        orgs = [x for x in assets if x.kind == vocab.ORGANISATION]
        if orgs and draw(st.booleans()):
            o = draw(st.sampled_from(orgs)).id
            ties[(pr.id, o, "WORKS_AT")] = tie(pr.id, o, "WORKS_AT")
    if len(assets) > 1 and draw(st.booleans()):
        a, b = sorted(x.id for x in assets[:2])
        ties[(a, b, "PARTNERS_WITH")] = tie(a, b, "PARTNERS_WITH")
    return people + assets + pracs, list(ties.values())


def _graph(area) -> nx.MultiDiGraph:
    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        return build(Path(d) / "area.db", nodes, ties)


def _levels(G) -> dict[str, int]:
    df = analysis.isolated_people(G)
    return {p: LEVEL_RANK[str(x)] for p, x in zip(df["person_id"], df["level"], strict=True)}


@SETTINGS
@given(small_areas(), st.data())
def test_levels_partition_and_adding_a_community_tie_never_worsens_anyone(area, data):
    G = _graph(area)
    before = _levels(G)
    # the fast (array) path and the plain person-by-person path agree exactly
    pd.testing.assert_frame_equal(analysis.isolated_people(G), isolated_people_plain(G))
    people = [n for n, k in G.nodes(data="kind") if k == vocab.PERSON]
    assert sorted(before) == sorted(people)  # every person exactly once, one level each
    open_assets = [n for n, d in G.nodes(data=True)
                   if d["kind"] in vocab.ASSET_KINDS and d.get("status") != "closed"]
    src = data.draw(st.sampled_from(people))
    dst = data.draw(st.sampled_from([p for p in people if p != src] + open_assets))
    kind = "ATTENDS" if dst in open_assets else data.draw(st.sampled_from(PERSON_TIES[:5]))
    via = data.draw(st.sampled_from([None, *open_assets]))
    G.add_edge(src, dst, key=kind, kind=kind, tie_class=vocab.TIE_KINDS[kind],
               **({"via": via} if via and kind != "ATTENDS" else {}))
    pd.testing.assert_frame_equal(analysis.isolated_people(G), isolated_people_plain(G))
    after = _levels(G)
    assert all(after[p] >= before[p] for p in people)
    assert after[src] >= before[src]


@SETTINGS
@given(small_areas(), st.data())
def test_removing_a_node_never_makes_anyone_less_isolated(area, data):
    G = _graph(area)
    before = _levels(G)
    gone = data.draw(st.sampled_from(sorted(G)))
    G.remove_node(gone)
    after = _levels(G)
    assert all(after[p] <= before[p] for p in after)
    isolated_before = sum(1 for p in after if before[p] == LEVEL_RANK["isolated"])
    assert sum(1 for p in after if after[p] == LEVEL_RANK["isolated"]) >= isolated_before


@SETTINGS
@given(small_areas(), st.data())
def test_suggestions_never_break_the_rules(area, data):
    G = _graph(area)
    people = sorted(n for n, k in G.nodes(data="kind") if k == vocab.PERSON)
    me = data.draw(st.sampled_from(people))
    df = analysis.suggest_connections(G, me, k=50, max_km=3.0)
    again = analysis.suggest_connections(G, me, k=50, max_km=3.0)
    assert df.equals(again)  # deterministic
    linked = current_ends(G, me)  # an ended tie is history: its other end may come back
    me_at = (G.nodes[me]["lat"], G.nodes[me]["lon"])
    for r in df.itertuples():
        attrs = G.nodes[r.candidate_id]
        assert r.candidate_id != me and r.candidate_id not in linked
        assert attrs.get("status") != "closed"
        assert attrs["kind"] in (vocab.PERSON, vocab.GROUP, vocab.ORGANISATION)
        if attrs["kind"] == vocab.PERSON:
            assert has_consent(attrs, "suggest")
        assert haversine_m(*me_at, attrs["lat"], attrs["lon"]) <= 3000.0 + 1e-6
        assert r.match > 0 or r.social > 0
        if r.match > 0:
            assert any(w in r.reasons for w in ("matches", "also into", "helps with",
                                                    "shares a need"))
        if r.social > 0:
            assert any(w in r.reasons for w in ("knows", "in common", "also go here",
                                                    "also goes to"))
    assert list(df["score"]) == sorted(df["score"], reverse=True)


@SETTINGS
@given(small_areas())
def test_keystone_counts_agree_with_each_closure_impact(area):
    G = _graph(area)
    ks = analysis.keystone_assets(G).set_index("asset_id")
    open_assets = [n for n, d in G.nodes(data=True)
                   if d["kind"] in vocab.ASSET_KINDS and d.get("status") != "closed"]
    assert sorted(ks.index) == sorted(open_assets)
    for a in open_assets:
        impact = analysis.closure_impact(G, a)
        row = ks.loc[a]
        assert row.lose_hub_path == int(impact["loses_hub_path"].sum())
        assert row.lose_only_community_tie == int(impact["loses_only_community_tie"].sum())
        drops = sum(1 for r in impact.itertuples()
                    if LEVEL_RANK[r.level_after] < LEVEL_RANK[r.level_before])
        assert row.level_drops == drops
        # brute force: who reaches a hub with and without the asset
        assert row.lose_hub_path == _brute_force_hub_loss(G, a)


def _brute_force_hub_loss(G: nx.MultiDiGraph, asset: str) -> int:
    def reachers(H):
        U = nx.Graph()
        U.add_nodes_from(n for n, d in H.nodes(data=True)
                         if d["kind"] != vocab.AREA and d.get("status") != "closed")
        U.add_edges_from((u, v) for u, v, k in H.edges(data="kind")
                         if u in U and v in U and k != "IN_AREA"
                         and vocab.TIE_KINDS[k] != vocab.REFERRAL)
        hubs = {n for n in U if H.nodes[n]["kind"] == vocab.PRACTITIONER
                or H.nodes[n].get("org_kind") in vocab.HUB_KINDS}
        return {p for comp in nx.connected_components(U) if comp & hubs for p in comp
                if H.nodes[p]["kind"] == vocab.PERSON}

    before = reachers(G)
    H = G.copy()
    H.remove_node(asset)
    return len(before - reachers(H))


@SETTINGS
@given(small_areas())
def test_closure_of_an_asset_with_no_ties_changes_nothing(area):
    nodes, ties = area
    G = _graph((nodes + [group("lonely_hall", "Empty hall")], ties))
    assert analysis.closure_impact(G, "group:lonely_hall").empty


@SETTINGS
@given(small_areas(), st.floats(0.5, 5.0))
def test_pooling_sets_are_close_consenting_budget_holders(area, max_km):
    G = _graph(area)
    df = analysis.pooling_opportunities(G, max_km=max_km)
    for r in df.itertuples():
        assert r.people >= 3 and len(set(r.members)) == r.people
        for m in r.members:
            assert G.nodes[m]["personal_budget"] is True and has_consent(G.nodes[m], "suggest")
        for a, b in itertools.combinations(r.members, 2):
            pa, pb = G.nodes[a], G.nodes[b]
            assert haversine_m(pa["lat"], pa["lon"], pb["lat"], pb["lon"]) <= max_km * 1000 + 1
    for goal, sets in df.groupby("goal")["members"]:
        flat = [m for s in sets for m in s]
        assert len(flat) == len(set(flat)), goal  # nobody in two sets for one goal
