"""Records about people that are not part of the network: scale scores, wellbeing goals, ratings.

A :class:`PersonRecord` belongs to one person (or, for a rating, to the person or group who gave
it) and is stored beside the graph, never in it: records are not nodes or ties, so they never
appear in ``to_networkx`` or the node counts. They go when the person is erased
(:func:`assetmap.governance.rights.erase_person`), are part of a subject access export, and travel
with ``assetmap copy``. Both stores implement ``add_records`` / ``records`` / ``delete_records``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.model import MAX_ID_LENGTH


@dataclass(slots=True)
class PersonRecord:
    """One record about a person: ``kind`` (measure, goal, rating), whose it is (``person_id``),
    what it is about (``subject_id``: a rated group, or None), the ISO ``date`` it refers to and
    the kind's fields in ``data``. ``id`` is stable, so writing it again replaces it."""

    id: str
    kind: str
    person_id: str
    date: str
    subject_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> PersonRecord:
        """Check the common fields (the kind's own fields are checked by its module)."""
        for name in ("id", "person_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID_LENGTH:
                raise ValidationError(f"{name} is missing or too long.", field=name)
        if self.subject_id is not None and (not isinstance(self.subject_id, str)
                                            or len(self.subject_id) > MAX_ID_LENGTH):
            raise ValidationError("subject_id must be a record id.", field="subject_id")
        if self.kind not in vocab.RECORD_KINDS:
            raise ValidationError(f"record kind {self.kind!r} is not one of "
                                  f"{', '.join(vocab.RECORD_KINDS)}.", field="kind")
        parse_day(self.date, "date")
        if not isinstance(self.data, dict):
            raise ValidationError("data must be a mapping of fields to values.", field="data")
        try:
            json.dumps(self.data, allow_nan=False)
        except (TypeError, ValueError):
            raise ValidationError("data cannot be stored as JSON.", field="data") from None
        return self

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON-able values (for exports)."""
        return {"id": self.id, "kind": self.kind, "person_id": self.person_id,
                "subject_id": self.subject_id, "date": self.date, **self.data}


def parse_day(value: Any, what: str = "date") -> str:
    """An ISO day (``2025-11-25``) from a date or text; one-sentence error otherwise."""
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value or "").strip()[:10]
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValidationError(f"{what} is not a date like 2025-11-25.", field=what) from None


def record_id(kind: str, *key: Any) -> str:
    """A stable id for a record: ``kind:`` + sha256 of its identifying parts."""
    text = "\x1f".join([kind, *(str(k) for k in key)])
    return f"{kind}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}"
