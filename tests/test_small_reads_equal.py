"""The small-read and snapshot forms the whole-area pages use on a server store (issue 16) equal
the whole-graph forms on the same data, on a real SQLite demo store: the Outcomes cohort from the
measured people's own ties, the Gaps page's carers and pooling tables from the snapshot, and the
Resilience page's area profile from areas, places and people's areas only."""

from __future__ import annotations

import pandas as pd
import pytest

from assetmap import vocab
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The Trafford demo with 300 synthetic people (measures included): (store, graph, snap)."""
    from assetmap.demo.build import build_demo

    store = SQLiteStore(tmp_path_factory.mktemp("small") / "demo.db")
    build_demo(store, people=300, seed=7)
    yield store, store.to_networkx(), Snapshot.from_store(store)
    store.close()


def test_the_cohort_from_its_own_ties_equals_the_whole_graphs(demo):
    from assetmap.graph.analysis.outcomes import cohort_graph, cohort_people

    store, G, _snap = demo
    whole = cohort_people(store, G)
    assert len(whole) > 5
    pd.testing.assert_frame_equal(cohort_people(store, None), whole)
    ward = next(n for n, d in G.nodes(data=True)
                if d.get("kind") == vocab.AREA and d.get("level") == "ward")
    pd.testing.assert_frame_equal(cohort_people(store, None, area=ward),
                                  cohort_people(store, G, area=ward))
    pd.testing.assert_frame_equal(cohort_people(store, None, "2024-01-01", "2025-06-30"),
                                  cohort_people(store, G, "2024-01-01", "2025-06-30"))
    small = cohort_graph(store, whole["person_id"])
    assert small.number_of_nodes() < G.number_of_nodes()


def test_the_gaps_pages_carers_table_equals_from_the_snapshot(demo):
    from assetmap.graph.analysis import carer_support_gaps, pooling_opportunities
    from assetmap.graph.analysis.carers import carer_gaps_snapshot
    from assetmap.ui.views.gaps import carer_gaps_by_area, published_pooling

    _store, G, snap = demo
    for level in ("ward", "lsoa"):
        pd.testing.assert_frame_equal(carer_gaps_by_area(carer_gaps_snapshot(snap), snap, level),
                                      carer_gaps_by_area(carer_support_gaps(G), G, level))
    assert published_pooling(pooling_opportunities(G), G).empty  # none here: see below


def test_published_pooling_names_the_same_wards_from_the_snapshot(tmp_path):
    from test_analysis_graphs import at_km, person

    from assetmap.graph.analysis import pooling_opportunities
    from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
    from assetmap.model import Node
    from assetmap.ui.views.gaps import published_pooling

    areas = [Node("W1", vocab.AREA, "Ward One", None, None, None, {"level": "ward"}),
             Node("W2", vocab.AREA, "Ward Two", None, None, None, {"level": "ward"}),
             Node("L1", vocab.AREA, "L1", None, None, None, {"level": "lsoa", "parent": "W1"}),
             Node("L2", vocab.AREA, "L2", None, None, None, {"level": "lsoa", "parent": "W2"})]
    # 9 walkers in ward one and 3 in ward two, all close: one pool of 12 over both wards
    people = [person(f"w{i}", where=at_km(0.1 * i, 45), area="L1" if i < 9 else "L2",
                     interests=["walking"], personal_budget=True,
                     budget_kind="direct_payment", consent={"suggest": True})
              for i in range(12)]
    store = SQLiteStore(tmp_path / "pool.db")
    try:
        store.upsert_nodes(areas + people)
        G, snap = store.to_networkx(), Snapshot.from_store(store)
    finally:
        store.close()
    plain = published_pooling(pooling_opportunities(G), G)
    assert list(plain["Wards"]) == ["Ward One"]  # ward two's three are too few to name
    pd.testing.assert_frame_equal(published_pooling(pooling_opportunities_snapshot(snap), snap),
                                  plain)


def test_the_area_profile_from_areas_places_and_peoples_areas_equals_the_whole_graphs(demo):
    from assetmap import explain
    from assetmap.graph.analysis import keystone_assets
    from assetmap.graph.analysis.isolation import isolated_people, isolation_levels
    from assetmap.graph.analysis.resilience import keystone_assets_snapshot
    from assetmap.ui import snapshots

    store, G, snap = demo
    ward = sorted(n for n, d in G.nodes(data=True)
                  if d.get("kind") == vocab.AREA and d.get("level") == "ward")[0]
    H = snapshots.profile_graph(store.url, store.version())  # opens the store by its URL
    assert H.number_of_edges() == 0
    assert not any(d.get("name") for _n, d in H.nodes(data=True)
                   if d.get("kind") == vocab.PERSON)  # people as kind and area only
    assert explain.area_profile_html(H, ward, isolation_levels(snap),
                                     keystone_assets_snapshot(snap)) == \
        explain.area_profile_html(G, ward, isolated_people(G), keystone_assets(G))


def test_the_resilience_page_on_sqlite_reads_the_snapshot_with_the_graphs_figures(
        tmp_path, monkeypatch):
    """Measured quicker on SQLite too (benchmarks/bench_neo4j_closure.py), the Resilience page
    reads the snapshot on every store: its words and list equal the networkx closures'."""
    from browser_app import build_test_store, use_store_copy
    from conftest import signed_in
    from streamlit.testing.v1 import AppTest

    from assetmap.governance import privacy
    from assetmap.ui import common
    from assetmap.ui.views import resilience

    template = tmp_path / "template.db"
    store = build_test_store(template, people=300)
    G = store.to_networkx()
    store.close()
    url = use_store_copy(template, tmp_path, monkeypatch)

    def whole_graph_loaded(*_args):
        raise AssertionError("the Resilience page loaded the whole graph")

    for name in ("graph", "isolation_table", "keystone_table"):
        monkeypatch.setattr(common, name, whole_graph_loaded)
    at = signed_in(AppTest.from_file(resilience.__file__, default_timeout=120), "admin").run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    from assetmap.graph.analysis import keystone_assets

    ks = keystone_assets(G)
    worst = ks.sort_values(["lose_hub_path", "level_drops", "asset_id"],
                           ascending=[False, False, True])["asset_id"].iloc[0]
    at.selectbox(key="resilience_pick").set_value(worst).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    impact = resilience.impact_of(G, [worst])  # the networkx path
    assert len(impact) > 0
    hub = impact.loc[impact["loses_hub_path"], "person_id"].nunique()
    words = next(m.value for m in at.markdown if m.value.startswith("**In words:**"))
    assert (f"{privacy.publish_count(impact['person_id'].nunique())} people "
            "would be worse off" in words)
    assert f"{privacy.publish_count(hub)} every route to a GP or hub" in words
    listed = next(d.value for d in at.dataframe if "Person" in d.value.columns)
    assert list(listed["Person"]) == list(impact["name"])
    assert list(listed["Why"]) == list(impact["reasons"])
    shown = next(d.value for d in at.dataframe if "Rank" in d.value.columns)
    # the same ranking (its first rows; every row on demand and in the CSV)
    assert list(shown["Name"]) == list(ks["name"].head(resilience.ROWS_SHOWN))
    # who goes there, in bands: from the chosen places' own ties as from the whole graph
    from assetmap import explain
    from assetmap.ui import snapshots

    at_risk = sorted(n for n, d in G.nodes(data=True) if resilience.is_at_risk(d))
    for chosen in ([worst], at_risk):
        small = snapshots.places_graph(url, chosen)
        assert small.number_of_nodes() < G.number_of_nodes()
        pd.testing.assert_frame_equal(explain.who_depends(small, chosen, impact),
                                      explain.who_depends(G, chosen, impact))


def test_the_pickers_labels_and_levels_from_the_snapshot_equal_the_graphs(demo):
    """The Person page's picker is read from the snapshot on a server store (issue 16) and on
    SQLite while the graph is still being built after sign-in (issue 14): everyone's label and
    isolation level equal the whole graph's, so the user sees the same either way."""
    from assetmap.graph.analysis.isolation import isolated_people, isolation_levels
    from assetmap.worklist import graph_person_labels, snapshot_person_labels

    _store, G, snap = demo
    everyone = [n for n, a in G.nodes(data=True) if a.get("kind") == vocab.PERSON]
    labels = snapshot_person_labels(snap)
    assert labels == graph_person_labels(G, everyone)
    assert len(labels) == 300 and len(set(labels.values())) == 300  # everyone, told apart
    got = isolation_levels(snap).set_index("person_id")["level"].astype(str)
    want = isolated_people(G).set_index("person_id")["level"].astype(str)
    assert got.to_dict() == want.to_dict()
