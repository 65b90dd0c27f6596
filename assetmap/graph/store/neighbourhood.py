"""One person's neighbourhood: the small part of the graph the Person page reads (issue 16, "small
queries for small questions"), in exactly the shape ``store.to_networkx()`` gives (same node and
tie attributes, ties keyed by kind, ended ties kept as history).

What it holds is what the page's answers depend on, so that the circle, the ties table, the
isolation level and the suggestions are the same as on the whole graph:

- every tie of the person, the records at their other ends and the groups their ties name as
  ``via`` (the circle, the ties table, the isolation level);
- every tie of the people and groups one step out, and the records at the other ends (the circle
  picture draws two steps out through people and groups);
- on the person–group graph the suggestions' social score walks (community ties and
  memberships), the ties of everyone up to three steps out, so the degree of every candidate is
  whole (resource allocation, co-membership and popularity all divide by degrees);
- the candidates by distance: open or closed groups and organisations within ``place_km`` of the
  person (or with no known point), the attendances of those with a ``capacity`` (a full group is
  left out) and the venue each meets at; people who consented to be suggested within ``km`` (or
  with no known home).

A store reads it with a few batched, parameterised queries (:meth:`Neo4jStore.person_neighbourhood`;
``point.distance`` on the point index where the server has it); :func:`neighbourhood_of` cuts the
same out of a whole graph (any store, or the reference the tests compare against).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import networkx as nx

from assetmap import vocab
from assetmap.geo import haversine_m
from assetmap.model import tie_ended

#: Ties the suggestions' person–group graph walks (a person's community ties and memberships;
#: a Shared Lives household); the circle's own reads use every tie kind.
SOCIAL_TIE_KINDS: tuple[str, ...] = tuple(sorted(
    k for k, cls in vocab.TIE_KINDS.items() if cls in (vocab.COMMUNITY, vocab.SHARED_LIFE)))
#: Steps out on the person–group graph whose ties are read whole (the social score's reach:
#: candidates three steps out, whose degree needs their own ties).
SOCIAL_STEPS = 3
#: The circle picture expands through these kinds (``render.network``'s ``_EXPAND_THROUGH``).
PICTURE_THROUGH: frozenset[str] = frozenset({vocab.PERSON, vocab.GROUP})

#: A tie as read: (src, dst, kind, attrs with kind and tie_class).
TieRow = tuple[str, str, str, dict[str, Any]]


class NeighbourhoodSource(Protocol):
    """What :func:`build_neighbourhood` reads (a store's batched queries, or a whole graph)."""

    def nodes(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Node attrs (as ``to_networkx`` has them) of those ``ids`` that exist."""

    def ties(self, ids: Iterable[str], kinds: Iterable[str] | None = None,
             incoming: str | None = None) -> list[TieRow]:
        """Every tie touching ``ids`` (of ``kinds``; every tie kind when None); with
        ``incoming``, only ties of that kind into ``ids``."""

    def near(self, kinds: Iterable[str], lat: float | None, lon: float | None, km: float,
             consenting: bool = False) -> list[str]:
        """Ids of nodes of ``kinds`` within ``km`` of (lat, lon) or with no known point (all of
        them when lat/lon is None); with ``consenting``, only people who agreed to be
        suggested. A superset is fine: the analyses measure distance themselves."""


def reach_km(km: float) -> float:
    """How far the candidates by distance are read: a little over ``km`` (the analyses measure
    distances exactly themselves; a record just inside must never be missed)."""
    return float(km) * 1.001 + 0.001


def within_reach(lat: float, lon: float, other_lat: float, other_lon: float, km: float) -> bool:
    """Whether (other_lat, other_lon) is within :func:`reach_km` of (lat, lon), by haversine
    (as the suggestions measure)."""
    return haversine_m(lat, lon, float(other_lat), float(other_lon)) <= reach_km(km) * 1000


def _open_asset(attrs: Mapping[str, Any]) -> bool:
    return attrs.get("kind") in vocab.ASSET_KINDS and attrs.get("status") != "closed"


def build_neighbourhood(source: NeighbourhoodSource, person_id: str, km: float,
                        place_km: float | None = None) -> nx.MultiDiGraph:
    """The person's neighbourhood (see the module docstring) read from ``source``: an empty
    graph when there is no such person. ``km`` is the reach for people (the suggestions'
    ``max_km``), ``place_km`` for groups and organisations (default ``km``)."""
    G = nx.MultiDiGraph()
    place_km = km if place_km is None else place_km
    me = source.nodes([person_id]).get(person_id)
    if me is None:
        return G
    attrs: dict[str, dict[str, Any]] = {person_id: me}
    ties: dict[tuple[str, str, str], dict[str, Any]] = {}

    def take(rows: Iterable[TieRow]) -> set[str]:
        ends: set[str] = set()
        for src, dst, kind, a in rows:
            ties[(src, dst, kind)] = a
            ends.update((src, dst))
        return ends

    def load(ids: Iterable[str]) -> None:
        missing = [i for i in ids if i not in attrs]
        if missing:
            attrs.update(source.nodes(missing))

    # the person's own ties, and the groups they name as "via"
    own = source.ties([person_id])
    ring1 = take(own) - {person_id}
    vias = {a.get("via") for _s, _d, _k, a in own}
    load(ring1 | {v for v in vias if isinstance(v, str)})
    # the picture: one more step through people and groups
    through = sorted(n for n in ring1 if attrs.get(n, {}).get("kind") in PICTURE_THROUGH)
    load(take(source.ties(through)))
    # the social score's reach on the person–group graph (current ties, open places)
    today = _today()
    frontier, seen = {person_id}, {person_id}
    for _step in range(SOCIAL_STEPS + 1):
        # (the last round reads the ties of those three steps out: their degree)
        rows = source.ties(sorted(frontier), SOCIAL_TIE_KINDS)
        load(take(rows))
        ends = {e for s, d, _k, a in rows for e in (s, d)
                if not ("until" in a and tie_ended(a, today))}
        nxt = {e for e in ends - seen
               if attrs.get(e, {}).get("kind") == vocab.PERSON or _open_asset(attrs.get(e, {}))}
        seen |= nxt
        frontier = nxt
    # the candidates by distance
    lat, lon = me.get("lat"), me.get("lon")
    if lat is None or lon is None:
        lat = lon = None
    places = source.near(sorted(vocab.ASSET_KINDS), lat, lon, place_km)
    people = source.near([vocab.PERSON], lat, lon, km, consenting=True)
    load(places + people)
    full = sorted(p for p in places if isinstance(attrs.get(p, {}).get("capacity"), int | float))
    load(take(source.ties(full, incoming="ATTENDS")))
    venues = {attrs[p].get("venue") for p in places if p in attrs}
    load(v for v in venues if isinstance(v, str))
    for nid in sorted(attrs):
        G.add_node(nid, **attrs[nid])
    for (src, dst, kind), a in sorted(ties.items()):
        if src in G and dst in G:
            G.add_edge(src, dst, key=kind, **a)
    # the suggestions' closure test is about the whole store: carry its verdict (a server
    # store that cannot say keeps the test's prior, closure)
    # (and, where closure fails, the degree mixing people are ranked by)
    from assetmap.graph.analysis.linkpred import CLOSURE_KEY, MIXING_KEY

    verdict = getattr(source, "person_closure", None)
    G.graph[CLOSURE_KEY] = verdict() if verdict is not None else True
    mixing = getattr(source, "person_mixing", None)
    if mixing is not None:
        G.graph[MIXING_KEY] = mixing()
    return G


def _today() -> str:
    from assetmap.graph.analysis.circles import today_iso

    return today_iso()


class GraphSource:
    """:class:`NeighbourhoodSource` over a whole ``to_networkx`` graph (any store's fallback,
    and the reference the store's own reads are tested against)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.G = G

    def person_closure(self) -> bool:
        """The whole graph's closure verdict (:func:`linkpred.person_closure`)."""
        from assetmap.graph.analysis.linkpred import person_closure

        return person_closure(self.G)

    def person_mixing(self) -> Any:
        """The whole graph's degree mixing (:func:`linkpred.person_mixing`), which people are
        ranked by where the closure test fails."""
        from assetmap.graph.analysis.linkpred import person_mixing

        return person_mixing(self.G)

    def nodes(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        nodes = self.G._node
        return {i: dict(nodes[i]) for i in ids if i in nodes}

    def ties(self, ids: Iterable[str], kinds: Iterable[str] | None = None,
             incoming: str | None = None) -> list[TieRow]:
        wanted = set(kinds) if kinds is not None else None
        out: list[TieRow] = []
        G = self.G
        for n in ids:
            if n not in G:
                continue
            sides = ((False, G._pred[n]),) if incoming else (
                (True, G._succ[n]), (False, G._pred[n]))
            for outgoing, adj in sides:
                for other, keyed in adj.items():
                    for key, a in keyed.items():
                        if incoming and key != incoming:
                            continue
                        if wanted is not None and key not in wanted:
                            continue
                        src, dst = (n, other) if outgoing else (other, n)
                        out.append((src, dst, key, dict(a)))
        return out

    def near(self, kinds: Iterable[str], lat: float | None, lon: float | None, km: float,
             consenting: bool = False) -> list[str]:
        from assetmap.governance.privacy import has_consent

        wanted = set(kinds)
        out = []
        for nid, a in self.G._node.items():
            if a.get("kind") not in wanted or (consenting and not has_consent(a, "suggest")):
                continue
            if lat is None or lon is None or a.get("lat") is None or a.get("lon") is None \
                    or within_reach(lat, lon, a["lat"], a["lon"], km):
                out.append(str(nid))
        return out


def neighbourhood_of(G: nx.MultiDiGraph, person_id: str, km: float,
                     place_km: float | None = None) -> nx.MultiDiGraph:
    """:func:`build_neighbourhood` cut out of a whole graph (a fresh graph of copied attrs)."""
    return build_neighbourhood(GraphSource(G), person_id, km, place_km)


def person_neighbourhood(store: Any, person_id: str, km: float, place_km: float | None = None,
                         whole: Callable[[], nx.MultiDiGraph] | None = None) -> nx.MultiDiGraph:
    """The person's neighbourhood from ``store``: its own small reads where it has them
    (``person_neighbourhood``, a server store), else cut from the whole graph (``whole()``,
    default ``store.to_networkx()``)."""
    own = getattr(store, "person_neighbourhood", None)
    if own is not None:
        return own(person_id, km, place_km)
    return neighbourhood_of(whole() if whole is not None else store.to_networkx(), person_id,
                            km, place_km)
