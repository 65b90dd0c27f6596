"""What a family carer has in place: training, equipment, an emergency back-up plan, respite.

The seeds on carers ask for training, equipment, medical know-how and emergency back-up, and
breaks. A carer's record says what they have in its ``carer_supports`` prop (words from
``vocab.CARER_SUPPORTS``); the graph adds what its ties show:

- **emergency back-up** is in place with a recorded ``emergency_plan``, or when everyone they
  care for has another unpaid carer or a Shared Lives carer. **Paid support is not emergency
  back-up**: an agency or a PA works set hours and is not there when the carer is taken ill at
  night (so PAID_SUPPORT never counts here, unlike a second carer);
- **training**, **equipment** and **respite** count only when recorded.

:func:`carer_readiness` gives one row per carer and missing item; :func:`carer_readiness_by_area`
the published counts per area (small numbers protected by :mod:`assetmap.governance.privacy`).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.graph.analysis import circles as _c

COLUMNS: list[str] = ["person_id", "name", "area", "missing", "cares_for", "reasons"]

_WORDS = {"training": "no carer training recorded",
          "equipment": "no equipment or adaptations recorded",
          "emergency_plan": "no emergency back-up: no plan recorded and nobody else unpaid "
                            "(paid support does not count)",
          "respite": "no respite or regular break recorded"}


def _recorded(attrs: dict) -> set[str]:
    return set(vocab.carer_supports_in(attrs.get("carer_supports")))


def _has_unpaid_backup(G: nx.MultiDiGraph, carer: str, cared: set[str]) -> bool:
    """Whether everyone ``carer`` cares for has another unpaid carer or a Shared Lives carer."""
    if not cared:
        return False
    for p in cared:
        c = _c.circle(G, p)
        others = c.carers - {carer}
        shared = any(a.get("kind", k) == "SHARED_LIVES"
                     for keyed in G._succ[p].values() for k, a in keyed.items())
        if not others and not shared:
            return False
    return True


@_c.whole_graph
def carer_readiness(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per carer and missing item (``missing`` is a ``vocab.CARER_SUPPORTS`` word),
    sorted by person id then item. A carer is a person with the ``carer`` role or a CARES_FOR
    tie to someone."""
    _c.check_graph(G)
    nodes = G._node
    carers = {p for p, a in nodes.items()
              if a.get("kind") == vocab.PERSON and "carer" in (a.get("roles") or [])}
    for u, nbrs in G._succ.items():
        if any("CARES_FOR" in keyed for keyed in nbrs.values()):
            carers.add(u)
    rows = []
    for p in sorted(carers):
        attrs = nodes[p]
        if attrs.get("kind") != vocab.PERSON:
            continue
        have = _recorded(attrs)
        cared = _c.circle(G, p).cares_for
        if "emergency_plan" not in have and _has_unpaid_backup(G, p, cared):
            have.add("emergency_plan")
        for item in vocab.CARER_SUPPORTS:
            if item not in have:
                rows.append({"person_id": p, "name": attrs.get("name", ""),
                             "area": attrs.get("area"), "missing": item,
                             "cares_for": len(cared), "reasons": _WORDS[item]})
    return pd.DataFrame(rows, columns=COLUMNS)


def carer_readiness_snapshot(snap: Any) -> pd.DataFrame:
    """:func:`carer_readiness` over a :class:`~assetmap.graph.analysis.snapshot.Snapshot` (the
    recorded supports are a column there; CARES_FOR and SHARED_LIVES ties are arrays): the same
    rows in the same order."""
    from assetmap.graph.analysis.snapshot import TIE_CODES
    from assetmap.model import ROLE_BITS

    code = {k: i for i, k in enumerate(TIE_CODES)}
    person = snap.is_person
    src, dst, tk = snap.src, snap.dst, snap.tie_kind
    is_cf = tk == code["CARES_FOR"]
    carer = (snap.bits["roles"] & ROLE_BITS["carer"]) != 0
    carer[src[is_cf]] = True
    carer &= person
    # current CARES_FOR ties between two different people (what circles.circle counts)
    live = is_cf & snap.current() & person[src] & person[dst] & (src != dst)
    cares_for: dict[int, set[int]] = {}
    carers_of: dict[int, set[int]] = {}
    for s, d in zip(src[live].tolist(), dst[live].tolist(), strict=True):
        cares_for.setdefault(s, set()).add(d)
        carers_of.setdefault(d, set()).add(s)
    shared = set(src[tk == code["SHARED_LIVES"]].tolist())
    supports = snap.text["carer_supports"]
    items = list(vocab.CARER_SUPPORTS)
    who = np.flatnonzero(carer).tolist()
    # carer × item: what is missing (one carer's row of items in vocabulary order)
    missing = np.ones((len(who), len(items)), dtype=bool)
    n_cared = np.zeros(len(who), dtype=np.int64)
    plan = items.index("emergency_plan") if "emergency_plan" in items else -1
    for j, p in enumerate(who):
        text = supports[p]
        if text:
            have = text.split(",")
            for k, item in enumerate(items):
                if item in have:
                    missing[j, k] = False
        cared = cares_for.get(p)
        if cared:
            n_cared[j] = len(cared)
            if plan >= 0 and missing[j, plan] and all(
                    (carers_of.get(q, set()) - {p}) or q in shared for q in cared):
                missing[j, plan] = False
    row, col = np.nonzero(missing)  # carer by carer, items in order: the plain path's order
    at = np.asarray(who, dtype=np.int64)[row].tolist()
    ids, names, areas = snap.ids, snap.name, snap.area
    words = [_WORDS[item] for item in items]
    return pd.DataFrame({"person_id": [ids[i] for i in at], "name": [names[i] for i in at],
                         "area": [areas[i] for i in at],
                         "missing": [items[k] for k in col.tolist()],
                         "cares_for": n_cared[row].tolist(),
                         "reasons": [words[k] for k in col.tolist()]}, columns=COLUMNS)


def carer_readiness_by_area(G: Any, level: str = "ward",
                            conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Published counts per area of carers missing each item (columns ``vocab.CARER_SUPPORTS``)
    from a graph or a snapshot (``assetmap analyse``); no person appears, and small counts are
    protected like every other area count."""
    from assetmap.governance import privacy
    from assetmap.graph.analysis.snapshot import Snapshot
    from assetmap.reports import counts_by_area

    conf = conf or _settings.load()
    rows = carer_readiness_snapshot(G) if isinstance(G, Snapshot) else carer_readiness(G)
    table = counts_by_area(rows, G, level, "missing", list(vocab.CARER_SUPPORTS))
    for column in vocab.CARER_SUPPORTS:
        table[column] = privacy.suppress_counts(table[column], conf)
    return table
