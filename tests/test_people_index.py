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


# --- the places index: suggestions find groups and organisations with arrays ------------------


def _every_asset(G, me, my_wants, max_km):
    """The plain scan the index replaces: every group and organisation that offers something
    wanted, within reach or with no point (the prefilter the page used to run over all nodes)."""
    out = []
    for nid, attrs in G._node.items():
        if attrs.get("kind") not in vocab.ASSET_KINDS:
            continue
        if not (my_wants & suggestions.offers(attrs)):
            continue
        km = suggestions._km(me, attrs)
        if km is None or km <= max_km:
            out.append(nid)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from assetmap.demo.build import build_demo

    s = SQLiteStore(tmp_path_factory.mktemp("places") / "demo.db")
    build_demo(s, people=600, seed=11)
    yield s
    s.close()


def test_suggestions_from_the_places_index_equal_a_scan_of_every_node(demo, monkeypatch):
    suggestions._ASSET_INDEX.clear()
    G = live_graph(demo)
    people = sorted(n for n, a in G._node.items() if a.get("kind") == vocab.PERSON)[::20]
    assert len(people) >= 25
    fast = {p: suggest_connections(G, p, k=10) for p in people}
    monkeypatch.setattr(suggestions, "_near_assets", _every_asset)
    for p in people:
        plain = suggest_connections(G, p, k=10)
        assert fast[p].equals(plain), p
    assert sum(len(f) for f in fast.values()) > 100  # the comparison is not of empty lists


def _live(index) -> dict[str, tuple]:
    return {n: (round(float(la), 9), round(float(lo), 9), int(b))
            for n, la, lo, b in zip(*index, strict=True) if int(b)}


def test_the_places_index_after_writes_equals_a_fresh_build(demo, monkeypatch):
    suggestions._ASSET_INDEX.clear()
    suggestions._ATTENDEES.clear()
    G1 = live_graph(demo)
    groups = sorted(n for n, a in G1._node.items() if a.get("kind") == vocab.GROUP)
    me = sorted(n for n, a in G1._node.items() if a.get("kind") == vocab.PERSON)[3]
    suggestions._asset_index(G1)
    suggest_connections(G1, me, k=10)
    # a group closed, one retitled to offer walking, a new one nearby, one made full
    first, second, third, fourth = groups[:4]
    a, b, c = dict(G1._node[first]), dict(G1._node[second]), dict(G1._node[fourth])
    demo.upsert_nodes([
        group(first.split(":", 1)[1], a["name"], (a["lat"], a["lon"]), status="closed"),
        group(second.split(":", 1)[1], "Walking football", (b["lat"], b["lon"]),
              activities=["walking", "football"]),
        group("brand-new", "Gardening club", (G1._node[me]["lat"], G1._node[me]["lon"]),
              activities=["gardening", "walking", "crafts", "reading"]),
        group(fourth.split(":", 1)[1], c["name"], (c["lat"], c["lon"]),
              activities=c.get("activities") or ["walking"], capacity=0),
    ])
    G2 = live_graph(demo)
    assert G2 is not G1 and G2._node[me] is G1._node[me]  # patched, not reloaded
    read = []
    row = suggestions._asset_row
    monkeypatch.setattr(suggestions, "_asset_row", lambda attrs: read.append(1) or row(attrs))
    patched = suggestions._asset_index(G2)
    monkeypatch.undo()
    assert len(read) == 4  # only the places written were read again, not every node
    # the same patch found by comparing the two node tables (the write's own list forgotten)
    from assetmap.graph.analysis import snapshot

    known = suggestions._table_changes(G2._node, G1._node)
    snapshot._NODE_PATCHES.clear()
    diffed = suggestions._table_changes(G2._node, G1._node)
    assert [sorted(x) for x in diffed] == [sorted(x) for x in known]
    assert sorted(known[0]) == sorted([first, second, fourth, "group:brand-new"])
    got = suggest_connections(G2, me, k=10)
    suggestions._ASSET_INDEX.clear()
    suggestions._ATTENDEES.clear()
    assert _live(patched) == _live(suggestions._asset_index(G2))
    assert got.equals(suggest_connections(G2, me, k=10))
    assert "group:brand-new" in _live(patched)
    assert not {first, fourth} & set(got["candidate_id"])  # closed, and full
    # a place deleted (the nodes after it shift: patched or rebuilt, the same index)
    demo.delete(third)
    G3 = live_graph(demo)
    suggestions._asset_index(G2)
    patched = suggestions._asset_index(G3)
    got = suggest_connections(G3, me, k=10)
    suggestions._ASSET_INDEX.clear()
    suggestions._ATTENDEES.clear()
    assert _live(patched) == _live(suggestions._asset_index(G3))
    assert third not in _live(patched)
    assert got.equals(suggest_connections(G3, me, k=10))
