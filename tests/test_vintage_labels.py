"""Every figure by area names its boundary year (issue 17): "Wards (2023 boundaries)" on the map's
legend and tooltips, the map image's title, the one-page area profile and its chart, and the
Map, Gaps and Resilience pages; "boundary year not recorded" where the store does not say. On
real SQLite store files with areas imported with and without a vintage."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import signed_in
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from assetmap import explain
from assetmap.graph.analysis import isolated_people, keystone_assets
from assetmap.graph.store.areas import UNKNOWN_VINTAGE, geometry_text, level_label
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node, Tie
from assetmap.render import maps

VIEWS = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
KNOWN = "Wards (2023 boundaries)"
UNKNOWN = f"Wards ({UNKNOWN_VINTAGE})"


def build(path: Path, vintage: str | None) -> SQLiteStore:
    """Two square wards (with or without a recorded vintage), 30 synthetic people in each, a
    group in the first that half of them attend, and a GP practice."""
    nodes = [Node("E0", "Area", "Borough", props={"level": "la"})]
    for i, code in enumerate(("W1", "W2")):
        west = -2.35 + 0.02 * i
        props = {"level": "ward", "parent": "E0",
                 "geometry": geometry_text(box(west, 53.40, west + 0.02, 53.42))}
        if vintage:
            props["vintage"] = vintage
        nodes.append(Node(code, "Area", f"Ward {i + 1}", props=props))
        nodes += [Node(f"person:{code}-{j}", "Person", f"Synthetic {code} {j}", area=code,
                       lat=53.41, lon=west + 0.01,
                       props={"synthetic": True, "needs": ["loneliness"] if j % 2 else [],
                              "roles": ["carer"] if j % 3 == 0 else []})
                  for j in range(30)]
    nodes += [Node("group:walk", "Group", "Walking group", area="W1", lat=53.41, lon=-2.34,
                   props={"needs": ["loneliness"], "activities": ["walking"]}),
              Node("org:gp", "Organisation", "Example Surgery", area="W2", lat=53.41,
                   lon=-2.32, props={"org_kind": "gp_practice"})]
    store = SQLiteStore(path)
    store.upsert_nodes(nodes)
    store.upsert_ties([Tie(f"person:W1-{j}", "group:walk", "ATTENDS", {})
                       for j in range(0, 30, 2)])
    return store


@pytest.fixture(params=[("2023", KNOWN), (None, UNKNOWN)], ids=["2023", "unrecorded"])
def labelled(request: pytest.FixtureRequest, tmp_path: Path):
    vintage, words = request.param
    store = build(tmp_path / "assetmap.db", vintage)
    yield store, words
    store.close()


def test_level_label_says_the_year_or_that_it_is_not_recorded() -> None:
    assert level_label("ward", vintage="2022 boundaries") == "Wards (2022 boundaries)"
    assert level_label("ward", None) == UNKNOWN
    assert level_label("lsoa", vintage="") == f"Neighbourhoods (LSOAs) ({UNKNOWN_VINTAGE})"


def test_map_legend_and_tooltips_name_the_boundaries(labelled) -> None:
    store, words = labelled
    areas = maps.people_by_area(store, "ward")
    assert maps.areas_label(areas) == words
    for share in (False, True):
        page = maps.area_map(areas, "carers", share=share).get_root().render()
        legend = "per area (rounded to 5)" if not share else "% of people"
        assert f"{legend}; {words}" in page  # the colour scale's caption
        # each ward's tooltip (HTML inside the map's GeoJSON, so "<" is written \u003c)
        assert page.count(f"\\u003csmall\\u003e{words}\\u003c/small\\u003e") == 2
    other = KNOWN if words == UNKNOWN else UNKNOWN
    assert other not in maps.area_map(areas, "people").get_root().render()


def test_area_profile_and_its_chart_name_the_boundaries(labelled) -> None:
    store, words = labelled
    G = store.to_networkx()
    year = "2023 boundaries" if words == KNOWN else UNKNOWN_VINTAGE
    page = explain.area_profile_html(G, "W1", isolated_people(G), keystone_assets(G))
    assert f"Ward ({year})" in page
    assert f'title="People in Ward 1 by isolation level (ward, {year})"' in page
    assert "Synthetic W1" not in page


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.warning)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", ["map", "gaps", "resilience"])
def test_pages_name_the_boundaries(page: str, labelled, monkeypatch: pytest.MonkeyPatch) -> None:
    store, words = labelled
    monkeypatch.setenv("ASSETMAP_STORE", store.url)
    at = signed_in(AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=90),
                   role="admin").run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "resilience":  # the impact map is drawn for a place people depend on
        at.selectbox(key="resilience_pick").set_value("group:walk").run()
        assert not at.exception, [e.value for e in at.exception]
    assert words in _texts(at)
    if page == "gaps":
        assert set(at.dataframe[0].value["Boundaries"]) == {words}


def test_analyse_by_area_files_name_the_boundaries(labelled, tmp_path: Path) -> None:
    """Every ``*_by_area.csv`` ``assetmap analyse`` writes carries the app downloads' "Boundaries"
    column, third after the area's code and name, with the same words on every row."""
    import pandas as pd

    from assetmap.reports import BOUNDARIES_COLUMN, REPORT_FILES, analyse_store

    store, words = labelled
    files = analyse_store(store, tmp_path / "out")["files"]
    by_area = [name for name in REPORT_FILES if name.endswith("_by_area.csv")]
    assert len(by_area) == 4
    for name in by_area:
        table = pd.read_csv(files[name], dtype=str)
        assert list(table.columns[:3]) == ["area_code", "area_name", BOUNDARIES_COLUMN], name
        assert set(table[BOUNDARIES_COLUMN]) == {words} and len(table) == 2, name
    other = KNOWN if words == UNKNOWN else UNKNOWN
    assert all(other not in files[n].read_text(encoding="utf-8") for n in by_area)
