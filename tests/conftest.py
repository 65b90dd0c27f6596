"""Shared fixtures. ``store`` is parametrised over every store factory, so the same contract
suite runs against the embedded SQLite store and (where available) a real Bolt server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assetmap.graph.sqlite_store import SQLiteStore
from assetmap.graph.store import GraphStore


def _sqlite_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    store = SQLiteStore(tmp_path / "contract.db")
    try:
        yield store
    finally:
        store.close()


#: name -> generator function(tmp_path, request) yielding a fresh, empty store.
STORE_FACTORIES: dict[str, Callable[[Path, pytest.FixtureRequest], Iterator[GraphStore]]] = {
    "sqlite": _sqlite_factory,
}


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
