"""The saved snapshot after a write (issue 13): an ordinary write leaves it, and the next reader
patches it from the change log to the current version, equal field by field to reading the store
afresh (hypothesis, over random writes); a write that removes a record for good drops it in the
same commit, so an erased person never lingers in the file; at most one is ever kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_snapshot import SETTINGS
from test_snapshot_numbers import same_snapshot, stored, weighted_areas

from assetmap import vocab
from assetmap.graph.analysis import snapshot as snapshot_module
from assetmap.graph.analysis.snapshot import SAVED_FORMAT, Snapshot
from assetmap.graph.store import sqlite_store
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

FUTURE = "group:future"  # a group some ties name as ``via`` before it exists
FUTURE_GROUP = Node(FUTURE, vocab.GROUP, "Future group", None, 53.4, -2.3,
                    {"activities": ["walking"], "status": "active"})


def cold(store: SQLiteStore) -> Snapshot:
    """The store read afresh (no saved snapshot involved)."""
    got = store.snapshot_arrays()
    assert got is not None
    return Snapshot.from_arrays(got)


def saved_count(store: SQLiteStore) -> int:
    return store._db.execute("SELECT count(*) FROM snapshot_cache").fetchone()[0]


def tie_props(data: st.DataObject, groups: list[str]) -> dict:
    """A tie's props: any of via (a group, one not yet stored, nowhere), role, frequency, an
    end date and a weight."""
    props: dict = {}
    if data.draw(st.booleans()):
        props["via"] = data.draw(st.sampled_from([*groups, FUTURE, "nowhere"]))
    if data.draw(st.booleans()):
        props["role"] = data.draw(st.sampled_from(["spouse", "child", "neighbourly", "coach"]))
    if data.draw(st.booleans()):
        props["frequency"] = data.draw(st.sampled_from(["weekly", "monthly", 3]))
    if data.draw(st.booleans()):
        props["until"] = data.draw(st.sampled_from(["2020-01-01", "2999-01-01"]))
    if data.draw(st.booleans()):
        props["weight"] = data.draw(st.sampled_from([0.5, 3, "heavy"]))
    return props


def one_write(store: SQLiteStore, data: st.DataObject, deleted: dict[str, Node]) -> bool:
    """One random write through the store's API (a tie added, ended or removed, a record
    edited, added, deleted or brought back, a consent changed); True if it deleted a node."""
    nodes = {n.id: n for n in store.nodes()}
    people = sorted(i for i, n in nodes.items() if n.kind == vocab.PERSON)
    groups = sorted(i for i, n in nodes.items() if n.kind in vocab.TIE_ENDPOINTS["ATTENDS"][1])
    ties = sorted(store.ties(), key=lambda t: t.key)
    what = data.draw(st.sampled_from(["tie", "tie", "end", "untie", "edit", "consent", "add",
                                      "delete", "back"]))
    if what == "tie" and len(people) >= 2:
        a, b = data.draw(st.lists(st.sampled_from(people), min_size=2, max_size=2,
                                  unique=True))
        kind = data.draw(st.sampled_from(["FRIEND", "FAMILY", "CARES_FOR"]))
        store.upsert_ties([Tie(a, b, kind, tie_props(data, groups))])
    elif what == "tie" and people and groups:
        store.upsert_ties([Tie(data.draw(st.sampled_from(people)),
                               data.draw(st.sampled_from(groups)), "ATTENDS",
                               tie_props(data, groups))])
    elif what == "end" and ties:
        t = data.draw(st.sampled_from(ties))
        store.upsert_ties([Tie(t.src, t.dst, t.kind, {**t.props, "until": "2021-05-01"})])
    elif what == "untie" and ties:
        t = data.draw(st.sampled_from(ties))
        store.delete_tie(t.src, t.dst, t.kind)
    elif what in ("edit", "consent") and nodes:
        n = nodes[data.draw(st.sampled_from(sorted(nodes)))]
        props = dict(n.props)
        if what == "consent":
            props["consent"] = {"suggest": data.draw(st.booleans()),
                                "map": data.draw(st.booleans())}
        elif n.kind == vocab.PERSON:
            props["interests"] = data.draw(st.lists(st.sampled_from(
                ["walking", "singing", "crafts"]), unique=True, max_size=2))
            props["personal_budget"] = data.draw(st.booleans())
        else:
            props["status"] = data.draw(st.sampled_from(["active", "closed"]))
            props["capacity"] = data.draw(st.sampled_from([None, 4, 12.5]))
        lat, lon = data.draw(st.sampled_from([(n.lat, n.lon), (53.41, 0.25), (None, None)]))
        store.upsert_nodes([Node(n.id, n.kind, data.draw(st.sampled_from([n.name, "Renamed"])),
                                 n.area, lat, lon, props)])
    elif what == "add":
        new = data.draw(st.sampled_from([
            Node(f"person:new{len(nodes)}", vocab.PERSON, "Newcomer", None, 53.4, -2.2,
                 {"consent": {"suggest": True, "map": True}, "roles": ["carer"]}),
            Node("person:a-first", vocab.PERSON, "First", None, None, None, {}),
            Node("person:zz-last", vocab.PERSON, "Last", None, 53.5, -2.1, {}),
            FUTURE_GROUP]))
        store.upsert_nodes([new])
    elif what == "delete" and nodes:
        node_id = data.draw(st.sampled_from(sorted(nodes)))
        deleted[node_id] = nodes[node_id]
        store.delete(node_id)
        return True
    elif what == "back" and deleted:
        node_id = data.draw(st.sampled_from(sorted(deleted)))
        if node_id not in nodes:
            store.upsert_nodes([deleted[node_id]])
    return False


@SETTINGS
@given(weighted_areas(), st.data())
def test_a_saved_snapshot_patched_from_the_log_equals_a_fresh_read(area, data):
    nodes, _ties = area
    with stored(area) as store:
        deleted: dict[str, Node] = {}
        people = [n.id for n in nodes if n.kind == vocab.PERSON]
        later = data.draw(st.booleans())
        if later:  # a tie naming a group that is not there yet (it comes after the save)
            store.upsert_ties([Tie(people[0], people[1], "PEER", {"via": FUTURE})])
        for _ in range(data.draw(st.integers(0, 4))):
            one_write(store, data, deleted)
        before = Snapshot.from_store(store)  # read afresh, then saved
        saved_at = store.version()
        erased = False
        for _ in range(data.draw(st.integers(1, 8))):
            if data.draw(st.booleans()):
                with store.transaction():  # several writes as one version
                    erased |= one_write(store, data, deleted)
                    erased |= one_write(store, data, deleted)
            else:
                erased |= one_write(store, data, deleted)
        if later and FUTURE not in before.ids:
            store.upsert_nodes([FUTURE_GROUP])
        want = cold(store)
        # the patch itself, from the snapshot as read (over deletions too)
        patched = before.patched(store)
        assert patched is not None
        same_snapshot(patched, want)
        if store.version() == saved_at:
            same_snapshot(Snapshot.from_store(store), want)
        elif erased:  # a node deleted: the saved snapshot went in that commit
            assert saved_count(store) == 0
        else:  # kept, older: the next reader patches it and never reads the store afresh
            assert store.load_saved_snapshot(SAVED_FORMAT)[0] == saved_at
            store.snapshot_arrays = _no_fresh_read  # type: ignore[method-assign]
            same_snapshot(Snapshot.from_store(store), want)
            del store.snapshot_arrays
            assert saved_count(store) == 1


def _no_fresh_read(*_args: object) -> None:
    raise AssertionError("the store was read afresh instead of patching the saved snapshot")


def person(pid: str, name: str = "", **props) -> Node:
    return Node(pid, vocab.PERSON, name or pid, None, 53.4, -2.3, props)


def test_a_tie_naming_a_group_that_comes_later_reads_it_once_it_is_there(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1"), person("p2")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND", {"via": "g-later"})])
    assert Snapshot.from_store(store).via.tolist() == [-1]
    store.upsert_nodes([Node("g-later", vocab.GROUP, "Walk")])  # the tie itself unchanged
    store.snapshot_arrays = _no_fresh_read  # type: ignore[method-assign]
    got = Snapshot.from_store(store)
    del store.snapshot_arrays
    assert got.ids == ["g-later", "p1", "p2"] and got.via.tolist() == [0]
    same_snapshot(got, cold(store))
    store.close()


def test_a_deleted_node_back_again_has_none_of_its_old_ties(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1"), person("p2"), person("p3")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND"), Tie("p2", "p3", "FAMILY")])
    before = Snapshot.from_store(store)
    store.delete("p2")  # its ties go with it (the log names them)...
    store.upsert_nodes([person("p2", "Back")])  # ...and it comes back without them
    store.upsert_ties([Tie("p1", "p3", "NEIGHBOUR")])
    patched = before.patched(store)
    assert patched is not None
    same_snapshot(patched, cold(store))
    assert len(patched.src) == 1
    store.close()


def test_erasure_after_a_write_leaves_no_copy_in_the_saved_snapshot_or_the_file(
        tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot_module, "SAVE_AFTER", 1)  # every patched one saved back
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1", "Zebedee Quartermaine"), person("p2"), person("p3")])
    store.upsert_ties([Tie("p1", "p2", "FRIEND")])
    Snapshot.from_store(store)  # saved
    store.upsert_ties([Tie("p1", "p3", "FAMILY")])  # an ordinary write: the saved one stays
    assert saved_count(store) == 1
    patched = Snapshot.from_store(store)  # patched and saved back, Zebedee in it
    assert store.load_saved_snapshot(SAVED_FORMAT)[0] == store.version() == patched.version
    store.delete("p1")  # erasure: the saved snapshot goes in the same commit
    assert saved_count(store) == 0
    after = Snapshot.from_store(store)
    assert after.ids == ["p2", "p3"] and len(after.src) == 0
    held = store.load_saved_snapshot(SAVED_FORMAT)
    assert held is not None and b"Zebedee" not in held[1]
    store.upsert_nodes([person("p4")])  # more writes: patched from a copy without them
    assert Snapshot.from_store(store).ids == ["p2", "p3", "p4"]
    store.add_records([])  # nothing: no write
    store.scrub()
    assert saved_count(store) == 0
    store.close()
    for f in tmp_path.iterdir():
        assert b"Zebedee" not in f.read_bytes(), f.name


def test_a_persons_records_erased_drop_the_saved_snapshot(tmp_path):
    from assetmap.records import PersonRecord

    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1"), person("p2")])
    store.add_records([PersonRecord(id="r1", kind="measure", person_id="p1",
                                    date="2024-01-01", data={"scale": "ucla3", "score": 5})])
    Snapshot.from_store(store)
    assert saved_count(store) == 1
    assert store.delete_records("p1") == 1
    assert saved_count(store) == 0
    store.close()


def test_a_write_the_log_cannot_describe_drops_it_and_one_saved_is_the_most(
        tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1"), person("p2")])
    for i in range(30):  # read after every write: one saved snapshot at most, ever
        store.upsert_nodes([person(f"q{i}")])
        same_snapshot(Snapshot.from_store(store), cold(store))
        assert saved_count(store) == 1
    assert store.load_saved_snapshot(SAVED_FORMAT)[0] > 2  # saved back along the way
    monkeypatch.setattr(sqlite_store, "_LOG_LIMIT", 3)
    store.upsert_nodes([person(f"r{i}") for i in range(5)])  # logged "reload"
    assert saved_count(store) == 0
    same_snapshot(Snapshot.from_store(store), cold(store))
    store.close()


@pytest.mark.parametrize("limit", [0, 1])
def test_a_patch_larger_than_the_limit_reads_afresh(tmp_path, limit):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p1")])
    snap = Snapshot.from_store(store)
    store.upsert_nodes([person("p2"), person("p3")])
    assert (store.snapshot_changes(snap.version, lambda i: True, limit=limit) is None)
    assert store.snapshot_changes(snap.version, lambda i: True) is not None
    store.close()


def test_a_snapshot_out_of_id_order_is_never_spliced(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    store.upsert_nodes([person("p2"), person("p3")])
    snap = Snapshot.from_store(store, save=False)
    store.upsert_nodes([person("p1")])
    snap.apply(nodes=[person("p1")], version=store.version())  # appended: not in id order
    store.upsert_nodes([person("p4")])
    assert snap.patched(store) is None
    assert Snapshot.from_store(store, save=False).patched(store) is not None  # same version
    store.close()
