"""The access database on each backend, for tests that must hold on both: a SQLite file in
tmp_path, or nodes in the session's real Bolt test server (tests/bolt_server.py), opened the way
the app opens it (:meth:`AccessDB.for_store` on a bolt:// URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bolt_server import BoltServer, wipe

from assetmap.governance.access import AccessDB

#: The backends every parametrised access fixture runs on.
ACCESS_BACKENDS: tuple[str, ...] = ("sqlite", "bolt")


def bolt_url(server: BoltServer, host: str = "127.0.0.1", scheme: str = "bolt") -> str:
    """The test server's URL (no credentials: they come from the environment)."""
    port = server.uri.rsplit(":", 1)[1]
    return f"{scheme}://{host}:{port}" + (f"/{server.database}" if server.database else "")


def use_bolt(server: BoltServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty test database, its credentials in the environment and a private data
    directory (the server key lives there); returns the store URL."""
    wipe(server)
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ASSETMAP_NEO4J_USER", server.user)
    monkeypatch.setenv("ASSETMAP_NEO4J_PASSWORD", server.password)
    return bolt_url(server)


def open_access(kind: str, tmp_path: Path, request: pytest.FixtureRequest,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[AccessDB]:
    """A fresh, empty access database of one backend."""
    if kind == "sqlite":
        with AccessDB(tmp_path / "access.db") as db:
            yield db
        return
    url = use_bolt(request.getfixturevalue("bolt_server"), tmp_path, monkeypatch)
    with AccessDB.for_store(url) as db:
        assert db.backend.kind == "neo4j"
        yield db
