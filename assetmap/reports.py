"""Area reports a hub or commissioner can be given: every analysis result, made safe to share.

``analyse`` runs the analysis over a graph and writes each result as CSV (and GeoJSON where it is
spatial). Everything written is at area or asset level: no person ids, names or points; every
count of people goes through :mod:`assetmap.privacy` (small numbers suppressed, others rounded),
and text cells cannot be read as spreadsheet formulas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from assetmap import privacy, vocab
from assetmap import settings as _settings
from assetmap.graph import analysis
from assetmap.graph.store import GraphStore
from assetmap.maps import area_frame, roll_up

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
    from assetmap.ingest.boundaries import load_area_geometries
    from assetmap.ingest.trafford import boundaries as trafford_boundaries

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


def isolation_by_area(G: nx.MultiDiGraph, level: str = "ward",
                      conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of people at each isolation level per area (no person appears)."""
    conf = conf or _settings.load()
    people = analysis.isolated_people(G)
    areas = area_frame(G)
    up = roll_up(areas, level)
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    people = people.assign(area_code=people["area"].map(up))
    table = (people.dropna(subset=["area_code"])
             .pivot_table(index="area_code", columns="level", values="person_id",
                          aggfunc="count", fill_value=0))
    for lvl in analysis_levels():
        if lvl not in table.columns:
            table[lvl] = 0
    table = table[analysis_levels()].reset_index()
    table.columns.name = None
    table.insert(1, "area_name", table["area_code"].map(names))
    table["people"] = table[analysis_levels()].sum(axis=1)
    return _publish(table, [*analysis_levels(), "people"], conf)


def analysis_levels() -> list[str]:
    """The isolation levels, worst first (as ``isolated_people`` names them)."""
    return ["isolated", "service-only", "at risk", "connected"]


def carer_gaps_by_area(G: nx.MultiDiGraph, level: str = "ward",
                       conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts of carers without support and cared-for people without back-up."""
    conf = conf or _settings.load()
    gaps = analysis.carer_support_gaps(G)
    areas = area_frame(G)
    up = roll_up(areas, level)
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    table = pd.DataFrame({"area_code": sorted(areas.loc[areas["level"] == level, "area_code"])})
    table["area_name"] = table["area_code"].map(names)
    if len(gaps):
        counts = (gaps.assign(area_code=gaps["area"].map(up))
                  .dropna(subset=["area_code"])
                  .pivot_table(index="area_code", columns="gap", values="person_id",
                               aggfunc="count", fill_value=0))
        table = table.merge(counts, left_on="area_code", right_index=True, how="left")
    count_columns = [c for c in table.columns if c not in ("area_code", "area_name")]
    table[count_columns] = table[count_columns].fillna(0).astype(int)
    return _publish(table, count_columns, conf)


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
