"""The demo area: Trafford's real wards, postcodes and community assets, with a synthetic
population (no real person's data), built into a store in one transaction."""

from __future__ import annotations

import time
from pathlib import Path

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import StoreError
from assetmap.graph.store import GraphStore, open_store, store_summary


def demo_is_built(store: GraphStore) -> bool:
    """Whether the store already holds a demo area (areas, assets and people)."""
    return store.count(vocab.PERSON) > 0 and store.count(vocab.AREA) > 0


def build_demo(store: GraphStore, people: int | None = None, seed: int | None = None) -> dict:
    """Fill an empty store with the Trafford demo area; return what it holds and the time taken.

    A store that already holds the demo is left alone (``built`` is False in the result).
    """
    from assetmap.demo import synthetic

    conf = _settings.load()
    people = conf.demo_people if people is None else people
    seed = conf.demo_seed if seed is None else seed
    if demo_is_built(store):
        return {"built": False, "seconds": 0.0, **store_summary(store)}
    if store.count() > 0:
        raise StoreError("The store already holds other data; build the demo into an empty store "
                         "(use --rebuild or another --store).")
    start = time.perf_counter()
    synthetic.populate(store, people=people, seed=seed, batch_size=conf.batch_size)
    return {"built": True, "seconds": round(time.perf_counter() - start, 2),
            **store_summary(store)}


def reset_sqlite(url: str) -> None:
    """Delete a SQLite store's files so the demo can be built afresh (embedded store only)."""
    if not url.startswith("sqlite:///"):
        raise StoreError("--rebuild only works on the embedded SQLite store; use an empty "
                         "database on other stores.")
    path = Path(url[len("sqlite:///"):])
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def open_demo(url: str | None = None, people: int | None = None, seed: int | None = None,
              rebuild: bool = False) -> tuple[GraphStore, dict]:
    """Open (and if needed build) the demo store at ``url``; return it with the build summary."""
    url = url or _settings.default_store_url()
    if rebuild:
        reset_sqlite(url)
    store = open_store(url)
    try:
        return store, build_demo(store, people=people, seed=seed)
    except BaseException:
        store.close()
        raise
