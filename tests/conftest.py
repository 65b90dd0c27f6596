"""Shared fixtures. ``store`` is parametrised over every store factory, so the same contract
suite runs against the embedded SQLite store and (where available) a real Bolt server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bolt_server import bolt_factory, bolt_server  # noqa: F401  (bolt_server: session fixture)

from assetmap.graph.store import GraphStore
from assetmap.graph.store.sqlite_store import SQLiteStore


def _sqlite_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    store = SQLiteStore(tmp_path / "contract.db")
    try:
        yield store
    finally:
        store.close()


#: name -> generator function(tmp_path, request) yielding a fresh, empty store.
STORE_FACTORIES: dict[str, Callable[[Path, pytest.FixtureRequest], Iterator[GraphStore]]] = {
    "sqlite": _sqlite_factory,
    "bolt": bolt_factory,
}


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings are read once per process (assetmap.settings.load is cached): each test starts
    from the environment as it is, and an ASSETMAP_* variable a test sets or removes through
    ``monkeypatch`` is read again at once."""
    from assetmap import settings

    settings.reset()
    setenv, delenv = monkeypatch.setenv, monkeypatch.delenv

    def setenv_and_reset(name: str, value: str, prepend: str | None = None) -> None:
        setenv(name, value, prepend)
        settings.reset()

    def delenv_and_reset(name: str, raising: bool = True) -> None:
        delenv(name, raising)
        settings.reset()

    monkeypatch.setattr(monkeypatch, "setenv", setenv_and_reset)
    monkeypatch.setattr(monkeypatch, "delenv", delenv_and_reset)
    yield
    settings.reset()


@pytest.fixture(params=sorted(STORE_FACTORIES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh, empty store of each kind."""
    yield from STORE_FACTORIES[request.param](tmp_path, request)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh SQLite store in a real file under tmp_path."""
    s = SQLiteStore(tmp_path / "assetmap.db")
    yield s
    s.close()


def signed_in(app_test, role: str = "coordinator", caseload=(), name: str | None = None,
              store_url: str | None = None):
    """Sign an AppTest in as a real account of ``role`` (made in the store's access database if
    missing, with ``caseload`` for a coordinator), as the sign-in gate expects; returns it.

    Call after ``ASSETMAP_STORE`` is set (or pass ``store_url``) and before ``.run()``.
    """
    import time

    from assetmap import settings
    from assetmap.governance.access import AccessDB, new_password
    from assetmap.ui import auth

    name = name or f"test-{role.replace('_', '-')}"
    with AccessDB(settings.access_db_path(store_url)) as access:
        if name not in {n for n, *_ in access.users()}:
            access.add_user(name, role, new_password())
        if caseload:
            access.add_to_caseload(name, list(caseload))
        # A real signed session token, as sign-in issues (AppTest sends no browser headers).
        app_test.session_state[auth.TOKEN_KEY] = access.issue_session_token(
            access.user(name), auth.client_fingerprint())
    now = time.time()
    app_test.session_state[auth.USER_KEY] = name
    app_test.session_state[auth.STARTED_KEY] = now
    app_test.session_state[auth.SEEN_KEY] = now
    return app_test


@pytest.fixture
def static_serving() -> Iterator[None]:
    """Static serving on, as ``assetmap serve`` starts the app (restored afterwards): the maps
    then load Leaflet from the app's own copies."""
    from streamlit import config

    before = config.get_option("server.enableStaticServing")
    config.set_option("server.enableStaticServing", True)
    try:
        yield
    finally:
        config.set_option("server.enableStaticServing", before)
