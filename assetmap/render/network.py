"""Pictures of one person's network: their circle as an interactive pyvis network (two steps out,
the person in the middle, ties coloured by class) and a small map of where suggestions are.

No Streamlit here: each function returns HTML or a folium map the pages embed. Everything from
the data (names, tie kinds) is shown as text: HTML-escaped where it goes into markup (map popups),
and in the network drawn on a canvas or set as text (see :func:`_plain`). The network's
JavaScript is inlined so it works with no internet. People two steps away are not named (they
are not this person's circle).
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import folium
import networkx as nx
import pandas as pd
from pyvis.network import Network

from assetmap import vocab
from assetmap.render.maps import GeoJson, map_text

#: Tie class -> colour (Okabe & Ito, safe for the common colour-blindnesses) and line style.
CLASS_COLOURS: dict[str, str] = {
    vocab.COMMUNITY: "#009E73",  # bluish green
    vocab.PROFESSIONAL: "#0072B2",  # blue
    vocab.REFERRAL: "#E69F00",  # orange
    vocab.ORGANISATIONAL: "#999999",  # grey
    vocab.SHARED_LIFE: "#CC79A7",  # reddish purple
}
CLASS_LABELS: dict[str, str] = {
    vocab.COMMUNITY: "Community (family, friends, groups)",
    vocab.PROFESSIONAL: "Professional (GP, social worker, paid support)",
    vocab.REFERRAL: "Referral (social prescribing)",
    vocab.ORGANISATIONAL: "Organisational (who runs or works where)",
    vocab.SHARED_LIFE: "Shared life (a Shared Lives household)",
}
#: Which class colours an edge when two nodes share ties of several classes.
_CLASS_PRIORITY: tuple[str, ...] = (vocab.COMMUNITY, vocab.SHARED_LIFE, vocab.PROFESSIONAL,
                                    vocab.REFERRAL, vocab.ORGANISATIONAL)
#: Node kind -> (shape, colour). Shapes tell kinds apart without colour.
KIND_STYLE: dict[str, tuple[str, str]] = {
    vocab.PERSON: ("dot", "#56B4E9"),
    vocab.GROUP: ("square", "#F0E442"),
    vocab.ORGANISATION: ("diamond", "#CC79A7"),
    vocab.PRACTITIONER: ("triangle", "#0072B2"),
}
CENTRE_COLOUR = "#D55E00"
#: Nodes at two steps are only reached through these kinds (a GP's thousand patients are not
#: this person's circle).
_EXPAND_THROUGH: frozenset[str] = frozenset({vocab.PERSON, vocab.GROUP})


@dataclass
class CircleView:
    """The nodes and ties drawn for one person: node -> steps from them; (a, b) -> tie kinds."""

    person_id: str
    steps: dict[str, int] = field(default_factory=dict)
    ties: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    truncated: int = 0


def _esc(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=False)


_HREF = re.compile("href", re.I)


def _plain(value: Any) -> str:
    """Text for a vis-network label or tooltip. vis draws labels on a canvas and sets tooltips
    with ``innerText``, so text shows as written and cannot become markup; pyvis switches to an
    ``innerHTML`` tooltip if any title contains "href", so that word is broken with an invisible
    zero-width non-joiner. pyvis writes the data as JSON with <, > and & escaped (no way out of
    the script tag), and record ids are replaced by numbers."""
    return _HREF.sub(lambda m: m.group(0)[:2] + "\u200c" + m.group(0)[2:],
                     str(value if value is not None else ""))


def _neighbours(G: nx.MultiDiGraph, n: str) -> dict[str, set[str]]:
    """Other end -> tie kinds, both directions, leaving out areas."""
    out: dict[str, set[str]] = {}
    for adj in (G._succ[n], G._pred[n]):
        for other, keyed in adj.items():
            if other == n or G._node[other].get("kind") == vocab.AREA:
                continue
            for key, attrs in keyed.items():
                kind = key if key in vocab.TIE_KINDS else attrs.get("kind")
                if kind in vocab.TIE_KINDS and kind != "IN_AREA":
                    out.setdefault(other, set()).add(kind)
    return out


def circle_view(G: nx.MultiDiGraph, person_id: str, steps: int = 2,
                max_nodes: int = 120) -> CircleView:
    """Who is drawn: everyone and everything tied to the person, then (through people and
    groups only) one more step, up to ``max_nodes``; ``truncated`` counts those left out."""
    if person_id not in G or G._node[person_id].get("kind") != vocab.PERSON:
        raise KeyError(f"no person with id {person_id!r} in this graph")
    view = CircleView(person_id, {person_id: 0})
    frontier = [person_id]
    for step in range(1, steps + 1):
        nxt: list[str] = []
        for n in frontier:
            if step > 1 and G._node[n].get("kind") not in _EXPAND_THROUGH:
                continue
            for other, kinds in sorted(_neighbours(G, n).items()):
                if other not in view.steps:
                    if len(view.steps) >= max_nodes and step > 1:
                        view.truncated += 1
                        continue
                    view.steps[other] = step
                    nxt.append(other)
                key = (n, other) if n < other else (other, n)
                view.ties.setdefault(key, set()).update(kinds)
        frontier = nxt
    return view


def _edge_class(kinds: set[str]) -> str:
    classes = {vocab.TIE_KINDS[k] for k in kinds}
    return next(c for c in _CLASS_PRIORITY if c in classes)


def _label(G: nx.MultiDiGraph, n: str, step: int, name_people: bool = True) -> str:
    attrs = G._node[n]
    if attrs.get("kind") == vocab.PERSON and (step > 1 or (step == 1 and not name_people)):
        return "Person"
    return str(attrs.get("name") or n)


TIE_COLUMNS: list[str] = ["With", "What", "Tie", "Class", "How often", "Since", "Via"]


def circle_ties(G: nx.MultiDiGraph, person_id: str, name_people: bool = True) -> pd.DataFrame:
    """The person's own ties (one step out) as a table — the circle picture's text alternative,
    reachable by keyboard: who or what, the tie's kind and class, how often, since, and via
    which group. People are named only when ``name_people`` (the viewer may see this person's
    record); people two steps out are never listed. Strongest class first, then by name."""
    if person_id not in G or G._node[person_id].get("kind") != vocab.PERSON:
        raise KeyError(f"no person with id {person_id!r} in this graph")
    from assetmap.governance.recording import tie_has_ended

    nodes = G._node
    rows = []
    for adj in (G._succ[person_id], G._pred[person_id]):
        for other, keyed in adj.items():
            if other == person_id or nodes[other].get("kind") == vocab.AREA:
                continue
            for key, attrs in keyed.items():
                kind = key if key in vocab.TIE_KINDS else attrs.get("kind")
                if kind not in vocab.TIE_KINDS or kind == "IN_AREA" or tie_has_ended(attrs):
                    continue
                o = nodes[other]
                what = vocab.label(o["org_kind"]) if o.get("org_kind") else o.get("kind")
                via = attrs.get("via")
                cls = vocab.TIE_KINDS[kind]
                rows.append({"With": _label(G, other, 1, name_people), "What": str(what),
                             "Tie": str(kind).replace("_", " ").lower(),
                             "Class": CLASS_LABELS.get(cls, str(cls)).split(" (")[0],
                             "How often": str(attrs.get("frequency") or "not recorded")
                             .replace("_", " "),
                             "Since": str(attrs.get("since") or ""),
                             "Via": str(nodes[via].get("name") or "") if isinstance(via, str)
                             and via in nodes else "",
                             "_order": _CLASS_PRIORITY.index(cls) if cls in _CLASS_PRIORITY
                             else len(_CLASS_PRIORITY)})
    frame = pd.DataFrame(rows, columns=[*TIE_COLUMNS, "_order"])
    frame = frame.sort_values(["_order", "With", "Tie"], kind="stable")
    return frame.drop(columns="_order").drop_duplicates().reset_index(drop=True)


def legend_html() -> str:
    """The legend shown under the network: tie classes by colour, node kinds by shape."""
    items = "".join(
        f"<span style='margin-right:14px;white-space:nowrap'><span style='display:inline-block;"
        f"width:22px;height:4px;background:{CLASS_COLOURS[c]};vertical-align:middle;"
        f"{'border-top:2px dashed #fff;' if c == vocab.REFERRAL else ''}'></span> "
        f"{_esc(CLASS_LABELS[c])}</span>" for c in _CLASS_PRIORITY)
    shapes = ("● person · ■ group · ◆ organisation · ▲ practitioner · "
              "the person is the large vermilion dot; people two steps away are not named")
    return (f"<div class='assetmap-legend' style='font:13px sans-serif;padding:6px 4px'>"
            f"<div>{items}</div><div style='margin-top:4px;color:#333'>{shapes}</div></div>")


#: pyvis' commented-out links to a local vis build (harmless, but not wanted in an offline page).
_COMMENT = re.compile(r"<!--\s*<link[^>]*node_modules.*?-->", re.S)
_CDN = re.compile(r"<(link|script)\b[^>]*(https?:)?//[^>]*>(\s*</script>)?", re.I)


def circle_layout(view: CircleView, ring: float = 170.0) -> dict[str, tuple[int, int]]:
    """Where each node of a circle is drawn, in pixels, the person at (0, 0): a spring layout
    (seeded, so the same circle is drawn the same way every time) started from rings by
    steps, each person or place two steps out beside the one it is reached through."""
    angle: dict[str, float] = {view.person_id: 0.0}
    start: dict[str, tuple[float, float]] = {view.person_id: (0.0, 0.0)}
    inner = [n for n, s in view.steps.items() if s == 1]
    for i, n in enumerate(inner):
        angle[n] = 2 * math.pi * i / len(inner)
    parent: dict[str, str] = {}
    for a, b in view.ties:
        for near, far in ((a, b), (b, a)):
            if view.steps.get(near) == 1 and view.steps.get(far) == 2:
                parent.setdefault(far, near)
    outer = sorted((n for n, s in view.steps.items() if s == 2),
                   key=lambda n: (angle.get(parent.get(n, ""), 0.0), n))
    for i, n in enumerate(outer):
        angle[n] = 2 * math.pi * i / len(outer)
    for n, s in view.steps.items():
        if s:
            start[n] = (s * math.cos(angle[n]), s * math.sin(angle[n]))
    if len(start) > 2:
        H = nx.Graph()
        H.add_nodes_from(start)
        H.add_edges_from(t for t in view.ties if t[0] in start and t[1] in start)
        pos = nx.spring_layout(H, pos=start, fixed=[view.person_id], seed=7, iterations=40,
                               k=2.4 / math.sqrt(len(start)))
        start = {n: (float(x), float(y)) for n, (x, y) in pos.items()}
    return {n: (round(x * ring), round(y * ring)) for n, (x, y) in start.items()}


#: vis-network as pyvis ships it, served by the app (Streamlit static serving) at
#: :func:`vis_assets_url`, so the circle page need not inline it.
VIS_DIR = Path(__file__).resolve().parent.parent / "ui" / "static" / "vis-network-9.1.2"


def vis_assets_url(base_url_path: str = "") -> str:
    """The URL path the app serves :data:`VIS_DIR` at, under the server's
    ``server.baseUrlPath``; absolute, as the circle runs in a frame."""
    prefix = base_url_path.strip("/")
    return f"/{prefix}/app/static/{VIS_DIR.name}" if prefix else f"/app/static/{VIS_DIR.name}"


@cache
def _templates() -> Any:
    """pyvis' page templates, compiled once per process: pyvis makes a new jinja environment
    for every network, which compiles its template and the ~700 kB of inlined vis-network
    script again each time (nine tenths of drawing a circle)."""
    from jinja2 import Environment, FileSystemLoader

    return Environment(loader=FileSystemLoader(Network(cdn_resources="in_line").template_dir),
                       autoescape=False)  # noqa: S701 - as pyvis renders it; data is JSON


def circle_html(G: nx.MultiDiGraph, person_id: str, steps: int = 2, max_nodes: int = 120,
                height: int = 520, name_people: bool = True,
                assets_base: str | None = None) -> str:
    """The person's circle as a self-contained HTML page (pyvis, JavaScript inlined, no CDN):
    the person fixed in the middle, ties coloured by class, a legend underneath. People one
    step out are named only when ``name_people``; two steps out, never.

    With ``assets_base`` (the URL path the app serves :data:`VIS_DIR` at, see
    :func:`vis_assets_url`) the page loads vis-network from there instead of inlining its
    ~700 kB: a few kB per draw, and the browser keeps the script between draws."""
    view = circle_view(G, person_id, steps, max_nodes)
    where = circle_layout(view)
    net = Network(height=f"{height}px", width="100%", directed=False,
                  cdn_resources="in_line" if assets_base is None else "remote",
                  bgcolor="#ffffff", font_color="#222222")
    net.templateEnv = _templates()
    # Browser-side ids are numbers: a record id from an import never reaches the page's script.
    number = {n: i for i, n in enumerate(view.steps)}
    for n, step in view.steps.items():
        attrs = G._node[n]
        kind = attrs.get("kind")
        shape, colour = KIND_STYLE.get(kind, ("dot", "#999999"))
        label = _label(G, n, step, name_people)
        what = vocab.label(attrs["org_kind"]) if attrs.get("org_kind") else kind
        title = f"{label}\n{what}" + ("" if step == 0 else f", {step} step{'s' * (step > 1)} away")
        if attrs.get("status") and attrs.get("status") != "active" and kind in vocab.ASSET_KINDS:
            title += f"\nstatus: {str(attrs['status']).replace('_', ' ')}"
        options: dict[str, Any] = {"shape": shape, "color": colour, "size": 14 if step else 28,
                                   "title": _plain(title), "label": _plain(label)}
        if step == 0:
            options.update(color=CENTRE_COLOUR, x=0, y=0, fixed=True, borderWidth=3)
        else:
            options.update(x=where[n][0], y=where[n][1])
        if step > 1:
            options.update(size=9, font={"size": 10, "color": "#555555"})
        net.add_node(number[n], **options)
    for (a, b), kinds in view.ties.items():
        if a not in view.steps or b not in view.steps:
            continue
        cls = _edge_class(kinds)
        words = ", ".join(k.replace("_", " ").lower() for k in sorted(kinds))
        net.add_edge(number[a], number[b], color=CLASS_COLOURS[cls], title=_plain(words),
                     width=3 if person_id in (a, b) else 1.5,
                     dashes=cls == vocab.REFERRAL)
    # Laid out here, so the browser runs no physics: a page that simulates springs spends
    # seconds of CPU after every load (and the page reloads the picture after each write).
    net.set_options('{"physics": {"enabled": false}, "edges": {"smooth": false},'
                    ' "interaction": {"hover": true, "tooltipDelay": 120}}')
    page = net.generate_html()
    # pyvis' template links Bootstrap from a CDN even with inlined resources: drop it.
    page = _CDN.sub("", _COMMENT.sub("", page))
    if assets_base is not None:  # "remote" linked vis-network from a CDN (dropped above)
        base = html.escape(assets_base.rstrip("/"))
        links = (f'<link rel="stylesheet" href="{base}/vis-network.css">\n'
                 f'<script src="{base}/vis-network.min.js"></script>')
        page = page.replace("<head>", f"<head>\n{links}", 1)
    note = (f"<p style='font:12px sans-serif;color:#555'>{view.truncated} more people and "
            "places two steps away are not drawn.</p>" if view.truncated else "")
    return page.replace("</body>", legend_html() + note + "</body>", 1)


# --- where the suggestions are -------------------------------------------------------------------


def suggestions_map(suggestions: pd.DataFrame, G: nx.MultiDiGraph,
                    home_area: Any = None, *, assets_base: str | None = None,
                    local_js: tuple[tuple[str, str], ...] = (),
                    local_css: tuple[tuple[str, str], ...] = (),
                    height: int = 360) -> folium.Map:
    """A small map of the suggested groups and organisations at their real points, each marker
    showing its rank (the number in the suggestions table), with the person's home area (a
    polygon, never their home) outlined.

    ``assets_base`` with ``local_js``/``local_css`` (name, path) pairs loads Leaflet from the
    app's own copies instead of CDNs. Suggested people are never drawn.
    """
    fmap = folium.Map(tiles=None, height=height, control_scale=True, zoom_start=13,
                      zoom_snap=0.25)
    if assets_base is not None:
        base = assets_base.rstrip("/")
        fmap.default_js = [(name, f"{base}/{path}") for name, path in local_js]
        fmap.default_css = [(name, f"{base}/{path}") for name, path in local_css]
    points: list[tuple[float, float]] = []
    if home_area is not None and not getattr(home_area, "is_empty", True):
        GeoJson(home_area.__geo_interface__, name="Their neighbourhood",
                style_function=lambda _f: {"color": CENTRE_COLOUR, "weight": 2,
                                           "fillOpacity": 0.08, "dashArray": "5 4"},
                tooltip="Their neighbourhood (LSOA), not their home").add_to(fmap)
        minx, miny, maxx, maxy = home_area.bounds
        points += [(miny, minx), (maxy, maxx)]
    for rank, row in enumerate(suggestions.itertuples(index=False), start=1):
        attrs: Mapping[str, Any] = G._node.get(row.candidate_id, {})
        if attrs.get("kind") not in vocab.ASSET_KINDS:
            continue
        lat, lon = attrs.get("lat"), attrs.get("lon")
        if lat is None or lon is None:
            continue
        points.append((lat, lon))
        popup = (f"<b>{rank}. {map_text(attrs.get('name') or row.candidate_id)}</b><br>"
                 f"{map_text(row.reasons)}")
        # The rank is drawn on the marker, so the map reads against the table by number.
        icon = folium.DivIcon(
            html=(f"<div aria-hidden='true' style='width:24px;height:24px;border-radius:12px;"
                  f"background:{CLASS_COLOURS[vocab.REFERRAL]};border:2px solid #222;"
                  "color:#000;font:bold 13px/20px sans-serif;text-align:center'>"
                  f"{rank}</div>"),
            icon_size=(24, 24), icon_anchor=(12, 12), class_name="assetmap-rank")
        folium.Marker((lat, lon), icon=icon,
                      tooltip=f"{rank}. {map_text(attrs.get('name') or '')}",
                      popup=folium.Popup(popup, max_width=280)).add_to(fmap)
    if points:
        from assetmap.render.maps import _fit_zoom

        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        # A view (centre and zoom) rather than fitBounds: it opens the same way inside
        # streamlit-folium's frame.
        fmap.location = [(min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2]
        fmap.options["zoom"] = _fit_zoom(min(lons), min(lats), max(lons), max(lats), height)
    return stable_names(fmap, "sg")


def stable_names(fmap: folium.Map, prefix: str) -> folium.Map:
    """``fmap`` with every element named by its place in the map (``prefix`` and a counter)
    instead of folium's random ids, so the same suggestions give the same page: the browser
    then keeps the map it has drawn when a save reruns the page but changes nothing on it
    (a new name on every run made streamlit-folium draw the whole map again)."""
    count = itertools.count()

    def rename(element: Any) -> None:
        named = element.get_name()
        element._id = f"{prefix}{next(count):04d}"
        parent = element._parent
        if parent is not None and parent._children.get(named) is element:  # keyed by name
            parent._children = type(parent._children)(
                (element.get_name() if k == named else k, c)
                for k, c in parent._children.items())
        for child in list(element._children.values()):
            rename(child)
        for part in ("header", "html", "script"):  # a popup's own parts (not its children)
            inner = getattr(element, part, None)
            if inner is not None and hasattr(inner, "_children") and inner is not element:
                for child in list(inner._children.values()):
                    rename(child)

    fmap.get_root()._id = f"{prefix}root"
    rename(fmap)
    return fmap


def suggestions_text(suggestions: pd.DataFrame) -> str:
    """A text alternative to the suggestions map: where each suggestion is and how far."""
    if suggestions.empty:
        return "No suggestions to show on the map."
    parts = []
    for rank, row in enumerate(suggestions.itertuples(index=False), start=1):
        km = "" if pd.isna(row.distance_km) else f" ({row.distance_km:.1f} km)"
        parts.append(f"{rank}. {row.name}{km}")
    return "Suggestions by rank: " + "; ".join(parts) + "."
