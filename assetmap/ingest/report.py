"""The import report every importer returns, and the few rules all importers share.

A report counts rows read / written / rejected and names each rejected record by file, line (or
JSON path) and field with one readable reason, never by its contents. The shared helpers give
stable ids (a hash of kind + source key), refuse files over the size limit, and write the good
records in one store transaction so a failed import leaves the store exactly as it was.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.batching import batched  # the one batching helper (size: ASSETMAP_BATCH_SIZE)
from assetmap.errors import AssetmapError, ValidationError
from assetmap.graph.store import GraphStore
from assetmap.model import Node, Tie

#: At most this many rejections are kept in the report (all are counted).
MAX_KEPT_REJECTIONS = 10_000
#: Changed records kept as the report's sample diff.
MAX_SAMPLES = 5

#: Id prefix per node kind (Areas use their ONS code as their id, unprefixed).
ID_PREFIX: dict[str, str] = {
    vocab.PERSON: "person:",
    vocab.GROUP: "group:",
    vocab.ORGANISATION: "org:",
    vocab.PRACTITIONER: "practitioner:",
    vocab.AREA: "",
}

Progress = Callable[[int], None]


@dataclass(slots=True)
class Rejection:
    """One record that was not imported (or a note about one that was): where and why."""

    file: str
    where: str
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: counts, and every rejected record with file, place, field, reason.

    ``notes`` are records kept with a caveat (e.g. an ORUK service with no usable location).
    """

    importer: str
    source: str
    dry_run: bool = False
    read: int = 0
    written: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[Rejection] = field(default_factory=list)
    unmapped: int = 0
    #: Merge counts (see assetmap.ingest.merge): records new to the store, changed, unchanged.
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    moved: int = 0
    #: field name -> how many records it changed in (names only, never values).
    field_changes: dict[str, int] = field(default_factory=dict)
    #: up to MAX_SAMPLES (where, changed field names) pairs: the sample diff.
    samples: list[tuple[str, list[str]]] = field(default_factory=list)

    def reject(self, where: str, field_name: str, reason: str, file: str | None = None) -> None:
        """Count one rejected record and keep its description (up to MAX_KEPT_REJECTIONS)."""
        self.rejected += 1
        if len(self.rejections) < MAX_KEPT_REJECTIONS:
            self.rejections.append(Rejection(file or self.source, where, field_name, reason))

    def note(self, where: str, field_name: str, reason: str, file: str | None = None) -> None:
        """Record a caveat about a record that was kept (it is not a rejection)."""
        if len(self.notes) < MAX_KEPT_REJECTIONS:
            self.notes.append(Rejection(file or self.source, where, field_name, reason))

    def count_changes(self, where: str, fields: list[str]) -> None:
        """Count one changed record's field names and keep it as a sample (names, no values)."""
        for f in fields:
            self.field_changes[f] = self.field_changes.get(f, 0) + 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append((where, list(fields)))

    def changes_line(self) -> str:
        """ "N new, M changed (fields), K unchanged" — field names only, most changed first."""
        line = f"{self.new:,} new, {self.changed:,} changed"
        if self.field_changes:
            top = sorted(self.field_changes.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
            line += " (" + ", ".join(f"{k} {v:,}" for k, v in top) + \
                (", …" if len(self.field_changes) > 8 else "") + ")"
        return line + f", {self.unchanged:,} unchanged"

    def sample_diff(self) -> list[str]:
        """A few changed records, each as "where: field, field" (names only, never values)."""
        return [f"{where}: {', '.join(fields)}" for where, fields in self.samples]

    def summary(self) -> str:
        """One line a coordinator can read: what was read, written and rejected."""
        verb = "would write" if self.dry_run else "wrote"
        line = (f"{self.importer} import of {Path(self.source).name}: read {self.read:,}, "
                f"{verb} {self.written:,}")
        if self.new or self.changed or self.unchanged:
            line += f" ({self.changes_line()})"
        line += f", rejected {self.rejected:,}"
        if self.unmapped:
            line += f", {self.unmapped:,} without a location"
        if self.notes:
            line += f", {len(self.notes):,} notes"
        if self.dry_run:
            line += " (dry run: nothing was written)"
        return line + "."

    def to_csv(self, path: str | Path) -> Path:
        """Write every rejection and note as CSV (columns: status, file, where, field, reason)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["status", "file", "where", "field", "reason"])
            for status, items in (("rejected", self.rejections), ("note", self.notes)):
                for r in items:
                    out.writerow([status, r.file, r.where, r.field, r.reason])
            for where, fields in self.samples:  # the sample diff: field names, never values
                out.writerow(["changed", self.source, where, ", ".join(fields),
                              "these fields changed"])
        return path

    def to_dict(self) -> dict[str, Any]:
        """The counts and the summary line, for the UI and JSON output."""
        return {"importer": self.importer, "source": self.source, "dry_run": self.dry_run,
                "read": self.read, "written": self.written, "rejected": self.rejected,
                "unmapped": self.unmapped, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "field_changes": dict(self.field_changes),
                "sample_diff": self.sample_diff(), "summary": self.summary()}


def stable_id(kind: str, *key: Any) -> str:
    """A deterministic id for a record with no id of its own: prefix + sha256(kind + key)[:20]."""
    text = "\x1f".join([kind, *(str(k).strip().casefold() for k in key)])
    return ID_PREFIX[kind] + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def prefixed_id(kind: str, raw: str) -> str:
    """A source id made into an assetmap id: kept as is if it has a ``prefix:``, else prefixed."""
    raw = raw.strip()
    return raw if ":" in raw or kind == vocab.AREA else ID_PREFIX[kind] + raw


def max_bytes() -> int:
    """The size limit for one import file (setting ``ASSETMAP_IMPORT_MAX_BYTES``)."""
    return _settings.load().import_max_bytes


def check_file(path: str | Path, limit: int | None = None) -> Path:
    """Refuse a missing, empty or over-large file with one readable sentence."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"The file {path.name} does not exist.", record=path.name)
    if path.is_dir():
        return path
    size = path.stat().st_size
    limit = max_bytes() if limit is None else limit
    if size == 0:
        raise ValidationError(f"The file {path.name} is empty.", record=path.name)
    if size > limit:
        raise ValidationError(
            f"The file {path.name} is {size:,} bytes, over the import limit of {limit:,} bytes "
            "(set ASSETMAP_IMPORT_MAX_BYTES to raise it).", record=path.name)
    return path


def write_nodes(store: GraphStore, located: Iterable[tuple[str, Node]], report: ImportReport,
                file: str | None = None) -> None:
    """Upsert (where, node) pairs in batches inside the caller's transaction.

    A batch the store refuses (a record that would change kind) is retried one record at a
    time, each in its own nested transaction, so only the offending records are rejected.
    """
    for batch in batched(located):
        try:
            with store.transaction():
                store.upsert_nodes([n for _, n in batch])
            report.written += len(batch)
        except ValidationError:
            for where, node in batch:
                try:
                    with store.transaction():
                        store.upsert_nodes([node])
                    report.written += 1
                except ValidationError as exc:
                    report.reject(where, exc.field or "kind", safe_reason(exc, node.kind), file)


def write_ties(store: GraphStore, located: Iterable[tuple[str, Tie]], report: ImportReport,
               file: str | None = None) -> None:
    """Upsert (where, tie) pairs in batches inside the caller's transaction (ends checked first)."""
    for batch in batched(located):
        with store.transaction():
            store.upsert_ties([t for _, t in batch])
        report.written += len(batch)


def safe_reason(exc: AssetmapError, kind: str | None) -> str:
    """The error's sentence, or for a person a value-free one (no personal data in reports)."""
    if kind != vocab.PERSON:
        return str(exc)
    name = getattr(exc, "field", None) or "a field"
    return f"{name} is not a valid value for a person record."


def detect_encoding(path: str | Path) -> str:
    """The text encoding of a file real exports produce: UTF-8 (with or without BOM), UTF-16
    with a BOM, or Windows-1252 (Excel's "CSV"). The whole file is scanned in chunks."""
    import codecs

    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValidationError(
        f"The file {path.name} is not text in UTF-8 or Windows-1252: save it as CSV UTF-8 and "
        "try again.", record=path.name)
