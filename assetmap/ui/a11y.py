"""Accessibility fixes the app applies on every page (WCAG 2.2 AA; checked by axe-core in the
browser tests): Streamlit's captions are drawn at 60% of the text colour (about 3.9:1 on white,
under the 4.5:1 AA needs), so they are drawn at 85% here, which holds in light and dark themes;
date fields' day/month/year parts are at least 24 px (WCAG 2.2 target size);
labels of switched-off controls keep the text colour (Streamlit greys them to about 2.3:1);
static tables wrap their cells instead of scrolling sideways (a scrolling region must be
keyboard-reachable, and at 390 px wide the page must not scroll sideways)."""

from __future__ import annotations

from typing import Any

import streamlit as st

CSS = """<style>
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.85; }
[data-testid="stCaptionContainer"] * { color: inherit !important; }
[data-testid="stWidgetLabel"] p { color: inherit; }
[data-testid="stRadio"] p, [data-testid="stCheckbox"] p, [data-testid="stToggle"] p,
[data-testid="stWidgetLabel"] { color: inherit !important; }
[data-testid="stTable"] > div { overflow: visible !important; }
[role="spinbutton"] { display: inline-flex; min-width: 24px; min-height: 24px;
  align-items: center; justify-content: center; }
[data-testid="stTable"] th, [data-testid="stTable"] td {
  white-space: normal !important; overflow-wrap: anywhere; }
</style>"""


def apply() -> None:
    """Add the app's accessibility style sheet to the page (takes no space)."""
    st.html(CSS)


def described(chart: Any, text: str) -> Any:
    """An Altair chart with a text description: Vega gives the drawn chart that text as its
    accessible name (``aria-label``), so a screen reader hears what the chart shows (axe-core's
    ``svg-img-alt``), and its marks no role of their own; the table beside each chart carries
    the numbers."""

    chart = chart.properties(description=text[:300])  # a copy: the caller's chart is unchanged
    # Marks are hidden from assistive technology (aria-hidden): each mark would otherwise be an
    # unnamed "graphics-symbol"; the chart's description and its table say what they show.
    _hide_marks(chart)
    return chart


def _hide_marks(chart: Any) -> None:
    """Set ``aria: false`` on every mark of an Altair chart (layers and concatenations too)."""
    import altair as alt

    mark: Any = getattr(chart, "mark", alt.Undefined)
    if isinstance(mark, str):
        chart.mark = alt.MarkDef(type=mark, aria=False)  # type: ignore[arg-type]  # a mark name
    elif mark is not alt.Undefined:
        mark["aria"] = False
        for overlay in ("point", "line"):  # a line's points, an area's line: marks of their own
            extra = mark._kwds.get(overlay, alt.Undefined)
            if extra is True:
                mark[overlay] = {"aria": False}
            elif isinstance(extra, dict):
                mark[overlay] = {**extra, "aria": False}
            elif extra not in (alt.Undefined, False, None, "transparent"):
                extra["aria"] = False
    for part in ("layer", "concat", "hconcat", "vconcat"):
        for sub in getattr(chart, part, None) or ():
            _hide_marks(sub)
    spec = getattr(chart, "spec", alt.Undefined)
    if spec is not alt.Undefined and not isinstance(spec, dict):
        _hide_marks(spec)
