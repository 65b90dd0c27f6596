"""Sessions survive a refresh and a new tab (issue 14), in real Chromium against ``streamlit run``:
the signed session token travels in a ``SameSite=Strict`` cookie that the server checks like
any token (signature, server-side row, browser fingerprint, idle and total time, revocation).
Sign-out, an idle session and a forged or copied cookie all end at the sign-in form.

One app server and one browser for the module (an empty store, a coordinator, the light About
page). The cookie helpers, and the scripts the pages put in (AppTest), are tested first.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_app import CHROMIUM, CHROMIUM_ARGS, served_app
from test_browser import wait_ready

from assetmap import settings
from assetmap.governance.access import AccessDB, new_password
from assetmap.ui import auth

NAME = "session-coordinator"
#: The page the tests open (the light About page: these tests are about sign-in, not pages).
PATH, HOME = "/about", "About and data sources"
TIMEOUT_MS = 90_000
UA = "Mozilla/5.0 (X11; Linux x86_64) assetmap-session-test/1.0"


# --- the cookie helpers ------------------------------------------------------------------------


def test_the_session_cookie_carries_its_attributes() -> None:
    cookie = auth.session_cookie("v1.abc_-9.1700000000.ff00", 3600)
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"{auth.cookie_name()}=v1.abc_-9.1700000000.ff00"
    assert {"Max-Age=3600", "Path=/", "SameSite=Strict"} <= set(parts)
    assert "Secure" not in parts and "HttpOnly" not in parts  # a page script cannot set that
    assert auth.session_cookie("t", 60, secure=True).endswith("; Secure")
    assert "Max-Age=0" in auth.session_cookie("", 0)  # removal
    assert "Max-Age=0" in auth.session_cookie("t", -5)


def test_each_store_has_its_own_cookie(tmp_path: Path) -> None:
    """Two apps on one host (ports share cookies) must not read each other's cookie."""
    one = auth.cookie_name(f"sqlite:///{tmp_path / 'trafford.db'}")
    two = auth.cookie_name(f"sqlite:///{tmp_path / 'salford.db'}")
    assert one != two and one.startswith(auth.COOKIE_NAME + "_") and len(one) < 40
    assert one == auth.cookie_name(f"sqlite:///{tmp_path / 'trafford.db'}")
    assert auth.session_cookie("t", 1, name=one).startswith(one + "=t;")


def test_the_session_cookie_refuses_anything_but_a_token() -> None:
    for bad in ("a;b", "a b", "a=b", "x\r\nSet-Cookie: y", "é"):
        with pytest.raises(ValueError):
            auth.session_cookie(bad, 60)


def test_the_cookie_lasts_what_is_left_of_the_session() -> None:
    assert auth.cookie_max_age("v1.id.1000.mac", now=400) == 600
    assert auth.cookie_max_age("v1.id.1000.mac", now=2000) == 0
    assert auth.cookie_max_age("nonsense", now=0) == settings.load().session_max_hours * 3600


def test_the_cookie_script_adds_secure_over_https_and_cannot_be_broken_out_of() -> None:
    script = auth.cookie_script(auth.session_cookie("v1.a.1.b", 10))
    assert "location.protocol === 'https:'" in script and "'; Secure'" in script
    assert "document.cookie = c" in script
    assert "__assetmapIdle" not in script  # not the idle timer (tests count that one)
    inner = auth.cookie_script('x</script><script>alert(1)</script>')
    assert inner.count("</script>") == 1 and "\\u003c/script>" in inner


# --- the pages put the scripts in (AppTest, on an empty real store) ----------------------------


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from assetmap.graph.store.sqlite_store import SQLiteStore

    SQLiteStore(tmp_path / "assetmap.db").close()
    url = f"sqlite:///{tmp_path / 'assetmap.db'}"
    monkeypatch.setenv("ASSETMAP_STORE", url)
    monkeypatch.setenv("ASSETMAP_HOME", str(tmp_path))
    monkeypatch.delenv("ASSETMAP_ACCESS_DB", raising=False)
    monkeypatch.delenv("ASSETMAP_AUTH", raising=False)
    settings.reset()
    return url


def _scripts(at: Any, text: str) -> list[str]:
    return [h.proto.body for h in at.get("html") if text in h.proto.body]


def test_a_signed_in_page_writes_the_cookie_and_sign_out_removes_it(empty_store: str) -> None:
    from conftest import signed_in
    from streamlit.testing.v1 import AppTest

    app = Path(auth.__file__).with_name("app.py")
    at = signed_in(AppTest.from_file(str(app), default_timeout=60), role="coordinator").run()
    token = at.session_state[auth.TOKEN_KEY]
    written = _scripts(at, "document.cookie")
    assert len(written) == 1 and "__assetmapIdle" in written[0]  # one element with the timer
    assert f'"{auth.cookie_name()}={token}; Max-Age=' in written[0]
    assert "SameSite=Strict" in written[0] and "Path=/" in written[0]
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert auth.SIGN_IN_TITLE in [t.value for t in at.title]
    cleared = _scripts(at, "document.cookie")
    assert len(cleared) == 1 and f'"{auth.cookie_name()}=; Max-Age=0;' in cleared[0]
    with AccessDB(settings.access_db_path(empty_store)) as access:
        assert access.verify_session_token(token, auth.client_fingerprint()) is None
    at.run()  # the cookie is removed once, not on every later run of the sign-in screen
    assert not _scripts(at, "document.cookie")


# --- in a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on an empty store, a coordinator account, and one Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Playwright and Chromium are needed for the browser tests in CI")
        pytest.skip("Playwright or Chromium is not installed")
    from assetmap.graph.store.sqlite_store import SQLiteStore

    home = tmp_path_factory.mktemp("sessions")
    db = home / "assetmap.db"
    SQLiteStore(db).close()  # an empty store: these tests are about signing in, not data
    url = f"sqlite:///{db}"
    password = new_password()
    access_path = settings.access_db_path(url)
    with AccessDB(access_path) as access:
        access.add_user(NAME, "coordinator", password)
    with served_app(url, home, home / "streamlit.log") as base, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield {"base": base, "password": password, "chromium": chromium,
                   "access": Path(access_path), "cookie": auth.cookie_name(url)}
        finally:
            chromium.close()


def _context(site: dict, user_agent: str = UA) -> Any:
    return site["chromium"].new_context(viewport={"width": 1200, "height": 900},
                                        user_agent=user_agent)


def _open(context: Any, site: dict, title: str, text: str | None = None) -> Any:
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.goto(site["base"] + PATH)
    wait_ready(tab, title, text)
    return tab


def _sign_in(context: Any, site: dict) -> Any:
    tab = _open(context, site, auth.SIGN_IN_TITLE)
    tab.get_by_label("Account name").fill(NAME)
    tab.get_by_role("textbox", name="Password").fill(site["password"])
    tab.get_by_role("button", name="Sign in").click()
    wait_ready(tab, HOME)
    return tab


def _cookie(context: Any, site: dict) -> dict | None:
    found = [c for c in context.cookies() if c["name"] == site["cookie"]]
    return found[0] if found else None


def _wait_for_cookie(tab: Any, site: dict, present: bool) -> None:
    """Until the page's script has written (or removed) the session cookie."""
    tab.wait_for_function("([name, present]) => document.cookie.split('; ')"
                          ".some(c => c.startsWith(name + '=') && c.length > name.length + 1)"
                          " === present", arg=[site["cookie"], present], timeout=TIMEOUT_MS)


@pytest.mark.slow
def test_a_session_survives_a_refresh_and_a_new_tab_until_sign_out(site: dict) -> None:
    context = _context(site)
    try:
        tab = _sign_in(context, site)
        _wait_for_cookie(tab, site, True)
        cookie = _cookie(context, site)
        assert cookie is not None and cookie["value"].startswith("v1.")
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert not cookie["secure"]  # served over plain http on 127.0.0.1
        lifetime = cookie["expires"] - time.time()
        max_seconds = settings.load().session_max_hours * 3600
        assert max_seconds - 120 < lifetime <= max_seconds + 5
        tab.reload()  # a new Streamlit session: signed in from the cookie
        wait_ready(tab, HOME)
        assert not tab.get_by_role("button", name="Sign in").count()
        second = _open(context, site, HOME)  # a new tab of the same browser
        tab.get_by_role("button", name="Sign out").click()
        wait_ready(tab, auth.SIGN_IN_TITLE, "You are signed out.")
        _wait_for_cookie(tab, site, False)
        tab.reload()
        wait_ready(tab, auth.SIGN_IN_TITLE)
        second.reload()  # the other tab's session was the same one, now revoked
        wait_ready(second, auth.SIGN_IN_TITLE)
        assert _cookie(context, site) is None
    finally:
        context.close()


@pytest.mark.slow
def test_a_forged_or_copied_cookie_gets_the_sign_in_form_and_idle_is_not_resumed(
        site: dict) -> None:
    """The owner's own token in a fresh context of the same browser signs in (so the refusals
    below could fail); a tampered signature, or the token in another browser (fingerprint), get
    the sign-in form and the refused cookie is removed. Then the session goes idle (moved back
    in time in the access database, as if the idle timer had reloaded the page): the reload
    shows the sign-in form with the idle notice and clears the cookie."""
    owner = _context(site)
    try:
        _wait_for_cookie(_sign_in(owner, site), site, True)
        token = _cookie(owner, site)["value"]
    finally:
        owner.close()
    version, session_id, expires, mac = token.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    cases = {
        "a tampered signature": (f"{version}.{session_id}.{expires}.{flipped}", UA),
        "another browser": (token, UA.replace("1.0", "2.0")),
    }
    for case, (value, agent) in cases.items():
        context = _context(site, agent)
        try:
            context.add_cookies([{"name": site["cookie"], "value": value,
                                  "url": site["base"] + "/", "sameSite": "Strict"}])
            tab = _open(context, site, auth.SIGN_IN_TITLE)
            assert tab.get_by_role("button", name="Sign in").count(), case
            _wait_for_cookie(tab, site, False)  # the refused cookie is removed
        finally:
            context.close()
    copied = _context(site)
    try:
        copied.add_cookies([{"name": site["cookie"], "value": token,
                             "url": site["base"] + "/", "sameSite": "Strict"}])
        tab = _open(copied, site, HOME)  # the genuine token, same browser: signed in
        idle = settings.load().session_idle_minutes * 60 + 5
        db = sqlite3.connect(site["access"])
        try:
            with db:
                db.execute("UPDATE sessions SET last_seen = last_seen - ? WHERE session_id = ?",
                           (idle, session_id))
        finally:
            db.close()
        tab.reload()
        wait_ready(tab, auth.SIGN_IN_TITLE, "without activity")
        _wait_for_cookie(tab, site, False)
    finally:
        copied.close()
