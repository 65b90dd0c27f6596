"""The person–group graph: who goes where, shared members, and two-mode centrality.

People and the open groups and organisations they attend or volunteer at form a two-mode
(bipartite) network. From it come the person projection (people joined by groups they share),
group overlap (members two groups share: where partnerships already exist) and two-mode
centrality normalised as Borgatti & Halgin (2011) describe, so a small area's figures can be
compared with the published literature. Whole-graph betweenness is slow: use these on one
area or neighbourhood, not on a 100k-person graph in an interactive page.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
from networkx.algorithms import bipartite

from assetmap import vocab
from assetmap.graph.analysis import circles as _c


def person_group_graph(G: nx.MultiDiGraph) -> nx.Graph:
    """People and open groups/organisations joined by ATTENDS / VOLUNTEERS_AT ties; node
    attribute ``bipartite`` is 0 for people, 1 for groups (only nodes with a membership)."""
    _c.check_graph(G)
    B = nx.Graph()
    nodes = G._node
    for u, v, key, attrs in G.edges(keys=True, data=True):
        if attrs.get("kind", key) not in _c.MEMBERSHIP_TIES:
            continue
        if nodes[u].get("kind") != vocab.PERSON or nodes[v].get("kind") not in vocab.ASSET_KINDS:
            continue
        if not _c.is_open(nodes[v]):
            continue
        B.add_node(u, bipartite=0)
        B.add_node(v, bipartite=1)
        B.add_edge(u, v)
    return B


def person_projection(G: nx.MultiDiGraph) -> nx.Graph:
    """People joined when they share a group; edge ``weight`` = groups they share."""
    B = person_group_graph(G)
    people = [n for n, d in B.nodes(data="bipartite") if d == 0]
    return bipartite.weighted_projected_graph(B, people)


def group_overlap(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Pairs of groups with members in common: group_a, group_b (a < b), shared_members."""
    B = person_group_graph(G)
    groups = sorted(n for n, d in B.nodes(data="bipartite") if d == 1)
    P = bipartite.weighted_projected_graph(B, groups)
    rows = [(min(a, b), max(a, b), w) for a, b, w in P.edges(data="weight")]
    df = pd.DataFrame(rows, columns=["group_a", "group_b", "shared_members"])
    return df.sort_values(["shared_members", "group_a", "group_b"],
                          ascending=[False, True, True]).reset_index(drop=True)


def membership_centrality(G: nx.MultiDiGraph) -> pd.DataFrame:
    """Two-mode degree, closeness and betweenness of every person and group, normalised as in
    Borgatti & Halgin (2011) (networkx.algorithms.bipartite)."""
    B = person_group_graph(G)
    people = {n for n, d in B.nodes(data="bipartite") if d == 0}
    deg = bipartite.degree_centrality(B, people)
    clo = bipartite.closeness_centrality(B, people)
    bet = bipartite.betweenness_centrality(B, people)
    rows = [{"node_id": n, "kind": G.nodes[n].get("kind"), "degree": deg[n],
             "closeness": clo[n], "betweenness": bet[n]} for n in sorted(B)]
    return pd.DataFrame(rows, columns=["node_id", "kind", "degree", "closeness", "betweenness"])
