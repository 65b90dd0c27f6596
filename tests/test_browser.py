"""The app in a real browser: Debian's Chromium driven by Playwright against ``streamlit run`` on
127.0.0.1 with a small demo store (synthetic people) and a group with a script-like name.

Skipped when Playwright or Chromium is missing on a developer's machine, but never in CI (the
``CI`` variable set): there they fail. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TEST_PERSON,
    XSS_NAME,
    build_test_store,
    served_app,
)

from assetmap import settings
from assetmap.governance.access import AccessDB, new_password
from assetmap.graph.analysis import isolated_people
from assetmap.worklist import picker_labels

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ADMIN = "browser-admin"
#: (url path, page title) of every page an admin may open.
PAGES: tuple[tuple[str, str], ...] = (
    ("map", "Map"), ("person", "Person"), ("gaps", "Gaps"), ("resilience", "Resilience"),
    ("data", "Data"), ("about", "About and data sources"),
)
#: Pages that open with a map.
MAP_PAGES: frozenset[str] = frozenset({"map", "gaps", "resilience"})
WARD_COUNT = 21  # Trafford's wards (2023)
TIMEOUT_MS = 90_000
#: Page interactive times measured in the browser (printed at the end, see the report).
TIMINGS: dict[str, float] = {}


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the browser tests must run in CI")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_api() -> Any:
    try:
        from playwright import sync_api
    except ImportError:
        _missing("Playwright for Python is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return sync_api


@pytest.fixture(scope="module")
def app(playwright_api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app served on a fresh demo store (2,000 synthetic people, or
    ``ASSETMAP_BROWSER_PEOPLE``: 20000 times the pages on the full demo) with an admin account.
    Module-scoped: the server and Playwright stop before another module's browser test starts
    its own (Playwright's sync API allows one at a time)."""
    home = tmp_path_factory.mktemp("browser")
    db = home / "assetmap.db"
    store = build_test_store(db, people=int(os.environ.get("ASSETMAP_BROWSER_PEOPLE", "2000")))
    me = store.get(TEST_PERSON)
    G = store.to_networkx()  # the label as the Person page lists it (name · ward · … · level)
    label = picker_labels(G, isolated_people(G))[me.id]
    store.close()
    url = f"sqlite:///{db}"
    password = new_password()
    with AccessDB(settings.access_db_path(url)) as access:
        access.add_user(ADMIN, "admin", password)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    with served_app(url, home, ARTIFACTS / "streamlit.log") as base:
        yield {"base": base, "password": password, "store": url, "person_label": label}
    if TIMINGS:
        lines = [f"{name}: {seconds:.2f} s" for name, seconds in TIMINGS.items()]
        (ARTIFACTS / "timings.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def browser(playwright_api: Any, app: dict) -> Iterator[Any]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page; every JavaScript dialog (alert) it opens is recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.dialogs = []

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    yield tab
    context.close()


_READY = """([title, text]) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const titles = Array.from(document.querySelectorAll('h1')).map(h => h.innerText.trim());
    if (!titles.includes(title)) return false;
    return !text || document.body.innerText.includes(text);
}"""


def wait_ready(tab: Any, title: str, text: str | None = None) -> None:
    """Wait until the script has finished and the page shows ``title`` (and ``text``)."""
    tab.wait_for_function(_READY, arg=[title, text], timeout=TIMEOUT_MS)


def sign_in_if_asked(tab: Any, app: dict) -> None:
    """Sign in as the test admin if this browser session shows the sign-in screen."""
    tab.wait_for_function(_READY.replace("if (!titles.includes(title)) return false;",
                                         "if (!titles.length) return false;"),
                          arg=["", None], timeout=TIMEOUT_MS)
    notice = tab.get_by_role("dialog")
    if notice.count():  # "Page not found": signed out, only the sign-in page exists
        tab.keyboard.press("Escape")
        notice.wait_for(state="detached")
    if tab.get_by_role("button", name="Sign in").count():
        tab.get_by_label("Account name").fill(ADMIN)
        tab.get_by_role("textbox", name="Password").fill(app["password"])
        tab.get_by_role("button", name="Sign in").click()


def start(tab: Any, app: dict) -> float:
    """Open the app, sign in, and wait for the first page (the map); return the seconds from
    pressing "Sign in" until the map page is interactive."""
    tab.goto(app["base"] + "/")
    sign_in_if_asked(tab, app)
    began = time.perf_counter()
    wait_ready(tab, "Map")
    return time.perf_counter() - began


def go(tab: Any, title: str, text: str | None = None) -> float:
    """Open a page from the app's menu, as a user does; return the seconds until it is
    interactive (its script finished and its content shown)."""
    began = time.perf_counter()
    tab.get_by_role("link", name=title, exact=True).click()
    wait_ready(tab, title, text)
    return time.perf_counter() - began


def choose(tab: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box called ``label`` by typing it, as a user does."""
    tab.get_by_role("combobox", name=label).click()
    tab.keyboard.type(option)
    tab.get_by_role("option", name=option, exact=True).click()


def no_errors(tab: Any) -> None:
    """No exception box and no error alert on the page."""
    assert tab.locator('[data-testid="stException"]').count() == 0
    errors = tab.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.all_inner_texts()


def shot(tab: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def frame_with(tab: Any, selector: str) -> Any:
    """The first frame (component iframe) holding ``selector``, waiting for it to load."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in tab.frames[1:]:
            try:
                if frame.locator(selector).count():
                    return frame
            except Exception:  # a frame that navigated away meanwhile
                continue
        tab.wait_for_timeout(100)  # polling the frames, not a fixed sleep
    raise AssertionError(f"no frame shows {selector}")


def open_test_person(tab: Any, app: dict, text: str) -> None:
    """On the Person page: search for the test person (an administrator's list is searched
    first), choose them, and wait for ``text``."""
    label = app["person_label"]
    search = tab.get_by_role("textbox", name="Find a person")
    if search.count():
        search.fill(label.split(" · ")[0])
        search.press("Enter")
        wait_ready(tab, "Person")
        tab.get_by_role("combobox", name="Person").wait_for()
    choose(tab, "Person", label)
    wait_ready(tab, "Person", text)


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_every_page_loads_without_an_error(page: Any, app: dict, path: str, title: str) -> None:
    first = start(page, app)
    TIMINGS.setdefault("map (first page after sign-in)", first)
    began = time.perf_counter()
    if title != "Map":
        TIMINGS[path] = go(page, title)
    if path in MAP_PAGES:  # the map draws its layers (no tiles, no internet needed)
        frame = frame_with(page, ".leaflet-container")
        frame.wait_for_function("() => document.querySelector('.leaflet-overlay-pane canvas, "
                                ".leaflet-overlay-pane path')", timeout=TIMEOUT_MS)
        if title != "Map":
            TIMINGS[f"{path} (with its map drawn)"] = time.perf_counter() - began
    no_errors(page)
    shot(page, path)
    assert not page.dialogs


def test_the_map_draws_the_wards_offline(page: Any, app: dict) -> None:
    start(page, app)
    frame = frame_with(page, ".leaflet-container")
    frame.wait_for_function(
        "() => document.querySelector('.leaflet-overlay-pane canvas, "
        ".leaflet-overlay-pane path')", timeout=TIMEOUT_MS)
    polygons = frame.evaluate("""() => {
        let n = 0;
        for (const key of Object.keys(window)) {
            const layer = window[key];
            if (!key.startsWith('geo_json_') || !layer || !layer.eachLayer) continue;
            layer.eachLayer(l => { if (l instanceof L.Polygon) n += 1; });
        }
        return n;
    }""")
    assert polygons == WARD_COUNT
    # Leaflet came from the app's own copies, not a CDN.
    scripts = frame.evaluate("() => Array.from(document.scripts).map(s => s.src)")
    assert any("/app/static/vendor/" in s for s in scripts if "leaflet" in s)
    assert not any(s.startswith("https://") for s in scripts)
    shot(page, "map_drawn")


def test_choosing_a_person_shows_their_circle(page: Any, app: dict) -> None:
    start(page, app)
    go(page, "Person", "Choose a person")
    began = time.perf_counter()
    open_test_person(page, app, "Their circle")
    frame = frame_with(page, "#mynetwork canvas")
    TIMINGS["person (choose someone, circle drawn)"] = time.perf_counter() - began
    assert frame.evaluate("() => typeof network !== 'undefined' && "
                          "network.body.data.nodes.length") > 1
    assert "Community (family, friends, groups)" in frame.locator(
        ".assetmap-legend").inner_text()
    no_errors(page)
    shot(page, "person_circle")
    assert not page.dialogs


def test_a_recorded_referral_shows_after_reload(page: Any, app: dict) -> None:
    start(page, app)
    go(page, "Person", "Choose a person")
    open_test_person(page, app, "Suggested connections")
    assert "No referrals recorded for this person yet." in page.inner_text("body")
    page.get_by_role("button", name="Record referral").click()
    wait_ready(page, "Person", "recorded.")
    message = page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    place = message.removeprefix("Referral to ").removesuffix(" recorded.").strip()
    assert place and place != message
    page.reload()  # a new session: sign in again, then the page reads the store afresh
    sign_in_if_asked(page, app)
    wait_ready(page, "Person", "Update status")  # the address, person and all, survives sign-in
    assert "No referrals recorded" not in page.inner_text("body")
    shown = page.get_by_role("combobox", name="Referral").input_value()
    assert shown.startswith(f"{place} — referred, ")
    no_errors(page)
    shot(page, "person_referral")


def test_a_script_like_group_name_shows_as_text(page: Any, app: dict) -> None:
    start(page, app)
    go(page, "Resilience", "In words")
    choose(page, "If this closed", f"{XSS_NAME} (group) — at risk")
    wait_ready(page, "Resilience", f"if {XSS_NAME} closed")
    assert XSS_NAME in page.inner_text("body")
    for frame in page.frames:
        assert frame.locator("img[src='x']").count() == 0
    go(page, "Person", "Choose a person")
    open_test_person(page, app, "Their circle")
    frame_with(page, "#mynetwork canvas")
    for frame in page.frames:
        assert frame.locator("img[src='x']").count() == 0
    assert not page.dialogs, page.dialogs
    shot(page, "xss_as_text")
