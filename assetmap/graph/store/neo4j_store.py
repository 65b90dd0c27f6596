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

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import neo4j
import networkx as nx
from neo4j.exceptions import DriverError, IncompleteCommit, Neo4jError

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import DanglingTieError, NotFoundError, StoreError, ValidationError
from assetmap.graph.store import cypher
from assetmap.graph.store.sqlite_store import canonical_tie
from assetmap.model import Node, Tie, check_endpoints

T = TypeVar("T")

#: Environment variables for the connection (they move to assetmap.settings in time).
SCHEMES = frozenset({"neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"})
_TIE_KINDS = sorted(vocab.TIE_KINDS)
_COLUMNS = {"name", "area"}


def _prop_key_ok(key: str) -> bool:
    return key.isidentifier() and key.isascii() and len(key) <= 64


def _dumps(props: dict[str, Any]) -> str:
    # ASCII-only JSON: the exact text survives any server's string handling.
    return json.dumps(props, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def _loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


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


def _store_error(exc: Exception) -> StoreError:
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
        host = parts.netloc.rsplit("@", 1)[-1]
        self.database = database or None
        self.url = f"{parts.scheme}://{host}" + (f"/{self.database}" if self.database else "")
        self.batch_size = batch_size or _settings.load().batch_size
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

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Neo4jStore:
        """Open ``neo4j://user:password@host:7687/database`` (user, password and database may
        instead come from ``ASSETMAP_NEO4J_USER``/``_PASSWORD``/``_DATABASE``)."""
        parts = urlsplit(url)
        env_user, env_password, env_database = _settings.neo4j_credentials()
        user = unquote(parts.username) if parts.username else env_user
        password = unquote(parts.password) if parts.password is not None else env_password
        query = dict(parse_qsl(parts.query))
        database = parts.path.strip("/") or query.pop("database", None) or env_database
        host = parts.netloc.rsplit("@", 1)[-1]
        bare = f"{parts.scheme}://{host}" + (f"?{urlencode(query)}" if query else "")
        return cls(bare, user=user, password=password, database=database, **kwargs)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes if they are missing (safe to run again)."""
        for statement in cypher.schema_statements():
            try:
                self._driver.execute_query(statement, database_=self.database)
            except (DriverError, Neo4jError) as exc:
                raise _store_error(exc) from None

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
            raise _store_error(exc) from None

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
            raise _store_error(exc) from None

    def _write(self, work: Callable[[Any], tuple[T, bool]]) -> T:
        """Run ``work(tx) -> (result, changed)`` in this thread's transaction, or in a managed
        write transaction of its own (retried by the driver) that also bumps the version."""
        state = self._local
        if state.tx is not None:
            try:
                result, changed = work(state.tx)
            except (DriverError, Neo4jError) as exc:
                state.doomed = True  # the server has aborted the transaction
                raise _store_error(exc) from None
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
            raise _store_error(exc) from None

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
            raise _store_error(exc) from None
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
                raise _store_error(exc) from None
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
            rows[node.id] = {"id": node.id, "kind": node.kind, "name": node.name,
                             "area": node.area, "lat": node.lat, "lon": node.lon,
                             "props": _dumps(node.props)}
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
                    {"src": src, "dst": dst, "props": _dumps(tie.props)})
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

    def close(self) -> None:
        """Close the driver (further calls fail)."""
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.url!r})"

    # --- batched reads for merge (issue 12) -------------------------------------------------------

    def get_many(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among ``ids`` that exist, by id (absent ids are simply left out)."""
        found: dict[str, Node] = {}
        for chunk in _chunks(sorted(set(ids)), self.batch_size):
            for rec in self._read(cypher.GET_NODES, ids=chunk):
                found[rec["id"]] = _record_to_node(rec)
        return found
