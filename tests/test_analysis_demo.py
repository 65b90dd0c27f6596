"""Every analysis end to end on a small synthetic Trafford area, read back from a SQLite file."""

from __future__ import annotations

import pandas as pd
import pytest

from assetmap import vocab
from assetmap.governance.privacy import has_consent
from assetmap.graph import analysis
from assetmap.graph.analysis.isolation import isolated_people_plain
from assetmap.graph.store.sqlite_store import SQLiteStore

synthetic = pytest.importorskip("assetmap.demo.synthetic")
trafford = pytest.importorskip("assetmap.demo.trafford")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("demo") / "demo.db")
    try:
        synthetic.populate(store, 600, seed=7)
        yield store.to_networkx()
    finally:
        store.close()


def test_every_analysis_runs_and_explains_itself(demo):
    iso = analysis.isolated_people(demo)
    pd.testing.assert_frame_equal(iso, isolated_people_plain(demo))  # fast path == plain path
    people = [n for n, k in demo.nodes(data="kind") if k == vocab.PERSON]
    assert sorted(iso["person_id"]) == sorted(people)
    assert set(iso["level"].astype(str)) <= set(analysis.LEVELS)
    assert iso["reasons"].str.len().gt(0).all()

    me = iso.iloc[0]["person_id"]
    sugg = analysis.suggest_connections(demo, me)
    linked = set(demo.successors(me)) | set(demo.predecessors(me))
    assert not set(sugg["candidate_id"]) & (linked | {me})
    for cid in sugg["candidate_id"]:
        attrs = demo.nodes[cid]
        assert attrs.get("status") != "closed"
        if attrs["kind"] == vocab.PERSON:
            assert has_consent(attrs, "suggest")

    frames = {
        "pooling": analysis.pooling_opportunities(demo),
        "carers": analysis.carer_support_gaps(demo),
        "gaps": analysis.provision_gaps(demo, trafford.boundaries("lsoa")),
        "keystones": analysis.keystone_assets(demo),
        "clusters": analysis.disconnected_clusters(demo),
    }
    for name, df in frames.items():
        assert "reasons" in df.columns, name
    gaps = frames["gaps"]
    assert len(gaps) == len(trafford.boundaries("lsoa")) * len(vocab.NEEDS)
    # every person with a need is counted once per need, in some LSOA
    need_count = sum(len(demo.nodes[p].get("needs") or []) for p in people)
    assert gaps["people_with_need"].sum() == need_count
    ks = frames["keystones"]
    top = ks.iloc[0]["asset_id"]
    impact = analysis.closure_impact(demo, top)
    assert ks.iloc[0]["lose_hub_path"] == int(impact["loses_hub_path"].sum())
