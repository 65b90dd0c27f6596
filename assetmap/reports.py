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
from assetmap.governance import privacy
from assetmap.graph import analysis
from assetmap.graph.store import GraphStore
from assetmap.render.maps import area_frame, roll_up

#: Files ``analyse`` writes, in order, with what each holds.
REPORT_FILES: dict[str, str] = {
    "isolation_by_area.csv": "people at each isolation level, per area",
    "provision_gaps.csv": "per area and need: people with the need, providers in reach, gaps",
    "provision_gaps.geojson": "the same, with area boundaries, ready to map",
    "carer_support_gaps_by_area.csv": "carers without support, cared-for people without back-up",
    "keystone_assets.csv": "groups and organisations ranked by what their closure would do",
    "pooling_opportunities.csv": "shared goals where budget holders live near each other",
    "disconnected_clusters.csv": "groups of people with no path to a clinician or hub",
}


def area_boundaries(store: GraphStore, level: str = "ward") -> gpd.GeoDataFrame:
    """Boundaries of the store's areas at ``level``: imported ones, else the Trafford demo's."""
    from assetmap.demo.trafford import boundaries as trafford_boundaries
    from assetmap.ingest.boundaries import load_area_geometries

    saved = load_area_geometries(store)
    if saved is not None and (saved["level"] == level).any():
        frame = saved[saved["level"] == level].rename(
            columns={"area_id": "area_code", "name": "area_name"})
        return frame[["area_code", "area_name", "level", "geometry"]].reset_index(drop=True)
    return trafford_boundaries(level)


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
    areas = area_frame(G)
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
    table = counts_by_area(analysis.isolated_people(G), G, level, "level", analysis_levels())
    table["people"] = table[analysis_levels()].sum(axis=1)
    return _publish(table, [*analysis_levels(), "people"], conf)


def analysis_levels() -> list[str]:
    """The isolation levels, worst first (as ``isolated_people`` names them)."""
    return ["isolated", "service-only", "at risk", "connected"]


def carer_gaps_by_area(G: nx.MultiDiGraph, level: str = "ward",
                       conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of carers without support and cared-for people without back-up."""
    conf = conf or _settings.load()
    table = counts_by_area(analysis.carer_support_gaps(G), G, level, "gap")
    return _publish(table, list(table.columns[2:]), conf)


def analyse(G: nx.MultiDiGraph, out_dir: str | Path, *, areas: gpd.GeoDataFrame,
            level: str = "ward", conf: _settings.Settings | None = None) -> dict[str, Path]:
    """Run every analysis on ``G`` and write the shareable results into ``out_dir``.

    ``areas`` are the boundaries for the provision-gap map (LSOAs give the finest picture).
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

    gaps = analysis.provision_gaps(G, areas)
    gaps_out = gaps.drop(columns=["reasons"])
    count_columns = ["people_with_need", "people_without_provider"]
    for column in count_columns:
        gaps_out[f"{column}_map"] = gaps_out[column].map(lambda n: privacy.masked_count(n, conf))
    gaps_out = _publish(gaps_out, count_columns, conf)
    write_csv("provision_gaps.csv", pd.DataFrame(gaps_out.drop(columns="geometry")))
    geo_path = out / "provision_gaps.geojson"
    gpd.GeoDataFrame(gaps_out, geometry="geometry", crs=gaps.crs).to_file(
        geo_path, driver="GeoJSON")
    written["provision_gaps.geojson"] = geo_path

    write_csv("carer_support_gaps_by_area.csv", carer_gaps_by_area(G, level, conf))

    keystones = analysis.keystone_assets(G)
    people_columns = ["people_tied", "lose_only_community_tie", "level_drops", "lose_hub_path"]
    write_csv("keystone_assets.csv",
              _publish(keystones.drop(columns=["reasons"]), people_columns, conf))

    pools = analysis.pooling_opportunities(G)
    pools_out = pools.drop(columns=["members", "reasons"], errors="ignore")
    write_csv("pooling_opportunities.csv", _publish(pools_out, ["people"], conf))

    clusters = analysis.disconnected_clusters(G)
    clusters_out = clusters.drop(columns=["members", "reasons"], errors="ignore")
    write_csv("disconnected_clusters.csv", _publish(clusters_out, ["people"], conf))
    return written


def analyse_store(store: GraphStore, out_dir: str | Path, *, level: str = "ward",
                  area: str | None = None) -> dict[str, Any]:
    """``assetmap analyse``: read the store (or one area of it), analyse, write the reports."""
    G = store.to_networkx(area=area)
    if not any(d.get("kind") == vocab.PERSON for _, d in G.nodes(data=True)):
        from assetmap.errors import AssetmapError

        raise AssetmapError("The store holds no people to analyse yet.")
    written = analyse(G, out_dir, areas=area_boundaries(store, "lsoa"), level=level)
    return {"files": written, "people": sum(1 for _, d in G.nodes(data=True)
                                            if d.get("kind") == vocab.PERSON)}
