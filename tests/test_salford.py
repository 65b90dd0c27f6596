"""A council outside Trafford, as it would bring its files (tests/data/salford/): ONS ward
(WD13CD) and LSOA (no parent column) GeoJSON, OS Code-Point Open postcodes (no header, British
National Grid) and a people spreadsheet (synthetic). Every step is the ``assetmap`` command line.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from assetmap.cli import main
from assetmap.graph.store.areas import area_levels, areas
from assetmap.graph.store.sources import sources
from assetmap.graph.store.sqlite_store import SQLiteStore

DATA = Path(__file__).resolve().parent / "data" / "salford"
WARDS = DATA / "wards_2013_E08000006.geojson"
LSOAS = DATA / "lsoa_2011_E08000006.geojson"
POSTCODES = DATA / "codepoint_open_M_salford.csv.gz"
PEOPLE = DATA / "people.csv"
CREDIT = "Contains OS data © Crown copyright and database right 2016; contains ONS data © " \
         "Crown copyright 2016"


def salford_ward_names() -> set[str]:
    return set(gpd.read_file(WARDS)["WD13NM"])


def run(*args: str) -> str:
    """One ``assetmap`` command; fails the test with its output unless it exits 0."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build_salford(path: Path) -> dict[str, str]:
    """The Salford store, built as a council would (shared with the browser test)."""
    url = f"sqlite:///{path}"
    out = {
        "wards": run("import", "boundaries", "--store", url, str(WARDS), "--source",
                     "ONS wards (2013), UK-GeoJSON", "--licence", f"OGL v3; {CREDIT}"),
        "lsoas": run("import", "boundaries", "--store", url, str(LSOAS), "--source",
                     "ONS LSOAs (2011), UK-GeoJSON", "--licence", f"OGL v3; {CREDIT}"),
        "postcodes": run("import", "postcodes", "--store", url, str(POSTCODES), "--source",
                         "OS Code-Point Open (postcode area M)",
                         "--licence", f"OS OpenData Licence; {CREDIT}"),
        "people": run("import", "spreadsheet", "--store", url, str(PEOPLE), "--kind", "people",
                      "--source", "Example council people list (synthetic)",
                      "--licence", "synthetic test data"),
    }
    return out


@pytest.fixture(scope="module")
def salford(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("salford") / "salford.db"
    return path, build_salford(path)


def test_the_imports_say_what_they_did(salford) -> None:
    _, out = salford
    assert "read 20, wrote 20, rejected 0. Boundaries of 2013." in out["wards"]
    assert "read 150, wrote 150, rejected 0. Boundaries of 2011." in out["lsoas"]
    assert "150 lsoa area(s) nested in wards by geometry; 0 in no ward." in out["lsoas"]
    assert "rejected 0" in out["people"]


def test_analyse_counts_people_in_salfords_wards(salford, tmp_path) -> None:
    path, _ = salford
    output = run("analyse", "--store", f"sqlite:///{path}", "--out", str(tmp_path / "out"))
    assert "analysed 202 people in 20 ward areas (2013 boundaries)" in output
    # two people's postcodes lie outside Salford: counted and warned about, never dropped silently
    assert "Warning: <8 people are in no known area" in output
    table = pd.read_csv(tmp_path / "out" / "isolation_by_area.csv", dtype=str)
    assert set(table["area_name"]) == salford_ward_names()
    people = table["people"]
    assert (people != "0").all()  # every ward has people in it (10 each, published)
    assert sum(int(p) for p in people if p.isdigit()) >= 150
    assert "Trafford" not in (tmp_path / "out" / "provision_gaps.csv").read_text("utf-8")


def test_copy_carries_the_boundaries_and_sources(salford, tmp_path) -> None:
    path, _ = salford
    target = tmp_path / "copy.db"
    output = run("copy", "--from", f"sqlite:///{path}", "--to", f"sqlite:///{target}")
    assert "area boundaries went too (150 lsoa, 20 ward)" in output
    with SQLiteStore(path) as a, SQLiteStore(target) as b:
        assert area_levels(b) == ["lsoa", "ward"]
        assert len(areas(b, "ward")) == 20 and len(areas(b, "lsoa")) == 150
        assert set(areas(b, "ward")["area_name"]) == salford_ward_names()
        assert areas(b).drop(columns="geometry").equals(areas(a).drop(columns="geometry"))
        assert sources(b) == sources(a)
        assert not any("Trafford" in s["source"] for s in sources(b))
    output = run("analyse", "--store", f"sqlite:///{target}", "--out", str(tmp_path / "o2"))
    assert "in 20 ward areas (2013 boundaries)" in output
