"""Charts as plain Vega-Lite specifications (dicts): drawn by ``st.vega_lite_chart`` in the app,
by any Vega-Lite renderer elsewhere, or opened in Altair with ``alt.Chart.from_dict``.

Built as dicts rather than Altair objects because a person's timeline is drawn again after
every save on their page, and building and validating an Altair chart took a quarter of a
second of each save (issue 14); the spec here is the one Altair made, written out.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

#: Vega-Lite's schema the specs here follow.
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: One fixed colour per kind of event, so the score lines keep the colour scale.
EVENT_COLOURS: dict[str, str] = {"referral": "#b35806", "joined": "#542788"}


def _values(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready records (dates as ISO text, missing values as null)."""
    return json.loads(frame.to_json(orient="records", date_format="iso")) if len(frame) else []


def _mark(kind: str, **options: Any) -> dict[str, Any]:
    # marks are hidden from assistive technology: the chart's description and the tables
    # beside it say what it shows (axe-core's svg-img-alt)
    return {"type": kind, "aria": False, **options}


def _field(name: str, kind: str, **options: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **options}


def timeline_spec(timeline: dict[str, pd.DataFrame], description: str = "") -> dict[str, Any]:
    """A person's timeline (:func:`assetmap.graph.analysis.outcomes.person_timeline`) as one
    chart: community ties and level above, scores (as % of their range, higher is better)
    below, sharing the time axis, with referrals and joinings marked by dashed rules."""
    net, scores, events = timeline["network"], timeline["scores"], timeline["events"]
    net = net.assign(level_label=net["level"].where(net["level"].ne(net["level"].shift()), ""))
    x = _field("date", "temporal", title="Date", axis={"format": "%b %Y"})
    event_rows = _values(events)

    def rules(event: str) -> dict[str, Any]:
        return {"data": {"values": [r for r in event_rows if r.get("event") == event]},
                "mark": _mark("rule", color=EVENT_COLOURS[event], strokeDash=[4, 3]),
                "encoding": {"x": _field("date", "temporal"),
                             "tooltip": [_field("date", "temporal"), _field("event", "nominal"),
                                         _field("name", "nominal"),
                                         _field("status", "nominal")]}}

    net_values = {"values": _values(net)}
    top = {"title": "Community ties and level (dashed: referral orange, joined purple)",
           "height": 170,
           "layer": [
               {"data": net_values,
                "mark": _mark("line", interpolate="step-after", point={"aria": False},
                              color="#1b7837"),
                "encoding": {"x": x, "y": _field("community_ties", "quantitative",
                                                 title="Community ties",
                                                 axis={"tickMinStep": 1}),
                             "tooltip": [_field("date", "temporal"),
                                         _field("community_ties", "quantitative"),
                                         _field("level", "nominal")]}},
               {"data": net_values,
                "mark": _mark("text", dy=-12, fontSize=11, color="#444"),
                "encoding": {"x": x, "y": _field("community_ties", "quantitative"),
                             "text": _field("level_label", "nominal")}},
               rules("referral"), rules("joined")]}
    bottom = {"title": "Scores", "height": 200,
              "layer": [
                  {"data": {"values": _values(scores)},
                   "mark": _mark("line", point={"aria": False}),
                   "encoding": {
                       "x": x,
                       "y": _field("share", "quantitative",
                                   title="Score (% of range, higher is better)",
                                   scale={"domain": [0, 100]}),
                       "color": _field("label", "nominal", title="Score",
                                       legend={"orient": "bottom", "columns": 2,
                                               "labelLimit": 320}),
                       "tooltip": [_field("date", "temporal"), _field("label", "nominal"),
                                   _field("value", "quantitative"),
                                   _field("share", "quantitative")]}},
                  rules("referral"), rules("joined")]}
    spec: dict[str, Any] = {"$schema": SCHEMA, "vconcat": [top, bottom],
                            "resolve": {"scale": {"x": "shared", "color": "independent"}}}
    if description:
        spec["description"] = description[:300]
    return spec
