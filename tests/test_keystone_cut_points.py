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


def _bridges(tmp_path, n_bridges: int):
    from test_analysis_graphs import person

    from assetmap.model import Node

    areas = [Node("W1", vocab.AREA, "Ward One", None, None, None, {"level": "ward"}),
             Node("L1", vocab.AREA, "L1", None, None, None, {"level": "lsoa", "parent": "W1"})]
    nodes = [*areas, group("hall", "Village Hall")]
    ties = []
    for i in range(n_bridges):
        # b{i} goes to the hall and is the only link to l{i}: without b{i} the network splits
        nodes += [person(f"b{i}", area="L1"), person(f"l{i}", area="L1")]
        ties += [tie(f"person:b{i}", "group:hall", "ATTENDS"),
                 tie(f"person:b{i}", f"person:l{i}", "FRIEND")]
    return build(tmp_path / "bridges.db", nodes, ties)


def test_bridging_people_are_counted_in_bands_never_named(tmp_path):
    from assetmap.graph.analysis.resilience import bridging_people, bridging_people_by_area

    G = _bridges(tmp_path, 9)
    raw = bridging_people(G)
    assert sorted(raw["person_id"]) == sorted(f"person:b{i}" for i in range(9))
    hall = analysis.keystone_assets(G).set_index("asset_id").loc["group:hall"]
    assert hall["bridging_people_banded"] == "8–20"
    table = bridging_people_by_area(G, "ward")
    assert table.set_index("area_code").loc["W1", "bridging people (banded)"] == "8–20"
    assert "person:" not in table.to_csv()


def test_a_few_bridging_people_show_only_as_under_the_threshold(tmp_path):
    from assetmap.graph.analysis.resilience import bridging_people_by_area
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store.sqlite_store import SQLiteStore

    G = _bridges(tmp_path, 2)
    assert analysis.keystone_assets(G).set_index("asset_id").loc[
        "group:hall", "bridging_people_banded"] == "<8"
    store = SQLiteStore(tmp_path / "bridges.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    plain = bridging_people_by_area(G, "ward")
    assert plain.set_index("area_code").loc["W1", "bridging people (banded)"] == "<8"
    import pandas as pd

    pd.testing.assert_frame_equal(bridging_people_by_area(snap, "ward"), plain)


def _adjacency(n: int, pairs: list[tuple[int, int]]):
    import numpy as np
    import scipy.sparse as sp

    s = np.array([a for a, b in pairs if a != b], dtype=np.int64)
    d = np.array([b for a, b in pairs if a != b], dtype=np.int64)
    A = sp.csr_matrix((np.ones(2 * len(s), dtype=np.int8),
                       (np.concatenate([s, d]), np.concatenate([d, s]))), shape=(n, n))
    A.sum_duplicates()
    A.sort_indices()
    adj = [A.indices[A.indptr[v]:A.indptr[v + 1]].tolist() for v in range(n)]
    return A, adj


def _random_graph():
    from hypothesis import strategies as st

    @st.composite
    def graph(draw):
        n = draw(st.integers(1, 24))
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=3 * n))
        flags = draw(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=n, max_size=n))
        return n, pairs, [f[0] for f in flags], [f[1] for f in flags]

    return graph()


def test_vectorised_cut_points_equal_tarjan_on_random_graphs():
    """The snapshot's vectorised cut structure (one C depth-first search, range minima) equals
    the plain path's Tarjan low-link on every small graph: chains, stars, cycles, forests."""
    from hypothesis import given, settings

    from assetmap.graph.analysis.resilience import _cut_counts_arrays, _cut_counts_flags

    @settings(max_examples=300, deadline=None)
    @given(_random_graph())
    def check(graph):
        n, pairs, is_p, is_h = graph
        A, adj = _adjacency(n, pairs)
        lose, splits = _cut_counts_flags(is_p, is_h, adj)
        fast_lose, fast_splits = _cut_counts_arrays(is_p, is_h, A)
        assert fast_lose.tolist() == lose
        assert fast_splits.tolist() == splits

    check()
    # a long chain (a deep depth-first tree) with a hub at one end
    n = 3000
    A, adj = _adjacency(n, [(i, i + 1) for i in range(n - 1)])
    is_p, is_h = [True] * n, [i == 0 for i in range(n)]
    lose, splits = _cut_counts_flags(is_p, is_h, adj)
    fast_lose, fast_splits = _cut_counts_arrays(is_p, is_h, A)
    assert fast_lose.tolist() == lose and fast_splits.tolist() == splits
    assert lose[1] == n - 2 and splits[1] and not splits[0]
