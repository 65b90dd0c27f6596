"""Geography helpers: distances on the sphere, moving a point, and the one postcode normaliser;
nothing about people."""

from __future__ import annotations

import math
import re

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` metres from (lat, lon) along ``bearing`` (radians) on a sphere."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    delta = distance_m / EARTH_RADIUS_M
    phi2 = math.asin(math.sin(phi1) * math.cos(delta)
                     + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
    lam2 = lam1 + math.atan2(math.sin(bearing) * math.sin(delta) * math.cos(phi1),
                             math.cos(delta) - math.sin(phi1) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lam2) + 540.0) % 360.0 - 180.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_km_array(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances in km from one point to many (vectorised haversine)."""
    p1 = np.radians(lat)
    p2 = np.radians(np.asarray(lats, dtype=float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lons, dtype=float) - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M / 1000.0 * np.arcsin(np.minimum(1.0, np.sqrt(a)))


# --- postcodes -----------------------------------------------------------------------------------

#: A UK postcode with its spaces taken out: the outward code (area letters, district digit(s) and
#: an optional letter or digit; or Girobank's ``GIR``) then the inward code (sector digit, two unit
#: letters). The shape only: whether the postcode exists is the postcode lookup's business.
_COMPACT_POSTCODE = re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[0-9][A-Z]{2}")
_WHITESPACE = re.compile(r"\s+")


def normalise_postcode(text: object) -> str | None:
    """A UK postcode in ONS ``pcds`` form (outward code, one space, inward code), or None.

    The one rule the whole package uses: case and whitespace anywhere are ignored ("m331aa",
    " M33  1AA ", "M3 31AA" all give "M33 1AA": the inward code is always the last three
    characters); any other character (a hyphen, a full stop) or a shape that is not a postcode
    gives None, as does anything that is not text (None, a number, a spreadsheet's empty NaN).
    The result normalises to itself.
    """
    if not isinstance(text, str):
        return None
    compact = _WHITESPACE.sub("", text)
    if not compact.isascii():  # before upper(): "ß".upper() is "SS"
        return None
    compact = compact.upper()
    if not _COMPACT_POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"
