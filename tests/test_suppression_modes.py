"""Suppression modes: primary + secondary suppression, or NHS Digital's rounding only."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from assetmap import settings
from assetmap.governance import privacy

SUPPRESS = settings.Settings(suppression="suppress")
ROUND = settings.Settings(suppression="round")


def _table(rows):
    return pd.DataFrame(rows, index=[f"ward {i}" for i in range(len(rows))],
                        columns=["isolated", "at risk", "well connected"])


def test_rounding_only_hides_less_than_secondary_suppression():
    frame = _table([[3, 40, 52], [12, 61, 90]])
    suppressed = privacy.protect_table(frame, conf=SUPPRESS)
    rounded = privacy.protect_table(frame, conf=ROUND)
    assert (suppressed == privacy.SECONDARY_MARK).to_numpy().sum() > 0
    assert (rounded == privacy.SECONDARY_MARK).to_numpy().sum() == 0
    assert rounded.loc["ward 0", "isolated"] == "<8"  # small counts are still never shown
    assert rounded.loc["ward 0", "at risk"] == "40"
    assert rounded.loc["ward 0", privacy.TOTAL_LABEL] == "95"  # 95 true, from true counts
    assert rounded.loc["ward 1", "isolated"] == "10"


def test_rounding_only_never_pins_a_small_cell():
    """Every row [small, b] whose published form matches the one shown could hold at least two
    different small values: a rounded total cannot give a suppressed cell back."""
    def shown(s: int, b: int) -> tuple:
        return tuple(privacy.protect_table(_table([[s, b, 0]]), conf=ROUND).to_numpy().ravel())

    behind: dict[tuple, set[int]] = {}
    for s, b in itertools.product(range(1, 8), range(8, 45)):
        behind.setdefault(shown(s, b), set()).add(s)
    for small, b in itertools.product(range(1, 8), range(8, 40)):
        same = behind[shown(small, b)]
        assert small in same and len(same) >= 2, (small, b, same)


def test_the_setting_switches_the_mode(monkeypatch):
    monkeypatch.setenv("ASSETMAP_SUPPRESSION", "round")
    settings.reset()
    try:
        out = privacy.protect_table(_table([[3, 40, 52]]))
        assert (out == privacy.SECONDARY_MARK).to_numpy().sum() == 0
    finally:
        monkeypatch.delenv("ASSETMAP_SUPPRESSION")
        settings.reset()
    with pytest.raises(Exception, match="suppress or round"):
        settings.Settings(suppression="blur")
