"""assetmap's analyses in one import: plain functions over the graph ``store.to_networkx()``
returns, each giving a pandas (or GeoPandas) frame with a human-readable ``reasons`` column.

Each lives in its own module with one job; this module only gathers them.
"""

from __future__ import annotations

from assetmap.graph.analysis.carers import carer_support_gaps
from assetmap.graph.analysis.circles import LEVELS, Circle, circle, level
from assetmap.graph.analysis.isolation import isolated_people
from assetmap.graph.analysis.membership import (
    group_overlap,
    membership_centrality,
    person_group_graph,
    person_projection,
)
from assetmap.graph.analysis.pooling import pooling_opportunities
from assetmap.graph.analysis.provision import provision_gaps
from assetmap.graph.analysis.resilience import (
    closure_impact,
    disconnected_clusters,
    keystone_assets,
)
from assetmap.graph.analysis.suggestions import suggest_connections

__all__ = [
    "LEVELS",
    "Circle",
    "carer_support_gaps",
    "circle",
    "closure_impact",
    "disconnected_clusters",
    "group_overlap",
    "isolated_people",
    "keystone_assets",
    "level",
    "membership_centrality",
    "person_group_graph",
    "person_projection",
    "pooling_opportunities",
    "provision_gaps",
    "suggest_connections",
]
