"""The directory: find groups and places to go by need, interest or activity, near a postcode or
place, on a day and time of day, free or low cost, step-free, open this week — no person record.

:func:`find_assets` answers a link worker's question ("a walking group near M33 7AA on a Tuesday
morning, free, step-free") as one row per *place*, nearest first: a venue with several sessions
is one place with its sessions. Each result says when, cost, access and contact, and how far in a
band ("1–2 km", :func:`assetmap.governance.privacy.distance_band`), never an exact distance.
Records nobody can attend (a register entry with no activity, no location, or no time to go) are
left out unless asked for. :func:`directory_html` makes the printable list to give the person.
The page, the CLI (``assetmap find``) and the tests all call these.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from assetmap import vocab
from assetmap.errors import ValidationError
from assetmap.geo import haversine_km_array
from assetmap.governance.privacy import distance_band
from assetmap.graph.store import GraphStore
from assetmap.model import Node

#: Columns of :func:`find_assets`, in order.
COLUMNS: list[str] = ["rank", "place_id", "place", "kind", "what", "sessions", "when", "cost",
                      "access", "contact", "address", "distance_band", "lat", "lon",
                      "session_ids", "rating", "rating_mean"]
#: Columns a person reads (the printable list, ``assetmap find``'s table and CSV).
PRINTED: list[str] = ["rank", "place", "what", "when", "cost", "access", "rating", "contact",
                      "address", "distance_band"]
#: How results may be ordered: nearest first (when a place is given), or best rated first.
SORTS: tuple[str, ...] = ("distance", "rating")

DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                         "sunday")
#: Time of day -> [start, end) hours.
TIMES_OF_DAY: dict[str, tuple[int, int]] = {"morning": (5, 12), "afternoon": (12, 17),
                                            "evening": (17, 24)}
#: Organisation kinds that are entries in a register (a charity's registration) rather than
#: somewhere to go: left out unless they say when they meet or open.
REGISTER_KINDS: frozenset[str] = frozenset({"charity", "care_home"})
NO_TIME = "no regular time listed — ask"

_DAY_WORDS: dict[str, int] = {}
for _i, _d in enumerate(DAYS):
    for _w in (_d, _d + "s", _d[:3], _d[:3] + "s"):
        _DAY_WORDS[_w] = _i
_DAY_WORDS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
_DAY_RE = re.compile(r"\b(" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + r")\b")
_RANGE_RE = re.compile(r"\b(" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
                       + r")\s*(?:-|–|to)\s*(" + "|".join(sorted(_DAY_WORDS, key=len,
                                                                    reverse=True)) + r")\b")
_TIME_RE = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|noon)?(?![\d:])")
_ORDINAL_RE = re.compile(r"\b(1st|2nd|3rd|4th|first|second|third|fourth|last)\s+("
                         + "|".join(DAYS) + r")\b")
_ORDINALS = {"1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3, "4th": 4,
             "fourth": 4, "last": -1}


@dataclass(frozen=True)
class Session:
    """One regular meeting or opening parsed from a "when" text: its weekdays (0 = Monday),
    hour ranges (start, end; end may equal start when only a start is given) and how often."""

    days: frozenset[int]
    hours: tuple[tuple[float, float], ...] = ()
    frequency: str = "weekly"  # weekly / fortnightly / monthly
    ordinal: int | None = None  # for monthly: 1..4, or -1 for the last
    text: str = field(default="", compare=False)


def _times(text: str) -> list[tuple[float, float]]:
    tokens: list[list[Any]] = []  # [hour, suffix, start, end]
    for m in _TIME_RE.finditer(text):
        hour, minutes, suffix = int(m.group(1)), m.group(2), m.group(3)
        after = text[m.end():m.end() + 3]
        if suffix is None and minutes is None and not re.match(r"\s*[-–]", after):
            continue  # a bare number ("3rd", "10 people") is not a time
        if hour > 24:
            continue
        tokens.append([hour + (int(minutes) / 60 if minutes else 0.0), suffix, m.start(), m.end()])
    # A bare start takes the suffix of the end it runs to ("2 - 4.30pm").
    for i, tok in enumerate(tokens):
        if tok[1] is None and i + 1 < len(tokens) and tokens[i + 1][1] in {"am", "pm"}:
            between = text[tok[3]:tokens[i + 1][2]]
            if re.fullmatch(r"\s*[-–]\s*", between):
                later = tokens[i + 1][0]
                tok[1] = tokens[i + 1][1] if tok[0] <= later % 12 or later < 12 else "am"
    hours = []
    for h, suffix, *_ in tokens:
        if suffix == "pm" and h < 12:
            h += 12
        elif suffix == "am" and h >= 12:
            h -= 12
        elif suffix == "noon":
            h = 12.0
        hours.append(h)
    ranges = []
    i = 0
    while i < len(hours):
        start = hours[i]
        if i + 1 < len(tokens) and re.fullmatch(r"\s*[-–]\s*|\s*to\s*",
                                                text[tokens[i][3]:tokens[i + 1][2]]):
            ranges.append((start, hours[i + 1]))
            i += 2
        else:
            ranges.append((start, start))
            i += 1
    return ranges


def _days(text: str) -> set[int]:
    days: set[int] = set()
    for m in _RANGE_RE.finditer(text):
        a, b = _DAY_WORDS[m.group(1)], _DAY_WORDS[m.group(2)]
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    days.update(_DAY_WORDS[m.group(1)] for m in _DAY_RE.finditer(text))
    if re.search(r"\b(daily|every day|7 days|seven days)\b", text):
        days.update(range(7))
    if re.search(r"\bweekdays?\b", text):
        days.update(range(5))
    if re.search(r"\bweekends?\b", text):
        days.update({5, 6})
    return days


def parse_when(text: str | None) -> list[Session]:
    """The regular sessions a "when" text describes ("Tuesdays 19:00, weekly", "Mon-Fri
    9am-5pm", "First Tuesday of the month, 14:00", "Tues 11am - 2pm, Fri 11.30am -1.30pm");
    days marked closed are dropped. An empty list when no day can be read."""
    if not isinstance(text, str) or not text.strip():
        return []
    low = text.lower().replace("12noon", "12:00").replace("midday", "12:00")
    pieces: list[str] = []
    for part in re.split(r"[;,\n]", low):
        if pieces and not _days(part):
            pieces[-1] += " " + part  # "weekly" or "14:00" belongs to the piece before it
        else:
            pieces.append(part)
    sessions = []
    for piece in pieces:
        if "closed" in piece:
            continue
        days = _days(piece)
        if not days:
            continue
        freq, ordinal = "weekly", None
        if m := _ORDINAL_RE.search(piece):
            freq, ordinal = "monthly", _ORDINALS[m.group(1)]
        elif re.search(r"\bevery other\b|\bfortnightly\b|\balternate\b", piece):
            freq = "fortnightly"
        elif re.search(r"\bmonthly\b|\bof the month\b|\bof each month\b", piece):
            freq = "monthly"
        sessions.append(Session(frozenset(days), tuple(_times(piece)), freq, ordinal,
                                text=piece.strip()))
    return sessions


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> _dt.date:
    if ordinal == -1:
        nxt = _dt.date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - _dt.timedelta(days=1)
        return last - _dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = _dt.date(year, month, 1)
    return first + _dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


def meets_within_week(sessions: Sequence[Session], today: _dt.date) -> bool:
    """Whether any session falls in the seven days from ``today``: weekly ones always; a
    monthly "first Tuesday" when that date is in the window; a fortnightly one may (counted)."""
    window = [today + _dt.timedelta(days=i) for i in range(7)]
    for s in sessions:
        if s.frequency in {"weekly", "fortnightly"}:
            return True
        if s.frequency == "monthly" and s.ordinal is not None:
            for day in window:
                if day.weekday() in s.days and day == _nth_weekday(day.year, day.month,
                                                                   day.weekday(), s.ordinal):
                    return True
        elif s.frequency == "monthly":
            return True  # "monthly" with no date: it may be this week
    return False


def _matches_when(sessions: Sequence[Session], day: int | None,
                  span: tuple[int, int] | None) -> bool:
    for s in sessions:
        if day is not None and day not in s.days:
            continue
        if span is not None:
            lo, hi = span
            if not s.hours or not any(a < hi and max(b, a + 0.5) > lo for a, b in s.hours):
                continue
        return True
    return False


def _when_text(node: Node) -> str | None:
    for key in ("schedule", "meets", "opening_times"):
        value = node.props.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def can_attend(node: Node) -> bool:
    """Whether someone could go: it has a place (a location), something it does (an activity or
    a need it serves), is not closed, and — for a register entry such as a registered charity —
    a time it meets or opens."""
    p = node.props
    if node.location is None or p.get("status") == "closed":
        return False
    if not (p.get("activities") or p.get("needs")):
        return False
    return not (node.kind == vocab.ORGANISATION and p.get("org_kind") in REGISTER_KINDS
                and _when_text(node) is None)


def _contact(*nodes: Node | None) -> str:
    for node in nodes:
        if node is None:
            continue
        p = node.props
        bits = [str(p[k]).strip() for k in ("telephone", "phone", "email", "website")
                if isinstance(p.get(k), str) and p[k].strip()]
        if bits:
            return " · ".join(bits)
    return "not listed"


def _address(*nodes: Node | None) -> str:
    for node in nodes:
        if node is None:
            continue
        parts = [str(node.props[k]).strip() for k in ("address", "postcode")
                 if isinstance(node.props.get(k), str) and node.props[k].strip()]
        if parts:
            return ", ".join(parts)
    return ""


def _labels(values: Iterable[Any]) -> list[str]:
    return sorted({vocab.label(str(v)) for v in values if v})


# --- where "near" is ---------------------------------------------------------------------------

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def _mean_point(nodes: Iterable[Node]) -> tuple[float, float] | None:
    pts = [n.location for n in nodes if n.location is not None]
    if not pts:
        return None
    return float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts]))


def _store_postcode(store: GraphStore, postcode: str) -> tuple[float, float] | None:
    """The point of a postcode from the lookup the store keeps (``import postcodes``): the
    postcode itself, else the mean of its sector ("M33 7"); None when the store keeps none."""
    lookup = getattr(store, "postcodes", None)
    if not callable(lookup):
        return None
    try:
        rows = [r for r in lookup(outward=postcode.split(" ")[0])
                if r[1] is not None and r[2] is not None]
    except Exception:  # a store without a kept lookup: fall back to what it holds
        return None
    for r in rows:
        if r[0] == postcode:
            return float(r[1]), float(r[2])
    sector = [r for r in rows if str(r[0]).startswith(postcode[:-2]) and not r[5]]
    if sector:
        return (float(np.mean([r[1] for r in sector])), float(np.mean([r[2] for r in sector])))
    return None


def locate(store: GraphStore, near: str | tuple[float, float] | None,
           assets: Sequence[Node] | None = None) -> tuple[float, float] | None:
    """Where ``near`` is: "lat,lon" or a (lat, lon) pair; a postcode (the lookup the store keeps,
    exact or its sector; else the public places that share the postcode, its sector or its
    district); or the name of an area or place in the store. Raises ValidationError (one
    sentence) when it cannot be found. People's homes are never used to place a postcode."""
    from assetmap.ingest.postcodes import normalise_postcode

    if near is None or (isinstance(near, str) and not near.strip()):
        return None
    if isinstance(near, tuple | list):
        lat, lon = float(near[0]), float(near[1])
        return lat, lon
    text = near.strip()
    if m := _LATLON.match(text):
        lat, lon = float(m.group(1)), float(m.group(2))
        if abs(lat) > 90 or abs(lon) > 180:
            raise ValidationError(f"{text!r} is not a valid latitude,longitude.", field="near")
        return lat, lon
    postcode = normalise_postcode(text)
    if postcode:
        if (hit := _store_postcode(store, postcode)) is not None:
            return hit
        assets = assets if assets is not None else _asset_nodes(store)
        sector, district = postcode[:-2], postcode.split(" ")[0] + " "
        for prefix in (postcode, sector, district):
            found = _mean_point(a for a in assets
                                if str(a.props.get("postcode") or "").upper().startswith(prefix))
            if found is not None:
                return found
        raise ValidationError(f"The postcode {postcode} is not in this area's data; try a "
                              "nearby place name or another postcode.", field="near")
    key = text.casefold()
    areas = [a for a in store.find(vocab.AREA) if a.name.casefold() == key and a.location]
    if areas:
        return areas[0].location
    assets = assets if assets is not None else _asset_nodes(store)
    named = [a for a in assets if a.name.casefold() == key and a.location]
    if not named:
        named = [a for a in assets if key in a.name.casefold() and a.location]
    if named:
        return _mean_point(named[:1])
    raise ValidationError(f"No postcode, area or place called {text!r} was found.", field="near")


# --- the search ---------------------------------------------------------------------------------

_CACHE: dict[tuple[str, int], list[Node]] = {}


def _asset_nodes(store: GraphStore) -> list[Node]:
    """Every group and organisation (read once per store version)."""
    key = (store.url, store.version())
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = [*store.find(vocab.GROUP), *store.find(vocab.ORGANISATION)]
    return _CACHE[key]


def _day_number(day: str | int | None) -> int | None:
    if day is None or day == "":
        return None
    if isinstance(day, int):
        if 0 <= day <= 6:
            return day
    elif (d := _DAY_WORDS.get(str(day).strip().lower())) is not None:
        return d
    raise ValidationError(f"Day {day!r} is not a day of the week (Monday … Sunday).",
                          field="day")


def _matches_text(node: Node, text: str, wanted: set[str], wanted_needs: set[str]) -> bool:
    p = node.props
    hay = " ".join([node.name, str(p.get("description") or ""),
                    *(vocab.label(str(a)) for a in p.get("activities") or [])]).casefold()
    if text.casefold() in hay:
        return True
    return bool(wanted & set(p.get("activities") or [])) or bool(
        wanted_needs & set(p.get("needs") or []))


def find_assets(store: GraphStore, need: str | None = None, interest: str | None = None,
                activity_text: str | None = None,
                near: str | tuple[float, float] | None = None, within_km: float | None = None,
                day: str | int | None = None, time_of_day: str | None = None,
                free_or_low_cost: bool = False, step_free: bool = False,
                open_this_week: bool = False, *, include_unattendable: bool = False,
                today: _dt.date | None = None, limit: int | None = None,
                min_rating: float | None = None, sort: str = "distance") -> pd.DataFrame:
    """Places to go that match every filter given, one row per place (a venue with its matching
    sessions), nearest first when ``near`` is given (see :data:`COLUMNS`).

    ``need``/``interest`` are vocabulary words or synonyms ("rambling" is walking); an unknown
    word is a ValidationError. ``within_km`` needs ``near``. ``day``/``time_of_day`` keep places
    with a session then; ``open_this_week`` those meeting in the seven days from ``today``.
    ``rating`` is what experts by experience say (the overall mean, shown only for places rated
    by 5 or more: :func:`assetmap.ratings.ratings_summary`); ``min_rating`` keeps places rated at
    least that, ``sort="rating"`` puts the best rated first (unrated last, then nearest).
    """
    if sort not in SORTS:
        raise ValidationError(f"Sort {sort!r} is not one of {', '.join(SORTS)}.", field="sort")
    if min_rating is not None and not 1 <= min_rating <= 5:
        raise ValidationError("The lowest rating must be from 1 to 5.", field="min_rating")
    need_c = vocab.canonical_need(need) if need else None
    if need and need_c is None:
        raise ValidationError(f"Need {need!r} is not one we know (e.g. loneliness, "
                              "mental health, carer support).", field="need")
    interest_c = vocab.canonical_interest(interest) if interest else None
    if interest and interest_c is None:
        raise ValidationError(f"Interest {interest!r} is not one we know (e.g. walking, "
                              "singing, gardening).", field="interest")
    day_n = _day_number(day)
    span = None
    if time_of_day:
        span = TIMES_OF_DAY.get(time_of_day.strip().lower())
        if span is None:
            raise ValidationError(f"Time of day {time_of_day!r} is not one of "
                                  f"{', '.join(TIMES_OF_DAY)}.", field="time_of_day")
    if within_km is not None and (within_km <= 0 or not np.isfinite(within_km)):
        raise ValidationError("The radius must be a positive number of kilometres.",
                              field="within_km")
    if within_km is not None and near is None:
        raise ValidationError("A radius needs a postcode or place to measure from.",
                              field="within_km")
    today = today or _dt.date.today()
    text = (activity_text or "").strip()
    text_interests = vocab.interests_in(text) if text else set()
    text_needs = vocab.needs_in(text) if text else set()

    nodes = _asset_nodes(store)
    by_id = {n.id: n for n in nodes}
    origin = locate(store, near, nodes)
    hits: list[tuple[Node, list[Session]]] = []
    for node in nodes:
        p = node.props
        if p.get("status") == "closed" or node.location is None:
            continue
        if not include_unattendable and not can_attend(node):
            continue
        if need_c and need_c not in (p.get("needs") or []):
            continue
        if interest_c and interest_c not in (p.get("activities") or []):
            continue
        if text and not _matches_text(node, text, text_interests, text_needs):
            continue
        if free_or_low_cost and p.get("cost") not in {"free", "low"}:
            continue
        if step_free and "step_free" not in (p.get("access") or []):
            continue
        sessions = parse_when(_when_text(node))
        if (day_n is not None or span is not None) and not _matches_when(sessions, day_n, span):
            continue
        if open_this_week and not meets_within_week(sessions, today):
            continue
        hits.append((node, sessions))

    # One place per venue: a group meeting at a venue joins the venue's row.
    places: dict[str, list[Node]] = {}
    for node, _ in hits:
        venue = node.props.get("venue")
        key = venue if isinstance(venue, str) and venue in by_id else node.id
        places.setdefault(key, []).append(node)
    rows = []
    for key, members in places.items():
        venue = by_id.get(key)
        anchor = venue if venue is not None and venue.location else members[0]
        visiting = sorted((m for m in members if m.id != key), key=lambda m: m.name)
        own = [m for m in members if m.id == key]
        listed = own + visiting
        whens = []
        for m in listed:
            w = _when_text(m)
            if m.id == key and w is None and visiting:
                continue  # the venue's own "no time listed" says nothing beside its sessions
            whens.append(w or NO_TIME if m.id == key else f"{m.name}: {w or NO_TIME}")
        costs = sorted({str(m.props["cost"]) for m in listed if m.props.get("cost")},
                       key=lambda c: vocab.COSTS.index(c) if c in vocab.COSTS else 9)
        assert anchor.lat is not None and anchor.lon is not None  # only located places are hits
        rows.append({
            "place_id": key,
            "place": anchor.name,
            "kind": str(anchor.props.get("org_kind") or anchor.props.get("group_type")
                        or anchor.kind.lower()).replace("_", " "),
            "what": ", ".join(_labels(a for m in listed for a in m.props.get("activities") or [])
                              or _labels(n for m in listed for n in m.props.get("needs") or [])),
            "sessions": len(listed),
            "when": "; ".join(whens),
            "cost": " / ".join(costs) if costs else "ask",
            "access": ", ".join(_labels(a for m in listed for a in m.props.get("access") or []))
                      or "not listed",
            "contact": _contact(*listed, venue),
            "address": _address(anchor, *listed),
            "lat": float(anchor.lat), "lon": float(anchor.lon),  # public places, drawn as is
            "session_ids": [m.id for m in listed],
        })
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in {
        "rank", "distance_band", "rating", "rating_mean"}])
    frame["rating_mean"] = _place_ratings(store, frame["place_id"].tolist())
    frame["rating"] = [f"{m:.1f} of 5" if m == m else "" for m in frame["rating_mean"]]
    if min_rating is not None:
        frame = frame[frame["rating_mean"] >= min_rating]
    if origin is not None and not frame.empty:
        km = haversine_km_array(origin[0], origin[1], frame["lat"].to_numpy(float),
                                frame["lon"].to_numpy(float))
        frame["_km"] = km
        if within_km is not None:
            frame = frame[frame["_km"] <= within_km]
        frame = frame.sort_values(["_km", "place", "place_id"], kind="stable")
        frame["distance_band"] = frame["_km"].map(distance_band)
        frame = frame.drop(columns="_km")
    else:
        frame = frame.sort_values(["place", "place_id"], kind="stable")
        frame["distance_band"] = "" if origin is None else "distance unknown"
    if sort == "rating":  # best rated first, unrated last; nearest-first order kept within ties
        frame = frame.sort_values("rating_mean", ascending=False, kind="stable",
                                  na_position="last")
    if limit is not None:
        frame = frame.head(limit)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame[COLUMNS]


def _place_ratings(store: GraphStore, place_ids: list[str]) -> list[float]:
    """The published overall rating of each place (NaN where fewer than 5 people rated it)."""
    from assetmap.ratings import ratings_summary

    if not place_ids:
        return []
    summary = ratings_summary(store, place_ids)
    means = dict(zip(summary["asset_id"], summary["overall_mean"], strict=True))
    return [float(means.get(p, float("nan"))) for p in place_ids]


def describe_search(**filters: Any) -> str:
    """The filters of a search as one line a person reads ("walking · near M33 7AA · within
    3 km · Tuesday morning · free or low cost")."""
    bits = []
    for key in ("need", "interest", "activity_text"):
        if filters.get(key):
            bits.append(vocab.label(str(filters[key])))
    if filters.get("near"):
        bits.append(f"near {filters['near']}")
    if filters.get("within_km"):
        bits.append(f"within {filters['within_km']:g} km")
    when = " ".join(str(filters[k]).capitalize() if i == 0 else str(filters[k])
                    for i, k in enumerate(("day", "time_of_day")) if filters.get(k))
    if when:
        bits.append(when)
    for key, words in (("free_or_low_cost", "free or low cost"), ("step_free", "step-free"),
                       ("open_this_week", "open this week")):
        if filters.get(key):
            bits.append(words)
    return " · ".join(bits) or "everything"


def printable(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns a person reads, for a CSV or a table (no ids, no coordinates)."""
    return frame[PRINTED].rename(columns={"rank": "No.", "place": "Place", "what": "What",
                                          "when": "When", "cost": "Cost", "access": "Access",
                                          "rating": "Rated", "contact": "Contact",
                                          "address": "Address", "distance_band": "How far"})


_PRINT_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; color: #111;
       margin: 1.5rem; line-height: 1.45; max-width: 60rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
p.search { margin: 0 0 1rem; color: #333; }
ol { padding-left: 1.5rem; }
li { margin: 0 0 1rem; break-inside: avoid; page-break-inside: avoid; }
li h2 { font-size: 1.1rem; margin: 0; }
dl { display: grid; grid-template-columns: 7rem 1fr; gap: .1rem .75rem; margin: .25rem 0 0; }
dt { font-weight: 600; }
dd { margin: 0; }
footer { margin-top: 1.5rem; font-size: .9rem; color: #333; }
@media print {
  body { margin: 0; font-size: 11pt; }
  a { color: #000; text-decoration: none; }
  .noprint { display: none; }
  @page { margin: 15mm; }
}
"""


def directory_html(frame: pd.DataFrame, search: str = "", title: str = "Places to try",
                   generated: _dt.date | None = None) -> str:
    """The list to give a person: one self-contained HTML page with a print stylesheet (every
    value escaped), numbered as on the map."""
    day = (generated or _dt.date.today()).strftime("%-d %B %Y")
    e = html.escape
    items = []
    for r in frame.itertuples(index=False):
        fields = [("What", r.what), ("When", r.when), ("Cost", r.cost), ("Access", r.access),
                  ("Contact", r.contact), ("Where", r.address), ("How far", r.distance_band)]
        body = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in fields if v)
        items.append(f'<li value="{int(r.rank)}"><h2>{e(str(r.place))}</h2><dl>{body}</dl></li>')
    listing = "<ol>" + "".join(items) + "</ol>" if items else "<p>Nothing matched.</p>"
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{e(title)}</title><style>{_PRINT_CSS}</style></head><body><main>"
        f"<h1>{e(title)}</h1><p class=\"search\">{e(search)} — {e(day)}</p>{listing}"
        "<footer>Times and details change: please ring or check before you go.</footer>"
        "</main></body></html>")
