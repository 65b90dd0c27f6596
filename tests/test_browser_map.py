"""The Map page's asset tooltips and popups in a real browser (Chromium through Playwright, the
app served by ``streamlit run``): the browser builds them from each asset's plain-text details
with DOM text nodes, so a group named ``<img src=x onerror=alert(1)>`` shows as that text and
no element or script comes of it; the popup shows the lines a link worker needs.

Uses :mod:`test_browser`'s app (a demo store with the hostile group; ``ASSETMAP_BROWSER_PEOPLE``
sets its size) and the same skip rules.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_app import XSS_NAME
from test_browser import (  # noqa: F401  (fixtures, used by name)
    app,
    browser,
    frame_with,
    no_errors,
    page,
    playwright_api,
    shot,
    start,
)

pytestmark = pytest.mark.slow

#: Opens the tooltip and then the popup of the asset named ``name`` as the pointer does (its
#: marker fires mouseover and click, which reach its layer's handlers); returns how many were
#: found, or 0.
_OPEN = """(name) => {
    let found = 0;
    for (const key of Object.keys(window)) {
        const layer = window[key];
        if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
        layer.eachLayer(marker => {
            if (!marker.feature || marker.feature.properties.name !== name) return;
            found += 1;
            const at = {latlng: marker.getLatLng()};
            marker.fire('mouseover', at, true);
            marker.fire('click', at, true);
        });
    }
    return found;
}"""


def test_a_script_like_asset_name_shows_as_text_in_its_tooltip_and_popup(page: Any,  # noqa: F811
                                                                       app: dict) -> None:  # noqa: F811
    start(page, app)
    frame = frame_with(page, ".leaflet-container")
    frame.wait_for_function("() => document.querySelector('.leaflet-overlay-pane canvas')")
    assert frame.evaluate(_OPEN, XSS_NAME) == 1
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    lines = popup.inner_text().splitlines()
    # What :func:`assetmap.render.maps.asset_popup` writes: name, layer, status, the lines.
    assert lines[:3] == [XSS_NAME, "Groups and clubs", "Status: at risk"]
    assert "What: walking" in lines and "Helps with: loneliness" in lines
    assert "Cost: free" in lines
    assert any(line.startswith("About: ") and XSS_NAME in line for line in lines)
    assert popup.locator("b").first.inner_text() == XSS_NAME
    tooltip = frame.locator(".leaflet-tooltip")
    assert tooltip.inner_text() == XSS_NAME
    # Text, never markup: no image element, nothing ran.
    assert frame.locator(".leaflet-popup-content img, .leaflet-tooltip img").count() == 0
    assert frame.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert not page.dialogs
    no_errors(page)
    frame.wait_for_function(  # faded in, for the picture
        "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    shot(page, "map_popup")


def test_an_asset_s_website_is_a_safe_link(page: Any, app: dict) -> None:  # noqa: F811
    start(page, app)
    frame = frame_with(page, ".leaflet-container")
    frame.wait_for_function("() => document.querySelector('.leaflet-overlay-pane canvas')")
    named = frame.evaluate("""() => {
        for (const key of Object.keys(window)) {
            const layer = window[key];
            if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
            let name = null;
            layer.eachLayer(m => {
                if (!name && m.feature && /^https:/.test(m.feature.properties.web || '')) {
                    name = m.feature.properties.name;
                }
            });
            if (name) return name;
        }
        return null;
    }""")
    if named is None:
        pytest.skip("no asset in the default layers has a website")
    assert frame.evaluate(_OPEN, named) >= 1
    link = frame.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.get_attribute("href").startswith("https://")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.inner_text() == link.get_attribute("href")


def _popup_lines(markup: str) -> list[str]:
    """The lines a browser shows for popup HTML: one per ``<br>``, tags dropped, references
    read, white space collapsed as ``innerText`` does."""
    import html
    import re

    text = html.unescape(re.sub(r"<[^>]+>", "", markup.replace("<br>", "\n")))
    return [" ".join(line.split()) for line in text.splitlines()]


def test_the_popups_show_what_the_html_popups_showed(page: Any, app: dict) -> None:  # noqa: F811
    """Every line of :func:`assetmap.render.maps.asset_popup` (the HTML the map used to send),
    in order, for a few assets of every layer shown."""
    from assetmap.graph.store import open_store
    from assetmap.render import maps

    start(page, app)
    frame = frame_with(page, ".leaflet-container")
    frame.wait_for_function("() => document.querySelector('.leaflet-overlay-pane canvas')")
    shown = frame.evaluate("""() => {
        const out = [];
        for (const key of Object.keys(window)) {
            const layer = window[key];
            if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
            let n = 0;
            layer.eachLayer(m => {
                if (!m.feature || m.feature.geometry.type !== 'Point' || n >= 6) return;
                n += 1;
                m.fire('click', {latlng: m.getLatLng()}, true);
                // this layer's popup (another layer's may still be fading out)
                const box = layer.getPopup().getElement().querySelector('.leaflet-popup-content');
                out.push([m.getLatLng().lat, m.getLatLng().lng, box.innerText]);
            });
        }
        return out;
    }""")
    store = open_store(app["store"])
    try:
        assets = maps.asset_frame(store)
    finally:
        store.close()
    expected: dict[tuple[float, float], list[list[str]]] = {}
    for row in assets.to_dict("records"):
        where = (round(float(row["lat"]), 5), round(float(row["lon"]), 5))
        expected.setdefault(where, []).append(_popup_lines(maps.asset_popup(row)))
    assert len(shown) >= 12
    for lat, lon, text in shown:
        lines = [" ".join(line.split()) for line in text.splitlines()]
        assert lines in expected[(round(lat, 5), round(lon, 5))], lines
    assert not page.dialogs
