"""The Person page's small read on the real Bolt test server (issue 16, "small queries for small
questions"): :meth:`Neo4jStore.person_neighbourhood` gives, for an isolated person and a well
connected one, the same circle (picture and ties table), isolation level and suggestions as the
whole graph, from far fewer records; and the same graph as cutting it out of the whole graph."""

from __future__ import annotations

import pandas as pd
import pytest
from bolt_server import open_bolt_store, wipe

from assetmap import settings, vocab
from assetmap.graph.analysis import suggest_connections
from assetmap.graph.analysis.isolation import isolated_people
from assetmap.graph.store.copy import copy_store
from assetmap.graph.store.neighbourhood import neighbourhood_of, person_neighbourhood
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.render import network as network_view

#: The widest "within" the Person page's filters offer (its place candidates' reach).
PLACE_KM = 20.0


@pytest.fixture(scope="module")
def bolt_demo(bolt_server, tmp_path_factory):
    """A synthetic demo (Trafford's areas and assets, 300 people) copied into the Bolt server;
    yields (store, whole graph)."""
    from assetmap.demo import synthetic

    path = tmp_path_factory.mktemp("person") / "demo.db"
    src = SQLiteStore(path)
    synthetic.populate(src, 300, 5)
    wipe(bolt_server)
    with open_bolt_store(bolt_server) as store:
        copy_store(src, store)
        src.close()
        yield store, store.to_networkx()


def _people(G) -> list[str]:
    """An isolated person, the best connected, and two in between (by number of ties)."""
    people = sorted((n for n, a in G.nodes(data=True) if a.get("kind") == vocab.PERSON),
                    key=lambda n: (G.degree(n), n))
    isolated = [p for p in people if G.degree(p) == 0]
    assert isolated, "the demo should have someone with no ties"
    return [isolated[0], people[len(people) // 2], people[3 * len(people) // 4], people[-1]]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_neighbourhood_answers_as_the_whole_graph(bolt_demo):
    store, whole = bolt_demo
    km = settings.load().max_travel_km
    everyone = isolated_people(whole).set_index("person_id")
    checked_people = 0
    for p in _people(whole):
        small = store.person_neighbourhood(p, km, PLACE_KM)
        assert small.number_of_nodes() < whole.number_of_nodes()
        # the circle: ties table and picture
        _same(network_view.circle_ties(small, p), network_view.circle_ties(whole, p))
        a, b = network_view.circle_view(small, p), network_view.circle_view(whole, p)
        assert (a.steps, a.ties, a.truncated) == (b.steps, b.ties, b.truncated)
        # the isolation level and its reasons
        mine = isolated_people(small).set_index("person_id").loc[p]
        pd.testing.assert_series_equal(mine, everyone.loc[p], check_names=False)
        # suggestions, as the page asks for them: places (unmerged, every one within the widest
        # filter, and merged within the usual reach) and people
        for kinds, k, reach, merge in ((vocab.ASSET_KINDS, 100_000, PLACE_KM, False),
                                       (vocab.ASSET_KINDS, 10, km, True),
                                       ({vocab.PERSON}, 5, None, False)):
            got = suggest_connections(small, p, k=k, max_km=reach, kinds=kinds,
                                      merge_venues=merge)
            want = suggest_connections(whole, p, k=k, max_km=reach, kinds=kinds,
                                       merge_venues=merge)
            _same(got, want)
            checked_people += len(want) if kinds == {vocab.PERSON} else 0
    assert checked_people, "someone should have people suggested (else the test proves little)"


def test_neighbourhood_is_small_and_the_same_as_cut_from_the_whole_graph(bolt_demo):
    store, whole = bolt_demo
    km = settings.load().max_travel_km
    people = _people(whole)
    sizes = []
    for p in people:
        small = store.person_neighbourhood(p, km)
        cut = neighbourhood_of(whole, p, km)
        assert sorted(small.nodes(data=True)) == sorted(cut.nodes(data=True))
        assert sorted(small.edges(keys=True, data=True)) == sorted(cut.edges(keys=True, data=True))
        # every record and tie exactly as to_networkx gives it
        for n, attrs in small.nodes(data=True):
            assert attrs == whole.nodes[n]
        for u, v, key, attrs in small.edges(keys=True, data=True):
            assert attrs == whole.edges[u, v, key]
        sizes.append(small.number_of_nodes())
    # the isolated person's neighbourhood is the candidates near them: a small part of the store
    assert sizes[0] * 5 < whole.number_of_nodes(), (sizes, whole.number_of_nodes())
    assert max(sizes) < whole.number_of_nodes()
    # the one code path: a store without its own small read is cut from its whole graph
    assert store.person_neighbourhood("no-such-person", km).number_of_nodes() == 0
    via_helper = person_neighbourhood(object(), people[0], km, whole=lambda: whole)
    assert sorted(via_helper.nodes) == sorted(store.person_neighbourhood(people[0], km).nodes)


def test_the_person_page_reads_the_neighbourhood_on_bolt(bolt_server, bolt_demo, tmp_path,
                                                         monkeypatch):
    """The real page (AppTest) on the Bolt store: it reads the person's neighbourhood, not the
    whole graph, and shows the same ties as the whole graph has."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from assetmap.ui.views import person

    store, whole = bolt_demo
    host = bolt_server.uri.split("://", 1)[1]
    url = f"bolt://{bolt_server.user}:{bolt_server.password}@{host}/{bolt_server.database}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_AUTH", raising=False)
    settings.reset()
    from assetmap.ui import common

    def whole_graph_loaded(*_args):
        raise AssertionError("the Person page loaded the whole graph from a server store")

    # the picker and the page read a snapshot and a neighbourhood, never the whole graph
    monkeypatch.setattr(common, "graph", whole_graph_loaded)
    monkeypatch.setattr(common, "isolation_table", whole_graph_loaded)
    p = _people(whole)[-1]
    G = person._graph(store, url, store.version(), p)
    assert p in G and G.number_of_nodes() < whole.number_of_nodes()
    page = Path(person.__file__)
    at = AppTest.from_file(str(page), default_timeout=120)
    _sign_in(at, url, p)
    at.query_params["person"] = p
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    n = len(network_view.circle_ties(whole, p))
    shown = [m.value for m in at.markdown]
    assert any(f"Their ties** ({n}, one step out)" in m for m in shown), shown


def _sign_in(at, url: str, person_id: str) -> None:
    """A coordinator with ``person_id`` on their caseload, signed in with a real session token
    in the store's own access database (``AccessDB.for_store``: on Neo4j, the database itself)."""
    import time

    from assetmap.governance.access import AccessDB, new_password
    from assetmap.ui import auth

    with AccessDB.for_store(url) as access:
        if "test-coordinator" not in {n for n, *_ in access.users()}:
            access.add_user("test-coordinator", "coordinator", new_password())
        access.add_to_caseload("test-coordinator", [person_id])
        at.session_state[auth.TOKEN_KEY] = access.issue_session_token(
            access.user("test-coordinator"), auth.client_fingerprint())
    now = time.time()
    at.session_state[auth.USER_KEY] = "test-coordinator"
    at.session_state[auth.STARTED_KEY] = at.session_state[auth.SEEN_KEY] = now


def test_the_picker_on_bolt_labels_and_levels_people_as_the_whole_graph_does(bolt_demo):
    """On a server store the Person page's picker reads one columnar snapshot (issue 16): the
    same labels and isolation levels as the whole graph gives."""
    from assetmap.graph.analysis.isolation import isolation_levels
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.worklist import graph_person_labels, snapshot_person_labels

    store, whole = bolt_demo
    snap = Snapshot.from_store(store)
    labels = snapshot_person_labels(snap)
    everyone = [n for n, a in whole.nodes(data=True) if a.get("kind") == vocab.PERSON]
    assert labels == graph_person_labels(whole, everyone)
    assert len(labels) == 300 and len(set(labels.values())) == 300  # everyone, told apart
    got = isolation_levels(snap).set_index("person_id")["level"].astype(str).sort_index()
    want = isolated_people(whole).set_index("person_id")["level"].astype(str).sort_index()
    assert got.to_dict() == want.to_dict()
