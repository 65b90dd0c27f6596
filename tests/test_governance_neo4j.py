"""Governance in the server (issue 16): with a Neo4j store, accounts, caseloads, sessions,
throttles, tombstones and the hash-chained audit log are nodes in the same database, on the real
Bolt test server (tests/bolt_server.py). No local SQLite file is made; the store's reads never
see those nodes; the chain verifies and catches tampering done with plain Cypher; ``copy
--with-accounts`` carries them both ways; erasure clears caseloads and tombstones the log."""

from __future__ import annotations

import threading
from pathlib import Path

import neo4j
import pytest
from access_backends import bolt_url, use_bolt
from bolt_server import BoltServer, open_bolt_store
from click.testing import CliRunner

from assetmap import vocab
from assetmap.cli import main
from assetmap.governance import access, audit, rights
from assetmap.governance.access import AccessDB
from assetmap.graph.store import cypher
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheaper argon2 parameters for speed (the same code path; production uses the defaults)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(access, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def url(bolt_server: BoltServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return use_bolt(bolt_server, tmp_path, monkeypatch)


def _cypher(server: BoltServer, query: str, **params) -> list:
    with neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password)) as driver:
        return driver.execute_query(query, params, database_=server.database).records


def test_two_spellings_of_one_server_see_the_same_accounts(url, bolt_server, tmp_path):
    with AccessDB.for_store(url) as db:
        db.add_user("coord.one", "coordinator", PASSWORD)
        db.add_to_caseload("coord.one", ["person:a"])
        assert db.backend.kind == "neo4j"
    other = bolt_url(bolt_server, host="localhost", scheme="neo4j")
    with AccessDB.for_store(other) as db:
        assert db.user("coord.one").caseload == frozenset({"person:a"})
        assert db.authenticate("coord.one", PASSWORD, client="t") is not None
    # they are nodes in the database, not a file on this machine
    assert [r["name"] for r in _cypher(bolt_server, f"MATCH (u:{cypher.USER_LABEL}) "
                                       "RETURN u.name AS name")] == ["coord.one"]
    assert sorted((tmp_path / "home").rglob("*.db")) == []  # no SQLite access file


def test_the_store_never_sees_governance_nodes(url, bolt_server):
    store = open_bolt_store(bolt_server)
    try:
        store.upsert_nodes([Node("person:a", vocab.PERSON, "A"), Node("group:g", vocab.GROUP,
                                                                      "G")])
        store.upsert_ties([Tie("person:a", "group:g", "ATTENDS")])
        with AccessDB.for_store(url) as db:
            db.add_user("coord.one", "coordinator", PASSWORD)
            db.add_to_caseload("coord.one", ["person:a"])
            db.issue_session_token(db.user("coord.one"), "browser")
            audit.record(db, db.user("coord.one"), "view", "person:a")
        assert store.count() == 2 and store.count_ties() == 1
        assert [n.id for n in store.nodes()] == ["group:g", "person:a"]
        assert len(list(store.ties())) == 1
        graph = store.to_networkx()
        assert sorted(graph.nodes) == ["group:g", "person:a"] and graph.number_of_edges() == 1
        nodes, _ties = store.counts()
        assert sum(nodes.values()) == 2
    finally:
        store.close()


def test_password_hashes_are_argon2_in_the_database(url, bolt_server):
    with AccessDB.for_store(url) as db:
        db.add_user("ann", "coordinator", PASSWORD)
        db.add_user("bob", "admin", PASSWORD)
    rows = _cypher(bolt_server, f"MATCH (u:{cypher.USER_LABEL}) RETURN u.password_hash AS h "
                   "ORDER BY u.name")
    hashes = [r["h"] for r in rows]
    assert all(h.startswith("$argon2id$") for h in hashes) and hashes[0] != hashes[1]
    everything = _cypher(bolt_server, "MATCH (n) RETURN properties(n) AS p")
    assert PASSWORD not in repr([r["p"] for r in everything])


def test_the_audit_chain_verifies_and_catches_cypher_tampering(url, bolt_server):
    with AccessDB.for_store(url) as db:
        ann = access.User("ann", "coordinator")
        for i in range(5):
            audit.record(db, ann, "view", f"person:{i}")
        report = audit.verify(db)
        assert report.intact and report.rows == 5
        # an edit made with plain Cypher: the row's hash no longer matches
        _cypher(bolt_server, f"MATCH (a:{cypher.AUDIT_LABEL} {{seq: 2}}) "
                "SET a.outcome = 'denied'")
        assert any("Row 2 was changed" in p for p in audit.verify(db).problems)
        _cypher(bolt_server, f"MATCH (a:{cypher.AUDIT_LABEL} {{seq: 2}}) "
                "SET a.outcome = 'allowed'")
        assert audit.verify(db).intact
        # the tail deleted and the head node moved back to match: the app server's witness
        _cypher(bolt_server, f"MATCH (a:{cypher.AUDIT_LABEL}) WHERE a.seq = 5 DETACH DELETE a")
        four = _cypher(bolt_server, f"MATCH (a:{cypher.AUDIT_LABEL} {{seq: 4}}) "
                       "RETURN a.row_hash AS h")[0]["h"]
        _cypher(bolt_server, f"MATCH (h:{cypher.AUDIT_HEAD_LABEL}) SET h.seq = 4, h.hash = $h",
                h=four)
        problems = audit.verify(db).problems
        assert "Rows 5 to 5 were deleted from the end." in problems


def test_concurrent_writers_number_and_chain_rows_one_at_a_time(url):
    with AccessDB.for_store(url) as db:
        errors: list[BaseException] = []

        def write(who: str) -> None:
            try:
                with AccessDB.for_store(url) as mine:  # each its own connection
                    for i in range(4):
                        audit.record(mine, who, "view", f"person:{who}{i}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in ("a", "b", "c")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        report = audit.verify(db)
        assert report.rows == 12 and report.intact, report.problems
        assert [e.seq for e in audit.events(db)] == list(range(1, 13))


def test_erasing_a_person_on_neo4j_clears_caseloads_and_tombstones_the_log(url, bolt_server):
    store = open_bolt_store(bolt_server)
    try:
        store.upsert_nodes([Node("person:e", vocab.PERSON, "Erin Example"),
                            Node("person:k", vocab.PERSON, "Kept")])
        with AccessDB.for_store(url) as db:
            db.add_user("ann", "coordinator", PASSWORD)
            db.add_user("bea", "coordinator", PASSWORD)
            db.add_to_caseload("ann", ["person:e", "person:k"])
            db.add_to_caseload("bea", ["person:e"])
            access.open_person(db, db.user("ann"), store, "person:e")
            assert rights.person_record(store, db, "person:e")["caseloads"] == ["ann", "bea"]
            tombstone = rights.erase_person(store, db, "person:e", by="cli:test")
            assert db.user("ann").caseload == frozenset({"person:k"})
            assert db.user("bea").caseload == frozenset()
            assert [t for t, _ in db.tombstones()] == [tombstone]
            ids = {e.person_id for e in audit.events(db)}
            assert "person:e" not in ids and tombstone in ids
            assert audit.verify(db).intact
            # a later attempt on the old id is written under the tombstone
            audit.record(db, "ann", "view", "person:e", outcome="denied")
            assert list(audit.events(db))[-1].person_id == tombstone
        left = _cypher(bolt_server, "MATCH (n) WHERE any(v IN [k IN keys(n) | n[k]] "
                       "WHERE v = 'person:e') RETURN count(n) AS n")
        assert left[0]["n"] == 0
    finally:
        store.close()


def test_copy_with_accounts_carries_users_caseloads_and_the_chain_both_ways(
        url, bolt_server, tmp_path):
    src = SQLiteStore(tmp_path / "small.db")
    src.upsert_nodes([Node("t:p", vocab.PERSON, "P")])
    src.close()
    from_url = f"sqlite:///{tmp_path / 'small.db'}"
    with AccessDB.for_store(from_url) as db:
        db.add_user("coord.one", "coordinator", PASSWORD)
        db.add_to_caseload("coord.one", ["t:p"])
        audit.record(db, db.user("coord.one"), "view", "t:p")
        tombstone = db.forget_person("t:gone")
    result = CliRunner().invoke(main, ["copy", "--from", from_url, "--to", url,
                                       "--with-accounts"])
    assert result.exit_code == 0, result.output
    assert "1 accounts" in result.output
    with AccessDB.for_store(bolt_url(bolt_server, host="localhost", scheme="neo4j")) as db:
        assert db.user("coord.one").caseload == frozenset({"t:p"})
        assert db.authenticate("coord.one", PASSWORD, client="t") is not None
        assert [t for t, _ in db.tombstones()] == [tombstone]
        report = audit.verify(db)
        assert report.intact and report.rows == 2  # the copied view, then the sign-in
    again = CliRunner().invoke(main, ["copy", "--from", from_url, "--to", url,
                                      "--with-accounts"])
    assert again.exit_code != 0 and "already has accounts" in again.output
    assert "Traceback" not in again.output
    # and back: Neo4j into a new SQLite store
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    result = CliRunner().invoke(main, ["copy", "--from", url, "--to", back_url,
                                       "--with-accounts"])
    assert result.exit_code == 0, result.output
    with AccessDB.for_store(back_url) as db:
        assert db.backend.kind == "sqlite"
        assert db.user("coord.one").caseload == frozenset({"t:p"})
        report = audit.verify(db)
        assert report.intact and report.rows == 2, report.problems
        audit.record(db, "cli:test", "view", "t:p")  # the chain carries on in the copy
        assert audit.verify(db).intact


def test_an_access_file_from_before_moves_into_the_database_once(url, bolt_server):
    from assetmap import settings

    path = settings.access_db_path(url)
    with AccessDB(path) as old:  # what a Neo4j deployment kept on disk before issue 16
        old.add_user("coord.one", "coordinator", PASSWORD)
        old.add_to_caseload("coord.one", ["person:a"])
        audit.record(old, "cli:test", "user_add")
    with AccessDB.for_store(url) as db:
        assert db.user("coord.one").caseload == frozenset({"person:a"})
        assert audit.verify(db).intact and audit.verify(db).rows == 1
    assert not path.exists() and path.with_name(path.name + ".imported").exists()


def test_sessions_live_in_the_database_and_end_as_on_sqlite(url, bolt_server):
    with AccessDB.for_store(url) as db:
        db.add_user("ann", "coordinator", PASSWORD)
        ann = db.user("ann")
        token = access.issue_session_token(db, ann, "firefox/en-GB")
        # another app server (another connection, another spelling) accepts it
        other = bolt_url(bolt_server, host="localhost", scheme="neo4j")
        with AccessDB.for_store(other) as elsewhere:
            assert access.verify_session_token(elsewhere, token, "firefox/en-GB") == ann
            assert access.verify_session_token(elsewhere, token, "chrome/en-GB") is None
        assert db.revoke_session_token(token)
        assert access.verify_session_token(db, token, "firefox/en-GB") is None
        assert db.session_state(token) == "revoked"
        again = access.issue_session_token(db, ann, "firefox/en-GB")
        db.set_password("ann", PASSWORD + " and more")  # a new password ends every session
        assert access.verify_session_token(db, again, "firefox/en-GB") is None
        last = access.issue_session_token(db, ann, "firefox/en-GB")
        db.remove_user("ann")
        assert access.verify_session_token(db, last, "firefox/en-GB") is None
    assert _cypher(bolt_server, f"MATCH (s:{cypher.SESSION_LABEL}) WHERE s.user = 'ann' "
                   "RETURN count(s) AS n")[0]["n"] == 0
