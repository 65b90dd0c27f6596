"""About page: what assetmap shows, the privacy rules, and the data sources with their licences."""

from __future__ import annotations

import streamlit as st

from assetmap import settings as _settings
from assetmap.ui import auth, common

SOURCES: tuple[tuple[str, str, str], ...] = (
    ("Ward (2023), LSOA (2021) and borough boundaries", "ONS / Trafford Data Lab",
     "Open Government Licence v3.0"),
    ("Postcode centroids and look-ups", "ONS Postcode Directory via Trafford Data Lab",
     "Open Government Licence v3.0"),
    ("Census 2021 unpaid care, disability, health and population", "ONS / Trafford Data Lab",
     "Open Government Licence v3.0"),
    ("Community assets (GP practices, libraries, places of worship, sports clubs, charities, "
     "food banks, care homes, pharmacies, mental health services…)",
     "Trafford Data Lab, NHS, Charity Commission, OpenStreetMap",
     "Open Government Licence v3.0 / ODbL"),
    ("Street map tiles (optional background)", "OpenStreetMap contributors", "ODbL"),
)


def render() -> None:
    """Draw the page."""
    auth.require_page("about.py")
    conf = _settings.load()
    st.title("About and data sources")
    st.markdown(
        "assetmap maps the people, family carers, peer support groups, user-led organisations, "
        "community groups and clinicians of an area as one graph, finds who is isolated and "
        "which connections are missing, and shows it on a map.")
    st.subheader("Privacy")
    st.markdown(
        f"- People are never drawn at their homes: maps show counts per area.\n"
        f"- Counts from 1 to {conf.suppress_below - 1} are shown as \"<{conf.suppress_below}\"; "
        f"others are rounded to the nearest {conf.round_to}.\n"
        "- The demo population is synthetic: no real person's data.")
    st.subheader("Data sources")
    st.table({"Data": [s[0] for s in SOURCES], "From": [s[1] for s in SOURCES],
              "Licence": [s[2] for s in SOURCES]})
    common.footer()


render()
