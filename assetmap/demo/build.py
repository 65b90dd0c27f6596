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
    from assetmap.demo.outcomes import add_outcomes

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
    import_demo_boundaries(store)
    keep_demo_postcodes(store)
    add_outcomes(store, seed=seed)  # synthetic baselines, follow-ups and ratings (issue 18)
    return {"built": True, "seconds": round(time.perf_counter() - start, 2),
            **store_summary(store)}


#: What the demo holds beyond its boundaries, with the attribution each licence asks for.
DEMO_SOURCES: tuple[tuple[str, str, str, str], ...] = (
    ("postcodes", "ONS Postcode Directory via Trafford Data Lab",
     "Open Government Licence v3.0; contains OS data © Crown copyright and database right 2025",
     "Trafford postcode centroids and look-ups"),
    ("demo", "ONS Census 2021 via Trafford Data Lab",
     "Open Government Licence v3.0; contains National Statistics data © Crown copyright 2025",
     "Census 2021 unpaid care, disability, health and population by 2022 ward and 2021 LSOA "
     "(shapes the synthetic population)"),
    ("demo", "Trafford Data Lab, NHS, Charity Commission, OpenStreetMap",
     "Open Government Licence v3.0 / ODbL",
     "Community assets (GP practices, libraries, places of worship, sports clubs, charities…)"),
    ("demo", "assetmap synthetic population", "no real person's data",
     "Synthetic people, carers and ties"),
)
BOUNDARY_SOURCE = "ONS / Trafford Data Lab boundaries (Trafford)"
BOUNDARY_LICENCE = ("Open Government Licence v3.0; contains National Statistics data © Crown "
                    "copyright and database right 2025")


def import_demo_boundaries(store: GraphStore) -> list:
    """Write Trafford's boundaries into the store through the same import a council uses
    (:func:`assetmap.ingest.boundaries.import_boundaries`), and record the demo's sources.

    The borough, its 2023 wards (in the borough) and 2021 LSOAs (each keeps the ward the demo
    gave it from the postcode look-up). Returns the import reports."""
    from assetmap.demo import trafford
    from assetmap.graph.store.sources import record_source
    from assetmap.ingest.boundaries import import_boundaries

    reports = []
    for level, vintage, parent in (("la", "2023", None), ("ward", "2023", trafford.LA_CODE),
                                   ("lsoa", "2021", None)):
        path = trafford.DATA_DIR / trafford.BOUNDARY_FILES[level]
        reports.append(import_boundaries(
            store, path, level=level, vintage=vintage, parent=parent,
            code_column="area_code", name_column="area_name",
            source=BOUNDARY_SOURCE, licence=BOUNDARY_LICENCE))
    with store.transaction():
        for imported, source, licence, data in DEMO_SOURCES:
            record_source(store, imported, source, licence, data=data)
    return reports


def keep_demo_postcodes(store: GraphStore) -> int:
    """Keep Trafford's postcode lookup in the store, as ``assetmap import postcodes`` would, so
    people later imported into the demo are placed and ``find --near POSTCODE`` works. The
    synthetic people are already placed; they are not moved. Returns how many were kept."""
    from assetmap.demo import trafford
    from assetmap.ingest.postcodes import PostcodeLookup

    table = PostcodeLookup.from_csv(trafford.DATA_DIR / trafford.POSTCODE_FILE)
    return table.save(store)


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
