"""The ``GraphStore`` protocol every store implements, and :func:`open_store` to pick one by URL.

A store holds nodes and ties by stable id. Both the embedded SQLite store and the Neo4j store pass
the same contract test suite (``tests/store_contract.py``), so code above this line never needs to
know which one it talks to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # networkx loads on first use: `assetmap info` stays quick (issue 16)
    import networkx as nx

from assetmap.errors import StoreError
from assetmap.model import Node, Tie

#: One postcode lookup entry as a store keeps it: (postcode in ``pcds`` form, lat, lon, LSOA code,
#: ward code, terminated).
PostcodeRecord = tuple[str, float | None, float | None, str | None, str | None, bool]



@runtime_checkable
class GraphStore(Protocol):
    """What assetmap needs from a graph store."""

    url: str

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        """Insert or replace nodes by id (validated first); return how many were written."""

    def upsert_ties(self, ties: Iterable[Tie]) -> int:
        """Insert or replace ties by (src, dst, kind); both ends must exist. Return the count."""

    def get(self, node_id: str) -> Node:
        """The node with this id; raises NotFoundError."""

    def get_tie(self, src: str, dst: str, kind: str) -> Tie:
        """The tie (src, dst, kind); raises NotFoundError."""

    def get_many(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among ``ids`` that exist, by id; absent ids are left out (one batched
        read, so an import can merge a whole batch against what is stored)."""

    def get_ties_many(self, keys: Iterable[tuple[str, str, str]]
                      ) -> dict[tuple[str, str, str], Tie]:
        """The ties among ``keys`` ((src, dst, kind)) that exist, as stored, by the key as
        given (a symmetric tie whichever way round it is asked); absent ones are left out (one
        batched read, so an import merges a batch of ties without reading each)."""

    def delete(self, node_id: str) -> None:
        """Remove a node and every tie that touches it (a person's erasure)."""

    def delete_tie(self, src: str, dst: str, kind: str) -> None:
        """Remove one tie, if present."""

    def neighbours(self, node_id: str,
                   kinds: Iterable[str] | None = None) -> list[tuple[Tie, Node]]:
        """Ties touching ``node_id`` in either direction (optionally of these tie kinds), each
        with the node at the other end."""

    def find(self, kind: str | None = None, **filters: Any) -> Iterator[Node]:
        """Nodes of a kind whose columns (``area``, ``name``) or props equal the filters."""

    def count(self, kind: str | None = None) -> int:
        """How many nodes (of a kind) the store holds."""

    def count_ties(self, kind: str | None = None) -> int:
        """How many ties (of a kind) the store holds."""

    def nodes(self) -> Iterator[Node]:
        """Every node, in id order, streamed."""

    def ties(self) -> Iterator[Tie]:
        """Every tie, in (src, dst, kind) order, streamed."""

    def to_networkx(self, area: str | None = None,
                    kinds: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """The graph (or the part in ``area`` and of node ``kinds``) as a networkx MultiDiGraph.

        Node attributes: ``kind``, ``name``, ``area``, ``lat``, ``lon`` and every prop; edge key is
        the tie kind, edge attributes ``kind``, ``tie_class`` and every prop. ``area`` matches a
        node's own area or any area whose ``parent`` chain reaches it (an LSOA inside a ward).
        """

    def transaction(self) -> AbstractContextManager[GraphStore]:
        """A block whose writes all land together, or none do if it raises."""

    def version(self) -> int:
        """A number that changes whenever the store's content changes (for caches)."""

    def scrub(self) -> None:
        """Make deleted records unrecoverable from the store's own files where the store can
        (SQLite: checkpoint and VACUUM); called after a person's erasure."""

    def close(self) -> None:
        """Release the connection."""

    # person records (issue 18): kept beside the graph, never nodes or ties (assetmap.records)
    def add_records(self, records: Iterable[Any]) -> int:
        """Insert or replace :class:`~assetmap.records.PersonRecord` s by id; return the count."""

    def records(self, kind: str | None = None, person_id: str | None = None,
                subject_ids: Iterable[str] | None = None) -> list[Any]:
        """Person records (of a kind, of a person, about some subjects), by date then id."""

    def delete_records(self, person_id: str) -> int:
        """Remove every record a person holds (their erasure); return how many went."""

    # postcode lookup (issue 11): kept beside the graph, never nodes (assetmap.ingest.postcodes)
    def upsert_postcodes(self, rows: Iterable[PostcodeRecord]) -> int:
        """Insert or replace lookup entries by postcode; return how many were given."""

    def postcodes(self, outward: str | None = None) -> Iterator[PostcodeRecord]:
        """The kept lookup (or one postcode district: ``outward`` code), in postcode order."""

    def count_postcodes(self) -> int:
        """How many postcodes the kept lookup holds."""


def open_store(url: str | None = None) -> GraphStore:
    """Open the store a URL names: ``sqlite:///path.db`` (embedded), or ``neo4j://``/``bolt://``.

    With no URL, the ``ASSETMAP_STORE`` setting or a SQLite file in the user's data directory.
    """
    from assetmap.environment import default_store_url  # not settings: pydantic is slow

    url = url or default_store_url()
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from assetmap.graph.store.sqlite_store import SQLiteStore

        return SQLiteStore.from_url(url)
    if scheme in {"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"}:
        try:
            from assetmap.graph.store.neo4j_store import Neo4jStore
        except ImportError:
            raise StoreError("The Neo4j store is not available in this version of assetmap.") \
                from None
        return Neo4jStore.from_url(url)
    raise StoreError(
        f"Store URL scheme {scheme!r} is not known: use sqlite:///path.db, neo4j:// or bolt://."
    )


def store_summary(store: GraphStore) -> dict:
    """What a store holds: its URL (without credentials), version, and counts by kind."""
    from assetmap import vocab

    if hasattr(store, "counts"):  # a server store: every count in one read transaction
        nodes, ties = store.counts()
    else:
        nodes = {kind: store.count(kind) for kind in vocab.NODE_KINDS}
        ties = {kind: store.count_ties(kind) for kind in vocab.TIE_KINDS}
    return {"store": public_url(store.url), "version": store.version(), "nodes": nodes,
            "ties": ties}


def public_url(url: str) -> str:
    """A store URL without its credentials (``neo4j://user:pw@host/db`` -> ``neo4j://host/db``;
    a bare ``user:pw@host:7687`` -> ``host:7687``): the only form that may be printed, logged, or
    used to name a file. The package's one credential-stripping rule."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rsplit("@", 1)[-1]
    netloc, slash, path = rest.partition("/")
    return f"{scheme}://{netloc.rsplit('@', 1)[-1]}{slash}{path}"
