"""What the first Map, Gaps and Resilience pages read is worked out in the background beforehand
(issue 14): the pages then read it from the shared caches and compute none of it again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser_app import demo_store_fixtures
from browser_app import store_version as _version
from conftest import signed_in
from streamlit.testing.v1 import AppTest

from assetmap.render import maps
from assetmap.ui import common, snapshots

VIEWS = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views"
TIMEOUT = 90


template_store, store_url = demo_store_fixtures(600)


def test_the_map_is_warmed_once_and_its_page_counts_nothing_again(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetmap.ui.views import map as map_view

    counted: list[str] = []
    real = maps.people_by_area

    def counting(source, level="ward", **kwargs):  # type: ignore[no-untyped-def]
        counted.append(level)
        return real(source, level, **kwargs)

    drawn: list[tuple] = []
    real_page = map_view.area_map_page

    def drawing(*args):  # type: ignore[no-untyped-def]
        drawn.append(args[2:6])
        return real_page(*args)

    monkeypatch.setattr(maps, "people_by_area", counting)
    monkeypatch.setattr(map_view, "area_map_page", drawing)
    thread = snapshots.warm_map_in_background(store_url)
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert counted == ["ward"]  # the level the page opens on
    assert drawn == [("people", "ward", False, tuple(map_view.default_layers(
        common.assets(store_url, _version(store_url)))))]  # and the map's page, as it opens
    assert snapshots.warm_map_in_background(store_url) is None  # once per version
    at = signed_in(AppTest.from_file(str(VIEWS / "map.py"), default_timeout=TIMEOUT)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert counted == ["ward"]  # the page read the warmed counts
    assert len(drawn) == 1  # and showed the warmed page
    assert "map_mp0000" in at.get("iframe")[0].proto.srcdoc
    version = _version(store_url)
    assert common.people_by_area(store_url, version, "ward", False)["people"].sum() > 0


def test_the_resilience_page_opens_on_what_the_warm_up_drew(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import vl_convert

    from assetmap.graph.analysis import resilience as analysis
    from assetmap.ui.views import resilience as page

    version = _version(store_url)
    snapshots.warm_analyst_pages(store_url, version)
    drawn: list[str] = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png",
                        lambda spec, **kw: drawn.append(spec) or b"png")
    ranked: list[str] = []
    monkeypatch.setattr(analysis, "keystone_assets_snapshot",
                        lambda *a, **kw: ranked.append("ranked") or pytest.fail("ranked again"))
    monkeypatch.setattr(page, "published_keystones",
                        lambda *a, **kw: ranked.append("published") or pytest.fail("again"))
    at = signed_in(AppTest.from_file(str(VIEWS / "resilience.py"),
                                     default_timeout=TIMEOUT)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="resilience_pick").value == "__all_at_risk__"
    # the chart's picture (a second to draw) and the published ranking came from the warm-up
    assert drawn == [] and ranked == []
    keystones = at.dataframe[-1].value
    assert list(keystones["Rank"])[:3] == [1, 2, 3]


def test_warming_the_map_imports_what_its_page_draws_with(store_url: str) -> None:
    # A fresh interpreter (this one has imported them already): after the sign-in screen's
    # warm-up the Map page's first run imports nothing more to draw its map (issue 14); the
    # map is a plain frame, so streamlit-folium is not needed at all.
    script = ("import sys\n"
              "from assetmap.ui import snapshots\n"
              "assert 'folium.plugins' not in sys.modules\n"
              "url = sys.argv[1]\n"
              "snapshots.warm_map(url, snapshots._store(url).version())\n"
              "assert 'folium.plugins' in sys.modules\n"
              "assert 'streamlit_folium' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", script, store_url], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]



def test_the_gaps_page_opens_on_the_map_the_warm_up_drew(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetmap.ui.views import gaps

    snapshots.warm_analyst_pages(store_url, _version(store_url))
    drawn: list[tuple] = []
    monkeypatch.setattr(gaps, "gap_map_page", lambda *a: drawn.append(a[2:]) or ("", ""))
    at = signed_in(AppTest.from_file(str(VIEWS / "gaps.py"), default_timeout=TIMEOUT),
                   role="hub_analyst").run()
    assert not at.exception, [e.value for e in at.exception]
    assert drawn == []  # the level and need it opens on were drawn by the warm-up
    assert "map_gp0000" in at.get("iframe")[0].proto.srcdoc
    other = next(n for n in at.selectbox(key="gaps_need").options
                 if n != at.selectbox(key="gaps_need").value)
    at.selectbox(key="gaps_need").set_value(other).run()
    assert drawn == [("ward", other)]  # any other choice is drawn when asked for
