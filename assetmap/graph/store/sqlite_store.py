"""The embedded default store: one SQLite file (WAL, foreign keys on), no server to install.

Nodes and ties are rows keyed by stable ids; kind-specific fields live in a JSON ``props`` column,
and the fields the analysis reads are also real columns (``ANALYSIS_COLUMNS``: status, consent
flags, packed interest/need/role codes, ...; a tie's ``via``), derived from the props on every
write so that bulk reads (the analysis snapshot) never decode JSON. Schema version 2 added them;
opening an older store adds and fills them once (:meth:`SQLiteStore._migrate`, idempotent).
Every write call is atomic on its own, and :meth:`SQLiteStore.transaction` groups many calls so
they land together or not at all. All SQL lives in this module and takes parameters only.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import operator
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress
from operator import is_not as _is_not
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:  # networkx loads on first use: `assetmap info` stays quick (issue 16)
    import networkx as nx

from assetmap import vocab
from assetmap.batching import batch_size as _setting_batch_size
from assetmap.batching import batched as _chunks
from assetmap.errors import DanglingTieError, NotFoundError, StoreError, ValidationError
from assetmap.model import (
    ANALYSIS_COLUMNS,
    TIE_COLUMNS,
    Node,
    Tie,
    analysis_fields,
    canonical_tie,
    check_endpoints,
    fields_fingerprint,
    tie_fields,
)

SCHEMA_VERSION = 3
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
CREATE TABLE IF NOT EXISTS changes (
    version INTEGER NOT NULL,
    what    TEXT NOT NULL,
    src     TEXT,
    dst     TEXT,
    kind    TEXT
);
CREATE INDEX IF NOT EXISTS changes_version ON changes (version);
CREATE TABLE IF NOT EXISTS snapshot_cache (
    version INTEGER NOT NULL,
    format  TEXT NOT NULL,
    data    BLOB NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) SELECT 'changes_from', value FROM meta
    WHERE key = 'version';
"""

#: The change log (what each committed version touched) keeps this many versions; a write that
#: touches more records than _LOG_LIMIT logs "reload" instead (readers then read afresh).
_LOG_KEEP = 500
_LOG_LIMIT = 20_000

#: Schema 2: the analysis columns (type affinity per column) and the tie's ``via``.
_NODE_COLUMN_TYPES: dict[str, str] = {
    "status": "TEXT", "org_kind": "TEXT", "level": "TEXT", "parent": "TEXT",
    "personal_budget": "INTEGER", "user_led": "INTEGER", "consent_suggest": "INTEGER",
    "consent_map": "INTEGER", "roles": "INTEGER NOT NULL DEFAULT 0",
    "interests": "INTEGER NOT NULL DEFAULT 0", "needs": "INTEGER NOT NULL DEFAULT 0",
    "access": "INTEGER NOT NULL DEFAULT 0", "cost": "TEXT", "age_band": "TEXT",
    "capacity": "REAL", "goal_text": "TEXT", "budget_kind": "TEXT",
    "carer_supports": "TEXT",
}
assert tuple(_NODE_COLUMN_TYPES) == ANALYSIS_COLUMNS
_FIELD_MARKS = ", ".join("?" * len(ANALYSIS_COLUMNS))
_FIELD_NAMES = ", ".join(ANALYSIS_COLUMNS)
_FIELD_SETS = ", ".join(f"{c} = excluded.{c}" for c in ANALYSIS_COLUMNS)

# Schema 3: ``num`` (nodes) is a node's stable integer number, assigned once when it is first
# inserted (from meta ``next_num``; never changed while the node lives), and ``s``/``d`` (ties)
# are the numbers of the tie's ends, written with the tie: the snapshot reads ties as integers
# and never hashes text ids. A tie's ``weight`` (a positive number, for weighted community
# detection; NULL where none) is a column too.
_UPSERT_NODE = (
    f"""
INSERT INTO nodes (id, kind, name, area, lat, lon, props, num, code, {_FIELD_NAMES})
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {_FIELD_MARKS})
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, area = excluded.area, lat = excluded.lat, lon = excluded.lon,
    props = excluded.props, code = excluded.code, {_FIELD_SETS}
WHERE nodes.name IS NOT excluded.name OR nodes.area IS NOT excluded.area
   OR nodes.lat IS NOT excluded.lat OR nodes.lon IS NOT excluded.lon
   OR nodes.props IS NOT excluded.props
"""  # noqa: S608 - fixed column names only
)

_NONES = (None,) * len(ANALYSIS_COLUMNS)


@functools.lru_cache(maxsize=256)
def _upsert_node_sql(shape: tuple[bool, ...]) -> str:
    """:data:`_UPSERT_NODE` naming only the analysis columns ``shape`` marks (the others take
    their defaults, NULL or 0, which is what :func:`analysis_fields` gives for them)."""
    if all(shape):
        return _UPSERT_NODE
    cols = [c for c, on in zip(ANALYSIS_COLUMNS, shape, strict=True) if on]
    names = "".join(f", {c}" for c in cols)
    marks = ", ?" * len(cols)
    return _UPSERT_NODE.replace(f", {_FIELD_NAMES})", f"{names})", 1).replace(
        f", {_FIELD_MARKS})", f"{marks})", 1)


def _by_shape(shaped: list[tuple[tuple[bool, ...], tuple[Any, ...]]], ordered: bool
              ) -> Iterator[tuple[tuple[bool, ...], list[tuple[Any, ...]]]]:
    """Rows grouped by shape; ``ordered`` (an id given twice: the last must win) keeps the
    input order, grouping only consecutive rows of one shape."""
    if not ordered:
        groups: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
        for shape, row in shaped:
            group = groups.get(shape)
            if group is None:
                group = groups[shape] = []
            group.append(row)
        yield from groups.items()
        return
    run: list[tuple[Any, ...]] = []
    last: tuple[bool, ...] | None = None
    for shape, row in shaped:
        if shape != last and run:
            yield last, run  # type: ignore[misc]  # last is set once run has rows
            run = []
        last = shape
        run.append(row)
    if run:
        yield last, run  # type: ignore[misc]


_UPSERT_TIE = """
INSERT INTO ties (src, dst, kind, props, via, role, days, until, weight, s, d, code)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (src, dst, kind) DO UPDATE SET props = excluded.props, via = excluded.via,
    role = excluded.role, days = excluded.days, until = excluded.until,
    weight = excluded.weight, s = excluded.s, d = excluded.d, code = excluded.code
WHERE ties.props IS NOT excluded.props OR ties.s IS NOT excluded.s OR ties.d IS NOT excluded.d
"""

#: The snapshot's mark for NULL in a separated text (char(1)) -> None; any other value itself.
_NONE_FOR_MARK: dict[str, None] = {"\x01": None}
#: Node numbers below this (26 bits) let the snapshot read a tie as one packed integer.
_PACKED_NUMS = 1 << 26
#: Each tie kind's number (see tie_code) -> its place among the kinds in text order, the order
#: of the ties' key; 31 (another kind) past them all.
TIE_RANK = tuple([sorted(vocab.TIE_KINDS).index(k) for k in vocab.TIE_KINDS]
                  + [31] * (32 - len(vocab.TIE_KINDS)))

_SUBAREAS = """
WITH RECURSIVE sub (id) AS (
    SELECT ?
    UNION
    SELECT n.id FROM nodes AS n JOIN sub ON n.parent = sub.id
    WHERE n.kind = 'Area'
)
"""


def _dumps(props: dict[str, Any]) -> str:
    return json.dumps(props, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


_TIE_COLUMN_TYPES: dict[str, str] = {"via": "TEXT", "role": "TEXT", "days": "REAL",
                                      "until": "TEXT"}
assert tuple(_TIE_COLUMN_TYPES) == TIE_COLUMNS
#: Schema 3 columns, added by :meth:`SQLiteStore._migrate` to older stores.
_NUM_COLUMNS: dict[str, dict[str, str]] = {
    "nodes": {"num": "INTEGER", "code": "INTEGER"},
    "ties": {"weight": "REAL", "s": "INTEGER", "d": "INTEGER", "code": "INTEGER"}}

# ``code`` packs what the snapshot reads of a record's small fields into one integer, derived on
# every write (like the analysis columns): for a node its kind (position in NODE_KINDS, + 1),
# the four flags (NULL/0/1 as 0/1/2), its roles and access codes and a bit per sparse column
# that is set; for a tie its kind (position in TIE_KINDS; 31 for another) and a bit per tie
# column that is set. Rows with any sparse bit are in a partial index, so the snapshot reads
# those few values without a pass over every row.
_FLAG_COLUMNS = ("personal_budget", "user_led", "consent_suggest", "consent_map")
_SPARSE_COLUMNS = ("status", "org_kind", "level", "parent", "cost", "budget_kind",
                   "carer_supports", "capacity")
_KIND_NUMBER = {k: i + 1 for i, k in enumerate(vocab.NODE_KINDS)}
_TIE_NUMBER = {k: i for i, k in enumerate(vocab.TIE_KINDS)}
_AT = {c: i for i, c in enumerate(ANALYSIS_COLUMNS)}
_ROLES_SHIFT = 4 + 2 * len(_FLAG_COLUMNS)
_ACCESS_SHIFT = _ROLES_SHIFT + len(vocab.PERSON_ROLES)
_SPARSE_SHIFT = _ACCESS_SHIFT + len(vocab.ACCESS_FEATURES)
assert _SPARSE_SHIFT + len(_SPARSE_COLUMNS) <= 62 and len(vocab.NODE_KINDS) < 15
assert len(vocab.TIE_KINDS) < 31
_FLAG_AT = tuple(_AT[c] for c in _FLAG_COLUMNS)
_SPARSE_AT = tuple(_AT[c] for c in _SPARSE_COLUMNS)
_ROLES_AT, _ACCESS_AT = _AT["roles"], _AT["access"]
#: Code layouts, in the fingerprint: a store written with other layouts re-derives its codes.
_SCHEMA3_MARK = "+schema3:" + json.dumps(
    [list(vocab.NODE_KINDS), list(vocab.TIE_KINDS), _FLAG_COLUMNS, _SPARSE_COLUMNS,
     _ROLES_SHIFT, _ACCESS_SHIFT, _SPARSE_SHIFT, "weight"])


def node_code(kind: str, fields: Sequence[Any]) -> int:
    """The packed ``code`` of a node from its kind and :func:`analysis_fields`."""
    code = _KIND_NUMBER.get(kind, 0)
    for j, at in enumerate(_FLAG_AT):
        v = fields[at]
        code |= (0 if v is None else (int(v) & 1) + 1) << (4 + 2 * j)
    code |= ((fields[_ROLES_AT] or 0) & ((1 << len(vocab.PERSON_ROLES)) - 1)) << _ROLES_SHIFT
    code |= ((fields[_ACCESS_AT] or 0)
             & ((1 << len(vocab.ACCESS_FEATURES)) - 1)) << _ACCESS_SHIFT
    for j, at in enumerate(_SPARSE_AT):
        if fields[at] is not None:
            code |= 1 << (_SPARSE_SHIFT + j)
    return code


def tie_code(kind: str, fields: Sequence[Any], weight: float | None) -> int:
    """The packed ``code`` of a tie from its kind, :func:`tie_fields` and weight."""
    code = _TIE_NUMBER.get(kind, 31)
    for j, v in enumerate((*fields, weight)):
        if v is not None:
            code |= 32 << j
    return code


def tie_weight(props: dict[str, Any]) -> float | None:
    """A tie's ``weight`` prop as a positive finite number, or None (missing or unusable: the
    snapshot then reads 1.0)."""
    w = props.get("weight")
    if isinstance(w, bool) or not isinstance(w, int | float):
        return None
    w = float(w)
    return w if 0.0 < w < float("inf") else None


def _row_to_node(row: Sequence[Any]) -> Node:
    return Node(id=row[0], kind=row[1], name=row[2], area=row[3], lat=row[4], lon=row[5],
                props=json.loads(row[6]))


class SQLiteStore:
    """A :class:`~assetmap.graph.store.GraphStore` in one SQLite file."""

    def __init__(self, path: str | Path, *, batch_size: int | None = None):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._batch_size: int | None = batch_size or None
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
        self._touched: list[tuple[str, str | None, str | None, str | None]] = []
        #: the open write removes a record for good (a node, a person's records): the saved
        #: snapshot, which may hold it, goes in the same commit
        self._erasing = False
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"The file {self.path} is not an assetmap store ({exc}).") from None

    @property
    def batch_size(self) -> int:
        """Rows per batch: as given, else the ``ASSETMAP_BATCH_SIZE`` setting, read on first use
        (the validated settings load only when a batch is cut: `assetmap info` stays quick)."""
        if self._batch_size is None:
            self._batch_size = _setting_batch_size()
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self._batch_size = value

    def _migrate(self) -> None:
        """Bring an older store to this schema: add the analysis columns and fill them from the
        props (also when the packed-code vocabularies changed); schema 3: number every node
        (``num``, in id order after any already numbered) and every tie's ends (``s``, ``d``),
        and fill ``weight``. Idempotent, one transaction, content and version unchanged."""
        def state() -> tuple[set[str], set[str], str | None, bool]:
            node_cols = {r[1] for r in self._db.execute("PRAGMA table_info(nodes)")}
            tie_cols = {r[1] for r in self._db.execute("PRAGMA table_info(ties)")}
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = 'fields_fingerprint'").fetchone()
            numbered = ({"num", "code"} <= node_cols and {"s", "d", "code"} <= tie_cols
                        and not self._db.execute(
                            "SELECT EXISTS (SELECT 1 FROM nodes WHERE num IS NULL OR code IS NULL)"
                            " OR EXISTS (SELECT 1 FROM ties WHERE s IS NULL OR d IS NULL "
                            "OR code IS NULL) OR NOT EXISTS "
                            "(SELECT 1 FROM meta WHERE key = 'next_num')").fetchone()[0])
            return node_cols, tie_cols, row[0] if row else None, numbered

        fingerprint = fields_fingerprint() + _SCHEMA3_MARK
        node_cols, tie_cols, saved, numbered = state()
        indexed = self._db.execute(  # the covering index of schema 3's later stores
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' "
            "AND name = 'ties_extra')").fetchone()[0]
        if (set(ANALYSIS_COLUMNS) <= node_cols and set(TIE_COLUMNS) <= tie_cols
                and saved == fingerprint and numbered and indexed):
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # another process may have migrated meanwhile
            node_cols, tie_cols, saved, numbered = state()
            for col, kind in _NODE_COLUMN_TYPES.items():
                if col not in node_cols:
                    self._db.execute(f"ALTER TABLE nodes ADD COLUMN {col} {kind}")
            for col, kind in _TIE_COLUMN_TYPES.items():
                if col not in tie_cols:
                    self._db.execute(f"ALTER TABLE ties ADD COLUMN {col} {kind}")
            for table, have in (("nodes", node_cols), ("ties", tie_cols)):
                for col, kind in _NUM_COLUMNS[table].items():
                    if col not in have:
                        self._db.execute(f"ALTER TABLE {table} ADD COLUMN {col} {kind}")
            if not numbered:
                self._number_nodes()
            base = fields_fingerprint()
            if saved != fingerprint and saved is not None and saved.startswith(base):
                self._derive_codes()  # the analysis columns are current: codes from them
            elif saved != fingerprint:
                sets = ", ".join(f"{c} = ?" for c in ANALYSIS_COLUMNS)
                cur = self._db.execute("SELECT id, kind, props FROM nodes")
                while rows := cur.fetchmany(self.batch_size):
                    self._db.executemany(
                        f"UPDATE nodes SET {sets}, code = ? WHERE id = ?",  # noqa: S608
                        [(*(f := analysis_fields(k, json.loads(p))), node_code(k, f), i)
                         for i, k, p in rows])
                self._derive_tie_codes(with_fields=True)
            elif not numbered:
                self._derive_codes()
            if not numbered:
                self._number_ties()  # any tie the passes above left without its numbers
            self._db.execute("CREATE INDEX IF NOT EXISTS nodes_parent ON nodes (parent)")
            # partial indexes hold no rows while every record is numbered: the check on open
            # (state) is a lookup, and writes pay only the test of the condition
            self._db.execute("CREATE INDEX IF NOT EXISTS nodes_unnumbered ON nodes (id) "
                             "WHERE num IS NULL OR code IS NULL")
            self._db.execute("CREATE INDEX IF NOT EXISTS ties_unnumbered ON ties (src) "
                             "WHERE s IS NULL OR d IS NULL OR code IS NULL")
            # the few records with a sparse column set, and ties with a tie column set
            self._db.execute(f"CREATE INDEX IF NOT EXISTS nodes_sparse ON nodes (id) "
                             f"WHERE code >= {1 << _SPARSE_SHIFT}")
            # (covering: the snapshot reads these ties' columns from the index alone; it
            # replaced ``ties_sparse``, which held only the key)
            self._db.execute("DROP INDEX IF EXISTS ties_sparse")
            self._db.execute("CREATE INDEX IF NOT EXISTS ties_extra ON ties (src, dst, kind, "
                             "code, via, role, days, until, weight) WHERE code >= 32")
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('fields_fingerprint', ?)",
                (fingerprint,))
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _number_nodes(self) -> None:
        """Give every node without a number the next ones (in id order) and set ``next_num``
        past the largest (schema 3 migration)."""
        top = self._db.execute("SELECT coalesce(max(num), 0) FROM nodes").fetchone()[0]
        self._db.execute(
            "UPDATE nodes SET num = ? + r.n FROM (SELECT id, row_number() OVER (ORDER BY id) "
            "AS n FROM nodes WHERE num IS NULL) AS r WHERE nodes.id = r.id", (top,))
        top = self._db.execute("SELECT coalesce(max(num), 0) FROM nodes").fetchone()[0]
        saved = self._db.execute("SELECT value FROM meta WHERE key = 'next_num'").fetchone()
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_num', ?)",
                         (str(max(top + 1, int(saved[0]) if saved else 1)),))

    def _number_ties(self) -> None:
        """Write every tie's end numbers where missing (schema 3 migration)."""
        self._db.execute(
            "UPDATE ties SET s = (SELECT num FROM nodes WHERE id = ties.src), "
            "d = (SELECT num FROM nodes WHERE id = ties.dst) WHERE s IS NULL OR d IS NULL")

    def _derive_codes(self) -> None:
        """Write every node's and tie's ``code`` (and tie ``weight``) from the analysis columns
        as they stand (no JSON decoded for nodes)."""
        cur = self._db.execute(f"SELECT id, kind, {_FIELD_NAMES} FROM nodes")  # noqa: S608
        while rows := cur.fetchmany(self.batch_size):
            self._db.executemany("UPDATE nodes SET code = ? WHERE id = ?",
                                 [(node_code(r[1], r[2:]), r[0]) for r in rows])
        # ties: one statement, no Python per tie: the weight read from the props only where
        # the text names one, the code from the tie columns as they stand (tie_code in SQL)
        weight = ("CASE WHEN props LIKE '%\"weight\"%' AND json_type(props, '$.weight') IN "
                  "('integer', 'real') AND json_extract(props, '$.weight') > 0 "
                  "THEN CAST(json_extract(props, '$.weight') AS REAL) END")
        cases = " ".join(f"WHEN ? THEN {i}" for i in _TIE_NUMBER.values())
        flags = " | ".join(f"iif({c} IS NULL, 0, {32 << j})"
                           for j, c in enumerate(("via", "role", "days", "until")))
        self._db.execute(
            "".join(("UPDATE ties SET weight = ", weight, ", code = (CASE kind ", cases,
                     " ELSE 31 END) | ", flags, " | iif((", weight, ") IS NULL, 0, 512), ",
                     "s = coalesce(s, (SELECT num FROM nodes WHERE id = ties.src)), ",
                     "d = coalesce(d, (SELECT num FROM nodes WHERE id = ties.dst))")),
            list(_TIE_NUMBER))

    def _derive_tie_codes(self, with_fields: bool) -> None:
        """Every tie's ``code`` and ``weight`` (and, ``with_fields``, its tie columns) from its
        props, and its end numbers where missing, in one pass; a tie without props takes its
        kind's code in one statement (the full re-derive, when the vocabularies changed)."""
        cases = " ".join(f"WHEN ? THEN {i}" for i in _TIE_NUMBER.values())
        self._db.execute(
            f"UPDATE ties SET code = CASE kind {cases} ELSE 31 END, weight = NULL, "  # noqa: S608
            "via = NULL, role = NULL, days = NULL, until = NULL, "
            "s = coalesce(s, (SELECT num FROM nodes WHERE id = ties.src)), "
            "d = coalesce(d, (SELECT num FROM nodes WHERE id = ties.dst)) WHERE props = '{}'",
            list(_TIE_NUMBER))
        cur = self._db.execute(
            "SELECT src, dst, kind, props, via, role, days, until FROM ties WHERE props <> '{}'")
        while rows := cur.fetchmany(self.batch_size):
            out = []
            for s, d, k, p, *old in rows:
                props = json.loads(p)
                fields = tie_fields(props) if with_fields else tuple(old)
                w = tie_weight(props)
                out.append((*fields, w, tie_code(k, fields, w), s, d, s, d, k))
            self._db.executemany(
                "UPDATE ties SET via = ?, role = ?, days = ?, until = ?, weight = ?, code = ?, "
                "s = coalesce(s, (SELECT num FROM nodes WHERE id = ?)), "
                "d = coalesce(d, (SELECT num FROM nodes WHERE id = ?)) "
                "WHERE src = ? AND dst = ? AND kind = ?", out)

    def _take_nums(self, count: int) -> int:
        """Reserve ``count`` node numbers (inside the caller's transaction); the first."""
        row = self._db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'next_num' "
            "RETURNING CAST(value AS INTEGER) - ?", (count, count)).fetchone()
        if row is None:  # a store whose meta lost the counter: start past the largest number
            top = self._db.execute("SELECT coalesce(max(num), 0) FROM nodes").fetchone()[0]
            self._db.execute("INSERT INTO meta (key, value) VALUES ('next_num', ?)",
                             (str(top + 1 + count),))
            return int(top + 1)
        return int(row[0])

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
                self._erasing = False
                self._touched = []
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
                    self._erasing = False
                    self._touched = []
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
                        logged = self._log_changes()
                        # The saved snapshot is of an older version now: it stays while the
                        # log can bring it up to date (Snapshot.from_store patches it), but
                        # goes in the same commit when this write removed a record for good
                        # (it may hold what was erased) or the log cannot say what changed.
                        if self._erasing or not logged:
                            self._db.execute("DELETE FROM snapshot_cache")
                    self._touched = []
                    self._db.execute("COMMIT")
                    self._dirty = False
                    self._erasing = False
                else:
                    self._db.execute(f"RELEASE {savepoint}")

    def _log_changes(self) -> bool:
        """Record which nodes and ties the committing version touched (for :meth:`changes_since`;
        a version that touched neither, one "none" row, so every logged version has a row), and
        forget versions older than the log keeps. Returns False when it logged "reload"."""
        version = int(self._db.execute(
            "SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
        touched = set(self._touched)
        rows = ([(version, "reload", None, None, None)] if len(touched) > _LOG_LIMIT
                else [(version, *t) for t in touched] or [(version, "none", None, None, None)])
        self._db.executemany(
            "INSERT INTO changes (version, what, src, dst, kind) VALUES (?, ?, ?, ?, ?)", rows)
        oldest = version - _LOG_KEEP
        if oldest > 0:
            self._db.execute("DELETE FROM changes WHERE version <= ?", (oldest,))
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'changes_from' "
                "AND CAST(value AS INTEGER) < ?", (str(oldest), oldest))
        return len(touched) <= _LOG_LIMIT

    def changes_since(self, version: int) -> dict[str, set] | None:
        """What changed after ``version``: ``nodes`` (ids) and ``ties`` ((src, dst, kind) keys)
        written or deleted since, to be read again; None when the log cannot say (too old, or
        a bulk write logged "reload"): read everything afresh."""
        with self._lock:
            meta = dict(self._db.execute(
                "SELECT key, value FROM meta WHERE key IN ('version', 'changes_from')"))
            current, start = int(meta["version"]), int(meta.get("changes_from", meta["version"]))
            if version > current or version < start:
                return None
            rows = self._db.execute("SELECT what, src, dst, kind FROM changes WHERE version > ?",
                                    (version,)).fetchall()
        out: dict[str, set] = {"nodes": set(), "ties": set()}
        for what, src, dst, kind in rows:
            if what == "reload":
                return None
            if what == "node":
                out["nodes"].add(src)
            elif what == "tie":
                out["ties"].add((src, dst, kind))
        return out

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

    def _kinds_nums_of(self, ids: Iterable[str]) -> tuple[dict[str, str], dict[str, int]]:
        """The kind and number of each of ``ids`` in the store (absent ids left out)."""
        kinds: dict[str, str] = {}
        nums: dict[str, int] = {}
        for chunk in _chunks(sorted(set(ids)), _MAX_PARAMS):
            marks = ",".join("?" * len(chunk))
            for i, k, n in self._db.execute(
                    f"SELECT id, kind, num FROM nodes WHERE id IN ({marks})",  # noqa: S608
                    chunk):
                kinds[i] = k
                nums[i] = n
        return kinds, nums

    def upsert_nodes(self, nodes: Iterable[Node]) -> int:
        """Insert or update nodes by id; a node cannot change kind. Returns how many were given."""
        written = 0
        with self.transaction():
            for chunk in _chunks(nodes, self.batch_size):
                # Rows grouped by which analysis fields they set (most records of one file
                # share a shape): each group is written naming only those columns, the rest
                # taking their defaults, so far fewer parameters are bound per row.
                shaped: list[tuple[tuple[bool, ...], tuple[Any, ...]]] = []
                seen: dict[str, str] = {}
                texts = []
                for node in chunk:
                    texts.append(node.checked_json())  # validates; one JSON encoding for both
                    seen[node.id] = node.kind
                existing = self._kinds_of(seen)
                for node_id, kind in existing.items():
                    if seen[node_id] != kind:
                        raise ValidationError(
                            f"record {node_id!r} is already a {kind}; it cannot become a "
                            f"{seen[node_id]}.", field="kind", record=node_id)
                # a new node takes the next number; one already stored keeps its own
                fresh = [i for i in seen if i not in existing]
                first = self._take_nums(len(fresh)) if fresh else 0
                nums = dict(zip(fresh, range(first, first + len(fresh)), strict=True))
                for node, text in zip(chunk, texts, strict=True):
                    fields = analysis_fields(node.kind, node.props)
                    shape = tuple(map(_is_not, fields, _NONES))
                    shaped.append((shape, (node.id, node.kind, node.name, node.area, node.lat,
                                           node.lon, text, nums.get(node.id),
                                           node_code(node.kind, fields),
                                           *compress(fields, shape))))
                changed = 0
                for shape, rows in _by_shape(shaped, ordered=len(seen) < len(shaped)):
                    changed += self._db.executemany(_upsert_node_sql(shape), rows).rowcount
                if changed:
                    self._dirty = True
                    if len(self._touched) <= _LOG_LIMIT:
                        self._touched += [("node", i, None, None) for i in seen]
                written += len(shaped)
        return written

    def new_node_writer(self, kind: str) -> NewNodeWriter:
        """A bulk writer for ``kind`` records the caller knows are new (see
        :class:`NewNodeWriter`); only inside :meth:`transaction`."""
        if self._depth == 0:
            raise StoreError("A bulk node writer works only inside a store transaction.")
        return NewNodeWriter(self, kind)

    def upsert_ties(self, ties: Iterable[Tie]) -> int:
        """Insert or update ties by (src, dst, kind); both ends must already be in the store."""
        written = 0
        with self.transaction():
            for chunk in _chunks(ties, self.batch_size):
                for tie in chunk:
                    tie.validate()
                kinds, nums = self._kinds_nums_of(i for t in chunk for i in (t.src, t.dst))
                rows = []
                for tie in chunk:
                    for end in (tie.src, tie.dst):
                        if end not in kinds:
                            raise DanglingTieError(
                                f"The {tie.kind} tie from {tie.src!r} to {tie.dst!r} names "
                                f"{end!r}, which is not in the store.")
                    check_endpoints(tie, kinds[tie.src], kinds[tie.dst])
                    src, dst = canonical_tie(tie.src, tie.dst, tie.kind)
                    fields = tie_fields(tie.props)
                    weight = tie_weight(tie.props)
                    rows.append((src, dst, tie.kind, _dumps(tie.props), *fields, weight,
                                 nums[src], nums[dst], tie_code(tie.kind, fields, weight)))
                cur = self._db.executemany(_UPSERT_TIE, rows)
                if cur.rowcount:
                    self._dirty = True
                    if len(self._touched) <= _LOG_LIMIT:
                        self._touched += [("tie", r[0], r[1], r[2]) for r in rows]
                written += len(rows)
        return written

    def delete(self, node_id: str) -> None:
        """Remove a node and every tie touching it (foreign keys cascade; the change log names
        each of those ties too, so a reader patching from it drops them even when the node
        comes back later)."""
        with self.transaction():
            ties = self._db.execute(
                "SELECT src, dst, kind FROM ties WHERE src = ? "
                "UNION SELECT src, dst, kind FROM ties WHERE dst = ?",
                (node_id, node_id)).fetchall()
            cur = self._db.execute("DELETE FROM nodes WHERE id = ?", (node_id,))
            if cur.rowcount == 0:
                raise NotFoundError(f"No record with id {node_id!r}.")
            self._dirty = True
            self._erasing = True
            self._touched.append(("node", node_id, None, None))
            if len(self._touched) <= _LOG_LIMIT:
                self._touched += [("tie", s, d, k) for s, d, k in ties]

    def delete_tie(self, src: str, dst: str, kind: str) -> None:
        """Remove one tie if it exists (symmetric ties in either direction)."""
        s, d = canonical_tie(src, dst, kind)
        with self.transaction():
            cur = self._db.execute("DELETE FROM ties WHERE src = ? AND dst = ? AND kind = ?",
                                   (s, d, kind))
            if cur.rowcount:
                self._dirty = True
                self._touched.append(("tie", s, d, kind))

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
        # An Area's boundary (``geometry`` prop) is large and no analysis reads it: left out here.
        node_sql = prefix + (  # noqa: S608
            "SELECT id, kind, name, area, lat, lon, CASE WHEN kind = 'Area' "
            "THEN json_remove(props, '$.geometry') ELSE props END FROM nodes")
        if where:
            node_sql += " WHERE " + " AND ".join(where)
        import networkx as nx

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

    def analysis_nodes(self, area: str | None = None) -> Iterator[tuple[Any, ...]]:
        """Every node (in ``area`` or an area inside it) as ``(id, kind, name, area, lat, lon,
        *ANALYSIS_COLUMNS)`` in id order, streamed from the columns: no JSON is decoded."""
        sql = f"SELECT id, kind, name, area, lat, lon, {_FIELD_NAMES} FROM nodes"  # noqa: S608
        params: list[Any] = []
        if area is not None:
            sql = _SUBAREAS + sql + (" WHERE (area IN (SELECT id FROM sub) "  # noqa: S608
                                     "OR id IN (SELECT id FROM sub))")
            params.append(area)
        return self._stream(sql + " ORDER BY id", params)

    def analysis_ties(self) -> Iterator[tuple[Any, ...]]:
        """Every tie as ``(src, dst, kind, via, role, days, until, weight)``, streamed from the
        columns."""
        return self._stream("SELECT src, dst, kind, via, role, days, until, weight FROM ties")

    def analysis_columns(self, area: str | None = None) -> dict[str, list[Any]]:
        """Every node's columns (as :meth:`analysis_nodes`, same order) as one list per column,
        read with SQLite's ``group_concat``: one text per column instead of a tuple per row,
        which is what makes a 100k-person snapshot quick to build."""
        # Ids, codes and vocabulary words cannot hold control characters (validated), so
        # char(30) separates values and char(1) stands for NULL; names and parents, free
        # text, are read as rows.
        text_cols = ("id", "kind", "area", "status", "org_kind", "level", "cost", "age_band",
                     "budget_kind", "carer_supports")
        num_cols = ("lat", "lon", "capacity")
        int_cols = ("personal_budget", "user_led", "consent_suggest", "consent_map", "roles",
                    "interests", "needs", "access")
        parts = [f"group_concat(coalesce({c}, char(1)), char(30))" for c in text_cols]
        parts += [f"group_concat(coalesce({c}, 'nan'), char(30))" for c in num_cols]
        parts += [f"group_concat(coalesce({c}, -1), char(30))" for c in int_cols]
        inner = f"SELECT name, {', '.join((*text_cols, *num_cols, *int_cols, 'parent', 'goal_text'))} FROM nodes"  # noqa: S608, E501
        params: list[Any] = []
        if area is not None:
            inner = _SUBAREAS + inner + (" WHERE (area IN (SELECT id FROM sub) "  # noqa: S608
                                         "OR id IN (SELECT id FROM sub))")
            params.append(area)
        sql = f"SELECT {', '.join(parts)} FROM ({inner} ORDER BY id)"  # noqa: S608
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
            names = self._db.execute(
                f"SELECT name, parent, goal_text FROM ({inner} ORDER BY id)",  # noqa: S608
                params
            ).fetchall()
        out: dict[str, list[Any]] = {}
        for i, col in enumerate((*text_cols, *num_cols, *int_cols)):
            values = row[i].split("\x1e") if row[i] is not None else []
            if col in text_cols:
                values = [None if v == "\x01" else v for v in values]
            out[col] = values
        out["name"] = [r[0] for r in names]
        out["parent"] = [r[1] for r in names]
        out["goal_text"] = [r[2] for r in names]
        return out

    def analysis_tie_columns(self, batch: int = 250_000) -> Iterator[dict[str, list[str]]]:
        """Every tie's ``src``, ``dst``, ``kind``, ``via``, ``role`` and ``until`` ("" for none)
        and ``days`` ("nan" for none) as lists, in batches of ``batch`` ties (keyset paging: memory
        stays bounded at any size)."""
        last: tuple[str, str, str] | None = None
        while True:
            where, params = "", []
            if last is not None:
                where, params = "WHERE (src, dst, kind) > (?, ?, ?)", list(last)
            sql = ("SELECT group_concat(src, char(30)), group_concat(dst, char(30)), "  # noqa: S608
                   "group_concat(kind, char(30)), group_concat(coalesce(via, ''), char(30)), "
                   "group_concat(coalesce(role, ''), char(30)), "
                   "group_concat(coalesce(days, 'nan'), char(30)), "
                   "group_concat(coalesce(until, ''), char(30)), "
                   "count(*) FROM (SELECT src, dst, kind, via, role, days, until FROM ties "
                   f"{where} ORDER BY src, dst, kind LIMIT ?)")
            with self._lock:
                row = self._db.execute(sql, [*params, batch]).fetchone()
            if not row[7]:
                return
            cols = {name: row[i].split("\x1e") for i, name in
                    enumerate(("src", "dst", "kind", "via", "role", "days", "until"))}
            yield cols
            if row[7] < batch:
                return
            last = (cols["src"][-1], cols["dst"][-1], cols["kind"][-1])

    # --- the snapshot read by node numbers (schema 3) --------------------------------------------

    #: a REAL as text that reads back as the same double (SQLite's own text keeps 15 digits):
    #: a whole number as an integer (exact, and far quicker to print), another with 17 digits
    _REAL = ("iif({0} IS NULL, NULL, iif(CAST({0} AS INTEGER) = {0}, CAST({0} AS INTEGER), "
             "printf('%!.17g', {0})))")

    #: Lat/lon read as exact integers, ``value * 2**55`` where that is a whole number: every
    #: double of magnitude 1/8 to 256, so every place but those within 1/8 degree of the
    #: meridian or the equator (those few are read as rows). NULL and such a value are two
    #: markers no scaled double can equal (more than 53 significant bits).
    _PLACE_SCALE = 55
    _PLACE_NULL, _PLACE_ROW = (1 << 63) - 1, (1 << 63) - 2
    #: a node's interests and needs codes as one integer (each below 2**31, else read apart)
    _BITS_SHIFT = 31

    @classmethod
    def _place_exact(cls, col: str) -> str:
        """SQL: true where ``col`` is a number that scales to a whole number (read as that):
        the whole number scaled back is the value itself (a text never equals a number)."""
        k = 1 << cls._PLACE_SCALE
        return f"(CAST({col} * {k} AS INTEGER) / {k}.0 = {col})"

    @classmethod
    def _place_code(cls, col: str) -> str:
        """SQL: ``col`` as its scaled integer, or the NULL / read-as-a-row marker."""
        return (f"iif({cls._place_exact(col)}, CAST({col} * {1 << cls._PLACE_SCALE} AS INTEGER),"
                f" iif({col} IS NULL, {cls._PLACE_NULL}, {cls._PLACE_ROW}))")

    def snapshot_arrays(self, area: str | None = None) -> dict[str, Any] | None:
        """Every node (in ``area`` or an area inside it; id order) and every tie between them as
        numpy arrays and lists, for :meth:`Snapshot.from_store`: integers read as integers (the
        ``code`` columns; a tie's two end numbers and code packed into one integer while the
        numbers fit, a node's interests and needs likewise), tie ends mapped from node numbers
        by position (no text id hashed), lat/lon as exact scaled integers in the same pass over
        the nodes (the rare value that does not scale read as a row: never a text round trip),
        the ties of the whole store read straight from their table (key order checked on the
        numbers read), the sparse columns read from their partial indexes (ties' from the
        covering ``ties_extra``); one pass over each table, one read transaction. None when the
        store cannot answer this way (a record not numbered, a value holding the separator):
        read another way then."""
        import numpy as np

        where, params = "", []
        if area is not None:
            where = " WHERE (area IN (SELECT id FROM sub) OR id IN (SELECT id FROM sub))"
            params = [area]
        prefix = _SUBAREAS if area is not None else ""
        shift = self._BITS_SHIFT
        # only fixed column names, integer constants and "?" placeholders are joined into these
        # statements; one pass over the nodes reads every column but the sparse ones
        node_cols = "".join((
            "SELECT count(*), group_concat(num), group_concat(code), ",
            f"group_concat(iif((interests >> {shift}) | (needs >> {shift}), NULL, ",
            f"(interests << {shift}) | needs)), ",
            "group_concat(id, char(30)), group_concat(name, char(30)), ",
            "group_concat(coalesce(area, char(1)), char(30)), ",
            "group_concat(coalesce(age_band, char(1)), char(30)), ",
            "group_concat(coalesce(goal_text, char(1)), char(30)), ",
            "group_concat(", self._place_code("lat"), "), ",
            "group_concat(", self._place_code("lon"), ") "))
        node_sql = "".join((
            prefix, node_cols, "FROM (SELECT num, code, interests, needs, id, name, area, ",
            "age_band, goal_text, lat, lon FROM nodes", where, " ORDER BY id)"))
        # The whole table read straight (no ordered subquery copying each row: far cheaper);
        # a WITHOUT ROWID table is scanned in id order, which is checked on the ids read.
        scan_sql = node_cols + "FROM nodes"
        # interests and needs apart (a code past 31 bits: never written by this vocabulary)
        bits_sql = "".join((prefix, "SELECT group_concat(interests), group_concat(needs) ",
                            "FROM (SELECT interests, needs FROM nodes", where, " ORDER BY id)"))
        # the places that do not scale exactly, as rows of floats (exact; NULL -> nan)
        row_place = "".join((
            "NOT ((lat IS NULL OR ", self._place_exact("lat"), ") AND (lon IS NULL OR ",
            self._place_exact("lon"), "))"))
        place_sql = "".join((prefix, "SELECT lat, lon FROM nodes WHERE ", row_place,
                             where.replace(" WHERE", " AND"), " ORDER BY id"))
        sparse_sql = "".join((
            prefix, "SELECT ", ", ".join(
                "group_concat(" + (self._REAL.format(c) + ")" if c == "capacity"
                                   else c + ", char(30))") for c in _SPARSE_COLUMNS),
            " FROM (SELECT ", ", ".join(_SPARSE_COLUMNS), " FROM nodes WHERE code >= ",
            str(1 << _SPARSE_SHIFT), where.replace(" WHERE", " AND"), " ORDER BY id)"))
        tie_sql = ("SELECT count(*), 0, 0, 0, group_concat(s), "
                   "group_concat(d), group_concat(code) FROM (SELECT s, d, code FROM ties "
                   "ORDER BY src, dst, kind)")
        # both ends and the code as one integer per tie (a third of the values to print and
        # parse); only while every node number fits 26 bits (``next_num`` bounds them all) and
        # a tie code fits its 10 bits (kind < 32, five column bits: see tie_code)
        packed_sql = ("SELECT count(*), group_concat((s << 36) | (d << 10) | code) FROM "
                      "(SELECT s, d, code FROM ties ORDER BY src, dst, kind)")
        # for the whole store, the table read straight (no ordered subquery copying each row),
        # its order checked on the numbers read (in_key_order)
        packed_scan_sql = "SELECT count(*), group_concat((s << 36) | (d << 10) | code) FROM ties"
        # ``via`` read as its text id (mapped to a position here), not looked up per row
        extra_sql = ("SELECT group_concat(via, char(30)), group_concat(role, char(30)), "  # noqa: S608
                     "group_concat(" + self._REAL.format("days") + "), "
                     "group_concat(until, char(30)), group_concat("
                     + self._REAL.format("weight") + ") FROM (SELECT via, role, days, until, "
                     "weight FROM ties WHERE "
                     "code >= 32 ORDER BY src, dst, kind) AS t")

        def split(text: str | None, count: int) -> list[str] | None:
            parts = text.split("\x1e") if text else []
            return parts if len(parts) == count else None

        def ints(text: str | None) -> Any:
            return (np.fromstring(text, dtype=np.int64, sep=",")
                    if text else np.zeros(0, np.int64))

        def reals(text: str | None) -> Any:
            return (np.fromstring(text, dtype=float, sep=",")
                    if text else np.zeros(0, float))

        def in_key_order(packed: Any, pos: Any) -> bool:
            # a tie's key (src, dst, kind) as its ends' positions (id order) and its kind's
            # place in text order: strictly increasing along the scan iff it is in key order
            # (another kind than the vocabulary's, or an end not read: read it ordered)
            kind = packed & 31
            top = len(pos) - 1
            src = pos[np.minimum(packed >> 36, top)]
            dst = pos[np.minimum((packed >> 10) & (_PACKED_NUMS - 1), top)]
            if (kind == 31).any() or (src < 0).any() or (dst < 0).any():
                return False
            key = (src * (len(pos) + 1) + dst) * 32 + np.array(TIE_RANK)[kind]
            return bool((key[1:] > key[:-1]).all())

        def positions(num: Any) -> Any:
            # node number -> position (-1: none); the last slot stands for any larger number
            pos = np.full(int(num.max()) + 2 if len(num) else 1, -1, dtype=np.int64)
            pos[num] = np.arange(len(num))
            return pos

        def place_values(codes: Any, off: Any, rows: Any) -> Any:
            # a scaled integer has at most 53 significant bits: float and scale back are exact
            out = codes.astype(float) * 2.0 ** -self._PLACE_SCALE
            out[codes == self._PLACE_NULL] = np.nan
            out[off] = rows
            return out
        with self._lock:
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")  # one read snapshot: version and both tables
            try:
                version = int(self._db.execute(
                    "SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
                nrow = got_ids = None
                if area is None:
                    nrow = self._db.execute(scan_sql).fetchone()
                    got_ids = nrow[4].split("\x1e") if nrow[4] else []
                    if any(map(operator.ge, got_ids, itertools.islice(got_ids, 1, None))):
                        nrow = got_ids = None  # not in id order after all: read it ordered
                if nrow is None:
                    nrow = self._db.execute(node_sql, params).fetchone()
                n = nrow[0]  # a NULL number or code is left out of its list: the lengths show it
                num = ints(nrow[1])
                packed_bits = ints(nrow[3])
                if len(packed_bits) == n:
                    interests = packed_bits >> shift
                    needs = packed_bits & ((1 << shift) - 1)
                else:
                    brow = self._db.execute(bits_sql, params).fetchone()
                    interests, needs = ints(brow[0]), ints(brow[1])
                lat_code, lon_code = ints(nrow[9]), ints(nrow[10])
                place = None
                if len(lat_code) == len(lon_code) == n:
                    off = np.flatnonzero((lat_code == self._PLACE_ROW)
                                         | (lon_code == self._PLACE_ROW))
                    place = np.zeros((0, 2))
                    if len(off):
                        try:  # NULL -> nan; a value not a number (never written so): None
                            place = np.fromiter(self._db.execute(place_sql, params),
                                                dtype=np.dtype((float, 2)))
                        except (TypeError, ValueError):
                            place = None
                    if place is not None and len(place) != len(off):
                        place = None
                srow = self._db.execute(sparse_sql, params).fetchone()
                top_num = self._db.execute(
                    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_num'").fetchone()
                trow = None
                if top_num is not None and 0 < top_num[0] <= _PACKED_NUMS:
                    packed = None
                    if area is None and len(num) == n:
                        prow = self._db.execute(packed_scan_sql).fetchone()
                        packed = ints(prow[1])
                        if len(packed) != prow[0] or not in_key_order(packed, positions(num)):
                            packed = None
                    if packed is None:
                        prow = self._db.execute(packed_sql).fetchone()
                        packed = ints(prow[1])
                    if len(packed) == prow[0]:
                        trow = (prow[0], packed >> 36, (packed >> 10) & (_PACKED_NUMS - 1),
                                packed & 1023)
                if trow is None:
                    row = self._db.execute(tie_sql).fetchone()
                    trow = (row[0], ints(row[4]), ints(row[5]), ints(row[6]))
                xrow = self._db.execute(extra_sql).fetchone()
            finally:
                if own:
                    self._db.execute("COMMIT")
        if place is None:
            return None
        lat, lon = place_values(lat_code, off, place[:, 0]), place_values(lon_code, off,
                                                                          place[:, 1])
        code = ints(nrow[2])
        ids = got_ids if got_ids is not None else split(nrow[4], n)
        names, areas = split(nrow[5], n), split(nrow[6], n)
        age = split(nrow[7], n)
        if (ids is None or len(ids) != n or names is None or areas is None or age is None
                or not len(num) == len(code) == len(interests) == len(needs) == n):
            return None
        text: dict[str, list[Any]] = {}
        cap = np.full(n, np.nan)
        for j, col in enumerate(_SPARSE_COLUMNS):
            at = np.flatnonzero(code & (1 << (_SPARSE_SHIFT + j)))
            if col == "capacity":
                got = reals(srow[j])
                if len(got) != len(at):
                    return None
                cap[at] = got
                continue
            values = split(srow[j], len(at))
            if values is None:
                return None
            column: list[Any] = [None] * n
            for i, v in zip(at.tolist(), values, strict=True):
                column[i] = v
            text[col] = column
        goal = split(nrow[8], n)
        if goal is None:
            return None
        text["goal_text"] = list(map(_NONE_FOR_MARK.get, goal, goal))
        text["age_band"] = list(map(_NONE_FOR_MARK.get, age, age))
        # node numbers -> positions, then every tie end by position
        pos = positions(num)
        top = len(pos) - 1
        t, s, d, tcode = trow
        if not len(s) == len(d) == len(tcode) == t:
            return None
        flags = tcode >> 5
        parts: dict[str, Any] = {}
        for j, col in enumerate(("via", "role", "days", "until", "weight")):
            at = np.flatnonzero(flags & (1 << j))
            raw = xrow[j]
            if col == "via":
                via_ids = split(raw, len(at))
                if via_ids is None:
                    return None
                where_id = {}  # each distinct via id -> its position (ids are in id order)
                for v in set(via_ids):
                    i = bisect.bisect_left(ids, v)
                    where_id[v] = i if i < n and ids[i] == v else -1
                via = np.full(t, -1, dtype=np.int64)
                via[at] = [where_id[v] for v in via_ids]
                parts[col] = via
            elif col in ("days", "weight"):
                got = reals(raw)
                if len(got) != len(at):
                    return None
                full_r = np.full(t, np.nan)
                full_r[at] = got
                parts[col] = full_r
            else:
                values = split(raw, len(at))
                if values is None:
                    return None
                parts[col] = (at, values)
        return {
            "version": version, "ids": ids, "name": names,
            "area": list(map(_NONE_FOR_MARK.get, areas, areas)),
            "kind": (code & 15) - 1, "lat": lat, "lon": lon, "capacity": cap,
            "flags": {c: ((code >> (4 + 2 * j)) & 3) - 1 for j, c in enumerate(_FLAG_COLUMNS)},
            "bits": {"roles": (code >> _ROLES_SHIFT) & ((1 << len(vocab.PERSON_ROLES)) - 1),
                     "access": (code >> _ACCESS_SHIFT) & ((1 << len(vocab.ACCESS_FEATURES)) - 1),
                     "interests": interests, "needs": needs},
            "text": text, "src": pos[np.minimum(s, top)], "dst": pos[np.minimum(d, top)],
            "tie_kind": tcode & 31, "via": parts["via"], "days": parts["days"],
            "weight": parts["weight"], "role": parts["role"], "until": parts["until"],
            "ties": t,
        }

    # --- the saved snapshot (one version, inside the store file) -------------------------------
    # At most one is kept (save_snapshot replaces it). An ordinary write leaves it, now of an
    # older version, for Snapshot.from_store to patch from the change log (snapshot_changes);
    # a write that removes a record for good (delete, delete_records), one the log cannot
    # describe, and scrub drop it in the same commit.

    def load_snapshot(self, version: int, fmt: str) -> bytes | None:
        """The snapshot saved for ``version`` in format ``fmt``, or None (none saved, another
        version, another format)."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM snapshot_cache WHERE version = ? AND format = ? AND version = "
                "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version')",
                (version, fmt)).fetchone()
        return bytes(row[0]) if row else None

    def load_saved_snapshot(self, fmt: str) -> tuple[int, bytes] | None:
        """The newest snapshot saved in format ``fmt`` at or below the store's current version,
        as (its version, its bytes), or None: an older one is to be brought up to date with
        :meth:`snapshot_changes`."""
        with self._lock:
            row = self._db.execute(
                "SELECT version, data FROM snapshot_cache WHERE format = ? AND version <= "
                "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version') "
                "ORDER BY version DESC LIMIT 1", (fmt,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def snapshot_changes(self, since: int, known: Callable[[str], bool],
                         limit: int = 5_000) -> dict[str, Any] | None:
        """What changed after version ``since``, as the rows a snapshot is built from, all read
        in one read transaction: ``version`` (now), ``nodes`` (rows as :meth:`analysis_nodes`,
        id order), ``gone`` (node ids deleted), ``ties`` (rows as :meth:`analysis_ties`, key
        order) and ``gone_ties`` ((src, dst, kind) keys deleted). A node new to the reader
        (``known`` says no) brings every tie whose ``via`` names it. None when the log cannot
        say: a version it does not cover, one logged "reload", one written around the store (no
        row of its own), or more than ``limit`` records changed (reading afresh is then as
        quick)."""
        with self._lock:
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")  # one read snapshot: version, log and rows
            try:
                version = self.version()
                changed = self.changes_since(since)
                if changed is None or len(changed["nodes"]) + len(changed["ties"]) > limit:
                    return None
                logged = self._db.execute(
                    "SELECT count(DISTINCT version) FROM changes WHERE version > ?",
                    (since,)).fetchone()[0]
                if logged != version - since:
                    return None
                nodes: list[tuple[Any, ...]] = []
                for chunk in _chunks(sorted(changed["nodes"]), _MAX_PARAMS):
                    marks = ",".join("?" * len(chunk))
                    nodes += self._db.execute(
                        f"SELECT id, kind, name, area, lat, lon, {_FIELD_NAMES} FROM nodes "  # noqa: S608
                        f"WHERE id IN ({marks})", chunk).fetchall()
                found = {r[0] for r in nodes}
                keys = set(changed["ties"])
                new = [r[0] for r in nodes if not known(r[0])]
                for chunk in _chunks(new, _MAX_PARAMS):
                    marks = ",".join("?" * len(chunk))
                    keys.update(self._db.execute(  # the ties' partial index covers via
                        f"SELECT src, dst, kind FROM ties WHERE code >= 32 "  # noqa: S608
                        f"AND via IN ({marks})", chunk).fetchall())
                ties: list[tuple[Any, ...]] = []
                for chunk in _chunks(sorted(keys), self.batch_size):
                    ties += self._db.execute(
                        "SELECT t.src, t.dst, t.kind, t.via, t.role, t.days, t.until, t.weight "
                        "FROM json_each(?) AS j JOIN ties AS t "
                        "ON t.src = json_extract(j.value, '$[0]') "
                        "AND t.dst = json_extract(j.value, '$[1]') "
                        "AND t.kind = json_extract(j.value, '$[2]')",
                        (json.dumps(chunk),)).fetchall()
            finally:
                if own:
                    self._db.execute("COMMIT")
        present = {(r[0], r[1], r[2]) for r in ties}
        return {"version": version, "nodes": sorted(nodes),
                "gone": sorted(changed["nodes"] - found),
                "ties": sorted(ties, key=lambda r: (r[0], r[1], r[2])),
                "gone_ties": sorted(keys - present)}

    def save_snapshot(self, version: int, fmt: str, data: bytes) -> bool:
        """Keep ``data`` as the snapshot of ``version`` (replacing any other: one at most),
        only while the store is still at that version; never waits for another writer and never
        changes the version. A write that removes a record for good (and :meth:`scrub`) drops
        it; any other write leaves it to be patched. Returns whether it was kept."""
        with self._lock:
            if self._db.in_transaction or str(self.path) == ":memory:":
                return False
            try:
                self._db.execute("PRAGMA busy_timeout = 0")
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                finally:
                    self._db.execute("PRAGMA busy_timeout = 30000")
            except sqlite3.OperationalError:  # another writer holds the store: skip
                return False
            try:
                now = int(self._db.execute(
                    "SELECT value FROM meta WHERE key = 'version'").fetchone()[0])
                if now != version:
                    self._db.execute("ROLLBACK")
                    return False
                self._db.execute("DELETE FROM snapshot_cache")
                self._db.execute(
                    "INSERT INTO snapshot_cache (version, format, data) VALUES (?, ?, ?)",
                    (version, fmt, data))
                self._db.execute("COMMIT")
                return True
            except sqlite3.Error:
                self._db.execute("ROLLBACK")
                return False

    def drop_snapshot(self) -> None:
        """Forget the saved snapshot (it holds personal data: erasure removes it)."""
        with self._lock:
            if self._db.in_transaction:
                self._db.execute("DELETE FROM snapshot_cache")
            else:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM snapshot_cache")
                self._db.execute("COMMIT")

    def scrub(self) -> None:
        """Rewrite the file so deleted rows do not linger in free pages or the WAL (erasure);
        the saved snapshot goes first."""
        self.drop_snapshot()
        if str(self.path) == ":memory:":
            return
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    # --- person records: measures, goals and ratings (issue 18) ----------------------------------
    # Records about people kept beside the graph (never nodes or ties); see assetmap.records.

    _RECORDS_SCHEMA = (
        "CREATE TABLE IF NOT EXISTS person_records (id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "person_id TEXT NOT NULL, subject_id TEXT, date TEXT NOT NULL, "
        "data TEXT NOT NULL DEFAULT '{}') WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS person_records_person ON person_records (person_id)",
        "CREATE INDEX IF NOT EXISTS person_records_subject ON person_records (kind, subject_id)",
    )

    def _records_table(self) -> None:
        if getattr(self, "_records_ready", False):
            return
        for statement in self._RECORDS_SCHEMA:
            self._db.execute(statement)
        # inside a transaction the table could still be rolled back: only remember it outside
        self._records_ready = self._depth == 0

    def add_records(self, records: Iterable[Any]) -> int:
        """Insert or replace person records by id (validated first); return how many."""
        rows = []
        for rec in records:
            rec.validate()
            rows.append((rec.id, rec.kind, rec.person_id, rec.subject_id, rec.date,
                         _dumps(rec.data)))
        with self.transaction():
            self._records_table()
            if rows:
                self._db.executemany(
                    "INSERT INTO person_records (id, kind, person_id, subject_id, date, data) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "kind = excluded.kind, person_id = excluded.person_id, "
                    "subject_id = excluded.subject_id, date = excluded.date, "
                    "data = excluded.data", rows)
                self._dirty = True
        return len(rows)

    def records(self, kind: str | None = None, person_id: str | None = None,
                subject_ids: Iterable[str] | None = None) -> list[Any]:
        """Person records (of a kind, of a person, about some subjects), by date then id."""
        from assetmap.records import PersonRecord

        where, params = [], []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if person_id is not None:
            where.append("person_id = ?")
            params.append(person_id)
        subjects = sorted(set(subject_ids)) if subject_ids is not None else None
        if subjects is not None:
            if not subjects:
                return []
            where.append("subject_id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(subjects))
        sql = "SELECT id, kind, person_id, subject_id, date, data FROM person_records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY date, id"
        with self._lock:
            self._records_table()
            rows = self._db.execute(sql, params).fetchall()
        return [PersonRecord(id=r[0], kind=r[1], person_id=r[2], subject_id=r[3], date=r[4],
                             data=json.loads(r[5])) for r in rows]

    def delete_records(self, person_id: str) -> int:
        """Remove every record a person holds (their erasure); return how many went."""
        with self.transaction():
            self._records_table()
            cur = self._db.execute("DELETE FROM person_records WHERE person_id = ?",
                                   (person_id,))
            if cur.rowcount:
                self._dirty = True
                self._erasing = True
        return cur.rowcount

    # --- postcode lookup (issue 11) --------------------------------------------------------------
    # A lookup imported into the store is kept (a table beside the graph, never nodes), so later
    # imports place people by postcode; see assetmap.ingest.postcodes.

    _POSTCODES_SCHEMA = (
        "CREATE TABLE IF NOT EXISTS postcodes (postcode TEXT PRIMARY KEY, lat REAL, lon REAL, "
        "lsoa TEXT, ward TEXT, terminated INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")

    def _postcodes_table(self) -> None:
        if getattr(self, "_postcodes_ready", False):
            return
        self._db.execute(self._POSTCODES_SCHEMA)
        # inside a transaction the table could still be rolled back: only remember it outside
        self._postcodes_ready = self._depth == 0

    def upsert_postcodes(self, rows: Iterable[Any]) -> int:
        """Insert or replace lookup entries (postcode, lat, lon, lsoa, ward, terminated) by
        postcode; return how many were given."""
        values = [(str(r[0]), r[1], r[2], r[3], r[4], int(bool(r[5]))) for r in rows]
        with self.transaction():
            self._postcodes_table()
            if values:
                cur = self._db.executemany(
                    "INSERT INTO postcodes (postcode, lat, lon, lsoa, ward, terminated) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (postcode) DO UPDATE SET "
                    "lat = excluded.lat, lon = excluded.lon, lsoa = excluded.lsoa, "
                    "ward = excluded.ward, terminated = excluded.terminated "
                    "WHERE postcodes.lat IS NOT excluded.lat OR postcodes.lon IS NOT excluded.lon "
                    "OR postcodes.lsoa IS NOT excluded.lsoa OR postcodes.ward IS NOT excluded.ward "
                    "OR postcodes.terminated IS NOT excluded.terminated", values)
                if cur.rowcount:
                    self._dirty = True
        return len(values)

    def postcodes(self, outward: str | None = None) -> Iterator[Any]:
        """The kept lookup as (postcode, lat, lon, lsoa, ward, terminated), in postcode order;
        with ``outward`` ("M5"), only that postcode district. Streamed."""
        with self._lock:
            self._postcodes_table()
        sql = "SELECT postcode, lat, lon, lsoa, ward, terminated FROM postcodes"
        params: tuple[str, ...] = ()
        if outward is not None:
            sql += " WHERE postcode >= ? AND postcode < ?"  # "M5 " up to "M5!": one district
            params = (f"{outward} ", f"{outward}!")
        return ((r[0], r[1], r[2], r[3], r[4], bool(r[5]))
                for r in self._stream(sql + " ORDER BY postcode", params))

    def count_postcodes(self) -> int:
        """How many postcodes the kept lookup holds."""
        with self._lock:
            self._postcodes_table()
            return int(self._db.execute("SELECT count(*) FROM postcodes").fetchone()[0])

    # --- small queries for small questions (issue 16) -------------------------------------------
    # The SQLite side of the Neo4j store's small reads (graph/store/cookbook.py).

    _GROUPS_IN_BOX = (
        "SELECT id, name, lat, lon FROM nodes WHERE kind = 'Group' "
        "AND coalesce(status, 'active') <> 'closed' AND lat BETWEEN ? AND ? "
        "AND lon BETWEEN ? AND ?")
    _PLACE_DEPENDANTS = (
        "WITH places (id) AS (SELECT ? UNION SELECT t.dst FROM ties AS t "
        "JOIN nodes AS g ON g.id = t.dst AND g.kind = 'Group' WHERE t.src = ? AND t.kind = 'RUNS') "
        "SELECT DISTINCT t.src, t.dst, t.kind FROM ties AS t JOIN places AS p ON t.dst = p.id "
        "JOIN nodes AS n ON n.id = t.src AND n.kind = 'Person' "
        "WHERE t.kind IN ('ATTENDS', 'VOLUNTEERS_AT') ORDER BY t.src, t.dst, t.kind")

    def groups_near(self, lat: float, lon: float, km: float) -> list[dict[str, Any]]:
        """Open groups within ``km`` of (lat, lon), nearest first: a bounding box on the
        indexed columns, refined by great-circle distance."""
        from assetmap.graph.store.cookbook import bounding_box, within_km

        box = bounding_box(float(lat), float(lon), km)
        with self._lock:
            rows = self._db.execute(self._GROUPS_IN_BOX, (box["south"], box["north"],
                                                          box["west"], box["east"])).fetchall()
        return within_km(({"id": r[0], "name": r[1], "lat": r[2], "lon": r[3]} for r in rows),
                         float(lat), float(lon), km)

    def place_dependants(self, place_id: str) -> list[dict[str, Any]]:
        """People tied to one group or organisation (or a group it runs) by ATTENDS or
        VOLUNTEERS_AT: person_id, place_id, tie_kind."""
        with self._lock:
            rows = self._db.execute(self._PLACE_DEPENDANTS, (place_id, place_id)).fetchall()
        return [{"person_id": r[0], "place_id": r[1], "tie_kind": r[2]} for r in rows]

    def get_ties_many(self, keys: Iterable[tuple[str, str, str]]
                      ) -> dict[tuple[str, str, str], Tie]:
        """The ties among ``keys`` ((src, dst, kind)) that exist, as stored, by the key as given
        (a symmetric tie found whichever way round it is asked); absent ones are left out. One
        read per batch, by primary key (issue 12: a tie merge reads no tie on its own)."""
        wanted: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
        for key in keys:
            s, d = canonical_tie(key[0], key[1], key[2])
            wanted.setdefault((s, d, key[2]), []).append(key)
        found: dict[tuple[str, str, str], Tie] = {}
        for chunk in _chunks(list(wanted), self.batch_size):
            with self._lock:
                rows = self._db.execute(
                    "SELECT t.src, t.dst, t.kind, t.props FROM json_each(?) AS j "
                    "JOIN ties AS t ON t.src = json_extract(j.value, '$[0]') "
                    "AND t.dst = json_extract(j.value, '$[1]') "
                    "AND t.kind = json_extract(j.value, '$[2]')",
                    (json.dumps(chunk),)).fetchall()
            for src, dst, kind, props in rows:
                tie = Tie(src, dst, kind, json.loads(props))
                for asked in wanted.get((src, dst, kind), ()):
                    found[asked] = tie
        return found


_BULK_ROWS = "temp.assetmap_bulk_rows"
_BULK_GROUPS = "temp.assetmap_bulk_groups"
_BULK_INSERT = (
    f"INSERT INTO nodes (id, kind, name, area, lat, lon, props, num, code, {_FIELD_NAMES}) "  # noqa: S608 - fixed names only
    "SELECT r.id, ?, r.name, r.area, r.lat, r.lon, r.props, ? + r.rowid, g.code, "
    + ", ".join(f"g.{c}" for c in ANALYSIS_COLUMNS)
    + f" FROM {_BULK_ROWS} AS r JOIN {_BULK_GROUPS} AS g ON g.g = r.g ORDER BY r.rowid")


class NewNodeWriter:
    """Writes, in bulk, records of one kind that the caller has already checked (as
    :meth:`Node.checked_json` would) and knows are new to the store (an importer that read
    back every id of its batch and found none stored).

    Each row is ``(id, name, area, lat, lon, props_json, group)`` where ``props_json`` is the
    canonical props text (:func:`~assetmap.model.props_json`) and ``group`` numbers the row's
    :func:`~assetmap.model.analysis_fields` tuple (from :meth:`group`): a file's rows share a
    few thousand such tuples at most, so the packed ``code`` and the analysis columns are
    derived once per tuple and joined in SQL, and each row binds seven plain values into a TEMP
    table that one ``INSERT … SELECT`` per batch copies into ``nodes``. Nothing is re-checked
    here (the importer's parsers only make valid records: tests compare every stored column
    with :meth:`SQLiteStore.upsert_nodes`'s). Numbers (``num``), the change log, the store
    version and the saved snapshot follow exactly upsert_nodes's rules (new records take the
    next numbers in the order given; any write drops the saved snapshot at commit)."""

    def __init__(self, store: SQLiteStore, kind: str):
        if kind not in vocab.NODE_KINDS:
            raise ValidationError(f"kind {kind!r} is not one of {', '.join(vocab.NODE_KINDS)}.",
                                  field="kind")
        self._store = store
        self.kind = kind
        self.written = 0
        self._groups: dict[tuple[Any, ...], int] = {}
        db = store._db
        db.execute(f"CREATE TABLE IF NOT EXISTS {_BULK_GROUPS} "
                   f"(g INTEGER PRIMARY KEY, code, {_FIELD_NAMES})")
        db.execute(f"CREATE TABLE IF NOT EXISTS {_BULK_ROWS} "
                   "(id, name, area, lat, lon, props, g)")
        db.execute(f"DELETE FROM {_BULK_GROUPS}")  # noqa: S608 - fixed names only
        db.execute(f"DELETE FROM {_BULK_ROWS}")  # noqa: S608

    def group(self, fields: tuple[Any, ...]) -> int:
        """The number of an :func:`~assetmap.model.analysis_fields` tuple (its code and
        columns written once)."""
        g = self._groups.get(fields)
        if g is None:
            if len(fields) != len(ANALYSIS_COLUMNS):
                raise ValidationError("analysis fields do not match the store's columns.")
            g = self._groups[fields] = len(self._groups) + 1
            self._store._db.execute(
                f"INSERT INTO {_BULK_GROUPS} VALUES (?, ?, {_FIELD_MARKS})",  # noqa: S608
                (g, node_code(self.kind, fields), *fields))
        return g

    def add(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (all new: an id already stored raises StoreError, and the caller's
        transaction then leaves the store as it was). Returns how many were written."""
        if not rows:
            return 0
        store = self._store
        db = store._db
        with store._lock:
            db.executemany(f"INSERT INTO {_BULK_ROWS} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
            low = db.execute(f"SELECT min(rowid) FROM {_BULK_ROWS}").fetchone()[0]  # noqa: S608
            first = store._take_nums(len(rows))
            try:
                cur = db.execute(_BULK_INSERT, (self.kind, first - low))
            except sqlite3.IntegrityError as exc:
                raise StoreError(f"A bulk write of new records met one already stored ({exc}); "
                                 "the write was refused.") from None
            finally:
                db.execute(f"DELETE FROM {_BULK_ROWS}")  # noqa: S608
            if cur.rowcount != len(rows):
                raise StoreError("A bulk write row named an unknown analysis group.")
            store._dirty = True
            if len(store._touched) <= _LOG_LIMIT:
                store._touched += [("node", r[0], None, None) for r in rows]
        self.written += len(rows)
        return len(rows)
