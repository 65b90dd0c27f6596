"""Open Referral UK (HSDS 3.0) community directories: import them whole, and export ours.

Input: a JSON dump (one service, a list, or the paginated ``/services`` page with ``contents``,
``total_items``, ``page_number``; organisation records with nested ``services`` too), the tabular
data package (``datapackage.json`` + ``services.csv``, ``organizations.csv``, …), an ORUK 2.x
dump (converted), an HSDS 1.x CSV package (converted: locations with coordinates, services at
locations, taxonomy, phones, regular schedules), or a live ORUK API (:mod:`.oruk_feed`).

Every service is its own Group, linked to its organisation by a ``RUNS`` tie and never folded
into it, even when named like it. A service keeps its description, url, e-mail, phone,
schedules (``meets``), cost and fees, eligibility and audience, taxonomy terms (vocabulary and
code), service areas, languages and accessibility; what is not kept is reported. Tags come from
structured terms first (assetmap codes, taxonomy terms, audience); only a record with none is
tagged from its free text, whole words only, marked ``*_inferred`` with the word it came from.

:func:`export_oruk` publishes groups and organisations as ORUK 3.0 JSON (validated against the
schemas in ``assetmap/data/openreferral/``), tags as codes of the ``assetmap`` vocabulary, plus
one ``assetmap`` record attribute holding the record's id and whatever ORUK cannot carry, so that
export → import is exact (same ids, fields and ties; nothing changes in the same store).
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.store import GraphStore
from assetmap.ingest.merge import Incoming, bulk, is_clear, merge_nodes, merge_ties
from assetmap.ingest.report import ImportReport, check_file, detect_encoding
from assetmap.model import Node, Tie

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "openreferral"
ORG_PREFIX = "org:oruk:"
GROUP_PREFIX = "group:oruk:"
#: The ORUK ``taxonomy`` of assetmap's tags and of the record attribute.
VOCABULARY = vocab.ORUK_VOCABULARY
RECORD_CODE = "record"
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/assetmap/assetmap")
_STATUS_IN = {"active": "active", "inactive": "closed", "defunct": "closed",
              "temporarily closed": "at_risk", "temporarily_closed": "at_risk"}
_STATUS_OUT = {"active": "active", "at_risk": "active", "closed": "inactive"}
_COST_WORDS = {"free": "Free", "low": "Low cost", "paid": "A charge applies"}
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "table", "blockquote"}
#: Service text fields kept as they are (ORUK name -> prop).
_KEPT_TEXT = {"alternate_name": "alternate_name", "application_process": "application_process",
              "interpretation_services": "interpretation_services", "wait_time": "wait_time",
              "accreditations": "accreditations", "alert": "alert"}
#: Fields read into props or used for links (anything else present is reported as not kept).
_READ = {"id", "name", "description", "url", "email", "status", "fees", "fees_description",
         "eligibility_description", "minimum_age", "maximum_age", "phones", "schedules",
         "service_areas", "service_at_locations", "languages", "organization",
         "organization_id", "cost_options", "attributes", "taxonomy_terms", "last_modified",
         "target_audience", "audience", "eligibility", "website", "locations", "services",
         "organization_identifiers", *_KEPT_TEXT}
#: Extension fields some feeds use for who a service is for (lists of words or terms).
_AUDIENCE_FIELDS = ("target_audience", "audience", "eligibility")
#: A service's ORUK field -> the props a ``"<clear>"`` value in it clears (merge.CLEAR: the
#: spreadsheets' explicit way to remove a stored value; an absent or empty field never does).
_SERVICE_CLEARS: dict[str, tuple[str, ...]] = {
    "description": ("description",), "url": ("website",), "email": ("email",),
    "fees": ("fees",), "fees_description": ("fees",), "eligibility_description": ("eligibility",),
    **{src: (key,) for src, key in _KEPT_TEXT.items()},
    "minimum_age": ("min_age",), "maximum_age": ("max_age",), "phones": ("phone",),
    "schedules": ("meets", "schedules"), "service_areas": ("service_areas",),
    "languages": ("languages",), "cost_options": ("cost",), "status": ("status",),
    "attributes": ("taxonomy",), "taxonomy_terms": ("taxonomy",),
    "target_audience": ("audience",), "audience": ("audience",), "eligibility": ("audience",),
    "service_at_locations": ("location", "accessibility", "access"),
    "last_modified": ("last_modified",)}
#: An organisation's ORUK field -> the props a ``"<clear>"`` value in it clears.
_ORG_CLEARS: dict[str, tuple[str, ...]] = {
    "description": ("description",), "website": ("website",), "url": ("website",),
    "uri": ("website",), "email": ("email",), "phones": ("phone",), "locations": ("location",)}
#: ORUK/HSDS versions this module reads.
VERSIONS = ("3.0", "2.x", "1.x")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(text: Any) -> str:
    """Plain text from a description that may hold HTML (tags dropped, entities decoded)."""
    if not isinstance(text, str) or not text:
        return ""
    if "<" not in text and "&" not in text and "\n" not in text and "  " not in text:
        return text.strip()
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _text(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _dicts(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _coords(loc: dict) -> tuple[float, float] | str:
    """(lat, lon) of an ORUK location, or a reason it has none."""
    lat, lon = loc.get("latitude"), loc.get("longitude")
    if lat in (None, "") or lon in (None, ""):
        return "the location has no latitude/longitude"
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return "the location's latitude/longitude are not numbers"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat != lat or lon != lon:
        return "the location's latitude/longitude are out of range"
    if -9 <= lat <= 2.5 and 49 <= lon <= 61:
        return "the location's latitude and longitude look swapped"
    return round(lat, 6), round(lon, 6)


# --- terms and tags -----------------------------------------------------------------------------

def _term_list(record: dict) -> list[dict]:
    """Every taxonomy term a record carries (via attributes or a plain taxonomy_terms list)."""
    out = [a["taxonomy_term"] for a in _dicts(record.get("attributes"))
           if isinstance(a.get("taxonomy_term"), dict)]
    return out + _dicts(record.get("taxonomy_terms"))


def _vocabulary(term: dict) -> str:
    return _text(term.get("vocabulary")) or _text(term.get("taxonomy"))


def _code(term: dict) -> str:
    return _text(term.get("code")) or _text(term.get("term"))


def _is_audience(term: dict) -> bool:
    voc = _vocabulary(term).lower()
    return any(w in voc for w in ("audience", "eligib", "circumstance", "who"))


def _tags(record: dict, name: str, description: str, props: dict[str, Any]) -> None:
    """Set activities / needs (+ inferred marks), taxonomy and audience from a record.

    Rule: structured terms first. Our own codes (vocabulary ``assetmap``) are exact; other
    taxonomy terms and audience words map where a whole word of the term names a vocabulary
    word. Guesses from free text are whole words, kept apart in ``activities_inferred`` /
    ``needs_inferred`` with the word they came from: the service's name always counts; its
    description only for a list no structured term filled, and never with an ambiguous word
    (``vocab.AMBIGUOUS_TEXT_WORDS``: "benefits", "break", "family", ...)."""
    activities: set[str] = set()
    needs: set[str] = set()
    taxonomy: list[dict[str, str]] = []
    audience: list[str] = []
    for term in _term_list(record):
        voc, code, label = _vocabulary(term), _code(term), _text(term.get("name"))
        if voc == VOCABULARY or voc in ("assetmap-activities", "assetmap-needs"):
            what, _, word = code.partition(":") if ":" in code else (
                "activity" if voc.endswith("activities") else "need", "", code)
            if what == "activity" and word in vocab.INTERESTS:
                activities.add(word)
            elif what == "need" and word in vocab.NEEDS:
                needs.add(word)
            continue
        if not (label or code):
            continue
        if _is_audience(term):
            audience.append(label or code)
        else:
            entry = {k: v for k, v in (("vocabulary", voc), ("code", code), ("name", label))
                     if v}
            if entry not in taxonomy:
                taxonomy.append(entry)
        activities.update(vocab.interests_named(label))
        needs.update(vocab.needs_named(label))
    for field_name in _AUDIENCE_FIELDS:
        value = record.get(field_name)
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for item in items:
            word = _text(item.get("name") or item.get("eligibility")) if isinstance(item, dict) \
                else _text(item)
            if word and word not in audience:
                audience.append(word)
    for word in audience:
        needs.update(vocab.needs_named(word))
    for key, what, structured, named in (
            ("activities", "activity", activities, vocab.interests_named),
            ("needs", "need", needs, vocab.needs_named)):
        found = named(name)  # the name always counts (whole words)
        if not structured:  # the description only when no structured term says anything
            found.update({k: v for k, v in named(description, ambiguous=False).items()
                          if k not in found})
        inferred = {k: v for k, v in found.items() if k not in structured}
        if inferred:
            props[f"{key}_inferred"] = [{what: k, "from": inferred[k]} for k in sorted(inferred)]
        structured.update(inferred)
    props["activities"] = sorted(activities)
    props["needs"] = sorted(needs)
    if taxonomy:
        props["taxonomy"] = taxonomy
    if audience:
        props["audience"] = audience


def _cost(record: dict) -> str | None:
    amounts = []
    for opt in _dicts(record.get("cost_options")):
        if opt.get("option") in vocab.COSTS:
            return opt["option"]  # written by our own export
        amount = opt.get("amount")
        if isinstance(amount, str):
            try:
                amount = float(amount)
            except ValueError:
                amount = None
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            amounts.append(float(amount))
    if amounts:
        return "free" if max(amounts) == 0 else "paid"
    fees = (_text(record.get("fees_description")) + " " + _text(record.get("fees"))).lower()
    return "free" if " free" in f" {fees}" else None


def _schedule_text(s: dict) -> str:
    if _text(s.get("description")):
        return _text(s["description"])
    parts = [_text(s.get("byday")) or _text(s.get("freq")).lower()]
    opens, closes = _text(s.get("opens_at"))[:5], _text(s.get("closes_at"))[:5]
    if opens or closes:
        parts.append(f"{opens}-{closes}")
    return " ".join(p for p in parts if p)


_SCHEDULE_KEYS = ("freq", "interval", "byday", "bymonthday", "opens_at", "closes_at",
                  "valid_from", "valid_to", "dtstart", "description", "attending_type",
                  "schedule_link", "notes")


def _record_attribute(record: dict) -> dict[str, Any] | None:
    """The payload of our own ``assetmap`` record attribute, if the record carries one."""
    for attr in _dicts(record.get("attributes")):
        term = attr.get("taxonomy_term")
        if isinstance(term, dict) and _vocabulary(term) == VOCABULARY and \
                _code(term) == RECORD_CODE and isinstance(attr.get("value"), str):
            try:
                value = json.loads(attr["value"])
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _native_service(rec: dict, where: str, report: ImportReport | None,
                    ours: bool) -> tuple[dict[str, Any], tuple[float, float] | None]:
    """The props and location ORUK's own fields give a service (no ids, no links)."""
    name = _text(rec.get("name"))
    description = _text(rec.get("description")) if ours else html_to_text(rec.get("description"))
    props: dict[str, Any] = {}
    status = _text(rec.get("status")).lower()
    if status:
        if status in _STATUS_IN:
            props["status"] = _STATUS_IN[status]
        elif report is not None:
            report.note(where, "status", "the status is not one ORUK defines; ignored")
    if cost := _cost(rec):
        props["cost"] = cost
    fees = _text(rec.get("fees_description")) or _text(rec.get("fees"))
    for key, value in (("description", description), ("website", _text(rec.get("url"))),
                       ("email", _text(rec.get("email"))), ("fees", fees),
                       ("eligibility", _text(rec.get("eligibility_description")))):
        if value:
            props[key] = value
    for src, key in _KEPT_TEXT.items():
        if _text(rec.get(src)):
            props[key] = _text(rec[src])
    for src, key in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
        if isinstance(rec.get(src), int) and not isinstance(rec.get(src), bool):
            props[key] = rec[src]
    phones = [_text(p.get("number")).strip('"') for p in _dicts(rec.get("phones"))]
    if phones := [p for p in phones if p]:
        props["phone"] = phones[0]
    schedules = _dicts(rec.get("schedules"))
    if schedules:
        props["meets"] = "; ".join(t for s in schedules if (t := _schedule_text(s)))
        props["schedules"] = [{k: s[k] for k in _SCHEDULE_KEYS if s.get(k) not in (None, "")}
                              for s in schedules]
        if not props["meets"]:
            del props["meets"]
    areas = [_text(a.get("name")) for a in _dicts(rec.get("service_areas"))]
    if areas := [a for a in areas if a]:
        props["service_areas"] = areas
    langs = [_text(lang.get("name")) or _text(lang.get("code"))
             for lang in _dicts(rec.get("languages"))]
    if langs := sorted({x for x in langs if x}):
        props["languages"] = langs
    _tags(rec, name, description, props)
    location: tuple[float, float] | None = None
    access_text: list[str] = []
    for i, sal in enumerate(_dicts(rec.get("service_at_locations"))):
        loc = sal.get("location")
        if not isinstance(loc, dict):
            continue
        for acc in _dicts(loc.get("accessibility")):
            t = " ".join(x for x in (_text(acc.get("description")), _text(acc.get("details")))
                         if x)
            if t and t not in access_text:
                access_text.append(t)
        if location is None:
            got = _coords(loc)
            if isinstance(got, tuple):
                location = got
            elif report is not None:
                report.note(f"{where}.service_at_locations[{i}].location", "latitude", got)
    if access_text:
        props["accessibility"] = "\n".join(access_text)
        if features := vocab.access_in(props["accessibility"]):
            props["access"] = features
    if _text(rec.get("last_modified")):
        props["last_modified"] = _text(rec["last_modified"])
    return props, location


def _native_org(rec: dict, where: str, report: ImportReport | None,
                ours: bool) -> tuple[dict[str, Any], tuple[float, float] | None]:
    description = _text(rec.get("description")) if ours else html_to_text(rec.get("description"))
    props: dict[str, Any] = {}
    website = _text(rec.get("website")) or _text(rec.get("url")) or _text(rec.get("uri"))
    for key, value in (("description", description), ("website", website),
                       ("email", _text(rec.get("email")))):
        if value:
            props[key] = value
    phones = [_text(p.get("number")).strip('"') for p in _dicts(rec.get("phones"))]
    if phones := [p for p in phones if p]:
        props["phone"] = phones[0]
    location = None
    for i, loc in enumerate(_dicts(rec.get("locations"))):
        got = _coords(loc)
        if isinstance(got, tuple):
            location = got
            break
        if report is not None:
            report.note(f"{where}.locations[{i}]", "latitude", got)
    return props, location


def _cleared(rec: dict, fields: dict[str, tuple[str, ...]]) -> tuple[dict, frozenset[str]]:
    """The record without its ``"<clear>"`` fields, and the props those fields clear."""
    gone = [k for k, v in rec.items() if isinstance(v, str) and k in fields and is_clear(v)]
    if not gone:
        return rec, frozenset()
    return ({k: v for k, v in rec.items() if k not in gone},
            frozenset(p for k in gone for p in fields[k]))


def _apply_record(node: Node, payload: dict[str, Any] | None) -> None:
    """Lay our record attribute over a node built from ORUK fields: what ORUK cannot carry."""
    if not payload:
        return
    for key in ("name", "area", "lat", "lon"):
        if key in payload:
            setattr(node, key, payload[key])
    for key in payload.get("drop", []):
        node.props.pop(key, None)
    node.props.update(payload.get("props", {}))


# --- the collector ------------------------------------------------------------------------------

class _Collector:
    """Turns ORUK records into nodes and ties, reporting what it cannot use."""

    def __init__(self, report: ImportReport, feed: str | None = None):
        self.report = report
        self.feed = feed
        self.orgs: dict[str, tuple[str, Node]] = {}  # ORUK org id -> (where, node)
        self.groups: dict[str, tuple[str, Node]] = {}  # ORUK service id -> (where, node)
        self.runs: list[tuple[str, str, str, dict]] = []  # (where, org oruk id, group id, props)
        self.dropped: Counter[str] = Counter()
        self.clears: dict[str, frozenset[str]] = {}  # node id -> props a "<clear>" clears

    def _dropped(self, rec: dict) -> None:
        for key, value in rec.items():
            if key not in _READ and value not in (None, "", [], {}):
                self.dropped[key] += 1
        for sal in _dicts(rec.get("service_at_locations")):
            if _dicts(sal.get("contacts")) or _dicts((sal.get("location") or {}).get(
                    "contacts") if isinstance(sal.get("location"), dict) else None):
                self.dropped["contacts"] += 1

    def organisation(self, rec: Any, where: str) -> str | None:
        if isinstance(rec, dict) and _text(rec.get("id")) in self.orgs:
            return _text(rec.get("id"))  # nested in many services: read (and counted) once
        self.report.read += 1
        if not isinstance(rec, dict):
            self.report.reject(where, "record", "the record is not a JSON object")
            return None
        oid, name = _text(rec.get("id")), _text(rec.get("name"))
        if not oid or not name:
            self.report.reject(where, "id" if not oid else "name",
                               f"the organisation has no {'id' if not oid else 'name'}")
            return None
        if oid in self.orgs:
            return oid
        rec, clears = _cleared(rec, _ORG_CLEARS)
        payload = _record_attribute(rec)
        props, location = _native_org(rec, where, self.report, payload is not None)
        lat, lon = location if location else (None, None)
        node_id = (payload or {}).get("id") or ORG_PREFIX + oid
        if payload is None:
            props.update(source="oruk", oruk_id=oid)
        node = Node(node_id, vocab.ORGANISATION, name, None, lat, lon, props)
        _apply_record(node, payload)
        if not isinstance(node.id, str) or not self._valid(node, where):
            return None
        self._dropped({k: v for k, v in rec.items() if k != "services"})
        self.orgs[oid] = (where, node)
        if clears:
            self.clears[node.id] = clears
        for i, svc in enumerate(rec.get("services") or []):
            if isinstance(svc, dict) and not svc.get("organization_id"):
                svc = {**svc, "organization_id": oid}
            self.service(svc, f"{where}.services[{i}]")
        return oid

    def service(self, rec: Any, where: str) -> None:
        if not isinstance(rec, dict):
            self.report.read += 1
            self.report.reject(where, "record", "the record is not a JSON object")
            return
        org_id = None
        if isinstance(rec.get("organization"), dict):
            org_id = self.organisation(rec["organization"], f"{where}.organization")
        org_id = org_id or _text(rec.get("organization_id")) or None
        self.report.read += 1
        sid, name = _text(rec.get("id")), _text(rec.get("name"))
        if not sid or not name:
            self.report.reject(where, "id" if not sid else "name",
                               f"the service has no {'id' if not sid else 'name'}")
            return
        if sid in self.groups:
            self.report.reject(where, "id", "the same service id appears earlier")
            return
        rec, clears = _cleared(rec, _SERVICE_CLEARS)
        payload = _record_attribute(rec)
        props, location = _native_service(rec, where, self.report, payload is not None)
        lat, lon = location if location else (None, None)
        if payload is None:
            props.update(source="oruk", oruk_id=sid)
            if self.feed:
                props["feed"] = self.feed
        node = Node((payload or {}).get("id") or GROUP_PREFIX + sid, vocab.GROUP, name, None,
                    lat, lon, props)
        _apply_record(node, payload)
        if not isinstance(node.id, str) or not self._valid(node, where):
            return
        if node.lat is None:
            self.report.unmapped += 1
            self.report.note(where, "service_at_locations",
                             "the service has no usable location; it was kept without one")
        self._dropped({k: v for k, v in rec.items() if k != "organization"})
        self.groups[sid] = (where, node)
        if clears:
            self.clears[node.id] = clears
        if org_id:
            runs = payload.get("runs", {}) if payload else {"source": "oruk"}
            self.runs.append((where, org_id, node.id, runs))

    def _valid(self, node: Node, where: str) -> bool:
        try:
            node.validate()
        except ValidationError as exc:
            self.report.reject(where, exc.field or "record", str(exc))
            return False
        return True


def _is_service(rec: Any) -> bool:
    return isinstance(rec, dict) and (
        "status" in rec or "service_at_locations" in rec or "organization" in rec
        or "organization_id" in rec) and "services" not in rec


# --- reading: versions ----------------------------------------------------------------------

def _v2_service(rec: dict) -> dict:
    """An ORUK 2.x service in 3.0 shape (service_taxonomys, regular_schedules, eligibilitys)."""
    out = dict(rec)
    terms = []
    for st in _dicts(rec.get("service_taxonomys")):
        raw_tax = st.get("taxonomy")
        tax = raw_tax if isinstance(raw_tax, dict) else {}
        terms.append({"taxonomy_term": {"id": _text(tax.get("id")), "name": _text(tax.get(
            "name")), "code": _text(tax.get("id")), "vocabulary": _text(tax.get("vocabulary"))}})
    out["attributes"] = _dicts(rec.get("attributes")) + terms
    schedules = []
    for s in _dicts(rec.get("regular_schedules")):
        schedules.append({"byday": _text(s.get("weekday")), "opens_at": _text(s.get("opens_at")),
                          "closes_at": _text(s.get("closes_at")), "freq": "WEEKLY",
                          "description": _text(s.get("description"))})
    if schedules:
        out["schedules"] = schedules
    elig = [_text(e.get("eligibility")) for e in _dicts(rec.get("eligibilitys"))]
    if elig := [e for e in elig if e]:
        out["eligibility"] = elig
    if isinstance(rec.get("contacts"), list):
        out["phones"] = [p for c in _dicts(rec["contacts"]) for p in _dicts(c.get("phones"))]
    for old in ("service_taxonomys", "regular_schedules", "eligibilitys", "contacts",
                "holiday_schedules", "reviews", "fundings"):
        out.pop(old, None)
    return out


def _json_version(data: Any) -> str:
    """Which ORUK version a JSON document is: ``3.0`` or ``2.x`` (1.x was only ever CSV)."""
    sample = data
    if isinstance(data, dict) and isinstance(data.get("content"), list):
        return "2.x"
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        sample = data["contents"][:1]
    items = sample if isinstance(sample, list) else [sample]
    for item in items[:20]:
        if isinstance(item, dict) and any(k in item for k in (
                "service_taxonomys", "regular_schedules", "eligibilitys")):
            return "2.x"
    return "3.0"


def _records(data: Any, path: Path | str) -> list[tuple[str, Any]]:
    """(JSON path, record) pairs from any of the ORUK JSON shapes; ValidationError if none."""
    name = Path(str(path)).name
    version = _json_version(data)
    if version == "2.x":
        items = data["content"] if isinstance(data, dict) and "content" in data else data
        items = items if isinstance(items, list) else [items]
        key = "$.content" if isinstance(data, dict) and "content" in data else "$"
        return [(f"{key}[{i}]", _v2_service(r) if isinstance(r, dict) else r)
                for i, r in enumerate(items)]
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return [(f"$.contents[{i}]", r) for i, r in enumerate(data["contents"])]
    if data == []:
        return []  # an empty directory (e.g. the export of a store with no groups)
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data[:50]) \
            and any("id" in r and "name" in r for r in data[:50]):
        return [(f"$[{i}]", r) for i, r in enumerate(data)]
    if isinstance(data, dict) and "id" in data and "name" in data:
        return [("$", data)]
    raise ValidationError(
        f"The file {name} is not Open Referral UK JSON: expected a service, a list of "
        "services or a /services page with 'contents'.")


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding=detect_encoding(path)) as fh:
        reader = csv.DictReader(fh)
        out = []
        try:
            for row in reader:
                out.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items()
                                              if isinstance(k, str)}))
        except csv.Error as exc:
            raise ValidationError(f"{path.name} is not valid CSV ({exc}).") from None
    return out


def _package_version(folder: Path, tables: dict[str, Path]) -> str:
    """``3.0`` or ``1.x`` for a tabular package, from datapackage.json or the tables it has;
    any other version a package declares is refused in one sentence."""
    package = folder / "datapackage.json"
    if package.exists():
        try:
            meta = json.loads(package.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError:
            raise ValidationError("datapackage.json is not valid JSON.") from None
        declared = _text(meta.get("version")) if isinstance(meta, dict) else ""
        if declared:
            major = declared.lstrip("vV").split(".")[0]
            if major == "1":
                return "1.x"
            if major not in ("2", "3"):
                raise ValidationError(
                    f"{folder.name} says it is Open Referral version {declared}, which assetmap "
                    "cannot read (it reads HSDS/ORUK 3.0, 2.x and 1.x).")
    v1_tables = ("services_at_location", "taxonomy", "service_taxonomy", "regular_schedules",
                 "physical_addresses")
    if any((folder / f"{t}.csv").exists() for t in v1_tables):
        return "1.x"
    services = tables.get("services")
    if services is not None and services.exists():
        with services.open(encoding=detect_encoding(services)) as fh:
            header = fh.readline()
        if "location_id" in [h.strip() for h in header.split(",")]:
            return "1.x"
    return "3.0"


def _v1_records(folder: Path, report: ImportReport) -> list[tuple[str, Any]]:
    """An HSDS 1.x CSV package as ORUK 3.0 records: services with their locations (from
    services_at_location.csv or services.location_id), taxonomy, phones and regular schedules."""
    def rows(name: str) -> list[tuple[int, dict[str, str]]]:
        p = folder / f"{name}.csv"
        return _read_csv(p) if p.exists() else []

    locations: dict[str, dict[str, Any]] = {r["id"]: {"id": r["id"], "name": r.get("name", ""),
                           "latitude": r.get("latitude"), "longitude": r.get("longitude")}
                 for _, r in rows("locations") if r.get("id")}
    for _, r in rows("accessibility_for_disabilities"):
        if r.get("location_id") in locations:
            locations[r["location_id"]].setdefault("accessibility", []).append(
                {"description": r.get("accessibility", ""), "details": r.get("details", "")})
    at: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("services_at_location") + rows("service_at_location"):
        if r.get("location_id") in locations:
            at[r.get("service_id", "")].append({"location": locations[r["location_id"]]})
    terms = {r["id"]: r for _, r in rows("taxonomy") if r.get("id")}
    tagged: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("service_taxonomy"):
        t = terms.get(r.get("taxonomy_id", ""))
        if t is not None:
            tagged[r.get("service_id", "")].append({"taxonomy_term": {
                "id": t["id"], "code": t["id"], "name": t.get("name", ""),
                "vocabulary": t.get("vocabulary", "")}})
    phones: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("phones"):
        phones[r.get("service_id", "")].append({"number": r.get("number", "")})
    schedules: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("regular_schedules"):
        schedules[r.get("service_id", "")].append({
            "byday": r.get("weekday", ""), "opens_at": r.get("opens_at", ""),
            "closes_at": r.get("closes_at", ""), "freq": "WEEKLY"})
    eligibility: dict[str, list[str]] = defaultdict(list)
    for _, r in rows("eligibility"):
        if r.get("eligibility"):
            eligibility[r.get("service_id", "")].append(r["eligibility"])
    out: list[tuple[str, Any]] = []
    for line, r in rows("organizations"):
        out.append((f"organizations.csv line {line}", dict(r)))
    linked = 0
    services = rows("services")
    for line, r in services:
        sid = r.get("id", "")
        sal = list(at.get(sid, []))
        if r.get("location_id") in locations and not sal:
            sal.append({"location": locations[r["location_id"]]})
        rec: dict[str, Any] = {k: v for k, v in r.items() if k != "location_id" and v}
        rec.update(status=r.get("status") or "active", service_at_locations=sal,
                   attributes=tagged.get(sid, []), phones=phones.get(sid, []),
                   schedules=schedules.get(sid, []))
        if eligibility.get(sid):
            rec["eligibility"] = eligibility[sid]
        linked += bool(sal) or bool(r.get("organization_id"))
        out.append((f"services.csv line {line}", rec))
    if services and not linked:
        raise ValidationError(
            f"{folder.name} is an HSDS 1.x package, but none of its services is linked to a "
            "location or an organisation, so it cannot be converted.")
    report.note("package", "version", "converted from an HSDS 1.x CSV package")
    return out


def _tabular_records(folder: Path, report: ImportReport) -> list[tuple[str, Any]]:
    """Nest the tabular package's rows into ORUK JSON records (services with their links)."""
    tables: dict[str, Path] = {}
    package = folder / "datapackage.json"
    if package.exists():
        try:
            meta = json.loads(package.read_text(encoding="utf-8-sig"))
            for res in meta.get("resources", []):
                if isinstance(res, dict) and isinstance(res.get("path"), str):
                    tables[Path(res["path"]).stem] = folder / res["path"]
        except (json.JSONDecodeError, AttributeError):
            raise ValidationError("datapackage.json is not valid JSON.") from None
    for name in ("organizations", "services", "service_at_location", "locations",
                 "attributes", "taxonomy_terms", "cost_options", "phones", "schedules",
                 "languages", "service_areas", "accessibility"):
        tables.setdefault(name, folder / f"{name}.csv")
    if not tables["services"].exists() and not tables["organizations"].exists():
        raise ValidationError(
            f"{folder.name} is not an Open Referral data package: it has neither services.csv "
            "nor organizations.csv.")
    if _package_version(folder, tables) == "1.x":
        return _v1_records(folder, report)

    def rows(name: str) -> list[tuple[int, dict[str, str]]]:
        p = tables[name]
        return _read_csv(p) if p.exists() else []

    locations: dict[str, dict[str, Any]] = {r["id"]: dict(r) for _, r in rows("locations")
                                            if r.get("id")}
    for _, r in rows("accessibility"):
        if r.get("location_id") in locations:
            locations[r["location_id"]].setdefault("accessibility", []).append(r)
    terms = {r["id"]: r for _, r in rows("taxonomy_terms") if r.get("id")}
    sal: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("service_at_location"):
        loc = locations.get(r.get("location_id", ""))
        sal[r.get("service_id", "")].append({"id": r.get("id"), "location": loc})
    attrs: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("attributes"):
        attrs[r.get("link_id", "")].append(
            {"id": r.get("id"), "value": r.get("value"),
             "taxonomy_term": terms.get(r.get("taxonomy_term_id", ""))})
    costs: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("cost_options"):
        costs[r.get("service_id", "")].append({"id": r.get("id"), "amount": r.get("amount"),
                                               "option": r.get("option")})
    by_service: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for table in ("phones", "schedules", "languages", "service_areas"):
        for _, r in rows(table):
            if r.get("service_id"):
                by_service[r["service_id"]][table].append(r)
    out: list[tuple[str, Any]] = []
    for line, r in rows("organizations"):
        out.append((f"organizations.csv line {line}", {**r, "attributes": attrs[r.get("id", "")]}))
    for line, r in rows("services"):
        sid = r.get("id", "")
        rec: dict[str, Any] = {k: v for k, v in r.items() if v != ""}
        for int_field in ("minimum_age", "maximum_age"):
            if rec.get(int_field, "").isdigit():
                rec[int_field] = int(rec[int_field])
        out.append((f"services.csv line {line}", {
            **rec, "status": r.get("status", ""), "service_at_locations": sal[sid],
            "attributes": attrs[sid], "cost_options": costs[sid], **by_service[sid]}))
    return out


def read_oruk(path: str | Path, limit_bytes: int | None = None,
              report: ImportReport | None = None) -> list[tuple[str, Any]]:
    """(where, record) pairs from an ORUK JSON file or tabular data package (folder or its
    datapackage.json), converting 2.x and 1.x input to the 3.0 shape."""
    report = report if report is not None else ImportReport("oruk", str(path))
    path = check_file(path, limit_bytes)
    if path.is_dir():
        return _tabular_records(path, report)
    if path.name == "datapackage.json":
        return _tabular_records(path.parent, report)
    try:
        data = json.loads(path.read_text(encoding=detect_encoding(path)))
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The file {path.name} is not valid JSON (line {exc.lineno}).") from None
    except RecursionError:
        raise ValidationError(f"The file {path.name} is nested too deeply to be a directory.") \
            from None
    if _json_version(data) == "2.x":
        report.note("$", "version", "converted from ORUK 2.x JSON")
    return _records(data, path)


def import_records(store: GraphStore, records: Any, report: ImportReport, *,
                   dry_run: bool = False, feed: str | None = None) -> ImportReport:
    """Merge (where, ORUK record) pairs into the store in one transaction (see import_oruk)."""
    collector = _Collector(report, feed)
    for where, rec in records:
        if _is_service(rec):
            collector.service(rec, where)
        else:
            collector.organisation(rec, where)
    for key, n in sorted(collector.dropped.items()):
        report.note("$", key, f"ORUK field {key} is not kept by assetmap ({n:,} records)")
    org_nodes = {oid: node.id for oid, (_, node) in collector.orgs.items()}
    clears = collector.clears
    nodes = [Incoming(w, n, clears.get(n.id, frozenset())) for w, n in collector.orgs.values()]
    nodes += [Incoming(w, n, clears.get(n.id, frozenset()))
              for w, n in collector.groups.values()]
    ties: list[tuple[str, Tie]] = []
    for where, org_id, group_id, props in collector.runs:
        org_node_id = org_nodes.get(org_id, ORG_PREFIX + org_id)
        if org_id not in collector.orgs:
            try:
                store.get(org_node_id)
            except NotFoundError:  # reported; the group is kept without the tie
                report.note(where, "organization_id", "the service's organisation is not in "
                            "this directory or the store; it was kept without its RUNS tie")
                continue
        ties.append((where, Tie(org_node_id, group_id, "RUNS", dict(props))))
    with store.transaction():
        merge_nodes(store, nodes, report, dry_run=dry_run)
        if dry_run:
            report.written += len(ties)
        else:
            merge_ties(store, ties, report)
    return report


def import_oruk(store: GraphStore, path: str | Path, *, dry_run: bool = False,
                limit_bytes: int | None = None, modified_after: str | None = None,
                timeout: float = 30.0, full: bool = False) -> ImportReport:
    """Merge an ORUK/HSDS directory (JSON, tabular package, 2.x or 1.x, or a live ORUK API
    URL) into the store as organisations and the groups (services) they run.

    Every record is checked; bad ones are reported by JSON path (or CSV line) and left out, the
    rest are merged in one transaction: ids come from the ORUK ids (or our own record
    attribute), so a re-run changes nothing, not even the store version.
    """
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        from assetmap.ingest.oruk_feed import import_feed

        return import_feed(store, path, dry_run=dry_run, modified_after=modified_after,
                           timeout=timeout, full=full)
    report = ImportReport("oruk", str(path), dry_run=dry_run)
    with bulk():
        records = read_oruk(path, limit_bytes, report)
        return import_records(store, records, report, dry_run=dry_run)


# --- export -------------------------------------------------------------------------------------

def _uuid(node_id: str, prefix: str) -> str:
    """The ORUK id of a node: its original ORUK id where it came from ORUK, else a uuid5."""
    if node_id.startswith(prefix):
        raw = node_id[len(prefix):]
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            pass
    return str(uuid.uuid5(_ID_NAMESPACE, node_id))


def _term(node_id: str, code: str, name: str, link: str) -> dict[str, Any]:
    term_id = str(uuid.uuid5(_ID_NAMESPACE, f"{VOCABULARY}:{code}"))
    return {"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node_id}:{VOCABULARY}:{code}")),
            "taxonomy_term_id": term_id, "link_type": link, "link_entity": "service",
            "taxonomy_term": {"id": term_id, "code": code, "term": code, "name": name,
                              "description": f"assetmap {code}", "taxonomy": VOCABULARY,
                              "vocabulary": VOCABULARY}}


def _attributes(node: Node) -> list[dict[str, Any]]:
    """Tags as codes of the assetmap vocabulary, then the record's other taxonomy terms."""
    out = []
    for key, what in (("activities", "activity"), ("needs", "need")):
        for word in node.props.get(key) or []:
            out.append(_term(node.id, f"{what}:{word}", vocab.label(word), key))
    for i, t in enumerate(node.props.get("taxonomy") or []):
        if not isinstance(t, dict):
            continue
        term_id = str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:taxonomy:{i}"))
        out.append({"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:attr:{i}")),
                    "taxonomy_term_id": term_id, "link_type": "taxonomy",
                    "link_entity": "service",
                    "taxonomy_term": {"id": term_id, "name": str(t.get("name") or t.get("code")
                                                                 or ""),
                                      "code": str(t.get("code", "")), "description": "",
                                      "taxonomy": str(t.get("vocabulary", "")),
                                      "vocabulary": str(t.get("vocabulary", ""))}})
    for i, word in enumerate(node.props.get("audience") or []):
        term_id = str(uuid.uuid5(_ID_NAMESPACE, f"audience:{word}"))
        out.append({"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:audience:{i}")),
                    "taxonomy_term_id": term_id, "link_type": "audience",
                    "link_entity": "service",
                    "taxonomy_term": {"id": term_id, "name": str(word), "description": "",
                                      "taxonomy": "audience", "vocabulary": "audience"}})
    return out


def _str(node: Node, key: str) -> str | None:
    value = node.props.get(key)
    return value if isinstance(value, str) and value else None


def _service(node: Node, org_uuid: str | None) -> dict[str, Any]:
    sid = _uuid(node.id, GROUP_PREFIX)
    svc: dict[str, Any] = {
        "id": sid, "name": node.name.strip() or node.id,
        "status": _STATUS_OUT.get(node.props.get("status") or "active", "active"),
        "description": _str(node, "description") or "",
        "attributes": _attributes(node), "service_at_locations": []}
    if org_uuid:
        svc["organization_id"] = org_uuid
    if (url := _str(node, "website")) and "://" in url:
        svc["url"] = url
    if (email := _str(node, "email")) and "@" in email:
        svc["email"] = email
    if fees := _str(node, "fees"):
        svc["fees_description"] = fees
    if eligibility := _str(node, "eligibility"):
        svc["eligibility_description"] = eligibility
    for src, key in _KEPT_TEXT.items():
        if value := _str(node, key):
            svc[src] = value
    for key, dst in (("min_age", "minimum_age"), ("max_age", "maximum_age")):
        if isinstance(node.props.get(key), int) and not isinstance(node.props[key], bool):
            svc[dst] = node.props[key]
    if phone := _str(node, "phone"):
        svc["phones"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":phone")),
                          "number": phone}]
    schedules = node.props.get("schedules")
    if isinstance(schedules, list) and schedules:
        svc["schedules"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:schedule:{i}")),
                             **{k: v for k, v in s.items() if k in _SCHEDULE_KEYS}}
                            for i, s in enumerate(schedules) if isinstance(s, dict)]
    elif meets := _str(node, "meets"):
        svc["schedules"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":schedule")),
                             "description": meets}]
    areas = node.props.get("service_areas")
    if isinstance(areas, list) and areas:
        svc["service_areas"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:area:{a}")),
                                 "name": str(a)} for a in areas]
    langs = node.props.get("languages")
    if isinstance(langs, list) and langs:
        svc["languages"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:lang:{x}")),
                             "name": str(x)} for x in langs]
    cost = node.props.get("cost")
    if cost in vocab.COSTS:
        option: dict[str, Any] = {"id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":cost")),
                                  "option": cost, "amount_description": _COST_WORDS[cost]}
        if cost == "free":
            option.update(amount=0, currency="GBP")
        svc["cost_options"] = [option]
    if _str(node, "last_modified"):
        svc["last_modified"] = node.props["last_modified"]
    if node.lat is not None and node.lon is not None:
        location: dict[str, Any] = {
            "id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":location")),
            "location_type": "physical", "name": node.name or node.id,
            "latitude": node.lat, "longitude": node.lon}
        if access := _str(node, "accessibility"):
            location["accessibility"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE,
                                                               node.id + ":access")),
                                          "description": access}]
        svc["service_at_locations"].append({
            "id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":sal")),
            "service_id": sid, "location": location})
    return svc


def _organisation(org: Node) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": _uuid(org.id, ORG_PREFIX), "name": org.name.strip() or org.id,
                           "description": _str(org, "description") or "", "services": []}
    if (url := _str(org, "website")) and "://" in url:
        rec["website"] = url
    if (email := _str(org, "email")) and "@" in email:
        rec["email"] = email
    if phone := _str(org, "phone"):
        rec["phones"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, org.id + ":phone")),
                          "number": phone}]
    if org.lat is not None and org.lon is not None:
        rec["locations"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, org.id + ":location")),
                             "location_type": "physical", "name": org.name or org.id,
                             "latitude": org.lat, "longitude": org.lon}]
    return rec


def _with_record(rec: dict[str, Any], node: Node, runs: dict | None = None) -> dict[str, Any]:
    """Add the assetmap record attribute: the id, and whatever ORUK's own fields do not give
    back exactly (worked out by reading the exported record back)."""
    service = node.kind == vocab.GROUP
    native, location = (_native_service if service else _native_org)(rec, "", None, True)
    lat, lon = location or (None, None)
    back = Node(node.id, node.kind, rec["name"], None, lat, lon, native)
    payload: dict[str, Any] = {"id": node.id}
    for key in ("name", "area", "lat", "lon"):
        if getattr(back, key) != getattr(node, key):
            payload[key] = getattr(node, key)
    extra = {k: v for k, v in node.props.items() if back.props.get(k, _MISSING) != v}
    if extra:
        payload["props"] = extra
    drop = sorted(k for k in back.props if k not in node.props)
    if drop:
        payload["drop"] = drop
    if runs:
        payload["runs"] = runs
    term_id = str(uuid.uuid5(_ID_NAMESPACE, f"{VOCABULARY}:{RECORD_CODE}"))
    rec.setdefault("attributes", []).append({
        "id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:{VOCABULARY}:{RECORD_CODE}")),
        "taxonomy_term_id": term_id, "link_type": "record", "link_entity": "service"
        if service else "organization",
        "value": json.dumps(payload, sort_keys=True, ensure_ascii=False),
        "taxonomy_term": {"id": term_id, "code": RECORD_CODE, "term": RECORD_CODE,
                          "name": "assetmap record", "description": "assetmap's own fields",
                          "taxonomy": VOCABULARY,
                          "vocabulary": VOCABULARY}})
    return rec


_MISSING = object()


def export_oruk(store: GraphStore) -> list[dict[str, Any]]:
    """The store's organisations (each with the groups it runs as ``services``) and any groups no
    organisation runs (as services), as ORUK 3.0 JSON records. People are never exported."""
    run_by: dict[str, tuple[str, dict]] = {}
    for tie in store.ties():
        if tie.kind == "RUNS":
            run_by.setdefault(tie.dst, (tie.src, tie.props))
    orgs = {n.id: n for n in store.find(vocab.ORGANISATION)}
    services: dict[str, list[dict]] = defaultdict(list)
    loose: list[dict[str, Any]] = []
    for group in store.find(vocab.GROUP):
        owner, props = run_by.get(group.id, (None, {}))
        if owner in orgs:
            svc = _service(group, _uuid(owner, ORG_PREFIX))
            services[owner].append(_with_record(svc, group, props))
        else:
            loose.append(_with_record(_service(group, None), group))
    out: list[dict[str, Any]] = []
    for org in orgs.values():
        rec = _with_record(_organisation(org), org)
        rec["services"] = services.get(org.id, [])
        out.append(rec)
    return out + loose


def validate_oruk(records: list[dict[str, Any]]) -> None:
    """Check exported records against the ORUK 3.0 schemas; raise ValidationError on the first
    problem (organisations against organization.json, services against service.json)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checkers = {}
    for name in ("organization", "service"):
        schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
        checkers[name] = Draft202012Validator(schema, format_checker=FormatChecker())
    for i, rec in enumerate(records):
        name = "service" if _is_service(rec) else "organization"
        error = next(iter(checkers[name].iter_errors(rec)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            raise ValidationError(f"record {i} ({name}) does not fit ORUK 3.0 at "
                                  f"{where or 'its top level'}: {error.message[:200]}")


def write_oruk(store: GraphStore, path: str | Path) -> int:
    """Export the store's directory to a JSON file (validated first); returns how many records."""
    records = export_oruk(store)
    validate_oruk(records)
    Path(path).write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
    return len(records)
