"""``assetmap analyse``: reports a hub can share hold no person and no small number."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from assetmap.demo.build import build_demo
from assetmap.governance import privacy
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.reports import REPORT_FILES, analyse_store, isolation_by_area
from assetmap.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    store = SQLiteStore(path)
    build_demo(store, people=1500, seed=11)  # Trafford's boundaries go into the store too
    yield store
    store.close()


def _published_ok(value) -> bool:
    text = str(value)
    if text.startswith("<"):
        return True
    n = int(float(text))
    return n == 0 or n >= Settings().suppress_below


def test_analyse_writes_every_report_without_people(demo, tmp_path):
    result = analyse_store(demo, tmp_path / "out")
    assert set(result["files"]) == set(REPORT_FILES)
    people = list(demo.find("Person"))
    names = {p.name for p in people}
    ids = {p.id for p in people}
    postcodes = {p.props.get("postcode") for p in people} - {None}
    for name, path in result["files"].items():
        text = path.read_text(encoding="utf-8")
        assert not any(pid in text for pid in ids), name
        assert not any(f",{n}," in text or f'"{n}"' in text for n in names), name
        assert not any(pc in text for pc in postcodes), name


def test_every_count_of_people_is_suppressed(demo, tmp_path):
    files = analyse_store(demo, tmp_path / "out")["files"]
    iso = pd.read_csv(files["isolation_by_area.csv"], dtype=str)
    assert len(iso) == 21
    # which areas and which boundary year, as the app's downloads say it (issue 17)
    assert list(iso.columns[:3]) == ["area_code", "area_name", "Boundaries"]
    assert len(set(iso["Boundaries"])) == 1 and iso["Boundaries"][0].startswith("Wards (")
    for column in ["isolated", "service-only", "at risk", "some support", "well connected",
                   "people"]:
        assert iso[column].map(_published_ok).all(), column
    gaps = pd.read_csv(files["provision_gaps.csv"], dtype=str)
    assert gaps["people_with_need"].map(_published_ok).all()
    keystones = pd.read_csv(files["keystone_assets.csv"], dtype=str)
    assert keystones["people_tied"].map(_published_ok).all()
    geo = json.loads(files["provision_gaps.geojson"].read_text())
    assert geo["features"] and all(
        f["properties"]["people_with_need_map"] is None
        or not 0 < f["properties"]["people_with_need_map"] < 8 for f in geo["features"])
    # the map values, the median and the Gaps page follow the published (linked) text
    assert gaps["people_without_provider"].map(_published_ok).all()
    for column in ("people_with_need", "people_without_provider"):
        shade = gaps[column].map(privacy.shade_value)
        assert (shade.isna() == gaps[f"{column}_map"].isna()).all()
        assert (shade.dropna() == gaps[f"{column}_map"].dropna().astype(float)).all()
    numeric = gaps["people_with_need"].str.isdigit() & (gaps["people_with_need"] != "0")
    assert gaps.loc[~numeric, "median_nearest_km"].isna().all()
    assert "weighted_providers" in gaps.columns and "weak_provision" in gaps.columns
    from assetmap.graph.store import areas as area_store
    from assetmap.ui.views.gaps import gap_tables

    levels = area_store.area_levels(demo)
    bounds = {lv: area_store.areas(demo, lv) for lv in levels}
    page = gap_tables(demo.to_networkx(), bounds, levels[0])
    assert list(page["People with the need"]) == list(gaps["people_with_need"])
    assert list(page["People with no provider near home"]) == list(
        gaps["people_without_provider"])


def test_isolation_counts_match_the_raw_analysis(demo):
    from assetmap.graph.analysis import isolated_people

    G = demo.to_networkx()
    raw = isolated_people(G)["level"].value_counts()
    table = isolation_by_area(G, "ward")
    for level in ["isolated", "at risk"]:
        published = table[level].map(lambda v: 0 if str(v).startswith("<") else int(v)).sum()
        # rounding to 5 moves each ward's count by at most 2, and "<8" hides at most 7
        assert abs(published - raw.get(level, 0)) <= 7 * len(table)
    assert privacy.publish_count(int(raw["at risk"])) != "0"


def test_cli_analyse_runs_and_fails_readably(demo, tmp_path):
    env = dict(os.environ)
    ok = subprocess.run([sys.executable, "-m", "assetmap.cli", "analyse", "--store",
                         demo.url, "--out", str(tmp_path / "r")], capture_output=True, text=True,
                        env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert f"wrote {len(REPORT_FILES)} files" in ok.stdout
    empty = SQLiteStore(tmp_path / "empty.db")
    empty.close()
    bad = subprocess.run([sys.executable, "-m", "assetmap.cli", "analyse", "--store",
                          f"sqlite:///{tmp_path / 'empty.db'}", "--out", str(tmp_path / "e")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and "no people" in bad.stderr and "Traceback" not in bad.stderr
