"""Family carers who need back-up: carers with no carers' support, and people with one carer.

A *carer* is a person with the ``carer`` role or a CARES_FOR tie. *Carers' support* is an open
group or organisation they attend, volunteer at or are supported by that serves the
``carer_support`` need, is a carers' centre, or is a Shared Lives scheme. A cared-for person has
*back-up* when a second unpaid carer or a Shared Lives carer is tied to them; one carer and
neither means that when the carer is ill, nobody steps in. Paid support (a PA, an agency) is not
back-up: it works set hours and is not there when the carer is taken ill at night (issue 17).
Ended ties (``until`` today or earlier) count for neither.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pandas as pd

from assetmap import vocab
from assetmap.graph.analysis import circles as _c
from assetmap.model import NEED_BITS, ROLE_BITS

NO_SUPPORT = "carer without carers' support"
NO_BACKUP = "one carer and no back-up"
COLUMNS: list[str] = ["person_id", "name", "area", "gap", "carer_hours", "cares_for",
                      "carer_id", "reasons"]

_SUPPORT_KINDS = frozenset({"carers_centre", "shared_lives_scheme"})


def is_carers_support(attrs: dict[str, Any]) -> bool:
    """Whether a group or organisation supports carers."""
    if attrs.get("kind") not in vocab.ASSET_KINDS or not _c.is_open(attrs):
        return False
    needs = attrs.get("needs") or []
    return "carer_support" in needs or attrs.get("org_kind") in _SUPPORT_KINDS


def _name(G: nx.MultiDiGraph, n: str) -> str:
    return str(G.nodes[n].get("name") or n)


@_c.whole_graph
def carer_support_gaps(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per gap: carers with no tie to carers' support, and cared-for people with a
    single unpaid carer and no back-up. Sorted by gap, then person id."""
    _c.check_graph(G)
    rows = []
    nodes = G._node
    # Only carers and the people they care for can have a gap: find them first (edges are keyed
    # by tie kind), then build just their circles.
    involved = {p for p, a in nodes.items()
                if a.get("kind") == vocab.PERSON and "carer" in (a.get("roles") or [])}
    for u, nbrs in G._succ.items():
        for v, keyed in nbrs.items():
            if "CARES_FOR" in keyed:
                involved.update((u, v))
    for p in sorted(involved):
        attrs = nodes[p]
        if attrs.get("kind") != vocab.PERSON:
            continue
        c = _c.circle(G, p)
        base = {"person_id": p, "name": attrs.get("name", ""), "area": attrs.get("area"),
                "carer_hours": attrs.get("carer_hours")}
        is_carer = bool(c.cares_for) or "carer" in (attrs.get("roles") or [])
        if is_carer:
            supported = any(is_carers_support(nodes[o]) for o in c.groups | c.professional)
            if not supported:
                hours = attrs.get("carer_hours")
                who = ", ".join(sorted(_name(G, o) for o in c.cares_for)) or "someone"
                rows.append({**base, "gap": NO_SUPPORT, "cares_for": len(c.cares_for),
                             "carer_id": None,
                             "reasons": f"cares for {who}"
                                        + (f" ({vocab.label(hours)} hours a week)"
                                           if hours and hours != "none" else "")
                                        + "; no carers' group, carers' centre or Shared Lives"})
        if len(c.carers) == 1 and not c.backup:
            (carer,) = c.carers
            rows.append({**base, "gap": NO_BACKUP, "cares_for": len(c.cares_for),
                         "carer_id": carer,
                         "reasons": f"only {_name(G, carer)} cares for them; no second carer, "
                                    "Shared Lives or paid support to step in"})
    df = pd.DataFrame(rows, columns=COLUMNS)
    if df.empty:
        return df
    return df.sort_values(["gap", "person_id"], kind="stable").reset_index(drop=True)


def carer_gaps_snapshot(snap: Any) -> pd.DataFrame:
    """:func:`carer_support_gaps` over a :class:`~assetmap.graph.analysis.snapshot.Snapshot`
    from the shared tie counts: the same rows and order; ``carer_hours`` and ``reasons``
    left empty (read and worded only where shown)."""
    import numpy as np

    tc = snap.counts
    n = len(snap.ids)
    person = snap.is_person
    roles_carer = (snap.bits["roles"] & ROLE_BITS["carer"]) != 0
    support = snap.is_asset & ~snap.closed & (
        ((snap.bits["needs"] & NEED_BITS["carer_support"]) != 0)
        | np.array([k in _SUPPORT_KINDS for k in snap.text["org_kind"]], dtype=bool))
    n64 = np.int64(n)
    # groups (community ends that are assets) and professional ends, at carers' support
    keys = np.concatenate([tc.comm_keys, tc.prof_keys])
    hit = support[keys % n64]
    supported = np.zeros(n, dtype=bool)
    supported[keys[hit] // n64] = True
    is_carer = person & ((tc.cares_for > 0) | roles_carer)
    no_support = np.flatnonzero(is_carer & ~supported)
    no_backup = np.flatnonzero(person & (tc.carers == 1) & (tc.backup == 0))
    at = np.concatenate([no_support, no_backup]).tolist()
    if not at:
        return pd.DataFrame([], columns=COLUMNS)
    ids = snap.ids
    gaps = [NO_SUPPORT] * len(no_support) + [NO_BACKUP] * len(no_backup)
    df = pd.DataFrame({
        "person_id": [ids[i] for i in at], "name": [snap.name[i] for i in at],
        "area": [snap.area[i] for i in at], "gap": gaps, "carer_hours": [None] * len(at),
        "cares_for": tc.cares_for[at].astype(int).tolist(),
        "carer_id": [None] * len(no_support)
        + [ids[int(c)] for c in tc.the_carer[no_backup].tolist()],
        "reasons": [None] * len(at)}, columns=COLUMNS)
    return df.sort_values(["gap", "person_id"], kind="stable").reset_index(drop=True)
