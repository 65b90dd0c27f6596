"""Who could pool personal budgets: people with budgets, a shared interest and homes close by.

Three people with personal budgets who all want to go walking, living within a couple of km of
each other, could commission a walking group together. For each interest (and each need) this
finds such sets greedily: the budget holder with the most others within ``max_km / 2`` seeds a
set of everyone not yet placed within ``max_km / 2`` of them, so every two homes in a set are at
most ``max_km`` apart. Only people who have consented to be suggested are included, because a
pooling set is a suggestion of people to one another.

Budgets pool only with their own kind (``budget_kind``: an NHS personal health budget, a
social-care direct payment or an individual service fund; ``vocab.BUDGET_KINDS``): NHS and
council money answer to different rules, so a set never mixes them, and holders whose budget
type is not recorded form their own sets, marked "unrecorded" (check before pooling). Each set
says what it could commission (``could_commission``, with ``commission_reasons``): **something
new** where no open group or service for the goal is within ``max_km`` of the set's centre (the
mean of its homes: a point in the middle of where they live, never a home), **strengthen a
group at risk** where a matching group within reach has status at risk (the nearest is the
``commission_target``), otherwise **join what is there**.
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
from assetmap.model import ANALYSIS_COLUMNS, INTEREST_BITS, NEED_BITS, analysis_fields

COLUMNS: list[str] = ["goal", "budget_kind", "people", "members", "areas", "max_km_apart",
                      "could_commission", "commission_target", "commission_reasons", "reasons"]

#: Holders whose budget type is not recorded pool together under this word.
UNRECORDED = "unrecorded"

#: A provider for the commission check: (id, name, lat, lon, at risk, interest bits, need bits).
_Provider = tuple[str, str, float, float, bool, int, int]


def unit_vectors(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, so straight-line (chord) distances order like haversine."""
    phi, lam = np.radians(lats), np.radians(lons)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord(km: float) -> float:
    """The chord length on the unit sphere of a great-circle distance in km."""
    return 2.0 * math.sin(min(math.pi, km * 1000.0 / EARTH_RADIUS_M) / 2.0)


def _bucket(kind: Any) -> str:
    return kind if kind in vocab.BUDGET_KINDS else UNRECORDED


@_c.whole_graph
def pooling_opportunities(G: nx.MultiDiGraph, max_km: float | None = None,
                          min_size: int = 3) -> pd.DataFrame:
    """Sets of at least ``min_size`` consenting budget holders of one budget kind sharing a
    goal, homes within ``max_km`` of each other (default: the ``max_travel_km`` setting), with
    what each could commission; largest sets first."""
    _c.check_graph(G)
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    by_goal: dict[tuple[str, str], list[tuple[str, float, float, Any]]] = {}
    providers: list[_Provider] = []
    col = {c: i for i, c in enumerate(ANALYSIS_COLUMNS)}
    for p, attrs in G._node.items():
        kind = attrs.get("kind")
        if kind in vocab.ASSET_KINDS:
            if _c.is_open(attrs) and attrs.get("lat") is not None \
                    and attrs.get("lon") is not None:
                f = analysis_fields(kind, {k: v for k, v in attrs.items() if k != "kind"})
                providers.append((p, str(attrs.get("name") or p), float(attrs["lat"]),
                                  float(attrs["lon"]), f[col["status"]] == "at_risk",
                                  int(f[col["interests"]]), int(f[col["needs"]])))
            continue
        if kind != vocab.PERSON:
            continue
        budget = vocab.budget_kind(attrs.get("budget_kind"))
        if attrs.get("personal_budget") is not True and budget is None:
            continue
        if attrs.get("lat") is None or attrs.get("lon") is None:
            continue
        if not has_consent(attrs, "suggest"):
            continue
        for goal in wants(attrs) | {f"interest:{g}" for g in
                                    vocab.canonical_interests(attrs.get("goals") or [])}:
            by_goal.setdefault((goal, _bucket(budget)), []).append(
                (p, attrs["lat"], attrs["lon"], attrs.get("area")))
    return _pools(by_goal, max_km, min_size, sorted(providers))


def pooling_opportunities_snapshot(snap: Any, max_km: float | None = None,
                                   min_size: int = 3) -> pd.DataFrame:
    """:func:`pooling_opportunities` over a snapshot (budget, budget kind, consent, location,
    interest, need and goal codes are columns there): the same sets in the same order."""
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    kinds = snap.text["budget_kind"]
    recorded = np.array([k is not None for k in kinds], dtype=bool)
    holders = np.flatnonzero(snap.is_person
                             & ((snap.flags["personal_budget"] == 1) | recorded)
                             & (snap.flags["consent_suggest"] == 1)
                             & ~np.isnan(snap.lat) & ~np.isnan(snap.lon))
    by_goal: dict[tuple[str, str], list[tuple[str, float, float, Any]]] = {}
    # holders share interests, needs and goals: each distinct combination is read once
    made: dict[tuple[int, int, Any], set[str]] = {}
    interests, needs, goal_text = snap.bits["interests"], snap.bits["needs"], snap.text["goal_text"]
    for i in holders.tolist():
        text = goal_text[i]
        key = (int(interests[i]), int(needs[i]), text)
        if key not in made:
            attrs = {"interests": snap.words(i, "interests"), "needs": snap.words(i, "needs"),
                     "goals": None if text is None else json.loads(text)}
            made[key] = wants(attrs) | {f"interest:{g}" for g in
                                        vocab.canonical_interests(attrs.get("goals") or [])}
        goals = made[key]
        row = (snap.ids[i], float(snap.lat[i]), float(snap.lon[i]), snap.area[i])
        for goal in goals:
            by_goal.setdefault((goal, _bucket(kinds[i])), []).append(row)
    located = snap.is_asset & ~snap.closed & ~np.isnan(snap.lat) & ~np.isnan(snap.lon)
    status = snap.text["status"]
    providers = [(snap.ids[i], str(snap.name[i] or snap.ids[i]), float(snap.lat[i]),
                  float(snap.lon[i]), status[i] == "at_risk", int(snap.bits["interests"][i]),
                  int(snap.bits["needs"][i])) for i in np.flatnonzero(located).tolist()]
    return _pools(by_goal, max_km, min_size, sorted(providers))


_Offering = dict[str, tuple[list[_Provider], np.ndarray, np.ndarray]]


def _offering(goal: str, providers: list[_Provider], cache: _Offering | None = None
              ) -> tuple[list[_Provider], np.ndarray, np.ndarray]:
    """The providers meeting ``goal`` (an interest or need bit), with their coordinates as
    arrays; with ``cache`` (one per provider list), made once per goal."""
    if cache is not None and goal in cache:
        return cache[goal]
    tag, word = goal.split(":", 1)
    bit = (NEED_BITS if tag == "need" else INTEREST_BITS).get(word, 0)
    match = [pr for pr in providers if (pr[6] if tag == "need" else pr[5]) & bit]
    got = (match, np.array([pr[2] for pr in match], dtype=float),
           np.array([pr[3] for pr in match], dtype=float))
    if cache is not None:
        cache[goal] = got
    return got


def _farthest_apart(lats: np.ndarray, lons: np.ndarray) -> float:
    """The largest great-circle distance (km) between any two of the points, a block of rows
    at a time (the same pairs and formula as one row at a time)."""
    best = 0.0
    for start in range(0, len(lats), 256):
        rows: Any = (lats[start:start + 256, None], lons[start:start + 256, None])
        block = haversine_km_array(rows[0], rows[1], lats[None, :], lons[None, :])
        best = max(best, float(block.max()))
    return best


def _commission(goal: str, lat: float, lon: float, providers: list[_Provider],
                max_km: float, cache: _Offering | None = None) -> tuple[str, str | None, str]:
    """What a set centred at (lat, lon) could commission for ``goal``, the group to strengthen
    (if any) and why, in words."""
    tag, word = goal.split(":", 1)
    what = vocab.label(word)
    match, lats, lons = _offering(goal, providers, cache)
    if match:
        km = haversine_km_array(lat, lon, lats, lons)
        near = [(round(float(km[j]), 6), match[j][0], match[j])
                for j in np.flatnonzero(km <= max_km).tolist()]
    else:
        near = []
    if not near:
        return (vocab.COMMISSION_NEW, None,
                f"no open group or service for {what} within {max_km:.1f} km of where they "
                "live: pooled, their budgets could commission one")
    at_risk = sorted((k, i, pr) for k, i, pr in near if pr[4])
    if at_risk:
        _, target, pr = at_risk[0]
        return (vocab.COMMISSION_STRENGTHEN, target,
                f"{pr[1]} offers {what} within reach and is at risk: pooled budgets could "
                "help keep it going")
    offers = "group or service offers" if len(near) == 1 else "groups or services offer"
    return (vocab.COMMISSION_EXISTING, None,
            f"{len(near)} open {offers} {what} within reach: they could join, or pool to fund "
            "what they need there")


def _pools(by_goal: dict[tuple[str, str], list[tuple[str, float, float, Any]]], max_km: float,
           min_size: int, providers: list[_Provider]) -> pd.DataFrame:
    rows = []
    offering: _Offering = {}
    radius = chord(max_km / 2.0)
    for goal, budget in sorted(by_goal):
        members = sorted(by_goal[(goal, budget)])
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
            apart = _farthest_apart(sub_lat, sub_lon)
            what = vocab.label(goal.split(":", 1)[1])
            could, target, why = _commission(goal, float(sub_lat.mean()),
                                             float(sub_lon.mean()), providers, max_km,
                                             offering)
            holders = ("people with personal budgets" if budget == UNRECORDED
                       else f"people holding a {vocab.BUDGET_KIND_LABELS[budget]}")
            rows.append({
                "goal": goal, "budget_kind": budget, "people": len(chosen),
                "members": [ids[j] for j in chosen],
                "areas": sorted({members[j][3] for j in chosen if members[j][3]}),
                "max_km_apart": round(apart, 3), "could_commission": could,
                "commission_target": target, "commission_reasons": why,
                "reasons": (f"{len(chosen)} {holders} "
                            + (f"share a need ({what})" if goal.startswith("need:")
                               else f"are into {what}")
                            + f" and live within {apart:.1f} km of each other"
                            + ("; budget type not recorded: check before pooling"
                               if budget == UNRECORDED else "")),
            })
    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    return df.sort_values(["people", "goal", "budget_kind"], ascending=[False, True, True],
                          kind="stable").reset_index(drop=True)
