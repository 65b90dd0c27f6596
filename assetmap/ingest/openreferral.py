"""Open Referral UK (HSDS 3.0) community directories: import them, and export ours.

Input: a JSON dump (one service, a list, or the paginated ``/services`` page with ``contents``,
``total_items``, ``page_number``; organisation records with nested ``services`` too), or the
tabular data package (``datapackage.json`` + ``services.csv``, ``organizations.csv``, …).
Organisations become Organisation nodes; services become Groups run by them (``RUNS``), or are
folded into their Organisation where the service *is* the organisation (same name). Activities
and needs come from taxonomy terms and the description via :mod:`assetmap.vocab`;
``service_at_location`` gives the point. Services with no usable location are kept and reported.

:func:`export_oruk` publishes the store's groups and organisations as ORUK 3.0 JSON that
validates against the ORUK schemas shipped in ``assetmap/data/openreferral/``.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assetmap import vocab
from assetmap.errors import NotFoundError, ValidationError
from assetmap.graph.store import GraphStore
from assetmap.ingest.report import (
    ImportReport,
    check_file,
    detect_encoding,
    write_nodes,
    write_ties,
)
from assetmap.model import Node, Tie

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "openreferral"
ORG_PREFIX = "org:oruk:"
GROUP_PREFIX = "group:oruk:"
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/assetmap/assetmap")
_STATUS_IN = {"active": "active", "inactive": "closed", "defunct": "closed",
              "temporarily closed": "at_risk", "temporarily_closed": "at_risk"}
_STATUS_OUT = {"active": "active", "at_risk": "active", "closed": "inactive"}
_COST_WORDS = {"free": "Free", "low": "Low cost", "paid": "A charge applies"}
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "table", "blockquote"}


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
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


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


def _terms(record: dict) -> list[str]:
    out = []
    for attr in record.get("attributes") or []:
        term = attr.get("taxonomy_term") if isinstance(attr, dict) else None
        if isinstance(term, dict):
            out.extend(_text(term.get(k)) for k in ("name", "code"))
    for term in record.get("taxonomy_terms") or []:
        if isinstance(term, dict):
            out.append(_text(term.get("name")))
    return [t for t in out if t]


def _tags(record: dict, description: str) -> tuple[list[str], list[str]]:
    terms = _terms(record)
    text = " ".join([_text(record.get("name")), description, *terms])
    activities = vocab.interests_in(text) | set(vocab.canonical_interests(terms))
    needs = vocab.needs_in(text) | set(vocab.canonical_needs(terms))
    return sorted(activities), sorted(needs)


def _cost(record: dict) -> str | None:
    amounts = []
    for opt in record.get("cost_options") or []:
        if isinstance(opt, dict) and opt.get("option") in vocab.COSTS:
            return opt["option"]  # written by our own export
        if isinstance(opt, dict) and isinstance(opt.get("amount"), int | float):
            amounts.append(float(opt["amount"]))
    if amounts:
        return "free" if max(amounts) == 0 else "paid"
    fees = (_text(record.get("fees_description")) + " " + _text(record.get("fees"))).lower()
    return "free" if " free" in f" {fees}" else None


class _Collector:
    """Turns ORUK records into nodes and ties, reporting what it cannot use."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.orgs: dict[str, tuple[str, Node]] = {}
        self.groups: dict[str, tuple[str, Node]] = {}
        self.runs: list[tuple[str, str, str]] = []  # (where, org oruk id, group node id)

    def organisation(self, rec: Any, where: str) -> str | None:
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
        description = html_to_text(rec.get("description"))
        props: dict[str, Any] = {"source": "oruk", "oruk_id": oid}
        for key, value in (("description", description), ("website", _text(rec.get("website"))),
                           ("email", _text(rec.get("email")))):
            if value:
                props[key] = value
        lat = lon = None
        for i, loc in enumerate(rec.get("locations") or []):
            if isinstance(loc, dict) and isinstance(got := _coords(loc), tuple):
                lat, lon = got
                break
            if isinstance(loc, dict):
                self.report.note(f"{where}.locations[{i}]", "latitude", got)
        node = Node(ORG_PREFIX + oid, vocab.ORGANISATION, name, None, lat, lon, props)
        if not self._valid(node, where):
            return None
        self.orgs[oid] = (where, node)
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
        description = html_to_text(rec.get("description"))
        activities, needs = _tags(rec, description)
        props: dict[str, Any] = {"source": "oruk", "oruk_id": sid, "activities": activities,
                                 "needs": needs}
        status = _text(rec.get("status")).lower()
        if status:
            if status in _STATUS_IN:
                props["status"] = _STATUS_IN[status]
            else:
                self.report.note(where, "status", "the status is not one ORUK defines; ignored")
        if cost := _cost(rec):
            props["cost"] = cost
        for key, value in (("description", description), ("website", _text(rec.get("url"))),
                           ("email", _text(rec.get("email")))):
            if value:
                props[key] = value
        lat = lon = None
        sals = rec.get("service_at_locations") or []
        for i, sal in enumerate(sals):
            loc = sal.get("location") if isinstance(sal, dict) else None
            if not isinstance(loc, dict):
                continue
            got = _coords(loc)
            if isinstance(got, tuple):
                lat, lon = got
                break
            self.report.note(f"{where}.service_at_locations[{i}].location", "latitude", got)
        if lat is None:
            self.report.unmapped += 1
            self.report.note(where, "service_at_locations",
                             "the service has no usable location; it was kept without one")
        org = self.orgs.get(org_id) if org_id else None
        if org is not None and org[1].name.casefold() == name.casefold():
            node = org[1]  # an organisation-level service: fold it into the organisation
            for key in ("activities", "needs", "status", "cost"):
                if key in props:
                    node.props[key] = props[key]
            node.props["oruk_service_id"] = sid
            if node.lat is None and lat is not None:
                node.lat, node.lon = lat, lon
            self._valid(node, where)
            return
        node = Node(GROUP_PREFIX + sid, vocab.GROUP, name, None, lat, lon, props)
        if sid in self.groups or not self._valid(node, where):
            if sid in self.groups:
                self.report.reject(where, "id", "the same service id appears earlier")
            return
        self.groups[sid] = (where, node)
        if org_id:
            self.runs.append((where, org_id, node.id))

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


def _records(data: Any, path: Path) -> list[tuple[str, Any]]:
    """(JSON path, record) pairs from any of the ORUK JSON shapes; ValidationError if none."""
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return [(f"$.contents[{i}]", r) for i, r in enumerate(data["contents"])]
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data[:50]) \
            and any("id" in r and "name" in r for r in data[:50]):
        return [(f"$[{i}]", r) for i, r in enumerate(data)]
    if isinstance(data, dict) and "id" in data and "name" in data:
        return [("$", data)]
    raise ValidationError(
        f"The file {path.name} is not Open Referral UK JSON: expected a service, a list of "
        "services or a /services page with 'contents'.")


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding=detect_encoding(path)) as fh:
        reader = csv.DictReader(fh)
        out = []
        try:
            for row in reader:
                out.append((reader.line_num, {k: (v or "") for k, v in row.items()
                                              if isinstance(k, str)}))
        except csv.Error as exc:
            raise ValidationError(f"{path.name} is not valid CSV ({exc}).") from None
    return out


def _tabular_records(folder: Path) -> list[tuple[str, Any]]:
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
                 "attributes", "taxonomy_terms", "cost_options"):
        tables.setdefault(name, folder / f"{name}.csv")
    if not tables["services"].exists() and not tables["organizations"].exists():
        raise ValidationError(
            f"{folder.name} is not an Open Referral data package: it has neither services.csv "
            "nor organizations.csv.")

    def rows(name: str) -> list[tuple[int, dict[str, str]]]:
        p = tables[name]
        return _read_csv(p) if p.exists() else []

    locations = {r["id"]: r for _, r in rows("locations") if r.get("id")}
    terms = {r["id"]: r for _, r in rows("taxonomy_terms") if r.get("id")}
    sal: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("service_at_location"):
        loc = locations.get(r.get("location_id", ""))
        sal[r.get("service_id", "")].append({"id": r.get("id"), "location": loc})
    attrs: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("attributes"):
        attrs[r.get("link_id", "")].append(
            {"id": r.get("id"), "taxonomy_term": terms.get(r.get("taxonomy_term_id", ""))})
    costs: dict[str, list[dict]] = defaultdict(list)
    for _, r in rows("cost_options"):
        try:
            amount = float(r["amount"]) if r.get("amount") else None
        except ValueError:
            amount = None
        costs[r.get("service_id", "")].append({"id": r.get("id"), "amount": amount,
                                               "option": r.get("option")})
    out: list[tuple[str, Any]] = []
    for line, r in rows("organizations"):
        out.append((f"organizations.csv line {line}", {**r, "attributes": attrs[r.get("id")]}))
    for line, r in rows("services"):
        sid = r.get("id", "")
        out.append((f"services.csv line {line}", {
            **r, "service_at_locations": sal[sid], "attributes": attrs[sid],
            "cost_options": costs[sid]}))
    return out


def read_oruk(path: str | Path, limit_bytes: int | None = None) -> list[tuple[str, Any]]:
    """(where, record) pairs from an ORUK JSON file or tabular data package (folder or its
    datapackage.json)."""
    path = check_file(path, limit_bytes)
    if path.is_dir():
        return _tabular_records(path)
    if path.name == "datapackage.json":
        return _tabular_records(path.parent)
    try:
        data = json.loads(path.read_text(encoding=detect_encoding(path)))
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The file {path.name} is not valid JSON (line {exc.lineno}).") from None
    except RecursionError:
        raise ValidationError(f"The file {path.name} is nested too deeply to be a directory.") \
            from None
    return _records(data, path)


def import_oruk(store: GraphStore, path: str | Path, *, dry_run: bool = False,
                limit_bytes: int | None = None) -> ImportReport:
    """Import an ORUK/HSDS 3.0 directory (JSON or tabular package) as organisations and groups.

    Every record is checked; bad ones are reported by JSON path (or CSV line) and left out, the
    rest are written in one transaction. Ids come from the ORUK ids, so a re-run is idempotent.
    """
    report = ImportReport("oruk", str(path), dry_run=dry_run)
    collector = _Collector(report)
    for where, rec in read_oruk(path, limit_bytes):
        if _is_service(rec):
            collector.service(rec, where)
        else:
            collector.organisation(rec, where)
    nodes = list(collector.orgs.values()) + list(collector.groups.values())
    ties: list[tuple[str, Tie]] = []
    for where, org_id, group_id in collector.runs:
        org_node_id = ORG_PREFIX + org_id
        if org_id not in collector.orgs:
            try:
                store.get(org_node_id)
            except NotFoundError:  # reported; the group is kept without the tie
                report.note(where, "organization_id", "the service's organisation is not in "
                            "this directory or the store; it was kept without its RUNS tie")
                continue
        ties.append((where, Tie(org_node_id, group_id, "RUNS", {"source": "oruk"})))
    if dry_run:
        report.written = len(nodes) + len(ties)
        return report
    with store.transaction():
        write_nodes(store, nodes, report)
        write_ties(store, ties, report)
    return report


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


def _attributes(node: Node) -> list[dict[str, Any]]:
    out = []
    for taxonomy, key, what in (("assetmap-activities", "activities", "activity"),
                                ("assetmap-needs", "needs", "need")):
        for word in node.props.get(key) or []:
            term_id = str(uuid.uuid5(_ID_NAMESPACE, f"{taxonomy}:{word}"))
            out.append({
                "id": str(uuid.uuid5(_ID_NAMESPACE, f"{node.id}:{taxonomy}:{word}")),
                "taxonomy_term_id": term_id, "link_type": key, "link_entity": "service",
                "taxonomy_term": {"id": term_id, "code": word, "name": vocab.label(word),
                                  "description": f"assetmap {what}: {vocab.label(word)}",
                                  "taxonomy": taxonomy}})
    return out


def _service(node: Node, org_uuid: str | None) -> dict[str, Any]:
    sid = _uuid(node.id, GROUP_PREFIX)
    svc: dict[str, Any] = {
        "id": sid, "name": node.name or node.id,
        "status": _STATUS_OUT.get(node.props.get("status") or "active", "active"),
        "description": node.props.get("description", ""),
        "attributes": _attributes(node), "service_at_locations": []}
    if org_uuid:
        svc["organization_id"] = org_uuid
    if isinstance(node.props.get("website"), str) and "://" in node.props["website"]:
        svc["url"] = node.props["website"]
    if isinstance(node.props.get("email"), str) and "@" in node.props["email"]:
        svc["email"] = node.props["email"]
    cost = node.props.get("cost")
    if cost in vocab.COSTS:
        option: dict[str, Any] = {"id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":cost")),
                                  "option": cost, "amount_description": _COST_WORDS[cost]}
        if cost == "free":
            option.update(amount=0, currency="GBP")
        svc["cost_options"] = [option]
    if node.lat is not None and node.lon is not None:
        svc["service_at_locations"].append({
            "id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":sal")),
            "service_id": sid,
            "location": {"id": str(uuid.uuid5(_ID_NAMESPACE, node.id + ":location")),
                         "location_type": "physical", "name": node.name or node.id,
                         "latitude": node.lat, "longitude": node.lon}})
    return svc


def export_oruk(store: GraphStore) -> list[dict[str, Any]]:
    """The store's organisations (each with the groups it runs as ``services``) and any groups no
    organisation runs (as services), as ORUK 3.0 JSON records. People are never exported."""
    run_by: dict[str, str] = {}
    for tie in store.ties():
        if tie.kind == "RUNS":
            run_by.setdefault(tie.dst, tie.src)
    orgs = {n.id: n for n in store.find(vocab.ORGANISATION)}
    groups = list(store.find(vocab.GROUP))
    services: dict[str, list[dict]] = defaultdict(list)
    loose: list[dict[str, Any]] = []
    for group in groups:
        owner = run_by.get(group.id)
        if owner in orgs:
            services[owner].append(_service(group, _uuid(owner, ORG_PREFIX)))
        else:
            loose.append(_service(group, None))
    out: list[dict[str, Any]] = []
    for org in orgs.values():
        oid = _uuid(org.id, ORG_PREFIX)
        rec: dict[str, Any] = {"id": oid, "name": org.name or org.id,
                               "description": org.props.get("description", "") or "",
                               "services": services.get(org.id, [])}
        if isinstance(org.props.get("website"), str) and "://" in org.props["website"]:
            rec["website"] = org.props["website"]
        if isinstance(org.props.get("email"), str) and "@" in org.props["email"]:
            rec["email"] = org.props["email"]
        if org.lat is not None and org.lon is not None:
            rec["locations"] = [{"id": str(uuid.uuid5(_ID_NAMESPACE, org.id + ":location")),
                                 "location_type": "physical", "name": org.name or org.id,
                                 "latitude": org.lat, "longitude": org.lon}]
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
