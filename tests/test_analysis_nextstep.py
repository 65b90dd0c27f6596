"""suggest_all (a next step for everyone in one pass) equals one person's suggest_connections
wherever the factors it leaves out do not apply (no social links, no cost or access limits)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_analysis_graphs import at_km, build, group, person, tie

from assetmap import vocab
from assetmap.graph.analysis.nextstep import suggest_all
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.analysis.suggestions import suggest_connections
from assetmap.graph.store.sqlite_store import SQLiteStore

WORDS = ["walking", "singing", "crafts"]
NEEDS = ["loneliness", "dementia"]


@st.composite
def places(draw):
    """People and assets at random places with random interests; only ties that make no social
    link (support and referrals), so suggestions rank by match and distance alone."""
    people = [person(f"p{i}", where=draw(st.one_of(st.none(), st.builds(
                         at_km, st.floats(0, 6), st.floats(0, 359)))),
                     interests=draw(st.lists(st.sampled_from(WORDS), unique=True, max_size=2)),
                     needs=draw(st.lists(st.sampled_from(NEEDS), unique=True, max_size=1)),
                     goals=draw(st.lists(st.sampled_from(["a choir", "get walking"]),
                                         max_size=1)))
              for i in range(draw(st.integers(1, 5)))]
    assets = []
    for j in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from([vocab.GROUP, vocab.ORGANISATION]))
        assets.append(group(
            f"g{j}", name=draw(st.sampled_from(["Hall", "Walking club", "Memory cafe"])),
            where=draw(st.one_of(st.none(), st.builds(at_km, st.floats(0, 6),
                                                      st.floats(0, 359)))),
            kind=kind, status=draw(st.sampled_from(["active", "at_risk", "closed"])),
            activities=draw(st.lists(st.sampled_from(WORDS), unique=True, max_size=2)),
            needs=draw(st.lists(st.sampled_from(NEEDS), unique=True, max_size=1))))
    ties = []
    for p in people:
        if assets and draw(st.booleans()):
            ties.append(tie(p.id, draw(st.sampled_from(assets)).id, "REFERRED_TO"))
    return people + assets, ties


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(places())
def test_suggest_all_equals_one_persons_best_group(area):
    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        G = build(Path(d) / "a.db", nodes, ties)
        store = SQLiteStore(Path(d) / "a.db")
        snap = Snapshot.from_store(store)
        store.close()
    everyone = suggest_all(snap, top=1, max_km=4.0)
    _assert_each_person_matches(G, nodes, everyone, 1, ["candidate_id", "score", "match",
                                                        "proximity", "distance_km", "matched"])


def _assert_each_person_matches(G, nodes, everyone: pd.DataFrame, k: int, cols: list[str],
                                **options) -> None:
    """Every person's rows of ``suggest_all`` equal their own top ``k`` places."""
    everyone = everyone.set_index("person_id")
    for p in (n.id for n in nodes if n.kind == vocab.PERSON):
        one = suggest_connections(G, p, k=k, max_km=4.0,
                                  kinds={vocab.GROUP, vocab.ORGANISATION}, **options)
        if one.empty:
            assert p not in everyone.index
            continue
        got = everyone.loc[[p], cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got.astype({"distance_km": float}),
                                      one[cols].astype({"distance_km": float}),
                                      check_dtype=False, atol=2e-6)  # both round to 6 places


def test_every_person_at_once_with_top_two(tmp_path):
    nodes = [person("a", where=at_km(0), interests=["walking"]),
             person("b", where=at_km(5), interests=["singing"]),
             group("near", where=at_km(0.5), activities=["walking"]),
             group("far", where=at_km(2.5), activities=["walking", "singing"]),
             group("shut", where=at_km(0.1), activities=["walking"], status="closed")]
    build(tmp_path / "a.db", nodes)
    with SQLiteStore(tmp_path / "a.db") as store:
        out = suggest_all(Snapshot.from_store(store), top=2, max_km=4.0)
    assert out.groupby("person_id")["candidate_id"].apply(list).to_dict() == {
        "person:a": ["group:near", "group:far"], "person:b": ["group:far"]}


@st.composite
def social_places(draw):
    """Like :func:`places`, with friendships, memberships (some ended), and people's own cost
    and access limits: the social factor and the filters apply."""
    nodes, ties = draw(places())
    people = [n for n in nodes if n.kind == vocab.PERSON]
    assets = [n for n in nodes if n.kind != vocab.PERSON]
    for a in assets:
        a.props["cost"] = draw(st.sampled_from([None, "free", "low", "paid"]))
        a.props["access"] = draw(st.lists(st.sampled_from(["step_free", "hearing_loop"]),
                                          unique=True, max_size=2))
        if draw(st.integers(0, 5)) == 0:
            a.props["capacity"] = 1
    for p in people:
        if draw(st.integers(0, 2)) == 0:
            p.props["max_cost"] = draw(st.sampled_from(["free", "low"]))
        if draw(st.integers(0, 2)) == 0:
            p.props["access_needs"] = ["step_free"]
    for _ in range(draw(st.integers(0, 8))):
        a, b = draw(st.sampled_from(people)), draw(st.sampled_from(people))
        if a.id != b.id:
            ties.append(tie(a.id, b.id, draw(st.sampled_from(["FRIEND", "FAMILY"]))))
    for _ in range(draw(st.integers(0, 8))):
        if assets:
            p, a = draw(st.sampled_from(people)), draw(st.sampled_from(assets))
            ended = {"until": "2001-01-01"} if draw(st.integers(0, 4)) == 0 else {}
            ties.append(tie(p.id, a.id, draw(st.sampled_from(["ATTENDS", "VOLUNTEERS_AT"])),
                            **ended))
    return nodes, ties


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(social_places())
def test_suggest_all_equals_one_persons_top_three_with_social_and_limits(area):
    """With friends and memberships (the social factor) and people's own cost and access
    limits, every person's top three from the one sparse pass are one person's top three."""
    from assetmap.graph.analysis.nextstep import limits_from_graph

    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        G = build(Path(d) / "a.db", nodes, ties)
        store = SQLiteStore(Path(d) / "a.db")
        snap = Snapshot.from_store(store)
        store.close()
    everyone = suggest_all(snap, top=3, max_km=4.0, limits=limits_from_graph(G))
    _assert_each_person_matches(G, nodes, everyone, 3,
                                ["candidate_id", "score", "match", "proximity", "social",
                                 "distance_km", "matched"], merge_venues=False)
