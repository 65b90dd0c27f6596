"""The columnar snapshot: a store read once per version into integer arrays, shared by analyses.

``networkx`` stays the API for users and small graphs (``store.to_networkx()``); whole-area work
reads a :class:`Snapshot` instead: node fields as numpy arrays (kind, status and packed
interest / need / role codes, consent flags, locations), ties as integer ``src``/``dst``/``kind``/
``via`` arrays, and CSR adjacency built from them (:mod:`scipy.sparse`). It is built from the
store's analysis columns (no JSON is decoded; see ``SQLiteStore.analysis_nodes``) or, for a store
without them, from its streamed records. Every analysis over a snapshot is tested equal to the
plain networkx path on small graphs (``tests/test_snapshot.py``).

:class:`TieCounts` holds every person's tie counts, computed once, vectorised, and reused by
isolation, carers and keystones (the rules are those of :mod:`assetmap.graph.analysis.circles`).
A write updates a snapshot through :meth:`Snapshot.apply` (see ``ui/common.py``), never a reload.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import io
import itertools
import json
import operator
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from assetmap import vocab
from assetmap.graph.analysis import circles as _c
from assetmap.graph.store.sqlite_store import TIE_RANK, tie_weight
from assetmap.model import (
    ACCESS_BITS,
    ANALYSIS_COLUMNS,
    INTEREST_BITS,
    NEED_BITS,
    ROLE_BITS,
    Node,
    Tie,
    analysis_fields,
    tie_fields,
    until_day,
)

#: Node kinds and tie kinds as small integer codes (position in these tuples).
KIND_CODES: tuple[str, ...] = vocab.NODE_KINDS
TIE_CODES: tuple[str, ...] = tuple(vocab.TIE_KINDS)
_KIND = {k: i for i, k in enumerate(KIND_CODES)}
_TIE = {k: i for i, k in enumerate(TIE_CODES)}
PERSON = _KIND[vocab.PERSON]
AREA = _KIND[vocab.AREA]
ASSET_CODES = np.array(sorted(_KIND[k] for k in vocab.ASSET_KINDS))
_COL = {c: i for i, c in enumerate(ANALYSIS_COLUMNS)}
_TEXT_COLUMNS = ("status", "org_kind", "level", "parent", "cost", "age_band", "goal_text",
                 "budget_kind", "carer_supports")
#: A snapshot patched from an older saved one is saved back (replacing it) once it is this many
#: versions newer: each read after a write then patches a short stretch of the log, and the
#: saved one never falls out of the log (it keeps ``_LOG_KEEP`` = 500 versions).
SAVE_AFTER = 20
#: Each tie kind's code -> its place among the kinds in text order (the ties' key order).
_TIE_RANK = np.array(TIE_RANK, np.int64)
#: The saved snapshot's format: changes with the layout, so an older saved one is never read.
SAVED_FORMAT = "snapshot-1:" + json.dumps([list(KIND_CODES), list(TIE_CODES),
                                           list(ANALYSIS_COLUMNS), list(_TEXT_COLUMNS)])


def _object_index(values: Any) -> pd.Index:
    """An index of Python strings as they are (no conversion to another string type)."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object, copy=False)


def _ordinals(values: Iterable[Any]) -> np.ndarray:
    """ISO days (``until``; "" or None for none) as proleptic ordinals, 0 for none: each
    distinct value read once (``pd.factorize``), so a million ties cost a hash pass."""
    codes, uniques = pd.factorize(np.asarray(list(values), dtype=object))
    days = [until_day(v) if v else None for v in uniques]
    ords = np.array([_dt.date.fromisoformat(d).toordinal() if d else 0 for d in days] + [0],
                    dtype=np.int32)
    return ords[codes]  # code -1 (None) reads the trailing 0


def _tie_codes(kinds: Iterable[str]) -> np.ndarray:
    return np.array(sorted(_TIE[k] for k in kinds), dtype=np.int8)


#: Tie-kind code sets the analyses use.
COMMUNITY_TIES = _tie_codes(k for k, c in vocab.TIE_KINDS.items() if c == vocab.COMMUNITY)
PROFESSIONAL_TIES = _tie_codes(k for k, c in vocab.TIE_KINDS.items() if c == vocab.PROFESSIONAL)
MEMBERSHIP_TIES = _tie_codes(_c.MEMBERSHIP_TIES)
PERSON_TIES = _tie_codes(k for k, c in vocab.TIE_KINDS.items()
                         if c == vocab.COMMUNITY and k not in _c.MEMBERSHIP_TIES)
SUPPORT_TIES = _tie_codes(k for k, c in vocab.TIE_KINDS.items()
                          if c in (vocab.COMMUNITY, vocab.PROFESSIONAL, vocab.ORGANISATIONAL,
                                   getattr(vocab, "SHARED_LIFE", vocab.PROFESSIONAL))
                          and k != "IN_AREA")
BACKUP_TIES = _tie_codes(_c.BACKUP_TIES)  # Shared Lives only: paid support is not back-up
ROLE_NAMES: tuple[str, ...] = tuple(sorted(set(_c._ROLE_OF.values())))
_ROLE_CODE = {r: i for i, r in enumerate(ROLE_NAMES)}
#: tie code -> role code of the source (out) and of the target (in); -1 where none.
ROLE_OUT = np.array([_ROLE_CODE.get(_c._ROLES_OUT.get(k, ""), -1) for k in TIE_CODES])
ROLE_IN = np.array([_ROLE_CODE.get(_c._ROLES_IN.get(k, ""), -1) for k in TIE_CODES])
#: tie code -> 1 family, 2 friend, 3 cares for, 0 other.
PERSON_TAG = np.array([1 if k in _c.FAMILY_TIES else 2 if k in _c.FRIEND_TIES
                       else 3 if k == "CARES_FOR" else 0 for k in TIE_CODES], dtype=np.int8)
STATUS_CLOSED = "closed"


def _row_of(node: Node) -> tuple[Any, ...]:
    return (node.id, node.kind, node.name, node.area, node.lat, node.lon,
            *analysis_fields(node.kind, node.props))


def _nan(x: Any) -> float:
    return np.nan if x is None else float(x)


@dataclass
class Snapshot:
    """One version of a store (or one area of it) as arrays. Node ``i`` is ``ids[i]`` (id order);
    tie ``j`` runs ``src[j] -> dst[j]`` with kind code ``tie_kind[j]`` and ``via[j]`` (the node a
    tie between people ran through, -1 if none or outside the snapshot)."""

    version: int
    ids: list[str]
    kind: np.ndarray
    name: list[str]
    area: list[str | None]
    lat: np.ndarray
    lon: np.ndarray
    text: dict[str, list[str | None]]
    flags: dict[str, np.ndarray]
    bits: dict[str, np.ndarray]
    capacity: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    tie_kind: np.ndarray
    via: np.ndarray
    #: per tie: the ``role`` prop (code into ``role_names``, -1 none) and days between contacts
    tie_role: np.ndarray
    tie_days: np.ndarray
    role_names: list[str] = field(default_factory=list)
    area_filter: str | None = None
    #: per tie: the day it ended (``until``) as a proleptic ordinal, 0 while current; None (no
    #: tie has ended) for a snapshot built without it
    tie_until: np.ndarray | None = None
    #: per tie: its ``weight`` prop (a positive number; 1.0 where none), for weighted community
    #: detection; read it as :attr:`weights` (always one entry per tie)
    tie_weight: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # --- building ----------------------------------------------------------------------------

    @classmethod
    def from_rows(cls, nodes: Iterable[tuple[Any, ...]],
                  ties: Iterable[tuple[Any, ...]], version: int = 0,
                  area: str | None = None) -> Snapshot:
        """Build from node rows ``(id, kind, name, area, lat, lon, *ANALYSIS_COLUMNS)`` in id
        order and tie rows ``(src, dst, kind, via, role, days, until)`` (``until`` optional);
        ties with an end outside are dropped."""
        rows = list(nodes)
        ids = [r[0] for r in rows]
        cols = list(zip(*rows, strict=True)) if rows else [()] * (6 + len(ANALYSIS_COLUMNS))
        f = 6  # first analysis column
        text = {c: list(cols[f + _COL[c]]) for c in
                ("status", "org_kind", "level", "parent", "cost", "age_band", "goal_text",
                 "budget_kind", "carer_supports")}
        flags = {c: np.array([-1 if v is None else v for v in cols[f + _COL[c]]], dtype=np.int8)
                 for c in ("personal_budget", "user_led", "consent_suggest", "consent_map")}
        bits = {c: np.array(cols[f + _COL[c]], dtype=np.int64)
                for c in ("roles", "interests", "needs", "access")}
        kind_of = _KIND
        tie_rows = list(ties)
        at = pd.Index(ids)  # a C hash table: id -> position for every end at once
        weight = np.zeros(0, dtype=float)
        if tie_rows:
            if len(tie_rows[0]) == 6:
                tie_rows = [(*r, None) for r in tie_rows]
            if len(tie_rows[0]) == 7:
                tie_rows = [(*r, None) for r in tie_rows]
            (t_src, t_dst, t_kind, t_via, t_role, t_days, t_until,
             t_weight) = zip(*tie_rows, strict=True)
            si = at.get_indexer(t_src)
            di = at.get_indexer(t_dst)
            vi = at.get_indexer(t_via)
            ki = pd.Index(TIE_CODES).get_indexer(t_kind)
            keep = (si >= 0) & (di >= 0) & (ki >= 0)
            src, dst, tk, via = si[keep], di[keep], ki[keep], vi[keep]
            role_names = sorted({r for r in t_role if r})
            rc = {r: i for i, r in enumerate(role_names)}
            roles = np.array([rc.get(r, -1) if r else -1 for r in t_role], dtype=np.int32)[keep]
            days = np.array([_nan(d) for d in t_days], dtype=float)[keep]
            until = _ordinals(t_until)[keep]
            weight = np.array([1.0 if w is None else float(w) for w in t_weight],
                              dtype=float)[keep]
        else:
            src = dst = tk = via = roles = until = np.zeros(0, dtype=np.int64)
            days = np.zeros(0, dtype=float)
            role_names = []
        return cls(
            version=version, ids=ids,
            kind=np.array([kind_of.get(k, -1) for k in cols[1]], dtype=np.int8),
            name=[n or "" for n in cols[2]], area=list(cols[3]),
            lat=np.array([_nan(x) for x in cols[4]], dtype=float),
            lon=np.array([_nan(x) for x in cols[5]], dtype=float),
            text=text, flags=flags, bits=bits,
            capacity=np.array([_nan(x) for x in cols[f + _COL["capacity"]]], dtype=float),
            src=src.astype(np.int32), dst=dst.astype(np.int32),
            tie_kind=tk.astype(np.int8), via=via.astype(np.int32),
            tie_role=roles.astype(np.int32), tie_days=days, role_names=role_names,
            area_filter=area, tie_until=until.astype(np.int32), tie_weight=weight)

    @classmethod
    def from_columns(cls, cols: dict[str, list[Any]],
                     tie_batches: Iterable[dict[str, list[str]]], version: int = 0,
                     area: str | None = None) -> Snapshot:
        """Build from column lists (``SQLiteStore.analysis_columns``: numbers as text) and tie
        column batches (``analysis_tie_columns``); only arrays are kept between batches."""
        ids = cols["id"]
        # pandas' C hash tables map every end to its position at once (ids are unique)
        at, tie_at = _object_index(ids), _object_index(TIE_CODES)
        src_parts, dst_parts, kind_parts, via_parts = [], [], [], []
        role_parts, day_parts, until_parts = [], [], []
        role_code: dict[str, int] = {}
        for batch in tie_batches:
            si = at.get_indexer(_object_index(batch["src"]))
            di = at.get_indexer(_object_index(batch["dst"]))
            vi = at.get_indexer(_object_index(batch["via"]))
            ki = tie_at.get_indexer(_object_index(batch["kind"]))
            keep = (si >= 0) & (di >= 0) & (ki >= 0)
            src_parts.append(si[keep].astype(np.int32))
            dst_parts.append(di[keep].astype(np.int32))
            kind_parts.append(ki[keep].astype(np.int8))
            via_parts.append(vi[keep].astype(np.int32))
            local, names = pd.factorize(np.asarray(batch["role"], dtype=object))
            rset = role_code.setdefault  # codes in order of first appearance, across batches
            glob = np.array([rset(r, len(role_code)) if r else -1 for r in names] + [-1],
                            dtype=np.int32)
            role_parts.append(glob[local][keep])
            day_parts.append(np.array(batch["days"], dtype=float)[keep])
            until_parts.append(_ordinals(batch["until"] if "until" in batch
                                         else [None] * len(keep))[keep])

        def joined(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        def ints(name: str, dtype: Any) -> np.ndarray:
            return np.array(cols[name], dtype=np.int64).astype(dtype)

        snap = cls(
            version=version, ids=ids,
            kind=_object_index(KIND_CODES).get_indexer(
                _object_index(cols["kind"])).astype(np.int8),
            name=[n or "" for n in cols["name"]], area=cols["area"],
            lat=np.array(cols["lat"], dtype=float), lon=np.array(cols["lon"], dtype=float),
            text={c: cols[c] for c in ("status", "org_kind", "level", "parent", "cost",
                                       "age_band", "goal_text", "budget_kind",
                                       "carer_supports")},
            flags={c: ints(c, np.int8) for c in ("personal_budget", "user_led",
                                                 "consent_suggest", "consent_map")},
            bits={c: ints(c, np.int64) for c in ("roles", "interests", "needs", "access")},
            capacity=np.array(cols["capacity"], dtype=float),
            src=joined(src_parts, np.int32), dst=joined(dst_parts, np.int32),
            tie_kind=joined(kind_parts, np.int8), via=joined(via_parts, np.int32),
            tie_role=joined(role_parts, np.int32), tie_days=joined(day_parts, float),
            role_names=list(role_code), area_filter=area,
            tie_until=joined(until_parts, np.int32))
        return snap  # the id -> position dict is built when first needed (Snapshot.index)

    @classmethod
    def from_arrays(cls, got: dict[str, Any], area: str | None = None) -> Snapshot:
        """Build from ``SQLiteStore.snapshot_arrays`` (tie ends already positions, -1 where
        outside; sparse tie columns as (positions, values))."""
        src, dst, tk = got["src"], got["dst"], got["tie_kind"]
        keep = (src >= 0) & (dst >= 0) & (tk < len(TIE_CODES))
        t = got["ties"]
        role_at, role_values = got["role"]
        role_names = sorted(set(role_values))
        code = {r: i for i, r in enumerate(role_names)}
        roles = np.full(t, -1, dtype=np.int32)
        if len(role_at):
            roles[role_at] = np.array([code[r] for r in role_values], dtype=np.int32)
        until_at, until_values = got["until"]
        until = np.zeros(t, dtype=np.int32)
        if len(until_at):
            until[until_at] = _ordinals(until_values)
        weight = got["weight"]
        weight = np.where(np.isnan(weight), 1.0, weight)
        text = got["text"]
        return cls(
            version=got["version"], ids=got["ids"], kind=got["kind"].astype(np.int8),
            name=got["name"], area=got["area"], lat=got["lat"], lon=got["lon"],
            text={c: text[c] for c in _TEXT_COLUMNS},
            flags={c: v.astype(np.int8) for c, v in got["flags"].items()},
            bits={c: got["bits"][c].astype(np.int64)
                  for c in ("roles", "interests", "needs", "access")},
            capacity=got["capacity"],
            src=src[keep].astype(np.int32), dst=dst[keep].astype(np.int32),
            tie_kind=tk[keep].astype(np.int8), via=got["via"][keep].astype(np.int32),
            tie_role=roles[keep], tie_days=got["days"][keep], role_names=role_names,
            area_filter=area, tie_until=until[keep], tie_weight=weight[keep])

    # --- the saved snapshot ---------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """This snapshot as bytes (numpy arrays and text only: nothing that runs code when read),
        for :meth:`SQLiteStore.save_snapshot`. Mostly-default tie arrays are kept as
        (positions, values); text lists as one separated text each."""
        arrays: dict[str, np.ndarray] = {
            "kind": self.kind, "lat": self.lat, "lon": self.lon, "capacity": self.capacity,
            "src": self.src, "dst": self.dst, "tie_kind": self.tie_kind}
        arrays.update({f"flag_{c}": v for c, v in self.flags.items()})
        arrays.update({f"bits_{c}": v for c, v in self.bits.items()})
        for name, values, default in (("via", self.via, -1), ("tie_role", self.tie_role, -1),
                                      ("tie_days", self.tie_days, np.nan),
                                      ("tie_until", self.ended_on, 0),
                                      ("tie_weight", self.weights, 1.0)):
            off: np.ndarray = (~np.isnan(values)
                               if isinstance(default, float) and np.isnan(default)
                               else values != default)
            at = np.flatnonzero(off)
            arrays[f"at_{name}"] = at.astype(np.int32)
            arrays[f"of_{name}"] = values[at]
        texts: dict[str, list[Any]] = {"ids": self.ids, "name": self.name, "area": self.area,
                 **{f"text_{c}": v for c, v in self.text.items()}}
        head: dict[str, Any] = {"version": self.version, "role_names": self.role_names,
                                "ties": len(self.src), "json": {}}
        for name, column in texts.items():
            at = np.flatnonzero(np.array([v is not None for v in column], dtype=bool))
            held = column if len(at) == len(column) else [column[i] for i in at.tolist()]
            joined = "\x1e".join(held)
            if held and joined.count("\x1e") == len(held) - 1:
                arrays[f"s_{name}"] = np.frombuffer(joined.encode(), dtype=np.uint8)
                head[name] = len(column)
                if len(held) < len(column):
                    arrays[f"at_s_{name}"] = at.astype(np.int32)
            else:  # none held, or a value holds the separator: as JSON
                head["json"][name] = column
        arrays["head"] = np.frombuffer(json.dumps(head).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub: names -> arrays
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot:
        """The snapshot :meth:`to_bytes` wrote."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        head = json.loads(a.pop("head").tobytes())
        texts: dict[str, list[Any]] = dict(head["json"])
        for key in [k for k in a if k.startswith("s_")]:
            name = key[2:]
            values: list[Any] = a.pop(key).tobytes().decode().split("\x1e")
            at = a.pop(f"at_s_{name}", None)
            if at is not None:
                full = np.full(head[name], None, dtype=object)
                full[at] = np.array(values, dtype=object)
                values = full.tolist()
            texts[name] = values
        t = head["ties"]
        tie: dict[str, np.ndarray] = {}
        for name, default, dtype in (("via", -1, np.int32), ("tie_role", -1, np.int32),
                                     ("tie_days", np.nan, float), ("tie_until", 0, np.int32),
                                     ("tie_weight", 1.0, float)):
            full = np.full(t, default, dtype=dtype)
            full[a[f"at_{name}"]] = a[f"of_{name}"]
            tie[name] = full
        return cls(
            version=head["version"], ids=texts["ids"], kind=a["kind"], name=texts["name"],
            area=texts["area"], lat=a["lat"], lon=a["lon"],
            text={c: texts[f"text_{c}"] for c in _TEXT_COLUMNS},
            flags={k[5:]: v for k, v in a.items() if k.startswith("flag_")},
            bits={k[5:]: v for k, v in a.items() if k.startswith("bits_")},
            capacity=a["capacity"], src=a["src"], dst=a["dst"], tie_kind=a["tie_kind"],
            via=tie["via"], tie_role=tie["tie_role"], tie_days=tie["tie_days"],
            role_names=head["role_names"], tie_until=tie["tie_until"],
            tie_weight=tie["tie_weight"])

    @classmethod
    def from_store(cls, store: Any, area: str | None = None, *, save: bool = True) -> Snapshot:
        """Read ``store`` (or the part in ``area``) once: a SQLite store's saved snapshot (the
        whole store only) where there is one, brought up to the current version from the change
        log when it is older (:meth:`patched`; equal to reading afresh), else its node numbers
        and codes (:meth:`SQLiteStore.snapshot_arrays`; the whole snapshot is then saved for the
        next reader unless ``save`` is False), else its analysis columns (no JSON decoded),
        otherwise its streamed records. A patched one is saved back (replacing the older) once
        it is :data:`SAVE_AFTER` versions past it, so the patch stays small."""
        if hasattr(store, "snapshot_arrays"):
            if area is None:
                held = store.load_saved_snapshot(SAVED_FORMAT)
                if held is not None:
                    try:
                        saved = cls.from_bytes(held[1])
                    except (ValueError, KeyError, TypeError, OSError):
                        saved = None  # unreadable: read the store instead
                    if saved is not None and saved.version == held[0]:
                        if saved.version == store.version():
                            return saved
                        patched = saved.patched(store)  # an older one: brought up to date
                        if patched is not None:
                            if save and patched.version - saved.version >= SAVE_AFTER:
                                store.save_snapshot(patched.version, SAVED_FORMAT,
                                                    patched.to_bytes())
                            return patched
            got = store.snapshot_arrays(area)
            if got is not None:
                snap = cls.from_arrays(got, area)
                if area is None and save:
                    store.save_snapshot(snap.version, SAVED_FORMAT, snap.to_bytes())
                return snap
            version = store.version()
            return cls.from_rows(store.analysis_nodes(area), store.analysis_ties(), version, area)
        version = store.version()
        if hasattr(store, "analysis_columns"):
            return cls.from_columns(store.analysis_columns(area), store.analysis_tie_columns(),
                                    version, area)
        if hasattr(store, "analysis_nodes"):
            return cls.from_rows(store.analysis_nodes(area), store.analysis_ties(), version, area)
        if area is not None:
            G = store.to_networkx(area=area)
            return cls.from_networkx(G, version)
        nodes = (_row_of(n) for n in sorted(store.nodes(), key=lambda n: n.id))
        ties = ((t.src, t.dst, t.kind, *tie_fields(t.props), tie_weight(t.props))
                for t in store.ties())
        return cls.from_rows(nodes, ties, version)

    @classmethod
    def from_networkx(cls, G: Any, version: int = 0) -> Snapshot:
        """The snapshot of a graph as ``store.to_networkx()`` returns it (for tests and users
        holding a graph)."""
        base = {"kind", "name", "area", "lat", "lon", "tie_class"}
        nodes = []
        for n in sorted(G._node):
            d = G._node[n]
            nodes.append(_row_of(Node(n, d.get("kind"), d.get("name") or "", d.get("area"),
                                      d.get("lat"), d.get("lon"),
                                      {k: v for k, v in d.items() if k not in base})))
        ties = []
        for u, v, key, d in G.edges(keys=True, data=True):
            props = {k: v for k, v in d.items() if k not in ("kind", "tie_class")}
            ties.append((u, v, d.get("kind", key), *tie_fields(props), tie_weight(props)))
        return cls.from_rows(nodes, ties, version)

    # --- incremental updates -------------------------------------------------------------------

    def patched(self, store: Any) -> Snapshot | None:
        """A new snapshot of ``store`` at its current version, equal field by field to reading
        it afresh: this whole-store snapshot (as read or saved: nodes in id order, ties in key
        order) with what the change log says changed since its version spliced in, in that
        order (changed records read from the store's columns, as :meth:`from_rows` reads them).
        Leaves this one as it was. None when the log cannot say (read afresh then)."""
        ids, n = self.ids, len(self.ids)
        if self.area_filter is not None or not hasattr(store, "snapshot_changes"):
            return None

        def find(node_id: str) -> int:
            at = bisect.bisect_left(ids, node_id)
            return at if at < n and ids[at] == node_id else -1

        rank = _TIE_RANK
        old_key = (self.src.astype(np.int64) * (n + 1) + self.dst) * 32 + rank[self.tie_kind]
        if (len(old_key) > 1 and not bool((old_key[1:] > old_key[:-1]).all())) or any(
                map(operator.ge, ids, itertools.islice(ids, 1, None))):
            return None  # not in id and key order (built another way): cannot be spliced
        got = store.snapshot_changes(self.version, lambda i: find(i) >= 0)
        if got is None:
            return None
        # --- nodes: the deleted ones out, new ones in id order, changed ones replaced
        fresh = Snapshot.from_rows(got["nodes"], [], got["version"])  # converted as a read
        at = [find(i) for i in fresh.ids]
        upd_j = [j for j, p in enumerate(at) if p >= 0]
        ins_j = [j for j, p in enumerate(at) if p < 0]
        gone = sorted(p for p in map(find, got["gone"]) if p >= 0)
        ins_q = np.array([bisect.bisect_left(ids, fresh.ids[j]) for j in ins_j], np.int64)
        keep = np.ones(n, dtype=bool)
        keep[gone] = False
        kept = np.flatnonzero(keep)
        kept_to = np.arange(len(kept)) + np.searchsorted(ins_q, kept, side="right")
        ins_to = np.arange(len(ins_q)) + np.searchsorted(kept, ins_q, side="left")
        m = len(kept) + len(ins_q)
        remap = np.full(n + 1, -1, dtype=np.int64)  # old position -> new; the last: -1 -> -1
        remap[kept] = kept_to
        upd_to = remap[np.array([at[j] for j in upd_j], np.int64)]
        ins_ix, upd_ix = np.array(ins_j, np.int64), np.array(upd_j, np.int64)

        def column(old: np.ndarray, new: np.ndarray) -> np.ndarray:
            out = np.empty(m, dtype=old.dtype)
            out[kept_to] = old[kept]
            out[ins_to] = new[ins_ix]
            out[upd_to] = new[upd_ix]
            return out

        def listed(old: list[Any], new: list[Any]) -> list[Any]:
            out: list[Any] = []
            start = 0
            events = sorted([(p, 1, None) for p in gone]
                            + [(int(q), 0, new[j]) for q, j in zip(ins_q, ins_j, strict=True)],
                            key=lambda e: (e[0], e[1]))
            for p, dropped, value in events:  # slices of the old list between the changes
                if p > start:
                    out.extend(old[start:p])
                    start = p
                if dropped:
                    start = p + 1
                else:
                    out.append(value)
            out.extend(old[start:])
            for to, j in zip(upd_to.tolist(), upd_j, strict=True):
                out[to] = new[j]
            return out

        new_ids = listed(ids, fresh.ids)

        def find_new(node_id: str | None) -> int:
            if node_id is None:
                return -1
            at = bisect.bisect_left(new_ids, node_id)
            return at if at < m and new_ids[at] == node_id else -1

        # --- ties: those of deleted nodes and every changed key out, the changed ones in
        t_keep = (remap[self.src] >= 0) & (remap[self.dst] >= 0)
        for src, dst, kind in (*got["gone_ties"], *((r[0], r[1], r[2]) for r in got["ties"])):
            s_at, d_at, k = find(src), find(dst), _TIE.get(kind)
            if s_at < 0 or d_at < 0 or k is None:
                continue
            key = (s_at * (n + 1) + d_at) * 32 + int(rank[k])
            i = int(np.searchsorted(old_key, key))
            if i < len(old_key) and old_key[i] == key:
                t_keep[i] = False
        src, dst = remap[self.src[t_keep]], remap[self.dst[t_keep]]
        kinds = self.tie_kind[t_keep]
        via = remap[self.via[t_keep]]  # -1 stays -1, a deleted node's position becomes -1
        rows = [r for r in got["ties"] if find_new(r[0]) >= 0 and find_new(r[1]) >= 0
                and r[2] in _TIE]
        names = list(self.role_names)
        code = {r: i for i, r in enumerate(names)}
        for r in rows:
            if r[4] is not None and r[4] not in code:
                code[r[4]] = len(names)
                names.append(r[4])
        a_src = np.array([find_new(r[0]) for r in rows], np.int64)
        a_dst = np.array([find_new(r[1]) for r in rows], np.int64)
        a_kind = np.array([_TIE[r[2]] for r in rows], np.int64)
        new_key = (a_src * (m + 1) + a_dst) * 32 + rank[a_kind]
        order = np.argsort(new_key, kind="stable")
        kept_key = (src * (m + 1) + dst) * 32 + rank[kinds]
        put = np.searchsorted(kept_key, new_key[order])
        rows = [rows[i] for i in order.tolist()]

        def tied(old: np.ndarray, new: list[Any], dtype: Any) -> np.ndarray:
            return np.insert(old, put, np.array(new, dtype=dtype).reshape(-1)).astype(dtype)

        role = tied(self.tie_role[t_keep], [code[r[4]] if r[4] is not None else -1
                                            for r in rows], np.int32)
        used = np.bincount(role + 1, minlength=len(names) + 1)[1:] > 0
        role_names = sorted(nm for nm, u in zip(names, used.tolist(), strict=True) if u)
        recode = np.full(len(names) + 1, -1, dtype=np.int32)
        for i, nm in enumerate(names):
            if used[i]:
                recode[i] = role_names.index(nm)
        weight = [1.0 if r[7] is None else float(r[7]) for r in rows]
        return Snapshot(
            version=got["version"], ids=new_ids,
            kind=column(self.kind, fresh.kind), name=listed(self.name, fresh.name),
            area=listed(self.area, fresh.area), lat=column(self.lat, fresh.lat),
            lon=column(self.lon, fresh.lon),
            text={c: listed(v, fresh.text[c]) for c, v in self.text.items()},
            flags={c: column(v, fresh.flags[c]) for c, v in self.flags.items()},
            bits={c: column(v, fresh.bits[c]) for c, v in self.bits.items()},
            capacity=column(self.capacity, fresh.capacity),
            src=tied(src, a_src[order].tolist(), np.int32),
            dst=tied(dst, a_dst[order].tolist(), np.int32),
            tie_kind=tied(kinds, a_kind[order].tolist(), np.int8),
            via=tied(via, [find_new(r[3]) for r in rows], np.int32),
            tie_role=recode[role], tie_days=tied(self.tie_days[t_keep],
                                                 [_nan(r[5]) for r in rows], float),
            role_names=role_names,
            tie_until=tied(self.ended_on[t_keep], _ordinals(r[6] for r in rows).tolist(),
                           np.int32),
            tie_weight=tied(self.weights[t_keep], weight, float))

    def apply(self, nodes: Iterable[Node] = (), ties: Iterable[Tie] = (),
              deleted_ties: Iterable[tuple[str, str, str]] = (),
              deleted_nodes: Iterable[str] = (), version: int | None = None) -> Snapshot:
        """This snapshot with a write applied (what a referral, an edit or an erasure touched):
        changed nodes' fields are replaced, new nodes appended, ties added or removed. Costs the
        size of the change plus one pass over the tie arrays, never a read of the store."""
        index = self.index
        new_nodes = [n for n in nodes]
        gone = set(deleted_nodes)
        for node in new_nodes:
            i = index.get(node.id)
            row = _row_of(node)
            if i is None:
                self._append(row)
                index[node.id] = len(self.ids) - 1
            else:
                self._set(i, row)
        keep = np.ones(len(self.src), dtype=bool)
        drop_keys = {(index.get(s), index.get(d), _TIE.get(k)) for s, d, k in deleted_ties}
        gone_ix = {index[g] for g in gone if g in index}
        if gone_ix:
            g = np.fromiter(gone_ix, dtype=np.int64)
            keep &= ~np.isin(self.src, g) & ~np.isin(self.dst, g)
            for i in gone_ix:  # the node stays as a tombstone: no kind, no ties
                self.kind[i] = -1
        tie_list = list(ties)
        for s, d, k in drop_keys | {(index.get(t.src), index.get(t.dst), _TIE[t.kind])
                                    for t in tie_list}:
            if s is None or d is None or k is None:  # an end or a kind this snapshot lacks
                continue
            for a, b in ((s, d), (d, s)) if TIE_CODES[k] in vocab.SYMMETRIC_TIES else ((s, d),):
                keep &= ~((self.src == a) & (self.dst == b) & (self.tie_kind == k))
        add, add_role, add_days, add_until, add_weight = [], [], [], [], []
        role_code = {r: i for i, r in enumerate(self.role_names)}
        for t in tie_list:
            if t.src not in index or t.dst not in index:
                continue
            via, role, days, until = tie_fields(t.props)
            add_until.append(until)
            w = tie_weight(t.props)
            add_weight.append(1.0 if w is None else w)
            add.append((index[t.src], index[t.dst], _TIE[t.kind],
                        index.get(via, -1) if via else -1))
            if role and role not in role_code:
                role_code[role] = len(role_code)
                self.role_names.append(role)
            add_role.append(role_code[role] if role else -1)
            add_days.append(_nan(days))
        extra = np.array(add, dtype=np.int64).reshape(-1, 4)
        old_until = self.ended_on  # read before src changes length
        old_weight = self.weights
        self.src = np.concatenate([self.src[keep], extra[:, 0].astype(np.int32)])
        self.dst = np.concatenate([self.dst[keep], extra[:, 1].astype(np.int32)])
        self.tie_kind = np.concatenate([self.tie_kind[keep], extra[:, 2].astype(np.int8)])
        self.via = np.concatenate([self.via[keep], extra[:, 3].astype(np.int32)])
        self.tie_role = np.concatenate([self.tie_role[keep], np.array(add_role, np.int32)])
        self.tie_days = np.concatenate([self.tie_days[keep], np.array(add_days, float)])
        self.tie_until = np.concatenate([old_until[keep], _ordinals(add_until)])
        self.tie_weight = np.concatenate([old_weight[keep], np.array(add_weight, float)])
        self._cache = {"index": index}  # everything derived is recomputed on next use
        if version is not None:
            self.version = version
        return self

    def refresh(self, store: Any) -> Snapshot:
        """This snapshot brought up to the store's current version: the records the store's
        change log names are read again and applied (:meth:`apply`); only when the log cannot
        say what changed (a bulk import, another kind of store) is the store read afresh."""
        version = store.version()
        if version == self.version:
            return self
        changed = read_changes(store, self.version)
        if changed is None or self.area_filter is not None:
            return Snapshot.from_store(store, self.area_filter)
        nodes, gone, ties, gone_ties = changed
        return self.apply(nodes=nodes, ties=ties, deleted_ties=gone_ties, deleted_nodes=gone,
                          version=version)

    def _append(self, row: tuple[Any, ...]) -> None:
        self.ids.append(row[0])
        self.name.append(row[2] or "")
        self.area.append(row[3])
        self.kind = np.append(self.kind, np.int8(_KIND.get(row[1], -1)))
        self.lat = np.append(self.lat, _nan(row[4]))
        self.lon = np.append(self.lon, _nan(row[5]))
        self.capacity = np.append(self.capacity, _nan(row[6 + _COL["capacity"]]))
        for c, values in self.text.items():
            values.append(row[6 + _COL[c]])
        for c in self.flags:
            v = row[6 + _COL[c]]
            self.flags[c] = np.append(self.flags[c], np.int8(-1 if v is None else v))
        for c in self.bits:
            self.bits[c] = np.append(self.bits[c], np.int64(row[6 + _COL[c]]))

    def _set(self, i: int, row: tuple[Any, ...]) -> None:
        self.name[i] = row[2] or ""
        self.area[i] = row[3]
        self.kind[i] = _KIND.get(row[1], -1)
        self.lat[i], self.lon[i] = _nan(row[4]), _nan(row[5])
        self.capacity[i] = _nan(row[6 + _COL["capacity"]])
        for c, values in self.text.items():
            values[i] = row[6 + _COL[c]]
        for c in self.flags:
            v = row[6 + _COL[c]]
            self.flags[c][i] = -1 if v is None else v
        for c in self.bits:
            self.bits[c][i] = row[6 + _COL[c]]

    # --- derived arrays (computed once per snapshot) --------------------------------------------

    def _cached(self, key: str, make: Any) -> Any:
        got = self._cache.get(key)
        if got is None:
            got = self._cache[key] = make()
        return got

    @property
    def index(self) -> dict[str, int]:
        """Node id -> position."""
        return self._cached("index", lambda: {n: i for i, n in enumerate(self.ids)})

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def is_person(self) -> np.ndarray:
        """True for people."""
        return self._cached("is_person", lambda: self.kind == PERSON)

    @property
    def is_asset(self) -> np.ndarray:
        """True for groups and organisations."""
        return self._cached("is_asset", lambda: np.isin(self.kind, ASSET_CODES))

    @property
    def closed(self) -> np.ndarray:
        """True where a record's status is closed (any kind, as :func:`circles.is_open`)."""
        return self._cached("closed", lambda: np.array(
            [s == STATUS_CLOSED for s in self.text["status"]], dtype=bool))

    @property
    def religious(self) -> np.ndarray:
        """Groups and organisations that are places of worship or faith groups."""
        def make() -> np.ndarray:
            faith = (self.bits["interests"] & INTEREST_BITS["faith"]) != 0
            pow_ = np.array([k == "place_of_worship" for k in self.text["org_kind"]], bool)
            return self.is_asset & (faith | pow_)
        return self._cached("religious", make)

    @property
    def is_hub(self) -> np.ndarray:
        """Practitioners, and open hub organisations (:func:`circles.is_hub`)."""
        def make() -> np.ndarray:
            hub_org = np.array([k in vocab.HUB_KINDS for k in self.text["org_kind"]], dtype=bool)
            return ((self.kind == _KIND[vocab.PRACTITIONER])
                    | ((self.kind == _KIND[vocab.ORGANISATION]) & hub_org & ~self.closed))
        return self._cached("is_hub", make)

    @property
    def ended_on(self) -> np.ndarray:
        """Per tie, the day it ended as an ordinal (0 while current)."""
        if self.tie_until is None or len(self.tie_until) != len(self.src):
            self.tie_until = np.zeros(len(self.src), dtype=np.int32)
        return self.tie_until

    @property
    def weights(self) -> np.ndarray:
        """Per tie, its weight (float; 1.0 where the tie has none): what weighted community
        detection reads."""
        if self.tie_weight is None or len(self.tie_weight) != len(self.src):
            self.tie_weight = np.ones(len(self.src), dtype=float)
        return self.tie_weight

    def current(self, today: _dt.date | None = None) -> np.ndarray:
        """Per tie, whether it is current: it has no ``until`` or ``until`` is after
        ``today`` (default: the real today). Ended ties are history (circles.circle)."""
        until = self.ended_on
        day = (today or _dt.date.today()).toordinal()
        return (until == 0) | (until > day)

    @property
    def counts(self) -> TieCounts:
        """Every person's tie counts (computed once per snapshot)."""
        return self._cached("counts", lambda: TieCounts.of(self))

    def support_graph(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """The support network (:mod:`resilience`): positions of its nodes (sorted ids) and its
        undirected adjacency as CSR over those positions."""
        def make() -> tuple[np.ndarray, sp.csr_matrix]:
            member = (self.kind != AREA) & (self.kind >= 0) & ~self.closed
            nodes = np.flatnonzero(member)
            at = np.full(len(self.ids), -1, dtype=np.int64)
            at[nodes] = np.arange(len(nodes))
            s, d = at[self.src], at[self.dst]
            ok = np.isin(self.tie_kind, SUPPORT_TIES) & (s >= 0) & (d >= 0) & (s != d)
            s, d = s[ok], d[ok]
            n = len(nodes)
            A = sp.csr_matrix((np.ones(2 * len(s), dtype=np.int8),
                               (np.concatenate([s, d]), np.concatenate([d, s]))), shape=(n, n))
            A.sum_duplicates()
            A.sort_indices()
            return nodes, A
        return self._cached("support", make)

    def area_frame(self) -> pd.DataFrame:
        """Every Area as ``area_code``, ``area_name``, ``level``, ``parent`` (as
        :func:`assetmap.render.maps.area_frame`)."""
        idx = np.flatnonzero(self.kind == AREA).tolist()
        rows = [(self.ids[i], self.name[i] or self.ids[i], self.text["level"][i],
                 self.text["parent"][i]) for i in idx]
        return pd.DataFrame.from_records(rows, columns=["area_code", "area_name", "level",
                                                        "parent"])

    def words(self, i: int, column: str) -> list[str]:
        """The words packed in node ``i``'s ``interests``, ``needs``, ``roles``, ``access``
        code."""
        codes = {"interests": INTEREST_BITS, "needs": NEED_BITS,
                 "roles": ROLE_BITS, "access": ACCESS_BITS}[column]
        b = int(self.bits[column][i])
        return [w for w, bit in codes.items() if b & bit]


def read_changes(store: Any, since: int
                 ) -> tuple[list[Node], list[str], list[Tie], list[tuple[str, str, str]]] | None:
    """What the store's change log says changed after version ``since``, read again now:
    (nodes written, node ids deleted, ties written, tie keys deleted); None when the store
    keeps no log or the log cannot say."""
    from assetmap.errors import NotFoundError

    log = getattr(store, "changes_since", None)
    changed = log(since) if log is not None else None
    if changed is None:
        return None
    nodes, gone, ties, gone_ties = [], [], [], []
    for node_id in sorted(changed["nodes"]):
        try:
            nodes.append(store.get(node_id))
        except NotFoundError:
            gone.append(node_id)
    for key in sorted(changed["ties"]):
        try:
            ties.append(store.get_tie(*key))
        except NotFoundError:
            gone_ties.append(key)
    return nodes, gone, ties, gone_ties


def patched_graph(G: Any, store: Any, since: int) -> Any | None:
    """A new ``store.to_networkx()`` graph (of the whole store) with what changed after version
    ``since`` applied to ``G``; None when the change log cannot say (read afresh then).

    Copy on write: the new graph shares every untouched node's attributes and adjacency with
    ``G``, which stays as it was for anyone still reading it; the cost is three top-level dict
    copies plus the size of the change, never a reload. Erased people are gone from the new
    graph (drop the old one to let them go from memory)."""
    changed = read_changes(store, since)
    if changed is None:
        return None
    nodes, gone, ties, gone_ties = changed
    H = G.__class__()
    H.graph = dict(G.graph)
    H._node = dict(G._node)
    H._adj = H._succ = dict(G._succ)
    H._pred = dict(G._pred)

    def set_keys(u: str, v: str, key: str, attrs: dict[str, Any] | None) -> None:
        keyed = dict(H._succ[u].get(v, {}))
        if attrs is None:
            keyed.pop(key, None)
        else:
            keyed[key] = attrs
        succ, pred = dict(H._succ[u]), dict(H._pred[v])
        if keyed:
            succ[v] = pred[u] = keyed
        else:
            succ.pop(v, None)
            pred.pop(u, None)
        H._succ[u], H._pred[v] = succ, pred

    for node_id in gone:
        if node_id not in H._node:
            continue
        for v in list(H._succ[node_id]):
            H._pred[v] = {u: k for u, k in H._pred[v].items() if u != node_id}
        for u in list(H._pred[node_id]):
            H._succ[u] = {v: k for v, k in H._succ[u].items() if v != node_id}
        del H._node[node_id], H._succ[node_id], H._pred[node_id]
    for node in nodes:
        attrs = {k: v for k, v in node.props.items()
                 if not (node.kind == vocab.AREA and k == "geometry")}
        attrs.update(kind=node.kind, name=node.name, area=node.area, lat=node.lat, lon=node.lon)
        if node.id not in H._node:
            H._succ[node.id], H._pred[node.id] = {}, {}
        H._node[node.id] = attrs
    for src, dst, kind in gone_ties:
        if src in H._succ and dst in H._succ[src]:
            set_keys(src, dst, kind, None)
    for tie in ties:
        set_keys(tie.src, tie.dst, tie.kind,
                 {**tie.props, "kind": tie.kind, "tie_class": vocab.TIE_KINDS[tie.kind]})
    from assetmap.graph.analysis.linkpred import carry_closure

    carry_closure(G, H)
    if len(_NODE_PATCHES) >= 4:
        _NODE_PATCHES.pop(next(iter(_NODE_PATCHES)))
    _NODE_PATCHES[id(H._node)] = (H._node, G._node, tuple(n.id for n in nodes), tuple(gone))
    return H


#: id of a patched graph's node table -> (that table, the table it was patched from, node ids
#: written, node ids deleted): what a write changed, known without comparing the two tables
_NODE_PATCHES: dict[int, tuple[Any, Any, tuple[str, ...], tuple[str, ...]]] = {}


def node_changes(table: Any, before: Any) -> tuple[list[str], list[str]] | None:
    """The node ids written (new or replaced attributes) and deleted between an earlier
    graph's node table ``before`` and ``table``, when ``table`` was made from it by
    :func:`patched_graph` (directly or over a few writes); None when that is not known."""
    changed: set[str] = set()
    gone: set[str] = set()
    step = table
    for _ in range(len(_NODE_PATCHES)):
        got = _NODE_PATCHES.get(id(step))
        if got is None or got[0] is not step:
            return None
        changed.update(got[2])
        gone.update(got[3])
        step = got[1]
        if step is before:
            return ([n for n in sorted(changed) if n in table],
                    [n for n in sorted(gone | changed) if n not in table])
    return None


_LIVE: dict[str, tuple[int, Any]] = {}
_LIVE_LOCK = threading.Lock()


def live_graph(store: Any) -> Any:
    """The store's whole graph at its current version, for an app: the last one handed out,
    patched with what changed since (:func:`patched_graph`), or read afresh when the log cannot
    say. One write never makes the next visitor wait for a whole-graph reload."""
    with _LIVE_LOCK:
        version = store.version()
        held = _LIVE.get(store.url)
        if held is not None and held[0] == version:
            return held[1]
        G = patched_graph(held[1], store, held[0]) if held is not None else None
        if G is None:
            G = store.to_networkx()
        _LIVE[store.url] = (version, G)
        return G


def member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_keys)`` for sorted distinct keys, by binary search (numpy's
    hash-based ``unique`` inside ``isin`` is far slower on large int64 arrays)."""
    if not len(sorted_keys) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _distinct(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return keys[keep]


@dataclass
class TieCounts:
    """Every person's circle as counts (the rules of :mod:`circles`), and the distinct
    (person, other) community pairs and routes the other analyses reuse."""

    community: np.ndarray
    professional: np.ndarray
    family: np.ndarray
    friends: np.ndarray
    groups: np.ndarray
    roles: np.ndarray
    through: np.ndarray  # the one group every community tie runs through, or -1
    only: np.ndarray  # the one community tie's other end, or -1
    routes: np.ndarray  # distinct routes per person (-1 "no group" counts as one)
    no_route: np.ndarray  # True where some community tie runs through no group
    cares_for: np.ndarray
    carers: np.ndarray
    the_carer: np.ndarray  # the carer, where there is exactly one
    backup: np.ndarray
    comm_keys: np.ndarray  # distinct person * n + other (community)
    prof_keys: np.ndarray  # distinct person * n + other (professional)
    via_keys: np.ndarray  # distinct person * n + route, routes of ties between people
    n: int
    #: one entry per community tie read from a person's end: person, other end, LSNS-6 side
    #: (0 none, 1 family, 2 friends) and SNI role code (-1 none); None without scales
    entry_person: np.ndarray | None = None
    entry_other: np.ndarray | None = None
    entry_side: np.ndarray | None = None
    entry_sni: np.ndarray | None = None

    @cached_property
    def level(self) -> np.ndarray:
        """Level code per node (index into :data:`circles.LEVELS`; meaningful for people)."""
        lsns, sni = self.scales
        return level_codes(self.community, self.professional, self.through >= 0, lsns, sni)

    @classmethod
    def of(cls, s: Snapshot) -> TieCounts:
        """Count every person's ties in one vectorised pass over the tie arrays, by the rules
        of :func:`circles.circle` (and of :func:`circles.level` for the level)."""
        n = len(s.ids)
        n64 = np.int64(n)
        src, dst, tk = s.src.astype(np.int64), s.dst.astype(np.int64), s.tie_kind
        person, asset, closed = s.is_person, s.is_asset, s.closed
        ok = (src != dst) & s.current()  # an ended tie counts nowhere now
        shared_life = getattr(vocab, "SHARED_LIFE", None)
        shared_counts = shared_life is not None and _c.shared_lives_count()
        shared = _tie_codes(k for k, c in vocab.TIE_KINDS.items() if c == shared_life)
        # ties between people (both directions), and memberships of open assets (outgoing)
        pp = ok & np.isin(tk, PERSON_TIES) & person[src] & person[dst]
        mem = ok & np.isin(tk, MEMBERSHIP_TIES) & person[src] & asset[dst] & ~closed[dst]
        # a Shared Lives household counts as a community tie of its own (no group) when set so
        sl = (ok & np.isin(tk, shared) & person[src] & person[dst]) if shared_counts \
            else np.zeros(len(tk), dtype=bool)
        ps, pd_, pk, pv = src[pp], dst[pp], tk[pp], s.via[pp].astype(np.int64)
        n_mem, n_sl = int(mem.sum()), int(sl.sum())
        cp = np.concatenate([ps, pd_, src[mem], src[sl]])
        co = np.concatenate([pd_, ps, dst[mem], dst[sl]])
        crole = np.concatenate([ROLE_OUT[pk], ROLE_IN[pk], ROLE_OUT[tk[mem]], ROLE_OUT[tk[sl]]])
        croute = np.concatenate([pv, pv, dst[mem], np.full(n_sl, -1, dtype=np.int64)])
        ctag = np.concatenate([PERSON_TAG[pk], PERSON_TAG[pk], np.full(n_mem, 4, np.int8),
                               np.zeros(n_sl, np.int8)])
        # per entry, for the scales: the tie, the direction read, and the other end
        c_tie = np.concatenate([np.flatnonzero(pp), np.flatnonzero(pp), np.flatnonzero(mem),
                                np.flatnonzero(sl)])
        c_out = np.concatenate([np.ones(len(ps), bool), np.zeros(len(ps), bool),
                                np.ones(n_mem + n_sl, bool)])
        prof_classes = {vocab.PROFESSIONAL, shared_life}
        prof_kinds = _tie_codes(k for k, c in vocab.TIE_KINDS.items() if c in prof_classes)
        prof = (ok & np.isin(tk, prof_kinds) & person[src] & ~(asset[dst] & closed[dst])
                & ~sl)
        prof_p, prof_o = src[prof], dst[prof]

        def count(keys: np.ndarray) -> np.ndarray:
            return np.bincount(keys // n64, minlength=n) if len(keys) else np.zeros(n, np.int64)

        comm_keys = _distinct(cp * n64 + co)
        prof_keys = _distinct(prof_p * n64 + prof_o)
        community = count(comm_keys)
        family = count(_distinct(cp[ctag == 1] * n64 + co[ctag == 1]))
        friends = count(_distinct(cp[ctag == 2] * n64 + co[ctag == 2]))
        groups = count(_distinct(cp[ctag == 4] * n64 + co[ctag == 4]))
        has_role = crole >= 0
        r64 = np.int64(len(ROLE_NAMES))
        role_keys = _distinct(cp[has_role] * r64 + crole[has_role])
        n_roles = np.bincount(role_keys // r64, minlength=n)
        route_keys = _distinct(cp * (n64 + 1) + (croute + 1))
        routes = (np.bincount(route_keys // (n64 + 1), minlength=n) if len(route_keys)
                  else np.zeros(n, np.int64))
        lo = np.full(n, np.iinfo(np.int64).max)
        hi = np.full(n, -2, dtype=np.int64)
        np.minimum.at(lo, cp, croute)
        np.maximum.at(hi, cp, croute)
        through = np.where((community > 0) & (lo == hi) & (lo >= 0), lo, -1)
        no_route = np.zeros(n, dtype=bool)
        no_route[cp[croute < 0]] = True
        only = np.full(n, -1, dtype=np.int64)
        one = community == 1
        owners = comm_keys // n64
        sel = one[owners]
        only[owners[sel]] = comm_keys[sel] % n64
        # carers: CARES_FOR between people, out = cares for, in = is cared for
        cf = pp & (tk == _TIE["CARES_FOR"])
        cares_for = count(_distinct(src[cf] * n64 + dst[cf]))
        in_keys = _distinct(dst[cf] * n64 + src[cf])
        carers = count(in_keys)
        the_carer = np.full(n, -1, dtype=np.int64)
        o = in_keys // n64
        sel = carers[o] == 1
        the_carer[o[sel]] = in_keys[sel] % n64
        bk = ok & np.isin(tk, BACKUP_TIES) & person[src] & ~(asset[dst] & closed[dst])
        backup = count(_distinct(src[bk] * n64 + dst[bk]))
        vk = pv >= 0
        via_keys = _distinct(np.concatenate([ps[vk], pd_[vk]]) * n64
                             + np.concatenate([pv[vk], pv[vk]]))
        side, sni = _scale_entries(s, tk[c_tie], c_out, s.tie_role[c_tie], s.tie_days[c_tie],
                                   co)
        return cls(community=community, professional=count(prof_keys), family=family,
                   friends=friends, groups=groups, roles=n_roles, through=through, only=only,
                   routes=routes, no_route=no_route,
                   cares_for=cares_for, carers=carers, the_carer=the_carer,
                   backup=backup, comm_keys=comm_keys, prof_keys=prof_keys, via_keys=via_keys,
                   n=n, entry_person=cp, entry_other=co, entry_side=side, entry_sni=sni)

    def sni_lost_without(self, p: np.ndarray, a: np.ndarray) -> np.ndarray:
        """For each (person, asset) pair: SNI roles the person would lose if the asset closed
        (roles only that asset gave them)."""
        if self.entry_sni is None or not len(p):
            return np.zeros(len(p), np.int64)
        n64 = np.int64(self.n)
        cp, co, sni = self.entry_person, self.entry_other, self.entry_sni
        assert cp is not None and co is not None  # the entry arrays are set together
        has = sni >= 0
        cp, co, sni = cp[has], co[has], sni[has]
        s64 = np.int64(64)
        triples = _distinct((cp * s64 + sni) * n64 + co)  # distinct (person, role, other)
        pc, other = triples // n64, triples % n64
        starts = np.flatnonzero(np.r_[True, pc[1:] != pc[:-1]]) if len(pc) else pc
        counts = np.diff(np.r_[starts, len(pc)])
        sole = pc[starts][counts == 1]  # (person, role) given by one other end only
        mine = ((pc // s64) * n64 + other)[member(pc, sole)]
        uniq = _distinct(mine)
        if not len(uniq):
            return np.zeros(len(p), np.int64)
        lost = np.bincount(np.searchsorted(uniq, mine), minlength=len(uniq))
        pairs = p.astype(np.int64) * n64 + a
        at = np.searchsorted(uniq, pairs)
        hit = (at < len(uniq)) & (uniq[np.minimum(at, len(uniq) - 1)] == pairs)
        out = np.zeros(len(p), np.int64)
        out[hit] = lost[at[hit]]
        return out

    @cached_property
    def scales(self) -> tuple[np.ndarray, np.ndarray]:
        """Estimated LSNS-6 total and SNI diversity per node (as :func:`circles.scale_estimates`
        counts them; zeros where the level rules have no scales)."""
        n, n64 = self.n, np.int64(self.n)
        cp, co, side, sni = self.entry_person, self.entry_other, self.entry_side, self.entry_sni
        if side is None:
            return np.zeros(n, np.int64), np.zeros(n, np.int64)
        assert cp is not None and co is not None and sni is not None  # set together with side
        from assetmap.graph.analysis import scales as _scales

        def count(keys: np.ndarray) -> np.ndarray:
            return np.bincount(keys // n64, minlength=n) if len(keys) else np.zeros(n, np.int64)

        fam_keys = _distinct(cp[side == 1] * n64 + co[side == 1])
        fri_keys = _distinct(cp[side == 2] * n64 + co[side == 2])
        fri_keys = fri_keys[~member(fri_keys, fam_keys)]
        lsns = (3 * _scales.lsns_items(count(fam_keys))
                + 3 * _scales.lsns_items(count(fri_keys)))
        s64 = np.int64(len(_scales.SNI_ROLES))
        sk = _distinct(cp[sni >= 0] * s64 + sni[sni >= 0])
        diversity = np.bincount(sk // s64, minlength=n) if len(sk) else np.zeros(n, np.int64)
        return lsns, diversity


def level_codes(community: np.ndarray, professional: np.ndarray, through: np.ndarray,
                lsns: np.ndarray | None = None, sni: np.ndarray | None = None) -> np.ndarray:
    """Level codes (index into :data:`circles.LEVELS`) from counts, by the rules of
    :func:`circles.level`: its array form where the rules have one (``scales.level_codes``),
    else the structural rule (isolated, service-only, at risk, connected)."""
    try:
        from assetmap.graph.analysis.scales import level_codes as scale_levels
    except ImportError:
        scale_levels = None  # type: ignore[assignment]  # an optional import
    if scale_levels is not None and len(_c.LEVELS) == 5:
        zeros = np.zeros(len(community), np.int64)
        return scale_levels(community, professional, through,
                            zeros if lsns is None else lsns, zeros if sni is None else sni)
    return np.where(community == 0, np.where(professional > 0, 1, 0),
                    np.where((community == 1) | through, 2, 3))


def _scale_entries(s: Snapshot, kinds: np.ndarray, out: np.ndarray, roles: np.ndarray,
                   days: np.ndarray, others: np.ndarray) -> tuple[Any, Any]:
    """LSNS-6 side and SNI role code of each community-tie entry, from the isolation rules'
    own per-tie function (``isolation._scale_codes``) called once per distinct combination
    of (kind, direction, role, days, religious other end) rather than once per tie."""
    try:
        from assetmap.graph.analysis.isolation import _scale_codes
    except ImportError:
        return None, None
    religious = s.religious[others] if len(others) else np.zeros(0, bool)
    day_key = np.where(np.isnan(days), -1.0, days)
    side = np.zeros(len(kinds), np.int8)
    sni = np.full(len(kinds), -1, np.int64)
    if not len(kinds):
        return side, sni
    day_values = np.unique(day_key)  # few distinct values: then positions by binary search
    day_code = np.searchsorted(day_values, day_key)
    # one int64 per entry: (kind, direction, role, days, religious) packed
    keys = ((((kinds.astype(np.int64) * 2 + out) * (len(s.role_names) + 1) + (roles + 1))
             * len(day_values) + day_code.ravel()) * 2 + religious)
    uniq = np.unique(keys)
    inverse = np.searchsorted(uniq, keys)
    sides, snis = np.zeros(len(uniq), np.int8), np.zeros(len(uniq), np.int64)
    for u, key in enumerate(uniq.tolist()):
        key, rel = divmod(key, 2)
        key, dc = divmod(key, len(day_values))
        key, r1 = divmod(key, len(s.role_names) + 1)
        k, o = divmod(key, 2)
        r, d = r1 - 1, float(day_values[dc])
        attrs = {"role": s.role_names[r] if r >= 0 else None,
                 "frequency": None if d < 0 else d}
        other = {"kind": vocab.GROUP if rel else vocab.PERSON,
                 "org_kind": "place_of_worship" if rel else None}
        got = _scale_codes(TIE_CODES[k], bool(o), attrs, other)
        sides[u], snis[u] = got
    side[:] = sides[inverse.ravel()]
    sni[:] = snis[inverse.ravel()]
    return side, sni


def read_props_json(text: str | None) -> dict[str, Any]:
    """A record's props (for the few long-tail fields a small query needs)."""
    return json.loads(text) if text else {}


def iter_batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Rows in lists of ``size`` (streaming reads with bounded memory)."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
