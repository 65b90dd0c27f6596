"""The Resilience page opens quickly in a browser (issue 14) and shows what it showed before: the
closure map is a plain frame holding a page made once per store version and choice (no
component), the "who depends" chart is the picture its PNG and Vega-Lite downloads are drawn from,
and the long tables show their first rows with every row on demand and in their CSV downloads.
Real SQLite stores and Streamlit's AppTest; no mocks of what is checked."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from browser_app import demo_store_fixtures
from browser_app import store_version as _version
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap.governance import privacy
from assetmap.ui import analyst_ui, common, snapshots
from assetmap.ui.views import resilience

VIEWS = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 90

template_store, store_url = demo_store_fixtures(2000)


def _page(role: str = "admin") -> AppTest:
    at = signed_in(AppTest.from_file(str(VIEWS / "resilience.py"), default_timeout=TIMEOUT),
                   role=role).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    return at


def _map_page(at: AppTest) -> str:
    frames = at.get("iframe")
    assert len(frames) == 1
    assert frames[0].proto.alt  # the frame's accessible name (its title)
    return str(frames[0].proto.srcdoc)


def test_the_closure_map_is_a_plain_frame_made_once_for_every_session(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[str, ...]] = []
    real = resilience.impact_map_page

    def drawing(url, version, chosen, impact):  # type: ignore[no-untyped-def]
        drawn.append(chosen)
        return real(url, version, chosen, impact)

    monkeypatch.setattr(resilience, "impact_map_page", drawing)
    first, second = _page(), _page("hub_analyst")  # two sessions, two roles
    page = _map_page(first)
    assert "L.map(" in page and "leaflet" in page
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert len(stylesheets) == 1 and "leaflet" in stylesheets[0]  # Leaflet's only
    assert not first.get("component_instance")  # no streamlit-folium component
    # element names numbered, not random: the same choice gives the same bytes
    assert re.search(r"map_[0-9a-f]{32}", page) is None and "map_rs0000" in page
    assert _map_page(second) == page
    assert drawn == [snapshots.at_risk_places(store_url, _version(store_url))]


def _shaded(page: str) -> dict[str, str]:
    """The shaded neighbourhoods of a closure map page: area name -> the count its tip shows."""
    return dict(re.findall(r'"tip": "([^"<]+?): ([^" ]+) people affected', page))


def test_the_map_shades_only_areas_with_enough_people_and_says_so(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    version = _version(store_url)
    chosen = snapshots.at_risk_places(store_url, version)
    impact = snapshots.closure_impacts(store_url, version, chosen)
    snap = snapshots.snapshot(store_url, version)
    per_area = impact.drop_duplicates("person_id")["person_id"].map(
        lambda p: snap.area[snap.index[p]]).value_counts()
    lsoas = common.boundaries(store_url, version, None)
    names = dict(zip(lsoas["area_code"], lsoas["area_name"], strict=True))
    shown: dict[int, dict[str, str]] = {}
    # this small demo's affected people live in few to an area: two thresholds, either side
    for threshold in (1, 2):
        monkeypatch.setenv("ASSETMAP_SUPPRESS_BELOW", str(threshold))
        expected = {names[a]: privacy.publish_count(int(n)) for a, n in per_area.items()
                    if a in names and int(n) >= threshold}
        page, caption = snapshots.closure_map(store_url, version, chosen, None, threshold)
        shown[threshold] = _shaded(page)
        assert shown[threshold] == expected
        assert f"where at least {threshold} people would be affected" in caption
    assert shown[1] and set(shown[1]) - set(shown[2])  # areas shaded only at the lower one


def test_the_page_opens_on_the_map_and_chart_the_warm_up_drew(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import vl_convert

    snapshots.warm_analyst_pages(store_url, _version(store_url))

    def again(*args, **kwargs):  # type: ignore[no-untyped-def]
        pytest.fail("drawn again after the warm-up")

    monkeypatch.setattr(resilience, "impact_map_page", again)
    monkeypatch.setattr(vl_convert, "vegalite_to_svg", again)
    monkeypatch.setattr(vl_convert, "vegalite_to_png", again)
    at = _page()
    assert at.selectbox(key="resilience_pick").value == resilience.ALL_AT_RISK
    assert "L.map(" in _map_page(at)


def test_the_chart_is_the_picture_its_downloads_are_drawn_from(store_url: str) -> None:
    at = _page()
    version = _version(store_url)
    chosen = snapshots.at_risk_places(store_url, version)
    table, spec = snapshots.who_depends(store_url, version, chosen, resilience.ALL_AT_RISK_WHAT)
    assert not at.get("arrow_vega_lite_chart")  # no Vega scripts to load in the browser
    image = at.get("image")[0].proto.imgs[0]
    prefix = "data:image/svg+xml;base64,"
    assert image.url.startswith(prefix)
    svg = base64.b64decode(image.url.removeprefix(prefix)).decode("utf-8")
    assert svg.replace('xmlns="http://www.w3.org/2000/svg" ', "", 1) == analyst_ui._svg(
        spec).replace('xmlns="http://www.w3.org/2000/svg" ', "", 1)
    assert "Who goes to any at-risk group" in svg
    # the bars' labels are the published counts of the table beside it, never a small number
    drawn = {html.unescape(t) for t in re.findall(r">([^<>]+)</text>", svg)}
    assert set(table["label"]) <= drawn
    labels = [b.label for b in at.get("download_button")]
    assert "Download chart (PNG)" in labels and "Download chart (Vega-Lite)" in labels
    assert analyst_ui._png(spec)[:8] == b"\x89PNG\r\n\x1a\n"


def test_long_tables_show_their_first_rows_and_every_row_on_demand(store_url: str) -> None:
    at = _page()
    version = _version(store_url)
    ranking = snapshots.published_keystone_table(store_url, version)
    assert len(ranking) > resilience.ROWS_SHOWN
    keystones = at.dataframe[-1].value
    assert len(keystones) == resilience.ROWS_SHOWN
    assert list(keystones["Rank"]) == list(range(1, resilience.ROWS_SHOWN + 1))
    every = at.toggle(key="resilience_keystones_all")
    assert every.label == f"Show all {len(ranking):,} ranked places"
    every.set_value(True).run()
    assert not at.exception
    assert len(at.dataframe[-1].value) == len(ranking)
    # the CSV download holds every row, published and formula-safe, switch or not
    published, banded, banded_csv = snapshots.keystone_downloads(store_url, version)
    rows = pd.read_csv(io.BytesIO(published), dtype=str, keep_default_na=False)
    assert len(rows) == len(ranking)
    assert list(rows.columns) == [c for c in ranking.columns if c != "asset_id"]
    assert published == privacy.neutralise_csv(ranking.drop(columns="asset_id")).to_csv(
        index=False).encode("utf-8")
    assert len(pd.read_csv(io.BytesIO(banded_csv))) == len(banded) == len(ranking)
