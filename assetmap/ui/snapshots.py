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
                       profile_graph):
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
