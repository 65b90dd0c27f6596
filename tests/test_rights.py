"""A person's rights, on a real SQLite store file: export everything held about them (JSON + CSV,
with audit references), and erasure that leaves nothing findable by name — in the store, its
file on disk, or any export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from access_backends import ACCESS_BACKENDS, open_access
from click.testing import CliRunner

from assetmap.cli import main
from assetmap.errors import NotFoundError, ValidationError
from assetmap.governance import audit, privacy, rights
from assetmap.governance.access import AccessDB, User
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie

CANARY = "Quentin Canarywhistle"
FRIEND = "Petronella Otherperson"
POSTCODE = "M33 7ZZ"
LAT, LON = 53.4243917, -2.3231129
ADMIN = User("root", "admin")


def _build(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    store.upsert_nodes([
        Node("person:c1", "Person", CANARY, None, LAT, LON,
             {"synthetic": True, "postcode": POSTCODE, "needs": ["physical_disability"],
              "interests": ["walking"], "consent": {"suggest": True, "map": False}}),
        Node("person:c2", "Person", FRIEND, None, 53.43, -2.33,
             {"synthetic": True, "postcode": "M33 1AA"}),
        Node("group:g1", "Group", "=HYPERLINK(\"http://evil\")", None, 53.42, -2.32,
             {"activities": ["walking"]}),
        Node("group:g2", "Group", "Sale Walking Group", None, 53.42, -2.31, {}),
    ])
    store.upsert_ties([
        Tie("person:c1", "person:c2", "FRIEND", {}),
        Tie("person:c1", "group:g1", "ATTENDS", {"since": "2024"}),
        Tie("person:c1", "group:g2", "REFERRED_TO", {"status": "suggested", "by": "ann"}),
    ])
    return store


@pytest.fixture(params=ACCESS_BACKENDS)
def setup(request, tmp_path: Path, monkeypatch):
    """A store, and its access data on each backend (a SQLite file; nodes on the Bolt server)."""
    store = _build(tmp_path / "store.db")
    if request.param == "sqlite":
        opened = iter([AccessDB(tmp_path / "store.db.access.db")])
    else:
        opened = open_access(request.param, tmp_path, request, monkeypatch)
    access = next(opened)
    access.add_user("ann", "coordinator", "a long enough password")
    access.add_to_caseload("ann", ["person:c1", "person:c2"])
    audit.record(access, access.user("ann"), "view", "person:c1")
    yield store, access, tmp_path
    access.close()
    store.close()


def _all_text(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*"))
                     if p.is_file())


def test_export_holds_everything_about_the_person(setup):
    store, access, tmp = setup
    paths = rights.export_person(store, access, "person:c1", tmp / "out", ADMIN, reason="SAR 1")
    assert sorted(p.suffix for p in paths) == [".csv", ".json"]
    record = json.loads(paths[0].read_text())
    assert record["name"] == CANARY and record["fields"]["needs"] == ["physical_disability"]
    assert record["consent"] == {"suggest": True, "map": False}
    assert record["lawful_basis"] == "direct_care"
    assert {(t["kind"], t["other_id"]) for t in record["ties"]} == {
        ("FRIEND", "person:c2"), ("ATTENDS", "group:g1")}
    assert [(r["other_id"], r["status"]) for r in record["referrals"]] == [
        ("group:g2", "suggested")]
    assert record["caseloads"] == ["ann"]
    # Audit references: the earlier view and this export itself.
    assert [(a["user"], a["action"]) for a in record["audit"]] == [("ann", "view")]
    assert [(e.action, e.reason) for e in audit.events(access, person="person:c1")][-1] == \
        ("export", "SAR 1")
    text = _all_text(tmp / "out")
    # Another person's name is theirs, and the exact home is left out by default.
    assert FRIEND not in text
    assert POSTCODE not in text and str(LAT) not in text and str(LON) not in text
    # The CSV opens safely in a spreadsheet.
    with paths[1].open(newline="", encoding="utf-8") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert not any(c.startswith(privacy.FORMULA_PREFIXES) for c in cells)


def test_the_persons_own_copy_may_include_their_location(setup):
    store, access, tmp = setup
    rights.export_person(store, access, "person:c1", tmp / "own", ADMIN, include_location=True)
    text = _all_text(tmp / "own")
    assert POSTCODE in text and str(LAT) in text


def test_bulk_export_needs_a_reason(setup):
    store, access, tmp = setup
    with pytest.raises(ValidationError, match="reason"):
        rights.export_people(store, access, ["person:c1", "person:c2"], tmp / "b", ADMIN, "  ")
    assert not (tmp / "b").exists()
    paths = rights.export_people(store, access, ["person:c1", "person:c2"], tmp / "b", ADMIN,
                                 "audit by the DPO")
    assert len(paths) == 4
    outcomes = [(e.action, e.outcome) for e in audit.events(access, user="root")]
    assert outcomes == [("bulk_export", "denied"), ("bulk_export", "allowed"),
                        ("export", "allowed"), ("export", "allowed")]


def test_erasure_leaves_nothing_findable_by_name(setup):
    from assetmap.ingest.openreferral import write_oruk

    store, access, tmp = setup
    tombstone = rights.erase_person(store, access, "person:c1", ADMIN, reason="erasure request")
    assert tombstone.startswith("erased:") and "person:c1" not in tombstone
    with pytest.raises(NotFoundError):
        store.get("person:c1")
    assert list(store.find("Person", name=CANARY)) == []
    assert all(n.name != CANARY for n in store.nodes())
    assert all("person:c1" not in (t.src, t.dst) for t in store.ties())
    assert store.neighbours("group:g1") == []
    assert "person:c1" not in access.user("ann").caseload
    assert [t for t, _ in access.tombstones()] == [tombstone]
    # Not even in the file's free pages or write-ahead log.
    for suffix in ("", "-wal"):
        raw = Path(str(tmp / "store.db") + suffix)
        if raw.exists():
            data = raw.read_bytes()
            assert CANARY.encode() not in data and POSTCODE.encode() not in data
    # Nor in any export made afterwards: the friend's record, the directory export.
    rights.export_person(store, access, "person:c2", tmp / "after", ADMIN)
    write_oruk(store, tmp / "after" / "directory.json")
    assert CANARY not in _all_text(tmp / "after")
    with pytest.raises(NotFoundError):
        rights.export_person(store, access, "person:c1", tmp / "after2", ADMIN)
    # The audit log (ids and actions only) keeps the erasure; it holds no name.
    assert ("erase", "allowed") in [(e.action, e.outcome)
                                    for e in audit.events(access, person="person:c1")]
    if access.backend.kind == "sqlite":
        assert CANARY.encode() not in (tmp / "store.db.access.db").read_bytes()


def test_erasing_someone_not_there_is_not_found(setup):
    store, access, _ = setup
    with pytest.raises(NotFoundError):
        rights.erase_person(store, access, "group:g1", ADMIN)  # not a person
    assert store.get("group:g1").kind == "Group"


def test_person_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    _build(tmp_path / "store.db").close()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    out = runner.invoke(main, ["person", "export", "person:c1", "--out", str(tmp_path / "x"),
                               "--store", url])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "x" / "person_c1.json").exists()
    assert (tmp_path / "x" / "person_c1.csv").exists()
    out = runner.invoke(main, ["person", "export", "person:c1", "person:c2", "--out",
                               str(tmp_path / "y"), "--store", url])
    assert out.exit_code == 1 and "reason" in out.output
    out = runner.invoke(main, ["person", "erase", "person:c1", "--store", url], input="n\n")
    assert out.exit_code == 1  # not confirmed: nothing erased
    store = SQLiteStore(tmp_path / "store.db")
    assert store.get("person:c1").name == CANARY
    store.close()
    out = runner.invoke(main, ["person", "erase", "person:c1", "--yes", "--store", url])
    assert out.exit_code == 0 and "tombstone erased:" in out.output
    out = runner.invoke(main, ["person", "export", "person:c1", "--out", str(tmp_path / "z"),
                               "--store", url])
    assert out.exit_code == 1 and "No person" in out.output
    log = runner.invoke(main, ["audit", "--store", url, "--person", "person:c1", "--json"])
    actions = [(json.loads(line)["action"], json.loads(line)["outcome"])
               for line in log.output.splitlines()]
    assert actions == [("export", "allowed"), ("erase", "allowed"), ("export", "failed")]


def test_no_export_holds_a_persons_home(tmp_path, monkeypatch):
    """Area reports (`assetmap analyse`) and a person's record export never hold a person's
    postcode or exact coordinates: a canary person with a unique home is looked for in every
    file written."""
    from assetmap.demo.build import build_demo

    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    store = SQLiteStore(tmp_path / "demo.db")
    build_demo(store, people=500, seed=3)
    someone = next(store.find("Person"))
    home_lat, home_lon, home_pc = 53.4412345, -2.3412345, "ZZ99 7QX"
    store.upsert_nodes([Node("person:canary", "Person", CANARY, someone.area, home_lat,
                             home_lon, {"synthetic": True, "postcode": home_pc,
                                        "consent": {"suggest": True, "map": True}})])
    store.upsert_ties([Tie("person:canary", someone.id, "FRIEND", {})])
    store.close()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    for args in (["analyse", "--out", str(tmp_path / "reports")],
                 ["analyse", "--out", str(tmp_path / "reports_lsoa"), "--level", "lsoa"],
                 ["person", "export", "person:canary", "--out", str(tmp_path / "sar")],
                 ["person", "export", someone.id, "--out", str(tmp_path / "sar")]):
        result = runner.invoke(main, [*args, "--store", url])
        assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in {".csv", ".json",
                                                                            ".geojson"}]
    assert len(written) >= 6
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert home_pc not in text and home_pc.replace(" ", "") not in text, path.name
        for digits in (6, 7):  # fewer digits match boundary vertices by chance
            assert f"{home_lat:.{digits}f}" not in text, path.name
            assert f"{home_lon:.{digits}f}" not in text, path.name
        if "sar" not in path.parts:
            assert CANARY not in text, path.name
