"""Counting people per area for maps, pages and reports: no drawing here.

:func:`people_by_area` turns the people in a store (or a networkx graph) into one row per area
of a level with raw counts (for use inside the app only) and published counts ("<8", rounded to
5, through :mod:`assetmap.governance.privacy`), joined to the store's own boundaries
(:mod:`assetmap.graph.store.areas`). :mod:`assetmap.render.maps` only draws what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance import privacy


@dataclass(frozen=True)
class Measure:
    """One thing counted per area: its key, a label for menus and a noun for sentences."""

    key: str
    label: str
    noun: str
    description: str


#: Every measure the map can shade by, in menu order. "people" counts everyone.
MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("people", "People", "people", "everyone recorded in the area"),
    Measure("carers", "Unpaid carers", "carers",
            "people with the carer role or who give unpaid care each week"),
    Measure("carers_50h", "Carers giving 50+ hours a week", "carers giving 50+ hours",
            "unpaid carers giving 50 or more hours of care a week"),
    Measure("disabled", "Disabled (day-to-day activities limited)", "disabled people",
            "people whose day-to-day activities are limited a lot or a little"),
    Measure("bad_health", "Bad or very bad health", "people in bad health",
            "people whose general health is bad or very bad"),
    Measure("lonely", "Lonely often or always", "people lonely often or always",
            "people who feel lonely often or always"),
    Measure("older", "Aged 75 and over", "people aged 75+", "people aged 75 and over"),
    Measure("personal_budget", "With a personal budget", "people with a personal budget",
            "people who hold a personal budget"),
    # Structural isolation (from the graph, see assetmap.graph.analysis.isolation): pass ``extra``.
    Measure("no_community_ties", "No community ties (isolated or service-only)",
            "people with no community ties",
            "people with no family, friend, neighbour or group tie"),
    Measure("isolated", "Isolated (no ties at all)", "isolated people",
            "people with no community ties and no services"),
    Measure("at_risk", "At risk (one community tie)", "people at risk of isolation",
            "people whose community ties hang on one person or one group"),
)}

_FLAG_KEYS: tuple[str, ...] = tuple(k for k in MEASURES if k != "people")
_PROP_KEYS: tuple[str, ...] = ("carers", "carers_50h", "disabled", "bad_health", "lonely",
                               "older", "personal_budget")


# --- people by area ---------------------------------------------------------------------------


def _person_flags(area: str | None, props: Mapping[str, Any]) -> tuple:
    roles = props.get("roles") or ()
    hours = props.get("carer_hours")
    return (
        area,
        "carer" in roles or hours not in (None, "none"),
        hours == "50_or_more",
        props.get("disability") in ("limited_a_lot", "limited_a_little"),
        props.get("health") in ("bad", "very_bad"),
        props.get("lonely") == "often_always",
        props.get("age_band") in ("75-84", "85+"),
        props.get("personal_budget") is True,
    )


def person_frame(source: Any) -> pd.DataFrame:
    """One row per person: their ``area`` and a True/False column per measure (no identifiers).

    ``source`` is a GraphStore or a networkx graph; names, ids and locations are never read out.
    """
    if isinstance(source, nx.Graph):
        rows = [_person_flags(d.get("area"), d) for _, d in source.nodes(data=True)
                if d.get("kind") == vocab.PERSON]
    else:
        rows = [_person_flags(n.area, n.props) for n in source.find(vocab.PERSON)]
    frame = pd.DataFrame.from_records(rows, columns=["area", *_PROP_KEYS])
    return frame.astype({k: bool for k in _PROP_KEYS})


def area_frame(source: Any) -> pd.DataFrame:
    """Every Area node as ``area_code``, ``area_name``, ``level``, ``parent``."""
    if isinstance(source, nx.Graph):
        rows = [(i, d.get("name") or i, d.get("level"), d.get("parent"))
                for i, d in source.nodes(data=True) if d.get("kind") == vocab.AREA]
    else:
        rows = [(n.id, n.name or n.id, n.props.get("level"), n.props.get("parent"))
                for n in source.find(vocab.AREA)]
    return pd.DataFrame.from_records(rows, columns=["area_code", "area_name", "level", "parent"])


def roll_up(areas: pd.DataFrame, level: str) -> dict[str, str]:
    """Map every area code to the code of the area at ``level`` that holds it (or itself).

    Follows Area nodes' ``parent`` links (LSOA -> ward -> borough); areas with no ancestor at
    that level are left out.
    """
    level_of = dict(zip(areas["area_code"], areas["level"], strict=True))
    parent_of = dict(zip(areas["area_code"], areas["parent"], strict=True))
    result: dict[str, str] = {}
    for code in level_of:
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in seen:
            if level_of.get(current) == level:
                result[code] = current
                break
            seen.add(current)
            current = parent_of.get(current)
    return result


def raw_counts(people: pd.DataFrame) -> pd.DataFrame:
    """Raw counts per person ``area`` (the smallest area): ``people`` and one column per
    True/False measure column present. An aggregate: it holds no one's record."""
    flags = [k for k in _FLAG_KEYS if k in people.columns]
    known = people.dropna(subset=["area"])
    grouped = known.groupby("area")[flags].sum().astype(int)
    grouped.insert(0, "people", known.groupby("area").size())
    grouped.attrs["unknown_area"] = int(len(people) - len(known))
    return grouped


def isolation_counts(isolated: pd.DataFrame) -> pd.DataFrame:
    """Raw counts per area of the structural isolation levels from
    :func:`assetmap.graph.analysis.isolation.isolated_people` (needs its ``area`` and ``level``)."""
    from assetmap.graph.analysis import circles

    flags = pd.DataFrame({
        "area": isolated["area"].to_numpy(),
        "no_community_ties": isolated["level"].isin(
            [circles.ISOLATED, circles.SERVICE_ONLY]).to_numpy(),
        "isolated": (isolated["level"] == circles.ISOLATED).to_numpy(),
        "at_risk": (isolated["level"] == circles.AT_RISK).to_numpy(),
    })
    out = raw_counts(flags).drop(columns="people")
    # Each level too (privacy.LEVEL_PREFIX columns), so the Map's isolation measures are
    # published together with analyse's isolation tables and cannot be differenced (issue 15).
    known = isolated.dropna(subset=["area"])
    levels = pd.crosstab(known["area"], known["level"]).add_prefix(privacy.LEVEL_PREFIX)
    return out.join(levels, how="left").fillna(0).astype(int)


def counts_at_level(raw: pd.DataFrame, areas: pd.DataFrame, level: str = "ward",
                    conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Roll :func:`raw_counts` up to every area of ``level`` and add published columns.

    For each measure ``m`` present: ``m`` (raw count, for use inside the app only),
    ``m_published`` (text: "0", "<8", "25") and ``m_masked`` (a number for colouring; NaN
    where suppressed). ``attrs["unplaced"]`` counts people in no area of that level.
    """
    conf = conf or _settings.load()
    ancestor = roll_up(areas, level)
    target = areas.loc[areas["level"] == level, ["area_code", "area_name"]]
    keys = [k for k in MEASURES if k in raw.columns]
    mapped = raw.index.to_series().map(ancestor)
    placed = raw[mapped.notna().to_numpy()]
    grouped = placed.groupby(mapped.dropna().to_numpy())[keys].sum()
    out = target.merge(grouped, how="left", left_on="area_code", right_index=True)
    # Every level of area at once, as analyse publishes them (issue 15: no differencing).
    linked = privacy.publish_area_measures(raw, areas, conf)
    for key in keys:
        counts = out[key].fillna(0).astype(int)
        out[key] = counts
        out[f"{key}_published"] = [linked.get((str(code), key)) or privacy.publish_count(n, conf)
                                   for code, n in zip(out["area_code"], counts, strict=True)]
        out[f"{key}_masked"] = pd.Series(
            [privacy.shade_value(t) for t in out[f"{key}_published"]], index=out.index,
            dtype=float)
    out = out.sort_values("area_code").reset_index(drop=True)
    total = int(raw["people"].sum()) if "people" in raw.columns else 0
    placed_people = int(placed["people"].sum()) if "people" in placed.columns else 0
    out.attrs["unplaced"] = total - placed_people + int(raw.attrs.get("unknown_area", 0))
    out.attrs["level"] = level
    return out


def count_people(people: pd.DataFrame, areas: pd.DataFrame, level: str = "ward",
                 conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Raw and published counts per area of ``level`` from a :func:`person_frame`
    (:func:`raw_counts` then :func:`counts_at_level`)."""
    return counts_at_level(raw_counts(people), areas, level, conf)


def available_measures(areas: pd.DataFrame) -> list[str]:
    """The measures an area frame holds, in menu order."""
    return [k for k in MEASURES if f"{k}_published" in areas.columns]


def _boundaries_of(source: Any, level: str) -> gpd.GeoDataFrame:
    from assetmap.graph.store import areas as area_store

    if isinstance(source, nx.Graph):
        return area_store.areas_from_graph(source, level)
    return area_store.areas(source, level)


def people_by_area(source: Any, level: str = "ward", *,
                   extra: pd.DataFrame | None = None,
                   boundaries: gpd.GeoDataFrame | None = None,
                   conf: _settings.Settings | None = None) -> gpd.GeoDataFrame:
    """People per area of ``level`` (see :func:`counts_at_level`) with each area's boundary.

    ``source`` is a GraphStore or a networkx graph. ``extra`` adds raw counts per smallest
    area from elsewhere (e.g. :func:`isolation_counts`). Boundaries default to the store's own
    (:func:`assetmap.graph.store.areas.areas`); areas with no boundary get no geometry.
    ``attrs``: ``unplaced`` (people in no area of the level), ``level``, ``vintage`` (words such
    as "2013 boundaries") and ``boundaries`` (how many areas have a polygon).
    """
    areas = area_frame(source)
    raw = raw_counts(person_frame(source))
    if extra is not None:
        unknown = raw.attrs.get("unknown_area", 0)
        extra = extra.drop(columns=[c for c in extra.columns if c in raw.columns])
        raw = raw.join(extra, how="outer").fillna(0).astype(int)
        raw.attrs["unknown_area"] = unknown
    counts = counts_at_level(raw, areas, level, conf)
    if boundaries is None:
        boundaries = _boundaries_of(source, level)
    from assetmap.graph.store.areas import vintage_label

    if boundaries is None or boundaries.empty:
        geometry = gpd.GeoSeries([None] * len(counts), crs="EPSG:4326")
        gdf = gpd.GeoDataFrame(counts, geometry=geometry, crs="EPSG:4326")
        gdf.attrs.update(counts.attrs, vintage="", boundaries=0)
        return gdf
    shapes = boundaries[["area_code", "geometry"]].to_crs("EPSG:4326")
    merged = counts.merge(shapes, how="left", on="area_code")
    gdf = gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")
    gdf.attrs.update(counts.attrs, vintage=vintage_label(boundaries),
                     boundaries=int(gdf.geometry.notna().sum()))
    return gdf


def published_table(areas: pd.DataFrame, measures: Sequence[str] | None = None) -> pd.DataFrame:
    """The counts that may leave the app: area code and name and one published column per
    measure (text such as "<8" or "25"), headed by the measure's label. No raw counts."""
    keys = list(measures or available_measures(areas))
    table = areas[["area_code", "area_name"]].copy()
    for key in keys:
        table[MEASURES[key].label] = areas[f"{key}_published"].to_numpy()
    return table.rename(columns={"area_code": "Area code", "area_name": "Area"})


def _number(published: str) -> str:
    return f"{int(published):,}" if published.isdigit() else published


def share_of_people(areas: pd.DataFrame, measure: str) -> pd.Series:
    """The measure as a percentage of the area's people, from published (rounded) counts only;
    NaN where either count is suppressed or the area has no one."""
    people = areas["people_masked"].where(areas["people_masked"] > 0)
    return (100.0 * areas[f"{measure}_masked"] / people).round(1)


def summary_text(areas: pd.DataFrame, measure: str, place: str = "",
                 share: bool = False) -> str:
    """A text alternative to the map, from published counts only ("Highest: Sale Central, 120
    unpaid carers; ..."); with ``share``, ranked by the percentage of the area's people."""
    noun = MEASURES[measure].noun
    shown = areas.assign(_share=share_of_people(areas, measure))
    shown = shown.dropna(subset=[f"{measure}_masked"])
    shown = shown[shown[f"{measure}_masked"] > 0]
    suppressed = int(areas[f"{measure}_masked"].isna().sum())
    suffix = f" {place}" if place else ""
    key = "_share" if share else f"{measure}_masked"
    if shown.empty:
        text = f"No{suffix} area has 8 or more {noun} to show."
    else:
        ordered = shown.sort_values([key, "area_name"], ascending=[False, True])
        top, low = ordered.iloc[0], ordered.iloc[-1]

        def amount(row: pd.Series) -> str:
            count = _number(row[f"{measure}_published"])
            return f"{row['_share']:g}% ({count} {noun})" if share else count

        text = (f"Highest{' share' if share else ''}: {top['area_name']}{suffix}, about "
                f"{amount(top)}{'' if share else ' ' + noun}.")
        if len(ordered) > 1:
            text += f" Lowest shown: {low['area_name']}{suffix}, about {amount(low)}."
    if suppressed:
        text += (f" {suppressed} area{'s' if suppressed != 1 else ''} with fewer than 8 "
                 f"{'are' if suppressed != 1 else 'is'} not shown.")
    return text
