"""For analysts on the Resilience page: who depends on a place (bands, never small numbers) as a
table and a chart to download (PNG or Vega-Lite), and the keystone ranking explained in bands.

Thin over :mod:`assetmap.explain`; everything shown is published (aggregates only).
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
import streamlit as st

from assetmap import explain
from assetmap.ui import common, snapshots


@st.cache_data(show_spinner="Drawing the chart…", max_entries=16)
@st.cache_data(show_spinner=False, max_entries=16)
def _png(spec: str) -> bytes:
    """The chart as a PNG, drawn once per chart (its spec holds only published bands): a
    download button holding the bytes works on the first press, and a rerun draws nothing."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, scale=2.0)


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(filter(None, keep.split("-")))[:48] or "place"


def closure_panel(G: nx.MultiDiGraph, chosen: list[str], impact: pd.DataFrame,
                  what: str) -> None:
    """Which kinds of people depend on the chosen place(s), with a chart to download. ``G``
    needs only the chosen places, what is tied to them and those ties (the Resilience page
    passes :func:`assetmap.ui.snapshots.places_graph`)."""
    table = explain.who_depends(G, chosen, impact)
    st.markdown("**Who depends on it** (counts in bands; never small numbers)")
    st.table(table[["people", "band", "worse_off_band"]].rename(columns={
        "people": "People who go", "band": "How many",
        "worse_off_band": "Of them, worse off if it closed"}).set_index("People who go"))
    chart = explain.who_depends_chart(table, f"Who goes to {what}"[:90])
    from assetmap.ui.a11y import described

    st.altair_chart(described(chart, f"Bar chart: who goes to {what}, in bands; the same bands "
                              "are in the table above."), width="content")
    spec = chart.to_json()
    cols = st.columns(2)
    # the picture is drawn once per chart and kept (a second or more to draw), not every run
    cols[0].download_button("Download chart (PNG)", _png(spec), mime="image/png",
                            file_name=f"who-depends-{_slug(what)}.png",
                            key="resilience_chart_png")
    cols[1].download_button("Download chart (Vega-Lite)", spec.encode("utf-8"),
                            mime="application/json", file_name=f"who-depends-{_slug(what)}.json",
                            key="resilience_chart_json")


def keystone_panel(ranking: pd.DataFrame) -> None:
    """The keystone ranking with its counts as bands, so the top places can be explained."""
    if ranking.empty:
        return
    with st.expander("Keystone ranking explained in bands (8–20, 21–50, …)"):
        shown = explain.keystones_explained(ranking)
        st.table(shown.head(25).set_index("Rank"))  # a plain table: readable, and printable
        common.download_table(shown, "assetmap_keystones_banded.csv",
                              key="resilience_keystone_bands_csv")
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
