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
    for prop in ("kind", "area", "name", "parent"):
        statements.append(
            f"CREATE INDEX assetmap_node_{prop} IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.{prop})")
    return statements


#: A point index on ``location`` (distance queries). Run on its own: a server without point
#: indexes refuses it, and the store carries on without one (see ``Neo4jStore.ensure_schema``).
POINT_INDEX = (f"CREATE POINT INDEX assetmap_node_location IF NOT EXISTS "
               f"FOR (n:{NODE_LABEL}) ON (n.location)")

#: The schema version the native properties and area relationships arrived with (issue 16).
SCHEMA_VERSION = 2
SCHEMA_OF = f"MATCH (m:{META_LABEL} {{key: 'store'}}) RETURN m.schema AS schema"
SET_SCHEMA = (f"MERGE (m:{META_LABEL} {{key: 'store'}}) ON CREATE SET m.version = 0 "
              f"SET m.schema = $schema")


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
        f"SET n = row.fields, {_LOCATION}"
    )


#: ``location`` as a WGS84 point (null where the record has no location).
_LOCATION = ("n.location = CASE WHEN row.fields.lat IS NULL OR row.fields.lon IS NULL THEN null "
             "ELSE point({latitude: row.fields.lat, longitude: row.fields.lon}) END")

#: Replace every property of existing nodes: the columns, ``props_json`` (the record exactly as
#: written) and the native copies of its props (lists, booleans, dates, ``location``).
UPDATE_NODES = (
    f"UNWIND $rows AS row "
    f"MATCH (n:{NODE_LABEL} {{id: row.id}}) "
    f"SET n = row.fields, {_LOCATION}"
)

# Area relationships derived from the records: (record)-[:IN_AREA]->(area) from ``area`` and
# (area)-[:PART_OF]->(area) from ``parent``, marked ``derived`` so that reads of ties (which are
# what was written) leave them out. A stored IN_AREA tie to the same area is the same
# relationship without the mark.
UNLINK_AREAS = (f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}})-[r]->(:{NODE_LABEL}) "
                f"WHERE r.derived = true DELETE r")
LINK_IN_AREA = (f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}}) WHERE n.area IS NOT NULL "
                f"MATCH (a:{NODE_LABEL}:{label(vocab.AREA)} {{id: n.area}}) "
                f"MERGE (n)-[r:IN_AREA]->(a) ON CREATE SET r.derived = true")
LINK_PART_OF = (f"UNWIND $ids AS i MATCH (n:{NODE_LABEL}:{label(vocab.AREA)} {{id: i}}) "
                f"WHERE n.parent IS NOT NULL "
                f"MATCH (a:{NODE_LABEL}:{label(vocab.AREA)} {{id: n.parent}}) "
                f"MERGE (n)-[r:PART_OF]->(a) ON CREATE SET r.derived = true")
LINK_INTO_AREAS = (f"UNWIND $ids AS i MATCH (a:{NODE_LABEL}:{label(vocab.AREA)} {{id: i}}) "
                   f"MATCH (n:{NODE_LABEL} {{area: i}}) "
                   f"MERGE (n)-[r:IN_AREA]->(a) ON CREATE SET r.derived = true")
LINK_CHILD_AREAS = (f"UNWIND $ids AS i MATCH (a:{NODE_LABEL}:{label(vocab.AREA)} {{id: i}}) "
                    f"MATCH (c:{NODE_LABEL}:{label(vocab.AREA)} {{parent: i}}) "
                    f"MERGE (c)-[r:PART_OF]->(a) ON CREATE SET r.derived = true")


@cache
def merge_ties(kind: str) -> str:
    """Upsert ``$rows`` (src, dst, props) as relationships of one tie kind."""
    return (
        f"UNWIND $rows AS row "
        f"MATCH (a:{NODE_LABEL} {{id: row.src}}) "
        f"MATCH (b:{NODE_LABEL} {{id: row.dst}}) "
        f"MERGE (a)-[r:{rel_type(kind)}]->(b) "
        f"SET r = row.fields"
    )


KINDS_OF = (f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}}) "
            f"RETURN n.id AS id, n.kind AS kind")

DELETE_NODE = (f"MATCH (n:{NODE_LABEL} {{id: $id}}) WITH n, n.id AS id "
               f"DETACH DELETE n RETURN count(id) AS deleted")


@cache
def delete_tie(kind: str) -> str:
    """Delete the tie ``$src -[kind]-> $dst``; returns how many went."""
    return (f"MATCH (a:{NODE_LABEL} {{id: $src}})-[r:{rel_type(kind)}]->"
            f"(b:{NODE_LABEL} {{id: $dst}}) WHERE r.derived IS NULL "
            f"DELETE r RETURN count(*) AS deleted")


BUMP_VERSION = (f"MERGE (m:{META_LABEL} {{key: 'store'}}) ON CREATE SET m.version = 0 "
                f"SET m.version = m.version + 1 RETURN m.version AS version")

# --- reads ---------------------------------------------------------------------------------------

VERSION = f"MATCH (m:{META_LABEL} {{key: 'store'}}) RETURN m.version AS version"

GET_NODE = f"MATCH (n:{NODE_LABEL} {{id: $id}}) RETURN {_NODE_FIELDS}"


@cache
def get_tie(kind: str) -> str:
    """The props of the tie ``$src -[kind]-> $dst``."""
    return (f"MATCH (a:{NODE_LABEL} {{id: $src}})-[r:{rel_type(kind)}]->"
            f"(b:{NODE_LABEL} {{id: $dst}}) WHERE r.derived IS NULL "
            f"RETURN r.props_json AS props")


NEIGHBOURS = (
    f"MATCH (n:{NODE_LABEL} {{id: $id}})-[r]-(m:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
    f"AND r.derived IS NULL "
    f"RETURN startNode(r).id AS src, endNode(r).id AS dst, type(r) AS tie_kind, "
    f"r.props_json AS tie_props, {_OTHER_FIELDS} ORDER BY tie_kind, id"
)


@cache
def count_nodes(kind: str | None) -> str:
    """How many nodes (of a kind)."""
    # one label: Neo4j answers from its counts store, without a scan (``assetmap info``)
    labels = NODE_LABEL if kind is None else label(kind)
    return f"MATCH (n:{labels}) RETURN count(n) AS n"


@cache
def count_ties(kind: str | None) -> str:
    """How many ties (of a kind); with none, those of every vocabulary kind (``$tie_kinds``)."""
    if kind is None:
        return (f"MATCH (:{NODE_LABEL})-[r]->(:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
                f"AND r.derived IS NULL RETURN count(r) AS n")
    if kind == "IN_AREA":  # the one type shared with derived relationships
        return (f"MATCH ()-[r:{rel_type(kind)}]->() WHERE r.derived IS NULL "
                f"RETURN count(r) AS n")
    # no labels on the ends: Neo4j answers from its counts store, without a scan
    return f"MATCH ()-[r:{rel_type(kind)}]->() RETURN count(r) AS n"


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
            f"AND r.derived IS NULL "
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
    where = ["type(r) IN $tie_kinds", "r.derived IS NULL"]
    for end in ("a", "b"):
        if by_area:
            where.append(f"({end}.area IN $areas OR {end}.id IN $areas)")
        if by_kind:
            where.append(f"{end}.kind IN $kinds")
    return (f"MATCH (a:{NODE_LABEL})-[r]->(b:{NODE_LABEL}) WHERE {' AND '.join(where)} "
            f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, r.props_json AS props")


# --- batched reads for merge (issue 12) ---

GET_NODES = f"UNWIND $ids AS i MATCH (n:{NODE_LABEL} {{id: i}}) RETURN {_NODE_FIELDS}"


# --- person records: measures and ratings (issue 18) ---------------------------------------------
# Records about people kept beside the graph: nodes labelled AssetmapRecord only (never
# AssetmapNode), joined to nothing, so they stay out of to_networkx, counts and copies of nodes.

RECORD_LABEL = "AssetmapRecord"

RECORD_SCHEMA: tuple[str, ...] = (
    f"CREATE CONSTRAINT assetmap_record_id IF NOT EXISTS "
    f"FOR (r:{RECORD_LABEL}) REQUIRE r.id IS UNIQUE",
    f"CREATE INDEX assetmap_record_person IF NOT EXISTS FOR (r:{RECORD_LABEL}) ON (r.person_id)",
)

UPSERT_RECORDS = (
    f"UNWIND $rows AS row MERGE (r:{RECORD_LABEL} {{id: row.id}}) "
    f"SET r.kind = row.kind, r.person_id = row.person_id, r.subject_id = row.subject_id, "
    f"r.date = row.date, r.data_json = row.data"
)

RECORDS = (
    f"MATCH (r:{RECORD_LABEL}) "
    f"WHERE ($kind IS NULL OR r.kind = $kind) AND ($person_id IS NULL OR r.person_id = $person_id) "
    f"AND ($subject_ids IS NULL OR r.subject_id IN $subject_ids) "
    f"RETURN r.id AS id, r.kind AS kind, r.person_id AS person_id, r.subject_id AS subject_id, "
    f"r.date AS date, r.data_json AS data ORDER BY date, id"
)

DELETE_RECORDS = (
    f"MATCH (r:{RECORD_LABEL}) WHERE r.person_id = $person_id WITH r, r.id AS id "
    f"DETACH DELETE r RETURN count(id) AS deleted"
)


# --- postcode lookup (issue 11) ------------------------------------------------------------------
# A postcode lookup kept in the store: one node per postcode labelled AssetmapPostcode only (never
# AssetmapNode), tied to nothing, so it stays out of to_networkx, the counts and node copies.

POSTCODE_LABEL = "AssetmapPostcode"

POSTCODE_SCHEMA: tuple[str, ...] = (
    f"CREATE CONSTRAINT assetmap_postcode IF NOT EXISTS "
    f"FOR (p:{POSTCODE_LABEL}) REQUIRE p.postcode IS UNIQUE",
)

UPSERT_POSTCODES = (
    f"UNWIND $rows AS row MERGE (p:{POSTCODE_LABEL} {{postcode: row.postcode}}) "
    f"SET p.lat = row.lat, p.lon = row.lon, p.lsoa = row.lsoa, p.ward = row.ward, "
    f"p.terminated = row.terminated"
)

_POSTCODE_FIELDS = ("p.postcode AS postcode, p.lat AS lat, p.lon AS lon, p.lsoa AS lsoa, "
                    "p.ward AS ward, p.terminated AS terminated")

POSTCODES = (f"MATCH (p:{POSTCODE_LABEL}) WHERE $outward IS NULL OR p.postcode STARTS WITH "
             f"$outward + ' ' RETURN {_POSTCODE_FIELDS} ORDER BY postcode")

COUNT_POSTCODES = f"MATCH (p:{POSTCODE_LABEL}) RETURN count(p) AS n"


# --- cookbook and small queries (issue 16) -------------------------------------------------------
# The cookbook's questions (docs/neo4j.md, notebook 03, assetmap.graph.store.cookbook) and the
# small reads that answer one person's or one place's question without loading the whole graph.
# Tie kinds arrive as parameters ($community, $professional, $membership, $friendly).

#: People per LSOA of the ward ``$ward`` with no community tie at all: ``isolated`` (no
#: professional tie either) and ``service_only`` (professional ties only), the first two levels
#: of assetmap.graph.analysis.circles. Ties to a closed group or organisation do not count.
ISOLATED_PER_LSOA = (
    f"MATCH (l:{label(vocab.AREA)})-[:PART_OF]->(:{label(vocab.AREA)} {{id: $ward}}) "
    f"MATCH (p:{label(vocab.PERSON)})-[:IN_AREA]->(l) "
    f"OPTIONAL MATCH (p)-[c]-(o:{NODE_LABEL}) WHERE type(c) IN $community "
    f"AND c.derived IS NULL AND coalesce(o.status, 'active') <> 'closed' "
    f"WITH l, p, count(DISTINCT o) AS community "
    f"OPTIONAL MATCH (p)-[s]->(q:{NODE_LABEL}) WHERE type(s) IN $professional "
    f"AND coalesce(q.status, 'active') <> 'closed' "
    f"WITH l, p, community, count(DISTINCT q) AS professional "
    f"RETURN l.id AS lsoa, l.name AS name, count(p) AS people, "
    f"sum(CASE WHEN community = 0 AND professional = 0 THEN 1 ELSE 0 END) AS isolated, "
    f"sum(CASE WHEN community = 0 AND professional > 0 THEN 1 ELSE 0 END) AS service_only "
    f"ORDER BY lsoa"
)

#: The person ``$id``'s location (the centre of a "near this person" search).
PERSON_LOCATION = (f"MATCH (p:{label(vocab.PERSON)} {{id: $id}}) "
                   f"RETURN p.lat AS lat, p.lon AS lon")

_OPEN_GROUP = "coalesce(g.status, 'active') <> 'closed'"

#: Open groups within ``$metres`` of ($lat, $lon), nearest first (``point.distance``: served by
#: the point index on Neo4j).
GROUPS_NEAR_POINT = (
    f"MATCH (g:{label(vocab.GROUP)}) WHERE g.location IS NOT NULL AND {_OPEN_GROUP} "
    f"WITH g, point.distance(g.location, point({{latitude: $lat, longitude: $lon}})) AS metres "
    f"WHERE metres <= $metres "
    f"RETURN g.id AS id, g.name AS name, g.lat AS lat, g.lon AS lon, metres "
    f"ORDER BY metres, id"
)

#: The same by a bounding box on ``lat``/``lon`` (indexed columns), for a server without
#: ``point.distance``: the caller keeps those within the distance exactly.
GROUPS_IN_BOX = (
    f"MATCH (g:{label(vocab.GROUP)}) WHERE {_OPEN_GROUP} "
    f"AND g.lat >= $south AND g.lat <= $north AND g.lon >= $west AND g.lon <= $east "
    f"RETURN g.id AS id, g.name AS name, g.lat AS lat, g.lon AS lon ORDER BY id"
)

#: Open groups and organisations that the friends, family and neighbours (``$friendly``) of the
#: person ``$id`` go to (``$membership``), and that the person does not: only friends who have
#: consented to suggestions count.
FRIENDS_GROUPS = (
    f"MATCH (me:{label(vocab.PERSON)} {{id: $id}})-[t]-(f:{label(vocab.PERSON)})-[m]->"
    f"(g:{NODE_LABEL}) "
    f"WHERE type(t) IN $friendly AND type(m) IN $membership AND f.consent_suggest = true "
    f"AND g.kind IN $asset_kinds AND coalesce(g.status, 'active') <> 'closed' "
    f"AND NOT EXISTS {{ MATCH (me)-[x]->(g) WHERE type(x) IN $membership }} "
    f"RETURN g.id AS id, g.name AS name, g.lat AS lat, g.lon AS lon, "
    f"count(DISTINCT f) AS friends ORDER BY friends DESC, id"
)

#: For each open user-led organisation: the groups it runs, the people who go to it or to them
#: (``reached``) and those whose every community tie is to it or them (``cut_off``: left with
#: none if they closed). Most cut off first.
ULO_CLOSURE_RANKING = (
    f"MATCH (o:{label(vocab.ORGANISATION)}) "
    f"WHERE (o.user_led = true OR o.org_kind = 'ulo') AND coalesce(o.status, 'active') <> 'closed' "
    f"OPTIONAL MATCH (o)-[:RUNS]->(g:{label(vocab.GROUP)}) "
    f"WHERE coalesce(g.status, 'active') <> 'closed' "
    f"WITH o, [o] + collect(g) AS closing "
    f"UNWIND closing AS place "
    f"OPTIONAL MATCH (p:{label(vocab.PERSON)})-[m]->(place) WHERE type(m) IN $membership "
    f"WITH o, closing, collect(DISTINCT p) AS members "
    f"UNWIND (CASE WHEN size(members) = 0 THEN [null] ELSE members END) AS p "
    f"OPTIONAL MATCH (p)-[r]-(other:{NODE_LABEL}) WHERE type(r) IN $community "
    f"AND r.derived IS NULL AND NOT other IN closing "
    f"AND coalesce(other.status, 'active') <> 'closed' "
    f"WITH o, size(closing) - 1 AS groups_run, size(members) AS reached, p, "
    f"count(other) AS others "
    f"RETURN o.id AS id, o.name AS name, groups_run, reached, "
    f"sum(CASE WHEN p IS NOT NULL AND others = 0 THEN 1 ELSE 0 END) AS cut_off "
    f"ORDER BY cut_off DESC, reached DESC, id"
)

#: The people who depend on one place ``$id``: their membership tie to it (``$membership``) or,
#: for an organisation, to a group it runs. One row per person and place.
PLACE_DEPENDANTS = (
    f"MATCH (place:{NODE_LABEL} {{id: $id}}) "
    f"OPTIONAL MATCH (place)-[:RUNS]->(g:{label(vocab.GROUP)}) "
    f"WITH [place] + collect(g) AS places UNWIND places AS at "
    f"MATCH (p:{label(vocab.PERSON)})-[m]->(at) WHERE type(m) IN $membership "
    f"RETURN DISTINCT p.id AS person_id, at.id AS place_id, type(m) AS tie_kind "
    f"ORDER BY person_id, place_id, tie_kind"
)
