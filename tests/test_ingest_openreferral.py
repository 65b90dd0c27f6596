"""Open Referral UK / HSDS 3.0 import (official examples) and export (validated vs ORUK 3.0)."""

from __future__ import annotations

import json
import shutil
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
    assert walk.props["activities_inferred"] == [{"activity": "walking", "from": "health walk"}]
    assert walk.props["needs"] == ["loneliness"]  # the taxonomy term beats the description
    assert (walk.lat, walk.lon, walk.props["cost"]) == (53.44, -2.35, "free")
    assert any("swapped" in n.reason for n in rep.notes)
    assert sqlite_store.get("group:oruk:s4").props["status"] == "closed"


def test_html_to_text():
    assert html_to_text("<div>Line one<br>Line&nbsp;two</div><style>p{}</style>") == \
        "Line one\nLine two"
    assert html_to_text("plain & simple") == "plain & simple"
    assert html_to_text(None) == ""


def test_a_service_named_like_its_organisation_is_its_own_record(tmp_path, sqlite_store):
    """Why: real feeds' org-level services were folded into the organisation, losing their
    description, url and e-mail, and two of them collapsed into one with no report."""
    org = {"id": "o9", "name": "Trafford Carers Centre", "url": "https://carers.example.org",
           "description": "Support for carers"}
    page = [_service("s9", "Trafford Carers Centre", organization=org,
                     description="Advice and breaks for carers", url="https://example.org/s9",
                     email="s9@example.org", service_at_locations=_located(53.45, -2.3)),
            _service("s10", "Trafford Carers Centre", organization_id="o9",
                     description="Young carers club", email="s10@example.org")]
    path = tmp_path / "two.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    rep = import_oruk(sqlite_store, path)
    assert sqlite_store.count("Group") == 2 and sqlite_store.count("Organisation") == 1
    s9, s10 = sqlite_store.get("group:oruk:s9"), sqlite_store.get("group:oruk:s10")
    assert (s9.props["description"], s9.props["website"], s9.props["email"]) == (
        "Advice and breaks for carers", "https://example.org/s9", "s9@example.org")
    assert s10.props["email"] == "s10@example.org"
    assert sqlite_store.get("org:oruk:o9").props["website"] == "https://carers.example.org"
    assert sqlite_store.get_tie("org:oruk:o9", "group:oruk:s9", "RUNS")
    assert sqlite_store.get_tie("org:oruk:o9", "group:oruk:s10", "RUNS")
    assert rep.rejected == 0


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


# --- issue 12: kept whole, structured terms first, exact round trips, versions, live feeds -----

HSDS1 = EXAMPLES / "hsds1_csv"


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_service_keeps_its_contacts_schedules_fees_audience_and_terms(sqlite_store):
    rep = import_oruk(sqlite_store, EXAMPLES / "service_full.json")
    s = sqlite_store.get(SERVICE).props
    assert s["phone"] == "+44 1234 234567"
    assert s["meets"].startswith("The service is available from 10 am to 6pm weekdays")
    assert s["schedules"][0]["byday"] == "TH,FR" and s["schedules"][0]["opens_at"] == "10:00:00"
    assert s["fees"].startswith("Non-NHS patients are expected to pay")
    assert s["eligibility"].startswith("This service is intended for all people aged 12")
    assert (s["min_age"], s["max_age"]) == (12, 100)
    assert s["languages"] == ["Urdu"] and len(s["service_areas"]) == 1
    assert s["access"] == ["hearing_loop", "step_free"] and "induction loops" in \
        s["accessibility"]
    assert s["taxonomy"] == [{"vocabulary": "taxonomy", "code": "code", "name": "name"}]
    assert s["website"] == "http://example.com/counselling"
    assert sqlite_store.get(ORG).props["website"] == "http://example.com"
    dropped = {n.field for n in rep.notes if "not kept" in n.reason}
    assert {"contacts", "funding", "required_documents"} <= dropped


def test_audience_maps_to_needs_and_is_kept_verbatim(tmp_path, sqlite_store):
    rec = _service("a1", "Tuesday Club", target_audience=["Carers", "Older people", "Adults"],
                   eligibility_description="Anyone who looks after someone")
    import_oruk(sqlite_store, _write(tmp_path, "a.json", [rec]))
    props = sqlite_store.get("group:oruk:a1").props
    assert props["audience"] == ["Carers", "Older people", "Adults"]
    assert props["needs"] == ["carer_support", "older_people"] and "needs_inferred" not in props
    assert props["eligibility"] == "Anyone who looks after someone"


def test_free_text_guesses_are_whole_words_marked_and_beaten_by_terms(tmp_path, sqlite_store):
    """Why: "Baby Massage" was tagged money advice because its text says "benefits"."""
    baby = _service("b1", "Baby Massage", description="Learn the benefits of massage for your "
                    "baby; a short break for parents and a chat over tea.")
    walk = _service("b2", "Riverside Walk", description="A walk for anyone feeling isolated.")
    advice = _service("b3", "Baby Massage and Money", description="The benefits of massage.",
                      attributes=[{"id": "x", "taxonomy_term": {
                          "id": "t", "name": "Benefits advice", "taxonomy": "council"}}])
    import_oruk(sqlite_store, _write(tmp_path, "b.json", [baby, walk, advice]))
    b1 = sqlite_store.get("group:oruk:b1").props
    assert "money_advice" not in b1["needs"] and "carer_support" not in b1["needs"]
    b2 = sqlite_store.get("group:oruk:b2").props
    assert b2["activities"] == ["walking"] and b2["needs"] == ["loneliness"]
    assert b2["activities_inferred"] == [{"activity": "walking", "from": "walk"}]
    assert b2["needs_inferred"] == [{"need": "loneliness", "from": "isolated"}]
    b3 = sqlite_store.get("group:oruk:b3").props
    assert "money_advice" in b3["needs"] and "needs_inferred" not in b3  # structured


def _demo_like(store) -> None:
    store.upsert_nodes([
        Node("org:trafford:ulo", "Organisation", "Example ULO", "E01000001", 53.4512345678,
             -2.3, {"org_kind": "ulo", "user_led": True, "website": "https://ulo.example.org",
                    "description": "Line one\n\nLine   two", "funding": "at_risk"}),
        Node("group:trafford:walk", "Group", "Example Walk", None, 53.44, -2.31,
             {"activities": ["walking"], "needs": [], "cost": "low", "status": "at_risk",
              "meets": "Tuesdays 10:00", "access": ["step_free", "bsl"], "synthetic": True}),
        Node("group:trafford:choir", "Group", "", None, None, None,
             {"activities": ["singing"], "needs": ["loneliness"],
              "needs_inferred": [{"need": "loneliness", "from": "lonely"}]})])
    store.upsert_ties([Tie("org:trafford:ulo", "group:trafford:walk", "RUNS",
                           {"since": "2020"})])


def test_export_then_import_into_the_same_store_changes_nothing(tmp_path, sqlite_store):
    """Why: export-oruk then import oruk on the demo doubled every group and organisation."""
    _demo_like(sqlite_store)
    import_oruk(sqlite_store, EXAMPLES / "service_full.json")
    before = snapshot(sqlite_store)
    out = tmp_path / "dir.json"
    write_oruk(sqlite_store, out)
    rep = import_oruk(sqlite_store, out)
    assert snapshot(sqlite_store) == before, rep.sample_diff()
    assert rep.new == 0 and rep.changed == 0 and rep.rejected == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    codes = {a["taxonomy_term"]["code"] for r in records for s in [r, *r.get("services", [])]
             for a in s.get("attributes", []) if a["taxonomy_term"].get("taxonomy") == "assetmap"}
    assert {"activity:walking", "need:loneliness", "record"} <= codes


def test_export_then_import_into_an_empty_store_gives_the_same_records(tmp_path, sqlite_store):
    _demo_like(sqlite_store)
    import_oruk(sqlite_store, EXAMPLES / "service_full.json")
    out = tmp_path / "dir.json"
    write_oruk(sqlite_store, out)
    other = SQLiteStore(tmp_path / "other.db")
    try:
        import_oruk(other, out)
        assert list(other.nodes()) == list(sqlite_store.nodes())
        assert list(other.ties()) == list(sqlite_store.ties())
    finally:
        other.close()


def vocab_interests() -> list[str]:
    from assetmap import vocab

    return list(vocab.INTERESTS)


_words = st.text(st.sampled_from("abc xyz\n<&é"), max_size=12)
_groups = st.lists(st.fixed_dictionaries({
    "name": _words, "lat": st.none() | st.floats(50, 55), "status": st.sampled_from(
        [None, "active", "at_risk", "closed"]),
    "activities": st.lists(st.sampled_from(sorted(vocab_interests())), max_size=3, unique=True),
    "needs": st.lists(st.sampled_from(["loneliness", "money_advice", "carer_support"]),
                      max_size=2, unique=True),
    "description": st.none() | _words, "website": st.none() | st.just("https://x.example"),
    "cost": st.sampled_from([None, "free", "low", "paid"]), "runs": st.booleans(),
    "extra": st.none() | st.integers(-5, 5)}), max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_groups, st.booleans())
def test_round_trip_is_exact_over_random_stores(groups, with_org):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = SQLiteStore(Path(tmp) / "a.db"), SQLiteStore(Path(tmp) / "b.db")
        try:
            if with_org:
                a.upsert_nodes([Node("org:x", "Organisation", "Org", props={"org_kind": "ulo"})])
            for i, g in enumerate(groups):
                props = {k: g[k] for k in ("status", "activities", "needs", "description",
                                           "website", "cost", "extra") if g[k] is not None}
                lat = g["lat"]
                a.upsert_nodes([Node(f"group:{i}", "Group", g["name"], None, lat,
                                     None if lat is None else -2.0, props)])
                if with_org and g["runs"]:
                    a.upsert_ties([Tie("org:x", f"group:{i}", "RUNS")])
            out = Path(tmp) / "dir.json"
            write_oruk(a, out)
            version = a.version()
            assert import_oruk(a, out).changed == 0 and a.version() == version
            import_oruk(b, out)
            assert list(b.nodes()) == list(a.nodes())
            assert list(b.ties()) == list(a.ties())
        finally:
            a.close()
            b.close()


def test_an_hsds_1x_csv_package_is_converted_with_its_links(sqlite_store):
    """Why: a 1.0-era package was accepted as ORUK 3.0 with no links and no coordinates."""
    rep = import_oruk(sqlite_store, HSDS1)
    assert rep.rejected == 0 and any("HSDS 1.x" in n.reason for n in rep.notes)
    walk = sqlite_store.get("group:oruk:svc-1")
    assert (walk.lat, walk.lon) == (53.4501, -2.3102)  # via services_at_location.csv
    assert walk.props["phone"] == "01610000000" and walk.props["meets"] == "Tuesday 10:00-12:00"
    assert walk.props["taxonomy"] == [{"vocabulary": "example-council", "code": "tax-1",
                                       "name": "Befriending"}]
    assert walk.props["cost"] == "free" and "loneliness" in walk.props["needs"]
    knit = sqlite_store.get("group:oruk:svc-2")
    assert (knit.lat, knit.lon) == (53.4402, -2.3201)  # via services.location_id
    assert knit.props["activities"] == ["crafts", "coffee_and_chat"] or \
        "crafts" in knit.props["activities"]
    assert sqlite_store.get("org:oruk:org-1").props["website"] == "https://trust.example.org"
    assert sqlite_store.count_ties("RUNS") == 2


def test_a_package_that_cannot_be_converted_is_refused_naming_its_version(tmp_path,
                                                                           sqlite_store):
    pkg = tmp_path / "old"
    shutil.copytree(HSDS1, pkg)
    (pkg / "services_at_location.csv").unlink()
    (pkg / "services.csv").write_text("id,location_id,name\nsvc-9,,Loose Service\n",
                                      encoding="utf-8")
    with pytest.raises(ValidationError, match=r"HSDS 1\.x package, but none of its services"):
        import_oruk(sqlite_store, pkg)
    assert sqlite_store.count() == 0
    new = tmp_path / "new"
    shutil.copytree(EXAMPLES / "csv", new)
    meta = json.loads((new / "datapackage.json").read_text(encoding="utf-8"))
    (new / "datapackage.json").write_text(json.dumps({**meta, "version": "4.0"}))
    with pytest.raises(ValidationError, match="version 4.0, which assetmap cannot read"):
        import_oruk(sqlite_store, new)


def test_an_oruk_2x_page_is_converted(tmp_path, sqlite_store):
    page = {"totalElements": 1, "totalPages": 1, "number": 1, "content": [{
        "id": "v2-1", "name": "Memory Cafe", "status": "active",
        "organization": {"id": "v2-org", "name": "Example Charity", "url": "https://c.example"},
        "service_taxonomys": [{"id": "x", "taxonomy": {"id": "dem", "name": "Dementia",
                                                       "vocabulary": "esd"}}],
        "regular_schedules": [{"id": "r", "weekday": "Friday", "opens_at": "14:00",
                               "closes_at": "16:00"}],
        "eligibilitys": [{"id": "e", "eligibility": "Carers"}],
        "service_at_locations": [{"id": "s", "location": {"id": "l", "latitude": 53.41,
                                                          "longitude": -2.33}}]}]}
    rep = import_oruk(sqlite_store, _write(tmp_path, "v2.json", page))
    assert any("2.x" in n.reason for n in rep.notes)
    cafe = sqlite_store.get("group:oruk:v2-1")
    assert {"dementia", "carer_support"} <= set(cafe.props["needs"])
    assert cafe.props["meets"] == "Friday 14:00-16:00" and cafe.lat == 53.41
    assert sqlite_store.get_tie("org:oruk:v2-org", "group:oruk:v2-1", "RUNS")
    assert sqlite_store.get("org:oruk:v2-org").props["website"] == "https://c.example"


# --- a live feed, served by a real HTTP server on 127.0.0.1 -------------------------------------

class _Feed:
    """The spec's example service plus a few fictional ones as a paginated ORUK /services API."""

    def __init__(self) -> None:
        import http.server
        import threading

        spec = json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))
        self.services = [spec] + [
            _service(f"feed-{i}", f"Feed Club {i}", last_modified=f"2024-0{i}-01T00:00:00Z",
                     service_at_locations=_located(53.4 + i / 100, -2.3)) for i in range(1, 5)]
        self.asked: list[str] = []
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                from urllib.parse import parse_qs, urlsplit

                parts = urlsplit(self.path)
                feed.asked.append(self.path)
                if parts.path == "/broken/services":
                    body = b"<html>not json</html>"
                elif parts.path != "/api/services":
                    self.send_error(404)
                    return
                else:
                    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    items = [s for s in feed.services if s.get("last_modified", "") >
                             q.get("modified_after", "")]
                    page, per = int(q.get("page", 1)), 2
                    body = json.dumps({
                        "total_items": len(items), "total_pages": max(1, -(-len(items) // per)),
                        "page_number": page, "size": per,
                        "contents": items[(page - 1) * per: page * per]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    f = _Feed()
    yield f
    f.close()


def test_a_live_feed_is_read_page_by_page_then_incrementally(feed, sqlite_store):
    from assetmap.ingest import oruk_feed

    rep = import_oruk(sqlite_store, feed.url + "/api")
    assert rep.rejected == 0 and sqlite_store.count("Group") == 5
    assert sum("page=" in a for a in feed.asked) == 3
    club = sqlite_store.get("group:oruk:feed-1")
    assert club.props["feed"] == feed.url + "/api/services"
    assert oruk_feed.last_modified(sqlite_store, feed.url + "/api/services") == \
        "2024-04-01T00:00:00Z"
    version = sqlite_store.version()
    feed.asked.clear()
    feed.services[1] = {**feed.services[1], "name": "Feed Club One",
                        "last_modified": "2024-05-01T00:00:00Z"}
    rep = import_oruk(sqlite_store, feed.url + "/api")
    assert all("modified_after=2024-04-01" in a for a in feed.asked)
    assert (rep.new, rep.changed, rep.read) == (0, 1, 1)
    assert sqlite_store.get("group:oruk:feed-1").name == "Feed Club One"
    assert sqlite_store.version() == version + 1


def test_a_feed_that_fails_says_so_in_one_sentence(feed, sqlite_store):
    with pytest.raises(ValidationError, match="did not answer with JSON") as bad:
        import_oruk(sqlite_store, feed.url + "/broken")
    assert "\n" not in str(bad.value)
    with pytest.raises(ValidationError, match="answered HTTP 404"):
        import_oruk(sqlite_store, feed.url + "/nowhere")
    feed.close()
    with pytest.raises(ValidationError, match="could not be read"):
        import_oruk(sqlite_store, feed.url + "/api", timeout=2)
    assert sqlite_store.count() == 0
