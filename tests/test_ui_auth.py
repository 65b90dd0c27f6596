"""The sign-in gate, run for real by Streamlit's AppTest on a SQLite store in tmp_path: default
deny, sign-in with a real argon2-hashed account, sessions that end, and pages by role."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import signed_in
from streamlit.testing.v1 import AppTest
from test_maps import CARERS, PEOPLE, build_store

from assetmap import settings
from assetmap.governance import access, audit
from assetmap.governance.access import AccessDB
from assetmap.ui import auth

APP = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "app.py"
PAGES_DIR = APP.parent / "views"
TIMEOUT = 60
PASSWORD = "correct horse battery"


@pytest.fixture
def store_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    store, _ = build_store(tmp_path / "assetmap.db", PEOPLE, CARERS)
    store.close()
    url = f"sqlite:///{tmp_path / 'assetmap.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_AUTH", raising=False)
    return url


@pytest.fixture
def person_names(store_url: str) -> list[str]:
    from assetmap.graph.store.sqlite_store import SQLiteStore

    store = SQLiteStore.from_url(store_url)
    try:
        return [n.name for n in store.find("Person") if n.name]
    finally:
        store.close()


def _everything(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.markdown, *at.caption, *at.info, *at.error,
                               *at.warning, *at.text)]
    parts += [str(d.value) for d in at.dataframe]
    parts += [str(s.options) for s in at.selectbox]
    return "\n".join(str(p) for p in parts)


def _home(role: str) -> str:
    """The page a role lands on after signing in: the first page in the app's menu it may use
    (a coordinator's worklist where that page exists)."""
    if "worklist.py" in access.PAGES_FOR_ROLE[role] and (PAGES_DIR / "worklist.py").exists():
        return "Worklist"
    return "Map"


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


PAGE_FILES = sorted(p.name for p in PAGES_DIR.glob("*.py"))


def test_anonymous_gets_the_sign_in_screen_and_nothing_else(store_url, person_names):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    assert len(at.text_input) == 2
    text = _everything(at)
    assert person_names and not any(name in text for name in person_names)
    assert len(at.get("download_button")) == 0


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_anonymous_is_the_sign_in_screen(store_url, person_names, page):
    # Through the app: no page but the sign-in screen is even registered.
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(f"views/{page}")
    # Each page on its own (as if opened directly) checks too.
    direct = AppTest.from_file(str(PAGES_DIR / page), default_timeout=TIMEOUT).run()
    assert not direct.exception
    assert _titles(direct) == [auth.SIGN_IN_TITLE]
    text = _everything(direct)
    assert not any(name in text for name in person_names)
    assert len(direct.get("download_button")) == 0


def test_sign_in_with_a_real_account(store_url):
    with AccessDB.for_store(store_url) as db:
        db.add_user("ann.coordinator", "coordinator", PASSWORD)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.text_input(key="sign_in_name").input("ann.coordinator")
    at.text_input(key="sign_in_password").input("wrong password!!")
    at.button[0].click().run()
    assert not at.exception
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    assert any("do not match" in e.value for e in at.error)
    at.text_input(key="sign_in_name").input("Ann.Coordinator")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert _titles(at) == [_home("coordinator")]
    assert any("ann.coordinator" in c.value for c in at.sidebar.caption)
    with AccessDB.for_store(store_url) as db:
        rows = [(e.user, e.action, e.outcome) for e in audit.events(db, action="sign_in")]
    assert rows == [("ann.coordinator", "sign_in", "denied"),
                    ("ann.coordinator", "sign_in", "allowed")]


def _signed_in_script() -> None:
    import streamlit as st

    from assetmap.ui import auth

    user = auth.require_user()
    auth.sidebar(user)
    st.title("Inside")


def test_signing_out_ends_the_session(store_url):
    # (AppTest reruns a multipage app's last page file directly, without app.py and its
    # sidebar, so the sign-out button is exercised on a one-page script.)
    at = signed_in(AppTest.from_function(_signed_in_script, default_timeout=TIMEOUT)).run()
    assert _titles(at) == ["Inside"]
    at.sidebar.button(key="sign_out").click().run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    assert any("signed out" in w.value for w in at.warning)
    at.run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    with AccessDB.for_store(store_url) as db:
        assert [e.action for e in audit.events(db)][-1] == "sign_out"


def test_an_unknown_name_is_not_written_down(store_url):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.text_input(key="sign_in_name").input("my-secret-typed-in-the-wrong-box")
    at.text_input(key="sign_in_password").input("whatever it is")
    at.button[0].click().run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    with AccessDB.for_store(store_url) as db:
        rows = list(audit.events(db))
    assert [(r.user, r.outcome) for r in rows] == [("(unknown)", "denied")]


@pytest.mark.parametrize(("idle_minutes", "hours", "signed_out"), [
    (29, 1, False), (31, 1, True), (1, 11.9, False), (1, 12.1, True)])
def test_sessions_end_when_idle_or_too_long(store_url, idle_minutes, hours, signed_out):
    at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    now = time.time()
    at.session_state[auth.STARTED_KEY] = now - hours * 3600
    at.session_state[auth.SEEN_KEY] = now - idle_minutes * 60
    at.run()
    assert not at.exception
    assert (_titles(at) == [auth.SIGN_IN_TITLE]) is signed_out
    if signed_out:
        assert any("sign in again" in w.value for w in at.warning)


def test_session_limits_are_settings(store_url, monkeypatch):
    monkeypatch.setenv("ASSETMAP_SESSION_IDLE_MINUTES", "5")
    at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT))
    at.session_state[auth.SEEN_KEY] = time.time() - 6 * 60
    at.run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]


def test_a_removed_account_is_signed_out_at_once(store_url):
    at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT), role="hub_analyst").run()
    assert _titles(at) == [_home("hub_analyst")]
    with AccessDB.for_store(store_url) as db:
        db.remove_user("test-hub-analyst")
    at.run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]


@pytest.mark.parametrize("role", access.ROLES)
@pytest.mark.parametrize("page", PAGE_FILES)
def test_each_role_reaches_only_its_pages(store_url, role, page):
    at = signed_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT), role=role).run()
    assert _titles(at) == [_home(role)]
    if page not in access.PAGES_FOR_ROLE[role]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"views/{page}")
        # Opened directly, the page refuses too.
        direct = signed_in(AppTest.from_file(str(PAGES_DIR / page), default_timeout=TIMEOUT),
                           role=role).run()
        assert not direct.exception
        assert any(auth.NOT_ALLOWED in e.value for e in direct.error)
        assert len(direct.get("download_button")) == 0
    else:
        at.switch_page(f"views/{page}").run()
        assert not at.exception
        assert auth.SIGN_IN_TITLE not in _titles(at)
        assert not any(auth.NOT_ALLOWED in e.value for e in at.error)


def test_single_sign_on_not_configured_means_local_sign_in(store_url, monkeypatch):
    """st.login needs an identity provider; here only the 'not configured' path can be run."""
    monkeypatch.setenv("ASSETMAP_AUTH", "oidc")
    assert settings.load().auth == "oidc"
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    assert [b.label for b in at.button] == ["Sign in"]  # no SSO button without [auth] secrets


def test_single_sign_on_maps_the_e_mail_to_an_account(store_url, monkeypatch):
    """With [auth] secrets and a signed-in identity (seeded by AppTest; no real provider here),
    the e-mail must be an assetmap account, which gives the role."""
    monkeypatch.setenv("ASSETMAP_AUTH", "oidc")
    with AccessDB.for_store(store_url) as db:
        db.add_user("alice@council.example", "hub_analyst", None)  # SSO only, no password
    secrets = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                        "cookie_secret": "test-only", "client_id": "x", "client_secret": "y",
                        "server_metadata_url": "https://idp.example/.well-known/openid"}}
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets.update(secrets)
    at.run()
    assert _titles(at) == [auth.SIGN_IN_TITLE]
    assert "Sign in with your organisation account" in [b.label for b in at.button]
    stranger = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    stranger.secrets.update(secrets)
    stranger.user.update({"is_logged_in": True, "email": "mallory@elsewhere.example"})
    stranger.run()
    assert _titles(stranger) == [auth.SIGN_IN_TITLE]
    assert any("no assetmap role" in w.value for w in stranger.warning)
    alice = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    alice.secrets.update(secrets)
    alice.user.update({"is_logged_in": True, "email": "Alice@Council.example"})
    alice.run()
    assert not alice.exception
    assert _titles(alice) == [_home("hub_analyst")]
    with AccessDB.for_store(store_url) as db:
        assert db.authenticate("alice@council.example", "") is None  # no password to guess
        rows = [(e.user, e.outcome) for e in audit.events(db, action="sign_in")]
    assert ("(unknown)", "denied") in rows and ("alice@council.example", "allowed") in rows


def _download_script() -> None:
    import pandas as pd
    import streamlit as st

    from assetmap.ui import auth

    user = auth.require_user()
    frame = pd.DataFrame({"Person": ["=cmd()", "Ann"], "Why": ["a", "b"]})
    auth.people_download(frame, "people.csv", "dl", user, ["person:a", "person:b"])
    st.write("ready")


@pytest.mark.parametrize(("role", "needs_reason"), [("admin", True), ("coordinator", False)])
def test_people_downloads_need_a_reason_from_an_admin(store_url, role, needs_reason):
    at = signed_in(AppTest.from_function(_download_script, default_timeout=TIMEOUT),
                   role=role).run()
    assert not at.exception
    button = at.get("download_button")[0].proto
    assert button.disabled is needs_reason
    if needs_reason:
        at.text_input(key="dl_reason").input("safeguarding review 42").run()
        assert at.get("download_button")[0].proto.disabled is False


def test_a_person_outside_the_caseload_by_id_is_not_found_and_denied(store_url):
    mine, theirs = "person:s000000", "person:s000005"
    at = signed_in(AppTest.from_file(str(PAGES_DIR / "person.py"), default_timeout=TIMEOUT),
                   role="coordinator", caseload=(mine,))
    at.query_params["person"] = theirs
    at.run()
    assert not at.exception
    text = _everything(at)
    assert "Zebedee Quill 5" not in text
    assert any("not found" in m.value.lower() for m in (*at.warning, *at.info, *at.error))
    with AccessDB.for_store(store_url) as db:
        rows = [(e.user, e.person_id, e.action, e.outcome) for e in audit.events(db)
                if e.person_id is not None]
    assert rows == [("test-coordinator", theirs, "view", "denied")]


def test_an_id_link_with_an_empty_caseload_is_still_denied_and_audited(store_url):
    theirs = "person:s000005"
    at = signed_in(AppTest.from_file(str(PAGES_DIR / "person.py"), default_timeout=TIMEOUT),
                   role="coordinator", name="empty-caseload")
    at.query_params["person"] = theirs
    at.run()
    assert not at.exception
    assert "Zebedee Quill 5" not in _everything(at)
    assert any("not found" in m.value.lower() for m in at.warning)
    with AccessDB.for_store(store_url) as db:
        rows = [(e.user, e.person_id, e.outcome) for e in audit.events(db)
                if e.person_id is not None]
    assert rows == [("empty-caseload", theirs, "denied")]


# --- the same rules in a real browser (Chromium via Playwright against `streamlit run`) --------

BROWSER_TITLES = {"map.py": "Map", "person.py": "Person", "gaps.py": "Gaps",
                  "resilience.py": "Resilience", "outcomes.py": "Outcomes", "data.py": "Data",
                  "about.py": "About and data sources", "worklist.py": "Worklist",
                  "directory.py": "Directory"}


@pytest.mark.slow
def test_roles_and_default_deny_in_a_real_browser(tmp_path):
    import os

    from browser_app import CHROMIUM, CHROMIUM_ARGS, served_app
    from test_browser import wait_ready

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Playwright and Chromium are needed for the browser tests in CI")
        pytest.skip("Playwright or Chromium is not installed")
    from assetmap.demo.build import build_demo
    from assetmap.graph.store.sqlite_store import SQLiteStore

    db = tmp_path / "assetmap.db"
    store = SQLiteStore(db)
    build_demo(store, people=500, seed=11)
    people = list(store.find("Person"))
    store.close()
    url = f"sqlite:///{db}"
    passwords = {}
    with AccessDB(settings.access_db_path(url)) as access_db:
        for role in access.ROLES:
            passwords[role] = access.new_password()
            access_db.add_user(f"b-{role.replace('_', '-')}", role, passwords[role])
        access_db.add_to_caseload("b-coordinator", [people[0].id])
    outsiders = [p.name for p in people[1:40]]
    with served_app(url, tmp_path, tmp_path / "streamlit.log") as base, \
            sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Anonymous: every address is the sign-in screen, with no one's name on it.
            for path in ["", *[p.removesuffix(".py") for p in BROWSER_TITLES]]:
                tab = chromium.new_page()
                tab.goto(f"{base}/{path}")
                wait_ready(tab, auth.SIGN_IN_TITLE)
                body = tab.inner_text("body")
                assert not any(name in body for name in outsiders), path
                tab.close()
            # Each role: after signing in, the menu offers exactly the role's pages.
            for role in access.ROLES:
                tab = chromium.new_page()
                tab.goto(base)
                wait_ready(tab, auth.SIGN_IN_TITLE)
                tab.get_by_label("Account name").fill(f"b-{role.replace('_', '-')}")
                tab.get_by_role("textbox", name="Password").fill(passwords[role])
                tab.get_by_role("button", name="Sign in").click()
                wait_ready(tab, _home(role))
                nav = tab.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
                expected = [t for p, t in BROWSER_TITLES.items()
                            if p in access.PAGES_FOR_ROLE[role]]
                shown = sorted(n.strip().splitlines()[-1].strip() for n in nav)  # minus icon
                assert shown == sorted(expected), role
                tab.close()
        finally:
            chromium.close()
