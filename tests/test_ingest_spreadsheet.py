"""Spreadsheet import: real CSV/XLSX files in tmp_path, a real SQLite store, no mocks."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap.errors import ValidationError
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.spreadsheet import import_spreadsheet, write_templates
from assetmap.model import Node

LOOKUP = Path(__file__).resolve().parent.parent / "assetmap/demo/data/trafford_postcodes.csv"


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh).writerows(rows)
    return path


def snapshot(store: SQLiteStore) -> tuple[list, list, int]:
    return list(store.nodes()), list(store.ties()), store.version()


def test_templates_import_cleanly_from_csv_and_xlsx(tmp_path, sqlite_store):
    paths = write_templates(tmp_path / "t")
    assert {p.name for p in paths} >= {"people.csv", "ties.csv", "assetmap_templates.xlsx"}
    for name in ("people", "groups", "organisations", "practitioners", "ties"):
        rep = import_spreadsheet(sqlite_store, tmp_path / "t" / f"{name}.csv")
        assert rep.rejected == 0, rep.rejections
        assert rep.written == rep.read > 0
    assert sqlite_store.get("person:p001").props["interests"] == ["singing", "walking"]
    assert sqlite_store.get_tie("org:o001", "group:g002", "RUNS")
    assert sqlite_store.get_tie("person:p001", "group:g001", "ATTENDS").props["frequency"] == \
        "weekly"
    other = SQLiteStore(tmp_path / "x.db")
    for name in ("people", "groups", "organisations", "practitioners", "ties"):
        rep = import_spreadsheet(other, tmp_path / "t" / "assetmap_templates.xlsx", name,
                                 sheet=name)
        assert rep.rejected == 0, rep.rejections
    assert list(other.nodes()) == list(sqlite_store.nodes())
    assert list(other.ties()) == list(sqlite_store.ties())
    other.close()


@pytest.mark.parametrize("header", ["Post Code", "postcode", "PostCode", "post_code"])
def test_common_headers_are_recognised(tmp_path, sqlite_store, header):
    f = write_csv(tmp_path / "people.csv",
                  [["First name", "Surname", header], ["Ann", "Example", "m15 4ab"]])
    rep = import_spreadsheet(sqlite_store, f, postcodes=LOOKUP)
    assert rep.written == 1 and rep.rejected == 0
    (person,) = sqlite_store.find("Person")
    assert person.name == "Ann Example"
    assert person.props["postcode"] == "M15 4AB"
    assert person.area == "E01034001" and person.lat == pytest.approx(53.465578)


def test_yaml_mapping_names_any_column(tmp_path, sqlite_store):
    mapping = tmp_path / "map.yaml"
    mapping.write_text('kind: groups\ncolumns:\n  "Club title": name\n  "What": activities\n'
                       '  "Ref no": id\n', encoding="utf-8")
    f = write_csv(tmp_path / "clubs.csv", [["Ref no", "Club title", "What", "Shoe size"],
                                           ["7", "Sale Ramblers", "rambling; choir", "9"]])
    rep = import_spreadsheet(sqlite_store, f, mapping=mapping)
    assert rep.written == 1
    group = sqlite_store.get("group:7")
    assert group.kind == "Group" and group.props["activities"] == ["singing", "walking"]
    assert any(n.field == "Shoe size" for n in rep.notes)  # unknown column is reported


def test_mapping_to_an_unknown_field_is_refused(tmp_path, sqlite_store):
    mapping = tmp_path / "map.yaml"
    mapping.write_text('columns:\n  "A": shoe_size\n', encoding="utf-8")
    f = write_csv(tmp_path / "people.csv", [["A", "name"], ["1", "x"]])
    with pytest.raises(ValidationError, match="unknown field"):
        import_spreadsheet(sqlite_store, f, mapping=mapping)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_real_exports_use(tmp_path, sqlite_store, encoding):
    f = write_csv(tmp_path / "groups.csv", [["name", "activities"], ["Café Zoë Knit & Natter",
                                                                       "knitting"]], encoding)
    rep = import_spreadsheet(sqlite_store, f)
    assert rep.written == 1
    (group,) = sqlite_store.find("Group")
    assert group.name == "Café Zoë Knit & Natter"
    assert group.props["activities"] == ["crafts"]


def test_undecodable_bytes_are_refused_without_writing(tmp_path, sqlite_store):
    f = tmp_path / "groups.csv"
    f.write_bytes(b"name\nok group\nbad \x81\x8d group\n")
    with pytest.raises(ValidationError, match="UTF-8 or Windows-1252"):
        import_spreadsheet(sqlite_store, f)
    assert sqlite_store.count() == 0


def test_bad_rows_are_reported_by_line_and_field_and_good_rows_kept(tmp_path, sqlite_store):
    rows = [["id", "name", "postcode", "lat", "lon", "lonely", "interests"],
            ["a1", "Secret Name One", "M15 4AB", "53.46", "-2.26", "often_always", "walking"],
            ["a2", "Secret Name Two", "M15 4AB", "-2.26", "53.46", "", ""],     # swapped
            ["a3", "Secret Name Three", "M15 4AB", "95", "-2.26", "", ""],      # out of range
            ["a4", "Secret Name Four", "NOT A POSTCODE", "", "", "", ""],       # bad postcode
            ["a5", "Secret Name Five", "", "", "", "sometimes maybe", ""],     # bad choice
            ["a6", "Secret Name Six", "", "", "", "", "", "extra"],            # ragged
            ["a1", "Secret Name Seven", "", "", "", "", ""],                   # duplicate id
            ["", "", "M15 4AB", "", "", "", ""],                               # no id, no name
            ["a9", "Secret Name Nine", "", "", "", "", "birdwatching; juggling"]]
    f = write_csv(tmp_path / "people.csv", rows)
    rep = import_spreadsheet(sqlite_store, f)
    assert (rep.read, rep.written, rep.rejected) == (9, 3, 6)
    by_line = {r.where: r for r in rep.rejections}
    assert by_line["line 3"].field == "lat" and "swapped" in by_line["line 3"].reason
    assert "out of range" in by_line["line 4"].reason
    assert "line 5" not in by_line  # a bad postcode is a bad part: the person is kept
    assert any(n.where == "line 5" and n.field == "postcode" for n in rep.notes)
    assert by_line["line 6"].field == "lonely" and "often_always" in by_line["line 6"].reason
    assert by_line["line 7"].field == "row" and "8 cells" in by_line["line 7"].reason
    assert by_line["line 8"].field == "id" and "earlier" in by_line["line 8"].reason
    assert by_line["line 9"].field == "name"
    assert {n.id for n in sqlite_store.find("Person")} == {"person:a1", "person:a4", "person:a9"}
    assert sqlite_store.get("person:a4").lat is None
    assert sqlite_store.get("person:a9").props["interests"] == ["nature"]
    assert any(n.where == "line 10" and n.field == "interests" for n in rep.notes)
    out = rep.to_csv(tmp_path / "report.csv").read_text(encoding="utf-8")
    assert "line 3" in out
    for row in rows[1:]:  # no person's cell values in the report
        for cell in row[1:3]:
            if cell:
                assert cell not in out


def test_unclosed_quote_fails_the_whole_import(tmp_path, sqlite_store):
    sqlite_store.upsert_nodes([Node("group:keep", "Group", "Already here")])
    before = snapshot(sqlite_store)
    f = tmp_path / "groups.csv"
    f.write_text('name,activities\nWalkers,walking\n"Choir,singing\nBowls,bowls\n',
                 encoding="utf-8")
    with pytest.raises(ValidationError, match="never closed"):
        import_spreadsheet(sqlite_store, f)
    assert snapshot(sqlite_store) == before


def test_empty_and_header_only_files(tmp_path, sqlite_store):
    empty = tmp_path / "people.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match="empty"):
        import_spreadsheet(sqlite_store, empty)
    blank = tmp_path / "groups.csv"
    blank.write_text("\n\n \n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no header"):
        import_spreadsheet(sqlite_store, blank)
    header = write_csv(tmp_path / "orgs.csv", [["name", "org_kind"]])
    rep = import_spreadsheet(sqlite_store, header)
    assert (rep.read, rep.written, rep.rejected) == (0, 0, 0)


def test_file_over_the_size_limit_is_refused(tmp_path, sqlite_store, monkeypatch):
    f = write_csv(tmp_path / "groups.csv", [["name"], ["A group with a long enough name"]])
    monkeypatch.setenv("ASSETMAP_IMPORT_MAX_BYTES", "10")
    with pytest.raises(ValidationError, match="over the import limit"):
        import_spreadsheet(sqlite_store, f)
    assert sqlite_store.count() == 0


def test_not_a_workbook(tmp_path, sqlite_store):
    f = tmp_path / "people.xlsx"
    f.write_bytes(b"this is not a zip file at all")
    with pytest.raises(ValidationError, match="not a readable Excel workbook"):
        import_spreadsheet(sqlite_store, f)


def test_xlsx_with_numbers_and_dates(tmp_path, sqlite_store):
    import datetime

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["id", "name", "lat", "lon"])
    ws.append([101, "Numbered Group", 53.45, -2.3])
    ws.append([datetime.date(2024, 5, 1), "Dated Group", None, None])
    book.save(tmp_path / "groups.xlsx")
    rep = import_spreadsheet(sqlite_store, tmp_path / "groups.xlsx")
    assert rep.written == 2, rep.rejections
    assert sqlite_store.get("group:101").lat == 53.45
    assert sqlite_store.get("group:2024-05-01").name == "Dated Group"


def test_ties_to_unknown_ids_are_reported_not_written(tmp_path, sqlite_store):
    sqlite_store.upsert_nodes([Node("person:1", "Person", "A"), Node("person:2", "Person", "B"),
                               Node("group:g", "Group", "G")])
    f = write_csv(tmp_path / "ties.csv", [
        ["src", "dst", "kind"], ["1", "g", "ATTENDS"], ["1", "nobody", "FRIEND"],
        ["2", "1", "friend"], ["1", "2", "FRIEND"], ["g", "1", "ATTENDS"],
        ["1", "g", "LIKES"]])
    rep = import_spreadsheet(sqlite_store, f)
    assert (rep.written, rep.rejected) == (2, 4)
    reasons = {r.where: (r.field, r.reason) for r in rep.rejections}
    assert reasons["line 3"][0] == "dst" and "not in the store" in reasons["line 3"][1]
    assert "earlier" in reasons["line 5"][1]  # FRIEND is symmetric: 1-2 is 2-1
    assert reasons["line 6"][0] in ("src", "kind")
    assert reasons["line 7"][0] == "kind"
    assert sqlite_store.count_ties() == 2


@pytest.mark.parametrize("bulk_rows", [False, True])
def test_failure_mid_import_leaves_the_store_exactly_as_it_was(tmp_path, monkeypatch,
                                                               bulk_rows):
    from assetmap.graph.store import sqlite_store as sq
    from assetmap.ingest import spreadsheet as sp

    class FailingStore(SQLiteStore):
        calls = 0

        def upsert_nodes(self, nodes):
            FailingStore.calls += 1
            if FailingStore.calls == 3:
                raise RuntimeError("disk unplugged")
            return super().upsert_nodes(nodes)

    add = sq.NewNodeWriter.add

    def failing_add(self, rows):  # the bulk way's write fails on its second batch
        if FailingStore.calls == 2:
            raise RuntimeError("disk unplugged")
        FailingStore.calls += 1
        return add(self, rows)

    if bulk_rows:
        monkeypatch.setattr(sq.NewNodeWriter, "add", failing_add)
    else:
        monkeypatch.setattr(sp, "_bulk_writer", lambda store: None)
    store = FailingStore(tmp_path / "s.db")
    store.upsert_nodes([Node("group:old", "Group", "Old group")])
    before = snapshot(store)
    monkeypatch.setenv("ASSETMAP_BATCH_SIZE", "2")  # the batching helper's size
    f = write_csv(tmp_path / "groups.csv", [["name"]] + [[f"Group {i}"] for i in range(9)])
    with pytest.raises(RuntimeError):
        import_spreadsheet(store, f)
    assert snapshot(store) == before
    store.close()


def test_dry_run_validates_without_writing(tmp_path, sqlite_store):
    f = write_csv(tmp_path / "groups.csv", [["name", "status"], ["Good", "active"],
                                            ["Bad", "thriving"]])
    version = sqlite_store.version()
    rep = import_spreadsheet(sqlite_store, f, dry_run=True)
    assert (rep.read, rep.written, rep.rejected) == (2, 1, 1)
    assert "dry run" in rep.summary()
    assert sqlite_store.count() == 0 and sqlite_store.version() == version


def test_rerun_is_idempotent_and_a_change_updates(tmp_path, sqlite_store):
    f = write_csv(tmp_path / "groups.csv", [["name", "Post Code", "cost"],
                                            ["Walkers", "M15 4AB", "free"]])
    import_spreadsheet(sqlite_store, f)
    first = snapshot(sqlite_store)
    import_spreadsheet(sqlite_store, f)
    assert snapshot(sqlite_store) == first  # same ids, nothing changed, version unchanged
    write_csv(f, [["name", "Post Code", "cost"], ["Walkers", "M15 4AB", "low"]])
    import_spreadsheet(sqlite_store, f)
    (group,) = sqlite_store.find("Group")
    assert group.id == first[0][0].id and group.props["cost"] == "low"
    assert sqlite_store.version() == first[2] + 1


def test_a_record_that_would_change_kind_is_rejected_alone(tmp_path, sqlite_store):
    sqlite_store.upsert_nodes([Node("group:x", "Group", "A group")])
    f = write_csv(tmp_path / "people.csv", [["id", "name"], ["group:x", "P"], ["p2", "Q"]])
    rep = import_spreadsheet(sqlite_store, f)
    assert (rep.written, rep.rejected) == (1, 1)
    assert rep.rejections[0].where == "line 2" and rep.rejections[0].field == "kind"
    assert sqlite_store.get("group:x").kind == "Group"


cell_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(cell_text, cell_text, cell_text, cell_text), min_size=1, max_size=6))
def test_any_cell_text_imports_or_is_reported(rows):
    with tempfile.TemporaryDirectory() as tmp:
        f = write_csv(Path(tmp) / "people.csv",
                      [["name", "postcode", "interests", "lat"], *[list(r) for r in rows]])
        store = SQLiteStore(Path(tmp) / "s.db")
        try:
            try:
                rep = import_spreadsheet(store, f)
            except ValidationError:
                assert store.count() == 0
                return
            assert rep.read == rep.written + rep.rejected
            names = {n.name for n in store.find("Person")}
            assert len(names) <= rep.written
            assert names <= {r[0].strip() for r in rows}
        finally:
            store.close()


def test_rows_with_a_location_are_placed_in_saved_areas(tmp_path, sqlite_store):
    from assetmap.ingest.boundaries import import_boundaries

    wards = Path(__file__).resolve().parent.parent / \
        "assetmap/demo/data/trafford_ward_2023_generalised.geojson"
    import_boundaries(sqlite_store, wards, level="ward")
    f = write_csv(tmp_path / "groups.csv", [["name", "lat", "lon", "area"],
                                            ["In Trafford", "53.4235", "-2.3232", ""],
                                            ["Far away", "51.5", "-0.12", ""],
                                            ["Given", "53.4235", "-2.3232", "E01006160"]])
    rep = import_spreadsheet(sqlite_store, f)
    assert rep.written == 3
    placed = {g.name: g.area for g in sqlite_store.find("Group")}
    assert placed["In Trafford"] is not None
    assert sqlite_store.get(placed["In Trafford"]).props["level"] == "ward"
    assert placed["Far away"] is None and placed["Given"] == "E01006160"


def test_progress_is_reported(tmp_path, sqlite_store):
    f = write_csv(tmp_path / "groups.csv", [["name"]] + [[f"G{i}"] for i in range(25)])
    seen: list[int] = []
    import_spreadsheet(sqlite_store, f, progress=seen.append)
    assert seen and seen[-1] == 25
