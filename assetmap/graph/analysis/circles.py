"""A person's circle: who they are tied to, split by class, and the isolation level it gives.

Shared by the isolation, suggestion, carer and resilience analyses so that they all count ties the
same way. Works on the graph :meth:`GraphStore.to_networkx` returns (a ``nx.MultiDiGraph`` keyed
by tie kind, symmetric ties stored once and read both ways).

Counting rules (documented once, used everywhere):

- a *community tie* is a community-class tie (FAMILY, FRIEND, NEIGHBOUR, PEER, CARES_FOR,
  ATTENDS, VOLUNTEERS_AT) in either direction; ties to a *closed* group or organisation no longer
  count. Ties are counted per distinct other end, so FRIEND and NEIGHBOUR to one person is one tie;
- a *professional tie* is a professional-class tie the person receives (person -> GP, PA, Shared
  Lives carer...); being someone's paid PA is a job, not a tie of your own;
- *family* are FAMILY ties; *friends* are FRIEND, NEIGHBOUR and PEER ties (LSNS-6 counts
  neighbours among friends);
- *roles* (tie diversity, after Cohen's Social Network Index) are the distinct kinds of community
  relationship a person holds: family, friend, neighbour, peer, carer, cared for, group member,
  volunteer;
- a community tie *runs through* a group when it is the person's ATTENDS / VOLUNTEERS_AT tie to
  that group, or a tie between two people whose ``via`` prop names the group where they met
  (importers record it where known). Only a person's own ties decide their level, so adding a
  tie never makes anyone more isolated and removing one never makes anyone less;
- a tie whose ``until`` day is today or earlier has *ended* (``governance.recording.end_tie``):
  it is kept as history (:mod:`assetmap.graph.analysis.outcomes` reads it for past dates) but
  counts nowhere now, so ending a tie moves a person's level as removing it would.
"""

from __future__ import annotations

import datetime as _dt
import functools
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import networkx as nx

from assetmap import vocab
from assetmap.graph.analysis import scales as _scales
from assetmap.model import tie_ended

#: Isolation levels, worst first. A level's index is its rank (lower is more isolated). Named
#: so that nothing claims "connected" on thin evidence: the cut-offs are the published ones of
#: LSNS-6 and Cohen's SNI (see :func:`level` and :mod:`assetmap.graph.analysis.scales`).
ISOLATED = "isolated"
SERVICE_ONLY = "service-only"
AT_RISK = "at risk"
SOME_SUPPORT = "some support"
WELL_CONNECTED = "well connected"
LEVELS: tuple[str, ...] = (ISOLATED, SERVICE_ONLY, AT_RISK, SOME_SUPPORT, WELL_CONNECTED)
LEVEL_RANK: dict[str, int] = {name: i for i, name in enumerate(LEVELS)}

MEMBERSHIP_TIES: frozenset[str] = frozenset({"ATTENDS", "VOLUNTEERS_AT"})
FAMILY_TIES: frozenset[str] = frozenset({"FAMILY"})
FRIEND_TIES: frozenset[str] = frozenset({"FRIEND", "NEIGHBOUR", "PEER"})
#: Ties that give a carer emergency back-up: a Shared Lives household. Paid support is not
#: back-up (a PA works set hours and may not step in when the carer cannot; issue 17).
BACKUP_TIES: frozenset[str] = frozenset({"SHARED_LIVES"})

_ROLE_OF: dict[tuple[str, bool], str] = {
    ("FAMILY", True): "family", ("FAMILY", False): "family",
    ("FRIEND", True): "friend", ("FRIEND", False): "friend",
    ("NEIGHBOUR", True): "neighbour", ("NEIGHBOUR", False): "neighbour",
    ("PEER", True): "peer", ("PEER", False): "peer",
    ("CARES_FOR", True): "carer", ("CARES_FOR", False): "cared for",
    ("ATTENDS", True): "group member", ("VOLUNTEERS_AT", True): "volunteer",
    ("SHARED_LIVES", True): "shared life",
}

_ROLES_OUT: dict[str, str] = {k: r for (k, out), r in _ROLE_OF.items() if out}
_ROLES_IN: dict[str, str] = {k: r for (k, out), r in _ROLE_OF.items() if not out}


def today_iso() -> str:
    """Today as ISO text: the day against which a tie's ``until`` is read."""
    return _dt.date.today().isoformat()


def is_open(attrs: dict[str, Any]) -> bool:
    """Whether a node is not a closed group or organisation."""
    return attrs.get("status") != "closed"


def is_hub(attrs: dict[str, Any]) -> bool:
    """A route into the system of support: any practitioner, or an open hub organisation."""
    kind = attrs.get("kind")
    if kind == vocab.PRACTITIONER:
        return True
    return (kind == vocab.ORGANISATION and attrs.get("org_kind") in vocab.HUB_KINDS
            and is_open(attrs))


def first_name(G: nx.MultiDiGraph, person_id: str) -> str:
    """How a coordinator would say who this is in a sentence ("Ann"), or "they"."""
    name = str(G.nodes[person_id].get("name") or "").strip()
    return name.split()[0] if name else "they"


@dataclass(slots=True)
class Circle:
    """Everyone and everything one person is tied to, by class."""

    community: set[str] = field(default_factory=set)
    professional: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    family: set[str] = field(default_factory=set)
    friends: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    cares_for: set[str] = field(default_factory=set)
    carers: set[str] = field(default_factory=set)
    backup: set[str] = field(default_factory=set)
    #: other end -> the groups each community tie "runs through" (itself if it is a group;
    #: for a tie between people, the group named in the tie's ``via`` prop, if any).
    through: dict[str, set[str | None]] = field(default_factory=dict)
    linked: set[str] = field(default_factory=set)
    #: relatives / friends in touch at least monthly (or how often unrecorded): LSNS-6
    lsns_family: set[str] = field(default_factory=set)
    lsns_friends: set[str] = field(default_factory=set)
    #: other end -> Cohen's SNI roles it gives, in touch at least every two weeks
    sni: dict[str, set[str]] = field(default_factory=dict)


def _ends(G: nx.MultiDiGraph, n: str) -> Iterable[tuple[str, str, dict[str, Any], bool]]:
    """(other end, tie kind, tie attrs, outgoing?) for every tie touching ``n``."""
    # _succ/_pred are networkx's adjacency dicts; reading them directly avoids building a view
    # per node, which matters when this runs for 100k people.
    for other, keyed in G._succ[n].items():
        for key, attrs in keyed.items():
            yield other, attrs.get("kind", key), attrs, True
    for other, keyed in G._pred[n].items():
        for key, attrs in keyed.items():
            yield other, attrs.get("kind", key), attrs, False


def circle(G: nx.MultiDiGraph, person_id: str, today: _dt.date | str | None = None) -> Circle:
    """The circle of one person, counted by the rules in this module's docstring (ties that
    had ended by ``today``, default the real today, left out)."""
    # A tight loop over networkx's adjacency dicts (_succ/_pred): this runs for every person in
    # whole-area analyses, so it avoids views, generators and repeated attribute lookups.
    c = Circle()
    nodes = G._node
    classes = vocab.TIE_KINDS
    person, assets_ = vocab.PERSON, vocab.ASSET_KINDS
    community, professional = vocab.COMMUNITY, vocab.PROFESSIONAL
    shared_life = vocab.SHARED_LIFE
    shared_counts = shared_lives_count()
    linked, through = c.linked, c.through
    role_out, role_in = _ROLES_OUT, _ROLES_IN
    today = today_iso() if today is None else (
        today.isoformat() if isinstance(today, _dt.date) else today)
    for out, adj in ((True, G._succ[person_id]), (False, G._pred[person_id])):
        for other, keyed in adj.items():
            if other == person_id:
                continue
            o = nodes[other]
            okind = o.get("kind")
            for key, attrs in keyed.items():
                if "until" in attrs and tie_ended(attrs, today):
                    continue  # an ended tie is history, not part of the circle now
                linked.add(other)
                # edges are keyed by tie kind (to_networkx); fall back to the attribute
                kind = key if key in classes else attrs.get("kind")
                cls = classes.get(kind)
                if cls == community:
                    if okind in assets_:
                        if kind not in MEMBERSHIP_TIES or o.get("status") == "closed":
                            continue
                        c.groups.add(other)
                        through[other] = {other}
                    elif okind == person:
                        c.people.add(other)
                        via = attrs.get("via")
                        through.setdefault(other, set()).add(via if via in nodes else None)
                        if kind in FAMILY_TIES:
                            c.family.add(other)
                        elif kind in FRIEND_TIES:
                            c.friends.add(other)
                        elif kind == "CARES_FOR":
                            (c.cares_for if out else c.carers).add(other)
                    else:
                        continue
                    c.community.add(other)
                    role = (role_out if out else role_in).get(kind)
                    if role:
                        c.roles.add(role)
                    _count_for_scales(c, other, kind, out, attrs, o)
                elif cls == shared_life and out and shared_counts and okind == person:
                    # a Shared Lives household: a community tie of its own class (no group)
                    c.people.add(other)
                    c.community.add(other)
                    through.setdefault(other, set()).add(None)
                    c.roles.add(role_out[kind])
                    c.backup.add(other)
                    _count_for_scales(c, other, kind, out, attrs, o)
                elif cls in (professional, shared_life) and out:
                    if okind in assets_ and o.get("status") == "closed":
                        continue
                    c.professional.add(other)
                    if kind in BACKUP_TIES:
                        c.backup.add(other)
    return c


def shared_lives_count() -> bool:
    """Whether Shared Lives ties count with community ties (the
    ``ASSETMAP_SHARED_LIVES_COUNTS_AS_COMMUNITY`` setting, on by default)."""
    from assetmap import settings as _settings

    return _settings.load().shared_lives_counts_as_community


def _count_for_scales(c: Circle, other: str, kind: str, out: bool, attrs: dict[str, Any],
                      o: dict[str, Any]) -> None:
    """Record one community tie for the LSNS-6 and SNI estimates (by its role and frequency)."""
    t = _scales.ScaleTie(kind, other, out, attrs.get("role"), attrs.get("frequency"),
                         o.get("kind") in vocab.ASSET_KINDS and _scales.is_religious(o))
    days = t.days
    side = _scales.lsns_side(kind, t.role)
    if side and (days is None or days <= _scales.LSNS_CONTACT_DAYS):
        (c.lsns_family if side == "family" else c.lsns_friends).add(other)
    sni = _scales.sni_role(t)
    if sni and (days is None or days <= _scales.SNI_CONTACT_DAYS):
        c.sni.setdefault(other, set()).add(sni)


def scale_estimates(c: Circle, without: str | None = None
                    ) -> tuple[_scales.LSNS6, _scales.SNI]:
    """The circle's estimated LSNS-6 and SNI (optionally as if ``without`` had gone)."""
    fam = c.lsns_family - {without}
    fri = c.lsns_friends - fam - {without}
    roles: set[str] = set()
    for other, r in c.sni.items():
        if other != without:
            roles |= r
    people = sum(1 for o in c.sni if o != without and o in c.people)
    return _scales.lsns6_from_counts(len(fam), len(fri)), _scales.SNI(frozenset(roles), people)


def through_one_group(c: Circle, without: str | None = None) -> str | None:
    """The one group every community tie runs through, or None (ignoring ``without``)."""
    groups: set[str | None] = set()
    for other, via in c.through.items():
        if other == without:
            continue
        groups |= via
        if len(groups) > 1 or None in groups:
            return None
    return next(iter(groups)) if len(groups) == 1 else None


def level(c: Circle, without: str | None = None) -> str:
    """The isolation level of a circle, optionally as if ``without`` had closed.

    *isolated*: no community tie and no professional tie; *service-only*: professional ties but
    no community tie ("a life, not a service"); *at risk*: exactly one community tie, or every
    community tie runs through one group, or an estimated LSNS-6 below 12 (Lubben 2006: at
    risk of isolation); *some support*: LSNS-6 12 or more but low network diversity (Cohen's
    SNI 1–3 roles, contact at least every two weeks); *well connected*: LSNS-6 12 or more and
    SNI 4 or more roles. The scales' estimates are in :mod:`assetmap.graph.analysis.scales`.
    """
    community = len(c.community) - (without in c.community)
    if community == 0:
        professional = len(c.professional) - (without in c.professional)
        return SERVICE_ONLY if professional else ISOLATED
    if community == 1 or through_one_group(c, without) is not None:
        return AT_RISK
    lsns, sni = scale_estimates(c, without)
    return _scales.level_name(community, 0, False, lsns.total, sni.diversity)


def people(G: nx.MultiDiGraph) -> list[str]:
    """Ids of every Person node, sorted."""
    return sorted(n for n, d in G._node.items() if d.get("kind") == vocab.PERSON)


def assets(G: nx.MultiDiGraph) -> list[str]:
    """Ids of every Group and Organisation node, sorted."""
    return sorted(n for n, d in G._node.items() if d.get("kind") in vocab.ASSET_KINDS)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a whole-graph pass builds many small containers.

    The passes here make no reference cycles, but each full collection would walk every dict
    of a 100k-person graph; pausing it makes the passes about three times faster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def whole_graph(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Decorate a whole-graph analysis: run it with the cycle collector paused."""
    @functools.wraps(fn)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with gc_paused():
            return fn(*args, **kwargs)
    return run


def check_graph(G: Any) -> None:
    """Raise TypeError unless ``G`` is a directed multigraph as ``to_networkx`` returns."""
    if not isinstance(G, nx.MultiDiGraph):
        raise TypeError("analysis works on the nx.MultiDiGraph that store.to_networkx() returns")
