"""Outcomes in a real browser (Chromium via Playwright against ``streamlit run``): a person's
timeline chart draws and a scale can be recorded on the Person page, and the Outcomes page draws
its cohort chart and table, worded as association. One server for the module, a small demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import CHROMIUM, CHROMIUM_ARGS, served_app
from test_browser import (  # noqa: F401  (playwright_api: the shared fixture)
    ARTIFACTS,
    TIMEOUT_MS,
    no_errors,
    playwright_api,
    sign_in_if_asked,
    wait_ready,
)

from assetmap import settings, vocab
from assetmap.demo.build import build_demo
from assetmap.governance.access import AccessDB, new_password
from assetmap.graph.store.sqlite_store import SQLiteStore

pytestmark = pytest.mark.slow

CHART = '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]'


@pytest.fixture(scope="module")
def outcomes_app(playwright_api: Any, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
                 ) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("browser_outcomes")
    db = home / "assetmap.db"
    store = SQLiteStore(db)
    build_demo(store, people=1500, seed=5)
    dates: dict[str, set[str]] = {}
    for rec in store.records(vocab.MEASURE):
        dates.setdefault(rec.person_id, set()).add(rec.date)
    person = min(p for p, d in dates.items() if len(d) >= 2)  # a baseline and a follow-up
    store.close()
    url = f"sqlite:///{db}"
    password = new_password()
    with AccessDB(settings.access_db_path(url)) as access:
        access.add_user("browser-admin", "admin", password)
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(url, home, ARTIFACTS / "streamlit_outcomes.log") as base:
        with playwright_api.sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield {"base": base, "password": password, "person": person,
                       "browser": chromium, "store": db}
            finally:
                chromium.close()


@pytest.fixture
def tab(outcomes_app: dict) -> Iterator[Any]:
    context = outcomes_app["browser"].new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def _chart_drawn(page: Any) -> None:
    chart = page.locator(CHART).first
    chart.wait_for(state="visible")
    chart.locator("canvas, svg").first.wait_for(state="visible")


def test_person_timeline_draws_and_a_scale_is_recorded(outcomes_app: dict, tab: Any) -> None:
    tab.goto(f"{outcomes_app['base']}/person?person={outcomes_app['person']}")
    sign_in_if_asked(tab, {"password": outcomes_app["password"]})
    wait_ready(tab, "Person", "Outcomes over time")
    heading = tab.get_by_role("heading", name="Outcomes over time")
    heading.scroll_into_view_if_needed()
    _chart_drawn(tab)
    timeline = tab.locator(CHART).first
    timeline.scroll_into_view_if_needed()
    timeline.screenshot(path=str(ARTIFACTS / "person_timeline.png"))
    no_errors(tab)
    tab.get_by_role("button", name="Record scale").click()
    wait_ready(tab, "Person", "ONS4 personal wellbeing recorded")
    no_errors(tab)
    tab.screenshot(path=str(ARTIFACTS / "person_outcomes.png"), full_page=True)
    store = SQLiteStore(Path(outcomes_app["store"]))
    try:
        scales = {r.data["scale"] for r in store.records(vocab.MEASURE,
                                                        person_id=outcomes_app["person"])}
    finally:
        store.close()
    assert "ons4" in scales


def test_outcomes_page_shows_cohort_chart_and_table(outcomes_app: dict, tab: Any) -> None:
    tab.goto(f"{outcomes_app['base']}/outcomes")
    sign_in_if_asked(tab, {"password": outcomes_app["password"]})
    wait_ready(tab, "Outcomes", "association, not cause")
    _chart_drawn(tab)
    body = tab.inner_text("body")
    assert "Change in community ties beside change in wellbeing" in body
    tab.locator('[data-testid="stDataFrame"]').first.wait_for(state="attached")
    assert "What experts by experience say" in body
    no_errors(tab)
    tab.screenshot(path=str(ARTIFACTS / "outcomes_page.png"), full_page=True)
