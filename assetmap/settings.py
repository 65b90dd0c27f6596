"""All settings in one place, read from ``ASSETMAP_*`` environment variables with safe defaults.

Privacy thresholds, masking distances, the default store and the demo's size are settings, not
constants scattered through the code: change them here or in the environment. They are read once
per process (:func:`load`, cached; :func:`reset` reads again) and validated with bounds: a value
out of range stops assetmap with one sentence naming the setting and its allowed range, rather
than (say) publishing a count of 2 as "0" under ``ASSETMAP_SUPPRESS_BELOW=-3``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from assetmap.environment import (  # plain lookups, re-exported here (quick to import)
    data_dir,
    default_store_url,
    neo4j_credentials,  # noqa: F401  (re-exported: settings.neo4j_credentials)
)
from assetmap.errors import SettingsError


class Settings(BaseModel):
    """A validated snapshot of the settings; :func:`load` reads it from the environment once.

    Every bound is checked: a value out of range is refused with one sentence naming the
    setting and its allowed range (:class:`~assetmap.errors.SettingsError`), never published.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Area counts from 1 to ``suppress_below - 1`` are published as "<N" (NHS Digital: 8);
    #: 1 publishes every count.
    suppress_below: int = Field(8, ge=1, le=100)
    #: Published counts at or above the threshold are rounded to the nearest multiple of this.
    round_to: int = Field(5, ge=1, le=1_000)
    #: Donut masking: a person's point is moved at least this far (metres) ...
    mask_min_m: float = Field(200.0, ge=0, le=10_000)
    #: ... and at most this far from their home.
    mask_max_m: float = Field(800.0, ge=1, le=20_000)
    #: How far a person is assumed to travel to a group, by default (km).
    max_travel_km: float = Field(3.0, gt=0, le=200)
    #: Size of the demo population.
    demo_people: int = Field(20_000, ge=500, le=1_000_000)
    #: Seed of the demo population (same seed, same people).
    demo_seed: int = Field(2021, ge=0, le=2**32 - 1)
    #: Rows per batch when writing to or reading from a store (:mod:`assetmap.batching`).
    batch_size: int = Field(5_000, ge=1, le=1_000_000)
    #: Largest file an importer reads, in bytes (2 GiB).
    import_max_bytes: int = Field(2 * 1024**3, ge=1, le=1024**4)
    #: Largest a zipped file (XLSX, zipped Shapefile) may unpack to, in bytes (512 MiB): checked
    #: from the zip's directory before anything is decompressed (spreadsheet bombs).
    import_max_unzipped_bytes: int = Field(512 * 1024**2, ge=1, le=1024**4)
    #: Most rows one imported sheet may hold.
    import_max_rows: int = Field(5_000_000, ge=1, le=1_000_000_000)
    #: Most characters one imported cell may hold (Excel's own limit is 32,767).
    import_max_cell_chars: int = Field(32_767, ge=1, le=10_000_000)
    #: A signed-in session ends after this many minutes without a click ...
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    #: ... and after this many hours in all, whatever happens.
    session_max_hours: int = Field(12, ge=1, le=24 * 31)
    #: How people sign in: "local" (accounts in the access database) or "oidc" (Streamlit's
    #: ``st.login`` with an ``[auth]`` section in its secrets; the account name must still exist).
    auth: Literal["local", "oidc"] = "local"
    #: Whether a Shared Lives arrangement counts with community ties for isolation (issue 17:
    #: the seed describes carers "sharing their own homes, family and community life").
    shared_lives_counts_as_community: bool = True
    #: How small area counts are protected: "suppress" (primary + secondary suppression, then
    #: rounding) or "round" (NHS Digital's rounding-only method); see governance/privacy.py.
    suppression: Literal["suppress", "round"] = "suppress"
    store_url: str = Field(default_factory=lambda: default_store_url())

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except PydanticValidationError as exc:
            raise SettingsError(_sentence(exc, values)) from None

    @field_validator("auth", "suppression", mode="before")
    @classmethod
    def _auth_words(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _mask_order(self) -> Settings:
        if self.mask_max_m < self.mask_min_m:
            raise ValueError("mask_max_m")
        return self


def env_name(field_name: str) -> str:
    """The environment variable that sets a field (``suppress_below`` -> ASSETMAP_SUPPRESS_BELOW;
    ``store_url`` is ASSETMAP_STORE)."""
    return "ASSETMAP_STORE" if field_name == "store_url" else f"ASSETMAP_{field_name.upper()}"


def allowed(field_name: str) -> str:
    """The allowed values of a setting in words ("a whole number from 1 to 100")."""
    info = Settings.model_fields[field_name]
    if info.annotation is str or field_name == "store_url":
        return "a store URL"
    if field_name == "auth":
        return "local or oidc"
    if field_name == "suppression":
        return "suppress or round"
    if info.annotation is bool:
        return "true or false"
    low: Any = None
    high: Any = None
    strict_low = False
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        elif isinstance(rule, annotated_types.Gt):
            low, strict_low = rule.gt, True
        elif isinstance(rule, annotated_types.Le):
            high = rule.le
    noun = "a whole number" if info.annotation is int else "a number"
    if strict_low:
        return f"{noun} above {low:,} and at most {high:,}"
    return f"{noun} from {low:,} to {high:,}"


def _sentence(exc: PydanticValidationError, values: dict[str, Any]) -> str:
    """One sentence for the first problem: the setting, its allowed range and the value given."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    if name not in Settings.model_fields:  # the cross-field rule: the mask's order
        return (f"The setting ASSETMAP_MASK_MAX_M ({values.get('mask_max_m', 800.0)}) must be at "
                f"least ASSETMAP_MASK_MIN_M ({values.get('mask_min_m', 200.0)}).")
    given = values.get(name)
    return (f"The setting {env_name(name)} must be {allowed(name)}; it is {given!r}, so assetmap "
            "stopped rather than use it.")


class _Environment(BaseSettings):
    """The raw ``ASSETMAP_*`` values (text; empty means unset), checked by :class:`Settings`."""

    model_config = SettingsConfigDict(env_prefix="ASSETMAP_", extra="ignore")

    suppress_below: str | None = None
    round_to: str | None = None
    mask_min_m: str | None = None
    mask_max_m: str | None = None
    max_travel_km: str | None = None
    demo_people: str | None = None
    demo_seed: str | None = None
    batch_size: str | None = None
    import_max_bytes: str | None = None
    import_max_unzipped_bytes: str | None = None
    import_max_rows: str | None = None
    import_max_cell_chars: str | None = None
    session_idle_minutes: str | None = None
    session_max_hours: str | None = None
    auth: str | None = None
    shared_lives_counts_as_community: str | None = None
    suppression: str | None = None


@functools.cache
def load() -> Settings:
    """The settings from the environment (``ASSETMAP_SUPPRESS_BELOW`` and friends), read and
    checked once per process; :func:`reset` reads them again (tests that change them)."""
    raw = _Environment().model_dump()
    return Settings(**{k: v.strip() for k, v in raw.items() if v is not None and v.strip()})


def reset() -> None:
    """Forget the settings read by :func:`load`, so the next call reads the environment again."""
    load.cache_clear()


def access_db_path(store_url: str | None = None) -> Path:
    """Where a SQLite store's accounts, caseloads, audit rows and tombstones live, and where
    any store's server key sits (``<path>.key``): ``ASSETMAP_ACCESS_DB``, else
    ``<store>.access.db`` beside a SQLite store, else a path per server and database
    (:func:`server_identity`, so two spellings of one server's URL share it) in :func:`data_dir`.
    A Neo4j store keeps the access data itself in its database (``AccessDB.for_store``)."""
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

    from assetmap.graph.store import public_url

    def keyed(text: str) -> Path:
        return data_dir() / f"access-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.db"

    path = keyed(server_identity(url))  # one server, one file, however its URL is spelt
    legacy = keyed(public_url(url))  # keyed by the URL's text before issue 16
    if legacy != path and not path.exists() and legacy.exists():
        # adopt it once: the key first, the database last (a crash between is picked up again)
        for suffix in (".key", "-wal", "-shm", ""):
            old = legacy.with_name(legacy.name + suffix)
            if old.exists():
                os.replace(old, path.with_name(path.name + suffix))
    return path


def server_identity(url: str) -> str:
    """A store URL's server and database in one canonical spelling, never its credentials:
    ``bolt://``/``neo4j://`` (and ``+s``) alike, host lower-cased with loopback
    (``localhost``, ``127.0.0.1``, ``::1``) as ``localhost``, port 7687 unless given, and the
    database from the path, ``?database=`` or ``ASSETMAP_NEO4J_DATABASE``. Other URLs as given,
    less credentials. (Host names are not looked up: two DNS names of one server differ.)"""
    import ipaddress
    from urllib.parse import parse_qsl, urlsplit

    from assetmap.graph.store import public_url

    try:
        parts = urlsplit(url)
        if parts.scheme.lower().split("+")[0] not in ("bolt", "neo4j"):
            return public_url(url)
        host = (parts.hostname or "localhost").lower().rstrip(".")
        port = parts.port or 7687
    except ValueError:  # a malformed port: keyed by the text, as before
        return public_url(url)
    try:
        ip = ipaddress.ip_address(host)
        host = "localhost" if ip.is_loopback else ip.compressed
    except ValueError:
        pass
    database = (parts.path.strip("/") or dict(parse_qsl(parts.query)).get("database")
                or os.environ.get("ASSETMAP_NEO4J_DATABASE") or "")
    return f"neo4j://{host}:{port}/{database}"
