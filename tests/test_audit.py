"""The audit log is append-only (SQLite triggers refuse changes), holds no field values, and
``assetmap audit`` lists it with filters."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from access_backends import ACCESS_BACKENDS, open_access, use_bolt
from click.testing import CliRunner

from assetmap.cli import main
from assetmap.errors import ValidationError
from assetmap.governance import audit
from assetmap.governance.access import AccessDB, User

ANN = User("ann", "coordinator")


@pytest.fixture(params=ACCESS_BACKENDS)
def db(request, tmp_path: Path, monkeypatch):
    """An access database on each backend (SQLite file; nodes on the Bolt test server)."""
    yield from open_access(request.param, tmp_path, request, monkeypatch)


@pytest.fixture
def sqlite_db(tmp_path: Path):
    with AccessDB(tmp_path / "access.db") as access_db:
        yield access_db


def test_a_row_says_who_what_whom_when_and_outcome(db):
    n = audit.record(db, ANN, "view", "person:s1")
    audit.record(db, ANN, "view", "person:s2", outcome="denied")
    rows = list(audit.events(db))
    assert [r.seq for r in rows] == [n, n + 1]
    first = rows[0]
    assert (first.user, first.role, first.person_id, first.action, first.outcome) == \
        ("ann", "coordinator", "person:s1", "view", "allowed")
    assert first.at.endswith("+00:00")  # UTC
    assert set(first.as_dict()) == {"seq", "at", "user", "role", "person_id", "action",
                                    "outcome", "reason"}


def test_unknown_actions_and_outcomes_are_refused(db):
    with pytest.raises(ValidationError):
        audit.record(db, ANN, "peek", "person:s1")
    with pytest.raises(ValidationError):
        audit.record(db, ANN, "view", "person:s1", outcome="maybe")
    assert list(audit.events(db)) == []


@pytest.mark.parametrize("statement", [
    "UPDATE audit SET outcome = 'allowed'",
    "UPDATE audit SET person_id = NULL WHERE seq = 1",
    "DELETE FROM audit",
    "DELETE FROM audit WHERE seq = 1",
])
def test_rows_cannot_be_changed_or_deleted(sqlite_db, tmp_path, statement):
    db = sqlite_db
    audit.record(db, ANN, "view", "person:s1", outcome="denied")
    # Even a separate connection straight to the file is refused by the triggers.
    raw = sqlite3.connect(tmp_path / "access.db")
    with pytest.raises(sqlite3.DatabaseError, match="audit rows cannot be"):
        raw.execute(statement)
    raw.close()
    rows = list(audit.events(db))
    assert [(r.person_id, r.outcome) for r in rows] == [("person:s1", "denied")]


def test_filters(db):
    audit.record(db, ANN, "view", "person:s1")
    audit.record(db, User("bob", "admin"), "export", "person:s1", reason="SAR 12")
    audit.record(db, ANN, "view", "person:s2")
    assert [r.user for r in audit.events(db, person="person:s1")] == ["ann", "bob"]
    assert [r.person_id for r in audit.events(db, user="ann")] == ["person:s1", "person:s2"]
    assert len(list(audit.events(db, since="2000-01-01"))) == 3
    assert list(audit.events(db, since="2999-01-01T00:00")) == []
    with pytest.raises(ValidationError):
        list(audit.events(db, since="yesterday"))
    # Filter values are parameters, never SQL.
    assert list(audit.events(db, user="ann' OR '1'='1")) == []


@pytest.mark.parametrize("backend", ACCESS_BACKENDS)
def test_audit_command(tmp_path, monkeypatch, request, backend):
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    if backend == "bolt":  # the log is nodes in the Neo4j store's own database
        url = use_bolt(request.getfixturevalue("bolt_server"), tmp_path, monkeypatch)
    with AccessDB.for_store(url) as db:
        audit.record(db, ANN, "view", "person:s1")
        audit.record(db, ANN, "view", "person:s9", outcome="denied")
        audit.record(db, User("bob", "admin"), "erase", "person:s3", reason="request 7")
    runner = CliRunner()
    out = runner.invoke(main, ["audit", "--store", url])
    assert out.exit_code == 0
    lines = [line for line in out.output.splitlines() if line.startswith("20")]
    assert len(lines) == 3 and "denied" in lines[1] and "reason: request 7" in lines[2]
    out = runner.invoke(main, ["audit", "--store", url, "--person", "person:s9", "--json"])
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert [(r["user"], r["outcome"]) for r in rows] == [("ann", "denied")]
    out = runner.invoke(main, ["audit", "--store", url, "--user", "bob", "--json"])
    assert [json.loads(line)["action"] for line in out.output.splitlines()] == ["erase"]
    out = runner.invoke(main, ["audit", "--store", url, "--since", "not a date"])
    assert out.exit_code == 1 and "not a date" in out.output
    out = runner.invoke(main, ["audit", "--store", url, "--verify"])
    assert out.exit_code == 0, out.output
