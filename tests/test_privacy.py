"""The privacy rules: small-number suppression, donut masking, consent."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetmap.geo import haversine_m
from assetmap.governance import privacy
from assetmap.settings import Settings

CONF = Settings()


@given(st.integers(min_value=0, max_value=10_000_000))
def test_no_published_count_is_a_small_number(n):
    shown = privacy.publish_count(n, CONF)
    if n == 0:
        assert shown == "0"
    elif n < CONF.suppress_below:
        assert shown == f"<{CONF.suppress_below}"
    else:
        value = int(shown)
        assert value >= CONF.suppress_below
        assert value % CONF.round_to == 0 or value == CONF.suppress_below
        assert abs(value - n) <= CONF.round_to


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=1, max_value=10),
       st.integers(min_value=0, max_value=100_000))
def test_suppression_follows_the_settings(threshold, step, n):
    conf = Settings(suppress_below=threshold, round_to=step)
    shown = privacy.publish_count(n, conf)
    masked = privacy.masked_count(n, conf)
    if 0 < n < threshold:
        assert shown == f"<{threshold}" and masked is None
    else:
        assert int(shown) == masked
        assert not 0 < masked < threshold


def test_suppress_counts_series():
    out = privacy.suppress_counts(pd.Series([0, 1, 7, 8, 12, 13, 101]), CONF)
    assert out.tolist() == ["0", "<8", "<8", "10", "10", "15", "100"]


def test_negative_count_is_an_error():
    with pytest.raises(ValueError):
        privacy.publish_count(-1, CONF)


def test_masked_points_lie_in_the_ring():
    rng = random.Random(7)
    home = (53.4155, -2.3290)
    distances = []
    for _ in range(10_000):
        lat, lon = privacy.mask_point(*home, rng=rng, conf=CONF)
        distances.append(haversine_m(*home, lat, lon))
    assert min(distances) >= CONF.mask_min_m - 0.5
    assert max(distances) <= CONF.mask_max_m + 0.5
    # spread over the ring, not bunched at one radius
    assert max(distances) - min(distances) > 0.8 * (CONF.mask_max_m - CONF.mask_min_m)


def test_mask_is_not_deterministic_without_a_seed():
    a = privacy.mask_point(53.4, -2.3, conf=CONF)
    b = privacy.mask_point(53.4, -2.3, conf=CONF)
    assert a != b


def test_consent_is_opt_in():
    assert privacy.has_consent({"consent": {"map": True}}, "map")
    assert not privacy.has_consent({"consent": {"map": False}}, "map")
    assert not privacy.has_consent({}, "suggest")
    assert not privacy.has_consent({"consent": {"map": "yes"}}, "map")
    with pytest.raises(ValueError):
        privacy.has_consent({}, "sell")


def test_public_props_drop_identifiers():
    props = {"postcode": "M1 1AA", "name": "x", "interests": ["walking"], "lat": 1.0}
    assert privacy.public_props(props) == {"interests": ["walking"]}
