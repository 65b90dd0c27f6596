"""Area boundaries as the store keeps them: the one way any map, report or page gets polygons.

Each Area node carries its polygon as GeoJSON text in the ``geometry`` prop (WGS84, coordinates
rounded to 6 decimals, about 10 cm), with ``level``, ``parent``, ``vintage`` and ``source``. So
the boundaries live in the store itself (SQLite and Neo4j alike): ``assetmap copy``, a backup of
the store and an erasure treat them like every other record, and no file beside the store can
drift from it. Boundaries get in through :func:`assetmap.ingest.boundaries.import_boundaries`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import pandas as pd

from assetmap import vocab
from assetmap.graph.store import GraphStore

#: The Area prop holding the polygon (GeoJSON text).
GEOMETRY_PROP = "geometry"
#: Columns of :func:`areas`, in order.
COLUMNS: list[str] = ["area_code", "area_name", "level", "parent", "vintage", "source",
                      "geometry"]
#: Levels from the finest to the coarsest (how areas nest).
LEVEL_ORDER: tuple[str, ...] = ("lsoa", "msoa", "ward", "locality", "la")
#: Words for each level on pages and in reports.
LEVEL_LABELS: dict[str, str] = {"lsoa": "Neighbourhoods (LSOAs)", "msoa": "MSOAs",
                                "ward": "Wards", "locality": "Localities", "la": "Local authority"}


def _rounded(coords: Any) -> Any:
    if isinstance(coords, list | tuple):
        if coords and isinstance(coords[0], int | float):
            return [round(float(c), 6) for c in coords]
        return [_rounded(c) for c in coords]
    return coords


def geometry_text(geom: Any) -> str:
    """A shapely geometry as compact GeoJSON text (coordinates rounded to 6 decimals)."""
    mapping = geom.__geo_interface__
    return json.dumps({"type": mapping["type"], "coordinates": _rounded(mapping["coordinates"])},
                      separators=(",", ":"))


def parse_geometry(text: Any) -> Any:
    """The shapely geometry of an Area's ``geometry`` prop, or None when it has none."""
    if not text or not isinstance(text, str):
        return None
    from shapely.geometry import shape

    try:
        return shape(json.loads(text))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[:-1]},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def areas_from_nodes(nodes: Iterable[Any]) -> gpd.GeoDataFrame:
    """The areas frame (see :func:`areas`) from Area nodes, keeping those with a polygon."""
    rows = []
    for node in nodes:
        geom = parse_geometry(node.props.get(GEOMETRY_PROP))
        if geom is None:
            continue
        rows.append({"area_code": node.id, "area_name": node.name or node.id,
                     "level": node.props.get("level"), "parent": node.props.get("parent"),
                     "vintage": node.props.get("vintage"), "source": node.props.get("source"),
                     "geometry": geom})
    if not rows:
        return _empty()
    frame = gpd.GeoDataFrame(rows, columns=COLUMNS, geometry="geometry", crs="EPSG:4326")
    return frame.sort_values("area_code").reset_index(drop=True)


def areas(store: GraphStore, level: str | None = None) -> gpd.GeoDataFrame:
    """The store's area boundaries (of one ``level``, or all): ``area_code``, ``area_name``,
    ``level``, ``parent``, ``vintage``, ``source`` and ``geometry`` (EPSG:4326), sorted by code.

    An empty frame (same columns) when the store holds no boundaries: callers show what to
    import instead of a map, never crash.
    """
    found = store.find(vocab.AREA, level=level) if level else store.find(vocab.AREA)
    return areas_from_nodes(found)


def area_levels(store: GraphStore) -> list[str]:
    """Levels that have boundaries in the store, finest first (e.g. ``["lsoa", "ward"]``)."""
    present = {n.props.get("level") for n in store.find(vocab.AREA)
               if n.props.get(GEOMETRY_PROP)}
    return [lv for lv in LEVEL_ORDER if lv in present]


def has_boundaries(store: GraphStore, level: str | None = None) -> bool:
    """Whether the store holds any area polygon (of ``level``)."""
    found = store.find(vocab.AREA, level=level) if level else store.find(vocab.AREA)
    return any(n.props.get(GEOMETRY_PROP) for n in found)


def vintage_label(frame: Any) -> str:
    """The boundary vintage(s) of an areas frame as words: "2013 boundaries", "2021 and 2023
    boundaries", or "" when none is recorded (labels maps and tables: names differ by year)."""
    if frame is None or "vintage" not in getattr(frame, "columns", ()):
        return ""
    years = sorted({str(v) for v in frame["vintage"] if v is not None and str(v) != "nan"})
    if not years:
        return ""
    return " and ".join(years) + " boundaries"


#: Said where the areas' boundary year is not recorded (every figure by area names its year).
UNKNOWN_VINTAGE = "boundary year not recorded"


def level_label(level: str, frame: Any = None, vintage: str | None = None) -> str:
    """A level's words with the boundary vintage, for every figure by area: "Wards (2013
    boundaries)", or "Wards (boundary year not recorded)". ``vintage`` (words from
    :func:`vintage_label`) stands in for ``frame`` where the caller has them already."""
    words = LEVEL_LABELS.get(level, level.capitalize())
    vintage = vintage if vintage is not None else vintage_label(frame)
    return f"{words} ({vintage or UNKNOWN_VINTAGE})"


def import_hint(level: str | None = None) -> str:
    """What to run when a store has no boundaries (shown instead of a map)."""
    what = f"{LEVEL_LABELS.get(level, level).lower()} " if level else ""
    return (f"This store holds no {what}boundaries yet, so there is nothing to draw. Import "
            "them with `assetmap import boundaries wards.geojson` (and your LSOAs the same way; "
            "they nest in wards by geometry), or build the demo with `assetmap demo`.")


def areas_from_graph(G: Any, level: str | None = None) -> gpd.GeoDataFrame:
    """The areas frame (see :func:`areas`) from a networkx graph whose Area nodes carry their
    ``geometry``. Stores may leave polygons out of ``to_networkx`` (they are big): pages read
    boundaries with :func:`areas` instead; this serves graphs built by hand."""
    from assetmap.model import Node

    nodes = (Node(i, vocab.AREA, d.get("name") or "", props=d)
             for i, d in G.nodes(data=True) if d.get("kind") == vocab.AREA
             and (level is None or d.get("level") == level))
    return areas_from_nodes(nodes)


def area_shape(store: GraphStore, code: str | None) -> Any:
    """One area's polygon (shapely), or None when the store has no such area or no polygon for
    it: the Person page outlines a person's neighbourhood with it (never their home)."""
    if not code:
        return None
    from assetmap.errors import NotFoundError

    try:
        node = store.get(code)
    except NotFoundError:
        return None
    return parse_geometry(node.props.get(GEOMETRY_PROP)) if node.kind == vocab.AREA else None
