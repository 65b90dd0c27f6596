"""The access data of a Neo4j store, kept in the store's own database (issue 16).

Accounts, caseloads, sessions, sign-in throttles, erasure tombstones and the hash-chained audit
log are nodes with labels of their own (:data:`assetmap.graph.store.cypher.GOVERNANCE_LABELS`),
never ``AssetmapNode`` and tied to no record, so the store's reads, counts, copies and network
measures never see them, and every app server of a deployment, however it spells the server's
URL, shares one set. All Cypher is in :mod:`assetmap.graph.store.cypher` and takes parameters
only.

Each step runs in one managed transaction of its own session (retried by the driver on transient
errors), never inside a store transaction the calling thread holds. Read-then-write steps (a
sign-in attempt, an audit row) first take the write lock of the node they change (a throttle
line, the ``:AssetmapAuditHead`` node), so concurrent writers on any number of app servers go one
after another: audit rows are numbered and chained without gaps or forks.

The server key that signs sessions and keys the audit chain is not in the database: it stays a
private file on each app server (:mod:`assetmap.governance.keys`), so someone who can only read
or write the database can neither forge a session nor rebuild the chain unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assetmap.governance import audit
from assetmap.governance.access import AuditRow, lockout_wait
from assetmap.graph.store import cypher
from assetmap.graph.store.neo4j_store import Neo4jStore

_SEP = "\x1f"
_CHAIN_FIELDS = ("seq", "at", "user", "role", "person_id", "action", "outcome", "reason",
                 "person_ref", "prev_hash", "row_hash")


def _caseload_key(user: str, person_id: str) -> str:
    return f"{user}{_SEP}{person_id}"


class Neo4jAccess:
    """An :class:`~assetmap.governance.access.AccessBackend` on a Neo4j database."""

    kind = "neo4j"

    def __init__(self, store: Neo4jStore, witness: Path | None = None):
        self.store = store
        #: This app server's copy of the audit head (moved forward only; see verify).
        self.witness = witness
        store.governance_schema(cypher.GOVERNANCE_SCHEMA)

    @classmethod
    def open(cls, url: str, witness: Path | None = None) -> Neo4jAccess:
        """Connect to the Neo4j store at ``url`` (credentials as for the store itself)."""
        return cls(Neo4jStore.from_url(url, setup_schema=False), witness)

    def close(self) -> None:
        """Close the connection."""
        self.store.close()

    def _write(self, work: Callable[[Any], Any]) -> Any:
        return self.store.governance_work(work, write=True)

    def _read(self, query: str, **params: Any) -> list[Any]:
        return self.store.governance_work(lambda tx: list(tx.run(query, params)), write=False)

    # --- accounts -------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str | None, created: str,
                 demo: bool) -> bool:
        """Create an account; False if the name is taken."""
        def work(tx: Any) -> bool:
            if tx.run(cypher.GOV_USER, name=name).single() is not None:
                return False
            tx.run(cypher.GOV_ADD_USER, name=name, role=role, password_hash=password_hash,
                   created=created, demo=bool(demo)).consume()
            return True

        return bool(self._write(work))

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        """Replace a hash and end the account's sessions; False if no such account."""
        def work(tx: Any) -> bool:
            n = tx.run(cypher.GOV_SET_PASSWORD, name=name, password_hash=password_hash
                       ).single()["n"]
            tx.run(cypher.GOV_REVOKE_SESSIONS, name=name).consume()
            return bool(n)

        return bool(self._write(work))

    def remove_user(self, name: str) -> bool:
        """Delete an account with its caseload and sessions; False if no such account."""
        def work(tx: Any) -> bool:
            n = tx.run(cypher.GOV_REMOVE_USER, name=name).single()["n"]
            if n:
                tx.run(cypher.GOV_USER_CASELOAD_DELETE, name=name).consume()
                tx.run(cypher.GOV_USER_SESSIONS_DELETE, name=name).consume()
            return bool(n)

        return bool(self._write(work))

    def users(self) -> list[tuple[str, str, int, bool]]:
        """(name, role, caseload size, demo?) by name."""
        def work(tx: Any) -> list[tuple[str, str, int, bool]]:
            counts = {r["user"]: int(r["n"]) for r in tx.run(cypher.GOV_CASELOAD_COUNTS)}
            return [(r["name"], r["role"], counts.get(r["name"], 0), bool(r["demo"]))
                    for r in tx.run(cypher.GOV_USERS)]

        return list(self.store.governance_work(work, write=False))

    def user(self, name: str) -> tuple[str, str, bool, frozenset[str]] | None:
        """(name, role, demo?, caseload) or None."""
        def work(tx: Any) -> tuple[str, str, bool, frozenset[str]] | None:
            row = tx.run(cypher.GOV_USER, name=name).single()
            if row is None:
                return None
            ids = frozenset(r["person_id"] for r in tx.run(cypher.GOV_CASELOAD, name=name))
            return row["name"], row["role"], bool(row["demo"]), ids

        return self.store.governance_work(work, write=False)

    def password_hash(self, name: str) -> tuple[bool, str | None]:
        """(account exists?, its hash or None)."""
        rows = self._read(cypher.GOV_USER, name=name)
        return (bool(rows), (rows[0]["password_hash"] or None) if rows else None)

    def account_rows(self) -> list[tuple[str, str, str | None, str, bool]]:
        """Every account as stored (name, role, hash, created, demo?), for a copy."""
        return [(r["name"], r["role"], r["password_hash"], r["created"], bool(r["demo"]))
                for r in self._read(cypher.GOV_USERS)]

    # --- sign-in throttles ----------------------------------------------------------------------

    def count_attempt(self, lines: list[tuple[str, int]], now: float, window: float) -> bool:
        """Count one attempt on each (key, limit) line in one write transaction (each line's
        node locked before it is read); whether it may be checked."""
        def work(tx: Any) -> bool:
            allowed = True
            for key, limit in lines:
                rec = tx.run(cypher.GOV_THROTTLE_LOCK, key=key, now=float(now)).single()
                failures, start = int(rec["failures"] or 0), float(rec["window_start"] or 0)
                locked, lockouts = float(rec["locked_until"] or 0), int(rec["lockouts"] or 0)
                if start <= now - window and locked <= now:  # a quiet window forgets
                    failures, start = 0, float(now)
                if locked > now:
                    allowed = False
                else:
                    failures += 1
                    if failures > limit:
                        wait = lockout_wait(lockouts, window)
                        locked, lockouts, failures, start = now + wait, lockouts + 1, 0, now + wait
                        allowed = False
                tx.run(cypher.GOV_THROTTLE_SET, key=key, failures=failures,
                       window_start=float(start), locked_until=float(locked),
                       lockouts=lockouts).consume()
            return allowed

        return bool(self._write(work))

    def clear_throttle(self, key: str) -> None:
        """Forget a line's failures and lock-outs (a good sign-in)."""
        self._write(lambda tx: tx.run(cypher.GOV_THROTTLE_CLEAR, key=key).consume())

    def throttle(self, key: str) -> tuple[int, float] | None:
        """(failures, locked until) of one line, or None."""
        rows = self._read(cypher.GOV_THROTTLE, key=key)
        if not rows:
            return None
        return int(rows[0]["failures"] or 0), float(rows[0]["locked_until"] or 0)

    # --- sessions -------------------------------------------------------------------------------

    def add_session(self, session_id: str, user: str, fingerprint: str, now: float,
                    expires: float) -> None:
        """Record a new session and drop those ended more than a day ago."""
        def work(tx: Any) -> None:
            tx.run(cypher.GOV_ADD_SESSION, id=session_id, user=user, fingerprint=fingerprint,
                   now=float(now), expires=float(expires)).consume()
            tx.run(cypher.GOV_PURGE_SESSIONS, before=float(now) - 86400).consume()

        self._write(work)

    def session(self, session_id: str) -> tuple[str, str, float, float, float, bool] | None:
        """(user, fingerprint, issued, last seen, expires, revoked?) or None."""
        rows = self._read(cypher.GOV_SESSION, id=session_id)
        if not rows:
            return None
        r = rows[0]
        return (r["user"], r["fingerprint"], float(r["issued"]), float(r["last_seen"]),
                float(r["expires"]), bool(r["revoked"]))

    def touch_session(self, session_id: str, now: float) -> None:
        """Note activity on a session."""
        self._write(lambda tx: tx.run(cypher.GOV_TOUCH_SESSION, id=session_id,
                                      now=float(now)).consume())

    def revoke_session(self, session_id: str) -> bool:
        """End one session; whether it existed."""
        return bool(self._write(
            lambda tx: tx.run(cypher.GOV_REVOKE_SESSION, id=session_id).single()["n"]))

    def revoke_sessions(self, name: str) -> int:
        """End every session of an account; how many."""
        return int(self._write(
            lambda tx: tx.run(cypher.GOV_REVOKE_SESSIONS, name=name).single()["n"]))

    # --- caseloads and tombstones ---------------------------------------------------------------

    def add_to_caseload(self, name: str, person_ids: list[str]) -> int:
        """Add people to a caseload; how many were new."""
        def work(tx: Any) -> int:
            have = {r["person_id"] for r in tx.run(cypher.GOV_CASELOAD, name=name)}
            new = [p for p in dict.fromkeys(person_ids) if p not in have]
            if new:
                tx.run(cypher.GOV_CASELOAD_ADD, rows=[
                    {"key": _caseload_key(name, p), "user": name, "person_id": p}
                    for p in new]).consume()
            return len(new)

        return int(self._write(work))

    def remove_from_caseload(self, name: str, person_ids: list[str]) -> int:
        """Take people off a caseload; how many went."""
        keys = sorted({_caseload_key(name, p) for p in person_ids})
        if not keys:
            return 0
        return int(self._write(
            lambda tx: tx.run(cypher.GOV_CASELOAD_REMOVE, keys=keys).single()["n"]))

    def caseload_rows(self) -> list[tuple[str, str]]:
        """Every (account, person id) caseload entry, for a copy."""
        return [(r["user"], r["person_id"]) for r in self._read(cypher.GOV_CASELOAD_ALL)]

    def caseload_holders(self, person_id: str) -> list[str]:
        """The accounts whose caseload holds this person, by name."""
        return [r["user"] for r in self._read(cypher.GOV_HOLDERS, person_id=person_id)]

    def forget_person(self, person_id: str, tombstone: str, at: str) -> None:
        """Drop a person from every caseload and keep a tombstone, in one transaction."""
        def work(tx: Any) -> None:
            tx.run(cypher.GOV_FORGET_CASELOADS, person_id=person_id).consume()
            tx.run(cypher.GOV_ADD_TOMBSTONE, id=tombstone, erased_at=at).consume()

        self._write(work)

    def tombstones(self) -> list[tuple[str, str]]:
        """Every erasure as (tombstone id, UTC time)."""
        return [(r["id"], r["erased_at"]) for r in self._read(cypher.GOV_TOMBSTONES)]

    def add_tombstones(self, rows: list[tuple[str, str]]) -> None:
        """Keep tombstones made elsewhere (a copy)."""
        def work(tx: Any) -> None:
            have = {r["id"] for r in tx.run(cypher.GOV_TOMBSTONES)}
            for tombstone, at in rows:
                if tombstone not in have:
                    tx.run(cypher.GOV_ADD_TOMBSTONE, id=tombstone, erased_at=at).consume()

        self._write(work)

    # --- the audit log --------------------------------------------------------------------------

    def audit_append(self, ref: str, person_id: str | None,
                     make: Callable[[str | None, int, str], tuple[AuditRow, str]]
                     ) -> tuple[int, str]:
        """Append one chained row: the head node's write lock first, then the row and the head
        moved on, in one transaction (so writers on every app server go one at a time)."""
        def work(tx: Any) -> tuple[int, str]:
            head = tx.run(cypher.GOV_AUDIT_HEAD_LOCK, genesis=audit.GENESIS).single()
            seq, prev = int(head["seq"] or 0), head["hash"] or audit.GENESIS
            if seq == 0:  # a new head (or one removed): carry on after the last row kept
                last = tx.run(cypher.GOV_AUDIT_LAST).single()
                if last is not None:
                    seq, prev = int(last["seq"]), last["hash"] or audit.GENESIS
            pid = person_id
            if pid is not None:
                # An erased person stays erased: a later attempt on their old id is written
                # under their tombstone, so the id never comes back into the log.
                erased = tx.run(cypher.GOV_AUDIT_ERASED, ref=ref).single()
                if erased is not None:
                    pid = erased["person_id"]
            row, digest = make(pid, seq + 1, prev)
            tx.run(cypher.GOV_AUDIT_ADD, rows=[dict(zip(_CHAIN_FIELDS, (*row, ref, prev, digest),
                                                        strict=True))]).consume()
            tx.run(cypher.GOV_AUDIT_SET_HEAD, seq=seq + 1, hash=digest).consume()
            return seq + 1, digest

        seq, digest = self._write(work)
        if self.witness is not None:
            audit.write_head_file(self.witness, seq, digest)
        return seq, digest

    def audit_pseudonymise(self, person_id: str, tombstone: str) -> int:
        """Put a tombstone in place of a person id in every row; how many changed."""
        return int(self._write(lambda tx: tx.run(
            cypher.GOV_AUDIT_PSEUDONYMISE, person_id=person_id, tombstone=tombstone
        ).single()["n"]))

    def audit_events(self, person: str | None, ref: str | None, user: str | None,
                     action: str | None, since: str | None) -> Iterator[AuditRow]:
        """Rows (seq ... reason), oldest first, matching every filter given."""
        rows = self._read(cypher.GOV_AUDIT_EVENTS, person=person, ref=ref, user=user,
                          action=action, since=since)
        return iter([tuple(r[f] for f in _CHAIN_FIELDS[:8]) for r in rows])

    def audit_chain(self) -> tuple[list[AuditRow], int | None, list[str]]:
        """Every row with its chain columns, and the highest number ever given (the head)."""
        def work(tx: Any) -> tuple[list[AuditRow], int | None]:
            rows = [tuple(r[f] for f in _CHAIN_FIELDS) for r in tx.run(cypher.GOV_AUDIT_CHAIN)]
            head = tx.run(cypher.GOV_AUDIT_HEAD).single()
            return rows, (int(head["seq"]) if head is not None and head["seq"] else None)

        rows, used = self.store.governance_work(work, write=False)
        return rows, used, []

    def audit_head(self, have_rows: bool) -> tuple[list[tuple[int, str]], list[str]]:
        """The head node's (seq, hash) and, where this app server keeps one, its witness's."""
        heads: list[tuple[int, str]] = []
        problems: list[str] = []
        rows = self._read(cypher.GOV_AUDIT_HEAD)
        if rows and rows[0]["seq"]:
            heads.append((int(rows[0]["seq"]), rows[0]["hash"] or ""))
        elif have_rows:
            problems.append("The audit head node is missing.")
        if self.witness is not None:
            found, damaged = audit.read_head_file(self.witness, required=False)
            heads += found
            problems += damaged
        return heads, problems

    def audit_load(self, rows: list[AuditRow], head: tuple[int, str] | None) -> None:
        """Append rows copied from another log (numbers, chain and all) and move the head."""
        def work(tx: Any) -> None:
            for start in range(0, len(rows), 500):
                tx.run(cypher.GOV_AUDIT_ADD, rows=[dict(zip(_CHAIN_FIELDS, r, strict=True))
                                                   for r in rows[start:start + 500]]).consume()
            if head is not None:
                tx.run(cypher.GOV_AUDIT_SET_HEAD, seq=head[0], hash=head[1]).consume()

        self._write(work)
        if head is not None and self.witness is not None:
            audit.write_head_file(self.witness, head[0], head[1])
