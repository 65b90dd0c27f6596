"""People, groups, organisations, practitioners and ties from CSV or Excel (XLSX) spreadsheets.

Common headers are recognised without help ("Post Code", "postcode", "PostCode"; "First name" +
"Surname" -> the display name); a YAML mapping file maps any other column names to fields.
Files are streamed row by row (a 1,000,000-row CSV imports in bounded memory), every row is
validated, bad rows are reported by file, line and field (never by their contents) and the good
rows are written in one store transaction.

Into SQLite, clean rows new to the store take a bulk way (issue 12): each combination of coded
cells becomes one template (its props' JSON pieces and analysis fields worked out once), a row
becomes a plain tuple with its props JSON assembled from those pieces, rows into an empty store
are worked out a chunk at a time column by column, and the store's ``new_node_writer`` copies
them in with one ``INSERT … SELECT`` a batch. Anything else (a note, an error, a ``<clear>``, a
record already stored) goes the record-by-record way; tests check both ways store the same.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import math
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.batching import batched
from assetmap.errors import NotFoundError, ValidationError
from assetmap.geo import normalise_postcode
from assetmap.governance.privacy import pseudonymous_id, use_pseudonym_key
from assetmap.graph.store import GraphStore
from assetmap.ingest.limits import bounded_rows, check_archive
from assetmap.ingest.merge import (
    Incoming,
    Placer,
    bulk,
    is_clear,
    merge_nodes,
    merge_nodes_bulk,
    merge_ties,
)
from assetmap.ingest.postcodes import PostcodeLookup, as_lookup, stored_lookup
from assetmap.ingest.report import (
    ID_PREFIX,
    ImportReport,
    Progress,
    check_file,
    detect_encoding,
)
from assetmap.model import (
    MAX_ID_LENGTH,
    Node,
    Tie,
    analysis_fields,
    check_endpoints,
    props_json,
)

TIES = "ties"
#: Words a user may give for what a file holds -> node kind (or "ties").
KIND_WORDS: dict[str, str] = {
    "people": vocab.PERSON, "person": vocab.PERSON,
    "groups": vocab.GROUP, "group": vocab.GROUP,
    "organisations": vocab.ORGANISATION, "organisation": vocab.ORGANISATION,
    "organizations": vocab.ORGANISATION, "organization": vocab.ORGANISATION,
    "orgs": vocab.ORGANISATION, "org": vocab.ORGANISATION,
    "practitioners": vocab.PRACTITIONER, "practitioner": vocab.PRACTITIONER,
    "ties": TIES, "tie": TIES, "relationships": TIES, "connections": TIES,
}

#: field -> header spellings recognised without a mapping file (compared after _key()).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "ref", "reference", "record_id", "client_id", "person_id", "group_id",
           "organisation_id", "org_id", "practitioner_id"),
    "name": ("name", "display_name", "full_name", "group_name", "organisation_name",
             "organization_name", "org_name", "practitioner_name"),
    "first_name": ("first_name", "firstname", "forename", "given_name", "first"),
    "surname": ("surname", "last_name", "lastname", "family_name"),
    "postcode": ("postcode", "post_code", "postal_code", "zip", "pcd", "pcds"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "area": ("area", "area_code", "lsoa", "lsoa_code", "lsoa21cd"),
    "roles": ("roles", "role_s"),
    "role": ("role", "job", "job_title", "profession"),
    "interests": ("interests", "interest", "hobbies"),
    "activities": ("activities", "activity"),
    "needs": ("needs", "need", "support_needs"),
    "personal_budget": ("personal_budget", "has_personal_budget", "budget"),
    "budget_kind": ("budget_kind", "budget_type", "personal_budget_type"),
    "consent_suggest": ("consent_suggest", "consent_to_suggest"),
    "consent_map": ("consent_map", "consent_to_map"),
    "consent": ("consent",),
    "age_band": ("age_band", "age_group", "age_range"),
    "carer_hours": ("carer_hours", "caring_hours", "unpaid_care_hours"),
    "disability": ("disability",),
    "health": ("health", "general_health"),
    "lonely": ("lonely", "loneliness"),
    "status": ("status",),
    "cost": ("cost", "price", "fee"),
    "access": ("access", "accessibility"),
    "meets": ("meets", "when", "meeting_times", "schedule"),
    "org_kind": ("org_kind", "organisation_kind", "organisation_type", "org_type", "kind_of_org"),
    "user_led": ("user_led", "userled", "ulo"),
    "funding": ("funding", "funding_status"),
    "website": ("website", "url", "web"),
    "email": ("email", "e_mail", "email_address"),
    "phone": ("phone", "telephone", "tel", "phone_number"),
    "description": ("description", "about", "summary"),
    "synthetic": ("synthetic",),
    "src": ("src", "from", "from_id", "source_id"),
    "dst": ("dst", "to", "to_id", "target", "target_id"),
    "kind": ("kind", "tie", "tie_kind", "relationship", "type"),
    "since": ("since", "start", "start_date"),
    "frequency": ("frequency", "how_often"),
    "via": ("via", "met_at", "met_through"),
    "weight": ("weight", "strength"),
    "date": ("date",),
    "by": ("by", "referred_by"),
    "source": ("source",),
}
_ALIAS_TO_FIELD = {alias: f for f, aliases in HEADER_ALIASES.items() for alias in aliases}

#: Fields each kind keeps (anything else in the file is ignored, with a note).
KIND_FIELDS: dict[str, set[str]] = {
    vocab.PERSON: {"id", "name", "first_name", "surname", "postcode", "lat", "lon", "area",
                   "roles", "interests", "needs", "personal_budget", "budget_kind",
                   "consent_suggest", "consent_map", "consent", "age_band", "carer_hours",
                   "disability", "health", "lonely", "synthetic"},
    vocab.GROUP: {"id", "name", "postcode", "lat", "lon", "area", "activities", "interests",
                  "needs", "status", "cost", "access", "meets", "website", "email", "phone",
                  "description", "synthetic"},
    vocab.ORGANISATION: {"id", "name", "postcode", "lat", "lon", "area", "org_kind", "user_led",
                         "funding", "activities", "interests", "needs", "status", "cost",
                         "access", "website", "email", "phone", "description", "synthetic"},
    vocab.PRACTITIONER: {"id", "name", "first_name", "surname", "postcode", "lat", "lon",
                         "area", "role", "synthetic"},
    TIES: {"src", "dst", "kind", "since", "frequency", "status", "date", "by", "source", "via",
           "role", "weight"},
}

_CHOICE_FIELDS: dict[str, tuple[str, ...]] = {
    "age_band": vocab.AGE_BANDS, "carer_hours": vocab.CARER_HOURS,
    "disability": vocab.DISABILITY, "health": vocab.HEALTH, "lonely": vocab.LONELINESS,
    "status": vocab.GROUP_STATUSES, "cost": vocab.COSTS, "org_kind": vocab.ORGANISATION_KINDS,
    "funding": vocab.FUNDING_STATUSES, "role": vocab.PRACTITIONER_ROLES,
    "budget_kind": vocab.BUDGET_KINDS,
}
_BOOL_FIELDS = {"personal_budget", "user_led", "synthetic", "consent_suggest", "consent_map",
                "consent"}
_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0", ""}
_SPLIT = re.compile(r"[;,|/]+")
_KEY = re.compile(r"[^a-z0-9]+")


# Vocabulary look-ups scan every synonym; cells repeat the same few words, so cache them.
_canonical_interest = vocab.canonical_interest  # cached in vocab
_canonical_need = vocab.canonical_need


def _key(text: str) -> str:
    return _KEY.sub("_", str(text).strip().lower()).strip("_")


@dataclass
class ColumnMapping:
    """What a YAML mapping file says: the file's kind and user column -> field."""

    kind: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    namespace: str | None = None


def load_mapping(mapping: str | Path | dict | ColumnMapping | None) -> ColumnMapping:
    """Read a mapping (YAML file, dict or ColumnMapping).

    The YAML is either ``{kind: people, sheet: Sheet1, namespace: north, columns: {"Client
    Ref": id, ...}}`` or a plain ``{"Client Ref": id, ...}``.
    """
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, str | Path):
        import yaml  # only for a mapping file (a dict needs no YAML parser loaded)

        path = check_file(mapping)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError):
            raise ValidationError(f"The mapping file {path.name} is not valid YAML.") from None
    else:
        data = mapping
    if not isinstance(data, dict):
        raise ValidationError("A column mapping must be a YAML mapping of column -> field.")
    if "columns" in data:
        columns = data["columns"]
    else:
        columns = {k: v for k, v in data.items() if k not in ("kind", "sheet", "namespace")}
    if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise ValidationError("The mapping's columns must map column names to field names.")
    known = set(HEADER_ALIASES)
    for target in columns.values():
        if target not in known:
            raise ValidationError(
                f"The mapping names an unknown field {target!r}; fields are: "
                f"{', '.join(sorted(known))}.")
    kind, sheet, namespace = data.get("kind"), data.get("sheet"), data.get("namespace")
    return ColumnMapping(kind=kind, columns={_key(k): v for k, v in columns.items()}, sheet=sheet,
                         namespace=None if namespace is None else str(namespace))


def map_header(header: list[str], mapping: ColumnMapping) -> list[str | None]:
    """The field each column holds (None where it is not one assetmap knows)."""
    out: list[str | None] = []
    taken: set[str] = set()
    for raw in header:
        k = _key(raw)
        name = mapping.columns.get(k) or _ALIAS_TO_FIELD.get(k)
        if name in taken:
            name = None
        if name:
            taken.add(name)
        out.append(name)
    return out


def resolve_kind(kind: str | None, path: Path, fields: list[str | None]) -> str:
    """The node kind (or "ties") a file holds: from the option, the file name or the headers."""
    if kind:
        word = kind.strip()
        if word in vocab.NODE_KINDS and word not in (vocab.AREA, vocab.SOURCE):
            return word
        if word.lower() in KIND_WORDS:
            return KIND_WORDS[word.lower()]
        raise ValidationError(
            f"{kind!r} is not a kind of spreadsheet; use people, groups, organisations, "
            "practitioners or ties.")
    if "src" in fields and "dst" in fields:
        return TIES
    for part in re.split(r"[^a-z]+", path.stem.lower()):
        if part in KIND_WORDS:
            return KIND_WORDS[part]
    raise ValidationError(
        f"What {path.name} holds could not be told from its name or columns; give the kind "
        "(people, groups, organisations, practitioners or ties).")


# --- reading rows ------------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value)


def _csv_rows(path: Path, report: ImportReport, deferred: list[tuple[int, str]] | None = None
              ) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a CSV file; a row that is not CSV is rejected (or, given ``deferred``,
    its line and reason are kept there for a caller that reads ahead to reject in order)."""
    encoding = detect_encoding(path)
    with path.open(newline="", encoding=encoding) as fh:
        first = fh.readline()
        delimiter = max(",;\t", key=first.count) if first.strip() else ","
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        last = 0
        while True:  # a for loop over the reader, restarted after each row that is not CSV
            try:
                for cells in reader:
                    start, last = last + 1, reader.line_num
                    yield start, cells
                return
            except csv.Error as exc:
                start, last = last + 1, reader.line_num
                if "end of data" in str(exc) or "unexpected end" in str(exc):
                    raise ValidationError(
                        f"{path.name}: a quoted cell starting on or after line {start} is never "
                        "closed, so the rest of the file cannot be read; fix the quotes and "
                        "import again.", record=f"line {start}") from None
                if deferred is not None:
                    deferred.append((start, f"the row is not valid CSV ({exc})"))
                    continue
                report.reject(f"line {start}", "row", f"the row is not valid CSV ({exc})")
                report.read += 1


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    import openpyxl

    check_archive(path)  # sizes inside the zip, before anything is decompressed
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValidationError(f"The file {path.name} is not a readable Excel workbook.") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ValidationError(f"The workbook {path.name} has no sheet {sheet!r}.")
        ws = book[sheet] if sheet else book.worksheets[0]
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, [_cell_text(v) for v in row]
    finally:
        book.close()


def read_rows(path: str | Path, report: ImportReport, sheet: str | None = None
              ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header, stream of (line number, cells)) for a CSV or XLSX file; blank rows skipped."""
    return _read_rows(path, report, sheet, skip_blank=True)


def _read_rows(path: str | Path, report: ImportReport, sheet: str | None, *, skip_blank: bool,
               deferred: list[tuple[int, str]] | None = None
               ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """:func:`read_rows`; ``skip_blank=False`` leaves blank rows (after the header) to the
    caller, which tests each row's joined text anyway (one generator fewer per row);
    ``deferred`` as :func:`_csv_rows`."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, sheet)
    else:
        rows = _csv_rows(path, report, deferred)
    rows = bounded_rows(rows, path)  # row count and cell length limits (settings)
    header: list[str] | None = None
    for _, cells in rows:
        if any(c.strip() for c in cells):
            header = [c.strip() for c in cells]
            break
    if header is None:
        raise ValidationError(f"The file {path.name} has no header row (it is empty).")
    while header and not header[-1]:
        header.pop()

    def body() -> Iterator[tuple[int, list[str]]]:
        for line, cells in rows:
            if not "".join(cells).strip():  # a blank row (one C-level join, not a loop)
                continue
            yield line, cells

    return header, body() if skip_blank else rows


# --- parsing one row ---------------------------------------------------------------------------

class _Bad(Exception):
    def __init__(self, field_name: str, reason: str):
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


@lru_cache(maxsize=4_096)
def _choice_value(field_name: str, text: str) -> str | None:
    allowed = _CHOICE_FIELDS[field_name]
    for candidate in (text.strip().lower(), _key(text)):
        if candidate in allowed:
            return candidate
    return None


def _choice(field_name: str, text: str) -> str:
    value = _choice_value(field_name, text)
    if value is None:
        allowed = _CHOICE_FIELDS[field_name]
        shown = ", ".join(allowed[:8]) + (", …" if len(allowed) > 8 else "")
        raise _Bad(field_name, f"{field_name} is not one of the known values ({shown})")
    return value


def _bool(field_name: str, text: str) -> bool:
    t = text.strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise _Bad(field_name, f"{field_name} should be yes or no")


def _words(text: str) -> list[str]:
    return [w.strip() for w in _SPLIT.split(text) if w.strip()]


@lru_cache(maxsize=16_384)
def _list_cell(what: str, text: str) -> tuple[list[str], bool]:
    """(known canonical values, sorted; whether some word was not known) for a list cell.

    Cells repeat the same few combinations, so the answer is cached per (field, text)."""
    found: list[str | None]
    if what == "interests":
        found = [_canonical_interest(w) for w in _words(text)]
    elif what == "needs":
        found = [_canonical_need(w) for w in _words(text)]
    else:
        allowed = vocab.PERSON_ROLES if what == "roles" else vocab.ACCESS_FEATURES
        found = [k if (k := _key(w)) in allowed else None for w in _words(text)]
    return sorted({c for c in found if c}), None in found


_LIST_NOTES = {
    "interests": "an interest was not recognised and was left out",
    "activities": "an activity was not recognised and was left out",
    "needs": "a need was not recognised and was left out",
    "roles": "a role is not one of " + ", ".join(vocab.PERSON_ROLES) + "; it was left out",
    "access": "an access feature is not one of " + ", ".join(vocab.ACCESS_FEATURES)
              + "; it was left out",
}
_CONTROL = re.compile(r"[\x00-\x1f]")


def _location(values: dict[str, str]) -> tuple[float | None, float | None]:
    lat_t, lon_t = values.get("lat", ""), values.get("lon", "")
    if not lat_t and not lon_t:
        return None, None
    if not lat_t or not lon_t:
        raise _Bad("lat" if not lat_t else "lon", "a location needs both latitude and longitude")
    try:
        lat, lon = float(lat_t), float(lon_t)
    except ValueError:
        raise _Bad("lat", "latitude and longitude must be numbers in degrees") from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise _Bad("lat", "latitude and longitude must be finite numbers")
    if abs(lat) > 90 or abs(lon) > 180:
        if abs(lon) <= 90 and abs(lat) <= 180:
            raise _Bad("lat", "latitude is out of range; latitude and longitude look swapped")
        raise _Bad("lat", "latitude or longitude is out of range")
    if -9 <= lat <= 2.5 and 49 <= lon <= 61:
        raise _Bad("lat", "latitude and longitude look swapped (a UK latitude is 49 to 61)")
    return lat, lon


#: A file's column field -> the stored field a ``<clear>`` cell in it clears.
_CLEAR_TARGET = {"first_name": "name", "surname": "name", "lat": "location", "lon": "location",
                 "consent_suggest": "consent", "consent_map": "consent"}


def namespaced_id(kind: str, raw: str, namespace: str | None = None) -> str:
    """A file's id made into an assetmap id, namespaced by ``namespace`` when one is given:
    ``17`` -> ``person:17`` or, with namespace ``north``, ``person:north:17``. An id that
    already holds a ``:`` is taken as a full assetmap id."""
    raw = raw.strip()
    if ":" in raw or kind == vocab.AREA:
        return raw
    return ID_PREFIX[kind] + (f"{namespace}:" if namespace else "") + raw


@lru_cache(maxsize=65_536)
def _postcode(text: str) -> str | None:
    return normalise_postcode(text)


@dataclass(frozen=True)
class _Plan:
    """What one file's rows can hold, worked out once so each row does only what it needs."""

    kind: str
    choice_fields: tuple[str, ...] = ()
    bool_fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ()
    consent: bool = False

    @classmethod
    def for_fields(cls, kind: str, fields: Iterable[str | None]) -> _Plan:
        present = [f for f in fields if f]
        person = kind == vocab.PERSON
        return cls(kind, tuple(f for f in present if f in _CHOICE_FIELDS),
                   tuple(f for f in present if f in _BOOL_FIELDS),
                   () if person else tuple(f for f in present if f in _TEXT_FIELDS),
                   any(f.startswith("consent") for f in present))


_TEXT_FIELDS = ("meets", "website", "email", "phone", "description")


def _node_from_row(kind: str, values: dict[str, str], report: ImportReport, where: str,
                   postcodes: PostcodeLookup | None, namespace: str | None = None,
                   plan: _Plan | None = None) -> Node:
    """The record a row gives, holding only the fields the row carries (merge keeps the rest).

    Vocabulary checks happen here with cached look-ups, so the row is not validated twice; a
    bad list word or a bad postcode is dropped with a note and the rest of the row is kept."""
    if plan is None:
        plan = _Plan.for_fields(kind, values)
    person = kind == vocab.PERSON
    get = values.get
    name = get("name", "")
    if not name and ("first_name" in values or "surname" in values):
        name = " ".join(p for p in (get("first_name", ""), get("surname", "")) if p)
    raw_id = get("id", "")
    postcode = None
    raw_pc = get("postcode")
    if raw_pc:
        postcode = _postcode(raw_pc)
        if postcode is None:
            report.note(where, "postcode", "the postcode is not in a valid UK postcode format; "
                        "the record was kept without it (unplaced)")
    if raw_id:
        node_id = namespaced_id(kind, raw_id, namespace)
    elif name:
        key = postcode or (raw_pc or "").replace(" ", "").upper()
        node_id = pseudonymous_id(kind, name, key, namespace=namespace)
    else:
        raise _Bad("name", "the row has neither an id nor a name")
    if len(node_id) > MAX_ID_LENGTH or _CONTROL.search(node_id):
        raise _Bad("id", f"the id is longer than {MAX_ID_LENGTH} characters or holds a "
                   "control character")
    if "lat" in values or "lon" in values:
        lat, lon = _location(values)
    else:
        lat = lon = None
    area = get("area")
    if area is not None and (len(area) > MAX_ID_LENGTH or _CONTROL.search(area)):
        raise _Bad("area", "the area code is not a valid id")
    props: dict[str, Any] = {}
    if postcode:
        props["postcode"] = postcode
        if postcodes is not None and (lat is None or area is None):
            entry, problem = postcodes.check(postcode, kind)
            if problem:
                report.note(where, "postcode", problem)
            if entry is not None and entry.lat is not None:
                if lat is None:
                    lat, lon = entry.lat, entry.lon
                area = area or entry.lsoa
    for f in plan.choice_fields:
        if f in values:
            props[f] = _choice(f, values[f])
    for f in plan.bool_fields:
        if f in values:
            props[f] = _bool(f, values[f])
    if plan.consent and ("consent_suggest" in props or "consent_map" in props
                         or "consent" in props):
        consent = {use: props.pop(f"consent_{use}") for use in vocab.CONSENT_USES
                   if f"consent_{use}" in props}
        if "consent" in props:
            both = props.pop("consent")
            consent = {use: consent.get(use, both) for use in vocab.CONSENT_USES}
        props["consent"] = consent
    if person and "roles" in values:
        props["roles"] = _list_prop("roles", "roles", values["roles"], report, where)
    if "interests" in values or "activities" in values:
        interest_field = "interests" if person else "activities"
        text = "; ".join(v for v in (get("interests"), get("activities")) if v)
        props[interest_field] = _list_prop("interests", interest_field, text, report, where)
    if "needs" in values:
        props["needs"] = _list_prop("needs", "needs", values["needs"], report, where)
    if "access" in values and not person:
        props["access"] = _list_prop("access", "access", values["access"], report, where)
    for f in plan.text_fields:
        if f in values:
            props[f] = values[f]
    return Node(node_id, kind, name, area, lat, lon, props)


# --- the fast path for clean rows --------------------------------------------------------------

_SLOW = object()  # a cell the fast path leaves to _node_from_row (a note or an error to give)
_LIST_VOCAB = {"interests": "interests", "activities": "interests", "needs": "needs",
               "roles": "roles", "access": "access"}


class _FastRows:
    """Builds the record a clean row gives without the general per-cell machinery: each column
    has a converter worked out once per file, and each distinct cell text is converted once
    (a dict look-up per cell after that). Any cell that would give a note or an error, and any
    row outside the common shape, returns None, and that row takes :func:`_node_from_row`, so
    reports, notes and records are exactly what the general path gives."""

    def __init__(self, kind: str, use: list[tuple[int, str]], namespace: str | None,
                 lookup: PostcodeLookup | None, report: ImportReport):
        self.kind = kind
        self.namespace = namespace
        self.lookup = lookup
        self.report = report
        person = kind == vocab.PERSON
        fields = {f for _, f in use}
        self.ok = not ({"interests", "activities"} <= fields)  # two list columns merge: slow
        #: (column, prop, cache, convert) for the choice, flag and list columns
        self.coded: list[tuple[int, str, dict[str, Any], Any]] = []
        for i, f in use:
            if f in _CHOICE_FIELDS:
                self.coded.append((i, f, {}, functools.partial(_fast_choice, f)))
            elif f in _BOOL_FIELDS:
                self.coded.append((i, f, {}, _fast_bool))
            elif f in _LIST_VOCAB and (person or f not in ("roles",)) and \
                    (not person or f != "access"):
                prop = ("interests" if person else "activities") if f in (
                    "interests", "activities") else f
                self.coded.append((i, prop, {}, functools.partial(_fast_list, _LIST_VOCAB[f])))
        self.text = [(i, f) for i, f in use if not person and f in _TEXT_FIELDS]
        #: (use, the column's prop) for each consent_<use> column; a plain ``consent`` column
        #: gives every use not given on its own
        self.consent = [(use, f"consent_{use}") for use in vocab.CONSENT_USES
                        if f"consent_{use}" in fields]
        self.consent_both = "consent" in fields
        self.postcodes: dict[str, Any] = {}
        self.templates: dict[Any, Any] = {}
        self.by_values: dict[tuple[Any, ...], _Template] = {}
        coded = [i for i, _, _, _ in self.coded]
        self.signature = operator.itemgetter(*coded) if coded else None
        self.nested = [prop for _, prop, _, convert in self.coded if convert is not _fast_bool
                       and getattr(convert, "func", None) is _fast_list]
        if self.consent or self.consent_both:
            self.nested.append("consent")
        col = {f: i for i, f in use}
        self.i_id, self.i_name, self.i_postcode, self.i_lat, self.i_lon, self.i_area = (
            col.get(f, -1) for f in ("id", "name", "postcode", "lat", "lon", "area"))
        self.names = [col[f] for f in ("first_name", "surname") if f in col]
        self.located = self.i_lat >= 0 or self.i_lon >= 0
        # namespaced_id's rule, worked out once: an id holding ":" is kept as it is
        self.prefix = ID_PREFIX[kind] + (f"{namespace}:" if namespace else "")
        #: whether :meth:`chunk_rows` can work a file's rows out (each has its own id, and no
        #: postcode lookup places them row by row)
        self.columnar = lookup is None and self.i_id >= 0

    def _coded(self, cells: list[str]) -> Any:
        """The props the choice, flag and list cells give (lists as tuples), or _SLOW."""
        props: dict[str, Any] = {}
        for i, prop, cache, convert in self.coded:
            raw = cells[i]
            value = cache.get(raw, _SLOW)
            if value is _SLOW:
                if len(cache) > 10_000:
                    cache.clear()
                value = cache[raw] = convert(raw.strip())
                if value is _SLOW:
                    return _SLOW
            if value is not None:
                props[prop] = value
        if self.consent or self.consent_both:
            consent = {}
            for use, prop in self.consent:
                if prop in props:
                    consent[use] = props.pop(prop)
            if "consent" in props:
                both = props.pop("consent")
                props["consent"] = {use: consent.get(use, both) for use in vocab.CONSENT_USES}
            elif consent:
                props["consent"] = consent
        return props

    def _template_of(self, cells: list[str]) -> Any:
        """The template of a row's coded cells, made and kept (the cache bounded)."""
        if len(self.templates) > 50_000:
            self.templates.clear()
        key = self.signature(cells) if self.signature is not None else ()
        template = self.templates[key] = self._template(cells)
        return template

    def _postcode_of(self, raw: str) -> str | None:
        """A postcode cell's normalised postcode (None: not a valid one), kept per text."""
        if len(self.postcodes) > 65_536:
            self.postcodes.clear()
        postcode = self.postcodes[raw] = _postcode(raw)
        return postcode

    def _template(self, cells: list[str]) -> Any:
        """What a combination of coded cells gives (a :class:`_Template`), or _SLOW. Cell
        texts that convert to the same values ("a; b" and "b; a") share one template."""
        props = self._coded(cells)
        if props is _SLOW:
            return _SLOW
        values = tuple([cache[cells[i]] for i, _, cache, _ in self.coded])  # filled by _coded
        template = self.by_values.get(values)
        if template is None:
            if len(self.by_values) > 50_000:
                self.by_values.clear()
            template = self.by_values[values] = _Template(self.kind, props, self.nested)
        return template

    def parts(self, cells: list[str], where: str, group: Any = None) -> Any:
        """What a clean row gives, before it becomes a record (:meth:`node_of`) or a store row
        (:meth:`row_of`); None when the row must take the general path. Given a bulk writer's
        ``group``, the store row itself (for a file whose records are all new)."""
        # Rows repeat the same few combinations of coded cells: each combination is converted
        # once (the per-column caches serve new combinations of known cells)
        signature = self.signature
        template = self.templates.get(signature(cells) if signature is not None else ())
        if template is None:
            template = self._template_of(cells)
        if template is _SLOW:
            return None
        texts = [(f, t) for i, f in self.text if (t := cells[i].strip())] if self.text else ()
        i = self.i_name
        name = cells[i].strip() if i >= 0 else ""
        if not name and self.names:
            names = self.names
            if len(names) == 2:
                first, last = cells[names[0]].strip(), cells[names[1]].strip()
                name = f"{first} {last}" if first and last else first or last
            else:
                name = cells[names[0]].strip()
        postcode = None
        i = self.i_postcode
        if i >= 0 and (raw_pc := cells[i].strip()):
            postcode = self.postcodes.get(raw_pc, _SLOW)
            if postcode is _SLOW:
                postcode = self._postcode_of(raw_pc)
            if postcode is None:
                return None  # a bad postcode: the general path notes it
        i = self.i_id
        raw_id = cells[i].strip() if i >= 0 else ""
        if raw_id:
            node_id = raw_id if ":" in raw_id else self.prefix + raw_id
        elif name:
            node_id = pseudonymous_id(self.kind, name, postcode or "", namespace=self.namespace)
        else:
            return None
        if len(node_id) > MAX_ID_LENGTH or _CONTROL.search(node_id):
            return None
        lat = lon = None
        if self.located:
            lat_t = cells[self.i_lat].strip() if self.i_lat >= 0 else ""
            lon_t = cells[self.i_lon].strip() if self.i_lon >= 0 else ""
            if lat_t or lon_t:
                try:
                    lat, lon = float(lat_t), float(lon_t)
                except ValueError:
                    return None
                if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (
                        -9 <= lat <= 2.5 and 49 <= lon <= 61):
                    return None  # out of range (NaN too), or swapped: the general path says
        area = None
        i = self.i_area
        if i >= 0 and (area := cells[i].strip() or None) is not None and (
                len(area) > MAX_ID_LENGTH or _CONTROL.search(area)):
            return None
        if postcode:
            lookup = self.lookup
            if lookup is not None and (lat is None or area is None):
                entry, problem = lookup.check(postcode, self.kind)  # last: nothing fails after
                if problem:
                    self.report.note(where, "postcode", problem)
                if entry is not None and entry.lat is not None:
                    if lat is None:
                        lat, lon = entry.lat, entry.lon
                    area = area or entry.lsoa
        if group is None:
            return where, node_id, name, area, lat, lon, template, postcode, texts
        return node_id, name, area, lat, lon, template.json(postcode, texts), \
            template.group if template.group is not None else template.grouped(group)

    def chunk_rows(self, chunk: list[tuple[int, list[str]]], width: int, group: Any
                   ) -> list[Any]:
        """For each (line, cells) of ``chunk``, the store row :meth:`parts` gives with
        ``group``, or _SLOW where that row must be asked one by one (a row of another width,
        coded cells or a postcode :meth:`parts` would refuse, no id...). Worked out a column at
        a time (C-level maps over the chunk); the only side effects are the caches parts fills
        the same way (templates, postcodes): what a row gives here is exactly what parts gives
        it (tested)."""
        n = len(chunk)
        if n == 0:
            return []
        batch = [cells for _, cells in chunk]
        if any(len(c) != width for c in batch):
            keep = [k for k, c in enumerate(batch) if len(c) == width]
            out: list[Any] = [_SLOW] * n
            for k, row in zip(keep, self.chunk_rows([chunk[k] for k in keep], width, group),
                              strict=True):
                out[k] = row
            return out
        cols = list(zip(*batch, strict=True))
        strip = str.strip

        def col(i: int) -> list[str]:
            return list(map(strip, cols[i]))

        slow: list[int] = []
        get = self.templates.get
        sig = self.signature
        templates: list[Any] = (list(map(get, map(sig, batch))) if sig is not None
                                else [get(())] * n)
        if None in templates:  # new combinations: made (and kept) as parts makes them
            for k, t in enumerate(templates):
                if t is None:
                    templates[k] = self._template_of(batch[k])
        if _SLOW in templates:
            slow += [k for k, t in enumerate(templates) if t is None or t is _SLOW]
            for k in slow:
                templates[k] = _NO_TEMPLATE
        raw_ids = col(self.i_id)
        prefix = self.prefix
        ids = [r if ":" in r else prefix + r for r in raw_ids]
        if not all(raw_ids) or max(map(len, ids)) > MAX_ID_LENGTH or \
                _CONTROL.search("".join(ids)):
            slow += [k for k, (r, i) in enumerate(zip(raw_ids, ids, strict=True))
                     if not r or len(i) > MAX_ID_LENGTH or _CONTROL.search(i)]
        if self.i_name >= 0:
            names = col(self.i_name)
            if self.names and not all(names):
                slow += [k for k, name in enumerate(names) if not name]
        elif len(self.names) == 2:
            names = [f"{a} {b}" if a and b else a or b
                     for a, b in zip(col(self.names[0]), col(self.names[1]), strict=True)]
        elif self.names:
            names = col(self.names[0])
        else:
            names = [""] * n
        if self.i_postcode >= 0:
            raw_pcs = col(self.i_postcode)
            pget = self.postcodes.get
            pcs = [pget(r, _SLOW) if r else None for r in raw_pcs]
            if _SLOW in pcs:  # postcodes not seen yet: normalised (and kept) as parts does
                for k, p in enumerate(pcs):
                    if p is _SLOW:
                        pcs[k] = self._postcode_of(raw_pcs[k])
            if None in pcs:
                unknown = [k for k, (p, r) in enumerate(zip(pcs, raw_pcs, strict=True))
                           if p is _SLOW or (p is None and r)]
                for k in unknown:
                    pcs[k] = None
                slow += unknown
        else:
            pcs = [None] * n
        lats: list[Any]
        lons: list[Any]
        if self.located:
            lat_t = col(self.i_lat) if self.i_lat >= 0 else [""] * n
            lon_t = col(self.i_lon) if self.i_lon >= 0 else [""] * n
            if all(lat_t) and all(lon_t):
                try:
                    lats, lons = list(map(float, lat_t)), list(map(float, lon_t))
                except ValueError:
                    return [_SLOW] * n
                if not math.isfinite(sum(lats) + sum(lons)) or min(lats) < -90 or \
                        max(lats) > 90 or min(lons) < -180 or max(lons) > 180:
                    return [_SLOW] * n
                if not (min(lats) > 2.5 or max(lats) < -9 or min(lons) > 61 or max(lons) < 49):
                    slow += [k for k, (a, b) in enumerate(zip(lats, lons, strict=True))
                             if -9 <= a <= 2.5 and 49 <= b <= 61]
            elif any(lat_t) or any(lon_t):
                return [_SLOW] * n
            else:
                lats = lons = [None] * n
        else:
            lats = lons = [None] * n
        if self.i_area >= 0:
            areas: list[Any] = [a or None for a in col(self.i_area)]
            given = [a for a in areas if a]
            if given and (max(map(len, given)) > MAX_ID_LENGTH
                          or _CONTROL.search("".join(given))):
                return [_SLOW] * n
        else:
            areas = [None] * n
        enc = _ENC
        if self.text:
            text_cols = [(f, col(i)) for i, f in self.text]
            texts = [[(f, c[k]) for f, c in text_cols if c[k]] for k in range(n)]
            jsons = [t.json(p, x) for t, p, x in zip(templates, pcs, texts, strict=True)]
        else:
            jsons = [t.before + enc(p) + t.after if p else t.text
                     for t, p in zip(templates, pcs, strict=True)]
        groups = [t.group if t.group is not None else t.grouped(group) for t in templates]
        out = list(zip(ids, names, areas, lats, lons, jsons, groups, strict=True))
        for k in slow:
            out[k] = _SLOW
        return out

    def node(self, cells: list[str], where: str) -> Node | None:
        """The record a clean row gives, or None when the row must take the general path."""
        parts = self.parts(cells, where)
        return None if parts is None else self.node_of(parts)

    def node_of(self, parts: _Parts) -> Node:
        """The record :meth:`parts` describes (fresh lists and dicts: no two share one)."""
        _, node_id, name, area, lat, lon, template, postcode, texts = parts
        props = template.props_copy()
        for f, t in texts:
            props[f] = t
        if postcode:
            props["postcode"] = postcode
        return Node(node_id, self.kind, name, area, lat, lon, props)

    def row_of(self, parts: _Parts, group: Any) -> tuple[Any, ...]:
        """The store row :meth:`parts` describes for a :class:`NewNodeWriter`: ``(id, name,
        area, lat, lon, props JSON, group)``; the JSON text is exactly
        :func:`~assetmap.model.props_json` of :meth:`node_of`'s props, built from the
        template's encoded pieces (``group``: the writer's ``group``, called once a template)."""
        _, node_id, name, area, lat, lon, template, postcode, texts = parts
        return node_id, name, area, lat, lon, template.json(postcode, texts), \
            template.group if template.group is not None else template.grouped(group)


#: (where, id, name, area, lat, lon, template, postcode, text cells) of one clean row.
_Parts = tuple[str, str, str, str | None, float | None, float | None, Any, str | None,
               Any]
_ENC = json.encoder.encode_basestring  # the C string encoder (as ensure_ascii=False uses)
#: Props the importer sets row by row (never read by analysis_fields, so a template's
#: analysis fields hold for every row made from it).
_ROW_PROPS = frozenset({"postcode", *_TEXT_FIELDS})
assert not _ROW_PROPS & {"status", "org_kind", "level", "parent", "personal_budget",
                         "user_led", "consent", "roles", "interests", "activities", "needs",
                         "access", "cost", "age_band", "capacity", "goals", "budget_kind",
                         "carer_supports"}


class _NoTemplate:
    """Stands in for a template in a chunk's row that takes the one-row way."""

    before = after = text = ""
    group = 0

    def json(self, postcode: str | None, texts: Any) -> str:
        return ""


_NO_TEMPLATE: Any = _NoTemplate()


def _piece(key: str, value: Any) -> str:
    """``"key":value`` as :func:`props_json` writes it inside an object (a template's value:
    text, flag, tuple for a list, dict for consent); each distinct one encoded once."""
    frozen = tuple(sorted(value.items())) if type(value) is dict else value
    return _piece_text(key, type(value).__name__, frozen)


@lru_cache(maxsize=4_096)
def _piece_text(key: str, kind: str, frozen: Any) -> str:
    value = list(frozen) if kind == "tuple" else dict(frozen) if kind == "dict" else frozen
    return props_json({key: value})[1:-1]


class _Template:
    """One combination of coded cells: its props, their canonical JSON pieces (key, text) and
    the analysis fields every row made from it shares."""

    __slots__ = ("after", "before", "fields", "group", "nested", "pieces", "props", "text")

    def __init__(self, kind: str, props: dict[str, Any], nested: list[str]):
        self.props = props
        self.nested = [k for k in nested if k in props]
        full = self.props_copy()
        self.pieces = sorted((k, _piece(k, v)) for k, v in props.items())
        self.text = "{" + ",".join([p for _, p in self.pieces]) + "}"  # = props_json(full)
        low = [p for k, p in self.pieces if k < "postcode"]
        high = [p for k, p in self.pieces if k > "postcode"]
        self.before = "{" + "".join(p + "," for p in low) + '"postcode":'
        self.after = "".join("," + p for p in high) + "}"
        self.fields = analysis_fields(kind, full)
        self.group: int | None = None

    def json(self, postcode: str | None, texts: Any) -> str:
        """The canonical props JSON of a row made from this template with ``postcode`` and
        the (field, text) pairs ``texts`` (exactly :func:`props_json` of those props)."""
        if texts:
            pieces = [*self.pieces, *((f, _ENC(f) + ":" + _ENC(t)) for f, t in texts)]
            if postcode:
                pieces.append(("postcode", '"postcode":' + _ENC(postcode)))
            pieces.sort()
            return "{" + ",".join([p for _, p in pieces]) + "}"
        if postcode:
            return self.before + _ENC(postcode) + self.after
        return self.text

    def grouped(self, group: Any) -> int:
        """This template's analysis group in a bulk writer (``group``: its ``group``)."""
        self.group = group(self.fields)
        return self.group

    def props_copy(self) -> dict[str, Any]:
        """The props as a record holds them (lists, not the cached tuples; fresh copies)."""
        props = self.props.copy()
        for k in self.nested:
            value = props[k]
            props[k] = [*value] if type(value) is tuple else dict(value)
        return props


def _fast_choice(field_name: str, text: str) -> Any:
    if not text:
        return None
    value = _choice_value(field_name, text)
    return _SLOW if value is None else value


def _fast_bool(text: str) -> Any:
    t = text.lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return _SLOW


def _fast_list(what: str, text: str) -> Any:
    if not text:
        return None
    known, unknown = _list_cell(what, text)
    return _SLOW if unknown else tuple(known)


def _list_prop(what: str, field_name: str, text: str, report: ImportReport,
               where: str) -> list[str]:
    known, unknown = _list_cell(what, text)
    if unknown:
        report.note(where, field_name, _LIST_NOTES[field_name])
    return list(known)


def _hash_key(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big")


class _Resolver:
    """Finds the store id a tie end names: as given, or with a kind prefix (``person:…``) and
    the file's namespace (``person:north:…``); ``north:17`` names record 17 of namespace
    north."""

    def __init__(self, store: GraphStore, namespace: str | None = None):
        self.store = store
        self.namespace = namespace
        self.cache: dict[str, str | None] = {}

    def kind_of(self, node_id: str) -> str | None:
        if node_id not in self.cache:
            if len(self.cache) > 200_000:
                self.cache.clear()
            try:
                self.cache[node_id] = self.store.get(node_id).kind
            except NotFoundError:
                self.cache[node_id] = None
        return self.cache[node_id]

    def resolve(self, raw: str, kinds: frozenset[str]) -> tuple[str, str] | None:
        ordered = [k for k in sorted(kinds) if k != vocab.AREA]
        candidates = [raw]
        if self.namespace and ":" not in raw:
            candidates += [f"{ID_PREFIX[k]}{self.namespace}:{raw}" for k in ordered]
        candidates += [ID_PREFIX[k] + raw for k in ordered
                       if not raw.startswith(ID_PREFIX[k])]
        for cand in candidates:
            kind = self.kind_of(cand)
            if kind is not None:
                return cand, kind
        return None


def _tie_from_row(values: dict[str, str], resolver: _Resolver) -> Tie:
    kind = values.get("kind", "").strip().upper().replace(" ", "_").replace("-", "_")
    if kind not in vocab.TIE_KINDS:
        raise _Bad("kind", "the tie kind is not one of " + ", ".join(vocab.TIE_KINDS))
    sources, targets = vocab.TIE_ENDPOINTS[kind]
    ends = []
    for f, kinds in (("src", sources), ("dst", targets)):
        raw = values.get(f, "")
        if not raw:
            raise _Bad(f, f"the tie has no {f}")
        found = resolver.resolve(raw, kinds)
        if found is None:
            raise _Bad(f, f"the tie's {f} names a record that is not in the store")
        ends.append(found)
    (src, src_kind), (dst, dst_kind) = ends
    props: dict[str, Any] = {f: values[f] for f in ("since", "frequency", "status", "date",
                                                    "by", "source") if values.get(f)}
    props.update(_tie_extras(values, resolver))
    tie = Tie(src, dst, kind, props)
    try:
        tie.validate()
        check_endpoints(tie, src_kind, dst_kind)
    except ValidationError as exc:
        raise _Bad(exc.field or "kind", str(exc)) from None
    return tie


def _tie_extras(values: dict[str, str], resolver: _Resolver) -> dict[str, object]:
    """A tie's ``via`` (the group or organisation where two people met, resolved like an
    end), ``role`` (on FAMILY ties, what the other end is to the source: "spouse", "child"…)
    and ``weight`` (a positive number) — what the isolation levels and weighted community
    detection read (issue 17)."""
    out: dict[str, object] = {}
    if values.get("via"):
        found = resolver.resolve(values["via"], vocab.ASSET_KINDS)
        if found is None:
            raise _Bad("via", "the tie's via names no group or organisation in the store")
        out["via"] = found[0]
    if values.get("role"):
        out["role"] = values["role"].strip().lower().replace(" ", "_").replace("-", "_")
    if values.get("weight"):
        try:
            weight = float(values["weight"])
        except ValueError:
            weight = float("nan")
        if not weight > 0 or weight == float("inf"):
            raise _Bad("weight", "the tie's weight is not a positive number")
        out["weight"] = weight
    return out


def _placer(store: GraphStore) -> Placer | None:
    """A function that gives records with a location but no area the smallest saved area that
    holds them (None when the store has no area boundaries)."""
    if store.count(vocab.AREA) == 0:
        return None  # no boundaries: nothing to place by (and no geopandas to load)
    from assetmap.ingest.boundaries import load_area_geometries
    from assetmap.ingest.postcodes import place_points

    areas = load_area_geometries(store)
    if areas is None or len(areas) == 0:
        return None

    def place(nodes: list[Node]) -> None:
        for node, area in zip(nodes, place_points([(n.lat, n.lon) for n in nodes], areas),
                              strict=True):
            node.area = area

    return place


_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def check_namespace(namespace: str | None) -> str | None:
    """A name that namespaces a file's ids (letters, digits, ``_ . -``; up to 40), or None."""
    if namespace is None or namespace == "":
        return None
    if not _NAMESPACE.match(namespace):
        raise ValidationError(
            "A namespace is 1 to 40 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit.")
    return namespace


#: Rows worked out together, column by column, on the bulk way into an empty store.
_CHUNK = 2_000


def _bulk_writer(store: GraphStore) -> Any:
    """The store's maker of bulk writers for new records (SQLite's ``new_node_writer``), or
    None where it has none (the rows then go the record-by-record way)."""
    return getattr(store, "new_node_writer", None)


def import_spreadsheet(store: GraphStore, path: str | Path, kind: str | None = None, *,
                       mapping: str | Path | dict | ColumnMapping | None = None,
                       sheet: str | None = None, dry_run: bool = False,
                       postcodes: PostcodeLookup | str | Path | None = None,
                       progress: Progress | None = None,
                       limit_bytes: int | None = None,
                       namespace: str | None = None) -> ImportReport:
    """Merge one CSV or XLSX sheet of people, groups, organisations, practitioners or ties.

    ``kind`` is taken from the option, the mapping, the file name or the headers; ``postcodes``
    (a lookup or its CSV) places rows that give a postcode but no location; ``namespace`` (or
    the mapping's ``namespace:``) prefixes the file's ids so two files' ids cannot collide. A row
    changes only the fields it carries; a ``<clear>`` cell clears one. Returns the report;
    raises ValidationError (nothing written) when the file as a whole cannot be read.
    """
    path = check_file(path, limit_bytes)
    cfg = load_mapping(mapping)
    namespace = check_namespace(namespace or cfg.namespace)
    lookup = as_lookup(postcodes) or stored_lookup(store)  # else the lookup the store keeps
    report = ImportReport("spreadsheet", str(path), dry_run=dry_run)
    use_pseudonym_key(store)  # ids made from a name and postcode are keyed, never plain hashes
    not_csv: list[tuple[int, str]] = []  # rows that are not CSV, rejected in line order
    header, rows = _read_rows(path, report, sheet or cfg.sheet, skip_blank=False,
                              deferred=not_csv)
    fields = map_header(header, cfg)
    kind = resolve_kind(kind or cfg.kind, path, fields)
    allowed = KIND_FIELDS[kind]
    for col, f in zip(header, fields, strict=True):
        if f is None or f not in allowed:
            report.note("header", col[:60], "the column is not one assetmap uses; it was ignored")
    if kind == TIES:
        missing = [f for f in ("src", "dst", "kind") if f not in fields]
    else:
        missing = [] if {"id", "name", "first_name", "surname"} & set(fields) else ["name"]
    if missing:
        raise ValidationError(
            f"The file {path.name} has no {' or '.join(missing)} column; add one, or map a column "
            "to it in a mapping file.")
    width = len(header)
    use = [(i, f) for i, f in enumerate(fields) if f is not None and f in allowed]
    resolver = _Resolver(store, namespace) if kind == TIES else None
    seen: set[int] = set()
    person = kind == vocab.PERSON
    plan = _Plan.for_fields(kind, [f for _, f in use])
    fast = _FastRows(kind, use, namespace, lookup, report) if kind != TIES else None
    if fast is not None and not fast.ok:
        fast = None

    def clear_target(f: str) -> str:
        if f in ("interests", "activities"):
            return "interests" if person else "activities"
        return _CLEAR_TARGET.get(f, f)

    def reject_not_csv(before: float) -> None:
        """Reject the rows before line ``before`` that were not CSV, as reading met them."""
        while not_csv and not_csv[0][0] < before:
            start, reason = not_csv.pop(0)
            report.reject(f"line {start}", "row", reason)
            report.read += 1

    def records() -> Iterator[Any]:
        # with a bulk writer for an empty store, clean rows are worked out a chunk at a time,
        # column by column (:meth:`_FastRows.chunk_rows`); any row that chunk leaves takes
        # the one-row way, in order
        columnar = fast is not None and group is not None and fast.columnar
        for chunk in batched(rows, _CHUNK) if columnar else ([r] for r in rows):
            pre = fast.chunk_rows(chunk, width, group) if columnar else None  # type: ignore[union-attr]
            for k, (line, cells) in enumerate(chunk):
                if not_csv:
                    reject_not_csv(line)
                joined = "".join(cells)
                if not joined.strip():  # a blank row (one C-level join, not a loop)
                    continue
                report.read += 1
                if progress is not None and report.read % 10_000 == 0:
                    progress(report.read)
                if len(cells) != width:
                    while len(cells) > width and not cells[-1].strip():
                        cells.pop()
                    if len(cells) != width:
                        report.reject(f"line {line}", "row", f"the row has {len(cells)} cells "
                                      f"but the header has {width}")
                        continue
                if fast is not None and "<" not in joined:  # no <clear>: the fast path
                    parts: Any = pre[k] if pre is not None else _SLOW
                    if parts is _SLOW:
                        parts = fast.parts(cells, f"line {line}", group)
                    if parts is not None:
                        key = hash(parts[0] if group is not None else parts[1])
                        if key in seen:
                            report.reject(f"line {line}", "id",
                                          "the same record appears earlier in this file")
                            continue
                        seen.add(key)
                        yield parts if bulk_rows else Incoming(parts[0], fast.node_of(parts))
                        continue
                yield from general(line, cells)
        reject_not_csv(math.inf)

    def general(line: int, cells: list[str]) -> Iterator[Any]:
        """The record (or tie) one row gives the general way, or its rejection."""
        where = f"line {line}"
        values = {f: c for i, f in use if (c := cells[i].strip())}
        clears: frozenset[str] = frozenset()
        if "<" in "".join(values.values()):
            gone = {f for f, c in values.items() if is_clear(c)}
            if gone:
                clears = frozenset(clear_target(f) for f in gone)
                values = {f: c for f, c in values.items() if f not in gone}
        try:
            if kind == TIES:
                assert resolver is not None  # made for a ties file
                tie = _tie_from_row(values, resolver)
                a, b = sorted((tie.src, tie.dst)) if tie.kind in vocab.SYMMETRIC_TIES \
                    else (tie.src, tie.dst)
                key = _hash_key(a, b, tie.kind)
                out: Any = (where, tie)
            else:
                rec = _node_from_row(kind, values, report, where, lookup, namespace, plan)
                key = hash(rec.id)  # 64-bit: a false duplicate in 1M rows is ~1 in 10^7
                out = Incoming(where, rec, clears)
        except _Bad as bad:
            report.reject(where, bad.field, bad.reason)
            return
        if key in seen:
            report.reject(where, "id" if kind != TIES else "dst",
                          "the same record appears earlier in this file")
            return
        seen.add(key)
        yield out

    place = _placer(store) if kind != TIES else None
    # clean rows new to a store that can take them in bulk go there as plain rows
    bulk_rows = fast is not None and not dry_run and _bulk_writer(store) is not None
    group = None  # a bulk writer's group: clean rows come as store rows (all are new)
    with bulk(), store.transaction():
        if kind == TIES:
            merge_ties(store, records(), report, dry_run=dry_run)
        elif bulk_rows:
            assert fast is not None
            writer = _bulk_writer(store)(kind)
            fresh = store.count() == 0  # an empty store: nothing to read back
            if fresh:
                group = writer.group
            merge_nodes_bulk(store, records(), report, writer=writer, rows=fast, place=place,
                             fresh=fresh)
        else:
            merge_nodes(store, records(), report, dry_run=dry_run, place=place,
                        fresh=store.count() == 0)  # an empty store: nothing to read back
    if progress is not None:
        progress(report.read)
    return report


# --- templates ----------------------------------------------------------------------------------

TEMPLATES: dict[str, tuple[list[str], list[list[str]]]] = {
    "people": (
        ["id", "First name", "Surname", "Post Code", "roles", "interests", "needs",
         "personal_budget", "consent_suggest", "consent_map", "age_band", "lonely"],
        [["p001", "Example", "Person-One", "ZZ99 1ZZ", "carer", "walking; singing",
          "carer support; loneliness", "yes", "yes", "no", "65-74", "some_of_the_time"],
         ["p002", "Example", "Person-Two", "ZZ99 2ZZ", "", "gardening", "mental health",
          "no", "yes", "yes", "35-49", "hardly_ever"]]),
    "groups": (
        ["id", "name", "Post Code", "activities", "needs", "status", "cost", "access", "meets",
         "website"],
        [["g001", "Example Walking Group", "ZZ99 1ZZ", "walking", "loneliness", "active", "free",
          "step_free", "Tuesdays 10:00", "https://example.org/walk"],
         ["g002", "Example Carers' Cafe", "ZZ99 2ZZ", "coffee and chat", "carer support",
          "at_risk", "low", "step_free; accessible_toilet", "First Friday 14:00", ""]]),
    "organisations": (
        ["id", "name", "Post Code", "org_kind", "user_led", "funding", "needs", "website"],
        [["o001", "Example User-Led Organisation", "ZZ99 1ZZ", "ulo", "yes", "at_risk",
          "physical disability", "https://example.org"],
         ["o002", "Example Carers Centre", "ZZ99 2ZZ", "carers_centre", "no", "stable",
          "carer support", ""]]),
    "practitioners": (
        ["id", "First name", "Surname", "role", "Post Code"],
        [["pr001", "Example", "Coordinator", "local_area_coordinator", "ZZ99 1ZZ"],
         ["pr002", "Example", "Link-Worker", "link_worker", "ZZ99 2ZZ"]]),
    "ties": (
        ["src", "dst", "kind", "since", "frequency"],
        [["p001", "g001", "ATTENDS", "2024-01", "weekly"],
         ["p001", "p002", "FRIEND", "2019", ""],
         ["o001", "g002", "RUNS", "", ""],
         ["p002", "pr002", "SUPPORTED_BY", "2024-06", "monthly"]]),
}

MAPPING_EXAMPLE = """\
# assetmap column mapping: your column name -> assetmap field.
kind: people
columns:
  "Client Ref": id
  "Forename": first_name
  "Family name": surname
  "Home PC": postcode
  "Hobbies": interests
"""


def write_templates(directory: str | Path) -> list[Path]:
    """Write a CSV template per kind, one XLSX workbook with a sheet each, and a mapping example.

    The example rows are synthetic (made-up names, ``ZZ99`` pseudo-postcodes that no address has).
    """
    import openpyxl

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (header, rows) in TEMPLATES.items():
        path = directory / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows(rows)
        written.append(path)
        ws = book.create_sheet(name)
        ws.append(header)
        for row in rows:
            ws.append(row)
    xlsx = directory / "assetmap_templates.xlsx"
    book.save(xlsx)
    written.append(xlsx)
    mapping = directory / "mapping_example.yaml"
    mapping.write_text(MAPPING_EXAMPLE, encoding="utf-8")
    written.append(mapping)
    return written
