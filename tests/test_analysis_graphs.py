"""Helpers for the analysis tests: build small graphs through a real SQLite store.

Every hand-built graph is written to a SQLite file and read back with ``to_networkx``, so the
analysis sees exactly what it sees in production (symmetric ties stored once, props flattened).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from assetmap import vocab
from assetmap.geo import destination
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

#: A point in Trafford; test homes and venues are placed at known distances from it.
ORIGIN = (53.4400, -2.3000)


def at_km(km: float, bearing_deg: float = 90.0) -> tuple[float, float]:
    """A point ``km`` from ORIGIN along ``bearing_deg``."""
    import math

    return destination(ORIGIN[0], ORIGIN[1], math.radians(bearing_deg), km * 1000.0)


def person(pid: str, name: str = "", where: tuple[float, float] | None = None,
           area: str | None = None, **props: Any) -> Node:
    lat, lon = where if where else (None, None)
    return Node(f"person:{pid}", vocab.PERSON, name or pid.title(), area, lat, lon, props)


def group(gid: str, name: str = "", where: tuple[float, float] | None = ORIGIN,
          area: str | None = None, kind: str = vocab.GROUP, **props: Any) -> Node:
    lat, lon = where if where else (None, None)
    prefix = "group" if kind == vocab.GROUP else "org"
    return Node(f"{prefix}:{gid}", kind, name or gid.title(), area, lat, lon, props)


def practitioner(pid: str, role: str = "gp") -> Node:
    return Node(f"practitioner:{pid}", vocab.PRACTITIONER, pid.title(), None, *ORIGIN,
                {"role": role})


def tie(src: str, dst: str, kind: str, **props: Any) -> Tie:
    return Tie(src, dst, kind, props)


def build(path: Path, nodes: Iterable[Node], ties: Iterable[Tie] = ()) -> nx.MultiDiGraph:
    """Write the records to a fresh SQLite file at ``path`` and read the graph back."""
    store = SQLiteStore(path)
    try:
        store.upsert_nodes(list(nodes))
        store.upsert_ties(list(ties))
        return store.to_networkx()
    finally:
        store.close()
