"""Connections a person could make: groups, organisations and people, ranked and explained.

The score (0..1) is a weighted sum of three factors, each in 0..1:

- **match** (weight 0.4 for groups, 0 for people; ``linkpred.BLEND``): the share of the
  person's interests and needs that the candidate meets (a group's activities and needs;
  another person's shared interests and needs), after mapping every word to the vocabulary's
  canonical names, synonyms included ("rambling" = walking);
- **proximity** (0.2; 0.67 for people): ``1 - km / max_km`` by haversine between home and
  venue (0 when either location is unknown); anything further than ``max_km`` is left out;
- **social** (0.4; 0.33 for people): the heuristic link-prediction score of
  :mod:`assetmap.graph.analysis.linkpred` on the person–group graph (community ties between
  people, plus ATTENDS / VOLUNTEERS_AT ties to groups): resource allocation over friends who
  already go or friends and groups shared, co-membership ("people who go where you go also
  go…") and a little popularity, with weights chosen by ``benchmarks/eval_suggestions.py`` on
  hidden ties of real networks. The three blend weights live in ``linkpred.BLEND``.

A candidate needs a match or a social link to be suggested: nearness alone is not a reason.
Hard filters: the person themself and anything they are already tied to (any current tie,
referrals included; an ended tie, ``until`` passed, no longer counts) are never suggested;
nor are closed groups, groups that are full (``capacity``), that cost more than the person
can pay (``max_cost``), that lack an access feature the person needs (``access_needs``), or
whose age limits (``min_age``/``max_age``/``age_bands``) exclude the person's age band; nor
people who have not consented to be suggested
(:func:`assetmap.governance.privacy.has_consent`).

People come from the network (friends of friends, people at the same groups: "also goes to
Walking club") and, so that someone with no ties is offered people too, from shared interests,
needs and goals within ``max_km`` ("also into walking"; a shared need is said, never named:
another person's needs are theirs to tell); people are ranked by nearness as a
*band* (:data:`~assetmap.governance.privacy.DISTANCE_BANDS_KM`, never the exact distance), then
by how much they share. Sessions of one venue (a group's ``venue``, or one name at one point)
are merged into one suggestion listing its sessions (:func:`merge_places`), with when, cost and
access shown.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import haversine_km_array, haversine_m
from assetmap.governance.privacy import DISTANCE_BANDS_KM, has_consent
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis import linkpred

#: The blend of match, proximity and social for groups and organisations, and for people; kept
#: (with the social score's own weights) in :mod:`assetmap.graph.analysis.linkpred`, where the
#: evaluation harness writes them.
WEIGHTS: dict[str, float] = linkpred.BLEND["group"]
PERSON_WEIGHTS: dict[str, float] = linkpred.BLEND["person"]
COLUMNS: list[str] = [
    "candidate_id", "name", "kind", "score", "match", "proximity", "social", "distance_km",
    "matched", "known_there", "reasons", "place", "sessions", "session_ids", "when", "cost",
    "access",
]

_COST_RANK = {c: i for i, c in enumerate(vocab.COSTS)}


def canonical_words(values: Any, vocabulary: Mapping[str, Any], find: Any) -> set[str]:
    """Canonical words in a prop that may be a list, a single string or missing."""
    if not values:
        return set()
    if isinstance(values, str):
        values = [values]
    out: set[str] = set()
    for v in values:
        if not isinstance(v, str):
            continue
        if v in vocabulary:  # fast path: already canonical
            out.add(v)
        else:
            found = find(v)
            out |= found
    return out


def wants(attrs: Mapping[str, Any]) -> set[str]:
    """A person's interests, needs and goals as tagged canonical words ("interest:walking", ...):
    a goal counts by the words in it ("find a football group nearby" -> interest:football)."""
    likes = canonical_words(attrs.get("interests"), vocab.INTERESTS, vocab.interests_in)
    needs = canonical_words(attrs.get("needs"), vocab.NEEDS, vocab.needs_in)
    goals = attrs.get("goals")
    for goal in [goals] if isinstance(goals, str) else goals or []:
        if isinstance(goal, str):
            goal_likes, goal_needs = _goal_words(goal)
            likes |= goal_likes
            needs |= goal_needs
    return {f"interest:{w}" for w in likes} | {f"need:{w}" for w in needs}


@functools.lru_cache(maxsize=8192)
def _goal_words(goal: str) -> tuple[frozenset[str], frozenset[str]]:
    """The interests and needs a goal's words name (goals recur: each text is read once)."""
    return frozenset(vocab.interests_in(goal)), frozenset(vocab.needs_in(goal))


def offers(attrs: Mapping[str, Any]) -> set[str]:
    """What a group or organisation offers, as tagged canonical words; falls back to its name."""
    acts = canonical_words(attrs.get("activities"), vocab.INTERESTS, vocab.interests_in)
    needs = canonical_words(attrs.get("needs"), vocab.NEEDS, vocab.needs_in)
    if not acts and not needs and attrs.get("name"):
        acts = vocab.interests_in(str(attrs["name"]))
        needs = vocab.needs_in(str(attrs["name"]))
    return {f"interest:{w}" for w in acts} | {f"need:{w}" for w in needs}


def _age_range(band: str | None) -> tuple[int, int] | None:
    if not band:
        return None
    if band.endswith("+"):
        return int(band[:-1]), 150
    lo, _, hi = band.partition("-")
    try:
        return int(lo), int(hi)
    except ValueError:
        return None


def _age_ok(person: Mapping[str, Any], asset: Mapping[str, Any]) -> bool:
    band = person.get("age_band")
    allowed = asset.get("age_bands")
    if allowed and band and band not in allowed:
        return False
    rng = _age_range(band)
    if rng is None:
        return True
    lo = asset.get("min_age")
    hi = asset.get("max_age")
    if isinstance(lo, int | float) and rng[1] < lo:
        return False
    return not (isinstance(hi, int | float) and rng[0] > hi)


def _cost_ok(max_cost: str | None, asset: Mapping[str, Any]) -> bool:
    if max_cost is None or asset.get("cost") is None:
        return True
    return _COST_RANK.get(asset["cost"], 0) <= _COST_RANK.get(max_cost, len(vocab.COSTS))


def _km(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    if a.get("lat") is None or a.get("lon") is None or b.get("lat") is None \
            or b.get("lon") is None:
        return None
    return haversine_m(a["lat"], a["lon"], b["lat"], b["lon"]) / 1000.0


def adamic_adar(G: nx.MultiDiGraph, person_id: str, c: _c.Circle | None = None
                ) -> tuple[dict[str, float], dict[str, int]]:
    """Adamic–Adar index of ``person_id`` with everyone two steps away on the person–group
    graph: (candidate -> index, candidate -> number of common neighbours)."""
    c = c or _c.circle(G, person_id)
    nodes = G._node
    score: dict[str, float] = {}
    common: dict[str, int] = {}
    for w in sorted(c.people | c.groups):
        if w in c.groups and not _c.is_open(nodes[w]):
            continue
        if nodes[w].get("kind") == vocab.PERSON:
            wc = _c.circle(G, w)
            others = wc.people | wc.groups  # w's neighbours on the person–group graph
        else:
            others = {o for o, _k, _a, out in _c._ends(G, w)
                      if not out and _k in _c.MEMBERSHIP_TIES
                      and nodes[o].get("kind") == vocab.PERSON}
        if len(others) < 2:
            continue
        weight = 1.0 / math.log(len(others))
        for x in others:
            if x == person_id:
                continue
            score[x] = score.get(x, 0.0) + weight
            common[x] = common.get(x, 0) + 1
    return score, common


#: id of an asset's incoming ties (a dict a write replaces, never changes: copy on write) ->
#: (those ties, the day counted, people attending); a small bounded cache
_ATTENDEES: dict[int, tuple[Any, str, int]] = {}


def _attendees(G: nx.MultiDiGraph, asset: str) -> int:
    """People with a current ATTENDS tie to ``asset`` (for its ``capacity``); counted once per
    version of its incoming ties and day."""
    today = _c.today_iso()
    pred = G._pred[asset]
    got = _ATTENDEES.get(id(pred))
    if got is not None and got[0] is pred and got[1] == today:
        return got[2]
    n = sum(1 for o, keyed in pred.items()
            if G._node[o].get("kind") == vocab.PERSON
            and any(a.get("kind", k) == "ATTENDS" and not _c.tie_ended(a, today)
                    for k, a in keyed.items()))
    if len(_ATTENDEES) >= 4096:
        _ATTENDEES.clear()
    _ATTENDEES[id(pred)] = (pred, today, n)
    return n


def _words(tags: Iterable[str]) -> list[str]:
    return sorted(vocab.label(t.split(":", 1)[1]) for t in tags)


#: Where a group's or organisation's "when" is written (as the directory reads it).
WHEN_KEYS: tuple[str, ...] = ("schedule", "meets", "opening_times")


def when_text(attrs: Mapping[str, Any]) -> str:
    """When a group meets or a place opens, as recorded ("" where not listed)."""
    for key in WHEN_KEYS:
        value = attrs.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _band_km(km: float) -> float:
    """The lower edge of the distance band ``km`` falls in (privacy.distance_band's bands):
    people are ranked by nearness as a band, never by exact distance."""
    lower = 0.0
    for upper in DISTANCE_BANDS_KM:
        if km < upper:
            return lower
        lower = upper
    return lower


def place_key(G: nx.MultiDiGraph, node_id: str) -> str:
    """The place a group or organisation meets at: its ``venue`` (when that record is in the
    graph), else itself. Sessions at one venue share one key."""
    venue = G._node[node_id].get("venue")
    return venue if isinstance(venue, str) and venue in G and venue != node_id else node_id


def merge_places(G: nx.MultiDiGraph, frame: pd.DataFrame) -> pd.DataFrame:
    """Suggestions with the sessions of one venue shown as one place: the best-ranked session
    keeps its row (and its place in the order) and lists the others (``sessions``,
    ``session_ids``, ``when``); records at one venue (``venue``) or with one name at one point
    are one place. People are never merged. ``frame`` is best first."""
    if frame.empty:
        return frame
    nodes = G._node
    key_of: dict[str, str] = {}
    by_spot: dict[tuple[str, float, float], str] = {}
    order: list[str] = []
    members: dict[str, list[int]] = {}
    for i, (cid, kind) in enumerate(zip(frame["candidate_id"], frame["kind"], strict=True)):
        if kind == vocab.PERSON:
            key = f"\0{cid}"
        else:
            key = place_key(G, cid)
            attrs = nodes[cid]
            if attrs.get("lat") is not None and attrs.get("lon") is not None:
                spot = (" ".join(str(attrs.get("name", "")).lower().split()),
                        round(float(attrs["lat"]), 5), round(float(attrs["lon"]), 5))
                key = by_spot.setdefault(spot, key_of.get(key, key))
        key_of[cid] = key
        if key not in members:
            order.append(key)
            members[key] = []
        members[key].append(i)
    if len(order) == len(frame):
        return frame
    rows = []
    records = frame.to_dict("records")
    for key in order:
        first = dict(records[members[key][0]])
        if first["kind"] != vocab.PERSON:
            listed = [records[i] for i in members[key]]
            venue = nodes.get(key, {})
            first["place"] = venue.get("name") or first["place"]
            first["sessions"] = len(listed)
            first["session_ids"] = [r["candidate_id"] for r in listed]
            if len(listed) > 1:
                first["when"] = "; ".join(
                    f"{r['name']}: {when_text(nodes[r['candidate_id']]) or 'no time listed'}"
                    for r in listed)
            costs = sorted({c for r in listed for c in str(r["cost"]).split(" / ") if c},
                           key=lambda c: _COST_RANK.get(c, len(_COST_RANK)))
            first["cost"] = " / ".join(costs)
        rows.append(first)
    return pd.DataFrame(rows, columns=frame.columns)


_TAG_BIT: dict[str, int] = {t: i for i, t in enumerate(
    [f"interest:{w}" for w in vocab.INTERESTS] + [f"need:{w}" for w in vocab.NEEDS])}
#: graph node table -> (that table, its size, people's ids, lat, lon, want bits, id -> row); a
#: prefilter only: every person it lets through is checked again on the live record
_PEOPLE_INDEX: dict[int, tuple[Any, ...]] = {}


def _tag_bits(tags: Iterable[str]) -> int:
    bits = 0
    for t in tags:
        b = _TAG_BIT.get(t)
        if b is not None:
            bits |= 1 << b
    return bits


def _person_row(attrs: Mapping[str, Any]) -> tuple[float, float, int] | None:
    """One person's entry in :func:`_people_index` (home and want bits), or None when they are
    not a person, have not consented to be suggested or want nothing."""
    if attrs.get("kind") != vocab.PERSON or not has_consent(attrs, "suggest"):
        return None
    b = _tag_bits(wants(attrs))
    if not b:
        return None
    return (math.nan if attrs.get("lat") is None else float(attrs["lat"]),
            math.nan if attrs.get("lon") is None else float(attrs["lon"]), b)


def _people_index(G: nx.MultiDiGraph) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """People who consented to be suggested, with their homes and what they want as bits; built
    once per graph. A graph patched after a write (:func:`~assetmap.graph.analysis.snapshot.
    patched_graph`: a new node table sharing every untouched node's attributes) patches the
    last index with the nodes whose attributes are new or gone, so a write costs a pass of
    identity checks, not every person's wants read again."""
    out = _indexed(_PEOPLE_INDEX, G._node, _person_row)
    return out[0], out[1], out[2], out[3]


def _table_changes(table: Any, before: Any) -> tuple[list[Any], list[Any]] | None:
    """The node ids whose attributes differ between two node tables (new or replaced), and the
    ids gone: None when the tables are not plain dicts or differ too much to patch cheaply.

    Copy on write (:func:`~assetmap.graph.analysis.snapshot.patched_graph`) keeps each node's
    place in the table (new nodes go last), so comparing the two tables' attributes place by
    place, in C, finds what a write touched; a node deleted shifts the rest, which then differ
    and are looked up by id."""
    if type(table) is not dict or type(before) is not dict:
        return None
    from assetmap.graph.analysis.snapshot import node_changes

    known = node_changes(table, before)  # the write said what it changed
    if known is not None:
        return known
    limit = max(64, len(table) // 20)
    moved = list(itertools.islice(itertools.compress(
        itertools.count(), map(operator.is_not, table.values(), before.values())), limit + 1))
    if len(moved) > limit:
        return None  # a different graph, or a big change: build afresh
    keys, old_keys = list(table), list(before)
    both = min(len(keys), len(old_keys))
    changed = [k for k in [keys[i] for i in moved] + keys[both:] if before.get(k) is not table[k]]
    gone = [k for k in [old_keys[i] for i in moved] + old_keys[both:] if k not in table]
    return changed, gone


def _patched_rows(last: tuple[Any, ...], table: Any, row_of: Any) -> tuple[Any, ...] | None:
    """An index (ids, lat, lon, bits, id -> row) patched from ``last`` (a cache entry: the table
    it was built from, its size, then the index) for the nodes of ``table`` that changed;
    ``row_of(attrs)`` gives a node's (lat, lon, bits) or None. A node that leaves gets bits 0:
    it never shares anything, so every search leaves it out. None when a fresh build is as
    cheap."""
    diff = _table_changes(table, last[0])
    if diff is None:
        return None
    changed, gone = diff
    ids, lat, lon, bits, at = last[2], last[3].copy(), last[4].copy(), last[5].copy(), last[6]
    new_rows: list[tuple[float, float, int]] = []
    if any(str(k) not in at for k in changed):
        ids, at = list(ids), dict(at)  # one may be added: the last index stays as it was
    for n in gone:
        i = at.get(str(n))
        if i is not None:
            bits[i] = 0
    for n in changed:
        row = row_of(table[n])
        i = at.get(str(n))
        if i is not None:
            if row is None:
                bits[i] = 0
            else:
                lat[i], lon[i], bits[i] = row
        elif row is not None:
            at[str(n)] = len(ids)
            ids.append(str(n))
            new_rows.append(row)
    if new_rows:
        lat = np.concatenate([lat, np.array([r[0] for r in new_rows], dtype=float)])
        lon = np.concatenate([lon, np.array([r[1] for r in new_rows], dtype=float)])
        bits = np.concatenate([bits, np.array([r[2] for r in new_rows], dtype=np.uint64)])
    return ids, lat, lon, bits, at


def _indexed(cache: dict[int, tuple[Any, ...]], table: Any, row_of: Any) -> tuple[Any, ...]:
    """The index of ``table``'s nodes that ``row_of`` keeps (ids, lat, lon, bits, id -> row),
    from ``cache`` (built once per node table; the last one patched for a table made by a
    write, never rebuilt for one)."""
    got = cache.get(id(table))
    if got is not None and got[0] is table and got[1] == len(table):
        return got[2:]
    out = _patched_rows(cache[next(reversed(cache))], table, row_of) if cache else None
    if out is None:
        ids: list[str] = []
        lat: list[float] = []
        lon: list[float] = []
        bits: list[int] = []
        for nid, attrs in table.items():
            row = row_of(attrs)
            if row is None:
                continue
            ids.append(str(nid))
            lat.append(row[0])
            lon.append(row[1])
            bits.append(row[2])
        out = (ids, np.array(lat, dtype=float), np.array(lon, dtype=float),
               np.array(bits, dtype=np.uint64), {n: i for i, n in enumerate(ids)})
    if len(cache) >= 2:  # the last index is what the next write patches
        cache.pop(next(iter(cache)))
    cache[id(table)] = (table, len(table), *out)
    return out


def _asset_row(attrs: Mapping[str, Any]) -> tuple[float, float, int] | None:
    """One group's or organisation's entry in :func:`_asset_index` (its point and what it
    offers as bits, with one extra bit so an asset offering nothing is still listed), or None
    for any other node."""
    if attrs.get("kind") not in vocab.ASSET_KINDS:
        return None
    return (math.nan if attrs.get("lat") is None else float(attrs["lat"]),
            math.nan if attrs.get("lon") is None else float(attrs["lon"]),
            _tag_bits(offers(attrs)) | _LISTED)


#: The bit every listed asset carries (beyond the vocabulary's): bits 0 means "not listed".
_LISTED = 1 << 63
_ASSET_INDEX: dict[int, tuple[Any, ...]] = {}


def _asset_index(G: nx.MultiDiGraph) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Groups and organisations with their points and offer bits; built once per graph and
    patched after a write like :func:`_people_index`: a prefilter only (every asset it lets
    through is checked again on the live record)."""
    out = _indexed(_ASSET_INDEX, G._node, _asset_row)
    return out[0], out[1], out[2], out[3]


def _near_assets(G: nx.MultiDiGraph, me: Mapping[str, Any], my_wants: set[str],
                 max_km: float) -> list[str]:
    """Groups and organisations that offer something ``me`` wants, within ``max_km`` of their
    home (or where either point is unknown): the candidates :func:`suggest_connections` checks
    one by one, found with arrays instead of a pass over every node."""
    ids, lat, lon, bits = _asset_index(G)
    keep = (bits & np.uint64(_tag_bits(my_wants))) != 0
    if me.get("lat") is not None and me.get("lon") is not None:
        km = haversine_km_array(float(me["lat"]), float(me["lon"]), lat, lon)
        keep &= np.isnan(km) | (km <= max_km * (1 + 1e-9) + 1e-9)  # checked exactly after
    return [ids[i] for i in np.flatnonzero(keep).tolist()]


def _sharing(G: nx.MultiDiGraph, me: Mapping[str, Any], my_wants: set[str], max_km: float,
             weights: Mapping[str, float], top: int) -> list[str]:
    """The ``top`` people (ids) most likely to rank first among those who share something with
    ``me`` within ``max_km`` (or with no known home), in the order suggest_connections ranks
    people with no social link: a prefilter from :func:`_people_index`."""
    ids, lat, lon, bits = _people_index(G)
    mine = _tag_bits(my_wants)
    keep = (bits & np.uint64(mine)) != 0
    if me.get("lat") is not None and me.get("lon") is not None:
        km = haversine_km_array(float(me["lat"]), float(me["lon"]), lat, lon)
        keep &= np.isnan(km) | (km <= max_km * (1 + 1e-9))
    else:
        km = np.full(len(ids), np.nan)
    at = np.flatnonzero(keep)
    if len(at) <= top:
        return [ids[i] for i in at.tolist()]
    edges = np.array((0.0, *DISTANCE_BANDS_KM))
    band = edges[np.searchsorted(edges[1:], km[at], side="right")]
    prox = np.where(np.isnan(km[at]), 0.0,
                    np.maximum(0.0, 1.0 - band / max_km) if max_km > 0 else 0.0)
    shared = popcount(bits[at] & np.uint64(mine)).astype(float)
    match = shared / max(1, bin(mine).count("1"))
    score = np.round(weights["match"] * match + weights["proximity"] * prox, 6)
    dist = np.where(np.isnan(km[at]), np.inf, band)
    # rank without ids first; only those before or tied with the last one kept are ranked with
    # their ids (making thousands of id strings to break a few ties cost more than the rest)
    last = np.lexsort((dist, -match, -score))[top - 1]
    s, m, d = score[last], match[last], dist[last]
    near = np.flatnonzero((score > s) | ((score == s) & ((match > m) | ((match == m)
                                                                        & (dist <= d)))))
    order = near[np.lexsort((np.array([ids[i] for i in at[near].tolist()], dtype=object)
                             .astype(str), dist[near], -match[near], -score[near]))]
    # a little slack: the live record is checked again and may differ from the index
    return [ids[i] for i in at[order[:top]].tolist()]


def popcount(x: np.ndarray) -> np.ndarray:
    """Set bits per value (numpy 2's bitwise_count; a byte table before numpy 2)."""
    x = np.ascontiguousarray(x, dtype=np.uint64)
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    return np.unpackbits(x.view(np.uint8)).reshape(len(x), 64).sum(axis=1).astype(np.int64)


def suggest_connections(G: nx.MultiDiGraph, person_id: str, k: int = 10,
                        max_km: float | None = None, *, kinds: Iterable[str] | None = None,
                        max_cost: str | None = None, access_needs: Iterable[str] | None = None,
                        weights: Mapping[str, float] | None = None,
                        merge_venues: bool = True) -> pd.DataFrame:
    """The ``k`` best new connections for one person, best first, each with its reasons.

    ``max_km`` defaults to the ``max_travel_km`` setting; ``kinds`` limits the candidates to
    some node kinds (Group, Organisation, Person); ``max_cost`` and ``access_needs`` default to
    the person's own ``max_cost`` and ``access_needs`` props. People are found through the
    network (friends of friends, people at the same groups) and, so that someone with no ties
    is offered people too, by shared interests, needs and goals nearby; only people who
    consented to be suggested. With ``merge_venues`` (the default) the sessions of one venue
    are one suggestion (:func:`merge_places`). The score is documented at the top of this
    module.
    """
    _c.check_graph(G)
    if person_id not in G or G.nodes[person_id].get("kind") != vocab.PERSON:
        raise KeyError(f"no person with id {person_id!r} in this graph")
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    w = {**WEIGHTS, **(weights or {})}
    wp = {**PERSON_WEIGHTS, **(weights or {})}
    allowed = set(kinds) if kinds is not None else {vocab.GROUP, vocab.ORGANISATION,
                                                     vocab.PERSON}
    nodes = G._node
    me = nodes[person_id]
    c = _c.circle(G, person_id)
    my_wants = wants(me)
    max_cost = max_cost if max_cost is not None else me.get("max_cost")
    needs_access = set(access_needs if access_needs is not None else me.get("access_needs")
                       or [])
    aa, common, via = linkpred.social(G, person_id)
    who = _c.first_name(G, person_id)
    mine = c.people | c.groups  # p's neighbours on the person–group graph

    rows: list[dict[str, Any]] = []

    def add(cid: str, attrs: Mapping[str, Any], matched: set[str], km: float | None) -> None:
        match = len(matched) / len(my_wants) if my_wants else 0.0
        social_raw = aa.get(cid, 0.0)
        if match == 0 and social_raw == 0:
            return
        is_person = attrs.get("kind") == vocab.PERSON
        # people are ranked by nearness as a band (never by exact distance)
        near = None if km is None else _band_km(km) if is_person else km
        prox = 0.0 if near is None else max(0.0, 1.0 - near / max_km) if max_km > 0 else 0.0
        social = social_raw  # already 0..1: linkpred's heuristic score
        b = wp if is_person else w
        score = b["match"] * match + b["proximity"] * prox + b["social"] * social
        n_common = common.get(cid, 0)
        reasons = []
        likes = _words(t for t in matched if t.startswith("interest:"))
        needs = _words(t for t in matched if t.startswith("need:"))
        if likes:
            reasons.append(("also into " if is_person else "matches ") + ", ".join(likes))
        if needs:
            # another person's needs (health, money, ...) are theirs to tell: named for a place
            # that helps with them, never for a person
            reasons.append(("shares a need" + ("s" if len(needs) > 1 else "")) if is_person
                           else "helps with " + ", ".join(needs))
        if km is None:
            reasons.append("distance unknown")
        elif is_person:
            reasons.append(f"about {max(0.5, round(km * 2) / 2):.1f} km away")
        else:
            reasons.append(f"{km:.1f} km")
        if n_common and is_person:
            theirs = set(linkpred_nb(cid))
            shared = sorted(str(nodes[z].get("name") or "?") for z in mine & theirs
                            if nodes[z].get("kind") != vocab.PERSON)
            if shared:
                reasons.append("also goes to " + ", ".join(shared))
            people = n_common - len(shared)
            if people > 0:
                reasons.append(f"{people} {'person' if people == 1 else 'people'} in common "
                               f"with {who}")
        elif n_common:
            reasons.append(f"{n_common} {'person' if n_common == 1 else 'people'} {who} "
                           f"knows {'goes' if n_common == 1 else 'go'}")
        elif cid in via:  # co-membership: linked three steps away (linkpred's comember)
            step = nodes[via[cid]]
            if step.get("kind") != vocab.PERSON:
                place = step.get("name") or "?"
                reasons.append(f"knows someone from {place}" if is_person
                               else f"people who go where {who} goes ({place}) also go here")
            else:
                reasons.append(f"knows someone {who} knows" if is_person
                               else f"friends of people {who} knows go here")
        rows.append({
            "candidate_id": cid, "name": attrs.get("name", ""), "kind": attrs.get("kind"),
            "score": round(score, 6), "match": round(match, 6), "proximity": round(prox, 6),
            "social": round(social, 6), "distance_km": None if km is None else round(km, 3),
            "matched": likes if is_person else _words(matched),  # a person's needs: unnamed
            "known_there": n_common, "reasons": "; ".join(reasons),
            "place": "" if is_person else attrs.get("name", ""),
            "sessions": 0 if is_person else 1, "session_ids": [] if is_person else [cid],
            "when": "" if is_person else when_text(attrs),
            "cost": "" if is_person else str(attrs.get("cost") or ""),
            "access": "" if is_person else ", ".join(
                vocab.label(a) for a in attrs.get("access") or [] if isinstance(a, str)),
            "_band": None if near is None else near,
        })

    linkpred_nb = linkpred.graph_neighbours(G)
    asset_kinds = allowed & vocab.ASSET_KINDS
    want_people = vocab.PERSON in allowed
    if want_people and my_wants:
        # people found by what they share (the network's candidates come from ``aa``)
        for nid in _sharing(G, me, my_wants, max_km, wp, k + len(c.linked) + len(aa) + 8):
            attrs = nodes.get(nid)
            if attrs is None or attrs.get("kind") != vocab.PERSON or nid in aa \
                    or nid in c.linked or nid == person_id or not has_consent(attrs, "suggest"):
                continue
            km = _km(me, attrs)
            if km is not None and km > max_km:
                continue
            matched = my_wants & wants(attrs)
            if matched:
                add(nid, attrs, matched, km)
    # places that offer something wanted, nearby (found with arrays), and places the network
    # links to; each is checked on its live record
    near = _near_assets(G, me, my_wants, max_km) if my_wants and asset_kinds else []
    linked_places = [str(n) for n in aa if nodes[n].get("kind") in asset_kinds]
    for nid in dict.fromkeys(itertools.chain(near, linked_places)):
        attrs = nodes[nid]
        kind = attrs.get("kind")
        if kind not in asset_kinds or nid in c.linked or nid == person_id:
            continue
        if not _c.is_open(attrs):
            continue
        km = _km(me, attrs)
        if km is not None and km > max_km:
            continue
        matched = my_wants & offers(attrs)
        if not matched and nid not in aa:
            continue
        if not _cost_ok(max_cost, attrs) or not _age_ok(me, attrs):
            continue
        if needs_access and not needs_access <= set(attrs.get("access") or []):
            continue
        cap = attrs.get("capacity")
        if isinstance(cap, int | float) and _attendees(G, nid) >= cap:
            continue
        add(nid, attrs, matched, km)
    if want_people:
        for pid in aa:
            attrs = nodes[pid]
            if attrs.get("kind") != vocab.PERSON or pid in c.linked or pid == person_id:
                continue
            if not has_consent(attrs, "suggest"):
                continue
            km = _km(me, attrs)
            if km is not None and km > max_km:
                continue
            add(str(pid), attrs, my_wants & wants(attrs), km)  # ids are text

    df = pd.DataFrame(rows, columns=[*COLUMNS, "_band"])
    if df.empty:
        return df.drop(columns="_band")
    is_person = df["kind"] == vocab.PERSON
    # best score first; then, for people, more in common and the nearer band; for places, the
    # nearer; then the id (so the order never depends on the graph's insertion order)
    df["_m"] = df["match"].where(is_person, 0.0)
    df["_d"] = df["_band"].where(is_person, df["distance_km"]).astype(float).fillna(float("inf"))
    df = df.sort_values(["score", "_m", "_d", "candidate_id"],
                        ascending=[False, False, True, True], kind="stable")
    df = df.drop(columns=["_d", "_m", "_band"]).reset_index(drop=True)
    if merge_venues:
        df = merge_places(G, df)
    if want_people and asset_kinds:
        df = mix_people_and_places(df, k)
    return df.head(k).reset_index(drop=True)


def mix_people_and_places(suggestions: pd.DataFrame, k: int) -> pd.DataFrame:
    """The best ``k`` with people in at most a third of the places (at least one) while places
    are there to fill the rest: a coordinator looks for a group first, and people are an
    introduction beside it, never instead of it. Score order is kept."""
    person = (suggestions["kind"] == vocab.PERSON).to_numpy()
    people, places = int(person.sum()), int((~person).sum())
    n_people = min(people, max(1, k // 3))
    n_places = min(places, k - n_people)
    n_people = min(people, k - n_places)  # too few places: people fill the list
    rows = np.arange(len(suggestions))
    keep = np.sort(np.concatenate([rows[person][:n_people], rows[~person][:n_places]]))
    return suggestions.iloc[keep].reset_index(drop=True)
