"""assetmap: map an area's people, carers, peer groups, user-led organisations and clinicians as
one graph, find who is isolated and which connections are missing, and show it on a map.

What a notebook user needs is importable from here: ``open_store``, the demo (``open_demo``),
the area provider (``areas``), the analyses (``isolated_people``, ``suggest_connections``,
``provision_gaps``, ``closure_impact``, ...) and the errors. The analyses and the demo load on
first use, so ``import assetmap`` (and the CLI) stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

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

#: Names loaded on first use: name -> module that defines it.
_LAZY: dict[str, str] = {
    **{name: "assetmap.graph.analysis" for name in (
        "carer_support_gaps", "circle", "closure_impact", "disconnected_clusters",
        "isolated_people", "keystone_assets", "level", "pooling_opportunities",
        "provision_gaps", "suggest_connections", "LEVELS")},
    "areas": "assetmap.graph.store.areas",
    "open_demo": "assetmap.demo.build",
    "build_demo": "assetmap.demo.build",
    "analyse_store": "assetmap.reports",
}


def __getattr__(name: str) -> Any:
    """Load an analysis, the area provider or the demo on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'assetmap' has no attribute {name!r}")


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
    *sorted(_LAZY),
]
