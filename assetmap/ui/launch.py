"""Start the Streamlit app on a store (no Streamlit import here: it runs as its own process).

``serve`` runs Streamlit as a child in its own process group and forwards SIGTERM, SIGINT and
SIGHUP to the whole group, so stopping ``assetmap serve`` stops the app (and on Linux the child
is also told to stop if the parent dies without a chance to forward anything). The child starts
through this module (``python -m assetmap.ui.launch``), which first:

- removes session ids from every log line (Streamlit names its sessions in DEBUG lines; a
  session id is a bearer credential for a live websocket session) and keeps the log at INFO or
  above;
- adds frame-blocking and other security headers to every HTTP response (Streamlit has no
  setting for response headers): ``X-Frame-Options: SAMEORIGIN``, ``Content-Security-Policy:
  frame-ancestors 'self'``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``. SAMEORIGIN, not DENY: the app's own maps and network views are same-origin
  frames;
- answers :data:`SESSION_ROUTE` (``POST /_assetmap/session``), which sets or
  removes the ``HttpOnly`` session cookie for a one-time handoff code the page posts (Streamlit
  cannot set a cookie itself): only for a same-origin ``fetch`` (matching ``Origin``, the
  ``X-Assetmap-Session`` header and a JSON body, which a cross-site form cannot send);
- deletes upload folders left by an earlier run (:func:`assetmap.ui.views.data.sweep_uploads`).

Streamlit 1.67 serves through Starlette (uvicorn) only, where both are ASGI middleware. On an
older, Tornado-based Streamlit the headers are still added but the route is absent: the page's
post gets a 404 and a session then lasts as long as its tab.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

APP = Path(__file__).with_name("app.py")
#: How long the app gets to stop after a signal before it is killed.
STOP_GRACE_SECONDS = 10.0
SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: How long a browser may keep the app's static scripts and stylesheets without asking again.
STATIC_CACHE = "public, max-age=86400"
#: The route (under ``server.baseUrlPath``) that sets or removes the session cookie for a
#: one-time handoff code (:func:`assetmap.ui.auth.redeem_handoff`).
SESSION_ROUTE = "_assetmap/session"
#: The header the page's script sends to the route; a cross-site form cannot send it.
SESSION_ROUTE_HEADER = "X-Assetmap-Session"
#: The largest body the session route reads (a handoff code in JSON is under 100 bytes).
SESSION_BODY_MAX = 1024
_SESSION_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
REDACTED = "[session]"


def serve_command(port: int = 8501, host: str = "localhost") -> list[str]:
    """The command line that runs the app (headless, no usage statistics sent anywhere, logs
    at INFO at most verbose, through this module's hardening entry point; uploads no larger
    than ``ASSETMAP_IMPORT_MAX_BYTES``; no forced full garbage collection after each run)."""
    from assetmap import settings

    upload_mb = max(1, settings.load().import_max_bytes // 1024**2)
    return [
        sys.executable, "-m", "assetmap.ui.launch", "run", str(APP),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--server.enableStaticServing", "true",
        "--server.enableXsrfProtection", "true",
        "--logger.level", "info",
        "--server.maxUploadSize", str(upload_mb),
        # no full garbage collection after every script run: with a large area's network held
        # in memory it took most of a save's time (issue 14); Python's own collector still runs
        "--runner.postScriptGC", "false",
    ]


def _die_with_parent() -> None:
    """In the child, before exec: its own session (process group), and on Linux a SIGTERM
    when the parent dies, so no orphan keeps serving the port."""
    os.setsid()
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def serve(store_url: str, port: int = 8501, host: str = "localhost") -> int:
    """Run the app on ``store_url`` until it stops or this process is told to stop (the
    signal goes to the app's whole process group); return the app's exit code."""
    env = dict(os.environ, ASSETMAP_STORE=store_url)
    print(f"assetmap: serving {store_url} at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    child = subprocess.Popen(serve_command(port, host), env=env,  # noqa: S603 - our own argv
                             preexec_fn=_die_with_parent if os.name == "posix" else None)
    return supervise(child)


def supervise(child: subprocess.Popen) -> int:
    """Wait for the child; a SIGTERM, SIGINT or SIGHUP here is passed to its process group,
    which gets STOP_GRACE_SECONDS to stop before it is killed."""
    stopping: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        stopping.append(signum)
        _signal_group(child, signum)

    previous: dict[int, Callable | int | None] = {}
    for signum in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            previous[signum] = signal.signal(signum, forward)
    try:
        while True:
            try:
                code = child.wait(timeout=STOP_GRACE_SECONDS if stopping else None)
                break
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
            except KeyboardInterrupt:
                forward(signal.SIGINT, None)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if child.poll() is None:
            _signal_group(child, signal.SIGKILL)
            child.wait()
    return 0 if stopping else code


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(child.pid, signum)
        else:  # pragma: no cover
            child.send_signal(signum)


# --- in the child ----------------------------------------------------------------------------


def redact(text: str) -> str:
    """A log line with every session id (a UUID) replaced by "[session]"."""
    return _SESSION_ID.sub(REDACTED, text)


def install_log_redaction() -> None:
    """From now on, every log record this process makes has session ids removed (a record
    factory, so it covers Streamlit's own loggers and handlers too)."""
    old = logging.getLogRecordFactory()
    if getattr(old, "_assetmap_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = old(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            return record
        if _SESSION_ID.search(message):
            record.msg, record.args = redact(message), ()
        return record

    factory._assetmap_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets SECURITY_HEADERS (unless already set), and the
    app's static scripts and stylesheets a Cache-Control header (:data:`STATIC_CACHE`)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        extra = dict(SECURITY_HEADERS)
        path = str(scope.get("path") or "")
        if "/app/static/" in path and path.endswith((".js", ".css")):
            # the app's static scripts sit in versioned folders (vis-network-9.1.2, ...): the
            # browser may keep them a day instead of asking again on every circle drawn
            extra["Cache-Control"] = STATIC_CACHE

        async def send_with_headers(message: dict) -> None:
            if message.get("type") == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {bytes(k).lower() for k, _ in headers}
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def same_origin_post(method: str, headers: Mapping[str, str]) -> bool:
    """Whether a request to the session route is the app page's own ``fetch``: a POST with a
    JSON body, the route's header (neither can come from a cross-site form without a CORS
    preflight, which this server never grants), an ``Origin`` naming this host (``Host``, or
    ``X-Forwarded-Host`` behind a proxy), and no ``Sec-Fetch-Site`` other than same-origin.
    ``headers``: lower-case names."""
    if method != "POST" or headers.get(SESSION_ROUTE_HEADER.lower()) != "1":
        return False
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return False
    if headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return False
    origin = urlsplit(headers.get("origin", ""))
    if origin.scheme not in ("http", "https") or not origin.netloc:
        return False
    hosts = {headers.get("host", "")}
    hosts.add(headers.get("x-forwarded-host", "").split(",")[0].strip())
    return origin.netloc.lower() in {h.lower() for h in hosts if h}


def _handoff_code(body: bytes) -> str | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) and 0 < len(code) <= 100 else None


class SessionCookieRoute:
    """ASGI middleware: answers ``POST <base>/_assetmap/session`` (a one-time handoff code in a
    JSON body) with the ``HttpOnly`` session cookie, or its removal, through
    :func:`assetmap.ui.auth.redeem_handoff`; 403 with no cookie for anything it refuses
    (another origin, no route header, an unknown, used or expired code, a token that does not
    verify for this browser). Every other request passes through. Nothing is logged."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not self._is_route(str(scope.get("path") or "")):
            await self.app(scope, receive, send)
            return
        headers = {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
                   for k, v in scope.get("headers") or []}
        method = str(scope.get("method") or "")
        if method != "POST":
            await _answer(send, 405, [(b"allow", b"POST")])
            return
        if not same_origin_post(method, headers):
            await _answer(send, 403)
            return
        body = await _read_body(receive, SESSION_BODY_MAX)
        code = _handoff_code(body) if body is not None else None
        if code is None:
            await _answer(send, 400)
            return
        from starlette.concurrency import run_in_threadpool

        from assetmap.ui import auth

        secure = urlsplit(headers.get("origin", "")).scheme == "https"
        cookie = await run_in_threadpool(auth.redeem_handoff, code, headers, secure)
        if cookie is None:
            await _answer(send, 403)
            return
        await _answer(send, 204, [(b"set-cookie", cookie.encode("latin-1"))])

    @staticmethod
    def _is_route(path: str) -> bool:
        path = path.rstrip("/")
        return path.endswith("/" + SESSION_ROUTE) and path == session_route_path()


def session_route_path() -> str:
    """The session route's path on this server: :data:`SESSION_ROUTE` under Streamlit's
    ``server.baseUrlPath``."""
    try:
        from streamlit import config

        base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    except Exception:  # no Streamlit configuration loaded
        base = ""
    return "/" + "/".join(p for p in (base, SESSION_ROUTE) if p)


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    body = b""
    while True:
        message = await receive()
        if message.get("type") != "http.request":
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


async def _answer(send: Any, status: int, headers: list[tuple[bytes, bytes]] | None = None
                  ) -> None:
    """An empty, never-cached response."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"cache-control", b"no-store"), (b"content-length", b"0"),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": b""})


def install_security_headers() -> None:
    """Every HTTP response of this process's Streamlit server carries SECURITY_HEADERS, and the
    server answers the session cookie route (:class:`SessionCookieRoute`): ASGI middleware on
    Streamlit's Starlette app (Streamlit >= 1.5x), or (headers only) Tornado's default headers
    on older servers."""
    try:
        from streamlit.web.server.starlette import starlette_app
    except ImportError:  # pragma: no cover - a Tornado-based Streamlit
        starlette_app = None  # type: ignore[assignment]  # an optional import
    if starlette_app is not None and not getattr(
            starlette_app.create_streamlit_middleware, "_assetmap_headers", False):
        from starlette.middleware import Middleware

        original = starlette_app.create_streamlit_middleware

        def create_streamlit_middleware() -> list:
            return [Middleware(SecurityHeaders), Middleware(SessionCookieRoute), *original()]

        create_streamlit_middleware._assetmap_headers = True  # type: ignore[attr-defined]
        starlette_app.create_streamlit_middleware = create_streamlit_middleware
    with contextlib.suppress(ImportError):
        from tornado import web

        if getattr(web.RequestHandler.clear, "_assetmap_headers", False):
            return
        plain_clear = web.RequestHandler.clear

        def clear(self: web.RequestHandler) -> None:
            plain_clear(self)
            for name, value in SECURITY_HEADERS.items():
                self.set_header(name, value)

        clear._assetmap_headers = True  # type: ignore[attr-defined]
        web.RequestHandler.clear = clear  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """The child's entry point: harden, then hand over to Streamlit's own command line."""
    install_log_redaction()
    install_security_headers()
    from assetmap.governance.keys import private_umask

    private_umask()
    with contextlib.suppress(Exception):
        from assetmap.ui.uploads import sweep_uploads

        sweep_uploads(everything=True)
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    return int(streamlit_cli.main() or 0)


if __name__ == "__main__":  # pragma: no cover - the app's own process
    sys.exit(main())
