"""What every page shares: the store (one connection per store URL), cached area results keyed
on the store's version, one-sentence errors and the data attribution footer."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from assetmap import maps
from assetmap import settings as _settings
from assetmap.errors import AssetmapError
from assetmap.graph.store import GraphStore, open_store

EMPTY_STORE_MESSAGE = ("No one in this area yet — run `assetmap demo` to build the Trafford demo "
                       "area, or import your own data.")


def store_url() -> str:
    """The store this app shows: the ``ASSETMAP_STORE`` setting (or the default file)."""
    return _settings.default_store_url()


@st.cache_resource(show_spinner=False)
def _open(url: str) -> GraphStore:
    return open_store(url)


def get_store() -> GraphStore:
    """The shared connection to the configured store (opened once per URL per server)."""
    return _open(store_url())


@st.cache_data(show_spinner="Finding who is isolated…", max_entries=8)
def isolation_counts(url: str, version: int) -> pd.DataFrame:
    """Isolation levels counted per smallest area (an aggregate), cached per store version."""
    from assetmap.graph.isolation import isolated_people

    return maps.isolation_counts(isolated_people(_open(url).to_networkx()))


@st.cache_data(show_spinner="Counting people by area…", max_entries=32)
def people_by_area(url: str, version: int, level: str,
                   with_isolation: bool = False) -> gpd.GeoDataFrame:
    """Area counts (aggregates only, safe to share between users), cached per store version.

    ``with_isolation`` adds the structural isolation measures (builds the graph: slower)."""
    extra = isolation_counts(url, version) if with_isolation else None
    return maps.people_by_area(_open(url), level, extra=extra)


@st.cache_data(show_spinner=False, max_entries=8)
def assets(url: str, version: int) -> pd.DataFrame:
    """The public assets (groups and organisations with a location), cached per store version."""
    return maps.asset_frame(_open(url))


def show_error(exc: BaseException) -> None:
    """Show a problem as one sentence, never a traceback."""
    if isinstance(exc, AssetmapError):
        st.error(str(exc))
    else:
        st.error(f"Something went wrong: {type(exc).__name__}. Check the store setting and try "
                 "again.")


def attribution() -> str:
    """The data and map credits every page shows."""
    from assetmap.ingest import trafford

    return f"{trafford.ATTRIBUTION} {maps.OSM_ATTRIBUTION}."


def footer() -> None:
    """The attribution footer."""
    st.divider()
    st.caption(attribution())
