"""The columnar snapshot and its fast analyses equal the plain networkx path (hypothesis), the
``analyse`` reports are byte-identical, old stores migrate, and a write updates a snapshot."""

from __future__ import annotations

import filecmp
import json
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_analysis_graphs import build
from test_analysis_properties import small_areas

from assetmap import vocab
from assetmap.graph import analysis
from assetmap.graph.analysis.carers import carer_gaps_snapshot
from assetmap.graph.analysis.isolation import isolated_people_plain, isolation_levels
from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
from assetmap.graph.analysis.resilience import (
    disconnected_clusters_snapshot,
    keystone_assets_snapshot,
)
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

#: Each example writes a real SQLite store: enough examples to find a difference, few enough to
#: keep the file to seconds.
SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def richer_areas(draw):
    """small_areas plus what the fast paths must also get right: ``via`` groups on ties between
    people, carers by role, carers' support, and back-up."""
    nodes, ties = draw(small_areas())
    groups = [n.id for n in nodes if n.kind in vocab.ASSET_KINDS]
    out_ties = []
    for t in ties:
        props = dict(t.props)
        if t.kind in ("FRIEND", "FAMILY", "NEIGHBOUR", "PEER") and draw(st.booleans()):
            props["via"] = draw(st.sampled_from([*groups, "nowhere"]))
        if draw(st.booleans()):  # how often they are in touch, and who they are (the scales)
            props["frequency"] = draw(st.sampled_from(["weekly", "monthly", "yearly", 3]))
        if t.kind in ("FAMILY", "CARES_FOR", "PEER") and draw(st.booleans()):
            props["role"] = draw(st.sampled_from(["spouse", "child", "parent", "friend",
                                                  "workmate"]))
        kind = "SHARED_LIVES" if t.kind == "PAID_SUPPORT" and draw(st.booleans()) else t.kind
        out_ties.append(Tie(t.src, t.dst, kind, props))
    out_nodes = []
    for n in nodes:
        props = dict(n.props)
        if n.kind == vocab.PERSON and draw(st.booleans()):
            props["roles"] = ["carer"]
        if n.kind == vocab.PERSON and draw(st.booleans()):
            props["goals"] = draw(st.lists(st.sampled_from(
                ["get out walking", "find a choir", "be more active", "meet people"]),
                max_size=2))
        if n.kind in vocab.ASSET_KINDS and draw(st.booleans()):
            props["needs"] = sorted({*props.get("needs", []), "carer_support"})
        if n.kind == vocab.ORGANISATION and draw(st.booleans()):
            props["org_kind"] = "place_of_worship"
        if n.kind == vocab.GROUP and draw(st.booleans()):
            props["activities"] = sorted({*props.get("activities", []), "faith"})
        out_nodes.append(Node(n.id, n.kind, n.name, n.area, n.lat, n.lon, props))
    return out_nodes, out_ties


def _both(area):
    nodes, ties = area
    d = tempfile.mkdtemp()
    G = build(Path(d) / "area.db", nodes, ties)
    store = SQLiteStore(Path(d) / "area.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    return G, snap


def _same(fast: pd.DataFrame, plain: pd.DataFrame, skip: tuple[str, ...] = ("reasons",)) -> None:
    keep = [c for c in plain.columns if c not in skip]
    pd.testing.assert_frame_equal(fast[keep].reset_index(drop=True),
                                  plain[keep].reset_index(drop=True), check_dtype=False)


@SETTINGS
@given(richer_areas())
def test_every_fast_path_equals_the_networkx_path(area):
    G, snap = _both(area)
    plain = isolated_people_plain(G)
    _same(isolation_levels(snap), plain[["person_id", "area", "level"]])
    tc = snap.counts
    at = snap.index
    for row in plain.itertuples(index=False):
        i = at[row.person_id]
        assert (tc.community[i], tc.professional[i], tc.groups[i], tc.roles[i], tc.family[i],
                tc.friends[i]) == (row.community_ties, row.professional_ties,
                                   row.groups_attended, row.tie_diversity, row.family,
                                   row.friends)
    _same(carer_gaps_snapshot(snap), analysis.carer_support_gaps(G),
          ("reasons", "carer_hours"))
    _same(keystone_assets_snapshot(snap), analysis.keystone_assets(G))
    _same(disconnected_clusters_snapshot(snap), analysis.disconnected_clusters(G))
    _same(pooling_opportunities_snapshot(snap, max_km=3.0),
          analysis.pooling_opportunities(G, max_km=3.0), ())
    # a snapshot of the graph itself is the snapshot of the store
    again = Snapshot.from_networkx(G)
    assert again.ids == snap.ids
    key = np.lexsort((snap.tie_kind, snap.dst, snap.src))
    key2 = np.lexsort((again.tie_kind, again.dst, again.src))
    for col in ("src", "dst", "tie_kind", "via"):
        assert getattr(snap, col)[key].tolist() == getattr(again, col)[key2].tolist()


@SETTINGS
@given(richer_areas(), st.data())
def test_a_write_applied_to_a_snapshot_equals_a_fresh_read(area, data):
    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        build(Path(d) / "area.db", nodes, ties)
        store = SQLiteStore(Path(d) / "area.db")
        snap = Snapshot.from_store(store)
        people = [n.id for n in nodes if n.kind == vocab.PERSON]
        assets = [n.id for n in nodes if n.kind in vocab.ASSET_KINDS]
        p = data.draw(st.sampled_from(people))
        new_ties = [Tie(p, data.draw(st.sampled_from(assets)), "ATTENDS")]
        gone = data.draw(st.lists(st.sampled_from(ties), max_size=2, unique_by=lambda t: t.key)) \
            if ties else []
        gone = [t for t in gone if t.key not in {n.key for n in new_ties}]  # one final state
        newcomer = Node("p_new", vocab.PERSON, "New N.", props={"roles": ["carer"]})
        store.upsert_nodes([newcomer])
        store.upsert_ties([*new_ties, Tie("p_new", p, "CARES_FOR")])
        for t in gone:
            store.delete_tie(t.src, t.dst, t.kind)
        snap.apply(nodes=[newcomer], ties=[*new_ties, Tie("p_new", p, "CARES_FOR")],
                   deleted_ties=[t.key for t in gone], version=store.version())
        fresh = Snapshot.from_store(store)
        store.close()
    # the appended node sits at the end rather than in id order: compare by id
    a = isolation_levels(snap).sort_values("person_id").reset_index(drop=True)
    b = isolation_levels(fresh).sort_values("person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    _same(carer_gaps_snapshot(snap), carer_gaps_snapshot(fresh))


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    from assetmap.demo import synthetic

    path = tmp_path_factory.mktemp("snap") / "area.db"
    store = SQLiteStore(path)
    synthetic.populate(store, 1_500, 7)
    yield store
    store.close()


def test_analyse_reports_are_byte_identical_to_the_networkx_path(small_store, tmp_path):
    from assetmap import reports
    from assetmap.demo.trafford import boundaries

    areas = boundaries("lsoa")
    reports.analyse(small_store.to_networkx(), tmp_path / "plain", areas=areas)
    reports.analyse(Snapshot.from_store(small_store), tmp_path / "fast", areas=areas)
    names = sorted(p.name for p in (tmp_path / "plain").iterdir())
    assert names == sorted(reports.REPORT_FILES)
    for name in names:
        assert filecmp.cmp(tmp_path / "plain" / name, tmp_path / "fast" / name,
                           shallow=False), name


def test_area_snapshot_equals_the_area_graph(small_store):
    ward = next(n.id for n in small_store.find(vocab.AREA) if n.props.get("level") == "ward")
    snap = Snapshot.from_store(small_store, area=ward)
    G = small_store.to_networkx(area=ward)
    assert snap.ids == sorted(G.nodes)
    assert len(snap.src) == G.number_of_edges()
    _same(keystone_assets_snapshot(snap), analysis.keystone_assets(G))


_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
    area TEXT, lat REAL, lon REAL, props TEXT NOT NULL DEFAULT '{}') WITHOUT ROWID;
CREATE TABLE ties (src TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    dst TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE, kind TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (src, dst, kind)) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '1'), ('version', '7');
"""


def test_a_version_1_store_gains_its_columns_once(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_V1)
    props = {"interests": ["walking"], "needs": ["dementia"], "roles": ["carer"],
             "consent": {"suggest": True, "map": False}, "personal_budget": True}
    db.execute("INSERT INTO nodes VALUES ('p1', 'Person', 'Ann', NULL, NULL, NULL, ?)",
               (json.dumps(props),))
    db.execute("INSERT INTO nodes VALUES ('p2', 'Person', 'Bo', NULL, NULL, NULL, '{}')")
    db.execute("INSERT INTO nodes VALUES ('g1', 'Group', 'Walk', NULL, NULL, NULL, ?)",
               (json.dumps({"status": "closed", "activities": ["walking"]}),))
    db.execute("INSERT INTO ties VALUES ('p1', 'p2', 'FRIEND', ?)", (json.dumps({"via": "g1"}),))
    db.commit()
    db.close()
    store = SQLiteStore(path)
    row = store._db.execute("SELECT status, personal_budget, consent_suggest, consent_map, "
                            "interests, needs, roles FROM nodes WHERE id = 'p1'").fetchone()
    assert row == (None, 1, 1, 0, 1, 1 << list(vocab.NEEDS).index("dementia"), 1)
    assert store._db.execute("SELECT status FROM nodes WHERE id = 'g1'").fetchone() == ("closed",)
    assert store._db.execute("SELECT via FROM ties").fetchone() == ("g1",)
    assert store._db.execute(
        "SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    assert store.version() == 7  # content unchanged
    before = list(store.nodes())
    store.close()
    again = SQLiteStore(path)  # idempotent: nothing to do the second time
    assert list(again.nodes()) == before and again.version() == 7
    snap = Snapshot.from_store(again)
    assert snap.words(snap.index["p1"], "interests") == ["walking"]
    assert bool(snap.closed[snap.index["g1"]])
    assert snap.via.tolist() == [snap.index["g1"]]
    again.close()


@SETTINGS
@given(richer_areas(), st.data())
def test_the_change_log_brings_a_snapshot_and_a_graph_up_to_date(area, data):
    from assetmap.graph.analysis.snapshot import patched_graph

    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        build(Path(d) / "area.db", nodes, ties)
        store = SQLiteStore(Path(d) / "area.db")
        snap, G, since = Snapshot.from_store(store), store.to_networkx(), store.version()
        before = (dict(G.nodes(data=True)), sorted(G.edges(keys=True, data=True)))
        people = [n.id for n in nodes if n.kind == vocab.PERSON]
        assets = [n.id for n in nodes if n.kind in vocab.ASSET_KINDS]
        # a referral, a closed group, an erasure and a removed tie, each its own write
        store.upsert_ties([Tie(data.draw(st.sampled_from(people)),
                               data.draw(st.sampled_from(assets)), "ATTENDS", {"frequency": 7})])
        closing_id = data.draw(st.sampled_from(assets))
        closing = next(n for n in nodes if n.id == closing_id)
        store.upsert_nodes([Node(closing.id, closing.kind, closing.name, closing.area,
                                 closing.lat, closing.lon, {**closing.props, "status": "closed"})])
        if data.draw(st.booleans()):
            store.delete(data.draw(st.sampled_from(people)))
        for t in data.draw(st.lists(st.sampled_from(ties), max_size=2)) if ties else []:
            store.delete_tie(t.src, t.dst, t.kind)
        assert store.changes_since(since) is not None
        snap = snap.refresh(store)
        old = G
        G = patched_graph(G, store, since)
        fresh, fresh_G = Snapshot.from_store(store), store.to_networkx()
        store.close()
    assert (dict(old.nodes(data=True)), sorted(old.edges(keys=True, data=True))) == before
    assert dict(G.nodes(data=True)) == dict(fresh_G.nodes(data=True))
    assert sorted(G.edges(keys=True, data=True)) == sorted(fresh_G.edges(keys=True, data=True))
    a = isolation_levels(snap).sort_values("person_id").reset_index(drop=True)
    b = isolation_levels(fresh).sort_values("person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    _same(keystone_assets_snapshot(snap), keystone_assets_snapshot(fresh))


def test_a_bulk_write_or_an_old_version_means_read_afresh(tmp_path):
    from assetmap.graph.store import sqlite_store

    store = SQLiteStore(tmp_path / "a.db")
    store.upsert_nodes([Node("p1", vocab.PERSON, "Ann")])
    v = store.version()
    assert store.changes_since(v) == {"nodes": set(), "ties": set()}
    store.upsert_nodes([Node("p2", vocab.PERSON, "Bo")])
    assert store.changes_since(v) == {"nodes": {"p2"}, "ties": set()}
    assert store.changes_since(v + 5) is None  # a version this store never had
    many = [Node(f"q{i}", vocab.PERSON) for i in range(sqlite_store._LOG_LIMIT + 1)]
    store.upsert_nodes(many)
    assert store.changes_since(v) is None
    snap = Snapshot.from_store(store)
    assert len(snap.refresh(store).ids) == len(snap.ids)  # same version: no work
    store.close()
