"""The Gaps and Directory pages draw their maps as plain frames (issue 14): no streamlit-folium
component, a screen-reader title on the frame, Leaflet from the app's own copies, and the same
bytes for the same choice (numbered element names), the Gaps page's made once per store
version and choice for every session.

Real parts only: the pages run by Streamlit's AppTest on the browser tests' demo store (a SQLite
file in tmp_path), the pages' own frames read back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_app import demo_store_fixtures
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap.ui.views import gaps

VIEWS = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 90

template_store, store_url = demo_store_fixtures(600)


def _frame(at: AppTest) -> str:
    """The one map frame's page (a plain frame with a title: no component)."""
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert not at.get("component_instance")
    frames = at.get("iframe")
    assert len(frames) == 1
    assert frames[0].proto.alt  # the frame's accessible name (its title)
    return str(frames[0].proto.srcdoc)


def _local_leaflet(page: str) -> None:
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)", page)
    assert any(s.endswith("/leaflet.js") for s in scripts)
    assert all(s.startswith("/app/static/vendor/") for s in scripts), scripts


def test_the_gaps_map_is_a_plain_frame_made_once_for_every_session(
        store_url: str, static_serving: None, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[str, str]] = []
    real = gaps.gap_map_page

    def drawing(url, version, level, need):  # type: ignore[no-untyped-def]
        drawn.append((level, need))
        return real(url, version, level, need)

    monkeypatch.setattr(gaps, "gap_map_page", drawing)
    first = signed_in(AppTest.from_file(str(VIEWS / "gaps.py"), default_timeout=TIMEOUT),
                      role="admin").run()
    page = _frame(first)
    _local_leaflet(page)
    assert "map_gp0000" in page and re.search(r"map_[0-9a-f]{32}", page) is None
    assert "with no provider near home" in page  # the areas' tooltips
    assert any("Thick dashed outline" in c.value for c in first.caption)
    second = signed_in(AppTest.from_file(str(VIEWS / "gaps.py"), default_timeout=TIMEOUT),
                       role="hub_analyst").run()
    assert _frame(second) == page
    need = first.selectbox(key="gaps_need").value
    assert drawn == [("ward", need)]
    other = next(n for n in first.selectbox(key="gaps_need").options if n != need)
    first.selectbox(key="gaps_need").set_value(other).run()
    assert _frame(first) != page and drawn == [("ward", need), ("ward", other)]


def test_the_directory_map_is_a_plain_frame_of_the_search(store_url: str,
                                                          static_serving: None) -> None:
    at = signed_in(AppTest.from_file(str(VIEWS / "directory.py"), default_timeout=TIMEOUT),
                   role="hub_analyst").run()
    assert not at.get("iframe")  # no search yet, no map
    at.selectbox(key="dir_need").set_value("loneliness")
    at.text_input(key="dir_near").input("M33 7AA")
    at.selectbox(key="dir_within").set_value(3.0)
    at.button(key="FormSubmitter:directory_search-Search").click().run()
    page = _frame(at)
    _local_leaflet(page)
    shown = len(at.dataframe[0].value)
    assert len(re.findall(r"L\.marker\(", page)) == shown  # one numbered marker a place
    assert "L.circle(" in page and "within 3 km" in page  # the search's radius
    assert "map_dm0000" in page
    at.run()  # the same search again: the same bytes (the browser keeps the frame)
    assert _frame(at) == page
