"""Sign-in for the app: default deny. Every page calls :func:`require_user` (or
:func:`require_page`) first; someone not signed in sees only the sign-in screen.

Local accounts (argon2 hashes in the access database, ``assetmap users add``), or single sign-on
through Streamlit's ``st.login`` when ``ASSETMAP_AUTH=oidc`` and the Streamlit secrets hold an
``[auth]`` section (the signed-in e-mail must also be an assetmap account, which gives the role).
Sessions end after ``ASSETMAP_SESSION_IDLE_MINUTES`` without a click and
``ASSETMAP_SESSION_MAX_HOURS`` in all.

A signed-in session is a server-checked token (:func:`assetmap.governance.access.
issue_session_token`), bound to a fingerprint of the browser's headers and verified on every
run, so replaying a Streamlit session id from elsewhere does not carry a sign-in; sign-out
revokes it. When the idle time passes, a timer in the page blanks it and reloads to the sign-in
screen, without waiting for the next click. Demo accounts are refused once the store holds any
real (non-synthetic) person.

The token is also kept by the browser as an ``HttpOnly`` cookie (:func:`cookie_name`:
``SameSite=Strict``, ``Path=/``, ``Secure`` over https, lasting the session's remaining total
time), so a refresh or a new tab of the same browser stays signed in: a new Streamlit session
reads it from the request (``st.context.cookies``) and the server checks it like any token.
Streamlit cannot set a cookie on its responses, so the server process has a small route
(:data:`assetmap.ui.launch.SESSION_ROUTE`) that answers with the ``Set-Cookie``. The page never
holds the token: a signed-in run offers a one-time handoff code (:func:`offer_cookie`, a minute
to live), a page script posts it to the route, and the route checks the token the code stands
for against the posting browser (signature, revocation, idle and total time, fingerprint)
before setting the cookie (:func:`redeem_handoff`). Sign-out, idle and total expiry clear the
cookie the same way (see ``docs/privacy.md``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from assetmap import settings as _settings
from assetmap.errors import AssetmapError, NotFoundError
from assetmap.governance import access as _access
from assetmap.governance import audit
from assetmap.governance.access import AccessDB, User
from assetmap.ui.launch import SESSION_ROUTE_HEADER

#: Session-state keys (server side; the browser never holds them).
USER_KEY = "_assetmap_user"
STARTED_KEY = "_assetmap_signed_in_at"
SEEN_KEY = "_assetmap_seen_at"
NOTICE_KEY = "_assetmap_sign_in_notice"
#: The signed session token (verified against the access database on every run).
TOKEN_KEY = "_assetmap_session_token"
#: The browser cookie carrying the session token across refreshes and tabs (its name ends with
#: a short digest of the access database's path: see :func:`cookie_name`).
COOKIE_NAME = "assetmap_session"
#: The cookie value this Streamlit session has already tried (each is tried once: the request's
#: cookies are those of the page load, so a signed-out session must not take the old one back).
COOKIE_TRIED_KEY = "_assetmap_cookie_tried"
#: Set when a session ends: the next sign-in screen removes the browser's cookie.
COOKIE_CLEAR_KEY = "_assetmap_cookie_clear"
#: (token, handoff code) this Streamlit session last offered the page for the cookie.
COOKIE_OFFER_KEY = "_assetmap_cookie_offer"
#: The token the browser is known to hold as its cookie (redeemed, or the cookie resumed).
COOKIE_HELD_KEY = "_assetmap_cookie_held"
#: Seconds a handoff code waits for the page to post it.
HANDOFF_SECONDS = 60.0
#: Seconds a redeemed code is remembered (so later runs know the browser holds the cookie).
HANDOFF_REMEMBERED_SECONDS = 12 * 3600.0
#: Most handoff codes kept at once (the oldest go first).
MAX_HANDOFFS = 10_000
#: Characters a token may hold (``v1.<urlsafe id>.<expiry>.<hex MAC>``), so it needs no quoting.
_COOKIE_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
DEMO_REFUSED = ("Demo accounts cannot be used once real people are in the store; ask an "
                "administrator for an account of your own.")

SIGN_IN_TITLE = "Sign in"
NOT_ALLOWED = "This page is not part of your role. Choose another page from the menu."


@st.cache_resource(show_spinner=False)
def _open_access(url: str, path: str) -> AccessDB:
    # path: part of the cache key only (ASSETMAP_ACCESS_DB may move it for one URL)
    return AccessDB.for_store(url)


def access_db() -> AccessDB:
    """The access database of the store this app shows (opened once per server): the SQLite
    file beside a SQLite store, the Neo4j database itself for a Neo4j store."""
    from assetmap.ui import common

    url = common.store_url()
    return _open_access(url, str(_settings.access_db_path(url)))


def oidc_configured() -> bool:
    """Whether single sign-on is switched on (setting) and configured (Streamlit secrets)."""
    if _settings.load().auth != "oidc":
        return False
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _end_session(notice: str | None = None) -> None:
    for key in (USER_KEY, STARTED_KEY, SEEN_KEY, TOKEN_KEY, COOKIE_OFFER_KEY, COOKIE_HELD_KEY):
        st.session_state.pop(key, None)
    st.session_state[COOKIE_CLEAR_KEY] = True
    if notice:
        st.session_state[NOTICE_KEY] = notice


# --- the session cookie ------------------------------------------------------------------------


def cookie_name(store_url: str | None = None) -> str:
    """The session cookie's name for this app's store: :data:`COOKIE_NAME` and a digest of its
    access database's path. Browsers share cookies between ports of one host, so two apps on
    one host (one area each) must not read, refuse and clear each other's cookie."""
    from assetmap.ui import common

    where = str(_settings.access_db_path(store_url or common.store_url()))
    return f"{COOKIE_NAME}_{hashlib.sha256(where.encode('utf-8')).hexdigest()[:10]}"


def session_cookie(value: str, max_age: int, secure: bool = False,
                   name: str | None = None, http_only: bool = True) -> str:
    """A ``Set-Cookie`` value for the session cookie (``name``, else :func:`cookie_name`):
    ``HttpOnly`` (no page script can read it), ``SameSite=Strict`` (never sent from another
    site), ``Path=/``, ``Max-Age`` seconds (0 removes it) and ``Secure`` when asked. Refuses a
    value a cookie would need quoting for."""
    if not set(value) <= _COOKIE_SAFE:
        raise ValueError("a session cookie holds only a session token")
    name = name or cookie_name()
    cookie = f"{name}={value}; Max-Age={max(0, int(max_age))}; Path=/; SameSite=Strict"
    if http_only:
        cookie += "; HttpOnly"
    return cookie + "; Secure" if secure else cookie


def cookie_max_age(token: str, now: float | None = None) -> int:
    """Seconds the cookie for ``token`` should last: what is left of the session's total time
    (the expiry the token carries; the full ``ASSETMAP_SESSION_MAX_HOURS`` if unreadable)."""
    now = time.time() if now is None else now
    parts = token.split(".")
    try:
        return max(0, int(parts[2]) - int(now))
    except (IndexError, ValueError):
        return int(_settings.load().session_max_hours * 3600)


@dataclass
class _Handoff:
    """One offer of the session cookie to a page: the token it sets (None: clears), the cookie's
    name, the access database that checks the token, until when it may be redeemed."""

    name: str
    token: str | None
    access: AccessDB | None
    until: float
    redeemed: bool = False


_HANDOFFS: dict[str, _Handoff] = {}
_HANDOFF_LOCK = threading.Lock()


def _offer(handoff: _Handoff, now: float) -> str:
    code = secrets.token_urlsafe(24)
    with _HANDOFF_LOCK:
        for old in [c for c, h in _HANDOFFS.items() if h.until <= now]:
            del _HANDOFFS[old]
        while len(_HANDOFFS) >= MAX_HANDOFFS:
            del _HANDOFFS[next(iter(_HANDOFFS))]
        _HANDOFFS[code] = handoff
    return code


def offer_cookie(token: str, name: str, access: AccessDB, now: float | None = None) -> str:
    """A one-time code the page posts to the session route to get ``token`` as its
    ``HttpOnly`` cookie, so the token itself never reaches the page (valid HANDOFF_SECONDS)."""
    now = time.time() if now is None else now
    if not token or not set(token) <= _COOKIE_SAFE:
        raise ValueError("a session cookie holds only a session token")
    return _offer(_Handoff(name, token, access, now + HANDOFF_SECONDS), now)


def offer_clear(name: str, now: float | None = None) -> str:
    """A one-time code the page posts to the session route to remove the session cookie
    (a page script cannot remove an ``HttpOnly`` cookie itself)."""
    now = time.time() if now is None else now
    return _offer(_Handoff(name, None, None, now + HANDOFF_SECONDS), now)


def handoff_state(code: str | None, now: float | None = None) -> str | None:
    """"pending" (not posted yet), "redeemed", or None (unknown or expired)."""
    now = time.time() if now is None else now
    with _HANDOFF_LOCK:
        handoff = _HANDOFFS.get(code or "")
        if handoff is None or handoff.until <= now:
            return None
        return "redeemed" if handoff.redeemed else "pending"


def fingerprint_of(headers: object) -> str:
    """The browser fingerprint (see :func:`client_fingerprint`) of a request's headers (a
    case-insensitive mapping, or a dict with lower-case names as the session route has)."""
    text = "\x1f".join(_header(headers, h) for h in ("User-Agent", "Accept-Language"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redeem_handoff(code: str, headers: Mapping[str, str] | object, secure: bool,
                   now: float | None = None) -> str | None:
    """The route's answer to a posted handoff code: the ``Set-Cookie`` value (the token's
    cookie, or its removal), or None when the code is unknown, expired or used, or the token
    does not verify for the posting browser (signature, revocation, idle and total time,
    fingerprint of ``headers``). Each code works once. Runs in the server, off the page."""
    now = time.time() if now is None else now
    with _HANDOFF_LOCK:
        handoff = _HANDOFFS.get(code) if isinstance(code, str) else None
        if handoff is None or handoff.redeemed or handoff.until <= now:
            return None
        token, access = handoff.token, handoff.access
        handoff.redeemed, handoff.token, handoff.access = True, None, None
        handoff.until = now + (HANDOFF_REMEMBERED_SECONDS if token else HANDOFF_SECONDS)
    if token is None:
        return session_cookie("", 0, secure=secure, name=handoff.name)
    try:
        user = access.verify_session_token(token, fingerprint_of(headers), touch=False) \
            if access is not None else None
    except AssetmapError:
        user = None
    if user is None:
        with _HANDOFF_LOCK:
            handoff.redeemed = False  # not held by the browser: the page may be offered anew
            handoff.until = now
        return None
    return session_cookie(token, cookie_max_age(token, now), secure=secure, name=handoff.name)


def session_route() -> str:
    """The route's path on this server (under ``server.baseUrlPath``)."""
    from assetmap.ui.launch import session_route_path

    return session_route_path()


#: Posts one handoff code to the route (same origin, with the route's header), once per code
#: and window; a failure leaves the session to this tab only.
COOKIE_SCRIPT = """<script>
(function () {
  var w = window;
  try { if (window.parent && window.parent !== window) { w = window.parent; w.document; } }
  catch (e) { w = window; }
  var code = %(code)s;
  if (w.__assetmapHandoff === code) { return; }
  w.__assetmapHandoff = code;
  w.fetch(%(route)s, {method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: {'Content-Type': 'application/json', %(header)s: '1'},
    body: JSON.stringify({code: code})}).catch(function () {});
})();
</script>"""


def cookie_script(code: str, route: str | None = None) -> str:
    """The page script that posts handoff ``code`` (from :func:`offer_cookie` or
    :func:`offer_clear`) to the route, which sets or removes the cookie."""
    def js(value: str) -> str:
        return json.dumps(value).replace("<", "\\u003c")

    return COOKIE_SCRIPT % {"code": js(code), "route": js(route or session_route()),
                            "header": js(SESSION_ROUTE_HEADER)}


def request_cookie() -> str | None:
    """The session cookie the browser sent when this page was loaded, or None."""
    try:
        value = st.context.cookies.get(cookie_name())
    except Exception:  # no browser request (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and value else None


def remember_in_browser() -> str:
    """The page script that has the route set this session's token as the browser's cookie
    ("" when there is no token, or the browser holds it already). Put in every signed-in run
    (by :func:`idle_guard`): an offer not yet posted is shown again, a redeemed one is not."""
    token = st.session_state.get(TOKEN_KEY)
    if not isinstance(token, str) or not token or not set(token) <= _COOKIE_SAFE:
        return ""
    st.session_state.pop(COOKIE_CLEAR_KEY, None)
    if st.session_state.get(COOKIE_HELD_KEY) == token:
        return ""
    offered = st.session_state.get(COOKIE_OFFER_KEY)
    if isinstance(offered, tuple) and len(offered) == 2 and offered[0] == token:
        state = handoff_state(offered[1])
        if state == "redeemed":
            st.session_state[COOKIE_HELD_KEY] = token
            st.session_state.pop(COOKIE_OFFER_KEY, None)
            return ""
        if state == "pending":
            return cookie_script(offered[1])
    code = offer_cookie(token, cookie_name(), access_db())
    st.session_state[COOKIE_OFFER_KEY] = (token, code)
    return cookie_script(code)


def forget_in_browser() -> None:
    """Remove the browser's session cookie if a session ended in this run or the last."""
    if st.session_state.pop(COOKIE_CLEAR_KEY, False):
        st.html(cookie_script(offer_clear(cookie_name())), unsafe_allow_javascript=True)


#: The sign-in screen's notice for why a session ended.
_ENDED: dict[str, str] = {
    "idle": "You were signed out after a while without activity; sign in again.",
    "expired": "Your session has ended; sign in again.",
    "revoked": "Your session has ended; sign in again.",
    "demo": DEMO_REFUSED,
}


def _resume_from_cookie() -> User | None:
    """A new Streamlit session (a refresh, a new tab): take the session the browser's cookie
    names, if the server accepts its token for this browser; otherwise mark the cookie to be
    removed. Each cookie value is tried once per Streamlit session."""
    token = request_cookie()
    if token is None or st.session_state.get(COOKIE_TRIED_KEY) == token:
        return None
    st.session_state[COOKIE_TRIED_KEY] = token
    try:
        db = access_db()
        user = db.verify_session_token(token, client_fingerprint())
        why = None if user is not None else db.session_state(token)
    except AssetmapError:
        user, why = None, None
    if user is not None and _access.demo_refused(user, _store_or_none()):
        user, why = None, "demo"
    if user is None:
        _end_session(_ENDED.get(why or ""))  # a forged or unknown token: no notice at all
        return None
    now = time.time()
    st.session_state[TOKEN_KEY] = token
    st.session_state[COOKIE_HELD_KEY] = token  # the browser sent it: nothing to offer
    st.session_state[USER_KEY] = user.name
    st.session_state[STARTED_KEY] = now  # the token's own issue time still bounds the total
    st.session_state[SEEN_KEY] = now
    return user


def _header(headers: object, name: str) -> str:
    """One header's value from a case-insensitive mapping or a dict with lower-case names."""
    try:
        value = headers.get(name)  # type: ignore[attr-defined]
        if value is None:
            value = headers.get(name.lower())  # type: ignore[attr-defined]
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def client_fingerprint() -> str:
    """What binds a session token to this browser: a digest of the headers it sends with
    every connection (User-Agent, Accept-Language). A replayed session from another client
    program or browser does not match."""
    headers: Any
    try:
        headers = st.context.headers
    except Exception:
        headers = {}
    return fingerprint_of(headers)


def client_id() -> str:
    """Who is asking, for sign-in throttling: the browser's address (or "unknown")."""
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    return f"ip:{ip}" if isinstance(ip, str) and ip else "ip:unknown"


def start_session(user: User) -> None:
    """Mark this browser session as signed in as ``user`` (after the password or SSO check):
    a new signed, server-side session token bound to this browser."""
    now = time.time()
    st.session_state[TOKEN_KEY] = access_db().issue_session_token(user, client_fingerprint())
    # The cookie this page was loaded with is settled: it is not taken back after a sign-out.
    st.session_state[COOKIE_TRIED_KEY] = request_cookie()
    for key in (COOKIE_CLEAR_KEY, COOKIE_OFFER_KEY, COOKIE_HELD_KEY):
        st.session_state.pop(key, None)
    st.session_state[USER_KEY] = user.name
    st.session_state[STARTED_KEY] = now
    st.session_state[SEEN_KEY] = now


def _store_or_none():
    from assetmap.ui import common

    try:
        return common.get_store()
    except Exception:
        return None


def current_user() -> User | None:
    """The signed-in user, read afresh from the access database (so a removed account or a
    changed caseload counts at once), or None; ends sessions past their idle or total time,
    and any whose token does not verify (forged, revoked, from another browser)."""
    name = st.session_state.get(USER_KEY)
    token = st.session_state.get(TOKEN_KEY)
    if not name and not token:
        resumed = _resume_from_cookie()
        if resumed is not None:
            return resumed
        return _oidc_user() if oidc_configured() else None
    now = time.time()
    why = _access.session_expired(float(st.session_state.get(STARTED_KEY, 0)),
                                  float(st.session_state.get(SEEN_KEY, 0)), now)
    try:
        db = access_db()
        why = why or db.session_state(token)
        user = None if why else db.verify_session_token(token, client_fingerprint())
    except AssetmapError:
        user = None
    if why is not None:
        _end_session("You were signed out after a while without activity; sign in again."
                     if why == "idle" else "Your session has ended; sign in again.")
        return None
    if user is None or (name and user.name != name):
        _end_session()
        return None
    if _access.demo_refused(user, _store_or_none()):
        _end_session(DEMO_REFUSED)
        return None
    st.session_state[SEEN_KEY] = now
    return user


def _oidc_user() -> User | None:
    """After ``st.login``: the assetmap account named by the identity provider's e-mail."""
    try:
        if not st.user.is_logged_in:
            return None
        email = str(st.user.get("email") or "").strip().lower()
    except Exception:
        return None
    try:
        user = access_db().user(email)
    except NotFoundError:
        audit.record(access_db(), "(unknown)", "sign_in", outcome="denied")
        st.session_state[NOTICE_KEY] = ("Your organisation account has no assetmap role yet; "
                                        "ask an administrator to add it.")
        return None
    audit.record(access_db(), user, "sign_in")
    start_session(user)
    return user


def sign_in_screen() -> None:
    """The sign-in screen: no data at all, only the form (and single sign-on if set up)."""
    st.title(SIGN_IN_TITLE)
    st.caption("assetmap holds information about people; sign in to see what your role allows.")
    forget_in_browser()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(notice)
    if oidc_configured():
        if st.button("Sign in with your organisation account", key="sign_in_sso"):
            st.login()
        st.caption("Or with an assetmap account:")
    with st.form("sign_in_form"):
        name = st.text_input("Account name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        user = access_db().authenticate(name, password, client=client_id())
        if user is None:
            st.error("That account name and password do not match (after several tries, "
                     "wait a minute and try again).")
            return
        if _access.demo_refused(user, _store_or_none()):
            st.error(DEMO_REFUSED)
            return
        start_session(user)
        st.rerun()


def require_user(roles: Iterable[str] | None = None) -> User:
    """The signed-in user; otherwise show the sign-in screen and stop the page. With ``roles``,
    anyone else sees a short refusal and the page stops. Call it (or :func:`require_page`)
    first on every page: pages can be opened without ``app.py`` running first."""
    user = current_user()
    if user is None:
        sign_in_screen()
        st.stop()
    idle_guard()
    if roles is not None and user.role not in set(roles):
        st.error(NOT_ALLOWED)
        st.stop()
    return user


#: Runs in the page: when the idle time passes with no contact with the server, the page's
#: content is removed at once and the browser reloads to the sign-in screen.
IDLE_SCRIPT = """<script>
(function () {
  var w = window.parent && window.parent !== window ? window.parent : window;
  if (w.__assetmapIdle) { w.clearTimeout(w.__assetmapIdle); }
  w.__assetmapIdle = w.setTimeout(function () {
    var doc = w.document;
    doc.body.innerHTML = '<main style="font-family:sans-serif;padding:2rem">' +
      '<h1>Signed out</h1><p>You were signed out after a while without activity.</p></main>';
    w.location.reload();
  }, %(ms)d);
})(); /* %(nonce)s */
</script>"""


def idle_script(conf: _settings.Settings | None = None, nonce: str = "") -> str:
    """The idle timer for the page, set to the idle limit (a fresh nonce restarts it)."""
    conf = conf or _settings.load()
    return IDLE_SCRIPT % {"ms": int(conf.session_idle_minutes * 60_000),
                          "nonce": json.dumps(nonce)[1:-1].replace("*/", "")}


def idle_guard() -> None:
    """Put the idle timer in the page (restarted on every run, i.e. every contact with the
    server, which is also what the server counts as activity), and with it the script that
    keeps the session cookie (one element, so the sidebar gains no gap)."""
    nonce = f"{time.time():.3f}"
    with st.sidebar:
        st.html(idle_script(nonce=nonce) + remember_in_browser(), unsafe_allow_javascript=True)


def require_page(page: str) -> User:
    """The signed-in user, if their role may open ``page`` (a file in ``ui/views/``)."""
    user = require_user()
    if not _access.may_use_page(user, page):
        st.error(NOT_ALLOWED)
        st.stop()
    return user


def sign_out() -> None:
    """End the session (audited), and the single sign-on session too if there is one."""
    name = st.session_state.get(USER_KEY)
    access_db().revoke_session_token(st.session_state.get(TOKEN_KEY))
    if name:
        try:
            audit.record(access_db(), access_db().user(str(name)), "sign_out")
        except NotFoundError:
            pass
    _end_session("You are signed out.")


def sidebar(user: User) -> None:
    """Who is signed in, and the sign-out button."""
    with st.sidebar:
        st.caption(f"Signed in as **{user.name}** ({user.label})")
        if st.button("Sign out", key="sign_out"):
            sign_out()
            if oidc_configured():
                st.logout()
            st.rerun()


def people_download(frame: pd.DataFrame, file_name: str, key: str, user: User,
                    person_ids: Iterable[str], label: str = "Download CSV") -> None:
    """A download of a table naming people: formula-safe CSV, one audit row per person on
    download, and for an admin (a bulk export) only once a reason is given, which is recorded."""
    from assetmap.governance import privacy

    ids = list(person_ids)
    reason = None
    if user.role == _access.ADMIN:
        reason = st.text_input("Reason for downloading people's details (recorded in the audit "
                               "log)", key=f"{key}_reason").strip()

    def _record() -> None:
        db = access_db()
        if user.role == _access.ADMIN:
            audit.record(db, user, "bulk_export", reason=reason)
        for pid in ids:
            audit.record(db, user, "export", pid, reason=reason)

    st.download_button(label, privacy.neutralise_csv(frame).to_csv(index=False).encode("utf-8"),
                       file_name=file_name, mime="text/csv", key=key, on_click=_record,
                       disabled=frame.empty or (user.role == _access.ADMIN and not reason))
