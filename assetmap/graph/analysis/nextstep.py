"""A suggested next step for every person at once: the best open group or organisation near
home that meets their interests or needs, in one vectorised pass over a snapshot.

:func:`suggest_all` is what a worklist of thousands of people needs: one row per person, from
prebuilt indexes (a k-d tree of open assets' locations, packed interest/need codes for what each
person wants and each asset offers, the person–asset ties already made) instead of one
:func:`~assetmap.graph.analysis.suggestions.suggest_connections` call per person.

It ranks as ``suggest_connections`` does for groups and organisations — ``match`` (share of
the person's interests and needs the asset meets) and ``proximity`` (``1 - km / max_km``),
blended by :data:`~assetmap.graph.analysis.suggestions.WEIGHTS`, best score first, then
nearest, then id — with the same hard filters it can read from the snapshot (closed, full,
already tied, too far, nothing in common). Not included here: the social factor (link
prediction on the person–group graph) and the person's own ``max_cost`` / ``access_needs``
props; open one person's full suggestions for those. Tested equal to
``suggest_connections(..., k=1)`` where they do not apply.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import EARTH_RADIUS_M, haversine_m
from assetmap.graph.analysis.pooling import chord, unit_vectors
from assetmap.graph.analysis.snapshot import _TIE, Snapshot, _distinct, member
from assetmap.model import INTEREST_BITS, NEED_BITS

COLUMNS: list[str] = ["person_id", "candidate_id", "name", "kind", "score", "match",
                      "proximity", "distance_km", "matched"]
_NEED_SHIFT = 32
_WORDS = ([f"interest:{w}" for w in INTEREST_BITS]
          + [""] * (_NEED_SHIFT - len(INTEREST_BITS)) + [f"need:{w}" for w in NEED_BITS])


def _codes(interests: int, needs: int) -> int:
    return int(interests) | (int(needs) << _NEED_SHIFT)


def _popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per value (numpy 2's bitwise_count; a byte table before numpy 2)."""
    x = np.ascontiguousarray(x, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    return np.unpackbits(x.view(np.uint8)).reshape(len(x), 64).sum(axis=1).astype(np.int64)


def _wants(snap: Snapshot, people: np.ndarray) -> np.ndarray:
    """What each person wants as packed codes (interests, needs, and the words in their goals,
    read by :func:`suggestions.wants` for the few who have goals)."""
    from assetmap.graph.analysis.suggestions import wants

    codes = snap.bits["interests"][people] | (snap.bits["needs"][people] << _NEED_SHIFT)
    goals = snap.text["goal_text"]
    seen: dict[str, int] = {}  # the same goals recur: read each text once
    for j, i in enumerate(people.tolist()):
        text = goals[i]
        if text is None:
            continue
        if text not in seen:
            tags = wants({"goals": json.loads(text)})
            seen[text] = sum(1 << _WORDS.index(t) for t in tags if t in _WORDS)
        codes[j] |= seen[text]
    return codes


def _offers(snap: Snapshot, assets: np.ndarray) -> np.ndarray:
    """What each asset offers as packed codes; by its name where it records neither activities
    nor needs (as :func:`suggestions.offers`)."""
    codes = snap.bits["interests"][assets] | (snap.bits["needs"][assets] << _NEED_SHIFT)
    for j in np.flatnonzero(codes == 0).tolist():
        name = snap.name[int(assets[j])]
        if name:
            codes[j] = _codes(sum(INTEREST_BITS[w] for w in vocab.interests_in(name)),
                              sum(NEED_BITS[w] for w in vocab.needs_in(name)))
    return codes


def _asset_index(snap: Snapshot) -> tuple[Any, ...]:
    """The prebuilt indexes (once per snapshot, cached on it): open assets, what each offers,
    the ties already made, which are full, which have no location, and the located ones grouped
    by offer with a k-d tree each."""
    got = snap._cache.get("asset_index")
    if got is not None:
        return got
    n = len(snap.ids)
    n64 = np.int64(n)
    assets = np.flatnonzero(snap.is_asset & ~snap.closed)
    offers = _offers(snap, assets)
    # already tied (any current tie, either direction), and how many attend each asset; an
    # ended tie (``until`` passed) is history, so its other end may be suggested again
    now = snap.current()
    src, dst = snap.src[now].astype(np.int64), snap.dst[now].astype(np.int64)
    linked = _distinct(np.concatenate([src * n64 + dst, dst * n64 + src]))
    att = now & (snap.tie_kind == _TIE["ATTENDS"]) & snap.is_person[snap.src]
    attendees = np.bincount(snap.dst[att], minlength=n)
    full = ~np.isnan(snap.capacity[assets]) & (attendees[assets] >= snap.capacity[assets])
    a_has = ~np.isnan(snap.lat[assets]) & ~np.isnan(snap.lon[assets])
    located = np.flatnonzero(a_has)
    nowhere = np.flatnonzero(~a_has)  # assets with no location: distance unknown, not filtered
    # Located open assets grouped by what they offer, a k-d tree per group: a person is matched
    # only against groups they have something in common with, and within a group (same match)
    # only the nearest few can be their best, so pairs stay few at any size.
    usable = located[~full[located]]
    codes = np.unique(offers[usable])
    group_of = np.full(n, -1, dtype=np.int64)  # node -> its offer group (usable assets only)
    group_of[assets[usable]] = np.searchsorted(codes, offers[usable])
    # the most assets of one group any one person is already tied to: that many more to look at
    pairs = linked[group_of[linked % n64] >= 0]
    most_of = np.zeros(len(codes), dtype=np.int64)
    if len(pairs):
        gp_all: np.ndarray = np.sort(group_of[pairs % n64] * n64 + pairs // n64)  # int64
        starts = np.flatnonzero(np.r_[True, gp_all[1:] != gp_all[:-1]])
        runs = np.diff(np.r_[starts, len(gp_all)])
        np.maximum.at(most_of, gp_all[starts] // n64, runs)
    groups = []
    for g, code in enumerate(codes.tolist()):
        members = usable[offers[usable] == code]
        most = int(most_of[g])
        groups.append((code, members, cKDTree(unit_vectors(snap.lat[assets[members]],
                                                           snap.lon[assets[members]])), most))
    got = snap._cache["asset_index"] = (assets, offers, linked, full, nowhere, groups)
    return got


def suggest_all(snap: Snapshot, top: int = 1, max_km: float | None = None,
                chunk: int = 20_000, people: Iterable[str] | None = None) -> pd.DataFrame:
    """For every person (or only ``people``), their ``top`` best groups or organisations (see
    the module docstring): one row per (person, suggestion), people with none left out. Works
    in chunks of ``chunk`` people, so memory stays bounded at any size."""
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    from assetmap.graph.analysis import suggestions

    w = suggestions.WEIGHTS  # the blend suggest_connections uses for groups and organisations
    n = len(snap.ids)
    n64 = np.int64(n)
    assets = np.flatnonzero(snap.is_asset & ~snap.closed)
    rows: np.ndarray  # the people's rows in the snapshot
    if people is None:
        rows = np.flatnonzero(snap.is_person)
    else:
        at = snap.index
        rows = np.array(sorted(at[p] for p in people if p in at), dtype=np.int64)
        rows = rows[snap.is_person[rows]]
    if not len(assets) or not len(rows):
        return pd.DataFrame(columns=COLUMNS)
    assets, offers, linked, full, nowhere, index_groups = _asset_index(snap)
    groups = [(code, members, tree, min(len(members), top + most + 2))
              for code, members, tree, most in index_groups]
    radius = chord(max_km) * (1 + 1e-9)  # a hair wide: the exact haversine decides below
    frames = []
    for start in range(0, len(rows), chunk):
        who = rows[start:start + chunk]
        wants = _wants(snap, who)
        p_has = ~np.isnan(snap.lat[who]) & ~np.isnan(snap.lon[who])
        rows_p: list[np.ndarray] = []
        rows_a: list[np.ndarray] = []
        here = np.flatnonzero(p_has)
        if len(here):
            points = unit_vectors(snap.lat[who[here]], snap.lon[who[here]])
            for code, members, tree, k in groups:
                ask = np.flatnonzero((wants[here] & code) != 0)
                if not len(ask):
                    continue
                d, j = tree.query(points[ask], k=k, distance_upper_bound=radius)
                d, j = d.reshape(len(ask), -1), j.reshape(len(ask), -1)
                ok = np.isfinite(d)
                rows_p.append(np.repeat(here[ask], ok.sum(axis=1)))
                rows_a.append(members[j[ok]])
        far = np.flatnonzero(~p_has)  # people with no location: every asset, distance unknown
        if len(far):
            rows_p.append(np.repeat(far, len(assets)))
            rows_a.append(np.tile(np.arange(len(assets)), len(far)))
        if len(nowhere) and p_has.any():
            here = np.flatnonzero(p_has)
            rows_p.append(np.repeat(here, len(nowhere)))
            rows_a.append(np.tile(nowhere, len(here)))
        if not rows_p:
            continue
        pj, aj = np.concatenate(rows_p), np.concatenate(rows_a)
        common = wants[pj] & offers[aj]
        keep = (common != 0) & ~full[aj]
        pj, aj, common = pj[keep], aj[keep], common[keep]
        p, a = who[pj], assets[aj]
        keep = ~member(p.astype(np.int64) * n64 + a, linked)
        pj, aj, common, p, a = pj[keep], aj[keep], common[keep], p[keep], a[keep]
        km = _haversine_km(snap.lat[p], snap.lon[p], snap.lat[a], snap.lon[a])
        known = ~np.isnan(km)
        keep = ~known | (km <= max_km)
        pj, aj, common, p, a, km = pj[keep], aj[keep], common[keep], p[keep], a[keep], km[keep]
        match = _popcount(common) / _popcount(wants[pj])
        prox = np.where(np.isnan(km), 0.0,
                        np.maximum(0.0, 1.0 - km / max_km) if max_km > 0 else 0.0)
        score = np.round(w["match"] * match + w["proximity"] * prox + w["social"] * 0.0, 6)
        dist = np.where(np.isnan(km), np.inf, km)
        order = np.lexsort((a, dist, -score, p))
        p_sorted = p[order]
        rank = np.arange(len(order)) - np.searchsorted(p_sorted, p_sorted)
        best = order[rank < top]
        # the rows shown: distance and scores again with the scalar haversine, exactly as one
        # person's suggestions give them
        pb, ab = p[best], a[best]
        km_b = np.array([_exact(*x) for x in zip(snap.lat[pb].tolist(), snap.lon[pb].tolist(),
                                                 snap.lat[ab].tolist(), snap.lon[ab].tolist(),
                                                 strict=True)], dtype=float)
        prox_b = np.array([0.0 if k != k else max(0.0, 1.0 - k / max_km) if max_km > 0 else 0.0
                           for k in km_b.tolist()], dtype=float)
        score_b = np.array([round(w["match"] * m + w["proximity"] * x + w["social"] * 0.0, 6)
                            for m, x in zip(match[best].tolist(), prox_b.tolist(),
                                            strict=True)], dtype=float)
        frames.append((pb, ab, score_b, match[best], prox_b, km_b, common[best]))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    p, a, score, match, prox, km, common = (np.concatenate(x) for x in zip(*frames,
                                                                            strict=True))
    out = pd.DataFrame({
        "person_id": [snap.ids[i] for i in p.tolist()],
        "candidate_id": [snap.ids[i] for i in a.tolist()],
        "name": [snap.name[i] for i in a.tolist()],
        "kind": [vocab.NODE_KINDS[snap.kind[i]] for i in a.tolist()],
        "score": score, "match": np.round(match, 6), "proximity": np.round(prox, 6),
        "distance_km": [None if x != x else round(x, 3) for x in km.tolist()],
        "matched": [_matched(int(c)) for c in common.tolist()],
    }, columns=COLUMNS)
    return out.reset_index(drop=True)


def _haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                  lon2: np.ndarray) -> np.ndarray:
    """:func:`assetmap.geo.haversine_m` / 1000 pair by pair, vectorised (NaN where a location is
    unknown); within an ulp or two of the scalar function."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a))) / 1000.0


def _exact(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    if lat1 != lat1 or lon1 != lon1 or lat2 != lat2 or lon2 != lon2:  # NaN: unknown
        return float("nan")
    return haversine_m(lat1, lon1, lat2, lon2) / 1000.0


@functools.lru_cache(maxsize=4096)
def _matched_words(code: int) -> tuple[str, ...]:
    return tuple(sorted(vocab.label(t.split(":", 1)[1]) for i, t in enumerate(_WORDS)
                        if t and code >> i & 1))


def _matched(code: int) -> list[str]:
    return list(_matched_words(code))


def suggest_for(snap: Snapshot, person_id: str, top: int = 10,
                max_km: float | None = None) -> pd.DataFrame:
    """One person's ``top`` groups and organisations by the same indexes (a worklist row opened
    for more), in milliseconds."""
    return suggest_all(snap, top=top, max_km=max_km, people=[person_id])


def suggest_all_from_store(store: Any, top: int = 1) -> pd.DataFrame:
    """:func:`suggest_all` on the store's snapshot (read once)."""
    return suggest_all(Snapshot.from_store(store), top=top)
