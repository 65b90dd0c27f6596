"""The whole-area pages on the real Bolt test server (issue 16): Resilience, Map, Gaps and
Outcomes run for real (Streamlit AppTest) on a Neo4j store without ever loading the whole graph
(``common.graph`` and the tables made from it are made to fail if called: an assertion, not a
stand-in), and show the same figures as the same data in SQLite."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from bolt_server import open_bolt_store, wipe
from browser_app import XSS_ID, build_test_store
from streamlit.testing.v1 import AppTest

from assetmap import settings
from assetmap.graph.store.copy import copy_store

PAGES = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 180


@pytest.fixture(scope="module")
def demo_urls(bolt_server, tmp_path_factory):
    """The Trafford demo (300 synthetic people, boundaries, measures, an at-risk group) in a
    SQLite file and copied into the Bolt server: (sqlite URL, bolt URL)."""
    path = tmp_path_factory.mktemp("pages") / "demo.db"
    src = build_test_store(path, people=300)
    wipe(bolt_server)
    with open_bolt_store(bolt_server) as neo:
        copy_store(src, neo)
    src.close()
    host = bolt_server.uri.split("://", 1)[1]
    bolt = f"bolt://{bolt_server.user}:{bolt_server.password}@{host}/{bolt_server.database}"
    return f"sqlite:///{path}", bolt


def _whole_graph_loaded(*_args, **_kwargs):
    raise AssertionError("a page loaded the whole graph from a server store")


def _page(name: str, url: str, monkeypatch, tmp_path: Path, server: bool) -> AppTest:
    """The page run on its own against ``url``, signed in as a real admin account kept in the
    store's own access database."""
    from assetmap.governance.access import AccessDB, new_password
    from assetmap.ui import auth

    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path / ("neo" if server else "sqlite")))
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_AUTH", raising=False)
    settings.reset()
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    with AccessDB.for_store(url) as access:
        if "test-admin" not in {n for n, *_ in access.users()}:
            access.add_user("test-admin", "admin", new_password())
        at.session_state[auth.TOKEN_KEY] = access.issue_session_token(
            access.user("test-admin"), auth.client_fingerprint())
    now = time.time()
    at.session_state[auth.USER_KEY] = "test-admin"
    at.session_state[auth.STARTED_KEY] = at.session_state[auth.SEEN_KEY] = now
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _words(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**In words:**"))


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value.reset_index(drop=True) for d in at.dataframe]


def _both(name: str, demo_urls, monkeypatch, tmp_path, steps=()) -> tuple[AppTest, AppTest]:
    """The page on SQLite, then on Bolt (where the whole-graph reads fail if called), each run
    and then taken through ``steps`` (callables on the AppTest)."""
    from assetmap.ui import common

    out = []
    for url, server in ((demo_urls[0], False), (demo_urls[1], True)):
        with monkeypatch.context() as m:
            if server:
                for fn in ("graph", "isolation_table", "keystone_table", "isolation_counts"):
                    m.setattr(common, fn, _whole_graph_loaded)
            at = _page(name, url, monkeypatch, tmp_path, server).run()
            _ok(at)
            for step in steps:
                step(at)
                _ok(at)
        out.append(at)
    return out[0], out[1]


def test_resilience_on_bolt_shows_the_sqlite_closure_without_the_whole_graph(
        demo_urls, monkeypatch, tmp_path):
    from assetmap.graph.analysis.resilience import keystone_assets_snapshot
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.graph.store.sqlite_store import SQLiteStore

    # the place whose closure cuts the most people off from every route to a hub
    store = SQLiteStore.from_url(demo_urls[0])
    try:
        ks = keystone_assets_snapshot(Snapshot.from_store(store))
    finally:
        store.close()
    worst = ks.sort_values(["lose_hub_path", "asset_id"], ascending=[False, True]).iloc[0]
    assert worst["lose_hub_path"] > 0

    def pick(place: str):
        return lambda at: at.selectbox(key="resilience_pick").set_value(place).run()

    for steps in ((), (pick(str(worst["asset_id"])),), (pick(XSS_ID),)):
        lite, neo = _both("resilience", demo_urls, monkeypatch, tmp_path, steps)
        assert _words(neo) == _words(lite)
        a, b = _frames(lite), _frames(neo)
        assert len(a) == len(b) >= 1
        for x, y in zip(a, b, strict=True):  # who would be affected, and the keystones
            pd.testing.assert_frame_equal(y, x)
        assert [t.value.to_csv() for t in neo.table] == [t.value.to_csv() for t in lite.table]


def test_map_on_bolt_counts_isolation_from_the_snapshot(demo_urls, monkeypatch, tmp_path):
    def isolated(at):
        at.selectbox(key="map_measure").set_value("isolated").run()

    lite, neo = _both("map", demo_urls, monkeypatch, tmp_path, (isolated,))
    assert _words(neo) == _words(lite)
    pd.testing.assert_frame_equal(_frames(neo)[0], _frames(lite)[0])


def test_gaps_on_bolt_reads_the_snapshot(demo_urls, monkeypatch, tmp_path):
    def lsoa(at):
        at.radio(key="gaps_level").set_value("lsoa").run()

    for steps in ((), (lsoa,)):
        lite, neo = _both("gaps", demo_urls, monkeypatch, tmp_path, steps)
        assert _words(neo) == _words(lite)
        a, b = _frames(lite), _frames(neo)
        assert len(a) == len(b) >= 2
        for x, y in zip(a, b, strict=True):  # provision, carers and pooling tables
            pd.testing.assert_frame_equal(y, x)


def test_outcomes_on_bolt_reads_only_the_cohorts_own_ties(demo_urls, monkeypatch, tmp_path):
    lite, neo = _both("outcomes", demo_urls, monkeypatch, tmp_path)
    a, b = _frames(lite), _frames(neo)
    assert len(a) == len(b) >= 1
    pd.testing.assert_frame_equal(b[0], a[0])  # the cohort table
    assert len(a[0]) > 1  # someone has a baseline and a follow-up
