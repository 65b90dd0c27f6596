"""An administrator's person search right after sign-in (issue 14): while the graph-based picker
is not built yet, the search answers from the pages' columnar snapshot, with the same labels,
without reading the whole graph and without waiting for the warm-up that is building it. Real
SQLite demo stores, real threads, the real Person page (AppTest)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser_app import TEST_PERSON, demo_store_fixtures
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap.governance import access
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ui import common

PAGES = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"

template_store, store_url = demo_store_fixtures(1000)

ADMIN = access.User("test-admin", access.ADMIN)


@pytest.fixture
def graph_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every whole-graph read (``SQLiteStore.to_networkx``) from now on, as whether it went over
    the pages' shared connection (True) or another one (False)."""
    reads: list[bool] = []
    real = SQLiteStore.to_networkx

    def counting(self: SQLiteStore, *args: Any, **kwargs: Any) -> Any:
        reads.append(self is common._open(common.store_url()))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteStore, "to_networkx", counting)
    return reads


def test_a_search_before_the_graph_is_built_answers_from_the_snapshot(store_url, graph_reads):
    """No warm-up has built the graph: the search's list comes from the snapshot, the graph is
    not read, and the list equals the graph path's once that is built (which then takes over)."""
    common.forget_everything()
    store = common.get_store()
    version = store.version()
    people = common.selectable_people(store, ADMIN)
    assert graph_reads == []  # the whole graph was not read
    assert store_url not in common._OPTIONS and store_url not in common._ISOLATION
    assert common._SNAPSHOT_OPTIONS[store_url][1] is people
    assert len(people) == store.count("Person") == 1000
    assert people["label"].is_unique and people["label"].is_monotonic_increasing

    from_graph = common._people_options(store_url, version)
    assert graph_reads == [True]
    pd.testing.assert_frame_equal(people, from_graph)  # the same labels, the same order
    assert store_url not in common._SNAPSHOT_OPTIONS  # let go once the graph's is made
    assert common.selectable_people(store, ADMIN) is from_graph  # the graph's path now
    assert graph_reads == [True]


def test_the_snapshot_path_keeps_every_roles_filter(store_url, graph_reads):
    """Answered from the snapshot, a hub analyst and no one signed in still see no one, and a
    coordinator sees their caseload only (never an id that is not in the store), with the
    graph path's labels and order, without the graph being read."""
    common.forget_everything()
    store = common.get_store()
    analyst = access.User("test-analyst", access.HUB_ANALYST)
    assert common.selectable_people(store, analyst).empty
    assert common.selectable_people(store, None).empty
    assert graph_reads == []
    everyone = common.selectable_people(store, ADMIN)["person_id"].tolist()
    caseload = frozenset({TEST_PERSON, "person:nobody", *everyone[::97]})
    mine = access.User("test-coordinator", access.COORDINATOR, caseload=caseload)
    early = common.selectable_people(store, mine)
    assert graph_reads == []  # a coordinator's list no longer waits for the graph
    assert sorted(early["person_id"]) == sorted(caseload - {"person:nobody"})
    common._people_options(store_url, store.version())  # the graph's picker takes over
    assert graph_reads == [True]
    pd.testing.assert_frame_equal(early, common.selectable_people(store, mine))


def test_a_search_during_the_warm_up_answers_without_waiting_for_it(store_url, graph_reads):
    """While another thread holds the picker's lock (the warm-up holds it while it reads and
    measures everyone) a search answers from the snapshot instead of waiting for the lock; the
    graph's picker made afterwards has the same labels. Real threads; a search that waited would
    still be running when the lock is let go, and fail the check."""
    common.forget_everything()
    store = common.get_store()
    version = store.version()
    common._people_options(store_url, version)  # a picker to patch from: ready if not building
    me = store.get(TEST_PERSON)
    store.upsert_nodes([replace(me, name=f"{me.name} Jr")])  # the picker is now of an older version
    assert store.version() > version
    version = store.version()
    holding, release = threading.Event(), threading.Event()

    def warm_up_measuring() -> None:
        with common._ISOLATION_LOCK:
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=warm_up_measuring, daemon=True)
    holder.start()
    assert holding.wait(60)
    got: list[pd.DataFrame] = []
    search = threading.Thread(target=lambda: got.append(common.selectable_people(store, ADMIN)),
                              daemon=True)
    try:
        search.start()
        search.join(60)
        answered = not search.is_alive() and len(got) == 1
    finally:
        release.set()
        holder.join(60)
        search.join(60)
    assert answered, "the search waited for the lock"
    assert common._SNAPSHOT_OPTIONS[store_url][0] == version
    pd.testing.assert_frame_equal(got[0], common._people_options(store_url, version))


def test_the_warm_up_reads_the_graph_over_a_connection_of_its_own(store_url, graph_reads):
    """The warm-up reads the whole graph once, over its own connection (so the pages' shared
    one is free meanwhile), builds the graph's picker from it, and the pages' graph is that
    one, not read again."""
    common.forget_everything()
    store = common.get_store()
    version = store.version()
    assert not common._graph_picker_ready(store_url, version)
    thread = common.warm_up()
    assert thread is not None
    thread.join(120)
    assert not thread.is_alive()
    assert graph_reads == [False]
    assert common._graph_picker_ready(store_url, version)
    assert common._OPTIONS[store_url][0] == version
    assert TEST_PERSON in common.graph(store_url, version)
    assert graph_reads == [False]
    # still a connection the page can use: the warm-up closed only its own
    assert common.get_store().version() == version


def test_an_administrators_search_on_the_page_before_the_graph_is_built(store_url, graph_reads):
    """The real Person page: an administrator's search right after sign-in (nothing built yet)
    lists the matches with their graph labels without reading the graph; opening a person reads
    it, and the next search's options (now from the graph) are the same."""
    common.forget_everything()
    at = AppTest.from_file(str(PAGES / "person.py"), default_timeout=90)
    signed_in(at, role="admin").run()
    at.text_input(key="person_find").input("bowdon").run()
    assert not at.exception and not at.error
    found = at.selectbox(key="person_pick").options  # as shown: the labels
    assert found and all("bowdon" in label.casefold() for label in found)
    assert graph_reads == []
    store = common.get_store()
    from_graph = common._people_options(store_url, store.version())["label"]
    assert found == [t for t in from_graph if "bowdon" in t.casefold()]
    common.forget_everything()
    graph_reads.clear()
    at.selectbox(key="person_pick").set_value(TEST_PERSON).run()
    assert not at.exception and not at.error
    assert graph_reads == [True]  # opening someone reads the graph (for their circle)
    at.text_input(key="person_find").input("bowdon ").run()
    picker = at.selectbox(key="person_pick")
    assert common._graph_picker_ready(store_url, common.get_store().version())
    assert picker.options == found and picker.value == TEST_PERSON
    assert graph_reads == [True]
