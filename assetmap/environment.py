"""The plain environment lookups behind :mod:`assetmap.settings`: where assetmap keeps its data,
the default store and Neo4j credentials. No validation library is imported here, so a quick
command (``assetmap info``) finds its store without loading pydantic (issue 16); the validated
settings (thresholds, sizes) stay in :mod:`assetmap.settings`, which re-exports these."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """Where assetmap keeps its default store: ``ASSETMAP_HOME`` or the user's data directory."""
    home = os.environ.get("ASSETMAP_HOME")
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir("assetmap", appauthor=False))


def default_store_url() -> str:
    """``ASSETMAP_STORE``, or a SQLite file ``assetmap.db`` in :func:`data_dir`."""
    return os.environ.get("ASSETMAP_STORE") or f"sqlite:///{data_dir() / 'assetmap.db'}"


def neo4j_credentials() -> tuple[str | None, str | None, str | None]:
    """User, password and database for a Neo4j store whose URL does not carry them:
    ``ASSETMAP_NEO4J_USER``, ``ASSETMAP_NEO4J_PASSWORD``, ``ASSETMAP_NEO4J_DATABASE``.
    Secrets come only from the environment, never from code or the repository."""
    return (os.environ.get("ASSETMAP_NEO4J_USER") or None,
            os.environ.get("ASSETMAP_NEO4J_PASSWORD") or None,
            os.environ.get("ASSETMAP_NEO4J_DATABASE") or None)
