"""Moving an area between stores: every node and tie from one store into another (SQLite to
Neo4j, Neo4j to SQLite, or any two GraphStores), in one transaction on the receiving side.

Records are streamed from the source and written in batches, so neither store's content is
held in memory whole. Ids are stable, so copying again updates rather than duplicates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from assetmap.graph.store import GraphStore, open_store
from assetmap.model import Node, Tie

T = TypeVar("T")


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def copy_store(src: GraphStore, dst: GraphStore, batch_size: int = 5_000) -> dict[str, Any]:
    """Copy every node, then every tie, from ``src`` into ``dst`` in one transaction on ``dst``
    (it lands whole or not at all); return the counts and seconds taken."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    start = time.perf_counter()
    nodes = ties = 0
    with dst.transaction():
        for batch in _batches(src.nodes(), batch_size):
            nodes += dst.upsert_nodes(batch)
        for batch in _batches(src.ties(), batch_size):
            ties += dst.upsert_ties(batch)
    return {"nodes": nodes, "ties": ties, "seconds": round(time.perf_counter() - start, 3),
            "from": _public_url(src.url), "to": _public_url(dst.url)}


def copy_url(from_url: str, to_url: str, batch_size: int = 5_000) -> dict[str, Any]:
    """Open both stores by URL, copy ``from_url`` into ``to_url``, close them (the CLI verb)."""
    src = open_store(from_url)
    try:
        dst = open_store(to_url)
        try:
            return copy_store(src, dst, batch_size=batch_size)
        finally:
            dst.close()
    finally:
        src.close()


def _public_url(url: str) -> str:
    # never echo credentials: keep only what follows the last "@" (and the scheme)
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"


def _node_key(node: Node) -> str:
    return json.dumps([node.kind, node.name, node.area, node.lat, node.lon, node.props],
                      sort_keys=True)


def _tie_key(tie: Tie) -> str:
    return json.dumps(tie.props, sort_keys=True)


def compare_stores(a: GraphStore, b: GraphStore) -> dict[str, list]:
    """What differs between two stores: ids of nodes only in one or different in each, and the
    same for ties by (src, dst, kind). Empty lists everywhere mean the stores hold the same."""
    nodes_a = {n.id: _node_key(n) for n in a.nodes()}
    ties_a = {t.key: _tie_key(t) for t in a.ties()}
    only_b: list = []
    changed: list = []
    for node in b.nodes():
        key = nodes_a.pop(node.id, None)
        if key is None:
            only_b.append(node.id)
        elif key != _node_key(node):
            changed.append(node.id)
    ties_only_b: list = []
    ties_changed: list = []
    for tie in b.ties():
        key = ties_a.pop(tie.key, None)
        if key is None:
            ties_only_b.append(tie.key)
        elif key != _tie_key(tie):
            ties_changed.append(tie.key)
    return {"nodes_only_in_a": sorted(nodes_a), "nodes_only_in_b": sorted(only_b),
            "nodes_differ": sorted(changed), "ties_only_in_a": sorted(ties_a),
            "ties_only_in_b": sorted(ties_only_b), "ties_differ": sorted(ties_changed)}
