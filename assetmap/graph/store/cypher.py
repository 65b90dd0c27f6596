"""Every Cypher statement the Neo4j store runs, in one place.

Values always travel as parameters (``$rows``, ``$id``, ...). The only names spliced into query
text are node labels and relationship types, and those come from the vocabulary's allow-lists
(:data:`assetmap.vocab.NODE_KINDS`, :data:`assetmap.vocab.TIE_KINDS`) through :func:`label` and
:func:`rel_type`, which refuse anything else. Nothing a user types ever reaches query text.
"""

from __future__ import annotations

from functools import cache

from assetmap import vocab
from assetmap.errors import ValidationError

#: The label every assetmap node carries besides its kind (ids are unique across kinds).
NODE_LABEL = "AssetmapNode"
#: The label of the one bookkeeping node (the store's version counter).
META_LABEL = "AssetmapMeta"

_NODE_FIELDS = ("n.id AS id, n.kind AS kind, n.name AS name, n.area AS area, n.lat AS lat, "
                "n.lon AS lon, n.props_json AS props")
_OTHER_FIELDS = ("m.id AS id, m.kind AS kind, m.name AS name, m.area AS area, m.lat AS lat, "
                 "m.lon AS lon, m.props_json AS props")


def label(kind: str) -> str:
    """The quoted node label for a node kind from the vocabulary; anything else is refused."""
    if kind not in vocab.NODE_KINDS:
        raise ValidationError(f"kind {kind!r} is not one of {', '.join(vocab.NODE_KINDS)}.",
                              field="kind")
    return f"`{kind}`"


def rel_type(kind: str) -> str:
    """The quoted relationship type for a tie kind from the vocabulary; anything else is refused."""
    if kind not in vocab.TIE_KINDS:
        raise ValidationError(f"tie kind {kind!r} is not one of {', '.join(vocab.TIE_KINDS)}.",
                              field="kind")
    return f"`{kind}`"


# --- schema --------------------------------------------------------------------------------------

def schema_statements() -> list[str]:
    """Idempotent constraints and indexes: a unique ``id`` per kind and across all nodes, and
    indexes for the lookups the app makes (kind, area, name)."""
    statements = [
        f"CREATE CONSTRAINT assetmap_node_id IF NOT EXISTS "
        f"FOR (n:{NODE_LABEL}) REQUIRE n.id IS UNIQUE",
        f"CREATE CONSTRAINT assetmap_meta_key IF NOT EXISTS "
        f"FOR (m:{META_LABEL}) REQUIRE m.key IS UNIQUE",
    ]
    for kind in vocab.NODE_KINDS:
        statements.append(
            f"CREATE CONSTRAINT assetmap_{kind.lower()}_id IF NOT EXISTS "
            f"FOR (n:{label(kind)}) REQUIRE n.id IS UNIQUE")
    for prop in ("kind", "area", "name"):
        statements.append(
            f"CREATE INDEX assetmap_node_{prop} IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.{prop})")
    return statements


# --- writes --------------------------------------------------------------------------------------

@cache
def create_nodes(kind: str) -> str:
    """Create ``$rows`` (id, kind, name, area, lat, lon, props) as new nodes of one kind.

    The store checks first which ids exist (in the same transaction), so new nodes are created
    and existing ones updated by :data:`UPDATE_NODES`; the uniqueness constraint on ``id`` stops a
    concurrent writer from slipping a duplicate in between. (A ``MERGE`` on two labels would do
    both at once, but costs an index-less scan per row on some Bolt servers.)
    """
    return (
        f"UNWIND $rows AS row "
        f"CREATE (n:{NODE_LABEL}:{label(kind)} {{id: row.id}}) "
        f"SET n.kind = row.kind, n.name = row.name, n.area = row.area, n.lat = row.lat, "
        f"n.lon = row.lon, n.props_json = row.props"
    )


UPDATE_NODES = (
    f"UNWIND $rows AS row "
    f"MATCH (n:{NODE_LABEL} {{id: row.id}}) "
    f"SET n.name = row.name, n.area = row.area, n.lat = row.lat, n.lon = row.lon, "
    f"n.props_json = row.props"
)


@cache
def merge_ties(kind: str) -> str:
    """Upsert ``$rows`` (src, dst, props) as relationships of one tie kind."""
    return (
        f"UNWIND $rows AS row "
        f"MATCH (a:{NODE_LABEL} {{id: row.src}}) "
        f"MATCH (b:{NODE_LABEL} {{id: row.dst}}) "
        f"MERGE (a)-[r:{rel_type(kind)}]->(b) "
        f"SET r.props_json = row.props"
    )


KINDS_OF = (f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}}) "
            f"RETURN n.id AS id, n.kind AS kind")

DELETE_NODE = (f"MATCH (n:{NODE_LABEL} {{id: $id}}) WITH n, n.id AS id "
               f"DETACH DELETE n RETURN count(id) AS deleted")


@cache
def delete_tie(kind: str) -> str:
    """Delete the tie ``$src -[kind]-> $dst``; returns how many went."""
    return (f"MATCH (a:{NODE_LABEL} {{id: $src}})-[r:{rel_type(kind)}]->"
            f"(b:{NODE_LABEL} {{id: $dst}}) DELETE r RETURN count(*) AS deleted")


BUMP_VERSION = (f"MERGE (m:{META_LABEL} {{key: 'store'}}) ON CREATE SET m.version = 0 "
                f"SET m.version = m.version + 1 RETURN m.version AS version")

# --- reads ---------------------------------------------------------------------------------------

VERSION = f"MATCH (m:{META_LABEL} {{key: 'store'}}) RETURN m.version AS version"

GET_NODE = f"MATCH (n:{NODE_LABEL} {{id: $id}}) RETURN {_NODE_FIELDS}"


@cache
def get_tie(kind: str) -> str:
    """The props of the tie ``$src -[kind]-> $dst``."""
    return (f"MATCH (a:{NODE_LABEL} {{id: $src}})-[r:{rel_type(kind)}]->"
            f"(b:{NODE_LABEL} {{id: $dst}}) RETURN r.props_json AS props")


NEIGHBOURS = (
    f"MATCH (n:{NODE_LABEL} {{id: $id}})-[r]-(m:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
    f"RETURN startNode(r).id AS src, endNode(r).id AS dst, type(r) AS tie_kind, "
    f"r.props_json AS tie_props, {_OTHER_FIELDS} ORDER BY tie_kind, id"
)


@cache
def count_nodes(kind: str | None) -> str:
    """How many nodes (of a kind)."""
    labels = NODE_LABEL if kind is None else f"{NODE_LABEL}:{label(kind)}"
    return f"MATCH (n:{labels}) RETURN count(n) AS n"


@cache
def count_ties(kind: str | None) -> str:
    """How many ties (of a kind); with none, those of every vocabulary kind (``$tie_kinds``)."""
    if kind is None:
        return (f"MATCH (:{NODE_LABEL})-[r]->(:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
                f"RETURN count(r) AS n")
    return f"MATCH (:{NODE_LABEL})-[r:{rel_type(kind)}]->(:{NODE_LABEL}) RETURN count(r) AS n"


@cache
def find_nodes(kind: str | None, by_name: bool, by_area: bool, needles: int = 0) -> str:
    """Nodes (of a kind) whose name equals ``$name`` and/or area equals ``$area`` (null-safe),
    and whose props JSON contains each of ``$needle0`` ... (a coarse filter the store refines)."""
    labels = NODE_LABEL if kind is None else f"{NODE_LABEL}:{label(kind)}"
    where = []
    if by_name:
        where.append("(n.name = $name OR ($name IS NULL AND n.name IS NULL))")
    if by_area:
        where.append("(n.area = $area OR ($area IS NULL AND n.area IS NULL))")
    where += [f"n.props_json CONTAINS $needle{i}" for i in range(int(needles))]
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"MATCH (n:{labels}){clause} RETURN {_NODE_FIELDS} ORDER BY id"


ALL_NODES = f"MATCH (n:{NODE_LABEL}) RETURN {_NODE_FIELDS} ORDER BY id"

ALL_TIES = (f"MATCH (a:{NODE_LABEL})-[r]->(b:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
            f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, r.props_json AS props "
            f"ORDER BY src, dst, kind")

AREA_PARENTS = (f"MATCH (n:{NODE_LABEL}:{label(vocab.AREA)}) "
                f"RETURN n.id AS id, n.props_json AS props")


@cache
def graph_nodes(by_area: bool, by_kind: bool) -> str:
    """Nodes for ``to_networkx``: in the areas ``$areas`` (own area or the area itself) and of
    the kinds ``$kinds``."""
    where = []
    if by_area:
        where.append("(n.area IN $areas OR n.id IN $areas)")
    if by_kind:
        where.append("n.kind IN $kinds")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"MATCH (n:{NODE_LABEL}){clause} RETURN {_NODE_FIELDS}"


@cache
def graph_ties(by_area: bool, by_kind: bool) -> str:
    """Ties for ``to_networkx`` whose both ends pass the same filters as :func:`graph_nodes`."""
    where = ["type(r) IN $tie_kinds"]
    for end in ("a", "b"):
        if by_area:
            where.append(f"({end}.area IN $areas OR {end}.id IN $areas)")
        if by_kind:
            where.append(f"{end}.kind IN $kinds")
    return (f"MATCH (a:{NODE_LABEL})-[r]->(b:{NODE_LABEL}) WHERE {' AND '.join(where)} "
            f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, r.props_json AS props")


# --- batched reads for merge (issue 12) ---

GET_NODES = f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}}) RETURN {_NODE_FIELDS}"
