"""Area reports a hub or commissioner can be given: every analysis result, made safe to share.

``analyse`` runs the analysis over a graph and writes each result as CSV (and GeoJSON where it is
spatial). Everything written is at area or asset level: no person ids, names or points; every
count of people goes through :mod:`assetmap.governance.privacy` (small numbers suppressed, others
rounded),
and text cells cannot be read as spreadsheet formulas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.counts import area_frame, roll_up
from assetmap.governance import privacy
from assetmap.graph import analysis
from assetmap.graph.analysis.carer_readiness import carer_readiness_by_area
from assetmap.graph.analysis.carers import carer_gaps_snapshot
from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
from assetmap.graph.analysis.provision import provision_gaps_snapshot
from assetmap.graph.analysis.resilience import (
    bridging_people_by_area,
    disconnected_clusters_snapshot,
    keystone_assets_snapshot,
)
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store import GraphStore
from assetmap.graph.store import areas as area_store

#: Files ``analyse`` writes, in order, with what each holds.
REPORT_FILES: dict[str, str] = {
    "isolation_by_area.csv": "people at each isolation level, per area",
    "provision_gaps.csv": "per area and need: people with the need, providers in reach, gaps",
    "provision_gaps.geojson": "the same, with area boundaries, ready to map",
    "carer_support_gaps_by_area.csv": "carers without support, cared-for people without back-up",
    "carer_readiness_by_area.csv": "carers without training, equipment, an emergency plan or "
                                   "respite, per area",
    "keystone_assets.csv": "groups and organisations ranked by what their closure would do",
    "pooling_opportunities.csv": "shared goals where budget holders live near each other",
    "disconnected_clusters.csv": "groups of people with no path to a clinician or hub",
    "bridging_people_by_area.csv": "people who are the only bridge between parts of the "
                                   "network, per area, as bands (never a name)",
}


def area_boundaries(store: GraphStore, level: str = "ward") -> gpd.GeoDataFrame:
    """The store's boundaries at ``level`` (from :func:`assetmap.graph.store.areas.areas`, the
    only source of polygons): ``area_code``, ``area_name``, ``level``, ``vintage``,
    ``geometry``; empty when none were imported."""
    return area_store.areas(store, level)


def people_not_placed(G: nx.MultiDiGraph, level: str = "ward") -> dict[str, int]:
    """How many people are in no area at all, and in no area of ``level`` (their area does not
    nest in one): raw counts for a warning (publish them before they leave the app)."""
    areas = _area_table(G)
    up = roll_up(areas, level)
    known = set(areas["area_code"])
    no_area = not_in_level = 0
    for area in _person_areas(G):
        if area is None or area not in known:
            no_area += 1
        elif area not in up:
            not_in_level += 1
    return {"no_area": no_area, "not_in_level": not_in_level}


def _area_table(G: Any) -> pd.DataFrame:
    # a columnar snapshot (assetmap analyse) or a networkx graph: the same table
    return G.area_frame() if isinstance(G, Snapshot) else area_frame(G)


def _person_areas(G: Any) -> list[str | None]:
    if isinstance(G, Snapshot):
        return [G.area[i] for i in G.is_person.nonzero()[0].tolist()]
    return [d.get("area") for _, d in G.nodes(data=True) if d.get("kind") == vocab.PERSON]


def _publish(frame: pd.DataFrame, columns: list[str],
             conf: _settings.Settings) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = privacy.suppress_counts(out[column], conf)
    return out


def _factor(values: Any, categories: list[Any] | None = None) -> tuple[np.ndarray, list[Any]]:
    """Codes of ``values`` (-1 for missing or, with ``categories``, anything not in them) and
    the categories they index: counting by integers, not by pandas groups (issue 13)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    found = uniques.tolist()
    if categories is None:
        return codes, found
    at = {c: i for i, c in enumerate(categories)}
    remap = np.array([at.get(u, -1) for u in found] + [-1], dtype=np.int64)
    return remap[codes], list(categories)


def counts_by_area(rows: pd.DataFrame, G: nx.MultiDiGraph, level: str, column: str,
                   categories: list[str] | None = None) -> pd.DataFrame:
    """Raw counts of ``rows`` (each with an ``area``) per area of ``level`` and value of
    ``column``: ``area_code``, ``area_name``, then one column per category (every area of the
    level appears, with zeros). For use inside the app; publish before anything leaves it."""
    areas = _area_table(G)
    up = roll_up(areas, level)
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    codes = sorted(areas.loc[areas["level"] == level, "area_code"])
    at = {c: i for i, c in enumerate(codes)}
    area_ids, smallest = _factor(rows["area"].to_numpy(dtype=object))
    target = np.array([at.get(up.get(a), -1) if isinstance(a, str) else -1
                       for a in smallest] + [-1], dtype=np.int64)[area_ids]
    cat_ids, found = _factor(rows[column].to_numpy(dtype=object))
    placed = (target >= 0) & (cat_ids >= 0)
    if categories is None:  # the categories of the placed rows, sorted
        categories = sorted(found[i] for i in np.unique(cat_ids[placed]).tolist())
    cat_ids, _ = _factor(rows[column].to_numpy(dtype=object), categories)
    placed &= cat_ids >= 0
    grid = np.bincount(target[placed] * len(categories) + cat_ids[placed],
                       minlength=len(codes) * len(categories)).reshape(len(codes),
                                                                       len(categories))
    table = pd.DataFrame({"area_code": codes, "area_name": [names.get(c, c) for c in codes]})
    for k, category in enumerate(categories):
        table[category] = grid[:, k].astype(int)
    return table


def isolation_by_area(G: nx.MultiDiGraph, level: str = "ward",
                      conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of people at each isolation level per area (no person appears)."""
    conf = conf or _settings.load()
    rows = _isolation_rows(G)
    table = counts_by_area(rows, G, level, "level", analysis_levels())
    table["people"] = table[analysis_levels()].sum(axis=1)
    # Every level of area, every isolation level and the totals protected together (and as the
    # Map publishes them), so no two outputs can be differenced (issue 15).
    areas = _area_table(G)
    linked = privacy.publish_isolation_counts(
        _per_smallest_area(rows, "level", analysis_levels(), areas), areas, conf)
    return _publish_linked(table, [*analysis_levels(), "people"], linked, conf)


def _isolation_rows(G: Any) -> pd.DataFrame:
    """Each person's ``area`` and isolation ``level``: on a snapshot straight from the shared
    tie counts (no ids, no sorting, no reasons: the area counts need none)."""
    if not isinstance(G, Snapshot):
        return analysis.isolated_people(G)
    from assetmap.graph.analysis import circles

    people = G.is_person.nonzero()[0]
    area = G.area
    return pd.DataFrame({
        "area": np.array([area[i] for i in people.tolist()], dtype=object),
        "level": np.array(circles.LEVELS, dtype=object)[G.counts.level[people]]})


def _per_smallest_area(rows: pd.DataFrame, column: str, categories: list[str],
                       areas: pd.DataFrame) -> pd.DataFrame:
    """Raw counts of ``rows`` per the area each is in (smallest area) and ``column`` value:
    one row per known area with any such row (sorted), one column per category."""
    known = set(areas["area_code"])
    area_ids, smallest = _factor(rows["area"].to_numpy(dtype=object))
    cat_ids, found = _factor(rows[column].to_numpy(dtype=object))
    keep = np.array([a in known for a in smallest] + [False], dtype=bool)[area_ids] \
        & (cat_ids >= 0)
    if not keep.any():
        return pd.DataFrame(0, index=pd.Index([], name="area"),
                            columns=pd.Index(categories, name=column), dtype=int)
    order = sorted(set(np.unique(area_ids[keep]).tolist()), key=lambda i: smallest[i])
    row_of = np.full(len(smallest), -1, dtype=np.int64)
    row_of[order] = np.arange(len(order))
    cat_ids, _ = _factor(rows[column].to_numpy(dtype=object), categories)
    keep &= cat_ids >= 0
    grid = np.bincount(row_of[area_ids[keep]] * len(categories) + cat_ids[keep],
                       minlength=len(order) * len(categories)).reshape(len(order),
                                                                       len(categories))
    return pd.DataFrame(grid.astype(int), index=pd.Index([smallest[i] for i in order],
                                                         name="area"),
                        columns=pd.Index(categories, name=column))


def _publish_linked(table: pd.DataFrame, columns: list[str],
                    linked: dict[tuple[str, str], str], conf: _settings.Settings
                    ) -> pd.DataFrame:
    """A raw table's count columns as published by a linked protection (one text per area and
    column); anything the protection did not cover is published on its own."""
    out = table.copy()
    for column in columns:
        out[column] = [linked.get((str(code), column)) or privacy.publish_count(int(n), conf)
                       for code, n in zip(table["area_code"], table[column], strict=True)]
    return out


#: The counts of people in a provision-gap row (published together across levels).
GAP_COUNTS: list[str] = [privacy.GAP_WITH_NEED, privacy.GAP_WITHOUT_PROVIDER]


def provision_gap_texts(G: Any, finest: pd.DataFrame, conf: _settings.Settings | None = None
                        ) -> dict[tuple[str, str, str], str]:
    """The provision-gap counts of every area at every level, as published
    (:func:`assetmap.governance.privacy.publish_provision_counts`), from the raw gap table at
    the finest level of boundaries (``finest``): ``analyse`` and the Gaps page both call it, so
    every table and download of provision gaps shows the same protected text."""
    return privacy.publish_provision_counts(finest, _area_table(G), conf)


def publish_gap_counts(gaps: pd.DataFrame, texts: dict[tuple[str, str, str], str],
                       conf: _settings.Settings | None = None) -> pd.DataFrame:
    """A raw provision-gap table (any level) with its counts of people as published (from
    :func:`provision_gap_texts`; an area outside it on its own) and the median distance kept
    only where the count of people with the need is shown as a number (a median over a
    handful of people would say where they live, and a blank beside a hidden "*" would tell
    a small count from a large one)."""
    conf = conf or _settings.load()
    out = gaps.copy()
    for column in GAP_COUNTS:
        out[column] = [texts.get((str(a), str(n), column)) or privacy.publish_count(int(v), conf)
                       for a, n, v in zip(gaps["area_code"], gaps["need"], gaps[column],
                                          strict=True)]
    if "median_nearest_km" in out.columns:
        shown = out[privacy.GAP_WITH_NEED].map(lambda t: str(t).isdigit() and str(t) != "0")
        out["median_nearest_km"] = out["median_nearest_km"].where(shown.astype(bool))
    return out


def _shade_int(text: str) -> int | None:
    value = privacy.shade_value(text)
    return None if value is None else int(value)


def analysis_levels() -> list[str]:
    """The isolation levels, worst first (as ``isolated_people`` names them)."""
    return ["isolated", "service-only", "at risk", "some support", "well connected"]


def carer_gaps_by_area(G: nx.MultiDiGraph, level: str = "ward",
                       conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of carers without support and cared-for people without back-up."""
    conf = conf or _settings.load()
    rows = (carer_gaps_snapshot(G) if isinstance(G, Snapshot)
            else analysis.carer_support_gaps(G))
    table = counts_by_area(rows, G, level, "gap")
    # Each kind of gap at every level of area at once (ward and LSOA cannot be differenced).
    areas = _area_table(G)
    kinds = list(table.columns[2:])
    per_area = _per_smallest_area(rows, "gap", kinds, areas)
    linked: dict[tuple[str, str], str] = {}
    for kind in kinds:
        linked.update(privacy.publish_people_counts(per_area[kind], areas, kind, conf))
    return _publish_linked(table, kinds, linked, conf)


def _position_text(coords: Any) -> str:
    if coords and isinstance(coords[0], (int, float)):
        return "[ " + ", ".join(repr(float(v)) for v in coords) + " ]"
    return "[ " + ", ".join(_position_text(c) for c in coords) + " ]"


def _json_text(value: Any) -> str:
    """One property value as GeoJSON text (NaN and missing as null)."""
    if value is None or value is pd.NA:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "null" if value != value else repr(float(value))
    import json

    return json.dumps(str(value), ensure_ascii=False)


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path, name: str | None = None) -> None:
    """Write polygons and their columns as GeoJSON in the layout GDAL writes (one feature a
    line, the CRS84 name), each distinct geometry's text made once: a gap table repeats every
    area's polygon once per need, and GDAL formatted each copy again (issue 13). Coordinates
    are Python's shortest round-trip text of the same numbers. Anything but (multi)polygons in
    WGS84 goes to GDAL as before."""
    import json

    path = Path(path)
    geoms = frame.geometry
    kinds = set(geoms.geom_type.dropna().unique())
    if (frame.crs is None or frame.crs.to_epsg() != 4326
            or not kinds <= {"Polygon", "MultiPolygon"}):
        frame.to_file(path, driver="GeoJSON")
        return
    import shapely
    from shapely.geometry import mapping

    made: dict[bytes, str] = {}
    keys = shapely.to_wkb(geoms.array)  # one C pass; equal polygons share one text

    def geometry_text(geom: Any, key: bytes) -> str:
        if geom is None or geom.is_empty:
            return "null"
        if key not in made:
            shape = mapping(geom)
            made[key] = (f'{{ "type": "{shape["type"]}", "coordinates": '
                         f'{_position_text(shape["coordinates"])} }}')
        return made[key]

    columns = [c for c in frame.columns if c != frame.geometry.name]
    lines = []
    names = [json.dumps(str(c), ensure_ascii=False) + ": " for c in columns]
    cells = [[_json_text(x) for x in frame[c].tolist()] for c in columns]
    shapes = geoms.tolist()
    for i, geom in enumerate(shapes):
        props = ", ".join(n + v[i] for n, v in zip(names, cells, strict=True))
        lines.append(f'{{ "type": "Feature", "properties": {{ {props} }}, '
                     f'"geometry": {geometry_text(geom, keys[i])} }}')
    head = ('{\n"type": "FeatureCollection",\n'
            f'"name": {json.dumps(name or path.stem, ensure_ascii=False)},\n'
            '"crs": { "type": "name", "properties": { "name": '
            '"urn:ogc:def:crs:OGC:1.3:CRS84" } },\n"features": [\n')
    path.write_text(head + ",\n".join(lines) + "\n]\n}\n", encoding="utf-8")


#: The column every ``*_by_area.csv`` carries third, after the area's code and name: which
#: areas and which boundary year ("Wards (2023 boundaries)"), as the app's downloads label it.
BOUNDARIES_COLUMN = "Boundaries"


def boundaries_label(areas: Any, level: str) -> str:
    """The words for ``level``'s areas and boundary year from an areas frame (its rows of
    ``level`` where it has any, else all of it): "Wards (2023 boundaries)", or "Wards (boundary
    year not recorded)"."""
    frame = areas
    if areas is not None and "level" in getattr(areas, "columns", ()):
        own = areas[areas["level"] == level]
        frame = own if not own.empty else areas
    return area_store.level_label(level, frame)


def analyse(G: nx.MultiDiGraph, out_dir: str | Path, *, areas: gpd.GeoDataFrame,
            level: str = "ward", conf: _settings.Settings | None = None,
            weights: dict[str, float] | None = None,
            boundaries: str | None = None) -> dict[str, Path]:
    """Run every analysis on ``G`` and write the shareable results into ``out_dir``.

    ``areas`` are the boundaries for the provision-gap map (LSOAs give the finest picture);
    ``weights`` how much each rated provider counts (:func:`assetmap.ratings.provision_weights`);
    ``boundaries`` the words for the counted areas and their boundary year, written in every
    ``*_by_area.csv`` (default: from ``areas``, :func:`boundaries_label`).
    Returns file name -> path of what was written.
    """
    conf = conf or _settings.load()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    which = boundaries if boundaries is not None else boundaries_label(areas, level)

    def write_csv(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        if name.endswith("_by_area.csv"):  # names and codes differ by boundary year (issue 17)
            frame = frame.copy()
            frame.insert(2, BOUNDARIES_COLUMN, which)
        privacy.neutralise_csv(frame).to_csv(path, index=False)
        written[name] = path

    write_csv("isolation_by_area.csv", isolation_by_area(G, level, conf))

    fast = isinstance(G, Snapshot)  # the columnar path: the same files, byte for byte
    if areas is None or areas.empty:  # no boundaries imported: an empty gap table, no crash
        from assetmap.graph.analysis.provision import COLUMNS as GAP_COLUMNS

        gaps = gpd.GeoDataFrame({c: [] for c in GAP_COLUMNS if c != "geometry"},
                                geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    else:
        gaps = (provision_gaps_snapshot(G, areas, weights=weights, reasons=False) if fast
                else analysis.provision_gaps(G, areas, weights=weights))
    gaps_out = publish_gap_counts(gaps.drop(columns=["reasons"]),
                                  provision_gap_texts(G, gaps, conf), conf)
    for column in GAP_COUNTS:
        gaps_out[f"{column}_map"] = gaps_out[column].map(_shade_int)
    write_csv("provision_gaps.csv", pd.DataFrame(gaps_out.drop(columns="geometry")))
    geo_path = out / "provision_gaps.geojson"
    write_geojson(gpd.GeoDataFrame(gaps_out, geometry="geometry", crs=gaps.crs), geo_path)
    written["provision_gaps.geojson"] = geo_path

    write_csv("carer_support_gaps_by_area.csv", carer_gaps_by_area(G, level, conf))
    write_csv("carer_readiness_by_area.csv", carer_readiness_by_area(G, level, conf))

    keystones = keystone_assets_snapshot(G) if fast else analysis.keystone_assets(G)
    people_columns = ["people_tied", "lose_only_community_tie", "level_drops", "lose_hub_path"]
    write_csv("keystone_assets.csv",
              _publish(keystones.drop(columns=["reasons"]), people_columns, conf))

    pools = (pooling_opportunities_snapshot(G) if fast
             else analysis.pooling_opportunities(G))
    # Only groups of at least the threshold of people, and not where they live or how far
    # apart (issue 15: a small group of budget holders is identifiable).
    pools_out = pools[pools["people"] >= conf.suppress_below].drop(
        columns=["members", "reasons", "areas", "max_km_apart"], errors="ignore")
    write_csv("pooling_opportunities.csv", _publish(pools_out, ["people"], conf))

    clusters = (disconnected_clusters_snapshot(G) if fast
                else analysis.disconnected_clusters(G))
    clusters_out = clusters.drop(columns=["members", "reasons"], errors="ignore")
    write_csv("disconnected_clusters.csv", _publish(clusters_out, ["people"], conf))
    # the cut points' own counts per area, banded like keystones' (issue 17 item 5)
    write_csv("bridging_people_by_area.csv", bridging_people_by_area(G, level, conf))
    return written


def analyse_store(store: GraphStore, out_dir: str | Path, *, level: str = "ward",
                  area: str | None = None) -> dict[str, Any]:
    """``assetmap analyse``: read the store (or one area of it), analyse, write the reports.

    The result also says how many people are in no area (``unplaced``, raw: publish before
    showing), the boundaries used for the gap map and their vintage."""
    G = Snapshot.from_store(store, area=area)  # columns into arrays, read once (issue 13)
    people = int(G.is_person.sum())
    if not people:
        from assetmap.errors import AssetmapError

        raise AssetmapError("The store holds no people to analyse yet.")
    levels = area_store.area_levels(store)
    finest = levels[0] if levels else level
    boundaries = area_store.areas(store, finest)
    from assetmap.ratings import provision_weights

    counted = area_store.areas(store, level)
    written = analyse(G, out_dir, areas=boundaries, level=level,
                      weights=provision_weights(store),
                      boundaries=area_store.level_label(
                          level, counted if not counted.empty else boundaries))
    return {"files": written, "people": people, "unplaced": people_not_placed(G, level),
            "boundary_level": finest if levels else None,
            "vintage": area_store.vintage_label(counted if not counted.empty else boundaries),
            "areas": int((_area_table(G)["level"] == level).sum())}
