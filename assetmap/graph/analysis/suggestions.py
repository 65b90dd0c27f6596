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
(:func:`assetmap.governance.privacy.has_consent`). Only people within two steps are considered
(friends of
friends and people at the same groups), which keeps one person's suggestions local and fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import haversine_m
from assetmap.governance.privacy import has_consent
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis import linkpred

#: The blend of match, proximity and social for groups and organisations, and for people; kept
#: (with the social score's own weights) in :mod:`assetmap.graph.analysis.linkpred`, where the
#: evaluation harness writes them.
WEIGHTS: dict[str, float] = linkpred.BLEND["group"]
PERSON_WEIGHTS: dict[str, float] = linkpred.BLEND["person"]
COLUMNS: list[str] = [
    "candidate_id", "name", "kind", "score", "match", "proximity", "social", "distance_km",
    "matched", "known_there", "reasons",
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
            likes |= vocab.interests_in(goal)
            needs |= vocab.needs_in(goal)
    return {f"interest:{w}" for w in likes} | {f"need:{w}" for w in needs}


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


def _attendees(G: nx.MultiDiGraph, asset: str) -> int:
    today = _c.today_iso()
    return sum(1 for o, keyed in G._pred[asset].items()
               if G._node[o].get("kind") == vocab.PERSON
               and any(a.get("kind", k) == "ATTENDS" and not _c.tie_ended(a, today)
                       for k, a in keyed.items()))


def _words(tags: Iterable[str]) -> list[str]:
    return sorted(vocab.label(t.split(":", 1)[1]) for t in tags)


def suggest_connections(G: nx.MultiDiGraph, person_id: str, k: int = 10,
                        max_km: float | None = None, *, kinds: Iterable[str] | None = None,
                        max_cost: str | None = None, access_needs: Iterable[str] | None = None,
                        weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The ``k`` best new connections for one person, best first, each with its reasons.

    ``max_km`` defaults to the ``max_travel_km`` setting; ``kinds`` limits the candidates to
    some node kinds (Group, Organisation, Person); ``max_cost`` and ``access_needs`` default to
    the person's own ``max_cost`` and ``access_needs`` props. The score is documented at the top
    of this module.
    """
    _c.check_graph(G)
    if person_id not in G or G.nodes[person_id].get("kind") != vocab.PERSON:
        raise KeyError(f"no person with id {person_id!r} in this graph")
    max_km = _settings.load().max_travel_km if max_km is None else float(max_km)
    w = {**WEIGHTS, **(weights or {})}
    wp = {**PERSON_WEIGHTS, **(weights or {})}
    allowed = set(kinds) if kinds is not None else {vocab.GROUP, vocab.ORGANISATION,
                                                     vocab.PERSON}
    me = G._node[person_id]
    c = _c.circle(G, person_id)
    my_wants = wants(me)
    max_cost = max_cost if max_cost is not None else me.get("max_cost")
    needs_access = set(access_needs if access_needs is not None else me.get("access_needs")
                       or [])
    aa, common, via = linkpred.social(G, person_id)
    who = _c.first_name(G, person_id)

    rows: list[dict[str, Any]] = []

    def add(cid: str, attrs: Mapping[str, Any], matched: set[str], km: float | None) -> None:
        match = len(matched) / len(my_wants) if my_wants else 0.0
        social_raw = aa.get(cid, 0.0)
        if match == 0 and social_raw == 0:
            return
        prox = 0.0 if km is None else max(0.0, 1.0 - km / max_km) if max_km > 0 else 0.0
        social = social_raw  # already 0..1: linkpred's heuristic score
        b = wp if attrs.get("kind") == vocab.PERSON else w
        score = b["match"] * match + b["proximity"] * prox + b["social"] * social
        n_common = common.get(cid, 0)
        is_person = attrs.get("kind") == vocab.PERSON
        reasons = []
        likes = _words(t for t in matched if t.startswith("interest:"))
        needs = _words(t for t in matched if t.startswith("need:"))
        if likes:
            reasons.append(("also into " if is_person else "matches ") + ", ".join(likes))
        if needs:
            reasons.append(("shares a need: " if is_person else "helps with ")
                           + ", ".join(needs))
        if km is None:
            reasons.append("distance unknown")
        elif is_person:
            reasons.append(f"about {max(0.5, round(km * 2) / 2):.1f} km away")
        else:
            reasons.append(f"{km:.1f} km")
        if n_common:
            if is_person:
                what = "person or group" if n_common == 1 else "people or groups"
                reasons.append(f"{n_common} {what} in common with {who}")
            else:
                reasons.append(f"{n_common} {'person' if n_common == 1 else 'people'} {who} "
                               f"knows {'goes' if n_common == 1 else 'go'}")
        elif cid in via:  # co-membership: linked three steps away (linkpred's comember)
            step = G._node[via[cid]]
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
            "matched": _words(matched), "known_there": n_common, "reasons": "; ".join(reasons),
        })

    asset_kinds = allowed & vocab.ASSET_KINDS
    if asset_kinds:
        for aid, attrs in G._node.items():
            if attrs.get("kind") not in asset_kinds or aid in c.linked or aid == person_id:
                continue
            if not _c.is_open(attrs):
                continue
            km = _km(me, attrs)
            if km is not None and km > max_km:
                continue
            matched = my_wants & offers(attrs)
            if not matched and aid not in aa:
                continue
            if not _cost_ok(max_cost, attrs) or not _age_ok(me, attrs):
                continue
            if needs_access and not needs_access <= set(attrs.get("access") or []):
                continue
            cap = attrs.get("capacity")
            if isinstance(cap, int | float) and _attendees(G, aid) >= cap:
                continue
            add(aid, attrs, matched, km)
    if vocab.PERSON in allowed:
        for pid in aa:
            attrs = G._node[pid]
            if attrs.get("kind") != vocab.PERSON or pid in c.linked or pid == person_id:
                continue
            if not has_consent(attrs, "suggest"):
                continue
            km = _km(me, attrs)
            if km is not None and km > max_km:
                continue
            add(str(pid), attrs, my_wants & wants(attrs), km)  # ids are text

    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    df["_d"] = df["distance_km"].fillna(float("inf"))
    df = df.sort_values(["score", "_d", "candidate_id"], ascending=[False, True, True],
                        kind="stable")
    return df.drop(columns="_d").head(k).reset_index(drop=True)
