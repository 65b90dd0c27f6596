"""Schema 3 (issue 13): node numbers and packed codes kept in step on every write, the snapshot
read by numbers equal to the other ways of reading it (hypothesis), the migration of a schema-2
store, tie weights (issue 17), and the saved snapshot: read as it is at its own version, patched
from the change log after an ordinary write (tests/test_snapshot_saved.py), dropped by an erasure
and by ``scrub`` (it holds personal data)."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_snapshot import SETTINGS, richer_areas

from assetmap.graph.analysis.snapshot import SAVED_FORMAT, TIE_CODES, Snapshot
from assetmap.graph.store.copy import copy_store
from assetmap.graph.store.sqlite_store import SQLiteStore, node_code, tie_code, tie_weight
from assetmap.model import ANALYSIS_COLUMNS, Node, Tie, fields_fingerprint

ARRAYS = ("kind", "lat", "lon", "capacity", "src", "dst", "tie_kind", "via", "tie_role",
          "tie_days", "tie_until", "weights")


def same_snapshot(a: Snapshot, b: Snapshot) -> None:
    """Every field of two snapshots equal (NaN equal to NaN)."""
    for f in ("version", "ids", "name", "area", "role_names", "text"):
        assert getattr(a, f) == getattr(b, f), f
    for f in ARRAYS:
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    for group in ("flags", "bits"):
        x, y = getattr(a, group), getattr(b, group)
        assert x.keys() == y.keys()
        for k in x:
            assert np.array_equal(x[k], y[k]), (group, k)


def by_rows(store: SQLiteStore, area: str | None = None) -> Snapshot:
    """The snapshot read row by row from the analysis columns (the path before numbers)."""
    return Snapshot.from_rows(store.analysis_nodes(area), store.analysis_ties(),
                              store.version(), area)


def assert_in_step(store: SQLiteStore) -> None:
    """Every node numbered once, every tie's s/d the numbers of its ends, every code what the
    columns say, next_num past every number."""
    db = store._db
    nums = [r[0] for r in db.execute("SELECT num FROM nodes")]
    assert None not in nums and len(set(nums)) == len(nums)
    (next_num,) = db.execute("SELECT CAST(value AS INTEGER) FROM meta "
                             "WHERE key = 'next_num'").fetchone()
    assert all(n < next_num for n in nums)
    assert db.execute(
        "SELECT count(*) FROM ties AS t JOIN nodes AS a ON a.id = t.src "
        "JOIN nodes AS b ON b.id = t.dst WHERE t.s IS NOT a.num OR t.d IS NOT b.num"
    ).fetchone() == (0,)
    cols = ", ".join(ANALYSIS_COLUMNS)
    for row in db.execute(f"SELECT kind, code, {cols} FROM nodes"):  # noqa: S608
        assert row[1] == node_code(row[0], row[2:])
    for kind, code, props, *fields in db.execute(
            "SELECT kind, code, props, via, role, days, until, weight FROM ties"):
        assert code == tie_code(kind, fields[:4], fields[4])
        assert fields[4] == tie_weight(json.loads(props))


def person(pid: str, name: str = "", **props) -> Node:
    return Node(pid, "Person", name or pid, None, 53.4, -2.3, props)


def test_numbers_stay_in_step_through_every_kind_of_write(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("b"), person("a"), Node("g", "Group", "Walk")])
    store.upsert_ties([Tie("a", "b", "FRIEND", {"weight": 2.5, "via": "g"}),
                       Tie("b", "a", "NEIGHBOUR"), Tie("a", "g", "ATTENDS")])
    assert_in_step(store)
    first = dict(store._db.execute("SELECT id, num FROM nodes"))
    assert sorted(first.values()) == [1, 2, 3]  # numbered in the order written
    store.upsert_nodes([person("a", "Ann"), person("c")])  # an update keeps its number
    got = dict(store._db.execute("SELECT id, num FROM nodes"))
    assert got["a"] == first["a"] and got["c"] == 4
    with pytest.raises(RuntimeError), store.transaction():  # rolled back: no number used
        store.upsert_nodes([person("d")])
        raise RuntimeError("undo")
    store.delete("b")  # its ties go with it
    store.upsert_nodes([person("b")])  # back again: a new number, never an old one reused
    assert store._db.execute("SELECT num FROM nodes WHERE id = 'b'").fetchone() == (5,)
    store.upsert_ties([Tie("b", "c", "FRIEND"), Tie("a", "b", "FAMILY", {"weight": "heavy"})])
    store.delete_tie("a", "g", "ATTENDS")
    assert_in_step(store)
    other = SQLiteStore(tmp_path / "copy.db")  # a copy numbers its own records
    copy_store(store, other)
    assert_in_step(other)
    same_snapshot(Snapshot.from_store(other), by_rows(other))
    store.close()
    other.close()


def _as_schema_2(path: Path) -> None:
    """Take a store back to schema 2 (as the last stop wrote them): no numbers, no codes, no
    weight."""
    db = sqlite3.connect(path)
    for index in ("nodes_unnumbered", "ties_unnumbered", "nodes_sparse", "ties_extra"):
        db.execute(f"DROP INDEX {index}")
    for col in ("num", "code"):
        db.execute(f"ALTER TABLE nodes DROP COLUMN {col}")
    for col in ("s", "d", "code", "weight"):
        db.execute(f"ALTER TABLE ties DROP COLUMN {col}")
    db.execute("DELETE FROM meta WHERE key = 'next_num'")
    db.execute("UPDATE meta SET value = ? WHERE key = 'fields_fingerprint'",
               (fields_fingerprint(),))
    db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.commit()
    db.close()


def test_a_schema_2_store_is_numbered_once_and_reads_the_same(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert_nodes([person("p2"), person("p1", interests=["walking"]),
                        Node("g1", "Group", "Walk", props={"status": "closed"})])
    store.upsert_ties([Tie("p1", "p2", "FRIEND", {"weight": 3, "frequency": "weekly"}),
                       Tie("p1", "g1", "ATTENDS")])
    version = store.version()
    store.close()
    _as_schema_2(path)
    store = SQLiteStore(path)
    assert_in_step(store)
    # numbered in id order, the weight read from the props, content and version unchanged
    assert store._db.execute("SELECT id FROM nodes ORDER BY num").fetchall() == [
        ("g1",), ("p1",), ("p2",)]
    assert store._db.execute("SELECT weight FROM ties WHERE kind = 'FRIEND'").fetchone() == (3.0,)
    assert store.version() == version
    assert store._db.execute(
        "SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    snap = Snapshot.from_store(store)
    same_snapshot(snap, by_rows(store))
    friend = TIE_CODES.index("FRIEND")
    assert snap.weights[snap.tie_kind == friend].tolist() == [3.0]
    assert snap.weights[snap.tie_kind != friend].tolist() == [1.0]
    before = store._db.execute("SELECT id, num, code FROM nodes ORDER BY id").fetchall()
    store.close()
    again = SQLiteStore(path)  # idempotent: nothing to do the second time
    assert again._db.execute("SELECT id, num, code FROM nodes ORDER BY id").fetchall() == before
    assert again.version() == version
    again.close()


def test_a_record_written_around_the_store_is_read_another_way_then_numbered(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    store.upsert_nodes([person("p1"), person("p2")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND")])
    store.close()
    db = sqlite3.connect(path)  # a row no store call wrote: no number, no code
    db.execute("INSERT INTO nodes (id, kind, name, props) VALUES ('p3', 'Person', 'Cy', '{}')")
    db.commit()
    db.close()
    store = SQLiteStore(path)  # opening numbers it
    assert_in_step(store)
    store._db.execute("UPDATE nodes SET num = NULL WHERE id = 'p3'")  # and if it had not:
    assert store.snapshot_arrays() is None
    same_snapshot(Snapshot.from_store(store), by_rows(store))  # read another way
    store.close()


def test_a_name_holding_the_separator_is_read_another_way(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1", "Ann\x1eBo"), person("p2")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND")])
    assert store.snapshot_arrays() is None
    snap = Snapshot.from_store(store)
    assert snap.name == ["Ann\x1eBo", "p2"] and len(snap.src) == 1
    store.close()


def _small_area(path: Path) -> SQLiteStore:
    """Two areas, a place with no point, a tie through someone (``via``) in the other area,
    a tie with days and a weighted one: every column the snapshot reads from ties."""
    store = SQLiteStore(path)
    store.upsert_nodes([
        Node("A", "Area", "North"), Node("B", "Area", "South"),
        Node("p1", "Person", "Ann", "A", 53.391055, -2.37747),
        Node("p2", "Person", "Bo", "A", 53.1 + 1e-13, -2.3),
        Node("p3", "Person", "Cy", "B", 53.5, -2.2),
        Node("g1", "Group", "Walk", "A", props={"status": "closed", "capacity": 12.5})])
    store.upsert_ties([
        Tie("p1", "p2", "FRIEND", {"via": "p3", "weight": 2.5}),
        Tie("p2", "p1", "NEIGHBOUR", {"via": "g1"}),
        Tie("p1", "g1", "ATTENDS", {"days": 7}), Tie("p2", "p3", "FAMILY")])
    return store


def test_ties_read_one_packed_number_each_or_three_when_numbers_are_large(tmp_path):
    store = _small_area(tmp_path / "s.db")
    packed = {a: Snapshot.from_arrays(store.snapshot_arrays(a), a) for a in (None, "A")}
    whole = packed[None]
    # ties in key order: p1-g1 ATTENDS, p1-p2 FRIEND (via p3), p1-p2 NEIGHBOUR (via g1), p2-p3
    assert [whole.ids[v] if v >= 0 else None for v in whole.via] == [None, "p3", "g1", None]
    assert np.isnan(whole.lat[whole.ids.index("A")]) and whole.lat[whole.ids.index("p2")] == (
        53.1 + 1e-13)  # exact, NULL as NaN
    part = packed["A"]  # p3 is outside area A, g1 inside
    assert [part.ids[v] if v >= 0 else None for v in part.via] == [None, None, "g1"]
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    store.snapshot_arrays()
    assert any("<< 36" in q for q in seen) and not any("group_concat(s)" in q for q in seen)
    store._db.execute("UPDATE meta SET value = ? WHERE key = 'next_num'",
                      (str((1 << 26) + 1),))
    for a in (None, "A"):  # numbers too large to pack: read as three columns, the same
        seen.clear()
        same_snapshot(Snapshot.from_arrays(store.snapshot_arrays(a), a), packed[a])
        assert any("group_concat(s)" in q for q in seen)
        same_snapshot(packed[a], by_rows(store, a))
    store.close()


def test_an_older_store_gets_the_covering_index_its_snapshot_reads(tmp_path):
    path = tmp_path / "s.db"
    _small_area(path).close()
    db = sqlite3.connect(path)  # as this schema was first written: the key-only index
    db.execute("DROP INDEX ties_extra")
    db.execute("CREATE INDEX ties_sparse ON ties (src, dst, kind) WHERE code >= 32")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    names = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type = "
                                             "'index'")}
    assert "ties_extra" in names and "ties_sparse" not in names
    plan = " ".join(str(r) for r in store._db.execute(
        "EXPLAIN QUERY PLAN SELECT via, role, days, until, weight FROM ties WHERE code >= 32 "
        "ORDER BY src, dst, kind"))
    assert "COVERING INDEX ties_extra" in plan
    same_snapshot(Snapshot.from_store(store), by_rows(store))
    store.close()


@st.composite
def weighted_areas(draw):
    """richer_areas with tie weights: usable ones and ones that must read as 1.0."""
    nodes, ties = draw(richer_areas())
    out = []
    for t in ties:
        props = dict(t.props)
        if draw(st.booleans()):
            props["weight"] = draw(st.sampled_from([0.5, 2, 7.25, 0, -1, "heavy", True]))
        out.append(Tie(t.src, t.dst, t.kind, props))
    return nodes, out


@contextmanager
def stored(area: tuple[list[Node], list[Tie]]) -> Iterator[SQLiteStore]:
    """A fresh SQLite store in a temporary folder holding ``area``'s records (for hypothesis
    tests, which cannot take pytest's ``tmp_path``); closed afterwards."""
    nodes, ties = area
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(Path(d) / "s.db")
        try:
            store.upsert_nodes(nodes)
            store.upsert_ties(ties)
            yield store
        finally:
            store.close()


@SETTINGS
@given(weighted_areas(), st.data())
def test_the_snapshot_by_numbers_equals_every_other_read(area, data):
    nodes, _ties = area
    with stored(area) as store:
        assert_in_step(store)
        got = store.snapshot_arrays()
        assert got is not None
        fast = Snapshot.from_arrays(got)
        same_snapshot(fast, by_rows(store))
        same_snapshot(fast, Snapshot.from_networkx(store.to_networkx(), store.version()))
        want = [tie_weight(t.props) or 1.0 for t in sorted(
            store.ties(), key=lambda t: (t.src, t.dst, t.kind))]
        assert sorted(fast.weights.tolist()) == sorted(want)
        saved = Snapshot.from_bytes(fast.to_bytes())
        same_snapshot(saved, fast)
        areas = sorted({n.area for n in nodes if n.area})
        if areas:
            area_id = data.draw(st.sampled_from(areas))
            part = store.snapshot_arrays(area_id)
            assert part is not None
            same_snapshot(Snapshot.from_arrays(part, area_id), by_rows(store, area_id))


def test_the_saved_snapshot_is_only_read_at_its_own_version(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    store.upsert_nodes([person("p1", "Zebedee Quartermaine"), person("p2")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND", {"weight": 2})])
    Snapshot.from_store(store, save=False)  # a reader may choose not to save it
    assert store._db.execute("SELECT count(*) FROM snapshot_cache").fetchone() == (0,)
    first = Snapshot.from_store(store)  # read, then saved for the next reader
    version = store.version()
    assert store.load_snapshot(version, SAVED_FORMAT) is not None
    assert store.load_snapshot(version, "another format") is None
    same_snapshot(Snapshot.from_store(store), first)
    # a write made around the store (the version moves, the saved one stays): never read
    store._db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
    store._db.execute("UPDATE nodes SET name = 'Bo' WHERE id = 'p2'")
    assert store.load_snapshot(version, SAVED_FORMAT) is None
    fresh = Snapshot.from_store(store)
    assert fresh.version == version + 1 and fresh.name == ["Zebedee Quartermaine", "Bo"]
    # an ordinary write leaves it (now older), to be patched from the change log; only one
    assert store.load_snapshot(store.version(), SAVED_FORMAT) is not None
    store.upsert_nodes([person("p3")])
    assert store._db.execute("SELECT version FROM snapshot_cache").fetchall() == [(version + 1,)]
    assert store.load_snapshot(store.version(), SAVED_FORMAT) is None
    assert Snapshot.from_store(store).ids == ["p1", "p2", "p3"]


def test_erasure_leaves_no_copy_in_the_saved_snapshot(tmp_path):
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    store.upsert_nodes([person("p1", "Zebedee Quartermaine"), person("p2")])
    Snapshot.from_store(store)
    store.scrub()  # scrub drops it, even with no write since
    assert store._db.execute("SELECT count(*) FROM snapshot_cache").fetchone() == (0,)
    Snapshot.from_store(store)
    store.delete("p1")  # erasure: the saved snapshot goes with the record...
    assert store._db.execute("SELECT count(*) FROM snapshot_cache").fetchone() == (0,)
    assert Snapshot.from_store(store).ids == ["p2"]
    store.scrub()  # ...and nothing of either lingers in the file
    store.close()
    for f in tmp_path.iterdir():
        assert b"Zebedee" not in f.read_bytes(), f.name


def test_a_write_applied_to_a_snapshot_keeps_each_ties_weight(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1"), person("p2"), person("p3")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND", {"weight": 4})])
    snap = Snapshot.from_store(store)
    store.upsert_ties([Tie("p2", "p3", "FRIEND", {"weight": 0.25}), Tie("p1", "p3", "FAMILY")])
    store.delete_tie("p1", "p2", "FRIEND")
    fresh = Snapshot.from_store(store)
    patched = snap.refresh(store)

    def weighted(s: Snapshot) -> set[tuple[str, str, str, float]]:
        return {(s.ids[a], s.ids[b], TIE_CODES[k], w) for a, b, k, w in zip(
            s.src.tolist(), s.dst.tolist(), s.tie_kind.tolist(), s.weights.tolist(),
            strict=True)}

    assert weighted(patched) == weighted(fresh) == {("p2", "p3", "FRIEND", 0.25),
                                                   ("p1", "p3", "FAMILY", 1.0)}
    store.close()


def test_places_read_exactly_however_they_scale(tmp_path):
    # lat/lon are read as scaled integers where that is exact, the rest as rows: values near
    # the meridian and the equator, the tiniest doubles, the bounds, and a missing place
    places = [(53.391055, -2.37747), (51.5074, -0.1278), (0.1, 1e-300), (-90.0, 180.0),
              (90.0, -180.0), (5e-324, -0.0), (53.1 + 1e-13, 0.125), (-0.124999, 0.25),
              (89.99999999999999, 179.99999999999997), (None, None), (0.0, 0.0)]
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([Node(f"p{i:02}", "Person", f"P{i}", None, lat, lon)
                        for i, (lat, lon) in enumerate(places)])
    store.upsert_ties([Tie("p00", "p01", "FRIEND")])
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    got = store.snapshot_arrays()
    store._db.set_trace_callback(None)
    assert got is not None
    for i, (lat, lon) in enumerate(places):
        if lat is None:
            assert np.isnan(got["lat"][i]) and np.isnan(got["lon"][i])
        else:
            assert (got["lat"][i], got["lon"][i]) == (lat, lon), i
    rows = [q for q in seen if "SELECT lat, lon" in q]
    assert len(rows) == 1  # the few that do not scale, read as rows
    scales = [lat is None or ((lat * 2.0**55).is_integer() and (lon * 2.0**55).is_integer())
              for lat, lon in places]
    assert 2 <= scales.count(False) == len(store._db.execute(rows[0]).fetchall()) < len(places)
    same_snapshot(Snapshot.from_arrays(got), by_rows(store))
    # an area's part: its own rows read the same way
    store.upsert_nodes([Node("A", "Area", "North")] + [
        Node(f"p{i:02}", "Person", f"P{i}", "A", lat, lon)
        for i, (lat, lon) in enumerate(places) if i % 2])
    part = store.snapshot_arrays("A")
    assert part is not None and len(part["ids"]) == 1 + len(places) // 2
    same_snapshot(Snapshot.from_arrays(part, "A"), by_rows(store, "A"))
    store.close()


def test_codes_past_the_packed_width_are_read_apart(tmp_path):
    path = tmp_path / "s.db"
    store = _small_area(path)
    store._db.execute("UPDATE nodes SET interests = ?, needs = ? WHERE id = 'p2'",
                      ((1 << 40) + 3, 1 << 33))
    for a in (None, "A"):
        fast = Snapshot.from_arrays(store.snapshot_arrays(a), a)
        assert fast.bits["interests"][fast.ids.index("p2")] == (1 << 40) + 3
        same_snapshot(fast, by_rows(store, a))
    store.close()


def test_ties_read_straight_in_key_order_else_ordered(tmp_path):
    store = _small_area(tmp_path / "s.db")
    straight = "SELECT count(*), group_concat((s << 36) | (d << 10) | code) FROM ties"
    seen: list[str] = []
    store._db.set_trace_callback(seen.append)
    whole = Snapshot.from_arrays(store.snapshot_arrays())
    assert straight in seen and not any("FROM (SELECT s, d, code" in q for q in seen)
    same_snapshot(whole, by_rows(store))
    # a kind the vocabulary does not number (code 31) leaves the key order unknown: the ties
    # are then read ordered, and read the same as the unpacked ordered read
    store._db.execute("UPDATE ties SET code = code | 31 WHERE kind = 'NEIGHBOUR'")
    seen.clear()
    got = store.snapshot_arrays()
    assert straight in seen and any("FROM (SELECT s, d, code" in q for q in seen)
    store._db.set_trace_callback(None)
    store._db.execute("UPDATE meta SET value = ? WHERE key = 'next_num'", (str((1 << 26) + 1),))
    same_snapshot(Snapshot.from_arrays(got), Snapshot.from_arrays(store.snapshot_arrays()))
    assert list(got["tie_kind"]).count(31) == 1
    store.close()


def test_a_place_not_a_number_is_read_another_way(tmp_path):
    store = _small_area(tmp_path / "s.db")
    store._db.execute("UPDATE nodes SET lat = 'north' WHERE id = 'p1'")  # around the store
    assert store.snapshot_arrays() is None
    store.close()


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.tuples(
    st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False))),
    min_size=1, max_size=12))
def test_every_place_reads_back_exactly(places):
    with tempfile.TemporaryDirectory() as d:
        store = SQLiteStore(Path(d) / "s.db")
        store.upsert_nodes([Node(f"p{i:02}", "Person", "P", None, *(p or (None, None)))
                            for i, p in enumerate(places)])
        got = store.snapshot_arrays()
        assert got is not None
        for i, p in enumerate(places):
            if p is None:
                assert np.isnan(got["lat"][i]) and np.isnan(got["lon"][i])
            else:
                assert (got["lat"][i], got["lon"][i]) == p
        store.close()
