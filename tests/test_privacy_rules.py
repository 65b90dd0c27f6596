"""Disclosure control for tables (secondary suppression), CSV injection and lawful basis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from assetmap.governance import privacy
from assetmap.settings import Settings

CONF = Settings()
BIG = 10_000


def _values_behind(cell: str, conf: Settings) -> tuple[int, int]:
    """What an attacker knows about a true count from its published cell: an interval."""
    t = conf.suppress_below
    if cell == "0":
        return 0, 0
    if cell == f"<{t}":
        return 1, t - 1
    if cell == privacy.SECONDARY_MARK:
        return 1, BIG  # hidden: some count of 1 or more (zeros are shown as "0")
    v = int(cell)
    behind = [n for n in range(max(t, v - 2 * conf.round_to), v + 2 * conf.round_to + 1)
              if privacy.round_count(n, conf) == v]
    return min(behind), max(behind)


def _recoverable_cells(published: pd.DataFrame, conf: Settings) -> list[tuple[int, int]]:
    """Hidden cells whose true value is pinned down by the published cells and totals.

    The attacker solves an integer programme: every row and column sums to its total, every cell
    lies in the interval its published text allows; a hidden cell whose smallest and largest
    feasible values are equal is recovered."""
    grid = published.to_numpy()
    r, c = grid.shape
    n = r * c
    lo, hi = zip(*(_values_behind(str(x), conf) for x in grid.ravel()), strict=True)
    rows = []
    for i in range(r - 1):  # interior rows sum to their total (last column)
        a = np.zeros(n)
        a[i * c:(i + 1) * c - 1] = 1
        a[i * c + c - 1] = -1
        rows.append(a)
    for j in range(c):  # every column (incl. the totals column) sums to its total (last row)
        a = np.zeros(n)
        for i in range(r - 1):
            a[i * c + j] = 1
        a[(r - 1) * c + j] = -1
        rows.append(a)
    a = np.zeros(n)  # the totals row sums to the grand total
    a[(r - 1) * c:(r - 1) * c + c - 1] = 1
    a[(r - 1) * c + c - 1] = -1
    rows.append(a)
    # Every hidden cell's smallest and largest value, in one integer programme: independent
    # copies of the table side by side, copy 2m minimising hidden cell m, copy 2m+1 maximising it.
    cells = [k for k, cell in enumerate(grid.ravel())
             if str(cell) in (f"<{conf.suppress_below}", privacy.SECONDARY_MARK)]
    if not cells:
        return []
    copies = 2 * len(cells)
    objective = np.zeros(copies * n)
    for m, k in enumerate(cells):
        objective[2 * m * n + k] = 1
        objective[(2 * m + 1) * n + k] = -1
    cons = LinearConstraint(sparse.block_diag([np.array(rows)] * copies, format="csr"), 0, 0)
    bounds = Bounds(np.array(lo * copies, dtype=float), np.array(hi * copies, dtype=float))
    result = milp(objective, constraints=cons, bounds=bounds, integrality=np.ones(copies * n))
    assert result.success  # the true table is always a solution
    recovered = []
    for m, k in enumerate(cells):
        if round(result.x[2 * m * n + k]) == round(result.x[(2 * m + 1) * n + k]):
            recovered.append(divmod(k, c))
    return recovered


tables = st.integers(1, 4).flatmap(lambda r: st.integers(1, 4).flatmap(
    lambda c: st.lists(st.lists(st.one_of(st.integers(0, 9), st.integers(0, 60)),
                                min_size=c, max_size=c), min_size=r, max_size=r)))


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_protected_tables_hide_small_cells_and_cannot_be_recovered(rows):
    frame = pd.DataFrame(rows)
    published = privacy.protect_table(frame, conf=CONF)
    assert published.shape == (frame.shape[0] + 1, frame.shape[1] + 1)
    grid = published.to_numpy()
    truth = np.zeros(grid.shape, dtype=int)
    truth[:-1, :-1] = frame.to_numpy()
    truth[-1, :-1] = truth[:-1, :-1].sum(axis=0)
    truth[:-1, -1] = truth[:-1, :-1].sum(axis=1)
    truth[-1, -1] = truth[:-1, :-1].sum()
    hidden = np.isin(grid.astype(str), [f"<{CONF.suppress_below}", privacy.SECONDARY_MARK])
    for (i, j), cell in np.ndenumerate(grid):
        if cell.isdigit():
            assert not 1 <= int(cell) < CONF.suppress_below  # no published small number
            assert abs(int(cell) - truth[i, j]) <= CONF.round_to
        else:
            assert truth[i, j] > 0
        if 1 <= truth[i, j] < CONF.suppress_below:
            assert cell in (f"<{CONF.suppress_below}", privacy.SECONDARY_MARK)
    # No line holds exactly one hidden cell beside shown non-zero ones.
    for line_hidden, line_truth in [*zip(hidden, truth, strict=True),
                                    *zip(hidden.T, truth.T, strict=True)]:
        if line_hidden.sum() == 1:
            assert (line_truth[~line_hidden] == 0).all()
    assert _recoverable_cells(published, CONF) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables, st.sampled_from([(3, 1), (10, 10), (5, 2)]))
def test_other_thresholds_and_exact_counts_are_protected_too(rows, rule):
    """With exact published counts (rounding 1) a small threshold is the hardest case: the
    "<N" labels alone can pin cells, and then they become "*"."""
    conf = Settings(suppress_below=rule[0], round_to=rule[1])
    published = privacy.protect_table(pd.DataFrame(rows), conf=conf)
    for cell in published.to_numpy().ravel():
        assert not (cell.isdigit() and 1 <= int(cell) < conf.suppress_below)
    assert _recoverable_cells(published, conf) == []


def test_a_lone_small_cell_gets_a_partner():
    frame = pd.DataFrame({"walking": [3, 40], "choir": [25, 30]}, index=["W1", "W2"])
    published = privacy.protect_table(frame, conf=CONF)
    assert published.loc["W1", "walking"] == "<8"
    # Row W1 total 28 and column total 43 would give the 3 away: a second cell is hidden.
    assert (published.loc["W1"] == privacy.SECONDARY_MARK).sum() >= 1
    assert (published["walking"] == privacy.SECONDARY_MARK).sum() >= 1
    assert _recoverable_cells(published, CONF) == []


def test_without_secondary_suppression_the_attack_works():
    """The attacker model is real: publishing exact totals around one hidden cell gives it away."""
    naive = pd.DataFrame([["<8", "25", "28"], ["40", "30", "70"], ["43", "55", "98"]])
    exact = Settings(round_to=1)
    assert (0, 0) in _recoverable_cells(naive, exact)


def test_tables_without_totals_only_apply_primary_rules():
    frame = pd.DataFrame([[0, 5], [12, 100]])
    published = privacy.protect_table(frame, totals=False, conf=CONF)
    assert published.to_numpy().tolist() == [["0", "<8"], ["10", "100"]]


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)",
                                  "\tcmd", "\rcmd", "\0x"])
def test_formula_like_cells_are_neutralised(text):
    assert privacy.safe_csv_cell(text) == "'" + text
    frame = pd.DataFrame({"name": [text, "Walking group"], "n": [1, 2], text: ["a", "b"]})
    safe = privacy.neutralise_csv(frame)
    assert safe["name"].tolist() == ["'" + text, "Walking group"]
    assert safe["n"].tolist() == [1, 2]  # numbers are left alone
    assert "'" + text in safe.columns
    csv = safe.to_csv(index=False)
    assert not any(line.startswith(privacy.FORMULA_PREFIXES) for line in csv.splitlines())
    assert frame["name"][0] == text  # the input is not changed


@given(st.text(max_size=20))
def test_no_neutralised_cell_starts_a_formula(text):
    cell = privacy.safe_csv_cell(text)
    assert not cell.startswith(privacy.FORMULA_PREFIXES)
    assert cell.endswith(text)


def test_lawful_basis_is_separate_from_consent():
    props = {"consent": {"suggest": False, "map": False}}
    assert privacy.lawful_basis(props) == "direct_care"  # held for care without consent
    assert not privacy.has_consent(props, "suggest")
    assert privacy.lawful_basis({"lawful_basis": "public_task"}) == "public_task"
    with pytest.raises(ValueError):
        privacy.lawful_basis({"lawful_basis": "because"})


# --- linked tables: one measure at every level of area, several measures over the same people ---

hierarchies = st.tuples(st.integers(2, 4), st.integers(1, 4), st.integers(2, 4)).flatmap(
    lambda shape: st.tuples(st.just(shape), st.lists(
        st.one_of(st.integers(0, 4), st.integers(0, 30)),
        min_size=shape[0] * shape[1] * shape[2], max_size=shape[0] * shape[1] * shape[2])))


def _attack_linked(cells: list[list[int]], texts: list[str], n_base: int) -> list[int]:
    """An independent exact attacker over every published cell at once."""
    matrix = np.zeros((len(cells), n_base))
    for k, members in enumerate(cells):
        matrix[k, members] = 1
    lo, hi = zip(*(_values_behind(t, CONF) for t in texts), strict=True)
    cons = LinearConstraint(matrix, np.array(lo, float), np.array(hi, float))
    bounds = Bounds(np.zeros(n_base), np.full(n_base, BIG))
    found = []
    for k, text in enumerate(texts):
        if text not in ("<8", privacy.SECONDARY_MARK):
            continue
        low = milp(matrix[k], constraints=cons, bounds=bounds, integrality=np.ones(n_base))
        high = milp(-matrix[k], constraints=cons, bounds=bounds, integrality=np.ones(n_base))
        assert low.success and high.success
        if round(low.fun) == round(-high.fun):
            found.append(k)
    return found


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchies)
def test_linked_tables_cannot_be_differenced(example):
    """Wards of LSOAs, several categories with per-area totals and a sum of two categories,
    all published at once: nothing in [1, 7] is shown and no hidden cell can be recovered."""
    (wards, lsoas_per_ward, categories), values = example
    lsoas = [f"L{w}{i}" for w in range(wards) for i in range(lsoas_per_ward)]
    parent = {lsoa: f"W{lsoa[1]}" for lsoa in lsoas} | {f"W{w}": "LA" for w in range(wards)}
    level = {lsoa: "lsoa" for lsoa in lsoas} | {f"W{w}": "ward" for w in range(wards)}
    level["LA"] = "la"
    counts = pd.DataFrame(np.array(values).reshape(len(lsoas), categories), index=lsoas,
                          columns=[f"c{j}" for j in range(categories)])
    extra = {"c0+c1": ["c0", "c1"]}
    published = privacy.protect_area_counts(counts, parent, level, total="all", extra=extra,
                                            conf=CONF)
    position = {(a, c): i for i, (a, c) in enumerate(
        (a, c) for a in lsoas for c in counts.columns)}
    under = {a: [a] for a in lsoas}
    for lsoa in lsoas:
        under.setdefault(parent[lsoa], []).append(lsoa)
        under.setdefault("LA", []).append(lsoa)
    parts = {c: [c] for c in counts.columns} | {"all": list(counts.columns)} | extra
    cells, texts = [], []
    for (area, column), text in published.items():
        cells.append([position[(s, c)] for s in under[area] for c in parts[column]])
        texts.append(text)
        truth = int(counts.loc[under[area], parts[column]].to_numpy().sum())
        lo, hi = _values_behind(text, CONF)
        assert lo <= truth <= hi
        assert not (text.isdigit() and 1 <= int(text) < CONF.suppress_below)
    assert _attack_linked(cells, texts, len(position)) == []


def test_provision_gaps_are_protected_across_levels():
    """Issue 15: a ward "<8" whose seven LSOAs are each "<8" pins every LSOA at 1 when each
    level is published on its own (the old Gaps page and ``analyse``); published together
    (``publish_provision_counts``) no count of people with a need, or without a provider,
    can be worked out, and nothing in [1, 7] is shown."""
    lsoas = [f"L{i}" for i in range(7)] + ["M0", "M1"]
    parent = {a: ("W1" if a.startswith("L") else "W2") for a in lsoas} | {"W1": "LA",
                                                                           "W2": "LA"}
    areas = pd.DataFrame({"area_code": [*parent, "LA"],
                          "level": ["lsoa"] * len(lsoas) + ["ward", "ward", "la"],
                          "parent": [*parent.values(), None]})
    rows = []
    for a in lsoas:  # one person with a food need in each L, 12 and 9 in the Ms
        with_need = 1 if a.startswith("L") else {"M0": 12, "M1": 9}[a]
        rows.append({"area_code": a, "need": "food", "people_with_need": with_need,
                     "people_without_provider": 1 if a in ("L0", "M1") else 0})
    gaps = pd.DataFrame(rows)
    near = {a: i for i, a in enumerate(lsoas)}
    far = {a: len(lsoas) + i for i, a in enumerate(lsoas)}
    under = {a: [a] for a in lsoas} | {"W1": lsoas[:7], "W2": lsoas[7:], "LA": lsoas}

    def members(area: str, column: str) -> list[int]:
        return [far[s] for s in under[area]] + (
            [near[s] for s in under[area]] if column == "people_with_need" else [])

    def truth(area: str, column: str) -> int:
        sub = gaps[gaps["area_code"].isin(under[area])]
        return int(sub[column].sum())

    # each level on its own: the attack works
    alone = [(a, c, privacy.publish_count(truth(a, c), CONF)) for a in under
             for c in ("people_with_need", "people_without_provider")]
    assert _attack_linked([members(a, c) for a, c, _ in alone], [t for *_, t in alone],
                          2 * len(lsoas)) != []
    published = privacy.publish_provision_counts(gaps, areas, CONF)
    assert {(a, c) for a, n, c in published} == {(a, c) for a, c, _ in alone}
    cells, texts = [], []
    for (area, need, column), text in published.items():
        assert need == "food"
        lo, hi = _values_behind(text, CONF)
        assert lo <= truth(area, column) <= hi
        assert not (text.isdigit() and 1 <= int(text) < CONF.suppress_below)
        cells.append(members(area, column))
        texts.append(text)
    assert _attack_linked(cells, texts, 2 * len(lsoas)) == []
