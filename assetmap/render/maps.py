"""Area maps: people counted by area (published through :mod:`assetmap.governance.privacy`) and
assets.

Two steps, no Streamlit here: :func:`people_by_area` turns the people in a store (or a networkx
graph) into one row per ward or LSOA with raw counts (for use inside the app only) and published
counts ("<8", rounded to 5); :func:`area_map` draws the published counts as a choropleth with the
public assets (groups and organisations) as toggled layers. People are never drawn as points.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import branca.colormap as cm
import folium
import geopandas as gpd
import networkx as nx
import pandas as pd
from branca.element import JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.governance import privacy

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
#: d3 v3 draws branca's colour-scale legend.
LOCAL_D3: tuple[str, str] = ("d3", "d3-3.5.5/d3.min.js")


@dataclass(frozen=True)
class Measure:
    """One thing counted per area: its key, a label for menus and a noun for sentences."""

    key: str
    label: str
    noun: str
    description: str


#: Every measure the map can shade by, in menu order. "people" counts everyone.
MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("people", "People", "people", "everyone recorded in the area"),
    Measure("carers", "Unpaid carers", "carers",
            "people with the carer role or who give unpaid care each week"),
    Measure("carers_50h", "Carers giving 50+ hours a week", "carers giving 50+ hours",
            "unpaid carers giving 50 or more hours of care a week"),
    Measure("disabled", "Disabled (day-to-day activities limited)", "disabled people",
            "people whose day-to-day activities are limited a lot or a little"),
    Measure("bad_health", "Bad or very bad health", "people in bad health",
            "people whose general health is bad or very bad"),
    Measure("lonely", "Lonely often or always", "people lonely often or always",
            "people who feel lonely often or always"),
    Measure("older", "Aged 75 and over", "people aged 75+", "people aged 75 and over"),
    Measure("personal_budget", "With a personal budget", "people with a personal budget",
            "people who hold a personal budget"),
    # Structural isolation (from the graph, see assetmap.graph.analysis.isolation): pass ``extra``.
    Measure("no_community_ties", "No community ties (isolated or service-only)",
            "people with no community ties",
            "people with no family, friend, neighbour or group tie"),
    Measure("isolated", "Isolated (no ties at all)", "isolated people",
            "people with no community ties and no services"),
    Measure("at_risk", "At risk (one community tie)", "people at risk of isolation",
            "people whose community ties hang on one person or one group"),
)}

_FLAG_KEYS: tuple[str, ...] = tuple(k for k in MEASURES if k != "people")
_PROP_KEYS: tuple[str, ...] = ("carers", "carers_50h", "disabled", "bad_health", "lonely",
                               "older", "personal_budget")

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


# --- people by area ---------------------------------------------------------------------------


def _person_flags(area: str | None, props: Mapping[str, Any]) -> tuple:
    roles = props.get("roles") or ()
    hours = props.get("carer_hours")
    return (
        area,
        "carer" in roles or hours not in (None, "none"),
        hours == "50_or_more",
        props.get("disability") in ("limited_a_lot", "limited_a_little"),
        props.get("health") in ("bad", "very_bad"),
        props.get("lonely") == "often_always",
        props.get("age_band") in ("75-84", "85+"),
        props.get("personal_budget") is True,
    )


def person_frame(source: Any) -> pd.DataFrame:
    """One row per person: their ``area`` and a True/False column per measure (no identifiers).

    ``source`` is a GraphStore or a networkx graph; names, ids and locations are never read out.
    """
    if isinstance(source, nx.Graph):
        rows = [_person_flags(d.get("area"), d) for _, d in source.nodes(data=True)
                if d.get("kind") == vocab.PERSON]
    else:
        rows = [_person_flags(n.area, n.props) for n in source.find(vocab.PERSON)]
    frame = pd.DataFrame.from_records(rows, columns=["area", *_PROP_KEYS])
    return frame.astype({k: bool for k in _PROP_KEYS})


def area_frame(source: Any) -> pd.DataFrame:
    """Every Area node as ``area_code``, ``area_name``, ``level``, ``parent``."""
    if isinstance(source, nx.Graph):
        rows = [(i, d.get("name") or i, d.get("level"), d.get("parent"))
                for i, d in source.nodes(data=True) if d.get("kind") == vocab.AREA]
    else:
        rows = [(n.id, n.name or n.id, n.props.get("level"), n.props.get("parent"))
                for n in source.find(vocab.AREA)]
    return pd.DataFrame.from_records(rows, columns=["area_code", "area_name", "level", "parent"])


def roll_up(areas: pd.DataFrame, level: str) -> dict[str, str]:
    """Map every area code to the code of the area at ``level`` that holds it (or itself).

    Follows Area nodes' ``parent`` links (LSOA -> ward -> borough); areas with no ancestor at
    that level are left out.
    """
    level_of = dict(zip(areas["area_code"], areas["level"], strict=True))
    parent_of = dict(zip(areas["area_code"], areas["parent"], strict=True))
    result: dict[str, str] = {}
    for code in level_of:
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current not in seen:
            if level_of.get(current) == level:
                result[code] = current
                break
            seen.add(current)
            current = parent_of.get(current)
    return result


def raw_counts(people: pd.DataFrame) -> pd.DataFrame:
    """Raw counts per person ``area`` (the smallest area): ``people`` and one column per
    True/False measure column present. An aggregate: it holds no one's record."""
    flags = [k for k in _FLAG_KEYS if k in people.columns]
    known = people.dropna(subset=["area"])
    grouped = known.groupby("area")[flags].sum().astype(int)
    grouped.insert(0, "people", known.groupby("area").size())
    grouped.attrs["unknown_area"] = int(len(people) - len(known))
    return grouped


def isolation_counts(isolated: pd.DataFrame) -> pd.DataFrame:
    """Raw counts per area of the structural isolation levels from
    :func:`assetmap.graph.analysis.isolation.isolated_people` (needs its ``area`` and ``level``)."""
    from assetmap.graph.analysis import circles

    flags = pd.DataFrame({
        "area": isolated["area"].to_numpy(),
        "no_community_ties": isolated["level"].isin(
            [circles.ISOLATED, circles.SERVICE_ONLY]).to_numpy(),
        "isolated": (isolated["level"] == circles.ISOLATED).to_numpy(),
        "at_risk": (isolated["level"] == circles.AT_RISK).to_numpy(),
    })
    return raw_counts(flags).drop(columns="people")


def counts_at_level(raw: pd.DataFrame, areas: pd.DataFrame, level: str = "ward",
                    conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Roll :func:`raw_counts` up to every area of ``level`` and add published columns.

    For each measure ``m`` present: ``m`` (raw count, for use inside the app only),
    ``m_published`` (text: "0", "<8", "25") and ``m_masked`` (a number for colouring; NaN
    where suppressed). ``attrs["unplaced"]`` counts people in no area of that level.
    """
    conf = conf or _settings.load()
    ancestor = roll_up(areas, level)
    target = areas.loc[areas["level"] == level, ["area_code", "area_name"]]
    keys = [k for k in MEASURES if k in raw.columns]
    mapped = raw.index.to_series().map(ancestor)
    placed = raw[mapped.notna().to_numpy()]
    grouped = placed.groupby(mapped.dropna().to_numpy())[keys].sum()
    out = target.merge(grouped, how="left", left_on="area_code", right_index=True)
    for key in keys:
        counts = out[key].fillna(0).astype(int)
        out[key] = counts
        out[f"{key}_published"] = counts.map(lambda n: privacy.publish_count(n, conf))
        out[f"{key}_masked"] = counts.map(lambda n: privacy.masked_count(n, conf)).astype(float)
    out = out.sort_values("area_code").reset_index(drop=True)
    total = int(raw["people"].sum()) if "people" in raw.columns else 0
    placed_people = int(placed["people"].sum()) if "people" in placed.columns else 0
    out.attrs["unplaced"] = total - placed_people + int(raw.attrs.get("unknown_area", 0))
    out.attrs["level"] = level
    return out


def count_people(people: pd.DataFrame, areas: pd.DataFrame, level: str = "ward",
                 conf: _settings.Settings | None = None) -> pd.DataFrame:
    """Raw and published counts per area of ``level`` from a :func:`person_frame`
    (:func:`raw_counts` then :func:`counts_at_level`)."""
    return counts_at_level(raw_counts(people), areas, level, conf)


def available_measures(areas: pd.DataFrame) -> list[str]:
    """The measures an area frame holds, in menu order."""
    return [k for k in MEASURES if f"{k}_published" in areas.columns]


def _default_boundaries(level: str) -> gpd.GeoDataFrame | None:
    from assetmap.demo import trafford

    try:
        return trafford.boundaries(level)
    except ValueError:
        return None


def people_by_area(source: Any, level: str = "ward", *,
                   extra: pd.DataFrame | None = None,
                   boundaries: gpd.GeoDataFrame | None = None,
                   conf: _settings.Settings | None = None) -> gpd.GeoDataFrame:
    """People per area of ``level`` (see :func:`counts_at_level`) with each area's boundary.

    ``source`` is a GraphStore or a networkx graph. ``extra`` adds raw counts per smallest
    area from elsewhere (e.g. :func:`isolation_counts`). Boundaries default to Trafford's
    (:func:`assetmap.demo.trafford.boundaries`); areas with no boundary get no geometry.
    """
    areas = area_frame(source)
    raw = raw_counts(person_frame(source))
    if extra is not None:
        unknown = raw.attrs.get("unknown_area", 0)
        extra = extra.drop(columns=[c for c in extra.columns if c in raw.columns])
        raw = raw.join(extra, how="outer").fillna(0).astype(int)
        raw.attrs["unknown_area"] = unknown
    counts = counts_at_level(raw, areas, level, conf)
    if boundaries is None:
        boundaries = _default_boundaries(level)
    if boundaries is None:
        geometry = gpd.GeoSeries([None] * len(counts), crs="EPSG:4326")
        return gpd.GeoDataFrame(counts, geometry=geometry, crs="EPSG:4326")
    shapes = boundaries[["area_code", "geometry"]].to_crs("EPSG:4326")
    merged = counts.merge(shapes, how="left", on="area_code")
    gdf = gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")
    gdf.attrs.update(counts.attrs)
    return gdf


def published_table(areas: pd.DataFrame, measures: Sequence[str] | None = None) -> pd.DataFrame:
    """The counts that may leave the app: area code and name and one published column per
    measure (text such as "<8" or "25"), headed by the measure's label. No raw counts."""
    keys = list(measures or available_measures(areas))
    table = areas[["area_code", "area_name"]].copy()
    for key in keys:
        table[MEASURES[key].label] = areas[f"{key}_published"].to_numpy()
    return table.rename(columns={"area_code": "Area code", "area_name": "Area"})


def _number(published: str) -> str:
    return f"{int(published):,}" if published.isdigit() else published


def share_of_people(areas: pd.DataFrame, measure: str) -> pd.Series:
    """The measure as a percentage of the area's people, from published (rounded) counts only;
    NaN where either count is suppressed or the area has no one."""
    people = areas["people_masked"].where(areas["people_masked"] > 0)
    return (100.0 * areas[f"{measure}_masked"] / people).round(1)


def summary_text(areas: pd.DataFrame, measure: str, place: str = "",
                 share: bool = False) -> str:
    """A text alternative to the map, from published counts only ("Highest: Sale Central, 120
    unpaid carers; ..."); with ``share``, ranked by the percentage of the area's people."""
    noun = MEASURES[measure].noun
    shown = areas.assign(_share=share_of_people(areas, measure))
    shown = shown.dropna(subset=[f"{measure}_masked"])
    shown = shown[shown[f"{measure}_masked"] > 0]
    suppressed = int(areas[f"{measure}_masked"].isna().sum())
    suffix = f" {place}" if place else ""
    key = "_share" if share else f"{measure}_masked"
    if shown.empty:
        text = f"No{suffix} area has 8 or more {noun} to show."
    else:
        ordered = shown.sort_values([key, "area_name"], ascending=[False, True])
        top, low = ordered.iloc[0], ordered.iloc[-1]

        def amount(row: pd.Series) -> str:
            count = _number(row[f"{measure}_published"])
            return f"{row['_share']:g}% ({count} {noun})" if share else count

        text = (f"Highest{' share' if share else ''}: {top['area_name']}{suffix}, about "
                f"{amount(top)}{'' if share else ' ' + noun}.")
        if len(ordered) > 1:
            text += f" Lowest shown: {low['area_name']}{suffix}, about {amount(low)}."
    if suppressed:
        text += (f" {suppressed} area{'s' if suppressed != 1 else ''} with fewer than 8 "
                 f"{'are' if suppressed != 1 else 'is'} not shown.")
    return text


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


def asset_popup(row: Mapping[str, Any]) -> str:
    """A popup for one asset: name, what, when, where, cost, access, contact. Every value from
    the data is HTML-escaped, so a name such as ``<img onerror=…>`` shows as text."""
    esc = html.escape
    parts = [f"<b>{esc(_text(row.get('name')) or 'Unnamed')}</b>"]
    parts.append(f"<i>{esc(_text(row.get('layer')))}</i>")
    status = _text(row.get("status"))
    if status and status != "active":
        parts.append(f"<span style='color:#b00020'>Status: {esc(status.replace('_', ' '))}"
                     "</span>")
    if row.get("user_led") is True:
        parts.append("User-led")
    about = _text(row.get("description")).strip()
    if len(about) > _DESCRIPTION_CHARS:
        about = about[:_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    lines = (
        ("About", about),
        ("What", _words(row.get("activities"))),
        ("Helps with", _words(row.get("needs"))),
        ("When", _text(row.get("opening_times")) or _text(row.get("schedule"))),
        ("Where", ", ".join(t for t in (_text(row.get("address")),
                                        _text(row.get("postcode"))) if t)),
        ("Cost", _words(row.get("cost"))),
        ("Access", _words(row.get("access"))),
        ("How to refer", _text(row.get("referral"))),
    )
    for label, value in lines:
        if value:
            parts.append(f"<b>{label}:</b> {esc(value)}")
    website = _text(row.get("website")).strip()
    if website:
        if website.lower().startswith(("http://", "https://")):
            parts.append(f"<a href=\"{esc(website, quote=True)}\" target=\"_blank\" "
                         f"rel=\"noopener noreferrer\">{esc(website)}</a>")
        else:
            parts.append(esc(website))
    phone = _text(row.get("telephone")).strip()
    if phone:
        parts.append(f"<b>Tel:</b> {esc(phone)}")
    email = _text(row.get("email")).strip()
    if email:
        parts.append(f"<b>Email:</b> {esc(email)}")
    source = _text(row.get("source")).strip()
    if source:
        parts.append(f"<small style='color:#666'>Source: {esc(source)}</small>")
    return "<div style='min-width:200px;max-width:300px'>" + "<br>".join(parts) + "</div>"


# --- the map --------------------------------------------------------------------------------


class _MapNote(MacroElement):
    """Adds text to the map's attribution box and a small legend note (HTML given pre-escaped)."""

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


class _Legend(JSCSSMixin):
    """Branca's colour-scale legend with d3 loaded from ``d3_url``.

    Deliberately not a ColorMap: streamlit-folium adds hard-coded CDN copies of d3 for every
    ColorMap it finds, which an offline browser cannot fetch (and then draws no map at all).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.colormap._template.module.script(this.colormap, kwargs) }}
        {% endmacro %}
    """)

    def __init__(self, colormap: cm.ColorMap, d3_url: str):
        super().__init__()
        self._name = "Legend"
        self.colormap = colormap
        self.default_js = [(LOCAL_D3[0], d3_url)]

    def render(self, **kwargs: Any) -> None:
        """Render the colormap on the map, then point its d3 link at ``d3_url``."""
        self.colormap._parent = self._parent
        self.colormap.render(**kwargs)
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)


#: What streamlit-folium (0.27) loads, whatever the map says, for each branca ColorMap in it.
_STREAMLIT_FOLIUM_D3: tuple[str, ...] = (
    "https://d3js.org/d3.v4.min.js", "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
)


def local_assets_url(base_url_path: str = "") -> str:
    """The URL path the app serves :data:`VENDOR_DIR` at (Streamlit's static serving), under the
    server's ``server.baseUrlPath``; absolute, as the map runs in a component frame."""
    prefix = base_url_path.strip("/")
    return f"/{prefix}/app/static/vendor" if prefix else "/app/static/vendor"


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
    colours = list(reversed(cm.linear.viridis.colors))
    ticks = sorted({vmin, (vmin + vmax) / 2, vmax})
    return cm.LinearColormap(colours, vmin=vmin, vmax=vmax, caption=caption,
                             tick_labels=[round(t) for t in ticks])


def _area_features(areas: gpd.GeoDataFrame, measure: str, share: bool) -> dict:
    label = MEASURES[measure].label
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
        features.append({
            "type": "Feature",
            "geometry": geometry.__geo_interface__,
            "properties": {
                "area_code": html.escape(str(row.area_code)),
                "tooltip": tooltip,
                "value": None if pd.isna(masked) else float(masked),
            },
        })
    return {"type": "FeatureCollection", "features": features}


def _asset_features(assets: pd.DataFrame) -> dict:
    features = []
    for row in assets.to_dict("records"):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]},
            "properties": {
                "name": html.escape(_text(row.get("name")) or "Unnamed"),
                "popup": asset_popup(row),
            },
        })
    return {"type": "FeatureCollection", "features": features}


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
    if attribution is None:
        from assetmap.demo import trafford

        attribution = trafford.ATTRIBUTION
    fmap = folium.Map(tiles=None, prefer_canvas=True, height=height, control_scale=True,
                      zoom_start=12, zoom_snap=0.25)
    base = assets_base.rstrip("/") if assets_base is not None else None
    if base is not None:
        # Instance attributes: folium's class-level lists (shared by every map) stay as they are.
        fmap.default_js = [(name, f"{base}/{path}") for name, path in LOCAL_JS]
        fmap.default_css = [(name, f"{base}/{path}") for name, path in LOCAL_CSS]
    if tiles:
        folium.TileLayer(tiles, name="Street map", control=False).add_to(fmap)
    label = MEASURES[measure].label
    share = share and measure != "people"
    if share:
        colormap = _colormap(share_of_people(areas, measure), f"{label}, % of people")
    else:
        colormap = _colormap(areas[f"{measure}_masked"], f"{label} per area (rounded to 5)")
    data = _area_features(areas, measure, share)

    def style(feature: dict) -> dict:
        value = feature["properties"]["value"]
        fill = _SUPPRESSED_FILL if value is None else colormap(value)
        return {"fillColor": fill, "fillOpacity": 0.7, "color": "#444444", "weight": 1,
                "dashArray": "4 3" if value is None else None}

    choropleth = folium.GeoJson(
        data, name=html.escape(label), style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        control=True,
    )
    choropleth.add_to(fmap)
    if base is None:
        colormap.add_to(fmap)
    else:
        _Legend(colormap, f"{base}/{LOCAL_D3[1]}").add_to(fmap)
    if assets is not None and not assets.empty:
        wanted = list(layers) if layers is not None else sorted(assets["layer"].unique())
        for i, layer in enumerate(wanted):
            subset = assets[assets["layer"] == layer]
            if subset.empty:
                continue
            colour = _LAYER_COLOURS[i % len(_LAYER_COLOURS)]
            name = (f"<span style='color:{colour}'>&#9679;</span> {html.escape(layer)} "
                    f"({len(subset)})")
            folium.GeoJson(
                _asset_features(subset), name=name,
                marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.9),
                style_function=lambda _f, c=colour: {"color": "#222222", "fillColor": c},
                tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
                popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
            ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    # A tile layer brings its own credit (OpenStreetMap's); the data's credit is added here.
    sources = html.escape(attribution)
    note = (f"<span style='display:inline-block;width:12px;height:12px;"
            f"background:{_SUPPRESSED_FILL};border:1px dashed #444'></span> "
            "fewer than 8 (not shown)")
    _MapNote(sources, note, "#ffffff" if tiles is None else "#dddddd").add_to(fmap)
    bounded = areas[areas.geometry.notna()] if "geometry" in areas else areas.iloc[0:0]
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
