"""Any area, not only Trafford: the real app in a real browser (Chromium via Playwright) on a
store built from Salford's files as a council would import them (tests/data/salford/). Every page
opens without an error, Salford's ward names are shown, and "Trafford" appears nowhere — not in
the pages, not in the maps' frames, not in the credits.

One module-scoped server; skipped like tests/test_browser.py where Playwright or Chromium is
missing (never in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import CHROMIUM, CHROMIUM_ARGS, served_app
from test_browser import (
    ARTIFACTS,
    TIMEOUT_MS,
    frame_with,
    no_errors,
    playwright_api,  # noqa: F401  (session fixture)
    shot,
    wait_ready,
)
from test_salford import build_salford, salford_ward_names

from assetmap import settings
from assetmap.governance.access import AccessDB, new_password
from assetmap.ui.app import PAGES, PAGES_DIR

pytestmark = pytest.mark.slow

ADMIN = "salford-admin"
#: Pages that draw a map of the areas.
MAP_TITLES = frozenset({"Map", "Gaps"})


@pytest.fixture(scope="module")
def salford_app(playwright_api: Any, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
                ) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("salford-browser")
    db = home / "salford.db"
    build_salford(db)
    url = f"sqlite:///{db}"
    password = new_password()
    with AccessDB(settings.access_db_path(url)) as access:
        access.add_user(ADMIN, "admin", password)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    with served_app(url, home, ARTIFACTS / "streamlit_salford.log") as base:
        with playwright_api.sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = chromium.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            yield {"base": base, "tab": tab, "password": password}
            context.close()
            chromium.close()


def _sign_in(tab: Any, app: dict) -> None:
    tab.goto(app["base"] + "/map")
    tab.get_by_role("button", name="Sign in").wait_for()
    tab.get_by_label("Account name").fill(ADMIN)
    tab.get_by_role("textbox", name="Password").fill(app["password"])
    tab.get_by_role("button", name="Sign in").click()
    wait_ready(tab, "Map")


_MAP_FEATURES = """() => {
    const out = [];
    for (const key of Object.keys(window)) {
        const layer = window[key];
        if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
        layer.eachLayer(l => { if (l.feature) out.push(JSON.stringify(l.feature.properties)); });
    }
    return out.join('\\n');
}"""


def _all_text(tab: Any) -> str:
    """The page's HTML and every frame's (maps draw in component frames), with the properties
    of every feature a map draws (its tooltips)."""
    parts = [tab.content()]
    for frame in tab.frames[1:]:
        try:
            if frame.locator(".leaflet-container").count():
                parts.append(frame.evaluate(_MAP_FEATURES))
        except Exception:  # noqa: S112 - a frame that navigated away meanwhile
            continue
    for frame in tab.frames[1:]:
        try:
            parts.append(frame.content())
        except Exception:  # noqa: S112 - a frame that navigated away meanwhile
            continue
    return "\n".join(parts)


def test_every_page_on_a_salford_store(salford_app: dict) -> None:
    tab = salford_app["tab"]
    _sign_in(tab, salford_app)
    wards = salford_ward_names()
    # Every page this admin's menu offers (the app's PAGES an admin may use).
    offered = tab.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    titles = [title for name, title, _ in PAGES
              if (PAGES_DIR / name).exists()
              and any(o.strip().splitlines()[-1].strip() == title for o in offered)]
    assert "Map" in titles and "Gaps" in titles and len(titles) >= 6, offered
    seen_wards: dict[str, set[str]] = {}
    for title in titles:
        if title != "Map":
            tab.get_by_role("link", name=title, exact=True).click()
            wait_ready(tab, title)
        if title in MAP_TITLES:
            frame = frame_with(tab, ".leaflet-container")
            frame.wait_for_function("() => document.querySelector('.leaflet-overlay-pane canvas, "
                                    ".leaflet-overlay-pane path')", timeout=TIMEOUT_MS)
        no_errors(tab)
        text = _all_text(tab)
        shot(tab, f"salford_{Path(title).name.lower().replace(' ', '_')}")
        assert "Trafford" not in text, f"the {title} page mentions Trafford"
        seen_wards[title] = {w for w in wards if w in text}
    # The map and the gaps draw Salford's wards (names in the page or the map's frame).
    for title in MAP_TITLES:
        assert len(seen_wards[title]) >= 10, (title, seen_wards[title])
    # The About page credits what was imported, with its licence lines.
    tab.get_by_role("link", name="About and data sources", exact=True).click()
    wait_ready(tab, "About and data sources", "OS Code-Point Open")
    body = tab.inner_text("body")
    assert "ONS wards (2013), UK-GeoJSON" in body and "Crown copyright 2016" in body
