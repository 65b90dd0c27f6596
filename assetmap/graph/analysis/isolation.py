"""Who is isolated: every person's community and professional ties and a structural level.

"A life, not a service": someone seen by a GP, a social worker and a PA every week but with no
family, friend, neighbour or group in their life is *service-only*, not connected. Counting rules
and levels are in :mod:`assetmap.graph.analysis.circles`. Self-reported scores (UCLA-3, LSNS-6,
ONS4 and
the ONS direct loneliness question) are shown beside the structural level and never change it.
"""

from __future__ import annotations

import functools
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from assetmap import vocab
from assetmap.graph.analysis import circles as _c
from assetmap.graph.analysis import scales as _scales

#: Self-reported measures shown beside the structural level (person props of these names).
SELF_REPORTED: tuple[str, ...] = ("ucla3", "lsns6", "ons4", "lonely")

COLUMNS: list[str] = [
    "person_id", "name", "area", "level", "community_ties", "professional_ties",
    "groups_attended", "tie_diversity", "family", "friends", "lsns6_estimate", "sni_roles",
    *SELF_REPORTED, "reasons",
]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _name(G: nx.MultiDiGraph, n: str) -> str:
    return str(G._node[n].get("name") or n)


def explain(G: nx.MultiDiGraph, lvl: str, community: int, professional: int, groups: int,
            roles: int, only: str | None = None, through: str | None = None,
            lsns: int | None = None, sni: int | None = None) -> str:
    """Why a person gets their level, in a coordinator's words (``only``: the one community
    tie, if there is one; ``through``: the group every tie runs through, if there is one;
    ``lsns``/``sni``: the estimated LSNS-6 total and SNI roles)."""
    if lvl == _c.ISOLATED:
        return "no community ties and no services"
    if lvl == _c.SERVICE_ONLY:
        return (f"{_plural(professional, 'professional tie')} but no family, friends, "
                "neighbours or groups")
    if lvl == _c.AT_RISK:
        if community == 1 and only is not None:
            return f"only one community tie ({_name(G, only)})"
        if through is not None or lsns is None:
            return f"every community tie runs through one group ({_name(G, through or '?')})"
        return (f"estimated LSNS-6 {lsns} (below 12: at risk of isolation): few relatives or "
                "friends in touch at least monthly")
    parts = [_plural(community, "community tie")]
    if groups:
        parts.append(_plural(groups, "group"))
    parts.append(_plural(roles, "kind of relationship", "kinds of relationship"))
    if lsns is not None:
        parts.append(f"estimated LSNS-6 {lsns}")
    if sni is not None:
        parts.append(f"{_plural(sni, 'SNI role')} in touch every two weeks"
                     + (" (low diversity)" if lvl == _c.SOME_SUPPORT else ""))
    return "; ".join(parts)


def _frame(cols: dict[str, list]) -> pd.DataFrame:
    df = pd.DataFrame(cols, columns=COLUMNS)
    if df.empty:
        return df
    df["level"] = pd.Categorical(df["level"], categories=list(_c.LEVELS), ordered=True)
    return df.sort_values(["level", "person_id"], kind="stable").reset_index(drop=True)


def _self_reported(cols: dict[str, list], attrs: dict) -> None:
    for score in SELF_REPORTED:
        cols[score].append(attrs.get(score))


def isolated_people_plain(G: nx.MultiDiGraph) -> pd.DataFrame:
    """:func:`isolated_people` computed person by person from :func:`circles.circle`: the
    reference the fast path is tested against (same rows, same order)."""
    _c.check_graph(G)
    cols: dict[str, list] = {name: [] for name in COLUMNS}
    for p, attrs in G._node.items():
        if attrs.get("kind") != vocab.PERSON:
            continue
        c = _c.circle(G, p)
        lvl = _c.level(c)
        for col, value in (("person_id", p), ("name", attrs.get("name", "")),
                           ("area", attrs.get("area")), ("level", lvl),
                           ("community_ties", len(c.community)),
                           ("professional_ties", len(c.professional)),
                           ("groups_attended", len(c.groups)), ("tie_diversity", len(c.roles)),
                           ("family", len(c.family)), ("friends", len(c.friends))):
            cols[col].append(value)
        lsns, sni = _c.scale_estimates(c)
        cols["lsns6_estimate"].append(lsns.total)
        cols["sni_roles"].append(sni.diversity)
        _self_reported(cols, attrs)
        only = next(iter(c.community)) if len(c.community) == 1 else None
        cols["reasons"].append(explain(G, lvl, len(c.community), len(c.professional),
                                       len(c.groups), len(c.roles), only,
                                       _c.through_one_group(c), lsns.total, sni.diversity))
    return _frame(cols)


#: Small integer codes for community roles (tie diversity) in the fast path.
_ROLE_CODE: dict[str, int] = {r: i for i, r in enumerate(sorted(set(_c._ROLE_OF.values())))}
_PERSON_TIES = frozenset(k for k, cls in vocab.TIE_KINDS.items()
                         if cls == vocab.COMMUNITY and k not in _c.MEMBERSHIP_TIES)


def _distinct_pairs(a: np.ndarray, b: np.ndarray, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (a, b) pairs, sorted by a then b."""
    if len(a) == 0:
        return a, b
    keys = np.sort(a.astype(np.int64) * n_b + b)  # sort-based: faster here than np.unique
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    keys = keys[keep]
    return keys // n_b, keys % n_b


_SNI_CODE: dict[str, int] = {r: i for i, r in enumerate(_scales.SNI_ROLES)}


def _scale_codes(kind: str, out: bool, attrs: dict, other: dict) -> tuple[int, int]:
    """(LSNS-6 side code, SNI role code) of one community tie read from one end, as
    :func:`circles._count_for_scales` counts it (0 / -1 where it does not count)."""
    role, freq = attrs.get("role"), attrs.get("frequency")
    religious = other.get("kind") in vocab.ASSET_KINDS and _scales.is_religious(other)
    if (role is None or isinstance(role, str)) and (
            freq is None or isinstance(freq, str | int | float)):
        return _scale_codes_of(kind, out, role, freq, religious)
    return _scale_codes_of.__wrapped__(kind, out, role, freq, religious)


@functools.lru_cache(maxsize=8192)
def _scale_codes_of(kind: str, out: bool, role: Any, freq: Any, religious: bool
                    ) -> tuple[int, int]:
    t = _scales.ScaleTie(kind, "", out, role, freq, religious)
    days = t.days
    side = _scales.lsns_side(kind, t.role)
    s = (1 if side == "family" else 2) if side and (
        days is None or days <= _scales.LSNS_CONTACT_DAYS) else 0
    role = _scales.sni_role(t)
    r = _SNI_CODE[role] if role and (days is None or days <= _scales.SNI_CONTACT_DAYS) else -1
    return s, r


@_c.whole_graph
def isolated_people(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per person: tie counts, tie diversity, LSNS-6 family/friend split and a level.

    Levels (worst first): isolated, service-only, at risk, some support, well connected; see
    :func:`assetmap.graph.analysis.circles.level`. Rows are sorted worst level first, then by
    id. One pass over the ties into integer arrays, then numpy; identical to
    :func:`isolated_people_plain`, which counts person by person.
    """
    _c.check_graph(G)
    nodes = G._node
    ids = list(nodes)
    index = {n: i for i, n in enumerate(ids)}
    n = len(ids)
    kinds = [a.get("kind") for a in nodes.values()]
    is_person = np.array([k == vocab.PERSON for k in kinds], dtype=bool)
    closed_asset = [k in vocab.ASSET_KINDS and a.get("status") == "closed"
                    for k, a in zip(kinds, nodes.values(), strict=True)]
    open_asset = [k in vocab.ASSET_KINDS and not c for k, c in zip(kinds, closed_asset,
                                                                     strict=True)]
    classes = vocab.TIE_KINDS
    role_out, role_in, roles = _c._ROLES_OUT, _c._ROLES_IN, _ROLE_CODE
    family, friends = _c.FAMILY_TIES, _c.FRIEND_TIES
    # community entries: (person, other, role code, route, family?, friend?, membership?)
    c_p: list[int] = []
    c_o: list[int] = []
    c_role: list[int] = []
    c_route: list[int] = []
    c_tag: list[int] = []  # 0 other, 1 family, 2 friend, 3 membership
    c_side: list[int] = []  # LSNS-6 (contact at least monthly): 0 none, 1 family, 2 friends
    c_sni: list[int] = []  # Cohen's SNI role (contact at least every two weeks), or -1
    pr_p: list[int] = []
    pr_o: list[int] = []
    shared_counts = _c.shared_lives_count()
    today, ended = _c.today_iso(), _c.tie_ended
    for u, nbrs in G._succ.items():
        iu = index[u]
        u_person = is_person[iu]
        for v, keyed in nbrs.items():
            if v == u:
                continue
            iv = index[v]
            for key, attrs in keyed.items():
                if "until" in attrs and ended(attrs, today):
                    continue  # ended: history, not a current tie (circles.circle)
                kind = key if key in classes else attrs.get("kind")
                cls = classes.get(kind)
                if cls == vocab.COMMUNITY:
                    if kind in _PERSON_TIES:
                        if not (u_person and is_person[iv]):
                            continue
                        via = attrs.get("via")
                        route = index.get(via, -1) if via is not None else -1
                        tag = 1 if kind in family else 2 if kind in friends else 0
                        c_p += (iu, iv)
                        c_o += (iv, iu)
                        c_role += (roles[role_out[kind]], roles[role_in[kind]])
                        c_route += (route, route)
                        c_tag += (tag, tag)
                        for out, other in ((True, nodes[v]), (False, nodes[u])):
                            side, sni = _scale_codes(kind, out, attrs, other)
                            c_side.append(side)
                            c_sni.append(sni)
                    elif kind in _c.MEMBERSHIP_TIES and u_person and open_asset[iv]:
                        c_p.append(iu)
                        c_o.append(iv)
                        c_role.append(roles[role_out[kind]])
                        c_route.append(iv)
                        c_tag.append(3)
                        side, sni = _scale_codes(kind, True, attrs, nodes[v])
                        c_side.append(side)
                        c_sni.append(sni)
                elif (cls == vocab.SHARED_LIFE and shared_counts and u_person
                      and is_person[iv]):  # a Shared Lives household (circles.circle)
                    c_p.append(iu)
                    c_o.append(iv)
                    c_role.append(roles[role_out[kind]])
                    c_route.append(-1)
                    c_tag.append(0)
                    side, sni = _scale_codes(kind, True, attrs, nodes[v])
                    c_side.append(side)
                    c_sni.append(sni)
                elif (cls in (vocab.PROFESSIONAL, vocab.SHARED_LIFE) and u_person
                      and not closed_asset[iv]):
                    pr_p.append(iu)
                    pr_o.append(iv)
    cp, co = np.array(c_p, dtype=np.int64), np.array(c_o, dtype=np.int64)
    crole, croute = np.array(c_role, dtype=np.int64), np.array(c_route, dtype=np.int64)
    ctag = np.array(c_tag, dtype=np.int8)

    def count(a: np.ndarray, b: np.ndarray, n_b: int) -> np.ndarray:
        pa, _pb = _distinct_pairs(a, b, n_b)
        return np.bincount(pa, minlength=n)

    up, uo = _distinct_pairs(cp, co, n)
    community = np.bincount(up, minlength=n)
    professional = count(np.array(pr_p, dtype=np.int64), np.array(pr_o, dtype=np.int64), n)
    fam = count(cp[ctag == 1], co[ctag == 1], n)
    fri = count(cp[ctag == 2], co[ctag == 2], n)
    grp = count(cp[ctag == 3], co[ctag == 3], n)
    n_roles = count(cp, crole, len(roles))
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -2, dtype=np.int64)
    np.minimum.at(lo, cp, croute)
    np.maximum.at(hi, cp, croute)
    through = (community > 0) & (lo == hi) & (lo >= 0)
    first = np.searchsorted(up, np.arange(n))  # where each person's distinct others start

    cside, csni = np.array(c_side, dtype=np.int8), np.array(c_sni, dtype=np.int64)
    lsns_fam = count(cp[cside == 1], co[cside == 1], n)
    fam_keys = cp[cside == 1] * n + co[cside == 1]
    fri_sel = (cside == 2) & ~np.isin(cp * n + co, fam_keys)
    lsns_fri = count(cp[fri_sel], co[fri_sel], n)
    lsns = 3 * _scales.lsns_items(lsns_fam) + 3 * _scales.lsns_items(lsns_fri)
    sni_roles = count(cp[csni >= 0], csni[csni >= 0], len(_scales.SNI_ROLES))
    level = _scales.level_codes(community, professional, through, lsns, sni_roles)
    pidx = np.flatnonzero(is_person)
    people_attrs = [nodes[ids[i]] for i in pidx.tolist()]
    levels = [_c.LEVELS[x] for x in level[pidx].tolist()]
    k_comm = community[pidx].tolist()
    k_prof = professional[pidx].tolist()
    k_grp = grp[pidx].tolist()
    k_roles = n_roles[pidx].tolist()
    cols: dict[str, list] = {
        "person_id": [ids[i] for i in pidx.tolist()],
        "name": [a.get("name", "") for a in people_attrs],
        "area": [a.get("area") for a in people_attrs],
        "level": levels,
        "community_ties": k_comm,
        "professional_ties": k_prof,
        "groups_attended": k_grp,
        "tie_diversity": k_roles,
        "family": fam[pidx].tolist(),
        "friends": fri[pidx].tolist(),
        "lsns6_estimate": lsns[pidx].tolist(),
        "sni_roles": sni_roles[pidx].tolist(),
    }
    for score in SELF_REPORTED:
        cols[score] = [a.get(score) for a in people_attrs]
    reasons = []
    for j, i in enumerate(pidx.tolist()):
        k = k_comm[j]
        only = ids[int(uo[first[i]])] if k == 1 else None
        via = ids[int(lo[i])] if through[i] else None
        reasons.append(explain(G, levels[j], k, k_prof[j], k_grp[j], k_roles[j], only, via,
                               cols["lsns6_estimate"][j], cols["sni_roles"][j]))
    cols["reasons"] = reasons
    return _frame(cols)


def isolation_levels(snap: Any) -> pd.DataFrame:
    """Every person's ``person_id``, ``area`` and ``level`` from a
    :class:`~assetmap.graph.analysis.snapshot.Snapshot` (the tie counts computed once; no
    reason strings): what area counts need, equal to those columns of :func:`isolated_people`."""
    counts = snap.counts
    pidx = np.flatnonzero(snap.is_person)
    levels = np.array(_c.LEVELS, dtype=object)[counts.level[pidx]]
    df = pd.DataFrame({"person_id": [snap.ids[i] for i in pidx.tolist()],
                       "area": [snap.area[i] for i in pidx.tolist()],
                       "level": pd.Categorical(levels, categories=list(_c.LEVELS),
                                               ordered=True)})
    return df.sort_values(["level", "person_id"], kind="stable").reset_index(drop=True)
