"""The production store: an area's graph in Neo4j 5 (Community, Enterprise or Aura) over Bolt.

Each node is a Neo4j node labelled ``AssetmapNode`` and its kind (``Person``, ``Group``, ...) with
properties ``id``, ``kind``, ``name``, ``area``, ``lat``, ``lon`` and ``props_json`` (the record's
props as JSON, since Neo4j properties cannot hold maps). Each tie is a relationship whose type is
the tie kind, with ``props_json``. Symmetric ties are stored once, smaller id first, exactly as in
the SQLite store. All Cypher lives in :mod:`assetmap.graph.store.cypher` and takes parameters only.

A single write call runs in one managed transaction (``execute_write``: the driver retries it on
transient errors). :meth:`Neo4jStore.transaction` holds one explicit transaction for the whole
block, so an import lands whole or not at all; see ``docs/neo4j.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import neo4j
from neo4j.exceptions import (
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from assetmap import environment as _environment
from assetmap import vocab
from assetmap.batching import batched as _chunks
from assetmap.errors import DanglingTieError, NotFoundError, StoreError, ValidationError
from assetmap.graph.store import cypher, public_url
from assetmap.model import Node, Tie, canonical_tie, check_endpoints

if TYPE_CHECKING:  # networkx loads on first use: `assetmap info` stays quick (issue 16)
    import networkx as nx

T = TypeVar("T")

#: Environment variables for the connection (they move to assetmap.settings in time).
SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
_TIE_KINDS = sorted(vocab.TIE_KINDS)
_COLUMNS = {"name", "area"}


def _prop_key_ok(key: str) -> bool:
    return key.isidentifier() and key.isascii() and len(key) <= 64


def _dumps(props: dict[str, Any] | list[Any]) -> str:
    # ASCII-only JSON: the exact text survives any server's string handling.
    return json.dumps(props, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def _loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _plain(value: Any) -> Any:
    """A native property as the props JSON held it: a Neo4j date back to its ISO text."""
    to_native = getattr(value, "to_native", None)
    if to_native is not None and not isinstance(value, str | int | float | list):
        value = to_native()
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    return value


def _record_to_node(rec: Any) -> Node:
    return Node(id=rec["id"], kind=rec["kind"], name=rec["name"] or "", area=rec["area"],
                lat=rec["lat"], lon=rec["lon"], props=_loads(rec["props"]))


def _prop_matches(props: dict[str, Any], key: str, value: Any) -> bool:
    """The SQLite store's ``find`` rule for one prop: equal, or a list prop that contains it."""
    got = props.get(key)
    if isinstance(value, bool):
        return isinstance(got, bool) and got is value
    if isinstance(value, dict | list):
        return got == value
    if not isinstance(got, bool) and got == value:
        return True
    return isinstance(got, list) and any(
        not isinstance(v, bool) and v == value and type(v) is not dict for v in got)


def _needle(value: Any) -> str | None:
    """Text that the stored props JSON must contain when a prop matches ``value`` (so the server
    can narrow ``find`` before the exact test here), or None where no such text is certain."""
    if value is None or isinstance(value, float):
        return None  # a missing key matches None; 1.0 may be stored as 1
    if isinstance(value, dict | list):
        return _dumps(value)
    return json.dumps(value, ensure_ascii=True)


#: Node fields kept as columns; a prop of one of these names stays in ``props_json`` only.
_RESERVED = frozenset({"id", "kind", "name", "area", "lat", "lon", "props_json", "location",
                       "consent_suggest", "consent_map", "derived", "geometry"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _native_value(value: Any) -> Any:
    """A prop as a Neo4j property value (a date, a scalar, a list of one scalar type), or None
    where Neo4j has no such type (maps, mixed lists): those stay in ``props_json`` only."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value
    if isinstance(value, bool | float) or (isinstance(value, int)
                                            and -(2 ** 63) <= value < 2 ** 63):
        return value
    if isinstance(value, list) and value:
        kinds = {bool if isinstance(v, bool) else str if isinstance(v, str)
                 else float if isinstance(v, int | float) else None for v in value}
        if len(kinds) == 1 and None not in kinds:
            return [float(v) for v in value] if kinds == {float} else list(value)
    return None


def native_props(props: dict[str, Any]) -> dict[str, Any]:
    """The props as native Neo4j properties (lists for interests, needs and roles; booleans;
    dates), with consent as ``consent_suggest``/``consent_map`` booleans."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if key in _RESERVED or not _prop_key_ok(key):
            continue
        v = _native_value(value)
        if v is not None:
            out[key] = v
    consent = props.get("consent")
    if isinstance(consent, dict):
        for use in vocab.CONSENT_USES:
            if isinstance(consent.get(use), bool):
                out[f"consent_{use}"] = consent[use]
    return out


def _node_fields(node: Node) -> dict[str, Any]:
    return {**native_props(node.props), "id": node.id, "kind": node.kind, "name": node.name,
            "area": node.area, "lat": node.lat, "lon": node.lon,
            "props_json": _dumps(node.props)}


def _tie_fields(props: dict[str, Any]) -> dict[str, Any]:
    return {**native_props(props), "props_json": _dumps(props)}


#: Errors after which a governance write is run again (see ``Neo4jStore.governance_work``).
_CONFLICT_CODES = frozenset({"Neo.ClientError.Schema.ConstraintValidationFailed"})
_CONFLICT_RETRIES = 50

#: The errors that mean the server could not be reached (or was lost mid-request).
_UNREACHABLE = (ServiceUnavailable, SessionExpired, OSError)


def _store_error(exc: Exception, host: str | None = None) -> StoreError:
    if host and (isinstance(exc, _UNREACHABLE) or isinstance(exc.__cause__, _UNREACHABLE)):
        return StoreError(f"could not reach Neo4j at {host}; nothing was written; "
                          "run the import again")
    code = getattr(exc, "code", None) or type(exc).__name__
    return StoreError(f"The Neo4j server refused the request ({code}); nothing was written.")


def _rollback_quietly(tx: Any) -> None:
    # the block's own error is the one to report; a failed rollback leaves the server to abort
    try:
        tx.rollback()
    except (DriverError, Neo4jError):
        pass


class _TxState(threading.local):
    """The explicit transaction a thread holds inside ``transaction()`` blocks."""

    def __init__(self) -> None:
        self.session: neo4j.Session | None = None
        self.tx: neo4j.Transaction | None = None
        self.depth = 0
        self.writes = 0
        self.dirty = False
        self.doomed = False


class Neo4jStore:
    """A :class:`~assetmap.graph.store.GraphStore` in a Neo4j database, over the Bolt protocol."""

    def __init__(self, uri: str, *, user: str | None = None, password: str | None = None,
                 database: str | None = None, batch_size: int | None = None,
                 setup_schema: bool = True, **driver_options: Any):
        parts = urlsplit(uri)
        if parts.scheme.lower() not in SCHEMES:
            raise StoreError(f"{parts.scheme!r} is not a Neo4j URL scheme (neo4j://, bolt://).")
        host = public_url(parts.netloc)  # never the credentials
        self._host = host if ":" in host.rsplit("]", 1)[-1] else f"{host}:7687"
        self.database = database or None
        self.url = f"{parts.scheme}://{host}" + (f"/{self.database}" if self.database else "")
        self._batch_size: int | None = batch_size or None
        auth = (user or "neo4j", password or "") if (user or password) else None
        try:
            self._driver = neo4j.GraphDatabase.driver(uri, auth=auth, **driver_options)
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, ValueError, OSError) as exc:
            raise StoreError(f"Cannot connect to the Neo4j server at {host} "
                             f"({getattr(exc, 'code', None) or type(exc).__name__}).") from None
        self._local = _TxState()
        if setup_schema:
            self.ensure_schema()

    @property
    def batch_size(self) -> int:
        """Rows per batch: as given, else the ``ASSETMAP_BATCH_SIZE`` setting, read on first use
        (the validated settings load only when a batch is cut: `assetmap info` stays quick)."""
        if self._batch_size is None:
            from assetmap import settings  # pydantic: loaded only when needed

            self._batch_size = settings.load().batch_size
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Neo4jStore:
        """Open ``neo4j://user:password@host:7687/database`` (user, password and database may
        instead come from ``ASSETMAP_NEO4J_USER``/``_PASSWORD``/``_DATABASE``)."""
        parts = urlsplit(url)
        env_user, env_password, env_database = _environment.neo4j_credentials()
        user = unquote(parts.username) if parts.username else env_user
        password = unquote(parts.password) if parts.password is not None else env_password
        query = dict(parse_qsl(parts.query))
        database = parts.path.strip("/") or query.pop("database", "") or env_database
        host = public_url(parts.netloc)  # never the credentials
        bare = f"{parts.scheme}://{host}" + (f"?{urlencode(query)}" if query else "")
        return cls(bare, user=user, password=password, database=database, **kwargs)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes if they are missing, and bring an older store's
        records to the native schema (safe to run again; one read when already done)."""
        try:
            rows = self._driver.execute_query(cypher.SCHEMA_OF, database_=self.database).records
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None
        if rows and (rows[0]["schema"] or 0) >= cypher.SCHEMA_VERSION:
            self.point_index = None  # made when the schema was (not known without asking)
            return
        for statement in cypher.schema_statements():
            try:
                self._driver.execute_query(statement, database_=self.database)
            except (DriverError, Neo4jError) as exc:
                raise _store_error(exc, self._host) from None
        try:
            self._driver.execute_query(cypher.POINT_INDEX, database_=self.database)
            self.point_index = True
        except Neo4jError:
            # a Bolt server without point indexes (some stand-ins): locations are still points,
            # distance queries scan instead (tests/test_neo4j_native.py runs this fallback)
            self.point_index = False
        except DriverError as exc:
            raise _store_error(exc, self._host) from None
        self.migrate()

    def migrate(self) -> int:
        """Rewrite records stored before schema 2 (props only as JSON) with native properties,
        ``location`` points and area relationships; return how many nodes were rewritten.
        Idempotent: a store already at schema 2 is left alone."""
        rows = self._read(cypher.SCHEMA_OF)
        if rows and (rows[0]["schema"] or 0) >= cypher.SCHEMA_VERSION:
            return 0
        nodes = list(self.nodes())
        ties = list(self.ties())
        with self.transaction():
            tx = self._local.tx
            assert tx is not None  # transaction() holds one
            if nodes:
                # same content: the re-derived properties are written without a version bump
                for chunk in _chunks(nodes, self.batch_size):
                    tx.run(cypher.UPDATE_NODES, rows=[{"id": n.id, "fields": _node_fields(n)}
                                                      for n in chunk]).consume()
                by_kind: dict[str, list[dict[str, Any]]] = {}
                for t in ties:
                    by_kind.setdefault(t.kind, []).append(
                        {"src": t.src, "dst": t.dst, "fields": _tie_fields(t.props)})
                for kind, kind_rows in by_kind.items():
                    for tie_chunk in _chunks(kind_rows, self.batch_size):
                        tx.run(cypher.merge_ties(kind), rows=tie_chunk).consume()
                self._link_areas(tx, [n.id for n in nodes],
                                 [n.id for n in nodes if n.kind == vocab.AREA])
            tx.run(cypher.SET_SCHEMA, schema=cypher.SCHEMA_VERSION).consume()
        return len(nodes)

    # --- running Cypher ---------------------------------------------------------------------------

    def _session(self, write: bool = True) -> neo4j.Session:
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _read(self, query: str, **params: Any) -> list[Any]:
        """A small read: on this thread's open transaction, or a managed read transaction."""
        tx = self._local.tx
        try:
            if tx is not None:
                return list(tx.run(query, params))
            with self._session(write=False) as session:
                return session.execute_read(lambda t: list(t.run(query, params)))
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None

    def _stream(self, query: str, **params: Any) -> Iterator[Any]:
        """Records one at a time (the driver fetches them in batches), never all at once."""
        tx = self._local.tx
        try:
            if tx is not None:
                yield from tx.run(query, params)
                return
            with self._session(write=False) as session:
                yield from session.run(query, params)
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None

    def _write(self, work: Callable[[Any], tuple[T, bool]]) -> T:
        """Run ``work(tx) -> (result, changed)`` in this thread's transaction, or in a managed
        write transaction of its own (retried by the driver) that also bumps the version."""
        state = self._local
        if state.tx is not None:
            try:
                result, changed = work(state.tx)
            except (DriverError, Neo4jError) as exc:
                state.doomed = True  # the server has aborted the transaction
                raise _store_error(exc, self._host) from None
            state.dirty = state.dirty or changed
            return result

        def managed(tx: Any) -> T:
            result, changed = work(tx)
            if changed:
                tx.run(cypher.BUMP_VERSION).consume()
            return result

        try:
            with self._session() as session:
                return session.execute_write(managed)
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None

    def _wrote(self) -> None:
        """Note that the open transaction now holds writes (called just before the first one)."""
        self._local.writes += 1

    # --- transactions -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Neo4jStore]:
        """One explicit Neo4j transaction for the block: every write in it commits together, or
        none does if the block raises.

        Neo4j has no savepoints, so a nested block joins the outer one. If a nested block raises
        after it wrote something, the outer transaction can only roll back whole: leaving the
        outer block normally then raises StoreError. A nested block that raises before writing
        (a batch refused by validation) leaves the outer transaction usable.
        """
        state = self._local
        if state.tx is not None:
            writes_before = state.writes
            state.depth += 1
            try:
                yield self
            except BaseException:
                if state.writes != writes_before:
                    state.doomed = True
                raise
            finally:
                state.depth -= 1
            return
        session = self._session()
        try:
            tx = session.begin_transaction()
        except (DriverError, Neo4jError) as exc:
            session.close()
            raise _store_error(exc, self._host) from None
        state.session, state.tx, state.depth = session, tx, 1
        state.writes, state.dirty, state.doomed = 0, False, False
        try:
            try:
                yield self
            except BaseException:
                _rollback_quietly(tx)
                raise
            if state.doomed:
                _rollback_quietly(tx)
                raise StoreError("Part of this transaction failed after writing, and Neo4j "
                                 "cannot undo part of a transaction: nothing was written.")
            try:
                if state.dirty:
                    tx.run(cypher.BUMP_VERSION).consume()
                tx.commit()
            except IncompleteCommit:
                raise StoreError("The connection to Neo4j was lost while committing: check "
                                 "whether the changes landed before running them again.") \
                    from None
            except (DriverError, Neo4jError) as exc:
                raise _store_error(exc, self._host) from None
        finally:
            state.session, state.tx, state.depth = None, None, 0
            try:
                tx.close()
            finally:
                session.close()

    def version(self) -> int:
        """A counter bumped by every committed change (a cache key for the UI)."""
        rows = self._read(cypher.VERSION)
        return int(rows[0]["version"]) if rows else 0

    # --- writes -----------------------------------------------------------------------------------

    def _link_areas(self, tx: Any, ids: list[str], area_ids: list[str]) -> None:
        """Re-derive the IN_AREA / PART_OF relationships of the written records (and of records
        that name a newly written area), in the writing transaction."""
        for chunk in _chunks(ids, self.batch_size):
            tx.run(cypher.UNLINK_AREAS, ids=chunk).consume()
            tx.run(cypher.LINK_IN_AREA, ids=chunk).consume()
            tx.run(cypher.LINK_PART_OF, ids=chunk).consume()
        for chunk in _chunks(area_ids, self.batch_size):
            tx.run(cypher.LINK_INTO_AREAS, ids=chunk).consume()
            tx.run(cypher.LINK_CHILD_AREAS, ids=chunk).consume()

    def _kinds_of(self, tx: Any, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(ids)), self.batch_size):
            for rec in tx.run(cypher.KINDS_OF, ids=chunk):
                found[rec["id"]] = rec["kind"]
        return found

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        """Insert or update nodes by id; a node cannot change kind. All are validated (and kinds
        checked against the store) before anything is written, so a bad record writes nothing."""
        rows: dict[str, dict[str, Any]] = {}
        for node in nodes:
            node.validate()
            earlier = rows.pop(node.id, None)
            if earlier is not None and earlier["kind"] != node.kind:
                raise ValidationError(
                    f"record {node.id!r} is given as both a {earlier['kind']} and a {node.kind}.",
                    field="kind", record=node.id)
            rows[node.id] = {"id": node.id, "kind": node.kind, "fields": _node_fields(node)}
        if not rows:
            return 0

        def work(tx: Any) -> tuple[int, bool]:
            existing = self._kinds_of(tx, rows)
            for node_id, kind in existing.items():
                if rows[node_id]["kind"] != kind:
                    raise ValidationError(
                        f"record {node_id!r} is already a {kind}; it cannot become a "
                        f"{rows[node_id]['kind']}.", field="kind", record=node_id)
            new: dict[str, list[dict[str, Any]]] = {}
            for row in rows.values():
                if row["id"] not in existing:
                    new.setdefault(row["kind"], []).append(row)
            self._wrote()
            for kind, kind_rows in new.items():
                for chunk in _chunks(kind_rows, self.batch_size):
                    tx.run(cypher.create_nodes(kind), rows=chunk).consume()
            updates = [row for row in rows.values() if row["id"] in existing]
            for chunk in _chunks(updates, self.batch_size):
                tx.run(cypher.UPDATE_NODES, rows=chunk).consume()
            self._link_areas(tx, list(rows), [r["id"] for r in rows.values()
                                              if r["kind"] == vocab.AREA])
            return len(rows), True

        return self._write(work)

    def upsert_ties(self, ties: Iterable[Tie]) -> int:
        """Insert or update ties by (src, dst, kind); both ends must already be in the store.
        Every tie is checked before anything is written."""
        given: dict[tuple[str, str, str], Tie] = {}
        for tie in ties:
            tie.validate()
            src, dst = canonical_tie(tie.src, tie.dst, tie.kind)
            given.pop((src, dst, tie.kind), None)
            given[(src, dst, tie.kind)] = tie
        if not given:
            return 0

        def work(tx: Any) -> tuple[int, bool]:
            kinds = self._kinds_of(tx, (i for key in given for i in key[:2]))
            by_kind: dict[str, list[dict[str, Any]]] = {}
            for (src, dst, kind), tie in given.items():
                for end in (tie.src, tie.dst):
                    if end not in kinds:
                        raise DanglingTieError(
                            f"The {tie.kind} tie from {tie.src!r} to {tie.dst!r} names "
                            f"{end!r}, which is not in the store.")
                check_endpoints(tie, kinds[tie.src], kinds[tie.dst])
                by_kind.setdefault(kind, []).append(
                    {"src": src, "dst": dst, "fields": _tie_fields(tie.props)})
            self._wrote()
            for kind, kind_rows in by_kind.items():
                for chunk in _chunks(kind_rows, self.batch_size):
                    tx.run(cypher.merge_ties(kind), rows=chunk).consume()
            return len(given), True

        return self._write(work)

    def delete(self, node_id: str) -> None:
        """Remove a node and every tie touching it (a person's erasure)."""

        def work(tx: Any) -> tuple[int, bool]:
            deleted = tx.run(cypher.DELETE_NODE, id=node_id).single()["deleted"]
            if not deleted:
                raise NotFoundError(f"No record with id {node_id!r}.")
            self._wrote()
            return deleted, True

        self._write(work)

    def delete_tie(self, src: str, dst: str, kind: str) -> None:
        """Remove one tie if it exists (symmetric ties in either direction)."""
        if kind not in vocab.TIE_KINDS:
            return
        s, d = canonical_tie(src, dst, kind)

        def work(tx: Any) -> tuple[int, bool]:
            deleted = tx.run(cypher.delete_tie(kind), src=s, dst=d).single()["deleted"]
            if deleted:
                self._wrote()
                if kind == "IN_AREA":  # the record may still lie in that area by its column
                    tx.run(cypher.LINK_IN_AREA, ids=[s]).consume()
            return deleted, bool(deleted)

        self._write(work)

    # --- reads ------------------------------------------------------------------------------------

    def get(self, node_id: str) -> Node:
        """The node with this id, or NotFoundError."""
        rows = self._read(cypher.GET_NODE, id=node_id)
        if not rows:
            raise NotFoundError(f"No record with id {node_id!r}.")
        return _record_to_node(rows[0])

    def get_tie(self, src: str, dst: str, kind: str) -> Tie:
        """The tie (src, dst, kind) as stored, or NotFoundError."""
        s, d = canonical_tie(src, dst, kind)
        rows = self._read(cypher.get_tie(kind), src=s, dst=d) if kind in vocab.TIE_KINDS else []
        if not rows:
            raise NotFoundError(f"No {kind} tie between {src!r} and {dst!r}.")
        return Tie(s, d, kind, _loads(rows[0]["props"]))

    def neighbours(self, node_id: str,
                   kinds: Iterable[str] | None = None) -> list[tuple[Tie, Node]]:
        """Ties touching ``node_id`` (optionally of these kinds), with the node at the other end."""
        tie_kinds = _TIE_KINDS if kinds is None else sorted(set(kinds) & set(vocab.TIE_KINDS))
        rows = self._read(cypher.NEIGHBOURS, id=node_id, tie_kinds=tie_kinds)
        return [(Tie(r["src"], r["dst"], r["tie_kind"], _loads(r["tie_props"])),
                 _record_to_node(r)) for r in rows]

    def find(self, kind: str | None = None, **filters: Any) -> Iterator[Node]:
        """Nodes of ``kind`` matching every filter: ``name``/``area`` equal (matched by the
        server), or a prop equal to the value, or a list prop containing it."""
        props: dict[str, Any] = {}
        for key, value in filters.items():
            if key not in _COLUMNS:
                if not _prop_key_ok(key):
                    raise ValidationError(f"{key!r} is not a field that can be searched.",
                                          field=key)
                props[key] = value
        if kind is not None and kind not in vocab.NODE_KINDS:
            return iter(())
        params = {k: filters[k] for k in _COLUMNS & filters.keys()}
        needles = [n for n in (_needle(v) for v in props.values()) if n is not None]
        params.update({f"needle{i}": n for i, n in enumerate(needles)})
        query = cypher.find_nodes(kind, "name" in filters, "area" in filters, len(needles))
        records = self._stream(query, **params)
        nodes = (_record_to_node(r) for r in records)
        return (n for n in nodes
                if all(_prop_matches(n.props, k, v) for k, v in props.items()))

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nodes by kind and ties by kind, in one read transaction: each a count by label or
        type (Neo4j answers from its counts store), not a scan (``assetmap info``)."""
        def work(tx: Any) -> tuple[dict[str, int], dict[str, int]]:
            nodes = {k: int(tx.run(cypher.count_nodes(k)).single()["n"])
                     for k in vocab.NODE_KINDS}
            ties = {k: int(tx.run(cypher.count_ties(k)).single()["n"]) for k in vocab.TIE_KINDS}
            return nodes, ties

        try:
            with self._session(write=False) as session:
                return session.execute_read(work)
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None

    def count(self, kind: str | None = None) -> int:
        """How many nodes (of a kind)."""
        if kind is not None and kind not in vocab.NODE_KINDS:
            return 0
        return int(self._read(cypher.count_nodes(kind))[0]["n"])

    def count_ties(self, kind: str | None = None) -> int:
        """How many ties (of a kind)."""
        if kind is not None and kind not in vocab.TIE_KINDS:
            return 0
        return int(self._read(cypher.count_ties(kind), tie_kinds=_TIE_KINDS)[0]["n"])

    def nodes(self) -> Iterator[Node]:
        """Every node in id order, streamed."""
        return (_record_to_node(r) for r in self._stream(cypher.ALL_NODES))

    def ties(self) -> Iterator[Tie]:
        """Every tie in (src, dst, kind) order, streamed."""
        return (Tie(r["src"], r["dst"], r["kind"], _loads(r["props"]))
                for r in self._stream(cypher.ALL_TIES, tie_kinds=_TIE_KINDS))

    def _areas_within(self, area: str) -> list[str]:
        """``area`` and every Area whose ``parent`` chain reaches it."""
        children: dict[str, list[str]] = {}
        for rec in self._stream(cypher.AREA_PARENTS):
            parent = _loads(rec["props"]).get("parent")
            if isinstance(parent, str):
                children.setdefault(parent, []).append(rec["id"])
        found, todo = {area}, [area]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return sorted(found)

    def to_networkx(self, area: str | None = None,
                    kinds: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """Nodes in ``area`` (or any area inside it) of node ``kinds``, and the ties among them,
        streamed from the server straight into the graph."""
        params: dict[str, Any] = {"tie_kinds": _TIE_KINDS}
        if area is not None:
            params["areas"] = self._areas_within(area)
        if kinds is not None:
            params["kinds"] = sorted(set(kinds))
        by_area, by_kind = area is not None, kinds is not None
        import networkx as nx

        G = nx.MultiDiGraph()
        for rec in self._stream(cypher.graph_nodes(by_area, by_kind), **params):
            attrs = _loads(rec["props"])
            attrs.update(kind=rec["kind"], name=rec["name"] or "", area=rec["area"],
                         lat=rec["lat"], lon=rec["lon"])
            G.add_node(rec["id"], **attrs)
        classes = vocab.TIE_KINDS
        for rec in self._stream(cypher.graph_ties(by_area, by_kind), **params):
            src, dst, kind = rec["src"], rec["dst"], rec["kind"]
            if src not in G or dst not in G:
                continue
            attrs = _loads(rec["props"])
            attrs.update(kind=kind, tie_class=classes[kind])
            G.add_edge(src, dst, key=kind, **attrs)
        return G

    def scrub(self) -> None:
        """Nothing to rewrite from here: Neo4j drops deleted records from its store files itself;
        its transaction logs keep them until they rotate (docs/privacy.md says what to do)."""

    def close(self) -> None:
        """Close the driver (further calls fail)."""
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.url!r})"

    # --- the analysis snapshot's read (issue 13) -----------------------------------------------
    # Snapshot.from_store reads these (as it reads the SQLite store's columns): native properties,
    # streamed, each record's props JSON decoded only where a prop it needs is not native.

    def analysis_nodes(self, area: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Every node (in ``area`` or an area inside it) as ``(id, kind, name, area, lat, lon,
        *ANALYSIS_COLUMNS)`` in id order, streamed from the native properties."""
        from assetmap.model import analysis_fields

        params: dict[str, Any] = {}
        if area is not None:
            params["areas"] = self._areas_within(area)
        names = cypher.ANALYSIS_NODE_PROPS
        for rec in self._stream(cypher.analysis_nodes(area is not None), **params):
            if rec["props"] is not None:
                props = _loads(rec["props"])
            else:
                props = {k: _plain(rec[k]) for k in names if rec[k] is not None}
                if rec["consent_suggest"] is not None or rec["consent_map"] is not None:
                    props["consent"] = {"suggest": rec["consent_suggest"],
                                        "map": rec["consent_map"]}
            yield (rec["id"], rec["kind"], rec["name"], rec["area"], rec["lat"], rec["lon"],
                   *analysis_fields(rec["kind"], props))

    def analysis_ties(self) -> Iterator[tuple[Any, ...]]:
        """Every tie as ``(src, dst, kind, via, role, days, until, weight)``, streamed from the
        native properties."""
        from assetmap.model import tie_fields

        names = cypher.ANALYSIS_TIE_PROPS
        for rec in self._stream(cypher.ANALYSIS_TIES, tie_kinds=_TIE_KINDS):
            if rec["props"] is not None:
                props = _loads(rec["props"])
            else:
                props = {k: _plain(rec[k]) for k in names if rec[k] is not None}
            w = props.get("weight")
            weight = (float(w) if not isinstance(w, bool) and isinstance(w, int | float)
                      and 0.0 < float(w) < float("inf") else None)  # as tie_weight in sqlite
            yield (rec["src"], rec["dst"], rec["kind"], *tie_fields(props), weight)

    # --- governance in the server (issue 16) ------------------------------------------------------
    # Accounts, caseloads, sessions, throttles, tombstones and the audit log as nodes of their own
    # labels (never AssetmapNode): see assetmap.governance.access_neo4j.

    def governance_schema(self, statements: Iterable[str]) -> None:
        """Create the governance constraints and indexes if missing: once per database (a
        bookkeeping node records it), so opening the access data costs one read after that."""
        if getattr(self, "_governance_ready", False):
            return
        try:
            rows = self._driver.execute_query(cypher.GOV_SCHEMA_OF,
                                              database_=self.database).records
            if not rows or (rows[0]["schema"] or 0) < cypher.GOVERNANCE_SCHEMA_VERSION:
                for statement in statements:
                    self._driver.execute_query(statement, database_=self.database)
                self._driver.execute_query(cypher.GOV_SET_SCHEMA,
                                           {"schema": cypher.GOVERNANCE_SCHEMA_VERSION},
                                           database_=self.database)
        except (DriverError, Neo4jError) as exc:
            raise _store_error(exc, self._host) from None
        self._governance_ready = True

    def governance_work(self, work: Callable[[Any], T], write: bool = True) -> T:
        """Run ``work(tx)`` in a managed transaction of its own session (retried by the driver on
        transient errors), never in a store transaction this thread holds: an audit row or a
        sign-in is written whatever becomes of the caller's import.

        A write that loses a race on a unique constraint (two app servers numbering the same
        audit row, or making the same throttle line, on a server that checks at commit rather
        than locking) was rolled back whole: it runs again, reading what the winner wrote."""
        import random
        import time

        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                with self._session(write=write) as session:
                    if write:
                        return session.execute_write(work)
                    return session.execute_read(work)
            except Neo4jError as exc:
                if not (write and exc.code in _CONFLICT_CODES and attempt < _CONFLICT_RETRIES):
                    raise _store_error(exc, self._host) from None
            except DriverError as exc:
                raise _store_error(exc, self._host) from None
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter only
        raise AssertionError("unreachable")  # pragma: no cover

    # --- batched reads for merge (issue 12) -------------------------------------------------------

    def get_many(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among ``ids`` that exist, by id (absent ids are simply left out)."""
        found: dict[str, Node] = {}
        for chunk in _chunks(sorted(set(ids)), self.batch_size):
            for rec in self._read(cypher.GET_NODES, ids=chunk):
                found[rec["id"]] = _record_to_node(rec)
        return found

    # --- person records: measures, goals and ratings (issue 18) -----------------------------------
    # Records about people kept beside the graph (AssetmapRecord nodes, never AssetmapNode, tied to
    # nothing), so they stay out of to_networkx and the counts; see assetmap.records.

    def _record_schema(self) -> None:
        # Schema changes cannot share a transaction with writes: made once, outside any block.
        if getattr(self, "_records_ready", False) or self._local.tx is not None:
            return
        for statement in cypher.RECORD_SCHEMA:
            try:
                self._driver.execute_query(statement, database_=self.database)
            except (DriverError, Neo4jError) as exc:
                raise _store_error(exc, self._host) from None
        self._records_ready = True

    def add_records(self, records: Iterable[Any]) -> int:
        """Insert or replace person records by id (validated first); return how many."""
        rows = []
        for rec in records:
            rec.validate()
            rows.append({"id": rec.id, "kind": rec.kind, "person_id": rec.person_id,
                         "subject_id": rec.subject_id, "date": rec.date,
                         "data": _dumps(rec.data)})
        if not rows:
            return 0
        self._record_schema()

        def work(tx: Any) -> tuple[int, bool]:
            self._wrote()
            for chunk in _chunks(rows, self.batch_size):
                tx.run(cypher.UPSERT_RECORDS, rows=chunk).consume()
            return len(rows), True

        return self._write(work)

    def records(self, kind: str | None = None, person_id: str | None = None,
                subject_ids: Iterable[str] | None = None) -> list[Any]:
        """Person records (of a kind, of a person, about some subjects), by date then id."""
        from assetmap.records import PersonRecord

        subjects = sorted(set(subject_ids)) if subject_ids is not None else None
        if subjects is not None and not subjects:
            return []
        self._record_schema()
        rows = self._read(cypher.RECORDS, kind=kind, person_id=person_id, subject_ids=subjects)
        return [PersonRecord(id=r["id"], kind=r["kind"], person_id=r["person_id"],
                             subject_id=r["subject_id"], date=r["date"], data=_loads(r["data"]))
                for r in rows]

    def delete_records(self, person_id: str) -> int:
        """Remove every record a person holds (their erasure); return how many went."""
        self._record_schema()

        def work(tx: Any) -> tuple[int, bool]:
            deleted = int(tx.run(cypher.DELETE_RECORDS, person_id=person_id).single()["deleted"])
            if deleted:
                self._wrote()
            return deleted, bool(deleted)

        return self._write(work)

    # --- postcode lookup (issue 11) ---------------------------------------------------------------
    # A lookup imported into the store is kept (AssetmapPostcode nodes, never AssetmapNode, tied to
    # nothing), so later imports place people by postcode; see assetmap.ingest.postcodes.

    def _postcode_schema(self) -> None:
        # Schema changes cannot share a transaction with writes: made once, outside any block
        # (callers read count_postcodes() before opening one, which makes it).
        if getattr(self, "_postcodes_ready", False) or self._local.tx is not None:
            return
        for statement in cypher.POSTCODE_SCHEMA:
            try:
                self._driver.execute_query(statement, database_=self.database)
            except (DriverError, Neo4jError) as exc:
                raise _store_error(exc, self._host) from None
        self._postcodes_ready = True

    def upsert_postcodes(self, rows: Iterable[Any]) -> int:
        """Insert or replace lookup entries (postcode, lat, lon, lsoa, ward, terminated) by
        postcode; return how many were given."""
        values = [{"postcode": str(r[0]), "lat": r[1], "lon": r[2], "lsoa": r[3], "ward": r[4],
                   "terminated": bool(r[5])} for r in rows]
        if not values:
            return 0
        self._postcode_schema()

        def work(tx: Any) -> tuple[int, bool]:
            self._wrote()
            for chunk in _chunks(values, self.batch_size):
                tx.run(cypher.UPSERT_POSTCODES, rows=chunk).consume()
            return len(values), True

        return self._write(work)

    def postcodes(self, outward: str | None = None) -> Iterator[Any]:
        """The kept lookup as (postcode, lat, lon, lsoa, ward, terminated), in postcode order;
        with ``outward`` ("M5"), only that postcode district. Streamed."""
        self._postcode_schema()
        return ((r["postcode"], r["lat"], r["lon"], r["lsoa"], r["ward"], bool(r["terminated"]))
                for r in self._stream(cypher.POSTCODES, outward=outward))

    def count_postcodes(self) -> int:
        """How many postcodes the kept lookup holds."""
        self._postcode_schema()
        return int(self._read(cypher.COUNT_POSTCODES)[0]["n"])

    # --- small queries for small questions (issue 16) ---------------------------------------------
    # One place's or one point's question, answered by one parameterised read (never a
    # whole-graph load); the SQLite store answers the same with SQL. See graph/store/cookbook.py.

    def groups_near(self, lat: float, lon: float, km: float) -> list[dict[str, Any]]:
        """Open groups within ``km`` of (lat, lon), nearest first: ``point.distance`` (the point
        index) where the server has it, else a bounding box on ``lat``/``lon`` refined here."""
        from assetmap.graph.store.cookbook import bounding_box, within_km

        if not getattr(self, "_no_point_distance", False):
            try:
                rows = self._read(cypher.GROUPS_NEAR_POINT, lat=float(lat), lon=float(lon),
                                  metres=float(km) * 1000)
                return [{"id": r["id"], "name": r["name"], "lat": r["lat"], "lon": r["lon"],
                         "km": float(r["metres"]) / 1000} for r in rows]
            except StoreError:
                self._no_point_distance = True  # not on this server: the box from now on
        rows = self._read(cypher.GROUPS_IN_BOX, **bounding_box(float(lat), float(lon), km))
        return within_km(rows, float(lat), float(lon), km)

    def place_dependants(self, place_id: str) -> list[dict[str, Any]]:
        """People tied to one group or organisation (or a group it runs) by ATTENDS or
        VOLUNTEERS_AT: person_id, place_id, tie_kind."""
        rows = self._read(cypher.PLACE_DEPENDANTS, id=place_id,
                          membership=["ATTENDS", "VOLUNTEERS_AT"])
        return [{"person_id": r["person_id"], "place_id": r["place_id"],
                 "tie_kind": r["tie_kind"]} for r in rows]

    def get_ties_many(self, keys: Iterable[tuple[str, str, str]]
                      ) -> dict[tuple[str, str, str], Tie]:
        """The ties among ``keys`` ((src, dst, kind)) that exist, as stored, by the key as given
        (a symmetric tie found whichever way round it is asked); absent ones are left out. One
        read per tie kind and batch (issue 12: a tie merge reads no tie on its own)."""
        wanted: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
        for key in keys:
            s, d = canonical_tie(key[0], key[1], key[2])
            wanted.setdefault((s, d, key[2]), []).append(key)
        by_kind: dict[str, list[list[str]]] = {}
        for s, d, kind in wanted:
            if kind in vocab.TIE_KINDS:
                by_kind.setdefault(kind, []).append([s, d])
        found: dict[tuple[str, str, str], Tie] = {}
        for kind, pairs in sorted(by_kind.items()):
            for chunk in _chunks(pairs, self.batch_size):
                for rec in self._read(cypher.get_ties(kind), pairs=chunk):
                    tie = Tie(rec["src"], rec["dst"], kind, _loads(rec["props"]))
                    for asked in wanted.get((tie.src, tie.dst, kind), ()):
                        found[asked] = tie
        return found

    # --- one person's neighbourhood (issue 16: small queries for small questions) --------------

    def person_neighbourhood(self, person_id: str, km: float,
                             place_km: float | None = None) -> nx.MultiDiGraph:
        """The small graph the Person page reads for one person, in ``to_networkx``'s shape, from
        a few batched queries instead of the whole graph: what it holds and why is
        :mod:`assetmap.graph.store.neighbourhood`."""
        from assetmap.graph.store.neighbourhood import build_neighbourhood

        return build_neighbourhood(_Neo4jNeighbourhood(self), person_id, km, place_km)


class _Neo4jNeighbourhood:
    """:class:`assetmap.graph.store.neighbourhood.NeighbourhoodSource` over a Neo4j store's
    parameterised reads (``cypher``'s neighbourhood block)."""

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def nodes(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(ids)), self.store.batch_size):
            for rec in self.store._read(cypher.GET_NODES, ids=chunk):
                attrs = _loads(rec["props"])
                attrs.update(kind=rec["kind"], name=rec["name"] or "", area=rec["area"],
                             lat=rec["lat"], lon=rec["lon"])
                out[rec["id"]] = attrs
        return out

    def ties(self, ids: Iterable[str], kinds: Iterable[str] | None = None,
             incoming: str | None = None) -> list[tuple[str, str, str, dict[str, Any]]]:
        tie_kinds = [incoming] if incoming else sorted(kinds) if kinds is not None else _TIE_KINDS
        queries = (cypher.NEIGHBOURHOOD_TIES_IN,) if incoming else (
            cypher.NEIGHBOURHOOD_TIES_OUT, cypher.NEIGHBOURHOOD_TIES_IN)
        classes = vocab.TIE_KINDS
        out = []
        for chunk in _chunks(sorted(set(ids)), self.store.batch_size):
            for query in queries:
                for rec in self.store._read(query, ids=chunk, tie_kinds=tie_kinds):
                    attrs = _loads(rec["props"])
                    attrs.update(kind=rec["kind"], tie_class=classes[rec["kind"]])
                    out.append((rec["src"], rec["dst"], rec["kind"], attrs))
        return out

    def near(self, kinds: Iterable[str], lat: float | None, lon: float | None, km: float,
             consenting: bool = False) -> list[str]:
        from assetmap.graph.store.cookbook import bounding_box
        from assetmap.graph.store.neighbourhood import reach_km, within_reach

        store = self.store
        ids: list[str] = []
        reach = reach_km(km)
        for kind in sorted(set(kinds)):
            if lat is None or lon is None:
                ids += [r["id"] for r in store._read(cypher.every_one(kind, consenting))]
                continue
            ids += [r["id"] for r in store._read(cypher.no_point(kind, consenting))]
            rows = None
            if not getattr(store, "_no_point_distance", False):
                try:  # the point index, a little wide; then kept by haversine as analyses do
                    rows = store._read(cypher.near_point(kind, consenting), lat=float(lat),
                                       lon=float(lon), metres=reach * 1010)
                except StoreError:
                    store._no_point_distance = True  # not on this server: the box from now on
            if rows is None:
                rows = store._read(cypher.near_box(kind, consenting),
                                   **bounding_box(float(lat), float(lon), reach))
            ids += [r["id"] for r in rows
                    if within_reach(float(lat), float(lon), r["lat"], r["lon"], km)]
        return ids
