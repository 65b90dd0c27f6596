"""Area maps: drawing only. :func:`area_map` draws the published counts that
:func:`assetmap.counts.people_by_area` computed as a choropleth, with the public assets (groups
and organisations) as toggled layers. People are never drawn as points. No Streamlit here.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import networkx as nx
import pandas as pd
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from assetmap import vocab

# Counting lives in assetmap.counts; these names stay importable from here for callers.
from assetmap.counts import (  # noqa: F401
    MEASURES,
    Measure,
    _number,
    area_frame,
    available_measures,
    count_people,
    counts_at_level,
    isolation_counts,
    people_by_area,
    person_frame,
    published_table,
    raw_counts,
    roll_up,
    share_of_people,
    summary_text,
)

OSM_ATTRIBUTION = "Map tiles © OpenStreetMap contributors (ODbL)"

#: Local copies of the map libraries (see its README.md), served by the app at /app/static/vendor.
VENDOR_DIR = Path(__file__).resolve().parent.parent / "ui" / "static" / "vendor"
#: The scripts and stylesheets :func:`area_map` needs, by folium's names, relative to VENDOR_DIR
#: (the versions folium and branca load from CDNs; icon fonts and marker plugins are not used).
LOCAL_JS: tuple[tuple[str, str], ...] = (
    ("leaflet", "leaflet-1.9.3/leaflet.js"),
    ("jquery", "jquery-3.7.1/jquery.min.js"),
)
LOCAL_CSS: tuple[tuple[str, str], ...] = (
    ("leaflet_css", "leaflet-1.9.3/leaflet.css"),
    ("bootstrap_css", "bootstrap-5.2.2/bootstrap.min.css"),
)
#: d3 v3, which branca's colour-scale legend draws with (kept in the app's copies; the maps'
#: own legend, :class:`_Legend`, needs no d3).
LOCAL_D3: tuple[str, str] = ("d3", "d3-3.5.5/d3.min.js")
#: Scripts only :class:`folium.Popup` needs (jQuery builds its content); maps drawn from GeoJSON
#: layers with :class:`GeoJsonTooltip`/:class:`GeoJsonPopup` (the area, gap and closure maps)
#: leave them out: the map's frame loads its scripts one after another, so each one left out
#: draws the map sooner (issue 14).
POPUP_ONLY_JS: frozenset[str] = frozenset({"jquery"})


#: Colour-blind-safe qualitative palette (Okabe & Ito) for asset layers.
_LAYER_COLOURS: tuple[str, ...] = (
    "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#000000",
)
_SUPPRESSED_FILL = "#d0d0d0"
_NO_DATA_FILL = "#f2f2f2"

#: Nice plural labels for organisation kinds; anything else is worded from the kind itself.
_KIND_LABELS: dict[str, str] = {
    "ulo": "User-led organisations", "gp_practice": "GP practices",
    "council_service": "Council services", "carers_centre": "Carers' centres",
    "shared_lives_scheme": "Shared Lives schemes", "wellbeing_hub": "Wellbeing hubs",
    "healthwatch": "Healthwatch", "library": "Libraries", "place_of_worship": "Places of worship",
    "food_bank": "Food banks", "mental_health_service": "Mental health services",
    "care_home": "Care homes", "pharmacy": "Pharmacies", "charity": "Charities",
    "childrens_centre": "Children's centres", "community_centre": "Community centres",
    "leisure_centre": "Leisure centres", "group": "Groups and clubs",
}

#: Labels for the ``layer`` slugs the importers give assets (Trafford's open-data layers).
LAYER_LABELS: dict[str, str] = {
    "gp_practices": "GP practices", "libraries": "Libraries",
    "places_of_worship": "Places of worship", "sports_clubs": "Sports clubs",
    "mental_health": "Mental health services", "food_banks": "Food banks",
    "charities": "Charities and ULOs", "care_homes": "Care homes", "pharmacies": "Pharmacies",
    "childrens_centres": "Children's centres", "leisure_centres": "Leisure centres",
    "sport_facilities": "Sport facilities", "green_spaces": "Green spaces and allotments",
}


# --- assets ---------------------------------------------------------------------------------

_ASSET_FIELDS = ("org_kind", "activities", "needs", "description", "address", "postcode",
                 "website", "telephone", "email", "opening_times", "schedule", "cost", "access",
                 "referral", "status", "user_led", "source", "layer")
_DESCRIPTION_CHARS = 240


def asset_frame(source: Any) -> pd.DataFrame:
    """Groups and organisations with a location: id, name, kind, lat, lon, ``layer`` and the
    public fields a link worker needs (activities, needs, address, when, cost, contact)."""
    rows: list[dict[str, Any]] = []
    if isinstance(source, nx.Graph):
        items: Iterable[tuple[str, dict, Any, Any, str, str]] = (
            (i, d, d.get("lat"), d.get("lon"), d.get("kind"), d.get("name") or "")
            for i, d in source.nodes(data=True) if d.get("kind") in vocab.ASSET_KINDS)
    else:
        items = ((n.id, n.props, n.lat, n.lon, n.kind, n.name)
                 for kind in sorted(vocab.ASSET_KINDS) for n in source.find(kind))
    for node_id, props, lat, lon, kind, name in items:
        if lat is None or lon is None:
            continue
        row = {"id": node_id, "name": name, "kind": kind, "lat": lat, "lon": lon}
        row.update({f: props.get(f) for f in _ASSET_FIELDS})
        row["layer"] = asset_layer(kind, props)
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", "name", "kind", "lat", "lon", *_ASSET_FIELDS])


def asset_layer(kind: str, props: Mapping[str, Any]) -> str:
    """The map layer an asset belongs to: its ``layer`` prop, else its organisation kind."""
    layer = props.get("layer")
    if layer:
        layer = str(layer)
        return LAYER_LABELS.get(layer) or layer.replace("_", " ").capitalize()
    if kind == vocab.GROUP:
        return _KIND_LABELS["group"]
    org_kind = props.get("org_kind")
    if org_kind in _KIND_LABELS:
        return _KIND_LABELS[org_kind]
    return str(org_kind or "Organisations").replace("_", " ").capitalize()


def _words(values: Any) -> str:
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return ""
    if isinstance(values, str):
        return values.replace("_", " ")
    return ", ".join(str(v).replace("_", " ") for v in values)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


#: The labelled lines of an asset's details, in the order its popup shows them after the name,
#: layer, status and "User-led": (short property name, label). Then the website, then
#: :data:`ASSET_CONTACT_LINES`, then the source.
ASSET_DETAIL_LINES: tuple[tuple[str, str], ...] = (
    ("about", "About"), ("what", "What"), ("helps", "Helps with"), ("when", "When"),
    ("where", "Where"), ("cost", "Cost"), ("access", "Access"), ("refer", "How to refer"),
)
#: The contact lines after the website: (short property name, label).
ASSET_CONTACT_LINES: tuple[tuple[str, str], ...] = (("tel", "Tel"), ("email", "Email"))


def asset_details(row: Mapping[str, Any]) -> dict[str, Any]:
    """What an asset's popup shows, as short plain-text properties (no HTML): ``name``
    ("Unnamed" if none), ``status`` (unless active), ``led`` (1 if user-led), the
    :data:`ASSET_DETAIL_LINES` keys, ``web``, the :data:`ASSET_CONTACT_LINES` keys and ``src``;
    empty ones left out. The map sends these and the browser writes them as text
    (:class:`_AssetDetails`); :func:`asset_popup` writes the same as escaped HTML."""
    details: dict[str, Any] = {"name": _text(row.get("name")) or "Unnamed"}
    status = _text(row.get("status"))
    if status and status != "active":
        details["status"] = status.replace("_", " ")
    if row.get("user_led") is True:
        details["led"] = 1
    about = _text(row.get("description")).strip()
    if len(about) > _DESCRIPTION_CHARS:
        about = about[:_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    lines = {
        "about": about,
        "what": _words(row.get("activities")),
        "helps": _words(row.get("needs")),
        "when": _text(row.get("opening_times")) or _text(row.get("schedule")),
        "where": ", ".join(t for t in (_text(row.get("address")), _text(row.get("postcode")))
                           if t),
        "cost": _words(row.get("cost")),
        "access": _words(row.get("access")),
        "refer": _text(row.get("referral")),
        "web": _text(row.get("website")).strip(),
        "tel": _text(row.get("telephone")).strip(),
        "email": _text(row.get("email")).strip(),
        "src": _text(row.get("source")).strip(),
    }
    details.update((key, value) for key, value in lines.items() if value)
    return details


def asset_popup(row: Mapping[str, Any]) -> str:
    """A popup for one asset as HTML: name, what, when, where, cost, access, contact (the same
    lines as the map's popups, :func:`asset_details`). Every value from the data is
    HTML-escaped, so a name such as ``<img onerror=…>`` shows as text."""
    esc = html.escape
    details = asset_details(row)
    parts = [f"<b>{esc(details['name'])}</b>", f"<i>{esc(_text(row.get('layer')))}</i>"]
    if "status" in details:
        parts.append(f"<span style='color:#b00020'>Status: {esc(details['status'])}</span>")
    if details.get("led"):
        parts.append("User-led")
    parts += [f"<b>{label}:</b> {esc(details[key])}"
              for key, label in ASSET_DETAIL_LINES if key in details]
    website = details.get("web")
    if website:
        if website.lower().startswith(("http://", "https://")):
            parts.append(f"<a href=\"{esc(website, quote=True)}\" target=\"_blank\" "
                         f"rel=\"noopener noreferrer\">{esc(website)}</a>")
        else:
            parts.append(esc(website))
    parts += [f"<b>{label}:</b> {esc(details[key])}"
              for key, label in ASSET_CONTACT_LINES if key in details]
    if "src" in details:
        parts.append(f"<small style='color:#666'>Source: {esc(details['src'])}</small>")
    return "<div style='min-width:200px;max-width:300px'>" + "<br>".join(parts) + "</div>"


# --- the map --------------------------------------------------------------------------------


def map_text(value: Any) -> str:
    """Text from data (a place's name, reasons, a source's credit) made safe for a folium
    tooltip, popup or marker: HTML-escaped, and its braces written as character references.
    folium compiles what each marker renders as a Jinja template a second time, so a name
    holding ``{{ … }}`` would otherwise be run on the server; in HTML the references show as
    the braces they stand for."""
    text = html.escape(str(value if value is not None else ""), quote=False)
    return text.replace("{", "&#123;").replace("}", "&#125;")


class _Text(Element):
    """Text already rendered by a macro, put in the page as it is. Branca would wrap it in an
    ``Element`` and so compile it as a Jinja template again: seconds for a layer's GeoJSON (it
    is lexed character by character, on every render), and a ``{{`` in a place's name would be
    evaluated."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class _RenderedOnce(MacroElement):
    """:class:`branca.element.MacroElement`'s render, with each macro's output kept as text
    (:class:`_Text`) rather than compiled as a template a second time: the same HTML."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        module = self._template.module.__dict__
        for part, holder in (("header", figure.header), ("html", figure.html),
                             ("script", figure.script)):
            macro = module.get(part)
            if macro is not None:
                holder.add_child(_Text(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class _MapNote(_RenderedOnce):
    """Adds text to the map's attribution box and a small legend note (HTML given pre-escaped;
    rendered once, so a ``{{`` in a credit stays text)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            if (!map.attributionControl) { L.control.attribution().addTo(map); }
            map.attributionControl.addAttribution({{ this.attribution | tojson }});
            {% if this.note %}
            var note = L.control({position: 'bottomleft'});
            note.onAdd = function() {
                var div = L.DomUtil.create('div', 'assetmap-note');
                div.style.cssText = 'background:rgba(255,255,255,0.9);padding:4px 8px;'
                    + 'font:12px sans-serif;border-radius:4px;';
                div.innerHTML = {{ this.note | tojson }};
                return div;
            };
            note.addTo(map);
            {% endif %}
            map.getContainer().style.background = {{ this.background | tojson }};
            var credit = map.attributionControl.getContainer();
            credit.style.maxWidth = '62%';
            credit.style.fontSize = '10px';
            credit.style.lineHeight = '1.3';
        })();
        {% endmacro %}
    """)

    def __init__(self, attribution: str, note: str = "", background: str = "#ffffff"):
        super().__init__()
        self._name = "MapNote"
        self.attribution = attribution
        self.note = note
        self.background = background


class GeoJson(folium.GeoJson, _RenderedOnce):
    """:class:`folium.GeoJson` whose data is written into the page once, never re-read as a
    Jinja template (what made every map with many features slow to send). The pages' layers
    use it; the HTML is folium's own."""


class _AssetDetails(_RenderedOnce):
    """The browser side of the asset layers' tooltips and popups, added to the map once: a
    function that binds them to one layer. Each asset carries its details as plain text
    (:func:`asset_details`); the tooltip and popup are built from them with DOM nodes and
    ``textContent`` only, never ``innerHTML`` of data, so a name such as ``<img onerror=…>``
    or ``{{ 7*7 }}`` shows as written. The popup shows what :func:`asset_popup` writes, and is
    built only when opened: the map sends a few short fields per asset instead of its popup's
    HTML, escaped twice over (issue 14)."""

    _template = Template(r"""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var LINES = {{ this.lines | tojson }}, CONTACT = {{ this.contact | tojson }};
            function add(parent, tag, text) {
                var node = L.DomUtil.create(tag, '', parent);
                if (text !== undefined) { node.textContent = text; }
                return node;
            }
            function popup(feature, group, shared) {
                var p = Object.assign({}, shared, feature.properties);
                var div = L.DomUtil.create('div'), parts = 0;
                div.style.cssText = 'min-width:200px;max-width:300px';
                function part() { if (parts++) { add(div, 'br'); } return div; }
                function words(text) { part().appendChild(document.createTextNode(text)); }
                function labelled(line) {
                    var value = p[line[0]];
                    if (!value) { return; }
                    add(part(), 'b', line[1] + ':');
                    div.appendChild(document.createTextNode(' ' + value));
                }
                add(part(), 'b', p.name);
                add(part(), 'i', group);
                if (p.status) {
                    add(part(), 'span', 'Status: ' + p.status).style.color = '#b00020';
                }
                if (p.led) { words('User-led'); }
                LINES.forEach(labelled);
                if (p.web) {
                    if (/^https?:\/\//i.test(p.web)) {
                        var link = add(part(), 'a', p.web);
                        link.href = p.web;
                        link.target = '_blank';
                        link.rel = 'noopener noreferrer';
                    } else { words(p.web); }
                }
                CONTACT.forEach(labelled);
                if (p.src) { add(part(), 'small', 'Source: ' + p.src).style.color = '#666'; }
                return div;
            }
            return function (layer, group, shared) {
                layer.bindTooltip(function (marker) {
                    return document.createTextNode(marker.feature.properties.name);
                }, {sticky: true, className: 'foliumtooltip'});
                layer.bindPopup(function (marker) {
                    return popup(marker.feature, group, shared);
                }, {className: 'foliumpopup'});
            };
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "AssetDetails"
        self.lines = [list(line) for line in ASSET_DETAIL_LINES]
        self.contact = [list(line) for line in ASSET_CONTACT_LINES]


class _AssetLayerDetails(_RenderedOnce):
    """Binds :class:`_AssetDetails`' tooltip and popup to its parent asset layer, whose popups
    name the layer (``label``, plain text) and show ``shared``, the details every asset of the
    layer has alike (see :func:`_shared_details`), with each asset's own."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.details.get_name() }}({{ this._parent.get_name() }}, {{ this.label | tojson }},
            {{ this.shared | tojson }});
        {% endmacro %}
    """)

    def __init__(self, details: _AssetDetails, label: str,
                 shared: Mapping[str, Any] | None = None):
        super().__init__()
        self._name = "AssetLayerDetails"
        self.details = details
        self.label = label
        self.shared = dict(shared or {})


def script_json(value: Any) -> str:
    """``value`` as compact JSON safe inside a page's ``<script>`` (``<``, ``>``, ``&`` and
    ``'`` written as ``\\u`` escapes, as Jinja's ``tojson`` writes them), for data a map sends."""
    return (json.dumps(value, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


class _AssetRows(_RenderedOnce):
    """Adds its parent asset layer's features (:class:`AssetPoints`) as compact rows
    ``[lon, lat, details]``, turned back into GeoJSON Point features in the browser."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}_add({"type": "FeatureCollection",
            "features": {{ this.rows }}.map(function (r) {
                return {"type": "Feature", "properties": r[2],
                        "geometry": {"type": "Point", "coordinates": [r[0], r[1]]}};
            })});
        {% endmacro %}
    """)

    def __init__(self, rows: str):
        super().__init__()
        self._name = "AssetRows"
        self.rows = rows


class AssetPoints(GeoJson):
    """A layer of assets: a :class:`GeoJson` layer of Point features (``features``, a
    FeatureCollection) that the page gets as compact rows (:class:`_AssetRows`) rather than
    folium's spaced-out GeoJSON, about a quarter of each feature's bytes (issue 14). folium's
    own ``data`` stays empty (streamlit-folium writes every element's template itself, so the
    rows cannot be swapped in at render time); the map drawn is the same."""

    def __init__(self, features: dict, **kwargs: Any):
        super().__init__({"type": "FeatureCollection", "features": []}, **kwargs)
        self.features = features
        rows = [[*f["geometry"]["coordinates"], f["properties"]] for f in features["features"]]
        self.add_child(_AssetRows(script_json(rows)), name=self.get_name() + "_rows")

    def _get_self_bounds(self) -> list[list[float | None]]:
        """The bounds of the layer's points, [[lat_min, lon_min], [lat_max, lon_max]]."""
        from folium.utilities import get_bounds

        return get_bounds(self.features, lonlat=True)


#: folium's style for a GeoJSON tooltip or popup table (GeoJsonDetail.render compiles it anew
#: for every layer), compiled once.
_DETAIL_STYLE = Template("""
                    <style>
                        .{{ this.class_name }} {
                            {{ this.style }}
                        }
                       .{{ this.class_name }} table{
                            margin: auto;
                        }
                        .{{ this.class_name }} tr{
                            text-align: left;
                        }
                        .{{ this.class_name }} th{
                            padding: 2px; padding-right: 8px;
                        }
                    </style>
            """)


class _DetailOnce(_RenderedOnce):
    """:class:`folium.features.GeoJsonDetail`'s render with its style compiled once and its
    output kept as text (:class:`_Text`): the same HTML."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement's
        parent: Any = self._parent
        if not isinstance(parent, folium.GeoJson):
            raise TypeError(f"You cannot add a {self._name} to anything other than a GeoJson.")
        features = parent.data["features"]
        keys = tuple(features[0]["properties"]) if features else ()
        for value in getattr(self, "fields", ()):  # the tooltip's or popup's own fields
            if value not in keys:
                raise ValueError(f"The field {value} is not available in the data. "
                                 f"Choose from: {keys}.")
        figure: Any = self.get_root()
        figure.header.add_child(_Text(_DETAIL_STYLE.render(this=self)),
                                name=self.get_name() + "tablestyle")
        _RenderedOnce.render(self, **kwargs)


class GeoJsonTooltip(_DetailOnce, folium.GeoJsonTooltip):
    """:class:`folium.GeoJsonTooltip`, rendered once (see :class:`GeoJson`)."""


class GeoJsonPopup(_DetailOnce, folium.GeoJsonPopup):
    """:class:`folium.GeoJsonPopup`, rendered once (see :class:`GeoJson`)."""


class _Legend(_RenderedOnce):
    """The colour scale as a small HTML legend drawn by Leaflet alone (caption, a gradient of
    the scale's colours, its tick labels): the same things branca's legend shows, without d3,
    so the map's frame loads one script fewer before it draws (issue 14). Deliberately not a
    ColorMap: streamlit-folium adds hard-coded CDN copies of d3 for every ColorMap it finds,
    which an offline browser cannot fetch. Rendered once, so a ``{{`` in a caption stays text
    (it is set as text, never as HTML)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: 'topright'});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'assetmap-scale');
                div.style.cssText = 'background:rgba(255,255,255,0.9);padding:4px 14px;'
                    + 'font:11px sans-serif;border-radius:4px;';
                var bar = L.DomUtil.create('div', '', div);
                bar.style.cssText = 'width:240px;height:10px;border:1px solid #444;'
                    + 'background:linear-gradient(to right,' + {{ this.stops | tojson }} + ');';
                var ticks = L.DomUtil.create('div', '', div);
                ticks.style.cssText = 'position:relative;width:240px;height:14px;';
                {{ this.ticks | tojson }}.forEach(function(t) {
                    var label = L.DomUtil.create('span', '', ticks);
                    label.style.cssText = 'position:absolute;top:1px;left:' + t[0]
                        + '%;transform:translateX(-50%);';
                    label.textContent = t[1];
                });
                var caption = L.DomUtil.create('div', '', div);
                caption.style.cssText = 'max-width:240px;';
                caption.textContent = {{ this.caption | tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, colormap: cm.LinearColormap, steps: int = 10):
        super().__init__()
        self._name = "Legend"
        low, high = float(colormap.vmin), float(colormap.vmax)
        span = (high - low) or 1.0
        self.stops = ",".join(colormap.rgb_hex_str(low + span * i / steps)
                              for i in range(steps + 1))
        self.ticks = [[round(100 * (float(t) - low) / span, 2),
                       str(int(t)) if float(t).is_integer() else f"{float(t):g}"]
                      for t in (colormap.tick_labels or (low, high))]
        self.caption = str(colormap.caption or "")


#: What streamlit-folium (0.27) loads, whatever the map says, for each branca ColorMap in it.
_STREAMLIT_FOLIUM_D3: tuple[str, ...] = (
    "https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
)


def local_assets_url(base_url_path: str = "") -> str:
    """The URL path the app serves :data:`VENDOR_DIR` at (Streamlit's static serving), under the
    server's ``server.baseUrlPath``; absolute, as the map runs in a component frame."""
    prefix = base_url_path.strip("/")
    return f"/{prefix}/app/static/vendor" if prefix else "/app/static/vendor"


def geojson_only(fmap: folium.Map) -> folium.Map:
    """Leave out the scripts only :class:`folium.Popup` needs (:data:`POPUP_ONLY_JS`) from a
    map drawn with GeoJSON layers alone; returns the map. The map's own list is replaced, never
    folium's class-level one."""
    fmap.default_js = [(name, url) for name, url in fmap.default_js
                       if name not in POPUP_ONLY_JS]
    return fmap


def asset_links(fmap: folium.Map) -> list[str]:
    """Every script and stylesheet URL the map loads: folium's page, and the links
    streamlit-folium gives its frame (each element's ``default_js``/``default_css``)."""
    page = fmap.get_root().render()
    links = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    links += re.findall(r'<link[^>]*\shref="([^"]+)"', page)

    def walk(element: Any) -> Iterable[Any]:
        yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(fmap):
        if isinstance(element, cm.ColorMap):
            links += list(_STREAMLIT_FOLIUM_D3)
        links += [url for _, url in getattr(element, "default_js", ())]
        links += [url for _, url in getattr(element, "default_css", ())]
    return list(dict.fromkeys(links))


def _colormap(values: pd.Series, caption: str) -> cm.LinearColormap:
    vmin = float(values.min()) if values.notna().any() else 0.0
    vmax = float(values.max()) if values.notna().any() else 1.0
    if vmax <= vmin:
        vmax = vmin + 1.0
    # Reversed viridis: light for few, dark for many (colour-blind safe, prints in grey).
    linear: Any = cm.linear  # branca adds its colour schemes at run time (no static attribute)
    colours = list(reversed(linear.viridis.colors))
    ticks = sorted({vmin, (vmin + vmax) / 2, vmax})
    return cm.LinearColormap(colours, vmin=vmin, vmax=vmax, caption=caption,
                             tick_labels=[round(t) for t in ticks])


def areas_label(areas: pd.DataFrame) -> str:
    """Which areas a figure shows, with their boundary year: "Wards (2023 boundaries)", or
    "Wards (boundary year not recorded)". Names and codes change between boundary years, so
    every map, legend, tooltip, image and table by area says it (issue 17). From the ``level``
    and ``vintage`` attrs :func:`people_by_area` sets."""
    from assetmap.graph.store.areas import UNKNOWN_VINTAGE, level_label

    level, vintage = areas.attrs.get("level"), str(areas.attrs.get("vintage") or "")
    if not level:
        return f"Areas ({vintage or UNKNOWN_VINTAGE})"
    return level_label(str(level), vintage=vintage)


def _area_features(areas: gpd.GeoDataFrame, measure: str, share: bool) -> dict:
    label = MEASURES[measure].label
    which = html.escape(areas_label(areas))
    shares = share_of_people(areas, measure).tolist()
    features = []
    for row, pct in zip(areas.itertuples(index=False), shares, strict=True):
        geometry = row.geometry
        if geometry is None or geometry.is_empty:
            continue
        published = getattr(row, f"{measure}_published")
        masked = pct if share else getattr(row, f"{measure}_masked")
        tooltip = (f"<b>{html.escape(str(row.area_name))}</b><br>"
                   f"{html.escape(label)}: {html.escape(_number(str(published)))}")
        if measure != "people" and not pd.isna(pct):
            tooltip += f" ({pct:g}% of people)"
        tooltip += f"<br><small>{which}</small>"
        features.append({
            "type": "Feature",
            "geometry": rounded_geometry(geometry.__geo_interface__),
            "properties": {
                "area_code": html.escape(str(row.area_code)),
                "tooltip": tooltip,
                "value": None if pd.isna(masked) else float(masked),
            },
        })
    return {"type": "FeatureCollection", "features": features}


#: Decimal places of the coordinates the maps send: 5 is about a metre, plenty for a ward's
#: outline or a venue's door (6, as stored, is a tenth of a metre and a longer page).
COORDINATE_DECIMALS = 5


def _rounded(coordinates: Any, places: int = COORDINATE_DECIMALS) -> Any:
    """GeoJSON coordinates (nested sequences of numbers) rounded to ``places`` decimals."""
    if isinstance(coordinates, int | float):
        return round(float(coordinates), places)
    return [_rounded(c, places) for c in coordinates]


def rounded_geometry(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry (``__geo_interface__``) with its coordinates rounded to
    :data:`COORDINATE_DECIMALS`, for any map layer of areas: a shorter page, the same outline."""
    if geometry.get("type") == "GeometryCollection":
        return {"type": "GeometryCollection",
                "geometries": [rounded_geometry(g) for g in geometry["geometries"]]}
    return {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])}


def _asset_features(assets: pd.DataFrame) -> dict:
    """One Point feature per asset, its properties the popup's plain text
    (:func:`asset_details`): no HTML, nothing escaped twice."""
    features = []
    for row in assets.to_dict("records"):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point",
                         "coordinates": _rounded([float(row["lon"]), float(row["lat"])])},
            "properties": asset_details(row),
        })
    return {"type": "FeatureCollection", "features": features}


def _shared_details(features: dict) -> dict[str, Any]:
    """Take out of a layer's asset features the details that all of them have alike (the
    source of an imported layer, "free" for every GP practice...) and return them: the layer
    sends each once (:class:`_AssetLayerDetails`). The name stays on every feature (the
    tooltip reads it); a layer of one asset keeps its own."""
    props = [f["properties"] for f in features["features"]]
    if len(props) < 2:
        return {}
    shared = {key: value for key, value in props[0].items()
              if key != "name" and all(p.get(key, None) == value for p in props[1:])}
    for p in props:
        for key in shared:
            del p[key]
    return shared


def area_map(areas: gpd.GeoDataFrame, measure: str = "people",
             assets: pd.DataFrame | None = None, *, layers: Sequence[str] | None = None,
             tiles: str | None = None, attribution: str | None = None,
             height: int | str = "100%", share: bool = False,
             assets_base: str | None = None) -> folium.Map:
    """A choropleth of the published ``measure`` per area, with asset layers to toggle.

    ``areas`` comes from :func:`people_by_area`; only its ``*_published``/``*_masked`` columns
    are drawn. ``assets`` (from :func:`asset_frame`) are drawn as one GeoJson layer of circles
    per ``layer`` (restricted to ``layers`` if given). ``tiles`` is a folium tile name such as
    "OpenStreetMap" or None for a plain background (the boundaries are the map). With
    ``share`` the areas are shaded by the percentage of their people (published counts only).
    ``assets_base`` (e.g. :func:`local_assets_url`) loads Leaflet and the other libraries from
    that URL (:data:`VENDOR_DIR`) instead of public CDNs, for this map only: no internet needed.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure {measure!r} is not one of {', '.join(MEASURES)}")
    # The credit comes from the caller: the sources recorded in the store
    # (assetmap.graph.store.sources.attribution_text); never a fixed area's.
    attribution = attribution or ""
    fmap = folium.Map(tiles=None, prefer_canvas=True, height=height, control_scale=True,
                      zoom_start=12, zoom_snap=0.25)
    base = assets_base.rstrip("/") if assets_base is not None else None
    if base is not None:
        # Instance attributes: folium's class-level lists (shared by every map) stay as they are.
        fmap.default_js = [(name, f"{base}/{path}") for name, path in LOCAL_JS]
        fmap.default_css = [(name, f"{base}/{path}") for name, path in LOCAL_CSS]
    geojson_only(fmap)  # GeoJSON layers only: no jQuery
    if tiles:
        folium.TileLayer(tiles, name="Street map", control=False).add_to(fmap)
    label = MEASURES[measure].label
    share = share and measure != "people"
    # Area names change between boundary years: the legend says which year's areas these are
    # ("Wards (2023 boundaries)"), or that the year is not recorded.
    which = areas_label(areas)
    if share:
        colormap = _colormap(share_of_people(areas, measure), f"{label}, % of people; {which}")
    else:
        colormap = _colormap(areas[f"{measure}_masked"],
                             f"{label} per area (rounded to 5); {which}")
    data = _area_features(areas, measure, share)

    def style(feature: dict) -> dict:
        value = feature["properties"]["value"]
        fill = _SUPPRESSED_FILL if value is None else colormap(value)
        return {"fillColor": fill, "fillOpacity": 0.7, "color": "#444444", "weight": 1,
                "dashArray": "4 3" if value is None else None}

    if data["features"]:
        # A tooltip on a layer with no features fails ("The field tooltip is not available in
        # the data"): with no boundaries there is no choropleth and no legend, only the assets.
        choropleth = GeoJson(
            data, name=html.escape(label), style_function=style,
            highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
            tooltip=GeoJsonTooltip(fields=["tooltip"], labels=False),
            control=True,
        )
        choropleth.add_to(fmap)
        _Legend(colormap).add_to(fmap)  # HTML: no d3 to load, online or not
    if assets is not None and not assets.empty:
        wanted = list(layers) if layers is not None else sorted(assets["layer"].unique())
        details = _AssetDetails()  # the tooltips' and popups' builder, once for every layer
        details.add_to(fmap)
        for i, layer in enumerate(wanted):
            subset = assets[assets["layer"] == layer]
            if subset.empty:
                continue
            colour = _LAYER_COLOURS[i % len(_LAYER_COLOURS)]
            name = (f"<span style='color:{colour}'>&#9679;</span> {html.escape(layer)} "
                    f"({len(subset)})")
            # The style is the marker's own (one per layer): no style function, so no
            # per-feature style table and no identifier added to every feature.
            features = _asset_features(subset)
            shared = _shared_details(features)
            points = AssetPoints(
                features, name=name,
                marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9,
                                           color="#222222", fill_color=colour),
            )
            _AssetLayerDetails(details, str(layer), shared).add_to(points)
            points.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    # A tile layer brings its own credit (OpenStreetMap's); the data's credit is added here.
    sources = html.escape(attribution)
    note = (f"<span style='display:inline-block;width:12px;height:12px;"
            f"background:{_SUPPRESSED_FILL};border:1px dashed #444'></span> "
            "fewer than 8 (not shown)")
    _MapNote(sources, note, "#ffffff" if tiles is None else "#dddddd").add_to(fmap)
    bounded = areas[areas.geometry.notna()] if "geometry" in areas else areas.iloc[0:0]
    if not len(bounded) and assets is not None and not assets.empty:
        minx, miny = float(assets["lon"].min()), float(assets["lat"].min())
        maxx, maxy = float(assets["lon"].max()), float(assets["lat"].max())
        fmap.location = [(miny + maxy) / 2, (minx + maxx) / 2]
        fmap.options["zoom"] = _fit_zoom(minx, miny, maxx, maxy,
                                         height if isinstance(height, int) else 600)
    if len(bounded):
        minx, miny, maxx, maxy = bounded.total_bounds
        # Start centred on the areas at a zoom that fits them (a view, not fitBounds, so the
        # page's map opens the same way inside streamlit-folium's frame).
        fmap.location = [(miny + maxy) / 2, (minx + maxx) / 2]
        fmap.options["zoom"] = _fit_zoom(minx, miny, maxx, maxy,
                                         height if isinstance(height, int) else 600)
    return fmap


def _fit_zoom(minx: float, miny: float, maxx: float, maxy: float, height_px: int,
              width_px: int = 800) -> float:
    """The largest web-mercator zoom (in quarter steps) showing these bounds in the view."""
    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(maxx - minx, 1e-6) / 360.0
    dy = max(merc(maxy) - merc(miny), 1e-6) / (2 * math.pi)
    zoom = math.log2(0.9 * min(width_px / (256 * dx), height_px / (256 * dy)))
    return max(1.0, min(18.0, math.floor(zoom * 4) / 4))


def area_map_png(areas: gpd.GeoDataFrame, measure: str = "people", *, share: bool = False,
                 title: str | None = None, attribution: str = "", dpi: int = 150) -> bytes:
    """The area map as a PNG image to hand to a commissioner: areas shaded by the published
    (rounded, suppressed) value only — as :func:`area_map` — with a legend, a title and the
    data credits; suppressed areas hatched grey. No tiles, nothing fetched."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    label = MEASURES[measure].label
    share = share and measure != "people"
    shown = areas[~areas.geometry.is_empty & areas.geometry.notna()].copy()
    shown["_value"] = (share_of_people(shown, measure) if share
                       else pd.to_numeric(shown[f"{measure}_masked"], errors="coerce"))
    fig = Figure(figsize=(8, 8.6), dpi=dpi)
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.82))
    ax.set_axis_off()
    hidden = shown[shown["_value"].isna()]
    if not hidden.empty:
        hidden.plot(ax=ax, color=_SUPPRESSED_FILL, edgecolor="#555555", linewidth=0.4,
                    hatch="//")
    known = shown[shown["_value"].notna()]
    if not known.empty:
        known.plot(ax=ax, column="_value", cmap=colormaps["viridis_r"], edgecolor="#333333",
                   linewidth=0.4, legend=True,
                   legend_kwds={"orientation": "horizontal", "shrink": 0.6, "pad": 0.02,
                                "label": f"{label}, % of people" if share
                                else f"{label} per area (rounded to 5)"})
    fig.suptitle(title or f"{label} by area: {areas_label(areas)}", fontsize=13)
    credits = "Grey, hatched: too few to show. " + attribution
    fig.text(0.02, 0.015, credits[:400], fontsize=6.5, wrap=True, color="#222222")
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
