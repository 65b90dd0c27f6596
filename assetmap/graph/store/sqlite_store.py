"""The embedded default store: one SQLite file (WAL, foreign keys on), no server to install.

Nodes and ties are rows keyed by stable ids; kind-specific fields live in a JSON ``props`` column.
Every write call is atomic on its own, and :meth:`SQLiteStore.transaction` groups many calls so
they land together or not at all. All SQL lives in this module and takes parameters only.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import networkx as nx

from assetmap import vocab
from assetmap.errors import DanglingTieError, NotFoundError, StoreError, ValidationError
from assetmap.model import Node, Tie, check_endpoints

SCHEMA_VERSION = 1
_CHUNK = 5_000
_MAX_PARAMS = 900  # well under SQLite's default limit on host parameters
_PROP_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_COLUMNS = {"name", "area", "kind"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    name  TEXT NOT NULL DEFAULT '',
    area  TEXT,
    lat   REAL,
    lon   REAL,
    props TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nodes_kind ON nodes (kind);
CREATE INDEX IF NOT EXISTS nodes_area ON nodes (area);
CREATE TABLE IF NOT EXISTS ties (
    src   TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    dst   TEXT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    kind  TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (src, dst, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ties_dst ON ties (dst, kind);
CREATE INDEX IF NOT EXISTS ties_kind ON ties (kind);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
INSERT OR IGNORE INTO meta (key, value) VALUES ('version', '0');
"""

_UPSERT_NODE = """
INSERT INTO nodes (id, kind, name, area, lat, lon, props) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, area = excluded.area, lat = excluded.lat, lon = excluded.lon,
    props = excluded.props
WHERE nodes.name IS NOT excluded.name OR nodes.area IS NOT excluded.area
   OR nodes.lat IS NOT excluded.lat OR nodes.lon IS NOT excluded.lon
   OR nodes.props IS NOT excluded.props
"""

_UPSERT_TIE = """
INSERT INTO ties (src, dst, kind, props) VALUES (?, ?, ?, ?)
ON CONFLICT (src, dst, kind) DO UPDATE SET props = excluded.props
WHERE ties.props IS NOT excluded.props
"""

_SUBAREAS = """
WITH RECURSIVE sub (id) AS (
    SELECT ?
    UNION
    SELECT n.id FROM nodes AS n JOIN sub ON json_extract(n.props, '$.parent') = sub.id
    WHERE n.kind = 'Area'
)
"""


def _dumps(props: dict[str, Any]) -> str:
    return json.dumps(props, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def canonical_tie(src: str, dst: str, kind: str) -> tuple[str, str]:
    """The stored direction of a tie: symmetric kinds are stored once, smaller id first."""
    if kind in vocab.SYMMETRIC_TIES and dst < src:
        return dst, src
    return src, dst


def _row_to_node(row: Sequence[Any]) -> Node:
    return Node(id=row[0], kind=row[1], name=row[2], area=row[3], lat=row[4], lon=row[5],
                props=json.loads(row[6]))


class SQLiteStore:
    """A :class:`~assetmap.graph.store.GraphStore` in one SQLite file."""

    def __init__(self, path: str | Path, *, batch_size: int = _CHUNK):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self.batch_size = batch_size
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                                       timeout=30.0)
        except sqlite3.Error as exc:
            raise StoreError(f"The store file {self.path} cannot be opened ({exc}).") from None
        self._lock = threading.RLock()
        self._depth = 0
        self._dirty = False
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"The file {self.path} is not an assetmap store ({exc}).") from None

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """Open ``sqlite:///relative.db`` or ``sqlite:////absolute/path.db`` (as SQLAlchemy)."""
        prefix = "sqlite:///"
        if not url.startswith(prefix) or len(url) == len(prefix):
            raise StoreError(f"{url!r} is not a sqlite:///path.db URL.")
        return cls(unquote(url[len(prefix):]))

    # --- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[SQLiteStore]:
        """Group writes: all of them land when the block ends, none if it raises."""
        with self._lock:
            depth = self._depth
            savepoint = f"sp{depth}"
            if depth == 0:
                self._db.execute("BEGIN IMMEDIATE")
                self._dirty = False
            else:
                self._db.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self._db.execute("ROLLBACK")
                    self._dirty = False
                else:
                    self._db.execute(f"ROLLBACK TO {savepoint}")
                    self._db.execute(f"RELEASE {savepoint}")
                raise
            else:
                self._depth -= 1
                if depth == 0:
                    if self._dirty:
                        self._db.execute(
                            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                            "WHERE key = 'version'")
                    self._db.execute("COMMIT")
                    self._dirty = False
                else:
                    self._db.execute(f"RELEASE {savepoint}")

    def version(self) -> int:
        """A counter that goes up with every committed change (cache key for the UI)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0])

    # --- writes -----------------------------------------------------------------------------------

    def _kinds_of(self, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(ids)), _MAX_PARAMS):
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(
                f"SELECT id, kind FROM nodes WHERE id IN ({marks})", chunk))  # noqa: S608
        return found

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        """Insert or update nodes by id; a node cannot change kind. Returns how many were given."""
        written = 0
        with self.transaction():
            for chunk in _chunks(nodes, self.batch_size):
                rows = []
                seen: dict[str, str] = {}
                for node in chunk:
                    node.validate()
                    seen[node.id] = node.kind
                    rows.append((node.id, node.kind, node.name, node.area, node.lat, node.lon,
                                 _dumps(node.props)))
                existing = self._kinds_of(seen)
                for node_id, kind in existing.items():
                    if seen[node_id] != kind:
                        raise ValidationError(
                            f"record {node_id!r} is already a {kind}; it cannot become a "
                            f"{seen[node_id]}.", field="kind", record=node_id)
                cur = self._db.executemany(_UPSERT_NODE, rows)
                if cur.rowcount:
                    self._dirty = True
                written += len(rows)
        return written

    def upsert_ties(self, ties: Iterable[Tie]) -> int:
        """Insert or update ties by (src, dst, kind); both ends must already be in the store."""
        written = 0
        with self.transaction():
            for chunk in _chunks(ties, self.batch_size):
                for tie in chunk:
                    tie.validate()
                kinds = self._kinds_of(i for t in chunk for i in (t.src, t.dst))
                rows = []
                for tie in chunk:
                    for end in (tie.src, tie.dst):
                        if end not in kinds:
                            raise DanglingTieError(
                                f"The {tie.kind} tie from {tie.src!r} to {tie.dst!r} names "
                                f"{end!r}, which is not in the store.")
                    check_endpoints(tie, kinds[tie.src], kinds[tie.dst])
                    src, dst = canonical_tie(tie.src, tie.dst, tie.kind)
                    rows.append((src, dst, tie.kind, _dumps(tie.props)))
                cur = self._db.executemany(_UPSERT_TIE, rows)
                if cur.rowcount:
                    self._dirty = True
                written += len(rows)
        return written

    def delete(self, node_id: str) -> None:
        """Remove a node and every tie touching it (foreign keys cascade)."""
        with self.transaction():
            cur = self._db.execute("DELETE FROM nodes WHERE id = ?", (node_id,))
            if cur.rowcount == 0:
                raise NotFoundError(f"No record with id {node_id!r}.")
            self._dirty = True

    def delete_tie(self, src: str, dst: str, kind: str) -> None:
        """Remove one tie if it exists (symmetric ties in either direction)."""
        s, d = canonical_tie(src, dst, kind)
        with self.transaction():
            cur = self._db.execute("DELETE FROM ties WHERE src = ? AND dst = ? AND kind = ?",
                                   (s, d, kind))
            if cur.rowcount:
                self._dirty = True

    # --- reads ----------------------------------------------------------------------------------

    def get(self, node_id: str) -> Node:
        """The node with this id, or NotFoundError."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, name, area, lat, lon, props FROM nodes WHERE id = ?",
                (node_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No record with id {node_id!r}.")
        return _row_to_node(row)

    def get_tie(self, src: str, dst: str, kind: str) -> Tie:
        """The tie (src, dst, kind) as stored, or NotFoundError."""
        s, d = canonical_tie(src, dst, kind)
        with self._lock:
            row = self._db.execute(
                "SELECT src, dst, kind, props FROM ties WHERE src = ? AND dst = ? AND kind = ?",
                (s, d, kind)).fetchone()
        if row is None:
            raise NotFoundError(f"No {kind} tie between {src!r} and {dst!r}.")
        return Tie(row[0], row[1], row[2], json.loads(row[3]))

    def neighbours(self, node_id: str,
                   kinds: Iterable[str] | None = None) -> list[tuple[Tie, Node]]:
        """Ties touching ``node_id`` (optionally of these kinds), with the node at the other end."""
        kind_list = sorted(set(kinds)) if kinds is not None else None
        sql = (
            "SELECT t.src, t.dst, t.kind, t.props, n.id, n.kind, n.name, n.area, n.lat, n.lon, "
            "n.props FROM ties AS t JOIN nodes AS n "
            "ON n.id = CASE WHEN t.src = ? THEN t.dst ELSE t.src END "
            "WHERE (t.src = ? OR t.dst = ?)"
        )
        params: list[Any] = [node_id, node_id, node_id]
        if kind_list is not None:
            sql += f" AND t.kind IN ({','.join('?' * len(kind_list))})"
            params += kind_list
        sql += " ORDER BY t.kind, n.id"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [(Tie(r[0], r[1], r[2], json.loads(r[3])), _row_to_node(r[4:])) for r in rows]

    def find(self, kind: str | None = None, **filters: Any) -> Iterator[Node]:
        """Nodes of ``kind`` matching every filter: a column (name, area) or a prop equal to the
        value, or a list prop containing it. Filter names are checked; values are parameters."""
        where: list[str] = []
        params: list[Any] = []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        for key, value in sorted(filters.items()):
            if key in _COLUMNS:
                where.append(f"{key} IS ?")
                params.append(value)
                continue
            if not _PROP_KEY.match(key):
                raise ValidationError(f"{key!r} is not a field that can be searched.", field=key)
            path = f'$."{key}"'
            if isinstance(value, bool):
                where.append("json_type(props, ?) = ?")
                params += [path, "true" if value else "false"]
            elif isinstance(value, dict | list):
                where.append("json_extract(props, ?) = json(?)")
                params += [path, json.dumps(value, sort_keys=True)]
            else:
                where.append(
                    "(json_extract(props, ?) IS ? OR (json_type(props, ?) = 'array' AND EXISTS "
                    "(SELECT 1 FROM json_each(props, ?) WHERE json_each.value IS ?)))")
                params += [path, value, path, path, value]
        sql = "SELECT id, kind, name, area, lat, lon, props FROM nodes"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return (_row_to_node(r) for r in rows)

    def count(self, kind: str | None = None) -> int:
        """How many nodes (of a kind)."""
        with self._lock:
            if kind is None:
                return self._db.execute("SELECT count(*) FROM nodes").fetchone()[0]
            return self._db.execute("SELECT count(*) FROM nodes WHERE kind = ?",
                                    (kind,)).fetchone()[0]

    def count_ties(self, kind: str | None = None) -> int:
        """How many ties (of a kind)."""
        with self._lock:
            if kind is None:
                return self._db.execute("SELECT count(*) FROM ties").fetchone()[0]
            return self._db.execute("SELECT count(*) FROM ties WHERE kind = ?",
                                    (kind,)).fetchone()[0]

    def _stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        # Page through a cursor of its own so a large store is never held in memory whole.
        with self._lock:
            cur = self._db.cursor()
            cur.execute(sql, params)
        while True:
            with self._lock:
                rows = cur.fetchmany(self.batch_size)
            if not rows:
                return
            yield from rows

    def nodes(self) -> Iterator[Node]:
        """Every node in id order, streamed."""
        return (_row_to_node(r) for r in self._stream(
            "SELECT id, kind, name, area, lat, lon, props FROM nodes ORDER BY id"))

    def ties(self) -> Iterator[Tie]:
        """Every tie in (src, dst, kind) order, streamed."""
        return (Tie(r[0], r[1], r[2], json.loads(r[3])) for r in self._stream(
            "SELECT src, dst, kind, props FROM ties ORDER BY src, dst, kind"))

    def to_networkx(self, area: str | None = None,
                    kinds: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """Nodes in ``area`` (or any area inside it) of node ``kinds``, and the ties among them."""
        kind_list = sorted(set(kinds)) if kinds is not None else None
        where: list[str] = []
        params: list[Any] = []
        prefix = ""
        if area is not None:
            prefix = _SUBAREAS
            params.append(area)
            where.append("(area IN (SELECT id FROM sub) OR id IN (SELECT id FROM sub))")
        if kind_list is not None:
            where.append(f"kind IN ({','.join('?' * len(kind_list))})")
            params += kind_list
        # Only fixed fragments and "?" placeholders are joined here; every value is a parameter.
        node_sql = prefix + "SELECT id, kind, name, area, lat, lon, props FROM nodes"  # noqa: S608
        if where:
            node_sql += " WHERE " + " AND ".join(where)
        G = nx.MultiDiGraph()
        with self._lock:
            for row in self._db.execute(node_sql, params):
                attrs = json.loads(row[6])
                attrs.update(kind=row[1], name=row[2], area=row[3], lat=row[4], lon=row[5])
                G.add_node(row[0], **attrs)
            classes = vocab.TIE_KINDS
            for src, dst, kind, props in self._db.execute(
                    "SELECT src, dst, kind, props FROM ties"):
                if where and (src not in G or dst not in G):
                    continue
                attrs = json.loads(props)
                attrs.update(kind=kind, tie_class=classes.get(kind, ""))
                G.add_edge(src, dst, key=kind, **attrs)
        return G

    def close(self) -> None:
        """Close the connection (further calls fail)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # --- batched reads for merge (issue 12) -------------------------------------------------------

    def get_many(self, ids: Iterable[str]) -> dict[str, Node]:
        """The nodes among ``ids`` that exist, by id (absent ids are simply left out)."""
        found: dict[str, Node] = {}
        for chunk in _chunks(sorted(set(ids)), _MAX_PARAMS):
            marks = ",".join("?" * len(chunk))
            sql = ("SELECT id, kind, name, area, lat, lon, props FROM nodes "  # noqa: S608
                   f"WHERE id IN ({marks})")
            with self._lock:
                rows = self._db.execute(sql, chunk).fetchall()
            for row in rows:
                found[row[0]] = _row_to_node(row)
        return found
