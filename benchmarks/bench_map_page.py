"""Benchmark the Map page's payload and server work on the demo (issue 14: the Map is the first
page after sign-in), and the sign-in check's database writes.

Prints, for the Map page's default view (wards, people, the default asset layers):

- the bytes of the page the map's plain frame gets (``st.iframe``, as the page draws it since
  issue 14: :func:`assetmap.ui.views.map.area_map_page`) and the CPU seconds to write it with
  stable element names, against handing the same map to streamlit-folium's component as the
  page did before (same process, ratio printed);
- the bytes handed to the map component (what streamlit-folium sends: the map's script, header
  and HTML, as the JSON of the component's arguments), split into the assets' data (the rows
  of :class:`assetmap.render.maps.AssetPoints`), the area GeoJSON and the rest; and the same
  for the map with its asset popups sent as HTML, as before issue 14 (same process);
- CPU seconds (time.process_time, median of 3) to build the folium map (:func:`area_map`) and to
  hand it to the component (streamlit-folium's own rendering and ``get_bounds``);
- the sign-in check (``AccessDB.authenticate`` then ``issue_session_token``): CPU seconds and
  wall seconds (median of 5; argon2 is most of it, on purpose) and the number of commits the
  access file sees (SQLite's ``total_changes`` does not count commits; a trace callback does);
- the whole Map page as Streamlit runs it (AppTest, signed in as an administrator, caches warm):
  CPU seconds, median of 3;
- peak RSS.

    python benchmarks/bench_map_page.py --people 20000 [--store /tmp/demo20k.db]

``--store`` keeps a copy of the built demo store at that path and reuses it on the next run;
``--profile`` prints where one Map page run spends its time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_LAYERS = (
    "Groups and clubs", "Sports clubs", "GP practices", "Food banks", "Mental health services",
    "Libraries",
)


def cpu(fn: Callable[[], object]) -> tuple[float, Any]:
    """CPU seconds one call takes, and what it returned."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def component_args(fmap: Any) -> dict[str, Any]:
    """The arguments streamlit-folium hands its component for ``fmap`` (as the Map page calls
    it), captured instead of sent."""
    import streamlit_folium

    captured: dict[str, Any] = {}

    def capture(**kwargs: Any) -> None:
        captured.update({k: v for k, v in kwargs.items() if k != "on_change"})

    real = streamlit_folium._component_func
    streamlit_folium._component_func = capture
    try:
        streamlit_folium.st_folium(fmap, height=620, use_container_width=True,
                                   returned_objects=[], render=False, key="bench")
    finally:
        streamlit_folium._component_func = real
    return captured


def geojson_bytes(script: str) -> tuple[int, int]:
    """Bytes of the assets' (Point) and the areas' (Polygon) data in the map's script: each
    layer's ``geo_json_…_add(…)`` call, as the component's JSON arguments carry it."""
    points = areas = 0
    for match in re.finditer(r"geo_json_\w+_add\((\{.*?\})\);\n", script, flags=re.DOTALL):
        text = match.group(1)
        if '"Point"' in text:
            points += len(json.dumps(text)) - 2
        else:
            areas += len(json.dumps(text)) - 2
    return points, areas


def html_popup_map(areas: Any, assets: Any, layers: list[str], credit: str) -> Any:
    """The same map with its asset layers drawn as before issue 14: each asset's popup sent as
    HTML (:func:`asset_popup`) in a folium GeoJsonPopup, its escaped name for the tooltip, a
    style function per layer. The same-process baseline for the figures above."""
    import html

    import folium

    from assetmap.render import maps

    fmap = maps.area_map(areas, "people", None, height=620, share=False,
                         assets_base="/app/static/vendor", attribution=credit)
    for i, layer in enumerate(layers):
        subset = assets[assets["layer"] == layer]
        colour = maps._LAYER_COLOURS[i % len(maps._LAYER_COLOURS)]
        features = [{"type": "Feature",
                     "geometry": {"type": "Point",
                                  "coordinates": [float(row["lon"]), float(row["lat"])]},
                     "properties": {"name": html.escape(maps._text(row.get("name"))
                                                        or "Unnamed"),
                                    "popup": maps.asset_popup(row)}}
                    for row in subset.to_dict("records")]
        maps.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=f"<span style='color:{colour}'>&#9679;</span> {html.escape(layer)}",
            marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9),
            style_function=lambda _f, c=colour: {"color": "#222222", "fillColor": c},
            tooltip=maps.GeoJsonTooltip(fields=["name"], labels=False),
            popup=maps.GeoJsonPopup(fields=["popup"], labels=False),
        ).add_to(fmap)
    return fmap


def run_map(url: str) -> None:
    """The map page's figures (bytes and CPU) on the store at ``url``."""
    from assetmap.graph.store import open_store
    from assetmap.graph.store.areas import areas as boundaries
    from assetmap.graph.store.sources import attribution_text
    from assetmap.render import maps

    store = open_store(url)
    areas = maps.people_by_area(store, "ward", boundaries=boundaries(store, "ward"))
    assets = maps.asset_frame(store)
    layers = [layer for layer in DEFAULT_LAYERS if layer in set(assets["layer"])]
    credit = attribution_text(store, tiles=False)
    build, handoff, sizes = [], [], []
    for _ in range(3):
        seconds, fmap = cpu(lambda: maps.area_map(
            areas, "people", assets, layers=layers, height=620, share=False,
            assets_base="/app/static/vendor", attribution=credit))
        build.append(seconds)
        seconds, args = cpu(lambda fmap=fmap: component_args(fmap))
        handoff.append(seconds)
        sizes.append(len(json.dumps(args).encode("utf-8")))
    points, polygons = geojson_bytes(args["script"])
    shown = int(assets["layer"].isin(layers).sum())
    print(f"assets drawn: {shown} of {len(assets)} in {len(layers)} layers; "
          f"areas: {len(areas)}")
    print(f"component payload: {sizes[-1] / 1000:.1f} KB (assets "
          f"{points / 1000:.1f} KB, area GeoJSON {polygons / 1000:.1f} KB, rest "
          f"{(sizes[-1] - points - polygons) / 1000:.1f} KB)")
    print(f"build the folium map: {statistics.median(build):.3f} CPU-s median "
          f"({', '.join(f'{s:.3f}' for s in build)})")
    print(f"hand it to the component: {statistics.median(handoff):.3f} CPU-s median "
          f"({', '.join(f'{s:.3f}' for s in handoff)})")
    old_build, old_handoff, old_sizes = [], [], []
    for _ in range(3):
        seconds, old = cpu(lambda: html_popup_map(areas, assets, layers, credit))
        old_build.append(seconds)
        seconds, old_args = cpu(lambda old=old: component_args(old))
        old_handoff.append(seconds)
        old_sizes.append(len(json.dumps(old_args).encode("utf-8")))
    old_points, _ = geojson_bytes(old_args["script"])
    print(f"same map, popups as HTML (before issue 14): payload {old_sizes[-1] / 1000:.1f} KB "
          f"(assets {old_points / 1000:.1f} KB); build "
          f"{statistics.median(old_build):.3f} CPU-s, hand over "
          f"{statistics.median(old_handoff):.3f} CPU-s")
    now = statistics.median(build) + statistics.median(handoff)
    before = statistics.median(old_build) + statistics.median(old_handoff)
    print(f"ratios now / before: payload {sizes[-1] / old_sizes[-1]:.2f}, assets "
          f"{points / old_points:.2f}, build + hand over {now / before:.2f}")
    from assetmap.render.network import stable_names

    written, pages = [], []
    for _ in range(3):
        fmap = maps.area_map(areas, "people", assets, layers=layers, height=620, share=False,
                             assets_base="/app/static/vendor", attribution=credit)
        seconds, page = cpu(lambda fmap=fmap: stable_names(fmap, "mp").get_root().render())
        written.append(seconds)
        pages.append(page)
    assert pages[0] == pages[-1]  # the same map gives the same bytes
    page_bytes = len(pages[-1].encode("utf-8"))
    ratio = statistics.median(written) / statistics.median(handoff)
    print(f"plain frame (the page since issue 14): {page_bytes / 1000:.1f} KB; write it with "
          f"stable names {statistics.median(written):.3f} CPU-s median "
          f"({', '.join(f'{s:.3f}' for s in written)}); ratios frame / component: bytes "
          f"{page_bytes / sizes[-1]:.2f}, CPU {ratio:.2f}"
          " (and the frame's page is cached per store version and choice: 0 on a repeat)")
    store.close()


def run_page(url: str, profile: bool = False) -> None:
    """The whole Map page run by Streamlit's AppTest as a signed-in administrator (caches and
    the analyst warm-up done by a first run): CPU seconds per run, median of 3."""
    import threading

    from page_session import checked, signed_in_page  # benchmarks/ is the script's folder

    from assetmap import settings
    from assetmap.governance.access import AccessDB, new_password

    os.environ["ASSETMAP_STORE"] = url
    settings.reset()
    page = Path(__file__).resolve().parent.parent / "assetmap" / "ui" / "views" / "map.py"
    with AccessDB(settings.access_db_path(url)) as access:
        user = access.add_user("bench-map-admin", "admin", new_password())
        at = signed_in_page(page, access, user)
        checked(at.run())
        for thread in threading.enumerate():  # the analyst pages' warm-up, started once
            if thread.name.startswith("assetmap-warm"):
                thread.join()
        runs = []
        for _ in range(3):
            at = signed_in_page(page, access, user)
            seconds, _at = cpu(lambda at=at: checked(at.run()))
            runs.append(seconds)
        if profile:
            import cProfile
            import pstats

            at = signed_in_page(page, access, user)
            profiler = cProfile.Profile()
            profiler.runcall(at.run)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    print(f"map page run (AppTest, signed in, warm): {statistics.median(runs):.3f} CPU-s "
          f"median ({', '.join(f'{s:.3f}' for s in runs)})")


def run_sign_in(home: Path) -> None:
    """The sign-in check's CPU and wall seconds, and how many commits it makes."""
    from assetmap.governance.access import AccessDB, new_password

    path = home / "access.sqlite"
    with AccessDB(path) as access:
        password = new_password()
        access.add_user("bench-admin", "admin", password)
        commits: list[str] = []
        access.db.set_trace_callback(
            lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
        cpus, walls, counts = [], [], []
        for _ in range(5):
            commits.clear()
            wall = time.perf_counter()
            seconds, user = cpu(lambda: access.authenticate("bench-admin", password,
                                                            client="ip:127.0.0.1"))
            assert user is not None
            more, _token = cpu(lambda user=user: access.issue_session_token(user, "browser"))
            walls.append(time.perf_counter() - wall)
            cpus.append(seconds + more)
            counts.append(len(commits))
        access.db.set_trace_callback(None)
    print(f"sign-in check: {statistics.median(cpus):.3f} CPU-s, "
          f"{statistics.median(walls):.3f} s wall median of 5; commits per sign-in: "
          f"{statistics.median(counts):g}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true",
                        help="also print where one Map page run spends its time")
    parser.add_argument("--store", type=Path, default=None,
                        help="keep the demo store here and reuse it when it exists")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ASSETMAP_HOME"] = tmp
        os.environ.pop("ASSETMAP_ACCESS_DB", None)
        db = Path(tmp) / "demo.db"
        if args.store is not None and args.store.exists():
            shutil.copyfile(args.store, db)
        else:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
            from browser_app import build_test_store  # the browser tests' demo store

            build_test_store(db, people=args.people).close()
            if args.store is not None:
                shutil.copyfile(db, args.store)
        run_map(f"sqlite:///{db}")
        run_page(f"sqlite:///{db}", args.profile)
        run_sign_in(Path(tmp))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
