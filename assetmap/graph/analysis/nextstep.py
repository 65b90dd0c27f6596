"""A suggested next step for every person at once: the best open group or organisation near
home that meets their interests or needs, or that people they know go to, in one vectorised
pass over a snapshot.

:func:`suggest_all` is what a worklist of thousands of people needs: one row per person, from
prebuilt indexes (a k-d tree of open assets' locations, packed interest/need codes for what each
person wants and each asset offers, the person–asset ties already made, and the person–group
graph as a sparse matrix) instead of one
:func:`~assetmap.graph.analysis.suggestions.suggest_connections` call per person.

It ranks as ``suggest_connections`` does for groups and organisations — ``match`` (share of
the person's interests and needs the asset meets), ``proximity`` (``1 - km / max_km``) and the
``social`` factor (:mod:`~assetmap.graph.analysis.linkpred`'s score with its group weights,
computed for a block of people at once as sparse products: resource allocation
``A·D⁻¹·A``, co-membership ``A·D^-λ·A·D⁻¹·A``, popularity), blended by
:data:`~assetmap.graph.analysis.suggestions.WEIGHTS`, best score first, then nearest, then id —
with the same hard filters: closed, full, already tied, too far, nothing in common and no social
link, and each person's ``max_cost`` / ``access_needs`` where given in ``limits`` (the snapshot
does not hold those props; :func:`limits_from_graph` reads them from a graph). Not applied here:
groups' age limits (``min_age``/``max_age``/``age_bands`` are not snapshot columns). Tested
equal to ``suggest_connections(..., merge_venues=False)`` on the rows it returns.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import EARTH_RADIUS_M, haversine_m
from assetmap.graph.analysis.pooling import chord, unit_vectors
from assetmap.graph.analysis.snapshot import (
    _TIE,
    COMMUNITY_TIES,
    MEMBERSHIP_TIES,
    Snapshot,
    _distinct,
    _tie_codes,
    member,
)
from assetmap.graph.analysis.suggestions import popcount
from assetmap.model import ACCESS_BITS, INTEREST_BITS, NEED_BITS

COLUMNS: list[str] = ["person_id", "candidate_id", "name", "kind", "score", "match",
                      "proximity", "distance_km", "matched", "social"]
_SHARED_LIFE_TIES = _tie_codes(k for k, c in vocab.TIE_KINDS.items() if c == vocab.SHARED_LIFE)
_COST_RANK = {c: i for i, c in enumerate(vocab.COSTS)}
_NEED_SHIFT = 32
_WORDS = ([f"interest:{w}" for w in INTEREST_BITS]
          + [""] * (_NEED_SHIFT - len(INTEREST_BITS)) + [f"need:{w}" for w in NEED_BITS])


def _codes(interests: int, needs: int) -> int:
    return int(interests) | (int(needs) << _NEED_SHIFT)


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
    got = snap._cache["asset_index"] = (assets, offers, linked, full, nowhere, groups, usable)
    return got


def person_group_graph(snap: Snapshot) -> tuple[sp.csr_matrix, np.ndarray]:
    """The person–group graph of :mod:`~assetmap.graph.analysis.linkpred` over a snapshot, as
    a binary CSR matrix ``A`` (row ``i``: node ``i``'s neighbours, as
    ``linkpred.graph_neighbours`` gives them: a person's community ties to people — a Shared
    Lives tie from its carer's side, when it counts — and current memberships of open groups;
    an open group's current members) and each node's degree ``k``. Cached on the snapshot."""
    got = snap._cache.get("person_group_graph")
    if got is not None:
        return got
    from assetmap.graph.analysis.circles import shared_lives_count

    n = len(snap.ids)
    now = snap.current()
    s, d, t = snap.src[now].astype(np.int64), snap.dst[now].astype(np.int64), snap.tie_kind[now]
    is_p = snap.is_person
    open_a = snap.is_asset & ~snap.closed
    comm = np.isin(t, COMMUNITY_TIES)
    memb = comm & np.isin(t, MEMBERSHIP_TIES)
    pp = comm & is_p[s] & is_p[d] & (s != d)
    pa = memb & is_p[s] & open_a[d]
    ap = memb & open_a[s] & is_p[d]
    sl = np.isin(t, _SHARED_LIFE_TIES) & is_p[s] & is_p[d] & (s != d)
    if not shared_lives_count():
        sl[:] = False
    rows = np.concatenate([s[pp], d[pp], s[pa], d[pa], d[ap], s[ap], s[sl]])
    cols = np.concatenate([d[pp], s[pp], d[pa], s[pa], s[ap], d[ap], d[sl]])
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    k = np.diff(A.indptr).astype(np.int64)
    got = snap._cache["person_group_graph"] = (A, k)
    return got


def _scaled_rows(A: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """``diag(scale) @ A`` for CSR ``A``."""
    out = A.copy()
    out.data = out.data * np.repeat(scale, np.diff(A.indptr))
    return out


def _sorted_union(*parts: np.ndarray) -> np.ndarray:
    """Distinct int64 keys of ``parts``, sorted (a sort, not numpy's slower hash-based
    ``unique`` on large int64 arrays)."""
    x = np.sort(np.concatenate(parts).astype(np.int64, copy=False), kind="stable")
    if len(x) < 2:
        return x
    return x[np.r_[True, x[1:] != x[:-1]]]


def _triples(X: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = sp.csr_matrix(X)
    X.sum_duplicates()
    X.sort_indices()
    X.eliminate_zeros()
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    return rows, X.indices.astype(np.int64), X.data


def group_social(snap: Snapshot, who: np.ndarray, assets: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The social factor of groups and organisations for the people ``who`` (node rows), as
    :func:`linkpred.social` scores them one person at a time: ``(i, j, score)`` triples, ``i``
    into ``who``, ``j`` into ``assets`` (open assets' rows), best-ordered by (i, j); only
    non-zero scores."""
    from assetmap.graph.analysis import linkpred

    w = linkpred.WEIGHTS["group"]
    lam = float(w.get("lam", 0.5))
    A, k = person_group_graph(snap)
    kf = k.astype(float)
    inv = np.divide(1.0, kf, out=np.zeros_like(kf), where=kf > 0)
    cache_key = f"group_social:{lam}"
    got = snap._cache.get(cache_key)
    if got is None:
        AD = _scaled_rows(A, inv)[:, assets].tocsr()  # D⁻¹·A onto assets
        lam_w = np.power(kf, -lam, out=np.zeros_like(kf), where=kf > 0)
        # three steps p – z1 – z2 – x as one precomputed hop from z1: D^-λ·A·D⁻¹·A. The
        # paths through z2 = p end at p's own groups, which are never candidates.
        M = (_scaled_rows(A, lam_w) @ AD).tocsr()
        if lam != 1.0:
            M = (M @ sp.diags(np.maximum(kf[assets], 1.0) ** -(1.0 - lam))).tocsr()
        got = snap._cache[cache_key] = (AD, M)
    AD, M = got
    m, n_a = len(who), len(assets)
    Ap = A[who]
    R = (Ap @ AD).tocsr()  # resource allocation over p's neighbours
    C = (Ap @ M).tocsr()  # co-membership
    mine = Ap[:, assets].tocsr()  # p's own groups: not candidates
    R = R - R.multiply(mine)
    C = C - C.multiply(mine)
    ri, rj, rv = _triples(R)
    ci, cj, cv = _triples(C)
    rk, ck = ri * n_a + rj, ci * n_a + cj
    keys = _sorted_union(rk, ck)
    if not len(keys):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    i, j = keys // n_a, keys % n_a
    r = np.zeros(len(keys))
    r[np.searchsorted(keys, rk)] = rv
    c = np.zeros(len(keys))
    c[np.searchsorted(keys, ck)] = cv
    top_r = np.zeros(m)
    np.maximum.at(top_r, i, r)
    top_c = np.zeros(m)
    np.maximum.at(top_c, i, c)
    deg = kf[assets][j]
    top_k = np.zeros(m)
    np.maximum.at(top_k, i, deg)
    denom = np.where(top_k > 0, np.log1p(top_k), 1.0)
    total = sum(w.get(f, 0.0) for f in linkpred.FACTORS) or 1.0
    ra = np.divide(r, top_r[i], out=np.zeros_like(r), where=top_r[i] > 0)
    co = np.divide(c, top_c[i], out=np.zeros_like(c), where=top_c[i] > 0)
    score = (w.get("ra2", 0.0) * ra + w.get("comember", 0.0) * co
             + w.get("popularity", 0.0) * (np.log1p(deg) / denom[i])) / total
    nz = score > 0
    return i[nz], j[nz], score[nz]


def limits_from_graph(G: Any, people: Iterable[str] | None = None
                      ) -> dict[str, dict[str, Any]]:
    """Each person's own limits (``max_cost``, ``access_needs``) from a
    ``store.to_networkx()`` graph, for :func:`suggest_all`'s ``limits`` (people with none left
    out)."""
    out: dict[str, dict[str, Any]] = {}
    nodes = G._node
    for pid in nodes if people is None else people:
        attrs = nodes.get(pid)
        if not attrs or attrs.get("kind") != vocab.PERSON:
            continue
        got = {key: attrs[key] for key in ("max_cost", "access_needs") if attrs.get(key)}
        if got:
            out[str(pid)] = got
    return out


def _limit_arrays(snap: Snapshot, who: np.ndarray, limits: Mapping[str, Mapping[str, Any]]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per person in ``who``: the most cost rank they can pay (len(COSTS) where unlimited) and
    the access features they need as bits."""
    cost = np.full(len(who), len(vocab.COSTS), dtype=np.int64)
    need = np.zeros(len(who), dtype=np.int64)
    if not limits:
        return cost, need
    for j, i in enumerate(who.tolist()):
        got = limits.get(snap.ids[i])
        if not got:
            continue
        if got.get("max_cost") is not None:
            cost[j] = _COST_RANK.get(str(got["max_cost"]), len(vocab.COSTS))
        for a in got.get("access_needs") or []:
            need[j] |= ACCESS_BITS.get(a, 1 << 62)  # an unknown need no asset meets
    return cost, need


def _asset_limits(snap: Snapshot, assets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per open asset: its cost rank (-1 where not given: any purse) and access bits."""
    got = snap._cache.get("asset_limits")
    if got is None:
        costs = snap.text["cost"]
        rank = np.array([-1 if costs[i] is None else _COST_RANK.get(costs[i], 0)
                         for i in assets.tolist()], dtype=np.int64)
        got = snap._cache["asset_limits"] = (rank, snap.bits["access"][assets].astype(np.int64))
    return got


def _all_tree(snap: Snapshot, assets: np.ndarray, usable: np.ndarray) -> Any:
    got = snap._cache.get("asset_tree_all")
    if got is None:
        got = snap._cache["asset_tree_all"] = cKDTree(
            unit_vectors(snap.lat[assets[usable]], snap.lon[assets[usable]]))
    return got


def suggest_all(snap: Snapshot, top: int = 1, max_km: float | None = None,
                chunk: int = 20_000, people: Iterable[str] | None = None, *,
                limits: Mapping[str, Mapping[str, Any]] | None = None,
                social: bool = True) -> pd.DataFrame:
    """For every person (or only ``people``), their ``top`` best groups or organisations (see
    the module docstring): one row per (person, suggestion), people with none left out. Works
    in chunks of ``chunk`` people, so memory stays bounded at any size.

    ``limits``: person id -> their ``max_cost`` and ``access_needs`` (as
    :func:`limits_from_graph` reads them); ``social=False`` leaves out the social factor."""
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    from assetmap.graph.analysis import suggestions

    w = suggestions.WEIGHTS  # the blend suggest_connections uses for groups and organisations
    limits = limits or {}
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
    assets, offers, linked, full, nowhere, index_groups, usable = _asset_index(snap)
    n_a = np.int64(len(assets))
    a_cost, a_access = _asset_limits(snap, assets)
    groups = [(code, members, tree, min(len(members), top + most + 2))
              for code, members, tree, most in index_groups]
    radius = chord(max_km) * (1 + 1e-9)  # a hair wide: the exact haversine decides below
    frames = []
    for start in range(0, len(rows), chunk):
        who = rows[start:start + chunk]
        wants = _wants(snap, who)
        max_cost, needs = _limit_arrays(snap, who, limits)
        limited = (max_cost < len(vocab.COSTS)) | (needs != 0)
        p_has = ~np.isnan(snap.lat[who]) & ~np.isnan(snap.lon[who])
        rows_p: list[np.ndarray] = []
        rows_a: list[np.ndarray] = []
        here = np.flatnonzero(p_has & ~limited)
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
        bound = np.flatnonzero(p_has & limited)  # their nearest may be out of their reach:
        if len(bound) and len(usable):  # every asset within max_km is looked at
            found = _all_tree(snap, assets, usable).query_ball_point(
                unit_vectors(snap.lat[who[bound]], snap.lon[who[bound]]), radius)
            rows_p.append(np.repeat(bound, [len(f) for f in found]))
            rows_a.append(usable[np.concatenate([np.asarray(f, dtype=np.int64)
                                                 for f in found])].astype(np.int64)
                          if len(found) else np.zeros(0, dtype=np.int64))
        far = np.flatnonzero(~p_has)  # people with no location: every asset, distance unknown
        if len(far):
            rows_p.append(np.repeat(far, len(assets)))
            rows_a.append(np.tile(np.arange(len(assets)), len(far)))
        if len(nowhere) and p_has.any():
            here = np.flatnonzero(p_has)
            rows_p.append(np.repeat(here, len(nowhere)))
            rows_a.append(np.tile(nowhere, len(here)))
        keys = (np.concatenate(rows_p).astype(np.int64) * n_a
                + np.concatenate(rows_a).astype(np.int64)) if rows_p else np.zeros(0, np.int64)
        keys = keys[(wants[keys // n_a] & offers[keys % n_a]) != 0]  # something in common
        soc = np.zeros(len(keys))  # (each pair above comes once: one tree per asset)
        if social:  # ... or people they know go there (or go where people there go)
            si, sj, sv = group_social(snap, who, assets)
            skeys = si * n_a + sj  # sorted, distinct
            if len(skeys):
                at = np.minimum(np.searchsorted(skeys, keys), len(skeys) - 1)
                found = skeys[at] == keys
                soc[found] = sv[at[found]]
                only = np.ones(len(skeys), dtype=bool)
                only[at[found]] = False  # social pairs the trees did not give
                keys = np.concatenate([keys, skeys[only]])
                soc = np.concatenate([soc, sv[only]])
        if not len(keys):
            continue
        pj, aj = keys // n_a, keys % n_a
        common = wants[pj] & offers[aj]
        keep = ~full[aj]
        keep &= (max_cost[pj] >= a_cost[aj])  # an asset with no cost given suits any purse
        keep &= (needs[pj] & ~a_access[aj]) == 0
        pj, aj, common, soc = pj[keep], aj[keep], common[keep], soc[keep]
        p, a = who[pj], assets[aj]
        keep = ~member(p.astype(np.int64) * n64 + a, linked)
        pj, aj, common, soc, p, a = pj[keep], aj[keep], common[keep], soc[keep], p[keep], a[keep]
        km = _haversine_km(snap.lat[p], snap.lon[p], snap.lat[a], snap.lon[a])
        known = ~np.isnan(km)
        keep = ~known | (km <= max_km)
        pj, aj, common, soc, p, a, km = (x[keep] for x in (pj, aj, common, soc, p, a, km))
        n_want = popcount(wants[pj])
        match = np.divide(popcount(common), n_want, out=np.zeros(len(pj)), where=n_want > 0)
        prox = np.where(np.isnan(km), 0.0,
                        np.maximum(0.0, 1.0 - km / max_km) if max_km > 0 else 0.0)
        soc = np.round(soc, 6)
        score = np.round(w["match"] * match + w["proximity"] * prox + w["social"] * soc, 6)
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
        score_b = np.array([round(w["match"] * m + w["proximity"] * x + w["social"] * s, 6)
                            for m, x, s in zip(match[best].tolist(), prox_b.tolist(),
                                               soc[best].tolist(), strict=True)], dtype=float)
        frames.append((pb, ab, score_b, match[best], prox_b, km_b, common[best], soc[best]))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    p, a, score, match, prox, km, common, soc = (np.concatenate(x) for x in zip(*frames,
                                                                                 strict=True))
    out = pd.DataFrame({
        "person_id": [snap.ids[i] for i in p.tolist()],
        "candidate_id": [snap.ids[i] for i in a.tolist()],
        "name": [snap.name[i] for i in a.tolist()],
        "kind": [vocab.NODE_KINDS[snap.kind[i]] for i in a.tolist()],
        "score": score, "match": np.round(match, 6), "proximity": np.round(prox, 6),
        "distance_km": [None if x != x else round(x, 3) for x in km.tolist()],
        "matched": [_matched(int(c)) for c in common.tolist()],
        "social": soc,
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
                max_km: float | None = None, *,
                limits: Mapping[str, Mapping[str, Any]] | None = None,
                social: bool = True) -> pd.DataFrame:
    """One person's ``top`` groups and organisations by the same indexes (a worklist row opened
    for more), in milliseconds."""
    return suggest_all(snap, top=top, max_km=max_km, people=[person_id], limits=limits,
                       social=social)


def suggest_all_from_store(store: Any, top: int = 1, *,
                           limits: Mapping[str, Mapping[str, Any]] | None = None
                           ) -> pd.DataFrame:
    """:func:`suggest_all` on the store's snapshot (read once)."""
    return suggest_all(Snapshot.from_store(store), top=top, limits=limits)
