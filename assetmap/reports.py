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
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.counts import area_frame, roll_up
from assetmap.governance import privacy
from assetmap.graph import analysis
from assetmap.graph.analysis.carer_readiness import carer_readiness_by_area
from assetmap.graph.analysis.carers import carer_gaps_snapshot
from assetmap.graph.analysis.isolation import isolation_levels
from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
from assetmap.graph.analysis.provision import provision_gaps_snapshot
from assetmap.graph.analysis.resilience import (
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


def counts_by_area(rows: pd.DataFrame, G: nx.MultiDiGraph, level: str, column: str,
                   categories: list[str] | None = None) -> pd.DataFrame:
    """Raw counts of ``rows`` (each with an ``area``) per area of ``level`` and value of
    ``column``: ``area_code``, ``area_name``, then one column per category (every area of the
    level appears, with zeros). For use inside the app; publish before anything leaves it."""
    areas = _area_table(G)
    up = roll_up(areas, level)
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    placed = pd.DataFrame({"area": rows["area"].map(up), "category": rows[column]}).dropna()
    counts = placed.groupby(["area", "category"]).size().unstack(fill_value=0)
    categories = categories if categories is not None else sorted(placed["category"].unique())
    codes = sorted(areas.loc[areas["level"] == level, "area_code"])
    counts = counts.reindex(index=codes, columns=categories, fill_value=0).astype(int)
    table = pd.DataFrame({"area_code": codes, "area_name": [names.get(c, c) for c in codes]})
    for category in categories:
        table[category] = counts[category].to_numpy()
    return table


def isolation_by_area(G: nx.MultiDiGraph, level: str = "ward",
                      conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of people at each isolation level per area (no person appears)."""
    conf = conf or _settings.load()
    rows = (isolation_levels(G) if isinstance(G, Snapshot) else analysis.isolated_people(G))
    table = counts_by_area(rows, G, level, "level", analysis_levels())
    table["people"] = table[analysis_levels()].sum(axis=1)
    # Every level of area, every isolation level and the totals protected together (and as the
    # Map publishes them), so no two outputs can be differenced (issue 15).
    areas = _area_table(G)
    linked = privacy.publish_isolation_counts(
        _per_smallest_area(rows, "level", analysis_levels(), areas), areas, conf)
    return _publish_linked(table, [*analysis_levels(), "people"], linked, conf)


def _per_smallest_area(rows: pd.DataFrame, column: str, categories: list[str],
                       areas: pd.DataFrame) -> pd.DataFrame:
    """Raw counts of ``rows`` per the area each is in (smallest area) and ``column`` value."""
    known = rows[rows["area"].isin(set(areas["area_code"]))]
    counts = pd.crosstab(known["area"], known[column]) if len(known) else pd.DataFrame()
    return counts.reindex(columns=categories, fill_value=0).fillna(0).astype(int)


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


def analyse(G: nx.MultiDiGraph, out_dir: str | Path, *, areas: gpd.GeoDataFrame,
            level: str = "ward", conf: _settings.Settings | None = None,
            weights: dict[str, float] | None = None) -> dict[str, Path]:
    """Run every analysis on ``G`` and write the shareable results into ``out_dir``.

    ``areas`` are the boundaries for the provision-gap map (LSOAs give the finest picture);
    ``weights`` how much each rated provider counts (:func:`assetmap.ratings.provision_weights`).
    Returns file name -> path of what was written.
    """
    conf = conf or _settings.load()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def write_csv(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        privacy.neutralise_csv(frame).to_csv(path, index=False)
        written[name] = path

    write_csv("isolation_by_area.csv", isolation_by_area(G, level, conf))

    fast = isinstance(G, Snapshot)  # the columnar path: the same files, byte for byte
    if areas is None or areas.empty:  # no boundaries imported: an empty gap table, no crash
        from assetmap.graph.analysis.provision import COLUMNS as GAP_COLUMNS

        gaps = gpd.GeoDataFrame({c: [] for c in GAP_COLUMNS if c != "geometry"},
                                geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    else:
        gaps = (provision_gaps_snapshot(G, areas, weights=weights) if fast
                else analysis.provision_gaps(G, areas, weights=weights))
    gaps_out = publish_gap_counts(gaps.drop(columns=["reasons"]),
                                  provision_gap_texts(G, gaps, conf), conf)
    for column in GAP_COUNTS:
        gaps_out[f"{column}_map"] = gaps_out[column].map(_shade_int)
    write_csv("provision_gaps.csv", pd.DataFrame(gaps_out.drop(columns="geometry")))
    geo_path = out / "provision_gaps.geojson"
    gpd.GeoDataFrame(gaps_out, geometry="geometry", crs=gaps.crs).to_file(
        geo_path, driver="GeoJSON")
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

    written = analyse(G, out_dir, areas=boundaries, level=level,
                      weights=provision_weights(store))
    counted = area_store.areas(store, level)
    return {"files": written, "people": people, "unplaced": people_not_placed(G, level),
            "boundary_level": finest if levels else None,
            "vintage": area_store.vintage_label(counted if not counted.empty else boundaries),
            "areas": int((_area_table(G)["level"] == level).sum())}
