"""Open Referral UK / HSDS 3.0 import (official examples) and export (validated vs ORUK 3.0)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetmap.errors import ValidationError
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.ingest.openreferral import (
    export_oruk,
    html_to_text,
    import_oruk,
    validate_oruk,
    write_oruk,
)
from assetmap.model import Node, Tie

EXAMPLES = Path(__file__).resolve().parent / "data" / "openreferral"
SERVICE = "group:oruk:ac148810-d857-441c-9679-408f346de14b"
ORG = "org:oruk:d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"


def snapshot(store):
    return list(store.nodes()), list(store.ties()), store.version()


@pytest.mark.parametrize("example", ["service_full.json", "service_list.json",
                                     "organization_full.json", "csv",
                                     "csv/datapackage.json"])
def test_official_examples_give_the_same_directory(example, sqlite_store):
    rep = import_oruk(sqlite_store, EXAMPLES / example)
    assert rep.rejected == 0
    assert rep.unmapped == 1  # the example's location is at lat 100, lon 101: kept, reported
    assert any("no usable location" in n.reason for n in rep.notes)
    service = sqlite_store.get(SERVICE)
    assert service.kind == "Group" and service.name == "Community Counselling"
    assert service.lat is None and service.props["status"] == "active"
    assert "mental_health" in service.props["needs"]
    org = sqlite_store.get(ORG)
    assert org.kind == "Organisation" and org.name == "Example Organization Inc."
    assert sqlite_store.get_tie(ORG, SERVICE, "RUNS")


def test_json_and_tabular_package_agree(tmp_path):
    a, b = SQLiteStore(tmp_path / "a.db"), SQLiteStore(tmp_path / "b.db")
    import_oruk(a, EXAMPLES / "service_full.json")
    import_oruk(b, EXAMPLES / "csv")
    for x, y in zip(a.nodes(), b.nodes(), strict=True):
        assert (x.id, x.kind, x.name, x.lat) == (y.id, y.kind, y.name, y.lat)
        assert x.props.get("needs") == y.props.get("needs")
    assert list(a.ties()) == list(b.ties())
    a.close()
    b.close()


def test_organisation_list_page(sqlite_store):
    rep = import_oruk(sqlite_store, EXAMPLES / "organization_list.json")
    assert rep.read == 1 and rep.written == 1
    assert sqlite_store.get(ORG).props["website"] == "http://example.com"


def _service(sid: str, name: str, **extra) -> dict:
    return {"id": sid, "name": name, "status": "active", **extra}


def _located(lat, lon) -> list[dict]:
    return [{"id": "sal", "location": {"id": "loc", "location_type": "physical",
                                       "latitude": lat, "longitude": lon}}]


def test_html_tags_locations_and_bad_records(tmp_path, sqlite_store):
    page = {"total_items": 5, "page_number": 1, "size": 5, "contents": [
        _service("s1", "Tuesday Health Walk",
                 description="<p>A gentle <b>walk</b> &amp; a chat.</p><script>alert(1)"
                             "</script><ul><li>For carers</li></ul>",
                 service_at_locations=_located(53.44, -2.35),
                 attributes=[{"id": "a", "taxonomy_term": {"id": "t", "name": "Befriending",
                                                           "description": "d"}}],
                 cost_options=[{"id": "c", "amount": 0}]),
        _service("s2", "Swapped Choir", service_at_locations=_located(-2.35, 53.44)),
        {"id": "s3", "status": "active"},
        "not an object",
        _service("s4", "Closed Club", status="defunct")]}
    path = tmp_path / "services.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    rep = import_oruk(sqlite_store, path)
    assert (rep.read, rep.rejected, rep.unmapped) == (5, 2, 2)
    assert {(r.where, r.field) for r in rep.rejections} == {("$.contents[2]", "name"),
                                                            ("$.contents[3]", "record")}
    walk = sqlite_store.get("group:oruk:s1")
    assert walk.props["description"] == "A gentle walk & a chat.\nFor carers"
    assert walk.props["activities"] == ["coffee_and_chat", "walking"]
    assert {"carer_support", "loneliness"} <= set(walk.props["needs"])
    assert (walk.lat, walk.lon, walk.props["cost"]) == (53.44, -2.35, "free")
    assert any("swapped" in n.reason for n in rep.notes)
    assert sqlite_store.get("group:oruk:s4").props["status"] == "closed"


def test_html_to_text():
    assert html_to_text("<div>Line one<br>Line&nbsp;two</div><style>p{}</style>") == \
        "Line one\nLine two"
    assert html_to_text("plain & simple") == "plain & simple"
    assert html_to_text(None) == ""


def test_org_level_service_folds_into_the_organisation(tmp_path, sqlite_store):
    rec = _service("s9", "Trafford Carers Centre",
                   organization={"id": "o9", "name": "Trafford Carers Centre",
                                 "description": "Support for carers"},
                   service_at_locations=_located(53.45, -2.3))
    path = tmp_path / "one.json"
    path.write_text(json.dumps(rec), encoding="utf-8")
    import_oruk(sqlite_store, path)
    assert sqlite_store.count("Group") == 0
    org = sqlite_store.get("org:oruk:o9")
    assert org.lat == 53.45 and "carer_support" in org.props["needs"]


def test_service_of_an_unknown_organisation_is_kept_without_the_tie(tmp_path, sqlite_store):
    path = tmp_path / "s.json"
    path.write_text(json.dumps([_service("s1", "Walkers", organization_id="nowhere")]))
    rep = import_oruk(sqlite_store, path)
    assert sqlite_store.count("Group") == 1 and sqlite_store.count_ties() == 0
    assert any(n.field == "organization_id" for n in rep.notes)


@pytest.mark.parametrize("content, message", [
    ('{"hello": "world"}', "not Open Referral UK JSON"),
    ("[1, 2, 3]", "not Open Referral UK JSON"),
    ("{broken", "not valid JSON"),
])
def test_json_that_is_not_oruk(tmp_path, sqlite_store, content, message):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        import_oruk(sqlite_store, path)


def test_folder_that_is_not_a_package(tmp_path, sqlite_store):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "readme.csv").write_text("a\n1\n")
    with pytest.raises(ValidationError, match="not an Open Referral data package"):
        import_oruk(sqlite_store, tmp_path / "pkg")


def test_dry_run_rerun_and_failure(tmp_path):
    class FailingStore(SQLiteStore):
        fail = False

        def upsert_ties(self, ties):
            if self.fail:
                raise RuntimeError("interrupted")
            return super().upsert_ties(ties)

    store = FailingStore(tmp_path / "s.db")
    rep = import_oruk(store, EXAMPLES / "service_full.json", dry_run=True)
    assert rep.written == 3 and store.count() == 0
    import_oruk(store, EXAMPLES / "service_full.json")
    first = snapshot(store)
    import_oruk(store, EXAMPLES / "service_full.json")
    assert snapshot(store) == first
    store.delete(SERVICE)
    before = snapshot(store)
    store.fail = True
    with pytest.raises(RuntimeError):
        import_oruk(store, EXAMPLES / "service_full.json")
    assert snapshot(store) == before  # the group written before the tie failed was rolled back
    store.close()


def test_export_validates_against_the_oruk_schemas(tmp_path, sqlite_store):
    sqlite_store.upsert_nodes([
        Node("org:ulo1", "Organisation", "Example ULO", lat=53.45, lon=-2.3,
             props={"org_kind": "ulo", "website": "https://example.org",
                    "email": "hello@example.org", "description": "A user-led organisation"}),
        Node("group:walk", "Group", "Example Walk", lat=53.44, lon=-2.31,
             props={"activities": ["walking"], "needs": ["loneliness"], "cost": "free",
                    "status": "closed"}),
        Node("group:alone", "Group", "Lone Choir", props={"activities": ["singing"]}),
        Node("person:1", "Person", "Secret Person", lat=53.4, lon=-2.3)])
    sqlite_store.upsert_ties([Tie("org:ulo1", "group:walk", "RUNS")])
    import_oruk(sqlite_store, EXAMPLES / "service_full.json")
    records = export_oruk(sqlite_store)
    validate_oruk(records)
    text = json.dumps(records)
    assert "Secret Person" not in text
    names = {r["name"] for r in records}
    assert names == {"Example ULO", "Example Organization Inc.", "Lone Choir"}
    ulo = next(r for r in records if r["name"] == "Example ULO")
    (walk,) = ulo["services"]
    assert walk["status"] == "inactive"
    assert walk["service_at_locations"][0]["location"]["latitude"] == 53.44
    out = tmp_path / "directory.json"
    assert write_oruk(sqlite_store, out) == 3
    bad = [{"id": "not-a-uuid", "name": "x", "status": "active"}]
    with pytest.raises(ValidationError, match="does not fit ORUK"):
        validate_oruk(bad)


def test_import_export_import_is_the_identity(tmp_path):
    first = SQLiteStore(tmp_path / "a.db")
    for example in ("service_full.json", "organization_list.json"):
        import_oruk(first, EXAMPLES / example)
    page = [_service("7d7c4f47-1bd2-4c8a-9e2b-0d1f3c9a9a01", "Sale Ramblers",
                     description="<p>Rambling for all</p>",
                     service_at_locations=_located(53.43, -2.32)),
            _service("7d7c4f47-1bd2-4c8a-9e2b-0d1f3c9a9a02", "Knit and natter",
                     status="inactive")]
    (tmp_path / "extra.json").write_text(json.dumps(page))
    import_oruk(first, tmp_path / "extra.json")
    out = tmp_path / "out.json"
    write_oruk(first, out)
    second = SQLiteStore(tmp_path / "b.db")
    rep = import_oruk(second, out)
    assert rep.rejected == 0
    assert list(second.nodes()) == list(first.nodes())
    assert list(second.ties()) == list(first.ties())
    first.close()
    second.close()


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "name", "status", "contents", "description", "organization",
                         "service_at_locations", "location", "latitude", "longitude",
                         "services", "attributes", "taxonomy_term", "x"]), inner, max_size=6),
    max_leaves=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_imports_or_is_reported(value):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump.json"
        path.write_text(json.dumps(value), encoding="utf-8")
        store = SQLiteStore(Path(tmp) / "s.db")
        try:
            try:
                rep = import_oruk(store, path)
            except ValidationError:
                assert store.count() == 0
                return
            assert rep.rejected <= rep.read
            assert store.count() <= rep.read
            validate_oruk(export_oruk(store))
        finally:
            store.close()


def test_examples_are_copied_with_their_licence():
    assert "Creative Commons" in (EXAMPLES / "LICENSE").read_text(encoding="utf-8")


def test_absurdly_nested_json_is_refused(tmp_path, sqlite_store):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValidationError, match="nested too deeply"):
        import_oruk(sqlite_store, path)
