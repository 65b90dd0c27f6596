"""Accessibility fixes the app applies on every page (WCAG 2.2 AA; checked by axe-core in the
browser tests): Streamlit's captions are drawn at 60% of the text colour (about 3.9:1 on white,
under the 4.5:1 AA needs), so they are drawn at 85% here, which holds in light and dark themes."""

from __future__ import annotations

from typing import Any

import streamlit as st

CSS = """<style>
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.85; }
[data-testid="stCaptionContainer"] * { color: inherit !important; }
[data-testid="stWidgetLabel"] p { color: inherit; }
</style>"""


def apply() -> None:
    """Add the app's accessibility style sheet to the page (takes no space)."""
    st.html(CSS)


def described(chart: Any, text: str) -> Any:
    """An Altair chart with a text description: Vega gives the drawn chart that text as its
    accessible name (``aria-label``), so a screen reader hears what the chart shows (axe-core's
    ``svg-img-alt``); the table beside each chart carries the numbers."""
    return chart.properties(description=text[:300])
