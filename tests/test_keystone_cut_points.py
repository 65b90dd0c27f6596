"""Keystones ranked by cut-point structure before the id (issue 17): with nobody attached, a
place whose closure splits the support network still comes first, never the alphabet."""

from __future__ import annotations

from test_analysis_graphs import build, group, tie

from assetmap import vocab
from assetmap.graph import analysis


def test_a_cut_point_outranks_an_alphabetically_earlier_leaf(tmp_path):
    nodes = [group("a", "Alpha Trust", kind=vocab.ORGANISATION, org_kind="charity"),
             group("b", "Beta Trust", kind=vocab.ORGANISATION, org_kind="charity"),
             group("zz_bridge", "Bridge Club"), group("aaa_leaf", "Aardvark Club")]
    ties = [tie("org:a", "group:zz_bridge", "PARTNERS_WITH"),
            tie("group:zz_bridge", "org:b", "PARTNERS_WITH"),
            tie("group:aaa_leaf", "org:a", "PARTNERS_WITH")]
    df = analysis.keystone_assets(build(tmp_path / "cut.db", nodes, ties)).set_index("asset_id")
    assert df.loc["group:zz_bridge", "splits_network"]
    assert not df.loc["group:aaa_leaf", "splits_network"]
    assert df.loc["group:zz_bridge", "rank"] < df.loc["group:aaa_leaf", "rank"]
    assert (df["people_tied"] == 0).all()  # nobody attached: structure alone decides
