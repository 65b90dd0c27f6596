"""The closure of one place over the columnar snapshot (issue 16: a server store's Resilience page
loads no whole graph) equals the networkx path exactly: every row, value and order, on random
small areas (hypothesis) and on a synthetic area; bad ids fail the same way."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from test_analysis_graphs import group, person, practitioner, tie
from test_snapshot import _both, richer_areas

from assetmap import vocab
from assetmap.graph import analysis
from assetmap.graph.analysis.resilience import closure_impact_snapshot, keystone_assets_snapshot
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _assets(G) -> list[str]:
    return sorted(n for n, d in G.nodes(data=True) if d["kind"] in vocab.ASSET_KINDS)


@SETTINGS
@given(richer_areas())
def test_the_closure_of_every_place_equals_the_networkx_path(area):
    G, snap = _both(area)
    for a in _assets(G):
        plain = analysis.closure_impact(G, a)
        fast = closure_impact_snapshot(snap, a)
        pd.testing.assert_frame_equal(fast, plain)  # reasons, dtypes and order too


def test_a_bridge_to_the_gp_is_found_on_both_sides_of_it(tmp_path):
    # hall -- b -- surgery: without the hall, a and b's friend lose their route; the chain
    # a - hall - b - surgery means the hall's closure cuts a off, and the rest keeps the GP
    nodes = [group("hall", "Village Hall"),
             group("surgery", "Surgery", kind=vocab.ORGANISATION, org_kind="gp_practice"),
             person("a"), person("b"), person("c"), practitioner("doc")]
    ties = [tie("person:a", "group:hall", "ATTENDS"), tie("person:b", "group:hall", "ATTENDS"),
            tie("person:b", "org:surgery", "SUPPORTED_BY"),
            tie("person:a", "person:c", "FRIEND"),
            tie("practitioner:doc", "org:surgery", "WORKS_AT")]
    G, snap = _both((nodes, ties))
    plain = analysis.closure_impact(G, "group:hall")
    assert sorted(plain.loc[plain["loses_hub_path"], "person_id"]) == ["person:a", "person:c"]
    pd.testing.assert_frame_equal(closure_impact_snapshot(snap, "group:hall"), plain)
    pd.testing.assert_frame_equal(closure_impact_snapshot(snap, "org:surgery"),
                                  analysis.closure_impact(G, "org:surgery"))


def test_unknown_ids_and_people_fail_as_the_networkx_path_does(tmp_path):
    G, snap = _both(([person("a"), group("hall")], [tie("person:a", "group:hall", "ATTENDS")]))
    with pytest.raises(KeyError, match="group:nowhere"):
        closure_impact_snapshot(snap, "group:nowhere")
    with pytest.raises(ValueError, match="group or organisation"):
        closure_impact_snapshot(snap, "person:a")


def test_a_synthetic_area_gives_the_same_closures_and_keystone_counts(tmp_path):
    from assetmap.demo import synthetic

    store = SQLiteStore(tmp_path / "area.db")
    try:
        synthetic.populate(store, 600, 11)
        G = store.to_networkx()
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    ks = keystone_assets_snapshot(snap).set_index("asset_id")
    # the places whose closure matters most, and a sample of the rest
    worst = list(ks.index[:15]) + list(ks.index[15::25])
    assert any(ks.loc[a, "lose_hub_path"] for a in worst)
    for a in worst:
        fast = closure_impact_snapshot(snap, a)
        pd.testing.assert_frame_equal(fast, analysis.closure_impact(G, a))
        assert int(fast["loses_hub_path"].sum()) == ks.loc[a, "lose_hub_path"]
        assert int(fast["loses_only_community_tie"].sum()) == ks.loc[a,
                                                                     "lose_only_community_tie"]
