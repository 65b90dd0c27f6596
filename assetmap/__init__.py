"""assetmap: map an area's people, carers, peer groups, user-led organisations and clinicians as
one graph, find who is isolated and which connections are missing, and show it on a map."""

from assetmap.errors import (
    AssetmapError,
    DanglingTieError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from assetmap.graph.store import GraphStore, open_store
from assetmap.model import Node, Tie

__version__ = "0.1.0"

__all__ = [
    "AssetmapError",
    "DanglingTieError",
    "GraphStore",
    "Node",
    "NotFoundError",
    "StoreError",
    "Tie",
    "ValidationError",
    "open_store",
]
