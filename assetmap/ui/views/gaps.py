"""Gaps page: where provision is missing (area × need, as a table and a map), carers without
support or back-up, and people who could pool personal budgets. Every count shown or downloaded
goes through :mod:`assetmap.governance.privacy` (1–7 shown as "<8", others rounded to 5)."""

from __future__ import annotations

import html
from typing import Any

import branca.colormap as cm
import geopandas as gpd
import pandas as pd
import streamlit as st

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance import privacy
from assetmap.graph.analysis.provision import (
    provision_gaps_by_level,
    provision_gaps_snapshot,
    reason_text,
)
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store.areas import UNKNOWN_VINTAGE, level_label
from assetmap.render import maps
from assetmap.reports import counts_by_area, provision_gap_texts, publish_gap_counts
from assetmap.ui import auth, common, snapshots

MAP_HEIGHT = 480
LEVELS: dict[str, str] = {"ward": "Wards", "lsoa": "Neighbourhoods (LSOAs)"}
_SUPPRESSED_FILL = "#d0d0d0"


# --- what may be published (pure functions; importable for tests) -------------------------------


def published_gaps(gaps: gpd.GeoDataFrame, conf: _settings.Settings | None = None,
                   linked: dict[tuple[str, str, str], str] | None = None) -> gpd.GeoDataFrame:
    """Provision gaps as they may leave the app: people counts as published at every level at
    once (``linked``, from :func:`assetmap.reports.provision_gap_texts`; without it each count
    on its own: "<8", rounded), the median distance from homes only where the count of people
    with the need is shown as a number, and the words rebuilt from the published counts."""
    conf = conf or _settings.load()
    shown = publish_gap_counts(gaps, linked or {}, conf)
    max_km = conf.max_travel_km
    weighted = (gaps["weighted_providers"].astype(float) if "weighted_providers" in gaps
                else gaps["providers_within_reach"].astype(float))
    weak = (gaps["weak_provision"].astype(bool) if "weak_provision" in gaps
            else pd.Series(False, index=gaps.index))
    raw_median = gaps["median_nearest_km"].astype(float)
    why = [reason_text(n, w, int(p), wo, m, max_km, float(x), none_anywhere=r != r)
           for n, w, p, wo, m, x, r in zip(
               gaps["need"], shown["people_with_need"], gaps["providers_within_reach"],
               shown["people_without_provider"], shown["median_nearest_km"], weighted,
               raw_median, strict=True)]
    out = pd.DataFrame({
        "Area code": gaps["area_code"].astype(str),
        "Area": gaps["area_name"].astype(str),
        "Need": gaps["need"].map(vocab.label),
        "People with the need": shown["people_with_need"].astype(str),
        "Providers within reach": gaps["providers_within_reach"].astype(int),
        "Providers, weighted by accessibility": weighted.round(2),
        "People with no provider near home": shown["people_without_provider"].astype(str),
        "Median km to nearest provider": shown["median_nearest_km"].astype(float).round(1),
        "No provider in reach": gaps["flagged"].astype(bool),
        "Weak provision": weak,
        "Why": why,
    })
    out["_shade"] = pd.Series([privacy.shade_value(t) for t in out[
        "People with no provider near home"]], index=out.index, dtype=float)
    return gpd.GeoDataFrame(out, geometry=gaps.geometry.to_numpy(), crs=gaps.crs)


def _area_frame(G: Any) -> pd.DataFrame:
    """Every area (code, name, level, parent) of a graph or a columnar snapshot."""
    return G.area_frame() if isinstance(G, Snapshot) else maps.area_frame(G)


def carer_gaps_by_area(carers: pd.DataFrame, G: Any, level: str,
                       conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Carers' support gaps counted per area of ``level`` and kind of gap, published; ``G`` is
    the whole graph or a columnar snapshot (a server store, issue 16)."""
    conf = conf or _settings.load()
    counts = counts_by_area(carers, G, level, "gap")
    table = pd.DataFrame({"Area code": counts["area_code"], "Area": counts["area_name"]})
    # Each kind of gap published at every level of area at once, exactly as ``assetmap
    # analyse`` publishes it, so this page's LSOA table and a ward table cannot be differenced.
    areas = _area_frame(G)
    known = carers[carers["area"].isin(set(areas["area_code"]))]
    per_area = pd.crosstab(known["area"], known["gap"]) if len(known) else pd.DataFrame()
    for gap in counts.columns[2:]:
        column = per_area[gap] if gap in per_area.columns else pd.Series(dtype=int)
        linked = privacy.publish_people_counts(column, areas, gap, conf)
        table[gap.capitalize()] = [linked.get((str(code), gap)) or privacy.publish_count(n, conf)
                                   for code, n in zip(counts["area_code"], counts[gap],
                                                      strict=True)]
    return table


def published_pooling(pool: pd.DataFrame, G: Any,
                      conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Pooling opportunities without anyone's id, and only groups of at least the threshold
    of people (a smaller group is a handful of identifiable budget holders): what they share,
    how many (published) and the wards holding at least the threshold of them. Never how far
    apart their homes are (a distance between people)."""
    conf = conf or _settings.load()
    areas = _area_frame(G)
    up = maps.roll_up(areas, "ward")
    if isinstance(G, Snapshot):
        at = G.index

        def area_of(member: str) -> str | None:
            return G.area[at[member]] if member in at else None
    else:
        def area_of(member: str) -> str | None:
            return G.nodes[member].get("area") if member in G else None
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    rows = []
    for r in pool.itertuples(index=False):
        if int(r.people) < conf.suppress_below:
            continue
        kind, word = r.goal.split(":", 1)
        per_ward: dict[str, int] = {}
        for member in getattr(r, "members", None) or []:
            home = area_of(member)
            ward = names.get(up.get(home)) if home is not None else None
            if ward:
                per_ward[ward] = per_ward.get(ward, 0) + 1
        wards = sorted(w for w, n in per_ward.items() if n >= conf.suppress_below)
        budget = getattr(r, "budget_kind", None) or "unrecorded"
        rows.append({"Shared": ("need: " if kind == "need" else "") + vocab.label(word),
                     "Budget": vocab.BUDGET_KIND_LABELS.get(budget, budget),
                     "People with budgets": privacy.publish_count(r.people, conf),
                     "Wards": ", ".join(wards) or "several wards",
                     "Could commission": getattr(r, "commission_reasons", None) or ""})
    return pd.DataFrame(rows, columns=["Shared", "Budget", "People with budgets", "Wards",
                                       "Could commission"])


# --- cached per store version (aggregates only) --------------------------------------------------


def gap_tables(G: Any, boundaries: dict[str, gpd.GeoDataFrame], level: str,
               weights: dict[str, float] | None = None,
               conf: _settings.Settings | None = None) -> gpd.GeoDataFrame:
    """The published provision gaps at ``level``: counts protected together with every other
    level (the raw table at the finest level of ``boundaries``, which lists every level the
    store has, finest first), as ``assetmap analyse`` publishes them (issue 15). ``G`` is the
    whole graph or a columnar snapshot (a server store, issue 16: the same table)."""
    finest = next(iter(boundaries))
    # the page rebuilds the words from published counts: no raw words
    if isinstance(G, Snapshot):
        raw = provision_gaps_snapshot(G, boundaries[level], weights=weights, reasons=False)
        base = raw if finest == level else provision_gaps_snapshot(
            G, boundaries[finest], weights=weights, reasons=False)
    else:  # both levels from one pass over the graph (issue 13)
        both = provision_gaps_by_level(
            G, {lv: boundaries[lv] for lv in dict.fromkeys((level, finest))},
            weights=weights, reasons=False)
        raw, base = both[level], both[finest]
    return published_gaps(raw, conf, provision_gap_texts(G, base, conf))


# The page's tables are cached per store version in :mod:`assetmap.ui.snapshots` (gap_table,
# carer_table, pooling_table): shared read-only, and warmed in the background after sign-in.


def opening_level(present: list[str]) -> str | None:
    """The area level the page opens at: the first of :data:`LEVELS` the store has."""
    return next((lv for lv in LEVELS if lv in present), None)


def opening_need(gaps: pd.DataFrame) -> str:
    """The need the page opens on: the one with the most areas that have demand and no
    provider in reach (the first need when no one has one)."""
    demand = gaps[gaps["People with the need"] != "0"]
    if not len(demand):
        return str(sorted(gaps["Need"].unique())[0])
    return str(demand.groupby("Need")["No provider in reach"].sum().idxmax())


# --- drawing -------------------------------------------------------------------------------------


def gap_map_page(url: str, version: int, level: str, need_label: str) -> tuple[str, str]:
    """The gap map of one need (its label, as the table names it) at ``level`` as one whole
    HTML page, and its caption; ("", "") when no area has a boundary to draw. Published counts
    by area only, so one page per store version and choice serves everyone
    (:func:`assetmap.ui.snapshots.gap_map_page`); element names are numbered, not random, so
    the same choice gives the same bytes and a browser keeps the frame it has drawn."""
    from assetmap.render.network import stable_names

    gaps = snapshots.gap_table(url, version, level)
    shown = gaps[gaps["Need"] == need_label]
    need = need_label.replace(" ", "_")
    # Every figure by area names its boundary year (issue 17): "Wards (2023 boundaries)".
    which = level_label(level, common.boundaries(url, version, level))
    fmap = maps.geojson_only(common.blank_map(MAP_HEIGHT))  # no jQuery
    values = shown["_shade"].dropna()
    vmax = float(values.max()) if len(values) and values.max() > 0 else 1.0
    linear: Any = cm.linear  # branca adds its colour schemes at run time (no static attribute)
    scale = cm.LinearColormap(list(reversed(linear.viridis.colors)), vmin=0, vmax=vmax)
    features = []
    for r in shown.to_dict("records"):
        geom = r["geometry"]
        if geom is None or geom.is_empty:
            continue
        tip = (f"<b>{html.escape(r['Area'])}</b><br>"
               f"{html.escape(str(r['People with the need']))} with the need; "
               f"{html.escape(str(r['People with no provider near home']))} with no provider "
               f"near home; {int(r['Providers within reach'])} providers in reach"
               + (f"<br><small>{html.escape(which)}</small>" if which else ""))
        features.append({"type": "Feature", "geometry": geom.__geo_interface__,
                         "properties": {"tip": tip, "value": None if pd.isna(r["_shade"])
                                        else float(r["_shade"]),
                                        "flag": bool(r["No provider in reach"])}})
    if not features:
        return "", ""

    def style(f: dict) -> dict:
        p = f["properties"]
        return {"fillColor": _SUPPRESSED_FILL if p["value"] is None else scale(p["value"]),
                "fillOpacity": 0.75, "color": "#000000" if p["flag"] else "#555555",
                "weight": 3 if p["flag"] else 1, "dashArray": "6 4" if p["flag"] else None}

    layer = maps.GeoJson({"type": "FeatureCollection", "features": features},
                           style_function=style,
                           tooltip=maps.GeoJsonTooltip(fields=["tip"], labels=False))
    layer.add_to(fmap)
    minx, miny, maxx, maxy = shown.total_bounds
    common.fit_view(fmap, miny, minx, maxy, maxx, MAP_HEIGHT)
    page = stable_names(fmap, "gp").get_root().render()
    caption = ((f"{which}. " if which else "")
               + f"Shaded by people needing help with {vocab.label(need)} who have no provider "
               f"near home: light is few, dark is up to about {vmax:g}. Grey: fewer than "
               f"{_settings.load().suppress_below} (not shown). Thick dashed outline: no "
               "provider within reach at all.")
    return page, caption


def _gap_map(url: str, version: int, level: str, need_label: str) -> None:
    """Draw the gap map of one need as a plain frame holding its page (no map interaction is
    read back, so no component and no handshake with one), made once per store version and
    choice and shared (:func:`assetmap.ui.snapshots.gap_map_page`)."""
    page, caption = snapshots.gap_map_page(url, version, level, need_label,
                                           common.leaflet_base(),
                                           _settings.load().suppress_below)
    if not page:
        st.info("No area boundaries to draw.")
        return
    st.iframe(page, height=MAP_HEIGHT + 12,
              alt=f"Map of provision gaps for {need_label.lower()} by area (described in "
                  "words and as a table below)")
    st.caption(caption)


def _text_alternative(shown: gpd.GeoDataFrame, need: str) -> str:
    flagged = shown[shown["No provider in reach"] & (shown["People with the need"] != "0")]
    worst = shown.dropna(subset=["_shade"]).sort_values(["_shade", "Area"],
                                                        ascending=[False, True])
    worst = worst[worst["_shade"] > 0]
    parts = []
    if len(flagged):
        parts.append(f"No provider for {vocab.label(need)} within reach in: "
                     + ", ".join(flagged["Area"].head(10)) + ("…" if len(flagged) > 10 else ""))
    if len(worst):
        top = worst.iloc[0]
        parts.append(f"most people without a provider near home: {top['Area']} "
                     f"(about {top['People with no provider near home']})")
    return ("; ".join(parts) + ".") if parts else (
        f"Everyone needing help with {vocab.label(need)} has a provider within reach, or the "
        "numbers are too small to show.")


def render() -> None:
    """Draw the page (signed-in users whose role may open it; see
    :mod:`assetmap.governance.access`)."""
    auth.require_page("gaps.py")
    st.title("Gaps")
    st.caption("Counts of people are published only: 1 to 7 shows as \"<8\", others are rounded "
               "to the nearest 5 — on screen and in every download.")
    opened = common.store_with_people()
    if opened is None:
        return
    store, version = opened
    url = common.store_url()
    try:
        present = common.boundary_levels(url, version)
    except Exception as exc:
        common.show_error(exc)
        common.footer()
        return
    levels = {lv: LEVELS[lv] for lv in LEVELS if lv in present}
    if not levels:
        common.no_boundaries()
        common.footer()
        return
    level = st.radio("Areas", list(levels), format_func=levels.__getitem__, horizontal=True,
                     key="gaps_level")
    try:
        gaps = snapshots.gap_table(url, version, level)
        # Every figure by area names its boundary year (issue 17): "Wards (2023 boundaries)".
        which = level_label(level, common.boundaries(url, version, level))
    except Exception as exc:
        common.show_error(exc)
        common.footer()
        return
    if gaps.empty:
        st.info("No provision gaps to show: no one in these areas has a recorded need.")
        common.footer()
        return
    st.caption(f"Areas: {which}" + ("." if UNKNOWN_VINTAGE in which
                                     else " — names and codes of that year."))
    st.subheader("Provision: area × need")
    needs = sorted(gaps["Need"].unique())
    need_label = st.selectbox("Need", needs, index=needs.index(opening_need(gaps)),
                              key="gaps_need")
    shown = gaps[gaps["Need"] == need_label]
    need = need_label.replace(" ", "_")
    _gap_map(url, version, level, need_label)
    st.markdown(f"**In words:** {common.md_escape(_text_alternative(shown, need))}")
    table = pd.DataFrame(gaps.drop(columns=["geometry", "_shade"]))
    table.insert(2, "Boundaries", which)
    only_flagged = st.toggle("Only areas with demand and no provider in reach", value=False,
                             key="gaps_only_flagged")
    listed = table[table["No provider in reach"] & (table["People with the need"] != "0")] \
        if only_flagged else table
    st.dataframe(listed, hide_index=True, width="stretch")
    st.caption("Providers, weighted by accessibility: a place that 5 or more of its users rate "
               "poorly for accessibility counts as a quarter to a half of a provider. Weak "
               "provision: people have the need and providers are in reach, but together they "
               "count as less than one.")
    cols = st.columns(2)
    with cols[0]:
        common.download_table(table, f"assetmap_provision_gaps_{level}.csv",
                              key="gaps_csv", label="Download CSV (all needs)")
    with cols[1]:
        def geojson() -> bytes:  # written when the button is pressed, not on every run
            return gaps.drop(columns=["_shade"]).assign(Boundaries=which).to_json(
                drop_id=True).encode("utf-8")

        st.download_button("Download GeoJSON (all needs)", geojson,
                           file_name=f"assetmap_provision_gaps_{level}.geojson",
                           mime="application/geo+json", key="gaps_geojson")

    st.subheader("Carers without support or back-up")
    try:
        carers = snapshots.carer_table(url, version, level)
        pool = snapshots.pooling_table(url, version)
    except Exception as exc:
        common.show_error(exc)
        common.footer()
        return
    if carers.shape[1] <= 2:
        st.info("No carers' support gaps found.")
    else:
        st.caption(f"Per area: {which}.")
        st.dataframe(carers, hide_index=True, width="stretch")
        common.download_table(carers, f"assetmap_carer_gaps_{level}.csv", key="gaps_carers_csv")
    st.subheader("People who could pool personal budgets")
    st.caption("Budget holders who consented to suggestions, share an interest or need, and live "
               "close to each other: together they could commission something.")
    if pool.empty:
        st.info("No pooling opportunities: not enough budget holders near each other share a "
                "goal.")
    else:
        st.dataframe(pool, hide_index=True, width="stretch")
        common.download_table(pool, "assetmap_pooling.csv", key="gaps_pooling_csv")
    common.footer()

if __name__ == "__main__":
    render()
