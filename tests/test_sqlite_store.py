"""What the embedded store promises beyond the contract: one WAL file, foreign keys, URLs."""

from __future__ import annotations

import sqlite3

import pytest

from assetmap.errors import StoreError
from assetmap.graph.store import open_store, store_summary
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie


def test_one_file_in_wal_mode_with_foreign_keys(tmp_path):
    path = tmp_path / "area.db"
    store = SQLiteStore(path)
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.upsert_nodes([Node("person:1", "Person", "Ann")])
    store.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT name FROM nodes WHERE id = 'person:1'").fetchone() == ("Ann",)
    raw.close()


def test_unchanged_reupsert_keeps_the_version(sqlite_store):
    nodes = [Node("person:1", "Person", "Ann"), Node("person:2", "Person", "Bob")]
    sqlite_store.upsert_nodes(nodes)
    sqlite_store.upsert_ties([Tie("person:1", "person:2", "FRIEND")])
    v = sqlite_store.version()
    sqlite_store.upsert_nodes(nodes)
    sqlite_store.upsert_ties([Tie("person:2", "person:1", "FRIEND")])
    assert sqlite_store.version() == v
    sqlite_store.upsert_nodes([Node("person:1", "Person", "Ann B.")])
    assert sqlite_store.version() == v + 1


def test_a_second_connection_sees_only_committed_writes(tmp_path):
    path = tmp_path / "area.db"
    writer, reader = SQLiteStore(path), SQLiteStore(path)
    with writer.transaction():
        writer.upsert_nodes([Node("person:1", "Person", "Ann")])
        assert reader.count() == 0
    assert reader.count() == 1
    writer.close()
    reader.close()


def test_nested_transaction_rolls_back_only_the_inner_block(sqlite_store):
    with sqlite_store.transaction():
        sqlite_store.upsert_nodes([Node("person:1", "Person", "Ann")])
        with pytest.raises(ValueError):
            with sqlite_store.transaction():
                sqlite_store.upsert_nodes([Node("person:2", "Person", "Bob")])
                raise ValueError("inner")
    assert [n.id for n in sqlite_store.nodes()] == ["person:1"]


@pytest.mark.parametrize("url, expected", [
    ("sqlite:///rel/area.db", "rel/area.db"),
    ("sqlite:////abs/dir/area.db", "/abs/dir/area.db"),
])
def test_url_forms(url, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if expected.startswith("/"):
        url = f"sqlite:///{tmp_path}{expected}"
        expected = f"{tmp_path}{expected}"
    store = open_store(url)
    assert str(store.path) == expected
    assert store_summary(store)["nodes"]["Person"] == 0
    store.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "mysql://x/y", "nonsense"])
def test_bad_urls_are_one_sentence(url):
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert "\n" not in str(err.value)


def test_unopenable_file_is_a_store_error(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError):
        SQLiteStore(tmp_path / "dir.db")


def test_a_file_that_is_not_a_store_is_a_store_error(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(StoreError) as err:
        SQLiteStore(bad)
    assert "not an assetmap store" in str(err.value)


def test_bulk_writes_group_rows_by_shape_and_keep_the_last_of_an_id(tmp_path):
    """upsert_nodes writes rows grouped by which analysis fields they set; the columns each
    group leaves out hold their defaults, and an id given twice in one batch keeps its last."""
    from assetmap.model import ANALYSIS_COLUMNS, analysis_fields

    store = SQLiteStore(tmp_path / "s.db")
    people = [
        Node("p1", "Person", "A", props={"interests": ["walking"], "age_band": "65-74"}),
        Node("g1", "Group", "Walk", props={"status": "closed", "capacity": 12,
                                           "activities": ["walking"]}),
        Node("p2", "Person", "B", props={"consent": {"map": True}, "personal_budget": True}),
        Node("p1", "Person", "A2", props={"needs": ["loneliness"]}),  # the last p1 wins
        Node("p3", "Person", "C"),
    ]
    store.upsert_nodes(people)
    cols = ", ".join(ANALYSIS_COLUMNS)
    for node in people[1:]:
        row = store._db.execute(f"SELECT {cols} FROM nodes WHERE id = ?",  # noqa: S608
                                (node.id,)).fetchone()
        assert row == analysis_fields(node.kind, node.props), node.id
        assert store.get(node.id) == node
    before = store.version()
    store.upsert_nodes(people[1:])  # the same again: nothing changes
    assert store.version() == before
    store.close()
