"""Contact notes (free text about a person, sensitive) are in one person's subject access export
and out of bulk exports unless asked for, which is audited — on real SQLite store files, through
the library and the CLI, for both places a store keeps notes (person records, or the person's
own record where a store keeps no person records)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assetmap.cli import main
from assetmap.governance import audit, recording, rights
from assetmap.governance.access import AccessDB, User
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

NOTE_1 = "Spoke about the allotment; synthetic note text zq1"
NOTE_2 = "Daughter visits on Sundays; synthetic note text zq2"
ADMIN = User("root", "admin")


def _all_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*"))
                     if p.is_file())


@pytest.fixture
def setup(tmp_path: Path):
    store = SQLiteStore(tmp_path / "store.db")
    store.upsert_nodes([Node("person:n1", "Person", "Synthetic One", None, 53.42, -2.32,
                             {"synthetic": True}),
                        Node("person:n2", "Person", "Synthetic Two", None, 53.43, -2.33,
                             {"synthetic": True})])
    access = AccessDB(tmp_path / "store.db.access.db")
    recording.add_note(store, access, ADMIN, "person:n1", NOTE_1, date="2025-01-02")
    recording.add_note(store, access, ADMIN, "person:n2", NOTE_2, date="2025-01-03")
    yield store, access, tmp_path
    access.close()
    store.close()


def test_subject_access_export_has_the_notes(setup):
    store, access, tmp = setup
    paths = rights.export_person(store, access, "person:n1", tmp / "sar", ADMIN, reason="SAR 7")
    record = rights.person_record(store, access, "person:n1")
    assert [n["text"] for n in record["contact_notes"]] == [NOTE_1]
    assert all(m["kind"] != "note" for m in record["measures"])
    text = _all_text(tmp / "sar")
    assert NOTE_1 in text and NOTE_2 not in text
    assert len(paths) == 2


def test_bulk_export_leaves_notes_out_by_default(setup):
    store, access, tmp = setup
    rights.export_people(store, access, ["person:n1", "person:n2"], tmp / "bulk", ADMIN,
                         "quarterly audit")
    text = _all_text(tmp / "bulk")
    assert "Synthetic One" in text  # the export itself happened
    assert NOTE_1 not in text and NOTE_2 not in text
    assert "zq" not in text
    assert rights.NOTES_LEFT_OUT in text


def test_bulk_export_with_notes_is_opt_in_and_audited(setup):
    store, access, tmp = setup
    rights.export_people(store, access, ["person:n1", "person:n2"], tmp / "bulk", ADMIN,
                         "court order 12", include_notes=True)
    text = _all_text(tmp / "bulk")
    assert NOTE_1 in text and NOTE_2 in text
    bulk = [e for e in audit.events(access, user="root") if e.action == "bulk_export"]
    assert [e.reason for e in bulk] == ["court order 12 (with contact notes)"]


def test_notes_kept_on_the_person_record_are_left_out_too(tmp_path: Path):
    """A store without person records keeps notes in the person's ``contact_notes`` prop."""
    store = SQLiteStore(tmp_path / "store.db")
    store.upsert_nodes([Node("person:n1", "Person", "Synthetic One", None, 53.42, -2.32,
                             {"synthetic": True, rights.NOTES_FIELD: [
                                 {"date": "2024-12-01", "by": "ann", "text": NOTE_1}]}),
                        Node("person:n2", "Person", "Synthetic Two", None, 53.43, -2.33,
                             {"synthetic": True})])
    with AccessDB(tmp_path / "access.db") as access:
        rights.export_people(store, access, ["person:n1", "person:n2"], tmp_path / "bulk",
                             ADMIN, "audit")
        assert NOTE_1 not in _all_text(tmp_path / "bulk")
        record = rights.person_record(store, access, "person:n1")
        assert rights.NOTES_FIELD not in record["fields"]
        assert [n["text"] for n in record["contact_notes"]] == [NOTE_1]
    store.close()


def test_cli_bulk_export_and_sar(setup, monkeypatch):
    store, access, tmp = setup
    url = f"sqlite:///{tmp / 'store.db'}"
    runner = CliRunner()
    bulk = runner.invoke(main, ["person", "export", "person:n1", "person:n2", "--store", url,
                                "--out", str(tmp / "cli_bulk"), "--reason", "audit"])
    assert bulk.exit_code == 0, bulk.output
    assert NOTE_1 not in _all_text(tmp / "cli_bulk")
    opted = runner.invoke(main, ["person", "export", "person:n1", "person:n2", "--store", url,
                                 "--out", str(tmp / "cli_notes"), "--reason", "audit",
                                 "--include-notes"])
    assert opted.exit_code == 0, opted.output
    assert NOTE_1 in _all_text(tmp / "cli_notes")
    sar = runner.invoke(main, ["person", "export", "person:n1", "--store", url,
                               "--out", str(tmp / "cli_sar")])
    assert sar.exit_code == 0, sar.output
    assert NOTE_1 in _all_text(tmp / "cli_sar")
