"""The circle picture served light (issue 14, speed): in the app the page loads vis-network from
the app's static folder (the same files pyvis inlines) instead of carrying ~700 kB per draw;
outside the app it stays self-contained."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pyvis
from streamlit.file_util import get_app_static_dir
from test_network_view import BREAKOUT_ID, graph  # noqa: F401 - the fixture

from assetmap.render import network as nv
from assetmap.ui import launch

PYVIS_LIB = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_app_serves_pyvis_own_vis_network_with_its_licence() -> None:
    assert nv.VIS_DIR.parent == Path(get_app_static_dir(str(launch.APP)))
    for name in ("vis-network.min.js", "vis-network.css"):
        assert _sha(nv.VIS_DIR / name) == _sha(PYVIS_LIB / name), name
    licence = (nv.VIS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in licence
    command = launch.serve_command()
    assert command[command.index("--server.enableStaticServing") + 1] == "true"


def test_circle_with_assets_base_links_the_script_instead_of_inlining_it(graph) -> None:  # noqa: F811
    whole = nv.circle_html(graph, "person:ann")
    light = nv.circle_html(graph, "person:ann", assets_base=nv.vis_assets_url("/assetmap/"))
    assert len(whole) > 400_000 and len(light) < 40_000
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', light)
    assert links == ["/assetmap/app/static/vis-network-9.1.2/vis-network.css",
                     "/assetmap/app/static/vis-network-9.1.2/vis-network.min.js"]
    assert nv.vis_assets_url() == "/app/static/vis-network-9.1.2"
    assert "//" not in "".join(links)  # nothing from the internet
    # the drawing itself is the same page: same nodes, edges and options
    tail = light.split("</head>", 1)[1]
    assert tail == whole.split("</head>", 1)[1]
    assert BREAKOUT_ID not in light  # record ids never reach the page


def _get(app, path: str) -> dict[str, str]:
    """The response headers of one GET through an ASGI app (Starlette's own file server)."""
    import asyncio

    sent: list[dict] = []
    asked: list[int] = []

    async def receive() -> dict:
        if asked:  # the request was read: wait until the server stops listening
            await asyncio.Event().wait()
        asked.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": [], "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1), "http_version": "1.1",
             "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 200
    return {bytes(k).decode().lower(): bytes(v).decode() for k, v in start["headers"]}


def test_served_static_scripts_may_be_kept_by_the_browser() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    files = Starlette(routes=[Mount("/app/static", StaticFiles(directory=nv.VIS_DIR.parent))])
    app = launch.SecurityHeaders(files)
    script = _get(app, "/app/static/vis-network-9.1.2/vis-network.min.js")
    assert script["cache-control"] == launch.STATIC_CACHE
    assert script["x-content-type-options"] == "nosniff"
    readme = _get(app, "/app/static/vis-network-9.1.2/README.md")
    assert "cache-control" not in readme and readme["x-frame-options"] == "SAMEORIGIN"
