"""Accounts, roles and caseloads in a real access database file, and the CLI verbs that manage
them (run for real through click's runner)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from access_backends import ACCESS_BACKENDS, open_access, use_bolt
from bolt_server import open_bolt_store
from click.testing import CliRunner

from assetmap import settings
from assetmap.cli import main
from assetmap.errors import NotFoundError, ValidationError
from assetmap.governance import access, audit
from assetmap.governance.access import AccessDB, User
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

PASSWORD = "a long enough password"


def _people(store: SQLiteStore, n: int, synthetic: bool = True) -> list[str]:
    ids = [f"person:t{i:04d}" for i in range(n)]
    store.upsert_nodes(Node(i, "Person", f"Test Person {k}", None, None, None,
                            {"synthetic": synthetic}) for k, i in enumerate(ids))
    return ids


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper argon2 parameters for speed (the same code path; production uses the defaults)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture(params=ACCESS_BACKENDS)
def db(request, tmp_path: Path, monkeypatch) -> AccessDB:
    """An access database on each backend (SQLite file; nodes on the Bolt test server)."""
    yield from open_access(request.param, tmp_path, request, monkeypatch)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> AccessDB:
    with AccessDB(tmp_path / "access.db") as access_db:
        yield access_db


def test_passwords_are_stored_as_salted_argon2_hashes(sqlite_db, tmp_path):
    db = sqlite_db
    db.add_user("ann", "coordinator", PASSWORD)
    db.add_user("bob", "admin", PASSWORD)
    raw = sqlite3.connect(tmp_path / "access.db")
    hashes = [h for (h,) in raw.execute("SELECT password_hash FROM users ORDER BY name")]
    raw.close()
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salt
    assert PASSWORD.encode() not in (tmp_path / "access.db").read_bytes()


def test_authenticate(db):
    db.add_user("Ann", "coordinator", PASSWORD)
    assert db.authenticate("ann", PASSWORD) == User("ann", "coordinator")
    assert db.authenticate("ANN ", PASSWORD) is not None
    assert db.authenticate("ann", PASSWORD + "x") is None
    assert db.authenticate("nobody", PASSWORD) is None
    assert db.authenticate("ann", "") is None
    outcomes = [(e.user, e.outcome) for e in audit.events(db, action="sign_in")]
    assert outcomes == [("ann", "allowed"), ("ann", "allowed"), ("ann", "denied"),
                        ("(unknown)", "denied"), ("ann", "denied")]


def test_too_many_wrong_passwords_lock_the_account(db):
    db.add_user("ann", "coordinator", PASSWORD)
    db.add_user("bob", "coordinator", PASSWORD)
    for _ in range(access.MAX_FAILED_SIGN_INS - 1):
        assert db.authenticate("ann", "guess-guess-guess") is None
    assert db.authenticate("ann", PASSWORD) is not None  # a good sign-in resets the count
    for _ in range(access.MAX_FAILED_SIGN_INS):
        assert db.authenticate("ann", "guess-guess-guess") is None
    assert db.authenticate("ann", PASSWORD) is None  # locked, even with the right password
    assert db.authenticate("bob", PASSWORD) is not None  # other accounts are not
    reasons = [e.reason for e in audit.events(db, user="ann") if e.outcome == "denied"]
    assert reasons[-1] == "locked: too many wrong passwords"
    assert db.locked_until("ann") > 0 and db.locked_until("bob") == 0


def test_the_lock_is_a_window(db, monkeypatch):
    import time

    db.add_user("ann", "coordinator", PASSWORD)
    earlier = time.time() - access.LOCKOUT_MINUTES * 60 - 1
    monkeypatch.setattr(access, "_now", lambda: earlier)
    for _ in range(access.MAX_FAILED_SIGN_INS):
        assert db.authenticate("ann", "guess-guess-guess") is None
    monkeypatch.undo()
    assert db.recent_failures("ann") == access.MAX_FAILED_SIGN_INS  # until the next attempt
    assert db.authenticate("ann", PASSWORD) is not None  # the window has passed
    assert db.recent_failures("ann") == 0


def test_lock_outs_back_off_and_end(db, monkeypatch):
    """A lock-out is a wait that doubles each time, never longer than LOCKOUT_MINUTES."""
    db.add_user("ann", "coordinator", PASSWORD)
    clock = [1_000_000.0]
    monkeypatch.setattr(access, "_now", lambda: clock[0])
    waits = []
    for _ in range(7):
        for _ in range(access.MAX_FAILED_SIGN_INS + 1):
            db.authenticate("ann", "guess-guess-guess", client=f"c{clock[0]}")
        waits.append(db.locked_until("ann") - clock[0])
        clock[0] = db.locked_until("ann") + 1
    assert waits[:3] == [access.FIRST_LOCKOUT_SECONDS * k for k in (1, 2, 4)]
    assert max(waits) == access.LOCKOUT_MINUTES * 60
    assert db.authenticate("ann", PASSWORD, client="elsewhere") is not None


@pytest.mark.parametrize(("name", "role", "password"), [
    ("x", "coordinator", PASSWORD), ("ann smith", "coordinator", PASSWORD),
    ("ann", "superuser", PASSWORD), ("ann", "admin", "short")])
def test_bad_accounts_are_refused(db, name, role, password):
    with pytest.raises(ValidationError):
        db.add_user(name, role, password)
    assert db.users() == []


def test_duplicate_and_missing_accounts(db):
    db.add_user("ann", "admin", PASSWORD)
    with pytest.raises(ValidationError, match="already"):
        db.add_user("ann", "coordinator", PASSWORD)
    with pytest.raises(NotFoundError):
        db.remove_user("bob")
    with pytest.raises(NotFoundError):
        db.user("bob")


def test_coordinators_see_their_caseload_only(db, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    ids = _people(store, 6)
    db.add_user("ann", "coordinator", PASSWORD)
    db.add_user("hub", "hub_analyst", PASSWORD)
    db.add_user("root", "admin", PASSWORD)
    assert db.add_to_caseload("ann", ids[:3] + ["person:gone"]) == 4
    assert db.add_to_caseload("ann", ids[:2]) == 0
    ann, hub, root = db.user("ann"), db.user("hub"), db.user("root")
    assert ann.caseload == frozenset(ids[:3] + ["person:gone"])
    assert access.visible_person_ids(ann, store) == set(ids[:3])  # not the missing id
    assert access.visible_person_ids(hub, store) == set()
    assert access.visible_person_ids(root, store) == set(ids)
    assert access.visible_person_ids(None, store) == set()
    assert access.can_view_person(ann, ids[0]) and not access.can_view_person(ann, ids[4])
    assert not access.can_view_person(hub, ids[0])
    assert access.can_view_person(root, ids[4])
    assert not access.can_view_person(None, ids[0])
    with pytest.raises(ValidationError):
        db.add_to_caseload("hub", ids)
    assert db.remove_from_caseload("ann", ids[:1]) == 1
    db.remove_user("ann")  # the caseload goes with the account
    assert all(db.caseload_holders(i) == [] for i in ids + ["person:gone"])
    store.close()


def test_outside_the_caseload_is_not_found_and_denied(db, tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    ids = _people(store, 3)
    db.add_user("ann", "coordinator", PASSWORD)
    db.add_to_caseload("ann", ids[:1])
    ann = db.user("ann")
    assert access.open_person(db, ann, store, ids[0]).id == ids[0]
    with pytest.raises(NotFoundError) as outside:
        access.open_person(db, ann, store, ids[1])
    with pytest.raises(NotFoundError) as missing:
        access.open_person(db, db.user("ann"), store, "person:nobody")
    # The same message for "not yours" as for "no such id": nothing is given away.
    assert str(outside.value).replace(ids[1], "X") == str(missing.value).replace(
        "person:nobody", "X")
    rows = [(e.user, e.role, e.person_id, e.action, e.outcome) for e in audit.events(db)
            if e.action == "view"]
    assert rows == [("ann", "coordinator", ids[0], "view", "allowed"),
                    ("ann", "coordinator", ids[1], "view", "denied"),
                    ("ann", "coordinator", "person:nobody", "view", "denied")]
    store.close()


def test_pages_by_role_default_deny():
    assert not access.may_use_page(None, "map.py")
    assert access.may_use_page(User("a", "hub_analyst"), "gaps.py")
    assert not access.may_use_page(User("a", "hub_analyst"), "person.py")
    assert not access.may_use_page(User("a", "coordinator"), "data.py")
    assert access.may_use_page(User("a", "admin"), "data.py")
    assert not access.may_use_page(User("a", "admin"), "unknown.py")
    assert not access.may_use_page(User("a", "visitor"), "map.py")


@pytest.mark.parametrize(("started_h", "idle_min", "expected"), [
    (0, 0, None), (11.99, 29.9, None), (12, 0, "expired"), (1, 30, "idle"), (13, 45, "expired")])
def test_session_limits(started_h, idle_min, expected):
    now = 1_000_000.0
    assert access.session_expired(now - started_h * 3600, now - idle_min * 60, now,
                                  settings.Settings()) == expected


def test_access_db_lives_beside_the_store(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path / "home"))
    assert settings.access_db_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db.access.db"
    neo = settings.access_db_path("neo4j://user:secret@db.example:7687/x")
    assert neo.parent == tmp_path / "home" and "secret" not in str(neo)
    assert neo == settings.access_db_path("neo4j://other:pw@db.example:7687/x")
    monkeypatch.setenv("ASSETMAP_ACCESS_DB", str(tmp_path / "x.db"))
    assert settings.access_db_path("sqlite:///whatever.db") == tmp_path / "x.db"


def test_demo_accounts_only_for_synthetic_stores(tmp_path, db):
    store = SQLiteStore(tmp_path / "s.db")
    _people(store, 150)
    made = access.ensure_demo_accounts(db, store)
    assert set(made) == {"demo-coordinator", "demo-analyst", "demo-admin"}
    assert len(set(made.values())) == 3 and all(len(p) >= 12 for p in made.values())
    assert db.authenticate("demo-coordinator", made["demo-coordinator"]) is not None
    assert len(db.user("demo-coordinator").caseload) == 25
    assert access.ensure_demo_accounts(db, store) == {}  # once only
    store.close()
    real = SQLiteStore(tmp_path / "real.db")
    _people(real, 3, synthetic=False)
    with AccessDB(tmp_path / "real.access.db") as other, pytest.raises(Exception, match="demo"):
        access.ensure_demo_accounts(other, real)
    real.close()


@pytest.mark.parametrize("backend", ACCESS_BACKENDS)
def test_users_and_caseload_commands(tmp_path, monkeypatch, request, backend):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        store = SQLiteStore(tmp_path / "store.db")
    else:  # the accounts are nodes in the Neo4j store's own database
        server = request.getfixturevalue("bolt_server")
        url = use_bolt(server, tmp_path, monkeypatch)
        store = open_bolt_store(server)
    ids = _people(store, 3)
    store.close()
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    runner = CliRunner()
    # The password comes from the environment (or a hidden prompt), never an argument.
    result = runner.invoke(main, ["users", "add", "ann", "--role", "coordinator", "--store", url],
                           env={"ASSETMAP_NEW_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    result = runner.invoke(main, ["users", "add", "bob", "--role", "admin", "--store", url],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["caseload", "add", "ann", *ids[:2], "--store", url])
    assert result.exit_code == 0 and "added 2" in result.output
    result = runner.invoke(main, ["caseload", "add", "ann", "person:nope", "--store", url])
    assert result.exit_code == 1 and "No person" in result.output
    result = runner.invoke(main, ["caseload", "list", "ann", "--store", url])
    assert result.output.split() == ids[:2]
    listing = runner.invoke(main, ["users", "list", "--store", url]).output
    assert "ann" in listing and "coordinator" in listing and "bob" in listing
    with AccessDB.for_store(url) as db:
        assert db.authenticate("bob", PASSWORD) is not None
    result = runner.invoke(main, ["users", "password", "bob", "--store", url],
                           env={"ASSETMAP_NEW_PASSWORD": PASSWORD + "2"})
    assert result.exit_code == 0, result.output
    with AccessDB.for_store(url) as db:
        assert db.authenticate("bob", PASSWORD) is None
        assert db.authenticate("bob", PASSWORD + "2") is not None
    result = runner.invoke(main, ["users", "remove", "ann", "--store", url])
    assert result.exit_code == 0
    assert "ann" not in runner.invoke(main, ["users", "list", "--store", url]).output
    result = runner.invoke(main, ["users", "add", "carol", "--role", "admin", "--store", url],
                           env={"ASSETMAP_NEW_PASSWORD": "short"})
    assert result.exit_code == 1 and "12 characters" in result.output


def test_production_hashes_are_slow_enough():
    """The hasher's defaults (seen in a hash it made before the test sped it up) meet OWASP's
    argon2id minimum: at least 19 MiB of memory and 2 passes."""
    params = dict(kv.split("=") for kv in access._DUMMY_HASH.split("$")[3].split(","))
    assert access._DUMMY_HASH.startswith("$argon2id$")
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2


def test_session_activity_is_written_at_most_every_touch_interval(db, monkeypatch):
    """A page run within the touch interval of the last write of a session's activity writes
    nothing (a store write per run slowed every save); one after it writes, and the idle clock
    then runs from there."""
    from assetmap import settings

    db.add_user("ann", "coordinator", PASSWORD)
    clock = [1_000_000.0]
    monkeypatch.setattr(access, "_now", lambda: clock[0])
    token = db.issue_session_token(db.user("ann"), "browser")
    session_id = token.split(".")[1]  # v1.<session id>.<expiry>.<mac>
    interval = access.touch_interval(settings.load())
    assert 0 < interval <= 30

    def last_seen() -> float:
        return db.backend.session(session_id)[3]

    issued = last_seen()
    clock[0] += interval / 2
    assert db.verify_session_token(token, "browser") is not None
    assert last_seen() == issued  # not written again so soon
    clock[0] += interval
    assert db.verify_session_token(token, "browser") is not None
    assert last_seen() == clock[0]  # written: the idle clock restarts here
