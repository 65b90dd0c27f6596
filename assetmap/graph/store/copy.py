"""Moving an area between stores: every node and tie from one store into another (SQLite to
Neo4j, Neo4j to SQLite, or any two GraphStores), in one transaction on the receiving side.

Records are streamed from the source and written in batches, so neither store's content is
held in memory whole. Ids are stable, so copying again updates rather than duplicates.
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from assetmap.batching import batch_size as _setting_batch_size
from assetmap.batching import batched as _batches
from assetmap.graph.store import GraphStore, open_store, public_url
from assetmap.model import Node, Tie


def copy_store(src: GraphStore, dst: GraphStore, batch_size: int | None = None
               ) -> dict[str, Any]:
    """Copy every node, then every tie, from ``src`` into ``dst`` in one transaction on ``dst``
    (it lands whole or not at all); return the counts and seconds taken."""
    batch_size = _setting_batch_size() if batch_size is None else batch_size
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    start = time.perf_counter()
    nodes = ties = 0
    dst.count_postcodes()  # a read outside the transaction: lets Neo4j make its lookup index
    with dst.transaction():
        for node_batch in _batches(src.nodes(), batch_size):
            nodes += dst.upsert_nodes(node_batch)
        for tie_batch in _batches(src.ties(), batch_size):
            ties += dst.upsert_ties(tie_batch)
        # person records (measures, goals, ratings) travel too: they are not nodes or ties
        records = sum(dst.add_records(batch) for batch in _batches(src.records(), batch_size))
        # the kept postcode lookup too, so later imports into the copy place people (issue 11)
        postcodes = sum(dst.upsert_postcodes(batch)
                        for batch in _batches(src.postcodes(), batch_size))
    return {"nodes": nodes, "ties": ties, "records": records, "postcodes": postcodes,
            "seconds": round(time.perf_counter() - start, 3),
            "from": public_url(src.url), "to": public_url(dst.url)}


def copy_url(from_url: str, to_url: str, batch_size: int | None = None) -> dict[str, Any]:
    """Open both stores by URL, copy ``from_url`` into ``to_url``, close them (the CLI verb)."""
    src = open_store(from_url)
    try:
        dst = open_store(to_url)
        try:
            return copy_store(src, dst, batch_size=batch_size)
        finally:
            dst.close()
    finally:
        src.close()


def _node_key(node: Node) -> str:
    return json.dumps([node.kind, node.name, node.area, node.lat, node.lon, node.props],
                      sort_keys=True)


def _tie_key(tie: Tie) -> str:
    return json.dumps(tie.props, sort_keys=True)


def compare_stores(a: GraphStore, b: GraphStore) -> dict[str, list]:
    """What differs between two stores: ids of nodes only in one or different in each, and the
    same for ties by (src, dst, kind). Empty lists everywhere mean the stores hold the same."""
    nodes_a = {n.id: _node_key(n) for n in a.nodes()}
    ties_a = {t.key: _tie_key(t) for t in a.ties()}
    only_b: list = []
    changed: list = []
    for node in b.nodes():
        key = nodes_a.pop(node.id, None)
        if key is None:
            only_b.append(node.id)
        elif key != _node_key(node):
            changed.append(node.id)
    ties_only_b: list = []
    ties_changed: list = []
    for tie in b.ties():
        key = ties_a.pop(tie.key, None)
        if key is None:
            ties_only_b.append(tie.key)
        elif key != _tie_key(tie):
            ties_changed.append(tie.key)
    return {"nodes_only_in_a": sorted(nodes_a), "nodes_only_in_b": sorted(only_b),
            "nodes_differ": sorted(changed), "ties_only_in_a": sorted(ties_a),
            "ties_only_in_b": sorted(ties_only_b), "ties_differ": sorted(ties_changed)}


# --- accounts travel on request (issue 16) -------------------------------------------------------

def copy_accounts(from_url: str, to_url: str, *, check_only: bool = False) -> dict[str, Any]:
    """Copy the access data (accounts with their password hashes, caseloads, the audit log with
    its chain and head, tombstones) and the server key from ``from_url``'s store to
    ``to_url``'s, so the target keeps the same people signed up and the same audit chain; the
    source is kept. Either side may be SQLite (a file beside the store) or Neo4j (nodes in the
    database itself; see :meth:`assetmap.governance.access.AccessDB.for_store`). Sessions and
    sign-in throttles do not travel. Refuses, before anything is written, a target that already
    has accounts or audit rows (``check_only``: just those checks, so a caller can refuse before
    copying the graph)."""
    import shutil

    from assetmap import settings
    from assetmap.errors import AssetmapError
    from assetmap.governance import keys
    from assetmap.governance.access import AccessDB, is_server_url

    src_path, dst_path = settings.access_db_path(from_url), settings.access_db_path(to_url)
    src_server, dst_server = is_server_url(from_url), is_server_url(to_url)
    to_text = public_url(to_url) if dst_server else str(dst_path)
    if (src_server and dst_server and settings.server_identity(from_url)
            == settings.server_identity(to_url)) or (
            not src_server and not dst_server and src_path == dst_path):
        return {"accounts": None, "to": to_text, "same": True}
    if not src_server and not src_path.exists():
        raise AssetmapError(f"There are no accounts to copy: {public_url(from_url)} has no "
                            "access database.")
    if not src_server and not dst_server:
        return _copy_access_file(src_path, dst_path, from_url, to_url, check_only)
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(AccessDB.for_store(from_url))
        if not src.users():
            raise AssetmapError(f"There are no accounts to copy: {public_url(from_url)} has "
                                "none.")
        dst = None
        if dst_server or dst_path.exists():
            dst = stack.enter_context(AccessDB.for_store(to_url))
            if dst.users() or dst.backend.audit_chain()[0]:
                raise AssetmapError(f"{public_url(to_url)} already has accounts (or an audit "
                                    "log); nothing was copied (remove them first to replace "
                                    "them).")
        if check_only:
            return {"accounts": None, "to": to_text, "same": False}
        if keys.key_path(src_path).exists():  # the chain and sessions are keyed by it
            dst_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(keys.key_path(src_path), keys.key_path(dst_path))
            keys.make_private(keys.key_path(dst_path))
        if dst is None:
            dst = stack.enter_context(AccessDB.for_store(to_url))
        accounts = copy_access(src, dst)
    return {"accounts": accounts, "to": to_text, "same": False}


def copy_access(src: Any, dst: Any) -> int:
    """Carry every account (with its hash), caseload entry, tombstone and audit row (numbers,
    chain and head unchanged) from one :class:`~assetmap.governance.access.AccessDB` into
    another, empty one; return how many accounts. The two must share one server key."""
    a, b = src.backend, dst.backend
    accounts = a.account_rows()
    for name, role, hashed, created, demo in accounts:
        b.add_user(name, role, hashed, created, demo)
    caseloads: dict[str, list[str]] = {}
    for user, person_id in a.caseload_rows():
        caseloads.setdefault(user, []).append(person_id)
    for user, ids in caseloads.items():
        b.add_to_caseload(user, ids)
    b.add_tombstones(a.tombstones())
    rows, used, _problems = a.audit_chain()
    heads, _head_problems = a.audit_head(bool(rows))
    head = heads[0] if heads else ((rows[-1][0], rows[-1][10]) if rows else None)
    if rows or head is not None:
        b.audit_load(rows, head)
    return len(accounts)


def _copy_access_file(src: Any, dst: Any, from_url: str, to_url: str,
                      check_only: bool) -> dict[str, Any]:
    """SQLite to SQLite: the access file copied whole (SQLite's backup: consistent while an
    app server writes), with its key and audit head."""
    import shutil
    import sqlite3

    from assetmap.errors import AssetmapError
    from assetmap.governance import audit, keys

    if dst.exists():
        with contextlib.closing(sqlite3.connect(dst)) as db:
            has_users = db.execute("SELECT name FROM sqlite_master WHERE name = 'users'"
                                   ).fetchone() and db.execute("SELECT count(*) FROM users"
                                                               ).fetchone()[0]
        if has_users:
            raise AssetmapError(f"{public_url(to_url)} already has accounts; nothing was "
                                "copied (remove its access database first to replace them).")
    if check_only:
        return {"accounts": None, "to": str(dst), "same": False}
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(
            sqlite3.connect(dst)) as b:
        a.backup(b)  # consistent even while an app server writes to the source
        accounts = b.execute("SELECT count(*) FROM users").fetchone()[0]
    if keys.key_path(src).exists():
        shutil.copyfile(keys.key_path(src), keys.key_path(dst))
    if audit.head_file(src).exists():
        shutil.copyfile(audit.head_file(src), audit.head_file(dst))
    for path in (dst, keys.key_path(dst), audit.head_file(dst)):
        keys.make_private(path)
    return {"accounts": int(accounts), "to": str(dst), "same": False}
