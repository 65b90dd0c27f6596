"""Directory page (link workers; no person record needed): find groups and places by need,
interest or activity, near a postcode or place within a radius, on a day and time of day, free or
low cost, step-free, open this week. A numbered list and a map with the same numbers, nearest
first, distances in bands; a printable list (HTML with a print stylesheet) to give the person.

Thin over :func:`assetmap.directory.find_assets`. The search is never stored or audited: it names
no one. Coordinators and administrators can also add or edit a group here.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import folium
import streamlit as st

from assetmap import directory, vocab
from assetmap.render import maps
from assetmap.ui import auth, common, recording_ui

MAP_HEIGHT = 420
SHOWN = 40
RADII: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
_ANY = "Any"


def _label(word: str) -> str:
    return vocab.label(word).capitalize()


def _filters() -> dict[str, Any] | None:
    with st.form("directory_search"):
        cols = st.columns(3)
        need = cols[0].selectbox("Need", list(vocab.NEEDS), index=None, format_func=_label,
                                 key="dir_need", placeholder=_ANY)
        interest = cols[1].selectbox("Interest or activity", list(vocab.INTERESTS), index=None,
                                     format_func=_label, key="dir_interest", placeholder=_ANY)
        text = cols[2].text_input("Words in the name or description", key="dir_text",
                                  placeholder="e.g. choir, men's shed")
        cols = st.columns(3)
        near = cols[0].text_input("Near (postcode or place)", key="dir_near",
                                  placeholder="e.g. M33 7AA or Sale Central")
        within = cols[1].selectbox("Within", RADII, index=None, key="dir_within",
                                   format_func=lambda km: f"{km:g} km", placeholder="Any distance")
        day = cols[2].selectbox("Day", directory.DAYS, index=None, format_func=str.capitalize,
                                key="dir_day", placeholder="Any day")
        ticks = st.columns(4)
        time = ticks[0].selectbox("Time of day", list(directory.TIMES_OF_DAY), index=None,
                                  format_func=str.capitalize, key="dir_time",
                                  placeholder="Any time")
        free = ticks[1].checkbox("Free or low cost", key="dir_free")
        step_free = ticks[2].checkbox("Step-free", key="dir_step_free")
        week = ticks[3].checkbox("Meets this week", key="dir_week")
        rated = st.columns(2)
        sort = rated[0].radio("Order", directory.SORTS, horizontal=True, key="dir_sort",
                              format_func={"distance": "Nearest first",
                                           "rating": "Best rated first"}.__getitem__)
        min_rating = rated[1].selectbox("Rated at least (by 5 or more people)", [3, 4],
                                        index=None, key="dir_min_rating",
                                        format_func=lambda r: f"{r} of 5",
                                        placeholder="Any rating")
        everything = st.checkbox("Include register entries with no activity, place or time",
                                 key="dir_all")
        if not st.form_submit_button("Search", type="primary"):
            return st.session_state.get("dir_last")
    found = {"need": need, "interest": interest, "activity_text": text or None,
             "near": near.strip() or None, "within_km": within, "day": day,
             "time_of_day": time, "free_or_low_cost": free, "step_free": step_free,
             "open_this_week": week, "include_unattendable": everything,
             "sort": sort, "min_rating": min_rating}
    st.session_state["dir_last"] = found
    return found


def map_page(found: Any, origin: tuple[float, float] | None, within: float | None) -> str:
    """The search's map as one whole HTML page: each place found as its number, the search
    circle when a radius was given. Public places only; element names are numbered, not
    random, so the same search gives the same bytes and a browser keeps the frame it drew."""
    from assetmap.render.network import stable_names

    fmap = common.blank_map(MAP_HEIGHT)
    lats, lons = list(found["lat"]), list(found["lon"])
    if origin is not None and within:
        folium.Circle(origin, radius=within * 1000, color="#1a5fb4", weight=1, fill=False,
                      tooltip=f"within {within:g} km").add_to(fmap)
    for r in found.itertuples(index=False):
        html = (f'<div style="background:#1a5fb4;color:#fff;border-radius:50%;width:24px;'
                f'height:24px;line-height:24px;text-align:center;font:600 12px sans-serif;'
                f'border:2px solid #fff">{int(r.rank)}</div>')
        folium.Marker([r.lat, r.lon], icon=folium.DivIcon(html=html, icon_size=(24, 24),
                                                          icon_anchor=(12, 12)),
                      tooltip=f"{int(r.rank)}. {maps.map_text(r.place)}").add_to(fmap)
    if lats:
        common.fit_view(fmap, min(lats), min(lons), max(lats), max(lons), MAP_HEIGHT)
    return stable_names(fmap, "dm").get_root().render()


def _map(found: Any, origin: tuple[float, float] | None, within: float | None) -> None:
    """Draw the search's map as a plain frame holding its page (nothing is read back from the
    map, so no component and no handshake with one); made on each search, as the list is."""
    st.iframe(map_page(found, origin, within), height=MAP_HEIGHT + 12,
              alt="Map of the places found, numbered as in the list above")
    st.caption("Numbered as in the list. The map is a picture of the list above: the list is "
               "the same information, for keyboards and screen readers.")


def render() -> None:
    """Draw the page (every role: it holds no one's personal data)."""
    user = auth.require_page("directory.py")
    st.title("Directory")
    st.caption("Find groups and places to go by need, interest, place, day and cost — no person "
               "record needed. Distances are shown in bands.")
    try:
        store = common.get_store()
        filters = _filters()
        if filters is not None:
            _results(store, filters)
        if user.role in {"coordinator", "admin"}:
            with st.expander("Add or edit a group"):
                recording_ui.group_form(store, user)
    except Exception as exc:
        common.show_error(exc)
    common.footer()


def _results(store: Any, filters: dict[str, Any]) -> None:
    try:
        found = directory.find_assets(store, **filters)
    except Exception as exc:
        common.show_error(exc)
        return
    search = directory.describe_search(**filters)
    if found.empty:
        st.info("Nothing matched; try a wider radius or fewer filters.")
        return
    shown = found.head(SHOWN)
    st.markdown(f"**{len(found)} places** · {common.md_escape(search)}"
                + (f" · showing the nearest {SHOWN}" if len(found) > SHOWN else ""))
    table = directory.printable(shown)
    st.dataframe(table, hide_index=True, width="stretch", key="directory_table")
    cols = st.columns(2)
    with cols[0]:
        st.download_button(
            "Printable list (HTML)", directory.directory_html(shown, search).encode("utf-8"),
            file_name=f"places-to-try-{_dt.date.today().isoformat()}.html", mime="text/html",
            key="directory_print", type="primary")
    with cols[1]:
        common.download_table(table, "directory.csv", key="directory_csv")
    origin = None
    if filters.get("near"):
        origin = directory.locate(store, filters["near"])
    _map(shown, origin, filters.get("within_km"))


if __name__ == "__main__":
    render()
