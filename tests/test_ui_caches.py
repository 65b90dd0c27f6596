"""The app's shared caches hold nothing of an older store version once the store changes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node
from assetmap.ui import common


def test_an_erased_person_leaves_no_cached_copy(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'area.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "area.db")
    store.upsert_nodes([Node("L1", "Area", "LSOA", props={"level": "lsoa"}),
                        Node("person:1", "Person", "Canary Quill", area="L1"),
                        Node("person:2", "Person", "Other Person", area="L1")])
    before = store.version()
    common.forget_stale(url, before)
    assert "person:1" in set(common._people_options(url, before)["person_id"])
    assert "person:1" in common.graph(url, before)

    store.delete("person:1")  # as `assetmap person erase` does, from another process
    after = store.version()
    assert common.forget_stale(url, after) is True
    # Asking with the old key can no longer return the cached copy: it is read afresh.
    assert "person:1" not in set(common._people_options(url, before)["person_id"])
    assert "person:1" not in common.graph(url, before)
    assert common.forget_stale(url, after) is False  # nothing more to drop
    store.close()


def test_warm_up_builds_the_network_once_per_version(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'warm.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "warm.db")
    store.upsert_nodes([Node("person:1", "Person", "A"), Node("person:2", "Person", "B")])
    builds = []
    real = SQLiteStore.to_networkx

    def counting(self, *args, **kwargs):
        builds.append(self.version())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "to_networkx", counting)
    thread = common.warm_up()
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    version = store.version()
    assert builds == [version]
    assert set(common.graph(url, version)) == {"person:1", "person:2"}
    assert common.isolation_table(url, version)["person_id"].tolist()  # ready, not rebuilt
    assert builds == [version]  # the page's call was served from the warm cache
    assert common.warm_up() is None  # once per version
    store.upsert_nodes([Node("person:3", "Person", "C")])
    again = common.warm_up()
    assert again is not None
    again.join(timeout=60)
    # one write: the graph is patched with what it touched, never read again whole (issue 13)
    assert builds == [version]
    assert "person:3" in common.graph(url, store.version())
    store.close()


def test_a_write_patches_the_isolation_table_to_what_a_full_rebuild_gives(tmp_path, monkeypatch):
    """Only the people a write touched are measured again (issue 14 speed), and the patched
    table equals measuring everyone afresh: a new tie, a group closing, an erasure, a newcomer."""
    import pandas as pd

    from assetmap.model import Tie

    url = f"sqlite:///{tmp_path / 'iso.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "iso.db")
    store.upsert_nodes([Node("g:walk", "Group", "Walking group"),
                        *[Node(f"person:{i}", "Person", f"P{i}") for i in range(8)]])
    store.upsert_ties([Tie("person:0", "person:1", "FRIEND"), Tie("person:2", "g:walk", "ATTENDS"),
                       Tie("person:3", "g:walk", "ATTENDS"),
                       Tie("person:4", "person:5", "FRIEND", {"via": "g:walk"})])
    common.forget_stale(url, store.version())
    common.isolation_table(url, store.version())
    calls = []
    import assetmap.graph.analysis.isolation as iso

    real = iso.isolated_people
    monkeypatch.setattr(iso, "isolated_people", lambda G: calls.append(len(G)) or real(G))
    for write in (lambda: store.upsert_ties([Tie("person:6", "person:7", "FRIEND")]),
                  lambda: store.upsert_ties([Tie("person:7", "g:walk", "ATTENDS")]),
                  lambda: (store.upsert_nodes([Node("org:1", "Organisation", "Hub")]),
                           store.upsert_ties([Tie("org:1", "g:walk", "RUNS")])),
                  lambda: store.upsert_nodes([Node("g:walk", "Group", "Walking group",
                                                   props={"status": "closed"})]),
                  lambda: store.delete("person:1"),
                  lambda: store.upsert_nodes([Node("person:9", "Person", "P9")])):
        write()
        version = store.version()
        common.forget_stale(url, version)
        patched = common.isolation_table(url, version)
        full = real(common.graph(url, version))
        pd.testing.assert_frame_equal(patched, full)
    assert calls and max(calls) < len(common.graph(url, store.version()))  # never everyone
    store.close()


def test_picker_labels_after_a_write_match_labelling_everyone_afresh(tmp_path, monkeypatch):
    """The Person page's picker labels are patched after a write (issue 14 speed): an edited
    name and a level moved by a new tie show, and equal labelling everyone again."""
    from assetmap.graph.analysis.isolation import isolated_people
    from assetmap.model import Tie
    from assetmap.worklist import picker_labels

    url = f"sqlite:///{tmp_path / 'pick.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "pick.db")
    store.upsert_nodes([Node("L1", "Area", "LSOA", props={"level": "lsoa"}),
                        *[Node(f"person:{i}", "Person", "Kim W.", area="L1") for i in range(40)]])
    common.forget_stale(url, store.version())
    common._people_options(url, store.version())
    store.upsert_ties([Tie("person:1", "person:2", "FRIEND", {"frequency": "weekly"})])
    store.upsert_nodes([Node("person:3", "Person", "Kim X.", area="L1")])
    version = store.version()
    common.forget_stale(url, version)
    shown = dict(common._people_options(url, version).itertuples(index=False))
    G = common.graph(url, version)
    assert shown == picker_labels(G, isolated_people(G))
    assert shown["person:3"].startswith("Kim X. · ") and len(set(shown.values())) == 40
    store.close()


def test_places_are_read_again_only_after_a_place_changed(tmp_path, monkeypatch):
    """The Record panel's place search keeps its list across a save that changes no place
    (a tie, a note, a person), and reads it again when a group changes or goes."""
    from assetmap.model import Tie
    from assetmap.ui import recording_ui

    url = f"sqlite:///{tmp_path / 'places.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "places.db")
    store.upsert_nodes([Node("g:walk", "Group", "Walking group"),
                        Node("person:1", "Person", "A"), Node("person:2", "Person", "B")])
    common.forget_everything()
    first = recording_ui.places_version(store)
    store.upsert_ties([Tie("person:1", "g:walk", "ATTENDS")])
    store.upsert_nodes([Node("person:3", "Person", "C")])
    assert recording_ui.places_version(store) == first  # no place changed
    store.upsert_nodes([Node("g:walk", "Group", "Walking group", props={"status": "closed"})])
    moved = recording_ui.places_version(store)
    assert moved == store.version() != first
    store.delete("person:3")  # gone: it might have been a place, so read again
    assert recording_ui.places_version(store) == store.version()
    store.close()


def test_the_picker_and_the_isolation_table_never_wait_on_each_other(tmp_path, monkeypatch):
    """The warm-up thread computes the isolation table while a page builds the picker: each
    takes the other's lock in turn, so holding one while waiting for the other deadlocked a
    page (it hung in the browser until the test's time ran out). Real threads, real store."""
    import random
    import threading

    from assetmap.model import Tie

    url = f"sqlite:///{tmp_path / 'race.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    store = SQLiteStore(tmp_path / "race.db")
    people = [f"person:{i}" for i in range(3000)]
    store.upsert_nodes([Node("L1", "Area", "LSOA", props={"level": "lsoa"}),
                        *[Node(p, "Person", f"P{i % 97}", area="L1")
                          for i, p in enumerate(people)]])
    rng = random.Random(1)
    store.upsert_ties([Tie(*rng.sample(people, 2), "FRIEND") for _ in range(3000)])
    common.forget_everything()
    common._picker(url)
    for i in range(12):
        store.upsert_ties([Tie(*rng.sample(people, 2), "FRIEND")])
        now = store.version()
        threads = [threading.Thread(target=common.isolation_table, args=(url, now),
                                    daemon=True),
                   threading.Thread(target=common._picker, args=(url,), daemon=True)]
        for t in threads[:: 1 if i % 2 else -1]:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads), f"deadlocked after write {i}"
    store.close()


def _people_graph(n: int, ties: list[tuple[int, int, str]]) -> Any:
    import networkx as nx

    from assetmap import vocab

    G = nx.MultiDiGraph()
    G.add_node("g:walk", kind="Group", name="Walking group", area=None, lat=None, lon=None)
    for i in range(n):
        G.add_node(f"person:{i:02d}", kind="Person", name=f"P{i}", area=None, lat=None,
                   lon=None)
    for a, b, kind in ties:
        src = f"person:{a:02d}"
        dst = "g:walk" if kind == "ATTENDS" else f"person:{b:02d}"
        if src != dst:
            G.add_edge(src, dst, key=kind, kind=kind, tie_class=vocab.TIE_KINDS[kind])
    return G


_TIE = st.tuples(st.integers(0, 11), st.integers(0, 11),
                 st.sampled_from(["FRIEND", "FAMILY", "ATTENDS", "NEIGHBOUR"]))


@settings(max_examples=25, deadline=None)
@given(before=st.lists(_TIE, max_size=14), added=st.lists(_TIE, min_size=1, max_size=5))
def test_a_patched_isolation_table_equals_measuring_everyone(before, added):
    """Any set of people touched at once, wherever their rows sit: the patched table (old rows
    as slices, fresh rows placed by binary search) equals measuring the whole graph again."""
    import pandas as pd

    from assetmap.graph.analysis import isolated_people

    G = _people_graph(12, before)
    table = isolated_people(G)
    H = _people_graph(12, before + added)
    touched = {f"person:{a:02d}" for a, _b, _k in added} | {
        f"person:{b:02d}" for _a, b, k in added if k != "ATTENDS"}
    pd.testing.assert_frame_equal(common.patched_isolation(H, table, touched),
                                  isolated_people(H))
