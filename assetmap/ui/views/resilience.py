"""Resilience page: what happens if a group or organisation closes (who loses their only
community tie, who loses every route to a GP or hub) on a map and as a list, and the keystone
assets ranking. People are mapped only as published counts per neighbourhood."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import folium
import pandas as pd
import streamlit as st

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance import privacy
from assetmap.graph.analysis import closure_impact
from assetmap.graph.analysis.resilience import closure_impact_snapshot
from assetmap.graph.store.areas import level_label
from assetmap.render import maps
from assetmap.ui import auth, common, snapshots

MAP_HEIGHT = 460
#: Rows the page's long tables show until "Show all" is switched on (every row is in the CSV):
#: a hundred keystones were a quarter of what the page sent, and slower to draw (issue 14).
ROWS_SHOWN = 25
ALL_AT_RISK = "__all_at_risk__"
#: How the page words "all at-risk" in its sentence and chart title.
ALL_AT_RISK_WHAT = "any at-risk group or user-led organisation"
_COUNT_COLUMNS: dict[str, str] = {
    "people_tied": "People tied to it",
    "lose_only_community_tie": "Would lose their only community tie",
    "level_drops": "Would become more isolated",
    "lose_hub_path": "Would lose every route to a GP or hub",
}


def is_at_risk(attrs: dict) -> bool:
    """An open group or organisation whose status or funding is at risk."""
    return attrs.get("kind") in vocab.ASSET_KINDS and (
        attrs.get("status") == "at_risk" or attrs.get("funding") == "at_risk")


def published_keystones(ranking: pd.DataFrame,
                        conf: _settings.Settings | None = None) -> pd.DataFrame:
    """The keystone ranking as it may leave the app: counts of people published ("<8",
    rounded), the rank kept from the raw counts."""
    conf = conf or _settings.load()
    out = pd.DataFrame({"Rank": ranking["rank"], "Name": ranking["name"],
                        "Kind": ranking["kind"], "Status": ranking["status"].fillna("")})
    for col, label in _COUNT_COLUMNS.items():
        out[label] = privacy.suppress_counts(ranking[col], conf).to_numpy()
    out["Splits the network"] = ranking["splits_network"].astype(bool).to_numpy()
    out["Why"] = [_why(r, conf) for r in ranking.itertuples(index=False)]
    out["asset_id"] = ranking["asset_id"].to_numpy()
    return out


def _why(r: Any, conf: _settings.Settings) -> str:  # r: a ranking row (itertuples)
    """The ranking's reason in published counts (the library's own reasons give raw ones)."""
    def pub(n: int) -> str:
        return privacy.publish_count(int(n), conf)

    parts = []
    if r.lose_only_community_tie:
        parts.append(f"the only community tie of {pub(r.lose_only_community_tie)} people")
    if r.lose_hub_path:
        parts.append(f"the only route to a GP, link worker or hub for {pub(r.lose_hub_path)}")
    if r.level_drops > r.lose_only_community_tie:
        parts.append(f"{pub(r.level_drops)} people would be more isolated without it")
    if r.splits_network:
        parts.append("closing it splits the network")
    return "; ".join(parts) or "others would still be connected"


def impact_of(G: Any, asset_ids: list[str]) -> pd.DataFrame:
    """Closure impact of each asset (considered alone), one row per person and asset; ``G`` is
    the whole graph or a columnar snapshot (a server store: the same rows, issue 16)."""
    from assetmap.graph.analysis.snapshot import Snapshot

    frames = []
    for a in asset_ids:
        if isinstance(G, Snapshot):
            impact = closure_impact_snapshot(G, a)
            name = G.name[G.index[a]] or a
        else:
            impact = closure_impact(G, a)
            name = G.nodes[a].get("name") or a
        if not impact.empty:
            frames.append(impact.assign(asset_id=a, asset=name))
    if not frames:
        return pd.DataFrame(columns=["person_id", "name", "level_before", "level_after",
                                     "loses_only_community_tie", "loses_hub_path", "reasons",
                                     "asset_id", "asset"])
    return pd.concat(frames, ignore_index=True)


def _options(places: Mapping[str, dict]) -> dict[str, str]:
    options = {ALL_AT_RISK: "All at-risk groups and user-led organisations"}
    assets = sorted(((d.get("name") or n, n) for n, d in places.items()
                     if d.get("kind") in vocab.ASSET_KINDS and d.get("status") != "closed"),
                    key=lambda t: (str(t[0]).casefold(), t[1]))
    for name, n in assets:
        d = places[n]
        kind = vocab.label(d.get("org_kind") or "group")
        flag = " — at risk" if is_at_risk(d) else ""
        options[n] = f"{name} ({kind}){flag}"
    return options


def impact_map_page(url: str, version: int, chosen: tuple[str, ...],
                    impact: pd.DataFrame) -> tuple[str, str]:
    """The closure impact map as one whole HTML page and its caption: ward outlines, the
    neighbourhoods where at least the threshold of people would be affected shaded with their
    published count, the places closing as dots. Aggregates and public places only, so one
    page per store version and choice serves everyone
    (:func:`assetmap.ui.snapshots.closure_map`); element names are numbered, not random, so
    the same choice gives the same bytes and a browser keeps the frame it has drawn."""
    from assetmap.render.network import stable_names

    places = snapshots.place_attrs(url, version)
    snap = snapshots.snapshot(url, version)
    fmap = maps.geojson_only(common.blank_map(MAP_HEIGHT))  # no jQuery
    # Leaflet's stylesheet only: Bootstrap's (190 KB) styles nothing this map draws, and its
    # frame often opens before the browser holds a copy (the page after sign-in is the Map)
    fmap.default_css = [(name, href) for name, href in fmap.default_css
                        if name == "leaflet_css"]
    wards = common.boundaries(url, version, "ward")  # the store's own boundaries
    # Every figure by area names its boundary year (issue 17): "Wards (2023 boundaries)".
    ward_words = level_label("ward", wards)
    if not wards.empty:  # a tooltip on an empty layer fails: draw wards only when there are some
        outlines = wards[["area_name", "geometry"]].assign(boundaries=ward_words)
        maps.GeoJson(outlines.to_json(), name=html.escape(ward_words),
                     style_function=lambda _f: {"color": "#777777", "weight": 1,
                                                "fillColor": "#ffffff", "fillOpacity": 0.6},
                     tooltip=maps.GeoJsonTooltip(fields=["area_name", "boundaries"],
                                                   labels=False)
                     ).add_to(fmap)
    lsoas = common.boundaries(url, version, None)
    counts = impact.drop_duplicates("person_id")["person_id"].map(
        lambda p: snap.area[snap.index[p]]).value_counts()
    # Only neighbourhoods where at least the threshold of people would be affected are shaded:
    # a shaded area with one or two people in it points at them (issue 15).
    enough = counts[counts.map(lambda n: privacy.masked_count(int(n)) is not None)]
    shown = lsoas[lsoas["area_code"].isin(enough.index)]
    shaded_words = {lv: level_label(str(lv), shown[shown["level"] == lv])
                    for lv in shown["level"].unique()}
    # one layer for every shaded neighbourhood (one per area made the page slow to send)
    features = [{"type": "Feature", "geometry": r.geometry.__geo_interface__,
                 "properties": {"tip": f"{html.escape(str(r.area_name))}: "
                                       f"{html.escape(privacy.publish_count(int(counts[r.area_code])))}"
                                       f" people affected<br><small>"
                                       f"{html.escape(shaded_words[r.level])}</small>"}}
                for r in shown.itertuples(index=False)]
    if features:
        maps.GeoJson({"type": "FeatureCollection", "features": features},
                     style_function=lambda _f: {"fillColor": "#D55E00", "color": "#D55E00",
                                                "weight": 1, "fillOpacity": 0.35},
                     tooltip=maps.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(fmap)
    points = []
    dots = []  # the places closing: one layer of dots (a marker each made the page slow)
    for a in chosen:
        d = places[a]
        if d.get("lat") is None or d.get("lon") is None:
            continue
        points.append((d["lat"], d["lon"]))
        dots.append({"type": "Feature",
                     "geometry": {"type": "Point", "coordinates": [d["lon"], d["lat"]]},
                     "properties": {"tip": html.escape(str(d.get("name") or a))}})
    if dots:
        maps.GeoJson({"type": "FeatureCollection", "features": dots},
                     marker=folium.CircleMarker(radius=8, weight=2, fill=True),
                     style_function=lambda _f: {"color": "#000000", "weight": 2,
                                                "fillColor": "#0072B2", "fillOpacity": 0.9},
                     tooltip=maps.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(fmap)
    if len(shown):
        minx, miny, maxx, maxy = shown.total_bounds
        points += [(miny, minx), (maxy, maxx)]
    if points:
        common.fit_view(fmap, min(p[0] for p in points), min(p[1] for p in points),
                        max(p[0] for p in points), max(p[1] for p in points), MAP_HEIGHT)
    page = stable_names(fmap, "rs").get_root().render()
    shaded = "; ".join(shaded_words.values()) or level_label("lsoa", lsoas[
        lsoas["level"] == "lsoa"] if not lsoas.empty else None)
    caption = (f"Blue dots: the places closing. Outlines: {ward_words}. Shaded: {shaded} "
               f"where at least {_settings.load().suppress_below} people would be affected "
               "(smaller numbers are not shown on the map).")
    return page, caption


def _impact_map(url: str, version: int, chosen: tuple[str, ...]) -> None:
    """Draw the closure map as a plain frame holding its page (no map interaction is read
    back, so no component and no handshake with one), made once per store version and
    choice and shared (:func:`assetmap.ui.snapshots.closure_map`)."""
    page, caption = snapshots.closure_map(url, version, chosen, common.leaflet_base(),
                                          _settings.load().suppress_below)
    st.iframe(page, height=MAP_HEIGHT + 12,
              alt="Map of where people would be affected if it closed (described below)")
    st.caption(caption)


def _long_table(frame: pd.DataFrame, key: str, what: str) -> None:
    """A table's first :data:`ROWS_SHOWN` rows, with a switch to show every row (the CSV
    download below it always holds them all): less to send and draw when the page opens."""
    if len(frame) <= ROWS_SHOWN:
        st.dataframe(frame, hide_index=True, width="stretch")
        return
    every = st.session_state.get(key, False)
    st.dataframe(frame if every else frame.head(ROWS_SHOWN), hide_index=True, width="stretch")
    st.toggle(f"Show all {len(frame):,} {what}", key=key,
              help=f"The first {ROWS_SHOWN} are shown; the CSV download has every row.")


def render() -> None:
    """Draw the page (signed-in users whose role may open it; see
    :mod:`assetmap.governance.access`)."""
    user = auth.require_page("resilience.py")
    st.title("Resilience")
    st.caption("What depends on each group and organisation: who would lose their only "
               "community tie, or every route to a GP, link worker or hub, if it closed.")
    try:
        store = common.get_store()
        version = store.version()
        common.forget_stale(common.store_url(), version)
        has_assets = store.count(vocab.GROUP) + store.count(vocab.ORGANISATION) > 0
    except Exception as exc:
        common.show_error(exc)
        common.footer()
        return
    if not has_assets:
        st.info("No groups or organisations in the store yet — run `assetmap demo` or import "
                "a directory on the Data page.")
        common.footer()
        return
    url = common.store_url()
    try:
        # one columnar snapshot and the places by kind, never the whole graph (issue 16: on a
        # server store; on SQLite too, where it is quicker and gives the same figures, see
        # benchmarks/bench_neo4j_closure.py)
        places = snapshots.place_attrs(url, version)
        options = _options(places)
        pick = st.selectbox("If this closed", list(options), format_func=options.__getitem__,
                            key="resilience_pick",
                            help="Type to search; at-risk groups and ULOs are marked.")
        chosen = ([n for n, d in places.items() if is_at_risk(d) and d.get("status")
                   != "closed"] if pick == ALL_AT_RISK else [pick])
        # cached per store version and choice (the default, every at-risk place, is warmed in
        # the background after sign-in)
        closing = tuple(sorted(chosen))
        impact = snapshots.closure_impacts(url, version, closing)
        st.subheader("Closure impact")
        people = impact["person_id"].nunique()
        only = impact.loc[impact["loses_only_community_tie"], "person_id"].nunique()
        hub = impact.loc[impact["loses_hub_path"], "person_id"].nunique()
        what = (ALL_AT_RISK_WHAT if pick == ALL_AT_RISK
                else options[pick].split(" (")[0])
        st.markdown(
            f"**In words:** if {common.md_escape(what)} closed, "
            f"{privacy.publish_count(people)} people "
            f"would be worse off: {privacy.publish_count(only)} would lose their only "
            f"community tie and {privacy.publish_count(hub)} every route to a GP or hub."
            + (f" ({len(chosen)} places, each considered alone.)" if pick == ALL_AT_RISK
               else ""))
        from assetmap.ui import analyst_ui  # issue 14: who depends on it, chart download

        # who goes there: the chosen places' own ties, one small read each, once per choice
        analyst_ui.closure_panel(url, version, closing, what)
        if impact.empty:
            st.info("No one would lose their only community tie or their route to support.")
        else:
            _impact_map(url, version, closing)
            listed = impact.rename(columns={
                "name": "Person", "asset": "If this closed", "level_before": "Level now",
                "level_after": "Level after", "loses_only_community_tie": "Only community tie",
                "loses_hub_path": "Loses route to support", "reasons": "Why"})[
                ["Person", "If this closed", "Level now", "Level after", "Only community tie",
                 "Loses route to support", "Why"]]
            from assetmap.governance import access

            mine = impact["person_id"].map(lambda p: access.can_view_person(user, p))
            listed = listed[mine.to_numpy(dtype=bool)]
            if listed.empty and user.role == access.HUB_ANALYST:
                st.caption("People are listed only for their own coordinators; above, counts "
                           "in bands.")
            elif listed.empty:
                st.caption("None of the people affected are on your caseload.")
            else:
                st.markdown("**Who would be affected** (people you may see)")
                _long_table(listed, "resilience_impact_all", "people")
                auth.people_download(listed, "assetmap_closure_impact.csv",
                                     "resilience_impact_csv", user,
                                     impact["person_id"][mine.to_numpy(dtype=bool)])
        st.subheader("Keystone assets")
        st.caption("Every open group and organisation, ranked by what its closure would do.")
        ranking = snapshots.published_keystone_table(url, version)
        if ranking.empty:
            st.info("No open groups or organisations to rank.")
        else:
            shown = ranking.drop(columns="asset_id")
            _long_table(shown, "resilience_keystones_all", "ranked places")
            # every row, formula-safe (as common.download_table makes it), once per version
            st.download_button(f"Download CSV (all {len(shown):,})",
                               snapshots.keystone_downloads(url, version)[0],
                               file_name="assetmap_keystone_assets.csv", mime="text/csv",
                               key="resilience_keystones_csv")
            analyst_ui.keystone_panel(url, version)
    except Exception as exc:
        common.show_error(exc)
    common.footer()

if __name__ == "__main__":
    render()
