"""Every privacy rule in one place: consent, location masking and small-number suppression.

Everything that leaves assetmap (pages, downloads, exports) goes through these functions:
- a person without consent for a use is left out of it and counted only in aggregates;
- a person's home is never drawn or exported exactly: only their area, or a donut-masked point;
- area counts from 1 to ``suppress_below - 1`` are published as "<N", others rounded (NHS Digital).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

import pandas as pd

from assetmap import settings as _settings
from assetmap import vocab
from assetmap.geo import destination


def has_consent(props: Mapping[str, Any], use: str) -> bool:
    """Whether a person's record may be used for ``use`` ("suggest" or "map").

    Consent is opt-in: a person with no recorded consent for a use is left out of it.
    """
    if use not in vocab.CONSENT_USES:
        raise ValueError(f"consent use {use!r} is not one of {', '.join(vocab.CONSENT_USES)}")
    consent = props.get("consent") or {}
    return consent.get(use) is True


def publish_count(n: int, conf: _settings.Settings | None = None) -> str:
    """One area count as it may be shown: 0, "<8" for 1-7, otherwise rounded to the nearest 5."""
    conf = conf or _settings.load()
    n = int(n)
    if n < 0:
        raise ValueError("a count cannot be negative")
    if n == 0:
        return "0"
    if n < conf.suppress_below:
        return f"<{conf.suppress_below}"
    return str(round_count(n, conf))


def round_count(n: int, conf: _settings.Settings | None = None) -> int:
    """A count at or above the threshold, rounded to the nearest multiple of ``round_to``.

    Never rounds below the threshold, so a published number is never in [1, threshold - 1].
    """
    conf = conf or _settings.load()
    step = max(1, conf.round_to)
    rounded = int(math.floor(n / step + 0.5) * step)
    return max(rounded, conf.suppress_below)


def masked_count(n: int, conf: _settings.Settings | None = None) -> int | None:
    """A count for colouring a map: None (suppressed) for 1..threshold-1, else rounded."""
    conf = conf or _settings.load()
    n = int(n)
    if n == 0:
        return 0
    if n < conf.suppress_below:
        return None
    return round_count(n, conf)


def suppress_counts(counts: pd.Series, conf: _settings.Settings | None = None) -> pd.Series:
    """A Series of area counts as they may be published (strings: "0", "<8", "25"...)."""
    conf = conf or _settings.load()
    return counts.fillna(0).astype(int).map(lambda n: publish_count(n, conf))


def mask_point(lat: float, lon: float, rng: random.Random | None = None,
               conf: _settings.Settings | None = None) -> tuple[float, float]:
    """Donut masking: move a point a random distance in [min, max] metres in a random direction.

    The displaced point is never closer than ``mask_min_m`` to the home, so the home cannot be
    recovered by "the nearest house", and never further than ``mask_max_m``, so it stays useful.
    """
    conf = conf or _settings.load()
    rng = rng or random.SystemRandom()
    # Uniform over the ring's area, not its radius, so points do not crowd the inner edge.
    r_min, r_max = conf.mask_min_m, conf.mask_max_m
    distance = math.sqrt(rng.uniform(r_min * r_min, r_max * r_max))
    bearing = rng.uniform(0.0, 2.0 * math.pi)
    return destination(lat, lon, bearing, distance)


#: Person props that are never shown on shared maps or in area exports.
PERSONAL_FIELDS: frozenset[str] = frozenset(
    {"postcode", "lat", "lon", "name", "date_of_birth", "address", "telephone", "email",
     "nhs_number"}
)


def public_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """A person's props with direct identifiers removed (for aggregate work, not display)."""
    return {k: v for k, v in props.items() if k not in PERSONAL_FIELDS}
