"""Where provision is missing: per area and need, the people with the need and who is in reach.

For each area of ``areas`` and each canonical need: how many people have the need, how many open
groups and organisations meeting it lie within ``max_km`` of the area's boundary, how many of the
people have no such provider within ``max_km`` of home (haversine), and the median distance from
their homes to the nearest one. Rows with demand and no provider in reach are flagged. With
``weights`` (asset id -> weight, e.g. :func:`assetmap.ratings.provision_weights`: provision its
users rate inaccessible counts as a quarter to a half of a provider), ``weighted_providers`` sums
the weights of the providers in reach (1.0 each by default, so it equals
``providers_within_reach`` without ratings), and rows with demand whose providers add up to less
than one whole provider are ``weak_provision``. People are
placed in an area by their ``area`` (or the nearest enclosing Area node's ``parent`` chain), and
failing that by their location. The counts are raw: pass them through
:func:`assetmap.governance.privacy.suppress_counts` before publishing; the ``reasons`` already use
published
counts ("<8 people ...").
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import EARTH_RADIUS_M
from assetmap.governance.privacy import publish_count
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis.pooling import unit_vectors
from assetmap.graph.analysis.suggestions import canonical_words
from assetmap.model import NEED_BITS

COLUMNS: list[str] = ["area_code", "area_name", "need", "people_with_need",
                      "providers_within_reach", "weighted_providers", "people_without_provider",
                      "median_nearest_km", "flagged", "weak_provision", "reasons", "geometry"]
Weights = Mapping[str, float] | None


def _area_of(G: nx.MultiDiGraph, area: Any, codes: set[str]) -> str | None:
    seen = set()
    while isinstance(area, str) and area not in seen:
        if area in codes:
            return area
        seen.add(area)
        area = G._node.get(area, {}).get("parent")
    return None


def _memo(seen: dict[Any, Any], value: Any, work: Any) -> Any:
    """``work(value)``, kept in ``seen`` by the value (a list by its items); a value that cannot
    be a key is worked out each time."""
    key = tuple(value) if isinstance(value, list) else value
    try:
        return seen[key]
    except KeyError:
        seen[key] = out = work(value)
        return out
    except TypeError:  # unhashable
        return work(value)


def _sorted_needs(values: Any) -> list[str]:
    """The canonical needs in a person's ``needs`` prop, sorted."""
    return sorted(canonical_words(values, vocab.NEEDS, vocab.needs_in))


def _chord_to_km(c: np.ndarray) -> np.ndarray:
    return 2.0 * EARTH_RADIUS_M / 1000.0 * np.arcsin(np.minimum(1.0, c / 2.0))


@_c.whole_graph
def provision_gaps(G: nx.MultiDiGraph, areas: gpd.GeoDataFrame,
                   max_km: float | None = None, weights: Weights = None, *,
                   reasons: bool = True) -> gpd.GeoDataFrame:
    """One row per area × need (every canonical need), ready to map; see the module docstring.

    ``areas`` needs ``area_code``, ``area_name`` and polygon ``geometry``; ``max_km`` defaults to
    the ``max_travel_km`` setting; ``weights`` maps asset id -> how much it counts as a provider
    (missing: 1.0); ``reasons=False`` leaves the words out (None), for a caller that words them
    from published counts itself (the Gaps page).
    """
    return _graph_gaps(G, {"": areas}, max_km, weights, reasons)[""]


@_c.whole_graph
def provision_gaps_by_level(G: nx.MultiDiGraph, areas: Mapping[str, gpd.GeoDataFrame],
                            max_km: float | None = None, weights: Weights = None, *,
                            reasons: bool = True) -> dict[str, gpd.GeoDataFrame]:
    """:func:`provision_gaps` for several sets of areas (level -> areas) from one pass over
    the graph: the Gaps page needs its level and the finest (issue 13)."""
    return _graph_gaps(G, areas, max_km, weights, reasons)


def _graph_gaps(G: nx.MultiDiGraph, areas_by_level: Mapping[str, gpd.GeoDataFrame],
                max_km: float | None, weights: Weights, reasons: bool
                ) -> dict[str, gpd.GeoDataFrame]:
    """The gap table of each set of areas, reading people and providers from the graph once."""
    _c.check_graph(G)
    prepared = {level: _prepared(areas, max_km) for level, areas in areas_by_level.items()}
    needs = list(vocab.NEEDS)

    # People with needs (their ``area`` as recorded), and open providers with a location.
    person_rows: list[tuple[Any, float | None, float | None, list[str]]] = []
    providers: dict[str, list[tuple[float, float, float]]] = {n: [] for n in needs}
    weights = weights or {}
    # Most people share a handful of need lists and areas: each is worked out once (issue 13).
    needs_of: dict[Any, list[str]] = {}
    person = vocab.PERSON
    for node, attrs in G._node.items():
        kind = attrs.get("kind")
        if kind == person:
            raw = attrs.get("needs")
            if not raw:  # no needs (most people): nothing to count
                continue
            pn = _memo(needs_of, raw, _sorted_needs)
            if pn:
                person_rows.append((attrs.get("area"), attrs.get("lat"), attrs.get("lon"), pn))
        elif kind in vocab.ASSET_KINDS and _c.is_open(attrs) and attrs.get("lat") is not None \
                and attrs.get("lon") is not None:
            for need in canonical_words(attrs.get("needs"), vocab.NEEDS, vocab.needs_in):
                providers[need].append((attrs["lat"], attrs["lon"],
                                        float(weights.get(node, 1.0))))
    need_at = {n: i for i, n in enumerate(needs)}
    pair_person = np.array([i for i, row in enumerate(person_rows) for _ in row[3]],
                           dtype=np.int64)
    pair_need = np.array([need_at[n] for row in person_rows for n in row[3]], dtype=np.int64)
    lat = np.array([np.nan if r[1] is None else r[1] for r in person_rows], dtype=float)
    lon = np.array([np.nan if r[2] is None else r[2] for r in person_rows], dtype=float)
    out = {}
    for level, (areas, crs, codes, km) in prepared.items():
        # each person placed in an area of this level (the nearest enclosing one)
        area_at: dict[Any, str | None] = {}
        place = functools.partial(_area_of, G, codes=codes)
        placed = [_memo(area_at, r[0], place) for r in person_rows]
        out[level] = _gaps(placed, lat, lon, pair_person, pair_need, providers, areas, crs,
                           needs, km, reasons=reasons)
    return out


def provision_gaps_snapshot(snap: Any, areas: gpd.GeoDataFrame,
                            max_km: float | None = None,
                            weights: Weights = None, *,
                            reasons: bool = True) -> gpd.GeoDataFrame:
    """:func:`provision_gaps` over a snapshot (needs, status and locations are columns
    there): the same rows; ``reasons=False`` leaves the words out (None), for a caller that
    does not show them (``assetmap analyse``)."""
    areas, crs, codes, max_km = _prepared(areas, max_km)
    needs = list(vocab.NEEDS)
    need_bits = snap.bits["needs"]
    parent = dict(zip(snap.ids, snap.text["parent"], strict=True))
    index = snap.index
    placed: dict[Any, str | None] = {}

    def area_of(area: Any) -> str | None:
        if area not in placed:
            seen, a = set(), area
            placed[area] = None
            while isinstance(a, str) and a not in seen:
                if a in codes:
                    placed[area] = a
                    break
                seen.add(a)
                a = parent.get(a) if a in index else None
        return placed[area]

    who = np.flatnonzero(snap.is_person & (need_bits != 0))
    # one (person, need) pair per need each person has, in need order (no lists per person)
    bits = need_bits[who]
    pair_person = np.concatenate([np.flatnonzero(bits & NEED_BITS[n]) for n in needs])
    pair_need = np.concatenate([np.full(int(np.count_nonzero(bits & NEED_BITS[n])), k)
                                for k, n in enumerate(needs)]).astype(np.int64)
    area = snap.area
    areas_ = [area_of(area[i]) for i in who.tolist()]
    providers: dict[str, list[tuple[float, float, float]]] = {}
    located = snap.is_asset & ~snap.closed & ~np.isnan(snap.lat) & ~np.isnan(snap.lon)
    weights = weights or {}
    for need in needs:
        at = np.flatnonzero(located & ((need_bits & NEED_BITS[need]) != 0))
        providers[need] = list(zip(snap.lat[at].tolist(), snap.lon[at].tolist(),
                                   [float(weights.get(snap.ids[i], 1.0)) for i in at.tolist()],
                                   strict=True))
    return _gaps(areas_, snap.lat[who].astype(float), snap.lon[who].astype(float),
                 pair_person.astype(np.int64), pair_need, providers, areas, crs, needs, max_km,
                 reasons=reasons)


def _prepared(areas: gpd.GeoDataFrame, max_km: float | None
              ) -> tuple[gpd.GeoDataFrame, Any, set[str], float]:
    """The areas checked and given a CRS (WGS84 if they had none), that CRS, their codes, and
    the travel distance (the ``max_travel_km`` setting unless given): what both paths start
    from."""
    missing = {"area_code", "area_name", "geometry"} - set(areas.columns)
    if missing:
        raise ValueError(f"areas needs the columns {', '.join(sorted(missing))}")
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    crs = areas.crs or "EPSG:4326"
    codes = set(areas["area_code"].astype(str))
    return areas.set_crs(crs, allow_override=True), crs, codes, max_km


def _metric_crs(areas: gpd.GeoDataFrame) -> Any:
    """A metric CRS for ``areas``: their UTM zone (as ``estimate_utm_crs`` finds it, from the
    centre of their bounds, without its slow database query), or their own CRS if projected."""
    if not areas.crs.is_geographic:
        return areas.crs
    if areas.crs.to_epsg() == 4326 and len(areas):
        minx, miny, maxx, maxy = areas.total_bounds
        x, y = (minx + maxx) / 2.0, (miny + maxy) / 2.0
        edge = (x + 180.0) / 6.0
        # off a zone edge and outside the polar zones, the zone is plain arithmetic
        if np.isfinite(edge) and -80.0 < y < 84.0 and y != 0.0 \
                and abs(edge - round(edge)) > 1e-9:
            from pyproj import CRS

            zone = int(edge) + 1
            return CRS.from_epsg((32600 if y > 0 else 32700) + zone)
    return areas.estimate_utm_crs()


#: Areas buffered by the travel distance, by boundaries and distance (see :func:`_reach`).
_REACH: dict[tuple[Any, ...], gpd.GeoDataFrame] = {}
_REACH_LOCK = threading.Lock()


def _reach(areas: gpd.GeoDataFrame, metric: Any, max_km: float) -> gpd.GeoDataFrame:
    """Each area (``area_code``, ``geometry``) buffered by ``max_km`` in the metric CRS: where a
    provider is in reach of it. Buffering the polygons was most of a gap table's cost and they
    only change when boundaries are imported, so the result is kept per (boundaries' bytes,
    CRS, distance) and shared read-only by every store version (issue 13)."""
    import hashlib

    import shapely

    digest = hashlib.blake2b(digest_size=20)
    for part in shapely.to_wkb(areas.geometry.array).tolist():
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    digest.update("\x1f".join(areas["area_code"].astype(str)).encode("utf-8", "surrogatepass"))
    key = (digest.hexdigest(), str(areas.crs), str(metric), float(max_km))
    with _REACH_LOCK:
        cached = _REACH.get(key)
    if cached is not None:
        return cached
    reach = areas[["area_code", "geometry"]].to_crs(metric)
    reach["geometry"] = reach.buffer(max_km * 1000.0)
    with _REACH_LOCK:
        if len(_REACH) >= 8:
            _REACH.clear()
        _REACH[key] = reach
    return reach


def _gaps(person_area: list[str | None], lat: np.ndarray, lon: np.ndarray,
          pair_person: np.ndarray, pair_need: np.ndarray,
          providers: dict[str, list[tuple[float, float, float]]],
          areas: gpd.GeoDataFrame, crs: Any, needs: list[str],
          max_km: float, *, reasons: bool = True) -> gpd.GeoDataFrame:
    """The gap table from people (area or None, lat, lon: NaN where unknown) and their
    (person, need index) pairs: arrays throughout, one group per area × need (issue 13)."""
    person_area = list(person_area)
    has_loc = ~np.isnan(lat) & ~np.isnan(lon)
    unplaced = np.array([a is None for a in person_area], dtype=bool) & has_loc
    if unplaced.any():
        at = np.flatnonzero(unplaced)
        pts = gpd.GeoDataFrame(index=pd.RangeIndex(len(person_area))[at],
                               geometry=gpd.points_from_xy(lon[at], lat[at]),
                               crs="EPSG:4326").to_crs(crs)
        hit = gpd.sjoin(pts, areas[["area_code", "geometry"]], predicate="within")
        hit = hit[~hit.index.duplicated()]
        for i, code in zip(hit.index.tolist(), hit["area_code"].astype(str).tolist(),
                           strict=True):
            person_area[i] = code

    # Nearest provider for each (person, need) pair (exact great-circle distance via chords).
    nearest = np.full(len(pair_person), np.inf)
    pair_loc = has_loc[pair_person]
    for k, need in enumerate(needs):
        locs = providers[need]
        mask = pair_loc & (pair_need == k)
        if not locs or not mask.any():
            continue
        tree = cKDTree(unit_vectors(np.array([p[0] for p in locs]),
                                    np.array([p[1] for p in locs])))
        who = pair_person[mask]
        d, _ = tree.query(unit_vectors(lat[who], lon[who]), k=1)
        nearest[mask] = _chord_to_km(d)

    # Providers within reach of each area: points inside the area buffered by max_km (metres).
    metric = _metric_crs(areas)
    reach = _reach(areas, metric, max_km)
    prov_rows = [(need, lon_, lat_, w) for need in needs for lat_, lon_, w in providers[need]]
    if prov_rows:
        pts = gpd.GeoDataFrame(
            {"need": [r[0] for r in prov_rows], "weight": [r[3] for r in prov_rows]},
            geometry=gpd.points_from_xy([r[1] for r in prov_rows], [r[2] for r in prov_rows]),
            crs="EPSG:4326").to_crs(metric)
        joined = gpd.sjoin(pts, reach, predicate="within")
        supply = joined.groupby(["area_code", "need"]).size()
        weighted = joined.groupby(["area_code", "need"])["weight"].sum()
    else:
        supply = pd.Series(dtype=int)
        weighted = pd.Series(dtype=float)

    codes = areas["area_code"].astype(str)
    grid = pd.MultiIndex.from_product([codes, needs], names=["area_code", "need"])
    # each (person, need) pair's group: its area (as listed in ``areas``) × need
    code_ids, distinct = pd.factorize(codes)
    group_of_code = {c: i for i, c in enumerate(distinct.tolist())}
    person_group = np.array([group_of_code.get(a, -1) if a is not None else -1
                             for a in person_area], dtype=np.int64)
    n_groups = len(distinct) * len(needs)
    g = person_group[pair_person] * len(needs) + pair_need if len(pair_person) else pair_person
    keep = (person_group[pair_person] >= 0) if len(pair_person) else np.zeros(0, dtype=bool)
    g, near_kept = g[keep], nearest[keep]
    with_need = np.bincount(g, minlength=n_groups)
    reached_n = np.bincount(g, weights=near_kept <= max_km, minlength=n_groups).astype(int)
    finite = np.isfinite(near_kept)
    median = pd.Series(near_kept[finite]).groupby(g[finite]).median()
    median_all = np.full(n_groups, np.nan)
    median_all[median.index.to_numpy(dtype=np.int64)] = median.to_numpy(dtype=float)
    rows = (np.repeat(code_ids, len(needs)) * len(needs)
            + np.tile(np.arange(len(needs)), len(codes)))
    out = pd.DataFrame(index=grid)
    out["people_with_need"] = with_need[rows].astype(int)
    reached = reached_n[rows]
    out["providers_within_reach"] = supply.reindex(grid).fillna(0).astype(int)
    out["weighted_providers"] = weighted.reindex(grid).fillna(0.0).astype(float).round(2)
    out["people_without_provider"] = out["people_with_need"] - reached
    out["median_nearest_km"] = pd.Series(median_all[rows], index=grid).round(3)
    out["flagged"] = (out["people_with_need"] > 0) & (out["providers_within_reach"] == 0)
    out["weak_provision"] = ((out["people_with_need"] > 0) & (out["providers_within_reach"] > 0)
                             & (out["weighted_providers"] < 1.0))
    out = out.reset_index()
    conf = _settings.load()
    out["reasons"] = ([_reason(r, max_km, conf) for r in out.itertuples(index=False)]
                      if reasons else None)
    meta = areas[["area_code", "area_name", "geometry"]].assign(
        area_code=areas["area_code"].astype(str))
    out = out.merge(meta, on="area_code", how="left")
    return gpd.GeoDataFrame(out[COLUMNS], geometry="geometry", crs=crs)


def _reason(r: Any, max_km: float, conf: Any = None) -> str:
    return reason_text(r.need, publish_count(r.people_with_need, conf), r.providers_within_reach,
                       publish_count(r.people_without_provider, conf), r.median_nearest_km,
                       max_km, getattr(r, "weighted_providers", None),
                       none_anywhere=r.median_nearest_km != r.median_nearest_km)


def reason_text(need: str, with_need: str, providers: int, without: str,
                median_km: float | None, max_km: float, weighted: float | None = None, *,
                none_anywhere: bool = False) -> str:
    """Why an area × need row is (or is not) a gap, in words, from counts *as published*
    (``with_need`` and ``without`` are texts such as "<8", "*" or "25"; ``median_km`` None or
    NaN where it is not shown), so the words never say more than the table."""
    need = vocab.label(need)
    if with_need == "0":
        return f"nobody recorded as needing help with {need}"
    who = f"{with_need} people need help with {need}"
    if providers == 0:
        tail = f"no provider within {max_km:g} km"
        if none_anywhere:
            tail += "; none anywhere on the map"
        elif median_km is not None and median_km == median_km:  # not NaN, and shown
            tail += f"; nearest is {median_km:.1f} km away (median)"
        return f"{who}; {tail}"
    text = (f"{who}; {providers} provider{'' if providers == 1 else 's'} within {max_km:g} km; "
            f"{without} without one near home")
    if weighted is not None and weighted == weighted and weighted < 1.0:
        text += (f"; weak provision: rated inaccessible, they count as {weighted:g} of a "
                 "provider")
    return text
