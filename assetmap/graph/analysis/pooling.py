"""Who could pool personal budgets: people with budgets, a shared interest and homes close by.

Three people with personal budgets who all want to go walking, living within a couple of km of
each other, could commission a walking group together. For each interest (and each need) this
finds such sets greedily: the budget holder with the most others within ``max_km / 2`` seeds a
set of everyone not yet placed within ``max_km / 2`` of them, so every two homes in a set are at
most ``max_km`` apart. Only people who have consented to be suggested are included, because a
pooling set is a suggestion of people to one another.
"""

from __future__ import annotations

import json
import math
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import EARTH_RADIUS_M, haversine_km_array
from assetmap.governance.privacy import has_consent
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis.suggestions import wants

COLUMNS: list[str] = ["goal", "people", "members", "areas", "max_km_apart", "reasons"]


def unit_vectors(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, so straight-line (chord) distances order like haversine."""
    phi, lam = np.radians(lats), np.radians(lons)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord(km: float) -> float:
    """The chord length on the unit sphere of a great-circle distance in km."""
    return 2.0 * math.sin(min(math.pi, km * 1000.0 / EARTH_RADIUS_M) / 2.0)


@_c.whole_graph
def pooling_opportunities(G: nx.MultiDiGraph, max_km: float | None = None,
                          min_size: int = 3) -> pd.DataFrame:
    """Sets of at least ``min_size`` consenting budget holders sharing a goal, homes within
    ``max_km`` of each other (default: the ``max_travel_km`` setting); largest sets first."""
    _c.check_graph(G)
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    by_goal: dict[str, list[tuple[str, float, float, Any]]] = {}
    for p, attrs in G._node.items():
        if attrs.get("kind") != vocab.PERSON or attrs.get("personal_budget") is not True:
            continue
        if attrs.get("lat") is None or attrs.get("lon") is None:
            continue
        if not has_consent(attrs, "suggest"):
            continue
        for goal in wants(attrs) | {f"interest:{g}" for g in
                                    vocab.canonical_interests(attrs.get("goals") or [])}:
            by_goal.setdefault(goal, []).append((p, attrs["lat"], attrs["lon"], attrs.get("area")))
    return _pools(by_goal, max_km, min_size)


def pooling_opportunities_snapshot(snap: Any, max_km: float | None = None,
                                   min_size: int = 3) -> pd.DataFrame:
    """:func:`pooling_opportunities` over a snapshot (budget, consent, location, interest,
    need and goal codes are columns there): the same sets in the same order."""
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    holders = np.flatnonzero(snap.is_person & (snap.flags["personal_budget"] == 1)
                             & (snap.flags["consent_suggest"] == 1)
                             & ~np.isnan(snap.lat) & ~np.isnan(snap.lon))
    by_goal: dict[str, list[tuple[str, float, float, Any]]] = {}
    for i in holders.tolist():
        text = snap.text["goal_text"][i]
        attrs = {"interests": snap.words(i, "interests"), "needs": snap.words(i, "needs"),
                 "goals": None if text is None else json.loads(text)}
        goals = wants(attrs) | {f"interest:{g}" for g in
                                vocab.canonical_interests(attrs.get("goals") or [])}
        row = (snap.ids[i], float(snap.lat[i]), float(snap.lon[i]), snap.area[i])
        for goal in goals:
            by_goal.setdefault(goal, []).append(row)
    return _pools(by_goal, max_km, min_size)


def _pools(by_goal: dict[str, list[tuple[str, float, float, Any]]], max_km: float,
           min_size: int) -> pd.DataFrame:
    rows = []
    radius = chord(max_km / 2.0)
    for goal in sorted(by_goal):
        members = sorted(by_goal[goal])
        if len(members) < min_size:
            continue
        ids = [m[0] for m in members]
        lats = np.array([m[1] for m in members])
        lons = np.array([m[2] for m in members])
        tree = cKDTree(unit_vectors(lats, lons))
        near = tree.query_ball_point(unit_vectors(lats, lons), r=radius)
        placed = np.zeros(len(ids), dtype=bool)
        order = sorted(range(len(ids)), key=lambda i: (-len(near[i]), ids[i]))
        for seed in order:
            if placed[seed]:
                continue
            chosen = sorted(j for j in near[seed] if not placed[j])
            if len(chosen) < min_size:
                continue
            placed[chosen] = True
            sub_lat, sub_lon = lats[chosen], lons[chosen]
            apart = max(float(haversine_km_array(sub_lat[i], sub_lon[i], sub_lat, sub_lon).max())
                        for i in range(len(chosen)))
            what = vocab.label(goal.split(":", 1)[1])
            rows.append({
                "goal": goal, "people": len(chosen), "members": [ids[j] for j in chosen],
                "areas": sorted({members[j][3] for j in chosen if members[j][3]}),
                "max_km_apart": round(apart, 3),
                "reasons": (f"{len(chosen)} people with personal budgets "
                            + (f"share a need ({what})" if goal.startswith("need:")
                               else f"are into {what}")
                            + f" and live within {apart:.1f} km of each other"),
            })
    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    return df.sort_values(["people", "goal"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)
