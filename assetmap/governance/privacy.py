"""Every privacy rule in one place: consent, location masking and small-number suppression.

Everything that leaves assetmap (pages, downloads, exports) goes through these functions:
- a person without consent for a use is left out of it and counted only in aggregates;
- a person's home is never drawn or exported exactly: only their area, or a donut-masked point;
- area counts from 1 to ``suppress_below - 1`` are published as "<N", others rounded (NHS Digital).
"""

from __future__ import annotations

import contextvars
import math
import random
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
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
    small = _small_count(n, conf)
    return small if small is not None else str(round_count(int(n), conf))


def _small_count(n: int, conf: _settings.Settings) -> str | None:
    """How a count under the threshold is shown ("0" or "<8"); None for one at or above it,
    which each rule shows its own way. A negative count is an error."""
    n = int(n)
    if n < 0:
        raise ValueError("a count cannot be negative")
    if n == 0:
        return "0"
    return f"<{conf.suppress_below}" if n < conf.suppress_below else None


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
     "nhs_number", "contact_notes"}
)


def public_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """A person's props with direct identifiers removed (for aggregate work, not display)."""
    return {k: v for k, v in props.items() if k not in PERSONAL_FIELDS}


# --- lawful basis -----------------------------------------------------------------------------

#: Why a person's record is held (UK GDPR Art. 6/9). Separate from consent: recording someone for
#: their own direct care does not need their consent; suggesting them to others or showing them on
#: shared maps does (see :func:`has_consent`).
LAWFUL_BASES: tuple[str, ...] = ("direct_care", "public_task", "consent", "legitimate_interests")
DEFAULT_LAWFUL_BASIS = "direct_care"


def lawful_basis(props: Mapping[str, Any]) -> str:
    """The recorded lawful basis for holding a person's record (``direct_care`` if none)."""
    basis = props.get("lawful_basis") or DEFAULT_LAWFUL_BASIS
    if basis not in LAWFUL_BASES:
        raise ValueError(f"lawful basis {basis!r} is not one of {', '.join(LAWFUL_BASES)}")
    return str(basis)


# --- safe exports -----------------------------------------------------------------------------

#: A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with ``=``, ``+``,
    ``-``, ``@``, tab, CR or NUL gets a leading apostrophe (OWASP). Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame whose text cells and column names are safe to open in a spreadsheet."""
    out = frame.copy()
    out.columns = [safe_csv_cell(c) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_csv_cell)
    return out


# --- disclosure control for tables ------------------------------------------------------------

#: How a cell hidden only to protect another (secondary suppression) is published.
SECONDARY_MARK = "*"
TOTAL_LABEL = "Total"


def protect_table(frame: pd.DataFrame, totals: bool = True,
                  conf: _settings.Settings | None = None) -> pd.DataFrame:
    """A table of counts (rows × columns) as it may be published, with row and column totals.

    Cells from 1 to threshold-1 are shown as "<N" (primary suppression). Other cells are hidden
    as "*" (secondary suppression: some count of 1 or more) until no hidden cell can be worked
    out from the totals and the cells shown: first in every line with exactly one hidden cell,
    then wherever a linear programme (the attacker's best tool) still pins a hidden cell to one
    value; if nothing shown is left to hide there, that line's "<N" cells become "*". The rest
    and the totals (from the true counts) are rounded.

    With ``ASSETMAP_SUPPRESSION=round`` the table is protected by :func:`rounding_only`
    instead (NHS Digital's method: no secondary suppression).
    """
    conf = conf or _settings.load()
    if conf.suppression == "round":
        return rounding_only(frame, totals, conf)
    grid = _count_grid(frame, totals)
    primary = (grid >= 1) & (grid < conf.suppress_below)
    hidden = primary.copy()
    if totals:
        while True:
            _hide_lone_cells(grid, hidden)
            pinned = _pinned_cells(grid, primary, hidden, conf)
            if not pinned:
                break
            progress = False
            for i, j in pinned:
                if _hide_partners(grid, hidden, [(i, j)]):
                    progress = True
                elif primary[i, :].any() or primary[:, j].any():
                    # Nothing shown is left to hide beside it: the "<N" labels themselves pin
                    # it (e.g. two "<3" cells and a "<3" total), so show its lines' small cells
                    # as "*" (hidden, 1 or more) instead.
                    primary[i, :] = False
                    primary[:, j] = False
                    progress = True
            if not progress:
                # Pinned through other lines: hide the smallest shown cell anywhere, and once
                # none is left, show every small cell as "*".
                shown = np.argwhere(~hidden & (grid > 0))
                if len(shown):
                    i, j = min(shown.tolist(), key=lambda ij: grid[ij[0], ij[1]])
                    hidden[i, j] = True
                elif primary.any():
                    primary[:] = False
                else:
                    break
    published = np.empty(grid.shape, dtype=object)
    for (i, j), n in np.ndenumerate(grid):
        if primary[i, j]:
            published[i, j] = f"<{conf.suppress_below}"
        elif hidden[i, j]:
            published[i, j] = SECONDARY_MARK
        else:
            published[i, j] = "0" if n == 0 else str(round_count(int(n), conf))
    index = list(frame.index) + ([TOTAL_LABEL] if totals else [])
    columns = list(frame.columns) + ([TOTAL_LABEL] if totals else [])
    return pd.DataFrame(published, index=index, columns=columns)


def rounding_only(frame: pd.DataFrame, totals: bool = True,
                  conf: _settings.Settings | None = None) -> pd.DataFrame:
    """A table of counts protected by rounding alone, as NHS Digital has published its
    secondary-care statistics since September 2018 (HES and ECDS, then SRHAD and NCMP): 0 is
    shown as 0, counts from 1 to threshold-1 as "<N", every other count rounded to the nearest
    ``round_to``; row and column totals are worked out from the true counts and then rounded, so
    no secondary suppression is needed (a rounded total cannot give a small cell back exactly).
    It hides less than :func:`protect_table`'s primary + secondary suppression; see
    docs/privacy.md for when each fits."""
    conf = conf or _settings.load()
    grid = _count_grid(frame, totals)
    published = np.empty(grid.shape, dtype=object)
    for (i, j), n in np.ndenumerate(grid):
        published[i, j] = publish_count(int(n), conf)
    index = list(frame.index) + ([TOTAL_LABEL] if totals else [])
    columns = list(frame.columns) + ([TOTAL_LABEL] if totals else [])
    return pd.DataFrame(published, index=index, columns=columns)


def _count_grid(frame: pd.DataFrame, totals: bool) -> np.ndarray:
    """The true counts of ``frame`` as integers (missing = 0), with a row and a column of
    totals after them when ``totals``: what both protection methods start from."""
    values = frame.fillna(0).astype(int).to_numpy().astype(np.int64)
    if (values < 0).any():
        raise ValueError("a count cannot be negative")
    if not totals:
        return values
    grid = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=np.int64)
    grid[:-1, :-1] = values
    grid[-1, :-1] = values.sum(axis=0)
    grid[:-1, -1] = values.sum(axis=1)
    grid[-1, -1] = values.sum()
    return grid


def _hide_lone_cells(grid: np.ndarray, hidden: np.ndarray) -> None:
    """In every row or column with exactly one hidden cell, hide its smallest other non-zero cell
    too (in place), until no line has a lone hidden cell beside shown non-zero ones."""
    changed = True
    while changed:
        changed = False
        for lines, cells in ((hidden, grid), (hidden.T, grid.T)):  # .T is a view: writes land
            for i in range(lines.shape[0]):
                if lines[i].sum() != 1:
                    continue
                candidates = [(cells[i, j], j) for j in range(lines.shape[1])
                              if not lines[i, j] and cells[i, j] > 0]
                if candidates:
                    lines[i, min(candidates)[1]] = True
                    changed = True


def _hide_partners(grid: np.ndarray, hidden: np.ndarray, pinned: list[tuple[int, int]]) -> bool:
    """For each pinned cell, hide the smallest shown non-zero cell in its row or column."""
    changed = False
    for i, j in pinned:
        candidates = [(grid[i, k], i, k) for k in range(grid.shape[1])
                      if not hidden[i, k] and grid[i, k] > 0]
        candidates += [(grid[k, j], k, j) for k in range(grid.shape[0])
                       if not hidden[k, j] and grid[k, j] > 0]
        if candidates:
            _, a, b = min(candidates)
            hidden[a, b] = True
            changed = True
    return changed


def published_range(n: int, shown: bool, primary: bool,
                    conf: _settings.Settings) -> tuple[int, int]:
    """What a reader can tell about a true count from how it is published: an interval."""
    t = conf.suppress_below
    if primary:
        return 1, t - 1
    if not shown:
        return 1, 10**9  # "*": hidden, some count of 1 or more (zeros are shown as 0)
    if n == 0:
        return 0, 0
    v = round_count(n, conf)
    step = max(1, conf.round_to)
    behind = [m for m in range(max(t, v - step), v + step + 1) if round_count(m, conf) == v]
    return min(behind), max(behind)


def _pinned_cells(grid: np.ndarray, primary: np.ndarray, hidden: np.ndarray,
                  conf: _settings.Settings) -> list[tuple[int, int]]:
    """Hidden cells whose value the published table pins down exactly.

    Every interior row and column sums to its total and every cell lies in the interval its
    published text allows. The constraint matrix of a table with totals is totally unimodular,
    so the linear programme's bounds are whole numbers and equal the integer ones.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    r, c = grid.shape
    n = r * c
    ranges = [published_range(int(grid[i, j]), not hidden[i, j], bool(primary[i, j]), conf)
              for i in range(r) for j in range(c)]
    equations = []
    for i in range(r - 1):
        a = np.zeros(n)
        a[i * c:(i + 1) * c - 1] = 1
        a[i * c + c - 1] = -1
        equations.append(a)
    for j in range(c):
        a = np.zeros(n)
        a[[i * c + j for i in range(r - 1)]] = 1
        a[(r - 1) * c + j] = -1
        equations.append(a)
    a = np.zeros(n)
    a[(r - 1) * c:(r - 1) * c + c - 1] = 1
    a[n - 1] = -1
    equations.append(a)
    a_eq = sparse.csr_matrix(np.array(equations))
    b_eq = np.zeros(len(equations))
    truth = grid.ravel().astype(float)
    undecided = set(np.flatnonzero(hidden.ravel()).tolist())
    # Cheap first: a few solves with random objectives; any hidden cell that moves away from its
    # true value in one of them is not pinned.
    rng = np.random.default_rng(0)
    per_call = max(1, 4000 // n)
    for _ in range(6 if len(undecided) > per_call else 0):  # small tables: straight to exact
        if not undecided:
            return []
        objective = np.zeros(n)
        keys = sorted(undecided)
        objective[keys] = rng.choice([-1.0, 1.0], size=len(keys)) * rng.uniform(1, 2, len(keys))
        result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=ranges, method="highs")
        if result.status != 0:
            return []
        undecided -= {k for k in keys if abs(result.x[k] - truth[k]) > 0.5}
    # Then exactly, for the rest: independent copies of the table side by side (block
    # diagonal), copy 2m minimising cell m and copy 2m+1 maximising it, so one solve gives each
    # cell's smallest and largest possible value.
    cells = sorted(undecided)
    pinned = []
    for start in range(0, len(cells), per_call):
        chunk = cells[start:start + per_call]
        copies = 2 * len(chunk)
        objective = np.zeros(copies * n)
        for m, k in enumerate(chunk):
            objective[2 * m * n + k] = 1
            objective[(2 * m + 1) * n + k] = -1
        result = linprog(objective, A_eq=sparse.block_diag([a_eq] * copies, format="csr"),
                         b_eq=np.zeros(copies * len(equations)), bounds=ranges * copies,
                         method="highs")
        if result.status != 0:
            continue
        for m, k in enumerate(chunk):
            if round(result.x[2 * m * n + k]) == round(result.x[(2 * m + 1) * n + k]):
                pinned.append((int(k // c), int(k % c)))
    return pinned


# --- distance and count bands (issue 14: directory results, closure explanations) ---------------

#: Upper edges (km) of the distance bands a directory result is shown in; beyond the last, "over".
DISTANCE_BANDS_KM: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


def distance_band(km: float | None) -> str:
    """A distance as a band ("1–2 km"), never the exact figure: an exact distance from a
    person's postcode, with a place's public location, would narrow down where they live."""
    if km is None or (isinstance(km, float) and math.isnan(km)):
        return "distance unknown"
    if km < 0:
        raise ValueError("a distance cannot be negative")
    lower = 0.0
    for upper in DISTANCE_BANDS_KM:
        if km < upper:
            return f"under {upper:g} km" if lower == 0 else f"{lower:g}–{upper:g} km"
        lower = upper
    return f"over {lower:g} km"


#: Edges of the count bands used to explain a ranking after suppression ("8–20", "21–50", …).
COUNT_BAND_EDGES: tuple[int, ...] = (20, 50, 100, 200, 500, 1000)


def count_band(n: int, conf: _settings.Settings | None = None) -> str:
    """A count as a band that never reveals a small number: "0", "<8", "8–20", "21–50", …,
    "over 1000" (the threshold is ``suppress_below``)."""
    conf = conf or _settings.load()
    small = _small_count(n, conf)
    if small is not None:
        return small
    n = int(n)
    lower = conf.suppress_below
    for upper in COUNT_BAND_EDGES:
        if upper < lower:
            continue
        if n <= upper:
            return f"{lower}–{upper}"
        lower = upper + 1
    return f"over {COUNT_BAND_EDGES[-1]}"


# --- distances shown to people ------------------------------------------------------------------

UNKNOWN_BAND = "distance unknown"
_DISTANCE_WORDS = re.compile(r"\s*(?:about\s+)?\d+(?:\.\d+)?\s*km(?:\s+away)?", re.IGNORECASE)


def stable_masked_point(lat: float, lon: float, person_id: str, key: bytes,
                        conf: _settings.Settings | None = None) -> tuple[float, float]:
    """A person's donut-masked point (:func:`mask_point`) that stays the same on every view:
    the displacement is drawn from a generator seeded by HMAC(key, person id), so repeated
    views cannot be averaged back to the home, and without the key it cannot be undone."""
    import hashlib
    import hmac as _hmac

    seed = _hmac.new(key, b"mask\x1f" + person_id.encode("utf-8"), hashlib.sha256).digest()
    return mask_point(lat, lon, random.Random(int.from_bytes(seed, "big")), conf)


#: Distances shown to a coordinator are measured from a point this far from the home (a ring of
#: its own, wider than the map's mask): with bands, least squares over every group shown then
#: lands no nearer the home than ~300 m (measured: 0 of 150 people within 250 m, against 5% for
#: a 200-800 m ring). The cost: a band can be off by up to a kilometre.
DISTANCE_ORIGIN_MIN_M = 500.0
DISTANCE_ORIGIN_MAX_M = 1000.0


def distance_origin(lat: float, lon: float, person_id: str, key: bytes,
                    conf: _settings.Settings | None = None) -> tuple[float, float]:
    """Where a person's shown distances are measured from: their stable masked point
    (:func:`stable_masked_point`) on a ring at least ``DISTANCE_ORIGIN_MIN_M`` from home (or
    the mask settings, if wider)."""
    conf = conf or _settings.load()
    ring = conf.model_copy(update={
        "mask_min_m": max(DISTANCE_ORIGIN_MIN_M, conf.mask_min_m),
        "mask_max_m": max(DISTANCE_ORIGIN_MAX_M, conf.mask_max_m)}) \
        if hasattr(conf, "model_copy") else conf
    return stable_masked_point(lat, lon, person_id, key, ring)


def published_suggestions(suggestions: pd.DataFrame, origin: tuple[float, float] | None,
                          points: Mapping[str, tuple[float, float] | None]) -> pd.DataFrame:
    """Suggestions as they may be shown or downloaded: a ``distance`` band
    (:func:`distance_band`) measured from the
    person's *masked* point ``origin`` to each group's public point, and never a distance to
    another person (a suggested person gets no distance at all). Exact distances, scores that
    carry them (score, proximity) and distance words in the reasons are removed."""
    from assetmap.geo import haversine_m

    out = suggestions.drop(columns=[c for c in ("distance_km", "score", "proximity", "_d")
                                    if c in suggestions.columns]).copy()
    bands = []
    for cid, kind in zip(suggestions["candidate_id"], suggestions["kind"], strict=True):
        point = points.get(cid)
        if kind == vocab.PERSON or origin is None or point is None or None in point:
            bands.append(UNKNOWN_BAND if kind != vocab.PERSON else "")
        else:
            bands.append(distance_band(haversine_m(origin[0], origin[1], point[0], point[1])
                                       / 1000.0))
    out["distance"] = bands
    if "reasons" in out.columns:
        out["reasons"] = out["reasons"].astype(str).map(_strip_distances)
    return out


def _strip_distances(reasons: str) -> str:
    parts = [p.strip() for p in reasons.split(";")]
    kept = [_DISTANCE_WORDS.sub("", p).strip() for p in parts]
    return "; ".join(p for p in kept if p)


# --- ids that do not reveal who they are ----------------------------------------------------

_PSEUDONYM_KEY: contextvars.ContextVar[bytes | None] = contextvars.ContextVar(
    "assetmap_pseudonym_key", default=None)
#: Record kinds whose names are people's names: their ids are keyed, never plain hashes.
PERSONAL_KINDS: frozenset[str] = frozenset({vocab.PERSON, vocab.PRACTITIONER})


def pseudonym_key(store_url: str) -> bytes:
    """The store's key for pseudonymous ids (derived from the secret beside its access
    database; see :mod:`assetmap.governance.keys`)."""
    from assetmap.governance import keys

    return keys.derived_key(_settings.access_db_path(store_url), "pseudonym")


def use_pseudonym_key(store: Any) -> None:
    """Make the ids :func:`pseudonymous_id` gives in this thread/context keyed by ``store``'s
    key (the importers call it first)."""
    _PSEUDONYM_KEY.set(pseudonym_key(store.url))


def pseudonymous_id(kind: str, *parts: str, namespace: str | None = None,
                    key: bytes | None = None) -> str:
    """An id for a record that has none of its own, from its name and postcode: for a person
    or practitioner HMAC-SHA256 keyed by the store's secret (the same person gets the same id
    on every import into that store, but the id cannot be tested against guessed names and
    postcodes); for groups and organisations (public) the plain stable id. With no key known
    a person gets a random id (never a plain hash)."""
    import secrets

    from assetmap.ingest.report import ID_PREFIX, stable_id

    key = key if key is not None else _PSEUDONYM_KEY.get()
    words = [namespace] if namespace else []
    words += [str(p).strip().casefold() for p in parts]
    if kind not in PERSONAL_KINDS:
        return stable_id(kind, *words)
    if key is None:
        return ID_PREFIX[kind] + secrets.token_hex(10)
    import hashlib
    import hmac as _hmac

    digest = _hmac.new(key, "\x1f".join([kind, *words]).encode("utf-8", "surrogatepass"),
                       hashlib.sha256).hexdigest()
    return ID_PREFIX[kind] + digest[:20]


# --- tables published together (linked secondary suppression) -----------------------------------

#: The largest value an attacker may assume for a hidden ("*") count.
HIDDEN_CEILING = 10**6


def published_interval(text: str, conf: _settings.Settings | None = None) -> tuple[int, int]:
    """What anyone can tell about a true count from its published text: an interval ("0" is
    0; "<8" is 1-7; "*" is 1 or more; "25" is every count that rounds to 25)."""
    conf = conf or _settings.load()
    key = (str(text), conf.suppress_below, conf.round_to)
    if key not in _INTERVALS:
        if len(_INTERVALS) > 4096:
            _INTERVALS.clear()
        _INTERVALS[key] = _published_interval(str(text), conf)
    return _INTERVALS[key]


_INTERVALS: dict[tuple[str, int, int], tuple[int, int]] = {}


def _published_interval(text: str, conf: _settings.Settings) -> tuple[int, int]:
    text = text.strip()
    t = conf.suppress_below
    if text == "0":
        return 0, 0
    if text == f"<{t}":
        return 1, t - 1
    if text == SECONDARY_MARK:
        return 1, HIDDEN_CEILING
    v = int(text)
    step = max(1, conf.round_to)
    behind = [m for m in range(max(t, v - 2 * step), v + 2 * step + 1)
              if round_count(m, conf) == v]
    return min(behind), max(behind)


def protect_linked(base: Any, cells: Any, *, fixed: Any = (),
                   conf: _settings.Settings | None = None) -> list[str]:
    """Publish many counts that share people, so that no hidden one can be worked out exactly.

    ``base`` holds the true counts of disjoint groups of people (e.g. people per smallest area
    and isolation level); each of ``cells`` is the list of ``base`` indices it adds up (a count
    per LSOA, per ward, per level, a total...). ``fixed`` are (indices, published text) pairs
    already published elsewhere (they constrain the attacker and cannot be hidden here).

    Counts of 1 to threshold-1 are "<N"; then, while an exact integer programme (the attacker:
    every published interval, every cell the sum of its groups, counts whole and >= 0) can pin a
    hidden cell to one value, another cell summed with it under a common total (or one that
    contains it) is hidden as "*", smallest first; a "<N" cell with nothing left to hide beside
    it becomes "*". Deterministic, so every output built from the same counts agrees.
    Returns the published text of each cell.
    """
    conf = conf or _settings.load()
    base = np.asarray(base, dtype=np.int64)
    system = _linked_system(len(base), cells, [members for members, _ in fixed])
    fixed_ranges = [published_interval(text, conf) for _, text in fixed]
    return _protect_system(system, base, fixed_ranges, conf)


class _LinkedSystem(NamedTuple):
    """What :func:`protect_linked` works out from which groups each cell adds up (not from the
    counts): made once and shared by every table with the same cells (one per need, issue 13)."""

    a: np.ndarray  # cells × groups, 0/1
    f: np.ndarray  # fixed counts × groups, 0/1
    overlap: np.ndarray  # groups two cells share
    contains: np.ndarray  # contains[m, j]: cell j lies inside cell m
    fixed_contains: np.ndarray  # fixed_contains[m, j]: cell j lies inside fixed count m
    stacked: Any  # the cells' and fixed counts' rows, sparse float (every round's constraints)


def _membership(n_base: int, members: Any) -> np.ndarray:
    """A 0/1 matrix with one row per list of group indices (one vectorised write)."""
    out = np.zeros((len(members), n_base), dtype=np.int8)
    lists = [np.asarray(list(m), dtype=np.int64) for m in members]
    if lists:
        rows = np.repeat(np.arange(len(lists)), [len(m) for m in lists])
        out[rows, np.concatenate(lists)] = 1
    return out


def _linked_system(n_base: int, cells: Any, fixed_members: Any) -> _LinkedSystem:
    """The counts-free part of a linked protection (see :class:`_LinkedSystem`)."""
    from scipy.sparse import csr_matrix, vstack

    a = _membership(n_base, cells)
    f = _membership(n_base, fixed_members)
    size = a.sum(axis=1).astype(np.int64)
    # sparse products (exact integers; a dense int matmul has no BLAS and took ~0.5 s a table)
    sa = csr_matrix(a, dtype=np.int32)
    overlap = (sa @ sa.T).toarray()
    contains = overlap == size[None, :]
    fixed_contains = (csr_matrix(f, dtype=np.int32) @ sa.T).toarray() == size[None, :]
    stacked = vstack([sa, csr_matrix(f, dtype=np.int32)]).tocsr().astype(float) if len(f) \
        else sa.astype(float)
    return _LinkedSystem(a, f, overlap, contains, fixed_contains, stacked)


def _protect_system(system: _LinkedSystem, base: np.ndarray,
                    fixed_ranges: list[tuple[int, int]], conf: _settings.Settings) -> list[str]:
    """:func:`protect_linked` on a system already worked out (the rules are described there)."""
    a, f, overlap, contains, fixed_contains, stacked = system
    n_cells = a.shape[0]
    truth = a.astype(np.int64) @ base
    t = conf.suppress_below
    primary = (truth >= 1) & (truth < t)
    hidden = primary.copy()
    star = np.zeros(n_cells, dtype=bool)
    if n_cells == 0:
        return []
    rounds = 0 if getattr(conf, "suppression", "suppress") == "round" else 4 * n_cells + 10
    # Hiding more only loosens the attacker's constraints, so a cell once shown to take two
    # values stays free in every later round: it is never checked again.
    freed: set[int] = set()
    for _round in range(rounds):  # "round" mode: primary suppression and rounding only
        pinned = _pinned_linked(a, f, base, truth, hidden, primary & ~star, fixed_ranges, conf,
                                freed, stacked)
        if not pinned:
            break
        progressed = False
        touched = np.zeros(n_cells, dtype=bool)  # cells whose system already changed this round
        for k in pinned:
            if touched[k]:
                continue  # a neighbour hidden this round may already free it: check again
            holders = contains[:, k].copy()
            holders[k] = False
            siblings = np.zeros(n_cells, dtype=bool)
            if holders.any():  # summed with k under a common total
                siblings |= contains[holders].any(axis=0)
            if fixed_contains[:, k].any():
                siblings |= fixed_contains[fixed_contains[:, k]].any(axis=0)
            siblings &= overlap[:, k] == 0
            candidates = (siblings | holders) & ~hidden & (truth > 0)
            candidates[k] = False
            if candidates.any():
                j = min(np.flatnonzero(candidates), key=lambda i: (truth[i], i))
                hidden[j] = True
                progressed = True
                # One hidden cell per pinned cell per round, not one per round: each round costs
                # a full integer-programming check, so fixing every pinned cell at once keeps
                # `analyse` to a few rounds (a cell that shares a margin with j is re-checked).
                touched |= overlap[:, j] > 0
                touched |= (contains[:, j] | contains[j, :])
                continue
            if primary[k] and not star[k]:
                star[k] = True
                progressed = True
                touched[k] = True
                continue
        if not progressed:
            # Pinned through a longer chain: hide the smallest shown cell overlapping one.
            k = pinned[0]
            near = (overlap[:, k] > 0) & ~hidden & (truth > 0)
            if not near.any():
                break
            hidden[min(np.flatnonzero(near), key=lambda i: (truth[i], i))] = True
    # each distinct count's text once (a table repeats a few hundred values)
    texts = {int(v): "0" if v == 0 else str(round_count(int(v), conf))
             for v in np.unique(truth[~hidden]).tolist()}
    small_text, truths = f"<{t}", truth.tolist()
    return [small_text if hidden[k] and primary[k] and not star[k]
            else SECONDARY_MARK if hidden[k] else texts[truths[k]]
            for k in range(n_cells)]


def _pinned_linked(a: np.ndarray, f: np.ndarray, base: np.ndarray, truth: np.ndarray,
                   hidden: np.ndarray, small: np.ndarray, fixed_ranges: list[tuple[int, int]],
                   conf: _settings.Settings, freed: set[int] | None = None,
                   stacked: Any = None) -> list[int]:
    """The hidden cells an exact integer programme pins to one value (see protect_linked).

    ``freed`` holds cells already shown to take two values (skipped, and grown here): every
    whole solution found frees each cell whose value in it differs from the truth."""
    t = conf.suppress_below
    # the interval behind each published text, by arrays (each distinct shown count once)
    lo_cells = np.zeros(len(truth), dtype=np.int64)
    hi_cells = np.zeros(len(truth), dtype=np.int64)
    show = ~hidden & (truth != 0)
    shown = np.unique(truth[show])
    if len(shown):
        behind = np.array([published_interval(str(round_count(int(v), conf)), conf)
                           for v in shown.tolist()], dtype=np.int64)
        at = np.searchsorted(shown, truth[show])
        lo_cells[show] = behind[at, 0]
        hi_cells[show] = behind[at, 1]
    lo_cells[hidden] = 1
    hi_cells[hidden] = np.where(small[hidden], t - 1, HIDDEN_CEILING)
    lo = lo_cells.tolist() + [r[0] for r in fixed_ranges]
    hi = hi_cells.tolist() + [r[1] for r in fixed_ranges]
    from scipy.sparse import csr_matrix

    # the cells' and fixed counts' rows, sparse (``stacked``: made once by protect_linked)
    matrix = stacked if stacked is not None else csr_matrix(
        np.vstack([a, f]).astype(float) if len(f) else a.astype(float))
    freed = set() if freed is None else freed
    undecided = [int(k) for k in np.flatnonzero(hidden) if int(k) not in freed]
    if undecided:  # cheapest first: moving one or two people (no solver; issue 13)
        freed.update(_freed_by_small_moves(matrix, np.array(lo), np.array(hi), base, a,
                                           undecided))
        undecided = [k for k in undecided if k not in freed]
    if not undecided:
        return []
    from scipy.optimize import Bounds, LinearConstraint, milp

    # sparse: given a dense matrix, every solve converted it again (issue 13)
    constraints = LinearConstraint(matrix, np.array(lo, float), np.array(hi, float))
    bounds = Bounds(np.zeros(len(base)), np.full(len(base), float(HIDDEN_CEILING)))
    integral = np.ones(len(base))
    gen = np.random.default_rng(0)
    values = a.astype(np.int64)
    for _ in range(8):  # cheap first: any whole solution that moves a cell frees it
        if not undecided:
            return []
        if len(undecided) <= 3:
            break  # checking each exactly (two solves) costs no more than guessing
        weights = np.zeros(len(truth))
        weights[undecided] = gen.choice([-1.0, 1.0], len(undecided)) * gen.uniform(
            1, 2, len(undecided))
        result = milp(weights @ a, constraints=constraints, bounds=bounds,
                      integrality=integral)
        if result.x is None:
            break
        x = np.round(result.x).astype(np.int64)
        freed.update(k for k in undecided if int(values[k] @ x) != truth[k])
        undecided = [k for k in undecided if k not in freed]
    pinned = []
    relaxed = np.zeros(len(base))
    for k in undecided:
        if k in freed:
            continue
        # the linear relaxation first (about half the cost): if even it allows one value, so
        # do whole counts (the truth is one of them); otherwise the integer programme decides
        lp = [milp(sign * a[k].astype(float), constraints=constraints, bounds=bounds,
                   integrality=relaxed) for sign in (1.0, -1.0)]
        if all(r.fun is not None for r in lp) and abs(lp[0].fun + lp[1].fun) < 0.5:
            pinned.append(k)
            continue
        ends = []
        for sign in (1.0, -1.0):
            result = milp(sign * a[k].astype(float), constraints=constraints, bounds=bounds,
                          integrality=integral)
            if result.x is None:
                break
            x = np.round(result.x).astype(np.int64)
            # the same solution frees every other undecided cell it moves
            freed.update(m for m in undecided if int(values[m] @ x) != truth[m])
            ends.append(round(sign * result.fun))
            if k in freed:
                break
        if k not in freed and len(ends) == 2 and ends[0] == ends[1]:
            pinned.append(k)
    return pinned


def _freed_by_small_moves(matrix: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                          base: np.ndarray, a: np.ndarray, undecided: list[int]) -> set[int]:
    """The ``undecided`` cells some whole solution one or two people away from the truth moves
    (one group count up or down by one, or one up and another down): each such solution is
    checked against every constraint exactly, so a cell freed here can take two values, as the
    integer programme would find; the cells left need the solver. Sparse, no solver: most
    cells are freed here (issue 13)."""
    from scipy.sparse import csr_matrix, diags

    m = csr_matrix(matrix)  # already sparse from _pinned_linked: no copy
    value = m @ base.astype(float)
    if len(base) ** 2 * (m.shape[0] // 8 + 1) <= _BIT_MOVES:
        return _freed_by_small_moves_bits(m.toarray() != 0, value, lo, hi, base, a, undecided)
    up_room, down_room = hi - value, value - lo
    if (up_room < 0).any() or (down_room < 0).any():
        return set()  # the truth outside its own ranges: leave it all to the solver
    tight_up = (diags((up_room < 1).astype(float)) @ m).tocsr()  # rows a +1 would break
    tight_down = (diags((down_room < 1).astype(float)) @ m).tocsr()
    n_up = np.asarray(tight_up.sum(axis=0)).ravel()
    n_down = np.asarray(tight_down.sum(axis=0)).ravel()
    can_up = (n_up == 0) & (base < HIDDEN_CEILING)
    can_down = (n_down == 0) & (base > 0)
    cells = a[undecided].astype(float)
    freed = (cells @ (can_up | can_down)) > 0
    if not freed.all():
        # +1 on i and -1 on j: every row tight for +1 on i holds j too, every row tight for
        # -1 on j holds i; a cell moves when it holds exactly one of them, so one of i and j
        # is in a cell still undecided (only those rows and columns are worked out)
        rest = np.flatnonzero(~freed)
        inside = cells[rest]
        u = np.flatnonzero(inside.any(axis=0))
        up_ok, down_ok = base < HIDDEN_CEILING, base > 0
        # i in u (raised), any j (lowered)
        ok_i = ((tight_up[:, u].T @ m).toarray() == n_up[u][:, None]) \
            & ((m[:, u].T @ tight_down).toarray() == n_down[None, :]) \
            & down_ok[None, :] & up_ok[u][:, None]
        ok_i[np.arange(len(u)), u] = False
        # any i (raised), j in u (lowered)
        ok_j = ((tight_up.T @ m[:, u]).toarray() == n_up[:, None]) \
            & ((m.T @ tight_down[:, u]).toarray() == n_down[u][None, :]) \
            & down_ok[u][None, :] & up_ok[:, None]
        ok_j[u, np.arange(len(u))] = False
        inside_u = inside[:, u]
        outside = 1.0 - inside
        moved = ((inside_u @ ok_i.astype(float)) * outside).sum(axis=1) \
            + ((outside @ ok_j.astype(float)) * inside_u).sum(axis=1)
        freed[rest] = moved > 0
    return {k for k, f in zip(undecided, freed.tolist(), strict=True) if f}


#: Up to this many bytes of bit sets (groups² × constraint rows / 8), :func:`_freed_by_small_moves`
#: works on bit sets: the same whole-number checks with no sparse or BLAS products, which on a
#: few hundred areas were most of a provision-gap table's cost (issue 13); bigger systems stay
#: sparse.
_BIT_MOVES = 48_000_000


def _bit_rows(flags: np.ndarray) -> np.ndarray:
    """Each row of a boolean matrix as a bit set in 64-bit words (rows × words, at least one)."""
    packed = np.packbits(flags, axis=1)
    words = packed.shape[1] // 8 + 1
    out = np.zeros((flags.shape[0], words * 8), dtype=np.uint8)
    out[:, :packed.shape[1]] = packed
    return out.view(np.uint64)


def _freed_by_small_moves_bits(m: np.ndarray, value: np.ndarray, lo: np.ndarray,
                               hi: np.ndarray, base: np.ndarray, a: np.ndarray,
                               undecided: list[int]) -> set[int]:
    """:func:`_freed_by_small_moves` on bit sets: each column's tight rows packed into bytes, so
    "every row tight for +1 on i holds j" is "i's tight rows are a subset of j's", and a cell
    moves when some allowed (i, j) has one of them inside it and the other outside. The same
    answers as the sparse products (each compared a count of shared rows with a row count)."""
    up_room, down_room = hi - value, value - lo
    if (up_room < 0).any() or (down_room < 0).any():
        return set()
    ups = _bit_rows(np.ascontiguousarray(m[up_room < 1].T))  # groups × words: the rows a +1
    downs = _bit_rows(np.ascontiguousarray(m[down_room < 1].T))  # (a -1) on it would break
    up_ok, down_ok = base < HIDDEN_CEILING, base > 0
    can_up = ~ups.any(axis=1) & up_ok
    can_down = ~downs.any(axis=1) & down_ok
    cells = a[undecided] != 0
    freed = (cells & (can_up | can_down)[None, :]).any(axis=1)
    if not freed.all():
        rest = np.flatnonzero(~freed)
        inside = cells[rest]
        u = np.flatnonzero(inside.any(axis=0))
        every = np.arange(len(base))

        def allowed(raised: np.ndarray, lowered: np.ndarray) -> np.ndarray:
            """(i, j): +1 on group i and -1 on group j breaks no row."""
            broken = np.zeros((len(raised), len(lowered)), dtype=bool)
            for w in range(ups.shape[1]):  # i's up-tight rows all hold j
                col = ups[:, w]
                broken |= (col[raised][:, None] & ~col[lowered][None, :]) != 0
            for w in range(downs.shape[1]):  # j's down-tight rows all hold i
                col = downs[:, w]
                broken |= (col[lowered][None, :] & ~col[raised][:, None]) != 0
            ok = ~broken & up_ok[raised][:, None] & down_ok[lowered][None, :]
            ok[raised[:, None] == lowered[None, :]] = False
            return ok

        # per group g in u: the groups that may move against it (g raised or g lowered)
        partners = _bit_rows(allowed(u, every) | allowed(every, u).T)
        outside = _bit_rows(~inside)
        inside_u = inside[:, u]
        for r in range(len(rest)):
            reach = np.bitwise_or.reduce(partners[inside_u[r]], axis=0)
            freed[rest[r]] = bool((reach & outside[r]).any())
    return {k for k, f in zip(undecided, freed.tolist(), strict=True) if f}


def protect_area_counts(counts: pd.DataFrame, parent_of: Mapping[str, str | None],
                        level_of: Mapping[str, str | None], *, total: str | None = None,
                        extra: Mapping[str, list[str]] | None = None,
                        fixed: Mapping[tuple[str, str], str] | None = None,
                        publish: Any = None,
                        conf: _settings.Settings | None = None) -> dict[tuple[str, str], str]:
    """Publish counts per area at every level at once (LSOA, ward, ... up the ``parent`` links):
    ``counts`` is smallest area (index) × category (columns) of disjoint groups of people; each
    area at each level gets each category, ``total`` (all categories) and each ``extra`` column
    (a sum of named categories), protected together (:func:`protect_linked`), so a ward and its
    LSOAs, or a level and its total, cannot be differenced. ``fixed`` are (area, column) texts
    published elsewhere. ``publish`` (default: every column) names the columns that are
    published at all: a category left out is only a building block (never shown, so it does
    not constrain the attacker). Returns {(area code, column): published text}."""
    conf = conf or _settings.load()
    keys, system, fixed_texts = _area_system(
        tuple(str(a) for a in counts.index), tuple(str(c) for c in counts.columns), parent_of,
        level_of, total, extra, fixed, publish)
    base = counts.to_numpy(dtype=np.int64).ravel()
    texts = _protect_system(system, base, [published_interval(t, conf) for t in fixed_texts],
                            conf)
    published = dict(zip(keys, texts, strict=True))
    published.update(fixed or {})
    return published


def _area_system(smallest: tuple[str, ...], categories: tuple[str, ...],
                 parent_of: Mapping[str, str | None], level_of: Mapping[str, str | None],
                 total: str | None, extra: Mapping[str, list[str]] | None,
                 fixed: Mapping[tuple[str, str], str] | None, publish: Any
                 ) -> tuple[list[tuple[str, str]], _LinkedSystem, list[str]]:
    """The cells :func:`protect_area_counts` publishes ((area, column) keys), their linked
    system and the texts of the fixed counts in it: everything but the counts, so tables with
    the same areas and columns (one per need) share one (issue 13)."""
    position = {(a, c): i for i, (a, c) in enumerate(
        (a, c) for a in smallest for c in categories)}
    under: dict[str, list[str]] = {}
    for a in smallest:
        seen: set[str] = set()
        current: str | None = a
        while current is not None and current not in seen:
            seen.add(current)
            under.setdefault(current, []).append(a)
            current = parent_of.get(current)
    columns: dict[str, list[str]] = {c: [c] for c in categories}
    if total:
        columns[total] = list(categories)
    for name, parts in (extra or {}).items():
        columns[name] = [str(p) for p in parts]
    if publish is not None:
        columns = {name: parts for name, parts in columns.items() if name in set(publish)}
    keys, cells = [], []
    known = set(smallest)
    for area in sorted(under):
        if level_of.get(area) is None and area not in known:
            continue
        for name, parts in columns.items():
            keys.append((area, name))
            cells.append([position[(s, c)] for s in under[area] for c in parts])
    fixed_cells, fixed_texts = [], []
    for (area, name), text in (fixed or {}).items():
        if area in under and name in columns:
            fixed_cells.append([position[(s, c)] for s in under[area] for c in columns[name]])
            fixed_texts.append(text)
    if fixed:
        keep = [i for i, key in enumerate(keys) if key not in fixed]
        keys = [keys[i] for i in keep]
        cells = [cells[i] for i in keep]
    return keys, _linked_system(len(position), cells, fixed_cells), fixed_texts


#: Prefix of the raw per-area columns that hold one isolation level each (see
#: :func:`publish_area_measures`).
LEVEL_PREFIX = "level:"
#: The Map's isolation measures as sums of isolation levels.
ISOLATION_MEASURES: dict[str, tuple[str, ...]] = {
    "isolated": ("isolated",), "at_risk": ("at risk",),
    "no_community_ties": ("isolated", "service-only"),
}
_AREA_CACHE: dict[tuple, dict] = {}


def area_tree(areas: pd.DataFrame) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """(parent of each area, level of each area) from an area frame (``area_code``,
    ``level``, ``parent``)."""
    parent = {str(c): (None if p is None or (isinstance(p, float) and math.isnan(p)) else str(p))
              for c, p in zip(areas["area_code"], areas["parent"], strict=True)}
    level = {str(c): (None if lv is None or (isinstance(lv, float) and math.isnan(lv))
                      else str(lv))
             for c, lv in zip(areas["area_code"], areas["level"], strict=True)}
    return parent, level


def _cached(kind: str, frame: pd.DataFrame, areas: pd.DataFrame, conf: _settings.Settings,
            build: Any) -> dict:
    key = (kind, tuple(map(str, frame.index)), tuple(map(str, frame.columns)),
           frame.to_numpy(dtype=np.int64).tobytes(), tuple(map(str, areas["area_code"])),
           tuple(map(str, areas["parent"])), conf.suppress_below, conf.round_to)
    if key not in _AREA_CACHE:
        if len(_AREA_CACHE) > 64:
            _AREA_CACHE.clear()
        _AREA_CACHE[key] = build()
    return _AREA_CACHE[key]


def publish_people_counts(per_area: pd.Series, areas: pd.DataFrame, name: str = "people",
                          conf: _settings.Settings | None = None) -> dict[tuple[str, str], str]:
    """One count per smallest area (``per_area``) published at every level at once, so a
    ward and its LSOAs cannot be differenced: {(area code, name): text}."""
    conf = conf or _settings.load()
    frame = per_area.fillna(0).astype(int).to_frame(name)
    parent, level = area_tree(areas)
    return _cached("one:" + name, frame, areas, conf,
                   lambda: protect_area_counts(frame, parent, level, conf=conf))


def publish_isolation_counts(per_area_level: pd.DataFrame, areas: pd.DataFrame,
                             conf: _settings.Settings | None = None
                             ) -> dict[tuple[str, str], str]:
    """People per smallest area and isolation level (columns: level names) published at every
    level at once with each area's ``people`` total (published as
    :func:`publish_people_counts` publishes it) and the Map's sums of levels
    (:data:`ISOLATION_MEASURES`): {(area code, level name or measure or "people"): text}."""
    conf = conf or _settings.load()
    frame = per_area_level.fillna(0).astype(int)
    parent, level = area_tree(areas)

    def build() -> dict:
        people = publish_people_counts(frame.sum(axis=1), areas, conf=conf)
        extra = {m: [lv for lv in parts if lv in frame.columns]
                 for m, parts in ISOLATION_MEASURES.items()
                 if len(parts) > 1 and all(lv in frame.columns for lv in parts)}
        return protect_area_counts(frame, parent, level, total="people", extra=extra,
                                   fixed=people, conf=conf)

    return _cached("isolation", frame, areas, conf, build)


def publish_area_measures(raw: pd.DataFrame, areas: pd.DataFrame,
                          conf: _settings.Settings | None = None) -> dict[tuple[str, str], str]:
    """Every measure of a raw per-smallest-area frame (``people``, flags such as ``carers``,
    and isolation levels in ``level:`` columns) published at every level at once:
    {(area code, measure): text}. People and each flag are protected as one count across
    levels; the isolation measures together with the people total."""
    conf = conf or _settings.load()
    published: dict[tuple[str, str], str] = {}
    level_columns = [c for c in raw.columns if str(c).startswith(LEVEL_PREFIX)]
    plain = [c for c in raw.columns if c not in level_columns
             and not (level_columns and c in ISOLATION_MEASURES)]
    for column in plain:
        published.update(publish_people_counts(raw[column], areas, str(column), conf))
    if level_columns:
        levels = raw[level_columns].rename(columns=lambda c: str(c)[len(LEVEL_PREFIX):])
        isolation = publish_isolation_counts(levels, areas, conf)
        for measure, parts in ISOLATION_MEASURES.items():
            column = parts[0] if len(parts) == 1 else measure
            for (area, name), text in isolation.items():
                if name == column:
                    published[(area, measure)] = text
    return published


#: The provision-gap counts per area and need (see :func:`publish_provision_counts`).
GAP_WITH_NEED = "people_with_need"
GAP_WITHOUT_PROVIDER = "people_without_provider"


def publish_provision_counts(gaps: pd.DataFrame, areas: pd.DataFrame,
                             conf: _settings.Settings | None = None
                             ) -> dict[tuple[str, str, str], str]:
    """Provision-gap counts (people with a need; those of them with no provider near home)
    published at every level of area at once, so the LSOA table from ``analyse``, the Gaps
    page's ward and LSOA tables and their downloads cannot be differenced (issue 15).

    ``gaps`` is the raw provision-gap frame at the finest level (``area_code``, ``need``,
    ``people_with_need``, ``people_without_provider``); each area's people with a need are
    split into those near a provider and those without one (disjoint), and for each need the
    two published counts of every area at every level (sums up the ``parent`` links) are
    protected together by :func:`protect_linked`. Needs are separate systems: no published
    figure adds people up across needs (a person may have several). Deterministic: every
    output built from the same counts publishes the same text.
    Returns {(area code, need, column): text}."""
    conf = conf or _settings.load()
    if gaps is None or len(gaps) == 0:
        return {}
    far = gaps[GAP_WITHOUT_PROVIDER].fillna(0).astype(int).to_numpy(dtype=np.int64)
    near = gaps[GAP_WITH_NEED].fillna(0).astype(int).to_numpy(dtype=np.int64) - far
    if (near < 0).any() or (far < 0).any():
        raise ValueError("people without a provider cannot outnumber people with the need")
    # Counting by integer codes, not pandas groups (issue 13): need × area × (far, near).
    needs, need_ids = np.unique(gaps["need"].astype(str).to_numpy(dtype=str), return_inverse=True)
    codes, area_ids = np.unique(gaps["area_code"].astype(str).to_numpy(dtype=str),
                                return_inverse=True)
    cell = need_ids.ravel() * len(codes) + area_ids.ravel()
    size = len(needs) * len(codes)
    present = np.bincount(cell, minlength=size).reshape(len(needs), len(codes)) > 0
    sums = np.stack([np.bincount(cell, weights=far, minlength=size),
                     np.bincount(cell, weights=near, minlength=size)], axis=-1
                    ).reshape(len(needs), len(codes), 2).astype(np.int64)
    parent, level = area_tree(areas)
    area_key = (tuple(map(str, areas["area_code"])), tuple(map(str, areas["parent"])))
    columns = (GAP_WITHOUT_PROVIDER, "near")
    systems: dict[bytes, tuple[list[tuple[str, str]], _LinkedSystem]] = {}
    published: dict[tuple[str, str, str], str] = {}
    for k, need in enumerate(needs.tolist()):
        rows = np.flatnonzero(present[k])
        counts = sums[k, rows]
        key = ("gaps:" + need, tuple(codes[rows].tolist()), columns, counts.tobytes(),
               *area_key, conf.suppress_below, conf.round_to)
        texts = _AREA_CACHE.get(key)
        if texts is None:
            shape = rows.tobytes()  # every need with the same areas shares one system
            if shape not in systems:
                keys, system, _ = _area_system(
                    tuple(codes[rows].tolist()), columns, parent, level, GAP_WITH_NEED, None,
                    None, (GAP_WITH_NEED, GAP_WITHOUT_PROVIDER))
                systems[shape] = (keys, system)
            keys, system = systems[shape]
            texts = dict(zip(keys, _protect_system(system, counts.ravel(), [], conf),
                             strict=True))
            if len(_AREA_CACHE) > 64:
                _AREA_CACHE.clear()
            _AREA_CACHE[key] = texts
        for (area, column), text in texts.items():
            published[(area, need, column)] = text
    return published


def shade_value(text: str) -> float | None:
    """A published count as a number to colour a map with: None for hidden counts ("<8",
    "*"), so no area is shaded on a small number."""
    text = str(text)
    if text == SECONDARY_MARK or text.startswith("<"):
        return None
    return float(text)
