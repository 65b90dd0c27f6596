"""Who may see what: accounts, roles, caseloads and sessions, kept where the store is.

For a SQLite store the access database is a small SQLite file beside it (``<store>.access.db``;
see :func:`assetmap.settings.access_db_path`); for a Neo4j store it is a set of nodes in the
store's own database (:mod:`assetmap.governance.access_neo4j`), so every app server of a
deployment shares it. :class:`AccessDB` holds the rules; an :class:`AccessBackend` stores. It
holds accounts (argon2 password hashes, never passwords), each coordinator's caseload (person
ids), the append-only audit log (:mod:`assetmap.governance.audit`), erasure tombstones,
server-side sessions and sign-in throttles. The file, and the key beside it
(:mod:`assetmap.governance.keys`; a private file for a Neo4j store too, never in the
database), are mode 0600.

Sign-in (:meth:`AccessDB.authenticate`): each attempt is counted, atomically, *before* the
password is checked, per account and per client; past the limit the attempt is refused unchecked
and the account (or client) waits, the wait doubling with each lock-out up to
``LOCKOUT_MINUTES``, so no one can lock anyone out for longer. Every answer costs one argon2
verification (a dummy hash for unknown or locked accounts), so timing does not tell which
accounts exist or are locked.

Sessions (:func:`issue_session_token`, :func:`verify_session_token`): an HMAC-signed token naming
a server-side session row, bound to a fingerprint of the browser, with idle and total expiry and
revocation on sign-out. It is safe to hand to the browser (a cookie or a query parameter): without
the server key it cannot be forged, and a copied token fails on another browser's fingerprint.

Roles:
- ``coordinator``: their own caseload in full; anyone else is "not found" (and audited as denied);
- ``hub_analyst``: areas and counts only, never a person page;
- ``admin``: data and users; a bulk export of people needs a recorded reason.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import AssetmapError, NotFoundError, ValidationError
from assetmap.governance import audit, keys
from assetmap.graph.store import GraphStore

if TYPE_CHECKING:  # numpy and pandas are imported where used: `assetmap info` stays light
    import numpy as np
    import pandas as pd

COORDINATOR, HUB_ANALYST, ADMIN = "coordinator", "hub_analyst", "admin"
ROLES: tuple[str, ...] = (COORDINATOR, HUB_ANALYST, ADMIN)
ROLE_LABELS: dict[str, str] = {COORDINATOR: "Coordinator", HUB_ANALYST: "Hub analyst",
                               ADMIN: "Administrator"}

#: Which app pages (files in ``ui/views/``) each role may open. Everything else is denied.
PAGES_FOR_ROLE: dict[str, frozenset[str]] = {
    COORDINATOR: frozenset({"worklist.py", "map.py", "person.py", "directory.py", "gaps.py",
                            "resilience.py", "outcomes.py", "about.py"}),
    HUB_ANALYST: frozenset({"map.py", "directory.py", "gaps.py", "resilience.py",
                            "outcomes.py", "about.py"}),
    ADMIN: frozenset({"map.py", "person.py", "directory.py", "gaps.py", "resilience.py",
                      "outcomes.py", "data.py", "about.py"}),
}

MIN_PASSWORD_LENGTH = 12
#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" against online attack
#: with throttling and offline attack on a slow hash.
MIN_PASSWORD_SCORE = 3
#: Sign-in attempts without success allowed per account within LOCKOUT_MINUTES; the next one is
#: refused unchecked (even with the right password) and the account waits (see backoff).
MAX_FAILED_SIGN_INS = 5
#: The same per client (browser address, or "cli"), across every account it tries.
MAX_CLIENT_FAILURES = 20
LOCKOUT_MINUTES = 15
#: The first wait after a lock-out; each further lock-out doubles it, up to LOCKOUT_MINUTES.
FIRST_LOCKOUT_SECONDS = 60
LOCKED_REASON = "locked: too many wrong passwords"
#: Characters that show nothing (zero-width spaces and joiners, BOM, soft hyphen...).
_INVISIBLE = frozenset("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c"
                       "\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061"
                       "\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()  # argon2id, salted, with the library's (OWASP-level) cost settings
# Verified against when the account does not exist, so a wrong name costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_DUMMIES: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash made by the current hasher (same cost as a real account's), for equal-time
    answers to unknown and locked accounts."""
    if id(_hasher) not in _DUMMIES:
        _DUMMIES[id(_hasher)] = _hasher.hash(secrets.token_urlsafe(16))
    return _DUMMIES[id(_hasher)]


def _now() -> float:
    """The clock throttles and sessions use (seconds; tests move it)."""
    return time.time()

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT,
    created TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS caseload (
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    person_id TEXT NOT NULL,
    PRIMARY KEY (user, person_id)
);
CREATE INDEX IF NOT EXISTS caseload_person ON caseload(person_id);
CREATE TABLE IF NOT EXISTS tombstones (
    tombstone_id TEXT PRIMARY KEY,
    erased_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    window_start REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    fingerprint TEXT NOT NULL,
    issued REAL NOT NULL,
    last_seen REAL NOT NULL,
    expires REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class User:
    """A signed-in person using assetmap: their account name, role and (coordinators) caseload."""

    name: str
    role: str
    caseload: frozenset[str] = field(default_factory=frozenset)
    #: A demo account (made by ``assetmap demo``): refused once real people are in the store.
    demo: bool = False

    @property
    def label(self) -> str:
        """How the app names the role ("Coordinator", "Hub analyst", "Administrator")."""
        return ROLE_LABELS.get(self.role, self.role)


#: A row of the audit log as the chain hashes it: seq, at, user, role, person_id, action,
#: outcome, reason (then, in a chain read, person_ref, prev_hash, row_hash).
AuditRow = tuple[Any, ...]


class AccessBackend(Protocol):
    """Where the access data lives: :class:`SQLiteAccess` (a file beside a SQLite store) or
    :class:`assetmap.governance.access_neo4j.Neo4jAccess` (nodes in the Neo4j store's own
    database). :class:`AccessDB` holds the rules; a backend only stores and reads, and makes
    each step atomic (read-then-write steps hold a write lock from their start)."""

    kind: str

    def close(self) -> None: ...
    # accounts
    def add_user(self, name: str, role: str, password_hash: str | None, created: str,
                 demo: bool) -> bool: ...
    def set_password_hash(self, name: str, password_hash: str) -> bool: ...
    def remove_user(self, name: str) -> bool: ...
    def users(self) -> list[tuple[str, str, int, bool]]: ...
    def user(self, name: str) -> tuple[str, str, bool, frozenset[str]] | None: ...
    def password_hash(self, name: str) -> tuple[bool, str | None]: ...
    def account_rows(self) -> list[tuple[str, str, str | None, str, bool]]: ...
    # sign-in throttles
    def count_attempt(self, lines: list[tuple[str, int]], now: float, window: float) -> bool: ...
    def clear_throttle(self, key: str) -> None: ...
    def throttle(self, key: str) -> tuple[int, float] | None: ...
    # sessions
    def add_session(self, session_id: str, user: str, fingerprint: str, now: float,
                    expires: float) -> None: ...
    def session(self, session_id: str) -> tuple[str, str, float, float, float, bool] | None: ...
    def touch_session(self, session_id: str, now: float) -> None: ...
    def revoke_session(self, session_id: str) -> bool: ...
    def revoke_sessions(self, name: str) -> int: ...
    # caseloads and tombstones
    def add_to_caseload(self, name: str, person_ids: list[str]) -> int: ...
    def remove_from_caseload(self, name: str, person_ids: list[str]) -> int: ...
    def caseload_rows(self) -> list[tuple[str, str]]: ...
    def caseload_holders(self, person_id: str) -> list[str]: ...
    def forget_person(self, person_id: str, tombstone: str, at: str) -> None: ...
    def tombstones(self) -> list[tuple[str, str]]: ...
    def add_tombstones(self, rows: list[tuple[str, str]]) -> None: ...
    # the audit log
    def audit_append(self, ref: str, person_id: str | None,
                     make: Callable[[str | None, int, str], tuple[AuditRow, str]]
                     ) -> tuple[int, str]: ...
    def audit_pseudonymise(self, person_id: str, tombstone: str) -> int: ...
    def audit_events(self, person: str | None, ref: str | None, user: str | None,
                     action: str | None, since: str | None) -> Iterator[AuditRow]: ...
    def audit_chain(self) -> tuple[list[AuditRow], int | None, list[str]]: ...
    def audit_head(self, have_rows: bool) -> tuple[list[tuple[int, str]], list[str]]: ...
    def audit_load(self, rows: list[AuditRow], head: tuple[int, str] | None) -> None: ...


class SQLiteAccess:
    """Access data in a small SQLite file of its own (mode 0600); the audit head in a side
    file (:func:`assetmap.governance.audit.head_path`)."""

    kind = "sqlite"

    def __init__(self, path: str | Path, lock: threading.RLock | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = lock or threading.RLock()
        try:
            if not self.path.exists():  # created private, whatever the process umask
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, keys.PRIVATE_MODE))
            # Autocommit: multi-statement changes take BEGIN IMMEDIATE (see transaction()).
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0,
                                      isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.executescript(SCHEMA)
            audit.ensure_schema(self.db, self.path)
        except sqlite3.DatabaseError as exc:
            raise AssetmapError(f"The access file {self.path} cannot be opened ({exc}).") \
                from None
        keys.make_private(self.path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that holds the database's write lock from its start
        (BEGIN IMMEDIATE), so read-then-write steps are atomic across threads and processes."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        """Release the file."""
        with self.lock:
            self.db.close()

    # accounts
    def add_user(self, name: str, role: str, password_hash: str | None, created: str,
                 demo: bool) -> bool:
        """Insert an account; False if the name is taken."""
        with self.lock:
            try:
                self.db.execute("INSERT INTO users (name, role, password_hash, created, demo) "
                                "VALUES (?, ?, ?, ?, ?)",
                                (name, role, password_hash, created, int(demo)))
            except sqlite3.IntegrityError:
                return False
        return True

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Replace a hash and end the account's sessions; False if no such account."""
        with self.transaction() as db:
            cur = db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                             (password_hash, name))
            db.execute("UPDATE sessions SET revoked = 1 WHERE user = ?", (name,))
        return cur.rowcount > 0

    def remove_user(self, name: str) -> bool:
        """Delete an account with its caseload and sessions; False if no such account."""
        with self.lock:
            cur = self.db.execute("DELETE FROM users WHERE name = ?", (name,))
        return cur.rowcount > 0

    def users(self) -> list[tuple[str, str, int, bool]]:
        """(name, role, caseload size, demo?) by name."""
        with self.lock:
            rows = self.db.execute(
                "SELECT u.name, u.role, COUNT(c.person_id), u.demo FROM users u "
                "LEFT JOIN caseload c ON c.user = u.name GROUP BY u.name ORDER BY u.name"
            ).fetchall()
        return [(n, r, int(c), bool(d)) for n, r, c, d in rows]

    def user(self, name: str) -> tuple[str, str, bool, frozenset[str]] | None:
        """(name, role, demo?, caseload) or None."""
        with self.lock:
            row = self.db.execute("SELECT name, role, demo FROM users WHERE name = ?",
                                  (name,)).fetchone()
            if row is None:
                return None
            ids = self.db.execute("SELECT person_id FROM caseload WHERE user = ?",
                                  (name,)).fetchall()
        return row[0], row[1], bool(row[2]), frozenset(i for (i,) in ids)

    def password_hash(self, name: str) -> tuple[bool, str | None]:
        """(account exists?, its hash or None)."""
        with self.lock:
            row = self.db.execute("SELECT password_hash FROM users WHERE name = ?",
                                  (name,)).fetchone()
        return (row is not None, row[0] if row and row[0] else None)

    def account_rows(self) -> list[tuple[str, str, str | None, str, bool]]:
        """Every account as stored (name, role, hash, created, demo?), for a copy."""
        with self.lock:
            rows = self.db.execute("SELECT name, role, password_hash, created, demo FROM users "
                                   "ORDER BY name").fetchall()
        return [(n, r, h, c, bool(d)) for n, r, h, c, d in rows]

    # sign-in throttles
    def count_attempt(self, lines: list[tuple[str, int]], now: float, window: float) -> bool:
        """Count one attempt on each (key, limit) line in one write transaction; whether it
        may be checked."""
        allowed = True
        with self.transaction() as db:
            for key, limit in lines:
                db.execute("INSERT OR IGNORE INTO throttle (key, window_start) VALUES (?, ?)",
                           (key, now))
                # A quiet window forgets old failures (but not how often it was locked).
                db.execute("UPDATE throttle SET failures = 0, window_start = ? WHERE key = ? "
                           "AND window_start <= ? AND locked_until <= ?",
                           (now, key, now - window, now))
                failures, locked_until, lockouts = db.execute(
                    "UPDATE throttle SET failures = failures + (locked_until <= ?) "
                    "WHERE key = ? RETURNING failures, locked_until, lockouts",
                    (now, key)).fetchone()
                if locked_until > now:
                    allowed = False
                elif failures > limit:
                    wait = lockout_wait(lockouts, window)
                    db.execute("UPDATE throttle SET locked_until = ?, lockouts = lockouts + 1, "
                               "failures = 0, window_start = ? WHERE key = ?",
                               (now + wait, now + wait, key))
                    allowed = False
        return allowed

    def clear_throttle(self, key: str) -> None:
        """Forget a line's failures and lock-outs (a good sign-in)."""
        with self.transaction() as db:
            db.execute("UPDATE throttle SET failures = 0, lockouts = 0, locked_until = 0 "
                       "WHERE key = ?", (key,))

    def throttle(self, key: str) -> tuple[int, float] | None:
        """(failures, locked until) of one line, or None."""
        with self.lock:
            row = self.db.execute("SELECT failures, locked_until FROM throttle WHERE key = ?",
                                  (key,)).fetchone()
        return (int(row[0]), float(row[1])) if row else None

    # sessions
    def add_session(self, session_id: str, user: str, fingerprint: str, now: float,
                    expires: float) -> None:
        """Record a new session and drop those ended more than a day ago."""
        with self.transaction() as db:
            db.execute("INSERT INTO sessions (session_id, user, fingerprint, issued, last_seen, "
                       "expires) VALUES (?, ?, ?, ?, ?, ?)",
                       (session_id, user, fingerprint, now, now, expires))
            db.execute("DELETE FROM sessions WHERE expires < ? OR revoked = 1", (now - 86400,))

    def session(self, session_id: str) -> tuple[str, str, float, float, float, bool] | None:
        """(user, fingerprint, issued, last seen, expires, revoked?) or None."""
        with self.lock:
            row = self.db.execute("SELECT user, fingerprint, issued, last_seen, expires, revoked "
                                  "FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def touch_session(self, session_id: str, now: float) -> None:
        """Note activity on a session."""
        with self.transaction() as db:
            db.execute("UPDATE sessions SET last_seen = ? WHERE session_id = ?",
                       (now, session_id))

    def revoke_session(self, session_id: str) -> bool:
        """End one session; whether it existed."""
        with self.transaction() as db:
            cur = db.execute("UPDATE sessions SET revoked = 1 WHERE session_id = ?",
                             (session_id,))
        return cur.rowcount > 0

    def revoke_sessions(self, name: str) -> int:
        """End every session of an account; how many."""
        with self.transaction() as db:
            cur = db.execute("UPDATE sessions SET revoked = 1 WHERE user = ?", (name,))
        return int(cur.rowcount)

    # caseloads and tombstones
    def add_to_caseload(self, name: str, person_ids: list[str]) -> int:
        """Add people to a caseload; how many were new."""
        with self.lock:
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO caseload (user, person_id) VALUES (?, ?)",
                                [(name, p) for p in person_ids])
            return self.db.total_changes - before

    def remove_from_caseload(self, name: str, person_ids: list[str]) -> int:
        """Take people off a caseload; how many went."""
        with self.lock:
            before = self.db.total_changes
            self.db.executemany("DELETE FROM caseload WHERE user = ? AND person_id = ?",
                                [(name, p) for p in person_ids])
            return self.db.total_changes - before

    def caseload_rows(self) -> list[tuple[str, str]]:
        """Every (account, person id) caseload entry, for a copy."""
        with self.lock:
            return [(u, p) for u, p in self.db.execute(
                "SELECT user, person_id FROM caseload ORDER BY user, person_id")]

    def caseload_holders(self, person_id: str) -> list[str]:
        """The accounts whose caseload holds this person, by name."""
        with self.lock:
            return [u for (u,) in self.db.execute(
                "SELECT user FROM caseload WHERE person_id = ? ORDER BY user", (person_id,))]

    def forget_person(self, person_id: str, tombstone: str, at: str) -> None:
        """Drop a person from every caseload and keep a tombstone, in one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM caseload WHERE person_id = ?", (person_id,))
            db.execute("INSERT INTO tombstones (tombstone_id, erased_at) VALUES (?, ?)",
                       (tombstone, at))

    def tombstones(self) -> list[tuple[str, str]]:
        """Every erasure as (tombstone id, UTC time)."""
        with self.lock:
            return [(t, a) for t, a in self.db.execute(
                "SELECT tombstone_id, erased_at FROM tombstones ORDER BY erased_at")]

    def add_tombstones(self, rows: list[tuple[str, str]]) -> None:
        """Keep tombstones made elsewhere (a copy)."""
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO tombstones (tombstone_id, erased_at) "
                           "VALUES (?, ?)", rows)

    # the audit log
    def audit_append(self, ref: str, person_id: str | None,
                     make: Callable[[str | None, int, str], tuple[AuditRow, str]]
                     ) -> tuple[int, str]:
        """Append one chained row under the write lock: ``make(person_id, seq, prev_hash)``
        gives the row and its hash (an erased person's id already swapped for the tombstone)."""
        with self.transaction() as db:
            if person_id is not None:
                # An erased person stays erased: a later attempt on their old id is written
                # under their tombstone, so the id never comes back into the log.
                erased = db.execute(
                    "SELECT person_id FROM audit WHERE person_ref = ? AND person_id LIKE "
                    "'erased:%' LIMIT 1", (ref,)).fetchone()
                if erased is not None:
                    person_id = erased[0]
            last = db.execute("SELECT seq, row_hash FROM audit ORDER BY seq DESC LIMIT 1"
                              ).fetchone()
            used = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
            seq = max(int(last[0]) if last else 0, int(used[0]) if used else 0) + 1
            prev = last[1] if last and last[1] else audit.GENESIS
            row, digest = make(person_id, seq, prev)
            db.execute(
                "INSERT INTO audit (seq, at, user, role, person_id, action, outcome, reason, "
                "person_ref, prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, ref, prev, digest))
        audit.write_head_file(audit.head_file(self.path), seq, digest)
        return seq, digest

    def audit_pseudonymise(self, person_id: str, tombstone: str) -> int:
        """Put a tombstone in place of a person id in every row; how many changed."""
        with self.transaction() as db:
            cur = db.execute("UPDATE audit SET person_id = ? WHERE person_id = ?",
                             (tombstone, person_id))
            return int(cur.rowcount)

    def audit_events(self, person: str | None, ref: str | None, user: str | None,
                     action: str | None, since: str | None) -> Iterator[AuditRow]:
        """Rows (seq ... reason), oldest first, matching every filter given."""
        clauses: list[str] = []
        params: list[Any] = []
        if person is not None:
            clauses.append("(person_id = ? OR person_ref = ?)")
            params += [person, ref]
        for column, value in (("user", user), ("action", action)):
            if value is not None:
                clauses.append(f"{column} = ?")  # fixed column names
                params.append(value)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        sql = audit.SELECT_ROW + " FROM audit"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        with self.lock:
            rows = self.db.execute(sql + " ORDER BY seq", params).fetchall()
        return iter(rows)

    def audit_chain(self) -> tuple[list[AuditRow], int | None, list[str]]:
        """Every row with its chain columns, the highest number ever given, and what this
        backend alone can tell is wrong (its protective triggers gone)."""
        with self.lock:
            rows = self.db.execute(audit.SELECT_CHAIN).fetchall()
            used = self.db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
            triggers = {r[0] for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        problems = []
        if not {"audit_no_update", "audit_no_delete"} <= triggers:
            problems.append("The audit log's protective triggers were removed.")
        return rows, (int(used[0]) if used else None), problems

    def audit_head(self, have_rows: bool) -> tuple[list[tuple[int, str]], list[str]]:
        """The recorded head(s) (seq, hash), and problems reading them."""
        return audit.read_head_file(audit.head_file(self.path), required=have_rows)

    def audit_load(self, rows: list[AuditRow], head: tuple[int, str] | None) -> None:
        """Append rows copied from another log (numbers, chain and all) and move the head."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO audit (seq, at, user, role, person_id, action, outcome, reason, "
                "person_ref, prev_hash, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [tuple(r) for r in rows])
            if head is not None:  # a log whose tail was numbered but not kept stays so
                db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'audit'",
                           (head[0],))
        if head is not None:
            audit.write_head_file(audit.head_file(self.path), head[0], head[1])


def lockout_wait(lockouts: int, window: float) -> float:
    """Seconds a line waits after its ``lockouts``-th lock-out: doubling, up to the window."""
    return float(min(FIRST_LOCKOUT_SECONDS * 2 ** min(lockouts, 20), window))


class AccessDB:
    """The access database: accounts, caseloads, sessions, audit rows and tombstones, kept by a
    backend (:class:`AccessBackend`): a SQLite file for a SQLite store, the Neo4j database
    itself for a Neo4j store (:meth:`for_store`). ``path`` locates the server key (and, for
    SQLite, is the file)."""

    def __init__(self, path: str | Path, backend: AccessBackend | None = None):
        self.path = Path(path)
        self.lock = threading.RLock()
        self._keys: dict[str, bytes] = {}
        self.backend: AccessBackend = backend if backend is not None else SQLiteAccess(
            self.path, self.lock)

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection (a SQLite backend only; for tests and the migration)."""
        if not isinstance(self.backend, SQLiteAccess):
            raise AttributeError("This access database is not a SQLite file.")
        return self.backend.db

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A SQLite backend's write transaction (BEGIN IMMEDIATE)."""
        if not isinstance(self.backend, SQLiteAccess):
            raise AttributeError("This access database is not a SQLite file.")
        return self.backend.transaction()

    def key(self, purpose: str) -> bytes:
        """This store's key for one purpose (see :mod:`assetmap.governance.keys`)."""
        if purpose not in self._keys:
            self._keys[purpose] = keys.derived_key(self.path, purpose)
        return self._keys[purpose]

    @classmethod
    def for_store(cls, store_url: str | None = None) -> AccessDB:
        """The access database that belongs to a store URL: nodes in the database itself for a
        Neo4j store (bolt://, neo4j://), else the SQLite file ``settings.access_db_path`` names.
        The server key stays a private file either way (beside that path)."""
        url = store_url or _settings.default_store_url()
        path = _settings.access_db_path(url)
        if is_server_url(url):
            from assetmap.governance.access_neo4j import Neo4jAccess

            access = cls(path, backend=Neo4jAccess.open(url, witness=audit.head_file(path)))
            if path.exists():
                access._adopt_file(path)
            return access
        return cls(path)

    def _adopt_file(self, path: Path) -> bool:
        """Move an access file kept for a Neo4j store before issue 16 into its database, once:
        only into a database with no accounts and no audit rows yet (the file is then renamed
        ``.imported``; it is left alone otherwise). Whether it moved."""
        from assetmap.graph.store.copy import copy_access

        with AccessDB(path) as old:
            if not (old.users() or old.backend.audit_chain()[0]):
                return False
            if self.users() or self.backend.audit_chain()[0]:
                return False
            copy_access(old, self)
        os.replace(path, path.with_name(path.name + ".imported"))
        return True

    def close(self) -> None:
        """Release the file (or the connection)."""
        self.backend.close()

    def __enter__(self) -> AccessDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- accounts ---------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str | None, *, demo: bool = False) -> User:
        """Create an account; ``password`` None means sign-in only through OIDC."""
        name = check_user_name(name)
        if role not in ROLES:
            raise ValidationError(f"Role {role!r} is not one of {', '.join(ROLES)}.",
                                  field="role")
        hashed = None if password is None else _hasher.hash(check_password(password, name))
        if not self.backend.add_user(name, role, hashed, audit.utc_now(), demo):
            raise ValidationError(f"There is already an account called {name!r}.",
                                  field="name")
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Replace an account's password (its sessions end)."""
        hashed = _hasher.hash(check_password(password, name))
        if not self.backend.set_password_hash(name, hashed):
            raise NotFoundError(f"No account called {name!r}.")

    def remove_user(self, name: str) -> None:
        """Delete an account, its caseload and sessions (its audit rows stay)."""
        if not self.backend.remove_user(name):
            raise NotFoundError(f"No account called {name!r}.")

    def users(self) -> list[tuple[str, str, int, bool]]:
        """Every account as (name, role, caseload size, demo account?), by name."""
        return self.backend.users()

    def user(self, name: str) -> User:
        """The account ``name`` with its caseload; raises NotFoundError."""
        row = self.backend.user(name)
        if row is None:
            raise NotFoundError(f"No account called {name!r}.")
        return User(row[0], row[1], row[3], row[2])

    def authenticate(self, name: str, password: str, client: str = "local") -> User | None:
        """The user if the name and password match, else None (and the attempt is audited).

        The attempt is counted for the account and for ``client`` (who is asking: a browser's
        address, "cli"...) before the password is checked, in one write transaction; past
        either limit it is refused without a check. Every answer runs one argon2 verification.
        """
        name = (name or "").strip().lower()
        exists, stored = self.backend.password_hash(name)
        allowed = self._count_attempt(name if exists else None, client)
        try:
            _hasher.verify(stored if (stored and allowed) else _dummy_hash(),
                           normalise_password(password or ""))
            ok = stored is not None and allowed
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            # Only a real account name is written down: a mistyped name may be a password.
            audit.record(self, name if exists else "(unknown)", "sign_in", outcome="denied",
                         reason=None if allowed else LOCKED_REASON)
            return None
        self.backend.clear_throttle("account:" + name)
        user = self.user(name)
        audit.record(self, user, "sign_in")
        return user

    def _count_attempt(self, account: str | None, client: str) -> bool:
        """Count one sign-in attempt for the account (if it exists) and the client, atomically;
        whether it may be checked (neither is waiting out a lock-out, nor over its limit)."""
        lines = [("client:" + (client or "-"), MAX_CLIENT_FAILURES)]
        if account is not None:
            lines.append(("account:" + account, MAX_FAILED_SIGN_INS))
        return self.backend.count_attempt(lines, _now(), LOCKOUT_MINUTES * 60)

    def recent_failures(self, name: str) -> int:
        """Sign-in attempts for this account since its last good sign-in, in the current window
        (0 while it waits out a lock-out, which :meth:`locked_until` tells)."""
        row = self.backend.throttle("account:" + (name or "").strip().lower())
        return row[0] if row else 0

    def locked_until(self, name: str) -> float:
        """When this account's current lock-out ends (epoch seconds; 0 when not locked)."""
        row = self.backend.throttle("account:" + (name or "").strip().lower())
        return row[1] if row and row[1] > _now() else 0.0

    # --- sessions -------------------------------------------------------------------------------

    def issue_session_token(self, user: User, client_fingerprint: str,
                            conf: _settings.Settings | None = None) -> str:
        """See :func:`issue_session_token`."""
        conf = conf or _settings.load()
        now = _now()
        session_id = secrets.token_urlsafe(18)
        expires = now + conf.session_max_hours * 3600
        self.backend.add_session(session_id, user.name, self._fingerprint(client_fingerprint),
                                 now, expires)
        return f"v1.{session_id}.{int(expires)}.{self._token_mac(session_id, user.name, expires)}"

    def verify_session_token(self, token: str | None, client_fingerprint: str,
                             conf: _settings.Settings | None = None,
                             touch: bool = True) -> User | None:
        """See :func:`verify_session_token`."""
        parsed = _parse_token(token)
        if parsed is None:
            return None
        session_id, expires_text, mac = parsed
        conf = conf or _settings.load()
        now = _now()
        row = self.backend.session(session_id)
        if row is None:
            return None
        name, fingerprint, issued, last_seen, expires, revoked = row
        good = (hmac.compare_digest(self._token_mac(session_id, name, expires), mac)
                and str(int(expires)) == expires_text
                and hmac.compare_digest(self._fingerprint(client_fingerprint), fingerprint)
                and not revoked and now < expires
                and now - issued < conf.session_max_hours * 3600
                and now - last_seen < conf.session_idle_minutes * 60)
        if not good:
            return None
        try:
            user = self.user(name)
        except NotFoundError:
            return None
        if touch and now - last_seen >= touch_interval(conf):
            self.backend.touch_session(session_id, now)
        return user

    def session_state(self, token: str | None) -> str | None:
        """Why a token no longer works ("idle", "expired", "revoked"), or None (valid or
        unknown). For the sign-in screen's notice only; never a reason to accept a token."""
        parsed = _parse_token(token)
        if parsed is None:
            return None
        row = self.backend.session(parsed[0])
        if row is None:
            return None
        issued, last_seen, expires, revoked = row[2:]
        conf, now = _settings.load(), _now()
        if revoked:
            return "revoked"
        return session_expired(issued, last_seen, now, conf) or (
            "expired" if now >= expires else None)

    def revoke_session_token(self, token: str | None) -> bool:
        """End a session for good (sign-out); True if it existed."""
        parsed = _parse_token(token)
        if parsed is None:
            return False
        return self.backend.revoke_session(parsed[0])

    def revoke_sessions(self, name: str) -> int:
        """End every session of one account (a removed account, a new password)."""
        return self.backend.revoke_sessions(name)

    def _fingerprint(self, client_fingerprint: str) -> str:
        return keys.keyed_digest(self.key("session"), "fingerprint", client_fingerprint or "")

    def _token_mac(self, session_id: str, name: str, expires: float) -> str:
        return keys.keyed_digest(self.key("session"), "token", session_id, name,
                                 str(int(expires)))

    # --- caseloads ----------------------------------------------------------------------------

    def add_to_caseload(self, name: str, person_ids: Iterable[str]) -> int:
        """Assign people (by id) to a coordinator's caseload; return how many were new."""
        user = self.user(name)
        if user.role != COORDINATOR:
            raise ValidationError(f"{name!r} is not a coordinator; only coordinators have "
                                  "caseloads.", field="role")
        return self.backend.add_to_caseload(name, list(person_ids))

    def remove_from_caseload(self, name: str, person_ids: Iterable[str]) -> int:
        """Take people off a coordinator's caseload; return how many were removed."""
        return self.backend.remove_from_caseload(name, list(person_ids))

    def caseload_holders(self, person_id: str) -> list[str]:
        """The accounts whose caseload holds this person (a subject access copy), by name."""
        return self.backend.caseload_holders(person_id)

    def forget_person(self, person_id: str) -> str:
        """After an erasure: drop the person from every caseload, keep only a random tombstone
        id, and put it in place of their id in the audit log (the rows themselves stay)."""
        tombstone = audit.TOMBSTONE_PREFIX + secrets.token_hex(8)
        self.backend.forget_person(person_id, tombstone, audit.utc_now())
        audit.pseudonymise(self, person_id, tombstone)
        return tombstone

    def tombstones(self) -> list[tuple[str, str]]:
        """Every erasure as (tombstone id, UTC time)."""
        return self.backend.tombstones()


def is_server_url(url: str) -> bool:
    """Whether a store URL names a Neo4j server (bolt://, neo4j:// and their +s forms), whose
    access data lives in the database itself."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return scheme.split("+")[0] in ("bolt", "neo4j")


def check_user_name(name: str) -> str:
    """An account name, lower-cased: 2-64 letters, digits, '.', '_', '-' or '@'."""
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise ValidationError("An account name is 2 to 64 letters, digits, '.', '_', '-' or '@'.",
                              field="name")
    return name


def normalise_password(password: str) -> str:
    """A password as it is hashed and checked: NFKC-normalised, so the same characters typed
    on another keyboard or system match."""
    return unicodedata.normalize("NFKC", password or "")


def check_password(password: str, name: str | None = None) -> str:
    """A password that resists guessing, NFKC-normalised: at least 12 characters, not blank,
    no invisible characters, not containing the account's name, and not common or guessable
    (zxcvbn score of at least ``MIN_PASSWORD_SCORE``)."""
    password = normalise_password(password)
    if any(c in _INVISIBLE or unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp")
           for c in password):
        raise ValidationError("A password cannot hold invisible or control characters.",
                              field="password")
    if not password.strip():
        raise ValidationError("A password cannot be blank or only spaces.", field="password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
                              field="password")
    folded = password.casefold()
    parts = {p for p in re.split(r"[._@-]", (name or "").casefold()) if len(p) >= 3}
    if name and (name.casefold() in folded or any(p in folded for p in parts)):
        raise ValidationError("A password cannot contain the account's name.", field="password")
    from zxcvbn import zxcvbn

    strength = zxcvbn(password[:100], user_inputs=[name] if name else [])
    if strength["score"] < MIN_PASSWORD_SCORE:
        raise ValidationError("That password is too common or easy to guess; use a few "
                              "unrelated words or a password manager.", field="password")
    return password


def _parse_token(token: str | None) -> tuple[str, str, str] | None:
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != "v1" or not all(parts[1:]) or len(token or "") > 200:
        return None
    return parts[1], parts[2], parts[3]


def issue_session_token(access: AccessDB, user: User, client_fingerprint: str,
                        conf: _settings.Settings | None = None) -> str:
    """A new signed session token for ``user`` after a successful sign-in, bound to the
    browser's ``client_fingerprint`` (e.g. its User-Agent and language headers).

    ``v1.<session id>.<expiry>.<HMAC>``: the id names a server-side row (so sign-out revokes
    it and a removed account ends it), the HMAC uses the store's session key. Safe to put in a
    cookie or query parameter so a session survives a refresh or a new tab."""
    return access.issue_session_token(user, client_fingerprint, conf)


def touch_interval(conf: _settings.Settings) -> float:
    """Seconds between two writes of a session's last activity: a page run within this of the
    last write is not written again (one store write per page run made every save slower), so
    an idle session may end up to this much early — a tenth of the idle limit, at most 30 s."""
    return min(30.0, conf.session_idle_minutes * 6.0)


def verify_session_token(access: AccessDB, token: str | None, client_fingerprint: str,
                         conf: _settings.Settings | None = None, touch: bool = True
                         ) -> User | None:
    """The user a session token belongs to, or None: the signature must check, the session
    must exist, be unrevoked, within its idle and total time and used from the same browser
    fingerprint. ``touch`` counts this as activity (resets the idle clock)."""
    return access.verify_session_token(token, client_fingerprint, conf, touch=touch)


def new_password() -> str:
    """A random password (about 128 bits) for a new or demo account."""
    return secrets.token_urlsafe(16)


# --- the rules --------------------------------------------------------------------------------

def may_use_page(user: User | None, page: str) -> bool:
    """Whether this user may open an app page (a file name in ``ui/views/``); default deny."""
    return user is not None and page in PAGES_FOR_ROLE.get(user.role, frozenset())


def can_view_person(user: User | None, person_id: str) -> bool:
    """Whether this user may see this person's record: a coordinator only their own caseload,
    an admin anyone (every view audited), a hub analyst no one."""
    if user is None:
        return False
    if user.role == COORDINATOR:
        return person_id in user.caseload
    return user.role == ADMIN


def viewable_people(user: User | None, person_ids: pd.Series) -> np.ndarray:
    """:func:`can_view_person` for many people at once (the Person page's picker over a whole
    area): a boolean array, True where this user may see that person."""
    import numpy as np

    if user is not None and user.role == COORDINATOR:
        return person_ids.isin(user.caseload).to_numpy(dtype=bool)
    return np.full(len(person_ids), user is not None and user.role == ADMIN, dtype=bool)


def visible_person_ids(user: User | None, store: GraphStore) -> set[str]:
    """The ids of the people in the store this user may see as individuals."""
    if user is None or user.role == HUB_ANALYST:
        return set()
    if user.role == COORDINATOR:
        ids = set()
        for pid in user.caseload:
            try:
                if store.get(pid).kind == vocab.PERSON:
                    ids.add(pid)
            except NotFoundError:
                continue
        return ids
    if user.role == ADMIN:
        return {n.id for n in store.find(vocab.PERSON)}
    return set()


def open_person(access: AccessDB, user: User | None, store: GraphStore, person_id: str,
                action: str = "view"):
    """A person's record for this user, with one audit row; anyone they may not see is "not
    found" (the same message as a wrong id) and audited as denied."""
    allowed = user is not None and can_view_person(user, person_id)
    node = None
    if allowed:
        try:
            node = store.get(person_id)
        except NotFoundError:
            node = None
        if node is not None and node.kind != vocab.PERSON:
            node = None
    audit.record(access, user if user is not None else "(anonymous)", action, person_id,
                 outcome="allowed" if node is not None else ("failed" if allowed else "denied"))
    if node is None:
        raise NotFoundError(f"No person with id {person_id!r}.")
    return node


def session_expired(started: float, last_seen: float, now: float,
                    conf: _settings.Settings | None = None) -> str | None:
    """Why a session has ended ("idle" or "expired"), or None if it is still live (seconds)."""
    conf = conf or _settings.load()
    if now - started >= conf.session_max_hours * 3600:
        return "expired"
    if now - last_seen >= conf.session_idle_minutes * 60:
        return "idle"
    return None


_REAL_PEOPLE: dict[tuple[str, int], bool] = {}


def store_has_real_people(store: GraphStore) -> bool:
    """Whether any person in the store is not synthetic (remembered per store version)."""
    try:
        version = int(store.version())
    except Exception:
        version = -1
    cache_key = (store.url, version)
    if version < 0 or cache_key not in _REAL_PEOPLE:
        real = any(not n.props.get("synthetic") for n in store.find(vocab.PERSON))
        if version < 0:
            return real
        if len(_REAL_PEOPLE) > 64:
            _REAL_PEOPLE.clear()
        _REAL_PEOPLE[cache_key] = real
    return _REAL_PEOPLE[cache_key]


def demo_refused(user: User | None, store: GraphStore | None) -> bool:
    """Whether this is a demo account on a store that now holds real (non-synthetic) people:
    demo accounts' passwords were printed on a terminal, so they never reach real data."""
    return bool(user is not None and user.demo and store is not None
                and store_has_real_people(store))


def ensure_demo_accounts(access: AccessDB, store: GraphStore,
                         caseload_size: int = 25) -> dict[str, str]:
    """On a demo store with no accounts yet: create a coordinator (with a caseload of synthetic
    people), a hub analyst and an admin with random passwords; return {name: password} once.

    Refuses a store whose people are not all synthetic, so demo accounts never reach real data.
    """
    if access.users():
        return {}
    people: list[str] = []
    for node in store.find(vocab.PERSON):
        if not node.props.get("synthetic"):
            raise AssetmapError("Demo accounts are only made for a synthetic demo store.")
        if len(people) < caseload_size * 4:
            people.append(node.id)
    passwords = {}
    for name, role in (("demo-coordinator", COORDINATOR), ("demo-analyst", HUB_ANALYST),
                       ("demo-admin", ADMIN)):
        passwords[name] = new_password()
        access.add_user(name, role, passwords[name], demo=True)
    # Every fourth person: a caseload spread over several neighbourhoods.
    access.add_to_caseload("demo-coordinator", people[::4][:caseload_size])
    return passwords
