"""About page: what assetmap shows, the privacy rules, and the data sources with their licences."""

from __future__ import annotations

import streamlit as st

from assetmap import settings as _settings
from assetmap.ui import auth, common


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
        "- The demo's population is synthetic: no real person's data.")
    st.subheader("Data sources")
    st.caption("Recorded by each import (boundaries, postcodes, directories, spreadsheets, the "
               "demo) with the licence and attribution it was given.")
    try:
        table = common.sources_table(common.store_url(), common.get_store().version())
    except Exception as exc:
        common.show_error(exc)
    else:
        st.table(table.set_index("Data"))
    common.footer()


render()
