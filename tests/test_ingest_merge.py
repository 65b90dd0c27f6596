"""Imports merge and never erase (issue 12): real CSV files, real SQLite stores, no mocks.

Each test here is one of the issue's "Why" items for spreadsheets, and failed on the code as it
was (a re-import replaced whole records, one bad word rejected a row, ids of two files collided).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from assetmap.errors import ValidationError
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.merge import CLEAR, merge_node
from assetmap.ingest.spreadsheet import import_spreadsheet
from assetmap.model import Node

ROOT = Path(__file__).resolve().parent.parent
LOOKUP = ROOT / "assetmap/demo/data/trafford_postcodes.csv"
WARDS = ROOT / "assetmap/demo/data/trafford_ward_2023_generalised.geojson"

FULL = [["id", "name", "postcode", "lat", "lon", "area", "carer_hours", "disability", "health",
         "roles", "interests", "needs", "consent_map"],
        ["p1", "Example One", "M15 4AB", "53.465578", "-2.26046", "E01034001", "20_to_49",
         "limited_a_lot", "bad", "carer; volunteer", "walking", "loneliness", "yes"],
        ["p2", "Example Two", "M15 4AD", "53.464903", "-2.260757", "E01006112", "none", "none",
         "good", "", "singing", "", "no"]]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def snapshot(store: SQLiteStore) -> tuple[list, list, int]:
    return list(store.nodes()), list(store.ties()), store.version()


@pytest.fixture(scope="module")
def wards_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the Trafford ward boundaries (imported once, copied per test)."""
    from assetmap.ingest.boundaries import import_boundaries

    path = tmp_path_factory.mktemp("wards") / "wards.db"
    store = SQLiteStore(path)
    import_boundaries(store, WARDS, level="ward")
    store.close()
    return path


def test_a_narrower_file_changes_only_the_fields_it_carries(tmp_path, sqlite_store):
    import_spreadsheet(sqlite_store, write_csv(tmp_path / "people.csv", FULL))
    before = sqlite_store.get("person:p1")
    narrow = write_csv(tmp_path / "people_narrow.csv",
                       [["id", "name", "postcode", "age_band"],
                        ["p1", "Example One", "M15 4AB", "65-74"]])
    rep = import_spreadsheet(sqlite_store, narrow, "people")
    after = sqlite_store.get("person:p1")
    assert (after.lat, after.lon, after.area) == (before.lat, before.lon, before.area)
    for field in ("carer_hours", "disability", "health", "roles", "interests", "needs",
                  "consent"):
        assert after.props[field] == before.props[field], field
    assert after.props["age_band"] == "65-74"
    assert (rep.new, rep.changed, rep.unchanged) == (0, 1, 0)
    assert rep.field_changes == {"age_band": 1}


def test_empty_cells_never_erase_and_clear_is_explicit(tmp_path, sqlite_store):
    import_spreadsheet(sqlite_store, write_csv(tmp_path / "people.csv", FULL))
    blanked = [FULL[0], ["p1", "Example One", "", "", "", "", "", "", "", "", "", "", ""]]
    rep = import_spreadsheet(sqlite_store, write_csv(tmp_path / "people2.csv", blanked))
    assert rep.unchanged == 1 and rep.written == 0
    assert sqlite_store.get("person:p1").props["health"] == "bad"
    cleared = [FULL[0], ["p1", "", "", CLEAR, CLEAR, "", "", "", CLEAR, "", "", CLEAR, ""]]
    rep = import_spreadsheet(sqlite_store, write_csv(tmp_path / "people3.csv", cleared))
    p1 = sqlite_store.get("person:p1")
    assert "health" not in p1.props and "needs" not in p1.props
    assert p1.lat is None and p1.lon is None and p1.name == "Example One"
    assert p1.props["disability"] == "limited_a_lot"
    assert rep.changed == 1 and {"health", "needs", "lat", "lon"} <= set(rep.field_changes)


def test_rerunning_a_file_changes_nothing_not_even_the_version(tmp_path, sqlite_store):
    path = write_csv(tmp_path / "people.csv", FULL)
    import_spreadsheet(sqlite_store, path)
    before = snapshot(sqlite_store)
    rep = import_spreadsheet(sqlite_store, path)
    assert snapshot(sqlite_store) == before
    assert (rep.new, rep.changed, rep.unchanged, rep.written) == (0, 0, 2, 0)
    assert "0 new, 0 changed, 2 unchanged" in rep.summary()


def test_the_documented_two_step_journey_is_stable(tmp_path, sqlite_store):
    """People with postcodes only, then ``import postcodes``, then the same file again."""
    from assetmap.ingest.postcodes import import_postcodes

    path = write_csv(tmp_path / "people.csv", [["id", "name", "postcode", "health"],
                                               ["p1", "Example One", "M15 4AB", "good"],
                                               ["p2", "Example Two", "M15 4AD", "fair"]])
    import_spreadsheet(sqlite_store, path)
    import_postcodes(sqlite_store, LOOKUP)
    placed = sqlite_store.get("person:p1")
    assert placed.lat is not None and placed.area == "E01034001"
    before = snapshot(sqlite_store)
    rep = import_spreadsheet(sqlite_store, path)
    assert snapshot(sqlite_store) == before, rep.sample_diff()
    assert rep.unchanged == 2


def test_dry_run_says_new_changed_unchanged_with_a_sample_diff_of_names(tmp_path,
                                                                        sqlite_store):
    import_spreadsheet(sqlite_store, write_csv(tmp_path / "people.csv", FULL))
    version = sqlite_store.version()
    rows = [FULL[0], [*FULL[1][:8], "very_bad", *FULL[1][9:]], FULL[2],
            ["p3", "Example Three", "", "", "", "", "", "", "", "", "", "", ""]]
    rep = import_spreadsheet(sqlite_store, write_csv(tmp_path / "next.csv", rows), "people",
                             dry_run=True)
    assert (rep.new, rep.changed, rep.unchanged) == (1, 1, 1)
    assert rep.written == 2 and sqlite_store.version() == version
    assert "1 new, 1 changed (health 1), 1 unchanged" in rep.summary()
    assert rep.sample_diff() == ["line 2: health"]
    text = rep.to_csv(tmp_path / "r.csv").read_text(encoding="utf-8") + rep.summary()
    assert "changed" in text and "very_bad" not in text and "Example" not in text


def test_ids_are_namespaced_so_two_files_cannot_collide(tmp_path, sqlite_store):
    a = write_csv(tmp_path / "north.csv", [["id", "name"], ["17", "Example North"]])
    b = write_csv(tmp_path / "south.csv", [["id", "name"], ["17", "Example South"]])
    import_spreadsheet(sqlite_store, a, "people", namespace="north")
    import_spreadsheet(sqlite_store, b, "people", namespace="south")
    assert sqlite_store.get("person:north:17").name == "Example North"
    assert sqlite_store.get("person:south:17").name == "Example South"
    ties = write_csv(tmp_path / "ties.csv", [["src", "dst", "kind"], ["17", "south:17", "FRIEND"]])
    rep = import_spreadsheet(sqlite_store, ties, namespace="north")
    assert rep.rejected == 0
    assert sqlite_store.get_tie("person:north:17", "person:south:17", "FRIEND")
    mapping = {"namespace": "bad name!", "columns": {"id": "id"}}
    with pytest.raises(ValidationError, match="namespace is 1 to 40"):
        import_spreadsheet(sqlite_store, a, "people", mapping=mapping)


def test_a_tie_row_merges_its_props(tmp_path, sqlite_store):
    import_spreadsheet(sqlite_store, write_csv(tmp_path / "people.csv", FULL))
    first = write_csv(tmp_path / "ties.csv", [["src", "dst", "kind", "since", "frequency"],
                                              ["p1", "p2", "FRIEND", "2019", "weekly"]])
    import_spreadsheet(sqlite_store, first)
    later = write_csv(tmp_path / "ties2.csv", [["src", "dst", "kind", "frequency"],
                                               ["p1", "p2", "FRIEND", "monthly"]])
    rep = import_spreadsheet(sqlite_store, later)
    tie = sqlite_store.get_tie("person:p1", "person:p2", "FRIEND")
    assert tie.props == {"since": "2019", "frequency": "monthly"}
    assert rep.changed == 1 and rep.field_changes == {"frequency": 1}
    version = sqlite_store.version()
    assert import_spreadsheet(sqlite_store, later).unchanged == 1
    assert sqlite_store.version() == version


def test_a_move_over_1km_is_reported_and_the_area_recomputed(tmp_path, wards_db):
    shutil.copy(wards_db, tmp_path / "s.db")
    store = SQLiteStore(tmp_path / "s.db")
    try:
        path = write_csv(tmp_path / "groups.csv", [["id", "name", "lat", "lon"],
                                                   ["g1", "Example Club", "53.4655", "-2.2604"]])
        import_spreadsheet(store, path)
        old_area = store.get("group:g1").area
        assert old_area is not None
        moved = write_csv(tmp_path / "groups2.csv", [["id", "name", "lat", "lon"],
                                                     ["g1", "Example Club", "53.38", "-2.35"]])
        rep = import_spreadsheet(store, moved)
        g1 = store.get("group:g1")
        assert (g1.lat, g1.lon) == (53.38, -2.35)
        assert g1.area is not None and g1.area != old_area
        assert rep.moved == 1 and any(n.field == "location" for n in rep.notes)
        assert set(rep.field_changes) == {"area", "lat", "lon"}
    finally:
        store.close()


def test_a_changed_postcode_without_a_location_unplaces_the_record():
    old = Node("person:1", "Person", "x", "E01", 53.4, -2.3, {"postcode": "M15 4AB"})
    merged = merge_node(old, Node("person:1", "Person", "", None, None, None,
                                  {"postcode": "M15 4AD"}))
    assert merged.unplaced and merged.node.lat is None and merged.node.area is None
    same = merge_node(old, Node("person:1", "Person", "", None, None, None,
                                {"postcode": "M15 4AB"}))
    assert same.fields == [] and same.node.area == "E01"


def test_a_bad_list_word_is_dropped_with_a_note_not_the_row(tmp_path, sqlite_store):
    path = write_csv(tmp_path / "groups.csv", [["id", "name", "access", "activities"],
                                               ["g1", "Example Club", "step_free; ramp",
                                                "walking"]])
    rep = import_spreadsheet(sqlite_store, path)
    assert rep.rejected == 0 and rep.written == 1
    assert sqlite_store.get("group:g1").props["access"] == ["step_free"]
    assert any(n.field == "access" and "left out" in n.reason for n in rep.notes)


def test_a_bad_postcode_keeps_the_person_unplaced_and_their_ties(tmp_path, sqlite_store):
    people = write_csv(tmp_path / "people.csv", [["id", "name", "postcode"],
                                                 ["p1", "Example One", "M15 4AB"],
                                                 ["p2", "Example Two", "NOT A CODE"]])
    rep = import_spreadsheet(sqlite_store, people, postcodes=LOOKUP)
    assert rep.rejected == 0 and rep.written == 2
    p2 = sqlite_store.get("person:p2")
    assert p2.lat is None and "postcode" not in p2.props
    assert any(n.where == "line 3" and n.field == "postcode" for n in rep.notes)
    ties = write_csv(tmp_path / "ties.csv", [["src", "dst", "kind"], ["p1", "p2", "FRIEND"]])
    assert import_spreadsheet(sqlite_store, ties).written == 1
    assert sqlite_store.get_tie("person:p1", "person:p2", "FRIEND")


def test_merge_import_on_every_store(tmp_path, store):
    """The batched read (get_many) and merge behave the same on SQLite and the Bolt server."""
    path = write_csv(tmp_path / "people.csv", FULL)
    import_spreadsheet(store, path)
    assert set(store.get_many(["person:p1", "person:p2", "person:nobody"])) == \
        {"person:p1", "person:p2"}
    version = store.version()
    narrow = write_csv(tmp_path / "narrow.csv", [["id", "health"], ["p1", "fair"]])
    rep = import_spreadsheet(store, narrow, "people")
    assert rep.changed == 1
    p1 = store.get("person:p1")
    assert p1.props["health"] == "fair" and p1.props["carer_hours"] == "20_to_49"
    assert p1.lat == pytest.approx(53.465578)
    version = store.version()
    assert import_spreadsheet(store, narrow, "people").unchanged == 1
    assert store.version() == version
