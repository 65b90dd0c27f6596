"""ORUK re-imports merge like spreadsheets (issue 12): an absent or empty field never erases a
stored one, and a field holding ``"<clear>"`` is the one explicit way to remove a value."""

from __future__ import annotations

import json
from pathlib import Path

from assetmap.ingest.openreferral import import_oruk

EXAMPLES = Path(__file__).resolve().parent / "data" / "openreferral"
SERVICE = "group:oruk:ac148810-d857-441c-9679-408f346de14b"
ORG = "org:oruk:d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"


def _full() -> dict:
    return json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_thinner_reimport_erases_nothing(tmp_path, sqlite_store):
    first = _full()
    first["attributes"].append({"id": "a-walk", "taxonomy_term": {
        "id": "t-walk", "name": "Walking", "taxonomy": "example"}})
    import_oruk(sqlite_store, _write(tmp_path, "first.json", first))
    before, org_before = sqlite_store.get(SERVICE), sqlite_store.get(ORG)
    assert before.props["activities"] == ["walking"]  # from a term: an empty list could erase it
    full = _full()
    org = full["organization"]
    # the same service with every optional field empty or missing, its organisation too
    thin = {"id": full["id"], "name": full["name"], "status": full["status"], "description": "",
            "url": "", "email": "", "phones": [], "schedules": [], "languages": [],
            "attributes": [], "service_areas": [], "service_at_locations": [],
            "organization": {"id": org["id"], "name": org["name"], "description": "",
                             "website": "", "phones": []}}
    version = sqlite_store.version()
    rep = import_oruk(sqlite_store, _write(tmp_path, "thin.json", thin))
    assert rep.rejected == 0 and rep.written == 0 and rep.unchanged == 3, rep.summary()  # + RUNS
    assert sqlite_store.version() == version
    assert sqlite_store.get(SERVICE) == before
    assert sqlite_store.get(ORG) == org_before


def test_clear_removes_only_the_fields_it_names(tmp_path, sqlite_store):
    located = _full()
    located["service_at_locations"][0]["location"].update(latitude=53.44, longitude=-2.35)
    import_oruk(sqlite_store, _write(tmp_path, "located.json", located))
    before = sqlite_store.get(SERVICE)
    assert {"email", "website", "meets", "schedules", "languages"} <= before.props.keys()
    assert before.lat is not None
    full = _full()
    org = full["organization"]
    cleared = {"id": full["id"], "name": full["name"], "email": "<clear>",
               "schedules": " <CLEAR> ", "service_at_locations": "<clear>",
               "organization": {"id": org["id"], "name": org["name"], "website": "<clear>"}}
    rep = import_oruk(sqlite_store, _write(tmp_path, "clear.json", cleared))
    assert rep.rejected == 0 and rep.changed == 2, rep.summary()
    after = sqlite_store.get(SERVICE)
    gone = {"email", "meets", "schedules", "access", "accessibility"}
    assert not gone & after.props.keys()
    assert (after.lat, after.lon) == (None, None)
    assert {k: v for k, v in before.props.items() if k not in gone} == after.props
    assert "website" not in sqlite_store.get(ORG).props
    assert "<clear>" not in json.dumps([after.props, sqlite_store.get(ORG).props]).lower()
    # not reported as fields assetmap does not keep
    assert not [n for n in rep.notes if "not kept" in n.reason and n.field in
                ("email", "schedules", "service_at_locations", "website")]
