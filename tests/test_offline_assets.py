"""The Map page draws with no internet: its map loads Leaflet & co. from the app's own copies.

Real parts only: the page run by Streamlit's AppTest on a SQLite store in tmp_path (reading the
page the map's frame really hands the browser), the vendored files on disk, and one real
``streamlit run`` server fetched over HTTP.
"""

from __future__ import annotations

import inspect
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import folium
import folium.folium
import pytest
from conftest import signed_in
from streamlit import config
from streamlit.file_util import get_app_static_dir
from streamlit.testing.v1 import AppTest
from test_maps import CARERS, PEOPLE, build_store

from assetmap.render import maps
from assetmap.ui import launch

APP = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "app.py"
MAP_PAGE = APP.parent / "views" / "map.py"
TIMEOUT = 60
STATIC_PREFIX = "/app/static/vendor/"
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    store, _ = build_store(tmp_path / "assetmap.db", PEOPLE, CARERS)
    store.close()
    url = f"sqlite:///{tmp_path / 'assetmap.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    return url


def _map_frame(at: AppTest) -> str:
    """The page the Map page's frame sends to the browser (a plain frame: no component)."""
    assert not at.get("component_instance")
    frames = at.get("iframe")
    assert len(frames) == 1
    assert frames[0].proto.alt  # the frame's accessible name (its title)
    return str(frames[0].proto.srcdoc)


def _links(page: str) -> tuple[list[str], list[str]]:
    """The scripts and the stylesheets a page loads, in order."""
    return (re.findall(r"<script[^>]*\ssrc=[\"']([^\"']+)", page, re.IGNORECASE),
            re.findall(r"<link[^>]*\shref=[\"']([^\"']+)", page, re.IGNORECASE))


def _tag_urls(markup: str) -> list[str]:
    return (re.findall(r"<script[^>]*\ssrc=[\"']([^\"']+)", markup, re.IGNORECASE)
            + re.findall(r"<link[^>]*\shref=[\"']([^\"']+)", markup, re.IGNORECASE))


def _local_file(url: str) -> Path:
    assert url.startswith(STATIC_PREFIX), url
    return maps.VENDOR_DIR / url.removeprefix(STATIC_PREFIX)


def test_map_page_loads_every_library_from_the_app(store_url: str, static_serving: None) -> None:
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    page = _map_frame(at)
    js, css = _links(page)
    links = js + css
    assert any(link.endswith("/leaflet.js") for link in js)
    # the legend is HTML and there is no folium.Popup: no d3, no jQuery to load (issue 14)
    assert not any(n in link for link in js for n in ("d3", "jquery"))
    assert any(link.endswith("/leaflet.css") for link in css)
    for link in links:
        assert not EXTERNAL.match(link), link
        assert _local_file(link).is_file(), link
    assert "L.control.layers(" in page and "assetmap-scale" in page  # layer control, legend
    # The street map (tiles from the internet) is off until the user asks for it.
    assert at.toggle(key="map_tiles").value is False
    assert "tile.openstreetmap.org" not in page
    # Every measure, level and layer still loads only local files.
    at.selectbox(key="map_measure").select("carers").run()
    at.radio(key="map_level").set_value("lsoa").run()
    at.multiselect(key="map_layers").set_value(["GP practices", "Libraries"]).run()
    assert not at.exception
    again = _map_frame(at)
    assert again != page and sum(_links(again), []) == links
    # Turning the street map on fetches tiles, but the libraries stay local.
    at.toggle(key="map_tiles").set_value(True).run()
    tiled = _map_frame(at)
    assert "tile.openstreetmap.org" in tiled
    assert sum(_links(tiled), []) == links


def test_the_map_page_is_drawn_once_for_every_session(store_url: str,
                                                      static_serving: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The map's page is the same bytes for every session and role (aggregates and public
    places only; numbered element names), drawn once per store version and choice."""
    from assetmap.ui.views import map as map_view

    drawn: list[tuple] = []
    real = map_view.area_map_page

    def drawing(*args):  # type: ignore[no-untyped-def]
        drawn.append(args[2:])
        return real(*args)

    monkeypatch.setattr(map_view, "area_map_page", drawing)
    first = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    second = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT),
                       role="admin").run()
    assert not first.exception and not second.exception
    page = _map_frame(first)
    assert re.search(r"map_[0-9a-f]{32}", page) is None and "map_mp0000" in page
    assert _map_frame(second) == page
    assert len(drawn) == 1 and drawn[0][0] == "people"


def test_without_static_serving_the_page_says_how_to_work_offline(store_url: str) -> None:
    assert config.get_option("server.enableStaticServing") is False
    at = signed_in(AppTest.from_file(str(MAP_PAGE), default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert any(link.startswith("https://") for link in _links(_map_frame(at))[0])
    assert any("assetmap serve" in c.value for c in at.caption)


def test_local_map_html_names_only_files_that_exist(store_url: str) -> None:
    from assetmap.graph.store.sqlite_store import SQLiteStore

    store = SQLiteStore.from_url(store_url)
    try:
        areas = maps.people_by_area(store, "ward")
        assets = maps.asset_frame(store)
    finally:
        store.close()
    fmap = maps.area_map(areas, "carers", assets, tiles=None, share=True,
                         assets_base=maps.local_assets_url())
    page = fmap.get_root().render()
    urls = _tag_urls(page)
    # GeoJSON layers only: the scripts only folium.Popup needs (jQuery) are left out (issue 14)
    wanted = [n for n, _ in maps.LOCAL_JS if n not in maps.POPUP_ONLY_JS]
    assert len(urls) == len(wanted) + len(maps.LOCAL_CSS)  # the legend needs no d3
    assert not [u for u in urls if "jquery" in u or "d3" in u]
    assert not [u for u in urls if EXTERNAL.match(u)]
    assert sorted(urls) == sorted(u for u in maps.asset_links(fmap) if u.startswith("/"))
    for url in urls:
        assert _local_file(url).is_file(), url
    assert page.count("assetmap-scale") == 1  # the legend is still drawn, once


def test_local_assets_do_not_leak_into_other_maps(store_url: str) -> None:
    """Folium's class-level link lists are shared by every map: they must stay untouched."""
    js_before, css_before = list(folium.Map.default_js), list(folium.Map.default_css)
    from assetmap.graph.store.sqlite_store import SQLiteStore

    store = SQLiteStore.from_url(store_url)
    try:
        areas = maps.people_by_area(store, "ward")
    finally:
        store.close()
    local = maps.area_map(areas, "people", assets_base="/base/app/static/vendor/")
    assert all(u.startswith("/base/app/static/vendor/") for u in maps.asset_links(local))
    assert folium.Map.default_js == js_before and folium.Map.default_css == css_before
    cdn = maps.area_map(areas, "people")
    links = maps.asset_links(cdn)
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in links
    assert not any(u.startswith("/base/") for u in links)


@pytest.mark.parametrize(("base_url_path", "expected"), [
    ("", "/app/static/vendor"), ("/", "/app/static/vendor"),
    ("assetmap", "/assetmap/app/static/vendor"),
    ("/tools/assetmap/", "/tools/assetmap/app/static/vendor"),
])
def test_local_assets_url_follows_the_base_url_path(base_url_path: str, expected: str) -> None:
    assert maps.local_assets_url(base_url_path) == expected


def test_vendored_versions_are_the_ones_folium_and_branca_load() -> None:
    import branca.colormap

    cdn = dict(folium.folium._default_js) | dict(folium.folium._default_css)
    for name, path in (*maps.LOCAL_JS, *maps.LOCAL_CSS):
        package, version = path.split("/")[0].rsplit("-", 1)
        assert f"{package}@{version}" in cdn[name] or f"{package}-{version}" in cdn[name], name
    d3_version = maps.LOCAL_D3[1].split("/")[0].rsplit("-", 1)[1]
    assert f"/d3/{d3_version}/" in inspect.getsource(branca.colormap.ColorMap.render)


def test_vendored_files_are_complete_licensed_and_small() -> None:
    folders = sorted(p for p in maps.VENDOR_DIR.iterdir() if p.is_dir())
    used = {path.split("/")[0] for _, path in (*maps.LOCAL_JS, *maps.LOCAL_CSS, maps.LOCAL_D3)}
    assert {p.name for p in folders} == used
    readme = (maps.VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    for folder in folders:
        licences = [p for p in folder.iterdir() if p.name.upper().startswith("LICENSE")]
        assert licences and licences[0].stat().st_size > 500, folder.name
        assert "Redistribution" in licences[0].read_text() or "Permission is hereby granted" \
            in licences[0].read_text(), folder.name
        package, version = folder.name.rsplit("-", 1)
        assert re.search(rf"\|\s*{re.escape(package)}\s*\|\s*{re.escape(version)}\s*\|", readme)
    # Images a stylesheet names are there too (Leaflet's layer icons), and none is remote.
    for css in maps.VENDOR_DIR.rglob("*.css"):
        for ref in re.findall(r"url\(['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            assert not EXTERNAL.match(ref), f"{css.name} -> {ref}"
            if not ref.startswith(("data:", "#")):  # "#default#VML": old IE behaviour
                assert (css.parent / ref).is_file(), f"{css.name} -> {ref}"
    total = sum(p.stat().st_size for p in maps.VENDOR_DIR.rglob("*") if p.is_file())
    assert total < 1_500_000


def test_streamlit_serves_the_vendor_folder_of_the_app() -> None:
    assert Path(get_app_static_dir(str(launch.APP))) / "vendor" == maps.VENDOR_DIR
    command = launch.serve_command()
    flag = command.index("--server.enableStaticServing")
    assert command[flag + 1] == "true"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (localhost)
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_the_served_app_hands_out_the_files_with_their_types(tmp_path: Path) -> None:
    """``assetmap serve``'s command line really serves the files, typed so a browser runs them
    (Streamlit sends ``nosniff``: a script typed text/plain would be refused)."""
    port = _free_port()
    server = subprocess.Popen(launch.serve_command(port), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 45
        while True:
            try:
                if _get(f"http://localhost:{port}/_stcore/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        base = f"http://localhost:{port}{maps.local_assets_url()}"
        for _, path in (*maps.LOCAL_JS, maps.LOCAL_D3):
            status, kind, body = _get(f"{base}/{path}")
            assert status == 200 and "javascript" in kind, path
            assert body == (maps.VENDOR_DIR / path).read_bytes()
        for _, path in maps.LOCAL_CSS:
            status, kind, _ = _get(f"{base}/{path}")
            assert status == 200 and kind.startswith("text/css"), path
        status, kind, _ = _get(f"{base}/leaflet-1.9.3/images/layers.png")
        assert status == 200 and kind == "image/png"
    finally:
        server.terminate()
        server.wait(timeout=20)
