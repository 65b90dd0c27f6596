"""Import scale scores from a spreadsheet: ``assetmap import spreadsheet FILE --kind measures``.

One row per person, scale and day: ``person_id`` (or ``id``), ``scale`` (ons4, swemwbs, ucla3,
lsns6, mycaw), ``date`` (ISO), ``recorded_by``, then the answers in the scale's item order in
``q1`` ... ``q7`` (or columns named after the items, e.g. ``life_satisfaction``). Each row is
checked (known person, scale, item count, ranges, date) and a rejected row is named by file,
line and reason, never by its values; the good rows are written in one transaction, so a failed
write leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.store import GraphStore
from assetmap.ingest.report import ImportReport, batched, check_file, prefixed_id
from assetmap.ingest.spreadsheet import read_rows
from assetmap.measures import SCALES, measure_record, scale_name
from assetmap.records import PersonRecord

MEASURES = "measures"
_ALIASES = {"person": "person_id", "id": "person_id", "person_id": "person_id",
            "scale": "scale", "measure": "scale", "date": "date", "recorded_by": "recorded_by",
            "by": "recorded_by", "recorded_on": "date"}
_ITEM_NAMES = {item for s in SCALES.values() for item in s.items}


def _field(header: str) -> str | None:
    key = "_".join(header.strip().lower().replace("-", " ").split())
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith("q") and key[1:].isdigit() and 1 <= int(key[1:]) <= 7:
        return key
    return key if key in _ITEM_NAMES else None


def _answers(scale: str, values: dict[str, str]) -> list[str] | dict[str, str]:
    named = {k: v for k, v in values.items() if k in SCALES[scale].items}
    if named:
        return named
    return [values.get(f"q{i}", "") for i in range(1, 8)]


def import_measures(store: GraphStore, path: str | Path, *, sheet: str | None = None,
                    dry_run: bool = False, recorded_by: str = "import",
                    progress: Callable[[int], None] | None = None,
                    limit_bytes: int | None = None) -> ImportReport:
    """Import a CSV or XLSX sheet of scale answers (see the module docstring); return the
    report. Raises ValidationError (nothing written) when the file cannot be read at all."""
    path = check_file(path, limit_bytes)
    report = ImportReport("measures", str(path), dry_run=dry_run)
    header, rows = read_rows(path, report, sheet)
    fields = [_field(h) for h in header]
    for col, f in zip(header, fields, strict=True):
        if f is None:
            report.note("header", col[:60], "the column is not one assetmap uses; it was ignored")
    missing = [f for f in ("person_id", "scale", "date") if f not in fields]
    if missing:
        raise ValidationError(f"The file {path.name} has no {' or '.join(missing)} column; "
                              "a measures sheet needs person_id, scale, date and the answers.")
    width = len(header)
    good: list[tuple[str, PersonRecord]] = []
    seen: set[str] = set()
    known: dict[str, bool] = {}
    for line, cells in rows:
        report.read += 1
        if progress is not None and report.read % 10_000 == 0:
            progress(report.read)
        where = f"line {line}"
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) != width:
            report.reject(where, "row", f"the row has {len(cells)} cells but the header has "
                          f"{width}")
            continue
        values = {f: c.strip() for f, c in zip(fields, cells, strict=True) if f and c.strip()}
        try:
            if not values.get("person_id"):
                raise ValidationError("the row has no person id.", field="person_id")
            pid = prefixed_id(vocab.PERSON, values["person_id"])
            if pid not in known:
                try:
                    known[pid] = store.get(pid).kind == vocab.PERSON
                except NotFoundError:
                    known[pid] = False
            if not known[pid]:
                raise ValidationError("no person with this id is in the store.",
                                      field="person_id")
            scale = scale_name(values.get("scale", ""))
            rec = measure_record(pid, scale, _answers(scale, values), values.get("date", ""),
                                 values.get("recorded_by") or recorded_by)
        except ValidationError as exc:
            # the sentence names the field and the rule, never the person's answers
            report.reject(where, exc.field or "row", str(exc).rstrip("."))
            continue
        if rec.id in seen:
            report.reject(where, "date", "the same person, scale and date appear earlier in "
                          "this file")
            continue
        seen.add(rec.id)
        good.append((where, rec))
    if dry_run:
        report.written = len(good)
        return report
    with store.transaction():
        for batch in batched(good):
            store.add_records([rec for _, rec in batch])
            report.written += len(batch)
    if progress is not None:
        progress(report.read)
    return report


def template_rows() -> tuple[list[str], list[list[str]]]:
    """The header and two synthetic example rows of a measures sheet."""
    return (["person_id", "scale", "date", "recorded_by", "q1", "q2", "q3", "q4", "q5", "q6",
             "q7"],
            [["p001", "swemwbs", "2025-01-15", "coordinator", "3", "3", "2", "3", "4", "2", "3"],
             ["p001", "ucla3", "2025-01-15", "coordinator", "2", "3", "2", "", "", "", ""]])

