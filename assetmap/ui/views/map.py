"""Map page: areas shaded by a published count (people, carers, disabled, lonely…) with the public
assets (groups, GP practices, libraries…) as layers. People are shown only as area counts."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import streamlit as st

from assetmap import settings as _settings
from assetmap.governance import access, privacy
from assetmap.render import maps
from assetmap.ui import auth, common, snapshots

MAP_HEIGHT = 620
#: Measures that need the graph (isolation levels), computed only when chosen.
GRAPH_MEASURES: frozenset[str] = frozenset({"no_community_ties", "isolated", "at_risk"})
LEVELS: dict[str, str] = {"ward": "Wards", "lsoa": "Neighbourhoods (LSOAs)", "msoa": "MSOAs",
                          "locality": "Localities"}
#: Layers shown at first (when the store has them); the rest are one click away.
DEFAULT_LAYERS: tuple[str, ...] = (
    "Groups and clubs", "Sports clubs", "GP practices", "Food banks", "Mental health services",
    "Libraries",
)


def default_layers(asset_table: pd.DataFrame) -> list[str]:
    """The asset layers the page opens with: :data:`DEFAULT_LAYERS` the store has, else its
    first three (shared by the page and the sign-in screen's warm-up, so both make one key)."""
    available = sorted(asset_table["layer"].unique()) if not asset_table.empty else []
    return [layer for layer in DEFAULT_LAYERS if layer in available] or available[:3]


def area_counts(url: str, version: int, level: str,
                with_isolation: bool) -> gpd.GeoDataFrame:
    """People counted by area at ``level`` (aggregates only), from the columnar snapshot on a
    server store (issue 16), else from the shared cache of :mod:`assetmap.ui.common`."""
    if common.is_server_store(common._open(url)):
        return snapshots.people_by_area(url, version, level, with_isolation)
    return common.people_by_area(url, version, level, with_isolation)


def area_map_page(url: str, version: int, measure: str, level: str, share: bool,
                  layers: Sequence[str], tiles: bool, assets_base: str | None,
                  attribution: str) -> str:
    """The Map page's map as one whole HTML page: areas shaded by the published ``measure``
    and the public assets of ``layers``, loading Leaflet from ``assets_base``. Aggregates and
    public places only, and the same for every role, so one page per store version and choice
    serves everyone (:func:`assetmap.ui.snapshots.area_map_page`); element names are numbered,
    not random, so the same choice gives the same bytes and a browser keeps the frame."""
    from assetmap.render.network import stable_names

    areas = area_counts(url, version, level, measure in GRAPH_MEASURES)
    fmap = maps.area_map(areas, measure, common.assets(url, version), layers=list(layers),
                         tiles="OpenStreetMap" if tiles else None, height=MAP_HEIGHT,
                         share=share, assets_base=assets_base, attribution=attribution)
    return stable_names(fmap, "mp").get_root().render()


def render() -> None:
    """Draw the page."""
    user = auth.require_page("map.py")
    st.title("Map")
    st.caption("People are shown only as counts per area: counts from 1 to 7 are hidden "
               "(\"<8\") and others are rounded to the nearest 5. Groups and organisations are "
               "drawn where they are.")
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
    # Areas people are counted in: the store's own levels that have boundaries.
    levels = {lv: LEVELS.get(lv, lv) for lv in ("ward", "lsoa", "msoa", "locality")
              if lv in present}
    if not levels:
        common.no_boundaries()
        common.footer()
        return
    # A link can open the page on a measure and level: ?measure=carers&level=lsoa
    wanted_measure = st.query_params.get("measure", "people")
    wanted_level = st.query_params.get("level", "ward")
    measures = list(maps.MEASURES)
    controls = st.columns([2, 1, 1])
    measure = controls[0].selectbox(
        "Shade areas by", measures, key="map_measure",
        index=measures.index(wanted_measure) if wanted_measure in measures else 0,
        format_func=lambda k: maps.MEASURES[k].label,
        help="Each measure counts the people recorded in the area.")
    controls[0].caption(f"Counts {maps.MEASURES[measure].description}.")
    level = controls[1].radio("Areas", list(levels), key="map_level",
                              index=list(levels).index(wanted_level)
                              if wanted_level in levels else 0,
                              format_func=levels.__getitem__, horizontal=False)
    share = controls[2].radio("Show as", ["Number", "% of people"], key="map_share",
                              disabled=measure == "people",
                              help="A share of the area's people, from the rounded counts."
                              ) == "% of people" and measure != "people"
    # Off at first: the boundaries are the map, and nothing is fetched from the internet.
    tiles = controls[2].toggle("Street map background", value=False, key="map_tiles",
                               help="Loads OpenStreetMap tiles: needs an internet connection.")
    try:
        # isolation counted from the snapshot on a server store (issue 16)
        areas = area_counts(url, version, level, measure in GRAPH_MEASURES)
        asset_table = common.assets(url, version)
    except Exception as exc:
        common.show_error(exc)
        common.footer()
        return
    available = sorted(asset_table["layer"].unique()) if not asset_table.empty else []
    default = default_layers(asset_table)
    layers = st.multiselect("Show assets", available, default=default, key="map_layers",
                            help="Public groups and organisations; click a point for details.")

    # Every figure by area names its boundary year (issue 17): "Wards (2023 boundaries)".
    which = maps.areas_label(areas)
    vintage = areas.attrs.get("vintage") or ""
    st.caption(f"Areas as drawn: {which}. "
               + ("Names and codes are those of that year; figures from other years' areas are "
                  "not shown under them." if vintage else "Import the boundaries again with "
                  "`--vintage YEAR` to record which year's areas these are."))
    assets_base = common.leaflet_base()  # the key the sign-in warm-up made it under
    place = "ward" if level == "ward" else ""
    summary = maps.summary_text(areas, measure, place, share=share)
    # A plain frame holding the map's page (nothing is read back from the map, so no component
    # and no handshake with one), drawn once per store version and choice and shared by every
    # session (:func:`assetmap.ui.snapshots.area_map_page`).
    page = snapshots.area_map_page(url, version, measure, level, share, tuple(layers), tiles,
                                   assets_base, common.attribution(),
                                   _settings.load().suppress_below)
    st.iframe(page, height=MAP_HEIGHT + 12,
              alt=f"Map of {maps.MEASURES[measure].label.lower()} per area with public places "
                  "(described in words and as a table below)")
    if assets_base is None:
        st.caption("This map loads Leaflet from the internet: start the app with "
                   "`assetmap serve` to use its own copies and draw the map offline.")
    st.markdown(f"**In words:** {summary}")
    unplaced = areas.attrs.get("unplaced", 0)
    if unplaced:
        words = LEVELS.get(level, level).lower()
        st.warning(f"{privacy.publish_count(unplaced)} people are in none of these {words} (no "
                   "postcode found, outside the imported boundaries, or their neighbourhood "
                   "nests in no area of this level) and are left out of the map.")

    table = maps.published_table(areas)
    table.insert(2, "Boundaries", which)
    with st.expander(f"Published counts per area ({len(table)} areas; {which})",
                     expanded=False):
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button("Download CSV (published counts only)",
                           privacy.neutralise_csv(table).to_csv(index=False).encode("utf-8"),
                           file_name=f"assetmap_{level}_counts.csv", mime="text/csv",
                           key="map_download")
    # A picture for a commissioner's report: drawn only when asked (it takes a moment), from the
    # same published counts as the map and table above.
    if st.button("Make a map image (PNG)", key="map_png_make",
                 help="The shaded areas with legend and credits, published counts only."):
        st.download_button("Download map image (PNG)",
                           maps.area_map_png(areas, measure, share=share,
                                             attribution=common.attribution()),
                           file_name=f"assetmap_{level}_{measure}.png", mime="image/png",
                           key="map_png")
    common.footer()
    # The first page after sign-in is drawn: now work out what the Gaps and Resilience pages
    # open with, in the background, once per store version (issue 14: every page in 1 s).
    # Only for those who may open Resilience (analysts, administrators): a coordinator goes on
    # to the Person page, which the work would slow while it runs (it holds the GIL). The
    # thread returns at once when this version is warmed.
    if access.may_use_page(user, "resilience.py"):
        snapshots.warm_in_background(url, version)


if __name__ == "__main__":  # as Streamlit runs a page; importing it draws nothing
    render()
