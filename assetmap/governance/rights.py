"""People's rights over their data: a copy of everything held about one person, and erasure.

- :func:`person_record` / :func:`export_person`: the person's record, their ties (with the kind
  and id of whoever is at the other end; other people's names are left out), referrals, caseloads
  and every audit row about them — as JSON and CSV. Their exact home (postcode, coordinates) is
  left out unless ``include_location`` is asked for (a copy for the person themself).
  Contact notes (free text about the person: sensitive) are in the subject access export of one
  person; a bulk export (:func:`export_people`) leaves them out unless ``include_notes`` is
  asked for, and that choice is audited with the export's reason.
- :func:`erase_person`: the record, its ties and geocodes go from the store, the person goes from
  every caseload, and only a random tombstone id is kept. Audit rows (actions, no field values)
  stay — the log is append-only — but name the person by the tombstone from then on.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.governance import audit, keys, privacy
from assetmap.governance.access import AccessDB, User
from assetmap.graph.store import GraphStore

#: Person fields that place their home exactly; left out of exports unless asked for.
LOCATION_FIELDS: frozenset[str] = frozenset({"postcode", "lat", "lon", "address", "uprn"})
#: The person prop holding contact notes where a store keeps no person records
#: (:data:`assetmap.governance.recording.NOTES`).
NOTES_FIELD = "contact_notes"
#: Said in place of contact notes left out of a bulk export.
NOTES_LEFT_OUT = ("contact notes are left out of a bulk export; a subject access export of this "
                  "person alone includes them")


def _person(store: GraphStore, person_id: str):
    try:
        node = store.get(person_id)
    except NotFoundError:
        node = None
    if node is None or node.kind != vocab.PERSON:
        raise NotFoundError(f"No person with id {person_id!r}.")
    return node


def person_record(store: GraphStore, access: AccessDB, person_id: str,
                  include_location: bool = False, include_notes: bool = True) -> dict[str, Any]:
    """Everything held about one person, as a dict (no audit row is written here). Contact
    notes are in ``contact_notes`` unless ``include_notes`` is off (bulk exports)."""
    node = _person(store, person_id)
    props = dict(node.props)
    record: dict[str, Any] = {
        "id": node.id, "kind": node.kind, "name": node.name, "area": node.area,
        "lawful_basis": privacy.lawful_basis(props),
        "consent": props.pop("consent", {}),
    }
    if include_location:
        record.update(lat=node.lat, lon=node.lon)
    else:
        record["location"] = ("held (postcode and coordinates); left out of this export, "
                              "ask for include_location for the person's own copy")
    notes: list[Any] = list(props.pop(NOTES_FIELD, None) or [])
    record["fields"] = {k: v for k, v in sorted(props.items())
                        if include_location or k not in LOCATION_FIELDS}
    ties: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    for tie, other in store.neighbours(person_id):
        row = {"kind": tie.kind, "tie_class": vocab.TIE_KINDS.get(tie.kind, ""),
               "direction": "from" if tie.src == person_id else "to",
               "other_id": other.id, "other_kind": other.kind,
               # Another person's name is their data, not this person's.
               "other_name": "" if other.kind == vocab.PERSON else other.name,
               **{k: v for k, v in sorted(tie.props.items())}}
        (referrals if tie.kind == "REFERRED_TO" else ties).append(row)
    record["ties"] = ties
    record["referrals"] = referrals
    # measures, goals and ratings they gave (issue 18): records about them beside the graph
    held = store.records(person_id=person_id)
    record["measures"] = [r.as_dict() for r in held if r.kind != vocab.NOTE]
    # contact notes: free text about them, sensitive (issue 14)
    notes += [{"date": r.date, **r.data} for r in held if r.kind == vocab.NOTE]
    record["contact_notes"] = (sorted(notes, key=lambda n: str(n.get("date", "")))
                               if include_notes else NOTES_LEFT_OUT)
    record["caseloads"] = access.caseload_holders(person_id)
    record["audit"] = [e.as_dict() for e in audit.events(access, person=person_id)]
    return record


def _flat_rows(record: dict[str, Any]) -> list[dict[str, str]]:
    """One CSV row per fact: section, item, field, value."""
    rows = []
    for key, value in record.items():
        if key in ("ties", "referrals", "measures", "audit") or (
                key == "contact_notes" and isinstance(value, list)):
            for i, item in enumerate(value):
                for f, v in item.items():
                    rows.append({"section": key, "item": str(i + 1), "field": f,
                                 "value": _text(v)})
        elif key == "fields" or key == "consent":
            for f, v in value.items():
                rows.append({"section": key, "item": "", "field": f, "value": _text(v)})
        else:
            rows.append({"section": "person", "item": "", "field": key, "value": _text(value)})
    return rows


def _text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def export_person(store: GraphStore, access: AccessDB, person_id: str, directory: str | Path,
                  by: User | str, include_location: bool = False,
                  reason: str | None = None, include_notes: bool = True) -> list[Path]:
    """Write ``<id>.json`` and ``<id>.csv`` (formula-safe) into ``directory``; audit the export.
    One person's export is their subject access export: contact notes are in it."""
    try:
        record = person_record(store, access, person_id, include_location=include_location,
                               include_notes=include_notes)
    except NotFoundError:
        audit.record(access, by, "export", person_id, outcome="failed", reason=reason)
        raise
    audit.record(access, by, "export", person_id, reason=reason)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = person_id.replace(":", "_").replace("/", "_")
    json_path, csv_path = directory / f"{stem}.json", directory / f"{stem}.csv"
    json_path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str),
                         encoding="utf-8")
    frame = privacy.neutralise_csv(pd.DataFrame(_flat_rows(record),
                                                columns=["section", "item", "field", "value"]))
    frame.to_csv(csv_path, index=False, quoting=csv.QUOTE_MINIMAL)
    for path in (json_path, csv_path):
        keys.make_private(path)
    return [json_path, csv_path]


def export_people(store: GraphStore, access: AccessDB, person_ids: list[str],
                  directory: str | Path, by: User | str, reason: str | None,
                  include_notes: bool = False) -> list[Path]:
    """Export several people (a bulk export): only with a recorded reason, audited per person.
    Contact notes (free text, sensitive) are left out unless ``include_notes`` is asked for;
    the audit row then says so beside the reason."""
    reason = (reason or "").strip()
    if not reason:
        audit.record(access, by, "bulk_export", outcome="denied")
        raise ValidationError("A bulk export of people needs a reason (--reason).",
                              field="reason")
    # The audit row holds no values, only what was done: here, that notes went too.
    recorded = f"{reason} (with contact notes)" if include_notes else reason
    audit.record(access, by, "bulk_export", reason=recorded)
    paths: list[Path] = []
    for pid in person_ids:
        paths += export_person(store, access, pid, directory, by, reason=recorded,
                               include_notes=include_notes)
    return paths


def erase_person(store: GraphStore, access: AccessDB, person_id: str, by: User | str,
                 reason: str | None = None) -> str:
    """Erase a person: node, ties and geocodes from the store, caseload entries from the access
    database, and (for SQLite) the freed pages overwritten. Returns the tombstone id kept."""
    try:
        _person(store, person_id)
    except NotFoundError:
        audit.record(access, by, "erase", person_id, outcome="failed", reason=reason)
        raise
    with store.transaction():
        store.delete(person_id)  # ties go with the node
        store.delete_records(person_id)  # measures, goals and ratings they gave (issue 18)
    audit.record(access, by, "erase", person_id, reason=reason)
    tombstone = access.forget_person(person_id)  # the audit log now names them by tombstone
    store.scrub()  # deleted rows must not linger in the store's files
    return tombstone


