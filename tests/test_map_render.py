"""The maps' fast GeoJSON layer (:class:`assetmap.render.maps.GeoJson`) writes folium's own HTML,
without compiling each layer's data as a Jinja template again (slow, and a ``{{`` in a place's
name would be evaluated)."""

from __future__ import annotations

import re

import folium

from assetmap.render import maps


def _features(name: str) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name, "tip": f"<b>{name}</b>"},
         "geometry": {"type": "Polygon", "coordinates": [[[-2.3, 53.4], [-2.2, 53.4],
                                                          [-2.2, 53.5], [-2.3, 53.4]]]}},
        {"type": "Feature", "properties": {"name": "B", "tip": "b"},
         "geometry": {"type": "Point", "coordinates": [-2.25, 53.45]}}]}


def _html(layer: type, name: str) -> str:
    fmap = folium.Map(tiles=None, location=[53.45, -2.25], zoom_start=12)
    layer(_features(name), name="Layer",
          style_function=lambda _f: {"color": "#222222"},
          marker=folium.CircleMarker(radius=5),
          tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
          popup=folium.GeoJsonPopup(fields=["name"], labels=False)).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return re.sub(r"[0-9a-f]{32}", "ID", fmap.get_root().render())


def test_the_fast_layer_writes_folium_s_html() -> None:
    assert _html(maps.GeoJson, "Walking group") == _html(folium.GeoJson, "Walking group")


def test_a_template_like_name_is_written_as_it_is() -> None:
    page = _html(maps.GeoJson, "{{ 7 * 7 }} club")
    assert "{{ 7 * 7 }} club" in page
    assert "49 club" not in page


def test_the_fast_tooltip_and_popup_write_folium_s_html() -> None:
    def fast(data: dict, **kw: object) -> maps.GeoJson:
        kw["tooltip"] = maps.GeoJsonTooltip(fields=["tip"], labels=False)
        kw["popup"] = maps.GeoJsonPopup(fields=["name"], labels=False)
        return maps.GeoJson(data, **kw)

    assert _html(fast, "Walking group") == _html(folium.GeoJson, "Walking group")


def test_names_in_markers_tooltips_popups_and_credits_are_never_run_as_templates() -> None:
    """folium compiles each marker's output as a Jinja template a second time: a place named
    ``{{ 7*7 }} club`` (or a source credit holding ``{{``) must show as written, never as
    "49 club" (or anything a template could do on the server)."""
    import networkx as nx
    import pandas as pd

    from assetmap.render import network as network_view

    name = "{{ 7*7 }} club {% if true %}yes{% endif %}"
    G = nx.MultiDiGraph()
    G.add_node("group:x", kind="Group", name=name, lat=53.4, lon=-2.3)
    suggestions = pd.DataFrame({"candidate_id": ["group:x"], "name": [name],
                                "reasons": ["{{ 6*7 }} reasons"], "distance": ["1–2 km"]})
    fmap = network_view.suggestions_map(suggestions, G, None)
    maps._MapNote("{{ 5*5 }} credit", "{{ 4*4 }} note").add_to(fmap)
    page = fmap.get_root().render()
    for evaluated in ("49 club", "42 reasons", "25 credit", "16 note"):
        assert evaluated not in page
    # shown as the braces in HTML, the template tags kept as text
    assert "&#123;&#123; 7*7 &#125;&#125; club &#123;% if true %&#125;yes" in page
    assert maps.map_text("<b>{x}</b>") == "&lt;b&gt;&#123;x&#125;&lt;/b&gt;"
