"""What made ``analyse`` fast without changing what it says (issue 13), and what issue 17 added
to it: weighted community detection (both Louvain twins) and bridging people per area."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_analysis_graphs import build, person, tie

from assetmap.graph import analysis
from assetmap.graph.analysis.resilience import disconnected_clusters_snapshot
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.sqlite_store import SQLiteStore

RING = [f"p{i}" for i in range(8)]


def _ring(tmp_path, strong_from: int):
    """Eight people in a ring, no hub: every other tie strong (weight 10), the rest weak."""
    nodes = [person(p) for p in RING]
    ties = []
    for i, p in enumerate(RING):
        q = RING[(i + 1) % len(RING)]
        weight = 10 if (i - strong_from) % 2 == 0 else 0.1
        ties.append(tie(f"person:{p}", f"person:{q}", "FRIEND", weight=weight))
    path = tmp_path / f"ring{strong_from}.db"
    G = build(path, nodes, ties)
    store = SQLiteStore(path)
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    return G, snap


@pytest.mark.parametrize("strong_from", [0, 1])
def test_louvain_follows_tie_weights_on_both_paths(tmp_path, strong_from):
    G, snap = _ring(tmp_path, strong_from)
    plain = analysis.disconnected_clusters(G)
    fast = disconnected_clusters_snapshot(snap)
    pd.testing.assert_frame_equal(fast.drop(columns="reasons"), plain.drop(columns="reasons"),
                                  check_dtype=False)
    want = sorted(sorted([f"person:{RING[(i + strong_from) % 8]}",
                          f"person:{RING[(i + strong_from + 1) % 8]}"])
                  for i in range(0, 8, 2))
    assert sorted(plain["members"].tolist()) == want  # the strong pairs, whichever they are


def test_a_tie_without_a_weight_counts_as_one(tmp_path):
    """Ties with no weight (or an unusable one) weigh 1.0, so unweighted data clusters as it
    always did, on both paths."""
    nodes = [person(p) for p in RING]
    ties = [tie(f"person:{p}", f"person:{RING[(i + 1) % 8]}", "FRIEND",
                **({"weight": "heavy"} if i == 3 else {}))
            for i, p in enumerate(RING)]
    G = build(tmp_path / "plain.db", nodes, ties)
    store = SQLiteStore(tmp_path / "plain.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    unweighted = build(tmp_path / "unweighted.db", nodes,
                       [tie(t.src, t.dst, t.kind) for t in ties])
    got = analysis.disconnected_clusters(G)["members"].tolist()
    assert got == disconnected_clusters_snapshot(snap)["members"].tolist()
    assert got == analysis.disconnected_clusters(unweighted)["members"].tolist()


def test_analyse_writes_bridging_people_by_area_banded(tmp_path):
    """Nine people each the only link to a friend: the ward's bridging people appear as a band
    in bridging_people_by_area.csv, the same on both paths, with no person in it."""
    from test_keystone_cut_points import _bridges

    from assetmap import reports

    G = _bridges(tmp_path, 9)
    store = SQLiteStore(tmp_path / "bridges.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    import geopandas as gpd

    empty = gpd.GeoDataFrame({"area_code": [], "area_name": []},
                             geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    plain = reports.analyse(G, tmp_path / "plain", areas=empty)  # no polygons: no gaps
    fast = reports.analyse(snap, tmp_path / "fast", areas=empty)
    assert "bridging_people_by_area.csv" in reports.REPORT_FILES
    text = fast["bridging_people_by_area.csv"].read_text()
    assert text == plain["bridging_people_by_area.csv"].read_text()
    rows = pd.read_csv(fast["bridging_people_by_area.csv"], dtype=str).set_index("area_code")
    assert rows.loc["W1", "bridging people (banded)"] == "8–20"
    assert "person:" not in text and "B0" not in text


def test_linked_suppression_needs_the_solver_only_where_small_moves_fail(monkeypatch):
    """Freeing hidden cells by moving one or two people first (no solver) publishes exactly
    what the integer programme alone published, on random tables of areas and levels."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from assetmap.governance import privacy

    parent = {"L1": "W1", "L2": "W1", "L3": "W1", "L4": "W2", "L5": "W2", "W1": "B",
              "W2": "B", "B": None}
    level = {**{f"L{i}": "lsoa" for i in range(1, 6)}, "W1": "ward", "W2": "ward",
             "B": "borough"}

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.lists(st.integers(0, 25), min_size=3, max_size=3), min_size=5,
                    max_size=5))
    def check(rows):
        counts = pd.DataFrame(rows, index=[f"L{i}" for i in range(1, 6)],
                              columns=["isolated", "at risk", "well connected"])
        quick = privacy.protect_area_counts(counts, parent, level, total="people")
        with monkeypatch.context() as m:
            m.setattr(privacy, "_freed_by_small_moves", lambda *a, **k: set())
            solver_only = privacy.protect_area_counts(counts, parent, level, total="people")
        assert quick == solver_only

    check()


def test_the_utm_zone_is_found_as_geopandas_finds_it():
    import geopandas as gpd
    from shapely.geometry import box

    from assetmap.graph.analysis.provision import _metric_crs

    for lon, lat in [(-2.3, 53.4), (151.2, -33.9), (-3.0 + 1e-12, 10.0)]:
        areas = gpd.GeoDataFrame(geometry=[box(lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1)],
                                 crs="EPSG:4326")
        assert _metric_crs(areas) == areas.estimate_utm_crs()


def test_geojson_reads_back_as_written(tmp_path):
    """The gap map's GeoJSON (written without GDAL) reads back to the same values, polygons
    and CRS, NaN as null, a shared polygon written once per feature."""
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, box

    from assetmap.reports import write_geojson

    square = MultiPolygon([box(-2.3, 53.4, -2.2, 53.5)])
    frame = gpd.GeoDataFrame({"area_code": ["E1", "E1", "E2"], "need": ["a", "b", 'say "hi"'],
                              "people": ["<8", "15", "0"], "km": [0.25, np.nan, 1.0],
                              "n": np.array([1, 2, 3], dtype=np.int32),
                              "flagged": [True, False, True]},
                             geometry=[square, square, box(0.1, 51.0, 0.2, 51.1)],
                             crs="EPSG:4326")
    path = tmp_path / "gaps.geojson"
    write_geojson(frame, path)
    doc = json.loads(path.read_text())
    assert doc["name"] == "gaps" and doc["features"][1]["properties"]["km"] is None
    back = gpd.read_file(path)
    assert back.crs == frame.crs
    assert back.geometry.geom_equals_exact(frame.geometry, 0).all()
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(frame.drop(columns="geometry")),
                                  check_dtype=False)
