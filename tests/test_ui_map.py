"""The Map page, run for real by Streamlit's AppTest against a SQLite store file in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import signed_in
from streamlit.testing.v1 import AppTest
from test_maps import CARERS, PEOPLE, build_store

from assetmap.graph.store.sources import record_source
from assetmap.graph.store.sqlite_store import SQLiteStore
from assetmap.model import Node

APP = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "app.py"
MAP_PAGE = APP.parent / "views" / "map.py"
TIMEOUT = 60
SOURCE = "Example council boundaries"


@pytest.fixture
def demo_store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    store, _ = build_store(tmp_path / "assetmap.db", PEOPLE, CARERS)
    record_source(store, "boundaries", SOURCE, "OGL v3", "wards.geojson")
    store.close()
    url = f"sqlite:///{tmp_path / 'assetmap.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    return url


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.error)]
    return "\n".join(str(p) for p in parts)


def test_map_page_opens_with_credit_and_vintage(demo_store_url: str) -> None:
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Map"]
    text = _texts(at)
    assert f"{SOURCE} (OGL v3)." in text  # the credit is what was imported
    assert "Areas as drawn: Wards (2023 boundaries)" in text  # the vintage is labelled
    assert "In words:" in text and "Highest:" in text
    assert "Zebedee" not in text
    assert at.selectbox(key="map_measure").value == "people"


def test_switching_measure_and_level_redraws(demo_store_url: str) -> None:
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert "people" in _texts(at)
    at.selectbox(key="map_measure").select("carers").run()
    assert not at.exception
    summary = next(m.value for m in at.markdown if "In words:" in m.value)
    assert "carers" in summary
    at.radio(key="map_share").set_value("% of people").run()
    assert not at.exception
    summary_share = next(m.value for m in at.markdown if "In words:" in m.value)
    assert "Highest share:" in summary_share and "% (" in summary_share
    at.radio(key="map_share").set_value("Number").run()
    at.radio(key="map_level").set_value("lsoa").run()
    assert not at.exception
    summary_lsoa = next(m.value for m in at.markdown if "In words:" in m.value)
    assert "LSOA" in summary_lsoa and "ward" not in summary_lsoa
    assert "not shown" in summary_lsoa  # some LSOAs have 1-7 carers
    at.selectbox(key="map_measure").select("isolated").run()  # computed from the graph
    assert not at.exception
    summary_iso = next(m.value for m in at.markdown if "In words:" in m.value)
    assert "isolated people" in summary_iso
    layers = at.multiselect(key="map_layers")
    assert set(layers.options) == {"GP practices", "Groups and clubs", "Libraries"}
    layers.set_value(["Libraries"]).run()
    assert not at.exception


def test_empty_store_shows_how_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SQLiteStore(tmp_path / "empty.db").close()
    monkeypatch.setenv("ASSETMAP_STORE", f"sqlite:///{tmp_path / 'empty.db'}")
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert any("assetmap demo" in i.value for i in at.info)
    assert "No data sources recorded" in _texts(at) and "Trafford" not in _texts(at)
    assert len(at.selectbox) == 0


def test_people_but_no_boundaries_says_what_to_import(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A store with people and areas but no polygons: the page says what to import (it used to
    crash with "The field tooltip is not available in the data")."""
    store = SQLiteStore(tmp_path / "bare.db")
    store.upsert_nodes([Node("W1", "Area", "Ward One", props={"level": "ward"}),
                        Node("person:1", "Person", "Example One", area="W1")])
    store.close()
    monkeypatch.setenv("ASSETMAP_STORE", f"sqlite:///{tmp_path / 'bare.db'}")
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert any("assetmap import boundaries" in i.value for i in at.info)


def test_bad_store_url_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSETMAP_STORE", "ftp://nowhere/assetmap")
    monkeypatch.setenv("ASSETMAP_ACCESS_DB", str(tmp_path / "access.db"))
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "ftp" in at.error[0].value and "\n" not in at.error[0].value


def test_about_page_lists_sources_and_licences(demo_store_url: str) -> None:
    at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT)).run()
    at.switch_page("views/about.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["About and data sources"]
    table = at.table[0].value
    # the sources recorded in the store by what was imported, with their licences
    assert SOURCE in table["From"].tolist() and "OGL v3" in table["Licence"].tolist()
    assert not any("Trafford" in str(v) for v in table.to_numpy().ravel())


def test_a_link_opens_a_measure_and_level(demo_store_url: str) -> None:
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT))
    at.query_params["measure"] = "carers"
    at.query_params["level"] = "lsoa"
    at.run()
    assert not at.exception
    assert at.selectbox(key="map_measure").value == "carers"
    assert at.radio(key="map_level").value == "lsoa"
    at2 = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT))
    at2.query_params["measure"] = "<script>"
    at2.run()
    assert not at2.exception
    assert at2.selectbox(key="map_measure").value == "people"


def test_people_in_no_area_are_counted_and_warned_about(demo_store_url: str,
                                                        tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "assetmap.db")
    store.upsert_nodes([Node(f"person:nowhere{i}", "Person", f"Example {i}") for i in range(9)])
    store.close()
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("10 people are in none of these wards") for w in warnings), warnings


def test_a_map_image_is_made_on_request(demo_store_url: str) -> None:
    """A commissioner's picture of the map: a real PNG, made only when asked for."""
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("Download map")]
    at.button(key="map_png_make").click().run()
    assert not at.exception
    buttons = [b for b in at.get("download_button") if b.proto.label.startswith("Download map")]
    assert len(buttons) == 1
