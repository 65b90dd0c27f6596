"""The coordinator's worklist: each person on a caseload with their level and short reasons,
open referrals and follow-up dates, last contact and a suggested next step — and a label that
tells people apart ("Kim W. · Sale Central · 35–49 · #3f2a").

No Streamlit here: the Worklist page and the tests call :func:`caseload_worklist` and
:func:`person_labels`. The caller passes only the people the user may see.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from assetmap import vocab
from assetmap.errors import NotFoundError
from assetmap.governance import referrals
from assetmap.governance.recording import last_contact
from assetmap.graph.analysis.circles import LEVELS as _LEVELS
from assetmap.graph.store import GraphStore

#: Levels most in need first (the worklist's default order): the analysis's own levels.
LEVEL_ORDER: tuple[str, ...] = tuple(_LEVELS)
#: The best-connected level: no suggestion is pressed on someone there.
BEST_LEVEL = LEVEL_ORDER[-1]
COLUMNS: list[str] = ["person_id", "label", "level", "reasons", "open_referrals", "follow_up",
                      "overdue", "last_contact", "next_step", "priority"]
#: Days without a recorded contact after which the next step is to get in touch.
CONTACT_GAP_DAYS = 28


def _short_ids(ids: Iterable[str]) -> dict[str, str]:
    """A short stable tag per id ("#3f2a"), lengthened until no two ids share one."""
    ids = sorted(set(ids))
    digests = {i: hashlib.sha256(i.encode("utf-8")).hexdigest() for i in ids}
    for width in range(4, 65):
        tags = {i: d[:width] for i, d in digests.items()}
        if len(set(tags.values())) == len(tags):
            return {i: f"#{t}" for i, t in tags.items()}
    return {i: f"#{d}" for i, d in digests.items()}  # pragma: no cover - sha256 collided


def _label(name: Any, ward: str, band: Any, tag: str) -> str:
    """One person's label: name · ward · age band (when known) · short id."""
    bits = [name or "Unnamed", ward]
    if isinstance(band, str) and band:
        bits.append(band.replace("-", "–"))
    bits.append(tag)
    return " · ".join(bits)


def _ward_of(area: Any, place: Callable[[str], tuple[Any, Any, Any] | None]) -> str:
    """The ward name for a label: the area's name, or its parent's when the area is an LSOA;
    ``place(id)`` gives an area's (name, level, parent), or None when it is not known."""
    found = place(area) if isinstance(area, str) and area else None
    if found is None:
        return "area unknown"
    name, level, parent = found
    name = name or "area unknown"
    if level == "lsoa" and isinstance(parent, str):
        up = place(parent)
        if up is not None:
            name = up[0] or name
    return name


def _ward_name(store: GraphStore, area: str | None, cache: dict[str, str]) -> str:
    if not area:
        return "area unknown"
    if area not in cache:
        name = "area unknown"
        try:
            node = store.get(area)
            parent = node.props.get("parent")
            name = node.name
            if node.props.get("level") == "lsoa" and isinstance(parent, str):
                name = store.get(parent).name or name
        except NotFoundError:
            pass
        cache[area] = name
    return cache[area]


def person_labels(store: GraphStore, person_ids: Iterable[str]) -> dict[str, str]:
    """Labels that tell people apart: name · ward · age band · short id."""
    ids = list(dict.fromkeys(person_ids))
    tags = _short_ids(ids)
    wards: dict[str, str] = {}
    out = {}
    for pid in ids:
        try:
            node = store.get(pid)
        except NotFoundError:
            continue
        out[pid] = _label(node.name, _ward_name(store, node.area, wards),
                          node.props.get("age_band"), tags[pid])
    return out


def graph_person_labels(G: nx.MultiDiGraph, person_ids: Iterable[str]) -> dict[str, str]:
    """:func:`person_labels` read from the app's graph instead of the store (no query per
    person: the Person page labels every person at once): name · ward · age band · short id."""
    nodes = G._node
    ids = [p for p in dict.fromkeys(person_ids) if p in nodes]
    tags = _short_ids(ids)
    wards: dict[Any, str] = {}
    out = {}
    for pid in ids:
        attrs = nodes[pid]
        area = attrs.get("area")
        if area not in wards:
            wards[area] = _ward_of(area, lambda a: (nodes[a].get("name"), nodes[a].get("level"),
                                                    nodes[a].get("parent")) if a in nodes
                                   else None)
        out[pid] = _label(attrs.get("name"), wards[area], attrs.get("age_band"), tags[pid])
    return out


def snapshot_person_labels(snap: Any) -> dict[str, str]:
    """:func:`graph_person_labels` for every person, read from an analysis snapshot
    (:class:`~assetmap.graph.analysis.snapshot.Snapshot`) instead of a graph: what the picker
    uses on a server store, where the whole graph is never loaded (issue 16)."""
    index, names, areas = snap.index, snap.name, snap.area
    level, parent, band = snap.text["level"], snap.text["parent"], snap.text["age_band"]
    people = [int(i) for i in snap.is_person.nonzero()[0]]
    tags = _short_ids(snap.ids[i] for i in people)
    wards: dict[Any, str] = {}
    out = {}
    for i in people:
        area = areas[i]
        if area not in wards:
            wards[area] = _ward_of(area, lambda a: (names[index[a]], level[index[a]],
                                                    parent[index[a]]) if a in index else None)
        out[snap.ids[i]] = _label(names[i], wards[area], band[i], tags[snap.ids[i]])
    return out


def picker_labels(G: nx.MultiDiGraph, isolation: pd.DataFrame) -> dict[str, str]:
    """Every person's label in the Person page's picker: :func:`graph_person_labels` and their
    isolation level (``isolation`` is :func:`assetmap.graph.analysis.isolated_people` of
    ``G``), so a coordinator finds the service-only person without opening records."""
    ids = [n for n, attrs in G._node.items() if attrs.get("kind") == vocab.PERSON]
    labels = graph_person_labels(G, ids)
    levels = dict(zip(isolation["person_id"], isolation["level"].astype(str), strict=True))
    return {pid: f"{labels[pid]} · {levels[pid]}" if pid in levels else labels[pid]
            for pid in ids}


def _iso_day(value: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def next_step(level: str, open_refs: pd.DataFrame, contact: str | None,
              suggestion: Mapping[str, Any] | None, today: _dt.date) -> str:
    """One suggested next step: an overdue follow-up first, then a referral to chase, then the
    top suggestion for someone not yet connected, then getting in touch."""
    for r in open_refs.itertuples(index=False):
        due = _iso_day(r.follow_up)
        if due is not None and due <= today:
            return f"Follow up the referral to {r.name} (due {due.isoformat()})"
    if not open_refs.empty:
        r = open_refs.iloc[0]
        when = f" by {r['follow_up']}" if r["follow_up"] else ""
        return f"Ask how the referral to {r['name']} went{when}"
    if level != BEST_LEVEL and suggestion:
        return f"Suggest {suggestion['name']} — {suggestion['reasons']}"
    last = _iso_day(contact)
    if last is None or (today - last).days >= CONTACT_GAP_DAYS:
        return "Get in touch" + ("" if last is None else f" (last contact {last.isoformat()})")
    return "Check in at the next contact"


def caseload_worklist(store: GraphStore, G: nx.MultiDiGraph, isolation: pd.DataFrame,
                      person_ids: Iterable[str], today: _dt.date | None = None,
                      suggest: bool = True) -> pd.DataFrame:
    """One row per person (see :data:`COLUMNS`), those most in need and overdue first.

    ``isolation`` is :func:`assetmap.graph.analysis.isolated_people` on ``G``; the top
    suggestion comes from :func:`assetmap.graph.analysis.suggest_connections` (only for people
    not yet connected, and only when ``suggest``)."""
    from assetmap.graph.analysis import suggest_connections

    today = today or _dt.date.today()
    ids = [p for p in dict.fromkeys(person_ids)]
    labels = person_labels(store, ids)
    levels = isolation.set_index("person_id") if not isolation.empty else None
    rows = []
    for pid in ids:
        if pid not in labels:
            continue
        level, reasons = "unknown", ""
        if levels is not None and pid in levels.index:
            level = str(levels.at[pid, "level"])
            reasons = str(levels.at[pid, "reasons"])
        open_refs = referrals.open_referrals(store, pid)
        follow = [d for d in open_refs["follow_up"] if d]
        due = min(follow) if follow else None
        due_day = _iso_day(due) if due else None
        overdue = bool(due_day and due_day <= today)
        suggestion = None
        if suggest and level not in {BEST_LEVEL, "unknown"} and pid in G:
            top = suggest_connections(G, pid, k=1, kinds=set(vocab.ASSET_KINDS))
            if not top.empty:
                suggestion = top.iloc[0].to_dict()
        contact = last_contact(store, pid)
        refs_text = "; ".join(
            f"{r.name} ({r.status}" + (f", follow up {r.follow_up})" if r.follow_up else ")")
            for r in open_refs.itertuples(index=False))
        rank = LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)
        rows.append({"person_id": pid, "label": labels[pid], "level": level,
                     "reasons": reasons, "open_referrals": refs_text or "none",
                     "follow_up": due or "", "overdue": overdue,
                     "last_contact": contact or "none recorded",
                     "next_step": next_step(level, open_refs, contact, suggestion, today),
                     "priority": (0 if overdue else 1) * 10 + rank})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["priority", "label"], kind="stable").reset_index(drop=True)
