"""For analysts on the Resilience page: who depends on a place (bands, never small numbers) as a
table and a chart to download (PNG or Vega-Lite), and the keystone ranking explained in bands.

Thin over :mod:`assetmap.explain`; everything shown is published (aggregates only).
"""

from __future__ import annotations

import streamlit as st

from assetmap import explain
from assetmap.ui import common, snapshots


@st.cache_data(show_spinner="Drawing the chart…", max_entries=16)
def _png(spec: str) -> bytes:
    """The chart as a PNG, drawn once per chart (its spec holds only published bands): a
    download button holding the bytes works on the first press, and a rerun draws nothing."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, scale=2.0)


@st.cache_data(show_spinner="Drawing the chart…", max_entries=16)
def _svg(spec: str) -> str:
    """The chart as an SVG picture (about 11 KB), drawn once per chart by the renderer that
    draws its PNG: the page shows this, the same picture as the download, instead of a Vega
    chart, whose scripts took a fifth of a second or more to load and run in each new
    browser session (issue 14)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec)


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(filter(None, keep.split("-")))[:48] or "place"


def closure_panel(url: str, version: int, chosen: tuple[str, ...], what: str) -> None:
    """Which kinds of people depend on the chosen place(s), with a chart to download: the
    table and chart made once per store version and choice
    (:func:`assetmap.ui.snapshots.who_depends`), the chart shown as the picture it
    downloads as."""
    table, spec = snapshots.who_depends(url, version, chosen, what)
    st.markdown("**Who depends on it** (counts in bands; never small numbers)")
    st.table(table[["people", "band", "worse_off_band"]].rename(columns={
        "people": "People who go", "band": "How many",
        "worse_off_band": "Of them, worse off if it closed"}).set_index("People who go"))
    # a picture with a text alternative (the same bands are in the table above)
    st.image(_svg(spec), alt=f"Bar chart: who goes to {what}, in bands; the same bands are in "
             "the table above."[:300])
    cols = st.columns(2)
    # the picture is drawn once per chart and kept (a second or more to draw), not every run
    cols[0].download_button("Download chart (PNG)", _png(spec), mime="image/png",
                            file_name=f"who-depends-{_slug(what)}.png",
                            key="resilience_chart_png")
    cols[1].download_button("Download chart (Vega-Lite)", spec.encode("utf-8"),
                            mime="application/json", file_name=f"who-depends-{_slug(what)}.json",
                            key="resilience_chart_json")


def keystone_panel(url: str, version: int) -> None:
    """The keystone ranking with its counts as bands, so the top places can be explained
    (made once per store version: :func:`assetmap.ui.snapshots.keystone_downloads`)."""
    _, shown, csv = snapshots.keystone_downloads(url, version)
    if shown.empty:
        return
    with st.expander("Keystone ranking explained in bands (8–20, 21–50, …)"):
        st.table(shown.head(25).set_index("Rank"))  # a plain table: readable, and printable
        # every table is downloadable, formula-safe (as common.download_table makes it)
        st.download_button("Download CSV", csv, file_name="assetmap_keystones_banded.csv",
                           mime="text/csv", key="resilience_keystone_bands_csv")
    area_profile_panel()


@st.cache_data(show_spinner="Writing the area profile…", max_entries=8)
def _profile(url: str, version: int, ward: str) -> str:
    # areas, places and people's areas from the snapshot, never the whole graph (issue 16)
    return explain.area_profile_html(snapshots.profile_graph(url, version), ward,
                                     snapshots.isolation_levels(url, version),
                                     snapshots.keystone_table(url, version))


def _wards(url: str, version: int) -> dict[str, str]:
    """Every ward: code -> name (the snapshot's areas)."""
    areas = snapshots.snapshot(url, version).area_frame()
    wards = areas[areas["level"] == "ward"]
    return {str(c): str(n or c) for c, n in zip(wards["area_code"], wards["area_name"],
                                                strict=True)}


def area_profile_panel() -> None:
    """A one-page area profile (HTML, print-ready) of a ward, for commissioners."""
    url = common.store_url()
    version = common.get_store().version()
    wards = _wards(url, version)
    if not wards:
        return
    ward = st.selectbox("Area profile for commissioners: ward",
                        sorted(wards, key=wards.__getitem__), index=None,
                        format_func=wards.__getitem__, key="resilience_profile_ward",
                        placeholder="Choose a ward…")
    if ward is not None:
        st.download_button("Download area profile (HTML)", _profile(url, version, ward),
                           file_name=f"area-profile-{_slug(wards[ward])}.html",
                           mime="text/html", key="resilience_profile_html")
