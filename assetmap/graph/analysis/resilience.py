"""What depends on each group and organisation, and who the system of support cannot see.

The *support network* joins people, groups, organisations and practitioners by community,
professional and organisational ties (read both ways; IN_AREA ties, Area nodes, referrals and
closed assets left out). A *hub* is any practitioner or an open GP practice, wellbeing hub,
council service, carers' centre or mental health service (:data:`assetmap.vocab.HUB_KINDS`).

- :func:`closure_impact` — if one asset closed: who loses their only community tie, whose
  isolation level drops, and who loses every path to a clinician or hub. It is local: it looks
  at the asset's own ties and searches outwards from its neighbours only until a hub is found.
  :func:`closure_impact_snapshot` gives the same rows from a columnar snapshot (a server store's
  pages load no whole graph, issue 16).
- :func:`keystone_assets` — every open asset ranked by that impact, in one pass: one depth-first
  search (Tarjan's low-link) finds, for every asset at once, the pieces its closure would cut
  off and whether each still holds a hub; no whole-graph betweenness is needed.
- :func:`disconnected_clusters` — parts of the network with no path to any hub, split into
  communities by Louvain (seeded, so the same graph gives the same clusters): peer groups the
  system cannot see.
- *Bridging people*: people who are the only bridge between parts of the network (cut points:
  without them it splits). Shown only as banded counts (:func:`assetmap.governance.privacy.
  count_band`): per keystone place (``bridging_people_banded``, people tied to it who bridge)
  and per area (:func:`bridging_people_by_area`), never by name (issue 17 item 5).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import networkx as nx
import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance.privacy import count_band
from assetmap.graph.analysis import circles as _c

SUPPORT_CLASSES: frozenset[str] = frozenset({vocab.COMMUNITY, vocab.PROFESSIONAL,
                                             vocab.ORGANISATIONAL, vocab.SHARED_LIFE})
IMPACT_COLUMNS: list[str] = ["person_id", "name", "level_before", "level_after",
                             "loses_only_community_tie", "loses_hub_path", "reasons"]
KEYSTONE_COLUMNS: list[str] = ["asset_id", "name", "kind", "status", "people_tied",
                               "lose_only_community_tie", "level_drops", "lose_hub_path",
                               "splits_network", "bridging_people_banded", "rank", "reasons"]
#: :func:`bridging_people_by_area` columns: per area, people who are the only bridge between
#: parts of the support network, as a band (never a small number, never a name).
BRIDGING_COLUMNS: list[str] = ["area_code", "area_name", "bridging people (banded)"]
CLUSTER_COLUMNS: list[str] = ["cluster", "people", "groups", "members", "group_names", "areas",
                              "reasons"]


def _in_network(attrs: dict) -> bool:
    return attrs.get("kind") != vocab.AREA and _c.is_open(attrs)


def support_neighbours(G: nx.MultiDiGraph, n: str) -> Iterator[str]:
    """Nodes joined to ``n`` in the support network (may repeat a node)."""
    nodes = G._node
    for adj in (G._succ[n], G._pred[n]):
        for other, keyed in adj.items():
            if other == n or not _in_network(nodes[other]):
                continue
            for key, attrs in keyed.items():
                kind = attrs.get("kind", key)
                if kind != "IN_AREA" and vocab.TIE_KINDS.get(kind) in SUPPORT_CLASSES:
                    yield other
                    break


def support_adjacency(G: nx.MultiDiGraph) -> tuple[list[str], list[list[int]]]:
    """The support network as (node ids, adjacency lists of integer indices), ids sorted."""
    ids = sorted(n for n, d in G._node.items() if _in_network(d))
    index = {n: i for i, n in enumerate(ids)}
    adj: list[set[int]] = [set() for _ in ids]
    nodes = G._node
    for u in ids:
        iu = index[u]
        for v, keyed in G._succ[u].items():
            iv = index.get(v)
            if iv is None or iv == iu or not _in_network(nodes[v]):
                continue
            for key, attrs in keyed.items():
                kind = attrs.get("kind", key)
                if kind != "IN_AREA" and vocab.TIE_KINDS.get(kind) in SUPPORT_CLASSES:
                    adj[iu].add(iv)
                    adj[iv].add(iu)
                    break
    return ids, [sorted(a) for a in adj]


def _pair_weight(G: nx.MultiDiGraph, u: str, v: str) -> float:
    """The weight of the strongest support tie between ``u`` and ``v`` (either way; a tie's
    ``weight``, 1.0 where it has none): what weighted community detection reads (issue 17)."""
    best = 0.0
    for a, b in ((u, v), (v, u)):
        for key, attrs in G._succ[a].get(b, {}).items():
            kind = attrs.get("kind", key)
            if kind != "IN_AREA" and vocab.TIE_KINDS.get(kind) in SUPPORT_CLASSES:
                best = max(best, _tie_weight(attrs))
    return best or 1.0


def _tie_weight(attrs: dict) -> float:
    """A tie's ``weight`` as the snapshot reads it: a positive finite number, else 1.0."""
    w = attrs.get("weight")
    if isinstance(w, bool) or not isinstance(w, int | float):
        return 1.0
    w = float(w)
    return w if 0.0 < w < float("inf") else 1.0


def _pieces_without_hub(G: nx.MultiDiGraph, node_id: str) -> tuple[bool, list[set[str]]]:
    """Remove ``node_id``: (did its part of the network reach a hub before?, the pieces
    it leaves behind that reach no hub)."""
    nodes = G._node
    reach_hub: set[str] = set()
    no_hub: set[str] = set()
    pieces: list[set[str]] = []
    for s in sorted(set(support_neighbours(G, node_id))):
        if s in reach_hub or s in no_hub:
            continue
        seen = {s}
        stack = [s]
        found = _c.is_hub(nodes[s])
        while stack and not found:
            n = stack.pop()
            for m in support_neighbours(G, n):
                if m == node_id or m in seen:
                    continue
                if m in reach_hub or _c.is_hub(nodes[m]):
                    found = True
                    break
                seen.add(m)
                stack.append(m)
        if found:
            reach_hub |= seen
        else:
            no_hub |= seen
            pieces.append(seen)
    had_hub = _c.is_hub(nodes[node_id]) or bool(reach_hub)
    return had_hub, pieces if had_hub else []


def closure_impact(G: nx.MultiDiGraph, node_id: str) -> pd.DataFrame:
    """Who is worse off if this group or organisation closed: one row per person whose level
    drops or who loses every path to a clinician or hub, worst first."""
    _c.check_graph(G)
    if node_id not in G:
        raise KeyError(f"no node with id {node_id!r} in this graph")
    attrs = G._node[node_id]
    if attrs.get("kind") not in vocab.ASSET_KINDS:
        raise ValueError("closure impact is for a group or organisation")
    nodes = G._node
    name = attrs.get("name") or node_id
    rows: dict[str, dict] = {}
    if not _c.is_open(attrs):
        return pd.DataFrame([], columns=IMPACT_COLUMNS)
    tied = {o for o in (*G._succ[node_id], *G._pred[node_id])
            if nodes[o].get("kind") == vocab.PERSON}
    circles = {p: _c.circle(G, p) for p in tied}
    for p in sorted(tied):
        c = circles[p]
        before, after = _c.level(c), _c.level(c, without=node_id)
        only = c.community == {node_id}
        if _c.LEVEL_RANK[after] < _c.LEVEL_RANK[before]:
            why = (f"{name} is their only community tie" if only
                   else f"{before} → {after} without {name}")
            rows[p] = {"person_id": p, "name": nodes[p].get("name", ""), "level_before": before,
                       "level_after": after, "loses_only_community_tie": only,
                       "loses_hub_path": False, "reasons": why}
    _had, pieces = _pieces_without_hub(G, node_id)
    for piece in pieces:
        for p in piece:
            if nodes[p].get("kind") != vocab.PERSON:
                continue
            row = rows.get(p)
            why = (f"no other route to a GP, link worker or hub than through {name}"
                   if p not in rows else "and no other route to a GP, link worker or hub")
            if row is None:
                lvl = _c.level(circles[p]) if p in circles else _c.level(_c.circle(G, p))
                lvl_after = _c.level(circles[p], without=node_id) if p in circles else lvl
                rows[p] = {"person_id": p, "name": nodes[p].get("name", ""),
                           "level_before": lvl, "level_after": lvl_after,
                           "loses_only_community_tie": False, "loses_hub_path": True,
                           "reasons": why}
            else:
                row["loses_hub_path"] = True
                row["reasons"] += "; " + why
    return _impact_frame(list(rows.values()))


def _impact_frame(rows: list[dict]) -> pd.DataFrame:
    """Closure impact rows as a frame, worst first: losing the only community tie, then the
    level after, then losing every route to a hub, then the id."""
    df = pd.DataFrame(rows, columns=IMPACT_COLUMNS)
    if df.empty:
        return df
    df["_r"] = df["level_after"].map(_c.LEVEL_RANK)
    return (df.sort_values(["loses_only_community_tie", "_r", "loses_hub_path", "person_id"],
                           ascending=[False, True, False, True], kind="stable")
            .drop(columns="_r").reset_index(drop=True))


def _cut_counts(G: nx.MultiDiGraph, ids: list[str], adj: list[list[int]]
                ) -> tuple[list[int], list[bool]]:
    """For every node: people who would lose every path to a hub if it were removed, and
    whether removing it splits its part of the network (Tarjan's low-link, iterative)."""
    nodes = G._node
    return _cut_counts_flags([nodes[i].get("kind") == vocab.PERSON for i in ids],
                             [_c.is_hub(nodes[i]) for i in ids], adj)


def _cut_counts_flags(is_p: list[bool], is_h: list[bool], adj: list[list[int]]
                      ) -> tuple[list[int], list[bool]]:
    """:func:`_cut_counts` over positions: person and hub flags, adjacency lists."""
    n = len(adj)
    disc = [-1] * n
    low = [0] * n
    sub_p = [0] * n
    sub_h = [0] * n
    sep_p = [0] * n
    sep_h = [0] * n
    sep_nohub_p = [0] * n
    sep_count = [0] * n
    comp_p = [0] * n
    comp_h = [0] * n
    is_root = [False] * n
    t = 0
    for root in range(n):
        if disc[root] != -1:
            continue
        is_root[root] = True
        members = [root]
        disc[root] = low[root] = t
        t += 1
        sub_p[root], sub_h[root] = int(is_p[root]), int(is_h[root])
        stack = [(root, iter(adj[root]))]
        while stack:
            v, it = stack[-1]
            for w in it:
                if disc[w] == -1:
                    disc[w] = low[w] = t
                    t += 1
                    sub_p[w], sub_h[w] = int(is_p[w]), int(is_h[w])
                    members.append(w)
                    stack.append((w, iter(adj[w])))
                    break
                if disc[w] < low[v]:
                    low[v] = disc[w]
            else:
                stack.pop()
                if stack:
                    u = stack[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                    sub_p[u] += sub_p[v]
                    sub_h[u] += sub_h[v]
                    if low[v] >= disc[u]:
                        sep_count[u] += 1
                        sep_p[u] += sub_p[v]
                        sep_h[u] += sub_h[v]
                        if sub_h[v] == 0:
                            sep_nohub_p[u] += sub_p[v]
        for m in members:
            comp_p[m], comp_h[m] = sub_p[root], sub_h[root]
    lose = [0] * n
    splits = [False] * n
    for v in range(n):
        splits[v] = sep_count[v] >= (2 if is_root[v] else 1)
        if comp_h[v] == 0:
            continue
        rest_p = comp_p[v] - int(is_p[v]) - sep_p[v]
        rest_h = comp_h[v] - int(is_h[v]) - sep_h[v]
        lose[v] = sep_nohub_p[v] + (rest_p if rest_h == 0 else 0)
    return lose, splits


@_c.whole_graph
def _ranked(df: pd.DataFrame) -> pd.DataFrame:
    """Keystones in rank order, numbered. Cut-point structure ranks before the remaining people
    counts (issue 17): a place whose closure splits the network comes first among equals; the
    id only breaks exact ties (never the name)."""
    if df.empty:
        return df
    df = df.sort_values(["lose_only_community_tie", "lose_hub_path", "splits_network",
                         "level_drops", "people_tied", "asset_id"],
                        ascending=[False, False, False, False, False, True],
                        kind="stable").reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    return df


def keystone_assets(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Every open group and organisation ranked by what its closure would do.

    Ranked by people losing their only community tie, then people losing every path to a hub,
    then whether its closure splits the support network (a cut point), then people whose
    isolation level drops, then people tied to it (attending, volunteering or supported there;
    referrals do not count); the id breaks exact ties only.
    """
    _c.check_graph(G)
    ids, adj = support_adjacency(G)
    lose, splits = _cut_counts(G, ids, adj)
    at = {n: i for i, n in enumerate(ids)}
    nodes = G._node
    bridging = [splits[i] and nodes[n].get("kind") == vocab.PERSON for i, n in enumerate(ids)]
    circle_cache: dict[str, _c.Circle] = {}
    rows = []
    for a in ids:
        attrs = nodes[a]
        if attrs.get("kind") not in vocab.ASSET_KINDS:
            continue
        tied = {o for o in (*G._succ[a], *G._pred[a]) if nodes[o].get("kind") == vocab.PERSON}
        only = drops = depend = 0
        for p in tied:
            c = circle_cache.get(p)
            if c is None:
                c = circle_cache[p] = _c.circle(G, p)
            if a not in c.community and a not in c.professional:
                continue
            depend += 1
            if c.community == {a}:
                only += 1
            if _c.LEVEL_RANK[_c.level(c, without=a)] < _c.LEVEL_RANK[_c.level(c)]:
                drops += 1
        cut = lose[at[a]]
        parts = []
        if only:
            parts.append(f"the only community tie of {only} {'person' if only == 1 else 'people'}")
        if cut:
            parts.append(f"the only route to a GP, link worker or hub for {cut}")
        if drops > only:
            parts.append(f"{drops} people would be more isolated without it")
        if splits[at[a]]:
            parts.append("closing it splits the network")
        rows.append({"asset_id": a, "name": attrs.get("name", ""), "kind": attrs.get("kind"),
                     "status": attrs.get("status"), "people_tied": depend,
                     "lose_only_community_tie": only, "level_drops": drops,
                     "lose_hub_path": cut, "splits_network": splits[at[a]],
                     "bridging_people_banded": count_band(
                         sum(bridging[w] for w in adj[at[a]])),
                     "reasons": "; ".join(parts) or "others would still be connected"})
    return _ranked(pd.DataFrame(rows, columns=KEYSTONE_COLUMNS))


@_c.whole_graph
def disconnected_clusters(G: nx.MultiDiGraph, seed: int = 0, min_size: int = 2
                          ) -> pd.DataFrame:
    """Communities (Louvain, ``seed``) of people and groups with no path to any hub.

    Louvain never puts two unconnected parts in one community, so it runs on each part of the
    network that has no hub (usually small), not on the whole graph. Parts smaller than
    ``min_size`` nodes, or with no person in them, are left out.
    """
    _c.check_graph(G)
    ids, adj = support_adjacency(G)
    nodes = G._node
    seen = [False] * len(ids)
    clusters: list[list[str]] = []
    for s in range(len(ids)):
        if seen[s]:
            continue
        seen[s] = True
        comp = [s]
        stack = [s]
        while stack:
            v = stack.pop()
            for w in adj[v]:
                if not seen[w]:
                    seen[w] = True
                    comp.append(w)
                    stack.append(w)
        if len(comp) < min_size:
            continue
        names = [ids[i] for i in comp]
        if any(_c.is_hub(nodes[m]) for m in names):
            continue
        if not any(nodes[m].get("kind") == vocab.PERSON for m in names):
            continue
        if len(comp) <= 3:
            clusters.append(sorted(names))
            continue
        H = nx.Graph()
        H.add_nodes_from(sorted(names))
        H.add_weighted_edges_from((ids[v], ids[w], _pair_weight(G, ids[v], ids[w]))
                                  for v in comp for w in adj[v] if v < w)
        for part in nx.community.louvain_communities(H, weight="weight", seed=seed):
            if any(nodes[m].get("kind") == vocab.PERSON for m in part):
                clusters.append(sorted(part))
    clusters.sort(key=lambda m: (-len(m), m[0]))
    rows = []
    for i, members in enumerate(clusters, start=1):
        people = [m for m in members if nodes[m].get("kind") == vocab.PERSON]
        groups = [m for m in members if nodes[m].get("kind") in vocab.ASSET_KINDS]
        gnames = sorted(str(nodes[g].get("name") or g) for g in groups)
        what = f"{len(people)} {'person' if len(people) == 1 else 'people'}"
        if groups:
            what += (f" and {len(groups)} {'group' if len(groups) == 1 else 'groups'} "
                     f"({', '.join(gnames[:3])}{', …' if len(gnames) > 3 else ''})")
        rows.append({"cluster": i, "people": len(people), "groups": len(groups),
                     "members": members, "group_names": gnames,
                     "areas": sorted({a for m in members if (a := nodes[m].get("area"))}),
                     "reasons": f"{what} with no tie to any GP, link worker or hub"})
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


# --- over a columnar snapshot (``assetmap analyse`` and the app's whole-area pages) ------------

class _Tree(NamedTuple):
    """One depth-first forest of a CSR adjacency (n nodes), from a virtual root ``n`` joined
    to every part: what the cut structure and the closure of one place are read from."""

    n: int
    n_comp: int
    label: Any  # part of each node
    order: Any  # preorder, the virtual root first
    pred: Any  # depth-first parent (n for each part's first node; none for the root)
    pre: Any  # preorder position of each node (and of the root)
    end: Any  # a subtree is the preorder positions [pre[v], end[v])
    kids: Any  # every node but the root, in preorder
    parent: Any  # pred[kids]
    low: Any  # per kid: the earliest preorder position its subtree touches
    sep: Any  # per kid: its subtree is cut off when its parent goes


def _dfs_tree(A: Any) -> _Tree:
    """The depth-first forest of a symmetric CSR adjacency (issue 13: vectorised): one search
    in C (scipy) from a virtual root joined to every part, each node's subtree as a range of
    preorder positions (found by pointer jumping) and each child's low-link as a range minimum
    (sparse table)."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components, depth_first_order

    n = A.shape[0]
    # the adjacency is symmetric: strong components are its parts (and need no transpose)
    n_comp, label = connected_components(A, directed=True, connection="strong")
    _, reps = np.unique(label, return_index=True)
    indptr = np.concatenate([A.indptr.astype(np.int64), [A.indptr[-1] + n_comp]])
    indices = np.concatenate([A.indices.astype(np.int64), reps])
    B = sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr),
                      shape=(n + 1, n + 1))
    order, pred = depth_first_order(B, n, directed=True, return_predecessors=True)
    pre = np.empty(n + 1, dtype=np.int64)
    pre[order] = np.arange(n + 1)
    # subtree of v = preorder positions [pre[v], end[v]): end is the next sibling's position,
    # or (for a last child) its parent's end, resolved by pointer jumping
    kids = order[1:]
    parent = pred[kids].astype(np.int64)
    srt = kids[np.lexsort((pre[kids], parent))]
    psrt = pred[srt]
    has_next = np.zeros(len(srt), dtype=bool)
    has_next[:-1] = psrt[:-1] == psrt[1:]
    end = np.full(n + 1, -1, dtype=np.int64)
    ptr = np.full(n + 1, -1, dtype=np.int64)
    end[srt[has_next]] = pre[srt[1:][has_next[:-1]]]
    last = srt[~has_next]
    ptr[last] = pred[last]
    end[n] = n + 1
    todo = np.flatnonzero(ptr >= 0)
    while len(todo):
        up_of = ptr[todo]
        up = ptr[up_of]
        done = up < 0
        end[todo[done]] = end[up_of[done]]
        ptr[todo] = up
        todo = todo[~done]
    # low-link: the earliest position any node of the subtree touches (a range minimum)
    direct = pre[:n].copy()
    rows = np.flatnonzero(np.diff(A.indptr))
    if len(rows):
        direct[rows] = np.minimum(direct[rows],
                                  np.minimum.reduceat(pre[A.indices], A.indptr[rows]))
    table = np.concatenate([direct, [0]])[order]
    lo, hi = pre[kids], end[kids]
    k = np.zeros(len(kids), dtype=np.int64)
    length = hi - lo
    while True:  # k = floor(log2(length)), exactly
        more = (length >> (k + 1)) > 0
        if not more.any():
            break
        k += more
    low = np.empty(len(kids), dtype=np.int64)
    j = 0
    while True:
        q = np.flatnonzero(k == j)
        if len(q):
            low[q] = np.minimum(table[lo[q]], table[hi[q] - (1 << j)])
        if j >= (int(k.max()) if len(k) else 0):
            break
        table = np.minimum(table[:-(1 << j)], table[(1 << j):])
        j += 1
    # a child whose subtree reaches nothing before its parent is cut off by the parent
    sep = (parent != n) & (low >= pre[parent])
    return _Tree(n, n_comp, label, order, pred, pre, end, kids, parent, low, sep)


def _cut_counts_arrays(is_p: Any, is_h: Any, A: Any, tree: _Tree | None = None
                       ) -> tuple[Any, Any]:
    """:func:`_cut_counts_flags` over a CSR adjacency, vectorised (issue 13: the Python low-link
    loop was the slowest part of ``analyse``): over :func:`_dfs_tree` (given, or made here),
    people and hubs under each node by prefix sums in preorder. Returns (lose, splits) as numpy
    arrays; they do not depend on which depth-first tree is used, so they equal the plain
    path's."""
    import numpy as np

    p = np.asarray(is_p, dtype=np.int64)
    h = np.asarray(is_h, dtype=np.int64)
    n = A.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    t = tree if tree is not None else _dfs_tree(A)
    order, pred, pre, end, label = t.order, t.pred, t.pre, t.end, t.label
    # people and hubs in each subtree, by prefix sums in preorder
    cp = np.concatenate([[0], np.cumsum(np.concatenate([p, [0]])[order])])
    ch = np.concatenate([[0], np.cumsum(np.concatenate([h, [0]])[order])])
    sub_p = cp[end] - cp[pre]
    sub_h = ch[end] - ch[pre]
    u, c = t.parent[t.sep], t.kids[t.sep]
    sep_count = np.bincount(u, minlength=n + 1)[:n]

    def under(weights: Any) -> Any:
        return np.bincount(u, weights=weights, minlength=n + 1)[:n].astype(np.int64)

    sep_p, sep_h = under(sub_p[c]), under(sub_h[c])
    sep_nohub_p = under(sub_p[c] * (sub_h[c] == 0))
    comp_p = np.bincount(label, weights=p, minlength=t.n_comp).astype(np.int64)[label]
    comp_h = np.bincount(label, weights=h, minlength=t.n_comp).astype(np.int64)[label]
    splits = sep_count >= np.where(pred[:n] == n, 2, 1)
    rest_p = comp_p - p - sep_p
    rest_h = comp_h - h - sep_h
    lose = np.where(comp_h == 0, 0, sep_nohub_p + np.where(rest_h == 0, rest_p, 0))
    return lose.astype(np.int64), splits


def support_tree_snapshot(snap: Any) -> tuple[Any, Any, _Tree | None]:
    """The support network over a snapshot and its depth-first forest, made once per snapshot
    and shared by keystones, bridging people and the closure of one place: (node positions,
    CSR adjacency, tree)."""
    def make() -> tuple[Any, Any, _Tree | None]:
        nodes, A = snap.support_graph()
        return nodes, A, _dfs_tree(A) if A.shape[0] else None

    return snap._cached("support_tree", make)


def cut_counts_snapshot(snap: Any) -> tuple[Any, Any, Any, Any]:
    """The support network's cut structure over a snapshot, computed once and shared by
    keystones and bridging people: (node positions, CSR adjacency, lose, splits)."""
    def make() -> tuple[Any, Any, Any, Any]:
        nodes, A, tree = support_tree_snapshot(snap)
        lose, splits = _cut_counts_arrays(snap.is_person[nodes], snap.is_hub[nodes], A, tree)
        return nodes, A, lose, splits

    return snap._cached("cut_counts", make)


def _asset_pairs(snap: Any, asset: int | None = None) -> tuple[Any, Any, Any, Any, Any]:
    """Every (person, group or organisation) pair where the place is in the person's community
    or services (only those of the place at position ``asset`` when given), as arrays: person,
    place, level code before, level code without the place (:func:`circles.level`'s
    ``without``), and whether the place is their only community tie. A person tied to a place
    any other way keeps their level without it."""
    import numpy as np

    from assetmap.graph.analysis.snapshot import _distinct, level_codes, member

    tc = snap.counts
    n64 = np.int64(len(snap.ids))
    ck, pk = tc.comm_keys, tc.prof_keys
    if asset is None:
        ck = ck[snap.is_asset[ck % n64]]
        pk = pk[snap.is_asset[pk % n64]]
    else:
        ck = ck[ck % n64 == asset]
        pk = pk[pk % n64 == asset]
    keys = _distinct(np.concatenate([ck, pk]))
    p, a = keys // n64, keys % n64
    in_c = member(keys, ck)
    in_p = member(keys, pk)
    comm = tc.community[p] - in_c
    prof = tc.professional[p] - in_p
    # without a: the routes left are the same unless a's own entry was its only route
    own_only = in_c & ~member(p * n64 + a, tc.via_keys)
    routes = tc.routes[p]
    has_none = tc.no_route[p]
    through_after = np.where(own_only, (routes == 2) & ~has_none, tc.through[p] >= 0)
    lsns, sni = tc.scales
    after = level_codes(comm, prof, through_after, lsns[p], sni[p] - tc.sni_lost_without(p, a))
    before = tc.level[p]
    only = in_c & (tc.community[p] == 1)
    return p, a, before, after, only


def keystone_assets_snapshot(snap: Any) -> pd.DataFrame:
    """:func:`keystone_assets` over a :class:`~assetmap.graph.analysis.snapshot.Snapshot`: the
    same rows, ranks and order, from the shared tie counts and the support network's CSR
    adjacency; ``reasons`` left empty (worded only where shown)."""
    import numpy as np

    nodes, A, lose_arr, splits_arr = cut_counts_snapshot(snap)
    lose, splits = lose_arr.tolist(), splits_arr.tolist()
    p, a, before, after, only = _asset_pairs(snap)
    drops = after < before
    n = len(snap.ids)
    depend = np.bincount(a, minlength=n)
    n_only = np.bincount(a, weights=only, minlength=n).astype(int)
    n_drops = np.bincount(a, weights=drops, minlength=n).astype(int)
    rows = []
    is_asset, status, kinds = snap.is_asset, snap.text["status"], snap.kind
    bridging = np.array(splits, dtype=bool) & snap.is_person[nodes]
    # distinct neighbours (CSR indices, whatever the duplicate ties summed to) who bridge
    per_node = np.bincount(np.repeat(np.arange(len(nodes)), np.diff(A.indptr)),
                           weights=bridging[A.indices], minlength=len(nodes)).astype(int)
    for j in np.flatnonzero(is_asset[nodes]).tolist():
        i = int(nodes[j])
        rows.append({"asset_id": snap.ids[i], "name": snap.name[i],
                     "kind": vocab.NODE_KINDS[kinds[i]], "status": status[i],
                     "people_tied": int(depend[i]), "lose_only_community_tie": int(n_only[i]),
                     "level_drops": int(n_drops[i]), "lose_hub_path": lose[j],
                     "splits_network": splits[j],
                     "bridging_people_banded": count_band(int(per_node[j])), "reasons": None})
    return _ranked(pd.DataFrame(rows, columns=KEYSTONE_COLUMNS))


def disconnected_clusters_snapshot(snap: Any, seed: int = 0, min_size: int = 2) -> pd.DataFrame:
    """:func:`disconnected_clusters` over a snapshot: components from the CSR adjacency
    (scipy), hub and person checks vectorised; Louvain (networkx, same seed and node order)
    only on the hub-less parts, so the clusters are the same."""
    import numpy as np
    from scipy.sparse.csgraph import connected_components

    nodes, A = snap.support_graph()
    n_comp, label = connected_components(A, directed=False)
    hub = np.bincount(label, weights=snap.is_hub[nodes], minlength=n_comp) > 0
    has_p = np.bincount(label, weights=snap.is_person[nodes], minlength=n_comp) > 0
    size = np.bincount(label, minlength=n_comp)
    keep = ~hub & has_p & (size >= min_size)
    ids = [snap.ids[i] for i in nodes.tolist()]
    indptr, indices = A.indptr, A.indices
    clusters: list[list[str]] = []
    is_person = snap.is_person[nodes]
    order = np.argsort(label, kind="stable")
    starts = np.searchsorted(label[order], np.arange(n_comp))
    n_nodes = len(nodes)
    louvain = keep & (size > 3)
    weights_made: dict[int, float] = {}

    def pair_weights() -> dict[int, float]:
        """Per support pair (u < v, positions) inside a part Louvain splits: the weight of
        the strongest tie between them (as :func:`_pair_weight`), made once, only if needed."""
        if not weights_made:
            from assetmap.graph.analysis.snapshot import SUPPORT_TIES

            at = np.full(len(snap.ids), -1, dtype=np.int64)
            at[nodes] = np.arange(len(nodes))
            s, d = at[snap.src], at[snap.dst]
            ok = np.isin(snap.tie_kind, SUPPORT_TIES) & (s >= 0) & (d >= 0) & (s != d)
            ok[ok] = louvain[label[s[ok]]]
            weights = getattr(snap, "weights", None)  # per tie; 1.0 each where not read
            w = (np.ones(len(ok)) if weights is None else np.asarray(weights, dtype=float))[ok]
            key = np.minimum(s[ok], d[ok]) * n_nodes + np.maximum(s[ok], d[ok])
            by = np.lexsort((w, key))  # the last of each key holds its largest weight
            key, w = key[by], w[by]
            last = np.ones(len(key), dtype=bool)
            last[:-1] = key[:-1] != key[1:]
            weights_made.update(zip(key[last].tolist(), w[last].tolist(), strict=True))
            weights_made[-1] = 1.0  # made (even when empty)
        return weights_made

    for comp_id in np.flatnonzero(keep).tolist():
        members = order[starts[comp_id]:starts[comp_id] + size[comp_id]].tolist()
        names = [ids[i] for i in members]
        if len(members) <= 3:
            clusters.append(sorted(names))
            continue
        # the plain path's depth-first order from the component's first node
        s = members[0]
        seen = {s}
        comp = [s]
        stack = [s]
        while stack:
            v = stack.pop()
            for w in indices[indptr[v]:indptr[v + 1]].tolist():
                if w not in seen:
                    seen.add(w)
                    comp.append(w)
                    stack.append(w)
        H = nx.Graph()
        H.add_nodes_from(sorted(names))
        weight = pair_weights()
        H.add_weighted_edges_from((ids[v], ids[w], weight.get(v * n_nodes + w, 1.0))
                                  for v in comp
                                  for w in indices[indptr[v]:indptr[v + 1]].tolist() if v < w)
        person_of = {ids[i]: bool(is_person[i]) for i in members}
        for part in nx.community.louvain_communities(H, weight="weight", seed=seed):
            if any(person_of[m] for m in part):
                clusters.append(sorted(part))
    clusters.sort(key=lambda m: (-len(m), m[0]))
    index = snap.index
    rows = []
    for i, members in enumerate(clusters, start=1):
        pos = [index[m] for m in members]
        people = [m for m, j in zip(members, pos, strict=True) if snap.is_person[j]]
        groups = [j for j in pos if snap.is_asset[j]]
        gnames = sorted(str(snap.name[g] or snap.ids[g]) for g in groups)
        rows.append({"cluster": i, "people": len(people), "groups": len(groups),
                     "members": members, "group_names": gnames,
                     "areas": sorted({a for j in pos if (a := snap.area[j])}),
                     "reasons": None})
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


def _cut_off_without(snap: Any, j: int) -> Any:
    """Support-network positions of the people who would lose every path to a hub if the node
    at support position ``j`` went (as :func:`_pieces_without_hub`): the pieces its removal
    leaves, read from the shared depth-first forest (each cut-off child's subtree, and the rest
    of its part), kept where they hold no hub and the part held one."""
    import numpy as np

    nodes, _A, t = support_tree_snapshot(snap)
    is_h = snap.is_hub[nodes]
    is_p = snap.is_person[nodes]
    if t is None:
        return np.zeros(0, dtype=np.int64)
    in_part = t.label == t.label[j]
    if not is_h[in_part].any():  # the part reached no hub before: no one loses a route
        return np.zeros(0, dtype=np.int64)
    rest = in_part.copy()
    rest[j] = False
    out = []
    for c in t.kids[t.sep & (t.parent == j)].tolist():
        piece = t.order[t.pre[c]:t.end[c]]
        rest[piece] = False
        if not is_h[piece].any():
            out.append(piece[is_p[piece]])
    if rest.any() and not is_h[rest].any():
        out.append(np.flatnonzero(rest & is_p))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def closure_impact_snapshot(snap: Any, node_id: str) -> pd.DataFrame:
    """:func:`closure_impact` over a :class:`~assetmap.graph.analysis.snapshot.Snapshot` (issue
    16: a server store's Resilience page loads no whole graph): the same rows, values and order,
    the levels from the shared tie counts and the routes to a hub from the support network's
    depth-first forest, computed once per snapshot and read per place."""
    import numpy as np

    from assetmap.graph.analysis.snapshot import ASSET_CODES

    i = snap.index.get(node_id)
    if i is None:
        raise KeyError(f"no node with id {node_id!r} in this graph")
    if int(snap.kind[i]) not in ASSET_CODES.tolist():
        raise ValueError("closure impact is for a group or organisation")
    if snap.closed[i]:
        return pd.DataFrame([], columns=IMPACT_COLUMNS)
    name = snap.name[i] or node_id
    levels = _c.LEVELS
    rows: dict[str, dict] = {}
    p, _a, before, after, only = _asset_pairs(snap, i)
    after_of = dict(zip(p.tolist(), after.tolist(), strict=True))
    for q, b, af, o in sorted(zip(p.tolist(), before.tolist(), after.tolist(), only.tolist(),
                                  strict=True)):
        if not af < b:
            continue
        pid = snap.ids[q]
        why = (f"{name} is their only community tie" if o
               else f"{levels[b]} → {levels[af]} without {name}")
        rows[pid] = {"person_id": pid, "name": snap.name[q], "level_before": levels[b],
                     "level_after": levels[af], "loses_only_community_tie": bool(o),
                     "loses_hub_path": False, "reasons": why}
    nodes, _A, _t = support_tree_snapshot(snap)
    j = int(np.searchsorted(nodes, i))
    if j < len(nodes) and nodes[j] == i:
        level_now = snap.counts.level
        for q in sorted(nodes[_cut_off_without(snap, j)].tolist()):
            pid = snap.ids[q]
            row = rows.get(pid)
            if row is None:
                lvl = int(level_now[q])
                rows[pid] = {"person_id": pid, "name": snap.name[q], "level_before": levels[lvl],
                             "level_after": levels[after_of.get(q, lvl)],
                             "loses_only_community_tie": False, "loses_hub_path": True,
                             "reasons": "no other route to a GP, link worker or hub than "
                                        f"through {name}"}
            else:
                row["loses_hub_path"] = True
                row["reasons"] += "; and no other route to a GP, link worker or hub"
    return _impact_frame(list(rows.values()))


def bridging_people(G: Any) -> pd.DataFrame:
    """People who are the only bridge between parts of the support network (cut points), with
    their area: raw, for use inside the app only (publish with :func:`bridging_people_by_area`).
    Takes a graph or a snapshot."""
    from assetmap.graph.analysis.snapshot import Snapshot

    if isinstance(G, Snapshot):
        nodes, _, _, splits = cut_counts_snapshot(G)
        rows = [(G.ids[i], G.area[i])
                for i in nodes[splits & G.is_person[nodes]].tolist()]
    else:
        _c.check_graph(G)
        ids, adj = support_adjacency(G)
        _, splits = _cut_counts(G, ids, adj)
        rows = [(n, G._node[n].get("area")) for n, cut in zip(ids, splits, strict=True)
                if cut and G._node[n].get("kind") == vocab.PERSON]
    return pd.DataFrame(rows, columns=["person_id", "area"])


def bridging_people_by_area(G: Any, level: str = "ward",
                            conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Per area of ``level``: how many people are the only bridge between parts of the support
    network, as a band (``count_band``: "0", "<8", "8–20", …), so no one bridging person can be
    picked out and no name is ever shown."""
    from assetmap.reports import counts_by_area

    conf = conf or _settings.load()
    rows = bridging_people(G).assign(kind="bridging")
    table = counts_by_area(rows, G, level, "kind", ["bridging"])
    table[BRIDGING_COLUMNS[2]] = [count_band(int(n), conf) for n in table.pop("bridging")]
    return table[BRIDGING_COLUMNS]
