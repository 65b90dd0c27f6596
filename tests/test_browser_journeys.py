"""Three users' jobs end to end in a real browser (headless Chromium via Playwright against
``streamlit run`` on a small demo store), each page checked with axe-core (vendored, injected;
nothing downloaded) for serious or critical accessibility problems, and at 390 px wide:

- coordinator: Worklist -> a person's page -> add a tie by name -> refer to a searched group ->
  mark attended -> their level changes;
- link worker: Directory search by postcode + need + day -> the printable list;
- analyst: close a place on Resilience -> download the chart (PNG).

One server for the module. Screenshots and write timings go to ``tests/artifacts/``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import CHROMIUM, CHROMIUM_ARGS, build_test_store, served_app
from test_browser import TIMEOUT_MS, frame_with, no_errors, wait_ready

from assetmap import settings, vocab
from assetmap.governance.access import AccessDB, new_password
from assetmap.graph.analysis import isolated_people
from assetmap.worklist import person_labels

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "artifacts"
AXE = ROOT / "vendor" / "axe-core" / "axe.min.js"
COORDINATOR, ANALYST, ADMIN = "j-coordinator", "j-analyst", "j-admin"
#: Every page an administrator may open, by its link and title (the Worklist is a coordinator's
#: and scanned in their journey, as the Directory is in the link worker's).
ADMIN_PAGES: tuple[tuple[str, str], ...] = (
    ("Map", "Map"), ("Gaps", "Gaps"), ("Resilience", "Resilience"), ("Outcomes", "Outcomes"),
    ("Data", "Data"), ("About and data sources", "About and data sources"))
TIMINGS: dict[str, float] = {}

_AXE_RUN = """async (exclude) => {
  const result = await axe.run({include: [document], exclude: exclude}, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
    resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' ' +
                  n.html.slice(0, 120) + ' ' + JSON.stringify((n.any[0] || {}).data || {}))}));
}"""


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    try:
        from playwright import sync_api
    except ImportError:
        pytest.skip("Playwright is not installed")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed")
    home = tmp_path_factory.mktemp("journeys")
    db = home / "assetmap.db"
    # ASSETMAP_BROWSER_PEOPLE=20000 times the writes on the full-size demo (journey_timings.txt)
    store = build_test_store(db, people=int(os.environ.get("ASSETMAP_BROWSER_PEOPLE", "1500")))
    iso = isolated_people(store.to_networkx()).set_index("person_id")
    me = next(p for p in iso.index if iso.at[p, "level"] == "isolated")
    friend = next(p for p in iso.index if iso.at[p, "level"] == "well connected" and p != me)
    groups = [g for g in store.find(vocab.GROUP) if g.props.get("status") == "active"
              and g.props.get("funding") != "at_risk" and g.area and "Allotments" not in g.name]
    names = [g.name for g in groups]
    group = next(g for g in sorted(groups, key=lambda g: g.id) if names.count(g.name) == 1
                 and g.props.get("schedule") and g.name.replace(" ", "").isalnum())
    area = store.get(group.area).name
    hubs = [o for o in store.find(vocab.ORGANISATION, org_kind="wellbeing_hub") if o.area]
    hub = sorted(hubs, key=lambda o: o.id)[0]
    labels = person_labels(store, [me, friend])
    facts = {"me": me, "friend": friend, "me_label": labels[me], "friend_label": labels[friend],
             "friend_name": store.get(friend).name, "group": group.id,
             "group_name": group.name, "group_label": f"{group.name} — {area} (group)",
             "resilience_label": f"{group.name} (group)", "hub_name": hub.name,
             "hub_label": f"{hub.name} — {store.get(hub.area).name} (organisation)"}
    store.close()
    url = f"sqlite:///{db}"
    passwords = {COORDINATOR: new_password(), ANALYST: new_password(), ADMIN: new_password()}
    with AccessDB(settings.access_db_path(url)) as access:
        access.add_user(COORDINATOR, "coordinator", passwords[COORDINATOR])
        access.add_user(ANALYST, "hub_analyst", passwords[ANALYST])
        access.add_user(ADMIN, "admin", passwords[ADMIN])
        others = [p for p in iso.groupby("level", observed=True).head(3).index
                  if p not in {me, friend}]
        access.add_to_caseload(COORDINATOR, [me, friend, *others[:10]])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")
    with served_app(url, home, ARTIFACTS / "streamlit-journeys.log") as base, \
            sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield {"base": base, "passwords": passwords, "url": url, "chromium": chromium, **facts}
        chromium.close()
    if TIMINGS:
        people = os.environ.get("ASSETMAP_BROWSER_PEOPLE", "1500")
        with (ARTIFACTS / "journey_timings.txt").open("a", encoding="utf-8") as out:
            out.write("".join(f"{k} ({people} people): {v:.2f} s\n" for k, v in TIMINGS.items()))


def _tab(journey: dict, width: int = 1400) -> Any:
    context = journey["chromium"].new_context(viewport={"width": width, "height": 1000},
                                              accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    return tab


def _sign_in(tab: Any, journey: dict, name: str, home: str) -> None:
    tab.goto(journey["base"] + "/")
    wait_ready(tab, "Sign in")
    tab.get_by_label("Account name").fill(name)
    tab.get_by_role("textbox", name="Password").fill(journey["passwords"][name])
    tab.get_by_role("button", name="Sign in").click()
    wait_ready(tab, home)


def _axe(tab: Any, page: str, exclude: tuple[str, ...] = ()) -> None:
    """No serious or critical axe-core violation on this page (WCAG 2.2 A/AA rules), leaving
    out ``exclude`` (CSS selectors of parts other issues own)."""
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate(_AXE_RUN, [[sel] for sel in exclude])
    assert found == [], f"{page}: {found}"


def _fits(tab: Any, page: str) -> None:
    """At 390 px wide, the page does not scroll sideways."""
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.wait_for_function("() => window.innerWidth === 390")
    wide = tab.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 392, f"{page} is {wide} px wide at 390 px"
    tab.set_viewport_size({"width": 1400, "height": 1000})


def _choose(tab: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box called exactly ``label`` by typing it, as a user does."""
    tab.get_by_role("combobox", name=label, exact=True).click()
    tab.keyboard.type(option)
    tab.get_by_role("option", name=option, exact=True).click()


def _shot(tab: Any, title: str, name: str, height: int = 2000) -> None:
    """A screenshot of the whole page (Streamlit scrolls inside its own frame, so the window is
    made tall enough), once the page is drawn."""
    tab.set_viewport_size({"width": 1400, "height": height})
    wait_ready(tab, title)
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    tab.set_viewport_size({"width": 1400, "height": 1000})


def _open_tab(tab: Any, name: str) -> None:
    """Open one of the Record panel's tabs and wait for its form (only the open tab is drawn,
    so opening one is its own short run); time it."""
    began = time.perf_counter()
    tab.get_by_role("tab", name=name, exact=True).click()
    wait_ready(tab, "Person")
    TIMINGS[f"open the {name} tab"] = time.perf_counter() - began


def _level(tab: Any) -> str:
    return tab.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def _write(tab: Any, button: str, done: str, name: str) -> None:
    """Press a save button and wait until the page shows the result; time it."""
    began = time.perf_counter()
    tab.get_by_role("button", name=button, exact=True).click()
    wait_ready(tab, "Person", done)
    TIMINGS[name] = time.perf_counter() - began
    no_errors(tab)


def _search(tab: Any, label: str, words: str) -> None:
    """Type a name into a search box and wait for its matches to be offered."""
    box = tab.get_by_role("textbox", name=label)
    box.fill(words)
    box.press("Enter")
    try:
        wait_ready(tab, "Person", f"found for “{words}”")
    except Exception:
        tab.screenshot(path=str(ARTIFACTS / "search_failed.png"), full_page=True)
        raise


def test_coordinator_worklist_to_a_level_change(journey: dict) -> None:
    tab = _tab(journey)
    _sign_in(tab, journey, COORDINATOR, "Worklist")  # a coordinator's home
    no_errors(tab)
    body = tab.inner_text("body")
    assert journey["me_label"] in body or "Worklist" in body
    _shot(tab, "Worklist", "worklist", 1100)
    _axe(tab, "Worklist")
    _fits(tab, "Worklist")
    wait_ready(tab, "Worklist")
    _choose(tab, "Open a person's page", journey["me_label"])
    tab.get_by_role("button", name="Open their page").click()
    wait_ready(tab, "Person", "Record")
    no_errors(tab)
    assert _level(tab) == "Isolated"
    # Add a tie by name, learned in conversation: supported by a wellbeing hub.
    _open_tab(tab, "Add a tie")
    _search(tab, "Find a group or organisation by name", journey["hub_name"])
    _choose(tab, "Group or organisation", journey["hub_label"])
    _choose(tab, "Kind of tie", "Supported by")
    _write(tab, "Add tie", "Supported by tie recorded", "add a tie")
    assert _level(tab) == "Service-only"
    # Refer to a group found by name, with a reason.
    _open_tab(tab, "Refer")
    _search(tab, "Find a place to refer to by name", journey["group_name"])
    _choose(tab, "Place to refer to", journey["group_label"])
    tab.get_by_role("textbox", name="Reason for the referral").fill("wants to meet people")
    _write(tab, "Refer", f"Referral to {journey['group_name']} recorded", "refer")
    # Mark it attended: the ongoing tie is recorded and the level moves.
    _open_tab(tab, "Referral outcome")
    _write(tab, "Save outcome", "marked attended and the tie recorded", "mark attended")
    assert _level(tab) == "At risk"  # one community tie now: no longer service-only
    # The circle's ties table is beside the picture and names the hub (issue 14, item 6).
    assert journey["hub_name"] in tab.locator('[data-testid="stTable"]').last.inner_text()
    _axe(tab, "Person")
    _fits(tab, "Person")
    wait_ready(tab, "Person")
    tab.set_viewport_size({"width": 1400, "height": 3200})
    wait_ready(tab, "Person")
    _open_tab(tab, "Add a tie")
    top = tab.get_by_role("heading", name="Record", exact=True).bounding_box()
    tab.screenshot(path=str(ARTIFACTS / "person_recording.png"),
                   clip={"x": 0, "y": max(0, top["y"] - 16), "width": 1400, "height": 900})
    tab.context.close()


def test_link_worker_directory_to_printable_list(journey: dict) -> None:
    tab = _tab(journey)
    _sign_in(tab, journey, COORDINATOR, "Worklist")
    tab.get_by_role("link", name="Directory", exact=True).click()
    wait_ready(tab, "Directory")
    _choose(tab, "Need", "Loneliness")
    tab.get_by_role("textbox", name="Near (postcode or place)").fill("M33 7AA")
    _choose(tab, "Day", "Tuesday")
    began = time.perf_counter()
    tab.get_by_role("button", name="Search", exact=True).click()
    wait_ready(tab, "Directory", "loneliness · near M33 7AA · Tuesday")
    TIMINGS["directory search"] = time.perf_counter() - began
    no_errors(tab)
    # The map shows the same places, numbered as in the list.
    tab.set_viewport_size({"width": 1400, "height": 2300})
    markers = frame_with(tab, ".leaflet-marker-icon").locator(".leaflet-marker-icon")
    shown = int(tab.inner_text("body").split(" places ·")[0].split()[-1])
    assert markers.count() == min(shown, 40)  # the page shows the nearest 40
    assert markers.first.inner_text().strip() == "1"
    _shot(tab, "Directory", "directory", 2300)
    _axe(tab, "Directory")
    _fits(tab, "Directory")
    wait_ready(tab, "Directory")
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Printable list (HTML)").click()
    page = Path(download.value.path()).read_text(encoding="utf-8")
    assert "@media print" in page and '<li value="1">' in page and "How far" in page
    printed = tab.context.new_page()
    printed.set_content(page)
    printed.emulate_media(media="print")
    printed.screenshot(path=str(ARTIFACTS / "directory_printable.png"), full_page=True)
    assert printed.locator("li").count() >= 1
    tab.context.close()


def test_analyst_closes_a_place_and_downloads_a_chart(journey: dict) -> None:
    tab = _tab(journey)
    _sign_in(tab, journey, ANALYST, "Map")
    tab.get_by_role("link", name="Resilience", exact=True).click()
    wait_ready(tab, "Resilience", "Who depends on it")
    _choose(tab, "If this closed", journey["resilience_label"])
    wait_ready(tab, "Resilience", f"if {journey['group_name']} closed")
    no_errors(tab)
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download chart (PNG)").click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    (ARTIFACTS / "who_depends.png").write_bytes(png)
    _shot(tab, "Resilience", "resilience_bands", 2200)
    tab.context.close()


def test_every_page_has_no_serious_axe_issue_and_fits_a_phone(journey: dict) -> None:
    """axe-core finds no serious or critical WCAG 2.2 A/AA issue on any page, and none scrolls
    sideways at 390 px (the Worklist, Directory and Person pages are checked in the journeys
    above; the Person page again here, as an administrator who searches for someone)."""
    tab = _tab(journey)
    _sign_in(tab, journey, ADMIN, "Map")
    for n, (link, title) in enumerate(ADMIN_PAGES):
        if n:  # the first is the home page, already open (a click would rerun it)
            tab.get_by_role("link", name=link, exact=True).click()
        wait_ready(tab, title)
        tab.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
        no_errors(tab)
        _axe(tab, title)
        _fits(tab, title)
        wait_ready(tab, title)
    tab.get_by_role("link", name="Person", exact=True).click()
    wait_ready(tab, "Person")
    tag = journey["friend_label"].split(" · ")[-1]  # the short id: one match
    box = tab.get_by_role("textbox", name="Find a person")
    box.fill(tag)
    box.press("Enter")
    wait_ready(tab, "Person")
    tab.get_by_role("combobox", name="Person").click()
    tab.get_by_role("option").first.click()
    wait_ready(tab, "Person", "Their ties")
    no_errors(tab)
    _shot(tab, "Person", "person", 1500)  # the circle and its ties table (README)
    _axe(tab, "Person (administrator)")
    tab.context.close()
