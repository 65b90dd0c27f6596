"""What the whole-area pages read on a server store (Neo4j; :func:`assetmap.ui.common.
is_server_store`): one columnar snapshot per store version and the tables made from it, or a few
small reads through the store's own API, never the whole graph in networkx (issue 16).

Every result here is cached per (store URL, version) like :mod:`assetmap.ui.common`'s, and an
older version's entries are dropped as soon as a newer version is seen, so a person erased from
the store leaves no copy in this server's memory.
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import streamlit as st

from assetmap import vocab
from assetmap.graph.analysis.snapshot import Snapshot
from assetmap.graph.store import GraphStore
from assetmap.ui import common

#: The version each store URL was last read at here (for dropping older versions' entries).
_SEEN: dict[str, int] = {}
_SEEN_LOCK = threading.Lock()


def _store(url: str) -> GraphStore:
    return common._open(url)  # the one shared connection per URL


def forget_older(url: str, version: int) -> None:
    """Drop every cached snapshot and table of another version of this store (the caches are
    keyed on the version, so they would never be served again; this lets them go now)."""
    with _SEEN_LOCK:
        previous = _SEEN.get(url)
        _SEEN[url] = version
    if previous is not None and previous != version:
        for cached in (_snapshot, keystone_table, isolation_levels, place_attrs,
                       profile_graph, closure_impacts, closure_map, area_map_page,
                       gap_map_page, who_depends,
                       keystone_downloads, gap_table, carer_table, pooling_table):
            cached.clear()


@st.cache_resource(show_spinner="Reading the network's columns…", max_entries=2)
def _snapshot(url: str, version: int) -> Snapshot:
    return Snapshot.from_store(_store(url))


def snapshot(url: str, version: int) -> Snapshot:
    """The store at ``version`` as one columnar snapshot (streamed from the server, ~0.5 s per
    100k people), shared read-only by every page and session."""
    forget_older(url, version)
    return _snapshot(url, version)


@st.cache_resource(show_spinner="Ranking keystone assets…", max_entries=2)
def keystone_table(url: str, version: int) -> pd.DataFrame:
    """:func:`assetmap.ui.common.keystone_table` from the snapshot (the same ranking and raw
    counts; reasons are worded by the page from published counts)."""
    from assetmap.graph.analysis.resilience import keystone_assets_snapshot

    return keystone_assets_snapshot(snapshot(url, version))


@st.cache_resource(show_spinner="Ranking keystone assets…", max_entries=2)
def published_keystone_table(url: str, version: int) -> pd.DataFrame:
    """The keystone ranking as the Resilience page lists it (published counts; see
    :func:`assetmap.ui.views.resilience.published_keystones`), shared read-only and warmed with
    the page."""
    from assetmap.ui.views.resilience import published_keystones

    return published_keystones(keystone_table(url, version))


@st.cache_resource(show_spinner="Finding who is isolated…", max_entries=2)
def isolation_levels(url: str, version: int) -> pd.DataFrame:
    """Every person's ``person_id``, ``area`` and isolation ``level`` from the snapshot (what
    area counts and the area profile read; equal to those columns of the isolation table)."""
    from assetmap.graph.analysis.isolation import isolation_levels as levels

    return levels(snapshot(url, version))


@st.cache_data(show_spinner="Counting people by area…", max_entries=32)
def people_by_area(url: str, version: int, level: str,
                   with_isolation: bool = False) -> gpd.GeoDataFrame:
    """:func:`assetmap.ui.common.people_by_area` with the isolation measures counted from the
    snapshot (aggregates only)."""
    from assetmap.render import maps

    extra = maps.isolation_counts(isolation_levels(url, version)) if with_isolation else None
    return maps.people_by_area(_store(url), level, extra=extra,
                               boundaries=common.boundaries(url, version, level))


@st.cache_resource(show_spinner=False, max_entries=2)
def place_attrs(url: str, version: int) -> dict[str, dict[str, Any]]:
    """Every group and organisation's attributes (as ``to_networkx`` gives them), read by kind:
    public records, a small share of the store."""
    out: dict[str, dict[str, Any]] = {}
    store = _store(url)
    for kind in sorted(vocab.ASSET_KINDS):
        for n in store.find(kind):
            out[n.id] = {**n.props, "kind": n.kind, "name": n.name, "area": n.area,
                         "lat": n.lat, "lon": n.lon}
    return out


def places_graph(url: str, asset_ids: list[str]) -> nx.MultiDiGraph:
    """The chosen places, everything tied to them and those ties (one read per place through
    the store's ``neighbours``): all that who depends on them needs
    (:func:`assetmap.explain.who_depends`). Not cached: it holds people's records."""
    store = _store(url)
    G = nx.MultiDiGraph()
    for a in asset_ids:
        me = store.get(a)
        G.add_node(a, **{**me.props, "kind": me.kind, "name": me.name, "area": me.area,
                         "lat": me.lat, "lon": me.lon})
        for tie, other in store.neighbours(a):
            if other.id not in G:
                G.add_node(other.id, **{**other.props, "kind": other.kind, "name": other.name,
                                        "area": other.area, "lat": other.lat,
                                        "lon": other.lon})
            G.add_edge(tie.src, tie.dst, key=tie.kind,
                       **{**tie.props, "kind": tie.kind, "tie_class": tie.tie_class})
    return G


@st.cache_resource(show_spinner="Reading the areas…", max_entries=2)
def profile_graph(url: str, version: int) -> nx.MultiDiGraph:
    """What a ward's area profile reads (:func:`assetmap.explain.area_profile_html`), with no
    ties: every area and place as stored, and every person as kind and area only (from the
    snapshot; no names, no other field)."""
    store = _store(url)
    snap = snapshot(url, version)
    G = nx.MultiDiGraph()
    for n in store.find(vocab.AREA):
        G.add_node(n.id, **{**n.props, "kind": n.kind, "name": n.name, "area": n.area})
    for nid, attrs in place_attrs(url, version).items():
        G.add_node(nid, **attrs)
    for i in snap.is_person.nonzero()[0].tolist():
        G.add_node(snap.ids[i], kind=vocab.PERSON, area=snap.area[i])
    return G


# --- the analyst pages' whole-area results (issue 14's speed: computed once per version) -------


def at_risk_places(url: str, version: int) -> tuple[str, ...]:
    """Every open group and organisation whose status or funding is at risk, sorted: what the
    Resilience page considers when "all at-risk" is chosen (its default)."""
    from assetmap.ui.views.resilience import is_at_risk

    return tuple(sorted(n for n, d in place_attrs(url, version).items()
                        if is_at_risk(d) and d.get("status") != "closed"))


@st.cache_resource(show_spinner="Working out the closure impact…", max_entries=16)
def closure_impacts(url: str, version: int, chosen: tuple[str, ...]) -> pd.DataFrame:
    """The closure impact of each chosen place (considered alone) from the snapshot, one row
    per person and place (:func:`assetmap.ui.views.resilience.impact_of`); shared read-only,
    dropped with its version like the snapshot it is made from (it names people, as the
    isolation table does)."""
    from assetmap.ui.views.resilience import impact_of

    return impact_of(snapshot(url, version), list(chosen))


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def closure_map(url: str, version: int, chosen: tuple[str, ...], assets_base: str | None,
                threshold: int) -> tuple[str, str]:
    """The Resilience page's closure map for the chosen places, as one whole HTML page (and
    its caption) that loads Leaflet from ``assets_base``
    (:func:`assetmap.ui.views.resilience.impact_map_page`): published counts by area and
    public places only, so shared read-only by every session; ``threshold`` (the smallest
    count shown) is part of the key, so a changed setting draws a new map."""
    from assetmap.ui.views.resilience import impact_map_page

    return impact_map_page(url, version, chosen, closure_impacts(url, version, chosen))


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def area_map_page(url: str, version: int, measure: str, level: str, share: bool,
                  layers: tuple[str, ...], tiles: bool, assets_base: str | None,
                  attribution: str, threshold: int) -> str:
    """The Map page's map for this choice as one whole HTML page
    (:func:`assetmap.ui.views.map.area_map_page`): published counts by area and public places
    only, the same for every role, so shared read-only by every session; keyed on everything
    it draws from (``threshold``, the smallest count shown, too: a changed setting draws anew)."""
    from assetmap.ui.views.map import area_map_page as page

    return page(url, version, measure, level, share, layers, tiles, assets_base, attribution)


@st.cache_resource(show_spinner="Drawing the map…", max_entries=16)
def gap_map_page(url: str, version: int, level: str, need: str, assets_base: str | None,
                 threshold: int) -> tuple[str, str]:
    """The Gaps page's map of one need at ``level`` as one whole HTML page and its caption
    (:func:`assetmap.ui.views.gaps.gap_map_page`), from :func:`gap_table`: published counts
    by area only, so shared read-only by every session ("" when there is nothing to draw)."""
    from assetmap.ui.views.gaps import gap_map_page as page

    return page(url, version, level, need)


@st.cache_resource(show_spinner=False, max_entries=16)
def who_depends(url: str, version: int, chosen: tuple[str, ...],
                what: str) -> tuple[pd.DataFrame, str]:
    """Which kinds of people go to the chosen places, in bands
    (:func:`assetmap.explain.who_depends`), and its chart's Vega-Lite spec titled for ``what``:
    published bands only, so made once per store version and choice (one small read per
    place) and shared read-only, instead of on every run of the page."""
    from assetmap import explain

    places = list(chosen)
    table = explain.who_depends(places_graph(url, places), places,
                                closure_impacts(url, version, chosen))
    return table, explain.who_depends_chart(table, f"Who goes to {what}"[:90]).to_json()


@st.cache_resource(show_spinner=False, max_entries=2)
def keystone_downloads(url: str, version: int) -> tuple[bytes, pd.DataFrame, bytes]:
    """The Resilience page's keystone downloads, made once per store version instead of on
    every run: the published ranking as CSV, the ranking explained in bands
    (:func:`assetmap.explain.keystones_explained`) and that as CSV; formula-safe
    (:func:`assetmap.governance.privacy.neutralise_csv`) and aggregates only."""
    from assetmap import explain
    from assetmap.governance import privacy

    def csv(frame: pd.DataFrame) -> bytes:
        return privacy.neutralise_csv(frame).to_csv(index=False).encode("utf-8")

    banded = explain.keystones_explained(keystone_table(url, version))
    published = published_keystone_table(url, version).drop(columns="asset_id")
    return csv(published), banded, csv(banded)


def _source(url: str, version: int) -> Any:
    """What the Gaps page's analyses read: on a server store the columnar snapshot (issue 16),
    else the shared graph."""
    if common.is_server_store(_store(url)):
        return snapshot(url, version)
    return common.graph(url, version)


@st.cache_resource(show_spinner="Finding provision gaps…", max_entries=8)
def gap_table(url: str, version: int, level: str) -> gpd.GeoDataFrame:
    """The Gaps page's published provision gaps at ``level`` (aggregates only; read-only)."""
    from assetmap.ratings import provision_weights
    from assetmap.ui.views.gaps import gap_tables

    levels = common.boundary_levels(url, version)
    bounds = {lv: common.boundaries(url, version, lv) for lv in levels if lv in (levels[0], level)}
    return gap_tables(_source(url, version), bounds, level, provision_weights(_store(url)))


@st.cache_resource(show_spinner="Finding carers without support…", max_entries=8)
def carer_table(url: str, version: int, level: str) -> pd.DataFrame:
    """Carers' support gaps per area of ``level``, published (the Gaps page's table), from the
    columnar snapshot on both stores: equal to the graph's (tests/test_small_reads_equal.py) and
    about twenty times quicker at 100k than every carer's circle in networkx."""
    from assetmap.graph.analysis.carers import carer_gaps_snapshot
    from assetmap.ui.views.gaps import carer_gaps_by_area

    snap = snapshot(url, version)
    return carer_gaps_by_area(carer_gaps_snapshot(snap), snap, level)


@st.cache_resource(show_spinner="Looking for people who could pool budgets…", max_entries=4)
def pooling_table(url: str, version: int) -> pd.DataFrame:
    """Pooling opportunities as the Gaps page publishes them (no one's id), from the columnar
    snapshot on both stores (equal to the graph's: tests/test_small_reads_equal.py)."""
    from assetmap.graph.analysis.pooling import pooling_opportunities_snapshot
    from assetmap.ui.views.gaps import published_pooling

    snap = snapshot(url, version)
    return published_pooling(pooling_opportunities_snapshot(snap), snap)


_WARMED: set[tuple[str, int]] = set()
_WARM_LOCK = threading.Lock()
#: How :func:`warm_map` marks a store URL in :data:`_WARMED` (cleared with it).
_MAP_KEY = "map:"
#: The area levels the Map page offers, in the order it offers them (its first is the default).
MAP_LEVELS: tuple[str, ...] = ("ward", "lsoa", "msoa", "locality")


def import_map_page_modules() -> None:
    """Import the libraries the Map page draws its frame with and nothing before it does
    (folium's plugins and branca: a tenth of a CPU-second or more, part of the first page's
    wait after sign-in; issue 14). Importing is once per process, whoever does it."""
    import branca  # noqa: F401
    import folium.plugins  # noqa: F401


def warm_map(url: str, version: int) -> None:
    """Compute, once per store version, what the Map page opens with (the store's area levels,
    people counted by its first level, the public assets) and import the modules it draws with:
    the first page after sign-in then reads them from the shared caches (aggregates and public
    records only; issue 14). Meant for a background thread while someone signs in; a failure is
    left for the page."""
    if not _first_time((_MAP_KEY + url, version)):
        return
    try:
        present = common.boundary_levels(url, version)
        first = next((lv for lv in MAP_LEVELS if lv in present), None)
        table = common.assets(url, version)
        import_map_page_modules()
        if first is not None:  # the map the page opens with, as it draws it (issue 14); the
            # people counted by area on the way (views.map.area_counts), into the shared cache
            from assetmap import settings
            from assetmap.ui.views.map import default_layers

            area_map_page(url, version, "people", first, False, tuple(default_layers(table)),
                          False, common.leaflet_base(), common._attribution(url, version),
                          settings.load().suppress_below)
    except Exception:  # noqa: S110 - the page that needs it shows the error as one sentence
        pass


def warm_map_in_background(url: str) -> threading.Thread | None:
    """Start :func:`warm_map` for the store's current version in a daemon thread (for the
    sign-in screen: the Map page is the first page after it); None when already warmed or the
    store cannot be read (the page will say so)."""
    try:
        version = _store(url).version()
    except Exception:
        return None
    return _in_background((_MAP_KEY + url, version), warm_map, (url, version),
                          "assetmap-warm-map")


def warm_analyst_pages(url: str, version: int) -> None:
    """Compute, once per store version, what the Gaps and Resilience pages open with (their
    whole-area tables at wards, the Gaps map of the need it opens on, the keystone ranking, the
    closure impact of every at-risk place and its map), so the first analyst to open them does
    not wait. Meant for a background thread after sign-in; a failure is left for the page to
    report."""
    if not _first_time((url, version)):
        return
    try:
        forget_older(url, version)
        from assetmap import settings
        from assetmap.ui.views.gaps import opening_level, opening_need

        threshold = settings.load().suppress_below
        first = opening_level(common.boundary_levels(url, version))
        if first is not None:  # the Gaps page, as it opens: its tables and its map
            gaps = gap_table(url, version, first)
            carer_table(url, version, first)
            if not gaps.empty:
                gap_map_page(url, version, first, opening_need(gaps), common.leaflet_base(),
                             threshold)
        pooling_table(url, version)
        import altair  # noqa: F401  # the Resilience page's charts: a second to import

        chosen = at_risk_places(url, version)
        impact = closure_impacts(url, version, chosen)  # as it opens
        published_keystone_table(url, version)
        keystone_downloads(url, version)
        if not impact.empty:  # its map, as the page draws it
            closure_map(url, version, chosen, common.leaflet_base(), threshold)
        _warm_closure_chart(url, version, chosen)
    except Exception:  # noqa: S110 - the page that needs it shows the error as one sentence
        pass


def _warm_closure_chart(url: str, version: int, chosen: tuple[str, ...]) -> None:
    """Draw the chart the Resilience page opens with (who goes to every at-risk place) as the
    SVG it shows and the PNG its download button holds: each is cached per chart spec
    (published bands only), and the first drawing starts a renderer (a second or more);
    importing the panel's modules is half a second more."""
    from assetmap.ui import analyst_ui
    from assetmap.ui.views.resilience import ALL_AT_RISK_WHAT

    # the table and spec analyst_ui.closure_panel reads, so its cached pictures are these
    _, spec = who_depends(url, version, chosen, ALL_AT_RISK_WHAT)
    analyst_ui._png(spec)
    analyst_ui._svg(spec)  # the picture the page shows


def warm_in_background(url: str, version: int) -> threading.Thread | None:
    """Start :func:`warm_analyst_pages` in a daemon thread unless this version is warmed."""
    return _in_background((url, version), warm_analyst_pages, (url, version),
                          "assetmap-warm-analyst")


def _first_time(key: tuple[str, int]) -> bool:
    """Mark a warm-up (its store URL, or map key, and version) done; False when it already was,
    so each runs once per store version whoever starts it."""
    with _WARM_LOCK:
        if key in _WARMED:
            return False
        _WARMED.add(key)
        return True


def _in_background(key: tuple[str, int], warm: Any, args: tuple[Any, ...],
                   name: str) -> threading.Thread | None:
    """Start ``warm(*args)`` in a daemon thread unless the warm-up ``key`` is done already."""
    if key in _WARMED:
        return None
    thread = threading.Thread(target=warm, args=args, name=name, daemon=True)
    thread.start()
    return thread
