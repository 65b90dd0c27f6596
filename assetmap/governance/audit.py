"""The audit log: one append-only row for every view, export, edit or erasure of a person.

A row says who did what to which person id, when (UTC) and whether it was allowed — never any
field values. SQLite triggers refuse every UPDATE and DELETE, and assetmap has no code path that
tries either: the log can only grow.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from assetmap.errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from assetmap.governance.access import AccessDB, User

#: What can be done to a person's record (or, without a person id, to the system).
ACTIONS: tuple[str, ...] = (
    "view", "search", "export", "bulk_export", "edit", "refer", "erase", "sign_in", "sign_out",
    "user_add", "user_remove", "caseload_change",
)
#: Whether it happened.
OUTCOMES: tuple[str, ...] = ("allowed", "denied", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    person_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS audit_person ON audit(person_id);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END;
"""


@dataclass(frozen=True)
class AuditEvent:
    """One audit row."""

    seq: int
    at: str
    user: str
    role: str
    person_id: str | None
    action: str
    outcome: str
    reason: str | None

    def as_dict(self) -> dict:
        """The row as a plain dict (for JSON and CSV)."""
        return dict(self.__dict__)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with seconds (the audit's clock)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the audit table and its append-only triggers if they are missing."""
    db.executescript(SCHEMA)


def record(access: AccessDB, user: User | str, action: str, person_id: str | None = None,
           outcome: str = "allowed", reason: str | None = None) -> int:
    """Append one audit row (who, role, person id, action, UTC time, outcome); return its number.

    ``reason`` is the user's stated reason (e.g. for a bulk export), never a field value.
    """
    if action not in ACTIONS:
        raise ValidationError(f"audit action {action!r} is not one of {', '.join(ACTIONS)}")
    if outcome not in OUTCOMES:
        raise ValidationError(f"audit outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    name, role = (user, "-") if isinstance(user, str) else (user.name, user.role)
    with access.lock:
        cur = access.db.execute(
            "INSERT INTO audit (at, user, role, person_id, action, outcome, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (utc_now(), name, role, person_id, action, outcome, reason))
        access.db.commit()
        return int(cur.lastrowid or 0)


def events(access: AccessDB, person: str | None = None, user: str | None = None,
           since: str | None = None, action: str | None = None,
           limit: int | None = None) -> Iterator[AuditEvent]:
    """Audit rows, oldest first, optionally for one person id, one user, from a UTC time on."""
    clauses, params = [], []
    for column, value in (("person_id", person), ("user", user), ("action", action)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if since is not None:
        clauses.append("at >= ?")
        params.append(_normalise_since(since))
    sql = "SELECT seq, at, user, role, person_id, action, outcome, reason FROM audit"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with access.lock:
        rows = access.db.execute(sql, params).fetchall()
    for row in rows:
        yield AuditEvent(*row)


def _normalise_since(since: str) -> str:
    """A date or datetime as the audit's UTC ISO text, so string comparison orders correctly."""
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise ValidationError(f"{since!r} is not a date like 2026-11-25 or 2026-11-25T14:00.") \
            from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
