"""Who may see what: accounts, roles, caseloads and sessions, in a small SQLite file of their own.

The access database sits beside the store (``<store>.access.db``; see
:func:`assetmap.settings.access_db_path`), so it works the same for SQLite and Neo4j stores. It
holds accounts (argon2 password hashes, never passwords), each coordinator's caseload (person
ids), the append-only audit log (:mod:`assetmap.governance.audit`) and erasure tombstones.

Roles:
- ``coordinator``: their own caseload in full; anyone else is "not found" (and audited as denied);
- ``hub_analyst``: areas and counts only, never a person page;
- ``admin``: data and users; a bulk export of people needs a recorded reason.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.errors import AssetmapError, NotFoundError, ValidationError
from assetmap.governance import audit
from assetmap.graph.store import GraphStore

COORDINATOR, HUB_ANALYST, ADMIN = "coordinator", "hub_analyst", "admin"
ROLES: tuple[str, ...] = (COORDINATOR, HUB_ANALYST, ADMIN)
ROLE_LABELS: dict[str, str] = {COORDINATOR: "Coordinator", HUB_ANALYST: "Hub analyst",
                               ADMIN: "Administrator"}

#: Which app pages (files in ``ui/views/``) each role may open. Everything else is denied.
PAGES_FOR_ROLE: dict[str, frozenset[str]] = {
    COORDINATOR: frozenset({"map.py", "person.py", "gaps.py", "resilience.py", "about.py"}),
    HUB_ANALYST: frozenset({"map.py", "gaps.py", "resilience.py", "about.py"}),
    ADMIN: frozenset({"map.py", "person.py", "gaps.py", "resilience.py", "data.py",
                      "about.py"}),
}

MIN_PASSWORD_LENGTH = 12
#: After this many wrong passwords for one account within LOCKOUT_MINUTES, sign-in is refused
#: for that account (even with the right password) until the window has passed.
MAX_FAILED_SIGN_INS = 5
LOCKOUT_MINUTES = 15
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()  # argon2id, salted, with the library's (OWASP-level) cost settings
# Verified against when the account does not exist, so a wrong name costs as long as a wrong
# password and timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

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
"""


@dataclass(frozen=True)
class User:
    """A signed-in person using assetmap: their account name, role and (coordinators) caseload."""

    name: str
    role: str
    caseload: frozenset[str] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        """How the app names the role ("Coordinator", "Hub analyst", "Administrator")."""
        return ROLE_LABELS.get(self.role, self.role)


class AccessDB:
    """The access database: accounts, caseloads, audit rows and tombstones (one SQLite file)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        try:
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.executescript(SCHEMA)
            audit.ensure_schema(self.db)
        except sqlite3.DatabaseError as exc:
            raise AssetmapError(f"The access file {self.path} cannot be opened ({exc}).") \
                from None

    @classmethod
    def for_store(cls, store_url: str | None = None) -> AccessDB:
        """The access database that belongs to a store URL (see ``settings.access_db_path``)."""
        return cls(_settings.access_db_path(store_url))

    def close(self) -> None:
        """Release the file."""
        with self.lock:
            self.db.close()

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
        hashed = None if password is None else _hasher.hash(check_password(password))
        with self.lock:
            try:
                self.db.execute("INSERT INTO users (name, role, password_hash, created, demo) "
                                "VALUES (?, ?, ?, ?, ?)",
                                (name, role, hashed, audit.utc_now(), int(demo)))
                self.db.commit()
            except sqlite3.IntegrityError:
                raise ValidationError(f"There is already an account called {name!r}.",
                                      field="name") from None
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Replace an account's password."""
        hashed = _hasher.hash(check_password(password))
        with self.lock:
            cur = self.db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                                  (hashed, name))
            self.db.commit()
        if cur.rowcount == 0:
            raise NotFoundError(f"No account called {name!r}.")

    def remove_user(self, name: str) -> None:
        """Delete an account and its caseload (its audit rows stay)."""
        with self.lock:
            cur = self.db.execute("DELETE FROM users WHERE name = ?", (name,))
            self.db.commit()
        if cur.rowcount == 0:
            raise NotFoundError(f"No account called {name!r}.")

    def users(self) -> list[tuple[str, str, int, bool]]:
        """Every account as (name, role, caseload size, demo account?), by name."""
        with self.lock:
            rows = self.db.execute(
                "SELECT u.name, u.role, COUNT(c.person_id), u.demo FROM users u "
                "LEFT JOIN caseload c ON c.user = u.name GROUP BY u.name ORDER BY u.name"
            ).fetchall()
        return [(n, r, int(c), bool(d)) for n, r, c, d in rows]

    def user(self, name: str) -> User:
        """The account ``name`` with its caseload; raises NotFoundError."""
        with self.lock:
            row = self.db.execute("SELECT name, role FROM users WHERE name = ?",
                                  (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"No account called {name!r}.")
            ids = self.db.execute("SELECT person_id FROM caseload WHERE user = ?",
                                  (name,)).fetchall()
        return User(row[0], row[1], frozenset(i for (i,) in ids))

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the name and password match, else None (and the failure is audited)."""
        with self.lock:
            row = self.db.execute("SELECT password_hash FROM users WHERE name = ?",
                                  ((name or "").strip().lower(),)).fetchone()
        stored = row[0] if row and row[0] else None
        if row and self.recent_failures(name) >= MAX_FAILED_SIGN_INS:
            audit.record(self, (name or "").strip().lower(), "sign_in", outcome="denied",
                         reason="locked: too many wrong passwords")
            return None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password or "")
            ok = stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            # Only a real account name is written down: a mistyped name may be a password.
            audit.record(self, (name or "").strip().lower() if row else "(unknown)",
                         "sign_in", outcome="denied")
            return None
        user = self.user((name or "").strip().lower())
        audit.record(self, user, "sign_in")
        return user

    def recent_failures(self, name: str) -> int:
        """Wrong passwords for this account since its last good sign-in, within the lockout
        window (from the audit log)."""
        from datetime import UTC, datetime, timedelta

        since = (datetime.now(UTC) - timedelta(minutes=LOCKOUT_MINUTES)).isoformat(
            timespec="seconds")
        name = (name or "").strip().lower()
        with self.lock:
            last_ok = self.db.execute(
                "SELECT MAX(seq) FROM audit WHERE user = ? AND action = 'sign_in' AND "
                "outcome = 'allowed'", (name,)).fetchone()[0] or 0
            return int(self.db.execute(
                "SELECT COUNT(*) FROM audit WHERE user = ? AND action = 'sign_in' AND "
                "outcome = 'denied' AND reason IS NULL AND at >= ? AND seq > ?",
                (name, since, last_ok)).fetchone()[0])

    # --- caseloads ----------------------------------------------------------------------------

    def add_to_caseload(self, name: str, person_ids: Iterable[str]) -> int:
        """Assign people (by id) to a coordinator's caseload; return how many were new."""
        user = self.user(name)
        if user.role != COORDINATOR:
            raise ValidationError(f"{name!r} is not a coordinator; only coordinators have "
                                  "caseloads.", field="role")
        with self.lock:
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO caseload (user, person_id) VALUES (?, ?)",
                                [(name, p) for p in person_ids])
            self.db.commit()
            return self.db.total_changes - before

    def remove_from_caseload(self, name: str, person_ids: Iterable[str]) -> int:
        """Take people off a coordinator's caseload; return how many were removed."""
        with self.lock:
            before = self.db.total_changes
            self.db.executemany("DELETE FROM caseload WHERE user = ? AND person_id = ?",
                                [(name, p) for p in person_ids])
            self.db.commit()
            return self.db.total_changes - before

    def forget_person(self, person_id: str) -> str:
        """After an erasure: drop the person from every caseload and keep only a tombstone id."""
        tombstone = "erased:" + secrets.token_hex(8)
        with self.lock:
            self.db.execute("DELETE FROM caseload WHERE person_id = ?", (person_id,))
            self.db.execute("INSERT INTO tombstones (tombstone_id, erased_at) VALUES (?, ?)",
                            (tombstone, audit.utc_now()))
            self.db.commit()
        return tombstone

    def tombstones(self) -> list[tuple[str, str]]:
        """Every erasure as (tombstone id, UTC time)."""
        with self.lock:
            return [tuple(r) for r in self.db.execute(
                "SELECT tombstone_id, erased_at FROM tombstones ORDER BY erased_at")]


def check_user_name(name: str) -> str:
    """An account name, lower-cased: 2-64 letters, digits, '.', '_', '-' or '@'."""
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise ValidationError("An account name is 2 to 64 letters, digits, '.', '_', '-' or '@'.",
                              field="name")
    return name


def check_password(password: str) -> str:
    """A password long enough to resist guessing (at least 12 characters)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
                              field="password")
    return password


def new_password() -> str:
    """A random password (about 96 bits) for a new or demo account."""
    return secrets.token_urlsafe(12)


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


def ensure_demo_accounts(access: AccessDB, store: GraphStore,
                         caseload_size: int = 25) -> dict[str, str]:
    """On a demo store with no accounts yet: create a coordinator (with a caseload of synthetic
    people), a hub analyst and an admin with random passwords; return {name: password} once.

    Refuses a store whose people are not all synthetic, so demo accounts never reach real data.
    """
    if access.users():
        return {}
    people = []
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
