"""Every import/export verb run for real in a subprocess on temporary files and stores."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from assetmap.graph.store.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
WARDS = ROOT / "assetmap/demo/data/trafford_ward_2023_generalised.geojson"
ORUK = ROOT / "tests/data/openreferral/service_full.json"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, ASSETMAP_HOME=str(cwd / "home"))
    env.pop("ASSETMAP_STORE", None)
    return subprocess.run([sys.executable, "-m", "assetmap.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=cwd)


def test_every_import_verb_end_to_end(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    out = run_cli("templates", str(tmp_path / "t"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "t" / "people.csv").exists()

    out = run_cli("import", "boundaries", "--store", url, str(WARDS), "--level", "ward",
                  "--report", str(tmp_path / "b.csv"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("boundaries import of") and "rejected 0" in out.stdout

    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "name", "Post Code"], ["p1", "Example A", "M15 4AB"],
                                  ["p2", "Example B", "nope"]])
    out = run_cli("import", "spreadsheet", "--store", url, str(people), "--dry-run", cwd=tmp_path)
    assert out.returncode == 0 and "dry run" in out.stdout
    report = tmp_path / "report.csv"
    out = run_cli("import", "spreadsheet", "--store", url, str(people), "--report", str(report),
                  cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "wrote 2 (2 new, 0 changed, 0 unchanged), rejected 0" in out.stdout
    rows = list(csv.DictReader(report.open(encoding="utf-8")))  # a bad postcode: kept, a note
    assert (rows[0]["status"], rows[0]["where"], rows[0]["field"]) == ("note", "line 3",
                                                                      "postcode")

    lookup = tmp_path / "pc.csv"
    lookup.write_text("pcds,lat,long\nM15 4AB,53.465578,-2.26046\n", encoding="utf-8")
    out = run_cli("import", "postcodes", "--store", url, str(lookup), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "placed 1 of 1" in out.stdout

    out = run_cli("import", "spreadsheet", "--store", url, str(people), cwd=tmp_path)
    assert out.returncode == 0, out.stderr  # merge: the placed person keeps their place
    assert "wrote 0 (0 new, 0 changed, 2 unchanged)" in out.stdout
    changed = tmp_path / "people_health.csv"
    changed.write_text("id,health\np1,fair\n", encoding="utf-8")
    out = run_cli("import", "spreadsheet", "--store", url, str(changed), "--kind", "people",
                  cwd=tmp_path)
    assert "1 changed (health 1)" in out.stdout and "changed line 2: health" in out.stdout
    out = run_cli("import", "spreadsheet", "--store", url, str(changed), "--kind", "people",
                  "--namespace", "north", cwd=tmp_path)
    assert "1 new" in out.stdout  # person:north:p1, beside person:p1

    out = run_cli("import", "oruk", "--store", url, str(ORUK), cwd=tmp_path)
    assert out.returncode == 0 and "1 without a location" in out.stdout

    out = run_cli("export-oruk", "--store", url, str(tmp_path / "dir.json"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert len(json.loads((tmp_path / "dir.json").read_text())) == 1
    out = run_cli("import", "oruk", "--store", url, str(tmp_path / "dir.json"), cwd=tmp_path)
    assert out.returncode == 0 and "0 new, 0 changed, 3 unchanged" in out.stdout, out.stdout
    version = SQLiteStore(tmp_path / "a.db")  # (the first import of dir.json named its source)
    before = version.version()
    version.close()
    out = run_cli("import", "oruk", "--store", url, str(tmp_path / "dir.json"), cwd=tmp_path)
    assert out.returncode == 0 and "0 new, 0 changed, 3 unchanged" in out.stdout, out.stdout
    out = run_cli("import", "oruk", "--store", url, "http://127.0.0.1:9/api", "--timeout", "2",
                  cwd=tmp_path)
    assert out.returncode == 1 and "could not be read" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1

    store = SQLiteStore(tmp_path / "a.db")
    assert store.version() == before
    person = store.get("person:p1")
    assert person.lat == 53.465578 and person.area is not None  # placed by spatial join
    assert store.get(person.area).props["level"] == "ward"
    store.close()


def test_failures_exit_1_with_one_sentence(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    out = run_cli("import", "oruk", "--store", url, str(bad), cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "not Open Referral UK JSON" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    empty = tmp_path / "groups.csv"
    empty.write_bytes(b"")
    out = run_cli("import", "spreadsheet", "--store", url, str(empty), cwd=tmp_path)
    assert out.returncode == 1 and "is empty" in out.stderr
