"""Imports merge into the store; they never erase.

A file changes only the fields it carries: an empty cell leaves the stored value alone, and a cell
holding :data:`CLEAR` (``<clear>``) is the one explicit way to remove a value. Each batch of
incoming records is read back from the store in one :meth:`GraphStore.get_many` call, merged,
compared field by field, and only new or changed records are written, so running the same file
again writes nothing (and the store version stays as it was). The report counts new, changed
and unchanged records, which fields changed, and keeps a few samples naming fields, never values.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from assetmap.errors import ValidationError
from assetmap.geo import haversine_m
from assetmap.graph.store import GraphStore
from assetmap.ingest.report import ImportReport, batched, safe_reason, write_nodes
from assetmap.model import Node, Tie, analysis_fields

#: A cell holding exactly this text clears the field (an empty cell never does).
CLEAR = "<clear>"
#: A re-import that moves a record further than this is reported as a move.
MOVE_REPORT_M = 1_000.0
#: Fields that are columns of a node rather than props.
_COLUMNS = ("name", "area", "lat", "lon")
#: Props whose stored value depends on the location (recomputed or cleared with it).
_LOCATION_FIELDS = frozenset({"lat", "lon", "location"})

#: Places nodes that have a location but no area (sets ``node.area`` in place).
Placer = Callable[[list[Node]], None]


@dataclass(slots=True)
class Incoming:
    """One record as a file gives it: only the fields the file carries, plus fields to clear."""

    where: str
    node: Node
    clears: frozenset[str] = frozenset()


@dataclass(slots=True)
class Merged:
    """The stored record after merging an incoming one, and what changed."""

    node: Node
    fields: list[str] = field(default_factory=list)
    new: bool = False
    moved: bool = False
    unplaced: bool = False
    needs_place: bool = False
    old_area: str | None = None


def _merge_props(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` laid over ``old``. An empty value (``""``, ``[]``, ``{}``: e.g. an ORUK service
    whose terms all went, or a list cell whose words were all unknown) never replaces a stored
    one: only :data:`CLEAR` removes a value."""
    props = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(props.get(key), dict):
            props[key] = {**props[key], **value}  # e.g. consent: one use given, the other kept
        elif value in _EMPTY and type(value) in _EMPTY_TYPES and props.get(key) not in (None,
                                                                                       *_EMPTY):
            continue
        else:
            props[key] = value
    return props


_EMPTY: tuple[Any, ...] = ("", [], {})
_EMPTY_TYPES = (str, list, dict)


def changed_fields(old: Node, new: Node) -> list[str]:
    """The names of the fields (columns and props) whose values differ, sorted."""
    out = [f for f in _COLUMNS if getattr(old, f) != getattr(new, f)]
    for key in old.props.keys() | new.props.keys():
        if old.props.get(key, None) != new.props.get(key, None) or \
                (key in old.props) != (key in new.props):
            out.append(key)
    return sorted(out)


def merge_node(old: Node | None, new: Node, clears: frozenset[str] = frozenset()) -> Merged:
    """``new`` laid over ``old``: carried fields replace, absent ones are kept, ``clears`` go.

    Location rules: a location that changes without an area given drops the old area, to be
    recomputed (``needs_place``); a postcode that changes without a location given leaves the
    record unplaced (its old point and area belonged to the old postcode).
    """
    if old is None:  # the incoming record is fresh from a parser: used as it is, not copied
        return Merged(new, ["*"], True, False, False, new.area is None and new.lat is not None)
    name = new.name or old.name
    area = new.area if new.area is not None else old.area
    lat, lon = (new.lat, new.lon) if new.lat is not None else (old.lat, old.lon)
    props = _merge_props(old.props, new.props)
    out = Merged(Node(old.id, old.kind, name, area, lat, lon, props), old_area=old.area)
    location_changed = (lat, lon) != (old.lat, old.lon)
    if location_changed and new.area is None:
        out.node.area = None
        out.needs_place = lat is not None
    if (location_changed and old.lat is not None and old.lon is not None and lat is not None
            and lon is not None):
        out.moved = haversine_m(old.lat, old.lon, lat, lon) > MOVE_REPORT_M
    old_pc, new_pc = old.props.get("postcode"), new.props.get("postcode")
    if new_pc and old_pc and new_pc != old_pc and new.lat is None and old.lat is not None:
        out.node.lat = out.node.lon = None
        if new.area is None:
            out.node.area = None
        out.unplaced = True
        out.needs_place = False
    for f in clears:
        if f in _LOCATION_FIELDS:
            out.node.lat = out.node.lon = None
            out.needs_place = False
        elif f == "area":
            out.node.area = None
            out.needs_place = False
        elif f == "name":
            continue  # a record keeps a name
        else:
            out.node.props.pop(f, None)
    out.fields = changed_fields(old, out.node)
    return out


def merge_nodes(store: GraphStore, records: Iterable[Incoming], report: ImportReport, *,
                dry_run: bool = False, place: Placer | None = None,
                file: str | None = None, fresh: bool = False) -> None:
    """Merge incoming records into the store batch by batch (inside the caller's transaction);
    write only the new and changed ones. Counts and samples go into ``report``.

    ``fresh``: the caller knows no incoming record is stored yet (the store held no records
    when the import began, and the records' ids are distinct), so nothing is read back."""
    for batch in batched(records):
        existing = {} if fresh else store.get_many(inc.node.id for inc in batch)
        if not existing:  # all new (e.g. a fresh store): nothing to merge or compare
            added = [(inc.where, inc.node) for inc in batch]
            if place is not None:
                unplaced = [n for _, n in added if n.area is None and n.lat is not None]
                if unplaced:
                    place(unplaced)
            report.new += len(added)
            _finish(store, added, report, dry_run, file)
            continue
        _finish(store, _merge_batch(batch, existing, report, place, file), report, dry_run,
                file)


def _merge_batch(batch: list[Incoming], existing: dict[str, Node], report: ImportReport,
                 place: Placer | None, file: str | None) -> list[tuple[str, Node]]:
    """One batch merged over the stored records it names: the (where, record) pairs to write,
    new and changed, in the batch's order; counts, notes and samples go into ``report``."""
    todo: list[tuple[Incoming, Merged]] = []
    for inc in batch:
        old = existing.get(inc.node.id)
        if old is not None and old.kind != inc.node.kind:
            report.reject(inc.where, "kind", f"the record is already a {old.kind}; it "
                          f"cannot become a {inc.node.kind}", file)
            continue
        todo.append((inc, merge_node(old, inc.node, inc.clears)))
    if place is not None:
        unplaced = [m.node for _, m in todo if m.needs_place]
        if unplaced:
            place(unplaced)
    out: list[tuple[str, Node]] = []
    for inc, m in todo:
        if m.needs_place and m.node.area is None and not m.new and not m.moved:
            m.node.area = m.old_area  # a small move and no boundaries: the area stands
            m.fields = changed_fields(existing[inc.node.id], m.node)
        if m.new:
            report.new += 1
        elif m.fields:
            report.changed += 1
            report.count_changes(inc.where, m.fields)
            if m.moved:
                report.moved += 1
                report.note(inc.where, "location", "the record moved more than 1 km; its "
                            "area was worked out again from the new point (left empty "
                            "where no saved boundary holds it)", file)
            if m.unplaced:
                report.note(inc.where, "postcode", "the postcode changed and no location "
                            "was given: the record is unplaced until postcodes place it",
                            file)
        else:
            report.unchanged += 1
            continue
        out.append((inc.where, m.node))
    return out


class RowMaker(Protocol):
    """What :func:`merge_nodes_bulk` needs of an importer's clean rows (``parts``: a tuple
    whose items 0 and 1 are where and the record's id)."""

    def node_of(self, parts: Any) -> Node:
        """The record the row gives."""

    def row_of(self, parts: Any, group: Callable[[tuple[Any, ...]], int]) -> tuple[Any, ...]:
        """The row a bulk writer takes: (id, name, area, lat, lon, props JSON, group)."""


class NodeWriter(Protocol):
    """A store's bulk writer of new records (e.g. SQLiteStore.new_node_writer)."""

    def group(self, fields: tuple[Any, ...]) -> int:
        """The number of one analysis fields tuple."""

    def add(self, rows: list[tuple[Any, ...]]) -> int:
        """Write new rows; how many."""


def merge_nodes_bulk(store: GraphStore, records: Iterable[Incoming | tuple[Any, ...]],
                     report: ImportReport, *, writer: NodeWriter, rows: RowMaker,
                     place: Placer | None = None, file: str | None = None,
                     fresh: bool = False) -> None:
    """:func:`merge_nodes` (never a dry run) for an importer whose clean rows come as
    ``parts`` tuples (see :class:`RowMaker`) among :class:`Incoming` records: records new to
    the store go to ``writer`` as plain rows (no record, dict or JSON encoder per row), and
    only those already stored are read back and merged as :func:`merge_nodes` merges them.
    Counts, notes, samples, numbers and what is stored are exactly what merge_nodes gives.

    ``fresh`` (no incoming record is stored yet): the clean rows come as the writer's rows
    themselves, and nothing is read back."""
    for batch in batched(records):
        new: list[Any]
        if fresh:
            new = [r if type(r) is not Incoming else _checked_row(r, writer, report, file)
                   for r in batch]
            if len(new) != len(batch):
                new = [r for r in new if r is not None]
            if place is not None:
                _place_rows(new, place)
            report.new += len(new)
            report.written += writer.add(new)
            continue
        existing = store.get_many(r.node.id if type(r) is Incoming else r[1]  # type: ignore[index]
                                  for r in batch)
        new = []
        stored: list[Incoming] = []
        for r in batch:
            if type(r) is Incoming:
                if r.node.id in existing:
                    stored.append(r)
                elif (row := _checked_row(r, writer, report, file)) is not None:
                    new.append(row)
            elif r[1] in existing:  # type: ignore[index]
                stored.append(Incoming(r[0], rows.node_of(r)))  # type: ignore[index]
            else:
                new.append(rows.row_of(r, writer.group))
        if place is not None:
            _place_rows(new, place)
        report.new += len(new)
        if stored:
            _finish(store, _merge_batch(stored, existing, report, place, file), report, False,
                    file)
        report.written += writer.add(new)


def _checked_row(inc: Incoming, writer: NodeWriter, report: ImportReport, file: str | None
                 ) -> tuple[Any, ...] | None:
    """A general-path record new to the store as a bulk writer's row, checked as a write checks
    it (None, and a rejection in the report, where the check fails)."""
    node = inc.node
    try:
        text = node.checked_json()
    except ValidationError as exc:
        report.reject(inc.where, exc.field or "kind", safe_reason(exc, node.kind), file)
        return None
    return (node.id, node.name, node.area, node.lat, node.lon, text,
            writer.group(analysis_fields(node.kind, node.props)))


def _place_rows(rows: list[tuple[Any, ...]], place: Placer) -> None:
    """Give bulk rows with a location but no area the area ``place`` finds (in place)."""
    at = [i for i, r in enumerate(rows) if r[2] is None and r[3] is not None]
    if not at:
        return
    nodes = [Node(rows[i][0], "", rows[i][1], None, rows[i][3], rows[i][4]) for i in at]
    place(nodes)
    for i, node in zip(at, nodes, strict=True):
        if node.area is not None:
            r = rows[i]
            rows[i] = (r[0], r[1], node.area, *r[3:])


def _finish(store: GraphStore, out: list[tuple[str, Node]], report: ImportReport,
            dry_run: bool, file: str | None) -> None:
    if not out:
        return
    if dry_run:
        for where, node in out:
            try:
                node.validate()
                report.written += 1
            except ValidationError as exc:
                report.reject(where, exc.field or "kind", safe_reason(exc, node.kind), file)
        return
    write_nodes(store, out, report, file)  # a refused batch is retried record by record


def merge_ties(store: GraphStore, records: Iterable[tuple[str, Tie]], report: ImportReport, *,
               dry_run: bool = False, file: str | None = None) -> None:
    """Merge incoming ties: a tie's props are laid over the stored ones; only new or changed
    ties are written (inside the caller's transaction). Each batch's stored ties are read in one
    :meth:`GraphStore.get_ties_many` call."""
    for batch in batched(records):
        out: list[Tie] = []
        stored = store.get_ties_many(tie.key for _, tie in batch)  # one read per batch
        for where, tie in batch:
            old = stored.get(tie.key)
            if old is None:
                report.new += 1
                out.append(tie)
                continue
            props = _merge_props(old.props, tie.props)
            if props == old.props:
                report.unchanged += 1
                continue
            report.changed += 1
            report.count_changes(where, sorted(k for k in props if props[k] != old.props.get(k)))
            out.append(Tie(tie.src, tie.dst, tie.kind, props))
        if out and not dry_run:
            with store.transaction():
                store.upsert_ties(out)
        report.written += len(out)


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk import: the records it makes hold no
    cycles (reference counting frees them), and collections over a growing heap of them cost
    more than the parsing itself (a 100k-row file imports ~40% faster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_clear(text: str) -> bool:
    """Whether a cell asks to clear its field (exactly ``<clear>``, any case, spaces ignored)."""
    return text.strip().lower() == CLEAR


__all__ = ["CLEAR", "Incoming", "Merged", "Placer", "bulk", "changed_fields", "is_clear",
           "merge_node", "merge_nodes", "merge_nodes_bulk", "merge_ties"]
