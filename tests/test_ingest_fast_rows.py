"""The spreadsheet importer's fast path for clean rows (issue 12) gives exactly what the general
path gives: the same record for every row it takes, and it leaves every row that needs a note,
an error or a ``<clear>`` to the general path. Checked cell by cell (hypothesis) and file by
file (the same import with the fast path off)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap import vocab
from assetmap.governance.privacy import use_pseudonym_key
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest import spreadsheet as sp
from assetmap.ingest.postcodes import PostcodeEntry, PostcodeLookup
from assetmap.ingest.report import ImportReport

#: Cells per field: (values the general path takes cleanly, values it notes or refuses).
CELLS: dict[str, tuple[list[str], list[str]]] = {
    "id": (["p1", " p2 ", "person:x:9", "", "p1"], ["a\x01b", "x" * 201]),
    "name": (["Ann Example", "", "  Bo  "], []),
    "first_name": (["Ann", "", " Cy "], []),
    "surname": (["Example", "", "Dee"], []),
    "postcode": (["M1 1AA", "m11aa", "", "ZZ99 1ZZ", "M2 2BB"], ["NOT A PC"]),
    "lat": (["53.48", " 53.4 ", ""], ["x", "nan", "inf", "95", "-2.2", "1e3"]),
    "lon": (["-2.24", "", " -2.3"], ["y", "53.4", "181", "-inf"]),
    "area": (["E01000001", ""], ["bad\x02area"]),
    "age_band": (["65-74", "85+", "", " 35-49 "], ["sixty"]),
    "lonely": (["often_always", "Often / always", ""], ["never!"]),
    "carer_hours": (["20_to_49", ""], ["lots"]),
    "personal_budget": (["yes", "No", "", " Y "], ["maybe"]),
    "consent_map": (["yes", "no", ""], ["perhaps"]),
    "consent_suggest": (["yes", "", "n"], ["?"]),
    "consent": (["yes", "", "no"], ["?"]),
    "synthetic": (["true", "", "0"], ["sure"]),
    "interests": (["walking; singing", "Gardening", "", ";;", "book club"],
                  ["walking, zorbing"]),
    "activities": (["walking", ""], ["knitting | zorbing"]),
    "needs": (["dementia", "loneliness; money advice", ""], ["unknown need"]),
    "roles": (["carer", "carer; volunteer", ""], ["astronaut"]),
    "access": (["step_free", ""], ["ramp", "hearing loop"]),
    "status": (["active", "", "closed"], ["gone"]),
    "cost": (["free", ""], ["pricey"]),
    "meets": (["Tuesdays", "", " Fridays "], []),
    "website": (["https://example.org", ""], []),
    "description": (["A group", ""], []),
    "org_kind": (["ulo", ""], ["club?"]),
    "role": (["link_worker", ""], ["wizard"]),
}
CLEAR = "<clear>"
LOOKUP = PostcodeLookup({
    "M1 1AA": PostcodeEntry(53.47, -2.23, "E01000002", "E05000001", False),
    "M2 2BB": PostcodeEntry(None, None, "E01000003", None, False),
}, "test lookup")


def _columns(kind: str) -> list[str]:
    return sorted(f for f in sp.KIND_FIELDS[kind] if f in CELLS)


def _cell(draw, column: str, clears: bool = False) -> str:
    good, bad = CELLS[column]
    if bad and draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(bad))
    if clears and draw(st.integers(0, 5)) == 0:
        return CLEAR
    return draw(st.sampled_from(good))


@st.composite
def rows(draw, kind: str):
    """Most of a kind's columns (never both list columns that share one prop), mostly clean."""
    columns = _columns(kind)
    if {"interests", "activities"} <= set(columns):
        columns.remove(draw(st.sampled_from(["interests", "activities"])))
    cols = [c for c in columns if draw(st.integers(0, 3))] or columns[:1]
    return cols, [_cell(draw, c) for c in cols]


KINDS = [vocab.PERSON, vocab.GROUP, vocab.ORGANISATION, vocab.PRACTITIONER]


@pytest.fixture
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids made from a name and postcode keyed by one secret (as an import into one store)."""
    monkeypatch.setenv("ASSETMAP_ACCESS_DB", str(tmp_path / "access.db"))
    store = SQLiteStore(tmp_path / "keyed.db")
    use_pseudonym_key(store)
    store.close()


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), namespace=st.sampled_from([None, "north"]),
       lookup=st.sampled_from([None, LOOKUP]))
def test_a_row_the_fast_path_takes_gives_the_general_paths_record(keyed, kind, data,
                                                                    namespace, lookup):
    cols, cells = data.draw(rows(kind))
    use = list(enumerate(cols))
    fast_report, slow_report = ImportReport("t", "t.csv"), ImportReport("t", "t.csv")
    fast = sp._FastRows(kind, use, namespace, lookup, fast_report)
    if not fast.ok or any("<" in c for c in cells):
        return  # the importer sends these rows down the general path
    got = fast.node(list(cells), "line 2")
    values = {f: c for i, f in use if (c := cells[i].strip())}
    plan = sp._Plan.for_fields(kind, cols)
    try:
        want = sp._node_from_row(kind, values, slow_report, "line 2", lookup, namespace, plan)
    except sp._Bad:
        want = None
    if got is None:
        return
    assert want == got
    assert fast_report.notes == slow_report.notes  # only a lookup note, given by both
    assert not slow_report.rejections


def test_clean_rows_do_take_the_fast_path():
    use = list(enumerate(["id", "first_name", "surname", "postcode", "lat", "lon", "interests",
                          "needs", "age_band", "consent_map", "personal_budget"]))
    fast = sp._FastRows(vocab.PERSON, use, None, None, ImportReport("t", "t.csv"))
    node = fast.node(["s1", "Ann", "Example", "m1 1aa", "53.4", "-2.3", "walking; singing",
                      "dementia", "65-74", "yes", "no"], "line 2")
    assert node is not None and node.id == "person:s1" and node.name == "Ann Example"
    assert node.props == {"postcode": "M1 1AA", "interests": ["singing", "walking"],
                          "needs": ["dementia"], "age_band": "65-74", "consent": {"map": True},
                          "personal_budget": False}
    again = fast.node(["s2", "Bo", "", "", "", "", "walking; singing", "dementia", "65-74", "yes",
                       "no"], "line 3")
    assert again is not None and again.props["interests"] is not node.props["interests"]
    assert again.props["consent"] is not node.props["consent"]  # nothing shared between records


def _write(path: Path, header: list[str], body: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(body)
    return path


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_whole_import_is_the_same_with_the_fast_path_off(keyed, kind, data,
                                                           tmp_path_factory, monkeypatch):
    tmp_path = tmp_path_factory.mktemp("fast")
    cols = sorted(set(data.draw(rows(kind))[0]) | {"id"})
    files = []
    for n in range(2):  # a first import, then a re-import merging into it
        body = [[_cell(data.draw, c, clears=n == 1) for c in cols]
                for _ in range(data.draw(st.integers(1, 12)))]
        files.append(_write(tmp_path / f"f{n}.csv", cols, body))
    lookup = data.draw(st.sampled_from([None, LOOKUP]))
    fast = _import_all(tmp_path, "fast", files, kind, lookup)
    with monkeypatch.context() as m:
        # general path only (every row asked one by one, and refused by the fast path)
        m.setattr(sp._FastRows, "parts", lambda self, cells, where, group=None: None)
        m.setattr(sp._FastRows, "chunk_rows",
                  lambda self, chunk, width, group: [sp._SLOW] * len(chunk))
        slow = _import_all(tmp_path, "slow", files, kind, lookup)
    assert fast == slow


# --- the bulk way (issue 12): new records go to SQLite as plain rows ---------------------------

def _raw(store: SQLiteStore) -> tuple[list, list, list]:
    """Everything an import writes, column by column: every node row (num, code and analysis
    columns included), the meta counters and the change log."""
    db = store._db
    return (db.execute("SELECT * FROM nodes ORDER BY id").fetchall(),
            db.execute("SELECT key, value FROM meta WHERE key NOT IN ('pseudonym_salt') "
                       "ORDER BY key").fetchall(),
            db.execute("SELECT version, what, src, dst, kind FROM changes "
                       "ORDER BY version, what, src").fetchall())


def _import_all(tmp_path: Path, name: str, files: list[Path], kind: str, lookup,
                namespace=None):
    store = SQLiteStore(tmp_path / f"{name}.db")
    reports = []
    for f in files:
        r = sp.import_spreadsheet(store, f, kind, postcodes=lookup, namespace=namespace)
        reports.append((r.read, r.written, r.rejected, r.new, r.changed, r.unchanged,
                        r.moved, r.field_changes, r.samples, r.rejections, r.notes,
                        store.version()))
    out = _raw(store), reports
    store.close()
    return out


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_bulk_way_stores_exactly_what_record_by_record_stores(keyed, kind, data,
                                                                  tmp_path_factory,
                                                                  monkeypatch):
    """A first import (an empty store: rows straight to the bulk writer), a second file that
    merges into it with new ids among stored ones, ``<clear>`` cells and bad cells, and the
    second file again (nothing changes): every stored column, number, code, counter, change
    log entry and report line is the same as the record-by-record way gives."""
    tmp_path = tmp_path_factory.mktemp("bulk")
    cols = sorted(set(data.draw(rows(kind))[0]) | {"id"})
    ids = [f"r{i}" for i in range(30)]
    files = []
    for n in range(2):
        body = []
        for _ in range(data.draw(st.integers(1, 25))):
            row = [_cell(data.draw, c, clears=n == 1) for c in cols]
            row[cols.index("id")] = data.draw(st.sampled_from(ids + ["", " r1 "]))
            body.append(row)
        files.append(_write(tmp_path / f"f{n}.csv", cols, body))
    files.append(files[1])
    lookup = data.draw(st.sampled_from([None, LOOKUP]))
    namespace = data.draw(st.sampled_from([None, "north"]))
    bulk = _import_all(tmp_path, "bulk", files, kind, lookup, namespace)
    with monkeypatch.context() as m:
        m.setattr(sp, "_bulk_writer", lambda store: None)  # record by record
        plain = _import_all(tmp_path, "plain", files, kind, lookup, namespace)
    assert bulk == plain


def test_clean_rows_new_to_the_store_take_the_bulk_way(tmp_path, monkeypatch):
    """Into an empty store and into one holding other records, clean rows never reach
    upsert_nodes; a stored one does (it is merged)."""
    store = SQLiteStore(tmp_path / "s.db")

    def refuse(nodes):
        raise AssertionError("a clean new row went record by record")

    f1 = _write(tmp_path / "a.csv", ["id", "name", "postcode", "age_band", "interests"],
                [["a", "Ann", "M1 1AA", "65-74", "walking"], ["b", "Bo", "", "", ""]])
    f2 = _write(tmp_path / "b.csv", ["id", "name", "needs"],
                [["c", "Cy", "dementia"], ["d", "Di", ""]])
    with monkeypatch.context() as m:
        m.setattr(store, "upsert_nodes", refuse)
        assert sp.import_spreadsheet(store, f1, "people").new == 2
        version = store.version()
        assert store.save_snapshot(version, "test", b"saved")
        assert sp.import_spreadsheet(store, f2, "people").new == 2
        assert sp.import_spreadsheet(store, f2, "people").unchanged == 2
    assert store.version() == version + 1  # one write, and the re-run changed nothing
    # the saved snapshot is kept, at its older version: the next read patches it from the
    # change log, which names the new records
    assert store._db.execute("SELECT version FROM snapshot_cache").fetchall() == [(version,)]
    assert store.changes_since(version) == {"nodes": {"person:c", "person:d"}, "ties": set()}
    f3 = _write(tmp_path / "c.csv", ["id", "name", "needs"], [["c", "Cy", "loneliness"]])
    assert sp.import_spreadsheet(store, f3, "people").changed == 1
    assert store.get("person:c").props["needs"] == ["loneliness"]
    store.close()


def test_the_bulk_way_places_new_records_as_record_by_record_does(tmp_path, monkeypatch):
    """New records with a point and no area take the saved boundary holding them."""
    from assetmap.ingest.boundaries import import_boundaries

    root = Path(__file__).resolve().parent.parent
    wards = root / "assetmap/demo/data/trafford_ward_2023_generalised.geojson"
    base = SQLiteStore(tmp_path / "wards.db")
    import_boundaries(base, wards, level="ward")
    base.close()
    f1 = _write(tmp_path / "people.csv", ["id", "name", "lat", "lon", "area"],
                [["a", "Ann", "53.4465", "-2.3124", ""], ["b", "Bo", "53.4203", "-2.3475", ""],
                 ["c", "Cy", "51.5", "-0.12", ""], ["d", "Di", "53.44", "-2.31", "E01000001"]])
    f2 = _write(tmp_path / "people2.csv", ["id", "name", "lat", "lon"],
                [["a", "Ann", "53.4203", "-2.3475"], ["e", "Ed", "53.4465", "-2.3124"]])
    out = []
    for name, bulk_way in (("bulk", True), ("plain", False)):
        import shutil

        shutil.copy(tmp_path / "wards.db", tmp_path / f"{name}.db")
        with monkeypatch.context() as m:
            if not bulk_way:
                m.setattr(sp, "_bulk_writer", lambda store: None)
            store = SQLiteStore(tmp_path / f"{name}.db")
            reports = [sp.import_spreadsheet(store, f, "people") for f in (f1, f2)]
            out.append((_raw(store), [(r.new, r.changed, r.moved, r.notes) for r in reports]))
            areas = {n.id: n.area for n in store.find("Person")}
            store.close()
    assert out[0] == out[1]
    assert areas["person:a"] and areas["person:e"] and areas["person:d"] == "E01000001"
    assert areas["person:c"] is None  # no saved boundary holds it


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), namespace=st.sampled_from([None, "north"]))
def test_a_chunk_worked_out_by_columns_gives_what_each_row_gives(keyed, kind, data, namespace):
    """``chunk_rows`` (the bulk way's column-at-a-time pass) gives every row exactly what
    ``parts`` gives it, or leaves it to ``parts``; rows of another width are left alone."""
    cols = sorted(set(data.draw(rows(kind))[0]) | {"id"})
    use = list(enumerate(cols))
    chunk = []
    for line in range(data.draw(st.integers(1, 12))):
        cells = [_cell(data.draw, c) for c in cols]
        if data.draw(st.integers(0, 9)) == 0:
            cells.append("extra")
        chunk.append((line + 2, cells))
    fast = sp._FastRows(kind, use, namespace, None, ImportReport("t", "t.csv"))
    if not fast.ok:
        return
    groups: dict = {}

    def group(fields):
        return groups.setdefault(fields, len(groups) + 1)

    for _ in range(2):  # cold caches (rows left to parts), then warm ones (rows worked out)
        got = fast.chunk_rows(chunk, len(cols), group)
        assert len(got) == len(chunk)
        for (line, cells), row in zip(chunk, got, strict=True):
            want = fast.parts(list(cells), f"line {line}", group) if len(cells) == len(cols) \
                else sp._SLOW
            assert row is sp._SLOW or row == want
