"""The index of people who may be suggested (issue 14, speed): after a write the app's graph is
patched copy on write, and the index is patched for the nodes the write touched; it must give
what building it afresh gives, person for person."""

from __future__ import annotations

import pytest
from test_analysis_graphs import at_km, group, person, tie

from assetmap import vocab
from assetmap.graph.analysis import suggest_connections, suggestions
from assetmap.graph.analysis.snapshot import live_graph
from assetmap.graph.store.sqlite_store import SQLiteStore

YES = {"suggest": True, "map": True}
NO = {"suggest": False, "map": True}


def _index(G) -> dict[str, tuple]:
    ids, lat, lon, bits = suggestions._people_index(G)
    return {n: (round(float(lat[i]), 9), round(float(lon[i]), 9), int(bits[i]))
            for i, n in enumerate(ids) if int(bits[i])}


def _fresh(G) -> dict[str, tuple]:
    suggestions._PEOPLE_INDEX.clear()
    return _index(G)


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "index.db")
    s.upsert_nodes([
        person("ivy", "Ivy", at_km(0), interests=["walking"]),
        person("amy", "Amy", at_km(0.4, 0), consent=YES, interests=["walking"]),
        person("ben", "Ben", at_km(1.5, 90), consent=YES, interests=["gardening"]),
        person("col", "Col", at_km(0.3, 180), consent=NO, interests=["walking"]),
        group("walk", "Health walk", at_km(0.8, 10), activities=["walking"]),
    ])
    s.upsert_ties([tie("person:amy", "group:walk", "ATTENDS")])
    yield s
    s.close()


def test_index_after_writes_equals_a_fresh_build(store, monkeypatch):
    suggestions._PEOPLE_INDEX.clear()
    G1 = live_graph(store)
    first = _index(G1)
    assert set(first) == {"person:amy", "person:ben"}
    # a tie (no node changes), a consent given, a consent withdrawn, a new person, a deletion
    store.upsert_ties([tie("person:ivy", "group:walk", "ATTENDS")])
    store.upsert_nodes([
        person("col", "Col", at_km(0.3, 180), consent=YES, interests=["walking"]),
        person("ben", "Ben", at_km(1.5, 90), consent=NO, interests=["gardening"]),
        person("dan", "Dan", at_km(0.9, 45), consent=YES, interests=["singing"]),
    ])
    store.delete("person:amy")
    G2 = live_graph(store)
    assert G2 is not G1 and G2._node["person:ivy"] is G1._node["person:ivy"]  # patched
    read = []
    row = suggestions._person_row
    monkeypatch.setattr(suggestions, "_person_row", lambda attrs: read.append(1) or row(attrs))
    patched = _index(G2)
    assert len(read) == 3  # only the people written were read again: Col, Ben and Dan
    monkeypatch.undo()
    assert set(patched) == {"person:col", "person:dan"}
    assert patched == _fresh(G2)
    # the old graph's index is untouched by the patch
    assert _index(G1) == first
    # and suggestions read the patched index: Col (now consenting, shares walking) is offered
    suggestions._PEOPLE_INDEX.clear()
    _index(G1)
    got = suggest_connections(G2, "person:ivy", k=10, max_km=3.0, kinds={vocab.PERSON})
    assert list(got["candidate_id"]) == ["person:col"]
