"""The audit log: one append-only, hash-chained row for every view, export, edit or erasure.

A row says who did what to which person id, when (UTC) and whether it was allowed — never any
field values. It is kept by the access database's backend: a SQLite table, whose triggers refuse
every UPDATE and DELETE (but one: replacing an erased person's id with their tombstone), or, for a
Neo4j store, ``:AssetmapAudit`` nodes in the database itself (no triggers there: the chain is
the check). assetmap has no code path that changes or deletes a row.

Triggers only stop honest mistakes: someone with the file can drop them. So every row also
carries ``row_hash`` = HMAC(audit key, previous row's hash + the row's content), with the person
named in the hashed content by a keyed pseudonym (``person_ref``) rather than their id, so an
erasure can swap the id for a tombstone without breaking the chain. The newest row's number and
hash are also kept in a side file (``<access db>.audit-head``; on Neo4j in an
``:AssetmapAuditHead`` node whose write lock every writer takes first, so rows are numbered and
chained one at a time, with the side file kept as this app server's witness). :func:`verify`
(``assetmap audit --verify``) recomputes the chain and reports an edited, inserted or deleted
row, a deleted tail and a rewritten head. What it cannot see: someone who holds the key file as
well as the database can rebuild the whole chain (copy the head elsewhere to catch that;
docs/privacy.md).
"""

from __future__ import annotations

import fcntl
import hmac
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assetmap.errors import ValidationError
from assetmap.governance import keys

if TYPE_CHECKING:  # pragma: no cover
    from assetmap.governance.access import AccessDB, User

#: What can be done to a person's record (or, without a person id, to the system).
ACTIONS: tuple[str, ...] = (
    "view", "search", "export", "bulk_export", "edit", "refer", "erase", "sign_in", "sign_out",
    "user_add", "user_remove", "caseload_change",
)
#: Whether it happened.
OUTCOMES: tuple[str, ...] = ("allowed", "denied", "failed")
#: The chain's first "previous hash".
GENESIS = "0" * 64
TOMBSTONE_PREFIX = "erased:"

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    person_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    person_ref TEXT,
    prev_hash TEXT,
    row_hash TEXT
);
CREATE INDEX IF NOT EXISTS audit_person ON audit(person_id);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user);
"""
_REF_INDEX = "CREATE INDEX IF NOT EXISTS audit_person_ref ON audit(person_ref)"

TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
WHEN NOT (NEW.seq IS OLD.seq AND NEW.at IS OLD.at AND NEW.user IS OLD.user
          AND NEW.role IS OLD.role AND NEW.action IS OLD.action AND NEW.outcome IS OLD.outcome
          AND NEW.reason IS OLD.reason AND NEW.person_ref IS OLD.person_ref
          AND NEW.prev_hash IS OLD.prev_hash AND NEW.row_hash IS OLD.row_hash
          AND COALESCE(NEW.person_id LIKE 'erased:%', 0))
BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END;
"""

#: The SQLite backend's reads of the log (fixed text; values travel as parameters).
SELECT_ROW = "SELECT seq, at, user, role, person_id, action, outcome, reason"
SELECT_CHAIN = SELECT_ROW + ", person_ref, prev_hash, row_hash FROM audit ORDER BY seq"
_SELECT = SELECT_ROW


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


def ensure_schema(db: sqlite3.Connection, access_path: str | Path | None = None) -> None:
    """Create the audit table, its chain columns and its triggers if they are missing; an older
    log (before the chain) is chained once, here, from its first row."""
    db.executescript(SCHEMA)
    have = {r[1] for r in db.execute("PRAGMA table_info(audit)")}
    missing = [c for c in ("person_ref", "prev_hash", "row_hash") if c not in have]
    unchained = bool(missing) or db.execute(
        "SELECT 1 FROM audit WHERE row_hash IS NULL LIMIT 1").fetchone() is not None
    if unchained and access_path is not None:
        key = keys.derived_key(access_path, "audit")
        db.execute("BEGIN IMMEDIATE")
        try:
            for column in missing:
                db.execute(f"ALTER TABLE audit ADD COLUMN {column} TEXT")  # fixed names
            db.execute("DROP TRIGGER IF EXISTS audit_no_update")
            db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            prev = GENESIS
            for row in db.execute(_SELECT + " FROM audit ORDER BY seq").fetchall():
                ref = person_ref(key, row[4])
                digest = _row_hash(key, prev, row, ref)
                db.execute("UPDATE audit SET person_ref = ?, prev_hash = ?, row_hash = ? "
                           "WHERE seq = ?", (ref, prev, digest, row[0]))
                prev = digest
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    elif "audit_no_update" in {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")}:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_no_update'"
                         ).fetchone()[0]
        if "COALESCE" not in sql:  # an older trigger (refused even a tombstone swap)
            db.execute("DROP TRIGGER audit_no_update")
    db.execute(_REF_INDEX)
    db.executescript(TRIGGERS)


def person_ref(key: bytes, person_id: str | None) -> str:
    """A keyed pseudonym of a person id: what the chain hashes, so the id itself can later be
    swapped for a tombstone. Without the key it cannot be linked back to the id."""
    return "" if person_id is None else keys.keyed_digest(key, "person", person_id)


def _row_hash(key: bytes, prev: str, row: tuple, ref: str) -> str:
    seq, at, user, role, _pid, action, outcome, reason = row
    return keys.keyed_digest(key, prev, str(seq), at, user, role, ref, action, outcome,
                             reason if reason is not None else "\x00")


def head_path(access: AccessDB) -> Path:
    """The side file that keeps the newest row's number and hash (for a Neo4j store a witness
    kept by this app server beside its key, besides the head node in the database)."""
    return head_file(access.path)


def head_file(access_path: str | Path) -> Path:
    """The head side file of the access database at ``access_path``."""
    return Path(access_path).with_name(Path(access_path).name + ".audit-head")


_HEAD_LOCK = threading.Lock()


def write_head_file(path: Path, seq: int, digest: str) -> None:
    """Move the head file forward to row ``seq`` (never back), atomically: threads and processes
    writing rows at once take a lock, and each writes its own temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with _HEAD_LOCK:
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, keys.PRIVATE_MODE)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            try:
                old = int(path.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                old = 0
            if seq <= old:  # a newer head was written first
                return
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, keys.PRIVATE_MODE)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{seq} {digest}\n")
            os.replace(tmp, path)
        finally:
            os.close(lock_fd)  # closing releases the flock


def read_head_file(path: Path, required: bool) -> tuple[list[tuple[int, str]], list[str]]:
    """The head a side file records ([] if none), and a problem if it is damaged or, where
    ``required`` (the log has rows), missing."""
    try:
        head_seq, head_hash = path.read_text().split()[:2]
        return [(int(head_seq), head_hash)], []
    except FileNotFoundError:
        return [], (["The audit head file is missing."] if required else [])
    except (OSError, ValueError):
        return [], ["The audit head file is damaged."]


def record(access: AccessDB, user: User | str, action: str, person_id: str | None = None,
           outcome: str = "allowed", reason: str | None = None) -> int:
    """Append one audit row (who, role, person id, action, UTC time, outcome) to the chain;
    return its number.

    ``reason`` is the user's stated reason (e.g. for a bulk export), never a field value.
    """
    if action not in ACTIONS:
        raise ValidationError(f"audit action {action!r} is not one of {', '.join(ACTIONS)}")
    if outcome not in OUTCOMES:
        raise ValidationError(f"audit outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    name, role = (user, "-") if isinstance(user, str) else (user.name, user.role)
    key = access.key("audit")
    ref = person_ref(key, person_id)

    def make(pid: str | None, seq: int, prev: str) -> tuple[tuple, str]:
        # pid: the person's id, or their tombstone if they were erased (the backend looks)
        row = (seq, utc_now(), name, role, pid, action, outcome, reason)
        return row, _row_hash(key, prev, row, ref)

    seq, _digest = access.backend.audit_append(ref, person_id, make)
    return seq


def pseudonymise(access: AccessDB, person_id: str, tombstone: str) -> int:
    """After an erasure: replace the person's id with their tombstone in every audit row (the
    chain hashes a keyed pseudonym, so it still verifies); return how many rows changed."""
    if not tombstone.startswith(TOMBSTONE_PREFIX):
        raise ValidationError("a tombstone id starts with 'erased:'")
    return access.backend.audit_pseudonymise(person_id, tombstone)


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found: rows checked, and one sentence per problem (empty: intact)."""

    rows: int
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        """Whether the chain, the row numbers and the head all agree."""
        return not self.problems


def verify(access: AccessDB) -> ChainReport:
    """Recompute the hash chain: every row's hash, every link, no gap in the row numbers, no
    row missing after the last one, and the recorded head(s) matching. Reads only."""
    key = access.key("audit")
    rows, used, problems = access.backend.audit_chain()
    problems = list(problems)
    chain: list[str] = []
    prev, expected_seq = GENESIS, 1
    hashes: dict[int, str] = {}
    for row in rows:
        seq, pid, ref, prev_hash, digest = row[0], row[4], row[8], row[9], row[10]
        if seq != expected_seq:
            chain.append(f"Rows {expected_seq} to {seq - 1} are missing (deleted).")
        if prev_hash != prev:
            chain.append(f"Row {seq} does not follow the row before it (a row was deleted, "
                         "inserted or changed).")
        if pid is not None and not str(pid).startswith(TOMBSTONE_PREFIX) and \
                not hmac.compare_digest(person_ref(key, pid), ref or ""):
            chain.append(f"Row {seq}'s person id was changed.")
        if not hmac.compare_digest(_row_hash(key, prev_hash or "", tuple(row[:8]), ref or ""),
                                   digest or ""):
            chain.append(f"Row {seq} was changed after it was written.")
        hashes[seq] = digest or ""
        prev, expected_seq = digest or "", seq + 1
    last = rows[-1][0] if rows else 0
    if used is not None and int(used) > last:
        chain.append(f"Rows {last + 1} to {int(used)} were deleted from the end.")
    heads, head_problems = access.backend.audit_head(bool(rows))
    chain += head_problems
    for head, head_hash in heads:
        if not head:
            continue
        tail = f"Rows {last + 1} to {head} were deleted from the end."
        if head > last:
            if tail not in chain:
                chain.append(tail)
        elif not hmac.compare_digest(hashes.get(head, ""), head_hash):
            chain.append(f"Row {head} does not match the recorded head (the log was "
                         "rewritten).")
    return ChainReport(len(rows), tuple(chain + problems))


def events(access: AccessDB, person: str | None = None, user: str | None = None,
           since: str | None = None, action: str | None = None,
           limit: int | None = None) -> Iterator[AuditEvent]:
    """Audit rows, oldest first, optionally for one person id (or tombstone), one user, one
    action, from a UTC time on."""
    ref = person_ref(access.key("audit"), person) if person is not None else None
    # By id, or (an erased person, whose rows now carry a tombstone) by the keyed pseudonym of
    # that id: only someone holding both the id and the key finds them.
    rows = access.backend.audit_events(person, ref, user, action,
                                       None if since is None else _normalise_since(since))
    for n, row in enumerate(rows):
        if limit is not None and n >= int(limit):
            break
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
