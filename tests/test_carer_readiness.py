"""Carers: training, equipment, an emergency back-up plan and respite; paid support is not
emergency back-up (issue 17)."""

from __future__ import annotations

from test_analysis_graphs import build, person, practitioner, tie

from assetmap import vocab
from assetmap.graph.analysis.carer_readiness import carer_readiness, carer_readiness_by_area
from assetmap.model import Node


def _areas():
    return [Node("W1", vocab.AREA, "Ward One", None, None, None, {"level": "ward"}),
            Node("L1", vocab.AREA, "L1", None, None, None, {"level": "lsoa", "parent": "W1"})]


def _graph(tmp_path):
    nodes = [*_areas(),
             person("amy", area="L1", roles=["carer"]), person("mum", area="L1"),
             person("bo", area="L1"), person("dad", area="L1"), person("cy", area="L1"),
             person("dee", area="L1", carer_supports=["training", "emergency_plan"]),
             person("gran", area="L1"), person("sl", area="L1"),
             person("eve", area="L1"), person("aunt", area="L1"),
             practitioner("pa", "personal_assistant")]
    ties = [tie("person:amy", "person:mum", "CARES_FOR"),
            tie("person:mum", "practitioner:pa", "PAID_SUPPORT"),    # paid: not back-up
            tie("person:bo", "person:dad", "CARES_FOR"),
            tie("person:cy", "person:dad", "CARES_FOR"),             # a second unpaid carer
            tie("person:dee", "person:gran", "CARES_FOR"),
            tie("person:eve", "person:aunt", "CARES_FOR"),
            tie("person:aunt", "person:sl", "SHARED_LIVES")]         # Shared Lives: back-up
    return build(tmp_path / "carers.db", nodes, ties)


def test_each_carer_is_told_what_is_missing(tmp_path):
    df = carer_readiness(_graph(tmp_path))
    missing = {p: set(g["missing"]) for p, g in df.groupby("person_id")}
    everything = set(vocab.CARER_SUPPORTS)
    assert missing["person:amy"] == everything  # the PA does not make an emergency plan
    assert missing["person:bo"] == missing["person:cy"] == everything - {"emergency_plan"}
    assert missing["person:dee"] == {"equipment", "respite"}  # as recorded
    assert missing["person:eve"] == everything - {"emergency_plan"}
    amy = df[(df.person_id == "person:amy") & (df.missing == "emergency_plan")].iloc[0]
    assert "paid support does not count" in amy.reasons


def test_carers_gaps_per_ward_are_published_counts(tmp_path):
    table = carer_readiness_by_area(_graph(tmp_path), "ward")
    row = table.set_index("area_code").loc["W1"]
    # five carers, each count 1..7 is shown as "<8"; no person appears
    assert set(row[list(vocab.CARER_SUPPORTS)]) <= {"<8", "0"}
    assert "person:" not in table.to_csv()


def test_the_snapshot_path_gives_the_same_rows(tmp_path):
    import pandas as pd

    from assetmap.graph.analysis.carer_readiness import carer_readiness_snapshot
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store.sqlite_store import SQLiteStore

    G = _graph(tmp_path)
    store = SQLiteStore(tmp_path / "carers.db")
    try:
        snap = Snapshot.from_store(store)
    finally:
        store.close()
    plain = carer_readiness(G)
    assert len(plain) == 15  # amy 4, bo 3, cy 3, dee 2, eve 3
    pd.testing.assert_frame_equal(carer_readiness_snapshot(snap), plain, check_dtype=False)
    pd.testing.assert_frame_equal(carer_readiness_by_area(snap, "ward"),
                                  carer_readiness_by_area(G, "ward"))


def test_analyse_writes_carers_gaps_per_ward(tmp_path):
    import pandas as pd

    from assetmap.graph.store.sqlite_store import SQLiteStore
    from assetmap.reports import analyse_store

    _graph(tmp_path)
    store = SQLiteStore(tmp_path / "carers.db")
    try:
        files = analyse_store(store, tmp_path / "out")["files"]
    finally:
        store.close()
    table = pd.read_csv(files["carer_readiness_by_area.csv"], dtype=str)
    assert list(table.columns) == ["area_code", "area_name", "Boundaries",
                                   *vocab.CARER_SUPPORTS]
    assert table.set_index("area_code").loc["W1", "training"] == "<8"  # 5 carers: protected
    assert "person:" not in files["carer_readiness_by_area.csv"].read_text(encoding="utf-8")


def _with_supports_and_endings():
    from hypothesis import strategies as st
    from test_snapshot import richer_areas

    from assetmap.model import Tie

    @st.composite
    def areas(draw):
        nodes, ties = draw(richer_areas())
        out = []
        for n in nodes:
            props = dict(n.props)
            if n.kind == vocab.PERSON and draw(st.booleans()):
                props["carer_supports"] = draw(st.lists(st.sampled_from(
                    [*vocab.CARER_SUPPORTS, "Emergency plan", "cake"]), max_size=3))
            out.append(Node(n.id, n.kind, n.name, n.area, n.lat, n.lon, props))
        ended = [Tie(t.src, t.dst, t.kind, {**t.props, "until": "2001-01-01"})
                 if t.kind == "CARES_FOR" and draw(st.booleans()) else t for t in ties]
        return out, ended
    return areas()


def test_the_snapshot_path_equals_the_plain_path_on_random_areas():
    import tempfile
    from pathlib import Path

    import pandas as pd
    from hypothesis import HealthCheck, given, settings

    from assetmap.graph.analysis.carer_readiness import carer_readiness_snapshot
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store.sqlite_store import SQLiteStore

    @settings(max_examples=20, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_with_supports_and_endings())
    def check(area):
        nodes, ties = area
        d = Path(tempfile.mkdtemp())
        G = build(d / "a.db", nodes, ties)
        store = SQLiteStore(d / "a.db")
        try:
            snap = Snapshot.from_store(store)
        finally:
            store.close()
        pd.testing.assert_frame_equal(carer_readiness_snapshot(snap), carer_readiness(G),
                                      check_dtype=False)

    check()
