"""Sessions survive a refresh and a new tab (issue 14), in real Chromium against the app started
as ``assetmap serve`` starts it (``python -m assetmap.ui.launch run``): the signed session token
travels in an ``HttpOnly``, ``SameSite=Strict`` cookie that the server checks like any token
(signature, server-side row, browser fingerprint, idle and total time, revocation). The page
never holds the token: it posts a one-time handoff code to the launcher's session route, which
sets (or removes) the cookie. Sign-out, an idle session and a forged or copied cookie all end at
the sign-in form; the route refuses other origins, requests without its header, forged codes
and tokens posted in place of a code.

One app server and one browser for the module (an empty store, a coordinator, the light About
page). The cookie helpers, the handoff codes, the route (as ASGI) and the scripts the pages put
in (AppTest) are tested first.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_app import CHROMIUM, CHROMIUM_ARGS, served_app
from test_browser import wait_ready

from assetmap import settings
from assetmap.governance.access import AccessDB, new_password
from assetmap.ui import auth, launch

NAME = "session-coordinator"
#: The page the tests open (the light About page: these tests are about sign-in, not pages).
PATH, HOME = "/about", "About and data sources"
TIMEOUT_MS = 90_000
UA = "Mozilla/5.0 (X11; Linux x86_64) assetmap-session-test/1.0"
ROUTE = "/" + launch.SESSION_ROUTE


# --- the cookie helpers ------------------------------------------------------------------------


def test_the_session_cookie_carries_its_attributes() -> None:
    cookie = auth.session_cookie("v1.abc_-9.1700000000.ff00", 3600)
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"{auth.cookie_name()}=v1.abc_-9.1700000000.ff00"
    assert {"Max-Age=3600", "Path=/", "SameSite=Strict", "HttpOnly"} <= set(parts)
    assert "Secure" not in parts
    assert auth.session_cookie("t", 60, secure=True).endswith("; HttpOnly; Secure")
    assert "HttpOnly" not in auth.session_cookie("t", 60, http_only=False)
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


def test_the_cookie_script_posts_a_code_and_cannot_be_broken_out_of() -> None:
    script = auth.cookie_script("code-123", route="/base/_assetmap/session")
    assert '"code-123"' in script and '"/base/_assetmap/session"' in script
    assert "credentials: 'same-origin'" in script and "method: 'POST'" in script
    assert f'"{launch.SESSION_ROUTE_HEADER}": \'1\'' in script
    assert "document.cookie" not in script  # the page never writes (or reads) the cookie
    assert "__assetmapIdle" not in script  # not the idle timer (tests count that one)
    inner = auth.cookie_script('x</script><script>alert(1)</script>')
    assert inner.count("</script>") == 1 and "\\u003c/script>" in inner


# --- the handoff codes and the route -----------------------------------------------------------

BROWSER = {"user-agent": UA, "accept-language": "en-GB"}


@pytest.fixture
def access(tmp_path: Path) -> Iterator[AccessDB]:
    """A real access database with one coordinator."""
    with AccessDB(tmp_path / "access.db") as db:
        db.add_user(NAME, "coordinator", new_password())
        yield db


def _token(access: AccessDB, headers: dict = BROWSER) -> str:
    return access.issue_session_token(access.user(NAME), auth.fingerprint_of(headers))


def test_a_handoff_code_sets_the_httponly_cookie_once_for_the_same_browser(
        access: AccessDB) -> None:
    token = _token(access)
    code = auth.offer_cookie(token, "assetmap_session_x", access)
    assert token not in code and auth.handoff_state(code) == "pending"
    other = dict(BROWSER, **{"user-agent": UA.replace("1.0", "2.0")})
    stolen = auth.offer_cookie(token, "assetmap_session_x", access)
    assert auth.redeem_handoff(stolen, other, secure=False) is None  # another browser
    assert auth.handoff_state(stolen) is None  # spent; the page gets a fresh offer
    cookie = auth.redeem_handoff(code, BROWSER, secure=True)
    assert cookie is not None
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"assetmap_session_x={token}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Secure"} <= set(parts)
    assert auth.handoff_state(code) == "redeemed"
    assert auth.redeem_handoff(code, BROWSER, secure=True) is None  # once only


def test_forged_expired_or_revoked_handoffs_get_no_cookie(access: AccessDB) -> None:
    token = _token(access)
    assert auth.redeem_handoff(token, BROWSER, secure=False) is None  # a token is not a code
    assert auth.redeem_handoff("forged-code", BROWSER, secure=False) is None
    old = auth.offer_cookie(token, "c", access, now=time.time() - auth.HANDOFF_SECONDS - 1)
    assert auth.redeem_handoff(old, BROWSER, secure=False) is None
    revoked = auth.offer_cookie(token, "c", access)
    access.revoke_session_token(token)
    assert auth.redeem_handoff(revoked, BROWSER, secure=False) is None
    version, session_id, expires, mac = _token(access).split(".")
    tampered = f"{version}.{session_id}.{expires}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}"
    assert auth.redeem_handoff(auth.offer_cookie(tampered, "c", access), BROWSER,
                               secure=False) is None
    with pytest.raises(ValueError):
        auth.offer_cookie("a;b", "c", access)


def test_a_clear_code_removes_the_cookie(access: AccessDB) -> None:
    code = auth.offer_clear("assetmap_session_x")
    cookie = auth.redeem_handoff(code, {}, secure=False)
    assert cookie is not None and cookie.startswith("assetmap_session_x=; Max-Age=0;")
    assert "HttpOnly" in cookie and auth.redeem_handoff(code, {}, secure=False) is None


HOST = "127.0.0.1:8501"


def _post_headers(**extra: str) -> dict[str, str]:
    return {"host": HOST, "origin": f"http://{HOST}", "content-type": "application/json",
            "x-assetmap-session": "1", "sec-fetch-site": "same-origin", **extra}


def test_only_the_pages_own_fetch_may_use_the_route() -> None:
    assert launch.same_origin_post("POST", _post_headers())
    assert launch.same_origin_post("POST", _post_headers(**{"x-forwarded-host": "map.example",
                                                           "origin": "https://map.example"}))
    refused = {
        "another origin": _post_headers(origin="https://evil.example"),
        "no origin": {k: v for k, v in _post_headers().items() if k != "origin"},
        "a null origin": _post_headers(origin="null"),
        "no route header": {k: v for k, v in _post_headers().items()
                            if k != "x-assetmap-session"},
        "a form's body": _post_headers(**{"content-type": "application/x-www-form-urlencoded"}),
        "another site's fetch": _post_headers(**{"sec-fetch-site": "cross-site"}),
    }
    for case, headers in refused.items():
        assert not launch.same_origin_post("POST", headers), case
    assert not launch.same_origin_post("GET", _post_headers())


def _call_route(method: str, path: str, headers: dict[str, str], body: bytes
                ) -> tuple[int, dict[str, str], list[str]]:
    """One request through the real ASGI middleware (in front of an app that answers 404)."""
    passed: list[str] = []

    async def inner(scope: dict, receive: Any, send: Any) -> None:
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path,
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(launch.SessionCookieRoute(inner)(scope, receive, send))
    start = sent[0]
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, passed)


def test_the_route_answers_with_the_cookie_and_refuses_without_one(access: AccessDB) -> None:
    token = _token(access)
    browser = _post_headers(**BROWSER)

    def post(code: str, headers: dict = browser) -> tuple[int, dict[str, str], list[str]]:
        return _call_route("POST", ROUTE, headers, json.dumps({"code": code}).encode())

    status, headers, _ = post(auth.offer_cookie(token, "assetmap_session_x", access))
    assert status == 204 and headers["set-cookie"].startswith(f"assetmap_session_x={token};")
    assert "HttpOnly" in headers["set-cookie"] and headers["cache-control"] == "no-store"
    assert "Secure" not in headers["set-cookie"]
    proxied = dict(browser, origin="https://map.example", **{"x-forwarded-host": "map.example"})
    status, headers, _ = post(auth.offer_cookie(token, "assetmap_session_x", access), proxied)
    assert status == 204 and headers["set-cookie"].endswith("; HttpOnly; Secure")  # TLS proxy
    for case, (code, request) in {
        "a forged code": ("forged", browser),
        "a token in place of a code": (token, browser),
        "another origin": (auth.offer_cookie(token, "c", access),
                           dict(browser, origin="https://evil.example")),
        "no route header": (auth.offer_cookie(token, "c", access),
                            {k: v for k, v in browser.items() if k != "x-assetmap-session"}),
    }.items():
        status, headers, _ = post(code, request)
        assert status in (400, 403) and "set-cookie" not in headers, case
    status, headers, _ = _call_route("POST", ROUTE, browser, b"code=x")
    assert status == 400 and "set-cookie" not in headers
    status, headers, _ = _call_route("POST", ROUTE, browser, b"{" * 5000)
    assert status == 400 and "set-cookie" not in headers
    status, headers, _ = _call_route("GET", ROUTE, browser, b"")
    assert status == 405 and "set-cookie" not in headers
    status, _, passed = _call_route("GET", "/about", browser, b"")
    assert status == 404 and passed == ["/about"]  # every other request goes to Streamlit


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


def _handoff_code(script: str) -> str:
    return json.loads(script.split("var code = ", 1)[1].split(";", 1)[0])


def test_a_signed_in_page_offers_a_code_not_the_token_and_sign_out_clears(
        empty_store: str) -> None:
    """The page gets a handoff code (never the token), shown again until it is redeemed and
    then no more; sign-out revokes the token and the sign-in screen offers a clear code once."""
    from conftest import signed_in
    from streamlit.testing.v1 import AppTest

    app = Path(auth.__file__).with_name("app.py")
    at = signed_in(AppTest.from_file(str(app), default_timeout=60), role="coordinator").run()
    token = at.session_state[auth.TOKEN_KEY]
    offered = _scripts(at, "fetch(")
    assert len(offered) == 1 and "__assetmapIdle" in offered[0]  # one element with the timer
    assert token not in offered[0] and "document.cookie" not in offered[0]
    code = _handoff_code(offered[0])
    assert auth.handoff_state(code) == "pending"
    at.run()  # not posted yet: the same code again
    assert [_handoff_code(s) for s in _scripts(at, "fetch(")] == [code]
    cookie = auth.redeem_handoff(code, {}, secure=False)  # the page's post (AppTest: no headers)
    assert cookie is not None and cookie.startswith(f"{auth.cookie_name()}={token};")
    at.run()  # the browser holds the cookie: nothing more to post
    assert not _scripts(at, "fetch(") and len(_scripts(at, "__assetmapIdle")) == 1
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert auth.SIGN_IN_TITLE in [t.value for t in at.title]
    cleared = _scripts(at, "fetch(")
    assert len(cleared) == 1 and token not in cleared[0]
    removal = auth.redeem_handoff(_handoff_code(cleared[0]), {}, secure=False)
    assert removal is not None and removal.startswith(f"{auth.cookie_name()}=; Max-Age=0;")
    with AccessDB(settings.access_db_path(empty_store)) as access:
        assert access.verify_session_token(token, auth.client_fingerprint()) is None
    at.run()  # the cookie is removed once, not on every later run of the sign-in screen
    assert not _scripts(at, "fetch(")


# --- in a real browser ---------------------------------------------------------------------------


def launched_app(store_url: str, home: Path, log: Path) -> Any:
    """The app as ``assetmap serve`` runs it (``python -m assetmap.ui.launch run``, which
    installs the session route), on 127.0.0.1: :func:`browser_app.served_app`."""
    assert launch.serve_command(8501)[:3] == [sys.executable, "-m", "assetmap.ui.launch"]
    return served_app(store_url, home, log)


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
    log = home / "streamlit.log"
    with launched_app(url, home, log) as base, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield {"base": base, "password": password, "chromium": chromium,
                   "access": Path(access_path), "cookie": auth.cookie_name(url), "log": log}
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
    """Sign in on a new tab; returns once the route has set the cookie."""
    tab = _open(context, site, auth.SIGN_IN_TITLE)
    tab.get_by_label("Account name").fill(NAME)
    tab.get_by_role("textbox", name="Password").fill(site["password"])
    with _route_answer(tab) as answer:
        tab.get_by_role("button", name="Sign in").click()
        wait_ready(tab, HOME)
    assert answer.value.status == 204
    return tab


@contextmanager
def _route_answer(tab: Any) -> Iterator[Any]:
    """Wait (event-driven) for the page's post to the session route inside the block."""
    with tab.expect_response(lambda r: r.url.endswith(ROUTE) and r.request.method == "POST",
                             timeout=TIMEOUT_MS) as answer:
        yield answer


def _cookie(context: Any, site: dict) -> dict | None:
    found = [c for c in context.cookies() if c["name"] == site["cookie"]]
    return found[0] if found and found[0]["value"] else None


def _page_sees(tab: Any, text: str) -> bool:
    return bool(tab.evaluate("(text) => document.cookie.includes(text)", text))


@pytest.mark.slow
def test_a_session_survives_a_refresh_and_a_new_tab_until_sign_out(site: dict) -> None:
    context = _context(site)
    try:
        tab = _sign_in(context, site)
        cookie = _cookie(context, site)
        assert cookie is not None and cookie["value"].startswith("v1.")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
        assert not cookie["secure"]  # served over plain http on 127.0.0.1
        assert not _page_sees(tab, cookie["value"]) and not _page_sees(tab, site["cookie"])
        assert cookie["value"] not in tab.content()  # nor is the token anywhere in the page
        lifetime = cookie["expires"] - time.time()
        max_seconds = settings.load().session_max_hours * 3600
        assert max_seconds - 120 < lifetime <= max_seconds + 5
        tab.reload()  # a new Streamlit session: signed in from the cookie
        wait_ready(tab, HOME)
        assert not tab.get_by_role("button", name="Sign in").count()
        second = _open(context, site, HOME)  # a new tab of the same browser
        with _route_answer(tab) as answer:
            tab.get_by_role("button", name="Sign out").click()
            wait_ready(tab, auth.SIGN_IN_TITLE, "You are signed out.")
        assert answer.value.status == 204 and _cookie(context, site) is None
        tab.reload()
        wait_ready(tab, auth.SIGN_IN_TITLE)
        second.reload()  # the other tab's session was the same one, now revoked
        wait_ready(second, auth.SIGN_IN_TITLE)
        assert _cookie(context, site) is None
    finally:
        context.close()
    assert cookie["value"] not in site["log"].read_text()  # no token in the server's log


#: Posts to the route from a page; resolves to the answer's status, its type, or "refused".
POST_SCRIPT = """async ([route, init]) => {
  try { const answer = await fetch(route, init);
        return answer.type === 'opaque' ? 'opaque' : answer.status; }
  catch (e) { return 'refused'; } }"""


@pytest.mark.slow
def test_the_route_refuses_other_origins_headerless_posts_and_forged_codes(site: dict) -> None:
    """The page's own post is held back, so its handoff code stays valid; then that code gets
    no cookie from the app's page without the route's header, from another origin in the
    browser (a page on localhost posting to 127.0.0.1, as a simple form-like post and with the
    header, which needs a CORS preflight) or from another origin outside a page; a forged code
    and a real token in place of a code get none either. Last, the same code with the header
    from the app's own page does set the cookie (so each refusal above could have failed)."""
    context = _context(site)
    held: list[str] = []
    route = site["base"] + ROUTE

    def hold(request_route: Any) -> None:
        held.append(json.loads(request_route.request.post_data)["code"])
        request_route.abort()

    try:
        context.route("**" + ROUTE, hold)
        tab = _open(context, site, auth.SIGN_IN_TITLE)
        tab.get_by_label("Account name").fill(NAME)
        tab.get_by_role("textbox", name="Password").fill(site["password"])
        tab.get_by_role("button", name="Sign in").click()
        wait_ready(tab, HOME)
        tab.wait_for_function("() => !!window.__assetmapHandoff")  # the page tried to post
        context.unroute("**" + ROUTE)
        assert len(held) == 1 and _cookie(context, site) is None
        code = held[0]
        body = json.dumps({"code": code})
        json_only = {"method": "POST", "credentials": "same-origin", "body": body,
                     "headers": {"Content-Type": "application/json"}}
        assert tab.evaluate(POST_SCRIPT, [route, json_only]) == 403  # no route header
        other = context.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(site["base"].replace("127.0.0.1", "localhost") + "/_stcore/health")
        form_like = {"method": "POST", "mode": "no-cors", "credentials": "include",
                     "headers": {"Content-Type": "text/plain"}, "body": body}
        with_header = {"method": "POST", "credentials": "include", "body": body,
                       "headers": {"Content-Type": "application/json",
                                   launch.SESSION_ROUTE_HEADER: "1"}}
        assert other.evaluate(POST_SCRIPT, [route, form_like]) == "opaque"  # a 403, unread
        assert other.evaluate(POST_SCRIPT, [route, with_header]) == "refused"  # no CORS
        assert _cookie(context, site) is None
        same = {"Origin": site["base"], "Content-Type": "application/json",
                launch.SESSION_ROUTE_HEADER: "1", "User-Agent": UA}
        answer = context.request.post(route, headers=dict(same, Origin="https://evil.example"),
                                      data=body)
        assert answer.status == 403 and "set-cookie" not in answer.headers
        assert _cookie(context, site) is None
        token_holder = _context(site)
        try:
            _sign_in(token_holder, site)  # a genuine token of this browser, to post as a code
            token = _cookie(token_holder, site)["value"]
        finally:
            token_holder.close()
        for case, forged in {"a forged code": "forged-code", "a token as a code": token}.items():
            answer = context.request.post(route, headers=same,
                                          data=json.dumps({"code": forged}))
            assert answer.status in (400, 403) and "set-cookie" not in answer.headers, case
        assert _cookie(context, site) is None
        with_header["credentials"] = "same-origin"
        assert tab.evaluate(POST_SCRIPT, [route, with_header]) == 204  # the code was good
        cookie = _cookie(context, site)
        assert cookie is not None and cookie["httpOnly"] is True
        assert cookie["value"] != token and not _page_sees(tab, cookie["value"])
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
        _sign_in(owner, site)
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
            context.add_cookies([{"name": site["cookie"], "value": value, "httpOnly": True,
                                  "url": site["base"] + "/", "sameSite": "Strict"}])
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            with _route_answer(tab) as answer:  # the refused cookie is removed
                tab.goto(site["base"] + PATH)
                wait_ready(tab, auth.SIGN_IN_TITLE)
            assert tab.get_by_role("button", name="Sign in").count(), case
            assert answer.value.status == 204 and _cookie(context, site) is None, case
        finally:
            context.close()
    copied = _context(site)
    try:
        copied.add_cookies([{"name": site["cookie"], "value": token, "httpOnly": True,
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
        with _route_answer(tab) as answer:
            tab.reload()
            wait_ready(tab, auth.SIGN_IN_TITLE, "without activity")
        assert answer.value.status == 204 and _cookie(copied, site) is None
    finally:
        copied.close()
