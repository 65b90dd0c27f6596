"""The provision-gap functions (people's needs read from the graph, counts published) as they
were before issue 13's array rewrite, kept only as a reference: tests check that the new ones
publish exactly the same text, and ``benchmarks/bench_gap_tables.py`` times both in one process.
Not used by the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance.privacy import (
    GAP_WITH_NEED,
    GAP_WITHOUT_PROVIDER,
    HIDDEN_CEILING,
    SECONDARY_MARK,
    area_tree,
    published_interval,
    round_count,
)
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis import provision as _provision
from assetmap.graph.analysis.suggestions import canonical_words

_AREA_CACHE: dict[tuple, dict] = {}


def protect_linked(base: Any, cells: Any, *, fixed: Any = (),
                   conf: _settings.Settings | None = None) -> list[str]:
    """Publish many counts that share people, so that no hidden one can be worked out exactly.

    ``base`` holds the true counts of disjoint groups of people (e.g. people per smallest area
    and isolation level); each of ``cells`` is the list of ``base`` indices it adds up (a count
    per LSOA, per ward, per level, a total...). ``fixed`` are (indices, published text) pairs
    already published elsewhere (they constrain the attacker and cannot be hidden here).

    Counts of 1 to threshold-1 are "<N"; then, while an exact integer programme (the attacker:
    every published interval, every cell the sum of its groups, counts whole and >= 0) can pin a
    hidden cell to one value, another cell summed with it under a common total (or one that
    contains it) is hidden as "*", smallest first; a "<N" cell with nothing left to hide beside
    it becomes "*". Deterministic, so every output built from the same counts agrees.
    Returns the published text of each cell.
    """
    conf = conf or _settings.load()
    base = np.asarray(base, dtype=np.int64)
    n_cells, n_base = len(cells), len(base)
    a = np.zeros((n_cells, n_base), dtype=np.int8)
    for k, members in enumerate(cells):
        a[k, list(members)] = 1
    f = np.zeros((len(fixed), n_base), dtype=np.int8)
    fixed_ranges = []
    for k, (members, text) in enumerate(fixed):
        f[k, list(members)] = 1
        fixed_ranges.append(published_interval(text, conf))
    truth = a.astype(np.int64) @ base
    t = conf.suppress_below
    primary = (truth >= 1) & (truth < t)
    hidden = primary.copy()
    star = np.zeros(n_cells, dtype=bool)
    if n_cells == 0:
        return []
    size = a.sum(axis=1).astype(np.int64)
    # sparse products (exact integers; a dense int matmul has no BLAS and took ~0.5 s a table)
    from scipy.sparse import csr_matrix

    sa = csr_matrix(a, dtype=np.int32)
    overlap = (sa @ sa.T).toarray()
    contains = overlap == size[None, :]  # contains[m, j]: cell j lies inside cell m
    fixed_contains = (csr_matrix(f, dtype=np.int32) @ sa.T).toarray() == size[None, :]
    rounds = 0 if getattr(conf, "suppression", "suppress") == "round" else 4 * n_cells + 10
    # Hiding more only loosens the attacker's constraints, so a cell once shown to take two
    # values stays free in every later round: it is never checked again.
    freed: set[int] = set()
    from scipy.sparse import vstack

    stacked = vstack([sa, csr_matrix(f, dtype=np.int32)]).tocsr().astype(float) if len(f) \
        else sa.astype(float)  # every round's constraints, sparse, made once
    for _round in range(rounds):  # "round" mode: primary suppression and rounding only
        pinned = _pinned_linked(a, f, base, truth, hidden, primary & ~star, fixed_ranges, conf,
                                freed, stacked)
        if not pinned:
            break
        progressed = False
        touched = np.zeros(n_cells, dtype=bool)  # cells whose system already changed this round
        for k in pinned:
            if touched[k]:
                continue  # a neighbour hidden this round may already free it: check again
            holders = contains[:, k].copy()
            holders[k] = False
            siblings = np.zeros(n_cells, dtype=bool)
            if holders.any():  # summed with k under a common total
                siblings |= contains[holders].any(axis=0)
            if fixed_contains[:, k].any():
                siblings |= fixed_contains[fixed_contains[:, k]].any(axis=0)
            siblings &= overlap[:, k] == 0
            candidates = (siblings | holders) & ~hidden & (truth > 0)
            candidates[k] = False
            if candidates.any():
                j = min(np.flatnonzero(candidates), key=lambda i: (truth[i], i))
                hidden[j] = True
                progressed = True
                # One hidden cell per pinned cell per round, not one per round: each round costs
                # a full integer-programming check, so fixing every pinned cell at once keeps
                # `analyse` to a few rounds (a cell that shares a margin with j is re-checked).
                touched |= overlap[:, j] > 0
                touched |= (contains[:, j] | contains[j, :])
                continue
            if primary[k] and not star[k]:
                star[k] = True
                progressed = True
                touched[k] = True
                continue
        if not progressed:
            # Pinned through a longer chain: hide the smallest shown cell overlapping one.
            k = pinned[0]
            near = (overlap[:, k] > 0) & ~hidden & (truth > 0)
            if not near.any():
                break
            hidden[min(np.flatnonzero(near), key=lambda i: (truth[i], i))] = True
    out = []
    for k in range(n_cells):
        if hidden[k] and primary[k] and not star[k]:
            out.append(f"<{t}")
        elif hidden[k]:
            out.append(SECONDARY_MARK)
        else:
            out.append("0" if truth[k] == 0 else str(round_count(int(truth[k]), conf)))
    return out


def _pinned_linked(a: np.ndarray, f: np.ndarray, base: np.ndarray, truth: np.ndarray,
                   hidden: np.ndarray, small: np.ndarray, fixed_ranges: list[tuple[int, int]],
                   conf: _settings.Settings, freed: set[int] | None = None,
                   stacked: Any = None) -> list[int]:
    """The hidden cells an exact integer programme pins to one value (see protect_linked).

    ``freed`` holds cells already shown to take two values (skipped, and grown here): every
    whole solution found frees each cell whose value in it differs from the truth."""
    t = conf.suppress_below
    lo, hi = [], []
    shown: dict[int, tuple[int, int]] = {}  # the interval behind each shown count, once
    for k in range(len(truth)):
        if hidden[k]:
            rng = (1, t - 1) if small[k] else (1, HIDDEN_CEILING)
        elif truth[k] == 0:
            rng = (0, 0)
        else:
            v = int(truth[k])
            if v not in shown:
                shown[v] = published_interval(str(round_count(v, conf)), conf)
            rng = shown[v]
        lo.append(rng[0])
        hi.append(rng[1])
    lo += [r[0] for r in fixed_ranges]
    hi += [r[1] for r in fixed_ranges]
    from scipy.sparse import csr_matrix

    # the cells' and fixed counts' rows, sparse (``stacked``: made once by protect_linked)
    matrix = stacked if stacked is not None else csr_matrix(
        np.vstack([a, f]).astype(float) if len(f) else a.astype(float))
    freed = set() if freed is None else freed
    undecided = [int(k) for k in np.flatnonzero(hidden) if int(k) not in freed]
    if undecided:  # cheapest first: moving one or two people (no solver; issue 13)
        freed.update(_freed_by_small_moves(matrix, np.array(lo), np.array(hi), base, a,
                                           undecided))
        undecided = [k for k in undecided if k not in freed]
    if not undecided:
        return []
    from scipy.optimize import Bounds, LinearConstraint, milp

    # sparse: given a dense matrix, every solve converted it again (issue 13)
    constraints = LinearConstraint(matrix, np.array(lo, float), np.array(hi, float))
    bounds = Bounds(np.zeros(len(base)), np.full(len(base), float(HIDDEN_CEILING)))
    integral = np.ones(len(base))
    gen = np.random.default_rng(0)
    values = a.astype(np.int64)
    for _ in range(8):  # cheap first: any whole solution that moves a cell frees it
        if not undecided:
            return []
        if len(undecided) <= 3:
            break  # checking each exactly (two solves) costs no more than guessing
        weights = np.zeros(len(truth))
        weights[undecided] = gen.choice([-1.0, 1.0], len(undecided)) * gen.uniform(
            1, 2, len(undecided))
        result = milp(weights @ a, constraints=constraints, bounds=bounds,
                      integrality=integral)
        if result.x is None:
            break
        x = np.round(result.x).astype(np.int64)
        freed.update(k for k in undecided if int(values[k] @ x) != truth[k])
        undecided = [k for k in undecided if k not in freed]
    pinned = []
    relaxed = np.zeros(len(base))
    for k in undecided:
        if k in freed:
            continue
        # the linear relaxation first (about half the cost): if even it allows one value, so
        # do whole counts (the truth is one of them); otherwise the integer programme decides
        lp = [milp(sign * a[k].astype(float), constraints=constraints, bounds=bounds,
                   integrality=relaxed) for sign in (1.0, -1.0)]
        if all(r.fun is not None for r in lp) and abs(lp[0].fun + lp[1].fun) < 0.5:
            pinned.append(k)
            continue
        ends = []
        for sign in (1.0, -1.0):
            result = milp(sign * a[k].astype(float), constraints=constraints, bounds=bounds,
                          integrality=integral)
            if result.x is None:
                break
            x = np.round(result.x).astype(np.int64)
            # the same solution frees every other undecided cell it moves
            freed.update(m for m in undecided if int(values[m] @ x) != truth[m])
            ends.append(round(sign * result.fun))
            if k in freed:
                break
        if k not in freed and len(ends) == 2 and ends[0] == ends[1]:
            pinned.append(k)
    return pinned


def _freed_by_small_moves(matrix: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          base: np.ndarray, a: np.ndarray, undecided: list[int]) -> set[int]:
    """The ``undecided`` cells some whole solution one or two people away from the truth moves
    (one group count up or down by one, or one up and another down): each such solution is
    checked against every constraint exactly, so a cell freed here can take two values, as the
    integer programme would find; the cells left need the solver. Sparse, no solver: most
    cells are freed here (issue 13)."""
    from scipy.sparse import csr_matrix, diags

    m = csr_matrix(matrix)  # already sparse from _pinned_linked: no copy
    value = m @ base.astype(float)
    up_room, down_room = hi - value, value - lo
    if (up_room < 0).any() or (down_room < 0).any():
        return set()  # the truth outside its own ranges: leave it all to the solver
    tight_up = (diags((up_room < 1).astype(float)) @ m).tocsr()  # rows a +1 would break
    tight_down = (diags((down_room < 1).astype(float)) @ m).tocsr()
    n_up = np.asarray(tight_up.sum(axis=0)).ravel()
    n_down = np.asarray(tight_down.sum(axis=0)).ravel()
    can_up = (n_up == 0) & (base < HIDDEN_CEILING)
    can_down = (n_down == 0) & (base > 0)
    cells = a[undecided].astype(float)
    freed = (cells @ (can_up | can_down)) > 0
    if not freed.all():
        # +1 on i and -1 on j: every row tight for +1 on i holds j too, every row tight for
        # -1 on j holds i; a cell moves when it holds exactly one of them, so one of i and j
        # is in a cell still undecided (only those rows and columns are worked out)
        rest = np.flatnonzero(~freed)
        inside = cells[rest]
        u = np.flatnonzero(inside.any(axis=0))
        up_ok, down_ok = base < HIDDEN_CEILING, base > 0
        # i in u (raised), any j (lowered)
        ok_i = ((tight_up[:, u].T @ m).toarray() == n_up[u][:, None]) \
            & ((m[:, u].T @ tight_down).toarray() == n_down[None, :]) \
            & down_ok[None, :] & up_ok[u][:, None]
        ok_i[np.arange(len(u)), u] = False
        # any i (raised), j in u (lowered)
        ok_j = ((tight_up.T @ m[:, u]).toarray() == n_up[:, None]) \
            & ((m.T @ tight_down[:, u]).toarray() == n_down[u][None, :]) \
            & down_ok[u][None, :] & up_ok[:, None]
        ok_j[u, np.arange(len(u))] = False
        inside_u = inside[:, u]
        outside = 1.0 - inside
        moved = ((inside_u @ ok_i.astype(float)) * outside).sum(axis=1) \
            + ((outside @ ok_j.astype(float)) * inside_u).sum(axis=1)
        freed[rest] = moved > 0
    return {k for k, f in zip(undecided, freed.tolist(), strict=True) if f}


def protect_area_counts(counts: pd.DataFrame, parent_of: Mapping[str, str | None],
                        level_of: Mapping[str, str | None], *, total: str | None = None,
                        extra: Mapping[str, list[str]] | None = None,
                        fixed: Mapping[tuple[str, str], str] | None = None,
                        publish: Any = None,
                        conf: _settings.Settings | None = None) -> dict[tuple[str, str], str]:
    """Publish counts per area at every level at once (LSOA, ward, ... up the ``parent`` links):
    ``counts`` is smallest area (index) × category (columns) of disjoint groups of people; each
    area at each level gets each category, ``total`` (all categories) and each ``extra`` column
    (a sum of named categories), protected together (:func:`protect_linked`), so a ward and its
    LSOAs, or a level and its total, cannot be differenced. ``fixed`` are (area, column) texts
    published elsewhere. ``publish`` (default: every column) names the columns that are
    published at all: a category left out is only a building block (never shown, so it does
    not constrain the attacker). Returns {(area code, column): published text}."""
    conf = conf or _settings.load()
    categories = [str(c) for c in counts.columns]
    smallest = [str(a) for a in counts.index]
    position = {(a, c): i for i, (a, c) in enumerate(
        (a, c) for a in smallest for c in categories)}
    base = counts.to_numpy(dtype=np.int64).ravel()
    under: dict[str, list[str]] = {}
    for a in smallest:
        seen: set[str] = set()
        current: str | None = a
        while current is not None and current not in seen:
            seen.add(current)
            under.setdefault(current, []).append(a)
            current = parent_of.get(current)
    columns: dict[str, list[str]] = {c: [c] for c in categories}
    if total:
        columns[total] = categories
    for name, parts in (extra or {}).items():
        columns[name] = [str(p) for p in parts]
    if publish is not None:
        columns = {name: parts for name, parts in columns.items() if name in set(publish)}
    keys, cells = [], []
    for area in sorted(under):
        if level_of.get(area) is None and area not in set(smallest):
            continue
        for name, parts in columns.items():
            keys.append((area, name))
            cells.append([position[(s, c)] for s in under[area] for c in parts])
    fixed_cells = []
    for (area, name), text in (fixed or {}).items():
        if area in under and name in columns:
            fixed_cells.append(([position[(s, c)] for s in under[area] for c in columns[name]],
                                text))
    if fixed:
        keep = [i for i, key in enumerate(keys) if key not in fixed]
        keys = [keys[i] for i in keep]
        cells = [cells[i] for i in keep]
    texts = protect_linked(base, cells, fixed=fixed_cells, conf=conf)
    published = dict(zip(keys, texts, strict=True))
    published.update(fixed or {})
    return published


def _cached(kind: str, frame: pd.DataFrame, areas: pd.DataFrame, conf: _settings.Settings,
            build: Any) -> dict:
    key = (kind, tuple(map(str, frame.index)), tuple(map(str, frame.columns)),
           frame.to_numpy(dtype=np.int64).tobytes(), tuple(map(str, areas["area_code"])),
           tuple(map(str, areas["parent"])), conf.suppress_below, conf.round_to)
    if key not in _AREA_CACHE:
        if len(_AREA_CACHE) > 64:
            _AREA_CACHE.clear()
        _AREA_CACHE[key] = build()
    return _AREA_CACHE[key]


def publish_provision_counts(gaps: pd.DataFrame, areas: pd.DataFrame,
                             conf: _settings.Settings | None = None
                             ) -> dict[tuple[str, str, str], str]:
    """Provision-gap counts (people with a need; those of them with no provider near home)
    published at every level of area at once, so the LSOA table from ``analyse``, the Gaps
    page's ward and LSOA tables and their downloads cannot be differenced (issue 15).

    ``gaps`` is the raw provision-gap frame at the finest level (``area_code``, ``need``,
    ``people_with_need``, ``people_without_provider``); each area's people with a need are
    split into those near a provider and those without one (disjoint), and for each need the
    two published counts of every area at every level (sums up the ``parent`` links) are
    protected together by :func:`protect_linked`. Needs are separate systems: no published
    figure adds people up across needs (a person may have several). Deterministic: every
    output built from the same counts publishes the same text.
    Returns {(area code, need, column): text}."""
    conf = conf or _settings.load()
    if gaps is None or len(gaps) == 0:
        return {}
    frame = pd.DataFrame({
        "area_code": gaps["area_code"].astype(str).to_numpy(),
        "need": gaps["need"].astype(str).to_numpy(),
        "far": gaps[GAP_WITHOUT_PROVIDER].fillna(0).astype(int).to_numpy(),
        "near": (gaps[GAP_WITH_NEED].fillna(0).astype(int)
                 - gaps[GAP_WITHOUT_PROVIDER].fillna(0).astype(int)).to_numpy()})
    if (frame["near"] < 0).any() or (frame["far"] < 0).any():
        raise ValueError("people without a provider cannot outnumber people with the need")
    parent, level = area_tree(areas)
    published: dict[tuple[str, str, str], str] = {}
    for need, rows in frame.groupby("need", sort=True):
        counts = rows.groupby("area_code")[["far", "near"]].sum().sort_index()
        counts = counts.rename(columns={"far": GAP_WITHOUT_PROVIDER})

        def build(counts: pd.DataFrame = counts) -> dict:
            return protect_area_counts(counts, parent, level, total=GAP_WITH_NEED,
                                       publish=(GAP_WITH_NEED, GAP_WITHOUT_PROVIDER),
                                       conf=conf)

        texts = _cached("gaps:" + str(need), counts, areas, conf, build)
        for (area, column), text in texts.items():
            published[(area, str(need), column)] = text
    return published


@_c.whole_graph
def provision_gaps(G: nx.MultiDiGraph, areas: gpd.GeoDataFrame,
                   max_km: float | None = None,
                   weights: _provision.Weights = None) -> gpd.GeoDataFrame:
    """One row per area × need (every canonical need), ready to map; see the module docstring.

    ``areas`` needs ``area_code``, ``area_name`` and polygon ``geometry``; ``max_km`` defaults to
    the ``max_travel_km`` setting; ``weights`` maps asset id -> how much it counts as a provider
    (missing: 1.0).
    """
    _c.check_graph(G)
    areas, crs, codes, max_km = _provision._prepared(areas, max_km)
    needs = list(vocab.NEEDS)

    # People with needs, placed in an area.
    person_rows: list[tuple[str | None, float | None, float | None, list[str]]] = []
    providers: dict[str, list[tuple[float, float, float]]] = {n: [] for n in needs}
    weights = weights or {}
    for node, attrs in G._node.items():
        kind = attrs.get("kind")
        if kind == vocab.PERSON:
            pn = canonical_words(attrs.get("needs"), vocab.NEEDS, vocab.needs_in)
            if pn:
                person_rows.append((_provision._area_of(G, attrs.get("area"), codes),
                                    attrs.get("lat"), attrs.get("lon"), sorted(pn)))
        elif kind in vocab.ASSET_KINDS and _c.is_open(attrs) and attrs.get("lat") is not None \
                and attrs.get("lon") is not None:
            for need in canonical_words(attrs.get("needs"), vocab.NEEDS, vocab.needs_in):
                providers[need].append((attrs["lat"], attrs["lon"],
                                        float(weights.get(node, 1.0))))
    need_at = {n: i for i, n in enumerate(needs)}
    pair_person = [i for i, row in enumerate(person_rows) for _ in row[3]]
    pair_need = [need_at[n] for row in person_rows for n in row[3]]
    return _provision._gaps([r[0] for r in person_rows],
                 np.array([np.nan if r[1] is None else r[1] for r in person_rows], dtype=float),
                 np.array([np.nan if r[2] is None else r[2] for r in person_rows], dtype=float),
                 np.array(pair_person, dtype=np.int64), np.array(pair_need, dtype=np.int64),
                 providers, areas, crs, needs, max_km)
