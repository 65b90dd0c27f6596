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
    """
    conf = conf or _settings.load()
    values = frame.fillna(0).astype(int).to_numpy().copy()
    if (values < 0).any():
        raise ValueError("a count cannot be negative")
    if totals:
        grid = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=np.int64)
        grid[:-1, :-1] = values
        grid[-1, :-1] = values.sum(axis=0)
        grid[:-1, -1] = values.sum(axis=1)
        grid[-1, -1] = values.sum()
    else:
        grid = values.astype(np.int64)
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
