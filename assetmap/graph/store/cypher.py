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


# --- governance in the server (issue 16) ---------------------------------------------------------
# Accounts, caseloads, sessions, sign-in throttles, erasure tombstones and the hash-chained audit
# log, kept in the store's own database when it is Neo4j (assetmap.governance.access_neo4j).
# Each has a label of its own and never AssetmapNode, and none is tied to a record, so node and
# tie reads, counts, copies of records, snapshots and network measures never see them. A raw
# Cypher user can: see docs/neo4j.md ("Where governance lives").

USER_LABEL = "AssetmapUser"
CASELOAD_LABEL = "AssetmapCaseload"
SESSION_LABEL = "AssetmapSession"
THROTTLE_LABEL = "AssetmapThrottle"
TOMBSTONE_LABEL = "AssetmapTombstone"
AUDIT_LABEL = "AssetmapAudit"
AUDIT_HEAD_LABEL = "AssetmapAuditHead"
#: Every governance label (none of them is ever an AssetmapNode).
GOVERNANCE_LABELS: tuple[str, ...] = (USER_LABEL, CASELOAD_LABEL, SESSION_LABEL, THROTTLE_LABEL,
                                      TOMBSTONE_LABEL, AUDIT_LABEL, AUDIT_HEAD_LABEL)

GOVERNANCE_SCHEMA: tuple[str, ...] = (
    f"CREATE CONSTRAINT assetmap_user_name IF NOT EXISTS "
    f"FOR (u:{USER_LABEL}) REQUIRE u.name IS UNIQUE",
    f"CREATE CONSTRAINT assetmap_caseload_key IF NOT EXISTS "
    f"FOR (c:{CASELOAD_LABEL}) REQUIRE c.key IS UNIQUE",
    f"CREATE INDEX assetmap_caseload_person IF NOT EXISTS "
    f"FOR (c:{CASELOAD_LABEL}) ON (c.person_id)",
    f"CREATE INDEX assetmap_caseload_user IF NOT EXISTS FOR (c:{CASELOAD_LABEL}) ON (c.user)",
    f"CREATE CONSTRAINT assetmap_session_id IF NOT EXISTS "
    f"FOR (s:{SESSION_LABEL}) REQUIRE s.id IS UNIQUE",
    f"CREATE INDEX assetmap_session_user IF NOT EXISTS FOR (s:{SESSION_LABEL}) ON (s.user)",
    f"CREATE CONSTRAINT assetmap_throttle_key IF NOT EXISTS "
    f"FOR (t:{THROTTLE_LABEL}) REQUIRE t.key IS UNIQUE",
    f"CREATE CONSTRAINT assetmap_tombstone_id IF NOT EXISTS "
    f"FOR (t:{TOMBSTONE_LABEL}) REQUIRE t.id IS UNIQUE",
    f"CREATE CONSTRAINT assetmap_audit_seq IF NOT EXISTS "
    f"FOR (a:{AUDIT_LABEL}) REQUIRE a.seq IS UNIQUE",
    f"CREATE INDEX assetmap_audit_person IF NOT EXISTS FOR (a:{AUDIT_LABEL}) ON (a.person_id)",
    f"CREATE INDEX assetmap_audit_ref IF NOT EXISTS FOR (a:{AUDIT_LABEL}) ON (a.person_ref)",
    f"CREATE INDEX assetmap_audit_user IF NOT EXISTS FOR (a:{AUDIT_LABEL}) ON (a.user)",
    f"CREATE CONSTRAINT assetmap_audit_head IF NOT EXISTS "
    f"FOR (h:{AUDIT_HEAD_LABEL}) REQUIRE h.key IS UNIQUE",
)

#: The governance schema's version, kept on a bookkeeping node of its own (its constraints and
#: indexes are made once per database, not on every connection).
GOVERNANCE_SCHEMA_VERSION = 1
GOV_SCHEMA_OF = f"MATCH (m:{META_LABEL} {{key: 'governance'}}) RETURN m.schema AS schema"
GOV_SET_SCHEMA = f"MERGE (m:{META_LABEL} {{key: 'governance'}}) SET m.schema = $schema"

# accounts
GOV_USER = (f"MATCH (u:{USER_LABEL} {{name: $name}}) "
            f"RETURN u.name AS name, u.role AS role, u.demo AS demo, "
            f"u.password_hash AS password_hash")
GOV_USERS = (f"MATCH (u:{USER_LABEL}) RETURN u.name AS name, u.role AS role, u.demo AS demo, "
             f"u.password_hash AS password_hash, u.created AS created ORDER BY name")
GOV_ADD_USER = (f"CREATE (u:{USER_LABEL} {{name: $name}}) SET u.role = $role, "
                f"u.password_hash = $password_hash, u.created = $created, u.demo = $demo")
GOV_SET_PASSWORD = (f"MATCH (u:{USER_LABEL} {{name: $name}}) SET u.password_hash = $password_hash "
                    f"RETURN count(u) AS n")
GOV_REMOVE_USER = (f"MATCH (u:{USER_LABEL} {{name: $name}}) WITH u, u.name AS name "
                   f"DETACH DELETE u RETURN count(name) AS n")
GOV_USER_CASELOAD_DELETE = (f"MATCH (c:{CASELOAD_LABEL}) WHERE c.user = $name "
                            f"WITH c, c.key AS k DETACH DELETE c RETURN count(k) AS n")
GOV_USER_SESSIONS_DELETE = (f"MATCH (s:{SESSION_LABEL}) WHERE s.user = $name "
                            f"WITH s, s.id AS k DETACH DELETE s RETURN count(k) AS n")

# caseloads and tombstones
GOV_CASELOAD = (f"MATCH (c:{CASELOAD_LABEL}) WHERE c.user = $name "
                f"RETURN c.person_id AS person_id ORDER BY person_id")
GOV_CASELOAD_COUNTS = (f"MATCH (c:{CASELOAD_LABEL}) RETURN c.user AS user, count(c) AS n")
GOV_CASELOAD_ALL = (f"MATCH (c:{CASELOAD_LABEL}) RETURN c.user AS user, c.person_id AS person_id "
                    f"ORDER BY user, person_id")
GOV_CASELOAD_ADD = (f"UNWIND $rows AS row MERGE (c:{CASELOAD_LABEL} {{key: row.key}}) "
                    f"SET c.user = row.user, c.person_id = row.person_id")
GOV_CASELOAD_REMOVE = (f"UNWIND $keys AS k MATCH (c:{CASELOAD_LABEL} {{key: k}}) "
                       f"WITH c, c.key AS key DETACH DELETE c RETURN count(key) AS n")
GOV_HOLDERS = (f"MATCH (c:{CASELOAD_LABEL}) WHERE c.person_id = $person_id "
               f"RETURN c.user AS user ORDER BY user")
GOV_FORGET_CASELOADS = (f"MATCH (c:{CASELOAD_LABEL}) WHERE c.person_id = $person_id "
                        f"WITH c, c.key AS k DETACH DELETE c RETURN count(k) AS n")
GOV_ADD_TOMBSTONE = (f"CREATE (t:{TOMBSTONE_LABEL} {{id: $id}}) SET t.erased_at = $erased_at")
GOV_TOMBSTONES = (f"MATCH (t:{TOMBSTONE_LABEL}) RETURN t.id AS id, t.erased_at AS erased_at "
                  f"ORDER BY erased_at, id")

# sign-in throttles: the MERGE and the SET take the node's write lock before it is read, so two
# attempts at once are counted one after the other
GOV_THROTTLE_LOCK = (
    f"MERGE (t:{THROTTLE_LABEL} {{key: $key}}) "
    f"ON CREATE SET t.failures = 0, t.window_start = $now, t.locked_until = 0.0, t.lockouts = 0 "
    f"SET t.seen = $now "
    f"RETURN t.failures AS failures, t.window_start AS window_start, "
    f"t.locked_until AS locked_until, t.lockouts AS lockouts")
GOV_THROTTLE_SET = (f"MATCH (t:{THROTTLE_LABEL} {{key: $key}}) SET t.failures = $failures, "
                    f"t.window_start = $window_start, t.locked_until = $locked_until, "
                    f"t.lockouts = $lockouts")
GOV_THROTTLE = (f"MATCH (t:{THROTTLE_LABEL} {{key: $key}}) "
                f"RETURN t.failures AS failures, t.locked_until AS locked_until")
GOV_THROTTLE_CLEAR = (f"MATCH (t:{THROTTLE_LABEL} {{key: $key}}) "
                      f"SET t.failures = 0, t.lockouts = 0, t.locked_until = 0.0")

# sessions
GOV_ADD_SESSION = (f"CREATE (s:{SESSION_LABEL} {{id: $id}}) SET s.user = $user, "
                   f"s.fingerprint = $fingerprint, s.issued = $now, s.last_seen = $now, "
                   f"s.expires = $expires, s.revoked = false")
GOV_PURGE_SESSIONS = (f"MATCH (s:{SESSION_LABEL}) WHERE s.expires < $before OR s.revoked = true "
                      f"WITH s, s.id AS k DETACH DELETE s RETURN count(k) AS n")
GOV_SESSION = (f"MATCH (s:{SESSION_LABEL} {{id: $id}}) RETURN s.user AS user, "
               f"s.fingerprint AS fingerprint, s.issued AS issued, s.last_seen AS last_seen, "
               f"s.expires AS expires, s.revoked AS revoked")
GOV_TOUCH_SESSION = f"MATCH (s:{SESSION_LABEL} {{id: $id}}) SET s.last_seen = $now"
GOV_REVOKE_SESSION = (f"MATCH (s:{SESSION_LABEL} {{id: $id}}) SET s.revoked = true "
                      f"RETURN count(s) AS n")
GOV_REVOKE_SESSIONS = (f"MATCH (s:{SESSION_LABEL}) WHERE s.user = $name SET s.revoked = true "
                       f"RETURN count(s) AS n")

# the audit log: every writer first takes the head node's write lock (MERGE, then SET), so rows
# are numbered and chained one after another, however many app servers write at once
_AUDIT_FIELDS = ("a.seq AS seq, a.at AS at, a.user AS user, a.role AS role, "
                 "a.person_id AS person_id, a.action AS action, a.outcome AS outcome, "
                 "a.reason AS reason")
GOV_AUDIT_HEAD_LOCK = (
    f"MERGE (h:{AUDIT_HEAD_LABEL} {{key: 'audit'}}) ON CREATE SET h.seq = 0, h.hash = $genesis "
    f"SET h.writes = coalesce(h.writes, 0) + 1 RETURN h.seq AS seq, h.hash AS hash")
GOV_AUDIT_HEAD = (f"MATCH (h:{AUDIT_HEAD_LABEL} {{key: 'audit'}}) "
                  f"RETURN h.seq AS seq, h.hash AS hash")
GOV_AUDIT_SET_HEAD = (f"MERGE (h:{AUDIT_HEAD_LABEL} {{key: 'audit'}}) "
                      f"SET h.seq = $seq, h.hash = $hash")
GOV_AUDIT_LAST = (f"MATCH (a:{AUDIT_LABEL}) RETURN a.seq AS seq, a.row_hash AS hash "
                  f"ORDER BY seq DESC LIMIT 1")
GOV_AUDIT_ERASED = (f"MATCH (a:{AUDIT_LABEL}) WHERE a.person_ref = $ref "
                    f"AND a.person_id STARTS WITH 'erased:' RETURN a.person_id AS person_id "
                    f"LIMIT 1")
GOV_AUDIT_ADD = (f"UNWIND $rows AS row CREATE (a:{AUDIT_LABEL} {{seq: row.seq}}) "
                 f"SET a.at = row.at, a.user = row.user, a.role = row.role, "
                 f"a.person_id = row.person_id, a.action = row.action, a.outcome = row.outcome, "
                 f"a.reason = row.reason, a.person_ref = row.person_ref, "
                 f"a.prev_hash = row.prev_hash, a.row_hash = row.row_hash")
GOV_AUDIT_PSEUDONYMISE = (f"MATCH (a:{AUDIT_LABEL}) WHERE a.person_id = $person_id "
                          f"SET a.person_id = $tombstone RETURN count(a) AS n")
GOV_AUDIT_EVENTS = (
    f"MATCH (a:{AUDIT_LABEL}) "
    f"WHERE ($person IS NULL OR a.person_id = $person OR a.person_ref = $ref) "
    f"AND ($user IS NULL OR a.user = $user) AND ($action IS NULL OR a.action = $action) "
    f"AND ($since IS NULL OR a.at >= $since) "
    f"RETURN {_AUDIT_FIELDS} ORDER BY seq")
GOV_AUDIT_CHAIN = (f"MATCH (a:{AUDIT_LABEL}) RETURN {_AUDIT_FIELDS}, a.person_ref AS person_ref, "
                   f"a.prev_hash AS prev_hash, a.row_hash AS row_hash ORDER BY seq")


@cache
def get_ties(kind: str) -> str:
    """The props of every ``kind`` tie among ``$pairs`` ([src, dst] lists): one batched read
    for an import's tie merge (issue 12)."""
    return (f"UNWIND $pairs AS p MATCH (a:{NODE_LABEL} {{id: p[0]}})-[r:{rel_type(kind)}]->"
            f"(b:{NODE_LABEL} {{id: p[1]}}) WHERE r.derived IS NULL "
            f"RETURN a.id AS src, b.id AS dst, r.props_json AS props")


# --- the analysis snapshot's read (issue 13, on Neo4j) -------------------------------------------
# Whole-area analysis reads the native properties it needs, streamed (the driver fetches records
# in batches), not every record's props JSON: ``props_json`` comes back only for a record holding
# one of those props in a form Neo4j could not store natively (a map, a mixed list), so the store
# decodes it for that record alone.

#: The node props the snapshot's columns are derived from (assetmap.model.analysis_fields), as
#: Neo4j properties; fixed names, spliced into the query below.
ANALYSIS_NODE_PROPS: tuple[str, ...] = (
    "status", "org_kind", "level", "parent", "personal_budget", "user_led", "roles",
    "activities", "interests", "needs", "access", "cost", "age_band", "capacity", "goals",
    "budget_kind", "carer_supports")
#: The tie props the snapshot reads (assetmap.model.tie_fields and the weight).
ANALYSIS_TIE_PROPS: tuple[str, ...] = ("via", "role", "frequency", "until", "weight")


#: List props read as packed bits, where an empty list reads as no prop at all (the store does
#: not keep an empty list natively): only a non-empty one missing natively needs the JSON.
_BITS_PROPS = frozenset({"roles", "activities", "interests", "needs", "access"})


def _not_native(var: str, props: tuple[str, ...]) -> str:
    def missing(p: str) -> str:
        test = f"{var}.{p} IS NULL AND {var}.props_json CONTAINS '\"{p}\":'"
        if p in _BITS_PROPS:
            test += f" AND NOT {var}.props_json CONTAINS '\"{p}\":[]'"
        return f"({test})"

    return " OR ".join(missing(p) for p in props)


@cache
def analysis_nodes(by_area: bool) -> str:
    """Every node (in the areas ``$areas`` when ``by_area``) with the native properties the
    snapshot needs, in id order; ``props`` only where one of them is not native."""
    where = " WHERE (n.area IN $areas OR n.id IN $areas)" if by_area else ""
    fields = ", ".join(f"n.{p} AS {p}" for p in ANALYSIS_NODE_PROPS)
    return (f"MATCH (n:{NODE_LABEL}){where} "
            f"RETURN n.id AS id, n.kind AS kind, n.name AS name, n.area AS area, n.lat AS lat, "
            f"n.lon AS lon, n.consent_suggest AS consent_suggest, n.consent_map AS consent_map, "
            f"{fields}, CASE WHEN {_not_native('n', ANALYSIS_NODE_PROPS)} "
            f"THEN n.props_json ELSE null END AS props ORDER BY id")


#: Every tie with the native properties the snapshot needs (``props`` only where one is not).
ANALYSIS_TIES = (
    f"MATCH (a:{NODE_LABEL})-[r]->(b:{NODE_LABEL}) WHERE type(r) IN $tie_kinds "
    f"AND r.derived IS NULL "
    f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, "
    + ", ".join(f"r.{p} AS {p}" for p in ANALYSIS_TIE_PROPS)
    + f", CASE WHEN {_not_native('r', ANALYSIS_TIE_PROPS)} THEN r.props_json ELSE null END "
    f"AS props")


# --- one person's neighbourhood (issue 16: small queries for the Person page) -----------------
# Read by Neo4jStore.person_neighbourhood (graph/store/neighbourhood.py says what it holds): ties
# of a batch of records, as graph_ties reads them, and candidates by distance.

#: Ties from the records ``$ids`` (of ``$tie_kinds``; derived IN_AREA/PART_OF left out).
NEIGHBOURHOOD_TIES_OUT = (
    f"UNWIND $ids AS i MATCH (a:{NODE_LABEL} {{id: i}})-[r]->(b:{NODE_LABEL}) "
    f"WHERE type(r) IN $tie_kinds AND r.derived IS NULL "
    f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, r.props_json AS props"
)

#: Ties into the records ``$ids`` (of ``$tie_kinds``). Written from the known end (``b``) out:
#: ArcadeDB plans ``(a)-[r]->(b {id: i})`` as a scan of every ``a``.
NEIGHBOURHOOD_TIES_IN = (
    f"UNWIND $ids AS i MATCH (b:{NODE_LABEL} {{id: i}})<-[r]-(a:{NODE_LABEL}) "
    f"WHERE type(r) IN $tie_kinds AND r.derived IS NULL "
    f"RETURN a.id AS src, b.id AS dst, type(r) AS kind, r.props_json AS props"
)

_CONSENTING = " AND n.consent_suggest = true"


@cache
def near_point(kind: str, consenting: bool) -> str:
    """Ids of ``kind`` records within ``$metres`` of ($lat, $lon) (``point.distance``: the point
    index); with ``consenting``, only people who agreed to be suggested."""
    return (f"MATCH (n:{label(kind)}) WHERE n.location IS NOT NULL"
            f"{_CONSENTING if consenting else ''} "
            f"AND point.distance(n.location, point({{latitude: $lat, longitude: $lon}})) "
            f"<= $metres RETURN n.id AS id, n.lat AS lat, n.lon AS lon")


@cache
def near_box(kind: str, consenting: bool) -> str:
    """The same by a box on ``lat``/``lon`` ($south..$north, $west..$east), for a server without
    ``point.distance``: the caller keeps those within the distance."""
    return (f"MATCH (n:{label(kind)}) WHERE n.lat >= $south AND n.lat <= $north "
            f"AND n.lon >= $west AND n.lon <= $east{_CONSENTING if consenting else ''} "
            f"RETURN n.id AS id, n.lat AS lat, n.lon AS lon")


@cache
def no_point(kind: str, consenting: bool) -> str:
    """Ids of ``kind`` records with no known point (a distance cannot leave them out)."""
    return (f"MATCH (n:{label(kind)}) WHERE (n.lat IS NULL OR n.lon IS NULL)"
            f"{_CONSENTING if consenting else ''} RETURN n.id AS id")


@cache
def every_one(kind: str, consenting: bool) -> str:
    """Ids of every ``kind`` record (for a person with no known point: nothing is too far)."""
    return (f"MATCH (n:{label(kind)}) WHERE n.id IS NOT NULL"
            f"{_CONSENTING if consenting else ''} RETURN n.id AS id")
