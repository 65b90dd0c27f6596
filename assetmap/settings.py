"""All settings in one place, read from ``ASSETMAP_*`` environment variables with safe defaults.

Privacy thresholds, masking distances, the default store and the demo's size are settings, not
constants scattered through the code: change them here or in the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return default if raw in (None, "") else float(raw)


def data_dir() -> Path:
    """Where assetmap keeps its default store: ``ASSETMAP_HOME`` or the user's data directory."""
    home = os.environ.get("ASSETMAP_HOME")
    return Path(home) if home else Path(platformdirs.user_data_dir("assetmap", appauthor=False))


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


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings; :func:`load` reads the environment."""

    #: Area counts from 1 to ``suppress_below - 1`` are published as "<N" (NHS Digital: 8).
    suppress_below: int = 8
    #: Published counts at or above the threshold are rounded to the nearest multiple of this.
    round_to: int = 5
    #: Donut masking: a person's point is moved at least this far (metres) ...
    mask_min_m: float = 200.0
    #: ... and at most this far from their home.
    mask_max_m: float = 800.0
    #: How far a person is assumed to travel to a group, by default (km).
    max_travel_km: float = 3.0
    #: Size of the demo population.
    demo_people: int = 20_000
    #: Seed of the demo population (same seed, same people).
    demo_seed: int = 2021
    #: Rows per batch when writing to a store.
    batch_size: int = 5_000
    #: Largest file an importer reads, in bytes (2 GiB).
    import_max_bytes: int = 2 * 1024**3
    #: A signed-in session ends after this many minutes without a click ...
    session_idle_minutes: int = 30
    #: ... and after this many hours in all, whatever happens.
    session_max_hours: int = 12
    #: How people sign in: "local" (accounts in the access database) or "oidc" (Streamlit's
    #: ``st.login`` with an ``[auth]`` section in its secrets; the account name must still exist).
    auth: str = "local"
    store_url: str = field(default_factory=default_store_url)


def load() -> Settings:
    """Read the settings from the environment (``ASSETMAP_SUPPRESS_BELOW`` and friends)."""
    d = Settings()
    return Settings(
        suppress_below=_env_int("ASSETMAP_SUPPRESS_BELOW", d.suppress_below),
        round_to=_env_int("ASSETMAP_ROUND_TO", d.round_to),
        mask_min_m=_env_float("ASSETMAP_MASK_MIN_M", d.mask_min_m),
        mask_max_m=_env_float("ASSETMAP_MASK_MAX_M", d.mask_max_m),
        max_travel_km=_env_float("ASSETMAP_MAX_TRAVEL_KM", d.max_travel_km),
        demo_people=_env_int("ASSETMAP_DEMO_PEOPLE", d.demo_people),
        demo_seed=_env_int("ASSETMAP_DEMO_SEED", d.demo_seed),
        batch_size=_env_int("ASSETMAP_BATCH_SIZE", d.batch_size),
        import_max_bytes=_env_int("ASSETMAP_IMPORT_MAX_BYTES", d.import_max_bytes),
        session_idle_minutes=_env_int("ASSETMAP_SESSION_IDLE_MINUTES", d.session_idle_minutes),
        session_max_hours=_env_int("ASSETMAP_SESSION_MAX_HOURS", d.session_max_hours),
        auth=(os.environ.get("ASSETMAP_AUTH") or d.auth).strip().lower(),
        store_url=default_store_url(),
    )


def access_db_path(store_url: str | None = None) -> Path:
    """Where accounts, caseloads, audit rows and tombstones live: ``ASSETMAP_ACCESS_DB``, else
    ``<store>.access.db`` beside a SQLite store, else a file per store URL in :func:`data_dir`."""
    explicit = os.environ.get("ASSETMAP_ACCESS_DB")
    if explicit:
        return Path(explicit)
    url = store_url or default_store_url()
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        from urllib.parse import unquote

        store_path = Path(unquote(url[len(prefix):]))
        return store_path.with_name(store_path.name + ".access.db")
    import hashlib

    bare = url.split("@", 1)[-1]  # never key on credentials
    digest = hashlib.sha256(bare.encode("utf-8")).hexdigest()[:16]
    return data_dir() / f"access-{digest}.db"
