"""Who is isolated: every person's community and professional ties and a structural level.

"A life, not a service": someone seen by a GP, a social worker and a PA every week but with no
family, friend, neighbour or group in their life is *service-only*, not connected. Counting rules
and levels are in :mod:`assetmap.graph.analysis.circles`. Self-reported scores (UCLA-3, LSNS-6,
ONS4 and
the ONS direct loneliness question) are shown beside the structural level and never change it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from assetmap import vocab
from assetmap.graph.analysis import circles as _c

#: Self-reported measures shown beside the structural level (person props of these names).
SELF_REPORTED: tuple[str, ...] = ("ucla3", "lsns6", "ons4", "lonely")

COLUMNS: list[str] = [
    "person_id", "name", "area", "level", "community_ties", "professional_ties",
    "groups_attended", "tie_diversity", "family", "friends", *SELF_REPORTED, "reasons",
]


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _name(G: nx.MultiDiGraph, n: str) -> str:
    return str(G._node[n].get("name") or n)


def explain(G: nx.MultiDiGraph, lvl: str, community: int, professional: int, groups: int,
            roles: int, only: str | None = None, through: str | None = None) -> str:
    """Why a person gets their level, in a coordinator's words (``only``: the one community
    tie, if there is one; ``through``: the group every tie runs through, if there is one)."""
    if lvl == _c.ISOLATED:
        return "no community ties and no services"
    if lvl == _c.SERVICE_ONLY:
        return (f"{_plural(professional, 'professional tie')} but no family, friends, "
                "neighbours or groups")
    if lvl == _c.AT_RISK:
        if community == 1 and only is not None:
            return f"only one community tie ({_name(G, only)})"
        return f"every community tie runs through one group ({_name(G, through or '?')})"
    parts = [_plural(community, "community tie")]
    if groups:
        parts.append(_plural(groups, "group"))
    parts.append(_plural(roles, "kind of relationship", "kinds of relationship"))
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
        _self_reported(cols, attrs)
        only = next(iter(c.community)) if len(c.community) == 1 else None
        cols["reasons"].append(explain(G, lvl, len(c.community), len(c.professional),
                                       len(c.groups), len(c.roles), only,
                                       _c.through_one_group(c)))
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


@_c.whole_graph
def isolated_people(G: nx.MultiDiGraph) -> pd.DataFrame:
    """One row per person: tie counts, tie diversity, LSNS-6 family/friend split and a level.

    Levels (worst first): isolated, service-only, at risk, connected; see
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
    pr_p: list[int] = []
    pr_o: list[int] = []
    for u, nbrs in G._succ.items():
        iu = index[u]
        u_person = is_person[iu]
        for v, keyed in nbrs.items():
            if v == u:
                continue
            iv = index[v]
            for key, attrs in keyed.items():
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
                    elif kind in _c.MEMBERSHIP_TIES and u_person and open_asset[iv]:
                        c_p.append(iu)
                        c_o.append(iv)
                        c_role.append(roles[role_out[kind]])
                        c_route.append(iv)
                        c_tag.append(3)
                elif cls == vocab.PROFESSIONAL and u_person and not closed_asset[iv]:
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

    level = np.where(community == 0,
                     np.where(professional > 0, 1, 0),
                     np.where((community == 1) | through, 2, 3))
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
    }
    for score in SELF_REPORTED:
        cols[score] = [a.get(score) for a in people_attrs]
    reasons = []
    for j, i in enumerate(pidx.tolist()):
        k = k_comm[j]
        only = ids[int(uo[first[i]])] if k == 1 else None
        via = ids[int(lo[i])] if through[i] else None
        reasons.append(explain(G, levels[j], k, k_prof[j], k_grp[j], k_roles[j], only, via))
    cols["reasons"] = reasons
    return _frame(cols)
